/* syslog_out.c: alerts to the system logger (syslog_out.h). */
#include <syslog.h>

#include "output/syslog_out.h"

static void syslog_alerts(void *self, const struct flow_record *r)
{
	const struct flow *f = r->f;
	const struct verdict_result *v = &r->lab->verdict;
	char pn[8];
	(void)self;
	for (unsigned i = 0; i < v->nfindings; i++) {
		if (v->muted[i])
			continue;
		const struct finding_kind *k = v->findings[i];
		int prio = k->severity == 1 ? LOG_ERR : k->severity == 2 ? LOG_WARNING : LOG_NOTICE;
		syslog(prio, "[1:%u:1] %s: %s [Classification: %s] [Priority: %u] {%s} %s:%u -> %s:%u flow_id=%llu rule=%s",
		       k->sid, k->id, k->message, k->category, k->severity, ip_proto_name(f->key.ip_proto, pn, sizeof pn),
		       r->src, flow_src_port(f), r->dst, flow_dst_port(f), (unsigned long long)f->id,
		       r->lab->matched ? r->lab->match.best->id : "-");
	}
}

const struct output_ops syslog_output_ops = {
	.name = "syslog",
	.alerts = syslog_alerts,
};

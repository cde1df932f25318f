/* syslog_out.c: alerts to the system logger (syslog_out.h). */
#include <stdio.h>
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

/* A detection over a sequence of flows: its hosts and the flow ids of its steps. */
static void syslog_detection(void *self, const struct detection_event *d)
{
	const struct finding_kind *k = d->kind;
	char flows[DETECT_HIT_MAX * 24] = "";
	size_t o = 0;
	(void)self;
	for (unsigned i = 0; i < d->hit->nsteps && o < sizeof flows; i++)
		o += (size_t)snprintf(flows + o, sizeof flows - o, "%s%llu", i ? "," : "",
				      (unsigned long long)d->flow_ids[i]);
	int prio = k->severity == 1 ? LOG_ERR : k->severity == 2 ? LOG_WARNING : LOG_NOTICE;
	syslog(prio, "[1:%u:1] %s: %s [Classification: %s] [Priority: %u] %s -> %s flow_ids=%s steps=%s", k->sid, k->id,
	       k->message, k->category, k->severity, d->src, d->dst[0] ? d->dst : "*", flows, d->hit->d->steps_text);
}

const struct output_ops syslog_output_ops = {
	.name = "syslog",
	.detection = syslog_detection,
	.alerts = syslog_alerts,
};

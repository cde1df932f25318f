/* summary.c: the end-of-run text summary. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "flow/dpi.h"
#include "engine/engine.h"
#include "audit/knowledge.h"
#include "audit/label.h"
#include "flow/flow_ext.h"
#include "audit/infer.h"
#include "flow/mcast.h"
#include "audit/rules.h"
#include "output/summary.h"
#include "output/eve.h"
#include "lib/util.h"
#include "audit/verdict.h"
#include "proto/wol.h"

#define SUMMARY_MAX_PROTOS 256

struct proto_count {
	char name[48];
	uint64_t flows, pkts, bytes;
};

#define SUMMARY_MAX_PAIRS 256

/* one line of the role-pair table */
struct pair_count {
	char from[ROLE_NAME_MAX], to[ROLE_NAME_MAX], service[96], rule[10];
	uint64_t flows, bytes;
};

#define SUMMARY_MAX_FINDINGS 256

/* one line of the findings table: a kind of finding between two hosts on one service */
struct finding_count {
	const struct finding_kind *kind;
	char src[ADDR_STR_MAX], dst[ADDR_STR_MAX], service[96];
	uint64_t flows, first_us, last_us;
	char filter[512];
};

#define SUMMARY_MAX_CHANNELS 64

/* a multicast distribution session: one sender, one group */
struct mcast_session {
	uint8_t family;
	char sender[ADDR_STR_MAX], group[ADDR_STR_MAX];
	uint16_t port;
	uint64_t flows, pkts, bytes, first_us, last_us;
	size_t receivers;
};

/* a Wake On LAN target: who woke it, how */
struct wol_target {
	char mac[18], sender[ADDR_STR_MAX], how[48];
	uint64_t packets;
};

#define SUMMARY_MAX_CONFIG 64

struct summary {
	char config[SUMMARY_MAX_CONFIG][512];
	size_t nconfig;
	uint64_t config_dropped;
	struct infer_table *infer;
	const struct roles *roles;
	struct finding_count findings[SUMMARY_MAX_FINDINGS];
	size_t nfindings;
	uint64_t findings_dropped;
	struct pair_count pairs[SUMMARY_MAX_PAIRS];
	size_t npairs;
	uint64_t labelled;
	struct proto_count protos[SUMMARY_MAX_PROTOS];
	size_t nprotos;
	uint64_t flows, proven;
	struct mcast_session mcast[SUMMARY_MAX_CHANNELS];
	size_t nmcast;
	struct wol_target wol[SUMMARY_MAX_CHANNELS];
	size_t nwol;
	uint64_t channels_dropped;
	pthread_mutex_t lock; /* flows end in every worker */
};

struct summary *summary_new(void)
{
	struct summary *s = calloc(1, sizeof(struct summary));
	if (s)
		pthread_mutex_init(&s->lock, NULL);
	return s;
}

void summary_free(struct summary *s)
{
	if (s)
		pthread_mutex_destroy(&s->lock);
	free(s);
}

static const char *role_name_of(const struct roles *r, role_set s)
{
	int i = roles_primary(r, s);
	return i >= 0 ? r->name[i] : "unknown";
}

/* Counts the flow under its role pair and service (locked by the caller). */
static void count_pair(struct summary *s, const struct ruleset *rs, const struct flow *f, const struct flow_label *lab)
{
	const struct rule *r = lab->matched ? lab->match.best : NULL;
	const char *from, *to, *service = r ? r->service : "(no rule)", *id = r ? r->id : "-";
	if (r && r->multicast) {
		from = role_name_of(&rs->roles, lab->src_roles & r->to);
		to = "multicast-group";
	} else if (r) {
		bool rev = lab->match.reversed;
		from = role_name_of(&rs->roles, lab->src_roles & (rev ? r->to : r->from));
		to = lab->dst_broadcast && !lab->dst_roles ? "broadcast"
							    : role_name_of(&rs->roles, lab->dst_roles & (rev ? r->from : r->to));
	} else {
		if (!lab->src_roles && !lab->dst_roles)
			return; /* neither end is known: not part of the site's picture */
		from = role_name_of(&rs->roles, lab->src_roles);
		to = role_name_of(&rs->roles, lab->dst_roles);
	}
	size_t i;
	for (i = 0; i < s->npairs; i++)
		if (!strcmp(s->pairs[i].from, from) && !strcmp(s->pairs[i].to, to) && !strcmp(s->pairs[i].rule, id))
			break;
	if (i == s->npairs) {
		if (s->npairs == SUMMARY_MAX_PAIRS)
			return;
		struct pair_count *p = &s->pairs[s->npairs++];
		snprintf(p->from, sizeof p->from, "%s", from);
		snprintf(p->to, sizeof p->to, "%s", to);
		snprintf(p->service, sizeof p->service, "%s", service);
		snprintf(p->rule, sizeof p->rule, "%s", id);
	}
	s->pairs[i].flows++;
	s->pairs[i].bytes += f->bytes[0] + f->bytes[1];
	s->labelled += r != NULL;
}

static void count_findings(struct summary *s, const struct flow *f, const struct flow_label *lab)
{
	char src[ADDR_STR_MAX], dst[ADDR_STR_MAX];
	const char *service = lab->matched ? lab->match.best->service : "(no rule)";
	addr_to_str(f->key.family, flow_src_addr(f), src, sizeof src);
	addr_to_str(f->key.family, flow_dst_addr(f), dst, sizeof dst);
	for (unsigned k = 0; k < lab->verdict.nfindings; k++) {
		const struct finding_kind *kind = lab->verdict.findings[k];
		size_t i;
		for (i = 0; i < s->nfindings; i++) {
			struct finding_count *c = &s->findings[i];
			if (c->kind == kind && !strcmp(c->src, src) && !strcmp(c->dst, dst) && !strcmp(c->service, service))
				break;
		}
		if (i == s->nfindings) {
			if (s->nfindings == SUMMARY_MAX_FINDINGS) {
				s->findings_dropped++;
				continue;
			}
			struct finding_count *c = &s->findings[s->nfindings++];
			memset(c, 0, sizeof *c);
			c->kind = kind;
			snprintf(c->src, sizeof c->src, "%s", src);
			snprintf(c->dst, sizeof c->dst, "%s", dst);
			snprintf(c->service, sizeof c->service, "%s", service);
			c->first_us = f->ts_first;
			flow_display_filter(f, c->filter, sizeof c->filter);
		}
		struct finding_count *c = &s->findings[i];
		c->flows++;
		if (f->ts_first < c->first_us)
			c->first_us = f->ts_first;
		if (f->ts_last > c->last_us)
			c->last_us = f->ts_last;
	}
}

static void count_mcast(struct summary *s, const struct engine *e, const struct flow *f)
{
	char sender[ADDR_STR_MAX], group[ADDR_STR_MAX];
	addr_to_str(f->key.family, flow_src_addr(f), sender, sizeof sender);
	addr_to_str(f->key.family, flow_dst_addr(f), group, sizeof group);
	struct mcast_session *m = NULL;
	for (size_t i = 0; i < s->nmcast && !m; i++)
		if (!strcmp(s->mcast[i].sender, sender) && !strcmp(s->mcast[i].group, group))
			m = &s->mcast[i];
	if (!m) {
		if (s->nmcast == SUMMARY_MAX_CHANNELS) {
			s->channels_dropped++;
			return;
		}
		m = &s->mcast[s->nmcast++];
		m->family = f->key.family;
		memcpy(m->sender, sender, sizeof sender);
		memcpy(m->group, group, sizeof group);
		m->port = flow_dst_port(f);
		m->first_us = f->ts_first;
	}
	m->flows++;
	m->pkts += f->pkts[0] + f->pkts[1];
	m->bytes += f->bytes[0] + f->bytes[1];
	if (f->ts_first < m->first_us)
		m->first_us = f->ts_first;
	if (f->ts_last > m->last_us)
		m->last_us = f->ts_last;
	struct mcast_receiver r[MCAST_MAX_RECEIVERS];
	size_t n = e->cfg.mcast ? mcast_receivers(e->cfg.mcast, f->key.family, flow_dst_addr(f), r, MCAST_MAX_RECEIVERS)
				: 0;
	if (n > m->receivers)
		m->receivers = n;
}

static void count_wol(struct summary *s, const char *mac, const char *sender, const char *how)
{
	for (size_t i = 0; i < s->nwol; i++)
		if (!strcmp(s->wol[i].mac, mac) && !strcmp(s->wol[i].sender, sender) && !strcmp(s->wol[i].how, how)) {
			s->wol[i].packets++;
			return;
		}
	if (s->nwol == SUMMARY_MAX_CHANNELS) {
		s->channels_dropped++;
		return;
	}
	struct wol_target *w = &s->wol[s->nwol++];
	snprintf(w->mac, sizeof w->mac, "%s", mac);
	snprintf(w->sender, sizeof w->sender, "%s", sender);
	snprintf(w->how, sizeof w->how, "%s", how);
	w->packets = 1;
}

void summary_wol_frame(struct summary *s, const uint8_t target[6], const uint8_t src_mac[6], const char *addressing)
{
	char mac[18], sender[18], how[48];
	wol_mac_str(target, mac, sizeof mac);
	wol_mac_str(src_mac, sender, sizeof sender);
	snprintf(how, sizeof how, "EtherType 0x0842, %s", addressing);
	pthread_mutex_lock(&s->lock);
	count_wol(s, mac, sender, how);
	pthread_mutex_unlock(&s->lock);
}

void summary_flow(struct summary *s, const struct engine *e, const struct flow *f, const struct flow_label *lab)
{
	char name[48];
	const char *n = "Unknown";
	if (f->ndpi_master || f->ndpi_app)
		n = dpi_name(e->dpi, f, name, sizeof name);
	/* what cmflow proved and nDPI did not (or was not asked) */
	if (f->app_proof && !dpi_proven(f)) {
		static const char *const own[] = { [APP_HTTP] = "HTTP (cmflow)", [APP_TLS] = "TLS (cmflow)",
						   [APP_SMB] = "SMB (cmflow)", [APP_DCERPC] = "DCE/RPC (cmflow)",
						   [APP_WOL] = "Wake On LAN (cmflow)", [APP_DNS] = "DNS (cmflow)" };
		if (f->app_proof < sizeof own / sizeof own[0] && own[f->app_proof])
			n = own[f->app_proof];
	}
	pthread_mutex_lock(&s->lock);
	s->flows++;
	if (dpi_proven(f) || f->app_proof)
		s->proven++;
	size_t i;
	for (i = 0; i < s->nprotos; i++)
		if (strcmp(s->protos[i].name, n) == 0)
			break;
	if (i == s->nprotos) {
		if (s->nprotos == SUMMARY_MAX_PROTOS)
			i = SUMMARY_MAX_PROTOS - 1; /* the last line collects the rest */
		else
			snprintf(s->protos[s->nprotos++].name, sizeof s->protos[0].name, "%s", n);
	}
	s->protos[i].flows++;
	s->protos[i].pkts += f->pkts[0] + f->pkts[1];
	s->protos[i].bytes += f->bytes[0] + f->bytes[1];
	if (lab && e->cfg.knowledge && e->cfg.knowledge->rules)
		count_pair(s, e->cfg.knowledge->rules, f, lab);
	if (lab && lab->verdict.nfindings)
		count_findings(s, f, lab);
	if (f->key.ip_proto == 17 && mcast_is_group(f->key.family, flow_dst_addr(f)))
		count_mcast(s, e, f);
	if (f->ext && f->ext->has_wol) {
		char mac[18], sender[ADDR_STR_MAX], how[48];
		snprintf(how, sizeof how, "UDP %u, %s", flow_dst_port(f), wol_cast_name((enum wol_cast)f->ext->wol_cast));
		count_wol(s, wol_mac_str(f->ext->wol_mac, mac, sizeof mac),
			  addr_to_str(f->key.family, flow_src_addr(f), sender, sizeof sender), how);
	}
	pthread_mutex_unlock(&s->lock);
}

static int findings_order(const void *a, const void *b)
{
	const struct finding_count *x = a, *y = b;
	if (x->kind->severity != y->kind->severity)
		return x->kind->severity < y->kind->severity ? -1 : 1;
	int c = strcmp(x->kind->id, y->kind->id);
	if (c)
		return c;
	return x->flows < y->flows ? 1 : x->flows > y->flows ? -1 : 0;
}

void summary_config_finding(struct summary *s, const struct finding_kind *kind, const char *detail)
{
	if (!s)
		return;
	if (s->nconfig == SUMMARY_MAX_CONFIG) {
		s->config_dropped++;
		return;
	}
	snprintf(s->config[s->nconfig++], sizeof s->config[0], "[%s, severity %u] %s: %s", verdict_name(kind->verdict),
		 kind->severity, kind->id, detail);
}

/* Findings first: grouped by kind (most severe first), then host pair and service. */
static void print_findings(const struct summary *s, FILE *out)
{
	if (s->nconfig) {
		fprintf(out, "site configuration findings (the configuration itself, and where the traffic disagrees)\n");
		for (size_t i = 0; i < s->nconfig; i++)
			fprintf(out, "  %s\n", s->config[i]);
		if (s->config_dropped)
			fprintf(out, "  (%llu more: see the EVE alerts)\n", (unsigned long long)s->config_dropped);
		fprintf(out, "\n");
	}
	if (!s->nfindings) {
		fprintf(out, "findings: none\n\n");
		return;
	}
	struct finding_count *v = malloc(s->nfindings * sizeof *v);
	if (!v)
		return;
	memcpy(v, s->findings, s->nfindings * sizeof *v);
	qsort(v, s->nfindings, sizeof *v, findings_order);
	char t1[TS_STR_MAX], t2[TS_STR_MAX];
	fprintf(out, "findings\n");
	for (size_t i = 0; i < s->nfindings; i++) {
		if (i == 0 || v[i].kind != v[i - 1].kind)
			fprintf(out, "  [%s, severity %u] %s: %s\n", verdict_name((enum verdict)v[i].kind->verdict),
				v[i].kind->severity, v[i].kind->id, v[i].kind->message);
		fprintf(out, "    %s -> %s  %s  %llu flow%s  %s .. %s\n      wireshark: %s\n", v[i].src, v[i].dst,
			v[i].service, (unsigned long long)v[i].flows, v[i].flows == 1 ? "" : "s",
			ts_to_eve(v[i].first_us, t1, sizeof t1), ts_to_eve(v[i].last_us, t2, sizeof t2), v[i].filter);
	}
	if (s->findings_dropped)
		fprintf(out, "  (%llu more not listed)\n", (unsigned long long)s->findings_dropped);
	fprintf(out, "\n");
	free(v);
}

static int pairs_by_flows(const void *a, const void *b)
{
	const struct pair_count *x = a, *y = b;
	if (x->flows != y->flows)
		return x->flows < y->flows ? 1 : -1;
	return strcmp(x->rule, y->rule);
}

static int by_flows(const void *a, const void *b)
{
	const struct proto_count *x = a, *y = b;
	if (x->flows != y->flows)
		return x->flows < y->flows ? 1 : -1;
	return strcmp(x->name, y->name);
}

void summary_set_inference(struct summary *s, struct infer_table *t, const struct roles *roles)
{
	s->infer = t;
	s->roles = roles;
}

struct inferred_print {
	const struct roles *roles;
	FILE *out;
	unsigned lines;
};

static void print_inferred(void *ctx, const struct inferred_role *r)
{
	struct inferred_print *p = ctx;
	char a[ADDR_STR_MAX], first[64] = "";
	size_t n = 0;
	for (unsigned i = 0; i < r->nfirst; i++)
		n += (size_t)snprintf(first + n, sizeof first - n, "%s%llu", i ? "," : "", (unsigned long long)r->first_flows[i]);
	if (p->lines++ == 0) {
		fprintf(p->out, "\nroles inferred from traffic (signatures/fingerprints.txt; first flow ids of the EVE output)\n");
		fprintf(p->out, "  %-39s %-28s %8s %-14s %s\n", "host", "role", "flows", "first flows", "evidence");
	}
	fprintf(p->out, "  %-39s %-28s %8llu %-14s %s\n", addr_to_str(r->family, r->addr, a, sizeof a),
		p->roles->name[r->role], (unsigned long long)r->flows, first, r->evidence);
}

/* "tunnels          1200 packets decapsulated (vxlan 1000, erspan_ii 200)", when there were any, and the UDP that
 * looks like VXLAN on a port not configured */
static void print_tunnels(const struct decode_stats *d, FILE *out)
{
	if (!d->decapsulated && !d->too_many_layers && !d->vxlan_unopened)
		return;
	fprintf(out, "  tunnels          %llu packets decapsulated (", (unsigned long long)d->decapsulated);
	const char *sep = "";
	for (int k = TUNNEL_NONE + 1; k < TUNNEL_KINDS; k++) {
		if (d->tunnel[k]) {
			fprintf(out, "%s%s %llu", sep, tunnel_kind_name((enum tunnel_kind)k), (unsigned long long)d->tunnel[k]);
			sep = ", ";
		}
	}
	if (d->too_many_layers)
		fprintf(out, "%s%llu too deep", sep, (unsigned long long)d->too_many_layers);
	fprintf(out, ")\n");
	if (d->vxlan_unopened)
		fprintf(out, "  not opened       %llu UDP packets look like VXLAN on a port not read as VXLAN (--vxlan-port)\n",
			(unsigned long long)d->vxlan_unopened);
}

void summary_print(const struct summary *s, const struct run_stats *rs, FILE *out)
{
	const struct decode_stats *d = &rs->decoder;
	const struct flow_table_stats *fs = &rs->flows;
	struct proto_count sorted[SUMMARY_MAX_PROTOS];

	print_findings(s, out);
	fprintf(out, "cmflow summary\n");
	fprintf(out, "  packets          %llu (%llu bytes)\n", (unsigned long long)d->pkts, (unsigned long long)d->bytes);
	fprintf(out, "  IPv4 / IPv6      %llu / %llu\n", (unsigned long long)d->ipv4, (unsigned long long)d->ipv6);
	fprintf(out, "  non-IP frames    %llu\n", (unsigned long long)d->not_ip);
	print_tunnels(d, out);
	fprintf(out, "  flows            %llu (%llu TCP, %llu UDP, %llu ICMP, %llu other)\n",
		(unsigned long long)fs->created, (unsigned long long)fs->tcp, (unsigned long long)fs->udp,
		(unsigned long long)(fs->icmpv4 + fs->icmpv6), (unsigned long long)fs->other);
	fprintf(out, "  flows ended      %llu by timeout, %llu evicted at the cap, %llu at end of input\n",
		(unsigned long long)fs->timed_out, (unsigned long long)fs->evicted, (unsigned long long)fs->flushed);
	fprintf(out, "  protocol proven  %llu of %llu flows\n", (unsigned long long)s->proven,
		(unsigned long long)s->flows);

	memcpy(sorted, s->protos, s->nprotos * sizeof sorted[0]);
	qsort(sorted, s->nprotos, sizeof sorted[0], by_flows);
	fprintf(out, "\nflows by application protocol (cmflow's own proofs marked, else nDPI's answer)\n");
	fprintf(out, "  %-28s %10s %12s %14s\n", "protocol", "flows", "packets", "bytes");
	for (size_t i = 0; i < s->nprotos; i++)
		fprintf(out, "  %-28s %10llu %12llu %14llu\n", sorted[i].name, (unsigned long long)sorted[i].flows,
			(unsigned long long)sorted[i].pkts, (unsigned long long)sorted[i].bytes);

	if (s->npairs) {
		struct pair_count *pairs = malloc(s->npairs * sizeof *pairs);
		if (pairs) {
			memcpy(pairs, s->pairs, s->npairs * sizeof *pairs);
			qsort(pairs, s->npairs, sizeof *pairs, pairs_by_flows);
			fprintf(out, "\nConfigMgr role pairs (%llu flows labelled by a rule of the port matrix)\n",
				(unsigned long long)s->labelled);
			fprintf(out, "  %-28s %-28s %-6s %-34s %8s %14s\n", "from role", "to role", "rule", "service", "flows",
				"bytes");
			for (size_t i = 0; i < s->npairs; i++)
				fprintf(out, "  %-28s %-28s %-6s %-34.34s %8llu %14llu\n", pairs[i].from, pairs[i].to, pairs[i].rule,
					pairs[i].service, (unsigned long long)pairs[i].flows, (unsigned long long)pairs[i].bytes);
			free(pairs);
		}
	}

	if (s->infer && s->roles) {
		struct inferred_print ip = { s->roles, out, 0 };
		infer_each(s->infer, print_inferred, &ip);
		if (infer_dropped(s->infer))
			fprintf(out, "  (%llu more hosts did not fit in the table)\n", (unsigned long long)infer_dropped(s->infer));
	}
	if (s->nmcast) {
		fprintf(out, "\nmulticast sessions (one sender, one group; receivers from IGMP / MLD joins)\n");
		fprintf(out, "  %-39s %-39s %6s %10s %14s %10s %9s\n", "sender", "group", "port", "packets", "bytes",
			"seconds", "receivers");
		for (size_t i = 0; i < s->nmcast; i++) {
			const struct mcast_session *m = &s->mcast[i];
			fprintf(out, "  %-39s %-39s %6u %10llu %14llu %10.3f %9zu\n", m->sender, m->group, m->port,
				(unsigned long long)m->pkts, (unsigned long long)m->bytes,
				(double)(m->last_us - m->first_us) / 1e6, m->receivers);
		}
	}
	if (s->nwol) {
		fprintf(out, "\nWake On LAN targets\n");
		fprintf(out, "  %-17s  %-39s %-40s %8s\n", "target MAC", "sent by", "carrier, addressing", "packets");
		for (size_t i = 0; i < s->nwol; i++)
			fprintf(out, "  %-17s  %-39s %-40s %8llu\n", s->wol[i].mac, s->wol[i].sender, s->wol[i].how,
				(unsigned long long)s->wol[i].packets);
	}
	if (s->channels_dropped)
		fprintf(out, "  (%llu more sessions or targets not listed)\n", (unsigned long long)s->channels_dropped);

	if (d->malformed || d->unsupported_linktype) {
		fprintf(out, "\nmalformed packets (never fatal; counted by reason)\n");
		for (int r = 0; r < MAL_COUNT; r++)
			if (d->by_reason[r])
				fprintf(out, "  %-34s %llu\n", malformed_reason_name((enum malformed_reason)r),
					(unsigned long long)d->by_reason[r]);
		if (d->unsupported_linktype)
			fprintf(out, "  %-34s %llu\n", "unsupported link type", (unsigned long long)d->unsupported_linktype);
	}
}

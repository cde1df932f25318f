/* aggregate.c: the run's aggregates (aggregate.h), and the output that fills them from a run's records. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flow/flow_ext.h"
#include "flow/inspect.h"
#include "output/aggregate.h"
#include "proto/dcerpc.h"
#include "proto/payload.h"
#include "proto/wol.h"

struct agg *agg_new(void)
{
	struct agg *a = calloc(1, sizeof *a);
	if (!a)
		return NULL;
	pthread_mutex_init(&a->lock, NULL);
	a->hosts = strtable_make(sizeof(struct agg_host));
	a->edges = strtable_make(sizeof(struct agg_edge));
	a->pairs = strtable_make(sizeof(struct agg_pair));
	a->kinds = strtable_make(sizeof(struct agg_kind));
	a->findings = strtable_make(sizeof(struct agg_finding));
	a->notes = strtable_make(sizeof(struct agg_note_rec));
	a->web = strtable_make(sizeof(struct agg_web));
	a->protos = strtable_make(sizeof(struct agg_proto));
	a->rpc = strtable_make(sizeof(struct agg_rpc));
	a->wol = strtable_make(sizeof(struct agg_wol_rec));
	a->mcast = strtable_make(sizeof(struct agg_mcast));
	a->inputs = strtable_make(sizeof(struct agg_text));
	a->sites = strtable_make(sizeof(struct agg_text));
	return a;
}

void agg_free(struct agg *a)
{
	if (!a)
		return;
	for (size_t i = 0; i < a->findings.n; i++)
		free(((struct agg_finding *)a->findings.vals[i])->filter);
	struct strtable *all[] = { &a->hosts, &a->edges, &a->pairs, &a->kinds, &a->findings, &a->notes, &a->web,
				   &a->protos, &a->rpc, &a->wol, &a->mcast, &a->inputs, &a->sites };
	for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
		strtable_free(all[i]);
	pthread_mutex_destroy(&a->lock);
	free(a);
}

/* Copies src (cut to fit: the fields are bounded). */
static void copy(char *dst, size_t len, const char *src)
{
	size_t n = src ? strlen(src) : 0;
	if (n > len - 1)
		n = len - 1;
	if (n)
		memcpy(dst, src, n);
	dst[n] = '\0';
}

/* The record of key in t, or NULL (counted) when the table is full or memory short. Locked by the caller. */
static void *get(struct agg *a, struct strtable *t, const char *key)
{
	void *v = t->n < AGG_MAX_ROWS ? strtable_get(t, key) : strtable_find(t, key);
	if (!v)
		a->dropped++;
	return v;
}

/* A host of the site's picture: one with a role (or one a finding is about, drawn as "unknown"). */
static void add_host(struct agg *a, const char *ip, const char *site, const char *role, bool inferred,
		     uint64_t bytes)
{
	struct agg_host *h = ip && role ? get(a, &a->hosts, ip) : NULL;
	if (!h)
		return;
	copy(h->ip, sizeof h->ip, ip);
	if (site && *site && !h->site[0])
		copy(h->site, sizeof h->site, site);
	if (role && *role && !h->role[0]) {
		copy(h->role, sizeof h->role, role);
		h->inferred = inferred;
	}
	h->bytes += bytes;
	h->flows++;
}

static void add_span(struct agg *a, uint64_t first, uint64_t last)
{
	if (first && (!a->first_us || first < a->first_us))
		a->first_us = first;
	if (last > a->last_us)
		a->last_us = last;
}

static void add_edge(struct agg *a, const struct agg_flow *f)
{
	char key[2 * AGG_S + 2];
	snprintf(key, sizeof key, "%s|%s", f->src, f->dst);
	struct agg_edge *g = get(a, &a->edges, key);
	if (!g)
		return;
	copy(g->src, sizeof g->src, f->src);
	copy(g->dst, sizeof g->dst, f->dst);
	g->bytes += f->bytes;
	g->flows++;
	if (f->verdict > g->worst && f->verdict != VERDICT_INFORMATIONAL)
		g->worst = f->verdict;
}

static void add_pair(struct agg *a, const struct agg_flow *f)
{
	char key[4 * AGG_L];
	const char *from = f->src_role ? f->src_role : "unknown", *to = f->dst_role ? f->dst_role : "unknown";
	const char *rule = f->rule ? f->rule : "-";
	snprintf(key, sizeof key, "%s|%s|%s|%s", from, to, f->service ? f->service : "", rule);
	struct agg_pair *p = get(a, &a->pairs, key);
	if (!p)
		return;
	if (!p->flows) {
		copy(p->from, sizeof p->from, from);
		copy(p->to, sizeof p->to, to);
		copy(p->service, sizeof p->service, f->service ? f->service : "(no rule)");
		copy(p->rule, sizeof p->rule, rule);
		copy(p->row, sizeof p->row, f->row);
		copy(p->label, sizeof p->label, f->label);
	}
	p->flows++;
	p->bytes += f->bytes;
	if (f->verdict > p->worst)
		p->worst = f->verdict;
	a->labelled += f->rule != NULL;
}

static void add_web(struct agg *a, const struct agg_flow *f)
{
	char key[2 * AGG_S + 2];
	snprintf(key, sizeof key, "%s|%s", f->site ? f->site : "", f->dst_role);
	struct agg_web *w = get(a, &a->web, key);
	if (!w)
		return;
	copy(w->site, sizeof w->site, f->site ? f->site : "-");
	copy(w->role, sizeof w->role, f->dst_role);
	if (f->http) {
		w->http_bytes += f->bytes;
		w->http_flows++;
	} else {
		w->https_bytes += f->bytes;
		w->https_flows++;
	}
}

static void add_proto(struct agg *a, const struct agg_flow *f)
{
	struct agg_proto *p = get(a, &a->protos, f->proto_label ? f->proto_label : "Unknown");
	if (!p)
		return;
	copy(p->name, sizeof p->name, f->proto_label ? f->proto_label : "Unknown");
	p->flows++;
	p->pkts += f->pkts;
	p->bytes += f->bytes;
}

static void add_rpc(struct agg *a, const char *iface, const char *via)
{
	char key[4 * AGG_S];
	snprintf(key, sizeof key, "%s|%s", iface, via ? via : "");
	struct agg_rpc *p = get(a, &a->rpc, key);
	if (p) {
		copy(p->iface, sizeof p->iface, iface);
		copy(p->via, sizeof p->via, via);
		p->count++;
	}
}

/* Every RPC interface of a flow, each counted once: the announced or first-bound one, then the others. */
static void add_rpcs(struct agg *a, const struct agg_flow *f)
{
	if (f->rpc_interface)
		add_rpc(a, f->rpc_interface, f->rpc_via);
	for (unsigned i = 0; i < f->nrpc && i < AGG_RPC_MAX; i++) {
		bool seen = f->rpc_interface && !strcmp(f->rpc_interface, f->rpc_names[i]);
		for (unsigned k = 0; k < i && !seen; k++)
			seen = !strcmp(f->rpc_names[k], f->rpc_names[i]) && !strcmp(f->rpc_vias[k], f->rpc_vias[i]);
		if (!seen)
			add_rpc(a, f->rpc_names[i], f->rpc_vias[i]);
	}
}

static void add_channels(struct agg *a, const struct agg_flow *f)
{
	char key[4 * AGG_S];
	add_rpcs(a, f);
	if (f->wol_mac) {
		char how[AGG_S];
		snprintf(how, sizeof how, "UDP %u, %s", f->dport, f->wol_addressing ? f->wol_addressing : "?");
		struct agg_wol w = { f->wol_mac, f->src, how };
		snprintf(key, sizeof key, "%s|%s|%s", w.mac, w.sender, w.how);
		struct agg_wol_rec *r = get(a, &a->wol, key);
		if (r) {
			copy(r->mac, sizeof r->mac, w.mac);
			copy(r->sender, sizeof r->sender, w.sender);
			copy(r->how, sizeof r->how, w.how);
			r->count++;
		}
	}
	if (f->mcast_group) {
		snprintf(key, sizeof key, "%s|%s", f->src, f->mcast_group);
		struct agg_mcast *m = get(a, &a->mcast, key);
		if (m) {
			if (!m->pkts) {
				copy(m->sender, sizeof m->sender, f->src);
				copy(m->group, sizeof m->group, f->mcast_group);
				m->port = f->dport;
				m->first_us = f->start_us;
			}
			m->pkts += f->pkts;
			m->bytes += f->bytes;
			if (f->mcast_receivers > m->receivers)
				m->receivers = f->mcast_receivers;
			if (f->start_us < m->first_us)
				m->first_us = f->start_us;
			if (f->end_us > m->last_us)
				m->last_us = f->end_us;
		}
	}
}

void agg_add_flow(struct agg *a, const struct agg_flow *f)
{
	pthread_mutex_lock(&a->lock);
	a->flows++;
	a->proven += f->proven;
	if ((unsigned)f->verdict < sizeof a->verdicts / sizeof a->verdicts[0])
		a->verdicts[f->verdict]++;
	add_span(a, f->start_us, f->end_us);
	add_proto(a, f);
	/* a host without a role is drawn (as "unknown") when its traffic raised a finding */
	const char *nobody = f->verdict == VERDICT_NONCOMPLIANT || f->verdict == VERDICT_UNEXPECTED ? "unknown" : NULL;
	const char *from = f->src_role ? f->src_role : nobody, *to = f->dst_role ? f->dst_role : nobody;
	add_host(a, f->src, f->site, from, f->src_inferred, f->bytes);
	add_host(a, f->dst, f->site, to, f->dst_inferred, f->bytes);
	if (f->src && f->dst && (from || to)) /* the picture shows hosts with a role */
		add_edge(a, f);
	if (f->rule || f->src_role || f->dst_role) /* a flow neither end of which is known is not the site's */
		add_pair(a, f);
	if ((f->http || f->https) && f->src_client && f->dst_role)
		add_web(a, f);
	add_channels(a, f);
	pthread_mutex_unlock(&a->lock);
}

void agg_add_alert(struct agg *a, const struct agg_alert *al)
{
	char key[4 * AGG_L];
	snprintf(key, sizeof key, "%s|%s|%s|%s", al->id, al->src ? al->src : "", al->dst ? al->dst : "",
		 al->service ? al->service : "");
	pthread_mutex_lock(&a->lock);
	struct agg_kind *k = get(a, &a->kinds, al->id);
	if (k && !k->count) {
		copy(k->id, sizeof k->id, al->id);
		copy(k->category, sizeof k->category, al->category);
		copy(k->message, sizeof k->message, al->message);
		k->severity = al->severity;
		k->verdict = al->verdict;
	}
	if (k)
		k->count += al->count;
	struct agg_finding *f = k ? get(a, &a->findings, key) : NULL;
	if (f) {
		if (!f->count) {
			f->kind = k;
			k->groups++;
			copy(f->src, sizeof f->src, al->src);
			copy(f->dst, sizeof f->dst, al->dst);
			copy(f->src_role, sizeof f->src_role, al->src_role ? al->src_role : "unknown");
			copy(f->dst_role, sizeof f->dst_role, al->dst_role ? al->dst_role : "unknown");
			copy(f->service, sizeof f->service, al->service ? al->service : "(no rule)");
			copy(f->rule, sizeof f->rule, al->rule ? al->rule : "-");
			f->filter = strdup(al->filter ? al->filter : "");
			f->first_us = al->ts_us;
		}
		f->count += al->count;
		if (al->ts_us < f->first_us)
			f->first_us = al->ts_us;
		if (al->ts_us > f->last_us)
			f->last_us = al->ts_us;
	}
	pthread_mutex_unlock(&a->lock);
}

void agg_add_note(struct agg *a, const struct agg_note *n)
{
	char key[3 * AGG_L];
	snprintf(key, sizeof key, "%s|%s", n->id, n->detail ? n->detail : "");
	pthread_mutex_lock(&a->lock);
	struct agg_note_rec *r = get(a, &a->notes, key);
	if (r) {
		copy(r->id, sizeof r->id, n->id);
		copy(r->detail, sizeof r->detail, n->detail);
		r->verdict = n->verdict;
		r->severity = n->severity;
	}
	pthread_mutex_unlock(&a->lock);
}

void agg_add_wol(struct agg *a, const struct agg_wol *w)
{
	char key[3 * AGG_S + 3];
	snprintf(key, sizeof key, "%s|%s|%s", w->mac, w->sender, w->how);
	pthread_mutex_lock(&a->lock);
	struct agg_wol_rec *r = get(a, &a->wol, key);
	if (r) {
		copy(r->mac, sizeof r->mac, w->mac);
		copy(r->sender, sizeof r->sender, w->sender);
		copy(r->how, sizeof r->how, w->how);
		r->count++;
	}
	pthread_mutex_unlock(&a->lock);
}

static void add_text(struct agg *a, struct strtable *t, const char *s)
{
	pthread_mutex_lock(&a->lock);
	struct agg_text *x = get(a, t, s);
	if (x)
		copy(x->text, sizeof x->text, s);
	pthread_mutex_unlock(&a->lock);
}

void agg_add_input(struct agg *a, const char *input)
{
	add_text(a, &a->inputs, input);
}

void agg_add_site_config(struct agg *a, const char *path)
{
	add_text(a, &a->sites, path ? path : "(none: roles from inference only)");
}

void agg_set_version(struct agg *a, const char *version)
{
	pthread_mutex_lock(&a->lock);
	copy(a->version, sizeof a->version, version);
	pthread_mutex_unlock(&a->lock);
}

void agg_add_packets(struct agg *a, uint64_t packets)
{
	pthread_mutex_lock(&a->lock);
	a->packets += packets;
	pthread_mutex_unlock(&a->lock);
}

const char *agg_proto_label(const char *app_proto, const char *ndpi_name, bool ndpi_proven, char *buf, size_t len)
{
	if (ndpi_name && ndpi_proven)
		return ndpi_name;
	if (app_proto) {
		const char *own = inspect_label(app_proto);
		if (own)
			return own;
		snprintf(buf, len, "%s (cmflow)", app_proto);
		return buf;
	}
	return ndpi_name && *ndpi_name ? ndpi_name : "Unknown";
}

/* ---- the output: a run's records into the tables ---- */

static bool has_role(const struct flow_record *r, const char *name)
{
	int i = r->lab ? roles_find(r->roles, name, strlen(name)) : -1;
	return i >= 0 && (r->lab->src_roles & ROLE_BIT(i));
}

static void out_flow(void *self, const struct flow_record *r)
{
	const struct flow *f = r->f;
	const struct flow_ext *x = f->ext;
	const struct flow_label *lab = r->lab;
	const struct rule *rule = lab && lab->matched ? lab->match.best : NULL;
	char mac[18];
	struct agg_flow af = {
		.src = r->src, .dst = r->dst, .dport = flow_dst_port(f),
		.proto_label = r->proto_label, .proven = r->proven,
		.site = r->site, .src_role = r->src_role, .dst_role = r->dst_role,
		.src_inferred = lab && lab->src_inferred, .dst_inferred = lab && lab->dst_inferred,
		.src_client = has_role(r, "client"),
		.verdict = lab ? lab->verdict.verdict : VERDICT_UNKNOWN,
		.rule = rule ? rule->id : NULL, .row = rule ? rule->row : NULL,
		.service = rule ? rule->service : NULL, .label = rule ? rule->label : NULL,
		.rpc_interface = r->rpc_interface,
		.pkts = f->pkts[0] + f->pkts[1], .bytes = f->bytes[0] + f->bytes[1],
		.start_us = f->ts_first, .end_us = f->ts_last,
	};
	af.http = (r->app_proto && !strcmp(r->app_proto, "http")) || (x && (x->http_method || x->http_url));
	af.https = !af.http && ((r->app_proto && !strcmp(r->app_proto, "tls")) || f->payload == PAYLOAD_TLS);
	if (r->rpc_interface)
		af.rpc_via = x && x->followup && x->followup->via ? x->followup->via : "bind";
	char uuids[AGG_RPC_MAX][UUID_STR_LEN];
	for (unsigned i = 0; r->smbrpc && i < r->smbrpc->nifaces && af.nrpc < AGG_RPC_MAX; i++) {
		const struct smbrpc_iface *c = &r->smbrpc->ifaces[i];
		af.rpc_names[af.nrpc] = r->ifaces[i].name ? r->ifaces[i].name : uuid_format(c->uuid, uuids[af.nrpc]);
		af.rpc_vias[af.nrpc++] = c->pipe >= 0 ? "pipe" : "bind";
	}
	if (x && x->has_wol) {
		af.wol_mac = wol_mac_str(x->wol_mac, mac, sizeof mac);
		af.wol_addressing = wol_cast_name((enum wol_cast)x->wol_cast);
	}
	if (r->multicast) {
		af.mcast_group = r->dst;
		af.mcast_receivers = r->receivers_seen;
	}
	agg_add_flow(self, &af);
}

static void out_alerts(void *self, const struct flow_record *r)
{
	const struct verdict_result *v = &r->lab->verdict;
	const struct rule *rule = r->lab->matched ? r->lab->match.best : NULL;
	for (unsigned i = 0; i < v->nfindings; i++) {
		if (v->muted[i])
			continue;
		const struct finding_kind *k = v->findings[i];
		struct agg_alert al = {
			.id = k->id, .category = k->category, .message = k->message, .severity = k->severity,
			.verdict = (enum verdict)k->verdict, .src = r->src, .dst = r->dst, .src_role = r->src_role,
			.dst_role = r->dst_role, .service = rule ? rule->service : NULL, .rule = rule ? rule->id : NULL,
			.filter = r->filter, .ts_us = r->f->ts_first, .count = 1 + v->held_back[i],
		};
		agg_add_alert(self, &al);
	}
}

static void out_wol_frame(void *self, const struct wol_frame_event *w)
{
	char mac[18], sender[18], how[AGG_S];
	snprintf(how, sizeof how, "EtherType 0x0842, %s", w->addressing);
	struct agg_wol aw = { wol_mac_str(w->target_mac, mac, sizeof mac), wol_mac_str(w->src_mac, sender, sizeof sender),
			      how };
	agg_add_wol(self, &aw);
}

static void out_host_alert(void *self, const struct host_alert *h)
{
	struct agg_note n = { h->kind->id, h->detail, (enum verdict)h->kind->verdict, h->kind->severity };
	agg_add_note(self, &n);
}

/* A detection over a sequence of flows: a finding between its hosts, its steps as the service. */
static void out_detection(void *self, const struct detection_event *d)
{
	struct agg_alert al = {
		.id = d->kind->id, .category = d->kind->category, .message = d->kind->message,
		.severity = d->kind->severity, .verdict = (enum verdict)d->kind->verdict, .src = d->src,
		.dst = d->dst[0] ? d->dst : NULL, .src_role = d->src_role, .dst_role = d->dst_role,
		.service = d->hit->d->steps_text, .filter = d->filter, .ts_us = d->ts_us, .count = 1 + d->held_back,
	};
	agg_add_alert(self, &al);
}

const struct output_ops aggregate_output_ops = {
	.name = "aggregate",
	.detection = out_detection,
	.alerts = out_alerts,
	.flow = out_flow,
	.wol_frame = out_wol_frame,
	.host_alert = out_host_alert,
};

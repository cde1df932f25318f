/* aggregate.c: the run's aggregates (aggregate.h), and the output that fills them from a run's records. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/posture.h"
#include "flow/flow_ext.h"
#include "flow/inspect.h"
#include "lib/util.h"
#include "output/aggregate.h"
#include "output/display_filter.h"
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
	a->hours = strtable_make(sizeof(struct agg_tick));
	a->minutes = strtable_make(sizeof(struct agg_tick));
	a->census = strtable_make(sizeof(struct agg_census));
	a->clients = strtable_make(sizeof(struct agg_client));
	return a;
}

void agg_free(struct agg *a)
{
	if (!a)
		return;
	struct strtable *all[] = { &a->hosts, &a->edges, &a->pairs, &a->kinds, &a->findings, &a->notes, &a->web,
				   &a->protos, &a->rpc, &a->wol, &a->mcast, &a->inputs, &a->sites, &a->hours,
				   &a->minutes, &a->census, &a->clients };
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
	w->by_design |= f->http_by_design;
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

/* Counts a flow's end, alerts and client HTTP at ts in the timeline's hour and minute (locked by the caller). */
static void add_tick(struct agg *a, uint64_t ts_us, uint64_t flows, uint64_t alerts, uint64_t client_http)
{
	char key[24];
	for (int by_minute = 0; by_minute < 2; by_minute++) {
		uint64_t at = ts_us / (by_minute ? 60000000u : 3600000000u);
		snprintf(key, sizeof key, "%020llu", (unsigned long long)at); /* keys sort in time */
		struct agg_tick *t;
		if (!by_minute) {
			t = get(a, &a->hours, key);
		} else {
			if (a->minutes_full)
				break;
			t = a->minutes.n < AGG_MINUTES_MAX ? strtable_get(&a->minutes, key) : strtable_find(&a->minutes, key);
			if (!t) { /* past two days (or memory short): the timeline is drawn by hour */
				a->minutes_full = true;
				break;
			}
		}
		if (!t)
			continue;
		t->at = at;
		t->flows += flows;
		t->alerts += alerts;
		t->client_http += client_http;
	}
}

const char *agg_auth_class_name(unsigned i)
{
	return client_auth_name((enum client_auth)(i + 1));
}

const char *agg_auth_class_words(unsigned i)
{
	static const char *const words[AGG_AUTH_CLASSES] = { "PKI mutual TLS", "enhanced HTTP", "plain HTTP",
							     "cannot be told" };
	return i < AGG_AUTH_CLASSES ? words[i] : "?";
}

/* The census: a client's web flow to a role of its site by how it authenticates; and, on a current branch site,
 * the client's notification channel against its HTTP and HTTPS polling. Locked by the caller. */
static void add_census(struct agg *a, const struct agg_flow *f)
{
	char key[3 * AGG_S + 3];
	const char *site = f->site ? f->site : "-";
	if (f->client_auth && f->dst_role && f->src) {
		unsigned cls = AGG_AUTH_CLASSES;
		for (unsigned i = 0; i < AGG_AUTH_CLASSES; i++)
			if (!strcmp(f->client_auth, agg_auth_class_name(i)))
				cls = i;
		snprintf(key, sizeof key, "%s|%s|%s", site, f->dst_role, f->src);
		struct agg_census *c = cls < AGG_AUTH_CLASSES ? get(a, &a->census, key) : NULL;
		if (c) {
			copy(c->site, sizeof c->site, site);
			copy(c->role, sizeof c->role, f->dst_role);
			copy(c->client, sizeof c->client, f->src);
			c->classes |= (uint8_t)(1u << cls);
			c->flows++;
		}
	}
	if (!f->set || strcmp(f->set, "cb") || !f->src || (!f->client_notification && !f->client_auth))
		return;
	snprintf(key, sizeof key, "%s|%s", site, f->src);
	struct agg_client *c = get(a, &a->clients, key);
	if (!c)
		return;
	copy(c->site, sizeof c->site, site);
	copy(c->client, sizeof c->client, f->src);
	if (f->client_notification)
		c->notify_flows++;
	else if (f->http)
		c->http_flows++;
	else if (f->https)
		c->https_flows++;
}

size_t agg_census_rows(const struct agg *a, struct agg_census_row **rows)
{
	*rows = NULL;
	size_t *ix = a->census.n ? strtable_sorted(&a->census) : NULL; /* site|role|client: a site's roles together */
	struct agg_census_row *out = ix ? calloc(a->census.n, sizeof *out) : NULL;
	size_t n = 0;
	for (size_t k = 0; out && k < a->census.n; k++) {
		const struct agg_census *c = a->census.vals[ix[k]];
		if (!n || strcmp(out[n - 1].site, c->site) || strcmp(out[n - 1].role, c->role)) {
			copy(out[n].site, sizeof out[n].site, c->site);
			copy(out[n].role, sizeof out[n].role, c->role);
			n++;
		}
		struct agg_census_row *r = &out[n - 1];
		r->clients++;
		r->flows += c->flows;
		for (unsigned i = 0; i < AGG_AUTH_CLASSES; i++)
			r->by_class[i] += (c->classes >> i) & 1;
	}
	free(ix);
	if (!n)
		free(out);
	else
		*rows = out;
	return n;
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
	if (f->end_us)
		add_tick(a, f->end_us, 1, 0, f->http && f->src_client && !f->http_by_design);
	add_census(a, f);
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
		copy(k->advice, sizeof k->advice, al->advice);
		copy(k->advice_source, sizeof k->advice_source, al->advice_source);
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
			f->ip_proto = al->ip_proto;
			f->port = al->dport;
			f->first_us = al->ts_us;
		}
		if (f->ip_proto != al->ip_proto)
			f->mixed_proto = true;
		if (f->port != al->dport)
			f->port = 0;
		f->count += al->count;
		if (al->ts_us)
			add_tick(a, al->ts_us, 0, al->count, 0);
		if (al->ts_us < f->first_us)
			f->first_us = al->ts_us;
		uint64_t end = al->end_us > al->ts_us ? al->end_us : al->ts_us;
		if (end > f->last_us)
			f->last_us = end;
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
		copy(r->advice, sizeof r->advice, n->advice);
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

/* ---- finding groups ---- */

static int pair_order(const void *a, const void *b)
{
	const struct agg_finding *x = *(const struct agg_finding *const *)a, *y = *(const struct agg_finding *const *)b;
	if (x->count != y->count)
		return x->count < y->count ? 1 : -1;
	int c = strcmp(x->src, y->src);
	return c ? c : strcmp(x->dst, y->dst);
}

static int group_order(const void *a, const void *b)
{
	const struct agg_group *x = a, *y = b;
	if (x->kind->severity != y->kind->severity)
		return x->kind->severity - y->kind->severity;
	int c = strcmp(x->kind->id, y->kind->id);
	if (c)
		return c;
	if (x->count != y->count)
		return x->count < y->count ? 1 : -1;
	c = strcmp(x->src_role, y->src_role);
	if (c)
		return c;
	c = strcmp(x->dst_role, y->dst_role);
	return c ? c : strcmp(x->service, y->service);
}

struct agg_group *agg_groups(const struct agg *a, size_t *n)
{
	*n = 0;
	if (!a->findings.n)
		return NULL;
	struct strtable by = strtable_make(sizeof(size_t)); /* group key -> group index + 1 */
	struct agg_group *g = calloc(a->findings.n, sizeof *g);
	size_t ng = 0;
	for (size_t i = 0; g && i < a->findings.n; i++) {
		const struct agg_finding *f = a->findings.vals[i];
		char key[4 * AGG_L];
		snprintf(key, sizeof key, "%s|%s|%s|%s", f->kind->id, f->src_role, f->dst_role, f->service);
		size_t *at = strtable_get(&by, key);
		if (!at)
			continue;
		if (!*at) {
			*at = ++ng;
			g[*at - 1] = (struct agg_group){ f->kind, f->src_role, f->dst_role, f->service, 0, f->first_us, 0, 0, NULL };
		}
		struct agg_group *x = &g[*at - 1];
		x->count += f->count;
		x->npairs++;
		if (f->first_us < x->first_us)
			x->first_us = f->first_us;
		if (f->last_us > x->last_us)
			x->last_us = f->last_us;
	}
	for (size_t i = 0; g && i < ng; i++)
		if (!(g[i].pairs = calloc(g[i].npairs, sizeof *g[i].pairs))) {
			agg_groups_free(g, ng);
			g = NULL;
		} else {
			g[i].npairs = 0;
		}
	for (size_t i = 0; g && i < a->findings.n; i++) {
		const struct agg_finding *f = a->findings.vals[i];
		char key[4 * AGG_L];
		snprintf(key, sizeof key, "%s|%s|%s|%s", f->kind->id, f->src_role, f->dst_role, f->service);
		const size_t *at = strtable_find(&by, key);
		if (at && *at)
			g[*at - 1].pairs[g[*at - 1].npairs++] = f;
	}
	strtable_free(&by);
	if (!g)
		return NULL;
	for (size_t i = 0; i < ng; i++)
		qsort(g[i].pairs, g[i].npairs, sizeof *g[i].pairs, pair_order);
	qsort(g, ng, sizeof *g, group_order);
	*n = ng;
	return g;
}

void agg_groups_free(struct agg_group *g, size_t n)
{
	for (size_t i = 0; g && i < n; i++)
		free(g[i].pairs);
	free(g);
}

void agg_alert_counts(const struct agg *a, uint64_t counts[4][5])
{
	memset(counts, 0, sizeof(uint64_t) * 4 * 5);
	for (size_t i = 0; i < a->kinds.n; i++) {
		const struct agg_kind *k = a->kinds.vals[i];
		if (k->severity >= 1 && k->severity <= 3 && (unsigned)k->verdict < 5)
			counts[k->severity][k->verdict] += k->count;
	}
	for (size_t i = 0; i < a->notes.n; i++) {
		const struct agg_note_rec *n = a->notes.vals[i];
		if (n->severity >= 1 && n->severity <= 3 && (unsigned)n->verdict < 5)
			counts[n->severity][n->verdict]++;
	}
}

/* One CSV field (RFC 4180: quoted when it holds a comma, a quote or a line end; quotes doubled). */
static void csv_field(FILE *o, const char *s, bool last)
{
	bool quote = s && strpbrk(s, ",\"\r\n");
	if (quote)
		fputc('"', o);
	/* a text from the wire (an EVE file's host or role) that a spreadsheet would take for a formula stays text */
	if (s && ((*s && strchr("=+@\t\r", *s)) || (*s == '-' && s[1])))
		fputc('\'', o);
	for (; s && *s; s++) {
		if (*s == '"')
			fputc('"', o);
		fputc(*s, o);
	}
	if (quote)
		fputc('"', o);
	fputs(last ? "\r\n" : ",", o);
}

const char *agg_finding_filter(const struct agg_finding *f, char *buf, size_t len)
{
	return hosts_display_filter(f->src, f->dst, f->mixed_proto ? 0 : f->ip_proto, f->mixed_proto ? 0 : f->port,
				    f->first_us, f->last_us, buf, len);
}

bool agg_write_csv(const struct agg *a, FILE *o)
{
	static const char *const head[] = { "finding", "severity", "verdict", "from_host", "from_role", "to_host",
					    "to_role", "service", "rule", "count", "first", "last", "wireshark_filter",
					    "advice", "advice_source" };
	for (size_t i = 0; i < sizeof head / sizeof head[0]; i++)
		csv_field(o, head[i], i + 1 == sizeof head / sizeof head[0]);
	size_t n;
	struct agg_group *g = agg_groups(a, &n);
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < g[i].npairs; k++) {
			const struct agg_finding *f = g[i].pairs[k];
			char sev[4], count[24], t1[TS_STR_MAX], t2[TS_STR_MAX], filter[AGG_FILTER_MAX];
			snprintf(sev, sizeof sev, "%d", f->kind->severity);
			snprintf(count, sizeof count, "%llu", (unsigned long long)f->count);
			const char *row[] = { f->kind->id, sev, verdict_name(f->kind->verdict), f->src, f->src_role, f->dst,
					      f->dst_role, f->service, f->rule, count, ts_to_eve(f->first_us, t1, sizeof t1),
					      ts_to_eve(f->last_us, t2, sizeof t2),
					      agg_finding_filter(f, filter, sizeof filter), f->kind->advice,
					      f->kind->advice_source };
			for (size_t c = 0; c < sizeof row / sizeof row[0]; c++)
				csv_field(o, row[c], c + 1 == sizeof row / sizeof row[0]);
		}
	agg_groups_free(g, n);
	return !ferror(o);
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
		.set = r->set, .client_auth = r->client_auth, .client_notification = r->client_notification,
	};
	af.http = (r->app_proto && !strcmp(r->app_proto, "http")) || (x && (x->http_method || x->http_url));
	af.https = !af.http && ((r->app_proto && !strcmp(r->app_proto, "tls")) || f->payload == PAYLOAD_TLS);
	af.http_by_design = r->http_by_design && af.http; /* as EVE says it: on the HTTP flows */
	if (r->rpc_interface)
		af.rpc_via = x && x->followup && x->followup->via ? x->followup->via : "bind";
	char uuids[AGG_RPC_MAX][UUID_STR_LEN];
	for (unsigned i = 0; r->smbrpc && i < r->smbrpc->nifaces && af.nrpc < AGG_RPC_MAX; i++) {
		const struct smbrpc_iface *c = &r->smbrpc->ifaces[i];
		af.rpc_names[af.nrpc] = r->ifaces[i].name ? r->ifaces[i].name : uuid_format(c->uuid, uuids[af.nrpc]);
		af.rpc_vias[af.nrpc++] = c->pipe >= 0 ? "pipe" : "bind";
	}
	const struct flow_wol *wol = flow_wol(r->f);
	if (wol && wol->has) {
		af.wol_mac = wol_mac_str(wol->mac, mac, sizeof mac);
		af.wol_addressing = wol_cast_name((enum wol_cast)wol->cast);
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
			.id = k->id, .category = k->category, .message = k->message, .advice = k->advice,
			.advice_source = k->advice_source, .severity = k->severity,
			.verdict = (enum verdict)k->verdict, .src = r->src, .dst = r->dst, .src_role = r->src_role,
			.dst_role = r->dst_role, .service = rule ? rule->service : NULL, .rule = rule ? rule->id : NULL,
			.ip_proto = r->f->key.ip_proto, .dport = flow_dst_port(r->f), .ts_us = r->f->ts_first,
			.end_us = r->f->ts_last, .count = 1 + v->held_back[i],
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
	struct agg_note n = { .id = h->kind->id, .detail = h->detail, .advice = h->kind->advice,
			      .verdict = (enum verdict)h->kind->verdict, .severity = h->kind->severity };
	agg_add_note(self, &n);
}

/* A detection over a sequence of flows: a finding between its hosts, its steps as the service, with the span,
 * protocol and server port of its flows (as its EVE alert gives them to the report's reader). */
static void out_detection(void *self, const struct detection_event *d)
{
	struct agg_alert al = {
		.id = d->kind->id, .category = d->kind->category, .message = d->kind->message,
		.advice = d->kind->advice, .advice_source = d->kind->advice_source,
		.severity = d->kind->severity, .verdict = (enum verdict)d->kind->verdict, .src = d->src,
		.dst = d->dst[0] ? d->dst : NULL, .src_role = d->src_role, .dst_role = d->dst_role,
		.service = d->hit->d->steps_text, .ip_proto = d->ip_proto, .dport = d->dport, .ts_us = d->ts_us,
		.end_us = d->end_us, .count = 1 + d->held_back,
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

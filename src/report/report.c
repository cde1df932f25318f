/* report.c: EVE lines -> aggregates -> one self-contained HTML page. */
#define _GNU_SOURCE /* qsort_r, M_PI */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/jsonread.h"
#include "report/report.h"
#include "audit/verdict.h"

/* ---- a string-keyed table of records, in insertion order ---- */

struct table {
	char **keys;
	void **vals;
	size_t n, cap;         /* records */
	uint32_t *slots;       /* open addressing: record index + 1 */
	size_t nslots;
	size_t size;           /* bytes of one record */
};

static uint64_t fnv(const char *s)
{
	uint64_t h = 1469598103934665603ull;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

/* The record for key, or NULL. */
static void *table_find(const struct table *t, const char *key)
{
	for (size_t i = t->nslots ? fnv(key) & (t->nslots - 1) : 0; t->nslots; i = (i + 1) & (t->nslots - 1)) {
		uint32_t s = t->slots[i];
		if (!s)
			break;
		if (strcmp(t->keys[s - 1], key) == 0)
			return t->vals[s - 1];
	}
	return NULL;
}

/* The record for key, created zeroed when new; NULL when memory is short. */
static void *table_get(struct table *t, const char *key)
{
	void *found = table_find(t, key);
	if (found)
		return found;
	if (2 * (t->n + 1) > t->nslots) { /* grow and rehash */
		size_t ns = t->nslots ? 2 * t->nslots : 64;
		uint32_t *slots = calloc(ns, sizeof *slots);
		if (!slots)
			return NULL;
		for (size_t r = 0; r < t->n; r++) {
			size_t i = fnv(t->keys[r]) & (ns - 1);
			while (slots[i])
				i = (i + 1) & (ns - 1);
			slots[i] = (uint32_t)(r + 1);
		}
		free(t->slots);
		t->slots = slots;
		t->nslots = ns;
	}
	if (t->n == t->cap) {
		size_t nc = t->cap ? 2 * t->cap : 64;
		char **k = realloc(t->keys, nc * sizeof *k);
		if (k)
			t->keys = k;
		void **v = realloc(t->vals, nc * sizeof *v);
		if (v)
			t->vals = v;
		if (!k || !v)
			return NULL;
		t->cap = nc;
	}
	char *k = strdup(key);
	void *v = calloc(1, t->size);
	if (!k || !v) {
		free(k);
		free(v);
		return NULL;
	}
	size_t i = fnv(key) & (t->nslots - 1);
	while (t->slots[i])
		i = (i + 1) & (t->nslots - 1);
	t->slots[i] = (uint32_t)(t->n + 1);
	t->keys[t->n] = k;
	t->vals[t->n] = v;
	t->n++;
	return v;
}

static void table_free(struct table *t)
{
	for (size_t i = 0; i < t->n; i++) {
		free(t->keys[i]);
		free(t->vals[i]);
	}
	free(t->keys);
	free(t->vals);
	free(t->slots);
}

/* ---- the aggregates ---- */

#define S 64   /* short strings: addresses, roles, sites, ids */
#define L 256  /* services, labels, messages */

struct rhost { char ip[S], site[S], role[S]; int inferred; uint64_t bytes, flows; };
struct redge { char src[S], dst[S]; uint64_t bytes, flows; enum verdict worst; };
struct rcell { char from[S], to[S], service[L], rule[S], row[S], label[L]; uint64_t flows, bytes; enum verdict worst; };
struct rfind {
	char id[S], category[S], src[S], dst[S], service[L], message[2 * L], filter[2 * L], first[S], last[S];
	int severity;
	enum verdict verdict;
	uint64_t count;
};
struct rnote { char id[S], detail[2 * L]; enum verdict verdict; int severity; };
struct rweb { char site[S], role[S]; uint64_t http_bytes, https_bytes, http_flows, https_flows; };
struct rrpc { char iface[S], via[S]; uint64_t count; };
struct rwol { char mac[S], sender[S], how[S]; uint64_t count; };
struct rmcast { char sender[S], group[S]; uint64_t port, pkts, bytes, receivers; };
struct rinput { char text[2 * L]; };

struct report {
	struct table hosts, edges, cells, finds, notes, web, rpc, wol, mcast, inputs, sites;
	uint64_t flows, packets, bad_lines, eve_files;
	char first[S], last[S], version[S];
};

struct report *report_new(void)
{
	struct report *r = calloc(1, sizeof *r);
	if (!r)
		return NULL;
	r->hosts.size = sizeof(struct rhost);
	r->edges.size = sizeof(struct redge);
	r->cells.size = sizeof(struct rcell);
	r->finds.size = sizeof(struct rfind);
	r->notes.size = sizeof(struct rnote);
	r->web.size = sizeof(struct rweb);
	r->rpc.size = sizeof(struct rrpc);
	r->wol.size = sizeof(struct rwol);
	r->mcast.size = sizeof(struct rmcast);
	r->inputs.size = sizeof(struct rinput);
	r->sites.size = sizeof(struct rinput);
	return r;
}

void report_free(struct report *r)
{
	if (!r)
		return;
	struct table *all[] = { &r->hosts, &r->edges, &r->cells, &r->finds, &r->notes, &r->web, &r->rpc, &r->wol,
				&r->mcast, &r->inputs, &r->sites };
	for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
		table_free(all[i]);
	free(r);
}

/* Copies src (cut to fit: the fields are bounded) */
static void copy(char *dst, size_t len, const char *src)
{
	size_t n = src ? strlen(src) : 0;
	if (n > len - 1)
		n = len - 1;
	if (n)
		memcpy(dst, src, n);
	dst[n] = '\0';
}

static void span(struct report *r, const char *ts)
{
	if (!ts || !*ts)
		return;
	if (!r->first[0] || strcmp(ts, r->first) < 0) /* EVE timestamps share one format and zone: text order */
		copy(r->first, sizeof r->first, ts);
	if (strcmp(ts, r->last) > 0)
		copy(r->last, sizeof r->last, ts);
}

static bool array_has(const struct jv *arr, const char *s)
{
	for (const struct jv *c = arr && arr->type == JV_ARRAY ? arr->child : NULL; c; c = c->next)
		if (c->type == JV_STRING && !strcmp(c->str, s))
			return true;
	return false;
}

static void add_host(struct report *r, const char *ip, const char *site, const char *role, bool inferred,
		     uint64_t bytes)
{
	if (!ip)
		return;
	struct rhost *h = table_get(&r->hosts, ip);
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

static void on_flow(struct report *r, const struct jv *e)
{
	const struct jv *cm = jv_get(e, "configmgr");
	const char *src = jv_str(e, "src_ip"), *dst = jv_str(e, "dest_ip");
	uint64_t bytes = jv_u64(e, "flow.bytes_toserver", 0) + jv_u64(e, "flow.bytes_toclient", 0);
	uint64_t pkts = jv_u64(e, "flow.pkts_toserver", 0) + jv_u64(e, "flow.pkts_toclient", 0);
	const char *site = jv_str(cm, "site");
	const char *from = jv_str(cm, "src_role"), *to = jv_str(cm, "dest_role");
	enum verdict verdict = verdict_parse(jv_str(cm, "verdict"));
	char key[4 * L];
	r->flows++;
	span(r, jv_str(e, "flow.start"));
	span(r, jv_str(e, "flow.end"));
	/* a host without a role is drawn (as "unknown") when its traffic raised a finding */
	const char *nobody = verdict >= VERDICT_NONCOMPLIANT ? "unknown" : NULL;
	add_host(r, src, site, from ? from : nobody, jv_get(cm, "src_roles_inferred") != NULL, bytes);
	add_host(r, dst, site, to ? to : nobody, jv_get(cm, "dest_roles_inferred") != NULL, bytes);
	if (src && dst && (from || to || nobody)) { /* the picture shows hosts with a role */
		snprintf(key, sizeof key, "%s|%s", src, dst);
		struct redge *g = table_get(&r->edges, key);
		if (g) {
			copy(g->src, sizeof g->src, src);
			copy(g->dst, sizeof g->dst, dst);
			g->bytes += bytes;
			g->flows++;
			if (verdict > g->worst)
				g->worst = verdict;
		}
	}
	const char *rule = jv_str(cm, "rule");
	if (rule) {
		const char *service = jv_str(cm, "service");
		snprintf(key, sizeof key, "%s|%s|%s|%s", from ? from : "", to ? to : "", service ? service : "", rule);
		struct rcell *c = table_get(&r->cells, key);
		if (c) {
			copy(c->from, sizeof c->from, from ? from : "unknown");
			copy(c->to, sizeof c->to, to ? to : "unknown");
			copy(c->service, sizeof c->service, jv_str(cm, "service"));
			copy(c->rule, sizeof c->rule, rule);
			copy(c->row, sizeof c->row, jv_str(cm, "source_row"));
			copy(c->label, sizeof c->label, jv_str(cm, "label"));
			c->flows++;
			c->bytes += bytes;
			if (verdict > c->worst)
				c->worst = verdict;
		}
	}
	/* client web traffic: HTTP or HTTPS, by the site and role it went to */
	const char *app = jv_str(e, "app_proto"), *payload = jv_str(cm, "payload");
	bool http = (app && !strcmp(app, "http")) || jv_get(cm, "http");
	bool https = !http && ((app && !strcmp(app, "tls")) || (payload && !strcmp(payload, "tls")));
	if ((http || https) && array_has(jv_get(cm, "src_roles"), "client") && to) {
		snprintf(key, sizeof key, "%s|%s", site ? site : "", to);
		struct rweb *w = table_get(&r->web, key);
		if (w) {
			copy(w->site, sizeof w->site, site ? site : "-");
			copy(w->role, sizeof w->role, to);
			if (http)
				w->http_bytes += bytes, w->http_flows++;
			else
				w->https_bytes += bytes, w->https_flows++;
		}
	}
	const char *iface = jv_str(cm, "rpc.interface");
	if (iface) {
		const char *via = jv_str(cm, "rpc.via");
		snprintf(key, sizeof key, "%s|%s", iface, via ? via : "");
		struct rrpc *p = table_get(&r->rpc, key);
		if (p) {
			copy(p->iface, sizeof p->iface, iface);
			copy(p->via, sizeof p->via, via);
			p->count++;
		}
	}
	const char *mac = jv_str(cm, "wol.target_mac");
	if (mac && src) {
		char how[S];
		snprintf(how, sizeof how, "UDP %llu, %s", (unsigned long long)jv_u64(e, "dest_port", 0),
			 jv_str(cm, "wol.addressing") ? jv_str(cm, "wol.addressing") : "?");
		snprintf(key, sizeof key, "%s|%s|%s", mac, src, how);
		struct rwol *w = table_get(&r->wol, key);
		if (w) {
			copy(w->mac, sizeof w->mac, mac);
			copy(w->sender, sizeof w->sender, src);
			copy(w->how, sizeof w->how, how);
			w->count++;
		}
	}
	const char *group = jv_str(cm, "multicast.group");
	if (group && src) {
		snprintf(key, sizeof key, "%s|%s", src, group);
		struct rmcast *m = table_get(&r->mcast, key);
		if (m) {
			copy(m->sender, sizeof m->sender, src);
			copy(m->group, sizeof m->group, group);
			m->port = jv_u64(e, "dest_port", 0);
			m->pkts += pkts;
			m->bytes += bytes;
			uint64_t n = jv_u64(cm, "multicast.receivers_seen", 0);
			if (n > m->receivers)
				m->receivers = n;
		}
	}
}

static void on_alert(struct report *r, const struct jv *e)
{
	const struct jv *cm = jv_get(e, "configmgr");
	const char *id = jv_str(cm, "finding");
	char key[4 * L];
	if (!id) { /* about the configuration or the whole run: no flow */
		const struct jv *reasons = jv_get(cm, "reasons");
		const char *rid = reasons && reasons->child && reasons->child->type == JV_STRING ? reasons->child->str : "?";
		const char *detail = jv_str(cm, "detail");
		snprintf(key, sizeof key, "%s|%s", rid, detail ? detail : "");
		struct rnote *n = table_get(&r->notes, key);
		if (n) {
			copy(n->id, sizeof n->id, rid);
			copy(n->detail, sizeof n->detail, detail);
			n->verdict = verdict_parse(jv_str(cm, "verdict"));
			n->severity = (int)jv_u64(e, "alert.severity", 3);
		}
		return;
	}
	const char *src = jv_str(e, "src_ip"), *dst = jv_str(e, "dest_ip");
	const char *service = jv_str(cm, "service");
	const char *ts = jv_str(e, "timestamp");
	snprintf(key, sizeof key, "%s|%s|%s|%s", id, src ? src : "", dst ? dst : "", service ? service : "");
	struct rfind *f = table_get(&r->finds, key);
	if (!f)
		return;
	if (!f->count) {
		copy(f->id, sizeof f->id, id);
		copy(f->category, sizeof f->category, jv_str(e, "alert.category"));
		copy(f->message, sizeof f->message, jv_str(e, "alert.signature"));
		copy(f->src, sizeof f->src, src);
		copy(f->dst, sizeof f->dst, dst);
		copy(f->service, sizeof f->service, service ? service : "(no rule)");
		copy(f->filter, sizeof f->filter, jv_str(cm, "wireshark_filter"));
		f->severity = (int)jv_u64(e, "alert.severity", 3);
		f->verdict = verdict_parse(jv_str(cm, "verdict"));
		copy(f->first, sizeof f->first, ts);
	}
	f->count += 1 + jv_u64(cm, "repeats_held_back", 0);
	if (ts && (!f->first[0] || strcmp(ts, f->first) < 0))
		copy(f->first, sizeof f->first, ts);
	if (ts && strcmp(ts, f->last) > 0)
		copy(f->last, sizeof f->last, ts);
}

static void on_wol_frame(struct report *r, const struct jv *e)
{
	const char *mac = jv_str(e, "configmgr.wol.target_mac"), *sender = jv_str(e, "ether.src_mac");
	if (!mac || !sender)
		return;
	char how[S], key[4 * L];
	snprintf(how, sizeof how, "EtherType 0x0842, %s", jv_str(e, "configmgr.wol.addressing") ?
		 jv_str(e, "configmgr.wol.addressing") : "?");
	snprintf(key, sizeof key, "%s|%s|%s", mac, sender, how);
	struct rwol *w = table_get(&r->wol, key);
	if (w) {
		copy(w->mac, sizeof w->mac, mac);
		copy(w->sender, sizeof w->sender, sender);
		copy(w->how, sizeof w->how, how);
		w->count++;
	}
}

static void on_stats(struct report *r, const struct jv *e)
{
	r->packets += jv_u64(e, "stats.decoder.pkts", 0);
	const struct jv *run = jv_path(e, "cmflow.run");
	if (!run)
		return;
	const char *v = jv_str(run, "version");
	if (v)
		copy(r->version, sizeof r->version, v);
	for (const struct jv *c = jv_get(run, "inputs") ? jv_get(run, "inputs")->child : NULL; c; c = c->next)
		if (c->type == JV_STRING) {
			struct rinput *in = table_get(&r->inputs, c->str);
			if (in)
				copy(in->text, sizeof in->text, c->str);
		}
	const char *site = jv_str(run, "site_config");
	struct rinput *s = table_get(&r->sites, site ? site : "(none: roles from inference only)");
	if (s)
		copy(s->text, sizeof s->text, site ? site : "(none: roles from inference only)");
}

bool report_add_eve(struct report *r, const char *path, long offset, char *err, size_t errlen)
{
	FILE *fp = fopen(path, "r");
	if (!fp) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return false;
	}
	bool ok = report_add_eve_stream(r, fp, path, offset, err, errlen);
	fclose(fp);
	return ok;
}

bool report_add_eve_stream(struct report *r, FILE *fp, const char *path, long offset, char *err, size_t errlen)
{
	if (fseek(fp, offset, SEEK_SET) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return false;
	}
	r->eve_files++;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	char perr[128];
	while ((n = getline(&line, &cap, fp)) > 0) {
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			n--;
		if (n == 0)
			continue;
		struct jv_doc *d = jv_parse(line, (size_t)n, perr, sizeof perr);
		const struct jv *e = jv_root(d);
		const char *type = jv_str(e, "event_type");
		if (!type)
			r->bad_lines++;
		else if (!strcmp(type, "flow"))
			on_flow(r, e);
		else if (!strcmp(type, "alert"))
			on_alert(r, e);
		else if (!strcmp(type, "wol"))
			on_wol_frame(r, e);
		else if (!strcmp(type, "stats"))
			on_stats(r, e);
		jv_free(d);
	}
	free(line);
	bool ok = !ferror(fp);
	if (!ok)
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
	return ok;
}

/* ---- writing ---- */

static void esc(FILE *o, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '<': fputs("&lt;", o); break;
		case '>': fputs("&gt;", o); break;
		case '&': fputs("&amp;", o); break;
		case '"': fputs("&quot;", o); break;
		case '\'': fputs("&#39;", o); break;
		default:
			if ((unsigned char)*s < 0x20)
				fprintf(o, "&#x%x;", 0x2400 + (unsigned char)*s); /* control pictures: visible, harmless */
			else
				fputc(*s, o);
		}
	}
}

static const char *verdict_colour(enum verdict v)
{
	switch (v) {
	case VERDICT_EXPECTED: return "#2e7d32";
	case VERDICT_NONCOMPLIANT: return "#ef6c00";
	case VERDICT_UNEXPECTED: return "#c62828";
	default: return "#9e9e9e";
	}
}

static int by_key(const void *a, const void *b, void *keys)
{
	char **k = keys;
	return strcmp(k[*(const size_t *)a], k[*(const size_t *)b]);
}

/* Record indices of a table in key order (deterministic output whatever the order of the inputs). */
static size_t *sorted(const struct table *t)
{
	size_t *ix = malloc((t->n ? t->n : 1) * sizeof *ix);
	if (!ix)
		return NULL;
	for (size_t i = 0; i < t->n; i++)
		ix[i] = i;
	qsort_r(ix, t->n, sizeof *ix, by_key, t->keys);
	return ix;
}

/* The picture's nodes: one per host, or per role and site beyond 50 hosts. */
#define GRAPH_MAX_HOSTS 50

struct node { char name[3 * S + 4], role[S]; unsigned hosts; uint64_t bytes; double x, y; };

static const char *node_of(const struct rhost *h, bool collapse, char *buf, size_t len)
{
	if (collapse)
		snprintf(buf, len, "%s|%s", h->role[0] ? h->role : "unknown", h->site);
	else
		snprintf(buf, len, "%s", h->ip);
	return buf;
}

static void write_graph(const struct report *r, FILE *o)
{
	size_t nh = 0;
	for (size_t i = 0; i < r->hosts.n; i++)
		nh += ((struct rhost *)r->hosts.vals[i])->role[0] != '\0';
	bool collapse = nh > GRAPH_MAX_HOSTS;
	struct table nodes = { .size = sizeof(struct node) }, groups = { .size = sizeof(unsigned) };
	size_t *hix = sorted(&r->hosts);
	char key[2 * S + 2];
	for (size_t k = 0; hix && k < r->hosts.n; k++) {
		const struct rhost *h = r->hosts.vals[hix[k]];
		if (!h->role[0])
			continue;
		struct node *n = table_get(&nodes, node_of(h, collapse, key, sizeof key));
		if (!n)
			continue;
		if (!n->hosts) {
			if (collapse)
				snprintf(n->name, sizeof n->name, "%s%s%s", h->role, h->site[0] ? " @" : "", h->site);
			else
				copy(n->name, sizeof n->name, h->ip);
			copy(n->role, sizeof n->role, h->role);
			table_get(&groups, h->role);
		}
		n->hosts++;
		n->bytes += h->bytes;
	}
	/* role groups on a circle, their nodes in a column around the group's place */
	const double W = 960, H = 640, cx = W / 2, cy = H / 2, R = 230;
	size_t *gix = sorted(&groups);
	for (size_t g = 0; gix && g < groups.n; g++) {
		const char *role = groups.keys[gix[g]];
		double a = 2 * M_PI * (double)g / (double)(groups.n ? groups.n : 1) - M_PI / 2;
		double gx = cx + R * cos(a), gy = cy + R * sin(a);
		unsigned count = 0, idx = 0;
		for (size_t i = 0; i < nodes.n; i++)
			count += !strcmp(((struct node *)nodes.vals[i])->role, role);
		for (size_t i = 0; i < nodes.n; i++) {
			struct node *n = nodes.vals[i];
			if (strcmp(n->role, role))
				continue;
			n->x = gx + 60.0 * ((double)(idx % 3) - 1.0);
			n->y = gy + 22.0 * ((double)(idx / 3) - (double)(count / 3) / 2.0);
			idx++;
		}
	}
	fprintf(o, "<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"site-graph\" viewBox=\"0 0 %.0f %.0f\" width=\"100%%\" "
		   "role=\"img\" aria-label=\"hosts grouped by role, edges by verdict\">\n", W, H);
	fprintf(o, "<rect width=\"100%%\" height=\"100%%\" fill=\"#fafafa\"/>\n");
	size_t *eix = sorted(&r->edges);
	size_t nedges = 0;
	struct table drawn = { .size = sizeof(struct redge) };
	for (size_t k = 0; eix && k < r->edges.n; k++) { /* edges between nodes: bytes summed, worst verdict */
		const struct redge *e = r->edges.vals[eix[k]];
		const struct rhost *a = table_find(&r->hosts, e->src), *b = table_find(&r->hosts, e->dst);
		if (!a || !b || !a->role[0] || !b->role[0])
			continue;
		char ka[2 * S + 2], kb[2 * S + 2], kk[5 * S + 8];
		snprintf(kk, sizeof kk, "%s>%s", node_of(a, collapse, ka, sizeof ka), node_of(b, collapse, kb, sizeof kb));
		struct redge *d = table_get(&drawn, kk);
		if (!d)
			continue;
		copy(d->src, sizeof d->src, ka);
		copy(d->dst, sizeof d->dst, kb);
		d->bytes += e->bytes;
		d->flows += e->flows;
		if (e->worst > d->worst)
			d->worst = e->worst;
	}
	for (size_t k = 0; k < drawn.n; k++) {
		const struct redge *d = drawn.vals[k];
		struct node *a = table_get(&nodes, d->src), *b = table_get(&nodes, d->dst);
		if (!a || !b)
			continue;
		double w = 0.8 + log10((double)d->bytes + 1.0) / 2.0;
		fprintf(o, "<line class=\"edge %s\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
			   "stroke-width=\"%.1f\" stroke-opacity=\"0.6\"><title>", verdict_name(d->worst), a->x, a->y, b->x,
			b->y, verdict_colour(d->worst), w);
		esc(o, a->name);
		fputs(" -> ", o);
		esc(o, b->name);
		fprintf(o, ": %llu flows, %llu bytes, %s</title></line>\n", (unsigned long long)d->flows,
			(unsigned long long)d->bytes, verdict_name(d->worst));
		nedges++;
	}
	for (size_t g = 0; gix && g < groups.n; g++) {
		double a = 2 * M_PI * (double)g / (double)(groups.n ? groups.n : 1) - M_PI / 2;
		double gx = cx + (R + 70) * cos(a), gy = cy + (R + 70) * sin(a);
		fprintf(o, "<text class=\"group\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"13\" "
			   "font-weight=\"bold\">", gx, gy);
		esc(o, groups.keys[gix[g]]);
		fputs("</text>\n", o);
	}
	for (size_t i = 0; i < nodes.n; i++) {
		const struct node *n = nodes.vals[i];
		fprintf(o, "<g class=\"node\"><circle cx=\"%.1f\" cy=\"%.1f\" r=\"%.1f\" fill=\"#1565c0\"/><title>", n->x, n->y,
			collapse ? 5.0 + log10((double)n->hosts + 1.0) * 3.0 : 5.0);
		esc(o, n->name);
		fputs(" (", o);
		esc(o, n->role);
		fprintf(o, ", %u host%s, %llu bytes)</title></g>\n", n->hosts, n->hosts == 1 ? "" : "s",
			(unsigned long long)n->bytes);
		if (collapse || nodes.n <= 30) {
			fprintf(o, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"9\" text-anchor=\"middle\">", n->x, n->y - 7);
			esc(o, collapse ? "" : n->name);
			if (collapse)
				fprintf(o, "%u", n->hosts);
			fputs("</text>\n", o);
		}
	}
	fputs("</svg>\n", o);
	fprintf(o, "<p class=\"legend\"><span style=\"color:#2e7d32\">&#9632; expected</span> "
		   "<span style=\"color:#ef6c00\">&#9632; noncompliant</span> <span style=\"color:#c62828\">&#9632; "
		   "unexpected</span> <span style=\"color:#9e9e9e\">&#9632; no rule</span>; %zu nodes%s, %zu edges; line "
		   "width grows with the bytes.</p>\n", nodes.n, collapse ? " (hosts of one role and site drawn as one)" : "",
		nedges);
	free(hix);
	free(gix);
	free(eix);
	table_free(&nodes);
	table_free(&groups);
	table_free(&drawn);
}

static int find_order(const void *a, const void *b, void *vals)
{
	void **v = vals;
	const struct rfind *x = v[*(const size_t *)a], *y = v[*(const size_t *)b];
	if (x->severity != y->severity)
		return x->severity - y->severity;
	int c = strcmp(x->id, y->id);
	if (c)
		return c;
	if (x->count != y->count)
		return x->count < y->count ? 1 : -1;
	c = strcmp(x->src, y->src);
	return c ? c : strcmp(x->dst, y->dst);
}

static void write_findings(const struct report *r, FILE *o)
{
	fprintf(o, "<h2 id=\"findings\">Findings</h2>\n");
	if (r->notes.n) {
		fprintf(o, "<h3>The configuration and the traffic</h3>\n<table id=\"notes\"><tr><th>finding</th><th>verdict</th>"
			   "<th>detail</th></tr>\n");
		size_t *ix = sorted(&r->notes);
		for (size_t k = 0; ix && k < r->notes.n; k++) {
			const struct rnote *n = r->notes.vals[ix[k]];
			fputs("<tr><td>", o);
			esc(o, n->id);
			fprintf(o, "</td><td class=\"%s\">%s</td><td>", verdict_name(n->verdict), verdict_name(n->verdict));
			esc(o, n->detail);
			fputs("</td></tr>\n", o);
		}
		free(ix);
		fputs("</table>\n", o);
	}
	if (!r->finds.n) {
		fputs("<p id=\"no-findings\">No finding on the flows.</p>\n", o);
		return;
	}
	size_t *ix = malloc(r->finds.n * sizeof *ix);
	if (!ix)
		return;
	for (size_t i = 0; i < r->finds.n; i++)
		ix[i] = i;
	qsort_r(ix, r->finds.n, sizeof *ix, find_order, r->finds.vals);
	const char *open = NULL;
	for (size_t k = 0; k < r->finds.n; k++) {
		const struct rfind *f = r->finds.vals[ix[k]];
		if (!open || strcmp(open, f->id)) {
			if (open)
				fputs("</table>\n", o);
			fprintf(o, "<h3 class=\"finding-kind\">[%s, severity %d] ", verdict_name(f->verdict), f->severity);
			esc(o, f->id);
			fputs("</h3>\n<p class=\"reason\">", o);
			esc(o, f->message);
			fputs(" <span class=\"category\">(", o);
			esc(o, f->category);
			fputs(")</span></p>\n<table class=\"findings\"><tr><th>from</th><th>to</th><th>service</th><th>alerts</th>"
			      "<th>first seen</th><th>last seen</th><th>Wireshark display filter (first alert)</th></tr>\n", o);
			open = f->id;
		}
		fputs("<tr class=\"finding\"><td>", o);
		esc(o, f->src);
		fputs("</td><td>", o);
		esc(o, f->dst);
		fputs("</td><td>", o);
		esc(o, f->service);
		fprintf(o, "</td><td class=\"num\">%llu</td><td>", (unsigned long long)f->count);
		esc(o, f->first);
		fputs("</td><td>", o);
		esc(o, f->last);
		fputs("</td><td><code>", o);
		esc(o, f->filter);
		fputs("</code></td></tr>\n", o);
	}
	if (open)
		fputs("</table>\n", o);
	free(ix);
}

static void write_matrix(const struct report *r, FILE *o)
{
	fprintf(o, "<h2 id=\"matrix\">Role pairs</h2>\n<table id=\"role-matrix\"><tr><th>from role</th><th>to role</th>"
		   "<th>service</th><th>flows</th><th>bytes</th><th>verdict</th><th>allowed by</th></tr>\n");
	size_t *ix = sorted(&r->cells);
	for (size_t k = 0; ix && k < r->cells.n; k++) {
		const struct rcell *c = r->cells.vals[ix[k]];
		fputs("<tr><td>", o);
		esc(o, c->from);
		fputs("</td><td>", o);
		esc(o, c->to);
		fputs("</td><td>", o);
		esc(o, c->service);
		fprintf(o, "</td><td class=\"num\">%llu</td><td class=\"num\">%llu</td><td class=\"%s\">%s</td><td>",
			(unsigned long long)c->flows, (unsigned long long)c->bytes, verdict_name(c->worst),
			verdict_name(c->worst));
		esc(o, c->label);
		fputs("</td></tr>\n", o);
	}
	free(ix);
	fputs("</table>\n", o);
}

static void write_web(const struct report *r, FILE *o)
{
	fprintf(o, "<h2 id=\"http-audit\">HTTP and HTTPS: client traffic by site and role</h2>\n");
	if (!r->web.n) {
		fputs("<p>No client web traffic.</p>\n", o);
		return;
	}
	fprintf(o, "<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"http-bars\" viewBox=\"0 0 960 %zu\" width=\"100%%\">\n",
		24 * r->web.n + 10);
	size_t *ix = sorted(&r->web);
	for (size_t k = 0; ix && k < r->web.n; k++) {
		const struct rweb *w = r->web.vals[ix[k]];
		double total = (double)(w->http_bytes + w->https_bytes);
		double share = total > 0 ? (double)w->http_bytes / total : 0;
		double y = 5 + 24.0 * (double)k;
		fprintf(o, "<text x=\"0\" y=\"%.0f\" font-size=\"12\">", y + 14);
		esc(o, w->site);
		fputs(" / ", o);
		esc(o, w->role);
		fprintf(o, "</text><rect class=\"http\" x=\"300\" y=\"%.0f\" width=\"%.1f\" height=\"18\" fill=\"#ef6c00\"/>"
			   "<rect class=\"https\" x=\"%.1f\" y=\"%.0f\" width=\"%.1f\" height=\"18\" fill=\"#2e7d32\"/>"
			   "<text x=\"910\" y=\"%.0f\" font-size=\"12\">%.0f%% HTTP</text>\n", y, 600 * share,
			300 + 600 * share, y, 600 * (1 - share), y + 14, 100 * share);
	}
	fputs("</svg>\n<table id=\"http-table\"><tr><th>site</th><th>role</th><th>HTTP flows</th><th>HTTP bytes</th>"
	      "<th>HTTPS flows</th><th>HTTPS bytes</th></tr>\n", o);
	for (size_t k = 0; ix && k < r->web.n; k++) {
		const struct rweb *w = r->web.vals[ix[k]];
		fputs("<tr><td>", o);
		esc(o, w->site);
		fputs("</td><td>", o);
		esc(o, w->role);
		fprintf(o, "</td><td class=\"num\">%llu</td><td class=\"num\">%llu</td><td class=\"num\">%llu</td>"
			   "<td class=\"num\">%llu</td></tr>\n", (unsigned long long)w->http_flows,
			(unsigned long long)w->http_bytes, (unsigned long long)w->https_flows,
			(unsigned long long)w->https_bytes);
	}
	free(ix);
	fputs("</table>\n<p class=\"legend\"><span style=\"color:#ef6c00\">&#9632; HTTP</span> "
	      "<span style=\"color:#2e7d32\">&#9632; HTTPS</span>, by bytes.</p>\n", o);
}

static void write_channels(const struct report *r, FILE *o)
{
	fprintf(o, "<h2 id=\"channels\">Follow-ups and channels</h2>\n<h3>RPC interfaces</h3>\n");
	size_t *ix = sorted(&r->rpc);
	fputs("<table id=\"rpc\"><tr><th>interface</th><th>learnt by</th><th>connections</th></tr>\n", o);
	for (size_t k = 0; ix && k < r->rpc.n; k++) {
		const struct rrpc *p = r->rpc.vals[ix[k]];
		fputs("<tr><td>", o);
		esc(o, p->iface);
		fputs("</td><td>", o);
		esc(o, p->via);
		fprintf(o, "</td><td class=\"num\">%llu</td></tr>\n", (unsigned long long)p->count);
	}
	free(ix);
	fputs("</table>\n<h3>Wake On LAN targets</h3>\n<table id=\"wol\"><tr><th>target MAC</th><th>sent by</th>"
	      "<th>carrier, addressing</th><th>packets</th></tr>\n", o);
	ix = sorted(&r->wol);
	for (size_t k = 0; ix && k < r->wol.n; k++) {
		const struct rwol *w = r->wol.vals[ix[k]];
		fputs("<tr><td>", o);
		esc(o, w->mac);
		fputs("</td><td>", o);
		esc(o, w->sender);
		fputs("</td><td>", o);
		esc(o, w->how);
		fprintf(o, "</td><td class=\"num\">%llu</td></tr>\n", (unsigned long long)w->count);
	}
	free(ix);
	fputs("</table>\n<h3>Multicast sessions</h3>\n<table id=\"multicast\"><tr><th>sender</th><th>group</th><th>port</th>"
	      "<th>packets</th><th>bytes</th><th>receivers</th></tr>\n", o);
	ix = sorted(&r->mcast);
	for (size_t k = 0; ix && k < r->mcast.n; k++) {
		const struct rmcast *m = r->mcast.vals[ix[k]];
		fputs("<tr><td>", o);
		esc(o, m->sender);
		fputs("</td><td>", o);
		esc(o, m->group);
		fprintf(o, "</td><td class=\"num\">%llu</td><td class=\"num\">%llu</td><td class=\"num\">%llu</td>"
			   "<td class=\"num\">%llu</td></tr>\n", (unsigned long long)m->port, (unsigned long long)m->pkts,
			(unsigned long long)m->bytes, (unsigned long long)m->receivers);
	}
	free(ix);
	fputs("</table>\n", o);
}

static void write_list(FILE *o, const struct table *t)
{
	size_t *ix = sorted(t);
	for (size_t k = 0; ix && k < t->n; k++) {
		if (k)
			fputs(", ", o);
		esc(o, ((const struct rinput *)t->vals[ix[k]])->text);
	}
	free(ix);
}

bool report_write(const struct report *r, const char *path, const char *generated, char *err, size_t errlen)
{
	FILE *o = fopen(path, "w");
	if (!o) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return false;
	}
	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>cmflow audit report</title>\n"
	      "<style>\nbody{font-family:sans-serif;margin:1.5em;color:#212121}table{border-collapse:collapse;margin:.5em 0 "
	      "1.5em}td,th{border:1px solid #ccc;padding:2px 6px;font-size:13px;vertical-align:top}th{background:#eee}"
	      "td.num{text-align:right}td.expected{color:#2e7d32}td.noncompliant{color:#ef6c00;font-weight:bold}"
	      "td.unexpected{color:#c62828;font-weight:bold}code{font-size:11px;word-break:break-all}.legend{font-size:12px}"
	      "@media print{svg{page-break-inside:avoid}}\n</style></head><body>\n<h1>cmflow audit report</h1>\n", o);
	fputs("<table id=\"header\">\n<tr><th>inputs</th><td>", o);
	write_list(o, &r->inputs);
	fprintf(o, "</td></tr>\n<tr><th>time span</th><td>");
	esc(o, r->first);
	fputs(" .. ", o);
	esc(o, r->last);
	fprintf(o, "</td></tr>\n<tr><th>packets</th><td id=\"packets\">%llu</td></tr>\n<tr><th>flows</th><td id=\"flows\">%llu"
		   "</td></tr>\n<tr><th>site configuration</th><td>", (unsigned long long)r->packets,
		(unsigned long long)r->flows);
	write_list(o, &r->sites);
	fputs("</td></tr>\n<tr><th>cmflow</th><td>", o);
	esc(o, r->version);
	fprintf(o, "</td></tr>\n<tr><th>EVE files</th><td>%llu (%llu lines not understood)</td></tr>\n",
		(unsigned long long)r->eve_files, (unsigned long long)r->bad_lines);
	fputs("<tr><th>generated</th><td class=\"generated\">", o);
	esc(o, generated);
	fputs("</td></tr>\n</table>\n<h2 id=\"picture\">The site</h2>\n", o);
	write_graph(r, o);
	write_findings(r, o);
	write_matrix(r, o);
	write_web(r, o);
	write_channels(r, o);
	fputs("</body></html>\n", o);
	bool ok = !ferror(o);
	if (fclose(o) != 0)
		ok = false;
	if (!ok)
		snprintf(err, errlen, "%s: write error: %s", path, strerror(errno));
	return ok;
}

/* report.c: the run's aggregates (aggregate.h) -> one self-contained HTML page. */
#define _GNU_SOURCE /* qsort_r, M_PI */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util.h"
#include "report/report.h"

/* Copies src (cut to fit). */
static void copy(char *dst, size_t len, const char *src)
{
	size_t n = src ? strlen(src) : 0;
	if (n > len - 1)
		n = len - 1;
	if (n)
		memcpy(dst, src, n);
	dst[n] = '\0';
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

/* The picture's nodes: one per host, or per role and site beyond 50 hosts. */
#define GRAPH_MAX_HOSTS 50

struct node { char name[3 * AGG_S + 4], role[AGG_S]; unsigned hosts; uint64_t bytes; double x, y; };

static const char *node_of(const struct agg_host *h, bool collapse, char *buf, size_t len)
{
	if (collapse)
		snprintf(buf, len, "%s|%s", h->role[0] ? h->role : "unknown", h->site);
	else
		snprintf(buf, len, "%s", h->ip);
	return buf;
}

static void write_graph(const struct agg *r, FILE *o)
{
	size_t nh = 0;
	for (size_t i = 0; i < r->hosts.n; i++)
		nh += ((struct agg_host *)r->hosts.vals[i])->role[0] != '\0';
	bool collapse = nh > GRAPH_MAX_HOSTS;
	struct strtable nodes = strtable_make(sizeof(struct node)), groups = strtable_make(sizeof(unsigned));
	size_t *hix = strtable_sorted(&r->hosts);
	char key[2 * AGG_S + 2];
	for (size_t k = 0; hix && k < r->hosts.n; k++) {
		const struct agg_host *h = r->hosts.vals[hix[k]];
		if (!h->role[0])
			continue;
		struct node *n = strtable_get(&nodes, node_of(h, collapse, key, sizeof key));
		if (!n)
			continue;
		if (!n->hosts) {
			if (collapse)
				snprintf(n->name, sizeof n->name, "%s%s%s", h->role, h->site[0] ? " @" : "", h->site);
			else
				copy(n->name, sizeof n->name, h->ip);
			copy(n->role, sizeof n->role, h->role);
			strtable_get(&groups, h->role);
		}
		n->hosts++;
		n->bytes += h->bytes;
	}
	/* role groups on a circle, their nodes in a column around the group's place */
	const double W = 960, H = 640, cx = W / 2, cy = H / 2, R = 230;
	size_t *gix = strtable_sorted(&groups);
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
	size_t *eix = strtable_sorted(&r->edges);
	size_t nedges = 0;
	struct strtable drawn = strtable_make(sizeof(struct agg_edge));
	for (size_t k = 0; eix && k < r->edges.n; k++) { /* edges between nodes: bytes summed, worst verdict */
		const struct agg_edge *e = r->edges.vals[eix[k]];
		const struct agg_host *a = strtable_find(&r->hosts, e->src), *b = strtable_find(&r->hosts, e->dst);
		if (!a || !b || !a->role[0] || !b->role[0])
			continue;
		char ka[2 * AGG_S + 2], kb[2 * AGG_S + 2], kk[5 * AGG_S + 8];
		snprintf(kk, sizeof kk, "%s>%s", node_of(a, collapse, ka, sizeof ka), node_of(b, collapse, kb, sizeof kb));
		struct agg_edge *d = strtable_get(&drawn, kk);
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
		const struct agg_edge *d = drawn.vals[k];
		struct node *a = strtable_get(&nodes, d->src), *b = strtable_get(&nodes, d->dst);
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
	strtable_free(&nodes);
	strtable_free(&groups);
	strtable_free(&drawn);
}

static int find_order(const void *a, const void *b, void *vals)
{
	void **v = vals;
	const struct agg_finding *x = v[*(const size_t *)a], *y = v[*(const size_t *)b];
	if (x->kind->severity != y->kind->severity)
		return x->kind->severity - y->kind->severity;
	int c = strcmp(x->kind->id, y->kind->id);
	if (c)
		return c;
	if (x->count != y->count)
		return x->count < y->count ? 1 : -1;
	c = strcmp(x->src, y->src);
	return c ? c : strcmp(x->dst, y->dst);
}

static void write_findings(const struct agg *r, FILE *o)
{
	fprintf(o, "<h2 id=\"findings\">Findings</h2>\n");
	if (r->notes.n) {
		fprintf(o, "<h3>The configuration and the traffic</h3>\n<table id=\"notes\"><tr><th>finding</th><th>verdict</th>"
			   "<th>detail</th></tr>\n");
		size_t *ix = strtable_sorted(&r->notes);
		for (size_t k = 0; ix && k < r->notes.n; k++) {
			const struct agg_note_rec *n = r->notes.vals[ix[k]];
			fputs("<tr><td>", o);
			esc(o, n->id);
			fprintf(o, "</td><td class=\"%s\">%s</td><td>", verdict_name(n->verdict), verdict_name(n->verdict));
			esc(o, n->detail);
			fputs("</td></tr>\n", o);
		}
		free(ix);
		fputs("</table>\n", o);
	}
	if (!r->findings.n) {
		fputs("<p id=\"no-findings\">No finding on the flows.</p>\n", o);
		return;
	}
	size_t *ix = malloc(r->findings.n * sizeof *ix);
	if (!ix)
		return;
	for (size_t i = 0; i < r->findings.n; i++)
		ix[i] = i;
	qsort_r(ix, r->findings.n, sizeof *ix, find_order, r->findings.vals);
	const char *open = NULL;
	for (size_t k = 0; k < r->findings.n; k++) {
		const struct agg_finding *f = r->findings.vals[ix[k]];
		const struct agg_kind *kind = f->kind;
		if (!open || strcmp(open, kind->id)) {
			if (open)
				fputs("</table>\n", o);
			fprintf(o, "<h3 class=\"finding-kind\">[%s, severity %d] ", verdict_name(kind->verdict), kind->severity);
			esc(o, kind->id);
			fputs("</h3>\n<p class=\"reason\">", o);
			esc(o, kind->message);
			fputs(" <span class=\"category\">(", o);
			esc(o, kind->category);
			fputs(")</span></p>\n<table class=\"findings\"><tr><th>from</th><th>to</th><th>service</th><th>alerts</th>"
			      "<th>first seen</th><th>last seen</th><th>Wireshark display filter (first alert)</th></tr>\n", o);
			open = kind->id;
		}
		fputs("<tr class=\"finding\"><td>", o);
		esc(o, f->src);
		fputs("</td><td>", o);
		esc(o, f->dst);
		fputs("</td><td>", o);
		esc(o, f->service);
		fprintf(o, "</td><td class=\"num\">%llu</td><td>", (unsigned long long)f->count);
		char t1[TS_STR_MAX], t2[TS_STR_MAX];
		esc(o, ts_to_eve(f->first_us, t1, sizeof t1));
		fputs("</td><td>", o);
		esc(o, ts_to_eve(f->last_us, t2, sizeof t2));
		fputs("</td><td><code>", o);
		esc(o, f->filter);
		fputs("</code></td></tr>\n", o);
	}
	if (open)
		fputs("</table>\n", o);
	free(ix);
}

static void write_matrix(const struct agg *r, FILE *o)
{
	fprintf(o, "<h2 id=\"matrix\">Role pairs</h2>\n<table id=\"role-matrix\"><tr><th>from role</th><th>to role</th>"
		   "<th>service</th><th>flows</th><th>bytes</th><th>verdict</th><th>allowed by</th></tr>\n");
	size_t *ix = strtable_sorted(&r->pairs);
	for (size_t k = 0; ix && k < r->pairs.n; k++) {
		const struct agg_pair *c = r->pairs.vals[ix[k]];
		if (!strcmp(c->rule, "-"))
			continue; /* the matrix shows the paths a rule allows */
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

static void write_web(const struct agg *r, FILE *o)
{
	fprintf(o, "<h2 id=\"http-audit\">HTTP and HTTPS: client traffic by site and role</h2>\n");
	if (!r->web.n) {
		fputs("<p>No client web traffic.</p>\n", o);
		return;
	}
	fprintf(o, "<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"http-bars\" viewBox=\"0 0 960 %zu\" width=\"100%%\">\n",
		24 * r->web.n + 10);
	size_t *ix = strtable_sorted(&r->web);
	for (size_t k = 0; ix && k < r->web.n; k++) {
		const struct agg_web *w = r->web.vals[ix[k]];
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
		const struct agg_web *w = r->web.vals[ix[k]];
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

/* The census of client authentication: per site and role a bar of the clients by class (a client that showed
 * several classes counts in each), the table, and the current branch's clients with their client notification. */
static void write_census(const struct agg *r, FILE *o)
{
	static const char *const colour[AGG_AUTH_CLASSES] = { "#2e7d32", "#1565c0", "#ef6c00", "#9e9e9e" };
	fprintf(o, "<h2 id=\"client-auth\">Client authentication: PKI mutual TLS, enhanced HTTP, plain HTTP</h2>\n");
	struct agg_census_row *rows;
	size_t n = agg_census_rows(r, &rows);
	if (!n) {
		fputs("<p>No client web traffic to a site system.</p>\n", o);
	} else {
		fprintf(o, "<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"auth-bars\" viewBox=\"0 0 960 %zu\" width=\"100%%\">\n",
			24 * n + 10);
		for (size_t k = 0; k < n; k++) {
			const struct agg_census_row *w = &rows[k];
			uint64_t total = 0;
			for (unsigned c = 0; c < AGG_AUTH_CLASSES; c++)
				total += w->by_class[c];
			double y = 5 + 24.0 * (double)k, x = 300;
			fprintf(o, "<text x=\"0\" y=\"%.0f\" font-size=\"12\">", y + 14);
			esc(o, w->site);
			fputs(" / ", o);
			esc(o, w->role);
			fputs("</text>", o);
			for (unsigned c = 0; c < AGG_AUTH_CLASSES && total; c++) {
				double width = 600.0 * (double)w->by_class[c] / (double)total;
				fprintf(o, "<rect class=\"%s\" x=\"%.1f\" y=\"%.0f\" width=\"%.1f\" height=\"18\" fill=\"%s\">"
					   "<title>%s: %llu client%s</title></rect>", agg_auth_class_name(c), x, y, width, colour[c],
					agg_auth_class_words(c), (unsigned long long)w->by_class[c], w->by_class[c] == 1 ? "" : "s");
				x += width;
			}
			fprintf(o, "<text x=\"910\" y=\"%.0f\" font-size=\"12\">%llu</text>\n", y + 14,
				(unsigned long long)w->clients);
		}
		fputs("</svg>\n<table id=\"auth-table\"><tr><th>site</th><th>role</th><th>clients</th>", o);
		for (unsigned c = 0; c < AGG_AUTH_CLASSES; c++)
			fprintf(o, "<th>%s</th>", agg_auth_class_words(c));
		fputs("<th>flows</th></tr>\n", o);
		for (size_t k = 0; k < n; k++) {
			fputs("<tr><td>", o);
			esc(o, rows[k].site);
			fputs("</td><td>", o);
			esc(o, rows[k].role);
			fprintf(o, "</td><td class=\"num\">%llu</td>", (unsigned long long)rows[k].clients);
			for (unsigned c = 0; c < AGG_AUTH_CLASSES; c++)
				fprintf(o, "<td class=\"num %s\">%llu</td>", agg_auth_class_name(c), (unsigned long long)rows[k].by_class[c]);
			fprintf(o, "<td class=\"num\">%llu</td></tr>\n", (unsigned long long)rows[k].flows);
		}
		fputs("</table>\n<p class=\"legend\">", o);
		for (unsigned c = 0; c < AGG_AUTH_CLASSES; c++)
			fprintf(o, "<span style=\"color:%s\">&#9632; %s</span> ", colour[c], agg_auth_class_words(c));
		fputs("by clients: PKI mutual TLS is a handshake with a client certificate and its proof; enhanced HTTP a "
		      "server certificate from the site's SMS Issuing root or a token path; cannot be told is TLS that shows "
		      "neither (a PKI server certificate without a client one, TLS 1.3, a resumed session).</p>\n", o);
		free(rows);
	}
	if (!r->clients.n)
		return;
	fputs("<h3>Client notification (current branch)</h3>\n<table id=\"client-notification\"><tr><th>site</th>"
	      "<th>client</th><th>client notification</th><th>HTTP flows</th><th>HTTPS flows</th></tr>\n", o);
	size_t *ix = strtable_sorted(&r->clients);
	for (size_t k = 0; ix && k < r->clients.n; k++) {
		const struct agg_client *c = r->clients.vals[ix[k]];
		fputs("<tr><td>", o);
		esc(o, c->site);
		fputs("</td><td>", o);
		esc(o, c->client);
		fprintf(o, "</td><td class=\"%s\">%s</td><td class=\"num\">%llu</td><td class=\"num\">%llu</td></tr>\n",
			c->notify_flows ? "seen" : "polling-only", c->notify_flows ? "seen" : "polling only",
			(unsigned long long)c->http_flows, (unsigned long long)c->https_flows);
	}
	free(ix);
	fputs("</table>\n", o);
}

static void write_channels(const struct agg *r, FILE *o)
{
	fprintf(o, "<h2 id=\"channels\">Follow-ups and channels</h2>\n<h3>RPC interfaces</h3>\n");
	size_t *ix = strtable_sorted(&r->rpc);
	fputs("<table id=\"rpc\"><tr><th>interface</th><th>learnt by</th><th>connections</th></tr>\n", o);
	for (size_t k = 0; ix && k < r->rpc.n; k++) {
		const struct agg_rpc *p = r->rpc.vals[ix[k]];
		fputs("<tr><td>", o);
		esc(o, p->iface);
		fputs("</td><td>", o);
		esc(o, p->via);
		fprintf(o, "</td><td class=\"num\">%llu</td></tr>\n", (unsigned long long)p->count);
	}
	free(ix);
	fputs("</table>\n<h3>Wake On LAN targets</h3>\n<table id=\"wol\"><tr><th>target MAC</th><th>sent by</th>"
	      "<th>carrier, addressing</th><th>packets</th></tr>\n", o);
	ix = strtable_sorted(&r->wol);
	for (size_t k = 0; ix && k < r->wol.n; k++) {
		const struct agg_wol_rec *w = r->wol.vals[ix[k]];
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
	ix = strtable_sorted(&r->mcast);
	for (size_t k = 0; ix && k < r->mcast.n; k++) {
		const struct agg_mcast *m = r->mcast.vals[ix[k]];
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

static void write_list(FILE *o, const struct strtable *t)
{
	size_t *ix = strtable_sorted(t);
	for (size_t k = 0; ix && k < t->n; k++) {
		if (k)
			fputs(", ", o);
		esc(o, ((const struct agg_text *)t->vals[ix[k]])->text);
	}
	free(ix);
}

bool report_write(const struct agg *r, FILE *o, const char *generated)
{
	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>cmflow audit report</title>\n"
	      "<style>\nbody{font-family:sans-serif;margin:1.5em;color:#212121}table{border-collapse:collapse;margin:.5em 0 "
	      "1.5em}td,th{border:1px solid #ccc;padding:2px 6px;font-size:13px;vertical-align:top}th{background:#eee}"
	      "td.num{text-align:right}td.expected{color:#2e7d32}td.noncompliant{color:#ef6c00;font-weight:bold}"
	      "td.unexpected{color:#c62828;font-weight:bold}code{font-size:11px;word-break:break-all}.legend{font-size:12px}"
	      "@media print{svg{page-break-inside:avoid}}\n</style></head><body>\n<h1>cmflow audit report</h1>\n", o);
	fputs("<table id=\"header\">\n<tr><th>inputs</th><td>", o);
	write_list(o, &r->inputs);
	fprintf(o, "</td></tr>\n<tr><th>time span</th><td>");
	char t1[TS_STR_MAX], t2[TS_STR_MAX];
	if (r->first_us) {
		esc(o, ts_to_eve(r->first_us, t1, sizeof t1));
		fputs(" .. ", o);
		esc(o, ts_to_eve(r->last_us, t2, sizeof t2));
	}
	fprintf(o, "</td></tr>\n<tr><th>packets</th><td id=\"packets\">%llu</td></tr>\n<tr><th>flows</th><td id=\"flows\">%llu"
		   "</td></tr>\n<tr><th>site configuration</th><td>", (unsigned long long)r->packets,
		(unsigned long long)r->flows);
	write_list(o, &r->sites);
	fputs("</td></tr>\n<tr><th>cmflow</th><td>", o);
	esc(o, r->version);
	fputs("</td></tr>\n", o);
	if (r->eve_bad_lines)
		fprintf(o, "<tr><th>EVE lines left out</th><td>%llu (not EVE: see the run's messages)</td></tr>\n",
			(unsigned long long)r->eve_bad_lines);
	fputs("<tr><th>generated</th><td class=\"generated\">", o);
	esc(o, generated);
	fputs("</td></tr>\n</table>\n<h2 id=\"picture\">The site</h2>\n", o);
	write_graph(r, o);
	write_findings(r, o);
	write_matrix(r, o);
	write_web(r, o);
	write_census(r, o);
	write_channels(r, o);
	fputs("</body></html>\n", o);
	return !ferror(o);
}

/* report.c: the run's aggregates (aggregate.h) -> one self-contained HTML page (report.h), made to be read at the
 * scale of a real site: counts and the findings that matter first, host lists cut to their first rows (the CSV
 * has them all), the clients of a site drawn as one node per subnet, sections without content left out, and a
 * page that prints on A4 landscape with no label cut. */
#define _GNU_SOURCE /* qsort_r, M_PI */
#include <arpa/inet.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util.h"
#include "report/report.h"

#define REPORT_TOP_GROUPS 5   /* "the findings that matter most" */
#define REPORT_TOP_PAIRS 10   /* host pairs shown under a finding group */
#define REPORT_TOP_CLIENTS 50 /* current branch clients shown with their client notification */
#define REPORT_TOP_ROWS 50    /* rows of the long tables (Wake On LAN, multicast) */
#define GRAPH_MAX_HOSTS 50    /* beyond this, the hosts of a crowded role are drawn per site and subnet */
#define GRAPH_CROWD 8         /* a role with more hosts than this in one site is crowded */

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

/* "12,319" */
static const char *num(uint64_t v, char *buf, size_t len)
{
	char d[32];
	int n = snprintf(d, sizeof d, "%llu", (unsigned long long)v), o = 0;
	for (int i = 0; i < n && o + 2 < (int)len; i++) {
		buf[o++] = d[i];
		if ((n - i - 1) % 3 == 0 && i + 1 < n)
			buf[o++] = ',';
	}
	buf[o] = '\0';
	return buf;
}

static const char *verdict_colour(enum verdict v)
{
	switch (v) {
	case VERDICT_EXPECTED: return "#2e7d32";
	case VERDICT_NONCOMPLIANT: return "#ef6c00";
	case VERDICT_UNEXPECTED: return "#c62828";
	case VERDICT_INFORMATIONAL: return "#1565c0";
	default: return "#9e9e9e";
	}
}

/* ---- the overview: counts by verdict and severity, the findings that matter most, the legend ---- */

static void write_overview(const struct agg *r, const struct agg_group *g, size_t ng, FILE *o)
{
	uint64_t c[4][5];
	char b[32];
	agg_alert_counts(r, c);
	fputs("<h2 id=\"overview\">Overview</h2>\n<table id=\"counts\"><tr><th>severity</th><th>noncompliant</th>"
	      "<th>unexpected</th><th>informational</th><th>alerts</th></tr>\n", o);
	uint64_t col[5] = { 0 };
	for (int s = 1; s <= 3; s++) {
		uint64_t row = c[s][VERDICT_NONCOMPLIANT] + c[s][VERDICT_UNEXPECTED] + c[s][VERDICT_INFORMATIONAL];
		fprintf(o, "<tr><th>%d (%s)</th>", s, s == 1 ? "high" : s == 2 ? "medium" : "low");
		for (int v = VERDICT_NONCOMPLIANT; v <= VERDICT_INFORMATIONAL; v++) {
			fprintf(o, "<td class=\"num %s\">%s</td>", c[s][v] ? verdict_name((enum verdict)v) : "",
				num(c[s][v], b, sizeof b));
			col[v] += c[s][v];
		}
		fprintf(o, "<td class=\"num\">%s</td></tr>\n", num(row, b, sizeof b));
	}
	fprintf(o, "<tr><th>all</th><td class=\"num\" id=\"count-noncompliant\">%s</td>", num(col[VERDICT_NONCOMPLIANT], b,
		sizeof b));
	fprintf(o, "<td class=\"num\" id=\"count-unexpected\">%s</td>", num(col[VERDICT_UNEXPECTED], b, sizeof b));
	fprintf(o, "<td class=\"num\" id=\"count-informational\">%s</td>", num(col[VERDICT_INFORMATIONAL], b, sizeof b));
	fprintf(o, "<td class=\"num\" id=\"count-alerts\">%s</td></tr>\n</table>\n",
		num(col[VERDICT_NONCOMPLIANT] + col[VERDICT_UNEXPECTED] + col[VERDICT_INFORMATIONAL], b, sizeof b));
	char b1[32], b2[32], b3[32], b4[32];
	fprintf(o, "<p id=\"flow-verdicts\">Flows: %s expected, %s noncompliant, %s unexpected, %s without a verdict (no "
		   "ConfigMgr path, or too little seen).</p>\n", num(r->verdicts[VERDICT_EXPECTED], b1, sizeof b1),
		num(r->verdicts[VERDICT_NONCOMPLIANT], b2, sizeof b2), num(r->verdicts[VERDICT_UNEXPECTED], b3, sizeof b3),
		num(r->verdicts[VERDICT_UNKNOWN], b4, sizeof b4));
	if (ng) {
		fputs("<h3>The findings that matter most</h3>\n<ol id=\"top-findings\">\n", o);
		for (size_t i = 0; i < ng && i < REPORT_TOP_GROUPS; i++) {
			const struct agg_group *x = &g[i];
			fprintf(o, "<li><span class=\"%s\">[%s, severity %d]</span> <b>", verdict_name(x->kind->verdict),
				verdict_name(x->kind->verdict), x->kind->severity);
			esc(o, x->kind->id);
			fputs("</b>: ", o);
			esc(o, x->src_role);
			fputs(" &#8594; ", o);
			esc(o, x->dst_role);
			fputs(", ", o);
			esc(o, x->service);
			fprintf(o, ": %s alert%s from %s host pair%s. ", num(x->count, b1, sizeof b1), x->count == 1 ? "" : "s",
				num(x->npairs, b2, sizeof b2), x->npairs == 1 ? "" : "s");
			if (i == 0 || g[i - 1].kind != x->kind) /* the advice once a kind */
				esc(o, x->kind->advice);
			fputs("</li>\n", o);
		}
		fputs("</ol>\n", o);
	}
	fputs("<p class=\"legend\"><b>Verdicts:</b> <span class=\"noncompliant\">noncompliant</span>: a row of the port "
	      "matrix allows the path, the site's policy forbids this use of it (HTTP where native mode needs HTTPS, the "
	      "wrong direction, cleartext on a TLS port); <span class=\"unexpected\">unexpected</span>: no row allows it "
	      "between site systems or to a ConfigMgr port, or a host outside the site configuration; "
	      "<span class=\"informational\">informational</span>: the configuration and the traffic disagree (roles). "
	      "<b>Severity</b> 1 is high (act now), 2 medium, 3 low.</p>\n", o);
}

/* ---- the site's picture ---- */

struct node { char key[3 * AGG_S + 96], name[3 * AGG_S + 96], role[AGG_S]; unsigned hosts; uint64_t bytes; double x, y; };
struct crowd { unsigned hosts; };

/* The subnet a crowded role's host is drawn in: its /16 (IPv4) or /48 (IPv6). */
static void subnet_of(const char *ip, char *buf, size_t len)
{
	uint8_t a[16];
	if (inet_pton(AF_INET, ip, a) == 1) {
		snprintf(buf, len, "%u.%u.0.0/16", a[0], a[1]);
	} else if (inet_pton(AF_INET6, ip, a) == 1) {
		memset(a + 6, 0, 10);
		char t[64];
		inet_ntop(AF_INET6, a, t, sizeof t);
		snprintf(buf, len, "%s/48", t);
	} else {
		copy(buf, len, ip);
	}
}

/* The node a host is drawn as: itself, or (collapse, and its role is crowded in its site) its role, site and
 * subnet. */
static const char *node_of(const struct agg_host *h, bool collapse, const struct strtable *crowds, char *key,
			   size_t keylen, char *name, size_t namelen)
{
	char rs[2 * AGG_S + 2], net[80];
	snprintf(rs, sizeof rs, "%s|%s", h->role[0] ? h->role : "unknown", h->site);
	const struct crowd *c = collapse ? strtable_find(crowds, rs) : NULL;
	if (c && c->hosts > GRAPH_CROWD) {
		subnet_of(h->ip, net, sizeof net);
		snprintf(key, keylen, "%s|%s", rs, net);
		snprintf(name, namelen, "%s %s%s%s", h->role, h->site, h->site[0] ? " " : "", net);
	} else {
		snprintf(key, keylen, "%s", h->ip);
		snprintf(name, namelen, "%s", h->ip);
	}
	return key;
}

/* a node grows with the hosts it stands for */
static double node_radius(const struct node *n)
{
	return n->hosts > 1 ? 6.0 + log10((double)n->hosts) * 4.0 : 5.0;
}

static void write_graph(const struct agg *r, FILE *o)
{
	size_t nh = 0;
	for (size_t i = 0; i < r->hosts.n; i++)
		nh += ((struct agg_host *)r->hosts.vals[i])->role[0] != '\0';
	if (!nh)
		return;
	bool collapse = nh > GRAPH_MAX_HOSTS;
	struct strtable nodes = strtable_make(sizeof(struct node)), groups = strtable_make(sizeof(unsigned));
	struct strtable crowds = strtable_make(sizeof(struct crowd));
	for (size_t i = 0; collapse && i < r->hosts.n; i++) { /* hosts of each role and site */
		const struct agg_host *h = r->hosts.vals[i];
		char rs[2 * AGG_S + 2];
		snprintf(rs, sizeof rs, "%s|%s", h->role[0] ? h->role : "unknown", h->site);
		struct crowd *c = h->role[0] ? strtable_get(&crowds, rs) : NULL;
		if (c)
			c->hosts++;
	}
	size_t *hix = strtable_sorted(&r->hosts);
	char key[3 * AGG_S + 96], name[3 * AGG_S + 96];
	for (size_t k = 0; hix && k < r->hosts.n; k++) {
		const struct agg_host *h = r->hosts.vals[hix[k]];
		if (!h->role[0])
			continue;
		struct node *n = strtable_get(&nodes, node_of(h, collapse, &crowds, key, sizeof key, name, sizeof name));
		if (!n)
			continue;
		if (!n->hosts) {
			copy(n->key, sizeof n->key, key);
			copy(n->name, sizeof n->name, name);
			copy(n->role, sizeof n->role, h->role);
			strtable_get(&groups, h->role);
		}
		n->hosts++;
		n->bytes += h->bytes;
	}
	/* role groups on a circle, their nodes in a column around the group's place */
	const double W = 1200, H = 700, cx = W / 2, cy = H / 2 + 20, RX = 440, RY = 270; /* an ellipse: the page is wide */
	size_t *gix = strtable_sorted(&groups);
	double *label_x = calloc(groups.n + 1, sizeof *label_x), *label_y = calloc(groups.n + 1, sizeof *label_y);
	for (size_t gi = 0; gix && label_x && label_y && gi < groups.n; gi++) {
		const char *role = groups.keys[gix[gi]];
		double a = 2 * M_PI * (double)gi / (double)(groups.n ? groups.n : 1) - M_PI / 2;
		double gx = cx + RX * cos(a), gy = cy + RY * sin(a), maxrad = 5;
		unsigned count = 0, idx = 0;
		for (size_t i = 0; i < nodes.n; i++)
			count += !strcmp(((struct node *)nodes.vals[i])->role, role);
		unsigned rows = (count + 2) / 3;
		/* rows of up to three nodes centred on the group's place; the role's name above its top row */
		for (size_t i = 0; i < nodes.n; i++) {
			struct node *n = nodes.vals[i];
			if (strcmp(n->role, role))
				continue;
			unsigned row = idx / 3, in_row = row + 1 < rows ? 3 : count - 3 * row;
			n->x = gx + 90.0 * ((double)(idx % 3) - (double)(in_row - 1) / 2.0);
			n->y = gy + 36.0 * ((double)row - (double)(rows - 1) / 2.0);
			double rad = node_radius(n);
			if (rad > maxrad)
				maxrad = rad;
			idx++;
		}
		label_x[gi] = gx;
		label_y[gi] = gy - 36.0 * (double)(rows - 1) / 2.0 - maxrad - 20;
	}
	fputs("<h2 id=\"picture\">The site</h2>\n", o);
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
		char ka[3 * AGG_S + 96], kb[3 * AGG_S + 96], kk[7 * AGG_S + 200];
		node_of(a, collapse, &crowds, ka, sizeof ka, name, sizeof name);
		node_of(b, collapse, &crowds, kb, sizeof kb, name, sizeof name);
		snprintf(kk, sizeof kk, "%s>%s", ka, kb);
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
		/* the edge's ends by their keys (cut to AGG_S in the edge record: look them up by prefix when cut) */
		const struct node *a = NULL, *b = NULL;
		for (size_t i = 0; i < nodes.n && (!a || !b); i++) {
			const struct node *n = nodes.vals[i];
			if (!a && !strncmp(n->key, d->src, sizeof d->src - 1))
				a = n;
			if (!b && !strncmp(n->key, d->dst, sizeof d->dst - 1))
				b = n;
		}
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
	for (size_t gi = 0; gix && label_x && label_y && gi < groups.n; gi++) {
		fprintf(o, "<text class=\"group\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"13\" "
			   "font-weight=\"bold\" fill=\"#212121\">", label_x[gi], label_y[gi]);
		esc(o, groups.keys[gix[gi]]);
		fputs("</text>\n", o);
	}
	for (size_t i = 0; i < nodes.n; i++) {
		const struct node *n = nodes.vals[i];
		char b[32];
		double rad = node_radius(n);
		fprintf(o, "<g class=\"node\"><circle cx=\"%.1f\" cy=\"%.1f\" r=\"%.1f\" fill=\"#1565c0\"/><title>", n->x, n->y,
			rad);
		esc(o, n->name);
		fputs(" (", o);
		esc(o, n->role);
		fprintf(o, ", %u host%s, %llu bytes)</title></g>\n", n->hosts, n->hosts == 1 ? "" : "s",
			(unsigned long long)n->bytes);
		if (n->hosts > 1 || nodes.n <= 30) { /* dark text on a light halo: readable on any edge */
			fprintf(o, "<text class=\"label\" x=\"%.1f\" y=\"%.1f\" font-size=\"10\" text-anchor=\"middle\" "
				   "fill=\"#212121\" stroke=\"#fafafa\" stroke-width=\"3\" paint-order=\"stroke\">", n->x,
				n->y - rad - 3);
			esc(o, n->hosts > 1 ? n->name + strlen(n->role) + (n->name[strlen(n->role)] ? 1 : 0) : n->name);
			if (n->hosts > 1)
				fprintf(o, " \xc2\xb7 %s hosts", num(n->hosts, b, sizeof b));
			fputs("</text>\n", o);
		}
	}
	fputs("</svg>\n", o);
	fprintf(o, "<p class=\"legend\"><span style=\"color:#2e7d32\">&#9632; expected</span> "
		   "<span style=\"color:#ef6c00\">&#9632; noncompliant</span> <span style=\"color:#c62828\">&#9632; "
		   "unexpected</span> <span style=\"color:#9e9e9e\">&#9632; no rule</span>; %zu nodes%s, %zu edges; line "
		   "width grows with the bytes.</p>\n", nodes.n,
		collapse ? " (the hosts of a role with many in a site drawn as one node per site and subnet)" : "", nedges);
	free(label_x);
	free(label_y);
	free(hix);
	free(gix);
	free(eix);
	strtable_free(&nodes);
	strtable_free(&groups);
	strtable_free(&crowds);
	strtable_free(&drawn);
}

/* ---- the timeline: flows, alerts and client HTTP per minute (runs of up to three hours), per hour (up to four
 * days) or per day; none for a run of less than three minutes ---- */

static void write_timeline(const struct agg *r, FILE *o)
{
	/* the table read and the bucket: minutes for a short run, hours, or days made of hours */
	bool by_minute = false;
	const struct strtable *t = &r->hours;
	size_t *ix = r->minutes.n && !r->minutes_full ? strtable_sorted(&r->minutes) : NULL;
	if (ix) {
		const struct agg_tick *a = r->minutes.vals[ix[0]], *b = r->minutes.vals[ix[r->minutes.n - 1]];
		if (b->at - a->at < 180) {
			by_minute = true;
			t = &r->minutes;
		} else {
			free(ix);
			ix = NULL;
		}
	}
	if (!ix && r->hours.n)
		ix = strtable_sorted(&r->hours); /* keys are zero-padded: in time order */
	if (!ix)
		return;
	const struct agg_tick *first = t->vals[ix[0]], *last = t->vals[ix[t->n - 1]];
	bool days = !by_minute && last->at - first->at + 1 > 96;
	uint64_t unit = days ? 24 : 1, start = first->at / unit, nb = last->at / unit - start + 1;
	uint64_t unit_us = (by_minute ? 60000000u : 3600000000u) * unit;
	const char *per = by_minute ? "minute" : days ? "day" : "hour";
	if (nb < 3) { /* a run of a minute or two: nothing to see over time */
		free(ix);
		return;
	}
	if (nb > 400) { /* years of a file: the last 400 buckets */
		start += nb - 400;
		nb = 400;
	}
	uint64_t *flows = calloc(nb, sizeof *flows), *alerts = calloc(nb, sizeof *alerts), *http = calloc(nb, sizeof *http);
	uint64_t max = 1;
	for (size_t k = 0; flows && alerts && http && k < t->n; k++) {
		const struct agg_tick *h = t->vals[ix[k]];
		if (h->at / unit < start)
			continue;
		uint64_t b = h->at / unit - start;
		flows[b] += h->flows;
		alerts[b] += h->alerts;
		http[b] += h->client_http;
	}
	for (uint64_t b = 0; flows && b < nb; b++)
		if (flows[b] > max)
			max = flows[b];
	const double H = 240, left = 70, right = 20, top = 20, bottom = 50;
	double W = 1200, bw = (W - left - right) / (double)nb;
	if (bw > 40) { /* a short run: bars of a readable width, the chart no wider than they are */
		bw = 40;
		W = left + right + bw * (double)nb;
		if (W < 400)
			W = 400;
	}
	fputs("<h2 id=\"timeline\">Over time</h2>\n", o);
	fprintf(o, "<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"timeline-chart\" viewBox=\"0 0 %.0f %.0f\" "
		   "width=\"%.0f\" style=\"max-width:100%%;height:auto\" role=\"img\" "
		   "aria-label=\"flows, alerts and client HTTP per %s\">\n", W, H, W, per);
	fprintf(o, "<line x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\" stroke=\"#757575\"/>\n", left, H - bottom,
		W - right, H - bottom);
	char b[32];
	fprintf(o, "<text x=\"%.0f\" y=\"%.0f\" font-size=\"11\" text-anchor=\"end\" fill=\"#212121\">%s</text>\n",
		left - 6, top + 4, num(max, b, sizeof b));
	fprintf(o, "<text x=\"%.0f\" y=\"%.0f\" font-size=\"11\" text-anchor=\"end\" fill=\"#212121\">0</text>\n", left - 6,
		H - bottom);
	uint64_t every = (uint64_t)(90.0 / bw) + 1; /* a label every 90 px or so */
	for (uint64_t k = 0; flows && alerts && http && k < nb; k++) {
		double x = left + bw * (double)k, h = (H - top - bottom) * (double)flows[k] / (double)max;
		double ha = (H - top - bottom) * (double)(alerts[k] < max ? alerts[k] : max) / (double)max;
		double hh = (H - top - bottom) * (double)(http[k] < max ? http[k] : max) / (double)max;
		fprintf(o, "<rect class=\"flows\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#90a4ae\">"
			   "<title>%llu flows</title></rect>", x + bw * 0.1, H - bottom - h, bw * 0.8, h,
			(unsigned long long)flows[k]);
		if (hh > 0)
			fprintf(o, "<rect class=\"client-http\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
				   "fill=\"#ef6c00\"><title>%llu client HTTP flows</title></rect>", x + bw * 0.1, H - bottom - hh,
				bw * 0.4, hh, (unsigned long long)http[k]);
		if (ha > 0)
			fprintf(o, "<rect class=\"alerts\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
				   "fill=\"#c62828\"><title>%llu alerts</title></rect>", x + bw * 0.5, H - bottom - ha,
				bw * 0.4, ha, (unsigned long long)alerts[k]);
		fputc('\n', o);
		if (k % every)
			continue;
		/* the time ("06:00") and the date under the first label of each day */
		char ts[TS_STR_MAX];
		uint64_t at_us = (start + k) * unit_us;
		ts_to_eve(at_us, ts, sizeof ts);
		bool new_day = days || k == 0 || at_us / 86400000000u != (start + k - every) * unit_us / 86400000000u;
		if (!days)
			fprintf(o, "<text x=\"%.1f\" y=\"%.0f\" font-size=\"10\" fill=\"#212121\">%.5s</text>\n", x,
				H - bottom + 14, ts + 11);
		if (new_day)
			fprintf(o, "<text x=\"%.1f\" y=\"%.0f\" font-size=\"10\" fill=\"#212121\">%.10s</text>\n", x,
				H - bottom + (days ? 14 : 28), ts);
	}
	fputs("</svg>\n<p class=\"legend\"><span style=\"color:#90a4ae\">&#9632; flows</span> <span style=\"color:#ef6c00\">"
	      "&#9632; client HTTP flows (not by design)</span> <span style=\"color:#c62828\">&#9632; alerts</span>, per ", o);
	fprintf(o, "%s (UTC).</p>\n", per);
	free(flows);
	free(alerts);
	free(http);
	free(ix);
}

/* ---- findings: grouped by kind, role pair and service; the first host pairs of each ---- */

static void write_notes(const struct agg *r, FILE *o)
{
	if (!r->notes.n)
		return;
	fputs("<h3>The configuration and the traffic</h3>\n<table id=\"notes\"><tr><th>finding</th><th>verdict</th>"
	      "<th>detail</th><th>what to do</th></tr>\n", o);
	size_t *ix = strtable_sorted(&r->notes);
	for (size_t k = 0; ix && k < r->notes.n; k++) {
		const struct agg_note_rec *n = r->notes.vals[ix[k]];
		fputs("<tr><td>", o);
		esc(o, n->id);
		fprintf(o, "</td><td class=\"%s\">%s</td><td>", verdict_name(n->verdict), verdict_name(n->verdict));
		esc(o, n->detail);
		fputs("</td><td>", o);
		esc(o, n->advice);
		fputs("</td></tr>\n", o);
	}
	free(ix);
	fputs("</table>\n", o);
}

static void write_findings(const struct agg *r, const struct agg_group *g, size_t ng, FILE *o)
{
	if (!ng && !r->notes.n)
		return;
	fputs("<h2 id=\"findings\">Findings</h2>\n", o);
	write_notes(r, o);
	const struct agg_kind *open = NULL;
	char t1[TS_STR_MAX], t2[TS_STR_MAX], b[32];
	for (size_t i = 0; i < ng; i++) {
		const struct agg_group *x = &g[i];
		if (x->kind != open) {
			fprintf(o, "<h3 class=\"finding-kind\"><span class=\"%s\">[%s, severity %d]</span> ",
				verdict_name(x->kind->verdict), verdict_name(x->kind->verdict), x->kind->severity);
			esc(o, x->kind->id);
			fprintf(o, " &#8212; %s alerts</h3>\n<p class=\"reason\">", num(x->kind->count, b, sizeof b));
			esc(o, x->kind->message);
			fputs(" <span class=\"category\">(", o);
			esc(o, x->kind->category);
			fputs(")</span></p>\n", o);
			if (x->kind->advice[0]) {
				fputs("<p class=\"advice\"><b>What to do:</b> ", o);
				esc(o, x->kind->advice);
				fputs(" <span class=\"source\">(", o);
				esc(o, x->kind->advice_source);
				fputs(")</span></p>\n", o);
			}
			open = x->kind;
		}
		fputs("<table class=\"findings\"><tr class=\"group\"><th colspan=\"2\">", o);
		esc(o, x->src_role);
		fputs(" &#8594; ", o);
		esc(o, x->dst_role);
		fputs(", ", o);
		esc(o, x->service);
		fprintf(o, "</th><th class=\"num\">%s alerts</th><th>", num(x->count, b, sizeof b));
		esc(o, ts_to_eve(x->first_us, t1, sizeof t1));
		fputs(" .. ", o);
		esc(o, ts_to_eve(x->last_us, t2, sizeof t2));
		fputs("</th></tr>\n<tr><th>from</th><th>to</th><th>alerts</th><th>Wireshark display filter</th>"
		      "</tr>\n", o);
		for (size_t k = 0; k < x->npairs && k < REPORT_TOP_PAIRS; k++) {
			const struct agg_finding *f = x->pairs[k];
			fputs("<tr class=\"finding\"><td>", o);
			esc(o, f->src);
			fputs("</td><td>", o);
			esc(o, f->dst);
			fprintf(o, "</td><td class=\"num\">%s</td><td><code>", num(f->count, b, sizeof b));
			char filter[AGG_FILTER_MAX];
			esc(o, agg_finding_filter(f, filter, sizeof filter));
			fputs("</code></td></tr>\n", o);
		}
		if (x->npairs > REPORT_TOP_PAIRS)
			fprintf(o, "<tr class=\"more\"><td colspan=\"4\">%s more host pairs (all of them: --findings-csv)</td>"
				   "</tr>\n", num(x->npairs - REPORT_TOP_PAIRS, b, sizeof b));
		fputs("</table>\n", o);
	}
}

/* ---- role pairs, web traffic, channels ---- */

static void write_matrix(const struct agg *r, FILE *o)
{
	size_t *ix = strtable_sorted(&r->pairs), rows = 0;
	for (size_t k = 0; ix && k < r->pairs.n; k++)
		rows += strcmp(((const struct agg_pair *)r->pairs.vals[ix[k]])->rule, "-") != 0;
	if (!rows) {
		free(ix);
		return;
	}
	fprintf(o, "<h2 id=\"matrix\">Role pairs</h2>\n<table id=\"role-matrix\"><tr><th>from role</th><th>to role</th>"
		   "<th>service</th><th>flows</th><th>bytes</th><th>verdict</th><th>allowed by</th></tr>\n");
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
	if (!r->web.n)
		return;
	fputs("<h2 id=\"http-audit\">HTTP and HTTPS: client traffic by site and role</h2>\n<table id=\"http-bars\">"
	      "<tr><th>site</th><th>role</th><th class=\"bar\">HTTP | HTTPS, by bytes</th><th>HTTP</th><th>HTTP flows</th>"
	      "<th>HTTP bytes</th><th>HTTPS flows</th><th>HTTPS bytes</th></tr>\n", o);
	size_t *ix = strtable_sorted(&r->web);
	for (size_t k = 0; ix && k < r->web.n; k++) {
		const struct agg_web *w = r->web.vals[ix[k]];
		double total = (double)(w->http_bytes + w->https_bytes);
		double share = total > 0 ? (double)w->http_bytes / total : 0;
		fputs("<tr><td>", o);
		esc(o, w->site);
		fputs("</td><td>", o);
		esc(o, w->role);
		/* HTTP by design (server locator, fallback status points) is grey: no finding */
		fprintf(o, "</td><td class=\"bar\"><span class=\"%s\" style=\"width:%.1f%%\"></span><span class=\"https\" "
			   "style=\"width:%.1f%%\"></span></td><td class=\"num\">%.0f%%%s</td>",
			w->by_design ? "by-design" : "http", 100 * share, 100 * (1 - share), 100 * share,
			w->by_design ? " (by design)" : "");
		fprintf(o, "<td class=\"num\">%llu</td><td class=\"num\">%llu</td><td class=\"num\">%llu</td>"
			   "<td class=\"num\">%llu</td></tr>\n", (unsigned long long)w->http_flows,
			(unsigned long long)w->http_bytes, (unsigned long long)w->https_flows,
			(unsigned long long)w->https_bytes);
	}
	free(ix);
	fputs("</table>\n<p class=\"legend\"><span style=\"color:#ef6c00\">&#9632; HTTP</span> <span style=\"color:#9e9e9e\">"
	      "&#9632; HTTP by design (the server locator and fallback status points serve HTTP only)</span> "
	      "<span style=\"color:#2e7d32\">&#9632; HTTPS</span>, by bytes.</p>\n", o);
}

static int rows_by_count(const void *a, const void *b, void *vals)
{
	void **v = vals;
	const struct agg_wol_rec *x = v[*(const size_t *)a], *y = v[*(const size_t *)b];
	return x->count != y->count ? (x->count < y->count ? 1 : -1) : strcmp(x->mac, y->mac);
}

/* The census of client authentication: per site and role a bar of the clients by class (a client that showed
 * several classes counts in each), the table, and the current branch's clients with their client notification. */
static void write_census(const struct agg *r, FILE *o)
{
	static const char *const colour[AGG_AUTH_CLASSES] = { "#2e7d32", "#1565c0", "#ef6c00", "#9e9e9e" };
	struct agg_census_row *rows;
	size_t n = agg_census_rows(r, &rows);
	if (!n && !r->clients.n)
		return;
	fprintf(o, "<h2 id=\"client-auth\">Client authentication: PKI mutual TLS, enhanced HTTP, plain HTTP</h2>\n");
	if (n) {
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
	uint64_t notified = 0;
	for (size_t k = 0; k < r->clients.n; k++)
		notified += ((const struct agg_client *)r->clients.vals[k])->notify_flows != 0;
	char b1[32], b2[32];
	fprintf(o, "<h3>Client notification (current branch)</h3>\n<p id=\"notification-count\">%s of %s clients seen on "
		   "their client notification channel; the others only polled over HTTP or HTTPS.</p>\n",
		num(notified, b1, sizeof b1), num(r->clients.n, b2, sizeof b2));
	fputs("<table id=\"client-notification\"><tr><th>site</th><th>client</th><th>client notification</th>"
	      "<th>HTTP flows</th><th>HTTPS flows</th></tr>\n", o);
	/* the clients that only poll first (they are the ones to look at), then by site and address */
	size_t *ix = strtable_sorted(&r->clients), shown = 0;
	for (size_t i = 0; ix && i < 2 * r->clients.n && shown < REPORT_TOP_CLIENTS; i++) {
		const struct agg_client *c = r->clients.vals[ix[i % r->clients.n]];
		if ((c->notify_flows != 0) != (i >= r->clients.n)) /* the first pass takes the polling ones */
			continue;
		shown++;
		fputs("<tr><td>", o);
		esc(o, c->site);
		fputs("</td><td>", o);
		esc(o, c->client);
		fprintf(o, "</td><td class=\"%s\">%s</td><td class=\"num\">%llu</td><td class=\"num\">%llu</td></tr>\n",
			c->notify_flows ? "seen" : "polling-only", c->notify_flows ? "seen" : "polling only",
			(unsigned long long)c->http_flows, (unsigned long long)c->https_flows);
	}
	if (r->clients.n > shown)
		fprintf(o, "<tr class=\"more\"><td colspan=\"5\">%s more clients (all of them: EVE, "
			   "configmgr.client_notification)</td></tr>\n", num(r->clients.n - shown, b1, sizeof b1));
	free(ix);
	fputs("</table>\n", o);
}

static void write_channels(const struct agg *r, FILE *o)
{
	if (!r->rpc.n && !r->wol.n && !r->mcast.n)
		return;
	char b[32];
	fputs("<h2 id=\"channels\">Follow-ups and channels</h2>\n", o);
	if (r->rpc.n) {
		fputs("<h3>RPC interfaces</h3>\n<table id=\"rpc\"><tr><th>interface</th><th>learnt by</th><th>connections</th>"
		      "</tr>\n", o);
		size_t *ix = strtable_sorted(&r->rpc);
		for (size_t k = 0; ix && k < r->rpc.n; k++) {
			const struct agg_rpc *p = r->rpc.vals[ix[k]];
			fputs("<tr><td>", o);
			esc(o, p->iface);
			fputs("</td><td>", o);
			esc(o, p->via);
			fprintf(o, "</td><td class=\"num\">%llu</td></tr>\n", (unsigned long long)p->count);
		}
		free(ix);
		fputs("</table>\n", o);
	}
	if (r->wol.n) {
		fputs("<h3>Wake On LAN targets</h3>\n<table id=\"wol\"><tr><th>target MAC</th><th>sent by</th>"
		      "<th>carrier, addressing</th><th>packets</th></tr>\n", o);
		size_t *ix = malloc(r->wol.n * sizeof *ix);
		for (size_t k = 0; ix && k < r->wol.n; k++)
			ix[k] = k;
		if (ix)
			qsort_r(ix, r->wol.n, sizeof *ix, rows_by_count, r->wol.vals);
		for (size_t k = 0; ix && k < r->wol.n && k < REPORT_TOP_ROWS; k++) {
			const struct agg_wol_rec *w = r->wol.vals[ix[k]];
			fputs("<tr><td>", o);
			esc(o, w->mac);
			fputs("</td><td>", o);
			esc(o, w->sender);
			fputs("</td><td>", o);
			esc(o, w->how);
			fprintf(o, "</td><td class=\"num\">%llu</td></tr>\n", (unsigned long long)w->count);
		}
		if (r->wol.n > REPORT_TOP_ROWS)
			fprintf(o, "<tr class=\"more\"><td colspan=\"4\">%s more targets (in EVE)</td></tr>\n",
				num(r->wol.n - REPORT_TOP_ROWS, b, sizeof b));
		free(ix);
		fputs("</table>\n", o);
	}
	if (r->mcast.n) {
		fputs("<h3>Multicast sessions</h3>\n<table id=\"multicast\"><tr><th>sender</th><th>group</th><th>port</th>"
		      "<th>packets</th><th>bytes</th><th>receivers</th></tr>\n", o);
		size_t *ix = strtable_sorted(&r->mcast);
		for (size_t k = 0; ix && k < r->mcast.n && k < REPORT_TOP_ROWS; k++) {
			const struct agg_mcast *m = r->mcast.vals[ix[k]];
			fputs("<tr><td>", o);
			esc(o, m->sender);
			fputs("</td><td>", o);
			esc(o, m->group);
			fprintf(o, "</td><td class=\"num\">%llu</td><td class=\"num\">%llu</td><td class=\"num\">%llu</td>"
				   "<td class=\"num\">%llu</td></tr>\n", (unsigned long long)m->port, (unsigned long long)m->pkts,
				(unsigned long long)m->bytes, (unsigned long long)m->receivers);
		}
		if (r->mcast.n > REPORT_TOP_ROWS)
			fprintf(o, "<tr class=\"more\"><td colspan=\"6\">%s more sessions (in EVE)</td></tr>\n",
				num(r->mcast.n - REPORT_TOP_ROWS, b, sizeof b));
		free(ix);
		fputs("</table>\n", o);
	}
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

static const char STYLE[] =
	"body{font-family:'Liberation Sans',sans-serif;margin:1.5em;color:#212121;max-width:1400px}"
	"table{border-collapse:collapse;margin:.5em 0 1.2em}td,th{border:1px solid #ccc;padding:2px 6px;font-size:13px;"
	"vertical-align:top;text-align:left}th{background:#eee}td.num,th.num{text-align:right}"
	".expected{color:#2e7d32}.noncompliant{color:#ef6c00;font-weight:bold}.unexpected{color:#c62828;font-weight:bold}"
	".informational{color:#1565c0}code{font-size:11px;word-break:break-all}.legend{font-size:12px}"
	".advice{background:#fff8e1;padding:4px 8px;border-left:3px solid #ef6c00}.source{color:#616161}"
	"td.bar{width:40%;white-space:nowrap}td.bar span{display:inline-block;height:14px}span.http{background:#ef6c00}"
	"span.by-design{background:#9e9e9e}span.https{background:#2e7d32}tr.more td{font-style:italic;color:#616161}"
	"@page{size:A4 landscape;margin:12mm}"
	"@media print{body{margin:0;max-width:none}svg{page-break-inside:avoid;break-inside:avoid}"
	"h2,h3{page-break-after:avoid;break-after:avoid}tr{page-break-inside:avoid;break-inside:avoid}"
	"td.bar span{-webkit-print-color-adjust:exact;print-color-adjust:exact}"
	/* paper is white: the labels' halo would be printed as a second copy of their text */
	"text.label{stroke:none}}";

bool report_write(const struct agg *r, FILE *o, const char *generated)
{
	size_t ng;
	struct agg_group *g = agg_groups(r, &ng);
	fprintf(o, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>cmflow audit report</title>\n"
		   "<style>\n%s\n</style></head><body>\n<h1>cmflow audit report</h1>\n", STYLE);
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
	if (r->dropped)
		fprintf(o, "<tr><th>not shown</th><td>%llu records did not fit the report's tables</td></tr>\n",
			(unsigned long long)r->dropped);
	fputs("<tr><th>generated</th><td class=\"generated\">", o);
	esc(o, generated);
	fputs("</td></tr>\n</table>\n", o);
	write_overview(r, g, ng, o);
	write_graph(r, o);
	write_timeline(r, o);
	write_findings(r, g, ng, o);
	write_matrix(r, o);
	write_web(r, o);
	write_census(r, o);
	write_channels(r, o);
	fputs("</body></html>\n", o);
	agg_groups_free(g, ng);
	return !ferror(o);
}

/* summary.c: the end-of-run text summary, from the run's aggregates (aggregate.h) and its counters. Every table
 * shows its first `top` rows and says how many more there are (the CSV and the report have them all), so that a
 * site of thousands of clients fits a terminal. */
#define _GNU_SOURCE /* qsort_r */
#include <stdlib.h>
#include <string.h>

#include "audit/infer.h"
#include "lib/util.h"
#include "output/summary.h"

/* Indices of the records of t sorted by cmp (with the table's values as context). */
static size_t *order(const struct strtable *t, int (*cmp)(const void *, const void *, void *))
{
	size_t *ix = malloc((t->n ? t->n : 1) * sizeof *ix);
	if (!ix)
		return NULL;
	for (size_t i = 0; i < t->n; i++)
		ix[i] = i;
	qsort_r(ix, t->n, sizeof *ix, cmp, t->vals);
	return ix;
}

#define AT(v, i) (((void **)(v))[*(const size_t *)(i)])

static int pairs_order(const void *a, const void *b, void *vals)
{
	const struct agg_pair *x = AT(vals, a), *y = AT(vals, b);
	if (x->flows != y->flows)
		return x->flows < y->flows ? 1 : -1;
	return strcmp(x->rule, y->rule);
}

static int protos_order(const void *a, const void *b, void *vals)
{
	const struct agg_proto *x = AT(vals, a), *y = AT(vals, b);
	if (x->flows != y->flows)
		return x->flows < y->flows ? 1 : -1;
	return strcmp(x->name, y->name);
}

static int mcast_order(const void *a, const void *b, void *vals)
{
	const struct agg_mcast *x = AT(vals, a), *y = AT(vals, b);
	return x->bytes != y->bytes ? (x->bytes < y->bytes ? 1 : -1) : strcmp(x->group, y->group);
}

static int wol_order(const void *a, const void *b, void *vals)
{
	const struct agg_wol_rec *x = AT(vals, a), *y = AT(vals, b);
	return x->count != y->count ? (x->count < y->count ? 1 : -1) : strcmp(x->mac, y->mac);
}

static int rpc_order(const void *a, const void *b, void *vals)
{
	const struct agg_rpc *x = AT(vals, a), *y = AT(vals, b);
	int c = x->count != y->count ? (x->count < y->count ? 1 : -1) : strcmp(x->iface, y->iface);
	return c ? c : strcmp(x->via, y->via);
}

/* "  (12 more: ...)" under a table cut at top rows */
static void more(FILE *out, size_t total, size_t top, const char *what)
{
	if (total > top)
		fprintf(out, "  (%zu more %s%s)\n", total - top, what, "; --findings-csv, the report or EVE have them all");
}

static void print_notes(const struct agg *a, unsigned top, FILE *out)
{
	if (!a->notes.n)
		return;
	fprintf(out, "site configuration findings (the configuration itself, and where the traffic disagrees)\n");
	for (size_t i = 0; i < a->notes.n && i < top; i++) {
		const struct agg_note_rec *n = a->notes.vals[i];
		fprintf(out, "  [%s, severity %d] %s: %s\n", verdict_name(n->verdict), n->severity, n->id, n->detail);
	}
	more(out, a->notes.n, top, "configuration findings");
	fprintf(out, "\n");
}

/* Findings first: counts by verdict and severity, then grouped by kind (most severe first), role pair and
 * service, with the host pairs of most alerts under each group. The counts are those of the alerts listed (the
 * configuration findings have their own section), informational detections included: the verdict counts and the
 * severity counts each add up to the alerts. */
static void print_findings(const struct agg *a, unsigned top, FILE *out)
{
	size_t n;
	struct agg_group *g = agg_groups(a, &n);
	if (!n) {
		fprintf(out, "findings: none\n\n");
		return;
	}
	uint64_t by_verdict[VERDICT_INFORMATIONAL + 1] = {0}, by_severity[4] = {0}, total = 0, hosts = 0;
	for (size_t i = 0; i < n; i++) {
		total += g[i].count;
		hosts += g[i].npairs;
		if ((unsigned)g[i].kind->verdict <= VERDICT_INFORMATIONAL)
			by_verdict[g[i].kind->verdict] += g[i].count;
		if (g[i].kind->severity >= 1 && g[i].kind->severity <= 3)
			by_severity[g[i].kind->severity] += g[i].count;
	}
	fprintf(out, "findings: %llu alerts, %llu host pairs in %zu groups (noncompliant %llu, unexpected %llu, informational "
		     "%llu; severity 1: %llu, 2: %llu, 3: %llu)\n", (unsigned long long)total, (unsigned long long)hosts, n,
		(unsigned long long)by_verdict[VERDICT_NONCOMPLIANT], (unsigned long long)by_verdict[VERDICT_UNEXPECTED],
		(unsigned long long)by_verdict[VERDICT_INFORMATIONAL], (unsigned long long)by_severity[1],
		(unsigned long long)by_severity[2], (unsigned long long)by_severity[3]);
	char t1[TS_STR_MAX], t2[TS_STR_MAX];
	const struct agg_kind *prev = NULL;
	size_t shown = 0, left = 0;
	for (size_t i = 0; i < n; i++) {
		const struct agg_group *x = &g[i];
		if (shown == top) {
			left++;
			continue;
		}
		shown++;
		if (x->kind != prev) {
			fprintf(out, "  [%s, severity %d] %s: %s\n", verdict_name(x->kind->verdict), x->kind->severity, x->kind->id,
				x->kind->message);
			if (x->kind->advice[0])
				fprintf(out, "    what to do: %s (%s)\n", x->kind->advice, x->kind->advice_source);
			prev = x->kind;
		}
		fprintf(out, "    %s -> %s  %s  %llu alert%s, %zu host pair%s  %s .. %s\n", x->src_role, x->dst_role, x->service,
			(unsigned long long)x->count, x->count == 1 ? "" : "s", x->npairs, x->npairs == 1 ? "" : "s",
			ts_to_eve(x->first_us, t1, sizeof t1), ts_to_eve(x->last_us, t2, sizeof t2));
		size_t pairs = x->npairs < 3 ? x->npairs : 3; /* a group's first host pairs; the CSV has them all */
		for (size_t k = 0; k < pairs; k++) {
			const struct agg_finding *f = x->pairs[k];
			char filter[AGG_FILTER_MAX];
			fprintf(out, "      %s -> %s  %llu flow%s\n        wireshark: %s\n", f->src, f->dst,
				(unsigned long long)f->count, f->count == 1 ? "" : "s", agg_finding_filter(f, filter, sizeof filter));
		}
		if (x->npairs > pairs)
			fprintf(out, "      (%zu more host pairs)\n", x->npairs - pairs);
	}
	if (left)
		fprintf(out, "  (%zu more finding groups; --findings-csv, the report or EVE have them all)\n", left);
	fprintf(out, "\n");
	agg_groups_free(g, n);
}

static void print_counters(const struct run_stats *rs, const struct agg *a, FILE *out)
{
	size_t n;
	const struct counter *c = counters_all(&n);
	fprintf(out, "cmflow summary\n");
	for (size_t i = 0; i < n; i++) {
		if (!c[i].summary || ((c[i].flags & COUNTER_LIVE) && !rs->live))
			continue;
		uint64_t v = counter_value(rs, &c[i]);
		if (!v && strcmp(c[i].path, "stats.decoder.pkts") && strcmp(c[i].path, "stats.flow.total"))
			continue; /* what did not happen is not worth a line */
		fprintf(out, "  %-34s %llu\n", c[i].summary, (unsigned long long)v);
	}
	fprintf(out, "  %-34s %llu of %llu flows\n", "protocol proven", (unsigned long long)a->proven,
		(unsigned long long)a->flows);
}

static void print_protocols(const struct agg *a, unsigned top, FILE *out)
{
	size_t *ix = order(&a->protos, protos_order);
	if (!ix || !a->protos.n) {
		free(ix);
		return;
	}
	fprintf(out, "\nflows by application protocol (cmflow's own proofs marked, else nDPI's answer)\n");
	fprintf(out, "  %-28s %10s %12s %14s\n", "protocol", "flows", "packets", "bytes");
	for (size_t k = 0; k < a->protos.n && k < top; k++) {
		const struct agg_proto *p = a->protos.vals[ix[k]];
		fprintf(out, "  %-28s %10llu %12llu %14llu\n", p->name, (unsigned long long)p->flows,
			(unsigned long long)p->pkts, (unsigned long long)p->bytes);
	}
	more(out, a->protos.n, top, "protocols");
	free(ix);
}

static void print_pairs(const struct agg *a, unsigned top, FILE *out)
{
	size_t *ix = a->pairs.n ? order(&a->pairs, pairs_order) : NULL;
	if (!ix)
		return;
	fprintf(out, "\nConfigMgr role pairs (%llu flows labelled by a rule of the port matrix)\n",
		(unsigned long long)a->labelled);
	fprintf(out, "  %-28s %-28s %-6s %-34s %8s %14s\n", "from role", "to role", "rule", "service", "flows", "bytes");
	for (size_t k = 0; k < a->pairs.n && k < top; k++) {
		const struct agg_pair *p = a->pairs.vals[ix[k]];
		fprintf(out, "  %-28s %-28s %-6s %-34.34s %8llu %14llu\n", p->from, p->to, p->rule, p->service,
			(unsigned long long)p->flows, (unsigned long long)p->bytes);
	}
	more(out, a->pairs.n, top, "role pairs");
	free(ix);
}

/* Inferred roles by role: how many hosts, and the first of them with their evidence. */
#define ROLE_FIRST_HOSTS 3

struct role_hosts {
	uint64_t hosts;
	char first[ROLE_FIRST_HOSTS][160];
	unsigned nfirst;
};

struct inferred_print {
	struct role_hosts by[ROLES_MAX];
};

static void collect_inferred(void *ctx, const struct inferred_role *r)
{
	struct inferred_print *p = ctx;
	if (r->role < 0 || r->role >= ROLES_MAX)
		return;
	struct role_hosts *h = &p->by[r->role];
	if (h->nfirst < ROLE_FIRST_HOSTS) {
		char a[ADDR_STR_MAX];
		snprintf(h->first[h->nfirst++], sizeof h->first[0], "%s (%llu flow%s: %.100s)",
			 addr_to_str(r->family, r->addr, a, sizeof a), (unsigned long long)r->flows, r->flows == 1 ? "" : "s",
			 r->evidence);
	}
	h->hosts++;
}

/* Every RPC interface bound or announced, with how it was learnt (the report's RPC table), busiest first. */
static void print_rpc(const struct agg *a, unsigned top, FILE *out)
{
	if (!a->rpc.n)
		return;
	size_t *ix = order(&a->rpc, rpc_order);
	fprintf(out, "\nRPC interfaces (bound over TCP, on a named pipe, or announced)\n");
	fprintf(out, "  %-28s %-12s %12s\n", "interface", "learnt by", "connections");
	for (size_t k = 0; ix && k < a->rpc.n && k < top; k++) {
		const struct agg_rpc *p = a->rpc.vals[ix[k]];
		fprintf(out, "  %-28s %-12s %12llu\n", p->iface, p->via, (unsigned long long)p->count);
	}
	more(out, a->rpc.n, top, "RPC interfaces");
	free(ix);
}

static void print_inferred(struct infer_table *infer, const struct roles *roles, FILE *out)
{
	struct inferred_print *p = calloc(1, sizeof *p);
	if (!p)
		return;
	infer_each(infer, collect_inferred, p);
	bool any = false;
	for (unsigned i = 0; i < roles->n; i++) {
		const struct role_hosts *h = &p->by[i];
		if (!h->hosts)
			continue;
		if (!any)
			fprintf(out, "\nroles inferred from traffic (signatures/fingerprints.txt; --infer-site writes every host)\n"
				     "  %-30s %7s  first hosts (flows: evidence)\n", "role", "hosts");
		any = true;
		fprintf(out, "  %-30s %7llu  %s\n", roles->name[i], (unsigned long long)h->hosts, h->first[0]);
		for (unsigned k = 1; k < h->nfirst; k++)
			fprintf(out, "  %-30s %7s  %s\n", "", "", h->first[k]);
	}
	if (infer_dropped(infer))
		fprintf(out, "  (%llu more hosts did not fit in the table)\n", (unsigned long long)infer_dropped(infer));
	free(p);
}

static void print_channels(const struct agg *a, unsigned top, FILE *out)
{
	print_rpc(a, top, out);
	if (a->mcast.n) {
		size_t *ix = order(&a->mcast, mcast_order);
		fprintf(out, "\nmulticast sessions (one sender, one group; receivers from IGMP / MLD joins)\n");
		fprintf(out, "  %-39s %-39s %6s %10s %14s %10s %9s\n", "sender", "group", "port", "packets", "bytes",
			"seconds", "receivers");
		for (size_t k = 0; ix && k < a->mcast.n && k < top; k++) {
			const struct agg_mcast *m = a->mcast.vals[ix[k]];
			fprintf(out, "  %-39s %-39s %6llu %10llu %14llu %10.3f %9llu\n", m->sender, m->group,
				(unsigned long long)m->port, (unsigned long long)m->pkts, (unsigned long long)m->bytes,
				(double)(m->last_us - m->first_us) / 1e6, (unsigned long long)m->receivers);
		}
		more(out, a->mcast.n, top, "multicast sessions");
		free(ix);
	}
	if (a->wol.n) {
		size_t *ix = order(&a->wol, wol_order);
		fprintf(out, "\nWake On LAN targets\n");
		fprintf(out, "  %-17s  %-39s %-40s %8s\n", "target MAC", "sent by", "carrier, addressing", "packets");
		for (size_t k = 0; ix && k < a->wol.n && k < top; k++) {
			const struct agg_wol_rec *w = a->wol.vals[ix[k]];
			fprintf(out, "  %-17s  %-39s %-40s %8llu\n", w->mac, w->sender, w->how, (unsigned long long)w->count);
		}
		more(out, a->wol.n, top, "Wake On LAN targets");
		free(ix);
	}
}

/* The census of client authentication: per site and role, the clients seen with each class (a client may show
 * several), then per current branch client whether its client notification channel was seen. */
static void print_census(const struct agg *a, unsigned top, FILE *out)
{
	struct agg_census_row *rows;
	size_t n = agg_census_rows(a, &rows);
	if (n) {
		fprintf(out, "\nclient authentication by site and role (clients; one may show several)\n");
		fprintf(out, "  %-6s %-28s %8s %15s %14s %11s %15s\n", "site", "role", "clients", "PKI mutual TLS",
			"enhanced HTTP", "plain HTTP", "cannot be told");
		for (size_t i = 0; i < n; i++)
			fprintf(out, "  %-6s %-28s %8llu %15llu %14llu %11llu %15llu\n", rows[i].site, rows[i].role,
				(unsigned long long)rows[i].clients, (unsigned long long)rows[i].by_class[0],
				(unsigned long long)rows[i].by_class[1], (unsigned long long)rows[i].by_class[2],
				(unsigned long long)rows[i].by_class[3]);
		free(rows);
	}
	if (!a->clients.n)
		return;
	size_t *ix = strtable_sorted(&a->clients);
	uint64_t notified = 0;
	for (size_t k = 0; k < a->clients.n; k++)
		notified += ((const struct agg_client *)a->clients.vals[k])->notify_flows != 0;
	fprintf(out, "\nclient notification (current branch sites): %llu of %zu clients seen on it, %llu only polling over "
		     "HTTP or HTTPS\n", (unsigned long long)notified, a->clients.n,
		(unsigned long long)(a->clients.n - notified));
	fprintf(out, "  %-6s %-39s %-13s %10s %11s\n", "site", "client", "notification", "HTTP flows", "HTTPS flows");
	for (size_t k = 0; ix && k < a->clients.n && k < top; k++) {
		const struct agg_client *c = a->clients.vals[ix[k]];
		fprintf(out, "  %-6s %-39s %-13s %10llu %11llu\n", c->site, c->client, c->notify_flows ? "seen" : "polling only",
			(unsigned long long)c->http_flows, (unsigned long long)c->https_flows);
	}
	more(out, a->clients.n, top, "clients");
	free(ix);
}

static void print_malformed(const struct run_stats *rs, FILE *out)
{
	const struct decode_stats *d = &rs->decoder;
	if (!d->malformed && !d->unsupported_linktype)
		return;
	fprintf(out, "\nmalformed packets (never fatal; counted by reason)\n");
	for (int r = 0; r < MAL_COUNT; r++)
		if (d->by_reason[r])
			fprintf(out, "  %-34s %llu\n", malformed_reason_name((enum malformed_reason)r),
				(unsigned long long)d->by_reason[r]);
	if (d->unsupported_linktype)
		fprintf(out, "  %-34s %llu\n", "unsupported link type", (unsigned long long)d->unsupported_linktype);
}

void summary_print(const struct agg *a, const struct run_stats *rs, struct infer_table *infer,
		   const struct roles *roles, unsigned top, FILE *out)
{
	if (!top)
		top = SUMMARY_TOP;
	print_notes(a, top, out);
	print_findings(a, top, out);
	print_counters(rs, a, out);
	print_protocols(a, top, out);
	print_pairs(a, top, out);
	if (infer && roles)
		print_inferred(infer, roles, out);
	print_channels(a, top, out);
	print_census(a, top, out);
	if (a->dropped)
		fprintf(out, "\n(%llu aggregates could not be kept: a table was full, or memory short)\n",
			(unsigned long long)a->dropped);
	print_malformed(rs, out);
}

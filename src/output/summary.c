/* summary.c: the end-of-run text summary, from the run's aggregates (aggregate.h) and its counters. */
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

/* Findings first: grouped by kind (most severe first), then the most frequent host pair and service. */
static int findings_order(const void *a, const void *b, void *vals)
{
	const struct agg_finding *x = AT(vals, a), *y = AT(vals, b);
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

static int by_key_order(const void *a, const void *b, void *vals)
{
	(void)vals;
	return *(const size_t *)a < *(const size_t *)b ? -1 : *(const size_t *)a > *(const size_t *)b;
}

static void print_notes(const struct agg *a, FILE *out)
{
	if (!a->notes.n)
		return;
	fprintf(out, "site configuration findings (the configuration itself, and where the traffic disagrees)\n");
	for (size_t i = 0; i < a->notes.n; i++) {
		const struct agg_note_rec *n = a->notes.vals[i];
		fprintf(out, "  [%s, severity %d] %s: %s\n", verdict_name(n->verdict), n->severity, n->id, n->detail);
	}
	fprintf(out, "\n");
}

static void print_findings(const struct agg *a, FILE *out)
{
	if (!a->findings.n) {
		fprintf(out, "findings: none\n\n");
		return;
	}
	size_t *ix = order(&a->findings, findings_order);
	if (!ix)
		return;
	char t1[TS_STR_MAX], t2[TS_STR_MAX];
	fprintf(out, "findings\n");
	const struct agg_finding *prev = NULL;
	for (size_t k = 0; k < a->findings.n; k++) {
		const struct agg_finding *f = a->findings.vals[ix[k]];
		const struct agg_kind *kind = f->kind;
		if (!prev || prev->kind != kind)
			fprintf(out, "  [%s, severity %d] %s: %s\n", verdict_name(kind->verdict), kind->severity, kind->id,
				kind->message);
		fprintf(out, "    %s -> %s  %s  %llu flow%s  %s .. %s\n      wireshark: %s\n", f->src, f->dst, f->service,
			(unsigned long long)f->count, f->count == 1 ? "" : "s", ts_to_eve(f->first_us, t1, sizeof t1),
			ts_to_eve(f->last_us, t2, sizeof t2), f->filter);
		prev = f;
	}
	fprintf(out, "\n");
	free(ix);
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

static void print_protocols(const struct agg *a, FILE *out)
{
	size_t *ix = order(&a->protos, protos_order);
	if (!ix)
		return;
	fprintf(out, "\nflows by application protocol (cmflow's own proofs marked, else nDPI's answer)\n");
	fprintf(out, "  %-28s %10s %12s %14s\n", "protocol", "flows", "packets", "bytes");
	for (size_t k = 0; k < a->protos.n; k++) {
		const struct agg_proto *p = a->protos.vals[ix[k]];
		fprintf(out, "  %-28s %10llu %12llu %14llu\n", p->name, (unsigned long long)p->flows,
			(unsigned long long)p->pkts, (unsigned long long)p->bytes);
	}
	free(ix);
}

static void print_pairs(const struct agg *a, FILE *out)
{
	if (!a->pairs.n)
		return;
	size_t *ix = order(&a->pairs, pairs_order);
	if (!ix)
		return;
	fprintf(out, "\nConfigMgr role pairs (%llu flows labelled by a rule of the port matrix)\n",
		(unsigned long long)a->labelled);
	fprintf(out, "  %-28s %-28s %-6s %-34s %8s %14s\n", "from role", "to role", "rule", "service", "flows", "bytes");
	for (size_t k = 0; k < a->pairs.n; k++) {
		const struct agg_pair *p = a->pairs.vals[ix[k]];
		fprintf(out, "  %-28s %-28s %-6s %-34.34s %8llu %14llu\n", p->from, p->to, p->rule, p->service,
			(unsigned long long)p->flows, (unsigned long long)p->bytes);
	}
	free(ix);
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
	for (unsigned i = 0; i < r->nfirst && n < sizeof first; i++)
		n += (size_t)snprintf(first + n, sizeof first - n, "%s%llu", i ? "," : "", (unsigned long long)r->first_flows[i]);
	if (p->lines++ == 0) {
		fprintf(p->out, "\nroles inferred from traffic (signatures/fingerprints.txt; first flow ids of the EVE output)\n");
		fprintf(p->out, "  %-39s %-28s %8s %-14s %s\n", "host", "role", "flows", "first flows", "evidence");
	}
	fprintf(p->out, "  %-39s %-28s %8llu %-14s %s\n", addr_to_str(r->family, r->addr, a, sizeof a),
		p->roles->name[r->role], (unsigned long long)r->flows, first, r->evidence);
}

/* Every RPC interface bound or announced, with how it was learnt (the report's RPC table). */
static void print_rpc(const struct agg *a, FILE *out)
{
	if (!a->rpc.n)
		return;
	size_t *ix = order(&a->rpc, by_key_order);
	fprintf(out, "\nRPC interfaces (bound over TCP, on a named pipe, or announced)\n");
	fprintf(out, "  %-28s %-12s %12s\n", "interface", "learnt by", "connections");
	for (size_t k = 0; ix && k < a->rpc.n; k++) {
		const struct agg_rpc *p = a->rpc.vals[ix[k]];
		fprintf(out, "  %-28s %-12s %12llu\n", p->iface, p->via, (unsigned long long)p->count);
	}
	free(ix);
}

static void print_channels(const struct agg *a, FILE *out)
{
	char t1[TS_STR_MAX];
	(void)t1;
	print_rpc(a, out);
	if (a->mcast.n) {
		size_t *ix = order(&a->mcast, by_key_order);
		fprintf(out, "\nmulticast sessions (one sender, one group; receivers from IGMP / MLD joins)\n");
		fprintf(out, "  %-39s %-39s %6s %10s %14s %10s %9s\n", "sender", "group", "port", "packets", "bytes",
			"seconds", "receivers");
		for (size_t k = 0; ix && k < a->mcast.n; k++) {
			const struct agg_mcast *m = a->mcast.vals[ix[k]];
			fprintf(out, "  %-39s %-39s %6llu %10llu %14llu %10.3f %9llu\n", m->sender, m->group,
				(unsigned long long)m->port, (unsigned long long)m->pkts, (unsigned long long)m->bytes,
				(double)(m->last_us - m->first_us) / 1e6, (unsigned long long)m->receivers);
		}
		free(ix);
	}
	if (a->wol.n) {
		size_t *ix = order(&a->wol, by_key_order);
		fprintf(out, "\nWake On LAN targets\n");
		fprintf(out, "  %-17s  %-39s %-40s %8s\n", "target MAC", "sent by", "carrier, addressing", "packets");
		for (size_t k = 0; ix && k < a->wol.n; k++) {
			const struct agg_wol_rec *w = a->wol.vals[ix[k]];
			fprintf(out, "  %-17s  %-39s %-40s %8llu\n", w->mac, w->sender, w->how, (unsigned long long)w->count);
		}
		free(ix);
	}
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
		   const struct roles *roles, FILE *out)
{
	print_notes(a, out);
	print_findings(a, out);
	print_counters(rs, a, out);
	print_protocols(a, out);
	print_pairs(a, out);
	if (infer && roles) {
		struct inferred_print ip = { roles, out, 0 };
		infer_each(infer, print_inferred, &ip);
		if (infer_dropped(infer))
			fprintf(out, "  (%llu more hosts did not fit in the table)\n", (unsigned long long)infer_dropped(infer));
	}
	print_channels(a, out);
	if (a->dropped)
		fprintf(out, "\n(%llu aggregates could not be kept: memory)\n", (unsigned long long)a->dropped);
	print_malformed(rs, out);
}

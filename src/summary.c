/* summary.c: the end-of-run text summary. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "dpi.h"
#include "engine.h"
#include "summary.h"

#define SUMMARY_MAX_PROTOS 256

struct proto_count {
	char name[48];
	uint64_t flows, pkts, bytes;
};

struct summary {
	struct proto_count protos[SUMMARY_MAX_PROTOS];
	size_t nprotos;
	uint64_t flows, proven;
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

void summary_flow(struct summary *s, const struct engine *e, const struct flow *f)
{
	char name[48];
	const char *n = "Unknown";
	if (f->ndpi_master || f->ndpi_app)
		n = dpi_name(e->dpi, f, name, sizeof name);
	if (f->app_proof == APP_HTTP && !dpi_proven(f))
		n = "HTTP (cmflow)";
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
	pthread_mutex_unlock(&s->lock);
}

static int by_flows(const void *a, const void *b)
{
	const struct proto_count *x = a, *y = b;
	if (x->flows != y->flows)
		return x->flows < y->flows ? 1 : -1;
	return strcmp(x->name, y->name);
}

void summary_print(const struct summary *s, const struct run_stats *rs, FILE *out)
{
	const struct decode_stats *d = &rs->decoder;
	const struct flow_table_stats *fs = &rs->flows;
	struct proto_count sorted[SUMMARY_MAX_PROTOS];

	fprintf(out, "cmflow summary\n");
	fprintf(out, "  packets          %llu (%llu bytes)\n", (unsigned long long)d->pkts, (unsigned long long)d->bytes);
	fprintf(out, "  IPv4 / IPv6      %llu / %llu\n", (unsigned long long)d->ipv4, (unsigned long long)d->ipv6);
	fprintf(out, "  non-IP frames    %llu\n", (unsigned long long)d->not_ip);
	fprintf(out, "  flows            %llu (%llu TCP, %llu UDP, %llu ICMP, %llu other)\n",
		(unsigned long long)fs->created, (unsigned long long)fs->tcp, (unsigned long long)fs->udp,
		(unsigned long long)(fs->icmpv4 + fs->icmpv6), (unsigned long long)fs->other);
	fprintf(out, "  flows ended      %llu by timeout, %llu evicted at the cap, %llu at end of input\n",
		(unsigned long long)fs->timed_out, (unsigned long long)fs->evicted, (unsigned long long)fs->flushed);
	fprintf(out, "  protocol proven  %llu of %llu flows\n", (unsigned long long)s->proven,
		(unsigned long long)s->flows);

	memcpy(sorted, s->protos, s->nprotos * sizeof sorted[0]);
	qsort(sorted, s->nprotos, sizeof sorted[0], by_flows);
	fprintf(out, "\nflows by application protocol (nDPI; cmflow's own HTTP proof marked)\n");
	fprintf(out, "  %-28s %10s %12s %14s\n", "protocol", "flows", "packets", "bytes");
	for (size_t i = 0; i < s->nprotos; i++)
		fprintf(out, "  %-28s %10llu %12llu %14llu\n", sorted[i].name, (unsigned long long)sorted[i].flows,
			(unsigned long long)sorted[i].pkts, (unsigned long long)sorted[i].bytes);

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

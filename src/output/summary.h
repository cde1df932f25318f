/* summary.h: the text summary printed at the end (unless -q), from the run's aggregates (aggregate.h): findings
 * first (configuration and drift, then by kind, host pair and service with a display filter each), the counters
 * that have something to say, flows by application protocol, the ConfigMgr role pairs, the roles inferred from
 * traffic, multicast sessions and Wake On LAN targets, malformed packets by reason. */
#ifndef CMFLOW_SUMMARY_H
#define CMFLOW_SUMMARY_H

#include <stdio.h>

#include "audit/roles.h"
#include "output/aggregate.h"
#include "output/counters.h"

struct infer_table;

#define SUMMARY_TOP 10 /* rows a table shows by default (--top) */

/* Prints the summary of a run to out, each table cut at top rows (0: SUMMARY_TOP) with the count of the rest.
 * infer and roles (the vocabulary of the signatures the run ended with) may be NULL: then no inferred roles are
 * listed. */
void summary_print(const struct agg *a, const struct run_stats *rs, struct infer_table *infer,
		   const struct roles *roles, unsigned top, FILE *out);

#endif

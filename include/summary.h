/* summary.h: the text summary printed at the end (unless -q): packets, flows, flows by application protocol,
 * malformed packets by reason. */
#ifndef CMFLOW_SUMMARY_H
#define CMFLOW_SUMMARY_H

#include <stdio.h>

#include "flow.h"

struct engine;
struct summary;

struct summary *summary_new(void);
void summary_free(struct summary *s);

/* Counts a flow that ended; safe from several threads. */
struct flow_label;
void summary_flow(struct summary *s, const struct engine *e, const struct flow *f, const struct flow_label *lab);

/* Prints the summary to out. */
struct run_stats;
void summary_print(const struct summary *s, const struct run_stats *rs, FILE *out);

#endif

/* summary.h: the text summary printed at the end (unless -q): packets, flows, flows by application protocol,
 * the ConfigMgr role pairs, multicast sessions and Wake On LAN targets, malformed packets by reason. */
#ifndef CMFLOW_SUMMARY_H
#define CMFLOW_SUMMARY_H

#include <stdint.h>
#include <stdio.h>

#include "flow/flow.h"

struct engine;
struct summary;
struct infer_table;
struct roles;

struct summary *summary_new(void);
void summary_free(struct summary *s);

/* Counts a flow that ended; safe from several threads. */
struct flow_label;
void summary_flow(struct summary *s, const struct engine *e, const struct flow *f, const struct flow_label *lab);

/* Prints the summary to out. */
struct finding_kind;
/* The role inference table whose roles the summary lists (with the role vocabulary). */
void summary_set_inference(struct summary *s, struct infer_table *t, const struct roles *roles);

/* A Wake On LAN magic packet in a raw Ethernet frame (EtherType 0x0842): no flow carries it. */
void summary_wol_frame(struct summary *s, const uint8_t target[6], const uint8_t src_mac[6], const char *addressing);

/* A finding about the site configuration itself (shown with the findings). */
void summary_config_finding(struct summary *s, const struct finding_kind *kind, const char *detail);

struct run_stats;
void summary_print(const struct summary *s, const struct run_stats *rs, FILE *out);

#endif

/* infer.h: role inference. The fingerprints (signatures/fingerprints.txt) say what in a flow shows a host's
 * ConfigMgr role; the host table keeps, per host, the roles its traffic showed with their evidence (a count, the
 * first flow ids, what was seen). Inferred roles label hosts the site configuration does not name; where the two
 * disagree the run reports drift; --infer-site writes the table as a site configuration.
 *
 * The table is shared by the capture workers (one mutex) and bounded (hosts beyond the cap are counted, not kept).
 * Reading files without a site configuration, cmflow reads them twice: the first pass fills the table, which is
 * then frozen, so that every flow of the second pass is labelled with what the whole capture showed. */
#ifndef CMFLOW_INFER_H
#define CMFLOW_INFER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "flow/flow.h"
#include "audit/roles.h"

struct knowledge;
struct fingerprints;
struct infer_table;

#define INFER_MAX_HOSTS 65536
#define INFER_FIRST_FLOWS 3

struct infer_table *infer_new(uint32_t max_hosts);
void infer_free(struct infer_table *t);

/* Checks a finished flow against the fingerprints and records what it shows (unless the table is frozen);
 * flow_id is the flow's id in the EVE output (the evidence names it). */
void infer_observe(struct infer_table *t, const struct knowledge *k, const struct flow *f, uint64_t flow_id);

/* No more observations: the roles are final (the second pass over files). */
void infer_freeze(struct infer_table *t);

/* The roles the traffic showed for a host (closure applied), 0 for none. */
role_set infer_roles(struct infer_table *t, const struct roles *roles, uint8_t family, const uint8_t *addr);

/* One inferred role of a host, with its evidence. */
struct inferred_role {
	uint8_t family;
	uint8_t addr[16];
	int role;                                /* index in the role vocabulary */
	uint64_t flows;                          /* flows that showed it */
	uint64_t first_flows[INFER_FIRST_FLOWS]; /* their first flow ids */
	unsigned nfirst;
	char evidence[96];                       /* what the first of them showed ("URL /SMS_MP/.sms_aut") */
};

/* Calls fn for every inferred role, hosts in address order, roles in vocabulary order. */
void infer_each(struct infer_table *t, void (*fn)(void *ctx, const struct inferred_role *r), void *ctx);

/* Hosts not kept because the table was full. */
uint64_t infer_dropped(struct infer_table *t);

/* Writes the table as a site configuration (the -c format): one host line per host with its inferred roles
 * and a comment naming the evidence. */
void infer_write_site(struct infer_table *t, const struct roles *roles, FILE *out, const char *inputs);

/* Drift between the site configuration and the inferred roles: calls fn with the host and a sentence for each
 * host whose traffic shows a role its host line does not give (shown = true), and each role of a single-host
 * line that some fingerprint could show but none did (shown = false). */
typedef void (*infer_drift_fn)(void *ctx, bool shown, uint8_t family, const uint8_t addr[16], const char *sentence);
void infer_drift(struct infer_table *t, const struct knowledge *k, infer_drift_fn fn, void *ctx);

#endif

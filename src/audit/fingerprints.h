/* fingerprints.h: what in a flow shows a host's ConfigMgr role (signatures/fingerprints.txt), as data for role
 * inference (infer.h). One line a fingerprint: infer ROLE server|client KIND VALUE [group=NAME]. */
#ifndef CMFLOW_FINGERPRINTS_H
#define CMFLOW_FINGERPRINTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "audit/roles.h"
#include "audit/rules.h"

enum fp_kind { FP_URL, FP_METHOD, FP_USER_AGENT, FP_PORT, FP_APP, FP_MULTICAST, FP_WOL, FP_SMB_SHARE, FP_RPC,
	       FP_FOLLOWUP, FP_KIND_COUNT };

#define FP_MAX 64
#define FP_MAX_VALUES 8
#define FP_VALUE_MAX 48
#define FP_MAX_GROUPS 16

struct fingerprint {
	int role;
	bool server;            /* names the responder (else the initiator) */
	uint8_t kind;           /* enum fp_kind */
	char values[FP_MAX_VALUES][FP_VALUE_MAX];
	unsigned nvalues;
	struct rule_port ports[16];
	unsigned nports;
	int group;              /* index into groups, -1 for none */
};

struct fingerprints {
	struct fingerprint fp[FP_MAX];
	unsigned n;
	char group_name[FP_MAX_GROUPS][32];
	uint64_t group_mask[FP_MAX_GROUPS]; /* the fingerprints of each group */
	unsigned ngroups;
	uint64_t by_kind[FP_KIND_COUNT];    /* the fingerprints of each kind: a flow is checked only against the kinds
					     * its facts can match (an HTTP request's, an answer's ...) */
	role_set roles;
};

/* Loads signatures/fingerprints.txt; NULL and "FILE:LINE: message 'word'" in err on error. */
struct fingerprints *fingerprints_load(const char *path, const struct roles *roles, char *err, size_t errlen);
void fingerprints_free(struct fingerprints *fp);

/* The roles some fingerprint can show (drift reports only those as "never shown"). */
role_set fingerprints_roles(const struct fingerprints *fp);

#endif

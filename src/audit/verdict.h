/* verdict.h: the site's policy applied to a labelled flow: expected, noncompliant, unexpected or unknown, with
 * the findings that explain it. The policy's data (roles needing HTTPS, exceptions, the findings' ids, severities
 * and sentences) is signatures/policy.txt; the checks are those of reference/configmgr2007-policy.md. */
#ifndef CMFLOW_VERDICT_H
#define CMFLOW_VERDICT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flow/flow.h"
#include "audit/roles.h"
#include "audit/rules.h"

struct knowledge;
struct flow_label;
struct site_config;
struct ruleset;

/* VERDICT_INFORMATIONAL is for findings about the run as a whole (role drift), never a flow's verdict. */
enum verdict { VERDICT_UNKNOWN = 0, VERDICT_EXPECTED, VERDICT_NONCOMPLIANT, VERDICT_UNEXPECTED, VERDICT_INFORMATIONAL };

#define POLICY_MAX_FINDINGS 32

struct finding_kind {
	char id[40];
	uint32_t sid;
	uint8_t severity;         /* 1 (high) .. 3 */
	uint8_t verdict;          /* enum verdict */
	char category[48];
	char message[256];
};

#define POLICY_MAX_PORTS 16

struct policy {
	role_set native_https, http_only, fallback_http, not_site_system;
	struct rule_port tls_only[POLICY_MAX_PORTS];   /* cleartext there is noncompliant */
	unsigned ntls_only;
	struct rule_port exclusive[POLICY_MAX_PORTS];  /* only ConfigMgr paths use these ports */
	unsigned nexclusive;
	struct finding_kind kinds[POLICY_MAX_FINDINGS];
	unsigned nkinds;
};

/* Loads signatures/policy.txt (roles by name from the rules' vocabulary). NULL and "FILE:LINE: ..." on error. */
struct policy *policy_load(const char *path, const struct roles *roles, char *err, size_t errlen);
void policy_free(struct policy *p);
const struct finding_kind *policy_kind(const struct policy *p, const char *id);

#define VERDICT_MAX_FINDINGS 6

struct verdict_result {
	enum verdict verdict;
	const struct finding_kind *findings[VERDICT_MAX_FINDINGS];
	unsigned nfindings;
	/* live monitoring: whether each finding is reported now, and the repeats held back before it */
	bool muted[VERDICT_MAX_FINDINGS];
	uint64_t held_back[VERDICT_MAX_FINDINGS];
};

/* Applies the policy to a flow and its label. */
void verdict_flow(const struct knowledge *k, const struct flow *f, const struct flow_label *lab,
		  struct verdict_result *out);

const char *verdict_name(enum verdict v);

/* The verdict of a name as verdict_name writes it; VERDICT_UNKNOWN for anything else (an EVE file's word). */
enum verdict verdict_parse(const char *name);

/* Findings of the configuration itself (WSUS port pairs, client ports differing between sites): calls fn for
 * each with a sentence naming the site. */
void verdict_config(const struct knowledge *k, void (*fn)(void *ctx, const struct finding_kind *kind,
							   const char *detail), void *ctx);

#endif

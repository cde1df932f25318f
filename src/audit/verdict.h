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
#include "audit/policy.h"

struct knowledge;
struct flow_label;
struct site_config;
struct ruleset;

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

/* Findings of the configuration itself (WSUS port pairs, client ports differing between sites): calls fn for
 * each with a sentence naming the site. */
void verdict_config(const struct knowledge *k, void (*fn)(void *ctx, const struct finding_kind *kind,
							   const char *detail), void *ctx);

#endif

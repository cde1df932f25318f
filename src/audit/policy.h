/* policy.h: the compliance checks' data (signatures/policy.txt): which roles need HTTPS from native mode
 * clients, the exceptions, the ports of special channels, and the findings (id, signature id, severity,
 * verdict, sentence). The checks themselves are verdict.c's. */
#ifndef CMFLOW_POLICY_H
#define CMFLOW_POLICY_H

#include <stdbool.h>
#include <stddef.h>

#include "audit/finding.h"
#include "audit/roles.h"
#include "audit/rules.h"

#define POLICY_MAX_FINDINGS 32


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

#endif

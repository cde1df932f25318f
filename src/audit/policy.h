/* policy.h: the compliance checks' data of a knowledge set (signatures/policy.txt for ConfigMgr 2007,
 * signatures/policy-cb.txt laid over it for the current branch): which roles need HTTPS, the exceptions, the
 * ports of special channels and who may use them, what proves enhanced HTTP, the client-authentication census,
 * and the findings (id, signature id, severity, verdict, sentence). The checks themselves are verdict.c's. */
#ifndef CMFLOW_POLICY_H
#define CMFLOW_POLICY_H

#include <stdbool.h>
#include <stddef.h>

#include "audit/finding.h"
#include "audit/roles.h"
#include "audit/rules.h"

#define POLICY_MAX_FINDINGS 32


#define POLICY_MAX_PORTS 16
#define POLICY_MAX_RESERVED 8
#define POLICY_MAX_URLS 8
#define POLICY_URL_MAX 48

/* reserved PORTS FROM TO FINDING: a flow to one of the ports whose initiator has none of the FROM roles, or
 * whose responder has none of the TO roles (0: any responder), raises the finding. */
struct policy_reserved {
	struct rule_port ports[POLICY_MAX_PORTS];
	unsigned nports;
	role_set from, to;
	char finding[40];
	const struct finding_kind *kind;   /* resolved once the file is read */
};

/* URL prefixes, for the HTTP exceptions and the enhanced HTTP token paths. */
struct policy_urls {
	char url[POLICY_MAX_URLS][POLICY_URL_MAX];
	unsigned n;
};

struct policy {
	role_set native_https, http_only, fallback_http, not_site_system;
	struct rule_port tls_only[POLICY_MAX_PORTS];   /* cleartext there is noncompliant */
	unsigned ntls_only;
	struct rule_port exclusive[POLICY_MAX_PORTS];  /* only ConfigMgr paths use these ports */
	unsigned nexclusive;
	role_set wol_senders;          /* roles that may send Wake On LAN magic packets (default: site-server) */
	/* the current branch's HTTP postures */
	role_set https_only;           /* client HTTP to these roles of an "HTTPS only" site is noncompliant */
	role_set enhanced_http;        /* ... and to these of a site without enhanced HTTP (deprecated) */
	role_set http_exempt_roles;    /* HTTP to these roles for the http_exempt URLs is never an HTTP finding */
	struct policy_urls http_exempt;
	struct policy_reserved reserved[POLICY_MAX_RESERVED];
	unsigned nreserved;
	/* the census of client authentication: client web traffic to these roles is classed */
	role_set census;
	struct policy_urls token_urls; /* HTTP requests with these prefixes use enhanced HTTP's tokens */
	char token_issuer[64];         /* an RDN of the server certificate's issuer that proves enhanced HTTP, or "" */
	struct rule_port notify[POLICY_MAX_PORTS]; /* client notification: a client's flow there to a census role */
	unsigned nnotify;
	struct finding_kind kinds[POLICY_MAX_FINDINGS];
	unsigned nkinds;
};

/* Loads signatures/policy.txt (roles by name from the rules' vocabulary). NULL and "FILE:LINE: ..." on error. */
struct policy *policy_load(const char *path, const struct roles *roles, char *err, size_t errlen);

/* Loads a policy file laid over base (signatures/policy-cb.txt over policy.txt): it starts as a copy of base; a
 * line of the file replaces base's value of that statement; its findings are added, and it may give a finding of
 * base its own sentence (same signature id, severity and verdict). NULL and "FILE:LINE: ..." on error. */
struct policy *policy_load_over(const char *path, const struct roles *roles, const struct policy *base, char *err,
				size_t errlen);
void policy_free(struct policy *p);
const struct finding_kind *policy_kind(const struct policy *p, const char *id);

#endif

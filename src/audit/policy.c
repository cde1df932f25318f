/* policy.c: loads signatures/policy.txt (policy.h), and the words of verdicts (finding.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/policy.h"
#include "lib/lineparse.h"

struct policy_parse {
	struct policy *p;
	const struct roles *roles;
};

/* native-https / http-only / fallback-http / site-system-exclude ROLE,... */
static bool role_list_line(void *ctx, struct line_parse *ps, char **w, int n)
{
	struct policy_parse *pp = ctx;
	(void)n;
	role_set *out = strcmp(w[0], "native-https") == 0  ? &pp->p->native_https
			: strcmp(w[0], "http-only") == 0   ? &pp->p->http_only
			: strcmp(w[0], "fallback-http") == 0 ? &pp->p->fallback_http
							     : &pp->p->not_site_system;
	const char *bad = NULL;
	size_t badlen = 0;
	*out = roles_parse_list(pp->roles, w[1], &bad, &badlen);
	if (!*out) {
		char name[64];
		snprintf(name, sizeof name, "%.*s", (int)(badlen < 60 ? badlen : 60), bad ? bad : w[1]);
		return line_fail(ps, name, "unknown role");
	}
	return true;
}

/* tls-only / exclusive PORTS */
static bool port_list_line(void *ctx, struct line_parse *ps, char **w, int n)
{
	struct policy *p = ((struct policy_parse *)ctx)->p;
	(void)n;
	bool tls = strcmp(w[0], "tls-only") == 0;
	return rules_parse_ports(w[1], tls ? p->tls_only : p->exclusive, POLICY_MAX_PORTS,
				 tls ? &p->ntls_only : &p->nexclusive, ps->path, ps->line, ps->err, ps->errlen);
}

static bool finding_line(void *ctx, struct line_parse *ps, char **w, int n)
{
	struct policy *p = ((struct policy_parse *)ctx)->p;
	const char *path = ps->path;
	unsigned line = ps->line;
	char *err = ps->err;
	size_t errlen = ps->errlen;
	(void)n;
	if (p->nkinds == POLICY_MAX_FINDINGS || strlen(w[1]) >= sizeof p->kinds[0].id ||
	    strlen(w[5]) >= sizeof p->kinds[0].category || strlen(w[6]) >= sizeof p->kinds[0].message) {
		snprintf(err, errlen, "%s:%u: too many findings or a field too long at '%s'", path, line, w[1]);
		return false;
	}
	struct finding_kind *k = &p->kinds[p->nkinds];
	char *end;
	unsigned long sid = strtoul(w[2], &end, 10);
	if (*end || sid == 0 || sid > 0xffffffffUL) {
		snprintf(err, errlen, "%s:%u: bad signature id '%s'", path, line, w[2]);
		return false;
	}
	if (strlen(w[3]) != 1 || w[3][0] < '1' || w[3][0] > '3') {
		snprintf(err, errlen, "%s:%u: severity is 1, 2 or 3, not '%s'", path, line, w[3]);
		return false;
	}
	if (strcmp(w[4], "noncompliant") == 0)
		k->verdict = VERDICT_NONCOMPLIANT;
	else if (strcmp(w[4], "unexpected") == 0)
		k->verdict = VERDICT_UNEXPECTED;
	else if (strcmp(w[4], "informational") == 0)
		k->verdict = VERDICT_INFORMATIONAL;
	else {
		snprintf(err, errlen, "%s:%u: a finding's verdict is noncompliant, unexpected or informational, not '%s'",
			 path, line, w[4]);
		return false;
	}
	snprintf(k->id, sizeof k->id, "%s", w[1]);
	k->sid = (uint32_t)sid;
	k->severity = (uint8_t)(w[3][0] - '0');
	snprintf(k->category, sizeof k->category, "%s", w[5]);
	snprintf(k->message, sizeof k->message, "%s", w[6]);
	p->nkinds++;
	return true;
}

/* advice ID "WHAT TO DO" "SOURCE", after the finding it is about */
static bool advice_line(void *ctx, struct line_parse *ps, char **w, int n)
{
	struct policy *p = ((struct policy_parse *)ctx)->p;
	(void)n;
	struct finding_kind *k = NULL;
	for (unsigned i = 0; i < p->nkinds && !k; i++)
		if (strcmp(p->kinds[i].id, w[1]) == 0)
			k = &p->kinds[i];
	if (!k)
		return line_fail(ps, w[1], "advice for no finding declared before it:");
	if (k->advice[0])
		return line_fail(ps, w[1], "a second advice for");
	if (strlen(w[2]) >= sizeof k->advice || strlen(w[3]) >= sizeof k->advice_source)
		return line_fail(ps, w[1], "advice or its source too long for");
	snprintf(k->advice, sizeof k->advice, "%s", w[2]);
	snprintf(k->advice_source, sizeof k->advice_source, "%s", w[3]);
	return true;
}

static const struct line_keyword policy_keywords[] = {
	{ "finding", 7, 7, finding_line },
	{ "advice", 4, 4, advice_line },
	{ "native-https", 2, 2, role_list_line },
	{ "http-only", 2, 2, role_list_line },
	{ "fallback-http", 2, 2, role_list_line },
	{ "site-system-exclude", 2, 2, role_list_line },
	{ "tls-only", 2, 2, port_list_line },
	{ "exclusive", 2, 2, port_list_line },
};

struct policy *policy_load(const char *path, const struct roles *roles, char *err, size_t errlen)
{
	struct policy *p = calloc(1, sizeof *p);
	if (!p) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	struct policy_parse pp = { p, roles };
	bool ok = line_file_read(path, policy_keywords, sizeof policy_keywords / sizeof policy_keywords[0], &pp, err,
				 errlen);
	/* every finding the checks raise must be described */
	static const char *const needed[] = {
		"http-in-native-mode", "cleartext-on-https-port", "tls-on-http-port", "wrong-direction",
		"site-initiated-only", "protocol-mismatch", "wol-not-magic", "wol-not-from-site-server",
		"no-rule-between-site-systems", "no-rule-to-configmgr-port", "unknown-host", "wsus-port-pair",
		"client-ports-differ", "cleartext-on-tls-port", "unexpected-on-exclusive-port", "role-not-configured",
		"role-not-shown",
	};
	for (size_t i = 0; ok && i < sizeof needed / sizeof needed[0]; i++)
		if (!policy_kind(p, needed[i])) {
			snprintf(err, errlen, "%s: no finding '%s'", path, needed[i]);
			ok = false;
		}
	if (!ok) {
		free(p);
		return NULL;
	}
	/* and every finding says what to do about it */
	for (unsigned i = 0; ok && i < p->nkinds; i++)
		if (!p->kinds[i].advice[0]) {
			snprintf(err, errlen, "%s: finding '%s' has no advice line", path, p->kinds[i].id);
			ok = false;
		}
	return p;
}

void policy_free(struct policy *p)
{
	free(p);
}

const struct finding_kind *policy_kind(const struct policy *p, const char *id)
{
	for (unsigned i = 0; p && i < p->nkinds; i++)
		if (strcmp(p->kinds[i].id, id) == 0)
			return &p->kinds[i];
	return NULL;
}

enum verdict verdict_parse(const char *name)
{
	for (int v = VERDICT_EXPECTED; v <= VERDICT_INFORMATIONAL; v++)
		if (name && strcmp(name, verdict_name((enum verdict)v)) == 0)
			return (enum verdict)v;
	return VERDICT_UNKNOWN;
}

const char *verdict_name(enum verdict v)
{
	switch (v) {
	case VERDICT_EXPECTED: return "expected";
	case VERDICT_NONCOMPLIANT: return "noncompliant";
	case VERDICT_UNEXPECTED: return "unexpected";
	case VERDICT_INFORMATIONAL: return "informational";
	default: return "unknown";
	}
}


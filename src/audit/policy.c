/* policy.c: loads signatures/policy.txt (policy.h), and the words of verdicts (finding.h). */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/policy.h"
#include "lib/lineparse.h"

struct policy_parse {
	struct policy *p;
	const struct roles *roles;
	unsigned nbase;       /* findings that came from the base policy (policy_load_over) */
	bool redefined[POLICY_MAX_FINDINGS];
	bool advised[POLICY_MAX_FINDINGS];   /* an advice line of this file was read for the finding */
};

static bool parse_roles(struct policy_parse *pp, struct line_parse *ps, const char *list, role_set *out)
{
	const char *bad = NULL;
	size_t badlen = 0;
	*out = roles_parse_list(pp->roles, list, &bad, &badlen);
	if (!*out) {
		char name[64];
		snprintf(name, sizeof name, "%.*s", (int)(badlen < 60 ? badlen : 60), bad ? bad : list);
		return line_fail(ps, name, "unknown role");
	}
	return true;
}

/* native-https / http-only / fallback-http / site-system-exclude / wol-senders / https-only-roles /
 * enhanced-http-roles / census-roles ROLE,... */
static bool role_list_line(void *ctx, struct line_parse *ps, char **w, int n)
{
	struct policy_parse *pp = ctx;
	struct policy *p = pp->p;
	(void)n;
	role_set *out = strcmp(w[0], "native-https") == 0	   ? &p->native_https
			: strcmp(w[0], "http-only") == 0	   ? &p->http_only
			: strcmp(w[0], "fallback-http") == 0	   ? &p->fallback_http
			: strcmp(w[0], "wol-senders") == 0	   ? &p->wol_senders
			: strcmp(w[0], "https-only-roles") == 0	   ? &p->https_only
			: strcmp(w[0], "enhanced-http-roles") == 0 ? &p->enhanced_http
			: strcmp(w[0], "census-roles") == 0	   ? &p->census
							   : &p->not_site_system;
	return parse_roles(pp, ps, w[1], out);
}

/* A comma list of URL prefixes. */
static bool url_list(struct line_parse *ps, const char *list, struct policy_urls *out)
{
	out->n = 0;
	for (const char *c = list; *c;) {
		const char *end = strchr(c, ',');
		size_t len = end ? (size_t)(end - c) : strlen(c);
		if (out->n == POLICY_MAX_URLS || len == 0 || len >= POLICY_URL_MAX || *c != '/')
			return line_fail(ps, list, "at most %d URL prefixes of %d bytes, each starting with '/', in", POLICY_MAX_URLS,
					 POLICY_URL_MAX - 1);
		memcpy(out->url[out->n], c, len);
		out->url[out->n++][len] = '\0';
		c += len + (end ? 1 : 0);
	}
	return true;
}

/* http-exempt ROLE,... URL,...: HTTP to those roles for those URLs is never an HTTP finding */
static bool http_exempt_line(void *ctx, struct line_parse *ps, char **w, int n)
{
	struct policy_parse *pp = ctx;
	(void)n;
	return parse_roles(pp, ps, w[1], &pp->p->http_exempt_roles) && url_list(ps, w[2], &pp->p->http_exempt);
}

/* enhanced-http-url URL,... / enhanced-http-issuer "CN=..." */
static bool enhanced_http_line(void *ctx, struct line_parse *ps, char **w, int n)
{
	struct policy *p = ((struct policy_parse *)ctx)->p;
	(void)n;
	if (strcmp(w[0], "enhanced-http-url") == 0)
		return url_list(ps, w[1], &p->token_urls);
	if (!strchr(w[1], '=') || strlen(w[1]) >= sizeof p->token_issuer)
		return line_fail(ps, w[1], "an issuer RDN is TYPE=value (63 bytes at most), not");
	snprintf(p->token_issuer, sizeof p->token_issuer, "%s", w[1]);
	return true;
}

/* reserved PORTS FROM TO|* FINDING */
static bool reserved_line(void *ctx, struct line_parse *ps, char **w, int n)
{
	struct policy_parse *pp = ctx;
	struct policy *p = pp->p;
	(void)n;
	if (p->nreserved == POLICY_MAX_RESERVED || strlen(w[4]) >= sizeof p->reserved[0].finding)
		return line_fail(ps, w[4], "too many reserved lines, or a finding id too long, at");
	struct policy_reserved *r = &p->reserved[p->nreserved];
	memset(r, 0, sizeof *r);
	if (!rules_parse_ports(w[1], r->ports, POLICY_MAX_PORTS, &r->nports, ps->path, ps->line, ps->err, ps->errlen) ||
	    !parse_roles(pp, ps, w[2], &r->from) || (strcmp(w[3], "*") && !parse_roles(pp, ps, w[3], &r->to)))
		return false;
	snprintf(r->finding, sizeof r->finding, "%s", w[4]);
	p->nreserved++;
	return true;
}

/* tls-only / exclusive PORTS */
static bool port_list_line(void *ctx, struct line_parse *ps, char **w, int n)
{
	struct policy *p = ((struct policy_parse *)ctx)->p;
	(void)n;
	struct rule_port *ports = strcmp(w[0], "tls-only") == 0 ? p->tls_only
				  : strcmp(w[0], "exclusive") == 0 ? p->exclusive
								   : p->notify;
	unsigned *np = ports == p->tls_only ? &p->ntls_only : ports == p->exclusive ? &p->nexclusive : &p->nnotify;
	if (strcmp(w[1], "-") == 0) { /* none: a set without such ports */
		*np = 0;
		return true;
	}
	return rules_parse_ports(w[1], ports, POLICY_MAX_PORTS, np, ps->path, ps->line, ps->err, ps->errlen);
}

static bool finding_line(void *ctx, struct line_parse *ps, char **w, int n)
{
	struct policy_parse *pp = ctx;
	struct policy *p = pp->p;
	const char *path = ps->path;
	unsigned line = ps->line;
	char *err = ps->err;
	size_t errlen = ps->errlen;
	(void)n;
	struct finding_kind *k = NULL, *old = NULL;
	for (unsigned i = 0; i < p->nkinds && !old; i++)
		if (strcmp(p->kinds[i].id, w[1]) == 0)
			old = &p->kinds[i];
	if (old && (old - p->kinds >= (ptrdiff_t)pp->nbase || pp->redefined[old - p->kinds])) {
		snprintf(err, errlen, "%s:%u: finding '%s' defined twice", path, line, w[1]);
		return false;
	}
	if ((!old && p->nkinds == POLICY_MAX_FINDINGS) || strlen(w[1]) >= sizeof p->kinds[0].id ||
	    strlen(w[5]) >= sizeof p->kinds[0].category || strlen(w[6]) >= sizeof p->kinds[0].message) {
		snprintf(err, errlen, "%s:%u: too many findings or a field too long at '%s'", path, line, w[1]);
		return false;
	}
	struct finding_kind made;
	k = &made;
	memset(k, 0, sizeof *k);
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
	if (old) { /* the base's finding in this set's words: the same finding otherwise */
		if (old->sid != k->sid || old->severity != k->severity || old->verdict != k->verdict) {
			snprintf(err, errlen, "%s:%u: finding '%s' is the base policy's: keep its signature id %u, severity %u and "
				 "verdict %s", path, line, w[1], old->sid, old->severity, verdict_name((enum verdict)old->verdict));
			return false;
		}
		/* its advice stays the base's unless this file gives one */
		memcpy(k->advice, old->advice, sizeof k->advice);
		memcpy(k->advice_source, old->advice_source, sizeof k->advice_source);
		*old = *k;
		pp->redefined[old - p->kinds] = true;
		return true;
	}
	p->kinds[p->nkinds++] = *k;
	return true;
}

/* advice ID "WHAT TO DO" "SOURCE", after the finding it is about */
static bool advice_line(void *ctx, struct line_parse *ps, char **w, int n)
{
	struct policy_parse *pp = ctx;
	struct policy *p = pp->p;
	(void)n;
	struct finding_kind *k = NULL;
	for (unsigned i = 0; i < p->nkinds && !k; i++)
		if (strcmp(p->kinds[i].id, w[1]) == 0)
			k = &p->kinds[i];
	if (!k)
		return line_fail(ps, w[1], "advice for no finding declared before it:");
	if (pp->advised[k - p->kinds]) /* (a base policy's advice may be replaced once by the file laid over it) */
		return line_fail(ps, w[1], "a second advice for");
	pp->advised[k - p->kinds] = true;
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
	{ "wol-senders", 2, 2, role_list_line },
	{ "https-only-roles", 2, 2, role_list_line },
	{ "enhanced-http-roles", 2, 2, role_list_line },
	{ "census-roles", 2, 2, role_list_line },
	{ "http-exempt", 3, 3, http_exempt_line },
	{ "enhanced-http-url", 2, 2, enhanced_http_line },
	{ "enhanced-http-issuer", 2, 2, enhanced_http_line },
	{ "reserved", 5, 5, reserved_line },
	{ "tls-only", 2, 2, port_list_line },
	{ "exclusive", 2, 2, port_list_line },
	{ "client-notification", 2, 2, port_list_line },
};

/* every finding the checks raise must be described; the current branch's only in a set that has them */
static const char *const needed[] = {
	"http-in-native-mode", "cleartext-on-https-port", "tls-on-http-port", "wrong-direction",
	"site-initiated-only", "protocol-mismatch", "wol-not-magic", "wol-not-from-site-server",
	"no-rule-between-site-systems", "no-rule-to-configmgr-port", "unknown-host", "wsus-port-pair",
	"client-ports-differ", "cleartext-on-tls-port", "unexpected-on-exclusive-port", "role-not-configured",
	"role-not-shown",
};
static const char *const needed_cb[] = { "http-on-https-only-site", "http-without-enhanced-http", "http-only-site" };

static struct policy *load(const char *path, const struct roles *roles, const struct policy *base, char *err,
			   size_t errlen)
{
	struct policy *p = calloc(1, sizeof *p);
	if (!p) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (base)
		*p = *base;
	struct policy_parse pp = { p, roles, base ? base->nkinds : 0, { false }, { false } };
	bool ok = line_file_read(path, policy_keywords, sizeof policy_keywords / sizeof policy_keywords[0], &pp, err,
				 errlen);
	for (size_t i = 0; ok && i < sizeof needed / sizeof needed[0]; i++)
		if (!policy_kind(p, needed[i])) {
			snprintf(err, errlen, "%s: no finding '%s'", path, needed[i]);
			ok = false;
		}
	for (size_t i = 0; ok && base && i < sizeof needed_cb / sizeof needed_cb[0]; i++)
		if (!policy_kind(p, needed_cb[i])) {
			snprintf(err, errlen, "%s: no finding '%s'", path, needed_cb[i]);
			ok = false;
		}
	for (unsigned i = 0; ok && i < p->nreserved; i++)
		if (!(p->reserved[i].kind = policy_kind(p, p->reserved[i].finding))) {
			snprintf(err, errlen, "%s: a reserved line names the finding '%s', which no finding line describes", path,
				 p->reserved[i].finding);
			ok = false;
		}
	if (ok && !p->wol_senders) {
		int ss = roles_find(roles, "site-server", 11);
		p->wol_senders = ss >= 0 ? ROLE_BIT(ss) : 0;
	}
	/* and every finding says what to do about it */
	for (unsigned i = 0; ok && i < p->nkinds; i++)
		if (!p->kinds[i].advice[0]) {
			snprintf(err, errlen, "%s: finding '%s' has no advice line", path, p->kinds[i].id);
			ok = false;
		}
	if (!ok) {
		free(p);
		return NULL;
	}
	return p;
}

struct policy *policy_load(const char *path, const struct roles *roles, char *err, size_t errlen)
{
	return load(path, roles, NULL, err, errlen);
}

struct policy *policy_load_over(const char *path, const struct roles *roles, const struct policy *base, char *err,
				size_t errlen)
{
	return load(path, roles, base, err, errlen);
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


/* verdict.c: the compliance checks on a labelled flow, and the policy data they read. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flow/dpi.h"
#include "flow/flow_ext.h"
#include "audit/knowledge.h"
#include "audit/label.h"
#include "lib/lineparse.h"
#include "proto/payload.h"
#include "audit/rules.h"
#include "audit/site.h"
#include "audit/verdict.h"

/* ---- policy data ---- */

static bool role_list(const struct roles *roles, const char *list, role_set *out, const char *path, unsigned line,
		      char *err, size_t errlen)
{
	const char *bad = NULL;
	size_t badlen = 0;
	*out = roles_parse_list(roles, list, &bad, &badlen);
	if (!*out) {
		snprintf(err, errlen, "%s:%u: unknown role '%.*s'", path, line, (int)(badlen < 60 ? badlen : 60),
			 bad ? bad : list);
		return false;
	}
	return true;
}

static bool parse_finding(struct policy *p, char **w, int n, const char *path, unsigned line, char *err,
			  size_t errlen)
{
	if (n != 7) {
		snprintf(err, errlen, "%s:%u: a finding needs: finding ID SID SEVERITY VERDICT \"CATEGORY\" \"MESSAGE\"",
			 path, line);
		return false;
	}
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

struct policy *policy_load(const char *path, const struct roles *roles, char *err, size_t errlen)
{
	FILE *fp = fopen(path, "r");
	if (!fp) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	struct policy *p = calloc(1, sizeof *p);
	char line[1024];
	unsigned lineno = 0;
	bool ok = p != NULL;
	while (ok && fgets(line, sizeof line, fp)) {
		lineno++;
		char *w[LINE_MAX_WORDS];
		int n = line_words(line, w, LINE_MAX_WORDS);
		if (n == 0)
			continue;
		if (n < 0) {
			snprintf(err, errlen, "%s:%u: unclosed quote or too many words", path, lineno);
			ok = false;
		} else if (strcmp(w[0], "finding") == 0) {
			ok = parse_finding(p, w, n, path, lineno, err, errlen);
		} else if (n == 2 && strcmp(w[0], "native-https") == 0) {
			ok = role_list(roles, w[1], &p->native_https, path, lineno, err, errlen);
		} else if (n == 2 && strcmp(w[0], "http-only") == 0) {
			ok = role_list(roles, w[1], &p->http_only, path, lineno, err, errlen);
		} else if (n == 2 && strcmp(w[0], "fallback-http") == 0) {
			ok = role_list(roles, w[1], &p->fallback_http, path, lineno, err, errlen);
		} else if (n == 2 && strcmp(w[0], "site-system-exclude") == 0) {
			ok = role_list(roles, w[1], &p->not_site_system, path, lineno, err, errlen);
		} else if (n == 2 && strcmp(w[0], "tls-only") == 0) {
			ok = rules_parse_ports(w[1], p->tls_only, POLICY_MAX_PORTS, &p->ntls_only, path, lineno, err, errlen);
		} else if (n == 2 && strcmp(w[0], "exclusive") == 0) {
			ok = rules_parse_ports(w[1], p->exclusive, POLICY_MAX_PORTS, &p->nexclusive, path, lineno, err, errlen);
		} else {
			snprintf(err, errlen, "%s:%u: unknown statement '%s'", path, lineno, w[0]);
			ok = false;
		}
	}
	fclose(fp);
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
		if (!p)
			snprintf(err, errlen, "out of memory");
		free(p);
		return NULL;
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

/* ---- checks ---- */

static void add(struct verdict_result *r, const struct policy *p, const char *id)
{
	const struct finding_kind *k = policy_kind(p, id);
	if (!k || r->nfindings == VERDICT_MAX_FINDINGS)
		return;
	for (unsigned i = 0; i < r->nfindings; i++)
		if (r->findings[i] == k)
			return;
	r->findings[r->nfindings++] = k;
	if (k->verdict > r->verdict)
		r->verdict = k->verdict;
}

static bool is_https_port(const struct site_ports *sp, uint16_t port)
{
	return port == 443 || port == 8531 || port == sp->v[VAR_HTTPS] || port == sp->v[VAR_WSUS_HTTPS];
}

static bool is_http_port(const struct site_ports *sp, uint16_t port)
{
	return port == 80 || port == 8530 || port == sp->v[VAR_HTTP] || port == sp->v[VAR_WSUS_HTTP];
}

/* A port that some rule names for the responder (fixed, range, or a site variable). */
static bool configmgr_port(const struct ruleset *rs, const struct site_ports *sp, uint8_t proto, uint16_t port)
{
	for (unsigned i = 0; i < rs->n; i++)
		if (rule_ports_contain(rs->rules[i].ports, rs->rules[i].nports, proto, port, sp))
			return true;
	return false;
}

/* HTTP (proven from the payload) from a client of a native mode site to a role that needs HTTPS. */
static void check_http_mode(const struct knowledge *k, const struct policy *p, const struct flow *f,
			    const struct flow_label *lab, const struct rule *r, struct verdict_result *out)
{
	role_set server = lab->dst_roles & (lab->match.reversed ? r->from : r->to);
	if (!(server & p->native_https) || (server & p->http_only))
		return;
	const struct site *client_site = lab->src_site, *server_site = lab->dst_site;
	const struct site *mode_site = client_site ? client_site : server_site;
	if (!mode_site || mode_site->mode != SITE_NATIVE)
		return;
	/* roaming: a mixed mode site's distribution point, allowed when the client's site allows HTTP fallback */
	if (server_site && server_site->mode == SITE_MIXED && mode_site->http_fallback && (server & p->fallback_http))
		return;
	add(out, p, "http-in-native-mode");
}

void verdict_flow(const struct knowledge *k, const struct flow *f, const struct flow_label *lab,
		  struct verdict_result *out)
{
	memset(out, 0, sizeof *out);
	const struct policy *p = k ? k->policy : NULL;
	if (!p || !k->rules)
		return;
	const char *app = flow_app_proto(f);
	const struct site_ports *sp = site_ports_of(k->site, lab->site);
	uint16_t dport = flow_dst_port(f);
	bool tcp = f->key.ip_proto == 6;
	const struct flow_ext *x = f->ext;

	/* checks that need no rule */
	if (tcp && app && strcmp(app, "http") == 0 && is_https_port(sp, dport))
		add(out, p, "cleartext-on-https-port");
	if (tcp && app && strcmp(app, "tls") == 0 && is_http_port(sp, dport) && lab->dst_roles)
		add(out, p, "tls-on-http-port");
	if (x && x->has_wol) {
		int ss = roles_find(&k->rules->roles, "site-server", 11);
		if (ss >= 0 && !(lab->src_roles & ROLE_BIT(ss)))
			add(out, p, "wol-not-from-site-server");
	}
	if (x && x->wol_not_magic && !x->has_wol && (lab->dst_roles || lab->dst_broadcast))
		add(out, p, "wol-not-magic");
	if (f->payload == PAYLOAD_CLEARTEXT && rule_ports_contain(p->tls_only, p->ntls_only, f->key.ip_proto, dport, sp))
		add(out, p, "cleartext-on-tls-port");
	/* remote control and AMT: ports nothing else uses, so whatever the matrix does not allow there is suspect */
	if (!lab->matched && rule_ports_contain(p->exclusive, p->nexclusive, f->key.ip_proto, dport, sp))
		add(out, p, "unexpected-on-exclusive-port");

	if (lab->matched) {
		const struct rule *r = lab->match.best;
		if (lab->match.reversed)
			add(out, p, "wrong-direction");
		const struct host_entry *h = lab->src_host;
		int ss = roles_find(&k->rules->roles, "site-server", 11);
		if (h && (h->flags & HOST_SITE_INITIATED_ONLY) && ss >= 0 && (lab->dst_roles & ROLE_BIT(ss)) &&
		    !(lab->src_roles & ROLE_BIT(ss)))
			add(out, p, "site-initiated-only");
		if (app && strcmp(app, "http") == 0)
			check_http_mode(k, p, f, lab, r, out);
		/* the wrong protocol on the path (HTTP and TLS on the wrong port have their own findings) */
		if (app && r->napps && !rule_expects_app(r, app) && strcmp(app, "http") && strcmp(app, "tls") &&
		    strcmp(app, "wol"))
			add(out, p, "protocol-mismatch");
		if (!out->nfindings)
			out->verdict = VERDICT_EXPECTED;
		return;
	}

	/* no rule: ICMP errors and the like answer something else; only ConfigMgr-relevant flows are judged */
	if (f->key.ip_proto == 1 || f->key.ip_proto == 58) {
		if (!out->nfindings)
			out->verdict = VERDICT_UNKNOWN;
		return;
	}
	/* a site system: a host with a role other than client, internet, domain controller ... */
	bool src_system = (lab->src_roles & ~p->not_site_system) != 0;
	bool dst_system = (lab->dst_roles & ~p->not_site_system) != 0;
	bool cm_port = dst_system && (tcp || f->key.ip_proto == 17) &&
		       configmgr_port(k->rules, sp, f->key.ip_proto, dport);
	if (src_system && dst_system)
		add(out, p, "no-rule-between-site-systems");
	else if (cm_port && !lab->src_roles) /* in no host line, and not on the internet either */
		add(out, p, "unknown-host");
	else if (cm_port)
		add(out, p, "no-rule-to-configmgr-port");
}

void verdict_config(const struct knowledge *k, void (*fn)(void *ctx, const struct finding_kind *kind,
							   const char *detail), void *ctx)
{
	const struct policy *p = k ? k->policy : NULL;
	if (!p || !k->site)
		return;
	char detail[256];
	unsigned n = site_count(k->site);
	for (unsigned i = 0; i < n; i++) {
		const struct site *s = site_at(k->site, i);
		unsigned http = s->ports.v[VAR_WSUS_HTTP], https = s->ports.v[VAR_WSUS_HTTPS];
		if ((http == 80 && https != 443) || (http != 80 && https != http + 1)) {
			snprintf(detail, sizeof detail, "site %s: software update point on HTTP %u and HTTPS %u", s->code, http,
				 https);
			fn(ctx, policy_kind(p, "wsus-port-pair"), detail);
		}
		if (i > 0) {
			const struct site *f = site_at(k->site, 0);
			if (f->ports.v[VAR_HTTP] != s->ports.v[VAR_HTTP] || f->ports.v[VAR_HTTPS] != s->ports.v[VAR_HTTPS]) {
				snprintf(detail, sizeof detail, "site %s uses HTTP %u / HTTPS %u, site %s HTTP %u / HTTPS %u", f->code,
					 f->ports.v[VAR_HTTP], f->ports.v[VAR_HTTPS], s->code, s->ports.v[VAR_HTTP],
					 s->ports.v[VAR_HTTPS]);
				fn(ctx, policy_kind(p, "client-ports-differ"), detail);
			}
		}
	}
}

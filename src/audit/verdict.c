/* verdict.c: the compliance checks on a labelled flow, and the policy data they read. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "flow/dpi.h"
#include "flow/inspect.h"
#include "flow/flow_ext.h"
#include "audit/knowledge.h"
#include "audit/label.h"
#include "lib/lineparse.h"
#include "proto/payload.h"
#include "audit/rules.h"
#include "audit/site.h"
#include "audit/verdict.h"

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

/* The roles on the server side of the flow's rule: the responder's, or the initiator's when it went the wrong way. */
static role_set server_roles(const struct flow_label *lab, const struct rule *r)
{
	return lab->dst_roles & (lab->match.reversed ? r->from : r->to);
}

/* The current branch's HTTP postures: client HTTP to a site system of an "HTTPS only" site, or of a site that
 * allows HTTP without enhanced HTTP (deprecated since 2103, refused by setup from 2403). The client's site
 * decides (else the server's); the URLs the policy exempts (WSUS content stays on HTTP) are never findings. */
static void check_http_cb(const struct policy *p, const struct flow *f, const struct flow_label *lab,
			  const struct rule *r, struct verdict_result *out)
{
	const struct site *s = lab->src_site ? lab->src_site : lab->dst_site;
	if (!s || s->version != SITE_VCB)
		return;
	if (!(lab->src_roles & lab->rules->roles.client))
		return;
	role_set server = server_roles(lab, r);
	const char *url = f->ext ? f->ext->http_url : NULL;
	if ((server & p->http_exempt_roles) && url)
		for (unsigned i = 0; i < p->http_exempt.n; i++)
			if (!strncasecmp(url, p->http_exempt.url[i], strlen(p->http_exempt.url[i])))
				return;
	if (s->comm == COMM_HTTPS_ONLY && (server & p->https_only))
		add(out, p, "http-on-https-only-site");
	else if (s->comm != COMM_HTTPS_ONLY && !s->enhanced_http && (server & p->enhanced_http))
		add(out, p, "http-without-enhanced-http");
}

/* Ports that only some roles may use (the CMG connection point's channel, SQL Server Service Broker between site
 * databases): another initiator, or another responder, raises the line's finding. */
static void check_reserved(const struct policy *p, const struct flow *f, const struct flow_label *lab,
			   const struct site_ports *sp, struct verdict_result *out)
{
	for (unsigned i = 0; i < p->nreserved; i++) {
		const struct policy_reserved *rv = &p->reserved[i];
		if (!rule_ports_contain(rv->ports, rv->nports, f->key.ip_proto, flow_dst_port(f), sp))
			continue;
		if (!(lab->src_roles & rv->from) || (rv->to && !(lab->dst_roles & rv->to)))
			add(out, p, rv->kind->id);
	}
}

/* HTTP (proven from the payload) from a client of a native mode site to a role that needs HTTPS. */
static void check_http_mode(const struct knowledge *k, const struct policy *p, const struct flow *f,
			    const struct flow_label *lab, const struct rule *r, struct verdict_result *out)
{
	role_set server = server_roles(lab, r);
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
	if (!k || !k->policy || !k->rules)
		return;
	/* Inferred roles label a host; they never vouch for one the site configuration does not name: a stranger
	 * that behaves like a client is what a fake client looks like. With host lines, the flow is judged on the
	 * roles the configuration gives (and a host it does not name has none). */
	struct flow_label vouched;
	if (site_host_count(k->site) && (lab->src_inferred || lab->dst_inferred)) {
		label_flow(k, NULL, f, &vouched);
		lab = &vouched;
	}
	/* the checks and the port matrix of the flow's knowledge set */
	const struct policy *p = lab->policy ? lab->policy : k->policy;
	const struct ruleset *rs = lab->rules ? lab->rules : k->rules;
	const char *app = flow_app_proto(f);
	const struct site_ports *sp = site_ports_of(k->site, lab->site);
	uint16_t dport = flow_dst_port(f);
	bool tcp = f->key.ip_proto == 6;

	/* checks that need no rule */
	if (tcp && app && strcmp(app, "http") == 0 && is_https_port(sp, dport))
		add(out, p, "cleartext-on-https-port");
	if (tcp && app && strcmp(app, "tls") == 0 && is_http_port(sp, dport) && lab->dst_roles)
		add(out, p, "tls-on-http-port");
	const struct flow_wol *wol = flow_wol(f);
	if (wol && wol->has && !(lab->src_roles & p->wol_senders))
		add(out, p, "wol-not-from-site-server");
	if (wol && wol->not_magic && !wol->has && (lab->dst_roles || lab->dst_broadcast))
		add(out, p, "wol-not-magic");
	if (f->payload == PAYLOAD_CLEARTEXT && rule_ports_contain(p->tls_only, p->ntls_only, f->key.ip_proto, dport, sp))
		add(out, p, "cleartext-on-tls-port");
	/* remote control and AMT: ports nothing else uses, so whatever the matrix does not allow there is suspect */
	if (!lab->matched && rule_ports_contain(p->exclusive, p->nexclusive, f->key.ip_proto, dport, sp))
		add(out, p, "unexpected-on-exclusive-port");
	check_reserved(p, f, lab, sp, out);

	if (lab->matched) {
		const struct rule *r = lab->match.best;
		if (lab->match.reversed)
			add(out, p, "wrong-direction");
		const struct host_entry *h = lab->src_host;
		int ss = roles_find(&k->rules->roles, "site-server", 11);
		if (h && (h->flags & HOST_SITE_INITIATED_ONLY) && ss >= 0 && (lab->dst_roles & ROLE_BIT(ss)) &&
		    !(lab->src_roles & ROLE_BIT(ss)))
			add(out, p, "site-initiated-only");
		if (app && strcmp(app, "http") == 0) {
			check_http_mode(k, p, f, lab, r, out);
			check_http_cb(p, f, lab, r, out);
		}
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
		       configmgr_port(rs, sp, f->key.ip_proto, dport);
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
	if (!k || !k->policy || !k->site)
		return;
	char detail[256];
	unsigned n = site_count(k->site);
	for (unsigned i = 0; i < n; i++) {
		const struct site *s = site_at(k->site, i);
		const struct policy *p = knowledge_policy_for(k, s);
		if (s->version == SITE_VCB && s->comm == COMM_HTTP) {
			snprintf(detail, sizeof detail, "site %s (line %u): comm=http", s->code, s->line);
			fn(ctx, policy_kind(p, "http-only-site"), detail);
		}
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

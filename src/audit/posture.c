/* posture.c: a client's web flow classed for the census of client authentication, and client notification
 * (posture.h). */
#include <string.h>
#include <strings.h>

#include "audit/knowledge.h"
#include "audit/label.h"
#include "audit/policy.h"
#include "audit/posture.h"
#include "audit/site.h"
#include "flow/flow_ext.h"
#include "flow/inspect.h"
#include "proto/payload.h"
#include "proto/tls_handshake.h"

const char *client_auth_name(enum client_auth a)
{
	switch (a) {
	case CLIENT_AUTH_PKI_MUTUAL: return "pki-mutual-tls";
	case CLIENT_AUTH_ENHANCED_HTTP: return "enhanced-http";
	case CLIENT_AUTH_PLAIN_HTTP: return "plain-http";
	case CLIENT_AUTH_UNKNOWN: return "cannot-tell";
	default: return NULL;
	}
}

bool posture_issuer_has(const char *issuer, const char *rdn)
{
	size_t n = strlen(rdn);
	/* attributes are joined by ", " (RDNs) and " + " (a multi-valued RDN's); a value holding those is rare and
	 * would only split an attribute in two, never make one up */
	for (const char *c = issuer; c && *c;) {
		if (!strncmp(c, rdn, n) && (c[n] == '\0' || !strncmp(c + n, ", ", 2) || !strncmp(c + n, " + ", 3)))
			return true;
		const char *comma = strstr(c, ", "), *plus = strstr(c, " + ");
		const char *next = comma && (!plus || comma < plus) ? comma + 2 : plus ? plus + 3 : NULL;
		c = next;
	}
	return false;
}

static bool has_prefix(const struct policy_urls *u, const char *url)
{
	for (unsigned i = 0; url && i < u->n; i++)
		if (!strncasecmp(url, u->url[i], strlen(u->url[i])))
			return true;
	return false;
}

/* The initiator is a client and the responder has a census role of the flow's policy, on a path a rule allows
 * (what no rule allows is a finding's, not the census's). */
static bool client_to_census_role(const struct flow_label *lab)
{
	const struct policy *p = lab->policy;
	if (!p || !p->census || !lab->rules || !lab->matched)
		return false;
	return (lab->src_roles & lab->rules->roles.client) && (lab->dst_roles & p->census);
}

enum client_auth posture_client_auth(const struct flow *f, const struct flow_label *lab)
{
	if (!lab || !client_to_census_role(lab))
		return CLIENT_AUTH_NONE;
	const struct policy *p = lab->policy;
	const struct flow_ext *x = f->ext;
	const char *app = flow_app_proto(f);
	bool http = (app && !strcmp(app, "http")) || (x && x->http_method);
	bool tls = !http && ((app && !strcmp(app, "tls")) || f->payload == PAYLOAD_TLS);
	if (http)
		return has_prefix(&p->token_urls, x ? x->http_url : NULL) ? CLIENT_AUTH_ENHANCED_HTTP : CLIENT_AUTH_PLAIN_HTTP;
	if (!tls)
		return CLIENT_AUTH_NONE;
	const struct flow_tls *t = x ? x->tls : NULL;
	if (t && t->posture == TLS_POSTURE_MUTUAL)
		return CLIENT_AUTH_PKI_MUTUAL;
	if (t && t->issuer && p->token_issuer[0] && posture_issuer_has(t->issuer, p->token_issuer))
		return CLIENT_AUTH_ENHANCED_HTTP;
	return CLIENT_AUTH_UNKNOWN;
}

bool posture_client_notification(const struct knowledge *k, const struct flow *f, const struct flow_label *lab)
{
	if (!lab || !lab->policy || !lab->policy->nnotify || !client_to_census_role(lab))
		return false;
	return rule_ports_contain(lab->policy->notify, lab->policy->nnotify, f->key.ip_proto, flow_dst_port(f),
				  site_ports_of(k->site, lab->site));
}

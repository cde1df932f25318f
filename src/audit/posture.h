/* posture.h: how a client authenticates to a site system, flow by flow, for the census of client authentication
 * (PKI mutual TLS, enhanced HTTP, plain HTTP, or cannot be told) and the current branch's client notification.
 *
 * The facts come from the flow (the HTTP request's target, the TLS handshake's posture and the server
 * certificate's issuer: flow_ext.h's flow_tls) and the flow's policy (signatures/policy*.txt: census-roles,
 * enhanced-http-url, enhanced-http-issuer, client-notification), after "Enhanced HTTP" and "Communications between
 * endpoints" of the ConfigMgr documentation (reference/configmgr-cb-notes.md): with enhanced HTTP the site issues
 * its site systems a certificate chained to the "SMS Issuing" root and clients reach content over token paths
 * (CCMTOKENAUTH_SMS_DP_SMSPKG$); a client that authenticates with a PKI certificate sends it in the handshake. */
#ifndef CMFLOW_POSTURE_H
#define CMFLOW_POSTURE_H

#include <stdbool.h>

#include "flow/flow.h"

struct knowledge;
struct flow_label;

enum client_auth {
	CLIENT_AUTH_NONE = 0,      /* not a client's web flow to a census role */
	CLIENT_AUTH_PKI_MUTUAL,    /* TLS whose handshake is mutual: the client sent a certificate and proved it */
	CLIENT_AUTH_ENHANCED_HTTP, /* TLS to a server certificate of the enhanced HTTP issuer, or a token path */
	CLIENT_AUTH_PLAIN_HTTP,    /* HTTP, no token path */
	CLIENT_AUTH_UNKNOWN,       /* TLS that proves neither (server-only to a PKI certificate, TLS 1.3, resumed) */
	CLIENT_AUTH_COUNT
};

/* "pki-mutual-tls", "enhanced-http", "plain-http", "cannot-tell"; NULL for CLIENT_AUTH_NONE. */
const char *client_auth_name(enum client_auth a);

/* The class of a labelled flow: a flow that a rule allows, whose initiator has the client role and whose
 * responder has one of its policy's census roles, over HTTP (proven) or TLS (proven, or the first payload's
 * record); else CLIENT_AUTH_NONE. */
enum client_auth posture_client_auth(const struct flow *f, const struct flow_label *lab);

/* True when the flow is a client's client notification channel: its policy names the port (client-notification,
 * site variables resolved for the flow's site) and the responder has a census role. */
bool posture_client_notification(const struct knowledge *k, const struct flow *f, const struct flow_label *lab);

/* True when the issuer (written as x509.h writes names, "DC=com, O=Contoso, CN=SMS Issuing") has rdn among its
 * RDNs (an attribute of a multi-valued RDN counts). */
bool posture_issuer_has(const char *issuer, const char *rdn);

#endif

/* auth.h: what a flow keeps of its authentication exchanges, wherever NTLMSSP travels ([MS-NLMP] 2.2.1 through
 * proto/ntlmssp.h): SMB1/SMB2 SESSION_SETUP security blobs, HTTP Authorization / WWW-Authenticate headers (RFC
 * 4559), DCE/RPC auth verifiers of binds ([MS-RPCE] 2.2.2.11), LDAP binds (proto/ldap.h) and TDS logins
 * (proto/tds.h). Kerberos is named, not read.
 *
 * An exchange is a NEGOTIATE, the server's CHALLENGE and the client's AUTHENTICATE of one login: the carrier, the
 * mechanism, the messages seen, the 8-byte server challenge (a relay forwards it unchanged: detect.c matches it
 * across flows), and from the AUTHENTICATE the domain, user, workstation, the service the client meant (its
 * MsvAvTargetName), anonymity and the response's version. Never a response, a session key or a MIC: the parser
 * gives none (ntlmssp.h), and nothing here has room for one.
 *
 * Bounded: FLOW_AUTH_MAX exchanges a flow, then counted (dropped). The record hangs off the flow's flow_more and
 * is freed with the flow. Names are copies (flow_ext_set_str), untrusted: escape on output. */
#ifndef CMFLOW_AUTH_H
#define CMFLOW_AUTH_H

#include <stdbool.h>
#include <stdint.h>

#include "flow/flow.h"
#include "proto/ntlmssp.h"

#define FLOW_AUTH_MAX 4

enum auth_over { AUTH_OVER_NONE = 0, AUTH_OVER_SMB, AUTH_OVER_HTTP, AUTH_OVER_DCERPC, AUTH_OVER_LDAP, AUTH_OVER_TDS };
enum auth_mech { AUTH_MECH_NONE = 0, AUTH_MECH_NTLM, AUTH_MECH_KERBEROS };

/* One exchange. Invariants: types has bit (1 << t) for each NTLMSSP message type t seen (NTLM only); challenge is
 * meaningful only when has_challenge; the strings are NULL when not seen (an AUTHENTICATE's empty user is "" only
 * when anonymous); challenge_us and auth_us are the packet times of the CHALLENGE and of the AUTHENTICATE (0: not
 * seen). */
struct auth_exchange {
	uint8_t over;                /* enum auth_over */
	uint8_t mech;                /* enum auth_mech */
	uint8_t types;
	uint8_t response;            /* enum ntlm_response of the AUTHENTICATE */
	bool anonymous;
	bool has_challenge;
	uint8_t challenge[8];
	const char *domain, *user, *workstation;
	const char *spn;             /* the AUTHENTICATE's MsvAvTargetName: the service the client meant */
	const char *target;          /* the CHALLENGE's target name (the server's domain or name) */
	uint64_t first_us, challenge_us, auth_us;
};

/* Invariant: n <= FLOW_AUTH_MAX; dropped counts the exchanges that did not fit. */
struct flow_auth {
	struct auth_exchange x[FLOW_AUTH_MAX];
	uint8_t n;
	uint32_t dropped;
};

/* A security token seen on flow f at packet time ts_us, in direction dir, carried by over: an NTLMSSP message
 * joins the flow's current exchange or starts the next one (a NEGOTIATE; a CHALLENGE or AUTHENTICATE after the
 * current one's); a Kerberos token from the client starts a Kerberos exchange (its server's answer joins it);
 * anything else (a mechanism list alone, a final negTokenResp) is ignored. Nothing is kept when memory is short
 * or the bound is reached (then counted). */
void flow_auth_token(struct flow *f, uint8_t over, enum flow_dir dir, const struct ntlmssp_token *t, uint64_t ts_us);

/* The same for a bare NTLMSSP message (found by its signature in a carrier cmflow does not frame). */
void flow_auth_ntlmssp(struct flow *f, uint8_t over, enum flow_dir dir, const struct ntlmssp_msg *m, uint64_t ts_us);

/* The flow's exchanges, or NULL when it kept none. */
const struct flow_auth *flow_auth(const struct flow *f);

/* True when the flow's last exchange over `over` has started but lacks its AUTHENTICATE (a carrier that reads a
 * bounded number of packets may read on for it). */
bool flow_auth_pending(const struct flow *f, uint8_t over);

/* Frees a record (flow_ext_free calls it). */
void flow_auth_free(struct flow_auth *a);

/* "smb", "http", "dcerpc", "ldap", "tds"; NULL for none. */
const char *auth_over_name(uint8_t over);

/* "ntlm", "kerberos"; NULL for none. */
const char *auth_mech_name(uint8_t mech);

/* The furthest NTLMSSP message of an exchange ("AUTHENTICATE", "CHALLENGE", "NEGOTIATE"), NULL for Kerberos. */
const char *auth_last_type_name(const struct auth_exchange *x);

#endif

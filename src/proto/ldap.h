/* ldap.h: LDAP bind requests and responses (RFC 4511 sections 4.1.1, 4.2 and 4.2.2; BER, X.690 8.1), for the
 * authentication they carry: a SASL bind (RFC 4513 5.2: GSS-SPNEGO, GSSAPI, or Microsoft's "NTLM" mechanism,
 * whose credentials and serverSaslCreds are security tokens, proto/ntlmssp.h) or Microsoft's Sicily NTLM binds
 * ([MS-ADTS] 5.1.1.1.3: authentication choices 9, 10 and 11; the server's CHALLENGE comes back in matchedDN). A
 * simple bind's password is never given: only that the bind was simple.
 *
 * One LDAPMessage a call, from the start of the bytes given (a TCP segment that starts a message; a message cut
 * by the segment's end is read as far as it goes, its token cut with it). Other operations, and messages wrapped
 * in a SASL security layer after the bind, are not binds. */
#ifndef CMFLOW_LDAP_H
#define CMFLOW_LDAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum ldap_auth {
	LDAP_AUTH_NONE = 0,          /* a response */
	LDAP_AUTH_SIMPLE,            /* [0]: a DN and a password (not given) */
	LDAP_AUTH_SASL,              /* [3] */
	LDAP_AUTH_SICILY_DISCOVERY,  /* [9] sicilyPackageDiscovery */
	LDAP_AUTH_SICILY_NEGOTIATE,  /* [10] sicilyNegotiate: an NTLM NEGOTIATE */
	LDAP_AUTH_SICILY_RESPONSE,   /* [11] sicilyResponse: an NTLM AUTHENTICATE */
};

#define LDAP_MECH_MAX 32

/* A bind as parsed. Invariants: token lies within the bytes given (NULL with token_len 0 when there is none: a
 * simple bind, a SASL bind without credentials, a response without serverSaslCreds); mechanism is NUL-terminated
 * printable ASCII, "" unless a SASL bind. */
struct ldap_bind {
	bool response;               /* bindResponse (else bindRequest) */
	uint32_t message_id;
	uint8_t auth;                /* enum ldap_auth of a request */
	uint8_t version;             /* a request's protocol version */
	uint32_t result;             /* a response's resultCode (14 saslBindInProgress) */
	bool cut;                    /* the message ran past the bytes given */
	char mechanism[LDAP_MECH_MAX];
	const uint8_t *token;        /* SASL credentials, serverSaslCreds, a Sicily message, or the matchedDN of a
				      * response (where a Sicily CHALLENGE travels) */
	size_t token_len;
};

/* Parses data[0..len) as an LDAPMessage holding a bindRequest or bindResponse. False, with *out zeroed, when it
 * is not one. */
bool ldap_parse_bind(const uint8_t *data, size_t len, struct ldap_bind *out);

/* "simple", "sasl", "sicily-discovery", "sicily-negotiate", "sicily-response", or NULL. */
const char *ldap_auth_name(unsigned auth);

#endif

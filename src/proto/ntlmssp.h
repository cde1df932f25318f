/* ntlmssp.h: NTLM authentication messages ([MS-NLMP] section 2.2.1) and the GSS-API / SPNEGO wrapping that
 * carries them (RFC 2743 section 3.1, RFC 4178 section 4.2, [MS-SPNG]), wherever they travel: an SMB
 * SESSION_SETUP security blob, an HTTP Authorization / WWW-Authenticate header (RFC 4559, base64), a DCE/RPC auth
 * verifier, an LDAP bind, a TDS login.
 *
 * What is kept is who authenticates to whom: the message type, the negotiate flags, the 8-byte server challenge
 * (a relay forwards it unchanged), the target and server names, the AUTHENTICATE message's domain, user and
 * workstation, whether it is anonymous and which response version (by the NT response's length). The LM and NT
 * responses, the session key and the MIC are never copied: struct ntlmssp_msg has no room for them, and the
 * buffer an HTTP header is decoded into is wiped before return. Kerberos (the krb5 GSS token inside SPNEGO) is
 * recognised and named, not parsed. */
#ifndef CMFLOW_NTLMSSP_H
#define CMFLOW_NTLMSSP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Names as printable UTF-8 including the NUL: longer ones are cut at a character boundary (names_cut). */
#define NTLMSSP_NAME_MAX 128

enum ntlmssp_type {
	NTLMSSP_NONE = 0,
	NTLMSSP_NEGOTIATE = 1,
	NTLMSSP_CHALLENGE = 2,
	NTLMSSP_AUTHENTICATE = 3,
};

/* Which response an AUTHENTICATE message carries, told by lengths alone. */
enum ntlm_response {
	NTLM_RESPONSE_NONE = 0, /* no NT and no LM response (anonymous), or not an AUTHENTICATE message */
	NTLM_RESPONSE_LM,       /* an LM response only */
	NTLM_RESPONSE_V1,       /* NT response of 24 bytes: NTLMv1 (with extended session security when ess) */
	NTLM_RESPONSE_V2,       /* NT response longer than 24 bytes: NTLMv2 */
};

/* Negotiate flags ([MS-NLMP] 2.2.2.5) that the findings use. */
#define NTLMSSP_FLAG_UNICODE 0x00000001u
#define NTLMSSP_FLAG_OEM 0x00000002u
#define NTLMSSP_FLAG_SIGN 0x00000010u
#define NTLMSSP_FLAG_SEAL 0x00000020u
#define NTLMSSP_FLAG_LM_KEY 0x00000080u
#define NTLMSSP_FLAG_NTLM 0x00000200u
#define NTLMSSP_FLAG_ANONYMOUS 0x00000800u
#define NTLMSSP_FLAG_OEM_DOMAIN 0x00001000u
#define NTLMSSP_FLAG_OEM_WORKSTATION 0x00002000u
#define NTLMSSP_FLAG_ALWAYS_SIGN 0x00008000u
#define NTLMSSP_FLAG_ESS 0x00080000u
#define NTLMSSP_FLAG_TARGET_INFO 0x00800000u
#define NTLMSSP_FLAG_VERSION 0x02000000u
#define NTLMSSP_FLAG_KEY_EXCH 0x40000000u

/* One NTLMSSP message as parsed. Invariants: every string is NUL-terminated printable UTF-8 (control characters
 * and undecodable UTF-16 shown as '?'), "" when absent; challenge is meaningful only when has_challenge; no byte
 * of an LM or NT response, session key or MIC is ever stored here. */
struct ntlmssp_msg {
	uint8_t type;               /* enum ntlmssp_type */
	uint8_t response;           /* enum ntlm_response, AUTHENTICATE only */
	bool anonymous;             /* AUTHENTICATE: anonymous flag, or no user name and no NT response */
	bool has_challenge;         /* CHALLENGE: challenge[] holds the server challenge */
	bool has_os_version;        /* the Version field was present (NTLMSSP_FLAG_VERSION) */
	bool mic_present;           /* AUTHENTICATE (NTLMv2): the client's AV pairs say a MIC follows (MsvAvFlags 0x2) */
	bool names_cut;             /* a name was longer than NTLMSSP_NAME_MAX - 1 bytes and was cut */
	bool cut;                   /* the message ended before one of its fields: what lay beyond is absent */
	uint32_t flags;             /* negotiate flags (0 when the message has none: an old AUTHENTICATE) */
	uint8_t challenge[8];       /* CHALLENGE's server challenge, as on the wire */
	uint8_t os_major, os_minor; /* Version field: the sender's Windows version */
	uint16_t os_build;
	uint16_t lm_len, nt_len;    /* AUTHENTICATE: lengths of the responses (only their lengths) */
	char target[NTLMSSP_NAME_MAX];      /* CHALLENGE: TargetName (the server's domain or name) */
	char server_nb_name[NTLMSSP_NAME_MAX];  /* CHALLENGE: MsvAvNbComputerName of the target info */
	char server_dns_name[NTLMSSP_NAME_MAX]; /* CHALLENGE: MsvAvDnsComputerName of the target info */
	char domain[NTLMSSP_NAME_MAX];      /* AUTHENTICATE: DomainName; NEGOTIATE: the OEM domain supplied */
	char user[NTLMSSP_NAME_MAX];        /* AUTHENTICATE: UserName */
	char workstation[NTLMSSP_NAME_MAX]; /* AUTHENTICATE: Workstation; NEGOTIATE: the OEM workstation supplied */
	char client_spn[NTLMSSP_NAME_MAX];  /* AUTHENTICATE (NTLMv2): MsvAvTargetName, the service the client meant */
};

/* GSS-API mechanisms named by their object identifiers. */
enum gss_mech {
	GSS_MECH_NONE = 0,
	GSS_MECH_NTLMSSP,   /* 1.3.6.1.4.1.311.2.2.10 */
	GSS_MECH_KRB5,      /* 1.2.840.113554.1.2.2 */
	GSS_MECH_MS_KRB5,   /* 1.2.840.48018.1.2.2 (Windows' historical Kerberos OID) */
	GSS_MECH_KRB5_U2U,  /* 1.2.840.113554.1.2.2.3 */
	GSS_MECH_NEGOEX,    /* 1.3.6.1.4.1.311.2.2.30 */
	GSS_MECH_OTHER,     /* an OID not listed here */
	GSS_MECH_COUNT
};

enum gss_wrap {
	GSS_WRAP_NONE = 0,
	GSS_WRAP_RAW_NTLMSSP,   /* the NTLMSSP message itself (DCE/RPC auth type 10, HTTP "NTLM") */
	GSS_WRAP_SPNEGO_INIT,   /* SPNEGO negTokenInit (or negTokenInit2) inside a GSS-API initial token */
	GSS_WRAP_SPNEGO_RESP,   /* SPNEGO negTokenResp */
	GSS_WRAP_KRB5,          /* a GSS-API initial token of a Kerberos mechanism, or a bare AP-REQ / AP-REP */
};

/* Kerberos message types (RFC 4120 section 5.10, user-to-user's TGT request and reply) a GSS token carries. */
#define KRB_AP_REQ 14
#define KRB_AP_REP 15
#define KRB_TGT_REQ 16
#define KRB_TGT_REP 17
#define KRB_ERROR 30

/* A security token as parsed: how it was wrapped, which mechanism its inner token belongs to, the mechanisms a
 * negTokenInit offered, and the NTLMSSP message when there is one. Invariant: has_ntlmssp implies
 * mech == GSS_MECH_NTLMSSP and ntlmssp.type != NTLMSSP_NONE. */
struct ntlmssp_token {
	uint8_t wrap;           /* enum gss_wrap */
	uint8_t mech;           /* enum gss_mech of the inner token; for a mechanism list alone, the first offered */
	uint8_t neg_state;      /* negTokenResp negState: 0 accept-completed, 1 accept-incomplete, 2 reject,
				   3 request-mic; 0xff when absent */
	uint8_t krb_msg;        /* KRB_AP_REQ, KRB_AP_REP, KRB_TGT_REQ/REP, KRB_ERROR of a Kerberos token; 0 unknown */
	uint16_t mechs_offered; /* negTokenInit: bit (1 << enum gss_mech) for each mechanism listed */
	bool has_token;         /* an inner token was present (not a bare mechanism list or a final negState) */
	bool has_ntlmssp;
	bool cut;               /* the token was cut by the buffer's end (or an HTTP header's decoding bound) */
	struct ntlmssp_msg ntlmssp;
};

/* Parses one NTLMSSP message starting at msg[0] (the "NTLMSSP\0" signature) and extending at most len bytes
 * (its fields' offsets count from the signature). True when it is a NEGOTIATE, CHALLENGE or AUTHENTICATE message
 * whose fixed header fits in len; a name outside the buffer is left "" and cut set. False, with *out
 * zeroed, otherwise. */
bool ntlmssp_parse(const uint8_t *msg, size_t len, struct ntlmssp_msg *out);

/* Parses a security token: a bare NTLMSSP message, a GSS-API initial context token (SPNEGO negTokenInit or a
 * Kerberos mechanism's token), a SPNEGO negTokenResp, or a bare Kerberos AP-REQ / AP-REP / KRB-ERROR. The
 * inner NTLMSSP message is parsed as ntlmssp_parse does. False, with *out zeroed (neg_state 0xff), when the
 * buffer holds none of these. */
bool ntlmssp_parse_token(const uint8_t *blob, size_t len, struct ntlmssp_token *out);

/* HTTP authentication schemes that carry NTLMSSP or SPNEGO (RFC 4559). */
enum http_auth_scheme {
	HTTP_AUTH_OTHER = 0,
	HTTP_AUTH_NTLM,
	HTTP_AUTH_NEGOTIATE,
};

/* Parses the value of an HTTP Authorization, Proxy-Authorization, WWW-Authenticate or Proxy-Authenticate
 * header: "NTLM <base64>" or "Negotiate <base64>" (the scheme case-insensitive, the token optional: a server's
 * first 401 offers the scheme alone). The token is base64-decoded into a buffer of 8 KiB on the stack (a
 * longer token is decoded that far and marked cut), parsed as ntlmssp_parse_token does, and the buffer wiped.
 * Sets *scheme. True when the scheme is NTLM or Negotiate (out->wrap is GSS_WRAP_NONE when no token followed or
 * the token was not understood); false for any other scheme. */
bool ntlmssp_parse_http(const char *value, size_t len, enum http_auth_scheme *scheme, struct ntlmssp_token *out);

/* Finds the first NTLMSSP message in a payload by its signature (for carriers whose framing cmflow does not
 * parse: LDAP binds, TDS logins, DCE/RPC verifiers) and parses it as ntlmssp_parse does, up to the payload's
 * end. False when no signature is followed by a message. */
bool ntlmssp_find(const uint8_t *payload, size_t len, struct ntlmssp_msg *out);

/* "NEGOTIATE", "CHALLENGE", "AUTHENTICATE", or NULL. */
const char *ntlmssp_type_name(unsigned type);

/* "none", "LM", "NTLMv1", "NTLMv2". */
const char *ntlm_response_name(unsigned response);

/* "NTLMSSP", "Kerberos", "MS-Kerberos", "Kerberos-U2U", "NegoEx", "other", or NULL for GSS_MECH_NONE. */
const char *gss_mech_name(unsigned mech);

#endif

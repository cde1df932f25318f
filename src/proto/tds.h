/* tds.h: the security tokens of a TDS login ([MS-TDS] 2.2.3.1 packet header, 2.2.6.4 LOGIN7 with integrated
 * security, 2.2.6.8 SSPI message, 2.2.7.22 the server's SSPI token): a SQL Server client that logs in with Windows
 * authentication sends SPNEGO or NTLMSSP in its LOGIN7 (the NEGOTIATE) and in an SSPI message (the AUTHENTICATE);
 * the server's CHALLENGE comes back as an SSPI token (0xED) of a tabular result. A login sent inside TLS (the
 * PRELOGIN's encryption) is not readable; a SQL login's name and password are never given.
 *
 * One TDS packet a call, from the start of the bytes given (a TCP segment that starts a packet). */
#ifndef CMFLOW_TDS_H
#define CMFLOW_TDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TDS_TYPE_RESULT 0x04
#define TDS_TYPE_LOGIN7 0x10
#define TDS_TYPE_SSPI 0x11
#define TDS_TYPE_PRELOGIN 0x12

/* What a packet carries. Invariant: token lies within the bytes given, NULL with token_len 0 when none. */
struct tds_auth {
	uint8_t type;               /* the packet's type */
	bool integrated;            /* LOGIN7: OptionFlags2's fIntSecurity */
	bool cut;                   /* the token ran past the bytes given */
	const uint8_t *token;
	size_t token_len;
};

/* Parses the TDS packet at data[0..len): true when it is a LOGIN7 with integrated security and an SSPI field, an
 * SSPI message, or a tabular result that starts with an SSPI token (token set). False, with *out zeroed (but its
 * type, when the header was a TDS packet's), otherwise. */
bool tds_parse_auth(const uint8_t *data, size_t len, struct tds_auth *out);

/* True when data starts with a TDS packet header of a known type and a plausible length (a client's first
 * segment: PRELOGIN or LOGIN7). */
bool tds_looks_like(const uint8_t *data, size_t len);

#endif

/* tls.h: the TLS handshake's first messages (RFC 8446 section 4.1, RFC 5246 section 7.4), for cmflow's own
 * proof of TLS and the fields an audit shows: the server name the client asked for (RFC 6066 server_name) and the
 * version the server chose (supported_versions for TLS 1.3).
 *
 * Only what the first segment of each direction holds is read: a ClientHello whose SNI falls into a later
 * segment is still proven TLS, without a name. */
#ifndef CMFLOW_TLS_H
#define CMFLOW_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TLS_SNI_MAX 256

struct tls_hello {
	uint16_t version;          /* ServerHello: the chosen version; ClientHello: legacy_version */
	char sni[TLS_SNI_MAX];     /* ClientHello only; "" when absent or cut; printable ASCII, others as '?' */
};

/* A ClientHello (or an SSL 2 CLIENT-HELLO) at the start of a client's first payload. */
bool tls_parse_client_hello(const uint8_t *data, size_t len, struct tls_hello *out);

/* A ServerHello at the start of a server's first payload: out->version is the version chosen. */
bool tls_parse_server_hello(const uint8_t *data, size_t len, struct tls_hello *out);

/* The version as Suricata's EVE tls.version writes it: "SSLv2", "SSLv3", "TLSv1", "TLS 1.1", "TLS 1.2", "TLS 1.3";
 * NULL for another value. */
const char *tls_version_suricata(uint16_t version);

/* "SSLv3", "TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3" (nDPI's words), or NULL for another value. */
const char *tls_version_name(uint16_t version);

#endif

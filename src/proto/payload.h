/* payload.h: what a flow's first payload bytes say about its transport security, before any protocol parser.
 *
 * A TLS connection starts with a TLS record (or, from old clients, an SSL 2 ClientHello); anything else on a
 * TCP flow is cleartext. The AMT rows of the port matrix name TLS-only ports where this is what an audit asks. */
#ifndef CMFLOW_PAYLOAD_H
#define CMFLOW_PAYLOAD_H

#include <stddef.h>
#include <stdint.h>

enum payload_kind { PAYLOAD_UNSEEN = 0, PAYLOAD_TLS, PAYLOAD_CLEARTEXT };

/* Classifies the first payload of a flow (either direction); PAYLOAD_UNSEEN when fewer than 3 bytes decide. */
enum payload_kind payload_classify(const uint8_t *data, size_t len);

/* "tls", "cleartext", or NULL for PAYLOAD_UNSEEN. */
const char *payload_kind_name(enum payload_kind k);

#endif

/* dns.h: a DNS query (RFC 1035 section 4.1), for cmflow's own proof of DNS on port 53.
 *
 * The first message a client sends: a header with QR clear, an opcode of QUERY, NOTIFY or UPDATE, one question
 * whose name is a sequence of labels of at most 63 bytes (255 in all) ending in the root, and the question's
 * type and class, all within the payload. Over TCP the message follows a two-byte length. */
#ifndef CMFLOW_DNS_H
#define CMFLOW_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

bool dns_is_query(const uint8_t *msg, size_t len);

/* The same behind TCP's two-byte message length. */
bool dns_is_tcp_query(const uint8_t *data, size_t len);

#endif

/* decode_int.h: what decode.c (link layer to transport) and tunnel.c (the encapsulations) share inside the
 * decoder; nothing outside src/decode includes it. */
#ifndef CMFLOW_DECODE_INT_H
#define CMFLOW_DECODE_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "decode/decode.h"

#define IPPROTO_IPIP_ 4
#define IPPROTO_UDP_ 17
#define IPPROTO_IPV6_ 41

/* Decoding state passed down the layers. wire_left is what the frame had on the wire from the current offset,
 * so that a snaplen cut is told apart from a header that lies about its length; ip_total is the current IP
 * header's total length as claimed (checked against wire_left) and udp_len the current UDP header's length
 * field, which bound a tunnel's payload on the wire. */
struct dstate {
	struct packet *pkt;
	struct decode_stats *st;
	const struct decode_tunnels *tun;
	uint32_t wire_left;
	uint32_t ip_total;
	uint16_t udp_len;
};

/* Counts reason r and returns DECODE_MALFORMED. */
enum decode_result decode_malformed(struct dstate *d, enum malformed_reason r);

/* Counts reason r for a packet that is still decoded (an anomaly, or a tunnel left closed). */
static inline void decode_anomaly(struct dstate *d, enum malformed_reason r)
{
	d->st->malformed++;
	d->st->by_reason[r]++;
}

/* The layers a tunnel's payload starts with: p .. p + len are the captured bytes from there, d->wire_left
 * already what the wire carried from p. */
enum decode_result decode_ethernet(struct dstate *d, const uint8_t *p, uint32_t len);
enum decode_result decode_ipv4(struct dstate *d, const uint8_t *p, uint32_t len);
enum decode_result decode_ipv6(struct dstate *d, const uint8_t *p, uint32_t len);
enum decode_result decode_ip_by_version(struct dstate *d, const uint8_t *p, uint32_t len);
enum decode_result decode_mpls(struct dstate *d, const uint8_t *p, uint32_t len);

/* tunnel.c. Each returns true when it opened a tunnel (*r is then the inner packet's result) and false when the
 * packet stays as it is: no tunnel there, or one whose header is cut, malformed or carries an unknown payload
 * (counted by reason), or one level too deep (counted in too_many_layers). */

/* After a UDP header (pkt's ports and payload set): VXLAN, Geneve, VXLAN-GPE, GRE in UDP, Teredo, TZSP. */
bool tunnel_udp(struct dstate *d, enum decode_result *r);

/* A GRE header at p (IP protocol 47, at least 4 bytes); version 1 (PPTP) is left alone. */
bool tunnel_gre(struct dstate *d, const uint8_t *p, uint32_t len, enum decode_result *r);

/* An IP header after an IP header (IP protocol 4 or 41, pkt->ip_proto). */
bool tunnel_ip_in_ip(struct dstate *d, const uint8_t *p, uint32_t len, enum decode_result *r);

#endif

/* decode_int.h: what decode.c (link layer to transport) and tunnel.c (the encapsulations) share inside the
 * decoder; nothing outside src/decode includes it. */
#ifndef CMFLOW_DECODE_INT_H
#define CMFLOW_DECODE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "decode/decode.h"
#include "lib/bytes.h"

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

/* Clears a packet from its VLAN tags on (what a tunnel's inner packet describes anew). In three pieces of at most
 * 64 bytes, which GCC writes with vector stores, where one memset of the whole is a rep stos: this runs for every
 * packet. */
#define PACKET_INNER_BYTES (sizeof(struct packet) - offsetof(struct packet, vlan))
_Static_assert(PACKET_INNER_BYTES > 128 && PACKET_INNER_BYTES <= 192, "packet_clear_inner: three pieces");
static inline void packet_clear_inner(struct packet *pkt)
{
	uint8_t *p = (uint8_t *)&pkt->vlan;
	memset(p, 0, 64);
	memset(p + 64, 0, 64);
	memset(p + 128, 0, PACKET_INNER_BYTES - 128);
}

/* Counts reason r and returns DECODE_MALFORMED. */
enum decode_result decode_malformed(struct dstate *d, enum malformed_reason r);

/* Counts reason r for a packet that is still decoded (an anomaly). */
static inline void decode_anomaly(struct dstate *d, enum malformed_reason r)
{
	d->st->malformed++;
	d->st->by_reason[r]++;
}

/* Counts reason r for a tunnel left closed (the packet stays the outer one): by reason, and in
 * tunnel_left_closed. */
static inline void tunnel_closed(struct dstate *d, enum malformed_reason r)
{
	decode_anomaly(d, r);
	d->st->tunnel_left_closed++;
}

/* The layers a tunnel's payload starts with: p .. p + len are the captured bytes from there, d->wire_left
 * already what the wire carried from p. */
enum decode_result decode_ethernet(struct dstate *d, const uint8_t *p, uint32_t len);
enum decode_result decode_ipv4(struct dstate *d, const uint8_t *p, uint32_t len);
enum decode_result decode_ipv6(struct dstate *d, const uint8_t *p, uint32_t len);
enum decode_result decode_ip_by_version(struct dstate *d, const uint8_t *p, uint32_t len);
enum decode_result decode_mpls(struct dstate *d, const uint8_t *p, uint32_t len);

/* tunnel.c. Each returns the inner packet's result when it opened a tunnel, and DECODE_OK when the packet stays
 * the outer one: no tunnel there, or one whose header is cut, malformed or carries an unknown payload (counted
 * by reason), or one level too deep (counted in too_many_layers). The callers return it as it is (a tail
 * call). */

/* After a UDP header (pkt's ports and payload set): VXLAN, Geneve, VXLAN-GPE, GRE in UDP, Teredo, TZSP. */
enum decode_result tunnel_udp(struct dstate *d);

/* Whether tunnel_udp may take the datagram: a tunnel port, or a first payload byte that Teredo off its port
 * (an IPv6 header or an indicator) or a VXLAN header on a port not configured begins with. Inline, so that the
 * rest of UDP traffic pays two compares. */
static inline bool tunnel_udp_candidate(const struct dstate *d)
{
	const struct packet *pkt = d->pkt;
	if (pkt->dport >= d->tun->lowest_port || pkt->sport == 3544)
		return true;
	uint8_t b0;
	return pkt->payload_len >= 22 && bytes_u8(pkt->payload, pkt->payload_len, 0, &b0) &&
	       ((b0 >> 4) == 6 || b0 == 0 || b0 == 0x08);
}

/* A GRE header at p (IP protocol 47, at least 4 bytes); version 1 (PPTP) is left alone. */
enum decode_result tunnel_gre(struct dstate *d, const uint8_t *p, uint32_t len);

/* An IP header after an IP header (IP protocol 4 or 41, pkt->ip_proto). */
enum decode_result tunnel_ip_in_ip(struct dstate *d, const uint8_t *p, uint32_t len);

#endif

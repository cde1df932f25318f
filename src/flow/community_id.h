/* community_id.h: Community ID v1, the flow hash that Zeek, Suricata, Arkime and Elastic share, so that one
 * connection seen by several tools (or several sensors) can be joined by one string.
 * Reference: corelight/community-id-spec, README ("Pseudo code", "Technical details"), and its reference
 * implementation's ICMP tables (pycommunityid icmp.py, icmp6.py, taken from Zeek's ICMP analyzer); the spec's
 * baseline is in ../shared/reference/community-id/ and tests/unit/test_community_id.c checks every packet of it.
 *
 * The value is "1:" and the base64 of SHA-1 over: the seed (2 bytes), the two addresses (4 or 16 bytes each),
 * the IP protocol (1 byte), a zero byte, and for TCP, UDP, SCTP, ICMP and ICMPv6 the two ports (2 bytes each),
 * all in network order, the endpoint with the smaller (address, port) first. ICMP and ICMPv6 put the message type
 * in the source port; a type that has a counterpart (echo request and reply, router/neighbour solicitation and
 * advertisement ...) puts the counterpart in the destination port, so that both directions hash alike; any other
 * type puts its code there and is one way: its endpoints are not reordered. */
#ifndef CMFLOW_COMMUNITY_ID_H
#define CMFLOW_COMMUNITY_ID_H

#include <stdbool.h>
#include <stdint.h>

#define COMMUNITY_ID_LEN 30            /* "1:" + 28 characters of base64 for a 20-byte digest */
#define COMMUNITY_ID_SIZE (COMMUNITY_ID_LEN + 1)

/* One direction of a packet's conversation, as the hash takes it. Invariants: family is 4 or 6; an IPv4 address
 * fills the first 4 bytes of src/dst (the rest is not read); has_ports is set exactly when proto is one of the
 * spec's port protocols (TCP 6, UDP 17, SCTP 132, ICMP 1, ICMPv6 58) and the header was there; for ICMP and ICMPv6,
 * sport and dport hold the message's type and code (community_id_v1 maps them). Ports are in host order. */
struct community_id_tuple {
	uint8_t family;
	uint8_t proto;
	uint8_t src[16], dst[16];
	uint16_t sport, dport;
	bool has_ports;
};

/* The spec's mapping of an ICMP (v6 false) or ICMPv6 (v6 true) type and code to the two "ports" that are hashed:
 * *sport = type; *dport = the counterpart type, or the code when there is none, in which case *one_way is set.
 * Cannot fail. */
void community_id_icmp_ports(bool v6, uint8_t type, uint8_t code, uint16_t *sport, uint16_t *dport, bool *one_way);

/* Community ID v1 of the tuple with seed, written to out as a NUL-terminated string of COMMUNITY_ID_LEN
 * characters. Returns false, with out set to "", when the tuple is not hashable: a family other than 4 or 6, or a
 * port protocol whose ports are missing (the spec's "report an empty string"). Thread safe. */
bool community_id_v1(const struct community_id_tuple *t, uint16_t seed, char out[COMMUNITY_ID_SIZE]);

struct packet;

/* The tuple of a packet decoded by decode_packet (src/decode/decode.h), in the packet's direction. SCTP's ports
 * are read from its common header (the decoder does not take them). Returns false when the packet carries no IP,
 * or has a port protocol without its header (a fragment after the first, a header cut short): such a packet has
 * no Community ID of its own, its flow's (from the flow's first packet) applies. */
bool community_id_tuple_of_packet(const struct packet *pkt, struct community_id_tuple *t);

#endif

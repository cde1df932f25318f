/* stats.h: counters shared by the pipeline stages, written out as the EVE stats event.
 * Names follow Suricata's stats tree where one exists (decoder.pkts, decoder.event.ipv4.trunc_pkt ...). */
#ifndef CMFLOW_STATS_H
#define CMFLOW_STATS_H

#include <stdint.h>

/* The encapsulations the decoder opens. */
enum tunnel_kind {
	TUNNEL_NONE = 0,
	TUNNEL_GRE,        /* GRE version 0 over IP (RFC 2784, 2890): IPv4, IPv6, transparent Ethernet, MPLS */
	TUNNEL_ERSPAN_I,   /* GRE 0x88BE without a sequence number: the mirrored frame right after GRE */
	TUNNEL_ERSPAN_II,  /* GRE 0x88BE with a sequence number, an 8-byte ERSPAN header of version 1 */
	TUNNEL_ERSPAN_III, /* GRE 0x22EB, a 12-byte header of version 2, an optional 8-byte platform sub-header */
	TUNNEL_VXLAN,      /* RFC 7348: UDP 4789, 8472 and the ports configured */
	TUNNEL_GENEVE,     /* RFC 8926: UDP 6081 */
	TUNNEL_VXLAN_GPE,  /* draft-ietf-nvo3-vxlan-gpe: UDP 4790; IPv4, IPv6, Ethernet, NSH (RFC 8300) or MPLS */
	TUNNEL_GRE_UDP,    /* RFC 8086: GRE in UDP 4754 */
	TUNNEL_IP_IP,      /* IPv4 or IPv6 in IPv4 or IPv6 (IP protocols 4 and 41; RFC 2003, RFC 4213, RFC 2473) */
	TUNNEL_TEREDO,     /* RFC 4380: IPv6 in UDP 3544 (or to or from a Teredo address 2001::/32) */
	TUNNEL_TZSP,       /* TaZmen Sniffer Protocol: UDP 37008, Ethernet frames */
	TUNNEL_KINDS
};

/* Malformed-packet reasons; the table in decode.c gives each its Suricata-style name. Those before
 * MAL_CMFLOW_FIRST are Suricata's own (decoder.event.<layer>.<reason>); the rest are cmflow's, for what Suricata
 * does not decode (written under cmflow.decoder.event). Within each part, reasons of one layer are consecutive. */
enum malformed_reason {
	MAL_ETH_TOO_SMALL,
	MAL_VLAN_TOO_SMALL,
	MAL_VLAN_TOO_MANY,
	MAL_SLL_TOO_SMALL,
	MAL_SLL2_TOO_SMALL,
	MAL_NULL_TOO_SMALL,
	MAL_NULL_UNSUPPORTED,
	MAL_RAW_BAD_VERSION,
	MAL_IPV4_TOO_SMALL,
	MAL_IPV4_HLEN_TOO_SMALL,
	MAL_IPV4_IPLEN_SMALLER_THAN_HLEN,
	MAL_IPV4_TRUNC,
	MAL_IPV4_WRONG_VERSION,
	MAL_IPV6_TOO_SMALL,
	MAL_IPV6_TRUNC,
	MAL_IPV6_TRUNC_EXTHDR,
	MAL_IPV6_WRONG_VERSION,
	MAL_IPV6_IPV4_IN_IPV6_TOO_SMALL,
	MAL_IPV6_IPV4_IN_IPV6_WRONG_VERSION,
	MAL_IPV6_IPV6_IN_IPV6_TOO_SMALL,
	MAL_IPV6_IPV6_IN_IPV6_WRONG_VERSION,
	MAL_TCP_TOO_SMALL,
	MAL_TCP_HLEN_TOO_SMALL,
	MAL_UDP_TOO_SMALL,
	MAL_UDP_LEN_INVALID,
	MAL_ICMPV4_TOO_SMALL,
	MAL_ICMPV6_TOO_SMALL,
	MAL_GRE_TOO_SMALL,
	MAL_GRE_WRONG_VERSION,
	MAL_GRE_V0_RECUR,
	MAL_GRE_V0_FLAGS,
	MAL_GRE_V0_HDR_TOO_BIG,
	MAL_GRE_V0_MALFORMED_SRE,
	MAL_ESP_TOO_SMALL,
	MAL_SCTP_TOO_SMALL,
	MAL_ERSPAN_TOO_SMALL,
	MAL_ERSPAN_UNSUPPORTED_VERSION,
	MAL_GENEVE_UNKNOWN_PAYLOAD,
	MAL_NSH_TOO_SMALL,
	MAL_NSH_UNSUPPORTED_VERSION,
	MAL_NSH_BAD_HEADER_LENGTH,
	MAL_NSH_RESERVED_TYPE,
	MAL_NSH_UNSUPPORTED_TYPE,
	MAL_NSH_UNKNOWN_PAYLOAD,
	/* cmflow's own */
	MAL_CMFLOW_FIRST,
	MAL_ERSPAN_UNKNOWN_FRAME_TYPE = MAL_CMFLOW_FIRST,
	MAL_GENEVE_TOO_SMALL,
	MAL_GRE_UNKNOWN_PAYLOAD,
	MAL_IPV4_IPV4_IN_IPV4_TOO_SMALL,
	MAL_IPV4_IPV4_IN_IPV4_WRONG_VERSION,
	MAL_IPV4_IPV6_IN_IPV4_TOO_SMALL,
	MAL_IPV4_IPV6_IN_IPV4_WRONG_VERSION,
	MAL_TUNNEL_OUTER_FRAGMENT,
	MAL_TZSP_TOO_SMALL,
	MAL_TZSP_UNKNOWN_PAYLOAD,
	MAL_VXLAN_GPE_UNKNOWN_PAYLOAD,
	MAL_COUNT
};

struct decode_stats {
	uint64_t pkts, bytes;
	uint64_t ethernet, vlan, vlan_qinq, sll, sll2, null, raw;
	uint64_t ipv4, ipv6, tcp, udp, sctp, icmpv4, icmpv6, gre, esp, other_ip;
	uint64_t arp, not_ip, unknown_ethertype;
	uint64_t ipv4_frags, ipv6_frags;
	uint64_t malformed;              /* sum of by_reason */
	uint64_t by_reason[MAL_COUNT];
	uint64_t unsupported_linktype;
	/* tunnels (tunnel.c) */
	uint64_t decapsulated;           /* packets read from inside at least one tunnel */
	uint64_t tunnel[TUNNEL_KINDS];   /* tunnel headers opened, by enum tunnel_kind (TUNNEL_NONE unused) */
	uint64_t erspan;                 /* ERSPAN headers opened, types I, II and III together (Suricata's) */
	uint64_t ipv4_in_ipv4, ipv6_in_ipv4, ipv4_in_ipv6, ipv6_in_ipv6; /* TUNNEL_IP_IP by its two families */
	uint64_t nsh;                    /* NSH headers read (inside VXLAN-GPE) */
	uint64_t too_many_layers;        /* a tunnel beyond DECODE_MAX_TUNNELS, left closed */
	uint64_t vxlan_unopened;         /* UDP to another port that looks like VXLAN (a port to configure) */
	uint64_t tunnel_left_closed;     /* tunnels cut, malformed, of an unknown payload, of an outer fragment, or
					  * one level too deep: each counted by its reason too, the packet the outer one */
};

/* The packets whose tunnel was left closed (st->tunnel_left_closed). */
static inline uint64_t decode_tunnels_left_closed(const struct decode_stats *st)
{
	return st->tunnel_left_closed;
}

/* Suricata-style dotted name of a malformed reason ("ipv4.trunc_pkt"); the stats event writes it under
 * decoder.event (cmflow.decoder.event from MAL_CMFLOW_FIRST on). */
const char *malformed_reason_name(enum malformed_reason r);

#endif

/* stats.h: counters shared by the pipeline stages, written out as the EVE stats event.
 * Names follow Suricata's stats tree where one exists (decoder.pkts, decoder.event.ipv4.trunc_pkt ...). */
#ifndef CMFLOW_STATS_H
#define CMFLOW_STATS_H

#include <stdint.h>

/* Malformed-packet reasons; the table in decode.c gives each its Suricata-style name. */
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
	MAL_TCP_TOO_SMALL,
	MAL_TCP_HLEN_TOO_SMALL,
	MAL_UDP_TOO_SMALL,
	MAL_UDP_LEN_INVALID,
	MAL_ICMPV4_TOO_SMALL,
	MAL_ICMPV6_TOO_SMALL,
	MAL_GRE_TOO_SMALL,
	MAL_ESP_TOO_SMALL,
	MAL_SCTP_TOO_SMALL,
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
};

/* Suricata-style dotted name of a malformed reason ("ipv4.trunc_pkt"); the stats event writes it under
 * decoder.event. */
const char *malformed_reason_name(enum malformed_reason r);

#endif

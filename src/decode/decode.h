/* decode.h: link layer to transport header, into a struct packet.
 *
 * Link types: Ethernet (with 802.1Q / 802.1ad tags), Linux cooked SLL and SLL2, raw IP, BSD loopback (NULL and
 * LOOP). Network: IPv4 (options, fragments), IPv6 (extension headers, fragments). Transport: TCP, UDP, ICMP,
 * ICMPv6, GRE, ESP, others by protocol number. The buffer is cut to the IP total length before anything above IP
 * is read. A packet that cannot be decoded is counted by reason in struct decode_stats, never fatal. */
#ifndef CMFLOW_DECODE_H
#define CMFLOW_DECODE_H

#include <stdbool.h>
#include <stdint.h>

#include "decode/stats.h"

#define DECODE_MAX_VLANS 2

enum l3_family { L3_NONE = 0, L3_IPV4 = 4, L3_IPV6 = 6 };

/* What decode_packet found. Pointers point into the caller's packet buffer and are valid only as long as it.
 * Invariants when l3 != L3_NONE: ip .. ip + ip_len lies within the captured bytes (cut to the IP total length);
 * payload .. payload + payload_len lies within it too. */
struct packet {
	uint64_t ts_us;                 /* capture time, microseconds since the epoch */
	uint32_t wire_len;              /* original length on the wire */
	uint32_t cap_len;               /* bytes captured */
	uint16_t vlan[DECODE_MAX_VLANS];/* outer first; 0 where absent */
	uint8_t vlan_count;
	uint8_t eth_dst_broadcast;      /* Ethernet destination ff:ff:ff:ff:ff:ff */
	uint8_t eth_dst_multicast;      /* group bit set in the Ethernet destination */
	uint8_t has_eth;
	uint8_t eth_src[6], eth_dst[6];
	uint16_t ethertype;             /* innermost EtherType (0 for raw IP and loopback) */

	enum l3_family l3;
	const uint8_t *ip;              /* start of the IP header */
	uint32_t ip_len;                /* IP total length as cut */
	uint8_t src[16], dst[16];       /* IPv4 uses the first 4 bytes, the rest zero */
	uint8_t ip_proto;               /* transport protocol (after IPv6 extension headers) */
	uint8_t ttl;

	/* fragments: frag_id is the IPv4 identification or the IPv6 fragment header's id */
	uint8_t is_fragment;            /* part of a fragmented datagram */
	uint8_t is_first_fragment;      /* offset 0: carries the transport header */
	uint32_t frag_id;

	uint8_t has_ports;              /* transport header decoded (TCP or UDP) */
	uint16_t sport, dport;
	uint8_t tcp_flags;
	uint32_t tcp_seq, tcp_ack;
	uint8_t icmp_type, icmp_code;
	uint8_t has_icmp;
	uint16_t icmp_id;

	const uint8_t *payload;         /* transport payload (or the IP payload for other protocols) */
	uint32_t payload_len;

	/* Link-layer payload of frames that carry no IP (e.g. Wake-on-LAN EtherType 0x0842) */
	const uint8_t *l2_payload;
	uint32_t l2_payload_len;
};

#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_PSH 0x08
#define TCP_ACK 0x10

enum decode_result {
	DECODE_OK = 0,      /* an IP packet: l3 set */
	DECODE_NOT_IP,      /* a well-formed frame that carries no IP (ARP, LLDP, WOL 0x0842 ...) */
	DECODE_MALFORMED,   /* counted in the stats by reason */
	DECODE_UNSUPPORTED, /* a link type cmflow does not read */
};

/* Decodes one captured frame of the given pcap link type (DLT_*). Fills *pkt (zeroed first) and counts in
 * *st: per layer, and per malformed reason. Never reads outside data[0 .. caplen). */
enum decode_result decode_packet(int linktype, const uint8_t *data, uint32_t caplen, uint32_t wirelen,
				 uint64_t ts_us, struct packet *pkt, struct decode_stats *st);

/* True when cmflow can read this pcap link type. */
bool decode_linktype_supported(int linktype);

/* The DLT_ value libpcap gives for a file's LINKTYPE_ value (tcpdump.org/linktypes.html): the same number but for
 * a few, of which cmflow decodes LINKTYPE_RAW (101), DLT_RAW on Linux. For the readers of pcap and pcapng files. */
int decode_dlt_of_linktype(uint32_t linktype);

#endif

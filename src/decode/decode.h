/* decode.h: link layer to transport header, into a struct packet.
 *
 * Link types: Ethernet (with 802.1Q / 802.1ad tags), Linux cooked SLL and SLL2, raw IP, BSD loopback (NULL and
 * LOOP). Network: IPv4 (options, fragments), IPv6 (extension headers, fragments). Transport: TCP, UDP, ICMP,
 * ICMPv6, GRE, ESP, others by protocol number. The buffer is cut to the IP total length before anything above IP
 * is read. A packet that cannot be decoded is counted by reason in struct decode_stats, never fatal.
 *
 * Tunnels (tunnel.c) are opened up to DECODE_MAX_TUNNELS deep: ERSPAN I/II/III, GRE version 0, VXLAN, Geneve,
 * VXLAN-GPE (with NSH), GRE in UDP, IP in IP, Teredo and TZSP. The packet is then the innermost one; what it came
 * in is in pkt->tunnel. A tunnel whose header is cut, malformed or carries an unknown payload is counted by reason
 * and the packet stays the outer one. */
#ifndef CMFLOW_DECODE_H
#define CMFLOW_DECODE_H

#include <stdbool.h>
#include <stdint.h>

#include "decode/stats.h"

#define DECODE_MAX_VLANS 2
#define DECODE_MAX_TUNNELS 4       /* encapsulations opened in one frame; one more is counted (too_many_layers) */
#define DECODE_MAX_VXLAN_PORTS 16  /* UDP ports read as VXLAN, the two defaults included */

enum l3_family { L3_NONE = 0, L3_IPV4 = 4, L3_IPV6 = 6 };

/* What separates the address spaces of a tunnel's inner packets (struct packet_tunnel.id). */
enum tunnel_id_kind { TUNNEL_ID_NONE = 0, TUNNEL_ID_VNI, TUNNEL_ID_SESSION, TUNNEL_ID_KEY };

/* The encapsulation a packet came in. depth 0: none, and the rest is zero. Otherwise: kind and id are the
 * innermost tunnel's (the one closest to the packet), the outer fields the outermost IP header's (Suricata's
 * tunnel object); the *_before counts say how many headers of each kind precede the inner ones in the frame, so
 * that a display filter can name the inner layer (Wireshark's ip.src#2). */
struct packet_tunnel {
	uint8_t depth;                  /* encapsulations opened, 1 .. DECODE_MAX_TUNNELS */
	uint8_t kind;                   /* enum tunnel_kind */
	uint8_t id_kind;                /* enum tunnel_id_kind */
	uint8_t outer_family;           /* 4 or 6 */
	uint8_t outer_proto;            /* the outermost IP header's protocol: 17, 47, 4 or 41 */
	uint8_t ip4_before, ip6_before, udp_before, vlan_before;
	uint8_t id_tunnel;              /* enum tunnel_kind of the tunnel the id is from */
	uint16_t outer_sport, outer_dport; /* the outermost UDP header's, 0 when it is not UDP */
	uint32_t id;                    /* VXLAN/Geneve/GPE VNI (24 bits), ERSPAN session (10 bits) or GRE key */
	uint8_t outer_src[16], outer_dst[16];
};

/* Which UDP ports the decoder reads as VXLAN. Filled by decode_tunnels_defaults and decode_tunnels_add_vxlan
 * only. Invariants: n_vxlan <= DECODE_MAX_VXLAN_PORTS, ports distinct; lowest_port is the lowest UDP port of any
 * tunnel (Teredo's 3544 at most), below which a datagram is not looked at. */
struct decode_tunnels {
	uint16_t vxlan_ports[DECODE_MAX_VXLAN_PORTS];
	uint8_t n_vxlan;
	uint16_t lowest_port;
};

/* What decode_packet found. Pointers point into the caller's packet buffer and are valid only as long as it.
 * Invariants when l3 != L3_NONE: ip .. ip + ip_len lies within the captured bytes (cut to the IP total length);
 * payload .. payload + payload_len lies within it too. */
struct packet {
	uint64_t ts_us;                 /* capture time, microseconds since the epoch */
	uint32_t wire_len;              /* original length on the wire */
	uint32_t cap_len;               /* bytes captured */
	struct packet_tunnel tunnel;    /* the encapsulation it came in (depth 0: none) */
	/* from here on the fields describe the innermost packet: a tunnel clears them before its payload */
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
 * *st: per layer, and per malformed reason. Never reads outside data[0 .. caplen). Tunnels are read with the
 * default ports (decode_tunnels_defaults). */
enum decode_result decode_packet(int linktype, const uint8_t *data, uint32_t caplen, uint32_t wirelen,
				 uint64_t ts_us, struct packet *pkt, struct decode_stats *st);

/* The same with the tunnel ports of *tun (NULL: the defaults). */
enum decode_result decode_packet_with(const struct decode_tunnels *tun, int linktype, const uint8_t *data,
				      uint32_t caplen, uint32_t wirelen, uint64_t ts_us, struct packet *pkt,
				      struct decode_stats *st);

/* The default tunnel ports: VXLAN on 4789 (IANA) and 8472 (Linux's default). */
void decode_tunnels_defaults(struct decode_tunnels *tun);

/* Adds a UDP port read as VXLAN. True when it is in the set afterwards (a repeat is no error); false when the set
 * is full (DECODE_MAX_VXLAN_PORTS) or port is 0, the set then unchanged. */
bool decode_tunnels_add_vxlan(struct decode_tunnels *tun, uint16_t port);

/* Name of a tunnel kind as EVE writes it ("vxlan", "erspan_ii", "ip_in_ip" ...); "none" for TUNNEL_NONE. */
const char *tunnel_kind_name(enum tunnel_kind k);

/* True when cmflow can read this pcap link type. */
bool decode_linktype_supported(int linktype);

/* The DLT_ value libpcap gives for a file's LINKTYPE_ value (tcpdump.org/linktypes.html): the same number but for
 * a few, of which cmflow decodes LINKTYPE_RAW (101), DLT_RAW on Linux. For the readers of pcap and pcapng files. */
int decode_dlt_of_linktype(uint32_t linktype);

#endif

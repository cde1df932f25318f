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

#include "decode/packet.h"
#include "decode/stats.h"

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

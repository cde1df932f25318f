/* decode.c: link layer, IPv4/IPv6 and transport headers into a struct packet.
 *
 * Specifications: IEEE 802.3 and 802.1Q/802.1ad (VLAN tags), RFC 3032 (MPLS label stack), the Linux cooked
 * capture formats (LINKTYPE_LINUX_SLL, LINKTYPE_LINUX_SLL2 at tcpdump.org/linktypes), RFC 791 (IPv4), RFC 8200
 * (IPv6 and its extension headers), RFC 4302 (AH), RFC 9293 (TCP), RFC 768 (UDP), RFC 792 / RFC 4443 (ICMP),
 * RFC 2784 / RFC 2637 (GRE and enhanced GRE), RFC 4303 (ESP). All reads are through bytes.h. The tunnels
 * above UDP, GRE and IP are in tunnel.c. */
#include <pcap/dlt.h>
#include <stddef.h>
#include <string.h>

#include "lib/bytes.h"
#include "lib/ipproto.h"
#include "decode/decode.h"
#include "decode/decode_int.h"

static const char *const malformed_names[MAL_COUNT] = {
	[MAL_ETH_TOO_SMALL] = "ethernet.pkt_too_small",
	[MAL_VLAN_TOO_SMALL] = "vlan.header_too_small",
	[MAL_VLAN_TOO_MANY] = "vlan.too_many_layers",
	[MAL_SLL_TOO_SMALL] = "sll.pkt_too_small",
	[MAL_SLL2_TOO_SMALL] = "sll2.pkt_too_small",
	[MAL_NULL_TOO_SMALL] = "ltnull.pkt_too_small",
	[MAL_NULL_UNSUPPORTED] = "ltnull.unsupported_type",
	[MAL_RAW_BAD_VERSION] = "ipraw.invalid_ip_version",
	[MAL_IPV4_TOO_SMALL] = "ipv4.pkt_too_small",
	[MAL_IPV4_HLEN_TOO_SMALL] = "ipv4.hlen_too_small",
	[MAL_IPV4_IPLEN_SMALLER_THAN_HLEN] = "ipv4.iplen_smaller_than_hlen",
	[MAL_IPV4_TRUNC] = "ipv4.trunc_pkt",
	[MAL_IPV4_WRONG_VERSION] = "ipv4.wrong_ip_version",
	[MAL_IPV6_TOO_SMALL] = "ipv6.pkt_too_small",
	[MAL_IPV6_TRUNC] = "ipv6.trunc_pkt",
	[MAL_IPV6_TRUNC_EXTHDR] = "ipv6.trunc_exthdr",
	[MAL_IPV6_WRONG_VERSION] = "ipv6.wrong_ip_version",
	[MAL_TCP_TOO_SMALL] = "tcp.pkt_too_small",
	[MAL_TCP_HLEN_TOO_SMALL] = "tcp.hlen_too_small",
	[MAL_UDP_TOO_SMALL] = "udp.pkt_too_small",
	[MAL_UDP_LEN_INVALID] = "udp.len_invalid",
	[MAL_ICMPV4_TOO_SMALL] = "icmpv4.pkt_too_small",
	[MAL_ICMPV6_TOO_SMALL] = "icmpv6.pkt_too_small",
	[MAL_IPV6_IPV4_IN_IPV6_TOO_SMALL] = "ipv6.ipv4_in_ipv6_too_small",
	[MAL_IPV6_IPV4_IN_IPV6_WRONG_VERSION] = "ipv6.ipv4_in_ipv6_wrong_version",
	[MAL_IPV6_IPV6_IN_IPV6_TOO_SMALL] = "ipv6.ipv6_in_ipv6_too_small",
	[MAL_IPV6_IPV6_IN_IPV6_WRONG_VERSION] = "ipv6.ipv6_in_ipv6_wrong_version",
	[MAL_GRE_TOO_SMALL] = "gre.pkt_too_small",
	[MAL_GRE_WRONG_VERSION] = "gre.wrong_version",
	[MAL_GRE_V0_RECUR] = "gre.version0_recur",
	[MAL_GRE_V0_FLAGS] = "gre.version0_flags",
	[MAL_GRE_V0_HDR_TOO_BIG] = "gre.version0_hdr_too_big",
	[MAL_GRE_V0_MALFORMED_SRE] = "gre.version0_malformed_sre_hdr",
	[MAL_ESP_TOO_SMALL] = "esp.pkt_too_small",
	[MAL_SCTP_TOO_SMALL] = "sctp.pkt_too_small",
	[MAL_ERSPAN_TOO_SMALL] = "erspan.header_too_small",
	[MAL_ERSPAN_UNSUPPORTED_VERSION] = "erspan.unsupported_version",
	[MAL_GENEVE_UNKNOWN_PAYLOAD] = "geneve.unknown_payload_type",
	[MAL_NSH_TOO_SMALL] = "nsh.header_too_small",
	[MAL_NSH_UNSUPPORTED_VERSION] = "nsh.unsupported_version",
	[MAL_NSH_BAD_HEADER_LENGTH] = "nsh.bad_header_length",
	[MAL_NSH_RESERVED_TYPE] = "nsh.reserved_type",
	[MAL_NSH_UNSUPPORTED_TYPE] = "nsh.unsupported_type",
	[MAL_NSH_UNKNOWN_PAYLOAD] = "nsh.unknown_payload",
	/* cmflow's own: cmflow.decoder.event */
	[MAL_ERSPAN_UNKNOWN_FRAME_TYPE] = "erspan.unknown_frame_type",
	[MAL_GENEVE_TOO_SMALL] = "geneve.header_too_small",
	[MAL_GRE_UNKNOWN_PAYLOAD] = "gre.unknown_payload_type",
	[MAL_IPV4_IPV4_IN_IPV4_TOO_SMALL] = "ipv4.ipv4_in_ipv4_too_small",
	[MAL_IPV4_IPV4_IN_IPV4_WRONG_VERSION] = "ipv4.ipv4_in_ipv4_wrong_version",
	[MAL_IPV4_IPV6_IN_IPV4_TOO_SMALL] = "ipv4.ipv6_in_ipv4_too_small",
	[MAL_IPV4_IPV6_IN_IPV4_WRONG_VERSION] = "ipv4.ipv6_in_ipv4_wrong_version",
	[MAL_TUNNEL_OUTER_FRAGMENT] = "tunnel.outer_fragment",
	[MAL_TZSP_TOO_SMALL] = "tzsp.header_too_small",
	[MAL_TZSP_UNKNOWN_PAYLOAD] = "tzsp.unknown_payload_type",
	[MAL_VXLAN_GPE_UNKNOWN_PAYLOAD] = "vxlan_gpe.unknown_payload_type",
};

const char *malformed_reason_name(enum malformed_reason r)
{
	return (unsigned)r < MAL_COUNT ? malformed_names[r] : "unknown";
}

#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_ARP 0x0806
#define ETHERTYPE_IPV6 0x86dd
#define ETHERTYPE_VLAN 0x8100
#define ETHERTYPE_QINQ 0x88a8
#define ETHERTYPE_QINQ_OLD 0x9100
#define ETHERTYPE_MPLS 0x8847
#define ETHERTYPE_MPLS_MC 0x8848

#define IPPROTO_HOPOPTS_ 0
#define IPPROTO_ICMP_ 1
#define IPPROTO_TCP_ 6
#define IPPROTO_ROUTING_ 43
#define IPPROTO_FRAGMENT_ 44
#define IPPROTO_GRE_ 47
#define IPPROTO_ESP_ 50
#define IPPROTO_AH_ 51
#define IPPROTO_ICMPV6_ 58
#define IPPROTO_NONE_ 59
#define IPPROTO_DSTOPTS_ 60
#define IPPROTO_MH_ 135
#define IPPROTO_HIP_ 139
#define IPPROTO_SHIM6_ 140

static enum decode_result malformed(struct dstate *d, enum malformed_reason r)
{
	decode_anomaly(d, r);
	return DECODE_MALFORMED;
}

/* inlined into its callers: one call less on every packet's path */
static inline __attribute__((always_inline)) enum decode_result decode_transport(struct dstate *d, const uint8_t *p,
										 uint32_t len)
{
	struct packet *pkt = d->pkt;
	struct cursor c = cursor_make(p, len);

	pkt->payload = p;
	pkt->payload_len = len;
	if (pkt->is_fragment && !pkt->is_first_fragment)
		return DECODE_OK;

	switch (pkt->ip_proto) {
	case IPPROTO_TCP_: {
		uint8_t off, flags;
		d->st->tcp++;
		if (!cursor_be16(&c, &pkt->sport) || !cursor_be16(&c, &pkt->dport) || !cursor_be32(&c, &pkt->tcp_seq) ||
		    !cursor_be32(&c, &pkt->tcp_ack) || !cursor_u8(&c, &off) || !cursor_u8(&c, &flags)) {
			/* a first fragment too short for the whole header, or a header cut by the snapshot length,
			 * still names the ports */
			if (len >= 4 && (pkt->is_fragment || pkt->cap_len < pkt->wire_len)) {
				pkt->sport = (uint16_t)(p[0] << 8 | p[1]);
				pkt->dport = (uint16_t)(p[2] << 8 | p[3]);
				pkt->has_ports = 1;
				pkt->payload_len = 0;
				return DECODE_OK;
			}
			return malformed(d, MAL_TCP_TOO_SMALL);
		}
		uint32_t hlen = (uint32_t)(off >> 4) * 4;
		if (hlen < 20)
			return malformed(d, MAL_TCP_HLEN_TOO_SMALL);
		pkt->has_ports = 1;
		pkt->tcp_flags = flags;
		if (hlen > len) { /* options cut by the snapshot length: keep the header, no payload */
			pkt->payload = p + len;
			pkt->payload_len = 0;
		} else {
			pkt->payload = p + hlen;
			pkt->payload_len = len - hlen;
		}
		return DECODE_OK;
	}
	case IPPROTO_UDP_: {
		uint16_t ulen;
		d->st->udp++;
		if (!cursor_be16(&c, &pkt->sport) || !cursor_be16(&c, &pkt->dport)) {
			return malformed(d, MAL_UDP_TOO_SMALL);
		}
		pkt->has_ports = 1;
		if (!cursor_be16(&c, &ulen) || !cursor_skip(&c, 2)) {
			if (pkt->is_fragment) {
				pkt->payload_len = 0;
				return DECODE_OK;
			}
			return malformed(d, MAL_UDP_TOO_SMALL);
		}
		pkt->payload = c.p;
		pkt->payload_len = (uint32_t)cursor_left(&c);
		/* the UDP length bounds the payload of a whole datagram; fragments and jumbograms (0) keep it all */
		if (!pkt->is_fragment && ulen >= 8 && (uint32_t)(ulen - 8) < pkt->payload_len)
			pkt->payload_len = ulen - 8u;
		else if (!pkt->is_fragment && ulen != 0 && ulen < 8)
			decode_anomaly(d, MAL_UDP_LEN_INVALID);
		d->udp_len = ulen;
		return tunnel_udp_candidate(d) ? tunnel_udp(d) : DECODE_OK;
	}
	case IP_PROTO_SCTP: { /* RFC 9260 3.1: the common header's ports and checksum, then chunks */
		d->st->sctp++;
		if (!cursor_be16(&c, &pkt->sport) || !cursor_be16(&c, &pkt->dport) || !cursor_skip(&c, 8)) {
			if (pkt->is_fragment && cursor_left(&c) == 0 && len >= 4) {
				pkt->has_ports = 1; /* a first fragment cut after the ports still names them */
				pkt->payload_len = 0;
				return DECODE_OK;
			}
			return malformed(d, MAL_SCTP_TOO_SMALL);
		}
		pkt->has_ports = 1;
		pkt->payload = c.p;
		pkt->payload_len = (uint32_t)cursor_left(&c);
		return DECODE_OK;
	}
	case IPPROTO_ICMP_:
	case IPPROTO_ICMPV6_: {
		bool v6 = pkt->ip_proto == IPPROTO_ICMPV6_;
		if (v6)
			d->st->icmpv6++;
		else
			d->st->icmpv4++;
		if (!cursor_u8(&c, &pkt->icmp_type) || !cursor_u8(&c, &pkt->icmp_code))
			return malformed(d, v6 ? MAL_ICMPV6_TOO_SMALL : MAL_ICMPV4_TOO_SMALL);
		pkt->has_icmp = 1;
		bool echo = v6 ? (pkt->icmp_type == 128 || pkt->icmp_type == 129)
			       : (pkt->icmp_type == 8 || pkt->icmp_type == 0);
		if (echo)
			(void)bytes_be16(p, len, 4, &pkt->icmp_id);
		pkt->payload = p + (len >= 8 ? 8 : len);
		pkt->payload_len = len >= 8 ? len - 8 : 0;
		return DECODE_OK;
	}
	case IPPROTO_GRE_:
		d->st->gre++;
		if (len < 4)
			return malformed(d, MAL_GRE_TOO_SMALL);
		/* left closed (or PPTP's), the payload is the GRE header onwards: PPTP's follow-up reads its key */
		return tunnel_gre(d, p, len);

	case IPPROTO_ESP_:
		d->st->esp++;
		if (len < 8)
			return malformed(d, MAL_ESP_TOO_SMALL);
		return DECODE_OK;
	default:
		if (pkt->ip_proto == IPPROTO_IPIP_ || pkt->ip_proto == IPPROTO_IPV6_) /* out of the switch: TCP's and */
			return tunnel_ip_in_ip(d, p, len);                             /* UDP's cases stay compares */
		d->st->other_ip++;
		return DECODE_OK;
	}
}

/* Skips IPsec AH so that the transport below it is seen (RFC 4302: length in 32-bit words minus 2). */
static bool skip_ah(const uint8_t **p, uint32_t *len, uint8_t *proto)
{
	uint8_t next, hl;
	if (!bytes_u8(*p, *len, 0, &next) || !bytes_u8(*p, *len, 1, &hl))
		return false;
	uint32_t ahlen = ((uint32_t)hl + 2) * 4;
	if (ahlen > *len)
		return false;
	*p += ahlen;
	*len -= ahlen;
	*proto = next;
	return true;
}

static enum decode_result ipv4_layer(struct dstate *d, const uint8_t *p, uint32_t caplen)
{
	struct packet *pkt = d->pkt;
	uint8_t vihl, proto, ttl;
	uint16_t total, fragoff, id;

	d->st->ipv4++;
	if (caplen < 20)
		return malformed(d, MAL_IPV4_TOO_SMALL);
	(void)bytes_u8(p, caplen, 0, &vihl);
	if ((vihl >> 4) != 4)
		return malformed(d, MAL_IPV4_WRONG_VERSION);
	uint32_t hlen = (uint32_t)(vihl & 0x0f) * 4;
	if (hlen < 20)
		return malformed(d, MAL_IPV4_HLEN_TOO_SMALL);
	(void)bytes_be16(p, caplen, 2, &total);
	(void)bytes_be16(p, caplen, 4, &id);
	(void)bytes_be16(p, caplen, 6, &fragoff);
	(void)bytes_u8(p, caplen, 8, &ttl);
	(void)bytes_u8(p, caplen, 9, &proto);
	if (total == 0) /* segmentation offload on the capturing host leaves the length 0: trust the frame */
		total = (uint16_t)(d->wire_left < 65535 ? d->wire_left : 65535);
	if (total < hlen)
		return malformed(d, MAL_IPV4_IPLEN_SMALLER_THAN_HLEN);
	if (total > d->wire_left)
		return malformed(d, MAL_IPV4_TRUNC); /* the header claims more than the frame carried */
	if (hlen > caplen)
		return malformed(d, MAL_IPV4_TOO_SMALL);

	pkt->l3 = L3_IPV4;
	pkt->ip = p;
	d->ip_total = total;
	pkt->ip_len = total < caplen ? total : caplen; /* cut to the IP total length (padding, trailers) */
	memcpy(pkt->src, p + 12, 4);
	memcpy(pkt->dst, p + 16, 4);
	pkt->ip_proto = proto;
	pkt->ttl = ttl;
	uint16_t off = fragoff & 0x1fff;
	if ((fragoff & 0x2000) || off) {
		pkt->is_fragment = 1;
		pkt->is_first_fragment = off == 0;
		pkt->frag_id = id;
		d->st->ipv4_frags++;
	}
	const uint8_t *l4 = p + hlen;
	uint32_t l4len = pkt->ip_len - hlen;
	if (proto == IPPROTO_AH_ && (!pkt->is_fragment || pkt->is_first_fragment)) {
		if (!skip_ah(&l4, &l4len, &pkt->ip_proto)) {
			pkt->ip_proto = proto;
			l4 = p + hlen;
			l4len = pkt->ip_len - hlen;
		}
	}
	return decode_transport(d, l4, l4len);
}

static enum decode_result ipv6_layer(struct dstate *d, const uint8_t *p, uint32_t caplen)
{
	struct packet *pkt = d->pkt;
	uint8_t v, next, hlim;
	uint16_t plen;

	d->st->ipv6++;
	if (caplen < 40)
		return malformed(d, MAL_IPV6_TOO_SMALL);
	(void)bytes_u8(p, caplen, 0, &v);
	if ((v >> 4) != 6)
		return malformed(d, MAL_IPV6_WRONG_VERSION);
	(void)bytes_be16(p, caplen, 4, &plen);
	(void)bytes_u8(p, caplen, 6, &next);
	(void)bytes_u8(p, caplen, 7, &hlim);
	uint32_t total = 40u + plen;
	if (plen == 0)
		total = caplen; /* jumbogram (hop-by-hop option) or nothing: take what was captured */
	if (total > d->wire_left)
		return malformed(d, MAL_IPV6_TRUNC);

	pkt->l3 = L3_IPV6;
	pkt->ip = p;
	d->ip_total = total;
	pkt->ip_len = total < caplen ? total : caplen;
	memcpy(pkt->src, p + 8, 16);
	memcpy(pkt->dst, p + 24, 16);
	pkt->ttl = hlim;

	const uint8_t *h = p + 40;
	uint32_t left = pkt->ip_len - 40;
	for (int depth = 0; depth < 16; depth++) {
		uint8_t nh, hl;
		switch (next) {
		case IPPROTO_HOPOPTS_:
		case IPPROTO_ROUTING_:
		case IPPROTO_DSTOPTS_:
		case IPPROTO_MH_:
		case IPPROTO_HIP_:
		case IPPROTO_SHIM6_: {
			if (!bytes_u8(h, left, 0, &nh) || !bytes_u8(h, left, 1, &hl))
				return malformed(d, MAL_IPV6_TRUNC_EXTHDR);
			uint32_t elen = ((uint32_t)hl + 1) * 8;
			if (elen > left)
				return malformed(d, MAL_IPV6_TRUNC_EXTHDR);
			h += elen;
			left -= elen;
			next = nh;
			continue;
		}
		case IPPROTO_FRAGMENT_: {
			uint16_t offflags;
			uint32_t id;
			if (!bytes_u8(h, left, 0, &nh) || !bytes_be16(h, left, 2, &offflags) || !bytes_be32(h, left, 4, &id))
				return malformed(d, MAL_IPV6_TRUNC_EXTHDR);
			uint16_t off = offflags >> 3;
			/* an atomic fragment (offset 0, no more fragments) is a whole datagram */
			if (off != 0 || (offflags & 1)) {
				pkt->is_fragment = 1;
				pkt->is_first_fragment = off == 0;
				pkt->frag_id = id;
				d->st->ipv6_frags++;
			}
			h += 8;
			left -= 8;
			next = nh;
			if (off != 0) {
				pkt->ip_proto = next;
				pkt->payload = h;
				pkt->payload_len = left;
				return DECODE_OK;
			}
			continue;
		}
		case IPPROTO_AH_: {
			uint8_t proto = next;
			if (!skip_ah(&h, &left, &proto))
				return malformed(d, MAL_IPV6_TRUNC_EXTHDR);
			next = proto;
			continue;
		}
		default:
			break;
		}
		break;
	}
	pkt->ip_proto = next;
	if (next == IPPROTO_NONE_) {
		pkt->payload = h;
		pkt->payload_len = 0;
		d->st->other_ip++;
		return DECODE_OK;
	}
	return decode_transport(d, h, left);
}

static enum decode_result ip_by_version(struct dstate *d, const uint8_t *p, uint32_t len)
{
	uint8_t v;
	if (!bytes_u8(p, len, 0, &v))
		return malformed(d, MAL_IPV4_TOO_SMALL);
	if ((v >> 4) == 4)
		return ipv4_layer(d, p, len);
	if ((v >> 4) == 6)
		return ipv6_layer(d, p, len);
	return malformed(d, MAL_RAW_BAD_VERSION);
}

static enum decode_result mpls_layer(struct dstate *d, const uint8_t *p, uint32_t len)
{
	struct cursor c = cursor_make(p, len);
	for (int i = 0; i < 8; i++) {
		uint32_t label;
		if (!cursor_be32(&c, &label))
			return malformed(d, MAL_ETH_TOO_SMALL);
		d->wire_left -= 4;
		if (label & 0x100) /* bottom of stack */
			return ip_by_version(d, c.p, (uint32_t)cursor_left(&c));
	}
	d->st->not_ip++;
	return DECODE_NOT_IP;
}

/* From an EtherType on: VLAN tags, MPLS, then IP. p/len start after the EtherType field. */
static inline __attribute__((always_inline)) enum decode_result decode_ethertype(struct dstate *d, uint16_t type,
										 const uint8_t *p, uint32_t len)
{
	struct packet *pkt = d->pkt;
	while (type == ETHERTYPE_VLAN || type == ETHERTYPE_QINQ || type == ETHERTYPE_QINQ_OLD) {
		uint16_t tci;
		if (len < 4)
			return malformed(d, MAL_VLAN_TOO_SMALL);
		if (pkt->vlan_count >= DECODE_MAX_VLANS)
			return malformed(d, MAL_VLAN_TOO_MANY);
		(void)bytes_be16(p, len, 0, &tci);
		(void)bytes_be16(p, len, 2, &type);
		pkt->vlan[pkt->vlan_count++] = tci & 0x0fff;
		d->st->vlan++;
		if (pkt->vlan_count == 2)
			d->st->vlan_qinq++;
		p += 4;
		len -= 4;
		d->wire_left = d->wire_left >= 4 ? d->wire_left - 4 : 0;
	}
	pkt->ethertype = type;
	switch (type) {
	case ETHERTYPE_IPV4:
		return ipv4_layer(d, p, len);
	case ETHERTYPE_IPV6:
		return ipv6_layer(d, p, len);
	case ETHERTYPE_MPLS:
	case ETHERTYPE_MPLS_MC:
		return mpls_layer(d, p, len);
	case ETHERTYPE_ARP:
		d->st->arp++;
		break;
	default:
		if (type >= 0x0600)
			d->st->unknown_ethertype++;
		break;
	}
	pkt->l2_payload = p;
	pkt->l2_payload_len = len;
	d->st->not_ip++;
	return DECODE_NOT_IP;
}

static enum decode_result ethernet_layer(struct dstate *d, const uint8_t *p, uint32_t len)
{
	struct packet *pkt = d->pkt;
	uint16_t type;
	d->st->ethernet++;
	if (len < 14)
		return malformed(d, MAL_ETH_TOO_SMALL);
	memcpy(pkt->eth_dst, p, 6);
	memcpy(pkt->eth_src, p + 6, 6);
	pkt->has_eth = 1;
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	pkt->eth_dst_broadcast = memcmp(p, bcast, 6) == 0;
	pkt->eth_dst_multicast = p[0] & 1;
	(void)bytes_be16(p, len, 12, &type);
	d->wire_left -= 14;
	if (type < 0x0600) { /* 802.3 length: LLC/SNAP frames carry no IP that we read */
		d->st->not_ip++;
		return DECODE_NOT_IP;
	}
	return decode_ethertype(d, type, p + 14, len - 14);
}

static enum decode_result decode_sll(struct dstate *d, const uint8_t *p, uint32_t len)
{
	uint16_t type;
	d->st->sll++;
	if (len < 16)
		return malformed(d, MAL_SLL_TOO_SMALL);
	(void)bytes_be16(p, len, 14, &type);
	d->wire_left -= 16;
	return decode_ethertype(d, type, p + 16, len - 16);
}

static enum decode_result decode_sll2(struct dstate *d, const uint8_t *p, uint32_t len)
{
	uint16_t type;
	d->st->sll2++;
	if (len < 20)
		return malformed(d, MAL_SLL2_TOO_SMALL);
	(void)bytes_be16(p, len, 0, &type);
	d->wire_left -= 20;
	return decode_ethertype(d, type, p + 20, len - 20);
}

/* BSD loopback: a 4-byte address family in the byte order of the machine that wrote the file (DLT_NULL) or
 * in network order (DLT_LOOP). AF_INET is 2 everywhere; AF_INET6 is 10, 24, 28 or 30 depending on the OS. */
static enum decode_result decode_null(struct dstate *d, const uint8_t *p, uint32_t len, bool network_order)
{
	uint32_t fam;
	d->st->null++;
	if (len < 4)
		return malformed(d, MAL_NULL_TOO_SMALL);
	if (network_order)
		(void)bytes_be32(p, len, 0, &fam);
	else {
		(void)bytes_le32(p, len, 0, &fam);
		if (fam & 0xffff0000u)
			(void)bytes_be32(p, len, 0, &fam);
	}
	d->wire_left -= 4;
	switch (fam) {
	case 2:
		return ipv4_layer(d, p + 4, len - 4);
	case 10:
	case 24:
	case 28:
	case 30:
		return ipv6_layer(d, p + 4, len - 4);
	default:
		return malformed(d, MAL_NULL_UNSUPPORTED);
	}
}

int decode_dlt_of_linktype(uint32_t linktype)
{
	return linktype == 101 ? DLT_RAW : (int)linktype;
}

bool decode_linktype_supported(int linktype)
{
	switch (linktype) {
	case DLT_EN10MB:
	case DLT_LINUX_SLL:
#ifdef DLT_LINUX_SLL2
	case DLT_LINUX_SLL2:
#endif
	case DLT_RAW:
	case DLT_IPV4:
	case DLT_IPV6:
	case DLT_NULL:
	case DLT_LOOP:
		return true;
	default:
		return false;
	}
}

static const char *const tunnel_names[TUNNEL_KINDS] = {
	[TUNNEL_NONE] = "none",
	[TUNNEL_GRE] = "gre",
	[TUNNEL_ERSPAN_I] = "erspan_i",
	[TUNNEL_ERSPAN_II] = "erspan_ii",
	[TUNNEL_ERSPAN_III] = "erspan_iii",
	[TUNNEL_VXLAN] = "vxlan",
	[TUNNEL_GENEVE] = "geneve",
	[TUNNEL_VXLAN_GPE] = "vxlan_gpe",
	[TUNNEL_GRE_UDP] = "gre_udp",
	[TUNNEL_IP_IP] = "ip_in_ip",
	[TUNNEL_TEREDO] = "teredo",
	[TUNNEL_TZSP] = "tzsp",
};

const char *tunnel_kind_name(enum tunnel_kind k)
{
	return (unsigned)k < TUNNEL_KINDS ? tunnel_names[k] : "unknown";
}

void decode_tunnels_defaults(struct decode_tunnels *tun)
{
	memset(tun, 0, sizeof *tun);
	tun->vxlan_ports[0] = 4789;
	tun->vxlan_ports[1] = 8472;
	tun->n_vxlan = 2;
	tun->lowest_port = 3544; /* Teredo's; the other tunnels' ports are higher */
}

bool decode_tunnels_add_vxlan(struct decode_tunnels *tun, uint16_t port)
{
	if (port == 0)
		return false;
	for (unsigned i = 0; i < tun->n_vxlan; i++)
		if (tun->vxlan_ports[i] == port)
			return true;
	if (tun->n_vxlan >= DECODE_MAX_VXLAN_PORTS)
		return false;
	tun->vxlan_ports[tun->n_vxlan++] = port;
	if (port < tun->lowest_port)
		tun->lowest_port = port;
	return true;
}

static const struct decode_tunnels default_tunnels = { { 4789, 8472 }, 2, 3544 };

enum decode_result decode_packet(int linktype, const uint8_t *data, uint32_t caplen, uint32_t wirelen,
				 uint64_t ts_us, struct packet *pkt, struct decode_stats *st)
{
	return decode_packet_with(NULL, linktype, data, caplen, wirelen, ts_us, pkt, st);
}

enum decode_result decode_packet_with(const struct decode_tunnels *tun, int linktype, const uint8_t *data,
				      uint32_t caplen, uint32_t wirelen, uint64_t ts_us, struct packet *pkt,
				      struct decode_stats *st)
{
	struct dstate d;
	d.pkt = pkt;
	d.st = st;
	d.tun = tun ? tun : &default_tunnels;
	d.wire_left = wirelen >= caplen ? wirelen : caplen;
	/* d.ip_total and d.udp_len are set by their headers before anything reads them */

	/* the tunnel record is filled when a first tunnel is opened: only its depth needs clearing here */
	packet_clear_inner(pkt);
	pkt->tunnel.depth = 0;
	pkt->ts_us = ts_us;
	pkt->wire_len = wirelen;
	pkt->cap_len = caplen;
	st->pkts++;
	st->bytes += wirelen;

	switch (linktype) {
	case DLT_EN10MB:
		return ethernet_layer(&d, data, caplen);
	case DLT_LINUX_SLL:
		return decode_sll(&d, data, caplen);
#ifdef DLT_LINUX_SLL2
	case DLT_LINUX_SLL2:
		return decode_sll2(&d, data, caplen);
#endif
	case DLT_RAW:
	case DLT_IPV4:
	case DLT_IPV6:
		st->raw++;
		return ip_by_version(&d, data, caplen);
	case DLT_NULL:
		return decode_null(&d, data, caplen, false);
	case DLT_LOOP:
		return decode_null(&d, data, caplen, true);
	default:
		st->unsupported_linktype++;
		return DECODE_UNSUPPORTED;
	}
}

/* ---- the layers a tunnel's payload starts with (decode_int.h): the static versions above stay inlinable on
 * the path of every packet ---- */

enum decode_result decode_malformed(struct dstate *d, enum malformed_reason r)
{
	return malformed(d, r);
}

enum decode_result decode_ethernet(struct dstate *d, const uint8_t *p, uint32_t len)
{
	return ethernet_layer(d, p, len);
}

enum decode_result decode_ipv4(struct dstate *d, const uint8_t *p, uint32_t len)
{
	return ipv4_layer(d, p, len);
}

enum decode_result decode_ipv6(struct dstate *d, const uint8_t *p, uint32_t len)
{
	return ipv6_layer(d, p, len);
}

enum decode_result decode_ip_by_version(struct dstate *d, const uint8_t *p, uint32_t len)
{
	return ip_by_version(d, p, len);
}

enum decode_result decode_mpls(struct dstate *d, const uint8_t *p, uint32_t len)
{
	return mpls_layer(d, p, len);
}

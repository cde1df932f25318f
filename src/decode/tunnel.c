/* tunnel.c: the encapsulations the decoder opens, from an outer packet's transport payload to its inner frame.
 *
 * Specifications: RFC 2784 and RFC 2890 (GRE, its checksum, key and sequence number), RFC 1701 (GRE routing,
 * for its length only), draft-foschiano-erspan-03 (ERSPAN types I, II and III), RFC 7348 (VXLAN), RFC 8926
 * (Geneve), draft-ietf-nvo3-vxlan-gpe-12 (VXLAN-GPE), RFC 8300 (NSH), RFC 8086 (GRE in UDP), RFC 2003, RFC 4213
 * and RFC 2473 (IP in IP), RFC 4380 (Teredo and its origin and authentication indicators), TZSP (the TaZmen
 * Sniffer Protocol, as MikroTik's packet sniffer sends it). All reads are through bytes.h.
 *
 * Each opener reads the whole chain of tunnel headers first (GRE then ERSPAN, VXLAN-GPE then NSH); only when it
 * holds does the packet become the inner one (tunnel_enter), so that a tunnel left closed leaves the outer
 * packet as it was. */
#include <stddef.h>
#include <string.h>

#include "lib/bytes.h"
#include "decode/decode_int.h"

#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_IPV6 0x86dd
#define ETHERTYPE_TEB 0x6558        /* transparent Ethernet bridging */
#define ETHERTYPE_ERSPAN_I_II 0x88be
#define ETHERTYPE_ERSPAN_III 0x22eb
#define ETHERTYPE_MPLS 0x8847
#define ETHERTYPE_MPLS_MC 0x8848

#define PORT_VXLAN_GPE 4790
#define PORT_GRE_UDP 4754
#define PORT_GENEVE 6081
#define PORT_TEREDO 3544
#define PORT_TZSP 37008

/* GRE flags and version (RFC 2784 section 2, RFC 2890, RFC 1701 for the routing and recursion fields) */
#define GRE_F_CHECKSUM 0x8000
#define GRE_F_ROUTING 0x4000
#define GRE_F_KEY 0x2000
#define GRE_F_SEQ 0x1000
#define GRE_F_SSR 0x0800
#define GRE_RECUR 0x0700
#define GRE_F_RESERVED 0x00f8
#define GRE_VERSION 0x0007

/* What an inner frame starts with. */
enum inner_type { INNER_ETHERNET, INNER_IP, INNER_IPV4, INNER_IPV6, INNER_MPLS };

/* A tunnel read and ready to open: its kind, its identity, where the inner frame starts and what it is. */
struct opening {
	enum tunnel_kind kind;
	enum inner_type type;
	const uint8_t *inner;
	uint32_t len;
	uint8_t id_kind;  /* enum tunnel_id_kind: TUNNEL_ID_NONE keeps an outer tunnel's identity */
	uint32_t id;
};

/* The packet becomes its inner packet: the outermost IP header is kept in pkt->tunnel the first time, the layer
 * counts grow, everything from the VLAN tags on is cleared. False (nothing changed) beyond DECODE_MAX_TUNNELS. */
static inline __attribute__((always_inline)) bool tunnel_enter(struct dstate *d, enum tunnel_kind kind,
							 const uint8_t *inner)
{
	struct packet *pkt = d->pkt;
	struct packet_tunnel *t = &pkt->tunnel;
	if (t->depth >= DECODE_MAX_TUNNELS) {
		d->st->too_many_layers++;
		d->st->tunnel_left_closed++;
		return false;
	}
	bool udp = pkt->ip_proto == IPPROTO_UDP_, v4 = pkt->l3 == L3_IPV4;
	if (t->depth == 0) { /* decode_packet cleared only the depth: every field is set here */
		t->id_kind = TUNNEL_ID_NONE;
		t->id_tunnel = TUNNEL_NONE;
		t->id = 0;
		t->outer_family = (uint8_t)pkt->l3;
		t->outer_proto = pkt->ip_proto;
		memcpy(t->outer_src, pkt->src, 16);
		memcpy(t->outer_dst, pkt->dst, 16);
		t->outer_sport = udp ? pkt->sport : 0;
		t->outer_dport = udp ? pkt->dport : 0;
		t->ip4_before = v4;
		t->ip6_before = !v4;
		t->udp_before = udp;
		t->vlan_before = pkt->vlan_count;
		d->st->decapsulated++;
	} else {
		t->ip4_before = (uint8_t)(t->ip4_before + v4);
		t->ip6_before = (uint8_t)(t->ip6_before + !v4);
		t->udp_before = (uint8_t)(t->udp_before + udp);
		t->vlan_before = (uint8_t)(t->vlan_before + pkt->vlan_count);
	}
	t->depth++;
	t->kind = (uint8_t)kind;
	d->st->tunnel[kind]++;
	d->st->erspan += (unsigned)kind - TUNNEL_ERSPAN_I <= TUNNEL_ERSPAN_III - TUNNEL_ERSPAN_I;
	/* the inner frame's wire bytes: what the IP header claimed, from the inner frame on */
	uint32_t off = (uint32_t)(inner - pkt->ip);
	d->wire_left = d->ip_total > off ? d->ip_total - off : 0;
	packet_clear_inner(pkt);
	return true;
}

/* Opens a tunnel read by one of the parsers below and decodes its inner frame. */
static bool tunnel_open(struct dstate *d, const struct opening *o, enum decode_result *r)
{
	/* the outer datagram is not reassembled: its first fragment stays the outer packet, as its later ones do */
	if (d->pkt->is_fragment) {
		tunnel_closed(d, MAL_TUNNEL_OUTER_FRAGMENT);
		return false;
	}
	if (!tunnel_enter(d, o->kind, o->inner))
		return false;
	if (o->id_kind != TUNNEL_ID_NONE) {
		d->pkt->tunnel.id_kind = o->id_kind;
		d->pkt->tunnel.id = o->id;
		d->pkt->tunnel.id_tunnel = (uint8_t)o->kind;
	}
	switch (o->type) {
	case INNER_ETHERNET:
		*r = decode_ethernet(d, o->inner, o->len);
		break;
	case INNER_MPLS:
		*r = decode_mpls(d, o->inner, o->len);
		break;
	case INNER_IPV4:
		*r = decode_ipv4(d, o->inner, o->len);
		break;
	case INNER_IPV6:
		*r = decode_ipv6(d, o->inner, o->len);
		break;
	default:
		*r = decode_ip_by_version(d, o->inner, o->len);
		break;
	}
	return true;
}

/* Sets o's inner frame to what follows the cursor. */
static void inner_rest(struct opening *o, const struct cursor *c, enum inner_type type)
{
	o->inner = c->p;
	o->len = (uint32_t)cursor_left(c);
	o->type = type;
}

/* ---- GRE and ERSPAN ---- */

/* ERSPAN type II (8 bytes: version 1, VLAN, COS, encapsulation, truncated, session id, index) or type III (12
 * bytes: version 2, VLAN, COS, BSO, truncated, session id, timestamp, SGT, P, frame type, hardware id, direction,
 * granularity, O; 8 more bytes of platform-specific sub-header when O is set). */
static bool erspan_parse(struct dstate *d, struct cursor *c, bool type3, struct opening *o)
{
	uint16_t ver_vlan, session;
	if (!cursor_be16(c, &ver_vlan) || !cursor_be16(c, &session)) {
		tunnel_closed(d, MAL_ERSPAN_TOO_SMALL);
		return false;
	}
	if ((ver_vlan >> 12) != (type3 ? 2 : 1)) {
		tunnel_closed(d, MAL_ERSPAN_UNSUPPORTED_VERSION);
		return false;
	}
	o->kind = type3 ? TUNNEL_ERSPAN_III : TUNNEL_ERSPAN_II;
	o->id_kind = TUNNEL_ID_SESSION;
	o->id = session & 0x03ff;
	if (!type3) {
		if (!cursor_skip(c, 4)) {
			tunnel_closed(d, MAL_ERSPAN_TOO_SMALL);
			return false;
		}
		inner_rest(o, c, INNER_ETHERNET);
		return true;
	}
	uint16_t bits;
	if (!cursor_skip(c, 6) || !cursor_be16(c, &bits) || ((bits & 1) && !cursor_skip(c, 8))) {
		tunnel_closed(d, MAL_ERSPAN_TOO_SMALL);
		return false;
	}
	unsigned frame_type = (bits >> 10) & 0x1f;
	if (frame_type != 0 && frame_type != 2) { /* 0: Ethernet, 2: IP */
		tunnel_closed(d, MAL_ERSPAN_UNKNOWN_FRAME_TYPE);
		return false;
	}
	inner_rest(o, c, frame_type == 0 ? INNER_ETHERNET : INNER_IP);
	return true;
}

/* A GRE header (version 0) and what it carries, into o (kind: TUNNEL_GRE or TUNNEL_GRE_UDP, or the ERSPAN type
 * it carries). Version 1 is PPTP's enhanced GRE: left alone, uncounted. */
static bool gre_parse(struct dstate *d, const uint8_t *p, uint32_t len, enum tunnel_kind kind, struct opening *o)
{
	struct cursor c = cursor_make(p, len);
	uint16_t fv, proto;
	if (!cursor_be16(&c, &fv) || !cursor_be16(&c, &proto)) {
		decode_anomaly(d, MAL_GRE_TOO_SMALL);
		return false;
	}
	unsigned version = fv & GRE_VERSION;
	if (version == 1)
		return false;
	if (version != 0) {
		tunnel_closed(d, MAL_GRE_WRONG_VERSION);
		return false;
	}
	/* RFC 1701's recursion and strict source route, and RFC 2784's reserved bits, are anomalies that receivers
	 * ignore: counted, and the payload is still read (as tshark does) */
	if (fv & GRE_RECUR)
		decode_anomaly(d, MAL_GRE_V0_RECUR);
	if (fv & (GRE_F_SSR | GRE_F_RESERVED))
		decode_anomaly(d, MAL_GRE_V0_FLAGS);
	memset(o, 0, sizeof *o);
	o->kind = kind;
	if ((fv & (GRE_F_CHECKSUM | GRE_F_ROUTING)) && !cursor_skip(&c, 4)) /* checksum and offset */
		goto too_big;
	if (fv & GRE_F_KEY) {
		if (!cursor_be32(&c, &o->id))
			goto too_big;
		o->id_kind = TUNNEL_ID_KEY;
	}
	if ((fv & GRE_F_SEQ) && !cursor_skip(&c, 4))
		goto too_big;
	if (fv & GRE_F_ROUTING) { /* RFC 1701 source route entries, up to the null one */
		for (int i = 0;; i++) {
			uint16_t family;
			uint8_t sre_offset, sre_len;
			if (i == 32 || !cursor_be16(&c, &family) || !cursor_u8(&c, &sre_offset) || !cursor_u8(&c, &sre_len) ||
			    !cursor_skip(&c, sre_len)) {
				tunnel_closed(d, MAL_GRE_V0_MALFORMED_SRE);
				return false;
			}
			if (family == 0 && sre_len == 0)
				break;
		}
	}
	switch (proto) {
	case ETHERTYPE_IPV4:
	case ETHERTYPE_IPV6:
		inner_rest(o, &c, INNER_IP); /* by the inner header's version, as receivers do */
		return true;
	case ETHERTYPE_TEB:
		inner_rest(o, &c, INNER_ETHERNET);
		return true;
	case ETHERTYPE_MPLS:
	case ETHERTYPE_MPLS_MC:
		inner_rest(o, &c, INNER_MPLS);
		return true;
	case ETHERTYPE_ERSPAN_I_II:
		if (!(fv & GRE_F_SEQ)) { /* type I: no ERSPAN header, the mirrored frame follows GRE */
			o->kind = TUNNEL_ERSPAN_I;
			inner_rest(o, &c, INNER_ETHERNET);
			return true;
		}
		return erspan_parse(d, &c, false, o);
	case ETHERTYPE_ERSPAN_III:
		return erspan_parse(d, &c, true, o);
	case 0x0000: /* a keepalive (Cisco's: the reply a GRE peer sends back inside the tunnel): nothing to open */
		return false;
	default:
		tunnel_closed(d, MAL_GRE_UNKNOWN_PAYLOAD);
		return false;
	}
too_big:
	tunnel_closed(d, MAL_GRE_V0_HDR_TOO_BIG);
	return false;
}

enum decode_result tunnel_gre(struct dstate *d, const uint8_t *p, uint32_t len)
{
	struct opening o;
	enum decode_result r;
	return gre_parse(d, p, len, TUNNEL_GRE, &o) && tunnel_open(d, &o, &r) ? r : DECODE_OK;
}

/* ---- IP in IP ---- */

static bool ip_in_ip(struct dstate *d, const uint8_t *p, uint32_t len, enum decode_result *r)
{
	struct packet *pkt = d->pkt;
	bool inner4 = pkt->ip_proto == IPPROTO_IPIP_, outer4 = pkt->l3 == L3_IPV4;
	static const enum malformed_reason too_small[2][2] = {
		{ MAL_IPV6_IPV6_IN_IPV6_TOO_SMALL, MAL_IPV6_IPV4_IN_IPV6_TOO_SMALL },
		{ MAL_IPV4_IPV6_IN_IPV4_TOO_SMALL, MAL_IPV4_IPV4_IN_IPV4_TOO_SMALL } };
	static const enum malformed_reason wrong_version[2][2] = {
		{ MAL_IPV6_IPV6_IN_IPV6_WRONG_VERSION, MAL_IPV6_IPV4_IN_IPV6_WRONG_VERSION },
		{ MAL_IPV4_IPV6_IN_IPV4_WRONG_VERSION, MAL_IPV4_IPV4_IN_IPV4_WRONG_VERSION } };
	uint8_t v;
	if (len < (inner4 ? 20u : 40u) || !bytes_u8(p, len, 0, &v)) {
		tunnel_closed(d, too_small[outer4][inner4]);
		return false;
	}
	if ((v >> 4) != (inner4 ? 4 : 6)) {
		tunnel_closed(d, wrong_version[outer4][inner4]);
		return false;
	}
	struct opening o = { TUNNEL_IP_IP, inner4 ? INNER_IPV4 : INNER_IPV6, p, len, TUNNEL_ID_NONE, 0 };
	uint64_t *by_families = outer4 ? (inner4 ? &d->st->ipv4_in_ipv4 : &d->st->ipv6_in_ipv4)
				       : (inner4 ? &d->st->ipv4_in_ipv6 : &d->st->ipv6_in_ipv6);
	if (!tunnel_open(d, &o, r))
		return false;
	(*by_families)++;
	return true;
}

enum decode_result tunnel_ip_in_ip(struct dstate *d, const uint8_t *p, uint32_t len)
{
	enum decode_result r;
	if (ip_in_ip(d, p, len, &r))
		return r;
	d->st->other_ip++; /* the outer packet, of IP protocol 4 or 41 */
	return DECODE_OK;
}

/* ---- over UDP ---- */

/* VXLAN (RFC 7348): flags (I: a VNI follows), 24 reserved bits, VNI, 8 reserved bits; then Ethernet. Any UDP
 * application's ephemeral port may be 4789: only a header that is VXLAN's (the I flag alone, or with the group
 * policy extension's G, and the reserved bits zero) is taken for one, anything else is plain UDP, uncounted (as in
 * Suricata). */
static bool vxlan(struct dstate *d, const uint8_t *p, uint32_t len, enum decode_result *r)
{
	uint32_t w0, w1;
	if (!bytes_be32(p, len, 0, &w0) || !bytes_be32(p, len, 4, &w1) || (w1 & 0xff))
		return false;
	/* flags I and 24 reserved bits; or G and I, then D and A among 8 bits, and a 16-bit group policy */
	if (w0 != 0x08000000u && (w0 & 0xffb70000u) != 0x88000000u)
		return false;
	/* tunnel_open's steps without its dispatch: VXLAN is the mirror of most packets that come in tunnels */
	if (d->pkt->is_fragment) {
		tunnel_closed(d, MAL_TUNNEL_OUTER_FRAGMENT);
		return false;
	}
	if (!tunnel_enter(d, TUNNEL_VXLAN, p + 8))
		return false;
	struct packet_tunnel *t = &d->pkt->tunnel;
	t->id_kind = TUNNEL_ID_VNI;
	t->id = w1 >> 8;
	t->id_tunnel = TUNNEL_VXLAN;
	*r = decode_ethernet(d, p + 8, len - 8);
	return true;
}

/* Geneve (RFC 8926): version and option length (in 4-byte words), O and C flags and 6 reserved bits, protocol
 * type, VNI, 8 reserved bits; the options are skipped by their length. Taken for Geneve when the version is 0 and
 * the reserved bits are zero (else plain UDP, uncounted); then an option length past the packet or an unknown
 * protocol type is counted. */
static bool geneve(struct dstate *d, const uint8_t *p, uint32_t len, enum decode_result *r)
{
	uint8_t ver_optlen, flags, reserved;
	uint16_t proto;
	uint32_t vni;
	if (!bytes_u8(p, len, 0, &ver_optlen) || !bytes_u8(p, len, 1, &flags) || !bytes_be16(p, len, 2, &proto) ||
	    !bytes_be32(p, len, 4, &vni) || !bytes_u8(p, len, 7, &reserved) || (ver_optlen >> 6) || (flags & 0x3f) ||
	    reserved)
		return false;
	uint32_t hlen = 8 + (uint32_t)(ver_optlen & 0x3f) * 4;
	if (hlen > len) {
		tunnel_closed(d, MAL_GENEVE_TOO_SMALL);
		return false;
	}
	struct opening o = { TUNNEL_GENEVE, INNER_ETHERNET, p + hlen, len - hlen, TUNNEL_ID_VNI, vni >> 8 };
	switch (proto) {
	case ETHERTYPE_TEB:
		break;
	case ETHERTYPE_IPV4:
		o.type = INNER_IPV4;
		break;
	case ETHERTYPE_IPV6:
		o.type = INNER_IPV6;
		break;
	default:
		tunnel_closed(d, MAL_GENEVE_UNKNOWN_PAYLOAD);
		return false;
	}
	return tunnel_open(d, &o, r);
}

/* Next-protocol values of VXLAN-GPE and NSH (the same registry) */
enum { NP_IPV4 = 1, NP_IPV6 = 2, NP_ETHERNET = 3, NP_NSH = 4, NP_MPLS = 5 };

static bool next_protocol_type(uint8_t np, enum inner_type *t)
{
	switch (np) {
	case NP_IPV4: *t = INNER_IPV4; return true;
	case NP_IPV6: *t = INNER_IPV6; return true;
	case NP_ETHERNET: *t = INNER_ETHERNET; return true;
	case NP_MPLS: *t = INNER_MPLS; return true;
	default: return false;
	}
}

/* NSH (RFC 8300): base header (version, O, TTL, length in 4-byte words, MD type, next protocol), service path
 * header (SPI, SI), context headers; the checks are Suricata's (MD type 1 is 6 words long, MD type 2 at least 2). */
static bool nsh_parse(struct dstate *d, struct cursor *c, struct opening *o)
{
	uint16_t base;
	uint8_t md, next;
	if (!cursor_be16(c, &base) || !cursor_u8(c, &md) || !cursor_u8(c, &next) || !cursor_skip(c, 4)) {
		tunnel_closed(d, MAL_NSH_TOO_SMALL);
		return false;
	}
	d->st->nsh++;
	uint32_t words = base & 0x3f;
	md &= 0x0f;
	if (base >> 14) {
		tunnel_closed(d, MAL_NSH_UNSUPPORTED_VERSION);
		return false;
	}
	if (md == 0 || md == 0x0f) {
		tunnel_closed(d, MAL_NSH_RESERVED_TYPE);
		return false;
	}
	if (md != 1 && md != 2) {
		tunnel_closed(d, MAL_NSH_UNSUPPORTED_TYPE);
		return false;
	}
	if ((md == 1 && words != 6) || words < 2 || !cursor_skip(c, words * 4 - 8)) {
		tunnel_closed(d, MAL_NSH_BAD_HEADER_LENGTH);
		return false;
	}
	enum inner_type t;
	if (!next_protocol_type(next, &t)) {
		tunnel_closed(d, MAL_NSH_UNKNOWN_PAYLOAD);
		return false;
	}
	inner_rest(o, c, t);
	return true;
}

/* VXLAN-GPE: flags (2 reserved bits, version, I, P, B, O), 16 reserved bits, next protocol (when P is set,
 * else Ethernet), VNI, 8 reserved bits. Taken for VXLAN-GPE when the version and the reserved bits are zero (else
 * plain UDP, uncounted); then an unknown next protocol is counted. */
static bool vxlan_gpe(struct dstate *d, const uint8_t *p, uint32_t len, enum decode_result *r)
{
	struct cursor c = cursor_make(p, len);
	uint8_t flags, next, reserved;
	uint16_t reserved16;
	uint32_t vni;
	if (!cursor_u8(&c, &flags) || !cursor_be16(&c, &reserved16) || !cursor_u8(&c, &next) || !cursor_be32(&c, &vni) ||
	    !bytes_u8(p, len, 7, &reserved) || (flags & 0xf2) || reserved16 || reserved)
		return false;
	struct opening o = { TUNNEL_VXLAN_GPE, INNER_ETHERNET, NULL, 0, TUNNEL_ID_NONE, 0 };
	if (flags & 0x08) {
		o.id_kind = TUNNEL_ID_VNI;
		o.id = vni >> 8;
	}
	if (!(flags & 0x04))
		next = NP_ETHERNET;
	if (next == NP_NSH) {
		if (!nsh_parse(d, &c, &o))
			return false;
	} else if (next_protocol_type(next, &o.type)) {
		inner_rest(&o, &c, o.type);
	} else {
		tunnel_closed(d, MAL_VXLAN_GPE_UNKNOWN_PAYLOAD);
		return false;
	}
	return tunnel_open(d, &o, r);
}

/* TZSP: version 1, type (0 received, 1 to transmit: those carry a frame), encapsulation (1: Ethernet), tagged
 * fields up to the end tag (1); padding (0) is one byte, every other tag has a length byte. Taken for TZSP from
 * version 1 and a type that carries a frame (else plain UDP, uncounted); then tags past the packet, or a frame
 * that is not Ethernet (802.11 ...), are counted. */
static bool tzsp(struct dstate *d, const uint8_t *p, uint32_t len, enum decode_result *r)
{
	struct cursor c = cursor_make(p, len);
	uint8_t version, type, tag = 0, tlen;
	uint16_t encap;
	if (!cursor_u8(&c, &version) || !cursor_u8(&c, &type) || !cursor_be16(&c, &encap) || version != 1 || type > 1)
		return false;
	while (tag != 1) {
		if (!cursor_u8(&c, &tag) || (tag > 1 && (!cursor_u8(&c, &tlen) || !cursor_skip(&c, tlen)))) {
			tunnel_closed(d, MAL_TZSP_TOO_SMALL);
			return false;
		}
	}
	if (encap != 1) {
		tunnel_closed(d, MAL_TZSP_UNKNOWN_PAYLOAD);
		return false;
	}
	struct opening o = { TUNNEL_TZSP, INNER_ETHERNET, NULL, 0, TUNNEL_ID_NONE, 0 };
	inner_rest(&o, &c, INNER_ETHERNET);
	return tunnel_open(d, &o, r);
}

/* Teredo (RFC 4380 section 5.1.1): an optional authentication indicator (0x0001, id and value lengths, client
 * id, value, 8-byte nonce, confirmation byte), an optional origin indicator (0x0000, obfuscated port and
 * address), then an IPv6 packet. by_port: on UDP 3544, taken for Teredo when an IPv6 header follows; otherwise
 * only when it is exactly one IPv6 packet to or from a Teredo address (2001:0::/32). Anything else is plain UDP,
 * uncounted: port 3544 may be any application's ephemeral port. */
static bool teredo(struct dstate *d, const uint8_t *p, uint32_t len, bool by_port, enum decode_result *r)
{
	struct cursor c = cursor_make(p, len);
	uint16_t indicator;
	if (bytes_be16(c.p, cursor_left(&c), 0, &indicator) && indicator == 1) {
		uint8_t id_len, au_len;
		if (!bytes_u8(c.p, cursor_left(&c), 2, &id_len) || !bytes_u8(c.p, cursor_left(&c), 3, &au_len) ||
		    !cursor_skip(&c, 4u + id_len + au_len + 8u + 1u))
			return false;
	}
	if (bytes_be16(c.p, cursor_left(&c), 0, &indicator) && indicator == 0 && !cursor_skip(&c, 8))
		return false;
	uint8_t v;
	uint16_t plen;
	uint32_t src_prefix, dst_prefix;
	if (!bytes_u8(c.p, cursor_left(&c), 0, &v) || !bytes_be16(c.p, cursor_left(&c), 4, &plen) ||
	    !bytes_be32(c.p, cursor_left(&c), 8, &src_prefix) || !bytes_be32(c.p, cursor_left(&c), 24, &dst_prefix) ||
	    (v >> 4) != 6)
		return false;
	if (!by_port) {
		uint32_t off = (uint32_t)(c.p - p);
		uint32_t on_wire = d->udp_len >= 8 + off ? d->udp_len - 8u - off : 0;
		if (40u + plen != on_wire || (src_prefix != 0x20010000 && dst_prefix != 0x20010000))
			return false;
	}
	struct opening o = { TUNNEL_TEREDO, INNER_IPV6, NULL, 0, TUNNEL_ID_NONE, 0 };
	inner_rest(&o, &c, INNER_IPV6);
	return tunnel_open(d, &o, r);
}

/* A VXLAN header (the I flag alone, the reserved bytes zero) before an Ethernet header of IPv4, IPv6, ARP or a
 * VLAN tag: VXLAN on a port nobody named (Azure's virtual network TAP picks its own), counted so that cmflow can
 * say so; 40 fixed bits make a chance match of other payloads about one in 10^12. */
static bool looks_like_vxlan(const uint8_t *p, uint32_t len)
{
	uint32_t flags_reserved;
	uint8_t last;
	uint16_t type;
	return bytes_be32(p, len, 0, &flags_reserved) && flags_reserved == 0x08000000 && bytes_u8(p, len, 7, &last) &&
	       last == 0 && bytes_be16(p, len, 8 + 12, &type) &&
	       (type == ETHERTYPE_IPV4 || type == ETHERTYPE_IPV6 || type == 0x0806 || type == 0x8100);
}

static bool udp_tunnel(struct dstate *d, enum decode_result *r)
{
	const struct packet *pkt = d->pkt;
	const uint8_t *p = pkt->payload;
	uint32_t len = pkt->payload_len;
	/* the tunnels over UDP are told by their destination port (their source port is a hash of the inner
	 * flow); Teredo's server port may be either. VXLAN first: the cloud mirrors' */
	for (unsigned i = 0; i < d->tun->n_vxlan; i++)
		if (pkt->dport == d->tun->vxlan_ports[i])
			return vxlan(d, p, len, r);
	switch (pkt->dport) {
	case PORT_GENEVE:
		return geneve(d, p, len, r);
	case PORT_VXLAN_GPE:
		return vxlan_gpe(d, p, len, r);
	case PORT_GRE_UDP: {
		/* GRE in UDP (RFC 8086) is version 0 without RFC 1701's fields: anything else is plain UDP */
		struct opening o;
		uint16_t fv;
		if (!bytes_be16(p, len, 0, &fv) || (fv & (GRE_F_ROUTING | GRE_F_SSR | GRE_RECUR | GRE_F_RESERVED | GRE_VERSION)))
			return false;
		return gre_parse(d, p, len, TUNNEL_GRE_UDP, &o) && tunnel_open(d, &o, r);
	}
	case PORT_TZSP:
		return tzsp(d, p, len, r);
	case PORT_TEREDO:
		return teredo(d, p, len, true, r);
	default:
		break;
	}
	if (pkt->sport == PORT_TEREDO)
		return teredo(d, p, len, true, r);
	/* Teredo between a client and a relay, on ports of their own: an IPv6 header, maybe behind an indicator */
	uint8_t b0, b1;
	if (len >= 40 && bytes_u8(p, len, 0, &b0) && bytes_u8(p, len, 1, &b1) &&
	    ((b0 >> 4) == 6 || (b0 == 0 && b1 <= 1)))
		return teredo(d, p, len, false, r);
	if (len >= 8 + 14 && looks_like_vxlan(p, len))
		d->st->vxlan_unopened++;
	return false;
}

enum decode_result tunnel_udp(struct dstate *d)
{
	enum decode_result r;
	return udp_tunnel(d, &r) ? r : DECODE_OK;
}

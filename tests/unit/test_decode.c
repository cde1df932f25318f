/* Unit tests of the decoder: link types, VLAN tags, IPv4/IPv6, fragments, and hostile lengths. */
#include <criterion/criterion.h>
#include <pcap/dlt.h>
#include <stdio.h>

#include "decode/decode.h"
#include "pkt_build.h"

static struct packet pkt;
static struct decode_stats st;

static enum decode_result run(int linktype, const struct pb *b, uint32_t caplen, uint32_t wirelen)
{
	memset(&st, 0, sizeof st);
	return decode_packet(linktype, b->buf, caplen, wirelen, 1000000, &pkt, &st);
}

static void tcp_syn_frame(struct pb *b)
{
	memset(b, 0, sizeof *b);
	pb_eth(b, 0x0800);
	pb_ipv4(b, "10.2.0.21", "10.1.0.10", 6, 0x1234, 0x4000);
	pb_tcp(b, 49152, 80, 1000, 0, TCP_SYN);
	pb_put(b, "CCM_POST", 8);
	pb_finish(b);
}

Test(decode, ethernet_ipv4_tcp)
{
	struct pb b;
	tcp_syn_frame(&b);
	cr_assert_eq(run(DLT_EN10MB, &b, b.len, b.len), DECODE_OK);
	cr_assert_eq(pkt.l3, L3_IPV4);
	cr_assert_eq(pkt.ip_proto, 6);
	cr_assert_eq(pkt.src[0], 10);
	cr_assert_eq(pkt.src[3], 21);
	cr_assert_eq(pkt.dst[3], 10);
	cr_assert(pkt.has_ports);
	cr_assert_eq(pkt.sport, 49152);
	cr_assert_eq(pkt.dport, 80);
	cr_assert_eq(pkt.tcp_seq, 1000);
	cr_assert_eq(pkt.tcp_flags, TCP_SYN);
	cr_assert_eq(pkt.payload_len, 8);
	cr_assert_eq(memcmp(pkt.payload, "CCM_POST", 8), 0);
	cr_assert_eq(pkt.is_fragment, 0);
	cr_assert_eq(st.malformed, 0);
	cr_assert_eq(st.tcp, 1);
}

Test(decode, ethernet_padding_is_cut_to_ip_length)
{
	struct pb b;
	memset(&b, 0, sizeof b);
	pb_eth(&b, 0x0800);
	pb_ipv4(&b, "10.2.0.21", "10.1.0.10", 6, 1, 0);
	pb_tcp(&b, 49152, 80, 1, 1, TCP_ACK);
	pb_finish(&b);
	size_t frame = b.len;
	cr_assert_eq(frame, 54);
	memset(b.buf + frame, 0xAA, 6); /* Ethernet minimum frame padding */
	cr_assert_eq(run(DLT_EN10MB, &b, 60, 60), DECODE_OK);
	cr_assert_eq(pkt.ip_len, 40);
	cr_assert_eq(pkt.payload_len, 0, "padding must not become payload");
}

Test(decode, qinq_keeps_both_vlan_ids)
{
	struct pb b;
	memset(&b, 0, sizeof b);
	pb_eth(&b, 0x88a8);
	pb_vlan(&b, 100, 0x8100);
	pb_vlan(&b, 200, 0x0800);
	pb_ipv4(&b, "10.2.0.21", "10.1.0.11", 17, 7, 0);
	pb_udp(&b, 5000, 53, 4);
	pb_put(&b, "abcd", 4);
	pb_finish(&b);
	cr_assert_eq(run(DLT_EN10MB, &b, b.len, b.len), DECODE_OK);
	cr_assert_eq(pkt.vlan_count, 2);
	cr_assert_eq(pkt.vlan[0], 100);
	cr_assert_eq(pkt.vlan[1], 200);
	cr_assert_eq(pkt.dport, 53);
	cr_assert_eq(pkt.payload_len, 4);
}

Test(decode, three_vlan_tags_are_malformed)
{
	struct pb b;
	memset(&b, 0, sizeof b);
	pb_eth(&b, 0x8100);
	pb_vlan(&b, 1, 0x8100);
	pb_vlan(&b, 2, 0x8100);
	pb_vlan(&b, 3, 0x0800);
	pb_ipv4(&b, "10.0.0.1", "10.0.0.2", 17, 7, 0);
	pb_udp(&b, 1, 2, 0);
	pb_finish(&b);
	cr_assert_eq(run(DLT_EN10MB, &b, b.len, b.len), DECODE_MALFORMED);
	cr_assert_eq(st.by_reason[MAL_VLAN_TOO_MANY], 1);
}

Test(decode, ipv6_extension_headers_then_udp)
{
	struct pb b;
	memset(&b, 0, sizeof b);
	pb_eth(&b, 0x86dd);
	pb_ipv6(&b, 1, 2, 0); /* hop-by-hop */
	pb_u8(&b, 60);        /* next: destination options */
	pb_u8(&b, 0);
	pb_put(&b, "\x01\x04\0\0\0\0", 6);
	pb_u8(&b, 17); /* next: UDP */
	pb_u8(&b, 1);  /* 16 bytes */
	pb_put(&b, "\x01\x0c\0\0\0\0\0\0\0\0\0\0\0\0", 14);
	pb_udp(&b, 9, 9, 0);
	pb_finish(&b);
	cr_assert_eq(run(DLT_EN10MB, &b, b.len, b.len), DECODE_OK);
	cr_assert_eq(pkt.l3, L3_IPV6);
	cr_assert_eq(pkt.ip_proto, 17);
	cr_assert_eq(pkt.src[15], 1);
	cr_assert_eq(pkt.dst[15], 2);
	cr_assert_eq(pkt.dport, 9);
}

Test(decode, ipv6_extension_header_running_past_the_packet)
{
	struct pb b;
	memset(&b, 0, sizeof b);
	pb_eth(&b, 0x86dd);
	pb_ipv6(&b, 1, 2, 0);
	pb_u8(&b, 17);
	pb_u8(&b, 200); /* claims 1608 bytes */
	pb_put(&b, "\0\0\0\0\0\0", 6);
	pb_finish(&b);
	cr_assert_eq(run(DLT_EN10MB, &b, b.len, b.len), DECODE_MALFORMED);
	cr_assert_eq(st.by_reason[MAL_IPV6_TRUNC_EXTHDR], 1);
}

Test(decode, ipv4_fragments_first_has_ports_later_do_not)
{
	struct pb b;
	memset(&b, 0, sizeof b);
	pb_eth(&b, 0x0800);
	pb_ipv4(&b, "10.1.0.5", "10.2.0.21", 17, 0x4242, 0x2000); /* MF, offset 0 */
	pb_udp(&b, 1234, 69, 100);
	pb_put(&b, "0123456789abcdef", 16);
	pb_finish(&b);
	cr_assert_eq(run(DLT_EN10MB, &b, b.len, b.len), DECODE_OK);
	cr_assert(pkt.is_fragment);
	cr_assert(pkt.is_first_fragment);
	cr_assert(pkt.has_ports);
	cr_assert_eq(pkt.frag_id, 0x4242);
	cr_assert_eq(pkt.dport, 69);

	memset(&b, 0, sizeof b);
	pb_eth(&b, 0x0800);
	pb_ipv4(&b, "10.1.0.5", "10.2.0.21", 17, 0x4242, 3); /* offset 24 bytes, last */
	pb_put(&b, "rest of the datagram", 20);
	pb_finish(&b);
	cr_assert_eq(run(DLT_EN10MB, &b, b.len, b.len), DECODE_OK);
	cr_assert(pkt.is_fragment);
	cr_assert_not(pkt.is_first_fragment);
	cr_assert_not(pkt.has_ports);
	cr_assert_eq(pkt.frag_id, 0x4242);
	cr_assert_eq(st.ipv4_frags, 1);
}

Test(decode, ipv6_fragment_header)
{
	struct pb b;
	memset(&b, 0, sizeof b);
	pb_eth(&b, 0x86dd);
	pb_ipv6(&b, 3, 4, 44);
	pb_u8(&b, 17);
	pb_u8(&b, 0);
	pb_be16(&b, 0x0001); /* offset 0, more fragments */
	pb_be32(&b, 0xdeadbeef);
	pb_udp(&b, 4000, 63000, 1000);
	pb_finish(&b);
	cr_assert_eq(run(DLT_EN10MB, &b, b.len, b.len), DECODE_OK);
	cr_assert(pkt.is_fragment && pkt.is_first_fragment);
	cr_assert_eq(pkt.frag_id, 0xdeadbeef);
	cr_assert_eq(pkt.dport, 63000);
}

Test(decode, every_prefix_of_a_frame_is_safe_and_counted)
{
	struct pb b;
	tcp_syn_frame(&b);
	for (uint32_t n = 0; n < b.len; n++) {
		/* a frame that really was this short on the wire: its IP header claims more than it carries */
		enum decode_result r = run(DLT_EN10MB, &b, n, n);
		cr_assert_eq(r, DECODE_MALFORMED, "length %u", n);
		cr_assert_eq(st.malformed, 1);
		/* the same bytes as a snapshot of the whole frame: decodable once the IP header is in */
		r = run(DLT_EN10MB, &b, n, b.len);
		cr_assert_eq(r, n < 14 + 20 + 4 ? DECODE_MALFORMED : DECODE_OK, "snapshot %u", n);
		if (n >= 14 + 20 + 4)
			cr_assert(pkt.has_ports, "snapshot %u", n);
	}
}

Test(decode, snapshot_length_cut_keeps_the_ports)
{
	struct pb b;
	tcp_syn_frame(&b);
	/* 38 bytes captured of a longer frame: Ethernet, IPv4 and the TCP ports only */
	cr_assert_eq(run(DLT_EN10MB, &b, 38, b.len), DECODE_OK);
	cr_assert(pkt.has_ports);
	cr_assert_eq(pkt.dport, 80);
	cr_assert_eq(pkt.payload_len, 0);
	/* the header itself may not claim more than the wire carried */
	cr_assert_eq(run(DLT_EN10MB, &b, 38, 38), DECODE_MALFORMED);
}

Test(decode, ipv4_total_length_beyond_the_frame)
{
	struct pb b;
	tcp_syn_frame(&b);
	b.buf[14 + 2] = 0x05; /* total length 1280+ */
	cr_assert_eq(run(DLT_EN10MB, &b, b.len, b.len), DECODE_MALFORMED);
	cr_assert_eq(st.by_reason[MAL_IPV4_TRUNC], 1);
}

Test(decode, ipv4_header_length_below_20)
{
	struct pb b;
	tcp_syn_frame(&b);
	b.buf[14] = 0x44;
	cr_assert_eq(run(DLT_EN10MB, &b, b.len, b.len), DECODE_MALFORMED);
	cr_assert_eq(st.by_reason[MAL_IPV4_HLEN_TOO_SMALL], 1);
}

Test(decode, tcp_data_offset_below_5)
{
	struct pb b;
	tcp_syn_frame(&b);
	b.buf[14 + 20 + 12] = 0x40;
	cr_assert_eq(run(DLT_EN10MB, &b, b.len, b.len), DECODE_MALFORMED);
	cr_assert_eq(st.by_reason[MAL_TCP_HLEN_TOO_SMALL], 1);
}

/* The same IPv4 packet behind the other link layers. */
static void ip_only(struct pb *ip)
{
	struct pb b;
	tcp_syn_frame(&b);
	memset(ip, 0, sizeof *ip);
	pb_put(ip, b.buf + 14, b.len - 14);
}

Test(decode, raw_sll_sll2_null)
{
	struct pb ip, b;
	ip_only(&ip);

	cr_assert_eq(run(DLT_RAW, &ip, ip.len, ip.len), DECODE_OK);
	cr_assert_eq(pkt.dport, 80);

	memset(&b, 0, sizeof b); /* SLL: packet type, ARPHRD, address length, 8-byte address, protocol */
	pb_be16(&b, 0);
	pb_be16(&b, 1);
	pb_be16(&b, 6);
	pb_put(&b, "\x02\0\0\0\0\x01\0\0", 8);
	pb_be16(&b, 0x0800);
	pb_put(&b, ip.buf, ip.len);
	cr_assert_eq(run(DLT_LINUX_SLL, &b, b.len, b.len), DECODE_OK);
	cr_assert_eq(pkt.dport, 80);
	cr_assert_eq(st.sll, 1);

	memset(&b, 0, sizeof b); /* SLL2: protocol, reserved, ifindex, ARPHRD, packet type, address length, address */
	pb_be16(&b, 0x0800);
	pb_be16(&b, 0);
	pb_be32(&b, 2);
	pb_be16(&b, 1);
	pb_u8(&b, 0);
	pb_u8(&b, 6);
	pb_put(&b, "\x02\0\0\0\0\x01\0\0", 8);
	pb_put(&b, ip.buf, ip.len);
	cr_assert_eq(run(DLT_LINUX_SLL2, &b, b.len, b.len), DECODE_OK);
	cr_assert_eq(pkt.dport, 80);
	cr_assert_eq(st.sll2, 1);

	memset(&b, 0, sizeof b); /* BSD loopback: address family in host byte order, AF_INET = 2 */
	uint32_t af = 2;
	pb_put(&b, &af, 4);
	pb_put(&b, ip.buf, ip.len);
	cr_assert_eq(run(DLT_NULL, &b, b.len, b.len), DECODE_OK);
	cr_assert_eq(pkt.dport, 80);

	/* cut inside the link header */
	cr_assert_eq(run(DLT_LINUX_SLL2, &b, 10, 10), DECODE_MALFORMED);
	cr_assert_eq(st.by_reason[MAL_SLL2_TOO_SMALL], 1);
}

Test(decode, raw_ip_with_bad_version)
{
	struct pb ip;
	ip_only(&ip);
	ip.buf[0] = 0x55;
	cr_assert_eq(run(DLT_RAW, &ip, ip.len, ip.len), DECODE_MALFORMED);
	cr_assert_eq(st.by_reason[MAL_RAW_BAD_VERSION], 1);
}

Test(decode, wake_on_lan_ethertype_is_not_ip_but_kept)
{
	struct pb b;
	memset(&b, 0, sizeof b);
	pb_eth(&b, 0x0842);
	for (int i = 0; i < 6; i++)
		pb_u8(&b, 0xff);
	cr_assert_eq(run(DLT_EN10MB, &b, b.len, b.len), DECODE_NOT_IP);
	cr_assert_eq(pkt.ethertype, 0x0842);
	cr_assert_eq(pkt.l2_payload_len, 6);
}

Test(decode, unsupported_link_type)
{
	struct pb b;
	tcp_syn_frame(&b);
	cr_assert_not(decode_linktype_supported(DLT_IEEE802_11));
	cr_assert_eq(run(DLT_IEEE802_11, &b, b.len, b.len), DECODE_UNSUPPORTED);
}

Test(decode, malformed_reason_names_are_suricata_style)
{
	cr_assert_str_eq(malformed_reason_name(MAL_IPV4_TRUNC), "ipv4.trunc_pkt");
	for (int r = 0; r < MAL_COUNT; r++)
		cr_assert_not_null(malformed_reason_name((enum malformed_reason)r));
	cr_assert_str_eq(malformed_reason_name(MAL_COUNT), "unknown");
}

/* ---- tunnels (tunnel.c) ---- */

#include <glob.h>
#include <pcap/pcap.h>
#include <stdlib.h>

#include "flow/flow_table.h"

/* Calls fn on every frame of a classic pcap file (Ethernet or raw IP), with its link type. */
static unsigned each_frame(const char *path, void (*fn)(int dlt, const uint8_t *f, uint32_t len, unsigned i, void *ctx),
			   void *ctx)
{
	char ebuf[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_open_offline(path, ebuf);
	cr_assert_not_null(p, "%s: %s", path, ebuf);
	struct pcap_pkthdr *h;
	const u_char *data;
	unsigned i = 0;
	while (pcap_next_ex(p, &h, &data) == 1)
		fn(pcap_datalink(p), data, h->caplen, i++, ctx);
	pcap_close(p);
	return i;
}

/* Decodes an exact-size copy of f[0 .. caplen) (ASan sees any read past it). */
static enum decode_result decode_copy(const struct decode_tunnels *tun, int dlt, const uint8_t *f, uint32_t caplen,
				      uint32_t wirelen)
{
	uint8_t *copy = malloc(caplen ? caplen : 1);
	memcpy(copy, f, caplen);
	memset(&st, 0, sizeof st);
	enum decode_result r = decode_packet_with(tun, dlt, copy, caplen, wirelen, 1000000, &pkt, &st);
	uint64_t sum = 0;
	for (int i = 0; i < MAL_COUNT; i++)
		sum += st.by_reason[i];
	cr_assert_eq(sum, st.malformed);
	if (r == DECODE_OK) { /* what the packet points to lies in the copy */
		cr_assert(pkt.ip >= copy && pkt.ip + pkt.ip_len <= copy + caplen);
		cr_assert(pkt.payload >= copy && pkt.payload + pkt.payload_len <= copy + caplen);
		cr_assert(pkt.tunnel.depth <= DECODE_MAX_TUNNELS);
	}
	free(copy);
	return r;
}

/* cm-tunnels.pcap (tests/lab/wrap-tunnels.py samples): frame pairs, one inner conversation each */
static const struct {
	uint16_t client_port;
	enum tunnel_kind kind;
	enum tunnel_id_kind id_kind;
	uint32_t id;
	uint8_t depth;
} samples[] = {
	{ 40001, TUNNEL_VXLAN, TUNNEL_ID_VNI, 1, 1 },      { 40001, TUNNEL_VXLAN, TUNNEL_ID_VNI, 2, 1 },
	{ 40002, TUNNEL_GENEVE, TUNNEL_ID_VNI, 3, 1 },     { 40003, TUNNEL_ERSPAN_I, TUNNEL_ID_NONE, 0, 1 },
	{ 40004, TUNNEL_ERSPAN_II, TUNNEL_ID_SESSION, 5, 1 }, { 40005, TUNNEL_ERSPAN_III, TUNNEL_ID_SESSION, 6, 1 },
	{ 40006, TUNNEL_ERSPAN_III, TUNNEL_ID_SESSION, 6, 1 }, { 40007, TUNNEL_GRE, TUNNEL_ID_KEY, 9, 1 },
	{ 40008, TUNNEL_GRE, TUNNEL_ID_NONE, 0, 1 },       { 40009, TUNNEL_VXLAN_GPE, TUNNEL_ID_VNI, 7, 1 },
	{ 40010, TUNNEL_VXLAN_GPE, TUNNEL_ID_VNI, 8, 1 },  { 40011, TUNNEL_GRE_UDP, TUNNEL_ID_NONE, 0, 1 },
	{ 40012, TUNNEL_IP_IP, TUNNEL_ID_NONE, 0, 1 },     { 40013, TUNNEL_IP_IP, TUNNEL_ID_NONE, 0, 1 },
	{ 40014, TUNNEL_TZSP, TUNNEL_ID_NONE, 0, 1 },      { 40015, TUNNEL_VXLAN, TUNNEL_ID_VNI, 15, 2 },
};

static void check_sample(int dlt, const uint8_t *f, uint32_t len, unsigned i, void *ctx)
{
	unsigned *checked = ctx;
	cr_assert_eq(decode_copy(NULL, dlt, f, len, len), DECODE_OK, "frame %u", i + 1);
	cr_assert_eq(st.malformed, 0, "frame %u", i + 1);
	cr_assert(pkt.has_ports && pkt.ip_proto == 6, "frame %u", i + 1);
	cr_assert_eq(st.decapsulated, 1);
	cr_assert(pkt.sport == 80 || pkt.dport == 80, "frame %u", i + 1);
	uint16_t client = pkt.sport == 80 ? pkt.dport : pkt.sport;
	if (i / 2 < sizeof samples / sizeof samples[0]) {
		const typeof(samples[0]) *s = &samples[i / 2];
		cr_assert_eq(client, s->client_port, "frame %u", i + 1);
		cr_assert_eq(pkt.tunnel.kind, s->kind, "frame %u: kind %s", i + 1, tunnel_kind_name(pkt.tunnel.kind));
		cr_assert_eq(pkt.tunnel.id_kind, s->id_kind, "frame %u", i + 1);
		cr_assert_eq(pkt.tunnel.id, s->id, "frame %u", i + 1);
		cr_assert_eq(pkt.tunnel.depth, s->depth, "frame %u", i + 1);
		cr_assert_eq(pkt.l3, L3_IPV4);
		cr_assert_eq(pkt.src[0], 10);
		/* the outermost header: the mirror's switch and sensor */
		if (pkt.tunnel.outer_family == 4)
			cr_assert(pkt.tunnel.outer_src[0] == 192 && pkt.tunnel.outer_src[3] == 1 && pkt.tunnel.outer_dst[3] == 2);
		else
			cr_assert(pkt.tunnel.outer_family == 6 && pkt.tunnel.outer_src[15] == 1);
	} else {
		cr_assert(pkt.tunnel.kind == TUNNEL_IP_IP || pkt.tunnel.kind == TUNNEL_TEREDO, "frame %u", i + 1);
		cr_assert_eq(pkt.l3, L3_IPV6);
	}
	/* Suricata's decoder.erspan: the three ERSPAN types together */
	cr_assert_eq(st.erspan, st.tunnel[TUNNEL_ERSPAN_I] + st.tunnel[TUNNEL_ERSPAN_II] + st.tunnel[TUNNEL_ERSPAN_III],
		     "frame %u", i + 1);
	cr_assert_eq(st.erspan, pkt.tunnel.kind >= TUNNEL_ERSPAN_I && pkt.tunnel.kind <= TUNNEL_ERSPAN_III, "frame %u",
		     i + 1);
	if (pkt.tunnel.kind == TUNNEL_ERSPAN_I)
		cr_assert(pkt.vlan_count == 1 && pkt.vlan[0] == 10 && pkt.tunnel.vlan_before == 0);
	if (pkt.tunnel.kind == TUNNEL_VXLAN && pkt.tunnel.depth == 1) {
		cr_assert(pkt.tunnel.outer_proto == 17 && pkt.tunnel.outer_dport == 4789);
		cr_assert(pkt.tunnel.ip4_before == 1 && pkt.tunnel.udp_before == 1 && pkt.has_eth);
	}
	if (pkt.tunnel.depth == 2) /* VXLAN in IPv4 in GRE: two outer IPv4 headers, one UDP */
		cr_assert(pkt.tunnel.ip4_before == 2 && pkt.tunnel.udp_before == 1 && pkt.tunnel.outer_proto == 47);
	(*checked)++;
}

Test(tunnel, each_sample_decodes_to_its_inner_conversation)
{
	unsigned checked = 0;
	cr_assert_eq(each_frame(PCAP_DIR "/cm-tunnels.pcap", check_sample, &checked), 38);
	cr_assert_eq(checked, 38);
}

static void check_closed(int dlt, const uint8_t *f, uint32_t len, unsigned i, void *ctx)
{
	/* MAL_COUNT: no tunnel at all, uncounted (a VXLAN port whose header is not VXLAN's, a DNS answer to port 3544) */
	static const enum malformed_reason reason[] = {
		MAL_COUNT, MAL_COUNT, MAL_GENEVE_TOO_SMALL, MAL_GRE_WRONG_VERSION, MAL_GRE_UNKNOWN_PAYLOAD,
		MAL_ERSPAN_UNSUPPORTED_VERSION, MAL_ERSPAN_UNKNOWN_FRAME_TYPE, MAL_GENEVE_UNKNOWN_PAYLOAD,
		MAL_VXLAN_GPE_UNKNOWN_PAYLOAD, MAL_IPV4_IPV4_IN_IPV4_WRONG_VERSION, MAL_TZSP_UNKNOWN_PAYLOAD,
		MAL_TZSP_TOO_SMALL,
	};
	(void)ctx;
	cr_assert_eq(decode_copy(NULL, dlt, f, len, len), DECODE_OK, "frame %u", i + 1);
	if (i < sizeof reason / sizeof reason[0]) {
		cr_assert_eq(pkt.tunnel.depth, 0, "frame %u", i + 1);
		cr_assert_eq(pkt.src[3], 1, "frame %u: the outer packet", i + 1);
		if (reason[i] == MAL_COUNT) {
			cr_assert_eq(st.malformed, 0, "frame %u", i + 1);
			cr_assert_eq(decode_tunnels_left_closed(&st), 0);
			return;
		}
		cr_assert_eq(st.by_reason[reason[i]], 1, "frame %u: %s", i + 1, malformed_reason_name(reason[i]));
		cr_assert_eq(st.malformed, 1, "frame %u", i + 1);
		cr_assert_eq(decode_tunnels_left_closed(&st), 1, "frame %u", i + 1);
	} else { /* five levels of GRE: four opened, the fifth counted */
		cr_assert_eq(pkt.tunnel.depth, DECODE_MAX_TUNNELS);
		cr_assert_eq(st.too_many_layers, 1);
		cr_assert_eq(decode_tunnels_left_closed(&st), 1);
		cr_assert_eq(pkt.ip_proto, 47);
		cr_assert_eq(pkt.src[3], 10);
	}
}

Test(tunnel, closed_tunnels_are_counted_by_reason_and_stay_outer)
{
	cr_assert_eq(each_frame(PCAP_DIR "/cm-tunnels-closed.pcap", check_closed, NULL), 13);
}

/* Every prefix of a frame, as a frame that short on the wire and as a snapshot of the whole: never a read past
 * the copy, every malformed packet counted */
static void every_prefix(int dlt, const uint8_t *f, uint32_t len, unsigned i, void *ctx)
{
	unsigned *frames = ctx;
	if (i >= 24 || len > 1600)
		return;
	for (uint32_t n = 0; n <= len; n++) {
		enum decode_result r = decode_copy(NULL, dlt, f, n, n);
		cr_assert(r == DECODE_OK || r == DECODE_MALFORMED || r == DECODE_NOT_IP);
		if (r == DECODE_MALFORMED)
			cr_assert_geq(st.malformed, 1);
		r = decode_copy(NULL, dlt, f, n, len);
		cr_assert(r == DECODE_OK || r == DECODE_MALFORMED || r == DECODE_NOT_IP);
	}
	(*frames)++;
}

Test(tunnel, every_prefix_of_every_tunnel_frame_is_safe_and_counted)
{
	unsigned frames = 0;
	each_frame(PCAP_DIR "/cm-tunnels.pcap", every_prefix, &frames);
	each_frame(PCAP_DIR "/cm-tunnels-closed.pcap", every_prefix, &frames);
	glob_t g;
	cr_assert_eq(glob(PCAP_DIR "/tunnels/*.pcap", 0, NULL, &g), 0);
	for (size_t k = 0; k < g.gl_pathc; k++)
		each_frame(g.gl_pathv[k], every_prefix, &frames);
	globfree(&g);
	cr_assert_geq(frames, 200);
}

/* The first VXLAN sample with its destination port changed */
static void vxlan_on_port(uint16_t port, struct pb *b)
{
	memset(b, 0, sizeof *b);
	pb_eth(b, 0x0800);
	pb_ipv4(b, "192.0.2.1", "192.0.2.2", 17, 1, 0);
	pb_udp(b, 50001, port, 8 + 14 + 20 + 20);
	pb_u8(b, 0x08);
	pb_put(b, "\0\0\0", 3);
	pb_be32(b, 77u << 8);
	size_t ip_start = b->len + 14;
	pb_eth(b, 0x0800);
	pb_ipv4(b, "10.2.0.21", "10.1.0.10", 6, 2, 0);
	pb_tcp(b, 40001, 80, 1, 0, TCP_SYN);
	pb_finish(b); /* fixes the inner IPv4 length */
	b->buf[ip_start + 2] = 0;
	b->buf[ip_start + 3] = 40;
	size_t outer_len = b->len - 14;
	b->buf[14 + 2] = (uint8_t)(outer_len >> 8);
	b->buf[14 + 3] = (uint8_t)outer_len;
}

Test(tunnel, vxlan_ports_default_and_configured)
{
	struct decode_tunnels tun;
	decode_tunnels_defaults(&tun);
	cr_assert_eq(tun.n_vxlan, 2);
	struct pb b;
	vxlan_on_port(8472, &b);
	cr_assert_eq(decode_copy(NULL, DLT_EN10MB, b.buf, (uint32_t)b.len, (uint32_t)b.len), DECODE_OK);
	cr_assert_eq(pkt.tunnel.kind, TUNNEL_VXLAN);
	cr_assert_eq(pkt.tunnel.id, 77);
	cr_assert_eq(pkt.dport, 80);
	vxlan_on_port(4800, &b);
	cr_assert_eq(decode_copy(&tun, DLT_EN10MB, b.buf, (uint32_t)b.len, (uint32_t)b.len), DECODE_OK);
	cr_assert_eq(pkt.tunnel.depth, 0, "4800 is no VXLAN port by default");
	cr_assert_eq(pkt.dport, 4800);
	cr_assert(decode_tunnels_add_vxlan(&tun, 4800));
	cr_assert(decode_tunnels_add_vxlan(&tun, 4800), "a repeat is no error");
	cr_assert_eq(tun.n_vxlan, 3);
	cr_assert_eq(tun.lowest_port, 3544);
	cr_assert_not(decode_tunnels_add_vxlan(&tun, 0));
	cr_assert_eq(decode_copy(&tun, DLT_EN10MB, b.buf, (uint32_t)b.len, (uint32_t)b.len), DECODE_OK);
	cr_assert_eq(pkt.tunnel.kind, TUNNEL_VXLAN);
	cr_assert_eq(pkt.dport, 80);
	/* a port below every tunnel's own is looked at too */
	vxlan_on_port(1000, &b);
	cr_assert(decode_tunnels_add_vxlan(&tun, 1000));
	cr_assert_eq(tun.lowest_port, 1000);
	cr_assert_eq(decode_copy(&tun, DLT_EN10MB, b.buf, (uint32_t)b.len, (uint32_t)b.len), DECODE_OK);
	cr_assert_eq(pkt.tunnel.kind, TUNNEL_VXLAN);
	for (uint16_t p = 5000; tun.n_vxlan < DECODE_MAX_VXLAN_PORTS; p++)
		cr_assert(decode_tunnels_add_vxlan(&tun, p));
	cr_assert_not(decode_tunnels_add_vxlan(&tun, 6000), "the set is full");
	cr_assert_eq(tun.n_vxlan, DECODE_MAX_VXLAN_PORTS);
}

Test(tunnel, an_outer_fragment_stays_the_outer_packet)
{
	struct pb b;
	vxlan_on_port(4789, &b);
	b.buf[14 + 6] = 0x20; /* more fragments */
	cr_assert_eq(decode_copy(NULL, DLT_EN10MB, b.buf, (uint32_t)b.len, (uint32_t)b.len), DECODE_OK);
	cr_assert_eq(pkt.tunnel.depth, 0);
	cr_assert_eq(pkt.dport, 4789);
	cr_assert_eq(st.by_reason[MAL_TUNNEL_OUTER_FRAGMENT], 1);
}

Test(tunnel, arp_inside_vxlan_is_not_ip)
{
	struct pb b;
	memset(&b, 0, sizeof b);
	pb_eth(&b, 0x0800);
	pb_ipv4(&b, "192.0.2.1", "192.0.2.2", 17, 1, 0);
	pb_udp(&b, 50001, 4789, 8 + 14 + 28);
	pb_u8(&b, 0x08);
	pb_put(&b, "\0\0\0\0\0\x2a\0", 7);
	pb_eth(&b, 0x0806);
	pb_put(&b, "\0\x01\x08\0\x06\x04\0\x01", 8);
	for (int i = 0; i < 20; i++)
		pb_u8(&b, (uint8_t)i);
	pb_finish(&b);
	cr_assert_eq(decode_copy(NULL, DLT_EN10MB, b.buf, (uint32_t)b.len, (uint32_t)b.len), DECODE_NOT_IP);
	cr_assert_eq(pkt.tunnel.depth, 1);
	cr_assert_eq(pkt.ethertype, 0x0806);
	cr_assert_eq(st.arp, 1);
}

Test(tunnel, the_flow_key_carries_the_tunnel_identity)
{
	static const uint16_t novlan[2];
	static const uint8_t a[16] = { 10, 2, 0, 21 }, c[16] = { 10, 1, 0, 10 };
	struct packet_tunnel t1 = { .depth = 1, .kind = TUNNEL_VXLAN, .id_kind = TUNNEL_ID_VNI, .id = 1 };
	struct packet_tunnel t2 = t1, ipip = { .depth = 1, .kind = TUNNEL_IP_IP }, none = { 0 };
	t2.id = 2;
	struct flow_key k1, k2, k3, k4;
	bool lo;
	flow_key_make(&k1, 4, a, c, 40001, 80, 6, novlan, &lo);
	k2 = k3 = k4 = k1;
	flow_key_set_tunnel(&k1, &t1);
	flow_key_set_tunnel(&k2, &t2);
	flow_key_set_tunnel(&k3, &ipip);
	flow_key_set_tunnel(&k4, &none);
	cr_assert_neq(memcmp(&k1, &k2, sizeof k1), 0, "VNI 1 and VNI 2 are two address spaces");
	cr_assert_eq(memcmp(&k3, &k4, sizeof k3), 0, "IP in IP has no identity: the plain key");
	cr_assert_eq(k1.tunnel_space, TUNNEL_ID_VNI);
	cr_assert_eq(k1.tunnel_id, 1);
}

Test(tunnel, reason_names_keep_each_layer_together)
{
	/* the stats event writes one object per layer: a layer's reasons must be consecutive in each part */
	for (int part = 0; part < 2; part++) {
		int first = part ? MAL_CMFLOW_FIRST : 0, end = part ? MAL_COUNT : MAL_CMFLOW_FIRST;
		for (int r = first; r < end; r++) {
			const char *n = malformed_reason_name((enum malformed_reason)r), *dot = strchr(n, '.');
			cr_assert_not_null(dot, "%s", n);
			for (int q = first; q < r - 1; q++) {
				const char *m = malformed_reason_name((enum malformed_reason)q);
				const char *next = malformed_reason_name((enum malformed_reason)(q + 1));
				bool same = strncmp(m, n, (size_t)(dot - n) + 1) == 0;
				bool next_same = strncmp(next, n, (size_t)(dot - n) + 1) == 0;
				cr_assert(!same || next_same || q + 1 >= r, "%s is apart from %s", n, m);
			}
		}
	}
	cr_assert_str_eq(tunnel_kind_name(TUNNEL_ERSPAN_III), "erspan_iii");
	cr_assert_str_eq(tunnel_kind_name(TUNNEL_KINDS), "unknown");
}

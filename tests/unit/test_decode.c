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

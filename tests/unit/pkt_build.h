/* pkt_build.h: builds test frames byte by byte (Ethernet, 802.1Q, IPv4, IPv6, TCP, UDP), for the decoder and
 * engine unit tests. Checksums are left zero: cmflow does not verify them. */
#ifndef CMFLOW_TEST_PKT_BUILD_H
#define CMFLOW_TEST_PKT_BUILD_H

#include <stdint.h>
#include <string.h>

struct pb {
	uint8_t buf[2048];
	size_t len;
	size_t ip_start;     /* where the IP header begins, for the total length fix-up */
	int ip_version;
};

static inline void pb_put(struct pb *b, const void *p, size_t n)
{
	memcpy(b->buf + b->len, p, n);
	b->len += n;
}
static inline void pb_u8(struct pb *b, uint8_t v)
{
	b->buf[b->len++] = v;
}
static inline void pb_be16(struct pb *b, uint16_t v)
{
	pb_u8(b, (uint8_t)(v >> 8));
	pb_u8(b, (uint8_t)v);
}
static inline void pb_be32(struct pb *b, uint32_t v)
{
	pb_be16(b, (uint16_t)(v >> 16));
	pb_be16(b, (uint16_t)v);
}

static inline void pb_eth(struct pb *b, uint16_t ethertype)
{
	static const uint8_t dst[6] = { 0x02, 0, 0, 0, 0, 0x02 }, src[6] = { 0x02, 0, 0, 0, 0, 0x01 };
	pb_put(b, dst, 6);
	pb_put(b, src, 6);
	pb_be16(b, ethertype);
}

/* An 802.1Q (0x8100) or 802.1ad (0x88a8) tag; the next header's EtherType follows. */
static inline void pb_vlan(struct pb *b, uint16_t vid, uint16_t next_ethertype)
{
	pb_be16(b, vid & 0x0fff);
	pb_be16(b, next_ethertype);
}

/* IPv4 header without options; total length is fixed up by pb_finish. */
static inline void pb_ipv4(struct pb *b, const char *src, const char *dst, uint8_t proto, uint16_t id,
			   uint16_t frag_field)
{
	unsigned a, c, d, e;
	b->ip_start = b->len;
	b->ip_version = 4;
	pb_u8(b, 0x45);
	pb_u8(b, 0);
	pb_be16(b, 0);
	pb_be16(b, id);
	pb_be16(b, frag_field);
	pb_u8(b, 64);
	pb_u8(b, proto);
	pb_be16(b, 0);
	sscanf(src, "%u.%u.%u.%u", &a, &c, &d, &e);
	pb_u8(b, (uint8_t)a), pb_u8(b, (uint8_t)c), pb_u8(b, (uint8_t)d), pb_u8(b, (uint8_t)e);
	sscanf(dst, "%u.%u.%u.%u", &a, &c, &d, &e);
	pb_u8(b, (uint8_t)a), pb_u8(b, (uint8_t)c), pb_u8(b, (uint8_t)d), pb_u8(b, (uint8_t)e);
}

/* IPv6 header with the given next header; addresses are 2001:db8::<last> for brevity. */
static inline void pb_ipv6(struct pb *b, uint8_t src_last, uint8_t dst_last, uint8_t next)
{
	uint8_t a[16] = { 0x20, 0x01, 0x0d, 0xb8 };
	b->ip_start = b->len;
	b->ip_version = 6;
	pb_be32(b, 0x60000000);
	pb_be16(b, 0);
	pb_u8(b, next);
	pb_u8(b, 64);
	a[15] = src_last;
	pb_put(b, a, 16);
	a[15] = dst_last;
	pb_put(b, a, 16);
}

static inline void pb_tcp(struct pb *b, uint16_t sport, uint16_t dport, uint32_t seq, uint32_t ack, uint8_t flags)
{
	pb_be16(b, sport);
	pb_be16(b, dport);
	pb_be32(b, seq);
	pb_be32(b, ack);
	pb_u8(b, 5 << 4);
	pb_u8(b, flags);
	pb_be16(b, 65535);
	pb_be16(b, 0);
	pb_be16(b, 0);
}

/* UDP header; its length covers payload_len more bytes. */
static inline void pb_udp(struct pb *b, uint16_t sport, uint16_t dport, uint16_t payload_len)
{
	pb_be16(b, sport);
	pb_be16(b, dport);
	pb_be16(b, (uint16_t)(8 + payload_len));
	pb_be16(b, 0);
}

/* Writes the IP total (v4) or payload (v6) length for everything appended after the IP header. */
static inline void pb_finish(struct pb *b)
{
	size_t n = b->len - b->ip_start;
	if (b->ip_version == 4) {
		b->buf[b->ip_start + 2] = (uint8_t)(n >> 8);
		b->buf[b->ip_start + 3] = (uint8_t)n;
	} else if (b->ip_version == 6) {
		n -= 40;
		b->buf[b->ip_start + 4] = (uint8_t)(n >> 8);
		b->buf[b->ip_start + 5] = (uint8_t)n;
	}
}

#endif

/* community_id.c: Community ID v1 (corelight/community-id-spec, with pycommunityid's ICMP tables). */
#include <string.h>

#include "decode/decode.h"
#include "flow/community_id.h"
#include "lib/bytes.h"
#include "lib/sha1.h"

#define PROTO_ICMP 1
#define PROTO_TCP 6
#define PROTO_UDP 17
#define PROTO_ICMPV6 58
#define PROTO_SCTP 132

/* ICMP (RFC 792, 950, 1256) and ICMPv6 (RFC 4443, 4861, 2710, 3775, and the old "who are you") types that form a
 * request and its answer, as the spec's reference takes them from Zeek; every other type is one way. */
static int icmp4_counterpart(uint8_t type)
{
	switch (type) {
	case 8: return 0;    /* echo request -> echo reply */
	case 0: return 8;
	case 13: return 14;  /* timestamp */
	case 14: return 13;
	case 15: return 16;  /* information */
	case 16: return 15;
	case 10: return 9;   /* router solicitation -> advertisement */
	case 9: return 10;
	case 17: return 18;  /* address mask */
	case 18: return 17;
	default: return -1;
	}
}

static int icmp6_counterpart(uint8_t type)
{
	switch (type) {
	case 128: return 129; /* echo request -> echo reply */
	case 129: return 128;
	case 130: return 131; /* multicast listener query -> report */
	case 131: return 130;
	case 133: return 134; /* router solicitation -> advertisement */
	case 134: return 133;
	case 135: return 136; /* neighbour solicitation -> advertisement */
	case 136: return 135;
	case 139: return 140; /* who-are-you request -> reply */
	case 140: return 139;
	case 144: return 145; /* home agent address discovery */
	case 145: return 144;
	default: return -1;
	}
}

void community_id_icmp_ports(bool v6, uint8_t type, uint8_t code, uint16_t *sport, uint16_t *dport, bool *one_way)
{
	int other = v6 ? icmp6_counterpart(type) : icmp4_counterpart(type);
	*sport = type;
	if (other >= 0) {
		*dport = (uint16_t)other;
		*one_way = false;
	} else {
		*dport = code;
		*one_way = true;
	}
}

static bool is_port_proto(uint8_t proto)
{
	return proto == PROTO_TCP || proto == PROTO_UDP || proto == PROTO_SCTP || proto == PROTO_ICMP ||
	       proto == PROTO_ICMPV6;
}

/* RFC 4648 section 4, with padding */
static void base64(const uint8_t *in, size_t len, char *out)
{
	static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i = 0;
	for (; i + 3 <= len; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
		*out++ = abc[v >> 18];
		*out++ = abc[(v >> 12) & 63];
		*out++ = abc[(v >> 6) & 63];
		*out++ = abc[v & 63];
	}
	if (len - i == 1) {
		uint32_t v = (uint32_t)in[i] << 16;
		*out++ = abc[v >> 18];
		*out++ = abc[(v >> 12) & 63];
		*out++ = '=';
		*out++ = '=';
	} else if (len - i == 2) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
		*out++ = abc[v >> 18];
		*out++ = abc[(v >> 12) & 63];
		*out++ = abc[(v >> 6) & 63];
		*out++ = '=';
	}
	*out = '\0';
}

bool community_id_v1(const struct community_id_tuple *t, uint16_t seed, char out[COMMUNITY_ID_SIZE])
{
	out[0] = '\0';
	if (t->family != 4 && t->family != 6)
		return false;
	if (is_port_proto(t->proto) && !t->has_ports)
		return false;
	size_t alen = t->family == 4 ? 4 : 16;
	uint16_t sport = t->sport, dport = t->dport;
	bool one_way = false;
	if (t->has_ports && (t->proto == PROTO_ICMP || t->proto == PROTO_ICMPV6))
		community_id_icmp_ports(t->proto == PROTO_ICMPV6, (uint8_t)t->sport, (uint8_t)t->dport, &sport, &dport,
					&one_way);

	/* the smaller (address, port) first: addresses compare as network-order bytes, then the ports */
	const uint8_t *a = t->src, *b = t->dst;
	uint16_t pa = sport, pb = dport;
	int cmp = memcmp(a, b, alen);
	if (!one_way && (cmp > 0 || (cmp == 0 && t->has_ports && pa > pb))) {
		a = t->dst;
		b = t->src;
		pa = dport;
		pb = sport;
	}

	/* seed, addresses, protocol, pad, ports: at most 2 + 32 + 2 + 4 = 40 bytes, a multiple of 4 */
	uint8_t in[40];
	size_t n = 0;
	in[n++] = (uint8_t)(seed >> 8);
	in[n++] = (uint8_t)seed;
	memcpy(in + n, a, alen);
	n += alen;
	memcpy(in + n, b, alen);
	n += alen;
	in[n++] = t->proto;
	in[n++] = 0;
	if (t->has_ports) {
		in[n++] = (uint8_t)(pa >> 8);
		in[n++] = (uint8_t)pa;
		in[n++] = (uint8_t)(pb >> 8);
		in[n++] = (uint8_t)pb;
	}
	uint8_t digest[SHA1_DIGEST_LEN];
	sha1_digest(in, n, digest);
	out[0] = '1';
	out[1] = ':';
	base64(digest, sizeof digest, out + 2);
	return true;
}

bool community_id_tuple_of_packet(const struct packet *pkt, struct community_id_tuple *t)
{
	memset(t, 0, sizeof *t);
	if (pkt->l3 != L3_IPV4 && pkt->l3 != L3_IPV6)
		return false;
	t->family = pkt->l3 == L3_IPV4 ? 4 : 6;
	t->proto = pkt->ip_proto;
	memcpy(t->src, pkt->src, sizeof t->src);
	memcpy(t->dst, pkt->dst, sizeof t->dst);
	switch (pkt->ip_proto) {
	case PROTO_TCP:
	case PROTO_UDP:
		if (!pkt->has_ports)
			return false;
		t->sport = pkt->sport;
		t->dport = pkt->dport;
		break;
	case PROTO_ICMP:
	case PROTO_ICMPV6:
		if (!pkt->has_icmp)
			return false;
		t->sport = pkt->icmp_type;
		t->dport = pkt->icmp_code;
		break;
	case PROTO_SCTP: /* the decoder reads the common header's ports (RFC 9260 section 3.1) */
		if (!pkt->has_ports)
			return false;
		t->sport = pkt->sport;
		t->dport = pkt->dport;
		break;
	default:
		return true;
	}
	t->has_ports = true;
	return true;
}

/* Unit tests of SHA-1 (FIPS 180 examples) and of Community ID v1 against the spec's own baseline: every packet of
 * the spec's combined.pcap.gz (pcaps/community-id/, decompressed here through gzip -dc and read with cmflow's pcap
 * reader and decoder) must hash to the value baseline_deflt.json (seed 0) and baseline_seed1.json (seed 1) give
 * for its tuple, and every tuple of the baseline must be met. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdbool.h>
#include <string.h>

#include <criterion/criterion.h>

#include "decode/decode.h"
#include "flow/community_id.h"
#include "input/pcapfile.h"
#include "lib/jsonread.h"
#include "lib/sha1.h"

static void hex(const uint8_t *d, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", d[i]);
}

static void check_sha1(const char *msg, size_t len, const char *want)
{
	uint8_t d[SHA1_DIGEST_LEN];
	char h[2 * SHA1_DIGEST_LEN + 1];
	sha1_digest(msg, len, d);
	hex(d, sizeof d, h);
	cr_assert_str_eq(h, want, "SHA-1 of a %zu-byte message", len);
}

/* The processor's SHA extensions and the portable code give the same digests: the standard's examples on each,
 * then 2000 pseudo-random messages of 0 to 300 bytes on both (the extensions are skipped where the processor lacks
 * them, and said). */
Test(sha1, hardware_and_portable_paths_agree)
{
	bool hw = sha1_use_hardware(true);
	if (!hw)
		cr_log_warn("this processor has no SHA extensions: only the portable code is tested");
	for (int path = 0; path < 2; path++) {
		sha1_use_hardware(path == 0);
		check_sha1("abc", 3, "a9993e364706816aba3e25717850c26c9cd0d89d");
		check_sha1("", 0, "da39a3ee5e6b4b0d3255bfef95601890afd80709");
		const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
		check_sha1(two, strlen(two), "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
	}
	uint8_t msg[300];
	uint32_t x = 0x12345678u;
	for (int n = 0; n < 2000; n++) {
		size_t len = (size_t)(n * 7919u % 301u);
		for (size_t i = 0; i < len; i++) {
			x = x * 1103515245u + 12345u;
			msg[i] = (uint8_t)(x >> 16);
		}
		uint8_t portable[SHA1_DIGEST_LEN], hardware[SHA1_DIGEST_LEN];
		sha1_use_hardware(false);
		sha1_digest(msg, len, portable);
		sha1_use_hardware(true);
		sha1_digest(msg, len, hardware);
		cr_assert(memcmp(portable, hardware, sizeof portable) == 0, "message %d (%zu bytes): the paths differ", n, len);
	}
	sha1_use_hardware(true);
}

/* FIPS 180-2 appendix A and the NIST example values (csrc.nist.gov, "SHA1.pdf"): one block, two blocks, the
 * empty message, and one million 'a' */
Test(sha1, fips_180_examples)
{
	check_sha1("abc", 3, "a9993e364706816aba3e25717850c26c9cd0d89d");
	const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	check_sha1(two, strlen(two), "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
	check_sha1("", 0, "da39a3ee5e6b4b0d3255bfef95601890afd80709");
	const char *four = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrs"
			   "mnopqrstnopqrstu";
	check_sha1(four, strlen(four), "a49b2446a02c645bf419f995b67091253a04a259");

	char *million = malloc(1000000);
	cr_assert(million);
	memset(million, 'a', 1000000);
	check_sha1(million, 1000000, "34aa973cd4c4daa4f61eeb2bdbad27316534016f");

	/* the same message fed in uneven pieces (across block ends and the padding boundary) */
	struct sha1_ctx c;
	uint8_t d[SHA1_DIGEST_LEN];
	char h[41];
	sha1_init(&c);
	size_t done = 0, step = 1;
	while (done < 1000000) {
		size_t n = step < 1000000 - done ? step : 1000000 - done;
		sha1_update(&c, million + done, n);
		done += n;
		step = step * 3 % 197 + 1;
	}
	sha1_final(&c, d);
	hex(d, sizeof d, h);
	cr_assert_str_eq(h, "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
	free(million);

	/* lengths around the padding boundary (55, 56, 63, 64 bytes), in one piece and byte by byte */
	for (size_t len = 50; len <= 70; len++) {
		uint8_t d1[SHA1_DIGEST_LEN], d2[SHA1_DIGEST_LEN];
		sha1_digest(four, len, d1);
		sha1_init(&c);
		for (size_t i = 0; i < len; i++)
			sha1_update(&c, four + i, 1);
		sha1_final(&c, d2);
		cr_assert_arr_eq(d1, d2, sizeof d1, "length %zu", len);
	}
}

static struct community_id_tuple tuple(uint8_t proto, const char *src, const char *dst, uint16_t sp, uint16_t dp,
				       bool ports)
{
	struct community_id_tuple t = { .proto = proto, .sport = sp, .dport = dp, .has_ports = ports };
	if (inet_pton(AF_INET, src, t.src) == 1) {
		t.family = 4;
		cr_assert_eq(inet_pton(AF_INET, dst, t.dst), 1);
	} else {
		t.family = 6;
		cr_assert_eq(inet_pton(AF_INET6, src, t.src), 1);
		cr_assert_eq(inet_pton(AF_INET6, dst, t.dst), 1);
	}
	return t;
}

static void check_cid(uint8_t proto, const char *src, const char *dst, uint16_t sp, uint16_t dp, bool ports,
		      uint16_t seed, const char *want)
{
	struct community_id_tuple t = tuple(proto, src, dst, sp, dp, ports);
	char out[COMMUNITY_ID_SIZE];
	cr_assert(community_id_v1(&t, seed, out));
	cr_assert_str_eq(out, want, "proto %u %s:%u -> %s:%u seed %u", proto, src, sp, dst, dp, seed);
	cr_assert_eq(strlen(out), COMMUNITY_ID_LEN);
}

/* the tables of the baseline's README (default seed and seed 1), both directions */
Test(community_id, spec_tables)
{
	const char *a6 = "fe80:0001:0203:0405:0607:0809:0A0B:0C0D", *b6 = "fe80:1011:1213:1415:1617:1819:1A1B:1C1D";
	check_cid(6, "1.2.3.4", "5.6.7.8", 1122, 3344, true, 0, "1:wCb3OG7yAFWelaUydu0D+125CLM=");
	check_cid(6, "5.6.7.8", "1.2.3.4", 3344, 1122, true, 0, "1:wCb3OG7yAFWelaUydu0D+125CLM=");
	check_cid(17, "1.2.3.4", "5.6.7.8", 1122, 3344, true, 0, "1:0Mu9InQx6z4ZiCZM/7HXi2WMhOg=");
	check_cid(132, "5.6.7.8", "1.2.3.4", 3344, 1122, true, 0, "1:EKt4MsxuyaE6mL+hmrEkQ9csDD8=");
	check_cid(1, "1.2.3.4", "5.6.7.8", 8, 0, true, 0, "1:crodRHL2FEsHjbv3UkRrfbs4bZ0=");
	check_cid(1, "5.6.7.8", "1.2.3.4", 0, 0, true, 0, "1:crodRHL2FEsHjbv3UkRrfbs4bZ0=");
	check_cid(1, "1.2.3.4", "5.6.7.8", 11, 0, true, 0, "1:f/YiSyWqczrTgfUCZlBUnvHRcPk=");
	check_cid(58, a6, b6, 128, 0, true, 0, "1:0bf7hyMJUwt3fMED7z8LIfRpBeo=");
	check_cid(58, b6, a6, 129, 0, true, 0, "1:0bf7hyMJUwt3fMED7z8LIfRpBeo=");
	check_cid(58, a6, b6, 146, 0, true, 0, "1:fYC8+pz24E+EhANP1EZhpX0Dw10=");
	check_cid(46, "1.2.3.4", "5.6.7.8", 0, 0, false, 0, "1:ikv3kmf89luf73WPz1jOs49S768=");
	check_cid(46, "5.6.7.8", "1.2.3.4", 0, 0, false, 0, "1:ikv3kmf89luf73WPz1jOs49S768=");
	check_cid(46, b6, a6, 0, 0, false, 0, "1:wQ/2mwrnXP4lmJcHdGL5ePjR+e0=");

	check_cid(6, "5.6.7.8", "1.2.3.4", 3344, 1122, true, 1, "1:HhA1B+6CoLbiKPEs5nhNYN4XWfk=");
	check_cid(17, "1.2.3.4", "5.6.7.8", 1122, 3344, true, 1, "1:OShq+iKDAMVouh/4bMxB9Sz4amw=");
	check_cid(132, "1.2.3.4", "5.6.7.8", 1122, 3344, true, 1, "1:uitchpn5MMGAQKBJh7bIr/bAr7s=");
	check_cid(1, "5.6.7.8", "1.2.3.4", 0, 0, true, 1, "1:9pr4ZGTICiuZoIh90RRYE2RyXpU=");
	check_cid(1, "1.2.3.4", "5.6.7.8", 11, 0, true, 1, "1:1DD7cWGC/Yg91YGsQeni8du3pIA=");
	check_cid(58, b6, a6, 129, 0, true, 1, "1:IO27GQzPuCtNnwFvjWALMHu5tJE=");
	check_cid(58, a6, b6, 146, 0, true, 1, "1:Cv4IKJe56BNkF0MBW2YxQ3Nwc3s=");
	check_cid(46, a6, b6, 0, 0, false, 1, "1:j6EyyfBzL4vWKHFXgUqb5Az3OxM=");
}

/* One-way ICMP keeps its direction (the spec's reference does not reorder it); a two-way type is ordered; equal
 * addresses are ordered by port; what is not hashable gives "" */
Test(community_id, ordering_and_refusals)
{
	char x[COMMUNITY_ID_SIZE], y[COMMUNITY_ID_SIZE];
	struct community_id_tuple t = tuple(1, "5.6.7.8", "1.2.3.4", 3, 1, true), r = tuple(1, "1.2.3.4", "5.6.7.8", 3, 1, true);
	cr_assert(community_id_v1(&t, 0, x));
	cr_assert(community_id_v1(&r, 0, y));
	cr_assert_str_neq(x, y, "destination unreachable is one way: the two directions differ");

	t = tuple(6, "10.0.0.1", "10.0.0.1", 80, 1234, true);
	r = tuple(6, "10.0.0.1", "10.0.0.1", 1234, 80, true);
	cr_assert(community_id_v1(&t, 0, x));
	cr_assert(community_id_v1(&r, 0, y));
	cr_assert_str_eq(x, y, "equal addresses: the lower port first");

	t = tuple(6, "10.0.0.1", "10.0.0.2", 1, 2, false);
	cr_assert_not(community_id_v1(&t, 0, x), "TCP without ports is not hashable");
	cr_assert_str_eq(x, "");
	t.family = 0;
	t.proto = 47;
	cr_assert_not(community_id_v1(&t, 0, x));

	uint16_t sp, dp;
	bool one_way;
	community_id_icmp_ports(true, 135, 0, &sp, &dp, &one_way);
	cr_assert(sp == 135 && dp == 136 && !one_way, "neighbour solicitation pairs with the advertisement");
	community_id_icmp_ports(false, 3, 3, &sp, &dp, &one_way);
	cr_assert(sp == 3 && dp == 3 && one_way);
}

/* ---- the spec's baseline over combined.pcap.gz ---- */

struct base_entry {
	unsigned proto;
	char saddr[64], daddr[64];
	int sport, dport; /* -1: null (no ports) */
	char cid[2][COMMUNITY_ID_SIZE];
	unsigned seen;
};

static size_t load_baseline(struct base_entry *e, size_t max)
{
	const char *files[2] = { COMMUNITY_ID_DIR "/baseline_deflt.json", COMMUNITY_ID_DIR "/baseline_seed1.json" };
	size_t n = 0;
	for (int f = 0; f < 2; f++) {
		FILE *fp = fopen(files[f], "r");
		cr_assert(fp, "%s", files[f]);
		static char text[65536];
		size_t len = fread(text, 1, sizeof text, fp);
		fclose(fp);
		char err[128];
		struct jv_doc *doc = jv_parse(text, len, err, sizeof err);
		cr_assert(doc, "%s: %s", files[f], err);
		const struct jv *root = jv_root(doc);
		cr_assert_eq(root->type, JV_ARRAY);
		size_t i = 0;
		for (const struct jv *o = root->child; o; o = o->next, i++) {
			cr_assert(i < max);
			struct base_entry *b = &e[i];
			const struct jv *sp = jv_get(o, "sport"), *dp = jv_get(o, "dport");
			struct base_entry cur = { .proto = (unsigned)jv_u64(o, "proto", 999) };
			snprintf(cur.saddr, sizeof cur.saddr, "%s", jv_str(o, "saddr"));
			snprintf(cur.daddr, sizeof cur.daddr, "%s", jv_str(o, "daddr"));
			cur.sport = sp && sp->type == JV_NUMBER ? (int)sp->num : -1;
			cur.dport = dp && dp->type == JV_NUMBER ? (int)dp->num : -1;
			if (f == 0) {
				*b = cur;
			} else {
				/* the two files list the same tuples in the same order */
				cr_assert(b->proto == cur.proto && !strcmp(b->saddr, cur.saddr) &&
					  !strcmp(b->daddr, cur.daddr) && b->sport == cur.sport && b->dport == cur.dport);
			}
			snprintf(b->cid[f], sizeof b->cid[f], "%s", jv_str(o, "communityid"));
		}
		if (f == 0)
			n = i;
		else
			cr_assert_eq(i, n);
		jv_free(doc);
	}
	return n;
}

Test(community_id, baseline_every_packet_of_combined_pcap)
{
	struct base_entry base[64];
	size_t nbase = load_baseline(base, 64);
	cr_assert_eq(nbase, 23, "the baseline lists 23 tuples");

	FILE *fp = popen("gzip -dc '" COMMUNITY_ID_DIR "/combined.pcap.gz'", "r");
	cr_assert(fp, "gzip");
	bool other = false;
	struct pcapfile *r = pcapfile_open(fp, "combined.pcap", &other);
	cr_assert(r, "combined.pcap is a classic pcap file");
	int dlt = pcapfile_linktype(r);
	struct pcap_pkthdr h;
	const uint8_t *data;
	char err[256];
	unsigned frames = 0, ip = 0, matched = 0;
	struct decode_stats st = { 0 };
	int rc;
	while ((rc = pcapfile_next(r, &h, &data, err, sizeof err)) == 1) {
		frames++;
		struct packet pkt;
		uint64_t ts = (uint64_t)h.ts.tv_sec * 1000000u + (uint64_t)h.ts.tv_usec;
		enum decode_result dr = decode_packet(dlt, data, h.caplen, h.len, ts, &pkt, &st);
		if (dr == DECODE_NOT_IP)
			continue; /* the capture's ARP frames */
		cr_assert_eq(dr, DECODE_OK, "frame %u decodes", frames);
		ip++;
		struct community_id_tuple t;
		cr_assert(community_id_tuple_of_packet(&pkt, &t), "frame %u has a tuple", frames);

		/* the baseline's key: ICMP types already mapped, no ports for port-less protocols */
		int sport = -1, dport = -1;
		if (t.has_ports) {
			uint16_t sp = t.sport, dp = t.dport;
			bool one_way;
			if (t.proto == 1 || t.proto == 58)
				community_id_icmp_ports(t.proto == 58, (uint8_t)t.sport, (uint8_t)t.dport, &sp, &dp,
							&one_way);
			sport = sp;
			dport = dp;
		}
		char sa[64], da[64];
		int af = t.family == 4 ? AF_INET : AF_INET6;
		inet_ntop(af, t.src, sa, sizeof sa);
		inet_ntop(af, t.dst, da, sizeof da);
		struct base_entry *b = NULL;
		for (size_t i = 0; i < nbase && !b; i++)
			if (base[i].proto == t.proto && !strcmp(base[i].saddr, sa) && !strcmp(base[i].daddr, da) &&
			    base[i].sport == sport && base[i].dport == dport)
				b = &base[i];
		cr_assert(b, "frame %u (proto %u %s:%d -> %s:%d) is in the baseline", frames, t.proto, sa, sport, da,
			  dport);
		char seed0[COMMUNITY_ID_SIZE], seed1[COMMUNITY_ID_SIZE];
		cr_assert(community_id_v1(&t, 0, seed0));
		cr_assert(community_id_v1(&t, 1, seed1));
		cr_assert_str_eq(seed0, b->cid[0], "frame %u, seed 0", frames);
		cr_assert_str_eq(seed1, b->cid[1], "frame %u, seed 1", frames);
		b->seen++;
		matched++;
	}
	cr_assert_eq(rc, 0, "read to the end: %s", err);
	pcapfile_close(r);
	cr_assert_eq(pclose(fp), 0, "gzip -dc succeeded");
	cr_assert_eq(frames, 68, "the capture has 68 frames");
	cr_assert_eq(ip, 62, "62 of them carry IP");
	cr_assert_eq(matched, ip);
	for (size_t i = 0; i < nbase; i++)
		cr_assert(base[i].seen, "baseline tuple %zu (%s -> %s) met by a packet", i, base[i].saddr, base[i].daddr);
}

/* nDPI 4.2 has a Community ID helper (ndpi_flowv4_flow_hash, ndpi_flowv6_flow_hash). Checked here: given the IPv4
 * addresses and ports in host order, and ICMP's type and code apart, it gives the spec's seed-0 values on every
 * packet of the baseline; but its seed is fixed at 0, so cmflow keeps its own (--community-id-seed). */
#include <ndpi/ndpi_api.h>

Test(community_id, ndpi_helper_agrees_at_seed_0)
{
	FILE *fp = popen("gzip -dc '" COMMUNITY_ID_DIR "/combined.pcap.gz'", "r");
	cr_assert(fp);
	bool other = false;
	struct pcapfile *r = pcapfile_open(fp, "combined.pcap", &other);
	cr_assert(r);
	struct pcap_pkthdr h;
	const uint8_t *data;
	char err[256];
	struct decode_stats st = { 0 };
	unsigned compared = 0;
	while (pcapfile_next(r, &h, &data, err, sizeof err) == 1) {
		struct packet pkt;
		if (decode_packet(pcapfile_linktype(r), data, h.caplen, h.len, 0, &pkt, &st) != DECODE_OK)
			continue;
		struct community_id_tuple t;
		cr_assert(community_id_tuple_of_packet(&pkt, &t));
		char mine[COMMUNITY_ID_SIZE];
		cr_assert(community_id_v1(&t, 0, mine));
		bool icmp = t.proto == 1 || t.proto == 58;
		u_int16_t sp = icmp ? 0 : t.sport, dp = icmp ? 0 : t.dport;
		u_char theirs[64] = { 0 };
		int rc;
		if (t.family == 4) {
			uint32_t a = (uint32_t)t.src[0] << 24 | (uint32_t)t.src[1] << 16 | (uint32_t)t.src[2] << 8 | t.src[3];
			uint32_t b = (uint32_t)t.dst[0] << 24 | (uint32_t)t.dst[1] << 16 | (uint32_t)t.dst[2] << 8 | t.dst[3];
			rc = ndpi_flowv4_flow_hash(t.proto, a, b, sp, dp, pkt.icmp_type, pkt.icmp_code, theirs,
						   sizeof theirs);
		} else {
			struct ndpi_in6_addr a, b;
			memcpy(&a, t.src, 16);
			memcpy(&b, t.dst, 16);
			rc = ndpi_flowv6_flow_hash(t.proto, &a, &b, sp, dp, pkt.icmp_type, pkt.icmp_code, theirs,
						   sizeof theirs);
		}
		cr_assert_eq(rc, 0);
		cr_assert_str_eq((char *)theirs, mine);
		compared++;
	}
	pcapfile_close(r);
	pclose(fp);
	cr_assert_eq(compared, 62);
}

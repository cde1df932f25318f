/* Unit tests of the flow table: canonical keys, lookup, expiry by class, eviction at the cap, flush. */
#include <criterion/criterion.h>
#include <pcap/pcap.h>
#include <string.h>
#include <stdlib.h>

#include "flow/flow_ext.h"
#include "flow/flow_release.h"
#include "flow/smbrpc.h"
#include "proto/x509.h"
#include "flow/flow_table.h"
#include "engine/engine.h"

static const uint32_t timeouts[TMO_COUNT] = {
	[TMO_TCP_NEW] = 30, [TMO_TCP_EST] = 600, [TMO_TCP_CLOSED] = 10, [TMO_UDP_NEW] = 30,
	[TMO_UDP_EST] = 120, [TMO_ICMP] = 30, [TMO_OTHER] = 60,
};

struct ended {
	uint64_t ids[64];
	uint8_t reasons[64];
	int n;
};

static void on_end(void *ctx, struct flow *f)
{
	struct ended *e = ctx;
	if (e->n < 64) {
		e->ids[e->n] = f->id;
		e->reasons[e->n] = f->end_reason;
	}
	e->n++;
}

static void v4_key(struct flow_key *k, uint8_t src_last, uint8_t dst_last, uint16_t sport, uint16_t dport,
		   uint8_t proto, bool *from_lo)
{
	uint8_t s[16] = { 10, 2, 0, src_last }, d[16] = { 10, 1, 0, dst_last };
	uint16_t vlan[2] = { 0, 0 };
	flow_key_make(k, 4, s, d, sport, dport, proto, vlan, from_lo);
}

static struct flow_table *table(uint32_t max, struct ended *e)
{
	struct hash_key hk = { 1, 2 };
	struct flow_table *ft = flow_table_new(max, timeouts, &hk, on_end, e);
	cr_assert_not_null(ft);
	return ft;
}

Test(flow_table, key_is_the_same_both_ways)
{
	struct flow_key a, b;
	bool lo_a, lo_b;
	v4_key(&a, 21, 10, 49152, 80, 6, &lo_a);
	uint8_t s[16] = { 10, 1, 0, 10 }, d[16] = { 10, 2, 0, 21 };
	uint16_t vlan[2] = { 0, 0 };
	flow_key_make(&b, 4, s, d, 80, 49152, 6, vlan, &lo_b);
	cr_assert_eq(memcmp(&a, &b, sizeof a), 0);
	cr_assert_neq(lo_a, lo_b);
}

Test(flow_table, vlan_and_protocol_are_part_of_the_key)
{
	struct flow_key a, b, c;
	bool lo;
	uint8_t s[16] = { 10, 2, 0, 21 }, d[16] = { 10, 1, 0, 10 };
	uint16_t v0[2] = { 0, 0 }, v1[2] = { 100, 0 };
	flow_key_make(&a, 4, s, d, 5000, 53, 17, v0, &lo);
	flow_key_make(&b, 4, s, d, 5000, 53, 17, v1, &lo);
	flow_key_make(&c, 4, s, d, 5000, 53, 6, v0, &lo);
	cr_assert_neq(memcmp(&a, &b, sizeof a), 0);
	cr_assert_neq(memcmp(&a, &c, sizeof a), 0);
}

Test(flow_table, get_finds_what_it_created)
{
	struct ended e = { 0 };
	struct flow_table *ft = table(16, &e);
	struct flow_key k;
	bool lo, created;
	v4_key(&k, 21, 10, 49152, 80, 6, &lo);
	uint64_t h = flow_table_hash(ft, &k);
	cr_assert_null(flow_table_get(ft, &k, h, 1000, false, &created));
	struct flow *f = flow_table_get(ft, &k, h, 1000, true, &created);
	cr_assert_not_null(f);
	cr_assert(created);
	cr_assert_eq(memcmp(&f->key, &k, sizeof k), 0);
	struct flow *g = flow_table_get(ft, &k, h, 2000, true, &created);
	cr_assert_eq(f, g);
	cr_assert_not(created);
	cr_assert_eq(flow_table_stats(ft)->created, 1);
	cr_assert_eq(flow_table_stats(ft)->active, 1);
	flow_table_free(ft);
}

Test(flow_table, oldest_is_evicted_at_the_cap)
{
	struct ended e = { 0 };
	struct flow_table *ft = table(4, &e);
	struct flow *first = NULL;
	uint64_t first_id = 0;
	for (int i = 0; i < 4; i++) {
		struct flow_key k;
		bool lo, created;
		v4_key(&k, 21, 10, (uint16_t)(40000 + i), 80, 6, &lo);
		struct flow *f = flow_table_get(ft, &k, flow_table_hash(ft, &k), 1000000 * (uint64_t)(i + 1), true,
						&created);
		cr_assert_not_null(f);
		flow_table_touch(ft, f, TMO_TCP_EST, 1000000 * (uint64_t)(i + 1));
		if (i == 0)
			first = f, first_id = f->id = 77;
		else
			f->id = 100 + (uint64_t)i;
	}
	cr_assert_eq(e.n, 0);
	/* the first flow sees a packet again: the oldest is now the second */
	flow_table_touch(ft, first, TMO_TCP_EST, 5000000);
	struct flow_key k;
	bool lo, created;
	v4_key(&k, 22, 10, 40000, 80, 6, &lo);
	cr_assert_not_null(flow_table_get(ft, &k, flow_table_hash(ft, &k), 6000000, true, &created));
	cr_assert_eq(e.n, 1);
	cr_assert_eq(e.ids[0], 101, "the least recently seen flow goes first");
	cr_assert_eq(e.reasons[0], FLOW_END_FORCED);
	cr_assert_eq(flow_table_stats(ft)->evicted, 1);
	cr_assert_eq(flow_table_stats(ft)->active, 4);
	cr_assert_eq(flow_table_capacity(ft), 4);
	(void)first_id;
	flow_table_free(ft);
}

Test(flow_table, expiry_follows_the_timeout_class)
{
	struct ended e = { 0 };
	struct flow_table *ft = table(16, &e);
	struct flow_key k1, k2;
	bool lo, created;
	v4_key(&k1, 21, 10, 40000, 80, 6, &lo);
	v4_key(&k2, 21, 10, 5353, 53, 17, &lo);
	struct flow *tcp = flow_table_get(ft, &k1, flow_table_hash(ft, &k1), 0, true, &created);
	tcp->id = 1;
	flow_table_touch(ft, tcp, TMO_TCP_EST, 0);
	struct flow *udp = flow_table_get(ft, &k2, flow_table_hash(ft, &k2), 0, true, &created);
	udp->id = 2;
	flow_table_touch(ft, udp, TMO_UDP_NEW, 0);

	cr_assert_eq(flow_table_expire(ft, 29 * 1000000ULL), 0);
	cr_assert_eq(flow_table_expire(ft, 31 * 1000000ULL), 1, "UDP one-way flows expire after 30 s");
	cr_assert_eq(e.ids[0], 2);
	cr_assert_eq(e.reasons[0], FLOW_END_TIMEOUT);
	cr_assert_eq(flow_table_expire(ft, 599 * 1000000ULL), 0);
	cr_assert_eq(flow_table_expire(ft, 601 * 1000000ULL), 1);
	cr_assert_eq(flow_table_stats(ft)->timed_out, 2);
	cr_assert_eq(flow_table_stats(ft)->active, 0);
	flow_table_free(ft);
}

Test(flow_table, flush_ends_every_flow_and_records_are_reused)
{
	struct ended e = { 0 };
	struct flow_table *ft = table(8, &e);
	for (int round = 0; round < 3; round++) {
		for (int i = 0; i < 8; i++) {
			struct flow_key k;
			bool lo, created;
			v4_key(&k, (uint8_t)i, 10, (uint16_t)(1000 + round), 443, 6, &lo);
			struct flow *f = flow_table_get(ft, &k, flow_table_hash(ft, &k), 1, true, &created);
			cr_assert(created);
			flow_table_touch(ft, f, TMO_TCP_NEW, 1);
		}
		flow_table_flush(ft, FLOW_END_SHUTDOWN);
		cr_assert_eq(flow_table_stats(ft)->active, 0);
	}
	cr_assert_eq(e.n, 24);
	cr_assert_eq(e.reasons[23], FLOW_END_SHUTDOWN);
	cr_assert_eq(flow_table_stats(ft)->evicted, 0);
	flow_table_free(ft);
}

Test(flow_table, hash_depends_on_the_seed)
{
	struct hash_key k1 = { 1, 2 }, k2 = { 3, 4 };
	const char msg[] = "10.2.0.21:49152 -> 10.1.0.10:80";
	cr_assert_neq(hash_siphash13(&k1, msg, sizeof msg), hash_siphash13(&k2, msg, sizeof msg));
	cr_assert_eq(hash_siphash13(&k1, msg, sizeof msg), hash_siphash13(&k1, msg, sizeof msg));
}

/* SipHash-1-3 with key 00..0f: values from an independent implementation that reproduces the published
 * SipHash-2-4 vector (empty message: 726fdb47dd0e0e31) when run with 2 and 4 rounds. */
Test(flow_table, siphash13_reference_vector)
{
	struct hash_key k = { 0x0706050403020100ULL, 0x0f0e0d0c0b0a0908ULL };
	uint8_t m[15];
	for (int i = 0; i < 15; i++)
		m[i] = (uint8_t)i;
	cr_assert_eq(hash_siphash13(&k, "", 0), 0xabac0158050fc4dcULL);
	cr_assert_eq(hash_siphash13(&k, m, sizeof m), 0xd320d86d2a519956ULL);
}

/* A flood of unanswered flows (SYNs) does not push out an older conversation: unanswered flows go first. */
Test(flow_table, unanswered_flows_are_evicted_before_conversations)
{
	struct ended e = { 0 };
	struct flow_table *ft = table(4, &e);
	struct flow_key k;
	bool lo, created;
	v4_key(&k, 21, 10, 40000, 445, 6, &lo);
	struct flow *conv = flow_table_get(ft, &k, flow_table_hash(ft, &k), 1000000, true, &created);
	cr_assert_not_null(conv);
	conv->id = 7;
	flow_table_touch(ft, conv, TMO_TCP_CLOSED, 1000000); /* due first of all: closed, short timeout */
	for (int i = 0; i < 20; i++) {
		v4_key(&k, (uint8_t)(100 + i), 10, (uint16_t)(50000 + i), 8443, 6, &lo);
		uint64_t now = 2000000 + 1000 * (uint64_t)i;
		struct flow *f = flow_table_get(ft, &k, flow_table_hash(ft, &k), now, true, &created);
		cr_assert_not_null(f);
		f->id = 100 + (uint64_t)i;
		flow_table_touch(ft, f, TMO_TCP_NEW, now);
	}
	cr_assert_eq(e.n, 17, "ended %d", e.n);
	for (int i = 0; i < e.n; i++) {
		cr_assert_neq(e.ids[i], 7, "the conversation was evicted");
		cr_assert_eq(e.reasons[i], FLOW_END_FORCED);
	}
	cr_assert_eq(e.ids[0], 100, "the oldest unanswered flow goes first");
	flow_table_free(ft);
}

/* The memory target: a flow whose detection has ended keeps its record and, when it has HTTP, TLS or SMB fields,
 * a side record (strings shared or counted apart); with the allocator's 16 bytes of header and rounding the two
 * stay within 256 bytes. */
Test(flow_table, an_ended_flow_costs_at_most_256_bytes)
{
	size_t side = (sizeof(struct flow_ext) + 8 + 15) / 16 * 16; /* glibc's chunk: size + header, 16-aligned */
	cr_assert_leq(flow_table_record_size() + side, 256, "record %zu + side record %zu", flow_table_record_size(),
		      side);
	cr_assert_leq(flow_table_record_size(), 160);
	/* what SMB and DCE/RPC flows keep (shares, files, pipes, interfaces) is a record of their own (smbrpc.h),
	 * allocated only for them: the side record holds one pointer to it */
	cr_assert_leq(sizeof(struct flow_ext), 88);
}

/* The SMB and DCE/RPC record goes with the side record (ASan finds what would leak). */
Test(flow_table, the_smb_record_is_freed_with_the_flow)
{
	struct flow f;
	memset(&f, 0, sizeof f);
	struct flow_ext *x = flow_ext_get(&f);
	cr_assert_not_null(x);
	x->smbrpc = calloc(1, sizeof *x->smbrpc);
	struct flow_smbrpc *r = x->smbrpc;
	r->shares = calloc(2, sizeof *r->shares);
	r->nshares = r->cap_shares = 2;
	char longname[300];
	memset(longname, 'a', sizeof longname - 1);
	longname[sizeof longname - 1] = '\0';
	flow_ext_set_str(&r->shares[0].name, "ADMIN$", 6);           /* shared (interned) */
	flow_ext_set_str(&r->shares[1].name, longname, strlen(longname)); /* a copy of its own */
	r->ifaces = calloc(1, sizeof *r->ifaces);
	r->nifaces = r->cap_ifaces = 1;
	flow_release(&f);
	cr_assert_null(f.ext);
}

/* A TLS flow's handshake record: the posture and four names, allocated only for TLS flows once their reader has
 * settled; each name at most X509_NAME_MAX bytes (shared or an own copy), so a TLS flow's whole cost is bounded. */
Test(flow_table, the_tls_record_is_bounded_and_kept_apart)
{
	cr_assert_leq(sizeof(struct flow_tls), 48);
	size_t chunk = (sizeof(struct flow_tls) + 8 + 15) / 16 * 16;
	size_t names = 4 * ((X509_NAME_MAX + 8 + 15) / 16 * 16);
	cr_assert_leq(flow_table_record_size() + (sizeof(struct flow_ext) + 8 + 15) / 16 * 16 + chunk + names, 1500,
		      "a TLS flow's record, side record and handshake record");
	struct flow f;
	memset(&f, 0, sizeof f);
	cr_assert_not_null(flow_ext_get(&f));
	cr_assert_null(f.ext->tls, "a flow keeps no TLS record until a handshake is read");
	struct flow_tls *t = flow_ext_tls(&f);
	cr_assert_not_null(t);
	cr_assert_eq(flow_ext_tls(&f), t);
	char name[X509_NAME_MAX];
	memset(name, 'a', sizeof name - 1);
	name[sizeof name - 1] = '\0';
	cr_assert(flow_ext_set_str(&t->subject, name, strlen(name)));
	cr_assert(flow_ext_set_str(&t->issuer, "CN=SMS Issuing", 14));
	flow_release(&f); /* frees the names too (ASan says so) */
	cr_assert_null(f.ext);
}

/* The TLS handshake readers alive at once are bounded per engine: the ClientHello of a real connection
 * (pcaps/tls12-postures.pcap, openssl s_client) replayed from as many client ports as the bound and more starts a
 * reader for each flow up to INSPECT_TLS_READERS_MAX; the flows beyond it keep their hello fields only, and are
 * counted (cmflow.tls.not_read). */
Test(flow_table, tls_handshake_readers_are_bounded_per_engine)
{
	char errbuf[PCAP_ERRBUF_SIZE], err[256];
	pcap_t *p = pcap_open_offline(PCAP_DIR "/tls12-postures.pcap", errbuf);
	cr_assert_not_null(p, "%s", errbuf);
	struct pcap_pkthdr *h;
	const uint8_t *data;
	uint8_t hello[2048];
	struct pcap_pkthdr hh;
	bool found = false;
	while (!found && pcap_next_ex(p, &h, &data) == 1) {
		/* Ethernet, IPv4 without options, TCP: the first segment with a payload is the ClientHello */
		if (h->caplen < 54 || data[12] != 0x08 || data[13] != 0x00 || data[23] != 6)
			continue;
		unsigned tcp = 14 + 20, off = (unsigned)(data[tcp + 12] >> 4) * 4;
		if (h->caplen > tcp + off && data[tcp + off] == 0x16 && h->caplen <= sizeof hello) {
			memcpy(hello, data, h->caplen);
			hh = *h;
			found = true;
		}
	}
	pcap_close(p);
	cr_assert(found, "no ClientHello in the capture");
	struct engine_config cfg;
	engine_config_defaults(&cfg);
	struct engine *e = engine_new(&cfg, err, sizeof err);
	cr_assert_not_null(e, "%s", err);
	unsigned flows = INSPECT_TLS_READERS_MAX + 100;
	for (unsigned i = 0; i < flows; i++) {
		uint16_t port = (uint16_t)(20000 + i);
		hello[34] = (uint8_t)(port >> 8);
		hello[35] = (uint8_t)port;
		engine_packet(e, DLT_EN10MB, 0, &hh, hello);
	}
	struct run_stats rs;
	memset(&rs, 0, sizeof rs);
	engine_stats_add(e, &rs);
	cr_assert_eq(rs.tls_handshakes, INSPECT_TLS_READERS_MAX);
	cr_assert_eq(rs.tls_not_read, 100);
	cr_assert_eq(e->istats.tls_readers_live, INSPECT_TLS_READERS_MAX);
	engine_finish(e); /* every reader settles (not seen: only a hello) and is freed */
	cr_assert_eq(e->istats.tls_readers_live, 0);
	engine_free(e);
}

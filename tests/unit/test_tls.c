/* Unit tests of the TLS hello parsers: names and versions, and every cut of a hello read within its bounds. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "proto/tls.h"

struct msg {
	uint8_t b[1024];
	size_t n;
};

static void put(struct msg *m, const void *p, size_t n)
{
	cr_assert(m->n + n <= sizeof m->b);
	memcpy(m->b + m->n, p, n);
	m->n += n;
}

static void u8(struct msg *m, unsigned v)
{
	uint8_t b = (uint8_t)v;
	put(m, &b, 1);
}

static void be16(struct msg *m, unsigned v)
{
	u8(m, v >> 8);
	u8(m, v);
}

/* A handshake record around body: record header, handshake type and 24-bit length. */
static struct msg record(uint8_t hs_type, const struct msg *body)
{
	struct msg r = { .n = 0 };
	u8(&r, 22);
	be16(&r, 0x0301);
	be16(&r, body->n + 4);
	u8(&r, hs_type);
	u8(&r, 0);
	be16(&r, body->n);
	put(&r, body->b, body->n);
	return r;
}

static struct msg client_hello(const char *sni)
{
	struct msg h = { .n = 0 }, ext = { .n = 0 };
	uint8_t random[32] = { 0 };
	be16(&h, 0x0303);
	put(&h, random, 32);
	u8(&h, 32); /* session id */
	put(&h, random, 32);
	be16(&h, 4); /* two cipher suites */
	be16(&h, 0x1301);
	be16(&h, 0xc02f);
	u8(&h, 1);
	u8(&h, 0);
	/* a supported_groups extension first, then server_name */
	be16(&ext, 10);
	be16(&ext, 4);
	be16(&ext, 2);
	be16(&ext, 29);
	if (sni) {
		size_t n = strlen(sni);
		be16(&ext, 0);
		be16(&ext, n + 5);
		be16(&ext, n + 3);
		u8(&ext, 0);
		be16(&ext, n);
		put(&ext, sni, n);
	}
	be16(&h, ext.n);
	put(&h, ext.b, ext.n);
	return record(1, &h);
}

static struct msg server_hello(unsigned legacy, unsigned supported)
{
	struct msg h = { .n = 0 };
	uint8_t random[32] = { 0 };
	be16(&h, legacy);
	put(&h, random, 32);
	u8(&h, 0);
	be16(&h, 0x1301);
	u8(&h, 0);
	if (supported) {
		be16(&h, 6);
		be16(&h, 43);
		be16(&h, 2);
		be16(&h, supported);
	}
	return record(2, &h);
}

Test(tls, client_hello_names_the_server)
{
	struct msg m = client_hello("mp.abc.example");
	struct tls_hello h;
	cr_assert(tls_parse_client_hello(m.b, m.n, &h));
	cr_assert_str_eq(h.sni, "mp.abc.example");
	cr_assert_eq(h.version, 0x0303);
	cr_assert_not(tls_parse_server_hello(m.b, m.n, &h), "a ClientHello is not a ServerHello");
}

Test(tls, client_hello_without_name)
{
	struct msg m = client_hello(NULL);
	struct tls_hello h;
	cr_assert(tls_parse_client_hello(m.b, m.n, &h));
	cr_assert_str_eq(h.sni, "");
}

Test(tls, server_hello_versions)
{
	struct tls_hello h;
	struct msg m12 = server_hello(0x0303, 0), m13 = server_hello(0x0303, 0x0304), m10 = server_hello(0x0301, 0);
	cr_assert(tls_parse_server_hello(m12.b, m12.n, &h));
	cr_assert_str_eq(tls_version_name(h.version), "TLSv1.2");
	cr_assert(tls_parse_server_hello(m13.b, m13.n, &h));
	cr_assert_str_eq(tls_version_name(h.version), "TLSv1.3", "TLS 1.3 names itself in supported_versions");
	cr_assert(tls_parse_server_hello(m10.b, m10.n, &h));
	cr_assert_str_eq(tls_version_name(h.version), "TLSv1");
	cr_assert_null(tls_version_name(0x7f1c));
}

Test(tls, ssl2_client_hello)
{
	/* 2-byte SSL 2 record header, CLIENT-HELLO, version 3.1 */
	static const uint8_t ssl2[] = { 0x80, 0x2e, 0x01, 0x03, 0x01, 0x00, 0x15, 0x00, 0x00, 0x00, 0x10 };
	struct tls_hello h;
	cr_assert(tls_parse_client_hello(ssl2, sizeof ssl2, &h));
	cr_assert_eq(h.version, 0x0301);
}

Test(tls, not_tls)
{
	static const char *others[] = { "GET / HTTP/1.1\r\n\r\n", "\x16\x03", "\x17\x03\x03\x00\x10 application data",
					"\x16\x03\x05\x00\x10\x01\x00\x00\x0c\x03\x03" };
	struct tls_hello h;
	for (size_t i = 0; i < sizeof others / sizeof others[0]; i++)
		cr_assert_not(tls_parse_client_hello((const uint8_t *)others[i], strlen(others[i]), &h), "case %zu", i);
}

/* Every prefix of a hello: the segment end may fall anywhere; nothing is read beyond it (a copy of exactly that
 * length on the heap, so that AddressSanitizer sees an overread), and a name is either whole or absent. */
Test(tls, every_cut_stays_in_bounds)
{
	struct msg c = client_hello("dp.abc.example"), s = server_hello(0x0303, 0x0304);
	for (size_t n = 0; n <= c.n; n++) {
		uint8_t *copy = malloc(n ? n : 1);
		memcpy(copy, c.b, n);
		struct tls_hello h;
		bool ok = tls_parse_client_hello(copy, n, &h);
		cr_assert_eq(ok, n >= 11, "cut at %zu", n);
		cr_assert(!ok || h.sni[0] == '\0' || strcmp(h.sni, "dp.abc.example") == 0, "cut at %zu: '%s'", n, h.sni);
		free(copy);
	}
	for (size_t n = 0; n <= s.n; n++) {
		uint8_t *copy = malloc(n ? n : 1);
		memcpy(copy, s.b, n);
		struct tls_hello h;
		tls_parse_server_hello(copy, n, &h);
		free(copy);
	}
}

/* ==== the handshake reader (proto/tls_handshake.h) and the names reader (proto/x509.h) ====
 *
 * Real captures: every TCP connection of the TLS captures that tshark dissects (tests/unit/tls-expected.tsv,
 * written by tests/unit/tls_expected.py from tshark's fields) is fed to the reader segment by segment, as the
 * engine will feed it, and its posture, version, CertificateRequest, client Certificate length,
 * CertificateVerify and certificate names must equal tshark's. Then every cut: each direction's stream is split
 * at every byte of its first TLS_CUT_SPAN bytes (the handshake) and must give the same answer, and cut short
 * there must still end in a final posture, each segment a heap copy of its exact length (AddressSanitizer sees
 * any overread). */
#include <arpa/inet.h>
#include <stdio.h>

#include "decode/decode.h"
#include "input/capture.h"
#include "proto/tls_handshake.h"
#include "proto/x509.h"

#define TLS_CUT_SPAN 6000u

struct seg {
	bool from_a;               /* sent by the connection's endpoint a */
	uint32_t seq;
	uint8_t *data;
	uint32_t len;
};

/* One TCP connection of a capture: endpoints as "addr|port" (tshark's form), its payload segments in capture
 * order. */
struct conn {
	char a[64], b[64];
	struct seg *segs;
	size_t n, cap;
};

struct capfile {
	struct conn *conns;
	size_t n, cap;
	struct decode_stats st;
};

static void endpoint_str(const struct packet *p, bool src, char *out, size_t len)
{
	char ip[INET6_ADDRSTRLEN];
	inet_ntop(p->l3 == L3_IPV6 ? AF_INET6 : AF_INET, src ? p->src : p->dst, ip, sizeof ip);
	snprintf(out, len, "%s|%u", ip, src ? p->sport : p->dport);
}

static void on_packet(void *ctx, int linktype, const struct pcap_pkthdr *h, const uint8_t *data)
{
	struct capfile *cf = ctx;
	struct packet p;
	char src[64], dst[64];
	if (decode_packet(linktype, data, h->caplen, h->len, 0, &p, &cf->st) != DECODE_OK || p.ip_proto != 6 ||
	    !p.has_ports || p.is_fragment || !p.payload_len)
		return;
	endpoint_str(&p, true, src, sizeof src);
	endpoint_str(&p, false, dst, sizeof dst);
	struct conn *c = NULL;
	for (size_t i = 0; i < cf->n && !c; i++)
		if ((!strcmp(cf->conns[i].a, src) && !strcmp(cf->conns[i].b, dst)) ||
		    (!strcmp(cf->conns[i].a, dst) && !strcmp(cf->conns[i].b, src)))
			c = &cf->conns[i];
	if (!c) {
		if (cf->n == cf->cap) {
			cf->cap = cf->cap ? cf->cap * 2 : 16;
			cf->conns = realloc(cf->conns, cf->cap * sizeof *cf->conns);
		}
		c = &cf->conns[cf->n++];
		memset(c, 0, sizeof *c);
		snprintf(c->a, sizeof c->a, "%s", src);
		snprintf(c->b, sizeof c->b, "%s", dst);
	}
	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 32;
		c->segs = realloc(c->segs, c->cap * sizeof *c->segs);
	}
	struct seg *s = &c->segs[c->n++];
	s->from_a = !strcmp(c->a, src);
	s->seq = p.tcp_seq;
	s->len = p.payload_len;
	s->data = malloc(s->len);
	memcpy(s->data, p.payload, s->len);
}

static struct capfile *load(const char *rel)
{
	static struct { char name[128]; struct capfile *cf; } cache[16];
	for (size_t i = 0; i < 16 && cache[i].cf; i++)
		if (!strcmp(cache[i].name, rel))
			return cache[i].cf;
	char path[512], err[PCAP_ERRBUF_SIZE + 256];
	snprintf(path, sizeof path, "%s/%s", PCAP_DIR, rel);
	const char *files[] = { path, NULL };
	struct capture_options opt = { .files = files };
	struct capfile *cf = calloc(1, sizeof *cf);
	struct capture *cap = capture_open(&opt, err, sizeof err);
	cr_assert_not_null(cap, "%s", err);
	/* a damaged capture (suricata-verify's DER test) gives the packets before the damage, as tshark does */
	capture_run(cap, on_packet, cf, err, sizeof err);
	capture_close(cap);
	for (size_t i = 0; i < 16; i++)
		if (!cache[i].cf) {
			snprintf(cache[i].name, sizeof cache[i].name, "%s", rel);
			cache[i].cf = cf;
			break;
		}
	return cf;
}

/* One row of the expected file. */
struct expect {
	char capture[128], client[64], server[64], posture[32], why[32];
	char server_subject[X509_NAME_MAX], server_issuer[X509_NAME_MAX], client_subject[X509_NAME_MAX],
		client_issuer[X509_NAME_MAX];
	bool has_start[2];
	uint32_t start[2];
	unsigned version, cert_request, cert_verify;
	long client_cert_len;      /* -1: no client Certificate message */
};

static size_t load_expected(struct expect **out)
{
	FILE *fp = fopen(TEST_DIR "/tls-expected.tsv", "r");
	cr_assert_not_null(fp, "tests/unit/tls-expected.tsv");
	char line[4096];
	size_t n = 0, cap = 0;
	struct expect *e = NULL;
	while (fgets(line, sizeof line, fp)) {
		if (line[0] == '#' || line[0] == '\n')
			continue;
		line[strcspn(line, "\n")] = '\0';
		char *col[15];
		size_t k = 0;
		for (char *p = line; k < 15; k++) {
			col[k] = p;
			p = strchr(p, '\t');
			if (!p) {
				k++;
				break;
			}
			*p++ = '\0';
		}
		cr_assert_eq(k, 15, "tls-expected.tsv: a row of %zu columns", k);
		if (n == cap)
			e = realloc(e, (cap = cap ? cap * 2 : 64) * sizeof *e);
		struct expect *x = &e[n++];
		memset(x, 0, sizeof *x);
#define COPY(dst, s) snprintf(dst, sizeof dst, "%s", strcmp(s, "-") ? s : "")
		COPY(x->capture, col[0]);
		COPY(x->client, col[1]);
		COPY(x->server, col[2]);
		for (int d = 0; d < 2; d++) {
			x->has_start[d] = strcmp(col[3 + d], "-") != 0;
			x->start[d] = (uint32_t)strtoul(col[3 + d], NULL, 10);
		}
		COPY(x->posture, col[5]);
		COPY(x->why, col[6]);
		x->version = (unsigned)strtoul(col[7], NULL, 16);
		x->cert_request = (unsigned)atoi(col[8]);
		x->client_cert_len = strcmp(col[9], "-") ? atol(col[9]) : -1;
		x->cert_verify = (unsigned)atoi(col[10]);
		COPY(x->server_subject, col[11]);
		COPY(x->server_issuer, col[12]);
		COPY(x->client_subject, col[13]);
		COPY(x->client_issuer, col[14]);
#undef COPY
	}
	fclose(fp);
	*out = e;
	return n;
}

static const struct conn *find_conn(const struct expect *x)
{
	struct capfile *cf = load(x->capture);
	for (size_t i = 0; i < cf->n; i++) {
		const struct conn *c = &cf->conns[i];
		if ((!strcmp(c->a, x->client) && !strcmp(c->b, x->server)) ||
		    (!strcmp(c->b, x->client) && !strcmp(c->a, x->server)))
			return c;
	}
	return NULL;
}

/* How a connection is fed: whole, or with direction cut_dir's stream split (cut_keep false) or ended (cut_keep
 * true) at stream offset cut_at. */
struct feed {
	int cut_dir;               /* -1: not cut */
	uint32_t cut_at;
	bool cut_short;
	size_t peak;               /* the most the reader held */
};

/* Feeds one segment from a heap copy of exactly its length. */
static void feed_one(struct tls_hs *s, int dir, uint32_t seq, const uint8_t *data, uint32_t len, struct feed *f)
{
	uint8_t *copy = malloc(len ? len : 1);
	memcpy(copy, data, len);
	tls_hs_segment(s, dir, seq, copy, len);
	free(copy);
	size_t m = tls_hs_memory(s);
	if (m > f->peak)
		f->peak = m;
}

static struct tls_hs *run_conn(const struct conn *c, const struct expect *x, struct feed *f)
{
	struct tls_hs *s = tls_hs_new();
	bool a_is_client = !strcmp(c->a, x->client);
	uint32_t off[2] = { 0, 0 };
	bool first[2] = { true, true };
	for (int d = 0; d < 2; d++)
		if (x->has_start[d])
			tls_hs_stream_start(s, d, x->start[d]);
	for (size_t i = 0; i < c->n && !tls_hs_settled(s); i++) {
		const struct seg *g = &c->segs[i];
		int dir = g->from_a == a_is_client ? 0 : 1;
		/* the stream offset of this segment: from the first segment's number, or from the STARTTLS start */
		if (first[dir] && !x->has_start[dir])
			off[dir] = g->seq;
		first[dir] = false;
		uint32_t base = x->has_start[dir] ? x->start[dir] : off[dir];
		uint32_t at = g->seq - base, len = g->len;
		bool before = at & 0x80000000u; /* what came before STARTTLS, or a retransmission of it */
		if (f->cut_dir == dir && !before) {
			if (at >= f->cut_at) {
				if (f->cut_short)
					continue;
			} else if (at + len > f->cut_at) {
				uint32_t head = f->cut_at - at;
				feed_one(s, dir, g->seq, g->data, head, f);
				if (!f->cut_short)
					feed_one(s, dir, g->seq + head, g->data + head, len - head, f);
				continue;
			}
		}
		feed_one(s, dir, g->seq, g->data, len, f);
	}
	tls_hs_end(s);
	return s;
}

static void check_info(const struct tls_hs_info *r, const struct expect *x, const char *how)
{
	const char *what = tls_posture_name((enum tls_posture)r->posture);
	const char *why = tls_unprovable_name((enum tls_unprovable)r->why);
	cr_expect_str_eq(what, x->posture, "%s %s %s: posture %s (%s), tshark: %s (%s)", x->capture, x->client, how, what,
			 why, x->posture, x->why);
	cr_expect_str_eq(why, x->why, "%s %s %s: why %s, tshark %s", x->capture, x->client, how, why, x->why);
	cr_expect_eq(r->version, x->version, "%s %s %s: version %#x", x->capture, x->client, how, r->version);
	cr_expect_eq(r->certificate_request, x->cert_request != 0, "%s %s %s: CertificateRequest", x->capture, x->client,
		     how);
	cr_expect_eq(r->client_certificate, x->client_cert_len >= 0, "%s %s %s: client Certificate", x->capture,
		     x->client, how);
	if (x->client_cert_len >= 0)
		cr_expect_eq(r->client_cert_len, (uint32_t)x->client_cert_len, "%s %s %s: certificates_length %u",
			     x->capture, x->client, how, r->client_cert_len);
	cr_expect_eq(r->certificate_verify, x->cert_verify != 0, "%s %s %s: CertificateVerify", x->capture, x->client,
		     how);
	cr_expect_str_eq(r->server.subject, x->server_subject, "%s %s %s: server subject", x->capture, x->client, how);
	cr_expect_str_eq(r->server.issuer, x->server_issuer, "%s %s %s: server issuer", x->capture, x->client, how);
	cr_expect_str_eq(r->client.subject, x->client_subject, "%s %s %s: client subject", x->capture, x->client, how);
	cr_expect_str_eq(r->client.issuer, x->client_issuer, "%s %s %s: client issuer", x->capture, x->client, how);
}

Test(tls_handshake, every_tls_connection_as_tshark_dissects_it)
{
	struct expect *e;
	size_t n = load_expected(&e);
	int seen[TLS_POSTURE_UNPROVABLE + 1] = { 0 };
	struct tls_hs *fresh = tls_hs_new();
	size_t base = tls_hs_memory(fresh), peak = 0;
	tls_hs_free(fresh);
	cr_assert_geq(n, 30, "the expected file lists the TLS connections of the captures");
	for (size_t i = 0; i < n; i++) {
		const struct conn *c = find_conn(&e[i]);
		cr_assert_not_null(c, "%s: no connection %s - %s", e[i].capture, e[i].client, e[i].server);
		struct feed f = { .cut_dir = -1 };
		struct tls_hs *s = run_conn(c, &e[i], &f);
		check_info(tls_hs_info(s), &e[i], "whole");
		seen[tls_hs_info(s)->posture]++;
		cr_expect(tls_hs_settled(s));
		cr_expect_eq(tls_hs_memory(s), base, "%s %s: buffers kept after the end", e[i].capture, e[i].client);
		cr_expect_leq(f.peak, base + 2 * TLS_HS_DIR_MAX, "bounded");
		if (f.peak > peak)
			peak = f.peak;
		tls_hs_free(s);
	}
	/* the captures hold each posture */
	for (int p = TLS_POSTURE_MUTUAL; p <= TLS_POSTURE_UNPROVABLE; p++)
		cr_expect_gt(seen[p], 0, "no connection is %s", tls_posture_name((enum tls_posture)p));
	cr_log_info("a reader: %zu bytes, at most %zu while reading these handshakes", base, peak);
	free(e);
}

/* The same answers when each direction's handshake is cut at any byte into two segments; a stream cut short
 * anywhere still ends in a final posture, and nothing is read out of bounds. */
Test(tls_handshake, every_cut_of_every_handshake)
{
	struct expect *e;
	size_t n = load_expected(&e);
	size_t runs = 0;
	for (size_t i = 0; i < n; i++) {
		const struct conn *c = find_conn(&e[i]);
		cr_assert_not_null(c);
		for (int d = 0; d < 2; d++) {
			/* this direction's stream length, up to the span of the handshake */
			uint32_t span = 0;
			bool a_is_client = !strcmp(c->a, e[i].client);
			for (size_t k = 0; k < c->n; k++)
				if ((c->segs[k].from_a == a_is_client ? 0 : 1) == d)
					span += c->segs[k].len;
			if (span > TLS_CUT_SPAN)
				span = TLS_CUT_SPAN;
			for (uint32_t at = 1; at < span; at++) {
				char how[64];
				struct feed f = { .cut_dir = d, .cut_at = at };
				struct tls_hs *s = run_conn(c, &e[i], &f);
				snprintf(how, sizeof how, "dir %d cut at %u", d, at);
				check_info(tls_hs_info(s), &e[i], how);
				tls_hs_free(s);
				struct feed g = { .cut_dir = d, .cut_at = at, .cut_short = true };
				s = run_conn(c, &e[i], &g);
				cr_expect(tls_hs_settled(s) && tls_hs_info(s)->posture != TLS_POSTURE_PENDING);
				tls_hs_free(s);
				runs += 2;
			}
		}
	}
	cr_log_info("%zu runs", runs);
	free(e);
}

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

static void on_packet(void *ctx, int linktype, unsigned iface, const struct pcap_pkthdr *h, const uint8_t *data)
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

/* How a connection is fed: whole, or with direction cut_dir's stream split into two segments at stream offset
 * cut_at (cut_short: ended there); swapped: each two segments in a row of one direction given in reverse order
 * (the reader is told where the streams start, as from the SYN); twice: every segment given twice (a
 * retransmission of each). */
struct feed {
	int cut_dir;               /* -1: not cut */
	uint32_t cut_at;
	bool cut_short, swapped, twice;
	size_t peak;               /* the most the reader held */
};

struct item {
	int dir;
	uint32_t seq;
	const uint8_t *data;
	uint32_t len;
};

/* Feeds one segment from a heap copy of exactly its length. */
static void feed_one(struct tls_hs *s, const struct item *it, struct feed *f)
{
	uint8_t *copy = malloc(it->len ? it->len : 1);
	memcpy(copy, it->data, it->len);
	tls_hs_segment(s, it->dir, it->seq, copy, it->len);
	free(copy);
	size_t m = tls_hs_memory(s);
	if (m > f->peak)
		f->peak = m;
}

static struct tls_hs *run_conn(const struct conn *c, const struct expect *x, struct feed *f)
{
	struct tls_hs *s = tls_hs_new();
	bool a_is_client = !strcmp(c->a, x->client);
	uint32_t first_seq[2] = { 0, 0 };
	bool first[2] = { true, true };
	struct item *items = calloc(2 * c->n + 1, sizeof *items);
	size_t n = 0;
	for (size_t i = 0; i < c->n; i++) {
		const struct seg *g = &c->segs[i];
		int dir = g->from_a == a_is_client ? 0 : 1;
		if (first[dir])
			first_seq[dir] = g->seq;
		first[dir] = false;
		/* the stream offset of this segment: from the first segment's number, or from the STARTTLS start */
		uint32_t base = x->has_start[dir] ? x->start[dir] : first_seq[dir];
		uint32_t at = g->seq - base, len = g->len;
		bool before = at & 0x80000000u; /* what came before STARTTLS, or a retransmission of it */
		if (f->cut_dir == dir && !before) {
			if (at >= f->cut_at) {
				if (f->cut_short)
					continue;
			} else if (at + len > f->cut_at) {
				uint32_t head = f->cut_at - at;
				items[n++] = (struct item){ dir, g->seq, g->data, head };
				if (!f->cut_short)
					items[n++] = (struct item){ dir, g->seq + head, g->data + head, len - head };
				continue;
			}
		}
		items[n++] = (struct item){ dir, g->seq, g->data, len };
	}
	for (int d = 0; d < 2; d++)
		if (x->has_start[d])
			tls_hs_stream_start(s, d, x->start[d]);
		else if (f->swapped && !first[d])
			tls_hs_stream_start(s, d, first_seq[d]);
	if (f->swapped)
		for (size_t i = 0; i + 1 < n; i++)
			if (items[i].dir == items[i + 1].dir) {
				struct item t = items[i];
				items[i] = items[i + 1];
				items[i + 1] = t;
				i++;
			}
	for (size_t i = 0; i < n && !tls_hs_settled(s); i++) {
		feed_one(s, &items[i], f);
		if (f->twice)
			feed_one(s, &items[i], f);
	}
	free(items);
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
	cr_expect_leq(base, 2048, "a reader costs %zu bytes before any buffer", base);
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

/* Segments out of order (each pair of one direction swapped) and every segment retransmitted: the same answers. */
Test(tls_handshake, out_of_order_and_retransmitted_segments)
{
	struct expect *e;
	size_t n = load_expected(&e);
	for (size_t i = 0; i < n; i++) {
		const struct conn *c = find_conn(&e[i]);
		cr_assert_not_null(c);
		struct feed swapped = { .cut_dir = -1, .swapped = true }, twice = { .cut_dir = -1, .twice = true };
		struct feed both = { .cut_dir = -1, .swapped = true, .twice = true };
		struct tls_hs *s = run_conn(c, &e[i], &swapped);
		check_info(tls_hs_info(s), &e[i], "swapped");
		cr_expect_eq(tls_hs_info(s)->bound_hits, 0);
		tls_hs_free(s);
		s = run_conn(c, &e[i], &twice);
		check_info(tls_hs_info(s), &e[i], "twice");
		tls_hs_free(s);
		s = run_conn(c, &e[i], &both);
		check_info(tls_hs_info(s), &e[i], "swapped and twice");
		tls_hs_free(s);
	}
	free(e);
}

/* ---- hand-made handshakes, for what the captures do not hold (built from RFC 5246 and X.690) ---- */

struct buf {
	uint8_t *b;
	size_t n, cap;
};

static void bput(struct buf *m, const void *p, size_t n)
{
	if (!n)
		return;
	if (m->n + n > m->cap) {
		m->cap = (m->n + n) * 2;
		m->b = realloc(m->b, m->cap);
	}
	memcpy(m->b + m->n, p, n);
	m->n += n;
}

static void b8(struct buf *m, unsigned v)
{
	uint8_t x = (uint8_t)v;
	bput(m, &x, 1);
}

static void b16(struct buf *m, unsigned v)
{
	b8(m, v >> 8);
	b8(m, v);
}

static void b24(struct buf *m, unsigned v)
{
	b8(m, v >> 16);
	b16(m, v & 0xffff);
}

/* DER: tag, definite length (short or long form), contents */
static void der(struct buf *m, unsigned tag, const struct buf *body)
{
	b8(m, tag);
	if (body->n < 0x80) {
		b8(m, body->n);
	} else if (body->n < 0x100) {
		b8(m, 0x81);
		b8(m, body->n);
	} else if (body->n < 0x10000) {
		b8(m, 0x82);
		b16(m, body->n);
	} else {
		b8(m, 0x83);
		b24(m, body->n);
	}
	bput(m, body->b, body->n);
}

static void der_raw(struct buf *m, unsigned tag, const void *p, size_t n)
{
	struct buf body = { 0 };
	bput(&body, p, n);
	der(m, tag, &body);
	free(body.b);
}

/* An AttributeTypeAndValue of OID contents oid (n bytes) and a value of tag vtag. */
static void atv(struct buf *set, const uint8_t *oid, size_t n, unsigned vtag, const void *v, size_t vn)
{
	struct buf a = { 0 };
	der_raw(&a, 0x06, oid, n);
	der_raw(&a, vtag, v, vn);
	der(set, 0x30, &a);
	free(a.b);
}

static const uint8_t OID_CN[] = { 0x55, 0x04, 0x03 }, OID_OU[] = { 0x55, 0x04, 0x0b }, OID_C[] = { 0x55, 0x04, 0x06 },
		     OID_ORGID[] = { 0x55, 0x04, 0x61 }, OID_EMAIL[] = { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x01 };

/* Name contents: C=US (PrintableString), OU=a + OU=b, CN given as a UTF8String */
static struct buf name_of(const char *cn)
{
	struct buf name = { 0 }, set = { 0 };
	atv(&set, OID_C, 3, 0x13, "US", 2);
	der(&name, 0x31, &set);
	set.n = 0;
	atv(&set, OID_OU, 3, 0x0c, "a", 1);
	atv(&set, OID_OU, 3, 0x0c, "b", 1);
	der(&name, 0x31, &set);
	set.n = 0;
	atv(&set, OID_CN, 3, 0x0c, cn, strlen(cn));
	der(&name, 0x31, &set);
	free(set.b);
	return name;
}

/* A certificate: [0] version, serial, signature, issuer, validity, subject, then pad bytes of a public key. */
static struct buf certificate(const char *subject_cn, const char *issuer_cn, size_t pad)
{
	struct buf tbs = { 0 }, t = { 0 }, cert = { 0 }, out = { 0 };
	uint8_t v3[] = { 0x02, 0x01, 0x02 }, serial[] = { 0x01, 0x02 }, alg[] = { 0x06, 0x01, 0x2a };
	struct buf iss = name_of(issuer_cn), sub = name_of(subject_cn);
	der_raw(&tbs, 0xa0, v3, sizeof v3);
	der_raw(&tbs, 0x02, serial, sizeof serial);
	der_raw(&tbs, 0x30, alg, sizeof alg);
	der(&tbs, 0x30, &iss);
	der_raw(&tbs, 0x30, "", 0);
	der(&tbs, 0x30, &sub);
	uint8_t *zeros = calloc(1, pad + 1);
	der_raw(&tbs, 0x03, zeros, pad);
	free(zeros);
	der(&t, 0x30, &tbs);
	bput(&cert, t.b, t.n);
	der(&out, 0x30, &cert);
	free(tbs.b), free(t.b), free(cert.b), free(iss.b), free(sub.b);
	return out;
}

/* Handshake message bytes (type, 24-bit length, body). */
static void hs_msg(struct buf *m, unsigned type, const struct buf *body)
{
	b8(m, type);
	b24(m, body ? body->n : 0);
	if (body)
		bput(m, body->b, body->n);
}

/* Records of content type ct around bytes, at most max bytes each. */
static void records(struct buf *out, unsigned ct, const struct buf *bytes, size_t max)
{
	size_t off = 0;
	do {
		size_t n = bytes->n - off < max ? bytes->n - off : max;
		b8(out, ct);
		b16(out, 0x0303);
		b16(out, n);
		bput(out, bytes->b + off, n);
		off += n;
	} while (off < bytes->n);
}

static struct buf client_hello_msg(const uint8_t *sid, size_t sid_len)
{
	struct buf h = { 0 }, m = { 0 };
	uint8_t random[32] = { 1 };
	b16(&h, 0x0303);
	bput(&h, random, 32);
	b8(&h, sid_len);
	bput(&h, sid, sid_len);
	b16(&h, 2);
	b16(&h, 0xc02f);
	b8(&h, 1);
	b8(&h, 0);
	hs_msg(&m, 1, &h);
	free(h.b);
	return m;
}

static struct buf server_hello_msg(const uint8_t *sid, size_t sid_len)
{
	struct buf h = { 0 }, m = { 0 };
	uint8_t random[32] = { 2 };
	b16(&h, 0x0303);
	bput(&h, random, 32);
	b8(&h, sid_len);
	bput(&h, sid, sid_len);
	b16(&h, 0xc02f);
	b8(&h, 0);
	hs_msg(&m, 2, &h);
	free(h.b);
	return m;
}

/* Certificate message body of one certificate (or none). */
static struct buf certificate_msg(const struct buf *cert)
{
	struct buf body = { 0 }, m = { 0 };
	b24(&body, cert ? cert->n + 3 : 0);
	if (cert) {
		b24(&body, cert->n);
		bput(&body, cert->b, cert->n);
	}
	hs_msg(&m, 11, &body);
	free(body.b);
	return m;
}

static const uint8_t CCS[] = { 20, 3, 3, 0, 1, 1 };
static const uint8_t ENCRYPTED_FINISHED[] = { 22, 3, 3, 0, 4, 0xde, 0xad, 0xbe, 0xef };
static const uint8_t APP_DATA[] = { 23, 3, 3, 0, 3, 'a', 'b', 'c' };

/* A TLS 1.2 handshake, message by message; the server's Certificate holds a certificate of cert_pad key bytes. */
struct flight {
	struct buf client, server;
};

static struct flight handshake(size_t cert_pad, bool request, int client_cert /* -1 none, 0 empty, 1 one */,
			       bool verify)
{
	struct flight f = { { 0 }, { 0 } };
	struct buf m = client_hello_msg(NULL, 0), srv = { 0 }, cli = { 0 };
	records(&f.client, 22, &m, 16384);
	free(m.b);
	m = server_hello_msg((const uint8_t *)"0123456789abcdef0123456789abcdef", 32);
	bput(&srv, m.b, m.n);
	free(m.b);
	struct buf cert = certificate("mp.example", "SMS Issuing", cert_pad);
	m = certificate_msg(&cert);
	bput(&srv, m.b, m.n);
	free(m.b);
	if (request)
		hs_msg(&srv, 13, NULL);
	hs_msg(&srv, 14, NULL);
	records(&f.server, 22, &srv, 16384);
	struct buf ccert = certificate("client.example", "Contoso Enterprise CA", 64);
	if (client_cert >= 0) {
		m = certificate_msg(client_cert ? &ccert : NULL);
		bput(&cli, m.b, m.n);
		free(m.b);
	}
	hs_msg(&cli, 16, NULL);
	if (verify)
		hs_msg(&cli, 15, NULL);
	records(&f.client, 22, &cli, 16384);
	bput(&f.client, CCS, sizeof CCS);
	bput(&f.client, ENCRYPTED_FINISHED, sizeof ENCRYPTED_FINISHED);
	bput(&f.server, CCS, sizeof CCS);
	bput(&f.server, ENCRYPTED_FINISHED, sizeof ENCRYPTED_FINISHED);
	bput(&f.client, APP_DATA, sizeof APP_DATA);
	free(srv.b), free(cli.b), free(cert.b), free(ccert.b);
	return f;
}

/* Both streams in segments of seg bytes, the client's first flight, then the server's, then the rest. */
static struct tls_hs *run_flight(const struct flight *f, size_t seg)
{
	struct tls_hs *s = tls_hs_new();
	size_t base = tls_hs_memory(s);
	uint32_t seq[2] = { 100, 0xffffff00u };
	const struct buf *b[2] = { &f->client, &f->server };
	size_t off[2] = { 0, 0 };
	while (off[0] < b[0]->n || off[1] < b[1]->n)
		for (int d = 0; d < 2; d++) {
			size_t n = b[d]->n - off[d] < seg ? b[d]->n - off[d] : seg;
			if (!n)
				continue;
			uint8_t *copy = malloc(n);
			memcpy(copy, b[d]->b + off[d], n);
			tls_hs_segment(s, d, seq[d], copy, n);
			free(copy);
			cr_assert_leq(tls_hs_memory(s), base + 2 * TLS_HS_DIR_MAX);
			seq[d] += (uint32_t)n;
			off[d] += n;
		}
	tls_hs_end(s);
	return s;
}

Test(tls_handshake, hand_made_postures)
{
	static const struct {
		bool request;
		int client_cert;
		bool verify;
		enum tls_posture posture;
		enum tls_unprovable why;
	} cases[] = {
		{ true, 1, true, TLS_POSTURE_MUTUAL, TLS_UNPROVABLE_NONE },
		{ true, 0, false, TLS_POSTURE_REQUESTED_REFUSED, TLS_UNPROVABLE_NONE },
		{ true, -1, false, TLS_POSTURE_REQUESTED_REFUSED, TLS_UNPROVABLE_NONE }, /* SSL 3: no Certificate */
		{ false, -1, false, TLS_POSTURE_SERVER_ONLY, TLS_UNPROVABLE_NONE },
		{ true, 1, false, TLS_POSTURE_UNPROVABLE, TLS_UNPROVABLE_NO_VERIFY },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct flight f = handshake(100, cases[i].request, cases[i].client_cert, cases[i].verify);
		for (size_t seg = 1; seg <= 1500; seg = seg < 8 ? seg + 1 : seg * 3) {
			struct tls_hs *s = run_flight(&f, seg);
			const struct tls_hs_info *r = tls_hs_info(s);
			cr_expect_eq(r->posture, cases[i].posture, "case %zu, segments of %zu: %s", i, seg,
				     tls_posture_name((enum tls_posture)r->posture));
			cr_expect_eq(r->why, cases[i].why, "case %zu: %s", i, tls_unprovable_name((enum tls_unprovable)r->why));
			cr_expect_str_eq(r->server.subject, "C=US, OU=a + OU=b, CN=mp.example");
			cr_expect_str_eq(r->server.issuer, "C=US, OU=a + OU=b, CN=SMS Issuing");
			if (cases[i].client_cert == 1)
				cr_expect_str_eq(r->client.issuer, "C=US, OU=a + OU=b, CN=Contoso Enterprise CA");
			tls_hs_free(s);
		}
		free(f.client.b), free(f.server.b);
	}
}

/* A server certificate larger than the reassembly bound: its names, at its start, are still read; the bound is
 * counted and never exceeded. */
Test(tls_handshake, certificate_beyond_the_bound)
{
	struct flight f = handshake(TLS_HS_DIR_MAX + 5000, true, 1, true);
	struct tls_hs *s = tls_hs_new();
	size_t base = tls_hs_memory(s), peak = 0;
	uint32_t seq[2] = { 1, 1 };
	const struct buf *b[2] = { &f.client, &f.server };
	size_t off[2] = { 0, 0 };
	while (off[0] < b[0]->n || off[1] < b[1]->n)
		for (int d = 0; d < 2; d++) {
			size_t n = b[d]->n - off[d] < 1448 ? b[d]->n - off[d] : 1448;
			if (!n)
				continue;
			tls_hs_segment(s, d, seq[d], b[d]->b + off[d], n);
			if (tls_hs_memory(s) > peak)
				peak = tls_hs_memory(s);
			seq[d] += (uint32_t)n;
			off[d] += n;
		}
	tls_hs_end(s);
	const struct tls_hs_info *r = tls_hs_info(s);
	cr_expect_eq(r->posture, TLS_POSTURE_MUTUAL);
	cr_expect_geq(r->bound_hits, 1);
	cr_expect_str_eq(r->server.subject, "C=US, OU=a + OU=b, CN=mp.example");
	cr_expect_leq(peak, base + TLS_HS_DIR_MAX);
	cr_expect_eq(tls_hs_memory(s), base);
	tls_hs_free(s);
	free(f.client.b), free(f.server.b);
}

/* A hole that is never filled: the held segments stay within their number and budget, then the direction is
 * given up and counted; a hole in the server's stream before its hello leaves the posture unprovable. */
Test(tls_handshake, hole_never_filled)
{
	struct flight f = handshake(3000, false, -1, false);
	struct tls_hs *s = tls_hs_new();
	size_t base = tls_hs_memory(s);
	tls_hs_segment(s, 0, 1, f.client.b, f.client.n);
	/* the server's stream from its byte 10 on, in 100-byte segments: its first 10 bytes never come */
	tls_hs_stream_start(s, 1, 5000);
	for (size_t off = 10; off < f.server.n; off += 100) {
		size_t n = f.server.n - off < 100 ? f.server.n - off : 100;
		tls_hs_segment(s, 1, 5000 + (uint32_t)off, f.server.b + off, n);
		cr_assert_leq(tls_hs_memory(s), base + TLS_HS_HOLD_SEGMENTS * 100);
	}
	tls_hs_end(s);
	cr_expect_eq(tls_hs_info(s)->posture, TLS_POSTURE_UNPROVABLE);
	cr_expect_eq(tls_hs_info(s)->why, TLS_UNPROVABLE_NOT_SEEN);
	cr_expect_eq(tls_hs_info(s)->bound_hits, 1, "the hold was full once");
	tls_hs_free(s);
	free(f.client.b), free(f.server.b);
}

/* Resumption without an echoed session id (a ticket, RFC 5077 3.4): the server's ChangeCipherSpec follows its
 * hello directly. An SSL 2 CLIENT-HELLO before it is skipped. Midstream bytes are not seen. */
Test(tls_handshake, abbreviated_handshake_ssl2_hello_and_midstream)
{
	static const uint8_t ssl2[] = { 0x80, 0x0b, 0x01, 0x03, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00 };
	struct buf cli = { 0 }, srv = { 0 };
	struct buf sh = server_hello_msg((const uint8_t *)"x", 1);
	bput(&cli, ssl2, sizeof ssl2);
	records(&srv, 22, &sh, 16384);
	bput(&srv, CCS, sizeof CCS);
	bput(&srv, ENCRYPTED_FINISHED, sizeof ENCRYPTED_FINISHED);
	struct tls_hs *s = tls_hs_new();
	tls_hs_segment(s, 0, 7, cli.b, cli.n);
	cr_expect(tls_hs_info(s)->client_hello, "an SSL 2 CLIENT-HELLO");
	cr_expect_not(tls_hs_segment(s, 1, 9, srv.b, srv.n), "final at the server's ChangeCipherSpec");
	cr_expect_eq(tls_hs_info(s)->posture, TLS_POSTURE_UNPROVABLE);
	cr_expect_eq(tls_hs_info(s)->why, TLS_UNPROVABLE_RESUMED);
	cr_expect(tls_hs_info(s)->resumed);
	tls_hs_free(s);

	s = tls_hs_new();
	tls_hs_segment(s, 1, 9, srv.b + 3, srv.n - 3); /* picked up inside the record header */
	cr_expect_eq(tls_hs_info(s)->posture, TLS_POSTURE_UNPROVABLE);
	cr_expect_eq(tls_hs_info(s)->why, TLS_UNPROVABLE_NOT_SEEN);
	tls_hs_free(s);

	s = tls_hs_new();
	tls_hs_segment(s, 0, 7, (const uint8_t *)"GET / HTTP/1.1\r\n", 16);
	cr_expect(tls_hs_settled(s), "not TLS");
	tls_hs_end(s);
	cr_expect_eq(tls_hs_info(s)->why, TLS_UNPROVABLE_NOT_SEEN);
	tls_hs_free(s);
	free(cli.b), free(srv.b), free(sh.b);
}

/* After a posture is reached, TLS_HS_WATCH_RECORDS records are watched for a renegotiation, then it is final. */
Test(tls_handshake, renegotiation_watch)
{
	struct flight f = handshake(100, false, -1, false);
	for (int late = 0; late < 2; late++) {
		struct buf server = { 0 };
		bput(&server, f.server.b, f.server.n);
		for (int i = 0; i < (late ? TLS_HS_WATCH_RECORDS + 2 : 3); i++)
			bput(&server, APP_DATA, sizeof APP_DATA);
		bput(&server, ENCRYPTED_FINISHED, sizeof ENCRYPTED_FINISHED); /* an encrypted HelloRequest */
		struct tls_hs *s = tls_hs_new();
		tls_hs_segment(s, 0, 1, f.client.b, f.client.n);
		tls_hs_segment(s, 1, 1, server.b, server.n);
		cr_expect(tls_hs_settled(s), "final: unprovable at the renegotiation, or the watch is over");
		tls_hs_end(s);
		cr_expect_eq(tls_hs_info(s)->posture, late ? TLS_POSTURE_SERVER_ONLY : TLS_POSTURE_UNPROVABLE);
		cr_expect_eq(tls_hs_info(s)->renegotiated, !late);
		tls_hs_free(s);
		free(server.b);
	}
	free(f.client.b), free(f.server.b);
}

/* ---- names ---- */

static const char *fmt(const struct buf *name, bool *cut)
{
	static char out[X509_NAME_MAX];
	bool ok = x509_name_format(name->b, name->n, out, sizeof out, cut);
	return ok ? out : NULL;
}

Test(x509, names_as_suricata_writes_them)
{
	struct buf name = { 0 }, set = { 0 };
	bool cut;
	uint8_t bmp[] = { 0x00, 'C', 0x00, 0xdc, 0xd8, 0x3d, 0xde, 0x00 }; /* "CÜ" and U+1F600 as a surrogate pair */
	uint8_t univ[] = { 0, 0, 0, 'u', 0, 0, 0x20, 0xac };
	uint8_t integer[] = { 0x01, 0xab };
	atv(&set, OID_CN, 3, 0x1e, bmp, sizeof bmp);
	der(&name, 0x31, &set);
	set.n = 0;
	atv(&set, OID_OU, 3, 0x1c, univ, sizeof univ);
	atv(&set, OID_ORGID, 3, 0x02, integer, sizeof integer);
	der(&name, 0x31, &set);
	set.n = 0;
	atv(&set, OID_EMAIL, sizeof OID_EMAIL, 0x16, "a\x01" "b\xff@x", 6);
	der(&name, 0x31, &set);
	cr_expect_str_eq(fmt(&name, &cut), "CN=C\xc3\x9c\xf0\x9f\x98\x80, OU=u\xe2\x82\xac + 2.5.4.97=01AB, Email=a?b?@x");
	cr_expect_not(cut);
	/* a Name with no RDN is "", and malformed ones are refused */
	struct buf empty = { 0 };
	cr_expect_str_eq(fmt(&empty, &cut), "");
	uint8_t not_set[] = { 0x30, 0x00 }, empty_set[] = { 0x31, 0x00 }, overrun[] = { 0x31, 0x05, 0x30, 0x03 },
		indefinite[] = { 0x31, 0x80, 0x00, 0x00 };
	struct buf b1 = { not_set, 2, 2 }, b2 = { empty_set, 2, 2 }, b3 = { overrun, 4, 4 }, b4 = { indefinite, 4, 4 };
	cr_expect_null(fmt(&b1, &cut));
	cr_expect_null(fmt(&b2, &cut));
	cr_expect_null(fmt(&b3, &cut));
	cr_expect_null(fmt(&b4, &cut));
	free(name.b), free(set.b);
}

Test(x509, long_names_are_cut_between_characters)
{
	struct buf name = { 0 }, set = { 0 };
	char long_cn[400];
	for (size_t i = 0; i < sizeof long_cn; i += 2)
		long_cn[i] = (char)0xc3, long_cn[i + 1] = (char)0xa9; /* é, two bytes each */
	atv(&set, OID_CN, 3, 0x0c, long_cn, sizeof long_cn);
	der(&name, 0x31, &set);
	bool cut;
	const char *s = fmt(&name, &cut);
	cr_assert_not_null(s);
	cr_expect(cut);
	cr_expect_lt(strlen(s), X509_NAME_MAX);
	cr_expect_eq((strlen(s) - 3) % 2, 0, "no half character at the cut");
	free(name.b), free(set.b);
}

/* Every prefix of a certificate: the names come only once the subject is whole, nothing is read beyond the
 * prefix (each a heap copy of its length). */
Test(x509, every_prefix_of_a_certificate)
{
	struct buf cert = certificate("host.example", "Contoso Root CA", 300);
	size_t whole_from = 0;
	for (size_t n = 0; n <= cert.n; n++) {
		uint8_t *copy = malloc(n ? n : 1);
		memcpy(copy, cert.b, n);
		struct x509_names names;
		bool ok = x509_read_names(copy, n, &names);
		if (ok && !whole_from)
			whole_from = n;
		cr_expect(ok == (whole_from && n >= whole_from), "prefix %zu", n);
		if (ok) {
			cr_expect_str_eq(names.subject, "C=US, OU=a + OU=b, CN=host.example");
			cr_expect_str_eq(names.issuer, "C=US, OU=a + OU=b, CN=Contoso Root CA");
		} else {
			cr_expect_str_eq(names.subject, "");
		}
		free(copy);
	}
	cr_expect_lt(whole_from, cert.n - 300, "the names come before the key");
	free(cert.b);
}

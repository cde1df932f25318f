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

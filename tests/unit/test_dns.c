/* Unit tests of the DNS query check: queries of real resolvers' shape, what is not a query, and every cut. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "proto/dns.h"

/* id 0x1a2b, RD, one question: mp.abc.example A IN */
static const uint8_t query[] = { 0x1a, 0x2b, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
				 2,    'm',  'p',  3,    'a',  'b',  'c',  7,    'e',  'x',  'a',  'm',
				 'p',  'l',  'e',  0,    0x00, 0x01, 0x00, 0x01 };

Test(dns, a_query)
{
	cr_assert(dns_is_query(query, sizeof query));
	uint8_t tcp[2 + sizeof query] = { 0, sizeof query };
	memcpy(tcp + 2, query, sizeof query);
	cr_assert(dns_is_tcp_query(tcp, sizeof tcp));
	cr_assert_not(dns_is_tcp_query(query, sizeof query), "UDP's message without TCP's length");
}

Test(dns, not_a_query)
{
	uint8_t m[sizeof query];
	memcpy(m, query, sizeof m);
	m[2] |= 0x80; /* a response */
	cr_assert_not(dns_is_query(m, sizeof m));
	memcpy(m, query, sizeof m);
	m[2] = 0x10; /* opcode 2, STATUS */
	cr_assert_not(dns_is_query(m, sizeof m));
	memcpy(m, query, sizeof m);
	m[5] = 2; /* two questions */
	cr_assert_not(dns_is_query(m, sizeof m));
	memcpy(m, query, sizeof m);
	m[12] = 0xc0; /* a compression pointer for the question's name */
	cr_assert_not(dns_is_query(m, sizeof m));
	memcpy(m, query, sizeof m);
	m[12] = 64; /* a label longer than 63 */
	cr_assert_not(dns_is_query(m, sizeof m));
	static const char http[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
	cr_assert_not(dns_is_query((const uint8_t *)http, sizeof http - 1));
}

/* every prefix on the heap, so that AddressSanitizer sees a read past the end; only the whole query passes */
Test(dns, every_cut)
{
	for (size_t n = 0; n <= sizeof query; n++) {
		uint8_t *copy = malloc(n ? n : 1);
		memcpy(copy, query, n);
		cr_assert_eq(dns_is_query(copy, n), n == sizeof query, "cut at %zu", n);
		free(copy);
	}
}

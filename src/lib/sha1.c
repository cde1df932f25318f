/* sha1.c: SHA-1 (FIPS 180-4, section 6.1): 80 rounds over 512-bit blocks, big-endian words. */
#include <string.h>

#include "lib/sha1.h"

static inline uint32_t rotl32(uint32_t x, unsigned n)
{
	return (x << n) | (x >> (32 - n));
}

static inline uint32_t load_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static inline void store_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* One block into the hash value (section 6.1.2): the message schedule W kept as a 16-word ring. */
static void compress(uint32_t h[5], const uint8_t block[SHA1_BLOCK_LEN])
{
	uint32_t w[16];
	for (int t = 0; t < 16; t++)
		w[t] = load_be32(block + 4 * t);
	uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
	for (int t = 0; t < 80; t++) {
		if (t >= 16)
			w[t & 15] = rotl32(w[(t - 3) & 15] ^ w[(t - 8) & 15] ^ w[(t - 14) & 15] ^ w[t & 15], 1);
		uint32_t f, k;
		if (t < 20) {
			f = (b & c) | (~b & d);          /* Ch */
			k = 0x5a827999u;
		} else if (t < 40) {
			f = b ^ c ^ d;                   /* Parity */
			k = 0x6ed9eba1u;
		} else if (t < 60) {
			f = (b & c) | (b & d) | (c & d); /* Maj */
			k = 0x8f1bbcdcu;
		} else {
			f = b ^ c ^ d;
			k = 0xca62c1d6u;
		}
		uint32_t tmp = rotl32(a, 5) + f + e + k + w[t & 15];
		e = d;
		d = c;
		c = rotl32(b, 30);
		b = a;
		a = tmp;
	}
	h[0] += a;
	h[1] += b;
	h[2] += c;
	h[3] += d;
	h[4] += e;
}

void sha1_init(struct sha1_ctx *c)
{
	/* section 5.3.1 */
	c->h[0] = 0x67452301u;
	c->h[1] = 0xefcdab89u;
	c->h[2] = 0x98badcfeu;
	c->h[3] = 0x10325476u;
	c->h[4] = 0xc3d2e1f0u;
	c->total = 0;
	c->used = 0;
}

void sha1_update(struct sha1_ctx *c, const void *data, size_t len)
{
	const uint8_t *p = data;
	c->total += len;
	if (c->used) {
		size_t take = SHA1_BLOCK_LEN - c->used;
		if (take > len)
			take = len;
		memcpy(c->block + c->used, p, take);
		c->used += take;
		p += take;
		len -= take;
		if (c->used < SHA1_BLOCK_LEN)
			return;
		compress(c->h, c->block);
		c->used = 0;
	}
	for (; len >= SHA1_BLOCK_LEN; p += SHA1_BLOCK_LEN, len -= SHA1_BLOCK_LEN)
		compress(c->h, p);
	if (len) {
		memcpy(c->block, p, len);
		c->used = len;
	}
}

void sha1_final(struct sha1_ctx *c, uint8_t digest[SHA1_DIGEST_LEN])
{
	/* section 5.1.1: a 1 bit, zeros up to 56 bytes mod 64, the message length in bits as 64 bits */
	uint64_t bits = c->total * 8;
	c->block[c->used++] = 0x80;
	if (c->used > SHA1_BLOCK_LEN - 8) {
		memset(c->block + c->used, 0, SHA1_BLOCK_LEN - c->used);
		compress(c->h, c->block);
		c->used = 0;
	}
	memset(c->block + c->used, 0, SHA1_BLOCK_LEN - 8 - c->used);
	store_be32(c->block + 56, (uint32_t)(bits >> 32));
	store_be32(c->block + 60, (uint32_t)bits);
	compress(c->h, c->block);
	for (int i = 0; i < 5; i++)
		store_be32(digest + 4 * i, c->h[i]);
	memset(c, 0, sizeof *c);
}

void sha1_digest(const void *data, size_t len, uint8_t digest[SHA1_DIGEST_LEN])
{
	struct sha1_ctx c;
	sha1_init(&c);
	sha1_update(&c, data, len);
	sha1_final(&c, digest);
}

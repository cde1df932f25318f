/* sha1.c: SHA-1 (FIPS 180-4, section 6.1): 80 rounds over 512-bit blocks, big-endian words. */
#include <stdbool.h>
#include <string.h>
#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#include <immintrin.h>
#define SHA1_HAVE_SHANI_PATH 1
#endif

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

/* One round (section 6.1.2, step 3): f is the round's function of b, c, d, k its constant; the variables rotate
 * by renaming in the caller's order rather than by moving values. */
#define SHA1_ROUND(a, b, c, d, e, f, k, wt) \
	do { \
		(e) += rotl32((a), 5) + (f) + (k) + (wt); \
		(b) = rotl32((b), 30); \
	} while (0)

/* W[t] for t >= 16, in the 16-word ring */
#define SHA1_SCHEDULE(w, t) \
	((w)[(t) & 15] = rotl32((w)[((t) - 3) & 15] ^ (w)[((t) - 8) & 15] ^ (w)[((t) - 14) & 15] ^ (w)[(t) & 15], 1))

#define CH(b, c, d) (((b) & (c)) | (~(b) & (d)))
#define PARITY(b, c, d) ((b) ^ (c) ^ (d))
#define MAJ(b, c, d) (((b) & (c)) | ((b) & (d)) | ((c) & (d)))

/* Five rounds t .. t+4 with the variables renamed round by round (a b c d e -> e a b c d ...), so that no value
 * moves between registers; FN(b, c, d) and K are the rounds' function and constant, W(t) their schedule word. */
#define SHA1_FIVE(t, FN, K, W) \
	do { \
		SHA1_ROUND(a, b, c, d, e, FN(b, c, d), K, W(t)); \
		SHA1_ROUND(e, a, b, c, d, FN(a, b, c), K, W((t) + 1)); \
		SHA1_ROUND(d, e, a, b, c, FN(e, a, b), K, W((t) + 2)); \
		SHA1_ROUND(c, d, e, a, b, FN(d, e, a), K, W((t) + 3)); \
		SHA1_ROUND(b, c, d, e, a, FN(c, d, e), K, W((t) + 4)); \
	} while (0)

/* One block into the hash value (section 6.1.2): the message schedule W kept as a 16-word ring; the 80 rounds
 * unrolled (a community ID hashes one block per flow: the plain loop's branches and ring indices showed in
 * profiles). */
static void compress_portable(uint32_t h[5], const uint8_t block[SHA1_BLOCK_LEN])
{
	uint32_t w[16];
	for (int t = 0; t < 16; t++)
		w[t] = load_be32(block + 4 * t);
	uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
#define W_FIRST(t) w[(t)]
#define W_NEXT(t) SHA1_SCHEDULE(w, (t))
	SHA1_FIVE(0, CH, 0x5a827999u, W_FIRST);
	SHA1_FIVE(5, CH, 0x5a827999u, W_FIRST);
	SHA1_FIVE(10, CH, 0x5a827999u, W_FIRST);
	SHA1_ROUND(a, b, c, d, e, CH(b, c, d), 0x5a827999u, w[15]);
	SHA1_ROUND(e, a, b, c, d, CH(a, b, c), 0x5a827999u, W_NEXT(16));
	SHA1_ROUND(d, e, a, b, c, CH(e, a, b), 0x5a827999u, W_NEXT(17));
	SHA1_ROUND(c, d, e, a, b, CH(d, e, a), 0x5a827999u, W_NEXT(18));
	SHA1_ROUND(b, c, d, e, a, CH(c, d, e), 0x5a827999u, W_NEXT(19));
	SHA1_FIVE(20, PARITY, 0x6ed9eba1u, W_NEXT);
	SHA1_FIVE(25, PARITY, 0x6ed9eba1u, W_NEXT);
	SHA1_FIVE(30, PARITY, 0x6ed9eba1u, W_NEXT);
	SHA1_FIVE(35, PARITY, 0x6ed9eba1u, W_NEXT);
	SHA1_FIVE(40, MAJ, 0x8f1bbcdcu, W_NEXT);
	SHA1_FIVE(45, MAJ, 0x8f1bbcdcu, W_NEXT);
	SHA1_FIVE(50, MAJ, 0x8f1bbcdcu, W_NEXT);
	SHA1_FIVE(55, MAJ, 0x8f1bbcdcu, W_NEXT);
	SHA1_FIVE(60, PARITY, 0xca62c1d6u, W_NEXT);
	SHA1_FIVE(65, PARITY, 0xca62c1d6u, W_NEXT);
	SHA1_FIVE(70, PARITY, 0xca62c1d6u, W_NEXT);
	SHA1_FIVE(75, PARITY, 0xca62c1d6u, W_NEXT);
#undef W_FIRST
#undef W_NEXT
	h[0] += a;
	h[1] += b;
	h[2] += c;
	h[3] += d;
	h[4] += e;
}

#ifdef SHA1_HAVE_SHANI_PATH
/* The same block with the processor's SHA extensions (Intel's SHA-NI, also in AMD's Zen): SHA1RNDS4 does four
 * rounds, SHA1NEXTE derives the next four rounds' E, SHA1MSG1/SHA1MSG2 the schedule. A vector holds four words,
 * the first in its highest lane. The message of group g (words 4g .. 4g+3) is, for g >= 4,
 * msg2(msg1(M[g-4], M[g-3]) ^ M[g-2], M[g-1]), kept in a ring of four. */
#define SHA1_NI_ATTR __attribute__((target("sha,sse4.1,ssse3")))

#define NI_SCHEDULE(g) \
	(m[(g) & 3] = _mm_sha1msg2_epu32(_mm_xor_si128(_mm_sha1msg1_epu32(m[(g) & 3], m[((g) + 1) & 3]), \
						      m[((g) + 2) & 3]), \
					 m[((g) + 3) & 3]))
/* four rounds of group g (g >= 1) with the function of rounds 20 * fn .. */
#define NI_GROUP(g, fn) \
	do { \
		e = _mm_sha1nexte_epu32(prev, m[(g) & 3]); \
		prev = abcd; \
		abcd = _mm_sha1rnds4_epu32(abcd, e, (fn)); \
	} while (0)
#define NI_GROUP_NEXT(g, fn) \
	do { \
		NI_SCHEDULE(g); \
		NI_GROUP(g, fn); \
	} while (0)

static SHA1_NI_ATTR void compress_shani(uint32_t h[5], const uint8_t block[SHA1_BLOCK_LEN])
{
	const __m128i reverse = _mm_set_epi64x(0x0001020304050607LL, 0x08090a0b0c0d0e0fLL);
	__m128i abcd = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)(const void *)h), 0x1b);
	__m128i e_saved = _mm_set_epi32((int)h[4], 0, 0, 0), abcd_saved = abcd;
	__m128i m[4], e, prev;
	for (int i = 0; i < 4; i++)
		m[i] = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(const void *)(block + 16 * i)), reverse);
	e = _mm_add_epi32(e_saved, m[0]);
	prev = abcd;
	abcd = _mm_sha1rnds4_epu32(abcd, e, 0);
	NI_GROUP(1, 0);
	NI_GROUP(2, 0);
	NI_GROUP(3, 0);
	NI_GROUP_NEXT(4, 0);
	NI_GROUP_NEXT(5, 1);
	NI_GROUP_NEXT(6, 1);
	NI_GROUP_NEXT(7, 1);
	NI_GROUP_NEXT(8, 1);
	NI_GROUP_NEXT(9, 1);
	NI_GROUP_NEXT(10, 2);
	NI_GROUP_NEXT(11, 2);
	NI_GROUP_NEXT(12, 2);
	NI_GROUP_NEXT(13, 2);
	NI_GROUP_NEXT(14, 2);
	NI_GROUP_NEXT(15, 3);
	NI_GROUP_NEXT(16, 3);
	NI_GROUP_NEXT(17, 3);
	NI_GROUP_NEXT(18, 3);
	NI_GROUP_NEXT(19, 3);
	e = _mm_sha1nexte_epu32(prev, e_saved);
	abcd = _mm_add_epi32(abcd, abcd_saved);
	_mm_storeu_si128((__m128i *)(void *)h, _mm_shuffle_epi32(abcd, 0x1b));
	h[4] = (uint32_t)_mm_extract_epi32(e, 3);
}
#undef NI_SCHEDULE
#undef NI_GROUP
#undef NI_GROUP_NEXT

static bool cpu_has_sha(void)
{
	unsigned a, b, c, d;
	/* CPUID leaf 7, subleaf 0: EBX bit 29 is SHA; SSSE3 and SSE4.1 (leaf 1, ECX bits 9 and 19) come with it on
	 * every such processor, asked all the same */
	if (!__get_cpuid_count(7, 0, &a, &b, &c, &d) || !(b & (1u << 29)))
		return false;
	return __get_cpuid(1, &a, &b, &c, &d) && (c & (1u << 9)) && (c & (1u << 19));
}
#endif

/* The block function in use: chosen once, before main runs (workers start later), never changed but by the tests. */
static void (*compress)(uint32_t h[5], const uint8_t block[SHA1_BLOCK_LEN]) = compress_portable;

__attribute__((constructor)) static void sha1_choose(void)
{
#ifdef SHA1_HAVE_SHANI_PATH
	if (cpu_has_sha())
		compress = compress_shani;
#endif
}

bool sha1_use_hardware(bool on)
{
#ifdef SHA1_HAVE_SHANI_PATH
	if (on && cpu_has_sha()) {
		compress = compress_shani;
		return true;
	}
#endif
	compress = compress_portable;
	return false;
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

/* hash.c: SipHash-1-3 (one compression round, three finalisation rounds), written from the paper's
 * description; and the random key. */
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "lib/hash.h"

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))

#define SIPROUND                                                                                                \
	do {                                                                                                    \
		v0 += v1;                                                                                       \
		v1 = ROTL(v1, 13);                                                                              \
		v1 ^= v0;                                                                                       \
		v0 = ROTL(v0, 32);                                                                              \
		v2 += v3;                                                                                       \
		v3 = ROTL(v3, 16);                                                                              \
		v3 ^= v2;                                                                                       \
		v0 += v3;                                                                                       \
		v3 = ROTL(v3, 21);                                                                              \
		v3 ^= v0;                                                                                       \
		v2 += v1;                                                                                       \
		v1 = ROTL(v1, 17);                                                                              \
		v1 ^= v2;                                                                                       \
		v2 = ROTL(v2, 32);                                                                              \
	} while (0)

static uint64_t load_le64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	v = __builtin_bswap64(v);
#endif
	return v;
}

uint64_t hash_siphash13(const struct hash_key *key, const void *data, size_t len)
{
	const uint8_t *in = data;
	uint64_t v0 = 0x736f6d6570736575ULL ^ key->k0;
	uint64_t v1 = 0x646f72616e646f6dULL ^ key->k1;
	uint64_t v2 = 0x6c7967656e657261ULL ^ key->k0;
	uint64_t v3 = 0x7465646279746573ULL ^ key->k1;
	size_t full = len & ~(size_t)7;

	for (size_t i = 0; i < full; i += 8) {
		uint64_t m = load_le64(in + i);
		v3 ^= m;
		SIPROUND;
		v0 ^= m;
	}
	uint64_t b = (uint64_t)len << 56;
	for (size_t i = 0; i < (len & 7); i++)
		b |= (uint64_t)in[full + i] << (8 * i);
	v3 ^= b;
	SIPROUND;
	v0 ^= b;
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

void hash_key_random(struct hash_key *key)
{
	if (getrandom(key, sizeof *key, 0) == (ssize_t)sizeof *key)
		return;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	key->k0 = (uint64_t)ts.tv_nsec * 0x9e3779b97f4a7c15ULL ^ (uint64_t)(uintptr_t)key;
	key->k1 = (uint64_t)ts.tv_sec * 0xbf58476d1ce4e5b9ULL ^ (uint64_t)(uintptr_t)&ts;
	fprintf(stderr, "cmflow: warning: getrandom failed; the flow hash key is weak\n");
}

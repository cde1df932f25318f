/* flowid.c: flow_id as a keyed permutation of the 51-bit numbers (see flowid.h for why not a hash). */
#include <sys/random.h>
#include <sys/time.h>
#include <unistd.h>

#include "flow/flowid.h"

/* Each step maps the 51-bit numbers onto themselves one to one: adding a constant and multiplying by an odd one
 * (mod 2^51), and x ^ (x >> s), whose top s bits stay and give back the next ones. Three rounds of the mixing
 * constants of MurmurHash3's finaliser spread every input bit over the output. */
#define M FLOWID_MAX

static inline uint64_t round51(uint64_t x, uint64_t key, uint64_t mul, unsigned shift)
{
	x = (x + key) & M;
	x = (x * mul) & M;
	x ^= x >> shift;
	return x;
}

static uint64_t permute(const struct flowid_gen *g, uint64_t x)
{
	x = round51(x, g->k0, UINT64_C(0xff51afd7ed558ccd), 26);
	x = round51(x, g->k1, UINT64_C(0xc4ceb9fe1a85ec53), 23);
	x = round51(x, (g->k0 >> 13) ^ (g->k1 << 7), UINT64_C(0x9e3779b97f4a7c15), 27);
	return x;
}

uint64_t flowid_of(const struct flowid_gen *g, uint64_t seq)
{
	/* cycle walking: 0 is no useful id; the one seq that the permutation sends to 0 takes the image of 0
	 * instead, which no seq of 1 .. M has, so ids stay one to one over 1 .. M */
	uint64_t x = permute(g, seq & M);
	if (x == 0)
		x = permute(g, 0);
	return x ? x : 1; /* only for seq 0 itself, when the permutation keeps 0 */
}

void flowid_gen_init_key(struct flowid_gen *g, uint64_t k0, uint64_t k1)
{
	g->k0 = k0;
	g->k1 = k1;
}

bool flowid_gen_init(struct flowid_gen *g)
{
	uint64_t k[2];
	if (getrandom(k, sizeof k, 0) == (ssize_t)sizeof k) {
		flowid_gen_init_key(g, k[0], k[1]);
		return true;
	}
	struct timeval tv;
	gettimeofday(&tv, NULL);
	flowid_gen_init_key(g, (uint64_t)tv.tv_sec * 1000000u + (uint64_t)tv.tv_usec,
			    (uint64_t)getpid() << 32 ^ (uint64_t)(uintptr_t)g);
	return false;
}

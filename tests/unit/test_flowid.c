/* Unit tests of the EVE flow_id: 10 million ids of one run (two workers' interleaved sequence numbers, as the
 * flow table hands them out) are distinct, positive and below 2^51; two runs over the same flows share no id. */
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "flow/flowid.h"

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

#define RUN_FLOWS 10000000u

Test(flowid, ten_million_of_one_run_distinct, .timeout = 60)
{
	struct flowid_gen g;
	cr_assert(flowid_gen_init(&g), "getrandom works here");
	uint64_t *ids = malloc(RUN_FLOWS * sizeof *ids);
	cr_assert(ids);
	/* two workers: flow_table_set_ids(1, 2) and (2, 2), their flows ending interleaved */
	uint64_t next[2] = { 1, 2 };
	for (uint32_t i = 0; i < RUN_FLOWS; i++) {
		unsigned w = (i * 2654435761u) >> 31; /* an uneven share between the two */
		ids[i] = flowid_of(&g, next[w]);
		next[w] += 2;
		cr_assert(ids[i] >= 1 && ids[i] <= FLOWID_MAX, "id %llu in 1 .. 2^51 - 1", (unsigned long long)ids[i]);
	}
	qsort(ids, RUN_FLOWS, sizeof *ids, cmp_u64);
	for (uint32_t i = 1; i < RUN_FLOWS; i++)
		cr_assert_neq(ids[i], ids[i - 1], "a repeated id");
	/* the high bits are used: a JSON reader sees large and small ids alike */
	cr_assert_gt(ids[RUN_FLOWS - 1], FLOWID_MAX - (FLOWID_MAX >> 10));
	free(ids);
}

Test(flowid, same_key_same_ids_other_key_other_ids)
{
	struct flowid_gen a, b, c;
	flowid_gen_init_key(&a, 1, 2);
	flowid_gen_init_key(&b, 1, 2);
	cr_assert(flowid_gen_init(&c));
	for (uint64_t s = 1; s < 1000; s++)
		cr_assert_eq(flowid_of(&a, s), flowid_of(&b, s), "a flow's events share its id");

	/* two runs over the same 1 million flows: no id of one run appears in the other */
	enum { N = 1000000 };
	struct flowid_gen r1, r2;
	cr_assert(flowid_gen_init(&r1));
	cr_assert(flowid_gen_init(&r2));
	uint64_t *x = malloc(2 * N * sizeof *x);
	cr_assert(x);
	for (uint64_t s = 1; s <= N; s++) {
		x[s - 1] = flowid_of(&r1, s) << 1;          /* the low bit tells the run */
		x[N + s - 1] = flowid_of(&r2, s) << 1 | 1;
	}
	qsort(x, 2 * N, sizeof *x, cmp_u64);
	for (size_t i = 1; i < 2 * N; i++)
		cr_assert_neq(x[i] >> 1, x[i - 1] >> 1, "an id of both runs");
	free(x);
}

/* no id is 0, even with an all-zero key, and a sequence number beyond 51 bits is reduced to its low bits */
Test(flowid, no_zero_and_out_of_range_reduced)
{
	struct flowid_gen g;
	flowid_gen_init_key(&g, 0, 0);
	for (uint64_t s = 1; s < 100000; s++)
		cr_assert_neq(flowid_of(&g, s), 0);
	cr_assert_eq(flowid_of(&g, FLOWID_MAX + 5), flowid_of(&g, 4), "the low 51 bits count");
	cr_assert_neq(flowid_of(&g, 0), 0);
}

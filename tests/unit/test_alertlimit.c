/* Unit tests of the live alert limiter: one report per finding, host pair and service a minute. */
#include <criterion/criterion.h>

#include "output/alertlimit.h"

Test(alertlimit, once_a_minute_with_the_repeats_counted)
{
	struct alert_limiter *l = alert_limiter_new(64, 60000000);
	uint8_t a[16] = { 10, 2, 0, 22 }, b[16] = { 10, 1, 0, 10 }, c[16] = { 10, 2, 0, 23 };
	uint64_t held;
	cr_assert(alert_limiter_pass(l, 9000001, 4, a, b, "R45", 0, &held));
	cr_assert_eq(held, 0);
	for (int i = 1; i <= 5; i++)
		cr_assert_not(alert_limiter_pass(l, 9000001, 4, a, b, "R45", (uint64_t)i * 1000000, &held));
	cr_assert(alert_limiter_pass(l, 9000001, 4, c, b, "R45", 6000000, &held), "another host pair");
	cr_assert(alert_limiter_pass(l, 9000002, 4, a, b, "R45", 6000000, &held), "another finding");
	cr_assert(alert_limiter_pass(l, 9000001, 4, a, b, "R40", 6000000, &held), "another service");
	cr_assert(alert_limiter_pass(l, 9000001, 4, a, b, "R45", 61000000, &held), "a minute later");
	cr_assert_eq(held, 5);
	cr_assert_eq(alert_limiter_held(l), 5);
	alert_limiter_free(l);
}

/* hash collisions do not make a repeat pass: a small table keeps every pair it has room for */
Test(alertlimit, a_small_table_keeps_what_fits)
{
	struct alert_limiter *l = alert_limiter_new(4, 60000000);
	uint8_t a[16] = { 10, 2, 0, 22 }, b[16] = { 10, 1, 0, 10 };
	uint64_t held;
	for (uint32_t sid = 1; sid <= 4; sid++)
		cr_assert(alert_limiter_pass(l, sid, 4, a, b, "R45", 0, &held));
	for (uint32_t sid = 1; sid <= 4; sid++)
		cr_assert_not(alert_limiter_pass(l, sid, 4, a, b, "R45", 1000000, &held), "finding %u repeated", sid);
	cr_assert_eq(alert_limiter_held(l), 4);
	alert_limiter_free(l);
}

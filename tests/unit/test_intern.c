/* Unit tests of the shared copies of short strings, and of the side record's strings that use them. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "flow/flow_ext.h"
#include "flow/flow_release.h"
#include "lib/intern.h"

static void reset(void)
{
	intern_free_all();
}

TestSuite(intern, .init = reset, .fini = reset);

Test(intern, one_copy_per_string)
{
	const char *a = intern("mp.abc.example", 14), *b = intern("mp.abc.example.", 14);
	cr_assert_not_null(a);
	cr_assert_eq(a, b, "the same bytes share one copy");
	cr_assert_str_eq(a, "mp.abc.example");
	cr_assert(intern_owns(a));
	cr_assert_neq(intern("mp.abc.exampl", 13), a, "a prefix is another string");
	cr_assert_eq(intern_count(), 2);
}

Test(intern, refuses_what_it_cannot_hold)
{
	char long_name[INTERN_LEN_MAX + 2];
	memset(long_name, 'x', sizeof long_name);
	cr_assert_null(intern(long_name, INTERN_LEN_MAX + 1));
	cr_assert_not_null(intern(long_name, INTERN_LEN_MAX));
	cr_assert_null(intern("", 0));
	cr_assert_null(intern("a\0b", 3), "a NUL inside would cut the string");
	char stack[8] = "x";
	cr_assert_not(intern_owns(stack));
}

/* Crafted names fill the table: past three quarters, new strings are refused (the caller copies them) while the
 * ones held are still found. */
Test(intern, full_table_falls_back)
{
	char name[32];
	size_t held = 0;
	for (int i = 0; i < INTERN_SLOTS; i++) {
		int n = snprintf(name, sizeof name, "host%d.example", i);
		held += intern(name, (size_t)n) != NULL;
	}
	cr_assert_eq(held, INTERN_SLOTS / 4 * 3);
	cr_assert_eq(intern_count(), held);
	cr_assert_not_null(intern("host7.example", 13), "a string held is still found");
	cr_assert_null(intern("new.example", 11));
}

Test(intern, side_record_strings_shared_or_copied)
{
	struct flow f = { 0 };
	struct flow_ext *x = flow_ext_get(&f);
	cr_assert_not_null(x);
	char url[300];
	memset(url, 'u', sizeof url - 1);
	url[0] = '/';
	url[sizeof url - 1] = '\0';
	cr_assert(flow_ext_set_str(&x->http_host, "dp.abc.example", 14));
	cr_assert(flow_ext_set_str(&x->http_url, url, strlen(url)));
	cr_assert(intern_owns(x->http_host));
	cr_assert_not(intern_owns(x->http_url), "a long URL is the flow's own copy");
	cr_assert_str_eq(x->http_url, url);
	cr_assert(flow_ext_set_str(&x->http_url, "/SMS_DP_SMSPKG$/ABC00001", 24), "replacing frees the own copy");
	cr_assert(intern_owns(x->http_url));
	flow_release(&f); /* under ASan: the own copy freed once, the shared ones not at all */
	cr_assert_null(f.ext);
	cr_assert_str_eq(intern("dp.abc.example", 14), "dp.abc.example", "shared copies outlive the flow");
}

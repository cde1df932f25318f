/* The aggregates behind the summary, the report and the findings CSV (src/output/aggregate.c): finding groups
 * and their order, the counts by severity and verdict, the CSV's quoting (RFC 4180) and its guard against
 * spreadsheet formulas in texts from the wire, a group's display filter, the timeline's hours, the row bound. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "output/aggregate.h"

static struct agg_alert alert(const char *id, int severity, enum verdict v, const char *src, const char *dst,
			      const char *service, uint64_t ts_us)
{
	struct agg_alert al = {
		.id = id, .category = "Policy Violation", .message = "a message", .advice = "do this", .advice_source =
		"row 1", .severity = severity, .verdict = v, .src = src, .dst = dst, .src_role = "client",
		.dst_role = "management-point", .service = service, .rule = "R45", .ip_proto = 6, .dport = 80,
		.ts_us = ts_us, .end_us = ts_us + 500, .count = 1,
	};
	return al;
}

/* the CSV of a as a string (caller frees) */
static char *csv_of(const struct agg *a)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	cr_assert(f);
	cr_assert(agg_write_csv(a, f));
	fclose(f);
	return buf;
}

Test(aggregate, groups_by_kind_role_pair_and_service_most_severe_first)
{
	struct agg *a = agg_new();
	struct agg_alert x = alert("wrong-direction", 2, VERDICT_NONCOMPLIANT, "10.1.0.11", "10.1.0.5", "SMB", 3000000);
	agg_add_alert(a, &x);
	for (int i = 0; i < 5; i++) { /* five alerts of one host pair, two of another: one group, pairs by alerts */
		struct agg_alert h = alert("http-in-native-mode", 1, VERDICT_NONCOMPLIANT, "10.2.0.21", "10.1.0.10", "HTTP",
					   1000000 + (uint64_t)i * 1000000);
		agg_add_alert(a, &h);
	}
	for (int i = 0; i < 2; i++) {
		struct agg_alert h = alert("http-in-native-mode", 1, VERDICT_NONCOMPLIANT, "10.2.0.22", "10.1.0.10", "HTTP",
					   9000000);
		agg_add_alert(a, &h);
	}
	size_t n;
	struct agg_group *g = agg_groups(a, &n);
	cr_assert_eq(n, 2);
	cr_assert_str_eq(g[0].kind->id, "http-in-native-mode");
	cr_assert_eq(g[0].count, 7);
	cr_assert_eq(g[0].npairs, 2);
	cr_assert_str_eq(g[0].pairs[0]->src, "10.2.0.21");
	cr_assert_eq(g[0].pairs[0]->count, 5);
	cr_assert_eq(g[0].first_us, 1000000);
	cr_assert_str_eq(g[1].kind->id, "wrong-direction");
	/* the first host pair's filter: both hosts, the port, its first flow's start to its last flow's end */
	char filter[AGG_FILTER_MAX];
	cr_assert_str_eq(agg_finding_filter(g[0].pairs[0], filter, sizeof filter),
			 "ip.addr==10.2.0.21 && ip.addr==10.1.0.10 && tcp.port==80 && frame.time_epoch >= 1.000000 && "
			 "frame.time_epoch < 5.000501");
	agg_groups_free(g, n);
	uint64_t counts[4][5] = { { 0 } };
	agg_alert_counts(a, counts);
	cr_assert_eq(counts[1][VERDICT_NONCOMPLIANT], 7);
	cr_assert_eq(counts[2][VERDICT_NONCOMPLIANT], 1);
	agg_free(a);
}

Test(aggregate, a_group_on_several_ports_filters_on_the_hosts_only)
{
	struct agg *a = agg_new();
	struct agg_alert x = alert("unknown-host", 2, VERDICT_UNEXPECTED, "10.7.0.1", "10.1.0.10", NULL, 1000000);
	agg_add_alert(a, &x);
	x.dport = 443;
	agg_add_alert(a, &x);
	size_t n;
	struct agg_group *g = agg_groups(a, &n);
	cr_assert_eq(n, 1);
	cr_assert_str_eq(g[0].service, "(no rule)");
	char filter[AGG_FILTER_MAX];
	cr_assert_str_eq(agg_finding_filter(g[0].pairs[0], filter, sizeof filter),
			 "ip.addr==10.7.0.1 && ip.addr==10.1.0.10 && ip.proto==6 && frame.time_epoch >= 1.000000 && "
			 "frame.time_epoch < 1.000501");
	agg_groups_free(g, n);
	agg_free(a);
}

Test(aggregate, csv_quotes_and_keeps_formulas_text)
{
	struct agg *a = agg_new();
	struct agg_alert x = alert("unknown-host", 2, VERDICT_UNEXPECTED, "=HYPERLINK(\"http://x\")", "10.1.0.10",
				   "HTTP, \"quoted\"\nline", 1000000);
	x.advice = "+1 and -2";
	x.src_role = "-role";
	agg_add_alert(a, &x);
	char *csv = csv_of(a);
	cr_assert(strncmp(csv, "finding,severity,verdict,from_host,from_role,to_host,to_role,service,rule,count,first,"
			       "last,wireshark_filter,advice,advice_source\r\n", 126) == 0, "%s", csv);
	/* a formula-like text starts with an apostrophe; quotes doubled; a field with a newline quoted */
	cr_assert(strstr(csv, "unknown-host,2,unexpected,\"'=HYPERLINK(\"\"http://x\"\")\",'-role,10.1.0.10,"
			      "management-point,\"HTTP, \"\"quoted\"\"\nline\",R45,1,"), "%s", csv);
	cr_assert(strstr(csv, ",'+1 and -2,row 1\r\n"), "%s", csv);
	free(csv);
	agg_free(a);
}

Test(aggregate, repeats_held_back_count_and_the_hours_take_them)
{
	struct agg *a = agg_new();
	struct agg_alert x = alert("http-in-native-mode", 1, VERDICT_NONCOMPLIANT, "10.2.0.21", "10.1.0.10", "HTTP",
				   36000000000ull); /* hour 10 of the epoch */
	x.count = 4; /* one alert written, three held back before it */
	agg_add_alert(a, &x);
	uint64_t counts[4][5] = { { 0 } };
	agg_alert_counts(a, counts);
	cr_assert_eq(counts[1][VERDICT_NONCOMPLIANT], 4);
	cr_assert_eq(a->hours.n, 1);
	const struct agg_tick *h = a->hours.vals[0];
	cr_assert_eq(h->at, 10);
	cr_assert_eq(h->alerts, 4);
	cr_assert_eq(a->minutes.n, 1);
	const struct agg_tick *m = a->minutes.vals[0];
	cr_assert_eq(m->at, 600);
	cr_assert_eq(m->alerts, 4);
	cr_assert_not(a->minutes_full);
	agg_free(a);
}

Test(aggregate, tables_are_bounded)
{
	struct agg *a = agg_new();
	char src[32];
	for (unsigned i = 0; i < AGG_MAX_ROWS + 10; i++) {
		snprintf(src, sizeof src, "10.%u.%u.%u", i >> 16, (i >> 8) & 255, i & 255);
		struct agg_alert x = alert("unknown-host", 2, VERDICT_UNEXPECTED, src, "10.1.0.10", NULL, 1000000);
		agg_add_alert(a, &x);
	}
	cr_assert_eq(a->findings.n, AGG_MAX_ROWS);
	cr_assert_geq(a->dropped, 10);
	agg_free(a);
}

Test(aggregate, a_long_run_keeps_its_hours_only)
{
	struct agg *a = agg_new();
	for (unsigned i = 0; i <= AGG_MINUTES_MAX; i++) { /* one flow a minute, two days and a minute */
		struct agg_flow f = { .src = "10.2.0.1", .dst = "10.1.0.10", .start_us = (uint64_t)i * 60000000u,
				      .end_us = (uint64_t)i * 60000000u + 1 };
		agg_add_flow(a, &f);
	}
	cr_assert(a->minutes_full);
	cr_assert_eq(a->hours.n, AGG_MINUTES_MAX / 60 + 1);
	cr_assert_eq(a->dropped, 0, "the minutes past two days are no loss: the hours have them");
	agg_free(a);
}

/* Unit tests of the JSON writer: structure, commas, and the escaping of hostile strings. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

static char out[8192];

static const char *escaped(const char *s, size_t n)
{
	struct json j;
	json_init(&j);
	json_escape(&j, s, n);
	cr_assert_not(json_failed(&j));
	cr_assert_lt(j.len, sizeof out);
	memcpy(out, j.buf, j.len);
	out[j.len] = 0;
	json_free(&j);
	return out;
}

Test(json, plain_ascii_passes)
{
	cr_assert_str_eq(escaped("/ccm_system/request", 19), "\"/ccm_system/request\"");
}

Test(json, quotes_and_backslashes)
{
	cr_assert_str_eq(escaped("a\"b\\c", 5), "\"a\\\"b\\\\c\"");
}

Test(json, control_characters)
{
	cr_assert_str_eq(escaped("\n\r\t\b\f\x01\x1f", 7), "\"\\n\\r\\t\\b\\f\\u0001\\u001f\"");
}

Test(json, nul_inside_the_string_is_kept)
{
	cr_assert_str_eq(escaped("a\0b", 3), "\"a\\u0000b\"");
}

Test(json, valid_utf8_passes)
{
	const char *s = "gr\xc3\xbc\xc3\x9f \xe2\x82\xac \xf0\x9f\x98\x80";
	char want[64];
	snprintf(want, sizeof want, "\"%s\"", s);
	cr_assert_str_eq(escaped(s, strlen(s)), want);
}

Test(json, invalid_utf8_becomes_code_points)
{
	/* a lone continuation byte, a truncated sequence, an overlong '/', a UTF-16 surrogate, beyond U+10FFFF */
	cr_assert_str_eq(escaped("\x80", 1), "\"\\u0080\"");
	cr_assert_str_eq(escaped("\xc3", 1), "\"\\u00c3\"");
	cr_assert_str_eq(escaped("\xc0\xaf", 2), "\"\\u00c0\\u00af\"");
	cr_assert_str_eq(escaped("\xed\xa0\x80", 3), "\"\\u00ed\\u00a0\\u0080\"");
	cr_assert_str_eq(escaped("\xf4\x90\x80\x80", 4), "\"\\u00f4\\u0090\\u0080\\u0080\"");
	cr_assert_str_eq(escaped("\xff", 1), "\"\\u00ff\"");
}

Test(json, objects_arrays_and_commas)
{
	struct json j;
	json_init(&j);
	json_open_object(&j, NULL);
	json_str(&j, "event_type", "flow");
	json_uint(&j, "flow_id", 18446744073709551615ULL);
	json_int(&j, "delta", -5);
	json_bool(&j, "alerted", false);
	json_null(&j, "none");
	json_open_array(&j, "reasons");
	json_str(&j, NULL, "a");
	json_str(&j, NULL, "b");
	json_close_array(&j);
	json_open_object(&j, "flow");
	json_close_object(&j);
	json_close_object(&j);
	cr_assert_not(json_failed(&j));
	cr_assert_eq(j.depth, 0);
	char *s = strndup(j.buf, j.len);
	cr_assert_str_eq(s, "{\"event_type\":\"flow\",\"flow_id\":18446744073709551615,\"delta\":-5,\"alerted\":false,"
			    "\"none\":null,\"reasons\":[\"a\",\"b\"],\"flow\":{}}");
	free(s);
	json_reset(&j);
	cr_assert_eq(j.len, 0);
	json_open_object(&j, NULL);
	json_strn(&j, "k", "xyz", 2);
	json_close_object(&j);
	s = strndup(j.buf, j.len);
	cr_assert_str_eq(s, "{\"k\":\"xy\"}");
	free(s);
	json_free(&j);
}

Test(json, long_values_grow_the_buffer)
{
	static char big[100000];
	memset(big, 'A', sizeof big);
	big[50000] = '"';
	struct json j;
	json_init(&j);
	json_escape(&j, big, sizeof big);
	cr_assert_not(json_failed(&j));
	cr_assert_eq(j.len, sizeof big + 2 + 1);
	json_free(&j);
}

/* fuzz_json: the JSON string escaper on arbitrary bytes (the output must be a valid JSON string literal of
 * valid UTF-8, checked by a small validator of its own, and the reader must give back the input when it was
 * valid UTF-8 without NULs), and the JSON reader of --from-eve on the same bytes as a document. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/json.h"
#include "lib/jsonread.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Length of a valid UTF-8 sequence at s, or 0 (no overlongs, no surrogates, at most U+10FFFF). */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	if (s[0] < 0x80)
		return 1;
	size_t k = s[0] >= 0xf0 ? 4 : s[0] >= 0xe0 ? 3 : s[0] >= 0xc2 ? 2 : 0;
	if (!k || k > n || s[0] > 0xf4)
		return 0;
	for (size_t i = 1; i < k; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	if (k == 3 && ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] >= 0xa0)))
		return 0;
	if (k == 4 && ((s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] >= 0x90)))
		return 0;
	return k;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json j;
	json_init(&j);
	json_escape(&j, (const char *)data, size);
	if (json_failed(&j))
		abort();
	const unsigned char *s = (const unsigned char *)j.buf;
	size_t n = j.len;
	if (n < 2 || s[0] != '"' || s[n - 1] != '"')
		abort();
	for (size_t i = 1; i < n - 1;) {
		if (s[i] == '"' || s[i] < 0x20)
			abort(); /* unescaped quote or control character */
		if (s[i] == '\\') {
			if (i + 1 >= n - 1)
				abort();
			unsigned char c = s[i + 1];
			if (c == 'u') {
				if (i + 5 >= n - 1)
					abort();
				for (int h = 2; h < 6; h++)
					if (!strchr("0123456789abcdefABCDEF", s[i + h]))
						abort();
				i += 6;
			} else if (strchr("\"\\/bfnrt", c)) {
				i += 2;
			} else {
				abort();
			}
			continue;
		}
		size_t k = utf8_len(s + i, n - 1 - i);
		if (!k)
			abort(); /* invalid UTF-8 in the output */
		i += k;
	}
	/* the reader gives back what the writer wrote, for input that is valid UTF-8 without NULs */
	bool plain = memchr(data, 0, size) == NULL;
	for (size_t i = 0; plain && i < size;) {
		size_t k = utf8_len(data + i, size - i);
		plain = k != 0;
		i += k ? k : 1;
	}
	char err[128];
	struct jv_doc *d = jv_parse(j.buf, j.len, err, sizeof err);
	const struct jv *v = jv_root(d);
	if (!d || v->type != JV_STRING)
		abort(); /* the writer's output is always a document the reader takes */
	if (plain && (v->len != size || memcmp(v->str, data, size) != 0))
		abort();
	jv_free(d);
	json_free(&j);
	/* the reader on the raw bytes: refused or a tree, never a crash */
	d = jv_parse((const char *)data, size, err, sizeof err);
	if (d) {
		jv_u64(jv_root(d), "flow.bytes_toserver", 0);
		jv_str(jv_root(d), "configmgr.http.url");
	}
	jv_free(d);
	return 0;
}

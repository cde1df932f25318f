/* json.c: JSON writer (RFC 8259) with escaping of untrusted bytes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/json.h"

void json_init(struct json *j)
{
	memset(j, 0, sizeof *j);
}

void json_reset(struct json *j)
{
	j->len = 0;
	j->failed = false;
	j->depth = 0;
	memset(j->need_comma, 0, sizeof j->need_comma);
	if (j->buf)
		j->buf[0] = '\0';
}

void json_free(struct json *j)
{
	free(j->buf);
	memset(j, 0, sizeof *j);
}

bool json_failed(const struct json *j)
{
	return j->failed;
}

static bool grow(struct json *j, size_t more)
{
	if (j->failed)
		return false;
	size_t cap = j->cap ? j->cap : 512;
	while (cap < j->len + more + 1)
		cap *= 2;
	char *b = realloc(j->buf, cap);
	if (!b) {
		j->failed = true;
		return false;
	}
	j->buf = b;
	j->cap = cap;
	return true;
}

/* room for more bytes (the buffer is not NUL-terminated: lines are written by length) */
static inline bool reserve(struct json *j, size_t more)
{
	return (j->len + more + 1 <= j->cap && !j->failed) || grow(j, more);
}

static inline void put(struct json *j, const char *s, size_t n)
{
	if (!reserve(j, n))
		return;
	memcpy(j->buf + j->len, s, n);
	j->len += n;
}

static inline void putc_(struct json *j, char c)
{
	if (!reserve(j, 1))
		return;
	j->buf[j->len++] = c;
}

/* Length of the valid UTF-8 sequence at s (RFC 3629: no overlongs, no surrogates, max U+10FFFF), or 0. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	if (c >= 0xc2 && c <= 0xdf)
		return n >= 2 && (s[1] & 0xc0) == 0x80 ? 2 : 0;
	if (c >= 0xe0 && c <= 0xef) {
		if (n < 3 || (s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80)
			return 0;
		if (c == 0xe0 && s[1] < 0xa0)
			return 0;
		if (c == 0xed && s[1] > 0x9f)
			return 0;
		return 3;
	}
	if (c >= 0xf0 && c <= 0xf4) {
		if (n < 4 || (s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80 || (s[3] & 0xc0) != 0x80)
			return 0;
		if (c == 0xf0 && s[1] < 0x90)
			return 0;
		if (c == 0xf4 && s[1] > 0x8f)
			return 0;
		return 4;
	}
	return 0;
}

/* printable ASCII that JSON takes as it is: not a control, not '"' or '\\', not the start of UTF-8 */
static const bool plain[256] = { [0x20 ... 0x21] = true, [0x23 ... 0x5b] = true, [0x5d ... 0x7f] = true };

void json_escape(struct json *j, const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	static const char hex[] = "0123456789abcdef";
	putc_(j, '"');
	size_t i = 0;
	while (i < n) {
		size_t run = i;
		/* copy plain ASCII runs in one go */
		while (run < n && plain[s[run]])
			run++;
		if (run > i) {
			put(j, (const char *)s + i, run - i);
			i = run;
			continue;
		}
		unsigned char c = s[i];
		if (c == '"' || c == '\\') {
			char e[2] = { '\\', (char)c };
			put(j, e, 2);
			i++;
		} else if (c < 0x20) {
			char e[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };
			switch (c) {
			case '\n': put(j, "\\n", 2); break;
			case '\r': put(j, "\\r", 2); break;
			case '\t': put(j, "\\t", 2); break;
			case '\b': put(j, "\\b", 2); break;
			case '\f': put(j, "\\f", 2); break;
			default: put(j, e, 6); break;
			}
			i++;
		} else {
			size_t k = utf8_seq(s + i, n - i);
			if (k) {
				put(j, (const char *)s + i, k);
				i += k;
			} else {
				char e[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };
				put(j, e, 6);
				i++;
			}
		}
	}
	putc_(j, '"');
}

/* The comma before a member, and its key. Keys are cmflow's own names, never packet bytes: written as they are. */
/* s in quotes as it is (text cmflow wrote: nothing to escape), and after it the character after, if any */
static void quoted(struct json *j, const char *s, size_t n, char after)
{
	if (!reserve(j, n + 3))
		return;
	char *o = j->buf + j->len;
	o[0] = '"';
	memcpy(o + 1, s, n);
	o[n + 1] = '"';
	o[n + 2] = after;
	j->len += n + 2 + (after != 0);
}

static void member(struct json *j, const char *key, size_t klen)
{
	if (j->depth > 0) {
		if (j->need_comma[j->depth])
			putc_(j, ',');
		j->need_comma[j->depth] = true;
	}
	if (key)
		quoted(j, key, klen, ':');
}

static void open_(struct json *j, const char *key, size_t klen, char c)
{
	member(j, key, klen);
	putc_(j, c);
	if (j->depth + 1 >= JSON_MAX_DEPTH) {
		j->failed = true;
		return;
	}
	j->need_comma[++j->depth] = false;
}

void json_open_object_n(struct json *j, const char *key, size_t klen)
{
	open_(j, key, klen, '{');
}

void json_open_array_n(struct json *j, const char *key, size_t klen)
{
	open_(j, key, klen, '[');
}

static void close_(struct json *j, char c)
{
	putc_(j, c);
	if (j->depth > 0)
		j->depth--;
}

void json_close_object(struct json *j)
{
	close_(j, '}');
}

void json_close_array(struct json *j)
{
	close_(j, ']');
}

void json_strn_n(struct json *j, const char *key, size_t klen, const char *s, size_t n)
{
	member(j, key, klen);
	json_escape(j, s, n);
}

void json_plain_n(struct json *j, const char *key, size_t klen, const char *s, size_t n)
{
	member(j, key, klen);
	quoted(j, s, n, 0);
}

void json_uint_n(struct json *j, const char *key, size_t klen, uint64_t v)
{
	char b[24]; /* digits from the end: several per flow event, printf's parsing showed in profiles */
	size_t i = sizeof b;
	do {
		b[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	member(j, key, klen);
	put(j, b + i, sizeof b - i);
}

void json_bool_n(struct json *j, const char *key, size_t klen, bool v)
{
	member(j, key, klen);
	put(j, v ? "true" : "false", v ? 4 : 5);
}

void json_int(struct json *j, const char *key, int64_t v)
{
	char b[24];
	int n = snprintf(b, sizeof b, "%lld", (long long)v);
	member(j, key, json_keylen(key));
	put(j, b, (size_t)n);
}

void json_double(struct json *j, const char *key, double v)
{
	char b[40];
	int n = snprintf(b, sizeof b, "%.6g", v);
	member(j, key, json_keylen(key));
	put(j, b, (size_t)n);
}

void json_null(struct json *j, const char *key)
{
	member(j, key, json_keylen(key));
	put(j, "null", 4);
}

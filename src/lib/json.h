/* json.h: a small JSON writer into a growable buffer, for EVE lines.
 *
 * Strings from packets are escaped so that the result is always valid JSON: quotes, backslashes and control
 * characters are escaped; valid UTF-8 passes through; each byte that is not part of valid UTF-8 is written as
 * the code point of the same value (\u00XX), so nothing is dropped and nothing invalid is emitted. Commas are
 * placed automatically. Keys are cmflow's own names and are written as they are (never pass packet bytes as a
 * key). The text is buf[0..len), not NUL-terminated. Allocation failure is sticky: json_failed() tells, and the
 * line should be dropped. */
#ifndef CMFLOW_JSON_H
#define CMFLOW_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define JSON_MAX_DEPTH 16

struct json {
	char *buf;
	size_t len, cap;
	bool failed;
	int depth;
	bool need_comma[JSON_MAX_DEPTH];
};

void json_init(struct json *j);
void json_reset(struct json *j);           /* empties the buffer, keeps its memory */
void json_free(struct json *j);
bool json_failed(const struct json *j);

/* The members' writers take the key's length: the inline wrappers below count it, at compile time for the
 * literal keys every caller passes. key NULL inside an array or at the top. */
void json_open_object_n(struct json *j, const char *key, size_t klen);
void json_open_array_n(struct json *j, const char *key, size_t klen);
void json_strn_n(struct json *j, const char *key, size_t klen, const char *s, size_t n);
void json_uint_n(struct json *j, const char *key, size_t klen, uint64_t v);
void json_bool_n(struct json *j, const char *key, size_t klen, bool v);

static inline size_t json_keylen(const char *key)
{
	return key ? strlen(key) : 0;
}

static inline void json_open_object(struct json *j, const char *key)
{
	json_open_object_n(j, key, json_keylen(key));
}

static inline void json_open_array(struct json *j, const char *key)
{
	json_open_array_n(j, key, json_keylen(key));
}

static inline void json_strn(struct json *j, const char *key, const char *s, size_t n)
{
	json_strn_n(j, key, json_keylen(key), s, n);
}

static inline void json_str(struct json *j, const char *key, const char *s)
{
	json_strn_n(j, key, json_keylen(key), s ? s : "", s ? strlen(s) : 0);
}

/* A string cmflow wrote itself (a timestamp, an address, a name of its own): no quote, backslash or control
 * character, so it is written without escaping. */
void json_plain_n(struct json *j, const char *key, size_t klen, const char *s, size_t n);

static inline void json_plain(struct json *j, const char *key, const char *s)
{
	json_plain_n(j, key, json_keylen(key), s, strlen(s));
}

static inline void json_uint(struct json *j, const char *key, uint64_t v)
{
	json_uint_n(j, key, json_keylen(key), v);
}

static inline void json_bool(struct json *j, const char *key, bool v)
{
	json_bool_n(j, key, json_keylen(key), v);
}

void json_close_object(struct json *j);
void json_close_array(struct json *j);
void json_int(struct json *j, const char *key, int64_t v);
void json_bool(struct json *j, const char *key, bool v);
void json_double(struct json *j, const char *key, double v);
void json_null(struct json *j, const char *key);

/* Appends s (n bytes) as an escaped JSON string literal with quotes. Exposed for tests and other writers. */
void json_escape(struct json *j, const char *s, size_t n);

#endif

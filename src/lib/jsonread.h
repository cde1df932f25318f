/* jsonread.h: a small, bounded JSON reader for EVE lines (--from-eve). One line is parsed into a tree of
 * values held in one arena; strings are unescaped to UTF-8 (\u escapes included, surrogate pairs joined, lone
 * surrogates as U+FFFD). Depth and size are bounded; anything malformed is refused with the byte offset. */
#ifndef CMFLOW_JSONREAD_H
#define CMFLOW_JSONREAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum jv_type { JV_NULL, JV_BOOL, JV_NUMBER, JV_STRING, JV_ARRAY, JV_OBJECT };

struct jv {
	enum jv_type type;
	bool b;
	double num;
	const char *str;          /* JV_STRING: NUL-terminated (may hold NULs: see len); object member: its key */
	size_t len;
	const char *key;          /* set when this value is a member of an object */
	struct jv *child, *next;  /* arrays and objects: first element, then siblings */
};

struct jv_doc;

/* Parses text[0..len). NULL on error, with "offset N: message" in err. Free with jv_free. */
struct jv_doc *jv_parse(const char *text, size_t len, char *err, size_t errlen);
void jv_free(struct jv_doc *d);
const struct jv *jv_root(const struct jv_doc *d);

/* Member of an object by key, or NULL; jv_path follows dotted keys ("configmgr.http.url"). */
const struct jv *jv_get(const struct jv *obj, const char *key);
const struct jv *jv_path(const struct jv *obj, const char *dotted);

/* Conveniences: the string (or NULL), the number as an unsigned integer (or def). */
const char *jv_str(const struct jv *obj, const char *dotted);
uint64_t jv_u64(const struct jv *obj, const char *dotted, uint64_t def);

#endif

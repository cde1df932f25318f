/* jsonread.c: a bounded recursive-descent JSON reader (RFC 8259). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/jsonread.h"

#define JV_MAX_DEPTH 32
#define JV_MAX_TEXT (16u << 20) /* a line longer than 16 MiB is not an EVE line */

struct jv_doc {
	char *arena;     /* values and unescaped strings */
	size_t cap, used;
	struct jv *root;
};

struct parser {
	const char *s;
	size_t n, i;
	struct jv_doc *d;
	char *err;
	size_t errlen;
	int depth;
};

static bool fail(struct parser *p, const char *msg)
{
	snprintf(p->err, p->errlen, "offset %zu: %s", p->i, msg);
	return false;
}

/* Arena memory, aligned for struct jv; the arena never moves (sized from the text up front). */
static void *take(struct parser *p, size_t size)
{
	size_t at = (p->d->used + 7) & ~(size_t)7;
	if (at + size > p->d->cap)
		return NULL;
	p->d->used = at + size;
	return p->d->arena + at;
}

static void skip_ws(struct parser *p)
{
	while (p->i < p->n && (p->s[p->i] == ' ' || p->s[p->i] == '\t' || p->s[p->i] == '\n' || p->s[p->i] == '\r'))
		p->i++;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static bool hex4(struct parser *p, unsigned *out)
{
	if (p->n - p->i < 4)
		return fail(p, "short \\u escape");
	unsigned v = 0;
	for (int k = 0; k < 4; k++) {
		int h = hexval(p->s[p->i + (size_t)k]);
		if (h < 0)
			return fail(p, "bad \\u escape");
		v = v << 4 | (unsigned)h;
	}
	p->i += 4;
	*out = v;
	return true;
}

static size_t put_utf8(char *o, unsigned cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xc0 | cp >> 6), o[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xe0 | cp >> 12), o[1] = (char)(0x80 | ((cp >> 6) & 0x3f)), o[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | cp >> 18), o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	o[2] = (char)(0x80 | ((cp >> 6) & 0x3f)), o[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* A string at p->i (after its opening quote): unescaped into the arena. */
static bool parse_string(struct parser *p, const char **out, size_t *outlen)
{
	/* the unescaped string is never longer than its escaped form */
	size_t end = p->i;
	while (end < p->n && p->s[end] != '"')
		end += p->s[end] == '\\' ? 2 : 1;
	if (end >= p->n)
		return fail(p, "unterminated string");
	char *o = take(p, end - p->i + 1);
	if (!o)
		return fail(p, "out of memory");
	size_t k = 0;
	while (p->s[p->i] != '"') {
		unsigned char c = (unsigned char)p->s[p->i];
		if (c < 0x20)
			return fail(p, "control character in a string");
		if (c != '\\') {
			o[k++] = (char)c;
			p->i++;
			continue;
		}
		p->i++;
		char e = p->s[p->i++];
		switch (e) {
		case '"': o[k++] = '"'; break;
		case '\\': o[k++] = '\\'; break;
		case '/': o[k++] = '/'; break;
		case 'b': o[k++] = '\b'; break;
		case 'f': o[k++] = '\f'; break;
		case 'n': o[k++] = '\n'; break;
		case 'r': o[k++] = '\r'; break;
		case 't': o[k++] = '\t'; break;
		case 'u': {
			unsigned cp;
			if (!hex4(p, &cp))
				return false;
			if (cp >= 0xd800 && cp <= 0xdbff && p->n - p->i >= 6 && p->s[p->i] == '\\' && p->s[p->i + 1] == 'u') {
				size_t save = p->i;
				unsigned lo;
				p->i += 2;
				if (hex4(p, &lo) && lo >= 0xdc00 && lo <= 0xdfff)
					cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
				else
					p->i = save, cp = 0xfffd;
			} else if (cp >= 0xd800 && cp <= 0xdfff) {
				cp = 0xfffd;
			}
			/* 6 escaped bytes give at most 4 (a pair: 12 give 4) */
			k += put_utf8(o + k, cp);
			break;
		}
		default:
			return fail(p, "bad escape");
		}
	}
	p->i++; /* closing quote */
	o[k] = '\0';
	*out = o;
	*outlen = k;
	return true;
}

static bool parse_value(struct parser *p, struct jv *v);

static bool parse_container(struct parser *p, struct jv *v, bool object)
{
	if (++p->depth > JV_MAX_DEPTH)
		return fail(p, "nested too deep");
	v->type = object ? JV_OBJECT : JV_ARRAY;
	p->i++;
	skip_ws(p);
	struct jv **tail = &v->child;
	if (p->i < p->n && p->s[p->i] == (object ? '}' : ']')) {
		p->i++;
		p->depth--;
		return true;
	}
	for (;;) {
		struct jv *c = take(p, sizeof *c);
		if (!c)
			return fail(p, "out of memory");
		memset(c, 0, sizeof *c);
		skip_ws(p);
		if (object) {
			size_t klen;
			if (p->i >= p->n || p->s[p->i] != '"')
				return fail(p, "a member name is a string");
			p->i++;
			if (!parse_string(p, &c->key, &klen))
				return false;
			skip_ws(p);
			if (p->i >= p->n || p->s[p->i] != ':')
				return fail(p, "':' expected");
			p->i++;
		}
		if (!parse_value(p, c))
			return false;
		*tail = c;
		tail = &c->next;
		skip_ws(p);
		if (p->i < p->n && p->s[p->i] == ',') {
			p->i++;
			continue;
		}
		if (p->i < p->n && p->s[p->i] == (object ? '}' : ']')) {
			p->i++;
			p->depth--;
			return true;
		}
		return fail(p, object ? "',' or '}' expected" : "',' or ']' expected");
	}
}

static bool parse_number(struct parser *p, struct jv *v)
{
	size_t start = p->i;
	if (p->s[p->i] == '-')
		p->i++;
	if (p->i >= p->n || p->s[p->i] < '0' || p->s[p->i] > '9')
		return fail(p, "bad number");
	if (p->s[p->i] == '0')
		p->i++;
	else
		while (p->i < p->n && p->s[p->i] >= '0' && p->s[p->i] <= '9')
			p->i++;
	if (p->i < p->n && p->s[p->i] == '.') {
		p->i++;
		if (p->i >= p->n || p->s[p->i] < '0' || p->s[p->i] > '9')
			return fail(p, "bad fraction");
		while (p->i < p->n && p->s[p->i] >= '0' && p->s[p->i] <= '9')
			p->i++;
	}
	if (p->i < p->n && (p->s[p->i] == 'e' || p->s[p->i] == 'E')) {
		p->i++;
		if (p->i < p->n && (p->s[p->i] == '+' || p->s[p->i] == '-'))
			p->i++;
		if (p->i >= p->n || p->s[p->i] < '0' || p->s[p->i] > '9')
			return fail(p, "bad exponent");
		while (p->i < p->n && p->s[p->i] >= '0' && p->s[p->i] <= '9')
			p->i++;
	}
	char buf[64];
	size_t len = p->i - start;
	if (len >= sizeof buf)
		return fail(p, "number too long");
	memcpy(buf, p->s + start, len);
	buf[len] = '\0';
	v->type = JV_NUMBER;
	v->num = strtod(buf, NULL);
	return true;
}

static bool literal(struct parser *p, const char *word)
{
	size_t n = strlen(word);
	if (p->n - p->i < n || memcmp(p->s + p->i, word, n) != 0)
		return fail(p, "unknown literal");
	p->i += n;
	return true;
}

static bool parse_value(struct parser *p, struct jv *v)
{
	skip_ws(p);
	if (p->i >= p->n)
		return fail(p, "value expected");
	switch (p->s[p->i]) {
	case '{': return parse_container(p, v, true);
	case '[': return parse_container(p, v, false);
	case '"':
		p->i++;
		v->type = JV_STRING;
		return parse_string(p, &v->str, &v->len);
	case 't': v->type = JV_BOOL, v->b = true; return literal(p, "true");
	case 'f': v->type = JV_BOOL, v->b = false; return literal(p, "false");
	case 'n': v->type = JV_NULL; return literal(p, "null");
	default: return parse_number(p, v);
	}
}

struct jv_doc *jv_parse(const char *text, size_t len, char *err, size_t errlen)
{
	if (len > JV_MAX_TEXT) {
		snprintf(err, errlen, "offset 0: longer than %u bytes", JV_MAX_TEXT);
		return NULL;
	}
	struct jv_doc *d = calloc(1, sizeof *d);
	/* each value follows the start, a ',', a ':' or a '[' (counted generously, inside strings too); strings
	 * unescape to at most their own length */
	size_t values = 1;
	for (size_t i = 0; i < len; i++)
		values += text[i] == ',' || text[i] == ':' || text[i] == '[';
	if (d) {
		d->cap = values * (sizeof(struct jv) + 40) + len + 64; /* + alignment and NULs of keys and strings */
		d->arena = malloc(d->cap);
	}
	if (!d || !d->arena) {
		snprintf(err, errlen, "offset 0: out of memory");
		jv_free(d);
		return NULL;
	}
	struct parser p = { text, len, 0, d, err, errlen, 0 };
	d->root = take(&p, sizeof *d->root);
	memset(d->root, 0, sizeof *d->root);
	bool ok = parse_value(&p, d->root);
	if (ok) {
		skip_ws(&p);
		if (p.i != p.n)
			ok = fail(&p, "text after the value");
	}
	if (!ok) {
		jv_free(d);
		return NULL;
	}
	return d;
}

void jv_free(struct jv_doc *d)
{
	if (!d)
		return;
	free(d->arena);
	free(d);
}

const struct jv *jv_root(const struct jv_doc *d)
{
	return d ? d->root : NULL;
}

const struct jv *jv_get(const struct jv *obj, const char *key)
{
	if (!obj || obj->type != JV_OBJECT)
		return NULL;
	for (const struct jv *c = obj->child; c; c = c->next)
		if (strcmp(c->key, key) == 0)
			return c;
	return NULL;
}

const struct jv *jv_path(const struct jv *obj, const char *dotted)
{
	char part[64];
	while (obj && *dotted) {
		const char *dot = strchr(dotted, '.');
		size_t n = dot ? (size_t)(dot - dotted) : strlen(dotted);
		if (n >= sizeof part)
			return NULL;
		memcpy(part, dotted, n);
		part[n] = '\0';
		obj = jv_get(obj, part);
		dotted += n + (dot ? 1 : 0);
	}
	return obj;
}

const char *jv_str(const struct jv *obj, const char *dotted)
{
	const struct jv *v = jv_path(obj, dotted);
	return v && v->type == JV_STRING ? v->str : NULL;
}

uint64_t jv_u64(const struct jv *obj, const char *dotted, uint64_t def)
{
	const struct jv *v = jv_path(obj, dotted);
	if (!v || v->type != JV_NUMBER || v->num < 0 || v->num > 1.8e19)
		return def;
	return (uint64_t)v->num;
}

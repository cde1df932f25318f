/* http.c: HTTP/1.x request and status lines (RFC 9112 section 3 and 4), for cmflow's own proof of HTTP. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/lineparse.h"
#include "proto/http.h"

#define HTTP_METHODS_MAX 64
#define HTTP_METHOD_LEN 24
#define HTTP_LINE_MAX 8192   /* longest request line or header line looked at */

struct http_methods {
	size_t n;
	char name[HTTP_METHODS_MAX][HTTP_METHOD_LEN + 1];
	uint8_t len[HTTP_METHODS_MAX];
};

/* RFC 9110 token characters */
static bool is_tchar(int c)
{
	return isalnum(c) || (c && strchr("!#$%&'*+-.^_`|~", c));
}

static bool method_line(void *ctx, struct line_parse *ps, char **w, int n)
{
	struct http_methods *m = ctx;
	size_t len = strlen(w[0]);
	bool ok = n == 1 && len <= HTTP_METHOD_LEN;
	for (size_t i = 0; ok && i < len; i++)
		ok = is_tchar((unsigned char)w[0][i]);
	if (!ok)
		return line_fail(ps, w[0], "not an HTTP method token:");
	if (m->n == HTTP_METHODS_MAX)
		return line_fail(ps, w[0], "more than %d methods at", HTTP_METHODS_MAX);
	memcpy(m->name[m->n], w[0], len + 1);
	m->len[m->n++] = (uint8_t)len;
	return true;
}

/* signatures/http-methods.txt: one method token a line */
static const struct line_keyword method_keywords[] = {
	{ NULL, 1, LINE_MAX_WORDS, method_line },
};

struct http_methods *http_methods_load(const char *path, char *err, size_t errlen)
{
	struct http_methods *m = calloc(1, sizeof *m);
	if (!m) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (!line_file_read(path, method_keywords, 1, m, err, errlen)) {
		free(m);
		return NULL;
	}
	if (m->n == 0) {
		snprintf(err, errlen, "%s: no methods", path);
		free(m);
		return NULL;
	}
	return m;
}

void http_methods_free(struct http_methods *m)
{
	free(m);
}

size_t http_methods_count(const struct http_methods *m)
{
	return m ? m->n : 0;
}

static bool known_method(const struct http_methods *m, const uint8_t *s, size_t n)
{
	for (size_t i = 0; i < m->n; i++)
		if (m->len[i] == n && memcmp(m->name[i], s, n) == 0)
			return true;
	return false;
}

/* Length of the line at data (without its CR LF / LF), or SIZE_MAX when no line end is within limit. */
static size_t line_len(const uint8_t *data, size_t len)
{
	size_t lim = len < HTTP_LINE_MAX ? len : HTTP_LINE_MAX;
	const uint8_t *nl = memchr(data, '\n', lim);
	if (!nl)
		return SIZE_MAX;
	size_t n = (size_t)(nl - data);
	return n && data[n - 1] == '\r' ? n - 1 : n;
}

/* Skips past the end of the line at data (n = line_len) */
static size_t next_line(const uint8_t *data, size_t len, size_t n)
{
	size_t at = n;
	if (at < len && data[at] == '\r')
		at++;
	return at < len ? at + 1 : len;
}

bool http_parse_request(const struct http_methods *m, const uint8_t *data, size_t len, struct http_request *req)
{
	memset(req, 0, sizeof *req);
	if (!m || len < 14 || !isupper(data[0]))
		return false;
	size_t n = line_len(data, len);
	if (n == SIZE_MAX)
		return false;
	/* method SP target SP HTTP/1.d */
	const uint8_t *sp1 = memchr(data, ' ', n);
	if (!sp1 || sp1 == data || !known_method(m, data, (size_t)(sp1 - data)))
		return false;
	if (n < 9 || memcmp(data + n - 9, " HTTP/1.", 8) != 0 || !isdigit(data[n - 1]))
		return false;
	const uint8_t *target = sp1 + 1, *tend = data + n - 9;
	if (target >= tend || memchr(target, ' ', (size_t)(tend - target)))
		return false;
	for (const uint8_t *t = target; t < tend; t++)
		if (*t < 0x21 || *t == 0x7f) /* no controls or spaces in a request target */
			return false;
	req->method = (const char *)data;
	req->method_len = (size_t)(sp1 - data);
	req->target = (const char *)target;
	req->target_len = (size_t)(tend - target);
	req->version_minor = (uint8_t)(data[n - 1] - '0');

	size_t at = next_line(data, len, n);
	req->headers = at;
	struct http_header h;
	while (http_header_next(data, len, &at, &h)) {
		if (!req->host && http_header_is(&h, "Host"))
			req->host = (const char *)h.value, req->host_len = h.value_len;
		else if (!req->user_agent && http_header_is(&h, "User-Agent"))
			req->user_agent = (const char *)h.value, req->user_agent_len = h.value_len;
	}
	return true;
}

bool http_header_next(const uint8_t *data, size_t len, size_t *at, struct http_header *h)
{
	if (*at >= len)
		return false;
	size_t hn = line_len(data + *at, len - *at);
	if (hn == SIZE_MAX || hn == 0)
		return false; /* headers cut by the segment end, or their end */
	const uint8_t *line = data + *at;
	const uint8_t *colon = memchr(line, ':', hn);
	*at += next_line(data + *at, len - *at, hn);
	if (!colon || colon == line) { /* not a header line (an obsolete folded line): skipped, with a name of none */
		h->name = h->value = line;
		h->name_len = h->value_len = 0;
		return true;
	}
	size_t a = (size_t)(colon - line) + 1, b = hn;
	while (a < b && (line[a] == ' ' || line[a] == '\t'))
		a++;
	while (b > a && (line[b - 1] == ' ' || line[b - 1] == '\t'))
		b--;
	h->name = line;
	h->name_len = (size_t)(colon - line);
	h->value = line + a;
	h->value_len = b - a;
	return true;
}

bool http_header_is(const struct http_header *h, const char *name)
{
	size_t k = strlen(name);
	return h->name_len == k && strncasecmp((const char *)h->name, name, k) == 0;
}

/* Case-insensitive: does value[0..n) contain s? */
static bool contains_nocase(const uint8_t *value, size_t n, const char *s)
{
	size_t k = strlen(s);
	for (size_t i = 0; k <= n && i + k <= n; i++)
		if (strncasecmp((const char *)value + i, s, k) == 0)
			return true;
	return false;
}

uint32_t http_header_tests_match(const struct http_header_tests *t, const struct http_header *h)
{
	uint32_t bits = 0;
	for (unsigned i = 0; t && i < t->n && h->name_len; i++)
		if (http_header_is(h, t->v[i].name) &&
		    (!t->v[i].contains[0] || contains_nocase(h->value, h->value_len, t->v[i].contains)))
			bits |= 1u << i;
	return bits;
}

size_t http_headers_start(const uint8_t *data, size_t len)
{
	size_t n = line_len(data, len);
	return n == SIZE_MAX ? len : next_line(data, len, n);
}

bool http_parse_status(const uint8_t *data, size_t len, uint16_t *status)
{
	/* HTTP/1.d SP ddd */
	if (len < 12 || memcmp(data, "HTTP/1.", 7) != 0 || !isdigit(data[7]) || data[8] != ' ')
		return false;
	if (!isdigit(data[9]) || !isdigit(data[10]) || !isdigit(data[11]) || (len > 12 && data[12] != ' ' &&
									  data[12] != '\r' && data[12] != '\n'))
		return false;
	*status = (uint16_t)((data[9] - '0') * 100 + (data[10] - '0') * 10 + (data[11] - '0'));
	return *status >= 100 && *status <= 599;
}

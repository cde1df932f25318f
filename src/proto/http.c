/* http.c: HTTP/1.x request and status lines (RFC 9112 section 3 and 4), for cmflow's own proof of HTTP. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flow/flow_ext.h"
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

struct http_methods *http_methods_load(const char *path, char *err, size_t errlen)
{
	FILE *fp = fopen(path, "r");
	if (!fp) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	struct http_methods *m = calloc(1, sizeof *m);
	char line[256];
	unsigned lineno = 0;
	while (m && fgets(line, sizeof line, fp)) {
		lineno++;
		char *hash = strchr(line, '#');
		if (hash)
			*hash = '\0';
		char *tok = strtok(line, " \t\r\n");
		if (!tok)
			continue;
		size_t n = strlen(tok);
		bool ok = n <= HTTP_METHOD_LEN && strtok(NULL, " \t\r\n") == NULL;
		for (size_t i = 0; ok && i < n; i++)
			ok = is_tchar((unsigned char)tok[i]);
		if (!ok || m->n == HTTP_METHODS_MAX) {
			snprintf(err, errlen, "%s:%u: %s '%s'", path, lineno,
				 m->n == HTTP_METHODS_MAX ? "too many methods at" : "not an HTTP method token:", tok);
			free(m);
			m = NULL;
			break;
		}
		memcpy(m->name[m->n], tok, n + 1);
		m->len[m->n++] = (uint8_t)n;
	}
	fclose(fp);
	if (m && m->n == 0) {
		snprintf(err, errlen, "%s: no methods", path);
		free(m);
		m = NULL;
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

static bool header_is(const uint8_t *line, size_t n, const char *name, const uint8_t **value, size_t *vlen)
{
	size_t k = strlen(name);
	if (n <= k || line[k] != ':' || strncasecmp((const char *)line, name, k) != 0)
		return false;
	size_t a = k + 1, b = n;
	while (a < b && (line[a] == ' ' || line[a] == '\t'))
		a++;
	while (b > a && (line[b - 1] == ' ' || line[b - 1] == '\t'))
		b--;
	*value = line + a;
	*vlen = b - a;
	return true;
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
	while (at < len) {
		size_t hn = line_len(data + at, len - at);
		if (hn == SIZE_MAX || hn == 0)
			break; /* headers cut by the segment end, or their end */
		const uint8_t *v;
		size_t vlen;
		if (!req->host && header_is(data + at, hn, "Host", &v, &vlen))
			req->host = (const char *)v, req->host_len = vlen;
		else if (!req->user_agent && header_is(data + at, hn, "User-Agent", &v, &vlen))
			req->user_agent = (const char *)v, req->user_agent_len = vlen;
		at += next_line(data + at, len - at, hn);
	}
	return true;
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

void http_inspect(const struct http_methods *m, struct flow *f, const struct packet *p, enum flow_dir dir)
{
	if (f->key.ip_proto != 6 || !p->payload_len)
		return;
	if (dir == DIR_TO_SERVER) {
		struct http_request req;
		if (!http_parse_request(m, p->payload, p->payload_len, &req))
			return;
		f->app_proof = APP_HTTP;
		struct flow_ext *x = flow_ext_get(f);
		if (!x)
			return;
		if (x->http_requests < 255)
			x->http_requests++;
		if (x->http_method)
			return; /* the first request speaks for the flow */
		flow_ext_set_str(&x->http_method, req.method, req.method_len);
		flow_ext_set_str(&x->http_url, req.target, req.target_len);
		if (req.host)
			flow_ext_set_str(&x->http_host, req.host, req.host_len);
		if (req.user_agent)
			flow_ext_set_str(&x->http_user_agent, req.user_agent, req.user_agent_len);
	} else if (f->app_proof == APP_HTTP) {
		uint16_t status;
		struct flow_ext *x = f->ext;
		if (x && !x->http_status && http_parse_status(p->payload, p->payload_len, &status))
			x->http_status = status;
	}
}

/* http_requests.c: the requests of an HTTP connection after the first (http_requests.h). */
#include <stdlib.h>
#include <string.h>

#include "flow/flow_ext.h"
#include "flow/http_requests.h"
#include "lib/intern.h"
#include "proto/http.h"

static void str_free(const char *p)
{
	if (p && !intern_owns(p))
		free((char *)p);
}

void flow_http_free(struct flow_http *h)
{
	if (!h)
		return;
	for (unsigned i = 1; i < h->n; i++) {
		str_free(h->req[i].method);
		str_free(h->req[i].url);
		str_free(h->req[i].user_agent);
	}
	free(h);
}

const struct flow_http *flow_http(const struct flow *f)
{
	const struct flow_more *m = f->ext ? f->ext->more : NULL;
	return m ? m->http : NULL;
}

/* The record, made with its first request (whose time is the flow's start when it was not kept then). */
static struct flow_http *record_of(struct flow *f)
{
	struct flow_more *m = flow_ext_more(f);
	if (!m)
		return NULL;
	if (!m->http && (m->http = calloc(1, sizeof *m->http))) {
		m->http->n = 1;
		m->http->req[0].ts_us = f->ts_first;
		m->http->req[0].status = f->ext->http_status;
		m->http->answered = f->ext->http_status ? 1 : 0;
	}
	return m->http;
}

void flow_http_request(struct flow *f, unsigned index, const struct http_request *req, uint32_t tests,
		       uint64_t ts_us)
{
	if (index == 0) {
		struct flow_http *h = tests ? record_of(f) : NULL;
		if (h) {
			h->req[0].tests = tests;
			h->req[0].ts_us = ts_us;
		}
		return;
	}
	struct flow_http *h = record_of(f);
	if (!h)
		return;
	if (h->n == HTTP_REQUESTS_MAX) {
		h->dropped++;
		return;
	}
	struct http_req_seen *r = &h->req[h->n++];
	memset(r, 0, sizeof *r);
	flow_ext_set_str(&r->method, req->method, req->method_len);
	flow_ext_set_str(&r->url, req->target, req->target_len);
	if (req->user_agent)
		flow_ext_set_str(&r->user_agent, req->user_agent, req->user_agent_len);
	r->tests = tests;
	r->ts_us = ts_us;
}

void flow_http_status(struct flow *f, uint16_t status)
{
	struct flow_more *m = f->ext ? f->ext->more : NULL;
	struct flow_http *h = m ? m->http : NULL;
	if (!h)
		return; /* one request: its status is the side record's */
	if (h->answered < h->n && !h->req[h->answered].status)
		h->req[h->answered].status = status;
	if (h->answered < 255)
		h->answered++;
}

unsigned flow_http_count(const struct flow *f)
{
	const struct flow_http *h = flow_http(f);
	if (h)
		return h->n;
	return f->ext && f->ext->http_method ? 1 : 0;
}

bool flow_http_get(const struct flow *f, unsigned i, struct http_req_seen *out)
{
	const struct flow_http *h = flow_http(f);
	const struct flow_ext *x = f->ext;
	if (i >= flow_http_count(f) || !x)
		return false;
	if (h)
		*out = h->req[i];
	else
		memset(out, 0, sizeof *out);
	if (i == 0) {
		out->method = x->http_method;
		out->url = x->http_url;
		out->user_agent = x->http_user_agent;
		out->status = x->http_status;
		if (!h)
			out->ts_us = f->ts_first;
	}
	return true;
}

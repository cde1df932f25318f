/* http_requests.h: what a flow keeps of an HTTP/1.x connection beyond its first request (RFC 9112 9.3: several
 * requests, one after the other, on one connection): each request's method, target and User-Agent, its answer's
 * status, the header tests it met (http.h's http_header_tests: the detections' `header=`) and its packet time.
 * NTLM over HTTP is three requests on one connection; a tool's sequence of probes may share one too.
 *
 * The first request stays in the side record (flow_ext's http_* fields, Suricata's http object); this record is
 * allocated only for a connection with a second request or a header test met, bounded (HTTP_REQUESTS_MAX
 * requests, then counted), hangs off the flow's flow_more and is freed with the flow. Strings are copies
 * (flow_ext_set_str), untrusted: escape on output. */
#ifndef CMFLOW_HTTP_REQUESTS_H
#define CMFLOW_HTTP_REQUESTS_H

#include <stdbool.h>
#include <stdint.h>

#include "flow/flow.h"

struct http_request;

#define HTTP_REQUESTS_MAX 8

/* One request. In the record, req[0]'s strings are NULL: the first request's are the side record's. */
struct http_req_seen {
	const char *method, *url, *user_agent;
	uint16_t status;          /* its answer's, 0 until seen */
	uint32_t tests;           /* bits of the header tests it met */
	uint64_t ts_us;
};

/* Invariants: 1 <= n <= HTTP_REQUESTS_MAX; answered counts status lines seen (the k-th answers request k, RFC
 * 9112 9.3); dropped counts requests that did not fit. */
struct flow_http {
	struct http_req_seen req[HTTP_REQUESTS_MAX];
	uint8_t n;
	uint8_t answered;
	uint32_t dropped;
};

/* A request line seen on the connection (index: the flow's http_requests count before it, 0 for the first) at
 * packet time ts_us, with the header tests' bits it met: the second and later requests are kept, the first only
 * when it met a test (its strings are the side record's). Nothing is kept when memory is short. */
void flow_http_request(struct flow *f, unsigned index, const struct http_request *req, uint32_t tests,
		       uint64_t ts_us);

/* A status line seen on the connection: the answer of the oldest request still unanswered. */
void flow_http_status(struct flow *f, uint16_t status);

/* The number of requests the flow kept (0 for none; 1 when only the first, in the side record). */
unsigned flow_http_count(const struct flow *f);

/* Request i of the flow (0: the first, from the side record): false when there is none. */
bool flow_http_get(const struct flow *f, unsigned i, struct http_req_seen *out);

/* The flow's record, or NULL. */
const struct flow_http *flow_http(const struct flow *f);

/* Frees a record (flow_ext_free calls it). */
void flow_http_free(struct flow_http *h);

#endif

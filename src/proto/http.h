/* http.h: cmflow's own HTTP/1.x proof, from the request line and the status line.
 *
 * nDPI 4.2 does not see ConfigMgr's CCM_POST and BITS_POST requests as HTTP (it reports a port guess), so cmflow
 * checks the first client payloads itself: a method from signatures/http-methods.txt, one space, a request
 * target, one space, "HTTP/1.x", end of line. Then Host and User-Agent are taken from the headers that follow in
 * the same payload. A request proven this way makes the flow HTTP for every later check. */
#ifndef CMFLOW_HTTP_H
#define CMFLOW_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>


struct http_methods;

/* Loads the method list (one token a line, '#' comments). Returns NULL and writes "FILE:LINE: ..." to err when a
 * line is not a valid HTTP token or the file cannot be read. */
struct http_methods *http_methods_load(const char *path, char *err, size_t errlen);
void http_methods_free(struct http_methods *m);
size_t http_methods_count(const struct http_methods *m);

/* What a request line and its headers say; pointers into the parsed bytes, lengths without terminators. */
struct http_request {
	const char *method, *target, *host, *user_agent;
	size_t method_len, target_len, host_len, user_agent_len;
	uint8_t version_minor;
};

/* True when data starts with a complete HTTP/1.x request line with a known method. */
bool http_parse_request(const struct http_methods *m, const uint8_t *data, size_t len, struct http_request *req);

/* True when data starts with an HTTP/1.x status line ("HTTP/1.1 200 ..."); *status gets the code. */
bool http_parse_status(const uint8_t *data, size_t len, uint16_t *status);


#endif

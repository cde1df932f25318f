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

/* What a request line and its headers say; pointers into the parsed bytes, lengths without terminators. headers
 * is where the header lines start (after the request line), up to the end of the bytes given. */
struct http_request {
	const char *method, *target, *host, *user_agent;
	size_t method_len, target_len, host_len, user_agent_len;
	uint8_t version_minor;
	size_t headers;
};

/* One header line: its name and its value without surrounding blanks (pointers into the bytes). */
struct http_header {
	const uint8_t *name, *value;
	size_t name_len, value_len;
};

/* The next header line of data[*at..len): true with *h set and *at past the line (a line without a colon, an
 * obsolete folded line, comes with name_len 0); false at the end of the headers (an empty line), at a line the
 * bytes cut, or at a line longer than 8 KiB. Each call consumes at least one byte: a walk ends within len calls. */
bool http_header_next(const uint8_t *data, size_t len, size_t *at, struct http_header *h);

/* True when h is the header name (case-insensitive). */
bool http_header_is(const struct http_header *h, const char *name);

/* Tests on a message's headers that a caller asks for by name (detections' `header=NAME` and
 * `header=NAME:TEXT`): bit i of http_header_tests_match's answer is set when test i's header is present (and, when
 * it has one, its value contains the text, case-insensitive). */
#define HTTP_HEADER_TESTS_MAX 32
struct http_header_test {
	char name[48];
	char contains[80];       /* "" for presence alone */
};
struct http_header_tests {
	struct http_header_test v[HTTP_HEADER_TESTS_MAX];
	unsigned n;
};

/* The tests' bits for one header line (0 when none applies). */
uint32_t http_header_tests_match(const struct http_header_tests *t, const struct http_header *h);

/* True when data starts with a complete HTTP/1.x request line with a known method. */
bool http_parse_request(const struct http_methods *m, const uint8_t *data, size_t len, struct http_request *req);

/* True when data starts with an HTTP/1.x status line ("HTTP/1.1 200 ..."); *status gets the code. */
bool http_parse_status(const uint8_t *data, size_t len, uint16_t *status);

/* Where the header lines of a message start: past its first line (request or status line); len when the line is
 * not whole within the bytes. */
size_t http_headers_start(const uint8_t *data, size_t len);


#endif

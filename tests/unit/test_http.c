/* Unit tests of cmflow's own HTTP request-line and status-line check. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "flow/flow_ext.h"
#include "flow/flow_release.h"
#include "flow/inspect.h"
#include "proto/http.h"

static struct http_methods *methods;

static void load(void)
{
	char err[512] = "";
	methods = http_methods_load(SIG_DIR "/http-methods.txt", err, sizeof err);
	cr_assert_not_null(methods, "%s", err);
}

static void unload(void)
{
	http_methods_free(methods);
}

TestSuite(http, .init = load, .fini = unload);

static bool req(const char *s, struct http_request *r)
{
	return http_parse_request(methods, (const uint8_t *)s, strlen(s), r);
}

static bool field_is(const char *p, size_t n, const char *want)
{
	return p && n == strlen(want) && memcmp(p, want, n) == 0;
}

Test(http, ccm_post_with_headers)
{
	struct http_request r;
	cr_assert(req("CCM_POST /ccm_system/request HTTP/1.1\r\nConnection: Keep-Alive\r\n"
		      "user-agent:   SMS CCM 5.0 \r\nHost: mp01.abc.example\r\nContent-Length: 0\r\n\r\n", &r));
	cr_assert(field_is(r.method, r.method_len, "CCM_POST"));
	cr_assert(field_is(r.target, r.target_len, "/ccm_system/request"));
	cr_assert(field_is(r.user_agent, r.user_agent_len, "SMS CCM 5.0"), "value trimmed, name case-insensitive");
	cr_assert(field_is(r.host, r.host_len, "mp01.abc.example"));
	cr_assert_eq(r.version_minor, 1);
}

Test(http, bits_post_and_get_with_bare_lf)
{
	struct http_request r;
	cr_assert(req("BITS_POST /CCM_Incoming/{ABC} HTTP/1.1\r\n", &r));
	cr_assert(field_is(r.method, r.method_len, "BITS_POST"));
	cr_assert(req("GET /SMS_DP_SMSPKG$/ABC00001/file.bin HTTP/1.0\nHost: dp\n\n", &r));
	cr_assert(field_is(r.target, r.target_len, "/SMS_DP_SMSPKG$/ABC00001/file.bin"));
	cr_assert(field_is(r.host, r.host_len, "dp"));
	cr_assert_eq(r.version_minor, 0);
}

Test(http, headers_cut_by_the_segment_end)
{
	struct http_request r;
	cr_assert(req("GET /SMS_MP/.sms_aut?MPLIST HTTP/1.1\r\nHost: mp01\r\nUser-Ag", &r));
	cr_assert(field_is(r.host, r.host_len, "mp01"));
	cr_assert_null(r.user_agent);
}

Test(http, not_requests)
{
	struct http_request r;
	cr_assert_not(req("CCM_POST /ccm_system/request HTTP/1.1", &r), "request line without its end");
	cr_assert_not(req("FROB /x HTTP/1.1\r\n", &r), "unknown method");
	cr_assert_not(req("get /x HTTP/1.1\r\n", &r), "methods are case-sensitive");
	cr_assert_not(req("GET /a b HTTP/1.1\r\n", &r), "space in the target");
	cr_assert_not(req("GET  /a HTTP/1.1\r\n", &r), "two spaces");
	cr_assert_not(req("GET /a HTTP/2.0\r\n", &r), "not HTTP/1");
	cr_assert_not(req("GET /a\x01 HTTP/1.1\r\n", &r), "control character in the target");
	cr_assert_not(req("GET HTTP/1.1\r\n", &r), "no target");
	cr_assert_not(req("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 HTTP/1.1\r\n", &r), "TLS");
	cr_assert_not(req("SSH-2.0-OpenSSH_9.2\r\n", &r));
	cr_assert_not(http_parse_request(methods, (const uint8_t *)"GET / HTTP/1.1\r\n", 0, &r));
}

Test(http, every_prefix_is_safe)
{
	const char *s = "CCM_POST /ccm_system/request HTTP/1.1\r\nHost: mp\r\nUser-Agent: SMS CCM 5.0\r\n\r\n";
	size_t n = strlen(s);
	struct http_request r;
	for (size_t i = 0; i <= n; i++) {
		/* copy to an exact-size heap buffer so that a read past the end is caught by sanitizers */
		uint8_t *b = malloc(i ? i : 1);
		memcpy(b, s, i);
		bool ok = http_parse_request(methods, b, i, &r);
		cr_assert_eq(ok, i >= 39, "prefix %zu", i); /* the line end is byte 38 */
		free(b);
	}
}

Test(http, status_lines)
{
	uint16_t st = 0;
	cr_assert(http_parse_status((const uint8_t *)"HTTP/1.1 200 OK\r\n", 17, &st));
	cr_assert_eq(st, 200);
	cr_assert(http_parse_status((const uint8_t *)"HTTP/1.0 404", 12, &st));
	cr_assert_eq(st, 404);
	cr_assert_not(http_parse_status((const uint8_t *)"HTTP/1.1 2000 OK", 16, &st));
	cr_assert_not(http_parse_status((const uint8_t *)"HTTP/1.1 099 X", 14, &st));
	cr_assert_not(http_parse_status((const uint8_t *)"HTTP/2 200 OK\r\n", 15, &st));
}

/* the HTTP row of the inspectors' table (inspect.h) on a flow's packets */
Test(http, inspect_records_the_first_request)
{
	struct flow f;
	memset(&f, 0, sizeof f);
	f.key.ip_proto = 6;
	f.inspected = 1;
	struct inspect_env env = { .methods = methods };
	struct packet p;
	memset(&p, 0, sizeof p);
	const char *a = "CCM_POST /ccm_system/request HTTP/1.1\r\nUser-Agent: SMS CCM 5.0\r\n\r\n";
	const char *b = "GET /other HTTP/1.1\r\n\r\n";
	const char *resp = "HTTP/1.1 200 OK\r\n\r\n";
	p.payload = (const uint8_t *)a, p.payload_len = (uint32_t)strlen(a);
	inspect_packet(&env, &f, &p, DIR_TO_SERVER);
	p.payload = (const uint8_t *)resp, p.payload_len = (uint32_t)strlen(resp);
	inspect_packet(&env, &f, &p, DIR_TO_CLIENT);
	p.payload = (const uint8_t *)b, p.payload_len = (uint32_t)strlen(b);
	inspect_packet(&env, &f, &p, DIR_TO_SERVER);
	cr_assert_eq(f.app_proof, APP_HTTP);
	cr_assert_not_null(f.ext);
	cr_assert_str_eq(f.ext->http_method, "CCM_POST");
	cr_assert_str_eq(f.ext->http_url, "/ccm_system/request");
	cr_assert_str_eq(f.ext->http_user_agent, "SMS CCM 5.0");
	cr_assert_eq(f.ext->http_status, 200);
	cr_assert_eq(f.ext->http_requests, 2);
	flow_release(&f);
}

Test(http_load, errors_name_file_and_line)
{
	char path[] = "/tmp/cmflow-methods-XXXXXX", err[512] = "";
	int fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	FILE *fp = fdopen(fd, "w");
	fputs("# methods\nGET\nPOST\nBAD METHOD\n", fp);
	fclose(fp);
	cr_assert_null(http_methods_load(path, err, sizeof err));
	char want[600];
	snprintf(want, sizeof want, "%s:4:", path);
	cr_assert(strstr(err, want), "message was: %s", err);
	unlink(path);
	cr_assert_null(http_methods_load("/nonexistent/methods.txt", err, sizeof err));
	cr_assert(strstr(err, "/nonexistent/methods.txt"));
}

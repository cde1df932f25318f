/* Unit tests of the label (label.h: the roles of both ends and the rule of the port matrix) and the verdict
 * (verdict.h: the policy's checks), on flows built as the engine leaves them when they end, with the real
 * signatures and the example site (native mode) or a mixed mode variant of it. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/infer.h"
#include "audit/knowledge.h"
#include "audit/label.h"
#include "audit/site.h"
#include "audit/verdict.h"
#include "flow/flow_ext.h"
#include "flow/flow_table.h"
#include "lib/ipproto.h"

static struct knowledge *k;
static char err[1024];

static void load(const char *site)
{
	k = knowledge_load(SIG_DIR, site, err, sizeof err);
	cr_assert_not_null(k, "%s", err);
}

static void native(void)
{
	load(SIG_DIR "/example-site.conf");
}

static void unload(void)
{
	knowledge_release(k);
}

/* A flow from src:sport to dst:dport, both directions seen. */
static struct flow mk(uint8_t proto, const char *src, uint16_t sport, const char *dst, uint16_t dport)
{
	struct flow f;
	uint8_t a[16] = { 0 }, b[16] = { 0 };
	uint16_t vlan[2] = { 0, 0 };
	bool lo;
	memset(&f, 0, sizeof f);
	cr_assert(inet_pton(AF_INET, src, a) == 1 && inet_pton(AF_INET, dst, b) == 1);
	flow_key_make(&f.key, 4, a, b, sport, dport, proto, vlan, &lo);
	f.init_is_lo = lo;
	f.pkts[0] = f.pkts[1] = 3;
	f.flags = FLOW_F_REPLIED;
	return f;
}

static struct flow http(const char *src, const char *dst, uint16_t dport, const char *url)
{
	struct flow f = mk(IP_PROTO_TCP, src, 40000, dst, dport);
	f.app_proof = APP_HTTP;
	struct flow_ext *x = flow_ext_get(&f);
	cr_assert_not_null(x);
	flow_ext_set_str(&x->http_method, "GET", 3);
	flow_ext_set_str(&x->http_url, url, strlen(url));
	return f;
}

/* Labels and judges f; the verdict's finding ids as "a,b" */
static const char *judge(struct flow *f, struct infer_table *inf, struct flow_label *lab, char *buf, size_t len)
{
	label_flow(k, inf, f, lab);
	verdict_flow(k, f, lab, &lab->verdict);
	size_t n = 0;
	buf[0] = '\0';
	for (unsigned i = 0; i < lab->verdict.nfindings && n < len; i++)
		n += (size_t)snprintf(buf + n, len - n, "%s%s", i ? "," : "", lab->verdict.findings[i]->id);
	return buf;
}

TestSuite(label, .init = native, .fini = unload);
TestSuite(verdict, .init = native, .fini = unload);

Test(label, client_to_management_point_over_http_is_row_45)
{
	struct flow f = http("10.2.0.22", "10.1.0.10", 80, "/ccm_system/request");
	struct flow_label lab;
	label_flow(k, NULL, &f, &lab);
	cr_assert(lab.matched);
	cr_assert_str_eq(lab.match.best->id, "R45");
	cr_assert_not(lab.match.reversed);
	cr_assert_not_null(lab.site);
	cr_assert_str_eq(lab.site->code, "ABC");
	int client = roles_find(&k->rules->roles, "client", 6), mp = roles_find(&k->rules->roles, "management-point", 16);
	cr_assert(lab.src_roles & ROLE_BIT(client));
	cr_assert(lab.dst_roles & ROLE_BIT(mp));
	cr_assert_eq(lab.src_inferred, 0);
	flow_ext_free(&f);
}

Test(label, a_one_way_path_the_wrong_way_round_is_reversed)
{
	/* row 37: site server -> distribution point, SMB; here the distribution point starts it */
	struct flow f = mk(IP_PROTO_TCP, "10.1.0.11", 41000, "10.1.0.5", 445);
	f.app_proof = APP_SMB;
	struct flow_label lab;
	label_flow(k, NULL, &f, &lab);
	cr_assert(lab.matched);
	cr_assert_str_eq(lab.match.best->id, "R37");
	cr_assert(lab.match.reversed);
}

Test(label, a_broadcast_may_reach_any_role)
{
	struct flow f = mk(IP_PROTO_UDP, "10.1.0.5", 50000, "255.255.255.255", 9);
	f.app_proof = APP_WOL;
	struct flow_label lab;
	label_flow(k, NULL, &f, &lab);
	cr_assert(lab.dst_broadcast);
	cr_assert(lab.matched);
	cr_assert_str_eq(lab.match.best->id, "R85");
}

Test(label, a_host_outside_the_configuration_takes_the_roles_inference_gave)
{
	/* 10.7.0.5 answers /SMS_MP/: inferred a management point */
	struct infer_table *t = infer_new(16);
	struct flow mp = http("10.2.0.30", "10.7.0.5", 80, "/SMS_MP/.sms_aut?MPLIST");
	infer_observe(t, k, &mp, mp.id);
	struct flow f = http("10.2.0.31", "10.7.0.5", 80, "/SMS_MP/.sms_aut?MPLIST");
	struct flow_label lab;
	label_flow(k, t, &f, &lab);
	int role = roles_find(&k->rules->roles, "management-point", 16);
	cr_assert(lab.dst_inferred & ROLE_BIT(role), "inferred %llx", (unsigned long long)lab.dst_inferred);
	cr_assert(lab.matched);
	cr_assert_str_eq(lab.match.best->id, "R45");
	flow_ext_free(&mp);
	flow_ext_free(&f);
	infer_free(t);
}

Test(verdict, http_to_a_management_point_of_a_native_mode_site)
{
	char buf[256];
	struct flow f = http("10.2.0.22", "10.1.0.10", 80, "/ccm_system/request");
	struct flow_label lab;
	cr_assert_str_eq(judge(&f, NULL, &lab, buf, sizeof buf), "http-in-native-mode");
	cr_assert_eq(lab.verdict.verdict, VERDICT_NONCOMPLIANT);
	flow_ext_free(&f);
}

Test(verdict, the_server_locator_point_is_http_by_design)
{
	char buf[256];
	struct flow f = http("10.2.0.22", "10.1.0.13", 80, "/SMS_SLP/.sms_aut?SITECODE");
	struct flow_label lab;
	cr_assert_str_eq(judge(&f, NULL, &lab, buf, sizeof buf), "");
	cr_assert_eq(lab.verdict.verdict, VERDICT_EXPECTED);
	flow_ext_free(&f);
}

Test(verdict, cleartext_http_on_the_https_port)
{
	char buf[256];
	struct flow f = http("10.2.0.21", "10.1.0.11", 443, "/SMS_DP_SMSPKG$/ABC00001/x.cab");
	struct flow_label lab;
	cr_assert(strstr(judge(&f, NULL, &lab, buf, sizeof buf), "cleartext-on-https-port"), "%s", buf);
	flow_ext_free(&f);
}

Test(verdict, tls_on_the_http_port)
{
	char buf[256];
	struct flow f = mk(IP_PROTO_TCP, "10.2.0.21", 40000, "10.1.0.10", 80);
	f.app_proof = APP_TLS;
	struct flow_label lab;
	cr_assert(strstr(judge(&f, NULL, &lab, buf, sizeof buf), "tls-on-http-port"), "%s", buf);
}

Test(verdict, wrong_direction)
{
	char buf[256];
	struct flow f = mk(IP_PROTO_TCP, "10.1.0.11", 41000, "10.1.0.5", 445);
	f.app_proof = APP_SMB;
	struct flow_label lab;
	cr_assert_str_eq(judge(&f, NULL, &lab, buf, sizeof buf), "wrong-direction");
}

Test(verdict, a_site_system_set_to_site_initiated_only_starts_a_connection)
{
	char buf[256];
	/* 10.1.0.30 is site-initiated-only; row 37's other direction does not exist, so it is also reversed */
	struct flow f = mk(IP_PROTO_TCP, "10.1.0.30", 41000, "10.1.0.5", 445);
	f.app_proof = APP_SMB;
	struct flow_label lab;
	cr_assert(strstr(judge(&f, NULL, &lab, buf, sizeof buf), "site-initiated-only"), "%s", buf);
}

Test(verdict, an_unknown_host_to_the_sql_server)
{
	char buf[256];
	struct flow f = mk(IP_PROTO_TCP, "10.7.0.99", 51134, "10.1.0.20", 1433);
	struct flow_label lab;
	cr_assert_str_eq(judge(&f, NULL, &lab, buf, sizeof buf), "unknown-host");
	cr_assert_eq(lab.verdict.verdict, VERDICT_UNEXPECTED);
}

Test(verdict, traffic_between_site_systems_that_no_row_allows)
{
	char buf[256];
	struct flow f = mk(IP_PROTO_TCP, "10.1.0.13", 41000, "10.1.0.14", 22);
	struct flow_label lab;
	cr_assert_str_eq(judge(&f, NULL, &lab, buf, sizeof buf), "no-rule-between-site-systems");
}

Test(verdict, wake_on_lan_not_from_a_site_server)
{
	char buf[256];
	struct flow f = mk(IP_PROTO_UDP, "10.2.0.21", 50000, "255.255.255.255", 9);
	f.app_proof = APP_WOL;
	flow_ext_get(&f)->has_wol = true;
	struct flow_label lab;
	cr_assert(strstr(judge(&f, NULL, &lab, buf, sizeof buf), "wol-not-from-site-server"), "%s", buf);
	flow_ext_free(&f);
}

Test(verdict, the_wrong_protocol_on_a_path)
{
	char buf[256];
	/* row 62: site server -> SQL server names TDS; DNS there is the wrong protocol */
	struct flow f = mk(IP_PROTO_TCP, "10.1.0.5", 41000, "10.1.0.20", 1433);
	f.app_proof = APP_DNS;
	struct flow_label lab;
	cr_assert(strstr(judge(&f, NULL, &lab, buf, sizeof buf), "protocol-mismatch"), "%s", buf);
}

Test(verdict, inferred_roles_never_vouch_when_a_configuration_names_hosts)
{
	/* 10.8.0.7 is in no host line and behaves like a client: inference labels it, the verdict judges it on the
	 * configuration alone (an unknown host) */
	char buf[256];
	struct infer_table *t = infer_new(16);
	struct flow reg = http("10.8.0.7", "10.1.0.10", 443, "/ccm_system/request");
	flow_ext_set_str(&flow_ext_get(&reg)->http_user_agent, "SMS CCM 5.0", 11);
	infer_observe(t, k, &reg, reg.id);
	struct flow f = mk(IP_PROTO_TCP, "10.8.0.7", 40001, "10.1.0.10", 443);
	f.app_proof = APP_TLS;
	struct flow_label lab;
	cr_assert_str_eq(judge(&f, t, &lab, buf, sizeof buf), "unknown-host");
	int client = roles_find(&k->rules->roles, "client", 6);
	cr_assert(lab.src_inferred & ROLE_BIT(client), "inference still labels the host");
	cr_assert(lab.matched, "and its label keeps the rule it looks like");
	cr_assert_eq(lab.verdict.verdict, VERDICT_UNEXPECTED);
	flow_ext_free(&reg);
	infer_free(t);
}

Test(verdict, without_host_lines_inferred_roles_judge)
{
	knowledge_release(k);
	load(NULL);
	char buf[256];
	struct infer_table *t = infer_new(16);
	struct flow reg = http("10.8.0.7", "10.1.0.10", 443, "/ccm_system/request");
	flow_ext_set_str(&flow_ext_get(&reg)->http_user_agent, "SMS CCM 5.0", 11);
	infer_observe(t, k, &reg, reg.id);
	struct flow srv = http("10.8.0.8", "10.1.0.10", 80, "/SMS_MP/.sms_aut?MPLIST");
	infer_observe(t, k, &srv, srv.id);
	struct flow f = mk(IP_PROTO_TCP, "10.8.0.7", 40001, "10.1.0.10", 443);
	f.app_proof = APP_TLS;
	struct flow_label lab;
	judge(&f, t, &lab, buf, sizeof buf);
	cr_assert(lab.matched);
	cr_assert_str_eq(lab.match.best->id, "R46");
	cr_assert_eq(lab.verdict.verdict, VERDICT_EXPECTED, "%s", buf);
	flow_ext_free(&reg);
	flow_ext_free(&srv);
	infer_free(t);
}

Test(verdict, a_mixed_mode_site_allows_http)
{
	knowledge_release(k);
	load(PCAP_DIR "/../tests/e2e/expected/mixed.conf");
	char buf[256];
	struct flow f = http("10.2.0.22", "10.1.0.10", 80, "/ccm_system/request");
	struct flow_label lab;
	cr_assert_str_eq(judge(&f, NULL, &lab, buf, sizeof buf), "");
	cr_assert_eq(lab.verdict.verdict, VERDICT_EXPECTED);
	flow_ext_free(&f);
}

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
#include "audit/posture.h"
#include "audit/site.h"
#include "audit/verdict.h"
#include "flow/flow_ext.h"
#include "flow/flow_release.h"
#include "proto/tls_handshake.h"
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
	flow_release(&f);
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
	flow_release(&mp);
	flow_release(&f);
	infer_free(t);
}

Test(verdict, http_to_a_management_point_of_a_native_mode_site)
{
	char buf[256];
	struct flow f = http("10.2.0.22", "10.1.0.10", 80, "/ccm_system/request");
	struct flow_label lab;
	cr_assert_str_eq(judge(&f, NULL, &lab, buf, sizeof buf), "http-in-native-mode");
	cr_assert_eq(lab.verdict.verdict, VERDICT_NONCOMPLIANT);
	flow_release(&f);
}

Test(verdict, the_server_locator_point_is_http_by_design)
{
	char buf[256];
	struct flow f = http("10.2.0.22", "10.1.0.13", 80, "/SMS_SLP/.sms_aut?SITECODE");
	struct flow_label lab;
	cr_assert_str_eq(judge(&f, NULL, &lab, buf, sizeof buf), "");
	cr_assert_eq(lab.verdict.verdict, VERDICT_EXPECTED);
	flow_release(&f);
}

Test(verdict, cleartext_http_on_the_https_port)
{
	char buf[256];
	struct flow f = http("10.2.0.21", "10.1.0.11", 443, "/SMS_DP_SMSPKG$/ABC00001/x.cab");
	struct flow_label lab;
	cr_assert(strstr(judge(&f, NULL, &lab, buf, sizeof buf), "cleartext-on-https-port"), "%s", buf);
	flow_release(&f);
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
	flow_ext_more(&f)->wol.has = true;
	struct flow_label lab;
	cr_assert(strstr(judge(&f, NULL, &lab, buf, sizeof buf), "wol-not-from-site-server"), "%s", buf);
	flow_release(&f);
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
	flow_release(&reg);
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
	flow_release(&reg);
	flow_release(&srv);
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
	flow_release(&f);
}

/* ---- the current branch's set (signatures/example-site-cb.conf: PS1 enhanced HTTP, PS2 HTTPS only, PS3 HTTP
 * without enhanced HTTP) ---- */

static void current_branch(void)
{
	load(SIG_DIR "/example-site-cb.conf");
}

TestSuite(cb, .init = current_branch, .fini = unload);

/* A TLS flow whose handshake the reader settled: posture and the server certificate's issuer. */
static struct flow tls_flow(const char *src, const char *dst, uint16_t dport, enum tls_posture posture, const char *issuer)
{
	struct flow f = mk(IP_PROTO_TCP, src, 40000, dst, dport);
	f.app_proof = APP_TLS;
	struct flow_tls *t = flow_ext_tls(&f);
	cr_assert_not_null(t);
	t->posture = (uint8_t)posture;
	if (issuer)
		flow_ext_set_str(&t->issuer, issuer, strlen(issuer));
	return f;
}

Test(cb, a_current_branch_site_is_labelled_by_its_own_set)
{
	char buf[256];
	struct flow f = mk(IP_PROTO_TCP, "10.12.0.21", 40000, "10.11.0.10", 10123);
	struct flow_label lab;
	judge(&f, NULL, &lab, buf, sizeof buf);
	cr_assert(lab.matched);
	cr_assert_str_eq(lab.match.best->id, "CB22");
	cr_assert_str_eq(lab.rules->set, "cb");
	cr_assert_eq(lab.verdict.verdict, VERDICT_EXPECTED, "%s", buf);
	cr_assert(posture_client_notification(k, &f, &lab));
	cr_assert_eq(posture_client_auth(&f, &lab), CLIENT_AUTH_NONE);
}

Test(cb, http_to_an_https_only_site)
{
	char buf[256];
	struct flow_label lab;
	struct flow f = http("10.22.0.22", "10.21.0.10", 80, "/ccm_system/request");
	cr_assert_str_eq(judge(&f, NULL, &lab, buf, sizeof buf), "http-on-https-only-site");
	cr_assert_eq(lab.verdict.verdict, VERDICT_NONCOMPLIANT);
	cr_assert_eq(posture_client_auth(&f, &lab), CLIENT_AUTH_PLAIN_HTTP);
	flow_release(&f);
	/* WSUS content stays on HTTP whatever the site says */
	struct flow content = http("10.22.0.22", "10.21.0.12", 8530, "/Content/ab/0123456789.cab");
	cr_assert_str_eq(judge(&content, NULL, &lab, buf, sizeof buf), "");
	cr_assert_str_eq(lab.match.best->id, "CB25");
	flow_release(&content);
	struct flow ws = http("10.22.0.22", "10.21.0.12", 8530, "/ClientWebService/client.asmx");
	cr_assert_str_eq(judge(&ws, NULL, &lab, buf, sizeof buf), "http-on-https-only-site");
	flow_release(&ws);
}

Test(cb, http_with_and_without_enhanced_http)
{
	char buf[256];
	struct flow_label lab;
	struct flow ehttp = http("10.12.0.22", "10.11.0.10", 80, "/ccm_system/request");
	cr_assert_str_eq(judge(&ehttp, NULL, &lab, buf, sizeof buf), "");
	cr_assert_eq(lab.verdict.verdict, VERDICT_EXPECTED);
	cr_assert_str_eq(lab.match.best->id, "CB23");
	flow_release(&ehttp);
	struct flow plain = http("10.32.0.21", "10.31.0.10", 80, "/ccm_system/request");
	cr_assert_str_eq(judge(&plain, NULL, &lab, buf, sizeof buf), "http-without-enhanced-http");
	flow_release(&plain);
	/* the token path is enhanced HTTP's, even where HTTP carries it */
	struct flow token = http("10.12.0.22", "10.11.0.11", 80, "/CCMTOKENAUTH_SMS_DP_SMSPKG$/PS100001/a.cab");
	judge(&token, NULL, &lab, buf, sizeof buf);
	cr_assert_eq(posture_client_auth(&token, &lab), CLIENT_AUTH_ENHANCED_HTTP);
	flow_release(&token);
	/* no HTTP finding of the current branch on a 2007 set's flow, no native mode finding on a current branch one */
	cr_assert_null(strstr(buf, "http-in-native-mode"));
}

Test(cb, the_census_classes_tls_by_its_handshake)
{
	char buf[256];
	struct flow_label lab;
	struct flow mutual = tls_flow("10.22.0.21", "10.21.0.10", 443, TLS_POSTURE_MUTUAL, "DC=com, DC=contoso, CN=Contoso Enterprise CA");
	judge(&mutual, NULL, &lab, buf, sizeof buf);
	cr_assert_eq(posture_client_auth(&mutual, &lab), CLIENT_AUTH_PKI_MUTUAL);
	flow_release(&mutual);
	struct flow sms = tls_flow("10.12.0.21", "10.11.0.10", 443, TLS_POSTURE_SERVER_ONLY, "CN=SMS Issuing");
	judge(&sms, NULL, &lab, buf, sizeof buf);
	cr_assert_eq(posture_client_auth(&sms, &lab), CLIENT_AUTH_ENHANCED_HTTP);
	flow_release(&sms);
	struct flow pki = tls_flow("10.22.0.24", "10.21.0.11", 443, TLS_POSTURE_REQUESTED_REFUSED, "CN=Contoso Enterprise CA");
	judge(&pki, NULL, &lab, buf, sizeof buf);
	cr_assert_eq(posture_client_auth(&pki, &lab), CLIENT_AUTH_UNKNOWN);
	flow_release(&pki);
	/* not a client: not counted */
	struct flow console = tls_flow("10.13.0.5", "10.11.0.19", 443, TLS_POSTURE_SERVER_ONLY, NULL);
	judge(&console, NULL, &lab, buf, sizeof buf);
	cr_assert_str_eq(lab.match.best->id, "CB49");
	cr_assert_eq(posture_client_auth(&console, &lab), CLIENT_AUTH_NONE);
	flow_release(&console);
	/* an RDN of the issuer, never a part of one */
	cr_assert(posture_issuer_has("CN=SMS Issuing", "CN=SMS Issuing"));
	cr_assert(posture_issuer_has("DC=com, CN=SMS Issuing", "CN=SMS Issuing"));
	cr_assert(posture_issuer_has("OU=x + CN=SMS Issuing, O=y", "CN=SMS Issuing"));
	cr_assert_not(posture_issuer_has("CN=SMS Issuing CA", "CN=SMS Issuing"));
	cr_assert_not(posture_issuer_has("CN=Not SMS Issuing", "CN=SMS Issuing"));
	cr_assert_not(posture_issuer_has("O=CN=SMS Issuing Ltd", "CN=SMS Issuing"));
}

Test(cb, reserved_ports_and_wake_on_lan)
{
	char buf[256];
	struct flow_label lab;
	struct flow ssb = mk(IP_PROTO_TCP, "10.21.0.20", 40000, "10.11.0.20", 4022);
	cr_assert_str_eq(judge(&ssb, NULL, &lab, buf, sizeof buf), "");
	cr_assert_str_eq(lab.match.best->id, "CB160");
	struct flow stranger = mk(IP_PROTO_TCP, "10.12.0.21", 40000, "10.11.0.20", 4022);
	cr_assert(strstr(judge(&stranger, NULL, &lab, buf, sizeof buf), "sql-broker-outside-site-databases"), "%s", buf);
	struct flow channel = mk(IP_PROTO_TCP, "10.11.0.30", 40000, "203.0.113.10", 10150);
	cr_assert_str_eq(judge(&channel, NULL, &lab, buf, sizeof buf), "");
	cr_assert_str_eq(lab.match.best->id, "CB32");
	struct flow misuse = mk(IP_PROTO_TCP, "10.12.0.23", 40000, "203.0.113.10", 10150);
	cr_assert(strstr(judge(&misuse, NULL, &lab, buf, sizeof buf), "cmg-channel-port-misuse"), "%s", buf);
	/* a wake-up proxy manager is a client: its magic packet is expected; an outsider's is not */
	struct flow wol = mk(IP_PROTO_UDP, "10.12.0.22", 40000, "10.12.0.21", 9);
	wol.app_proof = APP_WOL;
	flow_ext_more(&wol)->wol.has = true;
	cr_assert_str_eq(judge(&wol, NULL, &lab, buf, sizeof buf), "");
	cr_assert_str_eq(lab.match.best->id, "CB3");
	flow_release(&wol);
	struct flow out = mk(IP_PROTO_UDP, "10.7.0.99", 40000, "10.12.0.21", 9);
	out.app_proof = APP_WOL;
	flow_ext_more(&out)->wol.has = true;
	cr_assert(strstr(judge(&out, NULL, &lab, buf, sizeof buf), "wol-not-from-site-server"), "%s", buf);
	flow_release(&out);
}

struct cfg_seen {
	unsigned n;
	char ids[256];
};

static void config_finding(void *ctx, const struct finding_kind *kind, const char *detail)
{
	struct cfg_seen *seen = ctx;
	(void)detail;
	size_t at = strlen(seen->ids);
	snprintf(seen->ids + at, sizeof seen->ids - at, "%s%s", seen->n++ ? "," : "", kind ? kind->id : "(none)");
}

Test(cb, a_deprecated_http_site_is_a_configuration_finding)
{
	knowledge_release(k);
	load(PCAP_DIR "/../tests/e2e/findings/http-only-site.conf");
	struct cfg_seen seen = { 0, "" };
	verdict_config(k, config_finding, &seen);
	cr_assert(strstr(seen.ids, "http-only-site"), "%s", seen.ids);
}

/* Unit tests of the port matrix (signatures/configmgr2007.rules), the role vocabulary and the site
 * configuration: every source row has a rule, parse errors name file and line, matching picks the right row. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit/roles.h"
#include "audit/rules.h"
#include "audit/fingerprints.h"
#include "audit/infer.h"
#include "audit/site.h"

static struct ruleset *rs;
static struct site_config *site;
static char err[1024];

static void load(void)
{
	rs = rules_load(SIG_DIR "/configmgr2007.rules", err, sizeof err);
	cr_assert_not_null(rs, "%s", err);
	site = site_load(SIG_DIR "/example-site.conf", &rs->roles, err, sizeof err);
	cr_assert_not_null(site, "%s", err);
}

static void unload(void)
{
	site_free(site);
	rules_free(rs);
}

TestSuite(rules, .init = load, .fini = unload);

Test(rules, every_source_row_has_one_rule)
{
	FILE *fp = fopen(TEST_DIR "/configmgr2007-row-ids.txt", "r");
	cr_assert_not_null(fp);
	char id[16];
	unsigned n = 0;
	while (fscanf(fp, "%15s", id) == 1) {
		unsigned found = 0;
		for (unsigned i = 0; i < rs->n; i++)
			found += strcmp(rs->rules[i].row, id) == 0;
		cr_assert_eq(found, 1, "row %s has %u rules", id, found);
		n++;
	}
	fclose(fp);
	cr_assert_eq(n, 119);
	cr_assert_eq(rs->n, 119, "no rule without a source row");
}

Test(rules, role_relations)
{
	const struct roles *r = &rs->roles;
	int pss = roles_find(r, "primary-site-server", 19), ss = roles_find(r, "site-server", 11);
	int mdp = roles_find(r, "multicast-distribution-point", 28), dp = roles_find(r, "distribution-point", 18);
	int bdp = roles_find(r, "branch-distribution-point", 25);
	cr_assert(pss >= 0 && ss >= 0 && mdp >= 0 && dp >= 0 && bdp >= 0);
	cr_assert(roles_closure(r, ROLE_BIT(pss)) & ROLE_BIT(ss));
	cr_assert(roles_closure(r, ROLE_BIT(mdp)) & ROLE_BIT(dp));
	cr_assert_not(roles_closure(r, ROLE_BIT(bdp)) & ROLE_BIT(dp));
	cr_assert_not(roles_closure(r, ROLE_BIT(ss)) & ROLE_BIT(pss));
	cr_assert_geq(roles_find(r, "internet", 8), 0);
}

static role_set roles_of(const char *addr)
{
	uint8_t a[16] = { 0 };
	int fam = strchr(addr, ':') ? 6 : 4;
	cr_assert_eq(inet_pton(fam == 4 ? AF_INET : AF_INET6, addr, a), 1);
	return site_roles(site, &rs->roles, (uint8_t)fam, a);
}

static role_set role(const char *name)
{
	int i = roles_find(&rs->roles, name, strlen(name));
	cr_assert_geq(i, 0, "%s", name);
	return ROLE_BIT(i);
}

static const char *match(const char *src, const char *dst, uint8_t proto, uint16_t dport, const char *app,
			 const char *url, bool *reversed)
{
	static struct rule_match m;
	struct site_ports ports = site_at(site, 0)->ports;
	struct flow_facts ff = {
		.src_roles = roles_of(src), .dst_roles = roles_of(dst), .proto = proto, .sport = 50000, .dport = dport,
		.app = app, .url = url, .ports = &ports,
	};
	if (!rules_match(rs, &ff, &m))
		return "none";
	if (reversed)
		*reversed = m.reversed;
	return m.best->id;
}

/* The role index must not lose a candidate: a flow made of each rule's own ends and first port finds that rule,
 * as the best or among the others (one the same ends and port would also describe). */
Test(rules, every_rule_found_from_its_own_ends)
{
	struct site_ports ports;
	site_ports_default(&ports);
	unsigned checked = 0;
	for (unsigned i = 0; i < rs->n; i++) {
		const struct rule *r = &rs->rules[i];
		const struct rule_port *p = &r->ports[0];
		if (p->kind != PK_FIXED && p->kind != PK_RANGE && p->kind != PK_VAR)
			continue;
		struct flow_facts ff = {
			.src_roles = roles_closure(&rs->roles, r->multicast ? r->to : r->from),
			.dst_roles = r->multicast ? 0 : roles_closure(&rs->roles, r->to), .proto = p->proto, .sport = 50000,
			.dport = p->kind == PK_VAR ? ports.v[p->var] : p->lo, .ports = &ports, .dst_multicast = r->multicast,
		};
		struct rule_match m;
		cr_assert(rules_match(rs, &ff, &m), "%s: no rule", r->id);
		bool found = m.best == r;
		for (unsigned k = 0; k < m.nothers && !found; k++)
			found = m.others[k] == r;
		cr_assert(found || m.nothers == RULE_MAX_OTHERS, "%s not among the rules found (best %s)", r->id, m.best->id);
		checked++;
	}
	cr_assert_geq(checked, 100, "only %u rules checked", checked);
}

Test(rules, client_paths)
{
	bool rev = true;
	cr_assert_str_eq(match("10.2.0.21", "10.1.0.10", 6, 80, "http", "/ccm_system/request", &rev), "R45");
	cr_assert_not(rev);
	cr_assert_str_eq(match("10.2.0.21", "10.1.0.10", 6, 443, "tls", NULL, NULL), "R46");
	cr_assert_str_eq(match("10.2.0.21", "10.1.0.11", 6, 80, "http", "/SMS_DP_SMSPKG$/ABC00001/x", NULL), "R40");
	cr_assert_str_eq(match("10.2.0.21", "10.1.0.11", 6, 445, "smb", NULL, NULL), "R42");
	cr_assert_str_eq(match("10.2.0.21", "10.1.0.12", 6, 8530, "http", "/ClientWebService/client.asmx", NULL), "R17");
	cr_assert_str_eq(match("10.2.0.21", "10.1.0.12", 6, 8531, "tls", NULL, NULL), "R18");
	cr_assert_str_eq(match("10.2.0.21", "10.1.0.12", 6, 80, "http", NULL, NULL), "none",
			 "the site's update point listens on 8530, not 80");
	cr_assert_str_eq(match("10.2.0.21", "10.1.0.13", 6, 80, "http", "/SMS_SLP/.sms_aut?SITECODE", NULL), "R47");
	cr_assert_str_eq(match("10.2.0.21", "10.1.0.14", 6, 80, "http", "/SMS_FSP/.sms_fsp", NULL), "R36");
	cr_assert_str_eq(match("10.2.0.21", "10.9.0.1", 6, 389, "ldap", NULL, NULL), "RP3");
}

Test(rules, site_system_paths_and_direction)
{
	bool rev = false;
	cr_assert_str_eq(match("10.1.0.5", "10.2.0.21", 6, 445, "smb", NULL, NULL), "RP1");
	cr_assert_str_eq(match("10.1.0.5", "10.1.0.20", 6, 1433, "tds", NULL, NULL), "R62");
	cr_assert_str_eq(match("10.1.0.5", "10.9.0.1", 6, 88, "krb5", NULL, NULL), "R9");
	cr_assert_str_eq(match("10.3.0.5", "10.2.0.21", 6, 2701, NULL, NULL, NULL), "R79");
	cr_assert_str_eq(match("10.3.0.5", "10.2.0.21", 17, 2702, NULL, NULL, NULL), "R80");
	/* a management point that connects to a client's port 80: row 45 the wrong way round */
	cr_assert_str_eq(match("10.1.0.10", "10.2.0.21", 6, 80, NULL, NULL, &rev), "R45");
	cr_assert(rev);
	/* a distribution point that starts SMB to its site server: row 37 is '->' from the site server */
	cr_assert_str_eq(match("10.1.0.11", "10.1.0.5", 6, 445, "smb", NULL, &rev), "R37");
	cr_assert(rev);
	/* '<->' rows go both ways without a reversal */
	cr_assert_str_eq(match("10.1.0.12", "10.1.0.5", 6, 445, "smb", NULL, &rev), "R10");
	cr_assert_not(rev);
	cr_assert_str_eq(match("10.1.0.18", "10.2.9.10", 6, 16992, "http", NULL, NULL), "R108");
	cr_assert_str_eq(match("10.2.9.10", "10.1.0.18", 6, 9971, "tls", NULL, NULL), "R107");
	cr_assert_str_eq(match("10.7.0.99", "10.1.0.20", 6, 1433, "tds", NULL, NULL), "none");
}

Test(rules, dynamic_ports_multicast_icmp)
{
	struct site_ports ports = site_at(site, 0)->ports;
	struct rule_match m;
	struct flow_facts ff = { .src_roles = roles_of("10.1.0.5"), .dst_roles = roles_of("10.9.0.1"), .proto = 6,
				 .dport = 49667, .followup = FOLLOWUP_RPC, .ports = &ports };
	cr_assert(rules_match(rs, &ff, &m));
	cr_assert_str_eq(m.best->id, "R8");
	ff.followup = FOLLOWUP_NONE;
	cr_assert_not(rules_match(rs, &ff, &m), "a high port without its endpoint mapper answer is no RPC path");

	uint8_t group[4] = { 239, 255, 10, 1 };
	(void)group;
	struct flow_facts mc = { .src_roles = roles_of("10.1.0.30"), .proto = 17, .dport = 63000, .dst_multicast = true,
				 .ports = &ports };
	cr_assert(rules_match(rs, &mc, &m));
	cr_assert_str_eq(m.best->id, "R43");
	mc.dport = 62999;
	cr_assert_not(rules_match(rs, &mc, &m));

	struct flow_facts ping = { .src_roles = role("client-status-reporting-host"), .dst_roles = roles_of("10.2.0.21"),
				   .proto = 58, .icmp_type = 128, .ports = &ports };
	cr_assert(rules_match(rs, &ping, &m));
	cr_assert_str_eq(m.best->id, "R94");
}

Test(rules, site_port_variables)
{
	char buf[256];
	const struct rule *r45 = NULL, *r17 = NULL;
	for (unsigned i = 0; i < rs->n; i++) {
		if (!strcmp(rs->rules[i].id, "R45"))
			r45 = &rs->rules[i];
		if (!strcmp(rs->rules[i].id, "R17"))
			r17 = &rs->rules[i];
	}
	cr_assert(r45 && r17);
	struct site_ports p;
	site_ports_default(&p);
	cr_assert_str_eq(rule_ports_str(r17, &p, buf, sizeof buf), "tcp/80");
	cr_assert_str_eq(rule_ports_str(r17, &site_at(site, 0)->ports, buf, sizeof buf), "tcp/8530");
	p.v[VAR_HTTP] = 8080;
	cr_assert_str_eq(rule_ports_str(r45, &p, buf, sizeof buf), "tcp/8080");
	cr_assert_str_eq(rule_label(rs, r45, buf, sizeof buf), "Client -> Management point: HTTP (Table 1 row 45)");
}

Test(rules, site_lookups)
{
	cr_assert_eq(roles_of("10.2.0.21"), role("client"));
	cr_assert_eq(roles_of("10.2.9.10"), role("client") | role("amt-controller"), "the /24 beats the /16");
	cr_assert(roles_of("10.1.0.5") & role("site-server"), "primary site server is a site server");
	cr_assert_eq(roles_of("8.8.8.8"), role("internet"));
	cr_assert_eq(roles_of("10.7.0.99"), 0, "private and unconfigured: unknown, not internet");
	cr_assert_eq(roles_of("255.255.255.255"), 0);
	cr_assert_eq(roles_of("2001:4860::8888"), role("internet"));
	cr_assert_eq(roles_of("fe80::1"), 0);
}

/* Writes text to a temporary file and returns its name. */
static const char *temp_file(const char *text)
{
	static char path[64];
	snprintf(path, sizeof path, "/tmp/cmflow-test-XXXXXX");
	int fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	FILE *fp = fdopen(fd, "w");
	fputs(text, fp);
	fclose(fp);
	return path;
}

/* A loader on a file: true when it accepted the file (whatever it loaded is freed). */
typedef bool (*loader)(const char *path);

static bool load_site(const char *path)
{
	struct site_config *sc = site_load(path, &rs->roles, err, sizeof err);
	site_free(sc);
	return sc != NULL;
}

static bool load_rules(const char *path)
{
	struct ruleset *r = rules_load(path, err, sizeof err);
	rules_free(r);
	return r != NULL;
}

static bool load_fingerprints(const char *path)
{
	struct fingerprints *f = fingerprints_load(path, &rs->roles, err, sizeof err);
	fingerprints_free(f);
	return f != NULL;
}

/* The loader refuses text, and its message names the file, the line and the word. */
static void expect_error(loader load, const char *text, int line, const char *word)
{
	const char *path = temp_file(text);
	char want[128];
	cr_assert_not(load(path), "accepted: %s", text);
	snprintf(want, sizeof want, "%s:%d:", path, line);
	cr_assert(strstr(err, want), "message '%s' lacks '%s'", err, want);
	cr_assert(strstr(err, word), "message '%s' lacks '%s'", err, word);
	unlink(path);
}

Test(rules, site_errors_name_file_line_and_word)
{
	expect_error(load_site, "site ABC mode=native\nhost 10.1.0.5 roles=managment-point\n", 2, "managment-point");
	expect_error(load_site, "# c\nsite ABC mode=natve\n", 2, "natve");
	expect_error(load_site, "site ABC\nhost 10.2.0.1/16 roles=client\n", 2, "10.2.0.1/16");
	expect_error(load_site, "site ABC\nhost 10.2.0.0/16 site=XYZ roles=client\n", 2, "XYZ");
	expect_error(load_site, "site ABC\nhost 10.1.0.5 roles=client\nhost 10.1.0.5 roles=console\n", 3, "10.1.0.5");
	expect_error(load_site, "site ABC http-port=0\n", 1, "http-port=0");
	expect_error(load_site, "site ABC\nhots 10.1.0.5 roles=client\n", 2, "hots");
	expect_error(load_site, "site ABC\nhost 10.1.0.999 roles=client\n", 2, "10.1.0.999");
	expect_error(load_site, "site ABC\nhost 2001:db8::/129 roles=client\n", 2, "2001:db8::/129");
	expect_error(load_site, "site ABC\nhost 10.1.0.5\n", 2, "roles");
}

Test(rules, rules_errors_name_file_line_and_word)
{
	const char *roles = "role client \"Client\"\nrole management-point \"Management point\"\n";
	char text[512];
	snprintf(text, sizeof text, "%srule 45 client -> manager \"HTTP\" tcp/80\n", roles);
	expect_error(load_rules, text, 3, "manager");
	snprintf(text, sizeof text, "%srule 45 client => management-point \"HTTP\" tcp/80\n", roles);
	expect_error(load_rules, text, 3, "=>");
	snprintf(text, sizeof text, "%srule 45 client -> management-point \"HTTP\" tcp/80000\n", roles);
	expect_error(load_rules, text, 3, "tcp/80000");
	snprintf(text, sizeof text, "%srule 45 client -> management-point \"HTTP\" tcp/$NOPE\n", roles);
	expect_error(load_rules, text, 3, "$NOPE");
	snprintf(text, sizeof text, "%srule 45 client -> management-point \"HTTP\" tcp/80\nrule 45 client -> "
				    "management-point \"HTTP\" tcp/80\n", roles);
	expect_error(load_rules, text, 4, "45");
	snprintf(text, sizeof text, "%srule 45 client -> management-point \"HTTP tcp/80\n", roles);
	expect_error(load_rules, text, 3, "quote");
	snprintf(text, sizeof text, "%srule 45 client -> management-point \"HTTP\" tcp/80 colour=blue\n", roles);
	expect_error(load_rules, text, 3, "colour=blue");
	expect_error(load_rules, "role a-b \"A\" is=c-d\n", 1, "c-d");
}

Test(rules, fingerprints_load_and_errors_name_file_line_and_word)
{
	struct fingerprints *fp = fingerprints_load(SIG_DIR "/fingerprints.txt", &rs->roles, err, sizeof err);
	cr_assert_not_null(fp, "%s", err);
	role_set shown = fingerprints_roles(fp);
	const char *must[] = { "management-point", "distribution-point", "software-update-point", "sql-server",
			       "domain-controller", "pxe-service-point", "amt-controller", "site-server", "console", "client",
			       "multicast-distribution-point", "server-locator-point", "fallback-status-point" };
	for (size_t i = 0; i < sizeof must / sizeof must[0]; i++)
		cr_assert(shown & ROLE_BIT(roles_find(&rs->roles, must[i], strlen(must[i]))), "no fingerprint for %s", must[i]);
	fingerprints_free(fp);
	expect_error(load_fingerprints, "# x\ninfer managment-point server url /SMS_MP/\n", 2, "managment-point");
	expect_error(load_fingerprints, "infer client both url /x\n", 1, "both");
	expect_error(load_fingerprints, "infer client client smell /x\n", 1, "smell");
	expect_error(load_fingerprints, "infer console client port tcp/99999\n", 1, "tcp/99999");
	expect_error(load_fingerprints, "infer site-server client wol yes\n", 1, "yes");
	expect_error(load_fingerprints, "infer site-server client smb-share ADMIN$ colour=red\n", 1, "colour=red");
	expect_error(load_fingerprints, "rule 45 client -> management-point \"HTTP\" tcp/80\n", 1, "rule");
}

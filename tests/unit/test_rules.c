/* Unit tests of the port matrices (signatures/configmgr2007.rules, and the current branch's configmgr-cb.rules
 * over the same role vocabulary), the role vocabulary and the site configuration: every source row has a rule
 * (or, in the current branch's set, its documented skip), parse errors name file and line, matching picks the
 * right row. */
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

static struct ruleset *rs, *rs_cb;
static struct site_config *site;
static char err[1024];

static void load(void)
{
	rs = rules_load(SIG_DIR "/configmgr2007.rules", err, sizeof err);
	cr_assert_not_null(rs, "%s", err);
	site = site_load(SIG_DIR "/example-site.conf", &rs->roles, err, sizeof err);
	cr_assert_not_null(site, "%s", err);
	rs_cb = rules_load_with(SIG_DIR "/configmgr-cb.rules", &rs->roles, err, sizeof err);
	cr_assert_not_null(rs_cb, "%s", err);
}

static void unload(void)
{
	site_free(site);
	rules_free(rs);
	rules_free(rs_cb);
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
	/* the fingerprints name roles of both sets: the vocabulary of both */
	struct fingerprints *fp = fingerprints_load(SIG_DIR "/fingerprints.txt", &rs_cb->roles, err, sizeof err);
	cr_assert_not_null(fp, "%s", err);
	role_set shown = fingerprints_roles(fp);
	const char *must[] = { "management-point", "distribution-point", "software-update-point", "sql-server",
			       "domain-controller", "pxe-service-point", "amt-controller", "site-server", "console", "client",
			       "multicast-distribution-point", "server-locator-point", "fallback-status-point" };
	for (size_t i = 0; i < sizeof must / sizeof must[0]; i++)
		cr_assert(shown & ROLE_BIT(roles_find(&rs_cb->roles, must[i], strlen(must[i]))), "no fingerprint for %s", must[i]);
	fingerprints_free(fp);
	expect_error(load_fingerprints, "# x\ninfer managment-point server url /SMS_MP/\n", 2, "managment-point");
	expect_error(load_fingerprints, "infer client both url /x\n", 1, "both");
	expect_error(load_fingerprints, "infer client client smell /x\n", 1, "smell");
	expect_error(load_fingerprints, "infer console client port tcp/99999\n", 1, "tcp/99999");
	expect_error(load_fingerprints, "infer site-server client wol yes\n", 1, "yes");
	expect_error(load_fingerprints, "infer site-server client smb-share ADMIN$ colour=red\n", 1, "colour=red");
	expect_error(load_fingerprints, "rule 45 client -> management-point \"HTTP\" tcp/80\n", 1, "rule");
}

/* ---- the current branch's set ---- */

/* Every row of reference/configmgr-cb-ports.tsv has one rule whose id is the row, or is skipped with a reason
 * when the page names no endpoints; no rule or skip without a row. */
Test(rules, every_current_branch_row_has_its_rule_or_its_skip)
{
	FILE *fp = fopen(TEST_DIR "/configmgr-cb-row-ids.txt", "r");
	cr_assert_not_null(fp);
	char line[256], id[16], what[16];
	unsigned rules = 0, skips = 0;
	while (fgets(line, sizeof line, fp)) {
		if (line[0] == '#' || sscanf(line, "%15s %15s", id, what) != 2)
			continue;
		unsigned found = 0, skipped = 0;
		for (unsigned i = 0; i < rs_cb->n; i++)
			if (!strcmp(rs_cb->rules[i].row, id)) {
				found++;
				cr_assert_str_eq(rs_cb->rules[i].id, id, "the rule of row %s is %s", id, rs_cb->rules[i].id);
			}
		for (unsigned i = 0; i < rs_cb->nskips; i++)
			if (!strcmp(rs_cb->skips[i].row, id)) {
				skipped++;
				cr_assert_gt(strlen(rs_cb->skips[i].reason), 10);
			}
		if (!strcmp(what, "rule"))
			cr_assert(found == 1 && !skipped, "row %s: %u rules, %u skips", id, found, skipped);
		else
			cr_assert(!found && skipped == 1, "row %s (no endpoints): %u rules, %u skips", id, found, skipped);
		rules += found;
		skips += skipped;
	}
	fclose(fp);
	cr_assert_eq(rules, 169);
	cr_assert_eq(skips, 18);
	cr_assert_eq(rs_cb->n, 169, "no rule without a row");
	cr_assert_eq(rs_cb->nskips, 18);
	cr_assert_str_eq(rs_cb->set, "cb");
	cr_assert_str_eq(rs->set, "2007");
}

/* One vocabulary: the current branch's set starts with 2007's roles at the same indexes (a 2007 name is the
 * current branch's name of that role), adds its own after them, and fits the 64 bits of a role set. */
Test(rules, one_role_vocabulary_for_both_sets)
{
	cr_assert_geq(rs_cb->roles.n, rs->roles.n);
	for (unsigned i = 0; i < rs->roles.n; i++)
		cr_assert_str_eq(rs_cb->roles.name[i], rs->roles.name[i]);
	cr_assert_leq(rs_cb->roles.n, ROLES_MAX);
	const char *cb_only[] = { "cloud-management-gateway", "cmg-connection-point", "pull-distribution-point",
				  "service-connection-point", "any-device", "microsoft" };
	for (size_t i = 0; i < sizeof cb_only / sizeof cb_only[0]; i++) {
		cr_assert_lt(roles_find(&rs->roles, cb_only[i], strlen(cb_only[i])), 0, "%s in 2007's own file", cb_only[i]);
		cr_assert_geq(roles_find(&rs_cb->roles, cb_only[i], strlen(cb_only[i])), (int)rs->roles.n, "%s", cb_only[i]);
	}
	/* the TSV's names of 2007 roles are not roles of their own */
	cr_assert_lt(roles_find(&rs_cb->roles, "sms-provider", 12), 0);
	cr_assert_lt(roles_find(&rs_cb->roles, "upstream-wsus-server", 20), 0);
	cr_assert_lt(roles_find(&rs_cb->roles, "asset-intelligence-synchronization-point", 40), 0);
	int pull = roles_find(&rs_cb->roles, "pull-distribution-point", 23);
	int dp = roles_find(&rs_cb->roles, "distribution-point", 18);
	cr_assert(roles_closure(&rs_cb->roles, ROLE_BIT(pull)) & ROLE_BIT(dp));
	int any = roles_find(&rs_cb->roles, "any-device", 10), ms = roles_find(&rs_cb->roles, "microsoft", 9);
	int inet = roles_find(&rs_cb->roles, "internet", 8);
	cr_assert_eq(rs_cb->roles.every_host, ROLE_BIT(any));
	cr_assert(rs_cb->roles.on_internet & ROLE_BIT(ms));
	cr_assert(roles_for_matching(&rs_cb->roles, ROLE_BIT(inet), ROLE_BIT(inet)) & ROLE_BIT(ms));
	cr_assert_not(roles_for_matching(&rs_cb->roles, 0, ROLE_BIT(inet)) & ROLE_BIT(ms));
	cr_assert(roles_for_matching(&rs_cb->roles, 0, ROLE_BIT(inet)) & ROLE_BIT(any));
	/* a role of the current branch is unknown to a configuration read with 2007's file alone, known with both */
	char path[] = "/tmp/cmflow-test-XXXXXX";
	int fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	const char *text = "site PS1 version=cb\nhost 10.11.0.30 site=PS1 roles=cmg-connection-point\n";
	cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	struct site_config *sc = site_load(path, &rs_cb->roles, err, sizeof err);
	cr_assert_not_null(sc, "%s", err);
	cr_assert_eq(site_at(sc, 0)->version, SITE_VCB);
	site_free(sc);
	cr_assert_null(site_load(path, &rs->roles, err, sizeof err));
	cr_assert(strstr(err, "cmg-connection-point"), "%s", err);
	unlink(path);
}

static const char *match_cb(role_set src, role_set dst, uint8_t proto, uint16_t dport, const char *app,
			    const char *url, const struct site_ports *ports)
{
	static struct rule_match m;
	int inet = roles_find(&rs_cb->roles, "internet", 8);
	struct flow_facts ff = {
		.src_roles = roles_for_matching(&rs_cb->roles, roles_closure(&rs_cb->roles, src), ROLE_BIT(inet)),
		.dst_roles = roles_for_matching(&rs_cb->roles, roles_closure(&rs_cb->roles, dst), ROLE_BIT(inet)),
		.proto = proto, .sport = 50000, .dport = dport, .app = app, .url = url, .ports = ports,
	};
	return rules_match(rs_cb, &ff, &m) ? m.best->id : "none";
}

static role_set cb_role(const char *name)
{
	int i = roles_find(&rs_cb->roles, name, strlen(name));
	cr_assert_geq(i, 0, "%s", name);
	return ROLE_BIT(i);
}

Test(rules, current_branch_paths)
{
	struct site_ports p;
	site_ports_default(&p);
	role_set client = cb_role("client"), mp = cb_role("management-point"), dp = cb_role("distribution-point");
	cr_assert_str_eq(match_cb(client, mp, 6, 10123, NULL, NULL, &p), "CB22");
	cr_assert_str_eq(match_cb(client, mp, 6, 80, "http", "/ccm_system/request", &p), "CB23");
	cr_assert_str_eq(match_cb(client, mp, 6, 443, "tls", NULL, &p), "CB24");
	cr_assert_str_eq(match_cb(client, dp, 6, 8005, NULL, NULL, &p), "CB14");
	cr_assert_str_eq(match_cb(client, client, 6, 8003, "tls", NULL, &p), "CB6");
	cr_assert_str_eq(match_cb(client, client, 17, 25536, NULL, NULL, &p), "CB4");
	cr_assert_str_eq(match_cb(cb_role("sql-server"), cb_role("sql-server"), 6, 4022, NULL, NULL, &p), "CB160");
	cr_assert_str_eq(match_cb(cb_role("cmg-connection-point"), cb_role("cloud-management-gateway"), 6, 10130, "tls",
				  NULL, &p), "CB31");
	cr_assert_str_eq(match_cb(cb_role("cmg-connection-point"), cb_role("cloud-management-gateway"), 6, 10150, "tls",
				  NULL, &p), "CB32");
	/* any device to the administration service; the console's own row first */
	cr_assert_str_eq(match_cb(0, cb_role("provider"), 6, 443, "tls", NULL, &p), "CB50");
	cr_assert_str_eq(match_cb(cb_role("console"), cb_role("provider"), 6, 443, "tls", NULL, &p), "CB49");
	/* an internet address taken for Microsoft's services, only where a rule names them */
	role_set inet = cb_role("internet");
	cr_assert_str_eq(match_cb(cb_role("asset-intelligence-sync-point"), inet, 6, 443, "tls", NULL, &p), "CB1");
	cr_assert_str_eq(match_cb(cb_role("service-connection-point"), inet, 6, 443, "tls", NULL, &p), "CB78");
	cr_assert_str_eq(match_cb(client, inet, 6, 443, "tls", NULL, &p), "none");
	/* the site's ports: a SQL Server on 1533, client notification on 10200, WSUS on 8530 by default */
	struct site_ports q = p;
	q.v[VAR_SQL] = 1533;
	q.v[VAR_NOTIFY] = 10200;
	cr_assert_str_eq(match_cb(mp, cb_role("sql-server"), 6, 1533, "tds", NULL, &q), "CB72");
	cr_assert_str_eq(match_cb(mp, cb_role("sql-server"), 6, 1433, "tds", NULL, &q), "none");
	cr_assert_str_eq(match_cb(client, mp, 6, 10200, NULL, NULL, &q), "CB22");
	cr_assert_str_eq(match_cb(client, mp, 6, 10123, NULL, NULL, &q), "none");
	char label[512];
	cr_assert(strstr(rule_label(rs_cb, rules_find_row(rs_cb, "CB22"), label, sizeof label), "current branch port list row CB22"),
		  "%s", label);
}

/* The current branch's role index keeps every candidate, as 2007's does. */
Test(rules, every_current_branch_rule_found_from_its_own_ends)
{
	struct site_ports ports;
	site_ports_default(&ports);
	unsigned checked = 0;
	for (unsigned i = 0; i < rs_cb->n; i++) {
		const struct rule *r = &rs_cb->rules[i];
		const struct rule_port *p = &r->ports[0];
		if (p->kind != PK_FIXED && p->kind != PK_RANGE && p->kind != PK_VAR)
			continue;
		struct flow_facts ff = {
			.src_roles = roles_closure(&rs_cb->roles, r->multicast ? r->to : r->from),
			.dst_roles = r->multicast ? 0 : roles_closure(&rs_cb->roles, r->to), .proto = p->proto, .sport = 50000,
			.dport = p->kind == PK_VAR ? ports.v[p->var] : p->lo, .ports = &ports, .dst_multicast = r->multicast,
		};
		struct rule_match m;
		cr_assert(rules_match(rs_cb, &ff, &m), "%s: no rule", r->id);
		bool found = m.best == r;
		for (unsigned k = 0; k < m.nothers && !found; k++)
			found = m.others[k] == r;
		cr_assert(found || m.nothers == RULE_MAX_OTHERS, "%s not among the rules found (best %s)", r->id, m.best->id);
		checked++;
	}
	cr_assert_geq(checked, 100, "only %u rules checked", checked);
}

Test(rules, current_branch_site_and_set_errors_name_file_line_and_word)
{
	expect_error(load_site, "site PS1 version=cb mode=native\n", 1, "mode=native");
	expect_error(load_site, "site PS1 version=cb http-fallback=yes\n", 1, "http-fallback=yes");
	expect_error(load_site, "site ABC comm=https-only\n", 1, "comm=https-only");
	expect_error(load_site, "site ABC notify-port=10123\n", 1, "notify-port=10123");
	expect_error(load_site, "site PS1 version=cb comm=native\n", 1, "native");
	expect_error(load_site, "site PS1 version=cb enhanced-http=maybe\n", 1, "maybe");
	expect_error(load_site, "site PS1 version=2012\n", 1, "2012");
	expect_error(load_site, "site PS1 version=cb sql-broker-port=0\n", 1, "sql-broker-port=0");
	const char *head = "set cb \"ConfigMgr current branch\" ids=CB \"source=current branch port list\"\n"
			   "role client \"Client\"\nrole management-point \"Management point\"\n";
	char text[640];
	snprintf(text, sizeof text, "%srule 22 client -> management-point \"Notify\" tcp/$NOTIFY_PORT\n", head);
	expect_error(load_rules, text, 4, "22");
	snprintf(text, sizeof text, "%srule CB22 client -> management-point \"Notify\" tcp/$NOTIFY_PORT\nskip CB22 \"no\"\n",
		 head);
	expect_error(load_rules, text, 5, "CB22");
	snprintf(text, sizeof text, "%sskip CB9 \"the page names no endpoints\"\nskip CB9 \"again\"\n", head);
	expect_error(load_rules, text, 5, "CB9");
	snprintf(text, sizeof text, "%srule CB1 client -> management-point \"x\" tcp/1\n%s", head, head);
	expect_error(load_rules, text, 5, "set");
	expect_error(load_rules, "set cb \"Title\" ids=cb \"source=x\"\n", 1, "cb");
	expect_error(load_rules, "role any \"Any\" on=everywhere\n", 1, "everywhere");
	/* a current branch file may not declare a 2007 role again */
	char path[] = "/tmp/cmflow-test-XXXXXX";
	int fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	const char *again = "role provider \"SMS Provider\"\n";
	cr_assert_eq(write(fd, again, strlen(again)), (ssize_t)strlen(again));
	close(fd);
	cr_assert_null(rules_load_with(path, &rs->roles, err, sizeof err));
	cr_assert(strstr(err, ":1:") && strstr(err, "provider"), "%s", err);
	unlink(path);
}

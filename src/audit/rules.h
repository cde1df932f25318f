/* rules.h: a port matrix (signatures/configmgr2007.rules, and the current branch's signatures/configmgr-cb.rules):
 * parsing, resolving the site's port variables, and matching a flow to the rule that describes it. The 2007
 * file's header documents the syntax and the order in which rules are preferred; the current branch's file adds
 * its `set` and `skip` statements. */
#ifndef CMFLOW_RULES_H
#define CMFLOW_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "audit/roles.h"

enum site_var {
	VAR_HTTP, VAR_HTTPS, VAR_WSUS_HTTP, VAR_WSUS_HTTPS, VAR_WOL, VAR_AMT_PROVISION,
	/* the current branch's configurable ports */
	VAR_NOTIFY, VAR_WAKEUP_PROXY, VAR_EXPRESS, VAR_SQL, VAR_SQL_BROKER,
	VAR_COUNT
};

/* A site's values of the port variables. */
struct site_ports {
	uint16_t v[VAR_COUNT];
};

/* Ports of a site that sets nothing: client HTTP 80 / HTTPS 443, WSUS on 80 / 443, WOL 9, AMT provisioning 9971,
 * client notification 10123, wake-up proxy 25536, express updates 8005, SQL Server 1433, Service Broker 4022. */
void site_ports_default(struct site_ports *p);

enum port_kind {
	PK_FIXED, PK_RANGE, PK_VAR, PK_RPC_DYNAMIC, PK_SQL_DYNAMIC, PK_TFTP_DYNAMIC, PK_ICMP_ECHO, PK_GRE,
};

struct rule_port {
	uint8_t proto;   /* 6, 17, 1 (ICMP echo: either family), 47 */
	uint8_t kind;    /* enum port_kind */
	uint8_t var;     /* enum site_var for PK_VAR */
	uint16_t lo, hi;
};

#define RULE_MAX_PORTS 8
#define RULE_MAX_APPS 4
#define RULE_MAX_URLS 8

struct rule {
	char row[8];            /* "45", "N3", "P1"; "CB22" in a set with ids= */
	char id[10];            /* "R45"; the row itself in a set with ids= ("CB22") */
	role_set from, to;
	bool bidir;             /* '<->' */
	char service[96];
	struct rule_port ports[RULE_MAX_PORTS];
	unsigned nports;
	char apps[RULE_MAX_APPS][48];
	unsigned napps;
	char urls[RULE_MAX_URLS][48];
	unsigned nurls;
	bool multicast;
	char after_row[8];      /* after=ROW: a channel opened within a session of that row between the same hosts */
	int after;              /* index of that rule, or -1 */
	unsigned line;
	char *label;            /* rule_label(), made once at load: every flow event carries it */
};

/* The ends of a rule, apart from the rest so that matching a flow first skims them in a few cache lines. */
struct rule_ends {
	role_set from, to;
	bool multicast;
};

#define RULES_MAX 1024
#define RULE_WORDS (RULES_MAX / 64)

/* Rules by role: bit i of by_from[role][i / 64] is set when rule i has the role among its FROM roles (by_to the
 * same for TO), so that a flow's candidate rules are a few ORs and ANDs of the roles of its ends. */
struct rule_index {
	uint64_t by_from[ROLES_MAX][RULE_WORDS], by_to[ROLES_MAX][RULE_WORDS];
	uint64_t multicast[RULE_WORDS];
	unsigned words;
};

/* A row of the source that has no rule (the page names no endpoints), with the reason, for --list-rules. */
struct rule_skip {
	char row[8];
	char reason[120];
};

#define RULE_SKIPS_MAX 64

struct ruleset {
	char set[8];            /* the set's name: "2007" (a file without a `set` line), "cb" */
	char title[64];         /* "ConfigMgr 2007", "ConfigMgr current branch" */
	char id_prefix[4];      /* rows are PREFIX + number and ids the rows themselves; "" for 2007's numbering */
	char source[64];        /* how a label names the source of a row in a set with ids= */
	struct rule_skip *skips;
	unsigned nskips;
	struct roles roles;
	struct rule *rules;
	unsigned n;
	unsigned nafter;        /* rules with after= (their sessions announce them) */
	struct rule_ends *ends; /* ends[i] of rules[i] */
	struct rule_index *index;
	char *path;
};

/* Loads a rules file. NULL and "FILE:LINE: message 'word'" in err on error. */
struct ruleset *rules_load(const char *path, char *err, size_t errlen);

/* Loads a rules file whose role vocabulary starts as base (its `role` lines add roles after base's, whose
 * indexes stay the same): the second knowledge set shares the first one's roles. NULL and "FILE:LINE: message
 * 'word'" in err on error. */
struct ruleset *rules_load_with(const char *path, const struct roles *base, char *err, size_t errlen);

/* The rule whose row is row, or NULL. */
const struct rule *rules_find_row(const struct ruleset *rs, const char *row);
void rules_free(struct ruleset *rs);

/* Follow-up kinds a flow can have, for the rpc-dynamic / sql-dynamic / tftp-dynamic port kinds. */
enum followup_kind { FOLLOWUP_NONE = 0, FOLLOWUP_RPC, FOLLOWUP_SQL, FOLLOWUP_TFTP, FOLLOWUP_PPTP };

/* What the matcher needs to know about a flow. */
struct flow_facts {
	role_set src_roles, dst_roles;  /* initiator's and responder's roles, closure applied */
	uint8_t proto;
	uint16_t sport, dport;          /* dport: the responder's port */
	uint8_t icmp_type;
	bool icmp_v6;
	const char *app;                /* application protocol proven from the payload (Suricata name), or NULL */
	const char *url;                /* first HTTP request target, or NULL */
	uint8_t followup;               /* enum followup_kind */
	bool dst_multicast;             /* the responder address is a multicast group */
	const struct site_ports *ports; /* the site's port variables */
};

#define RULE_MAX_OTHERS 8

struct rule_match {
	const struct rule *best;
	bool reversed;                  /* best is a '->' rule and the flow went the other way */
	bool url_matched, app_matched;
	const struct rule *others[RULE_MAX_OTHERS];
	unsigned nothers;
};

/* Finds the rules that fit the flow; false when none does. */
bool rules_match(const struct ruleset *rs, const struct flow_facts *ff, struct rule_match *m);

/* True when the rule's ports (resolved for the site) include this flow's transport and responder port. */
bool rule_port_fits(const struct rule *r, const struct flow_facts *ff, int *specificity);

/* Parses a comma list of ports as a rule writes them ("tcp/2701,udp/2701,tcp/16992-16995"), for other data
 * files; false and "FILE:LINE: message 'word'" in err on error. */
bool rules_parse_ports(const char *list, struct rule_port *out, unsigned max, unsigned *n, const char *path,
		       unsigned line, char *err, size_t errlen);

/* True when one of the ports (fixed, range, or a site variable resolved with sp) is this transport and port. */
bool rule_ports_contain(const struct rule_port *ports, unsigned n, uint8_t proto, uint16_t port,
			const struct site_ports *sp);

/* True when app is one of the rule's app= protocols. */
bool rule_expects_app(const struct rule *r, const char *app);

/* "tcp/80,udp/63000-64000,tcp/rpc-dynamic" resolved for the site. */
const char *rule_ports_str(const struct rule *r, const struct site_ports *p, char *buf, size_t len);

/* "Client -> Management point: HTTP (Table 1 row 45)" */
const char *rule_label(const struct ruleset *rs, const struct rule *r, char *buf, size_t len);

/* Where the row comes from: "Table 1 row 45", "Table 2 row N3", "source text P2"; in a set with ids=, its
 * source and the row ("current branch port list row CB22"). */
const char *rule_source(const struct ruleset *rs, const struct rule *r, char *buf, size_t len);

/* Prints every rule as DESIGN.md's --list-rules line: id, row, from, dir, to, service, ports (tab-separated),
 * then each skipped row as a comment line "# ROW skipped: reason". */
void rules_list(const struct ruleset *rs, const struct site_ports *p, FILE *out);

#endif

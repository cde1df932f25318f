/* label.h: the ConfigMgr label of a flow: the roles of both ends (site configuration), and the rule of the port
 * matrix that describes it (role pair, service, row), chosen by the order documented in the rules file. The
 * port matrix is that of the flow's site's knowledge set (2007 or current branch). */
#ifndef CMFLOW_LABEL_H
#define CMFLOW_LABEL_H

#include <stdbool.h>

#include "flow/flow.h"
#include "audit/roles.h"
#include "audit/rules.h"
#include "audit/verdict.h"

struct knowledge;
struct site;
struct infer_table;

struct flow_label {
	role_set src_roles, dst_roles;   /* initiator, responder (closure applied); 0 = unknown */
	role_set src_inferred, dst_inferred; /* the part of them that role inference gave (no host line) */
	role_set src_matching, dst_matching; /* the roles the matcher saw on each end: theirs, and the roles any host
					      * or an internet address may have (roles_for_matching) */
	bool dst_broadcast;              /* responder is a broadcast or multicast address: any role may listen */
	const struct site *site;         /* the responder's site (else the initiator's), or NULL */
	const struct host_entry *src_host, *dst_host; /* the host lines of the ends, or NULL */
	const struct site *src_site, *dst_site;        /* the site of each end (site_of), or NULL */
	const struct ruleset *rules;     /* the knowledge set that labels the flow: its site's (knowledge_rules_for) */
	const struct policy *policy;     /* and that set's policy */
	bool matched;
	struct rule_match match;
	struct verdict_result verdict;   /* filled by verdict_flow */
};

/* Labels a flow (at its end, when everything about it is known). A host that no host line of the site
 * configuration covers takes the roles inferred from traffic (inf may be NULL). */
void label_flow(const struct knowledge *k, struct infer_table *inf, const struct flow *f, struct flow_label *out);

#endif

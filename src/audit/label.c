/* label.c: roles of both ends and the matching rule of the port matrix. */
#include <string.h>

#include "flow/dpi.h"
#include "flow/inspect.h"
#include "flow/flow_ext.h"
#include "audit/infer.h"
#include "audit/knowledge.h"
#include "audit/label.h"
#include "flow/mcast.h"
#include "audit/site.h"

static bool is_broadcast(uint8_t family, const uint8_t *a)
{
	static const uint8_t all[4] = { 255, 255, 255, 255 };
	return family == 4 ? memcmp(a, all, 4) == 0 : false;
}

static uint8_t followup_of(const struct flow *f)
{
	const struct flow_followup *x = f->ext ? f->ext->followup : NULL;
	if (x && !x->via && x->has_rpc_uuid && flow_dst_port(f) != 135)
		return FOLLOWUP_RPC; /* a bind on a dynamic port whose endpoint mapper answer was not seen */
	if (!x || !x->via)
		return FOLLOWUP_NONE;
	if (strcmp(x->via, "epm") == 0 || strcmp(x->via, "dcom") == 0)
		return FOLLOWUP_RPC;
	if (strcmp(x->via, "sql-browser") == 0)
		return FOLLOWUP_SQL;
	if (strcmp(x->via, "tftp") == 0)
		return FOLLOWUP_TFTP;
	if (strcmp(x->via, "pptp") == 0)
		return FOLLOWUP_PPTP;
	return FOLLOWUP_NONE;
}

/* A host's roles: its host line's (h); without one, those its traffic showed, else `internet` or none. */
static role_set roles_of(const struct knowledge *k, struct infer_table *inf, const struct host_entry *h, uint8_t fam,
			 const uint8_t *addr, role_set *inferred)
{
	const struct roles *roles = &k->rules->roles;
	if (h)
		return h->roles;
	if (inf && (*inferred = infer_roles(inf, roles, fam, addr)))
		return *inferred;
	return site_roles_unlisted(k->site, roles, fam, addr); /* `internet` for a public address */
}

void label_flow(const struct knowledge *k, struct infer_table *inf, const struct flow *f, struct flow_label *out)
{
	memset(out, 0, sizeof *out);
	if (!k || !k->rules)
		return;
	uint8_t fam = f->key.family;
	const uint8_t *src = flow_src_addr(f), *dst = flow_dst_addr(f);
	/* each end's host line once: its roles and its site come from it */
	out->src_host = site_lookup(k->site, fam, src);
	out->dst_host = site_lookup(k->site, fam, dst);
	out->src_roles = roles_of(k, inf, out->src_host, fam, src, &out->src_inferred);
	out->dst_roles = roles_of(k, inf, out->dst_host, fam, dst, &out->dst_inferred);
	out->dst_broadcast = is_broadcast(fam, dst) || mcast_is_group(fam, dst) || (f->flags & FLOW_F_L2_BROADCAST);
	out->src_site = site_of_host(k->site, out->src_host);
	out->dst_site = site_of_host(k->site, out->dst_host);
	out->site = out->dst_site ? out->dst_site : out->src_site;
	out->rules = knowledge_rules_for(k, out->site);
	out->policy = knowledge_policy_for(k, out->site);

	/* what a rule may see on each end besides its own roles: any host is "any device", an internet address may
	 * be Microsoft's or Azure's services (the current branch's role lines with on=) */
	const struct roles *roles = &k->rules->roles;
	out->src_matching = roles_for_matching(roles, out->src_roles, roles->internet);
	out->dst_matching = roles_for_matching(roles, out->dst_roles, roles->internet);
	struct flow_facts ff = {
		.src_roles = out->src_matching,
		/* a broadcast reaches every role on the link; the matcher may take any */
		.dst_roles = out->dst_broadcast ? ~(role_set)0 : out->dst_matching,
		.proto = f->key.ip_proto,
		.sport = flow_src_port(f),
		.dport = flow_dst_port(f),
		.icmp_type = f->icmp_type,
		.app = flow_app_proto(f),
		.url = f->ext ? f->ext->http_url : NULL,
		.followup = followup_of(f),
		.dst_multicast = mcast_is_group(fam, dst),
		.ports = site_ports_of(k->site, out->site),
	};
	out->matched = rules_match(out->rules, &ff, &out->match);
}

/* engine.c: the per-packet pipeline and the end of a flow.
 *
 * decode -> fragment bookkeeping -> flow lookup (initiator, TCP state, timeout class) -> nDPI and cmflow's own
 * parsers on the first packets -> incremental expiry by packet time. When a flow ends: nDPI's last word, then
 * the outputs. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/infer.h"
#include "audit/knowledge.h"
#include "audit/label.h"
#include "audit/policy.h"
#include "audit/posture.h"
#include "audit/rules.h"
#include "audit/site.h"
#include "audit/verdict.h"
#include "engine/engine.h"
#include "flow/dpi.h"
#include "flow/flow_ext.h"
#include "flow/flow_release.h"
#include "flow/followup.h"
#include "flow/inspect.h"
#include "flow/mcast.h"
#include "flow/smbrpc.h"
#include "lib/defaults.h"
#include "lib/hash.h"
#include "lib/ipproto.h"
#include "lib/util.h"
#include "output/aggregate.h"
#include "output/alertlimit.h"
#include "output/display_filter.h"
#include "output/evidence.h"
#include "proto/wol.h"

/* ---- fragments: the first fragment's ports, found again by (addresses, protocol, id) ---- */

#define FRAG_SLOTS 4096u          /* direct-mapped: a newer datagram takes the slot of an older one */
#define FRAG_TIMEOUT_US 30000000u /* RFC 791's suggested reassembly time is 15 s; be generous */

struct frag_slot {
	uint8_t src[16], dst[16];
	uint32_t id;
	uint8_t proto, family, has_first, used;
	uint16_t sport, dport;
	uint64_t ts_us;
	/* fragments that came before the first one: added to the flow when it arrives */
	uint32_t pending_pkts;
	uint64_t pending_bytes;
};

struct frag_table {
	struct hash_key key;
	struct frag_slot slots[FRAG_SLOTS];
};

static struct frag_slot *frag_slot(struct frag_table *ft, const struct packet *p, bool *same)
{
	uint8_t k[40];
	memcpy(k, p->src, 16);
	memcpy(k + 16, p->dst, 16);
	memcpy(k + 32, &p->frag_id, 4);
	k[36] = p->ip_proto;
	k[37] = (uint8_t)p->l3;
	k[38] = k[39] = 0;
	struct frag_slot *s = &ft->slots[hash_siphash13(&ft->key, k, sizeof k) & (FRAG_SLOTS - 1)];
	*same = s->used && s->id == p->frag_id && s->proto == p->ip_proto && s->family == (uint8_t)p->l3 &&
		memcmp(s->src, p->src, 16) == 0 && memcmp(s->dst, p->dst, 16) == 0 &&
		p->ts_us - s->ts_us < FRAG_TIMEOUT_US;
	return s;
}

static void frag_claim(struct frag_slot *s, const struct packet *p)
{
	memset(s, 0, sizeof *s);
	memcpy(s->src, p->src, 16);
	memcpy(s->dst, p->dst, 16);
	s->id = p->frag_id;
	s->proto = p->ip_proto;
	s->family = (uint8_t)p->l3;
	s->used = 1;
	s->ts_us = p->ts_us;
}

/* ---- engine ---- */

void engine_config_defaults(struct engine_config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	cfg->max_flows = DEFAULT_MAX_FLOWS;
	cfg->timeouts[TMO_TCP_NEW] = DEFAULT_TMO_TCP_NEW;
	cfg->timeouts[TMO_TCP_EST] = DEFAULT_TMO_TCP_EST;
	cfg->timeouts[TMO_TCP_CLOSED] = DEFAULT_TMO_TCP_CLOSED;
	cfg->timeouts[TMO_UDP_NEW] = DEFAULT_TMO_UDP_NEW;
	cfg->timeouts[TMO_UDP_EST] = DEFAULT_TMO_UDP_EST;
	cfg->timeouts[TMO_ICMP] = DEFAULT_TMO_ICMP;
	cfg->timeouts[TMO_OTHER] = DEFAULT_TMO_OTHER;
}

/* Live --evidence: keep a new flow's first packets; when its parsers are done, a finding already visible sends
 * them (and every later packet) to the evidence file. */
static void evidence_step(struct engine *e, struct flow *f, int linktype, const struct pcap_pkthdr *h,
			  const uint8_t *data, bool inspect_was_done)
{
	if (f->flags & FLOW_F_EVIDENCE) {
		evidence_live_write(e->cfg.evlive, linktype, h, data);
		return;
	}
	struct evidence_buf *b = flow_ext_parser(f, PARSER_EVIDENCE);
	if (inspect_was_done)
		return;
	if (!b && f->pkts[0] + f->pkts[1] == 1 && (b = evidence_live_buffer(e->cfg.evlive)) &&
	    !flow_ext_set_parser(f, PARSER_EVIDENCE, b, evidence_live_buffer_free)) {
		evidence_live_buffer_free(b);
		b = NULL;
	}
	if (!b)
		return;
	evidence_live_keep(b, linktype, h, data);
	/* judged when the parsers are done, or at the common inspection's end for a flow the SMB or DCE/RPC walker
	 * still reads (its buffer would fill long before the walk ends) */
	if (!(f->flags & FLOW_F_INSPECT_DONE) && f->inspected < INSPECT_MAX_PACKETS)
		return;
	struct flow_label lab;
	label_flow(e->cfg.knowledge, e->cfg.infer, f, &lab);
	verdict_flow(e->cfg.knowledge, f, &lab, &lab.verdict);
	if (lab.verdict.nfindings) {
		evidence_live_flush(b);
		f->flags |= FLOW_F_EVIDENCE;
	}
	evidence_live_buffer_free(b);
	flow_ext_set_parser(f, PARSER_EVIDENCE, NULL, NULL);
}

static const char *role_name_of(const struct roles *r, role_set s)
{
	int i = roles_primary(r, s);
	return i >= 0 ? r->name[i] : NULL;
}

/* Each end's role on the flow's path: the side of the rule it matched (a host of several roles talks to a
 * distribution point as a distribution point), else its most specific role. */
static void path_roles(const struct roles *roles, const struct flow_label *lab, struct flow_record *r)
{
	const struct rule *rule = lab->matched ? lab->match.best : NULL;
	if (rule && rule->multicast) { /* the sender is the rule's TO role, the destination a group */
		r->src_role = role_name_of(roles, lab->src_roles & rule->to);
		r->dst_role = "multicast-group";
		return;
	}
	bool rev = rule && lab->match.reversed;
	/* with a rule, the role it saw (an internet address it takes for Microsoft's services); without, the host's */
	r->src_role = role_name_of(roles, rule ? lab->src_matching & (rev ? rule->to : rule->from) : lab->src_roles);
	if (lab->dst_broadcast && !lab->dst_roles)
		r->dst_role = "broadcast";
	else
		r->dst_role = role_name_of(roles, rule ? lab->dst_matching & (rev ? rule->from : rule->to) : lab->dst_roles);
}

/* The knowledge set of the flow, and how a client authenticates on it (posture.h): a client notification
 * channel is not a web flow. */
static void resolve_posture(const struct knowledge *k, const struct flow *f, const struct flow_label *lab,
			    struct flow_record *r)
{
	r->set = lab->rules ? lab->rules->set : NULL;
	r->client_notification = posture_client_notification(k, f, lab);
	if (!r->client_notification)
		r->client_auth = client_auth_name(posture_client_auth(f, lab));
}

/* The names of the RPC interfaces a flow bound and of the opnums they called (rpc-interfaces.txt). */
static void resolve_smbrpc(const struct knowledge *k, const struct flow *f, struct flow_record *r)
{
	const struct flow_smbrpc *x = flow_smbrpc(f);
	r->smbrpc = x;
	for (unsigned i = 0; x && i < x->nifaces; i++) {
		const struct smbrpc_iface *c = &x->ifaces[i];
		struct record_iface *ri = &r->ifaces[i];
		ri->name = knowledge_rpc_name(k, c->uuid);
		ri->nops = 0;
		ri->ops_more = c->opnums_high > 0;
		for (unsigned op = 0; op < 128; op++) {
			if (!smbrpc_iface_called(c, op))
				continue;
			if (ri->nops == RECORD_OPS_MAX) {
				ri->ops_more = true;
				break;
			}
			ri->ops[ri->nops] = (uint16_t)op;
			ri->op_names[ri->nops++] = knowledge_rpc_opnum_name(k, c->uuid, op);
		}
	}
}

uint64_t engine_flow_id(const struct engine *e, uint64_t seq)
{
	return e->cfg.flowids ? flowid_of(e->cfg.flowids, seq) : seq;
}

/* Community ID v1 of the flow's first packet: the initiator's side first (the hash orders the ends itself, but
 * for one-way ICMP messages), ICMP by the first message's type and code. */
static void community_id_of(const struct engine *e, const struct flow *f, char out[COMMUNITY_ID_SIZE])
{
	struct community_id_tuple t = { .family = f->key.family, .proto = f->key.ip_proto };
	memcpy(t.src, flow_src_addr(f), 16);
	memcpy(t.dst, flow_dst_addr(f), 16);
	switch (f->key.ip_proto) {
	case IP_PROTO_TCP:
	case IP_PROTO_UDP:
	case IP_PROTO_SCTP:
		t.sport = flow_src_port(f);
		t.dport = flow_dst_port(f);
		t.has_ports = true;
		break;
	case IP_PROTO_ICMP:
	case IP_PROTO_ICMPV6:
		t.sport = f->icmp_type;
		t.dport = f->icmp_code;
		t.has_ports = true;
		break;
	}
	community_id_v1(&t, e->cfg.community_seed, out);
}

/* The ended flow, resolved once for every output (record.h). */
static void resolve(struct engine *e, const struct flow *f, const struct flow_label *lab, struct flow_record *r)
{
	const struct knowledge *k = e->cfg.knowledge;
	r->f = f;
	r->flow_id = engine_flow_id(e, f->id);
	const struct flow_followup *parent = f->ext ? f->ext->followup : NULL;
	r->parent_flow_id = parent && parent->via ? engine_flow_id(e, parent->parent_flow_id) : 0;
	community_id_of(e, f, r->community_id);
	r->pcap_cnt = e->cfg.count_packets ? e->dstats.pkts : 0;
	r->in_iface = e->cfg.ifaces ? e->cfg.ifaces[f->iface] : NULL;
	r->lab = lab;
	r->roles = lab ? &k->rules->roles : NULL;
	r->worker = e->cfg.worker;
	addr_to_str(f->key.family, flow_src_addr(f), r->src, sizeof r->src);
	addr_to_str(f->key.family, flow_dst_addr(f), r->dst, sizeof r->dst);
	r->app_proto = flow_app_proto(f);
	r->has_ndpi = f->ndpi_master || f->ndpi_app || f->ndpi_confidence;
	r->ndpi_proven = dpi_proven(f);
	r->ndpi_name[0] = '\0';
	if (r->has_ndpi) {
		dpi_name(e->dpi, f, r->ndpi_name, sizeof r->ndpi_name);
		r->ndpi_confidence = dpi_confidence_name(f);
	}
	r->proto_label = agg_proto_label(r->app_proto, f->ndpi_master || f->ndpi_app ? r->ndpi_name : NULL, r->ndpi_proven,
					 e->proto_label, sizeof e->proto_label);
	r->proven = r->ndpi_proven || f->app_proof;
	const struct flow_followup *fu = f->ext ? f->ext->followup : NULL;
	r->rpc_interface = fu && fu->has_rpc_uuid ? knowledge_rpc_name(k, fu->rpc_uuid) : NULL;
	r->src_role = r->dst_role = NULL;
	r->site = NULL;
	r->http_by_design = false;
	r->set = r->client_auth = NULL;
	r->client_notification = false;
	if (lab) {
		path_roles(r->roles, lab, r);
		r->site = lab->site ? lab->site->code : NULL;
		const struct policy *p = knowledge_policy_for(k, lab->site);
		r->http_by_design = p && (lab->dst_roles & p->http_only);
		resolve_posture(k, f, lab, r);
	}
	r->multicast = f->key.ip_proto == IP_PROTO_UDP && mcast_is_group(f->key.family, flow_dst_addr(f));
	r->nreceivers = r->receivers_seen = 0;
	if (r->multicast && e->cfg.mcast) {
		r->receivers_seen = mcast_receivers(e->cfg.mcast, f->key.family, flow_dst_addr(f), r->receivers,
						    MCAST_MAX_RECEIVERS);
		r->nreceivers = r->receivers_seen < MCAST_MAX_RECEIVERS ? r->receivers_seen : MCAST_MAX_RECEIVERS;
	}
	r->filter[0] = '\0';
	if (lab && lab->verdict.nfindings)
		flow_display_filter(f, r->filter, sizeof r->filter);
	resolve_smbrpc(k, f, r);
}

/* What the bounds of a flow's SMB and DCE/RPC record left out, for the stats. */
static void count_smbrpc(struct engine *e, const struct flow *f)
{
	const struct flow_smbrpc *x = flow_smbrpc(f);
	if (!x)
		return;
	e->smbrpc_dropped[0] += x->ifaces_dropped;
	e->smbrpc_dropped[1] += x->shares_dropped;
	e->smbrpc_dropped[2] += x->files_dropped;
	e->smbrpc_dropped[3] += x->pipes_dropped;
	e->smbrpc_cut += x->watch_cut;
}

/* A detection hit as the outputs' event: the hosts as text, the configured roles, the steps' flows as one
 * display filter (each flow once). */
static void detection_event_of(struct engine *e, const struct detect_hit *h, const struct flow_label *lab,
			       struct detection_event *ev)
{
	const struct roles *roles = &e->cfg.knowledge->rules->roles;
	memset(ev, 0, offsetof(struct detection_event, filter));
	ev->hit = h;
	ev->kind = &h->d->kind;
	ev->worker = e->cfg.worker;
	ev->pcap_cnt = e->cfg.count_packets ? e->dstats.pkts : 0;
	addr_to_str(h->family, h->src, ev->src, sizeof ev->src);
	if (h->d->scope == DETECT_SCOPE_PAIR)
		addr_to_str(h->family, h->dst, ev->dst, sizeof ev->dst);
	ev->src_role = role_name_of(roles, lab->src_roles & ~lab->src_inferred);
	if (h->d->scope == DETECT_SCOPE_PAIR)
		ev->dst_role = role_name_of(roles, lab->dst_roles & ~lab->dst_inferred);
	size_t o = 0;
	uint64_t latest = 0;
	ev->filter[0] = '\0';
	for (unsigned i = 0; i < h->nsteps; i++) {
		const struct detect_step_hit *s = &h->steps[i];
		struct flow stub;
		memset(&stub, 0, sizeof stub);
		stub.key = s->key;
		stub.init_is_lo = s->init_is_lo;
		stub.ts_first = s->flow_first_us;
		stub.ts_last = s->flow_last_us;
		ev->flow_ids[i] = engine_flow_id(e, s->flow_id);
		community_id_of(e, &stub, ev->community_ids[i]);
		if (s->begin_us >= latest) {
			latest = s->begin_us;
			ev->flow_id = ev->flow_ids[i];
		}
		if (!i || s->flow_first_us < ev->ts_us)
			ev->ts_us = s->flow_first_us;
		if (s->flow_last_us > ev->end_us)
			ev->end_us = s->flow_last_us;
		ev->ip_proto = !i || ev->ip_proto == s->key.ip_proto ? s->key.ip_proto : 0;
		ev->dport = !i || ev->dport == flow_dst_port(&stub) ? flow_dst_port(&stub) : 0;
		bool seen = false;
		for (unsigned j = 0; j < i; j++)
			seen |= h->steps[j].flow_id == s->flow_id;
		if (seen || o + 8 >= sizeof ev->filter)
			continue;
		char one[RECORD_FILTER_MAX];
		flow_display_filter(&stub, one, sizeof one);
		o += (size_t)snprintf(ev->filter + o, sizeof ev->filter - o, "%s(%s)", o ? " || " : "", one);
		if (o >= sizeof ev->filter)
			o = sizeof ev->filter - 1;
	}
}

/* The sequences of flows this flow completes (detect.h), each an alert through the outputs. */
static void detections_of(struct engine *e, const struct flow *f, const struct flow_label *lab)
{
	unsigned n = detect_flow(e->cfg.detect, knowledge_detect_env(e->cfg.knowledge), f, lab, e->now_us, e->hits, DETECT_HITS_MAX);
	for (unsigned i = 0; i < n; i++) {
		const struct detect_hit *h = &e->hits[i];
		struct detection_event *ev = &e->detection;
		detection_event_of(e, h, lab, ev);
		if (e->cfg.limiter && !alert_limiter_pass(e->cfg.limiter, h->d->kind.sid, h->family, h->src, h->dst,
							  "detection", e->now_us, &ev->held_back))
			continue;
		if (h->d->kind.verdict < sizeof e->alerts / sizeof e->alerts[0])
			e->alerts[h->d->kind.verdict]++;
		e->detections++;
		outputs_detection(e->cfg.outputs, ev);
	}
}

static void on_flow_end(void *ctx, struct flow *f)
{
	struct engine *e = ctx;
	if (f == e->last)
		e->last = NULL; /* its record is about to be recycled */
	if (!(f->flags & FLOW_F_DPI_DONE))
		dpi_finish(e->dpi, f); /* nDPI's answer so far, or its guess by ports */
	inspect_end(&e->inspect, f); /* what the inspectors still read (a TLS handshake's posture) is final now */
	followup_late(e->cfg.expect, f); /* another worker may have read the announcement after this flow began */
	infer_observe(e->cfg.infer, e->cfg.knowledge, f, engine_flow_id(e, f->id));
	if (e->cfg.infer_only) {
		flow_release(f);
		return;
	}
	struct flow_label lab;
	bool labelled = e->cfg.knowledge && e->cfg.knowledge->rules;
	if (labelled) {
		label_flow(e->cfg.knowledge, e->cfg.infer, f, &lab);
		verdict_flow(e->cfg.knowledge, f, &lab, &lab.verdict);
		e->verdicts[lab.verdict.verdict]++;
	}
	unsigned nfindings = labelled ? lab.verdict.nfindings : 0;
	if (nfindings && e->cfg.limiter) {
		const char *rule = lab.matched ? lab.match.best->id : "-";
		for (unsigned i = 0; i < nfindings; i++)
			lab.verdict.muted[i] = !alert_limiter_pass(e->cfg.limiter, lab.verdict.findings[i]->sid, f->key.family,
								   flow_src_addr(f), flow_dst_addr(f), rule, e->now_us,
								   &lab.verdict.held_back[i]);
	}
	struct evidence_buf *kept = flow_ext_parser(f, PARSER_EVIDENCE);
	if (nfindings && kept && !(f->flags & FLOW_F_EVIDENCE))
		evidence_live_flush(kept); /* a short flow: its kept packets */
	resolve(e, f, labelled ? &lab : NULL, &e->record);
	if (nfindings) {
		f->flags |= FLOW_F_ALERTED;
		for (unsigned i = 0; i < nfindings; i++)
			if (!lab.verdict.muted[i])
				e->alerts[lab.verdict.findings[i]->verdict]++;
		outputs_alerts(e->cfg.outputs, &e->record);
	}
	outputs_flow(e->cfg.outputs, &e->record);
	count_smbrpc(e, f);
	if (labelled)
		detections_of(e, f, &lab);
	flow_release(f);
}

static void mark_port(struct engine *e, uint16_t port)
{
	e->server_ports[port / 64] |= (uint64_t)1 << (port % 64);
}

/* The TCP ports a responder listens on, for the orientation of connections seen from their middle: the
 * well-known ports (below 1024), the inspectors' ports (derive), and every TCP port the rules of rs name, site
 * variables resolved for every site. */
static void mark_server_ports(struct engine *e, const struct ruleset *rs, const struct knowledge *k)
{
	unsigned nsites = site_count(k->site);
	for (unsigned i = 0; rs && i < rs->n; i++) {
		const struct rule *r = &rs->rules[i];
		for (unsigned j = 0; j < r->nports; j++) {
			const struct rule_port *rp = &r->ports[j];
			if (rp->proto != IP_PROTO_TCP)
				continue;
			if (rp->kind == PK_FIXED || rp->kind == PK_RANGE)
				for (unsigned p = rp->lo; p <= (rp->kind == PK_RANGE ? rp->hi : rp->lo); p++)
					mark_port(e, (uint16_t)p);
			if (rp->kind == PK_VAR) {
				struct site_ports defaults;
				site_ports_default(&defaults);
				mark_port(e, defaults.v[rp->var]);
				for (unsigned s = 0; s < nsites; s++)
					mark_port(e, site_at(k->site, s)->ports.v[rp->var]);
			}
		}
	}
}

/* Data for the inspectors and the follow-ups that comes from the signatures and the site: HTTP methods, the
 * Wake On LAN ports (7, 9 and each site's), the data channels of sessions (rules with after=). */
static void derive(struct engine *e)
{
	const struct knowledge *k = e->cfg.knowledge;
	struct inspect_env *env = &e->inspect;
	memset(env, 0, sizeof *env);
	memset(&e->sessions, 0, sizeof e->sessions);
	env->expect = e->cfg.expect;
	env->stats = &e->istats;
	env->wol_ports[env->nwol_ports++] = 7;
	env->wol_ports[env->nwol_ports++] = 9;
	if (!k) {
		memset(e->server_ports, 0, sizeof e->server_ports);
		for (unsigned p = 1; p < 1024; p++)
			mark_port(e, (uint16_t)p);
		return;
	}
	env->methods = k->http_methods;
	env->header_tests = k->detections ? &k->detections->header_tests : NULL; /* the detections' header= */
	for (unsigned i = 0; i < site_count(k->site) && env->nwol_ports < INSPECT_MAX_WOL_PORTS; i++) {
		uint16_t port = site_at(k->site, i)->ports.v[VAR_WOL];
		bool known = false;
		for (unsigned j = 0; j < env->nwol_ports; j++)
			known |= env->wol_ports[j] == port;
		if (!known && port)
			env->wol_ports[env->nwol_ports++] = port;
	}
	const struct ruleset *rs = k->rules;
	memset(e->server_ports, 0, sizeof e->server_ports);
	for (unsigned p = 1; p < 1024; p++)
		mark_port(e, (uint16_t)p);
	unsigned nins;
	const struct inspector *ins = inspectors(&nins);
	for (unsigned i = 0; i < nins; i++)
		for (unsigned j = 0; j < INSPECT_MAX_PORTS && ins[i].ports[j]; j++)
			if (ins[i].transport == IP_PROTO_TCP)
				mark_port(e, ins[i].ports[j]);
	mark_server_ports(e, rs, k);
	bool cb = false; /* the current branch's ports when a site uses its set (a 2007 run orients as it did) */
	for (unsigned i = 0; i < site_count(k->site); i++)
		cb |= site_at(k->site, i)->version == SITE_VCB;
	if (cb)
		mark_server_ports(e, k->rules_cb, k);
	for (unsigned i = 0; rs && i < rs->n; i++) {
		const struct rule *data = &rs->rules[i];
		if (data->after < 0)
			continue;
		const struct rule *control = &rs->rules[data->after];
		for (unsigned c = 0; c < control->nports; c++) {
			const struct rule_port *cp = &control->ports[c];
			if (cp->kind != PK_FIXED && cp->kind != PK_RANGE)
				continue;
			for (unsigned d = 0; d < data->nports && e->sessions.n < SESSION_CHANNELS_MAX; d++) {
				const struct rule_port *dp = &data->ports[d];
				if (dp->kind == PK_FIXED)
					e->sessions.v[e->sessions.n++] = (struct session_channel){
						cp->proto, cp->lo, cp->kind == PK_RANGE ? cp->hi : cp->lo, dp->proto, dp->lo };
			}
		}
	}
}

struct engine *engine_new(const struct engine_config *cfg, char *err, size_t errlen)
{
	struct engine *e = calloc(1, sizeof *e);
	struct hash_key key;
	if (!e) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	e->cfg = *cfg;
	knowledge_hold(e->cfg.knowledge);
	derive(e);
	hash_key_random(&key);
	e->frags = calloc(1, sizeof *e->frags);
	if (e->frags)
		hash_key_random(&e->frags->key);
	e->flows = flow_table_new(cfg->max_flows, cfg->timeouts, &key, on_flow_end, e);
	e->dpi = dpi_new(cfg->all_protocols);
	if (e->flows && cfg->workers > 1)
		flow_table_set_ids(e->flows, cfg->worker + 1, cfg->workers);
	if (!e->frags || !e->flows || !e->dpi) {
		snprintf(err, errlen, "cannot reserve the flow table (%u flows) or start nDPI", cfg->max_flows);
		engine_free(e);
		return NULL;
	}
	return e;
}

void engine_set_knowledge(struct engine *e, struct knowledge *k)
{
	struct knowledge *old = e->cfg.knowledge;
	e->cfg.knowledge = knowledge_hold(k);
	derive(e);
	knowledge_release(old);
}

void engine_free(struct engine *e)
{
	if (!e)
		return;
	flow_table_free(e->flows);
	inspect_stats_free(&e->istats);
	dpi_free(e->dpi);
	free(e->frags);
	knowledge_release(e->cfg.knowledge);
	free(e);
}

/* TCP: state and timeout class after this packet. */
static enum tmo_class tcp_update(struct flow *f, const struct packet *p, enum flow_dir dir)
{
	uint8_t fl = p->tcp_flags;
	if (fl & TCP_RST) {
		f->flags |= FLOW_F_RST;
		f->state = FLOW_STATE_CLOSED;
	}
	if ((fl & (TCP_SYN | TCP_ACK)) == TCP_SYN)
		f->flags |= FLOW_F_SYN_SEEN;
	if ((fl & (TCP_SYN | TCP_ACK)) == (TCP_SYN | TCP_ACK))
		f->flags |= FLOW_F_SYNACK_SEEN;
	if (fl & TCP_FIN)
		f->flags |= dir == DIR_TO_SERVER ? FLOW_F_FIN_FROM_CLI : FLOW_F_FIN_FROM_SRV;
	if (f->state == FLOW_STATE_NEW) {
		/* established once both sides have spoken after the handshake (or mid-stream, once both are seen) */
		if (f->pkts[DIR_TO_SERVER] && f->pkts[DIR_TO_CLIENT] && !(fl & TCP_SYN))
			f->state = FLOW_STATE_ESTABLISHED;
	}
	if ((f->flags & FLOW_F_FIN_FROM_CLI) && (f->flags & FLOW_F_FIN_FROM_SRV))
		f->state = FLOW_STATE_CLOSED;
	switch (f->state) {
	case FLOW_STATE_ESTABLISHED: return TMO_TCP_EST;
	case FLOW_STATE_CLOSED: return TMO_TCP_CLOSED;
	default: return TMO_TCP_NEW;
	}
}

static enum tmo_class class_update(struct flow *f, const struct packet *p, enum flow_dir dir)
{
	switch (p->ip_proto) {
	case 6:
		return tcp_update(f, p, dir);
	case 17:
		if (f->pkts[DIR_TO_CLIENT] && f->state == FLOW_STATE_NEW)
			f->state = FLOW_STATE_ESTABLISHED;
		return f->pkts[DIR_TO_CLIENT] ? TMO_UDP_EST : TMO_UDP_NEW;
	case 1:
	case 58:
		if (f->pkts[DIR_TO_CLIENT])
			f->state = FLOW_STATE_ESTABLISHED;
		return TMO_ICMP;
	default:
		if (f->pkts[DIR_TO_CLIENT])
			f->state = FLOW_STATE_ESTABLISHED;
		return TMO_OTHER;
	}
}

static bool is_server_port(const struct engine *e, uint16_t port)
{
	return (e->server_ports[port / 64] >> (port % 64)) & 1;
}

/* A TCP connection seen from its middle (no SYN, no SYN-ACK: a capture or a live start cut into it): which end
 * started it? The one whose peer is on a port that a rule of the port matrix, a site's port or a well-known
 * service names for the responder; when both or neither are, the lower port is the server's. True when the
 * packet's source is the responder. */
static bool midstream_reversed(const struct engine *e, uint16_t sport, uint16_t dport)
{
	bool s = is_server_port(e, sport), d = is_server_port(e, dport);
	if (s != d)
		return s;
	return sport < dport;
}

/* Looks up (or creates) the flow of a decoded packet; sets *dir. A new SYN on a closed TCP flow ends the old
 * flow (port reuse) and starts a new one. */
static struct flow *flow_of(struct engine *e, const struct packet *p, uint16_t sport, uint16_t dport,
			    enum flow_dir *dir)
{
	struct flow_key key;
	bool from_lo, created;
	flow_key_make(&key, (uint8_t)p->l3, p->src, p->dst, sport, dport, p->ip_proto, p->vlan, &from_lo);
	flow_key_set_tunnel(&key, &p->tunnel);
	struct flow *f = e->last;
	created = false;
	if (!f || memcmp(&f->key, &key, sizeof key) != 0) {
		f = flow_table_get(e->flows, &key, flow_table_hash(e->flows, &key), p->ts_us, true, &created);
		if (!f)
			return NULL;
	}
	bool syn_only = p->ip_proto == 6 && (p->tcp_flags & (TCP_SYN | TCP_ACK | TCP_RST)) == TCP_SYN;
	if (!created && syn_only && f->state == FLOW_STATE_CLOSED) {
		flow_table_end(e->flows, f, FLOW_END_REUSE);
		f = flow_table_get(e->flows, &key, flow_table_hash(e->flows, &key), p->ts_us, true, &created);
		if (!f)
			return NULL;
	}
	e->last = f;
	if (created) {
		f->init_is_lo = from_lo;
		if (p->ip_proto == IP_PROTO_TCP && !syn_only) {
			if ((p->tcp_flags & (TCP_SYN | TCP_ACK)) == (TCP_SYN | TCP_ACK)) {
				f->init_is_lo = !from_lo; /* the SYN was missed: its answerer's peer started it */
			} else {
				/* seen from its middle: the side on a server port is the responder */
				f->flags |= FLOW_F_MIDSTREAM;
				if (midstream_reversed(e, sport, dport))
					f->init_is_lo = !from_lo;
			}
		}
		if (p->has_icmp) {
			f->icmp_type = p->icmp_type;
			f->icmp_code = p->icmp_code;
		}
		f->iface = e->cur_iface;
		if (p->tunnel.depth)
			flow_ext_set_tunnel(f, &p->tunnel);
		followup_new_flow(e->cfg.expect, &e->sessions, f);
	}
	*dir = from_lo == (bool)f->init_is_lo ? DIR_TO_SERVER : DIR_TO_CLIENT;
	return f;
}

static void account(struct engine *e, struct flow *f, const struct packet *p, enum flow_dir dir)
{
	f->pkts[dir]++;
	f->bytes[dir] += p->wire_len;
	if (dir == DIR_TO_CLIENT)
		f->flags |= FLOW_F_REPLIED;
	else if (p->eth_dst_broadcast)
		f->flags |= FLOW_F_L2_BROADCAST;
	enum tmo_class cls = class_update(f, p, dir);
	flow_table_touch(e->flows, f, cls, p->ts_us);
}

/* A fragment after the first: counted to the flow its first fragment opened, found by IP id. */
static void later_fragment(struct engine *e, const struct packet *p)
{
	bool same;
	struct frag_slot *s = frag_slot(e->frags, p, &same);
	if (!same) {
		frag_claim(s, p);
	} else if (s->has_first) {
		enum flow_dir dir;
		struct flow *f = flow_of(e, p, s->sport, s->dport, &dir);
		if (f)
			account(e, f, p, dir);
		s->ts_us = p->ts_us;
		return;
	}
	s->pending_pkts++;
	s->pending_bytes += p->wire_len;
	e->frag_untracked++;
}

static void inspect(struct engine *e, struct flow *f, const struct packet *p, enum flow_dir dir)
{
	if (f->inspected < 255)
		f->inspected++;
	/* cmflow's own inspectors on the first packets (inspect.h); some want a long conversation */
	if (!(f->flags & FLOW_F_INSPECT_DONE) && !inspect_packet(&e->inspect, f, p, dir) &&
	    f->inspected >= INSPECT_MAX_PACKETS) {
		f->flags |= FLOW_F_INSPECT_DONE;
		inspect_end(&e->inspect, f);
		flow_ext_free_parsers(f); /* reassembly buffers go now, not when the flow ends */
	}
	if (f->flags & FLOW_F_DPI_DONE)
		return;
	/* what cmflow proved itself needs no nDPI (its state, its dissectors, its host-name automata): the
	 * ConfigMgr checks read cmflow's fields; --all-protocols still asks nDPI for its sub-protocols */
	if (f->app_proof != APP_NONE && !e->cfg.all_protocols)
		dpi_skip(e->dpi, f);
	else
		dpi_packet(e->dpi, f, p, dir);
}

void engine_packet(struct engine *e, int linktype, unsigned iface, const struct pcap_pkthdr *h, const uint8_t *data)
{
	struct packet p;
	uint64_t ts = (uint64_t)h->ts.tv_sec * 1000000u + (uint64_t)h->ts.tv_usec;
	enum decode_result r = decode_packet_with(e->cfg.tunnels, linktype, data, h->caplen, h->len, ts, &p, &e->dstats);

	if (ts > e->now_us)
		e->now_us = ts;
	if (!e->first_us)
		e->first_us = ts;
	e->cur_iface = (uint8_t)(iface < 255 ? iface : 255);
	if (r == DECODE_OK) {
		if (e->cfg.mcast && (p.ip_proto == 2 || p.ip_proto == 58) && !p.is_fragment)
			mcast_observe(e->cfg.mcast, &p);
		if (p.is_fragment && !p.is_first_fragment) {
			later_fragment(e, &p);
		} else {
			uint16_t sport = p.has_ports ? p.sport : 0, dport = p.has_ports ? p.dport : 0;
			enum flow_dir dir;
			struct flow *f = flow_of(e, &p, sport, dport, &dir);
			if (f) {
				if (p.is_fragment) { /* the first fragment: remember its ports for the rest */
					bool same;
					struct frag_slot *s = frag_slot(e->frags, &p, &same);
					if (!same)
						frag_claim(s, &p);
					s->has_first = 1;
					s->sport = p.sport;
					s->dport = p.dport;
					if (s->pending_pkts) {
						f->pkts[dir] += s->pending_pkts;
						f->bytes[dir] += s->pending_bytes;
						e->frag_untracked -= s->pending_pkts;
						s->pending_pkts = 0;
						s->pending_bytes = 0;
					}
				}
				account(e, f, &p, dir);
				bool was_done = (f->flags & FLOW_F_INSPECT_DONE) != 0;
				if (!(f->flags & FLOW_F_DPI_DONE) || !was_done)
					inspect(e, f, &p, dir);
				/* a closed connection carries no more payload: nDPI's answer is final, and its state
				 * (688 bytes) goes now rather than when the closed flow times out */
				if (f->tmo_class == TMO_TCP_CLOSED) {
					if (f->ndpi)
						dpi_finish(e->dpi, f);
					inspect_end(&e->inspect, f);
					flow_ext_free_parsers(f); /* and the parsers' reassembly buffers */
				}
				if (e->cfg.evlive)
					evidence_step(e, f, linktype, h, data, was_done);
			}
		}
	} else if (r == DECODE_NOT_IP && p.ethertype == ETHERTYPE_WOL) {
		struct wol_magic m;
		if (wol_parse(p.l2_payload, p.l2_payload_len, &m)) {
			e->wol_frames++;
			struct wol_frame_event w = {
				.ts_us = p.ts_us, .worker = e->cfg.worker, .ethertype = p.ethertype, .vlan_count = p.vlan_count,
				.addressing = wol_cast_name(wol_cast_of(&p)), .password = m.password_len != 0,
			};
			memcpy(w.src_mac, p.eth_src, 6);
			memcpy(w.dst_mac, p.eth_dst, 6);
			memcpy(w.target_mac, m.target_mac, 6);
			memcpy(w.vlan, p.vlan, sizeof w.vlan);
			outputs_wol_frame(e->cfg.outputs, &w);
		}
	}
	engine_tick(e, e->now_us);
}

void engine_tick(struct engine *e, uint64_t now_us)
{
	if (now_us > e->now_us)
		e->now_us = now_us;
	if (e->now_us >= e->next_expire_us) {
		flow_table_expire(e->flows, e->now_us);
		e->next_expire_us = e->now_us + EXPIRE_EVERY_US;
	}
}

void engine_finish(struct engine *e)
{
	flow_table_flush(e->flows, FLOW_END_SHUTDOWN);
}

void engine_stats_add(const struct engine *e, struct run_stats *s)
{
	const struct flow_table_stats *fs = flow_table_stats(e->flows);
	struct run_stats mine = {
		.decoder = e->dstats,
		.flows_created = fs->created, .flows_timed_out = fs->timed_out, .flows_evicted = fs->evicted,
		.flows_flushed = fs->flushed, .flows_reused = fs->reused, .flows_tcp = fs->tcp, .flows_udp = fs->udp,
		.flows_icmpv4 = fs->icmpv4, .flows_icmpv6 = fs->icmpv6, .flows_other = fs->other,
		.flows_active = fs->active, .flows_max_active = fs->max_active,
		.capacity = flow_table_capacity(e->flows), .frag_untracked = e->frag_untracked, .workers = 1,
		.tls_handshakes = e->istats.tls_readers, .tls_not_read = e->istats.tls_refused,
		.tls_bound_hits = e->istats.tls_bound_hits,
	};
	memcpy(mine.verdicts, e->verdicts, sizeof mine.verdicts);
	memcpy(mine.alerts, e->alerts, sizeof mine.alerts);
	memcpy(mine.smbrpc_dropped, e->smbrpc_dropped, sizeof mine.smbrpc_dropped);
	mine.smbrpc_cut = e->smbrpc_cut;
	mine.detections = e->detections;
	run_stats_add(s, &mine);
}

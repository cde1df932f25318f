/* engine.c: the per-packet pipeline and the end of a flow.
 *
 * decode -> fragment bookkeeping -> flow lookup (initiator, TCP state, timeout class) -> nDPI and cmflow's own
 * parsers on the first packets -> incremental expiry by packet time. When a flow ends: nDPI's last word, then
 * the outputs. */
#include <stdio.h>
#include <syslog.h>
#include <stdlib.h>
#include <string.h>

#include "lib/defaults.h"
#include "output/alertlimit.h"
#include "proto/dns.h"
#include "flow/dpi.h"
#include "output/evidence.h"
#include "engine/engine.h"
#include "output/eve.h"
#include "flow/flow_ext.h"
#include "flow/followup.h"
#include "lib/hash.h"
#include "proto/http.h"
#include "audit/infer.h"
#include "proto/payload.h"
#include "proto/smb.h"
#include "proto/tls.h"
#include "audit/knowledge.h"
#include "audit/label.h"
#include "audit/verdict.h"
#include "flow/mcast.h"
#include "output/summary.h"
#include "lib/util.h"
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

/* One line per finding, for the system logger (it adds the RFC 5424 header). */
static void syslog_alerts(const struct flow *f, const struct flow_label *lab)
{
	char a[ADDR_STR_MAX], b[ADDR_STR_MAX], pn[8];
	addr_to_str(f->key.family, flow_src_addr(f), a, sizeof a);
	addr_to_str(f->key.family, flow_dst_addr(f), b, sizeof b);
	for (unsigned i = 0; i < lab->verdict.nfindings; i++) {
		if (lab->verdict.muted[i])
			continue;
		const struct finding_kind *k = lab->verdict.findings[i];
		int prio = k->severity == 1 ? LOG_ERR : k->severity == 2 ? LOG_WARNING : LOG_NOTICE;
		syslog(prio, "[1:%u:1] %s: %s [Classification: %s] [Priority: %u] {%s} %s:%u -> %s:%u flow_id=%llu rule=%s",
		       k->sid, k->id, k->message, k->category, k->severity, ip_proto_name(f->key.ip_proto, pn, sizeof pn), a,
		       flow_src_port(f), b, flow_dst_port(f), (unsigned long long)f->id,
		       lab->matched ? lab->match.best->id : "-");
	}
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
	if (!(f->flags & FLOW_F_INSPECT_DONE))
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

static void on_flow_end(void *ctx, struct flow *f)
{
	struct engine *e = ctx;
	if (f == e->last)
		e->last = NULL; /* its record is about to be recycled */
	if (!(f->flags & FLOW_F_DPI_DONE))
		dpi_finish(e->dpi, f); /* nDPI's answer so far, or its guess by ports */
	followup_late(e, f); /* another worker may have read the announcement after this flow began */
	infer_observe(e->cfg.infer, e->cfg.knowledge, f);
	if (e->cfg.infer_only) {
		flow_ext_free(f);
		return;
	}
	struct flow_label lab;
	label_flow(e->cfg.knowledge, e->cfg.infer, f, &lab);
	verdict_flow(e->cfg.knowledge, f, &lab, &lab.verdict);
	e->verdicts[lab.verdict.verdict]++;
	if (lab.verdict.nfindings && e->cfg.limiter) {
		const char *rule = lab.matched ? lab.match.best->id : "-";
		for (unsigned i = 0; i < lab.verdict.nfindings; i++)
			lab.verdict.muted[i] = !alert_limiter_pass(e->cfg.limiter, lab.verdict.findings[i]->sid, f->key.family,
								   flow_src_addr(f), flow_dst_addr(f), rule, e->now_us,
								   &lab.verdict.held_back[i]);
	}
	struct evidence_buf *kept = flow_ext_parser(f, PARSER_EVIDENCE);
	if (lab.verdict.nfindings && kept && !(f->flags & FLOW_F_EVIDENCE))
		evidence_live_flush(kept); /* a short flow: its kept packets */
	if (lab.verdict.nfindings) {
		f->flags |= FLOW_F_ALERTED;
		for (unsigned i = 0; i < lab.verdict.nfindings; i++)
			if (!lab.verdict.muted[i])
				e->alerts[lab.verdict.findings[i]->verdict]++;
		if (e->eve)
			eve_alerts(e->eve, &e->json, e, f, &lab);
		if (e->cfg.syslog)
			syslog_alerts(f, &lab);
		if (e->cfg.on_alerted)
			e->cfg.on_alerted(e->cfg.alerted_ctx, f, &lab);
	}
	if (e->eve)
		eve_flow(e->eve, &e->json, e, f, &lab);
	if (e->summary)
		summary_flow(e->summary, e, f, &lab);
	flow_ext_free(f);
}

struct engine *engine_new(const struct engine_config *cfg, struct eve *eve, struct summary *summary, char *err,
			  size_t errlen)
{
	struct engine *e = calloc(1, sizeof *e);
	struct hash_key key;
	if (!e) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	e->cfg = *cfg;
	e->eve = eve;
	e->summary = summary;
	hash_key_random(&key);
	e->frags = calloc(1, sizeof *e->frags);
	if (e->frags)
		hash_key_random(&e->frags->key);
	e->flows = flow_table_new(cfg->max_flows, cfg->timeouts, &key, on_flow_end, e);
	e->dpi = dpi_new(cfg->all_protocols);
	json_init(&e->json);
	if (e->flows && cfg->workers > 1)
		flow_table_set_ids(e->flows, cfg->worker + 1, cfg->workers);
	if (!e->frags || !e->flows || !e->dpi) {
		snprintf(err, errlen, "cannot reserve the flow table (%u flows) or start nDPI", cfg->max_flows);
		engine_free(e);
		return NULL;
	}
	return e;
}

void engine_free(struct engine *e)
{
	if (!e)
		return;
	flow_table_free(e->flows);
	dpi_free(e->dpi);
	free(e->frags);
	json_free(&e->json);
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
		if (p->ip_proto == 6 && !syn_only) {
			if ((p->tcp_flags & (TCP_SYN | TCP_ACK)) == (TCP_SYN | TCP_ACK))
				f->init_is_lo = !from_lo; /* the SYN was missed: its answerer's peer started it */
			else
				f->flags |= FLOW_F_MIDSTREAM;
		}
		if (p->has_icmp)
			f->icmp_type = p->icmp_type;
		if (p->tunnel.depth)
			flow_ext_set_tunnel(f, &p->tunnel);
		followup_new_flow(e, f);
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

/* UDP 9 (discard) and 7 (echo) are where WOL tools send; a site may set its own port (site configuration). */
static bool engine_is_wol_port(const struct engine *e, uint16_t port)
{
	(void)e;
	return port == 9 || port == 7;
}

/* Wake On LAN: the payload decides, on any UDP port; the WOL ports also report what is not a magic packet. */
static void wol_inspect(struct engine *e, struct flow *f, const struct packet *p)
{
	struct wol_magic m;
	if (wol_parse(p->payload, p->payload_len, &m)) {
		struct flow_ext *x = flow_ext_get(f);
		f->app_proof = APP_WOL;
		if (x && !x->has_wol) {
			x->has_wol = true;
			memcpy(x->wol_mac, m.target_mac, 6);
			x->wol_cast = (uint8_t)wol_cast_of(p);
			x->wol_password = m.password_len != 0;
		}
	} else if (f->app_proof != APP_WOL && engine_is_wol_port(e, p->dport)) {
		struct flow_ext *x = flow_ext_get(f);
		if (x)
			x->wol_not_magic = true;
	}
}

#define SMB_MAX_PACKETS 250 /* f->inspected saturates at 255 */

/* SMB2 TREE_CONNECT: the share (client push connects to ADMIN$); IPC$, which every client opens first, gives
 * way to the next one */
static void smb_inspect(struct flow *f, const struct packet *p)
{
	char share[80];
	struct flow_ext *x;
	if (smb2_tree_connect_share(p->payload, p->payload_len, share, sizeof share) && (x = flow_ext_get(f)))
		flow_ext_set_str(&x->smb_share, share, strlen(share)); /* replaces an IPC$ kept before */
}

/* TLS: the client's hello proves it and names the server; the server's hello says the version chosen. */
static void tls_inspect(struct flow *f, const struct packet *p, enum flow_dir dir)
{
	struct tls_hello h;
	struct flow_ext *x;
	if (dir == DIR_TO_SERVER) {
		if (f->app_proof != APP_NONE || !tls_parse_client_hello(p->payload, p->payload_len, &h))
			return;
		f->app_proof = APP_TLS;
		if (h.sni[0] && (x = flow_ext_get(f)))
			flow_ext_set_str(&x->tls_sni, h.sni, strlen(h.sni));
	} else if (f->app_proof == APP_TLS && tls_parse_server_hello(p->payload, p->payload_len, &h) &&
		   tls_version_name(h.version) && (x = flow_ext_get(f)) && !x->tls_version) {
		x->tls_version = h.version;
	}
}

/* cmflow's own parsers on a flow's first packets: what they prove, and what ConfigMgr audits need */
static void inspect_own(struct engine *e, struct flow *f, const struct packet *p, enum flow_dir dir)
{
	bool tcp = f->key.ip_proto == 6;
	if (tcp && p->payload_len) {
		/* TLS and SMB are proven by the first payload only: TLS after STARTTLS is the other protocol's flow */
		bool first = f->payload == PAYLOAD_UNSEEN;
		if (first)
			f->payload = (uint8_t)payload_classify(p->payload, p->payload_len);
		if ((first && dir == DIR_TO_SERVER) || f->app_proof == APP_TLS)
			tls_inspect(f, p, dir);
		if (first && dir == DIR_TO_SERVER && f->app_proof == APP_NONE && smb_looks_like(p->payload, p->payload_len))
			f->app_proof = APP_SMB;
		if (first && dir == DIR_TO_SERVER && f->app_proof == APP_NONE && flow_dst_port(f) == 53 &&
		    dns_is_tcp_query(p->payload, p->payload_len))
			f->app_proof = APP_DNS;
	}
	/* DNS's own port: a query is DNS (the other DNS-shaped protocols, mDNS, LLMNR and NetBIOS, have theirs) */
	if (f->key.ip_proto == 17 && dir == DIR_TO_SERVER && f->pkts[DIR_TO_SERVER] == 1 && !f->pkts[DIR_TO_CLIENT] &&
	    flow_dst_port(f) == 53 && dns_is_query(p->payload, p->payload_len))
		f->app_proof = APP_DNS;
	if (e->cfg.knowledge && f->app_proof != APP_TLS && f->inspected <= INSPECT_MAX_PACKETS)
		http_inspect(e->cfg.knowledge->http_methods, f, p, dir);
	if (f->key.ip_proto == 17 && dir == DIR_TO_SERVER && p->payload_len && f->inspected <= INSPECT_MAX_PACKETS)
		wol_inspect(e, f, p);
	/* psexec and client push open ADMIN$ after a long IPC$ conversation: SMB is watched longer */
	bool smb_more = tcp && (flow_dst_port(f) == 445 || flow_dst_port(f) == 139) && f->inspected < SMB_MAX_PACKETS &&
			!(f->ext && f->ext->smb_share && strcmp(f->ext->smb_share, "IPC$"));
	if (smb_more && dir == DIR_TO_SERVER && p->payload_len)
		smb_inspect(f, p);
	/* the follow-up parsers may want more than the first packets (a long endpoint mapper conversation) */
	bool more = followup_inspect(e, f, p, dir) || smb_more;
	if (f->inspected >= INSPECT_MAX_PACKETS && !more) {
		f->flags |= FLOW_F_INSPECT_DONE;
		flow_ext_free_parsers(f); /* reassembly buffers go now, not when the flow ends */
	}
}

static void inspect(struct engine *e, struct flow *f, const struct packet *p, enum flow_dir dir)
{
	if (f->inspected < 255)
		f->inspected++;
	if (!(f->flags & FLOW_F_INSPECT_DONE))
		inspect_own(e, f, p, dir);
	if (f->flags & FLOW_F_DPI_DONE)
		return;
	/* what cmflow proved itself needs no nDPI (its state, its dissectors, its host-name automata): the
	 * ConfigMgr checks read cmflow's fields; --all-protocols still asks nDPI for its sub-protocols */
	if (f->app_proof != APP_NONE && !e->cfg.all_protocols)
		dpi_skip(e->dpi, f);
	else
		dpi_packet(e->dpi, f, p, dir);
}

void engine_packet(struct engine *e, int linktype, const struct pcap_pkthdr *h, const uint8_t *data)
{
	struct packet p;
	uint64_t ts = (uint64_t)h->ts.tv_sec * 1000000u + (uint64_t)h->ts.tv_usec;
	enum decode_result r = decode_packet_with(e->cfg.tunnels, linktype, data, h->caplen, h->len, ts, &p, &e->dstats);

	if (ts > e->now_us)
		e->now_us = ts;
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
			if (e->eve)
				eve_wol_frame(e->eve, &e->json, &p, &m);
			if (e->summary)
				summary_wol_frame(e->summary, m.target_mac, p.eth_src, wol_cast_name(wol_cast_of(&p)));
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
	if (e->eve)
		eve_flush(e->eve);
}

static void add_u64(uint64_t *dst, const uint64_t *src, size_t n)
{
	for (size_t i = 0; i < n; i++)
		dst[i] += src[i];
}

void engine_stats_add(const struct engine *e, struct run_stats *s)
{
	const struct flow_table_stats *fs = flow_table_stats(e->flows);
	/* both are plain structs of uint64_t counters (checked below) */
	_Static_assert(sizeof(struct decode_stats) % sizeof(uint64_t) == 0, "decode_stats: counters only");
	add_u64((uint64_t *)&s->decoder, (const uint64_t *)&e->dstats, sizeof e->dstats / sizeof(uint64_t));
	s->flows.created += fs->created;
	s->flows.timed_out += fs->timed_out;
	s->flows.evicted += fs->evicted;
	s->flows.flushed += fs->flushed;
	s->flows.reused += fs->reused;
	s->flows.tcp += fs->tcp;
	s->flows.udp += fs->udp;
	s->flows.icmpv4 += fs->icmpv4;
	s->flows.icmpv6 += fs->icmpv6;
	s->flows.other += fs->other;
	s->flows.active += fs->active;
	s->flows.max_active += fs->max_active;
	s->frag_untracked += e->frag_untracked;
	s->capacity += flow_table_capacity(e->flows);
	for (int v = 0; v < 4; v++) {
		s->verdicts[v] += e->verdicts[v];
		s->alerts[v] += e->alerts[v];
	}
	s->workers++;
}

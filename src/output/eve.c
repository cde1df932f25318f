/* eve.c: EVE JSON output (Suricata's event format, https://docs.suricata.io/en/latest/output/eve/), one output of
 * the list (output.h): flow, alert, wol and stats events from the records the engine resolved. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit/rules.h"
#include "audit/site.h"
#include "decode/decode.h"
#include "flow/flow_ext.h"
#include "flow/smbrpc.h"
#include "lib/ipproto.h"
#include "lib/json.h"
#include "lib/util.h"
#include "output/eve.h"
#include "output/eve_attack.h"
#include "output/eve_alert.h"
#include "output/eve_smbrpc.h"
#include "output/sink.h"
#include "proto/dcerpc.h"
#include "proto/payload.h"
#include "proto/tls.h"
#include "proto/tls_handshake.h"
#include "proto/wol.h"

struct eve {
	struct sink *sink;     /* the file, stdout, socket or Redis the lines go to (sink.h) */
	struct json *j;        /* one line buffer per capture worker */
	unsigned workers;
	struct json own;       /* for the events of the run's own thread: stats and host alerts */
	pthread_mutex_t own_lock;
	uint64_t unformatted;  /* events that could not be formatted (memory) */
	struct eve_run run;
	bool has_run;
};

void eve_set_run(struct eve *ev, const struct eve_run *run)
{
	ev->run = *run;
	ev->has_run = true;
}

struct eve *eve_open(const char *spec, unsigned workers, bool reading_files, char *err, size_t errlen)
{
	struct eve *ev = calloc(1, sizeof *ev);
	if (ev)
		ev->j = calloc(workers ? workers : 1, sizeof *ev->j);
	if (!ev || !ev->j) {
		snprintf(err, errlen, "out of memory");
		free(ev);
		return NULL;
	}
	ev->workers = workers ? workers : 1;
	for (unsigned i = 0; i < ev->workers; i++)
		json_init(&ev->j[i]);
	json_init(&ev->own);
	pthread_mutex_init(&ev->own_lock, NULL);
	/* reading files, a writer may wait for a network sink's queue to drain: nothing is lost for speed */
	struct sink_options so = { .wait_full_ms = reading_files ? 10000 : 0 };
	if (!(ev->sink = sink_open(spec, &so, err, errlen))) {
		eve_close(ev, NULL, 0);
		return NULL;
	}
	return ev;
}

/* Writes one finished line (j holds a complete object); safe from several threads. */
static void emit(struct eve *ev, struct json *j)
{
	if (json_failed(j)) {
		__atomic_add_fetch(&ev->unformatted, 1, __ATOMIC_RELAXED);
		return;
	}
	sink_write(ev->sink, j->buf, j->len); /* a line it cannot take is counted there */
}

static void eve_flush_now(void *self)
{
	struct eve *ev = self;
	sink_flush(ev->sink);
}

static void eve_reopen(void *self)
{
	struct eve *ev = self;
	char err[512];
	if (sink_reopen(ev->sink) != 0)
		fprintf(stderr, "cmflow: SIGHUP: %s; still writing to the old file\n",
			sink_last_error(ev->sink, err, sizeof err));
}

static uint64_t eve_lost(void *self)
{
	struct eve *ev = self;
	return sink_lost(ev->sink) + __atomic_load_n(&ev->unformatted, __ATOMIC_RELAXED);
}

static bool eve_report(void *self, char *buf, size_t len)
{
	struct eve *ev = self;
	return sink_error_report(ev->sink, buf, len);
}

bool eve_close(struct eve *ev, char *err, size_t errlen)
{
	if (!ev)
		return true;
	struct sink_stats st;
	char why[512] = "";
	/* a network sink gets a few seconds to deliver what it still holds */
	bool ok = sink_close(ev->sink, 5000, &st, why, sizeof why) == 0 && !ev->unformatted;
	if (!ok && err) {
		if (why[0] && !ev->unformatted) /* the sink's message names the file, the reason and the count */
			snprintf(err, errlen, "%s", why);
		else
			snprintf(err, errlen, "%s%s%llu events could not be formatted (memory)", why, why[0] ? "; " : "",
				 (unsigned long long)ev->unformatted);
	}
	for (unsigned i = 0; i < ev->workers; i++)
		json_free(&ev->j[i]);
	free(ev->j);
	json_free(&ev->own);
	pthread_mutex_destroy(&ev->own_lock);
	free(ev);
	return ok;
}

/* ---- the parts of an event ---- */

static void write_vlan(struct json *j, const uint16_t vlan[2], unsigned n)
{
	json_open_array(j, "vlan");
	for (unsigned i = 0; i < n; i++)
		json_uint(j, NULL, vlan[i]);
	json_close_array(j);
}

/* Payload went by and was looked at: TCP data, or a UDP datagram. */
static bool carried_payload(const struct flow *f)
{
	if (f->key.ip_proto == IP_PROTO_TCP)
		return f->payload != PAYLOAD_UNSEEN;
	return f->key.ip_proto == IP_PROTO_UDP && f->pkts[0] + f->pkts[1] > 0;
}

/* Suricata's tunnel object of a tunnelled flow: the outermost IP header (its UDP ports when it is UDP) and the
 * depth; nothing for a flow outside tunnels. */
static void write_tunnel(struct json *j, const struct flow *f)
{
	const struct packet_tunnel *t = flow_tunnel(f);
	char a[ADDR_STR_MAX], pn[8];
	if (!t)
		return;
	json_open_object(j, "tunnel");
	json_plain(j, "src_ip", addr_to_str(t->outer_family, t->outer_src, a, sizeof a));
	if (t->outer_proto == IP_PROTO_UDP)
		json_uint(j, "src_port", t->outer_sport);
	json_plain(j, "dest_ip", addr_to_str(t->outer_family, t->outer_dst, a, sizeof a));
	if (t->outer_proto == IP_PROTO_UDP)
		json_uint(j, "dest_port", t->outer_dport);
	json_plain(j, "proto", ip_proto_name(t->outer_proto, pn, sizeof pn));
	json_uint(j, "depth", t->depth);
	json_close_object(j);
}

/* cmflow.tunnel of a tunnelled flow: the innermost tunnel's kind and the identity that keys the flow (vni,
 * session_id or key). */
static void write_cmflow_tunnel(struct json *j, const struct packet_tunnel *t)
{
	static const char *const id_names[] = { NULL, "vni", "session_id", "key" };
	json_open_object(j, "tunnel");
	json_plain(j, "kind", tunnel_kind_name((enum tunnel_kind)t->kind));
	if (t->id_kind > TUNNEL_ID_NONE && t->id_kind <= TUNNEL_ID_KEY)
		json_uint(j, id_names[t->id_kind], t->id);
	json_close_object(j);
}

/* The common head of a flow's events: timestamp, flow_id, event_type, addresses, ports, proto, vlan,
 * app_proto; the top-level object is left open. */
static void write_head(struct json *j, const struct flow_record *r, uint64_t ts_us, const char *event_type)
{
	const struct flow *f = r->f;
	char ts[TS_STR_MAX], pn[8];
	json_open_object(j, NULL);
	json_plain(j, "timestamp", ts_to_eve(ts_us, ts, sizeof ts));
	json_uint(j, "flow_id", r->flow_id);
	if (r->in_iface)
		json_str(j, "in_iface", r->in_iface);
	if (r->pcap_cnt)
		json_uint(j, "pcap_cnt", r->pcap_cnt);
	json_plain(j, "event_type", event_type);
	json_plain(j, "src_ip", r->src);
	bool ports = f->key.ip_proto == IP_PROTO_TCP || f->key.ip_proto == IP_PROTO_UDP || f->key.ip_proto == IP_PROTO_SCTP;
	if (ports)
		json_uint(j, "src_port", flow_src_port(f));
	json_plain(j, "dest_ip", r->dst);
	if (ports)
		json_uint(j, "dest_port", flow_dst_port(f));
	json_plain(j, "proto", ip_proto_name(f->key.ip_proto, pn, sizeof pn));
	if (f->key.vlan[0] || f->key.vlan[1])
		write_vlan(j, f->key.vlan, f->key.vlan[1] ? 2 : 1);
	if (f->key.ip_proto == IP_PROTO_ICMP || f->key.ip_proto == IP_PROTO_ICMPV6) {
		json_uint(j, "icmp_type", f->icmp_type);
		json_uint(j, "icmp_code", f->icmp_code);
	}
	if (r->community_id[0])
		json_plain(j, "community_id", r->community_id);
	if (r->app_proto)
		json_plain(j, "app_proto", r->app_proto);
	else if (carried_payload(f))
		json_plain(j, "app_proto", "failed"); /* Suricata's word: payload, and no protocol proven */
	write_tunnel(j, f);
}

static const char *state_name(const struct flow *f)
{
	switch (f->state) {
	case FLOW_STATE_ESTABLISHED: return "established";
	case FLOW_STATE_CLOSED: return "closed";
	default: return "new";
	}
}

static const char *reason_name(const struct flow *f)
{
	switch (f->end_reason) {
	case FLOW_END_FORCED: return "forced";
	case FLOW_END_SHUTDOWN: return "shutdown";
	case FLOW_END_REUSE: return "tcp_reuse";
	default: return "timeout";
	}
}

/* Packets and bytes by direction, the start and the end (alerts are written when their flow ends: their end
 * is known too; the flow event adds state and reason). */
static void write_flow_counts(struct json *j, const struct flow *f)
{
	char ts[TS_STR_MAX];
	json_uint(j, "pkts_toserver", f->pkts[DIR_TO_SERVER]);
	json_uint(j, "pkts_toclient", f->pkts[DIR_TO_CLIENT]);
	json_uint(j, "bytes_toserver", f->bytes[DIR_TO_SERVER]);
	json_uint(j, "bytes_toclient", f->bytes[DIR_TO_CLIENT]);
	json_plain(j, "start", ts_to_eve(f->ts_first, ts, sizeof ts));
	json_plain(j, "end", ts_to_eve(f->ts_last, ts, sizeof ts));
}

static void write_wol(struct json *j, const struct flow_wol *x)
{
	char mac[18];
	json_open_object(j, "wol");
	if (x->has) {
		json_str(j, "target_mac", wol_mac_str(x->mac, mac, sizeof mac));
		json_str(j, "addressing", wol_cast_name((enum wol_cast)x->cast));
		json_bool(j, "password", x->password);
	}
	if (x->not_magic)
		json_bool(j, "not_magic_packet", true);
	json_close_object(j);
}

/* A flow to a multicast group: the session of one sender and one group, with the receivers that joined. */
static void write_multicast(struct json *j, const struct flow_record *r)
{
	char a[ADDR_STR_MAX];
	json_open_object(j, "multicast");
	json_plain(j, "group", r->dst);
	json_uint(j, "receivers_seen", r->receivers_seen);
	json_open_array(j, "receivers");
	for (size_t i = 0; i < r->nreceivers; i++)
		json_plain(j, NULL, addr_to_str(r->f->key.family, r->receivers[i].addr, a, sizeof a));
	json_close_array(j);
	json_close_object(j);
}

static void write_roles(struct json *j, const char *key, const struct roles *roles, role_set s)
{
	json_open_array(j, key);
	for (; s; s &= s - 1) { /* the set's bits, in vocabulary order: a flow has few roles, the vocabulary 53 */
		unsigned i = (unsigned)__builtin_ctzll(s);
		if (i < roles->n)
			json_plain(j, NULL, roles->name[i]);
	}
	json_close_array(j);
}

/* Roles of both ends, the verdict, and the rule of the port matrix that describes the flow. */
static void write_label(struct json *j, const struct flow_record *r)
{
	const struct flow_label *lab = r->lab;
	write_roles(j, "src_roles", r->roles, lab->src_roles);
	if (lab->dst_broadcast && !lab->dst_roles) {
		json_open_array(j, "dest_roles");
		json_plain(j, NULL, "broadcast");
		json_close_array(j);
	} else {
		write_roles(j, "dest_roles", r->roles, lab->dst_roles);
	}
	if (r->src_role)
		json_plain(j, "src_role", r->src_role);
	if (r->dst_role)
		json_plain(j, "dest_role", r->dst_role);
	if (lab->src_inferred)
		write_roles(j, "src_roles_inferred", r->roles, lab->src_inferred);
	if (lab->dst_inferred)
		write_roles(j, "dest_roles_inferred", r->roles, lab->dst_inferred);
	if (r->site)
		json_str(j, "site", r->site);
	json_plain(j, "verdict", verdict_name(lab->verdict.verdict));
	json_open_array(j, "reasons");
	for (unsigned i = 0; i < lab->verdict.nfindings; i++)
		json_str(j, NULL, lab->verdict.findings[i]->id);
	json_close_array(j);
	if (!lab->matched)
		return;
	const struct rule *rule = lab->match.best;
	json_str(j, "service", rule->service);
	json_plain(j, "rule", rule->id);
	json_plain(j, "source_row", rule->row);
	json_str(j, "label", rule->label);
	if (lab->match.reversed)
		json_plain(j, "direction", "reversed");
	if (lab->match.nothers) {
		json_open_array(j, "other_rules");
		for (unsigned i = 0; i < lab->match.nothers; i++)
			json_plain(j, NULL, lab->match.others[i]->id);
		json_close_array(j);
	}
}

/* The knowledge set that judged the flow, the TLS handshake's client-authentication posture and how a client
 * authenticates (the census's class), and client notification. */
static void write_posture(struct json *j, const struct flow_record *r)
{
	const struct flow_tls *t = r->f->ext ? r->f->ext->tls : NULL;
	if (r->set)
		json_plain(j, "version", r->set);
	if (t) {
		json_plain(j, "tls_posture", tls_posture_name((enum tls_posture)t->posture));
		if (t->posture == TLS_POSTURE_UNPROVABLE)
			json_plain(j, "tls_posture_reason", tls_unprovable_name((enum tls_unprovable)t->why));
		if (t->certificate_request)
			json_uint(j, "tls_client_cert_len", t->client_cert_len);
	}
	if (r->client_auth)
		json_plain(j, "client_auth", r->client_auth);
	if (r->client_notification)
		json_bool(j, "client_notification", true);
}

/* The tls object's fields of the handshake (Suricata's places: the server certificate's names, the client's
 * under tls.client, session_resumed). */
static void write_tls_handshake(struct json *j, const struct flow_tls *t)
{
	if (t->subject)
		json_str(j, "subject", t->subject);
	if (t->issuer)
		json_str(j, "issuerdn", t->issuer);
	if (t->resumed)
		json_bool(j, "session_resumed", true);
	if (t->client_subject || t->client_issuer) {
		json_open_object(j, "client");
		if (t->client_subject)
			json_str(j, "subject", t->client_subject);
		if (t->client_issuer)
			json_str(j, "issuerdn", t->client_issuer);
		json_close_object(j);
	}
}

/* The configmgr object's fields (the caller opens and closes it). */
static void write_configmgr_fields(struct json *j, const struct flow_record *r)
{
	const struct flow *f = r->f;
	const struct flow_ext *x = f->ext;
	if (r->lab)
		write_label(j, r);
	write_posture(j, r);
	if (f->payload)
		json_plain(j, "payload", payload_kind_name(f->payload));
	if (r->multicast)
		write_multicast(j, r);
	const struct flow_followup *fu = x ? x->followup : NULL;
	bool rpc_list = eve_smbrpc_has_interfaces(r); /* every interface bound (eve_smbrpc.c) */
	if (r->parent_flow_id)
		json_uint(j, "parent_flow_id", r->parent_flow_id);
	if (fu && (fu->has_rpc_uuid || fu->via)) {
		char u[UUID_STR_LEN];
		json_open_object(j, fu->has_rpc_uuid ? "rpc" : "followup");
		if (fu->has_rpc_uuid) {
			json_plain(j, "uuid", uuid_format(fu->rpc_uuid, u));
			if (r->rpc_interface)
				json_str(j, "interface", r->rpc_interface);
		}
		/* how the flow was announced; "bind" when only its own bind names the interface */
		json_plain(j, "via", fu->via ? fu->via : "bind");
		if (fu->has_rpc_uuid && rpc_list)
			eve_smbrpc_rpc_members(j, r);
		json_close_object(j);
	}
	if (rpc_list && !(fu && fu->has_rpc_uuid)) { /* a named pipe's interfaces, on an SMB flow */
		json_open_object(j, "rpc");
		eve_smbrpc_rpc_members(j, r);
		json_close_object(j);
	}
	if (flow_wol(f))
		write_wol(j, flow_wol(f));
	const char *share = smbrpc_notable_share(r->smbrpc);
	if (share)
		json_str(j, "smb_share", share);
	eve_smbrpc_configmgr_smb(j, r);
	eve_attack_configmgr(j, r); /* logins, network boot, later HTTP requests (eve_attack.c) */
	if (r->http_by_design && x && (x->http_method || x->http_url))
		json_bool(j, "http_by_design", true);
}

/* The Host header without its port ("mp01:443"), as Suricata's http.hostname. */
static void write_hostname(struct json *j, const char *host)
{
	size_t n = strlen(host), cut = n;
	while (cut > 0 && host[cut - 1] >= '0' && host[cut - 1] <= '9')
		cut--;
	bool ipv6_literal = host[0] == '[';
	if (cut > 0 && cut < n && host[cut - 1] == ':' && (!ipv6_literal || (cut > 1 && host[cut - 2] == ']')))
		n = cut - 1;
	json_strn(j, "hostname", host, n);
}

/* Suricata's top-level http object (the first request of the flow, and its status). */
static void write_http(struct json *j, const struct flow_ext *x)
{
	if (!x || (!x->http_method && !x->http_url))
		return;
	json_open_object(j, "http");
	if (x->http_host)
		write_hostname(j, x->http_host);
	if (x->http_url)
		json_str(j, "url", x->http_url);
	if (x->http_method)
		json_str(j, "http_method", x->http_method);
	if (x->http_user_agent)
		json_str(j, "http_user_agent", x->http_user_agent);
	if (x->http_status)
		json_uint(j, "status", x->http_status);
	json_close_object(j);
}

/* Suricata's tls object: the server name asked for and the version chosen ("TLS 1.2"). */
static void write_tls(struct json *j, const struct flow_ext *x)
{
	if (!x || (!x->tls_sni && !x->tls_version && !x->tls))
		return;
	json_open_object(j, "tls");
	if (x->tls_sni)
		json_str(j, "sni", x->tls_sni);
	if (x->tls_version && tls_version_suricata(x->tls_version))
		json_plain(j, "version", tls_version_suricata(x->tls_version));
	if (x->tls)
		write_tls_handshake(j, x->tls);
	json_close_object(j);
}

/* ---- events ---- */

static void eve_alerts(void *self, const struct flow_record *r)
{
	struct eve *ev = self;
	struct json *j = &ev->j[r->worker % ev->workers];
	const struct flow *f = r->f;
	const struct verdict_result *v = &r->lab->verdict;
	for (unsigned i = 0; i < v->nfindings; i++) {
		if (v->muted[i])
			continue; /* a repeat within the minute: counted, reported with the next one */
		const struct finding_kind *k = v->findings[i];
		json_reset(j);
		write_head(j, r, f->ts_first, "alert");
		eve_alert_open(j, k);
		json_close_object(j);
		json_open_object(j, "flow");
		write_flow_counts(j, f);
		json_close_object(j);
		write_http(j, f->ext);
		write_tls(j, f->ext);
		eve_smbrpc_app(j, r);
		json_open_object(j, "configmgr");
		write_configmgr_fields(j, r);
		json_str(j, "finding", k->id);
		json_str(j, "advice", k->advice);
		json_str(j, "advice_source", k->advice_source);
		json_plain(j, "wireshark_filter", r->filter);
		if (v->held_back[i])
			json_uint(j, "repeats_held_back", v->held_back[i]);
		json_close_object(j);
		if (flow_tunnel(f)) {
			json_open_object(j, "cmflow");
			write_cmflow_tunnel(j, flow_tunnel(f));
			json_close_object(j);
		}
		json_close_object(j);
		emit(ev, j);
	}
}

static void eve_flow(void *self, const struct flow_record *r)
{
	struct eve *ev = self;
	struct json *j = &ev->j[r->worker % ev->workers];
	const struct flow *f = r->f;
	json_reset(j);
	write_head(j, r, f->ts_first, "flow");
	json_open_object(j, "flow");
	write_flow_counts(j, f);
	json_uint(j, "age", (f->ts_last - f->ts_first) / 1000000u);
	json_plain(j, "state", state_name(f));
	json_plain(j, "reason", reason_name(f));
	json_bool(j, "alerted", (f->flags & FLOW_F_ALERTED) != 0);
	json_close_object(j);
	if (r->has_ndpi) {
		json_open_object(j, "ndpi");
		json_str(j, "protocol", r->ndpi_name);
		json_plain(j, "confidence", r->ndpi_confidence);
		json_bool(j, "proven", r->ndpi_proven);
		json_close_object(j);
	}
	write_http(j, f->ext);
	write_tls(j, f->ext);
	eve_smbrpc_app(j, r); /* Suricata's smb and dcerpc objects */
	json_open_object(j, "configmgr");
	write_configmgr_fields(j, r);
	json_close_object(j);
	const struct packet_tunnel *tun = flow_tunnel(f);
	if ((f->flags & FLOW_F_MIDSTREAM) || ev->workers > 1 || tun) {
		json_open_object(j, "cmflow");
		if (f->flags & FLOW_F_MIDSTREAM)
			json_bool(j, "midstream", true);
		if (ev->workers > 1) /* which capture worker ended it (several workers: live --workers) */
			json_uint(j, "worker", r->worker);
		if (tun)
			write_cmflow_tunnel(j, tun);
		json_close_object(j);
	}
	json_close_object(j);
	emit(ev, j);
}

static void eve_wol_frame(void *self, const struct wol_frame_event *w)
{
	struct eve *ev = self;
	struct json *j = &ev->j[w->worker % ev->workers];
	char ts[TS_STR_MAX], mac[18];
	json_reset(j);
	json_open_object(j, NULL);
	json_plain(j, "timestamp", ts_to_eve(w->ts_us, ts, sizeof ts));
	json_plain(j, "event_type", "wol");
	json_open_object(j, "ether");
	json_plain(j, "src_mac", wol_mac_str(w->src_mac, mac, sizeof mac));
	json_plain(j, "dest_mac", wol_mac_str(w->dst_mac, mac, sizeof mac));
	json_uint(j, "ether_type", w->ethertype);
	json_close_object(j);
	if (w->vlan_count)
		write_vlan(j, w->vlan, w->vlan_count);
	json_open_object(j, "configmgr");
	json_open_object(j, "wol");
	json_plain(j, "target_mac", wol_mac_str(w->target_mac, mac, sizeof mac));
	json_plain(j, "addressing", w->addressing);
	json_bool(j, "password", w->password);
	json_close_object(j);
	json_close_object(j);
	json_close_object(j);
	emit(ev, j);
}

/* A detection over a sequence of flows (eve_smbrpc.c writes it), from the worker that ended its last flow. */
static void eve_detection(void *self, const struct detection_event *d)
{
	struct eve *ev = self;
	struct json *j = &ev->j[d->worker % ev->workers];
	json_reset(j);
	eve_detection_event(j, d);
	emit(ev, j);
}

/* Host and configuration findings come from the run's own thread (drift at the end, the configuration at the
 * start), never from the workers: the run's buffer. */
static void eve_host_alert(void *self, const struct host_alert *a)
{
	struct eve *ev = self;
	struct json *j = &ev->own;
	char ts[TS_STR_MAX], ip[ADDR_STR_MAX];
	pthread_mutex_lock(&ev->own_lock);
	const struct finding_kind *kind = a->kind;
	json_reset(j);
	json_open_object(j, NULL);
	json_plain(j, "timestamp", ts_to_eve(a->ts_us, ts, sizeof ts));
	json_plain(j, "event_type", "alert");
	if (a->has_addr)
		json_plain(j, "src_ip", addr_to_str(a->family, a->addr, ip, sizeof ip));
	eve_alert_open(j, kind);
	json_close_object(j);
	json_open_object(j, "configmgr");
	json_plain(j, "verdict", verdict_name((enum verdict)kind->verdict));
	json_open_array(j, "reasons");
	json_str(j, NULL, kind->id);
	json_close_array(j);
	json_str(j, "detail", a->detail);
	json_str(j, "advice", kind->advice);
	json_str(j, "advice_source", kind->advice_source);
	json_close_object(j);
	json_close_object(j);
	emit(ev, j);
	pthread_mutex_unlock(&ev->own_lock);
}

/* Writes the counters whose path starts with prefix (the prefix left out), opening and closing the nested
 * objects their dotted paths name. */
static void write_counters(struct json *j, const struct run_stats *rs, const char *prefix)
{
	size_t n, plen = strlen(prefix);
	const struct counter *c = counters_all(&n);
	char open[128] = ""; /* the object path open now, "" at the prefix's level */
	for (size_t i = 0; i < n; i++) {
		if (strncmp(c[i].path, prefix, plen) != 0)
			continue;
		if ((c[i].flags & COUNTER_LIVE) && !rs->live)
			continue;
		uint64_t v = counter_value(rs, &c[i]);
		if ((c[i].flags & COUNTER_NONZERO) && !v)
			continue;
		const char *path = c[i].path + plen, *leaf = strrchr(path, '.');
		size_t dlen = leaf ? (size_t)(leaf - path) : 0;
		/* close the open objects that are not ancestors of this counter, then open the missing ones */
		size_t olen = strlen(open);
		while (olen && !(olen <= dlen && strncmp(open, path, olen) == 0 && (olen == dlen || path[olen] == '.'))) {
			json_close_object(j);
			char *dot = strrchr(open, '.');
			olen = dot ? (size_t)(dot - open) : 0;
			open[olen] = '\0';
		}
		while (olen < dlen) {
			const char *start = path + olen + (olen ? 1 : 0);
			const char *end = memchr(start, '.', (size_t)(path + dlen - start));
			if (!end)
				end = path + dlen;
			json_open_object_n(j, start, (size_t)(end - start));
			olen = (size_t)(end - path);
			snprintf(open, sizeof open, "%.*s", (int)olen, path);
		}
		json_uint(j, leaf ? leaf + 1 : path, v);
	}
	for (size_t olen = strlen(open); olen;) {
		json_close_object(j);
		char *dot = strrchr(open, '.');
		olen = dot ? (size_t)(dot - open) : 0;
		open[olen] = '\0';
	}
}

static void eve_stats(void *self, const struct run_stats *rs, uint64_t ts_us)
{
	struct eve *ev = self;
	struct json *j = &ev->own;
	char ts[TS_STR_MAX];
	pthread_mutex_lock(&ev->own_lock);
	json_reset(j);
	json_open_object(j, NULL);
	json_plain(j, "timestamp", ts_to_eve(ts_us, ts, sizeof ts));
	json_plain(j, "event_type", "stats");
	json_open_object(j, "stats");
	write_counters(j, rs, "stats.");
	json_close_object(j);
	json_open_object(j, "cmflow");
	if (ev->has_run) {
		json_open_object(j, "run");
		json_open_array(j, "inputs");
		for (size_t i = 0; i < ev->run.ninputs; i++)
			json_str(j, NULL, ev->run.inputs[i]);
		json_close_array(j);
		if (ev->run.site_config)
			json_str(j, "site_config", ev->run.site_config);
		json_str(j, "version", ev->run.version);
		json_close_object(j);
	}
	write_counters(j, rs, "cmflow.");
	json_close_object(j);
	json_close_object(j);
	emit(ev, j);
	pthread_mutex_unlock(&ev->own_lock);
}

const struct output_ops eve_output_ops = {
	.name = "eve",
	.alerts = eve_alerts,
	.flow = eve_flow,
	.wol_frame = eve_wol_frame,
	.host_alert = eve_host_alert,
	.detection = eve_detection,
	.stats = eve_stats,
	.flush = eve_flush_now,
	.reopen = eve_reopen,
	.lost = eve_lost,
	.report = eve_report,
};

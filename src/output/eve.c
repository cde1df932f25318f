/* eve.c: EVE JSON output (Suricata's event format, https://docs.suricata.io/en/latest/output/eve/). */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "flow/dpi.h"
#include "engine/engine.h"
#include "output/eve.h"
#include "proto/dcerpc.h"
#include "flow/flow_ext.h"
#include "audit/knowledge.h"
#include "audit/label.h"
#include "flow/mcast.h"
#include "proto/payload.h"
#include "audit/rules.h"
#include "audit/site.h"
#include "proto/tls.h"
#include "audit/verdict.h"
#include "lib/util.h"
#include "proto/wol.h"

struct eve {
	char *path;      /* NULL for stdout */
	FILE *out;
	pthread_mutex_t lock;  /* workers write whole lines; rotation swaps the stream */
	struct json j;         /* for the stats events, written by one thread */
	uint64_t lines;
	long start;            /* file size at open: this run's first line */
	struct eve_run run;
	bool has_run;
};

void eve_set_run(struct eve *ev, const struct eve_run *run)
{
	ev->run = *run;
	ev->has_run = true;
}

long eve_start_offset(const struct eve *ev)
{
	return ev->start;
}

struct eve *eve_open(const char *path, char *err, size_t errlen)
{
	struct eve *ev = calloc(1, sizeof *ev);
	if (!ev) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	json_init(&ev->j);
	pthread_mutex_init(&ev->lock, NULL);
	if (strcmp(path, "-") == 0) {
		ev->out = stdout;
	} else {
		ev->path = strdup(path);
		ev->out = fopen(path, "a");
		if (!ev->out || !ev->path) {
			snprintf(err, errlen, "%s: cannot open for writing: %s", path, strerror(errno));
			if (ev->out)
				fclose(ev->out);
			free(ev->path);
			free(ev);
			return NULL;
		}
	}
	/* full buffering: lines are written whole by eve_write */
	setvbuf(ev->out, NULL, _IOFBF, 1 << 16);
	if (ev->path && fseek(ev->out, 0, SEEK_END) == 0)
		ev->start = ftell(ev->out);
	return ev;
}

bool eve_reopen(struct eve *ev)
{
	if (!ev->path)
		return true;
	FILE *n = fopen(ev->path, "a");
	if (!n)
		return false;
	setvbuf(n, NULL, _IOFBF, 1 << 16);
	pthread_mutex_lock(&ev->lock);
	fclose(ev->out);
	ev->out = n;
	pthread_mutex_unlock(&ev->lock);
	return true;
}

void eve_write(struct eve *ev, struct json *j)
{
	if (json_failed(j))
		return;
	pthread_mutex_lock(&ev->lock);
	fwrite(j->buf, 1, j->len, ev->out);
	fputc('\n', ev->out);
	ev->lines++;
	pthread_mutex_unlock(&ev->lock);
}

void eve_flush(struct eve *ev)
{
	pthread_mutex_lock(&ev->lock);
	fflush(ev->out);
	pthread_mutex_unlock(&ev->lock);
}

void eve_close(struct eve *ev)
{
	if (!ev)
		return;
	fflush(ev->out);
	if (ev->path)
		fclose(ev->out);
	free(ev->path);
	json_free(&ev->j);
	free(ev);
}

void eve_flow_head(struct json *j, const struct engine *e, const struct flow *f, uint64_t ts_us,
		   const char *event_type)
{
	char ts[TS_STR_MAX], a[ADDR_STR_MAX], pn[8];
	(void)e;
	json_open_object(j, NULL);
	json_plain(j, "timestamp", ts_to_eve(ts_us, ts, sizeof ts));
	json_uint(j, "flow_id", f->id);
	json_plain(j, "event_type", event_type);
	json_plain(j, "src_ip", addr_to_str(f->key.family, flow_src_addr(f), a, sizeof a));
	bool ports = f->key.ip_proto == 6 || f->key.ip_proto == 17 || f->key.ip_proto == 132;
	if (ports)
		json_uint(j, "src_port", flow_src_port(f));
	json_plain(j, "dest_ip", addr_to_str(f->key.family, flow_dst_addr(f), a, sizeof a));
	if (ports)
		json_uint(j, "dest_port", flow_dst_port(f));
	json_plain(j, "proto", ip_proto_name(f->key.ip_proto, pn, sizeof pn));
	if (f->key.vlan[0] || f->key.vlan[1]) {
		json_open_array(j, "vlan");
		json_uint(j, NULL, f->key.vlan[0]);
		if (f->key.vlan[1])
			json_uint(j, NULL, f->key.vlan[1]);
		json_close_array(j);
	}
	if (f->key.ip_proto == 1 || f->key.ip_proto == 58)
		json_uint(j, "icmp_type", f->icmp_type);
	const char *app = flow_app_proto(f);
	if (app)
		json_plain(j, "app_proto", app);
	eve_tunnel(j, f);
}

void eve_tunnel(struct json *j, const struct flow *f)
{
	const struct packet_tunnel *t = flow_tunnel(f);
	char a[ADDR_STR_MAX], pn[8];
	if (!t)
		return;
	json_open_object(j, "tunnel");
	json_plain(j, "src_ip", addr_to_str(t->outer_family, t->outer_src, a, sizeof a));
	if (t->outer_proto == 17)
		json_uint(j, "src_port", t->outer_sport);
	json_plain(j, "dest_ip", addr_to_str(t->outer_family, t->outer_dst, a, sizeof a));
	if (t->outer_proto == 17)
		json_uint(j, "dest_port", t->outer_dport);
	json_plain(j, "proto", ip_proto_name(t->outer_proto, pn, sizeof pn));
	json_uint(j, "depth", t->depth);
	json_close_object(j);
}

void eve_cmflow(struct json *j, const struct flow *f)
{
	const struct packet_tunnel *t = flow_tunnel(f);
	if (!t && !(f->flags & FLOW_F_MIDSTREAM))
		return;
	json_open_object(j, "cmflow");
	if (f->flags & FLOW_F_MIDSTREAM)
		json_bool(j, "midstream", true);
	if (t) {
		static const char *const id_names[] = { NULL, "vni", "session_id", "key" };
		json_open_object(j, "tunnel");
		json_plain(j, "kind", tunnel_kind_name((enum tunnel_kind)t->kind));
		if (t->id_kind > TUNNEL_ID_NONE && t->id_kind <= TUNNEL_ID_KEY)
			json_uint(j, id_names[t->id_kind], t->id);
		json_close_object(j);
	}
	json_close_object(j);
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

static void write_wol(struct json *j, const struct flow_ext *x)
{
	char mac[18];
	json_open_object(j, "wol");
	if (x->has_wol) {
		json_str(j, "target_mac", wol_mac_str(x->wol_mac, mac, sizeof mac));
		json_str(j, "addressing", wol_cast_name((enum wol_cast)x->wol_cast));
		json_bool(j, "password", x->wol_password);
	}
	if (x->wol_not_magic)
		json_bool(j, "not_magic_packet", true);
	json_close_object(j);
}

/* A flow to a multicast group: the session of one sender and one group, with the receivers that joined. */
static void write_multicast(struct json *j, const struct engine *e, const struct flow *f)
{
	char a[ADDR_STR_MAX];
	struct mcast_receiver r[MCAST_MAX_RECEIVERS];
	json_open_object(j, "multicast");
	json_str(j, "group", addr_to_str(f->key.family, flow_dst_addr(f), a, sizeof a));
	size_t n = e->cfg.mcast ? mcast_receivers(e->cfg.mcast, f->key.family, flow_dst_addr(f), r, MCAST_MAX_RECEIVERS)
				: 0;
	json_uint(j, "receivers_seen", n);
	json_open_array(j, "receivers");
	for (size_t i = 0; i < n && i < MCAST_MAX_RECEIVERS; i++)
		json_str(j, NULL, addr_to_str(f->key.family, r[i].addr, a, sizeof a));
	json_close_array(j);
	json_close_object(j);
}

/* cmflow's ConfigMgr view of the flow (DESIGN.md: the configmgr object). */
static void write_roles(struct json *j, const char *key, const struct roles *roles, role_set s)
{
	json_open_array(j, key);
	for (unsigned i = 0; i < roles->n; i++)
		if (s & ROLE_BIT(i))
			json_str(j, NULL, roles->name[i]);
	json_close_array(j);
}

/* Roles of both ends and the rule of the port matrix that describes the flow. */
static void write_label(struct json *j, const struct ruleset *rs, const struct flow_label *lab)
{
	write_roles(j, "src_roles", &rs->roles, lab->src_roles);
	int ps = roles_primary(&rs->roles, lab->src_roles), pd = roles_primary(&rs->roles, lab->dst_roles);
	if (lab->dst_broadcast && !lab->dst_roles) {
		json_open_array(j, "dest_roles");
		json_str(j, NULL, "broadcast");
		json_close_array(j);
	} else {
		write_roles(j, "dest_roles", &rs->roles, lab->dst_roles);
	}
	/* the most specific role of each end, for reports that show one role a host */
	if (ps >= 0)
		json_str(j, "src_role", rs->roles.name[ps]);
	if (pd >= 0)
		json_str(j, "dest_role", rs->roles.name[pd]);
	if (lab->src_inferred)
		write_roles(j, "src_roles_inferred", &rs->roles, lab->src_inferred);
	if (lab->dst_inferred)
		write_roles(j, "dest_roles_inferred", &rs->roles, lab->dst_inferred);
	if (lab->site)
		json_str(j, "site", lab->site->code);
	json_plain(j, "verdict", verdict_name(lab->verdict.verdict));
	json_open_array(j, "reasons");
	for (unsigned i = 0; i < lab->verdict.nfindings; i++)
		json_str(j, NULL, lab->verdict.findings[i]->id);
	json_close_array(j);
	if (!lab->matched)
		return;
	const struct rule *r = lab->match.best;
	json_str(j, "service", r->service);
	json_plain(j, "rule", r->id);
	json_plain(j, "source_row", r->row);
	json_str(j, "label", r->label);
	if (lab->match.reversed)
		json_str(j, "direction", "reversed");
	if (lab->match.nothers) {
		json_open_array(j, "other_rules");
		for (unsigned i = 0; i < lab->match.nothers; i++)
			json_str(j, NULL, lab->match.others[i]->id);
		json_close_array(j);
	}
}

/* The configmgr object's fields (the caller opens and closes it). */
static void write_configmgr_fields(struct json *j, const struct engine *e, const struct flow *f,
				   const struct flow_label *lab)
{
	const struct flow_ext *x = f->ext;
	if (lab && e->cfg.knowledge && e->cfg.knowledge->rules)
		write_label(j, e->cfg.knowledge->rules, lab);
	if (f->payload)
		json_plain(j, "payload", payload_kind_name(f->payload));
	if (f->key.ip_proto == 17 && mcast_is_group(f->key.family, flow_dst_addr(f)))
		write_multicast(j, e, f);
	const struct flow_followup *fu = x ? x->followup : NULL;
	if (fu && fu->via)
		json_uint(j, "parent_flow_id", fu->parent_flow_id);
	if (fu && (fu->has_rpc_uuid || fu->via)) {
		char u[UUID_STR_LEN];
		json_open_object(j, fu->has_rpc_uuid ? "rpc" : "followup");
		if (fu->has_rpc_uuid) {
			const char *name = knowledge_rpc_name(e->cfg.knowledge, fu->rpc_uuid);
			json_str(j, "uuid", uuid_format(fu->rpc_uuid, u));
			if (name)
				json_str(j, "interface", name);
		}
		/* how the flow was announced; "bind" when only its own bind names the interface */
		json_str(j, "via", fu->via ? fu->via : "bind");
		json_close_object(j);
	}
	if (x && (x->has_wol || x->wol_not_magic))
		write_wol(j, x);
	if (x && x->smb_share)
		json_str(j, "smb_share", x->smb_share);
	if (x && (x->http_method || x->http_url)) {
		json_open_object(j, "http");
		if (x->http_method)
			json_str(j, "method", x->http_method);
		if (x->http_url)
			json_str(j, "url", x->http_url);
		if (x->http_host)
			json_str(j, "hostname", x->http_host);
		if (x->http_user_agent)
			json_str(j, "user_agent", x->http_user_agent);
		if (x->http_status)
			json_uint(j, "status", x->http_status);
		json_close_object(j);
	}
}

static void write_configmgr(struct json *j, const struct engine *e, const struct flow *f,
			    const struct flow_label *lab)
{
	json_open_object(j, "configmgr");
	write_configmgr_fields(j, e, f, lab);
	json_close_object(j);
}

/* Text assembled piece by piece into a fixed buffer (cut, still NUL-terminated, when it is too small): the
 * display filter of every alert, where snprintf's format parsing showed in profiles. */
struct text {
	char *buf;
	size_t len, cap;
};

static void text_add(struct text *t, const char *s)
{
	size_t n = strlen(s);
	if (t->len + n >= t->cap)
		n = t->cap - 1 - t->len;
	memcpy(t->buf + t->len, s, n);
	t->len += n;
	t->buf[t->len] = '\0';
}

static void text_uint(struct text *t, uint64_t v, int min_digits)
{
	char d[24];
	int i = sizeof d - 1;
	d[i] = '\0';
	do {
		d[--i] = (char)('0' + v % 10);
		v /= 10;
	} while ((v || (int)sizeof d - 1 - i < min_digits) && i > 0);
	text_add(t, d + i);
}

/* "ip.src==A && tcp.srcport==P && ip.dst==B && tcp.dstport==Q"; a tunnelled flow's fields carry the layer
 * of its inner headers ("ip.src#2", Wireshark 4.0's layer operator) in ipl and l4l, else they are "". */
static void text_direction(struct text *t, const char *ip, const char *ipl, const char *l4, const char *l4l,
			   const char *a, unsigned pa, const char *b, unsigned pb)
{
	if (!*ipl && !*l4l) { /* outside tunnels, as many pieces as ever */
		const char *parts[] = { ip, ".src==", a, " && ", l4, ".srcport==" };
		for (size_t i = 0; i < 6; i++)
			text_add(t, parts[i]);
		text_uint(t, pa, 1);
		const char *parts2[] = { " && ", ip, ".dst==", b, " && ", l4, ".dstport==" };
		for (size_t i = 0; i < 7; i++)
			text_add(t, parts2[i]);
		text_uint(t, pb, 1);
		return;
	}
	const char *parts[] = { ip, ".src", ipl, "==", a, " && ", l4, ".srcport", l4l, "==" };
	for (size_t i = 0; i < 10; i++)
		text_add(t, parts[i]);
	text_uint(t, pa, 1);
	const char *parts2[] = { " && ", ip, ".dst", ipl, "==", b, " && ", l4, ".dstport", l4l, "==" };
	for (size_t i = 0; i < 11; i++)
		text_add(t, parts2[i]);
	text_uint(t, pb, 1);
}

/* "#N" for the N-th header of a kind in the frame when N > 1, else "" */
static const char *layer_suffix(unsigned n, char *buf)
{
	char *c = buf;
	if (n <= 1)
		return "";
	*c++ = '#';
	if (n > 99)
		n = 99; /* not reached: DECODE_MAX_TUNNELS bounds the layers */
	if (n >= 10)
		*c++ = (char)('0' + n / 10);
	*c++ = (char)('0' + n % 10);
	*c = '\0';
	return buf;
}

/* A tunnelled flow's tunnel identity as Wireshark names it: " && vxlan.vni==N" */
static void text_tunnel_id(struct text *t, const struct packet_tunnel *tun)
{
	const char *field = NULL;
	switch (tun->id_kind) {
	case TUNNEL_ID_VNI: field = tun->id_tunnel == TUNNEL_GENEVE ? " && geneve.vni==" : " && vxlan.vni=="; break;
	case TUNNEL_ID_SESSION: field = " && erspan.spanid=="; break;
	case TUNNEL_ID_KEY: field = " && gre.key=="; break;
	default: return;
	}
	text_add(t, field);
	text_uint(t, tun->id, 1);
}

static void text_time(struct text *t, uint64_t us)
{
	text_uint(t, us / 1000000u, 1);
	text_add(t, ".");
	text_uint(t, us % 1000000u, 6);
}

const char *flow_display_filter(const struct flow *f, char *buf, size_t len)
{
	char a[ADDR_STR_MAX], b[ADDR_STR_MAX], ipl_buf[4], l4l_buf[4], vl_buf[4];
	struct text t = { buf, 0, len };
	const char *ip = f->key.family == 4 ? "ip" : "ipv6";
	const struct packet_tunnel *tun = flow_tunnel(f);
	const char *ipl = "", *l4l = "", *vl = "";
	if (tun) {
		ipl = layer_suffix((f->key.family == 4 ? tun->ip4_before : tun->ip6_before) + 1u, ipl_buf);
		l4l = f->key.ip_proto == 17 ? layer_suffix(tun->udp_before + 1u, l4l_buf) : "";
		vl = layer_suffix(tun->vlan_before + (f->key.vlan[1] ? 2u : 1u), vl_buf);
	}
	if (!len)
		return buf;
	buf[0] = '\0';
	addr_to_str(f->key.family, flow_src_addr(f), a, sizeof a);
	addr_to_str(f->key.family, flow_dst_addr(f), b, sizeof b);
	if (f->key.ip_proto == 6 || f->key.ip_proto == 17) {
		const char *l4 = f->key.ip_proto == 6 ? "tcp" : "udp";
		unsigned sp = flow_src_port(f), dp = flow_dst_port(f);
		text_add(&t, "((");
		text_direction(&t, ip, ipl, l4, l4l, a, sp, b, dp);
		text_add(&t, ") || (");
		text_direction(&t, ip, ipl, l4, l4l, b, dp, a, sp);
		text_add(&t, "))");
	} else {
		/* IPv6's next header field is ipv6.nxt (the display filter "ipv6.nxt.proto" of earlier versions matched
		 * nothing) */
		const char *parts[] = { ip, ".addr", ipl, "==", a, " && ", ip, ".addr", ipl, "==", b, " && ",
					f->key.family == 4 ? "ip.proto" : "ipv6.nxt", ipl, "==" };
		for (size_t i = 0; i < 15; i++)
			text_add(&t, parts[i]);
		text_uint(&t, f->key.ip_proto, 1);
	}
	if (f->key.vlan[0]) {
		text_add(&t, " && vlan.id");
		text_add(&t, vl);
		text_add(&t, "==");
		text_uint(&t, f->key.vlan[f->key.vlan[1] ? 1 : 0], 1);
	}
	if (tun)
		text_tunnel_id(&t, tun);
	/* the time window keeps an earlier or later conversation on the same ports out */
	text_add(&t, " && frame.time_epoch >= ");
	text_time(&t, f->ts_first);
	text_add(&t, " && frame.time_epoch < ");
	text_time(&t, f->ts_last + 1);
	return buf;
}

void eve_alerts(struct eve *ev, struct json *j, const struct engine *e, const struct flow *f,
		const struct flow_label *lab)
{
	char filter[1024], ts[TS_STR_MAX];
	flow_display_filter(f, filter, sizeof filter);
	for (unsigned i = 0; i < lab->verdict.nfindings; i++) {
		if (lab->verdict.muted[i])
			continue; /* a repeat within the minute: counted, reported with the next one */
		const struct finding_kind *k = lab->verdict.findings[i];
		json_reset(j);
		eve_flow_head(j, e, f, f->ts_first, "alert");
		json_open_object(j, "alert");
		json_str(j, "action", "allowed");
		json_uint(j, "gid", 1);
		json_uint(j, "signature_id", k->sid);
		json_uint(j, "rev", 1);
		json_str(j, "signature", k->message);
		json_str(j, "category", k->category);
		json_uint(j, "severity", k->severity);
		json_close_object(j);
		json_open_object(j, "flow");
		json_uint(j, "pkts_toserver", f->pkts[DIR_TO_SERVER]);
		json_uint(j, "pkts_toclient", f->pkts[DIR_TO_CLIENT]);
		json_uint(j, "bytes_toserver", f->bytes[DIR_TO_SERVER]);
		json_uint(j, "bytes_toclient", f->bytes[DIR_TO_CLIENT]);
		json_plain(j, "start", ts_to_eve(f->ts_first, ts, sizeof ts));
		json_close_object(j);
		json_open_object(j, "configmgr");
		write_configmgr_fields(j, e, f, lab);
		json_str(j, "finding", k->id);
		json_plain(j, "wireshark_filter", filter);
		if (lab->verdict.held_back[i])
			json_uint(j, "repeats_held_back", lab->verdict.held_back[i]);
		json_close_object(j);
		eve_cmflow(j, f);
		json_close_object(j);
		eve_write(ev, j);
	}
}

void eve_config_alert(struct eve *ev, uint64_t ts_us, const struct finding_kind *kind, const char *detail)
{
	char ts[TS_STR_MAX];
	struct json *j = &ev->j;
	json_reset(j);
	json_open_object(j, NULL);
	json_plain(j, "timestamp", ts_to_eve(ts_us, ts, sizeof ts));
	json_plain(j, "event_type", "alert");
	json_open_object(j, "alert");
	json_str(j, "action", "allowed");
	json_uint(j, "gid", 1);
	json_uint(j, "signature_id", kind->sid);
	json_uint(j, "rev", 1);
	json_str(j, "signature", kind->message);
	json_str(j, "category", kind->category);
	json_uint(j, "severity", kind->severity);
	json_close_object(j);
	json_open_object(j, "configmgr");
	json_plain(j, "verdict", verdict_name((enum verdict)kind->verdict));
	json_open_array(j, "reasons");
	json_str(j, NULL, kind->id);
	json_close_array(j);
	json_str(j, "detail", detail);
	json_close_object(j);
	json_close_object(j);
	eve_write(ev, j);
}

void eve_wol_frame(struct eve *ev, struct json *j, const struct packet *p, const struct wol_magic *m)
{
	char ts[TS_STR_MAX], mac[18];
	json_reset(j);
	json_open_object(j, NULL);
	json_plain(j, "timestamp", ts_to_eve(p->ts_us, ts, sizeof ts));
	json_plain(j, "event_type", "wol");
	json_open_object(j, "ether");
	json_str(j, "src_mac", wol_mac_str(p->eth_src, mac, sizeof mac));
	json_str(j, "dest_mac", wol_mac_str(p->eth_dst, mac, sizeof mac));
	json_uint(j, "ether_type", p->ethertype);
	json_close_object(j);
	if (p->vlan_count) {
		json_open_array(j, "vlan");
		for (int i = 0; i < p->vlan_count; i++)
			json_uint(j, NULL, p->vlan[i]);
		json_close_array(j);
	}
	json_open_object(j, "configmgr");
	json_open_object(j, "wol");
	json_str(j, "target_mac", wol_mac_str(m->target_mac, mac, sizeof mac));
	json_str(j, "addressing", wol_cast_name(wol_cast_of(p)));
	json_bool(j, "password", m->password_len != 0);
	json_close_object(j);
	json_close_object(j);
	json_close_object(j);
	eve_write(ev, j);
}

void eve_flow(struct eve *ev, struct json *j, const struct engine *e, const struct flow *f,
	      const struct flow_label *lab)
{
	char ts[TS_STR_MAX], name[64];
	json_reset(j);
	eve_flow_head(j, e, f, f->ts_first, "flow");

	json_open_object(j, "flow");
	json_uint(j, "pkts_toserver", f->pkts[DIR_TO_SERVER]);
	json_uint(j, "pkts_toclient", f->pkts[DIR_TO_CLIENT]);
	json_uint(j, "bytes_toserver", f->bytes[DIR_TO_SERVER]);
	json_uint(j, "bytes_toclient", f->bytes[DIR_TO_CLIENT]);
	json_plain(j, "start", ts_to_eve(f->ts_first, ts, sizeof ts));
	json_plain(j, "end", ts_to_eve(f->ts_last, ts, sizeof ts));
	json_uint(j, "age", (f->ts_last - f->ts_first) / 1000000u);
	json_plain(j, "state", state_name(f));
	json_plain(j, "reason", reason_name(f));
	json_bool(j, "alerted", (f->flags & FLOW_F_ALERTED) != 0);
	json_close_object(j);

	if (f->ndpi_master || f->ndpi_app || f->ndpi_confidence) {
		json_open_object(j, "ndpi");
		json_str(j, "protocol", dpi_name(e->dpi, f, name, sizeof name));
		json_plain(j, "confidence", dpi_confidence_name(f));
		json_bool(j, "proven", dpi_proven(f));
		json_close_object(j);
	}
	const struct flow_ext *x = f->ext;
	if (x && (x->tls_sni || x->tls_version)) {
		json_open_object(j, "tls");
		if (x->tls_sni)
			json_str(j, "sni", x->tls_sni);
		if (x->tls_version)
			json_str(j, "version", tls_version_name(x->tls_version));
		json_close_object(j);
	}
	write_configmgr(j, e, f, lab);
	eve_cmflow(j, f);
	json_close_object(j);
	eve_write(ev, j);
}

/* The "event" object: malformed packets by reason, reasons [first, end) of enum malformed_reason, one object
 * per layer (a layer's reasons are consecutive in the enum). */
static void write_reasons(struct json *j, const struct decode_stats *d, int first, int end)
{
	const char *open_layer = NULL;
	size_t open_len = 0;
	json_open_object(j, "event");
	for (int r = first; r < end; r++) {
		if (!d->by_reason[r])
			continue;
		const char *n = malformed_reason_name((enum malformed_reason)r), *dot = strchr(n, '.');
		size_t ll = (size_t)(dot - n);
		if (!open_layer || ll != open_len || strncmp(open_layer, n, ll) != 0) {
			if (open_layer)
				json_close_object(j);
			char layer[32];
			snprintf(layer, sizeof layer, "%.*s", (int)ll, n);
			json_open_object(j, layer);
			open_layer = n;
			open_len = ll;
		}
		json_uint(j, dot + 1, d->by_reason[r]);
	}
	if (open_layer)
		json_close_object(j);
	json_close_object(j);
}

/* Suricata's decoder counters of the tunnels it also decodes (packets of each layer decoded). */
static void write_decoder_tunnels(struct json *j, const struct decode_stats *d)
{
	json_uint(j, "erspan", d->tunnel[TUNNEL_ERSPAN_I] + d->tunnel[TUNNEL_ERSPAN_II] + d->tunnel[TUNNEL_ERSPAN_III]);
	json_uint(j, "vxlan", d->tunnel[TUNNEL_VXLAN]);
	json_uint(j, "geneve", d->tunnel[TUNNEL_GENEVE]);
	json_uint(j, "teredo", d->tunnel[TUNNEL_TEREDO]);
	json_uint(j, "nsh", d->nsh);
	json_uint(j, "ipv4_in_ipv4", d->ipv4_in_ipv4);
	json_uint(j, "ipv6_in_ipv4", d->ipv6_in_ipv4);
	json_uint(j, "ipv4_in_ipv6", d->ipv4_in_ipv6);
	json_uint(j, "ipv6_in_ipv6", d->ipv6_in_ipv6);
	json_uint(j, "too_many_layers", d->too_many_layers);
}

/* cmflow.tunnel: packets read from inside a tunnel, tunnels left closed, UDP that looks like VXLAN on a port
 * not configured, and tunnel headers opened by kind. */
static void write_tunnel_stats(struct json *j, const struct decode_stats *d)
{
	json_open_object(j, "tunnel");
	json_uint(j, "decapsulated", d->decapsulated);
	json_uint(j, "left_closed", decode_tunnels_left_closed(d));
	json_uint(j, "vxlan_unopened", d->vxlan_unopened);
	for (int k = TUNNEL_NONE + 1; k < TUNNEL_KINDS; k++)
		json_uint(j, tunnel_kind_name((enum tunnel_kind)k), d->tunnel[k]);
	json_close_object(j);
}

void eve_stats(struct eve *ev, const struct run_stats *rs, uint64_t ts_us)
{
	struct json *j = &ev->j;
	char ts[TS_STR_MAX];
	const struct decode_stats *d = &rs->decoder;
	const struct flow_table_stats *fs = &rs->flows;

	json_reset(j);
	json_open_object(j, NULL);
	json_plain(j, "timestamp", ts_to_eve(ts_us, ts, sizeof ts));
	json_plain(j, "event_type", "stats");
	json_open_object(j, "stats");
	if (rs->live) {
		json_open_object(j, "capture");
		json_uint(j, "kernel_packets", rs->kernel_packets);
		json_uint(j, "kernel_drops", rs->kernel_drops);
		json_uint(j, "kernel_ifdrops", rs->kernel_ifdrops);
		json_close_object(j);
	}
	json_open_object(j, "decoder");
	json_uint(j, "pkts", d->pkts);
	json_uint(j, "bytes", d->bytes);
	json_uint(j, "ethernet", d->ethernet);
	json_uint(j, "vlan", d->vlan);
	json_uint(j, "vlan_qinq", d->vlan_qinq);
	json_uint(j, "sll", d->sll);
	json_uint(j, "sll2", d->sll2);
	json_uint(j, "null", d->null);
	json_uint(j, "raw", d->raw);
	json_uint(j, "ipv4", d->ipv4);
	json_uint(j, "ipv6", d->ipv6);
	json_uint(j, "tcp", d->tcp);
	json_uint(j, "udp", d->udp);
	json_uint(j, "icmpv4", d->icmpv4);
	json_uint(j, "icmpv6", d->icmpv6);
	json_uint(j, "gre", d->gre);
	json_uint(j, "esp", d->esp);
	json_uint(j, "arp", d->arp);
	write_decoder_tunnels(j, d);
	json_uint(j, "invalid", d->malformed);
	/* malformed packets by reason, under Suricata's decoder.event.<layer>.<reason> names */
	write_reasons(j, d, 0, MAL_CMFLOW_FIRST);
	json_close_object(j); /* decoder */
	json_open_object(j, "flow");
	json_uint(j, "total", fs->created);
	json_uint(j, "tcp", fs->tcp);
	json_uint(j, "udp", fs->udp);
	json_uint(j, "icmpv4", fs->icmpv4);
	json_uint(j, "icmpv6", fs->icmpv6);
	json_uint(j, "active", fs->active);
	json_uint(j, "memcap", fs->evicted);
	json_open_object(j, "mgr");
	json_uint(j, "flows_timeout", fs->timed_out);
	json_uint(j, "flows_evicted", fs->evicted);
	json_close_object(j);
	json_close_object(j); /* flow */
	json_close_object(j); /* stats */
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
	json_uint(j, "workers", rs->workers);
	json_open_object(j, "flows");
	json_uint(j, "created", fs->created);
	json_uint(j, "timed_out", fs->timed_out);
	json_uint(j, "evicted", fs->evicted);
	json_uint(j, "ended_at_shutdown", fs->flushed);
	json_uint(j, "tcp_reuse", fs->reused);
	json_uint(j, "other_ip", fs->other);
	json_uint(j, "max_active", fs->max_active);
	json_uint(j, "capacity", rs->capacity);
	json_close_object(j);
	json_open_object(j, "decoder");
	json_uint(j, "not_ip", d->not_ip);
	json_uint(j, "unknown_ethertype", d->unknown_ethertype);
	json_uint(j, "ipv4_frags", d->ipv4_frags);
	json_uint(j, "ipv6_frags", d->ipv6_frags);
	json_uint(j, "frags_without_first", rs->frag_untracked);
	json_uint(j, "unsupported_linktype", d->unsupported_linktype);
	json_uint(j, "other_ip", d->other_ip);
	write_reasons(j, d, MAL_CMFLOW_FIRST, MAL_COUNT); /* what Suricata does not decode */
	json_close_object(j);
	write_tunnel_stats(j, d);
	json_close_object(j); /* cmflow */
	json_close_object(j);
	eve_write(ev, j);
}

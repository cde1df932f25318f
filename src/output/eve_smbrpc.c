/* eve_smbrpc.c: the EVE fields of SMB and DCE/RPC flows and the detection alerts (eve_smbrpc.h). */
#include <stdio.h>
#include <string.h>

#include "output/display_filter.h"
#include "lib/ipproto.h"
#include "output/eve_alert.h"
#include "output/eve_smbrpc.h"
#include "proto/dcerpc.h"

static void write_version(struct json *j, const struct smbrpc_iface *x)
{
	char v[16];
	snprintf(v, sizeof v, "%u.%u", x->ver_major, x->ver_minor);
	json_plain(j, "version", v);
}

/* Suricata's interfaces[] items: uuid, version, ack_result (when the answer was seen). pipe: -1 for the
 * connection's own (TCP), else the interfaces of any pipe (>= 0). */
static void suricata_interfaces(struct json *j, const struct flow_smbrpc *r, bool pipes)
{
	char u[UUID_STR_LEN];
	json_open_array(j, "interfaces");
	for (unsigned i = 0; i < r->nifaces; i++) {
		const struct smbrpc_iface *x = &r->ifaces[i];
		if ((x->pipe >= 0) != pipes)
			continue;
		json_open_object(j, NULL);
		json_plain(j, "uuid", uuid_format(x->uuid, u));
		write_version(j, x);
		if (x->has_ack)
			json_uint(j, "ack_result", x->ack_result);
		json_close_object(j);
	}
	json_close_array(j);
}

static unsigned count_ifaces(const struct flow_smbrpc *r, bool pipes)
{
	unsigned n = 0;
	for (unsigned i = 0; i < r->nifaces; i++)
		n += (r->ifaces[i].pipe >= 0) == pipes;
	return n;
}

static bool is_smb(const struct flow_smbrpc *x)
{
	return x->negotiated || x->nshares || x->nfiles || x->npipes || x->encrypted;
}

void eve_smbrpc_app(struct json *j, const struct flow_record *r)
{
	const struct flow_smbrpc *x = r->smbrpc;
	if (!x)
		return;
	if (is_smb(x)) {
		char d[24];
		const char *share = smbrpc_notable_share(x), *pipe = smbrpc_first_pipe(x), *file = smbrpc_notable_file(x);
		json_open_object(j, "smb");
		if (x->negotiated)
			json_str(j, "dialect", smbrpc_dialect_str(x, d, sizeof d));
		if (share)
			json_str(j, "share", share);
		if (pipe)
			json_str(j, "named_pipe", pipe);
		if (file)
			json_str(j, "filename", file);
		if (count_ifaces(x, true)) {
			json_open_object(j, "dcerpc");
			suricata_interfaces(j, x, true);
			json_close_object(j);
		}
		json_close_object(j);
	}
	if (count_ifaces(x, false)) {
		json_open_object(j, "dcerpc");
		suricata_interfaces(j, x, false);
		json_close_object(j);
	}
}

bool eve_smbrpc_has_interfaces(const struct flow_record *r)
{
	return r->smbrpc && (r->smbrpc->nifaces || r->smbrpc->ifaces_dropped || r->smbrpc->endpoints);
}

void eve_smbrpc_rpc_members(struct json *j, const struct flow_record *r)
{
	const struct flow_smbrpc *x = r->smbrpc;
	char u[UUID_STR_LEN], num[8];
	if (!x)
		return;
	json_open_array(j, "interfaces");
	for (unsigned i = 0; i < x->nifaces; i++) {
		const struct smbrpc_iface *c = &x->ifaces[i];
		const struct record_iface *ri = &r->ifaces[i];
		json_open_object(j, NULL);
		if (ri->name)
			json_str(j, "name", ri->name);
		json_plain(j, "uuid", uuid_format(c->uuid, u));
		write_version(j, c);
		json_uint(j, "context_id", c->ctx_id);
		if (c->pipe >= 0)
			json_str(j, "pipe", x->pipes[c->pipe].name);
		else
			json_plain(j, "over", "tcp");
		if (c->has_ack) {
			json_uint(j, "ack_result", c->ack_result);
			if (c->ack_result)
				json_uint(j, "ack_reason", c->ack_reason);
			else
				json_plain(j, "transfer_syntax", dcerpc_syntax_name(c->accepted));
		}
		if (c->auth_type) {
			json_plain(j, "auth_type", smbrpc_auth_type_name(c->auth_type));
			json_plain(j, "auth_level", smbrpc_auth_level_name(c->auth_level));
		}
		json_uint(j, "requests", c->requests);
		if (c->faults)
			json_uint(j, "faults", c->faults);
		if (ri->nops) {
			json_open_array(j, "opnums");
			for (unsigned k = 0; k < ri->nops; k++) {
				json_open_object(j, NULL);
				json_uint(j, "opnum", ri->ops[k]);
				snprintf(num, sizeof num, "%u", ri->ops[k]);
				json_plain(j, "name", ri->op_names[k] ? ri->op_names[k] : num);
				json_close_object(j);
			}
			json_close_array(j);
		}
		if (ri->ops_more)
			json_bool(j, "more_opnums", true);
		json_close_object(j);
	}
	json_close_array(j);
	if (x->ifaces_dropped)
		json_uint(j, "interfaces_dropped", x->ifaces_dropped);
	if (x->has_auth) {
		json_plain(j, "auth_type", smbrpc_auth_type_name(x->auth_type) ? smbrpc_auth_type_name(x->auth_type) : "none");
		json_plain(j, "auth_level", smbrpc_auth_level_name(x->auth_level));
	}
	if (x->endpoints) {
		json_open_object(j, "announced");
		json_uint(j, "endpoints", x->endpoints);
		if (x->endpoints_ndr64)
			json_bool(j, "ndr64", true);
		if (x->endpoints_unbound)
			json_bool(j, "unbound_dcom", true);
		json_close_object(j);
	}
	if (x->faults)
		json_uint(j, "faults", x->faults);
}

void eve_smbrpc_configmgr_smb(struct json *j, const struct flow_record *r)
{
	const struct flow_smbrpc *x = r->smbrpc;
	char u[UUID_STR_LEN], d[24];
	if (!x || !is_smb(x))
		return;
	json_open_object(j, "smb");
	if (x->negotiated) {
		json_str(j, "dialect", smbrpc_dialect_str(x, d, sizeof d));
		json_open_object(j, "signing");
		json_bool(j, "enabled", x->signing_enabled);
		json_bool(j, "required", x->signing_required);
		json_close_object(j);
	}
	if (x->encrypted)
		json_uint(j, "encrypted_messages", x->encrypted);
	json_open_array(j, "shares");
	for (unsigned i = 0; i < x->nshares; i++) {
		json_open_object(j, NULL);
		json_str(j, "name", x->shares[i].name);
		json_uint(j, "status", x->shares[i].status);
		if (x->shares[i].ipc)
			json_bool(j, "ipc", true);
		json_close_object(j);
	}
	json_close_array(j);
	json_open_array(j, "files");
	for (unsigned i = 0; i < x->nfiles; i++) {
		const struct smbrpc_file *f = &x->files[i];
		json_open_object(j, NULL);
		if (f->share >= 0)
			json_str(j, "share", x->shares[f->share].name);
		json_str(j, "name", f->name);
		json_uint(j, "bytes_written", f->bytes_written);
		json_uint(j, "writes", f->writes);
		if (f->created)
			json_bool(j, "created", true);
		json_close_object(j);
	}
	json_close_array(j);
	json_open_array(j, "pipes");
	for (unsigned i = 0; i < x->npipes; i++) {
		json_open_object(j, NULL);
		json_str(j, "name", x->pipes[i].name);
		if (x->pipes[i].status)
			json_uint(j, "status", x->pipes[i].status);
		json_open_array(j, "interfaces");
		for (unsigned k = 0; k < x->nifaces; k++)
			if (x->ifaces[k].pipe == (int)i)
				json_plain(j, NULL, r->ifaces[k].name ? r->ifaces[k].name : uuid_format(x->ifaces[k].uuid, u));
		json_close_array(j);
		json_close_object(j);
	}
	json_close_array(j);
	if (x->shares_dropped)
		json_uint(j, "shares_dropped", x->shares_dropped);
	if (x->files_dropped)
		json_uint(j, "files_dropped", x->files_dropped);
	if (x->pipes_dropped)
		json_uint(j, "pipes_dropped", x->pipes_dropped);
	if (x->watch_cut)
		json_bool(j, "read_to_bound", true);
	json_close_object(j);
}

/* ATT&CK ids "T1021.002,T1569.002" as alert.metadata.mitre_technique_id, Suricata rules' metadata form. */
static void write_mitre(struct json *j, const char *list)
{
	json_open_object(j, "metadata");
	json_open_array(j, "mitre_technique_id");
	for (const char *p = list; *p;) {
		size_t n = strcspn(p, ",");
		json_strn(j, NULL, p, n);
		p += n + (p[n] == ',');
	}
	json_close_array(j);
	json_close_object(j);
}

void eve_detection_event(struct json *j, const struct detection_event *ev)
{
	const struct detect_hit *h = ev->hit;
	const struct detection *d = h->d;
	const struct finding_kind *k = ev->kind;
	char ts[TS_STR_MAX];
	char pn[8];
	json_open_object(j, NULL);
	json_plain(j, "timestamp", ts_to_eve(ev->ts_us, ts, sizeof ts));
	json_uint(j, "flow_id", ev->flow_id);
	if (ev->pcap_cnt)
		json_uint(j, "pcap_cnt", ev->pcap_cnt);
	json_plain(j, "event_type", "alert");
	/* a detection of one flow (a posture, a single-step finding) is that flow's alert, as Suricata writes one:
	 * its ports and Community ID too */
	bool one_flow = h->nsteps > 0 && ev->dst[0];
	for (unsigned i = 0; one_flow && i < h->nsteps; i++)
		one_flow = ev->flow_ids[i] == ev->flow_id;
	struct flow stub1;
	if (one_flow) {
		memset(&stub1, 0, sizeof stub1);
		stub1.key = h->steps[0].key;
		stub1.init_is_lo = h->steps[0].init_is_lo;
	}
	json_plain(j, "src_ip", ev->src);
	if (one_flow && flow_src_port(&stub1))
		json_uint(j, "src_port", flow_src_port(&stub1));
	if (ev->dst[0])
		json_plain(j, "dest_ip", ev->dst);
	if (ev->dport)
		json_uint(j, "dest_port", ev->dport);
	if (ev->ip_proto)
		json_plain(j, "proto", ip_proto_name(ev->ip_proto, pn, sizeof pn));
	if (one_flow && ev->community_ids[0][0])
		json_plain(j, "community_id", ev->community_ids[0]);
	eve_alert_open(j, k);
	if (d->mitre[0])
		write_mitre(j, d->mitre);
	json_close_object(j);
	json_open_object(j, "flow"); /* the span of the steps' flows */
	json_plain(j, "start", ts_to_eve(ev->ts_us, ts, sizeof ts));
	json_plain(j, "end", ts_to_eve(ev->end_us, ts, sizeof ts));
	json_close_object(j);
	json_open_object(j, "configmgr");
	if (ev->src_role)
		json_plain(j, "src_role", ev->src_role);
	if (ev->dst_role)
		json_plain(j, "dest_role", ev->dst_role);
	json_plain(j, "verdict", verdict_name((enum verdict)k->verdict));
	json_open_array(j, "reasons");
	json_str(j, NULL, k->id);
	json_close_array(j);
	json_str(j, "finding", k->id);
	json_str(j, "detection", k->id);
	json_plain(j, "detection_kind", detect_kind_name(d));
	if (d->technique[0])
		json_str(j, "technique", d->technique);
	json_str(j, "service", d->steps_text);
	json_plain(j, "scope", detect_scope_name(d->scope));
	json_uint(j, "window_s", d->window_s);
	json_open_array(j, "steps");
	for (unsigned i = 0; i < h->nsteps; i++) {
		const struct detect_step_hit *s = &h->steps[i];
		struct flow stub;
		char filter[RECORD_FILTER_MAX];
		memset(&stub, 0, sizeof stub);
		stub.key = s->key;
		stub.init_is_lo = s->init_is_lo;
		stub.ts_first = s->flow_first_us;
		stub.ts_last = s->flow_last_us;
		json_open_object(j, NULL);
		json_uint(j, "step", s->step + 1u);
		json_uint(j, "flow_id", ev->flow_ids[i]);
		if (ev->community_ids[i][0])
			json_plain(j, "community_id", ev->community_ids[i]);
		json_plain(j, "time", ts_to_eve(s->begin_us, ts, sizeof ts));
		json_str(j, "what", s->what);
		if (s->rule[0])
			json_plain(j, "rule", s->rule);
		json_plain(j, "wireshark_filter", flow_display_filter(&stub, filter, sizeof filter));
		json_close_object(j);
	}
	json_close_array(j);
	json_plain(j, "wireshark_filter", ev->filter);
	json_str(j, "advice", k->advice);
	if (k->advice_source[0])
		json_str(j, "advice_source", k->advice_source);
	if (ev->held_back)
		json_uint(j, "repeats_held_back", ev->held_back);
	json_close_object(j);
	json_close_object(j);
}

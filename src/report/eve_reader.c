/* eve_reader.c: EVE lines of one or more sensors into the run's aggregates (eve_reader.h). */
#define _GNU_SOURCE /* getline */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lib/jsonread.h"
#include "lib/util.h"
#include "report/eve_reader.h"

/* The starts seen for one community_id (a few: the same ports reused, or the same flow from several sensors). */
#define JOIN_STARTS 8
struct join_rec {
	uint32_t n;
	uint64_t starts[JOIN_STARTS];
};

struct eve_reader {
	struct agg *a;
	struct strtable seen;      /* "community_id|kind" -> struct join_rec */
	struct strtable stats;     /* stats events taken, by their text */
};

struct eve_reader *eve_reader_new(struct agg *a)
{
	struct eve_reader *rd = calloc(1, sizeof *rd);
	if (!rd)
		return NULL;
	rd->a = a;
	rd->seen = strtable_make(sizeof(struct join_rec));
	rd->stats = strtable_make(1);
	return rd;
}

void eve_reader_free(struct eve_reader *rd)
{
	if (!rd)
		return;
	strtable_free(&rd->seen);
	strtable_free(&rd->stats);
	free(rd);
}

/* The tunnel identity that keys a tunnelled flow beside its inner addresses (cmflow.tunnel's vni, session_id or
 * key: two segments may reuse one 5-tuple, and so its community_id, at the same time), "" outside tunnels. */
static const char *tunnel_space(const struct jv *e, char *buf, size_t len)
{
	static const char *const ids[] = { "vni", "session_id", "key" };
	const struct jv *t = jv_get(jv_get(e, "cmflow"), "tunnel");
	buf[0] = '\0';
	for (size_t i = 0; t && i < sizeof ids / sizeof ids[0]; i++)
		if (jv_get(t, ids[i]))
			snprintf(buf, len, "|%s=%llu", ids[i], (unsigned long long)jv_u64(t, ids[i], 0));
	return buf;
}

/* True when an event of this kind with this community_id, tunnel identity and start was taken before; else
 * remembers it. */
static bool joined(struct eve_reader *rd, const struct jv *e, const char *kind, uint64_t start_us)
{
	char key[192], space[48];
	const char *cid = jv_str(e, "community_id");
	if (!cid)
		return false;
	snprintf(key, sizeof key, "%s|%s%s", cid, kind, tunnel_space(e, space, sizeof space));
	struct join_rec *j = strtable_get(&rd->seen, key);
	if (!j)
		return false;
	for (uint32_t i = 0; i < j->n && i < JOIN_STARTS; i++) {
		uint64_t d = j->starts[i] > start_us ? j->starts[i] - start_us : start_us - j->starts[i];
		if (d <= EVE_JOIN_US)
			return true;
	}
	if (j->n < JOIN_STARTS)
		j->starts[j->n] = start_us;
	j->n++;
	return false;
}

static bool array_has(const struct jv *arr, const char *s)
{
	for (const struct jv *c = arr && arr->type == JV_ARRAY ? arr->child : NULL; c; c = c->next)
		if (c->type == JV_STRING && !strcmp(c->str, s))
			return true;
	return false;
}

/* An EVE timestamp (or 0 when absent or malformed) in microseconds. */
static uint64_t ts_of(const struct jv *e, const char *dotted)
{
	uint64_t us = 0;
	const char *s = jv_str(e, dotted);
	return s && ts_from_eve(s, &us) ? us : 0;
}

/* configmgr.rpc.interfaces[]: every interface the flow bound, by name (else uuid), over TCP or a pipe. */
static void rpc_interfaces(const struct jv *list, struct agg_flow *f)
{
	for (const struct jv *c = list && list->type == JV_ARRAY ? list->child : NULL; c && f->nrpc < AGG_RPC_MAX;
	     c = c->next) {
		const char *name = jv_str(c, "name") ? jv_str(c, "name") : jv_str(c, "uuid");
		if (!name)
			continue;
		f->rpc_names[f->nrpc] = name;
		f->rpc_vias[f->nrpc++] = jv_get(c, "pipe") ? "pipe" : "bind";
	}
}

static void on_flow(struct eve_reader *rd, const struct jv *e, uint64_t *dup)
{
	struct agg *a = rd->a;
	if (joined(rd, e, "flow", ts_of(e, "flow.start"))) {
		(*dup)++;
		return;
	}
	const struct jv *cm = jv_get(e, "configmgr");
	const char *app = jv_str(e, "app_proto"), *payload = jv_str(cm, "payload");
	const char *ndpi = jv_str(e, "ndpi.protocol");
	bool ndpi_proven = jv_get(e, "ndpi.proven") && jv_get(e, "ndpi.proven")->b;
	char buf[AGG_S];
	struct agg_flow f = {
		.src = jv_str(e, "src_ip"),
		.dst = jv_str(e, "dest_ip"),
		.dport = (uint16_t)jv_u64(e, "dest_port", 0),
		.proto_label = agg_proto_label(app, ndpi, ndpi_proven, buf, sizeof buf),
		.proven = app != NULL || ndpi_proven,
		.site = jv_str(cm, "site"),
		.src_role = jv_str(cm, "src_role"),
		.dst_role = jv_str(cm, "dest_role"),
		.src_inferred = jv_get(cm, "src_roles_inferred") != NULL,
		.dst_inferred = jv_get(cm, "dest_roles_inferred") != NULL,
		.src_client = array_has(jv_get(cm, "src_roles"), "client"),
		.http_by_design = jv_get(cm, "http_by_design") && jv_get(cm, "http_by_design")->b,
		.verdict = verdict_parse(jv_str(cm, "verdict")),
		.rule = jv_str(cm, "rule"),
		.row = jv_str(cm, "source_row"),
		.service = jv_str(cm, "service"),
		.label = jv_str(cm, "label"),
		.rpc_interface = jv_str(cm, "rpc.interface"),
		.rpc_via = jv_str(cm, "rpc.via"),
		.wol_mac = jv_str(cm, "wol.target_mac"),
		.wol_addressing = jv_str(cm, "wol.addressing"),
		.mcast_group = jv_str(cm, "multicast.group"),
		.mcast_receivers = jv_u64(cm, "multicast.receivers_seen", 0),
		.pkts = jv_u64(e, "flow.pkts_toserver", 0) + jv_u64(e, "flow.pkts_toclient", 0),
		.bytes = jv_u64(e, "flow.bytes_toserver", 0) + jv_u64(e, "flow.bytes_toclient", 0),
		.start_us = ts_of(e, "flow.start"),
		.end_us = ts_of(e, "flow.end"),
		.set = jv_str(cm, "version"),
		.client_auth = jv_str(cm, "client_auth"),
		.client_notification = jv_get(cm, "client_notification") && jv_get(cm, "client_notification")->b,
	};
	rpc_interfaces(jv_path(cm, "rpc.interfaces"), &f);
	f.http = (app && !strcmp(app, "http")) || jv_get(e, "http");
	f.https = !f.http && ((app && !strcmp(app, "tls")) || (payload && !strcmp(payload, "tls")));
	agg_add_flow(a, &f);
}

static void on_alert(struct eve_reader *rd, const struct jv *e, uint64_t *dup)
{
	struct agg *a = rd->a;
	const struct jv *cm = jv_get(e, "configmgr");
	const char *id = jv_str(cm, "finding");
	char kind[80];
	snprintf(kind, sizeof kind, "alert %s", id ? id : "");
	if (id && joined(rd, e, kind, ts_of(e, "flow.start"))) {
		(*dup)++;
		return;
	}
	if (!id) { /* about the configuration or the whole run: no flow */
		const struct jv *reasons = jv_get(cm, "reasons");
		const char *rid = reasons && reasons->child && reasons->child->type == JV_STRING ? reasons->child->str : "?";
		struct agg_note n = { .id = rid, .detail = jv_str(cm, "detail"), .advice = jv_str(cm, "advice"),
				      .verdict = verdict_parse(jv_str(cm, "verdict")),
				      .severity = (int)jv_u64(e, "alert.severity", 3) };
		agg_add_note(a, &n);
		return;
	}
	struct agg_alert al = {
		.id = id,
		.category = jv_str(e, "alert.category"),
		.message = jv_str(e, "alert.signature"),
		.advice = jv_str(cm, "advice"),
		.advice_source = jv_str(cm, "advice_source"),
		.severity = (int)jv_u64(e, "alert.severity", 3),
		.verdict = verdict_parse(jv_str(cm, "verdict")),
		.src = jv_str(e, "src_ip"),
		.dst = jv_str(e, "dest_ip"),
		.src_role = jv_str(cm, "src_role"),
		.dst_role = jv_str(cm, "dest_role"),
		.service = jv_str(cm, "service"),
		.rule = jv_str(cm, "rule"),
		.ip_proto = ip_proto_parse(jv_str(e, "proto")),
		.dport = (unsigned)jv_u64(e, "dest_port", 0),
		.ts_us = ts_of(e, "timestamp"),
		.end_us = ts_of(e, "flow.end"),
		.count = 1 + jv_u64(cm, "repeats_held_back", 0),
	};
	agg_add_alert(a, &al);
}

static void on_wol_frame(struct agg *a, const struct jv *e)
{
	const char *mac = jv_str(e, "configmgr.wol.target_mac"), *sender = jv_str(e, "ether.src_mac");
	const char *addressing = jv_str(e, "configmgr.wol.addressing");
	if (!mac || !sender)
		return;
	char how[AGG_S];
	snprintf(how, sizeof how, "EtherType 0x0842, %s", addressing ? addressing : "?");
	struct agg_wol w = { mac, sender, how };
	agg_add_wol(a, &w);
}

/* A stats event: the run's inputs, configuration and version; its packet count is cumulative within a run (a
 * stats event every N seconds), so each run counts with its last one: a count lower than the one before starts
 * another run appended to the same file. */
static void on_stats(struct eve_reader *rd, const struct jv *e, const char *line, uint64_t *run_packets, uint64_t *dup)
{
	struct agg *a = rd->a;
	/* the same stats event again (the same file given twice) is the same run's */
	size_t before = rd->stats.n;
	if (!strtable_get(&rd->stats, line) || rd->stats.n == before) {
		(*dup)++;
		return;
	}
	uint64_t p = jv_u64(e, "stats.decoder.pkts", 0);
	if (p < *run_packets)
		agg_add_packets(a, *run_packets);
	*run_packets = p;
	const struct jv *run = jv_path(e, "cmflow.run");
	if (!run)
		return;
	const char *v = jv_str(run, "version");
	if (v)
		agg_set_version(a, v);
	for (const struct jv *c = jv_get(run, "inputs") ? jv_get(run, "inputs")->child : NULL; c; c = c->next)
		if (c->type == JV_STRING)
			agg_add_input(a, c->str);
	agg_add_site_config(a, jv_str(run, "site_config"));
}

/* An EVE event: a JSON object with a string event_type and a string timestamp. */
static bool is_eve(const struct jv *e)
{
	return e && e->type == JV_OBJECT && jv_str(e, "event_type") && jv_str(e, "timestamp");
}

bool eve_read_file(struct eve_reader *rd, const char *path, struct eve_read_result *res, char *err, size_t errlen)
{
	struct agg *a = rd->a;
	memset(res, 0, sizeof *res);
	FILE *fp = fopen(path, "r");
	if (!fp) {
		snprintf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
		return false;
	}
	struct stat st;
	if (fstat(fileno(fp), &st) == 0 && S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "%s: is a directory, not an EVE file", path);
		fclose(fp);
		return false;
	}
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	char perr[128];
	uint64_t run_packets = 0;
	while ((n = getline(&line, &cap, fp)) > 0) {
		res->lines++;
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			n--;
		if (n == 0)
			continue;
		struct jv_doc *d = jv_parse(line, (size_t)n, perr, sizeof perr);
		const struct jv *e = jv_root(d);
		if (!is_eve(e)) {
			if (!res->bad_lines++)
				res->first_bad_line = res->lines;
			jv_free(d);
			continue;
		}
		res->eve_lines++;
		const char *type = jv_str(e, "event_type");
		if (!strcmp(type, "flow"))
			on_flow(rd, e, &res->joined);
		else if (!strcmp(type, "alert"))
			on_alert(rd, e, &res->joined);
		else if (!strcmp(type, "wol"))
			on_wol_frame(a, e);
		else if (!strcmp(type, "stats"))
			on_stats(rd, e, line, &run_packets, &res->joined);
		jv_free(d);
	}
	free(line);
	agg_add_packets(a, run_packets);
	bool ok = !ferror(fp);
	if (!ok)
		snprintf(err, errlen, "%s: read error after line %llu: %s", path, (unsigned long long)res->lines,
			 strerror(errno));
	fclose(fp);
	pthread_mutex_lock(&a->lock);
	a->eve_files++;
	a->eve_lines += res->eve_lines;
	a->eve_bad_lines += res->bad_lines;
	pthread_mutex_unlock(&a->lock);
	return ok;
}

bool eve_read_acceptable(const struct eve_read_result *res)
{
	bool only_last_cut = res->bad_lines == 1 && res->first_bad_line == res->lines;
	return res->eve_lines > 0 && (only_last_cut || res->bad_lines * EVE_BAD_SHARE <= res->lines);
}

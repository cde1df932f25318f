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

static void on_flow(struct agg *a, const struct jv *e)
{
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
	};
	rpc_interfaces(jv_path(cm, "rpc.interfaces"), &f);
	f.http = (app && !strcmp(app, "http")) || jv_get(cm, "http");
	f.https = !f.http && ((app && !strcmp(app, "tls")) || (payload && !strcmp(payload, "tls")));
	agg_add_flow(a, &f);
}

static void on_alert(struct agg *a, const struct jv *e)
{
	const struct jv *cm = jv_get(e, "configmgr");
	const char *id = jv_str(cm, "finding");
	if (!id) { /* about the configuration or the whole run: no flow */
		const struct jv *reasons = jv_get(cm, "reasons");
		const char *rid = reasons && reasons->child && reasons->child->type == JV_STRING ? reasons->child->str : "?";
		struct agg_note n = { rid, jv_str(cm, "detail"), verdict_parse(jv_str(cm, "verdict")),
				      (int)jv_u64(e, "alert.severity", 3) };
		agg_add_note(a, &n);
		return;
	}
	struct agg_alert al = {
		.id = id,
		.category = jv_str(e, "alert.category"),
		.message = jv_str(e, "alert.signature"),
		.severity = (int)jv_u64(e, "alert.severity", 3),
		.verdict = verdict_parse(jv_str(cm, "verdict")),
		.src = jv_str(e, "src_ip"),
		.dst = jv_str(e, "dest_ip"),
		.src_role = jv_str(cm, "src_role"),
		.dst_role = jv_str(cm, "dest_role"),
		.service = jv_str(cm, "service"),
		.rule = jv_str(cm, "rule"),
		.filter = jv_str(cm, "wireshark_filter"),
		.ts_us = ts_of(e, "timestamp"),
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
static void on_stats(struct agg *a, const struct jv *e, uint64_t *run_packets)
{
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

bool eve_read_file(struct agg *a, const char *path, struct eve_read_result *res, char *err, size_t errlen)
{
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
			on_flow(a, e);
		else if (!strcmp(type, "alert"))
			on_alert(a, e);
		else if (!strcmp(type, "wol"))
			on_wol_frame(a, e);
		else if (!strcmp(type, "stats"))
			on_stats(a, e, &run_packets);
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

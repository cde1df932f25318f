/* Unit tests of the SMB message walker and of DCE/RPC over named pipes and TCP on real traffic: the captures
 * listed in tests/e2e/expected/smb/INDEX (made by tests/lab/make-smb.sh, and the public ones of pcaps/public with
 * SMB, DCE/RPC and DCOM), each compared with what tshark decodes (tests/e2e/smb_reference.py wrote the expected
 * facts: tests/e2e/make-smb-expected.sh); every truncation of a capture's messages read within its bounds under
 * the sanitizers; the bounds and the counters. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "proto/dcerpc.h"
#include "proto/smb.h"
#include "tcp_conns.h"

#define EXPECTED_DIR TEST_DIR "/../e2e/expected/smb"

/* ---- facts, as tests/e2e/smb_reference.py prints them ---- */

struct facts {
	char **line;
	size_t n, cap;
};

static void fact(struct facts *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fact(struct facts *f, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	for (size_t i = 0; i < f->n; i++)
		if (!strcmp(f->line[i], buf))
			return;
	if (f->n == f->cap) {
		f->cap = f->cap ? f->cap * 2 : 64;
		f->line = realloc(f->line, f->cap * sizeof *f->line);
	}
	f->line[f->n++] = strdup(buf);
}

static int cmp_line(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void facts_free(struct facts *f)
{
	for (size_t i = 0; i < f->n; i++)
		free(f->line[i]);
	free(f->line);
	memset(f, 0, sizeof *f);
}

/* bind facts need the last result of each context: kept apart, written at the end */
struct ctxres {
	char key[300];
	char result[8];
};

struct run {
	struct facts *f;
	const char *conn;
	struct ctxres *ctx;
	size_t nctx, capctx;
	struct { char key[300]; uint64_t bytes; } writes[64];
	size_t nwrites;
	unsigned endpoints, unbound_endpoints;
};

static void ctx_set(struct run *r, const char *key, const char *result, bool only_new)
{
	for (size_t i = 0; i < r->nctx; i++)
		if (!strcmp(r->ctx[i].key, key)) {
			if (!only_new)
				snprintf(r->ctx[i].result, sizeof r->ctx[i].result, "%s", result);
			return;
		}
	if (r->nctx == r->capctx) {
		r->capctx = r->capctx ? r->capctx * 2 : 16;
		r->ctx = realloc(r->ctx, r->capctx * sizeof *r->ctx);
	}
	snprintf(r->ctx[r->nctx].key, sizeof r->ctx[r->nctx].key, "%s", key);
	snprintf(r->ctx[r->nctx].result, sizeof r->ctx[r->nctx].result, "%s", result);
	r->nctx++;
}

static void rpc_fact(struct run *r, const char *pipe, const struct dcerpc_event *ev)
{
	char u[UUID_STR_LEN], key[300];
	const struct dcerpc_context *c = ev->context;
	switch (ev->kind) {
	case DCERPC_EV_CONTEXT:
	case DCERPC_EV_ACK:
		snprintf(key, sizeof key, "%s %s %u %s %u.%u", r->conn, pipe, c->ctx_id, uuid_format(c->uuid, u),
			 c->ver_major, c->ver_minor);
		if (ev->kind == DCERPC_EV_CONTEXT) {
			ctx_set(r, key, "-", true);
		} else {
			char res[8];
			snprintf(res, sizeof res, "%u", c->ack_result);
			ctx_set(r, key, res, false);
		}
		break;
	case DCERPC_EV_REQUEST:
		fact(r->f, "call %s %s %s %u", r->conn, pipe, c ? uuid_format(c->uuid, u) : "?", ev->opnum);
		break;
	case DCERPC_EV_ENDPOINT:
		r->endpoints++;
		r->unbound_endpoints += ev->endpoint->unbound;
		break;
	default: break;
	}
}

static void on_rpc_tcp(void *ctx, const struct dcerpc_event *ev)
{
	rpc_fact(ctx, "-", ev);
}

static const char *trimmed(const char *name)
{
	while (*name == '\\')
		name++;
	return name;
}

static void on_smb(void *ctx, const struct smb_event *ev)
{
	struct run *r = ctx;
	switch (ev->kind) {
	case SMB_EV_NEGOTIATE:
		if (ev->version == 2)
			fact(r->f, "negotiate %s 0x%04x signing=%s", r->conn, ev->dialect,
			     ev->signing_required ? "required" : ev->signing_enabled ? "enabled" : "none");
		else if (strncmp(ev->dialect_name, "SMB1 (", 6)) /* a dialect the client offered */
			fact(r->f, "negotiate %s %s signing=%s", r->conn, ev->dialect_name,
			     ev->signing_required ? "required" : ev->signing_enabled ? "enabled" : "none");
		break;
	case SMB_EV_TREE_CONNECT:
		if (!ev->status)
			fact(r->f, "tree %s %s", r->conn, ev->tree->share);
		break;
	case SMB_EV_CREATE:
		if (!ev->status && trimmed(ev->file->name)[0])
			fact(r->f, "open %s %s %s", r->conn, ev->tree ? ev->tree->share : "?", trimmed(ev->file->name));
		break;
	case SMB_EV_WRITE:
		if (!ev->file->pipe && ev->tree) {
			char key[300];
			snprintf(key, sizeof key, "%s %s %s", r->conn, ev->tree->share, trimmed(ev->file->name));
			size_t i = 0;
			while (i < r->nwrites && strcmp(r->writes[i].key, key))
				i++;
			if (i == r->nwrites && r->nwrites < 64) {
				snprintf(r->writes[i].key, sizeof r->writes[i].key, "%s", key);
				r->writes[i].bytes = 0;
				r->nwrites++;
			}
			if (i < r->nwrites)
				r->writes[i].bytes += ev->length;
		}
		break;
	case SMB_EV_RPC: rpc_fact(r, ev->file->name, ev->rpc); break;
	default: break;
	}
}

static bool is_smb_port(uint16_t p)
{
	return p == 445 || p == 139;
}

/* Runs the parsers over every connection of a capture; fills f. */
static void run_capture(const char *file, struct facts *f, unsigned *endpoints, unsigned *unbound)
{
	struct tc_capture cap;
	cr_assert(tc_read(file, &cap), "cannot read %s", file);
	struct run r = { .f = f };
	for (size_t c = 0; c < cap.nconns; c++) {
		struct tc_conn *x = &cap.conns[c];
		uint16_t sport = tc_server_port_of(x);
		bool smb = is_smb_port(sport), rpc = false;
		if (!smb) /* DCE/RPC on 135, or wherever a segment starts with a bind or alter_context PDU */
			for (size_t i = 0; i < cap.nsegs && !rpc; i++)
				if (cap.segs[i].conn == (int)c)
					rpc = sport == 135 || (dcerpc_looks_like_co(cap.segs[i].data, cap.segs[i].len) &&
							       (cap.segs[i].data[2] == 11 || cap.segs[i].data[2] == 14));
		if (!smb && !rpc)
			continue;
		r.conn = x->name;
		struct smb_state *ss = smb ? smb_state_new() : NULL;
		struct dcerpc_state *ds = rpc ? dcerpc_state_new() : NULL;
		if (ds)
			dcerpc_scan_unbound(ds, sport == 135);
		for (size_t i = 0; i < cap.nsegs; i++) {
			struct tc_seg *s = &cap.segs[i];
			if (s->conn != (int)c)
				continue;
			if (ss)
				smb_tcp_feed(ss, s->dir, s->seq, s->data, s->len, on_smb, &r);
			else
				dcerpc_tcp_feed(ds, s->dir, s->seq, s->data, s->len, on_rpc_tcp, &r);
		}
		smb_state_free(ss);
		dcerpc_state_free(ds);
	}
	for (size_t i = 0; i < r.nctx; i++)
		fact(f, "bind %s %s", r.ctx[i].key, r.ctx[i].result);
	for (size_t i = 0; i < r.nwrites; i++)
		fact(f, "write %s %llu", r.writes[i].key, (unsigned long long)r.writes[i].bytes);
	free(r.ctx);
	if (endpoints)
		*endpoints = r.endpoints;
	if (unbound)
		*unbound = r.unbound_endpoints;
	tc_free(&cap);
	if (f->n)
		qsort(f->line, f->n, sizeof *f->line, cmp_line);
}

static void read_expected(const char *path, struct facts *f)
{
	FILE *fp = fopen(path, "r");
	cr_assert_not_null(fp, "no expected file %s (tests/e2e/make-smb-expected.sh writes it)", path);
	char line[600];
	while (fgets(line, sizeof line, fp)) {
		line[strcspn(line, "\n")] = '\0';
		if (line[0] && line[0] != '#')
			fact(f, "%s", line);
	}
	fclose(fp);
	if (f->n)
		qsort(f->line, f->n, sizeof *f->line, cmp_line);
}

/* Whether a difference is listed in KNOWN-DIFFERENCES ("capture<TAB>missing|extra<TAB>fact"). */
static bool known(const struct facts *k, const char *base, const char *what, const char *line)
{
	char key[700];
	snprintf(key, sizeof key, "%s\t%s\t%s", base, what, line);
	for (size_t i = 0; i < k->n; i++)
		if (!strcmp(k->line[i], key))
			return true;
	return false;
}

Test(smb, every_capture_as_tshark_decodes_it)
{
	struct facts knowns = { 0 };
	read_expected(EXPECTED_DIR "/KNOWN-DIFFERENCES", &knowns);
	size_t tolerated = 0;
	FILE *idx = fopen(EXPECTED_DIR "/INDEX", "r");
	cr_assert_not_null(idx);
	char rel[256];
	size_t captures = 0, lines = 0, bad = 0;
	const char *out = getenv("SMB_FACTS_OUT"); /* a folder to write the parsers' facts into, to compare by hand */
	while (fgets(rel, sizeof rel, idx)) {
		rel[strcspn(rel, "\n")] = '\0';
		if (!rel[0] || rel[0] == '#')
			continue;
		char cap_path[512], exp_path[512];
		snprintf(cap_path, sizeof cap_path, "%s/%s", PCAP_DIR, rel);
		const char *base = strrchr(rel, '/') ? strrchr(rel, '/') + 1 : rel;
		snprintf(exp_path, sizeof exp_path, "%s/%s.facts", EXPECTED_DIR, base);
		struct facts got = { 0 }, want = { 0 };
		run_capture(cap_path, &got, NULL, NULL);
		read_expected(exp_path, &want);
		if (out) {
			char p[600];
			snprintf(p, sizeof p, "%s/%s.facts", out, base);
			FILE *o = fopen(p, "w");
			for (size_t i = 0; o && i < got.n; i++)
				fprintf(o, "%s\n", got.line[i]);
			if (o)
				fclose(o);
		}
		size_t i = 0, k = 0;
		while (i < got.n || k < want.n) {
			int c = i == got.n ? 1 : k == want.n ? -1 : strcmp(got.line[i], want.line[k]);
			if (c < 0 && known(&knowns, base, "extra", got.line[i]))
				i++, tolerated++;
			else if (c > 0 && known(&knowns, base, "missing", want.line[k]))
				k++, tolerated++;
			else if (c < 0)
				cr_log_error("%s: not in tshark's: %s", base, got.line[i++]), bad++;
			else if (c > 0)
				cr_log_error("%s: missing: %s", base, want.line[k++]), bad++;
			else
				i++, k++;
		}
		lines += want.n;
		captures++;
		facts_free(&got);
		facts_free(&want);
	}
	fclose(idx);
	cr_log_info("%zu captures, %zu facts, %zu known differences", captures, lines, tolerated);
	facts_free(&knowns);
	cr_assert_gt(captures, 10);
	cr_assert_eq(bad, 0, "%zu facts differ from tshark's", bad);
}

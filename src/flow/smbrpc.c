/* smbrpc.c: what a flow keeps of SMB and DCE/RPC (smbrpc.h): the walkers' events into the flow's record. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flow/auth.h"
#include "flow/flow_ext.h"
#include "flow/followup.h"
#include "flow/smbrpc.h"
#include "lib/bytes.h"
#include "lib/defaults.h"
#include "lib/intern.h"
#include "proto/dcerpc.h"
#include "proto/ntlmssp.h"
#include "proto/smb.h"

#define ENCRYPTED_GIVE_UP 16 /* transform messages with nothing readable between them: the rest is encrypted too */

/* ---- the record ---- */

static void str_free(const char *p)
{
	if (p && !intern_owns(p))
		free((char *)p);
}

void smbrpc_free(struct flow_smbrpc *r)
{
	if (!r)
		return;
	for (unsigned i = 0; i < r->nshares; i++)
		str_free(r->shares[i].name);
	for (unsigned i = 0; i < r->nfiles; i++)
		str_free(r->files[i].name);
	for (unsigned i = 0; i < r->npipes; i++)
		str_free(r->pipes[i].name);
	free(r->ifaces);
	free(r->shares);
	free(r->files);
	free(r->pipes);
	free(r);
}

const struct flow_smbrpc *flow_smbrpc(const struct flow *f)
{
	return f->ext ? f->ext->smbrpc : NULL;
}

static struct flow_smbrpc *record_of(struct flow *f)
{
	struct flow_ext *x = flow_ext_get(f);
	if (x && !x->smbrpc)
		x->smbrpc = calloc(1, sizeof *x->smbrpc);
	return x ? x->smbrpc : NULL;
}

/* A new zeroed entry at the end of a list of *n entries of size bytes (capacity *cap, at most max): the list
 * grows by doubling. NULL (the caller counts it) when the bound is reached or memory is short. */
static void *list_add(void **v, uint8_t *n, uint8_t *cap, unsigned max, size_t size)
{
	if (*n >= max)
		return NULL;
	if (*n == *cap) {
		unsigned c = *cap ? *cap * 2u : 2u;
		if (c > max)
			c = max;
		void *p = realloc(*v, c * size);
		if (!p)
			return NULL;
		*v = p;
		*cap = (uint8_t)c;
	}
	char *e = (char *)*v + (size_t)(*n)++ * size;
	memset(e, 0, size);
	return e;
}

static void set_name(const char **dst, const char *s)
{
	flow_ext_set_str(dst, s, strlen(s));
}

/* ---- DCE/RPC events (over TCP, or on a pipe) ---- */

/* What the callbacks work with: the flow, the packet's time, where endpoints go. */
struct walk {
	struct flow *f;
	struct expect_table *expect;
	uint64_t now_us;
	struct smb_watch *smb;      /* SMB flows */
	const struct smb_state *smb_state;
};

static struct smbrpc_iface *iface_find(struct flow_smbrpc *r, int pipe, uint16_t ctx_id, const uint8_t uuid[16])
{
	for (unsigned i = r->nifaces; i-- > 0;) { /* the latest binding of a context id */
		struct smbrpc_iface *x = &r->ifaces[i];
		if (x->pipe == pipe && x->ctx_id == ctx_id && !memcmp(x->uuid, uuid, 16))
			return x;
	}
	return NULL;
}

/* The first interface bound over TCP names the flow's interface (configmgr.rpc), unless an announcement did. */
static void name_flow_interface(struct flow *f, const uint8_t uuid[16])
{
	struct flow_followup *fu = f->ext ? f->ext->followup : NULL;
	if (f->app_proof == APP_NONE)
		f->app_proof = APP_DCERPC; /* a bind proves DCE/RPC */
	if (fu && fu->has_rpc_uuid)
		return;
	if ((fu = flow_ext_followup(f))) {
		memcpy(fu->rpc_uuid, uuid, 16);
		fu->has_rpc_uuid = true;
	}
}

/* The PDUs whose auth verifier carries a login's token ([MS-RPCE] 2.2.2.11, 3.3.1.5.2: bind, bind_ack,
 * alter_context and its answer, rpc_auth_3); a request's or response's verifier is a signature. */
static bool login_pdu(uint8_t ptype)
{
	return ptype == 11 || ptype == 12 || ptype == 14 || ptype == 15 || ptype == 16;
}

/* A login's security token (SMB's SESSION_SETUP blob, a DCE/RPC verifier) into the flow's exchanges (auth.h). */
static void login_token(struct walk *w, uint8_t over, uint8_t dir, const uint8_t *blob, size_t len, bool login)
{
	struct ntlmssp_token t;
	if (login && blob && len && ntlmssp_parse_token(blob, len, &t))
		flow_auth_token(w->f, over, dir ? DIR_TO_CLIENT : DIR_TO_SERVER, &t, w->now_us);
}

static void rpc_event(struct walk *w, int pipe, const struct dcerpc_event *ev)
{
	struct flow_smbrpc *r = record_of(w->f);
	if (!r)
		return;
	const struct dcerpc_context *c = ev->context;
	struct smbrpc_iface *x = c ? iface_find(r, pipe, c->ctx_id, c->uuid) : NULL;
	switch (ev->kind) {
	case DCERPC_EV_ENDPOINT:
		r->endpoints++;
		r->endpoints_ndr64 |= ev->endpoint->ndr64;
		r->endpoints_unbound |= ev->endpoint->unbound;
		if (w->expect)
			followup_endpoint(w->expect, w->f, ev->endpoint, w->now_us);
		break;
	case DCERPC_EV_CONTEXT:
		if (!c)
			break;
		if (pipe < 0)
			name_flow_interface(w->f, c->uuid);
		if (x)
			break;
		x = list_add((void **)&r->ifaces, &r->nifaces, &r->cap_ifaces, SMBRPC_IFACES_MAX, sizeof *x);
		if (!x) {
			r->ifaces_dropped++;
			break;
		}
		memcpy(x->uuid, c->uuid, 16);
		x->ver_major = c->ver_major;
		x->ver_minor = c->ver_minor;
		x->ctx_id = c->ctx_id;
		x->pipe = (int8_t)pipe;
		break;
	case DCERPC_EV_ACK:
		if (x) {
			x->has_ack = true;
			x->ack_result = c->ack_result;
			x->ack_reason = c->ack_reason;
			x->accepted = c->accepted;
		}
		break;
	case DCERPC_EV_REQUEST:
		if (!x)
			break;
		if (!x->requests++)
			x->first_us = w->now_us;
		x->last_us = w->now_us;
		if (ev->opnum < 128)
			x->opnums[ev->opnum / 8] |= (uint8_t)(1u << (ev->opnum % 8));
		else
			x->opnums_high++;
		if (ev->auth_type && !x->auth_type) {
			x->auth_type = ev->auth_type;
			x->auth_level = ev->auth_level;
		}
		break;
	case DCERPC_EV_FAULT:
		r->faults++;
		if (x)
			x->faults++;
		break;
	case DCERPC_EV_AUTH:
		if (!r->has_auth) {
			r->has_auth = true;
			r->auth_type = ev->auth_type;
			r->auth_level = ev->auth_level;
		}
		login_token(w, AUTH_OVER_DCERPC, ev->dir, ev->auth_value, ev->auth_len, login_pdu(ev->ptype));
		break;
	default:
		break;
	}
}

/* ---- SMB ---- */

/* A walker's file slot is a file of the record (index), a pipe of the record (-2 - index), or neither (-1). */
#define MAP_NONE (-1)
#define MAP_PIPE(i) (-2 - (int)(i))

struct smb_watch {
	struct smb_state *smb;
	int8_t map[SMB_FILES_MAX];
	uint32_t packets;           /* payload packets fed */
	uint32_t messages_at_encrypted; /* clear messages read when the first transform message came */
	bool done;
};

static void smb_watch_free(void *p)
{
	struct smb_watch *w = p;
	if (w) {
		smb_state_free(w->smb);
		free(w);
	}
}

static int slot_of(const struct walk *w, const struct smb_file *fl)
{
	size_t n;
	const struct smb_file *all = smb_files(w->smb_state, &n);
	return fl && all && fl >= all && fl < all + n ? (int)(fl - all) : -1;
}

/* The record's share index of a walker tree, matched by name (a tree connected twice is one share). */
static int share_of(const struct flow_smbrpc *r, const struct smb_tree *t)
{
	for (unsigned i = 0; t && i < r->nshares; i++)
		if (!strcmp(r->shares[i].name, t->share))
			return (int)i;
	return -1;
}

/* A tree connect answered: a share of the record (the flow's one share, configmgr.smb_share, is
 * smbrpc_notable_share's choice among them). */
static void on_tree(struct walk *w, struct flow_smbrpc *r, const struct smb_tree *t, uint32_t status)
{
	int i = share_of(r, t);
	struct smbrpc_share *s = i >= 0 ? &r->shares[i] : NULL;
	if (!s) {
		s = list_add((void **)&r->shares, &r->nshares, &r->cap_shares, SMBRPC_SHARES_MAX, sizeof *s);
		if (!s) {
			r->shares_dropped++;
			return;
		}
		set_name(&s->name, t->share);
		s->ts_us = w->now_us;
		s->status = status;
	} else if (status == 0) {
		s->status = 0; /* connected again, this time with success */
	}
	s->ipc = t->ipc || !strcmp(t->share, "IPC$");
}

/* A pipe opened (a pipe opened again by name is the same pipe of the record). */
static int pipe_add(struct flow_smbrpc *r, const struct smb_file *fl)
{
	for (unsigned i = 0; i < r->npipes; i++)
		if (!strcmp(r->pipes[i].name, fl->name)) {
			if (fl->status == 0)
				r->pipes[i].status = 0;
			return MAP_PIPE(i);
		}
	struct smbrpc_pipe *p = list_add((void **)&r->pipes, &r->npipes, &r->cap_pipes, SMBRPC_PIPES_MAX, sizeof *p);
	if (!p) {
		r->pipes_dropped++;
		return MAP_NONE;
	}
	set_name(&p->name, fl->name);
	p->status = fl->status;
	return MAP_PIPE(r->npipes - 1);
}

static int file_add(struct walk *w, struct flow_smbrpc *r, const struct smb_file *fl, const struct smb_tree *t)
{
	struct smbrpc_file *x = list_add((void **)&r->files, &r->nfiles, &r->cap_files, SMBRPC_FILES_MAX, sizeof *x);
	if (!x) {
		r->files_dropped++;
		return MAP_NONE;
	}
	const char *name = fl->name;
	while (*name == '\\')
		name++; /* SMB1 names the file from the share's root, SMB2 relative to it: the same name either way */
	set_name(&x->name, name);
	x->share = (int8_t)share_of(r, t);
	x->status = fl->status;
	x->disposition = fl->disposition;
	x->create_action = fl->create_action;
	x->first_us = x->last_us = w->now_us;
	return (int)(r->nfiles - 1);
}

/* A file the record listed as written turns out to be a pipe (its tree connect was not captured): it leaves the
 * files; the slots mapped to later files move down with them. */
static void file_drop(struct smb_watch *sw, struct flow_smbrpc *r, int i)
{
	str_free(r->files[i].name);
	memmove(&r->files[i], &r->files[i + 1], (r->nfiles - (unsigned)i - 1) * sizeof r->files[0]);
	r->nfiles--;
	for (int k = 0; k < SMB_FILES_MAX; k++) {
		if (sw->map[k] == i)
			sw->map[k] = MAP_NONE;
		else if (sw->map[k] > i)
			sw->map[k]--;
	}
}

static void smb_event(void *ctx, const struct smb_event *ev)
{
	struct walk *w = ctx;
	struct smb_watch *sw = w->smb;
	struct flow_smbrpc *r = record_of(w->f);
	if (!r)
		return;
	int slot = slot_of(w, ev->file);
	switch (ev->kind) {
	case SMB_EV_NEGOTIATE:
		r->negotiated = true;
		r->smb_version = ev->version;
		r->dialect = ev->dialect;
		snprintf(r->dialect_name, sizeof r->dialect_name, "%s", ev->version == 1 && ev->dialect_name ? ev->dialect_name : "");
		r->signing_enabled = ev->signing_enabled;
		r->signing_required = ev->signing_required;
		break;
	case SMB_EV_SESSION_SETUP:
		login_token(w, AUTH_OVER_SMB, ev->dir, ev->blob, ev->blob_len, true);
		break;
	case SMB_EV_TREE_CONNECT:
		if (ev->tree)
			on_tree(w, r, ev->tree, ev->tree->status);
		break;
	case SMB_EV_CREATE:
		if (slot < 0)
			break;
		sw->map[slot] = MAP_NONE; /* the slot's earlier file is gone */
		if (ev->file->pipe)
			sw->map[slot] = (int8_t)pipe_add(r, ev->file);
		else if (ev->status == 0 && (ev->file->create_action == 2 || ev->file->create_action == 3)) {
			int i = file_add(w, r, ev->file, ev->tree);
			if (i >= 0) {
				r->files[i].created = true;
				sw->map[slot] = (int8_t)i;
			}
		}
		break;
	case SMB_EV_WRITE:
		if (slot < 0 || ev->file->pipe || sw->map[slot] < MAP_NONE)
			break;
		if (sw->map[slot] == MAP_NONE)
			sw->map[slot] = (int8_t)file_add(w, r, ev->file, ev->tree);
		if (sw->map[slot] >= 0) {
			struct smbrpc_file *x = &r->files[sw->map[slot]];
			if (!x->writes++)
				x->first_us = w->now_us;
			x->last_us = w->now_us;
			x->bytes_written += ev->length;
		}
		break;
	case SMB_EV_ENCRYPTED:
		if (!r->encrypted++)
			sw->messages_at_encrypted = smb_counters(w->smb_state)->messages;
		break;
	case SMB_EV_RPC:
		if (slot < 0)
			break;
		if (sw->map[slot] >= 0) /* listed as a written file before the pipe showed */
			file_drop(sw, r, sw->map[slot]);
		if (sw->map[slot] == MAP_NONE)
			sw->map[slot] = (int8_t)pipe_add(r, ev->file);
		if (sw->map[slot] < MAP_NONE)
			rpc_event(w, -2 - sw->map[slot], ev->rpc);
		break;
	default:
		break;
	}
}

bool smbrpc_smb_row(struct expect_table *expect, struct flow *f, const struct packet *p, enum flow_dir dir)
{
	struct smb_watch *sw = flow_ext_parser(f, PARSER_SMB);
	if (!sw) {
		/* one walker a flow, started on its first packets */
		if ((f->flags & FLOW_F_SMB_WALKED) || f->inspected > INSPECT_MAX_PACKETS)
			return false;
		if (!p->payload_len)
			return true;
		f->flags |= FLOW_F_SMB_WALKED;
		if (!(sw = calloc(1, sizeof *sw)) || !(sw->smb = smb_state_new())) {
			smb_watch_free(sw);
			return false;
		}
		memset(sw->map, MAP_NONE, sizeof sw->map);
		if (!flow_ext_set_parser(f, PARSER_SMB, sw, smb_watch_free)) {
			smb_watch_free(sw);
			return false;
		}
	}
	if (sw->done)
		return false;
	if (!p->payload_len)
		return true;
	struct walk w = { f, expect, p->ts_us, sw, sw->smb };
	if (!smb_tcp_feed(sw->smb, dir == DIR_TO_SERVER ? 0 : 1, p->tcp_seq, p->payload, p->payload_len, smb_event, &w))
		sw->done = true;
	const struct flow_smbrpc *r = f->ext ? f->ext->smbrpc : NULL;
	if (r && r->encrypted >= ENCRYPTED_GIVE_UP && smb_counters(sw->smb)->messages == sw->messages_at_encrypted)
		sw->done = true; /* nothing readable since the session turned encrypted */
	if (++sw->packets >= SMBRPC_WATCH_MAX_PACKETS && !sw->done) {
		sw->done = true;
		struct flow_smbrpc *rw = record_of(f);
		if (rw)
			rw->watch_cut = true;
	}
	return !sw->done;
}

/* ---- DCE/RPC over TCP ---- */

struct rpc_watch {
	struct dcerpc_state *rpc;
	uint32_t packets;
	bool done;
};

static void rpc_watch_free(void *p)
{
	struct rpc_watch *w = p;
	if (w) {
		dcerpc_state_free(w->rpc);
		free(w);
	}
}

static void tcp_rpc_event(void *ctx, const struct dcerpc_event *ev)
{
	rpc_event(ctx, -1, ev);
}

bool smbrpc_dcerpc_row(struct expect_table *expect, struct flow *f, const struct packet *p, enum flow_dir dir)
{
	struct rpc_watch *rw = flow_ext_parser(f, PARSER_DCERPC);
	if (!rw) {
		/* on the endpoint mapper's port, or where a segment of the first packets starts with a bind */
		if ((f->flags & FLOW_F_RPC_WALKED) || f->inspected > INSPECT_MAX_PACKETS)
			return false;
		bool epm = flow_dst_port(f) == 135 || flow_src_port(f) == 135;
		uint8_t ptype;
		bool bind = p->payload_len >= 16 && bytes_u8(p->payload, p->payload_len, 2, &ptype) &&
			    (ptype == 11 || ptype == 14) && dcerpc_looks_like_co(p->payload, p->payload_len);
		if (!epm && !bind)
			return false;
		if (!p->payload_len)
			return true;
		f->flags |= FLOW_F_RPC_WALKED;
		if (!(rw = calloc(1, sizeof *rw)) || !(rw->rpc = dcerpc_state_new())) {
			rpc_watch_free(rw);
			return false;
		}
		/* answers whose bind was not captured: DCOM bindings by their shape, on the endpoint mapper's port */
		dcerpc_scan_unbound(rw->rpc, epm);
		if (!flow_ext_set_parser(f, PARSER_DCERPC, rw, rpc_watch_free)) {
			rpc_watch_free(rw);
			return false;
		}
	}
	if (rw->done)
		return false;
	if (!p->payload_len)
		return true;
	struct walk w = { f, expect, p->ts_us, NULL, NULL };
	if (!dcerpc_tcp_feed(rw->rpc, dir == DIR_TO_SERVER ? 0 : 1, p->tcp_seq, p->payload, p->payload_len,
			     tcp_rpc_event, &w))
		rw->done = true;
	if (++rw->packets >= SMBRPC_WATCH_MAX_PACKETS && !rw->done) {
		rw->done = true;
		struct flow_smbrpc *r = record_of(f);
		if (r)
			r->watch_cut = true;
	}
	return !rw->done;
}

/* ---- for the outputs ---- */

const char *smbrpc_notable_share(const struct flow_smbrpc *r)
{
	const char *ipc = NULL;
	for (unsigned i = 0; r && i < r->nshares; i++) {
		if (r->shares[i].status)
			continue;
		if (!r->shares[i].ipc)
			return r->shares[i].name;
		if (!ipc)
			ipc = r->shares[i].name;
	}
	return ipc;
}

const char *smbrpc_first_pipe(const struct flow_smbrpc *r)
{
	return r && r->npipes ? r->pipes[0].name : NULL;
}

const char *smbrpc_notable_file(const struct flow_smbrpc *r)
{
	for (unsigned i = 0; r && i < r->nfiles; i++)
		if (r->files[i].writes)
			return r->files[i].name;
	return r && r->nfiles ? r->files[0].name : NULL;
}

bool smbrpc_iface_called(const struct smbrpc_iface *x, unsigned opnum)
{
	if (opnum >= 128)
		return x->opnums_high > 0;
	return (x->opnums[opnum / 8] >> (opnum % 8)) & 1;
}

const char *smbrpc_dialect_str(const struct flow_smbrpc *r, char *buf, size_t len)
{
	if (r->smb_version == 1)
		snprintf(buf, len, "%s", r->dialect_name[0] ? r->dialect_name : "NT LM 0.12");
	else if (r->dialect == 0x02ff)
		snprintf(buf, len, "2.??");
	else
		snprintf(buf, len, "%x.%02x", (unsigned)(r->dialect >> 8), (unsigned)(r->dialect & 0xff));
	return buf;
}

const char *smbrpc_auth_type_name(uint8_t type)
{
	switch (type) {
	case 0: return NULL;
	case 1: return "dce-secret";
	case 9: return "spnego";
	case 10: return "ntlm";
	case 14: return "schannel";
	case 16: return "kerberos";
	case 68: return "netlogon";
	case 255: return "default";
	default: return "other";
	}
}

const char *smbrpc_auth_level_name(uint8_t level)
{
	switch (level) {
	case 1: return "none";
	case 2: return "connect";
	case 3: return "call";
	case 4: return "packet";
	case 5: return "integrity";
	case 6: return "privacy";
	default: return "default";
	}
}

/* smb.c: SMB1 and SMB2/3 message walker: negotiate, session setup, trees, files, named pipes carrying DCE/RPC
 * ([MS-SMB2] 2.2, [MS-CIFS] 2.2.4, [MS-SMB] 2.2.4, RFC 1002 4.3 session framing). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/bytes.h"
#include "proto/smb.h"

#define NB_HEADER 4
#define SMB2_HEADER_LEN 64
#define SMB1_HEADER_LEN 32
#define SMB2_MAX_COMPOUND 16
#define SMB1_MAX_ANDX 8
#define SYNC_TRIES 8             /* segments that may fail to start a message before the stream is given up */
#define HEAD_MIN 200             /* bytes of a long message read before deciding how much of it to keep */

/* SMB2 commands and flags */
enum { S2_NEGOTIATE = 0, S2_SESSION_SETUP = 1, S2_TREE_CONNECT = 3, S2_TREE_DISCONNECT = 4, S2_CREATE = 5,
       S2_CLOSE = 6, S2_READ = 8, S2_WRITE = 9, S2_IOCTL = 11 };
#define S2_FLAG_RESPONSE 0x1
#define S2_FLAG_ASYNC 0x2
#define S2_FLAG_RELATED 0x4
#define FSCTL_PIPE_TRANSCEIVE 0x0011C017u
/* SMB1 commands */
enum { S1_CLOSE = 0x04, S1_TRANSACTION = 0x25, S1_TRANSACTION_SECONDARY = 0x26, S1_READ_ANDX = 0x2e,
       S1_WRITE_ANDX = 0x2f, S1_TREE_DISCONNECT = 0x71, S1_NEGOTIATE = 0x72, S1_SESSION_SETUP_ANDX = 0x73,
       S1_TREE_CONNECT_ANDX = 0x75, S1_NT_CREATE_ANDX = 0xa2 };
#define S1_FLAGS_REPLY 0x80
#define S1_FLAGS2_UNICODE 0x8000
#define S1_FLAGS2_NT_STATUS 0x4000
#define TRANS_TRANSACT_NMPIPE 0x0026
/* statuses that still carry data */
#define STATUS_PENDING 0x00000103u
#define STATUS_BUFFER_OVERFLOW 0x80000005u
#define STATUS_MORE_PROCESSING 0xC0000016u

static bool status_error(uint32_t st)
{
	return (st & 0xC0000000u) == 0xC0000000u;
}

/* One direction of the stream. Invariant: len <= cap <= SMB_KEEP_MAX + NB_HEADER; keep is the bytes of the
 * current message (NetBIOS header included) to gather before it is read, 0 until its header is in; skip counts
 * bytes of a message already read that are still to come. */
struct sdir {
	uint8_t *buf;
	uint32_t len, cap;
	uint32_t keep;
	uint32_t msg_len;        /* the current message's length (after the NetBIOS header) */
	uint32_t skip;
	uint32_t next_seq;
	bool seq_known, synced;
};

/* A request awaiting its answer (SMB2 by MessageId, SMB1 by MID and PID). */
struct pending {
	bool used;
	uint8_t version;
	uint16_t command;
	uint64_t id;
	int8_t tree, file;
	uint32_t trans_total, trans_seen; /* SMB1 TRANSACTION answers: data bytes announced and seen */
};

struct pipe {
	int8_t file;
	bool dead;               /* its bytes are not DCE/RPC */
	struct dcerpc_state *rpc;
};

struct smb_state {
	struct sdir dir[2];
	struct smb_tree trees[SMB_TREES_MAX];
	unsigned ntrees;
	struct smb_file files[SMB_FILES_MAX];
	bool file_used[SMB_FILES_MAX];
	struct pipe pipes[SMB_PIPES_MAX];
	unsigned npipes;
	struct pending pend[SMB_PENDING_MAX];
	unsigned next_pend;
	uint8_t smb1_dialects[32]; /* the client's SMB1 NEGOTIATE dialects by index: enum s1_dialect */
	unsigned n_smb1_dialects;
	bool negotiated;
	uint8_t neg_version;
	uint16_t neg_dialect;
	bool neg_sign_enabled, neg_sign_required;
	unsigned sync_fails;
	bool ever_message;
	bool not_smb;
	struct smb_counters cnt;
};

struct sink {
	smb_event_fn fn;
	void *ctx;
	uint8_t dir;
};

static void emit(struct smb_state *s, const struct sink *k, struct smb_event *ev)
{
	(void)s;
	ev->dir = k->dir;
	if (k->fn)
		k->fn(k->ctx, ev);
}

/* n bytes at off of a buffer of len bytes, or false. */
static bool at_copy(const uint8_t *b, size_t len, size_t off, void *out, size_t n)
{
	struct cursor c = cursor_make(b, len);
	return cursor_skip(&c, off) && cursor_copy(&c, out, n);
}

/* ---- strings ---- */

static size_t put_utf8(char *out, size_t cap, size_t n, uint32_t cp, bool *fit)
{
	uint8_t b[4];
	size_t k;
	if (cp < 0x80)
		b[0] = (uint8_t)cp, k = 1;
	else if (cp < 0x800)
		b[0] = (uint8_t)(0xc0 | cp >> 6), b[1] = (uint8_t)(0x80 | (cp & 0x3f)), k = 2;
	else if (cp < 0x10000)
		b[0] = (uint8_t)(0xe0 | cp >> 12), b[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f)),
		b[2] = (uint8_t)(0x80 | (cp & 0x3f)), k = 3;
	else
		b[0] = (uint8_t)(0xf0 | cp >> 18), b[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3f)),
		b[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f)), b[3] = (uint8_t)(0x80 | (cp & 0x3f)), k = 4;
	if (!*fit || n + k >= cap) {
		*fit = false;
		return n;
	}
	memcpy(out + n, b, k);
	return n + k;
}

bool smb_utf16_to_utf8(const uint8_t *p, size_t bytes, char *out, size_t cap)
{
	struct cursor c = cursor_make(p, bytes & ~(size_t)1);
	size_t n = 0;
	bool fit = true;
	uint16_t u;
	while (fit && cursor_le16(&c, &u)) {
		uint32_t cp = u;
		if (u >= 0xd800 && u <= 0xdbff) {
			struct cursor save = c;
			uint16_t lo;
			if (cursor_le16(&c, &lo) && lo >= 0xdc00 && lo <= 0xdfff) {
				cp = 0x10000 + ((uint32_t)(u - 0xd800) << 10) + (lo - 0xdc00);
			} else {
				c = save;
				cp = 0xfffd;
			}
		} else if (u >= 0xdc00 && u <= 0xdfff) {
			cp = 0xfffd;
		} else if (u < 0x20 || u == 0x7f) {
			cp = '?';
		}
		n = put_utf8(out, cap, n, cp, &fit);
	}
	out[n] = '\0';
	return fit;
}

/* OEM (8-bit) text: printable ASCII kept, the rest '?'. */
static bool oem_to_utf8(const uint8_t *p, size_t bytes, char *out, size_t cap)
{
	size_t n = 0;
	for (size_t i = 0; i < bytes; i++) {
		if (n + 1 >= cap) {
			out[n] = '\0';
			return false;
		}
		out[n++] = p[i] >= 0x20 && p[i] < 0x7f ? (char)p[i] : '?';
	}
	out[n] = '\0';
	return true;
}

/* The share of a tree connect path "\\server\share": its last component. */
static void share_from_path(const char *path, char *share, size_t cap)
{
	const char *last = strrchr(path, '\\');
	const char *s = last ? last + 1 : path;
	size_t n = strlen(s);
	if (n >= cap)
		n = cap - 1;
	memcpy(share, s, n);
	share[n] = '\0';
}

/* A pipe's name without "\" and "\PIPE\" in front (SMB1 names "\srvsvc", SMB2 "srvsvc"). */
static void pipe_name_trim(char *name)
{
	char *p = name;
	while (*p == '\\')
		p++;
	if (!strncasecmp(p, "PIPE\\", 5))
		p += 5;
	if (p != name)
		memmove(name, p, strlen(p) + 1);
}

/* ---- tables ---- */

static int tree_by_id(struct smb_state *s, uint32_t id)
{
	for (unsigned i = s->ntrees; i-- > 0;)
		if (s->trees[i].has_id && s->trees[i].tree_id == id)
			return (int)i;
	return -1;
}

/* A slot for a tree connect of share: a new one, or a disconnected or failed one reused; -1 when full. */
static int tree_alloc(struct smb_state *s, const char *share)
{
	int slot = -1;
	if (s->ntrees < SMB_TREES_MAX) {
		slot = (int)s->ntrees++;
	} else {
		for (unsigned i = 0; i < s->ntrees && slot < 0; i++)
			if (!strcmp(s->trees[i].share, share) && (s->trees[i].disconnected || status_error(s->trees[i].status)))
				slot = (int)i;
		for (unsigned i = 0; i < s->ntrees && slot < 0; i++)
			if (s->trees[i].disconnected)
				slot = (int)i;
	}
	if (slot < 0) {
		s->cnt.trees_dropped++;
		return -1;
	}
	struct smb_tree *t = &s->trees[slot];
	memset(t, 0, sizeof *t);
	snprintf(t->share, sizeof t->share, "%s", share);
	t->ipc = !strcasecmp(share, "IPC$");
	return slot;
}

/* Whether a closed file is worth keeping in the connection's list: a pipe, or one created, overwritten, written
 * or read. */
static bool file_notable(const struct smb_file *f)
{
	return f->pipe || f->writes || f->reads || (f->answered && !status_error(f->status) && f->create_action != 1);
}

static int file_alloc(struct smb_state *s)
{
	for (int i = 0; i < SMB_FILES_MAX; i++)
		if (!s->file_used[i]) {
			s->file_used[i] = true;
			memset(&s->files[i], 0, sizeof s->files[i]);
			s->files[i].tree = -1;
			return i;
		}
	/* full: a closed file that is not worth keeping, else one whose open failed */
	for (int i = 0; i < SMB_FILES_MAX; i++)
		if ((s->files[i].closed && !file_notable(&s->files[i])) ||
		    (s->files[i].answered && status_error(s->files[i].status))) {
			memset(&s->files[i], 0, sizeof s->files[i]);
			s->files[i].tree = -1;
			return i;
		}
	s->cnt.files_dropped++;
	return -1;
}

/* Frees a file's slot (its entry is zeroed: version 0 marks a free slot). */
static void file_release(struct smb_state *s, int i)
{
	for (unsigned p = 0; p < s->npipes; p++)
		if (s->pipes[p].file == i)
			s->pipes[p].file = -1;
	s->file_used[i] = false;
	memset(&s->files[i], 0, sizeof s->files[i]);
	s->files[i].tree = -1;
}

/* Bytes read from or written to a file (a pipe's included): counted on the file and said to the sink as kind. */
static void file_event(struct smb_state *s, const struct sink *k, struct smb_event *ev, struct smb_file *fl,
		       enum smb_event_kind kind, uint32_t len, bool read)
{
	if (read) {
		fl->reads++;
		fl->bytes_read += len;
	} else {
		fl->writes++;
		fl->bytes_written += len;
	}
	ev->kind = kind;
	ev->file = fl;
	ev->tree = fl->tree >= 0 ? &s->trees[fl->tree] : NULL;
	ev->length = len;
	emit(s, k, ev);
}

/* A CLOSE of either dialect: said to the sink, then the slot is given back unless the file is worth keeping. */
static void file_closed(struct smb_state *s, const struct sink *k, struct smb_event *ev, int f)
{
	struct smb_file *fl = &s->files[f];
	fl->closed = true;
	ev->kind = SMB_EV_CLOSE;
	ev->file = fl;
	ev->tree = fl->tree >= 0 ? &s->trees[fl->tree] : NULL;
	emit(s, k, ev);
	if (!file_notable(fl))
		file_release(s, f);
}

static int file_by_fid(struct smb_state *s, uint8_t version, const uint8_t *fid, size_t n)
{
	for (int i = 0; i < SMB_FILES_MAX; i++)
		if (s->file_used[i] && s->files[i].has_fid && s->files[i].version == version &&
		    !memcmp(s->files[i].fid, fid, n) && !s->files[i].closed)
			return i;
	return -1;
}

static struct pipe *pipe_of(struct smb_state *s, int file)
{
	if (file < 0 || !s->files[file].pipe)
		return NULL;
	for (unsigned p = 0; p < s->npipes; p++)
		if (s->pipes[p].file == file)
			return &s->pipes[p];
	/* a new pipe: a free slot, or one whose file is gone */
	struct pipe *slot = NULL;
	if (s->npipes < SMB_PIPES_MAX) {
		slot = &s->pipes[s->npipes++];
	} else {
		for (unsigned p = 0; p < s->npipes && !slot; p++)
			if (s->pipes[p].file < 0)
				slot = &s->pipes[p];
	}
	if (!slot) {
		s->cnt.pipes_dropped++;
		return NULL;
	}
	dcerpc_state_free(slot->rpc);
	slot->rpc = NULL;
	slot->file = (int8_t)file;
	slot->dead = false;
	return slot;
}

static struct pending *pend_add(struct smb_state *s, uint8_t version, uint16_t command, uint64_t id)
{
	struct pending *p = NULL;
	for (unsigned i = 0; i < SMB_PENDING_MAX && !p; i++)
		if (s->pend[i].used && s->pend[i].version == version && s->pend[i].id == id)
			p = &s->pend[i]; /* the same id again: the newest request wins */
	if (!p) {
		p = &s->pend[s->next_pend];
		if (p->used)
			s->cnt.pending_dropped++;
		s->next_pend = (s->next_pend + 1) % SMB_PENDING_MAX;
	}
	memset(p, 0, sizeof *p);
	p->used = true;
	p->version = version;
	p->command = command;
	p->id = id;
	p->tree = p->file = -1;
	return p;
}

static struct pending *pend_find(struct smb_state *s, uint8_t version, uint16_t command, uint64_t id)
{
	for (unsigned i = 0; i < SMB_PENDING_MAX; i++)
		if (s->pend[i].used && s->pend[i].version == version && s->pend[i].id == id &&
		    s->pend[i].command == command)
			return &s->pend[i];
	return NULL;
}

/* ---- named pipes: DCE/RPC ---- */

struct rpc_tramp {
	struct smb_state *s;
	const struct sink *k;
	int file;
};

static void rpc_event(void *ctx, const struct dcerpc_event *rev)
{
	struct rpc_tramp *t = ctx;
	struct smb_event ev = { .kind = SMB_EV_RPC, .version = t->s->files[t->file].version,
				.file = &t->s->files[t->file], .rpc = rev };
	if (t->s->files[t->file].tree >= 0)
		ev.tree = &t->s->trees[t->s->files[t->file].tree];
	emit(t->s, t->k, &ev);
}

/* Bytes of a pipe in direction dir; avail of them are here, want were sent (more is a lost part). */
static void pipe_data(struct smb_state *s, const struct sink *k, int file, int dir, const uint8_t *p, size_t avail,
		      size_t want)
{
	struct pipe *pp = pipe_of(s, file);
	if (!pp || pp->dead)
		return;
	if (!pp->rpc && !(pp->rpc = dcerpc_state_new()))
		return;
	struct rpc_tramp t = { s, k, file };
	if (avail && !dcerpc_pipe_feed(pp->rpc, dir, p, avail, rpc_event, &t))
		pp->dead = true; /* not DCE/RPC (psexec's own pipes carry their own messages) */
	if (want > avail) {
		s->cnt.pipe_bytes_lost += (uint32_t)(want - avail);
		dcerpc_pipe_gap(pp->rpc, dir);
	}
}

/* m + off when off lies within the have bytes of m (a length of 0 goes with it otherwise). */
static const uint8_t *at(const uint8_t *m, size_t have, size_t off)
{
	return off <= have ? m + off : m;
}

/* The part [off, off + n) of a message of which have bytes are here: how much of it is here. */
static size_t part(size_t have, size_t off, size_t n)
{
	if (off >= have)
		return 0;
	return n < have - off ? n : have - off;
}

/* A file whose tree connect was not captured is a pipe when its first bytes written are a DCE/RPC bind, or when
 * it is used as one (pipe transceive, TransactNmPipe). */
static void pipe_by_use(struct smb_file *fl, const uint8_t *p, size_t avail, bool used_as_pipe)
{
	uint8_t ptype;
	if (fl->pipe || fl->tree >= 0)
		return;
	if (used_as_pipe || (dcerpc_looks_like_co(p, avail) && bytes_u8(p, avail, 2, &ptype) && ptype == 11)) {
		fl->pipe = true;
		pipe_name_trim(fl->name);
	}
}

/* ---- SMB2 ---- */

static const char *smb2_dialect_name(uint16_t d)
{
	switch (d) {
	case 0x0202: return "SMB 2.0.2";
	case 0x0210: return "SMB 2.1";
	case 0x0222: return "SMB 2.2.2";
	case 0x0224: return "SMB 2.2.4";
	case 0x02ff: return "SMB 2.???";
	case 0x0300: return "SMB 3.0";
	case 0x0302: return "SMB 3.0.2";
	case 0x0310: return "SMB 3.1.0";
	case 0x0311: return "SMB 3.1.1";
	default: return "SMB 2 (unknown dialect)";
	}
}

static const uint8_t FID_ANY[16] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
				     0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

/* What a compound chain carries from one message to the next related one. */
struct chain {
	uint32_t tree_id;
	bool has_tree;
	int file;                /* the file of the chain's last CREATE (request: its slot; answer: found by id) */
};

/* The file an SMB2 request or answer names at off (16 bytes), or a related compound's. */
static int smb2_file_at(struct smb_state *s, const uint8_t *m, size_t have, size_t off, const struct chain *ch)
{
	if (off + 16 > have)
		return -1;
	if (!memcmp(m + off, FID_ANY, 16))
		return ch->file;
	return file_by_fid(s, 2, m + off, 16);
}

/* One SMB2 message (header at m, have bytes of it here). */
static void smb2_message(struct smb_state *s, const struct sink *k, const uint8_t *m, size_t have, struct chain *ch)
{
	uint16_t cmd, ssize;
	uint32_t status, flags, tree_id = 0;
	uint64_t mid;
	uint32_t mid_lo, mid_hi;
	if (!bytes_le32(m, have, 8, &status) || !bytes_le16(m, have, 12, &cmd) || !bytes_le32(m, have, 16, &flags) ||
	    !bytes_le32(m, have, 24, &mid_lo) || !bytes_le32(m, have, 28, &mid_hi)) {
		s->cnt.bad++;
		return;
	}
	mid = (uint64_t)mid_hi << 32 | mid_lo;
	bool resp = flags & S2_FLAG_RESPONSE, async = flags & S2_FLAG_ASYNC;
	if (!async)
		(void)bytes_le32(m, have, 36, &tree_id);
	if ((flags & S2_FLAG_RELATED) && ch->has_tree && (tree_id == 0xffffffffu || async))
		tree_id = ch->tree_id;
	if (!async) {
		ch->tree_id = tree_id;
		ch->has_tree = true;
	}
	s->cnt.messages++;
	s->cnt.smb2++;
	s->ever_message = true;
	if (resp && status == STATUS_PENDING)
		return; /* an interim answer: the real one follows */
	if (!bytes_le16(m, have, 64, &ssize)) {
		s->cnt.bad++;
		return;
	}
	struct smb_event ev = { .version = 2, .command = cmd, .status = resp ? status : 0 };
	struct pending *pd = resp ? pend_find(s, 2, cmd, mid) : NULL;
	bool failed = resp && status_error(status) && status != STATUS_MORE_PROCESSING;
	if (pd)
		pd->used = false; /* answered (its fields are still read below) */
	switch (cmd) {
	case S2_NEGOTIATE: {
		uint16_t mode, dialect;
		if (!resp || failed)
			break;
		if (!bytes_le16(m, have, 66, &mode) || !bytes_le16(m, have, 68, &dialect)) {
			s->cnt.bad++;
			break;
		}
		s->negotiated = true;
		s->neg_version = 2;
		s->neg_dialect = dialect;
		s->neg_sign_enabled = mode & 0x01;
		s->neg_sign_required = mode & 0x02;
		ev.kind = SMB_EV_NEGOTIATE;
		ev.dialect = dialect;
		ev.dialect_name = smb2_dialect_name(dialect);
		ev.signing_enabled = s->neg_sign_enabled;
		ev.signing_required = s->neg_sign_required;
		emit(s, k, &ev);
		break;
	}
	case S2_SESSION_SETUP: {
		uint16_t off, len;
		if (failed)
			break;
		if (!bytes_le16(m, have, resp ? 68 : 76, &off) || !bytes_le16(m, have, resp ? 70 : 78, &len)) {
			s->cnt.bad++;
			break;
		}
		ev.kind = SMB_EV_SESSION_SETUP;
		size_t n = part(have, off, len);
		ev.blob = n ? at(m, have, off) : NULL;
		ev.blob_len = n;
		emit(s, k, &ev);
		break;
	}
	case S2_TREE_CONNECT: {
		if (!resp) {
			uint16_t off, len;
			char path[SMB_SHARE_MAX * 2], share[SMB_SHARE_MAX];
			if (!bytes_le16(m, have, 68, &off) || !bytes_le16(m, have, 70, &len) || !part(have, off, len)) {
				s->cnt.bad++;
				break;
			}
			smb_utf16_to_utf8(at(m, have, off), part(have, off, len), path, sizeof path);
			share_from_path(path, share, sizeof share);
			struct pending *p = pend_add(s, 2, cmd, mid);
			p->tree = (int8_t)tree_alloc(s, share);
		} else if (pd && pd->tree >= 0) {
			struct smb_tree *t = &s->trees[pd->tree];
			uint8_t type;
			t->answered = true;
			t->status = status;
			if (!failed) {
				t->tree_id = tree_id;
				t->has_id = true;
				if (bytes_u8(m, have, 66, &type))
					t->ipc = type == 2;
			}
			ev.kind = SMB_EV_TREE_CONNECT;
			ev.tree = t;
			emit(s, k, &ev);
		}
		break;
	}
	case S2_TREE_DISCONNECT: {
		int t = tree_by_id(s, tree_id);
		if (resp || t < 0)
			break;
		s->trees[t].disconnected = true;
		ev.kind = SMB_EV_TREE_DISCONNECT;
		ev.tree = &s->trees[t];
		emit(s, k, &ev);
		break;
	}
	case S2_CREATE: {
		if (!resp) {
			uint16_t off, len;
			uint32_t disp;
			if (!bytes_le32(m, have, 100, &disp) || !bytes_le16(m, have, 108, &off) ||
			    !bytes_le16(m, have, 110, &len)) {
				s->cnt.bad++;
				break;
			}
			struct pending *p = pend_add(s, 2, cmd, mid);
			int f = file_alloc(s);
			p->file = (int8_t)f;
			ch->file = f;
			if (f < 0)
				break;
			struct smb_file *fl = &s->files[f];
			int t = tree_by_id(s, tree_id);
			fl->version = 2;
			fl->tree = (int8_t)t;
			fl->pipe = t >= 0 && s->trees[t].ipc;
			fl->disposition = disp;
			size_t n = len ? part(have, off, len) : 0;
			fl->name_cut = !smb_utf16_to_utf8(at(m, have, off), n, fl->name, sizeof fl->name) || n < len;
			if (fl->pipe)
				pipe_name_trim(fl->name);
		} else if (pd && pd->file >= 0) {
			struct smb_file *fl = &s->files[pd->file];
			fl->answered = true;
			fl->status = status;
			ch->file = pd->file;
			if (!failed) {
				if (have < 144 || !bytes_le32(m, have, 68, &fl->create_action)) {
					s->cnt.bad++;
				} else {
					memcpy(fl->fid, m + 128, 16);
					fl->has_fid = true;
				}
			}
			ev.kind = SMB_EV_CREATE;
			ev.file = fl;
			ev.tree = fl->tree >= 0 ? &s->trees[fl->tree] : NULL;
			emit(s, k, &ev);
			if (failed)
				file_release(s, pd->file);
		} else {
			ch->file = -1;
		}
		break;
	}
	case S2_CLOSE: {
		int f = resp ? -1 : smb2_file_at(s, m, have, 72, ch);
		if (f < 0)
			break;
		file_closed(s, k, &ev, f);
		break;
	}
	case S2_WRITE: {
		uint16_t off;
		uint32_t len, lo, hi;
		if (resp)
			break;
		if (!bytes_le16(m, have, 66, &off) || !bytes_le32(m, have, 68, &len) || !bytes_le32(m, have, 72, &lo) ||
		    !bytes_le32(m, have, 76, &hi)) {
			s->cnt.bad++;
			break;
		}
		int f = smb2_file_at(s, m, have, 80, ch);
		if (f < 0)
			break;
		struct smb_file *fl = &s->files[f];
		ev.offset = (uint64_t)hi << 32 | lo;
		file_event(s, k, &ev, fl, SMB_EV_WRITE, len, false);
		pipe_by_use(fl, at(m, have, off), part(have, off, len), false);
		if (fl->pipe)
			pipe_data(s, k, f, 0, at(m, have, off), part(have, off, len), len);
		break;
	}
	case S2_READ: {
		if (!resp) {
			int f = smb2_file_at(s, m, have, 80, ch);
			if (f >= 0)
				pend_add(s, 2, cmd, mid)->file = (int8_t)f;
			break;
		}
		uint8_t off;
		uint32_t len;
		if (!pd || pd->file < 0 || failed)
			break;
		if (!bytes_u8(m, have, 66, &off) || !bytes_le32(m, have, 68, &len)) {
			s->cnt.bad++;
			break;
		}
		struct smb_file *fl = &s->files[pd->file];
		file_event(s, k, &ev, fl, SMB_EV_READ, len, true);
		if (fl->pipe)
			pipe_data(s, k, pd->file, 1, at(m, have, off), part(have, off, len), len);
		break;
	}
	case S2_IOCTL: {
		uint32_t code, off, len;
		if (failed || ssize == 9)
			break; /* an error answer */
		if (!bytes_le32(m, have, 68, &code) || code != FSCTL_PIPE_TRANSCEIVE)
			break;
		if (!bytes_le32(m, have, resp ? 96 : 88, &off) || !bytes_le32(m, have, resp ? 100 : 92, &len)) {
			s->cnt.bad++;
			break;
		}
		int f = smb2_file_at(s, m, have, 72, ch);
		if (f < 0 && pd)
			f = pd->file;
		if (f < 0)
			break;
		if (!resp)
			pend_add(s, 2, cmd, mid)->file = (int8_t)f;
		struct smb_file *fl = &s->files[f];
		pipe_by_use(fl, NULL, 0, true);
		file_event(s, k, &ev, fl, SMB_EV_IOCTL, len, resp);
		if (fl->pipe)
			pipe_data(s, k, f, resp ? 1 : 0, at(m, have, off), part(have, off, len), len);
		break;
	}
	default: break;
	}
}

/* An SMB2 message of the stream: a compound of messages (have of its full bytes here). */
static void smb2_compound(struct smb_state *s, const struct sink *k, const uint8_t *m, size_t have)
{
	struct chain ch = { 0, false, -1 };
	for (int i = 0; i < SMB2_MAX_COMPOUND && have >= SMB2_HEADER_LEN; i++) {
		uint16_t hlen;
		uint32_t next;
		if (memcmp(m, "\xfeSMB", 4) != 0 || !bytes_le16(m, have, 4, &hlen) || hlen != SMB2_HEADER_LEN ||
		    !bytes_le32(m, have, 20, &next)) {
			s->cnt.bad++;
			return;
		}
		size_t this_len = next && next < have ? next : have;
		smb2_message(s, k, m, this_len, &ch);
		if (!next || next >= have || next < SMB2_HEADER_LEN)
			return;
		m += next;
		have -= next;
	}
}

/* ---- SMB1 ---- */

/* SMB1 dialect names a client offers ([MS-CIFS] 1.7, [MS-SMB2] 3.3.5.3.1). */
static const char *const S1_DIALECTS[] = { NULL, "PC NETWORK PROGRAM 1.0", "MICROSOFT NETWORKS 1.03",
					   "MICROSOFT NETWORKS 3.0", "LANMAN1.0", "LM1.2X002", "DOS LANMAN2.1",
					   "LANMAN2.1", "Samba", "NT LANMAN 1.0", "NT LM 0.12", "SMB 2.002",
					   "SMB 2.???" };

struct s1 {
	const uint8_t *m;        /* the SMB1 header */
	size_t have;
	uint8_t cmd, flags;
	uint16_t flags2, tid, pid, uid, mid;
	uint32_t status;
	bool resp, unicode, failed;
};

/* A string in an SMB1 message at off (unicode strings start on an even offset from the header), NUL-terminated
 * within end. *next gets the offset after it. */
static bool s1_string(const struct s1 *h, size_t off, size_t end, char *out, size_t cap, size_t *next, bool *cut)
{
	if (end > h->have)
		end = h->have;
	if (h->unicode && off % 2)
		off++;
	if (off > end)
		return false;
	size_t i = off;
	if (h->unicode) {
		uint16_t ch;
		while (bytes_le16(h->m, end, i, &ch) && ch)
			i += 2;
		*cut = !smb_utf16_to_utf8(h->m + off, i - off, out, cap);
		*next = i + 2;
	} else {
		uint8_t ch;
		while (bytes_u8(h->m, end, i, &ch) && ch)
			i++;
		*cut = !oem_to_utf8(h->m + off, i - off, out, cap);
		*next = i + 1;
	}
	return true;
}

/* An SMB1 request's key for its answer: MID and PID (the UID and TID of a chained session setup and tree
 * connect change in the answer). */
static uint64_t s1_key(const struct s1 *h)
{
	return (uint64_t)h->mid | (uint64_t)h->pid << 16;
}

static int s1_tree(struct smb_state *s, uint16_t tid)
{
	for (unsigned i = s->ntrees; i-- > 0;)
		if (s->trees[i].has_id && s->trees[i].tree_id == tid)
			return (int)i;
	return -1;
}

/* One command block of an SMB1 message: words at w (wc words), bytes at b (bc of them). */
static void smb1_block(struct smb_state *s, const struct sink *k, const struct s1 *h, uint8_t cmd, size_t w,
		       uint8_t wc, size_t b, uint16_t bc)
{
	const uint8_t *m = h->m;
	size_t have = h->have, bend = b + bc;
	struct smb_event ev = { .version = 1, .command = cmd, .status = h->resp ? h->status : 0 };
	struct pending *pd = h->resp ? pend_find(s, 1, cmd, s1_key(h)) : NULL;
	if (pd && !(cmd == S1_TRANSACTION && !h->failed))
		pd->used = false;
	switch (cmd) {
	case S1_NEGOTIATE:
		if (!h->resp) {
			/* dialect strings: 0x02, name, NUL */
			s->n_smb1_dialects = 0;
			size_t end = bend < have ? bend : have;
			uint8_t ch;
			for (size_t i = b; i < end && s->n_smb1_dialects < sizeof s->smb1_dialects;) {
				size_t e = i + 1;
				while (bytes_u8(m, end, e, &ch) && ch)
					e++;
				if (e >= end)
					break; /* not terminated */
				uint8_t code = 0;
				for (uint8_t c = 1; c < sizeof S1_DIALECTS / sizeof *S1_DIALECTS; c++)
					if (e - i - 1 == strlen(S1_DIALECTS[c]) && !memcmp(m + i + 1, S1_DIALECTS[c], e - i - 1))
						code = c;
				s->smb1_dialects[s->n_smb1_dialects++] = code;
				i = e + 1;
			}
		} else if (!h->failed) {
			uint16_t index;
			uint8_t mode = 0;
			if (!bytes_le16(m, have, w, &index)) {
				s->cnt.bad++;
				break;
			}
			if (wc >= 13)
				(void)bytes_u8(m, have, w + 2, &mode);
			const char *name = index < s->n_smb1_dialects && s->smb1_dialects[index] ?
						   S1_DIALECTS[s->smb1_dialects[index]] : "SMB1 (unknown dialect)";
			s->negotiated = true;
			s->neg_version = 1;
			s->neg_dialect = 0x0100;
			/* NT LM 0.12 SecurityMode: 0x04 signatures enabled, 0x08 required */
			s->neg_sign_enabled = wc == 17 && (mode & 0x04);
			s->neg_sign_required = wc == 17 && (mode & 0x08);
			ev.kind = SMB_EV_NEGOTIATE;
			ev.dialect = 0x0100;
			ev.dialect_name = name;
			ev.signing_enabled = s->neg_sign_enabled;
			ev.signing_required = s->neg_sign_required;
			emit(s, k, &ev);
		}
		break;
	case S1_SESSION_SETUP_ANDX: {
		uint16_t blen = 0;
		if (h->failed && h->status != STATUS_MORE_PROCESSING)
			break;
		/* extended security: request 12 words, the blob length at word 7; answer 4 words, at word 3 */
		if ((!h->resp && wc == 12 && !bytes_le16(m, have, w + 14, &blen)) ||
		    (h->resp && wc == 4 && !bytes_le16(m, have, w + 6, &blen))) {
			s->cnt.bad++;
			break;
		}
		if (!((!h->resp && wc == 12) || (h->resp && wc == 4)))
			blen = 0; /* passwords (13 words) or no blob: nothing shown */
		ev.kind = SMB_EV_SESSION_SETUP;
		size_t n = part(have, b, blen < bc ? blen : bc);
		ev.blob = n ? m + b : NULL;
		ev.blob_len = n;
		emit(s, k, &ev);
		break;
	}
	case S1_TREE_CONNECT_ANDX:
		if (!h->resp) {
			uint16_t pwlen;
			char path[SMB_SHARE_MAX * 2], share[SMB_SHARE_MAX];
			size_t next;
			bool cut;
			if (wc != 4 || !bytes_le16(m, have, w + 6, &pwlen) ||
			    !s1_string(h, b + pwlen, bend, path, sizeof path, &next, &cut)) {
				s->cnt.bad++;
				break;
			}
			share_from_path(path, share, sizeof share);
			struct pending *p = pend_add(s, 1, cmd, s1_key(h));
			p->tree = (int8_t)tree_alloc(s, share);
		} else {
			if (!pd || pd->tree < 0)
				break;
			struct smb_tree *t = &s->trees[pd->tree];
			t->answered = true;
			t->status = h->status;
			if (!h->failed) {
				char service[16];
				size_t next;
				bool cut;
				t->tree_id = h->tid;
				t->has_id = true;
				/* the service is always OEM text ([MS-CIFS] 2.2.4.55.2) */
				struct s1 oem = *h;
				oem.unicode = false;
				if (s1_string(&oem, b, bend, service, sizeof service, &next, &cut))
					t->ipc = !strcmp(service, "IPC");
			}
			ev.kind = SMB_EV_TREE_CONNECT;
			ev.tree = t;
			emit(s, k, &ev);
		}
		break;
	case S1_TREE_DISCONNECT: {
		int t = s1_tree(s, h->tid);
		if (h->resp || t < 0)
			break;
		s->trees[t].disconnected = true;
		ev.kind = SMB_EV_TREE_DISCONNECT;
		ev.tree = &s->trees[t];
		emit(s, k, &ev);
		break;
	}
	case S1_NT_CREATE_ANDX:
		if (!h->resp) {
			uint16_t nlen;
			uint32_t disp;
			if (wc != 24 || !bytes_le16(m, have, w + 5, &nlen) || !bytes_le32(m, have, w + 35, &disp)) {
				s->cnt.bad++;
				break;
			}
			struct pending *p = pend_add(s, 1, cmd, s1_key(h));
			int f = file_alloc(s);
			p->file = (int8_t)f;
			if (f < 0)
				break;
			struct smb_file *fl = &s->files[f];
			int t = s1_tree(s, h->tid);
			size_t next;
			bool cut = false;
			fl->version = 1;
			fl->tree = (int8_t)t;
			fl->pipe = t >= 0 && s->trees[t].ipc;
			fl->disposition = disp;
			if (!s1_string(h, b, bend, fl->name, sizeof fl->name, &next, &cut))
				fl->name[0] = '\0';
			fl->name_cut = cut;
			if (fl->pipe)
				pipe_name_trim(fl->name);
		} else if (pd && pd->file >= 0) {
			struct smb_file *fl = &s->files[pd->file];
			fl->answered = true;
			fl->status = h->status;
			if (!h->failed) {
				uint16_t fid;
				if (wc < 34 || !bytes_le16(m, have, w + 5, &fid) || !bytes_le32(m, have, w + 7, &fl->create_action)) {
					s->cnt.bad++;
				} else {
					fl->fid[0] = (uint8_t)fid, fl->fid[1] = (uint8_t)(fid >> 8);
					fl->has_fid = true;
				}
			}
			ev.kind = SMB_EV_CREATE;
			ev.file = fl;
			ev.tree = fl->tree >= 0 ? &s->trees[fl->tree] : NULL;
			emit(s, k, &ev);
			if (h->failed)
				file_release(s, pd->file);
		}
		break;
	case S1_CLOSE: {
		uint8_t fid[2];
		if (h->resp || wc < 3 || !at_copy(m, have, w, fid, 2))
			break;
		int f = file_by_fid(s, 1, fid, 2);
		if (f < 0)
			break;
		file_closed(s, k, &ev, f);
		break;
	}
	case S1_WRITE_ANDX: {
		uint16_t mode, lhigh, llow, off;
		uint32_t olow, ohigh = 0;
		uint8_t fid[2];
		if (h->resp)
			break;
		if ((wc != 12 && wc != 14) || !at_copy(m, have, w + 4, fid, 2) || !bytes_le32(m, have, w + 6, &olow) ||
		    !bytes_le16(m, have, w + 14, &mode) || !bytes_le16(m, have, w + 18, &lhigh) ||
		    !bytes_le16(m, have, w + 20, &llow) || !bytes_le16(m, have, w + 22, &off) ||
		    (wc == 14 && !bytes_le32(m, have, w + 24, &ohigh))) {
			s->cnt.bad++;
			break;
		}
		int f = file_by_fid(s, 1, fid, 2);
		if (f < 0)
			break;
		uint32_t len = (uint32_t)lhigh << 16 | llow;
		struct smb_file *fl = &s->files[f];
		ev.offset = (uint64_t)ohigh << 32 | olow;
		file_event(s, k, &ev, fl, SMB_EV_WRITE, len, false);
		pipe_by_use(fl, at(m, have, off), part(have, off, len), false);
		if (fl->pipe) {
			/* a raw-mode message start begins with the message's 2-byte length ([MS-CIFS] 2.2.4.43.1) */
			size_t skip = (mode & 0x000c) == 0x000c && len >= 2 ? 2 : 0;
			pipe_data(s, k, f, 0, at(m, have, off + skip), part(have, off + skip, len - skip), len - skip);
		}
		break;
	}
	case S1_READ_ANDX:
		if (!h->resp) {
			uint8_t fid[2];
			if (!at_copy(m, have, w + 4, fid, 2))
				break;
			int f = file_by_fid(s, 1, fid, 2);
			if (f >= 0)
				pend_add(s, 1, cmd, s1_key(h))->file = (int8_t)f;
		} else if (pd && pd->file >= 0 && (!h->failed || h->status == STATUS_BUFFER_OVERFLOW)) {
			uint16_t llow, off, lhigh;
			if (wc != 12 || !bytes_le16(m, have, w + 10, &llow) || !bytes_le16(m, have, w + 12, &off) ||
			    !bytes_le16(m, have, w + 14, &lhigh)) {
				s->cnt.bad++;
				break;
			}
			uint32_t len = (uint32_t)lhigh << 16 | llow;
			struct smb_file *fl = &s->files[pd->file];
			file_event(s, k, &ev, fl, SMB_EV_READ, len, true);
			if (fl->pipe)
				pipe_data(s, k, pd->file, 1, at(m, have, off), part(have, off, len), len);
		}
		break;
	case S1_TRANSACTION:
	case S1_TRANSACTION_SECONDARY:
		if (!h->resp) {
			uint16_t dcount, doff, func = 0, fidw = 0;
			uint8_t setup = 0, fid[2];
			int f;
			if (cmd == S1_TRANSACTION) {
				if (wc < 14 || !bytes_le16(m, have, w + 22, &dcount) || !bytes_le16(m, have, w + 24, &doff) ||
				    !bytes_u8(m, have, w + 26, &setup)) {
					s->cnt.bad++;
					break;
				}
				if (setup < 2 || wc < 14 + setup || !bytes_le16(m, have, w + 28, &func) ||
				    !bytes_le16(m, have, w + 30, &fidw) || func != TRANS_TRANSACT_NMPIPE)
					break; /* not TransactNmPipe (LANMAN RAP, other pipe functions) */
				fid[0] = (uint8_t)fidw, fid[1] = (uint8_t)(fidw >> 8);
				f = file_by_fid(s, 1, fid, 2);
				if (f < 0)
					break;
				pend_add(s, 1, S1_TRANSACTION, s1_key(h))->file = (int8_t)f;
			} else {
				/* a secondary's data continues the primary's (same MID) */
				struct pending *p = pend_find(s, 1, S1_TRANSACTION, s1_key(h));
				if (!p || p->file < 0 || wc < 8 || !bytes_le16(m, have, w + 10, &dcount) ||
				    !bytes_le16(m, have, w + 12, &doff))
					break;
				f = p->file;
			}
			struct smb_file *fl = &s->files[f];
			pipe_by_use(fl, NULL, 0, true);
			file_event(s, k, &ev, fl, SMB_EV_TRANSACTION, dcount, false);
			if (fl->pipe)
				pipe_data(s, k, f, 0, at(m, have, doff), part(have, doff, dcount), dcount);
		} else if (cmd == S1_TRANSACTION && pd && pd->file >= 0) {
			uint16_t total, dcount, doff;
			if (h->failed && h->status != STATUS_BUFFER_OVERFLOW) {
				pd->used = false;
				break;
			}
			if (wc == 0)
				break; /* the interim answer to a request with secondaries */
			if (wc < 10 || !bytes_le16(m, have, w + 2, &total) || !bytes_le16(m, have, w + 12, &dcount) ||
			    !bytes_le16(m, have, w + 14, &doff)) {
				s->cnt.bad++;
				pd->used = false;
				break;
			}
			pd->trans_total = total;
			pd->trans_seen += dcount;
			if (pd->trans_seen >= pd->trans_total || !dcount)
				pd->used = false; /* the last part */
			struct smb_file *fl = &s->files[pd->file];
			file_event(s, k, &ev, fl, SMB_EV_TRANSACTION, dcount, true);
			if (fl->pipe)
				pipe_data(s, k, pd->file, 1, at(m, have, doff), part(have, doff, dcount), dcount);
		}
		break;
	default: break;
	}
}

static bool s1_andx(uint8_t cmd)
{
	switch (cmd) {
	case S1_SESSION_SETUP_ANDX:
	case S1_TREE_CONNECT_ANDX:
	case S1_NT_CREATE_ANDX:
	case S1_READ_ANDX:
	case S1_WRITE_ANDX:
	case 0x2d: /* OPEN_ANDX */
	case 0x74: /* LOGOFF_ANDX */
	case 0x24: /* LOCKING_ANDX */
		return true;
	default: return false;
	}
}

/* An SMB1 message of the stream (have of its bytes here): the header, then the AndX chain of commands. */
static void smb1_message(struct smb_state *s, const struct sink *k, const uint8_t *m, size_t have)
{
	struct s1 h = { .m = m, .have = have };
	if (have < SMB1_HEADER_LEN + 1 || !bytes_u8(m, have, 4, &h.cmd) || !bytes_le32(m, have, 5, &h.status) ||
	    !bytes_u8(m, have, 9, &h.flags) || !bytes_le16(m, have, 10, &h.flags2) || !bytes_le16(m, have, 24, &h.tid) ||
	    !bytes_le16(m, have, 26, &h.pid) || !bytes_le16(m, have, 28, &h.uid) || !bytes_le16(m, have, 30, &h.mid)) {
		s->cnt.bad++;
		return;
	}
	h.resp = h.flags & S1_FLAGS_REPLY;
	h.unicode = h.flags2 & S1_FLAGS2_UNICODE;
	if (!(h.flags2 & S1_FLAGS2_NT_STATUS)) { /* DOS error: class (byte 5), code (bytes 7-8) */
		uint32_t cls = h.status & 0xff, code = h.status >> 16;
		h.status = cls ? cls << 16 | code : 0;
		if (cls == 1 && code == 234) /* ERRDOS/ERRmoredata: a pipe's message continues */
			h.status = STATUS_BUFFER_OVERFLOW;
		h.failed = h.status && h.status != STATUS_BUFFER_OVERFLOW;
	} else {
		h.failed = (h.status & 0x80000000u) && h.status != STATUS_BUFFER_OVERFLOW;
	}
	s->cnt.messages++;
	s->cnt.smb1++;
	s->ever_message = true;
	uint8_t cmd = h.cmd;
	size_t off = SMB1_HEADER_LEN;
	for (int i = 0; i < SMB1_MAX_ANDX; i++) {
		uint8_t wc;
		uint16_t bc;
		if (!bytes_u8(m, have, off, &wc))
			return;
		size_t w = off + 1, b = w + 2 * (size_t)wc + 2;
		if (!bytes_le16(m, have, w + 2 * (size_t)wc, &bc)) {
			/* a cut message: its words may still be here */
			bc = 0;
			if (w + 2 * (size_t)wc > have) {
				s->cnt.bad++;
				return;
			}
		}
		smb1_block(s, k, &h, cmd, w, wc, b, bc);
		if (!s1_andx(cmd) || wc < 2)
			return;
		uint8_t next;
		uint16_t next_off;
		if (!bytes_u8(m, have, w, &next) || !bytes_le16(m, have, w + 2, &next_off) || next == 0xff ||
		    next_off <= off || next_off >= have)
			return;
		cmd = next;
		off = next_off;
	}
}

/* ---- the stream ---- */

/* How many bytes of a long message (len after the NetBIOS header; the first have of them at m) to keep: file
 * writes and reads that do not go to a pipe keep only their fixed fields. */
static uint32_t keep_of(struct smb_state *s, const uint8_t *m, size_t have, uint32_t len)
{
	uint32_t keep = len < SMB_KEEP_MAX ? len : SMB_KEEP_MAX;
	uint16_t cmd;
	uint32_t flags, next;
	if (have >= SMB2_HEADER_LEN + 16 + 16 && !memcmp(m, "\xfeSMB", 4) && bytes_le16(m, have, 12, &cmd) &&
	    bytes_le32(m, have, 16, &flags) && bytes_le32(m, have, 20, &next) && next == 0) {
		bool resp = flags & S2_FLAG_RESPONSE;
		if (cmd == S2_WRITE && !resp) {
			int f = have >= 96 ? file_by_fid(s, 2, m + 80, 16) : -1;
			if (f < 0 || !s->files[f].pipe)
				return SMB2_HEADER_LEN + 48;
		} else if (cmd == S2_READ && resp) {
			uint32_t lo, hi;
			struct pending *pd = bytes_le32(m, have, 24, &lo) && bytes_le32(m, have, 28, &hi) ?
						     pend_find(s, 2, cmd, (uint64_t)hi << 32 | lo) : NULL;
			if (!pd || pd->file < 0 || !s->files[pd->file].pipe)
				return SMB2_HEADER_LEN + 16;
		}
	} else if (have >= SMB1_HEADER_LEN + 1 + 24 && !memcmp(m, "\xffSMB", 4) && m[4] == S1_WRITE_ANDX &&
		   !(m[9] & S1_FLAGS_REPLY)) {
		int f = file_by_fid(s, 1, m + SMB1_HEADER_LEN + 1 + 4, 2);
		if (f < 0 || !s->files[f].pipe)
			return SMB1_HEADER_LEN + 1 + 28 + 2;
	}
	return keep;
}

/* A whole (or head-kept) message after its NetBIOS header: have bytes of its len. */
static void on_message(struct smb_state *s, const struct sink *k, const uint8_t *m, size_t have, uint32_t len)
{
	if (have < len)
		s->cnt.cut++;
	if (have >= 4 && !memcmp(m, "\xfeSMB", 4)) {
		smb2_compound(s, k, m, have);
	} else if (have >= 4 && !memcmp(m, "\xffSMB", 4)) {
		smb1_message(s, k, m, have);
	} else if (have >= 4 && !memcmp(m, "\xfdSMB", 4)) {
		s->cnt.encrypted++;
		s->ever_message = true;
		struct smb_event ev = { .kind = SMB_EV_ENCRYPTED, .version = 2, .length = len };
		emit(s, k, &ev);
	} else if (have >= 4 && !memcmp(m, "\xfcSMB", 4)) {
		s->cnt.compressed++;
		s->ever_message = true;
	} else {
		s->cnt.bad++;
	}
}

static bool starts_message(const uint8_t *p, size_t len)
{
	/* a session message around an SMB header, or NetBIOS session service's own packets (port 139) */
	if (len >= 8 && p[0] == 0 && (p[4] == 0xff || p[4] == 0xfe || p[4] == 0xfd || p[4] == 0xfc) &&
	    !memcmp(p + 5, "SMB", 3))
		return true;
	return len >= 4 && (p[0] == 0x81 || p[0] == 0x82 || p[0] == 0x83 || p[0] == 0x85) && p[1] <= 1;
}

static void sdir_drop(struct smb_state *s, struct sdir *d)
{
	s->cnt.resyncs++;
	d->synced = false;
	d->len = 0;
	d->keep = 0;
	d->skip = 0;
	/* the pipes' DCE/RPC in this direction lost bytes too */
	int dir = d == &s->dir[0] ? 0 : 1;
	for (unsigned p = 0; p < s->npipes; p++)
		if (s->pipes[p].rpc)
			dcerpc_pipe_gap(s->pipes[p].rpc, dir);
}

static bool sdir_reserve(struct sdir *d, uint32_t need)
{
	if (need <= d->cap)
		return true;
	uint32_t cap = d->cap ? d->cap : 1024;
	while (cap < need)
		cap *= 2;
	if (cap > SMB_KEEP_MAX + NB_HEADER)
		cap = SMB_KEEP_MAX + NB_HEADER;
	if (cap < need)
		return false;
	uint8_t *b = realloc(d->buf, cap);
	if (!b)
		return false;
	d->buf = b;
	d->cap = cap;
	return true;
}

static void sdir_release(struct sdir *d)
{
	free(d->buf);
	d->buf = NULL;
	d->cap = d->len = 0;
}

/* In-order bytes of a direction. */
static void feed(struct smb_state *s, struct sdir *d, const uint8_t *p, size_t len, const struct sink *k)
{
	while (len) {
		if (d->skip) { /* the rest of a message read from its head */
			size_t n = len < d->skip ? len : d->skip;
			d->skip -= (uint32_t)n;
			p += n;
			len -= n;
			continue;
		}
		if (!d->synced) {
			if (d->len == 0 && !starts_message(p, len)) {
				if (len >= 4 && !s->ever_message && ++s->sync_fails >= SYNC_TRIES)
					s->not_smb = true;
				return; /* wait for a segment that starts a message */
			}
			d->synced = true;
		}
		if (d->keep == 0) { /* the NetBIOS header first */
			if (d->len == 0 && len >= NB_HEADER) {
				/* most messages: the header is here (no copy) */
			} else {
				size_t n = NB_HEADER - d->len < len ? NB_HEADER - d->len : len;
				if (!sdir_reserve(d, NB_HEADER)) {
					sdir_drop(s, d);
					return;
				}
				memcpy(d->buf + d->len, p, n);
				d->len += (uint32_t)n;
				p += n;
				len -= n;
				if (d->len < NB_HEADER)
					return;
			}
			const uint8_t *hdr = d->len ? d->buf : p;
			uint8_t type = hdr[0];
			uint32_t mlen = (uint32_t)hdr[1] << 16 | (uint32_t)hdr[2] << 8 | hdr[3];
			if (!d->len) {
				p += NB_HEADER;
				len -= NB_HEADER;
			}
			d->len = 0;
			if (type != 0) {
				if (type != 0x81 && type != 0x82 && type != 0x83 && type != 0x84 && type != 0x85) {
					sdir_drop(s, d);
					return;
				}
				d->skip = mlen; /* session request and answers, keepalives: nothing of SMB */
				continue;
			}
			if (mlen < 4) {
				sdir_drop(s, d);
				return;
			}
			d->msg_len = mlen;
			d->keep = mlen < SMB_KEEP_MAX ? mlen : SMB_KEEP_MAX;
			if (len >= mlen) { /* the whole message is in this segment: read it in place */
				on_message(s, k, p, mlen, mlen);
				p += mlen;
				len -= mlen;
				d->keep = 0;
				continue;
			}
		}
		/* gather the kept part of the message */
		if (d->keep > SMB_KEEP_MAX || !sdir_reserve(d, d->keep)) {
			sdir_drop(s, d);
			return;
		}
		size_t n = d->keep - d->len < len ? d->keep - d->len : len;
		bool long_msg = d->msg_len > HEAD_MIN && d->len < HEAD_MIN;
		memcpy(d->buf + d->len, p, n);
		d->len += (uint32_t)n;
		p += n;
		len -= n;
		if (long_msg && d->len >= HEAD_MIN) {
			uint32_t keep = keep_of(s, d->buf, d->len, d->msg_len);
			if (keep < d->len) { /* already more than needed: the extra bytes count as skipped */
				keep = d->len;
			}
			d->keep = keep;
		}
		if (d->len < d->keep)
			continue;
		on_message(s, k, d->buf, d->len, d->msg_len);
		d->skip = d->msg_len - d->len;
		d->keep = 0;
		d->len = 0;
		if (d->cap > 4096)
			sdir_release(d); /* a long message's buffer is not kept between messages */
	}
}

bool smb_tcp_feed(struct smb_state *s, int dir, uint32_t seq, const uint8_t *data, size_t len, smb_event_fn fn,
		  void *ctx)
{
	if (!s || s->not_smb || dir < 0 || dir > 1)
		return false;
	if (!len)
		return true;
	struct sdir *d = &s->dir[dir];
	struct sink k = { fn, ctx, (uint8_t)dir };
	if (!d->seq_known) {
		d->next_seq = seq;
		d->seq_known = true;
	} else {
		uint32_t ahead = seq - d->next_seq, behind = d->next_seq - seq;
		if (ahead & 0x80000000u) { /* a retransmission, maybe with new bytes at its end */
			if (behind >= len)
				return true;
			data += behind;
			len -= behind;
		} else if (ahead) { /* a gap: the message under way cannot be completed */
			sdir_drop(s, d);
			d->next_seq = seq;
		}
	}
	d->next_seq += (uint32_t)len;
	feed(s, d, data, len, &k);
	if (!d->len && d->cap)
		sdir_release(d); /* nothing pending: a connection between messages keeps no buffer */
	return !s->not_smb;
}

struct smb_state *smb_state_new(void)
{
	return calloc(1, sizeof(struct smb_state));
}

void smb_state_free(void *state)
{
	struct smb_state *s = state;
	if (!s)
		return;
	for (int i = 0; i < 2; i++)
		free(s->dir[i].buf);
	for (unsigned p = 0; p < s->npipes; p++)
		dcerpc_state_free(s->pipes[p].rpc);
	free(s);
}

const struct smb_tree *smb_trees(const struct smb_state *s, size_t *n)
{
	*n = s ? s->ntrees : 0;
	return s ? s->trees : NULL;
}

const struct smb_file *smb_files(const struct smb_state *s, size_t *n)
{
	*n = 0;
	if (!s)
		return NULL;
	for (int i = 0; i < SMB_FILES_MAX; i++)
		if (s->file_used[i])
			*n = (size_t)i + 1;
	return s->files;
}

const struct dcerpc_state *smb_pipe_rpc(const struct smb_state *s, const struct smb_file *file)
{
	if (!s || !file || file < s->files || file >= s->files + SMB_FILES_MAX)
		return NULL;
	int i = (int)(file - s->files);
	for (unsigned p = 0; p < s->npipes; p++)
		if (s->pipes[p].file == i)
			return s->pipes[p].rpc;
	return NULL;
}

bool smb_negotiated(const struct smb_state *s, uint8_t *version, uint16_t *dialect, bool *signing_enabled,
		    bool *signing_required)
{
	if (!s || !s->negotiated)
		return false;
	*version = s->neg_version;
	*dialect = s->neg_dialect;
	*signing_enabled = s->neg_sign_enabled;
	*signing_required = s->neg_sign_required;
	return true;
}

const struct smb_counters *smb_counters(const struct smb_state *s)
{
	return &s->cnt;
}

/* ---- one-segment helpers (the engine's first use) ---- */

/* The path of a TREE_CONNECT request whose SMB2 header starts at hdr: its last component. */
static bool share_of(const uint8_t *hdr, size_t len, char *share, size_t sharelen)
{
	uint16_t size, off, plen;
	if (!bytes_le16(hdr, len, SMB2_HEADER_LEN, &size) || size != 9 ||
	    !bytes_le16(hdr, len, SMB2_HEADER_LEN + 4, &off) || !bytes_le16(hdr, len, SMB2_HEADER_LEN + 6, &plen) ||
	    plen == 0 || plen % 2 || off < SMB2_HEADER_LEN + 8 || off > len || plen > len - off)
		return false;
	/* \\server\share: the characters after the last backslash (UTF-16LE) */
	size_t start = off, end = (size_t)off + plen;
	for (size_t i = off; i + 1 < end; i += 2)
		if (hdr[i] == '\\' && hdr[i + 1] == 0)
			start = i + 2;
	if (start >= end || sharelen == 0)
		return false;
	size_t n = 0;
	for (size_t i = start; i + 1 < end && n + 1 < sharelen; i += 2) {
		uint16_t c = (uint16_t)(hdr[i] | hdr[i + 1] << 8);
		share[n++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	share[n] = '\0';
	return n > 0;
}

bool smb_looks_like(const uint8_t *p, size_t len)
{
	uint32_t nb;
	if (len < 8 || p[0] != 0 || !bytes_be32(p, len, 0, &nb) || (nb & 0xffffff) < 4)
		return false;
	return (p[4] == 0xff || p[4] == 0xfe || p[4] == 0xfd) && memcmp(p + 5, "SMB", 3) == 0;
}

bool smb2_tree_connect_share(const uint8_t *p, size_t len, char *share, size_t sharelen)
{
	/* NetBIOS session service: type 0, 24-bit length */
	uint8_t type;
	uint32_t nb;
	if (!bytes_u8(p, len, 0, &type) || type != 0 || !bytes_be32(p, len, 0, &nb))
		return false;
	size_t msg_len = nb & 0xffffff;
	if (msg_len > len - 4)
		msg_len = len - 4; /* the rest of the message is in later segments */
	const uint8_t *m = p + 4;
	size_t left = msg_len;
	for (int i = 0; i < 8; i++) {
		uint16_t hlen, cmd;
		uint32_t flags, next;
		if (left < SMB2_HEADER_LEN || memcmp(m, "\xfeSMB", 4) != 0 || !bytes_le16(m, left, 4, &hlen) ||
		    hlen != SMB2_HEADER_LEN || !bytes_le16(m, left, 12, &cmd) || !bytes_le32(m, left, 16, &flags) ||
		    !bytes_le32(m, left, 20, &next))
			return false;
		size_t this_len = next && next < left ? next : left;
		if (cmd == S2_TREE_CONNECT && !(flags & S2_FLAG_RESPONSE) && share_of(m, this_len, share, sharelen))
			return true;
		if (!next || next >= left || next < SMB2_HEADER_LEN)
			return false;
		m += next;
		left -= next;
	}
	return false;
}

/* ---- fuzzing ---- */

static void fuzz_event(void *ctx, const struct smb_event *ev)
{
	size_t *n = ctx;
	(*n)++;
	if (ev->blob) { /* every byte shown lies in live memory (the sanitizers check) */
		volatile uint8_t x = 0;
		for (size_t i = 0; i < ev->blob_len; i++)
			x ^= ev->blob[i];
		(void)x;
	}
	if (ev->file && strnlen(ev->file->name, SMB_NAME_MAX) >= SMB_NAME_MAX)
		abort();
	if (ev->tree && strnlen(ev->tree->share, SMB_SHARE_MAX) >= SMB_SHARE_MAX)
		abort();
	if (ev->rpc && ev->rpc->auth_value) {
		volatile uint8_t x = 0;
		for (size_t i = 0; i < ev->rpc->auth_len; i++)
			x ^= ev->rpc->auth_value[i];
		(void)x;
	}
}

void smb_fuzz_one(const uint8_t *data, size_t len)
{
	struct smb_state *s = smb_state_new();
	if (!s)
		return;
	size_t off = 0, events = 0;
	uint32_t seq[2] = { 100, 90000 };
	int dir = 0;
	while (off < len) {
		size_t n = 1 + (size_t)data[off] * 7;
		if (n > len - off)
			n = len - off;
		smb_tcp_feed(s, dir, seq[dir], data + off, n, fuzz_event, &events);
		seq[dir] += (uint32_t)n;
		if ((data[off] & 0xf0) == 0xf0)
			seq[dir] += 3; /* a gap */
		off += n;
		dir ^= (data[off - 1] & 1);
	}
	size_t nt, nf;
	smb_trees(s, &nt);
	const struct smb_file *f = smb_files(s, &nf);
	if (nt > SMB_TREES_MAX || nf > SMB_FILES_MAX)
		abort();
	for (size_t i = 0; i < nf; i++)
		(void)smb_pipe_rpc(s, &f[i]);
	smb_state_free(s);
	char share[80];
	smb2_tree_connect_share(data, len, share, sizeof share);
	smb_looks_like(data, len);
}

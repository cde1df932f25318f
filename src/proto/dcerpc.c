/* dcerpc.c: DCE/RPC presentation contexts, calls, auth verifiers, endpoint mapper towers (NDR and NDR64) and DCOM
 * string bindings, read passively ([C706] 12.6, [MS-RPCE] 2.2, [MS-DCOM] 2.2.19). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/bytes.h"
#include "proto/dcerpc.h"

#define STREAM_MAX 65536u      /* bytes kept per direction while a PDU is incomplete */
#define CALL_MAX 65536u        /* stub bytes of one fragmented answer that is read */
#define CALLS_MAX 16           /* calls remembered (call id -> context, opnum) until answered */
#define PENDING_MAX 32         /* contexts of one bind awaiting their results */
#define SYNC_TRIES 4           /* segments that may fail to start a PDU before the stream is given up */
#define EPS_MAX 32             /* endpoints read from one answer */

enum ptype {
	PT_REQUEST = 0, PT_RESPONSE = 2, PT_FAULT = 3, PT_BIND = 11, PT_BIND_ACK = 12, PT_BIND_NAK = 13,
	PT_ALTER = 14, PT_ALTER_RESP = 15, PT_AUTH3 = 16
};
#define PFC_FIRST_FRAG 0x01
#define PFC_LAST_FRAG 0x02
#define PFC_OBJECT_UUID 0x80

/* Interfaces whose answers announce endpoints, and transfer syntaxes (protocol facts, canonical byte order). */
static const uint8_t UUID_EPM[16] = { 0xe1, 0xaf, 0x83, 0x08, 0x5d, 0x1f, 0x11, 0xc9,
				      0x91, 0xa4, 0x08, 0x00, 0x2b, 0x14, 0xa0, 0xfa };
static const uint8_t UUID_ISYSTEMACTIVATOR[16] = { 0x00, 0x00, 0x01, 0xa0, 0x00, 0x00, 0x00, 0x00,
						   0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x46 };
static const uint8_t UUID_IOBJECTEXPORTER[16] = { 0x99, 0xfc, 0xfe, 0xc4, 0x52, 0x60, 0x10, 0x1b,
						  0xbb, 0xcb, 0x00, 0xaa, 0x00, 0x21, 0x34, 0x7a };
static const uint8_t UUID_IREMOTEACTIVATION[16] = { 0x4d, 0x9f, 0x4a, 0xb8, 0x7d, 0x1c, 0x11, 0xcf,
						    0x86, 0x1e, 0x00, 0x20, 0xaf, 0x6e, 0x7c, 0x57 };
static const uint8_t UUID_NDR[16] = { 0x8a, 0x88, 0x5d, 0x04, 0x1c, 0xeb, 0x11, 0xc9,
				      0x9f, 0xe8, 0x08, 0x00, 0x2b, 0x10, 0x48, 0x60 };
static const uint8_t UUID_NDR64[16] = { 0x71, 0x71, 0x05, 0x33, 0xbe, 0xba, 0x49, 0x37,
					0x83, 0x19, 0xb5, 0xdb, 0xef, 0x9c, 0xcc, 0x36 };
/* bind time feature negotiation: 6cb71c2c-9812-4540-, then 8 bytes of feature bits */
static const uint8_t UUID_BTFN_PREFIX[8] = { 0x6c, 0xb7, 0x1c, 0x2c, 0x98, 0x12, 0x45, 0x40 };

/* One direction of the byte stream. Invariant: len <= cap <= STREAM_MAX; buf is NULL when cap is 0; synced means
 * buf starts at a PDU boundary. */
struct direction {
	uint8_t *buf;
	uint32_t len, cap;
	uint32_t next_seq;       /* TCP only */
	bool synced;
	bool seq_known;          /* TCP only: next_seq is meaningful */
	/* the answer being reassembled (several fragments of one call); call_keep says whether it is kept */
	uint8_t *call;
	uint32_t call_len, call_cap;
	uint32_t call_id;
	bool in_call, call_keep;
};

struct call {
	uint32_t call_id;
	uint16_t ctx_id, opnum;
	bool used;
};

struct dcerpc_state {
	struct direction dir[2];
	struct dcerpc_context ctx[DCERPC_CONTEXTS_MAX];
	unsigned nctx;
	int8_t pending[PENDING_MAX]; /* the last bind's contexts, in order: index into ctx, or -1 (not kept) */
	unsigned npending;
	struct call calls[CALLS_MAX];
	unsigned next_call;      /* the slot the next call takes (the oldest) */
	struct dcerpc_counters cnt;
	bool has_auth;
	uint8_t auth_type, auth_level;
	bool scan_unbound;
	bool ever_pdu;           /* a PDU was cut out of this stream */
	unsigned sync_fails;
	bool not_rpc;
};

/* what one feed call reports to */
struct sink {
	dcerpc_event_fn fn;
	void *ctx;
	uint8_t dir;
};

static void emit(const struct sink *k, struct dcerpc_event *ev)
{
	ev->dir = k->dir;
	if (k->fn)
		k->fn(k->ctx, ev);
}

/* ---- UUIDs ---- */

/* A GUID as stored on the wire: the first three fields in the given byte order, the rest as bytes. */
static void uuid_from_wire(const uint8_t *w, bool le, uint8_t out[16])
{
	if (le) {
		out[0] = w[3], out[1] = w[2], out[2] = w[1], out[3] = w[0];
		out[4] = w[5], out[5] = w[4];
		out[6] = w[7], out[7] = w[6];
	} else {
		memcpy(out, w, 8);
	}
	memcpy(out + 8, w + 8, 8);
}

static int hexval(char a)
{
	return a >= '0' && a <= '9' ? a - '0' : a >= 'a' && a <= 'f' ? a - 'a' + 10 : a >= 'A' && a <= 'F' ? a - 'A' + 10 : -1;
}

bool uuid_parse(const char *s, uint8_t out[16])
{
	static const int dash[] = { 8, 13, 18, 23 };
	if (strlen(s) != 36)
		return false;
	for (int i = 0; i < 4; i++)
		if (s[dash[i]] != '-')
			return false;
	int k = 0;
	for (int i = 0; i < 36 && k < 16; i++) {
		if (s[i] == '-')
			continue;
		int hi = hexval(s[i]), lo = hexval(s[i + 1]);
		if (hi < 0 || lo < 0)
			return false;
		out[k++] = (uint8_t)(hi << 4 | lo);
		i++;
	}
	return k == 16;
}

const char *uuid_format(const uint8_t u[16], char out[UUID_STR_LEN])
{
	/* the bytes as they are stored, in hex, dashes after bytes 4, 6, 8 and 10 (by hand: snprintf's sixteen
	 * conversions showed in profiles, several per RPC flow) */
	static const char hex[] = "0123456789abcdef";
	char *o = out;
	for (int i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			*o++ = '-';
		*o++ = hex[u[i] >> 4];
		*o++ = hex[u[i] & 15];
	}
	*o = '\0';
	return out;
}

const char *dcerpc_syntax_name(uint8_t syntax)
{
	switch (syntax) {
	case DCERPC_SYNTAX_NDR: return "NDR";
	case DCERPC_SYNTAX_NDR64: return "NDR64";
	case DCERPC_SYNTAX_BTFN: return "bind-time-feature-negotiation";
	case DCERPC_SYNTAX_OTHER: return "other";
	default: return "none";
	}
}

static uint8_t syntax_of(const uint8_t uuid[16], uint32_t version)
{
	if (!memcmp(uuid, UUID_NDR, 16) && version == 2)
		return DCERPC_SYNTAX_NDR;
	if (!memcmp(uuid, UUID_NDR64, 16) && version == 1)
		return DCERPC_SYNTAX_NDR64;
	if (!memcmp(uuid, UUID_BTFN_PREFIX, 8))
		return DCERPC_SYNTAX_BTFN;
	return DCERPC_SYNTAX_OTHER;
}

/* ---- towers and string bindings ---- */

/* A protocol tower at p (floor count, then floors: LHS length, LHS, RHS length, RHS; little-endian lengths).
 * Accepted only when every floor fits and floor 1 is an interface UUID and a TCP or UDP port floor exists. */
static bool parse_tower(const uint8_t *p, size_t len, struct dcerpc_endpoint *ep, size_t *used)
{
	struct cursor c = cursor_make(p, len);
	uint16_t floors;
	if (!cursor_le16(&c, &floors) || floors < 3 || floors > 8)
		return false;
	memset(ep, 0, sizeof *ep);
	bool have_port = false;
	for (unsigned f = 0; f < floors; f++) {
		uint16_t lhs_len, rhs_len;
		struct cursor lhs, rhs;
		uint8_t id;
		if (!cursor_le16(&c, &lhs_len) || lhs_len == 0 || lhs_len > 64 || !cursor_take(&c, lhs_len, &lhs) ||
		    !cursor_le16(&c, &rhs_len) || rhs_len > 64 || !cursor_take(&c, rhs_len, &rhs) || !cursor_u8(&lhs, &id))
			return false;
		if (f == 0) {
			/* 0x0d, UUID (little-endian fields), major version; RHS: minor version */
			uint8_t w[16];
			if (id != 0x0d || lhs_len != 19 || rhs_len != 2 || !cursor_copy(&lhs, w, 16))
				return false;
			uuid_from_wire(w, true, ep->uuid);
			ep->has_uuid = true;
		} else if ((id == 0x07 || id == 0x08) && lhs_len == 1 && rhs_len == 2) {
			ep->proto = id == 0x07 ? 6 : 17;
			(void)cursor_be16(&rhs, &ep->port);
			have_port = ep->port != 0;
		} else if (id == 0x09 && lhs_len == 1 && rhs_len == 4) {
			(void)cursor_copy(&rhs, ep->addr, 4);
			ep->has_addr = true;
		}
	}
	*used = (size_t)(c.p - p);
	ep->source = DCERPC_FROM_EPM;
	return have_port;
}

size_t dcerpc_scan_towers(const uint8_t *stub, size_t len, struct dcerpc_endpoint *out, size_t max)
{
	size_t n = 0;
	for (size_t i = 0; i + 2 <= len;) {
		struct dcerpc_endpoint ep;
		size_t used;
		if (parse_tower(stub + i, len - i, &ep, &used)) {
			if (n < max)
				out[n] = ep;
			n++;
			i += used;
		} else {
			i++;
		}
	}
	return n;
}

/* NDR64 reading: every primitive aligned to its size from the stub's start, pointers and counts 8 bytes. */
struct ndr64 {
	struct cursor c;
	const uint8_t *base;
};

static bool n64_align(struct ndr64 *r, size_t a)
{
	size_t off = (size_t)(r->c.p - r->base), pad = (a - off % a) % a;
	return cursor_skip(&r->c, pad);
}

static bool n64_u32(struct ndr64 *r, uint32_t *v)
{
	return n64_align(r, 4) && cursor_le32(&r->c, v);
}

static bool n64_u64(struct ndr64 *r, uint64_t *v)
{
	uint32_t lo, hi;
	if (!n64_align(r, 8) || !cursor_le32(&r->c, &lo) || !cursor_le32(&r->c, &hi))
		return false;
	*v = (uint64_t)hi << 32 | lo;
	return true;
}

/* One deferred twr_t: conformance (8), tower_length (4), the octets. */
static bool n64_tower(struct ndr64 *r, struct dcerpc_endpoint *ep, bool *has_port)
{
	uint64_t conf;
	uint32_t tlen;
	struct cursor t;
	size_t used;
	if (!n64_u64(r, &conf) || !cursor_le32(&r->c, &tlen) || conf != tlen || !cursor_take(&r->c, tlen, &t))
		return false;
	*has_port = parse_tower(t.p, cursor_left(&t), ep, &used);
	ep->ndr64 = true;
	return true;
}

size_t dcerpc_epm_ndr64_towers(const uint8_t *stub, size_t len, uint16_t opnum, struct dcerpc_endpoint *out,
			       size_t max)
{
	struct ndr64 r = { cursor_make(stub, len), stub };
	uint32_t count;
	uint64_t max_count, offset, actual;
	/* context handle (20 bytes), num_towers / num_ents, then the conformant varying array */
	if ((opnum != 2 && opnum != 3) || !cursor_skip(&r.c, 20) || !n64_u32(&r, &count) || !n64_u64(&r, &max_count) ||
	    !n64_u64(&r, &offset) || !n64_u64(&r, &actual) || offset != 0 || actual != count || actual > max_count ||
	    actual > 500)
		return 0;
	uint64_t referents = 0; /* non-null tower pointers, whose towers follow the array */
	for (uint64_t i = 0; i < actual; i++) {
		uint64_t ref;
		if (opnum == 2) { /* ept_entry_t: object UUID, tower pointer, annotation (varying string) */
			uint64_t aoff, alen;
			if (!n64_align(&r, 8) || !cursor_skip(&r.c, 16) || !n64_u64(&r, &ref) || !n64_u64(&r, &aoff) ||
			    !n64_u64(&r, &alen) || aoff != 0 || alen > 64 || !cursor_skip(&r.c, (size_t)alen))
				return 0;
		} else if (!n64_u64(&r, &ref)) {
			return 0;
		}
		referents += ref != 0;
	}
	size_t n = 0;
	for (uint64_t i = 0; i < referents; i++) {
		struct dcerpc_endpoint ep;
		bool port;
		if (!n64_tower(&r, &ep, &port))
			return 0;
		if (port) {
			if (n < max)
				out[n] = ep;
			n++;
		}
	}
	uint32_t status;
	return n64_u32(&r, &status) ? n : 0; /* the answer must end with its status */
}

/* The text of a NUL-terminated UTF-16LE printable ASCII string at c, into text (at most cap-1 characters).
 * False when a character is not printable ASCII or the string is not terminated within c. */
static bool utf16_ascii(struct cursor *c, char *text, size_t cap, size_t *n)
{
	*n = 0;
	for (;;) {
		uint16_t ch;
		if (!cursor_le16(c, &ch))
			return false;
		if (ch == 0)
			break;
		if (ch < 0x20 || ch > 0x7e || *n + 1 >= cap)
			return false;
		text[(*n)++] = (char)ch;
	}
	text[*n] = '\0';
	return true;
}

/* "host[port]" -> endpoint (port required; an IPv4 host is kept as the address). */
static bool binding_endpoint(char *text, struct dcerpc_endpoint *ep)
{
	char *open = strchr(text, '['), *close = strchr(text, ']');
	if (!open || !close || close < open || close[1] != '\0' || open == text || close == open + 1)
		return false;
	unsigned port = 0;
	for (char *d = open + 1; d < close; d++) {
		if (*d < '0' || *d > '9' || port > 65535)
			return false;
		port = port * 10 + (unsigned)(*d - '0');
	}
	if (port == 0 || port > 65535)
		return false;
	memset(ep, 0, sizeof *ep);
	ep->source = DCERPC_FROM_DCOM;
	ep->proto = 6;
	ep->port = (uint16_t)port;
	*open = '\0';
	unsigned a[4];
	char tail;
	if (sscanf(text, "%u.%u.%u.%u%c", &a[0], &a[1], &a[2], &a[3], &tail) == 4 && a[0] < 256 && a[1] < 256 &&
	    a[2] < 256 && a[3] < 256) {
		for (int i = 0; i < 4; i++)
			ep->addr[i] = (uint8_t)a[i];
		ep->has_addr = true;
	}
	return true;
}

/* One string binding at p: tower id 0x0007 (ncacn_ip_tcp), then a NUL-terminated UTF-16LE "host[port]". */
static bool parse_binding(const uint8_t *p, size_t len, struct dcerpc_endpoint *ep)
{
	struct cursor c = cursor_make(p, len);
	uint16_t tower;
	char text[260];
	size_t n;
	if (len < 2 + 2 * 4 || !cursor_le16(&c, &tower) || tower != 0x0007 || !utf16_ascii(&c, text, sizeof text, &n))
		return false;
	return binding_endpoint(text, ep);
}

/* Adds ep to out unless the same address and port is there already (one binding per address of a host). */
static void add_unique(struct dcerpc_endpoint *out, size_t max, size_t *n, const struct dcerpc_endpoint *ep)
{
	for (size_t k = 0; k < *n && k < max; k++)
		if (out[k].port == ep->port && out[k].has_addr == ep->has_addr && !memcmp(out[k].addr, ep->addr, 4))
			return;
	if (*n < max)
		out[*n] = *ep;
	(*n)++;
}

size_t dcom_scan_bindings(const uint8_t *stub, size_t len, struct dcerpc_endpoint *out, size_t max)
{
	size_t n = 0;
	for (size_t i = 0; i + 2 <= len; i++) {
		struct dcerpc_endpoint ep;
		if (stub[i] == 0x07 && stub[i + 1] == 0x00 && parse_binding(stub + i, len - i, &ep))
			add_unique(out, max, &n, &ep);
	}
	return n;
}

/* The whole DUALSTRINGARRAY whose wNumEntries is at p, or false. Its ncacn_ip_tcp endpoints are added to out. */
static bool dualstringarray(const uint8_t *p, size_t len, struct dcerpc_endpoint *out, size_t max, size_t *n,
			    size_t *used)
{
	struct cursor c = cursor_make(p, len), a;
	uint16_t entries, sec;
	if (!cursor_le16(&c, &entries) || !cursor_le16(&c, &sec) || entries < 4 || entries > 2048 || sec < 1 ||
	    sec >= entries || !cursor_take(&c, (size_t)entries * 2, &a))
		return false;
	struct dcerpc_endpoint eps[8];
	size_t neps = 0, bindings = 0;
	/* string bindings: {wTowerId, text, 0x0000} ... then 0x0000 at unit sec - 1 */
	for (;;) {
		size_t unit = (size_t)(a.p - p - 4) / 2;
		uint16_t tower;
		if (!cursor_le16(&a, &tower))
			return false;
		if (tower == 0) {
			if (unit != (size_t)sec - 1)
				return false;
			break;
		}
		char text[260];
		size_t tn;
		/* protocol sequence ids of [C706] appendix I and [MS-RPCE] 2.2.2.1 are small numbers */
		if (tower > 0x20 || unit >= sec || !utf16_ascii(&a, text, sizeof text, &tn) || tn == 0 ||
		    (size_t)(a.p - p - 4) / 2 > sec)
			return false;
		bindings++;
		struct dcerpc_endpoint ep;
		if (tower == 0x0007 && strchr(text, '[') && binding_endpoint(text, &ep) && neps < 8)
			eps[neps++] = ep;
		else if (tower == 0x0007 && strchr(text, '['))
			return false; /* a bracket that does not hold a port */
	}
	/* security bindings: {wAuthnSvc != 0, wAuthzSvc, principal name, 0x0000} ... then 0x0000 at the last unit */
	for (;;) {
		size_t unit = (size_t)(a.p - p - 4) / 2;
		uint16_t authn, authz;
		if (!cursor_le16(&a, &authn))
			return false;
		if (authn == 0) {
			if (unit != (size_t)entries - 1)
				return false;
			break;
		}
		char text[260];
		size_t tn;
		if (!cursor_le16(&a, &authz) || !utf16_ascii(&a, text, sizeof text, &tn))
			return false;
	}
	if (!bindings)
		return false;
	for (size_t i = 0; i < neps; i++) {
		eps[i].unbound = true;
		add_unique(out, max, n, &eps[i]);
	}
	*used = 4 + (size_t)entries * 2;
	return true;
}

size_t dcom_scan_unbound(const uint8_t *stub, size_t len, struct dcerpc_endpoint *out, size_t max)
{
	size_t n = 0;
	for (size_t i = 0; i + 12 <= len;) {
		size_t used;
		if (dualstringarray(stub + i, len - i, out, max, &n, &used))
			i += used;
		else
			i++;
	}
	return n;
}

/* ---- connection-oriented PDUs ---- */

static bool pdu_le(const uint8_t *p)
{
	return (p[4] & 0xf0) == 0x10;
}

bool dcerpc_looks_like_co(const uint8_t *d, size_t len)
{
	if (len < 16 || d[0] != 5 || d[1] > 1 || d[2] > 20 || (d[4] & 0xf0) > 0x10)
		return false;
	uint16_t frag;
	if (!(pdu_le(d) ? bytes_le16(d, len, 8, &frag) : bytes_be16(d, len, 8, &frag)))
		return false;
	return frag >= 16;
}

static bool rd16(struct cursor *c, bool le, uint16_t *v)
{
	return le ? cursor_le16(c, v) : cursor_be16(c, v);
}

static bool rd32(struct cursor *c, bool le, uint32_t *v)
{
	return le ? cursor_le32(c, v) : cursor_be32(c, v);
}

/* The newest context with that id (a later bind of the same id supersedes the earlier one). */
static struct dcerpc_context *ctx_find(struct dcerpc_state *s, uint16_t id)
{
	for (unsigned i = s->nctx; i-- > 0;)
		if (s->ctx[i].ctx_id == id && !s->ctx[i].superseded)
			return &s->ctx[i];
	return NULL;
}

static void on_bind(struct dcerpc_state *s, struct cursor c, bool le, bool alter, const struct sink *k)
{
	uint8_t nctx;
	if (!cursor_skip(&c, 8) || !cursor_u8(&c, &nctx) || !cursor_skip(&c, 3)) {
		s->cnt.bad_pdus++;
		return;
	}
	s->npending = 0;
	for (unsigned i = 0; i < nctx; i++) {
		uint16_t id, vmaj, vmin;
		uint8_t ntrans, w[16], uuid[16];
		if (!rd16(&c, le, &id) || !cursor_u8(&c, &ntrans) || !cursor_skip(&c, 1) || !cursor_copy(&c, w, 16) ||
		    !rd16(&c, le, &vmaj) || !rd16(&c, le, &vmin)) {
			s->cnt.bad_pdus++;
			return;
		}
		uuid_from_wire(w, le, uuid);
		uint8_t offered = 0;
		for (unsigned t = 0; t < ntrans; t++) {
			uint8_t tw[16], tu[16];
			uint32_t tv;
			if (!cursor_copy(&c, tw, 16) || !rd32(&c, le, &tv)) {
				s->cnt.bad_pdus++;
				return;
			}
			uuid_from_wire(tw, le, tu);
			offered |= (uint8_t)DCERPC_OFFER(syntax_of(tu, tv));
		}
		struct dcerpc_context *x = ctx_find(s, id);
		if (x && (memcmp(x->uuid, uuid, 16) || x->ver_major != vmaj || x->ver_minor != vmin)) {
			x->superseded = true; /* the id now names another interface */
			x = NULL;
		}
		if (!x) {
			if (s->nctx == DCERPC_CONTEXTS_MAX) {
				s->cnt.contexts_dropped++;
				if (s->npending < PENDING_MAX)
					s->pending[s->npending++] = -1;
				continue;
			}
			x = &s->ctx[s->nctx++];
			memset(x, 0, sizeof *x);
			x->ctx_id = id;
			memcpy(x->uuid, uuid, 16);
			x->ver_major = vmaj;
			x->ver_minor = vmin;
			x->alter = alter;
		}
		x->offered |= offered;
		if (s->npending < PENDING_MAX)
			s->pending[s->npending++] = (int8_t)(x - s->ctx);
		struct dcerpc_event ev = { .kind = DCERPC_EV_CONTEXT, .ptype = alter ? PT_ALTER : PT_BIND, .ctx_id = id,
					   .opnum = 0xffff, .context = x };
		emit(k, &ev);
	}
}

/* bind_ack / alter_context_resp: the results of the pending contexts, in order. */
static void on_bind_ack(struct dcerpc_state *s, struct cursor c, bool le, const uint8_t *pdu, uint8_t ptype,
			const struct sink *k)
{
	uint16_t addr_len;
	uint8_t nres;
	if (!cursor_skip(&c, 8) || !rd16(&c, le, &addr_len) || !cursor_skip(&c, addr_len)) {
		s->cnt.bad_pdus++;
		return;
	}
	size_t off = (size_t)(c.p - pdu);
	if (!cursor_skip(&c, (4 - off % 4) % 4) || !cursor_u8(&c, &nres) || !cursor_skip(&c, 3)) {
		s->cnt.bad_pdus++;
		return;
	}
	for (unsigned i = 0; i < nres; i++) {
		uint16_t result, reason;
		uint8_t tw[16], tu[16];
		uint32_t tv;
		if (!rd16(&c, le, &result) || !rd16(&c, le, &reason) || !cursor_copy(&c, tw, 16) || !rd32(&c, le, &tv)) {
			s->cnt.bad_pdus++;
			break;
		}
		if (i >= s->npending || s->pending[i] < 0)
			continue;
		struct dcerpc_context *x = &s->ctx[s->pending[i]];
		x->has_ack = true;
		x->ack_result = result;
		x->ack_reason = reason;
		uuid_from_wire(tw, le, tu);
		x->accepted = result == DCERPC_ACK_ACCEPTANCE ? syntax_of(tu, tv) : DCERPC_SYNTAX_NONE;
		struct dcerpc_event ev = { .kind = DCERPC_EV_ACK, .ptype = ptype, .ctx_id = x->ctx_id, .opnum = 0xffff,
					   .context = x };
		emit(k, &ev);
	}
	s->npending = 0;
}

/* bind_nak: every context of the bind is refused ([C706] 12.6.4.5: the association is rejected). */
static void on_bind_nak(struct dcerpc_state *s, struct cursor c, bool le, const struct sink *k)
{
	uint16_t reason = 0;
	(void)rd16(&c, le, &reason);
	for (unsigned i = 0; i < s->npending; i++) {
		if (s->pending[i] < 0)
			continue;
		struct dcerpc_context *x = &s->ctx[s->pending[i]];
		x->has_ack = true;
		x->ack_result = DCERPC_ACK_PROVIDER_REJECTION;
		x->ack_reason = reason;
		x->accepted = DCERPC_SYNTAX_NONE;
		struct dcerpc_event ev = { .kind = DCERPC_EV_ACK, .ptype = PT_BIND_NAK, .ctx_id = x->ctx_id,
					   .opnum = 0xffff, .context = x };
		emit(k, &ev);
	}
	s->npending = 0;
}

static struct call *call_find(struct dcerpc_state *s, uint32_t call_id)
{
	for (unsigned i = 0; i < CALLS_MAX; i++)
		if (s->calls[i].used && s->calls[i].call_id == call_id)
			return &s->calls[i];
	return NULL;
}

/* The verifier at the end of a PDU of frag bytes ([MS-RPCE] 2.2.2.11): its type and level, and where its value
 * lies. False when auth_len is 0 or does not fit. */
static bool verifier(const uint8_t *pdu, size_t frag, uint16_t auth_len, size_t body_start, uint8_t *type,
		     uint8_t *level, size_t *value_off)
{
	if (!auth_len || (size_t)auth_len + 8 > frag - body_start)
		return false;
	size_t off = frag - auth_len - 8;
	if (!bytes_u8(pdu, frag, off, type) || !bytes_u8(pdu, frag, off + 1, level))
		return false;
	*value_off = off + 8;
	return true;
}

static void on_request(struct dcerpc_state *s, struct cursor c, bool le, uint32_t call_id, uint8_t flags,
		       size_t stub_len, const struct sink *k, uint8_t atype, uint8_t alevel)
{
	uint16_t ctx_id, opnum;
	if (!cursor_skip(&c, 4) || !rd16(&c, le, &ctx_id) || !rd16(&c, le, &opnum)) {
		s->cnt.bad_pdus++;
		return;
	}
	if (!(flags & PFC_FIRST_FRAG))
		return; /* the first fragment carries the call's opnum */
	struct call *cl = call_find(s, call_id);
	if (!cl) {
		cl = &s->calls[s->next_call];
		if (cl->used)
			s->cnt.calls_dropped++;
		s->next_call = (s->next_call + 1) % CALLS_MAX;
	}
	cl->used = true;
	cl->call_id = call_id;
	cl->ctx_id = ctx_id;
	cl->opnum = opnum;
	struct dcerpc_context *x = ctx_find(s, ctx_id);
	if (x) {
		x->requests++;
		if (opnum < 128)
			x->opnums[opnum / 8] |= (uint8_t)(1u << (opnum % 8));
		else
			x->opnums_high++;
	}
	struct dcerpc_event ev = { .kind = DCERPC_EV_REQUEST, .ptype = PT_REQUEST, .ctx_id = ctx_id, .opnum = opnum,
				   .call_id = call_id, .stub_len = (uint32_t)stub_len, .context = x,
				   .auth_type = atype, .auth_level = alevel };
	emit(k, &ev);
}

/* Whether the answer to a call on context x with opnum is read for endpoints (x NULL: the interface is unknown). */
static bool answer_wanted(const struct dcerpc_state *s, const struct dcerpc_context *x, int opnum)
{
	if (!x)
		return s->scan_unbound;
	if (!memcmp(x->uuid, UUID_EPM, 16))
		return opnum == 2 || opnum == 3;
	if (!memcmp(x->uuid, UUID_ISYSTEMACTIVATOR, 16))
		return opnum == 3 || opnum == 4;
	if (!memcmp(x->uuid, UUID_IOBJECTEXPORTER, 16))
		return opnum == 0 || opnum == 4;
	if (!memcmp(x->uuid, UUID_IREMOTEACTIVATION, 16))
		return opnum == 0;
	return false;
}

/* A complete answer's stub: endpoint mapper and DCOM answers announce endpoints. */
static void on_answer(struct dcerpc_state *s, uint32_t call_id, const uint8_t *stub, size_t len, const struct sink *k)
{
	struct call *cl = call_find(s, call_id);
	struct dcerpc_context *x = cl ? ctx_find(s, cl->ctx_id) : NULL;
	int opnum = cl ? cl->opnum : -1;
	if (cl)
		cl->used = false;
	struct dcerpc_endpoint eps[EPS_MAX];
	size_t n = 0;
	if (!x) {
		if (s->scan_unbound)
			n = dcom_scan_unbound(stub, len, eps, EPS_MAX);
	} else if (!memcmp(x->uuid, UUID_EPM, 16)) {
		if (x->accepted == DCERPC_SYNTAX_NDR64)
			n = dcerpc_epm_ndr64_towers(stub, len, (uint16_t)opnum, eps, EPS_MAX);
		if (!n) /* NDR, or an NDR64 answer that did not parse as such: the towers by their own shape */
			n = dcerpc_scan_towers(stub, len, eps, EPS_MAX);
	} else {
		n = dcom_scan_bindings(stub, len, eps, EPS_MAX);
	}
	for (size_t i = 0; i < n && i < EPS_MAX; i++) {
		struct dcerpc_event ev = { .kind = DCERPC_EV_ENDPOINT, .ptype = PT_RESPONSE, .call_id = call_id,
					   .ctx_id = x ? x->ctx_id : 0xffff, .opnum = (uint16_t)opnum, .context = x,
					   .endpoint = &eps[i] };
		emit(k, &ev);
	}
}

static bool call_append(struct direction *d, const uint8_t *p, size_t n, struct dcerpc_counters *cnt)
{
	if (n > CALL_MAX - d->call_len) {
		n = CALL_MAX - d->call_len;
		cnt->answers_cut++;
	}
	if (d->call_len + n > d->call_cap) {
		uint32_t cap = d->call_cap ? d->call_cap : 1024;
		while (cap < d->call_len + n)
			cap *= 2;
		if (cap > CALL_MAX)
			cap = CALL_MAX;
		uint8_t *b = realloc(d->call, cap);
		if (!b)
			return false;
		d->call = b;
		d->call_cap = cap;
	}
	if (n)
		memcpy(d->call + d->call_len, p, n);
	d->call_len += (uint32_t)n;
	return true;
}

static void call_release(struct direction *d)
{
	free(d->call);
	d->call = NULL;
	d->call_len = d->call_cap = 0;
	d->in_call = false;
}

static void on_response(struct dcerpc_state *s, struct direction *d, struct cursor c, uint32_t call_id, uint8_t flags,
			size_t stub_len, const struct sink *k)
{
	if (!cursor_skip(&c, 8) || stub_len > cursor_left(&c)) {
		s->cnt.bad_pdus++;
		return;
	}
	if (flags & PFC_FIRST_FRAG) { /* a new answer */
		struct call *cl = call_find(s, call_id);
		struct dcerpc_context *x = cl ? ctx_find(s, cl->ctx_id) : NULL;
		d->call_len = 0;
		d->in_call = true;
		d->call_id = call_id;
		d->call_keep = answer_wanted(s, x, cl ? cl->opnum : -1);
	}
	if (!d->in_call || d->call_id != call_id)
		return;
	if (d->call_keep && !call_append(d, c.p, stub_len, &s->cnt))
		d->call_keep = false;
	if (flags & PFC_LAST_FRAG) {
		if (d->call_keep)
			on_answer(s, call_id, d->call, d->call_len, k);
		else if (call_find(s, call_id))
			call_find(s, call_id)->used = false;
		call_release(d);
	}
}

static void on_fault(struct dcerpc_state *s, struct cursor c, bool le, uint32_t call_id, const struct sink *k)
{
	uint32_t status = 0;
	uint16_t ctx_id = 0xffff;
	if (!cursor_skip(&c, 4) || !rd16(&c, le, &ctx_id) || !cursor_skip(&c, 2) || !rd32(&c, le, &status)) {
		s->cnt.bad_pdus++;
		return;
	}
	struct call *cl = call_find(s, call_id);
	struct dcerpc_event ev = { .kind = DCERPC_EV_FAULT, .ptype = PT_FAULT, .call_id = call_id,
				   .ctx_id = cl ? cl->ctx_id : ctx_id, .opnum = cl ? cl->opnum : 0xffff,
				   .status = status, .context = cl ? ctx_find(s, cl->ctx_id) : NULL };
	if (cl)
		cl->used = false;
	emit(k, &ev);
}

static void on_pdu(struct dcerpc_state *s, struct direction *d, const uint8_t *p, size_t len, const struct sink *k)
{
	bool le = pdu_le(p);
	uint8_t pt = p[2], flags = p[3];
	uint16_t auth_len = 0;
	uint32_t call_id = 0;
	(void)(le ? bytes_le16(p, len, 10, &auth_len) : bytes_be16(p, len, 10, &auth_len));
	(void)(le ? bytes_le32(p, len, 12, &call_id) : bytes_be32(p, len, 12, &call_id));
	s->cnt.pdus++;
	s->ever_pdu = true;
	struct cursor body = cursor_make(p + 16, len - 16);
	/* the body's own start: request and response stubs begin at 24 (40 with an object UUID) */
	size_t stub_start = 24 + (pt == PT_REQUEST && (flags & PFC_OBJECT_UUID) ? 16 : 0);
	uint8_t atype = 0, alevel = 0;
	size_t voff = 0;
	bool has_v = verifier(p, len, auth_len, pt == PT_REQUEST || pt == PT_RESPONSE ? stub_start : 16, &atype, &alevel,
			      &voff);
	if (auth_len && !has_v) {
		s->cnt.bad_pdus++;
		return;
	}
	if (has_v) {
		if (!s->has_auth) {
			s->has_auth = true;
			s->auth_type = atype;
			s->auth_level = alevel;
		}
		struct dcerpc_event ev = { .kind = DCERPC_EV_AUTH, .ptype = pt, .call_id = call_id, .opnum = 0xffff,
					   .auth_type = atype, .auth_level = alevel, .auth_value = p + voff,
					   .auth_len = auth_len };
		emit(k, &ev);
	}
	/* the stub lies between its start and the verifier (whose header is 8 bytes) */
	size_t stub_end = has_v ? len - auth_len - 8 : len;
	size_t stub_len = stub_end > stub_start ? stub_end - stub_start : 0;
	switch (pt) {
	case PT_BIND:
	case PT_ALTER: on_bind(s, body, le, pt == PT_ALTER, k); break;
	case PT_BIND_ACK:
	case PT_ALTER_RESP: on_bind_ack(s, body, le, p, pt, k); break;
	case PT_BIND_NAK: on_bind_nak(s, body, le, k); break;
	case PT_REQUEST: on_request(s, body, le, call_id, flags, stub_len, k, atype, alevel); break;
	case PT_RESPONSE: on_response(s, d, body, call_id, flags, stub_len, k); break;
	case PT_FAULT: on_fault(s, body, le, call_id, k); break;
	default: break;
	}
}

struct dcerpc_state *dcerpc_state_new(void)
{
	return calloc(1, sizeof(struct dcerpc_state));
}

void dcerpc_state_free(void *state)
{
	struct dcerpc_state *s = state;
	if (!s)
		return;
	for (int i = 0; i < 2; i++) {
		free(s->dir[i].buf);
		free(s->dir[i].call);
	}
	free(s);
}

void dcerpc_scan_unbound(struct dcerpc_state *s, bool on)
{
	if (s)
		s->scan_unbound = on;
}

bool dcerpc_bound_interface(const struct dcerpc_state *s, uint8_t uuid[16])
{
	if (!s || !s->nctx)
		return false;
	memcpy(uuid, s->ctx[0].uuid, 16);
	return true;
}

const struct dcerpc_context *dcerpc_contexts(const struct dcerpc_state *s, size_t *n)
{
	*n = s ? s->nctx : 0;
	return s ? s->ctx : NULL;
}

bool dcerpc_auth(const struct dcerpc_state *s, uint8_t *auth_type, uint8_t *auth_level)
{
	if (!s || !s->has_auth)
		return false;
	*auth_type = s->auth_type;
	*auth_level = s->auth_level;
	return true;
}

const struct dcerpc_counters *dcerpc_counters(const struct dcerpc_state *s)
{
	return &s->cnt;
}

static void dir_drop(struct direction *d)
{
	d->synced = false;
	d->len = 0;
	if (d->in_call)
		call_release(d); /* the answer's middle was lost */
}

static bool append(struct direction *d, const uint8_t *data, size_t len)
{
	if (len > STREAM_MAX - d->len)
		return false;
	if (d->len + len > d->cap) {
		uint32_t cap = d->cap ? d->cap : 512; /* most PDUs of a bind or an endpoint lookup are a few hundred bytes */
		while (cap < d->len + len)
			cap *= 2;
		if (cap > STREAM_MAX)
			cap = STREAM_MAX;
		uint8_t *b = realloc(d->buf, cap);
		if (!b)
			return false;
		d->buf = b;
		d->cap = cap;
	}
	memcpy(d->buf + d->len, data, len);
	d->len += (uint32_t)len;
	return true;
}

/* Cuts the whole PDUs out of the direction's buffer. */
static void drain(struct dcerpc_state *s, struct direction *d, const struct sink *k)
{
	size_t off = 0;
	while (d->len - off >= 16) {
		const uint8_t *p = d->buf + off;
		uint16_t frag;
		if (!dcerpc_looks_like_co(p, d->len - off) ||
		    !(pdu_le(p) ? bytes_le16(p, 16, 8, &frag) : bytes_be16(p, 16, 8, &frag))) {
			s->cnt.resyncs++;
			dir_drop(d); /* lost the PDU boundaries: wait for a segment that starts one */
			off = 0;
			break;
		}
		if (frag > d->len - off)
			break;
		on_pdu(s, d, p, frag, k);
		off += frag;
	}
	if (off) {
		memmove(d->buf, d->buf + off, d->len - off);
		d->len -= (uint32_t)off;
	}
	if (!d->len) { /* nothing pending: a connection between calls keeps no buffer */
		free(d->buf);
		d->buf = NULL;
		d->cap = 0;
	}
}

/* Appends in-order bytes to a direction and cuts its PDUs. */
static bool feed_bytes(struct dcerpc_state *s, struct direction *d, const uint8_t *data, size_t len,
		       const struct sink *k)
{
	if (!append(d, data, len)) {
		s->cnt.resyncs++;
		dir_drop(d);
		return true;
	}
	if (!d->synced) {
		if (d->len < 16)
			return true; /* too little to tell yet */
		if (!dcerpc_looks_like_co(d->buf, d->len)) {
			d->len = 0;
			/* a stream that never lined up in its first segments is not DCE/RPC (one caught in the middle
			 * of a PDU lines up at the next) */
			if (!s->ever_pdu && ++s->sync_fails >= SYNC_TRIES)
				s->not_rpc = true;
			return !s->not_rpc;
		}
		d->synced = true;
	}
	drain(s, d, k);
	return true;
}

bool dcerpc_tcp_feed(struct dcerpc_state *s, int dir, uint32_t seq, const uint8_t *data, size_t len,
		     dcerpc_event_fn fn, void *ctx)
{
	if (!s || s->not_rpc || dir < 0 || dir > 1)
		return false;
	if (!len)
		return true;
	struct direction *d = &s->dir[dir];
	struct sink k = { fn, ctx, (uint8_t)dir };
	if (!d->seq_known || (d->len == 0 && !d->synced)) {
		d->next_seq = seq; /* a segment that may start a PDU */
		d->seq_known = true;
	} else {
		/* sequence arithmetic modulo 2^32: behind by less than 2^31 is a retransmission (fuzzing found the
		 * signed negation of -2^31 here) */
		uint32_t ahead = seq - d->next_seq, behind = d->next_seq - seq;
		if (ahead & 0x80000000u) { /* a retransmission, maybe with new bytes at its end */
			if (behind >= len)
				return true;
			data += behind;
			len -= behind;
		} else if (ahead) { /* a gap: what is buffered cannot be completed */
			s->cnt.resyncs++;
			dir_drop(d);
			d->next_seq = seq;
		}
	}
	d->next_seq += (uint32_t)len;
	return feed_bytes(s, d, data, len, &k);
}

/* the follow-up machinery's view: endpoints only */
struct endpoint_only {
	dcerpc_endpoint_fn fn;
	void *ctx;
};

static void endpoint_only(void *ctx, const struct dcerpc_event *ev)
{
	const struct endpoint_only *e = ctx;
	if (ev->kind == DCERPC_EV_ENDPOINT && e->fn)
		e->fn(e->ctx, ev->endpoint);
}

bool dcerpc_tcp_segment(struct dcerpc_state *s, int dir, uint32_t seq, const uint8_t *data, size_t len,
			dcerpc_endpoint_fn fn, void *ctx)
{
	struct endpoint_only e = { fn, ctx };
	return dcerpc_tcp_feed(s, dir, seq, data, len, endpoint_only, &e);
}

bool dcerpc_pipe_feed(struct dcerpc_state *s, int dir, const uint8_t *data, size_t len, dcerpc_event_fn fn, void *ctx)
{
	if (!s || s->not_rpc || dir < 0 || dir > 1)
		return false;
	if (!len)
		return true;
	struct sink k = { fn, ctx, (uint8_t)dir };
	return feed_bytes(s, &s->dir[dir], data, len, &k);
}

void dcerpc_pipe_gap(struct dcerpc_state *s, int dir)
{
	if (!s || dir < 0 || dir > 1)
		return;
	s->cnt.resyncs++;
	dir_drop(&s->dir[dir]);
}

/* ---- connectionless PDUs ---- */

bool dcerpc_udp_packet(const uint8_t *data, size_t len, dcerpc_endpoint_fn fn, void *ctx)
{
	if (len < 80 || data[0] != 4 || data[1] > 10)
		return false;
	bool le = (data[4] & 0xf0) == 0x10;
	uint8_t iface[16];
	uint16_t opnum, body_len;
	uuid_from_wire(data + 24, le, iface);
	(void)(le ? bytes_le16(data, len, 68, &opnum) : bytes_be16(data, len, 68, &opnum));
	(void)(le ? bytes_le16(data, len, 74, &body_len) : bytes_be16(data, len, 74, &body_len));
	if (data[1] == 2 /* response */ && !memcmp(iface, UUID_EPM, 16) && (opnum == 2 || opnum == 3)) {
		size_t n = len - 80 < body_len ? len - 80 : body_len;
		struct dcerpc_endpoint eps[EPS_MAX];
		size_t k = dcerpc_scan_towers(data + 80, n, eps, EPS_MAX);
		for (size_t i = 0; i < k && i < EPS_MAX; i++)
			fn(ctx, &eps[i]);
	}
	return true;
}

/* ---- fuzzing ---- */

struct fuzz_ctx {
	const uint8_t *lo, *hi; /* the bytes the parser was given live in its own buffers: only lengths are checked */
	size_t events;
};

static void fuzz_event(void *ctx, const struct dcerpc_event *ev)
{
	struct fuzz_ctx *f = ctx;
	f->events++;
	if (ev->auth_value && ev->auth_len > 65535)
		abort();
	if (ev->context && ev->context->accepted > DCERPC_SYNTAX_OTHER)
		abort();
	if (ev->endpoint && ev->endpoint->port == 0)
		abort();
	if (ev->auth_value) { /* touch every byte shown: the sanitizers check it lies in live memory */
		volatile uint8_t sum = 0;
		for (size_t i = 0; i < ev->auth_len; i++)
			sum ^= ev->auth_value[i];
		(void)sum;
	}
}

static void fuzz_sink(void *ctx, const struct dcerpc_endpoint *ep)
{
	(void)ctx;
	if (ep->port == 0)
		abort();
}

void dcerpc_fuzz_one(const uint8_t *data, size_t len)
{
	struct fuzz_ctx f = { data, data + len, 0 };
	for (int mode = 0; mode < 2; mode++) {
		struct dcerpc_state *s = dcerpc_state_new();
		if (!s)
			return;
		dcerpc_scan_unbound(s, true);
		/* cut the input into segments at points chosen by its own bytes, alternating directions */
		size_t off = 0;
		uint32_t seq[2] = { 1000, 5000 };
		int dir = 0;
		while (off < len) {
			size_t n = 1 + (data[off] % 97);
			if (n > len - off)
				n = len - off;
			if (mode == 0) {
				dcerpc_tcp_feed(s, dir, seq[dir], data + off, n, fuzz_event, &f);
			} else {
				dcerpc_pipe_feed(s, dir, data + off, n, fuzz_event, &f);
				if ((data[off] & 0xc0) == 0xc0)
					dcerpc_pipe_gap(s, dir);
			}
			seq[dir] += (uint32_t)n;
			off += n;
			dir ^= (data[off - 1] & 1);
		}
		size_t nctx;
		const struct dcerpc_context *c = dcerpc_contexts(s, &nctx);
		if (nctx > DCERPC_CONTEXTS_MAX || (nctx && !c))
			abort();
		dcerpc_state_free(s);
	}
	dcerpc_udp_packet(data, len, fuzz_sink, NULL);
	struct dcerpc_endpoint eps[4];
	dcerpc_scan_towers(data, len, eps, 4);
	dcom_scan_bindings(data, len, eps, 4);
	dcom_scan_unbound(data, len, eps, 4);
	dcerpc_epm_ndr64_towers(data, len, 2, eps, 4);
	dcerpc_epm_ndr64_towers(data, len, 3, eps, 4);
}

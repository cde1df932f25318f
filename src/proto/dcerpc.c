/* dcerpc.c: DCE/RPC binds, endpoint mapper towers and DCOM string bindings, read passively. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/bytes.h"
#include "proto/dcerpc.h"

#define STREAM_MAX 65536u      /* bytes kept per direction while a PDU is incomplete */
#define CALL_MAX 65536u        /* stub bytes of one fragmented response */
#define CTX_MAX 16
#define CALLS_MAX 16

enum ptype { PT_REQUEST = 0, PT_RESPONSE = 2, PT_BIND = 11, PT_BIND_ACK = 12, PT_ALTER = 14, PT_ALTER_RESP = 15 };

/* Interfaces whose answers announce endpoints (protocol facts, canonical byte order). */
static const uint8_t UUID_EPM[16] = { 0xe1, 0xaf, 0x83, 0x08, 0x5d, 0x1f, 0x11, 0xc9,
				      0x91, 0xa4, 0x08, 0x00, 0x2b, 0x14, 0xa0, 0xfa };
static const uint8_t UUID_ISYSTEMACTIVATOR[16] = { 0x00, 0x00, 0x01, 0xa0, 0x00, 0x00, 0x00, 0x00,
						   0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x46 };
static const uint8_t UUID_IOBJECTEXPORTER[16] = { 0x99, 0xfc, 0xfe, 0xc4, 0x52, 0x60, 0x10, 0x1b,
						  0xbb, 0xcb, 0x00, 0xaa, 0x00, 0x21, 0x34, 0x7a };
static const uint8_t UUID_IREMOTEACTIVATION[16] = { 0x4d, 0x9f, 0x4a, 0xb8, 0x7d, 0x1c, 0x11, 0xcf,
						    0x86, 0x1e, 0x00, 0x20, 0xaf, 0x6e, 0x7c, 0x57 };

struct direction {
	uint8_t *buf;
	uint32_t len, cap;
	uint32_t next_seq;
	bool synced;             /* buf starts at a PDU boundary and next_seq is known */
	/* the response being reassembled (several fragments of one call) */
	uint8_t *call;
	uint32_t call_len;
	uint32_t call_id;
	bool in_call;
};

struct dcerpc_state {
	struct direction dir[2];
	struct { uint16_t id; uint8_t uuid[16]; } ctx[CTX_MAX];
	unsigned nctx;
	struct { uint32_t call_id; uint16_t ctx_id, opnum; } calls[CALLS_MAX];
	unsigned ncalls;
	bool has_bound;
	uint8_t bound[16];
	bool not_rpc;
};

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
		int hi, lo;
		char a = s[i], b = s[i + 1];
		hi = a >= '0' && a <= '9' ? a - '0' : a >= 'a' && a <= 'f' ? a - 'a' + 10 : a >= 'A' && a <= 'F' ? a - 'A' + 10 : -1;
		lo = b >= '0' && b <= '9' ? b - '0' : b >= 'a' && b <= 'f' ? b - 'a' + 10 : b >= 'A' && b <= 'F' ? b - 'A' + 10 : -1;
		if (hi < 0 || lo < 0)
			return false;
		out[k++] = (uint8_t)(hi << 4 | lo);
		i++;
	}
	return k == 16;
}

const char *uuid_format(const uint8_t u[16], char out[UUID_STR_LEN])
{
	snprintf(out, UUID_STR_LEN, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", u[0], u[1],
		 u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13], u[14], u[15]);
	return out;
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
		if (!cursor_le16(&c, &lhs_len) || lhs_len == 0 || lhs_len > 64 || !cursor_take(&c, lhs_len, &lhs) ||
		    !cursor_le16(&c, &rhs_len) || rhs_len > 64 || !cursor_take(&c, rhs_len, &rhs))
			return false;
		uint8_t id = lhs.p[0];
		if (f == 0) {
			/* 0x0d, UUID (little-endian fields), major version; RHS: minor version */
			if (id != 0x0d || lhs_len != 19 || rhs_len != 2)
				return false;
			uuid_from_wire(lhs.p + 1, true, ep->uuid);
			ep->has_uuid = true;
		} else if ((id == 0x07 || id == 0x08) && lhs_len == 1 && rhs_len == 2) {
			ep->proto = id == 0x07 ? 6 : 17;
			ep->port = (uint16_t)(rhs.p[0] << 8 | rhs.p[1]);
			have_port = ep->port != 0;
		} else if (id == 0x09 && lhs_len == 1 && rhs_len == 4) {
			memcpy(ep->addr, rhs.p, 4);
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

/* One string binding at p: tower id 0x0007 (ncacn_ip_tcp), then a NUL-terminated UTF-16LE "host[port]". */
static bool parse_binding(const uint8_t *p, size_t len, struct dcerpc_endpoint *ep)
{
	if (len < 2 + 2 * 4 || p[0] != 0x07 || p[1] != 0x00)
		return false;
	char text[260];
	size_t n = 0;
	for (size_t i = 2; i + 1 < len; i += 2) {
		if (p[i + 1] != 0)
			return false; /* not ASCII: not a binding we read */
		if (p[i] == 0)
			break;
		if (p[i] < 0x20 || p[i] > 0x7e || n == sizeof text - 1)
			return false;
		text[n++] = (char)p[i];
	}
	text[n] = '\0';
	char *open = strchr(text, '['), *close = strchr(text, ']');
	if (!open || !close || close < open || close[1] != '\0' || open == text)
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

size_t dcom_scan_bindings(const uint8_t *stub, size_t len, struct dcerpc_endpoint *out, size_t max)
{
	size_t n = 0;
	for (size_t i = 0; i + 2 <= len; i++) {
		struct dcerpc_endpoint ep;
		if (stub[i] == 0x07 && stub[i + 1] == 0x00 && parse_binding(stub + i, len - i, &ep)) {
			/* the same port announced twice (one binding per address) is one endpoint */
			bool dup = false;
			for (size_t k = 0; k < n && k < max && !dup; k++)
				dup = out[k].port == ep.port && out[k].has_addr == ep.has_addr &&
				      !memcmp(out[k].addr, ep.addr, 4);
			if (!dup) {
				if (n < max)
					out[n] = ep;
				n++;
			}
		}
	}
	return n;
}

/* ---- connection-oriented PDUs ---- */

bool dcerpc_looks_like_co(const uint8_t *d, size_t len)
{
	if (len < 16 || d[0] != 5 || d[1] > 1)
		return false;
	uint8_t pt = d[2];
	if (pt > 20)
		return false;
	bool le = (d[4] & 0xf0) == 0x10;
	uint16_t frag = le ? (uint16_t)(d[8] | d[9] << 8) : (uint16_t)(d[8] << 8 | d[9]);
	return frag >= 16;
}

static const uint8_t *ctx_uuid(const struct dcerpc_state *s, uint16_t ctx_id)
{
	for (unsigned i = 0; i < s->nctx; i++)
		if (s->ctx[i].id == ctx_id)
			return s->ctx[i].uuid;
	return NULL;
}

static void on_bind(struct dcerpc_state *s, struct cursor c, bool le)
{
	uint8_t nctx;
	if (!cursor_skip(&c, 8) || !cursor_u8(&c, &nctx) || !cursor_skip(&c, 3))
		return;
	for (unsigned i = 0; i < nctx; i++) {
		uint16_t id;
		uint8_t ntrans, w[16];
		if (!(le ? cursor_le16(&c, &id) : cursor_be16(&c, &id)) || !cursor_u8(&c, &ntrans) || !cursor_skip(&c, 1) ||
		    !cursor_copy(&c, w, 16) || !cursor_skip(&c, 4) || !cursor_skip(&c, (size_t)ntrans * 20))
			return;
		uint8_t uuid[16];
		uuid_from_wire(w, le, uuid);
		if (!s->has_bound) {
			memcpy(s->bound, uuid, 16);
			s->has_bound = true;
		}
		unsigned slot = s->nctx < CTX_MAX ? s->nctx++ : (unsigned)(id % CTX_MAX);
		for (unsigned k = 0; k < s->nctx; k++)
			if (s->ctx[k].id == id)
				slot = k;
		s->ctx[slot].id = id;
		memcpy(s->ctx[slot].uuid, uuid, 16);
	}
}

static void on_request(struct dcerpc_state *s, struct cursor c, bool le, uint32_t call_id, uint8_t flags)
{
	uint16_t ctx_id, opnum;
	if (!(flags & 0x01) || !cursor_skip(&c, 4)) /* the first fragment carries the call's opnum */
		return;
	if (!(le ? cursor_le16(&c, &ctx_id) : cursor_be16(&c, &ctx_id)) ||
	    !(le ? cursor_le16(&c, &opnum) : cursor_be16(&c, &opnum)))
		return;
	unsigned slot = s->ncalls < CALLS_MAX ? s->ncalls++ : call_id % CALLS_MAX;
	s->calls[slot].call_id = call_id;
	s->calls[slot].ctx_id = ctx_id;
	s->calls[slot].opnum = opnum;
}

/* A complete response stub of a call: endpoint mapper and DCOM answers announce endpoints. */
static void on_answer(struct dcerpc_state *s, uint32_t call_id, const uint8_t *stub, size_t len, dcerpc_endpoint_fn fn,
		      void *ctx)
{
	const uint8_t *uuid = NULL;
	int opnum = -1;
	for (unsigned i = 0; i < s->ncalls; i++)
		if (s->calls[i].call_id == call_id) {
			uuid = ctx_uuid(s, s->calls[i].ctx_id);
			opnum = s->calls[i].opnum;
		}
	if (!uuid)
		return;
	struct dcerpc_endpoint eps[32];
	size_t n = 0;
	if (!memcmp(uuid, UUID_EPM, 16) && (opnum == 2 || opnum == 3))
		n = dcerpc_scan_towers(stub, len, eps, 32);
	else if ((!memcmp(uuid, UUID_ISYSTEMACTIVATOR, 16) && (opnum == 3 || opnum == 4)) ||
		 (!memcmp(uuid, UUID_IOBJECTEXPORTER, 16) && (opnum == 0 || opnum == 4)) ||
		 (!memcmp(uuid, UUID_IREMOTEACTIVATION, 16) && opnum == 0))
		n = dcom_scan_bindings(stub, len, eps, 32);
	for (size_t i = 0; i < n && i < 32; i++)
		fn(ctx, &eps[i]);
}

static void on_response(struct dcerpc_state *s, struct direction *d, struct cursor c, uint32_t call_id, uint8_t flags,
			uint16_t auth_len, dcerpc_endpoint_fn fn, void *ctx)
{
	if (!cursor_skip(&c, 8))
		return;
	size_t stub_len = cursor_left(&c);
	if (auth_len) { /* the verifier and its 8-byte header end the PDU */
		if ((size_t)auth_len + 8 > stub_len)
			return;
		stub_len -= (size_t)auth_len + 8;
	}
	if (flags & 0x01) { /* first fragment: a new call */
		d->in_call = true;
		d->call_id = call_id;
		d->call_len = 0;
	}
	if (!d->in_call || d->call_id != call_id)
		return;
	if (!d->call && !(d->call = malloc(CALL_MAX)))
		return;
	size_t take = stub_len < CALL_MAX - d->call_len ? stub_len : CALL_MAX - d->call_len;
	memcpy(d->call + d->call_len, c.p, take);
	d->call_len += (uint32_t)take;
	if (flags & 0x02) {
		d->in_call = false;
		on_answer(s, call_id, d->call, d->call_len, fn, ctx);
	}
}

static void on_pdu(struct dcerpc_state *s, struct direction *d, const uint8_t *p, size_t len, dcerpc_endpoint_fn fn,
		   void *ctx)
{
	bool le = (p[4] & 0xf0) == 0x10;
	uint8_t pt = p[2], flags = p[3];
	uint16_t auth_len = 0;
	uint32_t call_id = 0;
	(void)(le ? bytes_le16(p, len, 10, &auth_len) : bytes_be16(p, len, 10, &auth_len));
	(void)(le ? bytes_le32(p, len, 12, &call_id) : bytes_be32(p, len, 12, &call_id));
	struct cursor body = cursor_make(p + 16, len - 16);
	switch (pt) {
	case PT_BIND:
	case PT_ALTER: on_bind(s, body, le); break;
	case PT_REQUEST: on_request(s, body, le, call_id, flags); break;
	case PT_RESPONSE: on_response(s, d, body, call_id, flags, auth_len, fn, ctx); break;
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

bool dcerpc_bound_interface(const struct dcerpc_state *s, uint8_t uuid[16])
{
	if (!s || !s->has_bound)
		return false;
	memcpy(uuid, s->bound, 16);
	return true;
}

static bool append(struct direction *d, const uint8_t *data, size_t len)
{
	if (d->len + len > STREAM_MAX)
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
static void drain(struct dcerpc_state *s, struct direction *d, dcerpc_endpoint_fn fn, void *ctx)
{
	size_t off = 0;
	while (d->len - off >= 16) {
		const uint8_t *p = d->buf + off;
		if (!dcerpc_looks_like_co(p, d->len - off)) {
			d->synced = false; /* lost the PDU boundaries: wait for a segment that starts one */
			d->len = 0;
			off = 0;
			break;
		}
		bool le = (p[4] & 0xf0) == 0x10;
		uint16_t frag = le ? (uint16_t)(p[8] | p[9] << 8) : (uint16_t)(p[8] << 8 | p[9]);
		if (frag > d->len - off)
			break;
		on_pdu(s, d, p, frag, fn, ctx);
		off += frag;
	}
	if (off) {
		memmove(d->buf, d->buf + off, d->len - off);
		d->len -= (uint32_t)off;
	}
	if (!d->len) { /* nothing pending: a flow between calls keeps no buffer */
		free(d->buf);
		d->buf = NULL;
		d->cap = 0;
	}
}

bool dcerpc_tcp_segment(struct dcerpc_state *s, int dir, uint32_t seq, const uint8_t *data, size_t len,
			dcerpc_endpoint_fn fn, void *ctx)
{
	if (s->not_rpc || dir < 0 || dir > 1)
		return false;
	if (!len)
		return true;
	struct direction *d = &s->dir[dir];
	if (d->len == 0 && !d->synced) {
		d->next_seq = seq; /* a segment that may start a PDU */
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
			d->synced = false;
			d->len = 0;
			d->next_seq = seq;
		}
	}
	if (!append(d, data, len)) {
		d->synced = false;
		d->len = 0;
		return true;
	}
	d->next_seq += (uint32_t)len;
	if (!d->synced) {
		if (d->len < 16)
			return true; /* too little to tell yet */
		if (!dcerpc_looks_like_co(d->buf, d->len)) {
			d->len = 0;
			if (!s->has_bound && !s->ncalls)
				s->not_rpc = true; /* the stream did not start as DCE/RPC */
			return !s->not_rpc;
		}
		d->synced = true;
	}
	drain(s, d, fn, ctx);
	return true;
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
		struct dcerpc_endpoint eps[32];
		size_t k = dcerpc_scan_towers(data + 80, n, eps, 32);
		for (size_t i = 0; i < k && i < 32; i++)
			fn(ctx, &eps[i]);
	}
	return true;
}

static void fuzz_sink(void *ctx, const struct dcerpc_endpoint *ep)
{
	(void)ctx;
	(void)ep;
}

void dcerpc_fuzz_one(const uint8_t *data, size_t len)
{
	struct dcerpc_state *s = dcerpc_state_new();
	if (!s)
		return;
	/* cut the input into segments at points chosen by its own bytes, alternating directions */
	size_t off = 0;
	uint32_t seq[2] = { 1000, 5000 };
	int dir = 0;
	while (off < len) {
		size_t n = 1 + (data[off] % 97);
		if (n > len - off)
			n = len - off;
		dcerpc_tcp_segment(s, dir, seq[dir], data + off, n, fuzz_sink, NULL);
		seq[dir] += (uint32_t)n;
		off += n;
		dir ^= (data[off - 1] & 1);
	}
	dcerpc_state_free(s);
	dcerpc_udp_packet(data, len, fuzz_sink, NULL);
	struct dcerpc_endpoint eps[4];
	dcerpc_scan_towers(data, len, eps, 4);
	dcom_scan_bindings(data, len, eps, 4);
}

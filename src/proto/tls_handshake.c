/* tls_handshake.c: TLS records and handshake messages of both directions of a connection, read in sequence
 * order with bounded reassembly, for the client-authentication posture (RFC 5246, RFC 8446). */
#include <stdlib.h>
#include <string.h>

#include "lib/bytes.h"
#include "proto/tls_handshake.h"

/* record content types (RFC 5246 6.2.1, RFC 6520); CT_SSL2 stands for an SSL 2 CLIENT-HELLO being skipped */
enum { CT_CCS = 20, CT_ALERT = 21, CT_HANDSHAKE = 22, CT_APP_DATA = 23, CT_HEARTBEAT = 24, CT_SSL2 = 0xff };

/* handshake message types (RFC 5246 7.4) */
enum {
	HS_CLIENT_HELLO = 1,
	HS_SERVER_HELLO = 2,
	HS_CERTIFICATE = 11,
	HS_CERTIFICATE_REQUEST = 13,
	HS_SERVER_HELLO_DONE = 14,
	HS_CERTIFICATE_VERIFY = 15,
	HS_CLIENT_KEY_EXCHANGE = 16,
};

#define RECORD_MAX (16384u + 2048u)  /* TLSCiphertext.length at most 2^14 + 2048 (RFC 5246 6.2.3) */
#define CLIENT_HELLO_KEEP 67u        /* version, random, session id length, the longest session id */
#define CERT_HEAD 6u                 /* certificate_list length, then the first certificate's length */
#define EXT_SUPPORTED_VERSIONS 43
#define MSG_MIN_CAP 256u

/* A segment that arrived ahead of a hole, copied. */
struct held {
	uint32_t seq;
	uint32_t len;
	uint8_t *data;
};

/* One direction. Invariants: held_bytes is the sum of held[0 .. nheld).len; msg_cap + held_bytes <=
 * TLS_HS_DIR_MAX; msg_len <= msg_keep <= msg_total and msg_len <= msg_cap; in_record means rec_type and rec_left
 * describe the current record's rest; otherwise hdr[0 .. hdr_len) is a record header begun. */
struct tls_dir {
	uint32_t next_seq;              /* sequence number of the next byte in order */
	bool started;                   /* next_seq is known */
	bool lost;                      /* a hole could not be bridged: no longer followed */
	struct held held[TLS_HS_HOLD_SEGMENTS];
	unsigned nheld;
	uint32_t held_bytes;
	/* record layer */
	uint8_t hdr[5];
	uint8_t hdr_len;
	bool in_record;
	bool first_record_read;
	uint8_t rec_type;
	uint32_t rec_left;
	bool encrypted;                 /* after this direction's ChangeCipherSpec */
	bool finished;                  /* its first encrypted handshake record (Finished) was seen */
	uint8_t alert_len;              /* bytes of the first plaintext alert read so far (2: done) */
	/* handshake messages of the plaintext records */
	uint8_t mhdr[4];
	uint8_t mhdr_len;
	bool in_msg;
	bool cert_trimmed;              /* msg_keep cut to the first certificate */
	uint8_t msg_type;
	uint32_t msg_total, msg_got;    /* body length; body bytes seen */
	uint32_t msg_keep;              /* body bytes to keep */
	uint8_t *msg;
	uint32_t msg_len, msg_cap;
};

/* The reader. Invariants: settled implies no buffers; decided implies info.posture != PENDING. */
struct tls_hs {
	struct tls_hs_info info;
	struct tls_dir dir[2];
	uint8_t client_sid[32];
	uint8_t client_sid_len;
	bool server_hello_done;
	bool client_key_exchange;
	bool not_tls;                   /* a direction did not carry TLS records where the handshake was read */
	bool tls13;
	bool decided;                   /* a posture was reached: message bodies are no longer read */
	bool settled;                   /* final */
	uint32_t watched;               /* records seen since decided */
};

static uint32_t min32(uint32_t a, uint32_t b)
{
	return a < b ? a : b;
}

/* A 24-bit big-endian length (handshake headers, certificate lists). */
static bool cursor_be24(struct cursor *c, uint32_t *v)
{
	uint8_t b;
	uint16_t w;
	if (!cursor_u8(c, &b) || !cursor_be16(c, &w))
		return false;
	*v = (uint32_t)b << 16 | w;
	return true;
}

static void free_message(struct tls_dir *d)
{
	free(d->msg);
	d->msg = NULL;
	d->msg_cap = d->msg_len = 0;
	d->msg_keep = 0;
}

static void free_held(struct tls_dir *d)
{
	for (unsigned i = 0; i < d->nheld; i++)
		free(d->held[i].data);
	d->nheld = 0;
	d->held_bytes = 0;
}

static void settle(struct tls_hs *s)
{
	s->settled = true;
	for (int i = 0; i < 2; i++) {
		free_message(&s->dir[i]);
		free_held(&s->dir[i]);
	}
}

/* ---- the posture ---- */

/* Decides what the flags read so far allow; at_end: the connection is over. */
static void evaluate(struct tls_hs *s, bool at_end)
{
	struct tls_hs_info *r = &s->info;
	enum tls_posture p = TLS_POSTURE_PENDING;
	enum tls_unprovable why = TLS_UNPROVABLE_NONE;
	if (s->settled)
		return;
	if (s->tls13)
		why = TLS_UNPROVABLE_TLS13;
	else if (r->resumed)
		why = TLS_UNPROVABLE_RESUMED;
	else if (r->renegotiated)
		why = TLS_UNPROVABLE_RENEGOTIATED;
	else if (s->not_tls)
		why = TLS_UNPROVABLE_NOT_SEEN;
	if (why == TLS_UNPROVABLE_NONE) {
		bool client_sent = s->client_key_exchange || r->ccs[0]; /* the client's flight before its Finished */
		bool went_on = r->ccs[1] && (r->app_data[0] || r->app_data[1]);
		if (r->certificate_request && r->client_certificate && r->client_cert_len == 0)
			p = TLS_POSTURE_REQUESTED_REFUSED;
		else if (r->certificate_request && !r->client_certificate && client_sent)
			p = TLS_POSTURE_REQUESTED_REFUSED; /* SSL 3 clients may send no Certificate at all */
		else if (went_on && r->client_certificate && r->client_cert_len && r->certificate_verify)
			p = TLS_POSTURE_MUTUAL;
		else if (went_on && r->client_certificate && r->client_cert_len)
			why = TLS_UNPROVABLE_NO_VERIFY;
		else if (went_on && !r->certificate_request && s->server_hello_done)
			p = TLS_POSTURE_SERVER_ONLY;
		else if (went_on)
			why = TLS_UNPROVABLE_NOT_SEEN; /* the client's or the server's flight was not read */
		else if (s->dir[1].lost || (s->dir[0].lost && (r->certificate_request || !r->server_hello)))
			why = TLS_UNPROVABLE_NOT_SEEN; /* what decides lies beyond a hole */
		else if (at_end)
			why = r->server_hello ? TLS_UNPROVABLE_INCOMPLETE : TLS_UNPROVABLE_NOT_SEEN;
	}
	if (why != TLS_UNPROVABLE_NONE)
		p = TLS_POSTURE_UNPROVABLE;
	if (p != TLS_POSTURE_PENDING) {
		r->posture = (uint8_t)p;
		r->why = (uint8_t)why;
		if (!s->decided) {
			s->decided = true;
			s->watched = 0;
			free_message(&s->dir[0]);
			free_message(&s->dir[1]);
		}
	}
	if (at_end || p == TLS_POSTURE_UNPROVABLE || (s->decided && s->watched >= TLS_HS_WATCH_RECORDS))
		settle(s);
}

/* A direction stops being readable: before a posture, that is "not seen"; after, the watch ends. */
static void stop_direction(struct tls_hs *s, struct tls_dir *d, bool not_tls)
{
	d->lost = true;
	free_held(d);
	free_message(d);
	if (s->decided) {
		settle(s);
		return;
	}
	if (not_tls)
		s->not_tls = true;
	evaluate(s, false);
}

/* ---- handshake messages ---- */

static void read_client_hello(struct tls_hs *s, struct cursor m)
{
	uint8_t sid_len;
	s->info.client_hello = true;
	if (cursor_skip(&m, 2 + 32) && cursor_u8(&m, &sid_len) && sid_len <= 32 &&
	    cursor_copy(&m, s->client_sid, sid_len))
		s->client_sid_len = sid_len;
}

static void read_server_hello(struct tls_hs *s, struct cursor m)
{
	struct tls_hs_info *r = &s->info;
	uint16_t version, total, type, len, chosen;
	uint8_t sid_len, sid[32];
	struct cursor exts, ext;
	r->server_hello = true;
	if (!cursor_be16(&m, &version))
		return;
	r->version = version;
	if (!cursor_skip(&m, 32) || !cursor_u8(&m, &sid_len) || sid_len > 32 || !cursor_copy(&m, sid, sid_len))
		return;
	/* the cipher suite and compression method, then extensions (TLS 1.3 names itself in supported_versions) */
	if (cursor_skip(&m, 3) && cursor_be16(&m, &total) && cursor_take(&m, total, &exts))
		while (cursor_be16(&exts, &type) && cursor_be16(&exts, &len) && cursor_take(&exts, len, &ext))
			if (type == EXT_SUPPORTED_VERSIONS && cursor_be16(&ext, &chosen))
				r->version = chosen;
	/* TLS 1.3 and its drafts (0x7fxx): everything after the ServerHello is encrypted */
	if ((r->version >> 8) == 0x7f || ((r->version >> 8) == 3 && (r->version & 0xff) >= 4))
		s->tls13 = true;
	else if (sid_len && sid_len == s->client_sid_len && memcmp(sid, s->client_sid, sid_len) == 0)
		r->resumed = true; /* RFC 5246 7.4.1.3: the server resumes the session the client named */
}

/* certificate_list: a 24-bit length, then each certificate with its own 24-bit length; names of the first. */
static uint32_t read_certificate(struct cursor m, struct x509_names *names)
{
	struct cursor cert;
	uint32_t list_len, cert_len;
	if (!cursor_be24(&m, &list_len))
		return 0;
	if (list_len && cursor_be24(&m, &cert_len)) {
		if (!cursor_take(&m, cert_len, &cert))
			cert = m; /* cut by the reassembly bound: the names lie at its start */
		x509_read_names(cert.p, cursor_left(&cert), names);
	}
	return list_len;
}

static void message_end(struct tls_hs *s, int dir)
{
	struct tls_dir *d = &s->dir[dir];
	struct tls_hs_info *r = &s->info;
	static const uint8_t nothing[1];
	/* a message whose body is not kept has no buffer (NULL + 0 is not a pointer sum C allows) */
	struct cursor m = d->msg ? cursor_make(d->msg, d->msg_len) : cursor_make(nothing, 0);
	if (dir == 0) {
		switch (d->msg_type) {
		case HS_CLIENT_HELLO: read_client_hello(s, m); break;
		case HS_CERTIFICATE:
			r->client_certificate = true;
			r->client_cert_len = read_certificate(m, &r->client);
			break;
		case HS_CLIENT_KEY_EXCHANGE: s->client_key_exchange = true; break;
		case HS_CERTIFICATE_VERIFY: r->certificate_verify = true; break;
		}
	} else {
		switch (d->msg_type) {
		case HS_SERVER_HELLO: read_server_hello(s, m); break;
		case HS_CERTIFICATE:
			r->server_certificate = true;
			read_certificate(m, &r->server);
			break;
		case HS_CERTIFICATE_REQUEST: r->certificate_request = true; break;
		case HS_SERVER_HELLO_DONE: s->server_hello_done = true; break;
		}
	}
	free_message(d); /* between messages a direction keeps no buffer */
	d->in_msg = false;
	evaluate(s, false);
}

/* Room for need bytes of message body (need <= the direction's budget); false when memory is short. */
static bool reserve(struct tls_dir *d, uint32_t need)
{
	if (need <= d->msg_cap)
		return true;
	uint32_t cap = d->msg_cap ? d->msg_cap * 2 : MSG_MIN_CAP;
	cap = min32(cap < need ? need : cap, d->msg_keep);
	cap = min32(cap, TLS_HS_DIR_MAX - d->held_bytes);
	uint8_t *p = cap >= need ? realloc(d->msg, cap) : NULL;
	if (!p)
		return false;
	d->msg = p;
	d->msg_cap = cap;
	return true;
}

/* Keeps what the message's reader needs of part: a Certificate's first certificate only, and no more than the
 * direction's budget (the bound is counted once per message). */
static void keep_body(struct tls_hs *s, struct tls_dir *d, struct cursor part)
{
	while (cursor_left(&part) && d->msg_len < d->msg_keep) {
		uint32_t n = min32((uint32_t)cursor_left(&part), d->msg_keep - d->msg_len);
		uint32_t room = TLS_HS_DIR_MAX - d->held_bytes - d->msg_len;
		if (d->msg_type == HS_CERTIFICATE && d->msg_len < CERT_HEAD)
			n = min32(n, CERT_HEAD - d->msg_len);
		bool bound = n > room;
		if (bound)
			n = room;
		if (n && !reserve(d, d->msg_len + n))
			bound = true, n = 0; /* memory short: kept no further either */
		if (n) {
			cursor_copy(&part, d->msg + d->msg_len, n);
			d->msg_len += n;
		}
		if (bound) {
			s->info.bound_hits++;
			d->msg_keep = d->msg_len; /* the rest goes unkept; the message is read from what there is */
			return;
		}
		if (d->msg_type == HS_CERTIFICATE && !d->cert_trimmed && d->msg_len == CERT_HEAD) {
			struct cursor head = cursor_make(d->msg + 3, 3);
			uint32_t first_len = 0;
			cursor_be24(&head, &first_len);
			d->cert_trimmed = true;
			d->msg_keep = min32(d->msg_keep, CERT_HEAD + first_len);
		}
	}
}

static uint32_t body_keep(int dir, uint8_t type, uint32_t total)
{
	if (dir == 0 && type == HS_CLIENT_HELLO)
		return min32(total, CLIENT_HELLO_KEEP);
	if ((dir == 1 && type == HS_SERVER_HELLO) || type == HS_CERTIFICATE)
		return total;
	return 0;
}

/* The body of a plaintext handshake record: messages cut by their 4-byte headers. */
static void handshake_bytes(struct tls_hs *s, int dir, struct cursor c)
{
	struct tls_dir *d = &s->dir[dir];
	while (cursor_left(&c) && !s->decided) {
		if (!d->in_msg) {
			uint32_t n = min32((uint32_t)cursor_left(&c), 4u - d->mhdr_len);
			cursor_copy(&c, d->mhdr + d->mhdr_len, n);
			d->mhdr_len = (uint8_t)(d->mhdr_len + n);
			if (d->mhdr_len < 4)
				return;
			d->mhdr_len = 0;
			d->in_msg = true;
			d->cert_trimmed = false;
			struct cursor h = cursor_make(d->mhdr, sizeof d->mhdr);
			cursor_u8(&h, &d->msg_type);
			cursor_be24(&h, &d->msg_total);
			d->msg_got = 0;
			d->msg_len = 0;
			d->msg_keep = body_keep(dir, d->msg_type, d->msg_total);
			if (d->msg_total == 0) {
				message_end(s, dir);
				continue;
			}
		}
		struct cursor part = { NULL, NULL };
		uint32_t n = min32((uint32_t)cursor_left(&c), d->msg_total - d->msg_got);
		cursor_take(&c, n, &part);
		keep_body(s, d, part);
		d->msg_got += n;
		if (d->msg_got == d->msg_total)
			message_end(s, dir);
	}
}

/* ---- records ---- */

static void record_start(struct tls_hs *s, int dir)
{
	struct tls_dir *d = &s->dir[dir];
	struct tls_hs_info *r = &s->info;
	if (s->decided)
		s->watched++;
	switch (d->rec_type) {
	case CT_CCS:
		r->ccs[dir] = true;
		d->encrypted = true;
		/* the server's ChangeCipherSpec right after its hello: an abbreviated handshake (RFC 5246 7.3), as
		 * when a ticket resumes a session whose id the server does not echo (RFC 5077 3.4) */
		if (dir == 1 && r->server_hello && !s->server_hello_done && !r->server_certificate && !s->tls13)
			r->resumed = true;
		break;
	case CT_APP_DATA:
		r->app_data[dir] = true;
		break;
	case CT_HANDSHAKE:
		if (d->finished)
			r->renegotiated = true; /* a handshake after this direction's Finished (RFC 5746) */
		else if (d->encrypted)
			d->finished = true;
		break;
	}
	evaluate(s, false);
}

static void record_body(struct tls_hs *s, int dir, struct cursor body)
{
	struct tls_dir *d = &s->dir[dir];
	if (d->rec_type == CT_HANDSHAKE && !d->encrypted) {
		handshake_bytes(s, dir, body);
	} else if (d->rec_type == CT_ALERT && !d->encrypted) {
		while (d->alert_len < 2 && cursor_u8(&body, &s->info.alert[dir][d->alert_len]))
			d->alert_len++;
	}
}

/* A record header is complete in d->hdr: checks it and starts the record. */
static bool record_header(struct tls_hs *s, int dir, bool ssl2)
{
	struct tls_dir *d = &s->dir[dir];
	uint16_t version = 0, len = 0;
	uint8_t type = 0;
	d->hdr_len = 0;
	d->first_record_read = true;
	if (ssl2) {
		/* SSL 2 record header (2 bytes, high bit set) and CLIENT-HELLO's message type: the hello is skipped */
		bytes_be16(d->hdr, sizeof d->hdr, 0, &len);
		bytes_u8(d->hdr, sizeof d->hdr, 2, &type);
		len &= 0x7fff;
		if (type != HS_CLIENT_HELLO || len < 1)
			return false;
		s->info.client_hello = true;
		d->rec_type = CT_SSL2;
		d->rec_left = len - 1u;
	} else {
		bytes_u8(d->hdr, sizeof d->hdr, 0, &type);
		bytes_be16(d->hdr, sizeof d->hdr, 1, &version);
		bytes_be16(d->hdr, sizeof d->hdr, 3, &len);
		if (type < CT_CCS || type > CT_HEARTBEAT || (version >> 8) != 3 || (version & 0xff) > 4 ||
		    len > RECORD_MAX)
			return false;
		d->rec_type = type;
		d->rec_left = len;
	}
	d->in_record = d->rec_left > 0;
	record_start(s, dir);
	return true;
}

/* Bytes of direction dir in stream order. */
static void stream_bytes(struct tls_hs *s, int dir, struct cursor c)
{
	struct tls_dir *d = &s->dir[dir];
	while (cursor_left(&c) && !s->settled && !d->lost) {
		if (!d->in_record) {
			/* the first byte tells the header's length: an SSL 2 hello opens with its high bit set */
			bool ssl2 = dir == 0 && !d->first_record_read && d->hdr_len && (d->hdr[0] & 0x80);
			uint32_t need = d->hdr_len == 0 ? 1 : ssl2 ? 3 : 5;
			uint32_t n = min32((uint32_t)cursor_left(&c), need - d->hdr_len);
			cursor_copy(&c, d->hdr + d->hdr_len, n);
			d->hdr_len = (uint8_t)(d->hdr_len + n);
			ssl2 = dir == 0 && !d->first_record_read && (d->hdr[0] & 0x80);
			if (d->hdr_len < (ssl2 ? 3 : 5))
				continue;
			if (!record_header(s, dir, ssl2)) {
				stop_direction(s, d, true);
				return;
			}
			continue;
		}
		struct cursor body = { NULL, NULL };
		uint32_t n = min32((uint32_t)cursor_left(&c), d->rec_left);
		cursor_take(&c, n, &body);
		d->rec_left -= n;
		if (d->rec_left == 0)
			d->in_record = false;
		record_body(s, dir, body);
	}
}

/* ---- sequence order ---- */

static void deliver(struct tls_hs *s, int dir, const uint8_t *data, uint32_t len)
{
	s->dir[dir].next_seq += len;
	stream_bytes(s, dir, cursor_make(data, len));
}

/* Delivers the held segments the stream has reached, in turn. */
static void replay_held(struct tls_hs *s, int dir)
{
	struct tls_dir *d = &s->dir[dir];
	bool again = true;
	while (again && !s->settled && !d->lost) {
		again = false;
		for (unsigned i = 0; i < d->nheld; i++) {
			uint32_t ahead = d->held[i].seq - d->next_seq;
			if (ahead && !(ahead & 0x80000000u))
				continue;
			struct held h = d->held[i];
			d->held[i] = d->held[--d->nheld];
			d->held_bytes -= h.len;
			uint32_t behind = d->next_seq - h.seq;
			if (behind < h.len)
				deliver(s, dir, h.data + behind, h.len - behind);
			free(h.data);
			again = true;
			break;
		}
	}
}

/* A segment ahead of the next byte expected: kept until the hole fills, if the budget allows. */
static void hold(struct tls_hs *s, int dir, uint32_t seq, const uint8_t *data, uint32_t len)
{
	struct tls_dir *d = &s->dir[dir];
	uint32_t ahead = seq - d->next_seq;
	for (unsigned i = 0; i < d->nheld; i++)
		if (d->held[i].seq == seq && d->held[i].len >= len)
			return; /* the same segment again */
	uint8_t *copy = NULL;
	if (d->nheld < TLS_HS_HOLD_SEGMENTS && ahead < TLS_HS_DIR_MAX &&
	    len <= TLS_HS_DIR_MAX - d->held_bytes - d->msg_cap && (copy = malloc(len))) {
		memcpy(copy, data, len);
		d->held[d->nheld++] = (struct held){ seq, len, copy };
		d->held_bytes += len;
		return;
	}
	s->info.bound_hits++;
	stop_direction(s, d, false);
}

/* ---- public ---- */

struct tls_hs *tls_hs_new(void)
{
	return calloc(1, sizeof(struct tls_hs));
}

void tls_hs_reset(struct tls_hs *s)
{
	settle(s);
	memset(s, 0, sizeof *s);
}

void tls_hs_free(void *p)
{
	struct tls_hs *s = p;
	if (!s)
		return;
	settle(s);
	free(s);
}

void tls_hs_stream_start(struct tls_hs *s, int dir, uint32_t seq)
{
	if (dir < 0 || dir > 1 || s->dir[dir].started)
		return;
	s->dir[dir].started = true;
	s->dir[dir].next_seq = seq;
}

bool tls_hs_segment(struct tls_hs *s, int dir, uint32_t seq, const uint8_t *data, size_t len)
{
	if (s->settled)
		return false;
	if (dir < 0 || dir > 1 || len == 0)
		return true;
	struct tls_dir *d = &s->dir[dir];
	if (d->lost)
		return true;
	if (len > 0x7fffffffu) { /* no TCP segment is that long: sequence arithmetic could not place it */
		stop_direction(s, d, false);
		return !s->settled;
	}
	if (!d->started) {
		d->started = true;
		d->next_seq = seq;
	}
	/* sequence arithmetic modulo 2^32: behind by less than 2^31 is a retransmission, maybe with new bytes */
	uint32_t ahead = seq - d->next_seq;
	if (ahead & 0x80000000u) {
		uint32_t behind = d->next_seq - seq;
		if (behind >= len)
			return true;
		data += behind;
		len -= behind;
		ahead = 0;
	}
	if (ahead)
		hold(s, dir, seq, data, (uint32_t)len);
	else {
		deliver(s, dir, data, (uint32_t)len);
		replay_held(s, dir);
	}
	return !s->settled;
}

void tls_hs_end(struct tls_hs *s)
{
	evaluate(s, true);
	settle(s);
}

bool tls_hs_settled(const struct tls_hs *s)
{
	return s->settled;
}

const struct tls_hs_info *tls_hs_info(const struct tls_hs *s)
{
	return &s->info;
}

size_t tls_hs_memory(const struct tls_hs *s)
{
	size_t n = sizeof *s;
	for (int i = 0; i < 2; i++)
		n += s->dir[i].msg_cap + s->dir[i].held_bytes;
	return n;
}

const char *tls_posture_name(enum tls_posture p)
{
	switch (p) {
	case TLS_POSTURE_MUTUAL: return "mutual";
	case TLS_POSTURE_SERVER_ONLY: return "server-only";
	case TLS_POSTURE_REQUESTED_REFUSED: return "requested-refused";
	case TLS_POSTURE_UNPROVABLE: return "unprovable";
	default: return "pending";
	}
}

const char *tls_unprovable_name(enum tls_unprovable why)
{
	switch (why) {
	case TLS_UNPROVABLE_TLS13: return "tls1.3";
	case TLS_UNPROVABLE_RESUMED: return "resumed";
	case TLS_UNPROVABLE_RENEGOTIATED: return "renegotiated";
	case TLS_UNPROVABLE_NOT_SEEN: return "not-seen";
	case TLS_UNPROVABLE_INCOMPLETE: return "incomplete";
	case TLS_UNPROVABLE_NO_VERIFY: return "no-verify";
	default: return "";
	}
}

/* Each chunk of the fuzz input: a control byte (bit 0 the direction, bit 1 deliver after the next chunk, bit 2
 * deliver twice, bits 3-5 the length's high part), a length byte, then 1 + length bytes of payload. */
void tls_hs_fuzz_one(const uint8_t *data, size_t len)
{
	struct tls_hs *s = tls_hs_new();
	struct cursor c = cursor_make(data, len);
	struct { int dir; uint32_t seq; struct cursor bytes; bool set; } late = { 0, 0, { NULL, NULL }, false };
	uint32_t seq[2] = { 1000, 0xfffff000u }; /* the server's stream wraps around 2^32 */
	uint8_t ctl, lo;
	if (!s)
		return;
	while (cursor_u8(&c, &ctl) && cursor_u8(&c, &lo)) {
		struct cursor bytes;
		size_t n = 1 + lo + 256u * ((ctl >> 3) & 7);
		if (!cursor_take(&c, n < cursor_left(&c) ? n : cursor_left(&c), &bytes))
			break;
		int dir = ctl & 1;
		if ((ctl & 2) && !late.set) {
			late.dir = dir, late.seq = seq[dir], late.bytes = bytes, late.set = true;
		} else {
			tls_hs_segment(s, dir, seq[dir], bytes.p, cursor_left(&bytes));
			if (late.set) {
				tls_hs_segment(s, late.dir, late.seq, late.bytes.p, cursor_left(&late.bytes));
				late.set = false;
			}
		}
		if (ctl & 4)
			tls_hs_segment(s, dir, seq[dir], bytes.p, cursor_left(&bytes));
		seq[dir] += (uint32_t)cursor_left(&bytes);
	}
	if (late.set)
		tls_hs_segment(s, late.dir, late.seq, late.bytes.p, cursor_left(&late.bytes));
	const struct tls_hs_info *r = tls_hs_info(s);
	if (memchr(r->server.subject, 0, sizeof r->server.subject) == NULL ||
	    memchr(r->client.issuer, 0, sizeof r->client.issuer) == NULL || tls_hs_memory(s) > sizeof *s + 2 * TLS_HS_DIR_MAX)
		abort();
	tls_hs_end(s);
	if (!tls_hs_settled(s) || tls_hs_memory(s) != sizeof *s || r->posture == TLS_POSTURE_PENDING)
		abort();
	tls_hs_free(s);
	struct x509_names names;
	x509_read_names(data, len, &names);
}

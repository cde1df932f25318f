/* ntlmssp.c: NTLMSSP messages ([MS-NLMP] 2.2.1), their SPNEGO / GSS-API wrapping (RFC 4178, RFC 2743 3.1) and
 * HTTP's base64 form (RFC 4559), read through bounds-checked cursors; responses, keys and MIC are never copied. */
#include <string.h>

#include "lib/bytes.h"
#include "proto/ntlmssp.h"

static const uint8_t NTLMSSP_SIGNATURE[8] = { 'N', 'T', 'L', 'M', 'S', 'S', 'P', 0 };

/* AV pair ids of target info and of an NTLMv2 response's blob ([MS-NLMP] 2.2.2.1) */
#define AV_EOL 0
#define AV_NB_COMPUTER 1
#define AV_DNS_COMPUTER 3
#define AV_FLAGS 6
#define AV_TARGET_NAME 9
#define AV_FLAG_MIC 0x2u

/* NTLMv2 response: NTProofStr (16), then the blob's fixed part (RespType, HiRespType, 6 reserved bytes, the
 * timestamp, the client challenge, 4 reserved bytes) before its AV pairs. */
#define NTLMV2_AV_PAIRS_AT (16 + 28)
#define NTLMV1_RESPONSE_LEN 24

/* A payload field's descriptor (Len, MaxLen, BufferOffset), offsets from the signature. */
struct nfield {
	uint16_t len;
	uint32_t off;
};

static bool read_field(const uint8_t *msg, size_t len, size_t at, struct nfield *f)
{
	uint16_t maxlen;
	return bytes_le16(msg, len, at, &f->len) && bytes_le16(msg, len, at + 2, &maxlen) &&
	       bytes_le32(msg, len, at + 4, &f->off);
}

/* The bytes a field points at, when they lie within the message. */
static bool field_bytes(const uint8_t *msg, size_t len, const struct nfield *f, struct cursor *out)
{
	if (f->off > len || f->len > len - f->off)
		return false;
	*out = cursor_make(msg + f->off, f->len);
	return true;
}

/* Appends code point cp as UTF-8 when it fits with the NUL; control characters become '?'. False when full. */
static bool put_utf8(char *out, size_t outlen, size_t *n, uint32_t cp)
{
	uint8_t b[4];
	size_t k;
	if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0))
		cp = '?';
	if (cp < 0x80) {
		b[0] = (uint8_t)cp;
		k = 1;
	} else if (cp < 0x800) {
		b[0] = (uint8_t)(0xc0 | cp >> 6);
		b[1] = (uint8_t)(0x80 | (cp & 0x3f));
		k = 2;
	} else if (cp < 0x10000) {
		b[0] = (uint8_t)(0xe0 | cp >> 12);
		b[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
		b[2] = (uint8_t)(0x80 | (cp & 0x3f));
		k = 3;
	} else {
		b[0] = (uint8_t)(0xf0 | cp >> 18);
		b[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3f));
		b[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
		b[3] = (uint8_t)(0x80 | (cp & 0x3f));
		k = 4;
	}
	if (*n + k >= outlen)
		return false;
	memcpy(out + *n, b, k);
	*n += k;
	return true;
}

/* UTF-16LE to printable UTF-8; an unpaired surrogate becomes '?', an odd last byte is dropped. */
static void copy_utf16(struct cursor c, char *out, size_t outlen, bool *names_cut)
{
	size_t n = 0;
	uint16_t u, lo;
	bool full = false;
	while (!full && cursor_le16(&c, &u)) {
		uint32_t cp = u;
		if (u >= 0xd800 && u < 0xdc00) {
			struct cursor peek = c;
			if (cursor_le16(&peek, &lo) && lo >= 0xdc00 && lo < 0xe000) {
				cp = 0x10000 + ((uint32_t)(u - 0xd800) << 10) + (lo - 0xdc00);
				c = peek;
			} else {
				cp = '?';
			}
		} else if (u >= 0xdc00 && u < 0xe000) {
			cp = '?';
		}
		full = !put_utf8(out, outlen, &n, cp);
	}
	out[n] = '\0';
	if (full)
		*names_cut = true;
}

/* An OEM string (code page unknown): printable ASCII kept, every other byte shown as '?'. */
static void copy_oem(struct cursor c, char *out, size_t outlen, bool *names_cut)
{
	size_t n = 0;
	uint8_t ch;
	while (cursor_u8(&c, &ch)) {
		if (n + 1 >= outlen) {
			*names_cut = true;
			break;
		}
		out[n++] = ch >= 0x20 && ch < 0x7f ? (char)ch : '?';
	}
	out[n] = '\0';
}

/* Copies the name a field points at; a field beyond the buffer leaves "" and marks the message cut. */
static void copy_name(const uint8_t *msg, size_t len, const struct nfield *f, bool unicode, char *out,
		      size_t outlen, struct ntlmssp_msg *m)
{
	struct cursor c;
	out[0] = '\0';
	if (f->len == 0)
		return;
	if (!field_bytes(msg, len, f, &c)) {
		m->cut = true;
		return;
	}
	if (unicode)
		copy_utf16(c, out, outlen, &m->names_cut);
	else
		copy_oem(c, out, outlen, &m->names_cut);
}

/* An AUTHENTICATE message without flags (the oldest form): UTF-16 when the user name looks like it. */
static bool looks_utf16(const uint8_t *msg, size_t len, const struct nfield *f)
{
	struct cursor c;
	uint8_t lo, hi;
	if (f->len == 0 || (f->len & 1) || !field_bytes(msg, len, f, &c))
		return false;
	while (cursor_u8(&c, &lo) && cursor_u8(&c, &hi))
		if (hi != 0 || lo == 0)
			return false;
	return true;
}

static void read_version(const uint8_t *msg, size_t len, size_t at, struct ntlmssp_msg *m)
{
	if (bytes_u8(msg, len, at, &m->os_major) && bytes_u8(msg, len, at + 1, &m->os_minor) &&
	    bytes_le16(msg, len, at + 2, &m->os_build))
		m->has_os_version = true;
}

/* Walks AV pairs, calling back for the ids of interest; stops at MsvAvEOL or the end. */
static void walk_av_pairs(struct cursor c, struct ntlmssp_msg *m, bool in_challenge)
{
	uint16_t id, alen;
	struct cursor v;
	while (cursor_le16(&c, &id) && cursor_le16(&c, &alen) && id != AV_EOL) {
		if (!cursor_take(&c, alen, &v)) {
			m->cut = true;
			return;
		}
		if (in_challenge && id == AV_NB_COMPUTER)
			copy_utf16(v, m->server_nb_name, sizeof m->server_nb_name, &m->names_cut);
		else if (in_challenge && id == AV_DNS_COMPUTER)
			copy_utf16(v, m->server_dns_name, sizeof m->server_dns_name, &m->names_cut);
		else if (!in_challenge && id == AV_TARGET_NAME)
			copy_utf16(v, m->client_spn, sizeof m->client_spn, &m->names_cut);
		else if (!in_challenge && id == AV_FLAGS) {
			uint32_t fl;
			if (cursor_le32(&v, &fl) && (fl & AV_FLAG_MIC))
				m->mic_present = true;
		}
	}
}

static inline size_t lowest(size_t a, const struct nfield *f)
{
	return f->len && f->off < a ? f->off : a;
}

static bool parse_negotiate(const uint8_t *msg, size_t len, struct ntlmssp_msg *m)
{
	struct nfield dom = { 0, 0 }, ws = { 0, 0 };
	if (!bytes_le32(msg, len, 12, &m->flags))
		return false;
	/* the oldest NEGOTIATE messages end after the flags */
	size_t payload = len;
	if (read_field(msg, len, 16, &dom) && read_field(msg, len, 24, &ws)) {
		payload = lowest(lowest(payload, &dom), &ws);
		if (payload < 32)
			dom.len = ws.len = 0; /* the "fields" were payload: no such fields in this message */
	}
	if ((m->flags & NTLMSSP_FLAG_VERSION) && payload >= 40)
		read_version(msg, len, 32, m);
	/* read even when the "supplied" flags are clear: some clients fill the fields without them */
	copy_name(msg, len, &dom, false, m->domain, sizeof m->domain, m);
	copy_name(msg, len, &ws, false, m->workstation, sizeof m->workstation, m);
	return true;
}

static bool parse_challenge(const uint8_t *msg, size_t len, struct ntlmssp_msg *m)
{
	struct nfield target, info = { 0, 0 };
	struct cursor c;
	if (!read_field(msg, len, 12, &target) || !bytes_le32(msg, len, 20, &m->flags))
		return false;
	c = cursor_make(msg, len);
	if (!cursor_skip(&c, 24) || !cursor_copy(&c, m->challenge, sizeof m->challenge))
		return false;
	m->has_challenge = true;
	size_t payload = lowest(len, &target);
	if (payload >= 48 && read_field(msg, len, 40, &info))
		payload = lowest(payload, &info);
	else
		info.len = 0;
	if ((m->flags & NTLMSSP_FLAG_VERSION) && payload >= 56)
		read_version(msg, len, 48, m);
	copy_name(msg, len, &target, (m->flags & NTLMSSP_FLAG_UNICODE) != 0, m->target, sizeof m->target, m);
	if (info.len) {
		if (field_bytes(msg, len, &info, &c))
			walk_av_pairs(c, m, true);
		else
			m->cut = true;
	}
	return true;
}

static bool parse_authenticate(const uint8_t *msg, size_t len, struct ntlmssp_msg *m)
{
	struct nfield lm, nt, dom, user, ws, key = { 0, 0 };
	if (!read_field(msg, len, 12, &lm) || !read_field(msg, len, 20, &nt) || !read_field(msg, len, 28, &dom) ||
	    !read_field(msg, len, 36, &user) || !read_field(msg, len, 44, &ws))
		return false;
	size_t payload = lowest(lowest(lowest(lowest(lowest(len, &lm), &nt), &dom), &user), &ws);
	bool has_flags = false;
	if (payload >= 60 && read_field(msg, len, 52, &key)) {
		payload = lowest(payload, &key);
		has_flags = payload >= 64 && bytes_le32(msg, len, 60, &m->flags);
	}
	if (!has_flags)
		m->flags = 0;
	if ((m->flags & NTLMSSP_FLAG_VERSION) && payload >= 72)
		read_version(msg, len, 64, m);
	bool unicode = has_flags ? (m->flags & NTLMSSP_FLAG_UNICODE) != 0 : looks_utf16(msg, len, &user);
	copy_name(msg, len, &dom, unicode, m->domain, sizeof m->domain, m);
	copy_name(msg, len, &user, unicode, m->user, sizeof m->user, m);
	copy_name(msg, len, &ws, unicode, m->workstation, sizeof m->workstation, m);
	m->lm_len = lm.len;
	m->nt_len = nt.len;
	if (nt.len > NTLMV1_RESPONSE_LEN)
		m->response = NTLM_RESPONSE_V2;
	else if (nt.len == NTLMV1_RESPONSE_LEN)
		m->response = NTLM_RESPONSE_V1;
	else if (lm.len >= NTLMV1_RESPONSE_LEN)
		m->response = NTLM_RESPONSE_LM;
	else
		m->response = NTLM_RESPONSE_NONE;
	m->anonymous = (m->flags & NTLMSSP_FLAG_ANONYMOUS) || (user.len == 0 && nt.len == 0 && lm.len <= 1);
	/* the NTLMv2 response's AV pairs name the service the client meant and whether a MIC follows; the proof
	 * and the client challenge before them are skipped, never read */
	if (m->response == NTLM_RESPONSE_V2) {
		struct cursor resp;
		if (field_bytes(msg, len, &nt, &resp) && cursor_skip(&resp, NTLMV2_AV_PAIRS_AT))
			walk_av_pairs(resp, m, false);
		else if (!field_bytes(msg, len, &nt, &resp))
			m->cut = true;
	}
	return true;
}

bool ntlmssp_parse(const uint8_t *msg, size_t len, struct ntlmssp_msg *out)
{
	struct cursor c = cursor_make(msg, len), sig;
	uint32_t type;
	bool ok = false;
	memset(out, 0, sizeof *out);
	if (!cursor_take(&c, sizeof NTLMSSP_SIGNATURE, &sig) ||
	    memcmp(sig.p, NTLMSSP_SIGNATURE, sizeof NTLMSSP_SIGNATURE) != 0 || !cursor_le32(&c, &type))
		return false;
	out->type = (uint8_t)type;
	switch (type) {
	case NTLMSSP_NEGOTIATE: ok = parse_negotiate(msg, len, out); break;
	case NTLMSSP_CHALLENGE: ok = parse_challenge(msg, len, out); break;
	case NTLMSSP_AUTHENTICATE: ok = parse_authenticate(msg, len, out); break;
	default: break;
	}
	if (!ok)
		memset(out, 0, sizeof *out);
	return ok;
}

bool ntlmssp_find(const uint8_t *payload, size_t len, struct ntlmssp_msg *out)
{
	struct cursor c = cursor_make(payload, len);
	memset(out, 0, sizeof *out);
	while (cursor_left(&c) >= sizeof NTLMSSP_SIGNATURE) {
		const uint8_t *hit = memchr(c.p, 'N', cursor_left(&c) - (sizeof NTLMSSP_SIGNATURE - 1));
		if (!hit)
			return false;
		c.p = hit;
		if (memcmp(hit, NTLMSSP_SIGNATURE, sizeof NTLMSSP_SIGNATURE) == 0 &&
		    ntlmssp_parse(hit, cursor_left(&c), out))
			return true;
		c.p++;
	}
	return false;
}

/* ---- DER (ITU-T X.690) as SPNEGO uses it ---- */

#define DER_SEQUENCE 0x30
#define DER_OID 0x06
#define DER_OCTETS 0x04
#define DER_ENUMERATED 0x0a
#define DER_CTX(n) (0xa0 | (n))
#define DER_APP(n) (0x60 | (n))
#define GSS_INITIAL_TOKEN DER_APP(0)

/* Reads one element: a one-byte tag and a definite length (long form up to four bytes). Content running past
 * the buffer is cut to what is there and *cut set, so that a token cut by a segment's end still names its
 * mechanism. */
static bool der_element(struct cursor *c, uint8_t *tag, struct cursor *content, bool *cut)
{
	uint8_t b, nbytes;
	uint32_t n = 0;
	if (!cursor_u8(c, tag) || (*tag & 0x1f) == 0x1f || !cursor_u8(c, &b))
		return false; /* multi-byte tags do not occur in SPNEGO */
	if (b & 0x80) {
		nbytes = b & 0x7f;
		if (nbytes == 0 || nbytes > 4)
			return false; /* indefinite length is not DER */
		for (uint8_t i = 0; i < nbytes; i++) {
			if (!cursor_u8(c, &b))
				return false;
			n = n << 8 | b;
		}
	} else {
		n = b;
	}
	if (n > cursor_left(c)) {
		*cut = true;
		n = (uint32_t)cursor_left(c);
	}
	return cursor_take(c, n, content);
}

/* An element of the wanted tag, alone in c (or first in it). */
static bool der_expect(struct cursor *c, uint8_t want, struct cursor *content, bool *cut)
{
	uint8_t tag;
	return der_element(c, &tag, content, cut) && tag == want;
}

static const struct {
	uint8_t mech;
	uint8_t len;
	uint8_t der[10];
} MECH_OIDS[] = {
	{ GSS_MECH_NTLMSSP, 10, { 0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x02, 0x02, 0x0a } },
	{ GSS_MECH_KRB5, 9, { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02 } },
	{ GSS_MECH_MS_KRB5, 9, { 0x2a, 0x86, 0x48, 0x82, 0xf7, 0x12, 0x01, 0x02, 0x02 } },
	{ GSS_MECH_KRB5_U2U, 10, { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02, 0x03 } },
	{ GSS_MECH_NEGOEX, 10, { 0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x02, 0x02, 0x1e } },
};
static const uint8_t SPNEGO_OID[] = { 0x2b, 0x06, 0x01, 0x05, 0x05, 0x02 };
static const uint8_t NEGOEX_SIGNATURE[8] = { 'N', 'E', 'G', 'O', 'E', 'X', 'T', 'S' };

static bool oid_is(struct cursor oid, const uint8_t *der, size_t n)
{
	return cursor_left(&oid) == n && memcmp(oid.p, der, n) == 0;
}

static uint8_t mech_of_oid(struct cursor oid)
{
	for (size_t i = 0; i < sizeof MECH_OIDS / sizeof MECH_OIDS[0]; i++)
		if (oid_is(oid, MECH_OIDS[i].der, MECH_OIDS[i].len))
			return MECH_OIDS[i].mech;
	return GSS_MECH_OTHER;
}

static bool is_krb_mech(uint8_t mech)
{
	return mech == GSS_MECH_KRB5 || mech == GSS_MECH_MS_KRB5 || mech == GSS_MECH_KRB5_U2U;
}

/* The Kerberos message a token starts with: its APPLICATION tag (RFC 4120 5.10) around a SEQUENCE. */
static uint8_t krb_msg_of(struct cursor c)
{
	uint8_t tag, inner;
	struct cursor content;
	bool cut = false;
	if (!der_element(&c, &tag, &content, &cut) || !cursor_u8(&content, &inner) || inner != DER_SEQUENCE)
		return 0;
	switch (tag) {
	case DER_APP(KRB_AP_REQ): return KRB_AP_REQ;
	case DER_APP(KRB_AP_REP): return KRB_AP_REP;
	case DER_APP(KRB_ERROR): return KRB_ERROR;
	default: return 0;
	}
}

static bool starts_with(struct cursor c, const uint8_t *sig, size_t n)
{
	return cursor_left(&c) >= n && memcmp(c.p, sig, n) == 0;
}

/* A GSS-API initial context token of a mechanism other than SPNEGO: the OID, then for Kerberos a two-byte token
 * id (RFC 1964 1.1) and the Kerberos message. */
static bool parse_mech_token(struct cursor body, uint8_t mech, struct ntlmssp_token *out)
{
	out->mech = mech;
	out->has_token = true;
	if (is_krb_mech(mech)) {
		uint16_t tok_id;
		out->wrap = out->wrap ? out->wrap : GSS_WRAP_KRB5;
		if (!cursor_be16(&body, &tok_id))
			return true;
		out->krb_msg = krb_msg_of(body);
		/* user-to-user's TGT request and reply are bare SEQUENCEs: their token ids name them */
		if (!out->krb_msg && tok_id == 0x0400)
			out->krb_msg = KRB_TGT_REQ;
		else if (!out->krb_msg && tok_id == 0x0401)
			out->krb_msg = KRB_TGT_REP;
		return true;
	}
	if (mech == GSS_MECH_NTLMSSP) {
		out->has_ntlmssp = ntlmssp_parse(body.p, cursor_left(&body), &out->ntlmssp);
		return true;
	}
	return true;
}

/* The token a negTokenInit's mechToken or a negTokenResp's responseToken carries: a bare NTLMSSP message, a
 * Kerberos GSS token, a bare Kerberos message, or NegoEx. */
static void parse_inner(struct cursor tok, uint8_t hint, struct ntlmssp_token *out)
{
	struct cursor body, oid;
	uint8_t tag;
	out->has_token = cursor_left(&tok) > 0;
	if (!out->has_token) {
		out->mech = hint;
		return;
	}
	if (starts_with(tok, NTLMSSP_SIGNATURE, sizeof NTLMSSP_SIGNATURE)) {
		out->mech = GSS_MECH_NTLMSSP;
		out->has_ntlmssp = ntlmssp_parse(tok.p, cursor_left(&tok), &out->ntlmssp);
		return;
	}
	if (starts_with(tok, NEGOEX_SIGNATURE, sizeof NEGOEX_SIGNATURE)) {
		out->mech = GSS_MECH_NEGOEX;
		return;
	}
	struct cursor peek = tok;
	if (der_element(&peek, &tag, &body, &out->cut) && tag == GSS_INITIAL_TOKEN &&
	    der_expect(&body, DER_OID, &oid, &out->cut)) {
		parse_mech_token(body, mech_of_oid(oid), out);
		return;
	}
	uint8_t krb = krb_msg_of(tok);
	if (krb) {
		out->mech = is_krb_mech(hint) ? hint : GSS_MECH_KRB5;
		out->krb_msg = krb;
		return;
	}
	out->mech = hint ? hint : GSS_MECH_OTHER;
}

/* negTokenInit ::= SEQUENCE { mechTypes [0], reqFlags [1], mechToken [2], mechListMIC [3] } (negTokenInit2's
 * negHints take [3] there too; both are skipped). */
static bool parse_neg_init(struct cursor content, struct ntlmssp_token *out)
{
	struct cursor seq, el, list, oid, tok = { NULL, NULL };
	uint8_t tag, first = GSS_MECH_NONE;
	bool have_token = false;
	if (!der_expect(&content, DER_SEQUENCE, &seq, &out->cut))
		return false;
	out->wrap = GSS_WRAP_SPNEGO_INIT;
	while (cursor_left(&seq) && der_element(&seq, &tag, &el, &out->cut)) {
		if (tag == DER_CTX(0) && der_expect(&el, DER_SEQUENCE, &list, &out->cut)) {
			while (cursor_left(&list) && der_expect(&list, DER_OID, &oid, &out->cut)) {
				uint8_t m = mech_of_oid(oid);
				out->mechs_offered |= (uint16_t)(1u << m);
				if (first == GSS_MECH_NONE)
					first = m;
			}
		} else if (tag == DER_CTX(2) && der_expect(&el, DER_OCTETS, &tok, &out->cut)) {
			have_token = true;
		}
	}
	if (have_token)
		parse_inner(tok, first, out);
	else
		out->mech = first;
	return true;
}

/* negTokenResp ::= SEQUENCE { negState [0], supportedMech [1], responseToken [2], mechListMIC [3] } */
static bool parse_neg_resp(struct cursor content, struct ntlmssp_token *out)
{
	struct cursor seq, el, v, tok = { NULL, NULL };
	uint8_t tag, state, supported = GSS_MECH_NONE;
	bool have_token = false;
	if (!der_expect(&content, DER_SEQUENCE, &seq, &out->cut))
		return false;
	out->wrap = GSS_WRAP_SPNEGO_RESP;
	while (cursor_left(&seq) && der_element(&seq, &tag, &el, &out->cut)) {
		if (tag == DER_CTX(0) && der_expect(&el, DER_ENUMERATED, &v, &out->cut) && cursor_u8(&v, &state))
			out->neg_state = state;
		else if (tag == DER_CTX(1) && der_expect(&el, DER_OID, &v, &out->cut))
			supported = mech_of_oid(v);
		else if (tag == DER_CTX(2) && der_expect(&el, DER_OCTETS, &tok, &out->cut))
			have_token = true;
	}
	if (have_token)
		parse_inner(tok, supported, out);
	else
		out->mech = supported;
	return true;
}

bool ntlmssp_parse_token(const uint8_t *blob, size_t len, struct ntlmssp_token *out)
{
	struct cursor c = cursor_make(blob, len), content, oid;
	uint8_t tag;
	bool ok = false;
	memset(out, 0, sizeof *out);
	out->neg_state = 0xff;
	if (starts_with(c, NTLMSSP_SIGNATURE, sizeof NTLMSSP_SIGNATURE)) {
		out->wrap = GSS_WRAP_RAW_NTLMSSP;
		out->mech = GSS_MECH_NTLMSSP;
		out->has_token = true;
		out->has_ntlmssp = ntlmssp_parse(blob, len, &out->ntlmssp);
		ok = out->has_ntlmssp;
	} else if (krb_msg_of(c)) {
		out->wrap = GSS_WRAP_KRB5;
		out->mech = GSS_MECH_KRB5;
		out->has_token = true;
		out->krb_msg = krb_msg_of(c);
		ok = true;
	} else if (der_element(&c, &tag, &content, &out->cut)) {
		if (tag == GSS_INITIAL_TOKEN && der_expect(&content, DER_OID, &oid, &out->cut)) {
			if (oid_is(oid, SPNEGO_OID, sizeof SPNEGO_OID)) {
				struct cursor inner;
				if (der_element(&content, &tag, &inner, &out->cut))
					ok = tag == DER_CTX(0)   ? parse_neg_init(inner, out)
					     : tag == DER_CTX(1) ? parse_neg_resp(inner, out)
								 : false;
			} else {
				uint8_t mech = mech_of_oid(oid);
				out->wrap = is_krb_mech(mech) ? GSS_WRAP_KRB5 : GSS_WRAP_NONE;
				ok = mech != GSS_MECH_OTHER && parse_mech_token(content, mech, out);
				if (mech == GSS_MECH_NTLMSSP)
					out->wrap = GSS_WRAP_RAW_NTLMSSP;
			}
		} else if (tag == DER_CTX(1)) {
			ok = parse_neg_resp(content, out);
		} else if (tag == DER_CTX(0)) {
			ok = parse_neg_init(content, out);
		}
	}
	if (!ok) {
		memset(out, 0, sizeof *out);
		out->neg_state = 0xff;
	}
	return ok;
}

/* ---- HTTP (RFC 4559): "NTLM <base64>" / "Negotiate <base64>" ---- */

#define HTTP_TOKEN_MAX 8192

static int b64_value(uint8_t ch)
{
	if (ch >= 'A' && ch <= 'Z')
		return ch - 'A';
	if (ch >= 'a' && ch <= 'z')
		return ch - 'a' + 26;
	if (ch >= '0' && ch <= '9')
		return ch - '0' + 52;
	if (ch == '+')
		return 62;
	if (ch == '/')
		return 63;
	return -1;
}

/* Decodes base64 from c until a character outside the alphabet; at most outlen bytes. *more is set when the
 * token went on past outlen. */
static size_t b64_decode(struct cursor *c, uint8_t *out, size_t outlen, bool *more)
{
	uint32_t acc = 0;
	int bits = 0, v;
	size_t n = 0;
	uint8_t ch;
	while (cursor_u8(c, &ch) && (v = b64_value(ch)) >= 0) {
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (n == outlen) {
				*more = true;
				break;
			}
			out[n++] = (uint8_t)(acc >> bits);
		}
	}
	return n;
}

static bool scheme_is(struct cursor word, const char *name)
{
	size_t n = strlen(name);
	uint8_t ch;
	if (cursor_left(&word) != n)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (!cursor_u8(&word, &ch))
			return false;
		if ((ch | 0x20) != (name[i] | 0x20))
			return false;
	}
	return true;
}

static bool peek_u8(const struct cursor *c, uint8_t *v)
{
	struct cursor t = *c;
	return cursor_u8(&t, v);
}

static bool is_blank(uint8_t ch)
{
	return ch == ' ' || ch == '\t';
}

bool ntlmssp_parse_http(const char *value, size_t len, enum http_auth_scheme *scheme, struct ntlmssp_token *out)
{
	struct cursor c = cursor_make((const uint8_t *)value, len), word;
	uint8_t ch;
	memset(out, 0, sizeof *out);
	out->neg_state = 0xff;
	*scheme = HTTP_AUTH_OTHER;
	while (peek_u8(&c, &ch) && is_blank(ch))
		cursor_skip(&c, 1);
	word.p = c.p;
	while (peek_u8(&c, &ch) && !is_blank(ch) && ch != ',')
		cursor_skip(&c, 1);
	word.end = c.p;
	if (scheme_is(word, "NTLM"))
		*scheme = HTTP_AUTH_NTLM;
	else if (scheme_is(word, "Negotiate"))
		*scheme = HTTP_AUTH_NEGOTIATE;
	else
		return false;
	while (peek_u8(&c, &ch) && is_blank(ch))
		cursor_skip(&c, 1);
	if (!peek_u8(&c, &ch) || b64_value(ch) < 0)
		return true; /* the scheme alone, or followed by another challenge */
	uint8_t buf[HTTP_TOKEN_MAX];
	bool more = false;
	size_t n = b64_decode(&c, buf, sizeof buf, &more);
	ntlmssp_parse_token(buf, n, out);
	if (more)
		out->cut = true;
	/* the decoded token holds the responses: leave nothing of it on the stack */
	explicit_bzero(buf, n);
	return true;
}

const char *ntlmssp_type_name(unsigned type)
{
	switch (type) {
	case NTLMSSP_NEGOTIATE: return "NEGOTIATE";
	case NTLMSSP_CHALLENGE: return "CHALLENGE";
	case NTLMSSP_AUTHENTICATE: return "AUTHENTICATE";
	default: return NULL;
	}
}

const char *ntlm_response_name(unsigned response)
{
	switch (response) {
	case NTLM_RESPONSE_LM: return "LM";
	case NTLM_RESPONSE_V1: return "NTLMv1";
	case NTLM_RESPONSE_V2: return "NTLMv2";
	default: return "none";
	}
}

const char *gss_mech_name(unsigned mech)
{
	switch (mech) {
	case GSS_MECH_NTLMSSP: return "NTLMSSP";
	case GSS_MECH_KRB5: return "Kerberos";
	case GSS_MECH_MS_KRB5: return "MS-Kerberos";
	case GSS_MECH_KRB5_U2U: return "Kerberos-U2U";
	case GSS_MECH_NEGOEX: return "NegoEx";
	case GSS_MECH_OTHER: return "other";
	default: return NULL;
	}
}

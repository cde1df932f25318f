/* Unit tests of the NTLMSSP / SPNEGO parser against tshark, on every NTLMSSP message and SPNEGO token of the lab's
 * captures (tests/lab/make-attacks.sh: ntlmrelayx, smbclient, curl --ntlm, Samba, cm-web.py) and of public ones
 * (SMB1, SMB2/3, DCE/RPC, LDAP, HTTP); tshark's reading is in tests/unit/ref/ntlmssp.tsv
 * (tests/unit/make-auth-ref.py). The token is found in each frame the way its carrier frames it (HTTP headers,
 * SMB1/SMB2 security blobs, DCE/RPC auth verifiers) or, for carriers the test does not frame (LDAP), by the
 * NTLMSSP signature. Also: every cut of real messages under AddressSanitizer, and no byte of an LM/NT response,
 * session key or MIC in what the parser returns. */
#define _GNU_SOURCE /* memmem */
#include <ctype.h>
#include <criterion/logging.h>
#include <strings.h>

#include "capture_walk.h"
#include "lib/bytes.h"
#include "proto/ntlmssp.h"
#include "proto/smb.h"
#include "proto/tds.h"

/* ---- finding the token in a frame, by its carrier ---- */

enum carrier { CARRIER_NONE, CARRIER_HTTP, CARRIER_SMB, CARRIER_DCERPC, CARRIER_SCAN };

struct found {
	enum carrier carrier;
	struct ntlmssp_token tok;
	const uint8_t *blob;    /* the token as given to the parser (in the frame, or decoded from HTTP's base64) */
	size_t blob_len;
	const uint8_t *raw;     /* the NTLMSSP message's bytes within it (for the secret checks), or NULL */
	size_t raw_len;
};

/* HTTP tokens decoded by the test itself, for the secret checks and the cuts */
static uint8_t http_decoded[8192];

static size_t test_b64(const uint8_t *s, size_t n, uint8_t *out, size_t outlen)
{
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	uint32_t acc = 0;
	int bits = 0;
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		const char *at = s[i] ? strchr(alphabet, s[i]) : NULL;
		if (!at)
			break;
		acc = acc << 6 | (uint32_t)(at - alphabet);
		bits += 6;
		if (bits >= 8 && k < outlen) {
			bits -= 8;
			out[k++] = (uint8_t)(acc >> bits);
		}
	}
	return k;
}

static void note_raw(struct found *f, const uint8_t *blob, size_t len)
{
	static const uint8_t sig[8] = { 'N', 'T', 'L', 'M', 'S', 'S', 'P', 0 };
	for (size_t i = 0; i + 8 <= len; i++)
		if (memcmp(blob + i, sig, 8) == 0) {
			f->raw = blob + i;
			f->raw_len = len - i;
			return;
		}
}

static bool try_blob(struct found *f, enum carrier c, const uint8_t *p, size_t len, size_t off, size_t n)
{
	if (off > len || n > len - off || n == 0)
		return false;
	struct ntlmssp_token t;
	if (!ntlmssp_parse_token(p + off, n, &t))
		return false;
	if (f->carrier != CARRIER_NONE && f->tok.has_ntlmssp)
		return true; /* the first NTLMSSP token of the frame counts */
	f->carrier = c;
	f->tok = t;
	f->blob = p + off;
	f->blob_len = n;
	note_raw(f, p + off, n);
	return true;
}

static bool http_headers(const uint8_t *p, size_t len, struct found *f)
{
	static const char *const names[] = { "authorization:", "www-authenticate:", "proxy-authorization:",
					     "proxy-authenticate:" };
	if (len < 8 || !(memcmp(p, "HTTP/1.", 7) == 0 || (isupper(p[0]) && memchr(p, ' ', len < 16 ? len : 16))))
		return false;
	bool any = false;
	const uint8_t *line = p, *end = p + len;
	while (line < end) {
		const uint8_t *eol = memchr(line, '\n', (size_t)(end - line));
		size_t n = (size_t)((eol ? eol : end) - line);
		for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
			size_t k = strlen(names[i]);
			if (n > k && strncasecmp((const char *)line, names[i], k) == 0) {
				size_t vlen = n - k;
				while (vlen && (line[k + vlen - 1] == '\r'))
					vlen--;
				enum http_auth_scheme scheme;
				struct ntlmssp_token t;
				if (ntlmssp_parse_http((const char *)line + k, vlen, &scheme, &t) && t.wrap != GSS_WRAP_NONE &&
				    !(any && f->tok.has_ntlmssp)) {
					f->carrier = CARRIER_HTTP;
					f->tok = t;
					any = true;
					const uint8_t *b64 = memchr(line + k + 1, ' ', vlen - 1);
					size_t skip = b64 ? (size_t)(b64 + 1 - (line + k)) : vlen;
					f->blob = http_decoded;
					f->blob_len = test_b64(line + k + skip, vlen - skip, http_decoded, sizeof http_decoded);
					note_raw(f, f->blob, f->blob_len);
				}
			}
		}
		if (!eol)
			break;
		line = eol + 1;
	}
	return any;
}

/* SMB2 NEGOTIATE responses and SESSION_SETUP messages, SMB1 NEGOTIATE responses (extended security) and
 * SESSION_SETUP_ANDX, behind NetBIOS session framing ([MS-SMB2] 2.2.4, 2.2.5, 2.2.6; [MS-SMB] 2.2.4.5, 2.2.4.6). */
static bool smb_blobs(const uint8_t *p, size_t len, struct found *f)
{
	size_t at = 0;
	bool any = false;
	uint8_t type, l1;
	uint16_t l2;
	while (bytes_u8(p, len, at, &type) && type == 0 && bytes_u8(p, len, at + 1, &l1) &&
	       bytes_be16(p, len, at + 2, &l2)) {
		size_t msg = at + 4, mlen = (size_t)l1 << 16 | l2, cut = len - msg < mlen ? len - msg : mlen;
		const uint8_t *m = p + msg;
		uint32_t magic;
		if (!bytes_be32(m, cut, 0, &magic))
			break;
		if (magic == 0xfe534d42) {
			size_t h = 0;
			for (int chain = 0; chain < 8; chain++) {
				uint16_t cmd, off = 0, blen = 0;
				uint32_t flags, next;
				if (!bytes_le16(m, cut, h + 12, &cmd) || !bytes_le32(m, cut, h + 16, &flags) ||
				    !bytes_le32(m, cut, h + 20, &next))
					break;
				bool resp = flags & 1;
				size_t body = h + 64;
				bool have = false;
				if (cmd == 0 && resp)
					have = bytes_le16(m, cut, body + 56, &off) && bytes_le16(m, cut, body + 58, &blen);
				else if (cmd == 1 && !resp)
					have = bytes_le16(m, cut, body + 12, &off) && bytes_le16(m, cut, body + 14, &blen);
				else if (cmd == 1 && resp)
					have = bytes_le16(m, cut, body + 4, &off) && bytes_le16(m, cut, body + 6, &blen);
				if (have)
					any |= try_blob(f, CARRIER_SMB, m, cut, h + off, blen);
				if (next == 0)
					break;
				h += next;
			}
		} else if (magic == 0xff534d42) {
			uint8_t cmd, flags, wc;
			uint16_t blen, bc;
			if (bytes_u8(m, cut, 4, &cmd) && bytes_u8(m, cut, 9, &flags) && bytes_u8(m, cut, 32, &wc)) {
				bool resp = flags & 0x80;
				size_t words = 33, bytes = words + 2 * (size_t)wc + 2;
				if (cmd == 0x73 && !resp && wc == 12 && bytes_le16(m, cut, words + 14, &blen))
					any |= try_blob(f, CARRIER_SMB, m, cut, bytes, blen);
				else if (cmd == 0x73 && resp && wc == 4 && bytes_le16(m, cut, words + 6, &blen))
					any |= try_blob(f, CARRIER_SMB, m, cut, bytes, blen);
				else if (cmd == 0x72 && resp && wc == 17 && bytes_le16(m, cut, bytes - 2, &bc) && bc > 16)
					any |= try_blob(f, CARRIER_SMB, m, cut, bytes + 16, bc - 16u);
			}
		}
		at = msg + mlen;
	}
	return any;
}

/* DCE/RPC connection-oriented PDUs with an auth verifier ([C706] 13.2.6.1, [MS-RPCE] 2.2.2.11). */
static bool dcerpc_verifiers(const uint8_t *p, size_t len, struct found *f)
{
	size_t at = 0;
	bool any = false;
	uint8_t v, vminor, drep;
	uint16_t frag, alen;
	while (bytes_u8(p, len, at, &v) && v == 5 && bytes_u8(p, len, at + 1, &vminor) && vminor == 0 &&
	       bytes_u8(p, len, at + 4, &drep) && (drep & 0x10) && bytes_le16(p, len, at + 8, &frag) &&
	       bytes_le16(p, len, at + 10, &alen) && frag >= 16) {
		if (alen && frag >= alen + 24u)
			any |= try_blob(f, CARRIER_DCERPC, p, len, at + frag - alen, alen);
		at += frag;
	}
	return any;
}

static void find_token(const uint8_t *p, size_t len, struct found *f)
{
	memset(f, 0, sizeof *f);
	f->tok.neg_state = 0xff;
	if (http_headers(p, len, f) || smb_blobs(p, len, f) || dcerpc_verifiers(p, len, f))
		return;
	struct ntlmssp_msg m;
	if (ntlmssp_find(p, len, &m)) {
		f->carrier = CARRIER_SCAN;
		f->tok.has_ntlmssp = true;
		f->tok.mech = GSS_MECH_NTLMSSP;
		f->tok.ntlmssp = m;
		note_raw(f, p, len);
		f->blob = f->raw;
		f->blob_len = f->raw_len;
	}
}

/* ---- tshark's words for what the parser returns ---- */

static unsigned mech_of_oid(const char *oid)
{
	static const struct {
		const char *oid;
		unsigned mech;
	} map[] = { { "1.3.6.1.4.1.311.2.2.10", GSS_MECH_NTLMSSP }, { "1.2.840.113554.1.2.2", GSS_MECH_KRB5 },
		    { "1.2.840.48018.1.2.2", GSS_MECH_MS_KRB5 }, { "1.2.840.113554.1.2.2.3", GSS_MECH_KRB5_U2U },
		    { "1.3.6.1.4.1.311.2.2.30", GSS_MECH_NEGOEX } };
	for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
		if (strcmp(oid, map[i].oid) == 0)
			return map[i].mech;
	return GSS_MECH_OTHER;
}

static void hex(const uint8_t *b, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", b[i]);
	out[2 * n] = '\0';
}

/* ref fields (tests/unit/make-auth-ref.py) */
enum { F_CAPTURE, F_FRAME, F_SPNEGO, F_NEGRESULT, F_MECHS, F_SUPPORTED, F_KRB, F_TYPE, F_FLAGS, F_CHALLENGE,
       F_TARGET, F_NB, F_DNS, F_DOMAIN, F_USER, F_HOST, F_SPN, F_NTLEN, F_LMLEN, F_VERSION, F_MIC };

struct tally {
	int rows, ntlm, spnego, krb, by_carrier[5], unframed;
};

static void check_row(const struct ref_line *r, const struct found *f, struct tally *t)
{
	const char *where = r->f[F_CAPTURE];
	int frame = atoi(r->f[F_FRAME]);
	bool is_ntlm = r->f[F_TYPE][0] != '\0';
	t->rows++;
	if (!is_ntlm && f->carrier == CARRIER_NONE) {
		t->unframed++; /* a SPNEGO token in a carrier the test does not frame (LDAP SASL) */
		return;
	}
	cr_assert_neq(f->carrier, CARRIER_NONE, "%s frame %d: no token found", where, frame);
	t->by_carrier[f->carrier]++;
	const struct ntlmssp_token *tok = &f->tok;
	/* the wrapping, as tshark saw it */
	if (f->carrier != CARRIER_SCAN) {
		if (strcmp(r->f[F_SPNEGO], "init") == 0)
			cr_assert_eq(tok->wrap, GSS_WRAP_SPNEGO_INIT, "%s frame %d: wrap %d", where, frame, tok->wrap);
		else if (strcmp(r->f[F_SPNEGO], "resp") == 0)
			cr_assert_eq(tok->wrap, GSS_WRAP_SPNEGO_RESP, "%s frame %d: wrap %d", where, frame, tok->wrap);
		else if (is_ntlm)
			cr_assert_eq(tok->wrap, GSS_WRAP_RAW_NTLMSSP, "%s frame %d: wrap %d", where, frame, tok->wrap);
		if (r->f[F_SPNEGO][0] != '-')
			t->spnego++;
	}
	if (r->f[F_NEGRESULT][0])
		cr_assert_eq(tok->neg_state, atoi(r->f[F_NEGRESULT]), "%s frame %d", where, frame);
	if (r->f[F_MECHS][0]) {
		char list[512];
		snprintf(list, sizeof list, "%s", r->f[F_MECHS]);
		unsigned bits = 0, first = GSS_MECH_NONE;
		for (char *save = NULL, *o = strtok_r(list, ",", &save); o; o = strtok_r(NULL, ",", &save)) {
			unsigned m = mech_of_oid(o);
			bits |= 1u << m;
			if (first == GSS_MECH_NONE)
				first = m;
		}
		cr_assert_eq(tok->mechs_offered, bits, "%s frame %d: offered %#x, tshark %#x", where, frame,
			     tok->mechs_offered, bits);
		if (!tok->has_token)
			cr_assert_eq(tok->mech, first, "%s frame %d", where, frame);
	}
	if (r->f[F_KRB][0]) {
		t->krb++;
		cr_assert(tok->mech == GSS_MECH_KRB5 || tok->mech == GSS_MECH_MS_KRB5 || tok->mech == GSS_MECH_KRB5_U2U,
			  "%s frame %d: mech %s", where, frame, gss_mech_name(tok->mech));
		cr_assert_eq(tok->krb_msg, atoi(r->f[F_KRB]), "%s frame %d", where, frame);
		cr_assert_not(tok->has_ntlmssp);
	}
	if (!is_ntlm) {
		cr_assert_not(tok->has_ntlmssp, "%s frame %d: NTLMSSP tshark did not see", where, frame);
		return;
	}
	/* the NTLMSSP message, field by field */
	t->ntlm++;
	cr_assert(tok->has_ntlmssp, "%s frame %d: no NTLMSSP message", where, frame);
	const struct ntlmssp_msg *m = &tok->ntlmssp;
	cr_assert_eq(m->type, atoi(r->f[F_TYPE]), "%s frame %d", where, frame);
	cr_assert_eq(m->flags, strtoul(r->f[F_FLAGS], NULL, 16), "%s frame %d: flags %#x", where, frame, m->flags);
	char ch[17] = "";
	if (m->has_challenge)
		hex(m->challenge, 8, ch);
	cr_assert_str_eq(ch, r->f[F_CHALLENGE], "%s frame %d", where, frame);
	cr_assert_str_eq(m->target, r->f[F_TARGET], "%s frame %d", where, frame);
	cr_assert_str_eq(m->server_nb_name, r->f[F_NB], "%s frame %d", where, frame);
	cr_assert_str_eq(m->server_dns_name, r->f[F_DNS], "%s frame %d", where, frame);
	cr_assert_str_eq(m->domain, r->f[F_DOMAIN], "%s frame %d", where, frame);
	cr_assert_str_eq(m->user, r->f[F_USER], "%s frame %d", where, frame);
	cr_assert_str_eq(m->workstation, r->f[F_HOST], "%s frame %d", where, frame);
	cr_assert_str_eq(m->client_spn, r->f[F_SPN], "%s frame %d", where, frame);
	char ver[32] = "";
	if (m->has_os_version)
		snprintf(ver, sizeof ver, "%u.%u.%u", m->os_major, m->os_minor, m->os_build);
	cr_assert_str_eq(ver, r->f[F_VERSION], "%s frame %d", where, frame);
	cr_assert_not(m->cut, "%s frame %d", where, frame);
	if (m->type == NTLMSSP_AUTHENTICATE) {
		int nt = atoi(r->f[F_NTLEN]), lm = atoi(r->f[F_LMLEN]);
		cr_assert_eq(m->nt_len, nt, "%s frame %d", where, frame);
		cr_assert_eq(m->lm_len, lm, "%s frame %d", where, frame);
		enum ntlm_response want = nt > 24 ? NTLM_RESPONSE_V2 : nt == 24 ? NTLM_RESPONSE_V1
					: lm >= 24 ? NTLM_RESPONSE_LM : NTLM_RESPONSE_NONE;
		cr_assert_eq(m->response, want, "%s frame %d", where, frame);
		cr_assert_eq(m->mic_present, atoi(r->f[F_MIC]) == 1, "%s frame %d", where, frame);
		bool anon = (m->flags & NTLMSSP_FLAG_ANONYMOUS) || (m->user[0] == '\0' && nt == 0 && lm <= 1);
		cr_assert_eq(m->anonymous, anon, "%s frame %d", where, frame);
	}
}

Test(ntlmssp, every_token_as_tshark_reads_it)
{
	FILE *fp = ref_open("ntlmssp.tsv");
	struct ref_line r;
	struct walk w = { 0 };
	char open_capture[256] = "";
	struct tally t = { 0 };
	while (ref_next(fp, &r)) {
		if (strcmp(open_capture, r.f[F_CAPTURE]) != 0) {
			walk_close(&w);
			walk_open(&w, r.f[F_CAPTURE]);
			snprintf(open_capture, sizeof open_capture, "%s", r.f[F_CAPTURE]);
		}
		int frame = atoi(r.f[F_FRAME]);
		cr_assert(walk_to(&w, frame), "%s frame %d: not decoded", r.f[F_CAPTURE], frame);
		struct found f;
		find_token(w.copy, w.copy_len, &f);
		check_row(&r, &f, &t);
	}
	walk_close(&w);
	fclose(fp);
	/* what the references hold: every NTLMSSP message of 30 captures, SPNEGO around most of them, Kerberos */
	cr_log_info("ntlmssp: %d rows, %d NTLMSSP messages, %d SPNEGO tokens, %d Kerberos tokens; HTTP %d, SMB %d, "
		    "DCE/RPC %d, found by signature %d, not framed %d",
		    t.rows, t.ntlm, t.spnego, t.krb, t.by_carrier[CARRIER_HTTP], t.by_carrier[CARRIER_SMB],
		    t.by_carrier[CARRIER_DCERPC], t.by_carrier[CARRIER_SCAN], t.unframed);
	cr_assert_geq(t.ntlm, 150);
	cr_assert_geq(t.by_carrier[CARRIER_HTTP], 18);
	cr_assert_geq(t.by_carrier[CARRIER_DCERPC], 10);
	cr_assert_geq(t.krb, 5);
	cr_assert_leq(t.unframed, 10);
}

/* ---- what the relay captures show (pcaps/README.md) ---- */

/* The frames' tokens of one capture, in order. */
static int tokens_of(const char *capture, const int *frames, int n, struct found *out)
{
	struct walk w;
	walk_open(&w, capture);
	for (int i = 0; i < n; i++) {
		cr_assert(walk_to(&w, frames[i]), "%s frame %d", capture, frames[i]);
		find_token(w.copy, w.copy_len, &out[i]);
		out[i].raw = out[i].blob = NULL; /* they pointed into the walk's buffer */
	}
	walk_close(&w);
	return n;
}

Test(ntlmssp, a_relay_forwards_the_challenge_and_names_the_relay_host)
{
	/* cm-attack-relay.pcap: 10.1.0.5 -> 10.7.0.99 (victim to relay) and 10.7.0.99 -> 10.1.0.20 (relay to target) */
	static const int frames[] = { 23, 24, 25, 26 };
	struct found f[4];
	tokens_of("cm-attack-relay.pcap", frames, 4, f);
	cr_assert_eq(f[0].tok.ntlmssp.type, NTLMSSP_CHALLENGE);
	cr_assert_eq(f[1].tok.ntlmssp.type, NTLMSSP_CHALLENGE);
	cr_assert(memcmp(f[0].tok.ntlmssp.challenge, f[1].tok.ntlmssp.challenge, 8) == 0,
		  "the target's challenge reaches the victim unchanged");
	cr_assert_str_eq(f[1].tok.ntlmssp.server_nb_name, "SQL", "the victim is told the target's name");
	cr_assert_eq(f[2].tok.ntlmssp.type, NTLMSSP_AUTHENTICATE);
	cr_assert_str_eq(f[2].tok.ntlmssp.user, "cmpush");
	cr_assert_str_eq(f[2].tok.ntlmssp.client_spn, "cifs/10.7.0.99", "the victim meant the relay host");
	cr_assert_str_eq(f[3].tok.ntlmssp.client_spn, "cifs/10.7.0.99", "and the target is sent that unchanged");
	cr_assert_eq(f[2].tok.wrap, GSS_WRAP_SPNEGO_RESP, "smbclient wraps NTLMSSP in SPNEGO");
	cr_assert_eq(f[3].tok.wrap, GSS_WRAP_RAW_NTLMSSP, "ntlmrelayx sends it bare");
	cr_assert_eq(f[2].tok.ntlmssp.response, NTLM_RESPONSE_V2);
	cr_assert(f[2].tok.ntlmssp.mic_present);
}

Test(ntlmssp, http_headers_and_anonymous_logins)
{
	/* cm-attack-cred2.pcap: curl --ntlm: NEGOTIATE (6), CHALLENGE from cm-web.py (8), AUTHENTICATE (10) */
	static const int frames[] = { 6, 8, 10 };
	struct found f[3];
	tokens_of("cm-attack-cred2.pcap", frames, 3, f);
	for (int i = 0; i < 3; i++) {
		cr_assert_eq(f[i].carrier, CARRIER_HTTP);
		cr_assert_eq(f[i].tok.wrap, GSS_WRAP_RAW_NTLMSSP);
		cr_assert_eq(f[i].tok.ntlmssp.type, i + 1);
	}
	cr_assert_str_eq(f[1].tok.ntlmssp.server_dns_name, "mp01.abc.example");
	cr_assert_str_eq(f[2].tok.ntlmssp.user, "cmnaa");
	cr_assert_str_eq(f[2].tok.ntlmssp.domain, "ABC");
	cr_assert_not(f[2].tok.ntlmssp.anonymous);
	/* cm-smb-signing.pcap frame 12: smbclient -U% logs in anonymously */
	static const int anon[] = { 12 };
	tokens_of("cm-smb-signing.pcap", anon, 1, f);
	cr_assert(f[0].tok.ntlmssp.anonymous);
	cr_assert_eq(f[0].tok.ntlmssp.response, NTLM_RESPONSE_NONE);
	cr_assert_str_eq(f[0].tok.ntlmssp.workstation, "CLIENT21");

	enum http_auth_scheme s;
	struct ntlmssp_token t;
	cr_assert(ntlmssp_parse_http("Negotiate", 9, &s, &t));
	cr_assert_eq(s, HTTP_AUTH_NEGOTIATE);
	cr_assert_eq(t.wrap, GSS_WRAP_NONE, "a scheme alone");
	cr_assert(ntlmssp_parse_http("  ntlm  ", 8, &s, &t));
	cr_assert_eq(s, HTTP_AUTH_NTLM);
	cr_assert_not(ntlmssp_parse_http("Basic dXNlcjpwYXNz", 18, &s, &t));
	cr_assert_not(ntlmssp_parse_http("NTLMv2 TlRMTVNTUAAB", 19, &s, &t), "a scheme is a whole word");
}

/* ---- secrets ---- */

/* The AUTHENTICATE message's secret fields, located by its own descriptors (test code reads them to search). */
static void secret_fields(const uint8_t *msg, size_t len, const uint8_t **nt, size_t *ntn, const uint8_t **lm,
			  size_t *lmn, const uint8_t **key, size_t *keyn)
{
	uint16_t l;
	uint32_t o;
	*ntn = *lmn = *keyn = 0;
	if (bytes_le16(msg, len, 20, &l) && bytes_le32(msg, len, 24, &o) && o <= len && l <= len - o)
		*nt = msg + o, *ntn = l;
	if (bytes_le16(msg, len, 12, &l) && bytes_le32(msg, len, 16, &o) && o <= len && l <= len - o)
		*lm = msg + o, *lmn = l;
	if (bytes_le16(msg, len, 52, &l) && bytes_le32(msg, len, 56, &o) && o <= len && l <= len - o && o >= 64)
		*key = msg + o, *keyn = l;
}

Test(ntlmssp, no_response_key_or_mic_in_what_is_returned)
{
	FILE *fp = ref_open("ntlmssp.tsv");
	struct ref_line r;
	struct walk w = { 0 };
	char open_capture[256] = "";
	int checked = 0;
	while (ref_next(fp, &r)) {
		if (strcmp(r.f[F_TYPE], "3") != 0)
			continue;
		if (strcmp(open_capture, r.f[F_CAPTURE]) != 0) {
			walk_close(&w);
			walk_open(&w, r.f[F_CAPTURE]);
			snprintf(open_capture, sizeof open_capture, "%s", r.f[F_CAPTURE]);
		}
		cr_assert(walk_to(&w, atoi(r.f[F_FRAME])));
		struct found f;
		find_token(w.copy, w.copy_len, &f);
		cr_assert_not_null(f.raw);
		const uint8_t *nt = NULL, *lm = NULL, *key = NULL;
		size_t ntn, lmn, keyn;
		secret_fields(f.raw, f.raw_len, &nt, &ntn, &lm, &lmn, &key, &keyn);
		const char *where = r.f[F_CAPTURE];
		/* the NTLMv2 response's proof and client challenge, all of an NTLMv1 / LM response, the key, the MIC */
		cr_assert_not(ntn && holds_window_of(&f.tok, sizeof f.tok, nt, ntn > 44 ? 44 : ntn), "%s: NT response",
			      where);
		cr_assert_not(lmn && holds_window_of(&f.tok, sizeof f.tok, lm, lmn), "%s: LM response", where);
		cr_assert_not(keyn && holds_window_of(&f.tok, sizeof f.tok, key, keyn), "%s: session key", where);
		if (f.tok.ntlmssp.mic_present && f.raw_len >= 88)
			cr_assert_not(holds_window_of(&f.tok, sizeof f.tok, f.raw + 72, 16), "%s: MIC", where);
		/* and the same through ntlmssp_find alone */
		struct ntlmssp_msg m;
		cr_assert(ntlmssp_find(f.raw, f.raw_len, &m));
		cr_assert_not(ntn && holds_window_of(&m, sizeof m, nt, ntn > 44 ? 44 : ntn));
		checked++;
	}
	walk_close(&w);
	fclose(fp);
	cr_assert_geq(checked, 40, "AUTHENTICATE messages checked: %d", checked);
}

/* ---- every cut under AddressSanitizer ---- */

static void every_cut_of(const char *capture, int frame)
{
	struct walk w;
	walk_open(&w, capture);
	cr_assert(walk_to(&w, frame));
	struct found whole;
	find_token(w.copy, w.copy_len, &whole);
	cr_assert(whole.tok.has_ntlmssp, "%s frame %d", capture, frame);
	/* the token's own bytes, as the carrier framed them */
	const uint8_t *start = whole.blob;
	size_t total = whole.blob_len;
	for (size_t n = 0; n <= total; n++) {
		uint8_t *copy = malloc(n ? n : 1);
		memcpy(copy, start, n);
		struct ntlmssp_token t;
		struct ntlmssp_msg m;
		ntlmssp_parse_token(copy, n, &t);
		if (ntlmssp_parse(copy, n, &m)) {
			/* a name is whole, or absent */
			cr_assert(m.user[0] == '\0' || strcmp(m.user, whole.tok.ntlmssp.user) == 0, "cut %zu", n);
		}
		ntlmssp_find(copy, n, &m);
		free(copy);
	}
	walk_close(&w);
}

Test(ntlmssp, every_cut_stays_in_bounds)
{
	every_cut_of("cm-attack-relay.pcap", 24); /* SPNEGO negTokenResp around a CHALLENGE */
	every_cut_of("cm-attack-relay.pcap", 25); /* negTokenResp around an AUTHENTICATE with a MIC */
	every_cut_of("cm-attack-relay.pcap", 26); /* a bare AUTHENTICATE */
	every_cut_of("cm-smb-signing.pcap", 10);  /* negTokenInit around a NEGOTIATE */
	every_cut_of("public/zeek__raw_ntlm_in_smb.pcap", 22); /* SMB1, a bare AUTHENTICATE with a MIC */
}

Test(ntlmssp, http_every_cut)
{
	/* a real AUTHENTICATE header value, cut anywhere */
	struct walk w;
	walk_open(&w, "cm-attack-cred2.pcap");
	cr_assert(walk_to(&w, 10));
	const char *v = memmem(w.copy, w.copy_len, "Authorization: ", 15);
	cr_assert_not_null(v);
	v += 15;
	size_t len = (size_t)((const char *)memchr(v, '\r', w.copy_len - (size_t)(v - (const char *)w.copy)) - v);
	for (size_t n = 0; n <= len; n++) {
		char *copy = malloc(n ? n : 1);
		memcpy(copy, v, n);
		enum http_auth_scheme s;
		struct ntlmssp_token t;
		bool ok = ntlmssp_parse_http(copy, n, &s, &t);
		cr_assert_eq(ok, n >= 4, "cut %zu", n);
		cr_assert(!t.has_ntlmssp || t.ntlmssp.user[0] == '\0' || strcmp(t.ntlmssp.user, "cmnaa") == 0);
		free(copy);
	}
	walk_close(&w);
}

Test(ntlmssp, not_tokens)
{
	static const char *const others[] = { "", "NTLMSSP", "NTLMSSP\0\x04\0\0\0", "GET / HTTP/1.1\r\n\r\n",
					      "\x60\x80\x06\x06+\x06\x01\x05\x05\x02", "\xa1\x03\x04\x01\x00",
					      "no Kerberos", "\x6e\x03\x02\x01\x05" };
	static const size_t lens[] = { 0, 7, 12, 18, 10, 5, 11, 5 };
	struct ntlmssp_token t;
	struct ntlmssp_msg m;
	for (size_t i = 0; i < sizeof others / sizeof others[0]; i++) {
		cr_assert_not(ntlmssp_parse_token((const uint8_t *)others[i], lens[i], &t), "case %zu", i);
		cr_assert_not(ntlmssp_parse((const uint8_t *)others[i], lens[i], &m), "case %zu", i);
	}
	cr_assert_str_eq(ntlmssp_type_name(NTLMSSP_AUTHENTICATE), "AUTHENTICATE");
	cr_assert_str_eq(ntlm_response_name(NTLM_RESPONSE_V1), "NTLMv1");
	cr_assert_str_eq(gss_mech_name(GSS_MECH_MS_KRB5), "MS-Kerberos");
}

/* ---- the SMB walker's SESSION_SETUP blobs (src/proto/smb.c), as the engine will hand them over ---- */

struct walker_seen {
	int frame;
	int found;              /* NTLMSSP messages found in the walker's blobs */
	int frames[64];
	struct ntlmssp_msg msgs[64];
};

static void on_smb_event(void *ctx, const struct smb_event *ev)
{
	struct walker_seen *w = ctx;
	struct ntlmssp_token t;
	if (ev->kind != SMB_EV_SESSION_SETUP || !ev->blob_len || !ntlmssp_parse_token(ev->blob, ev->blob_len, &t) ||
	    !t.has_ntlmssp || w->found == 64)
		return;
	w->frames[w->found] = w->frame;
	w->msgs[w->found++] = t.ntlmssp;
}

/* Every TCP/445 segment of the capture through one walker per connection (the side of the SYN is direction 0). */
static void walk_smb(const char *capture, struct walker_seen *seen)
{
	struct walk w;
	struct conn {
		uint8_t client[16], server[16];
		uint16_t cport, sport;
		struct smb_state *st;
	} conns[16];
	int nconn = 0;
	memset(seen, 0, sizeof *seen);
	walk_open(&w, capture);
	int r;
	while ((r = walk_next(&w)) >= 0) {
		const struct packet *p = &w.pkt;
		if (r == 0 || p->ip_proto != 6 || (p->sport != 445 && p->dport != 445))
			continue;
		bool to_server = p->dport == 445;
		struct conn *c = NULL;
		for (int i = 0; i < nconn && !c; i++)
			if (to_server ? (memcmp(conns[i].client, p->src, 16) == 0 && conns[i].cport == p->sport)
				      : (memcmp(conns[i].client, p->dst, 16) == 0 && conns[i].cport == p->dport))
				c = &conns[i];
		if (!c) {
			cr_assert_lt(nconn, 16);
			c = &conns[nconn++];
			memcpy(c->client, to_server ? p->src : p->dst, 16);
			c->cport = to_server ? p->sport : p->dport;
			c->st = smb_state_new();
		}
		seen->frame = w.frame;
		if (w.copy_len)
			smb_tcp_feed(c->st, to_server ? 0 : 1, p->tcp_seq, w.copy, w.copy_len, on_smb_event, seen);
	}
	for (int i = 0; i < nconn; i++)
		smb_state_free(conns[i].st);
	walk_close(&w);
}

Test(ntlmssp, the_smb_walkers_blobs_parse_as_tshark_reads_them)
{
	static const char *const captures[] = { "cm-attack-relay.pcap", "cm-ntlm-normal.pcap", "cm-smb-signing.pcap",
						"public/zeek__smb311.pcap", "public/suricata-verify__smb1_osx.pcap" };
	int total = 0;
	for (size_t k = 0; k < sizeof captures / sizeof captures[0]; k++) {
		struct walker_seen seen;
		walk_smb(captures[k], &seen);
		/* each message the walker gave is tshark's message of that frame */
		FILE *fp = ref_open("ntlmssp.tsv");
		struct ref_line r;
		int matched = 0, in_ref = 0;
		while (ref_next(fp, &r)) {
			if (strcmp(r.f[F_CAPTURE], captures[k]) != 0 || !r.f[F_TYPE][0])
				continue;
			in_ref++;
			for (int i = 0; i < seen.found; i++)
				if (seen.frames[i] == atoi(r.f[F_FRAME])) {
					cr_assert_eq(seen.msgs[i].type, atoi(r.f[F_TYPE]), "%s frame %d", captures[k], seen.frames[i]);
					cr_assert_str_eq(seen.msgs[i].user, r.f[F_USER], "%s frame %d", captures[k], seen.frames[i]);
					char ch[17] = "";
					if (seen.msgs[i].has_challenge)
						hex(seen.msgs[i].challenge, 8, ch);
					cr_assert_str_eq(ch, r.f[F_CHALLENGE], "%s frame %d", captures[k], seen.frames[i]);
					matched++;
				}
		}
		fclose(fp);
		cr_assert_eq(matched, seen.found, "%s: %d of the walker's %d messages in tshark's reading", captures[k],
			     matched, seen.found);
		cr_assert_geq(seen.found, 3, "%s", captures[k]);
		/* where all NTLMSSP travels in SMB, the walker gave every message */
		if (k >= 2)
			cr_assert_eq(seen.found, in_ref, "%s: walker %d, tshark %d", captures[k], seen.found, in_ref);
		total += seen.found;
	}
	cr_log_info("ntlmssp: %d NTLMSSP messages from the SMB walker's SESSION_SETUP blobs", total);
}

/* TDS (proto/tds.h): a LOGIN7 with integrated security carries its SSPI token at ibSSPI/cbSSPI of the LOGIN7
 * structure; every cut of the packet stays within the bytes (a header cut short is no packet: the fuzzer's
 * input tests/fuzz/regress/fuzz_auth/tds-short-header), and an SSPI message is its whole body. */
Test(ntlmssp, tds_logins_and_their_cuts)
{
	static const uint8_t negotiate[] = { 'N', 'T', 'L', 'M', 'S', 'S', 'P', 0, 1, 0, 0, 0, 0x07, 0x82, 0x08, 0xa2,
					     0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
	uint8_t pkt[8 + 94 + sizeof negotiate];
	memset(pkt, 0, sizeof pkt);
	pkt[0] = TDS_TYPE_LOGIN7;
	pkt[1] = 1; /* end of message */
	pkt[2] = (uint8_t)(sizeof pkt >> 8);
	pkt[3] = (uint8_t)sizeof pkt;
	uint8_t *login = pkt + 8;
	login[25] = 0x80;                 /* OptionFlags2: fIntSecurity */
	login[78] = 94;                   /* ibSSPI */
	login[80] = sizeof negotiate;     /* cbSSPI */
	memcpy(login + 94, negotiate, sizeof negotiate);
	struct tds_auth a;
	cr_assert(tds_parse_auth(pkt, sizeof pkt, &a));
	cr_assert(a.integrated && !a.cut && a.token == login + 94 && a.token_len == sizeof negotiate);
	struct ntlmssp_msg m;
	cr_assert(ntlmssp_find(a.token, a.token_len, &m) && m.type == NTLMSSP_NEGOTIATE);
	for (size_t n = 0; n < sizeof pkt; n++) {
		uint8_t *copy = malloc(n ? n : 1);
		memcpy(copy, pkt, n);
		bool ok = tds_parse_auth(copy, n, &a);
		cr_assert(!ok || (a.token >= copy && a.token + a.token_len <= copy + n && a.cut), "cut %zu", n);
		cr_assert_eq(ok, n > 8 + 94, "cut %zu", n);
		free(copy);
	}
	static const uint8_t short_header[] = { 0x10, 0x00, 0x00, 0x20 };
	cr_assert_not(tds_parse_auth(short_header, sizeof short_header, &a));
	login[25] = 0; /* a SQL login: no token */
	cr_assert_not(tds_parse_auth(pkt, sizeof pkt, &a));
	/* an SSPI message (the AUTHENTICATE's carrier) */
	uint8_t sspi[8 + sizeof negotiate] = { TDS_TYPE_SSPI, 1, 0, sizeof sspi };
	memcpy(sspi + 8, negotiate, sizeof negotiate);
	cr_assert(tds_parse_auth(sspi, sizeof sspi, &a) && a.token == sspi + 8 && a.token_len == sizeof negotiate);
}

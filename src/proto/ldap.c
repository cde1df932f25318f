/* ldap.c: LDAP binds (RFC 4511 4.2, 4.2.2; [MS-ADTS] 5.1.1.1.3) through a small BER reader (X.690 8.1.2-8.1.3:
 * one-byte tags, definite lengths of at most four bytes), ldap.h. */
#include <string.h>

#include "lib/bytes.h"
#include "proto/ldap.h"

/* One BER element: its tag and its value, clipped to what the cursor holds (*cut set when it was). */
static bool ber_next(struct cursor *c, uint8_t *tag, struct cursor *value, bool *cut)
{
	uint8_t b;
	if (!cursor_u8(c, tag) || (*tag & 0x1f) == 0x1f || !cursor_u8(c, &b))
		return false;
	size_t len = b;
	if (b & 0x80) {
		unsigned n = b & 0x7f;
		if (n == 0 || n > 4)
			return false; /* indefinite lengths are not LDAP's (RFC 4511 5.1) */
		len = 0;
		for (unsigned i = 0; i < n; i++) {
			if (!cursor_u8(c, &b))
				return false;
			len = len << 8 | b;
		}
	}
	if (len > cursor_left(c)) {
		*cut = true;
		len = cursor_left(c);
	}
	return cursor_take(c, len, value);
}

static bool ber_uint(struct cursor v, uint32_t *out)
{
	uint8_t b;
	size_t n = cursor_left(&v);
	if (n == 0 || n > 5)
		return false;
	*out = 0;
	while (cursor_u8(&v, &b))
		*out = *out << 8 | b;
	return true;
}

static void set_token(struct ldap_bind *out, const struct cursor *v)
{
	out->token = cursor_left(v) ? v->p : NULL;
	out->token_len = cursor_left(v);
}

static bool bind_request(struct cursor c, struct ldap_bind *out)
{
	uint8_t tag;
	struct cursor v;
	uint32_t version;
	if (!ber_next(&c, &tag, &v, &out->cut) || tag != 0x02 || !ber_uint(v, &version) || version > 255)
		return false;
	out->version = (uint8_t)version;
	if (!ber_next(&c, &tag, &v, &out->cut) || tag != 0x04) /* name */
		return false;
	if (!ber_next(&c, &tag, &v, &out->cut))
		return out->cut; /* the authentication choice beyond the bytes given */
	switch (tag) {
	case 0x80: out->auth = LDAP_AUTH_SIMPLE; return true; /* the password stays where it is */
	case 0x89: out->auth = LDAP_AUTH_SICILY_DISCOVERY; return true;
	case 0x8a: out->auth = LDAP_AUTH_SICILY_NEGOTIATE; set_token(out, &v); return true;
	case 0x8b: out->auth = LDAP_AUTH_SICILY_RESPONSE; set_token(out, &v); return true;
	case 0xa3: break;
	default: return false;
	}
	out->auth = LDAP_AUTH_SASL;
	struct cursor s = v, m, cred;
	if (!ber_next(&s, &tag, &m, &out->cut) || tag != 0x04)
		return false;
	size_t n = 0;
	uint8_t ch;
	while (n + 1 < sizeof out->mechanism && cursor_u8(&m, &ch))
		out->mechanism[n++] = ch >= 0x20 && ch < 0x7f ? (char)ch : '?';
	out->mechanism[n] = '\0';
	if (ber_next(&s, &tag, &cred, &out->cut) && tag == 0x04)
		set_token(out, &cred);
	return true;
}

static bool bind_response(struct cursor c, struct ldap_bind *out)
{
	uint8_t tag;
	struct cursor v, matched = { NULL, NULL };
	if (!ber_next(&c, &tag, &v, &out->cut) || tag != 0x0a || !ber_uint(v, &out->result))
		return false;
	if (!ber_next(&c, &tag, &matched, &out->cut) || tag != 0x04)
		return out->cut;
	while (ber_next(&c, &tag, &v, &out->cut)) { /* diagnosticMessage, referral, serverSaslCreds */
		if (tag == 0x87) {
			set_token(out, &v);
			return true;
		}
	}
	set_token(out, &matched); /* a Sicily CHALLENGE, else the DN */
	return true;
}

bool ldap_parse_bind(const uint8_t *data, size_t len, struct ldap_bind *out)
{
	memset(out, 0, sizeof *out);
	struct cursor c = cursor_make(data, len), msg, v, op;
	uint8_t tag;
	bool ok = false;
	if (ber_next(&c, &tag, &msg, &out->cut) && tag == 0x30 && ber_next(&msg, &tag, &v, &out->cut) && tag == 0x02 &&
	    ber_uint(v, &out->message_id) && ber_next(&msg, &tag, &op, &out->cut)) {
		if (tag == 0x60)
			ok = bind_request(op, out);
		else if (tag == 0x61)
			ok = (out->response = true) && bind_response(op, out);
	}
	if (!ok)
		memset(out, 0, sizeof *out);
	return ok;
}

const char *ldap_auth_name(unsigned auth)
{
	switch (auth) {
	case LDAP_AUTH_SIMPLE: return "simple";
	case LDAP_AUTH_SASL: return "sasl";
	case LDAP_AUTH_SICILY_DISCOVERY: return "sicily-discovery";
	case LDAP_AUTH_SICILY_NEGOTIATE: return "sicily-negotiate";
	case LDAP_AUTH_SICILY_RESPONSE: return "sicily-response";
	default: return NULL;
	}
}

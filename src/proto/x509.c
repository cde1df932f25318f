/* x509.c: an X.509 certificate's issuer and subject through a DER reader of tag, length and contents (X.690
 * 8.1: identifier octets, definite length in short or long form; DER forbids the indefinite form). */
#include <string.h>

#include "lib/bytes.h"
#include "proto/x509.h"

enum {
	DER_INTEGER = 0x02,
	DER_OID = 0x06,
	DER_SEQUENCE = 0x30,
	DER_SET = 0x31,
	DER_CONTEXT0 = 0xa0, /* [0] EXPLICIT, constructed: tbsCertificate's version */
};

/* One TLV: its first identifier octet (a high tag number keeps its first octet, which no wanted tag has) and its
 * contents. */
struct tlv {
	uint8_t tag;
	struct cursor body;
};

/* Reads the TLV at c. lenient: contents that run past the end of c are cut to it (a certificate's outer
 * SEQUENCEs when only its start was kept). */
static bool der_read(struct cursor *c, struct tlv *t, bool lenient)
{
	uint8_t tag, b;
	if (!cursor_u8(c, &tag))
		return false;
	if ((tag & 0x1f) == 0x1f) { /* high tag number: base-128 octets follow, the last without bit 8 */
		int n = 0;
		do {
			if (!cursor_u8(c, &b) || ++n > 4)
				return false;
		} while (b & 0x80);
	}
	if (!cursor_u8(c, &b))
		return false;
	uint32_t len = b;
	if (b & 0x80) {
		unsigned n = b & 0x7f;
		if (n == 0 || n > 4) /* indefinite (BER only), or longer than anything read here */
			return false;
		len = 0;
		for (unsigned i = 0; i < n; i++) {
			if (!cursor_u8(c, &b))
				return false;
			len = len << 8 | b;
		}
	}
	t->tag = tag;
	if (!cursor_take(c, len, &t->body)) {
		if (!lenient)
			return false;
		t->body = *c;
		c->p = c->end;
	}
	return true;
}

/* ---- the text written: bounded, cut only between characters ---- */

struct writer {
	char *buf;
	size_t cap;      /* bytes of buf, the NUL included; > 0 */
	size_t len;
	bool cut;
};

static void put(struct writer *w, const char *s, size_t n)
{
	if (w->cut || n >= w->cap - w->len) {
		w->cut = true;
		return;
	}
	memcpy(w->buf + w->len, s, n);
	w->len += n;
	w->buf[w->len] = '\0';
}

static void put_str(struct writer *w, const char *s)
{
	put(w, s, strlen(s));
}

/* Length of the valid UTF-8 sequence at the start of v (RFC 3629: no overlong forms, no surrogates, at most
 * U+10FFFF), or 0; v is not empty. */
static size_t utf8_len(struct cursor v)
{
	const uint8_t *s = v.p;
	size_t n = cursor_left(&v), k;
	uint8_t b, cont;
	uint32_t cp, min;
	if (!bytes_u8(s, n, 0, &b))
		return 0;
	if (b < 0x80)
		return 1;
	if (b >= 0xc2 && b <= 0xdf)
		k = 2, cp = b & 0x1f, min = 0x80;
	else if (b >= 0xe0 && b <= 0xef)
		k = 3, cp = b & 0x0f, min = 0x800;
	else if (b >= 0xf0 && b <= 0xf4)
		k = 4, cp = b & 0x07, min = 0x10000;
	else
		return 0;
	for (size_t i = 1; i < k; i++) {
		if (!bytes_u8(s, n, i, &cont) || (cont & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (cont & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return k;
}

/* A string that should be UTF-8 (or ASCII): valid sequences kept, control characters and stray bytes as '?'. */
static void put_utf8(struct writer *w, struct cursor v)
{
	uint8_t b;
	while (bytes_u8(v.p, cursor_left(&v), 0, &b)) {
		size_t k = utf8_len(v);
		if (k == 0 || (k == 1 && (b < 0x20 || b == 0x7f))) {
			put(w, "?", 1);
			k = k ? k : 1;
		} else {
			put(w, (const char *)v.p, k);
		}
		cursor_skip(&v, k);
	}
}

static void put_codepoint(struct writer *w, uint32_t cp)
{
	char u[4];
	size_t n;
	if (cp < 0x20 || cp == 0x7f || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff) {
		put(w, "?", 1);
		return;
	}
	if (cp < 0x80) {
		u[0] = (char)cp, n = 1;
	} else if (cp < 0x800) {
		u[0] = (char)(0xc0 | cp >> 6), u[1] = (char)(0x80 | (cp & 0x3f)), n = 2;
	} else if (cp < 0x10000) {
		u[0] = (char)(0xe0 | cp >> 12), u[1] = (char)(0x80 | (cp >> 6 & 0x3f)), u[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		u[0] = (char)(0xf0 | cp >> 18), u[1] = (char)(0x80 | (cp >> 12 & 0x3f));
		u[2] = (char)(0x80 | (cp >> 6 & 0x3f)), u[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	put(w, u, n);
}

/* BMPString: UCS-2 big-endian (UTF-16 surrogate pairs accepted); an odd byte at the end is '?'. */
static void put_bmp(struct writer *w, struct cursor v)
{
	uint16_t hi, lo;
	while (cursor_be16(&v, &hi)) {
		if (hi >= 0xd800 && hi <= 0xdbff && bytes_be16(v.p, cursor_left(&v), 0, &lo) && lo >= 0xdc00 &&
		    lo <= 0xdfff) {
			cursor_skip(&v, 2);
			put_codepoint(w, 0x10000 + ((uint32_t)(hi - 0xd800) << 10) + (lo - 0xdc00));
		} else {
			put_codepoint(w, hi);
		}
	}
	if (cursor_left(&v))
		put(w, "?", 1);
}

/* UniversalString: UCS-4 big-endian. */
static void put_universal(struct writer *w, struct cursor v)
{
	uint32_t cp;
	while (cursor_be32(&v, &cp))
		put_codepoint(w, cp);
	if (cursor_left(&v))
		put(w, "?", 1);
}

static void put_hex(struct writer *w, struct cursor v)
{
	static const char digits[] = "0123456789ABCDEF";
	uint8_t b;
	while (cursor_u8(&v, &b)) {
		char h[2] = { digits[b >> 4], digits[b & 15] };
		put(w, h, 2);
	}
}

/* An attribute value as Suricata shows it: the character string types as text, anything else as hex. */
static void put_value(struct writer *w, const struct tlv *v)
{
	switch (v->tag) {
	case 0x0c: /* UTF8String */
	case 0x12: /* NumericString */
	case 0x13: /* PrintableString */
	case 0x14: /* T61String */
	case 0x15: /* VideotexString */
	case 0x16: /* IA5String */
	case 0x19: /* GraphicString */
	case 0x1a: /* VisibleString */
	case 0x1b: /* GeneralString */
	case 0x07: /* ObjectDescriptor */
		put_utf8(w, v->body);
		break;
	case 0x1e:
		put_bmp(w, v->body);
		break;
	case 0x1c:
		put_universal(w, v->body);
		break;
	default:
		put_hex(w, v->body);
	}
}

/* Attribute types by their DER contents: Suricata's abbreviations first, then OID-registry short names. */
static const struct {
	uint8_t len;
	uint8_t der[10];
	const char *name;
} ATTR_TYPES[] = {
	{ 3, { 0x55, 0x04, 0x03 }, "CN" },
	{ 3, { 0x55, 0x04, 0x06 }, "C" },
	{ 3, { 0x55, 0x04, 0x07 }, "L" },
	{ 3, { 0x55, 0x04, 0x08 }, "ST" },
	{ 3, { 0x55, 0x04, 0x0a }, "O" },
	{ 3, { 0x55, 0x04, 0x0b }, "OU" },
	{ 10, { 0x09, 0x92, 0x26, 0x89, 0x93, 0xf2, 0x2c, 0x64, 0x01, 0x19 }, "DC" },
	{ 9, { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x01 }, "Email" },
	{ 3, { 0x55, 0x04, 0x04 }, "surname" },
	{ 3, { 0x55, 0x04, 0x05 }, "serialNumber" },
	{ 3, { 0x55, 0x04, 0x09 }, "streetAddress" },
	{ 3, { 0x55, 0x04, 0x0c }, "title" },
	{ 3, { 0x55, 0x04, 0x0d }, "description" },
	{ 3, { 0x55, 0x04, 0x11 }, "postalCode" },
	{ 3, { 0x55, 0x04, 0x2a }, "givenName" },
	{ 9, { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x02 }, "unstructuredName" },
};

/* The dotted form of an OID's contents (X.690 8.19): the first subidentifier holds two arcs. */
static void put_oid_dotted(struct writer *w, struct cursor v)
{
	bool first = true;
	while (cursor_left(&v)) {
		uint32_t arc = 0;
		uint8_t b;
		int n = 0;
		do {
			if (!cursor_u8(&v, &b) || ++n > 5 || arc > (UINT32_MAX >> 7)) {
				put(w, "?", 1);
				return;
			}
			arc = arc << 7 | (b & 0x7f);
		} while (b & 0x80);
		char num[24];
		size_t k = 0;
		char rev[12];
		uint32_t x = arc;
		if (first) {
			uint32_t top = arc < 40 ? 0 : arc < 80 ? 1 : 2;
			num[k++] = (char)('0' + top);
			num[k++] = '.';
			x = arc - 40 * top;
		} else {
			num[k++] = '.';
		}
		size_t r = 0;
		do {
			rev[r++] = (char)('0' + x % 10);
			x /= 10;
		} while (x);
		while (r)
			num[k++] = rev[--r];
		put(w, num, k);
		first = false;
	}
}

static void put_type(struct writer *w, struct cursor oid)
{
	size_t n = cursor_left(&oid);
	for (size_t i = 0; i < sizeof ATTR_TYPES / sizeof ATTR_TYPES[0]; i++)
		if (ATTR_TYPES[i].len == n && memcmp(ATTR_TYPES[i].der, oid.p, n) == 0) {
			put_str(w, ATTR_TYPES[i].name);
			return;
		}
	put_oid_dotted(w, oid);
}

bool x509_name_format(const uint8_t *name, size_t len, char *out, size_t outlen, bool *cut)
{
	struct writer w = { out, outlen, 0, false };
	struct cursor c = cursor_make(name, len);
	bool first_rdn = true;
	if (!outlen)
		return false;
	out[0] = '\0';
	if (cut)
		*cut = false;
	while (cursor_left(&c)) {
		struct tlv rdn;
		if (!der_read(&c, &rdn, false) || rdn.tag != DER_SET || !cursor_left(&rdn.body))
			goto bad;
		bool first_attr = true;
		while (cursor_left(&rdn.body)) {
			struct tlv atv, type, value;
			if (!der_read(&rdn.body, &atv, false) || atv.tag != DER_SEQUENCE ||
			    !der_read(&atv.body, &type, false) || type.tag != DER_OID || !cursor_left(&type.body) ||
			    !der_read(&atv.body, &value, false))
				goto bad;
			put_str(&w, first_rdn ? "" : first_attr ? ", " : " + ");
			put_type(&w, type.body);
			put(&w, "=", 1);
			put_value(&w, &value);
			first_rdn = first_attr = false;
		}
	}
	if (cut)
		*cut = w.cut;
	return true;
bad:
	out[0] = '\0';
	return false;
}

bool x509_read_names(const uint8_t *der, size_t len, struct x509_names *out)
{
	struct cursor c = cursor_make(der, len);
	struct tlv cert, tbs, t, issuer;
	bool cut1 = false, cut2 = false;
	memset(out, 0, sizeof *out);
	if (!der_read(&c, &cert, true) || cert.tag != DER_SEQUENCE || !der_read(&cert.body, &tbs, true) ||
	    tbs.tag != DER_SEQUENCE)
		return false;
	/* [0] version (absent in v1), serialNumber, signature, issuer, validity, subject */
	if (!der_read(&tbs.body, &t, false))
		return false;
	if (t.tag == DER_CONTEXT0 && !der_read(&tbs.body, &t, false))
		return false;
	if (t.tag != DER_INTEGER || !der_read(&tbs.body, &t, false) || t.tag != DER_SEQUENCE ||
	    !der_read(&tbs.body, &issuer, false) || issuer.tag != DER_SEQUENCE || !der_read(&tbs.body, &t, false) ||
	    t.tag != DER_SEQUENCE || !der_read(&tbs.body, &t, false) || t.tag != DER_SEQUENCE)
		return false;
	if (!x509_name_format(issuer.body.p, cursor_left(&issuer.body), out->issuer, sizeof out->issuer, &cut1) ||
	    !x509_name_format(t.body.p, cursor_left(&t.body), out->subject, sizeof out->subject, &cut2)) {
		out->issuer[0] = out->subject[0] = '\0';
		return false;
	}
	out->cut = cut1 || cut2;
	return true;
}

/* tds.c: the security tokens of TDS logins ([MS-TDS] 2.2.3.1, 2.2.6.4, 2.2.6.8, 2.2.7.22), tds.h. */
#include <string.h>

#include "lib/bytes.h"
#include "proto/tds.h"

#define TDS_HEADER 8
#define LOGIN7_FIXED 94          /* up to cbSSPILong (TDS 7.2 and later) */
#define LOGIN7_OPTION_FLAGS2 25
#define F_INT_SECURITY 0x80
#define LOGIN7_IB_SSPI 78
#define LOGIN7_CB_SSPI 80
#define LOGIN7_CB_SSPI_LONG 90
#define TOKEN_SSPI 0xed

static void set_token(struct tds_auth *out, const uint8_t *body, size_t body_len, size_t off, size_t n)
{
	if (off > body_len)
		return;
	if (n > body_len - off) {
		n = body_len - off;
		out->cut = true;
	}
	out->token = n ? body + off : NULL;
	out->token_len = n;
}

bool tds_parse_auth(const uint8_t *data, size_t len, struct tds_auth *out)
{
	memset(out, 0, sizeof *out);
	uint8_t type;
	uint16_t plen;
	if (len < TDS_HEADER || !bytes_u8(data, len, 0, &type) || !bytes_be16(data, len, 2, &plen) || plen < TDS_HEADER)
		return false; /* not a whole packet header */
	out->type = type;
	size_t n = plen < len ? plen : len;
	if (plen > len)
		out->cut = true;
	const uint8_t *body = data + TDS_HEADER;
	size_t blen = n - TDS_HEADER;
	switch (type) {
	case TDS_TYPE_LOGIN7: {
		uint8_t flags2;
		uint16_t ib, cb;
		uint32_t cb_long = 0;
		if (!bytes_u8(body, blen, LOGIN7_OPTION_FLAGS2, &flags2) || !bytes_le16(body, blen, LOGIN7_IB_SSPI, &ib) ||
		    !bytes_le16(body, blen, LOGIN7_CB_SSPI, &cb))
			break;
		out->integrated = (flags2 & F_INT_SECURITY) != 0;
		if (cb == 0xffff && bytes_le32(body, blen, LOGIN7_CB_SSPI_LONG, &cb_long))
			cb = 0; /* the long length below */
		if (out->integrated && (cb || cb_long))
			set_token(out, body, blen, ib, cb ? cb : cb_long);
		break;
	}
	case TDS_TYPE_SSPI:
		set_token(out, body, blen, 0, blen);
		break;
	case TDS_TYPE_RESULT: {
		uint8_t tok;
		uint16_t tlen;
		if (bytes_u8(body, blen, 0, &tok) && tok == TOKEN_SSPI && bytes_le16(body, blen, 1, &tlen))
			set_token(out, body, blen, 3, tlen);
		break;
	}
	default:
		break;
	}
	if (!out->token) {
		uint8_t t = out->type;
		memset(out, 0, sizeof *out);
		out->type = t;
		return false;
	}
	return true;
}

bool tds_looks_like(const uint8_t *data, size_t len)
{
	uint8_t type, status;
	uint16_t plen;
	return bytes_u8(data, len, 0, &type) && bytes_u8(data, len, 1, &status) && bytes_be16(data, len, 2, &plen) &&
	       (type == TDS_TYPE_PRELOGIN || type == TDS_TYPE_LOGIN7) && status <= 0x1f && plen >= TDS_HEADER &&
	       plen <= 32768;
}

/* tls.c: ClientHello and ServerHello, read through bounds-checked cursors. */
#include <string.h>

#include "lib/bytes.h"
#include "proto/tls.h"

#define TLS_CHANGE_CIPHER_SPEC 20
#define TLS_ALERT 21
#define TLS_HANDSHAKE 22
#define TLS_CLIENT_HELLO 1
#define TLS_SERVER_HELLO 2
#define EXT_SERVER_NAME 0
#define EXT_SUPPORTED_VERSIONS 43

/* The handshake message of the record at the start of data, cut to what the segment holds. */
static bool handshake_of(const uint8_t *data, size_t len, uint8_t want, struct cursor *msg, uint16_t *legacy)
{
	struct cursor c = cursor_make(data, len);
	uint8_t type, hs;
	uint16_t rec_version, rec_len, version;
	uint32_t hs_len = 0;
	uint8_t l3[3];
	for (int records = 0;; records++) {
		if (!cursor_u8(&c, &type) || !cursor_be16(&c, &rec_version) || (rec_version >> 8) != 3 ||
		    (rec_version & 0xff) > 4 || !cursor_be16(&c, &rec_len))
			return false;
		if (type == TLS_HANDSHAKE)
			break;
		/* a server may send an alert (unrecognized_name, a warning) before its hello, in the same segment */
		if ((type != TLS_ALERT && type != TLS_CHANGE_CIPHER_SPEC) || records == 3 || !cursor_skip(&c, rec_len))
			return false;
	}
	if (!cursor_u8(&c, &hs) || hs != want || !cursor_copy(&c, l3, 3) || !cursor_be16(&c, &version) ||
	    (version >> 8) != 3)
		return false;
	hs_len = (uint32_t)l3[0] << 16 | (uint32_t)l3[1] << 8 | l3[2];
	if (hs_len < 2)
		return false;
	size_t body = hs_len - 2; /* after the version just read */
	msg->p = c.p;
	msg->end = c.p + (body < cursor_left(&c) ? body : cursor_left(&c));
	*legacy = version;
	return true;
}

static void copy_name(struct cursor name, char *out, size_t outlen)
{
	size_t n = 0;
	while (name.p < name.end && n + 1 < outlen) {
		uint8_t ch = *name.p++;
		out[n++] = ch > 0x20 && ch < 0x7f ? (char)ch : '?';
	}
	out[n] = '\0';
}

/* server_name extension: a list of (type, length, name); the first host_name (type 0) counts. */
static void read_sni(struct cursor ext, char *out, size_t outlen)
{
	uint16_t list_len, name_len;
	uint8_t type;
	struct cursor list, name;
	if (!cursor_be16(&ext, &list_len) || !cursor_take(&ext, list_len, &list))
		return;
	while (cursor_u8(&list, &type) && cursor_be16(&list, &name_len) && cursor_take(&list, name_len, &name))
		if (type == 0) {
			copy_name(name, out, outlen);
			return;
		}
}

/* The extensions block at c: the server name (a client's hello) or the version chosen (a server's). */
static void read_extensions(struct cursor c, bool client, struct tls_hello *out)
{
	uint16_t total, type, len;
	struct cursor all, ext;
	if (!cursor_be16(&c, &total))
		return;
	if (!cursor_take(&c, total, &all))
		all = c; /* cut by the segment end: read what is there */
	while (cursor_be16(&all, &type) && cursor_be16(&all, &len) && cursor_take(&all, len, &ext)) {
		if (client && type == EXT_SERVER_NAME)
			read_sni(ext, out->sni, sizeof out->sni);
		else if (!client && type == EXT_SUPPORTED_VERSIONS && len == 2)
			cursor_be16(&ext, &out->version);
	}
}

/* SSL 2 record with a CLIENT-HELLO (message type 1), as old clients open a connection. */
static bool ssl2_client_hello(const uint8_t *data, size_t len, struct tls_hello *out)
{
	uint16_t version;
	if (len < 5 || !(data[0] & 0x80) || data[2] != TLS_CLIENT_HELLO || !bytes_be16(data, len, 3, &version) ||
	    (version != 0x0002 && (version >> 8) != 3))
		return false;
	out->version = version;
	return true;
}

bool tls_parse_client_hello(const uint8_t *data, size_t len, struct tls_hello *out)
{
	struct cursor msg;
	uint8_t sid_len, comp_len;
	uint16_t suites_len;
	memset(out, 0, sizeof *out);
	if (!handshake_of(data, len, TLS_CLIENT_HELLO, &msg, &out->version))
		return ssl2_client_hello(data, len, out);
	/* random, session id, cipher suites, compression methods, then the extensions */
	if (cursor_skip(&msg, 32) && cursor_u8(&msg, &sid_len) && cursor_skip(&msg, sid_len) &&
	    cursor_be16(&msg, &suites_len) && cursor_skip(&msg, suites_len) && cursor_u8(&msg, &comp_len) &&
	    cursor_skip(&msg, comp_len))
		read_extensions(msg, true, out);
	return true;
}

bool tls_parse_server_hello(const uint8_t *data, size_t len, struct tls_hello *out)
{
	struct cursor msg;
	uint8_t sid_len;
	memset(out, 0, sizeof *out);
	if (!handshake_of(data, len, TLS_SERVER_HELLO, &msg, &out->version))
		return false;
	/* random, session id, cipher suite, compression method, then the extensions (TLS 1.3 names itself there) */
	if (cursor_skip(&msg, 32) && cursor_u8(&msg, &sid_len) && cursor_skip(&msg, sid_len) && cursor_skip(&msg, 3))
		read_extensions(msg, false, out);
	return true;
}

const char *tls_version_suricata(uint16_t version)
{
	switch (version) {
	case 0x0002: return "SSLv2";
	case 0x0300: return "SSLv3";
	case 0x0301: return "TLSv1";
	case 0x0302: return "TLS 1.1";
	case 0x0303: return "TLS 1.2";
	case 0x0304: return "TLS 1.3";
	default: return NULL;
	}
}

const char *tls_version_name(uint16_t version)
{
	switch (version) {
	case 0x0300: return "SSLv3";
	case 0x0301: return "TLSv1";
	case 0x0302: return "TLSv1.1";
	case 0x0303: return "TLSv1.2";
	case 0x0304: return "TLSv1.3";
	default: return NULL;
	}
}

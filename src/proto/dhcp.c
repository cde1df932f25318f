/* dhcp.c: the BOOTP fixed header and the DHCP options (RFC 2131 section 2, RFC 2132, RFC 3396, RFC 4578), read
 * through bounds-checked cursors. Site-specific options keep their first byte and length only. */
#include <string.h>

#include "lib/bytes.h"
#include "proto/dhcp.h"

#define BOOTP_FIXED_LEN 236
#define SNAME_LEN 64
#define FILE_LEN 128
#define OPT_PAD 0
#define OPT_OVERLOAD 52
#define OPT_MSG_TYPE 53
#define OPT_SERVER_ID 54
#define OPT_VENDOR_CLASS 60
#define OPT_TFTP_SERVER 66
#define OPT_BOOTFILE 67
#define OPT_ARCH 93
#define OPT_MACHINE_ID 97
#define OPT_252 252
#define OPT_END 255
#define OVERLOAD_FILE 1
#define OVERLOAD_SNAME 2

static const uint8_t MAGIC_COOKIE[4] = { 99, 130, 83, 99 };

/* Appends the bytes of c to a NUL-terminated string of outlen bytes (RFC 3396 joins the pieces of an option):
 * printable ASCII kept, others '?'; a NUL (a terminator and its padding) ends the string. */
static void append_str(struct cursor c, char *out, size_t outlen)
{
	size_t n = strnlen(out, outlen - 1);
	uint8_t ch;
	while (n + 1 < outlen && cursor_u8(&c, &ch) && ch != 0)
		out[n++] = ch >= 0x20 && ch < 0x7f ? (char)ch : '?';
	out[n] = '\0';
}

static void read_option(uint8_t code, struct cursor v, struct dhcp_msg *m, bool first_piece)
{
	uint8_t b;
	uint16_t arch;
	switch (code) {
	case OPT_MSG_TYPE:
		if (first_piece)
			cursor_u8(&v, &m->msg_type);
		break;
	case OPT_OVERLOAD:
		if (first_piece && cursor_u8(&v, &b) && b <= 3)
			m->overload = b;
		break;
	case OPT_SERVER_ID:
		if (first_piece && cursor_copy(&v, m->server_id, 4))
			m->has_server_id = true;
		break;
	case OPT_VENDOR_CLASS: append_str(v, m->vendor_class, sizeof m->vendor_class); break;
	case OPT_TFTP_SERVER: append_str(v, m->tftp_server, sizeof m->tftp_server); break;
	case OPT_BOOTFILE: append_str(v, m->bootfile, sizeof m->bootfile); break;
	case OPT_252: append_str(v, m->opt252, sizeof m->opt252); break;
	case OPT_ARCH:
		while (cursor_be16(&v, &arch)) {
			if (m->arch_count < DHCP_ARCH_MAX)
				m->arch[m->arch_count] = arch;
			if (m->arch_count < UINT8_MAX)
				m->arch_count++;
		}
		break;
	case OPT_MACHINE_ID:
		/* type 0 and a 16-byte UUID (RFC 4578 2.3) */
		if (first_piece && cursor_left(&v) == 17 && cursor_u8(&v, &m->uuid_type) && cursor_copy(&v, m->uuid, 16))
			m->has_uuid = true;
		break;
	default:
		/* of a site-specific option only the first byte (its length is counted by the caller): the rest may
		 * be a key */
		if (code >= DHCP_PRIVATE_FIRST && code <= DHCP_PRIVATE_LAST && first_piece && cursor_u8(&v, &b))
			m->priv[code - DHCP_PRIVATE_FIRST].first = b;
		break;
	}
}

/* Reads the options of one area (the options field, or file / sname under overload) until END. */
static void read_area(struct cursor c, struct dhcp_msg *m)
{
	uint8_t code, olen;
	struct cursor v = { NULL, NULL };
	while (cursor_u8(&c, &code)) {
		if (code == OPT_PAD)
			continue;
		if (code == OPT_END)
			return;
		if (!cursor_u8(&c, &olen)) {
			m->truncated = true;
			return;
		}
		bool first_piece = !dhcp_has_option(m, code);
		bool whole = cursor_take(&c, olen, &v);
		/* an option cut by the end is still seen (its code counts), but its value is not read */
		m->present[code / 8] |= (uint8_t)(1u << (code % 8));
		if (m->option_count < UINT16_MAX)
			m->option_count++;
		if (code >= DHCP_PRIVATE_FIRST && code <= DHCP_PRIVATE_LAST) {
			/* the length claimed, even when cut: what the sender meant to send */
			struct dhcp_private *p = &m->priv[code - DHCP_PRIVATE_FIRST];
			p->len = (uint16_t)(p->len + olen > UINT16_MAX ? UINT16_MAX : p->len + olen);
			if (!whole && first_piece)
				cursor_u8(&c, &p->first);
		}
		if (!whole) {
			m->truncated = true;
			return;
		}
		read_option(code, v, m, first_piece);
	}
}

static void copy_field(struct cursor c, char *out, size_t outlen)
{
	out[0] = '\0';
	append_str(c, out, outlen);
}

bool dhcp_parse(const uint8_t *payload, size_t len, struct dhcp_msg *out)
{
	struct cursor c = cursor_make(payload, len), sname, file, cookie;
	memset(out, 0, sizeof *out);
	if (!cursor_u8(&c, &out->op) || (out->op != 1 && out->op != 2) || !cursor_u8(&c, &out->htype) ||
	    !cursor_u8(&c, &out->hlen) || out->hlen > 16 || !cursor_u8(&c, &out->hops) || !cursor_be32(&c, &out->xid) ||
	    !cursor_be16(&c, &out->secs) || !cursor_be16(&c, &out->flags) || !cursor_copy(&c, out->ciaddr, 4) ||
	    !cursor_copy(&c, out->yiaddr, 4) || !cursor_copy(&c, out->siaddr, 4) || !cursor_copy(&c, out->giaddr, 4) ||
	    !cursor_copy(&c, out->chaddr, 16) || !cursor_take(&c, SNAME_LEN, &sname) ||
	    !cursor_take(&c, FILE_LEN, &file)) {
		memset(out, 0, sizeof *out);
		return false;
	}
	if (!cursor_take(&c, sizeof MAGIC_COOKIE, &cookie) || memcmp(cookie.p, MAGIC_COOKIE, sizeof MAGIC_COOKIE) != 0) {
		/* plain BOOTP: the vendor area is not DHCP's */
		copy_field(sname, out->sname, sizeof out->sname);
		copy_field(file, out->file, sizeof out->file);
		return true;
	}
	out->is_dhcp = true;
	/* RFC 2131 4.1: the options field first, then file, then sname when option 52 says so */
	read_area(c, out);
	if (out->overload & OVERLOAD_FILE)
		read_area(file, out);
	else
		copy_field(file, out->file, sizeof out->file);
	if (out->overload & OVERLOAD_SNAME)
		read_area(sname, out);
	else
		copy_field(sname, out->sname, sizeof out->sname);
	return true;
}

bool dhcp_has_option(const struct dhcp_msg *m, uint8_t code)
{
	return (m->present[code / 8] >> (code % 8)) & 1;
}

const struct dhcp_private *dhcp_private_option(const struct dhcp_msg *m, uint8_t code)
{
	if (code < DHCP_PRIVATE_FIRST || code > DHCP_PRIVATE_LAST || !dhcp_has_option(m, code))
		return NULL;
	return &m->priv[code - DHCP_PRIVATE_FIRST];
}

bool dhcp_client_mac(const struct dhcp_msg *m, uint8_t mac[6])
{
	if (m->htype != 1 || m->hlen != 6)
		return false;
	memcpy(mac, m->chaddr, 6);
	return true;
}

const char *dhcp_msg_type_name(unsigned type)
{
	static const char *const names[] = { NULL, "DISCOVER", "OFFER", "REQUEST", "DECLINE",
					     "ACK", "NAK", "RELEASE", "INFORM" };
	return type < sizeof names / sizeof names[0] ? names[type] : NULL;
}

const char *dhcp_arch_name(uint16_t arch)
{
	/* IANA "Processor Architecture Types" (RFC 4578 2.1 with its errata) */
	static const char *const names[] = { "x86 BIOS", "NEC/PC98", "Itanium", "DEC Alpha", "Arc x86",
					     "Intel Lean Client", "x86 UEFI", "x64 UEFI", "EFI Xscale", "EBC",
					     "ARM 32-bit UEFI", "ARM 64-bit UEFI" };
	return arch < sizeof names / sizeof names[0] ? names[arch] : NULL;
}

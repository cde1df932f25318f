/* smb.c: SMB2 TREE_CONNECT requests (MS-SMB2 2.2.9). */
#include <string.h>

#include "lib/bytes.h"
#include "proto/smb.h"

#define SMB2_HEADER_LEN 64
#define SMB2_TREE_CONNECT 3
#define SMB2_FLAGS_SERVER_TO_REDIR 0x1
#define SMB2_MAX_COMPOUND 8

/* The path of a TREE_CONNECT request whose SMB2 header starts at hdr: its last component. */
static bool share_of(const uint8_t *hdr, size_t len, char *share, size_t sharelen)
{
	uint16_t size, off, plen;
	if (!bytes_le16(hdr, len, SMB2_HEADER_LEN, &size) || size != 9 ||
	    !bytes_le16(hdr, len, SMB2_HEADER_LEN + 4, &off) || !bytes_le16(hdr, len, SMB2_HEADER_LEN + 6, &plen) ||
	    plen == 0 || plen % 2 || off < SMB2_HEADER_LEN + 8 || off > len || plen > len - off)
		return false;
	/* \\server\share: the characters after the last backslash (UTF-16LE) */
	size_t start = off, end = (size_t)off + plen;
	for (size_t i = off; i + 1 < end; i += 2)
		if (hdr[i] == '\\' && hdr[i + 1] == 0)
			start = i + 2;
	if (start >= end || sharelen == 0)
		return false;
	size_t n = 0;
	for (size_t i = start; i + 1 < end && n + 1 < sharelen; i += 2) {
		uint16_t c = (uint16_t)(hdr[i] | hdr[i + 1] << 8);
		share[n++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	share[n] = '\0';
	return n > 0;
}

bool smb_looks_like(const uint8_t *p, size_t len)
{
	uint32_t nb;
	if (len < 8 || p[0] != 0 || !bytes_be32(p, len, 0, &nb) || (nb & 0xffffff) < 4)
		return false;
	return (p[4] == 0xff || p[4] == 0xfe || p[4] == 0xfd) && memcmp(p + 5, "SMB", 3) == 0;
}

bool smb2_tree_connect_share(const uint8_t *p, size_t len, char *share, size_t sharelen)
{
	/* NetBIOS session service: type 0, 24-bit length */
	uint8_t type;
	uint32_t nb;
	if (!bytes_u8(p, len, 0, &type) || type != 0 || !bytes_be32(p, len, 0, &nb))
		return false;
	size_t msg_len = nb & 0xffffff;
	if (msg_len > len - 4)
		msg_len = len - 4; /* the rest of the message is in later segments */
	const uint8_t *m = p + 4;
	size_t left = msg_len;
	for (int i = 0; i < SMB2_MAX_COMPOUND; i++) {
		uint16_t hlen, cmd;
		uint32_t flags, next;
		if (left < SMB2_HEADER_LEN || memcmp(m, "\xfeSMB", 4) != 0 || !bytes_le16(m, left, 4, &hlen) ||
		    hlen != SMB2_HEADER_LEN || !bytes_le16(m, left, 12, &cmd) || !bytes_le32(m, left, 16, &flags) ||
		    !bytes_le32(m, left, 20, &next))
			return false;
		size_t this_len = next && next < left ? next : left;
		if (cmd == SMB2_TREE_CONNECT && !(flags & SMB2_FLAGS_SERVER_TO_REDIR) &&
		    share_of(m, this_len, share, sharelen))
			return true;
		if (!next || next >= left || next < SMB2_HEADER_LEN)
			return false;
		m += next;
		left -= next;
	}
	return false;
}

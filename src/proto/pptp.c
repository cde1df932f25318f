/* pptp.c: PPTP control messages (RFC 2637), pptp.h. */
#include "lib/bytes.h"
#include "proto/pptp.h"

bool pptp_parse_control(const uint8_t *p, size_t len, uint16_t *ctrl_type)
{
	uint16_t length, msg_type;
	uint32_t cookie;
	if (!bytes_be16(p, len, 0, &length) || !bytes_be16(p, len, 2, &msg_type) || !bytes_be32(p, len, 4, &cookie) ||
	    !bytes_be16(p, len, 8, ctrl_type))
		return false;
	return cookie == 0x1A2B3C4D && msg_type == 1 && length >= 12 && *ctrl_type >= 1 && *ctrl_type <= 15;
}

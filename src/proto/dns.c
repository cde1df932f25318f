/* dns.c: the header and the question of a DNS query, read through a bounds-checked cursor. */
#include "lib/bytes.h"
#include "proto/dns.h"

#define DNS_NAME_MAX 255
#define OPCODE_QUERY 0
#define OPCODE_NOTIFY 4
#define OPCODE_UPDATE 5

bool dns_is_query(const uint8_t *msg, size_t len)
{
	struct cursor c = cursor_make(msg, len);
	uint16_t id, flags, qd, an, ns, ar, qtype, qclass;
	if (!cursor_be16(&c, &id) || !cursor_be16(&c, &flags) || !cursor_be16(&c, &qd) || !cursor_be16(&c, &an) ||
	    !cursor_be16(&c, &ns) || !cursor_be16(&c, &ar))
		return false;
	unsigned opcode = (flags >> 11) & 0xf;
	if ((flags & 0x8000) || (opcode != OPCODE_QUERY && opcode != OPCODE_NOTIFY && opcode != OPCODE_UPDATE) ||
	    qd != 1 || (opcode == OPCODE_QUERY && an != 0))
		return false;
	size_t name_len = 0;
	for (;;) {
		uint8_t label;
		if (!cursor_u8(&c, &label) || label > 63)
			return false; /* cut, or a compression pointer (queries name their question in full) */
		if (label == 0)
			break;
		name_len += (size_t)label + 1;
		if (name_len > DNS_NAME_MAX || !cursor_skip(&c, label))
			return false;
	}
	return cursor_be16(&c, &qtype) && cursor_be16(&c, &qclass) && qtype != 0 && qclass != 0;
}

bool dns_is_tcp_query(const uint8_t *data, size_t len)
{
	uint16_t n;
	return bytes_be16(data, len, 0, &n) && n >= 12 && n <= len - 2 && dns_is_query(data + 2, n);
}

/* ssrp.c: the SQL Server Browser's answer ([MS-SQLR]), ssrp.h. */
#include <string.h>

#include "lib/bytes.h"
#include "proto/ssrp.h"

size_t ssrp_parse_ports(const uint8_t *p, size_t len, uint16_t *ports, size_t max)
{
	struct cursor c = cursor_make(p, len), text;
	uint8_t type;
	uint16_t size;
	if (!cursor_u8(&c, &type) || type != 0x05 || !cursor_le16(&c, &size) || size == 0)
		return 0;
	if (!cursor_take(&c, size < cursor_left(&c) ? size : cursor_left(&c), &text))
		return 0;
	size_t n = 0, tlen = cursor_left(&text);
	const uint8_t *t = text.p;
	/* ";tcp;1433;" after each instance's description */
	for (size_t i = 0; i + 5 <= tlen; i++) {
		if (memcmp(t + i, "tcp;", 4) != 0 || (i > 0 && t[i - 1] != ';'))
			continue;
		unsigned port = 0;
		size_t k = i + 4;
		while (k < tlen && t[k] >= '0' && t[k] <= '9' && port <= 65535)
			port = port * 10 + (unsigned)(t[k++] - '0');
		if (k < tlen && t[k] == ';' && port > 0 && port <= 65535) {
			if (n < max)
				ports[n] = (uint16_t)port;
			n++;
		}
	}
	return n;
}

/* tftp.c: TFTP requests (RFC 1350), tftp.h. */
#include <string.h>
#include <strings.h>

#include "lib/bytes.h"
#include "proto/tftp.h"

/* The NUL-terminated string at the cursor, without its NUL, as a cursor of its own. */
static bool take_string(struct cursor *c, struct cursor *s)
{
	const uint8_t *nul = memchr(c->p, 0, cursor_left(c));
	if (!nul || nul == c->p)
		return false;
	return cursor_take(c, (size_t)(nul - c->p), s) && cursor_skip(c, 1);
}

bool tftp_parse_request(const uint8_t *p, size_t len, bool *write, char *filename, size_t fnlen, const char **mode_name)
{
	struct cursor c = cursor_make(p, len), name, mode;
	uint16_t opcode;
	if (!cursor_be16(&c, &opcode) || (opcode != 1 && opcode != 2) || !take_string(&c, &name) ||
	    !take_string(&c, &mode))
		return false;
	for (const uint8_t *ch = name.p; ch < name.end; ch++)
		if (*ch < 0x20 || *ch > 0x7e)
			return false;
	size_t ml = cursor_left(&mode);
	const char *m = (const char *)mode.p;
	const char *known = ml == 5 && !strncasecmp(m, "octet", 5)      ? "octet"
			    : ml == 8 && !strncasecmp(m, "netascii", 8) ? "netascii"
			    : ml == 4 && !strncasecmp(m, "mail", 4)     ? "mail"
									: NULL;
	if (!known)
		return false;
	if (mode_name)
		*mode_name = known;
	*write = opcode == 2;
	size_t n = cursor_left(&name) < fnlen - 1 ? cursor_left(&name) : fnlen - 1;
	memcpy(filename, name.p, n);
	filename[n] = '\0';
	return true;
}

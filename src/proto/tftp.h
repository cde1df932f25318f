/* tftp.h: a TFTP read or write request (RFC 1350 section 5): opcode 1 (RRQ) or 2 (WRQ), a file name, NUL, a mode
 * (netascii, octet or mail, any case), NUL. The server answers from a new port (the follow-up, footnote 6). */
#ifndef CMFLOW_TFTP_H
#define CMFLOW_TFTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* True when p[0..len) is a request; *write tells which, filename gets the name (printable ASCII only, cut to
 * fnlen - 1, NUL-terminated) and *mode_name (when not NULL) the mode in lower case ("octet", "netascii", "mail"). */
bool tftp_parse_request(const uint8_t *p, size_t len, bool *write, char *filename, size_t fnlen,
			const char **mode_name);

#endif

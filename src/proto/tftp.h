/* tftp.h: a TFTP read or write request (RFC 1350 section 5): opcode 1 (RRQ) or 2 (WRQ), a file name, NUL, a mode
 * (netascii, octet or mail, any case), NUL. The server answers from a new port (the follow-up, footnote 6). */
#ifndef CMFLOW_TFTP_H
#define CMFLOW_TFTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* True when p[0..len) is a request; *write tells which, and filename gets the name (printable ASCII only, cut to
 * fnlen - 1, NUL-terminated). */
bool tftp_parse_request(const uint8_t *p, size_t len, bool *write, char *filename, size_t fnlen);

#endif

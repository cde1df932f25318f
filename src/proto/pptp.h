/* pptp.h: a PPTP control message (RFC 2637 section 2): length, message type 1 (control), the magic cookie
 * 0x1A2B3C4D, the control message type. An Outgoing-Call-Reply (8) means the call's data flows in enhanced GRE
 * between the two hosts (the follow-up, footnote 1). */
#ifndef CMFLOW_PPTP_H
#define CMFLOW_PPTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PPTP_OUTGOING_CALL_REPLY 8

/* True when p[0..len) starts a control message; *ctrl_type gets its type (1..15). */
bool pptp_parse_control(const uint8_t *p, size_t len, uint16_t *ctrl_type);

#endif

/* followup.h: connections that other connections announce, passively: the DCE/RPC endpoint mapper and DCOM
 * answers (dcerpc.h), TFTP's answer from a new port (footnote 6), PPTP's GRE (footnote 1), and the SQL Server
 * Browser's named-instance ports. Announcements become expectations (expect.h); a new flow that meets one is
 * labelled as its parent's follow-up. */
#ifndef CMFLOW_FOLLOWUP_H
#define CMFLOW_FOLLOWUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "decode/decode.h"
#include "flow/flow.h"

struct engine;

/* TFTP read or write request (RFC 1350): opcode 1 or 2, filename, NUL, mode, NUL. */
bool tftp_parse_request(const uint8_t *p, size_t len, bool *write, char *filename, size_t fnlen);

/* PPTP control message (magic cookie 0x1A2B3C4D): its control message type. */
bool pptp_parse_control(const uint8_t *p, size_t len, uint16_t *ctrl_type);

/* SQL Server Browser answer (SSRP SVR_RESP, 0x05): the TCP ports of the instances it lists ("tcp;1433;"). Returns
 * how many were found (at most max stored). */
size_t sqlbrowser_parse_ports(const uint8_t *p, size_t len, uint16_t *ports, size_t max);

/* Looks at a packet of a flow still under inspection; records announcements as expectations. Returns true while
 * a parser still wants this flow's packets. */
bool followup_inspect(struct engine *e, struct flow *f, const struct packet *p, enum flow_dir dir);

/* A flow was just created: does it meet an expectation, and does it announce channels of its own session
 * (rules with after=)? */
void followup_new_flow(struct engine *e, struct flow *f);

/* A flow ends without a parent (its announcement may have been handled late by another worker): does it meet
 * an expectation now? */
void followup_late(struct engine *e, struct flow *f);

/* For fuzzing: the TFTP, PPTP and SQL Browser parsers on arbitrary bytes. */
void followup_fuzz_one(const uint8_t *data, size_t len);

#endif

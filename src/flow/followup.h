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

struct expect_table;

/* Channels that a session of a path opens between the same two hosts (remote control: rows 79 and 80, the
 * rules file's after=): a new flow to a control port announces the data ports. The engine fills it from the
 * rules. */
#define SESSION_CHANNELS_MAX 32
struct session_channel {
	uint8_t control_proto;
	uint16_t control_lo, control_hi;
	uint8_t data_proto;
	uint16_t data_port;
};
struct session_channels {
	struct session_channel v[SESSION_CHANNELS_MAX];
	unsigned n;
};

/* The inspectors of the announcing protocols (inspect.h's rows): each reads one packet of a flow under
 * inspection and records what it announces as expectations. */

struct dcerpc_endpoint;

/* An endpoint that an answer of f's responder announced (an endpoint mapper or DCOM answer, read by the DCE/RPC
 * walkers of smbrpc.h over TCP or a named pipe) at now_us: f's initiator may connect to it next. expect NULL:
 * nothing is recorded. */
void followup_endpoint(struct expect_table *expect, const struct flow *f, const struct dcerpc_endpoint *ep,
		       uint64_t now_us);

/* Connectionless DCE/RPC on UDP 135: the endpoint mapper's answers. */
void followup_dcerpc_udp(struct expect_table *expect, struct flow *f, const struct packet *p);

/* A TFTP request: the answer comes from a new port. */
void followup_tftp(struct expect_table *expect, struct flow *f, const struct packet *p);

/* PPTP control on 1723: an Outgoing-Call-Reply announces the call's GRE. True while the reply is awaited. */
bool followup_pptp(struct expect_table *expect, struct flow *f, const struct packet *p);

/* The SQL Server Browser's answer: the named instances' TCP ports. True while no answer was read. */
bool followup_sqlbrowser(struct expect_table *expect, struct flow *f, const struct packet *p);

/* A flow was just created: does it meet an expectation, and does it announce channels of its own session? */
void followup_new_flow(struct expect_table *expect, const struct session_channels *sc, struct flow *f);

/* A flow ends without a parent (its announcement may have been handled late by another worker): does it meet
 * an expectation now? */
void followup_late(struct expect_table *expect, struct flow *f);

/* For fuzzing: the TFTP, PPTP and SQL Browser parsers on arbitrary bytes. */
void followup_fuzz_one(const uint8_t *data, size_t len);

#endif

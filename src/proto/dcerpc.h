/* dcerpc.h: DCE/RPC, passively: every presentation context a connection binds and its acceptance, the opnum of
 * every request, the auth verifiers, and the endpoints that endpoint mapper and DCOM answers announce
 * ([C706] chapter 12, [MS-RPCE] 2.2 (NDR64, bind time feature negotiation), [MS-DCOM] 2.2.19 (DUALSTRINGARRAY);
 * ../shared/reference/dcerpc-followups.md has the layouts).
 *
 * Connection-oriented RPC comes as a byte stream per direction: over TCP (dcerpc_tcp_feed, in sequence order,
 * bounded; a gap drops the direction's buffer until a PDU header lines up again) or over an SMB named pipe
 * (dcerpc_pipe_feed: the pipe's bytes in order, as the SMB walker reads them from WRITE, READ, IOCTL and
 * TRANSACTION messages). PDUs are cut out by frag_length. bind / alter_context propose contexts (context id ->
 * abstract syntax, transfer syntaxes offered), bind_ack / alter_context_resp accept or reject them in order, a
 * request names its context and opnum, responses are reassembled by call id. An endpoint mapper answer
 * (ept_map, ept_lookup; NDR or NDR64) yields its protocol towers' ports; an ISystemActivator or IObjectExporter
 * answer yields the ports of its DCOM string bindings "host[port]". Connectionless RPC (UDP) names its interface
 * in every packet. All reads are bounds-checked; a parser never reads past what it was given. No byte of an auth
 * verifier is kept: it is shown to the caller's callback during the call only. */
#ifndef CMFLOW_DCERPC_H
#define CMFLOW_DCERPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define UUID_STR_LEN 37

#define DCERPC_CONTEXTS_MAX 16 /* contexts kept per connection; later ones are counted */

enum dcerpc_source { DCERPC_FROM_EPM = 1, DCERPC_FROM_DCOM };

/* An announced endpoint. */
struct dcerpc_endpoint {
	uint8_t source;          /* enum dcerpc_source */
	uint8_t proto;           /* 6 or 17 */
	uint16_t port;
	bool has_addr;
	uint8_t addr[4];         /* IPv4 from the tower or the string binding (0.0.0.0 is "the answering host") */
	bool has_uuid;
	uint8_t uuid[16];        /* the interface the endpoint serves (canonical byte order) */
	bool unbound;            /* a DCOM binding found by its shape in an answer whose bind was not seen */
	bool ndr64;              /* an endpoint mapper answer in NDR64 */
};

typedef void (*dcerpc_endpoint_fn)(void *ctx, const struct dcerpc_endpoint *ep);

/* Transfer syntaxes ([C706] NDR, [MS-RPCE] 2.2.5.1 NDR64 and 3.3.1.5.3 bind time feature negotiation). */
enum dcerpc_syntax { DCERPC_SYNTAX_NONE = 0, DCERPC_SYNTAX_NDR, DCERPC_SYNTAX_NDR64, DCERPC_SYNTAX_BTFN,
		     DCERPC_SYNTAX_OTHER };
#define DCERPC_OFFER(syntax) (1u << (syntax)) /* bit of dcerpc_context.offered */

/* bind_ack result of a context ([C706] p_cont_def_result_t, [MS-RPCE] negotiate_ack). */
enum dcerpc_ack { DCERPC_ACK_ACCEPTANCE = 0, DCERPC_ACK_USER_REJECTION = 1, DCERPC_ACK_PROVIDER_REJECTION = 2,
		  DCERPC_ACK_NEGOTIATE = 3 };

/* One presentation context of a connection, as proposed and answered. Invariant: offered has a bit per transfer
 * syntax offered; accepted is DCERPC_SYNTAX_NONE unless has_ack && ack_result == DCERPC_ACK_ACCEPTANCE; opnums
 * has bit n set when a request for opnum n < 128 was seen, larger opnums are counted in opnums_high. */
struct dcerpc_context {
	uint16_t ctx_id;
	uint8_t uuid[16];        /* abstract syntax, canonical byte order */
	uint16_t ver_major, ver_minor;
	uint8_t offered;         /* DCERPC_OFFER() bits */
	bool alter;              /* proposed by an alter_context (else by a bind) */
	bool has_ack;            /* its bind_ack / alter_context_resp result was seen */
	bool superseded;         /* its context id was bound again later (to another interface) */
	uint16_t ack_result;     /* enum dcerpc_ack (other values kept as they came) */
	uint16_t ack_reason;
	uint8_t accepted;        /* enum dcerpc_syntax of the accepted transfer syntax */
	uint32_t requests;       /* requests (first fragments) on this context */
	uint8_t opnums[16];      /* bitmap of the opnums 0..127 called */
	uint32_t opnums_high;    /* requests with an opnum >= 128 */
};

enum dcerpc_event_kind {
	DCERPC_EV_ENDPOINT = 1,  /* an endpoint announced (ev->endpoint) */
	DCERPC_EV_CONTEXT,       /* a context proposed in a bind or alter_context (ev->context) */
	DCERPC_EV_ACK,           /* its result in a bind_ack or alter_context_resp (ev->context) */
	DCERPC_EV_REQUEST,       /* a request's first fragment (ev->context when its id is known, ev->opnum) */
	DCERPC_EV_FAULT,         /* a fault answering a call (ev->status) */
	DCERPC_EV_AUTH,          /* a PDU with an auth verifier (ev->auth_*) */
};

/* What a callback is shown. Pointers are valid during the call only (the verifier's bytes lie in the parser's
 * buffer, which is reused: a module that reads NTLMSSP from them keeps what it needs and no credential). */
struct dcerpc_event {
	uint8_t kind;            /* enum dcerpc_event_kind */
	uint8_t dir;             /* 0 from the connection's (or pipe's) initiator */
	uint8_t ptype;           /* the PDU type it came from */
	uint16_t ctx_id;
	uint16_t opnum;          /* REQUEST; also FAULT when its call is known (else 0xffff) */
	uint32_t call_id;
	uint32_t status;         /* FAULT */
	uint32_t stub_len;       /* REQUEST: stub bytes of this fragment */
	const struct dcerpc_context *context; /* NULL when the context id was never proposed */
	const struct dcerpc_endpoint *endpoint;
	uint8_t auth_type, auth_level; /* AUTH, also set on REQUEST when the PDU has a verifier (6 = privacy) */
	const uint8_t *auth_value;
	size_t auth_len;
};

typedef void (*dcerpc_event_fn)(void *ctx, const struct dcerpc_event *ev);

/* Counters of what was seen and what the bounds left out. */
struct dcerpc_counters {
	uint32_t pdus;           /* PDUs cut out of the stream */
	uint32_t bad_pdus;       /* PDUs whose body did not parse */
	uint32_t resyncs;        /* times the stream lost its PDU boundaries (gap, garbage, over the buffer) */
	uint32_t contexts_dropped; /* contexts past DCERPC_CONTEXTS_MAX */
	uint32_t calls_dropped;  /* calls pushed out of the call table before their answer */
	uint32_t answers_cut;    /* answers longer than the reassembly bound, read as far as kept */
};

struct dcerpc_state;

/* A new connection's state; NULL when out of memory. */
struct dcerpc_state *dcerpc_state_new(void);
void dcerpc_state_free(void *state);

/* Asks the parser to look for DCOM string bindings by their shape (dcom_scan_unbound) in responses whose call's
 * interface is unknown (the bind was not captured). Meant for connections with port 135 at one end. */
void dcerpc_scan_unbound(struct dcerpc_state *s, bool on);

/* Feeds one TCP segment's payload of direction dir (0 from the initiator); events go to fn (may be NULL).
 * Returns false when the stream is not DCE/RPC (no PDU ever lined up in its first segments), so that the caller
 * stops feeding it. */
bool dcerpc_tcp_feed(struct dcerpc_state *s, int dir, uint32_t seq, const uint8_t *data, size_t len,
		     dcerpc_event_fn fn, void *ctx);

/* The same, reporting only announced endpoints (the follow-up machinery's entry). */
bool dcerpc_tcp_segment(struct dcerpc_state *s, int dir, uint32_t seq, const uint8_t *data, size_t len,
			dcerpc_endpoint_fn fn, void *ctx);

/* Feeds bytes read from a named pipe in direction dir (0 client to server), in order. Returns false when the
 * pipe's bytes are not DCE/RPC. dcerpc_pipe_gap says that bytes of that direction were lost (a message not
 * seen, a payload cut): the direction waits for a PDU header at the start of a later feed. */
bool dcerpc_pipe_feed(struct dcerpc_state *s, int dir, const uint8_t *data, size_t len, dcerpc_event_fn fn, void *ctx);
void dcerpc_pipe_gap(struct dcerpc_state *s, int dir);

/* The first interface bound on the connection, if any. */
bool dcerpc_bound_interface(const struct dcerpc_state *s, uint8_t uuid[16]);

/* Every context of the connection, in the order proposed (at most DCERPC_CONTEXTS_MAX); *n gets their count. */
const struct dcerpc_context *dcerpc_contexts(const struct dcerpc_state *s, size_t *n);

/* The first auth verifier's type and level ([MS-RPCE] 2.2.1.1.7/8: 9 SPNEGO, 10 NTLM, 16 Kerberos, 68 Netlogon;
 * level 6 privacy). False when no PDU carried one. */
bool dcerpc_auth(const struct dcerpc_state *s, uint8_t *auth_type, uint8_t *auth_level);

const struct dcerpc_counters *dcerpc_counters(const struct dcerpc_state *s);

/* The name of a transfer syntax ("NDR", "NDR64", "bind-time-feature-negotiation", "other", "none"). */
const char *dcerpc_syntax_name(uint8_t syntax);

/* True when data starts with a connection-oriented DCE/RPC header (version 5, a known PDU type). */
bool dcerpc_looks_like_co(const uint8_t *data, size_t len);

/* A connectionless PDU (UDP): endpoint mapper answers announce endpoints. Returns true when it was DCE/RPC. */
bool dcerpc_udp_packet(const uint8_t *data, size_t len, dcerpc_endpoint_fn fn, void *ctx);

/* Building blocks, also used by the unit tests and fuzz targets: well-formed protocol towers and DCOM string
 * bindings found in a response stub. Return how many were found (at most max are stored). */
size_t dcerpc_scan_towers(const uint8_t *stub, size_t len, struct dcerpc_endpoint *out, size_t max);
size_t dcom_scan_bindings(const uint8_t *stub, size_t len, struct dcerpc_endpoint *out, size_t max);

/* DCOM string bindings recognised by their own shape, for an answer whose bind was not seen: only inside a whole
 * DUALSTRINGARRAY ([MS-DCOM] 2.2.19.1): wNumEntries and wSecurityOffset consistent with the array, every string
 * binding a known tower id and printable text, the string bindings ended by 0x0000 just before wSecurityOffset,
 * every security binding (authn service, authz service, principal name) ended and the array ended exactly at
 * wNumEntries; ports from ncacn_ip_tcp "host[port]" bindings only. Returns how many endpoints (deduplicated by
 * address and port), at most max stored; 0 for anything else. */
size_t dcom_scan_unbound(const uint8_t *stub, size_t len, struct dcerpc_endpoint *out, size_t max);

/* An endpoint mapper answer's towers read as NDR64 ([MS-RPCE] 2.2.5): ept_map (opnum 3) or ept_lookup (opnum 2)
 * response stubs. Returns how many towers with a port were read (at most max stored). */
size_t dcerpc_epm_ndr64_towers(const uint8_t *stub, size_t len, uint16_t opnum, struct dcerpc_endpoint *out,
			       size_t max);

/* UUIDs as text: "e1af8308-5d1f-11c9-91a4-08002b14a0fa". */
bool uuid_parse(const char *s, uint8_t out[16]);
const char *uuid_format(const uint8_t uuid[16], char out[UUID_STR_LEN]);

/* Whole-parser entry for fuzzing: feeds data as a stream (both directions alternately cut), as a pipe and as
 * UDP, with every event's pointers checked against the input. */
void dcerpc_fuzz_one(const uint8_t *data, size_t len);

#endif

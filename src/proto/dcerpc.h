/* dcerpc.h: DCE/RPC, passively: the interfaces a connection binds, and the endpoints that endpoint mapper and
 * DCOM answers announce (reference/dcerpc-followups.md has the layouts).
 *
 * Connection-oriented RPC (TCP): each direction of the stream is reassembled in order (bounded; a gap drops the
 * direction's buffer until a PDU header lines up again), PDUs are cut out by frag_length, bind/alter_context give
 * context id -> interface, requests give call id -> opnum, responses are reassembled by call id. An endpoint
 * mapper answer (ept_map, ept_lookup) yields its protocol towers' ports; an ISystemActivator or IObjectExporter
 * answer yields the ports of its DCOM string bindings "host[port]". Connectionless RPC (UDP) names its interface
 * in every packet. All reads are bounds-checked; a parser never reads past what it was given. */
#ifndef CMFLOW_DCERPC_H
#define CMFLOW_DCERPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define UUID_STR_LEN 37

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
};

typedef void (*dcerpc_endpoint_fn)(void *ctx, const struct dcerpc_endpoint *ep);

struct dcerpc_state;

struct dcerpc_state *dcerpc_state_new(void);
void dcerpc_state_free(void *state);

/* Feeds one TCP segment's payload of direction dir (0 from the initiator). Returns false when the stream is not
 * DCE/RPC, so that the caller stops feeding it. */
bool dcerpc_tcp_segment(struct dcerpc_state *s, int dir, uint32_t seq, const uint8_t *data, size_t len,
			dcerpc_endpoint_fn fn, void *ctx);

/* The first interface bound on the connection, if any. */
bool dcerpc_bound_interface(const struct dcerpc_state *s, uint8_t uuid[16]);

/* True when data starts with a connection-oriented DCE/RPC header (version 5, a known PDU type). */
bool dcerpc_looks_like_co(const uint8_t *data, size_t len);

/* A connectionless PDU (UDP): endpoint mapper answers announce endpoints. Returns true when it was DCE/RPC. */
bool dcerpc_udp_packet(const uint8_t *data, size_t len, dcerpc_endpoint_fn fn, void *ctx);

/* Building blocks, also used by the unit tests and fuzz targets: well-formed protocol towers and DCOM string
 * bindings found in a response stub. Return how many were found (at most max are stored). */
size_t dcerpc_scan_towers(const uint8_t *stub, size_t len, struct dcerpc_endpoint *out, size_t max);
size_t dcom_scan_bindings(const uint8_t *stub, size_t len, struct dcerpc_endpoint *out, size_t max);

/* UUIDs as text: "e1af8308-5d1f-11c9-91a4-08002b14a0fa". */
bool uuid_parse(const char *s, uint8_t out[16]);
const char *uuid_format(const uint8_t uuid[16], char out[UUID_STR_LEN]);

/* Whole-parser entry for fuzzing: feeds data as a stream (both directions alternately cut) and as UDP. */
void dcerpc_fuzz_one(const uint8_t *data, size_t len);

#endif

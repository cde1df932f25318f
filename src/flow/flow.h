/* flow.h: the flow record, one per bidirectional conversation.
 *
 * A record is small on purpose (see flow_table.h for the memory budget): what only some flows need (HTTP
 * strings, RPC interface, Wake-on-LAN target ...) lives in a side record, struct flow_ext, allocated when a
 * parser first has something to keep, and freed with the flow; a tunnelled flow's tunnel in a record of its own. */
#ifndef CMFLOW_FLOW_H
#define CMFLOW_FLOW_H

#include <stdbool.h>
#include <stdint.h>

/* Canonical, direction-free key: the (address, port) pair that sorts lower comes first. Padding is explicit and
 * zero so that the key can be hashed and compared as bytes. IPv4 addresses use the first 4 bytes. A tunnelled
 * packet's key is its inner packet's, with the tunnel identity that separates overlapping address spaces (VNI,
 * ERSPAN session, GRE key; the inner VLAN tags are in vlan). Invariant: tunnel_id is 0 when tunnel_space is. */
struct flow_key {
	uint8_t addr_lo[16];
	uint8_t addr_hi[16];
	uint16_t port_lo, port_hi;  /* 0 for protocols without ports (ICMP, GRE, ESP ...) */
	uint16_t vlan[2];
	uint8_t ip_proto;
	uint8_t family;             /* 4 or 6 */
	uint8_t tunnel_space;       /* enum tunnel_id_kind (decode.h): 0 = none */
	uint8_t pad;
	uint32_t tunnel_id;         /* in tunnel_space */
};

enum flow_state { FLOW_STATE_NEW = 0, FLOW_STATE_ESTABLISHED, FLOW_STATE_CLOSED };

enum flow_end_reason { FLOW_END_TIMEOUT = 0, FLOW_END_FORCED, FLOW_END_SHUTDOWN, FLOW_END_REUSE };

/* Direction of a packet relative to the flow: from the initiator (to server) or back (to client). */
enum flow_dir { DIR_TO_SERVER = 0, DIR_TO_CLIENT = 1 };

/* Application protocols that cmflow itself proves from payload (independent of nDPI). */
enum app_proof { APP_NONE = 0, APP_HTTP, APP_TLS, APP_SMB, APP_DCERPC, APP_WOL, APP_DNS, APP_DHCP };

/* Flag bits of struct flow.flags */
#define FLOW_F_MIDSTREAM     0x0001  /* first packet seen was not a SYN: the initiator is a guess */
#define FLOW_F_SYN_SEEN      0x0002
#define FLOW_F_SYNACK_SEEN   0x0004
#define FLOW_F_FIN_FROM_CLI  0x0008
#define FLOW_F_FIN_FROM_SRV  0x0010
#define FLOW_F_RST           0x0020
#define FLOW_F_DPI_DONE      0x0040  /* nDPI has given its answer; its state is freed */
#define FLOW_F_INSPECT_DONE  0x0080  /* cmflow's own parsers need no more packets */
#define FLOW_F_ALERTED       0x0100  /* a finding was raised: its packets go to the evidence file */
#define FLOW_F_REPLIED       0x0200  /* a packet went back to the initiator */
#define FLOW_F_L2_BROADCAST  0x0400  /* the initiator's packets go to the Ethernet broadcast address */
#define FLOW_F_EVIDENCE      0x0800  /* live: a finding is known, every packet goes to the evidence file */
#define FLOW_F_SMB_WALKED    0x1000  /* an SMB walker was started on the flow (smbrpc.h): never a second one */
#define FLOW_F_RPC_WALKED    0x2000  /* a DCE/RPC walker was started on the flow (smbrpc.h) */

struct ndpi_flow_struct;
struct flow_ext;
struct packet_tunnel;

/* Invariants: pkts[d]/bytes[d] count by direction (DIR_TO_SERVER = from the initiator); init_is_lo says which
 * side of the key is the initiator; ndpi is non-NULL only while detection runs; ts_first <= ts_last. The
 * hnext/lru links belong to the flow table. */
struct flow {
	struct flow_key key;
	uint32_t hnext;                 /* hash chain, index + 1 (0 = end) */
	uint32_t lru_prev, lru_next;    /* expiry list of the flow's timeout class, index + 1 */
	uint32_t bucket;                /* the flow table's hash chain (kept: unlinking need not hash again) */
	uint64_t id;                    /* flow_id in the EVE output, unique in a run */
	uint64_t ts_first, ts_last;     /* microseconds */
	uint64_t pkts[2], bytes[2];
	struct ndpi_flow_struct *ndpi;
	struct flow_ext *ext;
	struct packet_tunnel *tunnel;   /* the encapsulation of a tunnelled flow's first packet (flow_ext.h), or NULL */
	uint16_t flags;
	uint16_t ndpi_master, ndpi_app;
	/* four small fields in one byte, so that the record keeps its 160 bytes with the tunnel's key and pointer */
	uint8_t init_is_lo : 1;
	uint8_t state : 2;              /* enum flow_state */
	uint8_t end_reason : 2;         /* enum flow_end_reason */
	uint8_t tmo_class : 3;          /* index into the table's timeout classes (flow_table.c asserts they fit) */
	uint8_t app_proof;              /* enum app_proof */
	uint8_t ndpi_confidence;
	uint8_t icmp_type, icmp_code;   /* the first ICMP message's type and code (its Community ID) */
	uint8_t inspected;              /* packets given to the parsers so far (saturates) */
	uint8_t payload;                /* enum payload_kind of the first TCP payload */
	uint8_t iface;                  /* live: the index of the interface it was first seen on */
	uint16_t inspect_done;          /* the inspectors' rows (inspect.c's table) done with this flow, by bit */
};

/* The tunnel kept for the flow, or NULL (not tunnelled). */
static inline const struct packet_tunnel *flow_tunnel(const struct flow *f)
{
	return f->tunnel;
}

/* The initiator's and the responder's address/port of a flow, in the output's src/dest sense. */
static inline const uint8_t *flow_src_addr(const struct flow *f)
{
	return f->init_is_lo ? f->key.addr_lo : f->key.addr_hi;
}
static inline const uint8_t *flow_dst_addr(const struct flow *f)
{
	return f->init_is_lo ? f->key.addr_hi : f->key.addr_lo;
}
static inline uint16_t flow_src_port(const struct flow *f)
{
	return f->init_is_lo ? f->key.port_lo : f->key.port_hi;
}
static inline uint16_t flow_dst_port(const struct flow *f)
{
	return f->init_is_lo ? f->key.port_hi : f->key.port_lo;
}

#endif

/* flow_table.h: the bounded table of live flows.
 *
 * A fixed pool of records (reserved at start, touched only as used), a seeded hash over the canonical key, and
 * one expiry list per timeout class ordered by last activity, so that expiry only looks at the heads and a
 * packet's update is O(1). When the pool is full the least recently seen flow is ended ("forced") to make room,
 * and counted. No allocation happens per packet. */
#ifndef CMFLOW_FLOW_TABLE_H
#define CMFLOW_FLOW_TABLE_H

#include <stdbool.h>
#include <stdint.h>

#include "decode/decode.h"
#include "flow/flow.h"
#include "lib/hash.h"

enum tmo_class {
	TMO_TCP_NEW = 0,   /* SYN seen, not established */
	TMO_TCP_EST,
	TMO_TCP_CLOSED,    /* FIN both ways or RST */
	TMO_UDP_NEW,       /* one direction only so far */
	TMO_UDP_EST,
	TMO_ICMP,
	TMO_OTHER,
	TMO_COUNT
};

struct flow_table;

/* Called for every flow that ends (timeout, eviction, flush); the record is recycled when it returns. */
typedef void (*flow_end_fn)(void *ctx, struct flow *f);

struct flow_table_stats {
	uint64_t created, timed_out, evicted, flushed, reused;
	uint64_t tcp, udp, icmpv4, icmpv6, other;
	uint32_t active, max_active;
};

/* Creates a table for at most max_flows flows, with idle timeouts in seconds per class. Returns NULL when the
 * memory cannot be reserved. */
struct flow_table *flow_table_new(uint32_t max_flows, const uint32_t timeouts_s[TMO_COUNT],
				  const struct hash_key *key, flow_end_fn on_end, void *ctx);
void flow_table_free(struct flow_table *ft);

/* Finds the flow of key (hash: flow_table_hash(key)), or creates it at time now_us when create is true.
 * *created tells which. Creating may end the oldest flow first when the table is full (on_end is called).
 * Returns NULL only when create is false and the flow is absent. */
struct flow *flow_table_get(struct flow_table *ft, const struct flow_key *key, uint64_t hash, uint64_t now_us,
			    bool create, bool *created);

uint64_t flow_table_hash(const struct flow_table *ft, const struct flow_key *key);

/* Records activity at now_us and moves the flow to the tail of class cls. */
void flow_table_touch(struct flow_table *ft, struct flow *f, enum tmo_class cls, uint64_t now_us);

/* Ends (on_end, then recycles) the flow now, with the given reason. */
void flow_table_end(struct flow_table *ft, struct flow *f, enum flow_end_reason reason);

/* Ends every flow idle for longer than its class allows at now_us; returns how many. Bounded work per call is
 * not needed: each list is ordered, so only due flows are visited. */
uint32_t flow_table_expire(struct flow_table *ft, uint64_t now_us);

/* Ends every flow (end of input or shutdown), oldest first. */
void flow_table_flush(struct flow_table *ft, enum flow_end_reason reason);

/* Calls fn on every live flow (no order promised); fn must not end flows. */
void flow_table_foreach(struct flow_table *ft, void (*fn)(void *ctx, struct flow *f), void *ctx);

const struct flow_table_stats *flow_table_stats(const struct flow_table *ft);
uint32_t flow_table_capacity(const struct flow_table *ft);
size_t flow_table_record_size(void);

/* Flow ids start at first and step by stride, so that several tables (one per worker) never share an id. */
void flow_table_set_ids(struct flow_table *ft, uint64_t first, uint64_t stride);

/* Builds the canonical key of a packet's addresses and ports; *from_lo is set when the packet's source is the
 * key's lower side. */
void flow_key_make(struct flow_key *key, uint8_t family, const uint8_t *src, const uint8_t *dst, uint16_t sport,
		   uint16_t dport, uint8_t ip_proto, const uint16_t vlan[2], bool *from_lo);

/* Adds a tunnelled packet's tunnel identity to a key flow_key_make built of its inner addresses (nothing for a
 * packet outside tunnels, or in a tunnel without an identity: IP in IP, Teredo, ERSPAN I). */
static inline void flow_key_set_tunnel(struct flow_key *key, const struct packet_tunnel *t)
{
	if (t->depth && t->id_kind != TUNNEL_ID_NONE) {
		key->tunnel_space = t->id_kind;
		key->tunnel_id = t->id;
	}
}

#endif

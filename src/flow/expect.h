/* expect.h: expectations: connections that another connection announced (an endpoint mapper answer, a DCOM
 * string binding, a TFTP request, a PPTP call, a SQL Server Browser answer).
 *
 * An expectation says: a new flow to (dst address, dst port, transport), optionally from a given source address,
 * is the follow-up of flow `parent`, of this kind, for this RPC interface. The table is bounded (fixed capacity,
 * no allocation after creation); entries expire by packet time; when it is full the oldest entry goes (counted as
 * evicted). It is shared by all capture workers (one mutex), since a follow-up may hash to another worker. */
#ifndef CMFLOW_EXPECT_H
#define CMFLOW_EXPECT_H

#include <stdbool.h>
#include <stdint.h>

enum expect_kind { EXPECT_EPM = 1, EXPECT_DCOM, EXPECT_TFTP, EXPECT_PPTP, EXPECT_SQL_BROWSER, EXPECT_SESSION };

struct expectation {
	uint8_t family;          /* 4 or 6 */
	uint8_t proto;           /* 6, 17, 47 */
	uint16_t dport;          /* 0 for GRE */
	uint8_t dst[16];
	bool has_src;
	uint8_t src[16];
	uint8_t kind;            /* enum expect_kind */
	bool has_uuid;
	uint8_t uuid[16];        /* RPC interface, canonical byte order */
	uint64_t parent_flow_id;
	uint64_t announced_us;   /* packet time of the announcement (set by expect_add) */
	uint64_t expires_us;
};

struct expect_stats {
	uint64_t added, matched, expired, evicted, refreshed;
	uint32_t active, capacity;
};

struct expect_table;

/* A table of capacity entries, expiring timeout_s seconds after they were announced. */
struct expect_table *expect_new(uint32_t capacity, uint32_t timeout_s);
void expect_free(struct expect_table *t);

/* Adds (or refreshes) an expectation announced at now_us. */
void expect_add(struct expect_table *t, const struct expectation *e, uint64_t now_us);

/* Finds the expectation a flow that started at now_us meets (its responder address and port, transport,
 * initiator address): one announced at or before now_us and not expired then; copies it into *out. Expired
 * entries found on the way are dropped. With several capture workers the announcement may be handled after the
 * flow's first packet: asking again when the flow ends, with its start time, still finds it. */
bool expect_match(struct expect_table *t, uint8_t family, const uint8_t *dst, uint16_t dport, uint8_t proto,
		  const uint8_t *src, uint64_t now_us, struct expectation *out);

void expect_stats(struct expect_table *t, struct expect_stats *out);

const char *expect_kind_name(uint8_t kind);

#endif

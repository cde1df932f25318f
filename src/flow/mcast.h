/* mcast.h: multicast groups and their receivers, from IGMP (v1-v3) and MLD (v1, v2) membership reports.
 *
 * ConfigMgr's multicast distribution (Table 1 row 43, UDP 63000-64000) has one sender per group and many
 * receivers; the receivers show themselves by joining the group. The table remembers, per group, every address
 * that joined (and whether it left), so that the sender's flow can name its receivers. Bounded: at most
 * MCAST_MAX_GROUPS groups of MCAST_MAX_RECEIVERS receivers each; what does not fit is counted. Shared by the
 * capture workers (a mutex). */
#ifndef CMFLOW_MCAST_H
#define CMFLOW_MCAST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "decode/decode.h"

#define MCAST_MAX_GROUPS 256
#define MCAST_MAX_RECEIVERS 64

struct mcast_members;

struct mcast_members *mcast_members_new(void);
void mcast_members_free(struct mcast_members *m);

/* True for IPv4 224.0.0.0/4 and IPv6 ff00::/8 (family 4 or 6). */
bool mcast_is_group(uint8_t family, const uint8_t *addr);

/* Looks at one decoded packet: IGMP membership reports and leaves, MLD reports and dones. Returns true when the
 * packet was one of them. */
bool mcast_observe(struct mcast_members *m, const struct packet *p);

struct mcast_receiver {
	uint8_t addr[16];
	bool left;        /* a leave / done was seen after the join */
};

/* Receivers seen for group (family 4 or 6): copies up to max of them into out and returns how many are known
 * (which may be more than max). */
size_t mcast_receivers(struct mcast_members *m, uint8_t family, const uint8_t *group, struct mcast_receiver *out,
		       size_t max);

/* Counters: reports seen, groups or receivers that did not fit. */
void mcast_counters(struct mcast_members *m, uint64_t *reports, uint64_t *dropped);

#endif

/* mcast.c: group membership from IGMP (RFC 1112, 2236, 3376) and MLD (RFC 2710, 3810) reports. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "lib/bytes.h"
#include "flow/mcast.h"

struct mcast_group {
	uint8_t family;
	uint8_t addr[16];
	uint32_t nrecv;       /* may exceed MCAST_MAX_RECEIVERS: the count goes on, the list stops */
	struct mcast_receiver recv[MCAST_MAX_RECEIVERS];
};

struct mcast_members {
	pthread_mutex_t lock;
	size_t ngroups;
	struct mcast_group groups[MCAST_MAX_GROUPS];
	uint64_t reports, dropped;
};

struct mcast_members *mcast_members_new(void)
{
	struct mcast_members *m = calloc(1, sizeof *m);
	if (m)
		pthread_mutex_init(&m->lock, NULL);
	return m;
}

void mcast_members_free(struct mcast_members *m)
{
	if (!m)
		return;
	pthread_mutex_destroy(&m->lock);
	free(m);
}

bool mcast_is_group(uint8_t family, const uint8_t *addr)
{
	return family == 4 ? (addr[0] & 0xf0) == 0xe0 : addr[0] == 0xff;
}

static struct mcast_group *group_of(struct mcast_members *m, uint8_t family, const uint8_t *group, bool create)
{
	size_t alen = family == 4 ? 4 : 16;
	for (size_t i = 0; i < m->ngroups; i++)
		if (m->groups[i].family == family && memcmp(m->groups[i].addr, group, alen) == 0)
			return &m->groups[i];
	if (!create)
		return NULL;
	if (m->ngroups == MCAST_MAX_GROUPS) {
		m->dropped++;
		return NULL;
	}
	struct mcast_group *g = &m->groups[m->ngroups++];
	memset(g, 0, sizeof *g);
	g->family = family;
	memcpy(g->addr, group, alen);
	return g;
}

/* Records that receiver joined (join) or left group. Called with the lock held. */
static void membership(struct mcast_members *m, uint8_t family, const uint8_t *group, const uint8_t *receiver,
		       bool join)
{
	static const uint8_t zero[16];
	size_t alen = family == 4 ? 4 : 16;
	if (!mcast_is_group(family, group) || memcmp(receiver, zero, alen) == 0)
		return; /* a report from the unspecified address says nothing about who listens */
	struct mcast_group *g = group_of(m, family, group, join);
	if (!g)
		return;
	size_t known = g->nrecv < MCAST_MAX_RECEIVERS ? g->nrecv : MCAST_MAX_RECEIVERS;
	for (size_t i = 0; i < known; i++)
		if (memcmp(g->recv[i].addr, receiver, alen) == 0) {
			g->recv[i].left = !join;
			return;
		}
	if (!join)
		return;
	if (g->nrecv < MCAST_MAX_RECEIVERS) {
		memset(&g->recv[g->nrecv], 0, sizeof g->recv[0]);
		memcpy(g->recv[g->nrecv].addr, receiver, alen);
	} else {
		m->dropped++;
	}
	g->nrecv++;
}

/* IGMPv3 / MLDv2 group records (RFC 3376 4.2.4, RFC 3810 5.2.4): type, aux length in 32-bit words, number of
 * sources, group, sources, aux data. Joins are the EXCLUDE modes and any record that names sources to listen
 * to; a CHANGE_TO_INCLUDE with no source is a leave. */
static void group_records(struct mcast_members *m, struct cursor c, uint8_t family, const uint8_t *receiver)
{
	size_t alen = family == 4 ? 4 : 16;
	while (cursor_left(&c) > 0) {
		uint8_t type, auxlen, group[16] = { 0 };
		uint16_t nsrc;
		if (!cursor_u8(&c, &type) || !cursor_u8(&c, &auxlen) || !cursor_be16(&c, &nsrc) ||
		    !cursor_copy(&c, group, alen) || !cursor_skip(&c, (size_t)nsrc * alen) ||
		    !cursor_skip(&c, (size_t)auxlen * 4))
			return; /* a record cut short: keep what came before */
		bool join = type == 2 || type == 4 || ((type == 1 || type == 3 || type == 5) && nsrc > 0);
		bool leave = type == 3 && nsrc == 0;
		if (join || leave)
			membership(m, family, group, receiver, join);
	}
}

bool mcast_observe(struct mcast_members *m, const struct packet *p)
{
	if (p->l3 == L3_IPV4 && p->ip_proto == 2) {
		struct cursor c = cursor_make(p->payload, p->payload_len);
		uint8_t type, group[4];
		if (!cursor_u8(&c, &type))
			return false;
		pthread_mutex_lock(&m->lock);
		bool seen = true;
		if ((type == 0x12 || type == 0x16 || type == 0x17) && cursor_skip(&c, 3) && cursor_copy(&c, group, 4))
			membership(m, 4, group, p->src, type != 0x17);
		else if (type == 0x22 && cursor_skip(&c, 7))
			group_records(m, c, 4, p->src);
		else
			seen = false;
		m->reports += seen;
		pthread_mutex_unlock(&m->lock);
		return seen;
	}
	if (p->l3 == L3_IPV6 && p->ip_proto == 58 && p->has_icmp) {
		/* the payload starts after the ICMPv6 header's first 8 bytes */
		struct cursor c = cursor_make(p->payload, p->payload_len);
		uint8_t group[16];
		bool seen = true;
		pthread_mutex_lock(&m->lock);
		if ((p->icmp_type == 131 || p->icmp_type == 132) && cursor_copy(&c, group, 16))
			membership(m, 6, group, p->src, p->icmp_type == 131);
		else if (p->icmp_type == 143)
			group_records(m, c, 6, p->src);
		else
			seen = false;
		m->reports += seen;
		pthread_mutex_unlock(&m->lock);
		return seen;
	}
	return false;
}

size_t mcast_receivers(struct mcast_members *m, uint8_t family, const uint8_t *group, struct mcast_receiver *out,
		       size_t max)
{
	pthread_mutex_lock(&m->lock);
	const struct mcast_group *g = group_of(m, family, group, false);
	size_t n = 0;
	if (g) {
		n = g->nrecv;
		size_t copy = n < MCAST_MAX_RECEIVERS ? n : MCAST_MAX_RECEIVERS;
		if (copy > max)
			copy = max;
		memcpy(out, g->recv, copy * sizeof *out);
	}
	pthread_mutex_unlock(&m->lock);
	return n;
}

void mcast_counters(struct mcast_members *m, uint64_t *reports, uint64_t *dropped)
{
	pthread_mutex_lock(&m->lock);
	*reports = m->reports;
	*dropped = m->dropped;
	pthread_mutex_unlock(&m->lock);
}

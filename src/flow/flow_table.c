/* flow_table.c: bounded flow table with a seeded hash, a record pool and per-class expiry lists. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "flow/flow_table.h"

#define NIL 0u /* list and chain links are index + 1, so that zeroed memory is an empty link */

struct tmo_list {
	uint32_t head, tail; /* oldest first */
	uint64_t timeout_us;
};

struct flow_table {
	struct flow *pool;        /* max_flows records; pages are touched only as the bump index grows */
	uint32_t max_flows;
	uint32_t bump;            /* records [0, bump) have been handed out at least once */
	uint32_t free_head;       /* recycled records, chained through hnext */
	uint32_t *buckets;        /* heads of the hash chains */
	uint64_t bucket_mask;
	struct tmo_list lists[TMO_COUNT];
	struct hash_key key;
	flow_end_fn on_end;
	void *ctx;
	uint64_t next_id, id_stride;
	struct flow_table_stats st;
};

static inline struct flow *at(const struct flow_table *ft, uint32_t link)
{
	return link == NIL ? NULL : &ft->pool[link - 1];
}

static inline uint32_t link_of(const struct flow_table *ft, const struct flow *f)
{
	return (uint32_t)(f - ft->pool) + 1;
}

struct flow_table *flow_table_new(uint32_t max_flows, const uint32_t timeouts_s[TMO_COUNT],
				  const struct hash_key *key, flow_end_fn on_end, void *ctx)
{
	if (max_flows == 0 || max_flows > (1u << 30))
		return NULL;
	struct flow_table *ft = calloc(1, sizeof *ft);
	if (!ft)
		return NULL;
	/* half as many chains as records (two a chain when the table is full): even a few flows touch the head
	 * array all over, so it costs its whole size in memory */
	uint64_t nb = 1;
	while (nb < max_flows / 2)
		nb <<= 1;
	/* calloc of a large block maps zero pages lazily: memory grows with the flows actually seen */
	ft->pool = calloc(max_flows, sizeof *ft->pool);
	ft->buckets = calloc(nb, sizeof *ft->buckets);
	if (!ft->pool || !ft->buckets) {
		flow_table_free(ft);
		return NULL;
	}
	ft->max_flows = max_flows;
	ft->bucket_mask = nb - 1;
	ft->key = *key;
	ft->on_end = on_end;
	ft->ctx = ctx;
	ft->next_id = 1;
	ft->id_stride = 1;
	for (int i = 0; i < TMO_COUNT; i++)
		ft->lists[i].timeout_us = (uint64_t)timeouts_s[i] * 1000000u;
	return ft;
}

void flow_table_free(struct flow_table *ft)
{
	if (!ft)
		return;
	free(ft->pool);
	free(ft->buckets);
	free(ft);
}

uint64_t flow_table_hash(const struct flow_table *ft, const struct flow_key *key)
{
	if (key->family != 4)
		return hash_siphash13(&ft->key, key, sizeof *key);
	/* IPv4: the 12 address bytes that are always zero stay out (three SipHash rounds instead of six), and so
	 * does the tunnel id of a key outside tunnels (tunnel_space, hashed, tells the two apart) */
	uint8_t k[8 + sizeof *key - offsetof(struct flow_key, port_lo)];
	memcpy(k, key->addr_lo, 4);
	memcpy(k + 4, key->addr_hi, 4);
	memcpy(k + 8, &key->port_lo, sizeof *key - offsetof(struct flow_key, port_lo));
	size_t n = key->tunnel_space ? sizeof k : 8 + offsetof(struct flow_key, tunnel_id) - offsetof(struct flow_key, port_lo);
	return hash_siphash13(&ft->key, k, n);
}

void flow_key_make(struct flow_key *key, uint8_t family, const uint8_t *src, const uint8_t *dst, uint16_t sport,
		   uint16_t dport, uint8_t ip_proto, const uint16_t vlan[2], bool *from_lo)
{
	size_t alen = family == 4 ? 4 : 16;
	int c = memcmp(src, dst, alen);
	bool src_lo = c < 0 || (c == 0 && sport <= dport);

	memset(key, 0, sizeof *key);
	memcpy(key->addr_lo, src_lo ? src : dst, alen);
	memcpy(key->addr_hi, src_lo ? dst : src, alen);
	key->port_lo = src_lo ? sport : dport;
	key->port_hi = src_lo ? dport : sport;
	key->vlan[0] = vlan[0];
	key->vlan[1] = vlan[1];
	key->ip_proto = ip_proto;
	key->family = family;
	*from_lo = src_lo;
}

static void list_unlink(struct flow_table *ft, struct flow *f)
{
	struct tmo_list *l = &ft->lists[f->tmo_class];
	struct flow *prev = at(ft, f->lru_prev), *next = at(ft, f->lru_next);
	if (prev)
		prev->lru_next = f->lru_next;
	else
		l->head = f->lru_next;
	if (next)
		next->lru_prev = f->lru_prev;
	else
		l->tail = f->lru_prev;
	f->lru_prev = f->lru_next = NIL;
}

_Static_assert(TMO_COUNT <= 8, "struct flow keeps the timeout class in three bits");

static void list_append(struct flow_table *ft, struct flow *f, enum tmo_class cls)
{
	struct tmo_list *l = &ft->lists[cls];
	uint32_t me = link_of(ft, f);
	f->tmo_class = (uint8_t)cls;
	f->lru_next = NIL;
	f->lru_prev = l->tail;
	if (l->tail)
		at(ft, l->tail)->lru_next = me;
	else
		l->head = me;
	l->tail = me;
}

static void chain_unlink(struct flow_table *ft, struct flow *f)
{
	uint32_t me = link_of(ft, f);
	uint32_t *pp = &ft->buckets[f->bucket];
	while (*pp != NIL && *pp != me)
		pp = &at(ft, *pp)->hnext;
	if (*pp == me)
		*pp = f->hnext;
	f->hnext = NIL;
}

void flow_table_end(struct flow_table *ft, struct flow *f, enum flow_end_reason reason)
{
	f->end_reason = (uint8_t)reason;
	if (reason == FLOW_END_REUSE)
		ft->st.reused++;
	ft->on_end(ft->ctx, f);
	list_unlink(ft, f);
	chain_unlink(ft, f);
	memset(f, 0, sizeof *f);
	f->hnext = ft->free_head;
	ft->free_head = link_of(ft, f);
	ft->st.active--;
}

/* The victim when the table is full: an unanswered flow (a SYN, datagrams nobody answered) if there is one, as
 * conntrack's early drop does, so that a flood of them does not push out real conversations; else any. Among
 * them, the one due first: the earliest (last activity + timeout) among the list heads. */
static struct flow *oldest(struct flow_table *ft)
{
	static const int unanswered[] = { TMO_TCP_NEW, TMO_UDP_NEW };
	struct flow *best = NULL;
	uint64_t best_due = UINT64_MAX;
	for (size_t k = 0; k < sizeof unanswered / sizeof unanswered[0]; k++) {
		int i = unanswered[k];
		struct flow *h = at(ft, ft->lists[i].head);
		if (h && h->ts_last + ft->lists[i].timeout_us < best_due) {
			best = h;
			best_due = h->ts_last + ft->lists[i].timeout_us;
		}
	}
	if (best)
		return best;
	for (int i = 0; i < TMO_COUNT; i++) {
		struct flow *h = at(ft, ft->lists[i].head);
		if (h && h->ts_last + ft->lists[i].timeout_us < best_due) {
			best = h;
			best_due = h->ts_last + ft->lists[i].timeout_us;
		}
	}
	return best;
}

static struct flow *alloc_record(struct flow_table *ft)
{
	if (ft->free_head != NIL) {
		struct flow *f = at(ft, ft->free_head);
		ft->free_head = f->hnext;
		f->hnext = NIL;
		return f;
	}
	if (ft->bump < ft->max_flows)
		return &ft->pool[ft->bump++];
	struct flow *victim = oldest(ft);
	if (!victim)
		return NULL;
	ft->st.evicted++;
	flow_table_end(ft, victim, FLOW_END_FORCED);
	return alloc_record(ft);
}

struct flow *flow_table_get(struct flow_table *ft, const struct flow_key *key, uint64_t hash, uint64_t now_us,
			    bool create, bool *created)
{
	uint64_t b = hash & ft->bucket_mask;
	*created = false;
	for (uint32_t l = ft->buckets[b]; l != NIL;) {
		struct flow *f = at(ft, l);
		if (memcmp(&f->key, key, sizeof *key) == 0)
			return f;
		l = f->hnext;
	}
	if (!create)
		return NULL;
	struct flow *f = alloc_record(ft);
	if (!f)
		return NULL;
	/* eviction may have emptied or changed this bucket's chain: link at the head afresh */
	f->key = *key;
	f->id = ft->next_id;
	ft->next_id += ft->id_stride;
	f->ts_first = f->ts_last = now_us;
	f->hnext = ft->buckets[b];
	f->bucket = (uint32_t)b;
	ft->buckets[b] = link_of(ft, f);
	uint8_t cls = key->ip_proto == 6 ? TMO_TCP_NEW
		    : key->ip_proto == 17 ? TMO_UDP_NEW
		    : (key->ip_proto == 1 || key->ip_proto == 58) ? TMO_ICMP : TMO_OTHER;
	list_append(ft, f, cls);
	ft->st.created++;
	switch (key->ip_proto) {
	case 6: ft->st.tcp++; break;
	case 17: ft->st.udp++; break;
	case 1: ft->st.icmpv4++; break;
	case 58: ft->st.icmpv6++; break;
	default: ft->st.other++; break;
	}
	if (++ft->st.active > ft->st.max_active)
		ft->st.max_active = ft->st.active;
	*created = true;
	return f;
}

void flow_table_touch(struct flow_table *ft, struct flow *f, enum tmo_class cls, uint64_t now_us)
{
	if (now_us > f->ts_last)
		f->ts_last = now_us;
	if (f->tmo_class == cls && ft->lists[cls].tail == link_of(ft, f))
		return;
	list_unlink(ft, f);
	list_append(ft, f, cls);
}

uint32_t flow_table_expire(struct flow_table *ft, uint64_t now_us)
{
	uint32_t n = 0;
	for (int i = 0; i < TMO_COUNT; i++) {
		struct tmo_list *l = &ft->lists[i];
		struct flow *h;
		while ((h = at(ft, l->head)) != NULL && h->ts_last + l->timeout_us < now_us) {
			ft->st.timed_out++;
			flow_table_end(ft, h, FLOW_END_TIMEOUT);
			n++;
		}
	}
	return n;
}

void flow_table_flush(struct flow_table *ft, enum flow_end_reason reason)
{
	struct flow *f;
	while ((f = oldest(ft)) != NULL) {
		ft->st.flushed++;
		flow_table_end(ft, f, reason);
	}
}

void flow_table_foreach(struct flow_table *ft, void (*fn)(void *ctx, struct flow *f), void *ctx)
{
	for (int i = 0; i < TMO_COUNT; i++)
		for (struct flow *f = at(ft, ft->lists[i].head); f; f = at(ft, f->lru_next))
			fn(ctx, f);
}

const struct flow_table_stats *flow_table_stats(const struct flow_table *ft)
{
	return &ft->st;
}

uint32_t flow_table_capacity(const struct flow_table *ft)
{
	return ft->max_flows;
}

size_t flow_table_record_size(void)
{
	return sizeof(struct flow);
}

void flow_table_set_ids(struct flow_table *ft, uint64_t first, uint64_t stride)
{
	ft->next_id = first;
	ft->id_stride = stride ? stride : 1;
}

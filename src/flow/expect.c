/* expect.c: the expectation table: a fixed ring of entries (the oldest is reused first) with hash chains on
 * (responder address, port, transport). */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "flow/expect.h"
#include "lib/hash.h"

#define NIL UINT32_MAX

struct slot {
	struct expectation e;
	uint32_t next;           /* hash chain */
	uint32_t bucket;
	bool used;
};

struct expect_table {
	pthread_mutex_t lock;
	struct slot *slots;
	uint32_t *buckets;
	uint32_t capacity, nbuckets, ring;
	uint64_t timeout_us;
	struct hash_key key;
	struct expect_stats st;
};

struct expect_table *expect_new(uint32_t capacity, uint32_t timeout_s)
{
	struct expect_table *t = calloc(1, sizeof *t);
	if (!t || capacity == 0)
		return free(t), NULL;
	uint32_t nb = 1;
	while (nb < capacity * 2)
		nb <<= 1;
	t->slots = calloc(capacity, sizeof *t->slots);
	t->buckets = malloc(nb * sizeof *t->buckets);
	if (!t->slots || !t->buckets) {
		expect_free(t);
		return NULL;
	}
	for (uint32_t i = 0; i < nb; i++)
		t->buckets[i] = NIL;
	t->capacity = capacity;
	t->nbuckets = nb;
	t->timeout_us = (uint64_t)timeout_s * 1000000u;
	t->st.capacity = capacity;
	hash_key_random(&t->key);
	pthread_mutex_init(&t->lock, NULL);
	return t;
}

void expect_free(struct expect_table *t)
{
	if (!t)
		return;
	if (t->slots)
		pthread_mutex_destroy(&t->lock);
	free(t->slots);
	free(t->buckets);
	free(t);
}

static uint32_t bucket_of(const struct expect_table *t, uint8_t family, const uint8_t *dst, uint16_t dport,
			  uint8_t proto)
{
	uint8_t k[20];
	memcpy(k, dst, 16);
	k[16] = (uint8_t)(dport >> 8);
	k[17] = (uint8_t)dport;
	k[18] = proto;
	k[19] = family;
	return (uint32_t)(hash_siphash13(&t->key, k, sizeof k) & (t->nbuckets - 1));
}

static void unlink_slot(struct expect_table *t, uint32_t i)
{
	uint32_t *p = &t->buckets[t->slots[i].bucket];
	while (*p != NIL && *p != i)
		p = &t->slots[*p].next;
	if (*p == i)
		*p = t->slots[i].next;
	t->slots[i].used = false;
	__atomic_sub_fetch(&t->st.active, 1, __ATOMIC_RELAXED); /* read without the lock by expect_match */
}

static bool same_target(const struct expectation *a, const struct expectation *b)
{
	return a->family == b->family && a->proto == b->proto && a->dport == b->dport && !memcmp(a->dst, b->dst, 16) &&
	       a->has_src == b->has_src && (!a->has_src || !memcmp(a->src, b->src, 16));
}

void expect_add(struct expect_table *t, const struct expectation *e, uint64_t now_us)
{
	pthread_mutex_lock(&t->lock);
	uint32_t b = bucket_of(t, e->family, e->dst, e->dport, e->proto);
	for (uint32_t i = t->buckets[b]; i != NIL; i = t->slots[i].next)
		if (same_target(&t->slots[i].e, e)) { /* announced again: the newest names the parent, the first the time */
			uint64_t first = t->slots[i].e.announced_us;
			t->slots[i].e = *e;
			t->slots[i].e.announced_us = first < now_us ? first : now_us;
			t->slots[i].e.expires_us = now_us + t->timeout_us;
			t->st.refreshed++;
			pthread_mutex_unlock(&t->lock);
			return;
		}
	uint32_t i = t->ring;
	t->ring = (t->ring + 1) % t->capacity;
	if (t->slots[i].used) {
		if (t->slots[i].e.expires_us > now_us)
			t->st.evicted++;
		else
			t->st.expired++;
		unlink_slot(t, i);
	}
	t->slots[i].e = *e;
	t->slots[i].e.announced_us = now_us;
	t->slots[i].e.expires_us = now_us + t->timeout_us;
	t->slots[i].bucket = b;
	t->slots[i].next = t->buckets[b];
	t->slots[i].used = true;
	t->buckets[b] = i;
	t->st.added++;
	__atomic_add_fetch(&t->st.active, 1, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&t->lock);
}

bool expect_match(struct expect_table *t, uint8_t family, const uint8_t *dst, uint16_t dport, uint8_t proto,
		  const uint8_t *src, uint64_t now_us, struct expectation *out)
{
	size_t alen = family == 4 ? 4 : 16;
	bool found = false;
	/* most flows are not announced, and most of the time nothing is: no lock, no hash then */
	if (!__atomic_load_n(&t->st.active, __ATOMIC_RELAXED))
		return false;
	pthread_mutex_lock(&t->lock);
	uint32_t b = bucket_of(t, family, dst, dport, proto);
	for (uint32_t i = t->buckets[b], next; i != NIL && !found; i = next) {
		next = t->slots[i].next;
		const struct expectation *e = &t->slots[i].e;
		if (e->expires_us <= now_us) {
			unlink_slot(t, i);
			t->st.expired++;
			continue;
		}
		if (e->announced_us <= now_us && e->family == family && e->proto == proto && e->dport == dport &&
		    !memcmp(e->dst, dst, alen) &&
		    (!e->has_src || !memcmp(e->src, src, alen))) {
			*out = *e;
			found = true;
			t->st.matched++;
		}
	}
	pthread_mutex_unlock(&t->lock);
	return found;
}

void expect_stats(struct expect_table *t, struct expect_stats *out)
{
	pthread_mutex_lock(&t->lock);
	*out = t->st;
	pthread_mutex_unlock(&t->lock);
}

const char *expect_kind_name(uint8_t kind)
{
	switch (kind) {
	case EXPECT_EPM: return "epm";
	case EXPECT_DCOM: return "dcom";
	case EXPECT_TFTP: return "tftp";
	case EXPECT_PPTP: return "pptp";
	case EXPECT_SQL_BROWSER: return "sql-browser";
	case EXPECT_SESSION: return "session";
	default: return "unknown";
	}
}

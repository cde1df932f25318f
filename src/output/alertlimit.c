/* alertlimit.c: one report per finding, host pair and service per interval (live monitoring). */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "output/alertlimit.h"
#include "lib/hash.h"

struct slot {
	uint8_t key[48];       /* sid, family, src, dst, rule id */
	bool used;
	uint64_t last_us, held;
};

#define LIMITER_WAYS 4

struct alert_limiter {
	pthread_mutex_t lock;
	struct slot *slots;
	uint32_t mask;
	uint64_t interval_us, held_total;
	struct hash_key hk;
};

struct alert_limiter *alert_limiter_new(uint32_t slots, uint64_t interval_us)
{
	struct alert_limiter *l = calloc(1, sizeof *l);
	uint32_t n = 1;
	while (n < slots)
		n <<= 1;
	if (!l || !(l->slots = calloc(n, sizeof *l->slots))) {
		free(l);
		return NULL;
	}
	l->mask = n - 1;
	l->interval_us = interval_us;
	hash_key_random(&l->hk);
	pthread_mutex_init(&l->lock, NULL);
	return l;
}

void alert_limiter_free(struct alert_limiter *l)
{
	if (!l)
		return;
	pthread_mutex_destroy(&l->lock);
	free(l->slots);
	free(l);
}

bool alert_limiter_pass(struct alert_limiter *l, uint32_t sid, uint8_t family, const uint8_t *src,
			const uint8_t *dst, const char *rule, uint64_t now_us, uint64_t *held_back)
{
	uint8_t key[48] = { 0 };
	memcpy(key, &sid, 4);
	key[4] = family;
	memcpy(key + 5, src, 16);
	memcpy(key + 21, dst, 16);
	strncpy((char *)key + 37, rule ? rule : "-", 10);
	pthread_mutex_lock(&l->lock);
	/* a few slots per hash: the key's own, else a free one, else the one reported longest ago is reused */
	uint32_t h = (uint32_t)hash_siphash13(&l->hk, key, sizeof key);
	struct slot *s = NULL, *victim = NULL;
	for (uint32_t k = 0; k < LIMITER_WAYS && !s; k++) {
		struct slot *c = &l->slots[(h + k) & l->mask];
		if (c->used && memcmp(c->key, key, sizeof key) == 0)
			s = c;
		else if (!victim || (victim->used && (!c->used || c->last_us < victim->last_us)))
			victim = c;
	}
	bool pass;
	*held_back = 0;
	if (!s) {
		/* a new pair: report (the table only ever suppresses exact repeats) */
		s = victim;
		memcpy(s->key, key, sizeof key);
		s->used = true;
		s->last_us = now_us;
		s->held = 0;
		pass = true;
	} else if (now_us >= s->last_us + l->interval_us) {
		*held_back = s->held;
		s->held = 0;
		s->last_us = now_us;
		pass = true;
	} else {
		s->held++;
		l->held_total++;
		pass = false;
	}
	pthread_mutex_unlock(&l->lock);
	return pass;
}

uint64_t alert_limiter_held(struct alert_limiter *l)
{
	pthread_mutex_lock(&l->lock);
	uint64_t n = l->held_total;
	pthread_mutex_unlock(&l->lock);
	return n;
}

/* intern.c: an open-addressed table over one arena of fixed-size slots. */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/hash.h"
#include "lib/intern.h"

#define SLOT_SIZE (INTERN_LEN_MAX + 1)

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static char *arena;            /* INTERN_SLOTS slots of SLOT_SIZE bytes; slot i is empty when arena[i * SLOT_SIZE]
				* is NUL (the empty string is never interned) */
static size_t used;
static struct hash_key key;

const char *intern(const char *s, size_t n)
{
	if (n == 0 || n > INTERN_LEN_MAX || memchr(s, '\0', n))
		return NULL;
	const char *found = NULL;
	pthread_mutex_lock(&lock);
	if (!arena) {
		char *a = calloc(INTERN_SLOTS, SLOT_SIZE);
		if (a)
			hash_key_random(&key);
		__atomic_store_n(&arena, a, __ATOMIC_RELEASE);
	}
	/* at most three quarters full: probe sequences stay short, and a lookup always meets an empty slot */
	for (size_t i = arena ? hash_siphash13(&key, s, n) % INTERN_SLOTS : 0, probes = 0; arena && probes < INTERN_SLOTS;
	     i = (i + 1) % INTERN_SLOTS, probes++) {
		char *slot = arena + i * SLOT_SIZE;
		if (!slot[0]) {
			if (used >= INTERN_SLOTS / 4 * 3)
				break;
			memcpy(slot, s, n);
			slot[n] = '\0';
			used++;
			found = slot;
			break;
		}
		if (strncmp(slot, s, n) == 0 && slot[n] == '\0') {
			found = slot;
			break;
		}
	}
	pthread_mutex_unlock(&lock);
	return found;
}

bool intern_owns(const char *p)
{
	/* the arena is set once and only freed at exit: no lock needed to compare an address with it */
	const char *a = __atomic_load_n(&arena, __ATOMIC_ACQUIRE);
	return a && p >= a && p < a + (size_t)INTERN_SLOTS * SLOT_SIZE;
}

size_t intern_count(void)
{
	pthread_mutex_lock(&lock);
	size_t n = used;
	pthread_mutex_unlock(&lock);
	return n;
}

void intern_free_all(void)
{
	pthread_mutex_lock(&lock);
	free(arena);
	__atomic_store_n(&arena, NULL, __ATOMIC_RELEASE);
	used = 0;
	pthread_mutex_unlock(&lock);
}

/* strtable.h: a string-keyed table of fixed-size records, in insertion order, with open addressing on an FNV-1a
 * hash (keys are cmflow's own text: addresses, role names, ids; the inputs are EVE files or the run's own
 * records, so the table grows as they do). For the aggregates of the summary and the report. */
#ifndef CMFLOW_STRTABLE_H
#define CMFLOW_STRTABLE_H

#include <stddef.h>
#include <stdint.h>

/* Invariant: keys[i] and vals[i] for i < n are owned by the table; slots hold record index + 1 (0 = empty) and
 * are at most half full. */
struct strtable {
	char **keys;
	void **vals;
	size_t n, cap;
	uint32_t *slots;
	size_t nslots;
	size_t size;           /* bytes of one record: set before the first strtable_get */
};

/* An empty table of records of `size` bytes. */
static inline struct strtable strtable_make(size_t size)
{
	struct strtable t = { 0 };
	t.size = size;
	return t;
}

/* The record for key, or NULL. */
void *strtable_find(const struct strtable *t, const char *key);

/* The record for key, created zeroed when new; NULL when memory is short (the table is unchanged). */
void *strtable_get(struct strtable *t, const char *key);

/* Record indices in key order (deterministic output whatever the order of the inputs); the caller frees the
 * array. NULL when memory is short. */
size_t *strtable_sorted(const struct strtable *t);

void strtable_free(struct strtable *t);

#endif

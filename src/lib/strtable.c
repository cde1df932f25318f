/* strtable.c: a string-keyed table of records (strtable.h). */
#define _GNU_SOURCE /* qsort_r */
#include <stdlib.h>
#include <string.h>

#include "lib/strtable.h"

static uint64_t fnv(const char *s)
{
	uint64_t h = 1469598103934665603ull;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

void *strtable_find(const struct strtable *t, const char *key)
{
	for (size_t i = t->nslots ? fnv(key) & (t->nslots - 1) : 0; t->nslots; i = (i + 1) & (t->nslots - 1)) {
		uint32_t s = t->slots[i];
		if (!s)
			break;
		if (strcmp(t->keys[s - 1], key) == 0)
			return t->vals[s - 1];
	}
	return NULL;
}

void *strtable_get(struct strtable *t, const char *key)
{
	void *found = strtable_find(t, key);
	if (found)
		return found;
	if (2 * (t->n + 1) > t->nslots) { /* grow and rehash */
		size_t ns = t->nslots ? 2 * t->nslots : 64;
		uint32_t *slots = calloc(ns, sizeof *slots);
		if (!slots)
			return NULL;
		for (size_t r = 0; r < t->n; r++) {
			size_t i = fnv(t->keys[r]) & (ns - 1);
			while (slots[i])
				i = (i + 1) & (ns - 1);
			slots[i] = (uint32_t)(r + 1);
		}
		free(t->slots);
		t->slots = slots;
		t->nslots = ns;
	}
	if (t->n == t->cap) {
		size_t nc = t->cap ? 2 * t->cap : 64;
		char **k = realloc(t->keys, nc * sizeof *k);
		if (k)
			t->keys = k;
		void **v = realloc(t->vals, nc * sizeof *v);
		if (v)
			t->vals = v;
		if (!k || !v)
			return NULL;
		t->cap = nc;
	}
	char *k = strdup(key);
	void *v = calloc(1, t->size);
	if (!k || !v) {
		free(k);
		free(v);
		return NULL;
	}
	size_t i = fnv(key) & (t->nslots - 1);
	while (t->slots[i])
		i = (i + 1) & (t->nslots - 1);
	t->slots[i] = (uint32_t)(t->n + 1);
	t->keys[t->n] = k;
	t->vals[t->n] = v;
	t->n++;
	return v;
}

void strtable_free(struct strtable *t)
{
	for (size_t i = 0; i < t->n; i++) {
		free(t->keys[i]);
		free(t->vals[i]);
	}
	free(t->keys);
	free(t->vals);
	free(t->slots);
}

static int by_key(const void *a, const void *b, void *keys)
{
	char **k = keys;
	return strcmp(k[*(const size_t *)a], k[*(const size_t *)b]);
}

size_t *strtable_sorted(const struct strtable *t)
{
	size_t *ix = malloc((t->n ? t->n : 1) * sizeof *ix);
	if (!ix)
		return NULL;
	for (size_t i = 0; i < t->n; i++)
		ix[i] = i;
	qsort_r(ix, t->n, sizeof *ix, by_key, t->keys);
	return ix;
}

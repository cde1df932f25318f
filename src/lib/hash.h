/* hash.h: SipHash-1-3, a keyed hash, so that crafted traffic cannot aim at one bucket of the flow table.
 * Reference: Aumasson and Bernstein, "SipHash: a fast short-input PRF" (2012). */
#ifndef CMFLOW_HASH_H
#define CMFLOW_HASH_H

#include <stddef.h>
#include <stdint.h>

struct hash_key {
	uint64_t k0, k1;
};

/* 64-bit keyed hash of len bytes. */
uint64_t hash_siphash13(const struct hash_key *key, const void *data, size_t len);

/* Fills *key from the kernel's random source (getrandom); falls back to time and address bits if that fails,
 * which keeps the table working but weakens the protection (a warning is printed). */
void hash_key_random(struct hash_key *key);

#endif

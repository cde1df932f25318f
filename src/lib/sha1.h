/* sha1.h: SHA-1 message digest, for Community ID v1 (which fixes SHA-1 as its hash).
 * Reference: FIPS 180-4, "Secure Hash Standard", sections 5.1.1 (padding), 6.1 (SHA-1 computation).
 * SHA-1 is not collision resistant; cmflow uses it only where a specification requires it, never to protect. */
#ifndef CMFLOW_SHA1_H
#define CMFLOW_SHA1_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SHA1_DIGEST_LEN 20
#define SHA1_BLOCK_LEN 64

/* Invariants: used < SHA1_BLOCK_LEN between calls (a full block is compressed at once); total counts every byte
 * given so far (the message may be at most 2^61 - 1 bytes, as the standard's 64-bit bit length allows). */
struct sha1_ctx {
	uint32_t h[5];
	uint64_t total;
	uint8_t block[SHA1_BLOCK_LEN];
	size_t used;
};

/* Starts a digest with the standard's initial hash value. Cannot fail. */
void sha1_init(struct sha1_ctx *c);

/* Adds len bytes of data (data may be NULL when len is 0). Cannot fail. */
void sha1_update(struct sha1_ctx *c, const void *data, size_t len);

/* Pads the message, writes the 20-byte digest and wipes the context (start again with sha1_init). */
void sha1_final(struct sha1_ctx *c, uint8_t digest[SHA1_DIGEST_LEN]);

/* Tests: on = true uses the processor's SHA extensions if it has them (the default, chosen at start), false the
 * portable code; returns whether the extensions are now in use. Not to be called while digests are made. */
bool sha1_use_hardware(bool on);
/* The digest of one buffer. */
void sha1_digest(const void *data, size_t len, uint8_t digest[SHA1_DIGEST_LEN]);

#endif

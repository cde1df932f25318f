/* bytes.h: bounds-checked reads of packet bytes.
 *
 * Every read of packet data in cmflow goes through these helpers (in the spirit of tcpdump's GET_ macros):
 * a reader either fills its output and returns true, or returns false and leaves the output untouched.
 * Network order is big-endian (be); DCE/RPC NDR and SMB are mostly little-endian (le). Nothing here assumes
 * alignment. */
#ifndef CMFLOW_BYTES_H
#define CMFLOW_BYTES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* A window [p, end) over bytes that must not be read past. Invariant: p <= end. */
struct cursor {
	const uint8_t *p;
	const uint8_t *end;
};

static inline struct cursor cursor_make(const uint8_t *buf, size_t len)
{
	struct cursor c = { buf, buf + len };
	return c;
}

static inline size_t cursor_left(const struct cursor *c)
{
	return (size_t)(c->end - c->p);
}

static inline bool cursor_skip(struct cursor *c, size_t n)
{
	if (cursor_left(c) < n)
		return false;
	c->p += n;
	return true;
}

/* Takes the next n bytes as a cursor of their own (for a length-prefixed field). */
static inline bool cursor_take(struct cursor *c, size_t n, struct cursor *sub)
{
	if (cursor_left(c) < n)
		return false;
	sub->p = c->p;
	sub->end = c->p + n;
	c->p += n;
	return true;
}

static inline bool cursor_copy(struct cursor *c, void *out, size_t n)
{
	if (cursor_left(c) < n)
		return false;
	memcpy(out, c->p, n);
	c->p += n;
	return true;
}

static inline bool cursor_u8(struct cursor *c, uint8_t *v)
{
	if (c->p >= c->end)
		return false;
	*v = *c->p++;
	return true;
}

static inline bool cursor_be16(struct cursor *c, uint16_t *v)
{
	if (cursor_left(c) < 2)
		return false;
	*v = (uint16_t)(c->p[0] << 8 | c->p[1]);
	c->p += 2;
	return true;
}

static inline bool cursor_le16(struct cursor *c, uint16_t *v)
{
	if (cursor_left(c) < 2)
		return false;
	*v = (uint16_t)(c->p[1] << 8 | c->p[0]);
	c->p += 2;
	return true;
}

static inline bool cursor_be32(struct cursor *c, uint32_t *v)
{
	if (cursor_left(c) < 4)
		return false;
	*v = (uint32_t)c->p[0] << 24 | (uint32_t)c->p[1] << 16 | (uint32_t)c->p[2] << 8 | c->p[3];
	c->p += 4;
	return true;
}

static inline bool cursor_le32(struct cursor *c, uint32_t *v)
{
	if (cursor_left(c) < 4)
		return false;
	*v = (uint32_t)c->p[3] << 24 | (uint32_t)c->p[2] << 16 | (uint32_t)c->p[1] << 8 | c->p[0];
	c->p += 4;
	return true;
}

/* Reads at a fixed offset of a buffer of known length, without moving anything. */
static inline bool bytes_u8(const uint8_t *buf, size_t len, size_t off, uint8_t *v)
{
	if (off >= len)
		return false;
	*v = buf[off];
	return true;
}

static inline bool bytes_be16(const uint8_t *buf, size_t len, size_t off, uint16_t *v)
{
	if (len < 2 || off > len - 2)
		return false;
	*v = (uint16_t)(buf[off] << 8 | buf[off + 1]);
	return true;
}

static inline bool bytes_le16(const uint8_t *buf, size_t len, size_t off, uint16_t *v)
{
	if (len < 2 || off > len - 2)
		return false;
	*v = (uint16_t)(buf[off + 1] << 8 | buf[off]);
	return true;
}

static inline bool bytes_be32(const uint8_t *buf, size_t len, size_t off, uint32_t *v)
{
	if (len < 4 || off > len - 4)
		return false;
	*v = (uint32_t)buf[off] << 24 | (uint32_t)buf[off + 1] << 16 | (uint32_t)buf[off + 2] << 8 | buf[off + 3];
	return true;
}

static inline bool bytes_le32(const uint8_t *buf, size_t len, size_t off, uint32_t *v)
{
	if (len < 4 || off > len - 4)
		return false;
	*v = (uint32_t)buf[off + 3] << 24 | (uint32_t)buf[off + 2] << 16 | (uint32_t)buf[off + 1] << 8 | buf[off];
	return true;
}

#endif

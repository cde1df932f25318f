/* intern.h: one shared copy of the short strings that repeat from flow to flow (a management point's host name,
 * the clients' User-Agent, CCM_POST, a distribution point's server name ...).
 *
 * A bounded table (INTERN_SLOTS strings of at most INTERN_LEN_MAX bytes, one arena allocated at the first use),
 * keyed by SipHash so that crafted names cannot pile up in one chain; when it is full, or a string is longer,
 * the caller keeps its own copy. Interned strings are never freed before intern_free_all(): check with
 * intern_owns() before freeing a string. Thread-safe (a mutex: strings are interned once per flow, not per
 * packet). */
#ifndef CMFLOW_INTERN_H
#define CMFLOW_INTERN_H

#include <stdbool.h>
#include <stddef.h>

#define INTERN_SLOTS 4096
#define INTERN_LEN_MAX 63

/* The shared copy of s[0..n) (NUL-terminated), or NULL when it cannot be interned. */
const char *intern(const char *s, size_t n);

/* True when p is a string intern() returned (the caller must not free it). */
bool intern_owns(const char *p);

/* Strings held now. */
size_t intern_count(void);

/* Frees the table (at exit; no interned string may be used afterwards). */
void intern_free_all(void);

#endif

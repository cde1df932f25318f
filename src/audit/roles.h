/* roles.h: the ConfigMgr role vocabulary, loaded from the rules files' `role` lines (signatures/): one vocabulary
 * for both knowledge sets (configmgr2007.rules declares the 2007 roles, configmgr-cb.rules adds the current
 * branch's), with the relations between roles (a primary site server is a site server) and the roles a rule may
 * see on any host (the administration service's "any device") or on an internet address (Microsoft's and Azure's
 * services). A set of roles is a bit mask: 64 roles at most (both sets use 53). */
#ifndef CMFLOW_ROLES_H
#define CMFLOW_ROLES_H

#include <stddef.h>
#include <stdint.h>

typedef uint64_t role_set;

#define ROLES_MAX 64
#define ROLE_NAME_MAX 40
#define ROLE_TITLE_MAX 64
#define ROLE_BIT(i) ((role_set)1 << (i))

/* Invariant: implies[i] holds bit i; len[i] is name[i]'s length; every_host and on_internet are roles of the
 * vocabulary (bits below n). */
struct roles {
	unsigned n;
	char name[ROLES_MAX][ROLE_NAME_MAX];
	uint8_t len[ROLES_MAX];        /* strlen(name[i]): lookups compare lengths first */
	char title[ROLES_MAX][ROLE_TITLE_MAX];
	role_set implies[ROLES_MAX];   /* the role itself and every role it is (transitively) */
	role_set internet, client;     /* the two roles the code asks for by name (an address outside every host line;
					* the initiator the census counts), 0 when the vocabulary has none */
	role_set every_host;           /* roles a rule may see on any host (role ... on=any) */
	role_set on_internet;          /* roles a rule may see on a host with the `internet` role (on=internet) */
};

/* Index of a role by name (len bytes), or -1. */
int roles_find(const struct roles *r, const char *name, size_t len);

/* Adds a role that is also parent (-1 for none); returns its index or -1 when full or too long. */
int roles_add(struct roles *r, const char *name, const char *title, int parent);

/* The set with every implied role added. */
role_set roles_closure(const struct roles *r, role_set s);

/* Parses "a,b,c" into a set; returns 0 and points *bad at the unknown name when one is not a role. */
role_set roles_parse_list(const struct roles *r, const char *list, const char **bad, size_t *badlen);

/* Writes the names of s as "a,b" (or "" for none) into buf; returns buf. */
const char *roles_format(const struct roles *r, role_set s, char *buf, size_t len);

/* The roles a rule may see on a host that has s: s, and the roles every host or (when s holds `internet`,
 * inet_bit) an internet address may have. The flow's own roles stay s; only the matcher uses these. */
role_set roles_for_matching(const struct roles *r, role_set s, role_set inet_bit);

/* The most specific role of s (one that no other role of s implies), for titles; -1 for the empty set. */
int roles_primary(const struct roles *r, role_set s);

#endif

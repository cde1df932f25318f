/* roles.c: the role vocabulary. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "audit/roles.h"

int roles_find(const struct roles *r, const char *name, size_t len)
{
	for (unsigned i = 0; i < r->n; i++)
		if (r->len[i] == len && memcmp(r->name[i], name, len) == 0)
			return (int)i;
	return -1;
}

int roles_add(struct roles *r, const char *name, const char *title, int parent)
{
	if (r->n == ROLES_MAX || strlen(name) >= ROLE_NAME_MAX || strlen(title) >= ROLE_TITLE_MAX)
		return -1;
	unsigned i = r->n++;
	snprintf(r->name[i], sizeof r->name[i], "%s", name);
	r->len[i] = (uint8_t)strlen(name);
	snprintf(r->title[i], sizeof r->title[i], "%s", title);
	r->implies[i] = ROLE_BIT(i) | (parent >= 0 ? r->implies[parent] : 0);
	if (strcmp(name, "internet") == 0)
		r->internet = ROLE_BIT(i);
	else if (strcmp(name, "client") == 0)
		r->client = ROLE_BIT(i);
	return (int)i;
}

/* The bits of a role set one by one, lowest (first declared) first: a flow's few roles, not the vocabulary. */
#define EACH_ROLE(i, s) for (role_set each_ = (s); each_ && ((i) = (unsigned)__builtin_ctzll(each_), 1); each_ &= each_ - 1)

role_set roles_closure(const struct roles *r, role_set s)
{
	role_set out = s;
	unsigned i;
	EACH_ROLE(i, s & (r->n < 64 ? ROLE_BIT(r->n) - 1 : ~(role_set)0))
		out |= r->implies[i];
	return out;
}

role_set roles_for_matching(const struct roles *r, role_set s, role_set inet_bit)
{
	return s | r->every_host | ((s & inet_bit) ? r->on_internet : 0);
}

role_set roles_parse_list(const struct roles *r, const char *list, const char **bad, size_t *badlen)
{
	role_set s = 0;
	const char *p = list;
	while (*p) {
		const char *end = strchr(p, ',');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		int i = roles_find(r, p, n);
		if (i < 0) {
			*bad = p;
			*badlen = n;
			return 0;
		}
		s |= ROLE_BIT(i);
		p += n + (end ? 1 : 0);
	}
	return s;
}

const char *roles_format(const struct roles *r, role_set s, char *buf, size_t len)
{
	size_t at = 0;
	buf[0] = '\0';
	for (unsigned i = 0; i < r->n; i++) {
		if (!(s & ROLE_BIT(i)))
			continue;
		int w = snprintf(buf + at, len - at, "%s%s", at ? "," : "", r->name[i]);
		if (w < 0 || (size_t)w >= len - at)
			break;
		at += (size_t)w;
	}
	return buf;
}

int roles_primary(const struct roles *r, role_set s)
{
	unsigned i;
	s &= r->n < 64 ? ROLE_BIT(r->n) - 1 : ~(role_set)0;
	EACH_ROLE(i, s) {
		bool implied_by_other = false;
		for (role_set others = s & ~ROLE_BIT(i); others && !implied_by_other; others &= others - 1)
			implied_by_other = (r->implies[__builtin_ctzll(others)] & ROLE_BIT(i)) != 0;
		if (!implied_by_other)
			return (int)i;
	}
	return -1;
}

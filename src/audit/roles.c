/* roles.c: the role vocabulary. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "audit/roles.h"

int roles_find(const struct roles *r, const char *name, size_t len)
{
	for (unsigned i = 0; i < r->n; i++)
		if (strlen(r->name[i]) == len && memcmp(r->name[i], name, len) == 0)
			return (int)i;
	return -1;
}

int roles_add(struct roles *r, const char *name, const char *title, int parent)
{
	if (r->n == ROLES_MAX || strlen(name) >= ROLE_NAME_MAX || strlen(title) >= ROLE_TITLE_MAX)
		return -1;
	unsigned i = r->n++;
	snprintf(r->name[i], sizeof r->name[i], "%s", name);
	snprintf(r->title[i], sizeof r->title[i], "%s", title);
	r->implies[i] = ROLE_BIT(i) | (parent >= 0 ? r->implies[parent] : 0);
	return (int)i;
}

role_set roles_closure(const struct roles *r, role_set s)
{
	role_set out = s;
	for (unsigned i = 0; i < r->n; i++)
		if (s & ROLE_BIT(i))
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
	for (unsigned i = 0; i < r->n; i++) {
		if (!(s & ROLE_BIT(i)))
			continue;
		bool implied_by_other = false;
		for (unsigned k = 0; k < r->n && !implied_by_other; k++)
			implied_by_other = k != i && (s & ROLE_BIT(k)) && (r->implies[k] & ROLE_BIT(i));
		if (!implied_by_other)
			return (int)i;
	}
	return -1;
}

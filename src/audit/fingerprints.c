/* fingerprints.c: loads signatures/fingerprints.txt (fingerprints.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/fingerprints.h"
#include "lib/lineparse.h"

static const char *const kind_names[] = { "url", "method", "user-agent", "port", "app", "multicast", "wol",
					  "smb-share", "rpc", "followup" };

static bool split_values(struct fingerprint *f, const char *list)
{
	for (const char *p = list; *p;) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		if (f->nvalues == FP_MAX_VALUES || len == 0 || len >= FP_VALUE_MAX)
			return false;
		memcpy(f->values[f->nvalues], p, len);
		f->values[f->nvalues++][len] = '\0';
		p += len + (end ? 1 : 0);
	}
	return f->nvalues > 0;
}

static bool parse_fingerprint(struct line_parse *ps, struct fingerprints *fps, const struct roles *roles, char **w,
			      int n)
{
	if (n < 5 || n > 6 || strcmp(w[0], "infer") != 0)
		return line_fail(ps, w[0], "a line is: infer ROLE server|client KIND VALUE [group=NAME], not");
	if (fps->n == FP_MAX)
		return line_fail(ps, w[1], "too many fingerprints at");
	struct fingerprint *f = &fps->fp[fps->n];
	memset(f, 0, sizeof *f);
	f->group = -1;
	f->role = roles_find(roles, w[1], strlen(w[1]));
	if (f->role < 0)
		return line_fail(ps, w[1], "unknown role");
	if (strcmp(w[2], "server") && strcmp(w[2], "client"))
		return line_fail(ps, w[2], "the side is server or client, not");
	f->server = w[2][0] == 's';
	unsigned k;
	for (k = 0; k < sizeof kind_names / sizeof kind_names[0]; k++)
		if (strcmp(w[3], kind_names[k]) == 0)
			break;
	if (k == sizeof kind_names / sizeof kind_names[0])
		return line_fail(ps, w[3], "unknown fingerprint kind");
	f->kind = (uint8_t)k;
	if (k == FP_PORT || k == FP_MULTICAST) {
		if (!rules_parse_ports(w[4], f->ports, 16, &f->nports, ps->path, ps->line, ps->err, ps->errlen))
			return false;
	} else if (k == FP_WOL) {
		if (strcmp(w[4], "-"))
			return line_fail(ps, w[4], "wol takes no value: '-', not");
	} else if (!split_values(f, w[4])) {
		return line_fail(ps, w[4], "too many, empty or too long values in");
	}
	if (n == 6) {
		const char *g = word_value(w[5], "group");
		if (!g || !*g || strlen(g) >= sizeof fps->group_name[0])
			return line_fail(ps, w[5], "unknown option");
		unsigned i;
		for (i = 0; i < fps->ngroups; i++)
			if (strcmp(fps->group_name[i], g) == 0)
				break;
		if (i == fps->ngroups) {
			if (fps->ngroups == FP_MAX_GROUPS)
				return line_fail(ps, g, "too many groups at");
			snprintf(fps->group_name[fps->ngroups++], sizeof fps->group_name[0], "%s", g);
		}
		f->group = (int)i;
		fps->group_mask[i] |= (uint64_t)1 << fps->n;
	}
	fps->roles |= ROLE_BIT(f->role);
	fps->by_kind[f->kind] |= (uint64_t)1 << fps->n;
	fps->n++;
	return true;
}

struct fingerprints_parse {
	struct fingerprints *fps;
	const struct roles *roles;
};

static bool fingerprint_line(void *ctx, struct line_parse *ps, char **w, int n)
{
	struct fingerprints_parse *fp = ctx;
	return parse_fingerprint(ps, fp->fps, fp->roles, w, n);
}

static const struct line_keyword fingerprint_keywords[] = {
	{ "infer", 5, 6, fingerprint_line },
};

struct fingerprints *fingerprints_load(const char *path, const struct roles *roles, char *err, size_t errlen)
{
	struct fingerprints *fps = calloc(1, sizeof *fps);
	if (!fps) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	struct fingerprints_parse fp = { fps, roles };
	if (!line_file_read(path, fingerprint_keywords, 1, &fp, err, errlen)) {
		free(fps);
		return NULL;
	}
	return fps;
}

void fingerprints_free(struct fingerprints *fp)
{
	free(fp);
}

role_set fingerprints_roles(const struct fingerprints *fp)
{
	return fp ? fp->roles : 0;
}

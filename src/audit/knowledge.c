/* knowledge.c: loads the signatures directory. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <stdbool.h>
#include <unistd.h>

#include "proto/dcerpc.h"
#include "proto/http.h"
#include "lib/lineparse.h"
#include "audit/detect.h"
#include "audit/fingerprints.h"
#include "audit/knowledge.h"
#include "audit/rules.h"
#include "audit/site.h"
#include "audit/policy.h"

#ifndef CMFLOW_SIGDIR
#define CMFLOW_SIGDIR "/usr/local/share/cmflow/signatures"
#endif
static bool has_signatures(const char *dir)
{
	char p[PATH_MAX + 32];
	snprintf(p, sizeof p, "%s/configmgr2007.rules", dir);
	return access(p, R_OK) == 0;
}

const char *knowledge_default_dir(void)
{
	static char found[PATH_MAX];
	const char *env = getenv("CMFLOW_SIGDIR");
	if (env && *env)
		return env;
	if (has_signatures(CMFLOW_SIGDIR))
		return CMFLOW_SIGDIR;
	/* not installed: the source tree's, beside the build directory of the program (build/src/cmflow), so that no
	 * build path is compiled in */
	char exe[PATH_MAX - 32];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n > 0) {
		exe[n] = '\0';
		char *slash = strrchr(exe, '/');
		if (slash)
			*slash = '\0';
		static const char *const up[] = { "/../signatures", "/../../signatures", "/../../../signatures" };
		for (size_t i = 0; i < sizeof up / sizeof up[0]; i++) {
			snprintf(found, sizeof found, "%s%s", exe, up[i]);
			if (has_signatures(found))
				return found;
		}
	}
	return CMFLOW_SIGDIR; /* the error names where they were looked for */
}

static char *path_in(const char *dir, const char *file)
{
	size_t n = strlen(dir) + strlen(file) + 2;
	char *p = malloc(n);
	if (p)
		snprintf(p, n, "%s/%s", dir, file);
	return p;
}

static bool rpc_name_line(void *ctx, struct line_parse *ps, char **w, int n)
{
	struct knowledge *k = ctx;
	(void)n;
	if (k->nrpc_names == RPC_NAMES_MAX)
		return line_fail(ps, w[0], "more than %d interfaces at", RPC_NAMES_MAX);
	struct rpc_name *r = &k->rpc_names[k->nrpc_names];
	if (!uuid_parse(w[0], r->uuid))
		return line_fail(ps, w[0], "not a UUID:");
	if (strlen(w[1]) >= sizeof r->name)
		return line_fail(ps, w[1], "an interface name longer than %zu bytes:", sizeof r->name - 1);
	snprintf(r->name, sizeof r->name, "%s", w[1]);
	k->nrpc_names++;
	return true;
}

/* opnum INTERFACE N NAME: INTERFACE a UUID or the name of an interface listed before */
static bool rpc_opnum_line(void *ctx, struct line_parse *ps, char **w, int n)
{
	struct knowledge *k = ctx;
	(void)n;
	if (k->nrpc_opnums == RPC_OPNUMS_MAX)
		return line_fail(ps, w[0], "more than %d opnums at", RPC_OPNUMS_MAX);
	struct rpc_opnum *o = &k->rpc_opnums[k->nrpc_opnums];
	if (!uuid_parse(w[1], o->uuid) && !knowledge_rpc_uuid(k, w[1], o->uuid))
		return line_fail(ps, w[1], "not a UUID nor an interface listed before:");
	char *end;
	unsigned long v = strtoul(w[2], &end, 10);
	if (!*w[2] || *end || v > 65535)
		return line_fail(ps, w[2], "an opnum is 0..65535, not");
	o->opnum = (uint16_t)v;
	if (strlen(w[3]) >= sizeof o->name)
		return line_fail(ps, w[3], "an opnum name longer than %zu bytes:", sizeof o->name - 1);
	for (unsigned i = 0; i < k->nrpc_opnums; i++)
		if (!memcmp(k->rpc_opnums[i].uuid, o->uuid, 16) && k->rpc_opnums[i].opnum == o->opnum)
			return line_fail(ps, w[2], "opnum named twice:");
	snprintf(o->name, sizeof o->name, "%s", w[3]);
	k->nrpc_opnums++;
	return true;
}

/* signatures/rpc-interfaces.txt: UUID NAME, and opnum INTERFACE N NAME */
static const struct line_keyword rpc_name_keywords[] = {
	{ "opnum", 4, 4, rpc_opnum_line },
	{ NULL, 2, 2, rpc_name_line },
};

static int opnum_order(const void *a, const void *b)
{
	const struct rpc_opnum *x = a, *y = b;
	int c = memcmp(x->uuid, y->uuid, 16);
	return c ? c : (int)x->opnum - (int)y->opnum;
}

static bool load_rpc_names(struct knowledge *k, const char *path, char *err, size_t errlen)
{
	k->rpc_names = calloc(RPC_NAMES_MAX, sizeof *k->rpc_names);
	k->rpc_opnums = calloc(RPC_OPNUMS_MAX, sizeof *k->rpc_opnums);
	if (!k->rpc_names || !k->rpc_opnums) {
		snprintf(err, errlen, "out of memory");
		return false;
	}
	if (!line_file_read(path, rpc_name_keywords, 2, k, err, errlen))
		return false;
	qsort(k->rpc_opnums, k->nrpc_opnums, sizeof *k->rpc_opnums, opnum_order);
	return true;
}

bool knowledge_rpc_uuid(const struct knowledge *k, const char *name, uint8_t out[16])
{
	for (unsigned i = 0; k && i < k->nrpc_names; i++)
		if (!strcmp(k->rpc_names[i].name, name)) {
			memcpy(out, k->rpc_names[i].uuid, 16);
			return true;
		}
	return false;
}

const char *knowledge_rpc_opnum_name(const struct knowledge *k, const uint8_t uuid[16], unsigned opnum)
{
	if (!k || opnum > 65535)
		return NULL;
	struct rpc_opnum key;
	memcpy(key.uuid, uuid, 16);
	key.opnum = (uint16_t)opnum;
	const struct rpc_opnum *o = bsearch(&key, k->rpc_opnums, k->nrpc_opnums, sizeof key, opnum_order);
	return o ? o->name : NULL;
}

bool knowledge_rpc_opnum(const struct knowledge *k, const uint8_t uuid[16], const char *name, unsigned *opnum)
{
	for (unsigned i = 0; k && i < k->nrpc_opnums; i++)
		if (!memcmp(k->rpc_opnums[i].uuid, uuid, 16) && !strcmp(k->rpc_opnums[i].name, name)) {
			*opnum = k->rpc_opnums[i].opnum;
			return true;
		}
	return false;
}

const char *knowledge_rpc_name(const struct knowledge *k, const uint8_t uuid[16])
{
	for (unsigned i = 0; k && i < k->nrpc_names; i++)
		if (!memcmp(k->rpc_names[i].uuid, uuid, 16))
			return k->rpc_names[i].name;
	return NULL;
}

static void knowledge_free(struct knowledge *k);

struct knowledge *knowledge_load(const char *dir, const char *site_path, char *err, size_t errlen)
{
	struct knowledge *k = calloc(1, sizeof *k);
	if (k)
		k->refs = 1;
	if (!k || !(k->sigdir = strdup(dir))) {
		snprintf(err, errlen, "out of memory");
		free(k);
		return NULL;
	}
	char *p = path_in(dir, "http-methods.txt");
	k->http_methods = p ? http_methods_load(p, err, errlen) : NULL;
	free(p);
	if (!k->http_methods) {
		knowledge_free(k);
		return NULL;
	}
	p = path_in(dir, "configmgr2007.rules");
	k->rules = p ? rules_load(p, err, errlen) : NULL;
	free(p);
	if (!k->rules) {
		knowledge_free(k);
		return NULL;
	}
	/* the current branch's set: its roles come after 2007's, and the vocabulary of both is 2007's too (the
	 * site configuration and the role sets of every flow index it) */
	p = path_in(dir, "configmgr-cb.rules");
	k->rules_cb = p ? rules_load_with(p, &k->rules->roles, err, errlen) : NULL;
	free(p);
	if (!k->rules_cb) {
		knowledge_free(k);
		return NULL;
	}
	k->rules->roles = k->rules_cb->roles;
	p = path_in(dir, "rpc-interfaces.txt");
	bool names_ok = p && load_rpc_names(k, p, err, errlen);
	free(p);
	if (!names_ok) {
		knowledge_free(k);
		return NULL;
	}
	p = path_in(dir, "policy.txt");
	k->policy = p ? policy_load(p, &k->rules->roles, err, errlen) : NULL;
	free(p);
	if (!k->policy) {
		knowledge_free(k);
		return NULL;
	}
	p = path_in(dir, "policy-cb.txt");
	k->policy_cb = p ? policy_load_over(p, &k->rules->roles, k->policy, err, errlen) : NULL;
	free(p);
	if (!k->policy_cb) {
		knowledge_free(k);
		return NULL;
	}
	p = path_in(dir, "fingerprints.txt");
	k->fingerprints = p ? fingerprints_load(p, &k->rules->roles, err, errlen) : NULL;
	free(p);
	if (!k->fingerprints) {
		knowledge_free(k);
		return NULL;
	}
	k->site = site_path ? site_load(site_path, &k->rules->roles, err, errlen) : site_empty();
	if (!k->site) {
		knowledge_free(k);
		return NULL;
	}
	p = path_in(dir, "detections.txt");
	k->detections = p ? detections_load(p, k, err, errlen) : NULL;
	free(p);
	if (!k->detections) {
		knowledge_free(k);
		return NULL;
	}
	return k;
}

struct knowledge *knowledge_hold(struct knowledge *k)
{
	if (k)
		__atomic_add_fetch(&k->refs, 1, __ATOMIC_RELAXED);
	return k;
}

static void knowledge_free(struct knowledge *k)
{
	http_methods_free(k->http_methods);
	rules_free(k->rules);
	rules_free(k->rules_cb);
	site_free(k->site);
	policy_free(k->policy);
	policy_free(k->policy_cb);
	fingerprints_free(k->fingerprints);
	detections_free(k->detections);
	free(k->rpc_names);
	free(k->rpc_opnums);
	free(k->sigdir);
	free(k);
}

const struct ruleset *knowledge_rules_for(const struct knowledge *k, const struct site *s)
{
	return s && s->version == SITE_VCB ? k->rules_cb : k->rules;
}

const struct policy *knowledge_policy_for(const struct knowledge *k, const struct site *s)
{
	return s && s->version == SITE_VCB ? k->policy_cb : k->policy;
}

void knowledge_release(struct knowledge *k)
{
	if (k && __atomic_sub_fetch(&k->refs, 1, __ATOMIC_ACQ_REL) == 0)
		knowledge_free(k);
}

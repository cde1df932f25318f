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
#include "audit/rpc_names.h"

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

const char *knowledge_rpc_name(const struct knowledge *k, const uint8_t uuid[16])
{
	return rpc_names_name(k ? k->rpc : NULL, uuid);
}

bool knowledge_rpc_uuid(const struct knowledge *k, const char *name, uint8_t out[16])
{
	return rpc_names_uuid(k ? k->rpc : NULL, name, out);
}

const char *knowledge_rpc_opnum_name(const struct knowledge *k, const uint8_t uuid[16], unsigned opnum)
{
	return rpc_names_opnum_name(k ? k->rpc : NULL, uuid, opnum);
}

bool knowledge_rpc_opnum(const struct knowledge *k, const uint8_t uuid[16], const char *name, unsigned *opnum)
{
	return rpc_names_opnum(k ? k->rpc : NULL, uuid, name, opnum);
}

const struct detect_env *knowledge_detect_env(const struct knowledge *k)
{
	return k ? &k->detect_env : NULL;
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
	k->rpc = p ? rpc_names_load(p, err, errlen) : NULL;
	bool names_ok = k->rpc != NULL;
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
	k->detect_env = (struct detect_env){ k->rules, k->policy, k->site, NULL, k->rpc };
	k->detections = p ? detections_load(p, &k->detect_env, err, errlen) : NULL;
	free(p);
	if (!k->detections) {
		knowledge_free(k);
		return NULL;
	}
	k->detect_env.detections = k->detections;
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
	rpc_names_free(k->rpc);
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

/* knowledge.c: loads the signatures directory. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "http.h"
#include "knowledge.h"
#include "rules.h"
#include "site.h"
#include "verdict.h"

#ifndef CMFLOW_SIGDIR
#define CMFLOW_SIGDIR "/usr/local/share/cmflow/signatures"
#endif
#ifndef CMFLOW_SRC_SIGDIR
#define CMFLOW_SRC_SIGDIR "signatures"
#endif

const char *knowledge_default_dir(void)
{
	if (access(CMFLOW_SIGDIR "/http-methods.txt", R_OK) == 0)
		return CMFLOW_SIGDIR;
	return CMFLOW_SRC_SIGDIR;
}

static char *path_in(const char *dir, const char *file)
{
	size_t n = strlen(dir) + strlen(file) + 2;
	char *p = malloc(n);
	if (p)
		snprintf(p, n, "%s/%s", dir, file);
	return p;
}

struct knowledge *knowledge_load(const char *dir, const char *site_path, char *err, size_t errlen)
{
	struct knowledge *k = calloc(1, sizeof *k);
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
	p = path_in(dir, "policy.txt");
	k->policy = p ? policy_load(p, &k->rules->roles, err, errlen) : NULL;
	free(p);
	if (!k->policy) {
		knowledge_free(k);
		return NULL;
	}
	k->site = site_path ? site_load(site_path, &k->rules->roles, err, errlen) : site_empty();
	if (!k->site) {
		knowledge_free(k);
		return NULL;
	}
	return k;
}

void knowledge_free(struct knowledge *k)
{
	if (!k)
		return;
	http_methods_free(k->http_methods);
	rules_free(k->rules);
	site_free(k->site);
	policy_free(k->policy);
	free(k->sigdir);
	free(k);
}

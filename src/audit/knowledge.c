/* knowledge.c: loads the signatures directory. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proto/dcerpc.h"
#include "proto/http.h"
#include "lib/lineparse.h"
#include "audit/infer.h"
#include "audit/knowledge.h"
#include "audit/rules.h"
#include "audit/site.h"
#include "audit/verdict.h"

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

static bool load_rpc_names(struct knowledge *k, const char *path, char *err, size_t errlen)
{
	FILE *fp = fopen(path, "r");
	if (!fp) {
		snprintf(err, errlen, "%s: cannot open", path);
		return false;
	}
	k->rpc_names = calloc(RPC_NAMES_MAX, sizeof *k->rpc_names);
	char line[256];
	unsigned lineno = 0;
	bool ok = k->rpc_names != NULL;
	while (ok && fgets(line, sizeof line, fp)) {
		lineno++;
		char *w[4];
		int n = line_words(line, w, 4);
		if (n == 0)
			continue;
		struct rpc_name *r = &k->rpc_names[k->nrpc_names];
		if (n != 2 || k->nrpc_names == RPC_NAMES_MAX || !uuid_parse(w[0], r->uuid) || strlen(w[1]) >= sizeof r->name) {
			snprintf(err, errlen, "%s:%u: expected 'UUID NAME', got '%s'", path, lineno, n > 0 ? w[0] : "");
			ok = false;
			break;
		}
		snprintf(r->name, sizeof r->name, "%s", w[1]);
		k->nrpc_names++;
	}
	fclose(fp);
	return ok;
}

const char *knowledge_rpc_name(const struct knowledge *k, const uint8_t uuid[16])
{
	for (unsigned i = 0; k && i < k->nrpc_names; i++)
		if (!memcmp(k->rpc_names[i].uuid, uuid, 16))
			return k->rpc_names[i].name;
	return NULL;
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
	fingerprints_free(k->fingerprints);
	free(k->rpc_names);
	free(k->sigdir);
	free(k);
}

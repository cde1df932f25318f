/* knowledge.h: everything cmflow knows about ConfigMgr that is data, loaded from the signatures directory
 * (signatures/ in the source tree, $(pkgdatadir)/signatures when installed) and the site configuration, and
 * shared read-only by every engine. Two knowledge sets, one role vocabulary: ConfigMgr 2007 (the default) and
 * the current branch, chosen per site (site.h: version=cb).
 *
 * Ownership: a loaded set is reference-counted. Whoever keeps a pointer into it past the call that gave it (an
 * engine between packets, the run) holds a reference; a reload (SIGHUP) loads a new set, hands it to the holders
 * one by one and releases the old one, which is freed when its last holder lets go. Outputs never keep pointers
 * into it: what they keep they copy. */
#ifndef CMFLOW_KNOWLEDGE_H
#define CMFLOW_KNOWLEDGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "audit/detect.h"

struct http_methods;
struct ruleset;
struct site_config;
struct policy;
struct fingerprints;

struct detections;

struct knowledge {
	unsigned refs;                  /* holders; atomic */
	struct rpc_names *rpc;          /* signatures/rpc-interfaces.txt */
	char *sigdir;
	struct http_methods *http_methods;
	struct ruleset *rules;          /* ConfigMgr 2007's port matrix, and the role vocabulary of both sets */
	struct ruleset *rules_cb;       /* the current branch's (signatures/configmgr-cb.rules) */
	struct site_config *site;       /* the site configuration (-c), or an empty one */
	struct policy *policy;          /* the compliance checks' data (2007) */
	struct policy *policy_cb;       /* the current branch's (signatures/policy-cb.txt over policy.txt) */
	struct fingerprints *fingerprints; /* role inference (signatures/fingerprints.txt) */
	struct detections *detections;  /* detections over sequences of flows (signatures/detections.txt) */
	struct detect_env detect_env;   /* what the detections read of this set (knowledge_detect_env) */
};

/* The signatures directory to use: dir when given, else the installed one when it exists, else the source
 * tree's. */
const char *knowledge_default_dir(void);

/* Loads the signatures in dir and the site configuration site_path (NULL: none), with one reference held by the
 * caller. Returns NULL and writes "FILE:LINE: ..." into err on any error. */
struct knowledge *knowledge_load(const char *dir, const char *site_path, char *err, size_t errlen);

/* Takes one more reference to k (NULL allowed); returns k. Safe from any thread. */
struct knowledge *knowledge_hold(struct knowledge *k);

/* Gives one reference back (NULL allowed); the last one frees the set. Safe from any thread. */
void knowledge_release(struct knowledge *k);

struct site;

/* The port matrix that judges a site's flows: the current branch's for a version=cb site, else 2007's (also
 * for NULL: a flow of no site). */
const struct ruleset *knowledge_rules_for(const struct knowledge *k, const struct site *s);

/* The policy of the same set. */
const struct policy *knowledge_policy_for(const struct knowledge *k, const struct site *s);

/* The name of an RPC interface ("IWbemLevel1Login"), or NULL. */
const char *knowledge_rpc_name(const struct knowledge *k, const uint8_t uuid[16]);

/* The interface named name (rpc-interfaces.txt): its uuid into out; false when no line names it. */
bool knowledge_rpc_uuid(const struct knowledge *k, const char *name, uint8_t out[16]);

/* The name of opnum on an interface ("CreateServiceW"), or NULL. */
const char *knowledge_rpc_opnum_name(const struct knowledge *k, const uint8_t uuid[16], unsigned opnum);

/* The opnum named name on an interface: false when the file names none so. */
bool knowledge_rpc_opnum(const struct knowledge *k, const uint8_t uuid[16], const char *name, unsigned *opnum);

/* What the detections read of the set (detect.h), or NULL for a NULL set. */
const struct detect_env *knowledge_detect_env(const struct knowledge *k);

#endif

/* fuzz_config: the line-oriented parsers of signatures/ and the site configuration (2007's and the current
 * branch's rules and policy, over one role vocabulary; detections.txt with the names it refers to). The first
 * byte chooses the parser; the rest is the file (given to it as /proc/self/fd/N of a memfd). */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "proto/http.h"
#include "audit/detect.h"
#include "audit/fingerprints.h"
#include "audit/knowledge.h"
#include "audit/infer.h"
#include "audit/policy.h"
#include "audit/rules.h"
#include "audit/site.h"
#include "audit/verdict.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ruleset *rs, *rs_2007;
	static struct policy *base;
	static struct knowledge *k; /* the names a detections file refers to (interfaces, opnums, roles, findings) */
	char err[1024], path[64];
	/* the vocabulary of both knowledge sets, and 2007's policy for the current branch's to lie over */
	if (!rs_2007 && !(rs_2007 = rules_load(SIG_DIR "/configmgr2007.rules", err, sizeof err)))
		abort();
	if (!rs && !(rs = rules_load_with(SIG_DIR "/configmgr-cb.rules", &rs_2007->roles, err, sizeof err)))
		abort();
	if (!base && !(base = policy_load(SIG_DIR "/policy.txt", &rs->roles, err, sizeof err)))
		abort();
	if (!k && !(k = knowledge_load(SIG_DIR, NULL, err, sizeof err)))
		abort();
	if (size < 1)
		return 0;
	int fd = memfd_create("fuzz", 0);
	if (fd < 0 || write(fd, data + 1, size - 1) != (ssize_t)(size - 1))
		abort();
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	switch (data[0] % 8) {
	case 0: rules_free(rules_load(path, err, sizeof err)); break;
	case 5: rules_free(rules_load_with(path, &rs_2007->roles, err, sizeof err)); break;
	case 6: policy_free(policy_load_over(path, &rs->roles, base, err, sizeof err)); break;
	case 1: {
		struct site_config *sc = site_load(path, &rs->roles, err, sizeof err);
		if (sc) {
			uint8_t a[16] = { 10, 2, 0, 21 };
			site_roles(sc, &rs->roles, 4, a);
			site_roles(sc, &rs->roles, 6, a);
		}
		site_free(sc);
		break;
	}
	case 2: http_methods_free(http_methods_load(path, err, sizeof err)); break;
	case 3: fingerprints_free(fingerprints_load(path, &rs->roles, err, sizeof err)); break;
	case 7: detections_free(detections_load(path, knowledge_detect_env(k), err, sizeof err)); break;
	default: policy_free(policy_load(path, &rs->roles, err, sizeof err)); break;
	}
	close(fd);
	return 0;
}

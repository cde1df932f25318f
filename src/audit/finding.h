/* finding.h: the words of a verdict and the kinds of finding the policy describes (signatures/policy.txt):
 * shared by the checks (verdict.h), the outputs and the report, which reads them back from EVE. */
#ifndef CMFLOW_FINDING_H
#define CMFLOW_FINDING_H

#include <stdint.h>

/* VERDICT_INFORMATIONAL: findings about the run as a whole (role drift) and detections that tell without
 * blaming (client push by a site server); never the verdict of a flow's port-matrix check. */
enum verdict { VERDICT_UNKNOWN = 0, VERDICT_EXPECTED, VERDICT_NONCOMPLIANT, VERDICT_UNEXPECTED, VERDICT_INFORMATIONAL };

struct finding_kind {
	char id[40];
	uint32_t sid;
	uint8_t severity;         /* 1 (high) .. 3 */
	uint8_t verdict;          /* enum verdict */
	char category[48];
	char message[256];
	char advice[512];         /* what to do about it (the policy's advice line) */
	char advice_source[128];  /* the row, footnote or passage the finding and its advice come from */
};

const char *verdict_name(enum verdict v);

/* The verdict of a name as verdict_name writes it; VERDICT_UNKNOWN for anything else (an EVE file's word). */
enum verdict verdict_parse(const char *name);

#endif

/* eve.h: EVE JSON lines (Suricata's event format): flow, alert, wol and stats events, one output of the list
 * (output.h). One object per line; src is the flow's initiator; cmflow's own fields go under "configmgr", "ndpi"
 * and "cmflow" so that the rest validates against Suricata's schema. Lines are written whole, so that several
 * writers appending to one file do not interleave inside a line.
 *
 * Failures are never silent: a line that cannot be written is counted as lost (eve_output_ops.lost); a file
 * cut by a failed write is truncated back to its last whole line, or stops until it is reopened, so a partial
 * line is never followed by more lines (sink.h); eve_close() returns false with the last error and the count. */
#ifndef CMFLOW_EVE_H
#define CMFLOW_EVE_H

#include <stdbool.h>
#include <stddef.h>

#include "output/output.h"

struct eve;

/* The output's callbacks; self is the struct eve. */
extern const struct output_ops eve_output_ops;

/* Opens the EVE output spec (sink.h: a file, '-' for stdout, unix_stream:PATH, unix_dgram:PATH,
 * redis://HOST[:PORT]/KEY[?mode=...]) with a line buffer for each of `workers` capture workers; reading_files lets
 * a writer wait for a network sink's queue instead of losing lines. Returns NULL and writes "SPEC: reason" into
 * err on failure (a directory, no permission, a malformed spec ...). */
struct eve *eve_open(const char *spec, unsigned workers, bool reading_files, char *err, size_t errlen);

/* What the run reads and with which configuration, written in every stats event (cmflow.run) so that a report
 * made from the EVE file alone can say it. The strings must outlive the eve. */
struct eve_run {
	const char *const *inputs;
	size_t ninputs;
	const char *site_config;   /* NULL: none */
	const char *version;
};
void eve_set_run(struct eve *ev, const struct eve_run *run);

/* Flushes and closes (ev may be NULL). Returns false, with "PATH: write error: reason (N events lost)" in err
 * (err may be NULL), when any event was lost or the file could not be written or closed. */
bool eve_close(struct eve *ev, char *err, size_t errlen);

#endif

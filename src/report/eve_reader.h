/* eve_reader.h: EVE lines (of cmflow's runs, from one or several sensors) into the run's aggregates
 * (aggregate.h), so that --report --from-eve builds the same page as the run that wrote them.
 *
 * A line is EVE when it is a JSON object with a string event_type and timestamp; other lines are counted, with
 * the number of the first. A file is acceptable when it holds at least one EVE line and either only its last
 * line is not EVE (cut by a crash or a full disk) or at most one line in EVE_BAD_SHARE is not; anything more is
 * not an EVE file or a damaged one, and a report from it would say less than it should. */
#ifndef CMFLOW_EVE_READER_H
#define CMFLOW_EVE_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "output/aggregate.h"

#define EVE_BAD_SHARE 100

struct eve_read_result {
	uint64_t lines, eve_lines, bad_lines, joined;
	uint64_t first_bad_line;   /* 1-based; 0 when every line was EVE */
};

/* A reader of EVE files into one set of aggregates. It remembers the flows and alerts it took, so that the same
 * flow seen twice (two sensors on one link, one file given twice) counts once: events are joined by their
 * community_id, their tunnel identity (cmflow.tunnel's vni, session_id or key: two segments may carry one inner
 * 5-tuple) and a start within EVE_JOIN_US (an alert also by its finding); stats events by their timestamp,
 * counters and inputs. Events without a community_id (older files) are all taken. */
struct eve_reader;

#define EVE_JOIN_US 2000000u

/* A reader feeding a; NULL when memory is short. */
struct eve_reader *eve_reader_new(struct agg *a);
void eve_reader_free(struct eve_reader *rd);

/* Reads every line of path. False with "PATH: reason" in err when the file cannot be read (the lines read before
 * a read error are kept); *res says what was read either way (res->joined: events already taken). */
bool eve_read_file(struct eve_reader *rd, const char *path, struct eve_read_result *res, char *err, size_t errlen);

/* True when a file read into res is EVE enough to report on (see above). */
bool eve_read_acceptable(const struct eve_read_result *res);

#endif

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
	uint64_t lines, eve_lines, bad_lines;
	uint64_t first_bad_line;   /* 1-based; 0 when every line was EVE */
};

/* Reads every line of path into a. False with "PATH: reason" in err when the file cannot be read (the lines
 * read before a read error are kept); *res says what was read either way. */
bool eve_read_file(struct agg *a, const char *path, struct eve_read_result *res, char *err, size_t errlen);

/* True when a file read into res is EVE enough to report on (see above). */
bool eve_read_acceptable(const struct eve_read_result *res);

#endif

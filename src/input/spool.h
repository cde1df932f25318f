/* spool.h: standard input made as good as a file. A pipe can be read once, but a run over files reads them twice
 * (a first pass that learns the hosts' roles, the evidence pass), and cmflow's own readers choose by the file's
 * first bytes. So standard input is copied into an unlinked temporary file ($TMPDIR, else /var/tmp) up to a
 * bound; a capture that fits is then read through that file's /proc/self/fd path like any other file. One that
 * does not fit is read in one pass from a stream that gives the spooled bytes and then the rest of standard
 * input, and the caller says so once. */
#ifndef CMFLOW_SPOOL_H
#define CMFLOW_SPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct spool {
	int fd;                 /* the temporary file, -1 when nothing is spooled */
	bool complete;          /* standard input ended within the bound */
	uint64_t bytes;         /* bytes spooled */
	char path[48];          /* "/proc/self/fd/N", when complete */
	uint8_t magic[4];       /* the first bytes (fewer when the input is that short: see bytes) */
	FILE *stream;           /* when not complete: the spooled bytes, then the rest of standard input */
};

/* Spools standard input up to max_bytes (0: nothing is spooled; the stream then starts with the first bytes
 * read to see the format). False with a message in err (no temporary file, a read error). */
bool spool_stdin(struct spool *s, uint64_t max_bytes, char *err, size_t errlen);

/* Closes the stream and the temporary file. */
void spool_close(struct spool *s);

#endif

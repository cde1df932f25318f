/* outfile.h: an output file written at the end of a run (--report, --infer-site, --evidence, --findings-csv),
 * reserved at its start. Reserving creates a temporary file beside the target (so a missing directory, a
 * read-only file system or a directory given as the file is found before the first packet is read); committing
 * flushes, closes and renames it over the target (a reader never sees half a file); abandoning removes it. A
 * target that exists and is not a regular file (a device such as /dev/stdout, a pipe) is opened and written as
 * it is. */
#ifndef CMFLOW_OUTFILE_H
#define CMFLOW_OUTFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct outfile {
	char *path;     /* the target */
	char *tmp;      /* the temporary file beside it; NULL when the target is written directly, or once committed */
	FILE *fp;       /* open for writing on tmp */
};

/* Reserves path. False with "PATH: reason" in err (the caller's option name is its own to add). */
bool outfile_reserve(struct outfile *of, const char *path, char *err, size_t errlen);

/* Flushes, closes and renames the temporary file over the target. False with "PATH: reason" when anything
 * written was lost (a write error seen by the stream, ENOSPC at close, the rename); the temporary file is then
 * removed and the target left as it was. */
bool outfile_commit(struct outfile *of, char *err, size_t errlen);

/* Closes and removes the temporary file (of may be unreserved: nothing happens). */
void outfile_abandon(struct outfile *of);

#endif

/* outfile.c: output files reserved at the start of a run and committed at its end (outfile.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/outfile.h"

bool outfile_reserve(struct outfile *of, const char *path, char *err, size_t errlen)
{
	memset(of, 0, sizeof *of);
	struct stat st;
	bool exists = stat(path, &st) == 0;
	if (exists && S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "%s: is a directory", path);
		return false;
	}
	if (exists && !S_ISREG(st.st_mode)) { /* a device, a pipe: written as it is, nothing renamed over it */
		of->fp = fopen(path, "w");
		if (!of->fp || !(of->path = strdup(path))) {
			snprintf(err, errlen, "%s: cannot open for writing: %s", path, strerror(errno));
			outfile_abandon(of);
			return false;
		}
		return true;
	}
	size_t n = strlen(path) + 16;
	of->path = strdup(path);
	of->tmp = malloc(n);
	if (!of->path || !of->tmp) {
		snprintf(err, errlen, "out of memory");
		outfile_abandon(of);
		return false;
	}
	snprintf(of->tmp, n, "%s.tmp-XXXXXX", path);
	int fd = mkstemp(of->tmp);
	if (fd < 0) {
		snprintf(err, errlen, "%s: cannot write there: %s", path, strerror(errno));
		free(of->tmp);
		of->tmp = NULL;
		outfile_abandon(of);
		return false;
	}
	/* the permissions a plain fopen would give (mkstemp makes 0600) */
	mode_t mask = umask(0);
	umask(mask);
	fchmod(fd, 0666 & ~mask);
	of->fp = fdopen(fd, "w");
	if (!of->fp) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		close(fd);
		outfile_abandon(of);
		return false;
	}
	return true;
}

bool outfile_commit(struct outfile *of, char *err, size_t errlen)
{
	bool ok = of->fp && !ferror(of->fp);
	int e = ok ? 0 : EIO;
	if (of->fp) {
		if (fflush(of->fp) != 0 && ok) {
			ok = false;
			e = errno;
		}
		if (of->tmp && fsync(fileno(of->fp)) != 0 && ok && errno != EINVAL) {
			ok = false;
			e = errno;
		}
		if (fclose(of->fp) != 0 && ok) {
			ok = false;
			e = errno;
		}
		of->fp = NULL;
	}
	if (ok && of->tmp && rename(of->tmp, of->path) != 0) {
		ok = false;
		e = errno;
	}
	if (!ok)
		snprintf(err, errlen, "%s: write error: %s", of->path, strerror(e));
	else {
		free(of->tmp);
		of->tmp = NULL;
	}
	outfile_abandon(of);
	return ok;
}

void outfile_abandon(struct outfile *of)
{
	if (of->fp)
		fclose(of->fp);
	if (of->tmp) {
		unlink(of->tmp);
		free(of->tmp);
	}
	free(of->path);
	memset(of, 0, sizeof *of);
}

/* spool.c: standard input spooled to a temporary file (spool.h). */
#define _GNU_SOURCE /* fopencookie */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "input/spool.h"

/* The stream of an incomplete spool: the spooled bytes from offset 0, then standard input. */
struct spool_reader {
	struct spool *s;
	uint64_t at;            /* bytes of the spool given so far */
};

static ssize_t spool_read(void *cookie, char *buf, size_t len)
{
	struct spool_reader *r = cookie;
	if (r->at < r->s->bytes) {
		size_t n = (size_t)(r->s->bytes - r->at) < len ? (size_t)(r->s->bytes - r->at) : len;
		ssize_t got = r->s->fd >= 0 ? pread(r->s->fd, buf, n, (off_t)r->at) : -1;
		if (r->s->fd < 0) { /* nothing spooled: only the first bytes, kept in memory */
			memcpy(buf, r->s->magic + r->at, n);
			got = (ssize_t)n;
		}
		if (got > 0)
			r->at += (uint64_t)got;
		return got;
	}
	for (;;) {
		ssize_t got = read(STDIN_FILENO, buf, len);
		if (got >= 0 || errno != EINTR)
			return got;
	}
}

static int spool_reader_close(void *cookie)
{
	free(cookie);
	return 0;
}

/* Reads up to len bytes of standard input (fewer only at its end). */
static ssize_t read_full(uint8_t *buf, size_t len)
{
	size_t got = 0;
	while (got < len) {
		ssize_t n = read(STDIN_FILENO, buf + got, len - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

static bool open_stream(struct spool *s, char *err, size_t errlen)
{
	struct spool_reader *r = calloc(1, sizeof *r);
	cookie_io_functions_t io = { .read = spool_read, .close = spool_reader_close };
	s->stream = r ? fopencookie(r, "r", io) : NULL;
	if (!s->stream) {
		free(r);
		snprintf(err, errlen, "stdin: out of memory");
		return false;
	}
	r->s = s;
	return true;
}

bool spool_stdin(struct spool *s, uint64_t max_bytes, char *err, size_t errlen)
{
	memset(s, 0, sizeof *s);
	s->fd = -1;
	if (max_bytes == 0) {
		ssize_t n = read_full(s->magic, sizeof s->magic);
		if (n < 0) {
			snprintf(err, errlen, "stdin: read error: %s", strerror(errno));
			return false;
		}
		s->bytes = (uint64_t)n;
		return open_stream(s, err, errlen);
	}
	const char *dir = getenv("TMPDIR");
	char tmpl[512];
	snprintf(tmpl, sizeof tmpl, "%s/cmflow-stdin-XXXXXX", dir && *dir ? dir : "/var/tmp");
	s->fd = mkstemp(tmpl);
	if (s->fd < 0) {
		snprintf(err, errlen, "stdin: cannot make a temporary file in %s: %s", dir && *dir ? dir : "/var/tmp",
			 strerror(errno));
		return false;
	}
	unlink(tmpl); /* gone with the descriptor, whatever happens */
	static uint8_t buf[1 << 16];
	for (;;) {
		size_t want = sizeof buf;
		if (max_bytes - s->bytes < want)
			want = (size_t)(max_bytes - s->bytes);
		ssize_t n = want ? read_full(buf, want) : 0;
		if (n < 0) {
			snprintf(err, errlen, "stdin: read error after %llu bytes: %s", (unsigned long long)s->bytes,
				 strerror(errno));
			return false;
		}
		for (ssize_t done = 0; done < n;) {
			ssize_t w = write(s->fd, buf + done, (size_t)(n - done));
			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0) {
				snprintf(err, errlen, "stdin: cannot spool to the temporary file: %s", strerror(errno));
				return false;
			}
			done += w;
		}
		if (s->bytes < sizeof s->magic)
			memcpy(s->magic + s->bytes, buf,
			       (size_t)n < sizeof s->magic - s->bytes ? (size_t)n : sizeof s->magic - s->bytes);
		s->bytes += (uint64_t)n;
		if ((size_t)n < want) { /* the end of standard input */
			s->complete = true;
			snprintf(s->path, sizeof s->path, "/proc/self/fd/%d", s->fd);
			return true;
		}
		if (s->bytes == max_bytes) /* the bound: is there more? */
			break;
	}
	uint8_t probe;
	ssize_t n = read_full(&probe, 1);
	if (n == 0) {
		s->complete = true;
		snprintf(s->path, sizeof s->path, "/proc/self/fd/%d", s->fd);
		return true;
	}
	if (n < 0 || pwrite(s->fd, &probe, 1, (off_t)s->bytes) != 1) {
		snprintf(err, errlen, "stdin: read or spool error: %s", strerror(errno));
		return false;
	}
	s->bytes++;
	return open_stream(s, err, errlen);
}

void spool_close(struct spool *s)
{
	if (s->stream)
		fclose(s->stream);
	if (s->fd >= 0)
		close(s->fd);
	s->stream = NULL;
	s->fd = -1;
}

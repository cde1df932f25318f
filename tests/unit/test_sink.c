/* Unit tests of the EVE sinks: whole lines, every failure counted and said (ENOSPC from /dev/full, EFBIG from a
 * file size limit, a pipe that stops inside a line), Unix datagram and stream readers that go away and come back
 * (started in the test itself), an unreachable Redis, spec errors, the once-a-minute report, threads. The e2e
 * script tests/e2e/sinks.sh does the same with socat and a real redis-server. Criterion runs each test in a process
 * of its own, so limits and signal settings stay there. */
#define _GNU_SOURCE /* F_SETPIPE_SZ */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "output/sink.h"

static char tmpdir[64];

static void mk_tmpdir(void)
{
	snprintf(tmpdir, sizeof tmpdir, "/tmp/cmflow-sink-XXXXXX");
	cr_assert(mkdtemp(tmpdir));
	signal(SIGPIPE, SIG_IGN);
	signal(SIGXFSZ, SIG_IGN);
}

static void rm_tmpdir(void)
{
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
	(void)system(cmd);
}

TestSuite(sink, .init = mk_tmpdir, .fini = rm_tmpdir);

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

/* a numbered line with pad bytes of padding */
static size_t line_of(char *buf, size_t cap, unsigned seq, unsigned pad)
{
	int n = snprintf(buf, cap, "{\"seq\":%u,\"pad\":\"", seq);
	for (unsigned i = 0; i < pad && (size_t)n + 3 < cap; i++)
		buf[n++] = 'x';
	buf[n++] = '"';
	buf[n++] = '}';
	buf[n] = '\0';
	return (size_t)n;
}

static int write_n(struct sink *s, unsigned from, unsigned n, unsigned pad)
{
	char buf[8192];
	int ok = 0;
	for (unsigned i = 0; i < n; i++)
		if (sink_write(s, buf, line_of(buf, sizeof buf, from + i, pad)) == 0)
			ok++;
	return ok;
}

/* Checks that text holds only whole lines of line_of's form; fills seen[seq]++ and returns the line count. */
static unsigned check_lines(const char *text, size_t len, unsigned *seen, unsigned maxseq)
{
	unsigned lines = 0;
	const char *p = text, *end = text + len;
	cr_assert(len == 0 || text[len - 1] == '\n', "the text ends with a whole line");
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		cr_assert(nl);
		unsigned seq;
		cr_assert_eq(sscanf(p, "{\"seq\":%u,", &seq), 1, "a line of ours: %.40s", p);
		cr_assert(nl - p >= 2 && nl[-1] == '}' && nl[-2] == '"', "line %u is whole", seq);
		cr_assert(seq >= 1 && seq <= maxseq);
		seen[seq]++;
		lines++;
		p = nl + 1;
	}
	return lines;
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "r");
	cr_assert(f, "%s", path);
	size_t cap = 1 << 20, n = 0;
	char *b = malloc(cap);
	size_t r;
	while ((r = fread(b + n, 1, cap - n, f)) > 0) {
		n += r;
		if (n == cap)
			b = realloc(b, cap *= 2);
	}
	fclose(f);
	*len = n;
	return b;
}

Test(sink, file_appends_whole_lines)
{
	char path[128], err[256];
	snprintf(path, sizeof path, "%s/eve.json", tmpdir);
	struct sink *s = sink_open(path, NULL, err, sizeof err);
	cr_assert(s, "%s", err);
	cr_assert_eq(sink_kind_of(s), SINK_FILE);
	cr_assert_eq(write_n(s, 1, 3000, 50), 3000);
	struct sink_stats st;
	cr_assert_eq(sink_close(s, 0, &st, err, sizeof err), 0, "%s", err);
	cr_assert_eq(st.lines_out, 3000);
	cr_assert_eq(st.lines_lost, 0);
	cr_assert_eq(st.lines_queued, 0);

	/* a second run appends */
	s = sink_open(path, NULL, err, sizeof err);
	cr_assert_eq(write_n(s, 3001, 10, 0), 10);
	cr_assert_eq(sink_close(s, 0, NULL, NULL, 0), 0);
	size_t len;
	char *text = slurp(path, &len);
	static unsigned seen[3011];
	cr_assert_eq(check_lines(text, len, seen, 3010), 3010);
	for (unsigned i = 1; i <= 3010; i++)
		cr_assert_eq(seen[i], 1);
	free(text);
}

Test(sink, dev_full_is_counted_and_said)
{
	char err[256];
	struct sink_options o = { .report_ms = 300 };
	struct sink *s = sink_open("/dev/full", &o, err, sizeof err);
	cr_assert(s, "%s", err);
	cr_assert_eq(write_n(s, 1, 10, 10), 10, "accepted into the buffer");
	cr_assert_eq(sink_flush(s), -1, "the flush fails");
	struct sink_stats st;
	sink_get_stats(s, &st);
	cr_assert_eq(st.lines_lost, 10);
	cr_assert_eq(st.lines_out, 0);
	cr_assert_eq(sink_health(s), SINK_DEGRADED);
	char msg[512];
	sink_last_error(s, msg, sizeof msg);
	cr_assert(strstr(msg, "/dev/full") && strstr(msg, strerror(ENOSPC)), "%s", msg);

	/* live logging: the first loss at once, then not again within report_ms, then with the new count */
	cr_assert(sink_error_report(s, msg, sizeof msg));
	cr_assert(strstr(msg, "10 event(s) lost (10 in all)"), "%s", msg);
	write_n(s, 11, 5, 0);
	sink_flush(s);
	cr_assert_not(sink_error_report(s, msg, sizeof msg));
	sleep_ms(350);
	cr_assert(sink_error_report(s, msg, sizeof msg));
	cr_assert(strstr(msg, "5 event(s) lost (15 in all)"), "%s", msg);
	cr_assert_not(sink_error_report(s, msg, sizeof msg), "nothing new");

	write_n(s, 16, 3, 0);
	cr_assert_eq(sink_close(s, 0, &st, err, sizeof err), -1);
	cr_assert_eq(st.lines_lost, 18);
	cr_assert_eq(st.lines_in, 18);
	cr_assert(strstr(err, strerror(ENOSPC)), "%s", err);
}

/* RLIMIT_FSIZE: the kernel writes up to the limit (a short write inside a line), then refuses with EFBIG; the sink
 * takes the partial line back, so the file ends on a whole line, and counts every line that did not make it */
Test(sink, efbig_short_write_truncated_to_a_whole_line)
{
	char path[128], err[256];
	snprintf(path, sizeof path, "%s/small.json", tmpdir);
	struct rlimit rl = { 10000, 10000 };
	cr_assert_eq(setrlimit(RLIMIT_FSIZE, &rl), 0);
	struct sink *s = sink_open(path, NULL, err, sizeof err);
	cr_assert(s, "%s", err);
	cr_assert_eq(write_n(s, 1, 300, 90), 300);
	cr_assert_eq(sink_flush(s), -1);
	cr_assert_eq(sink_health(s), SINK_DEGRADED, "taken back, not stopped");
	write_n(s, 301, 5, 90);
	struct sink_stats st;
	cr_assert_eq(sink_close(s, 0, &st, err, sizeof err), -1);
	cr_assert(strstr(err, strerror(EFBIG)), "%s", err);

	size_t len;
	char *text = slurp(path, &len);
	cr_assert(len <= 10000 && len > 9000, "%zu bytes", len);
	static unsigned seen[306];
	unsigned n = check_lines(text, len, seen, 305);
	for (unsigned i = 1; i <= n; i++)
		cr_assert_eq(seen[i], 1, "the first %u lines, in order", n);
	cr_assert_eq(st.lines_out, n);
	cr_assert_eq(st.lines_lost, 305 - n);
	free(text);
}

/* stdout on a pipe that takes 4096 bytes and is never read (non-blocking): the write stops inside a line, which
 * a pipe cannot take back: the sink stops, says so, and refuses the next lines */
Test(sink, pipe_cut_inside_a_line_stops_the_sink)
{
	int p[2];
	cr_assert_eq(pipe(p), 0);
	cr_assert(fcntl(p[1], F_SETPIPE_SZ, 4096) >= 4096);
	cr_assert_eq(fcntl(p[1], F_SETFL, O_NONBLOCK), 0);
	cr_assert(dup2(p[1], STDOUT_FILENO) >= 0);
	char err[256];
	struct sink *s = sink_open("-", NULL, err, sizeof err);
	cr_assert(s);
	cr_assert_eq(sink_kind_of(s), SINK_STDOUT);
	write_n(s, 1, 50, 100);
	cr_assert_eq(sink_flush(s), -1);
	cr_assert_eq(sink_health(s), SINK_STOPPED);
	cr_assert_eq(sink_write(s, "{}", 2), -1, "nothing after a partial line");
	sink_reopen(s);
	cr_assert_eq(sink_health(s), SINK_STOPPED, "standard output cannot be opened afresh");
	char msg[512];
	cr_assert(sink_error_report(s, msg, sizeof msg));
	cr_assert(strstr(msg, "writing stopped"), "%s", msg);
	struct sink_stats st;
	cr_assert_eq(sink_close(s, 0, &st, NULL, 0), -1);
	cr_assert_eq(st.lines_out + st.lines_lost, 51);
	char got[8192];
	ssize_t n = read(p[0], got, sizeof got);
	cr_assert_eq(n, 4096, "the pipe took 4096 bytes");
	unsigned nl = 0;
	for (ssize_t i = 0; i < n; i++)
		nl += got[i] == '\n';
	cr_assert_neq(got[n - 1], '\n', "it holds a partial line at its end");
	cr_assert_eq(st.lines_out, nl, "the whole lines that fitted count as written");
}

Test(sink, reopen_after_rotation)
{
	char path[128], rotated[128], err[256];
	snprintf(path, sizeof path, "%s/eve.json", tmpdir);
	snprintf(rotated, sizeof rotated, "%s/eve.json.1", tmpdir);
	struct sink *s = sink_open(path, NULL, err, sizeof err);
	write_n(s, 1, 100, 0);
	cr_assert_eq(sink_flush(s), 0);
	cr_assert_eq(rename(path, rotated), 0);
	write_n(s, 101, 10, 0); /* buffered: written to the old file by the reopen's flush */
	cr_assert_eq(sink_reopen(s), 0);
	write_n(s, 111, 20, 0);
	cr_assert_eq(sink_close(s, 0, NULL, NULL, 0), 0);
	size_t l1, l2;
	char *a = slurp(rotated, &l1), *b = slurp(path, &l2);
	static unsigned seen[131];
	cr_assert_eq(check_lines(a, l1, seen, 130), 110);
	cr_assert_eq(check_lines(b, l2, seen, 130), 20);
	cr_assert_eq(seen[111], 1);
	free(a);
	free(b);
}

static int bind_dgram(const char *path)
{
	int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	snprintf(sun.sun_path, sizeof sun.sun_path, "%s", path);
	unlink(path);
	cr_assert_eq(bind(fd, (struct sockaddr *)&sun, sizeof sun), 0);
	return fd;
}

/* reads datagrams (the receive queue holds only max_dgram_qlen of them: the sink is flushed between reads) until
 * none came for 20 ms, counting seqs */
static unsigned read_dgrams(int fd, struct sink *s, unsigned *seen, unsigned maxseq)
{
	char buf[65536];
	unsigned n = 0, idle = 0;
	while (idle < 20) {
		ssize_t r = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
		if (r > 0) {
			cr_assert_eq(check_lines(buf, (size_t)r, seen, maxseq), 1, "one line a datagram");
			n++;
			idle = 0;
			continue;
		}
		sink_flush(s);
		sleep_ms(1);
		idle++;
	}
	return n;
}

Test(sink, unix_dgram_reader_goes_and_comes_back)
{
	char path[128], spec[160], err[256];
	snprintf(path, sizeof path, "%s/dgram.sock", tmpdir);
	snprintf(spec, sizeof spec, "unix_dgram:%s", path);
	int rd = bind_dgram(path);
	struct sink_options o = { .retry_ms = 10, .queue_lines = 40 };
	struct sink *s = sink_open(spec, &o, err, sizeof err);
	cr_assert(s, "%s", err);
	static unsigned seen[200];
	cr_assert_eq(write_n(s, 1, 30, 20), 30);
	sink_flush(s);
	cr_assert_eq(read_dgrams(rd, s, seen, 199), 30);
	cr_assert_eq(sink_drain(s, 100), 0);
	struct sink_stats st;
	sink_get_stats(s, &st);
	cr_assert_eq(st.lines_out, 30);

	/* the reader dies with 10 datagrams unread: they are not taken for delivered, but sent to the next reader */
	cr_assert_eq(write_n(s, 31, 10, 20), 10);
	sink_flush(s);
	close(rd);
	unlink(path);
	write_n(s, 41, 1, 20);
	sink_flush(s);
	sink_get_stats(s, &st);
	cr_assert_not(st.connected);
	cr_assert_eq(st.lines_queued, 11);
	cr_assert_eq(st.lines_out, 30, "nothing the dead reader left unread counts as delivered");
	/* while away: the queue holds 40 lines, the rest are counted */
	cr_assert_eq(write_n(s, 42, 40, 20), 29);
	sink_get_stats(s, &st);
	cr_assert_eq(st.lines_lost, 11);

	rd = bind_dgram(path);
	sleep_ms(20);
	sink_flush(s);
	unsigned got = read_dgrams(rd, s, seen, 199);
	cr_assert_eq(sink_drain(s, 200), 0);
	cr_assert_eq(got, 40);
	for (unsigned i = 1; i <= 70; i++)
		cr_assert_eq(seen[i], 1, "line %u once", i);
	sink_get_stats(s, &st);
	cr_assert_eq(st.lines_out, 70);
	cr_assert_eq(st.lines_resent, 10);
	cr_assert_eq(st.connects, 2);
	cr_assert_eq(st.lines_in, st.lines_out + st.lines_lost + st.lines_queued);
	cr_assert_eq(sink_close(s, 100, &st, err, sizeof err), -1, "11 were lost");
	cr_assert(strstr(err, "queue full"), "%s", err);
	close(rd);
}

static int listen_stream(const char *path)
{
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	snprintf(sun.sun_path, sizeof sun.sun_path, "%s", path);
	unlink(path);
	cr_assert_eq(bind(fd, (struct sockaddr *)&sun, sizeof sun), 0);
	cr_assert_eq(listen(fd, 4), 0);
	return fd;
}

/* reads what is there (non-blocking) into a growing text */
static void read_stream(int fd, char **text, size_t *len, size_t *cap)
{
	for (;;) {
		if (*cap - *len < 65536)
			*text = realloc(*text, *cap = *cap * 2 + 65536);
		ssize_t r = recv(fd, *text + *len, *cap - *len, MSG_DONTWAIT);
		if (r <= 0)
			return;
		*len += (size_t)r;
	}
}

Test(sink, unix_stream_reader_goes_and_comes_back)
{
	char path[128], spec[160], err[256];
	snprintf(path, sizeof path, "%s/stream.sock", tmpdir);
	snprintf(spec, sizeof spec, "unix_stream:%s", path);
	int ls = listen_stream(path);
	struct sink_options o = { .retry_ms = 10 };
	struct sink *s = sink_open(spec, &o, err, sizeof err);
	cr_assert(s, "%s", err);
	int c = accept(ls, NULL, NULL);
	cr_assert(c >= 0);
	char *text = NULL;
	size_t len = 0, cap = 0;
	cr_assert_eq(write_n(s, 1, 2000, 100), 2000);
	for (int i = 0; i < 50; i++) {
		read_stream(c, &text, &len, &cap);
		sink_flush(s);
	}
	cr_assert_eq(sink_drain(s, 200), 0);
	read_stream(c, &text, &len, &cap);
	static unsigned seen[6001];
	cr_assert_eq(check_lines(text, len, seen, 6000), 2000);

	/* 1000 more, then the reader closes without reading them */
	cr_assert_eq(write_n(s, 2001, 1000, 100), 1000);
	sink_flush(s);
	close(c);
	close(ls);
	sink_flush(s);
	struct sink_stats st;
	sink_get_stats(s, &st);
	cr_assert_not(st.connected);
	cr_assert_eq(st.lines_out, 2000, "unread lines are not delivered");
	cr_assert_eq(write_n(s, 3001, 1000, 100), 1000);

	/* a new reader gets them all, from a line boundary */
	ls = listen_stream(path);
	sleep_ms(20);
	sink_flush(s);
	c = accept(ls, NULL, NULL);
	cr_assert(c >= 0);
	len = 0;
	for (int i = 0; i < 200 && len < 2000u * 117; i++) {
		sink_flush(s);
		read_stream(c, &text, &len, &cap);
		sleep_ms(1);
	}
	cr_assert_eq(sink_drain(s, 500), 0);
	read_stream(c, &text, &len, &cap);
	check_lines(text, len, seen, 6000);
	for (unsigned i = 1; i <= 4000; i++)
		cr_assert(seen[i] >= 1, "line %u arrived", i);
	cr_assert_eq(sink_close(s, 100, &st, err, sizeof err), 0, "%s", err);
	cr_assert_eq(st.lines_out, 4000);
	cr_assert_eq(st.lines_lost, 0);
	cr_assert_leq(st.lines_resent, 1000);
	close(c);
	close(ls);
	free(text);
}

Test(sink, redis_unreachable_queues_then_counts)
{
	char err[256];
	/* port 9 (discard) is closed on loopback here: connection refused */
	struct sink_options o = { .queue_lines = 10, .retry_ms = 5 };
	struct sink *s = sink_open("redis://127.0.0.1:9/cmflow?mode=rpush", &o, err, sizeof err);
	cr_assert(s, "%s", err);
	cr_assert_eq(sink_kind_of(s), SINK_REDIS);
	cr_assert_eq(write_n(s, 1, 15, 0), 10);
	struct sink_stats st;
	sink_get_stats(s, &st);
	cr_assert_eq(st.lines_lost, 5);
	cr_assert_eq(st.lines_queued, 10);
	cr_assert_not(st.connected);
	char msg[512];
	sink_last_error(s, msg, sizeof msg);
	cr_assert(strstr(msg, "queue full") && strstr(msg, strerror(ECONNREFUSED)), "%s", msg);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	cr_assert_eq(sink_close(s, 50, &st, err, sizeof err), -1);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	cr_assert(ms >= 40 && ms < 500, "the drain waited its 50 ms (%ld)", ms);
	cr_assert_eq(st.lines_lost, 15);
	cr_assert(strstr(err, "10 line(s) still queued"), "%s", err);
}

Test(sink, spec_errors_name_the_spec)
{
	const char *bad[] = { "redis://", "redis://127.0.0.1", "redis://127.0.0.1/", "redis://127.0.0.1:0/k",
			      "redis://127.0.0.1:99999/k", "redis://127.0.0.1/k?mode=lpop", "redis://[::1/k",
			      "unix_stream:", "unix_dgram:", "", "/nonexistent-dir/eve.json" };
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		char err[256] = "";
		cr_assert_null(sink_open(bad[i], NULL, err, sizeof err), "'%s' refused", bad[i]);
		cr_assert(err[0], "'%s' says why", bad[i]);
		if (bad[i][0])
			cr_assert(strstr(err, bad[i]), "'%s' named in: %s", bad[i], err);
	}
	char err[256];
	struct sink *s = sink_open("redis://[::1]:6390/k?mode=publish", NULL, err, sizeof err);
	cr_assert(s, "%s", err);
	cr_assert_eq(sink_write(s, "a\nb", 3), -1, "a newline inside a line");
	cr_assert_eq(sink_lost(s), 1);
	sink_close(s, 0, NULL, NULL, 0);
}

struct thr {
	struct sink *s;
	unsigned from, n;
};

static void *thr_write(void *arg)
{
	struct thr *t = arg;
	write_n(t->s, t->from, t->n, 60);
	return NULL;
}

Test(sink, threads_write_whole_lines)
{
	char path[128], err[256];
	snprintf(path, sizeof path, "%s/threads.json", tmpdir);
	struct sink *s = sink_open(path, NULL, err, sizeof err);
	cr_assert(s);
	pthread_t th[4];
	struct thr t[4];
	for (unsigned i = 0; i < 4; i++) {
		t[i] = (struct thr){ s, 1 + i * 20000, 20000 };
		pthread_create(&th[i], NULL, thr_write, &t[i]);
	}
	for (unsigned i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	cr_assert_eq(sink_close(s, 0, NULL, NULL, 0), 0);
	size_t len;
	char *text = slurp(path, &len);
	static unsigned seen[80001];
	cr_assert_eq(check_lines(text, len, seen, 80000), 80000);
	for (unsigned i = 1; i <= 80000; i++)
		cr_assert_eq(seen[i], 1);
	free(text);
}

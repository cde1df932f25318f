/* sinkfeed.c: drives one EVE sink (src/output/sink.h) from commands on stdin, for tests/e2e/sinks.sh, until cmflow
 * itself writes through the sinks.
 *
 *   sinkfeed SPEC [--queue-lines N] [--queue-bytes N] [--retry-ms N] [--wait-full-ms N] [--report-ms N]
 *
 * Commands, one a line; each answers with one line on stdout:
 *   write N [PAD]      N lines {"event_type":"test","seq":K,"pad":"x..."} (K counts from 1 over the run; PAD bytes
 *                      of padding): "ok accepted=A dropped=D"
 *   threads T N [PAD]  T threads write N lines each at once: "ok accepted=A dropped=D"
 *   flush              sink_flush: "ok rc=R"
 *   tick MS            sink_flush every 5 ms for MS milliseconds (an idle live run): "ok"
 *   drain MS           sink_drain: "ok left=L"
 *   reopen             sink_reopen: "ok rc=R"
 *   stats              "in=.. out=.. lost=.. queued=.. resent=.. connects=.. disconnects=.. connected=0|1
 *                      health=healthy|degraded|stopped"
 *   report             sink_error_report: "report TEXT" or "report none"
 *   error              "error TEXT" (the last error, possibly empty)
 *   close MS           sink_close: the stats line, then "closed rc=R err=TEXT"; then exits (0, or 1 if rc != 0)
 * The program ignores SIGPIPE and SIGXFSZ, as cmflow must. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "output/sink.h"

static struct sink *sink;
static pthread_mutex_t seq_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned long long next_seq = 1;

struct batch {
	unsigned long n, pad;
	unsigned long accepted, dropped;
};

static void *write_batch(void *arg)
{
	struct batch *b = arg;
	char *line = malloc(b->pad + 128);
	if (!line)
		return NULL;
	for (unsigned long i = 0; i < b->n; i++) {
		pthread_mutex_lock(&seq_lock);
		unsigned long long seq = next_seq++;
		pthread_mutex_unlock(&seq_lock);
		int len = snprintf(line, 128, "{\"event_type\":\"test\",\"seq\":%llu,\"pad\":\"", seq);
		memset(line + len, 'x', b->pad);
		len += (int)b->pad;
		memcpy(line + len, "\"}", 2);
		len += 2;
		if (sink_write(sink, line, (size_t)len) == 0)
			b->accepted++;
		else
			b->dropped++;
	}
	free(line);
	return NULL;
}

static void print_stats(const struct sink_stats *st, enum sink_health h)
{
	static const char *const hn[] = { "healthy", "degraded", "stopped" };
	printf("in=%llu out=%llu lost=%llu queued=%llu resent=%llu connects=%llu disconnects=%llu connected=%d "
	       "health=%s\n",
	       (unsigned long long)st->lines_in, (unsigned long long)st->lines_out, (unsigned long long)st->lines_lost,
	       (unsigned long long)st->lines_queued, (unsigned long long)st->lines_resent,
	       (unsigned long long)st->connects, (unsigned long long)st->disconnects, st->connected ? 1 : 0, hn[h]);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: sinkfeed SPEC [--queue-lines N] [--queue-bytes N] [--retry-ms N] "
				"[--wait-full-ms N] [--report-ms N]\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	signal(SIGXFSZ, SIG_IGN);
	struct sink_options opt = { 0 };
	for (int i = 2; i + 1 < argc; i += 2) {
		unsigned long v = strtoul(argv[i + 1], NULL, 10);
		if (!strcmp(argv[i], "--queue-lines"))
			opt.queue_lines = (uint32_t)v;
		else if (!strcmp(argv[i], "--queue-bytes"))
			opt.queue_bytes = v;
		else if (!strcmp(argv[i], "--retry-ms"))
			opt.retry_ms = (uint32_t)v;
		else if (!strcmp(argv[i], "--wait-full-ms"))
			opt.wait_full_ms = (uint32_t)v;
		else if (!strcmp(argv[i], "--report-ms"))
			opt.report_ms = (uint32_t)v;
		else {
			fprintf(stderr, "sinkfeed: unknown option %s\n", argv[i]);
			return 2;
		}
	}
	char err[512];
	sink = sink_open(argv[1], &opt, err, sizeof err);
	if (!sink) {
		printf("open failed: %s\n", err);
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("opened %s\n", sink_name(sink));
	char cmd[256];
	while (fgets(cmd, sizeof cmd, stdin)) {
		unsigned long a = 0, b = 0, c = 0;
		struct sink_stats st;
		if (sscanf(cmd, "write %lu %lu", &a, &b) >= 1) {
			struct batch bt = { .n = a, .pad = b };
			write_batch(&bt);
			printf("ok accepted=%lu dropped=%lu\n", bt.accepted, bt.dropped);
		} else if (sscanf(cmd, "threads %lu %lu %lu", &a, &b, &c) >= 2 && a > 0 && a <= 64) {
			pthread_t th[64];
			struct batch bt[64];
			for (unsigned long i = 0; i < a; i++) {
				bt[i] = (struct batch){ .n = b, .pad = c };
				pthread_create(&th[i], NULL, write_batch, &bt[i]);
			}
			unsigned long acc = 0, drop = 0;
			for (unsigned long i = 0; i < a; i++) {
				pthread_join(th[i], NULL);
				acc += bt[i].accepted;
				drop += bt[i].dropped;
			}
			printf("ok accepted=%lu dropped=%lu\n", acc, drop);
		} else if (!strncmp(cmd, "flush", 5)) {
			printf("ok rc=%d\n", sink_flush(sink));
		} else if (sscanf(cmd, "tick %lu", &a) == 1) {
			for (unsigned long t = 0; t < a; t += 5) {
				sink_flush(sink);
				struct timespec ts = { 0, 5000000L };
				nanosleep(&ts, NULL);
			}
			printf("ok\n");
		} else if (sscanf(cmd, "drain %lu", &a) == 1) {
			printf("ok left=%llu\n", (unsigned long long)sink_drain(sink, (uint32_t)a));
		} else if (!strncmp(cmd, "reopen", 6)) {
			printf("ok rc=%d\n", sink_reopen(sink));
		} else if (!strncmp(cmd, "stats", 5)) {
			sink_get_stats(sink, &st);
			print_stats(&st, sink_health(sink));
		} else if (!strncmp(cmd, "report", 6)) {
			char msg[512];
			if (sink_error_report(sink, msg, sizeof msg))
				printf("report %s\n", msg);
			else
				printf("report none\n");
		} else if (!strncmp(cmd, "error", 5)) {
			char msg[512];
			printf("error %s\n", sink_last_error(sink, msg, sizeof msg));
		} else if (sscanf(cmd, "close %lu", &a) == 1) {
			enum sink_health h = sink_health(sink);
			int rc = sink_close(sink, (uint32_t)a, &st, err, sizeof err);
			if (st.lines_lost && h == SINK_HEALTHY)
				h = SINK_DEGRADED;
			print_stats(&st, h);
			printf("closed rc=%d err=%s\n", rc, err);
			return rc ? 1 : 0;
		} else {
			printf("unknown command: %s", cmd);
		}
	}
	sink_close(sink, 0, NULL, NULL, 0);
	return 0;
}

/* sink.h: where EVE lines go: a regular file, standard output, a Unix stream or datagram socket, or Redis.
 * References: Suricata's EVE output types (docs.suricata.io, "Eve JSON Output": filetype regular, unix_stream,
 * unix_dgram, redis with mode list (LPUSH), rpush or channel (PUBLISH)); the Redis protocol (RESP, redis.io
 * "Redis serialization protocol specification"), spoken through hiredis's command formatter and reply reader.
 *
 * Specification strings (the --eve argument):
 *   PATH                        a regular file (or a device, or a FIFO, whose open waits for its reader),
 *                               opened for appending; "-" is stdout (fd 1, written directly: flush stdio first)
 *   unix_stream:PATH            a SOCK_STREAM Unix socket a reader listens on; one line after another
 *   unix_dgram:PATH             a SOCK_DGRAM Unix socket a reader has bound; one line (with its newline) a datagram
 *   redis://HOST[:PORT]/KEY[?mode=lpush|rpush|publish]
 *                               LPUSH (the default, Suricata's "list"), RPUSH, or PUBLISH to the channel KEY
 *                               (mode=list and mode=channel, Suricata's names, are taken too);
 *                               PORT defaults to 6379; HOST may be an IPv6 address in brackets. The line is sent
 *                               without its newline.
 *
 * The contract, whatever the kind:
 * - Every write, flush and close is checked. A failure is kept as the sink's last error, "NAME: what: reason"
 *   (strerror, or the server's reply), and each line it costs is counted in lines_lost: nothing is lost silently.
 * - A line reaches the destination whole or not at all. A file whose write stopped inside a line is truncated back
 *   to the end of its last whole line; when that is impossible (a pipe, a device, another writer appended after
 *   us) the sink stops writing (SINK_STOPPED) until sink_reopen, so that no line ever follows a partial one.
 *   A stream socket always starts a new peer at a line boundary.
 * - Network sinks (Unix sockets, Redis) keep a bounded queue (queue_bytes and queue_lines) while the peer is away
 *   or slow, try to reconnect at most once every retry_ms, and never block: every call returns within a few
 *   milliseconds unless the caller asked to wait (wait_full_ms, sink_close's drain). Lines that do not fit are
 *   dropped and counted (the stats event's one lost-events counter). A line counts as delivered when Redis has
 *   acknowledged it, or when the socket's reader has read it: the kernel's count of bytes not read yet (SIOCOUTQ)
 *   while the reader is seen alive, and for a stream whose reader closed, whether it left bytes unread (the
 *   kernel then sets ECONNRESET). Lines that a vanished peer may not have read go again to the next one (counted
 *   in lines_resent): a line can arrive twice across a reconnection, it is never dropped without being counted.
 *   What a reader had read but not yet stored when it died (socat's 8 KiB buffer) no sender can know of. A
 *   datagram reader's death frees its unread datagrams as reading would, so a datagram counts as read only once a
 *   later datagram was accepted, or at sink_drain: an idle unix_dgram sink shows its last lines as queued.
 * - All functions are safe from several threads (one lock a sink); each sink_write is one whole line.
 * - The program must ignore SIGPIPE (sockets use MSG_NOSIGNAL, but stdout and FIFOs cannot) and SIGXFSZ (so that
 *   a file size limit gives EFBIG, counted, instead of killing the process). Never call these functions from a
 *   signal handler: set a flag there and call sink_reopen from the main loop. */
#ifndef CMFLOW_SINK_H
#define CMFLOW_SINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum sink_kind { SINK_FILE, SINK_STDOUT, SINK_UNIX_STREAM, SINK_UNIX_DGRAM, SINK_REDIS };
enum sink_redis_mode { SINK_REDIS_LPUSH, SINK_REDIS_RPUSH, SINK_REDIS_PUBLISH };

#define SINK_DEFAULT_QUEUE_BYTES (16u << 20)
#define SINK_DEFAULT_QUEUE_LINES 65536u
#define SINK_DEFAULT_RETRY_MS 1000u
#define SINK_DEFAULT_REPORT_MS 60000u
#define SINK_FILE_BUFFER (64u << 10)

/* Zero means the default for every field. */
struct sink_options {
	size_t queue_bytes;      /* network sinks: bytes of lines kept while the peer is away (16 MiB) */
	uint32_t queue_lines;    /* and lines (65536) */
	uint32_t retry_ms;       /* at most one reconnection attempt per retry_ms (1 s) */
	uint32_t connect_ms;     /* a TCP connection still pending after this is abandoned (2 s) */
	uint32_t wait_full_ms;   /* a write to a full queue first waits up to this for room (0: drop at once).
				  * Reading files, waiting costs nothing but time; live, keep 0 */
	uint32_t report_ms;      /* sink_error_report: at most one message per report_ms (60 s) */
};

/* What a sink has done. lines_in = lines_out + lines_lost + lines_queued at every moment (lines_resent are not
 * counted twice). */
struct sink_stats {
	uint64_t lines_in;       /* lines given to sink_write */
	uint64_t lines_out;      /* delivered: written to the file, read by the socket's reader, acknowledged by Redis */
	uint64_t lines_lost;     /* dropped, each counted once: queue full, a failed write, refused by the server */
	uint64_t lines_queued;   /* accepted and not yet delivered (a file's buffer, a network sink's queue) */
	uint64_t bytes_queued;
	uint64_t lines_resent;   /* sent again to a new peer after a disconnection (may arrive twice) */
	uint64_t connects;       /* connections made (network sinks) */
	uint64_t disconnects;    /* connections lost or refused after being made */
	bool connected;          /* network sinks: a peer is there now (files and stdout: always true) */
};

enum sink_health {
	SINK_HEALTHY = 0,        /* nothing lost */
	SINK_DEGRADED,           /* lines were lost but the sink goes on: a network peer away, a failed write; live,
				  * log it (sink_error_report) and capture on; reading files, the run must end with exit 2 */
	SINK_STOPPED,            /* a file stopped after a partial line it could not take back: nothing more is
				  * written until sink_reopen (SIGHUP); reading files, exit 2 */
};

struct sink;

/* Parses spec and opens the sink: a file is opened (created 0666 & ~umask, appended to), a Unix socket or Redis
 * is connected once (a peer that is not there yet is no error: lines queue until it comes; a Redis host name is
 * resolved here, once). opt may be NULL (defaults). Returns NULL with "SPEC: reason" in err when the spec is
 * malformed, the file cannot be opened, the host cannot be resolved, or memory is short. */
struct sink *sink_open(const char *spec, const struct sink_options *opt, char *err, size_t errlen);

/* Queues one line (len bytes, no newline inside; the sink adds the newline where the kind wants one) and sends
 * what it can without blocking. Returns 0 when the line was accepted (it may still be lost later, which is then
 * counted), -1 when it was dropped at once (counted in lines_lost; sink_last_error says why): a line with a
 * newline or a NUL inside, a stopped file, a full queue, no memory. */
int sink_write(struct sink *s, const char *line, size_t len);

/* Writes out a file's buffer, or sends a network sink's queue and reconnects when due, without blocking. Also
 * the periodic tick of an idle live run (call it every second or so). Returns 0, or -1 when something was lost
 * by this call. */
int sink_flush(struct sink *s);

/* SIGHUP: a file is flushed, closed and opened again at its path (log rotation), which also ends SINK_STOPPED;
 * when the path cannot be opened, the old file is kept and -1 returned. A network sink reconnects at once. */
int sink_reopen(struct sink *s);

/* Tries for up to timeout_ms to deliver everything queued (the end of a run). Returns the lines still queued. */
uint64_t sink_drain(struct sink *s, uint32_t timeout_ms);

/* Drains for up to drain_ms, closes, counts what is still queued as lost, fills *final (may be NULL) and copies
 * the last error into err (may be NULL). Frees the sink. Returns 0 when no line was ever lost and closing
 * succeeded, -1 otherwise. s may be NULL (returns 0). */
int sink_close(struct sink *s, uint32_t drain_ms, struct sink_stats *final, char *err, size_t errlen);

void sink_get_stats(struct sink *s, struct sink_stats *st);
enum sink_health sink_health(struct sink *s);
uint64_t sink_lost(struct sink *s);

/* The last error's text into buf ("" when none); returns buf. */
const char *sink_last_error(struct sink *s, char *buf, size_t len);

/* Live logging: true at most once per report_ms, and only when lines were lost since the last message (or the
 * file stopped), with "NAME: N events lost (T in all): last error" in buf. The first loss is reported at once. */
bool sink_error_report(struct sink *s, char *buf, size_t len);

/* The spec as given (for messages and the stats event) and the kind. */
const char *sink_name(const struct sink *s);
enum sink_kind sink_kind_of(const struct sink *s);

#endif

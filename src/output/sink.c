/* sink.c: EVE line sinks (file, stdout, unix_stream, unix_dgram, Redis); the contract is in sink.h.
 *
 * Files keep a buffer of whole lines and write it with write(2); a write that stops inside a line is taken back
 * with ftruncate(2). Network sinks keep a FIFO of lines: [head, head + inflight) were handed to the peer and wait
 * for proof of delivery (Redis: its reply, one per command, in order; Unix sockets: the kernel's count of bytes
 * the reader has not consumed yet, SIOCOUTQ, which only falls when the reader reads or the peer dies, so it is
 * trusted only when the peer is then seen alive), [head + inflight, head + count) wait to be sent. */
#define _GNU_SOURCE /* POLLRDHUP */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <linux/sockios.h>

#include <hiredis/hiredis.h>

#include "output/sink.h"

#define ERR_LEN 256
#define SEND_BATCH (256u << 10)   /* bytes handed to the kernel per pump: bounds the time of one call */
#define IOV_BATCH 64
#define WAIT_SLICE_MS 2           /* sleeping step while waiting for a reader to consume */
#define DEFAULT_CONNECT_MS 2000u

enum net_state { NET_DOWN, NET_CONNECTING, NET_UP };

/* One queued line: len bytes of text, then a newline (p[len] == '\n'). wire is the length of its Redis command
 * once formatted (0 before). */
struct qline {
	char *p;
	uint32_t len;
	uint32_t wire;
};

/* Invariants: st.lines_in == st.lines_out + st.lines_lost + st.lines_queued. File kinds: st.lines_queued ==
 * buf_lines, buf[0 .. buf_len) holds exactly buf_lines whole lines. Network kinds: st.lines_queued == qcount <=
 * qcap, qbytes is the sum of their len + 1, inflight <= qcount, inflight_bytes the sum of len + 1 of the first
 * inflight lines; stream: off < len + 1 bytes of line head + inflight were sent too (0 when none); Redis: wbuf[woff
 * .. wlen) is the not yet written end of the commands of the inflight lines; sock >= 0 exactly when state !=
 * NET_DOWN. Everything is under lock. */
struct sink {
	char *name;
	enum sink_kind kind;
	struct sink_options opt;
	pthread_mutex_t lock;
	struct sink_stats st;
	char err[2 * ERR_LEN];            /* "NAME: message" */

	/* sink_error_report */
	uint64_t reported_lost;
	uint64_t last_report_ms;
	bool stopped_reported;

	/* file, stdout */
	char *path;
	int fd;
	bool regular;
	bool stopped;
	char *buf;
	size_t buf_len, buf_cap;
	uint32_t buf_lines;

	/* network */
	int sock;
	enum net_state state;
	uint64_t next_try_ms, connect_start_ms;
	struct sockaddr_un sun;
	struct addrinfo *ai, *ai_next;  /* Redis: the resolved addresses, tried in turn */
	struct qline *q;
	uint32_t qcap, qhead, qcount, inflight;
	size_t qbytes, inflight_bytes, off;
	uint64_t last_pump_ms;
	char net_err[ERR_LEN];          /* why the peer went away, for the messages about what that cost */

	/* Redis */
	enum sink_redis_mode mode;
	char *key;
	redisReader *reader;
	char *wbuf;
	size_t wlen, woff, wcap;
};

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void set_error(struct sink *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_error(struct sink *s, const char *fmt, ...)
{
	char msg[ERR_LEN];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	snprintf(s->err, sizeof s->err, "%s: %s", s->name, msg);
}

static bool is_network(const struct sink *s)
{
	return s->kind == SINK_UNIX_STREAM || s->kind == SINK_UNIX_DGRAM || s->kind == SINK_REDIS;
}

/* ---- files ---- */

/* Writes data[0 .. len), nlines whole lines, to the file. On a failure, keeps the whole lines that reached the
 * file, takes back a partial one (or stops the sink when it cannot) and counts the rest as lost. */
static int file_write_out(struct sink *s, const char *data, size_t len, uint32_t nlines)
{
	size_t done = 0;
	int e = 0, again = 0;
	while (done < len) {
		ssize_t n = write(s->fd, data + done, len - done);
		if (n > 0) {
			done += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN && again++ < 10) {
			/* a non-blocking stdout: wait for room, 20 ms at a time, 200 ms at most */
			struct pollfd pfd = { .fd = s->fd, .events = POLLOUT };
			(void)poll(&pfd, 1, 20);
			continue;
		}
		e = n < 0 ? errno : EIO;
		break;
	}
	if (done == len) {
		s->st.lines_out += nlines;
		return 0;
	}
	/* whole lines that reached the file */
	size_t whole = 0;
	uint32_t whole_lines = 0;
	for (size_t i = 0; i < done; i++)
		if (data[i] == '\n') {
			whole = i + 1;
			whole_lines++;
		}
	s->st.lines_out += whole_lines;
	s->st.lines_lost += nlines - whole_lines;
	if (done == whole) {
		set_error(s, "write: %s (%u line(s) lost)", strerror(e), nlines - whole_lines);
		return -1;
	}
	/* a partial line is in the file: cut it off, unless someone appended after it */
	size_t partial = done - whole;
	struct stat sb;
	off_t cur = s->regular ? lseek(s->fd, 0, SEEK_CUR) : (off_t)-1;
	if (cur >= (off_t)partial && fstat(s->fd, &sb) == 0 && sb.st_size == cur &&
	    ftruncate(s->fd, cur - (off_t)partial) == 0 && lseek(s->fd, cur - (off_t)partial, SEEK_SET) >= 0) {
		set_error(s, "write: %s (%u line(s) lost, the partial one removed)", strerror(e), nlines - whole_lines);
		return -1;
	}
	s->stopped = true;
	set_error(s, "write: %s (%u line(s) lost); a partial line could not be removed, writing stopped", strerror(e),
		  nlines - whole_lines);
	return -1;
}

static int file_flush(struct sink *s)
{
	if (!s->buf_len)
		return 0;
	int r = file_write_out(s, s->buf, s->buf_len, s->buf_lines);
	s->buf_len = 0;
	s->buf_lines = 0;
	s->st.lines_queued = 0;
	return r;
}

static int file_write(struct sink *s, const char *line, size_t len)
{
	if (s->stopped) {
		s->st.lines_lost++;
		return -1;
	}
	if (s->buf_len + len + 1 > s->buf_cap) {
		int r = file_flush(s);
		if (s->stopped) {
			s->st.lines_lost++;
			return -1;
		}
		(void)r;
		if (len + 1 > s->buf_cap) {
			/* a line longer than the buffer: grow it, it is the rare exception */
			char *nb = realloc(s->buf, len + 1);
			if (!nb) {
				s->st.lines_lost++;
				set_error(s, "out of memory for a line of %zu bytes (1 line lost)", len);
				return -1;
			}
			s->buf = nb;
			s->buf_cap = len + 1;
		}
	}
	memcpy(s->buf + s->buf_len, line, len);
	s->buf[s->buf_len + len] = '\n';
	s->buf_len += len + 1;
	s->buf_lines++;
	s->st.lines_queued++;
	return 0;
}

/* True when fd (opened for writing at path) is a regular file that is empty or ends with a newline. */
static bool at_line_start(int fd, const char *path, bool regular)
{
	struct stat sb;
	if (!regular || fstat(fd, &sb) != 0)
		return false;
	if (sb.st_size == 0)
		return true;
	int rfd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	char last = 0;
	bool ok = rfd >= 0 && pread(rfd, &last, 1, sb.st_size - 1) == 1 && last == '\n';
	if (rfd >= 0)
		close(rfd);
	return ok;
}

static int file_open_fd(const char *path, bool *regular, int *err)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0666);
	if (fd < 0) {
		*err = errno;
		return -1;
	}
	struct stat sb;
	*regular = fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode);
	return fd;
}

/* ---- the queue of network sinks ---- */

static struct qline *qat(struct sink *s, uint32_t i)
{
	return &s->q[(s->qhead + i) % s->qcap];
}

/* Takes the oldest line off the queue, delivered (true) or lost. */
static void qpop(struct sink *s, bool delivered)
{
	struct qline *l = qat(s, 0);
	s->qbytes -= l->len + 1u;
	free(l->p);
	l->p = NULL;
	s->qhead = (s->qhead + 1) % s->qcap;
	s->qcount--;
	s->st.lines_queued--;
	s->st.bytes_queued = s->qbytes;
	if (delivered)
		s->st.lines_out++;
	else
		s->st.lines_lost++;
}

/* Takes line i (not sent: i >= inflight) out of the queue, lost; the lines after it move up. */
static void qremove_unsent(struct sink *s, uint32_t i)
{
	struct qline *l = qat(s, i);
	s->qbytes -= l->len + 1u;
	free(l->p);
	for (; i + 1 < s->qcount; i++)
		*qat(s, i) = *qat(s, i + 1);
	qat(s, i)->p = NULL;
	s->qcount--;
	s->st.lines_queued--;
	s->st.bytes_queued = s->qbytes;
	s->st.lines_lost++;
}

static bool qroom(const struct sink *s, size_t len)
{
	return s->qcount < s->qcap && s->qbytes + len + 1 <= s->opt.queue_bytes;
}

/* ---- connections ---- */

static void net_close(struct sink *s)
{
	if (s->sock >= 0)
		close(s->sock);
	s->sock = -1;
	s->state = NET_DOWN;
	s->st.connected = false;
}

/* The peer is gone (or never came): what it may not have read goes again to the next one. */
static void net_lost_peer(struct sink *s, const char *what, int e, const char *detail)
{
	bool was_up = s->state == NET_UP;
	uint32_t maybe_sent = s->inflight;
	if (s->kind == SINK_REDIS) {
		/* commands still wholly in our buffer never left: they are not resent, only sent */
		size_t unwritten = s->wlen - s->woff;
		for (uint32_t i = s->inflight; i > 0 && unwritten >= qat(s, i - 1)->wire; i--) {
			unwritten -= qat(s, i - 1)->wire;
			maybe_sent--;
		}
		s->wlen = s->woff = 0;
		if (s->reader) {
			redisReaderFree(s->reader);
			s->reader = NULL;
		}
	} else if (s->kind == SINK_UNIX_STREAM && s->off) {
		maybe_sent++;
	}
	s->st.lines_resent += maybe_sent;
	s->inflight = 0;
	s->inflight_bytes = 0;
	s->off = 0;
	net_close(s);
	if (was_up)
		s->st.disconnects++;
	snprintf(s->net_err, sizeof s->net_err, "%s: %s", what, detail ? detail : strerror(e));
	set_error(s, "%s", s->net_err);
}

static void net_up(struct sink *s)
{
	s->state = NET_UP;
	s->st.connected = true;
	s->st.connects++;
	if (s->kind == SINK_REDIS && !s->reader)
		s->reader = redisReaderCreate();
}

static void net_try_connect(struct sink *s, uint64_t now)
{
	s->next_try_ms = now + s->opt.retry_ms;
	if (s->kind == SINK_REDIS) {
		struct addrinfo *a = s->ai_next ? s->ai_next : s->ai;
		s->ai_next = a->ai_next;
		s->sock = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
		if (s->sock < 0) {
			net_lost_peer(s, "socket", errno, NULL);
			return;
		}
		int one = 1;
		(void)setsockopt(s->sock, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);
		if (connect(s->sock, a->ai_addr, a->ai_addrlen) == 0) {
			net_up(s);
		} else if (errno == EINPROGRESS) {
			s->state = NET_CONNECTING;
			s->connect_start_ms = now;
		} else {
			net_lost_peer(s, "connect", errno, NULL);
		}
		return;
	}
	int type = s->kind == SINK_UNIX_STREAM ? SOCK_STREAM : SOCK_DGRAM;
	s->sock = socket(AF_UNIX, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->sock < 0) {
		net_lost_peer(s, "socket", errno, NULL);
		return;
	}
	/* a Unix socket connects at once or not at all (EAGAIN: the listener's backlog is full, try later) */
	if (connect(s->sock, (struct sockaddr *)&s->sun, sizeof s->sun) == 0)
		net_up(s);
	else
		net_lost_peer(s, "connect", errno, NULL);
}

/* A pending TCP connection: done, failed, or given up after connect_ms. */
static void net_check_connecting(struct sink *s, uint64_t now)
{
	struct pollfd pfd = { .fd = s->sock, .events = POLLOUT };
	if (poll(&pfd, 1, 0) > 0) {
		int soerr = 0;
		socklen_t sl = sizeof soerr;
		if (getsockopt(s->sock, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0)
			soerr = errno;
		if (soerr)
			net_lost_peer(s, "connect", soerr, NULL);
		else
			net_up(s);
		return;
	}
	if (now - s->connect_start_ms >= s->opt.connect_ms)
		net_lost_peer(s, "connect", ETIMEDOUT, NULL);
}

/* ---- pumps: deliver and confirm without blocking ---- */

/* Unix sockets: lines the reader has certainly consumed, from SIOCOUTQ (bytes still charged to our socket: at
 * least the unread ones, since a buffer's charge is never below its data). */
static uint32_t unix_consumed(struct sink *s, bool *ok)
{
	int outq = 0;
	*ok = ioctl(s->sock, SIOCOUTQ, &outq) == 0 && outq >= 0;
	if (!*ok)
		return 0;
	size_t sent = s->inflight_bytes + s->off;
	if ((size_t)outq >= sent)
		return 0;
	size_t consumed = sent - (size_t)outq, cum = 0;
	uint32_t n = 0;
	while (n < s->inflight && cum + qat(s, n)->len + 1u <= consumed) {
		cum += qat(s, n)->len + 1u;
		n++;
	}
	return n;
}

static void release(struct sink *s, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		s->inflight_bytes -= qat(s, 0)->len + 1u;
		s->inflight--;
		qpop(s, true);
	}
}

/* The stream's reader closed. The kernel sets ECONNRESET on our socket when the reader left bytes unread (or never
 * accepted the connection); without it, the reader had read every byte, so the whole lines sent are delivered
 * and only a line cut by the close goes again, whole, to the next reader. */
static void unix_stream_gone(struct sink *s, int send_errno)
{
	int soerr = 0;
	socklen_t sl = sizeof soerr;
	/* a send reports that error itself (and clears it): ECONNRESET; EPIPE means it was not set */
	if (send_errno == ECONNRESET)
		soerr = ECONNRESET;
	else if (getsockopt(s->sock, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0)
		soerr = errno;
	if (soerr == 0)
		release(s, s->inflight);
	if (soerr)
		net_lost_peer(s, "peer", soerr, "the reader went away with lines unread");
	else if (send_errno && send_errno != EPIPE)
		net_lost_peer(s, "send", send_errno, NULL);
	else
		net_lost_peer(s, "peer", 0, "the reader closed the socket");
}

static void pump_unix_stream(struct sink *s)
{
	bool ok;
	uint32_t consumed = unix_consumed(s, &ok);
	/* a closed peer sets our socket's shutdown state (POLLHUP), and the death of a peer also frees what it had
	 * not read, so the count above is trusted only if the peer is still there after it was taken */
	struct pollfd pfd = { .fd = s->sock, .events = POLLOUT | POLLRDHUP };
	if (poll(&pfd, 1, 0) > 0 && (pfd.revents & (POLLHUP | POLLERR | POLLRDHUP))) {
		unix_stream_gone(s, 0);
		return;
	}
	if (ok)
		release(s, consumed);
	size_t budget = SEND_BATCH;
	while (s->inflight < s->qcount && budget) {
		struct iovec iov[IOV_BATCH];
		int n = 0;
		size_t total = 0;
		for (uint32_t i = s->inflight; i < s->qcount && n < IOV_BATCH && total < budget; i++, n++) {
			struct qline *l = qat(s, i);
			size_t skip = i == s->inflight ? s->off : 0;
			iov[n].iov_base = l->p + skip;
			iov[n].iov_len = l->len + 1u - skip;
			total += iov[n].iov_len;
		}
		struct msghdr mh = { .msg_iov = iov, .msg_iovlen = (size_t)n };
		ssize_t w = sendmsg(s->sock, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			if (errno == EPIPE || errno == ECONNRESET)
				unix_stream_gone(s, errno);
			else
				net_lost_peer(s, "send", errno, NULL);
			return;
		}
		size_t left = (size_t)w;
		budget = left >= budget ? 0 : budget - left;
		while (left) {
			struct qline *l = qat(s, s->inflight);
			size_t rest = l->len + 1u - s->off;
			if (left >= rest) {
				left -= rest;
				s->off = 0;
				s->inflight++;
				s->inflight_bytes += l->len + 1u;
			} else {
				s->off += left;
				left = 0;
			}
		}
		if ((size_t)w < total)
			return; /* the socket is full */
	}
}

static void pump_unix_dgram(struct sink *s, bool final)
{
	bool ok;
	uint32_t consumed = unix_consumed(s, &ok);
	/* a dead reader frees its unread datagrams, which looks like reading them; only a datagram sent after the
	 * count was taken proves the reader alive (the kernel refuses it otherwise) */
	bool proven = false;
	size_t budget = SEND_BATCH;
	while (s->inflight < s->qcount && budget) {
		struct qline *l = qat(s, s->inflight);
		ssize_t w = send(s->sock, l->p, l->len + 1u, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS)
				break;
			if (errno == EMSGSIZE) {
				/* longer than a datagram can be: this line can never be delivered */
				set_error(s, "send: %s (a line of %u bytes lost)", strerror(errno), l->len);
				qremove_unsent(s, s->inflight);
				continue;
			}
			net_lost_peer(s, "send", errno, NULL);
			return;
		}
		proven = true;
		s->inflight++;
		s->inflight_bytes += l->len + 1u;
		budget = (size_t)w >= budget ? 0 : budget - (size_t)w;
	}
	if (ok && (proven || final))
		release(s, consumed);
}

static void pump_redis(struct sink *s)
{
	/* replies first: each acknowledges the oldest command */
	for (;;) {
		char rb[16384];
		ssize_t n = recv(s->sock, rb, sizeof rb, MSG_DONTWAIT);
		if (n == 0) {
			net_lost_peer(s, "recv", 0, "the server closed the connection");
			return;
		}
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			net_lost_peer(s, "recv", errno, NULL);
			return;
		}
		if (redisReaderFeed(s->reader, rb, (size_t)n) != REDIS_OK) {
			net_lost_peer(s, "reply", 0, s->reader->errstr);
			return;
		}
		for (;;) {
			void *r = NULL;
			if (redisReaderGetReply(s->reader, &r) != REDIS_OK) {
				net_lost_peer(s, "reply", 0, s->reader->errstr);
				return;
			}
			if (!r)
				break;
			redisReply *rep = r;
			if (s->inflight == 0) {
				freeReplyObject(r);
				net_lost_peer(s, "reply", 0, "a reply to no command");
				return;
			}
			bool refused = rep->type == REDIS_REPLY_ERROR;
			if (refused)
				set_error(s, "the server refused a line: %.*s", (int)(rep->len > 160 ? 160 : rep->len),
					  rep->str ? rep->str : "");
			freeReplyObject(r);
			s->inflight_bytes -= qat(s, 0)->len + 1u;
			s->inflight--;
			qpop(s, !refused);
		}
		if ((size_t)n < sizeof rb)
			break;
	}
	/* then commands for the lines not sent yet, as much as SEND_BATCH ahead */
	static const char *const verb[] = { "LPUSH", "RPUSH", "PUBLISH" };
	if (s->woff) {
		memmove(s->wbuf, s->wbuf + s->woff, s->wlen - s->woff);
		s->wlen -= s->woff;
		s->woff = 0;
	}
	while (s->inflight < s->qcount && s->wlen - s->woff < SEND_BATCH) {
		struct qline *l = qat(s, s->inflight);
		const char *argv[3] = { verb[s->mode], s->key, l->p };
		size_t argvlen[3] = { strlen(verb[s->mode]), strlen(s->key), l->len };
		char *cmd = NULL;
		int clen = redisFormatCommandArgv(&cmd, 3, argv, argvlen);
		if (clen < 0 || !cmd) {
			set_error(s, "out of memory formatting a command");
			break;
		}
		if (s->wlen + (size_t)clen > s->wcap) {
			size_t ncap = s->wcap ? s->wcap : 65536;
			while (ncap < s->wlen + (size_t)clen)
				ncap *= 2;
			char *nb = realloc(s->wbuf, ncap);
			if (!nb) {
				redisFreeCommand(cmd);
				set_error(s, "out of memory for the command buffer");
				break;
			}
			s->wbuf = nb;
			s->wcap = ncap;
		}
		memcpy(s->wbuf + s->wlen, cmd, (size_t)clen);
		s->wlen += (size_t)clen;
		redisFreeCommand(cmd);
		l->wire = (uint32_t)clen;
		s->inflight++;
		s->inflight_bytes += l->len + 1u;
	}
	while (s->woff < s->wlen) {
		ssize_t w = send(s->sock, s->wbuf + s->woff, s->wlen - s->woff, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			net_lost_peer(s, "send", errno, NULL);
			return;
		}
		s->woff += (size_t)w;
	}
	if (s->woff == s->wlen)
		s->wlen = s->woff = 0;
}

/* One round of work on a network sink: connect when due, deliver, confirm. Never blocks. */
static void net_pump(struct sink *s, bool final)
{
	uint64_t now = now_ms();
	s->last_pump_ms = now;
	if (s->state == NET_DOWN && now >= s->next_try_ms)
		net_try_connect(s, now);
	if (s->state == NET_CONNECTING)
		net_check_connecting(s, now);
	if (s->state != NET_UP)
		return;
	if (s->kind == SINK_UNIX_STREAM)
		pump_unix_stream(s);
	else if (s->kind == SINK_UNIX_DGRAM)
		pump_unix_dgram(s, final);
	else
		pump_redis(s);
}

/* Pumps until done(s) or the deadline, sleeping in short slices (the lock stays held: writers wait too). */
static void net_wait(struct sink *s, uint64_t deadline, bool final, bool (*done)(const struct sink *, size_t),
		     size_t arg)
{
	for (;;) {
		net_pump(s, final);
		if (done(s, arg))
			return;
		uint64_t now = now_ms();
		if (now >= deadline)
			return;
		int slice = WAIT_SLICE_MS;
		if (s->state == NET_DOWN) {
			uint64_t until = s->next_try_ms < deadline ? s->next_try_ms : deadline;
			slice = until > now ? (int)(until - now) : 0;
			if (slice > 50)
				slice = 50;
		}
		if (s->state != NET_DOWN && s->kind == SINK_REDIS) {
			struct pollfd pfd = { .fd = s->sock, .events = POLLIN | (s->woff < s->wlen ? POLLOUT : 0) };
			(void)poll(&pfd, 1, slice);
		} else {
			struct timespec ts = { 0, (long)slice * 1000000L };
			nanosleep(&ts, NULL);
		}
	}
}

static bool has_room(const struct sink *s, size_t len)
{
	return qroom(s, len);
}

static bool is_empty(const struct sink *s, size_t unused)
{
	(void)unused;
	return s->qcount == 0;
}

static int net_write(struct sink *s, const char *line, size_t len)
{
	if (!qroom(s, len)) {
		net_pump(s, false);
		if (!qroom(s, len) && s->opt.wait_full_ms)
			net_wait(s, now_ms() + s->opt.wait_full_ms, false, has_room, len);
		if (!qroom(s, len)) {
			s->st.lines_lost++;
			if (s->state != NET_UP)
				set_error(s, "queue full (%u lines, %zu bytes) while the peer is away (%s)", s->qcount,
					  s->qbytes, s->net_err[0] ? s->net_err : "not connected yet");
			else
				set_error(s, "queue full (%u lines, %zu bytes): the peer reads too slowly", s->qcount,
					  s->qbytes);
			return -1;
		}
	}
	char *p = malloc(len + 1);
	if (!p) {
		s->st.lines_lost++;
		set_error(s, "out of memory for a line of %zu bytes (1 line lost)", len);
		return -1;
	}
	memcpy(p, line, len);
	p[len] = '\n';
	struct qline *l = qat(s, s->qcount);
	l->p = p;
	l->len = (uint32_t)len;
	l->wire = 0;
	s->qcount++;
	s->qbytes += len + 1;
	s->st.lines_queued++;
	s->st.bytes_queued = s->qbytes;
	/* send at once unless this is a burst: then once a millisecond, or every SEND_BATCH bytes */
	if (now_ms() != s->last_pump_ms || s->qbytes - s->inflight_bytes >= SEND_BATCH)
		net_pump(s, false);
	return 0;
}

/* ---- parsing the spec ---- */

static bool parse_redis(struct sink *s, const char *url, char *err, size_t errlen)
{
	const char *p = url + strlen("redis://");
	char host[256];
	const char *hend;
	if (*p == '[') {
		hend = strchr(p, ']');
		if (!hend) {
			snprintf(err, errlen, "%s: an IPv6 address in brackets lacks its ']'", url);
			return false;
		}
		p++;
	} else {
		hend = p + strcspn(p, ":/?");
	}
	size_t hl = (size_t)(hend - p);
	if (hl == 0 || hl >= sizeof host) {
		snprintf(err, errlen, "%s: no host (redis://HOST[:PORT]/KEY[?mode=lpush|rpush|publish])", url);
		return false;
	}
	memcpy(host, p, hl);
	host[hl] = '\0';
	p = hend + (*hend == ']');
	char port[8] = "6379";
	if (*p == ':') {
		p++;
		size_t pl = strspn(p, "0123456789");
		long v = pl && pl < 6 ? strtol(p, NULL, 10) : 0;
		if (v < 1 || v > 65535) {
			snprintf(err, errlen, "%s: the port must be a number from 1 to 65535", url);
			return false;
		}
		snprintf(port, sizeof port, "%ld", v);
		p += pl;
	}
	if (*p != '/' || p[1] == '\0' || p[1] == '?') {
		snprintf(err, errlen, "%s: no key (redis://HOST[:PORT]/KEY[?mode=lpush|rpush|publish])", url);
		return false;
	}
	p++;
	size_t kl = strcspn(p, "?");
	s->key = strndup(p, kl);
	p += kl;
	s->mode = SINK_REDIS_LPUSH;
	if (*p == '?') {
		p++;
		if (strcmp(p, "mode=lpush") == 0 || strcmp(p, "mode=list") == 0)
			s->mode = SINK_REDIS_LPUSH;
		else if (strcmp(p, "mode=rpush") == 0)
			s->mode = SINK_REDIS_RPUSH;
		else if (strcmp(p, "mode=publish") == 0 || strcmp(p, "mode=channel") == 0)
			s->mode = SINK_REDIS_PUBLISH;
		else {
			snprintf(err, errlen, "%s: unknown option '%s' (mode=lpush, rpush or publish)", url, p);
			return false;
		}
	}
	if (!s->key) {
		snprintf(err, errlen, "%s: out of memory", url);
		return false;
	}
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_ADDRCONFIG };
	int rc = getaddrinfo(host, port, &hints, &s->ai);
	if (rc != 0) {
		snprintf(err, errlen, "%s: cannot resolve %s: %s", url, host, gai_strerror(rc));
		s->ai = NULL;
		return false;
	}
	return true;
}

static bool parse_unix(struct sink *s, const char *path, const char *spec, char *err, size_t errlen)
{
	if (!*path) {
		snprintf(err, errlen, "%s: no socket path", spec);
		return false;
	}
	if (strlen(path) >= sizeof s->sun.sun_path) {
		snprintf(err, errlen, "%s: the socket path is longer than %zu bytes", spec, sizeof s->sun.sun_path - 1);
		return false;
	}
	s->sun.sun_family = AF_UNIX;
	strcpy(s->sun.sun_path, path);
	return true;
}

static void sink_free(struct sink *s)
{
	if (!s)
		return;
	if (s->q) {
		while (s->qcount)
			qpop(s, false);
		free(s->q);
	}
	if (s->ai)
		freeaddrinfo(s->ai);
	if (s->reader)
		redisReaderFree(s->reader);
	if (s->sock >= 0)
		close(s->sock);
	free(s->wbuf);
	free(s->key);
	free(s->buf);
	free(s->path);
	free(s->name);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

struct sink *sink_open(const char *spec, const struct sink_options *opt, char *err, size_t errlen)
{
	struct sink *s = calloc(1, sizeof *s);
	if (!s || !(s->name = strdup(spec))) {
		snprintf(err, errlen, "%s: out of memory", spec);
		free(s);
		return NULL;
	}
	pthread_mutex_init(&s->lock, NULL);
	s->fd = -1;
	s->sock = -1;
	if (opt)
		s->opt = *opt;
	if (!s->opt.queue_bytes)
		s->opt.queue_bytes = SINK_DEFAULT_QUEUE_BYTES;
	if (!s->opt.queue_lines)
		s->opt.queue_lines = SINK_DEFAULT_QUEUE_LINES;
	if (!s->opt.retry_ms)
		s->opt.retry_ms = SINK_DEFAULT_RETRY_MS;
	if (!s->opt.connect_ms)
		s->opt.connect_ms = DEFAULT_CONNECT_MS;
	if (!s->opt.report_ms)
		s->opt.report_ms = SINK_DEFAULT_REPORT_MS;
	s->st.connected = true;

	bool ok = true;
	if (strncmp(spec, "unix_stream:", 12) == 0) {
		s->kind = SINK_UNIX_STREAM;
		ok = parse_unix(s, spec + 12, spec, err, errlen);
	} else if (strncmp(spec, "unix_dgram:", 11) == 0) {
		s->kind = SINK_UNIX_DGRAM;
		ok = parse_unix(s, spec + 11, spec, err, errlen);
	} else if (strncmp(spec, "redis://", 8) == 0) {
		s->kind = SINK_REDIS;
		ok = parse_redis(s, spec, err, errlen);
	} else if (strcmp(spec, "-") == 0) {
		s->kind = SINK_STDOUT;
		s->fd = STDOUT_FILENO;
		struct stat sb;
		s->regular = fstat(s->fd, &sb) == 0 && S_ISREG(sb.st_mode);
	} else if (!*spec) {
		snprintf(err, errlen, "an empty output name");
		ok = false;
	} else {
		int e = 0;
		s->kind = SINK_FILE;
		s->path = strdup(spec);
		s->fd = s->path ? file_open_fd(spec, &s->regular, &e) : -1;
		if (s->fd < 0) {
			snprintf(err, errlen, "%s: cannot open for appending: %s", spec, strerror(s->path ? e : ENOMEM));
			ok = false;
		}
	}
	if (ok && !is_network(s)) {
		s->buf_cap = SINK_FILE_BUFFER;
		s->buf = malloc(s->buf_cap);
		if (!s->buf) {
			snprintf(err, errlen, "%s: out of memory", spec);
			ok = false;
		}
	}
	if (ok && is_network(s)) {
		s->qcap = s->opt.queue_lines;
		s->q = calloc(s->qcap, sizeof *s->q);
		if (!s->q) {
			snprintf(err, errlen, "%s: out of memory for a queue of %u lines", spec, s->qcap);
			ok = false;
		}
	}
	if (!ok) {
		if (s->kind == SINK_FILE && s->fd >= 0)
			close(s->fd);
		sink_free(s);
		return NULL;
	}
	if (is_network(s)) {
		s->st.connected = false;
		net_try_connect(s, now_ms());
		if (s->state == NET_UP || s->state == NET_CONNECTING)
			s->err[0] = '\0';
	}
	return s;
}

int sink_write(struct sink *s, const char *line, size_t len)
{
	pthread_mutex_lock(&s->lock);
	s->st.lines_in++;
	int r;
	if (memchr(line, '\n', len) || memchr(line, '\0', len) || len > UINT32_MAX - 1) {
		s->st.lines_lost++;
		set_error(s, "a line with a newline or a NUL inside, or too long (1 line lost)");
		r = -1;
	} else if (is_network(s)) {
		r = net_write(s, line, len);
	} else {
		r = file_write(s, line, len);
	}
	pthread_mutex_unlock(&s->lock);
	return r;
}

int sink_flush(struct sink *s)
{
	pthread_mutex_lock(&s->lock);
	uint64_t lost = s->st.lines_lost;
	if (is_network(s))
		net_pump(s, false);
	else
		(void)file_flush(s);
	int r = s->st.lines_lost == lost ? 0 : -1;
	pthread_mutex_unlock(&s->lock);
	return r;
}

int sink_reopen(struct sink *s)
{
	pthread_mutex_lock(&s->lock);
	int r = 0;
	if (s->kind == SINK_FILE) {
		(void)file_flush(s);
		bool regular;
		int e = 0;
		int fd = file_open_fd(s->path, &regular, &e);
		if (fd < 0) {
			set_error(s, "cannot open again for appending: %s (the old file is kept)", strerror(e));
			r = -1;
		} else {
			if (close(s->fd) != 0)
				set_error(s, "close before reopening: %s", strerror(errno));
			s->fd = fd;
			s->regular = regular;
			/* a stopped sink writes again only where no partial line of ours can be: a new or empty file, or
			 * one that ends on a whole line (not a FIFO or a device: its reader may hold the partial one) */
			if (s->stopped && at_line_start(fd, s->path, regular)) {
				s->stopped = false;
				s->stopped_reported = false;
			} else if (s->stopped) {
				set_error(s, "opened again, but it may end inside a line: writing stays stopped");
				r = -1;
			}
		}
	} else if (s->kind == SINK_STDOUT) {
		r = file_flush(s);
	} else {
		/* a working connection is kept (SIGHUP also reloads the signatures); one that is down is tried now */
		if (s->state == NET_DOWN)
			s->next_try_ms = 0;
		net_pump(s, false);
	}
	pthread_mutex_unlock(&s->lock);
	return r;
}

uint64_t sink_drain(struct sink *s, uint32_t timeout_ms)
{
	pthread_mutex_lock(&s->lock);
	if (is_network(s)) {
		net_wait(s, now_ms() + timeout_ms, true, is_empty, 0);
	} else {
		(void)file_flush(s);
	}
	uint64_t left = s->st.lines_queued;
	pthread_mutex_unlock(&s->lock);
	return left;
}

int sink_close(struct sink *s, uint32_t drain_ms, struct sink_stats *final, char *err, size_t errlen)
{
	if (!s)
		return 0;
	uint64_t left = sink_drain(s, drain_ms);
	pthread_mutex_lock(&s->lock);
	bool close_failed = false;
	if (left) {
		set_error(s, "%llu line(s) still queued at the end, lost (%s)", (unsigned long long)left,
			  s->net_err[0] ? s->net_err : "the peer did not take them in time");
		while (s->qcount)
			qpop(s, false);
		s->st.lines_lost += s->buf_lines;
		s->st.lines_queued -= s->buf_lines;
		s->buf_lines = 0;
	}
	if (s->kind == SINK_FILE) {
		if (close(s->fd) != 0) {
			set_error(s, "close: %s", strerror(errno));
			close_failed = true;
		}
		s->fd = -1;
	}
	if (is_network(s))
		net_close(s);
	int r = s->st.lines_lost || close_failed ? -1 : 0;
	if (final)
		*final = s->st;
	if (err && errlen)
		snprintf(err, errlen, "%s", r ? s->err : "");
	pthread_mutex_unlock(&s->lock);
	sink_free(s);
	return r;
}

void sink_get_stats(struct sink *s, struct sink_stats *st)
{
	pthread_mutex_lock(&s->lock);
	*st = s->st;
	pthread_mutex_unlock(&s->lock);
}

enum sink_health sink_health(struct sink *s)
{
	pthread_mutex_lock(&s->lock);
	enum sink_health h = s->stopped ? SINK_STOPPED : s->st.lines_lost ? SINK_DEGRADED : SINK_HEALTHY;
	pthread_mutex_unlock(&s->lock);
	return h;
}

uint64_t sink_lost(struct sink *s)
{
	pthread_mutex_lock(&s->lock);
	uint64_t n = s->st.lines_lost;
	pthread_mutex_unlock(&s->lock);
	return n;
}

const char *sink_last_error(struct sink *s, char *buf, size_t len)
{
	pthread_mutex_lock(&s->lock);
	snprintf(buf, len, "%s", s->err);
	pthread_mutex_unlock(&s->lock);
	return buf;
}

bool sink_error_report(struct sink *s, char *buf, size_t len)
{
	pthread_mutex_lock(&s->lock);
	uint64_t now = now_ms();
	uint64_t fresh = s->st.lines_lost - s->reported_lost;
	bool stop_news = s->stopped && !s->stopped_reported;
	bool due = (fresh || stop_news) && (!s->last_report_ms || now - s->last_report_ms >= s->opt.report_ms);
	if (due) {
		snprintf(buf, len, "%s: %llu event(s) lost (%llu in all)%s: %s", s->name, (unsigned long long)fresh,
			 (unsigned long long)s->st.lines_lost, s->stopped ? ", writing stopped until reopened" : "",
			 s->err[0] ? s->err + strlen(s->name) + 2 : "no error text");
		s->reported_lost = s->st.lines_lost;
		s->stopped_reported = s->stopped;
		s->last_report_ms = now ? now : 1;
	}
	pthread_mutex_unlock(&s->lock);
	return due;
}

const char *sink_name(const struct sink *s)
{
	return s->name;
}

enum sink_kind sink_kind_of(const struct sink *s)
{
	return s->kind;
}

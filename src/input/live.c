/* live.c: live capture, several interfaces and workers, Linux PACKET_FANOUT. */
#include <errno.h>
#include <linux/if_packet.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "decode/decode.h"
#include "input/live.h"

#define LIVE_BATCH 256        /* packets per pcap_dispatch: bounds the time a batch holds the worker's lock */
#define LIVE_POLL_MS 200
#define LIVE_BLOCK_TIMEOUT_MS 100
#define LIVE_DEFAULT_BUFFER_MB 32

struct live_handle {
	pcap_t *p;
	const char *iface;
	int fd;
	int linktype;
};

struct live {
	unsigned workers, nifaces;
	struct live_handle *h;  /* [worker * nifaces + iface] */
	volatile sig_atomic_t stop;
};

struct batch_ctx {
	capture_fn fn;
	void *ctx;
	int linktype;
	unsigned iface;   /* the handle's interface, as the options list them */
};

static uint64_t wall_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static bool open_handle(struct live_handle *h, const char *iface, const struct live_options *o, int fanout_id,
			char *err, size_t errlen)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	h->iface = iface;
	h->p = pcap_create(iface, ebuf);
	if (!h->p) {
		snprintf(err, errlen, "%s: %s", iface, ebuf);
		return false;
	}
	pcap_set_snaplen(h->p, o->snaplen > 0 ? o->snaplen : 262144);
	pcap_set_promisc(h->p, 1);
	/* not immediate mode: libpcap then uses TPACKET_V2 with one ring slot per snaplen, so a 2 MiB ring holds 8
	 * packets; TPACKET_V3 packs packets into blocks, handed over when full or after the timeout */
	pcap_set_timeout(h->p, LIVE_BLOCK_TIMEOUT_MS);
	pcap_set_buffer_size(h->p, (o->buffer_mb > 0 ? o->buffer_mb : LIVE_DEFAULT_BUFFER_MB) * 1024 * 1024);
	int rc = pcap_activate(h->p);
	if (rc < 0) {
		snprintf(err, errlen, "%s: cannot capture: %s", iface, pcap_geterr(h->p));
		return false;
	}
	if (o->bpf && *o->bpf) {
		struct bpf_program prog;
		if (pcap_compile(h->p, &prog, o->bpf, 1, PCAP_NETMASK_UNKNOWN) < 0) {
			snprintf(err, errlen, "%s: bad filter '%s': %s", iface, o->bpf, pcap_geterr(h->p));
			return false;
		}
		rc = pcap_setfilter(h->p, &prog);
		pcap_freecode(&prog);
		if (rc < 0) {
			snprintf(err, errlen, "%s: cannot set filter: %s", iface, pcap_geterr(h->p));
			return false;
		}
	}
	if (pcap_setnonblock(h->p, 1, ebuf) < 0) {
		snprintf(err, errlen, "%s: %s", iface, ebuf);
		return false;
	}
	h->fd = pcap_get_selectable_fd(h->p);
	h->linktype = pcap_datalink(h->p);
	if (!decode_linktype_supported(h->linktype)) {
		snprintf(err, errlen, "%s: link type %d (%s) is not one cmflow decodes: it reads Ethernet, Linux cooked "
			 "and raw IP interfaces", iface, h->linktype,
			 pcap_datalink_val_to_name(h->linktype) ? pcap_datalink_val_to_name(h->linktype) : "unnamed");
		return false;
	}
	if (fanout_id >= 0) {
		/* group id in the low 16 bits, mode and flags in the high ones */
		int val = (fanout_id & 0xffff) | (PACKET_FANOUT_HASH << 16);
		if (setsockopt(h->fd, SOL_PACKET, PACKET_FANOUT, &val, sizeof val) < 0) {
			snprintf(err, errlen, "%s: cannot join the fanout group: %s", iface, strerror(errno));
			return false;
		}
	}
	return true;
}

struct live *live_open(const struct live_options *o, char *err, size_t errlen)
{
	struct live *l = calloc(1, sizeof *l);
	if (!l || !o->nifaces || !o->workers) {
		snprintf(err, errlen, "no interface or no worker");
		free(l);
		return NULL;
	}
	l->workers = o->workers;
	l->nifaces = o->nifaces;
	l->h = calloc((size_t)o->workers * o->nifaces, sizeof *l->h);
	if (!l->h) {
		snprintf(err, errlen, "out of memory");
		free(l);
		return NULL;
	}
	for (unsigned w = 0; w < o->workers; w++)
		for (unsigned i = 0; i < o->nifaces; i++) {
			/* one fanout group per interface, unique to this process */
			int fanout_id = o->workers > 1 ? (int)(((unsigned)getpid() + i * 7919u) & 0xffff) : -1;
			if (!open_handle(&l->h[w * o->nifaces + i], o->ifaces[i], o, fanout_id, err, errlen)) {
				live_close(l);
				return NULL;
			}
		}
	return l;
}

static void on_packet(u_char *user, const struct pcap_pkthdr *h, const u_char *data)
{
	struct batch_ctx *b = (struct batch_ctx *)user;
	b->fn(b->ctx, b->linktype, b->iface, h, data);
}

bool live_run_worker(struct live *l, unsigned w, capture_fn fn, live_tick_fn tick, void *ctx,
		     void (*lock)(void *ctx), void (*unlock)(void *ctx), char *err, size_t errlen)
{
	struct live_handle *hs = &l->h[w * l->nifaces];
	struct pollfd pfd[16];
	unsigned n = l->nifaces < 16 ? l->nifaces : 16;
	for (unsigned i = 0; i < n; i++)
		pfd[i] = (struct pollfd){ .fd = hs[i].fd, .events = POLLIN };
	while (!l->stop) {
		int rc = poll(pfd, n, LIVE_POLL_MS);
		if (rc < 0 && errno != EINTR) {
			snprintf(err, errlen, "poll: %s", strerror(errno));
			return false;
		}
		if (lock)
			lock(ctx);
		bool ok = true;
		for (unsigned i = 0; i < n && ok; i++) {
			struct batch_ctx b = { fn, ctx, hs[i].linktype, i };
			/* in non-blocking mode pcap_dispatch returns what is ready now, 0 when nothing is */
			int got = pcap_dispatch(hs[i].p, LIVE_BATCH, on_packet, (u_char *)&b);
			if (got < 0 && got != PCAP_ERROR_BREAK) {
				snprintf(err, errlen, "%s: capture failed: %s", hs[i].iface, pcap_geterr(hs[i].p));
				ok = false;
			}
		}
		tick(ctx, wall_us());
		if (unlock)
			unlock(ctx);
		if (!ok)
			return false;
	}
	return true;
}

void live_stop(struct live *l)
{
	l->stop = 1;
}

void live_stats(struct live *l, uint64_t *received, uint64_t *dropped, uint64_t *ifdropped)
{
	*received = *dropped = *ifdropped = 0;
	for (unsigned i = 0; i < l->workers * l->nifaces; i++) {
		struct pcap_stat ps;
		if (l->h[i].p && pcap_stats(l->h[i].p, &ps) == 0) {
			*received += ps.ps_recv;
			*dropped += ps.ps_drop;
			*ifdropped += ps.ps_ifdrop;
		}
	}
}

int live_linktype(const struct live *l)
{
	return l->h[0].linktype;
}

void live_close(struct live *l)
{
	if (!l)
		return;
	for (unsigned i = 0; i < l->workers * l->nifaces; i++)
		if (l->h[i].p)
			pcap_close(l->h[i].p);
	free(l->h);
	free(l);
}

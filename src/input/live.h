/* live.h: live capture on one or more interfaces, spread over worker threads.
 *
 * Each worker owns one pcap handle per interface. With more than one worker, the handles of an interface join
 * one PACKET_FANOUT group in hash mode: the kernel's flow hash is symmetric, so both directions of a
 * conversation reach the same worker (IP fragments after the first carry no ports and may go elsewhere; they
 * are then counted as fragments without their first). */
#ifndef CMFLOW_LIVE_H
#define CMFLOW_LIVE_H

#include <stdbool.h>
#include <stdint.h>

#include "input/capture.h"

struct live_options {
	const char *const *ifaces;
	unsigned nifaces;
	const char *bpf;
	int snaplen;      /* 0 = 262144 */
	int buffer_mb;    /* kernel ring per handle; 0 = 32 MiB */
	unsigned workers; /* >= 1 */
};

struct live;

/* Opens every handle (workers x interfaces), activates, filters and joins the fanout groups. Needs the
 * capture privilege; privileges may be dropped afterwards. NULL and a message naming the interface on error. */
struct live *live_open(const struct live_options *o, char *err, size_t errlen);

/* Called by a worker between packet batches (at least every 200 ms) with the wall clock, so that idle flows
 * end in live mode even when no packet comes. */
typedef void (*live_tick_fn)(void *ctx, uint64_t now_us);

/* Worker w's loop: packets to fn, ticks to tick, until live_stop(). Returns false with a message on a capture
 * error. fn and tick are called by this thread only; lock/unlock (may be NULL) wrap each batch so that another
 * thread can look at the worker's state between batches. */
bool live_run_worker(struct live *l, unsigned w, capture_fn fn, live_tick_fn tick, void *ctx,
		     void (*lock)(void *ctx), void (*unlock)(void *ctx), char *err, size_t errlen);

/* Makes every worker return soon (async-signal-safe). */
void live_stop(struct live *l);

/* Kernel counters summed over all handles (pcap_stats). */
void live_stats(struct live *l, uint64_t *received, uint64_t *dropped, uint64_t *ifdropped);

/* The link type of the first interface. */
int live_linktype(const struct live *l);

void live_close(struct live *l);

#endif

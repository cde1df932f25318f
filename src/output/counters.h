/* counters.h: the run's counters, described once. struct run_stats holds them (summed over the capture workers);
 * run_counters[] names each one where the EVE stats event writes it (Suricata's stats tree where one exists,
 * cmflow's own under "cmflow") and, for those the text summary shows, with the summary's words. The engine sums
 * with run_stats_add, the EVE writer and the summary walk the table: a new counter is one field and one row. */
#ifndef CMFLOW_COUNTERS_H
#define CMFLOW_COUNTERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "decode/stats.h"

/* Invariant: every member but `live` is a uint64_t counter (run_stats_add sums them as an array). */
struct run_stats {
	struct decode_stats decoder;
	/* flows, from the flow tables */
	uint64_t flows_created, flows_timed_out, flows_evicted, flows_flushed, flows_reused;
	uint64_t flows_tcp, flows_udp, flows_icmpv4, flows_icmpv6, flows_other;
	uint64_t flows_active, flows_max_active, capacity;
	uint64_t frag_untracked;       /* non-first fragments whose first fragment was not seen */
	uint64_t workers;
	/* live capture: the kernel's counters (valid when live) */
	uint64_t kernel_packets, kernel_drops, kernel_ifdrops;
	/* verdicts of flows, and alert events by the verdict of their finding (index: enum verdict) */
	uint64_t verdicts[4], alerts[4];
	/* outputs: events that could not be written (a full disk, a Redis server away past its queue ...) */
	uint64_t lost_events;
	/* SMB and DCE/RPC (smbrpc.h): what flows' bounds left out (interfaces, shares, files, pipes), walkers stopped
	 * at their packet bound */
	uint64_t smbrpc_dropped[4], smbrpc_cut;
	/* detections over sequences of flows (detect.h): alerts written; the shared table's occurrences, sequences
	 * evicted while under way, aged out unfinished, occurrences pushed out */
	uint64_t detections, detect_occurrences, detect_evicted, detect_expired, detect_occ_dropped;
	uint64_t detect_challenges, detect_challenges_evicted; /* the relay matcher's NTLM challenges kept, pushed out */
	/* TLS handshakes read for their client-authentication posture, those not read (the readers' bound, memory
	 * short), and the readers' own bound reached */
	uint64_t tls_handshakes, tls_not_read, tls_bound_hits;
	bool live;
};

#define COUNTER_LIVE 0x1    /* only meaningful live (the kernel's counters) */
#define COUNTER_NONZERO 0x2 /* written only when not zero (malformed packets by reason) */

/* One counter: its dotted EVE path ("stats.decoder.pkts", "cmflow.flows.created"), where it is in struct
 * run_stats, its flags, and the summary's words for it (NULL: not in the summary). */
struct counter {
	const char *path;
	size_t offset;
	unsigned flags;
	const char *summary;
};

/* Every counter, in the order the stats event writes them (the counters of one object are contiguous); *n is
 * set to their number. */
const struct counter *counters_all(size_t *n);

/* The value of a counter of s. */
static inline uint64_t counter_value(const struct run_stats *s, const struct counter *c)
{
	return *(const uint64_t *)((const char *)s + c->offset);
}

/* Adds every counter of src to dst (live and the kernel's counters are the caller's). */
void run_stats_add(struct run_stats *dst, const struct run_stats *src);

#endif

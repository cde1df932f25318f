/* counters.c: the table of the run's counters (counters.h). */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "decode/decode.h"
#include "output/counters.h"

#define AT(field) offsetof(struct run_stats, field)
#define DEC(field) (offsetof(struct run_stats, decoder) + offsetof(struct decode_stats, field))

static const struct counter fixed[] = {
	{ "stats.capture.kernel_packets", AT(kernel_packets), COUNTER_LIVE, "packets seen by the kernel" },
	{ "stats.capture.kernel_drops", AT(kernel_drops), COUNTER_LIVE, "packets dropped by the kernel" },
	{ "stats.capture.kernel_ifdrops", AT(kernel_ifdrops), COUNTER_LIVE, NULL },
	{ "stats.decoder.pkts", DEC(pkts), 0, "packets" },
	{ "stats.decoder.bytes", DEC(bytes), 0, "bytes" },
	{ "stats.decoder.ethernet", DEC(ethernet), 0, NULL },
	{ "stats.decoder.vlan", DEC(vlan), 0, NULL },
	{ "stats.decoder.vlan_qinq", DEC(vlan_qinq), 0, NULL },
	{ "stats.decoder.sll", DEC(sll), 0, NULL },
	{ "stats.decoder.sll2", DEC(sll2), 0, NULL },
	{ "stats.decoder.null", DEC(null), 0, NULL },
	{ "stats.decoder.raw", DEC(raw), 0, NULL },
	{ "stats.decoder.ipv4", DEC(ipv4), 0, "IPv4 packets" },
	{ "stats.decoder.ipv6", DEC(ipv6), 0, "IPv6 packets" },
	{ "stats.decoder.tcp", DEC(tcp), 0, NULL },
	{ "stats.decoder.udp", DEC(udp), 0, NULL },
	{ "stats.decoder.sctp", DEC(sctp), 0, NULL },
	{ "stats.decoder.icmpv4", DEC(icmpv4), 0, NULL },
	{ "stats.decoder.icmpv6", DEC(icmpv6), 0, NULL },
	{ "stats.decoder.gre", DEC(gre), 0, NULL },
	{ "stats.decoder.esp", DEC(esp), 0, NULL },
	{ "stats.decoder.arp", DEC(arp), 0, NULL },
	/* the tunnels Suricata also decodes (tunnel.c): headers opened */
	{ "stats.decoder.erspan", DEC(erspan), 0, NULL },
	{ "stats.decoder.vxlan", DEC(tunnel[TUNNEL_VXLAN]), 0, NULL },
	{ "stats.decoder.geneve", DEC(tunnel[TUNNEL_GENEVE]), 0, NULL },
	{ "stats.decoder.teredo", DEC(tunnel[TUNNEL_TEREDO]), 0, NULL },
	{ "stats.decoder.nsh", DEC(nsh), 0, NULL },
	{ "stats.decoder.ipv4_in_ipv4", DEC(ipv4_in_ipv4), 0, NULL },
	{ "stats.decoder.ipv6_in_ipv4", DEC(ipv6_in_ipv4), 0, NULL },
	{ "stats.decoder.ipv4_in_ipv6", DEC(ipv4_in_ipv6), 0, NULL },
	{ "stats.decoder.ipv6_in_ipv6", DEC(ipv6_in_ipv6), 0, NULL },
	{ "stats.decoder.too_many_layers", DEC(too_many_layers), 0, "tunnels too deep, left closed" },
	{ "stats.decoder.invalid", DEC(malformed), 0, "malformed packets" },
	/* stats.decoder.event.<layer>.<reason>: inserted here, one per malformed reason Suricata names (counters_all) */
	{ "stats.flow.total", AT(flows_created), 0, "flows" },
	{ "stats.flow.tcp", AT(flows_tcp), 0, "TCP flows" },
	{ "stats.flow.udp", AT(flows_udp), 0, "UDP flows" },
	{ "stats.flow.icmpv4", AT(flows_icmpv4), 0, "ICMP flows" },
	{ "stats.flow.icmpv6", AT(flows_icmpv6), 0, "ICMPv6 flows" },
	{ "stats.flow.active", AT(flows_active), 0, NULL },
	{ "stats.flow.memcap", AT(flows_evicted), 0, NULL },
	{ "stats.flow.mgr.flows_timeout", AT(flows_timed_out), 0, NULL },
	{ "stats.flow.mgr.flows_evicted", AT(flows_evicted), 0, NULL },
	{ "cmflow.workers", AT(workers), 0, NULL },
	{ "cmflow.lost_events", AT(lost_events), 0, "output events lost" },
	{ "cmflow.flows.created", AT(flows_created), 0, NULL },
	{ "cmflow.flows.timed_out", AT(flows_timed_out), 0, "flows ended by timeout" },
	{ "cmflow.flows.evicted", AT(flows_evicted), 0, "flows evicted at the cap" },
	{ "cmflow.flows.ended_at_shutdown", AT(flows_flushed), 0, "flows open at the end" },
	{ "cmflow.flows.tcp_reuse", AT(flows_reused), 0, NULL },
	{ "cmflow.flows.other_ip", AT(flows_other), 0, "flows of other IP protocols" },
	{ "cmflow.flows.max_active", AT(flows_max_active), 0, NULL },
	{ "cmflow.flows.capacity", AT(capacity), 0, NULL },
	{ "cmflow.verdicts.unknown", AT(verdicts[0]), 0, NULL },
	{ "cmflow.verdicts.expected", AT(verdicts[1]), 0, "flows expected" },
	{ "cmflow.verdicts.noncompliant", AT(verdicts[2]), 0, "flows noncompliant" },
	{ "cmflow.verdicts.unexpected", AT(verdicts[3]), 0, "flows unexpected" },
	{ "cmflow.alerts.noncompliant", AT(alerts[2]), 0, NULL },
	{ "cmflow.alerts.unexpected", AT(alerts[3]), 0, NULL },
	{ "cmflow.smbrpc.interfaces_dropped", AT(smbrpc_dropped[0]), 0, "RPC interfaces past a flow's bound" },
	{ "cmflow.smbrpc.shares_dropped", AT(smbrpc_dropped[1]), 0, NULL },
	{ "cmflow.smbrpc.files_dropped", AT(smbrpc_dropped[2]), 0, "SMB files past a flow's bound" },
	{ "cmflow.smbrpc.pipes_dropped", AT(smbrpc_dropped[3]), 0, NULL },
	{ "cmflow.smbrpc.walks_cut", AT(smbrpc_cut), 0, "SMB/RPC flows read to the packet bound" },
	{ "cmflow.detections.alerts", AT(detections), 0, "detections (sequences of flows)" },
	{ "cmflow.detections.steps_matched", AT(detect_occurrences), 0, NULL },
	{ "cmflow.detections.evicted", AT(detect_evicted), 0, "detection sequences evicted" },
	{ "cmflow.detections.expired", AT(detect_expired), 0, NULL },
	{ "cmflow.detections.steps_dropped", AT(detect_occ_dropped), 0, NULL },
	{ "cmflow.detections.challenges", AT(detect_challenges), 0, NULL },
	{ "cmflow.detections.challenges_evicted", AT(detect_challenges_evicted), 0, "NTLM challenges evicted (relay)" },
	{ "cmflow.tls.handshakes", AT(tls_handshakes), 0, "TLS handshakes read" },
	{ "cmflow.tls.not_read", AT(tls_not_read), 0, "TLS handshakes not read (bound)" },
	{ "cmflow.tls.bound_hits", AT(tls_bound_hits), 0, "TLS handshake bytes over the bound" },
	{ "cmflow.decoder.not_ip", DEC(not_ip), 0, "non-IP frames" },
	{ "cmflow.decoder.unknown_ethertype", DEC(unknown_ethertype), 0, NULL },
	{ "cmflow.decoder.ipv4_frags", DEC(ipv4_frags), 0, NULL },
	{ "cmflow.decoder.ipv6_frags", DEC(ipv6_frags), 0, NULL },
	{ "cmflow.decoder.frags_without_first", AT(frag_untracked), 0, NULL },
	{ "cmflow.decoder.unsupported_linktype", DEC(unsupported_linktype), 0, "frames of an unsupported link type" },
	{ "cmflow.decoder.other_ip", DEC(other_ip), 0, NULL },
	/* cmflow.decoder.event.<layer>.<reason>: inserted here, the reasons of what Suricata does not decode */
	{ "cmflow.tunnel.decapsulated", DEC(decapsulated), 0, "packets decapsulated from tunnels" },
	{ "cmflow.tunnel.left_closed", DEC(tunnel_left_closed), 0, "tunnels left closed" },
	{ "cmflow.tunnel.vxlan_unopened", DEC(vxlan_unopened), 0, "VXLAN-like UDP not read" },
	/* cmflow.tunnel.<kind>: inserted here, tunnel headers opened by kind */
};

#define NFIXED (sizeof fixed / sizeof fixed[0])
#define NKINDS (TUNNEL_KINDS - 1) /* TUNNEL_NONE has no counter */
#define NALL (NFIXED + MAL_COUNT + NKINDS)

static struct counter all[NALL];
static char reason_paths[MAL_COUNT][64];
static char kind_paths[NKINDS][48], kind_words[NKINDS][48];
static pthread_once_t all_once = PTHREAD_ONCE_INIT;

/* The rows of malformed reasons [first, end) under prefix ("stats.decoder.event"), appended at all[*n]. */
static void add_reasons(size_t *n, const char *prefix, int first, int end)
{
	for (int r = first; r < end; r++) {
		snprintf(reason_paths[r], sizeof reason_paths[r], "%s.%s", prefix,
			 malformed_reason_name((enum malformed_reason)r));
		all[(*n)++] = (struct counter){ reason_paths[r], DEC(by_reason[r]), COUNTER_NONZERO, NULL };
	}
}

static void build_all(void)
{
	size_t n = 0;
	for (size_t i = 0; i < NFIXED; i++) {
		all[n++] = fixed[i];
		if (strcmp(fixed[i].path, "stats.decoder.invalid") == 0) {
			add_reasons(&n, "stats.decoder.event", 0, MAL_CMFLOW_FIRST);
		} else if (strcmp(fixed[i].path, "cmflow.decoder.other_ip") == 0) {
			add_reasons(&n, "cmflow.decoder.event", MAL_CMFLOW_FIRST, MAL_COUNT);
		} else if (strcmp(fixed[i].path, "cmflow.tunnel.vxlan_unopened") == 0) {
			for (int k = TUNNEL_NONE + 1; k < TUNNEL_KINDS; k++) {
				const char *name = tunnel_kind_name((enum tunnel_kind)k);
				snprintf(kind_paths[k - 1], sizeof kind_paths[k - 1], "cmflow.tunnel.%s", name);
				snprintf(kind_words[k - 1], sizeof kind_words[k - 1], "%s tunnel headers opened", name);
				all[n++] = (struct counter){ kind_paths[k - 1], DEC(tunnel[k]), 0, kind_words[k - 1] };
			}
		}
	}
}

const struct counter *counters_all(size_t *n)
{
	pthread_once(&all_once, build_all);
	*n = NALL;
	return all;
}

void run_stats_add(struct run_stats *dst, const struct run_stats *src)
{
	_Static_assert(offsetof(struct run_stats, live) % sizeof(uint64_t) == 0, "run_stats: counters first");
	uint64_t *d = (uint64_t *)dst;
	const uint64_t *s = (const uint64_t *)src;
	for (size_t i = 0; i < offsetof(struct run_stats, live) / sizeof(uint64_t); i++)
		d[i] += s[i];
}

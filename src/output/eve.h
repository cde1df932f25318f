/* eve.h: EVE JSON lines (Suricata's event format): flow events, alerts and stats.
 * One object per line; src is the flow's initiator; cmflow's own fields go under "configmgr", "ndpi" and
 * "cmflow" so that the rest validates against Suricata's schema. Lines are written whole (one write per line
 * from a buffer), so that several writers appending to one file do not interleave inside a line. */
#ifndef CMFLOW_EVE_H
#define CMFLOW_EVE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "flow/flow.h"
#include "lib/json.h"

struct engine;
struct eve;
struct finding_kind;

/* Opens path for appending ('-' = stdout). Returns NULL and writes err on failure. */
struct eve *eve_open(const char *path, char *err, size_t errlen);

/* What the run reads and with which configuration, written in every stats event (cmflow.run) so that a report
 * made from the EVE file alone can say it. The strings must outlive the eve. */
struct eve_run {
	const char *const *inputs;
	size_t ninputs;
	const char *site_config;   /* NULL: none */
	const char *version;
};
void eve_set_run(struct eve *ev, const struct eve_run *run);

/* Where this run's lines start in the file (the file is appended to); 0 for stdout. */
long eve_start_offset(const struct eve *ev);

/* Reopens the file (after log rotation); false when it cannot, the old stream is then kept. */
bool eve_reopen(struct eve *ev);

/* Writes the common head of an event (timestamp, flow_id, event_type, addresses, ports, proto, vlan,
 * app_proto) for flow f into j, leaving the top-level object open. */
void eve_flow_head(struct json *j, const struct engine *e, const struct flow *f, uint64_t ts_us,
		   const char *event_type);

/* Suricata's tunnel object of a tunnelled flow (the outermost IP header, its UDP ports, the depth); nothing
 * for a flow outside tunnels. */
void eve_tunnel(struct json *j, const struct flow *f);

/* cmflow's object of a flow event or alert: midstream, and the tunnel's kind and identity (vni, session_id or
 * key); nothing when it would be empty. */
void eve_cmflow(struct json *j, const struct flow *f);

/* Writes the flow event of a flow that ended. */
struct flow_label;
void eve_flow(struct eve *ev, struct json *j, const struct engine *e, const struct flow *f,
	      const struct flow_label *lab);

/* Writes one alert event per finding of the flow (configmgr.wireshark_filter isolates its packets). */
void eve_alerts(struct eve *ev, struct json *j, const struct engine *e, const struct flow *f,
		const struct flow_label *lab);

/* An alert about the site configuration itself (no flow). */
void eve_config_alert(struct eve *ev, uint64_t ts_us, const struct finding_kind *kind, const char *detail);

/* A Wireshark display filter that selects exactly the flow's packets, into buf. */
const char *flow_display_filter(const struct flow *f, char *buf, size_t len);

struct packet;
struct wol_magic;
/* Writes a "wol" event for a magic packet carried directly in Ethernet (EtherType 0x0842): no IP flow. */
void eve_wol_frame(struct eve *ev, struct json *j, const struct packet *p, const struct wol_magic *m);

struct run_stats;

/* Writes a stats event at ts_us with the run's counters (summed over the workers). One thread at a time. */
void eve_stats(struct eve *ev, const struct run_stats *rs, uint64_t ts_us);

/* Writes one finished line (j holds a complete object) and counts it; safe from several threads. */
void eve_write(struct eve *ev, struct json *j);

void eve_flush(struct eve *ev);
void eve_close(struct eve *ev);

#endif

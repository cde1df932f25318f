/* engine.h: the per-packet pipeline (decode -> flow table -> classify) and what happens when a flow ends
 * (label -> verdict -> outputs). One engine per capture thread; it owns its flow table and nDPI module. */
#ifndef CMFLOW_ENGINE_H
#define CMFLOW_ENGINE_H

#include <stdbool.h>
#include <stdint.h>
#include <pcap/pcap.h>

#include "decode/decode.h"
#include "flow/flow_table.h"
#include "lib/json.h"

struct eve;
struct summary;
struct dpi;
struct knowledge;
struct mcast_members;
struct expect_table;
struct alert_limiter;
struct evidence_live;
struct infer_table;

struct flow;
struct flow_label;

/* Called for every flow that raised a finding, when it ends (the evidence writer keeps these). */
typedef void (*alerted_fn)(void *ctx, const struct flow *f, const struct flow_label *lab);

struct engine_config {
	uint32_t max_flows;
	uint32_t timeouts[TMO_COUNT];
	bool all_protocols;        /* enable every nDPI dissector, not only the ConfigMgr set */
	int verbose;
	const struct knowledge *knowledge; /* signatures; may be NULL (then no ConfigMgr parsing) */
	struct mcast_members *mcast;       /* group receivers, shared by the workers; may be NULL */
	struct expect_table *expect;       /* announced connections, shared by the workers; may be NULL */
	uint32_t worker, workers;
	alerted_fn on_alerted;      /* may be NULL */
	bool syslog;                /* alerts to the system logger too (openlog done by the caller) */
	struct alert_limiter *limiter; /* live: one report per finding, host pair and service a minute; NULL */
	struct evidence_live *evlive;  /* live --evidence; NULL */
	struct infer_table *infer;     /* role inference, shared by the workers; NULL */
	bool infer_only;               /* a first pass over files: observe roles, write nothing */
	const struct decode_tunnels *tunnels; /* the UDP ports read as VXLAN; NULL: the defaults */
	void *alerted_ctx;  /* this engine's index among the capture workers (flow ids stay unique) */
};

struct engine {
	struct engine_config cfg;
	struct decode_stats dstats;
	struct flow_table *flows;
	struct dpi *dpi;
	struct eve *eve;            /* may be NULL */
	struct summary *summary;    /* may be NULL */
	uint64_t now_us;            /* packet time of the latest packet */
	uint64_t next_expire_us;
	uint64_t frag_untracked;    /* non-first fragments whose first fragment was not seen */
	struct frag_table *frags;
	struct flow *last;          /* the flow of the previous packet (a transfer's packets come in runs) */
	struct json json;           /* this engine's EVE line buffer */
	uint64_t wol_frames;        /* magic packets in Ethernet frames (EtherType 0x0842) */
	uint64_t verdicts[4];       /* flows by enum verdict */
	uint64_t alerts[4];         /* alert events by the verdict of their finding */
};

/* Counters of a whole run, summed over the engines (workers), for the stats event and the summary. */
struct run_stats {
	struct decode_stats decoder;
	struct flow_table_stats flows;
	uint64_t frag_untracked;
	uint64_t capacity;
	uint32_t workers;
	bool live;                  /* the kernel counters below are valid */
	uint64_t kernel_packets, kernel_drops, kernel_ifdrops;
	uint64_t verdicts[4], alerts[4];    /* by enum verdict */
};

void engine_config_defaults(struct engine_config *cfg);

/* Creates the engine; eve and summary may be NULL. Returns NULL and writes err on failure. */
struct engine *engine_new(const struct engine_config *cfg, struct eve *eve, struct summary *summary, char *err,
			  size_t errlen);

/* One captured frame. */
void engine_packet(struct engine *e, int linktype, const struct pcap_pkthdr *h, const uint8_t *data);

/* Advances the engine's clock without a packet (live capture: wall clock) and ends the flows due. */
void engine_tick(struct engine *e, uint64_t now_us);

/* Ends every flow (end of input or shutdown: reason shutdown). */
void engine_finish(struct engine *e);

/* Adds this engine's counters to *s. */
void engine_stats_add(const struct engine *e, struct run_stats *s);

void engine_free(struct engine *e);

#endif

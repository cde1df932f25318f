/* engine.h: the per-packet pipeline (decode -> flow table -> classify) and what happens when a flow ends
 * (label -> verdict -> outputs). One engine per capture thread; it owns its flow table and nDPI module. */
#ifndef CMFLOW_ENGINE_H
#define CMFLOW_ENGINE_H

#include <stdbool.h>
#include <stdint.h>
#include <pcap/pcap.h>

#include "audit/detect.h"
#include "decode/decode.h"
#include "flow/flow_table.h"
#include "flow/flowid.h"
#include "flow/followup.h"
#include "flow/inspect.h"
#include "output/counters.h"
#include "output/output.h"
#include "output/record.h"

struct dpi;
struct knowledge;
struct mcast_members;
struct expect_table;
struct alert_limiter;
struct evidence_live;
struct infer_table;
struct detect_table;
struct flow;

struct engine_config {
	uint32_t max_flows;
	uint32_t timeouts[TMO_COUNT];
	bool all_protocols;        /* enable every nDPI dissector, not only the ConfigMgr set */
	int verbose;
	struct knowledge *knowledge;       /* signatures (the engine holds a reference); may be NULL: no ConfigMgr
					    * parsing, no labels */
	const struct outputs *outputs;     /* where ended flows and events go; may be NULL */
	struct mcast_members *mcast;       /* group receivers, shared by the workers; may be NULL */
	struct expect_table *expect;       /* announced connections, shared by the workers; may be NULL */
	uint32_t worker, workers;
	struct alert_limiter *limiter; /* live: one report per finding, host pair and service a minute; NULL */
	struct evidence_live *evlive;  /* live --evidence; NULL */
	struct infer_table *infer;     /* role inference, shared by the workers; NULL */
	struct detect_table *detect;   /* detections' sequences under way, shared by the workers; NULL: none */
	bool infer_only;               /* a first pass over files: observe roles, write nothing */
	const struct decode_tunnels *tunnels; /* the UDP ports read as VXLAN; NULL: the defaults */
	const struct flowid_gen *flowids; /* the run's flow ids (flowid.h); NULL: the flow table's numbers */
	uint16_t community_seed;       /* Community ID v1's seed */
	const char *const *ifaces;     /* live: the interfaces by index, for in_iface; NULL reading files */
	bool count_packets;            /* reading files: pcap_cnt (the number of the packet in the input) */
};

struct engine {
	struct engine_config cfg;
	struct decode_stats dstats;
	struct flow_table *flows;
	struct dpi *dpi;
	uint64_t now_us;            /* packet time of the latest packet */
	uint64_t first_us;          /* packet time of the first packet, 0 before it */
	uint8_t cur_iface;          /* the interface of the packet being handled */
	uint64_t next_expire_us;
	uint64_t frag_untracked;    /* non-first fragments whose first fragment was not seen */
	struct frag_table *frags;
	struct flow *last;          /* the flow of the previous packet (a transfer's packets come in runs) */
	struct inspect_env inspect; /* the inspectors' data from the signatures and the site */
	struct inspect_stats istats; /* the inspectors' counters (TLS handshake readers) */
	struct session_channels sessions; /* channels that sessions announce (rules with after=) */
	uint64_t server_ports[65536 / 64]; /* TCP ports a responder listens on (a connection seen from its middle) */
	struct flow_record record;  /* the ended flow's record, for the outputs */
	char proto_label[64];       /* its protocol name when one has to be made */
	uint64_t wol_frames;        /* magic packets in Ethernet frames (EtherType 0x0842) */
	uint64_t verdicts[4];       /* flows by enum verdict */
	uint64_t alerts[4];         /* alert events by the verdict of their finding */
	uint64_t smbrpc_dropped[4]; /* interfaces, shares, files, pipes past a flow's bounds (smbrpc.h) */
	uint64_t smbrpc_cut;        /* flows whose SMB or DCE/RPC walker stopped at its packet bound */
	uint64_t detections;        /* detection alerts written (live: the limiter's repeats not counted) */
	struct detect_hit hits[DETECT_HITS_MAX]; /* the sequences an ending flow completes */
	struct detection_event detection; /* one of them, for the outputs */
};

void engine_config_defaults(struct engine_config *cfg);

/* Creates the engine (taking a reference to cfg->knowledge). Returns NULL and writes err on failure. */
struct engine *engine_new(const struct engine_config *cfg, char *err, size_t errlen);

/* The EVE flow_id of the flow with the flow table's number seq. */
uint64_t engine_flow_id(const struct engine *e, uint64_t seq);

/* A reload: the engine holds k from now on and gives its reference to the set it had back. The caller makes
 * sure no packet is being handled meanwhile (the worker's lock). */
void engine_set_knowledge(struct engine *e, struct knowledge *k);

/* One captured frame (iface: the index of the live interface it came from, 0 reading files). */
void engine_packet(struct engine *e, int linktype, unsigned iface, const struct pcap_pkthdr *h, const uint8_t *data);

/* Advances the engine's clock without a packet (live capture: wall clock) and ends the flows due. */
void engine_tick(struct engine *e, uint64_t now_us);

/* Ends every flow (end of input or shutdown: reason shutdown). */
void engine_finish(struct engine *e);

/* Adds this engine's counters to *s. */
void engine_stats_add(const struct engine *e, struct run_stats *s);

void engine_free(struct engine *e);

#endif

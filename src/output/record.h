/* record.h: what the outputs read. The engine resolves an ended flow once into a struct flow_record (its label
 * and verdict, its addresses as text, the names of its protocol and RPC interface, its multicast receivers, the
 * display filter of its evidence) and hands the same record to every output; an output never reaches back into
 * the engine, the flow table or the signatures. Everything a record points to is valid during the call only:
 * an output that keeps something copies it. */
#ifndef CMFLOW_RECORD_H
#define CMFLOW_RECORD_H

#include <stdbool.h>
#include <stdint.h>

#include "audit/detect.h"
#include "audit/finding.h"
#include "audit/label.h"
#include "flow/community_id.h"
#include "flow/flow.h"
#include "flow/mcast.h"
#include "flow/smbrpc.h"
#include "lib/util.h"

#define RECORD_FILTER_MAX 1024
#define RECORD_OPS_MAX 24

/* The names of one RPC interface of the flow (smbrpc->ifaces[i]) and of the opnums it called, from
 * rpc-interfaces.txt: the engine resolves them, the outputs read them. */
struct record_iface {
	const char *name;              /* NULL when the file names it not */
	unsigned nops;                 /* opnums called, in increasing order (at most RECORD_OPS_MAX listed) */
	bool ops_more;                 /* more were called than are listed */
	uint16_t ops[RECORD_OPS_MAX];
	const char *op_names[RECORD_OPS_MAX]; /* NULL when the file names it not */
};

struct flow_record {
	const struct flow *f;
	uint64_t flow_id;              /* the flow's id in EVE (flowid.h: unique per run and sensor) */
	uint64_t parent_flow_id;       /* the announcing flow's, when the flow is a follow-up; else 0 */
	char community_id[COMMUNITY_ID_SIZE]; /* Community ID v1 of the flow's first packet, "" when it has none */
	uint64_t pcap_cnt;             /* the number of the packet that ended the flow (reading files), else 0 */
	const char *in_iface;          /* live: the interface it was seen on, else NULL */
	const struct flow_label *lab;  /* NULL without signatures */
	const struct roles *roles;     /* the vocabulary of lab's role sets (NULL when lab is) */
	unsigned worker;               /* the capture worker that ended the flow: outputs keep a buffer per worker */
	char src[ADDR_STR_MAX], dst[ADDR_STR_MAX];
	const char *app_proto;         /* Suricata's name of the protocol proven from the payload, or NULL */
	const char *proto_label;       /* the summary's protocol name: cmflow's own proof, nDPI's name, "Unknown" */
	bool proven;                   /* the protocol was proven from the payload (by cmflow or nDPI) */
	bool has_ndpi;                 /* nDPI gave an answer (or a guess) */
	char ndpi_name[48];            /* nDPI's name of the protocol, when has_ndpi */
	const char *ndpi_confidence;
	bool ndpi_proven;
	const char *rpc_interface;     /* the name of the RPC interface bound or announced, or NULL */
	const char *src_role, *dst_role; /* each end's role on this path (the matched rule's side), else its most
					  * specific role; NULL for none */
	const char *site;              /* the site code of the flow (lab->site), or NULL */
	bool http_by_design;           /* the responder's role serves HTTP by design (policy.txt's http-only) */
	const char *set;               /* the knowledge set that labelled it ("2007", "cb"), or NULL */
	const char *client_auth;       /* a client's web flow to a site system: how it authenticates (posture.h:
					* "pki-mutual-tls", "enhanced-http", "plain-http", "cannot-tell"), else NULL */
	bool client_notification;      /* a client's client notification channel (current branch, TCP 10123) */
	bool multicast;                /* UDP to a multicast group: receivers below */
	size_t receivers_seen;         /* may exceed nreceivers */
	size_t nreceivers;
	struct mcast_receiver receivers[MCAST_MAX_RECEIVERS];
	char filter[RECORD_FILTER_MAX]; /* display filter of the flow's packets, set when it raised a finding */
	const struct flow_smbrpc *smbrpc; /* what the flow kept of SMB and DCE/RPC (smbrpc.h), or NULL */
	struct record_iface ifaces[SMBRPC_IFACES_MAX]; /* the names of smbrpc->ifaces[] */
};

#define DETECTION_FILTER_MAX (DETECT_HIT_MAX * 300)

/* A detection over a sequence of flows completed (detect.h): one alert naming the hosts, the steps and every flow
 * involved. */
struct detection_event {
	const struct detect_hit *hit;  /* the detection, the hosts, the occurrences of its steps and their flows */
	const struct finding_kind *kind; /* &hit->d->kind */
	unsigned worker;
	uint64_t ts_us, end_us;        /* the first packet of its earliest flow, the last of its latest (packet time) */
	uint64_t flow_id;              /* EVE's id of the flow of its latest occurrence (the one that completed it) */
	uint64_t flow_ids[DETECT_HIT_MAX]; /* EVE's id of each occurrence's flow (hit->steps[i]) */
	char community_ids[DETECT_HIT_MAX][COMMUNITY_ID_SIZE]; /* and its Community ID */
	uint8_t ip_proto;              /* of every flow of the steps, 0 when they differ */
	uint16_t dport;                /* their server port, 0 when they differ */
	char src[ADDR_STR_MAX], dst[ADDR_STR_MAX]; /* dst "" for a detection of one source */
	const char *src_role, *dst_role; /* each end's configured role (most specific), or NULL */
	uint64_t held_back;            /* live: the same detection for the same hosts held back before it */
	uint64_t pcap_cnt;             /* reading files: the number of the packet that ended the completing flow */
	char filter[DETECTION_FILTER_MAX]; /* the steps' flows as one display filter */
};

/* A magic packet carried directly in Ethernet (EtherType 0x0842): no IP flow carries it. */
struct wol_frame_event {
	uint64_t ts_us;
	unsigned worker;
	uint8_t src_mac[6], dst_mac[6];
	uint16_t ethertype;
	uint16_t vlan[2];
	uint8_t vlan_count;
	uint8_t target_mac[6];
	const char *addressing;
	bool password;
};

/* A finding about a host or the configuration rather than a flow (role drift, WSUS ports ...). */
struct host_alert {
	uint64_t ts_us;
	const struct finding_kind *kind;
	const char *detail;
	bool has_addr;                 /* the host it is about, as src_ip */
	uint8_t family;
	uint8_t addr[16];
};

#endif

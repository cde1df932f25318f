/* aggregate.h: the run's aggregates, one set of tables behind the text summary, the HTML report and the
 * findings CSV: findings by kind, host pair and service; role pairs with their rule; hosts and the edges between
 * them; client web traffic by site and role; the census of client authentication (clients by site, role and
 * how they authenticate: PKI mutual TLS, enhanced HTTP, plain HTTP, cannot be told) and the current branch's
 * client notification by client; protocols; RPC interfaces; Wake On LAN targets; multicast sessions;
 * configuration and drift notes; inputs and time span.
 *
 * Two feeders fill the same tables from the same plain descriptions (struct agg_flow, agg_alert ...): the
 * aggregate output (aggregate_output_ops) from the records of a run, and the report's EVE reader from EVE lines
 * of any number of sensors, so that a run's own report and the report of its EVE file are the same page.
 * Thread-safe (one mutex) for the capture workers; bounded only by memory (a table that cannot grow counts what
 * it dropped). Strings are copied (cut at AGG_S / AGG_L bytes). */
#ifndef CMFLOW_AGGREGATE_H
#define CMFLOW_AGGREGATE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "audit/finding.h"
#include "lib/strtable.h"
#include "output/output.h"

#define AGG_S 64   /* short strings: addresses, roles, sites, ids */
#define AGG_L 256  /* services, labels, messages */
#define AGG_RPC_MAX 16 /* RPC interfaces of one flow (smbrpc.h's bound) */

/* ---- what the feeders give ---- */

struct agg_flow {
	const char *src, *dst;          /* addresses as text */
	uint16_t dport;
	const char *proto_label;        /* the protocol table's name ("HTTP (cmflow)", nDPI's name, "Unknown") */
	bool proven;
	const char *site;               /* NULL: none */
	const char *src_role, *dst_role;/* each end's role on the path, NULL: none */
	bool src_inferred, dst_inferred;/* the role came from inference, not a host line */
	bool src_client;                /* the initiator has the client role */
	enum verdict verdict;
	const char *rule, *row, *service, *label; /* NULL without a rule */
	bool http, https;               /* HTTP proven, or TLS (proven or by first payload) */
	bool http_by_design;            /* the responder's role serves HTTP by design */
	const char *rpc_interface, *rpc_via;
	const char *wol_mac, *wol_addressing;
	const char *mcast_group;
	uint64_t mcast_receivers;
	uint64_t pkts, bytes, start_us, end_us;
	/* every RPC interface the flow bound (over TCP "bind", on a named pipe "pipe"), besides rpc_interface */
	unsigned nrpc;
	const char *rpc_names[AGG_RPC_MAX], *rpc_vias[AGG_RPC_MAX];
	const char *set;                /* the knowledge set that labelled it ("2007", "cb"), NULL: none */
	const char *client_auth;        /* posture.h's name of a client's web flow's class, NULL: not one */
	bool client_notification;       /* a client's client notification channel */
};

struct agg_alert {
	const char *id, *category, *message, *advice, *advice_source;
	int severity;                   /* 1..3 */
	enum verdict verdict;
	const char *src, *dst, *src_role, *dst_role, *service, *rule;
	unsigned ip_proto, dport;       /* the flow's IP protocol and server port (0 when it has none) */
	uint64_t ts_us, end_us;         /* the flow's first and last packet (end_us 0: unknown) */
	uint64_t count;                 /* 1 + the repeats held back before it */
};

struct agg_note {                       /* a finding about the configuration or a host, not a flow */
	const char *id, *detail, *advice;
	enum verdict verdict;
	int severity;
};

struct agg_wol {                        /* a magic packet: target, sender and how it travelled */
	const char *mac, *sender, *how;
};

/* ---- the tables (read by the renderers after the run) ---- */

struct agg_host { char ip[AGG_S], site[AGG_S], role[AGG_S]; bool inferred; uint64_t bytes, flows; };
struct agg_edge { char src[AGG_S], dst[AGG_S]; uint64_t bytes, flows; enum verdict worst; };
struct agg_pair {
	char from[AGG_S], to[AGG_S], service[AGG_L], rule[AGG_S], row[AGG_S], label[AGG_L];
	uint64_t flows, bytes;
	enum verdict worst;
};
struct agg_kind {                        /* a kind of finding: what the policy says of it */
	char id[AGG_S], category[AGG_S], message[2 * AGG_L], advice[2 * AGG_L], advice_source[AGG_L];
	int severity;
	enum verdict verdict;
	uint64_t count, groups;          /* alerts, and finding groups (host pair and service) */
};
struct agg_finding {                     /* one kind of finding between two hosts on one service */
	const struct agg_kind *kind;
	char src[AGG_S], dst[AGG_S], src_role[AGG_S], dst_role[AGG_S], service[AGG_L], rule[AGG_S];
	unsigned ip_proto, port;         /* of every flow of the row; port 0 when they differ */
	bool mixed_proto;                /* the flows differ in IP protocol */
	uint64_t count, first_us, last_us; /* alerts; the first flow's first packet, the last one's last */
};
struct agg_note_rec { char id[AGG_S], detail[2 * AGG_L], advice[2 * AGG_L]; enum verdict verdict; int severity; };
struct agg_web {
	char site[AGG_S], role[AGG_S];
	bool by_design;                  /* the role serves HTTP by design: its HTTP is no finding */
	uint64_t http_bytes, https_bytes, http_flows, https_flows;
};
struct agg_tick {                        /* one minute or hour of the run (the timeline) */
	uint64_t at;                     /* minutes or hours since the epoch */
	uint64_t flows, alerts, client_http; /* flows ended, alerts raised, client HTTP flows not by design */
};
struct agg_proto { char name[AGG_S]; uint64_t flows, pkts, bytes; };
struct agg_rpc { char iface[AGG_S], via[AGG_S]; uint64_t count; };
struct agg_wol_rec { char mac[AGG_S], sender[AGG_S], how[AGG_S]; uint64_t count; };
struct agg_mcast { char sender[AGG_S], group[AGG_S]; uint64_t port, pkts, bytes, receivers, first_us, last_us; };
struct agg_text { char text[2 * AGG_L]; };

/* The census: classes of client authentication, in the order of posture.h's enum client_auth (less NONE). */
enum { AGG_AUTH_CLASSES = 4 };
/* one client towards one role of one site, and the classes its flows showed */
struct agg_census { char site[AGG_S], role[AGG_S], client[AGG_S]; uint8_t classes; uint64_t flows; };
/* one client of a current branch site: its client notification channel and its polling */
struct agg_client { char site[AGG_S], client[AGG_S]; uint64_t notify_flows, http_flows, https_flows; };
/* a row of the census as the renderers show it: clients of a site and role by class (agg_census_rows) */
struct agg_census_row { char site[AGG_S], role[AGG_S]; uint64_t clients, by_class[AGG_AUTH_CLASSES], flows; };

/* Each table keeps at most AGG_MAX_ROWS records; what does not fit is counted in `dropped` (the summary and the
 * report say so): a flood of strangers must not grow the aggregates without bound. */
#define AGG_MAX_ROWS 65536
#define AGG_MINUTES_MAX 2880            /* two days of the timeline by minute (a short run's timeline) */
#define AGG_FILTER_MAX 1024             /* a finding row's display filter (agg_finding_filter) */

struct agg {
	pthread_mutex_t lock;
	struct strtable hosts, edges, pairs, kinds, findings, notes, web, protos, rpc, wol, mcast, inputs, sites;
	struct strtable hours, minutes;  /* the timeline; minutes only while they are at most AGG_MINUTES_MAX */
	bool minutes_full;               /* a run longer than that: the hours alone */
	struct strtable census, clients; /* struct agg_census, struct agg_client */
	uint64_t flows, proven, labelled, packets;
	uint64_t verdicts[5];            /* flows by enum verdict */
	uint64_t dropped;                /* records a table could not take (full, or memory short) */
	uint64_t first_us, last_us;      /* time span of the flows */
	char version[AGG_S];
	uint64_t eve_files, eve_lines, eve_bad_lines;
};

struct agg *agg_new(void);
void agg_free(struct agg *a);

void agg_add_flow(struct agg *a, const struct agg_flow *f);
void agg_add_alert(struct agg *a, const struct agg_alert *al);
void agg_add_note(struct agg *a, const struct agg_note *n);
void agg_add_wol(struct agg *a, const struct agg_wol *w);
/* What a run read, with which configuration and version (from the run or its EVE stats events). */
void agg_add_input(struct agg *a, const char *input);
void agg_add_site_config(struct agg *a, const char *path);
void agg_set_version(struct agg *a, const char *version);
void agg_add_packets(struct agg *a, uint64_t packets);

/* ---- the findings as the summary, the report and the CSV show them ---- */

/* Findings of one kind between hosts of one role pair on one service: the host pairs (agg_finding rows) most
 * alerts first. */
struct agg_group {
	const struct agg_kind *kind;
	const char *src_role, *dst_role, *service;
	uint64_t count, first_us, last_us;
	size_t npairs;
	const struct agg_finding **pairs;   /* npairs, most alerts first */
};

/* The finding groups of a, most severe kind first, then by kind, then most alerts first; *n is set to their
 * number. NULL (and *n 0) when there is none or memory is short. Free with agg_groups_free. Call when no
 * feeder runs any more (the end of the run). */
struct agg_group *agg_groups(const struct agg *a, size_t *n);
void agg_groups_free(struct agg_group *g, size_t n);

/* The display filter of a finding row's packets: its host pair, on its port when every flow had the same, from
 * the first flow's first packet to the last one's last. */
const char *agg_finding_filter(const struct agg_finding *f, char *buf, size_t len);

/* Alerts by severity (1..3, index 0 unused) and verdict (enum verdict), flow findings and notes together. */
void agg_alert_counts(const struct agg *a, uint64_t counts[4][5]);

/* Writes one CSV row per finding group of host pair and service (kind, severity, verdict, hosts and roles,
 * service, rule, count, first, last, display filter, advice) with a header line; RFC 4180 quoting. False when
 * the stream saw a write error. */
bool agg_write_csv(const struct agg *a, FILE *out);

/* The protocol table's name of a flow, the same from a run's record and from its EVE event: nDPI's name when
 * nDPI proved it; cmflow's own proof ("HTTP (cmflow)") when app_proto is set otherwise; else nDPI's guess; else
 * "Unknown". buf (at least AGG_S bytes) holds the name when one has to be made. */
const char *agg_proto_label(const char *app_proto, const char *ndpi_name, bool ndpi_proven, char *buf, size_t len);

/* The census by site and role, sorted by site then role: *rows (the caller frees it) gets one row per site and
 * role, each client counted once in every class its flows showed. Returns the number of rows; 0 with *rows NULL
 * when there is none or memory is short. Call after the run (the table is read without its lock). */
size_t agg_census_rows(const struct agg *a, struct agg_census_row **rows);

/* The name of census class i (0 .. AGG_AUTH_CLASSES - 1): "pki-mutual-tls" ... "cannot-tell"; and its words
 * for the renderers ("PKI mutual TLS"). */
const char *agg_auth_class_name(unsigned i);
const char *agg_auth_class_words(unsigned i);

/* The output that feeds a from a run's records; self is the struct agg. */
extern const struct output_ops aggregate_output_ops;

#endif

/* inspect.h: cmflow's own inspectors, as a table. Each row is one protocol that cmflow reads itself on a flow's
 * first packets (before and instead of nDPI): its name (Suricata's app_proto where it has one), the transport and
 * responder ports it looks at, how many packets it may ask for, and the function that reads a packet into the
 * flow (a proof of the protocol, fields of the side record, announcements of follow-up connections). The parsers
 * themselves live in src/proto and know nothing of flows; a row's function is the few lines between the two.
 *
 * Adding a protocol: a parser in src/proto, an APP_ value in flow.h when it proves the flow, and one row in
 * inspect.c (doc/ARCHITECTURE.md shows the row that DNS is). */
#ifndef CMFLOW_INSPECT_H
#define CMFLOW_INSPECT_H

#include <stdbool.h>
#include <stdint.h>

#include "decode/decode.h"
#include "flow/flow.h"

struct http_methods;
struct http_header_tests;
struct expect_table;
struct session_channels;

#define INSPECT_MAX_WOL_PORTS 16

/* TLS handshake readers alive at once in one engine: each holds about 1.5 KiB, at most 2 x TLS_HS_DIR_MAX while
 * a message is read; a TLS flow beyond the bound keeps only its hello fields (counted in tls_refused). */
#define INSPECT_TLS_READERS_MAX 4096

#define INSPECT_TLS_SPARES 16 /* settled readers kept for the next TLS flows: no allocation per handshake */

/* The inspectors' own counters and spare readers, one set per engine (inspect_env.stats): the engine sums the
 * counters into the run's and frees the spares with inspect_stats_free. */
struct inspect_stats {
	uint64_t tls_readers;       /* TLS handshake readers started */
	uint64_t tls_readers_live;  /* alive now (at most INSPECT_TLS_READERS_MAX) */
	uint64_t tls_refused;       /* TLS flows whose handshake was not read: the bound above, or memory short */
	uint64_t tls_bound_hits;    /* times a reader reached its own bound (TLS_HS_DIR_MAX) */
	void *tls_spare[INSPECT_TLS_SPARES]; /* settled readers, reset, for reuse */
	unsigned ntls_spare;
};

/* Frees the spare readers (the engine's end). */
void inspect_stats_free(struct inspect_stats *st);

/* What the inspectors may use besides the flow and the packet (the engine fills it from the signatures and the
 * site configuration, and keeps it up to date across a reload). */
struct inspect_env {
	const struct http_methods *methods;        /* HTTP methods of the request-line proof; NULL: no HTTP proof */
	const struct http_header_tests *header_tests; /* the HTTP header tests the detections ask for, or NULL */
	struct expect_table *expect;               /* announcements (follow-ups); NULL: none are made */
	uint16_t wol_ports[INSPECT_MAX_WOL_PORTS]; /* UDP ports where a packet that is not a magic packet is reported:
						    * 7, 9 and every site's wol-port */
	unsigned nwol_ports;
	struct inspect_stats *stats;               /* the engine's counters; NULL: TLS handshakes are not read */
};

/* What a row wants after a packet: nothing beyond the common first packets (IDLE), more of them than the common
 * INSPECT_MAX_PACKETS, up to its row's budget (MORE), or none of this flow's packets any more (DONE: it has read
 * what it reads, or the flow cannot be its protocol; the row is not asked again). */
enum inspect_want { INSPECT_IDLE = 0, INSPECT_MORE, INSPECT_DONE };

/* A row's function: reads one packet of a flow under inspection. first is true for the first TCP payload of
 * the flow (either direction). */
typedef enum inspect_want (*inspect_fn)(const struct inspect_env *env, struct flow *f, const struct packet *p,
					enum flow_dir dir, bool first);

#define INSPECT_MAX_PORTS 4

/* A row's budget when it counts its own packets (the SMB and DCE/RPC walkers: their conversations outlast the
 * 255 packets f->inspected can count): it is asked about every packet for as long as its function says it wants
 * more, and bounds itself. */
#define INSPECT_BUDGET_OWN 255

struct inspector {
	const char *name;
	uint8_t transport;                  /* IP_PROTO_TCP or IP_PROTO_UDP */
	uint16_t ports[INSPECT_MAX_PORTS];  /* responder ports (0-terminated); none: every port */
	uint8_t budget;                     /* the last packet (1-based) it may look at; f->inspected saturates at
					     * 255: INSPECT_BUDGET_OWN for a row that bounds itself */
	uint8_t proves;                     /* the enum app_proof it proves, APP_NONE when it only reads */
	const char *label;                  /* the summary's name of what it proves ("DNS (cmflow)"), or NULL */
	inspect_fn fn;
};

/* The table, in the order the rows run on a packet (a proof by one row is seen by the next). */
const struct inspector *inspectors(unsigned *n);

/* Runs the rows that apply to this packet; returns true while any of them wants more packets. */
bool inspect_packet(const struct inspect_env *env, struct flow *f, const struct packet *p, enum flow_dir dir);

/* Inspection of the flow ends (its packet budget spent, the connection closed, or the flow itself ended):
 * readers whose result is read at the end settle it now (a TLS handshake's posture, proto/tls_handshake.h, goes
 * into the side record's flow_tls) and free their state. The engine calls it before it frees the parsers'
 * states; calling it again does nothing. */
void inspect_end(const struct inspect_env *env, struct flow *f);

/* The Suricata name of what cmflow proved on the flow ("http", "tls" ...), else nDPI's proven protocol's
 * (dpi.h), else NULL. */
const char *flow_app_proto(const struct flow *f);

/* The summary's name of cmflow's own proof of app_proto ("HTTP (cmflow)"), or NULL when no row proves it. */
const char *inspect_label(const char *app_proto);

#endif

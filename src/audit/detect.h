/* detect.h: detections over sequences of flows (signatures/detections.txt): each detection is a short sequence of
 * steps, each step a predicate on an ended flow (an SMB write to an administrative share, a service control
 * manager call, a WMI call, an HTTP request ...), matched between the same two hosts or from the same source
 * within a window of packet time. Client push (source text P1, Table 1 row 16) is the first; issue 23's
 * techniques are more lines of the same file.
 *
 * Two parts: the definitions (struct detections, loaded with the signatures by the one data-file reader,
 * lineparse.h; read-only, shared), and the table of sequences under way (struct detect_table), shared by the
 * capture workers as the expectation table is (one mutex, taken only for flows that match a step). Each ended
 * flow is matched against every step of every detection; a match is an occurrence of that step (its time span,
 * the flow) kept for the detection and its scope's hosts. Occurrences are kept whatever order the flows end in
 * (a long SMB session that ends by timeout still completes the sequence its later service call began), and a
 * sequence completes when one occurrence of each step lies within the window, in the steps' order unless the
 * detection says order=any. A completed sequence is a hit (detect_flow's output); its occurrences are spent.
 *
 * Bounds: DETECT_TABLE_ENTRIES sequences under way (the least recently touched goes when full: counted as
 * evicted when it was still within its window and grace, as expired otherwise), DETECT_OCC_MAX occurrences of
 * one step (the oldest goes: counted). An entry lives for its window plus the grace the engine gives (its longest
 * flow timeout: a flow may end that long after its step). */
#ifndef CMFLOW_DETECT_H
#define CMFLOW_DETECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "audit/finding.h"
#include "audit/roles.h"
#include "flow/flow.h"
#include "proto/http.h"

struct ruleset;
struct policy;
struct site_config;
struct rpc_names;
struct detections;

/* What the detections read of the signatures (knowledge.h fills one per loaded set: knowledge_detect_env): the
 * role vocabulary, the findings already taken (ids and signature ids), the site configuration, the detections
 * themselves (NULL while they are being loaded) and the RPC names. */
struct detect_env {
	const struct ruleset *rules;
	const struct policy *policy;
	const struct site_config *site;
	const struct detections *detections;
	const struct rpc_names *rpc;
};
struct flow_label;

#define DETECT_MAX 64            /* detections */
#define DETECT_PREDICATES_MAX 64 /* step statements */
#define DETECT_STEPS_MAX 4       /* steps of a detection */
#define DETECT_ALTS_MAX 4        /* predicates one step accepts (any of them) */
#define DETECT_VALUES_MAX 8      /* values of one argument of a predicate */
#define DETECT_OCC_MAX 3         /* occurrences kept of one step of one sequence */
#define DETECT_TABLE_ENTRIES 4096
#define DETECT_CHALLENGES 4096  /* NTLM server challenges kept for the relay matcher (a power of two) */
#define DETECT_WHAT_MAX 160      /* a step's description: "SMB write ADMIN$\ccmsetup.exe (60000 bytes)" */

enum detect_kind {
	DETECT_SMB_TREE = 1, DETECT_SMB_WRITE, DETECT_RPC, DETECT_HTTP,
	DETECT_AUTH,        /* an authentication exchange of the flow (auth.h) */
	DETECT_DHCP,        /* a DHCP/PXE message (boot.h) */
	DETECT_TFTP,        /* a TFTP request's file name (boot.h) */
	DETECT_SMB_SIGNING, /* the SMB NEGOTIATE answer's signing requirement */
	DETECT_NTLM_RELAY,  /* the flow's NTLM server challenge seen in another exchange between other peers */
};
enum detect_scope { DETECT_SCOPE_PAIR = 1, DETECT_SCOPE_SOURCE };
enum detect_over { DETECT_OVER_ANY = 0, DETECT_OVER_TCP, DETECT_OVER_PIPE };

/* A step statement: `step NAME KIND ARG=V1,V2 ...` (detections.txt documents the kinds and their arguments). */
struct detect_pred {
	char name[40];
	uint8_t kind;                               /* enum detect_kind */
	char shares[DETECT_VALUES_MAX][32];         /* smb-tree, smb-write: share names (case-insensitive) */
	unsigned nshares;
	char suffixes[DETECT_VALUES_MAX][32];       /* smb-write: the file name ends so (case-insensitive); none: any */
	unsigned nsuffixes;
	uint8_t ifaces[DETECT_VALUES_MAX][16];      /* rpc: the interfaces */
	unsigned nifaces;
	struct { uint8_t iface; uint16_t opnum; } ops[4 * DETECT_VALUES_MAX]; /* rpc: the opnums; none: any bind */
	unsigned nops;
	uint8_t over;                               /* rpc: enum detect_over */
	char methods[DETECT_VALUES_MAX][24];        /* http: request methods */
	unsigned nmethods;
	char urls[DETECT_VALUES_MAX][64];           /* http: URL prefixes (case-insensitive; ending in '$': the whole
						     * URL) */
	unsigned nurls;
	uint16_t statuses[DETECT_VALUES_MAX];       /* http: the request's answer had one of these statuses; none: any */
	unsigned nstatuses;
	char agents[DETECT_VALUES_MAX][64];         /* http: the User-Agent contains one of these (case-insensitive) */
	unsigned nagents;
	uint32_t header_bits;                       /* http: the tests of detections' header_tests all met */
	uint8_t overs;                              /* auth: bit (1 << enum auth_over) of the carriers; 0: any */
	uint8_t mech;                               /* auth: enum auth_mech, 0 any */
	uint8_t auth_type;                          /* auth: the NTLMSSP message the exchange reached (3: AUTHENTICATE),
						     * 0 any */
	int8_t anonymous;                           /* auth: 1 anonymous, 0 not, -1 either */
	uint8_t pxe_types;                          /* dhcp: bit (1 << t) of option 243's first byte t; 0: any message
						     * with option 243 when pxe-243= is given, see has_pxe */
	bool has_pxe;
	int8_t signing_required;                    /* smb-signing: 1 required, 0 not required */
};

/* A detection line. Invariant: 1 <= nsteps <= DETECT_STEPS_MAX; each step has 1..DETECT_ALTS_MAX predicates
 * (indexes into struct detections' preds). */
struct detection {
	struct finding_kind kind;                   /* id, signature id, severity, verdict, category, sentence, advice
						     * and its source */
	char technique[40];                         /* the Misconfiguration Manager catalogue's id, or "" */
	char mitre[64];                             /* ATT&CK technique ids, comma-separated, or "" */
	uint8_t scope;                              /* enum detect_scope */
	uint32_t window_s;
	bool ordered;
	bool posture;                               /* kind=posture: what a host's configuration allows, told
						     * by one flow; else an activity, what hosts did */
	uint8_t nsteps;
	uint8_t nalts[DETECT_STEPS_MAX];
	uint8_t alts[DETECT_STEPS_MAX][DETECT_ALTS_MAX];
	role_set src_roles, dst_roles;              /* the end has one of these configured roles (or, when *_not, none of
						     * them); 0: no condition */
	bool src_not, dst_not;
	uint8_t min_hosts;                          /* hosts=N: the occurrences reach N responders (scope source) */
	int8_t site;                                /* 1: only with a site configuration's host lines; 0: only without;
						     * -1 either */
	char steps_text[128];                       /* "admin-share-write then service-create|wmi-call" */
};

struct detections {
	struct detect_pred preds[DETECT_PREDICATES_MAX];
	unsigned npreds;
	struct detection v[DETECT_MAX];
	unsigned n;
	unsigned kinds;                             /* bit 1 << kind of every predicate a detection uses */
	struct http_header_tests header_tests;      /* the http steps' header= tests (the HTTP inspector reads them) */
	uint32_t relay_window_s;                    /* the longest window of the ntlm-relay detections, 0: none */
	struct { char name[32]; role_set roles; } sets[8]; /* `roles NAME LIST`: @NAME in src=/dest= */
	unsigned nsets;
};

/* Loads path (a detections file) with the interface and opnum names and the roles of k (rpc-interfaces.txt and
 * the rules' roles must be loaded). NULL and "FILE:LINE: ..." in err on any error (an unknown predicate, role,
 * interface or opnum name, a step that no statement defines, a bound exceeded, a finding id used twice). */
struct detections *detections_load(const char *path, const struct detect_env *k, char *err, size_t errlen);
void detections_free(struct detections *d);

struct roles;

/* --list-detections: one detection a line, tab-separated: id, signature id, severity, verdict, the catalogue's
 * technique and the ATT&CK ids ('-' for none), kind (activity or posture), scope, window in seconds, the role
 * conditions ('-' for none), the steps. */
void detections_list(const struct detections *d, const struct roles *roles, FILE *out);

/* The detection with this finding id, or NULL. */
const struct detection *detections_find(const struct detections *d, const char *id);

/* ---- sequences under way ---- */

/* One step of a hit: the flow that made it and when. */
struct detect_step_hit {
	uint8_t step;                               /* 0-based index of the detection's step */
	uint64_t flow_id;
	struct flow_key key;
	bool init_is_lo;
	uint64_t flow_first_us, flow_last_us;       /* the flow's span (its display filter, its evidence) */
	uint64_t begin_us, end_us;                  /* the step's own span within the flow */
	char rule[12];                              /* the port matrix rule the flow matched ("RP1", "R16"), or "" */
	char what[DETECT_WHAT_MAX];
};

#define DETECT_HIT_MAX (DETECT_STEPS_MAX * DETECT_OCC_MAX)

/* A completed sequence: the detection, the hosts of its scope, and the occurrences that make it, in time order:
 * one of each step that together fit the window and order (the sequence), and the other occurrences of its
 * steps within the window around it (a refused CreateServiceW before the StartServiceW that completed it). */
struct detect_hit {
	const struct detection *d;
	uint8_t family;
	uint8_t src[16], dst[16];                   /* dst only for scope pair */
	unsigned nsteps;                            /* occurrences in steps[] */
	struct detect_step_hit steps[DETECT_HIT_MAX];
};

struct detect_stats {
	uint64_t occurrences;   /* steps matched by ended flows */
	uint64_t hits;          /* sequences completed */
	uint64_t evicted;       /* sequences under way pushed out by a full table, still in their window */
	uint64_t expired;       /* sequences that aged out unfinished */
	uint64_t occ_dropped;   /* occurrences pushed out by later ones of the same step */
	uint64_t active, capacity;
	uint64_t challenges;        /* NTLM server challenges kept for the relay matcher */
	uint64_t challenges_evicted; /* pushed out by a full table while still within their window */
};

struct detect_table;

/* A table of at most capacity sequences under way; an entry lives its window plus grace_s seconds after its
 * latest occurrence. NULL when memory is short. */
struct detect_table *detect_table_new(uint32_t capacity, uint32_t grace_s);
void detect_table_free(struct detect_table *t);

#define DETECT_HITS_MAX 4 /* hits one flow may complete */

/* A flow has ended at packet time now_us, labelled lab (its configured roles decide the detections' role
 * conditions: inferred roles never do): its occurrences are added, and the sequences it completes are written
 * to hits (at most max; the rest are counted as hits but not returned). Returns the number written. k's
 * detections are the definitions; t may be NULL (nothing is kept). Thread-safe. */
unsigned detect_flow(struct detect_table *t, const struct detect_env *k, const struct flow *f,
		     const struct flow_label *lab, uint64_t now_us, struct detect_hit *hits, unsigned max);

/* The steps a flow matches, without keeping anything (for tests and --list-detections): calls fn for each
 * (detection, step index, the step's description). */
void detect_match_flow(const struct detect_env *k, const struct flow *f,
		       void (*fn)(void *ctx, const struct detection *d, unsigned step, const char *what), void *ctx);

void detect_table_stats(struct detect_table *t, struct detect_stats *out);

/* "pair" or "source". */
const char *detect_scope_name(uint8_t scope);

/* "posture" (kind=posture) or "activity". */
const char *detect_kind_name(const struct detection *x);

#endif

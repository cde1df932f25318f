/* flow_ext.h: what only some flows carry, kept beside the record (struct flow.ext) and freed with it.
 *
 * Strings are copies (NUL-terminated, cut at FLOW_EXT_STR_MAX bytes, untrusted: escape on output), short ones
 * shared between flows (intern.h): read-only, freed only by flow_ext_free. Each
 * parser owns its part; flow_ext_get() allocates the record the first time anything is kept. */
#ifndef CMFLOW_FLOW_EXT_H
#define CMFLOW_FLOW_EXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flow/flow.h"

#define FLOW_EXT_STR_MAX 1024

/* Parsers' private per-flow state while they still inspect: the DCE/RPC and SMB walkers (smbrpc.h), the live
 * evidence buffer of a flow's first packets, the TLS handshake's reader. Allocated apart from the record with the
 * first one, freed when inspection ends. */
enum { PARSER_DCERPC = 0, PARSER_SMB, PARSER_EVIDENCE, PARSER_TLS, PARSER_SLOTS };

struct parser_slot {
	void *state;
	void (*free)(void *);
};

/* Where a flow was announced by another one (expect.h), and the DCE/RPC interface bound on it or announced for
 * it. */
struct flow_followup {
	uint64_t parent_flow_id;
	const char *via;                /* static string: "epm", "dcom", "tftp", "pptp", "sql-browser", "session"; NULL
					 * when the flow was not announced (its own bind named the interface) */
	uint8_t rpc_uuid[16];
	bool has_rpc_uuid;
};

struct flow_smbrpc;

/* What the TLS handshake showed (proto/tls_handshake.h), kept for TLS flows only once their reader has settled:
 * the client-authentication posture and the names of the first server and client certificates (shared or own
 * copies, at most X509_NAME_MAX - 1 bytes each; NULL when not seen). */
struct flow_tls {
	const char *subject, *issuer;               /* the server's certificate */
	const char *client_subject, *client_issuer; /* the client's, when it sent a non-empty Certificate */
	uint32_t client_cert_len;                   /* the client Certificate's certificate_list length */
	uint16_t version;                           /* the ServerHello's choice (0x0304 TLS 1.3), 0 unseen */
	uint8_t posture;                            /* enum tls_posture */
	uint8_t why;                                /* enum tls_unprovable, when unprovable */
	bool certificate_request, resumed;
};

/* Wake On LAN (wol.h): the flow's magic packet, or a packet to a Wake On LAN port that was not one. */
struct flow_wol {
	bool has;                       /* a magic packet was seen: mac, cast and password are its */
	uint8_t mac[6];
	uint8_t cast;                   /* 0 unicast, 1 subnet-directed broadcast, 2 limited broadcast, 3 L2 broadcast */
	bool password;
	bool not_magic;                 /* a packet to a Wake On LAN port that is not a magic packet */
};

struct flow_auth;
struct flow_http;
struct flow_boot;

/* What fewer flows carry, kept apart so that the side record stays small: Wake On LAN, the authentication
 * exchanges (auth.h), the HTTP requests after the first (http_requests.h), DHCP/PXE and TFTP (boot.h). Allocated
 * with the first of them (flow_ext_more), freed with the flow; each pointer NULL until its record is needed. */
struct flow_more {
	struct flow_wol wol;
	struct flow_auth *auth;
	struct flow_http *http;
	struct flow_boot *boot;
};

/* A record of 88 bytes (96 with the allocator's header): with the 160 of struct flow, a flow that keeps HTTP or
 * TLS fields costs at most 256 bytes once its detection has ended; a TLS flow's handshake adds its flow_tls, an SMB
 * or DCE/RPC flow's lists are its flow_smbrpc (smbrpc.h: its one share too, smbrpc_notable_share), the rarer
 * protocols' facts and authentication its flow_more, a tunnelled flow's encapsulation its struct packet_tunnel
 * (f->tunnel). */
struct flow_ext {
	/* HTTP request (cmflow's request-line parser, else nDPI's fields): the first of the connection */
	const char *http_method, *http_url, *http_host, *http_user_agent;
	/* TLS (cmflow's hello parsers, else nDPI's fields) */
	const char *tls_sni;
	struct flow_followup *followup; /* or NULL */
	struct flow_tls *tls;           /* or NULL: no TLS handshake was read (flow_ext_tls) */
	struct flow_smbrpc *smbrpc;     /* shares, files, pipes, RPC interfaces (smbrpc.h), or NULL */
	struct parser_slot *parsers;    /* [PARSER_SLOTS], or NULL */
	struct flow_more *more;         /* or NULL (flow_ext_more) */
	uint16_t http_status;           /* the first request's answer */
	uint16_t tls_version;           /* wire value (0x0303 = TLS 1.2); 0 unknown */
	uint8_t http_requests;          /* request lines seen (saturates) */
};

/* Returns the flow's side record, allocating it (zeroed) on first use; NULL when memory is short (the caller
 * then keeps nothing, and the flow is still counted). */
struct flow_ext *flow_ext_get(struct flow *f);

/* The flow's follow-up record, allocating it (zeroed) on first use; NULL when memory is short. */
struct flow_followup *flow_ext_followup(struct flow *f);

/* The flow's TLS handshake record, allocating it (zeroed) on first use; NULL when memory is short. */
struct flow_tls *flow_ext_tls(struct flow *f);

/* The flow's record of rarer facts, allocating it (zeroed) on first use; NULL when memory is short. */
struct flow_more *flow_ext_more(struct flow *f);

/* The flow's Wake On LAN facts, or NULL when it kept none. */
const struct flow_wol *flow_wol(const struct flow *f);

/* Keeps the tunnel the flow's first packet came in, in a record of its own (f->tunnel, allocated only for
 * tunnelled flows; the side record's budget stays untouched). False when memory is short: the flow then says
 * nothing of its tunnel. */
bool flow_ext_set_tunnel(struct flow *f, const struct packet_tunnel *t);

/* The state a parser keeps in slot for the flow, or NULL. */
void *flow_ext_parser(const struct flow *f, int slot);

/* Keeps state (freed by free_fn with the flow) in slot, or empties the slot (state NULL, nothing freed). False
 * when memory is short (state is then not kept: the caller frees it). */
bool flow_ext_set_parser(struct flow *f, int slot, void *state, void (*free_fn)(void *));

/* Frees the parsers' states but the live evidence buffer (inspection has ended; the record stays). */
void flow_ext_free_parsers(struct flow *f);

/* Frees the side record with what this module keeps in it (strings, parsers' states, follow-up, TLS, the flow_more
 * record itself), and the tunnel record; f->ext and f->tunnel become NULL. The records other modules hang on it
 * (smbrpc, auth, http, boot) are theirs to free first: flow_release (flow_release.h) frees a flow's all. */
void flow_ext_free(struct flow *f);

/* Replaces *dst with s[0..n) cut to FLOW_EXT_STR_MAX: the shared copy of a short string (intern.h), else a copy
 * of its own; false when memory is short. */
bool flow_ext_set_str(const char **dst, const char *s, size_t n);

#endif

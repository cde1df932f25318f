/* smbrpc.h: what a flow keeps of SMB and DCE/RPC, and the inspectors' rows that fill it: the SMB message walker
 * on 445/139 ([MS-SMB2], [MS-CIFS]: smb.h) with the DCE/RPC of its named pipes, and DCE/RPC over TCP ([C706],
 * [MS-RPCE]: dcerpc.h) on the endpoint mapper's port and wherever a connection starts with a bind.
 *
 * The record (struct flow_smbrpc) hangs off the flow's side record and is allocated only for flows that have
 * something to keep: the shares connected, the files created or written (name, share, bytes), the named pipes,
 * every presentation context bound with its acknowledgement, opnums and auth verifier's type, the SMB dialect and
 * signing, the endpoints announced. Each list is bounded (SMBRPC_*_MAX, then counted) and grows as needed; the
 * record is freed with the flow (flow_ext_free). Names are copies (flow_ext_set_str), converted to valid UTF-8 by
 * the walker, untrusted: escape on output. No byte of a security blob, an auth verifier or a file's content is
 * kept.
 *
 * The walkers themselves live in the flow's parser slots (PARSER_SMB, PARSER_DCERPC) while they read: a flow is
 * watched for as long as its walker can still tell something (client push writes to ADMIN$ after a long IPC$
 * conversation, and creates its service later on the same connection), up to SMBRPC_WATCH_MAX_PACKETS payload
 * packets (counted in `watch_cut` when the bound stops it); a walker that loses the stream or meets only encrypted
 * messages stops early. */
#ifndef CMFLOW_SMBRPC_H
#define CMFLOW_SMBRPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "decode/decode.h"
#include "flow/flow.h"

struct expect_table;
struct dcerpc_endpoint;

#define SMBRPC_IFACES_MAX 16
#define SMBRPC_SHARES_MAX 8
#define SMBRPC_FILES_MAX 16
#define SMBRPC_PIPES_MAX 8
#define SMBRPC_WATCH_MAX_PACKETS 16384u /* payload packets a walker reads of one flow */

/* A presentation context bound on the connection (over TCP, pipe < 0) or on one of its named pipes. Invariant:
 * opnums has bit n set when a request for opnum n < 128 was seen (higher ones counted in opnums_high); first_us
 * <= last_us once requests > 0; accepted is DCERPC_SYNTAX_NONE unless has_ack and ack_result is 0. */
struct smbrpc_iface {
	uint8_t uuid[16];
	uint16_t ver_major, ver_minor;
	uint16_t ctx_id;
	int8_t pipe;              /* index in pipes[], -1: DCE/RPC over TCP */
	bool has_ack;
	uint16_t ack_result, ack_reason;
	uint8_t accepted;         /* enum dcerpc_syntax */
	uint8_t auth_type, auth_level; /* of the first request with a verifier (0: none seen) */
	uint8_t opnums[16];
	uint32_t opnums_high;
	uint32_t requests, faults;
	uint64_t first_us, last_us; /* packet time of its first and last request */
};

/* A tree connect's answer. */
struct smbrpc_share {
	const char *name;         /* "ADMIN$" (the path's last component) */
	uint32_t status;          /* 0 success (SMB1 DOS errors as class << 16 | code) */
	bool ipc;
	uint64_t ts_us;
};

/* A file created or written (never a pipe). Invariant: share indexes shares[] or is -1 (tree not seen). */
struct smbrpc_file {
	const char *name;
	int8_t share;
	bool created;             /* create action "created" or "overwritten" */
	uint32_t status, disposition, create_action;
	uint32_t writes;
	uint64_t bytes_written;
	uint64_t first_us, last_us; /* its first and last write (or its create when never written) */
};

struct smbrpc_pipe {
	const char *name;         /* without "\PIPE\" */
	uint32_t status;
};

/* Invariant: n* <= the bound of each list; *_dropped count what did not fit. */
struct flow_smbrpc {
	struct smbrpc_iface *ifaces;
	struct smbrpc_share *shares;
	struct smbrpc_file *files;
	struct smbrpc_pipe *pipes;
	uint8_t nifaces, nshares, nfiles, npipes;
	uint8_t cap_ifaces, cap_shares, cap_files, cap_pipes;
	uint32_t ifaces_dropped, shares_dropped, files_dropped, pipes_dropped;
	/* SMB */
	bool negotiated;
	uint8_t smb_version;      /* 1 or 2 (SMB 2 and 3) */
	uint16_t dialect;         /* SMB2 DialectRevision; 0x0100 for SMB1 */
	char dialect_name[16];    /* "NT LM 0.12" (SMB1), "" for SMB2 (the revision says it) */
	bool signing_enabled, signing_required;
	uint32_t encrypted;       /* SMB3 transform messages (not readable) */
	/* DCE/RPC */
	bool has_auth;
	uint8_t auth_type, auth_level; /* the connection's first verifier */
	uint32_t endpoints;       /* endpoints announced (endpoint mapper, DCOM) */
	bool endpoints_ndr64, endpoints_unbound;
	uint32_t faults;
	bool watch_cut;           /* the walker stopped at SMBRPC_WATCH_MAX_PACKETS */
};

/* The inspectors' rows (inspect.c's table): each reads one packet of a flow under inspection and returns true
 * while it wants more of the flow's packets. expect (may be NULL) takes the endpoints announced. */
bool smbrpc_smb_row(struct expect_table *expect, struct flow *f, const struct packet *p, enum flow_dir dir);
bool smbrpc_dcerpc_row(struct expect_table *expect, struct flow *f, const struct packet *p, enum flow_dir dir);

/* The flow's record, or NULL when it kept nothing of SMB or DCE/RPC. */
const struct flow_smbrpc *flow_smbrpc(const struct flow *f);

/* Frees a record (flow_ext_free calls it). */
void smbrpc_free(struct flow_smbrpc *r);

/* The notable share of an SMB flow (Suricata's smb.share: the first successful one other than IPC$, else IPC$),
 * the first named pipe, the first file written (else created): NULL when there is none. */
const char *smbrpc_notable_share(const struct flow_smbrpc *r);
const char *smbrpc_first_pipe(const struct flow_smbrpc *r);
const char *smbrpc_notable_file(const struct flow_smbrpc *r);

/* True when the interface called opnum (0..127, or counted above). */
bool smbrpc_iface_called(const struct smbrpc_iface *x, unsigned opnum);

/* Suricata's name of an SMB dialect ("2.02", "3.11", "2.??"; SMB1's dialect name): writes into buf, returns it. */
const char *smbrpc_dialect_str(const struct flow_smbrpc *r, char *buf, size_t len);

/* The name of an auth verifier's type ([MS-RPCE] 2.2.1.1.7: "ntlm", "spnego", "kerberos", "netlogon" ...), or
 * NULL for 0. */
const char *smbrpc_auth_type_name(uint8_t type);

/* The name of an auth level ([MS-RPCE] 2.2.1.1.8: "none", "connect", "call", "packet", "integrity", "privacy"). */
const char *smbrpc_auth_level_name(uint8_t level);

#endif

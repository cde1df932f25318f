/* smb.h: SMB1 and SMB2/3 as a message walker ([MS-SMB2] 2.2, [MS-CIFS] 2.2 and [MS-SMB] 2.2), passively: the
 * dialect and signing of NEGOTIATE, the security blobs of SESSION_SETUP (for an NTLMSSP reader), every tree
 * connect, every file or named pipe created, written, read and closed, and the DCE/RPC carried by named pipes
 * (WRITE / READ, SMB2 IOCTL FSCTL_PIPE_TRANSCEIVE, SMB1 TRANSACTION TransactNmPipe), given per pipe and direction
 * to the DCE/RPC parser (dcerpc.h).
 *
 * Each direction of a connection is reassembled in order across TCP segments (NetBIOS session service framing,
 * RFC 1002 4.3, or its Direct TCP form on 445). A message is kept whole up to SMB_KEEP_MAX bytes; a longer one
 * (a file write of 64 KiB) keeps only its head, enough for its fixed fields, and the rest is skipped as it
 * arrives. A gap in the sequence drops the direction until a segment starts with a message again. Compounded SMB2
 * messages and SMB1 AndX chains are followed. SMB3 encrypted (transform header 0xFD) and compressed (0xFC)
 * messages are counted, not read. What is kept per connection is bounded (SMB_TREES_MAX shares, SMB_FILES_MAX
 * files, SMB_PIPES_MAX pipes, SMB_PENDING_MAX requests awaiting their answers), and what the bounds leave out is
 * counted. No byte of a security blob, a password or a file's content is kept. */
#ifndef CMFLOW_SMB_H
#define CMFLOW_SMB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/dcerpc.h"

#define SMB_TREES_MAX 8
#define SMB_FILES_MAX 16
#define SMB_PIPES_MAX 8
#define SMB_PENDING_MAX 32
#define SMB_KEEP_MAX 16384u      /* bytes of one message kept whole (a DCE/RPC fragment on a pipe fits) */
#define SMB_SHARE_MAX 80         /* bytes of a share name kept, UTF-8, NUL included */
#define SMB_NAME_MAX 160         /* bytes of a file or pipe name kept, UTF-8, NUL included */

/* A tree connect. Invariant: has_id only once its answer was seen; ipc when the server said the share is a pipe
 * share (SMB2 share type 2, SMB1 service "IPC") or, before the answer, when the share is named IPC$. */
struct smb_tree {
	uint32_t tree_id;
	bool has_id;
	bool answered;
	bool ipc;
	bool disconnected;
	uint32_t status;         /* the answer's status (0 success) */
	char share[SMB_SHARE_MAX]; /* the path's last component ("ADMIN$"), UTF-8 */
};

/* A file or named pipe opened by CREATE (SMB2) or NT_CREATE_ANDX (SMB1). Invariant: tree indexes the
 * connection's trees (or is -1); has_fid only once the answer gave the file id; pipe when opened on an IPC tree
 * (its name then is the pipe's, without a leading "\" or "\PIPE\"). */
struct smb_file {
	uint8_t version;         /* 1 or 2 */
	int8_t tree;
	bool has_fid;
	bool answered;
	bool pipe;
	bool closed;
	bool name_cut;           /* the name was longer than SMB_NAME_MAX - 1 bytes */
	uint8_t fid[16];         /* SMB2 persistent + volatile id; SMB1 FID in the first two bytes */
	uint32_t status;
	uint32_t disposition;    /* requested: 0 supersede, 1 open, 2 create, 3 open_if, 4 overwrite, 5 overwrite_if */
	uint32_t create_action;  /* answered: 0 superseded, 1 opened, 2 created, 3 overwritten */
	uint32_t writes, reads;
	uint64_t bytes_written, bytes_read;
	char name[SMB_NAME_MAX];
};

struct smb_counters {
	uint32_t messages;       /* SMB1 and SMB2 messages read (each of a compound or chain) */
	uint32_t smb1, smb2;
	uint32_t encrypted;      /* SMB3 transform messages (not read) */
	uint32_t compressed;     /* SMB 3.1.1 compression transform messages (not read) */
	uint32_t bad;            /* messages whose fields did not parse */
	uint32_t cut;            /* messages longer than SMB_KEEP_MAX, read from their head */
	uint32_t resyncs;        /* times a direction lost its message boundaries (gap, garbage) */
	uint32_t trees_dropped, files_dropped, pipes_dropped, pending_dropped;
	uint32_t pipe_bytes_lost; /* named-pipe bytes not given to DCE/RPC (cut messages) */
};

enum smb_event_kind {
	SMB_EV_NEGOTIATE = 1,    /* the server's answer: dialect, signing */
	SMB_EV_SESSION_SETUP,    /* a request or answer with its security blob (blob, blob_len; may be empty) */
	SMB_EV_TREE_CONNECT,     /* the answer (tree, status) */
	SMB_EV_TREE_DISCONNECT,  /* the request (tree) */
	SMB_EV_CREATE,           /* the answer (file, status) */
	SMB_EV_WRITE,            /* the request (file, offset, length) */
	SMB_EV_READ,             /* the answer (file, length) */
	SMB_EV_IOCTL,            /* FSCTL_PIPE_TRANSCEIVE request (length in) or answer (length out) */
	SMB_EV_TRANSACTION,      /* SMB1 TransactNmPipe request or answer (file, length) */
	SMB_EV_CLOSE,            /* the request (file) */
	SMB_EV_ENCRYPTED,        /* an SMB3 transform message (length) */
	SMB_EV_RPC,              /* an event of the DCE/RPC parser on a named pipe (file, rpc) */
};

/* What a callback is shown. Pointers are valid during the call only. */
struct smb_event {
	uint8_t kind;            /* enum smb_event_kind */
	uint8_t version;         /* 1 or 2 (SMB2 and SMB3) */
	uint8_t dir;             /* 0 from the connection's initiator */
	uint16_t command;        /* the SMB1 or SMB2 command code */
	uint32_t status;         /* answers: the status (NT status; SMB1 DOS errors as class << 16 | code) */
	/* NEGOTIATE */
	uint16_t dialect;        /* SMB2: DialectRevision (0x0202 .. 0x0311, 0x02ff); SMB1: 0x0100 */
	const char *dialect_name; /* "SMB 3.1.1", "NT LM 0.12", ... */
	bool signing_enabled, signing_required;
	/* SESSION_SETUP: the security blob (SPNEGO / NTLMSSP / Kerberos) */
	const uint8_t *blob;
	size_t blob_len;
	/* trees, files, lengths */
	const struct smb_tree *tree;
	const struct smb_file *file;
	uint64_t offset;
	uint32_t length;
	const struct dcerpc_event *rpc;
};

typedef void (*smb_event_fn)(void *ctx, const struct smb_event *ev);

struct smb_state;

/* A new connection's state; NULL when out of memory. */
struct smb_state *smb_state_new(void);
void smb_state_free(void *state);

/* Feeds one TCP segment's payload of direction dir (0 from the initiator); events go to fn (may be NULL).
 * Returns false once the stream is not SMB (no message lined up in its first segments). */
bool smb_tcp_feed(struct smb_state *s, int dir, uint32_t seq, const uint8_t *data, size_t len, smb_event_fn fn,
		  void *ctx);

/* The connection's trees and files, as kept (see the bounds): *n gets the count of entries to look at. Files are
 * slots, some of them free (version 0): a file opened only to be read or listed leaves its slot at its close;
 * pipes and files created, written or read stay. */
const struct smb_tree *smb_trees(const struct smb_state *s, size_t *n);
const struct smb_file *smb_files(const struct smb_state *s, size_t *n);
/* The DCE/RPC state of the named pipe that file (an entry of smb_files) is, or NULL. */
const struct dcerpc_state *smb_pipe_rpc(const struct smb_state *s, const struct smb_file *file);

/* The server's NEGOTIATE answer: false until it was seen. */
bool smb_negotiated(const struct smb_state *s, uint8_t *version, uint16_t *dialect, bool *signing_enabled,
		    bool *signing_required);

const struct smb_counters *smb_counters(const struct smb_state *s);

/* Finds a TREE_CONNECT request among the SMB2 messages of a segment (NetBIOS session framing, compounded
 * requests followed) and writes its share, the path's last component ("ADMIN$"), as printable ASCII (other
 * characters become '?'). False when the segment holds none. */
bool smb2_tree_connect_share(const uint8_t *p, size_t len, char *share, size_t sharelen);

/* True when a client's segment starts an SMB message: NetBIOS session framing (type 0) around an SMB 1
 * (0xFF 'SMB'), SMB 2/3 (0xFE 'SMB') or SMB 3 transform (0xFD 'SMB') header. */
bool smb_looks_like(const uint8_t *p, size_t len);

/* UTF-16LE (bytes, an even count) to NUL-terminated UTF-8 in out (cap > 0 bytes): surrogate pairs joined, lone
 * surrogates and control characters replaced (U+FFFD, '?'), cut on a character boundary. Returns true when all
 * of it fit. */
bool smb_utf16_to_utf8(const uint8_t *p, size_t bytes, char *out, size_t cap);

/* Whole-walker entry for fuzzing: data cut into segments of both directions by its own bytes, with gaps. */
void smb_fuzz_one(const uint8_t *data, size_t len);

#endif

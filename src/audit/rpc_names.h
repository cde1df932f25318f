/* rpc_names.h: DCE/RPC interfaces and their procedures by name, from signatures/rpc-interfaces.txt (lines
 * `UUID NAME` and `opnum INTERFACE N NAME`). Loaded once with the signatures and read-only afterwards; every lookup
 * takes NULL for "no names" and then finds nothing. */
#ifndef CMFLOW_RPC_NAMES_H
#define CMFLOW_RPC_NAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RPC_NAMES_MAX 256
#define RPC_OPNUMS_MAX 1024

struct rpc_name {
	uint8_t uuid[16];
	char name[40];
};

/* A procedure of an interface: rpc-interfaces.txt's `opnum INTERFACE N NAME`. */
struct rpc_opnum {
	uint8_t uuid[16];
	uint16_t opnum;
	char name[48];
};

/* Invariants: nnames <= RPC_NAMES_MAX, nopnums <= RPC_OPNUMS_MAX, opnums sorted by uuid then opnum, no
 * (uuid, opnum) twice. */
struct rpc_names {
	struct rpc_name *names;
	unsigned nnames;
	struct rpc_opnum *opnums;
	unsigned nopnums;
};

/* Reads the file; NULL with "FILE:LINE: ..." in err on any error. */
struct rpc_names *rpc_names_load(const char *path, char *err, size_t errlen);
void rpc_names_free(struct rpc_names *n);

/* The name of an RPC interface ("IWbemLevel1Login"), or NULL. */
const char *rpc_names_name(const struct rpc_names *n, const uint8_t uuid[16]);

/* The interface named name: its uuid into out; false when no line names it. */
bool rpc_names_uuid(const struct rpc_names *n, const char *name, uint8_t out[16]);

/* The name of opnum on an interface ("CreateServiceW"), or NULL. */
const char *rpc_names_opnum_name(const struct rpc_names *n, const uint8_t uuid[16], unsigned opnum);

/* The opnum named name on an interface: false when the file names none so. */
bool rpc_names_opnum(const struct rpc_names *n, const uint8_t uuid[16], const char *name, unsigned *opnum);

#endif

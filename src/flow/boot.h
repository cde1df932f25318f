/* boot.h: what a flow keeps of network boot: BOOTP/DHCP with the PXE options (RFC 2131, RFC 2132, RFC 4578) on UDP
 * 67/68 and on the PXE boot server port 4011 (proto/dhcp.h), and the file names of TFTP requests (RFC 1350,
 * proto/tftp.h). A ConfigMgr PXE service point answers a PXE client with option 243 (the media variables file's
 * path, or its key when the media has no password) and option 252 (the boot configuration's path); the client
 * then reads the variables file over TFTP.
 *
 * Kept for a DHCP flow: the message types seen, the first message's kind, transaction id and client hardware
 * address, the addresses of the replies, the client's vendor class (60), architectures (93) and machine
 * identifier (97), option 243's first byte and length only (never its other bytes: with type 2 they are the
 * media key), option 252, the boot file and the TFTP server. For a TFTP request flow: the names read or written
 * (BOOT_TFTP_FILES_MAX, then counted). The record hangs off the flow's flow_more and is freed with the flow;
 * strings are copies (flow_ext_set_str), untrusted: escape on output. */
#ifndef CMFLOW_BOOT_H
#define CMFLOW_BOOT_H

#include <stdbool.h>
#include <stdint.h>

#include "decode/decode.h"
#include "flow/flow.h"
#include "proto/dhcp.h"

#define BOOT_TFTP_FILES_MAX 4

/* Invariants: messages > 0 once anything is kept; types has bit (1 << t) for each option-53 type t seen (bit 0: a
 * BOOTP message without one); the has_* flags say which optional fields hold a value; opt243_len is the option's
 * whole length (its pieces joined). */
struct boot_dhcp {
	uint32_t messages;
	uint16_t types;
	uint8_t first_type;            /* enum dhcp_msg_type of the first message (0: BOOTP) */
	uint8_t first_op;              /* 1 BOOTREQUEST, 2 BOOTREPLY */
	uint32_t xid;                  /* of the first message */
	bool has_client_mac, has_assigned, has_next_server, has_client_ip, has_uuid, has_243;
	uint8_t client_mac[6];
	uint8_t assigned[4];           /* a reply's yiaddr */
	uint8_t next_server[4];        /* a reply's siaddr */
	uint8_t client_ip[4];          /* a request's ciaddr */
	uint8_t narch;
	uint16_t arch[DHCP_ARCH_MAX];
	uint8_t uuid[16];              /* option 97's client machine identifier */
	uint8_t opt243_type;           /* option 243's first byte: 1 a path (password-protected media), 2 the key */
	uint16_t opt243_len;
	const char *vendor_class;      /* option 60 of the first message with one */
	const char *bcd;               /* option 252 */
	const char *boot_file;         /* option 67, else the file field */
	const char *tftp_server;       /* option 66, else the sname field */
};

struct boot_tftp {
	const char *files[BOOT_TFTP_FILES_MAX];
	bool write[BOOT_TFTP_FILES_MAX];
	const char *mode;              /* of the first request ("octet"; static) */
	uint8_t n;
	uint32_t dropped;
};

struct flow_boot {
	struct boot_dhcp dhcp;
	struct boot_tftp tftp;
};

/* The inspectors' rows (inspect.c): a UDP payload of a flow on 67, 68 or 4011 read as BOOTP/DHCP (returns true
 * when it was one), and a TFTP request on 69 (its file name kept). */
bool boot_dhcp_packet(struct flow *f, const struct packet *p);
void boot_tftp_packet(struct flow *f, const struct packet *p);

/* The flow's record, or NULL when it kept nothing of DHCP or TFTP. */
const struct flow_boot *flow_boot(const struct flow *f);

/* Frees a record (flow_ext_free calls it). */
void flow_boot_free(struct flow_boot *b);

/* Suricata's dhcp_type names ("discover", "offer" ... "inform"), or NULL. */
const char *boot_dhcp_type_name(unsigned type);

#endif

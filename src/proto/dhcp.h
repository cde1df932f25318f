/* dhcp.h: BOOTP and DHCP messages (RFC 951, RFC 2131, options RFC 2132), with the PXE options (RFC 4578) and the
 * site-specific options 224-254, on UDP 67/68 and on the PXE boot server port 4011.
 *
 * Kept: the fixed header's addresses, the client hardware address, the server name and boot file, the message
 * type (53), server identifier (54), vendor class (60), TFTP server and boot file options (66, 67), client
 * system architectures (93), client machine identifier (97), and option 252 as a string. Of the site-specific
 * options (224..254) only the first byte and the total length are kept, never the rest: ConfigMgr's PXE service
 * point puts the media variables file's key in option 243, whose first byte tells a path (1) from the key
 * itself (2). Option overload (52) is followed into the file and sname fields; options split in several pieces
 * (RFC 3396) are joined. */
#ifndef CMFLOW_DHCP_H
#define CMFLOW_DHCP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DHCP_PORT_SERVER 67
#define DHCP_PORT_CLIENT 68
#define DHCP_PORT_PXE 4011

#define DHCP_STR_MAX 128    /* option strings kept, NUL included */
#define DHCP_ARCH_MAX 4     /* architectures of option 93 kept */
#define DHCP_PRIVATE_FIRST 224
#define DHCP_PRIVATE_LAST 254

enum dhcp_msg_type {
	DHCP_NONE = 0, /* BOOTP, or no option 53 */
	DHCP_DISCOVER = 1,
	DHCP_OFFER,
	DHCP_REQUEST,
	DHCP_DECLINE,
	DHCP_ACK,
	DHCP_NAK,
	DHCP_RELEASE,
	DHCP_INFORM,
};

/* A site-specific option: what is kept of it. Invariant: len == 0 when the option was absent. */
struct dhcp_private {
	uint8_t first;  /* its first byte (0 when the option was empty) */
	uint16_t len;   /* its total length, all pieces together */
};

/* One BOOTP/DHCP message as parsed. Invariants: strings are NUL-terminated printable ASCII (other bytes shown
 * as '?', trailing NULs dropped), "" when absent; sname and file are "" when option overload gave those fields
 * to options; arch[] holds min(arch_count, DHCP_ARCH_MAX) entries. */
struct dhcp_msg {
	uint8_t op;                 /* 1 BOOTREQUEST, 2 BOOTREPLY */
	uint8_t htype, hlen;        /* hardware type (1 Ethernet) and address length (<= 16) */
	uint8_t hops;
	uint32_t xid;
	uint16_t secs, flags;
	uint8_t ciaddr[4], yiaddr[4], siaddr[4], giaddr[4];
	uint8_t chaddr[16];
	bool is_dhcp;               /* the magic cookie 99.130.83.99 follows the fixed header */
	bool truncated;             /* an option ran past the end of its area (its code counted, its value not read);
				       later options were not seen */
	bool has_server_id;
	bool has_uuid;
	uint8_t msg_type;           /* option 53, enum dhcp_msg_type */
	uint8_t overload;           /* option 52: 1 file, 2 sname, 3 both carry options; 0 none */
	uint8_t uuid_type;          /* option 97: identifier type (0: a 16-byte UUID follows) */
	uint8_t uuid[16];           /* option 97's UUID as on the wire */
	uint8_t server_id[4];       /* option 54 */
	uint8_t arch_count;         /* option 93: how many architectures the client listed */
	uint16_t arch[DHCP_ARCH_MAX];
	uint16_t option_count;      /* options read (pieces counted once each), pad and end excluded */
	uint8_t present[32];        /* bit (code % 8) of byte (code / 8) for every option code seen */
	struct dhcp_private priv[DHCP_PRIVATE_LAST - DHCP_PRIVATE_FIRST + 1]; /* options 224..254 */
	char sname[65];             /* fixed field: server host name */
	char file[129];             /* fixed field: boot file name */
	char vendor_class[DHCP_STR_MAX]; /* option 60 ("PXEClient:Arch:00007:UNDI:003016", "MSFT 5.0") */
	char tftp_server[DHCP_STR_MAX];  /* option 66 */
	char bootfile[DHCP_STR_MAX];     /* option 67 */
	char opt252[DHCP_STR_MAX];       /* option 252: a WPAD URL, or the BCD path of a ConfigMgr PXE answer */
};

/* Parses a UDP payload as a BOOTP message (op 1 or 2, hardware length at most 16, the 236-byte fixed header
 * whole) and, when the magic cookie follows, its DHCP options. False, with *out zeroed, when it is not one.
 * Options cut by the payload's end leave truncated set; what came before them is kept. */
bool dhcp_parse(const uint8_t *payload, size_t len, struct dhcp_msg *out);

/* True when the message carried option code. */
bool dhcp_has_option(const struct dhcp_msg *m, uint8_t code);

/* The site-specific option code (224..254) as kept, or NULL when out of that range or absent. */
const struct dhcp_private *dhcp_private_option(const struct dhcp_msg *m, uint8_t code);

/* The client's Ethernet address: true when htype is 1 and hlen 6. */
bool dhcp_client_mac(const struct dhcp_msg *m, uint8_t mac[6]);

/* "DISCOVER", "OFFER", ... "INFORM", or NULL. */
const char *dhcp_msg_type_name(unsigned type);

/* RFC 4578 / IANA processor architecture names of option 93 ("x86 BIOS", "x64 UEFI", ...), or NULL. */
const char *dhcp_arch_name(uint16_t arch);

#endif

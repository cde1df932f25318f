/* wol.h: Wake On LAN magic packets (Table 1 row 85), recognised by their payload, not by nDPI or the port.
 *
 * A magic packet is six bytes 0xFF, then the target's MAC address sixteen times; a SecureOn password of 4 or 6
 * bytes may follow. It travels in UDP (port 9, 7, or the site's WOL port) or directly in an Ethernet frame with
 * EtherType 0x0842. cmflow keeps the target MAC, how the packet was addressed, and whether a password was present
 * (never its value). */
#ifndef CMFLOW_WOL_H
#define CMFLOW_WOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "decode/decode.h"

#define ETHERTYPE_WOL 0x0842

enum wol_cast {
	WOL_UNICAST = 0,
	WOL_SUBNET_BROADCAST,   /* an IP unicast-looking address sent to the Ethernet broadcast: x.y.z.255 style */
	WOL_LIMITED_BROADCAST,  /* 255.255.255.255 */
	WOL_MULTICAST,          /* IPv6 all-nodes and other groups */
	WOL_L2_BROADCAST,       /* EtherType 0x0842 to ff:ff:ff:ff:ff:ff */
	WOL_L2_UNICAST,         /* EtherType 0x0842 to one station */
};

struct wol_magic {
	uint8_t target_mac[6];
	uint8_t password_len;   /* 0, 4 or 6 */
	uint16_t offset;        /* where the sync stream starts in the payload */
};

/* Finds a magic packet in payload (anywhere, as the format allows). */
bool wol_parse(const uint8_t *payload, size_t len, struct wol_magic *out);

/* How the packet carrying a magic packet was addressed. */
enum wol_cast wol_cast_of(const struct packet *p);

const char *wol_cast_name(enum wol_cast c);

/* "00:1a:4b:00:00:01" into buf (at least 18 bytes). */
const char *wol_mac_str(const uint8_t mac[6], char *buf, size_t len);

#endif

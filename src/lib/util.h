/* util.h: small helpers shared by the outputs: address and time formatting. */
#ifndef CMFLOW_UTIL_H
#define CMFLOW_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ADDR_STR_MAX 46 /* INET6_ADDRSTRLEN */
#define TS_STR_MAX 40

/* Writes an address of the given family (4 or 6) in its usual text form; returns buf. */
const char *addr_to_str(uint8_t family, const uint8_t *addr, char *buf, size_t len);

/* Writes microseconds since the epoch as EVE's timestamp, "2012-09-25T21:02:14.123456+0000" (UTC). */
const char *ts_to_eve(uint64_t ts_us, char *buf, size_t len);

/* Parses an address in its text form (IPv4 dotted quad or IPv6) into family (4 or 6) and addr (16 bytes, IPv4 in
 * the first 4, the rest zero); false when s is neither. */
bool addr_parse(const char *s, uint8_t *family, uint8_t addr[16]);

/* Parses an EVE timestamp ("2012-09-25T21:02:14.123456+0000", the zone +HHMM or -HHMM) into microseconds since
 * the epoch; false when s is not one. */
bool ts_from_eve(const char *s, uint64_t *us);

/* Name of an IP protocol as EVE writes it ("TCP", "UDP", "ICMP", "IPv6-ICMP", "GRE", "ESP", else the number). */
const char *ip_proto_name(uint8_t proto, char *buf, size_t len);
/* The number of an IP protocol named as ip_proto_name writes it; 0 for NULL or a name it does not know. */
unsigned ip_proto_parse(const char *name);

#endif

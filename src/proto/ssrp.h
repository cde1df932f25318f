/* ssrp.h: the SQL Server Browser's answer ([MS-SQLR] 2.2.5, SVR_RESP: 0x05, a little-endian size, then text with
 * ";tcp;PORT;" for each instance): the TCP ports of the named instances it lists (a follow-up of row 62 and
 * others: "tcp/sql-dynamic"). */
#ifndef CMFLOW_SSRP_H
#define CMFLOW_SSRP_H

#include <stddef.h>
#include <stdint.h>

/* The ports of the instances listed in p[0..len): returns how many were found (at most max are stored). */
size_t ssrp_parse_ports(const uint8_t *p, size_t len, uint16_t *ports, size_t max);

#endif

/* display_filter.h: a Wireshark display filter that selects exactly one flow's packets (its addresses, ports or
 * IP protocol, VLAN, and the time window of the flow), for the alerts' configmgr.wireshark_filter and the
 * findings of the summary and the report. Every filter written is one tshark accepts (unit-tested). A tunnelled
 * flow's filter names its inner layers (ip.src#2, udp.srcport#2, vlan.id#2: Wireshark 4.0's layer operator) and
 * its tunnel identity (vxlan.vni, geneve.vni, erspan.spanid, gre.key). */
#ifndef CMFLOW_DISPLAY_FILTER_H
#define CMFLOW_DISPLAY_FILTER_H

#include <stddef.h>
#include <stdint.h>

#include "flow/flow.h"

/* Writes the filter of flow f into buf (cut, still NUL-terminated, when len is too small); returns buf. */
const char *flow_display_filter(const struct flow *f, char *buf, size_t len);

/* Writes the filter of the packets between hosts a and b (addresses as text, IPv4 or IPv6) on the server port
 * `port` of IP protocol ip_proto (6 or 17; any port when port is 0, any protocol when ip_proto is 0) seen from
 * first_us to last_us inclusive: the packets of a finding group (several flows of one host pair); returns buf. */
const char *hosts_display_filter(const char *a, const char *b, unsigned ip_proto, unsigned port, uint64_t first_us,
				 uint64_t last_us, char *buf, size_t len);

#endif

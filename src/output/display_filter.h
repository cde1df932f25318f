/* display_filter.h: a Wireshark display filter that selects exactly one flow's packets (its addresses, ports or
 * IP protocol, VLAN, and the time window of the flow), for the alerts' configmgr.wireshark_filter and the
 * findings of the summary and the report. Every filter written is one tshark accepts (unit-tested). */
#ifndef CMFLOW_DISPLAY_FILTER_H
#define CMFLOW_DISPLAY_FILTER_H

#include <stddef.h>

#include "flow/flow.h"

/* Writes the filter of flow f into buf (cut, still NUL-terminated, when len is too small); returns buf. */
const char *flow_display_filter(const struct flow *f, char *buf, size_t len);

#endif

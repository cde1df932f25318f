/* ipproto.h: IP protocol numbers (IANA "Assigned Internet Protocol Numbers") as cmflow names them, so that no
 * module tests a bare 6 or 17. */
#ifndef CMFLOW_IPPROTO_H
#define CMFLOW_IPPROTO_H

enum ip_proto {
	IP_PROTO_ICMP = 1,
	IP_PROTO_IGMP = 2,
	IP_PROTO_IPIP = 4,
	IP_PROTO_TCP = 6,
	IP_PROTO_UDP = 17,
	IP_PROTO_IPV6 = 41,
	IP_PROTO_GRE = 47,
	IP_PROTO_ESP = 50,
	IP_PROTO_AH = 51,
	IP_PROTO_ICMPV6 = 58,
	IP_PROTO_SCTP = 132,
};

#endif

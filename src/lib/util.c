/* util.c: formatting helpers: addresses, EVE timestamps, IP protocol names. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/util.h"

const char *addr_to_str(uint8_t family, const uint8_t *addr, char *buf, size_t len)
{
	if (family == 4 && len >= 16) { /* by hand: inet_ntop formats IPv4 with sprintf, four times per flow event */
		char *o = buf;
		for (int i = 0; i < 4; i++) {
			unsigned v = addr[i];
			if (v >= 100)
				*o++ = (char)('0' + v / 100);
			if (v >= 10)
				*o++ = (char)('0' + v / 10 % 10);
			*o++ = (char)('0' + v % 10);
			*o++ = i < 3 ? '.' : '\0';
		}
		return buf;
	}
	if (!inet_ntop(family == 4 ? AF_INET : AF_INET6, addr, buf, (socklen_t)len))
		snprintf(buf, len, "?");
	return buf;
}

const char *ts_to_eve(uint64_t ts_us, char *buf, size_t len)
{
	/* the date and time of the last second formatted, per thread: three timestamps a flow, mostly the same second */
	static __thread uint64_t last_secs = UINT64_MAX;
	static __thread char last[32];
	static __thread size_t last_len;
	uint64_t secs = ts_us / 1000000u;
	if (secs != last_secs) {
		time_t t = (time_t)secs;
		struct tm tm;
		gmtime_r(&t, &tm);
		last_len = strftime(last, sizeof last, "%Y-%m-%dT%H:%M:%S", &tm);
		last_secs = secs;
	}
	if (len < last_len + 13) {
		if (len)
			buf[0] = '\0';
		return buf;
	}
	memcpy(buf, last, last_len);
	char *p = buf + last_len;
	unsigned us = (unsigned)(ts_us % 1000000u);
	p[0] = '.';
	for (int i = 6; i >= 1; i--, us /= 10)
		p[i] = (char)('0' + us % 10);
	memcpy(p + 7, "+0000", 6);
	return buf;
}

const char *ip_proto_name(uint8_t proto, char *buf, size_t len)
{
	switch (proto) {
	case 1: return "ICMP";
	case 6: return "TCP";
	case 17: return "UDP";
	case 47: return "GRE";
	case 50: return "ESP";
	case 51: return "AH";
	case 58: return "IPv6-ICMP";
	case 132: return "SCTP";
	default: snprintf(buf, len, "%u", proto); return buf;
	}
}

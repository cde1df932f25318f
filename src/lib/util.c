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

bool addr_parse(const char *s, uint8_t *family, uint8_t addr[16])
{
	memset(addr, 0, 16);
	if (inet_pton(AF_INET, s, addr) == 1) {
		*family = 4;
		return true;
	}
	if (inet_pton(AF_INET6, s, addr) == 1) {
		*family = 6;
		return true;
	}
	return false;
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

static const struct { uint8_t proto; const char *name; } ip_proto_names[] = {
	{ 1, "ICMP" }, { 6, "TCP" }, { 17, "UDP" }, { 47, "GRE" }, { 50, "ESP" }, { 51, "AH" }, { 58, "IPv6-ICMP" },
	{ 132, "SCTP" },
};

const char *ip_proto_name(uint8_t proto, char *buf, size_t len)
{
	for (size_t i = 0; i < sizeof ip_proto_names / sizeof ip_proto_names[0]; i++)
		if (ip_proto_names[i].proto == proto)
			return ip_proto_names[i].name;
	snprintf(buf, len, "%u", proto);
	return buf;
}

unsigned ip_proto_parse(const char *name)
{
	if (!name)
		return 0;
	for (size_t i = 0; i < sizeof ip_proto_names / sizeof ip_proto_names[0]; i++)
		if (strcmp(ip_proto_names[i].name, name) == 0)
			return ip_proto_names[i].proto;
	char *end;
	unsigned long v = strtoul(name, &end, 10);
	return *name && !*end && v <= 255 ? (unsigned)v : 0;
}

/* n decimal digits at s into *v */
static bool digits(const char *s, int n, int *v)
{
	*v = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		*v = *v * 10 + (s[i] - '0');
	}
	return true;
}

bool ts_from_eve(const char *s, uint64_t *us)
{
	int y, mo, d, h, mi, se, frac = 0, zh, zm;
	if (!s || strlen(s) < 19 || !digits(s, 4, &y) || s[4] != '-' || !digits(s + 5, 2, &mo) || s[7] != '-' ||
	    !digits(s + 8, 2, &d) || s[10] != 'T' || !digits(s + 11, 2, &h) || s[13] != ':' || !digits(s + 14, 2, &mi) ||
	    s[16] != ':' || !digits(s + 17, 2, &se))
		return false;
	const char *p = s + 19;
	if (*p == '.') {
		int n = 0;
		for (p++; *p >= '0' && *p <= '9'; p++, n++)
			if (n < 6)
				frac = frac * 10 + (*p - '0');
		for (; n < 6; n++)
			frac *= 10;
	}
	if ((*p != '+' && *p != '-') || !digits(p + 1, 2, &zh) || !digits(p + 3, 2, &zm) || p[5])
		return false;
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60 || y < 1970)
		return false;
	/* days since the epoch of a Gregorian date, counted in 400-year eras from March 1st */
	int yy = y - (mo <= 2);
	int era = yy / 400, yoe = yy - era * 400, doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	int64_t days = (int64_t)era * 146097 + doe - 719468;
	int64_t secs = days * 86400 + h * 3600 + mi * 60 + se - (*p == '+' ? 1 : -1) * (zh * 3600 + zm * 60);
	if (secs < 0)
		return false;
	*us = (uint64_t)secs * 1000000u + (uint64_t)frac;
	return true;
}

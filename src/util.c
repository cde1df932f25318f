/* util.c: formatting helpers and the flow side record. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "flow_ext.h"
#include "intern.h"
#include "util.h"

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

/* A string of the side record: its own copy is freed, a shared one stays */
static void str_free(const char *p)
{
	if (p && !intern_owns(p))
		free((char *)p);
}

/* Frees the parsers' states (but the live evidence buffer when keep_evidence), and the slots once all are empty. */
static void free_parsers(struct flow_ext *x, bool keep_evidence)
{
	bool kept = false;
	for (int i = 0; x->parsers && i < PARSER_SLOTS; i++) {
		struct parser_slot *p = &x->parsers[i];
		if (keep_evidence && i == PARSER_EVIDENCE && p->state) {
			kept = true;
		} else if (p->state) {
			if (p->free)
				p->free(p->state);
			p->state = NULL;
		}
	}
	if (!kept) {
		free(x->parsers);
		x->parsers = NULL;
	}
}

struct flow_ext *flow_ext_get(struct flow *f)
{
	if (!f->ext)
		f->ext = calloc(1, sizeof *f->ext);
	return f->ext;
}

void flow_ext_free(struct flow *f)
{
	struct flow_ext *x = f->ext;
	if (!x)
		return;
	const char *strs[] = { x->http_method, x->http_url, x->http_host, x->http_user_agent, x->tls_sni, x->smb_share };
	for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++)
		str_free(strs[i]);
	free_parsers(x, false);
	free(x->followup);
	free(x);
	f->ext = NULL;
}

struct flow_followup *flow_ext_followup(struct flow *f)
{
	struct flow_ext *x = flow_ext_get(f);
	if (x && !x->followup)
		x->followup = calloc(1, sizeof *x->followup);
	return x ? x->followup : NULL;
}

void *flow_ext_parser(const struct flow *f, int slot)
{
	return f->ext && f->ext->parsers ? f->ext->parsers[slot].state : NULL;
}

bool flow_ext_set_parser(struct flow *f, int slot, void *state, void (*free_fn)(void *))
{
	struct flow_ext *x = state ? flow_ext_get(f) : f->ext;
	if (!x || (!x->parsers && !state))
		return !state;
	if (!x->parsers && !(x->parsers = calloc(PARSER_SLOTS, sizeof *x->parsers)))
		return false;
	x->parsers[slot].state = state;
	x->parsers[slot].free = free_fn;
	return true;
}

void flow_ext_free_parsers(struct flow *f)
{
	if (f->ext)
		free_parsers(f->ext, true);
}

bool flow_ext_set_str(const char **dst, const char *s, size_t n)
{
	if (n > FLOW_EXT_STR_MAX)
		n = FLOW_EXT_STR_MAX;
	const char *shared = intern(s, n);
	if (!shared) {
		char *c = malloc(n + 1);
		if (!c)
			return false;
		memcpy(c, s, n);
		c[n] = '\0';
		shared = c;
	}
	str_free(*dst);
	*dst = shared;
	return true;
}

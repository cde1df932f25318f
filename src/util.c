/* util.c: formatting helpers and the flow side record. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "flow_ext.h"
#include "util.h"

const char *addr_to_str(uint8_t family, const uint8_t *addr, char *buf, size_t len)
{
	if (!inet_ntop(family == 4 ? AF_INET : AF_INET6, addr, buf, (socklen_t)len))
		snprintf(buf, len, "?");
	return buf;
}

const char *ts_to_eve(uint64_t ts_us, char *buf, size_t len)
{
	time_t secs = (time_t)(ts_us / 1000000u);
	struct tm tm;
	gmtime_r(&secs, &tm);
	size_t n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, len - n, ".%06u+0000", (unsigned)(ts_us % 1000000u));
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
	free(x->http_method);
	free(x->http_url);
	free(x->http_host);
	free(x->http_user_agent);
	free(x->tls_sni);
	free(x->tls_version);
	free(x->smb_share);
	for (int i = 0; i < 4; i++)
		if (x->parser_state[i] && x->parser_free[i])
			x->parser_free[i](x->parser_state[i]);
	free(x);
	f->ext = NULL;
}

bool flow_ext_set_str(char **dst, const char *s, size_t n)
{
	if (n > FLOW_EXT_STR_MAX)
		n = FLOW_EXT_STR_MAX;
	char *c = malloc(n + 1);
	if (!c)
		return false;
	memcpy(c, s, n);
	c[n] = '\0';
	free(*dst);
	*dst = c;
	return true;
}

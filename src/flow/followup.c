/* followup.c: announcements (EPM, DCOM, TFTP, PPTP, SQL Browser) -> expectations -> follow-up flows. */
#include <string.h>

#include "lib/bytes.h"
#include "proto/dcerpc.h"
#include "engine/engine.h"
#include "flow/expect.h"
#include "flow/flow_ext.h"
#include "audit/knowledge.h"
#include "audit/rules.h"
#include "flow/followup.h"

#define DCERPC_MAX_PACKETS 250   /* endpoint mapper conversations can be long (f->inspected saturates at 255) */

bool tftp_parse_request(const uint8_t *p, size_t len, bool *write, char *filename, size_t fnlen)
{
	if (len < 6 || p[0] != 0 || (p[1] != 1 && p[1] != 2))
		return false;
	const uint8_t *name = p + 2, *end = memchr(name, 0, len - 2);
	if (!end || end == name)
		return false;
	const uint8_t *mode = end + 1, *mend = mode < p + len ? memchr(mode, 0, (size_t)(p + len - mode)) : NULL;
	if (!mend || mend == mode)
		return false;
	for (const uint8_t *c = name; c < end; c++)
		if (*c < 0x20 || *c > 0x7e)
			return false;
	/* modes: netascii, octet, mail (any case) */
	size_t ml = (size_t)(mend - mode);
	if (!((ml == 5 && !strncasecmp((const char *)mode, "octet", 5)) ||
	      (ml == 8 && !strncasecmp((const char *)mode, "netascii", 8)) ||
	      (ml == 4 && !strncasecmp((const char *)mode, "mail", 4))))
		return false;
	*write = p[1] == 2;
	size_t n = (size_t)(end - name) < fnlen - 1 ? (size_t)(end - name) : fnlen - 1;
	memcpy(filename, name, n);
	filename[n] = '\0';
	return true;
}

bool pptp_parse_control(const uint8_t *p, size_t len, uint16_t *ctrl_type)
{
	uint16_t length, msg_type;
	uint32_t cookie;
	if (!bytes_be16(p, len, 0, &length) || !bytes_be16(p, len, 2, &msg_type) || !bytes_be32(p, len, 4, &cookie) ||
	    !bytes_be16(p, len, 8, ctrl_type))
		return false;
	return cookie == 0x1A2B3C4D && msg_type == 1 && length >= 12 && *ctrl_type >= 1 && *ctrl_type <= 15;
}

size_t sqlbrowser_parse_ports(const uint8_t *p, size_t len, uint16_t *ports, size_t max)
{
	uint16_t size;
	if (len < 3 || p[0] != 0x05 || !bytes_le16(p, len, 1, &size) || size == 0)
		return 0;
	size_t n = 0, end = 3 + (size < len - 3 ? size : len - 3);
	/* the answer is text: ";tcp;1433;" after each instance's description */
	for (size_t i = 3; i + 5 <= end; i++) {
		if (memcmp(p + i, "tcp;", 4) != 0 || (i > 3 && p[i - 1] != ';'))
			continue;
		unsigned port = 0;
		size_t k = i + 4;
		while (k < end && p[k] >= '0' && p[k] <= '9' && port <= 65535)
			port = port * 10 + (unsigned)(p[k++] - '0');
		if (k < end && p[k] == ';' && port > 0 && port <= 65535) {
			if (n < max)
				ports[n] = (uint16_t)port;
			n++;
		}
	}
	return n;
}

/* ---- engine glue ---- */

struct announce_ctx {
	struct engine *e;
	struct flow *f;
	uint64_t now_us;
};

static void expect_from(struct announce_ctx *a, uint8_t kind, uint8_t proto, const uint8_t *dst, uint16_t dport,
			const uint8_t *src, const uint8_t *uuid)
{
	struct expectation x;
	memset(&x, 0, sizeof x);
	x.family = a->f->key.family;
	x.proto = proto;
	x.dport = dport;
	memcpy(x.dst, dst, x.family == 4 ? 4 : 16);
	if (src) {
		x.has_src = true;
		memcpy(x.src, src, x.family == 4 ? 4 : 16);
	}
	x.kind = kind;
	if (uuid) {
		x.has_uuid = true;
		memcpy(x.uuid, uuid, 16);
	}
	x.parent_flow_id = a->f->id;
	expect_add(a->e->cfg.expect, &x, a->now_us);
}

/* An endpoint announced in an answer of the flow's responder: the initiator may now connect to it. */
static void on_endpoint(void *ctx, const struct dcerpc_endpoint *ep)
{
	struct announce_ctx *a = ctx;
	const struct flow *f = a->f;
	uint8_t dst[16] = { 0 };
	static const uint8_t any[4];
	if (f->key.family == 4 && ep->has_addr && memcmp(ep->addr, any, 4) != 0)
		memcpy(dst, ep->addr, 4);
	else
		memcpy(dst, flow_dst_addr(f), 16); /* 0.0.0.0 or a name: the host that answered */
	expect_from(a, ep->source == DCERPC_FROM_EPM ? EXPECT_EPM : EXPECT_DCOM, ep->proto, dst, ep->port,
		    flow_src_addr(f), ep->has_uuid ? ep->uuid : NULL);
}

static bool dcerpc_inspect(struct announce_ctx *a, const struct packet *p, enum flow_dir dir)
{
	struct flow *f = a->f;
	struct dcerpc_state *s = flow_ext_parser(f, PARSER_DCERPC);
	if (!s) {
		/* start on the endpoint mapper's port, or where the first bytes are a DCE/RPC bind */
		bool epm = flow_dst_port(f) == 135;
		bool bind = p->payload_len >= 16 && p->payload[2] == 11 && dcerpc_looks_like_co(p->payload, p->payload_len);
		if (!epm && !bind)
			return false;
		if (!(s = dcerpc_state_new()))
			return false;
		if (!flow_ext_set_parser(f, PARSER_DCERPC, s, dcerpc_state_free)) {
			dcerpc_state_free(s);
			return false;
		}
	}
	bool more = dcerpc_tcp_segment(s, dir == DIR_TO_SERVER ? 0 : 1, p->tcp_seq, p->payload, p->payload_len,
				       on_endpoint, a);
	uint8_t uuid[16];
	struct flow_followup *fu = f->ext ? f->ext->followup : NULL;
	if ((!fu || !fu->has_rpc_uuid) && dcerpc_bound_interface(s, uuid) && (fu = flow_ext_followup(f))) {
		memcpy(fu->rpc_uuid, uuid, 16);
		fu->has_rpc_uuid = true;
		if (f->app_proof == APP_NONE)
			f->app_proof = APP_DCERPC;
	}
	return more && f->inspected < DCERPC_MAX_PACKETS;
}

bool followup_inspect(struct engine *e, struct flow *f, const struct packet *p, enum flow_dir dir)
{
	if (!e->cfg.expect)
		return false;
	struct announce_ctx a = { e, f, p->ts_us };
	uint16_t sport = flow_src_port(f), dport = flow_dst_port(f);
	if (f->key.ip_proto == 6) {
		if (!p->payload_len)
			return dport == 135 || flow_ext_parser(f, PARSER_DCERPC) || dport == 1723;
		if (dport == 1723) {
			uint16_t type;
			if (pptp_parse_control(p->payload, p->payload_len, &type) && type == 8 /* Outgoing-Call-Reply */) {
				/* GRE both ways between the two hosts is this call's data */
				expect_from(&a, EXPECT_PPTP, 47, flow_dst_addr(f), 0, flow_src_addr(f), NULL);
				expect_from(&a, EXPECT_PPTP, 47, flow_src_addr(f), 0, flow_dst_addr(f), NULL);
				return false;
			}
			return true;
		}
		return dcerpc_inspect(&a, p, dir);
	}
	if (f->key.ip_proto != 17 || !p->payload_len)
		return false;
	if (dport == 69 && dir == DIR_TO_SERVER) {
		bool write;
		char name[128];
		if (tftp_parse_request(p->payload, p->payload_len, &write, name, sizeof name))
			/* the server answers from a new port to the client's port */
			expect_from(&a, EXPECT_TFTP, 17, flow_src_addr(f), sport, flow_dst_addr(f), NULL);
		return false;
	}
	if (dport == 1434 && dir == DIR_TO_CLIENT) {
		uint16_t ports[16];
		size_t n = sqlbrowser_parse_ports(p->payload, p->payload_len, ports, 16);
		for (size_t i = 0; i < n && i < 16; i++)
			expect_from(&a, EXPECT_SQL_BROWSER, 6, flow_dst_addr(f), ports[i], flow_src_addr(f), NULL);
		return n == 0;
	}
	if (dport == 135 || sport == 135)
		dcerpc_udp_packet(p->payload, p->payload_len, on_endpoint, &a);
	return dport == 1434;
}

/* A session of a rule that others name with after= (remote control's control channel): its data channels
 * between the same two hosts, from the same initiator, are announced. */
static void announce_session_channels(struct engine *e, struct flow *f)
{
	const struct ruleset *rs = e->cfg.knowledge ? e->cfg.knowledge->rules : NULL;
	if (!rs || !rs->nafter || (f->key.ip_proto != 6 && f->key.ip_proto != 17))
		return;
	struct announce_ctx a = { e, f, f->ts_first };
	for (unsigned i = 0, seen = 0; i < rs->n && seen < rs->nafter; i++) {
		const struct rule *data = &rs->rules[i];
		if (data->after < 0)
			continue;
		seen++;
		const struct rule *control = &rs->rules[data->after];
		if (!rule_ports_contain(control->ports, control->nports, f->key.ip_proto, flow_dst_port(f), NULL))
			continue;
		for (unsigned k = 0; k < data->nports; k++) {
			const struct rule_port *rp = &data->ports[k];
			if (rp->kind == PK_FIXED)
				expect_from(&a, EXPECT_SESSION, rp->proto, flow_dst_addr(f), rp->lo, flow_src_addr(f), NULL);
		}
	}
}

void followup_new_flow(struct engine *e, struct flow *f)
{
	if (!e->cfg.expect)
		return;
	followup_late(e, f);
	announce_session_channels(e, f);
}

void followup_late(struct engine *e, struct flow *f)
{
	if (!e->cfg.expect || (f->ext && f->ext->followup && f->ext->followup->via))
		return;
	struct expectation x;
	if (!expect_match(e->cfg.expect, f->key.family, flow_dst_addr(f), flow_dst_port(f), f->key.ip_proto,
			  flow_src_addr(f), f->ts_first, &x))
		return;
	struct flow_followup *fu = flow_ext_followup(f);
	if (!fu)
		return;
	fu->parent_flow_id = x.parent_flow_id;
	fu->via = expect_kind_name(x.kind);
	if (x.has_uuid) {
		fu->has_rpc_uuid = true;
		memcpy(fu->rpc_uuid, x.uuid, 16);
	}
}

void followup_fuzz_one(const uint8_t *data, size_t len)
{
	bool write;
	char name[64];
	uint16_t type, ports[4];
	tftp_parse_request(data, len, &write, name, sizeof name);
	pptp_parse_control(data, len, &type);
	sqlbrowser_parse_ports(data, len, ports, 4);
}

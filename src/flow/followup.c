/* followup.c: announcements (EPM, DCOM, TFTP, PPTP, SQL Browser) -> expectations -> follow-up flows. */
#include <string.h>

#include "flow/expect.h"
#include "flow/flow_ext.h"
#include "flow/followup.h"
#include "lib/ipproto.h"
#include "proto/dcerpc.h"
#include "proto/pptp.h"
#include "proto/ssrp.h"
#include "proto/tftp.h"

/* ---- announcements ---- */

struct announce_ctx {
	struct expect_table *expect;
	const struct flow *f;
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
	expect_add(a->expect, &x, a->now_us);
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

void followup_endpoint(struct expect_table *expect, const struct flow *f, const struct dcerpc_endpoint *ep,
		       uint64_t now_us)
{
	struct announce_ctx a = { expect, f, now_us };
	if (expect)
		on_endpoint(&a, ep);
}

void followup_dcerpc_udp(struct expect_table *expect, struct flow *f, const struct packet *p)
{
	struct announce_ctx a = { expect, f, p->ts_us };
	dcerpc_udp_packet(p->payload, p->payload_len, on_endpoint, &a);
}

void followup_tftp(struct expect_table *expect, struct flow *f, const struct packet *p)
{
	struct announce_ctx a = { expect, f, p->ts_us };
	bool write;
	char name[128];
	if (tftp_parse_request(p->payload, p->payload_len, &write, name, sizeof name, NULL))
		/* the server answers from a new port to the client's port */
		expect_from(&a, EXPECT_TFTP, IP_PROTO_UDP, flow_src_addr(f), flow_src_port(f), flow_dst_addr(f), NULL);
}

bool followup_pptp(struct expect_table *expect, struct flow *f, const struct packet *p)
{
	struct announce_ctx a = { expect, f, p->ts_us };
	uint16_t type;
	if (!p->payload_len)
		return true;
	if (pptp_parse_control(p->payload, p->payload_len, &type) && type == PPTP_OUTGOING_CALL_REPLY) {
		/* GRE both ways between the two hosts is this call's data */
		expect_from(&a, EXPECT_PPTP, IP_PROTO_GRE, flow_dst_addr(f), 0, flow_src_addr(f), NULL);
		expect_from(&a, EXPECT_PPTP, IP_PROTO_GRE, flow_src_addr(f), 0, flow_dst_addr(f), NULL);
		return false;
	}
	return true;
}

bool followup_sqlbrowser(struct expect_table *expect, struct flow *f, const struct packet *p)
{
	struct announce_ctx a = { expect, f, p->ts_us };
	uint16_t ports[16];
	size_t n = ssrp_parse_ports(p->payload, p->payload_len, ports, 16);
	for (size_t i = 0; i < n && i < 16; i++)
		expect_from(&a, EXPECT_SQL_BROWSER, IP_PROTO_TCP, flow_dst_addr(f), ports[i], flow_src_addr(f), NULL);
	return n == 0;
}

/* A session of a path that others follow (remote control's control channel): its data channels between the same
 * two hosts, from the same initiator, are announced. */
static void announce_session_channels(struct expect_table *expect, const struct session_channels *sc, struct flow *f)
{
	if (!sc || !sc->n || (f->key.ip_proto != IP_PROTO_TCP && f->key.ip_proto != IP_PROTO_UDP))
		return;
	struct announce_ctx a = { expect, f, f->ts_first };
	uint16_t port = flow_dst_port(f);
	for (unsigned i = 0; i < sc->n; i++) {
		const struct session_channel *s = &sc->v[i];
		if (s->control_proto == f->key.ip_proto && port >= s->control_lo && port <= s->control_hi)
			expect_from(&a, EXPECT_SESSION, s->data_proto, flow_dst_addr(f), s->data_port, flow_src_addr(f), NULL);
	}
}

void followup_new_flow(struct expect_table *expect, const struct session_channels *sc, struct flow *f)
{
	if (!expect)
		return;
	followup_late(expect, f);
	announce_session_channels(expect, sc, f);
}

void followup_late(struct expect_table *expect, struct flow *f)
{
	if (!expect || (f->ext && f->ext->followup && f->ext->followup->via))
		return;
	struct expectation x;
	if (!expect_match(expect, f->key.family, flow_dst_addr(f), flow_dst_port(f), f->key.ip_proto, flow_src_addr(f),
			  f->ts_first, &x))
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
	tftp_parse_request(data, len, &write, name, sizeof name, NULL);
	pptp_parse_control(data, len, &type);
	ssrp_parse_ports(data, len, ports, 4);
}

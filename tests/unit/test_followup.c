/* Unit tests of the follow-up machinery: DCE/RPC stream parsing on a real endpoint mapper conversation
 * (pcaps/public/scapy__dcerpc_msnrpc.pcapng: ept_map for NETLOGON answered with TCP 49676 and 49667, as tshark
 * decodes it), hostile cuts of it, a big-endian bind (hand-made: no capture here has one), DCOM string bindings,
 * TFTP / PPTP / SQL Browser parsers, and the expectation table. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <pcap/pcap.h>
#include <stdlib.h>
#include <string.h>

#include "proto/dcerpc.h"
#include "decode/decode.h"
#include "flow/expect.h"
#include "flow/followup.h"
#include "proto/pptp.h"
#include "proto/ssrp.h"
#include "proto/tftp.h"

struct seg {
	int dir;
	uint32_t seq;
	uint8_t data[2048];
	size_t len;
};

/* The TCP payloads of the first connection (to port 135) of a capture. */
static size_t epm_segments(const char *file, struct seg *segs, size_t max)
{
	char ebuf[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_open_offline(file, ebuf);
	cr_assert_not_null(p, "%s", ebuf);
	struct pcap_pkthdr *h;
	const u_char *data;
	size_t n = 0;
	while (n < max && pcap_next_ex(p, &h, &data) == 1) {
		struct packet pkt;
		struct decode_stats st = { 0 };
		if (decode_packet(pcap_datalink(p), data, h->caplen, h->len, 0, &pkt, &st) != DECODE_OK ||
		    pkt.ip_proto != 6 || !pkt.payload_len || (pkt.sport != 135 && pkt.dport != 135))
			continue;
		segs[n].dir = pkt.dport == 135 ? 0 : 1;
		segs[n].seq = pkt.tcp_seq;
		segs[n].len = pkt.payload_len < sizeof segs[n].data ? pkt.payload_len : sizeof segs[n].data;
		memcpy(segs[n].data, pkt.payload, segs[n].len);
		n++;
	}
	pcap_close(p);
	return n;
}

struct found {
	struct dcerpc_endpoint ep[16];
	size_t n;
};

static void collect(void *ctx, const struct dcerpc_endpoint *ep)
{
	struct found *f = ctx;
	if (f->n < 16)
		f->ep[f->n++] = *ep;
}

Test(dcerpc, ept_map_answer_of_a_real_conversation)
{
	struct seg segs[8];
	size_t n = epm_segments(PCAP_DIR "/public/scapy__dcerpc_msnrpc.pcapng", segs, 8);
	cr_assert_eq(n, 4, "bind, bind_ack, ept_map request and response");
	struct dcerpc_state *s = dcerpc_state_new();
	struct found f = { 0 };
	for (size_t i = 0; i < n; i++)
		cr_assert(dcerpc_tcp_segment(s, segs[i].dir, segs[i].seq, segs[i].data, segs[i].len, collect, &f));
	uint8_t bound[16], epm[16], netlogon[16];
	cr_assert(uuid_parse("e1af8308-5d1f-11c9-91a4-08002b14a0fa", epm));
	cr_assert(uuid_parse("12345678-1234-abcd-ef00-01234567cffb", netlogon));
	cr_assert(dcerpc_bound_interface(s, bound));
	cr_assert_eq(memcmp(bound, epm, 16), 0);
	cr_assert_eq(f.n, 2);
	cr_assert_eq(f.ep[0].port, 49676);
	cr_assert_eq(f.ep[1].port, 49667);
	cr_assert_eq(f.ep[0].proto, 6);
	cr_assert_eq(memcmp(f.ep[0].uuid, netlogon, 16), 0);
	cr_assert(f.ep[0].has_addr);
	cr_assert_eq(f.ep[0].addr[0], 192);
	dcerpc_state_free(s);
}

Test(dcerpc, the_answer_split_byte_by_byte_and_every_cut)
{
	struct seg segs[8];
	size_t n = epm_segments(PCAP_DIR "/public/scapy__dcerpc_msnrpc.pcapng", segs, 8);
	/* one byte per segment: the reassembly must give the same answer */
	struct dcerpc_state *s = dcerpc_state_new();
	struct found f = { 0 };
	for (size_t i = 0; i < n; i++)
		for (size_t b = 0; b < segs[i].len; b++)
			dcerpc_tcp_segment(s, segs[i].dir, segs[i].seq + (uint32_t)b, segs[i].data + b, 1, collect, &f);
	cr_assert_eq(f.n, 2);
	dcerpc_state_free(s);
	/* the answer cut short at every length: nothing announced, nothing read outside (sanitizers watch) */
	for (size_t cut = 0; cut < segs[3].len; cut++) {
		s = dcerpc_state_new();
		struct found g = { 0 };
		for (size_t i = 0; i < 3; i++)
			dcerpc_tcp_segment(s, segs[i].dir, segs[i].seq, segs[i].data, segs[i].len, collect, &g);
		uint8_t *copy = malloc(cut ? cut : 1);
		memcpy(copy, segs[3].data, cut);
		dcerpc_tcp_segment(s, segs[3].dir, segs[3].seq, copy, cut, collect, &g);
		free(copy);
		cr_assert_eq(g.n, 0, "cut at %zu", cut);
		dcerpc_state_free(s);
	}
	/* a gap before the answer: it is not guessed */
	s = dcerpc_state_new();
	struct found h = { 0 };
	for (size_t i = 0; i < 3; i++)
		dcerpc_tcp_segment(s, segs[i].dir, segs[i].seq, segs[i].data, segs[i].len, collect, &h);
	dcerpc_tcp_segment(s, segs[3].dir, segs[3].seq + 10, segs[3].data + 10, segs[3].len - 10, collect, &h);
	cr_assert_eq(h.n, 0);
	dcerpc_state_free(s);
}

Test(dcerpc, big_endian_bind)
{
	/* a bind in big-endian data representation (drep 0x00): context 1, IWbemLevel1Login */
	uint8_t pdu[72] = { 5, 0, 11, 3, 0x00, 0, 0, 0, 0, 72, 0, 0, 0, 0, 0, 7,
			    0x10, 0xb8, 0x10, 0xb8, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 1, 0 };
	static const uint8_t iface[16] = { 0xf3, 0x09, 0xad, 0x18, 0xd8, 0x6a, 0x11, 0xd0,
					   0xa0, 0x75, 0x00, 0xc0, 0x4f, 0xb6, 0x88, 0x20 };
	memcpy(pdu + 32, iface, 16); /* big-endian: the GUID's fields in canonical order */
	struct dcerpc_state *s = dcerpc_state_new();
	struct found f = { 0 };
	cr_assert(dcerpc_tcp_segment(s, 0, 1, pdu, sizeof pdu, collect, &f));
	uint8_t bound[16];
	char text[UUID_STR_LEN];
	cr_assert(dcerpc_bound_interface(s, bound));
	cr_assert_str_eq(uuid_format(bound, text), "f309ad18-d86a-11d0-a075-00c04fb68820");
	dcerpc_state_free(s);
}

Test(dcerpc, not_rpc_is_given_up)
{
	struct dcerpc_state *s = dcerpc_state_new();
	struct found f = { 0 };
	/* a stream caught in the middle of a PDU lines up at a later segment: given up after a few */
	bool more = true;
	for (uint32_t i = 0; i < 8 && more; i++)
		more = dcerpc_tcp_segment(s, 0, 1 + 18 * i, (const uint8_t *)"GET / HTTP/1.1\r\n\r\n", 18, collect, &f);
	cr_assert_not(more);
	dcerpc_state_free(s);
}

Test(dcerpc, dcom_string_bindings)
{
	/* DUALSTRINGARRAY string bindings: tower 7 "DC1[49724]" and "192.168.56.101[49724]", UTF-16LE, as in
	 * suricata-verify's dcerpc-ctxids capture; a broken one (no closing bracket) is ignored */
	uint8_t b[200];
	size_t n = 0;
	const char *strs[] = { "DC1[49724]", "192.168.56.101[49724]", "10.0.0.1[123" };
	for (int k = 0; k < 3; k++) {
		b[n++] = 7, b[n++] = 0;
		for (const char *c = strs[k]; *c; c++)
			b[n++] = (uint8_t)*c, b[n++] = 0;
		b[n++] = 0, b[n++] = 0;
	}
	struct dcerpc_endpoint eps[4];
	size_t got = dcom_scan_bindings(b, n, eps, 4);
	cr_assert_eq(got, 2);
	cr_assert_eq(eps[0].port, 49724);
	cr_assert_not(eps[0].has_addr, "a host name: the answering host is meant");
	cr_assert(eps[1].has_addr);
	cr_assert_eq(eps[1].addr[3], 101);
	for (size_t cut = 0; cut < n; cut++)
		dcom_scan_bindings(b, cut, eps, 4);
}

Test(followup, tftp_pptp_sqlbrowser)
{
	bool write;
	char name[64];
	const uint8_t rrq[] = "\0\1boot/pxeboot.n12\0octet\0";
	cr_assert(tftp_parse_request(rrq, sizeof rrq - 1, &write, name, sizeof name, NULL));
	cr_assert_not(write);
	cr_assert_str_eq(name, "boot/pxeboot.n12");
	const uint8_t bad_mode[] = "\0\1file\0binary\0";
	cr_assert_not(tftp_parse_request(bad_mode, sizeof bad_mode - 1, &write, name, sizeof name, NULL));
	for (size_t cut = 0; cut < sizeof rrq - 1; cut++)
		cr_assert_not(tftp_parse_request(rrq, cut, &write, name, sizeof name, NULL), "cut %zu", cut);

	/* PPTP Outgoing-Call-Reply: length 32, message type 1, cookie, control type 8 */
	uint8_t pptp[32] = { 0, 32, 0, 1, 0x1a, 0x2b, 0x3c, 0x4d, 0, 8 };
	uint16_t type;
	cr_assert(pptp_parse_control(pptp, sizeof pptp, &type));
	cr_assert_eq(type, 8);
	pptp[5] = 0;
	cr_assert_not(pptp_parse_control(pptp, sizeof pptp, &type));

	/* SQL Server Browser answer (SSRP SVR_RESP), two instances */
	const char *text = "ServerName;SQL01;InstanceName;MSSQLSERVER;IsClustered;No;Version;10.0.1600.22;tcp;1433;;"
			   "ServerName;SQL01;InstanceName;CONFIGMGR;IsClustered;No;Version;10.0.1600.22;tcp;49321;np;"
			   "\\\\SQL01\\pipe\\MSSQL$CONFIGMGR\\sql\\query;;";
	uint8_t resp[512];
	size_t tl = strlen(text);
	resp[0] = 5, resp[1] = (uint8_t)tl, resp[2] = (uint8_t)(tl >> 8);
	memcpy(resp + 3, text, tl);
	uint16_t ports[4];
	cr_assert_eq(ssrp_parse_ports(resp, tl + 3, ports, 4), 2);
	cr_assert_eq(ports[0], 1433);
	cr_assert_eq(ports[1], 49321);
}

Test(expect, match_expire_evict_and_source)
{
	struct expect_table *t = expect_new(4, 300);
	struct expectation e = { .family = 4, .proto = 6, .dport = 49676, .has_src = true, .kind = EXPECT_EPM,
				 .parent_flow_id = 17 };
	inet_pton(AF_INET, "10.9.0.1", e.dst);
	inet_pton(AF_INET, "10.1.0.5", e.src);
	expect_add(t, &e, 1000000);
	struct expectation got;
	uint8_t other[16] = { 10, 2, 0, 21 };
	cr_assert(expect_match(t, 4, e.dst, 49676, 6, e.src, 2000000, &got));
	cr_assert_eq(got.parent_flow_id, 17);
	cr_assert_not(expect_match(t, 4, e.dst, 49676, 6, other, 2000000, &got), "another client did not ask");
	cr_assert_not(expect_match(t, 4, e.dst, 49677, 6, e.src, 2000000, &got));
	cr_assert_not(expect_match(t, 4, e.dst, 49676, 17, e.src, 2000000, &got));
	cr_assert_not(expect_match(t, 4, e.dst, 49676, 6, e.src, 301000001, &got), "5 minutes later it is gone");
	struct expect_stats st;
	expect_stats(t, &st);
	cr_assert_eq(st.matched, 1);
	cr_assert_eq(st.expired, 1);
	/* capacity 4: the fifth announcement pushes out the oldest, which is counted */
	for (uint16_t p = 1; p <= 5; p++) {
		e.dport = p;
		expect_add(t, &e, 400000000);
	}
	expect_stats(t, &st);
	cr_assert_eq(st.evicted, 1);
	cr_assert_eq(st.active, 4);
	cr_assert_not(expect_match(t, 4, e.dst, 1, 6, e.src, 400000001, &got));
	cr_assert(expect_match(t, 4, e.dst, 5, 6, e.src, 400000001, &got));
	expect_free(t);
}

/* a connection that began after the first announcement is still linked when it is looked up (at its end, by
 * another worker) after the same port was announced again */
Test(expect, refresh_keeps_the_first_announcement_time)
{
	struct expect_table *t = expect_new(8, 300);
	struct expectation e = { .family = 4, .proto = 6, .dport = 49683, .kind = EXPECT_EPM, .parent_flow_id = 1 };
	inet_pton(AF_INET, "10.9.0.1", e.dst);
	uint8_t src[16] = { 10, 1, 0, 5 };
	expect_add(t, &e, 1000000);
	e.parent_flow_id = 9;
	expect_add(t, &e, 5000000);
	struct expectation got;
	cr_assert(expect_match(t, 4, e.dst, 49683, 6, src, 2000000, &got), "began between the two announcements");
	cr_assert_eq(got.parent_flow_id, 9, "the newest announcement names the parent");
	cr_assert_not(expect_match(t, 4, e.dst, 49683, 6, src, 500000, &got), "began before any announcement");
	cr_assert(expect_match(t, 4, e.dst, 49683, 6, src, 304000000, &got), "the refresh extends the life");
	struct expect_stats st;
	expect_stats(t, &st);
	cr_assert_eq(st.refreshed, 1);
	expect_free(t);
}

/* an endpoint mapper (or a forged one) announcing 200,000 endpoints: the table keeps its capacity, counts what it
 * pushed out, and the newest announcements still link */
Test(expect, flood_of_announcements_stays_bounded)
{
	struct expect_table *t = expect_new(65536, 300);
	struct expectation e = { .family = 4, .proto = 6, .has_src = true, .kind = EXPECT_EPM, .parent_flow_id = 3 };
	inet_pton(AF_INET, "10.1.0.10", e.src);
	for (uint32_t i = 0; i < 200000; i++) {
		e.dst[0] = 10, e.dst[1] = 9, e.dst[2] = (uint8_t)(i >> 16), e.dst[3] = (uint8_t)(i >> 8);
		e.dport = (uint16_t)(1024 + i % 60000);
		expect_add(t, &e, 1000000 + i);
	}
	struct expect_stats st;
	expect_stats(t, &st);
	cr_assert_eq(st.active, 65536);
	cr_assert_eq(st.added, 200000);
	cr_assert_eq(st.evicted, 200000 - 65536);
	struct expectation got;
	cr_assert(expect_match(t, 4, e.dst, e.dport, 6, e.src, 2000000, &got), "the last announcement links");
	uint8_t first[16] = { 10, 9, 0, 0 };
	cr_assert_not(expect_match(t, 4, first, 1024, 6, e.src, 2000000, &got), "the first was pushed out");
	expect_free(t);
}

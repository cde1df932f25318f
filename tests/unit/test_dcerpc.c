/* Unit tests of the DCE/RPC parser's contexts, NDR64 endpoint mapper answers and DCOM bindings: real NDR64 ept_map
 * conversations (pcaps/public/pcap-attack__LM_smbexec_smb_dcerpc_svcctl_epm.pcapng and
 * scapy__dcerpc_privacy_ntlm.pcapng: the bind_ack accepts NDR64 for the endpoint mapper, as tshark decodes it), an
 * NDR64 ept_lookup answer and an alter_context built from [MS-RPCE] 2.2.5 / [C706] 12.6, a DCOM
 * RemoteCreateInstance answer with and without its bind (suricata-verify dcerpc-ctxids), no DCOM binding found by
 * shape in any other payload of every capture here, and every truncation of the PDUs of real conversations (SMB
 * and DCE/RPC) read within their bounds. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "proto/dcerpc.h"
#include "proto/smb.h"
#include "tcp_conns.h"

struct seen {
	struct dcerpc_endpoint ep[32];
	size_t n;
	unsigned contexts, acks, requests, auths;
};

static void collect(void *ctx, const struct dcerpc_event *ev)
{
	struct seen *s = ctx;
	if (ev->kind == DCERPC_EV_ENDPOINT && s->n < 32)
		s->ep[s->n++] = *ev->endpoint;
	s->contexts += ev->kind == DCERPC_EV_CONTEXT;
	s->acks += ev->kind == DCERPC_EV_ACK;
	s->requests += ev->kind == DCERPC_EV_REQUEST;
	s->auths += ev->kind == DCERPC_EV_AUTH;
}

/* Feeds the connections to port 135 of a capture (all, or only the answers: skip_client). */
static struct dcerpc_state *feed_135(const char *file, struct seen *seen, bool skip_client, int only_conn)
{
	struct tc_capture cap;
	cr_assert(tc_read(file, &cap), "%s", file);
	struct dcerpc_state *last = NULL;
	for (size_t c = 0; c < cap.nconns; c++) {
		if (tc_server_port_of(&cap.conns[c]) != 135 || (only_conn >= 0 && (int)c != only_conn))
			continue;
		dcerpc_state_free(last);
		last = dcerpc_state_new();
		dcerpc_scan_unbound(last, true);
		for (size_t i = 0; i < cap.nsegs; i++)
			if (cap.segs[i].conn == (int)c && !(skip_client && cap.segs[i].dir == 0))
				dcerpc_tcp_feed(last, cap.segs[i].dir, cap.segs[i].seq, cap.segs[i].data, cap.segs[i].len,
						collect, seen);
	}
	tc_free(&cap);
	return last;
}

Test(dcerpc, ndr64_ept_map_of_real_conversations)
{
	static const struct { const char *file; uint16_t port; } cases[] = {
		{ PCAP_DIR "/public/pcap-attack__LM_smbexec_smb_dcerpc_svcctl_epm.pcapng", 49683 },
		{ PCAP_DIR "/public/scapy__dcerpc_privacy_ntlm.pcapng", 49679 },
	};
	for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
		struct seen s = { 0 };
		struct dcerpc_state *d = feed_135(cases[k].file, &s, false, -1);
		size_t n;
		const struct dcerpc_context *c = dcerpc_contexts(d, &n);
		/* the bind offers the endpoint mapper three times: NDR (refused), NDR64 (accepted), feature
		 * negotiation (negotiate_ack), as tshark shows */
		cr_assert_eq(n, 3, "%s", cases[k].file);
		cr_assert_eq(c[0].ack_result, DCERPC_ACK_PROVIDER_REJECTION);
		cr_assert_eq(c[1].ack_result, DCERPC_ACK_ACCEPTANCE);
		cr_assert_eq(c[1].accepted, DCERPC_SYNTAX_NDR64);
		cr_assert(c[1].offered & DCERPC_OFFER(DCERPC_SYNTAX_NDR64));
		cr_assert_eq(c[2].ack_result, DCERPC_ACK_NEGOTIATE);
		cr_assert(c[2].offered & DCERPC_OFFER(DCERPC_SYNTAX_BTFN));
		cr_assert(c[1].opnums[0] & (1u << 3), "ept_map is opnum 3");
		cr_assert_geq(s.n, 1);
		cr_assert_eq(s.ep[0].port, cases[k].port);
		cr_assert(s.ep[0].ndr64, "read as NDR64, not by shape");
		char u[UUID_STR_LEN];
		cr_assert_str_eq(uuid_format(s.ep[0].uuid, u), "367abb81-9844-35f1-ad32-98f038001003", "svcctl");
		dcerpc_state_free(d);
	}
}

/* An NDR64 ept_lookup answer ([MS-RPCE] 2.2.5, [C706] ept_lookup): handle, num_ents, the conformant varying
 * array of ept_entry_t (object, tower pointer, annotation), then the towers, then status. */
static size_t ndr64_lookup_answer(uint8_t *b, size_t cap)
{
	memset(b, 0, cap);
	size_t n = 20;
	b[n] = 2; /* num_ents */
	n = 24;
	b[n] = 2, n += 8; /* max_count */
	n += 8;           /* offset */
	b[n] = 2, n += 8; /* actual_count */
	static const char *ann[2] = { "Impl friendly name", "" };
	for (int i = 0; i < 2; i++) {
		n += 16;                  /* object */
		b[n] = (uint8_t)(1 + i), n += 8; /* tower referent */
		n += 8;                   /* annotation offset */
		size_t al = strlen(ann[i]) + 1;
		b[n] = (uint8_t)al, n += 8;
		memcpy(b + n, ann[i], al), n += al;
		n = (n + 7) & ~(size_t)7;
	}
	/* two towers: ncacn_ip_tcp 49667 and 49668 on 10.2.0.22, interface 12345678-1234-abcd-ef00-01234567cffb */
	for (int i = 0; i < 2; i++) {
		static const uint8_t tower[] = { 5, 0,
			19, 0, 0x0d, 0x78, 0x56, 0x34, 0x12, 0x34, 0x12, 0xcd, 0xab, 0xef, 0x00, 0x01, 0x23, 0x45, 0x67,
			0xcf, 0xfb, 1, 0, 2, 0, 0, 0,
			19, 0, 0x0d, 0x33, 0x05, 0x71, 0x71, 0xba, 0xbe, 0x37, 0x49, 0x83, 0x19, 0xb5, 0xdb, 0xef, 0x9c,
			0xcc, 0x36, 1, 0, 2, 0, 0, 0,
			1, 0, 0x0b, 2, 0, 0, 0,
			1, 0, 0x07, 2, 0, 0xc2, 0x03,
			1, 0, 0x09, 4, 0, 10, 2, 0, 22 };
		n = (n + 7) & ~(size_t)7;
		b[n] = sizeof tower, n += 8;
		b[n] = sizeof tower, n += 4;
		memcpy(b + n, tower, sizeof tower);
		b[n + sizeof tower - 10] = (uint8_t)(0x03 + i); /* the port: 49667, 49668 */
		n += sizeof tower;
	}
	n = (n + 3) & ~(size_t)3;
	n += 4; /* status 0 */
	cr_assert_leq(n, cap);
	return n;
}

Test(dcerpc, ndr64_ept_lookup_built_from_the_specification)
{
	uint8_t b[512];
	size_t n = ndr64_lookup_answer(b, sizeof b);
	struct dcerpc_endpoint eps[4];
	cr_assert_eq(dcerpc_epm_ndr64_towers(b, n, 2, eps, 4), 2);
	cr_assert_eq(eps[0].port, 49667);
	cr_assert_eq(eps[1].port, 49668);
	cr_assert(eps[0].has_addr && eps[0].addr[3] == 22);
	cr_assert_eq(dcerpc_epm_ndr64_towers(b, n, 3, eps, 4), 0, "not an ept_map answer");
	for (size_t cut = 0; cut < n; cut++) {
		uint8_t *c = malloc(cut ? cut : 1);
		memcpy(c, b, cut);
		cr_assert_eq(dcerpc_epm_ndr64_towers(c, cut, 2, eps, 4), 0, "cut at %zu", cut);
		dcerpc_scan_towers(c, cut, eps, 4);
		free(c);
	}
}

/* A PDU header ([C706] 12.6.3.1), little-endian. */
static size_t pdu(uint8_t *b, uint8_t ptype, uint32_t call_id, const uint8_t *body, size_t blen)
{
	size_t n = 16 + blen;
	uint8_t h[16] = { 5, 0, ptype, 3, 0x10, 0, 0, 0, (uint8_t)n, (uint8_t)(n >> 8), 0, 0,
			  (uint8_t)call_id, (uint8_t)(call_id >> 8), 0, 0 };
	memcpy(b, h, 16);
	memcpy(b + 16, body, blen);
	return n;
}

static const uint8_t NDR_SYNTAX[20] = { 0x04, 0x5d, 0x88, 0x8a, 0xeb, 0x1c, 0xc9, 0x11, 0x9f, 0xe8,
					0x08, 0x00, 0x2b, 0x10, 0x48, 0x60, 2, 0, 0, 0 };

/* bind/alter body: one context id with an interface (GUID fields little-endian, version major.minor) and NDR. */
static size_t ctx_body(uint8_t *b, uint16_t id, const uint8_t iface_wire[16], uint16_t vmaj)
{
	size_t n = 0;
	memset(b, 0, 12);
	b[0] = 0xb8, b[1] = 0x10, b[2] = 0xb8, b[3] = 0x10; /* max xmit, recv */
	b[8] = 1;                                           /* one context */
	n = 12;
	b[n] = (uint8_t)id, b[n + 1] = 0, b[n + 2] = 1, b[n + 3] = 0;
	n += 4;
	memcpy(b + n, iface_wire, 16), n += 16;
	b[n] = (uint8_t)vmaj, b[n + 1] = 0, b[n + 2] = 0, b[n + 3] = 0, n += 4;
	memcpy(b + n, NDR_SYNTAX, 20), n += 20;
	return n;
}

static size_t ack_body(uint8_t *b, uint16_t result)
{
	size_t n = 0;
	memset(b, 0, 64);
	b[0] = 0xb8, b[1] = 0x10, b[2] = 0xb8, b[3] = 0x10;
	b[8] = 6, b[9] = 0; /* secondary address "49724" */
	memcpy(b + 10, "49724", 6);
	n = 16;             /* 16 + 16 = 32: aligned */
	b[n] = 1, n += 4;   /* one result */
	b[n] = (uint8_t)result, n += 4;
	memcpy(b + n, NDR_SYNTAX, 20), n += 20;
	return n;
}

Test(dcerpc, bind_then_alter_context_every_interface_and_its_result)
{
	/* IRemUnknown2 bound, then IWbemLevel1Login by alter_context, accepted; a request on each */
	static const uint8_t irem2[16] = { 0x43, 0x01, 0, 0, 0, 0, 0, 0, 0xc0, 0, 0, 0, 0, 0, 0, 0x46 };
	static const uint8_t login[16] = { 0x18, 0xad, 0x09, 0xf3, 0x6a, 0xd8, 0xd0, 0x11, 0xa0, 0x75, 0x00, 0xc0,
					   0x4f, 0xb6, 0x88, 0x20 };
	uint8_t body[128], b[1024];
	size_t n = 0, bl;
	bl = ctx_body(body, 0, irem2, 0);
	n += pdu(b + n, 11, 1, body, bl);
	bl = ack_body(body, 0);
	size_t ack1 = n;
	n += pdu(b + n, 12, 1, body, bl);
	bl = ctx_body(body, 1, login, 0);
	n += pdu(b + n, 14, 2, body, bl);
	bl = ack_body(body, 0);
	n += pdu(b + n, 15, 2, body, bl);
	uint8_t req[8] = { 0, 0, 0, 0, 1, 0, 6, 0 }; /* alloc hint, context 1, opnum 6 (NTLMLogin) */
	n += pdu(b + n, 0, 3, req, sizeof req);
	(void)ack1;
	struct dcerpc_state *s = dcerpc_state_new();
	struct seen seen = { 0 };
	/* the client's PDUs in direction 0, the server's in direction 1, each its own stream */
	uint32_t seq[2] = { 1, 1 };
	size_t off = 0;
	while (off < n) {
		uint16_t frag = (uint16_t)(b[off + 8] | b[off + 9] << 8);
		int dir = b[off + 2] == 12 || b[off + 2] == 15 ? 1 : 0;
		cr_assert(dcerpc_tcp_feed(s, dir, seq[dir], b + off, frag, collect, &seen));
		seq[dir] += frag;
		off += frag;
	}
	size_t nc;
	const struct dcerpc_context *c = dcerpc_contexts(s, &nc);
	char u[UUID_STR_LEN];
	cr_assert_eq(nc, 2);
	cr_assert_str_eq(uuid_format(c[0].uuid, u), "00000143-0000-0000-c000-000000000046");
	cr_assert_str_eq(uuid_format(c[1].uuid, u), "f309ad18-d86a-11d0-a075-00c04fb68820");
	cr_assert(c[1].alter && c[1].has_ack && c[1].accepted == DCERPC_SYNTAX_NDR);
	cr_assert_eq(c[1].requests, 1);
	cr_assert(c[1].opnums[0] & (1u << 6));
	cr_assert_eq(seen.contexts, 2);
	cr_assert_eq(seen.acks, 2);
	cr_assert_eq(seen.requests, 1);
	dcerpc_state_free(s);

	/* more contexts than kept: counted */
	s = dcerpc_state_new();
	for (uint16_t id = 0; id < DCERPC_CONTEXTS_MAX + 4; id++) {
		bl = ctx_body(body, id, login, id);
		size_t m = pdu(b, 14, id, body, bl);
		dcerpc_tcp_feed(s, 0, 1 + (uint32_t)(id * m), b, m, NULL, NULL);
	}
	dcerpc_contexts(s, &nc);
	cr_assert_eq(nc, DCERPC_CONTEXTS_MAX);
	cr_assert_eq(dcerpc_counters(s)->contexts_dropped, 4);
	dcerpc_state_free(s);
}

Test(dcerpc, dcom_answer_with_and_without_its_bind)
{
	const char *file = PCAP_DIR "/public/suricata-verify__dcerpc-ctxids__input.pcap";
	/* with the bind: ISystemActivator RemoteCreateInstance answered with the binding of port 49724 */
	struct seen a = { 0 };
	dcerpc_state_free(feed_135(file, &a, false, -1));
	bool found = false;
	for (size_t i = 0; i < a.n; i++)
		found |= a.ep[i].port == 49724 && !a.ep[i].unbound;
	cr_assert(found);
	/* the server's answers only (the capture began after the bind and the request): found by shape */
	struct seen b = { 0 };
	dcerpc_state_free(feed_135(file, &b, true, -1));
	found = false;
	for (size_t i = 0; i < b.n; i++) {
		cr_assert(b.ep[i].unbound);
		cr_assert_eq(b.ep[i].port, 49724, "no other port is announced");
		found = true;
	}
	cr_assert(found);
}

/* Every TCP payload of every capture here: a DCOM binding by shape only in DCOM answers from port 135. */
Test(dcerpc, no_false_dcom_binding_in_ordinary_traffic)
{
	const char *dirs[] = { PCAP_DIR, PCAP_DIR "/public" };
	size_t files = 0, payloads = 0, hits = 0;
	for (int d = 0; d < 2; d++) {
		DIR *dp = opendir(dirs[d]);
		cr_assert_not_null(dp);
		struct dirent *e;
		while ((e = readdir(dp))) {
			if (!strstr(e->d_name, ".pcap"))
				continue;
			char path[600];
			snprintf(path, sizeof path, "%s/%s", dirs[d], e->d_name);
			struct tc_capture cap;
			if (!tc_read(path, &cap))
				continue;
			files++;
			for (size_t i = 0; i < cap.nsegs; i++) {
				struct dcerpc_endpoint eps[4];
				size_t n = dcom_scan_unbound(cap.segs[i].data, cap.segs[i].len, eps, 4);
				payloads++;
				if (!n)
					continue;
				hits++;
				const struct tc_conn *x = &cap.conns[cap.segs[i].conn];
				cr_assert(cap.segs[i].dir == 1 && tc_server_port_of(x) == 135 &&
						  !strcmp(e->d_name, "suricata-verify__dcerpc-ctxids__input.pcap"),
					  "a DCOM binding by shape in %s, connection %s", e->d_name, x->name);
			}
			tc_free(&cap);
		}
		closedir(dp);
	}
	cr_log_info("%zu captures, %zu TCP payloads, %zu with DCOM bindings", files, payloads, hits);
	cr_assert_gt(files, 50);
	cr_assert_gt(hits, 0);
}

/* ---- every truncation of real messages ---- */

/* Feeds a connection's segments before index upto whole, then segment upto cut at every length with its
 * framing length rewritten to the cut (so the parser reads a message that ends there), from an exact-size copy. */
static void cuts_of(const struct tc_capture *cap, int conn, bool smb, size_t max_msgs)
{
	size_t done = 0;
	for (size_t upto = 0; upto < cap->nsegs && done < max_msgs; upto++) {
		const struct tc_seg *t = &cap->segs[upto];
		if (t->conn != conn)
			continue;
		size_t hdr = smb ? 4 : 16;
		if (t->len < hdr)
			continue;
		size_t whole = smb ? (size_t)(t->data[1] << 16 | t->data[2] << 8 | t->data[3]) + 4 :
				     (size_t)(t->data[8] | t->data[9] << 8);
		if (whole != t->len || (smb && t->data[0] != 0) || (!smb && !dcerpc_looks_like_co(t->data, t->len)))
			continue; /* only segments that are one whole message */
		done++;
		for (size_t cut = hdr; cut < t->len; cut += t->len > 400 ? 3 : 1) {
			struct smb_state *ss = smb ? smb_state_new() : NULL;
			struct dcerpc_state *ds = smb ? NULL : dcerpc_state_new();
			for (size_t i = 0; i < upto; i++) {
				const struct tc_seg *s = &cap->segs[i];
				if (s->conn != conn)
					continue;
				if (ss)
					smb_tcp_feed(ss, s->dir, s->seq, s->data, s->len, NULL, NULL);
				else
					dcerpc_tcp_feed(ds, s->dir, s->seq, s->data, s->len, NULL, NULL);
			}
			uint8_t *c = malloc(cut);
			memcpy(c, t->data, cut);
			if (smb) {
				c[1] = (uint8_t)((cut - 4) >> 16), c[2] = (uint8_t)((cut - 4) >> 8), c[3] = (uint8_t)(cut - 4);
				smb_tcp_feed(ss, t->dir, t->seq, c, cut, NULL, NULL);
			} else {
				c[8] = (uint8_t)cut, c[9] = (uint8_t)(cut >> 8);
				dcerpc_tcp_feed(ds, t->dir, t->seq, c, cut, NULL, NULL);
			}
			free(c);
			smb_state_free(ss);
			dcerpc_state_free(ds);
		}
	}
}

Test(dcerpc, every_cut_of_real_messages)
{
	static const char *files[] = { "cm-smb1.pcap", "cm-smb-rpc.pcap", "cm-psexec.pcap",
				       "public/suricata-verify__dcerpc-ctxids__input.pcap",
				       "public/pcap-attack__LM_smbexec_smb_dcerpc_svcctl_epm.pcapng",
				       "public/suricata-verify__smb-dce_iface__input.pcap" };
	for (size_t k = 0; k < sizeof files / sizeof *files; k++) {
		char path[512];
		snprintf(path, sizeof path, "%s/%s", PCAP_DIR, files[k]);
		struct tc_capture cap;
		cr_assert(tc_read(path, &cap), "%s", path);
		/* the first SMB connection and the first DCE/RPC one */
		int smb_conn = -1, rpc_conn = -1;
		for (size_t c = 0; c < cap.nconns; c++) {
			uint16_t p = tc_server_port_of(&cap.conns[c]);
			if (p == 445 && smb_conn < 0)
				smb_conn = (int)c;
			else if (p != 445 && p != 139 && rpc_conn < 0)
				for (size_t i = 0; i < cap.nsegs; i++)
					if (cap.segs[i].conn == (int)c) {
						if (dcerpc_looks_like_co(cap.segs[i].data, cap.segs[i].len))
							rpc_conn = (int)c;
						break;
					}
		}
		if (smb_conn >= 0)
			cuts_of(&cap, smb_conn, true, 40);
		if (rpc_conn >= 0)
			cuts_of(&cap, rpc_conn, false, 40);
		tc_free(&cap);
	}
}

/* tcp_conns.h: the TCP connections of a capture for the parser tests: each payload-carrying segment with its
 * connection, direction (0 from the client) and sequence number, in capture order. The client is the end that
 * sent the SYN; without one, the end not on 135/139/445, else the higher port (as tests/e2e/smb_reference.py
 * says). Header-only: each test program includes it once. */
#ifndef CMFLOW_TEST_TCP_CONNS_H
#define CMFLOW_TEST_TCP_CONNS_H

#include <arpa/inet.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode/decode.h"

struct tc_seg {
	int conn;
	int dir; /* 0 from the client */
	uint32_t seq;
	uint8_t *data;
	size_t len;
};

struct tc_conn {
	int family;
	uint8_t a[16], b[16]; /* the ends in first-seen order */
	uint16_t pa, pb;
	int syn_from;         /* -1 none, 0 a, 1 b */
	int client;           /* 0 a, 1 b */
	char name[128];       /* "client:port>server:port" */
};

struct tc_capture {
	struct tc_conn *conns;
	size_t nconns;
	struct tc_seg *segs;
	size_t nsegs;
};

static int tc_server_port(uint16_t p)
{
	return p == 135 || p == 139 || p == 445;
}

static void tc_endpoint(char *out, size_t cap, int family, const uint8_t *addr, uint16_t port)
{
	char t[INET6_ADDRSTRLEN];
	inet_ntop(family == 4 ? AF_INET : AF_INET6, addr, t, sizeof t);
	if (family == 4)
		snprintf(out, cap, "%s:%u", t, port);
	else
		snprintf(out, cap, "[%s]:%u", t, port);
}

/* Reads a capture's TCP segments with payload; false when it cannot be opened. */
static bool tc_read(const char *file, struct tc_capture *cap)
{
	char ebuf[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_open_offline(file, ebuf);
	if (!p)
		return false;
	memset(cap, 0, sizeof *cap);
	size_t conns_cap = 0, segs_cap = 0;
	struct pcap_pkthdr *h;
	const u_char *data;
	int *dirs = NULL; /* per segment: 0 from a, 1 from b (made client-relative at the end) */
	while (pcap_next_ex(p, &h, &data) == 1) {
		struct packet pkt;
		struct decode_stats st = { 0 };
		if (decode_packet(pcap_datalink(p), data, h->caplen, h->len, 0, &pkt, &st) != DECODE_OK ||
		    pkt.ip_proto != 6)
			continue;
		if (pkt.l3 != L3_IPV4 && pkt.l3 != L3_IPV6)
			continue;
		size_t alen = pkt.l3 == L3_IPV4 ? 4 : 16;
		int c = -1, from = 0;
		for (size_t i = 0; i < cap->nconns && c < 0; i++) {
			struct tc_conn *x = &cap->conns[i];
			if (x->family != (int)pkt.l3)
				continue;
			if (!memcmp(x->a, pkt.src, alen) && !memcmp(x->b, pkt.dst, alen) && x->pa == pkt.sport &&
			    x->pb == pkt.dport)
				c = (int)i, from = 0;
			else if (!memcmp(x->b, pkt.src, alen) && !memcmp(x->a, pkt.dst, alen) && x->pb == pkt.sport &&
				 x->pa == pkt.dport)
				c = (int)i, from = 1;
		}
		if (c < 0) {
			if (cap->nconns == conns_cap) {
				conns_cap = conns_cap ? conns_cap * 2 : 16;
				cap->conns = realloc(cap->conns, conns_cap * sizeof *cap->conns);
			}
			struct tc_conn *x = &cap->conns[cap->nconns];
			memset(x, 0, sizeof *x);
			x->family = (int)pkt.l3;
			memcpy(x->a, pkt.src, alen);
			memcpy(x->b, pkt.dst, alen);
			x->pa = pkt.sport;
			x->pb = pkt.dport;
			x->syn_from = -1;
			c = (int)cap->nconns++;
		}
		struct tc_conn *x = &cap->conns[c];
		if ((pkt.tcp_flags & 0x12) == 0x02 && x->syn_from < 0)
			x->syn_from = from;
		if (!pkt.payload_len)
			continue;
		if (cap->nsegs == segs_cap) {
			segs_cap = segs_cap ? segs_cap * 2 : 64;
			cap->segs = realloc(cap->segs, segs_cap * sizeof *cap->segs);
			dirs = realloc(dirs, segs_cap * sizeof *dirs);
		}
		struct tc_seg *s = &cap->segs[cap->nsegs];
		s->conn = c;
		s->seq = pkt.tcp_seq;
		s->len = pkt.payload_len;
		s->data = malloc(s->len);
		memcpy(s->data, pkt.payload, s->len);
		dirs[cap->nsegs++] = from;
	}
	pcap_close(p);
	for (size_t i = 0; i < cap->nconns; i++) {
		struct tc_conn *x = &cap->conns[i];
		if (x->syn_from >= 0)
			x->client = x->syn_from;
		else if (tc_server_port(x->pb) && !tc_server_port(x->pa))
			x->client = 0;
		else if (tc_server_port(x->pa) && !tc_server_port(x->pb))
			x->client = 1;
		else
			x->client = x->pa > x->pb ? 0 : 1;
		char ca[64], cb[64];
		tc_endpoint(ca, sizeof ca, x->family, x->a, x->pa);
		tc_endpoint(cb, sizeof cb, x->family, x->b, x->pb);
		snprintf(x->name, sizeof x->name, "%s>%s", x->client == 0 ? ca : cb, x->client == 0 ? cb : ca);
	}
	for (size_t i = 0; i < cap->nsegs; i++)
		cap->segs[i].dir = dirs[i] == cap->conns[cap->segs[i].conn].client ? 0 : 1;
	free(dirs);
	return true;
}

static uint16_t tc_server_port_of(const struct tc_conn *x)
{
	return x->client == 0 ? x->pb : x->pa;
}

static void tc_free(struct tc_capture *cap)
{
	for (size_t i = 0; i < cap->nsegs; i++)
		free(cap->segs[i].data);
	free(cap->segs);
	free(cap->conns);
	memset(cap, 0, sizeof *cap);
}

#endif

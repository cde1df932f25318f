/* capture_walk.h: for parser tests over real captures: frames read in order with their transport payload
 * (cmflow's own decoder), and the reference files tshark's reading was written to (tests/unit/make-auth-ref.py:
 * tab-separated, '#' comments, empty fields kept). */
#ifndef CMFLOW_TEST_CAPTURE_WALK_H
#define CMFLOW_TEST_CAPTURE_WALK_H

#include <criterion/criterion.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode/decode.h"

struct walk {
	pcap_t *p;
	int frame;              /* 1-based number of the frame last read, as tshark counts */
	struct packet pkt;
	uint8_t *copy;          /* the payload alone on the heap, so that AddressSanitizer sees a read past it */
	size_t copy_len;
};

static inline void walk_open(struct walk *w, const char *capture)
{
	char path[512], ebuf[PCAP_ERRBUF_SIZE];
	snprintf(path, sizeof path, "%s/%s", PCAP_DIR, capture);
	memset(w, 0, sizeof *w);
	w->p = pcap_open_offline(path, ebuf);
	cr_assert_not_null(w->p, "%s: %s", path, ebuf);
}

/* Reads the next frame: 1 when it was decoded to a transport payload (left in w->copy, w->pkt), 0 when it was
 * not (w->copy NULL), -1 at the end of the capture. */
static inline int walk_next(struct walk *w)
{
	struct pcap_pkthdr *h;
	const u_char *data;
	free(w->copy);
	w->copy = NULL;
	w->copy_len = 0;
	if (pcap_next_ex(w->p, &h, &data) != 1)
		return -1;
	w->frame++;
	struct decode_stats st = { 0 };
	if (decode_packet(pcap_datalink(w->p), data, h->caplen, h->len, 0, &w->pkt, &st) != DECODE_OK ||
	    !w->pkt.has_ports)
		return 0;
	w->copy_len = w->pkt.payload_len;
	w->copy = malloc(w->copy_len ? w->copy_len : 1);
	memcpy(w->copy, w->pkt.payload, w->copy_len);
	return 1;
}

/* Reads frames up to number frame; true when that one was decoded to a transport payload. */
static inline bool walk_to(struct walk *w, int frame)
{
	int r = 0;
	while (w->frame < frame && (r = walk_next(w)) >= 0)
		;
	return w->frame == frame && r == 1;
}

static inline void walk_close(struct walk *w)
{
	if (w->p)
		pcap_close(w->p);
	free(w->copy);
	memset(w, 0, sizeof *w);
}

#define REF_MAX_FIELDS 24

/* One reference line split at its tabs (in place). */
struct ref_line {
	char buf[4096];
	char *f[REF_MAX_FIELDS];
	int n;
};

/* Reads the next non-comment line; false at the end of the file. */
static inline bool ref_next(FILE *fp, struct ref_line *r)
{
	while (fgets(r->buf, sizeof r->buf, fp)) {
		if (r->buf[0] == '#')
			continue;
		r->buf[strcspn(r->buf, "\n")] = '\0';
		r->n = 0;
		char *s = r->buf;
		for (;;) {
			cr_assert_lt(r->n, REF_MAX_FIELDS);
			r->f[r->n++] = s;
			char *tab = strchr(s, '\t');
			if (!tab)
				break;
			*tab = '\0';
			s = tab + 1;
		}
		while (r->n < REF_MAX_FIELDS)
			r->f[r->n++] = "";
		return true;
	}
	return false;
}

static inline FILE *ref_open(const char *name)
{
	char path[512];
	snprintf(path, sizeof path, "%s/ref/%s", TEST_DIR, name);
	FILE *fp = fopen(path, "r");
	cr_assert_not_null(fp, "%s", path);
	return fp;
}

/* True when any 8-byte window of secret (skipping windows of four or more zero bytes, which padding and UTF-16
 * names share with anything) occurs in the memory of mem. */
static inline bool holds_window_of(const void *mem, size_t memlen, const uint8_t *secret, size_t len)
{
	for (size_t i = 0; i + 8 <= len; i++) {
		int zeros = 0;
		for (size_t k = 0; k < 8; k++)
			zeros += secret[i + k] == 0;
		if (zeros >= 4)
			continue;
		for (size_t j = 0; j + 8 <= memlen; j++)
			if (memcmp((const uint8_t *)mem + j, secret + i, 8) == 0)
				return true;
	}
	return false;
}

#endif

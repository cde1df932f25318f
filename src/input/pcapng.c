/* pcapng.c: a bounds-checked pcapng reader (draft-ietf-opsawg-pcapng), for the files libpcap 1.10 refuses:
 * interfaces with different link types or snapshot lengths in one section. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/bytes.h"
#include "decode/decode.h"
#include "input/pcapng.h"

#define BT_SHB 0x0A0D0D0Au
#define BT_IDB 1u
#define BT_PB 2u      /* obsolete Packet Block */
#define BT_SPB 3u
#define BT_EPB 6u
#define BLOCK_MAX (16u << 20)
#define IFACES_MAX 1024

struct iface {
	int linktype;
	uint32_t snaplen;
	uint64_t units;       /* timestamp units per second */
	int64_t offset_s;     /* if_tsoffset */
};

struct pcapng_reader {
	FILE *fp;
	char name[256];
	uint8_t *block;
	uint32_t cap;
	bool swap;            /* the section is in the other byte order */
	bool in_section;
	struct iface *ifs;
	uint32_t nifs;
	uint64_t packets;
};

static uint16_t rd16(const struct pcapng_reader *r, const uint8_t *p)
{
	return r->swap ? (uint16_t)(p[0] << 8 | p[1]) : (uint16_t)(p[1] << 8 | p[0]);
}

static uint32_t rd32(const struct pcapng_reader *r, const uint8_t *p)
{
	return r->swap ? (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]
		       : (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

struct pcapng_reader *pcapng_open(FILE *fp, const char *name)
{
	struct pcapng_reader *r = calloc(1, sizeof *r);
	if (!r)
		return NULL;
	r->fp = fp;
	snprintf(r->name, sizeof r->name, "%s", name);
	return r;
}

void pcapng_close(struct pcapng_reader *r)
{
	if (!r)
		return;
	free(r->block);
	free(r->ifs);
	free(r);
}

__attribute__((format(printf, 3, 4))) static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* Reads one whole block into r->block; returns its type, 0 at the end of the file, -1 on damage. */
static int64_t read_block(struct pcapng_reader *r, uint32_t *len, char *err, size_t errlen)
{
	uint8_t head[8];
	size_t got = fread(head, 1, 8, r->fp);
	if (got == 0 && feof(r->fp))
		return 0;
	if (got != 8)
		return fail(err, errlen, "%s: block header cut short after packet %llu", r->name,
			    (unsigned long long)r->packets);
	uint32_t type = (uint32_t)head[0] << 24 | (uint32_t)head[1] << 16 | (uint32_t)head[2] << 8 | head[3];
	if (type == BT_SHB) {
		/* the byte-order magic decides how this section's numbers read */
		uint8_t bom[4];
		if (fread(bom, 1, 4, r->fp) != 4)
			return fail(err, errlen, "%s: section header cut short after packet %llu", r->name,
				    (unsigned long long)r->packets);
		if (bom[0] == 0x4D && bom[1] == 0x3C && bom[2] == 0x2B && bom[3] == 0x1A)
			r->swap = false;
		else if (bom[0] == 0x1A && bom[1] == 0x2B && bom[2] == 0x3C && bom[3] == 0x4D)
			r->swap = true;
		else
			return fail(err, errlen, "%s: bad byte-order magic in a section header after packet %llu", r->name,
				    (unsigned long long)r->packets);
		*len = rd32(r, head + 4);
		if (*len < 28 || *len % 4 || *len > BLOCK_MAX)
			return fail(err, errlen, "%s: bad section header length after packet %llu", r->name,
				    (unsigned long long)r->packets);
		r->in_section = true;
		r->nifs = 0; /* interfaces belong to their section */
		if (*len > r->cap) {
			uint8_t *b = realloc(r->block, *len);
			if (!b)
				return fail(err, errlen, "%s: out of memory", r->name);
			r->block = b;
			r->cap = *len;
		}
		memcpy(r->block, head, 8);
		memcpy(r->block + 8, bom, 4);
		if (fread(r->block + 12, 1, *len - 12, r->fp) != *len - 12)
			return fail(err, errlen, "%s: section header cut short after packet %llu", r->name,
				    (unsigned long long)r->packets);
	} else {
		if (!r->in_section)
			return fail(err, errlen, "%s: not a pcapng file (no section header)", r->name);
		type = rd32(r, head);
		*len = rd32(r, head + 4);
		if (*len < 12 || *len % 4 || *len > BLOCK_MAX)
			return fail(err, errlen, "%s: damaged capture at packet %llu: bad block length", r->name,
				    (unsigned long long)r->packets + 1);
		if (*len > r->cap) {
			uint8_t *b = realloc(r->block, *len);
			if (!b)
				return fail(err, errlen, "%s: out of memory", r->name);
			r->block = b;
			r->cap = *len;
		}
		memcpy(r->block, head, 8);
		if (fread(r->block + 8, 1, *len - 8, r->fp) != *len - 8)
			return fail(err, errlen, "%s: damaged capture at packet %llu: block cut short", r->name,
				    (unsigned long long)r->packets + 1);
	}
	if (rd32(r, r->block + *len - 4) != *len)
		return fail(err, errlen, "%s: damaged capture at packet %llu: block lengths disagree", r->name,
			    (unsigned long long)r->packets + 1);
	return type;
}

static bool add_interface(struct pcapng_reader *r, uint32_t len)
{
	if (len < 20 || r->nifs == IFACES_MAX)
		return false;
	struct iface *ifs = realloc(r->ifs, (r->nifs + 1) * sizeof *ifs);
	if (!ifs)
		return false;
	r->ifs = ifs;
	struct iface *i = &ifs[r->nifs++];
	i->linktype = decode_dlt_of_linktype(rd16(r, r->block + 8));
	i->snaplen = rd32(r, r->block + 12);
	i->units = 1000000;
	i->offset_s = 0;
	/* options: code(2), length(2), value padded to 4 */
	uint32_t at = 16, end = len - 4;
	while (at + 4 <= end) {
		uint16_t code = rd16(r, r->block + at), olen = rd16(r, r->block + at + 2);
		if (code == 0 || at + 4 + olen > end)
			break;
		const uint8_t *v = r->block + at + 4;
		if (code == 9 && olen == 1) { /* if_tsresol */
			uint8_t res = v[0];
			uint64_t units = 1;
			unsigned exp = res & 0x7f;
			if (exp > (res & 0x80 ? 63u : 19u))
				return false;
			for (unsigned k = 0; k < exp; k++)
				units *= res & 0x80 ? 2 : 10;
			i->units = units;
		} else if (code == 14 && olen == 8) { /* if_tsoffset, seconds */
			uint64_t off = r->swap ? (uint64_t)rd32(r, v) << 32 | rd32(r, v + 4)
					       : (uint64_t)rd32(r, v + 4) << 32 | rd32(r, v);
			i->offset_s = (int64_t)off;
		}
		at += 4 + ((olen + 3u) & ~3u);
	}
	return true;
}

static void set_time(const struct iface *i, uint64_t ts, struct pcap_pkthdr *h)
{
	uint64_t secs = ts / i->units, frac = ts % i->units;
	/* frac < units <= 2^63: scale in two steps to stay within 64 bits */
	uint64_t usec = i->units >= 1000000 ? frac / (i->units / 1000000) : frac * (1000000 / i->units);
	if (usec > 999999)
		usec = 999999;
	h->ts.tv_sec = (time_t)((int64_t)secs + i->offset_s);
	h->ts.tv_usec = (suseconds_t)usec;
}

int pcapng_next(struct pcapng_reader *r, struct pcap_pkthdr *h, const uint8_t **data, int *linktype, char *err,
		size_t errlen)
{
	for (;;) {
		uint32_t len = 0;
		int64_t type = read_block(r, &len, err, errlen);
		if (type <= 0)
			return (int)type;
		if (type == BT_IDB) {
			if (!add_interface(r, len))
				return fail(err, errlen, "%s: bad interface description after packet %llu", r->name,
					    (unsigned long long)r->packets);
			continue;
		}
		uint32_t ifid, caplen, origlen, hdr;
		uint64_t ts = 0;
		if (type == BT_EPB && len >= 32) {
			ifid = rd32(r, r->block + 8);
			ts = (uint64_t)rd32(r, r->block + 12) << 32 | rd32(r, r->block + 16);
			caplen = rd32(r, r->block + 20);
			origlen = rd32(r, r->block + 24);
			hdr = 28;
		} else if (type == BT_PB && len >= 32) {
			ifid = rd16(r, r->block + 8);
			ts = (uint64_t)rd32(r, r->block + 12) << 32 | rd32(r, r->block + 16);
			caplen = rd32(r, r->block + 20);
			origlen = rd32(r, r->block + 24);
			hdr = 28;
		} else if (type == BT_SPB && len >= 16) {
			ifid = 0;
			origlen = rd32(r, r->block + 8);
			hdr = 12;
			caplen = len - 16 < origlen ? len - 16 : origlen;
			if (r->nifs && r->ifs[0].snaplen && caplen > r->ifs[0].snaplen)
				caplen = r->ifs[0].snaplen;
		} else if (type == BT_EPB || type == BT_PB || type == BT_SPB) {
			return fail(err, errlen, "%s: damaged capture at packet %llu: packet block too short", r->name,
				    (unsigned long long)r->packets + 1);
		} else {
			continue; /* name resolution, statistics, custom and unknown blocks */
		}
		if (ifid >= r->nifs)
			return fail(err, errlen, "%s: damaged capture at packet %llu: unknown interface", r->name,
				    (unsigned long long)r->packets + 1);
		if (caplen > len - hdr - 4 || caplen > 262144)
			return fail(err, errlen, "%s: damaged capture at packet %llu: captured length beyond its block",
				    r->name, (unsigned long long)r->packets + 1);
		const struct iface *i = &r->ifs[ifid];
		memset(h, 0, sizeof *h);
		if (type != BT_SPB)
			set_time(i, ts, h);
		h->caplen = caplen;
		h->len = origlen < caplen ? caplen : origlen;
		*data = r->block + hdr;
		*linktype = i->linktype;
		r->packets++;
		return 1;
	}
}

uint64_t pcapng_packets(const struct pcapng_reader *r)
{
	return r->packets;
}

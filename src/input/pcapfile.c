/* pcapfile.c: classic pcap files, read in large blocks and parsed in place. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/bytes.h"
#include "decode/decode.h"
#include "input/pcapfile.h"

#define MAGIC_US 0xa1b2c3d4u
#define MAGIC_NS 0xa1b23c4du
#define RECORD_HEADER 16
#define MAX_RECORD 262144u /* libpcap's largest snapshot length: a longer record is damage */

struct pcapfile {
	FILE *fp;
	const char *name;
	bool swapped, nanoseconds, eof;
	int dlt;
	uint64_t packets;
	uint8_t *buf;   /* [pos, have) not yet handed out */
	size_t pos, have, cap;
};

static uint32_t u32(const struct pcapfile *r, const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return r->swapped ? __builtin_bswap32(v) : v;
}

struct pcapfile *pcapfile_open(FILE *fp, const char *name, bool *other)
{
	uint8_t hdr[24];
	uint32_t magic = 0;
	size_t n = fread(hdr, 1, sizeof hdr, fp);
	memcpy(&magic, hdr, 4);
	*other = n < sizeof hdr || (magic != MAGIC_US && magic != MAGIC_NS && magic != __builtin_bswap32(MAGIC_US) &&
				     magic != __builtin_bswap32(MAGIC_NS));
	if (*other)
		return NULL;
	struct pcapfile *r = calloc(1, sizeof *r);
	if (!r || !(r->buf = malloc(PCAPFILE_BLOCK + RECORD_HEADER + MAX_RECORD))) {
		free(r);
		return NULL;
	}
	r->cap = PCAPFILE_BLOCK + RECORD_HEADER + MAX_RECORD; /* a block's tail and a whole record after it */
	r->fp = fp;
	r->name = name;
	r->swapped = magic != MAGIC_US && magic != MAGIC_NS;
	r->nanoseconds = magic == MAGIC_NS || magic == __builtin_bswap32(MAGIC_NS);
	uint16_t major;
	memcpy(&major, hdr + 4, 2);
	if (r->swapped)
		major = __builtin_bswap16(major);
	/* the link type's upper bits carry the FCS length, not the type */
	r->dlt = decode_dlt_of_linktype(u32(r, hdr + 20) & 0x03ffffffu);
	if (major != 2) { /* another version is libpcap's to judge */
		pcapfile_close(r);
		*other = true;
		return NULL;
	}
	return r;
}

void pcapfile_close(struct pcapfile *r)
{
	if (!r)
		return;
	free(r->buf);
	free(r);
}

int pcapfile_linktype(const struct pcapfile *r)
{
	return r->dlt;
}

/* Makes at least want bytes available at pos (moving what is left to the front first); false at the end of the
 * file before that. */
static bool fill(struct pcapfile *r, size_t want)
{
	if (r->have - r->pos >= want)
		return true;
	memmove(r->buf, r->buf + r->pos, r->have - r->pos);
	r->have -= r->pos;
	r->pos = 0;
	while (r->have < want && !r->eof) {
		size_t n = fread(r->buf + r->have, 1, r->cap - r->have, r->fp);
		r->have += n;
		if (n == 0)
			r->eof = true;
	}
	return r->have >= want;
}

int pcapfile_next(struct pcapfile *r, struct pcap_pkthdr *h, const uint8_t **data, char *err, size_t errlen)
{
	unsigned long long no = (unsigned long long)r->packets + 1;
	if (!fill(r, RECORD_HEADER)) {
		if (r->have == r->pos)
			return ferror(r->fp) ? (snprintf(err, errlen, "%s: cannot read: %s", r->name, strerror(errno)), -1) : 0;
		snprintf(err, errlen, "%s: damaged capture at packet %llu (after %llu good packets): truncated dump file; "
			 "tried to read %u header bytes, only got %zu", r->name, no, no - 1, RECORD_HEADER, r->have - r->pos);
		return -1;
	}
	const uint8_t *rec = r->buf + r->pos;
	uint32_t sec = u32(r, rec), frac = u32(r, rec + 4), caplen = u32(r, rec + 8), len = u32(r, rec + 12);
	if (caplen > MAX_RECORD) {
		snprintf(err, errlen, "%s: damaged capture at packet %llu (after %llu good packets): invalid packet capture "
			 "length %u, bigger than snaplen of %u", r->name, no, no - 1, caplen, MAX_RECORD);
		return -1;
	}
	if (!fill(r, RECORD_HEADER + (size_t)caplen)) {
		snprintf(err, errlen, "%s: damaged capture at packet %llu (after %llu good packets): truncated dump file; "
			 "tried to read %u captured bytes, only got %zu", r->name, no, no - 1, caplen,
			 r->have - r->pos - RECORD_HEADER);
		return -1;
	}
	memset(h, 0, sizeof *h);
	h->ts.tv_sec = sec;
	h->ts.tv_usec = r->nanoseconds ? frac / 1000 : frac;
	h->caplen = caplen;
	h->len = len;
	*data = r->buf + r->pos + RECORD_HEADER;
	r->pos += RECORD_HEADER + caplen;
	r->packets++;
	return 1;
}

/* evidence.c: the alerted flows' packets, written by a second pass over the input files. */
#include <pcap/pcap.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <errno.h>

#include "decode/decode.h"
#include "output/evidence.h"
#include "flow/flow_table.h"

struct alerted {
	struct flow_key key;
	uint64_t first_us, last_us;
};

/* a first fragment of an alerted flow: later fragments with its id belong to the flow too */
struct frag_seen {
	uint8_t src[16], dst[16];
	uint32_t id;
	uint8_t proto;
};

#define FRAGS_KEPT 256

struct evidence {
	pthread_mutex_t lock;
	struct alerted *v;
	size_t n, cap;
	struct frag_seen frags[FRAGS_KEPT];
	size_t nfrags;
	const struct decode_tunnels *tunnels;
	uint64_t lost;            /* alerted flows not remembered (memory): their packets will be missing */
};

struct evidence *evidence_new(void)
{
	struct evidence *ev = calloc(1, sizeof *ev);
	if (ev)
		pthread_mutex_init(&ev->lock, NULL);
	return ev;
}

void evidence_free(struct evidence *ev)
{
	if (!ev)
		return;
	pthread_mutex_destroy(&ev->lock);
	free(ev->v);
	free(ev);
}

void evidence_set_tunnels(struct evidence *ev, const struct decode_tunnels *t)
{
	ev->tunnels = t;
}

void evidence_add(struct evidence *ev, const struct flow *f)
{
	pthread_mutex_lock(&ev->lock);
	if (ev->n == ev->cap) {
		size_t cap = ev->cap ? ev->cap * 2 : 64;
		struct alerted *v = realloc(ev->v, cap * sizeof *v);
		if (!v) {
			ev->lost++;
			pthread_mutex_unlock(&ev->lock);
			return;
		}
		ev->v = v;
		ev->cap = cap;
	}
	struct alerted *a = &ev->v[ev->n++];
	a->key = f->key;
	a->first_us = f->ts_first;
	a->last_us = f->ts_last;
	pthread_mutex_unlock(&ev->lock);
}

size_t evidence_flows(const struct evidence *ev)
{
	return ev->n;
}

static int by_key(const void *a, const void *b)
{
	const struct alerted *x = a, *y = b;
	int c = memcmp(&x->key, &y->key, sizeof x->key);
	return c ? c : (x->first_us < y->first_us ? -1 : x->first_us > y->first_us);
}

/* True when the packet at ts belongs to an alerted flow with this key. */
static bool wanted(const struct evidence *ev, const struct flow_key *k, uint64_t ts)
{
	size_t lo = 0, hi = ev->n;
	while (lo < hi) { /* first entry with this key */
		size_t mid = (lo + hi) / 2;
		if (memcmp(&ev->v[mid].key, k, sizeof *k) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t i = lo; i < ev->n && memcmp(&ev->v[i].key, k, sizeof *k) == 0; i++)
		if (ts >= ev->v[i].first_us && ts <= ev->v[i].last_us)
			return true;
	return false;
}

static bool frag_known(const struct evidence *ev, const struct packet *p)
{
	for (size_t i = 0; i < ev->nfrags; i++) {
		const struct frag_seen *s = &ev->frags[i];
		if (s->id == p->frag_id && s->proto == p->ip_proto && !memcmp(s->src, p->src, 16) &&
		    !memcmp(s->dst, p->dst, 16))
			return true;
	}
	return false;
}

static void frag_remember(struct evidence *ev, const struct packet *p)
{
	struct frag_seen *s = &ev->frags[ev->nfrags++ % FRAGS_KEPT];
	if (ev->nfrags > FRAGS_KEPT)
		ev->nfrags = FRAGS_KEPT;
	memcpy(s->src, p->src, 16);
	memcpy(s->dst, p->dst, 16);
	s->id = p->frag_id;
	s->proto = p->ip_proto;
}

long evidence_write(struct evidence *ev, const char *const *files, const char *bpf, FILE *out, const char *outname,
		    char *err, size_t errlen)
{
	qsort(ev->v, ev->n, sizeof *ev->v, by_key);
	pcap_t *dead = NULL;
	pcap_dumper_t *dump = NULL;
	long written = 0;
	struct decode_stats st;
	for (size_t fi = 0; files[fi]; fi++) {
		char ebuf[PCAP_ERRBUF_SIZE];
		pcap_t *p = pcap_open_offline(files[fi], ebuf);
		if (!p) {
			snprintf(err, errlen, "%s: cannot read capture again: %s", files[fi], ebuf);
			written = -1;
			break;
		}
		int dlt = pcap_datalink(p);
		if (!dump) {
			/* libpcap closes the stream it writes: its own descriptor, so that the caller's stays open */
			int fd = dup(fileno(out));
			FILE *own = fd >= 0 ? fdopen(fd, "w") : NULL;
			if (!own && fd >= 0)
				close(fd);
			dead = pcap_open_dead(dlt, 262144);
			dump = dead && own ? pcap_dump_fopen(dead, own) : NULL;
			if (!dump) {
				if (own)
					fclose(own);
				snprintf(err, errlen, "%s: cannot write: %s", outname, dead ? pcap_geterr(dead) : "out of memory");
				pcap_close(p);
				written = -1;
				break;
			}
		}
		struct bpf_program prog;
		bool filtered = bpf && *bpf && pcap_compile(p, &prog, bpf, 1, PCAP_NETMASK_UNKNOWN) == 0;
		struct pcap_pkthdr *h;
		const u_char *data;
		int rc;
		while ((rc = pcap_next_ex(p, &h, &data)) == 1) {
			if (filtered && !pcap_offline_filter(&prog, h, data))
				continue;
			if (dlt != pcap_datalink(dead))
				continue; /* one link type per pcap file */
			struct packet pkt;
			memset(&st, 0, sizeof st);
			uint64_t ts = (uint64_t)h->ts.tv_sec * 1000000u + (uint64_t)h->ts.tv_usec;
			if (decode_packet_with(ev->tunnels, dlt, data, h->caplen, h->len, ts, &pkt, &st) != DECODE_OK)
				continue;
			bool take;
			if (pkt.is_fragment && !pkt.is_first_fragment) {
				take = frag_known(ev, &pkt);
			} else {
				struct flow_key k;
				bool lo;
				uint16_t sp = pkt.has_ports ? pkt.sport : 0, dp = pkt.has_ports ? pkt.dport : 0;
				flow_key_make(&k, pkt.l3 == L3_IPV4 ? 4 : 6, pkt.src, pkt.dst, sp, dp, pkt.ip_proto, pkt.vlan, &lo);
				flow_key_set_tunnel(&k, &pkt.tunnel);
				take = wanted(ev, &k, ts);
				if (take && pkt.is_fragment)
					frag_remember(ev, &pkt);
			}
			if (take) {
				pcap_dump((u_char *)dump, h, data);
				written++;
			}
		}
		if (filtered)
			pcap_freecode(&prog);
		pcap_close(p);
	}
	if (dump) {
		/* pcap_dump_close says nothing of a failed write: flush and look first */
		if ((pcap_dump_flush(dump) != 0 || ferror(pcap_dump_file(dump))) && written >= 0) {
			snprintf(err, errlen, "%s: write error: %s", outname, strerror(errno));
			written = -1;
		}
		pcap_dump_close(dump);
	}
	if (dead)
		pcap_close(dead);
	return written;
}

/* ---- live capture ---- */

struct evidence_live {
	pthread_mutex_t lock;
	pcap_t *dead;
	pcap_dumper_t *dump;
	int linktype;
	uint64_t budget_used, packets, refused;
	uint64_t lost;          /* packets not written (a write error); counted in the run's lost events */
};

struct evidence_buf {
	struct evidence_live *owner;
	uint32_t npkts, used;
	int linktype;
	uint8_t data[]; /* records: struct pcap_pkthdr, then caplen bytes */
};

struct evidence_live *evidence_live_open(const char *path, int linktype, char *err, size_t errlen)
{
	struct evidence_live *l = calloc(1, sizeof *l);
	if (!l) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	l->linktype = linktype;
	l->dead = pcap_open_dead(linktype, 262144);
	l->dump = l->dead ? pcap_dump_open(l->dead, path) : NULL;
	if (!l->dump) {
		snprintf(err, errlen, "%s: cannot write: %s", path, l->dead ? pcap_geterr(l->dead) : "out of memory");
		if (l->dead)
			pcap_close(l->dead);
		free(l);
		return NULL;
	}
	pthread_mutex_init(&l->lock, NULL);
	return l;
}

void evidence_live_close(struct evidence_live *l)
{
	if (!l)
		return;
	pcap_dump_close(l->dump);
	pcap_close(l->dead);
	pthread_mutex_destroy(&l->lock);
	free(l);
}

struct evidence_buf *evidence_live_buffer(struct evidence_live *l)
{
	pthread_mutex_lock(&l->lock);
	bool ok = l->budget_used + EVIDENCE_FLOW_BYTES <= EVIDENCE_LIVE_BUDGET;
	if (ok)
		l->budget_used += EVIDENCE_FLOW_BYTES;
	else
		l->refused++;
	pthread_mutex_unlock(&l->lock);
	if (!ok)
		return NULL;
	struct evidence_buf *b = malloc(sizeof *b + EVIDENCE_FLOW_BYTES);
	if (!b) {
		pthread_mutex_lock(&l->lock);
		l->budget_used -= EVIDENCE_FLOW_BYTES;
		pthread_mutex_unlock(&l->lock);
		return NULL;
	}
	b->owner = l;
	b->npkts = b->used = 0;
	return b;
}

void evidence_live_keep(struct evidence_buf *b, int linktype, const struct pcap_pkthdr *h, const uint8_t *data)
{
	size_t need = sizeof *h + h->caplen;
	if (linktype != b->owner->linktype || b->npkts == EVIDENCE_FLOW_PACKETS || need > EVIDENCE_FLOW_BYTES - b->used)
		return;
	memcpy(b->data + b->used, h, sizeof *h);
	memcpy(b->data + b->used + sizeof *h, data, h->caplen);
	b->used += (uint32_t)need;
	b->npkts++;
}

void evidence_live_buffer_free(void *p)
{
	struct evidence_buf *b = p;
	if (!b)
		return;
	pthread_mutex_lock(&b->owner->lock);
	b->owner->budget_used -= EVIDENCE_FLOW_BYTES;
	pthread_mutex_unlock(&b->owner->lock);
	free(b);
}

void evidence_live_flush(struct evidence_buf *b)
{
	struct evidence_live *l = b->owner;
	pthread_mutex_lock(&l->lock);
	for (uint32_t at = 0; at < b->used;) {
		struct pcap_pkthdr h;
		memcpy(&h, b->data + at, sizeof h);
		pcap_dump((u_char *)l->dump, &h, b->data + at + sizeof h);
		at += (uint32_t)(sizeof h + h.caplen);
		if (ferror(pcap_dump_file(l->dump)))
			l->lost++;
		else
			l->packets++;
	}
	pthread_mutex_unlock(&l->lock);
}

void evidence_live_write(struct evidence_live *l, int linktype, const struct pcap_pkthdr *h, const uint8_t *data)
{
	if (linktype != l->linktype)
		return; /* one link type per pcap file */
	pthread_mutex_lock(&l->lock);
	pcap_dump((u_char *)l->dump, h, data);
	if (ferror(pcap_dump_file(l->dump)))
		l->lost++;
	else
		l->packets++;
	pthread_mutex_unlock(&l->lock);
}

uint64_t evidence_live_lost(struct evidence_live *l)
{
	pthread_mutex_lock(&l->lock);
	if (pcap_dump_flush(l->dump) != 0 && !l->lost)
		l->lost++;
	uint64_t n = l->lost;
	pthread_mutex_unlock(&l->lock);
	return n;
}

uint64_t evidence_live_packets(struct evidence_live *l)
{
	pthread_mutex_lock(&l->lock);
	pcap_dump_flush(l->dump);
	uint64_t n = l->packets;
	pthread_mutex_unlock(&l->lock);
	return n;
}

static void evidence_alerts(void *self, const struct flow_record *r)
{
	evidence_add(self, r->f);
}

/* A detection: every flow of its steps (they have ended: their packets are found again when the files are read
 * a second time). */
static void evidence_detection(void *self, const struct detection_event *d)
{
	for (unsigned i = 0; i < d->hit->nsteps; i++) {
		const struct detect_step_hit *s = &d->hit->steps[i];
		struct flow stub;
		memset(&stub, 0, sizeof stub);
		stub.key = s->key;
		stub.init_is_lo = s->init_is_lo;
		stub.ts_first = s->flow_first_us;
		stub.ts_last = s->flow_last_us;
		evidence_add(self, &stub);
	}
}

static uint64_t evidence_lost(void *self)
{
	struct evidence *ev = self;
	pthread_mutex_lock(&ev->lock);
	uint64_t n = ev->lost;
	pthread_mutex_unlock(&ev->lock);
	return n;
}

const struct output_ops evidence_output_ops = {
	.name = "evidence",
	.alerts = evidence_alerts,
	.detection = evidence_detection,
	.lost = evidence_lost,
};

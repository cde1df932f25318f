/* capture.c: libpcap inputs, files in order as one stream or one live interface. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/stat.h>

#include "decode/decode.h"
#include "input/capture.h"
#include "input/pcapfile.h"
#include "input/pcapng.h"

#define LINKTYPES_READ "it reads Ethernet, Linux cooked SLL and SLL2, raw IP and BSD loopback captures"

struct capture {
	const char *const *files;
	const char *const *names;
	FILE *stdin_stream;
	const uint8_t *stdin_peek;
	size_t file_index;        /* next file to open */
	const char *bpf;
	pcap_t *live;
	pcap_t *cur;              /* the input being read */
	const char *cur_name;
	uint64_t cur_packets;     /* packets delivered from the current input */
	volatile sig_atomic_t stop;
	capture_fn fn;
	void *ctx;
	int linktype;
};

static bool apply_filter(pcap_t *p, const char *bpf, const char *name, char *err, size_t errlen)
{
	struct bpf_program prog;
	if (!bpf || !*bpf)
		return true;
	if (pcap_compile(p, &prog, bpf, 1, PCAP_NETMASK_UNKNOWN) < 0) {
		snprintf(err, errlen, "%s: bad filter '%s': %s", name, bpf, pcap_geterr(p));
		return false;
	}
	int rc = pcap_setfilter(p, &prog);
	pcap_freecode(&prog);
	if (rc < 0) {
		snprintf(err, errlen, "%s: cannot set filter: %s", name, pcap_geterr(p));
		return false;
	}
	return true;
}

struct capture *capture_open(const struct capture_options *opt, char *err, size_t errlen)
{
	struct capture *c = calloc(1, sizeof *c);
	if (!c) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	c->files = opt->files;
	c->names = opt->names;
	c->stdin_stream = opt->stdin_stream;
	c->stdin_peek = opt->stdin_peek;
	c->bpf = opt->bpf;
	if (opt->iface) {
		char ebuf[PCAP_ERRBUF_SIZE] = "";
		pcap_t *p = pcap_create(opt->iface, ebuf);
		if (!p) {
			snprintf(err, errlen, "%s: %s", opt->iface, ebuf);
			free(c);
			return NULL;
		}
		pcap_set_snaplen(p, opt->snaplen > 0 ? opt->snaplen : 262144);
		pcap_set_promisc(p, 1);
		pcap_set_immediate_mode(p, 1);
		pcap_set_timeout(p, 1000);
		if (opt->buffer_mb > 0)
			pcap_set_buffer_size(p, opt->buffer_mb * 1024 * 1024);
		int rc = pcap_activate(p);
		if (rc < 0) {
			snprintf(err, errlen, "%s: cannot capture: %s", opt->iface, pcap_geterr(p));
			pcap_close(p);
			free(c);
			return NULL;
		}
		if (!apply_filter(p, opt->bpf, opt->iface, err, errlen)) {
			pcap_close(p);
			free(c);
			return NULL;
		}
		c->live = c->cur = p;
		c->cur_name = opt->iface;
		c->linktype = pcap_datalink(p);
	}
	return c;
}

static void on_packet(u_char *user, const struct pcap_pkthdr *h, const u_char *data)
{
	struct capture *c = (struct capture *)user;
	c->cur_packets++;
	c->fn(c->ctx, c->linktype, 0, h, data);
	if (c->stop)
		pcap_breakloop(c->cur);
}

static enum capture_status run_live(struct capture *c, char *err, size_t errlen)
{
	while (!c->stop) {
		int n = pcap_dispatch(c->live, -1, on_packet, (u_char *)c);
		if (n == PCAP_ERROR_BREAK || c->stop)
			return CAPTURE_STOPPED;
		if (n < 0) {
			snprintf(err, errlen, "%s: capture failed: %s", c->cur_name, pcap_geterr(c->live));
			return CAPTURE_ERROR;
		}
		if (n == 0)
			return CAPTURE_EOF; /* a timeout: the caller runs its periodic work and calls again */
	}
	return CAPTURE_STOPPED;
}

/* libpcap 1.10 reads one link type and snapshot length per pcapng file and says so in this message */
static bool refused_interfaces(const char *msg)
{
	return strstr(msg, "an interface has a") != NULL;
}

#define FALLBACK_FILTERS 8

/* Reads name with cmflow's own pcapng reader, skipping the first `skip` packets (already delivered by libpcap
 * before it gave up). The filter is compiled once per link type. */
static enum capture_status run_pcapng_stream(struct capture *c, FILE *fp, const char *name, uint64_t skip,
					      char *err, size_t errlen)
{
	struct pcapng_reader *r = pcapng_open(fp, name);
	struct { int dlt; bool ok; struct bpf_program prog; } filters[FALLBACK_FILTERS];
	int nfilters = 0;
	enum capture_status st = CAPTURE_EOF;
	uint64_t passed = 0;
	struct pcap_pkthdr h;
	const uint8_t *data;
	int dlt, rc;
	while (r && !c->stop && (rc = pcapng_next(r, &h, &data, &dlt, err, errlen)) == 1) {
		if (!decode_linktype_supported(dlt)) {
			snprintf(err, errlen, "%s: packet %llu: link type %d is not one cmflow decodes (%s)", name,
				 (unsigned long long)c->cur_packets + 1, dlt, LINKTYPES_READ);
			rc = -1;
			break;
		}
		if (c->bpf && *c->bpf) {
			int k;
			for (k = 0; k < nfilters && filters[k].dlt != dlt; k++)
				;
			if (k == nfilters && nfilters < FALLBACK_FILTERS) {
				pcap_t *dead = pcap_open_dead(dlt, 262144);
				filters[k].dlt = dlt;
				filters[k].ok = dead && pcap_compile(dead, &filters[k].prog, c->bpf, 1, PCAP_NETMASK_UNKNOWN) == 0;
				if (dead)
					pcap_close(dead);
				nfilters++;
			}
			/* a link type the filter cannot be compiled for matches nothing, as libpcap would refuse it */
			if (k == nfilters || !filters[k].ok || !pcap_offline_filter(&filters[k].prog, &h, data))
				continue;
		}
		if (passed++ < skip)
			continue;
		c->cur_packets++;
		c->fn(c->ctx, dlt, 0, &h, data);
	}
	if (!r) {
		snprintf(err, errlen, "%s: out of memory", name);
		st = CAPTURE_ERROR;
	} else if (c->stop) {
		st = CAPTURE_STOPPED;
	} else if (rc < 0) {
		st = CAPTURE_ERROR;
	}
	for (int k = 0; k < nfilters; k++)
		if (filters[k].ok)
			pcap_freecode(&filters[k].prog);
	pcapng_close(r);
	return st;
}

static enum capture_status run_pcapng(struct capture *c, const char *name, uint64_t skip, char *err, size_t errlen)
{
	FILE *fp = fopen(name, "rb");
	if (!fp) {
		snprintf(err, errlen, "%s: cannot read capture: %s", name, strerror(errno));
		return CAPTURE_ERROR;
	}
	enum capture_status st = run_pcapng_stream(c, fp, name, skip, err, errlen);
	fclose(fp);
	return st;
}

/* A classic pcap file, through cmflow's own reader (pcapfile.h); *other when the file is something else, for
 * libpcap to read. */
static enum capture_status run_pcapfile(struct capture *c, const char *path, const char *name, bool *other,
					char *err, size_t errlen)
{
	FILE *fp = fopen(path, "rb");
	if (!fp) {
		*other = true; /* libpcap says why */
		return CAPTURE_EOF;
	}
	struct pcapfile *r = pcapfile_open(fp, name, other);
	if (!r) {
		fclose(fp);
		if (*other)
			return CAPTURE_EOF;
		snprintf(err, errlen, "%s: out of memory", name);
		return CAPTURE_ERROR;
	}
	c->cur_name = name;
	c->cur_packets = 0;
	c->linktype = pcapfile_linktype(r);
	if (!decode_linktype_supported(c->linktype)) {
		snprintf(err, errlen, "%s: link type %d is not one cmflow decodes (%s)", name, c->linktype, LINKTYPES_READ);
		pcapfile_close(r);
		fclose(fp);
		return CAPTURE_ERROR;
	}
	struct bpf_program prog;
	bool filtered = c->bpf && *c->bpf;
	if (filtered) {
		pcap_t *dead = pcap_open_dead(c->linktype, 262144);
		if (!dead || pcap_compile(dead, &prog, c->bpf, 1, PCAP_NETMASK_UNKNOWN) < 0) {
			snprintf(err, errlen, "%s: bad filter '%s': %s", name, c->bpf, dead ? pcap_geterr(dead) : "out of memory");
			if (dead)
				pcap_close(dead);
			pcapfile_close(r);
			fclose(fp);
			return CAPTURE_ERROR;
		}
		pcap_close(dead);
	}
	struct pcap_pkthdr h;
	const uint8_t *data;
	int rc;
	while (!c->stop && (rc = pcapfile_next(r, &h, &data, err, errlen)) == 1) {
		if (filtered && !pcap_offline_filter(&prog, &h, data))
			continue;
		c->cur_packets++;
		c->fn(c->ctx, c->linktype, 0, &h, data);
	}
	if (filtered)
		pcap_freecode(&prog);
	pcapfile_close(r);
	fclose(fp);
	return c->stop ? CAPTURE_STOPPED : rc < 0 ? CAPTURE_ERROR : CAPTURE_EOF;
}

/* Reads one input through libpcap (the stream when given: standard input). */
static enum capture_status run_libpcap(struct capture *c, const char *path, const char *name, FILE *stream,
				       char *err, size_t errlen)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	pcap_t *p = stream ? pcap_fopen_offline(stream, ebuf) : pcap_open_offline(path, ebuf);
	if (!p && refused_interfaces(ebuf) && !stream) {
		c->cur_name = name;
		c->cur_packets = 0;
		return run_pcapng(c, path, 0, err, errlen);
	}
	if (!p) {
		snprintf(err, errlen, "%s: cannot read capture: %s", name, ebuf);
		return CAPTURE_ERROR;
	}
	c->cur = p;
	c->cur_name = name;
	c->cur_packets = 0;
	c->linktype = pcap_datalink(p);
	enum capture_status st = CAPTURE_EOF;
	if (!decode_linktype_supported(c->linktype)) {
		snprintf(err, errlen, "%s: link type %d (%s) is not one cmflow decodes (%s)", name, c->linktype,
			 pcap_datalink_val_to_name(c->linktype) ? pcap_datalink_val_to_name(c->linktype) : "unnamed",
			 LINKTYPES_READ);
		st = CAPTURE_ERROR;
	} else if (!apply_filter(p, c->bpf, c->cur_name, err, errlen)) {
		st = CAPTURE_ERROR;
	} else {
		int rc = pcap_loop(p, -1, on_packet, (u_char *)c);
		if (rc == PCAP_ERROR && refused_interfaces(pcap_geterr(p)) && !stream) {
			/* a later interface differs: go on with cmflow's reader after the packets already delivered */
			uint64_t done = c->cur_packets;
			pcap_close(p);
			c->cur = NULL;
			return run_pcapng(c, path, done, err, errlen);
		}
		if (rc == PCAP_ERROR) {
			snprintf(err, errlen, "%s: damaged capture at packet %llu (after %llu good packets): %s", c->cur_name,
				 (unsigned long long)c->cur_packets + 1, (unsigned long long)c->cur_packets, pcap_geterr(p));
			st = CAPTURE_ERROR;
		} else if (rc == PCAP_ERROR_BREAK || c->stop) {
			st = CAPTURE_STOPPED;
		}
	}
	pcap_close(p); /* and the stream it was given */
	if (stream && stream == c->stdin_stream)
		c->stdin_stream = NULL;
	c->cur = NULL;
	return st;
}

static bool is_directory(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

enum capture_status capture_run(struct capture *c, capture_fn fn, void *ctx, char *err, size_t errlen)
{
	c->fn = fn;
	c->ctx = ctx;
	if (c->live)
		return run_live(c, err, errlen);
	while (c->files && c->files[c->file_index]) {
		size_t i = c->file_index++;
		const char *path = c->files[i];
		const char *name = c->names && c->names[i] ? c->names[i] : strcmp(path, "-") ? path : "stdin";
		enum capture_status st;
		if (strcmp(path, "-") == 0) {
			FILE *in = c->stdin_stream ? c->stdin_stream : stdin;
			uint8_t m[4];
			/* a pcapng stream goes to cmflow's reader, which takes several interfaces (libpcap 1.10 does not) */
			if (c->stdin_peek && (memcpy(m, c->stdin_peek, 4), m[0] == 0x0a && m[1] == 0x0d && m[2] == 0x0d &&
					       m[3] == 0x0a)) {
				c->cur_name = name;
				c->cur_packets = 0;
				st = run_pcapng_stream(c, in, name, 0, err, errlen);
				if (in == c->stdin_stream) {
					fclose(in);
					c->stdin_stream = NULL;
				}
			} else {
				st = run_libpcap(c, path, name, in, err, errlen);
			}
		} else if (is_directory(path)) {
			snprintf(err, errlen, "%s: is a directory, not a capture file", name);
			st = CAPTURE_ERROR;
		} else {
			bool other = false;
			st = run_pcapfile(c, path, name, &other, err, errlen);
			if (other)
				st = run_libpcap(c, path, name, NULL, err, errlen);
		}
		if (st != CAPTURE_EOF)
			return st;
	}
	return CAPTURE_EOF;
}

void capture_stop(struct capture *c)
{
	c->stop = 1;
	if (c->cur)
		pcap_breakloop(c->cur);
}

bool capture_stats(struct capture *c, uint64_t *received, uint64_t *dropped, uint64_t *ifdropped)
{
	struct pcap_stat ps;
	if (!c->live || pcap_stats(c->live, &ps) < 0)
		return false;
	*received = ps.ps_recv;
	*dropped = ps.ps_drop;
	*ifdropped = ps.ps_ifdrop;
	return true;
}

bool capture_is_live(const struct capture *c)
{
	return c->live != NULL;
}

const char *capture_current_file(const struct capture *c)
{
	return c->cur_name;
}

void capture_close(struct capture *c)
{
	if (!c)
		return;
	if (c->live)
		pcap_close(c->live);
	if (c->stdin_stream)
		fclose(c->stdin_stream);
	free(c);
}

/* capture.h: packets in, through libpcap only: pcap and pcapng files read in order as one stream ('-' is
 * stdin), or a live interface (promiscuous, immediate mode). A BPF filter applies to every input. */
#ifndef CMFLOW_CAPTURE_H
#define CMFLOW_CAPTURE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <pcap/pcap.h>

struct capture;

/* Called for each packet: linktype is the DLT of the input it came from; iface is the index of the live
 * interface it was captured on (0 reading files). */
typedef void (*capture_fn)(void *ctx, int linktype, unsigned iface, const struct pcap_pkthdr *h, const uint8_t *data);

struct capture_options {
	const char *const *files;  /* NULL-terminated, or NULL for live; '-' is standard input */
	const char *const *names;  /* the name of each file in messages (NULL, or NULL entries: the path) */
	FILE *stdin_stream;        /* '-' reads this stream instead of stdin (spool.h), or NULL; the capture owns it
				    * from capture_open on and closes it */
	const uint8_t *stdin_peek; /* its first 4 bytes, to choose the reader, or NULL */
	const char *iface;         /* live interface, or NULL */
	const char *bpf;           /* filter expression, or NULL */
	int snaplen;               /* live: 0 = 262144 */
	int buffer_mb;             /* live: kernel buffer, 0 = libpcap's default */
};

enum capture_status {
	CAPTURE_EOF = 0,     /* every input read to its end */
	CAPTURE_STOPPED,     /* capture_stop() was called */
	CAPTURE_ERROR,       /* an input could not be opened or is damaged: message in the error buffer */
};

/* Prepares the inputs; files are opened one after the other by capture_run, the live interface here. Returns
 * NULL and writes a message naming the input in err (PCAP_ERRBUF_SIZE + 256 bytes) on failure. */
struct capture *capture_open(const struct capture_options *opt, char *err, size_t errlen);

/* Reads every input in order and calls fn for each packet. On damage, the message names the file and the
 * packet number in it (1-based) and the packets before it have been delivered. A directory, a file that is not
 * a capture, or a link type cmflow does not decode is an error naming the file (and the link type). For live capture, returns after
 * each timeout_ms without packets too (CAPTURE_EOF is then never returned; call again). */
enum capture_status capture_run(struct capture *c, capture_fn fn, void *ctx, char *err, size_t errlen);

/* Makes capture_run return CAPTURE_STOPPED soon (async-signal-safe). */
void capture_stop(struct capture *c);

/* Live statistics (pcap_stats); false for files. */
bool capture_stats(struct capture *c, uint64_t *received, uint64_t *dropped, uint64_t *ifdropped);

bool capture_is_live(const struct capture *c);
const char *capture_current_file(const struct capture *c);
void capture_close(struct capture *c);

#endif

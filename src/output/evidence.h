/* evidence.h: the evidence pcap (--evidence): every packet of every flow that raised an alert, in the input's
 * order, including the packets seen before the verdict was known.
 *
 * Reading files, this is exact and costs no memory per packet: the alerted flows are remembered (key and time
 * window, about 80 bytes each) and the inputs are read a second time at the end, writing the packets that
 * belong to them (IP fragments after the first are found through the first's id). Standard input cannot be read
 * twice and is refused with --evidence. */
#ifndef CMFLOW_EVIDENCE_H
#define CMFLOW_EVIDENCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "flow/flow.h"
#include "output/output.h"

struct evidence;

struct evidence *evidence_new(void);
void evidence_free(struct evidence *ev);

struct decode_tunnels;
/* The tunnel ports the engines decode with, for reading the inputs again (NULL: the defaults); t must outlive
 * ev. */
void evidence_set_tunnels(struct evidence *ev, const struct decode_tunnels *t);

/* Remembers an alerted flow (thread-safe). */
void evidence_add(struct evidence *ev, const struct flow *f);

/* The output that remembers every alerted flow of a run (self is the struct evidence). */
extern const struct output_ops evidence_output_ops;
size_t evidence_flows(const struct evidence *ev);

/* Reads files again (with the same BPF filter) and writes the alerted flows' packets as a pcap file to out (left
 * open for the caller: outfile.h), named outname in messages. Returns the number of packets written, or -1 with
 * a message in err (a file that cannot be read again, a write error). */
long evidence_write(struct evidence *ev, const char *const *files, const char *bpf, FILE *out, const char *outname,
		    char *err, size_t errlen);

/* ---- live capture ----
 * A capture cannot be read twice, so each flow's first packets (at most EVIDENCE_FLOW_PACKETS packets and
 * EVIDENCE_FLOW_BYTES bytes) are kept while its parsers look at it, within a budget of EVIDENCE_LIVE_BUDGET bytes
 * for all flows together. When the first packets already show a finding (HTTP in native mode, a wrong direction,
 * an unexpected path ...) the kept packets are written and every later packet of the flow follows. A flow that
 * ends while still looked at keeps its buffer to its end; a longer flow whose finding shows only at its end has
 * no evidence (its buffer was given back when the parsers finished). Flows that find the budget spent keep
 * nothing (counted). */
#include <pcap/pcap.h>

#define EVIDENCE_FLOW_PACKETS 32
#define EVIDENCE_FLOW_BYTES (64u << 10)
#define EVIDENCE_LIVE_BUDGET (64u << 20)

struct evidence_live;
struct evidence_buf;

struct evidence_live *evidence_live_open(const char *path, int linktype, char *err, size_t errlen);
void evidence_live_close(struct evidence_live *l);
/* A buffer for a new flow's first packets, or NULL when the budget is spent. */
struct evidence_buf *evidence_live_buffer(struct evidence_live *l);
void evidence_live_keep(struct evidence_buf *b, int linktype, const struct pcap_pkthdr *h, const uint8_t *data);
/* Writes the kept packets and frees the buffer. */
void evidence_live_flush(struct evidence_buf *b);
void evidence_live_buffer_free(void *b);
/* Writes one packet now (a flow known to be alerted). */
void evidence_live_write(struct evidence_live *l, int linktype, const struct pcap_pkthdr *h, const uint8_t *data);
uint64_t evidence_live_packets(struct evidence_live *l);

/* Packets that could not be written (the file system full ...): part of the run's lost events. */
uint64_t evidence_live_lost(struct evidence_live *l);

#endif

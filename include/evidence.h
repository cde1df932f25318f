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

#include "flow.h"

struct evidence;

struct evidence *evidence_new(void);
void evidence_free(struct evidence *ev);

/* Remembers an alerted flow (thread-safe). */
void evidence_add(struct evidence *ev, const struct flow *f);
size_t evidence_flows(const struct evidence *ev);

/* Reads files again (with the same BPF filter) and writes the alerted flows' packets to out. Returns the number
 * of packets written, or -1 with a message in err. */
long evidence_write(struct evidence *ev, const char *const *files, const char *bpf, const char *out, char *err,
		    size_t errlen);

#endif

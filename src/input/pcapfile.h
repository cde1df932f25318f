/* pcapfile.h: cmflow's own reader of classic pcap files (the libpcap format: a 24-byte file header, then records
 * of a 16-byte header and the captured bytes; microsecond or nanosecond timestamps, either byte order).
 *
 * It reads the file in blocks of PCAPFILE_BLOCK bytes and hands out records where they lie in its buffer: half
 * the time of libpcap's reading, which copies every record through stdio. What it does not know (pcapng, another
 * format, a file too short for a header) it leaves to libpcap. The checks are libpcap's: a record larger than
 * 262144 bytes, or cut by the end of the file, is damage, reported with the packet's number; a record longer than
 * the file's snapshot length is read. */
#ifndef CMFLOW_PCAPFILE_H
#define CMFLOW_PCAPFILE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <pcap/pcap.h>

#define PCAPFILE_BLOCK (2u << 20)

struct pcapfile;

/* Reads the file header from fp (at its start). NULL with *other set when fp is not a classic pcap file; NULL
 * without it when memory is short. name is used in messages. */
struct pcapfile *pcapfile_open(FILE *fp, const char *name, bool *other);
void pcapfile_close(struct pcapfile *r);

/* The link type of the file, as libpcap's DLT_ value. */
int pcapfile_linktype(const struct pcapfile *r);

/* The next record: 1 with *h and *data (valid until the next call), 0 at the end, -1 on damage with a message
 * naming the file and the packet. */
int pcapfile_next(struct pcapfile *r, struct pcap_pkthdr *h, const uint8_t **data, char *err, size_t errlen);

#endif

/* pcapng.h: cmflow's own pcapng reader, used when libpcap 1.10 refuses a file whose interfaces differ in link
 * type or snapshot length (it supports only one of each per file). Sections in either byte order, interface
 * descriptions with if_tsresol and if_tsoffset, enhanced, simple and obsolete packet blocks; other blocks are
 * skipped. Every block is read whole (at most 16 MiB) and checked: both length fields agree, packets stay
 * inside their block. */
#ifndef CMFLOW_PCAPNG_H
#define CMFLOW_PCAPNG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <pcap/pcap.h>

struct pcapng_reader;

struct pcapng_reader *pcapng_open(FILE *fp, const char *name);
void pcapng_close(struct pcapng_reader *r);

/* The next packet: 1 with *h, *data (valid until the next call) and its interface's link type; 0 at the end;
 * -1 on damage, with a message naming the file and the packet number. */
int pcapng_next(struct pcapng_reader *r, struct pcap_pkthdr *h, const uint8_t **data, int *linktype, char *err,
		size_t errlen);

uint64_t pcapng_packets(const struct pcapng_reader *r);

#endif

/* fuzz_pcapng: cmflow's own pcapng reader on arbitrary files (read from memory). */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>

#include "pcapng.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!size)
		return 0;
	FILE *fp = fmemopen((void *)data, size, "rb");
	if (!fp)
		return 0;
	struct pcapng_reader *r = pcapng_open(fp, "fuzz.pcapng");
	struct pcap_pkthdr h;
	const uint8_t *pkt;
	int dlt;
	char err[256];
	volatile uint8_t sum = 0;
	while (r && pcapng_next(r, &h, &pkt, &dlt, err, sizeof err) == 1)
		for (uint32_t i = 0; i < h.caplen; i++)
			sum = (uint8_t)(sum + pkt[i]);
	pcapng_close(r);
	fclose(fp);
	return 0;
}

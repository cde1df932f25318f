/* fuzz_pcapng: cmflow's own capture file readers on arbitrary files (read from memory): pcapng, and classic pcap
 * (pcapfile.h). */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "input/pcapfile.h"
#include "input/pcapng.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile uint8_t sum;

static void touch(const struct pcap_pkthdr *h, const uint8_t *pkt)
{
	for (uint32_t i = 0; i < h->caplen; i++)
		sum = (uint8_t)(sum + pkt[i]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!size)
		return 0;
	struct pcap_pkthdr h;
	const uint8_t *pkt;
	char err[256];
	FILE *fp = fmemopen((void *)data, size, "rb");
	if (!fp)
		return 0;
	struct pcapng_reader *r = pcapng_open(fp, "fuzz.pcapng");
	int dlt;
	while (r && pcapng_next(r, &h, &pkt, &dlt, err, sizeof err) == 1)
		touch(&h, pkt);
	pcapng_close(r);
	fclose(fp);

	if (!(fp = fmemopen((void *)data, size, "rb")))
		return 0;
	bool other;
	struct pcapfile *pf = pcapfile_open(fp, "fuzz.pcap", &other);
	int rc = 0;
	while (pf && (rc = pcapfile_next(pf, &h, &pkt, err, sizeof err)) == 1) {
		if (h.caplen > 262144)
			abort();
		touch(&h, pkt);
	}
	pcapfile_close(pf);
	fclose(fp);
	return 0;
}

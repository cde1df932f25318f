/* readloop.c: the benchmark's floor: a bare libpcap read loop over a capture file, touching each packet's first
 * bytes so that the data is really read. Prints packets and bytes. */
#include <pcap/pcap.h>
#include <stdio.h>

int main(int argc, char **argv)
{
	char err[PCAP_ERRBUF_SIZE];
	if (argc != 2) {
		fprintf(stderr, "usage: readloop FILE\n");
		return 2;
	}
	pcap_t *p = pcap_open_offline(argv[1], err);
	if (!p) {
		fprintf(stderr, "readloop: %s\n", err);
		return 2;
	}
	struct pcap_pkthdr *h;
	const u_char *data;
	unsigned long long pkts = 0, bytes = 0, sum = 0;
	int r;
	while ((r = pcap_next_ex(p, &h, &data)) == 1) {
		pkts++;
		bytes += h->caplen;
		sum += h->caplen > 34 ? data[23] + data[33] : 0; /* IP protocol and a port byte */
	}
	pcap_close(p);
	printf("%llu packets %llu bytes (%llu)\n", pkts, bytes, sum);
	return r == -1 ? 1 : 0;
}

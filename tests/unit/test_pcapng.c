/* Unit tests of cmflow's own pcapng reader, on public multi-interface files that libpcap 1.10 refuses (the
 * expected figures were read with tshark 4.0: frame counts, frame.encap_type, frame.time_epoch, frame.cap_len)
 * and on hand-made blocks for what no file here has (big-endian section, unknown blocks, damage). */
#include <criterion/criterion.h>
#include <pcap/dlt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "input/pcapng.h"

struct tally {
	int packets, by_dlt[300];
	struct pcap_pkthdr first;
	int rc;
	char err[512];
};

static struct tally read_all(FILE *fp, const char *name)
{
	struct tally t;
	memset(&t, 0, sizeof t);
	struct pcapng_reader *r = pcapng_open(fp, name);
	cr_assert_not_null(r);
	struct pcap_pkthdr h;
	const uint8_t *data;
	int dlt;
	while ((t.rc = pcapng_next(r, &h, &data, &dlt, t.err, sizeof t.err)) == 1) {
		if (t.packets++ == 0)
			t.first = h;
		if (dlt >= 0 && dlt < 300)
			t.by_dlt[dlt]++;
		cr_assert_leq(h.caplen, h.len);
		volatile uint8_t sum = 0; /* touch every byte: a bad pointer shows under the sanitizers */
		for (uint32_t i = 0; i < h.caplen; i++)
			sum = (uint8_t)(sum + data[i]);
		(void)sum;
	}
	pcapng_close(r);
	return t;
}

static struct tally read_file(const char *path)
{
	FILE *fp = fopen(path, "rb");
	cr_assert_not_null(fp, "%s", path);
	struct tally t = read_all(fp, path);
	fclose(fp);
	return t;
}

Test(pcapng, ethernet_and_linux_cooked_in_one_file)
{
	struct tally t = read_file(PCAP_DIR "/public/pcapplusplus__ldap.pcapng");
	cr_assert_eq(t.rc, 0, "%s", t.err);
	cr_assert_eq(t.packets, 25);
	cr_assert_eq(t.by_dlt[DLT_EN10MB], 23);
	cr_assert_eq(t.by_dlt[DLT_LINUX_SLL], 2);
	cr_assert_eq(t.first.ts.tv_sec, 1103276405);
	cr_assert_eq(t.first.ts.tv_usec, 901593);
	cr_assert_eq(t.first.caplen, 1406);
}

Test(pcapng, eleven_interfaces)
{
	struct tally t = read_file(PCAP_DIR "/public/pcapplusplus__many_interfaces-1.pcapng");
	cr_assert_eq(t.rc, 0, "%s", t.err);
	cr_assert_eq(t.packets, 64);
	cr_assert_eq(t.by_dlt[DLT_EN10MB], 62);
	cr_assert_eq(t.by_dlt[DLT_NULL], 2);
	cr_assert_eq(t.first.ts.tv_sec, 1439753725);
	cr_assert_eq(t.first.ts.tv_usec, 701607);
	t = read_file(PCAP_DIR "/public/pcapplusplus__too_many_interfaces.pcapng");
	cr_assert_eq(t.rc, 0, "%s", t.err);
	cr_assert_eq(t.packets, 1);
}

Test(pcapng, every_cut_of_a_file_ends_cleanly)
{
	FILE *fp = fopen(PCAP_DIR "/public/pcapplusplus__ldap.pcapng", "rb");
	cr_assert_not_null(fp);
	static uint8_t buf[1 << 16];
	size_t n = fread(buf, 1, sizeof buf, fp);
	fclose(fp);
	int last = 0;
	for (size_t cut = 0; cut < n; cut += 7) {
		FILE *m = fmemopen(buf, cut ? cut : 1, "rb");
		if (!cut)
			fgetc(m);
		struct tally t = read_all(m, "cut.pcapng");
		fclose(m);
		cr_assert(t.rc == 0 || t.rc == -1);
		cr_assert_geq(t.packets, last, "cut %zu", cut);
		last = t.packets;
		if (t.rc < 0)
			cr_assert(strstr(t.err, "cut.pcapng"), "%s", t.err);
	}
}

/* Big-endian section, 10^-9 s timestamps (if_tsresol 9), an unknown block in between, one packet. */
Test(pcapng, big_endian_section_and_unknown_block)
{
	uint8_t f[] = {
		/* SHB */ 0x0a, 0x0d, 0x0d, 0x0a, 0, 0, 0, 28, 0x1a, 0x2b, 0x3c, 0x4d, 0, 1, 0, 0,
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 28,
		/* IDB, Ethernet, snaplen 65535, if_tsresol 9 */ 0, 0, 0, 1, 0, 0, 0, 32, 0, 1, 0, 0, 0, 0, 0xff, 0xff,
		0, 9, 0, 1, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 32,
		/* unknown block type 0x0bad */ 0, 0, 0x0b, 0xad, 0, 0, 0, 16, 1, 2, 3, 4, 0, 0, 0, 16,
		/* EPB: interface 0, ts = 1500000000.123456789 s in ns, caplen 4, len 60 */
		0, 0, 0, 6, 0, 0, 0, 36, 0, 0, 0, 0, 0x14, 0xd1, 0x12, 0x0d, 0x82, 0x71, 0xcd, 0x15, 0, 0, 0, 4, 0, 0, 0, 60,
		0xde, 0xad, 0xbe, 0xef, 0, 0, 0, 36,
	};
	FILE *m = fmemopen(f, sizeof f, "rb");
	struct tally t = read_all(m, "be.pcapng");
	fclose(m);
	cr_assert_eq(t.rc, 0, "%s", t.err);
	cr_assert_eq(t.packets, 1);
	cr_assert_eq(t.by_dlt[DLT_EN10MB], 1);
	cr_assert_eq(t.first.ts.tv_sec, 1500000000);
	cr_assert_eq(t.first.ts.tv_usec, 123456);
	cr_assert_eq(t.first.caplen, 4);
	cr_assert_eq(t.first.len, 60);

	/* the trailing length disagrees: damage, named with the packet number */
	f[sizeof f - 1] = 40;
	m = fmemopen(f, sizeof f, "rb");
	t = read_all(m, "be.pcapng");
	fclose(m);
	cr_assert_eq(t.rc, -1);
	cr_assert(strstr(t.err, "packet 1"), "%s", t.err);
	/* a captured length beyond its block */
	f[sizeof f - 1] = 36;
	f[28 + 32 + 16 + 23] = 200;
	m = fmemopen(f, sizeof f, "rb");
	t = read_all(m, "be.pcapng");
	fclose(m);
	cr_assert_eq(t.rc, -1);
}

/* Unit tests of multicast group membership: real IGMPv3 and MLDv2 reports of two Windows hosts (public capture
 * pcaps/public/suricata-verify__smb2-ntlmssp-negotiateflags__input.pcap; the expected joins were read with
 * tshark: igmp.maddr / icmpv6.mldr.mar.multicast_address per source), and hand-made IGMPv2 and cut records. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <pcap/pcap.h>
#include <string.h>

#include "flow/mcast.h"
#include "pkt_build.h"

static bool has_receiver(struct mcast_members *m, const char *group, const char *receiver)
{
	int af = strchr(group, ':') ? AF_INET6 : AF_INET;
	uint8_t g[16] = { 0 }, r[16] = { 0 };
	cr_assert_eq(inet_pton(af, group, g), 1);
	cr_assert_eq(inet_pton(af, receiver, r), 1);
	struct mcast_receiver out[MCAST_MAX_RECEIVERS];
	size_t n = mcast_receivers(m, af == AF_INET ? 4 : 6, g, out, MCAST_MAX_RECEIVERS);
	for (size_t i = 0; i < n; i++)
		if (memcmp(out[i].addr, r, af == AF_INET ? 4 : 16) == 0)
			return true;
	return false;
}

static size_t receivers(struct mcast_members *m, const char *group)
{
	int af = strchr(group, ':') ? AF_INET6 : AF_INET;
	uint8_t g[16] = { 0 };
	cr_assert_eq(inet_pton(af, group, g), 1);
	struct mcast_receiver out[MCAST_MAX_RECEIVERS];
	return mcast_receivers(m, af == AF_INET ? 4 : 6, g, out, MCAST_MAX_RECEIVERS);
}

Test(mcast, igmpv3_and_mldv2_of_a_windows_lan)
{
	char ebuf[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_open_offline(PCAP_DIR "/public/suricata-verify__smb2-ntlmssp-negotiateflags__input.pcap", ebuf);
	cr_assert_not_null(p, "%s", ebuf);
	struct mcast_members *m = mcast_members_new();
	struct pcap_pkthdr *h;
	const u_char *data;
	int reports = 0;
	while (pcap_next_ex(p, &h, &data) == 1) {
		struct packet pkt;
		struct decode_stats st = { 0 };
		if (decode_packet(pcap_datalink(p), data, h->caplen, h->len, 0, &pkt, &st) == DECODE_OK)
			reports += mcast_observe(m, &pkt);
	}
	pcap_close(p);
	cr_assert_eq(reports, 31 + 38, "IGMPv3 reports + MLDv2 reports");
	cr_assert(has_receiver(m, "224.0.0.252", "192.168.199.132"));
	cr_assert(has_receiver(m, "224.0.0.252", "192.168.199.133"));
	cr_assert_eq(receivers(m, "224.0.0.252"), 2);
	cr_assert_eq(receivers(m, "239.255.255.250"), 2);
	cr_assert(has_receiver(m, "ff02::1:3", "fe80::31cb:26de:c5bb:c367"));
	cr_assert(has_receiver(m, "ff02::1:3", "fe80::65b5:3a97:92d1:9199"));
	cr_assert_eq(receivers(m, "ff02::1:ffd1:9199"), 1);
	cr_assert(has_receiver(m, "ff02::1:ffd1:9199", "fe80::65b5:3a97:92d1:9199"));
	cr_assert_eq(receivers(m, "239.1.1.1"), 0);
	mcast_members_free(m);
}

static struct packet igmp_packet(struct pb *b, const char *src)
{
	pb_finish(b);
	struct packet pkt;
	struct decode_stats st = { 0 };
	cr_assert_eq(decode_packet(1, b->buf, (uint32_t)b->len, (uint32_t)b->len, 0, &pkt, &st), DECODE_OK, "%s", src);
	return pkt;
}

Test(mcast, igmpv2_join_and_leave)
{
	struct mcast_members *m = mcast_members_new();
	struct pb b = { 0 };
	pb_eth(&b, 0x0800);
	pb_ipv4(&b, "10.2.0.21", "239.255.10.1", 2, 1, 0);
	pb_put(&b, "\x16\x00\x00\x00\xef\xff\x0a\x01", 8); /* v2 report 239.255.10.1 */
	struct packet pkt = igmp_packet(&b, "join");
	cr_assert(mcast_observe(m, &pkt));
	cr_assert(has_receiver(m, "239.255.10.1", "10.2.0.21"));

	memset(&b, 0, sizeof b);
	pb_eth(&b, 0x0800);
	pb_ipv4(&b, "10.2.0.21", "224.0.0.2", 2, 2, 0);
	pb_put(&b, "\x17\x00\x00\x00\xef\xff\x0a\x01", 8); /* leave */
	pkt = igmp_packet(&b, "leave");
	cr_assert(mcast_observe(m, &pkt));
	uint8_t g[4] = { 239, 255, 10, 1 };
	struct mcast_receiver r[4];
	cr_assert_eq(mcast_receivers(m, 4, g, r, 4), 1, "a receiver that left is still one that was seen");
	cr_assert(r[0].left);
	mcast_members_free(m);
}

Test(mcast, cut_igmpv3_record_keeps_the_whole_ones)
{
	struct mcast_members *m = mcast_members_new();
	struct pb b = { 0 };
	pb_eth(&b, 0x0800);
	pb_ipv4(&b, "10.2.0.22", "224.0.0.22", 2, 3, 0);
	pb_put(&b, "\x22\x00\x00\x00\x00\x00\x00\x02", 8);
	pb_put(&b, "\x04\x00\x00\x00\xef\xff\x0a\x02", 8);     /* exclude {} = join 239.255.10.2 */
	pb_put(&b, "\x04\x00\x00\x05\xef\xff\x0a\x03\x01", 9); /* claims 5 sources, has less than one */
	struct packet pkt = igmp_packet(&b, "v3");
	cr_assert(mcast_observe(m, &pkt));
	cr_assert(has_receiver(m, "239.255.10.2", "10.2.0.22"));
	cr_assert_eq(receivers(m, "239.255.10.3"), 0);
	mcast_members_free(m);
}

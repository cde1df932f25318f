/* Unit tests of the Wake On LAN magic packet parser, on the frames of pcaps/cm-wol.pcap (made by wakeonlan and
 * etherwake in tests/lab/make-wol.sh) and on hand-made edge cases. */
#include <criterion/criterion.h>
#include <pcap/pcap.h>
#include <stdlib.h>
#include <string.h>

#include "decode/decode.h"
#include "proto/wol.h"

struct frame_result {
	bool magic;
	char mac[18];
	int password_len;
	enum wol_cast cast;
};

/* Decodes every frame of the capture and looks for a magic packet in its UDP or Ethernet payload. */
static int read_wol_capture(struct frame_result *out, int max)
{
	char ebuf[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_open_offline(PCAP_DIR "/cm-wol.pcap", ebuf);
	cr_assert_not_null(p, "%s", ebuf);
	struct pcap_pkthdr *h;
	const u_char *data;
	int n = 0;
	while (n < max && pcap_next_ex(p, &h, &data) == 1) {
		struct packet pkt;
		struct decode_stats st = { 0 };
		enum decode_result r = decode_packet(pcap_datalink(p), data, h->caplen, h->len, 0, &pkt, &st);
		struct wol_magic m;
		struct frame_result *f = &out[n++];
		memset(f, 0, sizeof *f);
		const uint8_t *pl = NULL;
		size_t len = 0;
		if (r == DECODE_OK && pkt.ip_proto == 17)
			pl = pkt.payload, len = pkt.payload_len;
		else if (r == DECODE_NOT_IP && pkt.ethertype == ETHERTYPE_WOL)
			pl = pkt.l2_payload, len = pkt.l2_payload_len;
		if (pl && wol_parse(pl, len, &m)) {
			f->magic = true;
			wol_mac_str(m.target_mac, f->mac, sizeof f->mac);
			f->password_len = m.password_len;
			f->cast = wol_cast_of(&pkt);
		}
	}
	pcap_close(p);
	return n;
}

Test(wol, frames_of_the_lab_capture)
{
	struct frame_result fr[32];
	int n = read_wol_capture(fr, 32);
	cr_assert_eq(n, 19);
	/* frame number (1-based), target, password length, addressing; as pcaps/README.md describes them */
	static const struct {
		int frame;
		const char *mac;
		int pw;
		enum wol_cast cast;
	} want[] = {
		{ 1, "00:1a:4b:00:00:01", 0, WOL_LIMITED_BROADCAST },
		{ 2, "00:1a:4b:00:00:02", 0, WOL_SUBNET_BROADCAST },
		{ 5, "00:1a:4b:00:00:03", 0, WOL_UNICAST },
		{ 7, "00:1a:4b:00:00:04", 0, WOL_LIMITED_BROADCAST },
		{ 8, "00:1a:4b:00:00:05", 0, WOL_SUBNET_BROADCAST },
		{ 9, "00:1a:4b:00:00:06", 0, WOL_L2_UNICAST },
		{ 10, "00:1a:4b:00:00:07", 0, WOL_L2_BROADCAST },
		{ 11, "00:1a:4b:00:00:08", 6, WOL_L2_UNICAST },
		{ 12, "00:1a:4b:00:00:09", 4, WOL_L2_BROADCAST },
		{ 15, "00:1a:4b:00:00:0a", 0, WOL_LIMITED_BROADCAST },
		{ 18, "00:1a:4b:00:00:0b", 0, WOL_UNICAST },
	};
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
		const struct frame_result *f = &fr[want[i].frame - 1];
		cr_assert(f->magic, "frame %d", want[i].frame);
		cr_assert_str_eq(f->mac, want[i].mac, "frame %d", want[i].frame);
		cr_assert_eq(f->password_len, want[i].pw, "frame %d", want[i].frame);
		cr_assert_eq(f->cast, want[i].cast, "frame %d: %s", want[i].frame, wol_cast_name(f->cast));
	}
	cr_assert_not(fr[12].magic, "frame 13 is 'hello' on UDP 9, not a magic packet");
	cr_assert_not(fr[2].magic, "ARP");
}

static void magic(uint8_t *b, const uint8_t mac[6])
{
	memset(b, 0xff, 6);
	for (int i = 0; i < 16; i++)
		memcpy(b + 6 + i * 6, mac, 6);
}

Test(wol, anywhere_in_the_payload_and_every_prefix)
{
	static const uint8_t mac[6] = { 0x00, 0x1a, 0x4b, 0xaa, 0xbb, 0xcc };
	uint8_t b[200];
	memset(b, 0x41, sizeof b);
	b[20] = 0xff; /* stray sync bytes before the real one */
	b[21] = 0xff;
	magic(b + 30, mac);
	struct wol_magic m;
	cr_assert(wol_parse(b, 132, &m));
	cr_assert_eq(m.offset, 30);
	cr_assert_eq(memcmp(m.target_mac, mac, 6), 0);
	cr_assert_eq(m.password_len, 0);
	for (size_t len = 0; len < 132; len++) {
		uint8_t *copy = malloc(len ? len : 1);
		memcpy(copy, b, len);
		cr_assert_not(wol_parse(copy, len, &m), "prefix %zu", len);
		free(copy);
	}
}

Test(wol, longer_sync_run_and_broken_repetition)
{
	static const uint8_t mac[6] = { 0x02, 0, 0, 0, 0, 0x09 };
	uint8_t b[120];
	memset(b, 0xff, 8);
	magic(b + 2, mac); /* eight 0xFF in a row, then the MAC: the sync is the last six */
	struct wol_magic m;
	cr_assert(wol_parse(b, 104, &m));
	cr_assert_eq(m.offset, 2);
	cr_assert_eq(m.target_mac[5], 0x09);
	b[2 + 6 + 15 * 6] ^= 1; /* the sixteenth copy differs */
	cr_assert_not(wol_parse(b, 104, &m));
}

Test(wol, password_lengths)
{
	static const uint8_t mac[6] = { 0x02, 1, 2, 3, 4, 5 };
	uint8_t b[120];
	magic(b, mac);
	struct wol_magic m;
	cr_assert(wol_parse(b, 102 + 4, &m));
	cr_assert_eq(m.password_len, 4);
	cr_assert(wol_parse(b, 102 + 6, &m));
	cr_assert_eq(m.password_len, 6);
	cr_assert(wol_parse(b, 102 + 5, &m));
	cr_assert_eq(m.password_len, 0, "5 trailing bytes are not a SecureOn password");
}

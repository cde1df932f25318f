/* Unit tests of the BOOTP/DHCP parser against tshark, on every DHCP message of the lab's PXE captures
 * (tests/lab/make-attacks.sh: pxe-lab.py's ConfigMgr-style answers on 4011, dnsmasq's ordinary PXE answers) and of
 * public ones (DORA exchanges, option overload, a fuzzed message, Linux cooked capture); tshark's reading is in
 * tests/unit/ref/dhcp.tsv (tests/unit/make-auth-ref.py). Also: every cut under AddressSanitizer, and the media key
 * of option 243 never in what the parser returns. */
#include <criterion/logging.h>

#include "capture_walk.h"
#include "proto/dhcp.h"

enum { F_CAPTURE, F_FRAME, F_OP, F_MAC, F_TYPE, F_VENDOR, F_ARCH, F_UUID, F_OVERLOAD, F_FILE, F_SNAME, F_BOOTFILE,
       F_TFTP, F_252, F_243, F_OPTIONS };

/* tshark shows option 97's UUID as a GUID: the first three groups little-endian */
static void guid_str(const uint8_t u[16], char *out)
{
	sprintf(out, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", u[3], u[2], u[1], u[0],
		u[5], u[4], u[7], u[6], u[8], u[9], u[10], u[11], u[12], u[13], u[14], u[15]);
}

/* tshark escapes what is not printable; such strings are compared only when they are plain ASCII */
static bool plain(const char *s)
{
	for (; *s; s++)
		if (*s == '\\' && s[1] == 'x')
			return false;
	return true;
}

static void check_row(const struct ref_line *r, const struct dhcp_msg *m)
{
	const char *where = r->f[F_CAPTURE];
	int frame = atoi(r->f[F_FRAME]);
	cr_assert_eq(m->op, atoi(r->f[F_OP]), "%s frame %d", where, frame);
	uint8_t mac[6];
	char s[64] = "";
	if (dhcp_client_mac(m, mac))
		sprintf(s, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
	cr_assert_str_eq(s, r->f[F_MAC], "%s frame %d", where, frame);
	cr_assert_eq(m->msg_type, atoi(r->f[F_TYPE]), "%s frame %d", where, frame);
	if (plain(r->f[F_VENDOR]))
		cr_assert_str_eq(m->vendor_class, r->f[F_VENDOR], "%s frame %d", where, frame);
	s[0] = '\0';
	for (int i = 0; i < m->arch_count && i < DHCP_ARCH_MAX; i++)
		sprintf(s + strlen(s), "%s%u", i ? "," : "", m->arch[i]);
	cr_assert_str_eq(s, r->f[F_ARCH], "%s frame %d", where, frame);
	s[0] = '\0';
	if (m->has_uuid)
		guid_str(m->uuid, s);
	if (dhcp_has_option(m, 97))
		cr_assert_str_eq(s, r->f[F_UUID], "%s frame %d", where, frame);
	cr_assert_eq(m->overload, atoi(r->f[F_OVERLOAD]), "%s frame %d", where, frame);
	if (!(m->overload & 1) && plain(r->f[F_FILE]))
		cr_assert_str_eq(m->file, r->f[F_FILE], "%s frame %d", where, frame);
	if (!(m->overload & 2) && plain(r->f[F_SNAME]))
		cr_assert_str_eq(m->sname, r->f[F_SNAME], "%s frame %d", where, frame);
	cr_assert_str_eq(m->bootfile, r->f[F_BOOTFILE], "%s frame %d", where, frame);
	cr_assert_str_eq(m->tftp_server, r->f[F_TFTP], "%s frame %d", where, frame);
	cr_assert_str_eq(m->opt252, r->f[F_252], "%s frame %d", where, frame);
	const struct dhcp_private *p = dhcp_private_option(m, 243);
	s[0] = '\0';
	if (p)
		sprintf(s, "%u/%u", p->first, p->len);
	cr_assert_str_eq(s, r->f[F_243], "%s frame %d", where, frame);
	/* every option tshark lists was seen, and no other */
	char list[1024];
	snprintf(list, sizeof list, "%s", r->f[F_OPTIONS]);
	int n = 0;
	uint8_t seen[32] = { 0 };
	for (char *save = NULL, *o = strtok_r(list, " ", &save); o; o = strtok_r(NULL, " ", &save), n++) {
		unsigned code = (unsigned)atoi(o);
		cr_assert(dhcp_has_option(m, (uint8_t)code), "%s frame %d: option %u", where, frame, code);
		seen[code / 8] |= (uint8_t)(1u << (code % 8));
	}
	cr_assert(memcmp(seen, m->present, sizeof seen) == 0, "%s frame %d: options tshark did not list", where, frame);
	cr_assert_eq(m->option_count, n, "%s frame %d: %d options, tshark %d", where, frame, m->option_count, n);
}

Test(dhcp, every_message_as_tshark_reads_it)
{
	FILE *fp = ref_open("dhcp.tsv");
	struct ref_line r;
	struct walk w = { 0 };
	char open_capture[256] = "";
	int rows = 0, pxe_4011 = 0, truncated = 0;
	while (ref_next(fp, &r)) {
		if (strcmp(open_capture, r.f[F_CAPTURE]) != 0) {
			walk_close(&w);
			walk_open(&w, r.f[F_CAPTURE]);
			snprintf(open_capture, sizeof open_capture, "%s", r.f[F_CAPTURE]);
		}
		int frame = atoi(r.f[F_FRAME]);
		cr_assert(walk_to(&w, frame), "%s frame %d: not decoded", r.f[F_CAPTURE], frame);
		struct dhcp_msg m;
		cr_assert(dhcp_parse(w.copy, w.copy_len, &m), "%s frame %d: not BOOTP", r.f[F_CAPTURE], frame);
		check_row(&r, &m);
		rows++;
		pxe_4011 += w.pkt.sport == DHCP_PORT_PXE || w.pkt.dport == DHCP_PORT_PXE;
		truncated += m.truncated;
	}
	walk_close(&w);
	fclose(fp);
	cr_log_info("dhcp: %d messages, %d on port 4011, %d with options cut", rows, pxe_4011, truncated);
	cr_assert_geq(rows, 80);
	cr_assert_eq(pxe_4011, 4);
}

/* ---- what the PXE captures show (pcaps/README.md) ---- */

static struct dhcp_msg frame_of(const char *capture, int frame)
{
	struct walk w;
	struct dhcp_msg m;
	walk_open(&w, capture);
	cr_assert(walk_to(&w, frame));
	cr_assert(dhcp_parse(w.copy, w.copy_len, &m));
	walk_close(&w);
	return m;
}

Test(dhcp, configmgr_pxe_answers)
{
	/* PXEThief's request to 4011, then the answers of blank-password and password-protected media */
	struct dhcp_msg req = frame_of("cm-attack-pxe.pcap", 3), key = frame_of("cm-attack-pxe.pcap", 4),
			path = frame_of("cm-pxe-protected.pcap", 4), plain_pxe = frame_of("cm-pxe-protected.pcap", 41);
	cr_assert_eq(req.msg_type, DHCP_REQUEST);
	cr_assert_str_eq(req.vendor_class, "PXEClient");
	cr_assert_eq(req.arch_count, 1);
	cr_assert_str_eq(dhcp_arch_name(req.arch[0]), "x86 BIOS");
	cr_assert(req.has_uuid && req.uuid_type == 0 && req.uuid[0] == 0x2a);
	cr_assert(dhcp_has_option(&req, 250));
	cr_assert_eq(key.msg_type, DHCP_ACK);
	cr_assert_eq(dhcp_private_option(&key, 243)->first, 2, "type 2: the key itself");
	cr_assert_eq(dhcp_private_option(&path, 243)->first, 1, "type 1: a path");
	cr_assert_str_eq(key.opt252,
			 "\\SMSTemp\\2024.05.14.10.31.52.0003.{5C1F8A3E-7D2B-4C6A-9E0F-1A2B3C4D5E6F}.boot.bcd");
	cr_assert_str_eq(key.file, "smsboot\\x64\\wdsmgfw.efi");
	cr_assert_null(dhcp_private_option(&plain_pxe, 243), "an ordinary PXE answer has no option 243");
	cr_assert_str_eq(plain_pxe.bootfile, "boot/x64/wdsmgfw.efi");
	cr_assert_str_eq(dhcp_msg_type_name(plain_pxe.msg_type), "OFFER");
}

Test(dhcp, overload_puts_options_in_sname)
{
	struct dhcp_msg m = frame_of("public/suricata-verify__dhcp-option-52-overload__input.pcap", 4);
	cr_assert_eq(m.overload, 2);
	cr_assert_str_eq(m.sname, "", "the field held options, not a name");
	cr_assert(dhcp_has_option(&m, 15), "the domain name option came from sname");
}

/* ---- the key ---- */

/* the 48-byte dummy key tests/lab/pxe-lab.py puts in option 243 (DUMMY_KEY there) */
static const uint8_t DUMMY_KEY[48] = {
	0xe3, 0xcf, 0x37, 0x06, 0x26, 0xea, 0x06, 0x10, 0x16, 0x02, 0x35, 0x78, 0x9f, 0xe6, 0x0e, 0xf0,
	0xf6, 0x30, 0xd0, 0xa4, 0x75, 0x70, 0x6f, 0xfd, 0x1f, 0xcd, 0x68, 0x0b, 0x59, 0xab, 0xb2, 0x8e,
	0xda, 0x92, 0x0b, 0xe0, 0xcf, 0xb5, 0x9a, 0x11, 0xc6, 0xa5, 0x3c, 0x45, 0xc6, 0x5c, 0x71, 0x53,
};

Test(dhcp, the_media_key_is_never_kept)
{
	struct walk w;
	walk_open(&w, "cm-attack-pxe.pcap");
	cr_assert(walk_to(&w, 4));
	cr_assert(holds_window_of(w.copy, w.copy_len, DUMMY_KEY, sizeof DUMMY_KEY), "the frame holds the key");
	struct dhcp_msg m;
	cr_assert(dhcp_parse(w.copy, w.copy_len, &m));
	cr_assert_not(holds_window_of(&m, sizeof m, DUMMY_KEY, sizeof DUMMY_KEY), "the parsed message does not");
	cr_assert_eq(dhcp_private_option(&m, 243)->len, 134);
	walk_close(&w);
}

/* ---- every cut under AddressSanitizer ---- */

static void every_cut_of(const char *capture, int frame)
{
	struct walk w;
	walk_open(&w, capture);
	cr_assert(walk_to(&w, frame));
	struct dhcp_msg whole;
	cr_assert(dhcp_parse(w.copy, w.copy_len, &whole));
	for (size_t n = 0; n <= w.copy_len; n++) {
		uint8_t *copy = malloc(n ? n : 1);
		memcpy(copy, w.copy, n);
		struct dhcp_msg m;
		bool ok = dhcp_parse(copy, n, &m);
		cr_assert_eq(ok, n >= 236, "%s frame %d cut at %zu", capture, frame, n);
		/* what was read before the cut is what the whole message says */
		cr_assert(!ok || m.msg_type == 0 || m.msg_type == whole.msg_type);
		cr_assert(!ok || m.option_count <= whole.option_count);
		free(copy);
	}
	walk_close(&w);
}

Test(dhcp, every_cut_stays_in_bounds)
{
	every_cut_of("cm-attack-pxe.pcap", 3);
	every_cut_of("cm-attack-pxe.pcap", 4);
	every_cut_of("cm-pxe-protected.pcap", 41);
	every_cut_of("public/suricata-verify__dhcp-option-52-overload__input.pcap", 4);
	every_cut_of("public/ndpi__dhcp-fuzz.pcapng", 1);
}

Test(dhcp, not_bootp)
{
	uint8_t b[300] = { 0 };
	struct dhcp_msg m;
	cr_assert_not(dhcp_parse(b, sizeof b, &m), "op 0");
	b[0] = 1;
	b[2] = 17;
	cr_assert_not(dhcp_parse(b, sizeof b, &m), "hardware address longer than chaddr");
	b[2] = 6;
	cr_assert(dhcp_parse(b, sizeof b, &m));
	cr_assert_not(m.is_dhcp, "BOOTP without the magic cookie");
	cr_assert_not(dhcp_parse(b, 235, &m), "fixed header cut");
	cr_assert_null(dhcp_msg_type_name(0));
	cr_assert_null(dhcp_arch_name(400));
	cr_assert_null(dhcp_private_option(&m, 53));
}

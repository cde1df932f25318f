/* Unit tests of the JSON writer (structure, commas, the escaping of hostile strings) and of the display filter
 * that alerts carry. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pcap/pcap.h>

#include "decode/decode.h"
#include "flow/flow_ext.h"
#include "flow/flow_release.h"
#include "flow/flow_table.h"
#include "output/display_filter.h"
#include "flow/flow.h"
#include "lib/json.h"
#include "lib/jsonread.h"

static char out[8192];

static const char *escaped(const char *s, size_t n)
{
	struct json j;
	json_init(&j);
	json_escape(&j, s, n);
	cr_assert_not(json_failed(&j));
	cr_assert_lt(j.len, sizeof out);
	memcpy(out, j.buf, j.len);
	out[j.len] = 0;
	json_free(&j);
	return out;
}

Test(json, plain_ascii_passes)
{
	cr_assert_str_eq(escaped("/ccm_system/request", 19), "\"/ccm_system/request\"");
}

Test(json, quotes_and_backslashes)
{
	cr_assert_str_eq(escaped("a\"b\\c", 5), "\"a\\\"b\\\\c\"");
}

Test(json, control_characters)
{
	cr_assert_str_eq(escaped("\n\r\t\b\f\x01\x1f", 7), "\"\\n\\r\\t\\b\\f\\u0001\\u001f\"");
}

Test(json, nul_inside_the_string_is_kept)
{
	cr_assert_str_eq(escaped("a\0b", 3), "\"a\\u0000b\"");
}

Test(json, valid_utf8_passes)
{
	const char *s = "gr\xc3\xbc\xc3\x9f \xe2\x82\xac \xf0\x9f\x98\x80";
	char want[64];
	snprintf(want, sizeof want, "\"%s\"", s);
	cr_assert_str_eq(escaped(s, strlen(s)), want);
}

Test(json, invalid_utf8_becomes_code_points)
{
	/* a lone continuation byte, a truncated sequence, an overlong '/', a UTF-16 surrogate, beyond U+10FFFF */
	cr_assert_str_eq(escaped("\x80", 1), "\"\\u0080\"");
	cr_assert_str_eq(escaped("\xc3", 1), "\"\\u00c3\"");
	cr_assert_str_eq(escaped("\xc0\xaf", 2), "\"\\u00c0\\u00af\"");
	cr_assert_str_eq(escaped("\xed\xa0\x80", 3), "\"\\u00ed\\u00a0\\u0080\"");
	cr_assert_str_eq(escaped("\xf4\x90\x80\x80", 4), "\"\\u00f4\\u0090\\u0080\\u0080\"");
	cr_assert_str_eq(escaped("\xff", 1), "\"\\u00ff\"");
}

Test(json, objects_arrays_and_commas)
{
	struct json j;
	json_init(&j);
	json_open_object(&j, NULL);
	json_str(&j, "event_type", "flow");
	json_uint(&j, "flow_id", 18446744073709551615ULL);
	json_int(&j, "delta", -5);
	json_bool(&j, "alerted", false);
	json_null(&j, "none");
	json_open_array(&j, "reasons");
	json_str(&j, NULL, "a");
	json_str(&j, NULL, "b");
	json_close_array(&j);
	json_open_object(&j, "flow");
	json_close_object(&j);
	json_close_object(&j);
	cr_assert_not(json_failed(&j));
	cr_assert_eq(j.depth, 0);
	char *s = strndup(j.buf, j.len);
	cr_assert_str_eq(s, "{\"event_type\":\"flow\",\"flow_id\":18446744073709551615,\"delta\":-5,\"alerted\":false,"
			    "\"none\":null,\"reasons\":[\"a\",\"b\"],\"flow\":{}}");
	free(s);
	json_reset(&j);
	cr_assert_eq(j.len, 0);
	json_open_object(&j, NULL);
	json_strn(&j, "k", "xyz", 2);
	json_close_object(&j);
	s = strndup(j.buf, j.len);
	cr_assert_str_eq(s, "{\"k\":\"xy\"}");
	free(s);
	json_free(&j);
}

Test(json, long_values_grow_the_buffer)
{
	static char big[100000];
	memset(big, 'A', sizeof big);
	big[50000] = '"';
	struct json j;
	json_init(&j);
	json_escape(&j, big, sizeof big);
	cr_assert_not(json_failed(&j));
	cr_assert_eq(j.len, sizeof big + 2 + 1);
	json_free(&j);
}

/* the reader of --from-eve */
Test(jsonread, an_eve_line_and_its_paths)
{
	const char *line = "{\"flow_id\":7,\"flow\":{\"bytes_toserver\":1234,\"start\":\"2026-11-25T04:48:23.1+0000\"},"
			   "\"configmgr\":{\"src_roles\":[\"client\",\"amt-controller\"],\"http\":{\"url\":\"/a\\u00e9\\ud83d\\ude00\\\"\\\\\"}}}";
	char err[128];
	struct jv_doc *d = jv_parse(line, strlen(line), err, sizeof err);
	cr_assert_not_null(d, "%s", err);
	const struct jv *e = jv_root(d);
	cr_assert_eq(jv_u64(e, "flow_id", 0), 7);
	cr_assert_eq(jv_u64(e, "flow.bytes_toserver", 0), 1234);
	cr_assert_str_eq(jv_str(e, "configmgr.http.url"), "/a\xc3\xa9\xf0\x9f\x98\x80\"\\");
	const struct jv *roles = jv_path(e, "configmgr.src_roles");
	cr_assert_eq(roles->type, JV_ARRAY);
	cr_assert_str_eq(roles->child->next->str, "amt-controller");
	cr_assert_null(jv_str(e, "configmgr.nothing.here"));
	cr_assert_eq(jv_u64(e, "flow.start", 99), 99, "a string is not a number");
	jv_free(d);
}

Test(jsonread, malformed_documents_name_the_offset)
{
	const char *bad[] = { "{\"a\":}", "{\"a\" 1}", "[1,2", "\"open", "{\"a\":1} x", "[01]", "\"\\x\"", "tru",
			      "\"a\x01\"", "" };
	char err[128];
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		cr_assert_null(jv_parse(bad[i], strlen(bad[i]), err, sizeof err), "accepted '%s'", bad[i]);
		cr_assert(strncmp(err, "offset ", 7) == 0, "%s", err);
	}
	char deep[100];
	memset(deep, '[', sizeof deep);
	cr_assert_null(jv_parse(deep, sizeof deep, err, sizeof err), "nesting is bounded");
	struct jv_doc *d = jv_parse("\"\\udc00x\"", 9, err, sizeof err); /* a lone low surrogate */
	cr_assert_not_null(d, "%s", err);
	cr_assert_str_eq(jv_root(d)->str, "\xef\xbf\xbdx");
	jv_free(d);
}

/* ---- the display filter of an alert (eve.h) ---- */

static struct flow filter_flow(uint8_t family, uint8_t proto, const char *lo, const char *hi, uint16_t port_lo,
			       uint16_t port_hi, uint16_t vlan)
{
	struct flow f;
	memset(&f, 0, sizeof f);
	f.key.family = family;
	f.key.ip_proto = proto;
	cr_assert_eq(inet_pton(family == 4 ? AF_INET : AF_INET6, lo, f.key.addr_lo), 1);
	cr_assert_eq(inet_pton(family == 4 ? AF_INET : AF_INET6, hi, f.key.addr_hi), 1);
	f.key.port_lo = port_lo;
	f.key.port_hi = port_hi;
	f.key.vlan[0] = vlan;
	f.init_is_lo = 1;
	f.ts_first = 1795500000000240u;
	f.ts_last = 1795500001999999u;
	return f;
}

/* tshark, when installed, must take the filter (an invalid one would select nothing in an audit) */
static void tshark_accepts(const char *filter)
{
	if (system("command -v tshark >/dev/null 2>&1") != 0)
		return;
	char cmd[2048];
	snprintf(cmd, sizeof cmd, "tshark -r %s/cm-demo.pcap -Y '%s' >/dev/null 2>&1", PCAP_DIR, filter);
	cr_assert_eq(system(cmd), 0, "tshark refuses: %s", filter);
}

Test(filter, tcp_both_directions_and_time_window)
{
	struct flow f = filter_flow(4, 6, "10.2.0.21", "10.1.0.10", 50000, 80, 0);
	char buf[1024];
	cr_assert_str_eq(flow_display_filter(&f, buf, sizeof buf),
			 "((ip.src==10.2.0.21 && tcp.srcport==50000 && ip.dst==10.1.0.10 && tcp.dstport==80) || "
			 "(ip.src==10.1.0.10 && tcp.srcport==80 && ip.dst==10.2.0.21 && tcp.dstport==50000)) && "
			 "frame.time_epoch >= 1795500000.000240 && frame.time_epoch < 1795500002.000000");
	tshark_accepts(buf);
}

Test(filter, icmpv6_with_vlan)
{
	struct flow f = filter_flow(6, 58, "2001:db8::1", "2001:db8::2", 0, 0, 20);
	char buf[1024];
	cr_assert_str_eq(flow_display_filter(&f, buf, sizeof buf),
			 "ipv6.addr==2001:db8::1 && ipv6.addr==2001:db8::2 && ipv6.nxt==58 && vlan.id==20 && "
			 "frame.time_epoch >= 1795500000.000240 && frame.time_epoch < 1795500002.000000");
	tshark_accepts(buf);
	struct flow g = filter_flow(4, 47, "10.0.0.1", "10.0.0.2", 0, 0, 0);
	cr_assert(strstr(flow_display_filter(&g, buf, sizeof buf), "&& ip.proto==47 &&"));
	tshark_accepts(buf);
}

Test(filter, cut_to_the_buffer)
{
	struct flow f = filter_flow(4, 17, "10.2.0.21", "10.9.0.1", 40000, 53, 0);
	char small[40];
	flow_display_filter(&f, small, sizeof small);
	cr_assert_eq(strlen(small), sizeof small - 1);
	cr_assert(strncmp(small, "((ip.src==10.2.0.21 && udp.srcport==", 36) == 0);
}

/* A tunnelled flow's filter names its inner layers and its tunnel's identity: on pcaps/cm-tunnels.pcap (one
 * conversation per encapsulation), the filter of the flow of frame N selects exactly the frames cmflow counts to
 * that flow; VNI 1 and VNI 2 carry the same inner tuple. */
struct tunnel_frames {
	struct flow_key key[64];
	uint64_t ts[64];
	struct packet_tunnel tun[64];
	bool from_lo[64];
	unsigned n;
};

static void keep_frame(int dlt, const uint8_t *f, uint32_t len, uint64_t ts, struct tunnel_frames *tf)
{
	struct packet p;
	struct decode_stats st;
	memset(&st, 0, sizeof st);
	cr_assert_eq(decode_packet(dlt, f, len, len, ts, &p, &st), DECODE_OK);
	unsigned i = tf->n++;
	flow_key_make(&tf->key[i], (uint8_t)p.l3, p.src, p.dst, p.sport, p.dport, p.ip_proto, p.vlan, &tf->from_lo[i]);
	flow_key_set_tunnel(&tf->key[i], &p.tunnel);
	tf->tun[i] = p.tunnel;
	tf->ts[i] = ts;
}

Test(filter, tunnelled_flows_select_exactly_their_frames)
{
	if (system("command -v tshark >/dev/null 2>&1") != 0)
		return;
	static struct tunnel_frames tf;
	char ebuf[PCAP_ERRBUF_SIZE];
	pcap_t *pc = pcap_open_offline(PCAP_DIR "/cm-tunnels.pcap", ebuf);
	cr_assert_not_null(pc, "%s", ebuf);
	struct pcap_pkthdr *h;
	const u_char *data;
	while (tf.n < 64 && pcap_next_ex(pc, &h, &data) == 1)
		keep_frame(pcap_datalink(pc), data, h->caplen, (uint64_t)h->ts.tv_sec * 1000000u + (uint64_t)h->ts.tv_usec,
			   &tf);
	pcap_close(pc);
	/* frames 1 (VXLAN VNI 1), 7 (ERSPAN I, inner VLAN 10), 9 (ERSPAN II), 15 (GRE key 9), 31 (VXLAN in GRE), 33
	 * (6in4) */
	static const unsigned firsts[] = { 1, 7, 9, 15, 31, 33 };
	for (size_t k = 0; k < sizeof firsts / sizeof firsts[0]; k++) {
		unsigned i = firsts[k] - 1, want = 0;
		struct flow f;
		memset(&f, 0, sizeof f);
		f.key = tf.key[i];
		f.init_is_lo = tf.from_lo[i];
		f.ts_first = UINT64_MAX;
		for (unsigned j = 0; j < tf.n; j++) {
			if (memcmp(&tf.key[j], &f.key, sizeof f.key) != 0)
				continue;
			want++;
			f.ts_first = tf.ts[j] < f.ts_first ? tf.ts[j] : f.ts_first;
			f.ts_last = tf.ts[j] > f.ts_last ? tf.ts[j] : f.ts_last;
		}
		cr_assert(flow_ext_set_tunnel(&f, &tf.tun[i]));
		char buf[1024], cmd[1400];
		flow_display_filter(&f, buf, sizeof buf);
		flow_release(&f);
		snprintf(cmd, sizeof cmd, "tshark -n -r %s/cm-tunnels.pcap -o teredo.heuristic_teredo:TRUE -Y '%s' 2>/dev/null | wc -l",
			 PCAP_DIR, buf);
		FILE *count = popen(cmd, "r");
		unsigned got = 0;
		cr_assert_eq(fscanf(count, "%u", &got), 1);
		pclose(count);
		cr_assert_eq(got, want, "frame %u: tshark selects %u frames, the flow has %u: %s", firsts[k], got, want, buf);
		if (firsts[k] == 31)
			cr_assert(strstr(buf, "ip.src#3==") && strstr(buf, "vxlan.vni==15"), "%s", buf);
		if (firsts[k] == 7)
			cr_assert(strstr(buf, "vlan.id==10"), "%s", buf);
	}
}

Test(filter, host_pair_on_a_port)
{
	char buf[1024];
	cr_assert_str_eq(hosts_display_filter("10.2.0.21", "10.1.0.10", 6, 80, 1795500000000240u, 1795500001999999u, buf,
					      sizeof buf),
			 "ip.addr==10.2.0.21 && ip.addr==10.1.0.10 && tcp.port==80 && "
			 "frame.time_epoch >= 1795500000.000240 && frame.time_epoch < 1795500002.000000");
	tshark_accepts(buf);
	cr_assert_str_eq(hosts_display_filter("2001:db8::1", "2001:db8::2", 17, 0, 5, 5, buf, sizeof buf),
			 "ipv6.addr==2001:db8::1 && ipv6.addr==2001:db8::2 && ipv6.nxt==17 && "
			 "frame.time_epoch >= 0.000005 && frame.time_epoch < 0.000006");
	tshark_accepts(buf);
	cr_assert_str_eq(hosts_display_filter("10.0.0.1", "10.0.0.2", 0, 0, 1000000, 2000000, buf, sizeof buf),
			 "ip.addr==10.0.0.1 && ip.addr==10.0.0.2 && frame.time_epoch >= 1.000000 && "
			 "frame.time_epoch < 2.000001");
	tshark_accepts(buf);
}

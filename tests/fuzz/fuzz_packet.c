/* fuzz_packet: the whole packet path, tunnels included (decode.c, tunnel.c; VXLAN also on UDP 4800). The first
 * byte picks the link type; the rest is the frame. One engine (small flow table, the real signatures and the
 * example site, EVE output to /dev/null and the aggregates of the summary and the report, a table of detections'
 * sequences) lives across inputs, so that flows, fragments, expectations, parsers' states and sequences carry over
 * as they do on a wire; every 4096 inputs it
 * ends all flows (labels, verdicts, alerts). */
#include <pcap/dlt.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"
#include "output/aggregate.h"
#include "output/eve.h"
#include "audit/detect.h"
#include "flow/expect.h"
#include "audit/knowledge.h"
#include "flow/mcast.h"

static struct engine *e;
static struct knowledge *k;
static struct outputs outs;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int dlts[] = { DLT_EN10MB, DLT_LINUX_SLL, DLT_LINUX_SLL2, DLT_RAW, DLT_NULL, DLT_LOOP, 101 };
	static unsigned runs;
	if (!e) {
		char err[512];
		k = knowledge_load(SIG_DIR, SIG_DIR "/example-site.conf", err, sizeof err);
		if (!k)
			abort();
		struct engine_config cfg;
		engine_config_defaults(&cfg);
		cfg.max_flows = 64;
		cfg.knowledge = k;
		cfg.mcast = mcast_members_new();
		cfg.expect = expect_new(32, 300);
		/* the tunnels with one configured VXLAN port more, as --vxlan-port gives */
		static struct decode_tunnels tun;
		decode_tunnels_defaults(&tun);
		decode_tunnels_add_vxlan(&tun, 4800);
		cfg.tunnels = &tun;
		cfg.detect = detect_table_new(16, 300); /* small: sequences are evicted and expire too */
		struct eve *ev = eve_open("/dev/null", 1, true, err, sizeof err);
		struct agg *agg = agg_new();
		if (!ev || !agg)
			abort();
		outputs_add(&outs, &eve_output_ops, ev);
		outputs_add(&outs, &aggregate_output_ops, agg);
		cfg.outputs = &outs;
		e = engine_new(&cfg, err, sizeof err);
		if (!e)
			abort();
	}
	if (size < 1)
		return 0;
	struct pcap_pkthdr h;
	memset(&h, 0, sizeof h);
	h.ts.tv_sec = 1700000000 + runs / 16; /* time moves on, so that flows expire too */
	h.ts.tv_usec = (runs % 16) * 1000;
	h.caplen = (uint32_t)(size - 1);
	h.len = h.caplen + (data[0] >> 4); /* sometimes the snapshot cut the frame */
	/* an exact-size copy: a read past the frame is caught */
	uint8_t *frame = malloc(size - 1 ? size - 1 : 1);
	memcpy(frame, data + 1, size - 1);
	engine_packet(e, dlts[(data[0] & 0x0f) % (sizeof dlts / sizeof dlts[0])], 0, &h, frame);
	free(frame);
	if (++runs % 4096 == 0)
		engine_finish(e);
	return 0;
}

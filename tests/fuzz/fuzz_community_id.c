/* fuzz_community_id: a frame through the decoder, then its Community ID tuple (which reads SCTP's ports itself)
 * and the hash at two seeds. Input as fuzz_packet's: the first byte picks the link type, the rest is the frame
 * (its seeds serve: tests/fuzz/run.sh builds them under corpus/fuzz_packet). */
#include <pcap/dlt.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "decode/decode.h"
#include "flow/community_id.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int dlts[] = { DLT_EN10MB, DLT_LINUX_SLL, DLT_LINUX_SLL2, DLT_RAW, DLT_NULL, DLT_LOOP, 101 };
	if (size < 1)
		return 0;
	/* an exact-size copy: a read past the frame is caught */
	uint8_t *frame = malloc(size - 1 ? size - 1 : 1);
	memcpy(frame, data + 1, size - 1);
	struct decode_stats st;
	memset(&st, 0, sizeof st);
	struct packet pkt;
	int dlt = dlts[(data[0] & 0x0f) % (sizeof dlts / sizeof dlts[0])];
	if (decode_packet(dlt, frame, (uint32_t)(size - 1), (uint32_t)(size - 1), 0, &pkt, &st) == DECODE_OK) {
		struct community_id_tuple t;
		char a[COMMUNITY_ID_SIZE], b[COMMUNITY_ID_SIZE];
		if (community_id_tuple_of_packet(&pkt, &t)) {
			bool ok0 = community_id_v1(&t, 0, a), ok1 = community_id_v1(&t, 0xffff, b);
			if (ok0 != ok1 || (ok0 && (strlen(a) != COMMUNITY_ID_LEN || !strcmp(a, b))))
				abort();
		}
	}
	free(frame);
	return 0;
}

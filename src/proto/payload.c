/* payload.c: TLS record or cleartext, from a flow's first payload bytes. */
#include "proto/payload.h"

enum payload_kind payload_classify(const uint8_t *data, size_t len)
{
	if (len < 3)
		return PAYLOAD_UNSEEN;
	/* a TLS record: change_cipher_spec, alert, handshake or application_data, version 3.0 (SSL 3) to 3.4 */
	if (data[0] >= 0x14 && data[0] <= 0x17 && data[1] == 3 && data[2] <= 4)
		return PAYLOAD_TLS;
	/* SSL 2 record header (two-byte length, high bit set) carrying a ClientHello (message type 1) */
	if ((data[0] & 0x80) && data[2] == 1)
		return PAYLOAD_TLS;
	return PAYLOAD_CLEARTEXT;
}

const char *payload_kind_name(enum payload_kind k)
{
	switch (k) {
	case PAYLOAD_TLS: return "tls";
	case PAYLOAD_CLEARTEXT: return "cleartext";
	default: return NULL;
	}
}

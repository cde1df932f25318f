/* fuzz_parsers: the small payload parsers: HTTP request and status lines, Wake On LAN magic packets, TFTP,
 * PPTP, SQL Server Browser, SMB2 TREE_CONNECT, TLS hellos and the first-payload classifier. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/dns.h"
#include "flow/followup.h"
#include "proto/http.h"
#include "proto/payload.h"
#include "proto/smb.h"
#include "proto/tls.h"
#include "proto/wol.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct http_methods *m;
	if (!m) {
		char err[256];
		if (!(m = http_methods_load(SIG_DIR "/http-methods.txt", err, sizeof err)))
			abort();
	}
	struct http_request req;
	if (http_parse_request(m, data, size, &req)) {
		/* what it points at lies inside the input */
		if ((const uint8_t *)req.target < data || (const uint8_t *)req.target + req.target_len > data + size)
			abort();
		if (req.host && (const uint8_t *)req.host + req.host_len > data + size)
			abort();
	}
	uint16_t status;
	http_parse_status(data, size, &status);
	struct wol_magic w;
	if (wol_parse(data, size, &w) && (size_t)w.offset + 102 > size)
		abort();
	followup_fuzz_one(data, size);
	char share[80];
	if (smb2_tree_connect_share(data, size, share, sizeof share) && strlen(share) >= sizeof share)
		abort();
	smb_looks_like(data, size);
	dns_is_query(data, size);
	dns_is_tcp_query(data, size);
	struct tls_hello th;
	if (tls_parse_client_hello(data, size, &th) && strnlen(th.sni, sizeof th.sni) >= sizeof th.sni)
		abort();
	tls_parse_server_hello(data, size, &th);
	payload_classify(data, size);
	return 0;
}

/* fuzz_tls: the TLS handshake reader (proto/tls_handshake.h) over both directions of a connection cut into
 * segments by the input's own bytes (some late, some twice), and the X.509 names reader (proto/x509.h) over the
 * input as a certificate and as a Name. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/tls_handshake.h"
#include "proto/x509.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	tls_hs_fuzz_one(data, size);
	char name[X509_NAME_MAX];
	bool cut;
	if (x509_name_format(data, size, name, sizeof name, &cut) && strnlen(name, sizeof name) >= sizeof name)
		abort();
	return 0;
}

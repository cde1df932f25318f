/* fuzz_dcerpc: the DCE/RPC stream parser (input cut into segments of both directions by its own bytes), the
 * connectionless parser, the tower and DCOM string binding scanners. */
#include <stdint.h>
#include <stddef.h>

#include "proto/dcerpc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	dcerpc_fuzz_one(data, size);
	return 0;
}

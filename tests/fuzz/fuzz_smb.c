/* fuzz_smb: the SMB1/SMB2 message walker (input cut into segments of both directions by its own bytes, with
 * gaps), and the DCE/RPC parser behind its named pipes. */
#include <stdint.h>
#include <stddef.h>

#include "proto/smb.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	smb_fuzz_one(data, size);
	return 0;
}

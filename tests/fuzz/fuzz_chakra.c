/* fuzz_chakra - the Chakra .et reader (length-prefixed records, protoc-c unpacking, the
 * graph's ids, dependencies and cycle check) on arbitrary bytes: it must return an error or
 * succeed, never crash, hang or leak. */
#include <stddef.h>
#include <stdint.h>

#include "adapter.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tc_err err = TC_ERR_INIT;
	(void)tc_chakra_check_mem(data, size, &err);
	return 0;
}

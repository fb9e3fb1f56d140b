/* fuzz_optable - the operator-table path (CSV records with quotes, micro and model layouts,
 * shape lists, work of every op) on arbitrary bytes: it must return an error or succeed,
 * never crash, hang or leak. */
#include <stddef.h>
#include <stdint.h>

#include "ingest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tc_err err = TC_ERR_INIT;
	(void)tc_optable_check_mem(data, size, &err);
	return 0;
}

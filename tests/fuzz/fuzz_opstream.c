/* fuzz_opstream - the .tcs reader on arbitrary bytes: must return an error or read cleanly,
 * never crash, hang or leak. */
#include <stdint.h>
#include <stddef.h>

#include "opstream.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tc_err err = TC_ERR_INIT;
	struct tc_ops_reader *r;
	const struct tc_op *ops;
	size_t n;
	if (tc_ops_reader_open_mem(&r, data, size, "fuzz.tcs", &err) == 0) {
		uint64_t sum = 0;
		while (tc_ops_reader_next(r, &ops, &n, &err) > 0)
			for (size_t i = 0; i < n; i++) {
				sum += (uint64_t)ops[i].dur_ns + ops[i].n_shapes;
				for (uint32_t s = 0; s < ops[i].n_shapes; s++)
					for (uint32_t d = 0; d < ops[i].shapes[s].rank; d++)
						sum += (uint64_t)ops[i].shapes[s].dims[d];
				for (uint32_t d = 0; d < ops[i].n_deps; d++)
					sum += ops[i].deps[d];
				sum += (uint64_t)tc_ops_reader_string(r, ops[i].name)[0];
			}
		(void)sum;
		tc_ops_reader_free(r);
	}
	return 0;
}

/* fuzz_pyet - the PyTorch execution trace reader (both layouts, tensor values of any shape,
 * parents, shapes) and the linking calls the Kineto adapter makes, on arbitrary bytes: an
 * error or success, never a crash, hang or leak. */
#include <stddef.h>
#include <stdint.h>

#include "pyet.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tc_err err = TC_ERR_INIT;
	struct tc_pyet *et = NULL;
	if (tc_pyet_load_mem(&et, (const char *)data, size, "<memory>", &err) < 0)
		return 0;
	/* link every node by name in order, as Kineto operators would come */
	const char *names[] = {"aten::add", "aten::mm", "aten::empty", "x"};
	for (uint64_t i = 0; i < 64; i++) {
		uint32_t k = tc_pyet_match(et, i, names[i % 4]);
		if (k == TC_PYET_NONE)
			continue;
		const uint64_t *deps;
		uint32_t n;
		const struct tc_shape *shapes;
		tc_pyet_deps(et, k, &deps, &n);
		tc_pyet_shapes(et, k, &shapes, &n);
		tc_pyet_set_op(et, k, i);
	}
	tc_pyet_free(et);
	return 0;
}

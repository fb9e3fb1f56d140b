/* fuzz_spec - the chip spec loader on arbitrary bytes: the input's first line, when it holds
 * '=', is a --set override; the rest is a spec file (which may inherit shipped specs). Must
 * load or fail with an error, never crash or leak. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hwmodel.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tc_err err = TC_ERR_INIT;
	struct tc_hw *hw;
	char path[64], set[256];
	const char *sets[1];
	size_t n_sets = 0;
	const uint8_t *nl = memchr(data, '\n', size);
	if (nl && (size_t)(nl - data) < sizeof(set) && memchr(data, '=', (size_t)(nl - data))) {
		memcpy(set, data, (size_t)(nl - data));
		set[nl - data] = 0;
		if (strlen(set) == (size_t)(nl - data)) {
			sets[0] = set;
			n_sets = 1;
			size -= (size_t)(nl - data) + 1;
			data = nl + 1;
		}
	}
	/* the shipped library: $TC_SPECS (meson sets it), else the build-time default; opened
	 * once per process (fuzz harness state, not library state) */
	static struct tc_hw *lib;
	if (!lib && tc_hw_open(&lib, NULL, &err) < 0)
		abort(); /* the shipped specs must always load */
	hw = lib;
	snprintf(path, sizeof(path), "/tmp/fuzz_spec_%ld.json", (long)getpid());
	FILE *f = fopen(path, "wb");
	if (!f)
		abort();
	fwrite(data, 1, size, f);
	fclose(f);
	struct tc_chip *chip = NULL;
	if (tc_hw_load(hw, path, n_sets ? sets : NULL, n_sets, &chip, &err) == 0) {
		struct tc_hw_op op = {0};
		struct tc_hw_cost cost;
		op.op_class = TC_CLASS_GEMM;
		op.kind = TC_KIND_KERNEL;
		op.has_work = 1;
		op.flops = 1ULL << 34;
		op.bytes_read = 1 << 26;
		op.m = op.n = op.k = 2048;
		tc_hw_op_cost(chip, &op, &cost);
		op.op_class = TC_CLASS_COLLECTIVE;
		op.coll_kind = TC_COLL_ALLREDUCE;
		op.group_size = 16;
		op.coll_bytes = 1 << 24;
		tc_hw_op_cost(chip, &op, &cost);
		FILE *null = fopen("/dev/null", "w");
		tc_chip_print_json(chip, null);
		fclose(null);
		tc_chip_free(chip);
	}
	unlink(path);
	return 0;
}

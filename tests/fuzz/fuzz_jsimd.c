/* fuzz_jsimd - differential: the JSON stage-1 scanner (ingest/json_simd.c) on arbitrary
 * bytes must give the same structural index, and the same open-string state at the end,
 * on every path this machine has (scalar, SSE2, AVX2, NEON); a difference aborts. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adapter.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint32_t *want = malloc((size + 1) * sizeof(*want)),
		 *got = malloc((size + 1) * sizeof(*got));
	int open_want = 0;
	if (!want || !got)
		abort();
	size_t k =
	    tc_json_index(TC_SIMD_SCALAR, (const char *)data, size, want, size + 1, &open_want);
	for (int p = TC_SIMD_SCALAR + 1; p < TC_SIMD_N; p++) {
		if (!tc_json_simd_available(p))
			continue;
		int open_got = -1;
		size_t kg = tc_json_index(p, (const char *)data, size, got, size + 1, &open_got);
		if (kg != k || open_got != open_want || memcmp(got, want, k * sizeof(*got)) != 0) {
			fprintf(stderr,
				"fuzz_jsimd: %s differs from scalar (%zu vs %zu structurals)\n",
				tc_json_simd_name(p), kg, k);
			abort();
		}
	}
	free(want);
	free(got);
	return 0;
}

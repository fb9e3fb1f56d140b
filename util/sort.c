/* sort.c - tc_msort: the one stable sort with a context (qsort has none in C11, and glibc's
 * qsort is only stable when its merge sort's buffer fits). Stable, so the order is the one
 * the comparator and the input order define, whatever the algorithm: callers that print
 * sorted lists keep byte-identical outputs. */
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* One record: fixed sizes compile to moves, where a size known only at run time was a call
 * to memmove per record (the graph build sorts millions of 8-24 byte records). */
static inline void copy_rec(char *dst, const char *src, size_t size)
{
	switch (size) {
	case 4:
		memcpy(dst, src, 4);
		break;
	case 8:
		memcpy(dst, src, 8);
		break;
	case 16:
		memcpy(dst, src, 16);
		break;
	case 24:
		memcpy(dst, src, 24);
		break;
	default:
		memcpy(dst, src, size);
	}
}

int tc_msort(void *base, size_t n, size_t size, tc_cmp_ctx_fn cmp, const void *ctx)
{
	if (n < 2)
		return 0;
	char *a = base;
	/* input mostly comes in order already: one linear pass then, and no buffer */
	size_t s = 1;
	while (s < n && cmp(a + (s - 1) * size, a + s * size, ctx) <= 0)
		s++;
	if (s == n)
		return 0;
	size_t bytes;
	if (tc_mul_size(n, size, &bytes) < 0)
		return TC_ENOMEM;
	char *tmp = malloc(bytes);
	if (!tmp)
		return TC_ENOMEM;
	/* bottom-up: runs of w records merged pairwise, w doubling; on a tie the left run's
	 * record goes first (stability) */
	for (size_t w = 1; w < n; w *= 2) {
		for (size_t lo = 0; lo < n; lo += 2 * w) {
			size_t mid = TC_MIN(lo + w, n), hi = TC_MIN(lo + 2 * w, n);
			size_t i = lo, j = mid, k = lo;
			while (i < mid && j < hi) {
				if (cmp(a + j * size, a + i * size, ctx) < 0)
					copy_rec(tmp + k++ * size, a + j++ * size, size);
				else
					copy_rec(tmp + k++ * size, a + i++ * size, size);
			}
			memcpy(tmp + k * size, a + i * size, (mid - i) * size);
			k += mid - i;
			memcpy(tmp + k * size, a + j * size, (hi - j) * size);
		}
		memcpy(a, tmp, bytes);
	}
	free(tmp);
	return 0;
}

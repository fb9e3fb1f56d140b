/* tc_msort: stable, context passed through, every record size the graph build uses. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

struct rec {
	uint32_t key, seq; /* seq: input position, to check stability */
};

static int by_key_mod(const void *pa, const void *pb, const void *ctx)
{
	const struct rec *a = pa, *b = pb;
	uint32_t m = *(const uint32_t *)ctx;
	return (a->key % m > b->key % m) - (a->key % m < b->key % m);
}

Test(util_sort, stable_with_context)
{
	enum { N = 10007 };
	struct rec *v = malloc(N * sizeof(*v));
	uint32_t x = 12345, mod = 97;
	for (uint32_t i = 0; i < N; i++) {
		x = x * 1103515245u + 12345u;
		v[i] = (struct rec){x >> 8, i};
	}
	cr_assert_eq(tc_msort(v, N, sizeof(*v), by_key_mod, &mod), 0);
	for (uint32_t i = 1; i < N; i++) {
		uint32_t a = v[i - 1].key % mod, b = v[i].key % mod;
		cr_assert(a <= b, "out of order at %u", i);
		if (a == b)
			cr_assert(v[i - 1].seq < v[i].seq, "ties lost input order at %u", i);
	}
	free(v);
}

static int u32_cmp(const void *pa, const void *pb, const void *ctx)
{
	(void)ctx;
	uint32_t a = *(const uint32_t *)pa, b = *(const uint32_t *)pb;
	return (a > b) - (a < b);
}

static int bytes_cmp(const void *pa, const void *pb, const void *ctx)
{
	return memcmp(pa, pb, *(const size_t *)ctx);
}

Test(util_sort, sizes_sorted_input_and_tiny)
{
	uint32_t a[] = {5, 3, 9, 1, 1, 0, 7};
	cr_assert_eq(tc_msort(a, 7, sizeof(a[0]), u32_cmp, NULL), 0);
	uint32_t want[] = {0, 1, 1, 3, 5, 7, 9};
	cr_assert_arr_eq(a, want, sizeof(want));
	/* already sorted, empty and single: no change, no failure */
	cr_assert_eq(tc_msort(a, 7, sizeof(a[0]), u32_cmp, NULL), 0);
	cr_assert_arr_eq(a, want, sizeof(want));
	cr_assert_eq(tc_msort(a, 0, sizeof(a[0]), u32_cmp, NULL), 0);
	cr_assert_eq(tc_msort(a, 1, sizeof(a[0]), u32_cmp, NULL), 0);
	/* 24-byte records (a copy specialised by size) and an odd size (the generic copy) */
	unsigned char r[5][24], s[5][13];
	for (int i = 0; i < 5; i++) {
		memset(r[i], 'e' - i, sizeof(r[i]));
		memset(s[i], 'e' - i, sizeof(s[i]));
	}
	size_t n24 = 24, n13 = 13;
	cr_assert_eq(tc_msort(r, 5, 24, bytes_cmp, &n24), 0);
	cr_assert_eq(tc_msort(s, 5, 13, bytes_cmp, &n13), 0);
	for (int i = 0; i < 5; i++) {
		cr_assert_eq(r[i][23], 'a' + i);
		cr_assert_eq(s[i][12], 'a' + i);
	}
}

#include <criterion/criterion.h>
#include <string.h>

#include "util.h"

Test(util_map, map64_put_get_overwrite_many)
{
	struct tc_map64 m = TC_MAP64_INIT;
	for (uint64_t i = 0; i < 10000; i++)
		cr_assert_eq(tc_map64_put(&m, i * 7919 + UINT64_MAX / 2, i), 0);
	cr_assert_eq(m.len, 10000);
	for (uint64_t i = 0; i < 10000; i++) {
		uint64_t v = 0;
		cr_assert_eq(tc_map64_get(&m, i * 7919 + UINT64_MAX / 2, &v), 1);
		cr_assert_eq(v, i);
	}
	cr_assert_eq(tc_map64_get(&m, 3, NULL), 0);
	tc_map64_put(&m, UINT64_MAX / 2, 99);
	uint64_t v;
	tc_map64_get(&m, UINT64_MAX / 2, &v);
	cr_assert_eq(v, 99);
	cr_assert_eq(m.len, 10000);
	tc_map64_clear(&m);
	cr_assert_eq(tc_map64_get(&m, UINT64_MAX / 2, NULL), 0);
	tc_map64_free(&m);
}

Test(util_map, strtab_dense_ids_in_first_seen_order)
{
	struct tc_strtab t;
	uint32_t id;
	cr_assert_eq(tc_strtab_init(&t), 0);
	cr_assert_str_eq(tc_strtab_get(&t, 0), "");
	tc_strtab_intern(&t, "aten::mm", 8, &id);
	cr_assert_eq(id, 1);
	tc_strtab_intern(&t, "aten::add", 9, &id);
	cr_assert_eq(id, 2);
	tc_strtab_intern(&t, "aten::mm", 8, &id);
	cr_assert_eq(id, 1);
	tc_strtab_intern(&t, "aten::mmX", 8, &id); /* length-delimited: same as aten::mm */
	cr_assert_eq(id, 1);
	tc_strtab_intern(&t, "", 0, &id);
	cr_assert_eq(id, 0);
	char buf[32];
	for (int i = 0; i < 5000; i++) {
		snprintf(buf, sizeof(buf), "k%d", i);
		tc_strtab_intern(&t, buf, strlen(buf), &id);
		cr_assert_eq(id, (uint32_t)i + 3);
	}
	cr_assert_eq(tc_strtab_find(&t, "k4999", 5, &id), 1);
	cr_assert_eq(id, 5002);
	cr_assert_str_eq(tc_strtab_get(&t, 5002), "k4999");
	cr_assert_eq(tc_strtab_find(&t, "nope", 4, &id), 0);
	tc_strtab_free(&t);
}

Test(util_map, hash_is_stable)
{
	/* FNV-1a of "" with seed 0 is the offset basis; the finaliser is fixed: the value is
	 * part of content hashes kept in databases, so it must never change. */
	uint64_t h1 = tc_hash64("abc", 3, 0), h2 = tc_hash64("abc", 3, 0);
	cr_assert_eq(h1, h2);
	cr_assert_neq(tc_hash64("abc", 3, 0), tc_hash64("abd", 3, 0));
	cr_assert_neq(tc_hash64("abc", 3, 0), tc_hash64("abc", 3, 1));
}

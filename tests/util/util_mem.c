#include <criterion/criterion.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

Test(util_mem, arena_alignment_zeroing_and_big_blocks)
{
	struct tc_arena a;
	tc_arena_init(&a, 1024);
	char *p = tc_arena_alloc(&a, 3);
	char *q = tc_arena_alloc(&a, 5);
	cr_assert_eq((uintptr_t)p % 16, 0);
	cr_assert_eq((uintptr_t)q % 16, 0);
	cr_assert_eq(q - p, 16);
	unsigned char *big = tc_arena_alloc(&a, 100000); /* larger than a block */
	for (int i = 0; i < 100000; i++)
		cr_assert_eq(big[i], 0);
	char *after = tc_arena_alloc(&a, 8); /* still served from the current small block */
	cr_assert_eq(after - q, 16);
	cr_assert_str_eq(tc_arena_strdup(&a, "hello"), "hello");
	cr_assert_str_eq(tc_arena_strndup(&a, "hello", 2), "he");
	tc_arena_reset(&a);
	cr_assert_eq(a.used_total, 0);
	cr_assert_not_null(tc_arena_alloc(&a, 10));
	tc_arena_free(&a);
	tc_arena_free(&a);
}

Test(util_mem, grow_doubles_and_detects_overflow)
{
	int *v = NULL;
	size_t cap = 0;
	cr_assert_eq(tc_grow((void **)&v, &cap, 10, sizeof(int)), 0);
	cr_assert_eq(cap, 16);
	cr_assert_eq(tc_grow((void **)&v, &cap, 17, sizeof(int)), 0);
	cr_assert_eq(cap, 32);
	cr_assert_eq(tc_grow((void **)&v, &cap, SIZE_MAX / 2, sizeof(int)), TC_ENOMEM);
	cr_assert_eq(cap, 32);
	free(v);
	size_t out;
	cr_assert_eq(tc_mul_size(SIZE_MAX / 2, 3, &out), -1);
	cr_assert_eq(tc_mul_size(6, 7, &out), 0);
	cr_assert_eq(out, 42);
}

Test(util_mem, outfile_renames_on_commit_and_removes_on_abort)
{
	char dir[] = "/tmp/tc_outfileXXXXXX";
	cr_assert_not_null(mkdtemp(dir));
	char path[256];
	snprintf(path, sizeof(path), "%s/out.txt", dir);
	struct tc_outfile o;
	struct tc_err err = TC_ERR_INIT;
	cr_assert_eq(tc_outfile_open(&o, path, &err), 0);
	fputs("partial", o.fp);
	cr_assert_eq(access(path, F_OK), -1, "nothing under the final name before commit");
	tc_outfile_abort(&o);
	cr_assert_eq(access(path, F_OK), -1, "abort leaves nothing behind");
	cr_assert_eq(tc_outfile_open(&o, path, &err), 0);
	fputs("done", o.fp);
	cr_assert_eq(tc_outfile_commit(&o, &err), 0);
	char *buf;
	size_t len;
	cr_assert_eq(tc_read_file(path, &buf, &len, &err), 0);
	cr_assert_str_eq(buf, "done");
	cr_assert_eq(len, 4);
	free(buf);
	unlink(path);
	rmdir(dir);
	cr_assert_lt(tc_outfile_open(&o, "/nonexistent-dir/x", &err), 0);
	cr_assert_not_null(strstr(err.msg, "/nonexistent-dir/x"));
}

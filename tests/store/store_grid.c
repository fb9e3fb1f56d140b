/* store_grid.c - the sweep plan: grid axes, the cross product, random samples, shards from
 * the command line and from array-job environments. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"

static void add_ok(struct tc_grid *g, const char *arg)
{
	struct tc_err err = TC_ERR_INIT;
	cr_assert_eq(tc_grid_add(g, arg, &err), 0, "%s: %s", arg, err.msg);
}

static void add_fails(const char *arg, const char *msg)
{
	struct tc_grid g = TC_GRID_INIT;
	struct tc_err err = TC_ERR_INIT;
	add_ok(&g, "memory.hbm.bw_gbs=1,2");
	cr_assert_eq(tc_grid_add(&g, arg, &err), TC_EINVAL, "%s should fail", arg);
	cr_assert(strstr(err.msg, msg), "%s: got '%s', want '%s'", arg, err.msg, msg);
	cr_assert(strstr(err.msg, arg) || strstr(msg, "already"), "names the argument: %s",
		  err.msg);
	cr_assert(!strchr(err.msg, '\n'));
	tc_grid_free(&g);
}

Test(store_grid, lists_and_ranges_in_mixed_radix)
{
	struct tc_grid g = TC_GRID_INIT;
	struct tc_err err = TC_ERR_INIT;
	uint64_t n;
	const char *v[2];
	add_ok(&g, "memory.hbm.bw_gbs=3350,5e3,8000");
	/* 989:2000:3 -> 989, 989 + 1011/2 = 1494.5, 2000 */
	add_ok(&g, "compute.bf16.tflops=989:2000:3");
	cr_assert_eq(g.n_axes, 2);
	cr_assert_str_eq(g.axes[0].values[1], "5000", "numbers are canonical");
	cr_assert_str_eq(g.axes[1].values[0], "989");
	cr_assert_str_eq(g.axes[1].values[1], "1494.5");
	cr_assert_str_eq(g.axes[1].values[2], "2000");
	cr_assert_eq(tc_grid_count(&g, &n, &err), 0);
	cr_assert_eq(n, 9);
	/* last axis fastest: index 4 = (1, 1), index 8 = (2, 2) */
	tc_grid_values(&g, 4, v);
	cr_assert_str_eq(v[0], "5000");
	cr_assert_str_eq(v[1], "1494.5");
	tc_grid_values(&g, 8, v);
	cr_assert_str_eq(v[0], "8000");
	cr_assert_str_eq(v[1], "2000");
	tc_grid_free(&g);
}

Test(store_grid, one_value_ranges_and_exact_ends)
{
	struct tc_grid g = TC_GRID_INIT;
	add_ok(&g, "a.b=7:7:1");
	/* 0.1:0.3:3 -> 0.1, 0.2, 0.3 (the end exactly, not 0.30000000000000004) */
	add_ok(&g, "c.d=0.1:0.3:3");
	cr_assert_eq(g.axes[0].n, 1);
	cr_assert_str_eq(g.axes[0].values[0], "7");
	cr_assert_str_eq(g.axes[1].values[1], "0.2");
	cr_assert_str_eq(g.axes[1].values[2], "0.3");
	tc_grid_free(&g);
}

Test(store_grid, bad_axes_are_one_line_errors)
{
	add_fails("memory.hbm.bw_gbs2", "expected key=v1,v2,... or key=lo:hi:n");
	add_fails("=1,2", "expected key");
	add_fails("x.y=", "no values");
	add_fails("x.y=1,,2", "empty value in the list");
	add_fails("x.y=1,2,1", "value 1 given twice");
	add_fails("x.y=1:10:0", "empty range (n = 0, needs >= 1)");
	add_fails("x.y=10:1:4", "empty range (hi 1 < lo 10)");
	add_fails("x.y=1:2", "a range is lo:hi:n");
	add_fails("x.y=a:2:3", "range ends must be numbers");
	add_fails("x.y=1:2:2.5", "whole number");
	add_fails("memory.hbm.bw_gbs=3", "key memory.hbm.bw_gbs is already swept");
}

Test(store_grid, keys_are_checked_against_the_base_spec)
{
	struct tc_hw *hw = NULL;
	struct tc_chip *chip = NULL;
	struct tc_grid g = TC_GRID_INIT;
	struct tc_err err = TC_ERR_INIT;
	cr_assert_eq(tc_hw_open(&hw, NULL, &err), 0, "%s", err.msg);
	cr_assert_eq(tc_hw_load(hw, "h100-sxm5", NULL, 0, &chip, &err), 0, "%s", err.msg);
	add_ok(&g, "memory.hbm.bw_gbs=3350,5000");
	cr_assert_eq(tc_grid_check(&g, chip, &err), 0, "%s", err.msg);
	/* the short form of the issue (and of --set) names compute.matrix.peak_tflops.bf16 */
	add_ok(&g, "compute.bf16.tflops=989:2000:8");
	cr_assert_eq(tc_grid_check(&g, chip, &err), 0, "%s", err.msg);
	cr_assert_str_eq(tc_chip_get(chip, "compute.bf16.tflops", NULL),
			 tc_chip_get(chip, "compute.matrix.peak_tflops.bf16", NULL));
	add_ok(&g, "memory.hbm.bandwidth=1,2");
	cr_assert_eq(tc_grid_check(&g, chip, &err), TC_ENOTFOUND);
	cr_assert_str_eq(err.msg, "grid key memory.hbm.bandwidth: the spec of h100-sxm5 has no "
				  "such key");
	tc_grid_free(&g);
	/* a key that holds text, not a number */
	add_ok(&g, "id=1,2");
	cr_assert_eq(tc_grid_check(&g, chip, &err), TC_EINVAL);
	cr_assert(strstr(err.msg, "not a number to sweep"), "%s", err.msg);
	tc_grid_free(&g);
	tc_chip_free(chip);
	tc_hw_free(hw);
}

Test(store_grid, random_samples_are_distinct_sorted_and_repeatable)
{
	struct tc_err err = TC_ERR_INIT;
	uint64_t *a, *b, na, nb;
	cr_assert_eq(tc_sample_indices(1000, 50, 42, &a, &na, &err), 0);
	cr_assert_eq(na, 50);
	for (uint64_t i = 1; i < na; i++)
		cr_assert_lt(a[i - 1], a[i], "sorted and distinct");
	cr_assert_lt(a[na - 1], 1000);
	cr_assert_eq(tc_sample_indices(1000, 50, 42, &b, &nb, &err), 0);
	cr_assert_eq(memcmp(a, b, sizeof(*a) * 50), 0, "same seed, same sample");
	free(b);
	cr_assert_eq(tc_sample_indices(1000, 50, 43, &b, &nb, &err), 0);
	cr_assert_neq(memcmp(a, b, sizeof(*a) * 50), 0, "another seed, another sample");
	free(a);
	free(b);
	/* asking for more than there is gives everything once */
	cr_assert_eq(tc_sample_indices(5, 9, 1, &a, &na, &err), 0);
	cr_assert_eq(na, 5);
	for (uint64_t i = 0; i < 5; i++)
		cr_assert_eq(a[i], i);
	free(a);
}

Test(store_grid, shard_argument)
{
	struct tc_shard sh;
	struct tc_err err = TC_ERR_INIT;
	cr_assert_eq(tc_shard_parse("2/5", &sh, &err), 0);
	cr_assert(sh.k == 2 && sh.n == 5);
	/* points 2, 7, 12 belong to shard 2 of 5 */
	cr_assert(tc_shard_has(&sh, 7) && !tc_shard_has(&sh, 8));
	cr_assert_eq(tc_shard_parse("5/5", &sh, &err), TC_EINVAL);
	cr_assert(strstr(err.msg, "K must be below N"), "%s", err.msg);
	cr_assert_eq(tc_shard_parse("1/0", &sh, &err), TC_EINVAL);
	cr_assert_eq(tc_shard_parse("-1/3", &sh, &err), TC_EINVAL);
	cr_assert_eq(tc_shard_parse("3", &sh, &err), TC_EINVAL);
	cr_assert(strstr(err.msg, "expected K/N"), "%s", err.msg);
}

/* A tiny fake environment for tc_shard_from_env. */
static const char *const *fake_env;
static const char *fake_getenv(const char *name)
{
	for (const char *const *e = fake_env; e && *e; e += 2)
		if (strcmp(e[0], name) == 0)
			return e[1];
	return NULL;
}

static int shard_env(const char *const *env, uint64_t count, struct tc_shard *sh,
		     struct tc_err *err)
{
	fake_env = env;
	return tc_shard_from_env(fake_getenv, count, sh, err);
}

Test(store_grid, shards_from_array_job_environments)
{
	struct tc_shard sh = {0, 1};
	struct tc_err err = TC_ERR_INIT;
	const char *none[] = {NULL};
	cr_assert_eq(shard_env(none, 0, &sh, &err), 0, "no array job: whole sweep");
	/* Slurm --array=1-4: task 3 is shard 2 of 4 */
	const char *slurm[] = {"SLURM_ARRAY_TASK_ID",
			       "3",
			       "SLURM_ARRAY_TASK_COUNT",
			       "4",
			       "SLURM_ARRAY_TASK_MIN",
			       "1",
			       "SLURM_ARRAY_TASK_MAX",
			       "4",
			       NULL};
	cr_assert_eq(shard_env(slurm, 0, &sh, &err), 1, "%s", err.msg);
	cr_assert(sh.k == 2 && sh.n == 4);
	/* Slurm --array=0-6:2 (4 tasks, not dense) */
	const char *strided[] = {"SLURM_ARRAY_TASK_ID",
				 "2",
				 "SLURM_ARRAY_TASK_COUNT",
				 "4",
				 "SLURM_ARRAY_TASK_MIN",
				 "0",
				 "SLURM_ARRAY_TASK_MAX",
				 "6",
				 NULL};
	cr_assert_eq(shard_env(strided, 0, &sh, &err), TC_EINVAL);
	cr_assert(strstr(err.msg, "use a dense array"), "%s", err.msg);
	/* Kubernetes Indexed Job: the count comes from the caller */
	const char *k8s[] = {"JOB_COMPLETION_INDEX", "5", NULL};
	cr_assert_eq(shard_env(k8s, 8, &sh, &err), 1, "%s", err.msg);
	cr_assert(sh.k == 5 && sh.n == 8);
	cr_assert_eq(shard_env(k8s, 0, &sh, &err), TC_EINVAL);
	cr_assert(strstr(err.msg, "--shard-count"), "%s", err.msg);
	cr_assert_eq(shard_env(k8s, 5, &sh, &err), TC_EINVAL, "index 5 of 5");
	/* AWS Batch with the count in TC_SHARD_COUNT */
	const char *aws[] = {"AWS_BATCH_JOB_ARRAY_INDEX", "0", "TC_SHARD_COUNT", "3", NULL};
	cr_assert_eq(shard_env(aws, 0, &sh, &err), 1, "%s", err.msg);
	cr_assert(sh.k == 0 && sh.n == 3);
	const char *bad[] = {"AWS_BATCH_JOB_ARRAY_INDEX", "x1", "TC_SHARD_COUNT", "3", NULL};
	cr_assert_eq(shard_env(bad, 0, &sh, &err), TC_EINVAL);
	cr_assert(strstr(err.msg, "AWS_BATCH_JOB_ARRAY_INDEX=x1"), "%s", err.msg);
}

Test(store_grid, hash_is_stable_hex)
{
	char a[33], b[33];
	tc_store_hash_hex("abc", 3, a);
	tc_store_hash_hex("abd", 3, b);
	cr_assert_eq(strlen(a), 32);
	cr_assert_str_neq(a, b);
	tc_store_hash_hex("abc", 3, b);
	cr_assert_str_eq(a, b);
}

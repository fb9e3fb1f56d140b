/* The comparison behind `check` and `diff`: tolerances, missing and extra metrics. */
#include <criterion/criterion.h>
#include <jansson.h>

#include "compare.h"

static json_t *J(const char *s)
{
	json_error_t e;
	json_t *j = json_loads(s, 0, &e);
	cr_assert_not_null(j, "%s", e.text);
	return j;
}

static const struct tc_cmp_row *row(const struct tc_cmp *c, const char *metric)
{
	for (size_t i = 0; i < c->n; i++)
		if (strcmp(c->rows[i].metric, metric) == 0)
			return &c->rows[i];
	cr_assert_fail("no row %s", metric);
	return NULL;
}

Test(cli_compare, tolerances_by_glob_last_rule_wins)
{
	json_t *want = J("{\"step_ns\": 1000, \"by_class\": {\"gemm\": 500, \"copy\": 10}, "
			 "\"chip\": \"h100-sxm5\"}");
	json_t *got = J("{\"step_ns\": 1009, \"by_class\": {\"gemm\": 520, \"copy\": 10.5}, "
			"\"chip\": \"h100-sxm5\"}");
	json_t *tol = J("{\"default\": {\"rel\": 0.01}, \"metrics\": {\"by_class.*\": {\"rel\": "
			"0.05}, \"by_class.copy\": {\"abs\": 0.1, \"rel\": 0}}}");
	struct tc_tol_rules rules;
	char msg[256];
	cr_assert_eq(tc_tol_parse(tol, &rules, msg, sizeof(msg)), 0, "%s", msg);
	struct tc_cmp c;
	tc_compare_json(want, got, &rules, NULL, &c);
	cr_assert_eq(c.n, 4);
	/* 1009 vs 1000: 0.9% <= 1% */
	cr_assert_eq(row(&c, "step_ns")->status, TC_CMP_PASS);
	/* 520 vs 500: 4% <= 5% */
	cr_assert_eq(row(&c, "by_class.gemm")->status, TC_CMP_PASS);
	/* copy: the later rule, abs 0.1, rel 0: |10.5-10| = 0.5 > 0.1 */
	cr_assert_eq(row(&c, "by_class.copy")->status, TC_CMP_FAIL);
	cr_assert_eq(row(&c, "chip")->status, TC_CMP_PASS);
	cr_assert_eq(c.failed, 1);
	tc_cmp_free(&c);
	tc_tol_free(&rules);
	json_decref(want);
	json_decref(got);
	json_decref(tol);
}

Test(cli_compare, missing_extra_arrays_and_ignore)
{
	json_t *want = J("{\"steps\": [{\"ns\": 1}, {\"ns\": 2}], \"a\": 1, \"version\": \"0.1\"}");
	json_t *got = J(
	    "{\"steps\": [{\"ns\": 1}, {\"ns\": 2}, {\"ns\": 3}], \"b\": 2, \"version\": \"0.2\"}");
	struct tc_tol_rules rules;
	char msg[64];
	cr_assert_eq(tc_tol_parse(NULL, &rules, msg, sizeof(msg)), 0);
	const char *ignore[] = {"version", NULL};
	struct tc_cmp c;
	tc_compare_json(want, got, &rules, ignore, &c);
	cr_assert_eq(row(&c, "steps[1].ns")->status, TC_CMP_PASS);
	cr_assert_eq(row(&c, "steps[2]")->status, TC_CMP_EXTRA);
	cr_assert_eq(row(&c, "a")->status, TC_CMP_MISSING);
	cr_assert_eq(row(&c, "b")->status, TC_CMP_EXTRA);
	cr_assert_eq(c.failed, 3);
	for (size_t i = 0; i < c.n; i++)
		cr_assert_neq(strcmp(c.rows[i].metric, "version"), 0, "ignored metric compared");
	/* rows are sorted by metric */
	for (size_t i = 1; i < c.n; i++)
		cr_assert_lt(strcmp(c.rows[i - 1].metric, c.rows[i].metric), 0);
	tc_cmp_free(&c);
	json_decref(want);
	json_decref(got);
}

Test(cli_compare, bad_tolerances_are_named)
{
	struct tc_tol_rules rules;
	char msg[256];
	json_t *t = J("{\"metrics\": {\"x\": {\"rel\": -1}}}");
	cr_assert_eq(tc_tol_parse(t, &rules, msg, sizeof(msg)), -1);
	cr_assert_str_eq(msg, "tolerance.metrics.x.rel: expected a number >= 0");
	tc_tol_free(&rules);
	json_decref(t);
	t = J("{\"defualt\": {}}");
	cr_assert_eq(tc_tol_parse(t, &rules, msg, sizeof(msg)), -1);
	cr_assert_str_eq(msg, "tolerance.defualt: unknown key (default, metrics)");
	tc_tol_free(&rules);
	json_decref(t);
}

/* Arrays of named rows compare by name: a reordered list changes nothing, a row that left is
 * MISSING under its name, a new one EXTRA, a repeated name gets #2 */
Test(cli_compare, named_rows_by_key)
{
	json_t *want =
	    J("{\"by_class\": [{\"class\": \"gemm\", \"ns\": 5}, {\"class\": \"norm\", "
	      "\"ns\": 2}], \"top\": [{\"name\": \"k\", \"ns\": 1}, {\"name\": \"k\", \"ns\": 3}],"
	      " \"steps\": [{\"rank\": 1, \"name\": \"S#1\", \"ns\": 9}], \"xs\": [1, 2]}");
	json_t *got =
	    J("{\"by_class\": [{\"class\": \"norm\", \"ns\": 2}, {\"class\": \"copy\", "
	      "\"ns\": 1}], \"top\": [{\"name\": \"k\", \"ns\": 1}, {\"name\": \"k\", \"ns\": 4}],"
	      " \"steps\": [{\"rank\": 1, \"name\": \"S#1\", \"ns\": 9}], \"xs\": [1, 3]}");
	struct tc_tol_rules rules;
	char msg[64];
	cr_assert_eq(tc_tol_parse(NULL, &rules, msg, sizeof(msg)), 0);
	struct tc_cmp c;
	tc_compare_json(want, got, &rules, NULL, &c);
	cr_assert_eq(row(&c, "by_class.norm.ns")->status, TC_CMP_PASS);
	cr_assert_eq(row(&c, "by_class.gemm.ns")->status, TC_CMP_MISSING);
	cr_assert_eq(row(&c, "by_class.copy")->status, TC_CMP_EXTRA);
	cr_assert_eq(row(&c, "top.k.ns")->status, TC_CMP_PASS);
	cr_assert_eq(row(&c, "top.k#2.ns")->status, TC_CMP_FAIL);
	cr_assert_eq(row(&c, "steps.rank1:S#1.ns")->status, TC_CMP_PASS);
	/* arrays of plain values stay positional */
	cr_assert_eq(row(&c, "xs[1]")->status, TC_CMP_FAIL);
	cr_assert_eq(c.failed, 5); /* gemm.class and gemm.ns, copy, top.k#2.ns, xs[1] */
	tc_cmp_free(&c);
	json_decref(want);
	json_decref(got);
}

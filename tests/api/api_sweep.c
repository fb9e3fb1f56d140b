/* tc_api_sweep (api/tracecast.h): a sweep's rows equal single projections and move with the
 * grid, the database holds what the result says, and a progress callback that returns
 * non-zero cancels cleanly (what was computed is kept and a re-run does the rest). */
#include <criterion/criterion.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tracecast.h"

static char dir[256], tcs[300], db[300];
static struct tc_api *api;

static void setup(void)
{
	snprintf(dir, sizeof(dir), "%s/tc_api_sweep_XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(tcs, sizeof(tcs), "%s/sample.tcs", dir);
	snprintf(db, sizeof(db), "%s/r.db", dir);
	cr_assert_eq(tc_api_new(&api, getenv("TC_SPECS")), 0);
	char req[1024];
	snprintf(
	    req, sizeof(req),
	    "{\"inputs\": [\"%s/traces/sample/train_a100_rank0.json.gz\"], \"output\": \"%s\"}",
	    getenv("TC_SRCDIR"), tcs);
	cr_assert_eq(tc_api_ingest(api, req), 0, "%s", tc_api_error(api));
}

static void teardown(void)
{
	char cmd[400];
	tc_api_free_ctx(api);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(api_sweep, .init = setup, .fini = teardown, .timeout = 300);

/* The request template with its first %s the trace and its second (if any) extra keys. */
static void fill(char *out, size_t n, const char *tmpl, const char *extra)
{
	const char *a = strstr(tmpl, "%s"), *b = a ? strstr(a + 2, "%s") : NULL;
	cr_assert_not_null(a);
	if (b)
		snprintf(out, n, "%.*s%s%.*s%s%s", (int)(a - tmpl), tmpl, tcs, (int)(b - a - 2),
			 a + 2, extra ? extra : "", b + 2);
	else
		snprintf(out, n, "%.*s%s%s", (int)(a - tmpl), tmpl, tcs, a + 2);
}

static json_t *sweep(const char *tmpl, const char *extra, tc_api_progress_fn fn, void *user)
{
	char req[2048], *out = NULL;
	fill(req, sizeof(req), tmpl, extra);
	int rc = tc_api_sweep(api, req, fn, user, &out);
	cr_assert_eq(rc, 0, "%s: %s", req, tc_api_error(api));
	cr_assert_str_empty(tc_api_error(api));
	json_t *j = json_loads(out, 0, NULL);
	cr_assert_not_null(j, "%s", out);
	tc_api_free(out);
	return j;
}

static double num(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	cr_assert(json_is_number(v), "%s", key);
	return json_number_value(v);
}

static double db_count(void)
{
	char *out = NULL;
	cr_assert_eq(tc_api_query(api, db, "SELECT count(*) FROM results", &out), 0, "%s",
		     tc_api_error(api));
	json_t *j = json_loads(out, 0, NULL);
	double n = atof(
	    json_string_value(json_array_get(json_array_get(json_object_get(j, "rows"), 0), 0)));
	json_decref(j);
	tc_api_free(out);
	return n;
}

static double project_step(const char *sets)
{
	char req[1024], *out = NULL;
	snprintf(req, sizeof(req),
		 "{\"inputs\": [\"%s\"], \"target\": \"h100\", \"band\": 0, \"set\": [%s]}", tcs,
		 sets);
	cr_assert_eq(tc_api_project(api, req, &out, NULL), 0, "%s", tc_api_error(api));
	json_t *j = json_loads(out, 0, NULL);
	double v = num(json_object_get(j, "summary"), "projected_step_ns");
	json_decref(j);
	tc_api_free(out);
	return v;
}

#define GRID4                                                                                      \
	"{\"traces\": [\"%s\"], \"target\": \"h100\", \"jobs\": 2, \"grid\": {"                    \
	"\"memory.hbm.bw_gbs\": [1000, 6000], \"compute.matrix.peak_tflops.bf16\": "               \
	"\"200:1400:2\"}%s}"

Test(api_sweep, rows_equal_single_projections_and_move_with_the_grid)
{
	char extra[400];
	snprintf(extra, sizeof(extra), ", \"db\": \"%s\"", db);
	json_t *j = sweep(GRID4, extra, NULL, NULL);
	json_t *rows = json_object_get(j, "rows");
	cr_assert_eq(json_array_size(rows), 4);
	cr_assert_eq(num(j, "computed"), 4);
	cr_assert_eq(num(j, "stored"), 4);
	cr_assert(json_is_true(json_object_get(j, "complete")));
	cr_assert(json_is_false(json_object_get(j, "cancelled")));
	cr_assert_eq(db_count(), 4);
	/* grid order, last axis fastest: (1000, 200), (1000, 1400), (6000, 200), (6000, 1400) */
	static const double bw[] = {1000, 1000, 6000, 6000}, pk[] = {200, 1400, 200, 1400};
	double step[4];
	for (size_t i = 0; i < 4; i++) {
		json_t *r = json_array_get(rows, i);
		cr_assert_eq(num(r, "memory.hbm.bw_gbs"), bw[i]);
		cr_assert_eq(num(r, "compute.matrix.peak_tflops.bf16"), pk[i]);
		cr_assert_str_eq(json_string_value(json_object_get(r, "trace")), tcs);
		step[i] = num(r, "step_ns");
		char sets[200];
		snprintf(sets, sizeof(sets),
			 "\"memory.hbm.bw_gbs=%g\", \"compute.matrix.peak_tflops.bf16=%g\"", bw[i],
			 pk[i]);
		double want = project_step(sets);
		cr_assert(fabs(step[i] - want) <= 1e-9 * want,
			  "point %zu: sweep %.17g, project %.17g", i, step[i], want);
		cr_assert_gt(num(r, "energy_j"), 0);
		cr_assert(json_is_object(json_object_get(r, "class_ns")));
	}
	/* every axis moves the step: more bandwidth and more FLOPs are faster */
	cr_assert_lt(step[2], step[0]);
	cr_assert_lt(step[1], step[0]);
	cr_assert_lt(step[3], step[2]);
	json_decref(j);

	/* again: every point is already stored */
	j = sweep(GRID4, extra, NULL, NULL);
	cr_assert_eq(num(j, "skipped"), 4);
	cr_assert_eq(json_array_size(json_object_get(j, "rows")), 0);
	json_decref(j);
	/* without a database: the rows only, the same figures */
	j = sweep(GRID4, NULL, NULL, NULL);
	cr_assert_eq(num(j, "stored"), 0);
	rows = json_object_get(j, "rows");
	cr_assert_eq(json_array_size(rows), 4);
	for (size_t i = 0; i < 4; i++)
		cr_assert_eq(num(json_array_get(rows, i), "step_ns"), step[i]);
	json_decref(j);
}

/* The last axis (power) changes no op's cost, so neighbouring configurations share one
 * timeline: with two workers one sets its points aside while the other simulates
 * (tc_replay_memo_start). Every point still comes out once, with the figures of one worker. */
#define GRID_POWER(jobs)                                                                           \
	"{\"traces\": [\"%s\"], \"target\": \"h100\", \"jobs\": " #jobs ", \"grid\": {"            \
	"\"memory.hbm.bw_gbs\": [1000, 2000, 4000, 6000], \"power.tdp_w\": \"300:900:8\"}}"

Test(api_sweep, two_workers_sharing_timelines_give_the_rows_of_one)
{
	json_t *one = sweep(GRID_POWER(1), NULL, NULL, NULL);
	json_t *two = sweep(GRID_POWER(2), NULL, NULL, NULL);
	cr_assert_eq(num(two, "computed"), 32);
	json_t *r1 = json_object_get(one, "rows"), *r2 = json_object_get(two, "rows");
	cr_assert_eq(json_array_size(r1), 32);
	cr_assert_eq(json_array_size(r2), 32);
	for (size_t i = 0; i < 32; i++)
		cr_assert(json_equal(json_array_get(r1, i), json_array_get(r2, i)), "row %zu", i);
	/* the power axis moves energy, not time */
	cr_assert_eq(num(json_array_get(r2, 0), "step_ns"), num(json_array_get(r2, 7), "step_ns"));
	cr_assert_neq(num(json_array_get(r2, 0), "energy_j"),
		      num(json_array_get(r2, 7), "energy_j"));
	json_decref(one);
	json_decref(two);
}

struct prog {
	int calls, cancel_at;
	uint64_t last_done, total;
	int monotonic;
};

static int on_progress(void *user, uint64_t done, uint64_t total)
{
	struct prog *p = user;
	p->calls++;
	if (done < p->last_done || done > total)
		p->monotonic = 0;
	p->last_done = done;
	p->total = total;
	return p->cancel_at && p->calls >= p->cancel_at;
}

/* 20 x 20 x 25 = 10,000 configurations without the memo: far longer than a progress tick */
#define BIG                                                                                        \
	"{\"traces\": [\"%s\"], \"target\": \"h100\", \"jobs\": 1, \"memo\": false, "              \
	"\"grid\": {\"memory.hbm.bw_gbs\": \"1000:9000:20\", "                                     \
	"\"compute.matrix.peak_tflops.bf16\": \"300:1500:20\", \"power.tdp_w\": "                  \
	"\"300:1200:25\"}%s}"

Test(api_sweep, progress_that_returns_nonzero_cancels_cleanly)
{
	char extra[400];
	snprintf(extra, sizeof(extra), ", \"db\": \"%s\"", db);
	struct prog p = {.cancel_at = 1, .monotonic = 1};
	json_t *j = sweep(BIG, extra, on_progress, &p);
	cr_assert_geq(p.calls, 1);
	cr_assert(p.monotonic);
	cr_assert_eq(p.total, 10000);
	cr_assert_eq(num(j, "points"), 10000);
	cr_assert(json_is_true(json_object_get(j, "cancelled")));
	cr_assert(json_is_false(json_object_get(j, "complete")));
	double computed = num(j, "computed");
	cr_assert_lt(computed, 10000);
	/* what it computed is returned and stored, nothing else */
	cr_assert_eq(json_array_size(json_object_get(j, "rows")), (size_t)computed);
	cr_assert_eq(num(j, "stored"), computed);
	cr_assert_eq(db_count(), computed);
	json_decref(j);

	/* a second call resumes: the stored points are skipped, a limit bounds the new ones */
	struct prog q = {.monotonic = 1};
	snprintf(extra, sizeof(extra), ", \"limit\": 5, \"db\": \"%s\"", db);
	j = sweep(BIG, extra, on_progress, &q);
	cr_assert_eq(num(j, "skipped"), computed);
	cr_assert_eq(num(j, "computed"), 5);
	cr_assert(json_is_false(json_object_get(j, "cancelled")));
	cr_assert_eq(q.last_done, (uint64_t)computed + 5);
	cr_assert(q.monotonic);
	cr_assert_eq(db_count(), computed + 5);
	json_decref(j);
}

Test(api_sweep, bad_requests_are_one_line_errors)
{
	static const char *const bad[][2] = {
	    {"{\"traces\": [\"%s\"], \"target\": \"h100\", \"grid\": {\"memory.hbm.nope\": [1, "
	     "2]}}",
	     "memory.hbm.nope"},
	    {"{\"traces\": [\"%s\"], \"target\": \"h100\", \"grid\": {\"memory.hbm.bw_gbs\": "
	     "\"5:1:3\"}}",
	     "memory.hbm.bw_gbs"},
	    {"{\"traces\": [\"%s\"], \"target\": \"h100\", \"gird\": {}}", "\"gird\""},
	    {"{\"traces\": [\"%s\"]}", "\"target\""},
	    {"{\"traces\": [\"%s.missing\"], \"target\": \"h100\"}", ".missing"},
	    {"{\"traces\": [\"%s\"], \"target\": \"h900\"}", "h900"},
	    {"{\"traces\": [\"%s\"], \"target\": \"h100\", \"jobs\": -1}", "\"jobs\""},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char req[1024], *out = (char *)"untouched";
		fill(req, sizeof(req), bad[i][0], NULL);
		cr_assert_lt(tc_api_sweep(api, req, NULL, NULL, &out), 0, "%s", req);
		cr_assert_null(out);
		const char *e = tc_api_error(api);
		cr_assert(strstr(e, bad[i][1]), "%s: %s", req, e);
		cr_assert_null(strchr(e, '\n'), "%s", e);
	}
}

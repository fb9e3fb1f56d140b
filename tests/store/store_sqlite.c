/* store_sqlite.c - the results database on SQLite: schema, versions and migration, resume
 * (points stored once), locks, read-only files, and the canned queries on hand-made points
 * whose answers are worked out in the comments. */
#include <criterion/criterion.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store_common.h"

static char dir[256], db[300];

static void setup(void)
{
	tmpdir(dir, sizeof(dir));
	snprintf(db, sizeof(db), "%s/results.db", dir);
}

static void teardown(void)
{
	char cmd[400];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(store_sqlite, .init = setup, .fini = teardown);

static struct tc_store *open_db(const char *uri, const struct tc_store_opts *o)
{
	struct tc_err err = TC_ERR_INIT;
	struct tc_store *s = NULL;
	int rc = tc_store_open(&s, uri, o, &err);
	cr_assert_eq(rc, 0, "open %s: %s", uri, err.msg);
	return s;
}

/* Five points on trace t1 (see the query tests for the expected answers). */
static void five(struct tpoint *p, const char *trace)
{
	tpoint_init(&p[0], trace, 0, "1000", 500, 10, 5);
	tpoint_init(&p[1], trace, 1, "2000", 400, 8, 6);
	tpoint_init(&p[2], trace, 2, "3000", 300, 6, 7);
	tpoint_init(&p[3], trace, 3, "2000", 450, 7, 5.5);
	tpoint_init(&p[4], trace, 4, "1000", 600, 10, 4);
}

Test(store_sqlite, new_database_has_current_schema_in_wal_mode)
{
	char b[256];
	struct tc_store *s = open_db(db, NULL);
	cr_assert_str_eq(tc_store_backend(s), "sqlite");
	cr_assert_eq(tc_store_schema_version(s), TC_STORE_SCHEMA_VERSION);
	cr_assert_str_eq(
	    one(s, "SELECT value FROM tc_meta WHERE key = 'schema_version'", b, sizeof(b)), "2");
	cr_assert_str_eq(one(s, "PRAGMA journal_mode", b, sizeof(b)), "wal");
	cr_assert_str_eq(one(s,
			     "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name "
			     "LIKE 'results_%'",
			     b, sizeof(b)),
			 "3");
	tc_store_close(s);
	/* reopening finds it as it was */
	s = open_db(db, NULL);
	cr_assert_eq(tc_store_schema_version(s), 2);
	tc_store_close(s);
}

Test(store_sqlite, points_are_stored_once_and_resume_set_lists_them)
{
	struct tc_err err = TC_ERR_INIT;
	struct tpoint p[5];
	char b[256];
	struct tc_store *s = open_db(db, NULL);
	put_trace(s, "t1", "/x/a.tcs");
	five(p, "t1");
	cr_assert_eq(put(s, p, 3, &err), 3, "%s", err.msg);
	/* re-running the first three and adding two: only the two are new */
	cr_assert_eq(put(s, p, 5, &err), 2, "%s", err.msg);
	cr_assert_eq(put(s, p, 5, &err), 0, "%s", err.msg);
	cr_assert_str_eq(one(s, "SELECT count(*) FROM results", b, sizeof(b)), "5");
	cr_assert_str_eq(one(s, "SELECT count(*) FROM configs", b, sizeof(b)), "5");
	cr_assert_str_eq(one(s, "SELECT count(*) FROM config_params", b, sizeof(b)), "5");
	/* NaN energy is NULL; class breakdown as JSON: gemm = 400 / 2 for cfg01 */
	cr_assert_str_eq(
	    one(s, "SELECT count(*) FROM results WHERE energy_j IS NULL", b, sizeof(b)), "5");
	cr_assert_str_eq(
	    one(s, "SELECT class_ns FROM results WHERE config_hash = 'cfg01'", b, sizeof(b)),
	    "{\"gemm\":200}");
	cr_assert_str_eq(
	    one(s, "SELECT overrides FROM configs WHERE config_hash = 'cfg01'", b, sizeof(b)),
	    "{\"memory.hbm.bw_gbs\":2000}");
	tc_store_close(s);
}

static int count_keys(void *ctx, const char *trace, const char *config)
{
	cr_assert_str_eq(trace, "t1");
	cr_assert(strncmp(config, "cfg0", 4) == 0);
	(*(int *)ctx)++;
	return 0;
}

Test(store_sqlite, resume_set_is_per_tool_version)
{
	struct tc_err err = TC_ERR_INIT;
	struct tpoint p[5];
	int n = 0;
	struct tc_store *s = open_db(db, NULL);
	put_trace(s, "t1", "/x/a.tcs");
	five(p, "t1");
	p[4].res.tool_version = "test-2";
	cr_assert_eq(put(s, p, 5, &err), 5, "%s", err.msg);
	cr_assert_eq(tc_store_each_point(s, "test-1", count_keys, &n, &err), 0, "%s", err.msg);
	cr_assert_eq(n, 4);
	n = 0;
	cr_assert_eq(tc_store_each_point(s, "test-9", count_keys, &n, &err), 0);
	cr_assert_eq(n, 0);
	tc_store_close(s);
}

Test(store_sqlite, newer_schema_version_is_refused)
{
	struct tc_err err = TC_ERR_INIT;
	struct tc_store *s = open_db(db, NULL);
	struct tc_store_rows *r = NULL;
	cr_assert_eq(tc_store_sql(s, "UPDATE tc_meta SET value = '7' WHERE key = 'schema_version'",
				  &r, &err),
		     0, "%s", err.msg);
	tc_store_rows_free(r);
	tc_store_close(s);
	s = NULL;
	cr_assert_eq(tc_store_open(&s, db, NULL, &err), TC_EVERSION);
	cr_assert_null(s);
	cr_assert(strstr(err.msg, "schema version 7 is newer than this tracecast supports (2)"),
		  "%s", err.msg);
	cr_assert(strstr(err.msg, db), "names the file: %s", err.msg);
}

Test(store_sqlite, other_applications_database_is_refused)
{
	struct tc_err err = TC_ERR_INIT;
	struct tc_store *s = NULL;
	sqlite3 *raw;
	cr_assert_eq(sqlite3_open(db, &raw), SQLITE_OK);
	cr_assert_eq(sqlite3_exec(raw, "CREATE TABLE results (x INTEGER)", NULL, NULL, NULL),
		     SQLITE_OK);
	sqlite3_close(raw);
	cr_assert_eq(tc_store_open(&s, db, NULL, &err), TC_EVERSION);
	cr_assert(strstr(err.msg, "not a tracecast results database"), "%s", err.msg);
}

Test(store_sqlite, garbage_file_is_refused)
{
	struct tc_err err = TC_ERR_INIT;
	struct tc_store *s = NULL;
	FILE *fp = fopen(db, "w");
	cr_assert(fp);
	for (int i = 0; i < 200; i++)
		fputs("this is not an SQLite file\n", fp);
	fclose(fp);
	cr_assert_eq(tc_store_open(&s, db, NULL, &err), TC_EDB);
	cr_assert(strstr(err.msg, "file is not a database"), "%s", err.msg);
	cr_assert(!strchr(err.msg, '\n'));
}

Test(store_sqlite, version_1_database_is_migrated_and_backfilled)
{
	struct tc_err err = TC_ERR_INIT;
	struct tc_store_opts o = TC_STORE_OPTS_INIT;
	struct tpoint p[5];
	char b[256];
	o.schema_version = 1;
	struct tc_store *s = open_db(db, &o);
	cr_assert_eq(tc_store_schema_version(s), 1);
	put_trace(s, "t1", "/x/a.tcs");
	five(p, "t1");
	cr_assert_eq(put(s, p, 5, &err), 5, "%s", err.msg);
	cr_assert_str_eq(
	    one(s, "SELECT count(*) FROM sqlite_master WHERE name = 'config_params'", b, sizeof(b)),
	    "0");
	tc_store_close(s);
	/* read-only opening does not migrate: it says how */
	o.schema_version = 0;
	o.read_only = 1;
	cr_assert_eq(tc_store_open(&s, db, &o, &err), TC_EVERSION);
	cr_assert(strstr(err.msg, "older than 2"), "%s", err.msg);
	s = open_db(db, NULL);
	cr_assert_eq(tc_store_schema_version(s), 2);
	/* the overrides of cfg01 were {"memory.hbm.bw_gbs": 2000} */
	cr_assert_str_eq(one(s,
			     "SELECT value || '|' || num FROM config_params WHERE config_hash = "
			     "'cfg01' AND key = 'memory.hbm.bw_gbs'",
			     b, sizeof(b)),
			 "2000|2000.0");
	cr_assert_str_eq(one(s, "SELECT count(*) FROM config_params", b, sizeof(b)), "5");
	tc_store_close(s);
}

Test(store_sqlite, locked_database_gives_a_clear_error)
{
	struct tc_err err = TC_ERR_INIT;
	struct tc_store_opts o = TC_STORE_OPTS_INIT;
	struct tpoint p[5];
	sqlite3 *raw;
	struct tc_store *s = open_db(db, NULL);
	put_trace(s, "t1", "/x/a.tcs");
	tc_store_close(s);
	/* another writer holds the write lock */
	cr_assert_eq(sqlite3_open(db, &raw), SQLITE_OK);
	cr_assert_eq(sqlite3_exec(raw, "BEGIN EXCLUSIVE", NULL, NULL, NULL), SQLITE_OK);
	o.busy_ms = 50;
	s = open_db(db, &o);
	five(p, "t1");
	cr_assert_eq(put(s, p, 2, &err), (size_t)-1);
	cr_assert_eq(err.code, TC_EDB);
	cr_assert(strstr(err.msg, "database is locked by another writer (waited 50 ms)"), "%s",
		  err.msg);
	/* once it lets go, the same handle writes */
	cr_assert_eq(sqlite3_exec(raw, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(raw);
	tc_err_clear(&err);
	cr_assert_eq(put(s, p, 2, &err), 2, "%s", err.msg);
	tc_store_close(s);
}

Test(store_sqlite, read_only_database_is_refused_for_writing)
{
	struct tc_err err = TC_ERR_INIT;
	struct tc_store_opts o = TC_STORE_OPTS_INIT;
	struct tc_store *s = open_db(db, NULL);
	char uri[400];
	tc_store_close(s);
	s = NULL;
	/* a read-only file (root ignores permission bits, so the URI says it too) */
	cr_assert_eq(chmod(db, 0444), 0);
	snprintf(uri, sizeof(uri), "%s", db);
	if (geteuid() == 0)
		snprintf(uri, sizeof(uri), "file:%s?mode=ro", db);
	cr_assert_neq(tc_store_open(&s, uri, NULL, &err), 0);
	cr_assert_null(s);
	cr_assert(strstr(err.msg, "read-only"), "%s", err.msg);
	/* reading it is fine, and writing through a read-only handle is refused */
	o.read_only = 1;
	s = open_db(uri, &o);
	struct tpoint p[1];
	tpoint_init(&p[0], "t1", 0, "1", 1, 1, 1);
	tc_err_clear(&err);
	cr_assert_eq(put(s, p, 1, &err), (size_t)-1);
	cr_assert(strstr(err.msg, "opened read-only"), "%s", err.msg);
	tc_store_close(s);
}

Test(store_sqlite, read_only_open_of_missing_database_fails)
{
	struct tc_err err = TC_ERR_INIT;
	struct tc_store_opts o = TC_STORE_OPTS_INIT;
	struct tc_store *s = NULL;
	o.read_only = 1;
	cr_assert_eq(tc_store_open(&s, db, &o, &err), TC_EDB);
	cr_assert(strstr(err.msg, "cannot open database"), "%s", err.msg);
	cr_assert_eq(access(db, F_OK), -1, "no file created");
}

Test(store_sqlite, postgresql_uri_without_server_fails_cleanly)
{
	struct tc_err err = TC_ERR_INIT;
	struct tc_store *s = NULL;
	/* port 1 on loopback: nothing listens there */
	int rc =
	    tc_store_open(&s, "postgresql://u:secret@127.0.0.1:1/db?connect_timeout=2", NULL, &err);
	cr_assert_lt(rc, 0);
	cr_assert_null(s);
	cr_assert(!strstr(err.msg, "secret"), "password masked: %s", err.msg);
	if (tc_store_has_postgresql())
		cr_assert(strstr(err.msg, "cannot connect"), "%s", err.msg);
	else
		cr_assert(strstr(err.msg, "without PostgreSQL"), "%s", err.msg);
	cr_assert(!strchr(err.msg, '\n'));
}

/* ---- queries ------------------------------------------------------------------------------ */

static struct tc_store *query_db(void)
{
	struct tc_err err = TC_ERR_INIT;
	struct tpoint p[6];
	struct tc_store *s = open_db(db, NULL);
	put_trace(s, "t1", "/x/a.tcs");
	put_trace(s, "t2", "/y/b.tcs");
	five(p, "t1");
	tpoint_init(&p[5], "t2", 1, "2000", 800, 3, 2);
	cr_assert_eq(put(s, p, 6, &err), 6, "%s", err.msg);
	return s;
}

Test(store_sqlite, pareto_front_per_trace)
{
	struct tc_err err = TC_ERR_INIT;
	struct tc_store_rows *r = NULL;
	struct tc_store *s = query_db();
	/* t1 by (perf_per_watt, perf_per_dollar), both higher-better:
	 *   cfg00 (10, 5)  cfg04 (10, 4): same W, worse $  -> dominated by cfg00
	 *   cfg01 (8, 6)   cfg03 (7, 5.5): worse on both  -> dominated by cfg01
	 *   cfg02 (6, 7)
	 * front: cfg00, cfg01, cfg02; t2 has one point: cfg01. */
	cr_assert_eq(tc_store_pareto(s, "perf_per_watt", "perf_per_dollar", NULL, &r, &err), 0,
		     "%s", err.msg);
	cr_assert_eq(r->nrows, 4);
	cr_assert_str_eq(r->names[0], "trace");
	cr_assert_str_eq(r->names[3], "perf_per_watt");
	cr_assert_str_eq(r->names[4], "perf_per_dollar");
	const char *want[][3] = {{"/x/a.tcs", "cfg00", "10"},
				 {"/x/a.tcs", "cfg01", "8"},
				 {"/x/a.tcs", "cfg02", "6"},
				 {"/y/b.tcs", "cfg01", "3"}};
	for (size_t i = 0; i < 4; i++) {
		cr_assert_str_eq(tc_store_cell(r, i, 0), want[i][0]);
		cr_assert_str_eq(tc_store_cell(r, i, 1), want[i][1]);
		cr_assert_str_eq(tc_store_cell(r, i, 3), want[i][2]);
	}
	cr_assert(r->numeric[3] && !r->numeric[0]);
	tc_store_rows_free(r);
	tc_store_close(s);
}

Test(store_sqlite, best_step_time_with_where)
{
	struct tc_err err = TC_ERR_INIT;
	struct tc_store_rows *r = NULL;
	struct tc_store *s = query_db();
	/* fastest on t1: cfg02 at 300 ns; on t2 the only point at 800 */
	cr_assert_eq(tc_store_best(s, "step_time", NULL, &r, &err), 0, "%s", err.msg);
	cr_assert_eq(r->nrows, 2);
	cr_assert_str_eq(tc_store_cell(r, 0, 1), "cfg02");
	cr_assert_str_eq(tc_store_cell(r, 0, 3), "300");
	cr_assert_str_eq(tc_store_cell(r, 1, 3), "800");
	tc_store_rows_free(r);
	/* with bandwidth <= 2000 on a.tcs (by base name): cfg01 at 400 */
	cr_assert_eq(
	    tc_store_best(s, "step_time", "trace=a.tcs and memory.hbm.bw_gbs<=2000", &r, &err), 0,
	    "%s", err.msg);
	cr_assert_eq(r->nrows, 1);
	cr_assert_str_eq(tc_store_cell(r, 0, 1), "cfg01");
	tc_store_rows_free(r);
	/* by trace hash prefix, and a metric bound */
	cr_assert_eq(tc_store_best(s, "perf_per_dollar", "trace=t2, step_ns>100", &r, &err), 0,
		     "%s", err.msg);
	cr_assert_eq(r->nrows, 1);
	cr_assert_str_eq(tc_store_cell(r, 0, 0), "/y/b.tcs");
	tc_store_rows_free(r);
	tc_store_close(s);
}

Test(store_sqlite, sensitivity_groups_by_swept_value)
{
	struct tc_err err = TC_ERR_INIT;
	struct tc_store_rows *r = NULL;
	struct tc_store *s = query_db();
	/* t1: 1000 -> cfg00 500, cfg04 600: mean 550; 2000 -> 400, 450: mean 425; 3000 -> 300 */
	cr_assert_eq(tc_store_sensitivity(s, "memory.hbm.bw_gbs", "trace=/x/a.tcs", &r, &err), 0,
		     "%s", err.msg);
	cr_assert_eq(r->nrows, 3);
	const char *want[][5] = {{"1000", "2", "550", "500", "600"},
				 {"2000", "2", "425", "400", "450"},
				 {"3000", "1", "300", "300", "300"}};
	for (size_t i = 0; i < 3; i++)
		for (size_t c = 0; c < 5; c++)
			cr_assert_str_eq(tc_store_cell(r, i, c + 1), want[i][c], "row %zu col %zu",
					 i, c + 1);
	tc_store_rows_free(r);
	cr_assert_eq(tc_store_sensitivity(s, "compute.bf16.tflops", NULL, &r, &err), TC_ENOTFOUND);
	cr_assert(strstr(err.msg, "no stored point sweeps compute.bf16.tflops"), "%s", err.msg);
	tc_store_close(s);
}

Test(store_sqlite, bad_queries_are_one_line_errors)
{
	struct tc_err err = TC_ERR_INIT;
	struct tc_store_rows *r = NULL;
	struct tc_store *s = query_db();
	cr_assert_eq(tc_store_best(s, "tokens", NULL, &r, &err), TC_EINVAL);
	cr_assert(strstr(err.msg, "unknown metric 'tokens'"), "%s", err.msg);
	cr_assert_eq(tc_store_best(s, "speedup", "colour=red", &r, &err), TC_EINVAL);
	cr_assert(strstr(err.msg, "unknown key colour"), "%s", err.msg);
	cr_assert_eq(tc_store_best(s, "speedup", "trace>3", &r, &err), TC_EINVAL);
	cr_assert(strstr(err.msg, "takes '=' only"), "%s", err.msg);
	cr_assert_eq(tc_store_pareto(s, "speedup", "speedup", NULL, &r, &err), TC_EINVAL);
	cr_assert_lt(tc_store_sql(s, "SELECT nope FROM results", &r, &err), 0);
	cr_assert(strstr(err.msg, "no such column: nope"), "%s", err.msg);
	cr_assert_lt(tc_store_sql(s, "SELECT 1; SELECT 2", &r, &err), 0);
	cr_assert(strstr(err.msg, "one SQL statement at a time"), "%s", err.msg);
	tc_store_close(s);
}

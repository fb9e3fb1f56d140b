/* store_sweep.c - tracecast sweep and query end to end on SQLite, over the project's sample
 * trace: results equal `tracecast project` for the same configuration, re-runs resume, an
 * interrupted sweep keeps what it committed, bad grids and databases fail with one line. */
#include <jansson.h>
#include <math.h>
#include <signal.h>
#include <sqlite3.h>
#include <errno.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "store_e2e.h"

TestSuite(store_sweep, .init = e2e_setup, .fini = e2e_teardown, .timeout = 600);

/* One number from the database, read with SQLite directly (not through the store); NaN when
 * the query cannot run yet (tolerant: the sweep may still be creating the schema). */
static double db_try(const char *sql)
{
	char path[300];
	sqlite3 *db;
	sqlite3_stmt *st;
	double v = NAN;
	snprintf(path, sizeof(path), "%s/r.db", e2e_dir);
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		sqlite3_close(db);
		return NAN;
	}
	sqlite3_busy_timeout(db, 5000);
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
			v = sqlite3_column_double(st, 0);
		sqlite3_finalize(st);
	}
	sqlite3_close(db);
	return v;
}

/* The same, asserting that the query runs. */
static double db_num(const char *sql)
{
	char path[300];
	sqlite3 *db;
	sqlite3_stmt *st;
	double v = NAN;
	snprintf(path, sizeof(path), "%s/r.db", e2e_dir);
	cr_assert_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK, "%s: %s", sql,
		     sqlite3_errmsg(db));
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
		v = sqlite3_column_double(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

static void near(double got, double want, const char *what)
{
	cr_assert(fabs(got - want) <= 1e-9 * fabs(want), "%s: sweep %.17g, project %.17g", what,
		  got, want);
}

Test(store_sweep, a_point_equals_tracecast_project)
{
	/* one configuration: the sweep's row must hold the projection report's summary */
	int rc = tc_run("sweep --traces sample.tcs --base h100 --grid memory.hbm.bw_gbs=5000 "
			"--grid compute.matrix.peak_tflops.bf16=1500 --db r.db --jobs 1");
	cr_assert_eq(rc, 0, "%s", e2e_errout);
	cr_assert(strstr(e2e_out, "1 points stored, 0 already there, complete"), "%s", e2e_out);
	/* issue 18: --sensitivity takes the short key a sweep grid takes */
	rc = tc_run("query r.db --sensitivity compute.bf16.tflops --csv");
	cr_assert_eq(rc, 0, "%s", e2e_errout);
	cr_assert(strstr(e2e_out, "\nsample.tcs,1500,1,"), "%s", e2e_out);
	rc = tc_run("project sample.tcs --target h100 --set memory.hbm.bw_gbs=5000 "
		    "--set compute.matrix.peak_tflops.bf16=1500 --json p.json -q");
	cr_assert_eq(rc, 0, "%s", e2e_errout);
	char path[300];
	snprintf(path, sizeof(path), "%s/p.json", e2e_dir);
	json_error_t je;
	json_t *j = json_load_file(path, 0, &je);
	cr_assert(j, "%s", je.text);
	json_t *sum = json_object_get(j, "summary");
	near(db_num("SELECT step_ns FROM results"),
	     json_number_value(json_object_get(sum, "projected_step_ns")), "step time");
	near(db_num("SELECT source_step_ns FROM results"),
	     json_number_value(json_object_get(sum, "source_step_ns")), "source step time");
	near(db_num("SELECT speedup FROM results"),
	     json_number_value(json_object_get(sum, "speedup")), "speedup");
	near(db_num("SELECT energy_j FROM results"),
	     json_number_value(json_object_get(sum, "projected_energy_j_per_step")), "energy");
	near(db_num("SELECT perf_per_watt FROM results"),
	     json_number_value(json_object_get(sum, "projected_steps_per_j")), "Perf/W");
	near(db_num("SELECT perf_per_dollar FROM results"),
	     json_number_value(json_object_get(sum, "projected_steps_per_usd")), "Perf/$");
	/* the bound split of the report, summed over steps, over the step count */
	json_t *bp = json_object_get(json_object_get(j, "by_bound"), "projected");
	double steps = json_number_value(json_object_get(sum, "steps"));
	near(db_num("SELECT compute_ns FROM results"),
	     json_number_value(json_object_get(bp, "compute")) / steps, "compute-bound time");
	json_decref(j);
	cr_assert_eq(db_num("SELECT steps FROM results"), steps);
	/* the configuration keeps the resolved spec with the override applied */
	cr_assert_eq(db_num("SELECT count(*) FROM configs WHERE spec LIKE '%\"bw_gbs\":5000%'"), 1);
}

/* Only the power point differs: the second configuration's timeline comes from the memo and
 * only its energy is re-priced; that row must still equal `tracecast project` on that chip. */
Test(store_sweep, a_repriced_point_equals_tracecast_project)
{
	int rc = tc_run("sweep -v --traces sample.tcs --base h100 --grid memory.hbm.bw_gbs=5000 "
			"--grid power.tdp_w=500,900 --db r.db --jobs 1");
	cr_assert_eq(rc, 0, "%s", e2e_errout);
	/* one simulation for two configurations: tdp_w changes no op's cost */
	cr_assert(strstr(e2e_errout, "sweep memo: 1 timelines simulated, 1 points re-priced"), "%s",
		  e2e_errout);
	rc = tc_run("project sample.tcs --target h100 --set memory.hbm.bw_gbs=5000 "
		    "--set power.tdp_w=900 --json p.json -q");
	cr_assert_eq(rc, 0, "%s", e2e_errout);
	char path[300];
	snprintf(path, sizeof(path), "%s/p.json", e2e_dir);
	json_error_t je;
	json_t *j = json_load_file(path, 0, &je);
	cr_assert(j, "%s", je.text);
	json_t *sum = json_object_get(j, "summary");
#define ROW900                                                                                     \
	" FROM results JOIN config_params p USING (config_hash) WHERE p.key = "                    \
	"'power.tdp_w' AND p.value = '900'"
	near(db_num("SELECT step_ns" ROW900),
	     json_number_value(json_object_get(sum, "projected_step_ns")), "step time");
	near(db_num("SELECT energy_j" ROW900),
	     json_number_value(json_object_get(sum, "projected_energy_j_per_step")), "energy");
	near(db_num("SELECT perf_per_watt" ROW900),
	     json_number_value(json_object_get(sum, "projected_steps_per_j")), "Perf/W");
	near(db_num("SELECT perf_per_dollar" ROW900),
	     json_number_value(json_object_get(sum, "projected_steps_per_usd")), "Perf/$");
#undef ROW900
	/* and the two powers do give different energies (the re-pricing is not a copy) */
	cr_assert_eq(db_num("SELECT count(DISTINCT energy_j) FROM results"), 2);
	json_decref(j);
}

/* Rows of a grid with the memo equal to those with --no-memo, bit for bit (compared in SQL
 * with =, not a tolerance): n configurations, every one equal. */
static void memo_equals_no_memo(const char *grid, const char *tag, int n)
{
	int rc =
	    tc_run("sweep --traces sample.tcs --base h100 %s --db %s-r.db --jobs 2", grid, tag);
	cr_assert_eq(rc, 0, "%s", e2e_errout);
	rc = tc_run("sweep --traces sample.tcs --base h100 %s --db %s-m.db --jobs 2 --no-memo",
		    grid, tag);
	cr_assert_eq(rc, 0, "%s", e2e_errout);
	char path[300], sql[1200];
	sqlite3 *db;
	sqlite3_stmt *st;
	snprintf(path, sizeof(path), "%s/%s-r.db", e2e_dir, tag);
	cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
	snprintf(sql, sizeof(sql), "ATTACH '%s/%s-m.db' AS m", e2e_dir, tag);
	cr_assert_eq(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK, "%s", sqlite3_errmsg(db));
	cr_assert_eq(
	    sqlite3_prepare_v2(
		db,
		"SELECT count(*) FROM results a JOIN m.results b USING (config_hash, trace_hash) "
		"WHERE a.steps = b.steps AND a.step_ns = b.step_ns AND a.speedup = b.speedup AND "
		"a.compute_ns = b.compute_ns AND a.memory_ns = b.memory_ns AND a.comm_ns = "
		"b.comm_ns "
		"AND a.launch_ns = b.launch_ns AND a.host_ns = b.host_ns AND a.idle_ns = b.idle_ns "
		"AND "
		"a.class_ns = b.class_ns AND a.energy_j = b.energy_j AND a.dollars IS b.dollars "
		"AND "
		"a.perf_per_watt = b.perf_per_watt AND a.perf_per_dollar IS b.perf_per_dollar",
		-1, &st, NULL),
	    SQLITE_OK, "%s", sqlite3_errmsg(db));
	cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
	cr_assert_eq(sqlite3_column_int(st, 0), n, "%s: %d of %d rows equal", tag,
		     sqlite3_column_int(st, 0), n);
	sqlite3_finalize(st);
	sqlite3_close(db);
}

/* The memo changes no figure. */
Test(store_sweep, memo_and_no_memo_store_the_same_rows)
{
	memo_equals_no_memo(
	    "--grid memory.hbm.bw_gbs=2000,6000 --grid compute.matrix.peak_tflops.bf16="
	    "700,1400 --grid power.tdp_w=450,700,950",
	    "a", 12);
}

/* The memo finds a configuration by its chips' timing keys before re-timing it: a field op
 * costs read but the key left out would make two configurations one. Five such fields, each
 * of which moves the sample's step, against power (which the key leaves out on purpose):
 * 32 timelines simulated for 64 points, and every row equal to its own simulation. */
Test(store_sweep, memo_timing_keys_tell_every_cost_field_apart)
{
	const char *grid = "--grid network.scale_up.bw_gbs_per_device=50,900 "
			   "--grid network.scale_up.latency_us=1,30 "
			   "--grid compute.matrix.attention_efficiency=0.5,0.95 "
			   "--grid overheads.min_kernel_us=0.5,60 --grid compute.units=66,132 "
			   "--grid power.tdp_w=450,950";
	memo_equals_no_memo(grid, "b", 64);
	int rc = tc_run("-v sweep --traces sample.tcs --base h100 %s --db c.db --jobs 1", grid);
	cr_assert_eq(rc, 0, "%s", e2e_errout);
	cr_assert(strstr(e2e_errout, "32 timelines simulated, 32 points re-priced"), "%s",
		  e2e_errout);
}

Test(store_sweep, rerun_skips_stored_points_and_extends)
{
	int rc =
	    tc_run("sweep --traces sample.tcs --base h100 --grid memory.hbm.bw_gbs=2000:4000:3 "
		   "--grid power.tdp_w=500,700 --db r.db --jobs 2");
	cr_assert_eq(rc, 0, "%s", e2e_errout);
	/* 3 x 2 configurations, one trace */
	cr_assert(strstr(e2e_out, "6 points stored, 0 already there, complete"), "%s", e2e_out);
	rc = tc_run("sweep --traces sample.tcs --base h100 --grid memory.hbm.bw_gbs=2000:4000:3 "
		    "--grid power.tdp_w=500,700 --db r.db --jobs 2");
	cr_assert_eq(rc, 0);
	cr_assert(strstr(e2e_out, "0 points stored, 6 already there, complete"), "%s", e2e_out);
	/* a third power value: only its 3 points are new */
	rc = tc_run("sweep --traces sample.tcs --base h100 --grid memory.hbm.bw_gbs=2000:4000:3 "
		    "--grid power.tdp_w=500,700,900 --db r.db --jobs 2");
	cr_assert_eq(rc, 0);
	cr_assert(strstr(e2e_out, "3 points stored, 6 already there, complete"), "%s", e2e_out);
	cr_assert_eq(db_num("SELECT count(*) FROM results"), 9);
	cr_assert_eq(db_num("SELECT count(*) FROM sweeps"), 2);
	/* power does not change time: every step time of one bandwidth is the same */
	cr_assert_eq(db_num("SELECT count(DISTINCT step_ns) FROM results"), 3);
	cr_assert_eq(db_num("SELECT count(*) FROM config_params WHERE key = 'power.tdp_w'"), 9);
}

Test(store_sweep, limit_then_resume_covers_every_point_once)
{
	int rc =
	    tc_run("sweep --traces sample.tcs --base h100 --grid memory.hbm.bw_gbs=1000:8000:8 "
		   "--db r.db --jobs 1 --limit 3");
	cr_assert_eq(rc, 0, "%s", e2e_errout);
	cr_assert(strstr(e2e_out, "3 points stored, 0 already there, 5 left (limit reached"), "%s",
		  e2e_out);
	rc = tc_run("sweep --traces sample.tcs --base h100 --grid memory.hbm.bw_gbs=1000:8000:8 "
		    "--db r.db --jobs 2");
	cr_assert_eq(rc, 0, "%s", e2e_errout);
	cr_assert(strstr(e2e_out, "5 points stored, 3 already there, complete"), "%s", e2e_out);
	cr_assert_eq(db_num("SELECT count(*) FROM results"), 8);
}

Test(store_sweep, shards_are_disjoint_and_cover_the_sweep)
{
	/* 10 configurations over 3 shards: positions 0,3,6,9 / 1,4,7 / 2,5,8 */
	const int want[3] = {4, 3, 3};
	for (int k = 0; k < 3; k++) {
		int rc = tc_run("sweep --traces sample.tcs --base h100 --grid "
				"memory.hbm.bw_gbs=1000:10000:10 --db r.db --jobs 1 --shard %d/3",
				k);
		cr_assert_eq(rc, 0, "%s", e2e_errout);
		char expect[64];
		snprintf(expect, sizeof(expect), "%d points stored, 0 already there", want[k]);
		cr_assert(strstr(e2e_out, expect), "shard %d: %s", k, e2e_out);
	}
	cr_assert_eq(db_num("SELECT count(*) FROM results"), 10);
	/* the same shard from a Slurm array's environment: nothing left to do */
	int rc = tc_run(
	    "sweep --traces sample.tcs --base h100 --grid memory.hbm.bw_gbs=1000:10000:10 "
	    "--db r.db --jobs 1 >/dev/null 2>&1; SLURM_ARRAY_TASK_ID=1 SLURM_ARRAY_TASK_COUNT=3 "
	    "'%s' sweep --traces sample.tcs --base h100 --grid "
	    "memory.hbm.bw_gbs=1000:10000:10 --db r.db --jobs 1",
	    tracecast());
	cr_assert_eq(rc, 0, "%s", e2e_errout);
	cr_assert(strstr(e2e_out, "0 points stored, 3 already there, complete"), "%s", e2e_out);
}

Test(store_sweep, random_sample_is_repeatable)
{
	int rc =
	    tc_run("sweep --traces sample.tcs --base h100 --grid memory.hbm.bw_gbs=1000:8000:15 "
		   "--grid power.tdp_w=400:800:5 --random 7 --seed 3 --db r.db --jobs 2");
	cr_assert_eq(rc, 0, "%s", e2e_errout);
	cr_assert(strstr(e2e_out, "7 points stored"), "%s", e2e_out);
	/* the same sample again: all 7 found stored */
	rc = tc_run("sweep --traces sample.tcs --base h100 --grid memory.hbm.bw_gbs=1000:8000:15 "
		    "--grid power.tdp_w=400:800:5 --random 7 --seed 3 --db r.db --jobs 1");
	cr_assert_eq(rc, 0, "%s", e2e_errout);
	cr_assert(strstr(e2e_out, "0 points stored, 7 already there"), "%s", e2e_out);
}

Test(store_sweep, sigterm_stops_cleanly_with_what_is_stored)
{
	char cmd[1024];
	/* 400 points at about a millisecond each: long enough to be stopped midway */
	snprintf(cmd, sizeof(cmd),
		 "cd '%s' && exec '%s' sweep --traces sample.tcs --base h100 --grid "
		 "memory.hbm.bw_gbs=1000:9000:40 --grid power.tdp_w=300:1200:10 --db r.db --jobs 1 "
		 ">out.txt 2>err.txt",
		 e2e_dir, tracecast());
	pid_t pid = fork();
	cr_assert_neq(pid, -1);
	if (pid == 0) {
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	/* wait until the first batch is committed (or the sweep ends) */
	char path[300];
	snprintf(path, sizeof(path), "%s/r.db", e2e_dir);
	int status = 0, ended = 0;
	for (int i = 0; i < 6000 && !ended; i++) {
		struct timespec ts = {0, 10 * 1000 * 1000};
		nanosleep(&ts, NULL);
		if (waitpid(pid, &status, WNOHANG) == pid) {
			ended = 1;
			break;
		}
		if (access(path, F_OK) == 0 && db_try("SELECT count(*) FROM results") >= 1)
			break;
	}
	if (!ended) {
		kill(pid, SIGTERM);
		cr_assert_eq(waitpid(pid, &status, 0), pid);
	}
	cr_assert(WIFEXITED(status), "exits, not killed");
	char out[2048], err[2048];
	snprintf(cmd, sizeof(cmd), "%s/out.txt", e2e_dir);
	slurp(cmd, out, sizeof(out));
	snprintf(cmd, sizeof(cmd), "%s/err.txt", e2e_dir);
	slurp(cmd, err, sizeof(err));
	unsigned long stored = 0;
	cr_assert(sscanf(strstr(out, ": ") ? strstr(out, ": ") + 2 : "", "%lu points stored",
			 &stored) == 1,
		  "summary line: %s / %s", out, err);
	/* what it says it stored is what the database holds */
	cr_assert_eq(db_num("SELECT count(*) FROM results"), (double)stored);
	/* SIGTERM may land after the last point (the sweep is fast, valgrind makes this test
	 * slow): then the sweep ended normally and says so; otherwise it stopped cleanly. */
	if (WEXITSTATUS(status) == 0) {
		cr_assert(strstr(out, "complete"), "exit 0 without completing: %s", out);
		cr_assert_eq(stored, 400);
	} else {
		/* 143: the signal was seen; the summary says what is stored and whether the
		 * sweep had already finished its last point when the signal came */
		cr_assert_eq(WEXITSTATUS(status), 143, "%s", err);
		if (strstr(out, "complete"))
			cr_assert_eq(stored, 400, "%s", out);
		else
			cr_assert(strstr(out, "left (interrupted; run again to resume)"), "%s",
				  out);
	}
	/* and the re-run does the rest, each point once */
	int rc =
	    tc_run("sweep --traces sample.tcs --base h100 --grid memory.hbm.bw_gbs=1000:9000:40 "
		   "--grid power.tdp_w=300:1200:10 --db r.db --jobs 2");
	cr_assert_eq(rc, 0, "%s", e2e_errout);
	cr_assert_eq(db_num("SELECT count(*) FROM results"), 400);
}

Test(store_sweep, bad_grids_fail_before_touching_the_database)
{
	int rc = tc_run("sweep --traces sample.tcs --base h100 --grid memory.hbm.bandwidth=1,2 "
			"--db r.db");
	cr_assert_eq(rc, 1);
	cr_assert_str_eq(e2e_errout, "tracecast: error: grid key memory.hbm.bandwidth: the spec of "
				     "h100-sxm5 has no such key\n");
	rc = tc_run("sweep --traces sample.tcs --base h100 --grid memory.hbm.bw_gbs=5000:1000:3 "
		    "--db r.db");
	cr_assert_eq(rc, 2);
	cr_assert(strstr(e2e_errout, "empty range (hi 1000 < lo 5000)"), "%s", e2e_errout);
	cr_assert_eq(count_lines(e2e_errout), 1, "%s", e2e_errout);
	rc = tc_run(
	    "sweep --traces sample.tcs --base h100 --grid memory.hbm.bw_gbs=1:9:0 --db r.db");
	cr_assert_eq(rc, 2);
	cr_assert(strstr(e2e_errout, "empty range (n = 0, needs >= 1)"), "%s", e2e_errout);
	/* a value the spec's validation refuses, found before any point runs */
	rc = tc_run(
	    "sweep --traces sample.tcs --base h100 --grid memory.hbm.bw_gbs=3000,0 --db r.db");
	cr_assert_eq(rc, 1);
	cr_assert(strstr(e2e_errout, "grid memory.hbm.bw_gbs=0: ") &&
		      strstr(e2e_errout, "must be > 0"),
		  "%s", e2e_errout);
	cr_assert_eq(count_lines(e2e_errout), 1, "%s", e2e_errout);
	/* issue 19: a positive value below any device gave a point that query --best picked */
	rc = tc_run("sweep --traces sample.tcs --base h100 --grid memory.hbm.bw_gbs=3000,1e-12 "
		    "--db r.db");
	cr_assert_eq(rc, 1);
	cr_assert(strstr(e2e_errout, "grid memory.hbm.bw_gbs=1e-12: ") &&
		      strstr(e2e_errout, "must be >= 1 (got 1e-12)"),
		  "%s", e2e_errout);
	cr_assert_eq(count_lines(e2e_errout), 1, "%s", e2e_errout);
	rc = tc_run("sweep --traces nope.tcs --base h100 --grid memory.hbm.bw_gbs=1 --db r.db");
	cr_assert_eq(rc, 1);
	cr_assert(strstr(e2e_errout, "nope.tcs"), "%s", e2e_errout);
	char path[300];
	snprintf(path, sizeof(path), "%s/r.db", e2e_dir);
	cr_assert_eq(access(path, F_OK), -1, "no database created for bad input");
}

Test(store_sweep, bad_databases_fail_with_one_line)
{
	char path[300];
	/* issue 19: a directory given as the database said "disk I/O error" */
	snprintf(path, sizeof(path), "%s/adir", e2e_dir);
	cr_assert_eq(mkdir(path, 0700), 0);
	int rc = tc_run("query adir --sql \"SELECT 1\"");
	cr_assert_eq(rc, 1);
	cr_assert_str_eq(e2e_errout,
			 "tracecast: error: adir: is a directory, not a database file\n");
	rc =
	    tc_run("sweep --traces sample.tcs --base h100 --grid memory.hbm.bw_gbs=4000 --db adir");
	cr_assert_eq(rc, 1);
	cr_assert_str_eq(e2e_errout,
			 "tracecast: error: adir: is a directory, not a database file\n");
	rmdir(path);
	/* issue 19: a database of another application (no table named like ours) got
	 * tracecast's tables added, and query called it "empty" */
	snprintf(path, sizeof(path), "%s/other.db", e2e_dir);
	sqlite3 *odb;
	cr_assert_eq(sqlite3_open(path, &odb), SQLITE_OK);
	cr_assert_eq(sqlite3_exec(odb, "CREATE TABLE users (name TEXT)", NULL, NULL, NULL),
		     SQLITE_OK);
	sqlite3_close(odb);
	rc = tc_run(
	    "sweep --traces sample.tcs --base h100 --grid memory.hbm.bw_gbs=4000 --db other.db");
	cr_assert_eq(rc, 1);
	cr_assert_str_eq(e2e_errout,
			 "tracecast: error: other.db: not a tracecast results database\n");
	rc = tc_run("query other.db --best step_time");
	cr_assert_eq(rc, 1);
	cr_assert_str_eq(e2e_errout,
			 "tracecast: error: other.db: not a tracecast results database\n");
	cr_assert_eq(sqlite3_open(path, &odb), SQLITE_OK);
	sqlite3_stmt *st;
	cr_assert_eq(sqlite3_prepare_v2(odb, "SELECT count(*) FROM sqlite_master", -1, &st, NULL),
		     SQLITE_OK);
	cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
	cr_assert_eq(sqlite3_column_int(st, 0), 1,
		     "tables were added to another application's database");
	sqlite3_finalize(st);
	sqlite3_close(odb);
	rc =
	    tc_run("sweep --traces sample.tcs --base h100 --grid memory.hbm.bw_gbs=4000 --db r.db");
	cr_assert_eq(rc, 0, "%s", e2e_errout);
	/* a newer schema */
	snprintf(path, sizeof(path), "%s/r.db", e2e_dir);
	sqlite3 *db;
	cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
	cr_assert_eq(sqlite3_exec(db, "UPDATE tc_meta SET value = '3' WHERE key = 'schema_version'",
				  NULL, NULL, NULL),
		     SQLITE_OK);
	sqlite3_close(db);
	rc =
	    tc_run("sweep --traces sample.tcs --base h100 --grid memory.hbm.bw_gbs=4000 --db r.db");
	cr_assert_eq(rc, 1);
	cr_assert(
	    strstr(e2e_errout, "r.db: schema version 3 is newer than this tracecast supports"),
	    "%s", e2e_errout);
	cr_assert_eq(count_lines(e2e_errout), 1, "%s", e2e_errout);
	rc = tc_run("query r.db --best step_time");
	cr_assert_eq(rc, 1);
	cr_assert(strstr(e2e_errout, "schema version 3"), "%s", e2e_errout);
	/* a text file */
	rc = tc_run("sweep --traces sample.tcs --base h100 --grid memory.hbm.bw_gbs=4000 "
		    "--db sample.tcs");
	cr_assert_eq(rc, 1);
	cr_assert(strstr(e2e_errout, "sample.tcs: file is not a database"), "%s", e2e_errout);
	/* a read-only database */
	rc = tc_run("sweep --traces sample.tcs --base h100 --grid memory.hbm.bw_gbs=4000 "
		    "--db 'file:r.db?mode=ro'");
	cr_assert_eq(rc, 1);
	cr_assert(strstr(e2e_errout, "read-only"), "%s", e2e_errout);
}

Test(store_sweep, query_formats)
{
	int rc =
	    tc_run("sweep --traces sample.tcs --base h100 --grid memory.hbm.bw_gbs=1000:5000:5 "
		   "--db r.db --jobs 2");
	cr_assert_eq(rc, 0, "%s", e2e_errout);
	/* best step time as JSON: one row (one trace), the minimum found by SQLite directly */
	rc = tc_run("query r.db --best step_time --json");
	cr_assert_eq(rc, 0, "%s", e2e_errout);
	json_error_t je;
	json_t *j = json_loads(e2e_out, 0, &je);
	cr_assert(json_is_array(j), "%s: %s", je.text, e2e_out);
	cr_assert_eq(json_array_size(j), 1);
	json_t *row = json_array_get(j, 0);
	cr_assert_eq(json_number_value(json_object_get(row, "step_ns")),
		     db_num("SELECT min(step_ns) FROM results"));
	cr_assert(json_is_object(json_object_get(row, "overrides")), "overrides as JSON");
	json_decref(j);
	/* sensitivity as CSV: a header and one line per bandwidth */
	rc = tc_run("query r.db --sensitivity memory.hbm.bw_gbs --csv");
	cr_assert_eq(rc, 0, "%s", e2e_errout);
	cr_assert_eq(count_lines(e2e_out), 6, "%s", e2e_out);
	cr_assert(strncmp(e2e_out, "trace,value,points,mean_step_ns", 31) == 0, "%s", e2e_out);
	cr_assert(strstr(e2e_out, "\nsample.tcs,1000,1,"), "%s", e2e_out);
	/* raw SQL as a table */
	rc = tc_run("query r.db --sql \"SELECT count(*) AS n FROM results\"");
	cr_assert_eq(rc, 0, "%s", e2e_errout);
	cr_assert_str_eq(e2e_out, "n\n5\n");
	/* issue 19: LIKE's wildcards in a --where value are text: config=% matched everything */
	rc = tc_run("query r.db --best step_time --csv");
	cr_assert_eq(rc, 0, "%s", e2e_errout);
	cr_assert_eq(count_lines(e2e_out), 2, "%s", e2e_out);
	char prefix[8] = {0};
	const char *line2 = strchr(e2e_out, '\n') + 1, *cfg = strchr(line2, ',') + 1;
	memcpy(prefix, cfg, 4);
	rc = tc_run("query r.db --best step_time --csv --where config=%s", prefix);
	cr_assert_eq(count_lines(e2e_out), 2, "a real prefix still matches: %s", e2e_out);
	prefix[1] = '_';
	const char *wild[] = {"%", "_", prefix};
	for (size_t i = 0; i < 3; i++) {
		rc = tc_run("query r.db --best step_time --csv --where 'config=%s'", wild[i]);
		cr_assert_eq(rc, 0, "%s", e2e_errout);
		cr_assert_eq(count_lines(e2e_out), 1, "config=%s matched: %s", wild[i], e2e_out);
	}
	/* issue 19: --sql cannot write, not even elsewhere (VACUUM INTO made a copy) */
	const char *writes[] = {"VACUUM INTO 'copy.db'",      "ATTACH 'copy.db' AS c",
				"PRAGMA journal_mode=DELETE", "SELECT load_extension('x')",
				"CREATE TEMP TABLE t(x)",     "DELETE FROM results"};
	for (size_t i = 0; i < sizeof(writes) / sizeof(writes[0]); i++) {
		rc = tc_run("query r.db --sql \"%s\"", writes[i]);
		cr_assert_eq(rc, 1, "%s: %s", writes[i], e2e_errout);
		cr_assert(strstr(e2e_errout, "r.db: ") && (strstr(e2e_errout, "read-only") ||
							   strstr(e2e_errout, "not authorized")),
			  "%s: %s", writes[i], e2e_errout);
		cr_assert_eq(count_lines(e2e_errout), 1, "%s", e2e_errout);
	}
	char copy[300];
	snprintf(copy, sizeof(copy), "%s/copy.db", e2e_dir);
	cr_assert_eq(access(copy, F_OK), -1, "query --sql wrote copy.db");
	rc = tc_run("query r.db --sql \"SELECT count(*) AS n FROM results\"");
	cr_assert_str_eq(e2e_out, "n\n5\n", "the rows are all still there");
	rc = tc_run("query r.db --sql \"PRAGMA table_info(results)\"");
	cr_assert_eq(rc, 0, "describing a table stays allowed: %s", e2e_errout);
	/* usage errors */
	cr_assert_eq(tc_run("query r.db"), 2);
	cr_assert_eq(tc_run("query r.db --pareto speedup"), 2);
	cr_assert_eq(tc_run("query r.db --best watts"), 1);
	cr_assert(strstr(e2e_errout, "unknown metric 'watts'"), "%s", e2e_errout);
	cr_assert_eq(tc_run("query missing.db --best speedup"), 1);
	cr_assert(strstr(e2e_errout, "missing.db: cannot open database"), "%s", e2e_errout);
}

Test(store_sweep, wal_database_on_a_read_only_filesystem_can_be_queried)
{
	/* issue 19: SQLite cannot create the -shm of a WAL database on a read-only filesystem,
	 * so query failed ("unable to open database file"). Needs a read-only bind mount: as
	 * root only, skipped elsewhere. */
	int rc = tc_run("sweep --traces sample.tcs --base h100 --grid memory.hbm.bw_gbs=3000,4000 "
			"--db r.db");
	cr_assert_eq(rc, 0, "%s", e2e_errout);
	char src[300], ro[300];
	snprintf(src, sizeof(src), "%s/rosrc", e2e_dir);
	snprintf(ro, sizeof(ro), "%s/ro", e2e_dir);
	cr_assert_eq(mkdir(src, 0700), 0);
	cr_assert_eq(mkdir(ro, 0700), 0);
	/* the database file as a sweep leaves it: in WAL mode, its -wal and -shm removed */
	char from[300], to[320];
	snprintf(from, sizeof(from), "%s/r.db", e2e_dir);
	snprintf(to, sizeof(to), "%s/w.db", src);
	FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
	cr_assert(in && out);
	char buf[65536];
	size_t n;
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		cr_assert_eq(fwrite(buf, 1, n, out), n);
	fclose(in);
	cr_assert_eq(fclose(out), 0);
	if (mount(src, ro, NULL, MS_BIND, NULL) != 0)
		cr_skip_test("cannot bind-mount here (%s): needs root", strerror(errno));
	if (mount(NULL, ro, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY, NULL) != 0) {
		umount2(ro, MNT_DETACH);
		cr_skip_test("cannot remount read-only here (%s)", strerror(errno));
	}
	rc = tc_run("query ro/w.db --sql \"SELECT count(*) AS n FROM results\"");
	umount2(ro, MNT_DETACH);
	cr_assert_eq(rc, 0, "%s", e2e_errout);
	cr_assert_str_eq(e2e_out, "n\n2\n");
}

Test(store_sweep, report_db_shows_the_latest_sweep)
{
	/* issue 18: with several sweeps in a database, report --db takes the latest stored, as
	 * its help says (it refused before) */
	int rc = tc_run("sweep --traces sample.tcs --base h100 --grid memory.hbm.bw_gbs=2000,4000 "
			"--db r.db --jobs 1");
	cr_assert_eq(rc, 0, "%s", e2e_errout);
	rc = tc_run("sweep --traces sample.tcs --base mi300x --grid memory.hbm.bw_gbs=3000,6000 "
		    "--db r.db --jobs 1");
	cr_assert_eq(rc, 0, "%s", e2e_errout);
	rc = tc_run("report --db r.db -o d.html");
	cr_assert_eq(rc, 0, "%s", e2e_errout);
	char path[300], html[1 << 16];
	snprintf(path, sizeof(path), "%s/d.html", e2e_dir);
	FILE *fp = fopen(path, "r");
	cr_assert_not_null(fp);
	size_t n = fread(html, 1, sizeof(html) - 1, fp);
	fclose(fp);
	html[n] = 0;
	cr_assert(strstr(html, "(base mi300x)"), "the dashboard is not the latest sweep's");
	cr_assert(!strstr(html, "(base h100)"), "the dashboard shows the first sweep");
}

/* A corpus trace (HTA A100, 75 k ops) taken as it is (the sweep ingests it): every grid point
 * gives its own step time, and sampled points equal `tracecast project` for them. */
Test(store_sweep, corpus_points_move_and_equal_tracecast_project)
{
	const char *c = getenv("TRACECAST_CORPUS");
	if (!c || !*c)
		c = getenv("TC_CORPUS_DEFAULT");
	char trace[1024];
	snprintf(trace, sizeof(trace),
		 "%s/HolisticTraceAnalysis/trace_diff_control_A100_rank3.json.gz", c ? c : "");
	if (!c || access(trace, R_OK) != 0)
		cr_skip_test("corpus trace %s absent (set TRACECAST_CORPUS)", trace);
	int rc = tc_run("sweep --traces '%s' --base h100 --grid memory.hbm.bw_gbs=1000,2500,8000 "
			"--grid compute.matrix.peak_tflops.bf16=200,2000 --db r.db --jobs 2",
			trace);
	cr_assert_eq(rc, 0, "%s", e2e_errout);
	cr_assert_eq(db_num("SELECT count(*) FROM results"), 6);
	cr_assert_eq(db_num("SELECT count(DISTINCT step_ns) FROM results"), 6, "step times move");
	static const char *const pts[][2] = {{"1000", "200"}, {"8000", "2000"}, {"2500", "200"}};
	for (size_t i = 0; i < TC_ARRAY_LEN(pts); i++) {
		rc = tc_run("project '%s' --target h100 --set memory.hbm.bw_gbs=%s "
			    "--set compute.matrix.peak_tflops.bf16=%s --json p.json -q",
			    trace, pts[i][0], pts[i][1]);
		cr_assert_eq(rc, 0, "%s", e2e_errout);
		char path[300], sql[600];
		snprintf(path, sizeof(path), "%s/p.json", e2e_dir);
		json_error_t je;
		json_t *j = json_load_file(path, 0, &je);
		cr_assert(j, "%s", je.text);
		snprintf(
		    sql, sizeof(sql),
		    "SELECT step_ns FROM results r JOIN config_params a USING (config_hash) "
		    "JOIN config_params b USING (config_hash) WHERE a.key = 'memory.hbm.bw_gbs' "
		    "AND a.value = '%s' AND b.key = 'compute.matrix.peak_tflops.bf16' AND "
		    "b.value = '%s'",
		    pts[i][0], pts[i][1]);
		near(db_num(sql),
		     json_number_value(
			 json_object_get(json_object_get(j, "summary"), "projected_step_ns")),
		     "step time");
		json_decref(j);
	}
}

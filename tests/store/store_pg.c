/* store_pg.c - the results database on a real PostgreSQL server started by the test on
 * loopback (initdb into a temp dir, pg_ctl start on a free port on 127.0.0.1; as root the
 * server runs as the postgres user). Several shard processes write one sweep at once, and one
 * more runs the whole sweep over them: no point may be lost or stored twice. Skipped, with a
 * message, only where PostgreSQL cannot start. */
#include <arpa/inet.h>
#include <glob.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store_e2e.h"

static char pg_dir[256], pg_bin[256], pg_uri[256], pg_as[32];

static int free_port(void)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port = -1;
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&a, &len) == 0)
		port = ntohs(a.sin_port);
	if (fd >= 0)
		close(fd);
	return port;
}

/* Where initdb and pg_ctl live: pg_config --bindir, else Debian's versioned directories. */
static int find_bin(void)
{
	FILE *p = popen("pg_config --bindir 2>/dev/null", "r");
	char buf[256] = "", path[300];
	if (p) {
		if (!fgets(buf, sizeof(buf), p))
			buf[0] = 0;
		pclose(p);
		buf[strcspn(buf, "\n")] = 0;
		snprintf(path, sizeof(path), "%s/initdb", buf);
		if (buf[0] && access(path, X_OK) == 0) {
			snprintf(pg_bin, sizeof(pg_bin), "%s", buf);
			return 0;
		}
	}
	glob_t g;
	if (glob("/usr/lib/postgresql/*/bin/initdb", 0, NULL, &g) == 0 && g.gl_pathc) {
		snprintf(pg_bin, sizeof(pg_bin), "%.*s",
			 (int)(strlen(g.gl_pathv[g.gl_pathc - 1]) - 7), g.gl_pathv[g.gl_pathc - 1]);
		globfree(&g);
		return 0;
	}
	return -1;
}

static int sh(const char *fmt, ...) TC_PRINTF(1, 2);
static int sh(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	int st = system(cmd);
	return st != -1 && WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void last_log_line(const char *name, char *buf, size_t n)
{
	char path[300], all[8192];
	snprintf(path, sizeof(path), "%s/%s", pg_dir, name);
	slurp(path, all, sizeof(all));
	size_t len = strlen(all);
	while (len && all[len - 1] == '\n')
		all[--len] = 0;
	char *nl = strrchr(all, '\n');
	snprintf(buf, n, "%s", nl ? nl + 1 : all);
}

static void pg_start(void)
{
	char why[512];
	e2e_setup();
	if (find_bin() < 0)
		cr_skip_test("PostgreSQL cannot start here: initdb not found (Debian: postgresql)");
	tmpdir(pg_dir, sizeof(pg_dir));
	pg_as[0] = 0;
	if (geteuid() == 0) {
		/* the server refuses to run as root */
		if (sh("id postgres >/dev/null 2>&1") != 0)
			cr_skip_test(
			    "PostgreSQL cannot start here: running as root and no postgres user");
		if (sh("chown postgres '%s'", pg_dir) != 0)
			cr_skip_test("PostgreSQL cannot start here: cannot chown %s", pg_dir);
		snprintf(pg_as, sizeof(pg_as), "runuser -u postgres --");
	}
	if (sh("%s '%s/initdb' -D '%s/data' -A trust -U postgres -E UTF8 --no-sync "
	       ">'%s/initdb.txt' 2>&1",
	       pg_as, pg_bin, pg_dir, pg_dir) != 0) {
		last_log_line("initdb.txt", why, sizeof(why));
		cr_skip_test("PostgreSQL cannot start here: initdb failed: %s", why);
	}
	int port = free_port();
	cr_assert_gt(port, 0);
	if (sh("%s '%s/pg_ctl' -D '%s/data' -l '%s/server.txt' -w -t 60 -o \"-p %d -k '%s' -c "
	       "listen_addresses=127.0.0.1 -c fsync=off -c max_connections=40\" start >/dev/null "
	       "2>&1",
	       pg_as, pg_bin, pg_dir, pg_dir, port, pg_dir) != 0) {
		last_log_line("server.txt", why, sizeof(why));
		cr_skip_test("PostgreSQL cannot start here: pg_ctl start failed: %s", why);
	}
	snprintf(pg_uri, sizeof(pg_uri), "postgresql://postgres@127.0.0.1:%d/postgres", port);
}

static void pg_stop(void)
{
	if (pg_dir[0]) {
		sh("%s '%s/pg_ctl' -D '%s/data' -m immediate stop >/dev/null 2>&1", pg_as, pg_bin,
		   pg_dir);
		sh("rm -rf '%s'", pg_dir);
	}
	e2e_teardown();
}

TestSuite(store_pg, .init = pg_start, .fini = pg_stop, .timeout = 600);

static struct tc_store *pg_open(const char *uri, int version)
{
	struct tc_err err = TC_ERR_INIT;
	struct tc_store_opts o = TC_STORE_OPTS_INIT;
	struct tc_store *s = NULL;
	o.schema_version = version;
	cr_assert_eq(tc_store_open(&s, uri, &o, &err), 0, "%s", err.msg);
	return s;
}

static double pg_num(struct tc_store *s, const char *sql)
{
	char b[256];
	const char *v = one(s, sql, b, sizeof(b));
	cr_assert(strncmp(v, "ERR", 3) != 0, "%s: %s", sql, v);
	return strtod(v, NULL);
}

Test(store_pg, same_schema_resume_queries_and_migration)
{
	struct tc_err err = TC_ERR_INIT;
	struct tpoint p[5];
	struct tc_store *s = pg_open(pg_uri, 0);
	cr_assert_str_eq(tc_store_backend(s), "postgresql");
	cr_assert_eq(tc_store_schema_version(s), 2);
	put_trace(s, "t1", "/x/a.tcs");
	tpoint_init(&p[0], "t1", 0, "1000", 500, 10, 5);
	tpoint_init(&p[1], "t1", 1, "2000", 400, 8, 6);
	tpoint_init(&p[2], "t1", 2, "3000", 300, 6, 7);
	tpoint_init(&p[3], "t1", 3, "2000", 450, 7, 5.5);
	tpoint_init(&p[4], "t1", 4, "1000", 600, 10, 4);
	cr_assert_eq(put(s, p, 3, &err), 3, "%s", err.msg);
	cr_assert_eq(put(s, p, 5, &err), 2, "%s", err.msg);
	cr_assert_eq(pg_num(s, "SELECT count(*) FROM results"), 5);
	/* the Pareto front worked out in store_sqlite.c: cfg00, cfg01, cfg02 */
	struct tc_store_rows *r = NULL;
	cr_assert_eq(tc_store_pareto(s, "perf_per_watt", "perf_per_dollar", NULL, &r, &err), 0,
		     "%s", err.msg);
	cr_assert_eq(r->nrows, 3);
	cr_assert_str_eq(tc_store_cell(r, 1, 1), "cfg01");
	cr_assert_str_eq(tc_store_cell(r, 1, 3), "8", "floats print as on SQLite");
	tc_store_rows_free(r);
	/* sensitivity: bandwidth 2000 -> mean (400 + 450) / 2 = 425 */
	cr_assert_eq(tc_store_sensitivity(s, "memory.hbm.bw_gbs", "trace=a.tcs", &r, &err), 0, "%s",
		     err.msg);
	cr_assert_eq(r->nrows, 3);
	cr_assert_str_eq(tc_store_cell(r, 1, 1), "2000");
	cr_assert_str_eq(tc_store_cell(r, 1, 3), "425");
	tc_store_rows_free(r);
	/* several sweeps: listed in the order stored, the latest last (report --db takes it);
	 * PostgreSQL has no rowid */
	const char *keys[] = {"ffff", "0000", "8888"};
	for (int k = 0; k < 3; k++) {
		struct tc_store_sweep sw = {keys[k], "h100", "[]", "[]", "grid", 0, 1, 1, "test"};
		cr_assert_eq(tc_store_put_sweep(s, &sw, &err), 0, "%s", err.msg);
	}
	cr_assert_eq(tc_store_sweeps(s, &r, &err), 0, "%s", err.msg);
	cr_assert_eq(r->nrows, 3);
	for (int k = 0; k < 3; k++)
		cr_assert_str_eq(tc_store_cell(r, (size_t)k, 0), keys[k]);
	tc_store_rows_free(r);
	cr_assert_eq(tc_store_sql(s, "CREATE DATABASE v1", &r, &err), 0, "%s", err.msg);
	tc_store_rows_free(r);
	tc_store_close(s);

	/* a version 1 database migrates on the next open, backfilling config_params */
	char uri[300];
	snprintf(uri, sizeof(uri), "%.*sv1", (int)(strlen(pg_uri) - strlen("postgres")), pg_uri);
	s = pg_open(uri, 1);
	put_trace(s, "t1", "/x/a.tcs");
	cr_assert_eq(put(s, p, 5, &err), 5, "%s", err.msg);
	tc_store_close(s);
	s = pg_open(uri, 0);
	cr_assert_eq(tc_store_schema_version(s), 2);
	cr_assert_eq(pg_num(s, "SELECT num FROM config_params WHERE config_hash = 'cfg02'"), 3000);
	tc_store_close(s);
}

Test(store_pg, concurrent_shards_lose_and_duplicate_nothing)
{
	const char *src = getenv("TC_SRCDIR");
	int rc =
	    tc_run("ingest '%s/traces/sample/train_a100_rank1.json.gz' -o sample1.tcs -q", src);
	cr_assert_eq(rc, 0, "%s", e2e_errout);
	/* 24 configurations x 2 traces = 48 points; four shards and one whole-sweep process at
	 * once, all starting on an empty database (so they also race to create the schema) */
	const char *sweep = "sweep --traces sample.tcs sample1.tcs --base h100 "
			    "--grid memory.hbm.bw_gbs=1000:8000:8 --grid power.tdp_w=400,700,1000";
	char cmd[2048];
	snprintf(
	    cmd, sizeof(cmd),
	    "cd '%s' && for k in 0 1 2 3; do '%s' %s --db '%s' --jobs 2 --shard $k/4 >out$k.txt "
	    "2>err$k.txt & done; '%s' %s --db '%s' --jobs 2 >out4.txt 2>err4.txt & wait",
	    e2e_dir, tracecast(), sweep, pg_uri, tracecast(), sweep, pg_uri);
	cr_assert_eq(system(cmd), 0);
	unsigned long total = 0;
	for (int k = 0; k < 5; k++) {
		char path[300], out[1024], err[1024];
		unsigned long stored = 0, there = 0;
		snprintf(path, sizeof(path), "%s/out%d.txt", e2e_dir, k);
		slurp(path, out, sizeof(out));
		snprintf(path, sizeof(path), "%s/err%d.txt", e2e_dir, k);
		slurp(path, err, sizeof(err));
		const char *colon = strstr(out, ": ");
		cr_assert(colon && sscanf(colon + 2, "%lu points stored, %lu already there",
					  &stored, &there) == 2,
			  "process %d: %s%s", k, out, err);
		cr_assert(strstr(out, "complete"), "process %d: %s", k, out);
		total += stored;
	}
	/* each point stored by exactly one process */
	cr_assert_eq(total, 48);
	struct tc_store *s = pg_open(pg_uri, 0);
	cr_assert_eq(pg_num(s, "SELECT count(*) FROM results"), 48);
	cr_assert_eq(pg_num(s, "SELECT count(DISTINCT trace_hash || config_hash) FROM results"),
		     48);
	cr_assert_eq(pg_num(s, "SELECT count(*) FROM configs"), 24);
	cr_assert_eq(pg_num(s, "SELECT count(*) FROM traces"), 2);
	cr_assert_eq(pg_num(s, "SELECT count(*) FROM sweeps"), 1);
	tc_store_close(s);

	/* query through the CLI */
	rc = tc_run("query '%s' --best step_time --csv", pg_uri);
	cr_assert_eq(rc, 0, "%s", e2e_errout);
	cr_assert_eq(count_lines(e2e_out), 3, "a header and one row per trace: %s", e2e_out);

	/* the server goes down: a clear one-line error */
	sh("%s '%s/pg_ctl' -D '%s/data' -m fast stop >/dev/null 2>&1", pg_as, pg_bin, pg_dir);
	rc = tc_run("%s --db '%s' --jobs 1", sweep, pg_uri);
	cr_assert_eq(rc, 1);
	cr_assert(strstr(e2e_errout, "cannot connect"), "%s", e2e_errout);
	cr_assert_eq(count_lines(e2e_errout), 1, "%s", e2e_errout);
}

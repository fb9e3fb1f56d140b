/* cmd_report.c - `tracecast report`: one self-contained HTML page from a projection (run
 * here from a trace, or read from projection JSON files), or the dashboard of a sweep from
 * a results database. The pages are rendered by report/ (docs/report.md). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_pipe.h"
#include "report.h"
#include "store.h"

static int dashboard(struct tc_cli *cli, const char *db, const char *sweep, const char *out);

static void help(void)
{
	printf("usage: tracecast report IN... --target CHIP [options] -o report.html\n"
	       "       tracecast report PROJECTION.json... -o report.html\n"
	       "       tracecast report --db results.db [--sweep ID] -o dashboard.html\n\n"
	       "Render one self-contained HTML page (inline SVG and CSS, no network): headline,\n"
	       "time by bound and by op class on both chips, a timeline strip of one step, the\n"
	       "critical path, the ops that changed most. IN is a .tcs or profiler traces (one\n"
	       "per rank, ingested on the fly), projected like `tracecast project`; projection\n"
	       "JSON files (from `project --json`) are rendered as they are, one section each.\n"
	       "With --db: a sweep dashboard (heat map, sensitivity, Perf/W vs Perf/$ Pareto).\n\n"
	       "options:\n"
	       "  --target CHIP    chip to project onto (id, alias or spec file)\n"
	       "  --source CHIP    chip the trace ran on (default: from the trace's devices)\n"
	       "  --set KEY=VALUE  override a target spec field (repeatable)\n"
	       "  --dtype T        ONNX: run the model at T (bf16, fp16, fp8, fp32)\n"
	       "  --dim NAME=V     ONNX: bind or override a dim (repeatable)\n"
	       "  --step N         the step shown in the timeline strip (default 0, the first)\n"
	       "  --top N          ops in the \"changed most\" chart (default 10)\n"
	       "  --title TEXT     page title\n"
	       "  --specs DIR      chip spec library\n"
	       "  --db FILE        results database (SQLite) for the sweep dashboard\n"
	       "  --sweep ID       the sweep to show (default: the latest stored)\n"
	       "  -o FILE          output HTML ('-' = stdout); written whole or not at all\n");
}

/* The command line. */
struct report_args {
	struct tc_cli_pipe in; /* the traces (or projections) and the chips */
	const char *out, *db, *sweep;
	size_t step;		  /* --step: the step of the timeline strip */
	struct tc_report_opts ro; /* title, top */
};

/* report's own options: 1 taken, 0 not one, or minus the exit status after a message */
static int report_option(struct tc_cli *cli, int argc, char **argv, int *i, struct report_args *ra)
{
	const char *a = argv[*i];
	if (*i + 1 >= argc)
		return 0;
	const char *v = argv[++*i];
	if (strcmp(a, "--step") == 0) {
		char *end;
		long long s = strtoll(v, &end, 10);
		if (end == v || *end || s < 0)
			return -tc_cli_usage(cli, "report", "--step needs a number >= 0, not '%s'",
					     v);
		ra->step = (size_t)s;
	} else if (strcmp(a, "--top") == 0) {
		ra->ro.top_n = ra->in.req.opts.top_n = atoi(v);
		if (ra->ro.top_n < 1 || ra->ro.top_n > 1000)
			return -tc_cli_usage(cli, "report", "--top needs a number in 1..1000");
	} else if (strcmp(a, "--title") == 0)
		ra->ro.title = v;
	else if (strcmp(a, "--db") == 0)
		ra->db = v;
	else if (strcmp(a, "--sweep") == 0)
		ra->sweep = v;
	else if (strcmp(a, "-o") == 0)
		ra->out = v;
	else {
		--*i;
		return 0;
	}
	return 1;
}

/* 0, or the exit status after a message */
static int parse_args(struct tc_cli *cli, int argc, char **argv, struct report_args *ra)
{
	memset(ra, 0, sizeof(*ra));
	tc_cli_pipe_init(&ra->in, cli);
	ra->ro = (struct tc_report_opts)TC_REPORT_OPTS_INIT;
	for (int i = 1; i < argc; i++) {
		int rc = tc_cli_pipe_option(cli, "report", TC_CLI_PIPE_TARGET | TC_CLI_PIPE_ONNX,
					    argc, argv, &i, &ra->in);
		if (!rc)
			rc = report_option(cli, argc, argv, &i, ra);
		if (rc < 0)
			return -rc;
		if (!rc && (rc = tc_cli_pipe_input(cli, "report", argv[i], &ra->in)) != 0)
			return rc;
	}
	if (!ra->out)
		return tc_cli_usage(cli, "report", "-o FILE is required");
	/* the trace or projections, the database, a chip spec file: none may be the output */
	const char *extra[] = {ra->db, ra->in.req.target, ra->in.req.source};
	struct tc_err err = TC_ERR_INIT;
	if (tc_cli_pipe_outputs_check(&ra->in, &ra->out, 1, extra, 3, &err) < 0)
		return tc_cli_fail(cli, &err);
	return 0;
}

/* Either all projections, or one job's traces: the number of projections, or minus the
 * exit status after a message. */
static long count_projections(struct tc_cli *cli, const struct report_args *ra)
{
	const struct tc_pipeline_req *req = &ra->in.req;
	size_t n_proj = 0;
	for (size_t i = 0; i < req->n_inputs; i++)
		n_proj += tc_report_is_projection_file(req->inputs[i]);
	if (n_proj && n_proj != req->n_inputs)
		return -tc_cli_usage(cli, "report",
				     "give either projection JSON files or traces, not both");
	if (!n_proj && !req->target)
		return -tc_cli_usage(cli, "report", "--target CHIP is required to project a trace");
	if (n_proj && (req->target || req->source || req->n_sets))
		return -tc_cli_usage(
		    cli, "report",
		    "--target/--source/--set apply to traces, not to projection JSON");
	return (long)n_proj;
}

/* The page: the projections as they are, or the traces projected here (with the strip). */
static int page(struct tc_cli *cli, const struct report_args *ra, size_t n_proj)
{
	const struct tc_pipeline_req *req = &ra->in.req;
	size_t n_docs = n_proj ? n_proj : 1;
	json_t **docs = tc_xcalloc(n_docs, sizeof(*docs));
	struct tc_report_timeline *tl = NULL;
	struct tc_outfile of;
	memset(&of, 0, sizeof(of));
	struct tc_err err = TC_ERR_INIT;
	int code = 1, rc = 0;
	if (n_proj) {
		for (size_t i = 0; i < req->n_inputs && rc == 0; i++)
			rc = tc_report_load_projection(req->inputs[i], &docs[i], &err);
	} else {
		rc = tc_report_project(&docs[0], &tl, req, ra->step, &err);
	}
	if (rc < 0)
		goto fail;
	const struct tc_report_timeline *tls[1] = {tl};
	if ((rc = tc_outfile_open(&of, ra->out, &err)) < 0)
		goto fail;
	if ((rc = tc_report_write_html(of.fp, (const json_t *const *)docs, n_proj ? NULL : tls,
				       n_docs, &ra->ro, &err)) < 0) {
		tc_outfile_abort(&of);
		tc_err_wrap(&err, "%s", ra->out);
		goto fail;
	}
	if ((rc = tc_outfile_commit(&of, &err)) < 0)
		goto fail;
	tc_info(&cli->log, "report: wrote %s", ra->out);
	code = 0;
	goto done;
fail:
	code = tc_cli_fail(cli, &err);
done:
	for (size_t i = 0; i < n_docs; i++)
		json_decref(docs[i]);
	free(docs);
	tc_report_timeline_free(tl);
	return code;
}

int tc_cmd_report(struct tc_cli *cli, int argc, char **argv)
{
	struct report_args ra;
	if (tc_cli_wants_help(argc, argv)) {
		help();
		return 0;
	}
	int code = parse_args(cli, argc, argv, &ra);
	if (code)
		return code;
	if (ra.db) {
		if (ra.in.req.n_inputs)
			return tc_cli_usage(cli, "report", "--db takes no inputs");
		return dashboard(cli, ra.db, ra.sweep, ra.out);
	}
	if (ra.sweep)
		return tc_cli_usage(cli, "report", "--sweep needs --db");
	if (!ra.in.req.n_inputs)
		return tc_cli_usage(cli, "report", "no input given");
	long n_proj = count_projections(cli, &ra);
	if (n_proj < 0)
		return (int)-n_proj;
	return page(cli, &ra, (size_t)n_proj);
}

/* ---- sweep dashboard: read the results database (read-only), hand plain runs to report/ -- */

/* Sweep keys are hex hashes; anything else is refused before it reaches SQL text. */
static int plain_key(const char *s)
{
	if (!*s || strlen(s) > 64)
		return 0;
	for (; *s; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'z') ||
		      (*s >= 'A' && *s <= 'Z') || *s == '_' || *s == '-'))
			return 0;
	return 1;
}

static double cell_num(const struct tc_store_rows *r, size_t row, size_t col)
{
	const char *c = tc_store_cell(r, row, col);
	return c ? strtod(c, NULL) : NAN;
}

/* The sweep to show: the one whose key starts with sweep, or without it the latest stored
 * (the last row). *pick is its row; errors list the sweeps stored. */
static int pick_sweep(const struct tc_store_rows *sw, const char *sweep, const char *db,
		      size_t *pick, struct tc_err *err)
{
	size_t match = 0;
	for (size_t i = 0; i < sw->nrows; i++) {
		const char *k = tc_store_cell(sw, i, 0);
		if (k && (!sweep || strncmp(k, sweep, strlen(sweep)) == 0)) {
			match++;
			*pick = i;
		}
	}
	if (!sweep && match > 1)
		match = 1; /* the latest: the last row */
	if (match == 1)
		return 0;
	char list[512] = {0};
	for (size_t i = 0; i < sw->nrows && strlen(list) < 400; i++)
		snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%.12s", i ? ", " : "",
			 tc_store_cell(sw, i, 0));
	int rc = tc_err_set(err, TC_ENOTFOUND, "%s: %s", db,
			    !sw->nrows ? "no sweep stored"
			    : match    ? "the sweep key is ambiguous: give more of it (--sweep)"
				       : "no sweep has that key");
	if (sw->nrows)
		tc_err_wrap(err, "sweeps: %s", list);
	return rc;
}

/* One run of the dashboard from row i of the results, with its config's params. */
static void fill_run(struct tc_report_run *r, const struct tc_store_rows *res, size_t i,
		     const struct tc_store_rows *par, int many_traces, struct tc_arena *arena)
{
	const char *cfg = tc_store_cell(res, i, 0), *base = tc_store_cell(res, i, 1),
		   *path = tc_store_cell(res, i, 2);
	char label[256];
	const char *pb = path ? strrchr(path, '/') : NULL;
	snprintf(label, sizeof(label), "%s %.8s%s%s", base ? base : "?", cfg ? cfg : "",
		 many_traces ? " · " : "",
		 many_traces ? (pb     ? pb + 1
				: path ? path
				       : "?")
			     : "");
	r->label = tc_arena_strdup(arena, label);
	r->step_ns = cell_num(res, i, 3);
	r->speedup = cell_num(res, i, 4);
	r->steps_per_j = cell_num(res, i, 5);
	r->steps_per_usd = cell_num(res, i, 6);
	/* params of this config: rows are sorted by config hash */
	size_t n = 0;
	for (size_t p = 0; p < par->nrows; p++)
		n += cfg && strcmp(tc_store_cell(par, p, 0), cfg) == 0;
	const char **ps = tc_arena_alloc(arena, (n + 1) * sizeof(*ps));
	size_t k = 0;
	for (size_t p = 0; ps && p < par->nrows; p++) {
		if (!cfg || strcmp(tc_store_cell(par, p, 0), cfg) != 0)
			continue;
		char kv[512];
		snprintf(kv, sizeof(kv), "%s=%s", tc_store_cell(par, p, 1),
			 tc_store_cell(par, p, 2));
		ps[k++] = tc_arena_strdup(arena, kv);
	}
	r->params = ps;
	r->n_params = k;
}

/* The results and the config params of sweep key, as rows. */
static int query_sweep(struct tc_store *st, const char *key, struct tc_store_rows **res,
		       struct tc_store_rows **par, struct tc_err *err)
{
	char sql[1024];
	snprintf(sql, sizeof(sql),
		 "SELECT r.config_hash, c.base, t.path, r.step_ns, r.speedup, r.perf_per_watt, "
		 "r.perf_per_dollar, r.trace_hash FROM results r JOIN configs c ON c.config_hash = "
		 "r.config_hash "
		 "LEFT JOIN traces t ON t.trace_hash = r.trace_hash WHERE r.sweep_key = '%s' "
		 "ORDER BY r.config_hash, r.trace_hash",
		 key);
	TC_TRY(tc_store_sql(st, sql, res, err));
	snprintf(
	    sql, sizeof(sql),
	    "SELECT p.config_hash, p.key, p.value FROM config_params p JOIN sweep_configs s ON "
	    "s.config_hash = p.config_hash WHERE s.sweep_key = '%s' ORDER BY p.config_hash, p.key",
	    key);
	return tc_store_sql(st, sql, par, err);
}

static int dashboard(struct tc_cli *cli, const char *db, const char *sweep, const char *out)
{
	struct tc_err err = TC_ERR_INIT;
	struct tc_store *st = NULL;
	struct tc_store_rows *sw = NULL, *res = NULL, *par = NULL;
	struct tc_report_run *runs = NULL;
	struct tc_arena arena = TC_ARENA_INIT;
	struct tc_outfile of;
	memset(&of, 0, sizeof(of));
	char key[80] = {0};
	int code = 1, rc;
	struct tc_store_opts so = TC_STORE_OPTS_INIT;
	so.read_only = 1;
	tc_arena_init(&arena, 0);
	if (sweep && !plain_key(sweep))
		return tc_cli_usage(cli, "report",
				    "--sweep takes a sweep key (letters and digits), not '%s'",
				    sweep);
	if ((rc = tc_store_open(&st, db, &so, &err)) < 0)
		goto fail;
	/* in the order the sweeps were first stored: without --sweep the last */
	size_t pick = 0;
	if ((rc = tc_store_sweeps(st, &sw, &err)) < 0 ||
	    (rc = pick_sweep(sw, sweep, db, &pick, &err)) < 0)
		goto fail;
	snprintf(key, sizeof(key), "%s", tc_store_cell(sw, pick, 0));
	if ((rc = query_sweep(st, key, &res, &par, &err)) < 0)
		goto fail;
	runs = tc_xcalloc(res->nrows + 1, sizeof(*runs));
	int many_traces = 0;
	for (size_t i = 1; i < res->nrows; i++) {
		const char *a = tc_store_cell(res, 0, 7), *b = tc_store_cell(res, i, 7);
		many_traces |= a && b && strcmp(a, b) != 0;
	}
	for (size_t i = 0; i < res->nrows; i++)
		fill_run(&runs[i], res, i, par, many_traces, &arena);
	char title[160];
	snprintf(title, sizeof(title), "%.12s (base %s)", key,
		 tc_store_cell(sw, pick, 1) ? tc_store_cell(sw, pick, 1) : "?");
	struct tc_report_sweep rs = {title, runs, res->nrows};
	if ((rc = tc_outfile_open(&of, out, &err)) < 0)
		goto fail;
	if ((rc = tc_report_write_dashboard(of.fp, &rs, &err)) < 0) {
		tc_outfile_abort(&of);
		tc_err_wrap(&err, "%s", db);
		goto fail;
	}
	if ((rc = tc_outfile_commit(&of, &err)) < 0)
		goto fail;
	code = 0;
	goto done;
fail:
	code = tc_cli_fail(cli, &err);
done:
	free(runs);
	tc_arena_free(&arena);
	tc_store_rows_free(sw);
	tc_store_rows_free(res);
	tc_store_rows_free(par);
	tc_store_close(st);
	return code;
}

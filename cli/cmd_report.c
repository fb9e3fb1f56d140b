/* cmd_report.c - `tracecast report`: one self-contained HTML page from a projection (run
 * here from a trace, or read from projection JSON files), or the dashboard of a sweep from
 * a results database. The pages are rendered by report/ (docs/report.md). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "report.h"
#include "store.h"

#define MAX_IN 256
#define MAX_SETS 64

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

int tc_cmd_report(struct tc_cli *cli, int argc, char **argv)
{
	const char *inputs[MAX_IN], *sets[MAX_SETS], *dims[MAX_SETS];
	size_t n_in = 0, n_sets = 0, n_dims = 0;
	const char *out = NULL, *db = NULL, *sweep = NULL;
	struct tc_report_project_opts po = TC_REPORT_PROJECT_OPTS_INIT;
	struct tc_report_opts ro = TC_REPORT_OPTS_INIT;
	struct tc_err err = TC_ERR_INIT;

	if (tc_cli_wants_help(argc, argv)) {
		help();
		return 0;
	}
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		int has = i + 1 < argc;
		if (strcmp(a, "--target") == 0 && has)
			po.target = argv[++i];
		else if (strcmp(a, "--source") == 0 && has)
			po.source = argv[++i];
		else if (strcmp(a, "--set") == 0 && has) {
			if (n_sets == MAX_SETS)
				return tc_cli_usage(cli, "report", "at most %d --set", MAX_SETS);
			sets[n_sets++] = argv[++i];
		} else if (strcmp(a, "--dim") == 0 && has) {
			if (n_dims == MAX_SETS)
				return tc_cli_usage(cli, "report", "at most %d --dim", MAX_SETS);
			dims[n_dims++] = argv[++i];
		} else if (strcmp(a, "--dtype") == 0 && has) {
			int d = tc_cli_run_dtype(cli, "report", argv[++i]);
			if (d < 0)
				return 2;
			po.dtype = (unsigned)d;
		} else if (strcmp(a, "--step") == 0 && has) {
			char *end;
			const char *v = argv[++i];
			long long s = strtoll(v, &end, 10);
			if (end == v || *end || s < 0)
				return tc_cli_usage(cli, "report", "--step needs a number >= 0, not '%s'", v);
			po.step = (size_t)s;
		} else if (strcmp(a, "--top") == 0 && has) {
			ro.top_n = po.top_n = atoi(argv[++i]);
			if (ro.top_n < 1 || ro.top_n > 1000)
				return tc_cli_usage(cli, "report", "--top needs a number in 1..1000");
		} else if (strcmp(a, "--title") == 0 && has)
			ro.title = argv[++i];
		else if (strcmp(a, "--specs") == 0 && has)
			po.specs = argv[++i];
		else if (strcmp(a, "--db") == 0 && has)
			db = argv[++i];
		else if (strcmp(a, "--sweep") == 0 && has)
			sweep = argv[++i];
		else if (strcmp(a, "-o") == 0 && has)
			out = argv[++i];
		else if (a[0] == '-' && a[1])
			return tc_cli_usage(cli, "report", "unknown option or missing value: '%s'", a);
		else if (n_in == MAX_IN)
			return tc_cli_usage(cli, "report", "at most %d inputs", MAX_IN);
		else
			inputs[n_in++] = a;
	}
	if (!out)
		return tc_cli_usage(cli, "report", "-o FILE is required");
	{
		/* the trace or projections, the database, a chip spec file: none may be the output */
		const char *ins[MAX_IN + 3];
		size_t n = 0;
		for (size_t i = 0; i < n_in; i++)
			ins[n++] = inputs[i];
		ins[n++] = db;
		ins[n++] = po.target;
		ins[n++] = po.source;
		if (tc_outputs_check(&out, 1, ins, n, &err) < 0)
			return tc_cli_fail(cli, &err);
	}
	if (db) {
		if (n_in)
			return tc_cli_usage(cli, "report", "--db takes no inputs");
		return dashboard(cli, db, sweep, out);
	}
	if (sweep)
		return tc_cli_usage(cli, "report", "--sweep needs --db");
	if (!n_in)
		return tc_cli_usage(cli, "report", "no input given");

	/* either all projections, or one job's traces */
	size_t n_proj = 0;
	for (size_t i = 0; i < n_in; i++)
		n_proj += tc_report_is_projection_file(inputs[i]);
	if (n_proj && n_proj != n_in)
		return tc_cli_usage(cli, "report", "give either projection JSON files or traces, not both");
	if (!n_proj && !po.target)
		return tc_cli_usage(cli, "report", "--target CHIP is required to project a trace");
	if (n_proj && (po.target || po.source || n_sets))
		return tc_cli_usage(cli, "report", "--target/--source/--set apply to traces, not to projection JSON");

	size_t n_docs = n_proj ? n_proj : 1;
	json_t **docs = tc_xcalloc(n_docs, sizeof(*docs));
	struct tc_report_timeline *tl = NULL;
	struct tc_outfile of;
	memset(&of, 0, sizeof(of));
	int code = 1, rc = 0;
	if (n_proj) {
		for (size_t i = 0; i < n_in && rc == 0; i++)
			rc = tc_report_load_projection(inputs[i], &docs[i], &err);
	} else {
		po.inputs = inputs;
		po.n_inputs = n_in;
		po.sets = sets;
		po.n_sets = n_sets;
		po.dims = dims;
		po.n_dims = n_dims;
		po.log = &cli->log;
		rc = tc_report_project(&docs[0], &tl, &po, &err);
	}
	if (rc < 0)
		goto fail;
	const struct tc_report_timeline *tls[1] = {tl};
	if ((rc = tc_outfile_open(&of, out, &err)) < 0)
		goto fail;
	if ((rc = tc_report_write_html(of.fp, (const json_t *const *)docs, n_proj ? NULL : tls, n_docs,
				       &ro, &err)) < 0) {
		tc_outfile_abort(&of);
		tc_err_wrap(&err, "%s", out);
		goto fail;
	}
	if ((rc = tc_outfile_commit(&of, &err)) < 0)
		goto fail;
	tc_info(&cli->log, "report: wrote %s", out);
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

/* ---- sweep dashboard: read the results database (read-only), hand plain runs to report/ -- */

/* Sweep keys are hex hashes; anything else is refused before it reaches SQL text. */
static int plain_key(const char *s)
{
	if (!*s || strlen(s) > 64)
		return 0;
	for (; *s; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_' ||
		      *s == '-'))
			return 0;
	return 1;
}

static double cell_num(const struct tc_store_rows *r, size_t row, size_t col)
{
	const char *c = tc_store_cell(r, row, col);
	return c ? strtod(c, NULL) : NAN;
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
	char sql[1024], key[80] = {0};
	int code = 1, rc;
	struct tc_store_opts so = TC_STORE_OPTS_INIT;
	so.read_only = 1;
	tc_arena_init(&arena, 0);
	if (sweep && !plain_key(sweep))
		return tc_cli_usage(cli, "report", "--sweep takes a sweep key (letters and digits), not '%s'", sweep);
	if ((rc = tc_store_open(&st, db, &so, &err)) < 0)
		goto fail;
	/* in the order the sweeps were first stored: without --sweep the last */
	if ((rc = tc_store_sweeps(st, &sw, &err)) < 0)
		goto fail;
	size_t match = 0, pick = 0;
	for (size_t i = 0; i < sw->nrows; i++) {
		const char *k = tc_store_cell(sw, i, 0);
		if (k && (!sweep || strncmp(k, sweep, strlen(sweep)) == 0)) {
			match++;
			pick = i;
		}
	}
	if (!sweep && match > 1)
		match = 1; /* the latest: the last row */
	if (match != 1) {
		char list[512] = {0};
		for (size_t i = 0; i < sw->nrows && strlen(list) < 400; i++)
			snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%.12s", i ? ", " : "",
				 tc_store_cell(sw, i, 0));
		rc = tc_err_set(&err, TC_ENOTFOUND, "%s: %s", db,
				!sw->nrows ? "no sweep stored"
				: match  ? "the sweep key is ambiguous: give more of it (--sweep)"
					 : "no sweep has that key");
		if (sw->nrows)
			tc_err_wrap(&err, "sweeps: %s", list);
		goto fail;
	}
	snprintf(key, sizeof(key), "%s", tc_store_cell(sw, pick, 0));
	snprintf(sql, sizeof(sql),
		 "SELECT r.config_hash, c.base, t.path, r.step_ns, r.speedup, r.perf_per_watt, "
		 "r.perf_per_dollar, r.trace_hash FROM results r JOIN configs c ON c.config_hash = r.config_hash "
		 "LEFT JOIN traces t ON t.trace_hash = r.trace_hash WHERE r.sweep_key = '%s' "
		 "ORDER BY r.config_hash, r.trace_hash",
		 key);
	if ((rc = tc_store_sql(st, sql, &res, &err)) < 0)
		goto fail;
	snprintf(sql, sizeof(sql),
		 "SELECT p.config_hash, p.key, p.value FROM config_params p JOIN sweep_configs s ON "
		 "s.config_hash = p.config_hash WHERE s.sweep_key = '%s' ORDER BY p.config_hash, p.key",
		 key);
	if ((rc = tc_store_sql(st, sql, &par, &err)) < 0)
		goto fail;
	runs = tc_xcalloc(res->nrows + 1, sizeof(*runs));
	int many_traces = 0;
	for (size_t i = 1; i < res->nrows; i++) {
		const char *a = tc_store_cell(res, 0, 7), *b = tc_store_cell(res, i, 7);
		many_traces |= a && b && strcmp(a, b) != 0;
	}
	for (size_t i = 0; i < res->nrows; i++) {
		struct tc_report_run *r = &runs[i];
		const char *cfg = tc_store_cell(res, i, 0), *base = tc_store_cell(res, i, 1), *path = tc_store_cell(res, i, 2);
		char label[256];
		const char *pb = path ? strrchr(path, '/') : NULL;
		snprintf(label, sizeof(label), "%s %.8s%s%s", base ? base : "?", cfg ? cfg : "", many_traces ? " · " : "",
			 many_traces ? (pb ? pb + 1 : path ? path : "?") : "");
		r->label = tc_arena_strdup(&arena, label);
		r->step_ns = cell_num(res, i, 3);
		r->speedup = cell_num(res, i, 4);
		r->steps_per_j = cell_num(res, i, 5);
		r->steps_per_usd = cell_num(res, i, 6);
		/* params of this config: rows are sorted by config hash */
		size_t n = 0;
		for (size_t p = 0; p < par->nrows; p++)
			n += cfg && strcmp(tc_store_cell(par, p, 0), cfg) == 0;
		const char **ps = tc_arena_alloc(&arena, (n + 1) * sizeof(*ps));
		size_t k = 0;
		for (size_t p = 0; ps && p < par->nrows; p++) {
			if (!cfg || strcmp(tc_store_cell(par, p, 0), cfg) != 0)
				continue;
			char kv[512];
			snprintf(kv, sizeof(kv), "%s=%s", tc_store_cell(par, p, 1), tc_store_cell(par, p, 2));
			ps[k++] = tc_arena_strdup(&arena, kv);
		}
		r->params = ps;
		r->n_params = k;
	}
	char title[160];
	snprintf(title, sizeof(title), "%.12s (base %s)", key, tc_store_cell(sw, pick, 1) ? tc_store_cell(sw, pick, 1) : "?");
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

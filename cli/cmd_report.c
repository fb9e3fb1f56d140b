/* cmd_report.c - `tracecast report`: one self-contained HTML page from a projection (run
 * here from a trace, or read from projection JSON files), or the dashboard of a sweep from
 * a results database. The pages are rendered by report/ (docs/report.md). */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "report.h"

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
	       "  --step N         the step shown in the timeline strip (default 0, the first)\n"
	       "  --top N          ops in the \"changed most\" chart (default 10)\n"
	       "  --title TEXT     page title\n"
	       "  --specs DIR      chip spec library\n"
	       "  --db FILE        results database (SQLite) for the sweep dashboard\n"
	       "  --sweep ID       the sweep to show (default: the latest)\n"
	       "  -o FILE          output HTML ('-' = stdout); written whole or not at all\n");
}

/* A projection JSON starts with its schema name (replay writes "schema" first); traces are
 * recognised without reading them whole. */
static int is_projection_file(const char *path)
{
	if (!tc_str_endswith(path, ".json"))
		return 0;
	FILE *fp = fopen(path, "rb");
	if (!fp)
		return 0;
	char head[512];
	size_t n = fread(head, 1, sizeof(head) - 1, fp);
	fclose(fp);
	head[n] = 0;
	return strstr(head, "\"tracecast.projection\"") != NULL;
}

static int load_projection(const char *path, json_t **out, struct tc_err *err)
{
	json_error_t je;
	*out = json_load_file(path, 0, &je);
	if (!*out)
		return tc_err_set(err, TC_EFORMAT, "%s: line %d column %d: %s", path, je.line, je.column,
				  je.text);
	int rc = tc_report_check_projection(*out, err);
	if (rc < 0) {
		json_decref(*out);
		*out = NULL;
		return tc_err_wrap(err, "%s", path);
	}
	return 0;
}

int tc_cmd_report(struct tc_cli *cli, int argc, char **argv)
{
	const char *inputs[MAX_IN], *sets[MAX_SETS];
	size_t n_in = 0, n_sets = 0;
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
		n_proj += is_projection_file(inputs[i]);
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
			rc = load_projection(inputs[i], &docs[i], &err);
	} else {
		po.inputs = inputs;
		po.n_inputs = n_in;
		po.sets = sets;
		po.n_sets = n_sets;
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

static int dashboard(struct tc_cli *cli, const char *db, const char *sweep, const char *out)
{
	struct tc_err err = TC_ERR_INIT;
	(void)sweep;
	(void)out;
	tc_err_set(&err, TC_EUNSUPPORTED, "%s: the sweep dashboard is not built yet", db);
	return tc_cli_fail(cli, &err);
}

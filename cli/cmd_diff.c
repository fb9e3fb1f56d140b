/* cmd_diff.c - `tracecast diff`: what regressed and why. Two traces (measured GPU ops), two
 * projections (their projected side), a trace against a projection, or one trace projected
 * onto two chips; per op class and per top kernel, time and count deltas sorted by impact.
 * For two projections the summaries are also compared leaf by leaf (compare.h). */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "ingest.h"
#include "compare.h"
#include "report.h"

#define MAX_IN 256

static void help(void)
{
	printf("usage: tracecast diff A B [options]\n"
	       "       tracecast diff IN... --chips CHIP_A CHIP_B [options]\n\n"
	       "Per op class and per top kernel: time and count on A and B and the delta, sorted\n"
	       "by impact. A and B are traces (.tcs, or profiler JSON ingested on the fly; the\n"
	       "measured GPU ops) or projection JSON (from `project --json`; the projected side).\n"
	       "With --chips, IN is projected onto both chips and the projections are compared.\n"
	       "Figures are per step when both sides have steps.\n\n"
	       "options:\n"
	       "  --chips A B     project IN onto two chips and compare them\n"
	       "  --source CHIP   chip the trace ran on (with --chips; default from the trace)\n"
	       "  --side source   use the source side of projection inputs (default projected)\n"
	       "  --top N         kernel rows (default 15)\n"
	       "  --json          JSON (schema tracecast.diff) instead of the table\n"
	       "  --html          a self-contained HTML page instead of the table\n"
	       "  -o FILE         write there instead of stdout (whole or not at all)\n"
	       "  --specs DIR     chip spec library\n");
}

/* One side from a file: a projection document (kept in *doc for the summary compare) or a
 * trace. */
static int side_from_file(const char *path, int projected, const struct tc_log *log,
			  struct tc_report_profile *p, json_t **doc, struct tc_err *err)
{
	*doc = NULL;
	if (tc_report_is_projection_file(path)) {
		if (tc_report_load_projection(path, doc, err) < 0)
			return err->code;
		int rc = tc_report_profile_from_projection(p, *doc, projected, NULL, err);
		return rc < 0 ? tc_err_wrap(err, "%s", path) : 0;
	}
	char tmp[256];
	const char *tcs;
	const char *in[1] = {path};
	struct tc_ingest_opts io = TC_INGEST_OPTS_INIT;
	io.log = log;
	int rc = tc_report_opstream(in, 1, &io, tmp, sizeof(tmp), &tcs, err);
	if (rc < 0)
		return rc;
	rc = tc_report_profile_from_tcs(p, tcs, err);
	if (tmp[0]) {
		unlink(tmp);
		tc_tmp_forget(tmp);
		if (rc == 0) {
			/* the temporary name means nothing to the user */
			const char *b = strrchr(path, '/');
			p->label = tc_arena_strdup(&p->arena, b ? b + 1 : path);
		}
	}
	return rc;
}

/* "dir/file" when two inputs share a file name (the same workload on two machines). */
static void disambiguate(struct tc_report_profile *p, const char *path)
{
	const char *b = strrchr(path, '/');
	if (!b)
		return;
	const char *d = b;
	while (d > path && d[-1] != '/')
		d--;
	p->label = tc_arena_strdup(&p->arena, d);
}

/* Leaf-by-leaf compare of two projections' summaries (the machinery `check` uses), printed
 * only where a figure differs. */
static void summary_changes(const json_t *a, const json_t *b, FILE *fp)
{
	struct tc_tol_rules rules;
	memset(&rules, 0, sizeof(rules));
	struct tc_cmp c;
	tc_compare_json(json_object_get(a, "summary"), json_object_get(b, "summary"), &rules, NULL, &c);
	int any = 0;
	for (size_t i = 0; i < c.n; i++) {
		const struct tc_cmp_row *r = &c.rows[i];
		if (r->status == TC_CMP_PASS)
			continue;
		if (!any)
			fprintf(fp, "\nsummary (A -> B)\n");
		any = 1;
		if (r->is_number)
			fprintf(fp, "  %-30s %14.6g -> %-14.6g\n", r->metric, r->want, r->got);
		else
			fprintf(fp, "  %-30s %s -> %s\n", r->metric, r->want_s ? r->want_s : "-",
				r->got_s ? r->got_s : "-");
	}
	tc_cmp_free(&c);
}

int tc_cmd_diff(struct tc_cli *cli, int argc, char **argv)
{
	const char *inputs[MAX_IN];
	size_t n_in = 0;
	const char *chips[2] = {NULL, NULL}, *out = "-", *specs = NULL, *source = NULL;
	int as_json = 0, as_html = 0, projected = 1, top = 15;
	struct tc_err err = TC_ERR_INIT;

	if (tc_cli_wants_help(argc, argv)) {
		help();
		return 0;
	}
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		int has = i + 1 < argc;
		if (strcmp(a, "--chips") == 0 && i + 2 < argc) {
			chips[0] = argv[++i];
			chips[1] = argv[++i];
		} else if (strcmp(a, "--side") == 0 && has) {
			const char *v = argv[++i];
			if (strcmp(v, "source") != 0 && strcmp(v, "projected") != 0)
				return tc_cli_usage(cli, "diff", "--side is 'source' or 'projected', not '%s'", v);
			projected = strcmp(v, "projected") == 0;
		} else if (strcmp(a, "--top") == 0 && has) {
			top = atoi(argv[++i]);
			if (top < 1 || top > 100000)
				return tc_cli_usage(cli, "diff", "--top needs a positive number");
		} else if (strcmp(a, "--json") == 0)
			as_json = 1;
		else if (strcmp(a, "--html") == 0)
			as_html = 1;
		else if (strcmp(a, "-o") == 0 && has)
			out = argv[++i];
		else if (strcmp(a, "--specs") == 0 && has)
			specs = argv[++i];
		else if (strcmp(a, "--source") == 0 && has)
			source = argv[++i];
		else if (a[0] == '-' && a[1])
			return tc_cli_usage(cli, "diff", "unknown option or missing value: '%s'", a);
		else if (n_in == MAX_IN)
			return tc_cli_usage(cli, "diff", "at most %d inputs", MAX_IN);
		else
			inputs[n_in++] = a;
	}
	if (as_json && as_html)
		return tc_cli_usage(cli, "diff", "--json and --html exclude each other");
	if (chips[0] ? n_in < 1 : n_in != 2)
		return tc_cli_usage(cli, "diff", chips[0] ? "--chips needs a trace to project"
							  : "give two inputs A and B (or IN --chips A B)");

	{
		const char *ins[MAX_IN + 3];
		size_t n = 0;
		for (size_t i = 0; i < n_in; i++)
			ins[n++] = inputs[i];
		ins[n++] = chips[0];
		ins[n++] = chips[1];
		ins[n++] = source;
		if (tc_outputs_check(&out, 1, ins, n, &err) < 0)
			return tc_cli_fail(cli, &err);
	}

	struct tc_report_profile pa, pb;
	memset(&pa, 0, sizeof(pa));
	memset(&pb, 0, sizeof(pb));
	json_t *da = NULL, *db = NULL;
	struct tc_report_diff d;
	memset(&d, 0, sizeof(d));
	struct tc_outfile of;
	memset(&of, 0, sizeof(of));
	int rc, code = 1;
	if (chips[0]) {
		struct tc_report_project_opts po = TC_REPORT_PROJECT_OPTS_INIT;
		po.inputs = inputs;
		po.n_inputs = n_in;
		po.source = source;
		po.specs = specs;
		po.top_n = 1000; /* the kernel rows come from the top-op lists: make them long */
		po.log = &cli->log;
		po.target = chips[0];
		if ((rc = tc_report_project(&da, NULL, &po, &err)) < 0)
			goto fail;
		po.target = chips[1];
		if ((rc = tc_report_project(&db, NULL, &po, &err)) < 0)
			goto fail;
		if ((rc = tc_report_profile_from_projection(&pa, da, 1, NULL, &err)) < 0 ||
		    (rc = tc_report_profile_from_projection(&pb, db, 1, NULL, &err)) < 0)
			goto fail;
	} else {
		if ((rc = side_from_file(inputs[0], projected, &cli->log, &pa, &da, &err)) < 0 ||
		    (rc = side_from_file(inputs[1], projected, &cli->log, &pb, &db, &err)) < 0)
			goto fail;
	}
	if (!chips[0] && pa.label && pb.label && strcmp(pa.label, pb.label) == 0) {
		disambiguate(&pa, inputs[0]);
		disambiguate(&pb, inputs[1]);
	}
	if ((rc = tc_report_diff_build(&d, &pa, &pb, (size_t)top, &err)) < 0)
		goto fail;
	if ((rc = tc_outfile_open(&of, out, &err)) < 0)
		goto fail;
	if (as_json)
		rc = tc_report_diff_write_json(&d, of.fp);
	else if (as_html)
		rc = tc_report_diff_write_html(&d, of.fp);
	else {
		int tty = strcmp(out, "-") == 0 && isatty(STDOUT_FILENO) && !getenv("NO_COLOR");
		rc = tc_report_diff_write_text(&d, of.fp, tty);
		if (rc == 0 && da && db)
			summary_changes(da, db, of.fp);
	}
	if (rc < 0) {
		tc_outfile_abort(&of);
		tc_err_set(&err, rc, "%s: write failed", out);
		goto fail;
	}
	if ((rc = tc_outfile_commit(&of, &err)) < 0)
		goto fail;
	code = 0;
	goto done;
fail:
	code = tc_cli_fail(cli, &err);
done:
	tc_report_diff_free(&d);
	tc_report_profile_free(&pa);
	tc_report_profile_free(&pb);
	json_decref(da);
	json_decref(db);
	return code;
}

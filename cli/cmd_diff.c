/* cmd_diff.c - `tracecast diff`: what regressed and why. Two traces (measured GPU ops), two
 * projections (their projected side), a trace against a projection, or one trace projected
 * onto two chips; per op class and per top kernel, time and count deltas sorted by impact.
 * For two projections the summaries are also compared leaf by leaf (compare.h). */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cli_pipe.h"
#include "ingest.h"
#include "compare.h"
#include "report.h"

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
	int rc = tc_pipeline_opstream(in, 1, &io, tmp, sizeof(tmp), &tcs, err);
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
	tc_compare_json(json_object_get(a, "summary"), json_object_get(b, "summary"), &rules, NULL,
			&c);
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

/* The command line. */
struct diff_args {
	struct tc_cli_pipe in; /* A and B, or what --chips projects; --source, --specs */
	const char *chips[2], *out;
	int as_json, as_html, projected, top;
};

/* diff's own options: 1 taken, 0 not one, or minus the exit status after a message */
static int diff_option(struct tc_cli *cli, int argc, char **argv, int *i, struct diff_args *da)
{
	const char *a = argv[*i];
	int has = *i + 1 < argc;
	if (strcmp(a, "--chips") == 0 && *i + 2 < argc) {
		da->chips[0] = argv[++*i];
		da->chips[1] = argv[++*i];
	} else if (strcmp(a, "--side") == 0 && has) {
		const char *v = argv[++*i];
		if (strcmp(v, "source") != 0 && strcmp(v, "projected") != 0)
			return -tc_cli_usage(cli, "diff",
					     "--side is 'source' or 'projected', not '%s'", v);
		da->projected = strcmp(v, "projected") == 0;
	} else if (strcmp(a, "--top") == 0 && has) {
		da->top = atoi(argv[++*i]);
		if (da->top < 1 || da->top > 100000)
			return -tc_cli_usage(cli, "diff", "--top needs a positive number");
	} else if (strcmp(a, "--json") == 0)
		da->as_json = 1;
	else if (strcmp(a, "--html") == 0)
		da->as_html = 1;
	else if (strcmp(a, "-o") == 0 && has)
		da->out = argv[++*i];
	else
		return 0;
	return 1;
}

/* 0, or the exit status after a message */
static int parse_args(struct tc_cli *cli, int argc, char **argv, struct diff_args *da)
{
	memset(da, 0, sizeof(*da));
	tc_cli_pipe_init(&da->in, cli);
	da->out = "-";
	da->projected = 1;
	da->top = 15;
	for (int i = 1; i < argc; i++) {
		int rc = tc_cli_pipe_option(cli, "diff", 0, argc, argv, &i, &da->in);
		if (!rc)
			rc = diff_option(cli, argc, argv, &i, da);
		if (rc < 0)
			return -rc;
		if (!rc && (rc = tc_cli_pipe_input(cli, "diff", argv[i], &da->in)) != 0)
			return rc;
	}
	size_t n_in = da->in.req.n_inputs;
	if (da->as_json && da->as_html)
		return tc_cli_usage(cli, "diff", "--json and --html exclude each other");
	if (da->chips[0] ? n_in < 1 : n_in != 2)
		return tc_cli_usage(cli, "diff",
				    da->chips[0] ? "--chips needs a trace to project"
						 : "give two inputs A and B (or IN --chips A B)");
	const char *extra[] = {da->chips[0], da->chips[1], da->in.req.source};
	struct tc_err err = TC_ERR_INIT;
	if (tc_cli_pipe_outputs_check(&da->in, &da->out, 1, extra, 3, &err) < 0)
		return tc_cli_fail(cli, &err);
	return 0;
}

/* The two sides: the inputs projected onto both chips, or A and B as they are. */
static int sides(struct tc_cli *cli, struct diff_args *da, struct tc_report_profile *pa,
		 struct tc_report_profile *pb, json_t **ja, json_t **jb, struct tc_err *err)
{
	const char *const *inputs = da->in.inputs;
	if (!da->chips[0]) {
		TC_TRY(side_from_file(inputs[0], da->projected, &cli->log, pa, ja, err));
		TC_TRY(side_from_file(inputs[1], da->projected, &cli->log, pb, jb, err));
		if (pa->label && pb->label && strcmp(pa->label, pb->label) == 0) {
			disambiguate(pa, inputs[0]);
			disambiguate(pb, inputs[1]);
		}
		return 0;
	}
	struct tc_pipeline_req *req = &da->in.req;
	req->opts.top_n = 1000; /* the kernel rows come from the top-op lists: make them long */
	req->target = da->chips[0];
	TC_TRY(tc_report_project(ja, NULL, req, 0, err));
	req->target = da->chips[1];
	TC_TRY(tc_report_project(jb, NULL, req, 0, err));
	TC_TRY(tc_report_profile_from_projection(pa, *ja, 1, NULL, err));
	return tc_report_profile_from_projection(pb, *jb, 1, NULL, err);
}

/* The diff as a table (with the summary compare of two projections), JSON or HTML. */
static int write_diff(const struct diff_args *da, const struct tc_report_diff *d, const json_t *ja,
		      const json_t *jb, struct tc_err *err)
{
	struct tc_outfile of;
	memset(&of, 0, sizeof(of));
	TC_TRY(tc_outfile_open(&of, da->out, err));
	int rc;
	if (da->as_json)
		rc = tc_report_diff_write_json(d, of.fp);
	else if (da->as_html)
		rc = tc_report_diff_write_html(d, of.fp);
	else {
		int tty = strcmp(da->out, "-") == 0 && isatty(STDOUT_FILENO) && !getenv("NO_COLOR");
		rc = tc_report_diff_write_text(d, of.fp, tty);
		if (rc == 0 && ja && jb)
			summary_changes(ja, jb, of.fp);
	}
	if (rc < 0) {
		tc_outfile_abort(&of);
		return tc_err_set(err, rc, "%s: write failed", da->out);
	}
	return tc_outfile_commit(&of, err);
}

int tc_cmd_diff(struct tc_cli *cli, int argc, char **argv)
{
	struct diff_args da;
	struct tc_err err = TC_ERR_INIT;

	if (tc_cli_wants_help(argc, argv)) {
		help();
		return 0;
	}
	int code = parse_args(cli, argc, argv, &da);
	if (code)
		return code;
	struct tc_report_profile pa, pb;
	memset(&pa, 0, sizeof(pa));
	memset(&pb, 0, sizeof(pb));
	json_t *ja = NULL, *jb = NULL;
	struct tc_report_diff d;
	memset(&d, 0, sizeof(d));
	if (sides(cli, &da, &pa, &pb, &ja, &jb, &err) < 0 ||
	    tc_report_diff_build(&d, &pa, &pb, (size_t)da.top, &err) < 0 ||
	    write_diff(&da, &d, ja, jb, &err) < 0)
		code = tc_cli_fail(cli, &err);
	tc_report_diff_free(&d);
	tc_report_profile_free(&pa);
	tc_report_profile_free(&pb);
	json_decref(ja);
	json_decref(jb);
	return code;
}

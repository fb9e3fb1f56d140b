/* cmd_calibrate.c - `tracecast calibrate`: fit a chip's matrix and memory curves and kernel
 * floor from operator tables measured on that chip, into an overlay spec that inherits the
 * chip (docs/testbench.md §Calibration). Tables of other chips are ignored, so fitting one
 * chip never changes another's spec. k-fold cross-validation over shapes prints the error
 * before and after on the held-out folds. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "calib.h"
#include "cli.h"

#define MAX_GROUPS 16

struct grp {
	const char *name;
	double before, after; /* sums of absolute % errors */
	size_t n;
	double *ratio; /* predicted / measured, in-sample after the final fit */
	size_t nr, cr;
};

static struct grp *group(struct grp *g, size_t *n, const char *name)
{
	for (size_t i = 0; i < *n; i++)
		if (strcmp(g[i].name, name) == 0)
			return &g[i];
	if (*n == MAX_GROUPS)
		return &g[MAX_GROUPS - 1];
	memset(&g[*n], 0, sizeof(g[*n]));
	g[*n].name = name;
	return &g[(*n)++];
}

static double predict(const struct tc_chip *c, const struct tc_optable_row *r)
{
	if (r->op_class == TC_CLASS_HOST || !r->has_work)
		return tc_chip_launch_ns(c);
	struct tc_hw_op op = tc_calib_hw_op(r);
	struct tc_hw_cost cost;
	return tc_hw_op_cost(c, &op, &cost) < 0 ? tc_chip_launch_ns(c) : cost.ns;
}

static uint64_t fold_of(const struct tc_optable_row *r, unsigned k)
{
	/* by shape: every repeat of a shape lands in the same fold */
	uint64_t h = tc_hash64(r->name, strlen(r->name), 1);
	return tc_hash64(r->dims, strlen(r->dims), h) % k;
}

static int cmpd(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;
	return (a > b) - (a < b);
}

static void usage(FILE *fp)
{
	fprintf(
	    fp,
	    "usage: tracecast calibrate TABLE|DIR|TRACE... --chip CHIP -o OVERLAY.json [--folds "
	    "K]\n"
	    "                           [--specs DIR]\n\n"
	    "Fit CHIP's matrix efficiency (by GEMM GFLOP), memory efficiency (by MB) and kernel\n"
	    "floor from operator tables measured on it (NeuSight layout; tables of other chips\n"
	    "are ignored), or from profiler traces captured on it (Kineto JSON or .tcs: every\n"
	    "GPU kernel with known work and a measured duration), and write an overlay spec\n"
	    "that inherits CHIP, with its provenance:\n"
	    "use it as 'project --target OVERLAY.json'. K-fold cross-validation over shapes\n"
	    "(default 5, 0 = none) prints the analytic error before and after on held-out "
	    "folds.\n");
}

/* The command line. */
struct cal_args {
	const char *chip_name, *out, *specs;
	const char **inputs;
	size_t n_inputs;
	long folds;
};

/* 0, or the exit status after a usage message (args->inputs is freed then) */
static int parse_args(struct tc_cli *cli, int argc, char **argv, struct cal_args *a)
{
	memset(a, 0, sizeof(*a));
	a->folds = 5;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--chip") == 0 && i + 1 < argc)
			a->chip_name = argv[++i];
		else if (strcmp(argv[i], "-o") == 0 && i + 1 < argc)
			a->out = argv[++i];
		else if (strcmp(argv[i], "--specs") == 0 && i + 1 < argc)
			a->specs = argv[++i];
		else if (strcmp(argv[i], "--folds") == 0 && i + 1 < argc) {
			char *e;
			a->folds = strtol(argv[++i], &e, 10);
			if (*e || a->folds < 0 || a->folds == 1 || a->folds > 100) {
				free(a->inputs);
				return tc_cli_usage(cli, "calibrate",
						    "--folds: 0 or 2..100, not '%s'", argv[i]);
			}
		} else if (argv[i][0] == '-' && argv[i][1]) {
			free(a->inputs);
			return tc_cli_usage(cli, "calibrate", "unknown option '%s'", argv[i]);
		} else {
			a->inputs = tc_xrealloc(a->inputs, (a->n_inputs + 1) * sizeof(char *));
			a->inputs[a->n_inputs++] = argv[i];
		}
	}
	if (!a->n_inputs || !a->chip_name || !a->out) {
		free(a->inputs);
		return tc_cli_usage(cli, "calibrate", "needs TABLES, --chip and -o");
	}
	return 0;
}

/* One calibration: the chip, what it was measured on, and the fit. */
struct cal {
	struct tc_hw *hw;
	struct tc_chip *base;
	char **files;
	size_t n_files, cap_files, n_tabs, ignored;
	struct tc_optable **tabs;
	size_t n_traces; /* tabs[0 .. n_traces) are traces (tc_calib_trace_free) */
	struct grp g[MAX_GROUPS];
	size_t ng;
	struct tc_calib_fit fit; /* the final one, on everything */
	json_t *overlay;
};

/* A path that is a file but not an operator table is a trace. */
static int is_trace(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && !S_ISDIR(st.st_mode) && !tc_calib_is_table(path);
}

/* traces (a file that is not a table) first: each must have been captured on the chip */
static int read_traces(struct cal *c, const struct cal_args *a, struct tc_err *err)
{
	c->tabs = tc_xcalloc(a->n_inputs, sizeof(*c->tabs));
	for (size_t i = 0; i < a->n_inputs; i++) {
		if (!is_trace(a->inputs[i]))
			continue;
		struct tc_optable *t = NULL;
		TC_TRY(tc_calib_trace_read(&t, a->inputs[i], err));
		const char *id = tc_hw_match_device(c->hw, t->device);
		if (!id || strcmp(id, tc_chip_id(c->base)) != 0) {
			int rc =
			    tc_err_set(err, TC_EINVAL,
				       "%s: captured on '%s', not on %s: calibrate fits one chip "
				       "from traces captured on it",
				       a->inputs[i], t->device, tc_chip_id(c->base));
			tc_calib_trace_free(t);
			return rc;
		}
		c->tabs[c->n_tabs++] = t;
	}
	return 0;
}

/* then the tables of every path: those of other chips are counted and left out */
static int read_tables(struct cal *c, const struct cal_args *a, struct tc_err *err)
{
	int rc = 0;
	for (size_t i = 0; i < a->n_inputs && rc == 0; i++)
		if (!is_trace(a->inputs[i]))
			rc = tc_calib_collect(a->inputs[i], &c->files, &c->n_files, &c->cap_files,
					      err);
	c->tabs = tc_xrealloc(c->tabs, (c->n_tabs + c->n_files + 1) * sizeof(*c->tabs));
	for (size_t i = 0; i < c->n_files && rc == 0; i++) {
		struct tc_optable *t = NULL;
		TC_TRY(tc_optable_read(&t, c->files[i], err));
		const char *id = tc_hw_match_device(c->hw, t->device);
		if (!id || strcmp(id, tc_chip_id(c->base)) != 0) {
			c->ignored++;
			tc_optable_free(t);
			continue;
		}
		c->tabs[c->n_tabs++] = t;
	}
	if (rc == 0 && !c->n_tabs)
		rc = tc_err_set(err, TC_EINVAL, "no table or trace measured on %s among %zu tables",
				tc_chip_id(c->base), c->n_files);
	return rc;
}

/* The fit of every row outside fold k of folds (k < 0: every row). */
static void fit_rows(const struct cal *c, long folds, long k, struct tc_calib_fit *fit)
{
	struct tc_calib_acc acc;
	memset(&acc, 0, sizeof(acc));
	for (size_t t = 0; t < c->n_tabs; t++)
		for (size_t i = 0; i < c->tabs[t]->n_rows; i++)
			if (k < 0 || fold_of(&c->tabs[t]->rows[i], (unsigned)folds) != (uint64_t)k)
				tc_calib_add(&acc, c->base, &c->tabs[t]->rows[i]);
	tc_calib_finish(&acc, fit);
	tc_calib_acc_free(&acc);
}

/* k-fold over shapes: fit on k-1 folds, predict the held-out one */
static int cross_validate(struct cal *c, long folds, struct tc_err *err)
{
	int rc = 0;
	for (long k = 0; rc == 0 && folds > 0 && k < folds; k++) {
		struct tc_calib_fit fit;
		struct tc_chip *cal = NULL;
		json_t *o = NULL;
		fit_rows(c, folds, k, &fit);
		rc = tc_calib_overlay(c->base, &fit, "cross-validation fold", &o, err);
		if (rc == 0)
			rc = tc_calib_load(c->hw, o, &cal, err);
		json_decref(o);
		for (size_t t = 0; rc == 0 && t < c->n_tabs; t++)
			for (size_t i = 0; i < c->tabs[t]->n_rows; i++) {
				const struct tc_optable_row *r = &c->tabs[t]->rows[i];
				if (fold_of(r, (unsigned)folds) != (uint64_t)k ||
				    !(r->latency_ns > 0))
					continue;
				struct grp *gp = group(c->g, &c->ng, tc_calib_group(c->tabs[t], r));
				gp->before += fabs(predict(c->base, r) / r->latency_ns - 1) * 100;
				gp->after += fabs(predict(cal, r) / r->latency_ns - 1) * 100;
				gp->n++;
			}
		tc_chip_free(cal);
	}
	return rc;
}

/* residual spread per class, in-sample: what the uncertainty band will use */
static json_t *residual_spread(struct cal *c, const struct tc_chip *cal)
{
	for (size_t t = 0; t < c->n_tabs; t++)
		for (size_t i = 0; i < c->tabs[t]->n_rows; i++) {
			const struct tc_optable_row *r = &c->tabs[t]->rows[i];
			if (!(r->latency_ns > 0))
				continue;
			struct grp *gp = group(c->g, &c->ng, tc_calib_group(c->tabs[t], r));
			if (gp->nr == gp->cr) {
				gp->cr = gp->cr ? gp->cr * 2 : 256;
				gp->ratio = tc_xrealloc(gp->ratio, gp->cr * sizeof(double));
			}
			gp->ratio[gp->nr++] = predict(cal, r) / r->latency_ns;
		}
	json_t *spread = json_object();
	for (size_t i = 0; i < c->ng; i++) {
		struct grp *g = &c->g[i];
		if (!g->nr)
			continue;
		qsort(g->ratio, g->nr, sizeof(double), cmpd);
		json_t *o = json_object();
		json_object_set_new(o, "n", json_integer((json_int_t)g->nr));
		json_object_set_new(o, "p10",
				    json_real(g->ratio[(size_t)(0.1 * (double)(g->nr - 1))]));
		json_object_set_new(o, "p50",
				    json_real(g->ratio[(size_t)(0.5 * (double)(g->nr - 1))]));
		json_object_set_new(o, "p90",
				    json_real(g->ratio[(size_t)(0.9 * (double)(g->nr - 1))]));
		json_object_set_new(spread, g->name, o);
	}
	return spread;
}

/* the final fit, on everything, as the overlay with its provenance */
static int final_fit(struct cal *c, struct tc_err *err)
{
	char prov[512];
	struct tc_chip *cal = NULL;
	fit_rows(c, 0, -1, &c->fit);
	snprintf(prov, sizeof(prov),
		 "calibrated on %s from %zu measured ops (%zu matrix-bound, %zu memory-bound) "
		 "in %zu tables (first: %s)",
		 tc_chip_id(c->base), c->fit.n_ops, c->fit.n_mat, c->fit.n_mem, c->n_tabs,
		 c->tabs[0]->path);
	int rc = tc_calib_overlay(c->base, &c->fit, prov, &c->overlay, err);
	if (rc == 0)
		rc = tc_calib_load(c->hw, c->overlay, &cal, err);
	if (rc < 0) {
		tc_chip_free(cal);
		return rc;
	}
	json_t *spread = residual_spread(c, cal);
	tc_chip_free(cal);
	/* provenance beside the spec keys (notes carries the summary): a spec must not grow
	 * unknown keys, so the per-class spread goes into the notes as text too */
	char *sp = json_dumps(spread, JSON_COMPACT | JSON_SORT_KEYS | JSON_REAL_PRECISION(3));
	char note[2048];
	snprintf(note, sizeof(note), "%s; residual predicted/measured p10/p50/p90 per class: %s",
		 prov, sp ? sp : "{}");
	free(sp);
	json_object_set_new(c->overlay, "notes", json_string(note));
	json_decref(spread);
	return 0;
}

static int write_overlay(const struct cal *c, const char *out, struct tc_err *err)
{
	struct tc_outfile o;
	TC_TRY(tc_outfile_open(&o, out, err));
	json_dumpf(c->overlay, o.fp, JSON_INDENT(2) | JSON_REAL_PRECISION(6));
	fputc('\n', o.fp);
	return tc_outfile_commit(&o, err);
}

static void print_summary(const struct cal *c, const struct cal_args *a)
{
	char x[32], y[32];
	printf("calibrate %s: %zu tables (%zu of other chips ignored), %zu ops; floor %s\n",
	       tc_chip_id(c->base), c->n_tabs, c->ignored, c->fit.n_ops,
	       isnan(c->fit.floor_ns) ? "none in the data (the spec's kept)"
				      : tc_fmt_ns(x, sizeof(x), c->fit.floor_ns));
	if (a->folds > 0) {
		printf("%ld-fold cross-validation over shapes, held-out MAPE %%:\n", a->folds);
		printf("  %-12s %8s %9s %9s\n", "class", "n", "before", "after");
		for (size_t i = 0; i < c->ng; i++)
			if (c->g[i].n)
				printf("  %-12s %8zu %9s %9s\n", c->g[i].name, c->g[i].n,
				       tc_fmt_fixed(x, sizeof(x),
						    c->g[i].before / (double)c->g[i].n, 1),
				       tc_fmt_fixed(y, sizeof(y), c->g[i].after / (double)c->g[i].n,
						    1));
	}
	printf("wrote %s (inherits %s)\n", a->out, tc_chip_id(c->base));
}

static void cal_free(struct cal *c)
{
	json_decref(c->overlay);
	for (size_t i = 0; i < c->ng; i++)
		free(c->g[i].ratio);
	for (size_t i = 0; i < c->n_tabs; i++)
		if (i < c->n_traces)
			tc_calib_trace_free(c->tabs[i]);
		else
			tc_optable_free(c->tabs[i]);
	free(c->tabs);
	for (size_t i = 0; i < c->n_files; i++)
		free(c->files[i]);
	free(c->files);
	tc_chip_free(c->base);
	tc_hw_free(c->hw);
}

int tc_cmd_calibrate(struct tc_cli *cli, int argc, char **argv)
{
	struct cal_args a;
	struct tc_err err = TC_ERR_INIT;

	if (tc_cli_wants_help(argc, argv)) {
		usage(stdout);
		return 0;
	}
	int code = parse_args(cli, argc, argv, &a);
	if (code)
		return code;
	struct cal c;
	memset(&c, 0, sizeof(c));
	int rc = tc_hw_open(&c.hw, a.specs, &err);
	if (rc == 0)
		rc = tc_hw_load(c.hw, a.chip_name, NULL, 0, &c.base, &err);
	if (rc == 0)
		rc = read_traces(&c, &a, &err);
	c.n_traces = c.n_tabs;
	if (rc == 0)
		rc = read_tables(&c, &a, &err);
	if (rc == 0)
		rc = cross_validate(&c, a.folds, &err);
	if (rc == 0)
		rc = final_fit(&c, &err);
	if (rc == 0)
		rc = write_overlay(&c, a.out, &err);
	if (rc == 0)
		print_summary(&c, &a);
	code = rc < 0 ? tc_cli_fail(cli, &err) : 0;
	cal_free(&c);
	free(a.inputs);
	return code;
}

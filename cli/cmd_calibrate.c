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
	    "usage: tracecast calibrate TABLE|DIR|TRACE... --chip CHIP -o OVERLAY.json [--folds K]\n"
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

int tc_cmd_calibrate(struct tc_cli *cli, int argc, char **argv)
{
	const char *chip_name = NULL, *out = NULL, *specs = NULL;
	const char **inputs = NULL;
	size_t n_inputs = 0;
	long folds = 5;
	struct tc_err err = TC_ERR_INIT;

	if (tc_cli_wants_help(argc, argv)) {
		usage(stdout);
		return 0;
	}
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--chip") == 0 && i + 1 < argc)
			chip_name = argv[++i];
		else if (strcmp(argv[i], "-o") == 0 && i + 1 < argc)
			out = argv[++i];
		else if (strcmp(argv[i], "--specs") == 0 && i + 1 < argc)
			specs = argv[++i];
		else if (strcmp(argv[i], "--folds") == 0 && i + 1 < argc) {
			char *e;
			folds = strtol(argv[++i], &e, 10);
			if (*e || folds < 0 || folds == 1 || folds > 100) {
				free(inputs);
				return tc_cli_usage(cli, "calibrate",
						    "--folds: 0 or 2..100, not '%s'", argv[i]);
			}
		} else if (argv[i][0] == '-' && argv[i][1]) {
			free(inputs);
			return tc_cli_usage(cli, "calibrate", "unknown option '%s'", argv[i]);
		} else {
			inputs = tc_xrealloc(inputs, (n_inputs + 1) * sizeof(char *));
			inputs[n_inputs++] = argv[i];
		}
	}
	if (!n_inputs || !chip_name || !out) {
		free(inputs);
		return tc_cli_usage(cli, "calibrate", "needs TABLES, --chip and -o");
	}

	struct tc_hw *hw = NULL;
	struct tc_chip *base = NULL;
	char **files = NULL;
	size_t n_files = 0, cap_files = 0, n_tabs = 0, ignored = 0;
	struct tc_optable **tabs = NULL;
	size_t n_traces = 0; /* tabs[0 .. n_traces) are traces (tc_calib_trace_free) */
	struct grp g[MAX_GROUPS];
	size_t ng = 0;
	json_t *overlay = NULL;
	int rc = tc_hw_open(&hw, specs, &err);
	if (rc == 0)
		rc = tc_hw_load(hw, chip_name, NULL, 0, &base, &err);
	/* traces (a file that is not a table) first, then the tables of every path */
	tabs = tc_xcalloc(n_inputs, sizeof(*tabs));
	for (size_t i = 0; i < n_inputs && rc == 0; i++) {
		struct stat st;
		if (stat(inputs[i], &st) != 0 || S_ISDIR(st.st_mode) ||
		    tc_calib_is_table(inputs[i]))
			continue;
		struct tc_optable *t = NULL;
		rc = tc_calib_trace_read(&t, inputs[i], &err);
		if (rc < 0)
			break;
		const char *id = tc_hw_match_device(hw, t->device);
		if (!id || strcmp(id, tc_chip_id(base)) != 0) {
			rc = tc_err_set(&err, TC_EINVAL,
					"%s: captured on '%s', not on %s: calibrate fits one chip "
					"from traces captured on it",
					inputs[i], t->device, tc_chip_id(base));
			tc_calib_trace_free(t);
			break;
		}
		tabs[n_tabs++] = t;
	}
	n_traces = n_tabs;
	for (size_t i = 0; i < n_inputs && rc == 0; i++) {
		struct stat st;
		if (stat(inputs[i], &st) == 0 && !S_ISDIR(st.st_mode) &&
		    !tc_calib_is_table(inputs[i]))
			continue;
		rc = tc_calib_collect(inputs[i], &files, &n_files, &cap_files, &err);
	}
	tabs = tc_xrealloc(tabs, (n_tabs + n_files + 1) * sizeof(*tabs));
	for (size_t i = 0; i < n_files && rc == 0; i++) {
		struct tc_optable *t = NULL;
		rc = tc_optable_read(&t, files[i], &err);
		if (rc < 0)
			break;
		const char *id = tc_hw_match_device(hw, t->device);
		if (!id || strcmp(id, tc_chip_id(base)) != 0) {
			ignored++;
			tc_optable_free(t);
			continue;
		}
		tabs[n_tabs++] = t;
	}
	if (rc == 0 && !n_tabs)
		rc = tc_err_set(&err, TC_EINVAL, "no table or trace measured on %s among %zu tables",
				tc_chip_id(base), n_files);
	/* k-fold over shapes: fit on k-1 folds, predict the held-out one */
	for (long k = 0; rc == 0 && folds > 0 && k < folds; k++) {
		struct tc_calib_acc acc;
		struct tc_calib_fit fit;
		memset(&acc, 0, sizeof(acc));
		for (size_t t = 0; t < n_tabs; t++)
			for (size_t i = 0; i < tabs[t]->n_rows; i++)
				if (fold_of(&tabs[t]->rows[i], (unsigned)folds) != (uint64_t)k)
					tc_calib_add(&acc, base, &tabs[t]->rows[i]);
		tc_calib_finish(&acc, &fit);
		tc_calib_acc_free(&acc);
		json_t *o = NULL;
		struct tc_chip *cal = NULL;
		rc = tc_calib_overlay(base, &fit, "cross-validation fold", &o, &err);
		if (rc == 0)
			rc = tc_calib_load(hw, o, &cal, &err);
		json_decref(o);
		for (size_t t = 0; rc == 0 && t < n_tabs; t++)
			for (size_t i = 0; i < tabs[t]->n_rows; i++) {
				const struct tc_optable_row *r = &tabs[t]->rows[i];
				if (fold_of(r, (unsigned)folds) != (uint64_t)k ||
				    !(r->latency_ns > 0))
					continue;
				struct grp *gp = group(g, &ng, tc_calib_group(tabs[t], r));
				gp->before += fabs(predict(base, r) / r->latency_ns - 1) * 100;
				gp->after += fabs(predict(cal, r) / r->latency_ns - 1) * 100;
				gp->n++;
			}
		tc_chip_free(cal);
	}
	/* the final fit, on everything */
	struct tc_calib_fit fit;
	if (rc == 0) {
		struct tc_calib_acc acc;
		memset(&acc, 0, sizeof(acc));
		size_t rows = 0;
		for (size_t t = 0; t < n_tabs; t++)
			for (size_t i = 0; i < tabs[t]->n_rows; i++, rows++)
				tc_calib_add(&acc, base, &tabs[t]->rows[i]);
		tc_calib_finish(&acc, &fit);
		tc_calib_acc_free(&acc);
		char prov[512];
		snprintf(
		    prov, sizeof(prov),
		    "calibrated on %s from %zu measured ops (%zu matrix-bound, %zu memory-bound) "
		    "in %zu tables (first: %s)",
		    tc_chip_id(base), fit.n_ops, fit.n_mat, fit.n_mem, n_tabs, tabs[0]->path);
		rc = tc_calib_overlay(base, &fit, prov, &overlay, &err);
		struct tc_chip *cal = NULL;
		if (rc == 0)
			rc = tc_calib_load(hw, overlay, &cal, &err);
		/* residual spread per class, in-sample: what the uncertainty band will use */
		for (size_t t = 0; rc == 0 && t < n_tabs; t++)
			for (size_t i = 0; i < tabs[t]->n_rows; i++) {
				const struct tc_optable_row *r = &tabs[t]->rows[i];
				if (!(r->latency_ns > 0))
					continue;
				struct grp *gp = group(g, &ng, tc_calib_group(tabs[t], r));
				if (gp->nr == gp->cr) {
					gp->cr = gp->cr ? gp->cr * 2 : 256;
					gp->ratio = tc_xrealloc(gp->ratio, gp->cr * sizeof(double));
				}
				gp->ratio[gp->nr++] = predict(cal, r) / r->latency_ns;
			}
		tc_chip_free(cal);
		json_t *spread = json_object();
		for (size_t i = 0; rc == 0 && i < ng; i++) {
			if (!g[i].nr)
				continue;
			qsort(g[i].ratio, g[i].nr, sizeof(double), cmpd);
			json_t *o = json_object();
			json_object_set_new(o, "n", json_integer((json_int_t)g[i].nr));
			json_object_set_new(
			    o, "p10", json_real(g[i].ratio[(size_t)(0.1 * (double)(g[i].nr - 1))]));
			json_object_set_new(
			    o, "p50", json_real(g[i].ratio[(size_t)(0.5 * (double)(g[i].nr - 1))]));
			json_object_set_new(
			    o, "p90", json_real(g[i].ratio[(size_t)(0.9 * (double)(g[i].nr - 1))]));
			json_object_set_new(spread, g[i].name, o);
		}
		/* provenance beside the spec keys (notes carries the summary): a spec must not
		 * grow unknown keys, so the per-class spread goes into the notes as text too */
		if (rc == 0) {
			char *sp = json_dumps(spread, JSON_COMPACT | JSON_SORT_KEYS |
							  JSON_REAL_PRECISION(3));
			char note[2048];
			snprintf(note, sizeof(note),
				 "%s; residual predicted/measured p10/p50/p90 per class: %s", prov,
				 sp ? sp : "{}");
			free(sp);
			json_object_set_new(overlay, "notes", json_string(note));
		}
		json_decref(spread);
	}
	if (rc == 0) {
		struct tc_outfile o;
		rc = tc_outfile_open(&o, out, &err);
		if (rc == 0) {
			json_dumpf(overlay, o.fp, JSON_INDENT(2) | JSON_REAL_PRECISION(6));
			fputc('\n', o.fp);
			rc = tc_outfile_commit(&o, &err);
		}
	}
	if (rc == 0) {
		char a[32], b[32];
		printf("calibrate %s: %zu tables (%zu of other chips ignored), %zu ops; floor %s\n",
		       tc_chip_id(base), n_tabs, ignored, fit.n_ops,
		       isnan(fit.floor_ns) ? "none in the data (the spec's kept)"
					   : tc_fmt_ns(a, sizeof(a), fit.floor_ns));
		if (folds > 0) {
			printf("%ld-fold cross-validation over shapes, held-out MAPE %%:\n", folds);
			printf("  %-12s %8s %9s %9s\n", "class", "n", "before", "after");
			for (size_t i = 0; i < ng; i++)
				if (g[i].n)
					printf("  %-12s %8zu %9s %9s\n", g[i].name, g[i].n,
					       tc_fmt_fixed(a, sizeof(a),
							    g[i].before / (double)g[i].n, 1),
					       tc_fmt_fixed(b, sizeof(b),
							    g[i].after / (double)g[i].n, 1));
		}
		printf("wrote %s (inherits %s)\n", out, tc_chip_id(base));
	}
	int code = rc < 0 ? tc_cli_fail(cli, &err) : 0;
	json_decref(overlay);
	for (size_t i = 0; i < ng; i++)
		free(g[i].ratio);
	for (size_t i = 0; i < n_tabs; i++)
		if (i < n_traces)
			tc_calib_trace_free(tabs[i]);
		else
			tc_optable_free(tabs[i]);
	free(tabs);
	for (size_t i = 0; i < n_files; i++)
		free(files[i]);
	free(files);
	tc_chip_free(base);
	tc_hw_free(hw);
	free(inputs);
	return code;
}

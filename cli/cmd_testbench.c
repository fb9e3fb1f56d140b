/* cmd_testbench.c - `tracecast testbench`: the cost model tested op by op across GPUs on
 * tables of measured operators (docs/testbench.md). Every op of every table is predicted on
 * its own chip three ways — analytic (the spec alone), plain roofline (datasheet peaks, no
 * efficiency, no floor: the baseline of the NeuSight paper) and scaling (from every other
 * chip's measurement of the same op) — and the errors are reported per op class and chip,
 * per chip pair, with the worst ops; model tables add the end-to-end latency error per
 * model, mode and chip pair. Thresholds per class gate CI (--check, --junit).
 * This file parses the options and runs the pieces of cli_testbench.h: tb_eval.c predicts,
 * tb_print.c reports. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calib.h"
#include "cli.h"
#include "cli_testbench.h"

/* Default gates: the targets (MAPE %, on unseen GPUs); conv has none. */
static const double default_limit[G__COUNT] = {15, 15, 0, 20, 25, 15};
#define E2E_LIMIT_DEFAULT 10.0

static void usage(FILE *fp)
{
	fprintf(
	    fp,
	    "usage: tracecast testbench TABLE|DIR... [--chips A,B,...] [--json FILE] [--junit "
	    "FILE]\n"
	    "                           [--check] [--gate analytic|scaling] [--threshold "
	    "CLASS=PCT]\n"
	    "                           [--worst N] [--calibrated] [--specs DIR]\n\n"
	    "Predict every measured op of operator tables (NeuSight micro or model layout; see\n"
	    "docs/testbench.md) on its own chip: analytic (the spec alone), plain roofline\n"
	    "(datasheet peaks, no efficiency) and scaling (from each other chip's measurement of\n"
	    "the same op); print MAPE, median and p90 error per op class and chip, per chip pair,\n"
	    "the worst ops, and for model tables the end-to-end latency error per model and pair.\n"
	    "Directories are searched for *.csv, *.csv.zst, *.csv.gz. A table whose device no "
	    "chip\n"
	    "spec matches is skipped with a warning.\n\n"
	    "  --chips A,B     only tables of these chips\n"
	    "  --json FILE     write every figure as JSON ('-' = stdout)\n"
	    "  --junit FILE    write the gates as JUnit XML\n"
	    "  --ops-csv FILE  write every micro prediction (method, chip, source, op, dims,\n"
	    "                  FLOPs, bytes, measured and predicted ns) as CSV\n"
	    "  --check         exit 1 when a gate fails\n"
	    "  --calibrated    also predict with fitted curves, leaving the target chip out:\n"
	    "                  cal-analytic (the others' corrections on its spec) and\n"
	    "                  cal-scaling (sources fitted on their own tables)\n"
	    "  --gate M        method the class gates apply to: analytic, scaling (default),\n"
	    "                  cal-analytic, cal-scaling\n"
	    "  --threshold C=P MAPE limit in %% for class C (bmm linear conv elementwise ln\n"
	    "                  softmax; 0 = none) or e2e (median end-to-end error); defaults:\n"
	    "                  bmm 15, linear 15, softmax 15, elementwise 20, ln 25, e2e 10\n"
	    "  --worst N       worst ops listed per class, chip and method (default 3)\n\n"
	    "Exit status: 0 done (and, with --check, every gate passed), 1 error or a failed "
	    "gate,\n"
	    "2 usage error.\n");
}

static void split_list(const char *s, const char ***out, size_t *n)
{
	char *copy = tc_xstrdup(s), *save = NULL;
	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		*out = tc_xrealloc(*out, (*n + 1) * sizeof(char *));
		(*out)[(*n)++] = tc_xstrdup(t);
	}
	free(copy);
}

/* The command line. */
struct tb_args {
	const char *json_path, *junit, *specs, *ops_csv;
	const char **inputs;
	const char **only; /* --chips: the caller's copies */
	size_t n_inputs, n_only;
	int check, worst, calibrated;
	struct tb_limits lim;
};

static void args_free(struct tb_args *a)
{
	for (size_t i = 0; i < a->n_only; i++)
		free((void *)a->only[i]);
	free(a->only);
	free(a->inputs);
}

/* --gate M: the method, or -1 */
static int parse_gate(const char *m)
{
	if (strcmp(m, "analytic") == 0)
		return M_ANALYTIC;
	if (strcmp(m, "scaling") == 0)
		return M_SCALING;
	if (strcmp(m, "cal-analytic") == 0)
		return M_CAL_ANALYTIC;
	if (strcmp(m, "cal-scaling") == 0)
		return M_CAL_SCALING;
	return -1;
}

/* --threshold CLASS=PCT into lim: 0, or the usage exit code */
static int parse_threshold(struct tc_cli *cli, const char *t, struct tb_limits *lim)
{
	const char *eq = strchr(t, '=');
	char *e;
	double v = eq ? strtod(eq + 1, &e) : -1;
	if (!eq || *e || !(v >= 0))
		return tc_cli_usage(cli, "testbench", "--threshold: CLASS=PCT, not '%s'", t);
	size_t kl = (size_t)(eq - t);
	int g;
	for (g = 0; g < G__COUNT; g++)
		if (strlen(tb_group_names[g]) == kl && strncmp(t, tb_group_names[g], kl) == 0)
			break;
	if (g < G__COUNT)
		lim->mape[g] = v;
	else if (kl == 3 && strncmp(t, "e2e", 3) == 0)
		lim->e2e_median = v;
	else
		return tc_cli_usage(cli, "testbench", "--threshold: unknown class in '%s'", t);
	return 0;
}

/* 0, or the usage exit code (a is filled as far as it got: args_free it either way) */
static int parse_args(struct tc_cli *cli, int argc, char **argv, struct tb_args *a)
{
	memset(a, 0, sizeof(*a));
	a->worst = 3;
	memcpy(a->lim.mape, default_limit, sizeof(a->lim.mape));
	a->lim.e2e_median = E2E_LIMIT_DEFAULT;
	a->lim.method = M_SCALING;
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];
		int has = i + 1 < argc, rc = 0;
		if (strcmp(arg, "--chips") == 0 && has)
			split_list(argv[++i], &a->only, &a->n_only);
		else if (strcmp(arg, "--json") == 0 && has)
			a->json_path = argv[++i];
		else if (strcmp(arg, "--junit") == 0 && has)
			a->junit = argv[++i];
		else if (strcmp(arg, "--ops-csv") == 0 && has)
			a->ops_csv = argv[++i];
		else if (strcmp(arg, "--specs") == 0 && has)
			a->specs = argv[++i];
		else if (strcmp(arg, "--check") == 0)
			a->check = 1;
		else if (strcmp(arg, "--calibrated") == 0)
			a->calibrated = 1;
		else if (strcmp(arg, "--worst") == 0 && has) {
			char *e;
			long v = strtol(argv[++i], &e, 10);
			if (*e || v < 0 || v > 1000)
				return tc_cli_usage(cli, "testbench", "--worst: not a count '%s'",
						    argv[i]);
			a->worst = (int)v;
		} else if (strcmp(arg, "--gate") == 0 && has) {
			const char *m = argv[++i];
			if ((a->lim.method = parse_gate(m)) < 0)
				return tc_cli_usage(cli, "testbench",
						    "--gate: analytic or scaling, not '%s'", m);
		} else if (strcmp(arg, "--threshold") == 0 && has) {
			if ((rc = parse_threshold(cli, argv[++i], &a->lim)) != 0)
				return rc;
		} else if (strcmp(arg, "-v") == 0) {
			cli->log.level = TC_LOG_INFO;
		} else if (strcmp(arg, "-q") == 0) {
			cli->log.level = TC_LOG_ERROR;
		} else if (arg[0] == '-' && arg[1]) {
			return tc_cli_usage(cli, "testbench", "unknown option '%s'", arg);
		} else {
			a->inputs = tc_xrealloc(a->inputs, (a->n_inputs + 1) * sizeof(char *));
			a->inputs[a->n_inputs++] = arg;
		}
	}
	if (!a->n_inputs)
		return tc_cli_usage(cli, "testbench", "no tables given");
	return 0;
}

/* The chip library and every table of a known (and, with --chips, chosen) chip. files holds
 * the table paths found in the inputs (the caller frees them). */
static int load_tables(struct tb *b, const struct tb_args *a, char ***files, size_t *n_files,
		       struct tc_err *err)
{
	size_t cap_files = 0;
	int rc = tc_hw_open(&b->hw, a->specs, err);
	for (size_t i = 0; i < a->n_inputs && rc == 0; i++)
		rc = tc_calib_collect(a->inputs[i], files, n_files, &cap_files, err);
	for (size_t i = 0; i < a->n_only && rc == 0; i++)
		if (!tc_hw_canonical_id(b->hw, a->only[i]))
			rc = tc_err_set(err, TC_EINVAL, "--chips: unknown chip '%s'", a->only[i]);
	for (size_t i = 0; i < *n_files && rc == 0; i++)
		rc = tb_add_table(b, (*files)[i], err);
	if (rc == 0 && b->n_tabs == 0)
		rc = tc_err_set(err, TC_EINVAL, "no operator tables of a known chip in the input");
	return rc;
}

/* The result cells, the --calibrated fits, then every prediction (and --ops-csv). */
static int predict(struct tb *b, const struct tb_args *a, struct tc_err *err)
{
	struct tc_outfile ops_out = {0};
	int rc = 0;
	b->cell = tc_xcalloc((size_t)G__COUNT * b->n_chips * M__COUNT, sizeof(struct tb_acc));
	b->pair = tc_xcalloc((size_t)G__COUNT * b->n_chips * b->n_chips, sizeof(struct tb_acc));
	for (int k = 0; k < 2; k++)
		b->rat[k] = tc_xcalloc((size_t)G__COUNT * b->n_chips * b->n_chips,
				       sizeof(struct tb_ratios));
	b->n_methods = b->calibrated ? M__COUNT : M_CAL_ANALYTIC;
	if (b->calibrated)
		rc = tb_calibrate_all(b, err);
	if (rc == 0 && a->lim.method >= b->n_methods)
		rc = tc_err_set(err, TC_EINVAL, "--gate %s needs --calibrated",
				tb_method_names[a->lim.method]);
	if (rc == 0 && a->ops_csv) {
		rc = tc_outfile_open(&ops_out, a->ops_csv, err);
		if (rc == 0) {
			b->ops_csv = ops_out.fp;
			fputs("method,chip,source,op,dims,flops,bytes,measured_ns,predicted_ns\n",
			      b->ops_csv);
		}
	}
	if (rc == 0) {
		tb_run_micro(b);
		tb_run_models(b);
	}
	if (rc == 0 && a->ops_csv)
		rc = tc_outfile_commit(&ops_out, err);
	else
		tc_outfile_abort(&ops_out);
	return rc;
}

static void tb_free(struct tb *b)
{
	for (size_t i = 0; b->cell && i < (size_t)G__COUNT * b->n_chips * M__COUNT; i++)
		tb_acc_free(&b->cell[i]);
	for (size_t i = 0; b->pair && i < (size_t)G__COUNT * b->n_chips * b->n_chips; i++)
		tb_acc_free(&b->pair[i]);
	for (int m = 0; m <= M__COUNT; m++)
		tb_acc_free(&b->e2e[m]);
	free(b->cell);
	free(b->pair);
	for (int k = 0; k < 2; k++) {
		for (size_t i = 0; b->rat[k] && i < (size_t)G__COUNT * b->n_chips * b->n_chips; i++)
			free(b->rat[k][i].v);
		free(b->rat[k]);
	}
	json_decref(b->models);
	for (size_t i = 0; i < b->n_tabs; i++) {
		tc_optable_free(b->tabs[i].t);
		tc_map64_free(&b->tabs[i].index);
	}
	free(b->tabs);
	for (size_t i = 0; i < b->n_chips; i++) {
		tc_chip_free(b->chips[i].chip);
		tc_chip_free(b->chips[i].own);
		tc_chip_free(b->chips[i].loo);
		tc_chip_free(b->chips[i].own_nf);
		tc_chip_free(b->chips[i].loo_nf);
	}
	free(b->chips);
	tc_hw_free(b->hw);
}

int tc_cmd_testbench(struct tc_cli *cli, int argc, char **argv)
{
	struct tb b;
	struct tb_args a;
	struct tc_err err = TC_ERR_INIT;

	if (tc_cli_wants_help(argc, argv)) {
		usage(stdout);
		return 0;
	}
	int rc = parse_args(cli, argc, argv, &a);
	if (rc) {
		args_free(&a);
		return rc;
	}
	memset(&b, 0, sizeof(b));
	b.only = a.only;
	b.n_only = a.n_only;
	b.keep = (size_t)a.worst;
	b.calibrated = a.calibrated;
	b.log = &cli->log;
	b.models = json_array();
	struct tb_report_opts ro = {a.json_path, a.junit, a.check, tc_now()};

	char **files = NULL;
	size_t n_files = 0;
	rc = load_tables(&b, &a, &files, &n_files, &err);
	if (rc == 0)
		rc = predict(&b, &a, &err);
	if (rc == 0)
		rc = tb_report(&b, &a.lim, &ro, &err);
	int exit_code = rc < 0 ? tc_cli_fail(cli, &err) : rc;
	tb_free(&b);
	for (size_t i = 0; i < n_files; i++)
		free(files[i]);
	free(files);
	args_free(&a);
	return exit_code;
}

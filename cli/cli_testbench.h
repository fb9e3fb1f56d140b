/* cli_testbench.h - private to cli/: the pieces of `tracecast testbench` (cmd_testbench.c parses
 * the options and runs them; tb_eval.c loads the tables and predicts every op; tb_print.c
 * prints the report and writes the JSON and JUnit files). docs/testbench.md has the method. */
#ifndef TC_CLI_TESTBENCH_H
#define TC_CLI_TESTBENCH_H

#include <jansson.h>
#include <stdio.h>

#include "hwmodel.h"
#include "ingest.h"
#include "util.h"

/* cal-*: --calibrated, leave one chip out (docs/testbench.md §Calibration) */
enum { M_ANALYTIC, M_ROOFLINE, M_SCALING, M_CAL_ANALYTIC, M_CAL_SCALING, M__COUNT };
extern const char *const tb_method_names[M__COUNT];

/* The operator classes of the report: the micro tables' ops, the elementwise ones pooled
 * (as the NeuSight paper pools them). */
enum { G_BMM, G_LINEAR, G_CONV, G_ELEMENTWISE, G_LN, G_SOFTMAX, G__COUNT };
extern const char *const tb_group_names[G__COUNT];

/* ---- error samples ------------------------------------------------------------------------ */

struct tb_worst {
	double ape, meas, pred;
	const struct tc_optable_row *row;
	int src; /* chip index of a scaling source, -1 otherwise */
};

struct tb_acc {
	double *ape; /* absolute percentage errors */
	size_t n, cap;
	struct tb_worst *w; /* the largest, sorted descending */
	size_t nw;
};

struct tb_stats {
	size_t n;
	double mape, median, p90;
};

void tb_acc_add(struct tb_acc *a, double meas, double pred, const struct tc_optable_row *row,
		int src, size_t keep);
/* Nearest-rank percentiles of the sorted sample (sorts a->ape in place). */
struct tb_stats tb_acc_stats(struct tb_acc *a);
void tb_acc_free(struct tb_acc *a);

/* ---- the tables and the results ----------------------------------------------------------- */

struct tb_ratios {
	double *v;
	size_t n, cap;
};

struct tb_chip {
	const char *id; /* canonical, borrowed from the library */
	struct tc_chip *chip;
	struct tc_chip *own; /* --calibrated: fitted on this chip's tables (as a source) */
	struct tc_chip *loo; /* --calibrated: fitted on the other chips' tables (as a target) */
	/* the same without the fitted floors, for model tables: a floor fitted on the micro
	 * tables is their measuring loop's (26-58 us a call), not a model node's (5-10 us) */
	struct tc_chip *own_nf, *loo_nf;
};

struct tb_table {
	struct tc_optable *t;
	int chip;
	struct tc_map64 index; /* hash(name, dims) -> row + 1 (micro tables) */
	double harness_ns;     /* the table's floor: 1st percentile of its kernel ops' times */
};

struct tb {
	struct tc_hw *hw;
	struct tb_chip *chips;
	size_t n_chips;
	struct tb_table *tabs;
	size_t n_tabs, cap_tabs;
	const char *const *only; /* --chips, NULL = all */
	size_t n_only;
	size_t keep; /* worst ops kept per cell */
	int calibrated;
	int n_methods; /* 3, or 5 with --calibrated */
	const struct tc_log *log;
	FILE *ops_csv; /* --ops-csv: one row per prediction, NULL = none */
	/* results: [group][dst chip][method], and [group][src][dst] for scaling pairs */
	struct tb_acc *cell;
	struct tb_acc *pair;
	json_t *models;			 /* array of per-pair model results */
	struct tb_acc e2e[M__COUNT + 1]; /* + identity (the table's own node sum) */
	/* signed errors predicted/measured of the micro ops per [scaling, cal-scaling][class]
	 * [source][target]: the residual spread the end-to-end band is drawn from */
	struct tb_ratios *rat[2];
	size_t band_in[3], band_n[3]; /* scaling, cal-scaling, the projection's band */
};

#define CELL(b, g, c, m) (&(b)->cell[((size_t)(g) * (b)->n_chips + (size_t)(c)) * M__COUNT + (m)])
#define RAT(b, k, g, s, d)                                                                         \
	(&(b)->rat[k][((size_t)(g) * (b)->n_chips + (size_t)(s)) * (b)->n_chips + (size_t)(d)])
#define PAIR(b, g, s, d)                                                                           \
	(&(b)->pair[((size_t)(g) * (b)->n_chips + (size_t)(s)) * (b)->n_chips + (size_t)(d)])

/* ---- thresholds --------------------------------------------------------------------------- */

struct tb_limits {
	double mape[G__COUNT]; /* 0 = no gate */
	double e2e_median;
	int method;
};

struct tb_gate {
	const char *what, *chip;
	double value, limit;
	int pass;
};

/* Read one table, skipped (with a warning) when no spec matches its device or --chips
 * leaves its chip out. */
int tb_add_table(struct tb *b, const char *path, struct tc_err *err);
/* --calibrated: the fitted and leave-one-out overlays of every chip. */
int tb_calibrate_all(struct tb *b, struct tc_err *err);
/* Predict every op of the micro tables, and the end-to-end time of the model tables. */
void tb_run_micro(struct tb *b);
void tb_run_models(struct tb *b);

/* What the report writes besides stdout, and how the gates decide the exit status. */
struct tb_report_opts {
	const char *json_path, *junit; /* NULL = none */
	int check;		       /* a failed gate makes the status 1 */
	double t0;		       /* when the run began (tc_now), for the timing line */
};

/* Print the report on stdout and write --json and --junit: 0, 1 (--check and a gate failed)
 * or a negative TC_E* with err filled. */
int tb_report(struct tb *b, const struct tb_limits *lim, const struct tb_report_opts *o,
	      struct tc_err *err);

#endif

/* rpt_internal.h - private to report/ (prefix rpt_): HTML and SVG building blocks shared by the
 * projection page, the diff page and the sweep dashboard. */
#ifndef TC_REPORT_INTERNAL_H
#define TC_REPORT_INTERNAL_H

#include <stdio.h>

#include "opstream.h"
#include "report.h"

/* diffmatch.c: each op's outermost aten operator while a trace is read (ops come parents
 * first), and the match of two traces' kernels through them. */
struct rpt_optrack {
	struct tc_map64 outer; /* op id -> id of its outermost aten op */
	struct tc_map64 inst;  /* that op's id -> index into keys */
	struct tc_map64 seen;  /* hash of op name + shapes -> occurrences so far - 1 */
	const char **keys;     /* in the arena given to add */
	size_t n_keys, cap_keys;
};
int rpt_optrack_add(struct rpt_optrack *t, struct tc_arena *arena, const struct tc_op *op,
		    const char *name);
/* The launching operator instance of a kernel (its link's outermost aten op), or NULL. */
const char *rpt_optrack_key(const struct rpt_optrack *t, const struct tc_op *kernel);
void rpt_optrack_free(struct rpt_optrack *t);
/* Rows of the kernels of a and b matched through their operators (values / da, / db). */
int rpt_diff_match_ops(const struct tc_report_profile *a, double da,
		       const struct tc_report_profile *b, double db,
		       struct tc_report_diff_row **out, size_t *n_out);

/* Text and attribute escaping (&, <, >, ", '). NULL prints nothing. */
void rpt_esc(FILE *fp, const char *s);
/* A number for data-value: shortest round-trip form, "nan" when not finite. */
void rpt_val(FILE *fp, double v);
/* data-metric="m" data-value="v" (with a leading space). */
void rpt_metric(FILE *fp, const char *metric, double v);
/* Human forms: durations with a unit, and v with sig significant digits ("-" for NaN). */
const char *rpt_ns(char *buf, double ns);
/* An axis tick: v in the unit that suits max, short ("50 ms", "2.5 us"); buf >= 48. */
const char *rpt_ns_axis(char *buf, double v, double max);
const char *rpt_sig(char *buf, size_t n, double v, int sig);

/* A round axis step for [0, max] in about n ticks: 1, 2 or 5 times a power of ten. */
double rpt_nice_step(double max, int n);

/* Colour-blind-safe colours: Okabe-Ito for bounds, Okabe-Ito then Paul Tol's muted set for
 * classes (by enum order, so a class has one colour on every page). */
const char *rpt_bound_colour(const char *bound);
const char *rpt_class_colour(const char *cls);
/* Text colour that reads on a fill (black or white). */
const char *rpt_ink(const char *fill);

/* The page: doctype, inline CSS, header; and the end: the self-check script that writes
 * how many charts rendered and how many errors were caught into #tc-selfcheck. */
void rpt_page_begin(FILE *fp, const char *title);
void rpt_page_end(FILE *fp);

/* A horizontal stacked bar chart: one row per label, one segment per series (value NaN or
 * <= 0 = absent). values[row * n_series + s]; metrics likewise (NULL entries: no metric).
 * Every segment has a <title> tooltip; wide ones carry their label. ns: values are
 * durations (else plain numbers with unit). */
struct rpt_stack {
	const char *id;
	size_t n_rows, n_series;
	const char *const *rows;
	const char *const *series;
	const char *const *colours;
	const double *values;
	const char *const *metrics;
	int ns;
	const char *unit;
};
void rpt_stacked(FILE *fp, const struct rpt_stack *st);
/* A legend as HTML swatches. */
void rpt_legend(FILE *fp, const char *const *labels, const char *const *colours, size_t n);

#endif

/* cmd_testbench.c - `tracecast testbench`: the cost model tested op by op across GPUs on
 * tables of measured operators (docs/testbench.md). Every op of every table is predicted on
 * its own chip three ways — analytic (the spec alone), plain roofline (datasheet peaks, no
 * efficiency, no floor: the baseline of the NeuSight paper) and scaling (from every other
 * chip's measurement of the same op) — and the errors are reported per op class and chip,
 * per chip pair, with the worst ops; model tables add the end-to-end latency error per
 * model, mode and chip pair. Thresholds per class gate CI (--check, --junit). */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "calib.h"
#include "cli.h"
#include "hwmodel.h"
#include "ingest.h"

/* cal-*: --calibrated, leave one chip out (docs/testbench.md §Calibration) */
enum { M_ANALYTIC, M_ROOFLINE, M_SCALING, M_CAL_ANALYTIC, M_CAL_SCALING, M__COUNT };
static const char *const method_names[M__COUNT] = {"analytic", "roofline", "scaling",
						   "cal-analytic", "cal-scaling"};

/* The operator classes of the report: the micro tables' ops, the elementwise ones pooled
 * (as the NeuSight paper pools them). */
enum { G_BMM, G_LINEAR, G_CONV, G_ELEMENTWISE, G_LN, G_SOFTMAX, G__COUNT };
static const char *const group_names[G__COUNT] = {"bmm",	 "linear", "conv",
						  "elementwise", "ln",	   "softmax"};
/* Default gates: the targets (MAPE %, on unseen GPUs); conv has none. */
static const double default_limit[G__COUNT] = {15, 15, 0, 20, 25, 15};
#define E2E_LIMIT_DEFAULT 10.0

static int group_of(const char *op)
{
	for (int g = 0; g < G__COUNT; g++)
		if (strcmp(op, group_names[g]) == 0)
			return g;
	return G_ELEMENTWISE;
}

/* ---- error samples ------------------------------------------------------------------------ */

struct worst {
	double ape, meas, pred;
	const struct tc_optable_row *row;
	int src; /* chip index of a scaling source, -1 otherwise */
};

struct acc {
	double *ape; /* absolute percentage errors */
	size_t n, cap;
	struct worst *w; /* the largest, sorted descending */
	size_t nw;
};

static void acc_add(struct acc *a, double meas, double pred, const struct tc_optable_row *row,
		    int src, size_t keep)
{
	double ape = fabs(pred / meas - 1.0) * 100.0;
	if (a->n == a->cap) {
		a->cap = a->cap ? a->cap * 2 : 256;
		a->ape = tc_xrealloc(a->ape, a->cap * sizeof(*a->ape));
	}
	a->ape[a->n++] = ape;
	if (!keep)
		return;
	if (!a->w)
		a->w = tc_xcalloc(keep, sizeof(*a->w));
	if (a->nw == keep && !(ape > a->w[keep - 1].ape))
		return;
	size_t i = a->nw < keep ? a->nw++ : keep - 1;
	while (i > 0 && a->w[i - 1].ape < ape) {
		a->w[i] = a->w[i - 1];
		i--;
	}
	a->w[i] = (struct worst){ape, meas, pred, row, src};
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

struct stats {
	size_t n;
	double mape, median, p90;
};

/* Nearest-rank percentiles of the sorted sample (sorts a->ape in place). */
static struct stats acc_stats(struct acc *a)
{
	struct stats s = {a->n, NAN, NAN, NAN};
	if (!a->n)
		return s;
	qsort(a->ape, a->n, sizeof(double), cmp_double);
	double sum = 0;
	for (size_t i = 0; i < a->n; i++)
		sum += a->ape[i];
	s.mape = sum / (double)a->n;
	s.median = a->ape[(size_t)ceil(0.5 * (double)a->n) - 1];
	s.p90 = a->ape[(size_t)ceil(0.9 * (double)a->n) - 1];
	return s;
}

static void acc_free(struct acc *a)
{
	free(a->ape);
	free(a->w);
}

/* ---- inputs ------------------------------------------------------------------------------- */

struct ratios {
	double *v;
	size_t n, cap;
};

static void ratio_add(struct ratios *r, double x)
{
	if (r->n == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 256;
		r->v = tc_xrealloc(r->v, r->cap * sizeof(double));
	}
	r->v[r->n++] = x;
}

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
	struct acc *cell;
	struct acc *pair;
	json_t *models;		      /* array of per-pair model results */
	struct acc e2e[M__COUNT + 1]; /* + identity (the table's own node sum) */
	/* signed errors predicted/measured of the micro ops per [scaling, cal-scaling][class]
	 * [source][target]: the residual spread the end-to-end band is drawn from */
	struct ratios *rat[2];
	size_t band_in[3], band_n[3]; /* scaling, cal-scaling, the projection's band */
};

#define CELL(b, g, c, m) (&(b)->cell[((size_t)(g) * (b)->n_chips + (size_t)(c)) * M__COUNT + (m)])
#define RAT(b, k, g, s, d)                                                                         \
	(&(b)->rat[k][((size_t)(g) * (b)->n_chips + (size_t)(s)) * (b)->n_chips + (size_t)(d)])
#define PAIR(b, g, s, d)                                                                           \
	(&(b)->pair[((size_t)(g) * (b)->n_chips + (size_t)(s)) * (b)->n_chips + (size_t)(d)])

static int chip_index(struct tb *b, const char *id, struct tc_err *err)
{
	for (size_t i = 0; i < b->n_chips; i++)
		if (strcmp(b->chips[i].id, id) == 0)
			return (int)i;
	struct tc_chip *c = NULL;
	TC_TRY(tc_hw_load(b->hw, id, NULL, 0, &c, err));
	b->chips = tc_xrealloc(b->chips, (b->n_chips + 1) * sizeof(*b->chips));
	b->chips[b->n_chips] = (struct tb_chip){tc_chip_id(c), c, NULL, NULL};
	return (int)b->n_chips++;
}

static uint64_t row_key(const struct tc_optable_row *r)
{
	uint64_t h = tc_hash64(r->name, strlen(r->name), 0x7463);
	return tc_hash64(r->dims, strlen(r->dims), h ^ (r->backward ? 0x5bd1e995u : 0));
}

/* What the measuring harness costs any op, whatever its size (launch, framework and timer
 * overhead): the 1st percentile of the table's kernel ops, when the table shows one (at
 * least 5 ops, and 1 %, that the chip's spec makes more than twice as fast: the rule
 * calibrate uses). A measured time at this floor says nothing about the work, and the floor
 * does not scale with the chip. 0 = no floor. */
static double harness_floor(const struct tc_optable *t, const struct tc_chip *chip)
{
	size_t n = 0;
	double *v = tc_xmalloc((t->n_rows ? t->n_rows : 1) * sizeof(double));
	for (size_t i = 0; i < t->n_rows; i++)
		if (t->rows[i].has_work && t->rows[i].op_class != TC_CLASS_HOST &&
		    t->rows[i].latency_ns > 0)
			v[n++] = t->rows[i].latency_ns;
	double f = 0;
	if (n) {
		qsort(v, n, sizeof(double), cmp_double);
		f = v[(size_t)floor(0.01 * (double)(n - 1))];
	}
	free(v);
	size_t below = 0;
	for (size_t i = 0; i < t->n_rows && f > 0; i++) {
		const struct tc_optable_row *r = &t->rows[i];
		if (!r->has_work || r->op_class == TC_CLASS_HOST || !(r->latency_ns > 0))
			continue;
		struct tc_hw_op op = tc_calib_hw_op(r);
		struct tc_hw_cost c;
		below += tc_hw_op_cost(chip, &op, &c) == 0 && c.raw_ns < f / 2;
	}
	return below >= 5 && (double)below >= 0.01 * (double)n ? f : 0;
}

static int add_table(struct tb *b, const char *path, struct tc_err *err)
{
	struct tc_optable *t = NULL;
	TC_TRY(tc_optable_read(&t, path, err));
	const char *id = tc_hw_match_device(b->hw, t->device);
	if (!id) {
		tc_warn(b->log, "%s: no chip spec matches device '%s': skipped", path, t->device);
		tc_optable_free(t);
		return 0;
	}
	if (b->only) {
		int keep = 0;
		for (size_t i = 0; i < b->n_only && !keep; i++) {
			const char *c = tc_hw_canonical_id(b->hw, b->only[i]);
			keep = c && strcmp(c, id) == 0;
		}
		if (!keep) {
			tc_optable_free(t);
			return 0;
		}
	}
	int ci = chip_index(b, id, err);
	if (ci < 0) {
		tc_optable_free(t);
		return ci;
	}
	if (tc_grow((void **)&b->tabs, &b->cap_tabs, b->n_tabs + 1, sizeof(*b->tabs)) < 0) {
		tc_optable_free(t);
		return tc_err_set(err, TC_ENOMEM, "out of memory");
	}
	struct tb_table *tt = &b->tabs[b->n_tabs++];
	memset(tt, 0, sizeof(*tt));
	tt->t = t;
	tt->chip = ci;
	tt->harness_ns = harness_floor(t, b->chips[ci].chip);
	if (t->layout == TC_OPTABLE_MICRO) {
		/* the first measurement of a shape wins; repeats of a shape are rare in the data */
		for (size_t i = 0; i < t->n_rows; i++) {
			uint64_t k = row_key(&t->rows[i]);
			if (!tc_map64_get(&tt->index, k, NULL) &&
			    tc_map64_put(&tt->index, k, i + 1) < 0)
				return tc_err_set(err, TC_ENOMEM, "out of memory");
		}
	}
	return 0;
}

static const struct tc_optable_row *lookup(const struct tb_table *tt,
					   const struct tc_optable_row *r)
{
	uint64_t v;
	if (!tc_map64_get(&tt->index, row_key(r), &v))
		return NULL;
	const struct tc_optable_row *s = &tt->t->rows[v - 1];
	/* a 64-bit hash collision would pair different shapes: check the strings */
	return strcmp(s->name, r->name) == 0 && strcmp(s->dims, r->dims) == 0 ? s : NULL;
}

/* ---- predictions -------------------------------------------------------------------------- */


/* The spec alone. Nodes without a kernel (views, metadata) cost one host launch: the spec's
 * only figure for framework overhead. */
static double predict_analytic(const struct tc_chip *c, const struct tc_optable_row *r)
{
	if (r->op_class == TC_CLASS_HOST || !r->has_work)
		return tc_chip_launch_ns(c);
	struct tc_hw_op op = tc_calib_hw_op(r);
	struct tc_hw_cost cost;
	if (tc_hw_op_cost(c, &op, &cost) < 0)
		return tc_chip_launch_ns(c);
	return cost.ns;
}

/* Plain roofline: max(FLOPs / datasheet peak, bytes / datasheet bandwidth); matrix classes
 * take the matrix engine's peak for the dtype when it has one, else the vector engine's. */
static double predict_roofline(const struct tc_chip *c, const struct tc_optable_row *r)
{
	if (r->op_class == TC_CLASS_HOST || !r->has_work)
		return 0;
	int matrix = r->op_class == TC_CLASS_GEMM || r->op_class == TC_CLASS_CONV ||
		     r->op_class == TC_CLASS_ATTENTION;
	double p = matrix ? tc_chip_peak_flops(c, r->work.dtype, 1) : 0;
	if (!(p > 0))
		p = tc_chip_peak_flops(c, r->work.dtype, 0);
	if (!(p > 0))
		p = tc_chip_peak_flops(c, TC_DT_F32, 0);
	double tc = p > 0 ? (double)r->work.flops / p * 1e9 : 0;
	double tm = (double)(r->work.bytes_read + r->work.bytes_written) / tc_chip_mem_bw(c) * 1e9;
	return tc > tm ? tc : tm;
}

static double predict_scaled(const struct tc_chip *src, const struct tc_chip *dst,
			     const struct tc_optable_row *r, double t_src, double harness_ns)
{
	struct tc_hw_op op = tc_calib_hw_op(r);
	if (r->op_class == TC_CLASS_HOST || !r->has_work)
		return t_src; /* framework time: the host did not change */
	/* tc_hw_scale takes the ratio of the work before either floor; the result is floored
	 * on the target (docs/projection.md, "kernel floor") and by the source harness's own
	 * floor, which is the measuring loop's, not the chip's (as the replay keeps
	 * min(d, floor) of a measured kernel) */
	double t = tc_hw_scale(src, dst, &op, t_src, NULL);
	double floor_ns = tc_chip_floor_ns(dst, r->op_class);
	double h = t_src < harness_ns ? t_src : harness_ns;
	if (floor_ns < h)
		floor_ns = h;
	return t > floor_ns ? t : floor_ns;
}

/* --ops-csv: every prediction of a micro op, for analysis outside the tool */
static void csv_row(const struct tb *b, int method, int chip, int src,
		    const struct tc_optable_row *r, double pred)
{
	if (!b->ops_csv)
		return;
	fprintf(b->ops_csv, "%s,%s,%s,%s,\"%s\",%llu,%llu,%.1f,%.1f\n", method_names[method],
		b->chips[chip].id, src >= 0 ? b->chips[src].id : "", r->name, r->dims,
		(unsigned long long)r->work.flops,
		(unsigned long long)(r->work.bytes_read + r->work.bytes_written), r->latency_ns,
		pred);
}

static void run_micro(struct tb *b)
{
	for (size_t d = 0; d < b->n_tabs; d++) {
		const struct tb_table *D = &b->tabs[d];
		if (D->t->layout != TC_OPTABLE_MICRO)
			continue;
		const struct tc_chip *dc = b->chips[D->chip].chip;
		for (size_t i = 0; i < D->t->n_rows; i++) {
			const struct tc_optable_row *r = &D->t->rows[i];
			if (!(r->latency_ns > 0))
				continue;
			int g = group_of(r->name);
			double pa = predict_analytic(dc, r), pr = predict_roofline(dc, r);
			acc_add(CELL(b, g, D->chip, M_ANALYTIC), r->latency_ns, pa, r, -1,
				b->keep);
			acc_add(CELL(b, g, D->chip, M_ROOFLINE), r->latency_ns, pr, r, -1,
				b->keep);
			csv_row(b, M_ANALYTIC, D->chip, -1, r, pa);
			csv_row(b, M_ROOFLINE, D->chip, -1, r, pr);
			const struct tc_chip *dl = b->chips[D->chip].loo;
			if (dl) {
				double pc = predict_analytic(dl, r);
				acc_add(CELL(b, g, D->chip, M_CAL_ANALYTIC), r->latency_ns, pc, r,
					-1, b->keep);
				csv_row(b, M_CAL_ANALYTIC, D->chip, -1, r, pc);
			}
			for (size_t s = 0; s < b->n_tabs; s++) {
				const struct tb_table *S = &b->tabs[s];
				if (S->t->layout != TC_OPTABLE_MICRO || S->chip == D->chip)
					continue;
				const struct tc_optable_row *sr = lookup(S, r);
				if (!sr || !(sr->latency_ns > 0))
					continue;
				double p = predict_scaled(b->chips[S->chip].chip, dc, sr,
							  sr->latency_ns, S->harness_ns);
				acc_add(CELL(b, g, D->chip, M_SCALING), r->latency_ns, p, r,
					S->chip, b->keep);
				csv_row(b, M_SCALING, D->chip, S->chip, r, p);
				acc_add(PAIR(b, g, S->chip, D->chip), r->latency_ns, p, r, S->chip,
					0);
				ratio_add(RAT(b, 0, g, S->chip, D->chip), p / r->latency_ns);
				if (dl) {
					/* the source fitted on its own measurements, the target on
					 * the others': the target's own measurements are never used
					 */
					p = predict_scaled(b->chips[S->chip].own, dl, sr,
							   sr->latency_ns, S->harness_ns);
					acc_add(CELL(b, g, D->chip, M_CAL_SCALING), r->latency_ns,
						p, r, S->chip, b->keep);
					csv_row(b, M_CAL_SCALING, D->chip, S->chip, r, p);
					ratio_add(RAT(b, 1, g, S->chip, D->chip),
						  p / r->latency_ns);
				}
			}
		}
	}
}

static double sum_pred(const struct tc_optable *t, int method, const struct tc_chip *c)
{
	double s = 0;
	for (size_t i = 0; i < t->n_rows; i++) {
		const struct tc_optable_row *r = &t->rows[i];
		s += (method == M_ANALYTIC ? predict_analytic(c, r) : predict_roofline(c, r)) *
		     r->repeat;
	}
	return s;
}

/* Model tables of the same model, mode, sequence and batch on two chips hold the same
 * graph, though fx may list independent nodes in another order (and number them
 * differently): the prediction sums the source's nodes, so order does not matter, but the
 * node count per class must agree. */
static int same_graph(const struct tc_optable *a, const struct tc_optable *b)
{
	size_t ca[TC_CLASS__COUNT] = {0}, cb[TC_CLASS__COUNT] = {0};
	if (a->n_rows != b->n_rows)
		return 0;
	for (size_t i = 0; i < a->n_rows; i++) {
		ca[a->rows[i].op_class % TC_CLASS__COUNT] += a->rows[i].repeat;
		cb[b->rows[i].op_class % TC_CLASS__COUNT] += b->rows[i].repeat;
	}
	return memcmp(ca, cb, sizeof(ca)) == 0;
}

/* ---- the uncertainty band of an end-to-end prediction ------------------------------------ */

#define BAND_SAMPLES 1000

/* The report class whose residual spread stands for a model node's class; -1: none (no
 * kernel, or a class the micro tables do not measure: counted as exact). */
static int band_group(unsigned cls)
{
	switch (cls) {
	case TC_CLASS_GEMM:
		return G_BMM; /* pooled with linear below */
	case TC_CLASS_CONV:
		return G_CONV;
	case TC_CLASS_ELEMENTWISE:
		return G_ELEMENTWISE;
	case TC_CLASS_NORM:
		return G_LN;
	case TC_CLASS_SOFTMAX:
		return G_SOFTMAX;
	default:
		return -1;
	}
}

/* p10-p90 of the end-to-end time when each class's summed prediction is off by a factor
 * drawn from that class's measured operator errors (predicted/measured) on chip pairs that
 * do not involve the target (its measurements must not size its own band). One factor per
 * class and draw: the errors of one class on one chip are systematic, so drawing them per
 * node would average them away and give a band far too narrow. */
static int band(struct tb *b, int k, int target, const double *class_ns, double other_ns,
		uint64_t seed, double *lo, double *hi)
{
	struct ratios pool[G__COUNT];
	memset(pool, 0, sizeof(pool));
	for (int g = 0; g < G__COUNT; g++) {
		if (!(class_ns[g] > 0))
			continue;
		for (int gg = 0; gg < G__COUNT; gg++) {
			if (gg != g && !(g == G_BMM && gg == G_LINEAR))
				continue;
			for (size_t s = 0; s < b->n_chips; s++)
				for (size_t d = 0; d < b->n_chips; d++) {
					if ((int)s == target || (int)d == target)
						continue;
					const struct ratios *r = RAT(b, k, gg, s, d);
					for (size_t i = 0; i < r->n; i++)
						ratio_add(&pool[g], r->v[i]);
				}
		}
	}
	double *e = tc_xmalloc(BAND_SAMPLES * sizeof(double));
	uint64_t x = seed | 1;
	for (int i = 0; i < BAND_SAMPLES; i++) {
		double t = other_ns;
		for (int g = 0; g < G__COUNT; g++) {
			if (!(class_ns[g] > 0))
				continue;
			if (!pool[g].n) {
				t += class_ns[g];
				continue;
			}
			x = x * 6364136223846793005ull + 1442695040888963407ull;
			t += class_ns[g] / pool[g].v[(x >> 33) % pool[g].n];
		}
		e[i] = t;
	}
	qsort(e, BAND_SAMPLES, sizeof(double), cmp_double);
	*lo = e[BAND_SAMPLES / 10 - 1];
	*hi = e[BAND_SAMPLES * 9 / 10 - 1];
	int any = 0;
	for (int g = 0; g < G__COUNT; g++) {
		any |= pool[g].n > 0;
		free(pool[g].v);
	}
	free(e);
	return any;
}

/* The band `project` reports (replay/band.c) on the same sums: each class's sum multiplied by
 * a lognormal factor with the sigma of both chips (tc_chip_class_sigma, scaling), one per
 * class and draw. Its coverage here checks the defaults the projection uses. */
static void band_sigma(const struct tc_chip *src, const struct tc_chip *dst,
		       const double *class_ns, double other_ns, uint64_t seed, double *lo, double *hi)
{
	static const unsigned cls_of[G__COUNT] = {TC_CLASS_GEMM,	TC_CLASS_GEMM,
						  TC_CLASS_CONV,	TC_CLASS_ELEMENTWISE,
						  TC_CLASS_NORM,	TC_CLASS_SOFTMAX};
	double sig[G__COUNT];
	for (int g = 0; g < G__COUNT; g++) {
		double a = tc_chip_class_sigma(src, cls_of[g], 0, NULL);
		double c = tc_chip_class_sigma(dst, cls_of[g], 0, NULL);
		sig[g] = sqrt(a * a + c * c);
	}
	double *e = tc_xmalloc(BAND_SAMPLES * sizeof(double));
	uint64_t x = seed | 1;
	for (int i = 0; i < BAND_SAMPLES; i++) {
		double t = other_ns;
		for (int g = 0; g < G__COUNT; g++) {
			/* Box-Muller on two LCG draws */
			x = x * 6364136223846793005ull + 1442695040888963407ull;
			double u1 = ((double)(x >> 11) + 0.5) * 0x1p-53;
			x = x * 6364136223846793005ull + 1442695040888963407ull;
			double u2 = (double)(x >> 11) * 0x1p-53;
			double z = sqrt(-2 * log(u1)) * cos(6.283185307179586 * u2);
			t += class_ns[g] * exp(sig[g] * z);
		}
		e[i] = t;
	}
	qsort(e, BAND_SAMPLES, sizeof(double), cmp_double);
	*lo = e[BAND_SAMPLES / 10 - 1];
	*hi = e[BAND_SAMPLES * 9 / 10 - 1];
	free(e);
}

static void model_result(struct tb *b, const struct tb_table *D, const char *method,
			 const char *src, double pred)
{
	double err = (pred / D->t->e2e_ns - 1.0) * 100.0;
	json_t *o = json_object();
	json_object_set_new(o, "model", json_string(D->t->model));
	json_object_set_new(o, "chip", json_string(b->chips[D->chip].id));
	json_object_set_new(o, "method", json_string(method));
	json_object_set_new(o, "source", src ? json_string(src) : json_null());
	json_object_set_new(o, "measured_ms", json_real(D->t->e2e_ns / 1e6));
	json_object_set_new(o, "predicted_ms", json_real(pred / 1e6));
	json_object_set_new(o, "error_pct", json_real(err));
	json_array_append_new(b->models, o);
}

static void run_models(struct tb *b)
{
	for (size_t d = 0; d < b->n_tabs; d++) {
		const struct tb_table *D = &b->tabs[d];
		if (D->t->layout != TC_OPTABLE_MODEL || !(D->t->e2e_ns > 0))
			continue;
		const struct tc_chip *dc = b->chips[D->chip].chip;
		double own = tc_optable_measured_total_ns(D->t);
		acc_add(&b->e2e[M__COUNT], D->t->e2e_ns, own, NULL, -1, 0);
		model_result(b, D, "identity", NULL, own);
		for (int m = M_ANALYTIC; m <= M_ROOFLINE; m++) {
			double p = sum_pred(D->t, m, dc);
			acc_add(&b->e2e[m], D->t->e2e_ns, p, NULL, -1, 0);
			model_result(b, D, method_names[m], NULL, p);
		}
		const struct tc_chip *dl = b->chips[D->chip].loo_nf;
		if (dl) {
			double p = sum_pred(D->t, M_ANALYTIC, dl);
			acc_add(&b->e2e[M_CAL_ANALYTIC], D->t->e2e_ns, p, NULL, -1, 0);
			model_result(b, D, method_names[M_CAL_ANALYTIC], NULL, p);
		}
		for (size_t s = 0; s < b->n_tabs; s++) {
			const struct tb_table *S = &b->tabs[s];
			if (S->t->layout != TC_OPTABLE_MODEL || S->chip == D->chip ||
			    strcmp(S->t->model, D->t->model) != 0)
				continue;
			if (!same_graph(S->t, D->t)) {
				tc_warn(b->log, "%s and %s: different node sequences: not paired",
					S->t->path, D->t->path);
				continue;
			}
			for (int k = 0; k < 2; k++) {
				const struct tc_chip *sc =
				    k ? b->chips[S->chip].own_nf : b->chips[S->chip].chip;
				const struct tc_chip *tc = k ? dl : dc;
				if (!sc || !tc)
					continue;
				double cls[G__COUNT] = {0}, other = 0, p = 0;
				for (size_t i = 0; i < S->t->n_rows; i++) {
					const struct tc_optable_row *r = &S->t->rows[i];
					double t =
					    predict_scaled(sc, tc, r, r->latency_ns, S->harness_ns) *
					    r->repeat;
					int g = r->has_work ? band_group(r->op_class) : -1;
					if (g >= 0)
						cls[g] += t;
					else
						other += t;
					p += t;
				}
				int m = k ? M_CAL_SCALING : M_SCALING;
				acc_add(&b->e2e[m], D->t->e2e_ns, p, NULL, -1, 0);
				model_result(b, D, method_names[m], b->chips[S->chip].id, p);
				double lo, hi;
				uint64_t seed =
				    tc_hash64(D->t->model, strlen(D->t->model),
					      (uint64_t)S->chip * 131 + (uint64_t)D->chip);
				if (band(b, k, D->chip, cls, other, seed, &lo, &hi)) {
					json_t *o = json_array_get(b->models,
								   json_array_size(b->models) - 1);
					json_object_set_new(o, "band_p10_ms", json_real(lo / 1e6));
					json_object_set_new(o, "band_p90_ms", json_real(hi / 1e6));
					json_object_set_new(
					    o, "in_band",
					    json_boolean(D->t->e2e_ns >= lo && D->t->e2e_ns <= hi));
					b->band_n[k]++;
					b->band_in[k] += D->t->e2e_ns >= lo && D->t->e2e_ns <= hi;
				}
				if (k == 0) {
					band_sigma(sc, tc, cls, other, seed, &lo, &hi);
					b->band_n[2]++;
					b->band_in[2] += D->t->e2e_ns >= lo && D->t->e2e_ns <= hi;
				}
			}
		}
	}
}

/* --calibrated: every chip's curves fitted on its own micro tables (used when it is a
 * scaling source), and for every chip a leave-one-out overlay: the corrections of the
 * other chips of its vendor (all other chips when it has no sibling) pooled and applied to
 * its own spec (used when it is the target). A chip's own measurements never reach its
 * leave-one-out overlay. */
/* Load the overlay of one fit, and the same without its floors (tb_chip.own_nf). */
static int load_fit(struct tb *b, size_t c, const struct tc_calib_fit *fit, const char *prov,
		    struct tc_chip **out, struct tc_chip **out_nf, struct tc_err *err)
{
	json_t *o = NULL;
	int rc = tc_calib_overlay(b->chips[c].chip, fit, prov, &o, err);
	if (rc == 0)
		rc = tc_calib_load(b->hw, o, out, err);
	json_decref(o);
	if (rc < 0)
		return rc;
	struct tc_calib_fit nf = *fit;
	nf.floor_ns = NAN;
	for (int k = 0; k < TC_CLASS__COUNT; k++) {
		nf.cls[k].floor_ns = NAN;
		if (!isnan(nf.cls[k].eff))
			nf.cls[k].fixed_ns = 0;
	}
	o = NULL;
	rc = tc_calib_overlay(b->chips[c].chip, &nf, prov, &o, err);
	if (rc == 0)
		rc = tc_calib_load(b->hw, o, out_nf, err);
	json_decref(o);
	return rc;
}

static int calibrate_all(struct tb *b, struct tc_err *err)
{
	struct tc_calib_fit *fits = tc_xcalloc(b->n_chips, sizeof(*fits));
	int *has = tc_xcalloc(b->n_chips, sizeof(int));
	int rc = 0;
	for (size_t c = 0; c < b->n_chips; c++) {
		struct tc_calib_acc acc;
		memset(&acc, 0, sizeof(acc));
		for (size_t t = 0; t < b->n_tabs; t++) {
			if (b->tabs[t].chip != (int)c || b->tabs[t].t->layout != TC_OPTABLE_MICRO)
				continue;
			for (size_t i = 0; i < b->tabs[t].t->n_rows; i++)
				tc_calib_add(&acc, b->chips[c].chip, &b->tabs[t].t->rows[i]);
		}
		tc_calib_finish(&acc, &fits[c]);
		tc_calib_acc_free(&acc);
		has[c] = fits[c].n_ops > 0;
	}
	for (size_t c = 0; c < b->n_chips && rc == 0; c++) {
		char prov[256];
		if (has[c]) {
			snprintf(prov, sizeof(prov), "testbench: fitted on %s's own tables",
				 b->chips[c].id);
			rc = load_fit(b, c, &fits[c], prov, &b->chips[c].own, &b->chips[c].own_nf,
				      err);
		}
		struct tc_calib_fit *pool = tc_xcalloc(b->n_chips, sizeof(*pool));
		size_t np = 0;
		const char *v = tc_chip_vendor(b->chips[c].chip);
		for (int pass = 0; pass < 2 && np == 0; pass++)
			for (size_t s = 0; s < b->n_chips; s++)
				if (s != c && has[s] &&
				    (pass == 1 || strcmp(tc_chip_vendor(b->chips[s].chip), v) == 0))
					pool[np++] = fits[s];
		if (rc == 0 && np) {
			struct tc_calib_fit pooled;
			tc_calib_pool(pool, np, &pooled);
			snprintf(prov, sizeof(prov),
				 "testbench: %s held out, fitted on %zu other chips",
				 b->chips[c].id, np);
			rc = load_fit(b, c, &pooled, prov, &b->chips[c].loo, &b->chips[c].loo_nf,
				      err);
		}
		free(pool);
	}
	free(fits);
	free(has);
	return rc;
}

/* ---- thresholds --------------------------------------------------------------------------- */

struct limits {
	double mape[G__COUNT]; /* 0 = no gate */
	double e2e_median;
	int method;
};

struct gate {
	const char *what, *chip;
	double value, limit;
	int pass;
};

static void fmt_pct(char *buf, size_t n, double v)
{
	if (isnan(v))
		snprintf(buf, n, "-");
	else
		tc_fmt_fixed(buf, n, v, 1);
}

/* ---- output ------------------------------------------------------------------------------- */

static void print_worst(const struct tb *b, FILE *fp, const struct acc *a, const char *method)
{
	char x[32], y[32], z[32];
	for (size_t i = 0; i < a->nw; i++) {
		const struct worst *w = &a->w[i];
		fprintf(fp, "    %-9s %5s%%  %-10s %-32s measured %10s  predicted %10s%s%s\n",
			method, (fmt_pct(x, sizeof(x), w->ape), x), w->row->name, w->row->dims,
			tc_fmt_ns(y, sizeof(y), w->meas), tc_fmt_ns(z, sizeof(z), w->pred),
			w->src >= 0 ? "  from " : "", w->src >= 0 ? b->chips[w->src].id : "");
	}
}

static json_t *jstats(struct stats s)
{
	json_t *o = json_object();
	json_object_set_new(o, "n", json_integer((json_int_t)s.n));
	json_object_set_new(o, "mape", s.n ? json_real(s.mape) : json_null());
	json_object_set_new(o, "median", s.n ? json_real(s.median) : json_null());
	json_object_set_new(o, "p90", s.n ? json_real(s.p90) : json_null());
	return o;
}

static void xml_escape(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '&':
			fputs("&amp;", f);
			break;
		case '"':
			fputs("&quot;", f);
			break;
		default:
			if ((unsigned char)*s >= 0x20)
				fputc(*s, f);
		}
	}
}

static int write_junit(const char *path, const struct gate *g, size_t n, struct tc_err *err)
{
	struct tc_outfile o;
	size_t failures = 0;
	char v[32], l[32];
	for (size_t i = 0; i < n; i++)
		failures += !g[i].pass;
	TC_TRY(tc_outfile_open(&o, path, err));
	fprintf(o.fp,
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n"
		"<testsuite name=\"tracecast testbench\" tests=\"%zu\" failures=\"%zu\">\n",
		n, failures);
	for (size_t i = 0; i < n; i++) {
		fprintf(o.fp, "  <testcase classname=\"tracecast.testbench.");
		xml_escape(o.fp, g[i].what);
		fprintf(o.fp, "\" name=\"");
		xml_escape(o.fp, g[i].chip);
		fprintf(o.fp, "\">");
		if (!g[i].pass) {
			fmt_pct(v, sizeof(v), g[i].value);
			fmt_pct(l, sizeof(l), g[i].limit);
			fprintf(o.fp, "<failure message=\"");
			xml_escape(o.fp, g[i].what);
			fprintf(o.fp, " on ");
			xml_escape(o.fp, g[i].chip);
			fprintf(o.fp, ": %s%% &gt; %s%%\"/>", v, l);
		}
		fprintf(o.fp, "</testcase>\n");
	}
	fprintf(o.fp, "</testsuite>\n</testsuites>\n");
	return tc_outfile_commit(&o, err);
}

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

int tc_cmd_testbench(struct tc_cli *cli, int argc, char **argv)
{
	struct tb b;
	struct limits lim;
	struct tc_err err = TC_ERR_INIT;
	const char *json_path = NULL, *junit = NULL, *specs = NULL, *ops_csv = NULL;
	struct tc_outfile ops_out = {0};
	const char **inputs = NULL, **only = NULL;
	size_t n_inputs = 0, n_only = 0;
	int check = 0, rc = 0, worst = 3, usage_rc = 0;

	if (tc_cli_wants_help(argc, argv)) {
		usage(stdout);
		return 0;
	}
	memset(&b, 0, sizeof(b));
	memcpy(lim.mape, default_limit, sizeof(lim.mape));
	lim.e2e_median = E2E_LIMIT_DEFAULT;
	lim.method = M_SCALING;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--chips") == 0 && i + 1 < argc)
			split_list(argv[++i], &only, &n_only);
		else if (strcmp(a, "--json") == 0 && i + 1 < argc)
			json_path = argv[++i];
		else if (strcmp(a, "--junit") == 0 && i + 1 < argc)
			junit = argv[++i];
		else if (strcmp(a, "--ops-csv") == 0 && i + 1 < argc)
			ops_csv = argv[++i];
		else if (strcmp(a, "--specs") == 0 && i + 1 < argc)
			specs = argv[++i];
		else if (strcmp(a, "--check") == 0)
			check = 1;
		else if (strcmp(a, "--calibrated") == 0)
			b.calibrated = 1;
		else if (strcmp(a, "--worst") == 0 && i + 1 < argc) {
			char *e;
			long v = strtol(argv[++i], &e, 10);
			if (*e || v < 0 || v > 1000) {
				usage_rc = tc_cli_usage(cli, "testbench",
							"--worst: not a count '%s'", argv[i]);
				break;
			}
			worst = (int)v;
		} else if (strcmp(a, "--gate") == 0 && i + 1 < argc) {
			const char *m = argv[++i];
			if (strcmp(m, "analytic") == 0)
				lim.method = M_ANALYTIC;
			else if (strcmp(m, "scaling") == 0)
				lim.method = M_SCALING;
			else if (strcmp(m, "cal-analytic") == 0)
				lim.method = M_CAL_ANALYTIC;
			else if (strcmp(m, "cal-scaling") == 0)
				lim.method = M_CAL_SCALING;
			else {
				usage_rc = tc_cli_usage(cli, "testbench",
							"--gate: analytic or scaling, not '%s'", m);
				break;
			}
		} else if (strcmp(a, "--threshold") == 0 && i + 1 < argc) {
			const char *t = argv[++i], *eq = strchr(t, '=');
			char *e;
			double v = eq ? strtod(eq + 1, &e) : -1;
			if (!eq || *e || !(v >= 0)) {
				usage_rc = tc_cli_usage(cli, "testbench",
							"--threshold: CLASS=PCT, not '%s'", t);
				break;
			}
			size_t kl = (size_t)(eq - t);
			int g;
			for (g = 0; g < G__COUNT; g++)
				if (strlen(group_names[g]) == kl &&
				    strncmp(t, group_names[g], kl) == 0)
					break;
			if (g < G__COUNT)
				lim.mape[g] = v;
			else if (kl == 3 && strncmp(t, "e2e", 3) == 0)
				lim.e2e_median = v;
			else {
				usage_rc = tc_cli_usage(cli, "testbench",
							"--threshold: unknown class in '%s'", t);
				break;
			}
		} else if (strcmp(a, "-v") == 0) {
			cli->log.level = TC_LOG_INFO;
		} else if (strcmp(a, "-q") == 0) {
			cli->log.level = TC_LOG_ERROR;
		} else if (a[0] == '-' && a[1]) {
			usage_rc = tc_cli_usage(cli, "testbench", "unknown option '%s'", a);
			break;
		} else {
			inputs = tc_xrealloc(inputs, (n_inputs + 1) * sizeof(char *));
			inputs[n_inputs++] = a;
		}
	}
	if (!usage_rc && !n_inputs)
		usage_rc = tc_cli_usage(cli, "testbench", "no tables given");
	if (usage_rc) {
		for (size_t i = 0; i < n_only; i++)
			free((void *)only[i]);
		free(only);
		free(inputs);
		return usage_rc;
	}
	b.only = only;
	b.n_only = n_only;
	b.keep = (size_t)worst;
	b.log = &cli->log;
	b.models = json_array();
	double t0 = tc_now();

	char **files = NULL;
	size_t n_files = 0, cap_files = 0;
	rc = tc_hw_open(&b.hw, specs, &err);
	for (size_t i = 0; i < n_inputs && rc == 0; i++)
		rc = tc_calib_collect(inputs[i], &files, &n_files, &cap_files, &err);
	for (size_t i = 0; i < n_only && rc == 0; i++)
		if (!tc_hw_canonical_id(b.hw, only[i]))
			rc = tc_err_set(&err, TC_EINVAL, "--chips: unknown chip '%s'", only[i]);
	for (size_t i = 0; i < n_files && rc == 0; i++)
		rc = add_table(&b, files[i], &err);
	if (rc == 0 && b.n_tabs == 0)
		rc = tc_err_set(&err, TC_EINVAL, "no operator tables of a known chip in the input");
	size_t n_gates = 0;
	struct gate *gates = NULL;
	if (rc == 0) {
		b.cell = tc_xcalloc((size_t)G__COUNT * b.n_chips * M__COUNT, sizeof(struct acc));
		b.pair = tc_xcalloc((size_t)G__COUNT * b.n_chips * b.n_chips, sizeof(struct acc));
		for (int k = 0; k < 2; k++)
			b.rat[k] = tc_xcalloc((size_t)G__COUNT * b.n_chips * b.n_chips,
					      sizeof(struct ratios));
		b.n_methods = b.calibrated ? M__COUNT : M_CAL_ANALYTIC;
		if (b.calibrated)
			rc = calibrate_all(&b, &err);
	}
	if (rc == 0 && lim.method >= b.n_methods)
		rc = tc_err_set(&err, TC_EINVAL, "--gate %s needs --calibrated",
				method_names[lim.method]);
	if (rc == 0 && ops_csv) {
		rc = tc_outfile_open(&ops_out, ops_csv, &err);
		if (rc == 0) {
			b.ops_csv = ops_out.fp;
			fputs("method,chip,source,op,dims,flops,bytes,measured_ns,predicted_ns\n", b.ops_csv);
		}
	}
	if (rc == 0) {
		run_micro(&b);
		run_models(&b);
	}
	if (rc == 0 && ops_csv)
		rc = tc_outfile_commit(&ops_out, &err);
	else
		tc_outfile_abort(&ops_out);
	if (rc == 0) {
		FILE *fp = stdout;
		char x[3][32], y[112];
		size_t rows = 0, models = 0;
		for (size_t i = 0; i < b.n_tabs; i++) {
			rows += b.tabs[i].t->n_rows;
			models += b.tabs[i].t->layout == TC_OPTABLE_MODEL;
		}
		json_t *root = json_object();
		json_t *jchips = json_array(), *jcls = json_array(), *jpairs = json_array();
		for (size_t c = 0; c < b.n_chips; c++)
			json_array_append_new(jchips, json_string(b.chips[c].id));
		fprintf(fp, "testbench: %zu tables (%zu model), %zu chips, %zu rows\n\n", b.n_tabs,
			models, b.n_chips, rows);
		fprintf(fp, "operator error, %% of the measured latency: MAPE / median / p90 "
			    "(scaling pools every other chip as the source)\n");
		fprintf(fp, "%-12s %-15s %7s ", "class", "chip", "n");
		for (int m = 0; m < b.n_methods; m++)
			fprintf(fp, " %-20s", method_names[m]);
		fputc('\n', fp);
		for (int g = 0; g < G__COUNT; g++) {
			for (size_t c = 0; c < b.n_chips; c++) {
				struct stats s[M__COUNT];
				for (int m = 0; m < M__COUNT; m++)
					s[m] = acc_stats(CELL(&b, g, c, m));
				if (!s[M_ANALYTIC].n)
					continue;
				fprintf(fp, "%-12s %-15s %7zu ", group_names[g], b.chips[c].id,
					s[M_ANALYTIC].n);
				json_t *o = json_object();
				json_object_set_new(o, "class", json_string(group_names[g]));
				json_object_set_new(o, "chip", json_string(b.chips[c].id));
				for (int m = 0; m < b.n_methods; m++) {
					fmt_pct(x[0], sizeof(x[0]), s[m].mape);
					fmt_pct(x[1], sizeof(x[1]), s[m].median);
					fmt_pct(x[2], sizeof(x[2]), s[m].p90);
					snprintf(y, sizeof(y), "%s / %s / %s", x[0], x[1], x[2]);
					fprintf(fp, " %-20s", s[m].n ? y : "-");
					json_t *js = jstats(s[m]);
					json_t *jw = json_array();
					const struct acc *a = CELL(&b, g, c, m);
					for (size_t w = 0; w < a->nw; w++) {
						json_t *wo = json_object();
						json_object_set_new(wo, "op",
								    json_string(a->w[w].row->name));
						json_object_set_new(wo, "dims",
								    json_string(a->w[w].row->dims));
						json_object_set_new(wo, "measured_ns",
								    json_real(a->w[w].meas));
						json_object_set_new(wo, "predicted_ns",
								    json_real(a->w[w].pred));
						json_object_set_new(wo, "ape",
								    json_real(a->w[w].ape));
						if (a->w[w].src >= 0)
							json_object_set_new(
							    wo, "source",
							    json_string(b.chips[a->w[w].src].id));
						json_array_append_new(jw, wo);
					}
					json_object_set_new(js, "worst", jw);
					json_object_set_new(o, method_names[m], js);
				}
				fputc('\n', fp);
				json_array_append_new(jcls, o);
				if (lim.mape[g] > 0 && s[lim.method].n) {
					gates = tc_xrealloc(gates, (n_gates + 1) * sizeof(*gates));
					gates[n_gates++] = (struct gate){
					    group_names[g], b.chips[c].id, s[lim.method].mape,
					    lim.mape[g], s[lim.method].mape <= lim.mape[g]};
				}
			}
		}
		/* every chip pooled: the figure the NeuSight paper's table gives per class */
		fprintf(fp, "\nper class, every chip pooled: MAPE %%\n%-12s %7s ", "class", "n");
		for (int m = 0; m < b.n_methods; m++)
			fprintf(fp, " %12s", method_names[m]);
		fputc('\n', fp);
		json_t *jpool = json_array();
		for (int g = 0; g < G__COUNT; g++) {
			struct stats s[M__COUNT];
			for (int m = 0; m < M__COUNT; m++) {
				struct acc all;
				memset(&all, 0, sizeof(all));
				for (size_t c = 0; c < b.n_chips; c++) {
					const struct acc *a = CELL(&b, g, c, m);
					for (size_t i = 0; i < a->n; i++)
						acc_add(&all, 1.0, 1.0 + a->ape[i] / 100.0, NULL,
							-1, 0);
				}
				s[m] = acc_stats(&all);
				acc_free(&all);
			}
			if (!s[M_ANALYTIC].n)
				continue;
			fprintf(fp, "%-12s %7zu ", group_names[g], s[M_ANALYTIC].n);
			for (int m = 0; m < b.n_methods; m++) {
				fmt_pct(x[0], sizeof(x[0]), s[m].mape);
				fprintf(fp, " %12s", x[0]);
			}
			fputc('\n', fp);
			json_t *o = json_object();
			json_object_set_new(o, "class", json_string(group_names[g]));
			for (int m = 0; m < b.n_methods; m++)
				json_object_set_new(o, method_names[m], jstats(s[m]));
			json_array_append_new(jpool, o);
		}
		json_object_set_new(root, "pooled", jpool);
		/* scaling by pair */
		int any_pair = 0;
		for (int g = 0; g < G__COUNT; g++) {
			int has = 0;
			for (size_t s = 0; s < b.n_chips && !has; s++)
				for (size_t d = 0; d < b.n_chips && !has; d++)
					has = PAIR(&b, g, s, d)->n > 0;
			if (!has)
				continue;
			if (!any_pair)
				fprintf(
				    fp,
				    "\nscaling by chip pair: MAPE %% (row: measured on, column: "
				    "predicted for)\n");
			any_pair = 1;
			fprintf(fp, "%-12s", group_names[g]);
			for (size_t d = 0; d < b.n_chips; d++)
				fprintf(fp, " %15s", b.chips[d].id);
			fputc('\n', fp);
			for (size_t s = 0; s < b.n_chips; s++) {
				int row_has = 0;
				for (size_t d = 0; d < b.n_chips; d++)
					row_has |= PAIR(&b, g, s, d)->n > 0;
				if (!row_has)
					continue;
				fprintf(fp, "  %-10s", b.chips[s].id);
				for (size_t d = 0; d < b.n_chips; d++) {
					struct stats st = acc_stats(PAIR(&b, g, s, d));
					fmt_pct(x[0], sizeof(x[0]), st.mape);
					fprintf(fp, " %15s", x[0]);
					if (!st.n)
						continue;
					json_t *o = jstats(st);
					json_object_set_new(o, "class",
							    json_string(group_names[g]));
					json_object_set_new(o, "source",
							    json_string(b.chips[s].id));
					json_object_set_new(o, "chip", json_string(b.chips[d].id));
					json_array_append_new(jpairs, o);
				}
				fputc('\n', fp);
			}
		}
		if (b.keep) {
			fprintf(fp, "\nworst ops (absolute error %%)\n");
			for (int g = 0; g < G__COUNT; g++)
				for (size_t c = 0; c < b.n_chips; c++) {
					if (!CELL(&b, g, c, M_ANALYTIC)->n)
						continue;
					fprintf(fp, "  %s on %s\n", group_names[g], b.chips[c].id);
					print_worst(&b, fp, CELL(&b, g, c, M_ANALYTIC), "analytic");
					print_worst(&b, fp, CELL(&b, g, c, M_SCALING), "scaling");
					if (b.calibrated)
						print_worst(&b, fp, CELL(&b, g, c, M_CAL_SCALING),
							    "cal-scal");
				}
		}
		json_t *jsum = json_object();
		if (json_array_size(b.models)) {
			fprintf(fp,
				"\nend-to-end latency of model tables (error %% of the measured "
				"e2e_latency)\n");
			fprintf(fp, "%-28s %-15s %-12s %-15s %12s %12s %8s  %s\n", "model", "chip",
				"method", "from", "measured", "predicted", "error", "p10-p90 band");
			size_t i;
			json_t *o;
			json_array_foreach(b.models, i, o)
			{
				const char *src = json_string_value(json_object_get(o, "source"));
				fmt_pct(x[0], sizeof(x[0]),
					json_real_value(json_object_get(o, "error_pct")));
				char ms1[32], ms2[32];
				char band_s[80] = "";
				json_t *blo = json_object_get(o, "band_p10_ms");
				if (blo) {
					char l1[32], l2[32];
					snprintf(
					    band_s, sizeof(band_s), "%s - %s%s",
					    tc_fmt_ns(l1, sizeof(l1), json_real_value(blo) * 1e6),
					    tc_fmt_ns(
						l2, sizeof(l2),
						json_real_value(json_object_get(o, "band_p90_ms")) *
						    1e6),
					    json_is_true(json_object_get(o, "in_band"))
						? ""
						: "  (outside)");
				}
				fprintf(
				    fp, "%-28s %-15s %-12s %-15s %12s %12s %7s%%  %s\n",
				    json_string_value(json_object_get(o, "model")),
				    json_string_value(json_object_get(o, "chip")),
				    json_string_value(json_object_get(o, "method")),
				    src ? src : "-",
				    tc_fmt_ns(ms1, sizeof(ms1),
					      json_real_value(json_object_get(o, "measured_ms")) *
						  1e6),
				    tc_fmt_ns(ms2, sizeof(ms2),
					      json_real_value(json_object_get(o, "predicted_ms")) *
						  1e6),
				    x[0], band_s);
			}
			static const char *const what[M__COUNT + 1] = {
			    "analytic",	    "roofline",	   "scaling",
			    "cal-analytic", "cal-scaling", "identity"};
			json_t *jband = json_object();
			static const char *const band_names[3] = {"scaling", "cal-scaling",
								  "project"};
			for (int k = 0; k < 3; k++) {
				if (!b.band_n[k])
					continue;
				double cov = 100.0 * (double)b.band_in[k] / (double)b.band_n[k];
				fmt_pct(x[0], sizeof(x[0]), cov);
				fprintf(fp,
					"\n%s: measured e2e inside the p10-p90 band in %zu of %zu "
					"pairs "
					"(%s%%; an 80%% band should hold about 80%%)%s\n",
					band_names[k], b.band_in[k], b.band_n[k], x[0],
					k == 2 ? "\n  (the band project reports: lognormal per class "
						 "with the chips' sigma, scaling)"
					       : "");
				json_t *jb = json_object();
				json_object_set_new(jb, "pairs",
						    json_integer((json_int_t)b.band_n[k]));
				json_object_set_new(jb, "inside",
						    json_integer((json_int_t)b.band_in[k]));
				json_object_set_new(jb, "coverage_pct", json_real(cov));
				json_object_set_new(jband, band_names[k], jb);
			}
			json_object_set_new(root, "band_coverage", jband);
			fprintf(fp,
				"\nend-to-end |error| over model tables and pairs: median / MAPE / "
				"p90 %%\n");
			for (int m = 0; m <= M__COUNT; m++) {
				struct stats s = acc_stats(&b.e2e[m]);
				if (!s.n)
					continue;
				fmt_pct(x[0], sizeof(x[0]), s.median);
				fmt_pct(x[1], sizeof(x[1]), s.mape);
				fmt_pct(x[2], sizeof(x[2]), s.p90);
				fprintf(fp, "  %-12s %4zu  %s / %s / %s%s\n", what[m], s.n, x[0],
					x[1], x[2],
					m == M__COUNT ? "   (each table's own node sum: the floor)"
						      : "");
				json_object_set_new(jsum, what[m], jstats(s));
				if (m == lim.method && lim.e2e_median > 0) {
					gates = tc_xrealloc(gates, (n_gates + 1) * sizeof(*gates));
					gates[n_gates++] = (struct gate){
					    "e2e", "all pairs", s.median, lim.e2e_median,
					    s.median <= lim.e2e_median};
				}
			}
		}
		size_t failed = 0;
		json_t *jg = json_array();
		if (n_gates) {
			fprintf(fp, "\ngates (%s; MAPE, e2e: median |error|)\n",
				method_names[lim.method]);
			for (size_t i = 0; i < n_gates; i++) {
				fmt_pct(x[0], sizeof(x[0]), gates[i].value);
				fmt_pct(x[1], sizeof(x[1]), gates[i].limit);
				fprintf(fp, "  %-4s %-12s %-15s %6s%% <= %s%%\n",
					gates[i].pass ? "ok" : "FAIL", gates[i].what, gates[i].chip,
					x[0], x[1]);
				failed += !gates[i].pass;
				json_t *o = json_object();
				json_object_set_new(o, "class", json_string(gates[i].what));
				json_object_set_new(o, "chip", json_string(gates[i].chip));
				json_object_set_new(o, "value", json_real(gates[i].value));
				json_object_set_new(o, "limit", json_real(gates[i].limit));
				json_object_set_new(o, "pass", json_boolean(gates[i].pass));
				json_array_append_new(jg, o);
			}
			fprintf(fp, "%zu of %zu gates failed\n", failed, n_gates);
		}
		tc_info(&cli->log, "testbench: %.2f s", tc_now() - t0);
		json_object_set_new(root, "chips", jchips);
		json_object_set_new(root, "gate_method", json_string(method_names[lim.method]));
		json_object_set_new(root, "classes", jcls);
		json_object_set_new(root, "pairs", jpairs);
		json_object_set_new(root, "models", json_incref(b.models));
		json_object_set_new(root, "e2e_summary", jsum);
		json_object_set_new(root, "gates", jg);
		if (json_path) {
			struct tc_outfile o;
			rc = tc_outfile_open(&o, json_path, &err);
			if (rc == 0) {
				/* fixed-precision reals keep the file stable across libc versions
				 */
				json_dumpf(root, o.fp, JSON_INDENT(1) | JSON_REAL_PRECISION(10));
				fputc('\n', o.fp);
				rc = tc_outfile_commit(&o, &err);
			}
		}
		json_decref(root);
		if (rc == 0 && junit)
			rc = write_junit(junit, gates, n_gates, &err);
		if (rc == 0 && check && failed)
			rc = 1;
	}
	int exit_code = rc < 0 ? tc_cli_fail(cli, &err) : rc;
	free(gates);
	for (size_t i = 0; b.cell && i < (size_t)G__COUNT * b.n_chips * M__COUNT; i++)
		acc_free(&b.cell[i]);
	for (size_t i = 0; b.pair && i < (size_t)G__COUNT * b.n_chips * b.n_chips; i++)
		acc_free(&b.pair[i]);
	for (int m = 0; m <= M__COUNT; m++)
		acc_free(&b.e2e[m]);
	free(b.cell);
	free(b.pair);
	for (int k = 0; k < 2; k++) {
		for (size_t i = 0; b.rat[k] && i < (size_t)G__COUNT * b.n_chips * b.n_chips; i++)
			free(b.rat[k][i].v);
		free(b.rat[k]);
	}
	json_decref(b.models);
	for (size_t i = 0; i < b.n_tabs; i++) {
		tc_optable_free(b.tabs[i].t);
		tc_map64_free(&b.tabs[i].index);
	}
	free(b.tabs);
	for (size_t i = 0; i < b.n_chips; i++) {
		tc_chip_free(b.chips[i].chip);
		tc_chip_free(b.chips[i].own);
		tc_chip_free(b.chips[i].loo);
		tc_chip_free(b.chips[i].own_nf);
		tc_chip_free(b.chips[i].loo_nf);
	}
	free(b.chips);
	tc_hw_free(b.hw);
	for (size_t i = 0; i < n_files; i++)
		free(files[i]);
	free(files);
	for (size_t i = 0; i < n_only; i++)
		free((void *)only[i]);
	free(only);
	free(inputs);
	return exit_code;
}

/* tb_eval.c - `tracecast testbench`'s predictions (cli_testbench.h): the operator tables are read
 * and indexed, every op is predicted on its own chip three ways — analytic (the spec alone),
 * plain roofline (datasheet peaks, no efficiency, no floor: the baseline of the NeuSight
 * paper) and scaling (from every other chip's measurement of the same op) — and the errors
 * are collected per op class and chip, per chip pair, and per model table end to end. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calib.h"
#include "cli.h"
#include "cli_testbench.h"

const char *const tb_method_names[M__COUNT] = {"analytic", "roofline", "scaling", "cal-analytic",
					       "cal-scaling"};
const char *const tb_group_names[G__COUNT] = {"bmm",	     "linear", "conv",
					      "elementwise", "ln",     "softmax"};

static int group_of(const char *op)
{
	for (int g = 0; g < G__COUNT; g++)
		if (strcmp(op, tb_group_names[g]) == 0)
			return g;
	return G_ELEMENTWISE;
}

/* ---- error samples ------------------------------------------------------------------------ */

void tb_acc_add(struct tb_acc *a, double meas, double pred, const struct tc_optable_row *row,
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
	a->w[i] = (struct tb_worst){ape, meas, pred, row, src};
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* Nearest-rank percentiles of the sorted sample (sorts a->ape in place). */
struct tb_stats tb_acc_stats(struct tb_acc *a)
{
	struct tb_stats s = {a->n, NAN, NAN, NAN};
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

void tb_acc_free(struct tb_acc *a)
{
	free(a->ape);
	free(a->w);
}

/* ---- inputs ------------------------------------------------------------------------------- */

static void ratio_add(struct tb_ratios *r, double x)
{
	if (r->n == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 256;
		r->v = tc_xrealloc(r->v, r->cap * sizeof(double));
	}
	r->v[r->n++] = x;
}

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

int tb_add_table(struct tb *b, const char *path, struct tc_err *err)
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
	fprintf(b->ops_csv, "%s,%s,%s,%s,\"%s\",%llu,%llu,%.1f,%.1f\n", tb_method_names[method],
		b->chips[chip].id, src >= 0 ? b->chips[src].id : "", r->name, r->dims,
		(unsigned long long)r->work.flops,
		(unsigned long long)(r->work.bytes_read + r->work.bytes_written), r->latency_ns,
		pred);
}

void tb_run_micro(struct tb *b)
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
			tb_acc_add(CELL(b, g, D->chip, M_ANALYTIC), r->latency_ns, pa, r, -1,
				   b->keep);
			tb_acc_add(CELL(b, g, D->chip, M_ROOFLINE), r->latency_ns, pr, r, -1,
				   b->keep);
			csv_row(b, M_ANALYTIC, D->chip, -1, r, pa);
			csv_row(b, M_ROOFLINE, D->chip, -1, r, pr);
			const struct tc_chip *dl = b->chips[D->chip].loo;
			if (dl) {
				double pc = predict_analytic(dl, r);
				tb_acc_add(CELL(b, g, D->chip, M_CAL_ANALYTIC), r->latency_ns, pc,
					   r, -1, b->keep);
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
				tb_acc_add(CELL(b, g, D->chip, M_SCALING), r->latency_ns, p, r,
					   S->chip, b->keep);
				csv_row(b, M_SCALING, D->chip, S->chip, r, p);
				tb_acc_add(PAIR(b, g, S->chip, D->chip), r->latency_ns, p, r,
					   S->chip, 0);
				ratio_add(RAT(b, 0, g, S->chip, D->chip), p / r->latency_ns);
				if (dl) {
					/* the source fitted on its own measurements, the target on
					 * the others': the target's own measurements are never used
					 */
					p = predict_scaled(b->chips[S->chip].own, dl, sr,
							   sr->latency_ns, S->harness_ns);
					tb_acc_add(CELL(b, g, D->chip, M_CAL_SCALING),
						   r->latency_ns, p, r, S->chip, b->keep);
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
	struct tb_ratios pool[G__COUNT];
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
					const struct tb_ratios *r = RAT(b, k, gg, s, d);
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
static void band_sigma(const struct tc_chip *src, const struct tc_chip *dst, const double *class_ns,
		       double other_ns, uint64_t seed, double *lo, double *hi)
{
	static const unsigned cls_of[G__COUNT] = {TC_CLASS_GEMM, TC_CLASS_GEMM,
						  TC_CLASS_CONV, TC_CLASS_ELEMENTWISE,
						  TC_CLASS_NORM, TC_CLASS_SOFTMAX};
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

void tb_run_models(struct tb *b)
{
	for (size_t d = 0; d < b->n_tabs; d++) {
		const struct tb_table *D = &b->tabs[d];
		if (D->t->layout != TC_OPTABLE_MODEL || !(D->t->e2e_ns > 0))
			continue;
		const struct tc_chip *dc = b->chips[D->chip].chip;
		double own = tc_optable_measured_total_ns(D->t);
		tb_acc_add(&b->e2e[M__COUNT], D->t->e2e_ns, own, NULL, -1, 0);
		model_result(b, D, "identity", NULL, own);
		for (int m = M_ANALYTIC; m <= M_ROOFLINE; m++) {
			double p = sum_pred(D->t, m, dc);
			tb_acc_add(&b->e2e[m], D->t->e2e_ns, p, NULL, -1, 0);
			model_result(b, D, tb_method_names[m], NULL, p);
		}
		const struct tc_chip *dl = b->chips[D->chip].loo_nf;
		if (dl) {
			double p = sum_pred(D->t, M_ANALYTIC, dl);
			tb_acc_add(&b->e2e[M_CAL_ANALYTIC], D->t->e2e_ns, p, NULL, -1, 0);
			model_result(b, D, tb_method_names[M_CAL_ANALYTIC], NULL, p);
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
					double t = predict_scaled(sc, tc, r, r->latency_ns,
								  S->harness_ns) *
						   r->repeat;
					int g = r->has_work ? band_group(r->op_class) : -1;
					if (g >= 0)
						cls[g] += t;
					else
						other += t;
					p += t;
				}
				int m = k ? M_CAL_SCALING : M_SCALING;
				tb_acc_add(&b->e2e[m], D->t->e2e_ns, p, NULL, -1, 0);
				model_result(b, D, tb_method_names[m], b->chips[S->chip].id, p);
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

int tb_calibrate_all(struct tb *b, struct tc_err *err)
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

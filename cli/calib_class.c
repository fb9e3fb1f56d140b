/* calib_class.c - fitting each op class of a chip from measured operators: a floor, a fixed
 * time and an efficiency (docs/hwmodel.md §2.3, docs/testbench.md §Calibration).
 *
 * Why per class and not a curve per size decade: measured operator latencies are
 * max(floor, fixed + work / efficiency). The floor is the framework and launch time of the
 * measuring loop, and differs by class (a layer norm dispatches more than an add); the fixed
 * time is the kernel's ramp-up and tail; the efficiency is how much of the peak the class's
 * kernels reach (a softmax reads its input twice, so its efficiency over the minimal bytes
 * is about half an add's). A curve in MB cannot be carried from one chip to another: where it
 * bends depends on the chip's bandwidth (fixed x bandwidth), while the fixed time in
 * microseconds and the efficiency are close across chips of a vendor. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "calib.h"

/* Classes the spec schema can hold a fit for (hwmodel/schema.c "classes"). */
/* Classes fitted here: the memory-bound ones. GEMM, conv and attention keep the corrected
 * size curve (calib.c): their time depends on the shape through tiles and waves and on the
 * kernel the library picks, which a fixed time and one efficiency do not hold (on the
 * NeuSight micro tables the flat form explains a chip's own GEMMs to only 22-38 % MAPE, the
 * fixed time pinned at the search bound, and carried to other chips it does worse than the
 * curve on cal-scaling: linear 56 against 47 %, model tables 23 against 20 %). The spec
 * schema still takes a fit for them (an overlay written by hand or another tool). */
static int fittable(unsigned k)
{
	switch (k) {
	case TC_CLASS_ELEMENTWISE:
	case TC_CLASS_REDUCTION:
	case TC_CLASS_NORM:
	case TC_CLASS_SOFTMAX:
	case TC_CLASS_EMBEDDING:
	case TC_CLASS_OPTIMIZER:
		return 1;
	default:
		return 0;
	}
}

void tc_calib_class_add(struct tc_calib_acc *a, unsigned k, const struct tc_hw_cost *c,
			double measured_ns)
{
	if (k >= TC_CLASS__COUNT || !fittable(k) || !(c->work_ns > 0))
		return;
	if (a->n_cls[k] + TC_CALIB_Q > a->cap_cls[k]) {
		a->cap_cls[k] = a->cap_cls[k] ? a->cap_cls[k] * 2 : 256 * TC_CALIB_Q;
		a->cls[k] = tc_xrealloc(a->cls[k], a->cap_cls[k] * sizeof(double));
	}
	double *q = a->cls[k] + a->n_cls[k];
	q[0] = c->work_ns;
	q[1] = c->other_ns;
	q[2] = measured_ns;
	q[3] = c->compute_ns > c->memory_ns ? c->compute_ns : c->memory_ns;
	q[4] = c->curve_eff > 0 ? c->curve_eff : 1;
	a->n_cls[k] += TC_CALIB_Q;
}

static int cmpd(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;
	return (a > b) - (a < b);
}

/* Mean |predicted / measured - 1| of (fixed, eff) over the samples (TC_CALIB_Q values each). */
static double mape(const double *s, size_t n, double fl, double fixed, double eff, int curve)
{
	double sum = 0;
	for (size_t i = 0; i < n; i++) {
		const double *q = s + i * TC_CALIB_Q;
		double t = fixed + q[0] / (eff * (curve ? q[4] : 1.0));
		if (t < q[1])
			t = q[1];
		if (t < fl)
			t = fl;
		sum += fabs(t / q[2] - 1);
	}
	return n ? sum / (double)n : INFINITY;
}

/* Grid search, coarse then fine: the objective is cheap, has two parameters, and is not
 * smooth (the max terms), so a grid is more robust than a descent. */
static void search(const double *s, size_t n, double fl, double kmax, int curve, double *fixed,
		   double *eff, double *best)
{
	*best = INFINITY;
	double kstep = kmax / 40;
	for (int i = 1; i <= 20; i++)
		for (int j = 0; j <= 40; j++) {
			double e = mape(s, n, fl, j * kstep, i * 0.05, curve);
			if (e < *best) {
				*best = e;
				*fixed = j * kstep;
				*eff = i * 0.05;
			}
		}
	double f0 = *fixed, e0 = *eff;
	for (int i = -20; i <= 20; i++)
		for (int j = -20; j <= 20; j++) {
			double ef = e0 + i * 0.0025, fx = f0 + j * kstep / 20;
			if (ef < 0.01 || ef > 1 || fx < 0)
				continue;
			double e = mape(s, n, fl, fx, ef, curve);
			if (e < *best) {
				*best = e;
				*fixed = fx;
				*eff = ef;
			}
		}
}

/* The curve form is kept only when it explains the ops clearly better than the flat one
 * (10 % lower MAPE): on real data both fit a chip's own ops about as well, and the flat form
 * carries to other chips better (where the curve bends depends on the chip's bandwidth). */
#define CURVE_GAIN 0.9

#define MIN_OPS 5
#define MAX_FIT_OPS 4000 /* a deterministic stride keeps the fit fast on 20k-op tables */

static void fit_class(const double *q, size_t n, struct tc_calib_class *out)
{
	out->floor_ns = out->fixed_ns = out->eff = out->mape = out->p10 = out->p90 = NAN;
	out->n = n;
	if (n < MIN_OPS)
		return;
	/* the floor: the 1st percentile of the measured times, when the data shows one (at
	 * least 5 ops, and 1 %, that the spec makes more than twice as fast as it) */
	double *v = tc_xmalloc(n * sizeof(double));
	for (size_t i = 0; i < n; i++)
		v[i] = q[i * TC_CALIB_Q + 2];
	qsort(v, n, sizeof(double), cmpd);
	double f = v[(size_t)floor(0.01 * (double)(n - 1))];
	double med = v[n / 2];
	free(v);
	size_t below = 0;
	for (size_t i = 0; i < n; i++)
		below += q[i * TC_CALIB_Q + 3] < f / 2;
	double fl = 0;
	if (below >= MIN_OPS && (double)below >= 0.01 * (double)n)
		fl = out->floor_ns = f;
	/* the fit: ops clear of the floor (at the floor the time says nothing of the work) */
	size_t m = 0;
	for (size_t i = 0; i < n; i++)
		m += q[i * TC_CALIB_Q + 2] >= 1.5 * fl;
	if (m < MIN_OPS)
		return;
	size_t stride = (m + MAX_FIT_OPS - 1) / MAX_FIT_OPS, k = 0, seen = 0;
	double *s = tc_xmalloc((m / stride + 1) * TC_CALIB_Q * sizeof(double));
	for (size_t i = 0; i < n; i++) {
		if (!(q[i * TC_CALIB_Q + 2] >= 1.5 * fl))
			continue;
		if (seen++ % stride == 0)
			memcpy(s + TC_CALIB_Q * k++, q + i * TC_CALIB_Q,
			       TC_CALIB_Q * sizeof(double));
	}
	/* the fixed time is searched up to the median op's time, at most 200 us */
	double kmax = med < 200e3 ? med : 200e3;
	/* two forms: a flat efficiency (real kernels reach a steady fraction of the peak
	 * within a fixed ramp time), or one scaling the spec's curve (data that follows a
	 * size-dependent efficiency); the curve only when it explains the ops clearly better */
	for (int curve = 0; curve < 2; curve++) {
		double fixed = 0, eff = 1, best;
		search(s, k, fl, kmax, curve, &fixed, &eff, &best);
		out->form[curve][0] = fixed;
		out->form[curve][1] = eff;
		out->form[curve][2] = best * 100;
		if (curve && !(best * 100 < CURVE_GAIN * out->mape))
			continue;
		out->fixed_ns = fixed;
		out->eff = eff;
		out->mape = best * 100;
		out->curve = curve;
	}
	free(s);
	/* the residual spread over every op of the class, floor-bound ones included: what
	 * the projection's band draws from (tc_chip_class_sigma) */
	v = tc_xmalloc(n * sizeof(double));
	for (size_t i = 0; i < n; i++) {
		const double *x = q + i * TC_CALIB_Q;
		double t = out->fixed_ns + x[0] / (out->eff * (out->curve ? x[4] : 1.0));
		t = t < x[1] ? x[1] : t;
		t = t < fl ? fl : t;
		v[i] = t / x[2];
	}
	qsort(v, n, sizeof(double), cmpd);
	out->p10 = v[(size_t)floor(0.1 * (double)(n - 1))];
	out->p90 = v[(size_t)ceil(0.9 * (double)(n - 1))];
	free(v);
}

void tc_calib_class_finish(struct tc_calib_acc *a, struct tc_calib_fit *out)
{
	for (unsigned k = 0; k < TC_CLASS__COUNT; k++)
		fit_class(a->cls[k], a->n_cls[k] / TC_CALIB_Q, &out->cls[k]);
}

static double median_nan(double *v, size_t n)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (!isnan(v[i]))
			v[k++] = v[i];
	if (!k)
		return NAN;
	qsort(v, k, sizeof(double), cmpd);
	return k % 2 ? v[k / 2] : 0.5 * (v[k / 2 - 1] + v[k / 2]);
}

void tc_calib_class_pool(const struct tc_calib_fit *fits, size_t n, struct tc_calib_fit *out)
{
	double *v = tc_xmalloc((n ? n : 1) * sizeof(double));
	for (unsigned k = 0; k < TC_CLASS__COUNT; k++) {
		struct tc_calib_class *c = &out->cls[k];
		c->n = 0;
		for (size_t i = 0; i < n; i++) {
			v[i] = fits[i].cls[k].floor_ns;
			c->n += fits[i].cls[k].n;
		}
		c->floor_ns = median_nan(v, n);
		/* the form that explains the chips' ops better on average (a tie: flat), and
		 * its fixed time and efficiency: medians over the chips that fitted the class */
		double err[2] = {0, 0};
		size_t m = 0;
		for (size_t i = 0; i < n; i++)
			if (!isnan(fits[i].cls[k].eff)) {
				m++;
				err[0] += fits[i].cls[k].form[0][2];
				err[1] += fits[i].cls[k].form[1][2];
			}
		c->curve = m && err[1] < CURVE_GAIN * err[0];
		for (int p = 0; p < 2; p++) {
			m = 0;
			for (size_t i = 0; i < n; i++)
				if (!isnan(fits[i].cls[k].eff))
					v[m++] = fits[i].cls[k].form[c->curve][p];
			double x = median_nan(v, m);
			if (p == 0)
				c->fixed_ns = x;
			else
				c->eff = x;
		}
		c->mape = NAN;
		/* the pooled spread: the widest of the chips' (a held-out chip's error is at
		 * least its siblings' own-fit error) */
		c->p10 = c->p90 = NAN;
		for (size_t i = 0; i < n; i++) {
			const struct tc_calib_class *f = &fits[i].cls[k];
			if (isnan(f->p10))
				continue;
			if (isnan(c->p10) || f->p10 < c->p10)
				c->p10 = f->p10;
			if (isnan(c->p90) || f->p90 > c->p90)
				c->p90 = f->p90;
		}
	}
	free(v);
}

json_t *tc_calib_class_json(const struct tc_calib_fit *fit)
{
	json_t *o = json_object();
	for (unsigned k = 0; k < TC_CLASS__COUNT; k++) {
		const struct tc_calib_class *c = &fit->cls[k];
		if (!fittable(k) || (isnan(c->floor_ns) && isnan(c->eff)))
			continue;
		json_t *e = json_object();
		if (!isnan(c->floor_ns))
			json_object_set_new(e, "floor_us", json_real(round(c->floor_ns) / 1e3));
		if (!isnan(c->eff)) {
			json_object_set_new(e, "fixed_us", json_real(round(c->fixed_ns) / 1e3));
			json_object_set_new(e, "efficiency", json_real(round(c->eff * 1e4) / 1e4));
			if (c->curve)
				json_object_set_new(e, "curve", json_true());
		}
		if (!isnan(c->p10) && c->p10 > 0 && c->p10 <= 1 && c->p90 >= 1) {
			json_object_set_new(e, "p10", json_real(floor(c->p10 * 1e4) / 1e4));
			json_object_set_new(e, "p90", json_real(ceil(c->p90 * 1e4) / 1e4));
		}
		json_object_set_new(o, tc_class_name(k), e);
	}
	if (json_object_size(o) == 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

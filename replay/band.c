/* band.c - the projection's uncertainty band (docs/projection.md §band): the replay run again
 * with each op class's projected time multiplied by a factor drawn from the chips' model
 * error for that class, and the p10-p50-p90 of the job step and of the speedup over the
 * draws.
 *
 * One factor per class and draw, not per op: a class's error on a chip is systematic (the
 * same kernels, the same efficiency), so drawing per op would average it away and give a
 * band far narrower than the testbench measures. The error is lognormal with the sigma
 * tc_chip_class_sigma gives for each chip; for a measured op scaled from the source chip
 * both chips' errors add (in ln space, as variances); for an analytic op (ONNX) only the
 * target's. Copies, memsets and collectives keep their time: their model is not in the
 * operator data, and the band says so by leaving them out.
 *
 * An ONNX model projected chip to chip (srcmodel.c) has a modelled source side too. The step
 * band keeps the target's analytic error (an absolute time); the speedup is a ratio of the
 * same model on two chips, whose error is the one the testbench measures for chip pairs: the
 * scaling sigmas of both chips, as for a measured trace (not on top of the target's
 * analytic error). Each draw scales the point speedup by the class-weighted factor those
 * give on the projected step (its ops run back to back,
 * so the step is the sum of its class times). The factors come from a second stream, so the
 * target's draws (and the step band) are the same as with the target alone. */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rp_internal.h"
#include "sweep_support.h"

/* splitmix64: a fixed seed, so the same inputs give the same band, byte for byte */
static uint64_t next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static double normal(uint64_t *s)
{
	double u1 = ((double)(next(s) >> 11) + 0.5) * 0x1p-53;
	double u2 = (double)(next(s) >> 11) * 0x1p-53;
	return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

static int cmpd(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* nearest rank */
static double pct(const double *v, int n, double p)
{
	int k = (int)ceil(p * n) - 1;
	return v[k < 0 ? 0 : (k >= n ? n - 1 : k)];
}

/* A bound on the work: at most this many op replays over all draws, at least MIN draws. */
#define BAND_OPS_BUDGET 20e6
#define BAND_MIN_DRAWS 10
/* Threads when the caller gives none: each running draw holds a timeline (16 B per op) */
#define BAND_AUTO_JOBS 4

/* Only a modelled source side (srcmodel.c) makes the draws read the run's own figures. */
int rp_band_early(const struct tc_replay *r)
{
	return !r->g->src_model;
}

/* The draws' step index: before the run's simulation (rp_band_early) the run's own, still as
 * build_steps left it; after it, built once for all draws (ix_owned). have = 0: each draw
 * builds its own (a srcmodel run, whose source timeline is the model's). */
static int band_stepix(const struct tc_replay *r, struct rp_stepix *ix, int *have, int *ix_owned,
		       struct tc_err *err)
{
	*have = *ix_owned = 0;
	if (r->own_g)
		return 0;
	if (rp_band_early(r)) {
		rp_stepix_view(r, ix);
		*have = 1;
		return 0;
	}
	TC_TRY(rp_stepix_make(ix, r->g, r->opts.max_steps, err));
	*have = *ix_owned = 1;
	return 0;
}

/* The draws, shared by the threads that run them. Every draw's inputs (its class factors and,
 * chip to chip on a model, its speedup) are drawn up front in draw order, and each draw
 * writes only its own slots of step and sp: which thread runs a draw, and when, cannot
 * change a figure. */
struct draws {
	const struct tc_replay_graph *g;
	struct tc_replay_opts d; /* every draw's options but class_scale */
	const struct rp_stepix *ix;
	const double *scale; /* n x TC_CLASS__COUNT */
	int src_an, n, jobs;
	double *step, *sp; /* n each: the draws' job step and speedup (set ahead when src_an) */
};

/* One thread's share: draws w, w + jobs, ...; its last draw's timeline, reused by its next
 * (fresh pages once per thread, not per draw); the first of its draws that failed. */
struct worker {
	const struct draws *D;
	int w, failed;
	int64_t *start, *end;
	struct tc_err err;
	pthread_t th;
};

static void *run_draws(void *arg)
{
	struct worker *W = arg;
	const struct draws *D = W->D;
	struct tc_replay_opts d = D->d;
	for (int k = W->w; k < D->n; k += D->jobs) {
		d.class_scale = D->scale + (size_t)k * TC_CLASS__COUNT;
		struct tc_replay *x = NULL;
		/* the draw reads only the step times: no bound split, tables or energy */
		struct rp_prep prep = {.start = W->start, .end = W->end, .steps_only = 1};
		prep.stepix = D->ix;
		W->start = W->end = NULL;
		int rc = rp_run(&x, D->g, &d, &prep, &W->err);
		if (rc == 0) {
			struct tc_replay_summary sm;
			tc_replay_summarize(x, &sm);
			D->step[k] = sm.step_ns;
			if (!D->src_an)
				D->sp[k] = sm.speedup;
		}
		if (x) {
			W->start = x->start;
			W->end = x->end;
			x->start = x->end = NULL;
		}
		tc_replay_free(x);
		if (rc < 0) {
			W->failed = k;
			break;
		}
	}
	return NULL;
}

/* Threads for the draws: opts->jobs, else one per online core up to BAND_AUTO_JOBS (each
 * running draw holds a timeline, 16 B per op); never more than the draws. */
static int band_jobs(const struct tc_replay_opts *o, int draws)
{
	long j = o->jobs;
	if (j <= 0) {
		long nc = sysconf(_SC_NPROCESSORS_ONLN);
		j = nc < 1 ? 1 : nc > BAND_AUTO_JOBS ? BAND_AUTO_JOBS : nc;
	}
	return j < draws ? (int)j : draws;
}

/* Run the draws on D->jobs threads (the caller's among them); a thread that cannot start
 * leaves its share to the caller. The error is the lowest failing draw's, as one thread
 * would have stopped at it. Leaves one thread's last timeline in *start / *end. */
static int run_all(struct draws *D, int64_t **start, int64_t **end, struct tc_err *err)
{
	struct worker *W = calloc((size_t)D->jobs, sizeof(*W));
	if (!W)
		return tc_err_set(err, TC_ENOMEM, "band: out of memory");
	char *up = calloc((size_t)D->jobs, 1);
	if (!up) {
		free(W);
		return tc_err_set(err, TC_ENOMEM, "band: out of memory");
	}
	for (int w = 0; w < D->jobs; w++) {
		W[w] = (struct worker){.D = D, .w = w, .failed = -1};
		W[w].err = (struct tc_err)TC_ERR_INIT;
	}
	for (int w = 1; w < D->jobs; w++)
		up[w] = pthread_create(&W[w].th, NULL, run_draws, &W[w]) == 0;
	run_draws(&W[0]);
	for (int w = 1; w < D->jobs; w++) {
		if (up[w])
			pthread_join(W[w].th, NULL);
		else
			run_draws(&W[w]);
	}
	int rc = 0, first = -1;
	for (int w = 0; w < D->jobs; w++)
		if (W[w].failed >= 0 && (first < 0 || W[w].failed < W[first].failed))
			first = w;
	if (first >= 0) {
		*err = W[first].err;
		rc = W[first].err.code ? W[first].err.code : TC_EINTERNAL;
	}
	*start = W[0].start;
	*end = W[0].end;
	for (int w = 1; w < D->jobs; w++) {
		free(W[w].start);
		free(W[w].end);
	}
	free(up);
	free(W);
	return rc;
}

int rp_band(struct tc_replay *r, struct tc_err *err)
{
	struct tc_replay_band *b = &r->band;
	const struct tc_replay_opts *o = &r->opts;
	const struct tc_replay_graph *g = r->g;
	memset(b, 0, sizeof(*b));
	if (o->band_draws <= 0 || !o->target || o->summary_only)
		return 0;
	uint64_t analytic = 0, measured = 0;
	for (uint32_t i = 0; i < g->n; i++)
		if (g->flags[i] & RP_F_GPU) {
			if (g->flags[i] & RP_F_ANALYTIC)
				analytic++;
			else
				measured++;
		}
	if (!analytic && !measured)
		return 0;
	int an = analytic > measured;
	/* identity: the scaling ratio is exactly 1 whatever the model's error */
	if (!an && o->source &&
	    (o->source == o->target ||
	     (!o->n_sets && strcmp(tc_chip_id(o->source), tc_chip_id(o->target)) == 0)))
		return 0;
	double sigma[TC_CLASS__COUNT], any = 0;
	for (unsigned c = 0; c < TC_CLASS__COUNT; c++) {
		double st = tc_chip_class_sigma(o->target, c, an, NULL);
		double ss = !an && o->source ? tc_chip_class_sigma(o->source, c, 0, NULL) : 0;
		sigma[c] = sqrt(st * st + ss * ss);
		any += sigma[c];
	}
	if (!(any > 0))
		return 0;
	int draws = o->band_draws;
	double cap = BAND_OPS_BUDGET / (double)(g->n ? g->n : 1);
	if (draws > cap)
		draws = cap < BAND_MIN_DRAWS ? BAND_MIN_DRAWS : (int)cap;
	double *step = malloc((size_t)draws * sizeof(double));
	double *sp = malloc((size_t)draws * sizeof(double));
	double *scale = malloc((size_t)draws * TC_CLASS__COUNT * sizeof(double));
	if (!step || !sp || !scale) {
		free(step);
		free(sp);
		free(scale);
		return tc_err_set(err, TC_ENOMEM, "band: out of memory");
	}
	double ssig[TC_CLASS__COUNT] = {0};
	int src_an = g->src_model && o->source && r->proj_total_ns > 0;
	for (unsigned c = 0; src_an && c < TC_CLASS__COUNT; c++) {
		double st = tc_chip_class_sigma(o->target, c, 0, NULL);
		double ss = tc_chip_class_sigma(o->source, c, 0, NULL);
		ssig[c] = sqrt(st * st + ss * ss);
	}
	uint64_t seed = 0x74726163656361ULL ^ g->n, sseed = ~seed;
	for (int k = 0; k < draws; k++) {
		/* every class draws, used or not, so one class's sigma never shifts another's */
		double *sc = scale + (size_t)k * TC_CLASS__COUNT;
		for (unsigned c = 0; c < TC_CLASS__COUNT; c++) {
			double z = normal(&seed);
			sc[c] = exp(sigma[c] * z);
		}
		if (src_an) { /* chip to chip: the ratio's own error replaces the target's alone */
			double p = (double)r->proj_total_ns, moved = 0;
			for (unsigned c = 0; c < TC_CLASS__COUNT; c++)
				moved += r->class_proj_ns[c] * (exp(ssig[c] * normal(&sseed)) - 1);
			double fsrc = p / (p + moved > 0 ? p + moved : p);
			sp[k] = (double)r->src_total_ns / p * fsrc;
		}
	}
	struct draws D = {.g = g, .d = *o, .scale = scale, .src_an = src_an, .n = draws};
	D.d.band_draws = 0;
	D.d.summary_only = 1;
	D.d.log = NULL;
	D.step = step;
	D.sp = sp;
	D.jobs = band_jobs(o, draws);
	/* every draw has the same steps and each op's step (both from the source timeline):
	 * built once; a srcmodel run has its own source timeline, so it builds its own */
	struct rp_stepix ix;
	int have_ix, ix_owned, rc = band_stepix(r, &ix, &have_ix, &ix_owned, err);
	int64_t *spare_start = NULL, *spare_end = NULL; /* a thread's last timeline */
	if (rc == 0) {
		D.ix = have_ix ? &ix : NULL;
		rc = run_all(&D, &spare_start, &spare_end, err);
	}
	if (!r->start && !r->end && spare_start) { /* before the run's simulation: its arrays */
		r->start = spare_start;
		r->end = spare_end;
	} else {
		free(spare_start);
		free(spare_end);
	}
	if (ix_owned)
		rp_stepix_free(&ix);
	if (rc == 0) {
		/* no measured source step (ONNX without --source): no speedup to bound */
		int finite = 1;
		for (int k = 0; k < draws; k++)
			finite &= isfinite(sp[k]) && sp[k] > 0;
		qsort(step, (size_t)draws, sizeof(double), cmpd);
		qsort(sp, (size_t)draws, sizeof(double), cmpd);
		b->draws = draws;
		b->analytic = an ? 1 + src_an : 0;
		b->step_p10 = pct(step, draws, 0.1);
		b->step_p50 = pct(step, draws, 0.5);
		b->step_p90 = pct(step, draws, 0.9);
		b->speedup_p10 = finite ? pct(sp, draws, 0.1) : NAN;
		b->speedup_p90 = finite ? pct(sp, draws, 0.9) : NAN;
		memcpy(b->sigma, sigma, sizeof(sigma));
	}
	free(step);
	free(sp);
	free(scale);
	return rc;
}

const struct tc_replay_band *tc_replay_band(const struct tc_replay *r)
{
	return r->band.draws > 0 ? &r->band : NULL;
}

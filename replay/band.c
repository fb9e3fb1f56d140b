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
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

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

/* The band of a run while it is drawn, shared by the threads that run the draws. Every
 * draw's inputs (its class factors and, chip to chip on a model, its speedup) are drawn up
 * front in draw order, a thread takes the next draw not taken, and each draw writes only its
 * own slots of step and sp: which thread runs a draw, and when, cannot change a figure. */
struct rp_band_run {
	const struct tc_replay_graph *g;
	struct tc_replay_opts d; /* every draw's options but class_scale */
	struct rp_stepix ix;	 /* the draws' step index */
	int have_ix, ix_owned;	 /* ix_owned: built for the draws; else a view of the run's */
	struct tc_replay_step *ix_steps; /* the run's steps copied when the run goes on alongside */
	double *scale;			 /* n x TC_CLASS__COUNT */
	double *step, *sp; /* n each: the draws' job step and speedup (set ahead when src_an) */
	double sigma[TC_CLASS__COUNT];
	int an, src_an, n;
	atomic_int next; /* the next draw to take */
	struct worker *W;
	int nw;
};

/* One thread: the draws it takes; its last draw's timeline, reused by its next (fresh pages
 * once per thread, not per draw); the first of its draws that failed, with its error. */
struct worker {
	struct rp_band_run *B;
	int failed, up;
	int64_t *start, *end;
	struct tc_err err;
	pthread_t th;
};

static void *run_draws(void *arg)
{
	struct worker *W = arg;
	struct rp_band_run *B = W->B;
	struct tc_replay_opts d = B->d;
	for (;;) {
		int k = atomic_fetch_add(&B->next, 1);
		if (k >= B->n)
			break;
		d.class_scale = B->scale + (size_t)k * TC_CLASS__COUNT;
		struct tc_replay *x = NULL;
		/* the draw reads only the step times: no bound split, tables or energy */
		struct rp_prep prep = {.start = W->start, .end = W->end, .steps_only = 1};
		prep.stepix = B->have_ix ? &B->ix : NULL;
		W->start = W->end = NULL;
		int rc = rp_run(&x, B->g, &d, &prep, &W->err);
		if (rc == 0) {
			struct tc_replay_summary sm;
			tc_replay_summarize(x, &sm);
			B->step[k] = sm.step_ns;
			if (!B->src_an)
				B->sp[k] = sm.speedup;
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

static void band_free(struct rp_band_run *B)
{
	if (!B)
		return;
	for (int w = 0; w < B->nw; w++) {
		free(B->W[w].start);
		free(B->W[w].end);
	}
	free(B->W);
	if (B->ix_owned)
		rp_stepix_free(&B->ix);
	free(B->ix_steps);
	free(B->scale);
	free(B->step);
	free(B->sp);
	free(B);
}

/* What the band needs before a draw runs: whether there is one (*out NULL when not), the
 * number of draws, every draw's factors, the step index the draws share. */
static int band_prepare(struct tc_replay *r, struct rp_band_run **out, struct tc_err *err)
{
	const struct tc_replay_opts *o = &r->opts;
	const struct tc_replay_graph *g = r->g;
	*out = NULL;
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
	struct rp_band_run *B = calloc(1, sizeof(*B));
	if (!B)
		return tc_err_set(err, TC_ENOMEM, "band: out of memory");
	B->step = malloc((size_t)draws * sizeof(double));
	B->sp = malloc((size_t)draws * sizeof(double));
	B->scale = malloc((size_t)draws * TC_CLASS__COUNT * sizeof(double));
	if (!B->step || !B->sp || !B->scale) {
		band_free(B);
		return tc_err_set(err, TC_ENOMEM, "band: out of memory");
	}
	B->g = g;
	B->n = draws;
	B->an = an;
	memcpy(B->sigma, sigma, sizeof(sigma));
	double ssig[TC_CLASS__COUNT] = {0};
	B->src_an = g->src_model && o->source && r->proj_total_ns > 0;
	for (unsigned c = 0; B->src_an && c < TC_CLASS__COUNT; c++) {
		double st = tc_chip_class_sigma(o->target, c, 0, NULL);
		double ss = tc_chip_class_sigma(o->source, c, 0, NULL);
		ssig[c] = sqrt(st * st + ss * ss);
	}
	uint64_t seed = 0x74726163656361ULL ^ g->n, sseed = ~seed;
	for (int k = 0; k < draws; k++) {
		/* every class draws, used or not, so one class's sigma never shifts another's */
		double *sc = B->scale + (size_t)k * TC_CLASS__COUNT;
		for (unsigned c = 0; c < TC_CLASS__COUNT; c++) {
			double z = normal(&seed);
			sc[c] = exp(sigma[c] * z);
		}
		if (B->src_an) { /* chip to chip: the ratio's own error replaces the target's */
			double p = (double)r->proj_total_ns, moved = 0;
			for (unsigned c = 0; c < TC_CLASS__COUNT; c++)
				moved += r->class_proj_ns[c] * (exp(ssig[c] * normal(&sseed)) - 1);
			double fsrc = p / (p + moved > 0 ? p + moved : p);
			B->sp[k] = (double)r->src_total_ns / p * fsrc;
		}
	}
	B->d = *o;
	B->d.band_draws = 0;
	B->d.summary_only = 1;
	B->d.log = NULL;
	/* every draw has the same steps and each op's step (both from the source timeline):
	 * built once; a srcmodel run has its own source timeline, so it builds its own */
	int rc = band_stepix(r, &B->ix, &B->have_ix, &B->ix_owned, err);
	if (rc < 0) {
		band_free(B);
		return rc;
	}
	*out = B;
	return 0;
}

/* The draws' nw workers; those from spawn on get a thread now. The others (the caller's
 * share, a thread that could not start) run in rp_band_join, on the caller's. */
static int band_start(struct rp_band_run *B, int nw, int spawn, struct tc_err *err)
{
	B->W = calloc((size_t)nw, sizeof(*B->W));
	if (!B->W)
		return tc_err_set(err, TC_ENOMEM, "band: out of memory");
	B->nw = nw;
	for (int w = 0; w < nw; w++) {
		B->W[w] = (struct worker){.B = B, .failed = -1}; /* err zeroed: TC_ERR_INIT */
		if (w >= spawn)
			B->W[w].up = pthread_create(&B->W[w].th, NULL, run_draws, &B->W[w]) == 0;
	}
	return 0;
}

/* Wait for the draws (running those of threads that could not start) and put the band
 * into r->band; the error is the lowest failing draw's, as one thread would have stopped
 * at it. Leaves a thread's last timeline to r when r has none (the run still to simulate).
 * Frees r->band_run; nothing when there is none. */
int rp_band_join(struct tc_replay *r, struct tc_err *err)
{
	struct rp_band_run *B = r ? r->band_run : NULL;
	if (!B)
		return 0;
	r->band_run = NULL;
	for (int w = 0; w < B->nw; w++) {
		if (B->W[w].up)
			pthread_join(B->W[w].th, NULL);
		else
			run_draws(&B->W[w]);
	}
	int rc = 0, first = -1;
	for (int w = 0; w < B->nw; w++)
		if (B->W[w].failed >= 0 && (first < 0 || B->W[w].failed < B->W[first].failed))
			first = w;
	if (first >= 0) {
		rc = B->W[first].err.code ? B->W[first].err.code : TC_EINTERNAL;
		if (err)
			*err = B->W[first].err;
	}
	if (!r->start && !r->end && B->nw) { /* before the run's simulation: its arrays */
		r->start = B->W[0].start;
		r->end = B->W[0].end;
		B->W[0].start = B->W[0].end = NULL;
	}
	if (rc == 0) {
		struct tc_replay_band *b = &r->band;
		int n = B->n;
		/* no measured source step (ONNX without --source): no speedup to bound */
		int finite = 1;
		for (int k = 0; k < n; k++)
			finite &= isfinite(B->sp[k]) && B->sp[k] > 0;
		qsort(B->step, (size_t)n, sizeof(double), cmpd);
		qsort(B->sp, (size_t)n, sizeof(double), cmpd);
		b->draws = n;
		b->analytic = B->an ? 1 + B->src_an : 0;
		b->step_p10 = pct(B->step, n, 0.1);
		b->step_p50 = pct(B->step, n, 0.5);
		b->step_p90 = pct(B->step, n, 0.9);
		b->speedup_p10 = finite ? pct(B->sp, n, 0.1) : NAN;
		b->speedup_p90 = finite ? pct(B->sp, n, 0.9) : NAN;
		memcpy(b->sigma, B->sigma, sizeof(B->sigma));
	}
	band_free(B);
	return rc;
}

void rp_band_cancel(struct tc_replay *r)
{
	if (r && r->band_run) {
		atomic_store(&r->band_run->next, r->band_run->n); /* no draw is taken any more */
		rp_band_join(r, NULL);
	}
}

int rp_band(struct tc_replay *r, struct tc_err *err)
{
	memset(&r->band, 0, sizeof(r->band));
	struct rp_band_run *B;
	TC_TRY(band_prepare(r, &B, err));
	if (!B)
		return 0;
	r->band_run = B;
	/* threads: the run's own and the draws' (opts.jobs, else a core each up to
	 * BAND_AUTO_JOBS) */
	int jobs = r->opts.jobs > 0 ? r->opts.jobs : tc_cores(BAND_AUTO_JOBS);
	/* Early, with a thread to spare: the run's own simulation and analyses go on, on the
	 * caller's thread, while jobs - 1 threads draw (joined when the run is done); the draws
	 * then read a copy of the run's steps, which the run is about to change. Else the
	 * draws run now, on jobs threads, the caller's among them. */
	int async = rp_band_early(r) && jobs > 1;
	if (async && B->have_ix && !B->ix_owned) {
		size_t cap = B->ix.cap_steps ? B->ix.cap_steps : 1;
		B->ix_steps = malloc(cap * sizeof(*B->ix_steps));
		if (!B->ix_steps) {
			rp_band_cancel(r);
			return tc_err_set(err, TC_ENOMEM, "band: out of memory");
		}
		memcpy(B->ix_steps, B->ix.steps, B->ix.n_steps * sizeof(*B->ix_steps));
		B->ix.steps = B->ix_steps;
	}
	int nw = async ? jobs - 1 : jobs;
	if (nw > B->n)
		nw = B->n;
	int rc = band_start(B, nw, async ? 0 : 1, err);
	if (rc < 0) {
		rp_band_cancel(r);
		return rc;
	}
	return async ? 0 : rp_band_join(r, err);
}

const struct tc_replay_band *tc_replay_band(const struct tc_replay *r)
{
	return r->band.draws > 0 ? &r->band : NULL;
}

/* sweep_support.c - tc_replay_summarize: the report's summary without formatting a report
 * (kept beside report.c's arithmetic on purpose: the same sums, the same divisions), and the
 * sweep memo that re-prices a timeline already simulated (sweep_support.h). */
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rp_internal.h"
#include "sweep_support.h"

static double ratio(double a, double b)
{
	return b > 0 ? a / b : NAN;
}

void tc_replay_summarize(const struct tc_replay *r, struct tc_replay_summary *out)
{
	double nk = (double)r->n_job_steps, ns = (double)r->n_steps;
	double ej = 0, usd = 0;
	out->job_steps = r->n_job_steps;
	out->rank_steps = r->n_steps;
	out->source_step_ns = nk > 0 ? (double)r->src_total_ns / nk : 0;
	out->step_ns = nk > 0 ? (double)r->proj_total_ns / nk : 0;
	out->speedup = ratio((double)r->src_total_ns, (double)r->proj_total_ns);
	for (unsigned b = 0; b < TC_BOUND__COUNT; b++) {
		double t = 0;
		for (size_t k = 0; k < r->n_steps; k++)
			t += r->steps[k].proj_bound_ns[b];
		out->bound_ns[b] = ns > 0 ? t / ns : 0;
	}
	for (unsigned c = 0; c < TC_CLASS__COUNT; c++)
		out->class_ns[c] = ns > 0 ? r->class_proj_ns[c] / ns : 0;
	for (size_t k = 0; k < r->n_steps; k++) {
		ej += r->steps[k].proj_energy_j;
		usd += r->steps[k].proj_dollars;
	}
	int has_target = r->opts.target != NULL;
	out->energy_j = has_target && nk > 0 ? ej / nk : NAN;
	out->dollars = has_target && nk > 0 ? usd / nk : NAN;
	out->steps_per_j = has_target ? ratio(nk, ej) : NAN;
	out->steps_per_usd = has_target ? ratio(nk, usd) : NAN;
}

/* ---- memo ------------------------------------------------------------------------------------ */

enum { ENT_PENDING, ENT_READY, ENT_FAILED };

struct memo_ent {
	uint64_t hash;
	const struct tc_replay_graph *g;
	struct rp_wcost *wc; /* the cost vector that identifies the timeline */
	double host_scale, gpu_scale;
	double floor_ns; /* the target's kernel floor: part of every op's projected time */
	int no_infer_waits;
	int64_t max_steps;
	int strict, state;
	struct tc_replay_summary sum; /* energy and dollars re-priced per hit */
	size_t n_steps;
	int64_t *proj_ns;
	double (*busy)[TC_BOUND__COUNT], (*util)[TC_BOUND__COUNT];
	double (*work)[2];
};

/* Projected start / end arrays of finished runs, reused by the next: a fresh pair costs page
 * faults (huge pages zeroed) that were a tenth of a sweep's time. At most one pair a thread. */
struct memo_bufs {
	int64_t *start, *end;
	size_t cap;
};

/* Timing keys that gave an entry (its graph and options are the entry's own). */
struct memo_alias {
	size_t ent; /* index in ents */
	size_t len; /* of key: the source's then the target's timing key */
	unsigned char *key;
};

struct tc_replay_memo {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct memo_ent *ents;
	size_t n, cap, bytes, max_bytes;
	uint64_t hits, misses;
	struct memo_bufs *pool;
	size_t n_pool, cap_pool;
	/* the step index of each graph (and max_steps) simulated: the same for every point */
	struct rp_stepix *ix;
	size_t n_ix, cap_ix;
	/* entries by the chips' timing keys (tc_chip_timing_key): a configuration that
	 * differs from a simulated one only where op costs do not read (power, price) finds
	 * its entry without re-timing every work record */
	struct memo_alias *al;
	size_t n_al, cap_al;
};

int tc_replay_memo_new(struct tc_replay_memo **out, size_t max_bytes, struct tc_err *err)
{
	struct tc_replay_memo *m = calloc(1, sizeof(*m));
	if (!m)
		return tc_err_set(err, TC_ENOMEM, "replay memo: out of memory");
	pthread_mutex_init(&m->mu, NULL);
	pthread_cond_init(&m->cv, NULL);
	m->max_bytes = max_bytes ? max_bytes : (size_t)256 << 20;
	*out = m;
	return 0;
}

static void ent_clear(struct memo_ent *e)
{
	free(e->wc);
	free(e->proj_ns);
	free(e->busy);
	free(e->util);
	free(e->work);
}

void tc_replay_memo_free(struct tc_replay_memo *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->n; i++)
		ent_clear(&m->ents[i]);
	free(m->ents);
	for (size_t i = 0; i < m->n_pool; i++) {
		free(m->pool[i].start);
		free(m->pool[i].end);
	}
	free(m->pool);
	for (size_t i = 0; i < m->n_ix; i++)
		rp_stepix_free(&m->ix[i]);
	free(m->ix);
	for (size_t i = 0; i < m->n_al; i++)
		free(m->al[i].key);
	free(m->al);
	pthread_mutex_destroy(&m->mu);
	pthread_cond_destroy(&m->cv);
	free(m);
}

void tc_replay_memo_stats(struct tc_replay_memo *m, uint64_t *entries, uint64_t *hits,
			  uint64_t *misses)
{
	pthread_mutex_lock(&m->mu);
	*entries = m->n;
	*hits = m->hits;
	*misses = m->misses;
	pthread_mutex_unlock(&m->mu);
}

/* Energy and dollars of the stored steps on chip: analysis.c's energy() per step, then the
 * sums of tc_replay_summarize, in the same order (the same bits). */
static void reprice(const struct memo_ent *e, const struct tc_chip *chip,
		    struct tc_replay_summary *out)
{
	double nk = (double)e->sum.job_steps, ej = 0, usd = 0;
	for (size_t k = 0; k < e->n_steps; k++) {
		double j = 0, d = 0;
		if (e->proj_ns[k] > 0) {
			j = tc_chip_energy_ops_j(chip, (double)e->proj_ns[k], e->busy[k],
						 e->util[k], e->work[k][0], e->work[k][1]);
			d = tc_chip_dollars(chip, (double)e->proj_ns[k], j);
		}
		ej += j;
		usd += d;
	}
	out->energy_j = nk > 0 ? ej / nk : NAN;
	out->dollars = nk > 0 ? usd / nk : NAN;
	out->steps_per_j = ratio(nk, ej);
	out->steps_per_usd = ratio(nk, usd);
}

static double floor_of(const struct tc_replay_opts *o)
{
	const struct tc_chip *c = o->target ? o->target : o->source;
	return c ? tc_chip_min_kernel_ns(c) : 0;
}

/* What besides the op costs makes a timeline: the graph and the run's options. */
static int same_run(const struct memo_ent *e, const struct tc_replay_graph *g,
		    const struct tc_replay_opts *o)
{
	return e->g == g && e->host_scale == o->host_scale && e->floor_ns == floor_of(o) &&
	       e->no_infer_waits == o->no_infer_waits && e->gpu_scale == o->gpu_scale &&
	       e->max_steps == o->max_steps && e->strict == o->strict;
}

static int same_key(const struct memo_ent *e, uint64_t h, const struct tc_replay_graph *g,
		    const struct tc_replay_opts *o, const struct rp_wcost *wc)
{
	return e->hash == h && same_run(e, g, o) &&
	       memcmp(e->wc, wc, g->n_works * sizeof(*wc)) == 0;
}

/* Keep what a hit needs from a finished run; the entry takes wc. */
static int ent_fill(struct memo_ent *e, const struct tc_replay *r)
{
	size_t n = r->n_steps ? r->n_steps : 1;
	e->n_steps = r->n_steps;
	e->proj_ns = malloc(n * sizeof(*e->proj_ns));
	e->busy = malloc(n * sizeof(*e->busy));
	e->util = malloc(n * sizeof(*e->util));
	e->work = malloc(n * sizeof(*e->work));
	if (!e->proj_ns || !e->busy || !e->util || !e->work)
		return TC_ENOMEM;
	for (size_t k = 0; k < r->n_steps; k++)
		e->proj_ns[k] = r->steps[k].proj_job_ns; /* every GPU is held for the job step */
	memcpy(e->busy, r->step_busy, r->n_steps * sizeof(*e->busy));
	memcpy(e->util, r->step_util, r->n_steps * sizeof(*e->util));
	memcpy(e->work, r->step_work, r->n_steps * sizeof(*e->work));
	tc_replay_summarize(r, &e->sum);
	return 0;
}

/* The graph's step index, built on first use (under m->mu); NULL when it cannot be (the run
 * then builds its own). A run borrows a copy of the entry: its arrays never move, the entries
 * may (m->ix grows). */
static const struct rp_stepix *stepix_of(struct tc_replay_memo *m, const struct tc_replay_graph *g,
					 int64_t max_steps)
{
	for (size_t i = 0; i < m->n_ix; i++)
		if (m->ix[i].g == g && m->ix[i].max_steps == max_steps)
			return &m->ix[i];
	if (m->n_ix == m->cap_ix &&
	    tc_grow((void **)&m->ix, &m->cap_ix, m->n_ix + 1, sizeof(*m->ix)) < 0)
		return NULL;
	if (rp_stepix_make(&m->ix[m->n_ix], g, max_steps, NULL) < 0)
		return NULL;
	return &m->ix[m->n_ix++];
}

static int plain_run(const struct tc_replay_graph *g, const struct tc_replay_opts *opts,
		     struct tc_replay_summary *out, struct tc_err *err)
{
	struct tc_replay *r = NULL;
	struct tc_replay_opts o = *opts;
	o.summary_only = 1;
	TC_TRY(tc_replay_run(&r, g, &o, err));
	tc_replay_summarize(r, out);
	tc_replay_free(r);
	return 0;
}

/* A hit: the stored summary re-priced on this point's target (under m->mu). */
static void answer(struct tc_replay_memo *m, const struct memo_ent *e,
		   const struct tc_replay_opts *opts, struct tc_replay_summary *out, int *hit)
{
	m->hits++;
	*out = e->sum;
	reprice(e, opts->target, out);
	if (hit)
		*hit = 1;
}

static int memo_run(struct tc_replay_memo *m, const struct tc_replay_graph *g,
		    const struct tc_replay_opts *opts, struct tc_replay_summary *out, int *hit,
		    size_t *pending, struct tc_err *err);

int tc_replay_memo_run(struct tc_replay_memo *m, const struct tc_replay_graph *g,
		       const struct tc_replay_opts *opts, struct tc_replay_summary *out, int *hit,
		       struct tc_err *err)
{
	return memo_run(m, g, opts, out, hit, NULL, err);
}

int tc_replay_memo_start(struct tc_replay_memo *m, const struct tc_replay_graph *g,
			 const struct tc_replay_opts *opts, struct tc_replay_summary *out, int *hit,
			 size_t *ticket, struct tc_err *err)
{
	return memo_run(m, g, opts, out, hit, ticket, err);
}

int tc_replay_memo_finish(struct tc_replay_memo *m, const struct tc_replay_graph *g,
			  const struct tc_replay_opts *opts, size_t ticket,
			  struct tc_replay_summary *out, int *hit, struct tc_err *err)
{
	if (hit)
		*hit = 0;
	pthread_mutex_lock(&m->mu);
	while (ticket < m->n && m->ents[ticket].state == ENT_PENDING)
		pthread_cond_wait(&m->cv, &m->mu);
	if (ticket < m->n && m->ents[ticket].state == ENT_READY) {
		/* the entry start found pending, for the same key: entries never leave */
		answer(m, &m->ents[ticket], opts, out, hit);
		pthread_mutex_unlock(&m->mu);
		return 0;
	}
	pthread_mutex_unlock(&m->mu);
	/* its simulation failed: as tc_replay_memo_run would, simulate here */
	return memo_run(m, g, opts, out, hit, NULL, err);
}

/* The source's and the target's timing keys, one after the other, into kb; 0 when either
 * does not fit (the point is then found by its cost vector alone). */
static size_t timing_key(const struct tc_replay_opts *o, unsigned char *kb)
{
	size_t a = tc_chip_timing_key(o->source, kb, TC_CHIP_TIMING_MAX);
	size_t b = a ? tc_chip_timing_key(o->target, kb + a, TC_CHIP_TIMING_MAX) : 0;
	return a && b ? a + b : 0;
}

/* The entry of these timing keys for this graph and options (under m->mu), or NULL. */
static struct memo_ent *alias_find(struct tc_replay_memo *m, const struct tc_replay_graph *g,
				   const struct tc_replay_opts *o, const unsigned char *kb,
				   size_t kl, size_t *idx)
{
	for (size_t i = 0; kl && i < m->n_al; i++) {
		const struct memo_alias *a = &m->al[i];
		const struct memo_ent *e = &m->ents[a->ent];
		if (a->len == kl && e->state != ENT_FAILED && same_run(e, g, o) &&
		    memcmp(a->key, kb, kl) == 0) {
			*idx = a->ent;
			return &m->ents[*idx];
		}
	}
	return NULL;
}

/* Remember that these timing keys, not found by alias_find, give entry idx (under m->mu;
 * skipped when memory is short: the point is then found by its cost vector, as before). */
static void alias_add(struct tc_replay_memo *m, const unsigned char *kb, size_t kl, size_t idx)
{
	if (!kl || m->bytes + kl + sizeof(*m->al) > m->max_bytes)
		return;
	unsigned char *key = malloc(kl);
	if (!key || (m->n_al == m->cap_al &&
		     tc_grow((void **)&m->al, &m->cap_al, m->n_al + 1, sizeof(*m->al)) < 0)) {
		free(key);
		return;
	}
	memcpy(key, kb, kl);
	m->al[m->n_al++] = (struct memo_alias){idx, kl, key};
	m->bytes += kl + sizeof(*m->al);
}

/* pending NULL: wait for an entry another thread is simulating; else return 1 with its
 * index in *pending. */
static int memo_run(struct tc_replay_memo *m, const struct tc_replay_graph *g,
		    const struct tc_replay_opts *opts, struct tc_replay_summary *out, int *hit,
		    size_t *pending, struct tc_err *err)
{
	if (hit)
		*hit = 0;
	/* a scale-out what-if re-times through the layout the run resolves, and class scales
	 * through the band: neither is memoised */
	if (!m || !opts->source || !opts->target || !g->finished || opts->class_scale ||
	    opts->scale)
		return plain_run(g, opts, out, err);
	/* the chips' timing keys first: a configuration whose keys were seen needs no
	 * re-timing; else the cost vector, what rp_retime gives every work record (it zeroes
	 * each entry first, padding included, so whole entries compare with memcmp) */
	unsigned char kb[2 * TC_CHIP_TIMING_MAX];
	size_t kl = timing_key(opts, kb);
	struct tc_replay probe;
	memset(&probe, 0, sizeof(probe));
	probe.g = g;
	probe.opts = *opts;
	size_t wbytes = g->n_works * sizeof(*probe.wc);
	uint64_t h = 0;
	int rc;

	pthread_mutex_lock(&m->mu);
	for (;;) {
		size_t idx = 0;
		struct memo_ent *e = alias_find(m, g, opts, kb, kl, &idx);
		int by_alias = e != NULL;
		if (!e && !probe.wc) {
			pthread_mutex_unlock(&m->mu);
			probe.wc = calloc(g->n_works ? g->n_works : 1, sizeof(*probe.wc));
			if (!probe.wc)
				return tc_err_set(err, TC_ENOMEM, "replay memo: out of memory");
			if ((rc = rp_retime(&probe, err)) < 0) {
				free(probe.wc);
				return rc;
			}
			h = tc_hash64(probe.wc, wbytes, 0x6d656d6fULL);
			pthread_mutex_lock(&m->mu);
			continue; /* the keys again: another worker may have added them */
		}
		for (size_t i = 0; !e && i < m->n; i++)
			if (m->ents[i].state != ENT_FAILED &&
			    same_key(&m->ents[i], h, g, opts, probe.wc)) {
				e = &m->ents[i];
				idx = i;
			}
		if (e && !by_alias)
			alias_add(m, kb, kl, idx);
		if (e && e->state == ENT_PENDING && pending) { /* the caller comes back later */
			*pending = idx;
			pthread_mutex_unlock(&m->mu);
			free(probe.wc);
			return 1;
		}
		if (e && e->state == ENT_PENDING) { /* another worker is simulating it */
			pthread_cond_wait(&m->cv, &m->mu);
			continue;
		}
		if (e) {
			answer(m, e, opts, out, hit);
			pthread_mutex_unlock(&m->mu);
			free(probe.wc);
			return 0;
		}
		break;
	}
	m->misses++;
	/* not there: claim a pending entry (when it fits) and simulate outside the lock */
	size_t need = wbytes + sizeof(struct memo_ent) + 64 * sizeof(double);
	size_t slot = SIZE_MAX;
	struct rp_wcost *key = NULL;
	if (m->bytes + need <= m->max_bytes &&
	    (m->n < m->cap ||
	     tc_grow((void **)&m->ents, &m->cap, m->n + 1, sizeof(*m->ents)) == 0) &&
	    (key = malloc(wbytes ? wbytes : 1))) {
		memcpy(key, probe.wc, wbytes);
		slot = m->n++;
		struct memo_ent *e = &m->ents[slot];
		memset(e, 0, sizeof(*e));
		e->hash = h;
		e->g = g;
		e->wc = key;
		e->host_scale = opts->host_scale;
		e->gpu_scale = opts->gpu_scale;
		e->floor_ns = floor_of(opts);
		e->no_infer_waits = opts->no_infer_waits;
		e->max_steps = opts->max_steps;
		e->strict = opts->strict;
		e->state = ENT_PENDING;
		m->bytes += need;
		alias_add(m, kb, kl, slot);
	}
	/* a spare pair of timeline arrays, if one is big enough */
	struct rp_prep prep;
	memset(&prep, 0, sizeof(prep));
	struct rp_stepix ix; /* a copy: m->ix may move while the run reads it */
	const struct rp_stepix *xp = stepix_of(m, g, opts->max_steps);
	if (xp) {
		ix = *xp;
		prep.stepix = &ix;
	}
	for (size_t i = m->n_pool; i-- > 0;)
		if (m->pool[i].cap >= g->n) {
			prep.start = m->pool[i].start;
			prep.end = m->pool[i].end;
			m->pool[i] = m->pool[--m->n_pool];
			break;
		}
	pthread_mutex_unlock(&m->mu);

	/* the run takes the cost vector just computed: no second re-timing */
	struct tc_replay *r = NULL;
	struct tc_replay_opts o = *opts;
	o.summary_only = 1;
	prep.wc = probe.wc;
	prep.warn = probe.warn;
	rc = rp_run(&r, g, &o, &prep, err);
	if (rc == 0)
		tc_replay_summarize(r, out);
	pthread_mutex_lock(&m->mu);
	if (slot != SIZE_MAX) {
		struct memo_ent *e = &m->ents[slot]; /* ents may have moved: index again */
		int ok = rc == 0 && ent_fill(e, r) == 0;
		e->state = ok ? ENT_READY : ENT_FAILED;
		if (!ok) {
			ent_clear(e);
			e->wc = NULL;
			e->proj_ns = NULL;
			e->busy = e->util = NULL;
			e->work = NULL;
		}
		pthread_cond_broadcast(&m->cv);
	}
	if (r && (m->n_pool < m->cap_pool ||
		  tc_grow((void **)&m->pool, &m->cap_pool, m->n_pool + 1, sizeof(*m->pool)) == 0)) {
		m->pool[m->n_pool++] = (struct memo_bufs){r->start, r->end, g->n};
		r->start = r->end = NULL;
	}
	pthread_mutex_unlock(&m->mu);
	tc_replay_free(r);
	return rc;
}

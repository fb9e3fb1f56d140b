/* analysis.c - the run (re-time, simulate, analyse) and what it answers: steps, GPU spans
 * and busy time, the split of step time by bound, time by op class, top ops, the critical
 * path, energy and dollars. docs/projection.md defines every figure. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rp_internal.h"

/* ---- steps ---------------------------------------------------------------------------------- */

enum { CAT_COMPUTE, CAT_MEMORY, CAT_LAUNCH, CAT_COMM, CAT_HOST, CAT__N };
static const unsigned cat_bound[CAT__N] = {TC_BOUND_COMPUTE, TC_BOUND_MEMORY, TC_BOUND_LAUNCH,
					   TC_BOUND_COMM, TC_BOUND_HOST};

static unsigned cat_of_bound(unsigned b)
{
	switch (b) {
	case TC_BOUND_COMPUTE:
		return CAT_COMPUTE;
	case TC_BOUND_COMM:
		return CAT_COMM;
	case TC_BOUND_LAUNCH:
		return CAT_LAUNCH;
	default:
		return CAT_MEMORY;
	}
}

static int build_steps(struct tc_replay *r, struct tc_err *err)
{
	const struct tc_replay_graph *g = r->g;
	size_t n = 0;
	int64_t keep = r->opts.max_steps;
	r->steps = calloc((g->n_steps ? g->n_steps : 0) + g->max_rank + 1, sizeof(*r->steps));
	if (!r->steps)
		return tc_err_set(err, TC_ENOMEM, "replay: out of memory");
	if (g->n_steps) {
		uint32_t rank = UINT32_MAX;
		int64_t k = 0;
		for (size_t j = 0; j < g->n_steps; j++) {
			uint32_t i = g->steps[j].op;
			if (g->steps[j].rank != rank) {
				rank = g->steps[j].rank;
				k = 0;
			}
			if (keep >= 0 && k >= keep)
				continue;
			k++;
			struct tc_replay_step *s = &r->steps[n++];
			s->op = i;
			s->rank = rank;
			s->index = (uint32_t)(k - 1);
			s->name = rp_string(g, rp_name_id(g, i));
			s->src_start = g->ts[i];
			s->src_ns = rp_dur0(g, i);
		}
		r->n_steps = n;
		return 0;
	}
	/* no step annotations: one pseudo-step per rank over everything it ran */
	r->warn.no_steps = 1;
	size_t nr = (size_t)g->max_rank + 1;
	int64_t *mm = malloc(2 * nr * sizeof(*mm));
	if (!mm)
		return tc_err_set(err, TC_ENOMEM, "replay: out of memory");
	for (size_t q = 0; q < nr; q++) {
		mm[2 * q] = INT64_MAX;
		mm[2 * q + 1] = INT64_MIN;
	}
	for (uint32_t i = 0; i < g->n; i++) {
		if (g->flags[i] & RP_F_PASSIVE)
			continue;
		int64_t *m = mm + 2 * (size_t)g->lanes[g->lane[i]].rank;
		m[0] = TC_MIN(m[0], g->ts[i]);
		m[1] = TC_MAX(m[1], rp_src_end(g, i));
	}
	for (uint32_t rank = 0; rank < nr; rank++) {
		const int64_t *m = mm + 2 * (size_t)rank;
		if (m[0] == INT64_MAX)
			continue;
		struct tc_replay_step *s = &r->steps[n++];
		s->op = UINT64_MAX;
		s->rank = rank;
		s->index = 0;
		s->name = "whole-run";
		s->src_start = m[0];
		s->src_ns = m[1] - m[0];
	}
	free(mm);
	r->n_steps = n;
	return 0;
}

/* Membership is decided by the CPU marker on the source (step_of), whatever the step's
 * span later becomes. */
static int build_steps_src(struct tc_replay *r, struct tc_err *err)
{
	int rc = build_steps(r, err);
	for (size_t k = 0; rc == 0 && k < r->n_steps; k++) {
		r->steps[k].src_cpu_start = r->steps[k].src_start;
		r->steps[k].src_cpu_ns = r->steps[k].src_ns;
	}
	return rc;
}

/* The projected side of every step from the run's start / end: the marker's span, or for
 * pseudo-steps the rank's whole span; each step starts as its CPU marker (analyse_steps
 * extends it by the GPU-side span). */
static void steps_project(struct tc_replay *r)
{
	const struct tc_replay_graph *g = r->g;
	for (size_t k = 0; k < r->n_steps; k++) {
		struct tc_replay_step *s = &r->steps[k];
		if (s->op != UINT64_MAX) {
			s->proj_start = r->start[s->op];
			s->proj_ns = r->end[s->op] - r->start[s->op];
		} else {
			s->proj_start = INT64_MAX;
			s->proj_ns = INT64_MIN;
		}
	}
	if (r->warn.no_steps) {
		/* one pseudo-step per rank: rank q's row is step_first[q] (step_index) */
		for (uint32_t i = 0; i < g->n; i++) {
			if ((g->flags[i] & RP_F_PASSIVE) || r->start[i] == INT64_MIN)
				continue;
			uint32_t rank = g->lanes[g->lane[i]].rank;
			if (r->step_first[rank] == r->step_first[rank + 1])
				continue;
			struct tc_replay_step *s = &r->steps[r->step_first[rank]];
			s->proj_start = TC_MIN(s->proj_start, r->start[i]);
			s->proj_ns = TC_MAX(s->proj_ns, r->end[i]); /* the end, for now */
		}
		for (size_t k = 0; k < r->n_steps; k++) {
			struct tc_replay_step *s = &r->steps[k];
			s->proj_ns = s->proj_ns >= s->proj_start ? s->proj_ns - s->proj_start : 0;
			if (s->proj_start == INT64_MAX)
				s->proj_start = 0;
		}
	}
	for (size_t k = 0; k < r->n_steps; k++) {
		struct tc_replay_step *s = &r->steps[k];
		s->proj_cpu_start = s->proj_start;
		s->proj_cpu_ns = s->proj_ns;
		s->last_gpu_op = UINT64_MAX;
	}
}

/* Step indices per rank and the job step: the max over ranks at each index. */
static int job_steps(struct tc_replay *r)
{
	enum { SRC, PROJ, CEIL, SRC_GPU, PROJ_GPU, NCOL };
	size_t nk = 0;
	for (size_t k = 0; k < r->n_steps; k++)
		nk = TC_MAX(nk, (size_t)r->steps[k].index + 1);
	int64_t *jm = calloc(NCOL * (nk ? nk : 1), sizeof(*jm));
	if (!jm)
		return TC_ENOMEM;
	for (size_t k = 0; k < r->n_steps; k++) {
		const struct tc_replay_step *s = &r->steps[k];
		int64_t *m = jm + NCOL * s->index;
		m[SRC] = TC_MAX(m[SRC], s->src_ns);
		m[PROJ] = TC_MAX(m[PROJ], s->proj_ns);
		m[CEIL] = TC_MAX(m[CEIL], s->ceil_ns);
		m[SRC_GPU] = TC_MAX(m[SRC_GPU], s->src_gpu_ns);
		m[PROJ_GPU] = TC_MAX(m[PROJ_GPU], s->proj_gpu_ns);
	}
	r->src_total_ns = r->proj_total_ns = r->ceil_total_ns = 0;
	r->src_gpu_total_ns = r->proj_gpu_total_ns = 0;
	for (size_t j = 0; j < nk; j++) {
		r->src_total_ns += jm[NCOL * j + SRC];
		r->proj_total_ns += jm[NCOL * j + PROJ];
		r->ceil_total_ns += jm[NCOL * j + CEIL];
		r->src_gpu_total_ns += jm[NCOL * j + SRC_GPU];
		r->proj_gpu_total_ns += jm[NCOL * j + PROJ_GPU];
	}
	for (size_t k = 0; k < r->n_steps; k++) {
		r->steps[k].src_job_ns = jm[NCOL * r->steps[k].index + SRC];
		r->steps[k].proj_job_ns = jm[NCOL * r->steps[k].index + PROJ];
	}
	r->n_job_steps = nk;
	free(jm);
	return 0;
}

static void energy(const struct tc_chip *chip, int64_t span, const double busy[TC_BOUND__COUNT],
		   const double util[TC_BOUND__COUNT], const double work[2], double *j, double *usd)
{
	*j = *usd = 0;
	if (!chip || span <= 0)
		return;
	*j = tc_chip_energy_ops_j(chip, (double)span, busy, util, work[0], work[1]);
	*usd = tc_chip_dollars(chip, (double)span, *j);
}

/* ---- one sweep per rank and side ---------------------------------------------------------
 *
 * The step time is split by what runs at each instant, so the analysis needs every op's
 * interval in time order. Each lane already yields its intervals in order (a CPU lane's
 * points are sorted; a GPU lane starts its ops in order, its ends come out of a tiny heap
 * of pending ends, as deep as the ops that overlap), so the rank's lanes are merged, not
 * sorted: O(ops x log lanes) per rank, no per-op buffer. An op counts for the step it
 * belongs to (GPU ops by their launch time, CPU ops by their start, on the source
 * timeline), clipped to that step's window. */

struct pend {
	int64_t t;
	uint32_t k;
	uint8_t cat;
};

struct gen {
	const uint32_t *ord;
	uint32_t cur, len, rank;
	int gpu;
	uint32_t head_k; /* step of ord[cur], valid when head_ok */
	int head_ok;
	struct pend *h;
	uint32_t hn, hcap;
	int64_t next; /* time of the next event; INT64_MAX when done */
};

struct step_acc {
	double busy[2][TC_BOUND__COUNT], util[2][TC_BOUND__COUNT];
	double work[2][2]; /* FLOPs and bytes of the step's GPU ops, for per-operation energy */
	double bound[TC_BOUND__COUNT]; /* the current side's split, copied to the step after */
	int64_t gmin[2], gmax[2], gbusy[2];
	int32_t act[CAT__N]; /* ops of the step running now, per category (current side) */
	unsigned mask;	     /* bit c set while act[c] > 0: the running category is its lowest */
};

struct an {
	struct tc_replay *r;
	const struct tc_replay_graph *g;
	const size_t *first; /* steps of rank q: first[q] .. first[q + 1] */
	struct step_acc *sa;
	uint64_t *wcount;
	double *wsrc, *wproj;
	int v; /* 0 source, 1 projected */
	/* each step's window on the current side, by step */
	int64_t *w0, *w1;
	/* windows of the rank, sorted by start; open ones */
	uint32_t *win, *open;
	size_t nwin, wnext, nopen;
	int64_t next_w0; /* start of win[wnext], INT64_MAX when none is left */
	int64_t prev;
};

/* The reported step of a rank whose source span holds t, or -1 (binary search; hint first). */
static long step_of(const struct an *A, uint32_t rank, int64_t t, uint32_t *hint)
{
	const struct tc_replay *r = A->r;
	long lo = (long)A->first[rank], hi = (long)A->first[rank + 1] - 1, hit = -1;
	if (lo > hi)
		return -1;
	if (r->warn.no_steps)
		return lo; /* the pseudo-step holds everything */
	long h = (long)*hint;
	if (h >= lo && h <= hi && r->steps[h].src_cpu_start <= t &&
	    (h == hi || r->steps[h + 1].src_cpu_start > t)) {
		hit = h;
	} else {
		while (lo <= hi) {
			long mid = lo + (hi - lo) / 2;
			if (r->steps[mid].src_cpu_start <= t) {
				hit = mid;
				lo = mid + 1;
			} else {
				hi = mid - 1;
			}
		}
		if (hit < 0)
			return -1;
		*hint = (uint32_t)hit;
	}
	const struct tc_replay_step *s = &r->steps[hit];
	return t < s->src_cpu_start + s->src_cpu_ns || s->src_cpu_ns == 0 ? hit : -1;
}

/* The merge below runs once per side; v is a constant in each copy (sweep_rank), so the
 * side's arrays are chosen at compile time, not per event. */
#if defined(__GNUC__)
#define PREFETCH(p) __builtin_prefetch(p)
#define AN_INLINE static inline __attribute__((always_inline))
#else
#define PREFETCH(p) ((void)(p))
#define AN_INLINE static inline
#endif

AN_INLINE int64_t op_t0(const struct an *A, uint32_t i, int v)
{
	return v ? A->r->start[i] : A->g->ts[i];
}

AN_INLINE int64_t op_t1(const struct an *A, uint32_t i, int v)
{
	return v ? A->r->end[i] : rp_src_end(A->g, i);
}

AN_INLINE void gen_peek(const struct an *A, struct gen *G, int v)
{
	int64_t ts = INT64_MAX;
	while (G->cur < G->len) {
		uint32_t p = G->ord[G->cur];
		uint32_t i = G->gpu ? p : p >> 1;
		if (!G->head_ok) {
			/* lanes interleave in op order: fetch what a later head will read */
			if (G->cur + 16 < G->len) {
				uint32_t f = G->ord[G->cur + 16];
				f = G->gpu ? f : f >> 1;
				if (v) {
					PREFETCH(&A->r->start[f]);
					PREFETCH(&A->r->end[f]);
				}
				PREFETCH(&A->r->opk[f]);
			}
			uint32_t k1 = A->r->opk[i]; /* step_index */
			if (!k1) {
				G->cur++;
				continue;
			}
			G->head_k = k1 - 1;
			G->head_ok = 1;
		}
		ts = (!G->gpu && (p & 1)) ? op_t1(A, i, v) : op_t0(A, i, v);
		break;
	}
	int64_t te = G->hn ? G->h[0].t : INT64_MAX;
	G->next = TC_MIN(ts, te);
}

static int pend_push(struct gen *G, struct pend e)
{
	if (G->hn == G->hcap) {
		size_t cap = G->hcap;
		if (tc_grow((void **)&G->h, &cap, G->hn + 1, sizeof(*G->h)) < 0)
			return TC_ENOMEM;
		G->hcap = (uint32_t)cap;
	}
	uint32_t i = G->hn++;
	G->h[i] = e;
	while (i && G->h[i].t < G->h[(i - 1) / 2].t) {
		struct pend t = G->h[i];
		G->h[i] = G->h[(i - 1) / 2];
		G->h[(i - 1) / 2] = t;
		i = (i - 1) / 2;
	}
	return 0;
}

static struct pend pend_pop(struct gen *G)
{
	struct pend top = G->h[0];
	G->h[0] = G->h[--G->hn];
	for (uint32_t i = 0;;) {
		uint32_t l = 2 * i + 1, rr = l + 1, m = i;
		if (l < G->hn && G->h[l].t < G->h[m].t)
			m = l;
		if (rr < G->hn && G->h[rr].t < G->h[m].t)
			m = rr;
		if (m == i)
			break;
		struct pend t = G->h[i];
		G->h[i] = G->h[m];
		G->h[m] = t;
		i = m;
	}
	return top;
}

/* Attribute [prev, t] of every open window to the highest-priority category running. */
AN_INLINE void advance(struct an *A, int64_t t)
{
	if (t <= A->prev)
		return;
	while (A->next_w0 < t) {
		uint32_t k = A->win[A->wnext++];
		if (A->w1[k] > A->w0[k])
			A->open[A->nopen++] = k;
		A->next_w0 = A->wnext < A->nwin ? A->w0[A->win[A->wnext]] : INT64_MAX;
	}
	for (size_t o = 0; o < A->nopen;) {
		uint32_t k = A->open[o];
		int64_t w0 = A->w0[k], w1 = A->w1[k];
		int64_t lo = TC_MAX(A->prev, w0), hi = TC_MIN(t, w1);
		if (hi > lo) {
			struct step_acc *S = &A->sa[k];
			unsigned c = S->mask ? (unsigned)__builtin_ctz(S->mask) : CAT__N;
			S->bound[c < CAT__N ? cat_bound[c] : TC_BOUND_IDLE] += (double)(hi - lo);
			if (c < CAT_HOST)
				S->gbusy[A->v] += hi - lo;
		}
		if (w1 <= t)
			A->open[o] = A->open[--A->nopen];
		else
			o++;
	}
	A->prev = t;
}

AN_INLINE void act_add(struct step_acc *S, unsigned c, int d)
{
	S->act[c] += d;
	if (S->act[c] > 0)
		S->mask |= 1u << c;
	else
		S->mask &= ~(1u << c);
}

/* Per-op sums at a GPU op's start on side v: spans, busy and utilisation by bound for
 * energy; on the projected side also the class and top-op tables. */
AN_INLINE void gpu_op_sums(struct an *A, uint32_t i, uint32_t k, unsigned b, int v)
{
	struct tc_replay *r = A->r;
	const struct tc_replay_graph *g = A->g;
	struct step_acc *S = &A->sa[k];
	const struct rp_wcost *c = &r->wc[g->ref[i]];
	int64_t t0 = op_t0(A, i, v), t1 = op_t1(A, i, v), d = t1 - t0;
	S->busy[v][b] += (double)d;
	S->util[v][b] += rp_util_ns(c, v, (double)d);
	{
		const struct rp_work *W = &g->works[g->ref[i]];
		S->work[v][0] += (double)W->flops;
		S->work[v][1] += (double)W->bytes_read + (double)W->bytes_written;
	}
	if (v) {
		uint32_t w = g->ref[i];
		r->steps[k].gpu_ops++;
		A->wcount[w]++;
		A->wsrc[w] += (double)rp_dur0(g, i);
		A->wproj[w] += (double)d;
	}
}

/* Each GPU op's step (by its launch on the source timeline) into the lanes' gk, and from
 * it each step's GPU-side span on both sides. A step is then the longer of its CPU marker
 * and its GPU-side span, starting where that path starts: a GPU that runs behind the CPU
 * (a backlog) makes the step as long as the GPU needs for it. */
static void gpu_steps(struct an *A, struct gen *gens, size_t ng)
{
	struct tc_replay *r = A->r;
	const struct tc_replay_graph *g = A->g;
	for (size_t q = 0; q < ng; q++) {
		struct gen *G = &gens[q];
		if (!G->gpu)
			continue;
		for (uint32_t c = 0; c < G->len; c++) {
			uint32_t i = G->ord[c];
			long k = (long)r->opk[i] - 1;
			if (k < 0) {
				r->carry_ops += r->start[i] != INT64_MIN;
				continue;
			}
			struct step_acc *S = &A->sa[k];
			S->gmin[0] = TC_MIN(S->gmin[0], g->ts[i]);
			S->gmax[0] = TC_MAX(S->gmax[0], rp_src_end(g, i));
			S->gmin[1] = TC_MIN(S->gmin[1], r->start[i]);
			if (r->end[i] > S->gmax[1] || r->steps[k].last_gpu_op == UINT64_MAX) {
				S->gmax[1] = TC_MAX(S->gmax[1], r->end[i]);
				r->steps[k].last_gpu_op = i;
			}
		}
	}
	for (size_t k = 0; k < r->n_steps; k++) {
		struct tc_replay_step *s = &r->steps[k];
		const struct step_acc *S = &A->sa[k];
		if (S->gmax[0] < S->gmin[0])
			continue; /* no GPU op */
		s->src_gpu_ns = S->gmax[0] - S->gmin[0];
		s->proj_gpu_ns = S->gmax[1] - S->gmin[1];
		if (r->warn.no_steps)
			continue; /* the whole-run span already holds every op */
		if (s->src_gpu_ns > s->src_ns) {
			s->src_start = S->gmin[0];
			s->src_ns = s->src_gpu_ns;
		}
		if (s->proj_gpu_ns > s->proj_ns) {
			s->proj_start = S->gmin[1];
			s->proj_ns = s->proj_gpu_ns;
		}
	}
}

static int gen_less(const struct gen *a, const struct gen *b)
{
	return a->next != b->next ? a->next < b->next : a < b;
}

/* One event of the rank's earliest lane G at time t: an op's end leaving its category, or
 * the lane's next op (GPU op start, or a CPU point) entering. */
AN_INLINE int step_event(struct an *A, struct gen *G, int64_t t, int v)
{
	int64_t te = G->hn ? G->h[0].t : INT64_MAX;
	if (te <= t) {
		struct pend e = pend_pop(G);
		act_add(&A->sa[e.k], e.cat, -1);
	} else {
		uint32_t p = G->ord[G->cur], k = G->head_k;
		G->cur++;
		G->head_ok = 0;
		if (G->gpu) {
			unsigned b = rp_bound(A->r, p, v), cat = cat_of_bound(b);
			act_add(&A->sa[k], cat, 1);
			gpu_op_sums(A, p, k, b, v);
			if (pend_push(G, (struct pend){op_t1(A, p, v), k, (uint8_t)cat}) < 0)
				return TC_ENOMEM;
		} else {
			act_add(&A->sa[k], CAT_HOST, (p & 1) ? -1 : 1);
		}
	}
	return 0;
}

AN_INLINE int sweep_rank_v(struct an *A, uint32_t rank, struct gen *gens, size_t ng,
			   struct gen **hp, int v)
{
	/* windows sorted by start (insertion sort: they nearly always are already) */
	A->nwin = 0;
	for (size_t k = A->first[rank]; k < A->first[rank + 1]; k++) {
		size_t j = A->nwin++;
		while (j > 0 && A->w0[A->win[j - 1]] > A->w0[k]) {
			A->win[j] = A->win[j - 1];
			j--;
		}
		A->win[j] = (uint32_t)k;
	}
	if (!A->nwin)
		return 0;
	A->wnext = A->nopen = 0;
	A->next_w0 = A->w0[A->win[0]];
	A->prev = A->next_w0;
	for (size_t k = A->first[rank]; k < A->first[rank + 1]; k++) {
		memset(A->sa[k].act, 0, sizeof(A->sa[k].act));
		A->sa[k].mask = 0;
	}
	size_t hn = 0;
	for (size_t q = 0; q < ng; q++) {
		struct gen *G = &gens[q];
		G->cur = 0;
		G->hn = 0;
		G->head_ok = 0;
		gen_peek(A, G, v);
		if (G->next == INT64_MAX)
			continue;
		size_t i = hn++;
		hp[i] = G;
		while (i && gen_less(hp[i], hp[(i - 1) / 2])) {
			struct gen *t = hp[i];
			hp[i] = hp[(i - 1) / 2];
			hp[(i - 1) / 2] = t;
			i = (i - 1) / 2;
		}
	}
	while (hn) {
		struct gen *G = hp[0];
		int64_t t = G->next;
		advance(A, t);
		if (step_event(A, G, t, v) < 0)
			return TC_ENOMEM;
		gen_peek(A, G, v);
		if (G->next == INT64_MAX)
			hp[0] = hp[--hn];
		for (size_t i = 0;;) { /* sift the root down */
			size_t l = 2 * i + 1, rr = l + 1, m = i;
			if (l < hn && gen_less(hp[l], hp[m]))
				m = l;
			if (rr < hn && gen_less(hp[rr], hp[m]))
				m = rr;
			if (m == i)
				break;
			struct gen *tmp = hp[i];
			hp[i] = hp[m];
			hp[m] = tmp;
			i = m;
		}
	}
	/* the rest of every window: nothing of its steps runs any more */
	int64_t t_end = A->prev;
	for (size_t w = 0; w < A->nwin; w++)
		t_end = TC_MAX(t_end, A->w1[A->win[w]]);
	advance(A, t_end);
	return 0;
}

/* The step time of each of the rank's steps split by what runs at each instant, on side
 * A->v, into the steps' bound split. */
static int sweep_rank(struct an *A, uint32_t rank, struct gen *gens, size_t ng, struct gen **hp)
{
	struct tc_replay *r = A->r;
	size_t k0 = A->first[rank], k1 = A->first[rank + 1];
	for (size_t k = k0; k < k1; k++) {
		const struct tc_replay_step *s = &r->steps[k];
		A->w0[k] = A->v ? s->proj_start : s->src_start;
		A->w1[k] = A->v ? s->proj_start + s->proj_ns : s->src_start + s->src_ns;
		memset(A->sa[k].bound, 0, sizeof(A->sa[k].bound));
	}
	int rc =
	    A->v ? sweep_rank_v(A, rank, gens, ng, hp, 1) : sweep_rank_v(A, rank, gens, ng, hp, 0);
	for (size_t k = k0; k < k1; k++) {
		double *out = A->v ? r->steps[k].proj_bound_ns : r->steps[k].src_bound_ns;
		for (unsigned b = 0; b < TC_BOUND__COUNT; b++)
			out[b] += A->sa[k].bound[b];
	}
	return rc;
}

static int top_cmp(const void *pa, const void *pb)
{
	const struct rp_top *a = pa, *b = pb;
	if (a->proj_ns != b->proj_ns)
		return a->proj_ns > b->proj_ns ? -1 : 1;
	return a->name < b->name ? -1 : a->name > b->name;
}

static int top_name_cmp(const void *pa, const void *pb, const void *ctx)
{
	(void)ctx;
	const struct rp_top *a = pa, *b = pb;
	return a->name < b->name ? -1 : a->name > b->name;
}

/* Class totals and the top-op table (per name) from the per-work sums. */
static int tables(struct tc_replay *r, const uint64_t *wcount, const double *wsrc,
		  const double *wproj)
{
	const struct tc_replay_graph *g = r->g;
	size_t n = 0;
	for (size_t w = 0; w < g->n_works; w++)
		n += wcount[w] > 0;
	if (r->opts.summary_only) { /* class totals only, no top-op table */
		for (size_t w = 0; w < g->n_works; w++) {
			if (!wcount[w])
				continue;
			unsigned cls = g->works[w].cls;
			r->class_count[cls] += wcount[w];
			r->class_src_ns[cls] += wsrc[w];
			r->class_proj_ns[cls] += wproj[w];
		}
		return 0;
	}
	r->top = malloc((n ? n : 1) * sizeof(*r->top));
	if (!r->top)
		return TC_ENOMEM;
	n = 0;
	for (size_t w = 0; w < g->n_works; w++) {
		if (!wcount[w])
			continue;
		const struct rp_work *W = &g->works[w];
		r->class_count[W->cls] += wcount[w];
		r->class_src_ns[W->cls] += wsrc[w];
		r->class_proj_ns[W->cls] += wproj[w];
		/* works in first-use order: a stable sort by name keeps the first one's bound */
		r->top[n++] = (struct rp_top){W->name,	 W->cls,  r->wc[w].dst_bound,
					      wcount[w], wsrc[w], wproj[w]};
	}
	/* merge works of one name (insertion into a name-sorted copy keeps first-use order) */
	if (n > 1) {
		/* stable: works of one name stay in first-use order */
		if (tc_msort(r->top, n, sizeof(*r->top), top_name_cmp, NULL))
			return TC_ENOMEM;
		size_t m = 0;
		for (size_t i = 0; i < n; i++) {
			if (m && r->top[m - 1].name == r->top[i].name) {
				r->top[m - 1].count += r->top[i].count;
				r->top[m - 1].src_ns += r->top[i].src_ns;
				r->top[m - 1].proj_ns += r->top[i].proj_ns;
			} else {
				r->top[m++] = r->top[i];
			}
		}
		n = m;
	}
	r->n_top = n;
	/* by projected time (ties by name id: file order, deterministic) */
	if (n)
		qsort(r->top, n, sizeof(*r->top), top_cmp);
	return 0;
}

static int analyse_steps(struct tc_replay *r, struct tc_err *err)
{
	const struct tc_replay_graph *g = r->g;
	const struct tc_chip *src_chip = r->opts.source;
	const struct tc_chip *dst_chip = r->opts.target ? r->opts.target : r->opts.source;
	size_t nr = (size_t)g->max_rank + 1;
	struct an A;
	memset(&A, 0, sizeof(A));
	A.r = r;
	A.g = g;
	const size_t *first = r->step_first;
	size_t *lane_first = calloc(nr + 1, sizeof(*lane_first));
	struct gen *gens = calloc(g->n_lanes ? g->n_lanes : 1, sizeof(*gens));
	struct gen **hp = malloc((g->n_lanes ? g->n_lanes : 1) * sizeof(*hp));
	A.sa = calloc(r->n_steps ? r->n_steps : 1, sizeof(*A.sa));
	A.win = malloc((r->n_steps ? r->n_steps : 1) * sizeof(*A.win));
	A.open = malloc((r->n_steps ? r->n_steps : 1) * sizeof(*A.open));
	A.w0 = malloc((r->n_steps ? r->n_steps : 1) * sizeof(*A.w0));
	A.w1 = malloc((r->n_steps ? r->n_steps : 1) * sizeof(*A.w1));
	A.wcount = calloc(g->n_works ? g->n_works : 1, sizeof(*A.wcount));
	A.wsrc = calloc(g->n_works ? g->n_works : 1, sizeof(*A.wsrc));
	A.wproj = calloc(g->n_works ? g->n_works : 1, sizeof(*A.wproj));
	int rc = 0;
	if (!lane_first || !gens || !hp || !A.sa || !A.win || !A.open || !A.wcount || !A.wsrc ||
	    !A.wproj || !A.w0 || !A.w1)
		goto oom;
	A.first = first;
	for (size_t k = 0; k < r->n_steps; k++)
		for (int v = 0; v < 2; v++) {
			A.sa[k].gmin[v] = INT64_MAX;
			A.sa[k].gmax[v] = INT64_MIN;
		}
	/* lanes grouped by rank (counting sort keeps lane order within a rank) */
	for (size_t l = 0; l < g->n_lanes; l++)
		lane_first[g->lanes[l].rank + 1]++;
	for (size_t q = 0; q < nr; q++)
		lane_first[q + 1] += lane_first[q];
	{
		size_t *fill = malloc((nr ? nr : 1) * sizeof(*fill));
		if (!fill)
			goto oom;
		memcpy(fill, lane_first, nr * sizeof(*fill));
		for (uint32_t l = 0; l < g->n_lanes; l++) {
			const struct rp_lane *L = &g->lanes[l];
			struct gen *G = &gens[fill[L->rank]++];
			G->ord = g->order + L->off;
			G->len = L->len;
			G->rank = L->rank;
			G->gpu = rp_lane_is_gpu(L);
		}
		free(fill);
	}
	gpu_steps(&A, gens, g->n_lanes);
	if (job_steps(r) < 0)
		goto oom;
	/* a summary needs only the projected side */
	for (int v = r->opts.summary_only ? 1 : 0; v < 2; v++) {
		A.v = v;
		for (uint32_t q = 0; q < nr; q++)
			if (sweep_rank(&A, q, gens + lane_first[q],
				       lane_first[q + 1] - lane_first[q], hp) < 0)
				goto oom;
	}
	r->step_busy = malloc((r->n_steps ? r->n_steps : 1) * sizeof(*r->step_busy));
	r->step_util = malloc((r->n_steps ? r->n_steps : 1) * sizeof(*r->step_util));
	r->step_work = malloc((r->n_steps ? r->n_steps : 1) * sizeof(*r->step_work));
	if (!r->step_busy || !r->step_util || !r->step_work)
		goto oom;
	for (size_t k = 0; k < r->n_steps; k++) {
		struct tc_replay_step *s = &r->steps[k];
		const struct step_acc *S = &A.sa[k];
		memcpy(r->step_busy[k], S->busy[1], sizeof(r->step_busy[k]));
		memcpy(r->step_util[k], S->util[1], sizeof(r->step_util[k]));
		memcpy(r->step_work[k], S->work[1], sizeof(r->step_work[k]));
		s->src_busy_ns = S->gbusy[0];
		s->proj_busy_ns = S->gbusy[1];
		/* a side that was not analysed (summary_only skips the source) keeps its
		 * sentinels, min > max: report 0, never their (overflowing) difference */
		/* every GPU of the job is held for the job step, busy or not */
		energy(src_chip, s->src_job_ns, S->busy[0], S->util[0], S->work[0],
		       &s->src_energy_j, &s->src_dollars);
		energy(dst_chip, s->proj_job_ns, S->busy[1], S->util[1], S->work[1],
		       &s->proj_energy_j, &s->proj_dollars);
		/* a scale-out what-if: each traced rank stands for world / traced replicas, and
		 * every one of them is charged (docs/projection.md §6) */
		if (r->lay.active && g->n_ranks) {
			double rep = (double)r->lay.dst_world / g->n_ranks;
			s->proj_energy_j *= rep;
			s->proj_dollars *= rep;
		}
	}
	if (tables(r, A.wcount, A.wsrc, A.wproj) < 0)
		goto oom;
	goto out;
oom:
	rc = tc_err_set(err, TC_ENOMEM, "replay: out of memory in the analyses");
out:
	if (gens)
		for (size_t l = 0; l < g->n_lanes; l++)
			free(gens[l].h);
	free(gens);
	free(hp);
	free(lane_first);
	free(A.sa);
	free(A.win);
	free(A.open);
	free(A.w0);
	free(A.w1);
	free(A.wcount);
	free(A.wsrc);
	free(A.wproj);
	return rc;
}

/* Each op's step, once per run, from the source timeline (a GPU op by its launch, else its
 * start; a CPU op that is host work by its start): r->opk holds step + 1
 * (0 = none) per op, and r->step_first[q] .. [q + 1] are rank q's steps. The host-only run,
 * the spans and the bound split all read it. */
static int step_index(struct tc_replay *r, struct tc_err *err)
{
	const struct tc_replay_graph *g = r->g;
	size_t nr = (size_t)g->max_rank + 1;
	r->step_first = calloc(nr + 1, sizeof(*r->step_first));
	r->opk = calloc(g->n ? g->n : 1, sizeof(*r->opk));
	if (!r->step_first || !r->opk)
		return tc_err_set(err, TC_ENOMEM, "replay: out of memory");
	for (size_t k = 0; k < r->n_steps; k++)
		r->step_first[r->steps[k].rank + 1]++;
	for (size_t q = 0; q < nr; q++)
		r->step_first[q + 1] += r->step_first[q];
	struct an A;
	memset(&A, 0, sizeof(A));
	A.r = r;
	A.g = g;
	A.first = r->step_first;
	for (uint32_t l = 0; l < g->n_lanes; l++) {
		const struct rp_lane *L = &g->lanes[l];
		int gpu = rp_lane_is_gpu(L);
		uint32_t hint = (uint32_t)r->step_first[L->rank];
		for (uint32_t c = 0; c < L->len; c++) {
			uint32_t p = g->order[L->off + c], i = gpu ? p : p >> 1;
			int64_t t;
			if (gpu) {
				uint32_t ln = rp_launch_of(g, i);
				t = ln != RP_NONE ? g->ts[ln] : g->ts[i];
			} else if (!(p & 1) && (g->flags[i] & RP_F_INNER)) {
				t = g->ts[i];
			} else {
				continue;
			}
			r->opk[i] = (uint32_t)(step_of(&A, L->rank, t, &hint) + 1);
		}
	}
	return 0;
}

/* The host-only run behind the speedup ceiling: every GPU op (collectives included) takes
 * 0 ns, and each step is measured as the real run measures it, the longer of its CPU marker
 * and its GPU-side span, so what remains is the host path, the return latencies of its
 * waits and the device-side gaps the trace does not explain (steps[].ceil_ns). */
static int ceiling_run(struct tc_replay *r, struct tc_err *err)
{
	const struct tc_replay_graph *g = r->g;
	r->zero_gpu = 1;
	struct tc_replay_warnings keep = r->warn;
	double t0 = tc_now();
	int rc = rp_simulate(r, err);
	r->sim_ns += (int64_t)((tc_now() - t0) * 1e9);
	r->zero_gpu = 0;
	r->warn = keep; /* the real run reports its own */
	if (rc < 0)
		return rc;
	steps_project(r);
	size_t ns = r->n_steps ? r->n_steps : 1;
	int64_t *mn = malloc(2 * ns * sizeof(*mn));
	if (!mn)
		return tc_err_set(err, TC_ENOMEM, "replay: out of memory");
	for (size_t k = 0; k < r->n_steps; k++) {
		mn[2 * k] = INT64_MAX;
		mn[2 * k + 1] = INT64_MIN;
	}
	for (uint32_t l = 0; l < g->n_lanes; l++) {
		const struct rp_lane *L = &g->lanes[l];
		if (!rp_lane_is_gpu(L))
			continue;
		for (uint32_t c = 0; c < L->len; c++) {
			uint32_t i = g->order[L->off + c];
			if (!r->opk[i])
				continue;
			uint32_t k = r->opk[i] - 1;
			mn[2 * k] = TC_MIN(mn[2 * k], r->start[i]);
			mn[2 * k + 1] = TC_MAX(mn[2 * k + 1], r->end[i]);
		}
	}
	for (size_t k = 0; k < r->n_steps; k++) {
		struct tc_replay_step *s = &r->steps[k];
		int64_t span = mn[2 * k + 1] >= mn[2 * k] ? mn[2 * k + 1] - mn[2 * k] : 0;
		s->ceil_ns = r->warn.no_steps ? s->proj_ns : TC_MAX(s->proj_ns, span);
	}
	free(mn);
	r->have_ceil = 1;
	return 0;
}

/* ---- critical path ---------------------------------------------------------------------- */

/* Position of a node (GPU op, or CPU point) in its lane's order, or -1. */
static long lane_pos(const struct tc_replay_graph *g, uint32_t lane, uint32_t node, int gpu)
{
	const struct rp_lane *L = &g->lanes[lane];
	long lo = 0, hi = (long)L->len - 1;
	while (lo <= hi) {
		long mid = lo + (hi - lo) / 2;
		uint32_t m = g->order[L->off + mid];
		int c;
		if (gpu)
			c = g->ts[m] != g->ts[node] ? (g->ts[m] < g->ts[node] ? -1 : 1)
						    : (m < node ? -1 : m > node);
		else
			c = rp_point_cmp(g, m, node);
		if (c == 0)
			return mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return -1;
}

/* Walk back from the end of the last reported step of the slowest rank: at each node take
 * the predecessor that finished last on the projected timeline. GPU op time goes to its
 * class, CPU time and latencies to the last slot. Along a lane the position is carried;
 * only a jump over an explicit edge searches the new lane. */
static void critical_path(struct tc_replay *r)
{
	const struct tc_replay_graph *g = r->g;
	if (r->n_steps == 0)
		return;
	/* the slowest step of the job (the one whose length the headline sums), on its
	 * slowest rank: first by index, then by rank, for equal lengths */
	size_t last = 0;
	for (size_t k = 1; k < r->n_steps; k++) {
		const struct tc_replay_step *s = &r->steps[k], *b = &r->steps[last];
		if (s->proj_ns > b->proj_ns || (s->proj_ns == b->proj_ns && s->index < b->index))
			last = k;
	}
	r->cp_step = last;
	const struct tc_replay_step *ls = &r->steps[last];
	uint32_t rank = ls->rank;
	int64_t t_stop = ls->proj_start, t_end = ls->proj_start + ls->proj_ns;
	/* start node: the path that sets the step's length ends there: the GPU op ending last
	 * when the GPU-side step is longer, else the step marker's end; for pseudo-steps the
	 * op ending last */
	uint32_t op = RP_NONE;
	if (ls->proj_gpu_ns > ls->proj_cpu_ns && ls->last_gpu_op != UINT64_MAX) {
		op = (uint32_t)ls->last_gpu_op;
	} else if (ls->op != UINT64_MAX) {
		op = (uint32_t)ls->op;
	} else {
		for (uint32_t i = 0; i < g->n; i++)
			if (r->start[i] != INT64_MIN && g->lanes[g->lane[i]].rank == rank &&
			    (op == RP_NONE || r->end[i] > r->end[op]))
				op = i;
	}
	if (op == RP_NONE)
		return;
	int at_end = 1;
	long pos = -2; /* -2: not known yet */
	int64_t t = r->end[op];
	r->cp_len_ns = t_end - t_stop;
	const size_t slot_gap = TC_CLASS__COUNT;
	for (size_t guard = 0; guard < 4 * (size_t)g->n + 4 && t > t_stop; guard++) {
		int gpu = (g->flags[op] & RP_F_GPU) != 0;
		if (gpu && at_end) {
			r->cp_class_ns[g->works[g->ref[op]].cls] +=
			    (double)(r->end[op] - r->start[op]);
			r->cp_ops++;
			at_end = 0;
			t = r->start[op];
			continue;
		}
		/* candidates: lane predecessor and explicit in-edges (GPU start / CPU end) */
		uint32_t best = RP_NONE;
		int best_end = 0;
		long best_pos = -2;
		int64_t best_t = INT64_MIN;
		uint32_t lane = g->lane[op];
		uint32_t node = gpu ? op : (op << 1 | (uint32_t)at_end);
		if (pos == -2)
			pos = lane_pos(g, lane, node, gpu);
		if (pos > 0) {
			uint32_t pn = g->order[g->lanes[lane].off + pos - 1];
			uint32_t pop = gpu ? pn : pn >> 1;
			int pe = gpu ? 1 : (int)(pn & 1);
			best = pop;
			best_end = pe;
			best_t = pe ? r->end[pop] : r->start[pop];
			best_pos = pos - 1;
		}
		if (gpu || at_end) {
			for (uint32_t k = g->in_off[op]; k < g->in_off[op + 1]; k++) {
				uint32_t key = g->in_src[k], p = key >> 1;
				int pe = !(key & RP_EDGE_FROM_START);
				int64_t pt = pe ? r->end[p] : r->start[p];
				if (pt != INT64_MIN && pt > best_t) {
					best = p;
					best_end = pe;
					best_t = pt;
					best_pos = -2;
				}
			}
		}
		if (best == RP_NONE || best_t > t)
			break;
		int64_t from = TC_MAX(best_t, t_stop);
		r->cp_class_ns[slot_gap] += (double)(t - from);
		op = best;
		at_end = best_end;
		pos = best_pos;
		t = best_t;
	}
	if (t > t_stop)
		r->cp_class_ns[slot_gap] += (double)(t - t_stop);
}

/* ---- the run ----------------------------------------------------------------------------------
 */

int tc_replay_run(struct tc_replay **out, const struct tc_replay_graph *g,
		  const struct tc_replay_opts *opts, struct tc_err *err)
{
	return rp_run(out, g, opts, NULL, err);
}

/* A run with what the caller prepared adopted (freed with it from here on, also on error),
 * its options checked and its per-op arrays in place. */
static int run_new(struct tc_replay **out, const struct tc_replay_graph *g,
		   const struct tc_replay_opts *opts, struct rp_prep *prep, struct tc_err *err)
{
	struct tc_replay_graph *own_g = NULL;
	struct tc_replay *r;
	int rc;
	*out = NULL;
	/* a model with no measured time, chip to chip: the source side is the model on the
	 * source chip (srcmodel.c) */
	if (g->finished && rp_srcmodel_wanted(g, opts)) {
		if ((rc = rp_srcmodel_make(&own_g, g, opts, err)) < 0) {
			free(prep->start);
			free(prep->end);
			free(prep->wc);
			return rc;
		}
		g = own_g;
	}
	r = calloc(1, sizeof(*r));
	if (!r) {
		free(prep->start);
		free(prep->end);
		free(prep->wc);
		rp_srcmodel_free(own_g);
		return tc_err_set(err, TC_ENOMEM, "replay: out of memory");
	}
	*out = r;
	r->own_g = own_g;
	/* adopt what the caller prepared: freed with r from here on */
	r->start = prep->start;
	r->end = prep->end;
	r->wc = prep->wc;
	if (!g->finished)
		return tc_err_set(err, TC_EINVAL, "replay: graph not finished");
	r->g = g;
	r->opts = *opts;
	if (!(r->opts.host_scale > 0) || !isfinite(r->opts.host_scale) ||
	    !(r->opts.gpu_scale > 0) || !isfinite(r->opts.gpu_scale))
		return tc_err_set(err, TC_EINVAL, "replay: host and GPU scales must be > 0");
	if (r->opts.top_n <= 0)
		r->opts.top_n = 10;
	const struct tc_chip *fc = opts->target ? opts->target : opts->source;
	r->floor_ns = fc ? tc_chip_min_kernel_ns(fc) : 0;
	r->src_floor_ns = opts->source ? tc_chip_min_kernel_ns(opts->source) : 0;
	size_t n = g->n ? g->n : 1;
	if (!r->start) {
		r->start = malloc(n * sizeof(*r->start));
		rp_hugepage(r->start, n * sizeof(*r->start));
	}
	if (!r->end) {
		r->end = malloc(n * sizeof(*r->end));
		rp_hugepage(r->end, n * sizeof(*r->end));
	}
	if (!r->wc)
		r->wc = calloc(g->n_works ? g->n_works : 1, sizeof(*r->wc));
	if (!r->start || !r->end || !r->wc)
		return tc_err_set(err, TC_ENOMEM, "replay: out of memory for %zu ops", g->n);
	if (g->stats.gpu_ops == 0)
		r->warn.no_gpu_work = 1;
	if (opts->target && !opts->source) {
		for (uint32_t i = 0; i < g->n; i++)
			if ((g->flags[i] & RP_F_GPU) && !(g->flags[i] & RP_F_ANALYTIC))
				return tc_err_set(
				    err, TC_EINVAL,
				    "the source chip is unknown (no device name in the "
				    "stream matches a spec): give it with --source CHIP");
	}
	r->warn.unresolved_waits = g->stats.unresolved_waits;
	return 0;
}

/* The steps and each op's step: built, or copied from a sweep's step index of the same
 * graph (not for a srcmodel.c copy, whose source timeline is the model's). */
static int adopt_steps(struct tc_replay *r, const struct rp_stepix *x, struct tc_err *err)
{
	if (!x || r->own_g || x->g != r->g || x->max_steps != r->opts.max_steps) {
		TC_TRY(build_steps_src(r, err));
		return step_index(r, err);
	}
	r->steps = calloc(x->cap_steps ? x->cap_steps : 1, sizeof(*r->steps));
	if (!r->steps)
		return tc_err_set(err, TC_ENOMEM, "replay: out of memory");
	memcpy(r->steps, x->steps, x->n_steps * sizeof(*r->steps));
	r->n_steps = x->n_steps;
	r->warn.no_steps = x->no_steps;
	r->opk = x->opk;
	r->step_first = x->step_first;
	r->borrowed_ix = 1;
	return 0;
}

int rp_stepix_make(struct rp_stepix *out, const struct tc_replay_graph *g, int64_t max_steps,
		   struct tc_err *err)
{
	struct tc_replay r;
	memset(&r, 0, sizeof(r));
	memset(out, 0, sizeof(*out));
	r.g = g;
	r.opts.max_steps = max_steps;
	int rc = build_steps_src(&r, err);
	if (rc == 0)
		rc = step_index(&r, err);
	if (rc < 0) {
		free(r.steps);
		free(r.opk);
		free(r.step_first);
		return rc;
	}
	out->g = g;
	out->max_steps = max_steps;
	out->steps = r.steps;
	out->n_steps = r.n_steps;
	out->cap_steps = (g->n_steps ? g->n_steps : 0) + g->max_rank + 1; /* build_steps' */
	out->opk = r.opk;
	out->step_first = r.step_first;
	out->no_steps = r.warn.no_steps;
	return 0;
}

void rp_stepix_free(struct rp_stepix *x)
{
	free(x->steps);
	free(x->opk);
	free(x->step_first);
	memset(x, 0, sizeof(*x));
}

/* Re-time (unless the caller did), the steps and each op's step from the source timeline,
 * the speedup ceiling (host-only run) next; the real run then owns start / end. */
static int run_engine(struct tc_replay *r, const struct rp_prep *prep, struct tc_err *err)
{
	const struct tc_replay_graph *g = r->g;
	int have_wc = prep->wc != NULL, rc;
	double t0 = tc_now();
	if (have_wc) { /* re-timed by the caller: keep its warnings */
		memcpy(r->warn.no_cost_model, prep->warn.no_cost_model,
		       sizeof(r->warn.no_cost_model));
		memcpy(r->warn.dtype_missing, prep->warn.dtype_missing,
		       sizeof(r->warn.dtype_missing));
		r->warn.unknown_work = prep->warn.unknown_work;
	}
	TC_TRY(rp_layout_resolve(r, err));
	if (!have_wc)
		TC_TRY(rp_retime(r, err));
	r->peer_ratio = rp_peer_ratio(g, r->wc);
	r->sim_ns = (int64_t)((tc_now() - t0) * 1e9);
	TC_TRY(adopt_steps(r, prep->stepix, err));
	if (!r->opts.summary_only)
		TC_TRY(ceiling_run(r, err));
	t0 = tc_now();
	rc = rp_simulate(r, err);
	/* the engine's wall: re-timing and the simulations (this one and the host-only one),
	 * not the step bookkeeping around them */
	r->sim_ns += (int64_t)((tc_now() - t0) * 1e9);
	if (rc < 0)
		return rc;
	r->warn.unmatched_collectives = 0;
	if (g->n_ranks > 1)
		for (uint32_t i = 0; i < g->n; i++)
			if ((g->flags[i] & (RP_F_GPU | RP_F_COLL)) == RP_F_GPU &&
			    g->works[g->ref[i]].cls == TC_CLASS_COLLECTIVE &&
			    g->works[g->ref[i]].group_size > 1)
				r->warn.unmatched_collectives++;
	return 0;
}

/* What the run answers: steps, bound split, classes, energy, the critical path, the band;
 * for a full run the insight and the memory fit, with their warnings. */
static int run_analyses(struct tc_replay *r, struct tc_err *err)
{
	const struct tc_log *log = r->opts.log;
	steps_project(r);
	TC_TRY(analyse_steps(r, err));
	TC_TRY(rp_layout_comm(r, err));
	if (!r->opts.summary_only)
		critical_path(r);
	TC_TRY(rp_band(r, err));
	if (r->warn.no_gpu_work)
		tc_warn(log, "project: the stream has no GPU work: nothing to re-time");
	if (r->warn.no_steps)
		tc_warn(log, "project: no step annotations: the whole run is reported as one step");
	if (r->opts.summary_only)
		return 0;
	struct rp_insight in;
	rp_insight_compute(r);
	rp_memfit(r);
	const struct tc_replay_memory *mem = tc_replay_memory(r);
	if (mem && !mem->fits)
		tc_warn(
		    log,
		    "project: the trace's peak GPU allocation, %.2f GB per rank (%.2f GB on the "
		    "target layout), does not fit the target's %.2f GB of HBM",
		    mem->peak_bytes / 1e9, mem->projected_bytes / 1e9, mem->capacity_bytes / 1e9);
	rp_insight(r, &in);
	if (in.host_bound)
		tc_warn(log,
			"project: host-bound: at most %.2fx on any chip (the host-only run "
			"takes %.1f%% of the projected step)",
			in.ceiling, 100 * in.host_share);
	if (in.stuck)
		tc_warn(log, "project: GPU time moves by %.1f%% but the step by %.1f%%: %s",
			100 * in.gpu_move, 100 * in.step_move, in.stuck_cause);
	return 0;
}

/* The run's warnings with their counts. */
static void run_warnings(const struct tc_replay *r)
{
	const struct tc_log *log = r->opts.log;
	for (unsigned c = 0; c < TC_CLASS__COUNT; c++)
		if (r->warn.no_cost_model[c])
			tc_warn(log,
				"project: %llu %s ops have no cost model: floored to the minimum "
				"kernel time",
				(unsigned long long)r->warn.no_cost_model[c], tc_class_name(c));
	for (unsigned d = 0; d < TC_DT__COUNT; d++)
		if (r->warn.dtype_missing[d])
			tc_warn(log,
				"project: %llu GPU ops use %s, which the target has no peak for",
				(unsigned long long)r->warn.dtype_missing[d], tc_dtype_name(d));
	if (r->warn.unknown_work)
		tc_info(log,
			"project: %llu measured ops have unknown work: scaled by their class "
			"fallback",
			(unsigned long long)r->warn.unknown_work);
	if (r->warn.unmatched_collectives)
		tc_warn(log,
			"project: %llu collective kernels have no peers in the stream: peers "
			"assumed to arrive as measured (skew above the shortest instance "
			"kept, transfer re-timed)",
			(unsigned long long)r->warn.unmatched_collectives);
	if (r->warn.inferred_coll_bytes)
		tc_warn(log,
			"project: %llu collective kernels record no size: bytes inferred from "
			"their measured transfer on the source network",
			(unsigned long long)r->warn.inferred_coll_bytes);
	if (r->warn.forced_collectives)
		tc_warn(log, "project: %llu collectives released before all members arrived",
			(unsigned long long)r->warn.forced_collectives);
	if (r->warn.broken_cycles)
		tc_warn(log, "project: %llu dependencies ignored to break a cycle",
			(unsigned long long)r->warn.broken_cycles);
	if (r->warn.unresolved_waits)
		tc_warn(log, "project: %llu waits on events never recorded (ignored)",
			(unsigned long long)r->warn.unresolved_waits);
}

int rp_run(struct tc_replay **out, const struct tc_replay_graph *g,
	   const struct tc_replay_opts *opts, struct rp_prep *prep, struct tc_err *err)
{
	struct tc_replay *r = NULL;
	struct rp_prep none;
	if (!prep) {
		memset(&none, 0, sizeof(none));
		prep = &none;
	}
	int rc = run_new(&r, g, opts, prep, err);
	if (rc == 0)
		rc = run_engine(r, prep, err);
	if (rc == 0)
		rc = run_analyses(r, err);
	if (rc < 0) {
		tc_replay_free(r);
		return rc;
	}
	run_warnings(r);
	*out = r;
	return 0;
}

void tc_replay_free(struct tc_replay *r)
{
	if (!r)
		return;
	free(r->start);
	free(r->end);
	free(r->wc);
	free(r->steps);
	free(r->top);
	free(r->step_busy);
	free(r->step_util);
	free(r->step_work);
	if (!r->borrowed_ix) {
		free(r->opk);
		free(r->step_first);
	}
	free(r->insight);
	free(r->lane_scale);
	free(r->rank_chip_factor);
	rp_srcmodel_free(r->own_g);
	free(r);
}

int tc_replay_op_source(const struct tc_replay *r, uint64_t id, int64_t *start, int64_t *end)
{
	if (id >= r->g->n)
		return 0;
	int64_t d = rp_dur(r->g, (uint32_t)id);
	if (d < 0)
		return 0;
	*start = r->g->ts[id];
	*end = *start + d;
	return 1;
}

int64_t tc_replay_op_start(const struct tc_replay *r, uint64_t id)
{
	return id < r->g->n ? r->start[id] : INT64_MIN;
}

int64_t tc_replay_op_end(const struct tc_replay *r, uint64_t id)
{
	return id < r->g->n ? r->end[id] : INT64_MIN;
}

unsigned tc_replay_op_bound(const struct tc_replay *r, uint64_t id)
{
	return id < r->g->n ? rp_bound(r, (uint32_t)id, 1) : TC_BOUND_IDLE;
}

size_t tc_replay_steps(const struct tc_replay *r, const struct tc_replay_step **steps)
{
	*steps = r->steps;
	return r->n_steps;
}

const struct tc_replay_warnings *tc_replay_warnings(const struct tc_replay *r)
{
	return &r->warn;
}

double tc_replay_engine_seconds(const struct tc_replay *r)
{
	return (double)r->sim_ns / 1e9;
}

/* bound.c - where each step's time goes: every op's step (rp_step_index), then one merge
 * sweep of each rank's lanes per side that splits the step time by what runs at each
 * instant (compute, memory, launch, communication, host), with GPU spans and busy time,
 * time by op class, the top-op table, and energy and dollars per step (rp_analyse_steps).
 * docs/projection.md defines every figure; analysis.c runs these after the simulation. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rp_internal.h"

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
	const uint32_t *ord0; /* the lane's whole order (ord may be a compacted copy) */
	uint32_t len0;
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
	/* every per-work sum (measured and projected ns of the GPU ops in steps) stays an
	 * integer of at most 2^53 whatever the order of its terms: the ranks may interleave */
	int exact_sums;
	/* each step's window on the current side, by step */
	int64_t *w0, *w1;
	uint32_t *win, *open; /* rank q's struct rks uses them from first[q] on */
	struct cbuf *cpts;    /* per lane (gens index): its compacted CPU points (compact_side) */
};

/* One rank's merge, resumable: ranks advance in rounds (sweep_side). */
struct rks {
	struct gen **hp; /* its lanes by next event: a heap */
	size_t hn;
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

/* The merge below runs once per side; v is a constant in each copy (rank_run), so the
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

AN_INLINE void gen_peek_k(const struct an *A, struct gen *G, int v, int gpu)
{
	int64_t ts = INT64_MAX;
	while (G->cur < G->len) {
		uint32_t p = G->ord[G->cur];
		uint32_t i = gpu ? p : p >> 1;
		if (!G->head_ok) {
			/* lanes interleave in op order: fetch what a later head will read */
			if (G->cur + 16 < G->len) {
				uint32_t f = G->ord[G->cur + 16];
				f = gpu ? f : f >> 1;
				if (v) {
					PREFETCH(&A->r->start[f]);
					PREFETCH(&A->r->end[f]);
				} else {
					PREFETCH(&A->g->ts[f]);
					PREFETCH(&A->g->dur[f]);
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
		ts = (!gpu && (p & 1)) ? op_t1(A, i, v) : op_t0(A, i, v);
		break;
	}
	int64_t te = gpu && G->hn ? G->h[0].t : INT64_MAX; /* CPU lanes have no pending ends */
	G->next = TC_MIN(ts, te);
}

static inline void gen_peek(const struct an *A, struct gen *G, int v)
{
	if (G->gpu)
		gen_peek_k(A, G, v, 1);
	else
		gen_peek_k(A, G, v, 0);
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
AN_INLINE void advance(struct an *A, struct rks *R, int64_t t)
{
	if (t <= R->prev)
		return;
	while (R->next_w0 < t) {
		uint32_t k = R->win[R->wnext++];
		if (A->w1[k] > A->w0[k])
			R->open[R->nopen++] = k;
		R->next_w0 = R->wnext < R->nwin ? A->w0[R->win[R->wnext]] : INT64_MAX;
	}
	for (size_t o = 0; o < R->nopen;) {
		uint32_t k = R->open[o];
		int64_t w0 = A->w0[k], w1 = A->w1[k];
		int64_t lo = TC_MAX(R->prev, w0), hi = TC_MIN(t, w1);
		if (hi > lo) {
			struct step_acc *S = &A->sa[k];
			unsigned c = S->mask ? (unsigned)__builtin_ctz(S->mask) : CAT__N;
			S->bound[c < CAT__N ? cat_bound[c] : TC_BOUND_IDLE] += (double)(hi - lo);
			if (c < CAT_HOST)
				S->gbusy[A->v] += hi - lo;
		}
		if (w1 <= t)
			R->open[o] = R->open[--R->nopen];
		else
			o++;
	}
	R->prev = t;
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

/* 1 when GPU op a comes before b in lane order (lanes by index, as the rank's lanes are
 * walked; a lane's ops by start, then id). */
static int lane_before(const struct tc_replay_graph *g, uint32_t a, uint32_t b)
{
	if (g->lane[a] != g->lane[b])
		return g->lane[a] < g->lane[b];
	return g->ts[a] != g->ts[b] ? g->ts[a] < g->ts[b] : a < b;
}

/* Each GPU op's step (by its launch on the source timeline) into the lanes' gk, and from
 * it each step's GPU-side span on both sides. A step is then the longer of its CPU marker
 * and its GPU-side span, starting where that path starts: a GPU that runs behind the CPU
 * (a backlog) makes the step as long as the GPU needs for it. */
static void gpu_steps(struct an *A)
{
	struct tc_replay *r = A->r;
	const struct tc_replay_graph *g = A->g;
	/* bounds of the per-work sums' terms (gpu_op_sums): each one's magnitude summed */
	uint64_t src_tot = 0, proj_tot = 0;
	int wide = 0;
	/* in op order (front to back: ranks' ops interleave); the step's last GPU op is the
	 * first, in lane order, that ends last: lane, then position (start, id) break ties */
	for (uint32_t i = 0; i < g->n; i++) {
		/* RP_F_GPU: on a GPU lane and not passive (classify_ops), without reading the
		 * op's lane record, a random access per op that was a quarter of this loop */
		if (!(g->flags[i] & RP_F_GPU))
			continue;
		long k = (long)r->opk[i] - 1;
		if (k < 0) {
			r->carry_ops += r->start[i] != INT64_MIN;
			continue;
		}
		int64_t d;
		wide |= __builtin_sub_overflow(r->end[i], r->start[i], &d) || d == INT64_MIN;
		src_tot += (uint64_t)rp_dur0(g, i);
		proj_tot += d < 0 ? -(uint64_t)d : (uint64_t)d;
		wide |= src_tot > (1ull << 53) || proj_tot > (1ull << 53);
		struct step_acc *S = &A->sa[k];
		S->gmin[0] = TC_MIN(S->gmin[0], g->ts[i]);
		S->gmax[0] = TC_MAX(S->gmax[0], rp_src_end(g, i));
		S->gmin[1] = TC_MIN(S->gmin[1], r->start[i]);
		uint64_t *last = &r->steps[k].last_gpu_op;
		if (r->end[i] > S->gmax[1] || *last == UINT64_MAX ||
		    (r->end[i] == S->gmax[1] && lane_before(g, i, (uint32_t)*last))) {
			S->gmax[1] = TC_MAX(S->gmax[1], r->end[i]);
			*last = i;
		}
	}
	A->exact_sums = !wide;
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
AN_INLINE int step_event(struct an *A, struct gen *G, int64_t t, int v, int gpu)
{
	int64_t te = G->hn ? G->h[0].t : INT64_MAX;
	if (te <= t) {
		struct pend e = pend_pop(G);
		act_add(&A->sa[e.k], e.cat, -1);
	} else {
		uint32_t p = G->ord[G->cur], k = G->head_k;
		G->cur++;
		G->head_ok = 0;
		if (gpu) {
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

/* Events of lane G while it leads, (next, G) below (lim, runner-up) (tie: G wins equal
 * times), before t_stop, at most *budget. gpu is a constant in each copy. */
AN_INLINE int run_lane(struct an *A, struct rks *R, struct gen *G, int64_t lim, int tie,
		       int64_t t_stop, size_t *budget, int v, int gpu)
{
	size_t n = *budget;
	do {
		int64_t t = G->next;
		advance(A, R, t);
		if (gpu) {
			if (step_event(A, G, t, v, 1) < 0)
				return TC_ENOMEM;
		} else {
			(void)step_event(A, G, t, v, 0);
		}
		gen_peek_k(A, G, v, gpu);
	} while (--n && G->next < t_stop && (G->next < lim || (tie && G->next == lim)));
	*budget = n;
	return 0;
}

/* The rank's windows sorted by start, its counts cleared, its lanes in the heap. */
static void rank_begin(struct an *A, struct rks *R, uint32_t rank, struct gen *gens, size_t ng,
		       struct gen **hp)
{
	memset(R, 0, sizeof(*R));
	R->win = A->win + A->first[rank];
	R->open = A->open + A->first[rank];
	R->hp = hp;
	/* windows sorted by start (insertion sort: they nearly always are already) */
	for (size_t k = A->first[rank]; k < A->first[rank + 1]; k++) {
		size_t j = R->nwin++;
		while (j > 0 && A->w0[R->win[j - 1]] > A->w0[k]) {
			R->win[j] = R->win[j - 1];
			j--;
		}
		R->win[j] = (uint32_t)k;
	}
	if (!R->nwin)
		return; /* nothing to split: no lane joins the heap */
	R->next_w0 = A->w0[R->win[0]];
	R->prev = R->next_w0;
	for (size_t k = A->first[rank]; k < A->first[rank + 1]; k++) {
		memset(A->sa[k].act, 0, sizeof(A->sa[k].act));
		A->sa[k].mask = 0;
	}
	for (size_t q = 0; q < ng; q++) {
		struct gen *G = &gens[q];
		G->cur = 0;
		G->hn = 0;
		G->head_ok = 0;
		gen_peek(A, G, A->v);
		if (G->next == INT64_MAX)
			continue;
		size_t i = R->hn++;
		hp[i] = G;
		while (i && gen_less(hp[i], hp[(i - 1) / 2])) {
			struct gen *t = hp[i];
			hp[i] = hp[(i - 1) / 2];
			hp[(i - 1) / 2] = t;
			i = (i - 1) / 2;
		}
	}
}

/* The rank's events in time order (the heap's), up to the first at or after t_stop, at most
 * budget of them; a rank can stop and resume anywhere, the order is the same. */
AN_INLINE int rank_run_v(struct an *A, struct rks *R, int64_t t_stop, size_t budget, int v)
{
	struct gen **hp = R->hp;
	while (R->hn && budget && hp[0]->next < t_stop) {
		struct gen *G = hp[0];
		/* The root lane keeps the lead while (next, lane) stays below its children's, the
		 * runner-up among them: its events run back to back, exactly as the heap would
		 * pick them, without touching the heap (a thread's points come in long runs). */
		size_t hn = R->hn;
		struct gen *U = hn < 2 ? NULL : hn > 2 && gen_less(hp[2], hp[1]) ? hp[2] : hp[1];
		int64_t lim = U ? U->next : INT64_MAX;
		int tie = U && G < U;
		if (G->gpu) {
			if (run_lane(A, R, G, lim, tie, t_stop, &budget, v, 1) < 0)
				return TC_ENOMEM;
		} else {
			(void)run_lane(A, R, G, lim, tie, t_stop, &budget, v, 0);
		}
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
		R->hn = hn;
	}
	return 0;
}

static int rank_run(struct an *A, struct rks *R, int64_t t_stop, size_t budget)
{
	return A->v ? rank_run_v(A, R, t_stop, budget, 1) : rank_run_v(A, R, t_stop, budget, 0);
}

/* the rest of every window: nothing of its steps runs any more */
static void rank_end(struct an *A, struct rks *R)
{
	int64_t t_end = R->prev;
	for (size_t w = 0; w < R->nwin; w++)
		t_end = TC_MAX(t_end, A->w1[R->win[w]]);
	if (R->nwin)
		advance(A, R, t_end);
}

/* A thread's ops nest (an operator, its launch calls inside), and the host category only
 * asks whether any op of the step runs: so of a CPU lane's points only those where the
 * lane's count of open ops of a step goes 0 -> 1 or 1 -> 0 change what the merge sees.
 * Dropping the others leaves every instant's category as it was; it only joins segments of
 * one category, whose lengths add up exactly (integers below 2^53). That holds when the
 * merge takes events in time order: every lane of the rank yields its events sorted (its
 * points' times non-decreasing, GPU starts non-decreasing and no end before its start) and
 * no window is longer than 2^53 ns. Then the rank's CPU lanes read the compacted points
 * (A->cpts, a buffer per lane); else they keep their whole order and the
 * merge is the one it always was. */
/* A lane's compacted points, grown as found. A lane whose points do not shrink to an eighth
 * of its order gives up (full): it keeps its whole order, which the merge reads the same
 * way, and its buffer is freed. A buffer as long as the order cost 3-4 B/op of peak memory
 * on streams whose CPU ops are not nested, where compacting saves nothing. */
struct cbuf {
	uint32_t *p;
	size_t n, cap;
	int full;
};

struct cpass {
	uint32_t c;	/* next position in the lane's order */
	int64_t last;	/* time of the last event checked */
	struct cbuf *o; /* the lane's compacted points */
	int32_t *depth; /* per step of the rank: the lane's open ops of that step */
};

/* Up to n more positions of lane G: checked, and for a CPU lane compacted. 0: the lane
 * breaks the order; TC_ENOMEM. */
static int cpass_run(const struct an *A, const struct gen *G, struct cpass *P, int32_t k0,
		     uint32_t n)
{
	const struct tc_replay *r = A->r;
	const int v = A->v;
	uint32_t end = G->len0 - P->c > n ? P->c + n : G->len0;
	for (uint32_t c = P->c; c < end; c++) {
		uint32_t p = G->ord0[c], i = G->gpu ? p : p >> 1, k1 = r->opk[i];
		if (!k1)
			continue;
		if (G->gpu) {
			int64_t t0 = op_t0(A, i, v), t1 = op_t1(A, i, v);
			if (t0 < P->last || t1 < t0)
				return 0;
			P->last = t0;
			continue;
		}
		int64_t t = (p & 1) ? op_t1(A, i, v) : op_t0(A, i, v);
		if (t < P->last)
			return 0;
		P->last = t;
		int32_t *d = &P->depth[(int32_t)k1 - 1 - k0];
		if (((p & 1) ? --*d == 0 : (*d)++ == 0) && !P->o->full) {
			struct cbuf *b = P->o;
			if (b->n >= G->len0 / 8) {
				b->full = 1;
				continue;
			}
			if (b->n == b->cap && tc_grow((void **)&b->p, &b->cap, b->n + 1, 4) < 0)
				return TC_ENOMEM;
			b->p[b->n++] = p;
		}
	}
	P->c = end;
	return 1;
}

/* Which ranks' CPU lanes read compacted points on side A->v, and those points. The lanes
 * are walked together, a slice of each in turn: ranks interleave in the op arrays, so this
 * reads them front to back once, not once per rank. */
static int compact_side(struct an *A, struct gen *gens, const size_t *lane_first, size_t nr)
{
	const struct tc_replay_graph *g = A->g;
	size_t nl = g->n_lanes, nd = 0;
	struct cpass *P = calloc(nl ? nl : 1, sizeof(*P));
	int *rank_ok = malloc((nr ? nr : 1) * sizeof(*rank_ok)); /* its CPU lanes read cpts */
	int32_t *depth = NULL;
	if (!P || !rank_ok)
		goto oom;
	for (size_t q = 0; q < nr; q++) {
		size_t ns = A->first[q + 1] - A->first[q];
		rank_ok[q] = 1;
		for (size_t k = A->first[q]; k < A->first[q + 1]; k++) {
			int64_t len;
			if (__builtin_sub_overflow(A->w1[k], A->w0[k], &len) || len > (1ll << 53))
				rank_ok[q] = 0;
		}
		for (size_t l = lane_first[q]; l < lane_first[q + 1]; l++)
			nd += gens[l].gpu ? 0 : ns;
	}
	depth = calloc(nd ? nd : 1, sizeof(*depth));
	if (!depth)
		goto oom;
	nd = 0;
	for (size_t q = 0; q < nr; q++)
		for (size_t l = lane_first[q]; l < lane_first[q + 1]; l++) {
			P[l].last = INT64_MIN;
			P[l].o = &A->cpts[l];
			A->cpts[l].n = 0; /* the other side's points are not this side's */
			A->cpts[l].full = 0;
			P[l].depth = depth + nd;
			nd += gens[l].gpu ? 0 : A->first[q + 1] - A->first[q];
		}
	for (int more = 1; more;) {
		more = 0;
		for (size_t q = 0; q < nr; q++)
			for (size_t l = lane_first[q]; l < lane_first[q + 1] && rank_ok[q]; l++) {
				if (P[l].c == gens[l].len0)
					continue;
				int ok = cpass_run(A, &gens[l], &P[l], (int32_t)A->first[q], 4096);
				if (ok < 0)
					goto oom;
				rank_ok[q] = ok;
				more |= P[l].c < gens[l].len0;
			}
	}
	for (size_t q = 0; q < nr; q++)
		for (size_t l = lane_first[q]; l < lane_first[q + 1]; l++) {
			struct gen *G = &gens[l];
			struct cbuf *b = &A->cpts[l];
			int use = rank_ok[q] && !G->gpu && !b->full;
			G->ord = use ? b->p : G->ord0;
			G->len = use ? (uint32_t)b->n : G->len0;
			if (b->full) {
				free(b->p);
				*b = (struct cbuf){0};
			}
		}
	free(depth);
	free(P);
	free(rank_ok);
	return 0;
oom:
	free(depth);
	free(P);
	free(rank_ok);
	return TC_ENOMEM;
}

/* Events a leading rank runs per round before the others catch up to its time. */
#define ROUND 4096

/* The step time of each step split by what runs at each instant, on side A->v, into the
 * steps' bound split. Ranks are independent but their ops interleave in memory (ranks
 * write in time order), so with together the ranks move in rounds through time: the
 * first unfinished rank runs ROUND events, the others up to its time, which reads the op
 * arrays front to back once instead of once per rank. Each rank's own order is unchanged;
 * only the per-work sums mix ranks, which interleave is 0 forbids unless they are exact
 * (see analyse_sides). */
static int sweep_side(struct an *A, struct rks *rs, size_t nr, const size_t *lane_first,
		      struct gen *gens, struct gen **hp, int interleave)
{
	struct tc_replay *r = A->r;
	for (size_t k = 0; k < r->n_steps; k++) {
		const struct tc_replay_step *s = &r->steps[k];
		A->w0[k] = A->v ? s->proj_start : s->src_start;
		A->w1[k] = A->v ? s->proj_start + s->proj_ns : s->src_start + s->src_ns;
		memset(A->sa[k].bound, 0, sizeof(A->sa[k].bound));
	}
	if (compact_side(A, gens, lane_first, nr) < 0)
		return TC_ENOMEM;
	for (size_t q = 0; q < nr; q++)
		rank_begin(A, &rs[q], (uint32_t)q, gens + lane_first[q],
			   lane_first[q + 1] - lane_first[q], hp + lane_first[q]);
	for (size_t lead = 0; lead < nr;) {
		if (!rs[lead].hn) {
			rank_end(A, &rs[lead++]);
			continue;
		}
		if (!interleave) {
			if (rank_run(A, &rs[lead], INT64_MAX, SIZE_MAX) < 0)
				return TC_ENOMEM;
			continue;
		}
		if (rank_run(A, &rs[lead], INT64_MAX, ROUND) < 0)
			return TC_ENOMEM;
		int64_t t = rs[lead].hn ? rs[lead].hp[0]->next : INT64_MAX;
		for (size_t q = lead + 1; q < nr; q++)
			if (rank_run(A, &rs[q], t, SIZE_MAX) < 0)
				return TC_ENOMEM;
	}
	for (size_t k = 0; k < r->n_steps; k++) {
		double *out = A->v ? r->steps[k].proj_bound_ns : r->steps[k].src_bound_ns;
		for (unsigned b = 0; b < TC_BOUND__COUNT; b++)
			out[b] += A->sa[k].bound[b];
	}
	return 0;
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

int rp_analyse_steps(struct tc_replay *r, struct tc_err *err)
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
	A.cpts = calloc(g->n_lanes ? g->n_lanes : 1, sizeof(*A.cpts));
	int rc = 0;
	if (!lane_first || !gens || !hp || !A.sa || !A.win || !A.open || !A.wcount || !A.wsrc ||
	    !A.wproj || !A.w0 || !A.w1 || !A.cpts)
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
			G->ord = G->ord0 = g->order + L->off;
			G->len = G->len0 = L->len;
			G->rank = L->rank;
			G->gpu = rp_lane_is_gpu(L);
		}
		free(fill);
	}
	gpu_steps(&A);
	if (job_steps(r) < 0)
		goto oom;
	if (r->steps_only)
		goto out; /* the step times are known: a band draw needs nothing more */
	/* a summary needs only the projected side */
	struct rks *rs = malloc((nr ? nr : 1) * sizeof(*rs));
	if (!rs)
		goto oom;
	for (int v = r->opts.summary_only ? 1 : 0; v < 2; v++) {
		A.v = v;
		if (sweep_side(&A, rs, nr, lane_first, gens, hp, A.exact_sums) < 0) {
			free(rs);
			goto oom;
		}
	}
	free(rs);
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
	if (A.cpts)
		for (size_t l = 0; l < g->n_lanes; l++)
			free(A.cpts[l].p);
	free(A.cpts);
	return rc;
}

/* Each op's step, once per run, from the source timeline (a GPU op by its launch, else its
 * start; a CPU op that is host work by its start): r->opk holds step + 1
 * (0 = none) per op, and r->step_first[q] .. [q + 1] are rank q's steps. The host-only run,
 * the spans and the bound split all read it. */
int rp_step_index(struct tc_replay *r, struct tc_err *err)
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
	/* in op order, not lane by lane: the arrays are read front to back (ranks' ops
	 * interleave, so a lane's ops are strided), and each op is in exactly one lane's order
	 * unless passive. step_of's answer is the last step starting at or before t, whatever
	 * the hint (steps are sorted by start within a rank), so the order of calls is free. */
	uint32_t *hint = malloc((nr ? nr : 1) * sizeof(*hint));
	if (!hint)
		return tc_err_set(err, TC_ENOMEM, "replay: out of memory");
	for (size_t q = 0; q < nr; q++)
		hint[q] = (uint32_t)r->step_first[q];
	for (uint32_t i = 0; i < g->n; i++) {
		uint8_t f = g->flags[i];
		if (f & RP_F_PASSIVE)
			continue;
		const struct rp_lane *L = &g->lanes[g->lane[i]];
		int64_t t;
		if (rp_lane_is_gpu(L)) {
			uint32_t ln = rp_launch_of(g, i);
			t = ln != RP_NONE ? g->ts[ln] : g->ts[i];
		} else if (f & RP_F_INNER) {
			t = g->ts[i];
		} else {
			continue;
		}
		r->opk[i] = (uint32_t)(step_of(&A, L->rank, t, &hint[L->rank]) + 1);
	}
	free(hint);
	return 0;
}

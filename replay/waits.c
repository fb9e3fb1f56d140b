/* waits.c - blocking waits inferred from the trace's own timing.
 *
 * Many calls block the host without saying so: cudaMemcpyAsync / hipMemcpyAsync to pageable
 * memory returns only after its copy, cudaDeviceSynchronize at the start of a capture waits
 * for kernels queued before it, .item() and torch.cuda.synchronize block in a runtime call,
 * a full launch queue blocks cudaLaunchKernel, and NCCL waits or barriers block in a CPU
 * operator. Kept as fixed CPU time, such a wait freezes the step at its measured length
 * whatever the chip. So a CPU call gets a wait edge (the awaited GPU op's end -> the call's
 * end) when both hold:
 *
 *  1. it ends at most WAIT_WINDOW_NS after a GPU op of its rank that it could be waiting on:
 *     one enqueued before the call began (or launched by the call itself) that ended after
 *     the call would have returned without waiting (start + the kind's baseline);
 *  2. it lasts well beyond its kind's non-waiting duration: longer than twice the baseline
 *     plus WAIT_MIN_NS. The baseline is the shortest duration of calls with the same name;
 *     for runtime calls at most RT_BASELINE_CAP_NS (a runtime call never needs longer when
 *     it does not wait, and a kind seen only waiting, such as the one device sync at the
 *     start of a capture, must still be found).
 *
 * Only the innermost call of a nest gets the edge (aten::item -> _local_scalar_dense ->
 * cudaMemcpyAsync: the runtime call); its callers follow on the CPU lane. Calls that already
 * have an explicit edge (a recorded sync, a blocking cudaMemcpy) are left alone. The engine
 * ends a waiting call at max(its host part, the awaited op's projected end + the measured
 * return latency), so the identity replay stays exact (docs/projection.md, "waits").
 * Every edge points back in source time, so no cycle can form. */
#include <stdlib.h>
#include <string.h>

#include "rp_internal.h"

#define WAIT_WINDOW_NS 50000 /* the call returns at most 50 us after the awaited op */
#define WAIT_MIN_NS 5000     /* and lasts at least 5 us beyond twice its baseline */
#define RT_BASELINE_CAP_NS 20000
#define WAIT_SCAN 64 /* GPU ops examined backwards from the call's end */
/* The walks over a lane's order prefetch the per-op fields of the op this many ahead: a
 * lane's ops lie scattered over the per-op arrays, and the load of each one's start time
 * was most of a walk's time (a cache miss per op). */
#define WAIT_AHEAD 16

/* A hint only: the start time, duration and flags of op i, which the walks load next. */
static inline void rp_prefetch_op(const struct tc_replay_graph *g, uint32_t i)
{
	__builtin_prefetch(&g->ts[i]);
	__builtin_prefetch(&g->dur[i]);
	__builtin_prefetch(&g->flags[i]);
}

struct wctx {
	struct tc_replay_graph *g;
	struct rp_edges *E;
	size_t *rl_off; /* rank q's GPU lanes: rl[rl_off[q] .. rl_off[q + 1]) */
	uint32_t *rl;
	int64_t *base; /* name id -> shortest duration of a CPU call with that name */
	size_t n_base;
	const uint8_t *has_in; /* ops that already have an explicit in-edge (bitmap) */
	struct rp_pair *sw;    /* hand-off edges into start points: a = op, b = source key */
	size_t n_sw, cap_sw;
	/* CPU lane busy (top-level ops) >= HANDOFF_ACTIVE of its span: 0 not known yet, 1 yes,
	 * 2 no. Found when a hand-off first asks: most lanes are never asked, and the pass over
	 * a lane's points was a fifth of the inference */
	uint8_t *lane_active;
};

/* Index in lane L's order of the last op that started before t (at t too when incl), or
 * -1. A stream runs its ops in order, so their ends follow their starts: a search by start
 * and a short walk back by end find the ops that ended near t. */
static long last_started(const struct tc_replay_graph *g, const struct rp_lane *L, int64_t t,
			 int incl)
{
	long a = 0, z = (long)L->len;
	while (a < z) {
		long mid = a + (z - a) / 2;
		int64_t s = g->ts[g->order[L->off + mid]];
		if (s < t || (incl && s == t))
			a = mid + 1;
		else
			z = mid;
	}
	return a - 1;
}

/* last_started(g, L, t, 0) on a GPU lane (sorted by start) for times that never decrease:
 * *at is the previous answer + 1, every op before it started before t. A galloping search from
 * there: a lane's gap queries walk the other lanes of their rank forward, so each search
 * touches a few neighbouring ops, not a binary search's far ones (a cache miss each). The
 * array being sorted, the answer is the one last_started gives. */
static long last_started_from(const struct tc_replay_graph *g, const struct rp_lane *L, int64_t t,
			      long *at)
{
	const uint32_t *ord = g->order + L->off;
	long len = (long)L->len, a = *at, b = a, step = 1;
	while (b < len && g->ts[ord[b]] < t) {
		a = b + 1;
		b = a + step;
		step *= 2;
	}
	if (b > len)
		b = len;
	while (a < b) {
		long mid = a + (b - a) / 2;
		if (g->ts[ord[mid]] < t)
			a = mid + 1;
		else
			b = mid;
	}
	*at = a;
	return a - 1;
}

static int bit(const uint8_t *m, uint32_t i)
{
	return m[i >> 3] >> (i & 7) & 1;
}

static int pair_cmp(const void *pa, const void *pb)
{
	const struct rp_pair *a = pa, *b = pb;
	return a->a != b->a ? (a->a < b->a ? -1 : 1) : (a->b < b->b ? -1 : a->b > b->b);
}

static int candidate(const struct tc_replay_graph *g, const uint8_t *has_in, uint32_t i)
{
	unsigned k = g->kind[i];
	if (!(g->flags[i] & RP_F_INNER) || bit(has_in, i) || g->dur[i] == RP_DUR_NONE)
		return 0;
	if (k == TC_KIND_RUNTIME)
		return g->sub[i] != TC_RT_EVENT_RECORD && g->sub[i] != TC_RT_STREAM_WAIT_EVENT;
	return k == TC_KIND_CPU_OP;
}

/* Try op i; 1 when it got a wait edge. */
static int try_wait(struct wctx *w, uint32_t i)
{
	struct tc_replay_graph *g = w->g;
	if (rp_dur0(g, i) <= WAIT_MIN_NS || g->ref[i] >= w->n_base)
		return 0; /* too short to have waited whatever the baseline */
	int64_t base = w->base[g->ref[i]];
	if (g->kind[i] == TC_KIND_RUNTIME && base > RT_BASELINE_CAP_NS)
		base = RT_BASELINE_CAP_NS;
	int64_t ts = g->ts[i], dur = rp_dur0(g, i), te = ts + dur;
	if (dur <= 2 * base + WAIT_MIN_NS)
		return 0;
	uint32_t rank = g->lanes[g->lane[i]].rank;
	/* the op the call launched itself (a copy) when it ended in the window, else the
	 * latest-ending op that was queued when the call began */
	uint32_t op = RP_NONE, own = RP_NONE;
	int64_t best = INT64_MIN;
	for (size_t q = w->rl_off[rank]; q < w->rl_off[rank + 1] && own == RP_NONE; q++) {
		const struct rp_lane *L = &g->lanes[w->rl[q]];
		long k = last_started(g, L, te, 1);
		for (int seen = 0; k >= 0 && seen < WAIT_SCAN; k--, seen++) {
			uint32_t c = g->order[L->off + k];
			int64_t e = rp_src_end(g, c);
			if (e > te)
				continue; /* still running when the call returned */
			if (te - e > WAIT_WINDOW_NS || e <= ts + base)
				break;
			if (g->link[c] == i) {
				own = c;
				break;
			}
			if ((e > best || (e == best && c > op)) && rp_enqueue_ts(g, c) < ts) {
				best = e;
				op = c;
			}
		}
	}
	if (own != RP_NONE)
		op = own;
	if (op != RP_NONE) {
		if (rp_add_edge(w->E, i, op << 1) < 0)
			return TC_ENOMEM;
		g->iwait[i >> 3] |= (uint8_t)(1u << (i & 7));
		unsigned slot = g->kind[i] == TC_KIND_RUNTIME && g->sub[i] < TC_RT__COUNT
				    ? g->sub[i]
				    : TC_REPLAY_WAIT_CPU_OP;
		g->stats.blocking_waits[slot]++;
		return 1;
	}
	return 0;
}

/* A GPU op that sat queued on an idle stream and started as an op of another stream of its
 * rank ended was, in all likelihood, held back by it: through an event the trace does not
 * record (an anonymous cudaStreamWaitEvent, a NCCL stream sync), or because that op held
 * every SM (a large kernel does, and a queued one starts when its last blocks drain, a
 * microsecond before or after its recorded end). Without the edge the gap would be kept as
 * measured, frozen whatever the chip. The edge is added when the op started more than
 * GAP_MIN_NS after it was ready (enqueued, and its stream done), and another lane's op ended
 * between GAP_WINDOW_NS before and GAP_LATE_NS after it started, else one was running then (the
 * measured offset is the edge's latency, so identity holds). Each such edge runs from an op
 * that started earlier to one that started later, as every other edge does, so the graph
 * stays acyclic. */
#define GAP_MIN_NS 20000
#define GAP_WINDOW_NS 10000
#define GAP_LATE_NS 2000

static int infer_stream_gaps(struct wctx *w, uint32_t l, long *at)
{
	struct tc_replay_graph *g = w->g;
	const struct rp_lane *L = &g->lanes[l];
	uint32_t rank = L->rank;
	/* ops start in order on lane l, so the searches on each other lane go forward */
	for (size_t q = w->rl_off[rank]; q < w->rl_off[rank + 1]; q++)
		at[q - w->rl_off[rank]] = 0;
	for (uint32_t k = 0; k < L->len; k++) {
		uint32_t j = g->order[L->off + k], p = k ? g->order[L->off + k - 1] : j;
		if (k + WAIT_AHEAD < L->len)
			rp_prefetch_op(g, g->order[L->off + k + WAIT_AHEAD]);
		if (g->flags[j] & RP_F_ANALYTIC)
			continue;
		/* ready: its stream done with the op before it and the op enqueued (the stream
		 * test first: most ops run back to back, and it needs no launch lookup) */
		int64_t t = g->ts[j], ready = INT64_MIN;
		if (p != j) {
			ready = rp_src_end(g, p);
			if (t - ready <= GAP_MIN_NS)
				continue;
		}
		ready = TC_MAX(ready, rp_enqueue_ts(g, j));
		if (t - ready <= GAP_MIN_NS)
			continue; /* it started when it could */
		/* on each other lane: the latest op that ended in [t - window, t + late], else
		 * the op running when it started (ending first: it held the SMs); the edge's
		 * latency is then negative, so the op follows that lane's progress */
		uint32_t o = RP_NONE, run = RP_NONE;
		int64_t best = INT64_MIN, run_end = INT64_MAX;
		for (size_t q = w->rl_off[rank]; q < w->rl_off[rank + 1]; q++) {
			if (w->rl[q] == l)
				continue;
			const struct rp_lane *L2 = &g->lanes[w->rl[q]];
			long x = last_started_from(g, L2, t, &at[q - w->rl_off[rank]]);
			for (int seen = 0; x >= 0 && seen < WAIT_SCAN; x--, seen++) {
				uint32_t c = g->order[L2->off + x];
				int64_t e = rp_src_end(g, c);
				if (t - e > GAP_WINDOW_NS)
					break;
				if (rp_enqueue_ts(g, c) >= t)
					continue;
				if (e > t + GAP_LATE_NS) {
					if (seen == 0 &&
					    (e < run_end || (e == run_end && c > run))) {
						run_end = e;
						run = c;
					}
					continue;
				}
				if (e > best || (e == best && c > o)) {
					best = e;
					o = c;
				}
			}
		}
		if (o == RP_NONE)
			o = run;
		if (o == RP_NONE)
			continue;
		/* added after every recorded edge, so it is the op's last in-edge: the bit lets
		 * --no-infer-waits skip it */
		if (rp_add_edge(w->E, j, o << 1) < 0)
			return TC_ENOMEM;
		g->iwait[j >> 3] |= (uint8_t)(1u << (j & 7));
		g->stats.stream_gap_waits++;
	}
	return 0;
}

/* Thread hand-offs. A thread that resumes after idling, or an operator that returns after a
 * long stretch with nothing nested running, waited for something; when no GPU op explains
 * it (above), another thread of the rank usually does: the autograd engine's thread starts a
 * backward pass when the main thread calls it, and the main thread's backward returns when
 * that thread is done. Kept as host time, such a wait replays at its measured length, and
 * the waiting thread never moves with the thread it waited on. So a CPU point gets a
 * hand-off edge from the latest point of another CPU lane of its rank that is at most
 * 2 ms (a start: a woken thread may take a while) or 50 us (an end) earlier, when the point
 * follows a gap of more than HANDOFF_MIN_NS on its
 * own lane: the start of a top-level op after the thread idled (another thread's call starts it),
 * or the end of an op with no wait of its own (the other thread's op end). A thread busy less than
 * HANDOFF_ACTIVE of its span is no trigger: one that polls now and then (an event-query loop) would
 * otherwise pin the waiter to its own frozen timeline. */
#define HANDOFF_MIN_NS 100000
#define HANDOFF_START_WINDOW_NS 2000000 /* a woken thread may take a while to start */
#define HANDOFF_END_WINDOW_NS 50000	/* a waiting call returns as soon as it is told */
#define HANDOFF_LANES 32		/* other CPU lanes searched per point */
#define HANDOFF_ACTIVE 0.05

static int lane_active(struct wctx *w, uint32_t l)
{
	const struct tc_replay_graph *g = w->g;
	if (w->lane_active[l])
		return w->lane_active[l] == 1;
	const struct rp_lane *L = &g->lanes[l];
	int active = 0;
	if (L->len >= 2) {
		const uint32_t *ord = g->order + L->off;
		int64_t busy = 0, open_t = 0, depth = 0;
		for (uint32_t k = 0; k < L->len; k++) {
			int64_t pt = rp_point_time(g, ord[k]);
			if (!(ord[k] & 1) && depth++ == 0)
				open_t = pt;
			else if ((ord[k] & 1) && depth > 0 && --depth == 0)
				busy += pt - open_t;
		}
		int64_t span = rp_point_time(g, ord[L->len - 1]) - rp_point_time(g, ord[0]);
		active = span <= 0 || (double)busy >= HANDOFF_ACTIVE * (double)span;
	}
	w->lane_active[l] = active ? 1 : 2;
	return active;
}

/* Latest point of another CPU lane of rank with time in [t - window, t), a start point for
 * a thread that resumes (work is handed over by calling something), an end point for an op
 * that returns (the other thread finished), encoded as an edge source, or RP_NONE. */
static uint32_t handoff_trigger(struct wctx *w, uint32_t lane, int64_t t, int ends_only)
{
	const struct tc_replay_graph *g = w->g;
	uint32_t rank = g->lanes[lane].rank, best = RP_NONE, seen = 0;

	int64_t best_t = INT64_MIN;
	for (uint32_t l = 0; l < g->n_lanes && seen < HANDOFF_LANES; l++) {
		const struct rp_lane *L = &g->lanes[l];
		if (l == lane || L->rank != rank || rp_lane_is_gpu(L) || !L->len ||
		    !lane_active(w, l))
			continue;
		seen++;
		const uint32_t *ord = g->order + L->off;
		size_t a = 0, z = L->len; /* first point at or after t */
		while (a < z) {
			size_t mid = a + (z - a) / 2;
			if (rp_point_time(g, ord[mid]) < t)
				a = mid + 1;
			else
				z = mid;
		}
		for (size_t q = a; q > 0; q--) {
			uint32_t p = ord[q - 1];
			int64_t pt = rp_point_time(g, p);
			if (t - pt >
				(ends_only ? HANDOFF_END_WINDOW_NS : HANDOFF_START_WINDOW_NS) ||
			    pt <= best_t)
				break;
			if (ends_only != (int)(p & 1))
				continue;
			if (g->flags[p >> 1] & RP_F_STEP)
				continue; /* a step marker's edge is its content's, not a cause */
			best_t = pt;
			best = (p >> 1) << 1 | ((p & 1) ? 0u : RP_EDGE_FROM_START);
			break;
		}
	}
	return best;
}

/* One CPU lane's points in order, with a stack of open calls: a call's end is tried only
 * when no call nested in it got a wait. */
static int walk_lane(struct wctx *w, uint32_t lane, uint32_t *stack, uint8_t *waited)
{
	struct tc_replay_graph *g = w->g;
	const struct rp_lane *L = &g->lanes[lane];
	size_t sp = 0;
	for (uint32_t k = 0; k < L->len; k++) {
		uint32_t p = g->order[L->off + k], i = p >> 1;
		if (k + WAIT_AHEAD < L->len)
			rp_prefetch_op(g, g->order[L->off + k + WAIT_AHEAD] >> 1);
		int64_t gap =
		    k ? rp_point_time(g, p) - rp_point_time(g, g->order[L->off + k - 1]) : 0;
		if (!(p & 1)) {
			if (sp == 0 && gap > HANDOFF_MIN_NS && !(g->flags[i] & RP_F_STEP)) {
				uint32_t key = handoff_trigger(w, lane, g->ts[i], 0);
				if (key != RP_NONE) {
					if (w->n_sw == w->cap_sw &&
					    tc_grow((void **)&w->sw, &w->cap_sw, w->n_sw + 1,
						    sizeof(*w->sw)) < 0)
						return TC_ENOMEM;
					w->sw[w->n_sw++] = (struct rp_pair){i, key};
					g->stats.handoff_waits++;
				}
			}
			stack[sp] = i;
			waited[sp++] = 0;
			continue;
		}
		/* usually the top; improperly nested ops are removed where they are */
		size_t at = sp;
		while (at > 0 && stack[at - 1] != i)
			at--;
		if (at == 0)
			continue;
		int inner = waited[at - 1];
		if (at < sp) { /* improperly nested: rare */
			memmove(stack + at - 1, stack + at, (sp - at) * sizeof(*stack));
			memmove(waited + at - 1, waited + at, sp - at);
		}
		sp--;
		int got = 0;
		if (!inner && candidate(g, w->has_in, i)) {
			got = try_wait(w, i);
			if (got < 0)
				return got;
		}
		if (!got && !inner && gap > HANDOFF_MIN_NS && !bit(w->has_in, i) &&
		    !(g->flags[i] & RP_F_STEP)) {
			uint32_t key = handoff_trigger(w, lane, rp_src_end(g, i), 1);
			if (key != RP_NONE) {
				if (rp_add_edge(w->E, i, key) < 0)
					return TC_ENOMEM;
				g->iwait[i >> 3] |= (uint8_t)(1u << (i & 7));
				g->stats.handoff_waits++;
				got = 1;
			}
		}
		if ((got || inner) && at - 1 > 0)
			waited[at - 2] = 1;
	}
	return 0;
}

int rp_infer_waits(struct tc_replay_graph *g, struct rp_edges *E, struct tc_err *err)
{
	struct wctx w;
	memset(&w, 0, sizeof(w));
	w.g = g;
	w.E = E;
	size_t nb = g->n / 8 + 1, nr = (size_t)g->max_rank + 1, ngpu = 0, maxlen = 0;
	uint8_t *has_in = calloc(nb, 1), *waited = NULL;
	uint32_t *stack = NULL;
	int rc = 0;
	g->iwait = calloc(nb, 1);
	w.rl_off = calloc(nr + 1, sizeof(*w.rl_off));
	w.rl = malloc((g->n_lanes ? g->n_lanes : 1) * sizeof(*w.rl));
	if (!has_in || !g->iwait || !w.rl_off || !w.rl)
		goto oom;
	w.has_in = has_in;
	for (size_t k = 0; k < E->n; k++)
		has_in[E->e[k].a >> 3] |= (uint8_t)(1u << (E->e[k].a & 7));
	/* GPU lanes by rank (counting sort keeps lane order) */
	for (uint32_t l = 0; l < g->n_lanes; l++)
		if (rp_lane_is_gpu(&g->lanes[l])) {
			w.rl_off[g->lanes[l].rank + 1]++;
			ngpu += g->lanes[l].len;
		}
	for (size_t q = 0; q < nr; q++)
		w.rl_off[q + 1] += w.rl_off[q];
	{
		size_t *fill = malloc(nr * sizeof(*fill));
		if (!fill)
			goto oom;
		memcpy(fill, w.rl_off, nr * sizeof(*fill));
		for (uint32_t l = 0; l < g->n_lanes; l++)
			if (rp_lane_is_gpu(&g->lanes[l]))
				w.rl[fill[g->lanes[l].rank]++] = l;
		free(fill);
	}
	if (!ngpu)
		goto out;
	/* the baseline per call name: names are string ids, so an array (grown in the one pass
	 * over the ops; n_base ends one past the largest name of a CPU call) */
	{
		size_t cap = 0;
		for (uint32_t i = 0; i < g->n; i++) {
			if (!(g->flags[i] & RP_F_INNER))
				continue;
			uint32_t nm = g->ref[i];
			if (nm >= w.n_base) {
				if (nm >= cap) {
					size_t old = cap;
					if (tc_grow((void **)&w.base, &cap, (size_t)nm + 1,
						    sizeof(*w.base)) < 0)
						goto oom;
					for (size_t k = old; k < cap; k++)
						w.base[k] = INT64_MAX;
				}
				w.n_base = (size_t)nm + 1;
			}
			if (g->dur[i] != RP_DUR_NONE)
				w.base[nm] = TC_MIN(w.base[nm], rp_dur0(g, i));
		}
		if (!w.base && !(w.base = malloc(sizeof(*w.base))))
			goto oom;
	}
	for (size_t l = 0; l < g->n_lanes; l++)
		if (!rp_lane_is_gpu(&g->lanes[l]))
			maxlen = TC_MAX(maxlen, (size_t)g->lanes[l].len);
	w.lane_active = calloc(g->n_lanes ? g->n_lanes : 1, 1);
	if (!w.lane_active)
		goto oom;
	stack = malloc((maxlen ? maxlen : 1) * sizeof(*stack));
	waited = malloc(maxlen ? maxlen : 1);
	if (!stack || !waited)
		goto oom;
	for (size_t l = 0; l < g->n_lanes; l++)
		if (!rp_lane_is_gpu(&g->lanes[l]) &&
		    (rc = walk_lane(&w, (uint32_t)l, stack, waited)) < 0)
			goto oom;
	{
		long *at = malloc((g->n_lanes ? g->n_lanes : 1) * sizeof(*at));
		if (!at)
			goto oom;
		for (uint32_t l = 0; l < g->n_lanes && rc == 0; l++)
			if (rp_lane_is_gpu(&g->lanes[l]))
				rc = infer_stream_gaps(&w, l, at);
		free(at);
		if (rc < 0)
			goto oom;
	}
	goto out;
oom:
	rc = tc_err_set(err, TC_ENOMEM, "replay: out of memory inferring waits");
out : {
	uint64_t any = g->stats.stream_gap_waits + g->stats.handoff_waits;
	for (unsigned k = 0; k <= TC_RT__COUNT; k++)
		any += g->stats.blocking_waits[k];
	if (!any || rc < 0) {
		free(g->iwait);
		g->iwait = NULL;
	}
}
	if (rc == 0 && w.n_sw) {
		qsort(w.sw, w.n_sw, sizeof(*w.sw), pair_cmp);
		g->swait = w.sw;
		g->n_swait = w.n_sw;
		w.sw = NULL;
	}
	free(w.sw);
	free(w.base);
	free(w.lane_active);
	free(has_in);
	free(w.rl_off);
	free(w.rl);
	free(stack);
	free(waited);
	return rc;
}

/* engine.c - re-timing of GPU ops on the target chip and the discrete-event simulation.
 *
 * Every node's projected time is the max over its incoming edges of (pred's projected
 * reference time + edge latency). Latencies come from the source timeline so that the
 * identity projection reproduces it exactly: the edge that bound the op on the source
 * (the latest source reference) keeps the measured slack (src_t - ref); every other edge
 * gets min(floor, src_t - ref), where the floor is the lane's smallest launch latency or
 * inter-op gap. So queueing is simulated, not copied: when a predecessor gets faster the
 * next binding edge only contributes its floor.
 *
 * Each lane runs its nodes in order until one waits on a node not yet timed; the lane is then
 * parked on the lane that owns that node and woken when it is timed. Because a node's time
 * depends only on its predecessors' times, the order lanes run in cannot change a result.
 * The loop allocates nothing.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rp_internal.h"

#define UNSET INT64_MIN

struct ev {
	int64_t t;
	uint64_t seq; /* unused: kept for a time-ordered queue, should contention be modelled */
	uint32_t lane;
};

struct lane_state {
	uint32_t cursor;   /* next index in the lane's order */
	uint32_t coll_cur; /* GPU: collective ops run so far (into g->coll_seq from coll_off) */
	int64_t t_last;	   /* projected time of the last point (CPU) */
	uint32_t wait_key; /* node (op << 1 | from_start) this lane waits for, or RP_NONE */
	uint32_t n_waiters, cap_waiters;
	uint32_t *waiters; /* lanes parked on a node of this lane (grown on demand) */
};

struct sim {
	struct tc_replay *r;
	const struct tc_replay_graph *g;
	struct lane_state *ls;
	struct ev *heap; /* ready lanes (a stack) */
	size_t hn;
	/* collective instances */
	uint32_t *c_arrived;
	int64_t *c_max_start, *c_xfer;
	int force; /* while breaking a stall: ignore undone dependencies */
	size_t done_lanes;
};

/* ---- re-timing ---------------------------------------------------------------------------- */

/* Work records are costed at a reference duration of 2^40 ns: scaling by a power of two is
 * exact in binary floating point, so the ratio of a chip to itself is exactly 1 and the
 * identity projection keeps every measured duration. */
#define T_REF 1099511627776.0

void rp_hw_op(const struct tc_replay_graph *g, const struct rp_work *w, struct tc_hw_op *h)
{
	memset(h, 0, sizeof(*h));
	h->op_class = w->cls;
	h->dtype = w->dtype;
	h->kind = w->kind;
	h->sub = w->sub;
	h->has_work = w->has_work;
	h->flops = w->flops;
	h->bytes_read = w->bytes_read;
	h->bytes_written = w->bytes_written;
	h->m = (int64_t)w->m;
	h->n = (int64_t)w->n;
	h->k = (int64_t)w->k;
	h->batch = (int64_t)w->batch;
	h->coll_kind = w->coll_kind;
	h->group_size = w->group_size;
	h->coll_bytes = w->coll_bytes;
	h->basis_hint = w->basis_hint;
}

/* Bound by op class when no chip can say: documented in docs/projection.md. */
static unsigned class_bound(unsigned cls)
{
	switch (cls) {
	case TC_CLASS_GEMM:
	case TC_CLASS_CONV:
	case TC_CLASS_ATTENTION:
		return TC_BOUND_COMPUTE;
	case TC_CLASS_COLLECTIVE:
		return TC_BOUND_COMM;
	default:
		return TC_BOUND_MEMORY;
	}
}

static double finite0(double v)
{
	return v >= 0 && isfinite(v) ? v : 0;
}

/* How a measured op's utilisation follows its duration: hwmodel's scaling mode keeps the
 * work of the modelled path (util x ns is the resource's busy time, so util = busy / t);
 * the fallback ratios give a constant utilisation. */
static void measured_util(const struct tc_hw_cost *c, double t_ref, double *u, uint8_t *per_ns)
{
	if (c->basis == TC_HW_BASIS_MODEL) {
		*per_ns = 1;
		*u = finite0(c->util * t_ref); /* util at t_ref x t_ref: the resource's busy ns */
	} else {
		*per_ns = 0;
		*u = finite0(c->util);
	}
}

static uint32_t first_op_of_work(const struct tc_replay_graph *g, uint32_t w)
{
	for (uint32_t i = 0; i < g->n; i++)
		if ((g->flags[i] & RP_F_GPU) && g->ref[i] == w)
			return i;
	return 0;
}

/* A collective the trace gives no size: the size whose modelled time on the source equals
 * its transfer (the shortest measured instance; the rest is waiting for peers), so the
 * network what-ifs move it (docs/projection.md). Counted in warnings.inferred_coll_bytes. */
static void infer_bytes(struct tc_replay *r, const struct rp_work *W, struct tc_hw_op *h)
{
	uint64_t b;
	if (W->cls != TC_CLASS_COLLECTIVE || h->coll_bytes || h->bytes_read || !r->opts.source ||
	    W->min_dur <= 0 || r->opts.source == NULL)
		return;
	if (tc_hw_coll_bytes_for(r->opts.source, h, (double)W->min_dur, &b) == 0) {
		h->coll_bytes = b;
		r->warn.inferred_coll_bytes += W->count;
	}
}

int rp_retime(struct tc_replay *r, struct tc_err *err)
{
	const struct tc_replay_graph *g = r->g;
	const struct tc_chip *src = r->opts.source, *dst = r->opts.target;
	const double *cs = r->opts.class_scale;
	/* a run without a layout (sweeps re-time on a bare run) scales nothing */
	double cf = r->lay.active ? r->lay.compute_factor : 1.0;
	for (uint32_t w = 0; w < g->n_works; w++) {
		const struct rp_work *W = &g->works[w];
		struct rp_wcost *c = &r->wc[w];
		struct tc_hw_op h;
		struct tc_hw_cost hc;
		memset(c, 0, sizeof(*c));
		if (!W->count)
			continue; /* no GPU op uses it */
		rp_hw_op(g, W, &h);
		unsigned cls = W->cls;
		double gs = r->opts.gpu_scale * (cs && cls < TC_CLASS__COUNT ? cs[cls] : 1.0);
		/* the source chip's view, for source-side bounds and energy: the same scaling
		 * function as the target side, so target = source gives the same figures */
		c->src_bound = (uint8_t)class_bound(cls);
		if (src && W->analytic) {
			if (tc_hw_op_cost(src, &h, &hc) == 0) {
				c->src_bound = hc.bound;
				c->src_u = finite0(hc.util);
			}
		} else if (src) {
			double t = tc_hw_scale(src, src, &h, T_REF, &hc);
			c->src_bound = hc.bound;
			measured_util(&hc, t, &c->src_u, &c->src_per_ns);
		}
		if (!dst) {
			if (W->analytic) {
				uint32_t i = first_op_of_work(g, w);
				char buf[32];
				return tc_err_set(err, TC_EINVAL,
						  "op %u (%s): no measured time and no target chip "
						  "to cost it on",
						  i, rp_op_name(g, i, buf, sizeof(buf)));
			}
			c->ratio = gs;
			c->dst_bound = c->src_bound;
			c->dst_per_ns = c->src_per_ns;
			c->dst_u = c->src_per_ns ? c->src_u * gs : c->src_u;
			continue;
		}
		if (W->analytic) {
			if (tc_hw_op_cost(dst, &h, &hc) == 0 && hc.ns > 0) {
				c->ans = hc.ns;
				c->dst_bound = hc.bound;
				c->dst_u = finite0(hc.util);
			} else {
				/* loud: counted, reported, and floored to the smallest kernel */
				r->warn.no_cost_model[cls] += W->count;
				c->ans = tc_chip_min_kernel_ns(dst);
				c->dst_bound = TC_BOUND_LAUNCH;
			}
			c->ans = finite0(c->ans * gs * (cls != TC_CLASS_COLLECTIVE ? cf : 1));
		} else {
			struct tc_hw_op hd;
			infer_bytes(r, W, &h);
			rp_layout_ops(r, W, &h, &hd);
			if (!h.has_work)
				r->warn.unknown_work += W->count;
			double t = tc_hw_scale_to(src, dst, &h, &hd, T_REF, &hc);
			if (cls != TC_CLASS_COLLECTIVE)
				t *= cf;
			c->ratio = finite0(t / T_REF * gs);
			c->dst_bound = hc.bound;
			measured_util(&hc, t * gs, &c->dst_u, &c->dst_per_ns);
		}
		if (h.dtype != TC_DT_UNKNOWN && cls != TC_CLASS_COPY && cls != TC_CLASS_MEMSET &&
		    cls != TC_CLASS_COLLECTIVE && tc_chip_peak_flops(dst, h.dtype, 1) <= 0 &&
		    tc_chip_peak_flops(dst, h.dtype, 0) <= 0)
			r->warn.dtype_missing[h.dtype] += W->count;
	}
	return 0;
}

double rp_peer_ratio(const struct tc_replay_graph *g, const struct rp_wcost *wc)
{
	double wsum = 0, psum = 0;
	for (uint32_t w = 0; w < g->n_works; w++) {
		const struct rp_work *W = &g->works[w];
		if (!W->count || W->analytic || W->cls == TC_CLASS_COLLECTIVE)
			continue;
		wsum += W->dur_sum;
		psum += W->dur_sum * wc[w].ratio;
	}
	return wsum > 0 && psum > 0 ? psum / wsum : 1.0;
}

/* ---- ready lanes -------------------------------------------------------------------------- */

/* A node's projected time is a function of its predecessors' times only (no shared resource
 * is contended), so the order in which ready nodes run does not change any result: a lane
 * runs until it blocks, and lanes that become ready wait on a stack (at most one entry per
 * lane). No time-ordered queue is needed, and nothing is allocated while running. */
static void ready_push(struct sim *s, int64_t t, uint32_t lane)
{
	s->heap[s->hn++] = (struct ev){t, 0, lane};
}

/* ---- readiness ----------------------------------------------------------------------------- */

static int64_t node_proj(const struct sim *s, uint32_t key)
{
	uint32_t p = key >> 1;
	return (key & RP_EDGE_FROM_START) ? s->r->start[p] : s->r->end[p];
}

static int64_t node_src(const struct tc_replay_graph *g, uint32_t key)
{
	uint32_t p = key >> 1;
	return (key & RP_EDGE_FROM_START) ? g->ts[p] : rp_src_end(g, p);
}

/* Park lane l on node key (owned by the lane of op key >> 1). */
static void park(struct sim *s, uint32_t l, uint32_t key)
{
	struct lane_state *owner = &s->ls[s->g->lane[key >> 1]];
	s->ls[l].wait_key = key;
	/* grown on demand: a fixed slice of lanes x lanes entries made memory quadratic in the
	 * lanes (issue 19: 50,000 streams). A lane waits on one node at a time, so all lists
	 * together hold at most one entry per lane, and the bound is linear. */
	if (owner->n_waiters == owner->cap_waiters) {
		owner->cap_waiters = owner->cap_waiters ? 2 * owner->cap_waiters : 4;
		owner->waiters =
		    tc_xrealloc(owner->waiters, owner->cap_waiters * sizeof(*owner->waiters));
	}
	owner->waiters[owner->n_waiters++] = l;
}

/* Accumulates max over edges of (ref_proj + lat), choosing lat as the header explains. */
struct acc {
	int strict;	  /* floors only */
	int64_t src_t;	  /* the node's source time */
	int64_t best_src; /* latest source reference seen */
	int64_t t_bind;	  /* max ref_proj + slack over edges at best_src */
	int64_t t_other;  /* max ref_proj + min(floor, src_t - ref_src) over all edges */
	int any;
};

static void acc_edge(struct acc *a, int64_t ref_proj, int64_t ref_src, int64_t floor_ns)
{
	int64_t slack = a->src_t - ref_src;
	int64_t t_floor = rp_tadd(ref_proj, TC_MIN(floor_ns, slack));
	int64_t t_slack = a->strict ? t_floor : rp_tadd(ref_proj, slack);
	if (!a->any || ref_src > a->best_src) {
		a->best_src = ref_src;
		a->t_bind = t_slack;
	} else if (ref_src == a->best_src && t_slack > a->t_bind) {
		a->t_bind = t_slack;
	}
	a->t_other = a->any ? TC_MAX(a->t_other, t_floor) : t_floor;
	a->any = 1;
}

static int64_t acc_time(const struct acc *a)
{
	return a->any ? TC_MAX(a->t_bind, a->t_other) : a->src_t;
}

static int64_t host_ns(double hs, int64_t delta)
{
	if (hs == 1.0)
		return delta;
	double v = (double)delta * hs; /* clamped: llround of an out-of-range value is undefined */
	return v >= (double)RP_TIME_SAT	   ? RP_TIME_SAT
	       : v <= -(double)RP_TIME_SAT ? -RP_TIME_SAT
					   : (int64_t)llround(v);
}

/* When lane l's head can run: 1 and *out when every dependency is known; 0 when the lane is
 * done or was parked on what it waits for. */
static int head_time(struct sim *s, uint32_t l, int64_t *out)
{
	const struct tc_replay_graph *g = s->g;
	const struct rp_lane *L = &g->lanes[l];
	struct lane_state *st = &s->ls[l];
	if (st->cursor >= L->len)
		return 0;
	const uint32_t *ord = g->order + L->off;
	uint32_t node = ord[st->cursor];
	int gpu = rp_lane_is_gpu(L);
	uint32_t i = gpu ? node : node >> 1;
	double hs = s->r->opts.host_scale;
	struct acc a = {s->r->opts.strict, 0, 0, 0, 0, 0};
	int analytic = (g->flags[i] & RP_F_ANALYTIC) != 0;
	int64_t prev_start = INT64_MIN;

	if (gpu) {
		a.src_t = g->ts[i];
		if (st->cursor > 0) {
			uint32_t prev = ord[st->cursor - 1];
			int64_t pe = s->r->end[prev];
			prev_start = s->r->start[prev];
			if (s->force && pe == UNSET && prev_start != UNSET)
				pe = prev_start;
			if (pe == UNSET) {
				park(s, l, prev << 1);
				return 0;
			}
			if (analytic)
				acc_edge(&a, pe, a.src_t, 0);
			else
				acc_edge(&a, pe, rp_src_end(g, prev), L->min_gap);
		}
	} else {
		int64_t src_t = rp_point_time(g, node);
		if (st->cursor == 0) {
			*out = src_t;
			return 1;
		}
		uint32_t prev_node = ord[st->cursor - 1];
		int64_t delta = src_t - rp_point_time(g, prev_node);
		if (!(node & 1) && g->n_swait && !s->r->opts.no_infer_waits) {
			/* a thread that resumes when another one hands it work (waits.c) */
			uint32_t key = rp_start_wait(g, i);
			if (key != RP_NONE) {
				int64_t rp = node_proj(s, key);
				if (rp == UNSET && !s->force) {
					park(s, l, key);
					return 0;
				}
				int64_t host = delta;
				if (rp != UNSET) {
					int64_t lat = src_t - node_src(g, key);
					host = TC_MAX(0, TC_MIN(lat, delta));
					*out = TC_MAX(rp_tadd(st->t_last, host_ns(hs, host)),
						      rp_tadd(rp, host_ns(hs, lat)));
				} else {
					s->r->warn.broken_cycles++;
					*out = rp_tadd(st->t_last, host_ns(hs, host));
				}
				return 1;
			}
		}
		if (!(node & 1) || g->in_off[i] == g->in_off[i + 1] ||
		    (s->r->opts.no_infer_waits && rp_is_iwait(g, i))) {
			*out = rp_tadd(st->t_last, host_ns(hs, delta));
			return 1;
		}
		/* a blocking call's end: host part of it, or the awaited work plus the return */
		a.src_t = src_t;
	}
	int64_t wait_src = INT64_MIN, wait_proj = INT64_MIN;
	uint32_t k_end = g->in_off[i + 1];
	if (gpu && s->r->opts.no_infer_waits && rp_is_iwait(g, i))
		k_end--; /* the inferred stream wait is the op's last in-edge (waits.c) */
	for (uint32_t k = g->in_off[i]; k < k_end; k++) {
		uint32_t key = g->in_src[k];
		int64_t rp = node_proj(s, key);
		if (rp == UNSET) {
			if (s->force) {
				s->r->warn.broken_cycles++;
				continue;
			}
			park(s, l, key);
			return 0;
		}
		int64_t rs = node_src(g, key);
		if (!gpu) {
			wait_src = TC_MAX(wait_src, rs);
			wait_proj = TC_MAX(wait_proj, rp);
		} else if (analytic) {
			acc_edge(&a, rp, a.src_t, 0);
		} else {
			int64_t floor_ns = (key & RP_EDGE_FROM_START) ? L->min_launch_lat : 0;
			acc_edge(&a, rp, rs, floor_ns);
		}
	}
	int64_t t;
	if (gpu) {
		/* a stream starts its ops in order (a measured overlap cannot reorder them) */
		t = TC_MAX(acc_time(&a), prev_start);
	} else {
		uint32_t prev_node = ord[st->cursor - 1];
		int64_t delta = a.src_t - rp_point_time(g, prev_node);
		int64_t src_dur = rp_dur0(g, i);
		int64_t host = delta;
		if (wait_src == INT64_MIN) {
			t = rp_tadd(st->t_last, host_ns(hs, host)); /* every wait was broken */
		} else {
			int64_t lat_w = TC_MIN(a.src_t - wait_src, src_dur);
			if (wait_src > g->ts[i])
				host = TC_MAX(0, TC_MIN(lat_w, delta));
			t = TC_MAX(rp_tadd(st->t_last, host_ns(hs, host)),
				   rp_tadd(wait_proj, host_ns(hs, lat_w)));
		}
	}
	*out = t;
	return 1;
}

static void try_ready(struct sim *s, uint32_t l)
{
	int64_t t;
	if (head_time(s, l, &t))
		ready_push(s, t, l);
}

/* Wake every lane parked on a node of lane l that is now known. */
static void wake(struct sim *s, uint32_t l)
{
	struct lane_state *st = &s->ls[l];
	for (uint32_t k = 0; k < st->n_waiters;) {
		uint32_t w = st->waiters[k];
		if (node_proj(s, s->ls[w].wait_key) == UNSET) {
			k++;
			continue;
		}
		st->waiters[k] = st->waiters[--st->n_waiters];
		s->ls[w].wait_key = RP_NONE;
		try_ready(s, w);
	}
}

/* Wake lane l's waiters when one waits on node ka or kb, the nodes just timed. Every other
 * waiter waits on a node not timed yet: each node's waiters are woken when it is timed (here,
 * or in coll_finish), so the check on the keys alone, without loading a time per waiter,
 * decides as wake would. */
static void wake_on(struct sim *s, uint32_t l, uint32_t ka, uint32_t kb)
{
	const struct lane_state *st = &s->ls[l];
	for (uint32_t k = 0; k < st->n_waiters; k++) {
		uint32_t key = s->ls[st->waiters[k]].wait_key;
		if (key == ka || key == kb) {
			wake(s, l);
			return;
		}
	}
}

/* Collective: ends are known once every member has arrived. Each member keeps its source
 * residual (its end minus latest arrival plus the shortest duration), so identity holds. */
static void coll_finish(struct sim *s, uint32_t c)
{
	const struct tc_replay_graph *g = s->g;
	const struct rp_coll *C = &g->colls[c];
	for (uint32_t k = 0; k < C->count; k++) {
		uint32_t j = g->coll_members[C->first + k];
		if (s->r->start[j] == UNSET || s->r->end[j] != UNSET)
			continue;
		int64_t resid =
		    s->r->zero_gpu ? 0 : rp_src_end(g, j) - (C->src_max_start + C->src_xfer);
		int64_t e = rp_tadd(rp_tadd(s->c_max_start[c], s->c_xfer[c]), resid);
		s->r->end[j] = TC_MAX(e, s->r->start[j]);
		s->ls[g->lane[j]].t_last = s->r->end[j];
		wake(s, g->lane[j]);
	}
}

/* Run lane l's head at time t. */
static void run_node(struct sim *s, uint32_t l, int64_t t)
{
	const struct tc_replay_graph *g = s->g;
	const struct rp_lane *L = &g->lanes[l];
	struct lane_state *st = &s->ls[l];
	uint32_t node = g->order[L->off + st->cursor];
	st->cursor++;
	if (st->cursor == L->len)
		s->done_lanes++;
	if (rp_lane_is_gpu(L)) {
		uint32_t i = node;
		s->r->start[i] = t;
		uint32_t c = RP_NONE;
		if (g->flags[i] & RP_F_COLL) /* each lane's in its order: see coll_lane_index */
			c = g->coll_seq[L->coll_off + st->coll_cur++];
		if (c != RP_NONE && s->c_arrived[c] != UINT32_MAX) {
			s->c_arrived[c]++;
			s->c_max_start[c] = TC_MAX(s->c_max_start[c], t);
			if (s->c_arrived[c] == g->colls[c].count)
				coll_finish(s, c);
		} else {
			s->r->end[i] = rp_tadd(t, rp_pdur(s->r, i));
		}
		st->t_last = s->r->end[i];
		if (st->n_waiters)
			wake_on(s, l, i << 1 | RP_EDGE_FROM_START, i << 1);
	} else {
		uint32_t i = node >> 1;
		if (node & 1)
			s->r->end[i] = TC_MAX(t, s->r->start[i]);
		else
			s->r->start[i] = t;
		st->t_last = t;
		if (st->n_waiters)
			wake_on(s, l, (node & 1) ? i << 1 : (i << 1 | RP_EDGE_FROM_START), RP_NONE);
	}
}

/* head_time for a GPU lane's next op in the common case (measured, its stream's previous op
 * and every in-edge timed, nothing forced or switched off), inlined into the lane's loop;
 * anything else, parking included, goes to head_time, which gives the same time. */
static inline int gpu_head(struct sim *s, uint32_t l, const struct rp_lane *L, int64_t *out)
{
	const struct tc_replay_graph *g = s->g;
	uint32_t cur = s->ls[l].cursor;
	if (cur >= L->len)
		return 0;
	const uint32_t *ord = g->order + L->off;
	uint32_t i = ord[cur], prev = ord[cur - 1];
	int64_t pe = s->r->end[prev];
	if (pe == UNSET || s->force || (g->flags[i] & RP_F_ANALYTIC) || s->r->opts.no_infer_waits)
		return head_time(s, l, out);
	struct acc a = {s->r->opts.strict, g->ts[i], 0, 0, 0, 0};
	acc_edge(&a, pe, rp_src_end(g, prev), L->min_gap);
	for (uint32_t k = g->in_off[i]; k < g->in_off[i + 1]; k++) {
		uint32_t key = g->in_src[k];
		int64_t rp = node_proj(s, key);
		if (rp == UNSET)
			return head_time(s, l, out);
		acc_edge(&a, rp, node_src(g, key),
			 (key & RP_EDGE_FROM_START) ? L->min_launch_lat : 0);
	}
	*out = TC_MAX(acc_time(&a), s->r->start[prev]);
	return 1;
}

/* Run lane l from its head at time t until it blocks or ends. A CPU lane's points are mostly
 * host time after the point before (a start with no hand-off to wait for, an end with no
 * in-edge): those are timed here, with the lane's state in registers, as head_time would time
 * them; every other point goes through head_time. (The call per point was a fifth of the
 * engine's instructions.) */
static void run_lane(struct sim *s, uint32_t l, int64_t t)
{
	const struct tc_replay_graph *g = s->g;
	const struct rp_lane *L = &g->lanes[l];
	if (rp_lane_is_gpu(L)) {
		do
			run_node(s, l, t);
		while (gpu_head(s, l, L, &t));
		return;
	}
	struct lane_state *st = &s->ls[l];
	const uint32_t *ord = g->order + L->off;
	int64_t *start = s->r->start, *end = s->r->end;
	const double hs = s->r->opts.host_scale;
	const int niw = s->r->opts.no_infer_waits, swait = g->n_swait && !niw;
	for (;;) {
		uint32_t node = ord[st->cursor], i = node >> 1;
		if (++st->cursor == L->len)
			s->done_lanes++;
		if (node & 1)
			end[i] = TC_MAX(t, start[i]);
		else
			start[i] = t;
		st->t_last = t;
		if (st->n_waiters)
			wake_on(s, l, (node & 1) ? i << 1 : (i << 1 | RP_EDGE_FROM_START), RP_NONE);
		if (st->cursor >= L->len)
			return;
		uint32_t next = ord[st->cursor], j = next >> 1;
		int host_only = (next & 1)
				    ? g->in_off[j] == g->in_off[j + 1] || (niw && rp_is_iwait(g, j))
				    : !swait;
		if (host_only) {
			int64_t delta = rp_point_time(g, next) - rp_point_time(g, node);
			t = rp_tadd(t, host_ns(hs, delta));
		} else if (!head_time(s, l, &t)) {
			return;
		}
	}
}

/* A stall: lanes parked in a cycle or on collective members that never arrive. Release the
 * pending collective with the earliest arrival first (counted), else force the blocked lane
 * whose head is earliest on the source, ignoring what it waits for (counted). */
static int break_stall(struct sim *s)
{
	const struct tc_replay_graph *g = s->g;
	uint32_t best = RP_NONE;
	for (uint32_t c = 0; c < g->n_colls; c++) {
		if (s->c_arrived[c] == 0 || s->c_arrived[c] >= g->colls[c].count)
			continue;
		if (best == RP_NONE || s->c_max_start[c] < s->c_max_start[best])
			best = c;
	}
	if (best != RP_NONE) {
		s->r->warn.forced_collectives++;
		s->c_arrived[best] = UINT32_MAX; /* released: late members finish alone */
		coll_finish(s, best);
		return 1;
	}
	uint32_t lane = RP_NONE;
	int64_t t_best = INT64_MAX;
	for (uint32_t l = 0; l < g->n_lanes; l++) {
		if (s->ls[l].wait_key == RP_NONE || s->ls[l].cursor >= g->lanes[l].len)
			continue;
		uint32_t node = g->order[g->lanes[l].off + s->ls[l].cursor];
		int64_t t = rp_lane_is_gpu(&g->lanes[l]) ? g->ts[node] : rp_point_time(g, node);
		if (t < t_best) {
			t_best = t;
			lane = l;
		}
	}
	if (lane == RP_NONE)
		return 0;
	/* unpark it from its owner's list */
	struct lane_state *owner = &s->ls[g->lane[s->ls[lane].wait_key >> 1]];
	for (uint32_t k = 0; k < owner->n_waiters; k++)
		if (owner->waiters[k] == lane) {
			owner->waiters[k] = owner->waiters[--owner->n_waiters];
			break;
		}
	s->ls[lane].wait_key = RP_NONE;
	s->force = 1;
	try_ready(s, lane);
	s->force = 0;
	return 1;
}

int rp_simulate(struct tc_replay *r, struct tc_err *err)
{
	const struct tc_replay_graph *g = r->g;
	struct sim s;
	int rc = 0;
	memset(&s, 0, sizeof(s));
	s.r = r;
	s.g = g;
	size_t nl = g->n_lanes;
	s.ls = calloc(nl ? nl : 1, sizeof(*s.ls));
	s.heap = malloc((nl ? nl : 1) * sizeof(*s.heap));
	s.c_arrived = calloc(g->n_colls ? g->n_colls : 1, sizeof(*s.c_arrived));
	s.c_max_start = malloc((g->n_colls ? g->n_colls : 1) * sizeof(*s.c_max_start));
	s.c_xfer = malloc((g->n_colls ? g->n_colls : 1) * sizeof(*s.c_xfer));
	if (!s.ls || !s.heap || !s.c_arrived || !s.c_max_start || !s.c_xfer) {
		rc = tc_err_set(err, TC_ENOMEM, "replay: out of memory for the simulation");
		goto out;
	}
	for (size_t i = 0; i < g->n; i++)
		r->start[i] = r->end[i] = UNSET;
	for (size_t l = 0; l < nl; l++) {
		s.ls[l].wait_key = RP_NONE;
		if (g->lanes[l].len == 0)
			s.done_lanes++;
	}
	/* a collective's transfer: the shortest member time, re-timed like its first member */
	for (size_t c = 0; c < g->n_colls; c++) {
		const struct rp_coll *C = &g->colls[c];
		uint32_t j = g->coll_members[C->first];
		s.c_max_start[c] = INT64_MIN;
		s.c_xfer[c] = C->src_xfer;
		int64_t dj = rp_dur(g, j);
		if (dj > 0 && C->src_xfer >= 0)
			s.c_xfer[c] = (int64_t)llround((double)rp_pdur(r, j) * (double)C->src_xfer /
						       (double)dj);
	}
	for (uint32_t l = 0; l < nl; l++)
		try_ready(&s, l);
	for (;;) {
		while (s.hn) {
			struct ev e = s.heap[--s.hn];
			run_lane(&s, e.lane, e.t);
		}
		if (s.done_lanes >= nl) {
			/* lanes may be done while a collective still waits for absent members */
			int pending = 0;
			for (size_t c = 0; c < g->n_colls; c++)
				if (s.c_arrived[c] && s.c_arrived[c] < g->colls[c].count)
					pending = 1;
			if (!pending)
				break;
		}
		if (!break_stall(&s)) {
			rc = tc_err_set(err, TC_EINTERNAL,
					"replay: simulation stalled with %zu of %zu "
					"lanes unfinished",
					nl - s.done_lanes, nl);
			goto out;
		}
	}
out:
	for (size_t l = 0; s.ls && l < nl; l++)
		free(s.ls[l].waiters);
	free(s.ls);
	free(s.heap);
	free(s.c_arrived);
	free(s.c_max_start);
	free(s.c_xfer);
	return rc;
}

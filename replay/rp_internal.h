/* rp_internal.h - private to replay/ (prefix rp_): the graph's struct-of-arrays layout and the
 * run's state.
 *
 * Node model. A GPU-lane op (kernel, memcpy, memset, ONNX node) is one node that runs for
 * its (re-timed) duration; ops on a lane run one at a time in source order. A CPU-lane op is
 * two instantaneous points (its start and its end) in the thread's sorted sequence of
 * points; the time between consecutive points is host time (measured x host_scale). Explicit
 * edges (launch, sync, event, memcpy, data) end at a GPU op's start or at a CPU op's end
 * point (a blocking call returns when what it waits for is done).
 *
 * Memory. Per op the graph keeps 23 bytes (start time, 32-bit duration, lane, a reference,
 * kind, class and flags), its one or two entries in the lane order and its in-edges. What a
 * GPU op costs on a chip depends only on its work (class, dtype, FLOPs, bytes, GEMM dims,
 * collective, name), which repeats across layers and steps: work records are interned once
 * (struct rp_work) and ops refer to them, so re-timing asks hwmodel once per distinct work
 * and multiplies per op.
 *
 * Indices are 32-bit: a graph holds at most 2^31 - 1 ops.
 */
#ifndef TC_REPLAY_INTERNAL_H
#define TC_REPLAY_INTERNAL_H

#include "replay.h"

#define RP_NONE UINT32_MAX
#define RP_MAX_OPS 0x7ffffffeu
/* In-edge source encoding: pred op << 1 | 1 when the edge starts at the pred's start
 * (launch call -> kernel: the kernel may begin while its launch call still runs). */
#define RP_EDGE_FROM_START 1u
/* 32-bit durations: unknown (the stream's -1), and "too long: see g->big". */
#define RP_DUR_NONE UINT32_MAX
#define RP_DUR_BIG (UINT32_MAX - 1)

enum rp_flag {
	RP_F_GPU = 1u << 0,	 /* on a GPU/graph lane: one node with a duration */
	RP_F_PASSIVE = 1u << 1,	 /* annotation on a GPU lane: not simulated */
	RP_F_ANALYTIC = 1u << 2, /* no measured time (ONNX): costed by the model */
	RP_F_COLL = 1u << 3,	 /* member of a matched collective instance */
	RP_F_STEP = 1u << 4,	 /* step annotation on a CPU lane */
	RP_F_BLOCKING = 1u << 5, /* CPU op whose end waits for GPU work (sync, blocking copy) */
	RP_F_INNER = 1u << 6,	 /* CPU op that counts as host work (not step / annotation) */
	RP_F_WORK = 1u << 7,	 /* g->ref is a work record (else a name id) */
};

/* One distinct GPU work: everything hwmodel looks at. Interned by value. */
struct rp_work {
	uint64_t flops, bytes_read, bytes_written, coll_bytes;
	uint64_t m, n, k, batch; /* GEMM dims (opstream 1.1), 0 = unknown */
	uint32_t name, group_size;
	uint32_t count; /* GPU ops that use it (set by finish) */
	uint8_t cls, dtype, kind, sub, has_work, coll_kind;
	uint8_t analytic;   /* no measured time (ONNX node, or duration unknown) */
	uint8_t basis_hint; /* tc_hw_fallback_basis + 1, set once by finish (struct tc_hw_op) */
	/* collectives: the shortest measured duration of the record's ops, its transfer time;
	 * an instance's excess over it is waiting for peers (skew) */
	int64_t min_dur;
	double dur_sum; /* measured ns of its ops, for the rank-wide compute ratio */
};

struct rp_lane {
	uint32_t rank, device, type;
	uint32_t off, len; /* into g->order: op indices (GPU) or points op << 1 | is_end (CPU) */
	uint32_t coll_off; /* GPU: its collective ops' instances from g->coll_seq[coll_off] */
	int64_t min_launch_lat; /* GPU: the rank's min over kernels of start - launch start */
	int64_t min_gap;	/* GPU: the rank's min idle gap between consecutive ops */
	int64_t busy_ns;	/* GPU: measured ns of its ops (the busiest-stream figure) */
};

struct rp_coll {
	uint32_t first, count;		 /* members in g->coll_members */
	int64_t src_max_start, src_xfer; /* latest arrival, shortest member duration */
};

struct rp_step {
	uint32_t op, rank;
};

struct rp_big {
	uint32_t op;
	int64_t dur;
};

struct tc_replay_graph {
	/* per op (struct of arrays) */
	size_t n, cap;
	int64_t *ts;
	uint32_t *dur; /* RP_DUR_NONE unknown, RP_DUR_BIG: in big (sorted by op) */
	uint32_t *lane;
	uint32_t *ref; /* RP_F_WORK: index into works; else the name's string id */
	uint8_t *kind, *cls, *flags;
	struct rp_big *big;
	size_t n_big, cap_big;
	/* interned work records and their hash table (index + 1, 0 = empty) */
	struct rp_work *works;
	size_t n_works, cap_works;
	uint32_t *wtab;
	size_t wtab_cap;
	/* while adding: the record last interned under each name (hashed to RP_WHINT slots),
	 * index + 1; a kernel name mostly repeats its work (graph.c intern_work) */
	uint32_t *whint;
	/* explicit in-edges (CSR over ops), built by finish */
	uint32_t *in_off, *in_src;
	size_t n_edges;
	/* lanes and their program order */
	struct rp_lane *lanes;
	size_t n_lanes;
	uint32_t *order;
	size_t n_order;
	/* collectives */
	struct rp_coll *colls;
	size_t n_colls;
	uint32_t *coll_members;	 /* op indices grouped by instance */
	struct tc_map64 coll_of; /* op -> instance (freed by finish once coll_seq is built) */
	/* per GPU lane, in the lane's order, the instance of each of its RP_F_COLL ops: the
	 * engine meets them in that order, so a cursor per lane finds them */
	uint32_t *coll_seq;
	/* steps (sorted by rank, start) */
	struct rp_step *steps;
	size_t n_steps;
	uint32_t n_ranks, max_rank;
	/* while adding: raw facts kept until finish */
	uint32_t *link; /* launching call or RP_NONE (freed by finish) */
	uint8_t *sub;	/* runtime call kind (freed by finish) */
	struct rp_sync {
		uint32_t op, lane1; /* lane1: sync_lane (lane + 1, 0 = none) */
		uint64_t event;
	} * syncs;
	size_t n_syncs, cap_syncs;
	struct rp_ckey {
		uint32_t op, group;
		uint64_t seq;
	} * ckeys;
	size_t n_ckeys, cap_ckeys;
	struct rp_pair {
		uint32_t a, b;
	} * deps; /* a depends on b */
	size_t n_deps, cap_deps;
	/* ops with an inferred wait edge (bitmap, NULL = none): a CPU op's only in-edge, a GPU
	 * op's last one (waits.c) */
	uint8_t *iwait;
	/* hand-off edges into CPU start points (a = op, b = source key), sorted by op */
	struct rp_pair *swait;
	size_t n_swait;
	int finished;
	/* 1: a copy whose source timeline is the analytic model on the source chip (srcmodel.c) */
	int src_model;
	struct tc_replay_graph_stats stats;
	/* names */
	tc_replay_name_fn name_fn;
	const void *name_ctx;
	struct tc_ops_reader *reader; /* owned when loaded from a file */
};

/* Name of op i ("op#<id>" written into buf when unknown). */
const char *rp_op_name(const struct tc_replay_graph *g, uint32_t i, char *buf, size_t n);
const char *rp_string(const struct tc_replay_graph *g, uint32_t id);
/* The name the trace gave lane l (a thread or stream), or NULL for graphs built in memory. */
const char *rp_lane_name(const struct tc_replay_graph *g, uint32_t l);
int64_t rp_big_dur(const struct tc_replay_graph *g, uint32_t i);
/* Advise transparent huge pages for a large array before it is first touched. */
void rp_hugepage(void *p, size_t bytes);

static inline uint32_t rp_name_id(const struct tc_replay_graph *g, uint32_t i)
{
	return (g->flags[i] & RP_F_WORK) ? g->works[g->ref[i]].name : g->ref[i];
}

/* Measured duration (ns), -1 when unknown. */
static inline int64_t rp_dur(const struct tc_replay_graph *g, uint32_t i)
{
	uint32_t d = g->dur[i];
	if (d < RP_DUR_BIG)
		return d;
	return d == RP_DUR_NONE ? -1 : rp_big_dur(g, i);
}

/* Measured duration clamped at 0. */
static inline int64_t rp_dur0(const struct tc_replay_graph *g, uint32_t i)
{
	uint32_t d = g->dur[i];
	if (d < RP_DUR_BIG)
		return d;
	return d == RP_DUR_NONE ? 0 : rp_big_dur(g, i);
}

static inline int64_t rp_src_end(const struct tc_replay_graph *g, uint32_t i)
{
	return g->ts[i] + rp_dur0(g, i);
}

static inline int rp_lane_is_gpu(const struct rp_lane *L)
{
	return L->type == TC_LANE_GPU || L->type == TC_LANE_GRAPH;
}

/* Comparator helpers for CPU points: the time and the order key of a point. */
static inline int64_t rp_point_time(const struct tc_replay_graph *g, uint32_t p)
{
	uint32_t i = p >> 1;
	return (p & 1) ? rp_src_end(g, i) : g->ts[i];
}
int rp_point_cmp(const struct tc_replay_graph *g, uint32_t a, uint32_t b);

/* What a run knows about one work record on both chips. */
struct rp_wcost {
	double ratio;	     /* projected ns per measured ns (gpu_scale included) */
	double ans;	     /* analytical ns on the target (ONNX nodes), gpu_scale included */
	double src_u, dst_u; /* utilisation: constant, or (per_ns) busy ns of the resource */
	uint8_t src_bound, dst_bound;
	uint8_t src_per_ns, dst_per_ns; /* 1: *_u is resource-busy ns: util = min(1, u / t) */
};

struct tc_replay {
	const struct tc_replay_graph *g;
	struct tc_replay_graph *own_g; /* g when it is a srcmodel.c copy, freed with the run */
	struct tc_replay_opts opts;
	int64_t *start, *end; /* projected, per op */
	struct rp_wcost *wc;  /* per work record */
	struct tc_replay_step *steps;
	size_t n_steps;
	struct tc_replay_warnings warn;
	/* aggregates over the reported steps */
	double class_src_ns[TC_CLASS__COUNT], class_proj_ns[TC_CLASS__COUNT];
	uint64_t class_count[TC_CLASS__COUNT];
	int64_t src_total_ns, proj_total_ns; /* sum over reported steps (max over ranks) */
	int64_t ceil_total_ns;		     /* the same for the host-only run */
	struct tc_replay_band band;	     /* band.c; draws = 0: none */
	struct rp_band_run *band_run;	     /* band.c: draws running alongside the run, or NULL */
	struct tc_replay_memory memory;	     /* memfit.c; have = 0: nothing recorded */
	int64_t src_gpu_total_ns, proj_gpu_total_ns; /* and for the GPU-side steps */
	/* each op's step + 1 (0 = none), and rank q's steps at step_first[q] .. [q + 1]
	 * (analysis.c step_index) */
	uint32_t *opk;
	size_t *step_first;
	int borrowed_ix;	    /* opk and step_first belong to a struct rp_stepix */
	int steps_only;		    /* a band draw: step spans only, no bound split or tables */
	int have_ceil;		    /* the host-only run was made: steps[].ceil_ns hold it */
	size_t cp_step;		    /* the step the critical path was walked on */
	uint64_t carry_ops;	    /* simulated GPU ops that belong to no step */
	struct rp_insight *insight; /* rp_insight_compute */
	size_t n_job_steps;	    /* steps of the job (k-th step of every rank) */
	/* critical path of the reported span */
	double cp_class_ns[TC_CLASS__COUNT + 1]; /* last slot: host gaps and latencies */
	int64_t cp_len_ns;
	uint64_t cp_ops;
	/* top ops (by name): filled by analysis */
	struct rp_top {
		uint32_t name;
		uint8_t cls, bound;
		uint64_t count;
		double src_ns, proj_ns;
	} * top;
	size_t n_top;
	int64_t sim_ns; /* wall of the engine (never printed in reports) */
	/* shortest kernel on the target and the source (ns, 0 = no chip): see rp_pdur */
	double floor_ns, src_floor_ns;
	int zero_gpu; /* every GPU op takes 0 ns: the host-only run of the speedup ceiling */
	/* projected / measured ns over the measured non-collective GPU work: how absent peers'
	 * arrival moves (rp_pdur) */
	double peer_ratio;
	/* per reported step, projected side: GPU busy and utilisation-weighted ns by bound (the
	 * inputs of the step's energy), so a sweep can re-price a run on another power point */
	double (*step_busy)[TC_BOUND__COUNT], (*step_util)[TC_BOUND__COUNT];
	/* scale-out what-ifs (layout.c): the resolved layout, stragglers' GPU lanes (factor per
	 * lane, NULL = none) and the seeded jitter */
	struct tc_replay_layout lay;
	double *lane_scale;
	double *rank_chip_factor; /* owned; lay.rank_chip_factor points here */
	double jitter;
	uint64_t seed;
	double (*step_work)[2]; /* FLOPs and bytes (per-operation energy, docs/hwmodel.md §4) */
};

/* layout.c */
int rp_layout_resolve(struct tc_replay *r, struct tc_err *err);
unsigned rp_layout_kind(const struct tc_replay_layout *L, const struct rp_work *W);
/* hs: the op as traced (its placement is set here); hd receives it as it runs on the
 * target layout. Both equal *hs (placement 0) when no what-if applies. */
void rp_layout_ops(const struct tc_replay *r, const struct rp_work *W, struct tc_hw_op *hs,
		   struct tc_hw_op *hd);
int rp_layout_comm(struct tc_replay *r, struct tc_err *err);
/* layout_report.c: nothing when no what-if was asked */
void rp_layout_write_json(const struct tc_replay *r, FILE *fp);
void rp_layout_write_text(const struct tc_replay *r, FILE *fp);

/* A GPU op's own slowdown: its rank's straggler factor and the seeded jitter (splitmix64 of
 * seed and op id: the same seed gives the same bytes). Collectives are left alone: a slow
 * rank delays them by arriving late. */
static inline double rp_noise(const struct tc_replay *r, uint32_t i, double ns)
{
	if (r->lane_scale)
		ns *= r->lane_scale[r->g->lane[i]];
	if (r->jitter > 0) {
		uint64_t z = r->seed + 0x9e3779b97f4a7c15ull * ((uint64_t)i + 1);
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
		z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
		z ^= z >> 31;
		double u = (double)(z >> 11) * 0x1.0p-53 * 2 - 1;
		ns *= 1 + r->jitter * u;
	}
	return ns;
}

/* Projected duration of GPU op i (ns). */
/* Projected times saturate at +-RP_TIME_SAT instead of wrapping. Source times are bounded by
 * the reader (TC_TIME_LIMIT_NS), but projected durations come from chip specs and scales, and
 * a wrapped sum could go backwards or land on the engine's UNSET (INT64_MIN) and park a lane
 * for ever. A quarter of the range leaves room for the engine's differences of saturated
 * times. */
#define RP_TIME_SAT (INT64_MAX / 4)

static inline int64_t rp_tadd(int64_t a, int64_t b)
{
	int64_t s;
	if (__builtin_add_overflow(a, b, &s))
		return b > 0 ? RP_TIME_SAT : -RP_TIME_SAT;
	return s > RP_TIME_SAT ? RP_TIME_SAT : s < -RP_TIME_SAT ? -RP_TIME_SAT : s;
}

static inline int64_t rp_pdur(const struct tc_replay *r, uint32_t i)
{
	const struct tc_replay_graph *g = r->g;
	const struct rp_wcost *c = &r->wc[g->ref[i]];
	if (r->zero_gpu)
		return 0;
	int noisy =
	    (r->lane_scale || r->jitter > 0) && g->works[g->ref[i]].cls != TC_CLASS_COLLECTIVE;
	if (g->flags[i] & RP_F_ANALYTIC) {
		double ns = noisy ? rp_noise(r, i, c->ans) : c->ans;
		/* saturate, never 0: a too-slow op must not look free (issue 19) */
		return !(ns >= 0)		   ? 0
		       : ns >= (double)RP_TIME_SAT ? RP_TIME_SAT
						   : (int64_t)(ns + 0.5);
	}
	/* measured: the work's ratio, floored at the target's shortest kernel, but never below
	 * what was measured (a kernel measured under the floor ran at the source's floor) */
	double d = (double)rp_dur0(g, i), ns = d * c->ratio;
	const struct rp_work *W = &g->works[g->ref[i]];
	if (W->cls == TC_CLASS_COLLECTIVE && !(g->flags[i] & RP_F_COLL) && W->min_dur >= 0 &&
	    (double)W->min_dur <= d) {
		/* peers not in the trace run the same work on the same chip: the wait for them
		 * (the skew above the shortest instance) follows the rank's compute ratio, the
		 * transfer the network's (docs/projection.md, "collectives") */
		ns = (d - (double)W->min_dur) * r->peer_ratio + (double)W->min_dur * c->ratio;
	}
	if (noisy)
		ns = rp_noise(r, i, ns);
	double fl = d < r->floor_ns ? d : r->floor_ns;
	if (ns < fl)
		ns = fl;
	if (!(ns >= 0))
		return 0;
	/* saturate, never 0: a too-slow op must not look free (issue 19: 1e-12 GB/s gave a
	 * speedup) */
	if (ns >= (double)RP_TIME_SAT)
		return RP_TIME_SAT;
	return (int64_t)(ns + 0.5);
}

/* 1 when measured GPU op i is held at the kernel floor on the target (1) or the source (0):
 * the only ops reported as launch-bound. */
static inline int rp_at_floor(const struct tc_replay *r, uint32_t i, int target)
{
	const struct tc_replay_graph *g = r->g;
	if (g->flags[i] & RP_F_ANALYTIC)
		return 0;
	double d = (double)rp_dur0(g, i);
	if (!target)
		return r->src_floor_ns > 0 && d <= r->src_floor_ns;
	double fl = d < r->floor_ns ? d : r->floor_ns;
	return fl > 0 && d * r->wc[g->ref[i]].ratio <= fl;
}

/* The bound an op got on the target (1) or the source (0) chip. */
static inline unsigned rp_bound(const struct tc_replay *r, uint32_t i, int target)
{
	const struct tc_replay_graph *g = r->g;
	if (!(g->flags[i] & RP_F_GPU))
		return TC_BOUND_HOST;
	const struct rp_wcost *c = &r->wc[g->ref[i]];
	if (rp_at_floor(r, i, target))
		return TC_BOUND_LAUNCH;
	return target ? c->dst_bound : c->src_bound;
}

/* Utilisation-weighted ns of GPU op i running for t ns (for energy). */
static inline double rp_util_ns(const struct rp_wcost *c, int target, double t)
{
	double u = target ? c->dst_u : c->src_u;
	if (target ? c->dst_per_ns : c->src_per_ns)
		return u < t ? u : t;
	return u * t;
}

/* analysis.c: tc_replay_run with what the caller already has (sweep_support.c). Non-NULL
 * start / end (g->n entries each) and wc (g->n_works entries, already re-timed by rp_retime
 * for these opts, its warnings in warn) are adopted by the run, also when it fails. */
struct rp_prep {
	int64_t *start, *end;
	struct rp_wcost *wc;
	struct tc_replay_warnings warn;
	const struct rp_stepix *stepix; /* borrowed; NULL = build the step index */
	int steps_only; /* only the step times are read (band.c): skip the other analyses */
};
/* The steps of a graph on its source timeline and each op's step: the same for every run of
 * the graph with the same max_steps, so a sweep builds it once (analysis.c). */
struct rp_stepix {
	const struct tc_replay_graph *g;
	int64_t max_steps;
	struct tc_replay_step *steps; /* as build_steps leaves them: source side only */
	size_t n_steps, cap_steps;
	uint32_t *opk;
	size_t *step_first;
	int no_steps;
};
int rp_stepix_make(struct rp_stepix *out, const struct tc_replay_graph *g, int64_t max_steps,
		   struct tc_err *err);
void rp_stepix_free(struct rp_stepix *x);
/* r's own steps and op steps as a step index (borrowed: r keeps them), valid while they are
 * as build_steps and rp_step_index left them (before the run's simulation). */
void rp_stepix_view(const struct tc_replay *r, struct rp_stepix *out);
/* srcmodel.c: an analytic graph (ONNX) projected chip to chip gets the source chip's analytic
 * run as its source timeline. wanted: every GPU op analytic, both chips given, not already a
 * copy. make: *out is a shallow copy of g (rp_srcmodel_free) that g must outlive. */
int rp_srcmodel_wanted(const struct tc_replay_graph *g, const struct tc_replay_opts *opts);
/* 1 when the graph has GPU ops, all analytic, and nothing measured (an ONNX model). */
int rp_all_analytic(const struct tc_replay_graph *g);
int rp_srcmodel_make(struct tc_replay_graph **out, const struct tc_replay_graph *g,
		     const struct tc_replay_opts *opts, struct tc_err *err);
void rp_srcmodel_free(struct tc_replay_graph *t);

int rp_run(struct tc_replay **out, const struct tc_replay_graph *g,
	   const struct tc_replay_opts *opts, struct rp_prep *prep, struct tc_err *err);

/* engine.c */
int rp_retime(struct tc_replay *r, struct tc_err *err);
/* Projected / measured ns over the measured non-collective GPU work (struct tc_replay). */
double rp_peer_ratio(const struct tc_replay_graph *g, const struct rp_wcost *wc);
/* The hwmodel view of a work record (engine.c). */
void rp_hw_op(const struct tc_replay_graph *g, const struct rp_work *w, struct tc_hw_op *h);
int rp_simulate(struct tc_replay *r, struct tc_err *err);
/* memfit.c: the memory fit of a finished run (r->memory) */
void rp_memfit(struct tc_replay *r);
/* band.c: the uncertainty band of a run (r->band; nothing when not asked for), called once
 * per run. Where rp_band_early is true (every source but a model, whose speedup band reads
 * the run's class times) it starts before the run's own simulation and reads the run's step
 * index. With one thread (opts.jobs) it runs then and leaves r->start / r->end to its last
 * draw's arrays, so two timelines never coexist (peak memory) and no fresh pages are
 * touched twice; with more it draws alongside the run (rp_band_join). Otherwise it runs
 * after the analyses. */
int rp_band_early(const struct tc_replay *r);
int rp_band(struct tc_replay *r, struct tc_err *err);
/* The early band may go on alongside the run's own simulation and analyses, on threads of
 * its own (opts.jobs > 1): rp_band_join waits for them and fills r->band (the lowest
 * failing draw's error in err, which may be NULL). Nothing when none runs; rp_run and
 * tc_replay_free call it. */
int rp_band_join(struct tc_replay *r, struct tc_err *err);
/* The run failed or is freed: no more draws are taken, the running ones are waited for. */
void rp_band_cancel(struct tc_replay *r);
/* graph.c: edges while finishing (a = target op, b = source encoded as in in_src) */
struct rp_edges {
	struct rp_pair *e;
	size_t n, cap;
};
int rp_add_edge(struct rp_edges *E, uint32_t dst, uint32_t src_enc);
/* When GPU op i was enqueued: its launch call's start, else its own start (before finish
 * frees the links). */
int64_t rp_enqueue_ts(const struct tc_replay_graph *g, uint32_t i);
/* waits.c: blocking waits inferred from the trace's timing (docs/projection.md) */
int rp_infer_waits(struct tc_replay_graph *g, struct rp_edges *E, struct tc_err *err);
/* The hand-off edge into op i's start point, or RP_NONE. */
static inline uint32_t rp_start_wait(const struct tc_replay_graph *g, uint32_t i)
{
	size_t lo = 0, hi = g->n_swait;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (g->swait[mid].a < i)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < g->n_swait && g->swait[lo].a == i ? g->swait[lo].b : RP_NONE;
}
static inline int rp_is_iwait(const struct tc_replay_graph *g, uint32_t i)
{
	return g->iwait && (g->iwait[i >> 3] >> (i & 7) & 1);
}
/* insight.c: what explains a step that does or does not follow the chip */
struct rp_insight {
	int have_ceiling;	      /* the host-only run was made (not summary_only) */
	double ceil_step_ns, ceiling; /* host-only step; source step / host-only step */
	double host_share, gpu_share; /* host-only and GPU-side step / projected step */
	double src_gpu_step_ns, proj_gpu_step_ns; /* job GPU-side step, mean over steps */
	uint64_t carry_ops;			  /* GPU ops outside every step */
	int host_bound;				  /* ceiling < 1.25 */
	int stuck;				  /* GPU time moved > 10 %, the step < 1 % */
	double gpu_move, step_move;		  /* relative changes, projected vs source */
	const char *stuck_cause;
	double busiest_stream_ns; /* source: the busiest GPU lane's measured busy ns per job step */
};
/* Computed once at the end of the run (rp_insight_compute); rp_insight copies it. */
void rp_insight_compute(struct tc_replay *r);
void rp_insight(const struct tc_replay *r, struct rp_insight *out);
const char *rp_wait_kind_name(unsigned k);
/* Inferred waits by kind, in a fixed order (runtime call kinds, CPU ops, stream gaps, thread
 * hand-offs), only the kinds seen; out holds RP_WAIT_KINDS entries. Returns how many. */
#define RP_WAIT_KINDS (TC_RT__COUNT + 3)
struct rp_wait_count {
	const char *kind;
	uint64_t n;
};
size_t rp_wait_counts(const struct tc_replay_graph *g, struct rp_wait_count *out);
/* graph.c: position helpers for the analyses */
uint32_t rp_launch_of(const struct tc_replay_graph *g, uint32_t i);

/* bound.c: each op's step on the source timeline (r->opk, r->step_first), then the split of
 * every step by bound with spans, busy time, classes, top ops, energy and dollars. */
int rp_step_index(struct tc_replay *r, struct tc_err *err);
int rp_analyse_steps(struct tc_replay *r, struct tc_err *err);

#endif

/* replay.h - the dependency graph of an opstream, the discrete-event engine that re-times it
 * on a target chip, the analyses (steps, breakdowns, critical path, energy) and the exports
 * (text and JSON report, Chrome trace timeline). docs/projection.md describes the method and
 * the JSON schema.
 *
 * Life cycle:
 *   graph = tc_replay_graph_load(path)            (or _new + _add + _set_lanes + _finish)
 *   rep   = tc_replay_run(graph, opts)            (any number of runs per graph, read-only)
 *   tc_replay_write_text / _json / _timeline (rep)
 *   tc_replay_free(rep); tc_replay_graph_free(graph)
 *
 * A run borrows the graph and the chips: both must outlive it. Handles are opaque; *_free
 * accepts NULL. Functions that can fail return 0 or a negative TC_E* and fill err.
 */
#ifndef TC_REPLAY_H
#define TC_REPLAY_H

#include <stdint.h>
#include <stdio.h>

#include "util.h"
#include "opstream.h"
#include "hwmodel.h"

#define TC_REPLAY_SCHEMA "tracecast.projection"
#define TC_REPLAY_SCHEMA_VERSION 1
/* The critical path's share that is no op class: CPU time and launch latency between GPU ops
 * (the report's critical_path.by_class names it so after the classes). */
#define TC_REPLAY_CP_HOST_LATENCY "host+latency"

/* ---- graph -------------------------------------------------------------------------------- */

struct tc_replay_graph;

/* Resolves a string id of the ops (names, process groups) to text; may return NULL. */
typedef const char *(*tc_replay_name_fn)(const void *ctx, uint32_t id);

/* An empty graph to fill from memory (tests, tools that synthesise ops). */
int tc_replay_graph_new(struct tc_replay_graph **out, struct tc_err *err);
/* Append ops in id order: ops[i].id must equal the number of ops added before it (ids are
 * dense, as in a .tcs). Links, parents and deps must name earlier ops. Only what the replay
 * needs is kept (no shapes, no per-op allocation); the array may be reused after the call. */
int tc_replay_graph_add(struct tc_replay_graph *g, const struct tc_op *ops, size_t n,
			struct tc_err *err);
/* The lanes the ops refer to (copied: type, rank, device). Call before _finish. */
int tc_replay_graph_set_lanes(struct tc_replay_graph *g, const struct tc_lane *lanes, size_t n,
			      struct tc_err *err);
/* How to print names; without it ops are named "op#<id>". ctx must outlive the graph. */
void tc_replay_graph_set_names(struct tc_replay_graph *g, tc_replay_name_fn fn, const void *ctx);
/* Build program order, launch, synchronisation, event, collective and data edges. After
 * this the graph is immutable. log may be NULL. */
int tc_replay_graph_finish(struct tc_replay_graph *g, const struct tc_log *log, struct tc_err *err);

/* Read a whole .tcs into a finished graph; the graph keeps the reader for names and the
 * header. Errors name the file. */
int tc_replay_graph_load(struct tc_replay_graph **out, const char *path, const struct tc_log *log,
			 struct tc_err *err);
/* The stream's header, or NULL for graphs built in memory. Borrowed. */
const struct tc_ops_header *tc_replay_graph_header(const struct tc_replay_graph *g);
uint64_t tc_replay_graph_op_count(const struct tc_replay_graph *g);
/* Bytes held by the graph (arrays only), for benchmarks. */
size_t tc_replay_graph_bytes(const struct tc_replay_graph *g);
void tc_replay_graph_free(struct tc_replay_graph *g);

/* Counts of what the graph builder found, for -v and the report. */
struct tc_replay_graph_stats {
	uint64_t ops, cpu_ops, gpu_ops, passive_ops;
	uint64_t launch_edges, sync_edges, event_edges, data_edges, memcpy_edges;
	uint64_t collectives, collective_instances; /* matched across ranks */
	uint64_t steps;
	uint32_t lanes, cpu_lanes, gpu_lanes, ranks;
	uint64_t unresolved_waits; /* stream waits / event syncs whose event was never recorded */
	/* stream waits that name no event (older traces): resolved from the streams launched on
	 * just before and after the wait, or left without an edge (docs/projection.md) */
	uint64_t inferred_waits, anonymous_waits;
	/* blocking waits inferred from timing (waits.c): CPU calls that ended just after a GPU
	 * op they could be waiting on and lasted well beyond their kind's non-waiting time.
	 * Indexed by runtime call kind (enum tc_rt_kind); the last slot counts CPU operators. */
	uint64_t blocking_waits[TC_RT__COUNT + 1];
	/* GPU ops that waited on an idle stream for another stream's op (waits.c) */
	uint64_t stream_gap_waits;
	/* CPU points that waited for another thread of the rank (waits.c) */
	uint64_t handoff_waits;
};
#define TC_REPLAY_WAIT_CPU_OP TC_RT__COUNT
void tc_replay_graph_stats(const struct tc_replay_graph *g, struct tc_replay_graph_stats *out);

struct tc_replay;

/* ---- scale-out what-ifs (layout.c, docs/projection.md §6) -------------------------------- */

/* The kind of process group a collective runs in. On disk in reports by name: append only. */
enum tc_group_kind {
	TC_GROUP_DP = 0, /* data parallel (and the whole-job group of a pure-DP run) */
	TC_GROUP_TP,	 /* tensor parallel */
	TC_GROUP_PP,	 /* pipeline: point-to-point between stages */
	TC_GROUP_EP,	 /* expert parallel: all-to-all */
	TC_GROUP_OTHER,	 /* a group the layout does not explain: kept as traced */
	TC_GROUP__COUNT
};
const char *tc_group_kind_name(unsigned k);

/* A parallel layout: world = dp x tp x pp; ep divides dp. 0 = not given. */
struct tc_replay_parallel {
	uint32_t dp, tp, pp, ep;
};
/* "dp=8,tp=4,pp=2,ep=1" (any subset, any order) into out (absent fields 0). Errors name
 * the offending item ("--parallel: unknown group kind 'xp' (dp, tp, pp, ep)"). */
int tc_replay_parallel_parse(struct tc_replay_parallel *out, const char *text, const char *what,
			     struct tc_err *err);

struct tc_replay_straggler {
	uint32_t rank; /* in the target world */
	double factor; /* its GPU ops take factor x their projected time */
};

/* A rank of a mixed fleet on another chip than the target's. */
struct tc_replay_rank_chip {
	uint32_t rank;		    /* in the target world */
	const struct tc_chip *chip; /* borrowed: must outlive the run */
};

struct tc_replay_scale {
	uint32_t world;				      /* target world size, 0 = as traced */
	struct tc_replay_parallel src, dst;	      /* layouts; 0 fields are derived (layout.c) */
	const struct tc_replay_straggler *stragglers; /* borrowed */
	size_t n_stragglers;
	double jitter; /* each GPU op's time x (1 + jitter * u), u uniform in [-1, 1] */
	uint64_t seed; /* of the jitter: same seed, same bytes */
	const struct tc_replay_rank_chip *rank_chips; /* borrowed */
	size_t n_rank_chips;
};
#define TC_REPLAY_SCALE_INIT                                                                       \
	{                                                                                          \
		0                                                                                  \
	} /* every field zero: no what-if */

/* The layout a run resolved (both sides) and what it did with the collectives. */
struct tc_replay_layout {
	int active; /* a scale-out what-if was asked */
	uint32_t src_world, dst_world;
	struct tc_replay_parallel src, dst;
	double compute_factor; /* per-rank GPU work, target / source (TP x PP) */
	/* per --rank-chip, the factor its rank's GPU work takes: the rank's chip against the
	 * target over the measured non-collective work (NULL when none; n_rank_chips long) */
	const double *rank_chip_factor;
	uint64_t coll_ops[TC_GROUP__COUNT];   /* collective GPU ops by group kind */
	double proj_comm_ns[TC_GROUP__COUNT]; /* projected collective ns by kind, reported steps */
	double exposed_comm_ns[TC_GROUP__COUNT]; /* of which nothing else ran on the rank's GPU */
};
const struct tc_replay_layout *tc_replay_layout(const struct tc_replay *r);

/* ---- projection --------------------------------------------------------------------------- */

struct tc_replay_opts {
	/* Chips. target NULL = identity: measured durations are replayed unchanged (ONNX nodes
	 * then need a target). source is needed whenever target is set and the stream has
	 * measured GPU ops; it may equal target. */
	const struct tc_chip *source;
	const struct tc_chip *target;
	const char *const *sets; /* the --set overrides applied to target, for provenance */
	size_t n_sets;
	double host_scale; /* CPU time multiplier, 1.0 = as measured */
	double gpu_scale;  /* what-if multiplier on every projected GPU op time, 1.0 = none */
	int64_t max_steps; /* report the first N steps per rank; -1 = all */
	int top_n;	   /* rows in the top-op tables, 0 = 10 */
	/* Dependency-only replay: every edge contributes only its floor latency, none of the
	 * measured slack, so the timeline is what the graph alone explains. Used by --validate
	 * to find missing dependency kinds; identity with strict = 0 is exact by design. */
	int strict;
	const struct tc_log *log; /* warnings; NULL = quiet */
	/* Only what tc_replay_summarize (sweep_support.h) reads: skips the critical path, the
	 * top-op table and the source side of the bound split, so a run's report writers must
	 * not be called. For sweeps, which store thousands of summaries. */
	int summary_only;
	/* Keep every CPU call at its measured length unless the trace records what it waits
	 * for (--no-infer-waits): the graph's inferred waits (waits.c) are ignored. */
	int no_infer_waits;
	/* Multipliers on the projected GPU time per op class (NULL = none): what the band's
	 * draws vary. */
	const double *class_scale;
	/* The uncertainty band (band.c, docs/projection.md §band): this many replays with each
	 * op class's time drawn from the chips' model error; 0 = no band. Fewer draws on large
	 * streams (at most 20 M op replays in all, at least 10 draws). */
	int band_draws;
	/* Threads a run may use: 0 = one per online core, at most 4. 1: the band's draws one
	 * at a time before the run, the least memory; N > 1: N - 1 threads draw while the run
	 * goes on (each drawing thread holds a timeline, 16 B per op). The figures are the
	 * same, byte for byte, for any number. */
	int jobs;
	/* Scale-out what-if (other world size, layout, stragglers, jitter); NULL = none.
	 * Borrowed, with its stragglers: both must outlive the run (the reports read them). */
	const struct tc_replay_scale *scale;
};
/* Defaults by name (the rest zero): measured host and GPU time, every step. */
#define TC_REPLAY_OPTS_INIT                                                                        \
	{                                                                                          \
		.host_scale = 1.0, .gpu_scale = 1.0, .max_steps = -1                               \
	}

struct tc_replay;

/* Re-time and simulate. Warnings (ops without a cost model, dtypes the chip lacks, unmatched
 * collectives, no steps, no GPU work) go to opts->log with counts and into the report. */
int tc_replay_run(struct tc_replay **out, const struct tc_replay_graph *g,
		  const struct tc_replay_opts *opts, struct tc_err *err);
void tc_replay_free(struct tc_replay *r);

/* Projected start / end of an op (ns, same origin as the stream's ts); INT64_MIN for ops
 * that were not simulated (annotations on GPU lanes). */
int64_t tc_replay_op_start(const struct tc_replay *r, uint64_t id);
/* Source start / end of an op as the run saw it (the trace's, or for a model with no measured
 * time projected chip to chip, the model on the source chip); 0 when it has none. */
int tc_replay_op_source(const struct tc_replay *r, uint64_t id, int64_t *start, int64_t *end);
int64_t tc_replay_op_end(const struct tc_replay *r, uint64_t id);
/* Bound (enum tc_bound) the model gave a GPU op on the target; TC_BOUND_HOST for CPU ops. */
unsigned tc_replay_op_bound(const struct tc_replay *r, uint64_t id);

/* One profiler step of one rank. Times in ns. "gpu" spans cover the GPU ops enqueued (by
 * their launch) inside the step's CPU span. */
struct tc_replay_step {
	uint64_t op; /* the step annotation op (UINT64_MAX for the whole-run pseudo-step) */
	uint32_t rank;
	const char *name; /* borrowed from the graph */
	/* The step (docs/projection.md, "steps"): the longer of the CPU path (the step
	 * marker) and the GPU-side step, on each side; start is where that path starts. */
	int64_t src_start, src_ns, proj_start, proj_ns;
	int64_t src_cpu_start, src_cpu_ns, proj_cpu_start, proj_cpu_ns; /* the CPU marker */
	int64_t src_gpu_ns, proj_gpu_ns; /* first GPU start to last GPU end */
	int64_t ceil_ns; /* host-only: the projected CPU marker with every GPU op at 0 ns */
	/* the job step: max over ranks of the step with this index; energy and dollars charge
	 * this rank's GPU for it */
	int64_t src_job_ns, proj_job_ns;
	uint32_t index;	      /* step index within its rank */
	uint64_t last_gpu_op; /* the step's GPU op ending last (projected), or UINT64_MAX */
	int64_t src_busy_ns, proj_busy_ns; /* union of GPU op intervals */
	uint64_t gpu_ops;
	/* Step time split by what bounded it (sums to the step time): compute, memory,
	 * communication (exposed: no other GPU op running), launch (kernels at the launch
	 * floor), host (GPU idle, CPU busy), idle (nothing but the step annotation). */
	double src_bound_ns[TC_BOUND__COUNT], proj_bound_ns[TC_BOUND__COUNT];
	double src_energy_j, proj_energy_j; /* 0 when the chip is not known */
	double src_dollars, proj_dollars;
};
size_t tc_replay_steps(const struct tc_replay *r, const struct tc_replay_step **steps);

/* p10-p50-p90 of the job step time and of the speedup over the band's draws. */
struct tc_replay_band {
	int draws;    /* 0 = no band (not asked for, identity, or no target) */
	int analytic; /* the analytic model's error (ONNX): 1 the target's, 2 both chips' (chip
		       * to chip, srcmodel.c); 0: scaling */
	double step_p10, step_p50, step_p90; /* ns per job step */
	double speedup_p10, speedup_p90;
	double sigma[TC_CLASS__COUNT]; /* ln-space error per class, both chips combined */
};
/* Memory fit (memfit.c): the trace's peak GPU allocation per rank (Kineto [memory] events),
 * on the target layout, against the target's HBM capacity. */
struct tc_replay_memory {
	int have;
	double peak_bytes;	/* as traced, the largest rank */
	double projected_bytes; /* per rank on the target layout (TP x PP sharding) */
	double capacity_bytes;	/* the target's HBM */
	int fits;
};
/* NULL when the trace recorded no allocations. */
const struct tc_replay_memory *tc_replay_memory(const struct tc_replay *r);

/* The CLI's default number of draws (project, report). */
#define TC_REPLAY_BAND_DRAWS 40
/* NULL when the run has no band. */
const struct tc_replay_band *tc_replay_band(const struct tc_replay *r);

/* Warnings found by the run (also in the report). */
struct tc_replay_warnings {
	uint64_t no_cost_model[TC_CLASS__COUNT]; /* analytical ops the model could not cost */
	uint64_t dtype_missing[TC_DT__COUNT];	 /* GPU ops whose dtype the target lacks */
	uint64_t unknown_work;			 /* measured ops scaled by the class fallback */
	uint64_t unmatched_collectives;		 /* collective kernels without their peers */
	uint64_t forced_collectives;		 /* instances released before all arrived */
	uint64_t no_gpu_work, no_steps;		 /* 1 when so */
	uint64_t unresolved_waits;		 /* waits on events never recorded */
	uint64_t broken_cycles;			 /* ops started with a dependency undone */
	/* collective GPU ops whose size the trace does not record: bytes inferred from the
	 * measured transfer on the source network (docs/projection.md) */
	uint64_t inferred_coll_bytes;
};
const struct tc_replay_warnings *tc_replay_warnings(const struct tc_replay *r);
/* Wall time of re-timing + the simulations (the projection and, unless summary_only, the
 * host-only run of the speedup ceiling; not the analyses), for benchmarks only: never part
 * of a report. */
double tc_replay_engine_seconds(const struct tc_replay *r);

/* ---- exports ------------------------------------------------------------------------------ */

/* Human report (aligned tables). */
int tc_replay_write_text(const struct tc_replay *r, FILE *fp, struct tc_err *err);
/* Stable JSON report, schema TC_REPLAY_SCHEMA version TC_REPLAY_SCHEMA_VERSION
 * (docs/projection.md). Deterministic bytes for the same inputs. */
int tc_replay_write_json(const struct tc_replay *r, FILE *fp, struct tc_err *err);
/* Chrome trace-event JSON: the projected run and the source run as separate processes. */
int tc_replay_write_timeline(const struct tc_replay *r, FILE *fp, struct tc_err *err);
/* Every op as CSV: op, rank, lane, kind, class, name, bound (GPU ops), source and projected
 * start and duration (ns), FLOPs and bytes (empty when unknown). 0 or TC_EIO. */
int tc_replay_write_ops_csv(const struct tc_replay *r, FILE *fp, struct tc_err *err);
/* Identity check table: per step measured vs replayed step time and the error; with dep
 * (a strict run of the same graph, may be NULL) also the dependency-only replay and its
 * error. Returns the largest relative error of r over steps in *max_err (may be NULL). */
int tc_replay_write_validation(const struct tc_replay *r, const struct tc_replay *dep, FILE *fp,
			       double *max_err, struct tc_err *err);

#endif

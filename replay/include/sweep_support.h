/* sweep_support.h - the projection's summary as numbers, for sweeps that store thousands of
 * projections without writing a report each. Additive to replay.h; the figures are the ones
 * the JSON report's "summary", "by_bound" and "by_class" hold (docs/projection.md). */
#ifndef TC_REPLAY_SWEEP_SUPPORT_H
#define TC_REPLAY_SWEEP_SUPPORT_H

#include "replay.h"

struct tc_replay_summary {
	size_t job_steps;			 /* the k-th step of every rank together */
	size_t rank_steps;			 /* reported steps over all ranks */
	double source_step_ns, step_ns, speedup; /* per job step (slowest rank); speedup NaN if 0 */
	/* mean over rank steps of the projected step time split by bound, and of the projected
	 * GPU time by op class */
	double bound_ns[TC_BOUND__COUNT];
	double class_ns[TC_CLASS__COUNT];
	/* projected, per job step over all ranks' devices (as the report); NaN when the chip lacks
	 * power or cost data */
	double energy_j, dollars;
	double steps_per_j, steps_per_usd;
};

/* Fill out from a finished run. Never fails. */
void tc_replay_summarize(const struct tc_replay *r, struct tc_replay_summary *out);

/* A memo of projections for a sweep, shared by its worker threads (it locks itself).
 *
 * Two configurations that give every work record of a graph the same cost (the same ratio,
 * analytical time, bound and utilisation on both chips, bit for bit) give the same timeline:
 * only the energy and dollars differ, and those follow from each step's projected time and
 * busy / utilisation-weighted ns by bound, which the memo keeps. So an axis that changes no
 * op's time (power, price) re-prices a stored run instead of simulating again, and an axis
 * that changes only some op classes is simulated once per distinct set of op costs.
 * Re-timing (cheap: once per distinct work record) always runs, so no guess about which
 * spec key affects which op class is needed, and a hit is exact: the memo compares whole
 * cost vectors, not hashes. max_bytes bounds what it keeps (0 = 256 MiB); past it, points
 * are simply simulated. */
struct tc_replay_memo;
int tc_replay_memo_new(struct tc_replay_memo **out, size_t max_bytes, struct tc_err *err);
void tc_replay_memo_free(struct tc_replay_memo *m);

/* tc_replay_run (with summary_only) + tc_replay_summarize, through the memo: the same
 * figures, bit for bit. *hit (may be NULL) says whether the timeline came from the memo.
 * Runs without a source or target chip bypass the memo. */
int tc_replay_memo_run(struct tc_replay_memo *m, const struct tc_replay_graph *g,
		       const struct tc_replay_opts *opts, struct tc_replay_summary *out, int *hit,
		       struct tc_err *err);
/* tc_replay_memo_run that does not wait for a timeline another thread is simulating: it
 * returns 1 and a ticket instead (out untouched), 0 when out is filled, or an error. A
 * sweep then runs other points and comes back with tc_replay_memo_finish (same g and opts),
 * which waits for that simulation and answers as tc_replay_memo_run would. */
int tc_replay_memo_start(struct tc_replay_memo *m, const struct tc_replay_graph *g,
			 const struct tc_replay_opts *opts, struct tc_replay_summary *out, int *hit,
			 size_t *ticket, struct tc_err *err);
int tc_replay_memo_finish(struct tc_replay_memo *m, const struct tc_replay_graph *g,
			  const struct tc_replay_opts *opts, size_t ticket,
			  struct tc_replay_summary *out, int *hit, struct tc_err *err);
/* Entries kept and lookups answered from them, for -v and benchmarks. */
void tc_replay_memo_stats(struct tc_replay_memo *m, uint64_t *entries, uint64_t *hits,
			  uint64_t *misses);

#endif

/* sweep_support.h - the projection's summary as numbers, for sweeps that store thousands of
 * projections without writing a report each. Additive to replay.h; the figures are the ones
 * the JSON report's "summary", "by_bound" and "by_class" hold (docs/projection.md). */
#ifndef TC_REPLAY_SWEEP_SUPPORT_H
#define TC_REPLAY_SWEEP_SUPPORT_H

#include "replay.h"

struct tc_replay_summary {
	size_t job_steps;  /* the k-th step of every rank together */
	size_t rank_steps; /* reported steps over all ranks */
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

#endif

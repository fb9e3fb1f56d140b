/* sweep_support.c - tc_replay_summarize: the report's summary without formatting a report.
 * Kept beside report.c's arithmetic on purpose: the same sums, the same divisions. */
#include <math.h>

#include "internal.h"
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

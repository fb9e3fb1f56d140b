/* insight.c - the figures that say why a projected step does or does not follow the chip:
 * the speedup ceiling (the host-only run), each side's share of the step, and the warnings
 * of docs/projection.md ("ceiling"). */
#include <math.h>
#include <stdlib.h>

#include "rp_internal.h"

const char *rp_wait_kind_name(unsigned k)
{
	return k == TC_REPLAY_WAIT_CPU_OP ? "cpu_op" : tc_rt_name(k);
}

size_t rp_wait_counts(const struct tc_replay_graph *g, struct rp_wait_count *out)
{
	size_t n = 0;
	for (unsigned k = 0; k <= TC_RT__COUNT; k++)
		if (g->stats.blocking_waits[k])
			out[n++] = (struct rp_wait_count){rp_wait_kind_name(k),
							  g->stats.blocking_waits[k]};
	if (g->stats.stream_gap_waits)
		out[n++] = (struct rp_wait_count){"stream_gap", g->stats.stream_gap_waits};
	if (g->stats.handoff_waits)
		out[n++] = (struct rp_wait_count){"thread_handoff", g->stats.handoff_waits};
	return n;
}

static double rel_move(double from, double to)
{
	return from > 0 ? fabs(to - from) / from : 0;
}

static void insight(const struct tc_replay *r, struct rp_insight *out)
{
	double nk = (double)r->n_job_steps;
	*out = (struct rp_insight){0};
	out->carry_ops = r->carry_ops;
	/* the job's GPU-side step: the max over ranks at each step index, summed (job_steps) */
	double sg = (double)r->src_gpu_total_ns, pg = (double)r->proj_gpu_total_ns;
	out->src_gpu_step_ns = nk > 0 ? sg / nk : 0;
	out->proj_gpu_step_ns = nk > 0 ? pg / nk : 0;
	out->gpu_share = r->proj_total_ns > 0 ? pg / (double)r->proj_total_ns : 0;
	if (!r->opts.summary_only && r->have_ceil) {
		out->have_ceiling = 1;
		out->ceil_step_ns = nk > 0 ? (double)r->ceil_total_ns / nk : 0;
		out->ceiling = r->ceil_total_ns > 0
				   ? (double)r->src_total_ns / (double)r->ceil_total_ns
				   : INFINITY;
		out->host_share =
		    r->proj_total_ns > 0 ? (double)r->ceil_total_ns / (double)r->proj_total_ns : 0;
		out->host_bound = r->n_job_steps > 0 && out->ceiling < 1.25;
	}
	double gs = 0, gp = 0;
	for (unsigned c = 0; c < TC_CLASS__COUNT; c++) {
		gs += r->class_src_ns[c];
		gp += r->class_proj_ns[c];
	}
	out->gpu_move = rel_move(gs, gp);
	const struct tc_replay_graph *g = r->g;
	for (uint32_t l = 0; l < g->n_lanes; l++) {
		const struct rp_lane *L = &g->lanes[l];
		if (!rp_lane_is_gpu(L))
			continue;
		double busy = (double)L->busy_ns;
		if (nk > 0 && busy / nk > out->busiest_stream_ns)
			out->busiest_stream_ns = busy / nk;
	}
	out->step_move = rel_move((double)r->src_total_ns, (double)r->proj_total_ns);
	if (out->gpu_move > 0.10 && out->step_move < 0.01) {
		out->stuck = 1;
		if (out->have_ceiling && out->host_share >= 0.99)
			out->stuck_cause = "the CPU path sets the step (host-bound: the host-only "
					   "run is as long)";
		else if (r->cp_len_ns > 0 &&
			 r->cp_class_ns[TC_CLASS_COLLECTIVE] > 0.5 * (double)r->cp_len_ns)
			out->stuck_cause = "collectives set the step (most of the critical path)";
		else if (r->cp_len_ns > 0 &&
			 r->cp_class_ns[TC_CLASS__COUNT] > 0.5 * (double)r->cp_len_ns)
			out->stuck_cause = "host time and latencies set the critical path; the GPU "
					   "work is off it";
		else
			out->stuck_cause = "GPU time off the critical path (overlapped by other "
					   "work)";
	}
}

void rp_insight_compute(struct tc_replay *r)
{
	free(r->insight);
	r->insight = malloc(sizeof(*r->insight));
	if (r->insight)
		insight(r, r->insight);
}

void rp_insight(const struct tc_replay *r, struct rp_insight *out)
{
	if (r->insight)
		*out = *r->insight;
	else
		insight(r, out);
}

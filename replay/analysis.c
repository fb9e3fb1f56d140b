/* analysis.c - the run (re-time, simulate, analyse) and what it answers: steps, GPU spans
 * and busy time, the split of step time by bound, time by op class, top ops, the critical
 * path, energy and dollars. docs/projection.md defines every figure. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rp_internal.h"

/* ---- steps ---------------------------------------------------------------------------------- */

/* Rows build_steps allocates: every annotation, and a pseudo-step per rank. */
static size_t steps_cap(const struct tc_replay_graph *g)
{
	return g->n_steps + g->max_rank + 1;
}

static int build_steps(struct tc_replay *r, struct tc_err *err)
{
	const struct tc_replay_graph *g = r->g;
	size_t n = 0;
	int64_t keep = r->opts.max_steps;
	r->steps = calloc(steps_cap(g), sizeof(*r->steps));
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
	r->steps_only = prep->steps_only;
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
		return rp_step_index(r, err);
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
		rc = rp_step_index(&r, err);
	if (rc < 0) {
		free(r.steps);
		free(r.opk);
		free(r.step_first);
		return rc;
	}
	rp_stepix_view(&r, out);
	return 0;
}

void rp_stepix_view(const struct tc_replay *r, struct rp_stepix *out)
{
	*out = (struct rp_stepix){.g = r->g,
				  .max_steps = r->opts.max_steps,
				  .steps = r->steps,
				  .n_steps = r->n_steps,
				  .cap_steps = steps_cap(r->g),
				  .opk = r->opk,
				  .step_first = r->step_first,
				  .no_steps = r->warn.no_steps};
}

void rp_stepix_free(struct rp_stepix *x)
{
	free(x->steps);
	free(x->opk);
	free(x->step_first);
	memset(x, 0, sizeof(*x));
}

/* The run's projected start / end per op (unless the caller or the band left them). */
static int timeline_alloc(struct tc_replay *r, struct tc_err *err)
{
	size_t n = r->g->n ? r->g->n : 1;
	if (!r->start) {
		r->start = malloc(n * sizeof(*r->start));
		rp_hugepage(r->start, n * sizeof(*r->start));
	}
	if (!r->end) {
		r->end = malloc(n * sizeof(*r->end));
		rp_hugepage(r->end, n * sizeof(*r->end));
	}
	if (!r->start || !r->end)
		return tc_err_set(err, TC_ENOMEM, "replay: out of memory for %zu ops", r->g->n);
	return 0;
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
	r->sim_ns = (int64_t)((tc_now() - t0) * 1e9);
	TC_TRY(adopt_steps(r, prep->stepix, err));
	/* the band's draws before this run's own cost vector and timeline exist, so that
	 * neither is held twice (peak memory); it may leave its timeline arrays for this run */
	if (rp_band_early(r))
		TC_TRY(rp_band(r, err));
	t0 = tc_now();
	if (!have_wc) {
		r->wc = calloc(g->n_works ? g->n_works : 1, sizeof(*r->wc));
		if (!r->wc)
			return tc_err_set(err, TC_ENOMEM, "replay: out of memory for %zu ops",
					  g->n);
		TC_TRY(rp_retime(r, err));
	}
	r->peer_ratio = rp_peer_ratio(g, r->wc);
	r->sim_ns += (int64_t)((tc_now() - t0) * 1e9);
	TC_TRY(timeline_alloc(r, err));
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
	TC_TRY(rp_analyse_steps(r, err));
	if (r->steps_only)
		return 0; /* a band draw reads the step times alone */
	TC_TRY(rp_layout_comm(r, err));
	if (!r->opts.summary_only)
		critical_path(r);
	if (!rp_band_early(r))
		TC_TRY(rp_band(r, err)); /* after the run: its draws read the run's figures */
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
	/* draws that ran alongside (band.c): done before the run is answered */
	if (rc == 0)
		rc = rp_band_join(r, err);
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
	rp_band_cancel(r); /* its threads read the run's step index */
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

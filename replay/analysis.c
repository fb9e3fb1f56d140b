/* analysis.c - the run (re-time, simulate, analyse) and what it answers: steps, GPU spans
 * and busy time, the split of step time by bound, time by op class, top ops, the critical
 * path, energy and dollars. docs/projection.md defines every figure. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* ---- bound split by sweep ------------------------------------------------------------------ */

enum { CAT_COMPUTE, CAT_MEMORY, CAT_LAUNCH, CAT_COMM, CAT_HOST, CAT__N };
static const unsigned cat_bound[CAT__N] = {TC_BOUND_COMPUTE, TC_BOUND_MEMORY, TC_BOUND_LAUNCH,
					   TC_BOUND_COMM, TC_BOUND_HOST};

struct sweep_ev {
	int64_t t;
	int32_t cat, delta;
};

static int sweep_cmp(const void *pa, const void *pb)
{
	const struct sweep_ev *a = pa, *b = pb;
	if (a->t != b->t)
		return a->t < b->t ? -1 : 1;
	if (a->delta != b->delta)
		return a->delta < b->delta ? -1 : 1; /* ends first */
	return a->cat - b->cat;
}

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

/* Split [t0, t1] by the highest-priority activity: compute > memory > launch > comm (what
 * remains is exposed communication) > host (GPU idle, CPU busy) > idle. Returns GPU busy
 * time (the union of GPU intervals). */
static int64_t sweep(struct sweep_ev *ev, size_t n, int64_t t0, int64_t t1, double out[TC_BOUND__COUNT])
{
	int active[CAT__N] = {0};
	int64_t busy = 0, prev = t0;
	qsort(ev, n, sizeof(*ev), sweep_cmp);
	for (unsigned b = 0; b < TC_BOUND__COUNT; b++)
		out[b] = 0;
	for (size_t k = 0; k <= n; k++) {
		int64_t t = k < n ? TC_MIN(TC_MAX(ev[k].t, t0), t1) : t1;
		if (t > prev) {
			unsigned bound = TC_BOUND_IDLE;
			int gpu = 0;
			for (unsigned c = 0; c < CAT__N; c++)
				if (active[c] > 0) {
					bound = cat_bound[c];
					gpu = c != CAT_HOST;
					break;
				}
			out[bound] += (double)(t - prev);
			if (gpu)
				busy += t - prev;
			prev = t;
		}
		if (k < n)
			active[ev[k].cat] += ev[k].delta;
	}
	return busy;
}

/* ---- steps ---------------------------------------------------------------------------------- */

struct step_work {
	double busy[2][TC_BOUND__COUNT], util[2][TC_BOUND__COUNT];
	int64_t gmin[2], gmax[2];
	size_t n_gpu, n_cpu; /* ops in the step, for the sweep buffers */
};

/* The reported step of a rank whose source span holds t, or -1. Steps are sorted by rank and
 * start; first[r]..first[r+1] are rank r's. */
static long step_of(const struct tc_replay *r, const size_t *first, uint32_t rank, int64_t t)
{
	long lo = (long)first[rank], hi = (long)first[rank + 1] - 1, hit = -1;
	while (lo <= hi) {
		long mid = lo + (hi - lo) / 2;
		if (r->steps[mid].src_start <= t) {
			hit = mid;
			lo = mid + 1;
		} else {
			hi = mid - 1;
		}
	}
	if (hit < 0)
		return -1;
	const struct tc_replay_step *s = &r->steps[hit];
	return t < s->src_start + s->src_ns || s->src_ns == 0 ? hit : -1;
}

static int build_steps(struct tc_replay *r, struct tc_err *err)
{
	const struct tc_replay_graph *g = r->g;
	size_t n = 0;
	int64_t keep = r->opts.max_steps;
	r->steps = calloc((g->n_steps ? g->n_steps : 0) + g->max_rank + 1, sizeof(*r->steps));
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
			if (keep >= 0 && k++ >= keep)
				continue;
			struct tc_replay_step *s = &r->steps[n++];
			s->op = i;
			s->rank = rank;
			s->name = rp_string(g, g->name[i]);
			s->src_start = g->ts[i];
			s->src_ns = g->dur[i] > 0 ? g->dur[i] : 0;
			s->proj_start = r->start[i];
			s->proj_ns = r->end[i] - r->start[i];
		}
	} else {
		/* no step annotations: one pseudo-step per rank over everything it ran */
		r->warn.no_steps = 1;
		for (uint32_t rank = 0; rank <= g->max_rank; rank++) {
			int64_t s0 = INT64_MAX, s1 = INT64_MIN, p0 = INT64_MAX, p1 = INT64_MIN;
			for (uint32_t i = 0; i < g->n; i++) {
				if ((g->flags[i] & RP_F_PASSIVE) || g->lanes[g->lane[i]].rank != rank)
					continue;
				s0 = TC_MIN(s0, g->ts[i]);
				s1 = TC_MAX(s1, rp_src_end(g, i));
				p0 = TC_MIN(p0, r->start[i]);
				p1 = TC_MAX(p1, r->end[i]);
			}
			if (s0 == INT64_MAX)
				continue;
			struct tc_replay_step *s = &r->steps[n++];
			s->op = UINT64_MAX;
			s->rank = rank;
			s->name = "whole-run";
			s->src_start = s0;
			s->src_ns = s1 - s0;
			s->proj_start = p0;
			s->proj_ns = p1 - p0;
		}
	}
	r->n_steps = n;
	return 0;
}

static void energy(const struct tc_chip *chip, int64_t span, const double busy[TC_BOUND__COUNT],
		   const double util[TC_BOUND__COUNT], double *j, double *usd)
{
	*j = *usd = 0;
	if (!chip || span <= 0)
		return;
	*j = tc_chip_energy_j(chip, (double)span, busy, util);
	*usd = tc_chip_dollars(chip, (double)span, *j);
}

static int top_cmp(const void *pa, const void *pb)
{
	const struct rp_top *a = pa, *b = pb;
	if (a->proj_ns != b->proj_ns)
		return a->proj_ns > b->proj_ns ? -1 : 1;
	return a->name < b->name ? -1 : a->name > b->name;
}

static int analyse_steps(struct tc_replay *r, struct tc_err *err)
{
	const struct tc_replay_graph *g = r->g;
	const struct tc_chip *src_chip = r->opts.source;
	const struct tc_chip *dst_chip = r->opts.target ? r->opts.target : r->opts.source;
	size_t *first = calloc(g->max_rank + 2, sizeof(*first));
	struct step_work *sw = calloc(r->n_steps ? r->n_steps : 1, sizeof(*sw));
	long *op_step = malloc((g->n ? g->n : 1) * sizeof(*op_step));
	struct tc_map64 top_of = TC_MAP64_INIT;
	struct sweep_ev *ev = NULL;
	size_t ev_cap = 0, top_cap = 0;
	uint32_t *by_step = NULL;
	size_t *step_off = NULL;
	int rc = 0;
	if (!first || !sw || !op_step)
		goto oom;
	for (size_t k = 0; k < r->n_steps; k++)
		first[r->steps[k].rank + 1]++;
	for (uint32_t q = 0; q <= g->max_rank; q++)
		first[q + 1] += first[q];
	for (size_t k = 0; k < r->n_steps; k++)
		for (int v = 0; v < 2; v++) {
			sw[k].gmin[v] = INT64_MAX;
			sw[k].gmax[v] = INT64_MIN;
		}
	/* assign ops to steps: GPU ops by their enqueue time, CPU ops by their start */
	for (uint32_t i = 0; i < g->n; i++) {
		op_step[i] = -1;
		if (g->flags[i] & RP_F_PASSIVE || r->start[i] == INT64_MIN)
			continue;
		uint32_t rank = g->lanes[g->lane[i]].rank;
		int gpu = (g->flags[i] & RP_F_GPU) != 0;
		if (!gpu && !(g->flags[i] & RP_F_INNER))
			continue;
		int64_t key = g->ts[i];
		if (gpu) {
			uint32_t ln = rp_launch_of(g, i);
			if (ln != RP_NONE)
				key = g->ts[ln];
		}
		long k = step_of(r, first, rank, key);
		if (k < 0 && r->warn.no_steps)
			k = (long)first[rank]; /* the pseudo-step holds everything */
		if (k < 0)
			continue;
		op_step[i] = k;
		if (!gpu) {
			sw[k].n_cpu++;
			continue;
		}
		struct step_work *w = &sw[k];
		int64_t sd = g->dur[i] > 0 ? g->dur[i] : 0, pd = r->end[i] - r->start[i];
		w->n_gpu++;
		r->steps[k].gpu_ops++;
		w->gmin[0] = TC_MIN(w->gmin[0], g->ts[i]);
		w->gmax[0] = TC_MAX(w->gmax[0], g->ts[i] + sd);
		w->gmin[1] = TC_MIN(w->gmin[1], r->start[i]);
		w->gmax[1] = TC_MAX(w->gmax[1], r->end[i]);
		w->busy[0][r->src_bound[i]] += (double)sd;
		w->util[0][r->src_bound[i]] += (double)sd * r->src_util[i] / 255.0;
		w->busy[1][r->bound[i]] += (double)pd;
		w->util[1][r->bound[i]] += (double)pd * r->util[i] / 255.0;
		unsigned cls = g->cls[i];
		r->class_src_ns[cls] += (double)sd;
		r->class_proj_ns[cls] += (double)pd;
		r->class_count[cls]++;
		uint64_t slot;
		if (!tc_map64_get(&top_of, g->name[i], &slot)) {
			slot = r->n_top;
			if (tc_grow((void **)&r->top, &top_cap, r->n_top + 1, sizeof(*r->top)) < 0 ||
			    tc_map64_put(&top_of, g->name[i], slot) < 0)
				goto oom;
			r->n_top++;
			memset(&r->top[slot], 0, sizeof(r->top[slot]));
			r->top[slot].name = g->name[i];
			r->top[slot].cls = (uint8_t)cls;
			r->top[slot].bound = r->bound[i];
		}
		r->top[slot].count++;
		r->top[slot].src_ns += (double)sd;
		r->top[slot].proj_ns += (double)pd;
	}
	/* sort the top table by projected time (ties by name id: file order, deterministic) */
	if (r->n_top)
		qsort(r->top, r->n_top, sizeof(*r->top), top_cmp);
	/* ops grouped by step (counting sort), so each step's sweep touches only its ops */
	step_off = calloc(r->n_steps + 1, sizeof(*step_off));
	if (!step_off)
		goto oom;
	for (uint32_t i = 0; i < g->n; i++)
		if (op_step[i] >= 0)
			step_off[op_step[i] + 1]++;
	for (size_t k = 0; k < r->n_steps; k++)
		step_off[k + 1] += step_off[k];
	by_step = malloc((step_off[r->n_steps] ? step_off[r->n_steps] : 1) * sizeof(*by_step));
	if (!by_step)
		goto oom;
	for (uint32_t i = 0; i < g->n; i++)
		if (op_step[i] >= 0)
			by_step[step_off[op_step[i]]++] = i;
	for (size_t k = r->n_steps; k > 0; k--)
		step_off[k] = step_off[k - 1];
	step_off[0] = 0;
	/* per step: spans, busy, bound split, energy */
	for (size_t k = 0; k < r->n_steps; k++) {
		struct tc_replay_step *s = &r->steps[k];
		struct step_work *w = &sw[k];
		size_t need = 2 * (w->n_gpu + w->n_cpu) + 1;
		if (need > ev_cap) {
			free(ev);
			ev_cap = need;
			ev = malloc(ev_cap * sizeof(*ev));
			if (!ev)
				goto oom;
		}
		for (int v = 0; v < 2; v++) {
			size_t ne = 0;
			for (size_t q = step_off[k]; q < step_off[k + 1]; q++) {
				uint32_t i = by_step[q];
				int64_t a = v ? r->start[i] : g->ts[i];
				int64_t b = v ? r->end[i] : rp_src_end(g, i);
				int32_t cat = (g->flags[i] & RP_F_GPU)
						      ? (int32_t)cat_of_bound(v ? r->bound[i] : r->src_bound[i])
						      : CAT_HOST;
				ev[ne++] = (struct sweep_ev){a, cat, 1};
				ev[ne++] = (struct sweep_ev){b, cat, -1};
			}
			int64_t t0 = v ? s->proj_start : s->src_start;
			int64_t t1 = t0 + (v ? s->proj_ns : s->src_ns);
			int64_t busy = sweep(ev, ne, t0, t1, v ? s->proj_bound_ns : s->src_bound_ns);
			if (v) {
				s->proj_busy_ns = busy;
				s->proj_gpu_ns = w->n_gpu ? w->gmax[1] - w->gmin[1] : 0;
				energy(dst_chip, s->proj_ns, w->busy[1], w->util[1], &s->proj_energy_j,
				       &s->proj_dollars);
			} else {
				s->src_busy_ns = busy;
				s->src_gpu_ns = w->n_gpu ? w->gmax[0] - w->gmin[0] : 0;
				energy(src_chip, s->src_ns, w->busy[0], w->util[0], &s->src_energy_j,
				       &s->src_dollars);
			}
		}
	}
	goto out;
oom:
	rc = tc_err_set(err, TC_ENOMEM, "replay: out of memory in the analyses");
out:
	free(first);
	free(sw);
	free(op_step);
	free(ev);
	free(by_step);
	free(step_off);
	tc_map64_free(&top_of);
	return rc;
}

/* ---- critical path ---------------------------------------------------------------------- */

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
 * class, CPU time and latencies to the last slot. */
static void critical_path(struct tc_replay *r)
{
	const struct tc_replay_graph *g = r->g;
	if (r->n_steps == 0)
		return;
	size_t last = 0;
	for (size_t k = 0; k < r->n_steps; k++) {
		const struct tc_replay_step *s = &r->steps[k];
		if (s->proj_start + s->proj_ns > r->steps[last].proj_start + r->steps[last].proj_ns)
			last = k;
	}
	uint32_t rank = r->steps[last].rank;
	int64_t t_stop = INT64_MAX, t_end = r->steps[last].proj_start + r->steps[last].proj_ns;
	for (size_t k = 0; k < r->n_steps; k++)
		if (r->steps[k].rank == rank)
			t_stop = TC_MIN(t_stop, r->steps[k].proj_start);
	/* start node: the step op's end, or for pseudo-steps the op ending last */
	uint32_t op = RP_NONE;
	if (r->steps[last].op != UINT64_MAX) {
		op = (uint32_t)r->steps[last].op;
	} else {
		for (uint32_t i = 0; i < g->n; i++)
			if (r->start[i] != INT64_MIN && g->lanes[g->lane[i]].rank == rank &&
			    (op == RP_NONE || r->end[i] > r->end[op]))
				op = i;
	}
	if (op == RP_NONE)
		return;
	int at_end = 1;
	int64_t t = r->end[op];
	r->cp_len_ns = t_end - t_stop;
	const size_t slot_gap = TC_CLASS__COUNT;
	for (size_t guard = 0; guard < 4 * (size_t)g->n + 4 && t > t_stop; guard++) {
		int gpu = (g->flags[op] & RP_F_GPU) != 0;
		if (gpu && at_end) {
			r->cp_class_ns[g->cls[op]] += (double)(r->end[op] - r->start[op]);
			r->cp_ops++;
			at_end = 0;
			t = r->start[op];
			continue;
		}
		/* candidates: lane predecessor and explicit in-edges (GPU start / CPU end) */
		uint32_t best = RP_NONE;
		int best_end = 0;
		int64_t best_t = INT64_MIN;
		uint32_t lane = g->lane[op];
		uint32_t node = gpu ? op : (op << 1 | (uint32_t)at_end);
		long pos = lane_pos(g, lane, node, gpu);
		if (pos > 0) {
			uint32_t pn = g->order[g->lanes[lane].off + pos - 1];
			uint32_t pop = gpu ? pn : pn >> 1;
			int pe = gpu ? 1 : (int)(pn & 1);
			int64_t pt = pe ? r->end[pop] : r->start[pop];
			best = pop;
			best_end = pe;
			best_t = pt;
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
				}
			}
		}
		if (best == RP_NONE || best_t > t)
			break;
		int64_t from = TC_MAX(best_t, t_stop);
		r->cp_class_ns[slot_gap] += (double)(t - from);
		op = best;
		at_end = best_end;
		t = best_t;
	}
	if (t > t_stop)
		r->cp_class_ns[slot_gap] += (double)(t - t_stop);
}

/* ---- the run ---------------------------------------------------------------------------------- */

int tc_replay_run(struct tc_replay **out, const struct tc_replay_graph *g,
		  const struct tc_replay_opts *opts, struct tc_err *err)
{
	struct tc_replay *r;
	int rc;
	if (!g->finished)
		return tc_err_set(err, TC_EINVAL, "replay: graph not finished");
	r = calloc(1, sizeof(*r));
	if (!r)
		return tc_err_set(err, TC_ENOMEM, "replay: out of memory");
	r->g = g;
	r->opts = *opts;
	if (!(r->opts.host_scale > 0) || !isfinite(r->opts.host_scale) ||
	    !(r->opts.gpu_scale > 0) || !isfinite(r->opts.gpu_scale)) {
		free(r);
		return tc_err_set(err, TC_EINVAL, "replay: host and GPU scales must be > 0");
	}
	if (r->opts.top_n <= 0)
		r->opts.top_n = 10;
	size_t n = g->n ? g->n : 1;
	r->start = malloc(n * sizeof(*r->start));
	r->end = malloc(n * sizeof(*r->end));
	r->bound = calloc(n, 1);
	r->util = calloc(n, 1);
	r->src_bound = calloc(n, 1);
	r->src_util = calloc(n, 1);
	if (!r->start || !r->end || !r->bound || !r->util || !r->src_bound || !r->src_util) {
		tc_replay_free(r);
		return tc_err_set(err, TC_ENOMEM, "replay: out of memory for %zu ops", g->n);
	}
	if (g->stats.gpu_ops == 0)
		r->warn.no_gpu_work = 1;
	if (opts->target && !opts->source) {
		for (uint32_t i = 0; i < g->n; i++)
			if ((g->flags[i] & RP_F_GPU) && !(g->flags[i] & RP_F_ANALYTIC)) {
				tc_replay_free(r);
				return tc_err_set(err, TC_EINVAL,
						  "the source chip is unknown (no device name in the "
						  "stream matches a spec): give it with --source CHIP");
			}
	}
	r->warn.unresolved_waits = g->stats.unresolved_waits;
	double t0 = tc_now();
	if ((rc = rp_retime(r, err)) < 0 || (rc = rp_simulate(r, err)) < 0) {
		tc_replay_free(r);
		return rc;
	}
	r->sim_ns = (int64_t)((tc_now() - t0) * 1e9);
	r->warn.unmatched_collectives = 0;
	for (uint32_t i = 0; i < g->n; i++)
		if ((g->flags[i] & RP_F_GPU) && g->cls[i] == TC_CLASS_COLLECTIVE &&
		    !(g->flags[i] & RP_F_COLL) && g->works[g->work[i]].group_size > 1 &&
		    g->n_ranks > 1)
			r->warn.unmatched_collectives++;
	if ((rc = build_steps(r, err)) < 0 || (rc = analyse_steps(r, err)) < 0) {
		tc_replay_free(r);
		return rc;
	}
	critical_path(r);
	/* totals: the k-th step of every rank runs together: take the slowest rank */
	uint32_t max_rank = g->max_rank;
	size_t *kth = calloc(max_rank + 1, sizeof(*kth));
	if (!kth) {
		tc_replay_free(r);
		return tc_err_set(err, TC_ENOMEM, "replay: out of memory");
	}
	size_t n_k = 0;
	for (size_t k = 0; k < r->n_steps; k++) {
		size_t c = ++kth[r->steps[k].rank];
		n_k = TC_MAX(n_k, c);
	}
	for (size_t j = 0; j < n_k; j++) {
		int64_t s_max = 0, p_max = 0;
		memset(kth, 0, (max_rank + 1) * sizeof(*kth));
		for (size_t k = 0; k < r->n_steps; k++)
			if (kth[r->steps[k].rank]++ == j) {
				s_max = TC_MAX(s_max, r->steps[k].src_ns);
				p_max = TC_MAX(p_max, r->steps[k].proj_ns);
			}
		r->src_total_ns += s_max;
		r->proj_total_ns += p_max;
	}
	free(kth);
	r->n_job_steps = n_k;
	const struct tc_log *log = opts->log;
	if (r->warn.no_gpu_work)
		tc_warn(log, "project: the stream has no GPU work: nothing to re-time");
	if (r->warn.no_steps)
		tc_warn(log, "project: no step annotations: the whole run is reported as one step");
	for (unsigned c = 0; c < TC_CLASS__COUNT; c++)
		if (r->warn.no_cost_model[c])
			tc_warn(log, "project: %llu %s ops have no cost model: floored to the minimum "
				     "kernel time",
				(unsigned long long)r->warn.no_cost_model[c], tc_class_name(c));
	for (unsigned d = 0; d < TC_DT__COUNT; d++)
		if (r->warn.dtype_missing[d])
			tc_warn(log, "project: %llu GPU ops use %s, which the target has no peak for",
				(unsigned long long)r->warn.dtype_missing[d], tc_dtype_name(d));
	if (r->warn.unknown_work)
		tc_info(log, "project: %llu measured ops have unknown work: scaled by their class "
			     "fallback",
			(unsigned long long)r->warn.unknown_work);
	if (r->warn.unmatched_collectives)
		tc_warn(log, "project: %llu collective kernels have no peers in the stream: "
			     "re-timed alone",
			(unsigned long long)r->warn.unmatched_collectives);
	if (r->warn.forced_collectives)
		tc_warn(log, "project: %llu collectives released before all members arrived",
			(unsigned long long)r->warn.forced_collectives);
	if (r->warn.broken_cycles)
		tc_warn(log, "project: %llu dependencies ignored to break a cycle",
			(unsigned long long)r->warn.broken_cycles);
	if (r->warn.unresolved_waits)
		tc_warn(log, "project: %llu waits on events never recorded (ignored)",
			(unsigned long long)r->warn.unresolved_waits);
	*out = r;
	return 0;
}

void tc_replay_free(struct tc_replay *r)
{
	if (!r)
		return;
	free(r->start);
	free(r->end);
	free(r->bound);
	free(r->util);
	free(r->src_bound);
	free(r->src_util);
	free(r->steps);
	free(r->top);
	free(r);
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
	return id < r->g->n ? r->bound[id] : TC_BOUND_IDLE;
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

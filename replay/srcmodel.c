/* srcmodel.c - the source side of a model with no measured time (ONNX), costed on the source
 * chip.
 *
 * An ONNX graph has no timeline: every GPU op is analytic, costed by hwmodel on the target.
 * Given a source chip too (`project model.onnx --source a100 --target h100`), the question is
 * chip against chip, so the source side is the same analytic model run on the source chip:
 * the graph is first replayed with the source as its target, and that run's start and
 * duration of every op become the source timeline of a shallow copy of the graph. Steps,
 * class and bound splits, energy and the speedup then read it as they read a measured trace,
 * and both sides come from one cost model (docs/projection.md, "ONNX chip to chip").
 *
 * The copy shares everything with the caller's graph except the times and the lanes (whose
 * busy ns follow the times); the run owns it. The target side is unchanged: analytic ops take
 * no slack from the source timeline (engine.c), so their projected times do not depend on
 * it. */
#include <stdlib.h>
#include <string.h>

#include "rp_internal.h"

int rp_all_analytic(const struct tc_replay_graph *g)
{
	if (!g->stats.gpu_ops)
		return 0;
	/* every op on a GPU lane analytic, and no CPU lane whose measured gaps would be mixed
	 * with modelled times */
	for (uint32_t i = 0; i < g->n; i++)
		if (!(g->flags[i] & RP_F_PASSIVE) &&
		    (g->flags[i] & (RP_F_GPU | RP_F_ANALYTIC)) != (RP_F_GPU | RP_F_ANALYTIC))
			return 0;
	return 1;
}

int rp_srcmodel_wanted(const struct tc_replay_graph *g, const struct tc_replay_opts *opts)
{
	return opts->source && opts->target && !g->src_model && rp_all_analytic(g);
}

static int put_dur(struct tc_replay_graph *t, uint32_t i, int64_t d)
{
	if (d < 0) {
		t->dur[i] = RP_DUR_NONE;
		return 0;
	}
	if (d < RP_DUR_BIG) {
		t->dur[i] = (uint32_t)d;
		return 0;
	}
	/* ops are visited in order, so the list stays sorted by op (rp_big_dur searches it) */
	if (t->n_big == t->cap_big) {
		size_t cap = t->cap_big ? 2 * t->cap_big : 16;
		struct rp_big *nb = realloc(t->big, cap * sizeof(*nb));
		if (!nb)
			return TC_ENOMEM;
		t->big = nb;
		t->cap_big = cap;
	}
	t->big[t->n_big++] = (struct rp_big){i, d};
	t->dur[i] = RP_DUR_BIG;
	return 0;
}

void rp_srcmodel_free(struct tc_replay_graph *t)
{
	if (!t)
		return;
	free(t->ts);
	free(t->dur);
	free(t->big);
	free(t->lanes);
	free(t);
}

int rp_srcmodel_make(struct tc_replay_graph **out, const struct tc_replay_graph *g,
		     const struct tc_replay_opts *opts, struct tc_err *err)
{
	*out = NULL;
	struct tc_replay_opts so = TC_REPLAY_OPTS_INIT;
	so.target = opts->source; /* the source chip's own analytic run: no what-if scales */
	so.summary_only = 1;
	struct tc_replay *sr = NULL;
	int rc = tc_replay_run(&sr, g, &so, err);
	if (rc < 0)
		return tc_err_wrap(err, "the model on the source chip %s",
				   tc_chip_id(opts->source));
	struct tc_replay_graph *t = malloc(sizeof(*t));
	size_t n = g->n ? g->n : 1;
	if (t) {
		*t = *g;
		t->ts = malloc(n * sizeof(*t->ts));
		t->dur = malloc(n * sizeof(*t->dur));
		t->lanes = malloc((g->n_lanes ? g->n_lanes : 1) * sizeof(*t->lanes));
		t->big = NULL;
		t->n_big = t->cap_big = 0;
		/* the reader (header, lane names) stays the caller's: rp_srcmodel_free leaves it */
		t->src_model = 1;
	}
	if (!t || !t->ts || !t->dur || !t->lanes) {
		rc = tc_err_set(err, TC_ENOMEM, "replay: out of memory for %zu ops", g->n);
		goto fail;
	}
	for (uint32_t i = 0; i < g->n; i++) {
		int gpu = (g->flags[i] & RP_F_GPU) != 0;
		t->ts[i] = gpu ? sr->start[i] : g->ts[i];
		if ((rc = put_dur(t, i, gpu ? sr->end[i] - sr->start[i] : rp_dur(g, i))) < 0) {
			tc_err_set(err, rc, "replay: out of memory");
			goto fail;
		}
	}
	memcpy(t->lanes, g->lanes, g->n_lanes * sizeof(*t->lanes));
	for (size_t l = 0; l < t->n_lanes; l++) {
		struct rp_lane *L = &t->lanes[l];
		if (!rp_lane_is_gpu(L))
			continue;
		L->busy_ns = 0;
		for (uint32_t k = 0; k < L->len; k++)
			L->busy_ns += rp_dur0(t, t->order[L->off + k]);
	}
	tc_replay_free(sr);
	*out = t;
	return 0;
fail:
	tc_replay_free(sr);
	rp_srcmodel_free(t);
	return rc;
}

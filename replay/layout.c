/* layout.c - scale-out what-ifs: another world size or parallel layout, stragglers and
 * jitter (docs/projection.md §6).
 *
 * Synthesised ranks are not copied. Data-parallel replicas run the same ops, so every rank
 * of the target world has a template among the traced ranks (target rank q -> traced rank
 * q mod traced world) and replaying the templates with re-sized collectives gives the
 * whole job: memory stays that of the traced graph whatever the world size. What changes
 * per rank is costed here: each collective's group kind (DP, TP, PP, EP) from the source
 * layout, its group size, bytes and placement on the target; each rank's GPU work follows
 * the model-parallel degree (TP x PP).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rp_internal.h"

const char *tc_group_kind_name(unsigned k)
{
	static const char *const n[] = {"dp", "tp", "pp", "ep", "other"};
	return k < TC_GROUP__COUNT ? n[k] : "?";
}

#define MAX_DEGREE (1u << 24)

int tc_replay_parallel_parse(struct tc_replay_parallel *out, const char *text, const char *what,
			     struct tc_err *err)
{
	memset(out, 0, sizeof(*out));
	const char *p = text ? text : "";
	if (!*p)
		return tc_err_set(err, TC_EINVAL, "%s: empty layout (want dp=N,tp=N,pp=N,ep=N)",
				  what);
	while (*p) {
		const char *eq = strchr(p, '='), *comma = strchr(p, ',');
		if (!comma)
			comma = p + strlen(p);
		if (!eq || eq > comma)
			return tc_err_set(err, TC_EINVAL, "%s: '%.*s' is not KIND=N", what,
					  (int)(comma - p), p);
		uint32_t *slot = NULL;
		size_t kl = (size_t)(eq - p);
		if (kl == 2 && strncmp(p, "dp", 2) == 0)
			slot = &out->dp;
		else if (kl == 2 && strncmp(p, "tp", 2) == 0)
			slot = &out->tp;
		else if (kl == 2 && strncmp(p, "pp", 2) == 0)
			slot = &out->pp;
		else if (kl == 2 && strncmp(p, "ep", 2) == 0)
			slot = &out->ep;
		if (!slot)
			return tc_err_set(err, TC_EINVAL,
					  "%s: unknown group kind '%.*s' (dp, tp, pp, ep)", what,
					  (int)kl, p);
		char *end;
		unsigned long v = strtoul(eq + 1, &end, 10);
		if (end == eq + 1 || end != comma || v < 1 || v > MAX_DEGREE || eq[1] == '-')
			return tc_err_set(err, TC_EINVAL, "%s: %.*s: want an integer 1..%u", what,
					  (int)(comma - p), p, MAX_DEGREE);
		if (*slot)
			return tc_err_set(err, TC_EINVAL, "%s: %.*s given twice", what, (int)kl, p);
		*slot = (uint32_t)v;
		p = *comma ? comma + 1 : comma;
	}
	return 0;
}

static uint32_t up_size(const struct tc_chip *c)
{
	const char *v = c ? tc_chip_get(c, "network.scale_up.size", NULL) : NULL;
	unsigned long n = v ? strtoul(v, NULL, 10) : 1;
	return n ? (uint32_t)n : 1;
}

/* Fill the unset degrees of a layout for a world; message names the flag. */
static int complete(struct tc_replay_parallel *L, uint32_t world,
		    const struct tc_replay_parallel *dflt, const char *what, struct tc_err *err)
{
	if (!L->tp)
		L->tp = dflt ? dflt->tp : 1;
	if (!L->pp)
		L->pp = dflt ? dflt->pp : 1;
	if (!L->ep)
		L->ep = dflt ? dflt->ep : 1;
	uint64_t mp = (uint64_t)L->tp * L->pp;
	if (!L->dp) {
		if (world % mp)
			return tc_err_set(err, TC_EINVAL,
					  "%s: world size %u is not divisible by tp x pp = %llu",
					  what, world, (unsigned long long)mp);
		L->dp = (uint32_t)(world / mp);
	}
	if ((uint64_t)L->dp * mp != world)
		return tc_err_set(err, TC_EINVAL, "%s: dp x tp x pp = %llu, not the world size %u",
				  what, (unsigned long long)(L->dp * mp), world);
	if (L->dp % L->ep)
		return tc_err_set(err, TC_EINVAL, "%s: ep=%u does not divide dp=%u", what, L->ep,
				  L->dp);
	return 0;
}

/* Projected / measured ns over the non-collective measured GPU work with chip as target. */
static int work_ratio(const struct tc_replay *r, const struct tc_chip *chip, double *out,
		      struct tc_err *err)
{
	struct tc_replay probe;
	memset(&probe, 0, sizeof(probe));
	probe.g = r->g;
	probe.opts = r->opts;
	probe.opts.target = chip;
	probe.opts.scale = NULL;
	probe.wc = calloc(r->g->n_works ? r->g->n_works : 1, sizeof(*probe.wc));
	if (!probe.wc)
		return tc_err_set(err, TC_ENOMEM, "replay: out of memory");
	int rc = rp_retime(&probe, err);
	*out = rp_peer_ratio(r->g, probe.wc);
	free(probe.wc);
	return rc;
}

/* Mixed fleets: a rank on another chip runs its GPU work at that chip's pace. Re-timing is
 * per work record, shared by every rank, so the rank gets the ratio of the two chips over
 * the measured non-collective work as a factor on its template's GPU lanes (as a
 * straggler); its collectives follow the target's network. */
static int rank_chips(struct tc_replay *r, uint32_t sw, uint32_t dw, struct tc_err *err)
{
	const struct tc_replay_scale *sc = r->opts.scale;
	const struct tc_replay_graph *g = r->g;
	double base;
	int rc;
	if (!r->opts.target || !r->opts.source)
		return tc_err_set(err, TC_EINVAL, "--rank-chip: needs a source and a target chip");
	r->rank_chip_factor = calloc(sc->n_rank_chips, sizeof(*r->rank_chip_factor));
	if (!r->rank_chip_factor)
		return tc_err_set(err, TC_ENOMEM, "replay: out of memory");
	r->lay.rank_chip_factor = r->rank_chip_factor;
	if ((rc = work_ratio(r, r->opts.target, &base, err)) < 0)
		return rc;
	for (size_t k = 0; k < sc->n_rank_chips; k++) {
		const struct tc_replay_rank_chip *C = &sc->rank_chips[k];
		double x;
		if (C->rank >= dw)
			return tc_err_set(err, TC_EINVAL,
					  "--rank-chip: rank %u is outside the world (%u ranks)",
					  C->rank, dw);
		if ((rc = work_ratio(r, C->chip, &x, err)) < 0)
			return rc;
		double f = base > 0 && x > 0 ? x / base : 1;
		r->rank_chip_factor[k] = f;
		uint32_t tq = C->rank % sw;
		for (size_t l = 0; l < g->n_lanes; l++)
			if (rp_lane_is_gpu(&g->lanes[l]) && g->lanes[l].rank == tq)
				r->lane_scale[l] *= f;
	}
	return 0;
}

int rp_layout_resolve(struct tc_replay *r, struct tc_err *err)
{
	const struct tc_replay_scale *sc = r->opts.scale;
	struct tc_replay_layout *L = &r->lay;
	const struct tc_replay_graph *g = r->g;
	memset(L, 0, sizeof(*L));
	L->compute_factor = 1;
	if (!sc)
		return 0;
	const struct tc_ops_header *h = tc_replay_graph_header(g);
	uint32_t sw = g->max_rank + 1;
	if (h && h->world_size > sw)
		sw = h->world_size;
	L->active = 1;
	L->src_world = sw;
	L->src = sc->src;
	int rc;
	const char *what = "--source-parallel";
	if (!L->src.dp && !L->src.tp && !L->src.pp && !L->src.ep && h) {
		/* not given: the layout the trace's process groups name (ingest's meta) */
		for (size_t i = 0; i < h->n_meta; i++)
			if (strcmp(h->meta[i].key, "source_parallel") == 0) {
				what = "the trace's process groups";
				if ((rc = tc_replay_parallel_parse(&L->src, h->meta[i].value, what,
								   err)) < 0)
					return rc;
			}
	}
	if ((rc = complete(&L->src, sw, NULL, what, err)) < 0)
		return rc;
	L->dst = sc->dst;
	uint32_t dw = sc->world;
	if (sc->world > MAX_DEGREE)
		return tc_err_set(err, TC_EINVAL, "--world-size: %u is above %u", sc->world,
				  MAX_DEGREE);
	if (!dw) {
		uint64_t tp = L->dst.tp ? L->dst.tp : L->src.tp,
			 pp = L->dst.pp ? L->dst.pp : L->src.pp;
		/* no world size: the replicas stay as traced (dp kept), the world follows */
		uint64_t w = (L->dst.dp ? L->dst.dp : L->src.dp) * tp * pp;
		if (w > MAX_DEGREE)
			return tc_err_set(err, TC_EINVAL, "--parallel: world size %llu is above %u",
					  (unsigned long long)w, MAX_DEGREE);
		dw = (uint32_t)w;
	}
	if ((rc = complete(&L->dst, dw, &L->src, sc->world ? "--world-size" : "--parallel", err)) <
	    0)
		return rc;
	L->dst_world = dw;
	const struct tc_chip *tc = r->opts.target ? r->opts.target : r->opts.source;
	uint32_t U = up_size(tc);
	if (tc && L->dst.tp > U)
		return tc_err_set(err, TC_EINVAL,
				  "--parallel: tp=%u is larger than a scale-up domain (%u on %s)",
				  L->dst.tp, U, tc_chip_id(tc));
	L->compute_factor = (double)L->src.tp * L->src.pp / ((double)L->dst.tp * L->dst.pp);
	if (!(sc->jitter >= 0 && sc->jitter < 1))
		return tc_err_set(err, TC_EINVAL, "--jitter: %g is outside [0, 1)", sc->jitter);
	r->jitter = sc->jitter;
	r->seed = sc->seed;
	if (sc->n_stragglers || sc->n_rank_chips) {
		r->lane_scale = malloc((g->n_lanes ? g->n_lanes : 1) * sizeof(*r->lane_scale));
		if (!r->lane_scale)
			return tc_err_set(err, TC_ENOMEM, "replay: out of memory");
		for (size_t l = 0; l < g->n_lanes; l++)
			r->lane_scale[l] = 1;
	}
	for (size_t k = 0; k < sc->n_stragglers; k++) {
		const struct tc_replay_straggler *S = &sc->stragglers[k];
		if (S->rank >= dw)
			return tc_err_set(err, TC_EINVAL,
					  "--straggler: rank %u is outside the world (%u ranks)",
					  S->rank, dw);
		if (!(S->factor > 0) || !isfinite(S->factor) || S->factor > 1e6)
			return tc_err_set(err, TC_EINVAL,
					  "--straggler: factor %g for rank %u: want > 0", S->factor,
					  S->rank);
		/* the rank's template: every collective it is in waits for it, so slowing the
		 * template's GPU work slows the job as the one slow rank would */
		uint32_t tq = S->rank % sw;
		for (size_t l = 0; l < g->n_lanes; l++)
			if (rp_lane_is_gpu(&g->lanes[l]) && g->lanes[l].rank == tq &&
			    S->factor > r->lane_scale[l])
				r->lane_scale[l] = S->factor;
	}
	if (sc->n_rank_chips && (rc = rank_chips(r, sw, dw, err)) < 0)
		return rc;
	if (L->dst.tp > L->src.tp && L->src.tp == 1)
		tc_warn(r->opts.log,
			"project: the trace has no TP collectives (tp=1): GPU work is "
			"divided by tp=%u but no TP communication is added",
			L->dst.tp);
	return 0;
}

unsigned rp_layout_kind(const struct tc_replay_layout *L, const struct rp_work *W)
{
	uint32_t n = W->group_size;
	unsigned k = W->coll_kind;
	if (!L->active || W->cls != TC_CLASS_COLLECTIVE || k == TC_COLL_NONE)
		return TC_GROUP_OTHER;
	if (k == TC_COLL_SEND || k == TC_COLL_RECV || k == TC_COLL_SENDRECV)
		return L->src.pp > 1 ? TC_GROUP_PP : TC_GROUP_OTHER;
	if (k == TC_COLL_ALLTOALL && L->src.ep > 1 && n == L->src.ep)
		return TC_GROUP_EP;
	if (L->src.tp > 1 && n == L->src.tp)
		return TC_GROUP_TP;
	if (n == L->src.dp || n == L->src_world)
		return TC_GROUP_DP;
	if (L->src.ep > 1 && n == L->src.ep)
		return TC_GROUP_EP;
	return TC_GROUP_OTHER;
}

/* Ranks of a group of n with rank stride s in one domain of U consecutive ranks. */
static uint32_t per_domain(uint32_t n, uint64_t s, uint32_t U)
{
	uint64_t r = s >= U ? 1 : U / s;
	return (uint32_t)(r > n ? n : r ? r : 1);
}

void rp_layout_ops(const struct tc_replay *r, const struct rp_work *W, struct tc_hw_op *hs,
		   struct tc_hw_op *hd)
{
	const struct tc_replay_layout *L = &r->lay;
	*hd = *hs;
	unsigned kind = rp_layout_kind(L, W);
	if (kind == TC_GROUP_OTHER)
		return;
	uint32_t Us = up_size(r->opts.source),
		 Ud = up_size(r->opts.target ? r->opts.target : r->opts.source);
	uint32_t n = hs->group_size, nd = n;
	uint64_t ss = 1, sd = 1;
	/* the whole-job group (a barrier, a job-wide all-to-all) grows with the world; in a
	 * pure-DP trace it is the DP group, which follows dp */
	int world = n == L->src_world && n != L->src.dp;
	switch (kind) {
	case TC_GROUP_DP:
		nd = world ? L->dst_world : L->dst.dp;
		ss = world ? 1 : L->src.tp;
		sd = world ? 1 : L->dst.tp;
		/* gradients and parameters are sharded by the model-parallel degree: a reduction
		 * over DP moves the rank's shard; all-to-all moves the rank's own samples */
		if (hs->coll_kind != TC_COLL_ALLTOALL && hs->coll_kind != TC_COLL_GATHER &&
		    hs->coll_kind != TC_COLL_SCATTER)
			hd->coll_bytes =
			    (uint64_t)llround((double)hs->coll_bytes * L->compute_factor);
		break;
	case TC_GROUP_TP: /* activations of a layer: bytes per rank do not change */
		nd = L->dst.tp;
		break;
	case TC_GROUP_EP: /* each rank's tokens */
		nd = L->dst.ep;
		ss = L->src.tp;
		sd = L->dst.tp;
		break;
	case TC_GROUP_PP: /* the stage boundary's activations; the peer is a stage away */
		ss = (uint64_t)L->src.tp * L->src.dp;
		sd = (uint64_t)L->dst.tp * L->dst.dp;
		hs->ranks_per_node = ss < Us ? 2 : 1;
		hd->ranks_per_node = sd < Ud ? 2 : 1;
		return;
	}
	hs->ranks_per_node = per_domain(n, ss, Us);
	hd->group_size = nd;
	hd->ranks_per_node = per_domain(nd, sd, Ud);
	if (hd->coll_bytes == 0 && hs->coll_bytes)
		hd->coll_bytes = 1;
}

/* Collective time by group kind, and the part of it no other GPU op of the rank overlaps
 * (exposed), over ops in reported steps. */
static int cmp_iv(const void *a, const void *b)
{
	const int64_t *x = a, *y = b;
	return x[0] < y[0] ? -1 : x[0] > y[0];
}

int rp_layout_comm(struct tc_replay *r, struct tc_err *err)
{
	const struct tc_replay_graph *g = r->g;
	struct tc_replay_layout *L = &r->lay;
	if (!L->active)
		return 0;
	size_t nr = (size_t)g->max_rank + 1;
	/* per rank: merged busy intervals of its non-collective GPU ops */
	size_t *cnt = calloc(nr + 1, sizeof(*cnt));
	int64_t(*iv)[2] = NULL;
	size_t niv = 0;
	for (uint32_t i = 0; cnt && i < g->n; i++)
		if ((g->flags[i] & RP_F_GPU) && !(g->flags[i] & RP_F_PASSIVE) && r->opk[i] &&
		    g->works[g->ref[i]].cls != TC_CLASS_COLLECTIVE)
			cnt[g->lanes[g->lane[i]].rank + 1]++, niv++;
	iv = malloc((niv ? niv : 1) * sizeof(*iv));
	if (!cnt || !iv) {
		free(cnt);
		free(iv);
		return tc_err_set(err, TC_ENOMEM, "replay: out of memory");
	}
	for (size_t q = 0; q < nr; q++)
		cnt[q + 1] += cnt[q];
	size_t *fill = calloc(nr, sizeof(*fill));
	if (!fill) {
		free(cnt);
		free(iv);
		return tc_err_set(err, TC_ENOMEM, "replay: out of memory");
	}
	for (uint32_t i = 0; i < g->n; i++)
		if ((g->flags[i] & RP_F_GPU) && !(g->flags[i] & RP_F_PASSIVE) && r->opk[i] &&
		    g->works[g->ref[i]].cls != TC_CLASS_COLLECTIVE) {
			uint32_t q = g->lanes[g->lane[i]].rank;
			int64_t *v = iv[cnt[q] + fill[q]++];
			v[0] = r->start[i];
			v[1] = r->end[i];
		}
	/* sort and merge each rank's intervals in place; cnt[q]..cnt[q]+fill[q] */
	for (size_t q = 0; q < nr; q++) {
		int64_t(*a)[2] = iv + cnt[q];
		size_t m = fill[q], o = 0;
		qsort(a, m, sizeof(*a), cmp_iv);
		for (size_t k = 0; k < m; k++) {
			if (o && a[k][0] <= a[o - 1][1]) {
				if (a[k][1] > a[o - 1][1])
					a[o - 1][1] = a[k][1];
			} else {
				a[o][0] = a[k][0];
				a[o][1] = a[k][1];
				o++;
			}
		}
		fill[q] = o;
	}
	for (uint32_t i = 0; i < g->n; i++) {
		if (!(g->flags[i] & RP_F_GPU) || (g->flags[i] & RP_F_PASSIVE) || !r->opk[i])
			continue;
		const struct rp_work *W = &g->works[g->ref[i]];
		if (W->cls != TC_CLASS_COLLECTIVE)
			continue;
		unsigned k = rp_layout_kind(L, W);
		int64_t s = r->start[i], e = r->end[i];
		L->coll_ops[k]++;
		L->proj_comm_ns[k] += (double)(e - s);
		uint32_t q = g->lanes[g->lane[i]].rank;
		int64_t(*a)[2] = iv + cnt[q];
		/* first interval ending after s (binary search), then walk while it starts < e */
		size_t lo = 0, hi = fill[q];
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			if (a[mid][1] <= s)
				lo = mid + 1;
			else
				hi = mid;
		}
		int64_t covered = 0;
		for (size_t j = lo; j < fill[q] && a[j][0] < e; j++) {
			int64_t x = a[j][0] > s ? a[j][0] : s, y = a[j][1] < e ? a[j][1] : e;
			if (y > x)
				covered += y - x;
		}
		L->exposed_comm_ns[k] += (double)(e - s - covered);
	}
	free(cnt);
	free(fill);
	free(iv);
	return 0;
}

const struct tc_replay_layout *tc_replay_layout(const struct tc_replay *r)
{
	return &r->lay;
}

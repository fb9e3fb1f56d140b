/* layout_report.c - the scale-out what-if in the text and JSON reports: both layouts, the
 * synthesised ranks, stragglers and jitter, and the communication by group kind (its share
 * of the ranks' step time and the part no other GPU work hides). docs/projection.md §6. */
#include <math.h>

#include "rp_internal.h"

static void par_json(FILE *fp, uint32_t world, const struct tc_replay_parallel *p)
{
	fprintf(fp, "{\"world\": %u, \"dp\": %u, \"tp\": %u, \"pp\": %u, \"ep\": %u}", world, p->dp,
		p->tp, p->pp, p->ep);
}

/* Sum over ranks and reported steps of the projected step: the time the shares divide. */
static double rank_time(const struct tc_replay *r)
{
	double t = 0;
	for (size_t k = 0; k < r->n_steps; k++)
		t += (double)r->steps[k].proj_ns;
	return t;
}

static double share(double x, double t)
{
	return t > 0 ? x / t : 0;
}

void rp_layout_write_json(const struct tc_replay *r, FILE *fp)
{
	const struct tc_replay_layout *L = &r->lay;
	const struct tc_replay_scale *sc = r->opts.scale;
	char b[64];
	if (!L->active)
		return;
	fputs("  \"layout\": {\"source\": ", fp);
	par_json(fp, L->src_world, &L->src);
	fputs(", \"target\": ", fp);
	par_json(fp, L->dst_world, &L->dst);
	fprintf(fp, ", \"compute_factor\": %s", tc_fmt_double(b, sizeof(b), L->compute_factor));
	fprintf(fp, ", \"traced_ranks\": %u, \"synthesised_ranks\": %u", r->g->n_ranks,
		L->dst_world > r->g->n_ranks ? L->dst_world - r->g->n_ranks : 0);
	fputs(", \"stragglers\": [", fp);
	for (size_t i = 0; i < sc->n_stragglers; i++)
		fprintf(fp, "%s{\"rank\": %u, \"factor\": %s}", i ? ", " : "",
			sc->stragglers[i].rank,
			tc_fmt_double(b, sizeof(b), sc->stragglers[i].factor));
	fprintf(fp, "], \"jitter\": %s, \"seed\": %llu", tc_fmt_double(b, sizeof(b), sc->jitter),
		(unsigned long long)sc->seed);
	fputs(", \"rank_chips\": [", fp);
	for (size_t i = 0; i < sc->n_rank_chips; i++) {
		fprintf(fp, "%s{\"rank\": %u, \"chip\": ", i ? ", " : "", sc->rank_chips[i].rank);
		tc_fput_json_str(fp, tc_chip_id(sc->rank_chips[i].chip));
		fprintf(fp, ", \"factor\": %s}",
			tc_fmt_double(b, sizeof(b), L->rank_chip_factor[i]));
	}
	fputs("]", fp);
	fputs(", \"comm_by_group\": {", fp);
	double t = rank_time(r);
	for (unsigned k = 0; k < TC_GROUP__COUNT; k++) {
		char c[64], d[64], e[64];
		fprintf(fp,
			"%s\"%s\": {\"ops\": %llu, \"projected_ns\": %s, \"exposed_ns\": %s, "
			"\"share\": %s}",
			k ? ", " : "", tc_group_kind_name(k), (unsigned long long)L->coll_ops[k],
			tc_fmt_double(c, sizeof(c), L->proj_comm_ns[k]),
			tc_fmt_double(d, sizeof(d), L->exposed_comm_ns[k]),
			tc_fmt_double(e, sizeof(e), share(L->proj_comm_ns[k], t)));
	}
	fputs("}},\n", fp);
}

void rp_layout_write_text(const struct tc_replay *r, FILE *fp)
{
	const struct tc_replay_layout *L = &r->lay;
	const struct tc_replay_scale *sc = r->opts.scale;
	char a[32], b[32], c[32];
	if (!L->active)
		return;
	fprintf(fp,
		"\nlayout           source dp=%u tp=%u pp=%u ep=%u (%u ranks)   target dp=%u tp=%u "
		"pp=%u ep=%u (%u ranks: %u traced ranks stand for them)\n",
		L->src.dp, L->src.tp, L->src.pp, L->src.ep, L->src_world, L->dst.dp, L->dst.tp,
		L->dst.pp, L->dst.ep, L->dst_world, r->g->n_ranks);
	fprintf(fp, "                 GPU work per rank x%s",
		tc_fmt_fixed(a, sizeof(a), L->compute_factor, 3));
	for (size_t i = 0; i < sc->n_stragglers; i++)
		fprintf(fp, "; straggler rank %u x%s", sc->stragglers[i].rank,
			tc_fmt_fixed(a, sizeof(a), sc->stragglers[i].factor, 2));
	for (size_t i = 0; i < sc->n_rank_chips; i++)
		fprintf(fp, "; rank %u on %s: GPU work x%s", sc->rank_chips[i].rank,
			tc_chip_id(sc->rank_chips[i].chip),
			tc_fmt_fixed(a, sizeof(a), L->rank_chip_factor[i], 3));
	if (sc->jitter > 0)
		fprintf(fp, "; jitter %s (seed %llu)", tc_fmt_fixed(a, sizeof(a), sc->jitter, 3),
			(unsigned long long)sc->seed);
	fputc('\n', fp);
	double t = rank_time(r);
	fprintf(fp, "%-14s %8s %12s %7s %12s\n", "comm by group", "ops", "projected", "share",
		"exposed");
	for (unsigned k = 0; k < TC_GROUP__COUNT; k++)
		if (L->coll_ops[k])
			fprintf(fp, "%-14s %8llu %12s %6s%% %12s\n", tc_group_kind_name(k),
				(unsigned long long)L->coll_ops[k],
				tc_fmt_ns(a, sizeof(a), L->proj_comm_ns[k]),
				tc_fmt_fixed(b, sizeof(b), 100 * share(L->proj_comm_ns[k], t), 1),
				tc_fmt_ns(c, sizeof(c), L->exposed_comm_ns[k]));
}

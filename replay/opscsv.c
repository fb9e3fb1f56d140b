/* opscsv.c - every op of a run as CSV (project --ops-csv, the Python package's .ops()): where
 * it ran, what it is, its work, and its time on both sides. One row per op in stream order;
 * the columns are docs/projection.md §5's "ops table". */
#include <stdio.h>
#include <string.h>

#include "rp_internal.h"

int tc_replay_write_ops_csv(const struct tc_replay *r, FILE *fp, struct tc_err *err)
{
	const struct tc_replay_graph *g = r->g;
	char buf[64];
	fputs("op,rank,lane,kind,class,name,bound,source_start_ns,source_dur_ns,"
	      "projected_start_ns,projected_dur_ns,flops,bytes\n",
	      fp);
	for (uint32_t i = 0; i < g->n && !ferror(fp); i++) {
		const struct rp_lane *L = &g->lanes[g->lane[i]];
		fprintf(fp, "%u,%u,%u,%s,%s,", i, L->rank, g->lane[i], tc_kind_name(g->kind[i]),
			tc_class_name(g->cls[i]));
		tc_fput_csv(fp, rp_op_name(g, i, buf, sizeof(buf)));
		int gpu = (g->flags[i] & RP_F_GPU) != 0;
		fprintf(fp, ",%s,%lld,%lld,%lld,%lld,",
			gpu ? tc_bound_name(tc_replay_op_bound(r, i)) : "", (long long)g->ts[i],
			(long long)(rp_src_end(g, i) - g->ts[i]), (long long)r->start[i],
			(long long)(r->end[i] - r->start[i]));
		if (g->flags[i] & RP_F_WORK) {
			const struct rp_work *W = &g->works[g->ref[i]];
			if (W->has_work)
				fprintf(fp, "%llu,%llu\n", (unsigned long long)W->flops,
					(unsigned long long)(W->bytes_read + W->bytes_written));
			else
				fputs(",\n", fp);
		} else {
			fputs(",\n", fp);
		}
	}
	if (ferror(fp))
		return tc_err_set(err, TC_EIO, "ops CSV: write failed");
	return 0;
}

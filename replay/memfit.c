/* memfit.c - does the job fit the target's memory? The trace's peak GPU allocation per rank
 * (the caching allocator's "Total Allocated" in Kineto's [memory] events, kept by ingest as
 * header meta gpu_peak_allocated_bytes: the largest rank's) against the target's HBM
 * capacity. A scale-out what-if that changes tensor or pipeline parallelism divides the
 * model state and activations a rank holds by the same factor it divides its compute
 * (docs/projection.md §6); data parallelism keeps a full copy per rank (no ZeRO sharding is
 * modelled). Traces without memory events have no answer, and say so by omission. */
#include <stdlib.h>
#include <string.h>

#include "rp_internal.h"

void rp_memfit(struct tc_replay *r)
{
	struct tc_replay_memory *m = &r->memory;
	memset(m, 0, sizeof(*m));
	const struct tc_ops_header *h = tc_replay_graph_header(r->g);
	const struct tc_chip *c = r->opts.target ? r->opts.target : r->opts.source;
	if (!h || !c)
		return;
	const char *peak = NULL;
	for (size_t i = 0; i < h->n_meta && !peak; i++)
		if (strcmp(h->meta[i].key, "gpu_peak_allocated_bytes") == 0)
			peak = h->meta[i].value;
	const char *cap = tc_chip_get(c, "memory.hbm.capacity_gb", NULL);
	if (!peak || !cap)
		return;
	m->peak_bytes = strtod(peak, NULL);
	m->capacity_bytes = strtod(cap, NULL) * 1e9;
	double f = 1.0;
	const struct tc_replay_layout *L = tc_replay_layout(r);
	if (L && L->active) {
		double s = (double)(L->src.tp ? L->src.tp : 1) * (L->src.pp ? L->src.pp : 1);
		double d = (double)(L->dst.tp ? L->dst.tp : 1) * (L->dst.pp ? L->dst.pp : 1);
		f = s / d;
	}
	m->projected_bytes = m->peak_bytes * f;
	m->have = m->peak_bytes > 0 && m->capacity_bytes > 0;
	m->fits = m->projected_bytes <= m->capacity_bytes;
}

const struct tc_replay_memory *tc_replay_memory(const struct tc_replay *r)
{
	return r->memory.have ? &r->memory : NULL;
}

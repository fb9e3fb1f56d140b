/* report.c - the answers as text, as JSON (schema in docs/projection.md) and the identity
 * validation table. Numbers go through util's locale-independent formatters; nothing here
 * depends on pointers, hash order or the clock, so the bytes are reproducible. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rp_internal.h"

/* ---- JSON helpers ---------------------------------------------------------------------- */

static void jnum(FILE *fp, double v)
{
	char b[64];
	if (!isfinite(v)) {
		fputs("null", fp);
		return;
	}
	fputs(tc_fmt_double(b, sizeof(b), v), fp);
}

/* pre "key": number */
static void jkv(FILE *fp, const char *pre, const char *key, double v)
{
	fprintf(fp, "%s\"%s\": ", pre, key);
	jnum(fp, v);
}

static void jint(FILE *fp, int64_t v)
{
	fprintf(fp, "%lld", (long long)v);
}

/* a / b, or NaN ("-" in text, null in JSON) when either side is unknown (ONNX has no source
 * time): never a misleading 0x speedup. */
static double ratio(double a, double b)
{
	return a > 0 && b > 0 ? a / b : NAN;
}

static const char *chip_id(const struct tc_chip *c)
{
	return c ? tc_chip_id(c) : NULL;
}

static const char *mode_name(const struct tc_replay *r)
{
	return r->opts.target ? "projection" : "identity";
}

static void totals_energy(const struct tc_replay *r, double *ej, double *eusd, int proj)
{
	*ej = *eusd = 0;
	for (size_t k = 0; k < r->n_steps; k++) {
		*ej += proj ? r->steps[k].proj_energy_j : r->steps[k].src_energy_j;
		*eusd += proj ? r->steps[k].proj_dollars : r->steps[k].src_dollars;
	}
}

static void bound_totals(const struct tc_replay *r, double out[TC_BOUND__COUNT], int proj)
{
	for (unsigned b = 0; b < TC_BOUND__COUNT; b++) {
		out[b] = 0;
		for (size_t k = 0; k < r->n_steps; k++)
			out[b] += proj ? r->steps[k].proj_bound_ns[b] : r->steps[k].src_bound_ns[b];
	}
}

static void j_bounds(FILE *fp, const double b[TC_BOUND__COUNT])
{
	fputc('{', fp);
	for (unsigned k = 0; k < TC_BOUND__COUNT; k++) {
		if (k)
			fputs(", ", fp);
		tc_fput_json_str(fp, tc_bound_name(k));
		fputs(": ", fp);
		jnum(fp, b[k]);
	}
	fputc('}', fp);
}

static void j_top(FILE *fp, const struct tc_replay *r, const struct rp_top *t)
{
	char buf[32];
	fputs("{\"name\": ", fp);
	const char *nm = rp_string(r->g, t->name);
	if (!nm[0]) {
		snprintf(buf, sizeof(buf), "string#%u", t->name);
		nm = buf;
	}
	tc_fput_json_str(fp, nm);
	fputs(", \"class\": ", fp);
	tc_fput_json_str(fp, tc_class_name(t->cls));
	fputs(", \"bound\": ", fp);
	tc_fput_json_str(fp, tc_bound_name(t->bound));
	fputs(", \"count\": ", fp);
	jint(fp, (int64_t)t->count);
	fputs(", \"source_ns\": ", fp);
	jnum(fp, t->src_ns);
	fputs(", \"projected_ns\": ", fp);
	jnum(fp, t->proj_ns);
	fputs(", \"change_ns\": ", fp);
	jnum(fp, t->proj_ns - t->src_ns);
	fputc('}', fp);
}

/* Indices of the top table sorted by |change| (descending, ties by position). */
static size_t *by_change(const struct tc_replay *r)
{
	size_t *idx = malloc((r->n_top ? r->n_top : 1) * sizeof(*idx));
	if (!idx)
		return NULL;
	for (size_t i = 0; i < r->n_top; i++)
		idx[i] = i;
	for (size_t i = 1; i < r->n_top; i++) { /* insertion sort, stable; tables are small */
		size_t v = idx[i], j = i;
		double cv = fabs(r->top[v].proj_ns - r->top[v].src_ns);
		while (j > 0 && fabs(r->top[idx[j - 1]].proj_ns - r->top[idx[j - 1]].src_ns) < cv) {
			idx[j] = idx[j - 1];
			j--;
		}
		idx[j] = v;
	}
	return idx;
}

static void write_band_json(const struct tc_replay *r, FILE *fp);

/* schema, tool, mode, input, chips and options */
static void json_head(const struct tc_replay *r, FILE *fp)
{
	const struct tc_replay_graph *g = r->g;
	const struct tc_ops_header *h = tc_replay_graph_header(g);
	fprintf(fp, "{\n  \"schema\": \"%s\",\n  \"schema_version\": %d,\n", TC_REPLAY_SCHEMA,
		TC_REPLAY_SCHEMA_VERSION);
	fputs("  \"tool\": {\"name\": \"tracecast\", \"version\": ", fp);
	tc_fput_json_str(fp, TC_VERSION);
	fputs("},\n  \"mode\": ", fp);
	tc_fput_json_str(fp, mode_name(r));
	fputs(",\n  \"input\": {\"source_format\": ", fp);
	tc_fput_json_str(fp, h ? h->source_format : "memory");
	fputs(", \"source_files\": [", fp);
	for (size_t i = 0; h && i < h->n_source_files; i++) {
		if (i)
			fputs(", ", fp);
		/* basenames only: the same trace in another directory gives the same report */
		const char *f = h->source_files[i], *sl = strrchr(f, '/');
		tc_fput_json_str(fp, sl ? sl + 1 : f);
	}
	fprintf(fp, "], \"ops\": %llu, \"gpu_ops\": %llu, \"ranks\": %u, \"lanes\": %u},\n",
		(unsigned long long)g->stats.ops, (unsigned long long)g->stats.gpu_ops,
		g->stats.ranks, g->stats.lanes);
	fputs("  \"source_chip\": ", fp);
	if (r->opts.source) {
		fputs("{\"id\": ", fp);
		tc_fput_json_str(fp, chip_id(r->opts.source));
		fputs(", \"name\": ", fp);
		tc_fput_json_str(fp, tc_chip_name(r->opts.source));
		fputc('}', fp);
	} else {
		fputs("null", fp);
	}
	fputs(",\n  \"target_chip\": ", fp);
	if (r->opts.target) {
		fputs("{\"id\": ", fp);
		tc_fput_json_str(fp, chip_id(r->opts.target));
		fputs(", \"name\": ", fp);
		tc_fput_json_str(fp, tc_chip_name(r->opts.target));
		fputs(", \"overrides\": [", fp);
		for (size_t i = 0; i < r->opts.n_sets; i++) {
			if (i)
				fputs(", ", fp);
			tc_fput_json_str(fp, r->opts.sets[i]);
		}
		fputs("]}", fp);
	} else {
		fputs("null", fp);
	}
	fputs(",\n  \"options\": {\"host_scale\": ", fp);
	jnum(fp, r->opts.host_scale);
	fputs(", \"steps\": ", fp);
	jint(fp, r->opts.max_steps);
	fputs("},\n", fp);
}

/* the summary's host/GPU split, waits and the stuck cause (insight.c) */
static void json_insight(const struct tc_replay *r, FILE *fp)
{
	struct rp_insight in;
	rp_insight(r, &in);
	fputs(",\n    \"source_gpu_step_ns\": ", fp);
	jnum(fp, in.src_gpu_step_ns);
	fputs(", \"projected_gpu_step_ns\": ", fp);
	jnum(fp, in.proj_gpu_step_ns);
	fputs(", \"host_only_step_ns\": ", fp);
	jnum(fp, in.have_ceiling ? in.ceil_step_ns : NAN);
	fputs(", \"speedup_ceiling\": ", fp);
	jnum(fp, in.have_ceiling ? in.ceiling : NAN);
	fputs(", \"host_share\": ", fp);
	jnum(fp, in.have_ceiling ? in.host_share : NAN);
	fputs(", \"gpu_share\": ", fp);
	jnum(fp, in.gpu_share);
	fprintf(fp, ", \"carry_over_gpu_ops\": %llu", (unsigned long long)in.carry_ops);
	fputs(", \"busiest_stream_busy_ns\": ", fp);
	jnum(fp, in.busiest_stream_ns);
	fprintf(fp, ",\n    \"waits_inferred\": {\"used\": %s",
		r->opts.no_infer_waits ? "false" : "true");
	struct rp_wait_count wk[RP_WAIT_KINDS];
	for (size_t k = 0, nw = rp_wait_counts(r->g, wk); k < nw; k++) {
		fputs(", ", fp);
		tc_fput_json_str(fp, wk[k].kind);
		fprintf(fp, ": %llu", (unsigned long long)wk[k].n);
	}
	fputs("}, \"host_bound\": ", fp);
	fputs(in.host_bound ? "true" : "false", fp);
	fputs(", \"stuck\": ", fp);
	if (in.stuck)
		tc_fput_json_str(fp, in.stuck_cause);
	else
		fputs("null", fp);
}

/* the summary: per job step times, energy, dollars, band, memory */
static void json_summary(const struct tc_replay *r, FILE *fp)
{
	const struct tc_chip *dst = r->opts.target ? r->opts.target : r->opts.source;
	double sj, susd, pj, pusd, nk = (double)r->n_job_steps;
	totals_energy(r, &sj, &susd, 0);
	totals_energy(r, &pj, &pusd, 1);
	fprintf(fp, "  \"summary\": {\"steps\": %zu, \"source_step_ns\": ", r->n_job_steps);
	jnum(fp, nk > 0 ? (double)r->src_total_ns / nk : 0);
	fputs(", \"projected_step_ns\": ", fp);
	jnum(fp, nk > 0 ? (double)r->proj_total_ns / nk : 0);
	fputs(", \"speedup\": ", fp);
	jnum(fp, ratio((double)r->src_total_ns, (double)r->proj_total_ns));
	fputs(", \"source_energy_j_per_step\": ", fp);
	jnum(fp, r->opts.source && nk > 0 ? sj / nk : NAN);
	fputs(", \"projected_energy_j_per_step\": ", fp);
	jnum(fp, dst && nk > 0 ? pj / nk : NAN);
	fputs(", \"source_steps_per_j\": ", fp);
	jnum(fp, r->opts.source ? ratio(nk, sj) : NAN);
	fputs(", \"projected_steps_per_j\": ", fp);
	jnum(fp, dst ? ratio(nk, pj) : NAN);
	fputs(", \"source_steps_per_usd\": ", fp);
	jnum(fp, r->opts.source ? ratio(nk, susd) : NAN);
	fputs(", \"projected_steps_per_usd\": ", fp);
	jnum(fp, dst ? ratio(nk, pusd) : NAN);
	json_insight(r, fp);
	write_band_json(r, fp);
	{
		const struct tc_replay_memory *m = tc_replay_memory(r);
		fputs(",\n    \"memory\": ", fp);
		if (m) {
			jkv(fp, "{", "peak_allocated_bytes", m->peak_bytes);
			jkv(fp, ", ", "projected_bytes", m->projected_bytes);
			jkv(fp, ", ", "capacity_bytes", m->capacity_bytes);
			fprintf(fp, ", \"fits\": %s}", m->fits ? "true" : "false");
		} else {
			fputs("null", fp);
		}
	}
	fputs("},\n", fp);
}

/* every reported step, on both sides */
static void json_steps(const struct tc_replay *r, FILE *fp)
{
	fputs("  \"steps\": [", fp);
	for (size_t k = 0; k < r->n_steps; k++) {
		const struct tc_replay_step *s = &r->steps[k];
		fputs(k ? ",\n    " : "\n    ", fp);
		fprintf(fp, "{\"rank\": %u, \"name\": ", s->rank);
		tc_fput_json_str(fp, s->name);
		fputs(", \"op\": ", fp);
		if (s->op == UINT64_MAX)
			fputs("null", fp);
		else
			jint(fp, (int64_t)s->op);
		fprintf(fp, ", \"gpu_ops\": %llu, \"speedup\": ", (unsigned long long)s->gpu_ops);
		jnum(fp, ratio((double)s->src_ns, (double)s->proj_ns));
		for (int v = 0; v < 2; v++) {
			fputs(v ? ", \"projected\": {" : ",\n     \"source\": {", fp);
			fputs("\"start_ns\": ", fp);
			jint(fp, v ? s->proj_start : s->src_start);
			fputs(", \"step_ns\": ", fp);
			jint(fp, v ? s->proj_ns : s->src_ns);
			fputs(", \"cpu_start_ns\": ", fp);
			jint(fp, v ? s->proj_cpu_start : s->src_cpu_start);
			fputs(", \"cpu_step_ns\": ", fp);
			jint(fp, v ? s->proj_cpu_ns : s->src_cpu_ns);
			fputs(", \"gpu_span_ns\": ", fp);
			jint(fp, v ? s->proj_gpu_ns : s->src_gpu_ns);
			fputs(", \"job_step_ns\": ", fp);
			jint(fp, v ? s->proj_job_ns : s->src_job_ns);
			if (v && !r->opts.summary_only) {
				fputs(", \"host_only_ns\": ", fp);
				jint(fp, s->ceil_ns);
			}
			fputs(", \"gpu_busy_ns\": ", fp);
			jint(fp, v ? s->proj_busy_ns : s->src_busy_ns);
			fputs(", \"energy_j\": ", fp);
			jnum(fp, v ? s->proj_energy_j : s->src_energy_j);
			fputs(", \"usd\": ", fp);
			jnum(fp, v ? s->proj_dollars : s->src_dollars);
			fputs(", \"bound_ns\": ", fp);
			j_bounds(fp, v ? s->proj_bound_ns : s->src_bound_ns);
			fputc('}', fp);
		}
		fputc('}', fp);
	}
	fputs("\n  ],\n", fp);
}

/* by bound, exposed communication and by class */
static void json_by_class(const struct tc_replay *r, FILE *fp)
{
	double bs[TC_BOUND__COUNT], bp[TC_BOUND__COUNT];
	bound_totals(r, bs, 0);
	bound_totals(r, bp, 1);
	fputs("  \"by_bound\": {\"source\": ", fp);
	j_bounds(fp, bs);
	fputs(", \"projected\": ", fp);
	j_bounds(fp, bp);
	fputs("},\n  \"exposed_comm_ns\": {\"source\": ", fp);
	jnum(fp, bs[TC_BOUND_COMM]);
	fputs(", \"projected\": ", fp);
	jnum(fp, bp[TC_BOUND_COMM]);
	fputs("},\n", fp);

	/* by class */
	fputs("  \"by_class\": [", fp);
	int first = 1;
	for (unsigned c = 0; c < TC_CLASS__COUNT; c++) {
		if (!r->class_count[c])
			continue;
		fputs(first ? "\n    " : ",\n    ", fp);
		first = 0;
		fputs("{\"class\": ", fp);
		tc_fput_json_str(fp, tc_class_name(c));
		fprintf(fp, ", \"count\": %llu, \"source_ns\": ",
			(unsigned long long)r->class_count[c]);
		jnum(fp, r->class_src_ns[c]);
		fputs(", \"projected_ns\": ", fp);
		jnum(fp, r->class_proj_ns[c]);
		fputs(", \"speedup\": ", fp);
		jnum(fp, ratio(r->class_src_ns[c], r->class_proj_ns[c]));
		fputc('}', fp);
	}
	fputs("\n  ],\n", fp);
}

/* the critical path's length and its share by class */
static void json_critical_path(const struct tc_replay *r, FILE *fp)
{
	fputs("  \"critical_path\": {\"length_ns\": ", fp);
	jint(fp, r->cp_len_ns);
	fprintf(fp, ", \"gpu_ops\": %llu, \"by_class\": [", (unsigned long long)r->cp_ops);
	int first = 1;
	for (unsigned c = 0; c <= TC_CLASS__COUNT; c++) {
		if (r->cp_class_ns[c] <= 0)
			continue;
		fputs(first ? "" : ", ", fp);
		first = 0;
		fputs("{\"class\": ", fp);
		tc_fput_json_str(fp, c < TC_CLASS__COUNT ? tc_class_name(c)
							 : TC_REPLAY_CP_HOST_LATENCY);
		fputs(", \"ns\": ", fp);
		jnum(fp, r->cp_class_ns[c]);
		fputs(", \"share\": ", fp);
		jnum(fp, ratio(r->cp_class_ns[c], (double)r->cp_len_ns));
		fputc('}', fp);
	}
	fputs("]},\n", fp);
}

/* the top ops by projected time and by change (chg: by_change's order) */
static void json_top(const struct tc_replay *r, FILE *fp, const size_t *chg)
{
	size_t nt = TC_MIN((size_t)r->opts.top_n, r->n_top);
	fputs("  \"top_ops\": {\"by_projected_time\": [", fp);
	for (size_t i = 0; i < nt; i++) {
		fputs(i ? ",\n    " : "\n    ", fp);
		j_top(fp, r, &r->top[i]);
	}
	fputs("],\n   \"by_change\": [", fp);
	for (size_t i = 0; i < nt; i++) {
		fputs(i ? ",\n    " : "\n    ", fp);
		j_top(fp, r, &r->top[chg[i]]);
	}
	fputs("]},\n", fp);
}

/* what the run could not model, counted */
static void json_warnings(const struct tc_replay *r, FILE *fp)
{
	const struct tc_replay_warnings *w = &r->warn;
	fputs("  \"warnings\": {\"no_cost_model\": {", fp);
	int first = 1;
	for (unsigned c = 0; c < TC_CLASS__COUNT; c++)
		if (w->no_cost_model[c]) {
			fputs(first ? "" : ", ", fp);
			first = 0;
			tc_fput_json_str(fp, tc_class_name(c));
			fprintf(fp, ": %llu", (unsigned long long)w->no_cost_model[c]);
		}
	fputs("}, \"dtype_missing\": {", fp);
	first = 1;
	for (unsigned d = 0; d < TC_DT__COUNT; d++)
		if (w->dtype_missing[d]) {
			fputs(first ? "" : ", ", fp);
			first = 0;
			tc_fput_json_str(fp, tc_dtype_name(d));
			fprintf(fp, ": %llu", (unsigned long long)w->dtype_missing[d]);
		}
	fprintf(fp,
		"}, \"unknown_work\": %llu, \"unmatched_collectives\": %llu, "
		"\"forced_collectives\": %llu, \"no_gpu_work\": %s, \"no_steps\": %s, "
		"\"unresolved_waits\": %llu, \"broken_cycles\": %llu, "
		"\"inferred_collective_bytes\": %llu},\n",
		(unsigned long long)w->unknown_work, (unsigned long long)w->unmatched_collectives,
		(unsigned long long)w->forced_collectives, w->no_gpu_work ? "true" : "false",
		w->no_steps ? "true" : "false", (unsigned long long)w->unresolved_waits,
		(unsigned long long)w->broken_cycles, (unsigned long long)w->inferred_coll_bytes);
	rp_layout_write_json(r, fp);
}

/* where each family of figures comes from */
static void json_provenance(const struct tc_replay *r, FILE *fp)
{
	const struct tc_chip *dst = r->opts.target ? r->opts.target : r->opts.source;
	fputs("  \"provenance\": {\n", fp);
	fputs("    \"gpu_op_time\": ", fp);
	tc_fput_json_str(
	    fp, r->g->src_model ? "no measured time (ONNX): hwmodel tc_hw_op_cost of every op on "
				  "the source chip (the source side) and on the target"
		: r->opts.target
		    ? "measured ops: t_src * model(target, op) / model(source, op) "
		      "(hwmodel tc_hw_scale); ONNX nodes: hwmodel tc_hw_op_cost on the "
		      "target; collectives: latest arrival of the group + re-timed transfer"
		    : "measured durations replayed unchanged (identity)");
	fputs(",\n    \"host_time\": ", fp);
	tc_fput_json_str(fp, "measured gaps between CPU points x options.host_scale");
	fputs(",\n    \"bound\": ", fp);
	tc_fput_json_str(
	    fp, "hwmodel cost bound per op on each chip; step time split by priority compute > "
		"memory > launch > comm > host > idle");
	fputs(",\n    \"energy\": ", fp);
	tc_fput_json_str(
	    fp, "hwmodel tc_chip_energy_j(chip, step time, busy ns and utilisation by bound), "
		"summed over ranks");
	fputs(",\n    \"dollars\": ", fp);
	tc_fput_json_str(fp, "hwmodel tc_chip_dollars(chip, step time, energy)");
	fputs(",\n    \"chips\": {\"source\": ", fp);
	tc_fput_json_str(fp, chip_id(r->opts.source));
	fputs(", \"target\": ", fp);
	tc_fput_json_str(fp, chip_id(dst));
	fputs("}\n  }\n}\n", fp);
}

int tc_replay_write_json(const struct tc_replay *r, FILE *fp, struct tc_err *err)
{
	size_t *chg = by_change(r);
	if (!chg)
		return tc_err_set(err, TC_ENOMEM, "replay: out of memory");
	json_head(r, fp);
	json_summary(r, fp);
	json_steps(r, fp);
	json_by_class(r, fp);
	json_critical_path(r, fp);
	json_top(r, fp, chg);
	free(chg);
	json_warnings(r, fp);
	json_provenance(r, fp);
	if (ferror(fp))
		return tc_err_set(err, TC_EIO, "writing the JSON report failed");
	return 0;
}

/* ---- text ------------------------------------------------------------------------------------ */

static const char *ns(char *b, double v)
{
	return tc_fmt_ns(b, 32, v);
}

static const char *fx(char *b, double v, int prec)
{
	if (!isfinite(v))
		return "-";
	return tc_fmt_fixed(b, 32, v, prec);
}

/* The uncertainty band (band.c): where the step and the speedup fall if each op class is off
 * by what the testbench measures for the chips' model. */
static void write_band_text(const struct tc_replay *r, FILE *fp)
{
	const struct tc_replay_band *b = tc_replay_band(r);
	char x[32], y[32], u[32], v[32];
	if (!b)
		return;
	fprintf(fp, "band p10-p90     step %s - %s", ns(x, b->step_p10), ns(y, b->step_p90));
	if (isfinite(b->speedup_p10))
		fprintf(fp, "   speedup %sx - %sx", fx(u, b->speedup_p10, 3),
			fx(v, b->speedup_p90, 3));
	fprintf(fp, "   (%d draws, %s model error)\n", b->draws,
		b->analytic == 2 ? "the target's analytic; speedup: both chips' scaling"
		: b->analytic	 ? "the target's analytic"
				 : "both chips' scaling");
}

static void write_band_json(const struct tc_replay *r, FILE *fp)
{
	const struct tc_replay_band *b = tc_replay_band(r);
	fputs(",\n    \"band\": ", fp);
	if (!b) {
		fputs("null", fp);
		return;
	}
	fprintf(fp, "{\"draws\": %d, \"model\": \"%s\"", b->draws,
		b->analytic ? "analytic" : "scaling");
	jkv(fp, ", ", "step_p10_ns", b->step_p10);
	jkv(fp, ", ", "step_p50_ns", b->step_p50);
	jkv(fp, ", ", "step_p90_ns", b->step_p90);
	jkv(fp, ", ", "speedup_p10", b->speedup_p10);
	jkv(fp, ", ", "speedup_p90", b->speedup_p90);
	fputs(", \"sigma_by_class\": {", fp);
	int first = 1;
	for (unsigned c = 0; c < TC_CLASS__COUNT; c++) {
		if (!(b->sigma[c] > 0))
			continue;
		fputs(first ? "" : ", ", fp);
		first = 0;
		tc_fput_json_str(fp, tc_class_name(c));
		fputs(": ", fp);
		jnum(fp, b->sigma[c]);
	}
	fputs("}}", fp);
}

/* The speedup ceiling, the inferred waits and the warnings that explain a step that does
 * not follow the chip (docs/projection.md, "ceiling"). */
static void write_ceiling_text(const struct tc_replay *r, FILE *fp)
{
	char a[32], b[32], c[32], d[32];
	struct rp_insight in;
	rp_insight(r, &in);
	if (in.have_ceiling)
		fprintf(fp,
			"host-only path   %12s   (%s%% of the projected step)   speedup ceiling "
			"%sx on any chip\n",
			ns(a, in.ceil_step_ns), fx(b, 100 * in.host_share, 1),
			fx(c, in.ceiling, 3));
	fprintf(fp,
		"gpu-side step    source %12s   projected %12s   (%s%% of the projected "
		"step)\n",
		ns(a, in.src_gpu_step_ns), ns(b, in.proj_gpu_step_ns),
		fx(d, 100 * in.gpu_share, 1));
	if (in.carry_ops)
		fprintf(fp,
			"carry-over       %llu GPU ops outside every step (queued before the "
			"capture or the first marker): replayed, not counted in steps\n",
			(unsigned long long)in.carry_ops);
	struct rp_wait_count wk[RP_WAIT_KINDS];
	size_t nk = rp_wait_counts(r->g, wk);
	uint64_t nw = 0;
	for (size_t k = 0; k < nk; k++)
		nw += wk[k].n;
	if (nw) {
		fprintf(fp, "waits inferred   %llu%s:", (unsigned long long)nw,
			r->opts.no_infer_waits ? " (ignored: --no-infer-waits)" : "");
		for (size_t k = 0; k < nk; k++)
			fprintf(fp, " %s %llu", wk[k].kind, (unsigned long long)wk[k].n);
		fputc('\n', fp);
	}
	if (in.host_bound)
		fprintf(fp, "warning: host-bound: at most %sx on any chip\n", fx(a, in.ceiling, 2));
	if (in.stuck)
		fprintf(fp, "warning: GPU time moves by %s%% but the step by %s%%: %s\n",
			fx(a, 100 * in.gpu_move, 1), fx(b, 100 * in.step_move, 1), in.stuck_cause);
}

/* what ran on what, the step time, its band, memory and the host ceiling */
static void text_head(const struct tc_replay *r, FILE *fp)
{
	char a[32], b[32], c[32];
	const struct tc_replay_graph *g = r->g;
	double nk = (double)r->n_job_steps;
	int model_only = !r->opts.source && r->opts.target && rp_all_analytic(g);
	fprintf(fp, "%s: %s -> %s (host x%s)\n", mode_name(r),
		r->opts.source ? tc_chip_id(r->opts.source)
		: model_only   ? "analytic model"
			       : "measured",
		r->opts.target ? tc_chip_id(r->opts.target) : "measured",
		fx(a, r->opts.host_scale, 2));
	fprintf(fp, "  %llu ops (%llu on GPU), %u ranks, %u lanes, %zu steps\n",
		(unsigned long long)g->stats.ops, (unsigned long long)g->stats.gpu_ops,
		g->stats.ranks, g->stats.lanes, r->n_job_steps);
	if (g->src_model)
		fprintf(fp,
			"  no measured time: both sides are the analytic model, on %s and on %s\n",
			tc_chip_id(r->opts.source), tc_chip_id(r->opts.target));
	else if (model_only)
		fprintf(fp,
			"  no measured time and no source chip: --source CHIP costs the model on "
			"it too, for a source side and a speedup\n");
	fprintf(fp, "\nstep time        source %12s   projected %12s   speedup %sx\n",
		ns(a, nk > 0 ? (double)r->src_total_ns / nk : 0),
		ns(b, nk > 0 ? (double)r->proj_total_ns / nk : 0),
		fx(c, ratio((double)r->src_total_ns, (double)r->proj_total_ns), 3));

	write_band_text(r, fp);
	{
		const struct tc_replay_memory *m = tc_replay_memory(r);
		char m1[32], m2[32], m3[32];
		if (m)
			fprintf(fp,
				"memory per GPU   peak allocated %s (%s on the target layout) of "
				"%s HBM: "
				"%s\n",
				tc_fmt_bytes(m1, sizeof(m1), m->peak_bytes),
				tc_fmt_bytes(m2, sizeof(m2), m->projected_bytes),
				tc_fmt_bytes(m3, sizeof(m3), m->capacity_bytes),
				m->fits ? "fits" : "DOES NOT FIT");
	}
	write_ceiling_text(r, fp);
}

/* one row per reported step */
static void text_steps(const struct tc_replay *r, FILE *fp)
{
	char a[32], b[32], c[32], d[32];
	fprintf(fp, "\n%-5s %-22s %12s %12s %8s %12s %12s %12s %12s %12s %12s\n", "rank", "step",
		"source", "projected", "speedup", "cpu src", "cpu prj", "gpu-side src",
		"gpu-side prj", "gpu busy src", "gpu busy prj");
	for (size_t k = 0; k < r->n_steps; k++) {
		const struct tc_replay_step *s = &r->steps[k];
		char e[32], f[32], h[32], i[32], j[32];
		char nm[64];
		tc_str_printable(nm, sizeof(nm), s->name); /* names are input: no ESC to the tty */
		fprintf(fp, "%-5u %-22.22s %12s %12s %8s %12s %12s %12s %12s %12s %12s\n", s->rank,
			nm, ns(a, (double)s->src_ns), ns(b, (double)s->proj_ns),
			fx(c, ratio((double)s->src_ns, (double)s->proj_ns), 3),
			ns(d, (double)s->src_cpu_ns), ns(e, (double)s->proj_cpu_ns),
			ns(f, (double)s->src_gpu_ns), ns(h, (double)s->proj_gpu_ns),
			ns(i, (double)s->src_busy_ns), ns(j, (double)s->proj_busy_ns));
	}
}

/* step time by bound, exposed communication, the layout */
static void text_bounds(const struct tc_replay *r, FILE *fp)
{
	char a[32], b[32], c[32], d[32];
	double bs[TC_BOUND__COUNT], bp[TC_BOUND__COUNT], ts = 0, tp = 0;
	bound_totals(r, bs, 0);
	bound_totals(r, bp, 1);
	for (unsigned k = 0; k < TC_BOUND__COUNT; k++) {
		ts += bs[k];
		tp += bp[k];
	}
	fprintf(fp, "\n%-14s %12s %7s %12s %7s\n", "bound", "source", "share", "projected",
		"share");
	for (unsigned k = 0; k < TC_BOUND__COUNT; k++)
		fprintf(fp, "%-14s %12s %6s%% %12s %6s%%\n", tc_bound_name(k), ns(a, bs[k]),
			fx(b, 100 * ratio(bs[k], ts), 1), ns(c, bp[k]),
			fx(d, 100 * ratio(bp[k], tp), 1));
	fprintf(fp, "exposed communication: source %s, projected %s\n", ns(a, bs[TC_BOUND_COMM]),
		ns(b, bp[TC_BOUND_COMM]));
	rp_layout_write_text(r, fp);
}

/* GPU time by op class */
static void text_classes(const struct tc_replay *r, FILE *fp)
{
	char a[32], b[32], c[32];
	fprintf(fp, "\n%-12s %8s %12s %12s %8s\n", "class", "count", "source", "projected",
		"speedup");
	for (unsigned k = 0; k < TC_CLASS__COUNT; k++)
		if (r->class_count[k])
			fprintf(fp, "%-12s %8llu %12s %12s %8s\n", tc_class_name(k),
				(unsigned long long)r->class_count[k], ns(a, r->class_src_ns[k]),
				ns(b, r->class_proj_ns[k]),
				fx(c, ratio(r->class_src_ns[k], r->class_proj_ns[k]), 3));
}

/* the top ops by projected time and by change */
static int text_top(const struct tc_replay *r, FILE *fp, struct tc_err *err)
{
	char a[32], b[32];
	const struct tc_replay_graph *g = r->g;
	size_t nt = TC_MIN((size_t)r->opts.top_n, r->n_top);
	size_t *chg = by_change(r);
	if (!chg)
		return tc_err_set(err, TC_ENOMEM, "replay: out of memory");
	for (int t = 0; t < 2; t++) {
		fprintf(fp, "\ntop ops by %s\n%-48s %7s %12s %12s %9s\n",
			t ? "change" : "projected time", "name", "count", "source", "projected",
			"bound");
		for (size_t i = 0; i < nt; i++) {
			const struct rp_top *o = &r->top[t ? chg[i] : i];
			char nm[160], sh[160];
			tc_short_name(sh, sizeof(sh), rp_string(g, o->name));
			tc_str_printable(nm, sizeof(nm), sh);
			fprintf(fp, "%-48.48s %7llu %12s %12s %9s\n", nm,
				(unsigned long long)o->count, ns(a, o->src_ns), ns(b, o->proj_ns),
				tc_bound_name(o->bound));
		}
	}
	free(chg);
	return 0;
}

/* the critical path's length and its share by class */
static void text_critical_path(const struct tc_replay *r, FILE *fp)
{
	char a[32];
	if (r->n_steps)
		fprintf(fp, "\ncritical path of %s (rank %u) %s (%llu GPU ops):",
			r->steps[r->cp_step].name, r->steps[r->cp_step].rank,
			ns(a, (double)r->cp_len_ns), (unsigned long long)r->cp_ops);
	else
		fprintf(fp, "\ncritical path %s (%llu GPU ops):", ns(a, (double)r->cp_len_ns),
			(unsigned long long)r->cp_ops);
	for (unsigned k = 0; k <= TC_CLASS__COUNT; k++)
		if (r->cp_class_ns[k] > 0)
			fprintf(fp, " %s %s%%",
				k < TC_CLASS__COUNT ? tc_class_name(k) : TC_REPLAY_CP_HOST_LATENCY,
				fx(a, 100 * ratio(r->cp_class_ns[k], (double)r->cp_len_ns), 1));
	fputc('\n', fp);
}

/* energy, Perf/W and Perf/$ per step */
static void text_energy(const struct tc_replay *r, FILE *fp)
{
	char a[32], b[32];
	const struct tc_chip *dst = r->opts.target ? r->opts.target : r->opts.source;
	double nk = (double)r->n_job_steps;
	double sj, susd, pj, pusd;
	totals_energy(r, &sj, &susd, 0);
	totals_energy(r, &pj, &pusd, 1);
	if (r->opts.source || dst) {
		fprintf(fp, "\n%-22s %14s %14s\n", "per step", "source", "projected");
		fprintf(fp, "%-22s %14s %14s\n", "energy (J)",
			fx(a, r->opts.source ? sj / nk : NAN, 4), fx(b, dst ? pj / nk : NAN, 4));
		fprintf(fp, "%-22s %14s %14s\n", "Perf/W (steps/J)",
			fx(a, r->opts.source ? ratio(nk, sj) : NAN, 3),
			fx(b, dst ? ratio(nk, pj) : NAN, 3));
		fprintf(fp, "%-22s %14s %14s\n", "Perf/$ (steps/$)",
			fx(a, r->opts.source ? ratio(nk, susd) : NAN, 1),
			fx(b, dst ? ratio(nk, pusd) : NAN, 1));
	}
}

/* one line of what the run could not model, when anything */
static void text_warnings(const struct tc_replay *r, FILE *fp)
{
	const struct tc_replay_warnings *w = &r->warn;
	uint64_t ncm = 0, ndt = 0;
	for (unsigned k = 0; k < TC_CLASS__COUNT; k++)
		ncm += w->no_cost_model[k];
	for (unsigned k = 0; k < TC_DT__COUNT; k++)
		ndt += w->dtype_missing[k];
	if (ncm || ndt || w->unmatched_collectives || w->forced_collectives || w->no_gpu_work ||
	    w->no_steps || w->broken_cycles || w->unresolved_waits)
		fprintf(
		    fp,
		    "\nwarnings: %llu ops without cost model, %llu ops with a dtype the target "
		    "lacks, %llu unmatched collectives, %llu forced collectives, %llu broken "
		    "dependencies, %llu unresolved waits%s%s\n",
		    (unsigned long long)ncm, (unsigned long long)ndt,
		    (unsigned long long)w->unmatched_collectives,
		    (unsigned long long)w->forced_collectives, (unsigned long long)w->broken_cycles,
		    (unsigned long long)w->unresolved_waits, w->no_gpu_work ? ", no GPU work" : "",
		    w->no_steps ? ", no steps (whole run reported)" : "");
}

int tc_replay_write_text(const struct tc_replay *r, FILE *fp, struct tc_err *err)
{
	text_head(r, fp);
	text_steps(r, fp);
	text_bounds(r, fp);
	text_classes(r, fp);
	TC_TRY(text_top(r, fp, err));
	text_critical_path(r, fp);
	text_energy(r, fp);
	text_warnings(r, fp);
	if (ferror(fp))
		return tc_err_set(err, TC_EIO, "writing the report failed");
	return 0;
}

static double rel_err(int64_t got, int64_t want)
{
	return want > 0 ? fabs((double)(got - want)) / (double)want : 0;
}

int tc_replay_write_validation(const struct tc_replay *r, const struct tc_replay *dep, FILE *fp,
			       double *max_err, struct tc_err *err)
{
	char a[32], b[32], c[32], d[32], e[32], f[32];
	double worst = 0, worst_dep = 0;
	fprintf(fp, "%-5s %-22s %12s %12s %8s %12s %12s %8s", "rank", "step", "measured",
		"replayed", "error%", "gpu measured", "gpu replayed", "error%");
	if (dep)
		fprintf(fp, " %12s %8s", "deps-only", "error%");
	fputc('\n', fp);
	for (size_t k = 0; k < r->n_steps; k++) {
		const struct tc_replay_step *s = &r->steps[k];
		double rel = rel_err(s->proj_ns, s->src_ns);
		double grel = rel_err(s->proj_gpu_ns, s->src_gpu_ns);
		worst = TC_MAX(worst, rel);
		char nm[64];
		tc_str_printable(nm, sizeof(nm), s->name);
		fprintf(fp, "%-5u %-22.22s %12s %12s %8s %12s %12s %8s", s->rank, nm,
			ns(a, (double)s->src_ns), ns(b, (double)s->proj_ns), fx(c, 100 * rel, 3),
			ns(d, (double)s->src_gpu_ns), ns(e, (double)s->proj_gpu_ns),
			fx(f, 100 * grel, 3));
		if (dep && k < dep->n_steps) {
			const struct tc_replay_step *q = &dep->steps[k];
			double drel = rel_err(q->proj_ns, q->src_ns);
			worst_dep = TC_MAX(worst_dep, drel);
			fprintf(fp, " %12s %8s", ns(a, (double)q->proj_ns), fx(b, 100 * drel, 3));
		}
		fputc('\n', fp);
	}
	fprintf(fp, "max step error: %s%%", fx(a, 100 * worst, 4));
	if (dep)
		fprintf(fp, " (dependency-only replay: %s%%)", fx(b, 100 * worst_dep, 3));
	fputc('\n', fp);
	if (max_err)
		*max_err = worst;
	if (ferror(fp))
		return tc_err_set(err, TC_EIO, "writing the validation failed");
	return 0;
}

/* timeline.c - the projected run as Chrome trace-event JSON (Perfetto, chrome://tracing),
 * with the source run beside it: process 2*rank+1 is the projected rank, 2*rank the source.
 * Times are microseconds with nanosecond decimals, printed by tc_fmt_double. */
#include <math.h>
#include <string.h>

#include "internal.h"

static void put_us(FILE *fp, int64_t ns)
{
	char b[64];
	fputs(tc_fmt_double(b, sizeof(b), (double)ns / 1000.0), fp);
}

static void put_str(FILE *fp, const char *s)
{
	fputc('"', fp);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(fp, "\\%c", *p);
		else if (*p < 0x20)
			fprintf(fp, "\\u%04x", *p);
		else
			fputc(*p, fp);
	}
	fputc('"', fp);
}

int tc_replay_write_timeline(const struct tc_replay *r, FILE *fp, struct tc_err *err)
{
	const struct tc_replay_graph *g = r->g;
	const char *src_chip = r->opts.source ? tc_chip_id(r->opts.source) : "measured";
	const char *dst_chip = r->opts.target ? tc_chip_id(r->opts.target) : src_chip;
	char buf[32];
	int first = 1;
	fputs("{\"displayTimeUnit\": \"ns\", \"traceEvents\": [\n", fp);
	/* process and thread names */
	for (uint32_t rank = 0; rank <= g->max_rank; rank++) {
		int any = 0;
		for (size_t l = 0; l < g->n_lanes; l++)
			any |= g->lanes[l].rank == rank;
		if (!any)
			continue;
		for (int v = 0; v < 2; v++) {
			fprintf(fp, "%s{\"ph\": \"M\", \"name\": \"process_name\", \"pid\": %u, "
				    "\"args\": {\"name\": \"%s rank %u (%s)\"}}",
				first ? "" : ",\n", 2 * rank + (unsigned)v, v ? "projected" : "source",
				rank, v ? dst_chip : src_chip);
			first = 0;
			fprintf(fp, ",\n{\"ph\": \"M\", \"name\": \"process_sort_index\", \"pid\": %u, "
				    "\"args\": {\"sort_index\": %u}}",
				2 * rank + (unsigned)v, 2 * rank + (unsigned)v);
		}
	}
	for (size_t l = 0; l < g->n_lanes; l++) {
		int gpu = g->lanes[l].type == TC_LANE_GPU || g->lanes[l].type == TC_LANE_GRAPH;
		for (int v = 0; v < 2; v++)
			fprintf(fp, "%s{\"ph\": \"M\", \"name\": \"thread_name\", \"pid\": %u, \"tid\": "
				    "%zu, \"args\": {\"name\": \"%s lane %zu\"}}",
				first ? "" : ",\n", 2 * g->lanes[l].rank + (unsigned)v, l,
				gpu ? "gpu" : "cpu", l);
		first = 0;
	}
	for (uint32_t i = 0; i < g->n; i++) {
		if (r->start[i] == INT64_MIN)
			continue;
		const char *name = rp_op_name(g, i, buf, sizeof(buf));
		int64_t sd = rp_dur0(g, i), pd = r->end[i] - r->start[i];
		uint32_t rank = g->lanes[g->lane[i]].rank;
		for (int v = 0; v < 2; v++) {
			if (!v && (g->flags[i] & RP_F_ANALYTIC))
				continue; /* no source time to show */
			fputs(first ? "{\"ph\": \"X\", \"name\": " : ",\n{\"ph\": \"X\", \"name\": ", fp);
			first = 0;
			put_str(fp, name);
			fprintf(fp, ", \"cat\": \"%s\", \"pid\": %u, \"tid\": %u, \"ts\": ",
				tc_class_name(g->cls[i]), 2 * rank + (unsigned)v, g->lane[i]);
			put_us(fp, v ? r->start[i] : g->ts[i]);
			fputs(", \"dur\": ", fp);
			put_us(fp, v ? pd : sd);
			fprintf(fp, ", \"args\": {\"op\": %u, \"source_ns\": %lld, \"projected_ns\": %lld, "
				    "\"bound\": \"%s\"}}",
				i, (long long)((g->flags[i] & RP_F_ANALYTIC) ? -1 : sd), (long long)pd,
				tc_bound_name(rp_bound(r, i, 1)));
		}
	}
	fputs("\n]}\n", fp);
	if (ferror(fp))
		return tc_err_set(err, TC_EIO, "writing the timeline failed");
	return 0;
}

/* timeline.c - the projected run as Chrome trace-event JSON (Perfetto, chrome://tracing),
 * with the source run beside it: process 2*rank+1 is the projected rank, 2*rank the source;
 * the projected ranks sort first, then the source ranks. Threads and streams carry the
 * names the trace gave them, a flow arrow joins each launch to its kernel (as Kineto's own
 * traces do), and every op's args hold its class, bound, work and both times. Times are
 * microseconds with nanosecond decimals, printed by tc_fmt_double. */
#include <math.h>
#include <string.h>

#include "rp_internal.h"

static void put_us(FILE *fp, int64_t ns)
{
	char b[64];
	fputs(tc_fmt_double(b, sizeof(b), (double)ns / 1000.0), fp);
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
			fprintf(fp,
				"%s{\"ph\": \"M\", \"name\": \"process_name\", \"pid\": %u, "
				"\"args\": {\"name\": \"%s rank %u (%s)\"}}",
				first ? "" : ",\n", 2 * rank + (unsigned)v,
				v ? "projected" : "source", rank, v ? dst_chip : src_chip);
			first = 0;
			fprintf(fp,
				",\n{\"ph\": \"M\", \"name\": \"process_sort_index\", \"pid\": %u, "
				"\"args\": {\"sort_index\": %u}}",
				2 * rank + (unsigned)v, v ? rank : g->max_rank + 1 + rank);
		}
	}
	for (size_t l = 0; l < g->n_lanes; l++) {
		int gpu = g->lanes[l].type == TC_LANE_GPU || g->lanes[l].type == TC_LANE_GRAPH;
		/* the trace's own name ("thread 4100 (python3)", "stream 7"), else the lane's */
		const char *ln = rp_lane_name(g, (uint32_t)l);
		char own[48];
		snprintf(own, sizeof(own), "%s lane %zu", gpu ? "gpu" : "cpu", l);
		for (int v = 0; v < 2; v++) {
			fprintf(
			    fp,
			    "%s{\"ph\": \"M\", \"name\": \"thread_name\", \"pid\": %u, \"tid\": "
			    "%zu, \"args\": {\"name\": ",
			    first ? "" : ",\n", 2 * g->lanes[l].rank + (unsigned)v, l);
			tc_fput_json_str(fp, ln && ln[0] ? ln : own);
			fputs("}}", fp);
			first = 0;
		}
		/* CPU threads above the GPU streams, in lane order */
		for (int v = 0; v < 2; v++)
			fprintf(fp,
				",\n{\"ph\": \"M\", \"name\": \"thread_sort_index\", \"pid\": %u, "
				"\"tid\": %zu, \"args\": {\"sort_index\": %zu}}",
				2 * g->lanes[l].rank + (unsigned)v, l, (gpu ? g->n_lanes : 0) + l);
	}
	for (uint32_t i = 0; i < g->n; i++) {
		if (r->start[i] == INT64_MIN)
			continue;
		const char *name = rp_op_name(g, i, buf, sizeof(buf));
		int64_t sd = rp_dur0(g, i), pd = r->end[i] - r->start[i], sts = g->ts[i];
		uint32_t rank = g->lanes[g->lane[i]].rank;
		/* an analytic op (ONNX) has a source side only when the run costed it on the
		 * source chip too (--source: replay/srcmodel.c) */
		int has_src = 1;
		if (g->flags[i] & RP_F_ANALYTIC) {
			int64_t a, b;
			has_src = tc_replay_op_source(r, i, &a, &b);
			sts = a;
			sd = has_src ? b - a : -1;
		}
		for (int v = 0; v < 2; v++) {
			if (!v && !has_src)
				continue; /* no source time to show */
			fputs(first ? "{\"ph\": \"X\", \"name\": "
				    : ",\n{\"ph\": \"X\", \"name\": ",
			      fp);
			first = 0;
			tc_fput_json_str(fp, name);
			fprintf(fp, ", \"cat\": \"%s\", \"pid\": %u, \"tid\": %u, \"ts\": ",
				tc_class_name(g->cls[i]), 2 * rank + (unsigned)v, g->lane[i]);
			put_us(fp, v ? r->start[i] : sts);
			fputs(", \"dur\": ", fp);
			put_us(fp, v ? pd : sd);
			fprintf(fp,
				", \"args\": {\"op\": %u, \"class\": \"%s\", \"source_ns\": %lld, "
				"\"projected_ns\": %lld, \"bound\": \"%s\"",
				i, tc_class_name(g->cls[i]), (long long)sd, (long long)pd,
				tc_bound_name(rp_bound(r, i, v)));
			if (g->flags[i] & RP_F_WORK) {
				const struct rp_work *W = &g->works[g->ref[i]];
				if (W->has_work)
					fprintf(fp,
						", \"flops\": %llu, \"bytes_read\": %llu, "
						"\"bytes_written\": %llu",
						(unsigned long long)W->flops,
						(unsigned long long)W->bytes_read,
						(unsigned long long)W->bytes_written);
			}
			fputs("}}", fp);
			/* the launch -> kernel arrow, as in Kineto's traces (ac2g flows) */
			uint32_t ln = (g->flags[i] & RP_F_GPU) ? rp_launch_of(g, i) : RP_NONE;
			if (ln != RP_NONE && r->start[ln] != INT64_MIN) {
				unsigned pid = 2 * rank + (unsigned)v;
				fprintf(fp,
					",\n{\"ph\": \"s\", \"id\": %llu, \"cat\": \"ac2g\", "
					"\"name\": \"launch\", \"pid\": %u, \"tid\": %u, \"ts\": ",
					(unsigned long long)(2ull * i + (unsigned)v), pid,
					g->lane[ln]);
				put_us(fp, v ? r->start[ln] : g->ts[ln]);
				fprintf(fp,
					"},\n{\"ph\": \"f\", \"bp\": \"e\", \"id\": %llu, \"cat\": "
					"\"ac2g\", \"name\": \"launch\", \"pid\": %u, \"tid\": %u, "
					"\"ts\": ",
					(unsigned long long)(2ull * i + (unsigned)v), pid,
					g->lane[i]);
				put_us(fp, v ? r->start[i] : g->ts[i]);
				fputc('}', fp);
			}
		}
	}
	fputs("\n]}\n", fp);
	if (ferror(fp))
		return tc_err_set(err, TC_EIO, "writing the timeline failed");
	return 0;
}

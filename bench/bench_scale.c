/* bench_scale - scale-out what-ifs: project a traced job onto growing world sizes
 * (synthesised DP replicas) and print, per world size, the wall time, ops/s over the ops
 * the job runs (traced ops x world / traced ranks) and over the ops replayed, and the
 * replay's memory: the graph's bytes and the run's (start/end per op, a cost per work
 * record) do not depend on the world size. Figures only, not a test.
 * usage: bench_scale FILE.tcs TARGET SOURCE WORLD... */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>

#include "replay.h"

int main(int argc, char **argv)
{
	if (argc < 5) {
		fprintf(stderr, "usage: bench_scale FILE.tcs TARGET SOURCE WORLD...\n");
		return 2;
	}
	struct tc_err err = TC_ERR_INIT;
	struct tc_replay_graph *g;
	struct tc_hw *hw = NULL;
	struct tc_chip *src = NULL, *dst = NULL;
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (tc_replay_graph_load(&g, argv[1], NULL, &err) < 0 || tc_hw_open(&hw, NULL, &err) < 0 ||
	    tc_hw_load(hw, argv[2], NULL, 0, &dst, &err) < 0 ||
	    tc_hw_load(hw, argv[3], NULL, 0, &src, &err) < 0) {
		fprintf(stderr, "bench_scale: %s\n", err.msg);
		return 1;
	}
	struct tc_replay_graph_stats st;
	tc_replay_graph_stats(g, &st);
	double n = (double)tc_replay_graph_op_count(g), gb = (double)tc_replay_graph_bytes(g);
	printf("traced         %.0f ops on %u ranks; graph %.1f bytes/op\n", n, st.ranks, gb / n);
	printf("%8s %12s %10s %16s %16s %12s %14s\n", "world", "step", "wall s", "job ops/s",
	       "replayed ops/s", "RSS MB", "RSS B/job op");
	for (int a = 4; a < argc; a++) {
		struct tc_replay_scale sc = TC_REPLAY_SCALE_INIT;
		struct tc_replay_opts o = TC_REPLAY_OPTS_INIT;
		sc.world = (uint32_t)strtoul(argv[a], NULL, 10);
		o.source = src;
		o.target = dst;
		o.scale = &sc;
		struct tc_replay *r;
		double t0 = tc_now();
		if (tc_replay_run(&r, g, &o, &err) < 0) {
			fprintf(stderr, "bench_scale: %s\n", err.msg);
			return 1;
		}
		double t = tc_now() - t0;
		const struct tc_replay_step *s;
		size_t ns = tc_replay_steps(r, &s);
		int64_t step = 0;
		for (size_t k = 0; k < ns; k++)
			if (s[k].proj_job_ns > step)
				step = s[k].proj_job_ns;
		double job = n * sc.world / (st.ranks ? st.ranks : 1);
		struct rusage ru;
		getrusage(RUSAGE_SELF, &ru);
		printf("%8u %9.3f ms %10.3f %16.3g %16.3g %12.1f %14.4f\n", sc.world, step / 1e6, t,
		       job / t, n / t, ru.ru_maxrss / 1024.0, ru.ru_maxrss * 1024.0 / job);
		tc_replay_free(r);
	}
	tc_chip_free(src);
	tc_chip_free(dst);
	tc_hw_free(hw);
	tc_replay_graph_free(g);
	return 0;
}

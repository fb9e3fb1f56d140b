/* bench_replay - replay throughput: load a .tcs into the graph, then run the identity replay
 * and (when a target is given) a projection; prints ops/s for each phase, graph bytes per op
 * and peak RSS. Figures only, not a test. usage: bench_replay FILE.tcs [TARGET [SOURCE]]
 * bench_replay FILE.tcs --load [REPEAT]: load + graph only, REPEAT times (default 5), the best
 * run by CPU time and by wall (the machine is shared: load only ever adds time). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "replay.h"

static double cpu_now(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec * 1e-6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec * 1e-6;
}

static int load_only(const char *path, int repeat)
{
	double best_cpu = 1e30, best_wall = 1e30, n = 0;
	for (int i = 0; i < repeat; i++) {
		struct tc_err err = TC_ERR_INIT;
		struct tc_replay_graph *g;
		double w0 = tc_now(), c0 = cpu_now();
		if (tc_replay_graph_load(&g, path, NULL, &err) < 0) {
			fprintf(stderr, "bench_replay: %s\n", err.msg);
			return 1;
		}
		double c = cpu_now() - c0, w = tc_now() - w0;
		n = (double)tc_replay_graph_op_count(g);
		tc_replay_graph_free(g);
		best_cpu = c < best_cpu ? c : best_cpu;
		best_wall = w < best_wall ? w : best_wall;
	}
	printf("load+graph     %.0f ops: %.2f M ops/s by CPU time (%.2f s), %.2f M ops/s wall "
	       "(best of %d)\n",
	       n, n / best_cpu / 1e6, best_cpu, n / best_wall / 1e6, repeat);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: bench_replay FILE.tcs [TARGET [SOURCE]]\n");
		return 2;
	}
	if (argc > 2 && !strcmp(argv[2], "--load"))
		return load_only(argv[1], argc > 3 ? atoi(argv[3]) : 5);
	struct tc_err err = TC_ERR_INIT;
	struct tc_replay_graph *g;
	setvbuf(stdout, NULL, _IOLBF, 0); /* lines as they come when redirected */
	double t0 = tc_now();
	if (tc_replay_graph_load(&g, argv[1], NULL, &err) < 0) {
		fprintf(stderr, "bench_replay: %s\n", err.msg);
		return 1;
	}
	double t1 = tc_now();
	double n = (double)tc_replay_graph_op_count(g);
	printf("ops            %.0f\n", n);
	printf("load+graph     %.2f s  %.2f M ops/s  (%.1f graph bytes/op)\n", t1 - t0,
	       n / (t1 - t0) / 1e6, (double)tc_replay_graph_bytes(g) / n);
	struct tc_hw *hw = NULL;
	struct tc_chip *src = NULL, *dst = NULL;
	for (int pass = 0; pass < (argc > 2 ? 2 : 1); pass++) {
		struct tc_replay_opts o = TC_REPLAY_OPTS_INIT;
		if (pass == 1) {
			if (tc_hw_open(&hw, NULL, &err) < 0 ||
			    tc_hw_load(hw, argv[2], NULL, 0, &dst, &err) < 0 ||
			    tc_hw_load(hw, argc > 3 ? argv[3] : "h100-sxm5", NULL, 0, &src, &err) <
				0) {
				fprintf(stderr, "bench_replay: %s\n", err.msg);
				return 1;
			}
			o.source = src;
			o.target = dst;
		}
		struct tc_replay *r;
		double a = tc_now();
		if (tc_replay_run(&r, g, &o, &err) < 0) {
			fprintf(stderr, "bench_replay: %s\n", err.msg);
			return 1;
		}
		double b = tc_now();
		double es = tc_replay_engine_seconds(r);
		printf("%-14s %.2f s  %.2f M ops/s with analyses; engine (re-time + simulate) "
		       "%.2f s  %.2f M ops/s\n",
		       pass ? "projection" : "identity", b - a, n / (b - a) / 1e6, es,
		       n / es / 1e6);
		tc_replay_free(r);
	}
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	printf("peak RSS       %.1f MB  (%.1f bytes/op)\n", ru.ru_maxrss / 1024.0,
	       ru.ru_maxrss * 1024.0 / n);
	tc_chip_free(src);
	tc_chip_free(dst);
	tc_hw_free(hw);
	tc_replay_graph_free(g);
	return 0;
}

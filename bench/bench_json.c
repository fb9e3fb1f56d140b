/* bench_json - the JSON scanner's figures on one file, per SIMD path available here:
 * stage 1 alone (the structural index of the whole file, MB/s) and a whole in-process
 * ingest of the file (MB/s of JSON; no process start-up, which `tracecast ingest` adds).
 * Each figure is the best of REPEAT runs by this process's CPU time. Figures only.
 * Usage: bench_json FILE.json OUT.tcs [REPEAT] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "adapter.h"
#include "ingest.h"

static double cpu_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: bench_json FILE.json OUT.tcs [REPEAT]\n");
		return 2;
	}
	int repeat = argc > 3 ? atoi(argv[3]) : 5;
	FILE *fp = fopen(argv[1], "rb");
	if (!fp) {
		perror(argv[1]);
		return 1;
	}
	fseek(fp, 0, SEEK_END);
	size_t n = (size_t)ftell(fp);
	fseek(fp, 0, SEEK_SET);
	char *buf = malloc(n + 1);
	uint32_t *idx = malloc((n + 1) * sizeof(*idx));
	if (!buf || !idx || fread(buf, 1, n, fp) != n) {
		fprintf(stderr, "%s: cannot read\n", argv[1]);
		return 1;
	}
	fclose(fp);
	for (int p = 0; p < TC_SIMD_N; p++) {
		if (!tc_json_simd_available(p))
			continue;
		double s1 = 1e9, ing = 1e9;
		size_t k = 0;
		for (int r = 0; r < repeat; r++) {
			double t = cpu_s();
			k = tc_json_index(p, buf, n, idx, n + 1, NULL);
			t = cpu_s() - t;
			s1 = t < s1 ? t : s1;
		}
		setenv("TRACECAST_SIMD", tc_json_simd_name(p), 1);
		for (int r = 0; r < repeat; r++) {
			struct tc_ingest_opts o = TC_INGEST_OPTS_INIT;
			struct tc_err err = TC_ERR_INIT;
			const char *in[1] = {argv[1]};
			double t = cpu_s();
			if (tc_ingest_files(in, 1, argv[2], &o, NULL, &err) < 0) {
				fprintf(stderr, "%s\n", err.msg);
				return 1;
			}
			t = cpu_s() - t;
			ing = t < ing ? t : ing;
		}
		printf("  %-7s stage 1 %8.1f MB/s (%zu structurals)   ingest in-process %7.1f MB/s "
		       "(%.3f s cpu)\n",
		       tc_json_simd_name(p), (double)n / 1e6 / (s1 > 0 ? s1 : 1e-9), k,
		       (double)n / 1e6 / (ing > 0 ? ing : 1e-9), ing);
	}
	free(buf);
	free(idx);
	return 0;
}

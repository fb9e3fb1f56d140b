/* bench_opstream - write and read throughput of the opstream container on a realistic op
 * mix (per launched kernel: a CPU operator, a cudaLaunchKernel nested in it, the kernel on a
 * GPU stream; work on the CPU op; a collective every 200 kernels), with nanosecond times
 * jittered like real traces. Prints ops/s and bytes per op. Not a test: figures only.
 * usage: bench_opstream [N_OPS] [PATH] [keep]
 *        bench_opstream read PATH [REPEAT]   read an existing file REPEAT times (default 5) and
 *        print the best run by CPU time and by wall: the machine is shared, and load only adds */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "opstream.h"

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static double cpu_now(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec * 1e-6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec * 1e-6;
}

/* Read path once; returns the op count (0 on error, after printing it). */
static uint64_t read_all(const char *path, int64_t *sum)
{
	struct tc_err err = TC_ERR_INIT;
	struct tc_ops_reader *r;
	if (tc_ops_reader_open(&r, path, &err)) {
		fprintf(stderr, "%s\n", err.msg);
		return 0;
	}
	const struct tc_op *ops;
	size_t n;
	uint64_t count = 0;
	int rc;
	*sum = 0;
	while ((rc = tc_ops_reader_next(r, &ops, &n, &err)) > 0)
		for (size_t i = 0; i < n; i++, count++)
			*sum += ops[i].dur_ns;
	tc_ops_reader_free(r);
	if (rc) {
		fprintf(stderr, "%s\n", err.msg);
		return 0;
	}
	return count;
}

static int read_only(const char *path, int repeat)
{
	double best_cpu = 1e30, best_wall = 1e30;
	uint64_t count = 0;
	int64_t sum = 0;
	for (int i = 0; i < repeat; i++) {
		double w0 = tc_now(), c0 = cpu_now();
		count = read_all(path, &sum);
		if (!count)
			return 1;
		double c = cpu_now() - c0, w = tc_now() - w0;
		best_cpu = c < best_cpu ? c : best_cpu;
		best_wall = w < best_wall ? w : best_wall;
	}
	printf("  read:  %.2f M ops/s by CPU time, %.2f M ops/s wall (best of %d; %" PRIu64
	       " ops, checksum %" PRId64 ")\n",
	       (double)count / best_cpu / 1e6, (double)count / best_wall / 1e6, repeat, count, sum);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc > 2 && !strcmp(argv[1], "read"))
		return read_only(argv[2], argc > 3 ? atoi(argv[3]) : 5);
	uint64_t N = argc > 1 ? strtoull(argv[1], NULL, 10) : 20000000ULL;
	const char *path = argc > 2 ? argv[2] : "/tmp/bench_opstream.tcs";
	struct tc_err err = TC_ERR_INIT;
	struct tc_ops_header h = {0};
	h.source_format = "synthetic";
	h.world_size = 1;
	struct tc_ops_writer *w;
	if (tc_ops_writer_open(&w, path, &h, NULL, &err)) {
		fprintf(stderr, "%s\n", err.msg);
		return 1;
	}
	uint32_t cpu, gpu, comm, names[64];
	struct tc_lane l1 = {0, 0, 0, TC_LANE_CPU, 1000, "main"};
	struct tc_lane l2 = {0, 0, 0, TC_LANE_GPU, 7, "stream 7"};
	struct tc_lane l3 = {0, 0, 0, TC_LANE_GPU, 13, "stream 13"};
	tc_ops_writer_lane(w, &l1, &cpu);
	tc_ops_writer_lane(w, &l2, &gpu);
	tc_ops_writer_lane(w, &l3, &comm);
	char nb[64];
	for (int i = 0; i < 64; i++) {
		snprintf(nb, sizeof(nb), "name_%d_of_a_realistic_length_kernel", i);
		tc_ops_writer_intern(w, nb, &names[i]);
	}
	uint64_t s = 0x9e3779b97f4a7c15ULL;
	int64_t t = 1000000, gpu_free = 0;
	uint64_t corr = 100, done = 0;
	double t0 = tc_now();
	struct tc_op op;
	while (done < N) {
		uint64_t id_cpu, id_rt;
		uint32_t layer = (uint32_t)(rnd(&s) % 16);
		tc_op_init(&op);
		op.kind = TC_KIND_CPU_OP;
		op.lane = cpu;
		op.name = names[layer];
		op.op_class = (uint8_t)(layer % 8);
		op.ts_ns = t;
		op.dur_ns = 8000 + (int64_t)(rnd(&s) % 4000);
		op.has_work = 1;
		op.flops = 2ULL * 4096 * 4096 * (1 + layer);
		op.bytes_read = 3ULL * 4096 * 4096 * 2;
		op.bytes_written = 4096ULL * 4096 * 2;
		op.dtype = TC_DT_BF16;
		tc_ops_writer_add(w, &op, &id_cpu, &err);
		tc_op_init(&op);
		op.kind = TC_KIND_RUNTIME;
		op.sub = TC_RT_LAUNCH;
		op.lane = cpu;
		op.name = names[40];
		op.op_class = TC_CLASS_HOST;
		op.ts_ns = t + 2000 + (int64_t)(rnd(&s) % 500);
		op.dur_ns = 4000 + (int64_t)(rnd(&s) % 1000);
		op.parent = id_cpu;
		op.correlation = ++corr;
		tc_ops_writer_add(w, &op, &id_rt, &err);
		int64_t launch = op.ts_ns;
		tc_op_init(&op);
		op.kind = TC_KIND_KERNEL;
		op.lane = (done / 3) % 200 == 199 ? comm : gpu;
		op.name = names[16 + layer];
		op.op_class = (uint8_t)(layer % 8);
		op.ts_ns = (launch + 3000 > gpu_free ? launch + 3000 : gpu_free) +
			   (int64_t)(rnd(&s) % 100);
		op.dur_ns = 5000 + (int64_t)(rnd(&s) % 50000);
		op.link = id_rt;
		op.correlation = corr;
		if (op.lane == comm) {
			op.op_class = TC_CLASS_COLLECTIVE;
			op.coll_kind = TC_COLL_ALLREDUCE;
			op.coll_bytes = 1 << 24;
			op.coll_group_size = 8;
			op.coll_seq = done / 600;
		}
		gpu_free = op.ts_ns + op.dur_ns;
		if (tc_ops_writer_add(w, &op, NULL, &err)) {
			fprintf(stderr, "%s\n", err.msg);
			return 1;
		}
		t += 12000 + (int64_t)(rnd(&s) % 3000);
		done += 3;
	}
	if (tc_ops_writer_close(w, &err)) {
		fprintf(stderr, "%s\n", err.msg);
		return 1;
	}
	double t1 = tc_now();
	struct stat st;
	stat(path, &st);
	struct tc_ops_reader *r;
	if (tc_ops_reader_open(&r, path, &err)) {
		fprintf(stderr, "%s\n", err.msg);
		return 1;
	}
	const struct tc_op *ops;
	size_t n;
	uint64_t count = 0;
	int64_t sum = 0;
	int rc;
	while ((rc = tc_ops_reader_next(r, &ops, &n, &err)) > 0)
		for (size_t i = 0; i < n; i++, count++)
			sum += ops[i].dur_ns;
	double t2 = tc_now();
	if (rc) {
		fprintf(stderr, "%s\n", err.msg);
		return 1;
	}
	tc_ops_reader_free(r);
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	printf("opstream: %" PRIu64 " ops, %.1f MB file, %.2f bytes/op\n", count,
	       (double)st.st_size / 1e6, (double)st.st_size / (double)count);
	printf("  write: %.2f M ops/s\n", (double)count / (t1 - t0) / 1e6);
	printf("  read:  %.2f M ops/s (checksum %" PRId64 ")\n", (double)count / (t2 - t1) / 1e6,
	       sum);
	printf("  peak RSS: %.1f MB\n", (double)ru.ru_maxrss / 1024.0);
	if (argc <= 3)
		unlink(path);
	return 0;
}

/* The canonical dump: exact text for a known stream, identical across runs and locales. */
#include <criterion/criterion.h>
#include <locale.h>

#include "proto_common.h"

static void write_small(const char *path)
{
	struct tc_err err = TC_ERR_INIT;
	struct tc_ops_writer *w;
	struct tc_ops_header h = {0};
	static const char *files[] = {"t.json"};
	h.source_format = "kineto";
	h.source_files = files;
	h.n_source_files = 1;
	h.world_size = 1;
	cr_assert_eq(tc_ops_writer_open(&w, path, &h, NULL, &err), 0);
	uint32_t cpu, gpu, mm, k;
	struct tc_lane l1 = {0, 0, 0, TC_LANE_CPU, 11, "main"};
	struct tc_lane l2 = {0, 0, 0, TC_LANE_GPU, 7, "stream \"7\""};
	tc_ops_writer_lane(w, &l1, &cpu);
	tc_ops_writer_lane(w, &l2, &gpu);
	tc_ops_writer_intern(w, "aten::mm", &mm);
	tc_ops_writer_intern(w, "gemm\tkernel", &k);
	struct tc_op a, b;
	tc_op_init(&a);
	a.lane = cpu;
	a.name = mm;
	a.kind = TC_KIND_CPU_OP;
	a.op_class = TC_CLASS_GEMM;
	a.ts_ns = 1000;
	a.dur_ns = 500;
	a.has_work = 1;
	a.flops = 2048;
	a.bytes_read = 64;
	a.bytes_written = 32;
	a.dtype = TC_DT_BF16;
	tc_op_init(&b);
	b.lane = gpu;
	b.name = k;
	b.kind = TC_KIND_KERNEL;
	b.op_class = TC_CLASS_GEMM;
	b.ts_ns = 1200;
	b.dur_ns = 300;
	b.link = 0;
	b.correlation = 5;
	cr_assert_eq(tc_ops_writer_add(w, &a, NULL, &err), 0);
	cr_assert_eq(tc_ops_writer_add(w, &b, NULL, &err), 0);
	cr_assert_eq(tc_ops_writer_close(w, &err), 0);
}

static char *dump_to_string(const char *path)
{
	char *buf = NULL;
	size_t len = 0;
	struct tc_err err = TC_ERR_INIT;
	FILE *fp = open_memstream(&buf, &len);
	cr_assert_eq(tc_ops_dump(path, fp, &err), 0, "%s", err.msg);
	fclose(fp);
	return buf;
}

Test(proto_dump, exact_text)
{
	const char *path = tmp_path("dump.tcs");
	write_small(path);
	char *got = dump_to_string(path);
	const char *want =
	    "tcs 1.1 source_format=\"kineto\" world_size=1 base_time_ns=0\n"
	    "source_file 0 \"t.json\"\n"
	    "lane 0 rank=0 device=0 type=cpu tid=11 name=\"main\"\n"
	    "lane 1 rank=0 device=0 type=gpu tid=7 name=\"stream \\\"7\\\"\"\n"
	    "op 0 ts=1000 dur=500 kind=cpu_op class=gemm lane=0 name=\"aten::mm\" parent=- link=- "
	    "dtype=bf16 flops=2048 read=64 write=32\n"
	    "op 1 ts=1200 dur=300 kind=kernel class=gemm lane=1 name=\"gemm\\x09kernel\" parent=- "
	    "link=0 corr=5\n"
	    "end ops=2 strings=3 lanes=2\n";
	cr_assert_str_eq(got, want);
	free(got);
	unlink(path);
}

Test(proto_dump, identical_across_runs_and_locales)
{
	const char *p1 = tmp_path("dump1.tcs");
	write_small(p1);
	char *a = dump_to_string(p1);
	setlocale(LC_ALL, "de_DE.UTF-8"); /* may be absent; C.UTF-8 then */
	setlocale(LC_ALL, "C.UTF-8");
	char *b = dump_to_string(p1);
	setlocale(LC_ALL, "C");
	cr_assert_str_eq(a, b);
	/* writing the same content twice gives the same bytes */
	const char *p2s = tmp_path("dump2.tcs");
	char p2[600];
	snprintf(p2, sizeof(p2), "%s", p2s);
	char p1c[600];
	snprintf(p1c, sizeof(p1c), "%s", tmp_path("dump1.tcs"));
	write_small(p2);
	FILE *f1 = fopen(p1c, "rb"), *f2 = fopen(p2, "rb");
	cr_assert(f1 && f2);
	int c1, c2;
	do {
		c1 = fgetc(f1);
		c2 = fgetc(f2);
		cr_assert_eq(c1, c2, "the two files differ");
	} while (c1 != EOF);
	fclose(f1);
	fclose(f2);
	free(a);
	free(b);
	unlink(p1c);
	unlink(p2);
}

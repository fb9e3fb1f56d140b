/* The diff: a trace's GPU ops summed by class and kernel, joined with a projection's side,
 * per step, sorted by impact; the JSON and the HTML carry the same figures. The trace is
 * written here with the opstream writer, so every expected figure is worked out by hand. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fixture.h"
#include "opstream.h"
#include "pagecheck.h"
#include "report.h"

static char tcs[64];

/* Two steps of 1000 ns; kernels: sgemm_128x64 (gemm) 3 x 100 ns, add (elementwise)
 * 2 x 50 ns, one memcpy (copy) of 30 ns; a CPU op of 500 ns that must not count. */
static void write_trace(void)
{
	snprintf(tcs, sizeof(tcs), "/tmp/tc-report-diff-XXXXXX");
	int fd = mkstemp(tcs);
	cr_assert_geq(fd, 0);
	close(fd);
	struct tc_ops_header h;
	memset(&h, 0, sizeof(h));
	h.source_format = "test";
	struct tc_ops_writer *w;
	struct tc_err err = TC_ERR_INIT;
	cr_assert_eq(tc_ops_writer_open(&w, tcs, &h, NULL, &err), 0, "%s", err.msg);
	struct tc_lane cpu = {0, 0, 0, TC_LANE_CPU, 1, "thread 1"},
		       gpu = {0, 0, 1, TC_LANE_GPU, 7, "stream 7"};
	uint32_t lc, lg, n_step, n_gemm, n_add, n_cpy, n_cpu;
	cr_assert_eq(tc_ops_writer_lane(w, &cpu, &lc), 0);
	cr_assert_eq(tc_ops_writer_lane(w, &gpu, &lg), 0);
	tc_ops_writer_intern(w, "ProfilerStep#1", &n_step);
	tc_ops_writer_intern(w, "sgemm_128x64", &n_gemm);
	tc_ops_writer_intern(w, "add", &n_add);
	tc_ops_writer_intern(w, "Memcpy HtoD", &n_cpy);
	tc_ops_writer_intern(w, "aten::mm", &n_cpu);
	struct {
		uint8_t kind, cls;
		uint32_t name, lane;
		int64_t ts, dur;
	} ops[] = {
	    {TC_KIND_STEP, TC_CLASS_OTHER, n_step, 0, 0, 1000},
	    {TC_KIND_CPU_OP, TC_CLASS_GEMM, n_cpu, 0, 10, 500},
	    {TC_KIND_KERNEL, TC_CLASS_GEMM, n_gemm, 1, 100, 100},
	    {TC_KIND_KERNEL, TC_CLASS_GEMM, n_gemm, 1, 300, 100},
	    {TC_KIND_KERNEL, TC_CLASS_ELEMENTWISE, n_add, 1, 500, 50},
	    {TC_KIND_STEP, TC_CLASS_OTHER, n_step, 0, 1000, 1000},
	    {TC_KIND_KERNEL, TC_CLASS_GEMM, n_gemm, 1, 1100, 100},
	    {TC_KIND_KERNEL, TC_CLASS_ELEMENTWISE, n_add, 1, 1300, 50},
	    {TC_KIND_MEMCPY, TC_CLASS_COPY, n_cpy, 1, 1400, 30},
	};
	for (size_t i = 0; i < TC_ARRAY_LEN(ops); i++) {
		struct tc_op op;
		tc_op_init(&op);
		op.kind = ops[i].kind;
		op.op_class = ops[i].cls;
		op.name = ops[i].name;
		op.lane = ops[i].lane ? lg : lc;
		op.ts_ns = ops[i].ts;
		op.dur_ns = ops[i].dur;
		cr_assert_eq(tc_ops_writer_add(w, &op, NULL, &err), 0, "%s", err.msg);
	}
	cr_assert_eq(tc_ops_writer_close(w, &err), 0, "%s", err.msg);
}

static void cleanup(void)
{
	unlink(tcs);
}

static const struct tc_report_item *item(const struct tc_report_item *it, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(it[i].key, key) == 0)
			return &it[i];
	cr_assert_fail("no item %s", key);
	return NULL;
}

Test(report_diff, trace_profile_sums_gpu_ops, .init = write_trace, .fini = cleanup)
{
	struct tc_report_profile p;
	struct tc_err err = TC_ERR_INIT;
	cr_assert_eq(tc_report_profile_from_tcs(&p, tcs, &err), 0, "%s", err.msg);
	cr_expect_eq(p.steps, 2);
	cr_expect_eq(p.step_ns, 1000);
	cr_expect_eq(p.n_classes, 3); /* the CPU op is not GPU time */
	cr_expect_eq(item(p.classes, p.n_classes, "gemm")->ns, 300);
	cr_expect_eq(item(p.classes, p.n_classes, "gemm")->count, 3);
	cr_expect_eq(item(p.classes, p.n_classes, "elementwise")->ns, 100);
	cr_expect_eq(item(p.classes, p.n_classes, "copy")->ns, 30);
	cr_expect_eq(p.n_kernels, 3);
	cr_expect_eq(item(p.kernels, p.n_kernels, "sgemm_128x64")->count, 3);
	cr_expect_str_eq(item(p.kernels, p.n_kernels, "add")->cls, "elementwise");
	tc_report_profile_free(&p);
}

/* A = the trace (2 steps), B = the fixture's projected side (2 steps): per step
 *   gemm        A 150 ns (1.5)      B 3.5e6/2 = 1750000 ns (4/2 = 2)   |delta| 1749850
 *   elementwise A 50 ns (1)         B 1.2e6/2 = 600000 ns (3)          |delta|  599950
 *   copy        A 15 ns (0.5)       B 3e5/2  = 150000 ns (1)           |delta|  149985
 * kernels: sgemm_128x64 in both; "add" only in A; void add<...> and Memcpy HtoD only in B
 * (Memcpy HtoD is in A too, 30/2 = 15 ns, and in B 300000/2). */
Test(report_diff, trace_against_projection_per_step, .init = write_trace, .fini = cleanup)
{
	struct tc_report_profile a, b;
	struct tc_err err = TC_ERR_INIT;
	json_error_t je;
	json_t *doc = json_loads(fixture_projection, 0, &je);
	cr_assert_eq(tc_report_profile_from_tcs(&a, tcs, &err), 0, "%s", err.msg);
	cr_assert_eq(tc_report_profile_from_projection(&b, doc, 1, NULL, &err), 0, "%s", err.msg);
	cr_expect_str_eq(b.label, "h100-sxm5");
	cr_expect_eq(b.step_ns, 4500000);
	struct tc_report_diff d;
	cr_assert_eq(tc_report_diff_build(&d, &a, &b, 0, &err), 0, "%s", err.msg);
	cr_expect(d.per_step);
	cr_assert_eq(d.n_classes, 3);
	cr_expect_str_eq(d.classes[0].key, "gemm");
	cr_expect_eq(d.classes[0].a_ns, 150);
	cr_expect_eq(d.classes[0].b_ns, 1750000);
	cr_expect_eq(d.classes[0].a_count, 1.5);
	cr_expect_eq(d.classes[0].b_count, 2);
	cr_expect_str_eq(d.classes[1].key, "elementwise");
	cr_expect_str_eq(d.classes[2].key, "copy");
	cr_expect_eq(d.classes[2].a_ns, 15);
	/* kernels: union of {sgemm_128x64, add, Memcpy HtoD} and {sgemm_128x64, void add<..>,
	 * Memcpy HtoD} = 4 rows; biggest first: sgemm 1750000 - 150 */
	cr_assert_eq(d.n_kernels, 4);
	cr_expect_str_eq(d.kernels[0].key, "sgemm_128x64");
	cr_expect_str_eq(d.kernels[3].key, "add"); /* |0 - 50| is the smallest */
	cr_expect_eq(d.kernels[3].b_ns, 0);

	/* JSON and HTML agree figure by figure */
	char *jbuf = NULL, *hbuf = NULL, *tbuf = NULL;
	size_t jl = 0, hl = 0, tl = 0;
	FILE *fp = open_memstream(&jbuf, &jl);
	cr_assert_eq(tc_report_diff_write_json(&d, fp), 0);
	fclose(fp);
	fp = open_memstream(&hbuf, &hl);
	cr_assert_eq(tc_report_diff_write_html(&d, fp), 0);
	fclose(fp);
	fp = open_memstream(&tbuf, &tl);
	cr_assert_eq(tc_report_diff_write_text(&d, fp, 0), 0);
	fclose(fp);
	json_t *dj = json_loads(jbuf, 0, &je);
	cr_assert_not_null(dj, "%s", je.text);
	cr_expect_str_eq(json_string_value(json_object_get(dj, "schema")), "tracecast.diff");
	cr_expect_eq(json_number_value(json_object_get(
			 json_array_get(json_object_get(dj, "classes"), 0), "delta_ns")),
		     1750000 - 150);
	static struct metric m[256];
	size_t n = metrics(hbuf, m, 256);
	/* 2 step times + classes: 3 bars + 3 x 4 cells; kernels: 4 bars + 4 x 4 cells */
	cr_expect_eq(n, 2 + 3 + 12 + 4 + 16);
	for (size_t i = 0; i < n; i++) {
		const json_t *v = resolve(dj, m[i].name);
		cr_assert(json_is_number(v), "%s not in the diff JSON", m[i].name);
		cr_expect_eq(m[i].value, json_number_value(v), "%s", m[i].name);
	}
	cr_expect_eq(count_str(hbuf, "<svg class=\"chart\""), 2);
	cr_expect_null(strstr(hbuf, "add<float"));
	/* the table: per-step note, the kernel only in A reads "gone", no colour codes */
	cr_expect_not_null(strstr(tbuf, "figures per step"));
	cr_expect_not_null(strstr(tbuf, "gone"));
	cr_expect_null(strchr(tbuf, '\033'));
	json_decref(dj);
	free(jbuf);
	free(hbuf);
	free(tbuf);
	tc_report_diff_free(&d);
	tc_report_profile_free(&a);
	tc_report_profile_free(&b);
	json_decref(doc);
}

Test(report_diff, missing_trace_is_an_error_naming_the_file)
{
	struct tc_report_profile p;
	struct tc_err err = TC_ERR_INIT;
	cr_expect_lt(tc_report_profile_from_tcs(&p, "/nonexistent/x.tcs", &err), 0);
	cr_expect_not_null(strstr(err.msg, "/nonexistent/x.tcs"), "%s", err.msg);
}

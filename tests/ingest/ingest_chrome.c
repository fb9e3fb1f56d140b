/* Unit tests of the Kineto/Chrome adapter on small hand-made traces: each mapping of the
 * issue (phases, eras, linking, steps, collectives, synchronisation, numbers) and each bad
 * input with the error text it must produce. Expected values are read off the snippets. */
#include <criterion/criterion.h>
#include <zlib.h>
#include <zstd.h>

#include "ingest_test.h"

#define RT(name, ts, dur, corr, ext)                                                               \
	"{\"ph\":\"X\",\"cat\":\"cuda_runtime\",\"name\":\"" name "\",\"pid\":1,\"tid\":1,"        \
	"\"ts\":" #ts ",\"dur\":" #dur ",\"args\":{\"correlation\":" #corr                         \
	",\"External id\":" #ext "}}"
#define KERNEL(name, ts, dur, stream, corr, extra)                                                 \
	"{\"ph\":\"X\",\"cat\":\"kernel\",\"name\":\"" name "\",\"pid\":0,\"tid\":" #stream ","    \
	"\"ts\":" #ts ",\"dur\":" #dur ",\"args\":{\"device\":0,\"stream\":" #stream               \
	",\"correlation\":" #corr extra "}}"
#define CPU(name, ts, dur, ext, extra)                                                             \
	"{\"ph\":\"X\",\"cat\":\"cpu_op\",\"name\":\"" name "\",\"pid\":1,\"tid\":1,"              \
	"\"ts\":" #ts ",\"dur\":" #dur ",\"args\":{\"External id\":" #ext extra "}}"
#define DEVPROPS                                                                                   \
	"\"deviceProperties\":[{\"id\":0,\"name\":\"NVIDIA A100-SXM4-80GB\",\"totalGlobalMem\":"   \
	"85031714816,\"numSms\":108},{\"id\":1,\"name\":\"NVIDIA A100-SXM4-80GB\"}]"

static const struct tc_op *nth_kind(const struct rb *b, unsigned kind, size_t n)
{
	for (size_t i = 0; i < b->n; i++)
		if (b->ops[i].kind == kind && n-- == 0)
			return &b->ops[i];
	return NULL;
}

Test(chrome, phases)
{
	struct rb b = {0};
	struct tc_err err = TC_ERR_INIT;
	const char *j =
	    "{\"traceEvents\":["
	    "{\"ph\":\"M\",\"name\":\"thread_name\",\"pid\":1,\"tid\":1,\"args\":{\"name\":"
	    "\"main\"}}," CPU(
		"aten::relu", 100, 10, 1,
		"") ","
		    "{\"ph\":\"B\",\"cat\":\"cpu_op\",\"name\":\"aten::mul\",\"pid\":1,\"tid\":1,"
		    "\"ts\":200},"
		    "{\"ph\":\"E\",\"pid\":1,\"tid\":1,\"ts\":230},"
		    "{\"ph\":\"i\",\"name\":\"mark\",\"pid\":1,\"tid\":1,\"ts\":240,\"s\":\"t\"},"
		    "{\"ph\":\"C\",\"name\":\"mem\",\"pid\":1,\"ts\":250,\"args\":{\"v\":1}},"
		    "{\"ph\":\"s\",\"id\":5,\"pid\":1,\"tid\":1,\"ts\":100,\"cat\":\"ac2g\","
		    "\"name\":\"ac2g\"},"
		    "{\"ph\":\"f\",\"id\":5,\"pid\":0,\"tid\":7,\"ts\":101,\"cat\":\"ac2g\","
		    "\"name\":\"ac2g\",\"bp\":\"e\"},"
		    "{\"ph\":\"Z\",\"name\":\"future\",\"pid\":1,\"tid\":1,\"ts\":260}"
		    "]}";
	cr_assert_eq(ingest_text(&b, j, &err), 0, "%s", err.msg);
	/* relu (X) and mul (B/E) are the only ops; M, i, C, s, f, Z are skipped */
	cr_assert_eq(b.n, 2);
	const struct tc_op *mul = find_op(&b, "aten::mul");
	cr_assert_not_null(mul);
	cr_expect_eq(mul->dur_ns, 30000); /* E at 230 us - B at 200 us */
	cr_expect_eq(mul->ts_ns - b.ops[0].ts_ns, 100000);
	const struct tc_lane *l = tc_ops_reader_lane(b.r, b.ops[0].lane);
	cr_assert_not_null(l);
	cr_expect_str_eq(l->name, "main"); /* from the thread_name metadata event */
	rb_free(&b);
}

Test(chrome, nested_begin_end)
{
	struct rb b = {0};
	struct tc_err err = TC_ERR_INIT;
	/* B outer(0) B inner(10) E(20) E(50), and a stray E on another thread */
	const char *j = "[{\"ph\":\"B\",\"name\":\"outer\",\"pid\":1,\"tid\":1,\"ts\":0},"
			"{\"ph\":\"B\",\"name\":\"inner\",\"pid\":1,\"tid\":1,\"ts\":10},"
			"{\"ph\":\"E\",\"pid\":1,\"tid\":2,\"ts\":15},"
			"{\"ph\":\"E\",\"pid\":1,\"tid\":1,\"ts\":20},"
			"{\"ph\":\"E\",\"pid\":1,\"tid\":1,\"ts\":50}]";
	cr_assert_eq(ingest_text(&b, j, &err), 0, "%s", err.msg);
	const struct tc_op *o = find_op(&b, "outer"), *i = find_op(&b, "inner");
	cr_assert(o && i);
	cr_expect_eq(o->dur_ns, 50000);
	cr_expect_eq(i->dur_ns, 10000);
	cr_expect_eq(i->parent, o->id);
	rb_free(&b);
}

Test(chrome, bare_array_and_linking)
{
	struct rb b = {0};
	struct tc_err err = TC_ERR_INIT;
	/* aten::mm [64,32]x[32,16] fp32 encloses the launch; the kernel (corr 7) runs later */
	const char *j = "[" CPU(
	    "aten::mm", 10, 20, 3,
	    ",\"Input Dims\":[[64,32],[32,16]],\"Input "
	    "type\":[\"float\",\"float\"]") "," KERNEL("ampere_sgemm_32x32_"
						       "sliced1x4_tn",
						       40, 5, 7, 7, "") "," RT("cudaLaunchKe"
									       "rnel",
									       15, 4, 7, 3) "]";
	cr_assert_eq(ingest_text(&b, j, &err), 0, "%s", err.msg);
	cr_assert_eq(b.n, 3);
	/* written in time order: mm (10), launch (15), kernel (40) */
	cr_expect_eq(b.ops[0].kind, TC_KIND_CPU_OP);
	cr_expect_eq(b.ops[1].kind, TC_KIND_RUNTIME);
	cr_expect_eq(b.ops[1].sub, TC_RT_LAUNCH);
	cr_expect_eq(b.ops[1].parent, b.ops[0].id);
	const struct tc_op *k = &b.ops[2];
	cr_expect_eq(k->kind, TC_KIND_KERNEL);
	cr_expect_eq(k->op_class, TC_CLASS_GEMM);
	cr_expect_eq(k->link, b.ops[1].id);
	cr_expect_eq(k->correlation, 7u);
	/* work flows from mm to its kernel: 2*64*32*16 = 65536 FLOPs */
	cr_expect_eq(k->has_work, 1);
	cr_expect_eq(k->flops, 65536u);
	cr_expect_eq(k->dtype, TC_DT_F32);
	const struct tc_lane *gl = tc_ops_reader_lane(b.r, k->lane);
	cr_expect_eq(gl->type, TC_LANE_GPU);
	cr_expect_eq(gl->tid, 7);
	rb_free(&b);
}

Test(chrome, nesting_and_steps)
{
	struct rb b = {0};
	struct tc_err err = TC_ERR_INIT;
	const char *j =
	    "{\"traceEvents\":["
	    "{\"ph\":\"X\",\"cat\":\"user_annotation\",\"name\":\"ProfilerStep#3\",\"pid\":1,"
	    "\"tid\":1,\"ts\":0,\"dur\":1000}," CPU("aten::linear", 10, 100, 1, "") "," CPU(
		"aten::addmm", 20, 50, 2,
		"") "," CPU("aten::relu", 200, 10, 3,
			    "") ","
				"{\"ph\":\"X\",\"cat\":\"user_annotation\",\"name\":\"ProfilerStep#"
				"4\",\"pid\":1,\"tid\":1,\"ts\":1000,\"dur\":500}," CPU(
				    "aten::relu", 1100, 10, 4, "") "]}";
	cr_assert_eq(ingest_text(&b, j, &err), 0, "%s", err.msg);
	cr_assert_eq(count_kind(&b, TC_KIND_STEP), 2);
	const struct tc_op *s3 = find_op(&b, "ProfilerStep#3"), *lin = find_op(&b, "aten::linear"),
			   *add = find_op(&b, "aten::addmm"), *s4 = find_op(&b, "ProfilerStep#4");
	cr_expect_eq(lin->parent, s3->id);
	cr_expect_eq(add->parent, lin->id);
	cr_expect_eq(s4->parent, TC_NONE); /* starts exactly when step 3 ends */
	cr_expect_eq(b.ops[b.n - 1].parent, s4->id);
	rb_free(&b);
}

Test(chrome, era_2021)
{
	struct rb b = {0};
	struct tc_err err = TC_ERR_INIT;
	/* capitalised categories, computeProperties, "stream 7" tid, lowercase "external id" */
	const char *j =
	    "{\"schemaVersion\":1,\"computeProperties\":[{\"id\":0,\"name\":\"Tesla "
	    "V100-DGXS-32GB\","
	    "\"totalGlobalMem\":34089730048,\"major\":7,\"minor\":0,\"multiProcessorCount\":80}],"
	    "\"traceEvents\":["
	    "{\"ph\":\"X\",\"cat\":\"Operator\",\"name\":\"aten::conv2d\",\"pid\":10,\"tid\":"
	    "\"10\",\"ts\":100,\"dur\":50,"
	    "\"args\":{\"Input dims\":[[1,3,8,8],[4,3,3,3],[4]],\"external id\":5}},"
	    "{\"ph\":\"X\",\"cat\":\"Runtime\",\"name\":\"cudaLaunchKernel\",\"pid\":10,\"tid\":"
	    "\"10\",\"ts\":110,\"dur\":5,"
	    "\"args\":{\"correlation\":42,\"external id\":5}},"
	    "{\"ph\":\"X\",\"cat\":\"Kernel\",\"name\":\"implicit_convolve_sgemm\",\"pid\":0,"
	    "\"tid\":\"stream 7\",\"ts\":130,\"dur\":9,"
	    "\"args\":{\"correlation\":42,\"external id\":5,\"device\":0,\"stream\":7}}]}";
	cr_assert_eq(ingest_text(&b, j, &err), 0, "%s", err.msg);
	const struct tc_ops_header *h = tc_ops_reader_header(b.r);
	int found = 0;
	for (size_t i = 0; i < h->n_meta; i++)
		if (strcmp(h->meta[i].key, "schema_era") == 0) {
			cr_expect_str_eq(h->meta[i].value, "2021");
			found = 1;
		}
	cr_expect(found);
	const struct tc_op *k = nth_kind(&b, TC_KIND_KERNEL, 0);
	cr_assert_not_null(k);
	cr_expect_eq(k->op_class, TC_CLASS_CONV);
	cr_expect_neq(k->link, TC_NONE);
	cr_expect_eq(tc_ops_reader_lane(b.r, k->lane)->tid, 7);
	/* conv 1x3x8x8 * 4x3x3x3 (no types -> fp32), same padding: 2*1*4*3*9*64 = 13824 */
	cr_expect_eq(k->flops, 13824u);
	/* the GPU device: named from computeProperties */
	int gpus = 0;
	for (size_t i = 0; i < h->n_devices; i++)
		if (h->devices[i].type == TC_DEV_GPU) {
			gpus++;
			cr_expect_str_eq(h->devices[i].name, "Tesla V100-DGXS-32GB");
			cr_expect_eq(h->devices[i].compute_units, 80u);
			cr_expect_eq(h->devices[i].memory_bytes, 34089730048ull);
		}
	cr_expect_eq(gpus, 1);
	rb_free(&b);
}

Test(chrome, era_2024_precision_and_big_ids)
{
	struct rb b = {0};
	struct tc_err err = TC_ERR_INIT;
	/* epoch-us timestamps 1 ns apart (a double cannot tell them apart at 1.7e15 us) and a
	 * correlation above INT64_MAX */
	const char *j = "{\"traceEvents\":[" RT(
	    "cudaLaunchKernel", 1700000000000000.001, 0.5, 10159970886766084423,
	    1) "," KERNEL("ncclKernel_AllReduce_RING_LL_Sum_float", 1700000000000000.002, 2.25, 20,
			  10159970886766084423, "") "],"
						    "\"baseTimeNanoseconds\":1000}";
	cr_assert_eq(ingest_text(&b, j, &err), 0, "%s", err.msg);
	cr_assert_eq(b.n, 2);
	cr_expect_eq(b.ops[1].ts_ns - b.ops[0].ts_ns, 1);
	cr_expect_eq(b.ops[0].dur_ns, 500);
	cr_expect_eq(b.ops[1].dur_ns, 2250);
	cr_expect_eq(b.ops[1].correlation, 10159970886766084423ull);
	cr_expect_eq(b.ops[1].link, b.ops[0].id);
	/* base = baseTimeNanoseconds + first ts in ns */
	cr_expect_eq(tc_ops_reader_header(b.r)->base_time_ns, 1700000000000000001LL + 1000);
	rb_free(&b);
}

Test(chrome, flows_link_without_correlation)
{
	struct rb b = {0};
	struct tc_err err = TC_ERR_INIT;
	/* Neither the launch nor the kernel carries a correlation; the ac2g flow (id 42) starts
	 * at the launch's (pid 1, tid 1, ts 15) and ends at the kernel's (pid 0, tid 7, ts 40).
	 * A second kernel has no flow at its place and stays unlinked. Flows come first in the
	 * file, as Kineto may write them. */
	const char *j = "{\"traceEvents\":["
			"{\"ph\":\"s\",\"id\":42,\"pid\":1,\"tid\":1,\"ts\":15,\"cat\":\"ac2g\","
			"\"name\":\"ac2g\"},"
			"{\"ph\":\"f\",\"id\":42,\"pid\":0,\"tid\":7,\"ts\":40,\"cat\":\"ac2g\","
			"\"name\":\"ac2g\",\"bp\":\"e\"},"
			"{\"ph\":\"f\",\"id\":43,\"pid\":0,\"tid\":7,\"ts\":61,\"cat\":\"ac2g\","
			"\"name\":\"ac2g\",\"bp\":\"e\"},"
			"{\"ph\":\"X\",\"cat\":\"cuda_runtime\",\"name\":\"cudaLaunchKernel\","
			"\"pid\":1,\"tid\":1,"
			"\"ts\":15,\"dur\":4,\"args\":{}},"
			"{\"ph\":\"X\",\"cat\":\"kernel\",\"name\":\"k1\",\"pid\":0,\"tid\":7,"
			"\"ts\":40,\"dur\":5,"
			"\"args\":{\"device\":0,\"stream\":7}},"
			"{\"ph\":\"X\",\"cat\":\"kernel\",\"name\":\"k2\",\"pid\":0,\"tid\":7,"
			"\"ts\":60,\"dur\":5,"
			"\"args\":{\"device\":0,\"stream\":7}}]}";
	cr_assert_eq(ingest_text(&b, j, &err), 0, "%s", err.msg);
	cr_assert_eq(b.n, 3);
	const struct tc_op *rt = nth_kind(&b, TC_KIND_RUNTIME, 0), *k1 = find_op(&b, "k1"),
			   *k2 = find_op(&b, "k2");
	cr_assert(rt && k1 && k2);
	cr_expect_eq(rt->correlation, 42u);
	cr_expect_eq(k1->correlation, 42u);
	cr_expect_eq(k1->link, rt->id);
	cr_expect_eq(k2->correlation, 0u); /* flow 43 ends at 61, not at k2's 60 */
	cr_expect_eq(k2->link, TC_NONE);
	rb_free(&b);
}

Test(chrome, gemm_dims_and_shapes)
{
	struct rb b = {0};
	struct tc_err err = TC_ERR_INIT;
	/* bmm [4,64,32] x [4,32,16]: batch 4 of 64x32 by 32x16 -> m 64, n 16, k 32, batch 4.
	 * convolution input [2,3,8,8], weight [4,3,3,3], stride 1, padding 1 -> 8x8 output:
	 * implicit GEMM m = N*8*8 = 128, n = K = 4, k = C*3*3 = 27, batch 1. */
	const char *j =
	    "[" CPU("aten::bmm", 10, 20, 3, ",\"Input Dims\":[[4,64,32],[4,32,16]],\"Input type\":[\"c10::Half\",\"c10::Half\"]") "," RT(
		"cudaLaunchKernel", 15, 4, 7,
		3) "," KERNEL("ampere_fp16_s16816gemm_fp16_128x64_ldg8_f2f_tn", 40, 5, 7, 7,
			      "") "," CPU("aten::convolution", 100, 20, 4,
					  ",\"Input "
					  "Dims\":[[2,3,8,8],[4,3,3,3],[],[],[],[],[],[],[]],"
					  "\"Input "
					  "type\":[\"float\",\"float\",\"\",\"ScalarList\","
					  "\"ScalarList\",\"ScalarList\",\"Scalar\","
					  "\"ScalarList\",\"Scalar\"],"
					  "\"Concrete Inputs\":[\"\",\"\",\"\",\"[1, "
					  "1]\",\"[1, 1]\",\"[1, 1]\",\"False\",\"[0, "
					  "0]\",\"1\"]") "," RT("cudaLaunchKernel", 105, 4, 8,
								4) "," KERNEL("cudnn::"
									      "implicit_"
									      "convolve_"
									      "sgemm<float, "
									      "float, 128, "
									      "5, 5, 3, 3, "
									      "3, 1, false, "
									      "false, true>",
									      130, 5, 7, 8, "") "]";
	cr_assert_eq(ingest_text(&b, j, &err), 0, "%s", err.msg);
	cr_assert_eq(b.n, 6);
	const struct tc_op *bmm = find_op(&b, "aten::bmm"), *k1 = nth_kind(&b, TC_KIND_KERNEL, 0),
			   *k2 = nth_kind(&b, TC_KIND_KERNEL, 1);
	cr_assert(bmm && k1 && k2);
	cr_expect_eq(bmm->gemm_m, 64);
	cr_expect_eq(bmm->gemm_n, 16);
	cr_expect_eq(bmm->gemm_k, 32);
	cr_expect_eq(bmm->gemm_batch, 4);
	/* the kernel takes its launching op's problem */
	cr_expect_eq(k1->gemm_m, 64);
	cr_expect_eq(k1->gemm_n, 16);
	cr_expect_eq(k1->gemm_k, 32);
	cr_expect_eq(k1->gemm_batch, 4);
	cr_expect_eq(k2->op_class, TC_CLASS_CONV);
	cr_expect_eq(k2->gemm_m, 128);
	cr_expect_eq(k2->gemm_n, 4);
	cr_expect_eq(k2->gemm_k, 27);
	cr_expect_eq(k2->gemm_batch, 1);
	/* runtime calls carry no problem */
	const struct tc_op *rt = nth_kind(&b, TC_KIND_RUNTIME, 0);
	cr_assert_not_null(rt);
	cr_expect_eq(rt->gemm_m, 0);

	/* Input Dims come back as the CPU op's shapes (read straight from the reader: the
	 * copies in b.ops drop the borrowed arrays) */
	struct tc_ops_reader *r;
	const struct tc_op *ops;
	size_t n;
	int seen = 0;
	cr_assert_eq(tc_ops_reader_open(&r, b.out, &err), 0, "%s", err.msg);
	while (tc_ops_reader_next(r, &ops, &n, &err) == 1) {
		for (size_t i = 0; i < n; i++) {
			const char *nm = tc_ops_reader_string(r, ops[i].name);
			if (strcmp(nm, "aten::bmm") == 0) {
				cr_assert_eq(ops[i].n_shapes, 2);
				cr_expect_eq(ops[i].shapes[0].rank, 3);
				cr_expect_eq(ops[i].shapes[0].dims[1], 64);
				cr_expect_eq(ops[i].shapes[1].dims[2], 16);
				seen++;
			} else if (strcmp(nm, "aten::convolution") == 0) {
				cr_assert_eq(ops[i].n_shapes, 9);
				cr_expect_eq(ops[i].shapes[1].rank, 4);
				cr_expect_eq(ops[i].shapes[1].dims[0], 4);
				cr_expect_eq(ops[i].shapes[2].rank, 0); /* empty bias slot */
				seen++;
			} else {
				cr_expect_eq(ops[i].n_shapes, 0, "%s has shapes", nm);
			}
		}
	}
	cr_expect_eq(seen, 2);
	tc_ops_reader_free(r);
	rb_free(&b);
}

Test(chrome, graph_launch)
{
	struct rb b = {0};
	struct tc_err err = TC_ERR_INIT;
	const char *j = "{\"traceEvents\":[" RT("cudaGraphLaunch", 10, 5, 9, 1) "," KERNEL(
	    "triton_poi_fused_add_0", 20, 2, 7, 9, "") "," KERNEL("triton_red_fused_sum_1", 23, 2,
								  7, 9, "") "]}";
	cr_assert_eq(ingest_text(&b, j, &err), 0, "%s", err.msg);
	cr_expect_eq(b.ops[0].sub, TC_RT_GRAPH_LAUNCH);
	for (int i = 1; i <= 2; i++) {
		cr_expect_eq(b.ops[i].link, b.ops[0].id);
		cr_expect(b.ops[i].flags & TC_FLAG_GRAPH_KERNEL);
	}
	rb_free(&b);
}

Test(chrome, collectives)
{
	struct rb b = {0};
	struct tc_err err = TC_ERR_INIT;
	/* 1: NCCL kernel with its own args (1000 floats -> 4000 bytes);
	 * 2, 3: RCCL generic kernels without args under record_param_comms that has them */
	const char *j = "{\"traceEvents\":[" RT("cudaLaunchKernel", 10, 5, 1, 1) "," KERNEL(
	    "ncclDevKernel_AllReduce_Sum_f32_RING_LL(x)", 20, 10, 20, 1,
	    ",\"Collective name\":\"allreduce\",\"In msg nelems\":1000,\"Group size\":2,"
	    "\"dtype\":\"Float\",\"Process Group Name\":\"0\",\"Process Group "
	    "Ranks\":\"[0, 1]\"") "," CPU("record_param_comms", 100, 50, 2,
					  ",\"Collective name\":\"all_gather\",\"In msg "
					  "nelems\":256,\"Group size\":4,"
					  "\"dtype\":\"BFloat16\",\"Process Group "
					  "Name\":\"7\"") "," RT("hipExtLaunchKernel", 110, 5, 2,
								 2) "," KERNEL("ncclDevKern"
									       "el_Generic("
									       "ncclDevKern"
									       "elArgsStora"
									       "ge<4096ul>"
									       ")",
									       130, 10, 20, 2,
									       "") "," CPU("record_"
											   "param_"
											   "comms",
											   200, 50,
											   3,
											   ",\"Coll"
											   "ective "
											   "name\":"
											   "\"all_"
											   "gather"
											   "\","
											   "\"In "
											   "msg "
											   "nelems"
											   "\":256,"
											   "\"Group"
											   " size\""
											   ":4,"
											   "\"dtype"
											   "\":"
											   "\"BFloa"
											   "t16\","
											   "\"Proce"
											   "ss "
											   "Group "
											   "Name\":"
											   "\"7\"") "," RT("hipExtLaunchKernel",
													   210,
													   5,
													   3,
													   3) "," KERNEL("ncclDevKernel_Generic(ncclDevKernelArgsStorage<4096ul>)",
															 230,
															 10,
															 20,
															 3,
															 "") "]}";
	cr_assert_eq(ingest_text(&b, j, &err), 0, "%s", err.msg);
	const struct tc_op *k1 = nth_kind(&b, TC_KIND_KERNEL, 0),
			   *k2 = nth_kind(&b, TC_KIND_KERNEL, 1),
			   *k3 = nth_kind(&b, TC_KIND_KERNEL, 2);
	cr_assert(k1 && k2 && k3);
	cr_expect_eq(k1->coll_kind, TC_COLL_ALLREDUCE);
	cr_expect_eq(k1->coll_bytes, 4000u);
	cr_expect_eq(k1->coll_group_size, 2u);
	cr_expect_eq(k1->coll_dtype, TC_DT_F32);
	cr_expect_str_eq(tc_ops_reader_string(b.r, k1->coll_group), "0");
	cr_expect_eq(k1->coll_seq, 0u);
	cr_expect_eq(k2->coll_kind, TC_COLL_ALLGATHER);
	cr_expect_eq(k2->coll_bytes, 512u); /* 256 bf16 */
	cr_expect_eq(k2->coll_group_size, 4u);
	cr_expect_str_eq(tc_ops_reader_string(b.r, k2->coll_group), "7");
	/* sequence counts per group: group "7" starts at 0 again */
	cr_expect_eq(k2->coll_seq, 0u);
	cr_expect_eq(k3->coll_seq, 1u);
	rb_free(&b);
}

Test(chrome, event_sync)
{
	struct rb b = {0};
	struct tc_err err = TC_ERR_INIT;
	/* record on stream 7 (corr 10), wait on stream 20 (corr 11), as newer Kineto writes it */
	const char *j =
	    "{\"traceEvents\":[" KERNEL("ampere_sgemm_128x64_nn", 1, 100, 7, 5, "") "," RT(
		"cudaEventRecord", 10, 2, 10,
		1) "," RT("cudaStreamWaitEvent", 13, 2, 11,
			  1) ","
			     "{\"ph\":\"X\",\"cat\":\"cuda_sync\",\"name\":\"Stream Wait "
			     "Event\",\"pid\":0,\"tid\":20,\"ts\":14,\"dur\":1,"
			     "\"args\":{\"cuda_sync_kind\":\"Stream Wait "
			     "Event\",\"wait_on_stream\":7,"
			     "\"wait_on_cuda_event_record_corr_id\":10,\"stream\":20,"
			     "\"correlation\":11,\"device\":0}}," RT("cudaDeviceSynchronize", 20, 5,
								     12, 1) "]}";
	cr_assert_eq(ingest_text(&b, j, &err), 0, "%s", err.msg);
	const struct tc_op *rec = find_op(&b, "cudaEventRecord"),
			   *wait = find_op(&b, "cudaStreamWaitEvent"),
			   *ds = find_op(&b, "cudaDeviceSynchronize"),
			   *k = nth_kind(&b, TC_KIND_KERNEL, 0);
	cr_assert(rec && wait && ds && k);
	cr_expect_eq(rec->sub, TC_RT_EVENT_RECORD);
	cr_expect_eq(wait->sub, TC_RT_STREAM_WAIT_EVENT);
	cr_expect_eq(ds->sub, TC_RT_DEVICE_SYNC);
	cr_expect_eq(rec->sync_event, 10u);
	cr_expect_eq(wait->sync_event, 10u);
	cr_expect_eq(rec->sync_lane, k->lane + 1); /* recorded on stream 7, the kernel's lane */
	cr_assert_neq(wait->sync_lane, 0u);
	const struct tc_lane *wl = tc_ops_reader_lane(b.r, wait->sync_lane - 1);
	cr_expect_eq(wl->type, TC_LANE_GPU);
	cr_expect_eq(wl->tid, 20);
	cr_expect_eq(count_kind(&b, TC_KIND_KERNEL), 1); /* the cuda_sync event is not an op */
	rb_free(&b);
}

Test(chrome, group_size_from_ranks_and_pg_config)
{
	struct rb b = {0};
	struct tc_err err = TC_ERR_INIT;
	/* k1: no "Group size" but "Process Group Ranks" "[0, 2, 4]" -> 3 ranks.
	 * k2: nothing on the kernel or its op but the group name "5": pg_config says 16.
	 * k3: no group named at all; the job has two process groups, so nothing is assumed. */
	const char *j =
	    "{\"distributedInfo\":{\"rank\":0,\"world_size\":16,\"pg_config\":["
	    "{\"pg_name\":\"0\",\"pg_desc\":\"default_pg\",\"pg_size\":16,\"ranks\":[]},"
	    "{\"pg_name\":\"5\",\"pg_size\":16}]},\"traceEvents\":[" RT("cudaLaunchKernel", 10, 5, 1, 1) "," KERNEL(
		"ncclDevKernel_AllReduce_Sum_f32_RING_LL(x)", 20, 10, 20, 1,
		",\"Collective name\":\"allreduce\",\"In msg nelems\":10,\"dtype\":\"Float\","
		"\"Process Group Ranks\":\"[0, 2, 4]\"") "," CPU("record_param_comms", 100, 50, 2,
								 ",\"Collective "
								 "name\":\"broadcast\","
								 "\"Process Group "
								 "Name\":\"5\"") "," RT("cudaL"
											"aunch"
											"Kerne"
											"l",
											110, 5, 2,
											2) "," KERNEL("ncclDevKernel_Broadcast_RING_LL(x)",
												      130,
												      10,
												      20,
												      2,
												      "") "," RT("cudaLaunchKernel",
														 210,
														 5,
														 3,
														 3) "," KERNEL("ncclDevKernel_AllGather_RING_LL(x)",
															       230,
															       10,
															       20,
															       3,
															       "") "]}";
	cr_assert_eq(ingest_text(&b, j, &err), 0, "%s", err.msg);
	const struct tc_op *k1 = nth_kind(&b, TC_KIND_KERNEL, 0),
			   *k2 = nth_kind(&b, TC_KIND_KERNEL, 1),
			   *k3 = nth_kind(&b, TC_KIND_KERNEL, 2);
	cr_assert(k1 && k2 && k3);
	cr_expect_eq(k1->coll_group_size, 3u);
	cr_expect_eq(k2->coll_kind, TC_COLL_BROADCAST);
	cr_expect_eq(k2->coll_group_size, 16u);
	cr_expect_eq(k3->coll_kind, TC_COLL_ALLGATHER);
	cr_expect_eq(k3->coll_group_size, 0u);
	rb_free(&b);

	/* one process group only: a collective naming none is in it */
	const char *j1 = "{\"distributedInfo\":{\"rank\":0,\"pg_config\":[{\"pg_name\":\"0\","
			 "\"ranks\":[0,1,2,3]}]},"
			 "\"traceEvents\":[" RT("cudaLaunchKernel", 10, 5, 1, 1) "," KERNEL(
			     "ncclDevKernel_AllReduce_Sum_f32_RING_LL(x)", 20, 10, 20, 1, "") "]}";
	cr_assert_eq(ingest_text(&b, j1, &err), 0, "%s", err.msg);
	k1 = nth_kind(&b, TC_KIND_KERNEL, 0);
	cr_assert_not_null(k1);
	cr_expect_eq(k1->coll_group_size, 4u); /* no pg_size: 4 ranks listed */
	rb_free(&b);
}

Test(chrome, collective_sizes_without_collective_args)
{
	struct rb b = {0};
	struct tc_err err = TC_ERR_INIT;
	/* The param DLRM shape (PyTorch 2.0): no collective args anywhere, no pg_config.
	 * k1: under the nccl:all_to_all annotation's Input Dims [[6144]] float -> 24,576 B;
	 * k2: under record_param_comms [[24]] long int -> 192 B, kind from its nccl:all_reduce;
	 * both in the whole job's group (world_size 8).
	 * k3: its own args give only Out msg nelems: an all-gather of 1024 out among 4 -> 256
	 * in -> 512 B of bf16. */
	const char *j =
	    "{\"distributedInfo\":{\"backend\":\"nccl\",\"rank\":0,\"world_size\":8},"
	    "\"traceEvents\":["
	    "{\"ph\":\"X\",\"cat\":\"user_annotation\",\"name\":\"nccl:all_to_all\",\"pid\":1,"
	    "\"tid\":1,\"ts\":5,\"dur\":20,\"args\":{\"External id\":9,"
	    "\"Input Dims\":[[6144]],\"Input type\":[\"float\"]}}," RT("cudaLaunchKernel", 10, 5, 1, 1) "," KERNEL(
		"ncclKernel_SendRecv_RING_SIMPLE_Sum_int8_t(x)", 20, 10, 20, 1,
		"") "," CPU("nccl:all_reduce", 100, 50, 2,
			    "") "," CPU("record_param_comms", 101, 40, 3,
					",\"Input Dims\":[[24], [], []],\"Input "
					"type\":[\"long int\", \"Scalar\", "
					"\"Scalar\"]") "," RT("cudaLaunchKernel", 110, 5, 2,
							      2) "," KERNEL("ncclKern"
									    "el_"
									    "AllReduc"
									    "e_RING_"
									    "LL_Sum_"
									    "float("
									    "x)",
									    130, 10, 20, 2,
									    "") "," RT("cudaLaunchK"
										       "ernel",
										       210, 5, 3,
										       3) "," KERNEL("ncclDevKernel_AllGather_RING_LL(x)",
												     230,
												     10,
												     20,
												     3,
												     ",\"Collective name\":\"all_gather\",\"Out msg nelems\":1024,\"Group size\":4,"
												     "\"dtype\":\"BFloat16\"") "]}";
	cr_assert_eq(ingest_text(&b, j, &err), 0, "%s", err.msg);
	const struct tc_op *k1 = nth_kind(&b, TC_KIND_KERNEL, 0),
			   *k2 = nth_kind(&b, TC_KIND_KERNEL, 1),
			   *k3 = nth_kind(&b, TC_KIND_KERNEL, 2);
	cr_assert(k1 && k2 && k3);
	cr_expect_eq(k1->coll_kind, TC_COLL_ALLTOALL);
	cr_expect_eq(k1->coll_bytes, 24576u);
	cr_expect_eq(k1->coll_group_size, 8u);
	cr_expect_eq(k1->coll_dtype, TC_DT_F32);
	cr_expect_eq(k2->coll_kind, TC_COLL_ALLREDUCE);
	cr_expect_eq(k2->coll_bytes, 192u);
	cr_expect_eq(k2->coll_group_size, 8u);
	cr_expect_eq(k3->coll_kind, TC_COLL_ALLGATHER);
	cr_expect_eq(k3->coll_group_size, 4u);
	cr_expect_eq(k3->coll_bytes, 512u);
	rb_free(&b);
}

Test(chrome, device_arch)
{
	struct rb b = {0};
	struct tc_err err = TC_ERR_INIT;
	/* NVIDIA compute capability 9.0 -> sm_90; ROCm: gcnArchName, cut at the first ':' */
	const char *j = "{\"deviceProperties\":[{\"id\":0,\"name\":\"NVIDIA H100 80GB "
			"HBM3\",\"computeMajor\":9,"
			"\"computeMinor\":0}],\"traceEvents\":[" KERNEL("k", 20, 10, 7, 1, "") "]}";
	cr_assert_eq(ingest_text(&b, j, &err), 0, "%s", err.msg);
	const struct tc_ops_header *h = tc_ops_reader_header(b.r);
	cr_assert_eq(h->n_devices, 2u);
	cr_expect_str_eq(h->devices[0].arch, "");
	cr_expect_str_eq(h->devices[1].arch, "sm_90");
	rb_free(&b);
	const char *j2 =
	    "{\"deviceProperties\":[{\"id\":0,\"name\":\"AMD Instinct MI300X\",\"computeMajor\":9,"
	    "\"computeMinor\":4,\"gcnArchName\":\"gfx942:sramecc+:xnack-\"},"
	    "{\"id\":1,\"name\":\"AMD Instinct MI300X\",\"computeMajor\":9,\"computeMinor\":4}],"
	    "\"traceEvents\":[" KERNEL("Cijk_Alik_Bljk_HHS_BH_MT128x128", 20, 10, 7, 1,
				       "") ","
					   "{\"ph\":\"X\",\"cat\":\"kernel\",\"name\":\"Cijk_x\","
					   "\"pid\":1,\"tid\":7,\"ts\":40,\"dur\":1,"
					   "\"args\":{\"device\":1,\"stream\":7}}]}";
	cr_assert_eq(ingest_text(&b, j2, &err), 0, "%s", err.msg);
	h = tc_ops_reader_header(b.r);
	cr_assert_eq(h->n_devices, 3u);
	cr_expect_str_eq(h->devices[1].arch, "gfx942");
	cr_expect_str_eq(h->devices[2].arch, ""); /* 9.4 alone does not name the gfx target */
	rb_free(&b);
}

Test(chrome, ranks_and_devices)
{
	struct rb b = {0};
	struct tc_err err = TC_ERR_INIT;
	char p0[128], p1[128];
	tmpdir_make(b.dir, sizeof(b.dir));
	/* given in the order rank 1, rank 0; both list 2 GPUs but use only device 1 / 0 */
	const char *r1 =
	    "{\"distributedInfo\":{\"rank\":1,\"world_size\":4}," DEVPROPS ",\"traceEvents\":["
	    "{\"ph\":\"X\",\"cat\":\"kernel\",\"name\":\"k\",\"pid\":1,\"tid\":7,\"ts\":5,\"dur\":"
	    "1,"
	    "\"args\":{\"device\":1,\"stream\":7}}]}";
	const char *r0 =
	    "{\"distributedInfo\":{\"rank\":0,\"world_size\":4}," DEVPROPS ",\"traceEvents\":["
	    "{\"ph\":\"X\",\"cat\":\"kernel\",\"name\":\"k\",\"pid\":0,\"tid\":7,\"ts\":5,\"dur\":"
	    "1,"
	    "\"args\":{\"device\":0,\"stream\":7}}]}";
	snprintf(p0, sizeof(p0), "%s/a.json", b.dir);
	snprintf(p1, sizeof(p1), "%s/b.json", b.dir);
	write_file(p0, r1, strlen(r1));
	write_file(p1, r0, strlen(r0));
	const char *paths[] = {p0, p1};
	cr_assert_eq(ingest_paths(&b, paths, 2, &err), 0, "%s", err.msg);
	cr_assert_eq(read_back(&b, &err), 0, "%s", err.msg);
	const struct tc_ops_header *h = tc_ops_reader_header(b.r);
	cr_expect_eq(h->world_size, 4u);
	cr_assert_eq(h->n_ranks, 2u);
	cr_expect_eq(h->ranks[0], 0u);
	cr_expect_eq(h->ranks[1], 1u);
	cr_expect_str_eq(h->source_files[0], "b.json"); /* rank order */
	int gpus = 0;
	for (size_t i = 0; i < h->n_devices; i++)
		if (h->devices[i].type == TC_DEV_GPU) {
			gpus++;
			cr_expect_eq(h->devices[i].index, (int32_t)h->devices[i].rank);
			cr_expect_str_eq(h->devices[i].name, "NVIDIA A100-SXM4-80GB");
		}
	cr_expect_eq(gpus, 2); /* one used GPU per rank, not the 2 listed in each */
	rb_free(&b);
}

/* zstd: 1 = one frame; 2 = a skippable frame first (issue 19: `zstd -d` takes it, ingest
 * said "not a JSON trace") */
static void compressed_roundtrip(int zstd)
{
	struct rb b = {0};
	struct tc_err err = TC_ERR_INIT;
	char path[128];
	const char *j = "{\"traceEvents\":[" CPU("aten::relu", 1, 2, 1, "") "," CPU("aten::relu", 5,
										    2, 2, "") "]}";
	size_t n = strlen(j), cap = n + 1024;
	unsigned char *buf = malloc(cap);
	tmpdir_make(b.dir, sizeof(b.dir));
	if (zstd) {
		static const unsigned char skippable[] = {0x5e, 0x2a, 0x4d, 0x18, 3,  0,
							  0,	0,    'x',  'y',  'z'};
		size_t o = zstd == 2 ? sizeof(skippable) : 0;
		memcpy(buf, skippable, o);
		n = ZSTD_compress(buf + o, cap - o, j, strlen(j), 3);
		cr_assert(!ZSTD_isError(n));
		n += o;
		snprintf(path, sizeof(path), "%s/t.json.zst", b.dir);
	} else {
		/* two gzip members back to back must read as one stream */
		z_stream zs;
		memset(&zs, 0, sizeof(zs));
		cr_assert_eq(deflateInit2(&zs, 6, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY), Z_OK);
		size_t half = strlen(j) / 2, o = 0;
		for (int m = 0; m < 2; m++) {
			zs.next_in = (unsigned char *)(uintptr_t)(j + (m ? half : 0));
			zs.avail_in = (uInt)(m ? strlen(j) - half : half);
			zs.next_out = buf + o;
			zs.avail_out = (uInt)(cap - o);
			cr_assert_eq(deflate(&zs, Z_FINISH), Z_STREAM_END);
			o = cap - zs.avail_out;
			deflateReset(&zs);
		}
		deflateEnd(&zs);
		n = o;
		snprintf(path, sizeof(path), "%s/t.json.gz", b.dir);
	}
	write_file(path, buf, n);
	const char *p = path;
	cr_assert_eq(ingest_paths(&b, &p, 1, &err), 0, "%s", err.msg);
	cr_assert_eq(read_back(&b, &err), 0, "%s", err.msg);
	cr_expect_eq(b.n, 2);
	free(buf);
	rb_free(&b);
}

Test(chrome, gzip_multi_member)
{
	compressed_roundtrip(0);
}

Test(chrome, zstd)
{
	compressed_roundtrip(1);
}

Test(chrome, zstd_with_a_skippable_frame_first)
{
	compressed_roundtrip(2);
}

/* ---- bad inputs: one-line error naming the place, non-zero, nothing left behind ---- */

static void bad(const char *json, size_t len, const char *name, const char *want)
{
	struct rb b = {0};
	struct tc_err err = TC_ERR_INIT;
	char path[128];
	tmpdir_make(b.dir, sizeof(b.dir));
	snprintf(path, sizeof(path), "%s/%s", b.dir, name);
	write_file(path, json, len);
	const char *p = path;
	int rc = ingest_paths(&b, &p, 1, &err);
	cr_expect_lt(rc, 0, "%s: accepted", want);
	cr_expect(strstr(err.msg, want) != NULL, "want '%s' in '%s'", want, err.msg);
	cr_expect(strstr(err.msg, name) != NULL, "file name missing in '%s'", err.msg);
	cr_expect(strchr(err.msg, '\n') == NULL);
	cr_expect(!file_exists(b.out), "output left behind");
	/* no temporary either */
	char cmd[200];
	snprintf(cmd, sizeof(cmd), "ls '%s' | grep -q tcs", b.dir);
	cr_expect_neq(system(cmd), 0, "temporary output left in %s", b.dir);
	rb_free(&b);
}
#define BAD(json, want) bad((json), strlen(json), "t.json", (want))

Test(chrome, bad_inputs)
{
	BAD("{\"traceEvents\":[{\"ph\":\"X\",\"ts\":1,\"dur\":2", "truncated");
	BAD("{\"traceEvents\":[{\"ph\":\"X\",\"ts\":1,,\"dur\":2}]}",
	    "byte 33: malformed JSON in event 0");
	BAD("{\"traceEvents\":[{\"ph\":\"X\",\"ts\":1,\"dur\":2}] garbage", "expected ',' or '}'");
	BAD("{\"traceEvents\":[{\"ph\":\"X\",\"ts\":\"abc\",\"dur\":2}]}",
	    "event 0 at byte 16: bad \"ts\"");
	BAD("{\"traceEvents\":[{\"ph\":\"X\",\"ts\":1}]}", "bad or missing \"dur\"");
	BAD("{\"traceEvents\":[{\"ph\":\"X\",\"ts\":1,\"dur\":1,\"name\":5}]}",
	    "\"name\" is not a string");
	BAD("{\"traceEvents\":[{\"ph\":\"X\",\"ts\":1,\"dur\":1,\"args\":[]}]}",
	    "\"args\" is not an object");
	BAD("{\"traceEvents\":[1]}", "event 0 at byte 16: not an object");
	BAD("{\"traceEvents\":{}}", "\"traceEvents\" is not an array");
	BAD("{\"name\":\"not a trace\",\"values\":[1,2,3]}", "no \"traceEvents\"");
	BAD("{\"traceEvents\":[]}", "empty trace");
	BAD("{\"traceEvents\":[{\"ph\":\"M\",\"name\":\"process_name\",\"pid\":1,\"args\":{}}]}",
	    "empty trace");
	BAD("", "empty file");
	BAD("hello", "not a JSON trace");
	BAD("{\"traceEvents\":[]} {}", "trailing data");
	/* nesting deeper than the scanner's limit (256) is refused, not recursed into */
	char deep[1300];
	size_t o = (size_t)snprintf(deep, sizeof(deep), "{\"traceEvents\":[{\"x\":");
	memset(deep + o, '[', 600);
	memset(deep + o + 600, ']', 600);
	snprintf(deep + o + 1200, sizeof(deep) - o - 1200, "}]}");
	BAD(deep, "event 0 nests objects or arrays deeper than 256 levels"); /* issue 19: not
										"malformed" */
	BAD("[[1]]", "event 0 at byte 1: not an object");
	/* gzip: a valid header then garbage */
	static const unsigned char gz[] = {0x1f, 0x8b, 0x08, 0x00, 0,	 0,    0,    0,	   0,
					   0x03, 0xff, 0xff, 0xff, 0xff, 0x00, 0x01, 0x02, 0x03};
	bad((const char *)gz, sizeof(gz), "t.json.gz", "gzip");
	/* gzip truncated: a real stream cut in half */
	unsigned char zb[256];
	uLongf zn = sizeof(zb);
	const char *j = "{\"traceEvents\":[{\"ph\":\"X\",\"ts\":1,\"dur\":2,\"name\":\"x\"}]}";
	z_stream zs;
	memset(&zs, 0, sizeof(zs));
	deflateInit2(&zs, 6, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY);
	zs.next_in = (unsigned char *)(uintptr_t)j;
	zs.avail_in = (uInt)strlen(j);
	zs.next_out = zb;
	zs.avail_out = (uInt)zn;
	deflate(&zs, Z_FINISH);
	zn = zn - zs.avail_out;
	deflateEnd(&zs);
	bad((const char *)zb, zn / 2, "cut.json.gz", "truncated");
}

/* A gzip input big enough (> 16 KB compressed) that decompression runs on its own thread:
 * 3000 events with pseudo-random names barely compress. */
static size_t big_gz(unsigned char **out, size_t *json_len)
{
	size_t cap = 400000, n = 0;
	char *j = malloc(cap);
	uint32_t x = 12345;
	n += (size_t)snprintf(j + n, cap - n, "{\"traceEvents\":[");
	for (int i = 0; i < 3000; i++) {
		char name[41];
		for (int c = 0; c < 40; c++) {
			x = x * 1103515245u + 12345u;
			name[c] = "0123456789abcdef"[(x >> 16) & 15];
		}
		name[40] = '\0';
		n +=
		    (size_t)snprintf(j + n, cap - n,
				     "%s{\"ph\":\"X\",\"cat\":\"cpu_op\",\"name\":\"%s\",\"pid\":1,"
				     "\"tid\":1,\"ts\":%d,\"dur\":1}",
				     i ? "," : "", name, 10 * i);
	}
	n += (size_t)snprintf(j + n, cap - n, "]}");
	uLongf zn = compressBound(n) + 64;
	unsigned char *z = malloc(zn);
	z_stream zs;
	memset(&zs, 0, sizeof(zs));
	deflateInit2(&zs, 6, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY);
	zs.next_in = (unsigned char *)j;
	zs.avail_in = (uInt)n;
	zs.next_out = z;
	zs.avail_out = (uInt)zn;
	deflate(&zs, Z_FINISH);
	zn = zn - zs.avail_out;
	deflateEnd(&zs);
	free(j);
	*out = z;
	*json_len = n;
	return zn;
}

Test(chrome, gzip_threaded)
{
	unsigned char *z;
	size_t jn, zn = big_gz(&z, &jn);
	cr_assert_gt(zn, 65536u, "too small to use the decompression thread: %zu", zn);
	struct rb b = {0};
	struct tc_err err = TC_ERR_INIT;
	char path[128];
	tmpdir_make(b.dir, sizeof(b.dir));
	snprintf(path, sizeof(path), "%s/big.json.gz", b.dir);
	write_file(path, z, zn);
	const char *p = path;
	cr_assert_eq(ingest_paths(&b, &p, 1, &err), 0, "%s", err.msg);
	cr_assert_eq(read_back(&b, &err), 0, "%s", err.msg);
	cr_expect_eq(b.n, 3000u);
	cr_expect_eq(b.ops[2999].ts_ns - b.ops[0].ts_ns, 29990000); /* 10 us apart */
	rb_free(&b);
	/* a wrong CRC in the trailer: every event decodes, then inflate fails at the end */
	z[zn - 8] ^= 0xff;
	bad((const char *)z, zn, "big.json.gz", "gzip error");
	z[zn - 8] ^= 0xff;
	/* cut in the middle: truncated, whichever of gzip and JSON notices first */
	bad((const char *)z, zn / 2, "cut.json.gz", "truncated");
	free(z);
}

static int ingest_runs(const char *const *in, size_t n, const char *out, size_t run_ops,
		       struct tc_err *err)
{
	struct tc_ingest_opts o = TC_INGEST_OPTS_INIT;
	struct tc_ingest_stats st;
	o.run_ops = run_ops;
	return tc_ingest_files(in, n, out, &o, &st, err);
}

static int same_bytes(const char *a, const char *b)
{
	FILE *x = fopen(a, "rb"), *y = fopen(b, "rb");
	int same = x && y, cx, cy;
	while (same) {
		cx = fgetc(x);
		cy = fgetc(y);
		same = cx == cy;
		if (cx == EOF)
			break;
	}
	if (x)
		fclose(x);
	if (y)
		fclose(y);
	return same;
}

/* Ops are sorted in runs spilled to a temporary file and merged back; the output must not
 * depend on where the runs are cut: the whole trace in one run is the reference. */
Test(chrome, sorted_runs_match_one_run)
{
	const char *src = getenv("TC_SRCDIR");
	char r0[512], r1[512], dir[64], a[128], b[128];
	struct tc_err err = TC_ERR_INIT;
	if (!src)
		cr_skip_test("TC_SRCDIR not set");
	snprintf(r0, sizeof(r0), "%s/traces/sample/train_a100_rank0.json.gz", src);
	snprintf(r1, sizeof(r1), "%s/traces/sample/train_a100_rank1.json.gz", src);
	tmpdir_make(dir, sizeof(dir));
	snprintf(a, sizeof(a), "%s/one.tcs", dir);
	snprintf(b, sizeof(b), "%s/runs.tcs", dir);
	const char *both[] = {r0, r1};
	static const size_t runs[] = {1, 7, 1000};
	cr_assert_eq(ingest_runs(both, 2, a, (size_t)1 << 30, &err), 0, "%s", err.msg);
	for (size_t i = 0; i < sizeof(runs) / sizeof(runs[0]); i++) {
		cr_assert_eq(ingest_runs(both, 2, b, runs[i], &err), 0, "%s", err.msg);
		cr_expect(same_bytes(a, b), "runs of %zu ops change the output", runs[i]);
	}
	/* B/E pairs: an open B holds the run back until its E (spilling mid-pair would lose
	 * it); the nesting must still come out right */
	const char *j = "[{\"ph\":\"B\",\"name\":\"outer\",\"pid\":1,\"tid\":1,\"ts\":0},"
			"{\"ph\":\"X\",\"name\":\"x1\",\"pid\":1,\"tid\":1,\"ts\":1,\"dur\":1},"
			"{\"ph\":\"B\",\"name\":\"inner\",\"pid\":1,\"tid\":1,\"ts\":10},"
			"{\"ph\":\"X\",\"name\":\"x2\",\"pid\":1,\"tid\":1,\"ts\":11,\"dur\":1},"
			"{\"ph\":\"E\",\"pid\":1,\"tid\":1,\"ts\":20},"
			"{\"ph\":\"X\",\"name\":\"x3\",\"pid\":1,\"tid\":1,\"ts\":30,\"dur\":1},"
			"{\"ph\":\"E\",\"pid\":1,\"tid\":1,\"ts\":50},"
			"{\"ph\":\"X\",\"name\":\"x4\",\"pid\":1,\"tid\":1,\"ts\":60,\"dur\":1}]";
	char in[128];
	snprintf(in, sizeof(in), "%s/be.json", dir);
	write_file(in, j, strlen(j));
	const char *p = in;
	cr_assert_eq(ingest_runs(&p, 1, a, 1000, &err), 0, "%s", err.msg);
	cr_assert_eq(ingest_runs(&p, 1, b, 1, &err), 0, "%s", err.msg);
	cr_expect(same_bytes(a, b), "B/E with runs of 1 op changes the output");
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_expect_eq(system(cmd), 0);
}

Test(chrome, spill_error)
{
	/* runs of 1 op need the temporary file; an unusable $TMPDIR is a clean error naming it,
	 * with no output left */
	char dir[64], in[128], out[128];
	struct tc_err err = TC_ERR_INIT;
	tmpdir_make(dir, sizeof(dir));
	snprintf(in, sizeof(in), "%s/t.json", dir);
	snprintf(out, sizeof(out), "%s/out.tcs", dir);
	const char *j = "[{\"ph\":\"X\",\"name\":\"a\",\"pid\":1,\"tid\":1,\"ts\":1,\"dur\":1},"
			"{\"ph\":\"X\",\"name\":\"b\",\"pid\":1,\"tid\":1,\"ts\":3,\"dur\":1}]";
	write_file(in, j, strlen(j));
	setenv("TMPDIR", "/nonexistent-tracecast-dir", 1);
	const char *p = in;
	cr_expect_lt(ingest_runs(&p, 1, out, 1, &err), 0);
	cr_expect(strstr(err.msg, "cannot create a temporary file for sorting in "
				  "/nonexistent-tracecast-dir") != NULL,
		  "%s", err.msg);
	cr_expect(strstr(err.msg, "t.json") != NULL, "%s", err.msg);
	cr_expect(!file_exists(out));
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_expect_eq(system(cmd), 0);
}

Test(chrome, duplicate_ranks)
{
	struct rb b = {0};
	struct tc_err err = TC_ERR_INIT;
	char p0[128], p1[128];
	const char *t = "{\"distributedInfo\":{\"rank\":3},\"traceEvents\":[" CPU("aten::relu", 1,
										  2, 1, "") "]}";
	tmpdir_make(b.dir, sizeof(b.dir));
	snprintf(p0, sizeof(p0), "%s/a.json", b.dir);
	snprintf(p1, sizeof(p1), "%s/b.json", b.dir);
	write_file(p0, t, strlen(t));
	write_file(p1, t, strlen(t));
	const char *paths[] = {p0, p1};
	cr_expect_lt(ingest_paths(&b, paths, 2, &err), 0);
	cr_expect(strstr(err.msg, "both claim rank 3") != NULL, "%s", err.msg);
	cr_expect(!file_exists(b.out));
	rb_free(&b);
}

Test(chrome, missing_file)
{
	struct rb b = {0};
	struct tc_err err = TC_ERR_INIT;
	const char *p = "/nonexistent/trace.json";
	cr_expect_lt(ingest_paths(&b, &p, 1, &err), 0);
	cr_expect(strstr(err.msg, "/nonexistent/trace.json") != NULL, "%s", err.msg);
	rb_free(&b);
}

Test(chrome, many_streams_get_one_lane_each)
{
	/* issue 19: lanes were found by a scan per event, quadratic in streams. Through the
	 * lane map, 3000 streams visited twice, in two orders, still give exactly one lane per
	 * stream, each kernel on its own. */
	enum { N = 3000 };
	size_t cap = (size_t)N * 2 * 160 + 64, o = 0;
	char *j = malloc(cap);
	o += (size_t)snprintf(j + o, cap - o, "{\"traceEvents\":[");
	for (int k = 0; k < 2 * N; k++) {
		int s = k < N ? k : 2 * N - 1 - k; /* up, then down */
		o += (size_t)snprintf(
		    j + o, cap - o,
		    "%s{\"ph\":\"X\",\"cat\":\"kernel\",\"name\":\"k%d\",\"pid\":0,"
		    "\"tid\":%d,\"ts\":%d,\"dur\":1,\"args\":{\"device\":0,\"stream\":%d}}",
		    k ? "," : "", s, s, 10 * k, s);
	}
	o += (size_t)snprintf(j + o, cap - o, "]}");
	struct rb b = {0};
	struct tc_err err = TC_ERR_INIT;
	cr_assert_eq(ingest_text(&b, j, &err), 0, "%s", err.msg);
	cr_assert_eq(b.n, 2 * N);
	cr_assert_eq(tc_ops_reader_lane_count(b.r), N);
	/* kernel k and kernel 2N-1-k ran on the same stream, so share a lane; no other pair does */
	for (size_t i = 0; i < b.n; i++) {
		const char *nm = tc_ops_reader_string(b.r, b.ops[i].name);
		int k = atoi(nm + 1), s = k < N ? k : 2 * N - 1 - k;
		const struct tc_lane *l = tc_ops_reader_lane(b.r, b.ops[i].lane);
		cr_assert_eq(l->tid, (uint32_t)s, "%s on lane of stream %u", nm, (unsigned)l->tid);
	}
	rb_free(&b);
	free(j);
}

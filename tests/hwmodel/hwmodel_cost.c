/* hwmodel_cost.c - the cost model on the round-number test chip (hw_test.h), with every
 * expected time worked out by hand in the comment; monotonicity over the shipped chips; the
 * scaling mode's round trip and fallbacks; power and dollars. */
#include <math.h>

#include "hw_test.h"

HWT_TCHIP_FIXTURE

static struct tc_chip *tchip(const char *const *sets, size_t n)
{
	return hwt_load(NULL, g_path, sets, n);
}

static struct tc_hw_op gemm(int64_t m, int64_t n, int64_t k, unsigned dtype)
{
	struct tc_hw_op op;
	memset(&op, 0, sizeof(op));
	op.op_class = TC_CLASS_GEMM;
	op.kind = TC_KIND_KERNEL;
	op.dtype = (uint8_t)dtype;
	op.has_work = 1;
	op.m = m;
	op.n = n;
	op.k = k;
	op.flops = (uint64_t)(2 * m * n * k);
	unsigned es = dtype == TC_DT_F32 ? 4 : 2;
	op.bytes_read = (uint64_t)((m * k + k * n) * es);
	op.bytes_written = (uint64_t)(m * n * es);
	return op;
}

static struct tc_hw_op mem_op(unsigned cls, uint64_t rd, uint64_t wr, uint64_t flops)
{
	struct tc_hw_op op;
	memset(&op, 0, sizeof(op));
	op.op_class = (uint8_t)cls;
	op.kind = TC_KIND_KERNEL;
	op.dtype = TC_DT_BF16;
	op.has_work = 1;
	op.bytes_read = rd;
	op.bytes_written = wr;
	op.flops = flops;
	return op;
}

static struct tc_hw_op coll(unsigned kind, uint32_t n, uint32_t rpn, uint64_t bytes)
{
	struct tc_hw_op op;
	memset(&op, 0, sizeof(op));
	op.op_class = TC_CLASS_COLLECTIVE;
	op.kind = TC_KIND_KERNEL;
	op.coll_kind = (uint8_t)kind;
	op.group_size = n;
	op.ranks_per_node = rpn;
	op.coll_bytes = bytes;
	return op;
}

static struct tc_hw_cost cost_of(const struct tc_chip *c, const struct tc_hw_op *op)
{
	struct tc_hw_cost out;
	int rc = tc_hw_op_cost(c, op, &out);
	cr_assert_eq(rc, 0, "op class %u: rc %d", op->op_class, rc);
	return out;
}

#define NEAR(got, want)                                                                            \
	cr_assert_float_eq((got), (want), fabs(want) * 1e-9 + 1e-6, "%.6f vs %.6f", (double)(got), \
			   (double)(want))

TestSuite(cost, .init = setup, .fini = teardown);

Test(cost, gemm_compute_bound)
{
	/* 1024^3 bf16: 2*1024^3 = 2,147,483,648 FLOP at 100 TFLOP/s x eff 1.0 = 21,474.84 ns.
	 * Tiles 8x8 = 64 on 4 units = 16 full waves: no padding. Bytes 3*1024^2*2 = 6.29 MB at
	 * 1000 GB/s = 6,291 ns < compute: compute-bound, util 1.0. */
	struct tc_chip *c = tchip(NULL, 0);
	struct tc_hw_op op = gemm(1024, 1024, 1024, TC_DT_BF16);
	struct tc_hw_cost r = cost_of(c, &op);
	NEAR(r.ns, 21474.836480);
	NEAR(r.memory_ns, 6291.456);
	cr_assert_eq(r.bound, TC_BOUND_COMPUTE);
	NEAR(r.util, 1.0);
	cr_assert_eq(r.dtype_fallback, 0);
	/* fp32 runs on the matrix engine's 50 TFLOP/s: twice as long, 42,949.67 ns */
	op = gemm(1024, 1024, 1024, TC_DT_F32);
	NEAR(cost_of(c, &op).ns, 42949.67296);
	tc_chip_free(c);
}

Test(cost, gemm_tile_and_wave_quantisation)
{
	/* m = 1000 pads to 8 tiles of 128 like m = 1024: same 16 waves, same time as 1024^3
	 * (21,474.84 ns), although the real work is 1000/1024 of it. */
	struct tc_chip *c = tchip(NULL, 0);
	struct tc_hw_op op = gemm(1000, 1024, 1024, TC_DT_BF16);
	NEAR(cost_of(c, &op).ns, 21474.836480);
	/* m = n = 1152: 9x9 = 81 tiles on 4 units -> 21 waves = 84 tiles of 128x128:
	 * 2 * 84 * 128 * 128 * 1024 = 2,818,572,288 FLOP / 100e12 = 28,185.72 ns */
	op = gemm(1152, 1152, 1024, TC_DT_BF16);
	NEAR(cost_of(c, &op).ns, 28185.72288);
	/* m = 1 (a GEMV): the tile narrows to 16 rows, so 1x8 tiles of 16x128 on 4 units = 2
	 * waves: 2 * 8 * 16 * 128 * 1024 = 33,554,432 FLOP / 100e12 = 335.54 ns of compute, while
	 * the bytes (1024 + 1024^2 + 1024) * 2 = 2,101,248 at 1000 GB/s take 2,101.248 ns:
	 * memory-bound, as a GEMV is (with 128-row tiles it came out compute-bound, 2,684 ns). */
	op = gemm(1, 1024, 1024, TC_DT_BF16);
	struct tc_hw_cost r = cost_of(c, &op);
	NEAR(r.compute_ns, 335.54432);
	NEAR(r.ns, 2101.248);
	cr_assert_eq(r.bound, TC_BOUND_MEMORY);
	/* m = n = 128: one tile on 4 units, split-K over 4: each unit reduces k/4, no padding:
	 * 2 * 128 * 128 * 16384 = 536,870,912 FLOP / 100e12 = 5,368.71 ns of compute (one
	 * unit alone would take four times as long). */
	op = gemm(128, 128, 16384, TC_DT_BF16);
	NEAR(cost_of(c, &op).compute_ns, 5368.70912);
	tc_chip_free(c);
}

Test(cost, efficiency_curve_interpolates_in_log_size)
{
	/* curve [[1, 0.25], [10, 0.5]]: at sqrt(10) GFLOP, halfway in log -> 0.375.
	 * No m/n given, so no quantisation: 3.16227766e9 / (100e12 * 0.375) = 84,327.40 ns.
	 * Below the first point the curve is flat: 0.5 GFLOP at 0.25 -> 20,000 ns. */
	const char *sets[] = {"compute.matrix.efficiency=[[1,0.25],[10,0.5]]"};
	struct tc_chip *c = tchip(sets, 1);
	struct tc_hw_op op = gemm(0, 0, 0, TC_DT_BF16);
	op.flops = 3162277660;
	op.bytes_read = op.bytes_written = 0;
	NEAR(cost_of(c, &op).ns, 3162277660.0 / (100e12 * 0.375) * 1e9);
	op.flops = 500000000;
	NEAR(cost_of(c, &op).ns, 20000.0);
	tc_chip_free(c);
}

Test(cost, dtype_fallback_is_reported)
{
	/* the test chip has no fp8: fp8 falls back to bf16 (100 TF), flagged; the time equals
	 * the bf16 time. An unknown dtype assumes bf16 without a flag. */
	struct tc_chip *c = tchip(NULL, 0);
	struct tc_hw_op op = gemm(1024, 1024, 1024, TC_DT_FP8_E4M3);
	struct tc_hw_cost r = cost_of(c, &op);
	cr_assert_eq(r.dtype_fallback, 1);
	NEAR(r.ns, 21474.836480);
	op.dtype = TC_DT_UNKNOWN;
	r = cost_of(c, &op);
	cr_assert_eq(r.dtype_fallback, 0);
	NEAR(r.ns, 21474.836480);
	tc_chip_free(c);
	/* V100: bf16 -> fp16 tensor cores (125 TF), flagged */
	struct tc_hw *hw = hwt_library();
	struct tc_chip *v = hwt_load(hw, "v100-sxm2", NULL, 0);
	op = gemm(4096, 4096, 4096, TC_DT_BF16);
	cr_assert_eq(cost_of(v, &op).dtype_fallback, 1);
	op.dtype = TC_DT_F16;
	cr_assert_eq(cost_of(v, &op).dtype_fallback, 0);
	tc_chip_free(v);
	tc_hw_free(hw);
}

Test(cost, attention)
{
	/* 1e12 FLOP at 100 TF x curve 1.0 x attention_efficiency 0.5 = 20,000,000 ns */
	struct tc_chip *c = tchip(NULL, 0);
	struct tc_hw_op op = mem_op(TC_CLASS_ATTENTION, 0, 0, 1000000000000ull);
	struct tc_hw_cost r = cost_of(c, &op);
	NEAR(r.ns, 20000000.0);
	cr_assert_eq(r.bound, TC_BOUND_COMPUTE);
	NEAR(r.util, 0.5);
	tc_chip_free(c);
}

Test(cost, memory_bound_classes)
{
	/* 50 MB in + 50 MB out = 100 MB at 1000 GB/s = 100,000 ns; 25 MFLOP on the 10 TF
	 * vector engine = 2,500 ns: memory-bound, util 1.0. Same for every such class. */
	static const unsigned classes[] = {TC_CLASS_ELEMENTWISE, TC_CLASS_REDUCTION, TC_CLASS_NORM,
					   TC_CLASS_SOFTMAX,	 TC_CLASS_EMBEDDING, TC_CLASS_COPY,
					   TC_CLASS_OPTIMIZER,	 TC_CLASS_OTHER};
	struct tc_chip *c = tchip(NULL, 0);
	for (size_t i = 0; i < TC_ARRAY_LEN(classes); i++) {
		struct tc_hw_op op = mem_op(classes[i], 50000000, 50000000, 25000000);
		struct tc_hw_cost r = cost_of(c, &op);
		NEAR(r.ns, 100000.0);
		NEAR(r.compute_ns, 2500.0);
		cr_assert_eq(r.bound, TC_BOUND_MEMORY);
		NEAR(r.util, 1.0);
	}
	/* vector-heavy: 2 GFLOP on 10 TF = 200,000 ns > 100,000 ns of memory */
	struct tc_hw_op op = mem_op(TC_CLASS_ELEMENTWISE, 50000000, 50000000, 2000000000);
	struct tc_hw_cost r = cost_of(c, &op);
	NEAR(r.ns, 200000.0);
	cr_assert_eq(r.bound, TC_BOUND_COMPUTE);
	tc_chip_free(c);
}

Test(cost, min_kernel_floor)
{
	/* 1 KB elementwise = 1 ns of memory time, floored at min_kernel_us = 2 us */
	struct tc_chip *c = tchip(NULL, 0);
	struct tc_hw_op op = mem_op(TC_CLASS_ELEMENTWISE, 512, 512, 0);
	struct tc_hw_cost r = cost_of(c, &op);
	NEAR(r.ns, 2000.0);
	cr_assert_eq(r.bound, TC_BOUND_LAUNCH);
	NEAR(tc_chip_min_kernel_ns(c), 2000.0);
	NEAR(tc_chip_launch_ns(c), 4000.0);
	tc_chip_free(c);
}

Test(cost, copies_and_memset)
{
	struct tc_chip *c = tchip(NULL, 0);
	/* H2D 1e9 B over the host link: 1 us + 1e9 / (10 GB/s x 0.5) = 1,000 + 2e8 ns */
	struct tc_hw_op op = mem_op(TC_CLASS_COPY, 1000000000, 1000000000, 0);
	op.kind = TC_KIND_MEMCPY;
	op.sub = TC_COPY_H2D;
	NEAR(cost_of(c, &op).ns, 200001000.0);
	op.sub = TC_COPY_D2H;
	NEAR(cost_of(c, &op).ns, 200001000.0);
	/* D2D reads and writes device memory: 2e9 B / 1000 GB/s = 2,000,000 ns */
	op.sub = TC_COPY_D2D;
	NEAR(cost_of(c, &op).ns, 2000000.0);
	/* P2P over scale-up to one peer: 1 us + 1e9 / (100 GB/s x 0.5) = 20,001,000 ns */
	op.sub = TC_COPY_P2P;
	struct tc_hw_cost r = cost_of(c, &op);
	NEAR(r.ns, 20001000.0);
	cr_assert_eq(r.bound, TC_BOUND_COMM);
	/* memset writes 1e8 B: 100,000 ns */
	struct tc_hw_op ms = mem_op(TC_CLASS_MEMSET, 0, 100000000, 0);
	ms.kind = TC_KIND_MEMSET;
	NEAR(cost_of(c, &ms).ns, 100000.0);
	tc_chip_free(c);
}

Test(cost, collectives_one_domain)
{
	/* scale-up: 100 GB/s x 0.5 = 50 B/ns, 1,000 ns per step, ring. */
	struct tc_chip *c = tchip(NULL, 0);
	/* all-reduce 8 x 1e8 B: 2*7*1000 + 2*(7/8)*1e8/50 = 14,000 + 3,500,000 */
	struct tc_hw_op op = coll(TC_COLL_ALLREDUCE, 8, 0, 100000000);
	struct tc_hw_cost r = cost_of(c, &op);
	NEAR(r.ns, 3514000.0);
	cr_assert_eq(r.bound, TC_BOUND_COMM);
	/* all-gather of 1e7 B per rank, 8 ranks = 8e7 B out: 7*1000 + (7/8)*8e7/50 = 1,407,000 */
	op = coll(TC_COLL_ALLGATHER, 8, 0, 10000000);
	NEAR(cost_of(c, &op).ns, 1407000.0);
	/* reduce-scatter of 8e7 B in: the same 1,407,000 */
	op = coll(TC_COLL_REDUCE_SCATTER, 8, 8, 80000000);
	NEAR(cost_of(c, &op).ns, 1407000.0);
	/* all-to-all 8e6 B: 1,000 + (7/8)*8e6/50 = 141,000 */
	op = coll(TC_COLL_ALLTOALL, 8, 0, 8000000);
	NEAR(cost_of(c, &op).ns, 141000.0);
	/* broadcast 1e6 B, ring pipeline: 7*1000 + 1e6/50 = 27,000 */
	op = coll(TC_COLL_BROADCAST, 8, 0, 1000000);
	NEAR(cost_of(c, &op).ns, 27000.0);
	/* send 1e6 B to a peer in the domain: 1,000 + 1e6/50 = 21,000 */
	op = coll(TC_COLL_SEND, 2, 2, 1000000);
	NEAR(cost_of(c, &op).ns, 21000.0);
	/* group of one: nothing to move, floored at 2 us */
	op = coll(TC_COLL_ALLREDUCE, 1, 0, 1000000);
	NEAR(cost_of(c, &op).ns, 2000.0);
	/* unknown size: no model */
	op = coll(TC_COLL_ALLREDUCE, 8, 0, 0);
	struct tc_hw_cost x;
	cr_assert_eq(tc_hw_op_cost(c, &op, &x), TC_EUNSUPPORTED);
	tc_chip_free(c);
}

Test(cost, collectives_across_domains)
{
	/* 16 ranks, 8 per domain, pipelined: RS over scale-up (latency 7,000, transfer
	 * (7/8)*1e8/50 = 1,750,000), all-reduce of 1e8/8 = 1.25e7 B across 2 domains on
	 * scale-out (auto: ring 20,000 + 2*(1/2)*1.25e7/10 = 1,250,000 beats tree 20,000 +
	 * 2*1.25e7/10), AG over scale-up (7,000 + 1,750,000): latencies add (34,000), each
	 * fabric's transfers add (scale-up 3,500,000, scale-out 1,250,000) and the busier one
	 * sets the pace: 3,534,000 ns. */
	struct tc_chip *c = tchip(NULL, 0);
	struct tc_hw_op op = coll(TC_COLL_ALLREDUCE, 16, 8, 100000000);
	NEAR(cost_of(c, &op).ns, 3534000.0);
	/* scale-out 4x slower (2.5 B/ns): its transfer 5,000,000 now sets the pace */
	const char *slow[] = {"network.scale_out.bw_gbs_per_device=2.5"};
	struct tc_chip *cs = tchip(slow, 1);
	NEAR(cost_of(cs, &op).ns, 34000.0 + 5000000.0);
	tc_chip_free(cs);
	/* one rank per node, 16 over scale-out, 1e8 B: ring 2*15*10,000 + 2*(15/16)*1e8/10 =
	 * 19,050,000 beats tree 2*4*10,000 + 2*1e8/10 = 20,080,000 */
	op = coll(TC_COLL_ALLREDUCE, 16, 1, 100000000);
	NEAR(cost_of(c, &op).ns, 19050000.0);
	/* the same with 1e5 B: tree 80,000 + 20,000 = 100,000 beats ring 300,000 + 18,750 */
	op = coll(TC_COLL_ALLREDUCE, 16, 1, 100000);
	NEAR(cost_of(c, &op).ns, 100000.0);
	/* send to a rank in another domain: 10,000 + 1e6/10 = 110,000 */
	op = coll(TC_COLL_SEND, 2, 1, 1000000);
	NEAR(cost_of(c, &op).ns, 110000.0);
	tc_chip_free(c);
}

Test(cost, collective_algorithms_by_hand)
{
	/* scale-out forced to each algorithm; 16 ranks one per domain, 1e6 B all-reduce,
	 * alpha = 10,000 ns, beta = 10 B/ns */
	const char *ring[] = {"network.scale_out.algorithm=ring"};
	const char *tree[] = {"network.scale_out.algorithm=tree"};
	const char *direct[] = {"network.scale_out.algorithm=direct"};
	struct tc_hw_op op = coll(TC_COLL_ALLREDUCE, 16, 1, 1000000);
	struct tc_chip *c = tchip(ring, 1);
	/* 2(N-1)/N * bytes / bw + 2(N-1) alpha = 187,500 + 300,000 */
	NEAR(cost_of(c, &op).ns, 487500.0);
	tc_chip_free(c);
	c = tchip(tree, 1);
	/* 2 ceil(log2 16) alpha + 2 bytes / bw = 80,000 + 200,000 */
	NEAR(cost_of(c, &op).ns, 280000.0);
	tc_chip_free(c);
	c = tchip(direct, 1);
	/* 2 alpha + 2(N-1)/N bytes / bw = 20,000 + 187,500 */
	NEAR(cost_of(c, &op).ns, 207500.0);
	tc_chip_free(c);
	/* auto picks tree here (280,000 < 487,500) */
	c = tchip(NULL, 0);
	NEAR(cost_of(c, &op).ns, 280000.0);
	/* all-gather has no tree: ring, 1e5 B per rank = 1.6e6 out: 15*10,000 + (15/16)*1.6e6/10 */
	op = coll(TC_COLL_ALLGATHER, 16, 1, 100000);
	NEAR(cost_of(c, &op).ns, 300000.0);
	tc_chip_free(c);
}

Test(cost, scale_out_nics_oversubscription_rails)
{
	/* 16 ranks one per domain, 1e8 B ring all-reduce: bandwidth term 18,750,000 at 10 B/ns */
	const char *nics[] = {"network.scale_out.algorithm=ring",
			      "network.scale_out.nics_per_device=2"};
	const char *over[] = {"network.scale_out.algorithm=ring",
			      "network.scale_out.oversubscription=2"};
	const char *rails[] = {"network.scale_out.algorithm=ring",
			       "network.scale_out.oversubscription=2", "network.scale_out.rails=8"};
	struct tc_hw_op op = coll(TC_COLL_ALLREDUCE, 16, 1, 100000000);
	struct tc_chip *c = tchip(nics, 2);
	NEAR(cost_of(c, &op).ns, 300000.0 + 18750000.0 / 2); /* two NICs: twice the bandwidth */
	tc_chip_free(c);
	c = tchip(over, 2);
	NEAR(cost_of(c, &op).ns, 300000.0 + 18750000.0 * 2); /* 2:1 spine */
	tc_chip_free(c);
	c = tchip(rails, 3);
	NEAR(cost_of(c, &op).ns,
	     300000.0 + 18750000.0); /* rail-aligned: the spine is not crossed */
	/* all-to-all leaves the rail: 16 ranks 8 per domain, 8e6 B: out share (8/16)*8e6/(10/2)
	 * + 10,000 = 810,000; up share 1,000 + (7/16)*8e6/50 = 71,000 */
	op = coll(TC_COLL_ALLTOALL, 16, 8, 8000000);
	NEAR(cost_of(c, &op).ns, 810000.0);
	tc_chip_free(c);
}

Test(cost, collective_bytes_from_time)
{
	/* the inverse of the model: the bytes that take a measured time, for every kind */
	struct tc_chip *c = tchip(NULL, 0);
	unsigned kinds[] = {TC_COLL_ALLREDUCE, TC_COLL_ALLGATHER, TC_COLL_REDUCE_SCATTER,
			    TC_COLL_ALLTOALL,  TC_COLL_BROADCAST, TC_COLL_SEND};
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		struct tc_hw_op op = coll(kinds[i], kinds[i] == TC_COLL_SEND ? 2 : 16, 8, 12345678);
		double t = cost_of(c, &op).ns;
		uint64_t b = 0;
		cr_assert_eq(tc_hw_coll_bytes_for(c, &op, t, &b), 0);
		cr_assert(b > 12345678 * 0.999999 && b < 12345678 * 1.000001, "kind %u: %lu",
			  kinds[i], (unsigned long)b);
	}
	/* below the latency: the smallest message */
	struct tc_hw_op op = coll(TC_COLL_ALLREDUCE, 8, 0, 0);
	uint64_t b = 0;
	cr_assert_eq(tc_hw_coll_bytes_for(c, &op, 10.0, &b), 0);
	cr_assert_eq(b, 1);
	op.group_size = 0;
	cr_assert_eq(tc_hw_coll_bytes_for(c, &op, 1e6, &b), TC_EUNSUPPORTED);
	tc_chip_free(c);
}

Test(cost, mesh_uses_per_peer_links)
{
	/* a mesh with 10 GB/s per peer: 2 ranks get 10 x 0.5 = 5 B/ns, 8 ranks min(100, 70) x
	 * 0.5 = 35 B/ns. 1e6 B all-reduce: 2 ranks 2*1000 + 2*(1/2)*1e6/5 = 202,000;
	 * 8 ranks 14,000 + 2*(7/8)*1e6/35 = 64,000. */
	const char *sets[] = {"network.scale_up.topology=mesh",
			      "network.scale_up.bw_gbs_per_peer=10"};
	struct tc_chip *c = tchip(sets, 2);
	struct tc_hw_op op = coll(TC_COLL_ALLREDUCE, 2, 0, 1000000);
	NEAR(cost_of(c, &op).ns, 202000.0);
	op = coll(TC_COLL_ALLREDUCE, 8, 0, 1000000);
	NEAR(cost_of(c, &op).ns, 64000.0);
	tc_chip_free(c);
}

Test(cost, host_class_has_no_model)
{
	struct tc_chip *c = tchip(NULL, 0);
	struct tc_hw_op op = mem_op(TC_CLASS_HOST, 100, 100, 0);
	struct tc_hw_cost r;
	cr_assert_eq(tc_hw_op_cost(c, &op, &r), TC_EUNSUPPORTED);
	op = mem_op(TC_CLASS_GEMM, 0, 0, 0);
	op.has_work = 0;
	cr_assert_eq(tc_hw_op_cost(c, &op, &r), TC_EUNSUPPORTED);
	tc_chip_free(c);
}

/* ---- scaling mode ------------------------------------------------------------------------- */

Test(cost, scale_by_model_ratio)
{
	/* bf16 doubled to 200 TF: a compute-bound GEMM measured at 100 us becomes 50 us;
	 * a memory-bound op keeps its time (1000 GB/s on both). */
	const char *sets[] = {"compute.matrix.peak_tflops.bf16=200"};
	struct tc_chip *a = tchip(NULL, 0), *b = tchip(sets, 1);
	struct tc_hw_op op = gemm(1024, 1024, 1024, TC_DT_BF16);
	struct tc_hw_cost out;
	NEAR(tc_hw_scale(a, b, &op, 100000.0, &out), 50000.0);
	cr_assert_eq(out.basis, TC_HW_BASIS_MODEL);
	NEAR(out.ns, 50000.0);
	struct tc_hw_op m = mem_op(TC_CLASS_ELEMENTWISE, 50000000, 50000000, 0);
	NEAR(tc_hw_scale(a, b, &m, 123456.0, NULL), 123456.0);
	tc_chip_free(a);
	tc_chip_free(b);
}

Test(cost, scale_fallback_when_work_unknown)
{
	/* compute doubled: unknown-work GEMM scales by 100/200 = 0.5 (compute ratio); memory
	 * class stays (memory ratio 1); an unclassified kernel takes the geometric mean:
	 * sqrt(100*1000 / (200*1000)) = 1/sqrt(2); a collective goes by the network. */
	const char *sets[] = {"compute.matrix.peak_tflops.bf16=200"};
	struct tc_chip *a = tchip(NULL, 0), *b = tchip(sets, 1);
	struct tc_hw_op op = mem_op(TC_CLASS_GEMM, 0, 0, 0);
	op.has_work = 0;
	struct tc_hw_cost out;
	NEAR(tc_hw_scale(a, b, &op, 1000.0, &out), 500.0);
	cr_assert_eq(out.basis, TC_HW_BASIS_COMPUTE);
	cr_assert_str_eq(tc_hw_basis_name(out.basis), "compute-ratio");
	op.op_class = TC_CLASS_SOFTMAX;
	NEAR(tc_hw_scale(a, b, &op, 1000.0, &out), 1000.0);
	cr_assert_eq(out.basis, TC_HW_BASIS_MEMORY);
	/* hwmodel reads the class only: ingest turned kernel names into classes */
	op.op_class = TC_CLASS_OTHER;
	NEAR(tc_hw_scale(a, b, &op, 1000.0, &out), 1000.0 / sqrt(2.0));
	cr_assert_eq(out.basis, TC_HW_BASIS_MIXED);
	op.op_class = TC_CLASS_COLLECTIVE;
	tc_hw_scale(a, b, &op, 1000.0, &out);
	cr_assert_eq(out.basis, TC_HW_BASIS_NETWORK);
	op.op_class = TC_CLASS_HOST;
	NEAR(tc_hw_scale(a, b, &op, 1000.0, &out), 1000.0);
	cr_assert_eq(out.basis, TC_HW_BASIS_UNCHANGED);
	tc_chip_free(a);
	tc_chip_free(b);
}

static struct tc_hw_op sample_ops(int i)
{
	switch (i % 8) {
	case 0:
		return gemm(4096, 4096, 4096, TC_DT_BF16);
	case 1:
		return gemm(77, 3000, 512, TC_DT_F32);
	case 2:
		return mem_op(TC_CLASS_ELEMENTWISE, 1 << 24, 1 << 24, 1 << 22);
	case 3:
		return mem_op(TC_CLASS_ATTENTION, 1 << 26, 1 << 24, 1ull << 36);
	case 4:
		return coll(TC_COLL_ALLREDUCE, 8, 8, 1 << 26);
	case 5:
		return coll(TC_COLL_ALLGATHER, 64, 8, 1 << 20);
	case 6: {
		struct tc_hw_op op = gemm(1, 1, 1, TC_DT_BF16);
		op.has_work = 0;
		op.flops = 0;
		op.m = op.n = op.k = 0;
		op.op_class = TC_CLASS_OTHER;
		return op;
	}
	default:
		return gemm(8192, 1024, 8192, TC_DT_FP8_E4M3);
	}
}

Test(cost, round_trip_returns_source_time)
{
	/* A -> B -> A over every pair of shipped chips gives back the measured time. */
	struct tc_hw *hw = hwt_library();
	const char *const *ids;
	size_t n = tc_hw_list(hw, &ids);
	struct tc_chip **chips = calloc(n, sizeof(*chips));
	for (size_t i = 0; i < n; i++)
		chips[i] = hwt_load(hw, ids[i], NULL, 0);
	for (size_t a = 0; a < n; a++)
		for (size_t b = 0; b < n; b++)
			for (int k = 0; k < 8; k++) {
				struct tc_hw_op op = sample_ops(k);
				double t = 12345.678 * (k + 1);
				double there = tc_hw_scale(chips[a], chips[b], &op, t, NULL);
				double back = tc_hw_scale(chips[b], chips[a], &op, there, NULL);
				cr_assert(there > 0 && isfinite(there));
				cr_assert_float_eq(back, t, t * 1e-9, "%s->%s op %d: %g vs %g",
						   ids[a], ids[b], k, back, t);
			}
	for (size_t i = 0; i < n; i++)
		tc_chip_free(chips[i]);
	free(chips);
	tc_hw_free(hw);
}

/* ---- monotonicity -------------------------------------------------------------------------- */

Test(cost, bigger_gemm_never_faster)
{
	struct tc_hw *hw = hwt_library();
	const char *const *ids;
	size_t n = tc_hw_list(hw, &ids);
	for (size_t i = 0; i < n; i++) {
		struct tc_chip *c = hwt_load(hw, ids[i], NULL, 0);
		for (int d = 0; d < 3; d++) {
			unsigned dt = d == 0 ? TC_DT_BF16 : d == 1 ? TC_DT_F32 : TC_DT_FP8_E4M3;
			double prev = 0;
			for (int64_t m = 1; m <= 16384; m = m * 5 / 4 + 1) {
				struct tc_hw_op op = gemm(m, 1024, 1024, dt);
				double t = cost_of(c, &op).ns;
				cr_assert_geq(t, prev * (1 - 1e-12), "%s m=%ld: %g < %g", ids[i],
					      (long)m, t, prev);
				prev = t;
			}
			prev = 0;
			for (int64_t k = 1; k <= 65536; k = k * 3 / 2 + 1) {
				struct tc_hw_op op = gemm(512, 512, k, dt);
				double t = cost_of(c, &op).ns;
				cr_assert_geq(t, prev * (1 - 1e-12), "%s k=%ld", ids[i], (long)k);
				prev = t;
			}
		}
		double prev = 0;
		for (uint64_t b = 1; b < (1ull << 36); b = b * 3 / 2 + 1) {
			struct tc_hw_op op = mem_op(TC_CLASS_ELEMENTWISE, b, b, b / 4);
			double t = cost_of(c, &op).ns;
			cr_assert_geq(t, prev * (1 - 1e-12), "%s bytes=%lu", ids[i],
				      (unsigned long)b);
			prev = t;
		}
		for (unsigned kind = TC_COLL_ALLREDUCE; kind <= TC_COLL_SCATTER; kind++) {
			if (kind == TC_COLL_BARRIER)
				continue;
			prev = 0;
			for (uint64_t b = 1; b < (1ull << 34); b = b * 2 + 1) {
				struct tc_hw_op op = coll(kind, 32, 8, b);
				double t = cost_of(c, &op).ns;
				cr_assert_geq(t, prev * (1 - 1e-12), "%s coll %u bytes=%lu", ids[i],
					      kind, (unsigned long)b);
				prev = t;
			}
		}
		tc_chip_free(c);
	}
	tc_hw_free(hw);
}

Test(cost, more_bandwidth_or_flops_never_slower)
{
	static const char *const faster[] = {"memory.hbm.bw_gbs=99999",
					     "compute.matrix.peak_tflops.bf16=99999",
					     "compute.matrix.peak_tflops.fp32=99999",
					     "compute.vector.peak_tflops.fp32=99999",
					     "network.scale_up.bw_gbs_per_device=99999",
					     "network.scale_out.bw_gbs_per_device=99999",
					     "memory.host.bw_gbs=9999"};
	struct tc_hw *hw = hwt_library();
	static const char *const chips[] = {"h100-sxm5", "mi300x", "v100-sxm2", "tpu-v5p",
					    "gaudi3"};
	for (size_t i = 0; i < TC_ARRAY_LEN(chips); i++) {
		struct tc_chip *base = hwt_load(hw, chips[i], NULL, 0);
		for (size_t s = 0; s < TC_ARRAY_LEN(faster); s++) {
			struct tc_chip *f = hwt_load(hw, chips[i], &faster[s], 1);
			for (int k = 0; k < 8; k++) {
				struct tc_hw_op op = sample_ops(k);
				struct tc_hw_cost a, b;
				if (tc_hw_op_cost(base, &op, &a) < 0)
					continue;
				cr_assert_eq(tc_hw_op_cost(f, &op, &b), 0);
				cr_assert_leq(b.ns, a.ns * (1 + 1e-12), "%s %s op %d: %g > %g",
					      chips[i], faster[s], k, b.ns, a.ns);
			}
			tc_chip_free(f);
		}
		tc_chip_free(base);
	}
	tc_hw_free(hw);
}

/* ---- power and cost ----------------------------------------------------------------------- */

Test(cost, energy_and_dollars)
{
	struct tc_chip *c = tchip(NULL, 0);
	/* 1 s span, 0.5 s of full utilisation: 100 W * 1 s + (500 - 100) W * 0.5 s = 300 J */
	double busy[TC_BOUND__COUNT] = {0}, util[TC_BOUND__COUNT] = {0};
	busy[TC_BOUND_COMPUTE] = 1e9;
	util[TC_BOUND_COMPUTE] = 0.5e9;
	NEAR(tc_chip_energy_j(c, 1e9, busy, util), 300.0);
	/* one hour, 1 kWh: $8766 over 8766 h = $1 + 1 kWh * $0.1 * PUE 1.5 = $1.15 */
	cr_assert(tc_chip_has_cost(c));
	NEAR(tc_chip_dollars(c, 3600e9, 3.6e6), 1.15);
	/* rent wins when given: 2 $/h for an hour */
	const char *sets[] = {"cost.rent_usd_per_hour=2"};
	struct tc_chip *r = tchip(sets, 1);
	NEAR(tc_chip_dollars(r, 3600e9, 3.6e6), 2.0);
	/* Perf/W, Perf/$ of a 1 ms step on 8 devices, 0.3 J per device, 1000 tokens:
	 * 2.4 J per step -> 1/2.4 steps per J, 1000/2.4 tokens per J; average power 2400 W;
	 * dollars 8 * 2 $/h * 1e-3 s / 3600 s = 4.444e-6 $ */
	struct tc_hw_perf p;
	tc_chip_perf(r, 1e6, 0.3, 1000, 8, &p);
	NEAR(p.steps_per_s, 1000.0);
	NEAR(p.energy_j, 2.4);
	NEAR(p.avg_power_w, 2400.0);
	NEAR(p.steps_per_j, 1.0 / 2.4);
	NEAR(p.tokens_per_j, 1000.0 / 2.4);
	NEAR(p.dollars, 8 * 2.0 * 1e-3 / 3600.0);
	NEAR(p.tokens_per_usd, 1000.0 / (8 * 2.0 * 1e-3 / 3600.0));
	tc_chip_free(r);
	tc_chip_free(c);
	/* a chip without any cost data: NaN, not a made-up zero */
	struct tc_hw *hw = hwt_library();
	struct tc_chip *g = hwt_load(hw, "gaudi2", NULL, 0);
	cr_assert_not(tc_chip_has_cost(g));
	cr_assert(isnan(tc_chip_dollars(g, 1e9, 1.0)));
	tc_chip_free(g);
	tc_hw_free(hw);
}

Test(cost, bound_names)
{
	cr_assert_str_eq(tc_bound_name(TC_BOUND_COMPUTE), "compute");
	cr_assert_str_eq(tc_bound_name(TC_BOUND_COMM), "comm");
	cr_assert_str_eq(tc_bound_name(TC_BOUND__COUNT), "?");
}

Test(cost, fitted_class)
{
	/* classes.norm: floor 30 us, fixed 10 us, efficiency 0.5 (docs/hwmodel.md §2.7).
	 * 100 MB of norm = 100,000 ns at efficiency 1 -> 10,000 + 100,000 / 0.5 = 210,000 ns;
	 * 1 KB -> 10,002 ns, under the class floor: 30,000 ns, launch-bound. Other classes keep
	 * the spec's model and min_kernel_us. */
	const char *sets[] = {"classes.norm.floor_us=30", "classes.norm.fixed_us=10",
			      "classes.norm.efficiency=0.5", "classes.norm.p10=0.5",
			      "classes.norm.p90=2"};
	struct tc_chip *c = tchip(sets, TC_ARRAY_LEN(sets));
	struct tc_hw_op op = mem_op(TC_CLASS_NORM, 50000000, 50000000, 25000000);
	struct tc_hw_cost r = cost_of(c, &op);
	NEAR(r.ns, 210000.0);
	NEAR(r.work_ns, 100000.0);
	cr_assert_eq(r.bound, TC_BOUND_MEMORY);
	op = mem_op(TC_CLASS_NORM, 512, 512, 0);
	r = cost_of(c, &op);
	NEAR(r.ns, 30000.0);
	NEAR(r.raw_ns, 10000.0 + 1.024 / 0.5);
	cr_assert_eq(r.bound, TC_BOUND_LAUNCH);
	op = mem_op(TC_CLASS_ELEMENTWISE, 50000000, 50000000, 25000000);
	NEAR(cost_of(c, &op).ns, 100000.0);
	NEAR(tc_chip_floor_ns(c, TC_CLASS_NORM), 30000.0);
	NEAR(tc_chip_floor_ns(c, TC_CLASS_ELEMENTWISE), 2000.0);
	/* the band's sigma: (ln 2 - ln 0.5) / 2.5631 from the spec; defaults otherwise; none
	 * for copies (not in the operator data) */
	int from_spec = 0;
	NEAR(tc_chip_class_sigma(c, TC_CLASS_NORM, 0, &from_spec), 1.3862944 / 2.5631);
	cr_assert_eq(from_spec, 1);
	cr_assert(tc_chip_class_sigma(c, TC_CLASS_ELEMENTWISE, 0, &from_spec) > 0);
	cr_assert_eq(from_spec, 0);
	cr_assert(tc_chip_class_sigma(c, TC_CLASS_GEMM, 1, NULL) > 0);
	cr_assert_eq(tc_chip_class_sigma(c, TC_CLASS_COPY, 0, NULL), 0.0);
	tc_chip_free(c);
	/* the curve form scales the spec's curve: with a flat curve at 0.5 the term doubles */
	const char *curve[] = {"classes.norm.fixed_us=10", "classes.norm.efficiency=0.5",
			       "classes.norm.curve=true", "memory.hbm.efficiency=[[1,0.5]]"};
	c = tchip(curve, TC_ARRAY_LEN(curve));
	op = mem_op(TC_CLASS_NORM, 50000000, 50000000, 25000000);
	NEAR(cost_of(c, &op).ns, 10000.0 + 100000.0 / 0.25);
	tc_chip_free(c);
}

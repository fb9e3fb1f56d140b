/* replay_waits.c - waits the trace does not record, inferred from its timing (waits.c), on
 * hand-made streams whose projections are worked out in the comments. Times are in
 * microseconds (U), since the inference windows are (docs/projection.md, "waits"):
 * a call waited when it ends <= 50 us after a GPU op it could wait on and lasts more than
 * 2 x its kind's shortest + 5 us; it then ends at max(start + return latency, the op's
 * projected end + return latency). Every case also checks identity, and that
 * --no-infer-waits (opts.no_infer_waits) keeps the measured wait. */
#include "replay_build.h"

#define U 1000
enum { N_LAUNCH = 1, N_MEMCPY, N_SYNC, N_CPU, N_WAIT, N_BACKWARD, N_Y, N_Q, N_Z };

static uint64_t named(struct b *b, uint64_t id, uint32_t name)
{
	b->ops[id].name = name;
	return id;
}

static uint64_t launch_u(struct b *b, uint32_t ln, int64_t ts, int64_t dur)
{
	return named(b, launch(b, ln, ts * U, dur * U), N_LAUNCH);
}

static uint64_t memcpy_call(struct b *b, uint32_t cpu, uint32_t gpu, int64_t ts, int64_t dur,
			    int64_t cts, int64_t cdur, uint64_t *copy)
{
	uint64_t m =
	    named(b, op(b, cpu, TC_KIND_RUNTIME, TC_RT_MEMCPY_ASYNC, ts * U, dur * U), N_MEMCPY);
	uint64_t c = op(b, gpu, TC_KIND_MEMCPY, TC_COPY_D2H, cts * U, cdur * U);
	b->ops[c].link = m;
	b->ops[c].op_class = TC_CLASS_COPY;
	*copy = c;
	return m;
}

static struct tc_replay *run_waits(struct b *b, struct tc_replay_graph **g, double gpu_scale,
				   int no_infer)
{
	struct tc_replay_opts o = TC_REPLAY_OPTS_INIT;
	o.gpu_scale = gpu_scale;
	o.no_infer_waits = no_infer;
	return run_with(b, g, &o);
}

#define SPAN_U(r, id, s, e) EXPECT_SPAN(r, id, (int64_t)(s)*U, (int64_t)(e)*U)

Test(waits, memcpy_async_to_pageable_memory)
{
	/* L [0,5] -> K [10,1010]; M = cudaMemcpyAsync [20,1025] whose copy C [1012,1014] queued
	 * behind K; X [1030,1040]; M2 [1100,1105] -> C2 [1110,1112] (no wait: the kind's 5 us).
	 * M waited for C (ends 11 us after it). gpu 0.5: K [10,510]; C binds on K (+2): [512,513];
	 * M ends max(20 + 11, 513 + 11) = 524; X keeps its 5 us gap: [529,539]; M2 [599,604];
	 * C2 binds on its launch (+10): [609,610]. */
	struct b b = {0};
	uint32_t cpu = lane(&b, 0, TC_LANE_CPU), gpu = lane(&b, 0, TC_LANE_GPU);
	uint64_t l = launch_u(&b, cpu, 0, 5), c, c2;
	uint64_t k = kernel(&b, gpu, l, 10 * U, 1000 * U);
	uint64_t m = memcpy_call(&b, cpu, gpu, 20, 1005, 1012, 2, &c);
	uint64_t x = named(&b, op(&b, cpu, TC_KIND_CPU_OP, 0, 1030 * U, 10 * U), N_CPU);
	uint64_t m2 = memcpy_call(&b, cpu, gpu, 1100, 5, 1110, 2, &c2);
	check_identity(&b);
	struct tc_replay_graph *g;
	struct tc_replay *r = run_waits(&b, &g, 0.5, 0);
	SPAN_U(r, k, 10, 510);
	SPAN_U(r, c, 512, 513);
	SPAN_U(r, m, 20, 524);
	SPAN_U(r, x, 529, 539);
	SPAN_U(r, m2, 599, 604);
	SPAN_U(r, c2, 609, 610);
	struct tc_replay_graph_stats st;
	tc_replay_graph_stats(g, &st);
	cr_expect_eq(st.blocking_waits[TC_RT_MEMCPY_ASYNC], 1);
	tc_replay_free(r);
	tc_replay_graph_free(g); /* the second run builds its own graph */
	/* switched off: the wait is kept as measured CPU time */
	r = run_waits(&b, &g, 0.5, 1);
	SPAN_U(r, m, 20, 1025);
	SPAN_U(r, x, 1030, 1040);
	tc_replay_free(r);
	tc_replay_graph_free(g);
}

Test(waits, device_sync_at_capture_start_waits_for_carried_over_work)
{
	/* K0 [0,3000] was launched before the capture (no launch call). Step P [100,4000] starts
	 * with cudaDeviceSynchronize S [200,3010], then L [3020,3025] -> K1 [3030,3530].
	 * gpu 0.5: K0 [0,1500]; S ends at 1500 + 10 = 1510; L [1520,1525]; K1 [1530,1780]; the
	 * step marker ends 975 us after L ends, as measured (host time): 2500.
	 * K0 belongs to no step: counted as carry-over. */
	struct b b = {0};
	uint32_t cpu = lane(&b, 0, TC_LANE_CPU), gpu = lane(&b, 0, TC_LANE_GPU);
	uint64_t k0 = op(&b, gpu, TC_KIND_KERNEL, 0, 0, 3000 * U);
	b.ops[k0].op_class = TC_CLASS_GEMM;
	uint64_t p = op(&b, cpu, TC_KIND_STEP, 0, 100 * U, 3900 * U);
	uint64_t s =
	    named(&b, op(&b, cpu, TC_KIND_RUNTIME, TC_RT_DEVICE_SYNC, 200 * U, 2810 * U), N_SYNC);
	uint64_t l = launch_u(&b, cpu, 3020, 5);
	uint64_t k1 = kernel(&b, gpu, l, 3030 * U, 500 * U);
	b.ops[s].parent = b.ops[l].parent = p;
	check_identity(&b);
	struct tc_replay_graph *g;
	struct tc_replay *r = run_waits(&b, &g, 0.5, 0);
	SPAN_U(r, k0, 0, 1500);
	SPAN_U(r, s, 200, 1510);
	SPAN_U(r, l, 1520, 1525);
	SPAN_U(r, k1, 1530, 1780);
	SPAN_U(r, p, 100, 2500);
	const struct tc_replay_step *st;
	cr_assert_eq(tc_replay_steps(r, &st), 1);
	cr_expect_eq(st[0].proj_ns, 2400 * U);
	cr_expect_eq(st[0].src_ns, 3900 * U);
	tc_replay_free(r);
	tc_replay_graph_free(g);
}

Test(waits, cpu_operator_waits_on_a_collective)
{
	/* L [0,5] -> N (a NCCL kernel with no peers in the stream) [10,2000]. W = c10d wait
	 * [100,2010] ends 10 us after N; W2 [3000,3010] is the kind's non-waiting length.
	 * gpu 0.5: N [10,1005]; W ends max(100 + 10, 1005 + 10) = 1015; W2 keeps its gap:
	 * 990 us after W -> [2005,2015]. */
	struct b b = {0};
	uint32_t cpu = lane(&b, 0, TC_LANE_CPU), gpu = lane(&b, 0, TC_LANE_GPU);
	uint64_t l = launch_u(&b, cpu, 0, 5);
	uint64_t n = kernel(&b, gpu, l, 10 * U, 1990 * U);
	b.ops[n].op_class = TC_CLASS_COLLECTIVE;
	uint64_t w = named(&b, op(&b, cpu, TC_KIND_CPU_OP, 0, 100 * U, 1910 * U), N_WAIT);
	uint64_t w2 = named(&b, op(&b, cpu, TC_KIND_CPU_OP, 0, 3000 * U, 10 * U), N_WAIT);
	check_identity(&b);
	struct tc_replay_graph *g;
	struct tc_replay *r = run_waits(&b, &g, 0.5, 0);
	SPAN_U(r, n, 10, 1005);
	SPAN_U(r, w, 100, 1015);
	SPAN_U(r, w2, 2005, 2015);
	struct tc_replay_graph_stats st;
	tc_replay_graph_stats(g, &st);
	cr_expect_eq(st.blocking_waits[TC_REPLAY_WAIT_CPU_OP], 1);
	tc_replay_free(r);
	tc_replay_graph_free(g);
}

Test(waits, stream_waits_for_another_stream)
{
	/* L1 [0,5] -> A on stream 1 [10,1010]; L2 [20,25] -> B on stream 2 [1012,1112]: queued
	 * on an idle stream, B started 2 us after A ended (an event the trace did not record).
	 * gpu 0.5: A [10,510]; B binds on A (+2): [512,562]. Without inference B keeps the
	 * measured 992 us after its launch: [1012,1062]. */
	struct b b = {0};
	uint32_t cpu = lane(&b, 0, TC_LANE_CPU), s1 = lane(&b, 0, TC_LANE_GPU),
		 s2 = lane(&b, 0, TC_LANE_GPU);
	uint64_t l1 = launch_u(&b, cpu, 0, 5), a = kernel(&b, s1, l1, 10 * U, 1000 * U);
	uint64_t l2 = launch_u(&b, cpu, 20, 5), bb = kernel(&b, s2, l2, 1012 * U, 100 * U);
	check_identity(&b);
	struct tc_replay_graph *g;
	struct tc_replay *r = run_waits(&b, &g, 0.5, 0);
	SPAN_U(r, a, 10, 510);
	SPAN_U(r, bb, 512, 562);
	struct tc_replay_graph_stats st;
	tc_replay_graph_stats(g, &st);
	cr_expect_eq(st.stream_gap_waits, 1);
	tc_replay_free(r);
	tc_replay_graph_free(g); /* the second run builds its own graph */
	r = run_waits(&b, &g, 0.5, 1);
	SPAN_U(r, bb, 1012, 1062);
	tc_replay_free(r);
	tc_replay_graph_free(g);
}

Test(waits, threads_hand_work_to_each_other)
{
	/* Main thread: X [0,10], BW = backward [300,1830]. Worker: Q [0,5], then idle until BW
	 * starts: Y [310,330], L [340,345] -> K [350,1350], W2 = cudaMemcpyAsync [360,1370] with
	 * its copy C [1352,1354], Z [1380,1820] (host work), W3 [1900,1905] -> C3 [1910,1912].
	 * BW returns 10 us after Z ends (main waits for the worker); Y starts 10 us after BW
	 * starts (the worker waits for main); BW itself starts after main idled 290 us, and Q's
	 * start (300 us earlier, within the 2 ms a woken thread is given) is its trigger, which
	 * changes nothing here (both keep BW at 300): three hand-offs.
	 * gpu 0.5: Y [310,330]; L [340,345]; K [350,850]; C [852,853]; W2 waited (16 us return):
	 * [360,869]; Z [879,1319]; BW ends at Z's end + 10: [300,1329]; W3 keeps its 80 us gap:
	 * [1399,1404]; C3 [1409,1410]. */
	struct b b = {0};
	uint32_t main_t = lane(&b, 0, TC_LANE_CPU), work = lane(&b, 0, TC_LANE_CPU),
		 gpu = lane(&b, 0, TC_LANE_GPU);
	uint64_t c, c3;
	named(&b, op(&b, main_t, TC_KIND_CPU_OP, 0, 0, 10 * U), N_CPU);
	uint64_t bw = named(&b, op(&b, main_t, TC_KIND_CPU_OP, 0, 300 * U, 1530 * U), N_BACKWARD);
	named(&b, op(&b, work, TC_KIND_CPU_OP, 0, 0, 5 * U), N_Q);
	uint64_t y = named(&b, op(&b, work, TC_KIND_CPU_OP, 0, 310 * U, 20 * U), N_Y);
	uint64_t l = launch_u(&b, work, 340, 5);
	uint64_t k = kernel(&b, gpu, l, 350 * U, 1000 * U);
	uint64_t w2 = memcpy_call(&b, work, gpu, 360, 1010, 1352, 2, &c);
	uint64_t z = named(&b, op(&b, work, TC_KIND_CPU_OP, 0, 1380 * U, 440 * U), N_Z);
	uint64_t w3 = memcpy_call(&b, work, gpu, 1900, 5, 1910, 2, &c3);
	check_identity(&b);
	struct tc_replay_graph *g;
	struct tc_replay *r = run_waits(&b, &g, 0.5, 0);
	SPAN_U(r, y, 310, 330);
	SPAN_U(r, k, 350, 850);
	SPAN_U(r, c, 852, 853);
	SPAN_U(r, w2, 360, 869);
	SPAN_U(r, z, 879, 1319);
	SPAN_U(r, bw, 300, 1329);
	SPAN_U(r, w3, 1399, 1404);
	SPAN_U(r, c3, 1409, 1410);
	struct tc_replay_graph_stats st;
	tc_replay_graph_stats(g, &st);
	cr_expect_eq(st.handoff_waits, 3);
	tc_replay_free(r);
	tc_replay_graph_free(g);
}

Test(waits, a_long_call_that_did_not_wait_keeps_its_time)
{
	/* A cudaLaunchKernel that is always 300 us (its kind's baseline, capped at 20 us for
	 * runtime calls, makes it look like a wait) but ends 200 us after every GPU op: outside
	 * the 50 us window, so no wait is inferred and it keeps its length at any speed. */
	struct b b = {0};
	uint32_t cpu = lane(&b, 0, TC_LANE_CPU), gpu = lane(&b, 0, TC_LANE_GPU);
	uint64_t l1 = launch_u(&b, cpu, 0, 5), k = kernel(&b, gpu, l1, 10 * U, 100 * U);
	uint64_t l2 = launch_u(&b, cpu, 20, 300);
	check_identity(&b);
	struct tc_replay_graph *g;
	struct tc_replay *r = run_waits(&b, &g, 0.5, 0);
	SPAN_U(r, k, 10, 60);
	SPAN_U(r, l2, 20, 320);
	struct tc_replay_graph_stats st;
	tc_replay_graph_stats(g, &st);
	cr_expect_eq(st.blocking_waits[TC_RT_LAUNCH], 0);
	tc_replay_free(r);
	tc_replay_graph_free(g);
}

/* replay_deps.c - each dependency kind on a tiny hand-made stream, built in memory.
 *
 * Every case runs the identity (must give back the source times exactly) and a what-if
 * with every GPU op scaled by gpu_scale, whose projected times are worked out by hand in the
 * comments. The engine's rule (docs/projection.md): an op starts at the max over its
 * incoming edges of (pred's projected time + latency), where the edge that bound it on the
 * source keeps its measured slack and every other edge gets min(floor, its own slack); floors
 * are the rank's smallest launch latency (launch edges), the lane's smallest gap (stream
 * order) and 0 otherwise. A blocking call ends at max(its start + host part, awaited end +
 * measured return latency). */
#include "replay_build.h"

Test(deps, launch_and_queueing)
{
	/* Launches at 0, 20, 40 (10 ns each); kernels of 100 ns. K1 starts 15 after its launch;
	 * K2 and K3 were queued (start 2 after the previous kernel). Launch floor = min(15, 97,
	 * 179) = 15; lane gap floor = 2.
	 * gpu_scale 0.1 -> kernels of 10:
	 *   K1: launch start 0 + slack 15 = 15, ends 25.
	 *   K2: binding on source was the stream (115 > 20): 25 + 2 = 27; launch 20 + min(15,97)
	 *       = 35 -> 35, ends 45.   K3: 45 + 2 = 47 vs 40 + 15 = 55 -> 55, ends 65. */
	struct b b = {0};
	uint32_t cpu = lane(&b, 0, TC_LANE_CPU), gpu = lane(&b, 0, TC_LANE_GPU);
	uint64_t l1 = launch(&b, cpu, 0, 10), k1 = kernel(&b, gpu, l1, 15, 100);
	uint64_t l2 = launch(&b, cpu, 20, 10), k2 = kernel(&b, gpu, l2, 117, 100);
	uint64_t l3 = launch(&b, cpu, 40, 10), k3 = kernel(&b, gpu, l3, 219, 100);
	check_identity(&b);
	struct tc_replay_graph *g;
	struct tc_replay *r = run(&b, &g, 0.1, 1.0);
	EXPECT_SPAN(r, k1, 15, 25);
	EXPECT_SPAN(r, k2, 35, 45);
	EXPECT_SPAN(r, k3, 55, 65);
	EXPECT_SPAN(r, l3, 40, 50); /* host untouched */
	tc_replay_free(r);
	tc_replay_graph_free(g);
}

Test(deps, stream_sync)
{
	/* L1 [0,5] -> K1 [10,110]; S = cudaStreamSynchronize [20,115]; X [120,130].
	 * S waited on the source (K1 ends 110 > 20): return latency 115 - 110 = 5, host part
	 * min(5, 95) = 5.  gpu 0.5: K1 [10,60]; S ends max(20+5, 60+5) = 65; X keeps its 5 ns
	 * gap: [70,80].  gpu 2: K1 [10,210]; S ends 215; X [220,230]. */
	struct b b = {0};
	uint32_t cpu = lane(&b, 0, TC_LANE_CPU), gpu = lane(&b, 0, TC_LANE_GPU);
	uint64_t l1 = launch(&b, cpu, 0, 5), k1 = kernel(&b, gpu, l1, 10, 100);
	uint64_t s = op(&b, cpu, TC_KIND_RUNTIME, TC_RT_STREAM_SYNC, 20, 95);
	b.ops[s].sync_lane = gpu + 1;
	uint64_t x = op(&b, cpu, TC_KIND_CPU_OP, 0, 120, 10);
	check_identity(&b);
	struct tc_replay_graph *g;
	struct tc_replay *r = run(&b, &g, 0.5, 1.0);
	EXPECT_SPAN(r, k1, 10, 60);
	EXPECT_SPAN(r, s, 20, 65);
	EXPECT_SPAN(r, x, 70, 80);
	tc_replay_free(r);
	tc_replay_graph_free(g);
	r = run(&b, &g, 2.0, 1.0);
	EXPECT_SPAN(r, k1, 10, 210);
	EXPECT_SPAN(r, s, 20, 215);
	EXPECT_SPAN(r, x, 220, 230);
	tc_replay_free(r);
	tc_replay_graph_free(g);
}

Test(deps, device_sync_waits_for_every_stream)
{
	/* L1 [0,4] -> K1 on stream A [10,110]; L2 [4,8] -> K2 on stream B [12,62];
	 * D = cudaDeviceSynchronize [20,112]: waits for both, source return latency
	 * 112 - max(110, 62) = 2.  gpu 0.5: K1 [10,60]; K2: launch 4 + slack 8 = 12, [12,37];
	 * D ends max(20 + 2, max(60, 37) + 2) = 62.  gpu 2: K1 [10,210], K2 [12,112], D 212. */
	struct b b = {0};
	uint32_t cpu = lane(&b, 0, TC_LANE_CPU), ga = lane(&b, 0, TC_LANE_GPU),
		 gb = lane(&b, 0, TC_LANE_GPU);
	uint64_t l1 = launch(&b, cpu, 0, 4), k1 = kernel(&b, ga, l1, 10, 100);
	uint64_t l2 = launch(&b, cpu, 4, 4), k2 = kernel(&b, gb, l2, 12, 50);
	uint64_t d = op(&b, cpu, TC_KIND_RUNTIME, TC_RT_DEVICE_SYNC, 20, 92);
	check_identity(&b);
	struct tc_replay_graph *g;
	struct tc_replay *r = run(&b, &g, 0.5, 1.0);
	EXPECT_SPAN(r, k1, 10, 60);
	EXPECT_SPAN(r, k2, 12, 37);
	EXPECT_SPAN(r, d, 20, 62);
	tc_replay_free(r);
	tc_replay_graph_free(g);
	r = run(&b, &g, 2.0, 1.0);
	EXPECT_SPAN(r, d, 20, 212);
	tc_replay_free(r);
	tc_replay_graph_free(g);
}

Test(deps, event_record_then_stream_wait)
{
	/* L1 [0,2] -> K1 on stream A [10,110]; R = record(ev 7 on A) [3,4] captures K1;
	 * W = streamWaitEvent(B, ev 7) [5,6]; L2 [7,9] -> K2 on B [111,161] (held by the event).
	 * Launch floor of the rank = min(10, 104) = 10.
	 * gpu 0.5: K1 [10,60]; K2: event edge binding on the source (110 > 7), slack 1 -> 61;
	 * launch 7 + min(10, 104) = 17 -> starts 61, 25 long: [61,86].
	 * Control: when the wait names an event never recorded, the launch is K2's only edge and
	 * keeps its measured slack 104: [111,136] (the engine cannot know what held it). */
	struct b b = {0};
	uint32_t cpu = lane(&b, 0, TC_LANE_CPU), ga = lane(&b, 0, TC_LANE_GPU),
		 gb = lane(&b, 0, TC_LANE_GPU);
	uint64_t l1 = launch(&b, cpu, 0, 2), k1 = kernel(&b, ga, l1, 10, 100);
	uint64_t rec = op(&b, cpu, TC_KIND_RUNTIME, TC_RT_EVENT_RECORD, 3, 1);
	b.ops[rec].sync_lane = ga + 1;
	b.ops[rec].sync_event = 7;
	uint64_t w = op(&b, cpu, TC_KIND_RUNTIME, TC_RT_STREAM_WAIT_EVENT, 5, 1);
	b.ops[w].sync_lane = gb + 1;
	b.ops[w].sync_event = 7;
	uint64_t l2 = launch(&b, cpu, 7, 2), k2 = kernel(&b, gb, l2, 111, 50);
	check_identity(&b);
	struct tc_replay_graph *g;
	struct tc_replay *r = run(&b, &g, 0.5, 1.0);
	EXPECT_SPAN(r, k1, 10, 60);
	EXPECT_SPAN(r, k2, 61, 86);
	struct tc_replay_graph_stats st;
	tc_replay_graph_stats(g, &st);
	cr_expect_eq(st.event_edges, 1);
	tc_replay_free(r);
	tc_replay_graph_free(g);

	/* control: the wait names an event never recorded -> counted, no edge */
	b.ops[w].sync_event = 8;
	r = run(&b, &g, 0.5, 1.0);
	EXPECT_SPAN(r, k2, 111, 136);
	cr_expect_eq(tc_replay_warnings(r)->unresolved_waits, 1);
	tc_replay_free(r);
	tc_replay_graph_free(g);
}

Test(deps, event_reuse_resolves_in_time_order_not_op_order)
{
	/* Event 7 is recorded twice on stream A, the later record (t 15, capturing K3) added to
	 * the stream before the earlier one (t 3, capturing K1); the wait on B at t 20 must see
	 * the record latest in time, K3. Stream A: K1 [10,110], K3 [120,170]; K2 on B [171,221].
	 * Rank floors: launch min(10, 108, 149) = 10, gap 10. gpu 0.5: K1 [10,60]; K3 after K1
	 * (binding, slack 10): [70,95]; K2 bound by K3's end (slack 1): [96,121]. Bound by K1's
	 * end instead (op order) it would start at 60 + 61 = 121. */
	struct b b = {0};
	uint32_t cpu = lane(&b, 0, TC_LANE_CPU), ga = lane(&b, 0, TC_LANE_GPU),
		 gb = lane(&b, 0, TC_LANE_GPU);
	uint64_t l1 = launch(&b, cpu, 0, 2);
	kernel(&b, ga, l1, 10, 100);
	uint64_t l3 = launch(&b, cpu, 12, 2), k3 = kernel(&b, ga, l3, 120, 50);
	uint64_t r2 = op(&b, cpu, TC_KIND_RUNTIME, TC_RT_EVENT_RECORD, 15, 1);
	uint64_t r1 = op(&b, cpu, TC_KIND_RUNTIME, TC_RT_EVENT_RECORD, 3, 1);
	b.ops[r1].sync_lane = b.ops[r2].sync_lane = ga + 1;
	b.ops[r1].sync_event = b.ops[r2].sync_event = 7;
	uint64_t w = op(&b, cpu, TC_KIND_RUNTIME, TC_RT_STREAM_WAIT_EVENT, 20, 1);
	b.ops[w].sync_lane = gb + 1;
	b.ops[w].sync_event = 7;
	uint64_t l2 = launch(&b, cpu, 22, 2), k2 = kernel(&b, gb, l2, 171, 50);
	check_identity(&b);
	struct tc_replay_graph *g;
	struct tc_replay *r = run(&b, &g, 0.5, 1.0);
	EXPECT_SPAN(r, k3, 70, 95);
	EXPECT_SPAN(r, k2, 96, 121);
	tc_replay_free(r);
	tc_replay_graph_free(g);
}

Test(deps, anonymous_stream_wait_is_inferred)
{
	/* An old-trace wait with no event id: the thread launched K1 on stream A before it and
	 * K2 on stream B after it, so B's next op waits for A's last op (K1, ends 220 <= K2's
	 * start 230 on the source: consistent). Floors: launch = min(20 - 0, 230 - 40) = 20,
	 * gap 0 (one op per lane).
	 * gpu_scale 0.5: K1 = launch start 0 + its slack 20 = 20, runs 100 -> [20, 120].
	 *   K2: binding edge on the source is K1's end (220 > launch start 40): 120 + slack 10
	 *   = 130; launch edge 40 + min(20, 190) = 60 -> 130, runs 50 -> [130, 180].
	 *   Without the inferred edge K2 would keep its launch slack: 40 + 190 = 230. */
	struct b b = {0};
	uint32_t cpu = lane(&b, 0, TC_LANE_CPU), ga = lane(&b, 0, TC_LANE_GPU),
		 gb = lane(&b, 0, TC_LANE_GPU);
	uint64_t l1 = launch(&b, cpu, 0, 10), k1 = kernel(&b, ga, l1, 20, 200);
	op(&b, cpu, TC_KIND_RUNTIME, TC_RT_STREAM_WAIT_EVENT, 30, 5);
	uint64_t l2 = launch(&b, cpu, 40, 10), k2 = kernel(&b, gb, l2, 230, 100);
	check_identity(&b);
	struct tc_replay_graph *g;
	struct tc_replay *r = run(&b, &g, 0.5, 1.0);
	struct tc_replay_graph_stats st;
	tc_replay_graph_stats(g, &st);
	cr_expect_eq(st.inferred_waits, 1);
	cr_expect_eq(st.anonymous_waits, 0);
	EXPECT_SPAN(r, k1, 20, 120);
	EXPECT_SPAN(r, k2, 130, 180);
	tc_replay_free(r);
	tc_replay_graph_free(g);

	/* The same wait when the measured run contradicts it (K2 started at 200, before K1
	 * ended at 220): no edge, counted; K2 keeps its launch slack: 40 + 160 = 200. */
	b.ops[k2].ts_ns = 200;
	r = run(&b, &g, 0.5, 1.0);
	tc_replay_graph_stats(g, &st);
	cr_expect_eq(st.inferred_waits, 0);
	cr_expect_eq(st.anonymous_waits, 1);
	EXPECT_SPAN(r, k2, 200, 250);
	tc_replay_free(r);
	tc_replay_graph_free(g);
}

Test(deps, event_sync)
{
	/* L1 [0,2] -> K1 [10,110]; R records ev 3 on the stream [3,4]; E = eventSynchronize(3)
	 * [20,113]: return latency 3.  gpu 0.5: K1 [10,60], E ends max(20+3, 60+3) = 63. */
	struct b b = {0};
	uint32_t cpu = lane(&b, 0, TC_LANE_CPU), ga = lane(&b, 0, TC_LANE_GPU);
	uint64_t l1 = launch(&b, cpu, 0, 2);
	kernel(&b, ga, l1, 10, 100);
	uint64_t rec = op(&b, cpu, TC_KIND_RUNTIME, TC_RT_EVENT_RECORD, 3, 1);
	b.ops[rec].sync_lane = ga + 1;
	b.ops[rec].sync_event = 3;
	uint64_t e = op(&b, cpu, TC_KIND_RUNTIME, TC_RT_EVENT_SYNC, 20, 93);
	b.ops[e].sync_event = 3;
	check_identity(&b);
	struct tc_replay_graph *g;
	struct tc_replay *r = run(&b, &g, 0.5, 1.0);
	EXPECT_SPAN(r, e, 20, 63);
	tc_replay_free(r);
	tc_replay_graph_free(g);
}

Test(deps, blocking_memcpy)
{
	/* M = cudaMemcpy [0,100] -> copy C [10,90]; X [105,110].  M waited (90 > 0): return
	 * latency 10.  gpu 0.5: C [10,50]; M ends max(0+10, 50+10) = 60; X keeps its 5 ns gap:
	 * [65,70]. */
	struct b b = {0};
	uint32_t cpu = lane(&b, 0, TC_LANE_CPU), ga = lane(&b, 0, TC_LANE_GPU);
	uint64_t m = op(&b, cpu, TC_KIND_RUNTIME, TC_RT_MEMCPY, 0, 100);
	uint64_t c = op(&b, ga, TC_KIND_MEMCPY, TC_COPY_D2H, 10, 80);
	b.ops[c].link = m;
	b.ops[c].op_class = TC_CLASS_COPY;
	uint64_t x = op(&b, cpu, TC_KIND_CPU_OP, 0, 105, 5);
	check_identity(&b);
	struct tc_replay_graph *g;
	struct tc_replay *r = run(&b, &g, 0.5, 1.0);
	EXPECT_SPAN(r, c, 10, 50);
	EXPECT_SPAN(r, m, 0, 60);
	EXPECT_SPAN(r, x, 65, 70);
	tc_replay_free(r);
	tc_replay_graph_free(g);
}

Test(deps, collective_waits_for_the_group)
{
	/* rank 0: L0 [0,5] -> C0 allreduce [10,200] (waits for rank 1 on the source).
	 * rank 1: La [0,5] -> K [10,100]; Lb [6,8] -> C1 [100,200].
	 * Source: latest arrival 100, transfer = shortest member 100, residuals 0.
	 * gpu 0.5: K [10,55]; C1 starts at 55 (stream order, slack 0); C0 starts 10;
	 * transfer re-timed 100 * 0.5 = 50 -> both end at 55 + 50 = 105. */
	struct b b = {0};
	uint32_t c0 = lane(&b, 0, TC_LANE_CPU), g0 = lane(&b, 0, TC_LANE_GPU);
	uint32_t c1 = lane(&b, 1, TC_LANE_CPU), g1 = lane(&b, 1, TC_LANE_GPU);
	uint64_t l0 = launch(&b, c0, 0, 5), k0 = kernel(&b, g0, l0, 10, 190);
	uint64_t la = launch(&b, c1, 0, 5), k = kernel(&b, g1, la, 10, 90);
	uint64_t lb = launch(&b, c1, 6, 2), k1 = kernel(&b, g1, lb, 100, 100);
	for (int j = 0; j < 2; j++) {
		struct tc_op *o = &b.ops[j ? k1 : k0];
		o->op_class = TC_CLASS_COLLECTIVE;
		o->coll_kind = TC_COLL_ALLREDUCE;
		o->coll_group = 1;
		o->coll_group_size = 2;
		o->coll_seq = 1;
	}
	check_identity(&b);
	struct tc_replay_graph *g;
	struct tc_replay *r = run(&b, &g, 0.5, 1.0);
	EXPECT_SPAN(r, k, 10, 55);
	EXPECT_SPAN(r, k1, 55, 105);
	EXPECT_SPAN(r, k0, 10, 105);
	struct tc_replay_graph_stats st;
	tc_replay_graph_stats(g, &st);
	cr_expect_eq(st.collective_instances, 1);
	tc_replay_free(r);
	tc_replay_graph_free(g);
}

Test(deps, host_gaps_scale_and_nest)
{
	/* Step P [0,100] holds c1 [10,30] and c2 [50,60]. host_scale 2 doubles every gap
	 * between points: P [0,200], c1 [20,60], c2 [100,120]. The step is reported. */
	struct b b = {0};
	uint32_t cpu = lane(&b, 0, TC_LANE_CPU);
	uint64_t p = op(&b, cpu, TC_KIND_STEP, 0, 0, 100);
	uint64_t a = op(&b, cpu, TC_KIND_CPU_OP, 0, 10, 20);
	uint64_t c = op(&b, cpu, TC_KIND_CPU_OP, 0, 50, 10);
	b.ops[a].parent = p;
	b.ops[c].parent = p;
	check_identity(&b);
	struct tc_replay_graph *g;
	struct tc_replay *r = run(&b, &g, 1.0, 2.0);
	EXPECT_SPAN(r, p, 0, 200);
	EXPECT_SPAN(r, a, 20, 60);
	EXPECT_SPAN(r, c, 100, 120);
	const struct tc_replay_step *steps;
	cr_assert_eq(tc_replay_steps(r, &steps), 1);
	cr_expect_eq(steps[0].src_ns, 100);
	cr_expect_eq(steps[0].proj_ns, 200);
	cr_expect(tc_replay_warnings(r)->no_gpu_work);
	tc_replay_free(r);
	tc_replay_graph_free(g);
}

Test(deps, data_edges)
{
	/* A [0,50] on stream 1, B [60,80] on stream 2 depends on A (ONNX-style edge, measured).
	 * gpu 0.5: A [0,25]; B: data edge binding, slack 10 -> [35,45]. */
	struct b b = {0};
	uint32_t ga = lane(&b, 0, TC_LANE_GPU), gb = lane(&b, 0, TC_LANE_GPU);
	uint64_t a = op(&b, ga, TC_KIND_KERNEL, 0, 0, 50);
	uint64_t bb = op(&b, gb, TC_KIND_KERNEL, 0, 60, 20);
	uint64_t dep[1] = {a};
	b.ops[bb].deps = dep;
	b.ops[bb].n_deps = 1;
	check_identity(&b);
	struct tc_replay_graph *g;
	struct tc_replay *r = run(&b, &g, 0.5, 1.0);
	EXPECT_SPAN(r, a, 0, 25);
	EXPECT_SPAN(r, bb, 35, 45);
	tc_replay_free(r);
	tc_replay_graph_free(g);
}

Test(deps, analytic_ops_need_a_target)
{
	struct b b = {0};
	uint32_t ga = lane(&b, 0, TC_LANE_GPU);
	op(&b, ga, TC_KIND_NODE, 0, 0, -1);
	struct tc_replay_graph *g = NULL;
	struct tc_replay *r = NULL;
	struct tc_err err = TC_ERR_INIT;
	cr_assert_eq(tc_replay_graph_new(&g, &err), 0);
	cr_assert_eq(tc_replay_graph_add(g, b.ops, b.n, &err), 0);
	cr_assert_eq(tc_replay_graph_set_lanes(g, b.lanes, b.n_lanes, &err), 0);
	cr_assert_eq(tc_replay_graph_finish(g, NULL, &err), 0);
	struct tc_replay_opts o = TC_REPLAY_OPTS_INIT;
	cr_expect_eq(tc_replay_run(&r, g, &o, &err), TC_EINVAL);
	cr_expect(strstr(err.msg, "no measured time") != NULL, "%s", err.msg);
	tc_replay_graph_free(g);
}

Test(deps, bad_graphs_fail_clearly)
{
	struct b b = {0};
	uint32_t cpu = lane(&b, 0, TC_LANE_CPU);
	op(&b, cpu, TC_KIND_CPU_OP, 0, 0, 10);
	b.ops[0].lane = 5; /* undeclared */
	struct tc_replay_graph *g = NULL;
	struct tc_err err = TC_ERR_INIT;
	cr_assert_eq(tc_replay_graph_new(&g, &err), 0);
	cr_assert_eq(tc_replay_graph_add(g, b.ops, b.n, &err), 0);
	cr_assert_eq(tc_replay_graph_set_lanes(g, b.lanes, b.n_lanes, &err), 0);
	cr_expect_eq(tc_replay_graph_finish(g, NULL, &err), TC_EFORMAT);
	cr_expect(strstr(err.msg, "lane 5") != NULL, "%s", err.msg);
	tc_replay_graph_free(g);

	b.ops[0].lane = 0;
	b.ops[0].id = 3; /* ids must be dense */
	cr_assert_eq(tc_replay_graph_new(&g, &err), 0);
	cr_expect_eq(tc_replay_graph_add(g, b.ops, b.n, &err), TC_EFORMAT);
	cr_expect(strstr(err.msg, "out of order") != NULL, "%s", err.msg);
	tc_replay_graph_free(g);
}

Test(report, json_is_deterministic)
{
	struct b b = {0};
	uint32_t cpu = lane(&b, 0, TC_LANE_CPU), gpu = lane(&b, 0, TC_LANE_GPU);
	uint64_t p = op(&b, cpu, TC_KIND_STEP, 0, 0, 300);
	uint64_t l1 = launch(&b, cpu, 10, 10);
	b.ops[l1].parent = p;
	kernel(&b, gpu, l1, 25, 100);
	struct tc_replay_graph *g;
	char *buf[2] = {NULL, NULL};
	size_t len[2];
	for (int k = 0; k < 2; k++) {
		struct tc_replay *r = run(&b, &g, 0.5, 1.0);
		FILE *fp = open_memstream(&buf[k], &len[k]);
		struct tc_err err = TC_ERR_INIT;
		cr_assert_eq(tc_replay_write_json(r, fp, &err), 0);
		cr_assert_eq(tc_replay_write_timeline(r, fp, &err), 0);
		fclose(fp);
		tc_replay_free(r);
		tc_replay_graph_free(g);
	}
	cr_assert_eq(len[0], len[1]);
	cr_expect_eq(memcmp(buf[0], buf[1], len[0]), 0);
	cr_expect(strstr(buf[0], "\"schema\": \"tracecast.projection\"") != NULL);
	/* the kernel halves (100 -> 50) and the step shrinks by 50 only if it waited on it:
	 * it did not (no sync), so the step keeps its 300 ns */
	cr_expect(strstr(buf[0], "\"step_ns\": 300") != NULL);
	free(buf[0]);
	free(buf[1]);
}

Test(deps, absurd_scales_saturate_and_never_speed_up)
{
	/* issue 19: a projected duration beyond int64 came back as 0 (a "speedup"), and sums of
	 * such times could wrap. With every op scaled by 1e300 the replay still ends, and no op
	 * ends before it started or before it did on the source. */
	struct b b = {0};
	uint32_t cpu = lane(&b, 0, TC_LANE_CPU), gpu = lane(&b, 0, TC_LANE_GPU);
	uint64_t l1 = launch(&b, cpu, 0, 10);
	kernel(&b, gpu, l1, 15, 100);
	uint64_t l2 = launch(&b, cpu, 20, 10);
	kernel(&b, gpu, l2, 117, 100);
	op(&b, cpu, TC_KIND_RUNTIME, TC_RT_DEVICE_SYNC, 40, 300);
	op(&b, cpu, TC_KIND_CPU_OP, 0, 400, 10);
	double scales[][2] = {{1e300, 1.0}, {1.0, 1e300}, {1e300, 1e300}};
	for (size_t s = 0; s < TC_ARRAY_LEN(scales); s++) {
		struct tc_replay_graph *g;
		struct tc_replay *r = run(&b, &g, scales[s][0], scales[s][1]);
		for (size_t i = 0; i < b.n; i++) {
			int64_t st = tc_replay_op_start(r, i), en = tc_replay_op_end(r, i);
			cr_expect_geq(en, st, "scales %zu: op %zu ends %lld before its start %lld",
				      s, i, (long long)en, (long long)st);
			cr_expect_geq(en, b.ops[i].ts_ns + b.ops[i].dur_ns,
				      "scales %zu: op %zu ends %lld, earlier than on the source", s,
				      i, (long long)en);
		}
		tc_replay_free(r);
		tc_replay_graph_free(g);
	}
}

Test(deps, many_lanes_replay_in_linear_memory, .timeout = 120)
{
	/* issue 19: 50,000 GPU streams of one kernel each failed with "out of memory for the
	 * simulation": every lane had a waiter slice as long as the lane count. With lists
	 * grown on demand, 100,000 lanes replay (identity: every kernel at its source time). */
	enum { N = 100000 };
	struct tc_op *ops = calloc(N, sizeof(*ops));
	struct tc_lane *lanes = calloc(N, sizeof(*lanes));
	cr_assert(ops && lanes);
	for (uint32_t i = 0; i < N; i++) {
		lanes[i].id = i;
		lanes[i].type = TC_LANE_GPU;
		lanes[i].tid = i;
		tc_op_init(&ops[i]);
		ops[i].id = i;
		ops[i].lane = i;
		ops[i].kind = TC_KIND_KERNEL;
		ops[i].op_class = TC_CLASS_GEMM;
		ops[i].ts_ns = 10 * (int64_t)i;
		ops[i].dur_ns = 5;
	}
	struct tc_replay_graph *g = NULL;
	struct tc_replay *r = NULL;
	struct tc_err err = TC_ERR_INIT;
	cr_assert_eq(tc_replay_graph_new(&g, &err), 0);
	cr_assert_eq(tc_replay_graph_add(g, ops, N, &err), 0, "%s", err.msg);
	cr_assert_eq(tc_replay_graph_set_lanes(g, lanes, N, &err), 0, "%s", err.msg);
	cr_assert_eq(tc_replay_graph_finish(g, NULL, &err), 0, "%s", err.msg);
	struct tc_replay_opts o = TC_REPLAY_OPTS_INIT;
	cr_assert_eq(tc_replay_run(&r, g, &o, &err), 0, "%s", err.msg);
	for (uint32_t i = 0; i < N; i += 997) {
		cr_expect_eq(tc_replay_op_start(r, i), ops[i].ts_ns, "op %u", i);
		cr_expect_eq(tc_replay_op_end(r, i), ops[i].ts_ns + 5, "op %u", i);
	}
	tc_replay_free(r);
	tc_replay_graph_free(g);
	free(ops);
	free(lanes);
}

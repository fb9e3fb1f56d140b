/* replay_scale.c - scale-out what-ifs on hand-made 2-rank streams re-scaled to 4, 8 and 16
 * ranks and other layouts, on the round-number test chip (tests/hwmodel/hw_test.h: scale-up
 * 8 devices at 100 GB/s x 0.5 = 50 B/ns and 1 us per step; scale-out 10 B/ns, 10 us; kernel
 * floor 2 us). Every expected time is worked out by hand in the comments. */
#include "../hwmodel/hw_test.h"
#include "replay_build.h"

static char *g_dir, *g_path;

static void setup(void)
{
	g_dir = hwt_mkdtemp();
	g_path = hwt_write(g_dir, "tchip.json", TCHIP);
}

static void teardown(void)
{
	free(g_path);
	hwt_rmtree(g_dir);
}

/* Each rank: launch [0,5] -> K (10,000 ns of unknown GPU work) [10, 10010]; launch [6,8]
 * -> all-reduce of 1e6 B in the group of both ranks [10010, 32010]. The measured 22,000 ns
 * are the model's on the test chip: ring over scale-up among 2, 2*1*1000 + 2*(1/2)*1e6/50. */
#define T_K 10000
#define T_C 22000
static void two_ranks(struct b *b, uint64_t *k, uint64_t *c)
{
	for (uint32_t q = 0; q < 2; q++) {
		uint32_t cl = lane(b, q, TC_LANE_CPU), gl = lane(b, q, TC_LANE_GPU);
		uint64_t l1 = launch(b, cl, 0, 5);
		k[q] = kernel(b, gl, l1, 10, T_K);
		uint64_t l2 = launch(b, cl, 6, 2);
		c[q] = kernel(b, gl, l2, 10 + T_K, T_C);
		struct tc_op *o = &b->ops[c[q]];
		o->op_class = TC_CLASS_COLLECTIVE;
		o->coll_kind = TC_COLL_ALLREDUCE;
		o->coll_group = 1;
		o->coll_group_size = 2;
		o->coll_seq = 1;
		o->coll_bytes = 1000000;
	}
}

/* Run the two-rank stream on the test chip (source = target, with sets) under sc. */
static struct tc_replay *run_scaled(struct b *b, struct tc_replay_graph **g,
				    const struct tc_replay_scale *sc, const char *const *sets,
				    size_t n_sets)
{
	struct tc_chip *src = hwt_load(NULL, g_path, NULL, 0);
	struct tc_chip *dst = hwt_load(NULL, g_path, sets, n_sets);
	struct tc_replay_opts o = TC_REPLAY_OPTS_INIT;
	o.source = src;
	o.target = dst;
	o.scale = sc;
	struct tc_replay *r = run_with(b, g, &o);
	/* the run borrows the chips: keep them until the test frees the run */
	static struct tc_chip *keep[16];
	static size_t nk;
	if (nk + 2 > 16) {
		for (size_t i = 0; i < nk; i++)
			tc_chip_free(keep[i]);
		nk = 0;
	}
	keep[nk++] = src;
	keep[nk++] = dst;
	return r;
}

static int64_t coll_ns(struct b *b, const struct tc_replay_scale *sc, const char *const *sets,
		       size_t n, int64_t *k_end)
{
	uint64_t k[2], c[2];
	struct b bb = *b;
	bb.n = 0;
	bb.n_lanes = 0;
	two_ranks(&bb, k, c);
	struct tc_replay_graph *g;
	struct tc_replay *r = run_scaled(&bb, &g, sc, sets, n);
	int64_t e = tc_replay_op_end(r, c[0]) - tc_replay_op_start(r, c[0]);
	cr_expect_eq(tc_replay_op_end(r, c[0]), tc_replay_op_end(r, c[1]));
	if (k_end)
		*k_end = tc_replay_op_end(r, k[0]);
	tc_replay_free(r);
	tc_replay_graph_free(g);
	return e;
}

Test(scale, identity_same_world_and_layout, .init = setup, .fini = teardown)
{
	struct b b = {0};
	uint64_t k[2], c[2];
	two_ranks(&b, k, c);
	struct tc_replay_scale sc = TC_REPLAY_SCALE_INIT;
	sc.world = 2;
	sc.dst.dp = 2;
	struct tc_replay_graph *g;
	struct tc_replay *r = run_scaled(&b, &g, &sc, NULL, 0);
	for (size_t i = 0; i < b.n; i++) {
		cr_expect_eq(tc_replay_op_start(r, i), b.ops[i].ts_ns, "op %zu", i);
		cr_expect_eq(tc_replay_op_end(r, i), b.ops[i].ts_ns + b.ops[i].dur_ns, "op %zu", i);
	}
	const struct tc_replay_layout *L = tc_replay_layout(r);
	cr_expect(L->active);
	cr_expect_eq(L->dst_world, 2);
	cr_expect_eq(L->coll_ops[TC_GROUP_DP], 2);
	tc_replay_free(r);
	tc_replay_graph_free(g);
}

Test(scale, dp_world_8_and_16_by_hand, .init = setup, .fini = teardown)
{
	struct b b = {0};
	struct tc_replay_scale sc = TC_REPLAY_SCALE_INIT;
	/* 8 ranks in one domain, ring: 2*7*1000 + 2*(7/8)*1e6/50 = 14,000 + 35,000 */
	sc.world = 8;
	int64_t kend;
	cr_expect_eq(coll_ns(&b, &sc, NULL, 0, &kend), 49000);
	cr_expect_eq(kend, 10 + T_K); /* DP replicas: per-rank work unchanged */
	/* 16 ranks, 8 per domain, phases pipelined (latencies add; each fabric's transfers
	 * add; the busier fabric sets the pace): RS_up 7,000 + (7/8)*1e6/50 = 17,500; AR_out
	 * among 2 of 1e6/8 = 125,000 B: ring 20,000 + 2*(1/2)*125,000/10 = 12,500 (tree
	 * 20,000 + 25,000); AG_up 7,000 + 17,500: 34,000 + max(35,000, 12,500) = 69,000 */
	sc.world = 16;
	cr_expect_eq(coll_ns(&b, &sc, NULL, 0, NULL), 69000);
	/* scale-out at 1 GB/s: AR_out 125,000 B in 125,000 ns sets the pace -> 159,000 */
	const char *slow[] = {"network.scale_out.bw_gbs_per_device=1"};
	cr_expect_eq(coll_ns(&b, &sc, slow, 1, NULL), 159000);
	/* twice the scale-out: NVLink's 35,000 still sets the pace: no gain -> 69,000 */
	const char *twice[] = {"network.scale_out.bw_gbs_per_device=20"};
	cr_expect_eq(coll_ns(&b, &sc, twice, 1, NULL), 69000);
	/* 4 ranks, each its own domain (scale_up.size=1): flat over scale-out among 4, auto:
	 * ring 2*3*10,000 + 2*(3/4)*1e6/10 = 210,000; tree 2*2*10,000 + 2*1e6/10 = 240,000 */
	const char *alone[] = {"network.scale_up.size=1"};
	sc.world = 4;
	cr_expect_eq(coll_ns(&b, &sc, alone, 1, NULL), 210000);
}

Test(scale, tp_and_dp_resize_by_hand, .init = setup, .fini = teardown)
{
	struct b b = {0};
	struct tc_replay_scale sc = TC_REPLAY_SCALE_INIT;
	/* traced as tp=2: the group is TP. tp=4: each rank's work halves (K 5,000 ns) and the
	 * TP all-reduce keeps its bytes among 4: 2*3*1000 + 2*(3/4)*1e6/50 = 36,000 */
	sc.src.tp = 2;
	sc.dst.tp = 4;
	int64_t kend;
	cr_expect_eq(coll_ns(&b, &sc, NULL, 0, &kend), 36000);
	cr_expect_eq(kend, 10 + T_K / 2);
	/* traced as dp=2; target dp=2, tp=2 (4 ranks): work halves, the DP all-reduce moves
	 * the half-size gradient shard, its two ranks 2 apart in one domain:
	 * 2*1*1000 + 2*(1/2)*5e5/50 = 12,000 */
	memset(&sc, 0, sizeof(sc));
	sc.dst.dp = 2;
	sc.dst.tp = 2;
	cr_expect_eq(coll_ns(&b, &sc, NULL, 0, &kend), 12000);
	cr_expect_eq(kend, 10 + T_K / 2);
}

Test(scale, straggler_delays_the_group, .init = setup, .fini = teardown)
{
	struct b b = {0};
	uint64_t k[2], c[2];
	two_ranks(&b, k, c);
	/* rank 5 of 8 is 3x slower: its template is rank 5 mod 2 = 1; K there ends at
	 * 10 + 30,000; both ranks' all-reduce (8 ranks, 49,000) ends at 30,010 + 49,000 */
	struct tc_replay_straggler s = {5, 3.0};
	struct tc_replay_scale sc = TC_REPLAY_SCALE_INIT;
	sc.world = 8;
	sc.stragglers = &s;
	sc.n_stragglers = 1;
	struct tc_replay_graph *g;
	struct tc_replay *r = run_scaled(&b, &g, &sc, NULL, 0);
	EXPECT_SPAN(r, k[1], 10, 30010);
	EXPECT_SPAN(r, k[0], 10, 10010);
	cr_expect_eq(tc_replay_op_end(r, c[0]), 30010 + 49000);
	cr_expect_eq(tc_replay_op_end(r, c[1]), 30010 + 49000);
	tc_replay_free(r);
	tc_replay_graph_free(g);
}

Test(scale, jitter_is_seeded, .init = setup, .fini = teardown)
{
	struct b b = {0};
	uint64_t k[2], c[2];
	two_ranks(&b, k, c);
	struct tc_replay_scale sc = TC_REPLAY_SCALE_INIT;
	sc.jitter = 0.2;
	sc.seed = 7;
	int64_t e[3];
	for (int t = 0; t < 3; t++) {
		sc.seed = t == 2 ? 8 : 7;
		struct tc_replay_graph *g;
		struct tc_replay *r = run_scaled(&b, &g, &sc, NULL, 0);
		e[t] = tc_replay_op_end(r, k[0]);
		int64_t d = e[t] - 10;
		cr_expect(d >= T_K * 0.8 - 1 && d <= T_K * 1.2 + 1, "jittered %lld", (long long)d);
		tc_replay_free(r);
		tc_replay_graph_free(g);
	}
	cr_expect_eq(e[0], e[1], "same seed, same answer");
	cr_expect_neq(e[0], e[2], "another seed, another draw");
}

static void expect_refused(const struct tc_replay_scale *sc, const char *want)
{
	struct b b = {0};
	uint64_t k[2], c[2];
	two_ranks(&b, k, c);
	struct tc_replay_graph *g = NULL;
	struct tc_replay *r = NULL;
	struct tc_err err = TC_ERR_INIT;
	struct tc_chip *chip = hwt_load(NULL, g_path, NULL, 0);
	cr_assert_eq(tc_replay_graph_new(&g, &err), 0);
	cr_assert_eq(tc_replay_graph_add(g, b.ops, b.n, &err), 0);
	cr_assert_eq(tc_replay_graph_set_lanes(g, b.lanes, b.n_lanes, &err), 0);
	cr_assert_eq(tc_replay_graph_finish(g, NULL, &err), 0);
	struct tc_replay_opts o = TC_REPLAY_OPTS_INIT;
	o.source = o.target = chip;
	o.scale = sc;
	cr_expect_lt(tc_replay_run(&r, g, &o, &err), 0, "want: %s", want);
	cr_expect(strstr(err.msg, want) != NULL, "got '%s', want '%s'", err.msg, want);
	cr_expect(strchr(err.msg, '\n') == NULL, "one line: %s", err.msg);
	tc_replay_free(r);
	tc_replay_graph_free(g);
	tc_chip_free(chip);
}

Test(scale, bad_layouts_are_refused, .init = setup, .fini = teardown)
{
	struct tc_replay_scale sc = TC_REPLAY_SCALE_INIT;
	sc.world = 12;
	sc.dst.tp = 8;
	expect_refused(&sc, "world size 12 is not divisible by tp x pp = 8");
	memset(&sc, 0, sizeof(sc));
	sc.dst.tp = 16;
	expect_refused(&sc, "tp=16 is larger than a scale-up domain (8 on tchip)");
	memset(&sc, 0, sizeof(sc));
	sc.world = 8;
	sc.dst.dp = 2;
	expect_refused(&sc, "dp x tp x pp = 2, not the world size 8");
	memset(&sc, 0, sizeof(sc));
	sc.src.dp = 4;
	expect_refused(&sc, "--source-parallel: dp x tp x pp = 4, not the world size 2");
	memset(&sc, 0, sizeof(sc));
	sc.dst.dp = 4;
	sc.dst.ep = 3;
	expect_refused(&sc, "ep=3 does not divide dp=4");
	struct tc_replay_straggler s = {9, 2.0};
	memset(&sc, 0, sizeof(sc));
	sc.world = 8;
	sc.stragglers = &s;
	sc.n_stragglers = 1;
	expect_refused(&sc, "--straggler: rank 9 is outside the world (8 ranks)");
}

Test(scale, parallel_parse)
{
	struct tc_replay_parallel p;
	struct tc_err err = TC_ERR_INIT;
	cr_assert_eq(tc_replay_parallel_parse(&p, "tp=8,dp=64,pp=2,ep=8", "--parallel", &err), 0);
	cr_expect(p.dp == 64 && p.tp == 8 && p.pp == 2 && p.ep == 8);
	cr_expect_lt(tc_replay_parallel_parse(&p, "dp=4,xp=2", "--parallel", &err), 0);
	cr_expect_str_eq(err.msg, "--parallel: unknown group kind 'xp' (dp, tp, pp, ep)");
	cr_expect_lt(tc_replay_parallel_parse(&p, "dp=0", "--parallel", &err), 0);
	cr_expect_lt(tc_replay_parallel_parse(&p, "dp=4,dp=2", "--parallel", &err), 0);
	cr_expect_lt(tc_replay_parallel_parse(&p, "dp", "--parallel", &err), 0);
	cr_expect_lt(tc_replay_parallel_parse(&p, "", "--parallel", &err), 0);
	cr_expect_lt(tc_replay_parallel_parse(&p, "tp=-1", "--parallel", &err), 0);
}

Test(scale, unrecorded_size_inferred_from_the_transfer, .init = setup, .fini = teardown)
{
	/* the same stream without coll_bytes: the transfer of 22,000 ns on the source is what
	 * 1e6 B take (ring among 2 in one domain), so 8 ranks cost what the sized stream does
	 * (49,000, within the bisection's rounding), and the two ops are counted */
	struct b b = {0};
	uint64_t k[2], c[2];
	two_ranks(&b, k, c);
	b.ops[c[0]].coll_bytes = b.ops[c[1]].coll_bytes = 0;
	struct tc_replay_scale sc = TC_REPLAY_SCALE_INIT;
	sc.world = 8;
	struct tc_replay_graph *g;
	struct tc_replay *r = run_scaled(&b, &g, &sc, NULL, 0);
	int64_t d = tc_replay_op_end(r, c[0]) - tc_replay_op_start(r, c[0]);
	cr_expect(d >= 48999 && d <= 49001, "inferred: %lld ns", (long long)d);
	cr_expect_eq(tc_replay_warnings(r)->inferred_coll_bytes, 2);
	tc_replay_free(r);
	tc_replay_graph_free(g);
	/* and a network what-if moves it: scale_up.size=1 puts the 8 ranks on 8 nodes */
	const char *alone[] = {"network.scale_up.size=1"};
	r = run_scaled(&b, &g, &sc, alone, 1);
	cr_expect_gt(tc_replay_op_end(r, c[0]) - tc_replay_op_start(r, c[0]), d);
	tc_replay_free(r);
	tc_replay_graph_free(g);
}

Test(scale, rank_on_another_chip, .init = setup, .fini = teardown)
{
	/* rank 1 runs on a chip with half the matrix rate: K (GEMM of unknown work, scaled by
	 * the achievable matrix rate) takes 2x: [10, 20010]; both all-reduces (2 ranks, the
	 * target's network) end at 20,010 + 22,000 */
	char *slow = hwt_write_mod(g_dir, "slow.json", "compute.matrix.peak_tflops.bf16", "50");
	struct tc_chip *c2 = hwt_load(NULL, slow, NULL, 0);
	struct b b = {0};
	uint64_t k[2], c[2];
	two_ranks(&b, k, c);
	struct tc_replay_rank_chip rc = {1, c2};
	struct tc_replay_scale sc = TC_REPLAY_SCALE_INIT;
	sc.rank_chips = &rc;
	sc.n_rank_chips = 1;
	struct tc_replay_graph *g;
	struct tc_replay *r = run_scaled(&b, &g, &sc, NULL, 0);
	EXPECT_SPAN(r, k[1], 10, 20010);
	EXPECT_SPAN(r, k[0], 10, 10010);
	cr_expect_eq(tc_replay_op_end(r, c[0]), 20010 + 22000);
	cr_expect_eq(tc_replay_op_end(r, c[1]), 20010 + 22000);
	cr_expect_float_eq(tc_replay_layout(r)->rank_chip_factor[0], 2.0, 1e-12);
	tc_replay_free(r);
	tc_replay_graph_free(g);
	tc_chip_free(c2);
	free(slow);
}

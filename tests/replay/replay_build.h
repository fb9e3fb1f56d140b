/* replay_build.h - hand-made streams for the replay unit tests: lanes, ops, a run with
 * gpu/host scales, and the identity check (shared by replay_deps.c and replay_waits.c). */
#ifndef TC_TEST_REPLAY_BUILD_H
#define TC_TEST_REPLAY_BUILD_H

#include <criterion/criterion.h>
#include <string.h>

#include "replay.h"

#define MAXOPS 32

struct b {
	struct tc_op ops[MAXOPS];
	size_t n;
	struct tc_lane lanes[8];
	size_t n_lanes;
};

static inline uint32_t lane(struct b *b, uint32_t rank, uint32_t type)
{
	struct tc_lane *l = &b->lanes[b->n_lanes];
	memset(l, 0, sizeof(*l));
	l->id = (uint32_t)b->n_lanes;
	l->rank = rank;
	l->type = type;
	return (uint32_t)b->n_lanes++;
}

static inline uint64_t op(struct b *b, uint32_t ln, unsigned kind, unsigned sub, int64_t ts,
			  int64_t dur)
{
	struct tc_op *o = &b->ops[b->n];
	tc_op_init(o);
	o->id = b->n;
	o->lane = ln;
	o->kind = (uint8_t)kind;
	o->sub = (uint8_t)sub;
	o->ts_ns = ts;
	o->dur_ns = dur;
	o->op_class = kind == TC_KIND_KERNEL ? TC_CLASS_GEMM : TC_CLASS_HOST;
	return b->n++;
}

static inline uint64_t kernel(struct b *b, uint32_t ln, uint64_t launch, int64_t ts, int64_t dur)
{
	uint64_t id = op(b, ln, TC_KIND_KERNEL, 0, ts, dur);
	b->ops[id].link = launch;
	return id;
}

static inline uint64_t launch(struct b *b, uint32_t ln, int64_t ts, int64_t dur)
{
	return op(b, ln, TC_KIND_RUNTIME, TC_RT_LAUNCH, ts, dur);
}

/* Build the graph and run it with o (chips, scales, inference switches). */
static inline struct tc_replay *run_with(struct b *b, struct tc_replay_graph **gout,
					 const struct tc_replay_opts *o)
{
	struct tc_replay_graph *g = NULL;
	struct tc_replay *r = NULL;
	struct tc_err err = TC_ERR_INIT;
	cr_assert_eq(tc_replay_graph_new(&g, &err), 0);
	cr_assert_eq(tc_replay_graph_add(g, b->ops, b->n, &err), 0, "%s", err.msg);
	cr_assert_eq(tc_replay_graph_set_lanes(g, b->lanes, b->n_lanes, &err), 0);
	cr_assert_eq(tc_replay_graph_finish(g, NULL, &err), 0, "%s", err.msg);
	cr_assert_eq(tc_replay_run(&r, g, o, &err), 0, "%s", err.msg);
	*gout = g;
	return r;
}

static inline struct tc_replay *run(struct b *b, struct tc_replay_graph **gout, double gpu_scale,
				    double host_scale)
{
	struct tc_replay_opts o = TC_REPLAY_OPTS_INIT;
	o.gpu_scale = gpu_scale;
	o.host_scale = host_scale;
	return run_with(b, gout, &o);
}

/* identity: every simulated op comes back at its source time */
static inline void check_identity(struct b *b)
{
	struct tc_replay_graph *g;
	struct tc_replay *r = run(b, &g, 1.0, 1.0);
	for (size_t i = 0; i < b->n; i++) {
		cr_expect_eq(tc_replay_op_start(r, i), b->ops[i].ts_ns, "op %zu start", i);
		cr_expect_eq(tc_replay_op_end(r, i), b->ops[i].ts_ns + b->ops[i].dur_ns,
			     "op %zu end", i);
	}
	tc_replay_free(r);
	tc_replay_graph_free(g);
}

#define EXPECT_SPAN(r, id, s, e)                                                                   \
	do {                                                                                       \
		cr_expect_eq(tc_replay_op_start(r, id), (s), "op %d start %lld", (int)(id),        \
			     (long long)tc_replay_op_start(r, id));                                \
		cr_expect_eq(tc_replay_op_end(r, id), (e), "op %d end %lld", (int)(id),            \
			     (long long)tc_replay_op_end(r, id));                                  \
	} while (0)

#endif

/* strip.c - per-op intervals of one step on both chips, for the timeline strip. The
 * projection JSON carries no per-op times, so they come from the finished run through
 * replay.h's public accessors; names, lanes and classes from a second streaming read of the
 * opstream (replay.h does not expose them). */
#include <stdlib.h>
#include <string.h>

#include "opstream.h"
#include "replay.h"
#include "report.h"

struct collect {
	struct tc_report_timeline *t;
	struct tc_map64 lanes; /* stream lane id -> index */
	struct tc_map64 names; /* string id -> index */
	size_t cap_lanes, cap_names, cap[2];
};

static int by_dur_desc(const void *a, const void *b)
{
	const struct tc_report_span *x = a, *y = b;
	int64_t dx = x->end_ns - x->start_ns, dy = y->end_ns - y->start_ns;
	if (dx != dy)
		return dx > dy ? -1 : 1;
	if (x->lane != y->lane)
		return x->lane < y->lane ? -1 : 1;
	return x->start_ns < y->start_ns ? -1 : x->start_ns > y->start_ns;
}

static int by_lane_start(const void *a, const void *b)
{
	const struct tc_report_span *x = a, *y = b;
	if (x->lane != y->lane)
		return x->lane < y->lane ? -1 : 1;
	if (x->start_ns != y->start_ns)
		return x->start_ns < y->start_ns ? -1 : 1;
	if (x->end_ns != y->end_ns)
		return x->end_ns < y->end_ns ? -1 : 1;
	return x->name < y->name ? -1 : x->name > y->name;
}

static int intern_name(struct collect *c, const struct tc_ops_reader *rd, uint32_t sid,
		       uint32_t *out)
{
	uint64_t v;
	if (tc_map64_get(&c->names, sid, &v)) {
		*out = (uint32_t)v;
		return 0;
	}
	struct tc_report_timeline *t = c->t;
	if (tc_grow((void **)&t->names, &c->cap_names, t->n_names + 1, sizeof(*t->names)) < 0)
		return TC_ENOMEM;
	const char *s = tc_ops_reader_string(rd, sid);
	t->names[t->n_names] = tc_arena_strdup(&t->arena, s ? s : "?");
	if (!t->names[t->n_names] || tc_map64_put(&c->names, sid, t->n_names) < 0)
		return TC_ENOMEM;
	*out = (uint32_t)t->n_names++;
	return 0;
}

static int intern_lane(struct collect *c, const struct tc_lane *ln, uint32_t *out)
{
	uint64_t v;
	if (tc_map64_get(&c->lanes, ln->id, &v)) {
		*out = (uint32_t)v;
		return 0;
	}
	struct tc_report_timeline *t = c->t;
	if (tc_grow((void **)&t->lanes, &c->cap_lanes, t->n_lanes + 1, sizeof(*t->lanes)) < 0)
		return TC_ENOMEM;
	char buf[96];
	if (ln->name && ln->name[0])
		snprintf(buf, sizeof(buf), "%s", ln->name);
	else
		snprintf(buf, sizeof(buf), "stream %lld", (long long)ln->tid);
	t->lanes[t->n_lanes] = tc_arena_strdup(&t->arena, buf);
	if (!t->lanes[t->n_lanes] || tc_map64_put(&c->lanes, ln->id, t->n_lanes) < 0)
		return TC_ENOMEM;
	*out = (uint32_t)t->n_lanes++;
	return 0;
}

static int add_span(struct collect *c, int side, int64_t a, int64_t b, int64_t w0, int64_t w1,
		    const struct tc_report_span *proto)
{
	if (b <= w0 || a >= w1 || b < a)
		return 0;
	struct tc_report_strip *s = &c->t->side[side];
	if (tc_grow((void **)&s->spans, &c->cap[side], s->n_spans + 1, sizeof(*s->spans)) < 0)
		return TC_ENOMEM;
	struct tc_report_span *sp = &s->spans[s->n_spans++];
	*sp = *proto;
	sp->start_ns = TC_MAX(a, w0) - w0;
	sp->end_ns = TC_MIN(b, w1) - w0;
	return 0;
}

/* Keep the longest max spans (the ones that can be seen), then order for drawing. */
static void finish_side(struct tc_report_strip *s, size_t max)
{
	if (s->n_spans > max) {
		qsort(s->spans, s->n_spans, sizeof(*s->spans), by_dur_desc);
		s->n_spans = max;
	}
	if (s->n_spans)
		qsort(s->spans, s->n_spans, sizeof(*s->spans), by_lane_start);
}

int tc_report_timeline_collect(struct tc_report_timeline **out, const char *tcs_path,
			       const struct tc_replay *r, size_t step_index, size_t max_spans,
			       struct tc_err *err)
{
	*out = NULL;
	const struct tc_replay_step *steps;
	size_t n_steps = tc_replay_steps(r, &steps);
	if (step_index >= n_steps)
		return tc_err_set(err, TC_EINVAL, "timeline: step %zu of %zu does not exist",
				  step_index, n_steps);
	const struct tc_replay_step *st = &steps[step_index];
	struct tc_ops_reader *rd = NULL;
	int rc = tc_ops_reader_open(&rd, tcs_path, err);
	if (rc < 0)
		return rc;
	struct collect c;
	memset(&c, 0, sizeof(c));
	struct tc_report_timeline *t = tc_xcalloc(1, sizeof(*t));
	c.t = t;
	tc_arena_init(&t->arena, 0);
	t->rank = st->rank;
	t->step_name = tc_arena_strdup(&t->arena, st->name ? st->name : "step");
	int64_t w0[2] = {st->src_start, st->proj_start};
	int64_t w1[2] = {st->src_start + st->src_ns, st->proj_start + st->proj_ns};
	t->side[0].span_ns = st->src_ns;
	t->side[1].span_ns = st->proj_ns;
	const struct tc_op *ops;
	size_t n;
	while ((rc = tc_ops_reader_next(rd, &ops, &n, err)) > 0) {
		for (size_t i = 0; i < n; i++) {
			const struct tc_op *op = &ops[i];
			if (op->kind != TC_KIND_KERNEL && op->kind != TC_KIND_MEMCPY &&
			    op->kind != TC_KIND_MEMSET && op->kind != TC_KIND_NODE)
				continue;
			const struct tc_lane *ln = tc_ops_reader_lane(rd, op->lane);
			if (!ln || ln->rank != st->rank)
				continue;
			int64_t ps = tc_replay_op_start(r, op->id),
				pe = tc_replay_op_end(r, op->id);
			/* the run's source timeline: the file's, or for a model with no measured
			 * time the model on the source chip (replay/srcmodel.c) */
			int64_t ss, se;
			int has_src = tc_replay_op_source(r, op->id, &ss, &se);
			int in_src = has_src && ss < w1[0] && se > w0[0];
			int in_prj = ps != INT64_MIN && ps < w1[1] && pe > w0[1];
			if (!in_src && !in_prj)
				continue;
			struct tc_report_span proto;
			memset(&proto, 0, sizeof(proto));
			proto.cls = op->op_class;
			proto.bound = TC_BOUND__COUNT; /* the source bound is not exported */
			if ((rc = intern_lane(&c, ln, &proto.lane)) < 0 ||
			    (rc = intern_name(&c, rd, op->name, &proto.name)) < 0)
				goto oom;
			if (in_src && (rc = add_span(&c, 0, ss, se, w0[0], w1[0], &proto)) < 0)
				goto oom;
			proto.bound = (uint8_t)tc_replay_op_bound(r, op->id);
			if (in_prj && (rc = add_span(&c, 1, ps, pe, w0[1], w1[1], &proto)) < 0)
				goto oom;
		}
	}
	if (rc < 0)
		goto fail;
	for (int s = 0; s < 2; s++)
		finish_side(&t->side[s], max_spans ? max_spans : 20000);
	tc_map64_free(&c.lanes);
	tc_map64_free(&c.names);
	tc_ops_reader_free(rd);
	*out = t;
	return 0;
oom:
	rc = tc_err_set(err, TC_ENOMEM, "timeline: out of memory");
fail:
	tc_map64_free(&c.lanes);
	tc_map64_free(&c.names);
	tc_ops_reader_free(rd);
	tc_report_timeline_free(t);
	return rc;
}

void tc_report_timeline_free(struct tc_report_timeline *t)
{
	if (!t)
		return;
	free(t->lanes);
	free(t->names);
	free(t->side[0].spans);
	free(t->side[1].spans);
	tc_arena_free(&t->arena);
	free(t);
}

/* diffmatch.c - kernels of two traces from different vendors matched through the operator
 * that launched them (issue 18).
 *
 * An H100 and an MI300X run the same model with different kernel names (cutlass / sm90_xmma
 * against Cijk_* and attn_fwd), so a join by name matches nothing. What the two runs share
 * is the framework: the same aten operators with the same input shapes, called in the same
 * order. Each kernel is keyed by its launching operator instance: the outermost aten op
 * above its launch call, with that op's input shapes and its occurrence among calls of the
 * same op and shapes (call order). Within one operator instance the kernels of each class
 * pair up in launch order. Pairs are summed per (kernel A, kernel B) name pair; what pairs
 * with nothing is "gone" (A) or "new" (B), as in the join by name.
 *
 * The match is used when the join by name pairs less than half of either side's kernel time
 * (docs/report.md, diff): the same vendor keeps the join by name. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "rpt_internal.h"
#include "opstream.h"

/* ---- while reading a trace: each op's outermost aten op ----------------------------------- */

void rpt_optrack_free(struct rpt_optrack *t)
{
	tc_map64_free(&t->outer);
	tc_map64_free(&t->inst);
	tc_map64_free(&t->seen);
	free(t->keys);
	memset(t, 0, sizeof(*t));
}

static int is_aten(const char *name)
{
	return name && strncmp(name, "aten::", 6) == 0;
}

/* op name + input shapes, written into buf */
static void op_key(char *buf, size_t n, const char *name, const struct tc_op *op)
{
	size_t w = (size_t)snprintf(buf, n, "%s", name);
	for (uint32_t s = 0; s < op->n_shapes && w < n; s++) {
		const struct tc_shape *sh = &op->shapes[s];
		w += (size_t)snprintf(buf + w, n - w, "%s[", s ? "," : "|");
		for (uint32_t d = 0; d < sh->rank && w < n; d++)
			w += (size_t)snprintf(buf + w, n - w, "%s%" PRId64, d ? "," : "",
					      sh->dims[d]);
		if (w < n)
			w += (size_t)snprintf(buf + w, n - w, "]");
	}
}

int rpt_optrack_add(struct rpt_optrack *t, struct tc_arena *arena, const struct tc_op *op,
		    const char *name)
{
	uint64_t up = TC_NONE, v;
	if (op->kind == TC_KIND_CPU_OP || op->kind == TC_KIND_RUNTIME) {
		if (op->parent != TC_NONE && tc_map64_get(&t->outer, op->parent, &v))
			up = v;
		if (up == TC_NONE && op->kind == TC_KIND_CPU_OP && is_aten(name)) {
			/* a new operator instance: its key and its occurrence in call order */
			char buf[1024], full[1100];
			op_key(buf, sizeof(buf), name, op);
			/* keyed by a 64-bit hash of the text: two keys that collide would only
			 * share an occurrence count */
			uint64_t h = tc_hash64(buf, strlen(buf), 0), nth = 0;
			if (tc_map64_get(&t->seen, h, &nth))
				nth++;
			if (tc_map64_put(&t->seen, h, nth) < 0)
				return TC_ENOMEM;
			snprintf(full, sizeof(full), "%s#%" PRIu64, buf, nth);
			if (tc_grow((void **)&t->keys, &t->cap_keys, t->n_keys + 1,
				    sizeof(*t->keys)) < 0)
				return TC_ENOMEM;
			t->keys[t->n_keys] = tc_arena_strdup(arena, full);
			if (!t->keys[t->n_keys] || tc_map64_put(&t->inst, op->id, t->n_keys) < 0)
				return TC_ENOMEM;
			t->n_keys++;
			up = op->id;
		}
		if (up != TC_NONE && tc_map64_put(&t->outer, op->id, up) < 0)
			return TC_ENOMEM;
	}
	return 0;
}

const char *rpt_optrack_key(const struct rpt_optrack *t, const struct tc_op *kernel)
{
	uint64_t up, k;
	if (kernel->link == TC_NONE || !tc_map64_get(&t->outer, kernel->link, &up) ||
	    !tc_map64_get(&t->inst, up, &k))
		return NULL;
	return t->keys[k];
}

/* ---- matching ------------------------------------------------------------------------------ */

static int inst_cmp(const void *x, const void *y)
{
	const struct tc_report_kinst *const *a = x, *const *b = y;
	int c = strcmp((*a)->op, (*b)->op);
	if (c)
		return c;
	c = strcmp((*a)->cls, (*b)->cls);
	return c ? c : ((*a)->seq > (*b)->seq) - ((*a)->seq < (*b)->seq);
}

/* Instances that have an operator key, sorted by (operator, class, launch order). */
static const struct tc_report_kinst **sorted(const struct tc_report_profile *p, size_t *n)
{
	const struct tc_report_kinst **s = malloc((p->n_inst + 1) * sizeof(*s));
	*n = 0;
	if (!s)
		return NULL;
	for (size_t i = 0; i < p->n_inst; i++)
		if (p->inst[i].op)
			s[(*n)++] = &p->inst[i];
	qsort(s, *n, sizeof(*s), inst_cmp);
	return s;
}

struct pair {
	const char *a, *b, *cls; /* names (NULL: none on that side) */
	double a_ns, b_ns, a_n, b_n;
};

static int pair_cmp(const void *x, const void *y)
{
	const struct pair *a = x, *b = y;
	int c = strcmp(a->a ? a->a : "", b->a ? b->a : "");
	return c ? c : strcmp(a->b ? a->b : "", b->b ? b->b : "");
}

static int add(struct pair **v, size_t *n, size_t *cap, const struct tc_report_kinst *x,
	       const struct tc_report_kinst *y)
{
	if (tc_grow((void **)v, cap, *n + 1, sizeof(**v)) < 0)
		return TC_ENOMEM;
	(*v)[(*n)++] = (struct pair){x ? x->name : NULL, y ? y->name : NULL, x ? x->cls : y->cls,
				     x ? x->ns : 0,	 y ? y->ns : 0,	     x != NULL,
				     y != NULL};
	return 0;
}

int rpt_diff_match_ops(const struct tc_report_profile *a, double da,
		       const struct tc_report_profile *b, double db,
		       struct tc_report_diff_row **out, size_t *n_out)
{
	size_t na, nb, n = 0, cap = 0;
	const struct tc_report_kinst **sa = sorted(a, &na), **sb = sorted(b, &nb);
	struct pair *v = NULL;
	int rc = sa && sb ? 0 : TC_ENOMEM;
	size_t i = 0, j = 0, la = 0, lb = 0;
	/* merge on (operator, class); within a run of equal keys, pair in launch order. What is
	 * left (sa[0..la), sb[0..lb), kept in order) pairs next within its operator whatever its
	 * class: one vendor's convolution may be another's GEMM kernel */
	while (rc == 0 && (i < na || j < nb)) {
		int c = i == na ? 1 : j == nb ? -1 : strcmp(sa[i]->op, sb[j]->op);
		if (c == 0)
			c = strcmp(sa[i]->cls, sb[j]->cls);
		if (c == 0)
			rc = add(&v, &n, &cap, sa[i], sb[j]);
		else if (c < 0)
			sa[la++] = sa[i];
		else
			sb[lb++] = sb[j];
		i += c <= 0;
		j += c >= 0;
	}
	for (i = j = 0; rc == 0 && (i < la || j < lb);) {
		int c = i == la ? 1 : j == lb ? -1 : strcmp(sa[i]->op, sb[j]->op);
		rc = add(&v, &n, &cap, c <= 0 ? sa[i] : NULL, c >= 0 ? sb[j] : NULL);
		i += c <= 0;
		j += c >= 0;
	}
	/* kernels with no launching operator (graph replays, GPU-only captures) stay unmatched */
	for (size_t k = 0; rc == 0 && k < a->n_inst; k++)
		if (!a->inst[k].op)
			rc = add(&v, &n, &cap, &a->inst[k], NULL);
	for (size_t k = 0; rc == 0 && k < b->n_inst; k++)
		if (!b->inst[k].op)
			rc = add(&v, &n, &cap, NULL, &b->inst[k]);
	free(sa);
	free(sb);
	struct tc_report_diff_row *rows = rc == 0 ? malloc((n + 1) * sizeof(*rows)) : NULL;
	if (!rows) {
		free(v);
		return TC_ENOMEM;
	}
	/* one row per (A name, B name) */
	qsort(v, n, sizeof(*v), pair_cmp);
	size_t m = 0;
	for (size_t k = 0; k < n; k++) {
		if (m && pair_cmp(&v[k], &v[k - 1]) == 0) {
			struct tc_report_diff_row *r = &rows[m - 1];
			r->a_ns += v[k].a_ns / da;
			r->b_ns += v[k].b_ns / db;
			r->a_count += v[k].a_n / da;
			r->b_count += v[k].b_n / db;
			continue;
		}
		struct tc_report_diff_row *r = &rows[m++];
		r->key = v[k].a ? v[k].a : v[k].b;
		r->b_key = v[k].a && v[k].b && strcmp(v[k].a, v[k].b) ? v[k].b : NULL;
		r->cls = v[k].cls;
		r->a_ns = v[k].a_ns / da;
		r->b_ns = v[k].b_ns / db;
		r->a_count = v[k].a_n / da;
		r->b_count = v[k].b_n / db;
	}
	free(v);
	*out = rows;
	*n_out = m;
	return 0;
}

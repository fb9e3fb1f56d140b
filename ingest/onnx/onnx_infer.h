/* onnx_infer.h - private to ingest/onnx/: what the shape-inference files share: accessors,
 * shape and value helpers, broadcasting, and the handlers that live outside onnx_infer.c
 * (onnx_infer_data.c: data movement and shape-producing ops; onnx_infer_fused.c: recurrent,
 * attention, Einsum and the rest). Conventions in onnx_infer.c and docs/onnx.md. */
#ifndef TC_ONNX_INFER_H
#define TC_ONNX_INFER_H

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "onnx_int.h"

#define IN(k) in_t(g, n, (k))
#define OUT(k) out_t(g, n, (k))

static inline struct ox_tensor *in_t(struct tc_onnx_graph *g, const struct ox_node *n, uint32_t k)
{
	return k < n->nin && n->in[k] != OX_NONE ? &g->t[n->in[k]] : NULL;
}

static inline struct ox_tensor *out_t(struct tc_onnx_graph *g, const struct ox_node *n, uint32_t k)
{
	return k < n->nout && n->out[k] != OX_NONE ? &g->t[n->out[k]] : NULL;
}

static inline void copy_shape(struct ox_tensor *dst, const struct ox_tensor *src)
{
	if (!dst || !src)
		return;
	dst->rank = src->rank;
	memcpy(dst->dims, src->dims, sizeof(dst->dims));
	if (!dst->elem)
		dst->elem = src->elem;
}

static inline void set_rank(struct ox_tensor *t, int r)
{
	if (!t)
		return;
	t->rank = r >= 0 && r <= OX_MAXR ? r : -1;
	for (int i = 0; i < OX_MAXR; i++)
		t->dims[i] = -1;
}

/* Product of two dims, -1 when either is unknown or the product passes 2^62. */
static inline int64_t dmul(int64_t a, int64_t b)
{
	if (a < 0 || b < 0)
		return -1;
	if (a != 0 && b > (INT64_C(1) << 62) / a)
		return -1;
	return a * b;
}

/* A size computed from floating values: unknown unless finite and at most OX_DIM_MAX. */
static inline int64_t dim_of_double(double v)
{
	return v >= 0 && v <= (double)OX_DIM_MAX ? (int64_t)v : -1;
}

static inline int64_t numel(const struct ox_tensor *t)
{
	return t ? ox_numel(t) : -1;
}

static inline int64_t norm_axis(int64_t axis, int rank)
{
	return axis < 0 ? axis + rank : axis;
}

/* ---- values of small integer tensors (shape computations) ----------------------------- */

static inline int has_vals(const struct ox_tensor *t)
{
	return t && t->nvals > 0 && (t->iv || t->fv);
}

static inline int64_t ival(const struct ox_tensor *t, uint32_t i)
{
	if (t->nvals == 1)
		i = 0;
	if (i >= t->nvals)
		return 0;
	/* clamped to +-OX_DIM_MAX so that size arithmetic cannot overflow; INT64_MAX as a
	 * Slice end still means "to the end" */
	double d = t->iv ? (double)t->iv[i] : t->fv[i];
	if (t->iv)
		return TC_MAX(TC_MIN(t->iv[i], OX_DIM_MAX), -OX_DIM_MAX);
	if (d != d)
		return 0; /* NaN */
	return d > (double)OX_DIM_MAX	 ? OX_DIM_MAX
	       : d < -(double)OX_DIM_MAX ? -OX_DIM_MAX
					 : (int64_t)d;
}

static inline double fval(const struct ox_tensor *t, uint32_t i)
{
	if (t->nvals == 1)
		i = 0;
	if (i >= t->nvals)
		return 0;
	return t->iv ? (double)t->iv[i] : t->fv[i];
}

static inline int set_ivals(struct tc_onnx_graph *g, struct ox_tensor *t, const int64_t *v,
			    size_t cnt)
{
	if (!t || cnt > OX_MAXVALS)
		return 0;
	int64_t *p = tc_arena_alloc(&g->arena, (cnt ? cnt : 1) * sizeof(int64_t));
	if (!p)
		return TC_ENOMEM;
	if (cnt)
		memcpy(p, v, cnt * sizeof(int64_t));
	t->iv = p;
	t->fv = NULL;
	t->nvals = (uint32_t)cnt;
	return 0;
}

static inline int set_fvals(struct tc_onnx_graph *g, struct ox_tensor *t, const double *v,
			    size_t cnt)
{
	if (!t || cnt > OX_MAXVALS)
		return 0;
	double *p = tc_arena_alloc(&g->arena, (cnt ? cnt : 1) * sizeof(double));
	if (!p)
		return TC_ENOMEM;
	if (cnt)
		memcpy(p, v, cnt * sizeof(double));
	t->fv = p;
	t->iv = NULL;
	t->nvals = (uint32_t)cnt;
	return 0;
}

/* Values of a tensor as a list of int64 (axes, pads, shapes...). */
static inline int ints_of(const struct ox_tensor *t, int64_t *v, size_t max, size_t *cnt)
{
	if (!has_vals(t) || t->nvals > max)
		return 0;
	if (ox_numel(t) >= 0 && ox_numel(t) != (int64_t)t->nvals)
		return 0;
	for (uint32_t i = 0; i < t->nvals; i++)
		v[i] = ival(t, i);
	*cnt = t->nvals;
	return 1;
}

/* ---- broadcasting ---------------------------------------------------------------------- */

static inline int bcast2(struct ox_tensor *out, const struct ox_tensor *a,
			 const struct ox_tensor *b)
{
	if (a->rank < 0 || b->rank < 0)
		return 0;
	int r = TC_MAX(a->rank, b->rank);
	int64_t d[OX_MAXR];
	for (int i = 0; i < r; i++) {
		int ia = i - (r - a->rank), ib = i - (r - b->rank);
		int64_t da = ia >= 0 ? a->dims[ia] : 1, db = ib >= 0 ? b->dims[ib] : 1;
		if (da == 1)
			d[i] = db;
		else if (db == 1)
			d[i] = da;
		else if (da == db)
			d[i] = da;
		else if (da < 0 || db < 0)
			d[i] = da < 0 ? db : da;
		else
			return 0; /* incompatible: leave unknown */
	}
	out->rank = r;
	memcpy(out->dims, d, sizeof(int64_t) * (size_t)r);
	return 1;
}

/* Broadcast of all present inputs from index first. */
static inline int bcast_all(struct tc_onnx_graph *g, struct ox_node *n, uint32_t first,
			    struct ox_tensor *out)
{
	struct ox_tensor acc;
	memset(&acc, 0, sizeof(acc));
	acc.rank = 0;
	for (uint32_t k = first; k < n->nin; k++) {
		const struct ox_tensor *t = IN(k);
		if (!t)
			continue;
		if (!bcast2(&acc, &acc, t))
			return 0;
	}
	out->rank = acc.rank;
	memcpy(out->dims, acc.dims, sizeof(acc.dims));
	return 1;
}

int ox_do_reshape(struct tc_onnx_graph *g, struct ox_node *n);
int ox_do_flatten(struct tc_onnx_graph *g, struct ox_node *n);
int ox_do_squeeze(struct tc_onnx_graph *g, struct ox_node *n, int unsq);
int ox_do_transpose(struct tc_onnx_graph *g, struct ox_node *n);
int ox_do_concat(struct tc_onnx_graph *g, struct ox_node *n);
int ox_do_split(struct tc_onnx_graph *g, struct ox_node *n);
int ox_do_slice(struct tc_onnx_graph *g, struct ox_node *n);
int ox_do_gather(struct tc_onnx_graph *g, struct ox_node *n);
int ox_do_expand(struct tc_onnx_graph *g, struct ox_node *n);
int ox_do_tile(struct tc_onnx_graph *g, struct ox_node *n);
int ox_do_pad(struct tc_onnx_graph *g, struct ox_node *n);
int ox_do_resize(struct tc_onnx_graph *g, struct ox_node *n);
int ox_do_shape(struct tc_onnx_graph *g, struct ox_node *n);
int ox_do_constant(struct tc_onnx_graph *g, struct ox_node *n);
int ox_do_constant_of_shape(struct tc_onnx_graph *g, struct ox_node *n);
int ox_do_range(struct tc_onnx_graph *g, struct ox_node *n);
int ox_do_topk(struct tc_onnx_graph *g, struct ox_node *n);
int ox_do_rnn(struct tc_onnx_graph *g, struct ox_node *n);
int ox_do_ms_attention(struct tc_onnx_graph *g, struct ox_node *n);
int ox_do_mha(struct tc_onnx_graph *g, struct ox_node *n);
int ox_do_gqa(struct tc_onnx_graph *g, struct ox_node *n);
int ox_do_embed_ln(struct tc_onnx_graph *g, struct ox_node *n);
int ox_do_einsum(struct tc_onnx_graph *g, struct ox_node *n);
int ox_do_identity(struct tc_onnx_graph *g, struct ox_node *n);
int ox_do_nonzero(struct tc_onnx_graph *g, struct ox_node *n);
int ox_do_scatter(struct tc_onnx_graph *g, struct ox_node *n);
int ox_do_dql(struct tc_onnx_graph *g, struct ox_node *n);

#endif

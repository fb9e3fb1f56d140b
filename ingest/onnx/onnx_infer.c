/* onnx_infer.c - per-operator shape inference and work (FLOPs, bytes) for ONNX nodes.
 *
 * Each handler fills the shapes, element types and (for small integer tensors) the values of
 * the node's outputs, sets n->flops, and returns 1 when the work is known, 0 when a needed
 * shape is unknown. Bytes are computed once for all operators from the inputs and outputs.
 * Conventions (docs/onnx.md): one multiply-add = 2 FLOPs; transcendental functions count a
 * fixed small number of FLOPs per element; views (Reshape, Identity, ...) move no bytes. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "onnx_int.h"

#define IN(k) in_t(g, n, (k))
#define OUT(k) out_t(g, n, (k))

static struct ox_tensor *in_t(struct tc_onnx_graph *g, const struct ox_node *n, uint32_t k)
{
	return k < n->nin && n->in[k] != OX_NONE ? &g->t[n->in[k]] : NULL;
}

static struct ox_tensor *out_t(struct tc_onnx_graph *g, const struct ox_node *n, uint32_t k)
{
	return k < n->nout && n->out[k] != OX_NONE ? &g->t[n->out[k]] : NULL;
}

static void copy_shape(struct ox_tensor *dst, const struct ox_tensor *src)
{
	if (!dst || !src)
		return;
	dst->rank = src->rank;
	memcpy(dst->dims, src->dims, sizeof(dst->dims));
	if (!dst->elem)
		dst->elem = src->elem;
}

static void set_rank(struct ox_tensor *t, int r)
{
	if (!t)
		return;
	t->rank = r >= 0 && r <= OX_MAXR ? r : -1;
	for (int i = 0; i < OX_MAXR; i++)
		t->dims[i] = -1;
}

/* Product of two dims, -1 when either is unknown or the product passes 2^62. */
static int64_t dmul(int64_t a, int64_t b)
{
	if (a < 0 || b < 0)
		return -1;
	if (a != 0 && b > (INT64_C(1) << 62) / a)
		return -1;
	return a * b;
}

/* A size computed from floating values: unknown unless finite and at most OX_DIM_MAX. */
static int64_t dim_of_double(double v)
{
	return v >= 0 && v <= (double)OX_DIM_MAX ? (int64_t)v : -1;
}

static int64_t numel(const struct ox_tensor *t)
{
	return t ? ox_numel(t) : -1;
}

static int64_t norm_axis(int64_t axis, int rank)
{
	return axis < 0 ? axis + rank : axis;
}

/* ---- values of small integer tensors (shape computations) ----------------------------- */

static int has_vals(const struct ox_tensor *t)
{
	return t && t->nvals > 0 && (t->iv || t->fv);
}

static int64_t ival(const struct ox_tensor *t, uint32_t i)
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
	return d > (double)OX_DIM_MAX ? OX_DIM_MAX : d < -(double)OX_DIM_MAX ? -OX_DIM_MAX : (int64_t)d;
}

static double fval(const struct ox_tensor *t, uint32_t i)
{
	if (t->nvals == 1)
		i = 0;
	if (i >= t->nvals)
		return 0;
	return t->iv ? (double)t->iv[i] : t->fv[i];
}

static int set_ivals(struct tc_onnx_graph *g, struct ox_tensor *t, const int64_t *v, size_t cnt)
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

static int set_fvals(struct tc_onnx_graph *g, struct ox_tensor *t, const double *v, size_t cnt)
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
static int ints_of(const struct ox_tensor *t, int64_t *v, size_t max, size_t *cnt)
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

static int bcast2(struct ox_tensor *out, const struct ox_tensor *a, const struct ox_tensor *b)
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
static int bcast_all(struct tc_onnx_graph *g, struct ox_node *n, uint32_t first, struct ox_tensor *out)
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

/* ---- elementwise ------------------------------------------------------------------------ */

struct ew_cost {
	const char *op;
	uint8_t fpe;   /* FLOPs per output element */
	uint8_t boolean;
};

/* Unary: output = input 0 shape. */
static const struct ew_cost unary_ops[] = {
	{"Relu", 1, 0}, {"LeakyRelu", 2, 0}, {"Abs", 1, 0}, {"Neg", 1, 0}, {"Clip", 2, 0},
	{"Floor", 1, 0}, {"Ceil", 1, 0}, {"Round", 1, 0}, {"Sign", 1, 0}, {"Reciprocal", 1, 0},
	{"Sqrt", 4, 0}, {"Exp", 4, 0}, {"Log", 4, 0}, {"Sigmoid", 4, 0}, {"Tanh", 4, 0},
	{"Erf", 4, 0}, {"Softplus", 4, 0}, {"Softsign", 3, 0}, {"Elu", 4, 0}, {"Selu", 5, 0},
	{"Celu", 5, 0}, {"ThresholdedRelu", 1, 0}, {"HardSigmoid", 3, 0}, {"HardSwish", 4, 0},
	{"Mish", 8, 0}, {"Sin", 4, 0}, {"Cos", 4, 0}, {"Tan", 4, 0}, {"Asin", 4, 0},
	{"Acos", 4, 0}, {"Atan", 4, 0}, {"Sinh", 4, 0}, {"Cosh", 4, 0}, {"Gelu", 8, 0},
	{"FastGelu", 8, 0}, {"QuickGelu", 5, 0}, {"Not", 1, 1}, {"IsNaN", 1, 1}, {"IsInf", 1, 1},
	{"CumSum", 1, 0}, {"Trilu", 1, 0}, {"Shrink", 2, 0}, {"Cast", 0, 0}, {"CastLike", 0, 0},
	{"QuantizeLinear", 2, 0}, {"DequantizeLinear", 2, 0}, {"RotaryEmbedding", 3, 0},
	{"BitwiseNot", 1, 0},
};

/* Broadcasting n-ary: FLOPs = fpe x output elements x (inputs - 1). */
static const struct ew_cost nary_ops[] = {
	{"Add", 1, 0}, {"Sub", 1, 0}, {"Mul", 1, 0}, {"Div", 1, 0}, {"Pow", 4, 0}, {"Mod", 1, 0},
	{"Max", 1, 0}, {"Min", 1, 0}, {"Sum", 1, 0}, {"Mean", 1, 0}, {"PRelu", 2, 0},
	{"Equal", 1, 1}, {"Less", 1, 1}, {"Greater", 1, 1}, {"LessOrEqual", 1, 1},
	{"GreaterOrEqual", 1, 1}, {"And", 1, 1}, {"Or", 1, 1}, {"Xor", 1, 1}, {"Where", 1, 0},
	{"BiasGelu", 9, 0}, {"BitShift", 1, 0}, {"BitwiseAnd", 1, 0}, {"BitwiseOr", 1, 0},
	{"BitwiseXor", 1, 0}, {"BiasAdd", 1, 0},
};

static const struct ew_cost *find_cost(const struct ew_cost *tab, size_t n, const char *op)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(tab[i].op, op) == 0)
			return &tab[i];
	return NULL;
}

/* Integer arithmetic on small value vectors, so exporter shape computations fold. */
static int fold_nary(struct tc_onnx_graph *g, struct ox_node *n, struct ox_tensor *o)
{
	const struct ox_tensor *a = IN(0), *b = IN(1);
	const char *op = n->op;
	int where = strcmp(op, "Where") == 0;
	if (!a || !b || !has_vals(a) || !has_vals(b) || n->nin > 3 || (n->nin == 3 && !where))
		return 0;
	const struct ox_tensor *c = where ? IN(2) : NULL;
	if (where && (!c || !has_vals(c)))
		return 0;
	int64_t cnt = numel(o);
	if (cnt < 0 || cnt > OX_MAXVALS || o->rank > 1)
		return 0;
	int integer = (where ? (b->iv && c->iv) : (a->iv && b->iv));
	int64_t iv[OX_MAXVALS];
	double fv[OX_MAXVALS];
	for (int64_t i = 0; i < cnt; i++) {
		uint32_t k = (uint32_t)i;
		if (where) {
			int cond = ival(a, k) != 0;
			iv[i] = cond ? ival(b, k) : ival(c, k);
			fv[i] = cond ? fval(b, k) : fval(c, k);
			continue;
		}
		int64_t x = ival(a, k), y = ival(b, k);
		double fx = fval(a, k), fy = fval(b, k);
		if (!strcmp(op, "Add")) {
			iv[i] = (int64_t)((uint64_t)x + (uint64_t)y);
			fv[i] = fx + fy;
		} else if (!strcmp(op, "Sub")) {
			iv[i] = (int64_t)((uint64_t)x - (uint64_t)y);
			fv[i] = fx - fy;
		} else if (!strcmp(op, "Mul")) {
			iv[i] = (int64_t)((uint64_t)x * (uint64_t)y);
			fv[i] = fx * fy;
		} else if (!strcmp(op, "Div")) {
			if (integer && (y == 0 || (x == INT64_MIN && y == -1)))
				return 0;
			iv[i] = integer ? x / y : 0;
			fv[i] = fy != 0 ? fx / fy : 0;
		} else if (!strcmp(op, "Equal")) {
			iv[i] = integer ? x == y : fx == fy;
			fv[i] = (double)iv[i];
		} else if (!strcmp(op, "Max")) {
			iv[i] = TC_MAX(x, y);
			fv[i] = TC_MAX(fx, fy);
		} else if (!strcmp(op, "Min")) {
			iv[i] = TC_MIN(x, y);
			fv[i] = TC_MIN(fx, fy);
		} else {
			return 0;
		}
	}
	if (!strcmp(op, "Equal"))
		return set_ivals(g, o, iv, (size_t)cnt);
	return integer ? set_ivals(g, o, iv, (size_t)cnt) : set_fvals(g, o, fv, (size_t)cnt);
}

static int do_unary(struct tc_onnx_graph *g, struct ox_node *n, const struct ew_cost *c)
{
	struct ox_tensor *x = IN(0), *o = OUT(0);
	if (!x || !o)
		return 0;
	copy_shape(o, x);
	if (c->boolean)
		o->elem = OX_BOOL;
	if (!strcmp(n->op, "Cast")) {
		o->elem = (int32_t)ox_attr_i(n, "to", x->elem);
		if (has_vals(x)) {
			int to_int = o->elem != OX_FLOAT && o->elem != OX_DOUBLE && o->elem != OX_FLOAT16;
			int64_t iv[OX_MAXVALS];
			double fv[OX_MAXVALS];
			for (uint32_t i = 0; i < x->nvals && i < OX_MAXVALS; i++) {
				iv[i] = ival(x, i);
				fv[i] = fval(x, i);
			}
			TC_TRY(to_int ? set_ivals(g, o, iv, x->nvals) : set_fvals(g, o, fv, x->nvals));
		}
	} else if (!strcmp(n->op, "CastLike") && IN(1)) {
		o->elem = IN(1)->elem;
	} else if (!strcmp(n->op, "QuantizeLinear")) {
		o->elem = IN(2) ? IN(2)->elem : OX_UINT8;
	} else if (!strcmp(n->op, "DequantizeLinear")) {
		o->elem = IN(1) ? IN(1)->elem : OX_FLOAT;
	} else if (!strcmp(n->op, "Neg") && has_vals(x) && x->iv) {
		int64_t iv[OX_MAXVALS];
		for (uint32_t i = 0; i < x->nvals && i < OX_MAXVALS; i++)
			iv[i] = (int64_t)(0 - (uint64_t)x->iv[i]);
		TC_TRY(set_ivals(g, o, iv, x->nvals));
	}
	/* FastGelu (com.microsoft) takes an optional bias: one more add per element */
	uint64_t fpe = c->fpe + (!strcmp(n->op, "FastGelu") && IN(1) ? 1 : 0);
	int64_t e = numel(o);
	if (e < 0)
		return 0;
	n->flops = (uint64_t)e * fpe;
	return 1;
}

static int do_nary(struct tc_onnx_graph *g, struct ox_node *n, const struct ew_cost *c)
{
	struct ox_tensor *o = OUT(0);
	if (!o || !IN(0))
		return 0;
	int where = !strcmp(n->op, "Where");
	const struct ox_tensor *first = where && IN(1) ? IN(1) : IN(0);
	o->elem = c->boolean ? OX_BOOL : first->elem;
	if (!bcast_all(g, n, 0, o))
		return 0;
	TC_TRY(fold_nary(g, n, o));
	int64_t e = numel(o);
	if (e < 0)
		return 0;
	uint32_t present = 0;
	for (uint32_t k = 0; k < n->nin; k++)
		present += IN(k) != NULL;
	uint64_t ops = where ? 1 : (present > 1 ? present - 1 : 1);
	n->flops = (uint64_t)e * c->fpe * ops;
	return 1;
}

/* ---- matrix products ---------------------------------------------------------------------- */

/* MatMul with numpy semantics: 1-D operands get a dim prepended/appended and removed. */
static int matmul_shapes(struct ox_tensor *o, const struct ox_tensor *a, const struct ox_tensor *b,
			 uint64_t *flops)
{
	if (a->rank < 1 || b->rank < 1)
		return 0;
	struct ox_tensor A = *a, B = *b;
	int a1 = a->rank == 1, b1 = b->rank == 1;
	if (a1) {
		A.rank = 2;
		A.dims[0] = 1;
		A.dims[1] = a->dims[0];
	}
	if (b1) {
		B.rank = 2;
		B.dims[0] = b->dims[0];
		B.dims[1] = 1;
	}
	int64_t M = A.dims[A.rank - 2], K = A.dims[A.rank - 1], N = B.dims[B.rank - 1];
	struct ox_tensor ba = A, bb = B, bo;
	ba.rank -= 2;
	bb.rank -= 2;
	memset(&bo, 0, sizeof(bo));
	if (!bcast2(&bo, &ba, &bb))
		return 0;
	int r = bo.rank;
	if (r + 2 > OX_MAXR)
		return 0;
	int64_t batch = 1;
	for (int i = 0; i < r; i++) {
		o->dims[i] = bo.dims[i];
		batch = dmul(batch, bo.dims[i]);
	}
	int k = r;
	if (!a1)
		o->dims[k++] = M;
	if (!b1)
		o->dims[k++] = N;
	o->rank = k;
	if (batch < 0 || M < 0 || K < 0 || N < 0)
		return 0;
	*flops = 2 * (uint64_t)batch * (uint64_t)M * (uint64_t)N * (uint64_t)K;
	return 1;
}

/* Record the GEMM problem of a node (all > 0), for tile/wave quantisation downstream. */
static void set_gemm(struct ox_node *n, int64_t m, int64_t nn, int64_t k, int64_t batch)
{
	if (m > 0 && nn > 0 && k > 0 && batch > 0) {
		n->gm = (uint64_t)m;
		n->gn = (uint64_t)nn;
		n->gk = (uint64_t)k;
		n->gbatch = (uint64_t)batch;
	}
}

static int do_matmul(struct tc_onnx_graph *g, struct ox_node *n)
{
	/* QLinearMatMul: a, a_scale, a_zp, b, b_scale, b_zp, y_scale, y_zp */
	int qlinear = !strcmp(n->op, "QLinearMatMul");
	struct ox_tensor *a = IN(0), *b = IN(qlinear ? 3 : 1), *o = OUT(0);
	if (!a || !b || !o)
		return 0;
	o->elem = !strcmp(n->op, "MatMulInteger") ? OX_INT32 : qlinear && IN(7) ? IN(7)->elem : a->elem;
	struct ox_tensor A = *a, B = *b;
	/* com.microsoft FusedMatMul carries transA/transB on the last two dims */
	if (ox_attr_i(n, "transA", 0) && A.rank >= 2) {
		int64_t t = A.dims[A.rank - 1];
		A.dims[A.rank - 1] = A.dims[A.rank - 2];
		A.dims[A.rank - 2] = t;
	}
	if (ox_attr_i(n, "transB", 0) && B.rank >= 2) {
		int64_t t = B.dims[B.rank - 1];
		B.dims[B.rank - 1] = B.dims[B.rank - 2];
		B.dims[B.rank - 2] = t;
	}
	n->gemm_like = 1;
	if (!matmul_shapes(o, &A, &B, &n->flops))
		return 0;
	/* problem dims for the cost model: o = batch x [M, N], contraction K */
	int64_t K = A.rank ? A.dims[A.rank - 1] : 1, N = o->rank ? o->dims[o->rank - 1] : 1;
	int64_t M = o->rank >= 2 ? o->dims[o->rank - 2] : 1, all = numel(o);
	if (K > 0 && N > 0 && M > 0 && all > 0)
		set_gemm(n, M, N, K, all / (M * N));
	return 1;
}

/* Gemm: Y = alpha op(A) op(B) + beta C, A and B 2-D. FLOPs 2MNK, plus MN for adding C. */
static int do_gemm(struct tc_onnx_graph *g, struct ox_node *n)
{
	struct ox_tensor *a = IN(0), *b = IN(1), *c = IN(2), *o = OUT(0);
	if (!a || !b || !o)
		return 0;
	o->elem = a->elem;
	n->gemm_like = 1;
	if (a->rank != 2 || b->rank != 2)
		return 0;
	int ta = ox_attr_i(n, "transA", 0) != 0, tb = ox_attr_i(n, "transB", 0) != 0;
	int64_t M = ta ? a->dims[1] : a->dims[0], K = ta ? a->dims[0] : a->dims[1];
	int64_t N = tb ? b->dims[0] : b->dims[1];
	o->rank = 2;
	o->dims[0] = M;
	o->dims[1] = N;
	if (M < 0 || N < 0 || K < 0)
		return 0;
	n->flops = 2 * (uint64_t)M * (uint64_t)N * (uint64_t)K + (c ? (uint64_t)M * (uint64_t)N : 0);
	set_gemm(n, M, N, K, 1);
	return 1;
}

/* MatMulNBits (com.microsoft): A [..., K] x dequantised B [N, K] stored packed. */
static int do_matmul_nbits(struct tc_onnx_graph *g, struct ox_node *n)
{
	struct ox_tensor *a = IN(0), *o = OUT(0);
	int64_t K = ox_attr_i(n, "K", -1), N = ox_attr_i(n, "N", -1);
	if (!a || !o || a->rank < 1 || K <= 0 || N <= 0)
		return 0;
	copy_shape(o, a);
	o->dims[o->rank - 1] = N;
	n->gemm_like = 1;
	int64_t m = numel(a);
	if (m < 0)
		return 0;
	n->flops = 2 * (uint64_t)(m / K) * (uint64_t)N * (uint64_t)K;
	return 1;
}

/* ---- convolution and pooling ------------------------------------------------------------ */

/* Output spatial size of a window op along one axis (ONNX Conv/Pool formula, auto_pad too). */
static int64_t window_out(int64_t in, int64_t k, int64_t s, int64_t d, int64_t pb, int64_t pe,
			  const char *auto_pad, int ceil_mode)
{
	if (in < 0 || k < 0)
		return -1;
	if (s <= 0)
		s = 1;
	if (d <= 0)
		d = 1;
	int64_t ek = d * (k - 1) + 1;
	if (auto_pad && (!strcmp(auto_pad, "SAME_UPPER") || !strcmp(auto_pad, "SAME_LOWER")))
		return (in + s - 1) / s;
	if (auto_pad && !strcmp(auto_pad, "VALID"))
		return in < ek ? 0 : (in - ek) / s + 1;
	int64_t span = in + pb + pe - ek;
	if (span < 0)
		return 0;
	int64_t out = (ceil_mode ? (span + s - 1) / s : span / s) + 1;
	/* the last window must start inside the input or left padding */
	if (ceil_mode && (out - 1) * s >= in + pb)
		out--;
	return out;
}

/* Fill spatial output dims of o from x (N, C, spatial...), returns prod(out spatial), and
 * kernel product in *kprod. */
static int window_shape(struct tc_onnx_graph *g, struct ox_node *n, const struct ox_tensor *x,
			const int64_t *kernel, size_t nk, struct ox_tensor *o, int64_t *out_sp)
{
	int sp = x->rank - 2;
	if (sp < 1 || (size_t)sp != nk)
		return 0;
	size_t ns, nd, np;
	const int64_t *strides = ox_attr_ints(n, "strides", &ns);
	const int64_t *dil = ox_attr_ints(n, "dilations", &nd);
	const int64_t *pads = ox_attr_ints(n, "pads", &np);
	const char *auto_pad = ox_attr_s(g, n, "auto_pad", "NOTSET");
	int ceil_mode = ox_attr_i(n, "ceil_mode", 0) != 0;
	int64_t prod = 1;
	for (int i = 0; i < sp; i++) {
		int64_t s = ns == (size_t)sp ? strides[i] : 1;
		int64_t d = nd == (size_t)sp ? dil[i] : 1;
		int64_t pb = np == 2 * (size_t)sp ? pads[i] : 0, pe = np == 2 * (size_t)sp ? pads[i + sp] : 0;
		int64_t v = window_out(x->dims[i + 2], kernel[i], s, d, pb, pe, auto_pad, ceil_mode);
		o->dims[i + 2] = v;
		prod = dmul(prod, v);
	}
	o->rank = x->rank;
	*out_sp = prod;
	return 1;
}

/* Conv: FLOPs = 2 x N x Cout x prod(out spatial) x (Cin / group) x prod(kernel), plus one add
 * per output element for the bias. QLinearConv: x, x_scale, x_zp, w, w_scale, w_zp, y_scale,
 * y_zp, B. */
static int do_conv(struct tc_onnx_graph *g, struct ox_node *n)
{
	int qlinear = !strcmp(n->op, "QLinearConv");
	struct ox_tensor *x = IN(0), *w = IN(qlinear ? 3 : 1), *bias = IN(qlinear ? 8 : 2), *o = OUT(0);
	if (!x || !w || !o)
		return 0;
	o->elem = !strcmp(n->op, "ConvInteger") ? OX_INT32 : qlinear && IN(7) ? IN(7)->elem : x->elem;
	n->gemm_like = 1;
	if (x->rank < 3 || w->rank != x->rank)
		return 0;
	size_t nk;
	const int64_t *ks = ox_attr_ints(n, "kernel_shape", &nk);
	int64_t kern[OX_MAXR] = {0};
	int sp = x->rank - 2;
	for (int i = 0; i < sp; i++)
		kern[i] = nk == (size_t)sp ? ks[i] : w->dims[i + 2];
	int64_t group = ox_attr_i(n, "group", 1), out_sp;
	if (group < 1)
		group = 1;
	if (!window_shape(g, n, x, kern, (size_t)sp, o, &out_sp))
		return 0;
	o->dims[0] = x->dims[0];
	o->dims[1] = w->dims[0];
	int64_t kprod = 1;
	for (int i = 0; i < sp; i++)
		kprod = dmul(kprod, kern[i]);
	int64_t N = x->dims[0], cout = w->dims[0], cin_g = w->dims[1];
	if (N < 0 || cout < 0 || cin_g < 0 || kprod < 0 || out_sp < 0)
		return 0;
	uint64_t outs = (uint64_t)N * (uint64_t)cout * (uint64_t)out_sp;
	n->flops = 2 * outs * (uint64_t)cin_g * (uint64_t)kprod + (bias ? outs : 0);
	/* implicit GEMM per group: (N * out_spatial) x (cout / group), contraction cin_g * kernel */
	set_gemm(n, N * out_sp, cout / group, cin_g * kprod, group);
	return 1;
}

/* ConvTranspose: each input element scatters Cout/group x prod(kernel) MACs.
 * out = stride (in - 1) + output_padding + ((k - 1) dilation + 1) - pads, or output_shape. */
static int do_convtranspose(struct tc_onnx_graph *g, struct ox_node *n)
{
	struct ox_tensor *x = IN(0), *w = IN(1), *bias = IN(2), *o = OUT(0);
	if (!x || !w || !o)
		return 0;
	o->elem = x->elem;
	n->gemm_like = 1;
	if (x->rank < 3 || w->rank != x->rank)
		return 0;
	int sp = x->rank - 2;
	size_t nk, ns, nd, np, nop, nos;
	const int64_t *ks = ox_attr_ints(n, "kernel_shape", &nk);
	const int64_t *st = ox_attr_ints(n, "strides", &ns);
	const int64_t *dl = ox_attr_ints(n, "dilations", &nd);
	const int64_t *pd = ox_attr_ints(n, "pads", &np);
	const int64_t *op = ox_attr_ints(n, "output_padding", &nop);
	const int64_t *os = ox_attr_ints(n, "output_shape", &nos);
	int64_t group = ox_attr_i(n, "group", 1);
	if (group < 1)
		group = 1;
	o->rank = x->rank;
	o->dims[0] = x->dims[0];
	o->dims[1] = dmul(w->dims[1], group);
	int64_t kprod = 1, in_sp = 1;
	for (int i = 0; i < sp; i++) {
		int64_t k = nk == (size_t)sp ? ks[i] : w->dims[i + 2];
		int64_t s = ns == (size_t)sp ? st[i] : 1, d = nd == (size_t)sp ? dl[i] : 1;
		int64_t in = x->dims[i + 2];
		if (nos == (size_t)sp)
			o->dims[i + 2] = os[i];
		else if (nos == (size_t)x->rank)
			o->dims[i + 2] = os[i + 2];
		else if (in < 0 || k < 0)
			o->dims[i + 2] = -1;
		else
			o->dims[i + 2] = s * (in - 1) + (nop == (size_t)sp ? op[i] : 0) + (k - 1) * d + 1 -
					 (np == 2 * (size_t)sp ? pd[i] + pd[i + sp] : 0);
		kprod = dmul(kprod, k);
		in_sp = dmul(in_sp, in);
	}
	int64_t N = x->dims[0], cin = x->dims[1], cout_g = w->dims[1];
	int64_t outs = numel(o);
	if (N < 0 || cin < 0 || cout_g < 0 || kprod < 0 || in_sp < 0 || outs < 0)
		return 0;
	n->flops = 2 * (uint64_t)N * (uint64_t)cin * (uint64_t)in_sp * (uint64_t)cout_g * (uint64_t)kprod +
		   (bias ? (uint64_t)outs : 0);
	return 1;
}

/* Pooling: one FLOP (compare or add) per window element per output element. */
static int do_pool(struct tc_onnx_graph *g, struct ox_node *n)
{
	struct ox_tensor *x = IN(0), *o = OUT(0);
	if (!x || !o)
		return 0;
	o->elem = x->elem;
	if (x->rank < 3)
		return 0;
	size_t nk;
	const int64_t *ks = ox_attr_ints(n, "kernel_shape", &nk);
	int64_t out_sp;
	if (!ks || !window_shape(g, n, x, ks, nk, o, &out_sp))
		return 0;
	o->dims[0] = x->dims[0];
	o->dims[1] = x->dims[1];
	struct ox_tensor *idx = OUT(1);
	if (idx) { /* MaxPool indices */
		copy_shape(idx, o);
		idx->elem = OX_INT64;
	}
	int64_t kprod = 1;
	for (size_t i = 0; i < nk; i++)
		kprod = dmul(kprod, ks[i]);
	int64_t e = numel(o);
	if (e < 0 || kprod < 0)
		return 0;
	n->flops = (uint64_t)e * (uint64_t)kprod;
	return 1;
}

static int do_global_pool(struct tc_onnx_graph *g, struct ox_node *n)
{
	struct ox_tensor *x = IN(0), *o = OUT(0);
	if (!x || !o || x->rank < 2)
		return 0;
	copy_shape(o, x);
	for (int i = 2; i < x->rank; i++)
		o->dims[i] = 1;
	int64_t e = numel(x);
	if (e < 0)
		return 0;
	n->flops = (uint64_t)e;
	return 1;
}

/* ---- normalisation and softmax ------------------------------------------------------------ */

/* FLOPs per element: BatchNorm at inference 2 (scale and shift folded); LayerNorm 7 (mean,
 * subtract, square-accumulate 2, normalise, scale, shift); RMS norm 4; LRN 2 x size + 4;
 * Softmax 5 (max, subtract, exp, sum, divide). */
static int do_norm(struct tc_onnx_graph *g, struct ox_node *n, uint64_t fpe)
{
	struct ox_tensor *x = IN(0), *o = OUT(0);
	if (!x || !o)
		return 0;
	copy_shape(o, x);
	int skip = !strncmp(n->op, "Skip", 4);
	if (!strcmp(n->op, "BatchNormalization")) {
		for (uint32_t k = 1; k < n->nout && k < 5; k++)
			if (OUT(k) && IN(1))
				copy_shape(OUT(k), IN(1));
	} else if (!strcmp(n->op, "LRN")) {
		fpe = 2 * (uint64_t)TC_MAX(ox_attr_i(n, "size", 1), 1) + 4;
	} else if (x->rank >= 1) {
		/* LayerNormalization mean / inv_std: the normalised axes become 1 */
		int64_t axis = norm_axis(ox_attr_i(n, "axis", -1), x->rank);
		for (uint32_t k = 1; k < n->nout && k < 3; k++) {
			struct ox_tensor *s = OUT(k);
			if (!s)
				continue;
			copy_shape(s, x);
			s->elem = OX_FLOAT;
			for (int i = skip ? x->rank - 1 : (int)axis; i >= 0 && i < x->rank; i++)
				s->dims[i] = 1;
		}
		if (skip && OUT(3))
			copy_shape(OUT(3), x);
	}
	if (skip) /* SkipLayerNormalization: + skip, + optional bias */
		fpe += 1 + (IN(4) ? 1 : 0);
	int64_t e = numel(x);
	if (e < 0)
		return 0;
	n->flops = (uint64_t)e * fpe;
	return 1;
}

/* ---- reductions --------------------------------------------------------------------------- */

static int do_reduce(struct tc_onnx_graph *g, struct ox_node *n)
{
	struct ox_tensor *x = IN(0), *o = OUT(0);
	if (!x || !o)
		return 0;
	int arg = !strncmp(n->op, "Arg", 3);
	o->elem = arg ? OX_INT64 : x->elem;
	if (x->rank < 0)
		return 0;
	int64_t axes[OX_MAXR];
	size_t na = 0;
	int keep = ox_attr_i(n, "keepdims", 1) != 0;
	/* axes moved from attribute to input: ReduceSum at opset 13, the others at 18 */
	int from_input = !strcmp(n->op, "ReduceSum") ? n->opset >= 13 : n->opset >= 18;
	if (arg) {
		axes[0] = ox_attr_i(n, "axis", 0);
		na = 1;
	} else if (from_input && IN(1)) {
		if (!ints_of(IN(1), axes, OX_MAXR, &na))
			return 0;
	} else if (!from_input) {
		size_t cnt;
		const int64_t *a = ox_attr_ints(n, "axes", &cnt);
		if (cnt > OX_MAXR)
			return 0;
		for (size_t i = 0; i < cnt; i++)
			axes[i] = a[i];
		na = cnt;
	}
	int red[OX_MAXR] = {0};
	int noop = !arg && na == 0 && ox_attr_i(n, "noop_with_empty_axes", 0);
	for (int i = 0; i < x->rank; i++)
		red[i] = na == 0 && !noop;
	for (size_t i = 0; i < na; i++) {
		int64_t a = norm_axis(axes[i], x->rank);
		if (a < 0 || a >= x->rank)
			return 0;
		red[a] = 1;
	}
	int r = 0;
	for (int i = 0; i < x->rank; i++) {
		if (!red[i])
			o->dims[r++] = x->dims[i];
		else if (keep)
			o->dims[r++] = 1;
	}
	o->rank = r;
	/* ReduceProd of a known shape vector (exporters compute numel this way) */
	if (!strcmp(n->op, "ReduceProd") && has_vals(x) && x->iv && x->rank == 1 && r <= 1) {
		int64_t p = 1;
		for (uint32_t i = 0; i < x->nvals; i++)
			p = dmul(p, ival(x, i));
		TC_TRY(set_ivals(g, o, &p, 1));
	}
	int64_t e = numel(x);
	if (e < 0)
		return 0;
	int two = !strcmp(n->op, "ReduceSumSquare") || !strcmp(n->op, "ReduceL2") ||
		  !strcmp(n->op, "ReduceLogSumExp");
	n->flops = (uint64_t)e * (two ? 2 : 1);
	return 1;
}

/* ---- data movement ------------------------------------------------------------------------ */

static int do_reshape(struct tc_onnx_graph *g, struct ox_node *n)
{
	struct ox_tensor *x = IN(0), *s = IN(1), *o = OUT(0);
	if (!x || !o)
		return 0;
	o->elem = x->elem;
	n->view = 1;
	int64_t shp[OX_MAXR];
	size_t ns = 0;
	if (s) {
		if (!ints_of(s, shp, OX_MAXR, &ns))
			return 1;
	} else {
		const int64_t *a = ox_attr_ints(n, "shape", &ns);
		if (ns > OX_MAXR || !a)
			return 1;
		memcpy(shp, a, ns * sizeof(int64_t));
	}
	int allowzero = ox_attr_i(n, "allowzero", 0) != 0;
	int infer = -1;
	int64_t prod = 1;
	for (size_t i = 0; i < ns; i++) {
		int64_t d = shp[i];
		if (d == 0 && !allowzero)
			d = (int)i < x->rank ? x->dims[i] : -1;
		if (d == -1 && infer < 0 && shp[i] == -1) {
			infer = (int)i;
			continue;
		}
		o->dims[i] = d < 0 ? -1 : d;
		prod = dmul(prod, d);
	}
	o->rank = (int32_t)ns;
	int64_t total = numel(x);
	if (infer >= 0)
		o->dims[infer] = total >= 0 && prod > 0 && total % prod == 0 ? total / prod : -1;
	else if (total >= 0 && prod >= 0 && total != prod)
		/* the model is inconsistent (e.g. designed for another input size): keep the
		 * declared shape, which the following weights agree with, and say so */
		tc_warn(g->log, "%s: node '%s' (Reshape): %lld elements reshaped to %lld; keeping the target shape",
			g->file, ox_node_name(n), (long long)total, (long long)prod);
	if (has_vals(x) && numel(o) == (int64_t)x->nvals)
		TC_TRY(x->iv ? set_ivals(g, o, x->iv, x->nvals) : set_fvals(g, o, x->fv, x->nvals));
	return 1;
}

static int do_flatten(struct tc_onnx_graph *g, struct ox_node *n)
{
	struct ox_tensor *x = IN(0), *o = OUT(0);
	if (!x || !o)
		return 0;
	o->elem = x->elem;
	n->view = 1;
	if (x->rank < 0)
		return 1;
	int64_t axis = norm_axis(ox_attr_i(n, "axis", 1), x->rank), a = 1, b = 1;
	for (int i = 0; i < x->rank; i++) {
		int64_t d = x->dims[i];
		if (i < axis)
			a = dmul(a, d);
		else
			b = dmul(b, d);
	}
	o->rank = 2;
	o->dims[0] = a;
	o->dims[1] = b;
	return 1;
}

static int do_squeeze(struct tc_onnx_graph *g, struct ox_node *n, int unsq)
{
	struct ox_tensor *x = IN(0), *o = OUT(0);
	if (!x || !o)
		return 0;
	o->elem = x->elem;
	n->view = 1;
	int64_t axes[OX_MAXR];
	size_t na = 0;
	if (n->opset >= 13) {
		if (IN(1) && !ints_of(IN(1), axes, OX_MAXR, &na))
			return 1;
	} else {
		const int64_t *a = ox_attr_ints(n, "axes", &na);
		if (na > OX_MAXR)
			return 1;
		if (na)
			memcpy(axes, a, na * sizeof(int64_t));
	}
	if (x->rank < 0)
		return 1;
	if (unsq) {
		int r = x->rank + (int)na;
		if (r > OX_MAXR)
			return 1;
		int ins[OX_MAXR] = {0};
		for (size_t i = 0; i < na; i++) {
			int64_t a = norm_axis(axes[i], r);
			if (a < 0 || a >= r)
				return 1;
			ins[a] = 1;
		}
		for (int i = 0, k = 0; i < r; i++)
			o->dims[i] = ins[i] ? 1 : x->dims[k++];
		o->rank = r;
	} else {
		int rm[OX_MAXR] = {0};
		for (size_t i = 0; i < na; i++) {
			int64_t a = norm_axis(axes[i], x->rank);
			if (a < 0 || a >= x->rank)
				return 1;
			rm[a] = 1;
		}
		int r = 0;
		for (int i = 0; i < x->rank; i++) {
			if (na == 0 && x->dims[i] < 0)
				return 1; /* cannot tell which dims are 1 */
			if (na ? !rm[i] : x->dims[i] != 1)
				o->dims[r++] = x->dims[i];
		}
		o->rank = r;
	}
	if (has_vals(x) && numel(o) == (int64_t)x->nvals)
		TC_TRY(x->iv ? set_ivals(g, o, x->iv, x->nvals) : set_fvals(g, o, x->fv, x->nvals));
	return 1;
}

static int do_transpose(struct tc_onnx_graph *g, struct ox_node *n)
{
	struct ox_tensor *x = IN(0), *o = OUT(0);
	if (!x || !o)
		return 0;
	o->elem = x->elem;
	if (x->rank < 0)
		return 0;
	size_t np;
	const int64_t *perm = ox_attr_ints(n, "perm", &np);
	for (int i = 0; i < x->rank; i++) {
		int64_t p = np == (size_t)x->rank ? perm[i] : x->rank - 1 - i;
		if (p < 0 || p >= x->rank)
			return 0;
		o->dims[i] = x->dims[p];
	}
	o->rank = x->rank;
	return numel(o) >= 0;
}

static int do_concat(struct tc_onnx_graph *g, struct ox_node *n)
{
	struct ox_tensor *x = IN(0), *o = OUT(0);
	if (!x || !o)
		return 0;
	o->elem = x->elem;
	if (x->rank < 1)
		return 0;
	int64_t axis = norm_axis(ox_attr_i(n, "axis", 0), x->rank);
	if (axis < 0 || axis >= x->rank)
		return 0;
	copy_shape(o, x);
	int64_t sum = 0, iv[OX_MAXVALS];
	double fv[OX_MAXVALS];
	size_t nv = 0;
	int vals = x->rank == 1, isint = 1;
	for (uint32_t k = 0; k < n->nin; k++) {
		const struct ox_tensor *t = IN(k);
		if (!t)
			continue;
		if (t->rank != x->rank) {
			o->dims[axis] = -1;
			return 0;
		}
		for (int i = 0; i < x->rank; i++)
			if (i != axis && o->dims[i] < 0)
				o->dims[i] = t->dims[i];
		sum = sum < 0 || t->dims[axis] < 0 ? -1 : sum + t->dims[axis];
		if (vals && has_vals(t) && numel(t) == (int64_t)t->nvals && nv + t->nvals <= OX_MAXVALS) {
			isint &= t->iv != NULL;
			for (uint32_t i = 0; i < t->nvals; i++, nv++) {
				iv[nv] = ival(t, i);
				fv[nv] = fval(t, i);
			}
		} else {
			vals = 0;
		}
	}
	o->dims[axis] = sum;
	if (vals && (int64_t)nv == sum)
		TC_TRY(isint ? set_ivals(g, o, iv, nv) : set_fvals(g, o, fv, nv));
	return numel(o) >= 0;
}

static int do_split(struct tc_onnx_graph *g, struct ox_node *n)
{
	struct ox_tensor *x = IN(0);
	if (!x || x->rank < 1)
		return 0;
	int64_t axis = norm_axis(ox_attr_i(n, "axis", 0), x->rank);
	if (axis < 0 || axis >= x->rank)
		return 0;
	int64_t parts[64];
	size_t np = 0;
	if (n->opset >= 13 && IN(1)) {
		if (!ints_of(IN(1), parts, 64, &np))
			np = 0;
	} else {
		const int64_t *a = ox_attr_ints(n, "split", &np);
		if (np > 64)
			np = 0;
		if (np)
			memcpy(parts, a, np * sizeof(int64_t));
	}
	if (np != n->nout) {
		/* equal parts (num_outputs at opset 18: the last one may be smaller) */
		int64_t d = x->dims[axis], k = n->nout ? n->nout : 1, each = d < 0 ? -1 : (d + k - 1) / k;
		np = n->nout > 64 ? 64 : n->nout;
		for (size_t i = 0; i < np; i++) {
			int64_t left = d - each * (int64_t)i;
			parts[i] = d < 0 ? -1 : TC_MAX(TC_MIN(each, left), 0);
		}
	}
	for (uint32_t k = 0; k < n->nout && k < np; k++) {
		struct ox_tensor *o = OUT(k);
		if (!o)
			continue;
		copy_shape(o, x);
		o->elem = x->elem;
		o->dims[axis] = parts[k];
	}
	return numel(x) >= 0;
}

/* Slice: opset < 10 attributes starts/ends/axes; from 10 inputs starts, ends, axes, steps. */
static int do_slice(struct tc_onnx_graph *g, struct ox_node *n)
{
	struct ox_tensor *x = IN(0), *o = OUT(0);
	if (!x || !o)
		return 0;
	o->elem = x->elem;
	if (x->rank < 0)
		return 0;
	int64_t st[OX_MAXR], en[OX_MAXR], ax[OX_MAXR], sp[OX_MAXR];
	size_t ns = 0, ne = 0, na = 0, nsp = 0;
	if (n->opset < 10) {
		const int64_t *a = ox_attr_ints(n, "starts", &ns), *b = ox_attr_ints(n, "ends", &ne),
			      *c = ox_attr_ints(n, "axes", &na);
		if (ns > OX_MAXR || ne != ns || na > OX_MAXR)
			return 0;
		if (ns) {
			memcpy(st, a, ns * 8);
			memcpy(en, b, ne * 8);
		}
		if (na)
			memcpy(ax, c, na * 8);
	} else {
		if (!ints_of(IN(1), st, OX_MAXR, &ns) || !ints_of(IN(2), en, OX_MAXR, &ne) || ns != ne)
			return 0;
		if (IN(3) && !ints_of(IN(3), ax, OX_MAXR, &na))
			return 0;
		if (IN(4) && !ints_of(IN(4), sp, OX_MAXR, &nsp))
			return 0;
	}
	copy_shape(o, x);
	int64_t lo[OX_MAXR] = {0}, step[OX_MAXR];
	for (int i = 0; i < OX_MAXR; i++)
		step[i] = 1;
	for (size_t i = 0; i < ns; i++) {
		int64_t a = na ? norm_axis(ax[i], x->rank) : (int64_t)i;
		int64_t s = nsp ? sp[i] : 1, d = x->dims[a < 0 || a >= x->rank ? 0 : a];
		if (a < 0 || a >= x->rank || s == 0)
			return 0;
		if (d < 0) {
			o->dims[a] = -1;
			continue;
		}
		int64_t b = st[i], e = en[i];
		if (b < 0)
			b += d;
		if (e < 0 && e > INT64_MIN / 2)
			e += d;
		if (s > 0) {
			b = TC_MAX(TC_MIN(b, d), 0);
			e = TC_MAX(TC_MIN(e, d), 0);
			o->dims[a] = e > b ? (e - b + s - 1) / s : 0;
		} else {
			b = TC_MAX(TC_MIN(b, d - 1), -1);
			e = TC_MAX(TC_MIN(e, d - 1), -1);
			o->dims[a] = b > e ? (b - e + (-s) - 1) / (-s) : 0;
		}
		lo[a] = b;
		step[a] = s;
	}
	/* values of a 1-D slice (shape[2:] and the like) */
	if (x->rank == 1 && has_vals(x) && numel(o) >= 0 && numel(x) == (int64_t)x->nvals) {
		int64_t cnt = numel(o), iv[OX_MAXVALS];
		double fv[OX_MAXVALS];
		for (int64_t i = 0; i < cnt && i < OX_MAXVALS; i++) {
			int64_t src = lo[0] + i * step[0];
			if (src < 0 || src >= (int64_t)x->nvals)
				return 1;
			iv[i] = ival(x, (uint32_t)src);
			fv[i] = fval(x, (uint32_t)src);
		}
		TC_TRY(x->iv ? set_ivals(g, o, iv, (size_t)cnt) : set_fvals(g, o, fv, (size_t)cnt));
	}
	return numel(o) >= 0;
}

static int do_gather(struct tc_onnx_graph *g, struct ox_node *n)
{
	struct ox_tensor *x = IN(0), *idx = IN(1), *o = OUT(0);
	if (!x || !idx || !o)
		return 0;
	o->elem = x->elem;
	if (!strcmp(n->op, "GatherElements")) {
		copy_shape(o, idx);
		o->elem = x->elem;
		return numel(o) >= 0;
	}
	if (x->rank < 1 || idx->rank < 0 || x->rank + idx->rank - 1 > OX_MAXR)
		return 0;
	int64_t axis = norm_axis(ox_attr_i(n, "axis", 0), x->rank);
	if (axis < 0 || axis >= x->rank)
		return 0;
	int r = 0;
	for (int i = 0; i < axis; i++)
		o->dims[r++] = x->dims[i];
	for (int i = 0; i < idx->rank; i++)
		o->dims[r++] = idx->dims[i];
	for (int i = (int)axis + 1; i < x->rank; i++)
		o->dims[r++] = x->dims[i];
	o->rank = r;
	/* shape[i]: gather from a known 1-D vector */
	if (x->rank == 1 && has_vals(x) && has_vals(idx) && numel(o) == (int64_t)idx->nvals) {
		int64_t iv[OX_MAXVALS];
		double fv[OX_MAXVALS];
		for (uint32_t i = 0; i < idx->nvals; i++) {
			int64_t k = ival(idx, i);
			if (k < 0)
				k += x->nvals;
			if (k < 0 || k >= x->nvals)
				return 1;
			iv[i] = ival(x, (uint32_t)k);
			fv[i] = fval(x, (uint32_t)k);
		}
		TC_TRY(x->iv ? set_ivals(g, o, iv, idx->nvals) : set_fvals(g, o, fv, idx->nvals));
	}
	/* a lookup into a weight table is an embedding */
	if (x->is_const && x->rank == 2 && axis == 0)
		n->cls = TC_CLASS_EMBEDDING;
	return numel(o) >= 0;
}

static int do_expand(struct tc_onnx_graph *g, struct ox_node *n)
{
	struct ox_tensor *x = IN(0), *s = IN(1), *o = OUT(0);
	if (!x || !o)
		return 0;
	o->elem = x->elem;
	int64_t v[OX_MAXR];
	size_t ns;
	if (!s || !ints_of(s, v, OX_MAXR, &ns))
		return 0;
	struct ox_tensor shp;
	memset(&shp, 0, sizeof(shp));
	shp.rank = (int32_t)ns;
	memcpy(shp.dims, v, ns * sizeof(int64_t));
	if (!bcast2(o, x, &shp))
		return 0;
	return numel(o) >= 0;
}

static int do_tile(struct tc_onnx_graph *g, struct ox_node *n)
{
	struct ox_tensor *x = IN(0), *o = OUT(0);
	int64_t rep[OX_MAXR];
	size_t nr;
	if (!x || !o)
		return 0;
	o->elem = x->elem;
	if (!ints_of(IN(1), rep, OX_MAXR, &nr) || (int)nr != x->rank)
		return 0;
	copy_shape(o, x);
	for (int i = 0; i < x->rank; i++)
		o->dims[i] = dmul(x->dims[i], rep[i]);
	return numel(o) >= 0;
}

static int do_pad(struct tc_onnx_graph *g, struct ox_node *n)
{
	struct ox_tensor *x = IN(0), *o = OUT(0);
	if (!x || !o)
		return 0;
	o->elem = x->elem;
	if (x->rank < 0)
		return 0;
	int64_t pads[2 * OX_MAXR], axes[OX_MAXR];
	size_t np = 0, na = 0;
	if (n->opset < 11) {
		const int64_t *a = ox_attr_ints(n, "pads", &np);
		if (np > 2 * OX_MAXR)
			return 0;
		if (np)
			memcpy(pads, a, np * 8);
	} else if (!ints_of(IN(1), pads, 2 * OX_MAXR, &np)) {
		return 0;
	}
	if (IN(3) && !ints_of(IN(3), axes, OX_MAXR, &na))
		return 0;
	if (!na) {
		na = (size_t)x->rank;
		for (size_t i = 0; i < na; i++)
			axes[i] = (int64_t)i;
	}
	if (np != 2 * na)
		return 0;
	copy_shape(o, x);
	for (size_t i = 0; i < na; i++) {
		int64_t a = norm_axis(axes[i], x->rank);
		if (a < 0 || a >= x->rank)
			return 0;
		if (o->dims[a] >= 0)
			o->dims[a] += pads[i] + pads[i + na];
	}
	return numel(o) >= 0;
}

/* Resize (opset 10: X, scales; 11+: X, roi, scales, sizes) and Upsample (7: scales attribute,
 * 9: scales input). FLOPs per output element: nearest 0, linear 4, cubic 16. */
static int do_resize(struct tc_onnx_graph *g, struct ox_node *n)
{
	struct ox_tensor *x = IN(0), *o = OUT(0);
	if (!x || !o)
		return 0;
	o->elem = x->elem;
	if (x->rank < 0)
		return 0;
	const struct ox_tensor *scales = NULL, *sizes = NULL;
	int upsample = !strcmp(n->op, "Upsample");
	if (upsample || n->opset < 11)
		scales = IN(1);
	else {
		scales = IN(2);
		sizes = IN(3);
	}
	copy_shape(o, x);
	int64_t sz[OX_MAXR];
	size_t ns;
	if (sizes && ints_of(sizes, sz, OX_MAXR, &ns) && (int)ns == x->rank) {
		for (int i = 0; i < x->rank; i++)
			o->dims[i] = sz[i];
	} else if (scales && has_vals(scales) && (int)scales->nvals == x->rank) {
		for (int i = 0; i < x->rank; i++)
			o->dims[i] = x->dims[i] < 0 ? -1 : dim_of_double(floor((double)x->dims[i] * fval(scales, (uint32_t)i)));
	} else if (upsample && !scales) {
		const Onnx__AttributeProto *a = ox_attr(n, "scales");
		if (!a || (int)a->n_floats != x->rank)
			return 0;
		for (int i = 0; i < x->rank; i++)
			o->dims[i] = x->dims[i] < 0 ? -1 : dim_of_double(floor((double)x->dims[i] * a->floats[i]));
	} else {
		set_rank(o, x->rank);
		return 0;
	}
	const char *mode = ox_attr_s(g, n, "mode", "nearest");
	uint64_t fpe = tc_strcasestr(mode, "linear") ? 4 : tc_strcasestr(mode, "cubic") ? 16 : 0;
	int64_t e = numel(o);
	if (e < 0)
		return 0;
	n->flops = (uint64_t)e * fpe;
	return 1;
}

/* ---- shape-producing operators ------------------------------------------------------------ */

static int do_shape(struct tc_onnx_graph *g, struct ox_node *n)
{
	struct ox_tensor *x = IN(0), *o = OUT(0);
	if (!x || !o)
		return 0;
	o->elem = OX_INT64;
	if (!strcmp(n->op, "Size")) {
		o->rank = 0;
		int64_t e = numel(x);
		if (e >= 0)
			TC_TRY(set_ivals(g, o, &e, 1));
		return 1;
	}
	if (x->rank < 0) {
		set_rank(o, 1);
		return 1;
	}
	int64_t start = norm_axis(ox_attr_i(n, "start", 0), x->rank);
	int64_t end = ox_attr(n, "end") ? norm_axis(ox_attr_i(n, "end", x->rank), x->rank) : x->rank;
	start = TC_MAX(TC_MIN(start, x->rank), 0);
	end = TC_MAX(TC_MIN(end, x->rank), start);
	o->rank = 1;
	o->dims[0] = end - start;
	int all = 1;
	for (int64_t i = start; i < end; i++)
		all &= x->dims[i] >= 0;
	if (all)
		TC_TRY(set_ivals(g, o, x->dims + start, (size_t)(end - start)));
	return 1;
}

static int tensor_attr_shape(struct tc_onnx_graph *g, struct ox_tensor *o, const Onnx__TensorProto *tp)
{
	o->elem = tp->has_data_type ? tp->data_type : OX_FLOAT;
	if (tp->n_dims > OX_MAXR) {
		o->rank = -1;
		return 0;
	}
	o->rank = (int32_t)tp->n_dims;
	for (size_t i = 0; i < tp->n_dims; i++)
		o->dims[i] = tp->dims[i] >= 0 ? tp->dims[i] : -1;
	ox_tensor_values(g, o, tp);
	return 0;
}

static int do_constant(struct tc_onnx_graph *g, struct ox_node *n)
{
	struct ox_tensor *o = OUT(0);
	const Onnx__AttributeProto *a;
	if (!o)
		return 0;
	if ((a = ox_attr(n, "value")) && a->t) {
		TC_TRY(tensor_attr_shape(g, o, a->t));
	} else if ((a = ox_attr(n, "value_int")) && a->has_i) {
		o->elem = OX_INT64;
		o->rank = 0;
		TC_TRY(set_ivals(g, o, &a->i, 1));
	} else if ((a = ox_attr(n, "value_ints"))) {
		o->elem = OX_INT64;
		o->rank = 1;
		o->dims[0] = (int64_t)a->n_ints;
		TC_TRY(set_ivals(g, o, a->ints, a->n_ints));
	} else if ((a = ox_attr(n, "value_float")) && a->has_f) {
		double v = a->f;
		o->elem = OX_FLOAT;
		o->rank = 0;
		TC_TRY(set_fvals(g, o, &v, 1));
	} else if ((a = ox_attr(n, "value_floats"))) {
		o->elem = OX_FLOAT;
		o->rank = 1;
		o->dims[0] = (int64_t)a->n_floats;
		if (a->n_floats <= OX_MAXVALS) {
			double v[OX_MAXVALS];
			for (size_t i = 0; i < a->n_floats; i++)
				v[i] = a->floats[i];
			TC_TRY(set_fvals(g, o, v, a->n_floats));
		}
	} else if ((a = ox_attr(n, "sparse_value")) && a->sparse_tensor) {
		const Onnx__SparseTensorProto *sp = a->sparse_tensor;
		o->elem = sp->values ? sp->values->data_type : OX_FLOAT;
		o->rank = sp->n_dims <= OX_MAXR ? (int32_t)sp->n_dims : -1;
		for (size_t i = 0; o->rank >= 0 && i < sp->n_dims; i++)
			o->dims[i] = sp->dims[i];
	} else {
		return 0;
	}
	return 1;
}

static int do_constant_of_shape(struct tc_onnx_graph *g, struct ox_node *n)
{
	struct ox_tensor *s = IN(0), *o = OUT(0);
	if (!s || !o)
		return 0;
	const Onnx__AttributeProto *a = ox_attr(n, "value");
	o->elem = a && a->t && a->t->has_data_type ? a->t->data_type : OX_FLOAT;
	int64_t d[OX_MAXR];
	size_t nd;
	if (!ints_of(s, d, OX_MAXR, &nd)) {
		set_rank(o, s->rank == 1 && s->dims[0] >= 0 ? (int)s->dims[0] : -1);
		return 0;
	}
	o->rank = (int32_t)nd;
	for (size_t i = 0; i < nd; i++)
		o->dims[i] = d[i] >= 0 ? d[i] : -1;
	int64_t e = numel(o);
	if (e >= 0 && e <= OX_MAXVALS && a && a->t) {
		struct ox_tensor one;
		memset(&one, 0, sizeof(one));
		one.rank = 1;
		one.dims[0] = 1;
		ox_tensor_values(g, &one, a->t);
		if (has_vals(&one)) {
			int64_t iv[OX_MAXVALS];
			double fv[OX_MAXVALS];
			for (int64_t i = 0; i < e; i++) {
				iv[i] = ival(&one, 0);
				fv[i] = fval(&one, 0);
			}
			TC_TRY(one.iv ? set_ivals(g, o, iv, (size_t)e) : set_fvals(g, o, fv, (size_t)e));
		}
	} else if (e >= 0 && e <= OX_MAXVALS) {
		double fv[OX_MAXVALS] = {0};
		TC_TRY(set_fvals(g, o, fv, (size_t)e));
	}
	return 1;
}

static int do_range(struct tc_onnx_graph *g, struct ox_node *n)
{
	struct ox_tensor *s = IN(0), *l = IN(1), *d = IN(2), *o = OUT(0);
	if (!s || !l || !d || !o)
		return 0;
	o->elem = s->elem;
	set_rank(o, 1);
	if (!has_vals(s) || !has_vals(l) || !has_vals(d) || fval(d, 0) == 0)
		return 0;
	double cnt = ceil((fval(l, 0) - fval(s, 0)) / fval(d, 0));
	o->dims[0] = cnt > 0 ? (int64_t)TC_MIN(cnt, 1e15) : 0;
	if (s->iv && o->dims[0] <= OX_MAXVALS) {
		int64_t iv[OX_MAXVALS];
		for (int64_t i = 0; i < o->dims[0]; i++)
			iv[i] = ival(s, 0) + i * ival(d, 0);
		TC_TRY(set_ivals(g, o, iv, (size_t)o->dims[0]));
	}
	return 1;
}

static int do_topk(struct tc_onnx_graph *g, struct ox_node *n)
{
	struct ox_tensor *x = IN(0), *o = OUT(0);
	if (!x || !o || x->rank < 1)
		return 0;
	copy_shape(o, x);
	int64_t axis = norm_axis(ox_attr_i(n, "axis", -1), x->rank), k[1];
	size_t nk;
	if (axis < 0 || axis >= x->rank)
		return 0;
	if (n->opset >= 10 ? ints_of(IN(1), k, 1, &nk) : (k[0] = ox_attr_i(n, "k", -1)) >= 0)
		o->dims[axis] = k[0];
	else
		o->dims[axis] = -1;
	struct ox_tensor *idx = OUT(1);
	if (idx) {
		copy_shape(idx, o);
		idx->elem = OX_INT64;
	}
	int64_t e = numel(x);
	if (e < 0 || numel(o) < 0)
		return 0;
	n->flops = (uint64_t)e * 2; /* partial selection, about two compares per element */
	return 1;
}

/* ---- recurrent ---------------------------------------------------------------------------- */

/* LSTM (4 gates), GRU (3), RNN (1): per step 2 x gates x hidden x (input + hidden) MACs per
 * batch row and direction, plus ~ 8 x gates x hidden elementwise FLOPs. layout = 0 only. */
static int do_rnn(struct tc_onnx_graph *g, struct ox_node *n)
{
	struct ox_tensor *x = IN(0), *w = IN(1);
	int gates = !strcmp(n->op, "LSTM") ? 4 : !strcmp(n->op, "GRU") ? 3 : 1;
	if (!x || !w || x->rank != 3 || ox_attr_i(n, "layout", 0) != 0)
		return 0;
	int64_t hidden = ox_attr_i(n, "hidden_size", -1);
	const char *dir = ox_attr_s(g, n, "direction", "forward");
	int64_t dirs = !strcmp(dir, "bidirectional") ? 2 : 1;
	int64_t seq = x->dims[0], batch = x->dims[1], input = x->dims[2];
	n->gemm_like = 1;
	struct ox_tensor *y = OUT(0);
	if (y) {
		y->elem = x->elem;
		y->rank = 4;
		y->dims[0] = seq, y->dims[1] = dirs, y->dims[2] = batch, y->dims[3] = hidden;
	}
	for (uint32_t k = 1; k < 3; k++) {
		struct ox_tensor *h = OUT(k);
		if (!h)
			continue;
		h->elem = x->elem;
		h->rank = 3;
		h->dims[0] = dirs, h->dims[1] = batch, h->dims[2] = hidden;
	}
	if (seq < 0 || batch < 0 || input < 0 || hidden <= 0)
		return 0;
	uint64_t rows = (uint64_t)seq * (uint64_t)batch * (uint64_t)dirs;
	n->flops = rows * (uint64_t)gates * (uint64_t)hidden *
		   (2 * (uint64_t)(input + hidden) + 8);
	return 1;
}

/* ---- attention (com.microsoft fused operators) --------------------------------------------- */

/* Attention core for B batches, H heads, S queries, L keys, head sizes dk (QK) and dv (AV):
 * 2 B H S L dk (QK^T) + 2 B H S L dv (AV) + 5 B H S L (softmax). */
static uint64_t attn_core(int64_t B, int64_t H, int64_t S, int64_t L, int64_t dk, int64_t dv)
{
	uint64_t bhsl = (uint64_t)B * (uint64_t)H * (uint64_t)S * (uint64_t)L;
	return bhsl * (2 * (uint64_t)dk + 2 * (uint64_t)dv + 5);
}

/* Attention: input [B, S, Din], weights [Din, Dq + Dk + Dv] (qkv_hidden_sizes, default equal
 * thirds), bias, mask, past [2, B, H, P, head]. Output [B, S, Dv], present [2, B, H, P+S, head].
 * FLOPs = fused QKV projection 2 B S Din (Dq+Dk+Dv) + core. */
static int do_ms_attention(struct tc_onnx_graph *g, struct ox_node *n)
{
	struct ox_tensor *x = IN(0), *w = IN(1), *past = IN(4), *o = OUT(0);
	int64_t H = ox_attr_i(n, "num_heads", 0);
	if (!x || !w || !o || x->rank != 3 || w->rank != 2 || H <= 0)
		return 0;
	size_t nq;
	const int64_t *qkv = ox_attr_ints(n, "qkv_hidden_sizes", &nq);
	int64_t tot = w->dims[1], dq = tot < 0 ? -1 : tot / 3, dk = dq, dv = dq;
	if (nq == 3)
		dq = qkv[0], dk = qkv[1], dv = qkv[2];
	int64_t B = x->dims[0], S = x->dims[1], Din = x->dims[2];
	o->elem = x->elem;
	o->rank = 3;
	o->dims[0] = B, o->dims[1] = S, o->dims[2] = dv;
	int64_t P = past && past->rank == 5 ? past->dims[3] : 0;
	if (OUT(1)) {
		struct ox_tensor *pr = OUT(1);
		pr->elem = x->elem;
		pr->rank = 5;
		pr->dims[0] = 2, pr->dims[1] = B, pr->dims[2] = H;
		pr->dims[3] = P < 0 || S < 0 ? -1 : P + S;
		pr->dims[4] = dk < 0 ? -1 : dk / H;
	}
	n->gemm_like = 1;
	if (B < 0 || S < 0 || Din < 0 || tot < 0 || P < 0 || dq < 0 || dk < 0 || dv < 0)
		return 0;
	n->flops = 2 * (uint64_t)B * (uint64_t)S * (uint64_t)Din * (uint64_t)(dq + dk + dv) +
		   attn_core(B, H, S, S + P, dq / H, dv / H);
	return 1;
}

/* MultiHeadAttention: query [B, S, D], key [B, L, D] or [B, H, L, head], value likewise,
 * (packed QKV [B, S, H, 3, head] when key is absent). Output [B, S, Dv]. Also the standard
 * opset-23 Attention in its 3-D form. FLOPs = core (projections are separate MatMuls). */
static int do_mha(struct tc_onnx_graph *g, struct ox_node *n)
{
	struct ox_tensor *q = IN(0), *k = IN(1), *v = IN(2), *o = OUT(0);
	int64_t H = ox_attr_i(n, "num_heads", ox_attr_i(n, "q_num_heads", 0));
	if (!q || !o || H <= 0)
		return 0;
	int64_t B, S, D, L, Dv;
	if (q->rank == 5 && !k) { /* packed QKV */
		B = q->dims[0], S = q->dims[1], L = S;
		D = dmul(H, q->dims[4]);
		Dv = D;
	} else if (q->rank == 3 && k && v) {
		B = q->dims[0], S = q->dims[1], D = q->dims[2];
		L = k->rank == 4 ? k->dims[2] : k->rank == 3 ? k->dims[1] : -1;
		Dv = v->rank == 4 ? dmul(H, v->dims[3]) : v->rank == 3 ? v->dims[2] : -1;
	} else if (q->rank == 4 && k && v && k->rank == 4 && v->rank == 4) {
		/* opset-23 Attention 4-D: [B, H, S, head] */
		B = q->dims[0], S = q->dims[2], L = k->dims[2];
		D = dmul(H, q->dims[3]);
		Dv = dmul(H, v->dims[3]);
		copy_shape(o, q);
		o->dims[3] = v->dims[3];
		n->gemm_like = 1;
		if (B < 0 || S < 0 || L < 0 || D < 0 || Dv < 0)
			return 0;
		n->flops = attn_core(B, H, S, L, D / H, Dv / H);
		return 1;
	} else {
		return 0;
	}
	o->elem = q->elem;
	o->rank = 3;
	o->dims[0] = B, o->dims[1] = S, o->dims[2] = Dv;
	n->gemm_like = 1;
	/* past_key [B, H, P, head] (inputs 6, 7) extends the keys */
	struct ox_tensor *pk = IN(6);
	int64_t P = pk && pk->rank == 4 ? pk->dims[2] : 0;
	for (uint32_t i = 1; i < 3; i++) {
		struct ox_tensor *pr = OUT(i);
		if (!pr)
			continue;
		pr->elem = q->elem;
		pr->rank = 4;
		pr->dims[0] = B, pr->dims[1] = H;
		pr->dims[2] = L < 0 || P < 0 ? -1 : L + P;
		pr->dims[3] = (i == 1 ? D : Dv) < 0 ? -1 : (i == 1 ? D : Dv) / H;
	}
	if (B < 0 || S < 0 || L < 0 || D < 0 || Dv < 0 || P < 0)
		return 0;
	n->flops = attn_core(B, H, S, L + P, D / H, Dv / H);
	return 1;
}

/* GroupQueryAttention: query [B, S, H head] (or packed [B, S, (H + 2 Hkv) head] without key),
 * key/value [B, S, Hkv head], past_key/value [B, Hkv, P, head]. The keys seen are the past
 * plus the new ones; with a shared buffer the past is the buffer and already counts them.
 * Output [B, S, H head], present [B, Hkv, P(+S), head]. FLOPs = core over H query heads. */
static int do_gqa(struct tc_onnx_graph *g, struct ox_node *n)
{
	struct ox_tensor *q = IN(0), *k = IN(1), *pk = IN(3), *o = OUT(0);
	int64_t H = ox_attr_i(n, "num_heads", 0), Hkv = ox_attr_i(n, "kv_num_heads", 0);
	if (!q || !o || q->rank != 3 || H <= 0 || Hkv <= 0)
		return 0;
	int64_t B = q->dims[0], S = q->dims[1], head;
	if (k && k->rank == 3)
		head = q->dims[2] < 0 ? -1 : q->dims[2] / H;
	else
		head = q->dims[2] < 0 ? -1 : q->dims[2] / (H + 2 * Hkv);
	int64_t P = pk && pk->rank == 4 ? pk->dims[2] : 0;
	/* present = past + new (a shared max-length buffer would overcount by S keys) */
	int64_t L = P < 0 || S < 0 ? -1 : P + S;
	o->elem = q->elem;
	o->rank = 3;
	o->dims[0] = B, o->dims[1] = S, o->dims[2] = dmul(H, head);
	for (uint32_t i = 1; i < 3; i++) {
		struct ox_tensor *pr = OUT(i);
		if (!pr)
			continue;
		pr->elem = q->elem;
		pr->rank = 4;
		pr->dims[0] = B, pr->dims[1] = Hkv, pr->dims[2] = L, pr->dims[3] = head;
	}
	n->gemm_like = 1;
	if (B < 0 || S < 0 || head < 0 || L < 0)
		return 0;
	n->flops = attn_core(B, H, S, L, head, head);
	if (ox_attr_i(n, "do_rotary", 0)) /* rotary on q and k: 3 FLOPs per element */
		n->flops += 3 * (uint64_t)B * (uint64_t)S * (uint64_t)(H + Hkv) * (uint64_t)head;
	return 1;
}

/* EmbedLayerNormalization: input_ids [B, S], segment_ids, word/position/segment embeddings
 * [*, Hd], gamma, beta, mask. Output [B, S, Hd] (+ mask_index [B], embedding sum).
 * FLOPs per output element: 2 adds + LayerNorm 7. */
static int do_embed_ln(struct tc_onnx_graph *g, struct ox_node *n)
{
	struct ox_tensor *ids = IN(0), *we = IN(2), *o = OUT(0);
	if (!ids || !we || !o || ids->rank != 2 || we->rank != 2)
		return 0;
	o->elem = we->elem;
	o->rank = 3;
	o->dims[0] = ids->dims[0], o->dims[1] = ids->dims[1], o->dims[2] = we->dims[1];
	struct ox_tensor *mask = OUT(1);
	if (mask) {
		mask->elem = OX_INT32;
		mask->rank = 1;
		mask->dims[0] = ids->dims[0];
	}
	if (OUT(2))
		copy_shape(OUT(2), o);
	n->cls = TC_CLASS_EMBEDDING;
	int64_t e = numel(o);
	if (e < 0)
		return 0;
	n->flops = (uint64_t)e * 9;
	return 1;
}

/* ---- Einsum ----------------------------------------------------------------------------- */

/* Common forms: up to 3 operands, explicit "->" or implicit output, "..." for leading dims.
 * FLOPs = 2 x prod(all index sizes) for two or more operands (each product term is a
 * multiply-add), prod(all index sizes) for one (a sum or a transpose). */
static int do_einsum(struct tc_onnx_graph *g, struct ox_node *n)
{
	struct ox_tensor *o = OUT(0);
	const char *eq = ox_attr_s(g, n, "equation", NULL);
	if (!o || !eq || n->nin < 1 || n->nin > 3 || !IN(0))
		return 0;
	o->elem = IN(0)->elem;
	int64_t size[128];
	int count[128] = {0};
	for (int i = 0; i < 128; i++)
		size[i] = -2; /* unseen */
	const char *p = eq;
	char lhs_labels[3][OX_MAXR + 1];
	int ell_rank = 0;
	char ell_lab[OX_MAXR];
	for (int i = 0; i < OX_MAXR; i++)
		ell_lab[i] = (char)('0' + i); /* digits are never einsum labels */
	for (uint32_t k = 0; k < n->nin; k++) {
		const struct ox_tensor *t = IN(k);
		if (!t || t->rank < 0)
			return 0;
		int nl = 0, named = 0;
		const char *q = p;
		while (*q && *q != ',' && *q != '-') {
			if (*q == '.') {
				q += 3;
				continue;
			}
			if (*q != ' ')
				named++;
			q++;
		}
		int er = t->rank - named;
		if (er < 0 || er > OX_MAXR)
			return 0;
		int d = 0;
		while (*p && *p != ',' && *p != '-') {
			if (*p == ' ') {
				p++;
				continue;
			}
			if (*p == '.') {
				if (strncmp(p, "...", 3) != 0)
					return 0;
				ell_rank = TC_MAX(ell_rank, er);
				for (int e = 0; e < er; e++) {
					char c = ell_lab[OX_MAXR - er + e];
					if (nl >= OX_MAXR)
						return 0;
					lhs_labels[k][nl++] = c;
				}
				p += 3;
				continue;
			}
			if (nl >= OX_MAXR || (unsigned char)*p >= 128)
				return 0;
			lhs_labels[k][nl++] = *p++;
		}
		if (nl != t->rank)
			return 0;
		lhs_labels[k][nl] = 0;
		for (int i = 0; i < nl; i++) {
			int c = (unsigned char)lhs_labels[k][i];
			int64_t dim = t->dims[i];
			count[c]++;
			if (size[c] == -2 || size[c] == 1 || size[c] == -1)
				size[c] = size[c] == -2 || dim != 1 ? dim : size[c];
			d++;
		}
		(void)d;
		if (*p == ',')
			p++;
	}
	char out_labels[OX_MAXR + 1];
	int no = 0;
	if (!strncmp(p, "->", 2)) {
		p += 2;
		while (*p) {
			if (*p == ' ') {
				p++;
				continue;
			}
			if (*p == '.') {
				for (int e = 0; e < ell_rank && no < OX_MAXR; e++)
					out_labels[no++] = ell_lab[OX_MAXR - ell_rank + e];
				p += 3;
				continue;
			}
			if (no >= OX_MAXR || (unsigned char)*p >= 128 || size[(unsigned char)*p] == -2)
				return 0;
			out_labels[no++] = *p++;
		}
	} else {
		/* implicit: ellipsis dims, then labels seen once, alphabetically */
		for (int e = 0; e < ell_rank && no < OX_MAXR; e++)
			out_labels[no++] = ell_lab[OX_MAXR - ell_rank + e];
		for (int c = 'A'; c <= 'z' && no < OX_MAXR; c++)
			if (count[c] == 1)
				out_labels[no++] = (char)c;
	}
	o->rank = no;
	for (int i = 0; i < no; i++)
		o->dims[i] = size[(unsigned char)out_labels[i]];
	uint64_t prod = 1;
	for (int c = 0; c < 128; c++) {
		if (size[c] == -2)
			continue;
		if (size[c] < 0)
			return 0;
		prod *= (uint64_t)size[c];
	}
	n->gemm_like = n->nin >= 2;
	n->flops = n->nin >= 2 ? 2 * prod : prod;
	return numel(o) >= 0;
}

/* ---- dispatch ---------------------------------------------------------------------------- */

static int do_identity(struct tc_onnx_graph *g, struct ox_node *n)
{
	struct ox_tensor *x = IN(0);
	n->view = 1;
	if (!x)
		return 0;
	for (uint32_t k = 0; k < n->nout; k++) {
		struct ox_tensor *o = OUT(k);
		if (!o)
			continue;
		copy_shape(o, x);
		o->elem = k == 0 ? x->elem : OX_BOOL; /* Dropout mask */
	}
	struct ox_tensor *o0 = OUT(0);
	if (has_vals(x) && o0)
		TC_TRY(x->iv ? set_ivals(g, o0, x->iv, x->nvals) : set_fvals(g, o0, x->fv, x->nvals));
	return 1;
}

static int do_nonzero(struct tc_onnx_graph *g, struct ox_node *n)
{
	struct ox_tensor *x = IN(0), *o = OUT(0);
	if (!x || !o)
		return 0;
	o->elem = OX_INT64;
	o->rank = 2;
	o->dims[0] = x->rank;
	o->dims[1] = -1; /* data-dependent */
	return 0;
}

static int do_scatter(struct tc_onnx_graph *g, struct ox_node *n)
{
	struct ox_tensor *x = IN(0), *o = OUT(0);
	if (!x || !o)
		return 0;
	copy_shape(o, x);
	return numel(o) >= 0;
}

static int do_dql(struct tc_onnx_graph *g, struct ox_node *n)
{
	struct ox_tensor *x = IN(0);
	if (!x)
		return 0;
	struct ox_tensor *y = OUT(0);
	if (y) {
		copy_shape(y, x);
		y->elem = OX_UINT8;
	}
	for (uint32_t k = 1; k < 3; k++) {
		struct ox_tensor *o = OUT(k);
		if (!o)
			continue;
		o->rank = 0;
		o->elem = k == 1 ? OX_FLOAT : OX_UINT8;
	}
	int64_t e = numel(x);
	if (e < 0)
		return 0;
	n->flops = (uint64_t)e * 4; /* min/max scan, scale, round */
	return 1;
}

typedef int (*ox_fn)(struct tc_onnx_graph *g, struct ox_node *n);

struct ox_op {
	const char *name;
	ox_fn fn;
	int norm_fpe; /* for do_norm */
};

static int do_norm2(struct tc_onnx_graph *g, struct ox_node *n) { return do_norm(g, n, 2); }
static int do_norm4(struct tc_onnx_graph *g, struct ox_node *n) { return do_norm(g, n, 4); }
static int do_norm5(struct tc_onnx_graph *g, struct ox_node *n) { return do_norm(g, n, 5); }
static int do_norm7(struct tc_onnx_graph *g, struct ox_node *n) { return do_norm(g, n, 7); }
static int do_squeeze0(struct tc_onnx_graph *g, struct ox_node *n) { return do_squeeze(g, n, 0); }
static int do_squeeze1(struct tc_onnx_graph *g, struct ox_node *n) { return do_squeeze(g, n, 1); }

static const struct ox_op ops[] = {
	{"MatMul", do_matmul, 0}, {"MatMulInteger", do_matmul, 0}, {"QLinearMatMul", do_matmul, 0},
	{"FusedMatMul", do_matmul, 0}, {"Gemm", do_gemm, 0}, {"MatMulNBits", do_matmul_nbits, 0},
	{"Conv", do_conv, 0}, {"ConvInteger", do_conv, 0}, {"QLinearConv", do_conv, 0},
	{"FusedConv", do_conv, 0}, {"ConvTranspose", do_convtranspose, 0},
	{"MaxPool", do_pool, 0}, {"AveragePool", do_pool, 0}, {"LpPool", do_pool, 0},
	{"GlobalAveragePool", do_global_pool, 0}, {"GlobalMaxPool", do_global_pool, 0},
	{"GlobalLpPool", do_global_pool, 0},
	{"BatchNormalization", do_norm2, 0}, {"LayerNormalization", do_norm7, 0},
	{"SkipLayerNormalization", do_norm7, 0}, {"SimplifiedLayerNormalization", do_norm4, 0},
	{"SkipSimplifiedLayerNormalization", do_norm4, 0}, {"RMSNormalization", do_norm4, 0},
	{"InstanceNormalization", do_norm7, 0}, {"GroupNormalization", do_norm7, 0},
	{"MeanVarianceNormalization", do_norm7, 0}, {"LpNormalization", do_norm4, 0},
	{"LRN", do_norm2, 0},
	{"Softmax", do_norm5, 0}, {"LogSoftmax", do_norm5, 0}, {"Hardmax", do_norm2, 0},
	{"ReduceMean", do_reduce, 0}, {"ReduceSum", do_reduce, 0}, {"ReduceMax", do_reduce, 0},
	{"ReduceMin", do_reduce, 0}, {"ReduceProd", do_reduce, 0}, {"ReduceL1", do_reduce, 0},
	{"ReduceL2", do_reduce, 0}, {"ReduceLogSum", do_reduce, 0},
	{"ReduceLogSumExp", do_reduce, 0}, {"ReduceSumSquare", do_reduce, 0},
	{"ArgMax", do_reduce, 0}, {"ArgMin", do_reduce, 0},
	{"Reshape", do_reshape, 0}, {"Flatten", do_flatten, 0}, {"Squeeze", do_squeeze0, 0},
	{"Unsqueeze", do_squeeze1, 0}, {"Transpose", do_transpose, 0}, {"Concat", do_concat, 0},
	{"Split", do_split, 0}, {"Slice", do_slice, 0}, {"Gather", do_gather, 0},
	{"GatherElements", do_gather, 0}, {"Expand", do_expand, 0}, {"Tile", do_tile, 0},
	{"Pad", do_pad, 0}, {"Resize", do_resize, 0}, {"Upsample", do_resize, 0},
	{"Shape", do_shape, 0}, {"Size", do_shape, 0}, {"Constant", do_constant, 0},
	{"ConstantOfShape", do_constant_of_shape, 0}, {"Range", do_range, 0},
	{"TopK", do_topk, 0}, {"NonZero", do_nonzero, 0}, {"Identity", do_identity, 0},
	{"Dropout", do_identity, 0}, {"ScatterND", do_scatter, 0}, {"ScatterElements", do_scatter, 0},
	{"Scatter", do_scatter, 0}, {"Einsum", do_einsum, 0},
	{"LSTM", do_rnn, 0}, {"GRU", do_rnn, 0}, {"RNN", do_rnn, 0},
	{"MultiHeadAttention", do_mha, 0}, {"GroupQueryAttention", do_gqa, 0},
	{"EmbedLayerNormalization", do_embed_ln, 0}, {"DynamicQuantizeLinear", do_dql, 0},
};

/* Operators that give a different value each run are never folded. */
static int nondeterministic(const char *op)
{
	return !strncmp(op, "Random", 6) || !strcmp(op, "Multinomial") || !strcmp(op, "Bernoulli");
}

int ox_infer_node(struct tc_onnx_graph *g, struct ox_node *n)
{
	int rc = -1; /* -1 = no handler */
	const struct ew_cost *c;
	n->cls = (uint8_t)tc_opclass_of_op(n->op);
	if (!strcmp(n->op, "Attention"))
		rc = !strcmp(n->domain, "com.microsoft") ? do_ms_attention(g, n) : do_mha(g, n);
	else if ((c = find_cost(unary_ops, TC_ARRAY_LEN(unary_ops), n->op)))
		rc = do_unary(g, n, c);
	else if ((c = find_cost(nary_ops, TC_ARRAY_LEN(nary_ops), n->op)))
		rc = do_nary(g, n, c);
	else
		for (size_t i = 0; i < TC_ARRAY_LEN(ops); i++)
			if (!strcmp(ops[i].name, n->op)) {
				rc = ops[i].fn(g, n);
				break;
			}
	if (rc < -1)
		return rc; /* out of memory */
	n->known = rc >= 0;
	for (uint32_t k = 0; k < n->nout; k++) {
		struct ox_tensor *o = OUT(k);
		if (!o)
			continue;
		if (o->rank < 0)
			ox_declared_shape(g, n->out[k]);
		for (int i = 0; i < o->rank && i < OX_MAXR; i++)
			if (o->dims[i] > OX_DIM_MAX)
				o->dims[i] = -1;
	}

	/* fold: every input known before the graph runs (Constant has none), or a Shape/Size
	 * whose value inference could tell */
	int all_const = n->known && !nondeterministic(n->op);
	for (uint32_t k = 0; k < n->nin && all_const; k++)
		if (IN(k) && !IN(k)->is_const)
			all_const = 0;
	int shape_known = (!strcmp(n->op, "Shape") || !strcmp(n->op, "Size")) && OUT(0) && has_vals(OUT(0));
	if (all_const || shape_known) {
		n->folded = 1;
		for (uint32_t k = 0; k < n->nout; k++) {
			struct ox_tensor *o = OUT(k);
			if (!o)
				continue;
			o->is_const = 1;
			int integer = o->elem == OX_INT64 || o->elem == OX_INT32;
			o->is_param = !(integer && o->rank <= 1);
		}
		return 0;
	}
	/* work: known operator, every shape known */
	const struct ox_tensor *x0 = IN(0);
	const struct ox_tensor *y0 = OUT(0);
	n->dtype = (uint8_t)ox_elem_to_tc(x0 && x0->elem ? x0->elem : y0 ? y0->elem : 0);
	if (!n->known || rc == 0)
		return 0;
	if (n->view) {
		n->has_work = 1;
		n->flops = n->bytes_read = n->bytes_written = n->weight_bytes = 0;
		return 0;
	}
	uint64_t rd = 0, wr = 0, wb = 0;
	for (uint32_t k = 0; k < n->nin; k++) {
		const struct ox_tensor *t = IN(k);
		if (!t)
			continue;
		int dup = 0; /* a tensor read twice (x * x) is read once */
		for (uint32_t j = 0; j < k; j++)
			dup |= n->in[j] == n->in[k];
		if (dup)
			continue;
		if (numel(t) < 0 || (!ox_elem_bits(t->elem) && numel(t) > 0))
			return 0;
		uint64_t b = ox_tensor_bytes(t);
		rd += b;
		if (t->is_const && t->is_param)
			wb += b;
	}
	for (uint32_t k = 0; k < n->nout; k++) {
		const struct ox_tensor *t = OUT(k);
		if (!t)
			continue;
		if (numel(t) < 0 || (!ox_elem_bits(t->elem) && numel(t) > 0))
			return 0;
		wr += ox_tensor_bytes(t);
	}
	n->bytes_read = rd;
	n->bytes_written = wr;
	n->weight_bytes = wb;
	n->has_work = 1;
	return 0;
}

/* onnx_infer.c - per-operator shape inference and work (FLOPs, bytes) for ONNX nodes.
 *
 * Each handler fills the shapes, element types and (for small integer tensors) the values of
 * the node's outputs, sets n->flops, and returns 1 when the work is known, 0 when a needed
 * shape is unknown. Bytes are computed once for all operators from the inputs and outputs.
 * Conventions (docs/onnx.md): one multiply-add = 2 FLOPs; transcendental functions count a
 * fixed small number of FLOPs per element; views (Reshape, Identity, ...) move no bytes. */
#include "onnx_infer.h"

/* ---- elementwise ------------------------------------------------------------------------ */

struct ew_cost {
	const char *op;
	uint8_t fpe; /* FLOPs per output element */
	uint8_t boolean;
};

/* Unary: output = input 0 shape. */
static const struct ew_cost unary_ops[] = {
    {"Relu", 1, 0},
    {"LeakyRelu", 2, 0},
    {"Abs", 1, 0},
    {"Neg", 1, 0},
    {"Clip", 2, 0},
    {"Floor", 1, 0},
    {"Ceil", 1, 0},
    {"Round", 1, 0},
    {"Sign", 1, 0},
    {"Reciprocal", 1, 0},
    {"Sqrt", 4, 0},
    {"Exp", 4, 0},
    {"Log", 4, 0},
    {"Sigmoid", 4, 0},
    {"Tanh", 4, 0},
    {"Erf", 4, 0},
    {"Softplus", 4, 0},
    {"Softsign", 3, 0},
    {"Elu", 4, 0},
    {"Selu", 5, 0},
    {"Celu", 5, 0},
    {"ThresholdedRelu", 1, 0},
    {"HardSigmoid", 3, 0},
    {"HardSwish", 4, 0},
    {"Mish", 8, 0},
    {"Sin", 4, 0},
    {"Cos", 4, 0},
    {"Tan", 4, 0},
    {"Asin", 4, 0},
    {"Acos", 4, 0},
    {"Atan", 4, 0},
    {"Sinh", 4, 0},
    {"Cosh", 4, 0},
    {"Gelu", 8, 0},
    {"FastGelu", 8, 0},
    {"QuickGelu", 5, 0},
    {"Not", 1, 1},
    {"IsNaN", 1, 1},
    {"IsInf", 1, 1},
    {"CumSum", 1, 0},
    {"Trilu", 1, 0},
    {"Shrink", 2, 0},
    {"Cast", 0, 0},
    {"CastLike", 0, 0},
    {"QuantizeLinear", 2, 0},
    {"DequantizeLinear", 2, 0},
    {"RotaryEmbedding", 3, 0},
    {"BitwiseNot", 1, 0},
};

/* Broadcasting n-ary: FLOPs = fpe x output elements x (inputs - 1). */
static const struct ew_cost nary_ops[] = {
    {"Add", 1, 0},	  {"Sub", 1, 0},      {"Mul", 1, 0},	     {"Div", 1, 0},
    {"Pow", 4, 0},	  {"Mod", 1, 0},      {"Max", 1, 0},	     {"Min", 1, 0},
    {"Sum", 1, 0},	  {"Mean", 1, 0},     {"PRelu", 2, 0},	     {"Equal", 1, 1},
    {"Less", 1, 1},	  {"Greater", 1, 1},  {"LessOrEqual", 1, 1}, {"GreaterOrEqual", 1, 1},
    {"And", 1, 1},	  {"Or", 1, 1},	      {"Xor", 1, 1},	     {"Where", 1, 0},
    {"BiasGelu", 9, 0},	  {"BitShift", 1, 0}, {"BitwiseAnd", 1, 0},  {"BitwiseOr", 1, 0},
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
			int to_int =
			    o->elem != OX_FLOAT && o->elem != OX_DOUBLE && o->elem != OX_FLOAT16;
			int64_t iv[OX_MAXVALS];
			double fv[OX_MAXVALS];
			for (uint32_t i = 0; i < x->nvals && i < OX_MAXVALS; i++) {
				iv[i] = ival(x, i);
				fv[i] = fval(x, i);
			}
			TC_TRY(to_int ? set_ivals(g, o, iv, x->nvals)
				      : set_fvals(g, o, fv, x->nvals));
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
	o->elem = !strcmp(n->op, "MatMulInteger") ? OX_INT32
		  : qlinear && IN(7)		  ? IN(7)->elem
						  : a->elem;
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
	n->flops =
	    2 * (uint64_t)M * (uint64_t)N * (uint64_t)K + (c ? (uint64_t)M * (uint64_t)N : 0);
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
		int64_t pb = np == 2 * (size_t)sp ? pads[i] : 0,
			pe = np == 2 * (size_t)sp ? pads[i + sp] : 0;
		int64_t v =
		    window_out(x->dims[i + 2], kernel[i], s, d, pb, pe, auto_pad, ceil_mode);
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
	struct ox_tensor *x = IN(0), *w = IN(qlinear ? 3 : 1), *bias = IN(qlinear ? 8 : 2),
			 *o = OUT(0);
	if (!x || !w || !o)
		return 0;
	o->elem = !strcmp(n->op, "ConvInteger") ? OX_INT32
		  : qlinear && IN(7)		? IN(7)->elem
						: x->elem;
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
	/* implicit GEMM per group: (N * out_spatial) x (cout / group), contraction cin_g * kernel
	 */
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
			o->dims[i + 2] = s * (in - 1) + (nop == (size_t)sp ? op[i] : 0) +
					 (k - 1) * d + 1 -
					 (np == 2 * (size_t)sp ? pd[i] + pd[i + sp] : 0);
		kprod = dmul(kprod, k);
		in_sp = dmul(in_sp, in);
	}
	int64_t N = x->dims[0], cin = x->dims[1], cout_g = w->dims[1];
	int64_t outs = numel(o);
	if (N < 0 || cin < 0 || cout_g < 0 || kprod < 0 || in_sp < 0 || outs < 0)
		return 0;
	n->flops =
	    2 * (uint64_t)N * (uint64_t)cin * (uint64_t)in_sp * (uint64_t)cout_g * (uint64_t)kprod +
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

typedef int (*ox_fn)(struct tc_onnx_graph *g, struct ox_node *n);

struct ox_op {
	const char *name;
	ox_fn fn;
	int norm_fpe; /* for do_norm */
};

static int do_norm2(struct tc_onnx_graph *g, struct ox_node *n)
{
	return do_norm(g, n, 2);
}
static int do_norm4(struct tc_onnx_graph *g, struct ox_node *n)
{
	return do_norm(g, n, 4);
}
static int do_norm5(struct tc_onnx_graph *g, struct ox_node *n)
{
	return do_norm(g, n, 5);
}
static int do_norm7(struct tc_onnx_graph *g, struct ox_node *n)
{
	return do_norm(g, n, 7);
}
static int do_squeeze0(struct tc_onnx_graph *g, struct ox_node *n)
{
	return ox_do_squeeze(g, n, 0);
}
static int do_squeeze1(struct tc_onnx_graph *g, struct ox_node *n)
{
	return ox_do_squeeze(g, n, 1);
}

static const struct ox_op ops[] = {
    {"MatMul", do_matmul, 0},
    {"MatMulInteger", do_matmul, 0},
    {"QLinearMatMul", do_matmul, 0},
    {"FusedMatMul", do_matmul, 0},
    {"Gemm", do_gemm, 0},
    {"MatMulNBits", do_matmul_nbits, 0},
    {"Conv", do_conv, 0},
    {"ConvInteger", do_conv, 0},
    {"QLinearConv", do_conv, 0},
    {"FusedConv", do_conv, 0},
    {"ConvTranspose", do_convtranspose, 0},
    {"MaxPool", do_pool, 0},
    {"AveragePool", do_pool, 0},
    {"LpPool", do_pool, 0},
    {"GlobalAveragePool", do_global_pool, 0},
    {"GlobalMaxPool", do_global_pool, 0},
    {"GlobalLpPool", do_global_pool, 0},
    {"BatchNormalization", do_norm2, 0},
    {"LayerNormalization", do_norm7, 0},
    {"SkipLayerNormalization", do_norm7, 0},
    {"SimplifiedLayerNormalization", do_norm4, 0},
    {"SkipSimplifiedLayerNormalization", do_norm4, 0},
    {"RMSNormalization", do_norm4, 0},
    {"InstanceNormalization", do_norm7, 0},
    {"GroupNormalization", do_norm7, 0},
    {"MeanVarianceNormalization", do_norm7, 0},
    {"LpNormalization", do_norm4, 0},
    {"LRN", do_norm2, 0},
    {"Softmax", do_norm5, 0},
    {"LogSoftmax", do_norm5, 0},
    {"Hardmax", do_norm2, 0},
    {"ReduceMean", do_reduce, 0},
    {"ReduceSum", do_reduce, 0},
    {"ReduceMax", do_reduce, 0},
    {"ReduceMin", do_reduce, 0},
    {"ReduceProd", do_reduce, 0},
    {"ReduceL1", do_reduce, 0},
    {"ReduceL2", do_reduce, 0},
    {"ReduceLogSum", do_reduce, 0},
    {"ReduceLogSumExp", do_reduce, 0},
    {"ReduceSumSquare", do_reduce, 0},
    {"ArgMax", do_reduce, 0},
    {"ArgMin", do_reduce, 0},
    {"Reshape", ox_do_reshape, 0},
    {"Flatten", ox_do_flatten, 0},
    {"Squeeze", do_squeeze0, 0},
    {"Unsqueeze", do_squeeze1, 0},
    {"Transpose", ox_do_transpose, 0},
    {"Concat", ox_do_concat, 0},
    {"Split", ox_do_split, 0},
    {"Slice", ox_do_slice, 0},
    {"Gather", ox_do_gather, 0},
    {"GatherElements", ox_do_gather, 0},
    {"Expand", ox_do_expand, 0},
    {"Tile", ox_do_tile, 0},
    {"Pad", ox_do_pad, 0},
    {"Resize", ox_do_resize, 0},
    {"Upsample", ox_do_resize, 0},
    {"Shape", ox_do_shape, 0},
    {"Size", ox_do_shape, 0},
    {"Constant", ox_do_constant, 0},
    {"ConstantOfShape", ox_do_constant_of_shape, 0},
    {"Range", ox_do_range, 0},
    {"TopK", ox_do_topk, 0},
    {"NonZero", ox_do_nonzero, 0},
    {"Identity", ox_do_identity, 0},
    {"Dropout", ox_do_identity, 0},
    {"ScatterND", ox_do_scatter, 0},
    {"ScatterElements", ox_do_scatter, 0},
    {"Scatter", ox_do_scatter, 0},
    {"Einsum", ox_do_einsum, 0},
    {"LSTM", ox_do_rnn, 0},
    {"GRU", ox_do_rnn, 0},
    {"RNN", ox_do_rnn, 0},
    {"MultiHeadAttention", ox_do_mha, 0},
    {"GroupQueryAttention", ox_do_gqa, 0},
    {"EmbedLayerNormalization", ox_do_embed_ln, 0},
    {"DynamicQuantizeLinear", ox_do_dql, 0},
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
		rc = !strcmp(n->domain, "com.microsoft") ? ox_do_ms_attention(g, n)
							 : ox_do_mha(g, n);
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
	int shape_known =
	    (!strcmp(n->op, "Shape") || !strcmp(n->op, "Size")) && OUT(0) && has_vals(OUT(0));
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
	n->dtype = (uint8_t)ox_elem_to_tc(ox_elem_run(g, x0 && x0->elem ? x0->elem
							 : y0		? y0->elem
									: 0));
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
		uint64_t b = ox_tensor_bytes(g, t);
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
		wr += ox_tensor_bytes(g, t);
	}
	n->bytes_read = rd;
	n->bytes_written = wr;
	n->weight_bytes = wb;
	n->has_work = 1;
	return 0;
}

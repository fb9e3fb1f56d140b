/* work.c - FLOPs and bytes of framework operators from their input shapes and dtypes.
 *
 * Conventions (docs/ingest.md has the table):
 *  - a multiply-add is 2 FLOPs; GEMM epilogues (bias, alpha/beta) are not counted;
 *  - bytes read = every tensor input once; bytes written = the output(s) once; caches and
 *    re-reads are the hwmodel's business, not ours;
 *  - backward of attention = 2.5x the forward FLOPs (5 matmuls instead of 2), convolution
 *    backward = 2x (data grad + weight grad), norm backward = 2x the forward;
 *  - elementwise = 1 FLOP per output element, norms 5 (rms_norm 4), softmax 5;
 *  - an input is a tensor when its type string names a dtype ("float", "c10::BFloat16");
 *    "Scalar", "ScalarList", "" and "TensorList" arguments carry no shape.
 * Anything whose shapes are incomplete (a dim < 0, a missing input) is not understood:
 * the function returns 0 and the caller leaves the work unknown rather than wrong.
 */
#include <ctype.h>
#include <string.h>

#include "adapter.h"

enum wk_family {
	WK_NONE,
	WK_MM,	    /* mm, _scaled_mm: A[m,k] B[k,n] */
	WK_ADDMM,   /* addmm: C, A[m,k], B[k,n] */
	WK_BMM,	    /* bmm: A[b,m,k] B[b,k,n] */
	WK_BADDBMM, /* baddbmm, addbmm: C, A[b,m,k], B[b,k,n] */
	WK_MATMUL,  /* matmul: broadcasting */
	WK_LINEAR,  /* linear: X[...,k], W[n,k], bias */
	WK_MV,	    /* mv: M[m,k] v[k]; addmv: bias first */
	WK_ADDMV,
	WK_DOT,
	WK_CONV,
	WK_CONV_BWD,
	WK_SDPA_BHLE, /* q [B,H,L,E] */
	WK_SDPA_BLHE, /* q [B,L,H,E] (flash/efficient kernels' own layout) */
	WK_ELEMENTWISE,
	WK_NORM,
	WK_RMSNORM,
	WK_SOFTMAX,
	WK_EMBEDDING,
	WK_REDUCTION,
	WK_COPY,  /* copy_(dst, src) */
	WK_CLONE, /* one input copied/converted: clone, contiguous, _to_copy, to */
	WK_CAT,
	WK_FILL,
};

struct fam {
	const char *name;
	enum wk_family fam;
};

/* Normalised names (namespace and trailing '_' dropped, lowercase). */
static const struct fam fams[] = {
    {"mm", WK_MM},
    {"_scaled_mm", WK_MM},
    {"scaled_mm", WK_MM},
    {"addmm", WK_ADDMM},
    {"_addmm_activation", WK_ADDMM},
    {"bmm", WK_BMM},
    {"baddbmm", WK_BADDBMM},
    {"addbmm", WK_BADDBMM},
    {"matmul", WK_MATMUL},
    {"linear", WK_LINEAR},
    {"mv", WK_MV},
    {"addmv", WK_ADDMV},
    {"dot", WK_DOT},
    {"vdot", WK_DOT},
    {"convolution", WK_CONV},
    {"_convolution", WK_CONV},
    {"conv1d", WK_CONV},
    {"conv2d", WK_CONV},
    {"conv3d", WK_CONV},
    {"cudnn_convolution", WK_CONV},
    {"miopen_convolution", WK_CONV},
    {"mkldnn_convolution", WK_CONV},
    {"convolution_overrideable", WK_CONV},
    {"convolution_backward", WK_CONV_BWD},
    {"convolution_backward_overrideable", WK_CONV_BWD},
    {"scaled_dot_product_attention", WK_SDPA_BHLE},
    {"_scaled_dot_product_flash_attention", WK_SDPA_BHLE},
    {"_scaled_dot_product_efficient_attention", WK_SDPA_BHLE},
    {"_scaled_dot_product_cudnn_attention", WK_SDPA_BHLE},
    {"_scaled_dot_product_flash_attention_for_cpu", WK_SDPA_BHLE},
    {"_flash_attention_forward", WK_SDPA_BLHE},
    {"_efficient_attention_forward", WK_SDPA_BLHE},
    {"layer_norm", WK_NORM},
    {"native_layer_norm", WK_NORM},
    {"batch_norm", WK_NORM},
    {"native_batch_norm", WK_NORM},
    {"_batch_norm_impl_index", WK_NORM},
    {"cudnn_batch_norm", WK_NORM},
    {"miopen_batch_norm", WK_NORM},
    {"group_norm", WK_NORM},
    {"native_group_norm", WK_NORM},
    {"instance_norm", WK_NORM},
    {"_native_batch_norm_legit", WK_NORM},
    {"_native_batch_norm_legit_no_training", WK_NORM},
    {"rms_norm", WK_RMSNORM},
    {"_fused_rms_norm", WK_RMSNORM},
    {"softmax", WK_SOFTMAX},
    {"_softmax", WK_SOFTMAX},
    {"log_softmax", WK_SOFTMAX},
    {"_log_softmax", WK_SOFTMAX},
    {"_softmax_backward_data", WK_SOFTMAX},
    {"_log_softmax_backward_data", WK_SOFTMAX},
    {"embedding", WK_EMBEDDING},
    {"index_select", WK_EMBEDDING},
    {"sum", WK_REDUCTION},
    {"mean", WK_REDUCTION},
    {"amax", WK_REDUCTION},
    {"amin", WK_REDUCTION},
    {"max", WK_REDUCTION},
    {"min", WK_REDUCTION},
    {"prod", WK_REDUCTION},
    {"norm", WK_REDUCTION},
    {"linalg_vector_norm", WK_REDUCTION},
    {"var", WK_REDUCTION},
    {"std", WK_REDUCTION},
    {"var_mean", WK_REDUCTION},
    {"argmax", WK_REDUCTION},
    {"argmin", WK_REDUCTION},
    {"logsumexp", WK_REDUCTION},
    {"copy", WK_COPY},
    {"clone", WK_CLONE},
    {"contiguous", WK_CLONE},
    {"_to_copy", WK_CLONE},
    {"cat", WK_CAT},
    {"fill", WK_FILL},
    {"zero", WK_FILL},
};

/* Backward variants that share a family: the flag tells the formula to scale. */
static const struct fam bwd_fams[] = {
    {"_scaled_dot_product_flash_attention_backward", WK_SDPA_BHLE},
    {"_scaled_dot_product_efficient_attention_backward", WK_SDPA_BHLE},
    {"_scaled_dot_product_cudnn_attention_backward", WK_SDPA_BHLE},
    {"_flash_attention_backward", WK_SDPA_BLHE},
    {"_efficient_attention_backward", WK_SDPA_BLHE},
    {"native_layer_norm_backward", WK_NORM},
    {"native_batch_norm_backward", WK_NORM},
    {"cudnn_batch_norm_backward", WK_NORM},
    {"miopen_batch_norm_backward", WK_NORM},
    {"native_group_norm_backward", WK_NORM},
    {"_fused_rms_norm_backward", WK_RMSNORM},
};

static const char *const elementwise_names[] = {
    "add",
    "sub",
    "rsub",
    "mul",
    "div",
    "true_divide",
    "neg",
    "abs",
    "exp",
    "log",
    "sqrt",
    "rsqrt",
    "reciprocal",
    "pow",
    "square",
    "sin",
    "cos",
    "tanh",
    "sigmoid",
    "erf",
    "relu",
    "gelu",
    "silu",
    "mish",
    "elu",
    "leaky_relu",
    "hardtanh",
    "hardswish",
    "hardsigmoid",
    "softplus",
    "threshold",
    "clamp",
    "clamp_min",
    "clamp_max",
    "where",
    "masked_fill",
    "addcmul",
    "addcdiv",
    "lerp",
    "maximum",
    "minimum",
    "eq",
    "ne",
    "lt",
    "le",
    "gt",
    "ge",
    "threshold_backward",
    "gelu_backward",
    "silu_backward",
    "sigmoid_backward",
    "tanh_backward",
    "relu6",
    "native_dropout",
    "dropout",
    "logical_not",
    "bitwise_not",
    "floor",
    "ceil",
    "round",
    "sign",
    "exp2",
    "expm1",
    "log1p",
    "log2",
    "nan_to_num",
    "leaky_relu_backward",
    "hardtanh_backward",
    "native_dropout_backward",
    "mul_scalar",
};

static int64_t numel_of(const struct tc_shape *s)
{
	int64_t n = 1;
	if (!s)
		return -1;
	for (uint32_t i = 0; i < s->rank; i++) {
		if (s->dims[i] < 0)
			return -1;
		if (s->dims[i] != 0 && n > INT64_MAX / s->dims[i])
			return -1;
		n *= s->dims[i];
	}
	return n;
}

struct wk_in {
	const struct tc_shape *shapes;
	const uint8_t *dtypes;
	size_t n;
};

static int is_tensor(const struct wk_in *in, size_t i)
{
	return i < in->n && (in->dtypes ? in->dtypes[i] != TC_DT_UNKNOWN : in->shapes[i].rank > 0);
}

static unsigned esize(const struct wk_in *in, size_t i)
{
	unsigned s = in->dtypes && i < in->n ? tc_dtype_size(in->dtypes[i]) : 0;
	return s ? s : 4; /* unknown dtype: assume 4 bytes, the PyTorch default float */
}

static uint64_t tbytes(const struct wk_in *in, size_t i)
{
	int64_t n;
	if (!is_tensor(in, i) || (n = numel_of(&in->shapes[i])) < 0)
		return 0;
	return (uint64_t)n * esize(in, i);
}

static uint64_t all_tensor_bytes(const struct wk_in *in)
{
	uint64_t b = 0;
	for (size_t i = 0; i < in->n; i++)
		b += tbytes(in, i);
	return b;
}

static void set_dtype(const struct wk_in *in, size_t i, struct tc_work *w)
{
	w->dtype = (in->dtypes && i < in->n) ? in->dtypes[i] : TC_DT_UNKNOWN;
}

/* Normalise: drop "aten::"-style namespaces; keep leading '_' (they tell variants apart)
 * but also try without; drop one trailing '_' (in-place). */
static void norm_name(const char *name, char *buf, size_t cap, int *inplace)
{
	const char *p = name, *q;
	size_t n;
	while ((q = strstr(p, "::")) != NULL)
		p = q + 2;
	n = strlen(p);
	if (n >= cap)
		n = cap - 1;
	for (size_t i = 0; i < n; i++)
		buf[i] = (char)tolower((unsigned char)p[i]);
	buf[n] = '\0';
	*inplace = 0;
	if (n > 1 && buf[n - 1] == '_') {
		buf[n - 1] = '\0';
		*inplace = 1;
	}
}

static int gemm_fill(struct tc_work *w, int64_t b, int64_t m, int64_t n, int64_t k, uint64_t read,
		     unsigned osz)
{
	if (b < 0 || m < 0 || n < 0 || k < 0)
		return 0;
	w->batch = b;
	w->m = m;
	w->n = n;
	w->k = k;
	w->flops = 2ull * (uint64_t)b * (uint64_t)m * (uint64_t)n * (uint64_t)k;
	w->bytes_read = read;
	w->bytes_written = (uint64_t)b * (uint64_t)m * (uint64_t)n * osz;
	return 1;
}

static int64_t prod_range(const struct tc_shape *s, uint32_t from, uint32_t to)
{
	int64_t p = 1;
	for (uint32_t i = from; i < to && i < s->rank; i++) {
		if (s->dims[i] < 0 || __builtin_mul_overflow(p, s->dims[i], &p))
			return -1;
	}
	return p;
}

static int work_matmul(const struct wk_in *in, size_t a, size_t bi, size_t extra, struct tc_work *w)
{
	const struct tc_shape *A = &in->shapes[a], *B = &in->shapes[bi];
	int64_t m, k, n, batch;
	uint64_t read = tbytes(in, a) + tbytes(in, bi) + (extra < in->n ? tbytes(in, extra) : 0);
	if (A->rank == 0 || B->rank == 0)
		return 0;
	if (A->rank == 1) {
		m = 1;
		k = A->dims[0];
	} else {
		m = A->dims[A->rank - 2];
		k = A->dims[A->rank - 1];
	}
	if (B->rank == 1) {
		n = 1;
		if (B->dims[0] != k)
			return 0;
	} else {
		n = B->dims[B->rank - 1];
		if (B->dims[B->rank - 2] != k)
			return 0;
	}
	int64_t ba = A->rank > 2 ? prod_range(A, 0, A->rank - 2) : 1;
	int64_t bb = B->rank > 2 ? prod_range(B, 0, B->rank - 2) : 1;
	batch = ba > bb ? ba : bb; /* broadcast: the larger batch is the output's */
	set_dtype(in, a, w);
	return gemm_fill(w, batch, m, n, k, read, esize(in, a));
}

int tc_work_of_conv(const struct tc_shape *x, const struct tc_shape *wt, uint8_t dtype,
		    const struct tc_conv_params *p, struct tc_work *work)
{
	unsigned sz = tc_dtype_size(dtype) ? tc_dtype_size(dtype) : 4;
	uint32_t nsp;
	int64_t N, C, K, cg, ksz = 1, out_sp = 1, in_sp = 1;

	if (!x || !wt || x->rank < 3 || wt->rank != x->rank || x->rank > 5)
		return 0;
	nsp = x->rank - 2;
	if (numel_of(x) < 0 || numel_of(wt) < 0)
		return 0;
	N = x->dims[0];
	C = x->dims[1];
	int transposed = p && p->transposed;
	if (!transposed) {
		K = wt->dims[0];
		cg = wt->dims[1]; /* C / groups */
	} else {
		K = wt->dims[1]; /* K / groups, per group; total output channels = K * groups */
		cg = wt->dims[0];
	}
	if (cg <= 0 || C % cg != 0)
		return 0;
	for (uint32_t i = 0; i < nsp; i++) {
		int64_t H = x->dims[2 + i], R = wt->dims[2 + i], o;
		int64_t s = 1, d = 1, pad = -1, op = 0;
		const int64_t lim = (int64_t)1 << 30; /* geometry beyond this is not a real conv */
		if (H > lim || R > lim)
			return 0;
		if (p && p->n_spatial > 0) {
			int j =
			    (int)i < p->n_spatial ? (int)i : p->n_spatial - 1; /* [2] means all */
			s = p->stride[j] > 0 ? p->stride[j] : 1;
			d = p->dilation[j] > 0 ? p->dilation[j] : 1;
			pad = p->pad[j];
			op = p->output_pad[j];
			if (s > lim || d > lim || pad > lim || op > lim || op < 0)
				return 0;
		}
		if (pad < 0)
			pad = d * (R - 1) / 2; /* unknown: "same" padding */
		if (!transposed)
			o = (H + 2 * pad - d * (R - 1) - 1) / s + 1;
		else
			o = (H - 1) * s - 2 * pad + d * (R - 1) + op + 1;
		if (o <= 0 || __builtin_mul_overflow(ksz, R, &ksz) ||
		    __builtin_mul_overflow(out_sp, o, &out_sp) ||
		    __builtin_mul_overflow(in_sp, H, &in_sp))
			return 0;
	}
	int64_t tmp;
	if (__builtin_mul_overflow(N, out_sp, &tmp) || __builtin_mul_overflow(N, in_sp, &tmp) ||
	    __builtin_mul_overflow(cg, ksz, &tmp) || __builtin_mul_overflow(C, ksz, &tmp) ||
	    __builtin_mul_overflow(K, C / cg, &tmp))
		return 0;
	memset(work, 0, sizeof(*work));
	work->dtype = dtype;
	if (!transposed) {
		/* every output pixel of every output channel: C/g x kernel MACs */
		work->flops = 2ull * (uint64_t)N * (uint64_t)K * (uint64_t)cg * (uint64_t)ksz *
			      (uint64_t)out_sp;
		work->bytes_written = (uint64_t)N * (uint64_t)K * (uint64_t)out_sp * sz;
		work->m = N * out_sp;
		work->n = K;
		work->k = cg * ksz;
	} else {
		/* every input pixel scatters into K/g x kernel outputs */
		int64_t groups = C / cg;
		work->flops = 2ull * (uint64_t)N * (uint64_t)C * (uint64_t)K * (uint64_t)ksz *
			      (uint64_t)in_sp;
		work->bytes_written = (uint64_t)N * (uint64_t)(K * groups) * (uint64_t)out_sp * sz;
		work->m = N * in_sp;
		work->n = K;
		work->k = C * ksz;
	}
	work->batch = 1;
	work->bytes_read = ((uint64_t)numel_of(x) + (uint64_t)numel_of(wt)) * sz;
	return 1;
}

static int work_sdpa(const struct wk_in *in, int blhe, int backward, struct tc_work *w)
{
	size_t qi = backward ? 1 : 0; /* backward: grad_out first, then q, k, v */
	const struct tc_shape *q, *k, *v;
	int64_t B, H, L, S, E, Ev;
	if (in->n < qi + 3)
		return 0;
	q = &in->shapes[qi];
	k = &in->shapes[qi + 1];
	v = &in->shapes[qi + 2];
	if (q->rank < 3 || k->rank != q->rank || v->rank != q->rank || q->rank > 4)
		return 0;
	if (numel_of(q) < 0 || numel_of(k) < 0 || numel_of(v) < 0)
		return 0;
	if (q->rank == 3) { /* [B*H, L, E] */
		B = q->dims[0];
		H = 1;
		L = q->dims[1];
		S = k->dims[1];
	} else if (!blhe) {
		B = q->dims[0];
		H = q->dims[1];
		L = q->dims[2];
		S = k->dims[2];
	} else {
		B = q->dims[0];
		L = q->dims[1];
		H = q->dims[2];
		S = k->dims[1];
	}
	E = q->dims[q->rank - 1];
	Ev = v->dims[v->rank - 1];
	uint64_t fwd = 2ull * (uint64_t)(B * H) * (uint64_t)L * (uint64_t)S * (uint64_t)(E + Ev);
	uint64_t qkv = tbytes(in, qi) + tbytes(in, qi + 1) + tbytes(in, qi + 2);
	uint64_t out = (uint64_t)(B * H) * (uint64_t)L * (uint64_t)Ev * esize(in, qi);
	memset(w, 0, sizeof(*w));
	set_dtype(in, qi, w);
	w->batch = B * H;
	w->m = L;
	w->n = S;
	w->k = E;
	if (!backward) {
		w->flops = fwd;
		w->bytes_read = qkv;
		w->bytes_written = out;
	} else {
		w->flops = fwd * 5 / 2;
		w->bytes_read = qkv + 2 * out; /* + grad_out and out */
		w->bytes_written = qkv;	       /* dq, dk, dv */
	}
	return 1;
}

static int first_tensor(const struct wk_in *in, size_t *idx)
{
	for (size_t i = 0; i < in->n; i++)
		if (is_tensor(in, i) && numel_of(&in->shapes[i]) >= 0) {
			*idx = i;
			return 1;
		}
	return 0;
}

/* GEMM-like families: matmuls, linear, dot. */
static int work_gemm(enum wk_family fam, const struct wk_in *in, struct tc_work *w)
{
	switch (fam) {
	case WK_MM:
		return in->n >= 2 && in->shapes[0].rank == 2 && in->shapes[1].rank == 2 &&
		       work_matmul(in, 0, 1, SIZE_MAX, w);
	case WK_ADDMM:
		return in->n >= 3 && in->shapes[1].rank == 2 && in->shapes[2].rank == 2 &&
		       work_matmul(in, 1, 2, 0, w);
	case WK_BMM:
		return in->n >= 2 && in->shapes[0].rank == 3 && in->shapes[1].rank == 3 &&
		       work_matmul(in, 0, 1, SIZE_MAX, w);
	case WK_BADDBMM:
		if (in->n < 3 || in->shapes[1].rank != 3 || in->shapes[2].rank != 3 ||
		    !work_matmul(in, 1, 2, 0, w))
			return 0;
		return 1;
	case WK_MATMUL:
		return in->n >= 2 && work_matmul(in, 0, 1, SIZE_MAX, w);
	case WK_MV:
		return in->n >= 2 && in->shapes[0].rank == 2 && in->shapes[1].rank == 1 &&
		       work_matmul(in, 0, 1, SIZE_MAX, w);
	case WK_ADDMV:
		return in->n >= 3 && in->shapes[1].rank == 2 && in->shapes[2].rank == 1 &&
		       work_matmul(in, 1, 2, 0, w);
	case WK_DOT:
		if (in->n < 2 || in->shapes[0].rank != 1 || in->shapes[1].rank != 1)
			return 0;
		set_dtype(in, 0, w);
		return gemm_fill(w, 1, 1, 1, in->shapes[0].dims[0], tbytes(in, 0) + tbytes(in, 1),
				 esize(in, 0));
	case WK_LINEAR: {
		const struct tc_shape *X, *W;
		if (in->n < 2)
			return 0;
		X = &in->shapes[0];
		W = &in->shapes[1];
		if (X->rank < 1 || W->rank != 2 || X->dims[X->rank - 1] != W->dims[1])
			return 0;
		int64_t m = prod_range(X, 0, X->rank - 1);
		set_dtype(in, 0, w);
		return gemm_fill(w, 1, m, W->dims[0], W->dims[1],
				 tbytes(in, 0) + tbytes(in, 1) + (in->n > 2 ? tbytes(in, 2) : 0),
				 esize(in, 0));
	}
	default:
		return 0;
	}
}

/* Convolution backward: (grad_out[N,K,Ho..], input[N,C,H..], weight[K,C/g,R..], ...): the
 * output geometry is in grad_out, so no stride guess is needed. */
static int work_conv_bwd(const struct wk_in *in, struct tc_work *w)
{
	const struct tc_shape *go, *x, *wt;
	if (in->n < 3)
		return 0;
	go = &in->shapes[0];
	x = &in->shapes[1];
	wt = &in->shapes[2];
	if (x->rank < 3 || go->rank != x->rank || wt->rank != x->rank || numel_of(go) < 0 ||
	    numel_of(x) < 0 || numel_of(wt) < 0 || wt->dims[1] <= 0)
		return 0;
	int64_t outsp = prod_range(go, 2, go->rank), ksz = prod_range(wt, 2, wt->rank);
	uint64_t fwd = 2ull * (uint64_t)go->dims[0] * (uint64_t)go->dims[1] *
		       (uint64_t)wt->dims[1] * (uint64_t)ksz * (uint64_t)outsp;
	set_dtype(in, 0, w);
	w->flops = 2 * fwd; /* data grad + weight grad */
	w->bytes_read = tbytes(in, 0) + tbytes(in, 1) + tbytes(in, 2);
	w->bytes_written = tbytes(in, 1) + tbytes(in, 2);
	w->m = go->dims[0] * outsp;
	w->n = go->dims[1];
	w->k = wt->dims[1] * ksz;
	w->batch = 1;
	return 1;
}

/* Elementwise: the largest tensor is the output. */
static int work_elementwise(const struct wk_in *in, struct tc_work *w)
{
	int64_t out = -1, n;
	size_t oi = 0;
	for (size_t i = 0; i < in->n; i++) {
		if (!is_tensor(in, i))
			continue;
		if ((n = numel_of(&in->shapes[i])) < 0)
			return 0;
		if (n > out) {
			out = n;
			oi = i;
		}
	}
	if (out < 0)
		return 0;
	set_dtype(in, oi, w);
	w->flops = (uint64_t)out;
	w->bytes_read = all_tensor_bytes(in);
	w->bytes_written = (uint64_t)out * esize(in, oi);
	return 1;
}

/* Memory-bound families: norms and softmax, embedding, reduction, copies, fill. */
static int work_memory(enum wk_family fam, int backward, const struct wk_in *in, struct tc_work *w)
{
	size_t t;
	int64_t n;
	switch (fam) {
	case WK_NORM:
	case WK_RMSNORM:
	case WK_SOFTMAX:
		if (!first_tensor(in, &t))
			return 0;
		if (backward && fam != WK_SOFTMAX && in->n > 1 && is_tensor(in, 1))
			t = 1; /* (grad_out, input, ...): the input sets the size; same numel */
		n = numel_of(&in->shapes[t]);
		set_dtype(in, t, w);
		w->flops = (uint64_t)n * (fam == WK_RMSNORM ? 4u : 5u) * (backward ? 2u : 1u);
		w->bytes_read = all_tensor_bytes(in);
		w->bytes_written = (uint64_t)n * esize(in, t);
		return 1;
	case WK_EMBEDDING: {
		/* embedding(weight[V,D], indices[...]); index_select(self, dim, index) */
		const struct tc_shape *W = &in->shapes[0];
		size_t ii = in->n > 1 && is_tensor(in, 1) ? 1 : 2;
		if (in->n <= ii || W->rank != 2 || numel_of(&in->shapes[ii]) < 0)
			return 0;
		int64_t nidx = numel_of(&in->shapes[ii]);
		uint64_t rows = (uint64_t)nidx * (uint64_t)W->dims[1] * esize(in, 0);
		set_dtype(in, 0, w);
		w->bytes_read = rows + tbytes(in, ii);
		w->bytes_written = rows;
		return 1;
	}
	case WK_REDUCTION:
		if (!first_tensor(in, &t))
			return 0;
		set_dtype(in, t, w);
		w->flops = (uint64_t)numel_of(&in->shapes[t]);
		w->bytes_read = tbytes(in, t);
		w->bytes_written = esize(in, t); /* output size unknown: counted as one element */
		return 1;
	case WK_COPY: /* copy_(dst, src) */
		if (in->n < 2 || !is_tensor(in, 0) || !is_tensor(in, 1) ||
		    numel_of(&in->shapes[0]) < 0 || numel_of(&in->shapes[1]) < 0)
			return 0;
		set_dtype(in, 0, w);
		w->bytes_read = tbytes(in, 1);
		w->bytes_written = tbytes(in, 0);
		return 1;
	case WK_CLONE:
		if (!first_tensor(in, &t))
			return 0;
		set_dtype(in, t, w);
		w->bytes_read = tbytes(in, t);
		w->bytes_written = tbytes(in, t);
		return 1;
	case WK_CAT: {
		uint64_t b = 0;
		for (size_t i = 0; i < in->n; i++)
			b += tbytes(in, i);
		if (b == 0)
			return 0; /* TensorList inputs: shapes not recorded */
		first_tensor(in, &t);
		set_dtype(in, t, w);
		w->bytes_read = b;
		w->bytes_written = b;
		return 1;
	}
	case WK_FILL:
		if (!first_tensor(in, &t))
			return 0;
		set_dtype(in, t, w);
		w->bytes_written = tbytes(in, t);
		return 1;
	default:
		return 0;
	}
}

static int work_family(enum wk_family fam, int backward, int inplace, const struct wk_in *in,
		       const struct tc_conv_params *cp, struct tc_work *w)
{
	memset(w, 0, sizeof(*w));
	(void)inplace;
	switch (fam) {
	case WK_MM:
	case WK_ADDMM:
	case WK_BMM:
	case WK_BADDBMM:
	case WK_MATMUL:
	case WK_MV:
	case WK_ADDMV:
	case WK_DOT:
	case WK_LINEAR:
		return work_gemm(fam, in, w);
	case WK_CONV:
		if (in->n < 2 ||
		    !tc_work_of_conv(&in->shapes[0], &in->shapes[1],
				     in->dtypes ? in->dtypes[0] : TC_DT_UNKNOWN, cp, w))
			return 0;
		if (in->n > 2)
			w->bytes_read += tbytes(in, 2); /* bias */
		return 1;
	case WK_CONV_BWD:
		return work_conv_bwd(in, w);
	case WK_SDPA_BHLE:
	case WK_SDPA_BLHE:
		return work_sdpa(in, fam == WK_SDPA_BLHE, backward, w);
	case WK_ELEMENTWISE:
		return work_elementwise(in, w);
	case WK_NONE:
		return 0;
	default:
		return work_memory(fam, backward, in, w);
	}
}

static enum wk_family lookup(const char *buf, int *backward)
{
	*backward = 0;
	for (size_t i = 0; i < TC_ARRAY_LEN(fams); i++)
		if (strcmp(buf, fams[i].name) == 0)
			return fams[i].fam;
	for (size_t i = 0; i < TC_ARRAY_LEN(bwd_fams); i++)
		if (strcmp(buf, bwd_fams[i].name) == 0) {
			*backward = 1;
			return bwd_fams[i].fam;
		}
	for (size_t i = 0; i < TC_ARRAY_LEN(elementwise_names); i++)
		if (strcmp(buf, elementwise_names[i]) == 0)
			return WK_ELEMENTWISE;
	return WK_NONE;
}

int tc_work_of_op_conv(const char *name, const struct tc_shape *shapes, size_t n_shapes,
		       const uint8_t *dtypes, const struct tc_conv_params *p, struct tc_work *work)
{
	char buf[128];
	int inplace, backward;
	enum wk_family fam;
	struct tc_work w;
	struct wk_in in = {shapes, dtypes, n_shapes};

	if (!name || !work || (n_shapes && !shapes))
		return 0;
	norm_name(name, buf, sizeof(buf), &inplace);
	fam = lookup(buf, &backward);
	if (fam == WK_NONE && buf[0] == '_')
		fam = lookup(buf + 1, &backward);
	if (fam == WK_NONE)
		return 0;
	if (!work_family(fam, backward, inplace, &in, p, &w))
		return 0;
	*work = w;
	return 1;
}

int tc_work_key(const char *name)
{
	char buf[128];
	int inplace, backward;
	enum wk_family fam;
	if (!name)
		return 0;
	norm_name(name, buf, sizeof(buf), &inplace);
	fam = lookup(buf, &backward);
	if (fam == WK_NONE && buf[0] == '_')
		fam = lookup(buf + 1, &backward);
	if (fam == WK_NONE)
		return 0;
	return (int)fam | backward << 8 | inplace << 9;
}

int tc_work_of_key(int key, const struct tc_shape *shapes, size_t n_shapes, const uint8_t *dtypes,
		   const struct tc_conv_params *p, struct tc_work *work)
{
	struct tc_work w;
	struct wk_in in = {shapes, dtypes, n_shapes};
	if (!key || !work || (n_shapes && !shapes))
		return 0;
	if (!work_family((enum wk_family)(key & 0xff), (key >> 8) & 1, (key >> 9) & 1, &in, p, &w))
		return 0;
	*work = w;
	return 1;
}

int tc_work_of_op(const char *name, const struct tc_shape *shapes, size_t n_shapes,
		  const uint8_t *dtypes, struct tc_work *work)
{
	return tc_work_of_op_conv(name, shapes, n_shapes, dtypes, NULL, work);
}

/* opclass.c - THE classification table: op class of framework operators (aten) and ONNX op
 * types, op class of GPU kernels from their names, collective kinds, dtypes from type
 * strings. Every adapter uses these; docs/ingest.md lists the rules.
 *
 * Names are matched on a normalised form (lowercase, namespace and autograd decorations
 * stripped) so "aten::addmm", "AddmmBackward0" and "autograd::engine::evaluate_function:
 * AddmmBackward0" all land on "addmm". ONNX op types are matched case-sensitively first,
 * because "Sum"/"Max"/"Min"/"Mean" are variadic elementwise ops in ONNX but reductions in
 * aten ("aten::sum").
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "ingest.h"

#define NAME_MAX_NORM 256

struct rule {
	const char *pat;
	unsigned cls;
};

/* ONNX op types (case-sensitive, exact). com.microsoft contrib ops included. */
static const struct rule onnx_exact[] = {
    {"MatMul", TC_CLASS_GEMM},
    {"Gemm", TC_CLASS_GEMM},
    {"MatMulInteger", TC_CLASS_GEMM},
    {"QLinearMatMul", TC_CLASS_GEMM},
    {"FusedMatMul", TC_CLASS_GEMM},
    {"MatMulNBits", TC_CLASS_GEMM},
    {"Einsum", TC_CLASS_GEMM},
    {"Conv", TC_CLASS_CONV},
    {"ConvTranspose", TC_CLASS_CONV},
    {"ConvInteger", TC_CLASS_CONV},
    {"QLinearConv", TC_CLASS_CONV},
    {"FusedConv", TC_CLASS_CONV},
    {"NhwcConv", TC_CLASS_CONV},
    {"MaxPool", TC_CLASS_REDUCTION},
    {"AveragePool", TC_CLASS_REDUCTION},
    {"GlobalAveragePool", TC_CLASS_REDUCTION},
    {"GlobalMaxPool", TC_CLASS_REDUCTION},
    {"LpPool", TC_CLASS_REDUCTION},
    {"MaxRoiPool", TC_CLASS_REDUCTION},
    {"BatchNormalization", TC_CLASS_NORM},
    {"LayerNormalization", TC_CLASS_NORM},
    {"InstanceNormalization", TC_CLASS_NORM},
    {"GroupNormalization", TC_CLASS_NORM},
    {"SkipLayerNormalization", TC_CLASS_NORM},
    {"SimplifiedLayerNormalization", TC_CLASS_NORM},
    {"SkipSimplifiedLayerNormalization", TC_CLASS_NORM},
    {"RMSNormalization", TC_CLASS_NORM},
    {"LRN", TC_CLASS_NORM},
    {"MeanVarianceNormalization", TC_CLASS_NORM},
    {"LpNormalization", TC_CLASS_NORM},
    {"Softmax", TC_CLASS_SOFTMAX},
    {"LogSoftmax", TC_CLASS_SOFTMAX},
    {"Hardmax", TC_CLASS_SOFTMAX},
    {"Attention", TC_CLASS_ATTENTION},
    {"MultiHeadAttention", TC_CLASS_ATTENTION},
    {"GroupQueryAttention", TC_CLASS_ATTENTION},
    {"PackedAttention", TC_CLASS_ATTENTION},
    {"PackedMultiHeadAttention", TC_CLASS_ATTENTION},
    {"SparseAttention", TC_CLASS_ATTENTION},
    {"DecoderMaskedMultiHeadAttention", TC_CLASS_ATTENTION},
    {"DecoderMaskedSelfAttention", TC_CLASS_ATTENTION},
    {"LongformerAttention", TC_CLASS_ATTENTION},
    {"Gather", TC_CLASS_EMBEDDING},
    {"EmbedLayerNormalization", TC_CLASS_EMBEDDING},
    {"GatherElements", TC_CLASS_COPY},
    {"GatherND", TC_CLASS_COPY},
    {"Sum", TC_CLASS_ELEMENTWISE},
    {"Max", TC_CLASS_ELEMENTWISE},
    {"Min", TC_CLASS_ELEMENTWISE},
    {"Mean", TC_CLASS_ELEMENTWISE},
    {"FastGelu", TC_CLASS_ELEMENTWISE},
    {"BiasGelu", TC_CLASS_ELEMENTWISE},
    {"QuickGelu", TC_CLASS_ELEMENTWISE},
    {"RotaryEmbedding", TC_CLASS_ELEMENTWISE},
    {"BiasAdd", TC_CLASS_ELEMENTWISE},
    {"BiasDropout", TC_CLASS_ELEMENTWISE},
    {"BiasSplitGelu", TC_CLASS_ELEMENTWISE},
    {"Reshape", TC_CLASS_COPY},
    {"Transpose", TC_CLASS_COPY},
    {"Concat", TC_CLASS_COPY},
    {"Split", TC_CLASS_COPY},
    {"Slice", TC_CLASS_COPY},
    {"Squeeze", TC_CLASS_COPY},
    {"Unsqueeze", TC_CLASS_COPY},
    {"Flatten", TC_CLASS_COPY},
    {"Expand", TC_CLASS_COPY},
    {"Tile", TC_CLASS_COPY},
    {"Pad", TC_CLASS_COPY},
    {"Identity", TC_CLASS_COPY},
    {"DepthToSpace", TC_CLASS_COPY},
    {"SpaceToDepth", TC_CLASS_COPY},
    {"ScatterND", TC_CLASS_COPY},
    {"Scatter", TC_CLASS_COPY},
    {"ScatterElements", TC_CLASS_COPY},
    {"ConstantOfShape", TC_CLASS_MEMSET},
};

/* Normalised aten / generic names (exact). */
static const struct rule op_exact[] = {
    /* gemm */
    {"mm", TC_CLASS_GEMM},
    {"addmm", TC_CLASS_GEMM},
    {"bmm", TC_CLASS_GEMM},
    {"baddbmm", TC_CLASS_GEMM},
    {"addbmm", TC_CLASS_GEMM},
    {"matmul", TC_CLASS_GEMM},
    {"linear", TC_CLASS_GEMM},
    {"addmv", TC_CLASS_GEMM},
    {"mv", TC_CLASS_GEMM},
    {"dot", TC_CLASS_GEMM},
    {"vdot", TC_CLASS_GEMM},
    {"einsum", TC_CLASS_GEMM},
    {"gemm", TC_CLASS_GEMM},
    {"scaled_mm", TC_CLASS_GEMM},
    {"addmm_activation", TC_CLASS_GEMM},
    {"mkldnn_linear", TC_CLASS_GEMM},
    {"t", TC_CLASS_COPY},
    {"grouped_mm", TC_CLASS_GEMM},
    /* conv */
    {"convolution", TC_CLASS_CONV},
    {"conv1d", TC_CLASS_CONV},
    {"conv2d", TC_CLASS_CONV},
    {"conv3d", TC_CLASS_CONV},
    {"cudnn_convolution", TC_CLASS_CONV},
    {"cudnn_convolution_transpose", TC_CLASS_CONV},
    {"conv_transpose1d", TC_CLASS_CONV},
    {"conv_transpose2d", TC_CLASS_CONV},
    {"conv_transpose3d", TC_CLASS_CONV},
    {"miopen_convolution", TC_CLASS_CONV},
    {"mkldnn_convolution", TC_CLASS_CONV},
    {"convolution_overrideable", TC_CLASS_CONV},
    {"conv", TC_CLASS_CONV},
    {"convtranspose", TC_CLASS_CONV},
    {"slow_conv2d_forward", TC_CLASS_CONV},
    {"cudnn_convolution_relu", TC_CLASS_CONV},
    {"cudnn_convolution_add_relu", TC_CLASS_CONV},
    /* attention */
    {"scaled_dot_product_attention", TC_CLASS_ATTENTION},
    {"scaled_dot_product_flash_attention", TC_CLASS_ATTENTION},
    {"scaled_dot_product_efficient_attention", TC_CLASS_ATTENTION},
    {"scaled_dot_product_cudnn_attention", TC_CLASS_ATTENTION},
    {"scaled_dot_product_attention_math", TC_CLASS_ATTENTION},
    {"flash_attention_forward", TC_CLASS_ATTENTION},
    {"flash_attention", TC_CLASS_ATTENTION},
    {"efficient_attention_forward", TC_CLASS_ATTENTION},
    {"native_multi_head_attention", TC_CLASS_ATTENTION},
    {"multi_head_attention_forward", TC_CLASS_ATTENTION},
    /* norms */
    {"layer_norm", TC_CLASS_NORM},
    {"native_layer_norm", TC_CLASS_NORM},
    {"batch_norm", TC_CLASS_NORM},
    {"native_batch_norm", TC_CLASS_NORM},
    {"batch_norm_impl_index", TC_CLASS_NORM},
    {"cudnn_batch_norm", TC_CLASS_NORM},
    {"miopen_batch_norm", TC_CLASS_NORM},
    {"group_norm", TC_CLASS_NORM},
    {"native_group_norm", TC_CLASS_NORM},
    {"instance_norm", TC_CLASS_NORM},
    {"rms_norm", TC_CLASS_NORM},
    {"fused_rms_norm", TC_CLASS_NORM},
    {"local_response_norm", TC_CLASS_NORM},
    {"fused_layer_norm", TC_CLASS_NORM},
    /* softmax */
    {"softmax", TC_CLASS_SOFTMAX},
    {"log_softmax", TC_CLASS_SOFTMAX},
    {"softmax_backward", TC_CLASS_SOFTMAX},
    {"log_softmax_backward", TC_CLASS_SOFTMAX},
    {"logsoftmax", TC_CLASS_SOFTMAX},
    {"masked_softmax", TC_CLASS_SOFTMAX},
    /* embedding */
    {"embedding", TC_CLASS_EMBEDDING},
    {"embedding_bag", TC_CLASS_EMBEDDING},
    {"embedding_dense", TC_CLASS_EMBEDDING},
    {"embedding_renorm", TC_CLASS_EMBEDDING},
    {"gather", TC_CLASS_EMBEDDING},
    {"index_select", TC_CLASS_EMBEDDING},
    /* reductions and pooling */
    {"sum", TC_CLASS_REDUCTION},
    {"mean", TC_CLASS_REDUCTION},
    {"max", TC_CLASS_REDUCTION},
    {"min", TC_CLASS_REDUCTION},
    {"amax", TC_CLASS_REDUCTION},
    {"amin", TC_CLASS_REDUCTION},
    {"prod", TC_CLASS_REDUCTION},
    {"norm", TC_CLASS_REDUCTION},
    {"linalg_vector_norm", TC_CLASS_REDUCTION},
    {"var", TC_CLASS_REDUCTION},
    {"std", TC_CLASS_REDUCTION},
    {"var_mean", TC_CLASS_REDUCTION},
    {"std_mean", TC_CLASS_REDUCTION},
    {"argmax", TC_CLASS_REDUCTION},
    {"argmin", TC_CLASS_REDUCTION},
    {"cumsum", TC_CLASS_REDUCTION},
    {"topk", TC_CLASS_REDUCTION},
    {"all", TC_CLASS_REDUCTION},
    {"any", TC_CLASS_REDUCTION},
    {"logsumexp", TC_CLASS_REDUCTION},
    {"nll_loss", TC_CLASS_REDUCTION},
    {"nll_loss_forward", TC_CLASS_REDUCTION},
    {"nll_loss_nd", TC_CLASS_REDUCTION},
    {"cross_entropy_loss", TC_CLASS_REDUCTION},
    {"mse_loss", TC_CLASS_REDUCTION},
    {"binary_cross_entropy", TC_CLASS_REDUCTION},
    {"binary_cross_entropy_with_logits", TC_CLASS_REDUCTION},
    {"max_pool2d", TC_CLASS_REDUCTION},
    {"max_pool2d_with_indices", TC_CLASS_REDUCTION},
    {"max_pool1d", TC_CLASS_REDUCTION},
    {"max_pool3d", TC_CLASS_REDUCTION},
    {"avg_pool2d", TC_CLASS_REDUCTION},
    {"avg_pool1d", TC_CLASS_REDUCTION},
    {"adaptive_avg_pool2d", TC_CLASS_REDUCTION},
    {"adaptive_avg_pool1d", TC_CLASS_REDUCTION},
    {"adaptive_max_pool2d", TC_CLASS_REDUCTION},
    {"reducemean", TC_CLASS_REDUCTION},
    {"reducesum", TC_CLASS_REDUCTION},
    {"reducemax", TC_CLASS_REDUCTION},
    {"reducemin", TC_CLASS_REDUCTION},
    {"reduceprod", TC_CLASS_REDUCTION},
    {"reducel1", TC_CLASS_REDUCTION},
    {"reducel2", TC_CLASS_REDUCTION},
    {"reducelogsum", TC_CLASS_REDUCTION},
    {"reducelogsumexp", TC_CLASS_REDUCTION},
    {"reducesumsquare", TC_CLASS_REDUCTION},
    {"cumprod", TC_CLASS_REDUCTION},
    /* copies and layout */
    {"copy", TC_CLASS_COPY},
    {"to", TC_CLASS_COPY},
    {"to_copy", TC_CLASS_COPY},
    {"clone", TC_CLASS_COPY},
    {"contiguous", TC_CLASS_COPY},
    {"cat", TC_CLASS_COPY},
    {"concat", TC_CLASS_COPY},
    {"stack", TC_CLASS_COPY},
    {"index", TC_CLASS_COPY},
    {"index_put", TC_CLASS_COPY},
    {"index_add", TC_CLASS_COPY},
    {"scatter", TC_CLASS_COPY},
    {"scatter_add", TC_CLASS_COPY},
    {"repeat", TC_CLASS_COPY},
    {"pad", TC_CLASS_COPY},
    {"constant_pad_nd", TC_CLASS_COPY},
    {"reshape", TC_CLASS_COPY},
    {"transpose", TC_CLASS_COPY},
    {"permute", TC_CLASS_COPY},
    {"flatten", TC_CLASS_COPY},
    {"cast", TC_CLASS_COPY},
    {"masked_select", TC_CLASS_COPY},
    {"nonzero", TC_CLASS_COPY},
    {"split", TC_CLASS_COPY},
    {"chunk", TC_CLASS_COPY},
    {"roll", TC_CLASS_COPY},
    {"flip", TC_CLASS_COPY},
    {"unfold", TC_CLASS_COPY},
    {"im2col", TC_CLASS_COPY},
    {"col2im", TC_CLASS_COPY},
    {"upsample_nearest2d", TC_CLASS_COPY},
    /* memset */
    {"fill", TC_CLASS_MEMSET},
    {"zero", TC_CLASS_MEMSET},
    {"zeros", TC_CLASS_MEMSET},
    {"zeros_like", TC_CLASS_MEMSET},
    {"ones", TC_CLASS_MEMSET},
    {"ones_like", TC_CLASS_MEMSET},
    {"full", TC_CLASS_MEMSET},
    {"full_like", TC_CLASS_MEMSET},
    {"new_zeros", TC_CLASS_MEMSET},
    {"constantofshape", TC_CLASS_MEMSET},
    /* optimizer */
    {"adam", TC_CLASS_OPTIMIZER},
    {"adamw", TC_CLASS_OPTIMIZER},
    {"sgd", TC_CLASS_OPTIMIZER},
    {"fused_adam", TC_CLASS_OPTIMIZER},
    {"fused_adamw", TC_CLASS_OPTIMIZER},
    {"fused_sgd", TC_CLASS_OPTIMIZER},
    {"adagrad", TC_CLASS_OPTIMIZER},
    {"lamb", TC_CLASS_OPTIMIZER},
    {"rmsprop", TC_CLASS_OPTIMIZER},
};

/* Elementwise ops: matched exactly after normalisation (also ONNX lowercased). */
static const char *const elementwise_exact[] = {
    "add",
    "sub",
    "rsub",
    "mul",
    "div",
    "true_divide",
    "floor_divide",
    "remainder",
    "fmod",
    "neg",
    "abs",
    "sign",
    "exp",
    "exp2",
    "expm1",
    "log",
    "log2",
    "log1p",
    "log10",
    "sqrt",
    "rsqrt",
    "reciprocal",
    "pow",
    "square",
    "sin",
    "cos",
    "tan",
    "tanh",
    "sigmoid",
    "erf",
    "erfc",
    "erfinv",
    "relu",
    "relu6",
    "gelu",
    "silu",
    "mish",
    "elu",
    "selu",
    "celu",
    "leaky_relu",
    "leakyrelu",
    "prelu",
    "hardtanh",
    "hardsigmoid",
    "hardswish",
    "softplus",
    "softsign",
    "threshold",
    "clamp",
    "clamp_min",
    "clamp_max",
    "clip",
    "where",
    "masked_fill",
    "dropout",
    "native_dropout",
    "fused_dropout",
    "feature_dropout",
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
    "equal",
    "less",
    "greater",
    "lessorequal",
    "greaterorequal",
    "not",
    "and",
    "or",
    "xor",
    "logical_not",
    "logical_and",
    "logical_or",
    "bitwise_and",
    "bitwise_or",
    "bitwise_not",
    "floor",
    "ceil",
    "round",
    "trunc",
    "frac",
    "isnan",
    "isinf",
    "nan_to_num",
    "glu",
    "swiglu",
    "fastgelu",
    "biasgelu",
    "quickgelu",
    "gelu_tanh",
    "rotary_embedding",
    "apply_rotary_pos_emb",
    "rand",
    "randn",
    "uniform",
    "normal",
    "bernoulli",
    "randint",
    "arange",
    "linspace",
    "tril",
    "triu",
    "silu_and_mul",
    "gelu_and_mul",
    "hardsigmoid",
    "sigmoid_backward",
    "tanh_backward",
    "gelu_backward",
    "silu_backward",
    "threshold_backward",
    "leaky_relu_backward",
    "hardtanh_backward",
    "native_dropout_backward",
    "mul_scalar",
    "add_scalar",
    "sub_scalar",
    "div_scalar",
    "clamp_",
    "copysign",
    "hypot",
    "atan2",
    "sinh",
    "cosh",
    "asin",
    "acos",
    "atan",
    "shrink",
    "bitshift",
    "mod",
    "thresholdedrelu",
};

static int lc_copy(char *dst, size_t cap, const char *s, size_t n)
{
	size_t i;
	if (n >= cap)
		n = cap - 1;
	for (i = 0; i < n; i++)
		dst[i] = (char)tolower((unsigned char)s[i]);
	dst[n] = '\0';
	return (int)n;
}

static int ends_with(const char *s, size_t n, const char *suf)
{
	size_t m = strlen(suf);
	return n >= m && memcmp(s + n - m, suf, m) == 0;
}

/* "autograd::engine::evaluate_function: AddmmBackward0" -> "addmm",
 * "aten::native_layer_norm_backward" -> "native_layer_norm", "aten::relu_" -> "relu". */
static void normalise_op(const char *name, char *buf, size_t cap)
{
	const char *p = name, *q;
	size_t n;
	if ((q = strrchr(p, ':')) != NULL && q > p && q[1] == ' ')
		p = q + 2; /* "...: AddmmBackward0" */
	while ((q = strstr(p, "::")) != NULL)
		p = q + 2;
	while (*p == '_' || *p == ' ')
		p++;
	n = (size_t)lc_copy(buf, cap, p, strlen(p));
	/* The "backward" variant has the forward's class: it runs the same kind of kernels. */
	for (int again = 1; again;) {
		again = 0;
		while (n > 0 && (buf[n - 1] == '_' || buf[n - 1] == ' ' ||
				 (buf[n - 1] >= '0' && buf[n - 1] <= '9' && n > 1 &&
				  ends_with(buf, n - 1, "backward"))))
			buf[--n] = '\0';
		static const char *const sufs[] = {"_backward_data",
						   "_backward_input",
						   "_backward_weight",
						   "backward",
						   "_data",
						   "_out",
						   "_forward",
						   "_impl"};
		for (size_t i = 0; i < TC_ARRAY_LEN(sufs); i++) {
			size_t m = strlen(sufs[i]);
			if (n > m && ends_with(buf, n, sufs[i])) {
				n -= m;
				buf[n] = '\0';
				again = 1;
				break;
			}
		}
	}
}

unsigned tc_opclass_of_op(const char *name)
{
	char buf[NAME_MAX_NORM];
	const char *base;
	size_t i;

	if (!name || !*name)
		return TC_CLASS_OTHER;
	/* ONNX: exact CamelCase op type, possibly with a domain prefix "com.microsoft::". */
	base = strrchr(name, ':');
	base = base ? base + 1 : name;
	for (i = 0; i < TC_ARRAY_LEN(onnx_exact); i++)
		if (strcmp(base, onnx_exact[i].pat) == 0)
			return onnx_exact[i].cls;
	if (tc_coll_of_name(name) != TC_COLL_NONE)
		return TC_CLASS_COLLECTIVE;

	normalise_op(name, buf, sizeof(buf));
	for (i = 0; i < TC_ARRAY_LEN(op_exact); i++)
		if (strcmp(buf, op_exact[i].pat) == 0)
			return op_exact[i].cls;
	for (i = 0; i < TC_ARRAY_LEN(elementwise_exact); i++)
		if (strcmp(buf, elementwise_exact[i]) == 0)
			return TC_CLASS_ELEMENTWISE;

	/* Fallbacks on fragments, most specific first. */
	if (strncmp(buf, "foreach_", 8) == 0 || strstr(buf, "optimizer") || strstr(buf, "adam") ||
	    strstr(buf, "multi_tensor"))
		return TC_CLASS_OPTIMIZER;
	if (strstr(buf, "attention") || strstr(buf, "attn"))
		return TC_CLASS_ATTENTION;
	if (strstr(buf, "softmax"))
		return TC_CLASS_SOFTMAX;
	if (strstr(buf, "normal"))
		return TC_CLASS_ELEMENTWISE;
	if (strstr(buf, "norm"))
		return TC_CLASS_NORM;
	if (strstr(buf, "embedding"))
		return TC_CLASS_EMBEDDING;
	if (strstr(buf, "conv") && !strstr(buf, "convert"))
		return TC_CLASS_CONV;
	if (strstr(buf, "matmul") || strstr(buf, "gemm") || strstr(buf, "linear"))
		return TC_CLASS_GEMM;
	if (strstr(buf, "pool") || strncmp(buf, "reduce", 6) == 0)
		return TC_CLASS_REDUCTION;
	if (strstr(buf, "copy"))
		return TC_CLASS_COPY;
	if (strstr(buf, "gelu") || strstr(buf, "relu") || strstr(buf, "silu"))
		return TC_CLASS_ELEMENTWISE;
	return TC_CLASS_OTHER;
}

/* Kernel name rules, tried in order on the name's head (lowercase, template arguments and
 * parameter list cut off): the head says what the kernel is, the template arguments would
 * mislead ("reduce_kernel<..., NormOps>" is a reduction, not a norm). */
static const struct rule kernel_rules[] = {
    {"memcpy", TC_CLASS_COPY},
    {"memset", TC_CLASS_MEMSET},
    {"nccl", TC_CLASS_COLLECTIVE},
    {"rccl", TC_CLASS_COLLECTIVE},
    {"multimem_all_reduce", TC_CLASS_COLLECTIVE},
    {"cross_device_reduce", TC_CLASS_COLLECTIVE},
    {"all_reduce", TC_CLASS_COLLECTIVE},
    {"allreduce", TC_CLASS_COLLECTIVE},
    {"flash", TC_CLASS_ATTENTION},
    {"fmha", TC_CLASS_ATTENTION},
    {"attention", TC_CLASS_ATTENTION},
    {"attn_fwd", TC_CLASS_ATTENTION},
    {"attn_bwd", TC_CLASS_ATTENTION},
    {"_attn", TC_CLASS_ATTENTION},
    {"mha_", TC_CLASS_ATTENTION},
    {"rotary", TC_CLASS_ELEMENTWISE},
    {"split_embedding", TC_CLASS_EMBEDDING},
    {"embedding", TC_CLASS_EMBEDDING},
    {"multi_tensor_apply", TC_CLASS_OPTIMIZER},
    {"adam", TC_CLASS_OPTIMIZER},
    {"lamb_", TC_CLASS_OPTIMIZER},
    {"sgd_", TC_CLASS_OPTIMIZER},
    {"softmax", TC_CLASS_SOFTMAX},
    {"normal", TC_CLASS_ELEMENTWISE},
    {"layer_norm", TC_CLASS_NORM},
    {"layernorm", TC_CLASS_NORM},
    {"rms_norm", TC_CLASS_NORM},
    {"rmsnorm", TC_CLASS_NORM},
    {"batch_norm", TC_CLASS_NORM},
    {"batchnorm", TC_CLASS_NORM},
    {"group_norm", TC_CLASS_NORM},
    {"groupnorm", TC_CLASS_NORM},
    {"bn_fw", TC_CLASS_NORM},
    {"bn_bw", TC_CLASS_NORM},
    {"rowwisemoments", TC_CLASS_NORM},
    {"gammabetabackward", TC_CLASS_NORM},
    {"norm", TC_CLASS_NORM},
    {"nchwtonhwc", TC_CLASS_COPY},
    {"nhwctonchw", TC_CLASS_COPY},
    {"convert", TC_CLASS_ELEMENTWISE},
    {"conv", TC_CLASS_CONV},
    {"fprop", TC_CLASS_CONV},
    {"dgrad", TC_CLASS_CONV},
    {"wgrad", TC_CLASS_CONV},
    {"igemm_fwd", TC_CLASS_CONV},
    {"igemm_bwd", TC_CLASS_CONV},
    {"igemm_wrw", TC_CLASS_CONV},
    {"scudnn", TC_CLASS_CONV},
    {"winograd", TC_CLASS_CONV},
    {"fft2d", TC_CLASS_CONV},
    {"implicit_gemm", TC_CLASS_CONV},
    {"permute", TC_CLASS_COPY},
    {"fbgemm", TC_CLASS_OTHER}, /* fbgemm_gpu's non-gemm utility kernels */
    {"cijk_", TC_CLASS_GEMM},
    {"nvjet", TC_CLASS_GEMM},
    {"gemm", TC_CLASS_GEMM},
    {"gemv", TC_CLASS_GEMM},
    {"cublas", TC_CLASS_GEMM},
    {"hipblaslt", TC_CLASS_GEMM},
    {"rocblas", TC_CLASS_GEMM},
    {"cutlass", TC_CLASS_GEMM},
    {"matmul", TC_CLASS_GEMM},
    {"bmm_", TC_CLASS_GEMM},
    {"triton_tem", TC_CLASS_GEMM},
    {"triton_mm", TC_CLASS_GEMM},
    {"splitkreduce", TC_CLASS_GEMM},
    {"dot_kernel", TC_CLASS_GEMM},
    {"wmma", TC_CLASS_GEMM},
    {"xmma", TC_CLASS_GEMM},
    {"triton_red", TC_CLASS_REDUCTION},
    {"triton_per", TC_CLASS_REDUCTION},
    {"triton_poi", TC_CLASS_ELEMENTWISE},
    {"pool", TC_CLASS_REDUCTION},
    {"reduce", TC_CLASS_REDUCTION},
    {"devicescan", TC_CLASS_REDUCTION},
    {"topk", TC_CLASS_REDUCTION},
    {"nll_loss", TC_CLASS_REDUCTION},
    {"cross_entropy", TC_CLASS_REDUCTION},
    {"index_select", TC_CLASS_EMBEDDING},
    {"indexselect", TC_CLASS_EMBEDDING},
    {"gather", TC_CLASS_COPY},
    {"scatter", TC_CLASS_COPY},
    {"copy", TC_CLASS_COPY},
    {"transpose", TC_CLASS_COPY},
    {"catarray", TC_CLASS_COPY},
    {"permute", TC_CLASS_COPY},
    {"kvcache", TC_CLASS_COPY},
    {"index", TC_CLASS_COPY},
    {"fill", TC_CLASS_MEMSET},
    {"elementwise", TC_CLASS_ELEMENTWISE},
    {"vectorized", TC_CLASS_ELEMENTWISE},
    {"unrolled", TC_CLASS_ELEMENTWISE},
    {"pointwise", TC_CLASS_ELEMENTWISE},
    {"activation", TC_CLASS_ELEMENTWISE},
    {"act_and_mul", TC_CLASS_ELEMENTWISE},
    {"gelu", TC_CLASS_ELEMENTWISE},
    {"relu", TC_CLASS_ELEMENTWISE},
    {"silu", TC_CLASS_ELEMENTWISE},
    {"sigmoid", TC_CLASS_ELEMENTWISE},
    {"dropout", TC_CLASS_ELEMENTWISE},
    {"rotary", TC_CLASS_ELEMENTWISE},
    {"quant", TC_CLASS_ELEMENTWISE},
    {"tensorop", TC_CLASS_ELEMENTWISE},
    {"triton_", TC_CLASS_ELEMENTWISE},
};

/* Lowercase head of a kernel name: "(anonymous namespace)" removed, cut at the first '<' or
 * '(' (template arguments, parameter list). */
static void kernel_head(const char *name, char *buf, size_t cap)
{
	static const char anon[] = "(anonymous namespace)";
	size_t o = 0;
	for (const char *p = name; *p && o + 1 < cap;) {
		if (*p == '(' && strncmp(p, anon, sizeof(anon) - 1) == 0) {
			p += sizeof(anon) - 1;
			continue;
		}
		if (*p == '<' || *p == '(')
			break;
		buf[o++] = (char)tolower((unsigned char)*p++);
	}
	buf[o] = '\0';
}

/* Words anywhere in a kernel name whose head matched no rule: template arguments and the
 * parameter list still say which library made it (a cuBLASLt kernel with a generic head names
 * cublasLtEpilogue_t in its parameters). Case-insensitive, tried in order: network, then
 * compute, then memory words; a fbgemm_gpu utility kernel stays other. The class decides
 * the resource hwmodel assumes when the op's work is unknown (hwmodel sees only the class).
 * These words were hwmodel/scale.c's fallback, which matched the whole name too. */
static const struct rule kernel_words[] = {
    {"nccl", TC_CLASS_COLLECTIVE},
    {"rccl", TC_CLASS_COLLECTIVE},
    {"fbgemm", TC_CLASS_OTHER}, /* fbgemm_gpu's utility kernels, as in kernel_rules */
    {"gemm", TC_CLASS_GEMM},
    {"gemv", TC_CLASS_GEMM},
    {"cutlass", TC_CLASS_GEMM},
    {"xmma", TC_CLASS_GEMM},
    {"nvjet", TC_CLASS_GEMM},
    {"cublas", TC_CLASS_GEMM},
    {"Cijk_", TC_CLASS_GEMM},
    {"matmul", TC_CLASS_GEMM},
    {"conv", TC_CLASS_CONV},
    {"flash", TC_CLASS_ATTENTION},
    {"fmha", TC_CLASS_ATTENTION},
    {"attention", TC_CLASS_ATTENTION},
    {"wgmma", TC_CLASS_GEMM},
    {"hipblaslt", TC_CLASS_GEMM},
    {"elementwise", TC_CLASS_ELEMENTWISE},
    {"vectorized", TC_CLASS_ELEMENTWISE},
    {"reduce", TC_CLASS_REDUCTION},
    {"norm", TC_CLASS_NORM},
    {"softmax", TC_CLASS_SOFTMAX},
    {"copy", TC_CLASS_COPY},
    {"fill", TC_CLASS_MEMSET},
    {"cat", TC_CLASS_COPY},
    {"index", TC_CLASS_COPY},
    {"gather", TC_CLASS_COPY},
    {"scatter", TC_CLASS_COPY},
    {"embedding", TC_CLASS_EMBEDDING},
    {"adam", TC_CLASS_OPTIMIZER},
    {"sgd", TC_CLASS_OPTIMIZER},
};

/* The first of kernel_words anywhere in name, ignoring case: the name lowered once and
 * searched with strstr (a strncasecmp at every byte for each of 31 words was 2% of an
 * ingest: kernel names run to hundreds of bytes). The process stays in the C locale
 * (nothing calls setlocale), where that is what tc_strcasestr matched. */
static unsigned class_of_words(const char *name)
{
	char sbuf[512], word[32];
	size_t n = strlen(name);
	char *low = n < sizeof(sbuf) ? sbuf : malloc(n + 1);
	unsigned cls = TC_CLASS_OTHER;
	if (!low) { /* out of memory: the slow way */
		for (size_t i = 0; i < TC_ARRAY_LEN(kernel_words); i++)
			if (tc_strcasestr(name, kernel_words[i].pat))
				return kernel_words[i].cls;
		return TC_CLASS_OTHER;
	}
	for (size_t i = 0; i <= n; i++)
		low[i] = (char)tolower((unsigned char)name[i]);
	for (size_t i = 0; i < TC_ARRAY_LEN(kernel_words); i++) {
		size_t k = 0;
		for (const char *w = kernel_words[i].pat; *w && k + 1 < sizeof(word); w++)
			word[k++] = (char)tolower((unsigned char)*w);
		word[k] = '\0';
		if (strstr(low, word)) {
			cls = kernel_words[i].cls;
			break;
		}
	}
	if (low != sbuf)
		free(low);
	return cls;
}

unsigned tc_opclass_of_kernel(const char *name)
{
	char head[NAME_MAX_NORM];
	size_t i;

	if (!name || !*name)
		return TC_CLASS_OTHER;
	kernel_head(name, head, sizeof(head));
	/* Generic elementwise kernels say what they do in their functor argument. */
	if (strstr(head, "elementwise") || strstr(head, "vectorized")) {
		if (tc_strcasestr(name, "FillFunctor"))
			return TC_CLASS_MEMSET;
		if (tc_strcasestr(name, "copy_kernel") || tc_strcasestr(name, "CopyFunctor"))
			return TC_CLASS_COPY;
	}
	for (i = 0; i < TC_ARRAY_LEN(kernel_rules); i++)
		if (strstr(head, kernel_rules[i].pat))
			return kernel_rules[i].cls;
	return class_of_words(name);
}

/* Collective kinds matched at the start of the compacted name (lowercase, no '_' ':' ' '
 * '.'), after known prefixes are dropped. Order matters: longer/compound names first. */
static const struct {
	const char *pat;
	unsigned coll;
} coll_rules[] = {
    {"alltoall", TC_COLL_ALLTOALL},   {"allreduce", TC_COLL_ALLREDUCE},
    {"allgather", TC_COLL_ALLGATHER}, {"reducescatter", TC_COLL_REDUCE_SCATTER},
    {"sendrecv", TC_COLL_SENDRECV},   {"broadcast", TC_COLL_BROADCAST},
    {"bcast", TC_COLL_BROADCAST},     {"barrier", TC_COLL_BARRIER},
    {"send", TC_COLL_SEND},	      {"recv", TC_COLL_RECV},
    {"reduce", TC_COLL_REDUCE},	      {"gather", TC_COLL_GATHER},
    {"scatter", TC_COLL_SCATTER},
};

unsigned tc_coll_of_name(const char *name)
{
	char buf[NAME_MAX_NORM];
	size_t o = 0;
	const char *p;
	int prefixed = 0;

	if (!name)
		return TC_COLL_NONE;
	for (const char *s = name; *s && *s != '(' && *s != '<' && o + 1 < sizeof(buf); s++) {
		char c = (char)tolower((unsigned char)*s);
		if (c == '_' || c == ':' || c == ' ' || c == '.' || c == '-')
			continue;
		buf[o++] = c;
	}
	buf[o] = '\0';
	p = buf;
	if (strstr(p, "crossdevicereduce"))
		return TC_COLL_ALLREDUCE;
	/* Drop the library prefixes; a bare "reduce" only counts after one of them or alone
	 * (a "Collective name" arg), so "reduce_kernel" is not a collective. */
	static const char *const prefixes[] = {
	    "nccldevkernel", "ncclkernel", "nccl", "rccl", "c10d",    "gloo",  "torchdistributed",
	    "multimem",	     "dist",	   "ops",  "vllm", "symmmem", "sglang"};
	for (int again = 1; again;) {
		again = 0;
		for (size_t i = 0; i < TC_ARRAY_LEN(prefixes); i++) {
			size_t m = strlen(prefixes[i]);
			if (strncmp(p, prefixes[i], m) == 0) {
				p += m;
				prefixed = 1;
				again = 1;
			}
		}
	}
	for (size_t i = 0; i < TC_ARRAY_LEN(coll_rules); i++) {
		size_t m = strlen(coll_rules[i].pat);
		if (strncmp(p, coll_rules[i].pat, m) != 0)
			continue;
		/* Simple names must be the whole word unless a library prefix vouched for them,
		 * or they carry a well-known suffix ("_base", "_coalesced", "v", "intotensor"). */
		if (i >= 6 && !prefixed && p[m] != '\0' && strcmp(p + m, "base") != 0 &&
		    strcmp(p + m, "v") != 0 && strcmp(p + m, "coalesced") != 0 &&
		    strcmp(p + m, "multigpu") != 0)
			return TC_COLL_NONE;
		return coll_rules[i].coll;
	}
	return TC_COLL_NONE;
}

unsigned tc_dtype_of_name(const char *name)
{
	static const struct {
		const char *pat;
		unsigned dt;
	} dts[] = {
	    {"float", TC_DT_F32},
	    {"float32", TC_DT_F32},
	    {"fp32", TC_DT_F32},
	    {"f32", TC_DT_F32},
	    {"double", TC_DT_F64},
	    {"float64", TC_DT_F64},
	    {"fp64", TC_DT_F64},
	    {"f64", TC_DT_F64},
	    {"half", TC_DT_F16},
	    {"float16", TC_DT_F16},
	    {"fp16", TC_DT_F16},
	    {"f16", TC_DT_F16},
	    {"bfloat16", TC_DT_BF16},
	    {"bf16", TC_DT_BF16},
	    {"tf32", TC_DT_TF32},
	    {"long int", TC_DT_I64},
	    {"long", TC_DT_I64},
	    {"int64", TC_DT_I64},
	    {"int64_t", TC_DT_I64},
	    {"long long", TC_DT_I64},
	    {"i64", TC_DT_I64},
	    {"int", TC_DT_I32},
	    {"int32", TC_DT_I32},
	    {"int32_t", TC_DT_I32},
	    {"i32", TC_DT_I32},
	    {"short int", TC_DT_I16},
	    {"short", TC_DT_I16},
	    {"int16", TC_DT_I16},
	    {"signed char", TC_DT_I8},
	    {"char", TC_DT_I8},
	    {"int8", TC_DT_I8},
	    {"int8_t", TC_DT_I8},
	    {"i8", TC_DT_I8},
	    {"unsigned char", TC_DT_U8},
	    {"uint8", TC_DT_U8},
	    {"uint8_t", TC_DT_U8},
	    {"byte", TC_DT_U8},
	    {"u8", TC_DT_U8},
	    {"bool", TC_DT_BOOL},
	    {"float8_e4m3fn", TC_DT_FP8_E4M3},
	    {"float8_e4m3fnuz", TC_DT_FP8_E4M3},
	    {"fp8_e4m3", TC_DT_FP8_E4M3},
	    {"e4m3", TC_DT_FP8_E4M3},
	    {"float8_e5m2", TC_DT_FP8_E5M2},
	    {"float8_e5m2fnuz", TC_DT_FP8_E5M2},
	    {"fp8_e5m2", TC_DT_FP8_E5M2},
	    {"e5m2", TC_DT_FP8_E5M2},
	    {"float4_e2m1fn_x2", TC_DT_FP4},
	    {"fp4", TC_DT_FP4},
	};
	char buf[64];
	const char *p;

	if (!name)
		return TC_DT_UNKNOWN;
	p = name;
	if (strncmp(p, "c10::", 5) == 0)
		p += 5;
	else if (strncmp(p, "torch.", 6) == 0)
		p += 6;
	else if (strncmp(p, "at::", 4) == 0)
		p += 4;
	else if (strncmp(p, "tensor(", 7) == 0) /* ONNX "tensor(float16)" */
		p += 7;
	lc_copy(buf, sizeof(buf), p, strlen(p));
	size_t n = strlen(buf);
	if (n > 0 && buf[n - 1] == ')')
		buf[n - 1] = '\0';
	for (size_t i = 0; i < TC_ARRAY_LEN(dts); i++)
		if (strcmp(buf, dts[i].pat) == 0)
			return dts[i].dt;
	return TC_DT_UNKNOWN;
}

/* ONNX adapter, one operator family per test: a tiny model built with the protobuf-c API,
 * ingested to a .tcs and read back. Every expected FLOP and byte count is worked out by hand
 * in the comments (one multiply-add = 2 FLOPs, fp32 = 4 bytes). */
#include <criterion/criterion.h>

#include "ingest_onnx_common.h"

static struct rstream S;

static void run(struct mb *b)
{
	struct tc_err err = TC_ERR_INIT;
	const char *path = mb_write(b, "ops.onnx");
	int rc = onnx_ingest(path, NULL, &S, &err);
	cr_assert_eq(rc, 0, "ingest failed: %s", err.msg);
	unlink(path);
	mb_free(b);
}

static void fini(void)
{
	free(S.ops);
	memset(&S, 0, sizeof(S));
}

TestSuite(onnx_ops, .fini = fini);

static void assert_shape(const struct rop *o, uint32_t k, uint32_t rank, const int64_t *dims)
{
	cr_assert_lt(k, o->n_shapes, "%s: no shape %u", o->name, k);
	cr_assert_eq(o->rank[k], rank, "%s shape %u: rank %u, want %u", o->name, k, o->rank[k],
		     rank);
	for (uint32_t i = 0; i < rank; i++)
		cr_assert_eq(o->dims[k][i], dims[i], "%s shape %u dim %u: %lld, want %lld", o->name,
			     k, i, (long long)o->dims[k][i], (long long)dims[i]);
}

Test(onnx_ops, conv_groups_padding_bias)
{
	/* X [1,4,8,8], W [6,2,3,3], group 2, pads 1, stride 1 -> Y [1,6,8,8].
	 * MACs = N Cout H W (Cin/g) kh kw = 1*6*8*8 * 2*3*3 = 6912 -> 13824 FLOPs,
	 * + bias: one add per output element, 6*64 = 384 -> 14208.
	 * read X 4*64*4 = 1024 + W 108*4 = 432 + B 6*4 = 24 = 1480; write 6*64*4 = 1536. */
	struct mb *b = mb_new(8, 17);
	mb_input(b, "x", 1, 4, (int64_t[]){1, 4, 8, 8}, NULL);
	mb_weight(b, "w", 4, (int64_t[]){6, 2, 3, 3}, 1);
	mb_weight(b, "b", 1, (int64_t[]){6}, 0);
	Onnx__NodeProto *n = mb_node(b, "Conv", "conv", "x,w,b", "y");
	mb_attr_i(b, n, "group", 2);
	mb_attr_ints(b, n, "pads", 4, (int64_t[]){1, 1, 1, 1});
	mb_attr_ints(b, n, "kernel_shape", 2, (int64_t[]){3, 3});
	mb_output(b, "y");
	run(b);
	cr_assert_eq(S.n, 1);
	const struct rop *o = &S.ops[0];
	cr_assert_str_eq(o->name, "Conv");
	cr_assert_eq(o->op.op_class, TC_CLASS_CONV);
	cr_assert_eq(o->op.kind, TC_KIND_NODE);
	cr_assert_eq(o->op.dur_ns, -1);
	cr_assert_eq(o->op.dtype, TC_DT_F32);
	cr_assert_eq(o->op.has_work, 1);
	cr_assert_eq(o->op.flops, 14208);
	cr_assert_eq(o->op.bytes_read, 1480);
	cr_assert_eq(o->op.bytes_written, 1536);
	/* implicit GEMM per group: M = N*H*W = 64, N = Cout/g = 3, K = Cin/g*kh*kw = 18, 2 groups
	 */
	cr_assert_eq(o->op.gemm_m, 64);
	cr_assert_eq(o->op.gemm_n, 3);
	cr_assert_eq(o->op.gemm_k, 18);
	cr_assert_eq(o->op.gemm_batch, 2);
	/* shapes: inputs then outputs */
	cr_assert_eq(o->n_shapes, 4);
	assert_shape(o, 0, 4, (int64_t[]){1, 4, 8, 8});
	assert_shape(o, 1, 4, (int64_t[]){6, 2, 3, 3});
	assert_shape(o, 3, 4, (int64_t[]){1, 6, 8, 8});
}

Test(onnx_ops, conv_stride_asymmetric_pads_dilation_same)
{
	/* a: X [1,3,7,7], W [2,3,3,3], stride 2, pads (0,0,1,1): H = floor((7+0+1-3)/2)+1 = 3,
	 *    MACs = 2*3*3 * 27 = 486 -> 972.
	 * b: X [1,1,10,10], W [1,1,3,3], dilation 2: effective kernel 5, H = 10-5+1 = 6,
	 *    MACs = 36*9 = 324 -> 648.
	 * c: X [1,1,7,7], W [1,1,3,3], stride 2, SAME_UPPER: H = ceil(7/2) = 4, MACs 16*9 -> 288.
	 */
	struct mb *b = mb_new(8, 13);
	mb_input(b, "x", 1, 4, (int64_t[]){1, 3, 7, 7}, NULL);
	mb_input(b, "x2", 1, 4, (int64_t[]){1, 1, 10, 10}, NULL);
	mb_input(b, "x3", 1, 4, (int64_t[]){1, 1, 7, 7}, NULL);
	mb_weight(b, "w", 4, (int64_t[]){2, 3, 3, 3}, 0);
	mb_weight(b, "w2", 4, (int64_t[]){1, 1, 3, 3}, 0);
	Onnx__NodeProto *n = mb_node(b, "Conv", "a", "x,w", "ya");
	mb_attr_ints(b, n, "strides", 2, (int64_t[]){2, 2});
	mb_attr_ints(b, n, "pads", 4, (int64_t[]){0, 0, 1, 1});
	n = mb_node(b, "Conv", "b", "x2,w2", "yb");
	mb_attr_ints(b, n, "dilations", 2, (int64_t[]){2, 2});
	n = mb_node(b, "Conv", "c", "x3,w2", "yc");
	mb_attr_ints(b, n, "strides", 2, (int64_t[]){2, 2});
	mb_attr_s(b, n, "auto_pad", "SAME_UPPER");
	run(b);
	cr_assert_eq(S.n, 3);
	cr_assert_eq(S.ops[0].op.flops, 972);
	assert_shape(&S.ops[0], 2, 4, (int64_t[]){1, 2, 3, 3});
	cr_assert_eq(S.ops[1].op.flops, 648);
	assert_shape(&S.ops[1], 2, 4, (int64_t[]){1, 1, 6, 6});
	cr_assert_eq(S.ops[2].op.flops, 288);
	assert_shape(&S.ops[2], 2, 4, (int64_t[]){1, 1, 4, 4});
}

Test(onnx_ops, conv_transpose)
{
	/* X [1,2,3,3], W [2,3,3,3] (Cin 2, Cout/g 3), stride 2: out = 2*(3-1) + 3 = 7.
	 * Each input element scatters Cout*k*k MACs: 2*9 * 3*9 = 486 -> 972 FLOPs. */
	struct mb *b = mb_new(8, 13);
	mb_input(b, "x", 1, 4, (int64_t[]){1, 2, 3, 3}, NULL);
	mb_weight(b, "w", 4, (int64_t[]){2, 3, 3, 3}, 1);
	Onnx__NodeProto *n = mb_node(b, "ConvTranspose", "ct", "x,w", "y");
	mb_attr_ints(b, n, "strides", 2, (int64_t[]){2, 2});
	run(b);
	cr_assert_eq(S.ops[0].op.flops, 972);
	assert_shape(&S.ops[0], 2, 4, (int64_t[]){1, 3, 7, 7});
}

Test(onnx_ops, gemm_transposes)
{
	/* A [3,5] transA -> M 5, K 3; B [4,3] transB -> N 4; C [4].
	 * FLOPs = 2 M N K + M N (adding C) = 2*5*4*3 + 20 = 140.
	 * read A 60 + B 48 + C 16 = 124 B; write 5*4*4 = 80 B. */
	struct mb *b = mb_new(7, 13);
	mb_input(b, "a", 1, 2, (int64_t[]){3, 5}, NULL);
	mb_weight(b, "bw", 2, (int64_t[]){4, 3}, 1);
	mb_weight(b, "c", 1, (int64_t[]){4}, 1);
	Onnx__NodeProto *n = mb_node(b, "Gemm", "g", "a,bw,c", "y");
	mb_attr_i(b, n, "transA", 1);
	mb_attr_i(b, n, "transB", 1);
	run(b);
	const struct rop *o = &S.ops[0];
	cr_assert_eq(o->op.op_class, TC_CLASS_GEMM);
	cr_assert_eq(o->op.flops, 140);
	cr_assert_eq(o->op.bytes_read, 124);
	cr_assert_eq(o->op.bytes_written, 80);
	cr_assert_eq(o->op.gemm_m, 5);
	cr_assert_eq(o->op.gemm_n, 4);
	cr_assert_eq(o->op.gemm_k, 3);
	cr_assert_eq(o->op.gemm_batch, 1);
	assert_shape(o, 3, 2, (int64_t[]){5, 4});
}

Test(onnx_ops, matmul_broadcasting)
{
	/* a: A [2,1,3,4] x B [5,4,6]: batch dims (2,1) and (5) broadcast to (2,5), out [2,5,3,6],
	 *    FLOPs = 2 * 10 * 3*6*4 = 1440.
	 * b: A [4] x B [4,6]: 1-D A gets M = 1 which is dropped, out [6], FLOPs = 2*6*4 = 48. */
	struct mb *b = mb_new(8, 13);
	mb_input(b, "a", 1, 4, (int64_t[]){2, 1, 3, 4}, NULL);
	mb_input(b, "bb", 1, 3, (int64_t[]){5, 4, 6}, NULL);
	mb_input(b, "v", 1, 1, (int64_t[]){4}, NULL);
	mb_weight(b, "w", 2, (int64_t[]){4, 6}, 1);
	mb_node(b, "MatMul", "m1", "a,bb", "y1");
	mb_node(b, "MatMul", "m2", "v,w", "y2");
	run(b);
	cr_assert_eq(S.ops[0].op.flops, 1440);
	/* 10 products of [3,4] x [4,6] */
	cr_assert_eq(S.ops[0].op.gemm_m, 3);
	cr_assert_eq(S.ops[0].op.gemm_n, 6);
	cr_assert_eq(S.ops[0].op.gemm_k, 4);
	cr_assert_eq(S.ops[0].op.gemm_batch, 10);
	assert_shape(&S.ops[0], 2, 4, (int64_t[]){2, 5, 3, 6});
	cr_assert_eq(S.ops[1].op.flops, 48);
	assert_shape(&S.ops[1], 2, 1, (int64_t[]){6});
}

Test(onnx_ops, einsum)
{
	/* "bij,bjk->bik" on [2,3,4] and [2,4,5]: indices b2 i3 j4 k5, FLOPs = 2*2*3*4*5 = 240. */
	struct mb *b = mb_new(8, 13);
	mb_input(b, "a", 1, 3, (int64_t[]){2, 3, 4}, NULL);
	mb_input(b, "c", 1, 3, (int64_t[]){2, 4, 5}, NULL);
	Onnx__NodeProto *n = mb_node(b, "Einsum", "e", "a,c", "y");
	mb_attr_s(b, n, "equation", "bij,bjk->bik");
	run(b);
	cr_assert_eq(S.ops[0].op.flops, 240);
	assert_shape(&S.ops[0], 2, 3, (int64_t[]){2, 3, 5});
}

Test(onnx_ops, ms_attention)
{
	/* com.microsoft Attention: input [2,8,16], weights [16,48], bias [48], 4 heads.
	 * QKV projection 2 * B S Din (3 D) = 2*2*8*16*48 = 24576.
	 * Core per (b, h, s, l): QK 2*4 + AV 2*4 + softmax 5 = 21, B H S L = 2*4*8*8 = 512
	 * -> 10752. Total 35328. Output [2,8,16]. */
	struct mb *b = mb_new(8, 17);
	mb_opset(b, "com.microsoft", 1);
	mb_input(b, "x", 1, 3, (int64_t[]){2, 8, 16}, NULL);
	mb_weight(b, "w", 2, (int64_t[]){16, 48}, 1);
	mb_weight(b, "bias", 1, (int64_t[]){48}, 1);
	Onnx__NodeProto *n = mb_node(b, "Attention", "att", "x,w,bias", "y");
	n->domain = mb_str(b, "com.microsoft");
	mb_attr_i(b, n, "num_heads", 4);
	run(b);
	const struct rop *o = &S.ops[0];
	cr_assert_str_eq(o->name, "com.microsoft::Attention");
	cr_assert_eq(o->op.op_class, TC_CLASS_ATTENTION);
	cr_assert_eq(o->op.flops, 35328);
	assert_shape(o, 3, 3, (int64_t[]){2, 8, 16});
}

Test(onnx_ops, multihead_and_group_query_attention)
{
	/* MHA: q [1,10,32], k/v [1,20,32], 8 heads (head 4): B H S L = 8*10*20 = 1600,
	 *   each 2*4 + 2*4 + 5 = 21 -> 33600. Output [1,10,32].
	 * GQA: q [1,4,64] with 8 heads (head 8), k/v [1,4,16] (2 kv heads), past [1,2,12,8]:
	 *   keys seen L = 12 + 4 = 16; B H S L = 8*4*16 = 512, each 2*8 + 2*8 + 5 = 37 -> 18944.
	 *   Output [1,4,64], present_key [1,2,16,8]. */
	struct mb *b = mb_new(8, 17);
	mb_opset(b, "com.microsoft", 1);
	mb_input(b, "q", 1, 3, (int64_t[]){1, 10, 32}, NULL);
	mb_input(b, "k", 1, 3, (int64_t[]){1, 20, 32}, NULL);
	mb_input(b, "v", 1, 3, (int64_t[]){1, 20, 32}, NULL);
	mb_input(b, "gq", 1, 3, (int64_t[]){1, 4, 64}, NULL);
	mb_input(b, "gk", 1, 3, (int64_t[]){1, 4, 16}, NULL);
	mb_input(b, "gv", 1, 3, (int64_t[]){1, 4, 16}, NULL);
	mb_input(b, "pk", 1, 4, (int64_t[]){1, 2, 12, 8}, NULL);
	mb_input(b, "pv", 1, 4, (int64_t[]){1, 2, 12, 8}, NULL);
	Onnx__NodeProto *n = mb_node(b, "MultiHeadAttention", "mha", "q,k,v", "y");
	n->domain = mb_str(b, "com.microsoft");
	mb_attr_i(b, n, "num_heads", 8);
	n = mb_node(b, "GroupQueryAttention", "gqa", "gq,gk,gv,pk,pv", "gy,pko,pvo");
	n->domain = mb_str(b, "com.microsoft");
	mb_attr_i(b, n, "num_heads", 8);
	mb_attr_i(b, n, "kv_num_heads", 2);
	run(b);
	cr_assert_eq(S.ops[0].op.flops, 33600);
	assert_shape(&S.ops[0], 3, 3, (int64_t[]){1, 10, 32});
	cr_assert_eq(S.ops[1].op.op_class, TC_CLASS_ATTENTION);
	cr_assert_eq(S.ops[1].op.flops, 18944);
	assert_shape(&S.ops[1], 5, 3, (int64_t[]){1, 4, 64});
	assert_shape(&S.ops[1], 6, 4, (int64_t[]){1, 2, 16, 8});
}

Test(onnx_ops, fused_llm_ops)
{
	/* SkipLayerNormalization [2,4,8] + skip + gamma/beta: LayerNorm 7 + skip add 1 = 8 per
	 *   element, 64 elements -> 512.
	 * FastGelu with bias [2,4,8]: 8 + 1 per element -> 576. BiasGelu: 9 per element -> 576.
	 * RotaryEmbedding [2,4,8]: 3 per element -> 192.
	 * EmbedLayerNormalization: ids [2,4], word [100,8]: output [2,4,8], 9 per element -> 576.
	 */
	struct mb *b = mb_new(8, 17);
	mb_opset(b, "com.microsoft", 1);
	mb_input(b, "x", 1, 3, (int64_t[]){2, 4, 8}, NULL);
	mb_input(b, "s", 1, 3, (int64_t[]){2, 4, 8}, NULL);
	mb_input(b, "ids", 6, 2, (int64_t[]){2, 4}, NULL);
	mb_input(b, "pos", 7, 2, (int64_t[]){2, 4}, NULL);
	mb_weight(b, "gamma", 1, (int64_t[]){8}, 1);
	mb_weight(b, "beta", 1, (int64_t[]){8}, 1);
	mb_weight(b, "word", 2, (int64_t[]){100, 8}, 1);
	mb_weight(b, "posemb", 2, (int64_t[]){16, 8}, 1);
	mb_weight(b, "cos", 2, (int64_t[]){16, 4}, 1);
	const char *ops[][3] = {
	    {"SkipLayerNormalization", "x,s,gamma,beta", "y1"},
	    {"FastGelu", "x,gamma", "y2"},
	    {"BiasGelu", "x,gamma", "y3"},
	    {"RotaryEmbedding", "x,pos,cos,cos", "y4"},
	    {"EmbedLayerNormalization", "ids,,word,posemb,,gamma,beta", "y5"},
	};
	for (size_t i = 0; i < 5; i++) {
		Onnx__NodeProto *n = mb_node(b, ops[i][0], ops[i][0], ops[i][1], ops[i][2]);
		n->domain = mb_str(b, "com.microsoft");
	}
	run(b);
	cr_assert_eq(S.n, 5);
	cr_assert_eq(S.ops[0].op.flops, 512);
	cr_assert_eq(S.ops[1].op.flops, 576);
	cr_assert_eq(S.ops[2].op.flops, 576);
	cr_assert_eq(S.ops[3].op.flops, 192);
	cr_assert_eq(S.ops[4].op.flops, 576);
	assert_shape(&S.ops[4], S.ops[4].n_shapes - 1, 3, (int64_t[]){2, 4, 8});
}

Test(onnx_ops, elementwise_broadcast_norm_softmax_reduce)
{
	/* Add [2,3,4] + [4] -> [2,3,4]: 24 FLOPs; read 96 + 16, write 96.
	 * Sum of three [2,3]: 2 adds per element -> 12. Relu [2,3,4]: 24.
	 * Softmax [2,3,4]: 5 per element -> 120. LayerNormalization: 7 per element -> 168.
	 * BatchNormalization [1,3,2,2] at inference: 2 per element -> 24.
	 * ReduceMean axes [1] keepdims 0 on [2,3,4] -> [2,4], one add per input element: 24. */
	struct mb *b = mb_new(8, 13);
	mb_input(b, "x", 1, 3, (int64_t[]){2, 3, 4}, NULL);
	mb_input(b, "p", 1, 2, (int64_t[]){2, 3}, NULL);
	mb_input(b, "img", 1, 4, (int64_t[]){1, 3, 2, 2}, NULL);
	mb_weight(b, "row", 1, (int64_t[]){4}, 1);
	mb_weight(b, "c3", 1, (int64_t[]){3}, 1);
	mb_node(b, "Add", "add", "x,row", "y1");
	mb_node(b, "Sum", "sum", "p,p,p", "y2");
	mb_node(b, "Relu", "relu", "x", "y3");
	mb_node(b, "Softmax", "sm", "x", "y4");
	mb_node(b, "LayerNormalization", "ln", "x,row,row", "y5");
	mb_node(b, "BatchNormalization", "bn", "img,c3,c3,c3,c3", "y6");
	Onnx__NodeProto *n = mb_node(b, "ReduceMean", "rm", "x", "y7");
	mb_attr_ints(b, n, "axes", 1, (int64_t[]){1});
	mb_attr_i(b, n, "keepdims", 0);
	run(b);
	cr_assert_eq(S.n, 7);
	cr_assert_eq(S.ops[0].op.flops, 24);
	cr_assert_eq(S.ops[0].op.bytes_read, 112);
	cr_assert_eq(S.ops[0].op.bytes_written, 96);
	cr_assert_eq(S.ops[0].op.op_class, TC_CLASS_ELEMENTWISE);
	cr_assert_eq(S.ops[1].op.flops, 12);
	cr_assert_eq(S.ops[1].op.bytes_read, 24); /* one tensor read once */
	cr_assert_eq(S.ops[2].op.flops, 24);
	cr_assert_eq(S.ops[3].op.flops, 120);
	cr_assert_eq(S.ops[3].op.op_class, TC_CLASS_SOFTMAX);
	cr_assert_eq(S.ops[4].op.flops, 168);
	cr_assert_eq(S.ops[4].op.op_class, TC_CLASS_NORM);
	cr_assert_eq(S.ops[5].op.flops, 24);
	cr_assert_eq(S.ops[6].op.flops, 24);
	assert_shape(&S.ops[6], 1, 2, (int64_t[]){2, 4});
}

Test(onnx_ops, pooling)
{
	/* MaxPool k3 s2 ceil_mode on [1,2,8,8]: (8-3)/2 = 2.5 -> ceil 3, +1 = 4; the last window
	 * starts at 6 < 8 so it stays: out [1,2,4,4], 9 compares each -> 32*9 = 288.
	 * AveragePool k2 s2 pads 0 on [1,2,8,8]: [1,2,4,4], 4 per output -> 128.
	 * GlobalAveragePool [1,2,5,5] -> [1,2,1,1], 50 adds. */
	struct mb *b = mb_new(8, 13);
	mb_input(b, "x", 1, 4, (int64_t[]){1, 2, 8, 8}, NULL);
	mb_input(b, "z", 1, 4, (int64_t[]){1, 2, 5, 5}, NULL);
	Onnx__NodeProto *n = mb_node(b, "MaxPool", "mp", "x", "y1");
	mb_attr_ints(b, n, "kernel_shape", 2, (int64_t[]){3, 3});
	mb_attr_ints(b, n, "strides", 2, (int64_t[]){2, 2});
	mb_attr_i(b, n, "ceil_mode", 1);
	n = mb_node(b, "AveragePool", "ap", "x", "y2");
	mb_attr_ints(b, n, "kernel_shape", 2, (int64_t[]){2, 2});
	mb_attr_ints(b, n, "strides", 2, (int64_t[]){2, 2});
	mb_node(b, "GlobalAveragePool", "gap", "z", "y3");
	run(b);
	cr_assert_eq(S.ops[0].op.flops, 288);
	assert_shape(&S.ops[0], 1, 4, (int64_t[]){1, 2, 4, 4});
	cr_assert_eq(S.ops[1].op.flops, 128);
	cr_assert_eq(S.ops[2].op.flops, 50);
	assert_shape(&S.ops[2], 1, 4, (int64_t[]){1, 2, 1, 1});
}

Test(onnx_ops, data_movement_shapes)
{
	/* opset 13: axes and split sizes are inputs. x [2,3,4] (96 B).
	 * Reshape [0,-1] -> [2,12] (a view: no FLOPs, no bytes).
	 * Transpose perm (2,0,1) -> [4,2,3] (reads and writes 96 B).
	 * Unsqueeze axes [0] -> [1,2,3,4]; Squeeze axes [0] of that -> [2,3,4].
	 * Concat axis 1 of [2,3,4] and [2,3,4] -> [2,6,4].
	 * Split axis 2 sizes [1,3] -> [2,3,1], [2,3,3].
	 * Slice [10,20] starts 2 ends -1 axes 1 steps 3: elements 2,5,...,17 -> [10,6].
	 * Gather from a [100,16] weight with indices [2,5] -> [2,5,16], an embedding lookup.
	 * Expand [3,1] to (2,1,4) -> [2,3,4]. Pad [1,1,4,4] by (0,0,1,2,0,0,1,2) -> [1,1,6,8].
	 * Flatten axis 2 of [2,3,4] -> [6,4]. */
	struct mb *b = mb_new(8, 13);
	mb_input(b, "x", 1, 3, (int64_t[]){2, 3, 4}, NULL);
	mb_input(b, "m", 1, 2, (int64_t[]){10, 20}, NULL);
	mb_input(b, "ids", 7, 2, (int64_t[]){2, 5}, NULL);
	mb_input(b, "col", 1, 2, (int64_t[]){3, 1}, NULL);
	mb_input(b, "img", 1, 4, (int64_t[]){1, 1, 4, 4}, NULL);
	mb_weight(b, "table", 2, (int64_t[]){100, 16}, 1);
	mb_ints(b, "shape", 2, (int64_t[]){0, -1}, 1);
	mb_ints(b, "ax0", 1, (int64_t[]){0}, 0);
	mb_ints(b, "sizes", 2, (int64_t[]){1, 3}, 0);
	mb_ints(b, "st", 1, (int64_t[]){2}, 0);
	mb_ints(b, "en", 1, (int64_t[]){-1}, 0);
	mb_ints(b, "ax1", 1, (int64_t[]){1}, 0);
	mb_ints(b, "step", 1, (int64_t[]){3}, 0);
	mb_ints(b, "eshape", 3, (int64_t[]){2, 1, 4}, 0);
	mb_ints(b, "pads", 8, (int64_t[]){0, 0, 1, 2, 0, 0, 1, 2}, 1);
	mb_node(b, "Reshape", "r", "x,shape", "y1");
	Onnx__NodeProto *n = mb_node(b, "Transpose", "t", "x", "y2");
	mb_attr_ints(b, n, "perm", 3, (int64_t[]){2, 0, 1});
	mb_node(b, "Unsqueeze", "u", "x,ax0", "y3");
	mb_node(b, "Squeeze", "s", "y3,ax0", "y4");
	n = mb_node(b, "Concat", "c", "x,y4", "y5");
	mb_attr_i(b, n, "axis", 1);
	n = mb_node(b, "Split", "sp", "x,sizes", "y6,y7");
	mb_attr_i(b, n, "axis", 2);
	mb_node(b, "Slice", "sl", "m,st,en,ax1,step", "y8");
	mb_node(b, "Gather", "g", "table,ids", "y9");
	mb_node(b, "Expand", "e", "col,eshape", "y10");
	mb_node(b, "Pad", "p", "img,pads", "y11");
	n = mb_node(b, "Flatten", "f", "x", "y12");
	mb_attr_i(b, n, "axis", 2);
	run(b);
	cr_assert_eq(S.n, 11);
	assert_shape(rs_find(&S, "Reshape"), 2, 2, (int64_t[]){2, 12});
	cr_assert_eq(rs_find(&S, "Reshape")->op.bytes_read, 0);
	cr_assert_eq(rs_find(&S, "Reshape")->op.bytes_written, 0);
	assert_shape(rs_find(&S, "Transpose"), 1, 3, (int64_t[]){4, 2, 3});
	cr_assert_eq(rs_find(&S, "Transpose")->op.bytes_read, 96);
	cr_assert_eq(rs_find(&S, "Transpose")->op.bytes_written, 96);
	assert_shape(rs_find(&S, "Unsqueeze"), 2, 4, (int64_t[]){1, 2, 3, 4});
	assert_shape(rs_find(&S, "Squeeze"), 2, 3, (int64_t[]){2, 3, 4});
	assert_shape(rs_find(&S, "Concat"), 2, 3, (int64_t[]){2, 6, 4});
	assert_shape(rs_find(&S, "Split"), 2, 3, (int64_t[]){2, 3, 1});
	assert_shape(rs_find(&S, "Split"), 3, 3, (int64_t[]){2, 3, 3});
	assert_shape(rs_find(&S, "Slice"), 5, 2, (int64_t[]){10, 6});
	assert_shape(rs_find(&S, "Gather"), 2, 3, (int64_t[]){2, 5, 16});
	cr_assert_eq(rs_find(&S, "Gather")->op.op_class, TC_CLASS_EMBEDDING);
	assert_shape(rs_find(&S, "Expand"), 2, 3, (int64_t[]){2, 3, 4});
	assert_shape(rs_find(&S, "Pad"), 2, 4, (int64_t[]){1, 1, 6, 8});
	assert_shape(rs_find(&S, "Flatten"), 1, 2, (int64_t[]){6, 4});
}

Test(onnx_ops, resize_cast_where_recurrent)
{
	/* Resize (opset 13) by scales (1,1,2,2), linear: [1,1,3,3] -> [1,1,6,6], 4 FLOPs per
	 *   output element -> 144.
	 * Cast to float16: [2,3] f32 -> f16, writes 6*2 = 12 B.
	 * Where(cond [2,3], x [2,3], y [3]) -> [2,3], one select per element: 6.
	 * LSTM X [5,2,10], hidden 20, forward: per step and batch row 4 gates * 20 *
	 *   (2*(10+20) + 8) = 80*68 = 5440; 5*2 rows -> 54400. Y [5,1,2,20]. */
	struct mb *b = mb_new(8, 13);
	mb_input(b, "img", 1, 4, (int64_t[]){1, 1, 3, 3}, NULL);
	mb_input(b, "x", 1, 2, (int64_t[]){2, 3}, NULL);
	mb_input(b, "cond", 9, 2, (int64_t[]){2, 3}, NULL);
	mb_input(b, "y", 1, 1, (int64_t[]){3}, NULL);
	mb_input(b, "seq", 1, 3, (int64_t[]){5, 2, 10}, NULL);
	mb_weight(b, "W", 3, (int64_t[]){1, 80, 10}, 1);
	mb_weight(b, "R", 3, (int64_t[]){1, 80, 20}, 1);
	Onnx__TensorProto *sc = mb_tensor(b, "scales", 1, 1, (int64_t[]){4});
	sc->n_float_data = 4;
	sc->float_data = mb_alloc(b, 4 * sizeof(float));
	sc->float_data[0] = sc->float_data[1] = 1, sc->float_data[2] = sc->float_data[3] = 2;
	MB_PUSH(b, &b->g.n_initializer, &b->g.initializer, sc);
	Onnx__NodeProto *n = mb_node(b, "Resize", "rs", "img,,scales", "y1");
	mb_attr_s(b, n, "mode", "linear");
	n = mb_node(b, "Cast", "c", "x", "y2");
	mb_attr_i(b, n, "to", 10);
	mb_node(b, "Where", "w", "cond,x,y", "y3");
	n = mb_node(b, "LSTM", "l", "seq,W,R", "y4");
	mb_attr_i(b, n, "hidden_size", 20);
	run(b);
	cr_assert_eq(S.n, 4);
	cr_assert_eq(S.ops[0].op.flops, 144);
	assert_shape(&S.ops[0], 2, 4, (int64_t[]){1, 1, 6, 6});
	cr_assert_eq(S.ops[1].op.bytes_written, 12);
	cr_assert_eq(S.ops[2].op.flops, 6);
	assert_shape(&S.ops[2], 3, 2, (int64_t[]){2, 3});
	cr_assert_eq(S.ops[3].op.flops, 54400);
	assert_shape(&S.ops[3], 3, 4, (int64_t[]){5, 1, 2, 20});
}

Test(onnx_ops, unknown_operator_kept_with_unknown_work)
{
	/* A custom op of an unknown domain: kept as class other, has_work 0, counted in the
	 * header; the exporter's value_info gives its output shape, so the Relu after it still
	 * has known work (2*3 = 6 FLOPs). */
	struct mb *b = mb_new(8, 13);
	mb_opset(b, "org.example", 1);
	mb_input(b, "x", 1, 2, (int64_t[]){2, 3}, NULL);
	Onnx__NodeProto *n = mb_node(b, "FooBar", "foo", "x", "f");
	n->domain = mb_str(b, "org.example");
	mb_node(b, "Relu", "relu", "f", "y");
	Onnx__ValueInfoProto *vi = mb_value_info(b, "f", 1, 2, (int64_t[]){2, 3}, NULL);
	MB_PUSH(b, &b->g.n_value_info, &b->g.value_info, vi);
	run(b);
	cr_assert_eq(S.n, 2);
	cr_assert_str_eq(S.ops[0].name, "org.example::FooBar");
	cr_assert_eq(S.ops[0].op.op_class, TC_CLASS_OTHER);
	cr_assert_eq(S.ops[0].op.has_work, 0);
	cr_assert_eq(S.ops[1].op.has_work, 1);
	cr_assert_eq(S.ops[1].op.flops, 6);
	cr_assert_str_eq(rs_meta(&S, "unknown_ops"), "FooBar=1");
}

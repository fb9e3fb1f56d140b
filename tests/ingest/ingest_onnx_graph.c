/* ONNX adapter, graph-level behaviour: symbolic dims, topological order and data edges,
 * constant folding (Constant, ConstantOfShape, Shape chains), IR/opset variants, the header,
 * and the --training ops with their documented ratios. */
#include <criterion/criterion.h>

#include "ingest_onnx_common.h"

static struct rstream S;

static int run_opts(struct mb *b, const struct tc_ingest_opts *o, struct tc_err *err)
{
	const char *path = mb_write(b, "graph.onnx");
	int rc = onnx_ingest(path, o, &S, err);
	unlink(path);
	mb_free(b);
	return rc;
}

static void run(struct mb *b, const struct tc_ingest_opts *o)
{
	struct tc_err err = TC_ERR_INIT;
	int rc = run_opts(b, o, &err);
	cr_assert_eq(rc, 0, "ingest failed: %s", err.msg);
}

static void fini(void)
{
	free(S.ops);
	memset(&S, 0, sizeof(S));
}

TestSuite(onnx_graph, .fini = fini);

/* x [batch, 16] x W [16, 8]: FLOPs = 2 * batch * 16 * 8 = 256 * batch. */
static struct mb *symbolic_model(void)
{
	struct mb *b = mb_new(8, 17);
	const char *syms[] = {"batch", NULL};
	mb_input(b, "x", 1, 2, (int64_t[]){-1, 16}, syms);
	mb_weight(b, "w", 2, (int64_t[]){16, 8}, 1);
	mb_node(b, "MatMul", "mm", "x,w", "y");
	mb_output(b, "y");
	return b;
}

Test(onnx_graph, symbolic_dim_bound_from_option)
{
	const char *dims[] = {"batch=32"};
	struct tc_ingest_opts o = TC_INGEST_OPTS_INIT;
	o.dims = dims;
	o.n_dims = 1;
	run(symbolic_model(), &o);
	cr_assert_eq(S.ops[0].op.flops, 256 * 32);
	cr_assert_str_eq(rs_meta(&S, "dims"), "batch=32");
	cr_assert_str_eq(rs_meta(&S, "inputs"), "x=[32,16]");
}

Test(onnx_graph, symbolic_dim_defaults_to_one)
{
	run(symbolic_model(), NULL);
	cr_assert_eq(S.ops[0].op.flops, 256);
	cr_assert_str_eq(rs_meta(&S, "dims"), "batch=1 (default)");
}

Test(onnx_graph, bad_dim_option)
{
	const char *dims[] = {"batch"};
	struct tc_ingest_opts o = TC_INGEST_OPTS_INIT;
	o.dims = dims;
	o.n_dims = 1;
	struct tc_err err = TC_ERR_INIT;
	cr_assert_eq(run_opts(symbolic_model(), &o, &err), TC_EINVAL);
	cr_assert_not_null(strstr(err.msg, "--dim 'batch'"), "%s", err.msg);
}

Test(onnx_graph, topological_order_and_data_edges)
{
	/* A diamond listed backwards: d = add(b, c), c = relu(a), b = sigmoid(a), a = neg(x).
	 * Written in topological order: Neg (0), Sigmoid (1), Relu (2), Add (3); Add depends on
	 * 1 and 2, both on 0. correlation = position in the file + 1. */
	struct mb *b = mb_new(8, 13);
	mb_input(b, "x", 1, 1, (int64_t[]){4}, NULL);
	mb_node(b, "Add", "d", "b,c", "d");
	mb_node(b, "Relu", "c", "a", "c");
	mb_node(b, "Sigmoid", "b", "a", "b");
	mb_node(b, "Neg", "a", "x", "a");
	mb_output(b, "d");
	run(b, NULL);
	cr_assert_eq(S.n, 4);
	cr_assert_str_eq(S.ops[0].name, "Neg");
	cr_assert_str_eq(S.ops[1].name, "Relu"); /* ready together with Sigmoid; file order wins */
	cr_assert_str_eq(S.ops[2].name, "Sigmoid");
	cr_assert_str_eq(S.ops[3].name, "Add");
	cr_assert_eq(S.ops[0].op.correlation, 4);
	cr_assert_eq(S.ops[0].n_deps, 0);
	cr_assert_eq(S.ops[1].n_deps, 1);
	cr_assert_eq(S.ops[1].deps[0], 0);
	cr_assert_eq(S.ops[3].n_deps, 2);
	cr_assert_eq(S.ops[3].deps[0], 1);
	cr_assert_eq(S.ops[3].deps[1], 2);
	for (size_t i = 0; i < S.n; i++)
		for (uint32_t k = 0; k < S.ops[i].n_deps; k++)
			cr_assert_lt(S.ops[i].deps[k], S.ops[i].op.id);
}

Test(onnx_graph, header_and_lane)
{
	run(symbolic_model(), NULL);
	cr_assert_str_eq(S.source_format, "onnx");
	cr_assert_str_eq(rs_meta(&S, "ir_version"), "8");
	cr_assert_str_eq(rs_meta(&S, "opset"), "17");
	cr_assert_str_eq(rs_meta(&S, "producer"), "tracecast-test");
	cr_assert_str_eq(rs_meta(&S, "model"), "test_graph");
	cr_assert_str_eq(rs_meta(&S, "params"), "128");
	cr_assert_str_eq(rs_meta(&S, "param_bytes"), "512");
	cr_assert_eq(S.lanes, 1);
	cr_assert_eq(S.lane_type, TC_LANE_GRAPH);
}

Test(onnx_graph, shape_chain_folds_into_reshape)
{
	/* x [2,3,8]: Shape -> Gather(0) -> Unsqueeze -> Concat with [-1] -> Reshape(x).
	 * The exporter's shape arithmetic is known before the graph runs, so only the Reshape
	 * is emitted, with output [2, 24]. */
	struct mb *b = mb_new(7, 11);
	mb_input(b, "x", 1, 3, (int64_t[]){2, 3, 8}, NULL);
	Onnx__TensorProto *zero = mb_tensor(b, "zero", 7, 0, NULL);
	zero->n_int64_data = 1;
	zero->int64_data = mb_alloc(b, sizeof(int64_t));
	Onnx__NodeProto *n = mb_node(b, "Constant", "k0", "", "idx");
	mb_attr_t(b, n, "value", zero);
	mb_ints(b, "minus1", 1, (int64_t[]){-1}, 1);
	mb_node(b, "Shape", "sh", "x", "s");
	mb_node(b, "Gather", "ga", "s,idx", "d0");
	n = mb_node(b, "Unsqueeze", "un", "d0", "d0v");
	mb_attr_ints(b, n, "axes", 1, (int64_t[]){0});
	n = mb_node(b, "Concat", "cc", "d0v,minus1", "shape");
	mb_attr_i(b, n, "axis", 0);
	mb_node(b, "Reshape", "rs", "x,shape", "y");
	run(b, NULL);
	cr_assert_eq(S.n, 1);
	cr_assert_str_eq(S.ops[0].name, "Reshape");
	cr_assert_eq(S.ops[0].rank[2], 2);
	cr_assert_eq(S.ops[0].dims[2][0], 2);
	cr_assert_eq(S.ops[0].dims[2][1], 24);
	cr_assert_str_eq(rs_meta(&S, "folded"), "5");
	cr_assert_str_eq(rs_meta(&S, "params"), "0"); /* shape vectors are not parameters */
}

Test(onnx_graph, constant_of_shape_weights_ir3)
{
	/* The corpus "light" models: weights are ConstantOfShape of a shape initializer, and
	 * (IR 3) every initializer is also listed as a graph input. W [16,8] = 128 parameters;
	 * MatMul [4,16] x [16,8] = 2*4*8*16 = 1024 FLOPs; it reads x 256 B + W 512 B. */
	struct mb *b = mb_new(3, 9);
	mb_input(b, "x", 1, 2, (int64_t[]){4, 16}, NULL);
	mb_ints(b, "w_shape", 2, (int64_t[]){16, 8}, 1);
	mb_input(b, "w_shape", 7, 1, (int64_t[]){2}, NULL);
	Onnx__TensorProto *v = mb_tensor(b, "", 1, 1, (int64_t[]){1});
	v->n_float_data = 1;
	v->float_data = mb_alloc(b, sizeof(float));
	Onnx__NodeProto *n = mb_node(b, "ConstantOfShape", "cos", "w_shape", "w");
	mb_attr_t(b, n, "value", v);
	mb_node(b, "MatMul", "mm", "x,w", "y");
	run(b, NULL);
	cr_assert_eq(S.n, 1);
	cr_assert_eq(S.ops[0].op.flops, 1024);
	cr_assert_eq(S.ops[0].op.bytes_read, 768);
	cr_assert_str_eq(rs_meta(&S, "params"), "128");
	cr_assert_str_eq(rs_meta(&S, "inputs"), "x=[4,16]");
	cr_assert_str_eq(rs_meta(&S, "ir_version"), "3");
}

Test(onnx_graph, ir10_opset21_typed_and_raw_initializers_agree)
{
	/* The same Gemm with its weight in float_data and in raw_data: identical work.
	 * [2,8] x [8,4] + C: 2*2*4*8 + 8 = 136 FLOPs. */
	uint64_t flops[2];
	for (int raw = 0; raw < 2; raw++) {
		struct mb *b = mb_new(10, 21);
		mb_input(b, "x", 1, 2, (int64_t[]){2, 8}, NULL);
		mb_weight(b, "w", 2, (int64_t[]){8, 4}, raw);
		mb_weight(b, "c", 1, (int64_t[]){4}, raw);
		mb_node(b, "Gemm", "g", "x,w,c", "y");
		run(b, NULL);
		flops[raw] = S.ops[0].op.flops;
		fini();
	}
	cr_assert_eq(flops[0], 136);
	cr_assert_eq(flops[1], 136);
}

Test(onnx_graph, training_backward_and_adam)
{
	/* x [4,16] -> MatMul W1 [16,32] -> Relu -> MatMul W2 [32,8].
	 * forward: mm1 2*4*32*16 = 4096, relu 128, mm2 2*4*8*32 = 2048.
	 * backward, reverse order:
	 *   mm2Grad: dA (relu output) and dW2 both needed -> 2 x 2048 = 4096;
	 *            reads fwd inputs 512 + 1024 and output grad 128 = 1664 B,
	 *            writes grads of both inputs 512 + 1024 = 1536 B.
	 *   ReluGrad: 1 x 128.
	 *   mm1Grad: x is a graph input (no gradient), only dW1 -> 1 x 4096.
	 * Adam, W2 first (its gradient is ready first): 256 params x 12 FLOPs = 3072,
	 *   reads param, grad, m, v = 4 x 1024 B, writes param, m, v = 3 x 1024 B. Then W1 (512).
	 */
	struct mb *b = mb_new(8, 17);
	mb_input(b, "x", 1, 2, (int64_t[]){4, 16}, NULL);
	mb_weight(b, "w1", 2, (int64_t[]){16, 32}, 1);
	mb_weight(b, "w2", 2, (int64_t[]){32, 8}, 1);
	mb_node(b, "MatMul", "mm1", "x,w1", "h");
	mb_node(b, "Relu", "relu", "h", "r");
	mb_node(b, "MatMul", "mm2", "r,w2", "y");
	struct tc_ingest_opts o = TC_INGEST_OPTS_INIT;
	o.training = 1;
	run(b, &o);
	cr_assert_eq(S.n, 8);
	const char *names[] = {"MatMul",   "Relu",	 "MatMul", "MatMulGrad",
			       "ReluGrad", "MatMulGrad", "Adam",   "Adam"};
	uint64_t fl[] = {4096, 128, 2048, 4096, 128, 4096, 3072, 6144};
	for (size_t i = 0; i < 8; i++) {
		cr_assert_str_eq(S.ops[i].name, names[i]);
		cr_assert_eq(S.ops[i].op.flops, fl[i], "op %zu: %llu", i,
			     (unsigned long long)S.ops[i].op.flops);
	}
	cr_assert_eq(S.ops[3].op.flags, TC_FLAG_BACKWARD | TC_FLAG_SYNTHETIC);
	cr_assert_eq(S.ops[3].op.bytes_read, 1664);
	cr_assert_eq(S.ops[3].op.bytes_written, 1536);
	cr_assert_eq(S.ops[3].op.op_class, TC_CLASS_GEMM);
	cr_assert_eq(S.ops[6].op.op_class, TC_CLASS_OPTIMIZER);
	cr_assert_eq(S.ops[6].op.flags, TC_FLAG_SYNTHETIC);
	cr_assert_eq(S.ops[6].op.bytes_read, 4096);
	cr_assert_eq(S.ops[6].op.bytes_written, 3072);
	/* gradient flow: ReluGrad after mm2Grad and relu; mm1Grad after ReluGrad; Adam(W2) after
	 * mm2Grad, Adam(W1) after mm1Grad */
	cr_assert_eq(S.ops[4].n_deps, 2);
	cr_assert_eq(S.ops[4].deps[0], 1);
	cr_assert_eq(S.ops[4].deps[1], 3);
	cr_assert_eq(S.ops[5].deps[S.ops[5].n_deps - 1], 4);
	cr_assert_eq(S.ops[6].n_deps, 1);
	cr_assert_eq(S.ops[6].deps[0], 3);
	cr_assert_eq(S.ops[7].deps[0], 5);
	cr_assert_str_eq(rs_meta(&S, "training"), "adam");
}

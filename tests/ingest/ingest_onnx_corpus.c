/* ONNX adapter end to end over every ONNX model of the corpus ($TRACECAST_CORPUS or
 * TC_CORPUS_DEFAULT; skipped when absent). For each: node count and the nodes folded into
 * constants, read independently from the model (`protoc-c --decode=onnx.ModelProto` and
 * counting op_type lines; MANIFEST.md gives the same node counts), parameter counts and
 * GEMM+conv FLOPs against published figures or hand derivations, every op with known work.
 *
 * Parameter counts include what the caffe2 exports store as weights: BatchNorm running
 * mean/var (torchvision counts them as buffers), and DenseNet's separate Mul/Add scale.
 * FLOPs: 1 MAC = 2 FLOPs; conv and Gemm bias adds are one FLOP per output element, which
 * the published MAC counts leave out (< 0.1 % here), hence the tolerances. */
#include <criterion/criterion.h>
#include <sys/stat.h>

#include "ingest_onnx_common.h"

struct expect {
	const char *file;
	uint64_t nodes, folded;
	uint64_t params; /* exact */
	double convgemm; /* FLOPs of conv + gemm class ops; 0 = not checked */
	double tol;	 /* relative tolerance on convgemm */
};

/* Derivations:
 * - AlexNet (bvlc, groups 2 on conv2/4/5) at the model's 224x224 input: conv1 96x54x54 x 363,
 *   conv2 256x26x26 x 1200, conv3 384x12x12 x 2304, conv4 384x12x12 x 1728, conv5 256x12x12
 *   x 1728, fc 9216x4096 + 4096x4096 + 4096x1000 = 654,560,384 MACs -> 1,309,120,768 FLOPs,
 *   + bias adds 600,448 (conv) + 9,192 (fc) = 1,309,730,408 exactly. Params 60,965,224
 *   (the published bvlc_alexnet count).
 * - ResNet-50: 4.09 GMACs (He et al. 2016: 3.8 G "FLOPs" counting the 7x7 stem differently;
 *   4.09 G is the usual measured figure) -> 8.18e9 FLOPs, 1 %. Params: torchvision's
 *   25,557,032 + BN running stats 53,120 = 25,610,152.
 * - VGG-19: 19.63 GMACs -> 39.26e9, 1 %; params 143,667,240 (published).
 * - SqueezeNet 1.1: 0.35 GMACs -> 0.70e9, 2 %; params 1,235,496 (published).
 * - DenseNet-121: 2.87 GMACs published for torchvision -> 5.74e9, 2 % (the caffe2 export pools
 *   with floor rounding); params: torchvision 7,978,856 counts 2 per BN channel; the export
 *   has 6 (scale, bias, mean, var + a Mul and an Add), and the BN channels total
 *   64 + 864 + 768 + 256 + 3648 + 1536 + 512 + 14976 + 3072 + 1024 + 12032 + 2048 + 1024 =
 *   41,824 -> 7,978,856 + 4 x 41,824 = 8,146,152.
 * - GoogLeNet (Inception v1, bvlc, no auxiliary heads): params 6,998,552 (published).
 * - mnist-8: conv 8x1x5x5 (+8 bias, separate Add), conv 16x8x5x5 (+16), fc 256x10 (+10):
 *   params 5,994; MACs 8x28x28x25 + 16x14x14x200 + 2560 = 786,560 -> 1,573,120 FLOPs.
 * - mnist.simplified: conv 20x1x5x5 stride 2 on 14x14 -> 5x5 (12,500 MACs), conv 12x20x3x3 ->
 *   3x3 (19,440), Gemm 108x10 (1,080) + 10 bias adds: 66,050 FLOPs; params 500 + 2160 +
 *   1080 + 10 = 3,750.
 * - mnist_pytorch: MatMul 784x64, 64x64, 64x10 = 54,912 MACs -> 109,824 FLOPs; params 54,912 +
 *   2 BatchNorms x 4 x 64 = 55,424.
 * Folded nodes: every ConstantOfShape (weights of the light models), plus nodes whose only
 * input is a weight: DenseNet 242 and Inception v2 138 Unsqueeze of BN scales, GoogLeNet's
 * Reshape of a constant, mnist-8's Reshape of its fc weight, mnist_pytorch's 4 Constant. */
static const struct expect models[] = {
    {"onnx/light_bvlc_alexnet.onnx", 40, 16, 60965224, 1309730408.0, 0.0},
    {"onnx/light_resnet50.onnx", 415, 239, 25610152, 8.18e9, 0.01},
    {"onnx/light_vgg19.onnx", 82, 36, 143667240, 39.26e9, 0.01},
    {"onnx/light_squeezenet.onnx", 105, 39, 1235496, 0.70e9, 0.02},
    {"onnx/light_densenet121.onnx", 1746, 836 + 242, 8146152, 5.74e9, 0.02},
    {"onnx/light_inception_v1.onnx", 237, 93 + 1, 6998552, 0, 0},
    {"onnx/light_inception_v2.onnx", 916, 407 + 138, 0, 0, 0},
    {"onnx/light_shufflenet.onnx", 446, 243, 0, 0, 0},
    {"onnx/light_zfnet512.onnx", 38, 16, 0, 0, 0},
    {"onnx2c/mnist-8_model.onnx", 12, 1, 5994, 1573120.0, 0.0},
    {"onnx2c/mnist.simplified.onnx", 5, 0, 3750, 66050.0, 0.0},
    {"onnx2c/mnist_pytorch.onnx", 9, 4, 55424, 109824.0, 0.0},
};

static const char *corpus_dir(void)
{
	const char *d = getenv("TRACECAST_CORPUS");
	if (!d || !*d)
		d = getenv("TC_CORPUS_DEFAULT");
	struct stat st;
	if (!d || stat(d, &st) != 0 || !S_ISDIR(st.st_mode))
		return NULL;
	return d;
}

static void check_model(const struct expect *e, int training)
{
	const char *dir = corpus_dir();
	if (!dir)
		cr_skip_test("corpus not found (set TRACECAST_CORPUS)");
	char path[1024];
	snprintf(path, sizeof(path), "%s/%s", dir, e->file);
	struct stat st;
	if (stat(path, &st) != 0)
		cr_skip_test("%s not in the corpus", e->file);
	struct rstream s;
	struct tc_err err = TC_ERR_INIT;
	struct tc_ingest_opts o = TC_INGEST_OPTS_INIT;
	o.training = training;
	cr_assert_eq(onnx_ingest(path, &o, &s, &err), 0, "%s", err.msg);
	char want[32];
	snprintf(want, sizeof(want), "%llu", (unsigned long long)e->nodes);
	cr_assert_str_eq(rs_meta(&s, "nodes"), want, "%s", e->file);
	snprintf(want, sizeof(want), "%llu", (unsigned long long)e->folded);
	cr_assert_str_eq(rs_meta(&s, "folded"), want, "%s", e->file);
	cr_assert_str_eq(rs_meta(&s, "unknown_ops"), "", "%s", e->file);
	if (e->params) {
		snprintf(want, sizeof(want), "%llu", (unsigned long long)e->params);
		cr_assert_str_eq(rs_meta(&s, "params"), want, "%s", e->file);
	}
	uint64_t fwd = 0, bwd = 0, opt = 0;
	double convgemm = 0;
	for (size_t i = 0; i < s.n; i++) {
		const struct tc_op *op = &s.ops[i].op;
		cr_assert_eq(op->has_work, 1, "%s: op %zu (%s) has unknown work", e->file, i,
			     s.ops[i].name);
		for (uint32_t k = 0; k < s.ops[i].n_deps; k++)
			cr_assert_lt(s.ops[i].deps[k], op->id);
		if (op->flags & TC_FLAG_BACKWARD)
			bwd++;
		else if (op->op_class == TC_CLASS_OPTIMIZER)
			opt++;
		else
			fwd++;
		if (!(op->flags & TC_FLAG_SYNTHETIC) &&
		    (op->op_class == TC_CLASS_CONV || op->op_class == TC_CLASS_GEMM))
			convgemm += (double)op->flops;
	}
	cr_assert_eq(fwd, e->nodes - e->folded, "%s: %llu forward ops", e->file,
		     (unsigned long long)fwd);
	if (e->convgemm > 0) {
		double rel = (convgemm - e->convgemm) / e->convgemm;
		cr_assert(rel <= e->tol && rel >= -e->tol,
			  "%s: conv+gemm %.6g FLOPs, want %.6g (+-%g)", e->file, convgemm,
			  e->convgemm, e->tol);
	}
	if (training) {
		/* every forward op is downstream of a weight in these models: one backward each */
		cr_assert_eq(bwd, fwd, "%s", e->file);
		cr_assert_gt(opt, 0);
	}
	free(s.ops);
}

Test(onnx_corpus, every_model)
{
	for (size_t i = 0; i < sizeof(models) / sizeof(models[0]); i++)
		check_model(&models[i], 0);
}

Test(onnx_corpus, every_model_training)
{
	for (size_t i = 0; i < sizeof(models) / sizeof(models[0]); i++)
		check_model(&models[i], 1);
}

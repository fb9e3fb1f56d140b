/* Unit tests of FLOPs/bytes from shapes (work.c). Every expected number is worked out by
 * hand in the comment next to it, with the conventions of docs/ingest.md. */
#include <criterion/criterion.h>

#include "ingest.h"

#define S(...) ((int64_t[]){__VA_ARGS__})
#define SH(arr, r) ((struct tc_shape){(r), (arr)})

static const int64_t none[1] = {0};

Test(work, mm_addmm_bmm)
{
	struct tc_work w;
	/* mm [128,512] x [512,256] fp32: 2*128*512*256 = 33554432 FLOPs; read (65536+131072)*4 =
	 * 786432; write 128*256*4 = 131072 */
	struct tc_shape mm[] = {SH(S(128, 512), 2), SH(S(512, 256), 2)};
	uint8_t f32x2[] = {TC_DT_F32, TC_DT_F32};
	cr_assert_eq(tc_work_of_op("aten::mm", mm, 2, f32x2, &w), 1);
	cr_expect_eq(w.flops, 33554432ull);
	cr_expect_eq(w.bytes_read, 786432ull);
	cr_expect_eq(w.bytes_written, 131072ull);
	cr_expect_eq(w.m, 128);
	cr_expect_eq(w.n, 256);
	cr_expect_eq(w.k, 512);
	cr_expect_eq(w.dtype, TC_DT_F32);

	/* addmm(bias[512], [1024,1705], [1705,512]) from the A100 corpus trace: 2*1024*1705*512 =
	 * 1787822080; read (512 + 1745920 + 872960)*4 = 10477568; write 1024*512*4 = 2097152 */
	struct tc_shape am[] = {SH(S(512), 1), SH(S(1024, 1705), 2), SH(S(1705, 512), 2),
				SH(none, 0), SH(none, 0)};
	uint8_t amt[] = {TC_DT_F32, TC_DT_F32, TC_DT_F32, TC_DT_UNKNOWN, TC_DT_UNKNOWN};
	cr_assert_eq(tc_work_of_op("aten::addmm", am, 5, amt, &w), 1);
	cr_expect_eq(w.flops, 1787822080ull);
	cr_expect_eq(w.bytes_read, 10477568ull);
	cr_expect_eq(w.bytes_written, 2097152ull);

	/* bmm [1024,96,50] x [1024,50,8] (corpus): 2*1024*96*50*8 = 78643200 */
	struct tc_shape bm[] = {SH(S(1024, 96, 50), 3), SH(S(1024, 50, 8), 3)};
	cr_assert_eq(tc_work_of_op("aten::bmm", bm, 2, f32x2, &w), 1);
	cr_expect_eq(w.flops, 78643200ull);
	cr_expect_eq(w.batch, 1024);

	/* mismatched inner dims: not understood */
	struct tc_shape bad[] = {SH(S(128, 512), 2), SH(S(256, 256), 2)};
	cr_expect_eq(tc_work_of_op("aten::mm", bad, 2, f32x2, &w), 0);
}

Test(work, linear_matmul_baddbmm)
{
	struct tc_work w;
	/* linear x[1,141,512] bf16, W[512,512], b[512]: m = 141, 2*141*512*512 = 73924608;
	 * read (72192 + 262144 + 512)*2 = 669696; write 141*512*2 = 144384 */
	struct tc_shape li[] = {SH(S(1, 141, 512), 3), SH(S(512, 512), 2), SH(S(512), 1)};
	uint8_t bf3[] = {TC_DT_BF16, TC_DT_BF16, TC_DT_BF16};
	cr_assert_eq(tc_work_of_op("aten::linear", li, 3, bf3, &w), 1);
	cr_expect_eq(w.flops, 73924608ull);
	cr_expect_eq(w.bytes_read, 669696ull);
	cr_expect_eq(w.bytes_written, 144384ull);
	cr_expect_eq(w.dtype, TC_DT_BF16);

	/* matmul [8,16,64,32] x [32,48] broadcast: batch 128, 2*128*64*48*32 = 25165824 */
	struct tc_shape mt[] = {SH(S(8, 16, 64, 32), 4), SH(S(32, 48), 2)};
	cr_assert_eq(tc_work_of_op("aten::matmul", mt, 2, bf3, &w), 1);
	cr_expect_eq(w.flops, 25165824ull);
	cr_expect_eq(w.batch, 128);

	/* baddbmm(C[4,10,20], A[4,10,30], B[4,30,20]): 2*4*10*20*30 = 48000 */
	struct tc_shape bb[] = {SH(S(4, 10, 20), 3), SH(S(4, 10, 30), 3), SH(S(4, 30, 20), 3)};
	cr_assert_eq(tc_work_of_op("aten::baddbmm", bb, 3, bf3, &w), 1);
	cr_expect_eq(w.flops, 48000ull);
}

Test(work, conv)
{
	struct tc_work w;
	/* conv [10,256,14,14] * [512,256,3,3], stride 2, pad 1 (ResNet, mi300 corpus):
	 * out 7x7; 2*10*512*256*9*49 = 1156055040 */
	struct tc_shape cv[] = {SH(S(10, 256, 14, 14), 4), SH(S(512, 256, 3, 3), 4), SH(none, 0)};
	uint8_t t[] = {TC_DT_BF16, TC_DT_BF16, TC_DT_UNKNOWN};
	struct tc_conv_params p = {2, {2, 2, 0}, {1, 1, 0}, {1, 1, 0}, {0, 0, 0}, 0};
	cr_assert_eq(tc_work_of_op_conv("aten::convolution", cv, 3, t, &p, &w), 1);
	cr_expect_eq(w.flops, 1156055040ull);
	/* write 10*512*49*2 = 501760 */
	cr_expect_eq(w.bytes_written, 501760ull);
	/* unknown geometry: stride 1, same padding -> out 14x14, 4x the FLOPs */
	cr_assert_eq(tc_work_of_op("aten::convolution", cv, 3, t, &w), 1);
	cr_expect_eq(w.flops, 4ull * 1156055040ull);
	/* grouped (depthwise) conv: [1,32,8,8] * [32,1,3,3], groups 32: 2*1*32*1*9*64 = 36864 */
	struct tc_shape dw[] = {SH(S(1, 32, 8, 8), 4), SH(S(32, 1, 3, 3), 4)};
	uint8_t t2[] = {TC_DT_F32, TC_DT_F32};
	cr_assert_eq(tc_work_of_op("aten::conv2d", dw, 2, t2, &w), 1);
	cr_expect_eq(w.flops, 36864ull);
	/* backward: grad_out [10,512,7,7], input [10,256,14,14], weight [512,256,3,3]:
	 * 2 x forward = 2312110080 */
	struct tc_shape cb[] = {SH(S(10, 512, 7, 7), 4), SH(S(10, 256, 14, 14), 4),
				SH(S(512, 256, 3, 3), 4)};
	uint8_t t3[] = {TC_DT_BF16, TC_DT_BF16, TC_DT_BF16};
	cr_assert_eq(tc_work_of_op("aten::convolution_backward", cb, 3, t3, &w), 1);
	cr_expect_eq(w.flops, 2312110080ull);
}

Test(work, attention)
{
	struct tc_work w;
	/* sdpa q,k,v [2,8,128,64] (B,H,L,E): 2*16*128*128*(64+64) = 67108864 */
	struct tc_shape q[] = {SH(S(2, 8, 128, 64), 4), SH(S(2, 8, 128, 64), 4),
			       SH(S(2, 8, 128, 64), 4)};
	uint8_t t[] = {TC_DT_F16, TC_DT_F16, TC_DT_F16};
	cr_assert_eq(tc_work_of_op("aten::_scaled_dot_product_flash_attention", q, 3, t, &w), 1);
	cr_expect_eq(w.flops, 67108864ull);
	/* read 3 * 131072 * 2 = 786432; write 2*8*128*64*2 = 262144 */
	cr_expect_eq(w.bytes_read, 786432ull);
	cr_expect_eq(w.bytes_written, 262144ull);
	/* flash kernel layout (B,L,H,E): q [2,128,8,64] is the same problem */
	struct tc_shape f[] = {SH(S(2, 128, 8, 64), 4), SH(S(2, 128, 8, 64), 4),
			       SH(S(2, 128, 8, 64), 4)};
	cr_assert_eq(tc_work_of_op("aten::_flash_attention_forward", f, 3, t, &w), 1);
	cr_expect_eq(w.flops, 67108864ull);
	/* backward = 2.5 x forward = 167772160 (grad_out first) */
	struct tc_shape b[] = {SH(S(2, 8, 128, 64), 4), SH(S(2, 8, 128, 64), 4),
			       SH(S(2, 8, 128, 64), 4), SH(S(2, 8, 128, 64), 4)};
	uint8_t t4[] = {TC_DT_F16, TC_DT_F16, TC_DT_F16, TC_DT_F16};
	cr_assert_eq(
	    tc_work_of_op("aten::_scaled_dot_product_flash_attention_backward", b, 4, t4, &w), 1);
	cr_expect_eq(w.flops, 167772160ull);
}

Test(work, memory_bound_ops)
{
	struct tc_work w;
	/* add [1024,512] + [1024,512] fp32 (+ Scalar): 524288 FLOPs, read 2*2097152, write 2097152
	 */
	struct tc_shape ad[] = {SH(S(1024, 512), 2), SH(S(1024, 512), 2), SH(none, 0)};
	uint8_t at[] = {TC_DT_F32, TC_DT_F32, TC_DT_UNKNOWN};
	cr_assert_eq(tc_work_of_op("aten::add", ad, 3, at, &w), 1);
	cr_expect_eq(w.flops, 524288ull);
	cr_expect_eq(w.bytes_read, 4194304ull);
	cr_expect_eq(w.bytes_written, 2097152ull);
	/* broadcast add [1024,512] + [512]: output 524288 elems, read 2097152 + 2048 */
	struct tc_shape bc[] = {SH(S(1024, 512), 2), SH(S(512), 1)};
	cr_assert_eq(tc_work_of_op("aten::add_", bc, 2, at, &w), 1);
	cr_expect_eq(w.flops, 524288ull);
	cr_expect_eq(w.bytes_read, 2099200ull);
	/* layer_norm [1,141,512] bf16 with weight/bias [512]: 5*72192 = 360960 FLOPs;
	 * read (72192+512+512)*2 = 146432; write 144384 */
	struct tc_shape ln[] = {SH(S(1, 141, 512), 3), SH(none, 0), SH(S(512), 1),
				SH(S(512), 1),	       SH(none, 0), SH(none, 0)};
	uint8_t lt[] = {TC_DT_BF16, TC_DT_UNKNOWN, TC_DT_BF16,
			TC_DT_BF16, TC_DT_UNKNOWN, TC_DT_UNKNOWN};
	cr_assert_eq(tc_work_of_op("aten::layer_norm", ln, 6, lt, &w), 1);
	cr_expect_eq(w.flops, 360960ull);
	cr_expect_eq(w.bytes_read, 146432ull);
	cr_expect_eq(w.bytes_written, 144384ull);
	/* softmax [64,1000] fp32: 5*64000 = 320000 FLOPs, 256000 bytes each way */
	struct tc_shape sm[] = {SH(S(64, 1000), 2), SH(none, 0), SH(none, 0)};
	uint8_t st[] = {TC_DT_F32, TC_DT_UNKNOWN, TC_DT_UNKNOWN};
	cr_assert_eq(tc_work_of_op("aten::_softmax", sm, 3, st, &w), 1);
	cr_expect_eq(w.flops, 320000ull);
	cr_expect_eq(w.bytes_written, 256000ull);
	/* embedding(weight [30522,512] bf16, idx [1,141] int64): rows 141*512*2 = 144384;
	 * read 144384 + 141*8 = 145512 */
	struct tc_shape em[] = {SH(S(30522, 512), 2), SH(S(1, 141), 2), SH(none, 0)};
	uint8_t et[] = {TC_DT_BF16, TC_DT_I64, TC_DT_UNKNOWN};
	cr_assert_eq(tc_work_of_op("aten::embedding", em, 3, et, &w), 1);
	cr_expect_eq(w.flops, 0ull);
	cr_expect_eq(w.bytes_read, 145512ull);
	cr_expect_eq(w.bytes_written, 144384ull);
	/* copy_(dst [951,1024] f32, src [951,1024] bf16): read 1947648, write 3895296 */
	struct tc_shape cp[] = {SH(S(951, 1024), 2), SH(S(951, 1024), 2), SH(none, 0)};
	uint8_t ct[] = {TC_DT_F32, TC_DT_BF16, TC_DT_UNKNOWN};
	cr_assert_eq(tc_work_of_op("aten::copy_", cp, 3, ct, &w), 1);
	cr_expect_eq(w.bytes_read, 1947648ull);
	cr_expect_eq(w.bytes_written, 3895296ull);
	/* unknown op, unknown dims */
	cr_expect_eq(tc_work_of_op("aten::view", cp, 2, ct, &w), 0);
	struct tc_shape neg[] = {SH(S(-1, 4), 2), SH(S(4, 4), 2)};
	cr_expect_eq(tc_work_of_op("aten::mm", neg, 2, ct, &w), 0);
}

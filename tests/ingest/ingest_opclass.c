/* Unit tests of the shared classification table (opclass.c): names from real traces
 * (corpus kernel names, aten ops, ONNX op types) with the class a reader would give them. */
#include <criterion/criterion.h>

#include "ingest.h"

static void op_is(const char *name, unsigned cls)
{
	cr_expect_eq(tc_opclass_of_op(name), cls, "%s: got %s, want %s", name,
		     tc_class_name(tc_opclass_of_op(name)), tc_class_name(cls));
}

static void kernel_is(const char *name, unsigned cls)
{
	cr_expect_eq(tc_opclass_of_kernel(name), cls, "%s: got %s, want %s", name,
		     tc_class_name(tc_opclass_of_kernel(name)), tc_class_name(cls));
}

Test(opclass, aten_ops)
{
	op_is("aten::mm", TC_CLASS_GEMM);
	op_is("aten::addmm", TC_CLASS_GEMM);
	op_is("aten::linear", TC_CLASS_GEMM);
	op_is("aten::bmm", TC_CLASS_GEMM);
	op_is("aten::baddbmm", TC_CLASS_GEMM);
	op_is("aten::matmul", TC_CLASS_GEMM);
	op_is("aten::convolution", TC_CLASS_CONV);
	op_is("aten::_convolution", TC_CLASS_CONV);
	op_is("aten::cudnn_convolution", TC_CLASS_CONV);
	op_is("aten::convolution_backward", TC_CLASS_CONV);
	op_is("aten::scaled_dot_product_attention", TC_CLASS_ATTENTION);
	op_is("aten::_scaled_dot_product_flash_attention", TC_CLASS_ATTENTION);
	op_is("aten::_flash_attention_forward", TC_CLASS_ATTENTION);
	op_is("aten::_efficient_attention_forward", TC_CLASS_ATTENTION);
	op_is("aten::layer_norm", TC_CLASS_NORM);
	op_is("aten::native_layer_norm_backward", TC_CLASS_NORM);
	op_is("aten::batch_norm", TC_CLASS_NORM);
	op_is("aten::_softmax", TC_CLASS_SOFTMAX);
	op_is("aten::_softmax_backward_data", TC_CLASS_SOFTMAX);
	op_is("aten::embedding", TC_CLASS_EMBEDDING);
	op_is("aten::embedding_dense_backward", TC_CLASS_EMBEDDING);
	op_is("aten::add_", TC_CLASS_ELEMENTWISE);
	op_is("aten::gelu", TC_CLASS_ELEMENTWISE);
	op_is("aten::threshold_backward", TC_CLASS_ELEMENTWISE);
	op_is("aten::sum", TC_CLASS_REDUCTION);
	op_is("aten::max_pool2d_with_indices", TC_CLASS_REDUCTION);
	op_is("aten::copy_", TC_CLASS_COPY);
	op_is("aten::cat", TC_CLASS_COPY);
	op_is("aten::fill_", TC_CLASS_MEMSET);
	op_is("aten::zero_", TC_CLASS_MEMSET);
	op_is("aten::_fused_adamw_", TC_CLASS_OPTIMIZER);
	op_is("aten::_foreach_add_", TC_CLASS_OPTIMIZER);
	op_is("nccl:all_reduce", TC_CLASS_COLLECTIVE);
	op_is("c10d::allgather_", TC_CLASS_COLLECTIVE);
	op_is("aten::view", TC_CLASS_OTHER);
	op_is("record_param_comms", TC_CLASS_OTHER);
	/* autograd wrappers take the forward's class */
	op_is("autograd::engine::evaluate_function: AddmmBackward0", TC_CLASS_GEMM);
	op_is("ConvolutionBackward0", TC_CLASS_CONV);
	op_is("", TC_CLASS_OTHER);
	op_is(NULL, TC_CLASS_OTHER);
}

Test(opclass, onnx_ops)
{
	op_is("MatMul", TC_CLASS_GEMM);
	op_is("Gemm", TC_CLASS_GEMM);
	op_is("Conv", TC_CLASS_CONV);
	op_is("ConvTranspose", TC_CLASS_CONV);
	op_is("MaxPool", TC_CLASS_REDUCTION);
	op_is("GlobalAveragePool", TC_CLASS_REDUCTION);
	op_is("BatchNormalization", TC_CLASS_NORM);
	op_is("LayerNormalization", TC_CLASS_NORM);
	op_is("SkipLayerNormalization", TC_CLASS_NORM);
	op_is("Softmax", TC_CLASS_SOFTMAX);
	op_is("Relu", TC_CLASS_ELEMENTWISE);
	op_is("Gelu", TC_CLASS_ELEMENTWISE);
	op_is("FastGelu", TC_CLASS_ELEMENTWISE);
	op_is("BiasGelu", TC_CLASS_ELEMENTWISE);
	op_is("Add", TC_CLASS_ELEMENTWISE);
	op_is("Mul", TC_CLASS_ELEMENTWISE);
	/* ONNX Sum is variadic elementwise, aten::sum a reduction */
	op_is("Sum", TC_CLASS_ELEMENTWISE);
	op_is("ReduceMean", TC_CLASS_REDUCTION);
	op_is("Gather", TC_CLASS_EMBEDDING);
	op_is("EmbedLayerNormalization", TC_CLASS_EMBEDDING);
	op_is("Attention", TC_CLASS_ATTENTION);
	op_is("com.microsoft::MultiHeadAttention", TC_CLASS_ATTENTION);
	op_is("GroupQueryAttention", TC_CLASS_ATTENTION);
	op_is("RotaryEmbedding", TC_CLASS_ELEMENTWISE);
	op_is("Reshape", TC_CLASS_COPY);
	op_is("Transpose", TC_CLASS_COPY);
	op_is("Concat", TC_CLASS_COPY);
	op_is("ConstantOfShape", TC_CLASS_MEMSET);
	op_is("Scatter", TC_CLASS_COPY);
}

Test(opclass, kernels)
{
	kernel_is("ampere_sgemm_128x64_nn", TC_CLASS_GEMM);
	kernel_is("volta_sgemm_128x32_nt", TC_CLASS_GEMM);
	kernel_is("sm90_xmma_gemm_bf16bf16_bf16f32_f32_tn_n_tilesize128x128x64_warpgroupsize1x1x1",
		  TC_CLASS_GEMM);
	kernel_is("nvjet_tst_64x64_64x16_2x1_2cta_v_bz_bias_TNT", TC_CLASS_GEMM);
	kernel_is("Cijk_Alik_Bljk_BBS_BH_Bias_HA_S_SAV_UserArgs_MT32x32x256_MI16x16x1",
		  TC_CLASS_GEMM);
	kernel_is(
	    "void cutlass::Kernel<cutlass_80_tensorop_s1688gemm_64x64_32x6_tn_align4>(Params)",
	    TC_CLASS_GEMM);
	kernel_is("void gemv2T_kernel_val<int, int, float>()", TC_CLASS_GEMM);
	kernel_is("triton_tem_fused_mm_0", TC_CLASS_GEMM);
	kernel_is("sm80_xmma_fprop_implicit_gemm_indexed_tf32f32_tf32f32_f32_nhwckrsc_nchw",
		  TC_CLASS_CONV);
	kernel_is("sm80_xmma_wgrad_implicit_gemm_indexed_tf32f32", TC_CLASS_CONV);
	kernel_is("igemm_fwd_gtcx3_nhwc_bf16_bx0_ex1_bt64x128x32", TC_CLASS_CONV);
	kernel_is("cudnn_infer_ampere_scudnn_128x64_relu_xregs_large_nn_v1", TC_CLASS_CONV);
	kernel_is("void cudnn::ops::nchwToNhwcKernel<float, float, float, false, true>()",
		  TC_CLASS_COPY);
	kernel_is(
	    "void pytorch_flash::flash_fwd_kernel<Flash_fwd_kernel_traits<64> >(Flash_fwd_params)",
	    TC_CLASS_ATTENTION);
	kernel_is("fmhaSm100aKernel_QkvE4m3OBfloat16H64PagedKvCausalP16", TC_CLASS_ATTENTION);
	kernel_is("void paged_attention_ll4mi_QKV_mfma16_kernel<>", TC_CLASS_ATTENTION);
	kernel_is("void at::native::vectorized_elementwise_kernel<4, "
		  "at::native::CUDAFunctor_add<float>, at::detail::Array<char*, 3> >()",
		  TC_CLASS_ELEMENTWISE);
	kernel_is("void at::native::vectorized_elementwise_kernel<4, "
		  "at::native::FillFunctor<float>, at::detail::Array<char*, 1> >()",
		  TC_CLASS_MEMSET);
	kernel_is("void at::native::reduce_kernel<512, 1, at::native::ReduceOp<float, "
		  "at::native::NormOps<float> > >()",
		  TC_CLASS_REDUCTION);
	kernel_is(
	    "void at::native::(anonymous namespace)::vectorized_layer_norm_kernel<float, float>()",
	    TC_CLASS_NORM);
	kernel_is("_ZN7ck_tile6kentryILi1ENS_12Rmsnorm2dFwdINS_27Rmsnorm2dFwdPipelineOnePass",
		  TC_CLASS_NORM);
	kernel_is("void cudnn::bn_fw_tr_1C11_kernel_NCHW<float, float, int, 512, true, 1>()",
		  TC_CLASS_NORM);
	kernel_is(
	    "void (anonymous namespace)::softmax_warp_forward<float, float, float, 10, false>()",
	    TC_CLASS_SOFTMAX);
	kernel_is("void at::native::(anonymous namespace)::indexSelectLargeIndex<float, long>()",
		  TC_CLASS_EMBEDDING);
	kernel_is("void split_embedding_codegen_forward_unweighted_kernel<>", TC_CLASS_EMBEDDING);
	kernel_is("void vllm::rotary_embedding_kernel<c10::BFloat16, true>()",
		  TC_CLASS_ELEMENTWISE);
	kernel_is("Memcpy HtoD (Pageable -> Device)", TC_CLASS_COPY);
	kernel_is("Memset (Device)", TC_CLASS_MEMSET);
	kernel_is("ncclKernel_AllReduce_RING_LL_Sum_float(ncclDevComm*, unsigned long, ncclWork*)",
		  TC_CLASS_COLLECTIVE);
	kernel_is("ncclDevKernel_Generic(ncclDevKernelArgsStorage<4096ul>)", TC_CLASS_COLLECTIVE);
	kernel_is("void (anonymous namespace)::multimem_all_reduce_kernel<>", TC_CLASS_COLLECTIVE);
	kernel_is("void at::native::(anonymous "
		  "namespace)::multi_tensor_apply_kernel<at::native::(anonymous "
		  "namespace)::TensorListMetadata<4>, FusedAdamMathFunctor>()",
		  TC_CLASS_OPTIMIZER);
	kernel_is("triton_poi_fused_add_0", TC_CLASS_ELEMENTWISE);
	kernel_is("triton_red_fused_sum_1", TC_CLASS_REDUCTION);
	kernel_is("void fbgemm_gpu::permute_2D_lengths_kernel<>", TC_CLASS_COPY);
	kernel_is("void cub::DeviceRadixSortOnesweepKernel<>", TC_CLASS_OTHER);
	/* heads that say nothing: words in the template arguments or the parameter list decide
	 * (these were hwmodel's fallback words; hwmodel now reads the class only) */
	kernel_is("void epilogue::impl::globalKernel<float, float, float, true, true>(int, int, "
		  "long, float*, cublasLtEpilogue_t, int, float*, long, void*, long, long, long, "
		  "float*, long, int*)",
		  TC_CLASS_GEMM);
	kernel_is("void mystery_kernel<ncclDevComm>()", TC_CLASS_COLLECTIVE);
	kernel_is("void mystery_kernel<Cijk_Ailk>()", TC_CLASS_GEMM);
	kernel_is("void mystery_kernel<SoftMaxForwardEpilogue>()", TC_CLASS_SOFTMAX);
	kernel_is("void mystery_kernel<float>()", TC_CLASS_OTHER);
	kernel_is("void bounds_check_indices_kernel<long>(long, fbgemm_gpu::FixedDivisor)",
		  TC_CLASS_OTHER);
}

Test(opclass, collectives)
{
	cr_expect_eq(tc_coll_of_name("ncclKernel_AllReduce_RING_LL_Sum_float"), TC_COLL_ALLREDUCE);
	cr_expect_eq(tc_coll_of_name("ncclDevKernel_AllGather_RING_LL(x)"), TC_COLL_ALLGATHER);
	cr_expect_eq(tc_coll_of_name("ncclKernel_SendRecv_RING_SIMPLE_Sum_int8_t(ncclWorkElem)"),
		     TC_COLL_SENDRECV);
	cr_expect_eq(tc_coll_of_name("ncclKernel_Broadcast_RING_LL_Sum_int8_t"), TC_COLL_BROADCAST);
	cr_expect_eq(tc_coll_of_name("ncclDevKernel_Generic(ncclDevKernelArgsStorage<4096ul>)"),
		     TC_COLL_NONE);
	cr_expect_eq(tc_coll_of_name("nccl:all_reduce"), TC_COLL_ALLREDUCE);
	cr_expect_eq(tc_coll_of_name("nccl:_reduce_scatter_base"), TC_COLL_REDUCE_SCATTER);
	cr_expect_eq(tc_coll_of_name("nccl:all_to_all"), TC_COLL_ALLTOALL);
	cr_expect_eq(tc_coll_of_name("c10d::alltoall_base_"), TC_COLL_ALLTOALL);
	cr_expect_eq(tc_coll_of_name("_allgather_base"), TC_COLL_ALLGATHER);
	cr_expect_eq(tc_coll_of_name("allreduce"), TC_COLL_ALLREDUCE);
	cr_expect_eq(tc_coll_of_name("all_to_allv"), TC_COLL_ALLTOALL);
	cr_expect_eq(tc_coll_of_name("reduce_scatter_tensor_coalesced"), TC_COLL_REDUCE_SCATTER);
	cr_expect_eq(tc_coll_of_name("nccl:send"), TC_COLL_SEND);
	cr_expect_eq(tc_coll_of_name("nccl:recv"), TC_COLL_RECV);
	cr_expect_eq(tc_coll_of_name("barrier"), TC_COLL_BARRIER);
	cr_expect_eq(tc_coll_of_name("broadcast"), TC_COLL_BROADCAST);
	/* not collectives */
	cr_expect_eq(tc_coll_of_name("at::native::reduce_kernel<1>"), TC_COLL_NONE);
	cr_expect_eq(tc_coll_of_name("aten::broadcast_to"), TC_COLL_NONE);
	cr_expect_eq(tc_coll_of_name("record_param_comms"), TC_COLL_NONE);
	cr_expect_eq(tc_coll_of_name(NULL), TC_COLL_NONE);
}

Test(opclass, dtypes)
{
	cr_expect_eq(tc_dtype_of_name("float"), TC_DT_F32);
	cr_expect_eq(tc_dtype_of_name("c10::BFloat16"), TC_DT_BF16);
	cr_expect_eq(tc_dtype_of_name("c10::Half"), TC_DT_F16);
	cr_expect_eq(tc_dtype_of_name("long int"), TC_DT_I64);
	cr_expect_eq(tc_dtype_of_name("unsigned char"), TC_DT_U8);
	cr_expect_eq(tc_dtype_of_name("double"), TC_DT_F64);
	cr_expect_eq(tc_dtype_of_name("bool"), TC_DT_BOOL);
	cr_expect_eq(tc_dtype_of_name("Float"), TC_DT_F32); /* NCCL "dtype" arg */
	cr_expect_eq(tc_dtype_of_name("BFloat16"), TC_DT_BF16);
	cr_expect_eq(tc_dtype_of_name("bf16"), TC_DT_BF16);
	cr_expect_eq(tc_dtype_of_name("float16"), TC_DT_F16);
	cr_expect_eq(tc_dtype_of_name("tensor(float16)"), TC_DT_F16);
	cr_expect_eq(tc_dtype_of_name("c10::Float8_e4m3fn"), TC_DT_FP8_E4M3);
	cr_expect_eq(tc_dtype_of_name("Scalar"), TC_DT_UNKNOWN);
	cr_expect_eq(tc_dtype_of_name("ScalarList"), TC_DT_UNKNOWN);
	cr_expect_eq(tc_dtype_of_name(""), TC_DT_UNKNOWN);
	cr_expect_eq(tc_dtype_of_name(NULL), TC_DT_UNKNOWN);
}

/* gen.c - tracecast-gen: writes realistic Kineto (PyTorch profiler) JSON traces of
 * transformer training steps, one file per rank, deterministic for a given --seed.
 *
 * The trace has what real ones have: ProfilerStep#N, aten ops with Input Dims/Input type,
 * cudaLaunchKernel with correlation + External id, kernels on a compute stream, NCCL
 * all-reduce (gradient buckets) and all-gather kernels on a comm stream with Collective
 * args and a record_param_comms parent, cudaEventRecord/cudaStreamWaitEvent pairs with
 * cuda_sync events, ac2g flows, a cudaDeviceSynchronize per step, deviceProperties and
 * distributedInfo. Kernel durations come from FLOPs and bytes at A100-like efficiency
 * (312 TFLOP/s bf16 at 60-75%, 2.0 TB/s at 80%), so a projection has something to scale. */
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

struct opts {
	int ranks, steps, layers, hidden, seq, batch, heads, vocab, gz;
	uint64_t seed;
	const char *out;
};

struct out {
	FILE *fp;
	gzFile gz;
	char buf[1 << 16];
	size_t n;
	int first;
};

static void out_flush(struct out *o)
{
	if (o->gz)
		gzwrite(o->gz, o->buf, (unsigned)o->n);
	else
		fwrite(o->buf, 1, o->n, o->fp);
	o->n = 0;
}

static void emit(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void emit(struct out *o, const char *fmt, ...)
{
	va_list ap;
	char line[2048];
	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line))
		n = sizeof(line) - 1;
	if (o->n + (size_t)n + 4 > sizeof(o->buf))
		out_flush(o);
	if (!o->first) {
		o->buf[o->n++] = ',';
		o->buf[o->n++] = '\n';
	}
	o->first = 0;
	memcpy(o->buf + o->n, line, (size_t)n);
	o->n += (size_t)n;
}

static void raw(struct out *o, const char *s)
{
	size_t n = strlen(s);
	if (o->n + n > sizeof(o->buf))
		out_flush(o);
	memcpy(o->buf + o->n, s, n);
	o->n += n;
}

/* ---- deterministic randomness ---- */
static uint64_t rng_next(uint64_t *s)
{
	uint64_t x = *s;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*s = x;
	return x;
}
static double jitter(uint64_t *s, double frac)
{
	double u = (double)(rng_next(s) >> 11) / 9007199254740992.0;
	return 1.0 + frac * (2.0 * u - 1.0);
}

/* ---- the simulated machine ---- */
#define PEAK_FLOPS 312e12
#define PEAK_BW 2.039e12
#define NVLINK_BW 240e9

struct sim {
	struct out *o;
	uint64_t rng;
	int rank, world;
	int64_t cpu;	 /* main thread clock, ns */
	int64_t compute; /* compute stream free at, ns */
	int64_t comm;	 /* comm stream free at */
	uint64_t corr, ext;
	int pid, tid;
	int64_t ag_seq, ar_seq;
};

static void fmt_us(char *b, size_t n, int64_t ns)
{
	snprintf(b, n, "%" PRId64 ".%03d", ns / 1000, (int)(ns % 1000));
}

static void x_event(struct sim *s, const char *cat, const char *name, int pid, int tid, int64_t ts,
		    int64_t dur, const char *args)
{
	char a[32], b[32];
	fmt_us(a, sizeof(a), ts);
	fmt_us(b, sizeof(b), dur);
	emit(s->o,
	     "{\"ph\": \"X\", \"cat\": \"%s\", \"name\": \"%s\", \"pid\": %d, \"tid\": %d, "
	     "\"ts\": %s, \"dur\": %s, \"args\": {%s}}",
	     cat, name, pid, tid, a, b, args);
}

static int64_t kernel_ns(struct sim *s, double flops, double bytes)
{
	double eff = flops > 1e9 ? 0.72 : 0.6;
	double t = fmax(flops / (PEAK_FLOPS * eff), bytes / (PEAK_BW * 0.8));
	return (int64_t)((t * 1e9 + 2500.0) * jitter(&s->rng, 0.03));
}

/* One launch: runtime call on the CPU thread, kernel on a stream, flow pair. */
static void launch(struct sim *s, const char *kname, int stream, double flops, double bytes,
		   const char *kargs, int64_t not_before)
{
	char args[1024];
	uint64_t corr = ++s->corr;
	int64_t rt_dur = (int64_t)(4500 * jitter(&s->rng, 0.2));
	int64_t rt_ts = s->cpu;
	snprintf(args, sizeof(args),
		 "\"External id\": %" PRIu64 ", \"cbid\": 211, \"correlation\": %" PRIu64, s->ext,
		 corr);
	x_event(s, "cuda_runtime", "cudaLaunchKernel", s->pid, s->tid, rt_ts, rt_dur, args);
	int64_t *free_at = stream == 7 ? &s->compute : &s->comm;
	int64_t start = rt_ts + 3000;
	if (*free_at > start)
		start = *free_at;
	if (not_before > start)
		start = not_before;
	int64_t dur = kernel_ns(s, flops, bytes);
	if (stream != 7)
		dur =
		    (int64_t)((bytes / NVLINK_BW * 2.0 * (s->world - 1) / s->world * 1e9 + 12000) *
			      jitter(&s->rng, 0.05));
	snprintf(args, sizeof(args),
		 "\"External id\": %" PRIu64 ", \"queued\": 0, \"device\": %d, \"context\": 1, "
		 "\"stream\": %d, \"correlation\": %" PRIu64 ", \"grid\": [108, 1, 1], \"block\": "
		 "[256, 1, 1]%s%s",
		 s->ext, s->rank % 8, stream, corr, kargs ? ", " : "", kargs ? kargs : "");
	x_event(s, "kernel", kname, s->rank % 8, stream, start, dur, args);
	char a[32], b[32];
	fmt_us(a, sizeof(a), rt_ts);
	fmt_us(b, sizeof(b), start);
	emit(s->o,
	     "{\"ph\": \"s\", \"id\": %" PRIu64 ", \"pid\": %d, \"tid\": %d, \"ts\": %s, "
	     "\"cat\": \"ac2g\", \"name\": \"ac2g\"}",
	     corr, s->pid, s->tid, a);
	emit(s->o,
	     "{\"ph\": \"f\", \"id\": %" PRIu64 ", \"pid\": %d, \"tid\": %d, \"ts\": %s, "
	     "\"cat\": \"ac2g\", \"name\": \"ac2g\", \"bp\": \"e\"}",
	     corr, s->rank % 8, stream, b);
	*free_at = start + dur;
	s->cpu = rt_ts + rt_dur + 500;
}

/* An aten op that launches one kernel: the op's span encloses the launch. */
static void aten1(struct sim *s, const char *op, const char *dims, const char *types,
		  const char *kname, double flops, double bytes)
{
	char args[1024];
	int64_t ts = s->cpu;
	s->ext++;
	s->cpu += (int64_t)(6000 * jitter(&s->rng, 0.3));
	launch(s, kname, 7, flops, bytes, NULL, 0);
	s->cpu += (int64_t)(2000 * jitter(&s->rng, 0.3));
	snprintf(args, sizeof(args),
		 "\"External id\": %" PRIu64 ", \"Input Dims\": %s, \"Input type\": %s", s->ext,
		 dims, types);
	x_event(s, "cpu_op", op, s->pid, s->tid, ts, s->cpu - ts, args);
	s->cpu += 1500;
}

static void linear(struct sim *s, int64_t m, int64_t k, int64_t n, int backward)
{
	char d[256];
	double fl = 2.0 * (double)m * (double)k * (double)n;
	double by = 2.0 * ((double)m * (double)k + (double)k * (double)n + (double)m * (double)n);
	const char *kn = "ampere_bf16_s16816gemm_bf16_128x128_ldg8_f2f_stages_32x5_tn";
	if (!backward) {
		snprintf(d, sizeof(d),
			 "[[%" PRId64 ", %" PRId64 "], [%" PRId64 ", %" PRId64 "], [%" PRId64 "]]",
			 m, k, n, k, n);
		aten1(s, "aten::linear", d,
		      "[\"c10::BFloat16\", \"c10::BFloat16\", \"c10::BFloat16\"]", kn, fl, by);
		return;
	}
	/* grad input and grad weight */
	snprintf(d, sizeof(d), "[[%" PRId64 ", %" PRId64 "], [%" PRId64 ", %" PRId64 "]]", m, n, n,
		 k);
	aten1(s, "aten::mm", d, "[\"c10::BFloat16\", \"c10::BFloat16\"]",
	      "ampere_bf16_s16816gemm_bf16_128x128_ldg8_f2f_stages_32x5_nn", fl, by);
	snprintf(d, sizeof(d), "[[%" PRId64 ", %" PRId64 "], [%" PRId64 ", %" PRId64 "]]", n, m, m,
		 k);
	aten1(s, "aten::mm", d, "[\"c10::BFloat16\", \"c10::BFloat16\"]",
	      "ampere_bf16_s16816gemm_bf16_128x128_ldg8_f2f_stages_32x5_nt", fl, by);
}

static void eltwise(struct sim *s, const char *op, int64_t m, int64_t n, int inputs)
{
	char d[256];
	double by = 2.0 * (double)m * (double)n * (inputs + 1);
	if (inputs == 2)
		snprintf(d, sizeof(d),
			 "[[%" PRId64 ", %" PRId64 "], [%" PRId64 ", %" PRId64 "], []]", m, n, m,
			 n);
	else
		snprintf(d, sizeof(d), "[[%" PRId64 ", %" PRId64 "], []]", m, n);
	aten1(s, op, d,
	      inputs == 2 ? "[\"c10::BFloat16\", \"c10::BFloat16\", \"Scalar\"]"
			  : "[\"c10::BFloat16\", \"\"]",
	      "void at::native::vectorized_elementwise_kernel<4, "
	      "at::native::BinaryFunctor<c10::BFloat16>, at::detail::Array<char*, 3> >(int, "
	      "at::native::BinaryFunctor<c10::BFloat16>, at::detail::Array<char*, 3>)",
	      (double)m * (double)n, by);
}

/* Cross-stream dependency: record on `from`, wait on `to`, with cuda_sync events. */
static void event_dep(struct sim *s, int from, int to)
{
	char args[512];
	uint64_t rec = ++s->corr;
	int64_t ts = s->cpu;
	snprintf(args, sizeof(args),
		 "\"External id\": %" PRIu64 ", \"cbid\": 135, \"correlation\": %" PRIu64, s->ext,
		 rec);
	x_event(s, "cuda_runtime", "cudaEventRecord", s->pid, s->tid, ts, 2000, args);
	s->cpu += 2500;
	uint64_t wait = ++s->corr;
	snprintf(args, sizeof(args),
		 "\"External id\": %" PRIu64 ", \"cbid\": 147, \"correlation\": %" PRIu64, s->ext,
		 wait);
	x_event(s, "cuda_runtime", "cudaStreamWaitEvent", s->pid, s->tid, s->cpu, 2000, args);
	int64_t *fa = from == 7 ? &s->compute : &s->comm, *ta = to == 7 ? &s->compute : &s->comm;
	int64_t at = s->cpu > *ta ? s->cpu : *ta;
	snprintf(args, sizeof(args),
		 "\"External id\": %" PRIu64
		 ", \"cuda_sync_kind\": \"Stream Wait Event\", \"wait_on_stream\": %d, "
		 "\"wait_on_cuda_event_record_corr_id\": %" PRIu64
		 ", \"wait_on_cuda_event_id\": %" PRIu64 ", \"stream\": %d, "
		 "\"correlation\": %" PRIu64 ", \"device\": %d, \"context\": 1",
		 s->ext, from, rec, rec % 64, to, wait, s->rank % 8);
	x_event(s, "cuda_sync", "Stream Wait Event", s->rank % 8, to, at, 1000, args);
	if (*fa > *ta)
		*ta = *fa; /* the waiting stream cannot run ahead of the recorded work */
	s->cpu += 2500;
}

static void collective(struct sim *s, const char *coll, const char *cpuname, const char *kname,
		       int64_t nelems)
{
	char args[1024], kargs[768];
	int64_t ts = s->cpu;
	char ranks[256];
	size_t o = 0;
	o += (size_t)snprintf(ranks + o, sizeof(ranks) - o, "[");
	for (int r = 0; r < s->world && o < sizeof(ranks) - 8; r++)
		o += (size_t)snprintf(ranks + o, sizeof(ranks) - o, "%s%d", r ? ", " : "", r);
	snprintf(ranks + o, sizeof(ranks) - o, "]");
	event_dep(s, 7, 11);
	s->ext++;
	snprintf(kargs, sizeof(kargs),
		 "\"Collective name\": \"%s\", \"In msg nelems\": %" PRId64
		 ", \"Out msg nelems\": %" PRId64
		 ", \"Group size\": %d, \"dtype\": \"BFloat16\", \"Process Group Name\": \"0\", "
		 "\"Process Group Description\": \"default_pg\", \"Process Group Ranks\": \"%s\"",
		 coll, nelems, nelems, s->world, ranks);
	int64_t inner = s->cpu;
	s->cpu += 8000;
	launch(s, kname, 11, 0, 2.0 * (double)nelems, kargs, 0);
	s->cpu += 3000;
	snprintf(args, sizeof(args),
		 "\"External id\": %" PRIu64 ", \"Input Dims\": [[%" PRId64
		 "]], \"Input type\": [\"c10::BFloat16\"]",
		 s->ext, nelems);
	x_event(s, "cpu_op", cpuname, s->pid, s->tid, inner, s->cpu - inner, args);
	snprintf(args, sizeof(args), "\"External id\": %" PRIu64 ", %s", s->ext, kargs);
	x_event(s, "cpu_op", "record_param_comms", s->pid, s->tid, ts, s->cpu - ts + 500, args);
	s->cpu += 1500;
}

static void step(struct sim *s, const struct opts *o, int n)
{
	int64_t B = o->batch, T = o->seq, H = o->hidden, M = B * T, NH = o->heads, E = H / NH;
	int64_t ts = s->cpu;
	char d[512], args[256];
	s->cpu += 20000;
	/* parameters sharded ZeRO-style: gather the embedding first */
	collective(s, "all_gather", "nccl:_all_gather_base",
		   "ncclDevKernel_AllGather_RING_LL(ncclDevKernelArgsStorage<4096ul>)",
		   (int64_t)o->vocab * H / s->world);
	event_dep(s, 11, 7);
	snprintf(d, sizeof(d), "[[%d, %" PRId64 "], [%" PRId64 ", %" PRId64 "], [], [], []]",
		 o->vocab, H, B, T);
	aten1(s, "aten::embedding", d,
	      "[\"c10::BFloat16\", \"long int\", \"Scalar\", \"Scalar\", \"Scalar\"]",
	      "void at::native::(anonymous namespace)::indexSelectLargeIndex<c10::BFloat16, long, "
	      "unsigned int, 2, 2, -2, true>()",
	      0, 2.0 * (double)M * (double)H * 2);
	for (int l = 0; l < o->layers; l++) {
		snprintf(d, sizeof(d),
			 "[[%" PRId64 ", %" PRId64 "], [], [%" PRId64 "], [%" PRId64 "], [], []]",
			 M, H, H, H);
		aten1(s, "aten::layer_norm", d,
		      "[\"c10::BFloat16\", \"ScalarList\", \"c10::BFloat16\", \"c10::BFloat16\", "
		      "\"Scalar\", \"Scalar\"]",
		      "void at::native::(anonymous "
		      "namespace)::vectorized_layer_norm_kernel<c10::BFloat16, float>()",
		      5.0 * (double)(M * H), 4.0 * (double)(M * H));
		linear(s, M, H, 3 * H, 0);
		snprintf(d, sizeof(d),
			 "[[%" PRId64 ", %" PRId64 ", %" PRId64 ", %" PRId64 "], [%" PRId64
			 ", %" PRId64 ", %" PRId64 ", %" PRId64 "], [%" PRId64 ", %" PRId64
			 ", %" PRId64 ", %" PRId64 "], [], [], [], []]",
			 B, NH, T, E, B, NH, T, E, B, NH, T, E);
		aten1(s, "aten::_scaled_dot_product_flash_attention", d,
		      "[\"c10::BFloat16\", \"c10::BFloat16\", \"c10::BFloat16\", \"Scalar\", "
		      "\"Scalar\", \"Scalar\", \"\"]",
		      "void pytorch_flash::flash_fwd_kernel<Flash_fwd_kernel_traits<64, 128, 128, "
		      "4, false, false, cutlass::bfloat16_t> >(Flash_fwd_params)",
		      4.0 * (double)(B * NH) * (double)T * (double)T * (double)E,
		      8.0 * (double)(M * H));
		linear(s, M, H, H, 0);
		eltwise(s, "aten::add", M, H, 2);
		snprintf(d, sizeof(d),
			 "[[%" PRId64 ", %" PRId64 "], [], [%" PRId64 "], [%" PRId64 "], [], []]",
			 M, H, H, H);
		aten1(s, "aten::layer_norm", d,
		      "[\"c10::BFloat16\", \"ScalarList\", \"c10::BFloat16\", \"c10::BFloat16\", "
		      "\"Scalar\", \"Scalar\"]",
		      "void at::native::(anonymous "
		      "namespace)::vectorized_layer_norm_kernel<c10::BFloat16, float>()",
		      5.0 * (double)(M * H), 4.0 * (double)(M * H));
		linear(s, M, H, 4 * H, 0);
		eltwise(s, "aten::gelu", M, 4 * H, 1);
		linear(s, M, 4 * H, H, 0);
		eltwise(s, "aten::add", M, H, 2);
	}
	snprintf(d, sizeof(d), "[[%" PRId64 ", %d], [], []]", M, 1000);
	aten1(s, "aten::_log_softmax", d, "[\"float\", \"Scalar\", \"Scalar\"]",
	      "void at::native::(anonymous namespace)::cunn_SoftMaxForward<4, float, float, float, "
	      "at::native::(anonymous namespace)::LogSoftMaxForwardEpilogue>()",
	      5.0 * (double)M * 1000, 8.0 * (double)M * 1000);
	/* backward: reversed layers, gradient buckets all-reduced as they become ready */
	for (int l = o->layers - 1; l >= 0; l--) {
		linear(s, M, 4 * H, H, 1);
		eltwise(s, "aten::gelu_backward", M, 4 * H, 2);
		linear(s, M, H, 4 * H, 1);
		linear(s, M, H, H, 1);
		snprintf(d, sizeof(d),
			 "[[%" PRId64 ", %" PRId64 ", %" PRId64 ", %" PRId64 "], [%" PRId64
			 ", %" PRId64 ", %" PRId64 ", %" PRId64 "], [%" PRId64 ", %" PRId64
			 ", %" PRId64 ", %" PRId64 "], [%" PRId64 ", %" PRId64 ", %" PRId64
			 ", %" PRId64 "]]",
			 B, NH, T, E, B, NH, T, E, B, NH, T, E, B, NH, T, E);
		aten1(
		    s, "aten::_scaled_dot_product_flash_attention_backward", d,
		    "[\"c10::BFloat16\", \"c10::BFloat16\", \"c10::BFloat16\", \"c10::BFloat16\"]",
		    "void "
		    "pytorch_flash::flash_bwd_dq_dk_dv_loop_seqk_parallel_kernel<Flash_bwd_kernel_"
		    "traits<64, 128, 128, 8, 2, 4, 2, false, false, cutlass::bfloat16_t> "
		    ">(Flash_bwd_params)",
		    10.0 * (double)(B * NH) * (double)T * (double)T * (double)E,
		    16.0 * (double)(M * H));
		linear(s, M, H, 3 * H, 1);
		collective(
		    s, "allreduce", "nccl:all_reduce",
		    "ncclDevKernel_AllReduce_Sum_bf16_RING_LL(ncclDevKernelArgsStorage<4096ul>)",
		    12 * H * H);
	}
	event_dep(s, 11, 7);
	s->ext++;
	int64_t ots = s->cpu;
	s->cpu += 10000;
	launch(s,
	       "void at::native::(anonymous "
	       "namespace)::multi_tensor_apply_kernel<at::native::(anonymous "
	       "namespace)::TensorListMetadata<4>, at::native::(anonymous "
	       "namespace)::FusedAdamMathFunctor<c10::BFloat16, 4, (at::native::ADAM_MODE)1, "
	       "false> >()",
	       7, 0, 16.0 * 12.0 * (double)H * (double)H * o->layers, NULL, 0);
	s->cpu += 5000;
	snprintf(args, sizeof(args), "\"External id\": %" PRIu64, s->ext);
	x_event(s, "cpu_op", "aten::_fused_adamw_", s->pid, s->tid, ots, s->cpu - ots, args);
	/* step end: wait for the device */
	uint64_t corr = ++s->corr;
	int64_t end = s->compute > s->comm ? s->compute : s->comm;
	if (end < s->cpu)
		end = s->cpu;
	snprintf(args, sizeof(args),
		 "\"External id\": %" PRIu64 ", \"cbid\": 165, \"correlation\": %" PRIu64, s->ext,
		 corr);
	x_event(s, "cuda_runtime", "cudaDeviceSynchronize", s->pid, s->tid, s->cpu,
		end - s->cpu + 3000, args);
	snprintf(args, sizeof(args),
		 "\"cuda_sync_kind\": \"Context Sync\", \"stream\": -1, \"correlation\": %" PRIu64
		 ", \"device\": %d",
		 corr, s->rank % 8);
	x_event(s, "cuda_sync", "Context Sync", s->rank % 8, -1, end, 3000, args);
	s->cpu = end + 3000 + 10000;
	char name[32];
	snprintf(name, sizeof(name), "ProfilerStep#%d", n);
	snprintf(args, sizeof(args), "\"External id\": %" PRIu64, ++s->ext);
	x_event(s, "user_annotation", name, s->pid, s->tid, ts, s->cpu - ts, args);
	s->cpu += 5000;
}

static int write_rank(const struct opts *o, int rank)
{
	char path[4096];
	struct out out;
	struct sim s;
	memset(&out, 0, sizeof(out));
	snprintf(path, sizeof(path), "%s_rank%d.json%s", o->out, rank, o->gz ? ".gz" : "");
	if (o->gz)
		out.gz = gzopen(path, "wb6");
	else
		out.fp = fopen(path, "wb");
	if (!out.gz && !out.fp) {
		fprintf(stderr, "tracecast-gen: cannot create %s\n", path);
		return 1;
	}
	memset(&s, 0, sizeof(s));
	s.o = &out;
	s.rng = o->seed * 0x9E3779B97F4A7C15ULL + (uint64_t)rank * 0xD1B54A32D192ED03ULL + 1;
	s.rank = rank;
	s.world = o->ranks;
	s.pid = 4100 + rank;
	s.tid = 4100 + rank;
	s.cpu = 1000000 + (int64_t)(rng_next(&s.rng) % 50000);
	raw(&out, "{\n  \"schemaVersion\": 1,\n  \"deviceProperties\": [\n");
	for (int d = 0; d < 8; d++) {
		char dev[512];
		snprintf(dev, sizeof(dev),
			 "    {\"id\": %d, \"name\": \"NVIDIA A100-SXM4-80GB\", "
			 "\"totalGlobalMem\": 85031714816, "
			 "\"computeMajor\": 8, \"computeMinor\": 0, \"maxThreadsPerBlock\": 1024, "
			 "\"numSms\": 108}%s\n",
			 d, d < 7 ? "," : "");
		raw(&out, dev);
	}
	char di[256];
	snprintf(di, sizeof(di),
		 "  ],\n  \"distributedInfo\": {\"backend\": \"nccl\", \"rank\": %d, "
		 "\"world_size\": %d},\n"
		 "  \"traceEvents\": [\n",
		 rank, o->ranks);
	raw(&out, di);
	out.first = 1;
	emit(&out,
	     "{\"name\": \"process_name\", \"ph\": \"M\", \"ts\": 0, \"pid\": %d, \"tid\": 0, "
	     "\"args\": {\"name\": \"python3\"}}",
	     s.pid);
	emit(&out,
	     "{\"name\": \"thread_name\", \"ph\": \"M\", \"ts\": 0, \"pid\": %d, \"tid\": %d, "
	     "\"args\": {\"name\": \"thread %d (python3)\"}}",
	     s.pid, s.tid, s.tid);
	for (int n = 0; n < o->steps; n++)
		step(&s, o, n + 10);
	raw(&out, "\n  ],\n  \"traceName\": \"tracecast-gen\",\n  \"displayTimeUnit\": \"ms\",\n"
		  "  \"baseTimeNanoseconds\": 1700000000000000000\n}\n");
	out_flush(&out);
	int bad = o->gz ? gzclose(out.gz) != Z_OK : fclose(out.fp) != 0;
	if (bad) {
		fprintf(stderr, "tracecast-gen: error writing %s\n", path);
		return 1;
	}
	return 0;
}

static void usage(FILE *fp)
{
	fprintf(
	    fp,
	    "usage: tracecast-gen -o PREFIX [--ranks N] [--steps N] [--layers N] [--hidden N]\n"
	    "                     [--seq N] [--batch N] [--heads N] [--scale K] [--seed S] [--gz]\n"
	    "Writes PREFIX_rank<r>.json[.gz], one Kineto trace per rank of a transformer training\n"
	    "job on A100-SXM4-80GB. --scale multiplies the steps (each step is ~%s per layer).\n",
	    "40 KB");
}

int main(int argc, char **argv)
{
	struct opts o = {2, 3, 4, 1024, 512, 8, 16, 32000, 0, 1, NULL};
	int scale = 1;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		int has = i + 1 < argc;
		if (strcmp(a, "-o") == 0 && has)
			o.out = argv[++i];
		else if (strcmp(a, "--ranks") == 0 && has)
			o.ranks = atoi(argv[++i]);
		else if (strcmp(a, "--steps") == 0 && has)
			o.steps = atoi(argv[++i]);
		else if (strcmp(a, "--layers") == 0 && has)
			o.layers = atoi(argv[++i]);
		else if (strcmp(a, "--hidden") == 0 && has)
			o.hidden = atoi(argv[++i]);
		else if (strcmp(a, "--seq") == 0 && has)
			o.seq = atoi(argv[++i]);
		else if (strcmp(a, "--batch") == 0 && has)
			o.batch = atoi(argv[++i]);
		else if (strcmp(a, "--heads") == 0 && has)
			o.heads = atoi(argv[++i]);
		else if (strcmp(a, "--scale") == 0 && has)
			scale = atoi(argv[++i]);
		else if (strcmp(a, "--seed") == 0 && has)
			o.seed = strtoull(argv[++i], NULL, 10);
		else if (strcmp(a, "--gz") == 0)
			o.gz = 1;
		else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			usage(stdout);
			return 0;
		} else {
			usage(stderr);
			return 2;
		}
	}
	o.steps *= scale > 0 ? scale : 1;
	if (!o.out || o.ranks < 1 || o.ranks > 1024 || o.steps < 1 || o.layers < 1 ||
	    o.hidden < o.heads || o.heads < 1 || o.seq < 1 || o.batch < 1) {
		usage(stderr);
		return 2;
	}
	for (int r = 0; r < o.ranks; r++)
		if (write_rank(&o, r))
			return 1;
	return 0;
}

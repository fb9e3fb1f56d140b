/* gen_replay - a synthetic but self-consistent training run as an opstream: R ranks, each
 * with a CPU thread that launches a transformer-like layer sequence (linear -> GEMM,
 * gelu -> elementwise, layernorm -> norm) on a compute stream, and every 4 layers an
 * all-reduce on a communication stream gated by cudaEventRecord / cudaStreamWaitEvent; a
 * cudaDeviceSynchronize closes each ProfilerStep. Source times are produced by simulating
 * that program on a simple device (launch latency, queueing, group-wide collectives), so
 * the stream is what a profiler would have recorded. Deterministic for given arguments.
 *
 * usage: gen_replay OUT.tcs [N_OPS (default 200000)] [RANKS (default 2)]
 * Used by bench/bench_replay.sh (>= 50 M ops) and by the replay e2e golden test (small). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "opstream.h"

#define MAXR 64

struct rank {
	uint32_t cpu, gpu, comm;
	int64_t t_cpu, gpu_free, comm_free;
	uint64_t last_gpu; /* last op enqueued on the compute stream */
};

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static int add(struct tc_ops_writer *w, struct tc_op *op, uint64_t *id)
{
	struct tc_err err = TC_ERR_INIT;
	if (tc_ops_writer_add(w, op, id, &err) < 0) {
		fprintf(stderr, "gen_replay: %s\n", err.msg);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: gen_replay OUT.tcs [N_OPS] [RANKS]\n");
		return 2;
	}
	const char *path = argv[1];
	uint64_t target = argc > 2 ? strtoull(argv[2], NULL, 10) : 200000;
	unsigned R = argc > 3 ? (unsigned)atoi(argv[3]) : 2;
	if (R < 1 || R > MAXR) {
		fprintf(stderr, "gen_replay: ranks must be 1..%d\n", MAXR);
		return 2;
	}
	struct tc_err err = TC_ERR_INIT;
	struct tc_ops_header h;
	memset(&h, 0, sizeof(h));
	struct tc_device dev[2 * MAXR];
	uint32_t ranks[MAXR];
	for (unsigned r = 0; r < R; r++) {
		memset(&dev[2 * r], 0, 2 * sizeof(dev[0]));
		dev[2 * r] = (struct tc_device){2 * r, r, TC_DEV_CPU, -1, "host", "", "", "", 0, 0};
		dev[2 * r + 1] = (struct tc_device){
		    2 * r + 1,	 r,	   TC_DEV_GPU, 0,	    "NVIDIA H100 80GB HBM3",
		    "h100-sxm5", "nvidia", "sm90",     80ull << 30, 132};
		ranks[r] = r;
	}
	const char *files[1] = {"gen_replay"};
	h.source_format = "synthetic";
	h.source_files = files;
	h.n_source_files = 1;
	h.devices = dev;
	h.n_devices = 2 * R;
	h.world_size = R;
	h.ranks = ranks;
	h.n_ranks = R;
	struct tc_ops_writer *w;
	if (tc_ops_writer_open(&w, path, &h, NULL, &err) < 0) {
		fprintf(stderr, "gen_replay: %s\n", err.msg);
		return 1;
	}
	struct rank rk[MAXR];
	const char *names[] = {"aten::linear",
			       "cudaLaunchKernel",
			       "sm90_xmma_gemm_bf16bf16_bf16f32",
			       "aten::gelu",
			       "vectorized_elementwise_kernel<gelu>",
			       "aten::layer_norm",
			       "layer_norm_kernel",
			       "cudaEventRecord",
			       "cudaStreamWaitEvent",
			       "nccl:all_reduce",
			       "ncclDevKernel_AllReduce_Sum_bf16_RING_LL",
			       "cudaDeviceSynchronize",
			       "ProfilerStep",
			       "0"};
	uint32_t nm[14];
	for (int i = 0; i < 14; i++)
		tc_ops_writer_intern(w, names[i], &nm[i]);
	for (unsigned r = 0; r < R; r++) {
		struct tc_lane l = {0, r, 2 * r, TC_LANE_CPU, 1000 + r, "main"};
		tc_ops_writer_lane(w, &l, &rk[r].cpu);
		l = (struct tc_lane){0, r, 2 * r + 1, TC_LANE_GPU, 7, "stream 7"};
		tc_ops_writer_lane(w, &l, &rk[r].gpu);
		l = (struct tc_lane){0, r, 2 * r + 1, TC_LANE_GPU, 13, "stream 13"};
		tc_ops_writer_lane(w, &l, &rk[r].comm);
		rk[r].t_cpu = 1000;
		rk[r].gpu_free = rk[r].comm_free = 0;
		rk[r].last_gpu = TC_NONE;
	}
	uint64_t seed = 0x9e3779b97f4a7c15ull, n = 0, seq = 0, event = 1;
	const int layers = 24;
	for (int step = 0; n < target; step++) {
		int64_t step_start[MAXR];
		for (unsigned r = 0; r < R; r++)
			step_start[r] = rk[r].t_cpu;
		for (int l = 0; l < layers; l++) {
			/* the three kernels of a layer, rank by rank */
			for (int k = 0; k < 3; k++) {
				for (unsigned r = 0; r < R; r++) {
					struct rank *x = &rk[r];
					struct tc_op op;
					uint64_t cpu_id, ln_id, kid;
					int64_t jit = (int64_t)(rnd(&seed) % 2000);
					tc_op_init(&op);
					op.kind = TC_KIND_CPU_OP;
					op.op_class = TC_CLASS_HOST;
					op.lane = x->cpu;
					op.name = nm[k == 0 ? 0 : k == 1 ? 3 : 5];
					op.ts_ns = x->t_cpu;
					op.dur_ns = 9000 + jit;
					if (add(w, &op, &cpu_id))
						return 1;
					tc_op_init(&op);
					op.kind = TC_KIND_RUNTIME;
					op.sub = TC_RT_LAUNCH;
					op.op_class = TC_CLASS_HOST;
					op.lane = x->cpu;
					op.name = nm[1];
					op.parent = cpu_id;
					op.ts_ns = x->t_cpu + 3000;
					op.dur_ns = 4000;
					if (add(w, &op, &ln_id))
						return 1;
					/* kernel: GEMM 4096x4096x(1024) bf16, or memory-bound ops
					 */
					tc_op_init(&op);
					op.kind = TC_KIND_KERNEL;
					op.lane = x->gpu;
					op.link = ln_id;
					op.dtype = TC_DT_BF16;
					op.has_work = 1;
					if (k == 0) {
						op.op_class = TC_CLASS_GEMM;
						op.name = nm[2];
						op.flops = 2ull * 4096 * 4096 * 1024;
						op.bytes_read = 2ull * (4096 * 1024 + 1024 * 4096);
						op.bytes_written = 2ull * 4096 * 4096;
					} else {
						op.op_class =
						    k == 1 ? TC_CLASS_ELEMENTWISE : TC_CLASS_NORM;
						op.name = nm[k == 1 ? 4 : 6];
						op.flops = 8ull * 4096 * 1024;
						op.bytes_read = op.bytes_written =
						    2ull * 4096 * 1024 * 4;
					}
					int64_t kd = k == 0 ? 60000 + jit : 25000 + jit / 2;
					op.ts_ns =
					    TC_MAX(x->t_cpu + 3000 + 6000, x->gpu_free + 1500);
					op.dur_ns = kd;
					op.correlation = n;
					if (add(w, &op, &kid))
						return 1;
					x->gpu_free = op.ts_ns + kd;
					x->last_gpu = kid;
					x->t_cpu += 9000 + jit + 1500;
					n += 3;
				}
			}
			if (l % 4 != 3)
				continue;
			/* all-reduce of the gradients: record on compute, wait on comm, launch */
			int64_t ready[MAXR], arrive = 0;
			uint64_t kids[MAXR];
			for (unsigned r = 0; r < R; r++) {
				struct rank *x = &rk[r];
				struct tc_op op;
				uint64_t id, ln_id;
				tc_op_init(&op);
				op.kind = TC_KIND_RUNTIME;
				op.sub = TC_RT_EVENT_RECORD;
				op.op_class = TC_CLASS_HOST;
				op.lane = x->cpu;
				op.name = nm[7];
				op.ts_ns = x->t_cpu;
				op.dur_ns = 2000;
				op.sync_lane = x->gpu + 1;
				op.sync_event = event;
				if (add(w, &op, &id))
					return 1;
				op.sub = TC_RT_STREAM_WAIT_EVENT;
				op.name = nm[8];
				op.ts_ns = x->t_cpu + 2500;
				op.sync_lane = x->comm + 1;
				if (add(w, &op, &id))
					return 1;
				tc_op_init(&op);
				op.kind = TC_KIND_CPU_OP;
				op.op_class = TC_CLASS_HOST;
				op.lane = x->cpu;
				op.name = nm[9];
				op.ts_ns = x->t_cpu + 5000;
				op.dur_ns = 8000;
				if (add(w, &op, &id))
					return 1;
				tc_op_init(&op);
				op.kind = TC_KIND_RUNTIME;
				op.sub = TC_RT_LAUNCH;
				op.op_class = TC_CLASS_HOST;
				op.lane = x->cpu;
				op.name = nm[1];
				op.parent = id;
				op.ts_ns = x->t_cpu + 7000;
				op.dur_ns = 4000;
				if (add(w, &op, &ln_id))
					return 1;
				kids[r] = ln_id;
				ready[r] = TC_MAX(TC_MAX(x->t_cpu + 13000, x->gpu_free),
						  x->comm_free + 1500);
				arrive = TC_MAX(arrive, ready[r]);
				x->t_cpu += 15000;
				n += 5;
			}
			int64_t xfer = 40000 + (int64_t)(rnd(&seed) % 5000);
			for (unsigned r = 0; r < R; r++) {
				struct rank *x = &rk[r];
				struct tc_op op;
				uint64_t id;
				tc_op_init(&op);
				op.kind = TC_KIND_KERNEL;
				op.op_class = TC_CLASS_COLLECTIVE;
				op.lane = x->comm;
				op.link = kids[r];
				op.name = nm[10];
				op.dtype = TC_DT_BF16;
				op.coll_kind = TC_COLL_ALLREDUCE;
				op.coll_dtype = TC_DT_BF16;
				op.coll_group_size = R;
				op.coll_group = nm[13];
				op.coll_bytes = 8ull << 20;
				op.coll_seq = seq + 1;
				op.ts_ns = ready[r];
				op.dur_ns = arrive - ready[r] + xfer;
				if (add(w, &op, &id))
					return 1;
				x->comm_free = arrive + xfer;
				n++;
			}
			event++;
			seq++;
		}
		/* close the step: device sync, then the step annotation itself */
		for (unsigned r = 0; r < R; r++) {
			struct rank *x = &rk[r];
			struct tc_op op;
			uint64_t id;
			tc_op_init(&op);
			op.kind = TC_KIND_RUNTIME;
			op.sub = TC_RT_DEVICE_SYNC;
			op.op_class = TC_CLASS_HOST;
			op.lane = x->cpu;
			op.name = nm[11];
			op.ts_ns = x->t_cpu;
			int64_t done = TC_MAX(x->gpu_free, x->comm_free);
			op.dur_ns = TC_MAX(done + 3000 - x->t_cpu, 3000);
			if (add(w, &op, &id))
				return 1;
			x->t_cpu += op.dur_ns + 2000;
			tc_op_init(&op);
			op.kind = TC_KIND_STEP;
			op.op_class = TC_CLASS_HOST;
			op.lane = x->cpu;
			op.name = nm[12];
			op.ts_ns = step_start[r] - 500;
			op.dur_ns = x->t_cpu - step_start[r];
			if (add(w, &op, &id))
				return 1;
			x->t_cpu += 1000;
			n += 2;
		}
	}
	if (tc_ops_writer_close(w, &err) < 0) {
		fprintf(stderr, "gen_replay: %s\n", err.msg);
		return 1;
	}
	printf("%" PRIu64 " ops, %u ranks -> %s\n", n, R, path);
	return 0;
}

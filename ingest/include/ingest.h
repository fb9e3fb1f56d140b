/* ingest.h - input adapters (Kineto/Chrome JSON traces, ONNX models) that write opstreams,
 * and the shared operator knowledge: op classes, collective kinds, FLOPs and bytes from
 * shapes and dtypes. The classification table lives in opclass.c and serves every adapter.
 *
 * Adapters are entries of one static function table (adapters.c): a new format is one
 * file and one table line.
 */
#ifndef TC_INGEST_H
#define TC_INGEST_H

#include <stdint.h>

#include "util.h"
#include "opstream.h"

struct tc_ingest_opts {
	const struct tc_log *log; /* NULL = quiet */
	const char *const *dims;  /* ONNX: "name=value" bindings of symbolic dims */
	size_t n_dims;
	int training;	    /* ONNX: append backward + optimizer ops */
	size_t chunk_ops;   /* opstream chunk size, 0 = default */
	const char *format; /* force an adapter by name ("kineto", "onnx"), NULL = detect */
	size_t run_ops;	    /* Kineto: ops per sorted run spilled to a temporary file
			     * (memory bound), 0 = default (262144); tests use small ones */
	/* Inputs that are not regular files ("-" = stdin, pipes, FIFOs, devices) are read once,
	 * into a temporary file, so detection and the adapters' passes see the same bytes; at
	 * most spool_max bytes (0 = TC_INGEST_SPOOL_MAX), so /dev/zero cannot fill the disk. */
	uint64_t spool_max;
	/* For adapters, set by tc_ingest_files: where to read input i (a spooled copy) when
	 * it is not the input's name itself; NULL = the names. Names stay what errors and the
	 * header show. */
	const char *const *sources;
	/* Kineto: the PyTorch execution traces of the same run, one per trace in the same
	 * order, which add data dependencies and shapes to the CPU operators (docs/chakra.md).
	 * tc_ingest_files fills them when ETs are given among Kineto traces. */
	const char *const *et;
	size_t n_et;
	/* ONNX: the precision the model runs at (TC_DT_BF16, _F16, _FP8_E4M3, _F32): every
	 * floating-point tensor is costed at it, as a deployment casts the model; TC_DT_UNKNOWN
	 * (0) = the types the model declares */
	unsigned dtype;
	/* Kineto: inputs (ranks) parsed at once, 0 = one per core ($TRACECAST_INGEST_THREADS
	 * overrides); the output is the same bytes whatever the number */
	unsigned threads;
};
#define TC_INGEST_OPTS_INIT                                                                        \
	{                                                                                          \
		.log = NULL                                                                        \
	}					/* every option at its default: zero */
#define TC_INGEST_SPOOL_MAX (UINT64_C(4) << 30) /* 4 GiB */

struct tc_ingest_stats {
	uint64_t bytes_in;    /* uncompressed input bytes parsed */
	uint64_t events;      /* input events / nodes seen */
	uint64_t ops;	      /* ops written */
	uint64_t skipped;     /* events not turned into ops (unknown phase, metadata, ...) */
	uint64_t unknown_ops; /* ops whose class is "other" */
	uint64_t steps, kernels, collectives;
	uint32_t ranks;
};

/* Ingest one or more inputs (several trace files = several ranks of one job) into out_path.
 * The output is written under a temporary name and renamed only on success. */
int tc_ingest_files(const char *const *inputs, size_t n_inputs, const char *out_path,
		    const struct tc_ingest_opts *opts, struct tc_ingest_stats *stats,
		    struct tc_err *err);

/* Adapter table. probe() looks at the first bytes (already decompressed) and the name and
 * returns a score (0 = not mine). run() writes all inputs into the writer. */
struct tc_ingest_adapter {
	const char *name;
	const char *description;
	int (*probe)(const char *path, const uint8_t *head, size_t n);
	int (*run)(const char *const *inputs, size_t n_inputs, const char *out_path,
		   const struct tc_ingest_opts *opts, struct tc_ingest_stats *stats,
		   struct tc_err *err);
};
/* NULL-terminated list of adapters. */
const struct tc_ingest_adapter *const *tc_ingest_adapters(void);
/* Pick the adapter for a file (reads its first bytes, decompressing .gz/.zst). */
int tc_ingest_detect(const char *path, const struct tc_ingest_adapter **out, struct tc_err *err);

/* ---- shared operator knowledge (opclass.c, work.c) ------------------------------------ */

/* Class of a framework operator or ONNX op type ("aten::addmm", "MatMul", "LayerNormalization"):
 * matched case-insensitively after stripping a "namespace::" prefix. TC_CLASS_OTHER if unknown. */
unsigned tc_opclass_of_op(const char *name);
/* Class of a GPU kernel from its (possibly mangled/templated) name: "ampere_sgemm_128x64_tn",
 * "void at::native::vectorized_elementwise_kernel<...>", "ncclDevKernel_AllReduce_Sum_f32_RING_LL",
 * "flash_fwd_kernel", "Memcpy DtoD". TC_CLASS_OTHER if unknown. */
unsigned tc_opclass_of_kernel(const char *name);
/* Collective kind from a kernel name ("ncclKernel_AllReduce_RING_LL_Sum_float"), an op name
 * ("nccl:all_reduce", "c10d::allgather_", "_allgather_base") or a "Collective name" arg
 * ("allreduce", "all_to_allv"). TC_COLL_NONE if none. */
unsigned tc_coll_of_name(const char *name);
/* dtype from a PyTorch type string ("float", "c10::BFloat16", "c10::Half", "long int") or an
 * ONNX/other spelling ("bf16", "float16"). TC_DT_UNKNOWN if unknown. */
unsigned tc_dtype_of_name(const char *name);

/* FLOPs and bytes of a framework op from its input shapes and dtypes. shapes[i] may have
 * rank 0 for scalars/non-tensors. Returns 1 when the op is understood (work filled), 0 when
 * not (work untouched). Output bytes are inferred from the op's semantics. */
struct tc_work {
	uint64_t flops, bytes_read, bytes_written;
	uint8_t dtype;
	int64_t m, n, k, batch; /* GEMM-like dims, 0 when n/a */
};
int tc_work_of_op(const char *name, const struct tc_shape *shapes, size_t n_shapes,
		  const uint8_t *dtypes, struct tc_work *work);

/* Convolution geometry that shapes do not show (Kineto "Concrete Inputs", ONNX attributes).
 * n_spatial = 0: unknown, taken as stride 1, dilation 1, "same" padding. */
struct tc_conv_params {
	int n_spatial; /* 1..3 */
	int64_t stride[3], pad[3], dilation[3], output_pad[3];
	int transposed;
};
/* FLOPs and bytes of a forward convolution: in = [N, C, spatial...], w = [K, C/groups,
 * kernel...] ([C, K/groups, kernel...] when transposed). p may be NULL (unknown geometry).
 * Returns 1 when filled, 0 when the shapes do not describe a convolution. */
int tc_work_of_conv(const struct tc_shape *in, const struct tc_shape *w, uint8_t dtype,
		    const struct tc_conv_params *p, struct tc_work *work);
/* tc_work_of_op() with convolution geometry for the conv ops (p may be NULL). */
int tc_work_of_op_conv(const char *name, const struct tc_shape *shapes, size_t n_shapes,
		       const uint8_t *dtypes, const struct tc_conv_params *p, struct tc_work *work);

/* ---- tables of measured operators (optable.c; docs/ingest.md, docs/testbench.md) ------ */

enum tc_optable_layout { TC_OPTABLE_MICRO = 1, TC_OPTABLE_MODEL = 2 };

/* One measured operator: its work as the cost model sees it and its measured time. */
struct tc_optable_row {
	const char *name; /* micro: the op ("bmm", "addu", "ln"); model: the fx node name */
	const char *dims; /* micro: "B=6 M=27 N=21 K=390"; model: the input shapes */
	uint8_t op_class; /* enum tc_class; TC_CLASS_HOST = no kernel (views, metadata) */
	uint8_t has_work;
	struct tc_work work;  /* FLOPs, bytes, dtype, GEMM dims (struct below) */
	double latency_ns;    /* measured (the backward time for a backward row) */
	double bw_latency_ns; /* internal while reading; 0 in a returned table */
	uint32_t repeat;  /* model tables: num_layer for the nodes of the traced layer, else 1 */
	uint32_t line;	  /* line of the CSV record */
	uint8_t backward; /* model tables in training: a backward node */
};

/* A table read whole. Read-only for callers; strings live as long as the table. */
struct tc_optable {
	const char *path;
	const char *device;  /* micro: the Device column; model: the folder name, '_' -> ' ' */
	int layout;	     /* enum tc_optable_layout */
	const char *model;   /* model tables: the file stem "bert_large-inf-512-8"; else NULL */
	int training;	     /* model tables: "-train-" in the name: backward rows follow */
	uint32_t num_layers; /* model tables: from the JSON beside the CSV, 0 when absent */
	double e2e_ns;	     /* model tables: measured end-to-end latency, NaN when absent */
	struct tc_optable_row *rows;
	size_t n_rows;
};

/* Read a micro or model table (.csv, .csv.zst, .csv.gz). Errors name the file and line:
 * "t.csv:17: Latency: not a non-negative latency in ms ('abc')". *out belongs to the
 * caller (tc_optable_free); NULL on error. */
int tc_optable_read(struct tc_optable **out, const char *path, struct tc_err *err);
void tc_optable_free(struct tc_optable *t); /* NULL is fine */
/* Sum of latency x repeat over the rows: the table's own end-to-end estimate. */
double tc_optable_measured_total_ns(const struct tc_optable *t);
/* Parse a table held in memory, writing nothing (fuzzing). 0 or a negative TC_E*. */
int tc_optable_check_mem(const void *buf, size_t len, struct tc_err *err);

/* ---- Chakra execution traces out (chakra_write.c, docs/chakra.md) --------------------- */

struct tc_chakra_out_opts {
	/* The duration to write for op id, or < 0 for its measured one; NULL = measured
	 * (the projection passes its projected times). */
	int64_t (*dur_of)(const void *ctx, uint64_t op);
	const void *ctx;
	const char *stem; /* files are DIR/STEM.RANK.et; NULL = the input's name */
};
struct tc_chakra_out_stats {
	uint32_t files;
	uint64_t nodes, deps;
	uint64_t skipped;     /* ops inside a node (nested CPU ops, runtime calls, steps) */
	uint64_t no_duration; /* nodes written with 0 us: no measured or projected time */
};
/* Write one .et per rank of opstream tcs into dir (created if missing). Every file is
 * written under a temporary name and renamed only when all are complete. o and stats may
 * be NULL. 0 or a negative TC_E* with err filled. */
int tc_chakra_export(const char *tcs, const char *dir, const struct tc_chakra_out_opts *o,
		     struct tc_chakra_out_stats *stats, struct tc_err *err);

#endif

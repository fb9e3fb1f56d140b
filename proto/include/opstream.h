/* opstream.h - the operator stream: enums of the schema, the in-memory op record, and the
 * streaming writer and reader of .tcs files. docs/format.md is the normative spec.
 *
 * Ownership: handles are opaque, created by *_open and released by *_free (NULL is fine).
 * Pointers returned by the reader (ops, strings, lanes, header) are borrowed and stay valid
 * until the next call to tc_ops_reader_next() (ops) or tc_ops_reader_free() (the rest).
 */
#ifndef TC_OPSTREAM_H
#define TC_OPSTREAM_H

#include <stdint.h>
#include <stddef.h>

#include "util.h"

#define TC_OPS_MAGIC "TCOPS\r\n\x1a"
#define TC_OPS_MAJOR 1
#define TC_OPS_MINOR 1
#define TC_OPS_CHUNK_DEFAULT 65536
#define TC_NONE UINT64_MAX /* absent link / parent */

/* ---- schema enums (values are on disk: append only) ---------------------------------- */

enum tc_kind {
	TC_KIND_UNKNOWN = 0,
	TC_KIND_CPU_OP = 1,  /* framework operator on a CPU thread (aten::mm, python, ...) */
	TC_KIND_RUNTIME = 2, /* CUDA/HIP runtime or driver call; sub says which */
	TC_KIND_KERNEL = 3,  /* GPU kernel (collective kernels too: op_class says so) */
	TC_KIND_MEMCPY = 4,  /* GPU copy; sub = direction */
	TC_KIND_MEMSET = 5,
	TC_KIND_STEP = 6,	/* step annotation (ProfilerStep#N): ts/dur span the step */
	TC_KIND_NODE = 7,	/* ONNX graph node (no measured time) */
	TC_KIND_ANNOTATION = 8, /* user annotation, python function: kept for context */
	TC_KIND__COUNT
};

enum tc_class {
	TC_CLASS_OTHER = 0,
	TC_CLASS_GEMM,
	TC_CLASS_CONV,
	TC_CLASS_ATTENTION,
	TC_CLASS_ELEMENTWISE,
	TC_CLASS_REDUCTION,
	TC_CLASS_NORM,
	TC_CLASS_SOFTMAX,
	TC_CLASS_EMBEDDING,
	TC_CLASS_COPY,
	TC_CLASS_MEMSET,
	TC_CLASS_COLLECTIVE,
	TC_CLASS_OPTIMIZER,
	TC_CLASS_HOST, /* CPU-side work with no GPU counterpart (runtime calls, python) */
	TC_CLASS__COUNT
};

/* Runtime call sub-kinds (sub column of TC_KIND_RUNTIME). */
enum tc_rt {
	TC_RT_NONE = 0,
	TC_RT_LAUNCH,	    /* cudaLaunchKernel, hipModuleLaunchKernel, cuLaunchKernel ... */
	TC_RT_GRAPH_LAUNCH, /* cudaGraphLaunch: one correlation, many kernels */
	TC_RT_MEMCPY,	    /* cudaMemcpy (blocking) */
	TC_RT_MEMCPY_ASYNC,
	TC_RT_MEMSET,
	TC_RT_DEVICE_SYNC,	 /* cudaDeviceSynchronize */
	TC_RT_STREAM_SYNC,	 /* cudaStreamSynchronize: sync_lane = stream */
	TC_RT_EVENT_SYNC,	 /* cudaEventSynchronize: sync_event */
	TC_RT_EVENT_RECORD,	 /* cudaEventRecord: sync_lane = stream, sync_event */
	TC_RT_STREAM_WAIT_EVENT, /* cudaStreamWaitEvent: sync_lane = waiting stream, sync_event */
	TC_RT_OTHER,
	TC_RT__COUNT
};

/* Copy directions (sub column of TC_KIND_MEMCPY). */
enum tc_copy {
	TC_COPY_UNKNOWN = 0,
	TC_COPY_H2D,
	TC_COPY_D2H,
	TC_COPY_D2D,
	TC_COPY_P2P,
	TC_COPY__COUNT
};

enum tc_dtype {
	TC_DT_UNKNOWN = 0,
	TC_DT_F32,
	TC_DT_F16,
	TC_DT_BF16,
	TC_DT_F64,
	TC_DT_TF32,
	TC_DT_FP8_E4M3,
	TC_DT_FP8_E5M2,
	TC_DT_I8,
	TC_DT_U8,
	TC_DT_I16,
	TC_DT_I32,
	TC_DT_I64,
	TC_DT_BOOL,
	TC_DT_FP4,
	TC_DT__COUNT
};

enum tc_coll {
	TC_COLL_NONE = 0,
	TC_COLL_ALLREDUCE,
	TC_COLL_ALLGATHER,
	TC_COLL_REDUCE_SCATTER,
	TC_COLL_ALLTOALL,
	TC_COLL_BROADCAST,
	TC_COLL_REDUCE,
	TC_COLL_SEND,
	TC_COLL_RECV,
	TC_COLL_SENDRECV,
	TC_COLL_BARRIER,
	TC_COLL_GATHER,
	TC_COLL_SCATTER,
	TC_COLL__COUNT
};

enum tc_lane_type { TC_LANE_CPU = 1, TC_LANE_GPU = 2, TC_LANE_GRAPH = 3 };
enum tc_device_type { TC_DEV_CPU = 1, TC_DEV_GPU = 2 };

/* Op flags (bit set). */
enum tc_op_flag {
	TC_FLAG_WORK_ESTIMATED = 1u << 0, /* FLOPs/bytes inferred, not read from shapes */
	TC_FLAG_BACKWARD = 1u << 1,	  /* backward-pass op (autograd thread / ONNX --training) */
	TC_FLAG_GRAPH_KERNEL = 1u << 2,	  /* kernel launched by a graph launch */
	TC_FLAG_SYNTHETIC = 1u << 3,	  /* made up by ingest (e.g. ONNX backward) */
};

/* Stable lowercase names ("gemm", "allreduce", "bf16", "kernel", "launch" ...); "?" when out
 * of range. Parsing returns -1 when unknown. Used by dump, JSON reports and specs. */
const char *tc_kind_name(unsigned k);
const char *tc_class_name(unsigned c);
const char *tc_rt_name(unsigned r);
const char *tc_copy_name(unsigned c);
const char *tc_dtype_name(unsigned d);
const char *tc_coll_name(unsigned c);
int tc_class_parse(const char *s);
int tc_dtype_parse(const char *s);
int tc_coll_parse(const char *s);
/* Size in bytes of one element (FP4 counts as 1, packed); 0 for unknown. */
unsigned tc_dtype_size(unsigned d);

/* ---- records ----------------------------------------------------------------------------- */

struct tc_device {
	uint32_t id, rank, type;
	int32_t index;
	const char *name, *chip, *vendor, *arch;
	uint64_t memory_bytes;
	uint32_t compute_units;
};

struct tc_lane {
	uint32_t id, rank, device, type;
	int64_t tid;
	const char *name;
};

struct tc_kv {
	const char *key, *value;
};

struct tc_ops_header {
	uint32_t format_major, format_minor; /* filled by the writer */
	const char *source_format;
	const char **source_files;
	size_t n_source_files;
	const struct tc_device *devices;
	size_t n_devices;
	uint32_t world_size;
	const uint32_t *ranks;
	size_t n_ranks;
	const char *tool_version; /* filled by the writer */
	int64_t base_time_ns;
	const struct tc_kv *meta;
	size_t n_meta;
};

struct tc_shape {
	uint32_t rank;
	const int64_t *dims; /* -1 = unknown */
};

/* Times (start, and start + duration) lie within +-TC_TIME_LIMIT_NS of base_time_ns: 2^53 ns,
 * 104 days, far beyond any profiled run, exact in a double, and small enough that the replay
 * engine can add thousands of them without overflowing int64. Writers refuse ops outside it
 * and readers refuse files with them (docs/format.md section 3), so no consumer has to guard
 * its own sums against wrapping input. */
#define TC_TIME_LIMIT_NS ((int64_t)1 << 53)

/* One operation. Ids are global, dense, in file order (0 .. op_count-1). */
struct tc_op {
	uint64_t id;
	int64_t ts_ns;	      /* start, relative to the header's base_time_ns */
	int64_t dur_ns;	      /* -1 = unknown */
	uint64_t parent;      /* enclosing CPU op id or TC_NONE */
	uint64_t link;	      /* kernel/memcpy: launching runtime call; TC_NONE otherwise */
	uint64_t correlation; /* source correlation id, 0 = none (traceability only) */
	uint32_t name;	      /* string id */
	uint32_t lane;	      /* lane id */
	uint8_t kind;	      /* enum tc_kind */
	uint8_t op_class;     /* enum tc_class */
	uint8_t sub;	      /* enum tc_rt or tc_copy */
	uint8_t dtype;	      /* enum tc_dtype of the work */
	uint32_t flags;	      /* enum tc_op_flag */

	/* work: has_work = 0 means unknown (not zero) */
	uint8_t has_work;
	uint64_t flops, bytes_read, bytes_written;
	/* GEMM-like problem dims (m x k times k x n, batch of them), 0 = unknown (format 1.1) */
	uint64_t gemm_m, gemm_n, gemm_k, gemm_batch;

	/* collective / p2p: coll_kind = TC_COLL_NONE when not one */
	uint8_t coll_kind;
	uint8_t coll_dtype;
	uint32_t coll_group_size;
	uint32_t coll_group; /* string id of the process group name, 0 = "" */
	int32_t coll_peer;   /* -1 = n/a */
	uint64_t coll_bytes; /* message size per rank (input bytes), 0 = unknown */
	uint64_t coll_seq;

	/* synchronisation */
	uint32_t sync_lane;  /* lane id + 1, 0 = none */
	uint64_t sync_event; /* 0 = none */

	/* shapes and explicit deps: borrowed arrays, NULL when absent */
	uint32_t n_shapes;
	const struct tc_shape *shapes;
	uint32_t n_deps;
	const uint64_t *deps;
};

/* A zeroed op with parent/link = TC_NONE, dur -1, coll_peer -1. */
void tc_op_init(struct tc_op *op);

/* ---- writer ------------------------------------------------------------------------------- */

struct tc_ops_writer;

struct tc_ops_writer_opts {
	size_t chunk_ops; /* ops per chunk, 0 = TC_OPS_CHUNK_DEFAULT */
	int zstd_level;	  /* 0 = default (3) */
};
#define TC_OPS_WRITER_OPTS_INIT                                                                    \
	{                                                                                          \
		0                                                                                  \
	}

/* Create path (written as path.tmp.* and renamed on close; "-" is not allowed).
 * The header is copied. opts may be NULL. */
int tc_ops_writer_open(struct tc_ops_writer **out, const char *path,
		       const struct tc_ops_header *hdr, const struct tc_ops_writer_opts *opts,
		       struct tc_err *err);
/* Intern a string; the id is valid in the file from now on. */
int tc_ops_writer_intern(struct tc_ops_writer *w, const char *s, uint32_t *id);
int tc_ops_writer_intern_n(struct tc_ops_writer *w, const char *s, size_t len, uint32_t *id);
/* Declare a lane (its id is the next dense id, returned in *id; lane->id is ignored). */
int tc_ops_writer_lane(struct tc_ops_writer *w, const struct tc_lane *lane, uint32_t *id);
/* Append one op. op->id is ignored: the op gets the next id (returned in *id if non-NULL).
 * parent/link/deps must name ops already written or TC_NONE. */
int tc_ops_writer_add(struct tc_ops_writer *w, const struct tc_op *op, uint64_t *id,
		      struct tc_err *err);
/* Flush the last chunk, write the footer, fsync and rename into place. The writer is
 * freed whatever the outcome. */
int tc_ops_writer_close(struct tc_ops_writer *w, struct tc_err *err);
/* Discard: remove the temporary file and free. NULL is fine. */
void tc_ops_writer_abort(struct tc_ops_writer *w);

/* ---- reader ------------------------------------------------------------------------------- */

struct tc_ops_reader;

/* Open and read the header. Errors name the file and the byte offset. */
int tc_ops_reader_open(struct tc_ops_reader **out, const char *path, struct tc_err *err);
/* Open from memory (fuzzing, tests); the buffer must outlive the reader. */
int tc_ops_reader_open_mem(struct tc_ops_reader **out, const void *buf, size_t len,
			   const char *name, struct tc_err *err);
const struct tc_ops_header *tc_ops_reader_header(const struct tc_ops_reader *r);
/* Next chunk of ops: *ops points to *n ops (borrowed until the next call). Returns 1 when a
 * chunk was read, 0 at a clean end (footer seen and its counts verified), negative on error. */
int tc_ops_reader_next(struct tc_ops_reader *r, const struct tc_op **ops, size_t *n,
		       struct tc_err *err);
/* Strings and lanes seen so far (all of them once the end is reached). */
const char *tc_ops_reader_string(const struct tc_ops_reader *r, uint32_t id);
size_t tc_ops_reader_string_count(const struct tc_ops_reader *r);
const struct tc_lane *tc_ops_reader_lane(const struct tc_ops_reader *r, uint32_t id);
size_t tc_ops_reader_lane_count(const struct tc_ops_reader *r);
/* After the end: counts from the footer. */
uint64_t tc_ops_reader_op_count(const struct tc_ops_reader *r);
void tc_ops_reader_free(struct tc_ops_reader *r);

/* ---- canonical text dump (the oracle of golden tests) ------------------------------------ */

/* Write a deterministic, locale-independent text dump of a whole stream to fp. Stops early,
 * returning 0, once fp has an error: write errors are the caller's to report (it knows what
 * fp is), by checking ferror(fp) or its flush. */
int tc_ops_dump(const char *path, FILE *fp, struct tc_err *err);

/* Summary for `tracecast info`. */
struct tc_ops_info_class {
	uint64_t count;
	int64_t total_ns;
	uint64_t flops, bytes_read, bytes_written; /* the ops' recorded work (0 when unknown) */
};
struct tc_ops_info {
	uint64_t ops, chunks, strings;
	uint32_t lanes, ranks, devices;
	int64_t ts_min, ts_max;
	uint64_t by_kind[TC_KIND__COUNT];
	int64_t by_kind_ns[TC_KIND__COUNT];
	struct tc_ops_info_class by_class[TC_CLASS__COUNT]; /* GPU ops (kernel/memcpy/memset) */
	uint64_t steps;
	uint64_t collectives;
	uint64_t file_bytes;
};
int tc_ops_info(const char *path, struct tc_ops_info *info, FILE *fp, struct tc_err *err);

#endif

/* chrome.h - private to the Kineto/Chrome adapter: the compact in-memory form of one rank's
 * ops between parsing (chrome.c) and linking + writing (chrome_link.c).
 *
 * Ops are kept in memory per input because the trace is not in time order and ids must be
 * written so that parent/link always name earlier ops; the JSON itself is never held. */
#ifndef TC_INGEST_CHROME_H
#define TC_INGEST_CHROME_H

#include "adapter.h"
#include "json_fast.h"

/* One op as parsed (64 bytes). Positions (parent, link) are indices in the sorted array
 * plus one; 0 = none. Everything most ops lack lives in sparse side arrays: work and
 * shapes (rwork, about half the ops), GEMM dims (rgemm), collective and sync facts (rext,
 * few ops). */
struct rop {
	int64_t ts, dur; /* ns, file-relative */
	uint64_t corr, ext;
	uint32_t name, lane, seq;
	uint32_t xi; /* index + 1 into rfile.ext, 0 = none */
	uint32_t wi; /* index + 1 into rfile.work: the op's own, or for a kernel the launching
		      * op's work it takes (shared, not copied); 0 = none */
	uint32_t parent, link;
	uint8_t kind, cls, sub, flags;
};

/* Work and Input Dims (CPU ops, memcpy/memset bytes): 40 bytes. */
struct rwork {
	uint64_t flops, bytes_read, bytes_written;
	uint64_t shapes; /* offset + 1 of the op's packed Input Dims in rfile.shp, 0 = none */
	uint32_t gi;	 /* index + 1 into rfile.gemm, 0 = none */
	uint8_t dtype, has_work, given;
};

/* GEMM-like problem of a work entry (gemm, conv, attention ops only). */
struct rgemm {
	int64_t m, n, k, batch;
};

/* Sparse extras: collective facts, synchronisation. */
struct rext {
	uint8_t has_coll, coll_kind, coll_dtype;
	uint32_t coll_group_size, coll_group; /* group: string id in the name table */
	uint64_t coll_nelems, coll_bytes, coll_seq;
	uint64_t coll_out_nelems; /* "Out msg nelems": the size when In msg nelems is absent */
	uint32_t sync_lane;	  /* local lane idx + 1 */
	uint64_t sync_event;
};

/* What the whole file says about one correlation id, counted while parsing so that the
 * streaming linker knows how many GPU ops a launch will get (graph flags, and when its
 * state can be dropped). entry: the linker's launch state (index + 1; RC_DONE once all
 * its GPU ops went by). */
struct rcorr {
	uint32_t entry;
	uint8_t rt, gpu, rt_seen; /* counts saturate at 255 */
	uint8_t sub;		  /* sub-kind of the (last) runtime call with it */
};
#define RC_DONE UINT32_MAX

/* A sorted run of ops spilled to the file's temporary file. */
struct rrun {
	uint64_t off, bytes, n;
};

struct rlane {
	int gpu;
	int64_t a, b;  /* CPU: pid, tid; GPU: device, stream */
	uint32_t name; /* string id, 0 = none */
	uint32_t out_id;
	uint32_t open_b; /* index + 1 of the innermost open "B" op; chained through rop.parent */
};

struct rdevice {
	int64_t id;
	char name[128];
	uint64_t mem;
	uint32_t sms;
	int major, minor;
	char gcn[32]; /* gcnArchName (ROCm), "" if absent */
	int used;
};

/* A cuda_sync record: what a runtime call (corr) waited on. */
struct rsync {
	uint64_t corr, record_corr;
	int64_t wait_stream, stream, device;
	int kind; /* 1 event sync, 2 stream wait event, 3 stream sync, 4 context sync */
};

struct tc_pyet;
struct rctx;
struct rfile {
	const char *path;
	/* the context its string ids belong to when parsed on its own (ranks parsed in
	 * parallel); NULL = the run's shared one */
	struct rctx *ctx;
	struct tc_pyet *et; /* the run's execution trace (pyet.h), NULL = none; not owned */
	int rank, world;    /* -1 unknown */
	struct rop *ops;
	size_t n, cap;
	struct rext *ext;
	size_t next, extcap;
	struct rlane *lanes;
	size_t nlanes, lanecap;
	struct rdevice *devs;
	size_t ndevs;
	struct rsync *syncs;
	size_t nsyncs, synccap;
	struct rwork *work;
	size_t nwork, workcap;
	struct rgemm *gemm;
	size_t ngemm, gemmcap;
	/* Input Dims of CPU ops as zigzag varints: n, then per input its rank and dims */
	uint8_t *shp;
	size_t nshp, shpcap;
	uint8_t big_ops, big_work, big_gemm, big_shp; /* reserved mappings (tc_chrome_big_free) */
	int64_t base_ns;			      /* baseTimeNanoseconds, 0 if absent */
	int has_base;
	int era2021, fractional, rocm;
	int64_t ts_min;
	uint64_t events, skipped, unknown_phase, flows, counters, meta, instants;
	uint64_t unlinked, bytes;
	char schema[32];
	/* provenance scalars from the top level (cupti/cuda/hip/roctracer versions) */
	char meta_k[8][32], meta_v[8][64];
	int nmeta;
	int64_t mem_peak; /* peak "Total Allocated" of the GPU's [memory] events, 0 = none */
	/* distributedInfo.pg_config: process group name (string id) -> size */
	uint32_t pg_name[32], pg_size[32];
	/* the layout the groups' descriptions name (pg_desc "TENSOR_MODEL_PARALLEL_GROUP",
	 * "tp", ...): the largest group of each kind (dp, tp, pp, ep), 0 = not named */
	uint32_t pg_kind_size[4];
	int npg;
	/* ac2g flows, for runtime calls and GPU ops without a correlation: (pid, tid, ts) of
	 * such an op -> its index + 1; a second pass over the input (flow_pass) gives them
	 * the id of the flow event at the same place, which Kineto sets to the correlation */
	struct tc_map64 lane_ix;  /* hash of (gpu, a, b) -> lane index (tc_chrome_lane) */
	uint32_t lane_last[2];	  /* the lane tc_chrome_lane gave last, CPU and GPU: events come
				   * in runs on one thread or stream */
	struct tc_map64 nocorr;	  /* place -> seq + 1, bit 63 set for runtime calls */
	struct tc_map64 flowcorr; /* seq -> correlation from a flow */
	int flow_pass;
	uint64_t flow_linked;
	/* per correlation: dense over [corr_lo, corr_lo + corr_cap), else through corr_far */
	struct rcorr *corrs;
	uint64_t corr_lo, corr_n;
	size_t corr_cap;
	struct tc_map64 corr_far; /* corr -> index into far */
	struct rcorr *far;
	size_t nfar, farcap;
	/* sorted runs spilled so far (the last run stays in the arrays), in spill */
	FILE *spill;
	struct rrun *runs;
	size_t nruns, runcap;
	uint64_t nseq;	  /* ops parsed in all (seq of the next op) */
	uint64_t open_bs; /* "B" events not yet closed */
	/* thread names from M events: (pid, tid) -> name id */
	struct tc_map64 tname;
};

/* What the name of an op tells, cached per name id. */
enum {
	RN_KNOWN = 1,
	RN_HIP = 2,
	RN_CIJK = 4,
	RN_STEP = 8,
	RN_BACKWARD = 16,
	RN_LBACKWARD = 32,
	RN_RPC = 64 /* record_param_comms */
};
struct rname {
	uint8_t flags, cls, kcls, rt, copy;
	uint16_t work; /* tc_work_key() */
	uint8_t coll;  /* tc_coll_of_name(): asked of every CPU op with Input Dims */
};

/* Ops per sorted run by default: 16 MB of op records, a run's extras alongside. */
#define TC_CHROME_RUN_OPS ((size_t)1 << 18)

/* Shared across the inputs of one run. */
struct rctx {
	struct tc_strtab names;
	struct rname *facts; /* per name id, worked out on first use (names repeat a lot) */
	size_t facts_cap;
	/* "Input type" strings -> dtype: a handful of distinct strings, millions of uses */
	struct {
		uint8_t len, dt;
		char s[30];
	} dtmemo[16];
	unsigned ndtmemo;
	/* names without escapes -> id + 1 (0 = empty), by a cheap hash of their length and
	 * three words: most events name one of a few hundred ops, and the string table's
	 * full hash and probe was 2.5% of an ingest; a hit is checked against the table */
	uint32_t name_cache[512];
	const struct tc_ingest_opts *opts;
	size_t run_ops; /* ops per sorted run */
	struct tc_ingest_stats *stats;
};

/* Where an event happened, for matching flow events to ops. */
static inline uint64_t tc_chrome_place(int64_t pid, int64_t tid, int64_t ts)
{
	return tc_hash_u64(tc_hash_u64((uint64_t)pid * 1000003u ^ (uint64_t)tid) ^ (uint64_t)ts);
}

/* The per-correlation record (created on first use); NULL when out of memory. */
struct rcorr *tc_chrome_corr(struct rfile *f, uint64_t corr);
/* chrome_link.c: in-place sort by (ts, longer first, seq). */
void tc_chrome_sort(struct rop *v, size_t n);
/* chrome_link.c: sort the ops in memory and append them to f->spill as one run. */
int tc_chrome_spill(struct rfile *f, struct tc_err *err);

/* chrome.c: parse one input completely into f (with f->flow_pass set: read only the ac2g
 * flows, giving f->nocorr's ops their correlation). */
int tc_chrome_parse(struct rctx *c, struct tc_input *in, struct rfile *f, struct tc_err *err);
void tc_chrome_file_free(struct rfile *f);
/* chrome.c: parse files[0..n) (paths set, rank/world -1) reading srcs[i]; with several,
 * each gets its own context (files[i].ctx, freed with tc_chrome_ctx_free and free) and
 * they are parsed in parallel. *n_ok: how many leading inputs parsed; the error is the
 * first failing input's. */
int tc_chrome_parse_files(struct rctx *c, struct rfile *files, const char *const *srcs, size_t n,
			  size_t *n_ok, struct tc_err *err);
void tc_chrome_ctx_free(struct rctx *c);
void tc_chrome_big_free(void *p, uint8_t mapped);
uint32_t tc_chrome_lane(struct rfile *f, int gpu, int64_t a, int64_t b);

/* chrome_stream.c: cuda_sync records as actions per correlation (creating the lanes they
 * name); *acts is freed by the caller. */
int tc_chrome_sync_prepare(struct rfile *f, void **acts, size_t *nacts);
/* chrome_stream.c: merge f's runs, link every op and, when w is given, write it (ids from
 * base_id, ts + shift). */
struct tc_ops_writer;
int tc_chrome_stream(struct rctx *c, struct rfile *f, struct tc_ops_writer *w, uint32_t **name_map,
		     uint64_t base_id, int64_t shift, void *acts, size_t nacts, struct tc_err *err);
/* chrome_link.c: link one file without writing (validation, fuzzing). */
int tc_chrome_link(struct rctx *c, struct rfile *f, struct tc_err *err);
/* chrome_link.c: sort, link, and write all files. */
int tc_chrome_write(struct rctx *c, struct rfile *files, size_t n, const char *out_path,
		    struct tc_err *err);

/* ---- one event's fields (chrome_args.c): its members, args, Input Dims and types, and the
 * collective it describes; chrome.c splits the stream into events and makes ops of them */

struct evf {
	struct tc_jv ph, cat, name, pid, tid, ts, dur, args, id;
	int has_ph, has_cat, has_name, has_pid, has_tid, has_ts, has_dur, has_args, has_id;
};

enum ekind {
	E_SKIP,
	E_CPU,
	E_ANNOT,
	E_RUNTIME,
	E_KERNEL,
	E_MEMCPY,
	E_MEMSET,
	E_SYNC,
	E_GPUANNOT,
	E_PYTHON,
	E_FLOW
};

#define MAX_IN 16
#define MAX_RANK 8
struct inputs {
	struct tc_shape shapes[MAX_IN];
	int64_t dims[MAX_IN][MAX_RANK];
	uint8_t dtypes[MAX_IN];
	size_t n;
	struct tc_conv_params conv;
	int has_conv;
};

struct argf {
	struct tc_jv corr, ext, stream, device, dims, types, concrete, coll, nelems, gsize, dtype,
	    pgname, pgranks, wait_stream, rec_corr, sync_kind, bytes, evidx, mname, out_nelems,
	    total_alloc, dev_type;
	unsigned has;
};
enum {
	A_CORR = 1u << 0,
	A_EXT = 1u << 1,
	A_STREAM = 1u << 2,
	A_DEVICE = 1u << 3,
	A_DIMS = 1u << 4,
	A_TYPES = 1u << 5,
	A_CONCRETE = 1u << 6,
	A_COLL = 1u << 7,
	A_NELEMS = 1u << 8,
	A_GSIZE = 1u << 9,
	A_DTYPE = 1u << 10,
	A_PGNAME = 1u << 11,
	A_PGRANKS = 1u << 12,
	A_WAITS = 1u << 13,
	A_RECCORR = 1u << 14,
	A_SYNCK = 1u << 15,
	A_BYTES = 1u << 16,
	A_EVIDX = 1u << 17,
	A_NAME = 1u << 18,
	A_ONELEMS = 1u << 19,
	A_TOTALLOC = 1u << 20,
	A_DEVTYPE = 1u << 21,
};

enum ekind tc_chrome_kind_of_cat(const struct tc_jv *cat, struct rfile *f);
void tc_chrome_parse_dims(const struct tc_jv *v, struct inputs *in);
void tc_chrome_parse_types(struct rctx *c, const struct tc_jv *v, struct inputs *in);
void tc_chrome_parse_conv_concrete(const struct tc_jv *v, const char *opname, struct inputs *in);
int tc_chrome_parse_args_at(const char **pp, const char *end, struct argf *a);
int64_t tc_chrome_arg_i64(const struct tc_jv *v, int64_t dflt);
uint64_t tc_chrome_arg_u64(const struct tc_jv *v);
int tc_chrome_count_ints(const struct tc_jv *v, int64_t *out, int max);
void tc_chrome_coll_from_args(struct rctx *c, const struct argf *a, struct rext *x);
int tc_chrome_coll_from_dims(struct rctx *c, struct rfile *f, struct rop *op,
			     const struct rname *nf, const struct argf *a);
int tc_chrome_keep_shapes(struct rfile *f, struct rop *op, const struct inputs *in);
int tc_chrome_flow_event(struct rfile *f, const struct evf *e);

/* chrome.c's op records, for chrome_args.c */
struct rext *tc_chrome_new_ext(struct rfile *f, struct rop *op);
struct rwork *tc_chrome_new_work(struct rfile *f, struct rop *op);
void *tc_chrome_grow_big(void *p, size_t *cap, size_t need, size_t elem, uint8_t *mapped);
int64_t tc_chrome_id_of(const struct tc_jv *v);
uint32_t tc_chrome_intern_jv(struct rctx *c, const struct tc_jv *v);

/* Object member iteration that leaves the value to the caller (so "args" is read and
 * validated in one pass). *p starts at '{'; returns 1 with *p at the value, 0 at '}', -1
 * when malformed (*p at the offending byte). After reading the value the caller sets *p
 * past it; the next call checks for ',' or '}'. Inline: it runs for every key of
 * every event. */
static inline int tc_chrome_next_key(const char **pp, const char *end, int *first,
				     struct tc_jv *key)
{
	const char *p = *pp;
	/* the usual ", " before a key on the same line */
	if (end - p >= 3 && p[0] == ',' && p[1] == ' ' && p[2] == '"' && !*first) {
		p += 2;
		goto key;
	}
	p = tc_json_skip_ws(p, end);
	if (p >= end)
		goto bad;
	if (*first) {
		if (*p != '{')
			goto bad;
		*first = 0;
		p++;
		p = tc_json_skip_ws(p, end);
		if (p < end && *p == '}') {
			*pp = p + 1;
			return 0;
		}
	} else if (*p == '}') {
		*pp = p + 1;
		return 0;
	} else if (*p == ',') {
		p = tc_json_skip_ws(p + 1, end);
	} else {
		goto bad;
	}
	if (p < end && *p == '"') {
	key:
		if (tc_json_string_fast(&p, end, key) < 0)
			goto bad;
	} else if (tc_json_value(&p, end, key) < 0 || key->t != TC_J_STR) {
		goto bad;
	}
	/* Kineto writes "key": value: the ':' and the one blank are tried first */
	if (p >= end || *p != ':') {
		p = tc_json_skip_ws(p, end);
		if (p >= end || *p != ':')
			goto bad;
	}
	p++;
	if (end - p >= 2 && *p == ' ' && !TC_JSON_IS_WS(p[1]))
		p++;
	else
		p = tc_json_skip_ws(p, end);
	*pp = p;
	return 1;
bad:
	*pp = p;
	return -1;
}

#endif

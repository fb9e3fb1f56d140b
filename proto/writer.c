/* writer.c - streaming .tcs writer: ops are buffered column-wise for one chunk, then packed
 * as one protobuf message, compressed as one zstd frame and written as one record. Memory is
 * bounded by the chunk size, not by the number of ops. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zstd.h>

#include "opstream.h"
#include "opstream.pb-c.h"
#include "container.h"
#include "tc_config.h"

/* A growable column. */
#define COL(T)                                                                                     \
	struct {                                                                                   \
		T *v;                                                                              \
		size_t n, cap;                                                                     \
	}
/* Room is checked inline: a call to tc_grow per value was 2% of an ingest's instructions
 * (a dozen pushes per op), and the columns only grow a few times per chunk. */
#define COL_PUSH(c, x)                                                                             \
	((c).n < (c).cap ? ((c).v[(c).n++] = (x), 0)                                               \
	 : tc_grow((void **)&(c).v, &(c).cap, (c).n + 1, sizeof(*(c).v))                           \
	     ? TC_ENOMEM                                                                           \
	     : ((c).v[(c).n++] = (x), 0))

struct tc_ops_writer {
	struct tc_outfile out;
	struct tc_strtab strs;
	size_t strs_flushed; /* strings already written in earlier chunks */
	uint32_t n_lanes, lanes_flushed;
	COL(Tcs__Lane) lanes; /* lanes not yet flushed */
	struct tc_arena lane_arena;
	size_t chunk_ops;
	ZSTD_CCtx *zc;
	uint64_t n_ops, n_chunks, chunk_first;
	int64_t ts_min, ts_max, prev_ts;
	uint64_t prev_corr;
	uint32_t last_work, last_gemm, last_shape, last_coll, last_sync, last_dep;
	int failed;
	/* dense columns */
	COL(uint32_t) kind, name, op_class, lane, sub, flags;
	COL(int64_t) ts, dur, parent, link;
	COL(uint64_t) corr;
	/* sparse columns */
	COL(uint32_t) work_at, work_dtype, gemm_at;
	COL(uint64_t) gemm_m, gemm_n, gemm_k, gemm_batch;
	COL(uint64_t) work_flops, work_read, work_write;
	COL(uint32_t) shape_at, shape_n, shape_rank;
	COL(int64_t) shape_dims;
	COL(uint32_t) coll_at, coll_kind, coll_group_size, coll_group, coll_dtype;
	COL(uint64_t) coll_bytes, coll_seq;
	COL(int32_t) coll_peer;
	COL(uint32_t) sync_at, sync_lane;
	COL(uint64_t) sync_event;
	COL(uint32_t) dep_at, dep_n;
	COL(int64_t) dep_delta;
	/* reusable buffers */
	unsigned char *raw, *z;
	size_t raw_cap, z_cap;
};

/* Packs msg and writes it as one record. bound, when not 0, is at least the packed size:
 * the message is then packed into that much room without protobuf-c's sizing pass over
 * every value first (a third of the packing cost of a chunk); a bound over the record
 * limit falls back to the exact size, so the limit's error is the same. */
static int write_record(struct tc_ops_writer *w, int type, const ProtobufCMessage *msg,
			size_t bound, struct tc_err *err)
{
	size_t raw_len =
	    bound && bound <= TC_REC_MAX_RAW ? bound : protobuf_c_message_get_packed_size(msg);
	if (raw_len > TC_REC_MAX_RAW)
		return tc_err_set(
		    err, TC_EINVAL,
		    "record of %zu bytes exceeds the 1 GiB limit (use smaller chunks)", raw_len);
	if (tc_grow((void **)&w->raw, &w->raw_cap, raw_len + 1, 1))
		return tc_err_set(err, TC_ENOMEM, "out of memory packing a record");
	raw_len = protobuf_c_message_pack(msg, w->raw);
	size_t zbound = ZSTD_compressBound(raw_len);
	if (tc_grow((void **)&w->z, &w->z_cap, zbound, 1))
		return tc_err_set(err, TC_ENOMEM, "out of memory compressing a record");
	size_t zlen = ZSTD_compress2(w->zc, w->z, w->z_cap, w->raw, raw_len);
	if (ZSTD_isError(zlen))
		return tc_err_set(err, TC_EINTERNAL, "zstd: %s", ZSTD_getErrorName(zlen));
	if (raw_len > TC_REC_FREE_RAW && raw_len / TC_REC_MAX_RATIO > zlen) /* readers refuse it */
		return tc_err_set(err, TC_EINVAL,
				  "record of %zu bytes compresses more than %ux: use "
				  "smaller chunks",
				  raw_len, TC_REC_MAX_RATIO);
	unsigned char hdr[TC_REC_HDR_LEN] = {0};
	hdr[0] = (unsigned char)type;
	tc_put_u32(hdr + 4, (uint32_t)zlen);
	tc_put_u32(hdr + 8, (uint32_t)raw_len);
	tc_put_u32(hdr + 12, (uint32_t)tc_hash64(w->z, zlen, 0));
	if (fwrite(hdr, 1, sizeof(hdr), w->out.fp) != sizeof(hdr) ||
	    fwrite(w->z, 1, zlen, w->out.fp) != zlen)
		return tc_err_set(err, TC_EIO, "%s: write failed: %s", w->out.path,
				  strerror(errno));
	return 0;
}

static int write_header(struct tc_ops_writer *w, const struct tc_ops_header *h, struct tc_err *err)
{
	Tcs__Header msg = TCS__HEADER__INIT;
	Tcs__Device *devs = NULL, **devp = NULL;
	Tcs__KeyValue *kvs = NULL, **kvp = NULL;
	int rc;

	msg.format_major = TC_OPS_MAJOR;
	msg.format_minor = TC_OPS_MINOR;
	msg.source_format = (char *)(h->source_format ? h->source_format : "");
	msg.n_source_files = h->n_source_files;
	msg.source_files = (char **)h->source_files;
	msg.world_size = h->world_size;
	msg.n_ranks = h->n_ranks;
	msg.ranks = (uint32_t *)h->ranks;
	msg.time_unit = (char *)"ns";
	msg.tool_version = (char *)TC_VERSION;
	msg.base_time_ns = h->base_time_ns;
	if (h->n_devices) {
		devs = tc_xcalloc(h->n_devices, sizeof(*devs));
		devp = tc_xcalloc(h->n_devices, sizeof(*devp));
		for (size_t i = 0; i < h->n_devices; i++) {
			const struct tc_device *d = &h->devices[i];
			tcs__device__init(&devs[i]);
			devs[i].id = (uint32_t)i;
			devs[i].rank = d->rank;
			devs[i].type = d->type;
			devs[i].index = d->index;
			devs[i].name = (char *)(d->name ? d->name : "");
			devs[i].chip = (char *)(d->chip ? d->chip : "");
			devs[i].vendor = (char *)(d->vendor ? d->vendor : "");
			devs[i].arch = (char *)(d->arch ? d->arch : "");
			devs[i].memory_bytes = d->memory_bytes;
			devs[i].compute_units = d->compute_units;
			devp[i] = &devs[i];
		}
	}
	msg.n_devices = h->n_devices;
	msg.devices = devp;
	if (h->n_meta) {
		kvs = tc_xcalloc(h->n_meta, sizeof(*kvs));
		kvp = tc_xcalloc(h->n_meta, sizeof(*kvp));
		for (size_t i = 0; i < h->n_meta; i++) {
			tcs__key_value__init(&kvs[i]);
			kvs[i].key = (char *)(h->meta[i].key ? h->meta[i].key : "");
			kvs[i].value = (char *)(h->meta[i].value ? h->meta[i].value : "");
			kvp[i] = &kvs[i];
		}
	}
	msg.n_meta = h->n_meta;
	msg.meta = kvp;
	for (size_t i = 0; i < h->n_source_files; i++)
		if (!h->source_files[i])
			msg.source_files[i] = (char *)""; /* never reached: callers pass names */
	rc = write_record(w, TC_REC_HEADER, &msg.base, 0, err);
	free(devs);
	free(devp);
	free(kvs);
	free(kvp);
	return rc;
}

int tc_ops_writer_open(struct tc_ops_writer **out, const char *path,
		       const struct tc_ops_header *hdr, const struct tc_ops_writer_opts *opts,
		       struct tc_err *err)
{
	struct tc_ops_writer *w;
	*out = NULL;
	if (strcmp(path, "-") == 0)
		return tc_err_set(err, TC_EINVAL, "an opstream cannot be written to stdout");
	w = tc_xcalloc(1, sizeof(*w));
	if (tc_strtab_init(&w->strs)) {
		free(w);
		return tc_err_set(err, TC_ENOMEM, "out of memory");
	}
	w->strs_flushed = 0;
	tc_arena_init(&w->lane_arena, 0);
	w->chunk_ops = opts && opts->chunk_ops ? opts->chunk_ops : TC_OPS_CHUNK_DEFAULT;
	/* The dense columns take one value per op of a chunk: room for a chunk up front (pages
	 * never written are never touched) instead of a dozen doublings, each a copy. A
	 * failure here is no error: the columns then grow as they fill. */
	size_t pre = TC_MIN(w->chunk_ops, (size_t)TC_OPS_CHUNK_DEFAULT);
	tc_grow((void **)&w->kind.v, &w->kind.cap, pre, sizeof(*w->kind.v));
	tc_grow((void **)&w->name.v, &w->name.cap, pre, sizeof(*w->name.v));
	tc_grow((void **)&w->op_class.v, &w->op_class.cap, pre, sizeof(*w->op_class.v));
	tc_grow((void **)&w->lane.v, &w->lane.cap, pre, sizeof(*w->lane.v));
	tc_grow((void **)&w->sub.v, &w->sub.cap, pre, sizeof(*w->sub.v));
	tc_grow((void **)&w->flags.v, &w->flags.cap, pre, sizeof(*w->flags.v));
	tc_grow((void **)&w->ts.v, &w->ts.cap, pre, sizeof(*w->ts.v));
	tc_grow((void **)&w->dur.v, &w->dur.cap, pre, sizeof(*w->dur.v));
	tc_grow((void **)&w->parent.v, &w->parent.cap, pre, sizeof(*w->parent.v));
	tc_grow((void **)&w->link.v, &w->link.cap, pre, sizeof(*w->link.v));
	tc_grow((void **)&w->corr.v, &w->corr.cap, pre, sizeof(*w->corr.v));
	w->zc = ZSTD_createCCtx();
	if (!w->zc) {
		tc_ops_writer_abort(w);
		return tc_err_set(err, TC_ENOMEM, "zstd: cannot create a context");
	}
	ZSTD_CCtx_setParameter(w->zc, ZSTD_c_compressionLevel,
			       opts && opts->zstd_level ? opts->zstd_level : 3);
	ZSTD_CCtx_setParameter(w->zc, ZSTD_c_checksumFlag, 1);
	w->ts_min = INT64_MAX;
	w->ts_max = INT64_MIN;
	if (tc_outfile_open(&w->out, path, err)) {
		tc_ops_writer_abort(w);
		return err ? err->code : TC_EIO;
	}
	unsigned char fh[TC_FILE_HDR_LEN];
	memcpy(fh, TC_OPS_MAGIC, 8);
	fh[8] = TC_OPS_MAJOR & 0xff;
	fh[9] = TC_OPS_MAJOR >> 8;
	fh[10] = TC_OPS_MINOR & 0xff;
	fh[11] = TC_OPS_MINOR >> 8;
	if (fwrite(fh, 1, sizeof(fh), w->out.fp) != sizeof(fh)) {
		tc_err_set(err, TC_EIO, "%s: write failed: %s", path, strerror(errno));
		tc_ops_writer_abort(w);
		return TC_EIO;
	}
	int rc = write_header(w, hdr, err);
	if (rc) {
		tc_ops_writer_abort(w);
		return rc;
	}
	*out = w;
	return 0;
}

int tc_ops_writer_intern_n(struct tc_ops_writer *w, const char *s, size_t len, uint32_t *id)
{
	if (tc_utf8_valid(s, len))
		return tc_strtab_intern(&w->strs, s, len, id);
	/* names are text (docs/format.md §3): bytes that are not UTF-8 become U+FFFD here, at
	 * ingest, so that every output of the file is valid text */
	size_t cap;
	if (tc_mul_size(len, 3, &cap) < 0 || cap == SIZE_MAX)
		return TC_ENOMEM;
	char *fixed = malloc(cap + 1);
	if (!fixed)
		return TC_ENOMEM;
	size_t n = tc_utf8_fix(fixed, s, len);
	int rc = tc_strtab_intern(&w->strs, fixed, n, id);
	free(fixed);
	return rc;
}

int tc_ops_writer_intern(struct tc_ops_writer *w, const char *s, uint32_t *id)
{
	return tc_ops_writer_intern_n(w, s ? s : "", s ? strlen(s) : 0, id);
}

int tc_ops_writer_lane(struct tc_ops_writer *w, const struct tc_lane *lane, uint32_t *id)
{
	Tcs__Lane l = TCS__LANE__INIT;
	l.id = w->n_lanes;
	l.rank = lane->rank;
	l.device = lane->device;
	l.type = lane->type;
	l.tid = lane->tid;
	const char *name = lane->name ? lane->name : "";
	size_t nl = strlen(name);
	if (tc_utf8_valid(name, nl)) {
		l.name = tc_arena_strdup(&w->lane_arena, name);
	} else if ((l.name = tc_arena_alloc(&w->lane_arena, 3 * nl + 1))) {
		tc_utf8_fix(l.name, name, nl); /* as for interned names */
	}
	if (!l.name || COL_PUSH(w->lanes, l))
		return TC_ENOMEM;
	*id = w->n_lanes++;
	return 0;
}

static int flush_chunk(struct tc_ops_writer *w, struct tc_err *err)
{
	Tcs__Chunk c = TCS__CHUNK__INIT;
	Tcs__Lane **lanep = NULL;
	int rc;

	if (w->kind.n == 0)
		return 0;
	c.first_op = w->chunk_first;
	c.n_strings = w->strs.n - w->strs_flushed;
	c.strings = (char **)(w->strs.strs + w->strs_flushed);
	if (w->lanes.n) {
		lanep = tc_xcalloc(w->lanes.n, sizeof(*lanep));
		for (size_t i = 0; i < w->lanes.n; i++)
			lanep[i] = &w->lanes.v[i];
	}
	c.n_lanes = w->lanes.n;
	c.lanes = lanep;
	/* a bound on the packed size: a varint is at most 10 bytes, a tag 2, a length 5 */
	size_t bound = 16;
	for (size_t i = 0; i < c.n_strings; i++)
		bound += 7 + strlen(c.strings[i]);
	for (size_t i = 0; i < c.n_lanes; i++)
		bound += 7 + 4 * 6 + 11 + 7 + strlen(lanep[i]->name ? lanep[i]->name : "");
#define SET(field, col)                                                                            \
	c.n_##field = w->col.n;                                                                    \
	c.field = (void *)w->col.v;                                                                \
	bound += 7 + 10 * w->col.n
	SET(kind, kind);
	SET(name, name);
	SET(op_class, op_class);
	SET(lane, lane);
	SET(ts, ts);
	SET(dur, dur);
	SET(parent, parent);
	SET(link, link);
	SET(sub, sub);
	SET(correlation, corr);
	SET(flags, flags);
	SET(work_at, work_at);
	SET(work_flops, work_flops);
	SET(work_read, work_read);
	SET(work_write, work_write);
	SET(work_dtype, work_dtype);
	SET(gemm_at, gemm_at);
	SET(gemm_m, gemm_m);
	SET(gemm_n, gemm_n);
	SET(gemm_k, gemm_k);
	SET(gemm_batch, gemm_batch);
	SET(shape_at, shape_at);
	SET(shape_n, shape_n);
	SET(shape_rank, shape_rank);
	SET(shape_dims, shape_dims);
	SET(coll_at, coll_at);
	SET(coll_kind, coll_kind);
	SET(coll_bytes, coll_bytes);
	SET(coll_group_size, coll_group_size);
	SET(coll_group, coll_group);
	SET(coll_seq, coll_seq);
	SET(coll_peer, coll_peer);
	SET(coll_dtype, coll_dtype);
	SET(sync_at, sync_at);
	SET(sync_lane, sync_lane);
	SET(sync_event, sync_event);
	SET(dep_at, dep_at);
	SET(dep_n, dep_n);
	SET(dep_delta, dep_delta);
#undef SET
	rc = write_record(w, TC_REC_CHUNK, &c.base, bound, err);
	free(lanep);
	if (rc) /* a failed write names the file; which chunk it was is no help there */
		return rc == TC_EIO
			   ? rc
			   : tc_err_wrap(err, "chunk %llu", (unsigned long long)w->n_chunks);
	w->n_chunks++;
	w->strs_flushed = w->strs.n;
	w->lanes.n = 0;
	tc_arena_reset(&w->lane_arena);
	w->chunk_first = w->n_ops;
	w->kind.n = w->name.n = w->op_class.n = w->lane.n = w->sub.n = w->flags.n = 0;
	w->ts.n = w->dur.n = w->parent.n = w->link.n = w->corr.n = 0;
	w->work_at.n = w->work_dtype.n = w->work_flops.n = w->work_read.n = w->work_write.n = 0;
	w->gemm_at.n = w->gemm_m.n = w->gemm_n.n = w->gemm_k.n = w->gemm_batch.n = 0;
	w->shape_at.n = w->shape_n.n = w->shape_rank.n = w->shape_dims.n = 0;
	w->coll_at.n = w->coll_kind.n = w->coll_group_size.n = w->coll_group.n = 0;
	w->coll_dtype.n = w->coll_bytes.n = w->coll_seq.n = w->coll_peer.n = 0;
	w->sync_at.n = w->sync_lane.n = w->sync_event.n = 0;
	w->dep_at.n = w->dep_n.n = w->dep_delta.n = 0;
	w->prev_ts = 0;
	w->prev_corr = 0;
	w->last_work = w->last_gemm = w->last_shape = w->last_coll = w->last_sync = w->last_dep = 0;
	return 0;
}

/* Index delta of a sparse entry: the first entry of a chunk is absolute. */
static uint32_t sparse_at(uint32_t idx, uint32_t *last, size_t n_before)
{
	uint32_t d = n_before ? idx - *last : idx;
	*last = idx;
	return d;
}

int tc_ops_writer_add(struct tc_ops_writer *w, const struct tc_op *op, uint64_t *id,
		      struct tc_err *err)
{
	uint64_t self = w->n_ops;
	uint32_t idx = (uint32_t)(self - w->chunk_first);
	int rc = 0;

	if (w->failed)
		return tc_err_set(err, TC_EINVAL, "writer already failed");
	if (op->name >= w->strs.n)
		return tc_err_set(err, TC_EINVAL, "op %llu: string id %u not interned",
				  (unsigned long long)self, op->name);
	if (op->lane >= w->n_lanes)
		return tc_err_set(err, TC_EINVAL, "op %llu: lane %u not declared",
				  (unsigned long long)self, op->lane);
	if ((op->parent != TC_NONE && op->parent >= self) ||
	    (op->link != TC_NONE && op->link >= self))
		return tc_err_set(err, TC_EINVAL, "op %llu: parent/link must name an earlier op",
				  (unsigned long long)self);
	for (uint32_t i = 0; i < op->n_deps; i++)
		if (op->deps[i] >= self)
			return tc_err_set(
			    err, TC_EINVAL, "op %llu: dependency %llu is not an earlier op",
			    (unsigned long long)self, (unsigned long long)op->deps[i]);

	/* the range readers accept (TC_TIME_LIMIT_NS): a file we write must read back */
	if (op->ts_ns < -TC_TIME_LIMIT_NS || op->ts_ns > TC_TIME_LIMIT_NS || op->dur_ns < -1 ||
	    op->dur_ns > TC_TIME_LIMIT_NS || op->ts_ns + op->dur_ns > TC_TIME_LIMIT_NS)
		return tc_err_set(err, TC_EINVAL,
				  "op %llu: time %lld ns + %lld ns is outside +-2^53 ns "
				  "of the trace's start",
				  (unsigned long long)self, (long long)op->ts_ns,
				  (long long)op->dur_ns);
	int64_t ts_delta = w->kind.n ? op->ts_ns - w->prev_ts : op->ts_ns;
	w->prev_ts = op->ts_ns;
	uint64_t corr = 0;
	if (op->correlation) {
		corr = tc_zigzag((int64_t)(op->correlation - w->prev_corr)) + 1;
		w->prev_corr = op->correlation;
	}
	rc |= COL_PUSH(w->kind, op->kind);
	rc |= COL_PUSH(w->name, op->name);
	rc |= COL_PUSH(w->op_class, op->op_class);
	rc |= COL_PUSH(w->lane, op->lane);
	rc |= COL_PUSH(w->ts, ts_delta);
	rc |= COL_PUSH(w->dur, op->dur_ns);
	rc |= COL_PUSH(w->parent, op->parent == TC_NONE ? 0 : (int64_t)(self - op->parent));
	rc |= COL_PUSH(w->link, op->link == TC_NONE ? 0 : (int64_t)(self - op->link));
	rc |= COL_PUSH(w->sub, op->sub);
	rc |= COL_PUSH(w->corr, corr);
	rc |= COL_PUSH(w->flags, op->flags);
	if (op->has_work) {
		uint32_t at_ = sparse_at(idx, &w->last_work, w->work_at.n);
		rc |= COL_PUSH(w->work_at, at_);
		rc |= COL_PUSH(w->work_flops, op->flops);
		rc |= COL_PUSH(w->work_read, op->bytes_read);
		rc |= COL_PUSH(w->work_write, op->bytes_written);
		rc |= COL_PUSH(w->work_dtype, op->dtype);
	}
	if (op->gemm_m || op->gemm_n || op->gemm_k || op->gemm_batch) {
		uint32_t at_ = sparse_at(idx, &w->last_gemm, w->gemm_at.n);
		rc |= COL_PUSH(w->gemm_at, at_);
		rc |= COL_PUSH(w->gemm_m, op->gemm_m);
		rc |= COL_PUSH(w->gemm_n, op->gemm_n);
		rc |= COL_PUSH(w->gemm_k, op->gemm_k);
		rc |= COL_PUSH(w->gemm_batch, op->gemm_batch);
	}
	if (op->n_shapes) {
		uint32_t at_ = sparse_at(idx, &w->last_shape, w->shape_at.n);
		rc |= COL_PUSH(w->shape_at, at_);
		rc |= COL_PUSH(w->shape_n, op->n_shapes);
		for (uint32_t s = 0; s < op->n_shapes; s++) {
			rc |= COL_PUSH(w->shape_rank, op->shapes[s].rank);
			for (uint32_t d = 0; d < op->shapes[s].rank; d++)
				rc |= COL_PUSH(w->shape_dims, op->shapes[s].dims[d]);
		}
	}
	if (op->coll_kind != TC_COLL_NONE) {
		uint32_t at_ = sparse_at(idx, &w->last_coll, w->coll_at.n);
		rc |= COL_PUSH(w->coll_at, at_);
		rc |= COL_PUSH(w->coll_kind, op->coll_kind);
		rc |= COL_PUSH(w->coll_bytes, op->coll_bytes);
		rc |= COL_PUSH(w->coll_group_size, op->coll_group_size);
		rc |= COL_PUSH(w->coll_group, op->coll_group);
		rc |= COL_PUSH(w->coll_seq, op->coll_seq);
		rc |= COL_PUSH(w->coll_peer, op->coll_peer);
		rc |= COL_PUSH(w->coll_dtype, op->coll_dtype);
	}
	if (op->sync_lane || op->sync_event) {
		uint32_t at_ = sparse_at(idx, &w->last_sync, w->sync_at.n);
		rc |= COL_PUSH(w->sync_at, at_);
		rc |= COL_PUSH(w->sync_lane, op->sync_lane);
		rc |= COL_PUSH(w->sync_event, op->sync_event);
	}
	if (op->n_deps) {
		uint32_t at_ = sparse_at(idx, &w->last_dep, w->dep_at.n);
		rc |= COL_PUSH(w->dep_at, at_);
		rc |= COL_PUSH(w->dep_n, op->n_deps);
		for (uint32_t d = 0; d < op->n_deps; d++)
			rc |= COL_PUSH(w->dep_delta, (int64_t)(self - op->deps[d]));
	}
	if (rc) {
		w->failed = 1;
		return tc_err_set(err, TC_ENOMEM, "out of memory buffering op %llu",
				  (unsigned long long)self);
	}
	if (op->ts_ns < w->ts_min)
		w->ts_min = op->ts_ns;
	int64_t end = op->ts_ns + (op->dur_ns > 0 ? op->dur_ns : 0);
	if (end > w->ts_max)
		w->ts_max = end;
	w->n_ops++;
	if (id)
		*id = self;
	if (w->kind.n >= w->chunk_ops) {
		rc = flush_chunk(w, err);
		if (rc)
			w->failed = 1;
		return rc;
	}
	return 0;
}

int tc_ops_writer_close(struct tc_ops_writer *w, struct tc_err *err)
{
	int rc;
	if (!w)
		return tc_err_set(err, TC_EINVAL, "no writer");
	if (w->failed) {
		tc_ops_writer_abort(w);
		return tc_err_set(err, TC_EINVAL, "writer failed earlier; output discarded");
	}
	/* Strings or lanes declared after the last op still need a home: an empty chunk. */
	if (w->kind.n == 0 && (w->strs.n > w->strs_flushed || w->lanes.n)) {
		Tcs__Chunk c = TCS__CHUNK__INIT;
		Tcs__Lane **lanep = w->lanes.n ? tc_xcalloc(w->lanes.n, sizeof(*lanep)) : NULL;
		for (size_t i = 0; i < w->lanes.n; i++)
			lanep[i] = &w->lanes.v[i];
		c.first_op = w->n_ops;
		c.n_strings = w->strs.n - w->strs_flushed;
		c.strings = (char **)(w->strs.strs + w->strs_flushed);
		c.n_lanes = w->lanes.n;
		c.lanes = lanep;
		rc = write_record(w, TC_REC_CHUNK, &c.base, 0, err);
		free(lanep);
		if (rc) {
			tc_ops_writer_abort(w);
			return rc;
		}
		w->n_chunks++;
		w->strs_flushed = w->strs.n;
		w->lanes.n = 0;
	}
	rc = flush_chunk(w, err);
	if (!rc) {
		Tcs__Footer f = TCS__FOOTER__INIT;
		f.op_count = w->n_ops;
		f.chunk_count = w->n_chunks;
		f.string_count = w->strs.n;
		f.lane_count = w->n_lanes;
		f.ts_min = w->n_ops ? w->ts_min : 0;
		f.ts_max = w->n_ops ? w->ts_max : 0;
		rc = write_record(w, TC_REC_FOOTER, &f.base, 0, err);
	}
	if (!rc && fflush(w->out.fp) != 0)
		rc = tc_err_set(err, TC_EIO, "%s: write failed: %s", w->out.path, strerror(errno));
	if (!rc && fsync(fileno(w->out.fp)) != 0 && errno != EINVAL)
		rc = tc_err_set(err, TC_EIO, "%s: fsync failed: %s", w->out.path, strerror(errno));
	if (rc) {
		tc_ops_writer_abort(w);
		return rc;
	}
	rc = tc_outfile_commit(&w->out, err);
	tc_ops_writer_abort(w); /* frees; the outfile is already committed */
	return rc;
}

void tc_ops_writer_abort(struct tc_ops_writer *w)
{
	if (!w)
		return;
	tc_outfile_abort(&w->out);
	tc_strtab_free(&w->strs);
	tc_arena_free(&w->lane_arena);
	ZSTD_freeCCtx(w->zc);
	free(w->lanes.v);
	void *cols[] = {w->kind.v,
			w->name.v,
			w->op_class.v,
			w->lane.v,
			w->sub.v,
			w->flags.v,
			w->ts.v,
			w->dur.v,
			w->parent.v,
			w->link.v,
			w->corr.v,
			w->work_at.v,
			w->work_dtype.v,
			w->gemm_at.v,
			w->gemm_m.v,
			w->gemm_n.v,
			w->gemm_k.v,
			w->gemm_batch.v,
			w->work_flops.v,
			w->work_read.v,
			w->work_write.v,
			w->shape_at.v,
			w->shape_n.v,
			w->shape_rank.v,
			w->shape_dims.v,
			w->coll_at.v,
			w->coll_kind.v,
			w->coll_group_size.v,
			w->coll_group.v,
			w->coll_dtype.v,
			w->coll_bytes.v,
			w->coll_seq.v,
			w->coll_peer.v,
			w->sync_at.v,
			w->sync_lane.v,
			w->sync_event.v,
			w->dep_at.v,
			w->dep_n.v,
			w->dep_delta.v,
			w->raw,
			w->z};
	for (size_t i = 0; i < TC_ARRAY_LEN(cols); i++)
		free(cols[i]);
	free(w);
}

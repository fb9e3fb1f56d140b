/* reader.c - streaming .tcs reader: one record at a time, one chunk of decoded ops at a
 * time. Every structural fact is checked so a corrupt file gives an error naming the byte
 * offset or chunk, never a crash. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "opstream.h"
#include "opstream.pb-c.h"
#include "container.h"

struct tc_ops_reader {
	char *name;
	FILE *fp;                  /* NULL when reading from memory */
	const unsigned char *mem;  /* memory source */
	size_t mem_len, mem_pos;
	uint64_t offset;           /* byte offset of the next record */
	ZSTD_DCtx *zd;
	unsigned char *z, *raw;
	size_t z_cap, raw_cap;

	Tcs__Header *hdr_msg;
	struct tc_ops_header hdr;
	struct tc_device *devices;
	struct tc_kv *meta;

	struct tc_arena strarena; /* strings and lane names: live as long as the reader */
	const char **strs;
	size_t n_strs, strs_cap;
	struct tc_lane *lanes;
	size_t n_lanes, lanes_cap;

	struct tc_op *ops;
	size_t ops_cap;
	struct tc_shape *shapes;
	size_t shapes_cap;
	uint64_t *deps;
	size_t deps_cap;
	int64_t *dims_copy; /* shape dims of the current chunk (the message is freed) */

	uint64_t n_ops, n_chunks;
	int done;
	/* protobuf-c allocates every column of a chunk; an arena reset per chunk keeps those
	 * pages mapped instead of a malloc/free (and page faults) per column per chunk. */
	struct msg_pool {
		unsigned char *buf;
		size_t cap, used, want; /* want: bytes the last chunk needed, to size buf */
		void **spill;           /* overflow allocations of the current chunk */
		size_t n_spill, spill_cap;
	} pool;
	ProtobufCAllocator alloc;
	Tcs__Footer footer;
};

static int src_read(struct tc_ops_reader *r, void *buf, size_t n, size_t *got)
{
	if (r->fp) {
		*got = fread(buf, 1, n, r->fp);
		if (*got < n && ferror(r->fp))
			return -1;
		return 0;
	}
	size_t left = r->mem_len - r->mem_pos;
	*got = n < left ? n : left;
	memcpy(buf, r->mem + r->mem_pos, *got);
	r->mem_pos += *got;
	return 0;
}

/* Read one record. Returns 1 with *type and r->raw/raw_len filled, 0 at end of file,
 * negative on error. */
static int read_record(struct tc_ops_reader *r, int *type, size_t *raw_len, struct tc_err *err)
{
	unsigned char hdr[TC_REC_HDR_LEN];
	size_t got;
	uint64_t at = r->offset;
	if (src_read(r, hdr, sizeof(hdr), &got))
		return tc_err_set(err, TC_EIO, "%s: read error at byte %llu: %s", r->name,
				  (unsigned long long)at, strerror(errno));
	if (got == 0)
		return 0;
	if (got < sizeof(hdr))
		return tc_err_set(err, TC_ETRUNC, "%s: truncated record header at byte %llu", r->name,
				  (unsigned long long)at);
	*type = hdr[0];
	uint32_t zlen = tc_get_u32(hdr + 4), rlen = tc_get_u32(hdr + 8), check = tc_get_u32(hdr + 12);
	if (*type < TC_REC_HEADER || *type > TC_REC_FOOTER || hdr[1] || hdr[2] || hdr[3])
		return tc_err_set(err, TC_EFORMAT, "%s: bad record header at byte %llu (type %u)",
				  r->name, (unsigned long long)at, hdr[0]);
	if (rlen > TC_REC_MAX_RAW || zlen > ZSTD_compressBound(rlen))
		return tc_err_set(err, TC_EFORMAT, "%s: implausible record sizes at byte %llu (%u -> %u bytes)",
				  r->name, (unsigned long long)at, zlen, rlen);
	if (tc_grow((void **)&r->z, &r->z_cap, zlen + 1, 1) || tc_grow((void **)&r->raw, &r->raw_cap, rlen + 1, 1))
		return tc_err_set(err, TC_ENOMEM, "%s: out of memory at byte %llu", r->name, (unsigned long long)at);
	if (src_read(r, r->z, zlen, &got))
		return tc_err_set(err, TC_EIO, "%s: read error at byte %llu", r->name, (unsigned long long)at);
	if (got < zlen)
		return tc_err_set(err, TC_ETRUNC, "%s: truncated record at byte %llu (%zu of %u bytes)",
				  r->name, (unsigned long long)at, got, zlen);
	if ((uint32_t)tc_hash64(r->z, zlen, 0) != check)
		return tc_err_set(err, TC_EFORMAT, "%s: corrupt record at byte %llu (checksum mismatch)",
				  r->name, (unsigned long long)at);
	size_t n = ZSTD_decompressDCtx(r->zd, r->raw, r->raw_cap, r->z, zlen);
	if (ZSTD_isError(n))
		return tc_err_set(err, TC_EFORMAT, "%s: corrupt frame at byte %llu: zstd: %s", r->name,
				  (unsigned long long)at, ZSTD_getErrorName(n));
	if (n != rlen)
		return tc_err_set(err, TC_EFORMAT, "%s: frame at byte %llu holds %zu bytes, header says %u",
				  r->name, (unsigned long long)at, n, rlen);
	*raw_len = n;
	r->offset += TC_REC_HDR_LEN + zlen;
	return 1;
}

static void *pool_alloc(void *data, size_t size)
{
	struct msg_pool *p = data;
	size = (size + 15) & ~(size_t)15;
	p->want += size;
	if (p->cap - p->used >= size) {
		void *q = p->buf + p->used;
		p->used += size;
		return q;
	}
	if (tc_grow((void **)&p->spill, &p->spill_cap, p->n_spill + 1, sizeof(*p->spill)))
		return NULL;
	void *q = malloc(size);
	if (q)
		p->spill[p->n_spill++] = q;
	return q;
}

static void pool_free(void *data, void *q)
{
	(void)data;
	(void)q; /* released all at once by pool_reset */
}

/* Forget the previous chunk's message; grow the buffer to what it needed so the steady
 * state makes no allocation and touches no new page. */
static void pool_reset(struct msg_pool *p)
{
	for (size_t i = 0; i < p->n_spill; i++)
		free(p->spill[i]);
	p->n_spill = 0;
	if (p->want > p->cap) {
		size_t ncap = p->want + p->want / 4;
		unsigned char *nb = malloc(ncap);
		if (nb) {
			free(p->buf);
			p->buf = nb;
			p->cap = ncap;
		}
	}
	p->used = 0;
	p->want = 0;
}

static int reader_init(struct tc_ops_reader *r, struct tc_err *err)
{
	unsigned char fh[TC_FILE_HDR_LEN];
	size_t got;
	int type, rc;
	size_t raw_len;

	r->zd = ZSTD_createDCtx();
	if (!r->zd)
		return tc_err_set(err, TC_ENOMEM, "zstd: cannot create a context");
	tc_arena_init(&r->strarena, 0);
	r->alloc.alloc = pool_alloc;
	r->alloc.free = pool_free;
	r->alloc.allocator_data = &r->pool;
	if (src_read(r, fh, sizeof(fh), &got))
		return tc_err_set(err, TC_EIO, "%s: read error: %s", r->name, strerror(errno));
	if (got < 8 || memcmp(fh, TC_OPS_MAGIC, 8) != 0)
		return tc_err_set(err, TC_EFORMAT, "%s: not an opstream (bad magic at byte 0)", r->name);
	if (got < sizeof(fh))
		return tc_err_set(err, TC_ETRUNC, "%s: truncated file header", r->name);
	unsigned major = fh[8] | fh[9] << 8, minor = fh[10] | fh[11] << 8;
	if (major != TC_OPS_MAJOR)
		return tc_err_set(err, TC_EVERSION, "%s: opstream format %u.%u is not supported (this tracecast reads %d.x)",
				  r->name, major, minor, TC_OPS_MAJOR);
	r->offset = sizeof(fh);
	rc = read_record(r, &type, &raw_len, err);
	if (rc < 0)
		return rc;
	if (rc == 0)
		return tc_err_set(err, TC_ETRUNC, "%s: truncated: no header record at byte %llu", r->name,
				  (unsigned long long)r->offset);
	if (type != TC_REC_HEADER)
		return tc_err_set(err, TC_EFORMAT, "%s: first record is not a header (byte %d)", r->name, TC_FILE_HDR_LEN);
	r->hdr_msg = tcs__header__unpack(NULL, raw_len, r->raw);
	if (!r->hdr_msg)
		return tc_err_set(err, TC_EFORMAT, "%s: broken header message at byte %d", r->name, TC_FILE_HDR_LEN);
	Tcs__Header *h = r->hdr_msg;
	r->hdr.format_major = h->format_major;
	r->hdr.format_minor = h->format_minor;
	r->hdr.source_format = h->source_format;
	r->hdr.source_files = (const char **)h->source_files;
	r->hdr.n_source_files = h->n_source_files;
	r->hdr.world_size = h->world_size;
	r->hdr.ranks = h->ranks;
	r->hdr.n_ranks = h->n_ranks;
	r->hdr.tool_version = h->tool_version;
	r->hdr.base_time_ns = h->base_time_ns;
	if (h->n_devices) {
		r->devices = tc_xcalloc(h->n_devices, sizeof(*r->devices));
		for (size_t i = 0; i < h->n_devices; i++) {
			Tcs__Device *d = h->devices[i];
			r->devices[i] = (struct tc_device){d->id, d->rank, d->type, d->index, d->name,
							   d->chip, d->vendor, d->arch, d->memory_bytes,
							   d->compute_units};
		}
	}
	r->hdr.devices = r->devices;
	r->hdr.n_devices = h->n_devices;
	if (h->n_meta) {
		r->meta = tc_xcalloc(h->n_meta, sizeof(*r->meta));
		for (size_t i = 0; i < h->n_meta; i++)
			r->meta[i] = (struct tc_kv){h->meta[i]->key, h->meta[i]->value};
	}
	r->hdr.meta = r->meta;
	r->hdr.n_meta = h->n_meta;
	return 0;
}

int tc_ops_reader_open(struct tc_ops_reader **out, const char *path, struct tc_err *err)
{
	struct tc_ops_reader *r;
	*out = NULL;
	FILE *fp = fopen(path, "rb");
	if (!fp)
		return tc_err_set(err, TC_EIO, "%s: cannot open: %s", path, strerror(errno));
	r = tc_xcalloc(1, sizeof(*r));
	r->fp = fp;
	r->name = tc_xstrdup(path);
	int rc = reader_init(r, err);
	if (rc) {
		tc_ops_reader_free(r);
		return rc;
	}
	*out = r;
	return 0;
}

int tc_ops_reader_open_mem(struct tc_ops_reader **out, const void *buf, size_t len,
			   const char *name, struct tc_err *err)
{
	struct tc_ops_reader *r = tc_xcalloc(1, sizeof(*r));
	*out = NULL;
	r->mem = buf;
	r->mem_len = len;
	r->name = tc_xstrdup(name ? name : "<memory>");
	int rc = reader_init(r, err);
	if (rc) {
		tc_ops_reader_free(r);
		return rc;
	}
	*out = r;
	return 0;
}

const struct tc_ops_header *tc_ops_reader_header(const struct tc_ops_reader *r)
{
	return &r->hdr;
}

/* Error helper naming the chunk. */
#define BAD(...) (tc_err_set(err, TC_EFORMAT, __VA_ARGS__), tc_err_wrap(err, "%s: chunk %llu", r->name, (unsigned long long)r->n_chunks))

/* Walk a sparse column: next op index from a delta (first absolute). */
static int sparse_next(uint32_t at, size_t i, uint32_t *cur, size_t n_ops)
{
	uint64_t idx = i == 0 ? at : (uint64_t)*cur + at;
	if ((i > 0 && at == 0) || idx >= n_ops)
		return -1;
	*cur = (uint32_t)idx;
	return 0;
}

static int decode_chunk(struct tc_ops_reader *r, const Tcs__Chunk *c, struct tc_err *err)
{
	size_t n = c->n_kind;
	if (c->first_op != r->n_ops)
		return BAD("first op %llu, expected %llu", (unsigned long long)c->first_op, (unsigned long long)r->n_ops);
	if (c->n_name != n || c->n_op_class != n || c->n_lane != n || c->n_ts != n || c->n_dur != n ||
	    c->n_parent != n || c->n_link != n || c->n_sub != n || c->n_correlation != n || c->n_flags != n)
		return BAD("column lengths differ");
	if (c->n_work_flops != c->n_work_at || c->n_work_read != c->n_work_at ||
	    c->n_work_write != c->n_work_at || c->n_work_dtype != c->n_work_at ||
	    c->n_shape_n != c->n_shape_at || c->n_coll_kind != c->n_coll_at ||
	    c->n_coll_bytes != c->n_coll_at || c->n_coll_group_size != c->n_coll_at ||
	    c->n_coll_group != c->n_coll_at || c->n_coll_seq != c->n_coll_at ||
	    c->n_coll_peer != c->n_coll_at || c->n_coll_dtype != c->n_coll_at ||
	    c->n_sync_lane != c->n_sync_at || c->n_sync_event != c->n_sync_at || c->n_dep_n != c->n_dep_at)
		return BAD("sparse column lengths differ");

	/* strings and lanes first: ops may use them */
	for (size_t i = 0; i < c->n_strings; i++) {
		if (tc_grow((void **)&r->strs, &r->strs_cap, r->n_strs + 1, sizeof(*r->strs)))
			return tc_err_set(err, TC_ENOMEM, "out of memory");
		r->strs[r->n_strs] = tc_arena_strdup(&r->strarena, c->strings[i]);
		if (!r->strs[r->n_strs])
			return tc_err_set(err, TC_ENOMEM, "out of memory");
		r->n_strs++;
	}
	for (size_t i = 0; i < c->n_lanes; i++) {
		Tcs__Lane *l = c->lanes[i];
		if (l->id != r->n_lanes)
			return BAD("lane id %u out of sequence (expected %zu)", l->id, r->n_lanes);
		if (tc_grow((void **)&r->lanes, &r->lanes_cap, r->n_lanes + 1, sizeof(*r->lanes)))
			return tc_err_set(err, TC_ENOMEM, "out of memory");
		r->lanes[r->n_lanes++] = (struct tc_lane){l->id, l->rank, l->device, l->type, l->tid,
							  tc_arena_strdup(&r->strarena, l->name)};
	}
	if (tc_grow((void **)&r->ops, &r->ops_cap, n ? n : 1, sizeof(*r->ops)))
		return tc_err_set(err, TC_ENOMEM, "out of memory");

	int64_t ts = 0;
	uint64_t corr = 0;
	for (size_t i = 0; i < n; i++) {
		struct tc_op *op = &r->ops[i];
		uint64_t self = r->n_ops + i;
		tc_op_init(op);
		op->id = self;
		op->kind = c->kind[i] < TC_KIND__COUNT ? (uint8_t)c->kind[i] : TC_KIND_UNKNOWN;
		op->op_class = c->op_class[i] < TC_CLASS__COUNT ? (uint8_t)c->op_class[i] : TC_CLASS_OTHER;
		op->sub = c->sub[i] < 256 ? (uint8_t)c->sub[i] : 0;
		op->flags = c->flags[i];
		if (c->name[i] >= r->n_strs)
			return BAD("op %zu: string id %u out of range", i, c->name[i]);
		op->name = c->name[i];
		if (c->lane[i] >= r->n_lanes)
			return BAD("op %zu: lane %u out of range", i, c->lane[i]);
		op->lane = c->lane[i];
		ts = i ? (int64_t)((uint64_t)ts + (uint64_t)c->ts[i]) : c->ts[i];
		op->ts_ns = ts;
		op->dur_ns = c->dur[i];
		if (op->dur_ns < -1)
			return BAD("op %zu: negative duration", i);
		if (c->parent[i] < 0 || (uint64_t)c->parent[i] > self)
			return BAD("op %zu: parent delta %lld out of range", i, (long long)c->parent[i]);
		if (c->link[i] < 0 || (uint64_t)c->link[i] > self)
			return BAD("op %zu: link delta %lld out of range", i, (long long)c->link[i]);
		op->parent = c->parent[i] ? self - (uint64_t)c->parent[i] : TC_NONE;
		op->link = c->link[i] ? self - (uint64_t)c->link[i] : TC_NONE;
		if (c->correlation[i]) {
			corr += (uint64_t)tc_unzigzag(c->correlation[i] - 1);
			op->correlation = corr;
		}
	}
	uint32_t cur = 0;
	for (size_t i = 0; i < c->n_work_at; i++) {
		if (sparse_next(c->work_at[i], i, &cur, n))
			return BAD("work entry %zu: bad op index", i);
		struct tc_op *op = &r->ops[cur];
		op->has_work = 1;
		op->flops = c->work_flops[i];
		op->bytes_read = c->work_read[i];
		op->bytes_written = c->work_write[i];
		op->dtype = c->work_dtype[i] < TC_DT__COUNT ? (uint8_t)c->work_dtype[i] : TC_DT_UNKNOWN;
	}
	/* shapes: count first so pointers stay stable */
	size_t n_shapes = 0, dims_used = 0;
	for (size_t i = 0; i < c->n_shape_n; i++) {
		if (c->shape_n[i] > c->n_shape_rank)
			return BAD("shape entry %zu: %u tensors", i, c->shape_n[i]);
		n_shapes += c->shape_n[i];
	}
	if (n_shapes != c->n_shape_rank)
		return BAD("shape ranks: %zu listed, %zu expected", c->n_shape_rank, n_shapes);
	if (tc_grow((void **)&r->shapes, &r->shapes_cap, n_shapes ? n_shapes : 1, sizeof(*r->shapes)))
		return tc_err_set(err, TC_ENOMEM, "out of memory");
	size_t si = 0;
	cur = 0;
	for (size_t i = 0; i < c->n_shape_at; i++) {
		if (sparse_next(c->shape_at[i], i, &cur, n))
			return BAD("shape entry %zu: bad op index", i);
		struct tc_op *op = &r->ops[cur];
		op->n_shapes = c->shape_n[i];
		op->shapes = &r->shapes[si];
		for (uint32_t s = 0; s < c->shape_n[i]; s++, si++) {
			uint32_t rank = c->shape_rank[si];
			if (rank > c->n_shape_dims - dims_used)
				return BAD("shape entry %zu: rank %u overruns the dims column", i, rank);
			r->shapes[si].rank = rank;
			r->shapes[si].dims = c->shape_dims + dims_used;
			dims_used += rank;
		}
	}
	if (dims_used != c->n_shape_dims)
		return BAD("shape dims: %zu unused", c->n_shape_dims - dims_used);
	cur = 0;
	for (size_t i = 0; i < c->n_coll_at; i++) {
		if (sparse_next(c->coll_at[i], i, &cur, n))
			return BAD("collective entry %zu: bad op index", i);
		struct tc_op *op = &r->ops[cur];
		if (c->coll_group[i] >= r->n_strs)
			return BAD("collective entry %zu: group string %u out of range", i, c->coll_group[i]);
		op->coll_kind = c->coll_kind[i] < TC_COLL__COUNT && c->coll_kind[i] ? (uint8_t)c->coll_kind[i] : TC_COLL_BARRIER;
		op->coll_bytes = c->coll_bytes[i];
		op->coll_group_size = c->coll_group_size[i];
		op->coll_group = c->coll_group[i];
		op->coll_seq = c->coll_seq[i];
		op->coll_peer = c->coll_peer[i];
		op->coll_dtype = c->coll_dtype[i] < TC_DT__COUNT ? (uint8_t)c->coll_dtype[i] : TC_DT_UNKNOWN;
	}
	cur = 0;
	for (size_t i = 0; i < c->n_sync_at; i++) {
		if (sparse_next(c->sync_at[i], i, &cur, n))
			return BAD("sync entry %zu: bad op index", i);
		r->ops[cur].sync_lane = c->sync_lane[i];
		r->ops[cur].sync_event = c->sync_event[i];
	}
	size_t n_deps = 0;
	for (size_t i = 0; i < c->n_dep_n; i++) {
		if (c->dep_n[i] > c->n_dep_delta)
			return BAD("dep entry %zu: %u deps", i, c->dep_n[i]);
		n_deps += c->dep_n[i];
	}
	if (n_deps != c->n_dep_delta)
		return BAD("deps: %zu listed, %zu expected", c->n_dep_delta, n_deps);
	if (tc_grow((void **)&r->deps, &r->deps_cap, n_deps ? n_deps : 1, sizeof(*r->deps)))
		return tc_err_set(err, TC_ENOMEM, "out of memory");
	size_t di = 0;
	cur = 0;
	for (size_t i = 0; i < c->n_dep_at; i++) {
		if (sparse_next(c->dep_at[i], i, &cur, n))
			return BAD("dep entry %zu: bad op index", i);
		struct tc_op *op = &r->ops[cur];
		op->n_deps = c->dep_n[i];
		op->deps = &r->deps[di];
		for (uint32_t d = 0; d < c->dep_n[i]; d++, di++) {
			int64_t delta = c->dep_delta[di];
			if (delta <= 0 || (uint64_t)delta > op->id)
				return BAD("op %u: dependency delta %lld out of range", cur, (long long)delta);
			r->deps[di] = op->id - (uint64_t)delta;
		}
	}
	return 0;
}

int tc_ops_reader_next(struct tc_ops_reader *r, const struct tc_op **ops, size_t *n,
		       struct tc_err *err)
{
	*ops = NULL;
	*n = 0;
	for (;;) {
		int type;
		size_t raw_len;
		if (r->done)
			return 0;
		uint64_t at = r->offset;
		int rc = read_record(r, &type, &raw_len, err);
		if (rc < 0)
			return tc_err_wrap(err, "after chunk %llu", (unsigned long long)r->n_chunks), rc;
		if (rc == 0)
			return tc_err_set(err, TC_ETRUNC, "%s: truncated after chunk %llu at byte %llu (no footer)",
					  r->name, (unsigned long long)r->n_chunks, (unsigned long long)at);
		if (type == TC_REC_FOOTER) {
			Tcs__Footer *f = tcs__footer__unpack(NULL, raw_len, r->raw);
			if (!f)
				return tc_err_set(err, TC_EFORMAT, "%s: broken footer at byte %llu", r->name,
						  (unsigned long long)at);
			r->footer = *f;
			tcs__footer__free_unpacked(f, NULL);
			if (r->footer.op_count != r->n_ops || r->footer.chunk_count != r->n_chunks ||
			    r->footer.string_count != r->n_strs || r->footer.lane_count != r->n_lanes)
				return tc_err_set(err, TC_EFORMAT,
						  "%s: footer at byte %llu says %llu ops in %llu chunks, read %llu in %llu",
						  r->name, (unsigned long long)at,
						  (unsigned long long)r->footer.op_count,
						  (unsigned long long)r->footer.chunk_count,
						  (unsigned long long)r->n_ops, (unsigned long long)r->n_chunks);
			unsigned char extra;
			size_t got = 0;
			if (src_read(r, &extra, 1, &got) == 0 && got)
				return tc_err_set(err, TC_EFORMAT, "%s: trailing bytes after the footer at byte %llu",
						  r->name, (unsigned long long)r->offset);
			r->done = 1;
			return 0;
		}
		if (type != TC_REC_CHUNK)
			return tc_err_set(err, TC_EFORMAT, "%s: unexpected record type %d at byte %llu",
					  r->name, type, (unsigned long long)at);
		pool_reset(&r->pool);
		Tcs__Chunk *c = tcs__chunk__unpack(&r->alloc, raw_len, r->raw);
		if (!c)
			return tc_err_set(err, TC_EFORMAT, "%s: chunk %llu at byte %llu: broken message",
					  r->name, (unsigned long long)r->n_chunks, (unsigned long long)at);
		rc = decode_chunk(r, c, err);
		size_t count = c->n_kind;
		if (rc) {
			tcs__chunk__free_unpacked(c, &r->alloc);
			return rc;
		}
		/* Keep the dims: rebase shape pointers onto a private copy. */
		if (c->n_shape_dims) {
			const size_t esz = sizeof(int64_t);
			int64_t *copy = malloc(c->n_shape_dims * esz);
			if (!copy) {
				tcs__chunk__free_unpacked(c, &r->alloc);
				return tc_err_set(err, TC_ENOMEM, "out of memory");
			}
			memcpy(copy, c->shape_dims, c->n_shape_dims * esz);
			size_t total = 0;
			for (size_t i = 0; i < c->n_shape_rank; i++) {
				r->shapes[i].dims = copy + total;
				total += c->shape_rank[i];
			}
			free(r->dims_copy);
			r->dims_copy = copy;
		}
		tcs__chunk__free_unpacked(c, &r->alloc);
		r->n_ops += count;
		r->n_chunks++;
		if (count == 0)
			continue; /* strings/lanes only */
		*ops = r->ops;
		*n = count;
		return 1;
	}
}

const char *tc_ops_reader_string(const struct tc_ops_reader *r, uint32_t id)
{
	return id < r->n_strs ? r->strs[id] : "";
}
size_t tc_ops_reader_string_count(const struct tc_ops_reader *r)
{
	return r->n_strs;
}
const struct tc_lane *tc_ops_reader_lane(const struct tc_ops_reader *r, uint32_t id)
{
	return id < r->n_lanes ? &r->lanes[id] : NULL;
}
size_t tc_ops_reader_lane_count(const struct tc_ops_reader *r)
{
	return r->n_lanes;
}
uint64_t tc_ops_reader_op_count(const struct tc_ops_reader *r)
{
	return r->done ? r->footer.op_count : r->n_ops;
}

void tc_ops_reader_free(struct tc_ops_reader *r)
{
	if (!r)
		return;
	if (r->fp)
		fclose(r->fp);
	if (r->hdr_msg)
		tcs__header__free_unpacked(r->hdr_msg, NULL);
	ZSTD_freeDCtx(r->zd);
	tc_arena_free(&r->strarena);
	pool_reset(&r->pool);
	free(r->pool.buf);
	free(r->pool.spill);
	free(r->name);
	free(r->z);
	free(r->raw);
	free(r->devices);
	free(r->meta);
	free(r->strs);
	free(r->lanes);
	free(r->ops);
	free(r->shapes);
	free(r->deps);
	free(r->dims_copy);
	free(r);
}

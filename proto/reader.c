/* reader.c - streaming .tcs reader: one record at a time, one chunk of decoded ops at a
 * time. Every structural fact is checked so a corrupt file gives an error naming the byte
 * offset or chunk, never a crash. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zstd.h>

#include "opstream.h"
#include "opstream.pb-c.h"
#include "container.h"
#include "columns.h"

#define TC_BATCH 4096 /* ops decoded per call: the batch stays in L2 */
/* chunk_batch sets every field of an op by name: a new field must be set there too */
_Static_assert(sizeof(struct tc_op) == 208,
	       "struct tc_op changed: set the new field in chunk_batch");
#define TC_GROUPS 6 /* sparse groups: work, shapes, collectives, sync, deps, gemm dims */

struct tc_ops_reader {
	char *name;
	FILE *fp;		  /* NULL when reading from memory */
	const unsigned char *mem; /* memory source */
	size_t mem_len, mem_pos;
	uint64_t offset; /* byte offset of the next record */
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
	int64_t *dims;
	size_t dims_cap;
	size_t n_batch_shapes, n_batch_dims, n_batch_deps;
	struct chunk_state {
		struct tc_col col[F__MAX];
		size_t n, done;
		int64_t ts;
		uint64_t corr;
		uint64_t next_at[TC_GROUPS];
		size_t left[TC_GROUPS];
		int started[TC_GROUPS];
		int sparse_init;
	} cs;
	int in_chunk, failed;

	uint64_t n_ops, n_chunks;
	int done;
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

/* Bytes left in the source (for a file: its size less the offset, re-read each time so a
 * file that grows is not misjudged). */
static uint64_t src_left(const struct tc_ops_reader *r)
{
	if (!r->fp)
		return r->mem_len - r->mem_pos;
	struct stat st;
	long pos = ftell(r->fp);
	if (pos < 0 || fstat(fileno(r->fp), &st) != 0 || (uint64_t)st.st_size < (uint64_t)pos)
		return UINT64_MAX; /* a pipe or an odd file: let the read tell */
	return (uint64_t)st.st_size - (uint64_t)pos;
}

/* Read one record. Returns 1 with *type and r->raw/raw_len filled, 0 at end of file,
 * negative on error. */
static int read_record(struct tc_ops_reader *r, int *type, size_t *raw_len, struct tc_err *err)
{
	unsigned char hdr[TC_REC_HDR_LEN];
	size_t got;
again:;
	uint64_t at = r->offset;
	/* records after the header are chunks (or the footer): name them by chunk number */
	const char *what = r->hdr_msg ? "chunk" : "header";
	unsigned long long cn = r->n_chunks;
	if (src_read(r, hdr, sizeof(hdr), &got))
		return tc_err_set(err, TC_EIO, "%s: %s %llu at byte %llu: read error: %s", r->name,
				  what, cn, (unsigned long long)at, strerror(errno));
	if (got == 0)
		return 0;
	if (got < sizeof(hdr))
		return tc_err_set(err, TC_ETRUNC,
				  "%s: %s %llu at byte %llu: truncated record header", r->name,
				  what, cn, (unsigned long long)at);
	*type = hdr[0];
	uint32_t zlen = tc_get_u32(hdr + 4), rlen = tc_get_u32(hdr + 8),
		 check = tc_get_u32(hdr + 12);
	/* types above the footer's are record types of a newer minor version: skipped below
	 * (docs/format.md §6), once their frame is known to be intact */
	if (*type < TC_REC_HEADER || hdr[1] || hdr[2] || hdr[3])
		return tc_err_set(err, TC_EFORMAT,
				  "%s: %s %llu at byte %llu: bad record header (type %u)", r->name,
				  what, cn, (unsigned long long)at, hdr[0]);
	if (rlen > TC_REC_MAX_RAW || zlen > ZSTD_compressBound(rlen))
		return tc_err_set(
		    err, TC_EFORMAT,
		    "%s: %s %llu at byte %llu: implausible record sizes (%u -> %u bytes)", r->name,
		    what, cn, (unsigned long long)at, zlen, rlen);
	if (rlen > TC_REC_FREE_RAW && rlen / TC_REC_MAX_RATIO > zlen)
		return tc_err_set(err, TC_EFORMAT,
				  "%s: %s %llu at byte %llu: record expands %u -> %u bytes, "
				  "more than %ux above %u MiB",
				  r->name, what, cn, (unsigned long long)at, zlen, rlen,
				  TC_REC_MAX_RATIO, TC_REC_FREE_RAW >> 20);
	/* Allocate only what the input can back: the frame must fit in what is left of the
	 * source, and the claimed raw size must be the frame's own content size, so a corrupt
	 * header cannot make the reader allocate a gigabyte. */
	uint64_t left = src_left(r);
	if (zlen > left)
		return tc_err_set(
		    err, TC_ETRUNC, "%s: %s %llu at byte %llu: truncated record (%llu of %u bytes)",
		    r->name, what, cn, (unsigned long long)at, (unsigned long long)left, zlen);
	if (tc_grow((void **)&r->z, &r->z_cap, zlen + 1, 1))
		return tc_err_set(err, TC_ENOMEM, "%s: %s %llu at byte %llu: out of memory",
				  r->name, what, cn, (unsigned long long)at);
	if (src_read(r, r->z, zlen, &got))
		return tc_err_set(err, TC_EIO, "%s: %s %llu at byte %llu: read error", r->name,
				  what, cn, (unsigned long long)at);
	if (got < zlen)
		return tc_err_set(err, TC_ETRUNC,
				  "%s: %s %llu at byte %llu: truncated record (%zu of %u bytes)",
				  r->name, what, cn, (unsigned long long)at, got, zlen);
	if ((uint32_t)tc_hash64(r->z, zlen, 0) != check)
		return tc_err_set(err, TC_EFORMAT,
				  "%s: %s %llu at byte %llu: corrupt record (checksum mismatch)",
				  r->name, what, cn, (unsigned long long)at);
	if (*type > TC_REC_FOOTER) {
		r->offset += TC_REC_HDR_LEN + zlen;
		goto again;
	}
	unsigned long long content = ZSTD_getFrameContentSize(r->z, zlen);
	if (content != rlen)
		return tc_err_set(err, TC_EFORMAT,
				  "%s: %s %llu at byte %llu: frame content size does not match the "
				  "record header (%u bytes)",
				  r->name, what, cn, (unsigned long long)at, rlen);
	if (tc_grow((void **)&r->raw, &r->raw_cap, rlen + 1, 1))
		return tc_err_set(err, TC_ENOMEM, "%s: %s %llu at byte %llu: out of memory",
				  r->name, what, cn, (unsigned long long)at);
	size_t n = ZSTD_decompressDCtx(r->zd, r->raw, r->raw_cap, r->z, zlen);
	if (ZSTD_isError(n))
		return tc_err_set(err, TC_EFORMAT,
				  "%s: %s %llu at byte %llu: corrupt frame: zstd: %s", r->name,
				  what, cn, (unsigned long long)at, ZSTD_getErrorName(n));
	if (n != rlen)
		return tc_err_set(err, TC_EFORMAT,
				  "%s: %s %llu at byte %llu: frame holds %zu bytes, header says %u",
				  r->name, what, cn, (unsigned long long)at, n, rlen);
	*raw_len = n;
	r->offset += TC_REC_HDR_LEN + zlen;
	return 1;
}

/* s when it is valid UTF-8 (no copy), else a copy in a with U+FFFD for each bad byte (or ""
 * when out of memory: a name is not worth failing the read for). NULL stays NULL. */
static const char *text(struct tc_arena *a, const char *s)
{
	size_t n = s ? strlen(s) : 0;
	if (!s || tc_utf8_valid(s, n))
		return s;
	char *f = tc_arena_alloc(a, 3 * n + 1);
	if (!f)
		return "";
	tc_utf8_fix(f, s, n);
	return f;
}

/* text() that always copies: for strings of messages freed at once (lanes). */
static const char *text_copy(struct tc_arena *a, const char *s)
{
	const char *t = text(a, s ? s : "");
	return t == s ? tc_arena_strdup(a, s) : t;
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
	if (src_read(r, fh, sizeof(fh), &got))
		return tc_err_set(err, TC_EIO, "%s: read error: %s", r->name, strerror(errno));
	if (got < 8 || memcmp(fh, TC_OPS_MAGIC, 8) != 0)
		return tc_err_set(err, TC_EFORMAT, "%s: not an opstream (bad magic at byte 0)",
				  r->name);
	if (got < sizeof(fh))
		return tc_err_set(err, TC_ETRUNC, "%s: truncated file header", r->name);
	unsigned major = fh[8] | fh[9] << 8, minor = fh[10] | fh[11] << 8;
	if (major != TC_OPS_MAJOR)
		return tc_err_set(
		    err, TC_EVERSION,
		    "%s: opstream format %u.%u is not supported (this tracecast reads %d.x)",
		    r->name, major, minor, TC_OPS_MAJOR);
	r->offset = sizeof(fh);
	rc = read_record(r, &type, &raw_len, err);
	if (rc < 0)
		return rc;
	if (rc == 0)
		return tc_err_set(err, TC_ETRUNC, "%s: truncated: no header record at byte %llu",
				  r->name, (unsigned long long)r->offset);
	if (type != TC_REC_HEADER)
		return tc_err_set(err, TC_EFORMAT, "%s: first record is not a header (byte %d)",
				  r->name, TC_FILE_HDR_LEN);
	r->hdr_msg = tcs__header__unpack(NULL, raw_len, r->raw);
	if (!r->hdr_msg)
		return tc_err_set(err, TC_EFORMAT, "%s: broken header message at byte %d", r->name,
				  TC_FILE_HDR_LEN);
	Tcs__Header *h = r->hdr_msg;
	r->hdr.format_major = h->format_major;
	r->hdr.format_minor = h->format_minor;
	/* protobuf-c does not check that strings are UTF-8: our copies are fixed like the
	 * chunks' strings (the message itself stays as unpacked, for free_unpacked) */
	r->hdr.source_format = text(&r->strarena, h->source_format);
	const char **files = tc_arena_alloc(&r->strarena, (h->n_source_files + 1) * sizeof(*files));
	if (!files)
		return tc_err_set(err, TC_ENOMEM, "out of memory");
	for (size_t i = 0; i < h->n_source_files; i++)
		files[i] = text(&r->strarena, h->source_files[i]);
	r->hdr.source_files = files;
	r->hdr.n_source_files = h->n_source_files;
	r->hdr.world_size = h->world_size;
	r->hdr.ranks = h->ranks;
	r->hdr.n_ranks = h->n_ranks;
	r->hdr.tool_version = text(&r->strarena, h->tool_version);
	r->hdr.base_time_ns = h->base_time_ns;
	if (h->n_devices) {
		r->devices = tc_xcalloc(h->n_devices, sizeof(*r->devices));
		for (size_t i = 0; i < h->n_devices; i++) {
			Tcs__Device *d = h->devices[i];
			struct tc_arena *a = &r->strarena;
			r->devices[i] = (struct tc_device){d->id,
							   d->rank,
							   d->type,
							   d->index,
							   text(a, d->name),
							   text(a, d->chip),
							   text(a, d->vendor),
							   text(a, d->arch),
							   d->memory_bytes,
							   d->compute_units};
		}
	}
	r->hdr.devices = r->devices;
	r->hdr.n_devices = h->n_devices;
	if (h->n_meta) {
		r->meta = tc_xcalloc(h->n_meta, sizeof(*r->meta));
		for (size_t i = 0; i < h->n_meta; i++)
			r->meta[i] = (struct tc_kv){text(&r->strarena, h->meta[i]->key),
						    text(&r->strarena, h->meta[i]->value)};
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
#define BAD(...)                                                                                   \
	(tc_err_set(err, TC_EFORMAT, __VA_ARGS__),                                                 \
	 tc_err_wrap(err, "%s: chunk %llu", r->name, (unsigned long long)r->n_chunks))

/* Varints end at bytes with the top bit clear: eight bytes at a time (a byte loop was a tenth
 * of the reader), the tail one by one. */
static size_t count_varints(const uint8_t *p, const uint8_t *end)
{
	size_t n = 0;
	for (; end - p >= 8; p += 8) {
		uint64_t w;
		memcpy(&w, p, 8);
		uint64_t ends = (~w >> 7) & 0x0101010101010101ull; /* 1 per last byte */
		n += (size_t)((ends * 0x0101010101010101ull) >> 56);
	}
	for (; p < end; p++)
		n += !(*p & 0x80);
	return n;
}

/* Column fields of format 1.1; other field numbers come from newer minors and are skipped. */
static int known_field(unsigned f)
{
	return (f >= F_KIND && f <= F_FLAGS) || (f >= F_WORK_AT && f <= F_GEMM_BATCH) ||
	       (f >= F_SHAPE_AT && f <= F_SHAPE_DIMS) || (f >= F_COLL_AT && f <= F_COLL_DTYPE) ||
	       (f >= F_SYNC_AT && f <= F_SYNC_EVENT) || (f >= F_DEP_AT && f <= F_DEP_DELTA);
}

/* Lay out the chunk: find each packed column, apply new strings and lanes, check counts. */
static int chunk_begin(struct tc_ops_reader *r, const uint8_t *buf, size_t len, struct tc_err *err)
{
	struct chunk_state *cs = &r->cs;
	const uint8_t *p = buf, *end = buf + len;
	uint64_t first_op = 0;
	memset(cs, 0, sizeof(*cs));
	while (p < end) {
		uint64_t tag, v;
		if (tc_varint_next(&p, end, &tag))
			return BAD("broken field tag at message byte %zu", (size_t)(p - buf));
		unsigned field = (unsigned)(tag >> 3), wt = (unsigned)(tag & 7);
		if (wt == 0) {
			if (tc_varint_next(&p, end, &v))
				return BAD("broken varint field %u", field);
			if (field == F_FIRST_OP)
				first_op = v;
			else if (field < F__MAX && known_field(field))
				return BAD(
				    "column %u is not packed (the format requires packed columns)",
				    field);
			continue;
		}
		if (wt == 1 || wt == 5) { /* fixed64/fixed32: no such fields in 1.x; skip */
			size_t k = wt == 1 ? 8 : 4;
			if ((size_t)(end - p) < k)
				return BAD("truncated fixed field %u", field);
			p += k;
			continue;
		}
		if (wt != 2)
			return BAD("unsupported wire type %u for field %u", wt, field);
		if (tc_varint_next(&p, end, &v) || v > (uint64_t)(end - p))
			return BAD("field %u overruns the message", field);
		const uint8_t *fp = p;
		p += v;
		if (field == F_STRINGS) {
			if (tc_grow((void **)&r->strs, &r->strs_cap, r->n_strs + 1,
				    sizeof(*r->strs)))
				return tc_err_set(err, TC_ENOMEM, "out of memory");
			/* a file not written by us may hold bytes that are not UTF-8: every
			 * consumer gets text (U+FFFD for each bad byte), as the writer makes it */
			int ok = tc_utf8_valid((const char *)fp, (size_t)v);
			char *str = ok ? tc_arena_strndup(&r->strarena, (const char *)fp, (size_t)v)
				       : tc_arena_alloc(&r->strarena, 3 * (size_t)v + 1);
			if (!str)
				return tc_err_set(err, TC_ENOMEM, "out of memory");
			if (!ok)
				tc_utf8_fix(str, (const char *)fp, (size_t)v);
			r->strs[r->n_strs++] = str;
		} else if (field == F_LANES) {
			Tcs__Lane *l = tcs__lane__unpack(NULL, (size_t)v, fp);
			if (!l)
				return BAD("broken lane message");
			int bad = l->id != r->n_lanes;
			if (!bad && !tc_grow((void **)&r->lanes, &r->lanes_cap, r->n_lanes + 1,
					     sizeof(*r->lanes)))
				r->lanes[r->n_lanes++] = (struct tc_lane){
				    l->id,   l->rank, l->device,
				    l->type, l->tid,  text_copy(&r->strarena, l->name)};
			uint32_t id = l->id;
			tcs__lane__free_unpacked(l, NULL);
			if (bad)
				return BAD("lane id %u out of sequence (expected %zu)", id,
					   r->n_lanes);
		} else if (field < F__MAX && known_field(field)) {
			if (cs->col[field].p)
				return BAD("column %u appears twice", field);
			cs->col[field] = (struct tc_col){fp, p, count_varints(fp, p)};
			if (v && (p[-1] & 0x80))
				return BAD("column %u ends inside a varint", field);
		}
		/* unknown length-delimited fields from a newer minor version are skipped */
	}
	if (first_op != r->n_ops)
		return BAD("first op %llu, expected %llu", (unsigned long long)first_op,
			   (unsigned long long)r->n_ops);
	size_t n = cs->col[F_KIND].count;
	static const int dense[] = {F_NAME,   F_CLASS, F_LANE, F_TS,   F_DUR,
				    F_PARENT, F_LINK,  F_SUB,  F_CORR, F_FLAGS};
	for (size_t i = 0; i < TC_ARRAY_LEN(dense); i++)
		if (cs->col[dense[i]].count != n)
			return BAD("column %d has %zu values for %zu ops", dense[i],
				   cs->col[dense[i]].count, n);
	static const int groups[][8] = {
	    {F_WORK_AT, F_WORK_FLOPS, F_WORK_READ, F_WORK_WRITE, F_WORK_DTYPE, 0},
	    {F_GEMM_AT, F_GEMM_M, F_GEMM_N, F_GEMM_K, F_GEMM_BATCH, 0},
	    {F_SHAPE_AT, F_SHAPE_N, 0},
	    {F_COLL_AT, F_COLL_KIND, F_COLL_BYTES, F_COLL_GSIZE, F_COLL_GROUP, F_COLL_SEQ,
	     F_COLL_PEER, F_COLL_DTYPE},
	    {F_SYNC_AT, F_SYNC_LANE, F_SYNC_EVENT, 0},
	    {F_DEP_AT, F_DEP_N, 0},
	};
	for (size_t g = 0; g < TC_ARRAY_LEN(groups); g++)
		for (size_t k = 1; k < 8 && groups[g][k]; k++)
			if (cs->col[groups[g][k]].count != cs->col[groups[g][0]].count)
				return BAD("sparse column %d has %zu values, %d has %zu",
					   groups[g][k], cs->col[groups[g][k]].count, groups[g][0],
					   cs->col[groups[g][0]].count);
	cs->n = n;
	cs->done = 0;
	for (int g = 0; g < TC_GROUPS; g++)
		cs->next_at[g] = UINT64_MAX;
	return 0;
}

/* Index (within the chunk) of the next entry of a sparse group, UINT64_MAX when none. */
static int sparse_advance(struct chunk_state *cs, int g, int at_field, size_t *left)
{
	uint64_t d;
	if (*left == 0) {
		cs->next_at[g] = UINT64_MAX;
		return 0;
	}
	if (tc_col_next(&cs->col[at_field], &d))
		return -1;
	if (cs->started[g] && d == 0)
		return -1; /* entries must be strictly increasing */
	cs->next_at[g] = cs->started[g] ? cs->next_at[g] + d : d;
	cs->started[g] = 1;
	(*left)--;
	return 0;
}

#define NEXT(f, var)                                                                               \
	do {                                                                                       \
		if (tc_col_next(&cs->col[f], &(var)))                                              \
			return BAD("column %d: broken varint", f);                                 \
	} while (0)

/* The dense columns of ops [lo, lo + n): every op has each field. */
static int batch_dense(struct tc_ops_reader *r, size_t lo, size_t n, struct tc_err *err)
{
	struct chunk_state *cs = &r->cs;
	for (size_t i = 0; i < n; i++) {
		struct tc_op *op = &r->ops[i];
		uint64_t self = r->n_ops + lo + i, kind, name, cls, lane, sub, flags, corr;
		uint64_t ts, dur, parent, link;
		NEXT(F_KIND, kind);
		NEXT(F_NAME, name);
		NEXT(F_CLASS, cls);
		NEXT(F_LANE, lane);
		NEXT(F_TS, ts);
		NEXT(F_DUR, dur);
		NEXT(F_PARENT, parent);
		NEXT(F_LINK, link);
		NEXT(F_SUB, sub);
		NEXT(F_CORR, corr);
		NEXT(F_FLAGS, flags);
		int64_t dts = tc_unzigzag(ts), d = tc_unzigzag(dur), pd = tc_unzigzag(parent),
			ld = tc_unzigzag(link);
		if (name >= r->n_strs)
			return BAD("op %zu: string id %llu out of range", lo + i,
				   (unsigned long long)name);
		if (lane >= r->n_lanes)
			return BAD("op %zu: lane %llu out of range", lo + i,
				   (unsigned long long)lane);
		if (d < -1)
			return BAD("op %zu: negative duration", lo + i);
		if (pd < 0 || (uint64_t)pd > self || ld < 0 || (uint64_t)ld > self)
			return BAD("op %zu: parent/link delta out of range", lo + i);
		/* deltas of a hostile file can wrap int64 and make time run backwards: check
		 * the sum, then the documented range (opstream.h, TC_TIME_LIMIT_NS) */
		int64_t ts_abs = dts;
		if (lo + i && __builtin_add_overflow(cs->ts, dts, &ts_abs))
			return BAD("op %zu: timestamp delta %lld overflows", lo + i,
				   (long long)dts);
		if (ts_abs < -TC_TIME_LIMIT_NS || ts_abs > TC_TIME_LIMIT_NS)
			return BAD("op %zu: timestamp %lld ns is outside +-2^53 ns", lo + i,
				   (long long)ts_abs);
		if (d > TC_TIME_LIMIT_NS || ts_abs + d > TC_TIME_LIMIT_NS)
			return BAD("op %zu: duration %lld ns ends beyond 2^53 ns", lo + i,
				   (long long)d);
		cs->ts = ts_abs;
		if (corr) {
			cs->corr += (uint64_t)tc_unzigzag(corr - 1);
		}
		/* every field by name: a compound literal (or a copy of a blank op) compiles
		 * to rep stos over the whole op, which was 40% of the read */
		op->id = self;
		op->ts_ns = cs->ts;
		op->dur_ns = d;
		op->parent = pd ? self - (uint64_t)pd : TC_NONE;
		op->link = ld ? self - (uint64_t)ld : TC_NONE;
		op->correlation = corr ? cs->corr : 0;
		op->name = (uint32_t)name;
		op->lane = (uint32_t)lane;
		op->kind = kind < TC_KIND__COUNT ? (uint8_t)kind : TC_KIND_UNKNOWN;
		op->op_class = cls < TC_CLASS__COUNT ? (uint8_t)cls : TC_CLASS_OTHER;
		op->sub = sub < 256 ? (uint8_t)sub : 0;
		op->flags = (uint32_t)flags;
		op->dtype = 0;
		op->has_work = 0;
		op->flops = op->bytes_read = op->bytes_written = 0;
		op->gemm_m = op->gemm_n = op->gemm_k = op->gemm_batch = 0;
		op->coll_kind = op->coll_dtype = 0;
		op->coll_group_size = op->coll_group = 0;
		op->coll_peer = -1;
		op->coll_bytes = op->coll_seq = 0;
		op->sync_lane = 0;
		op->sync_event = 0;
		op->n_shapes = op->n_deps = 0;
		op->shapes = NULL;
		op->deps = NULL;
	}
	return 0;
}

/* Sparse groups: apply entries whose index falls in [lo, hi). Work records. */
static int batch_work(struct tc_ops_reader *r, size_t lo, size_t hi, struct tc_err *err)
{
	struct chunk_state *cs = &r->cs;
	while (cs->next_at[0] < hi) {
		struct tc_op *op = &r->ops[cs->next_at[0] - lo];
		uint64_t fl, rd, wr, dt;
		NEXT(F_WORK_FLOPS, fl);
		NEXT(F_WORK_READ, rd);
		NEXT(F_WORK_WRITE, wr);
		NEXT(F_WORK_DTYPE, dt);
		op->has_work = 1;
		op->flops = fl;
		op->bytes_read = rd;
		op->bytes_written = wr;
		op->dtype = dt < TC_DT__COUNT ? (uint8_t)dt : TC_DT_UNKNOWN;
		if (sparse_advance(cs, 0, F_WORK_AT, &cs->left[0]))
			return BAD("work entries: bad op index");
	}
	while (cs->next_at[5] < hi) {
		struct tc_op *op = &r->ops[cs->next_at[5] - lo];
		NEXT(F_GEMM_M, op->gemm_m);
		NEXT(F_GEMM_N, op->gemm_n);
		NEXT(F_GEMM_K, op->gemm_k);
		NEXT(F_GEMM_BATCH, op->gemm_batch);
		if (sparse_advance(cs, 5, F_GEMM_AT, &cs->left[5]))
			return BAD("gemm entries: bad op index");
	}
	return 0;
}

/* Input shapes: stored as indices into r->shapes and r->dims, fixed by batch_pointers. */
static int batch_shapes(struct tc_ops_reader *r, size_t lo, size_t hi, struct tc_err *err)
{
	struct chunk_state *cs = &r->cs;
	while (cs->next_at[1] < hi) {
		struct tc_op *op = &r->ops[cs->next_at[1] - lo];
		uint64_t k;
		NEXT(F_SHAPE_N, k);
		if (k > cs->col[F_SHAPE_RANK].count)
			return BAD("shape entry: %llu tensors", (unsigned long long)k);
		op->n_shapes = (uint32_t)k;
		op->shapes =
		    (const struct tc_shape *)(uintptr_t)r->n_batch_shapes; /* index, fixed below */
		for (uint64_t t = 0; t < k; t++) {
			uint64_t rank;
			NEXT(F_SHAPE_RANK, rank);
			if (rank > cs->col[F_SHAPE_DIMS].count)
				return BAD("shape entry: rank %llu overruns the dims column",
					   (unsigned long long)rank);
			if (tc_grow((void **)&r->shapes, &r->shapes_cap, r->n_batch_shapes + 1,
				    sizeof(*r->shapes)) ||
			    tc_grow((void **)&r->dims, &r->dims_cap, r->n_batch_dims + rank + 1,
				    sizeof(*r->dims)))
				return tc_err_set(err, TC_ENOMEM, "out of memory");
			r->shapes[r->n_batch_shapes].rank = (uint32_t)rank;
			r->shapes[r->n_batch_shapes].dims =
			    (const int64_t *)(uintptr_t)r->n_batch_dims;
			for (uint64_t d = 0; d < rank; d++) {
				uint64_t dim;
				NEXT(F_SHAPE_DIMS, dim);
				r->dims[r->n_batch_dims++] = tc_unzigzag(dim);
			}
			r->n_batch_shapes++;
		}
		if (sparse_advance(cs, 1, F_SHAPE_AT, &cs->left[1]))
			return BAD("shape entries: bad op index");
	}
	return 0;
}

/* Collectives and synchronisation records. */
static int batch_colls(struct tc_ops_reader *r, size_t lo, size_t hi, struct tc_err *err)
{
	struct chunk_state *cs = &r->cs;
	while (cs->next_at[2] < hi) {
		struct tc_op *op = &r->ops[cs->next_at[2] - lo];
		uint64_t kind, bytes, gsize, group, seq, peer, dt;
		NEXT(F_COLL_KIND, kind);
		NEXT(F_COLL_BYTES, bytes);
		NEXT(F_COLL_GSIZE, gsize);
		NEXT(F_COLL_GROUP, group);
		NEXT(F_COLL_SEQ, seq);
		NEXT(F_COLL_PEER, peer);
		NEXT(F_COLL_DTYPE, dt);
		if (group >= r->n_strs)
			return BAD("collective: group string %llu out of range",
				   (unsigned long long)group);
		op->coll_kind = kind && kind < TC_COLL__COUNT ? (uint8_t)kind : TC_COLL_BARRIER;
		op->coll_bytes = bytes;
		op->coll_group_size = (uint32_t)gsize;
		op->coll_group = (uint32_t)group;
		op->coll_seq = seq;
		op->coll_peer = (int32_t)tc_unzigzag(peer);
		op->coll_dtype = dt < TC_DT__COUNT ? (uint8_t)dt : TC_DT_UNKNOWN;
		if (sparse_advance(cs, 2, F_COLL_AT, &cs->left[2]))
			return BAD("collective entries: bad op index");
	}
	while (cs->next_at[3] < hi) {
		struct tc_op *op = &r->ops[cs->next_at[3] - lo];
		uint64_t sl, ev;
		NEXT(F_SYNC_LANE, sl);
		NEXT(F_SYNC_EVENT, ev);
		op->sync_lane = (uint32_t)sl;
		op->sync_event = ev;
		if (sparse_advance(cs, 3, F_SYNC_AT, &cs->left[3]))
			return BAD("sync entries: bad op index");
	}
	return 0;
}

/* Data dependencies: stored as indices into r->deps, fixed by batch_pointers. */
static int batch_deps(struct tc_ops_reader *r, size_t lo, size_t hi, struct tc_err *err)
{
	struct chunk_state *cs = &r->cs;
	while (cs->next_at[4] < hi) {
		struct tc_op *op = &r->ops[cs->next_at[4] - lo];
		uint64_t k;
		NEXT(F_DEP_N, k);
		if (k > cs->col[F_DEP_DELTA].count)
			return BAD("dep entry: %llu deps", (unsigned long long)k);
		if (tc_grow((void **)&r->deps, &r->deps_cap, r->n_batch_deps + k + 1,
			    sizeof(*r->deps)))
			return tc_err_set(err, TC_ENOMEM, "out of memory");
		op->n_deps = (uint32_t)k;
		op->deps = (const uint64_t *)(uintptr_t)r->n_batch_deps;
		for (uint64_t t = 0; t < k; t++) {
			uint64_t dd;
			NEXT(F_DEP_DELTA, dd);
			int64_t delta = tc_unzigzag(dd);
			if (delta <= 0 || (uint64_t)delta > op->id)
				return BAD("op %llu: dependency delta %lld out of range",
					   (unsigned long long)op->id, (long long)delta);
			r->deps[r->n_batch_deps++] = op->id - (uint64_t)delta;
		}
		if (sparse_advance(cs, 4, F_DEP_AT, &cs->left[4]))
			return BAD("dep entries: bad op index");
	}
	return 0;
}

/* Arrays may have moved while growing: turn the stored indices into pointers. */
static void batch_pointers(struct tc_ops_reader *r, size_t n)
{
	for (size_t i = 0; i < n && (r->n_batch_shapes || r->n_batch_deps); i++) {
		struct tc_op *op = &r->ops[i];
		if (op->n_shapes) {
			size_t si = (size_t)(uintptr_t)op->shapes;
			op->shapes = &r->shapes[si];
		}
		if (op->n_deps)
			op->deps = &r->deps[(size_t)(uintptr_t)op->deps];
	}
	if (r->n_batch_shapes) {
		/* shape dims were stored as offsets too: fix each tensor once */
		for (size_t si = 0; si < r->n_batch_shapes; si++)
			r->shapes[si].dims = &r->dims[(size_t)(uintptr_t)r->shapes[si].dims];
	}
}

/* At a chunk's last op every column must be consumed exactly. */
static int chunk_end(struct tc_ops_reader *r, struct tc_err *err)
{
	struct chunk_state *cs = &r->cs;
	for (int f = F_KIND; f < F__MAX; f++)
		if (known_field(f) && cs->col[f].p != cs->col[f].end)
			return BAD("column %d has values past the last op", f);
	for (int g = 0; g < TC_GROUPS; g++)
		if (cs->next_at[g] != UINT64_MAX)
			return BAD("sparse group %d names an op past the chunk", g);
	return 0;
}

/* Decode the next batch of ops of the current chunk into r->ops. */
static int chunk_batch(struct tc_ops_reader *r, size_t *out_n, struct tc_err *err)
{
	struct chunk_state *cs = &r->cs;
	size_t lo = cs->done, hi = TC_MIN(cs->n, lo + TC_BATCH), n = hi - lo;
	if (!cs->sparse_init) {
		static const int at[TC_GROUPS] = {F_WORK_AT, F_SHAPE_AT, F_COLL_AT,
						  F_SYNC_AT, F_DEP_AT,	 F_GEMM_AT};
		for (int g = 0; g < TC_GROUPS; g++) {
			cs->left[g] = cs->col[at[g]].count;
			if (sparse_advance(cs, g, at[g], &cs->left[g]))
				return BAD("sparse group %d: bad index", g);
		}
		cs->sparse_init = 1;
	}
	TC_TRY(batch_dense(r, lo, n, err));
	r->n_batch_shapes = r->n_batch_dims = r->n_batch_deps = 0;
	TC_TRY(batch_work(r, lo, hi, err));
	TC_TRY(batch_shapes(r, lo, hi, err));
	TC_TRY(batch_colls(r, lo, hi, err));
	TC_TRY(batch_deps(r, lo, hi, err));
	batch_pointers(r, n);
	cs->done = hi;
	if (hi == cs->n)
		TC_TRY(chunk_end(r, err));
	*out_n = n;
	return 0;
}

int tc_ops_reader_next(struct tc_ops_reader *r, const struct tc_op **ops, size_t *n,
		       struct tc_err *err)
{
	*ops = NULL;
	*n = 0;
	if (r->failed)
		return tc_err_set(err, TC_EINVAL, "%s: reader failed earlier", r->name);
	for (;;) {
		int type;
		size_t raw_len;
		if (r->done)
			return 0;
		if (r->in_chunk) {
			int rc = chunk_batch(r, n, err);
			if (rc) {
				r->failed = 1;
				return rc;
			}
			if (r->cs.done == r->cs.n) {
				r->in_chunk = 0;
				r->n_ops += r->cs.n;
				r->n_chunks++;
				/* ids of this batch were computed from n_ops before the bump */
			}
			*ops = r->ops;
			return 1;
		}
		uint64_t at = r->offset;
		int rc = read_record(r, &type, &raw_len, err);
		if (rc < 0) {
			r->failed = 1;
			return rc; /* the message names the byte offset and the chunk */
		}
		if (rc == 0) {
			r->failed = 1;
			return tc_err_set(err, TC_ETRUNC,
					  "%s: truncated after chunk %llu at byte %llu (no footer)",
					  r->name, (unsigned long long)r->n_chunks,
					  (unsigned long long)at);
		}
		if (type == TC_REC_FOOTER) {
			Tcs__Footer *f = tcs__footer__unpack(NULL, raw_len, r->raw);
			if (!f) {
				r->failed = 1;
				return tc_err_set(err, TC_EFORMAT, "%s: broken footer at byte %llu",
						  r->name, (unsigned long long)at);
			}
			r->footer = *f;
			tcs__footer__free_unpacked(f, NULL);
			if (r->footer.op_count != r->n_ops ||
			    r->footer.chunk_count != r->n_chunks ||
			    r->footer.string_count != r->n_strs ||
			    r->footer.lane_count != r->n_lanes) {
				r->failed = 1;
				return tc_err_set(err, TC_EFORMAT,
						  "%s: footer at byte %llu says %llu ops in %llu "
						  "chunks, read %llu in %llu",
						  r->name, (unsigned long long)at,
						  (unsigned long long)r->footer.op_count,
						  (unsigned long long)r->footer.chunk_count,
						  (unsigned long long)r->n_ops,
						  (unsigned long long)r->n_chunks);
			}
			unsigned char extra;
			size_t got = 0;
			if (src_read(r, &extra, 1, &got) == 0 && got) {
				r->failed = 1;
				return tc_err_set(
				    err, TC_EFORMAT,
				    "%s: trailing bytes after the footer at byte %llu", r->name,
				    (unsigned long long)r->offset);
			}
			r->done = 1;
			return 0;
		}
		if (type != TC_REC_CHUNK) {
			r->failed = 1;
			return tc_err_set(err, TC_EFORMAT,
					  "%s: unexpected record type %d at byte %llu", r->name,
					  type, (unsigned long long)at);
		}
		rc = chunk_begin(r, r->raw, raw_len, err);
		if (rc) {
			r->failed = 1;
			return rc;
		}
		if (r->cs.n == 0) {
			r->n_chunks++; /* strings/lanes only */
			continue;
		}
		/* the batch array grows to what chunks need, at most TC_BATCH ops */
		if (tc_grow((void **)&r->ops, &r->ops_cap, TC_MIN(r->cs.n, TC_BATCH),
			    sizeof(*r->ops))) {
			r->failed = 1;
			return tc_err_set(err, TC_ENOMEM, "out of memory");
		}
		r->in_chunk = 1;
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
	free(r->dims);
	free(r);
}

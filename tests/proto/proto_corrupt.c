/* Every corruption fails with its error and never crashes: truncation at every record
 * boundary and inside frames, flipped bytes everywhere, wrong magic, future version. */
#include <criterion/criterion.h>
#include <zstd.h>

#include "proto_common.h"

static unsigned char *file_bytes(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	cr_assert_not_null(f);
	fseek(f, 0, SEEK_END);
	*len = (size_t)ftell(f);
	fseek(f, 0, SEEK_SET);
	unsigned char *b = malloc(*len + 1);
	cr_assert_eq(fread(b, 1, *len, f), *len);
	fclose(f);
	return b;
}

/* A small stream of 4 chunks (plus header and footer records). */
static unsigned char *make_stream(size_t *len)
{
	struct tc_err err = TC_ERR_INIT;
	struct tc_ops_writer *w;
	struct tc_ops_header h = sample_header();
	struct tc_ops_writer_opts o = {25, 0};
	const char *path = tmp_path("corrupt_src.tcs");
	cr_assert_eq(tc_ops_writer_open(&w, path, &h, &o, &err), 0);
	uint32_t lane, name;
	struct tc_lane l = {0, 0, 0, TC_LANE_GPU, 7, "stream 7"};
	tc_ops_writer_lane(w, &l, &lane);
	tc_ops_writer_intern(w, "kernel", &name);
	for (int i = 0; i < 100; i++) {
		struct tc_op op;
		tc_op_init(&op);
		op.lane = lane;
		op.name = name;
		op.kind = TC_KIND_KERNEL;
		op.ts_ns = i * 10;
		op.dur_ns = 5;
		op.has_work = i % 3 == 0;
		op.flops = (uint64_t)i;
		if (i)
			op.parent = (uint64_t)i - 1;
		cr_assert_eq(tc_ops_writer_add(w, &op, NULL, &err), 0);
	}
	cr_assert_eq(tc_ops_writer_close(w, &err), 0);
	unsigned char *b = file_bytes(path, len);
	unlink(path);
	return b;
}

/* Read a whole stream from memory: 0 when clean, negative code otherwise. */
static int read_all(const unsigned char *b, size_t len, struct tc_err *err, uint64_t *ops)
{
	struct tc_ops_reader *r;
	const struct tc_op *got;
	size_t n;
	int rc = tc_ops_reader_open_mem(&r, b, len, "x.tcs", err);
	*ops = 0;
	if (rc)
		return rc;
	while ((rc = tc_ops_reader_next(r, &got, &n, err)) > 0)
		*ops += n;
	tc_ops_reader_free(r);
	return rc;
}

/* Offsets where records start, from the framing. */
static size_t record_offsets(const unsigned char *b, size_t len, size_t *offs, size_t max)
{
	size_t n = 0, at = 12;
	while (at + 16 <= len && n < max) {
		offs[n++] = at;
		uint32_t zlen = (uint32_t)b[at + 4] | (uint32_t)b[at + 5] << 8 |
				(uint32_t)b[at + 6] << 16 | (uint32_t)b[at + 7] << 24;
		at += 16 + zlen;
	}
	return n;
}

Test(proto_corrupt, clean_stream_reads)
{
	size_t len;
	uint64_t ops;
	struct tc_err err = TC_ERR_INIT;
	unsigned char *b = make_stream(&len);
	cr_assert_eq(read_all(b, len, &err, &ops), 0, "%s", err.msg);
	cr_assert_eq(ops, 100);
	size_t offs[16];
	cr_assert_eq(record_offsets(b, len, offs, 16), 6, "header + 4 chunks + footer");
	free(b);
}

Test(proto_corrupt, truncation_at_every_byte_is_an_error)
{
	size_t len;
	uint64_t ops;
	unsigned char *b = make_stream(&len);
	size_t offs[16];
	size_t nrec = record_offsets(b, len, offs, 16);
	for (size_t cut = 0; cut < len; cut++) {
		struct tc_err err = TC_ERR_INIT;
		int rc = read_all(b, cut, &err, &ops);
		cr_assert_lt(rc, 0, "cut at %zu of %zu read as complete", cut, len);
		cr_assert(rc == TC_ETRUNC || rc == TC_EFORMAT, "cut %zu: code %d", cut, rc);
		cr_assert_not_null(strstr(err.msg, "x.tcs"), "error names the file: %s", err.msg);
		int at_boundary = 0;
		for (size_t i = 1; i < nrec; i++)
			at_boundary |= cut == offs[i];
		if (at_boundary)
			cr_assert_not_null(strstr(err.msg, "truncated"), "cut %zu: %s", cut,
					   err.msg);
	}
	free(b);
}

Test(proto_corrupt, every_flipped_byte_is_caught)
{
	size_t len;
	uint64_t ops;
	unsigned char *b = make_stream(&len);
	for (size_t i = 0; i < len; i++) {
		struct tc_err err = TC_ERR_INIT;
		if (i == 10 || i == 11)
			continue; /* the minor version: a newer minor is readable by design */
		b[i] ^= 0x5a;
		int rc = read_all(b, len, &err, &ops);
		b[i] ^= 0x5a;
		cr_assert_lt(rc, 0, "flip at byte %zu went unnoticed", i);
		cr_assert_neq(err.msg[0], 0);
	}
	free(b);
}

Test(proto_corrupt, wrong_magic_and_future_version)
{
	size_t len;
	uint64_t ops;
	struct tc_err err = TC_ERR_INIT;
	unsigned char *b = make_stream(&len);
	b[0] = 'X';
	cr_assert_eq(read_all(b, len, &err, &ops), TC_EFORMAT);
	cr_assert_str_eq(err.msg, "x.tcs: not an opstream (bad magic at byte 0)");
	b[0] = 'T';
	b[8] = TC_OPS_MAJOR + 1;
	cr_assert_eq(read_all(b, len, &err, &ops), TC_EVERSION);
	cr_assert_not_null(strstr(err.msg, "format 2.1 is not supported"), "%s", err.msg);
	b[8] = TC_OPS_MAJOR;
	b[10] = 7; /* a newer minor version is readable by design */
	cr_assert_eq(read_all(b, len, &err, &ops), 0, "%s", err.msg);
	free(b);
}

Test(proto_corrupt, trailing_garbage_and_empty_file)
{
	size_t len;
	uint64_t ops;
	struct tc_err err = TC_ERR_INIT;
	unsigned char *b = make_stream(&len);
	unsigned char *c = malloc(len + 3);
	memcpy(c, b, len);
	memcpy(c + len, "abc", 3);
	cr_assert_eq(read_all(c, len + 3, &err, &ops), TC_EFORMAT);
	cr_assert_not_null(strstr(err.msg, "trailing bytes"), "%s", err.msg);
	cr_assert_lt(read_all(c, 0, &err, &ops), 0);
	free(c);
	free(b);
}

Test(proto_corrupt, missing_file)
{
	struct tc_err err = TC_ERR_INIT;
	struct tc_ops_reader *r;
	cr_assert_eq(tc_ops_reader_open(&r, "/nonexistent/x.tcs", &err), TC_EIO);
	cr_assert_null(r);
	cr_assert_not_null(strstr(err.msg, "/nonexistent/x.tcs: cannot open"));
}

/* ---- valid container, hostile column ---------------------------------------------------- */

static size_t put_varint(unsigned char *p, uint64_t v)
{
	size_t n = 0;
	do {
		p[n++] = (unsigned char)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
		v >>= 7;
	} while (v);
	return n;
}

static uint64_t get_varint(const unsigned char *p, size_t *o)
{
	uint64_t v = 0;
	for (int s = 0;; s += 7) {
		unsigned char c = p[(*o)++];
		v |= (uint64_t)(c & 0x7f) << s;
		if (!(c & 0x80))
			return v;
	}
}

static uint32_t le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put_le32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

/* The stream b with every field `field` of its first chunk replaced by the encoded fields
 * enc (tags included), the chunk recompressed and re-framed (size, checksum) as a writer
 * would: only the content is hostile, so only the reader's checks of values can catch it. */
static unsigned char *with_fields(const unsigned char *b, size_t len, unsigned field,
				  const unsigned char *enc, size_t elen, size_t *out_len)
{
	size_t offs[16];
	size_t nrec = record_offsets(b, len, offs, 16), at = 0;
	for (size_t i = 0; i < nrec && !at; i++)
		if (b[offs[i]] == 2)
			at = offs[i];
	cr_assert_neq(at, 0, "no chunk record");
	uint32_t zlen = le32(b + at + 4), rawlen = le32(b + at + 8);
	unsigned char *raw = malloc(rawlen), *msg = malloc(rawlen + elen);
	cr_assert_eq(ZSTD_decompress(raw, rawlen, b + at + 16, zlen), rawlen);
	/* copy the top-level fields but the replaced one, then append the new ones */
	size_t o = 0, m = 0;
	while (o < rawlen) {
		size_t f0 = o;
		uint64_t key = get_varint(raw, &o);
		if ((key & 7) == 0) {
			get_varint(raw, &o);
		} else {
			cr_assert_eq(key & 7, 2, "chunk fields are varints or length-delimited");
			o += get_varint(raw, &o);
		}
		if (key >> 3 != field) {
			memcpy(msg + m, raw + f0, o - f0);
			m += o - f0;
		}
	}
	memcpy(msg + m, enc, elen);
	m += elen;
	/* recompress with the content checksum the format requires, and re-frame */
	size_t bound = ZSTD_compressBound(m);
	unsigned char *frame = malloc(bound);
	ZSTD_CCtx *cc = ZSTD_createCCtx();
	ZSTD_CCtx_setParameter(cc, ZSTD_c_checksumFlag, 1);
	size_t fz = ZSTD_compress2(cc, frame, bound, msg, m);
	ZSTD_freeCCtx(cc);
	cr_assert(!ZSTD_isError(fz));
	size_t rest = at + 16 + zlen;
	*out_len = at + 16 + fz + (len - rest);
	unsigned char *nb = malloc(*out_len);
	memcpy(nb, b, at);
	memcpy(nb + at, b + at, 4); /* type and pad */
	put_le32(nb + at + 4, (uint32_t)fz);
	put_le32(nb + at + 8, (uint32_t)m);
	put_le32(nb + at + 12, (uint32_t)tc_hash64(frame, fz, 0));
	memcpy(nb + at + 16, frame, fz);
	memcpy(nb + at + 16 + fz, b + rest, len - rest);
	free(raw);
	free(msg);
	free(frame);
	return nb;
}

/* with_fields for a packed sint64 column (zigzag applied here). */
static unsigned char *with_column(const unsigned char *b, size_t len, unsigned field,
				  const int64_t *vals, size_t n, size_t *out_len)
{
	unsigned char col[4096], enc[4200];
	size_t cl = 0, el = 0;
	cr_assert_lt(n, sizeof(col) / 10);
	for (size_t i = 0; i < n; i++)
		cl += put_varint(col + cl, ((uint64_t)vals[i] << 1) ^ (uint64_t)(vals[i] >> 63));
	el += put_varint(enc + el, (uint64_t)field << 3 | 2);
	el += put_varint(enc + el, cl);
	memcpy(enc + el, col, cl);
	return with_fields(b, len, field, enc, el + cl, out_len);
}

/* Read b with the first chunk's ts (8) or dur (9) column replaced by the 25 values given.
 * With TC_WRITE_BAD=DIR in the environment, the stream is also saved as DIR/save_as: that is
 * how traces/bad/ts_delta_overflow.tcs was made. */
static int read_with(unsigned field, const int64_t vals[25], struct tc_err *err,
		     const char *save_as)
{
	size_t len, nlen;
	uint64_t ops;
	unsigned char *b = make_stream(&len);
	unsigned char *nb = with_column(b, len, field, vals, 25, &nlen);
	const char *dir = getenv("TC_WRITE_BAD");
	if (save_as && dir) {
		char path[1024];
		snprintf(path, sizeof(path), "%s/%s", dir, save_as);
		FILE *f = fopen(path, "wb");
		cr_assert_not_null(f, "%s", path);
		cr_assert_eq(fwrite(nb, 1, nlen, f), nlen);
		cr_assert_eq(fclose(f), 0);
	}
	int rc = read_all(nb, nlen, err, &ops);
	free(nb);
	free(b);
	return rc;
}

Test(proto_corrupt, hostile_times_are_refused)
{
	struct tc_err err = TC_ERR_INIT;
	int64_t ts[25], dur[25];
	for (int i = 0; i < 25; i++) {
		ts[i] = i ? 10 : 0; /* what the writer wrote: start, then deltas */
		dur[i] = 5;
	}
	/* the container rewrite alone changes nothing */
	cr_assert_eq(read_with(8, ts, &err, NULL), 0, "%s", err.msg);
	cr_assert_eq(read_with(9, dur, &err, NULL), 0, "%s", err.msg);

	/* deltas of 2^62 (issue 19: time wrapped and `project` spun for ever) */
	for (int i = 1; i < 25; i++)
		ts[i] = INT64_C(1) << 62;
	cr_assert_eq(read_with(8, ts, &err, "ts_delta_overflow.tcs"), TC_EFORMAT);
	cr_assert_str_eq(err.msg, "x.tcs: chunk 0: op 1: timestamp 4611686018427387904 ns is "
				  "outside +-2^53 ns");

	/* a delta whose sum overflows int64 */
	ts[0] = -TC_TIME_LIMIT_NS;
	ts[1] = INT64_MIN;
	cr_assert_eq(read_with(8, ts, &err, NULL), TC_EFORMAT);
	cr_assert_str_eq(err.msg, "x.tcs: chunk 0: op 1: timestamp delta -9223372036854775808 "
				  "overflows");

	/* at the limit is fine; a duration past it is not */
	for (int i = 0; i < 25; i++)
		ts[i] = i ? 0 : TC_TIME_LIMIT_NS - 5;
	cr_assert_eq(read_with(8, ts, &err, NULL), 0, "%s", err.msg);
	ts[0]++;
	cr_assert_eq(read_with(8, ts, &err, NULL), TC_EFORMAT);
	cr_assert_str_eq(err.msg, "x.tcs: chunk 0: op 0: duration 5 ns ends beyond 2^53 ns");
	dur[3] = INT64_MAX;
	cr_assert_eq(read_with(9, dur, &err, NULL), TC_EFORMAT);
	cr_assert_not_null(strstr(err.msg, "op 3: duration 9223372036854775807 ns"), "%s", err.msg);
}

Test(proto_corrupt, writer_refuses_times_it_could_not_read_back)
{
	struct tc_err err = TC_ERR_INIT;
	struct tc_ops_writer *w;
	struct tc_ops_header h = sample_header();
	const char *path = tmp_path("far.tcs");
	cr_assert_eq(tc_ops_writer_open(&w, path, &h, NULL, &err), 0);
	uint32_t lane, name;
	struct tc_lane l = {0, 0, 0, TC_LANE_GPU, 7, "stream 7"};
	tc_ops_writer_lane(w, &l, &lane);
	tc_ops_writer_intern(w, "kernel", &name);
	struct tc_op op;
	tc_op_init(&op);
	op.lane = lane;
	op.name = name;
	op.ts_ns = TC_TIME_LIMIT_NS;
	op.dur_ns = 1;
	cr_assert_eq(tc_ops_writer_add(w, &op, NULL, &err), TC_EINVAL);
	cr_assert_not_null(strstr(err.msg, "outside +-2^53 ns"), "%s", err.msg);
	tc_ops_writer_abort(w);
	unlink(path);
}

/* issue 19: bytes that are not UTF-8 in names reached JSON outputs, which were then not valid
 * text. A reader gives every consumer valid UTF-8: each bad byte (a stray 0xff, the CESU-8
 * form of a lone surrogate) becomes U+FFFD. */
Test(proto_corrupt, names_that_are_not_utf8_are_read_as_text)
{
	static const char *const strs[] = {"", "ker\xffnel\xed\xa0\x80"};
	unsigned char enc[64];
	size_t el = 0;
	for (size_t i = 0; i < 2; i++) {
		el += put_varint(enc + el, 2 << 3 | 2);
		el += put_varint(enc + el, strlen(strs[i]));
		memcpy(enc + el, strs[i], strlen(strs[i]));
		el += strlen(strs[i]);
	}
	size_t len, nlen;
	unsigned char *b = make_stream(&len);
	unsigned char *nb = with_fields(b, len, 2, enc, el, &nlen);
	struct tc_err err = TC_ERR_INIT;
	struct tc_ops_reader *r;
	const struct tc_op *ops;
	size_t n;
	cr_assert_eq(tc_ops_reader_open_mem(&r, nb, nlen, "x.tcs", &err), 0, "%s", err.msg);
	cr_assert_gt(tc_ops_reader_next(r, &ops, &n, &err), 0, "%s", err.msg);
	cr_assert_str_eq(tc_ops_reader_string(r, ops[0].name),
			 "ker\xef\xbf\xbdnel\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
	tc_ops_reader_free(r);
	free(nb);
	free(b);
}

Test(proto_corrupt, writer_interns_text)
{
	/* what ingest hands the writer is fixed the same way, so files we write are text */
	struct tc_err err = TC_ERR_INIT;
	struct tc_ops_writer *w;
	struct tc_ops_header h = sample_header();
	const char *path = tmp_path("utf8.tcs");
	cr_assert_eq(tc_ops_writer_open(&w, path, &h, NULL, &err), 0);
	uint32_t lane, name, again;
	struct tc_lane l = {0, 0, 0, TC_LANE_GPU, 7, "stream \xc0\xaf"}; /* overlong '/' */
	tc_ops_writer_lane(w, &l, &lane);
	cr_assert_eq(tc_ops_writer_intern(w, "a\x80z", &name), 0);
	cr_assert_eq(tc_ops_writer_intern(w, "a\xef\xbf\xbdz", &again), 0);
	cr_assert_eq(again, name, "the fixed name is the same string as U+FFFD written out");
	struct tc_op op;
	tc_op_init(&op);
	op.lane = lane;
	op.name = name;
	cr_assert_eq(tc_ops_writer_add(w, &op, NULL, &err), 0, "%s", err.msg);
	cr_assert_eq(tc_ops_writer_close(w, &err), 0, "%s", err.msg);
	struct tc_ops_reader *r;
	const struct tc_op *ops;
	size_t n;
	cr_assert_eq(tc_ops_reader_open(&r, path, &err), 0, "%s", err.msg);
	cr_assert_gt(tc_ops_reader_next(r, &ops, &n, &err), 0, "%s", err.msg);
	cr_assert_str_eq(tc_ops_reader_string(r, ops[0].name), "a\xef\xbf\xbdz");
	cr_assert_str_eq(tc_ops_reader_lane(r, 0)->name, "stream \xef\xbf\xbd\xef\xbf\xbd");
	tc_ops_reader_free(r);
	unlink(path);
}

Test(proto_corrupt, records_cannot_expand_far_beyond_the_file)
{
	/* issue 19: a 47 KB file whose strings expanded to 900 MB took 1.85 GB. A record that
	 * claims to expand more than 256x beyond 256 MiB is refused before anything is
	 * allocated (the claim alone is enough: the frame is not even read). */
	size_t len, offs[16];
	uint64_t ops;
	struct tc_err err = TC_ERR_INIT;
	unsigned char *b = make_stream(&len);
	cr_assert_geq(record_offsets(b, len, offs, 16), 3);
	size_t at = offs[1]; /* the first chunk */
	uint32_t zlen = le32(b + at + 4);
	uint32_t rlen = (1u << 28) + 256u * zlen + 1;
	put_le32(b + at + 8, rlen);
	cr_assert_eq(read_all(b, len, &err, &ops), TC_EFORMAT);
	char want[200];
	snprintf(want, sizeof(want),
		 "x.tcs: chunk 0 at byte %zu: record expands %u -> %u bytes, more "
		 "than 256x above 256 MiB",
		 at, zlen, rlen);
	cr_assert_str_eq(err.msg, want);
	free(b);
}

/* The stream b with a record of type `type` holding `text` inserted after the header. */
static unsigned char *with_record(const unsigned char *b, size_t len, unsigned type,
				  const char *text, int bad_check, size_t *out_len)
{
	size_t offs[16];
	cr_assert_geq(record_offsets(b, len, offs, 16), 2);
	size_t at = offs[1], tl = strlen(text), bound = ZSTD_compressBound(tl);
	unsigned char *frame = malloc(bound);
	ZSTD_CCtx *cc = ZSTD_createCCtx();
	ZSTD_CCtx_setParameter(cc, ZSTD_c_checksumFlag, 1);
	size_t fz = ZSTD_compress2(cc, frame, bound, text, tl);
	ZSTD_freeCCtx(cc);
	cr_assert(!ZSTD_isError(fz));
	*out_len = len + 16 + fz;
	unsigned char *nb = calloc(1, *out_len);
	memcpy(nb, b, at);
	nb[at] = (unsigned char)type;
	put_le32(nb + at + 4, (uint32_t)fz);
	put_le32(nb + at + 8, (uint32_t)tl);
	put_le32(nb + at + 12, (uint32_t)tc_hash64(frame, fz, 0) ^ (bad_check ? 1u : 0u));
	memcpy(nb + at + 16, frame, fz);
	memcpy(nb + at + 16 + fz, b + at, len - at);
	free(frame);
	return nb;
}

Test(proto_corrupt, unknown_record_types_are_skipped)
{
	/* issue 19: docs/format.md §6 lets a newer minor version add record types that older
	 * readers skip; they were refused. An intact one is skipped, a corrupt one is not. */
	size_t len, nlen;
	uint64_t ops;
	struct tc_err err = TC_ERR_INIT;
	unsigned char *b = make_stream(&len);
	unsigned char *nb = with_record(b, len, 9, "a record of a newer minor version", 0, &nlen);
	cr_assert_eq(read_all(nb, nlen, &err, &ops), 0, "%s", err.msg);
	cr_assert_eq(ops, 100);
	free(nb);
	nb = with_record(b, len, 9, "a record of a newer minor version", 1, &nlen);
	cr_assert_eq(read_all(nb, nlen, &err, &ops), TC_EFORMAT);
	cr_assert_not_null(strstr(err.msg, "corrupt record (checksum mismatch)"), "%s", err.msg);
	free(nb);
	nb = with_record(b, len, 0, "type 0 is no type", 0, &nlen);
	cr_assert_eq(read_all(nb, nlen, &err, &ops), TC_EFORMAT);
	cr_assert_not_null(strstr(err.msg, "bad record header (type 0)"), "%s", err.msg);
	free(nb);
	free(b);
}

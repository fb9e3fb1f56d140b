/* Every corruption fails with its error and never crashes: truncation at every record
 * boundary and inside frames, flipped bytes everywhere, wrong magic, future version. */
#include <criterion/criterion.h>

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
		uint32_t zlen = (uint32_t)b[at + 4] | (uint32_t)b[at + 5] << 8 | (uint32_t)b[at + 6] << 16 |
				(uint32_t)b[at + 7] << 24;
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
			cr_assert_not_null(strstr(err.msg, "truncated"), "cut %zu: %s", cut, err.msg);
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

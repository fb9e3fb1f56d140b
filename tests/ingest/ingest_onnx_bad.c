/* ONNX adapter on bad input: a clear one-line error naming the file (and the node where
 * there is one), a non-zero code, never a crash, and no output file left behind. */
#include <criterion/criterion.h>
#include <sys/stat.h>

#include "ingest_onnx_common.h"

static int exists(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0;
}

/* Ingest path, expect failure with code rc (0 = any), a message containing want, no output. */
static void expect_fail(const char *path, int rc_want, const char *want)
{
	struct tc_err err = TC_ERR_INIT;
	const char *out = onnx_tmp("bad_out.tcs");
	const char *in[1] = {path};
	unlink(out);
	int rc = tc_onnx_run(in, 1, out, NULL, NULL, &err);
	cr_assert_lt(rc, 0, "ingest of %s should fail", path);
	if (rc_want)
		cr_assert_eq(rc, rc_want, "code %d (%s)", rc, err.msg);
	cr_assert_not_null(strstr(err.msg, want), "message '%s' lacks '%s'", err.msg, want);
	cr_assert_null(strchr(err.msg, '\n'));
	cr_assert_not_null(strstr(err.msg, path), "message '%s' does not name the file", err.msg);
	cr_assert(!exists(out), "output left behind");
}

static const char *write_bytes(const char *name, const void *p, size_t n)
{
	const char *path = onnx_tmp(name);
	FILE *f = fopen(path, "wb");
	cr_assert_not_null(f);
	cr_assert_eq(fwrite(p, 1, n, f), n);
	fclose(f);
	return path;
}

static struct mb *small_model(void)
{
	struct mb *b = mb_new(8, 13);
	mb_input(b, "x", 1, 2, (int64_t[]){4, 64}, NULL);
	mb_weight(b, "w", 2, (int64_t[]){64, 64}, 1);
	mb_node(b, "MatMul", "mm", "x,w", "h");
	mb_node(b, "Relu", "relu", "h", "y");
	return b;
}

Test(onnx_bad, truncated_everywhere)
{
	/* cut the file at many points: every prefix fails cleanly (none is a valid model,
	 * because the graph, written last by protobuf-c after the IR version, is cut) */
	struct mb *b = small_model();
	size_t len = onnx__model_proto__get_packed_size(&b->m);
	uint8_t *buf = malloc(len);
	onnx__model_proto__pack(&b->m, buf);
	mb_free(b);
	for (size_t cut = 1; cut < len; cut += 97) {
		const char *path = write_bytes("trunc.onnx", buf, cut);
		struct tc_err err = TC_ERR_INIT;
		struct tc_onnx_graph *g = NULL;
		int rc = tc_onnx_load_file(&g, path, NULL, &err);
		if (rc == 0) {
			/* a prefix can only parse if it ends on a field boundary; it then lacks
			 * nodes */
			tc_onnx_free(g);
			continue;
		}
		cr_assert_not_null(strstr(err.msg, path));
		unlink(path);
	}
	/* half the file: the weight's raw_data runs past the end */
	const char *path = write_bytes("half.onnx", buf, len / 2);
	expect_fail(path, TC_ETRUNC, "runs past the end");
	unlink(path);
	free(buf);
}

Test(onnx_bad, random_bytes_and_text)
{
	uint64_t s = 0x9e3779b97f4a7c15ULL;
	uint8_t junk[4096];
	for (int round = 0; round < 50; round++) {
		size_t n = 1 + (size_t)(round * 83) % sizeof(junk);
		for (size_t i = 0; i < n; i++) {
			s ^= s << 13, s ^= s >> 7, s ^= s << 17;
			junk[i] = (uint8_t)s;
		}
		struct tc_err err = TC_ERR_INIT;
		struct tc_onnx_graph *g = NULL;
		if (tc_onnx_load_mem(&g, junk, n, "junk.onnx", NULL, &err) == 0)
			tc_onnx_free(
			    g); /* vanishingly unlikely, but not a failure of the adapter */
		else
			cr_assert_not_null(strstr(err.msg, "junk.onnx"));
	}
	const char *json = "{\"traceEvents\": []}";
	const char *path = write_bytes("trace.onnx", json, strlen(json));
	expect_fail(path, 0, "not");
	unlink(path);
	path = write_bytes("empty.onnx", "", 0);
	expect_fail(path, TC_EFORMAT, "empty file");
	unlink(path);
}

Test(onnx_bad, cyclic_graph)
{
	/* a = Add(x, b); b = Relu(a): a cycle between the two nodes */
	struct mb *b = mb_new(8, 13);
	mb_input(b, "x", 1, 1, (int64_t[]){4}, NULL);
	mb_node(b, "Add", "loop_add", "x,b", "a");
	mb_node(b, "Relu", "loop_relu", "a", "b");
	const char *path = mb_write(b, "cycle.onnx");
	mb_free(b);
	expect_fail(path, TC_EFORMAT, "cycle through node 'loop_add'");
	unlink(path);
}

Test(onnx_bad, undefined_input_and_duplicate_output)
{
	struct mb *b = mb_new(8, 13);
	mb_input(b, "x", 1, 1, (int64_t[]){4}, NULL);
	mb_node(b, "Add", "adder", "x,ghost", "y");
	const char *path = mb_write(b, "undef.onnx");
	mb_free(b);
	expect_fail(path, TC_EFORMAT, "node 'adder' (Add, #0): input 'ghost'");
	unlink(path);

	b = mb_new(8, 13);
	mb_input(b, "x", 1, 1, (int64_t[]){4}, NULL);
	mb_node(b, "Relu", "first", "x", "y");
	mb_node(b, "Neg", "second", "x", "y");
	path = mb_write(b, "dup.onnx");
	mb_free(b);
	expect_fail(path, TC_EFORMAT,
		    "node 'second' (Neg, #1): output 'y' is already defined by node first");
	unlink(path);
}

Test(onnx_bad, no_graph)
{
	struct mb *b = mb_new(8, 13);
	b->m.graph = NULL;
	const char *path = mb_write(b, "nograph.onnx");
	mb_free(b);
	expect_fail(path, TC_EFORMAT, "no graph");
	unlink(path);
}

/* ---- nesting: a model of `depth` If nodes, each the then_branch of the one above -------- */

/* Written back to front straight in the wire format (the protobuf-c packer would recurse as
 * deep as the unpacker under test): every message is the last field of its parent, so each
 * one ends where the buffer ends and its length is what has been written so far. */
struct rb {
	uint8_t *buf;
	size_t cap, pos;
};

static void rb_bytes(struct rb *r, const void *p, size_t n)
{
	cr_assert_geq(r->pos, n);
	r->pos -= n;
	memcpy(r->buf + r->pos, p, n);
}

static void rb_varint(struct rb *r, uint64_t v)
{
	uint8_t tmp[10];
	size_t n = 0;
	do {
		tmp[n++] = (uint8_t)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
		v >>= 7;
	} while (v);
	rb_bytes(r, tmp, n);
}

/* the message occupying [pos, cap) becomes field `field` of its parent */
static void rb_wrap(struct rb *r, unsigned field)
{
	rb_varint(r, r->cap - r->pos);
	rb_varint(r, (uint64_t)field << 3 | 2);
}

static void rb_string(struct rb *r, unsigned field, const char *s)
{
	rb_bytes(r, s, strlen(s));
	rb_varint(r, strlen(s));
	rb_varint(r, (uint64_t)field << 3 | 2);
}

static const char *nested_if_model(const char *name, int depth)
{
	struct rb r = {NULL, (size_t)depth * 64 + 64, 0};
	r.pos = r.cap;
	r.buf = malloc(r.cap);
	cr_assert_not_null(r.buf);
	rb_string(&r, 2, "innermost"); /* GraphProto.name */
	for (int k = 0; k < depth; k++) {
		rb_wrap(&r, 6);	  /* AttributeProto.g */
		rb_varint(&r, 5); /* AttributeProto.type = GRAPH */
		rb_varint(&r, 20 << 3);
		rb_string(&r, 1, "then_branch");
		rb_wrap(&r, 5); /* NodeProto.attribute */
		rb_string(&r, 4, "If");
		rb_wrap(&r, 1); /* GraphProto.node */
	}
	rb_wrap(&r, 7);					 /* ModelProto.graph */
	rb_bytes(&r, (uint8_t[]){0x42, 2, 0x10, 13}, 4); /* opset_import { version: 13 } */
	rb_bytes(&r, (uint8_t[]){0x08, 8}, 2);		 /* ir_version: 8 */
	const char *path = write_bytes(name, r.buf + r.pos, r.cap - r.pos);
	free(r.buf);
	return path;
}

Test(onnx_bad, subgraphs_nested_too_deep)
{
	/* 5000 levels crashed protobuf-c's recursive unpacker (stack overflow): refused first */
	const char *path = nested_if_model("nest5000.onnx", 5000);
	expect_fail(path, TC_EFORMAT,
		    "subgraphs (If/Loop/Scan bodies) nested 5000 deep, more than the 64");
	unlink(path);
	path = nested_if_model("nest65.onnx", 65);
	expect_fail(path, TC_EFORMAT, "nested 65 deep");
	unlink(path);
	/* at the limit the nesting passes; this model fails later, for its missing inputs */
	path = nested_if_model("nest64.onnx", 64);
	struct tc_err err = TC_ERR_INIT;
	struct tc_onnx_graph *g = NULL;
	int rc = tc_onnx_load_file(&g, path, NULL, &err);
	cr_assert(rc == 0 || !strstr(err.msg, "nested"), "64 levels refused: %s", err.msg);
	tc_onnx_free(g);
	unlink(path);
}

Test(onnx_bad, endless_device_input_is_capped)
{
	/* issue 19: `ingest /dev/zero --format onnx` read until out of memory. Inputs that are not
	 * regular files are copied once, at most spool_max bytes. */
	struct tc_err err = TC_ERR_INIT;
	struct tc_ingest_opts o = TC_INGEST_OPTS_INIT;
	o.format = "onnx";
	o.spool_max = 1u << 20;
	const char *in[1] = {"/dev/zero"};
	const char *out = onnx_tmp("zero.tcs");
	unlink(out);
	int rc = tc_ingest_files(in, 1, out, &o, NULL, &err);
	cr_assert_eq(rc, TC_EINVAL, "%d: %s", rc, err.msg);
	cr_assert_str_eq(err.msg, "/dev/zero: more than 1048576 bytes from a pipe or device (the "
				  "limit for inputs that are not regular files)");
	cr_assert(!exists(out), "output left behind");
}

Test(onnx_bad, out_of_range_dim_is_named_as_such)
{
	/* issue 19: a dim of 2^33 was reported as "dim 0 has no size" */
	struct mb *b = mb_new(8, 13);
	mb_input(b, "x", 1, 2, (int64_t[]){INT64_C(1) << 33, 64}, NULL);
	mb_node(b, "Relu", "relu", "x", "y");
	const char *path = mb_write(b, "bigdim.onnx");
	mb_free(b);
	char logbuf[4096] = {0};
	FILE *lf = fmemopen(logbuf, sizeof(logbuf) - 1, "w");
	cr_assert_not_null(lf);
	struct tc_log log;
	tc_log_init(&log, TC_LOG_WARN);
	log.out = lf;
	struct tc_ingest_opts o = TC_INGEST_OPTS_INIT;
	o.log = &log;
	struct tc_err err = TC_ERR_INIT;
	struct tc_onnx_graph *g = NULL;
	cr_assert_eq(tc_onnx_load_file(&g, path, &o, &err), 0, "%s", err.msg);
	tc_onnx_free(g);
	fclose(lf);
	cr_assert_not_null(
	    strstr(logbuf, "input 'x' dim 0 is 8589934592, outside 0..1073741824; set to 1"), "%s",
	    logbuf);
	unlink(path);
}

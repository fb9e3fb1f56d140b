/* adapter.h - private to ingest/: the adapters' table entries and the helpers they share
 * (a streaming input reader that decompresses .gz and .zst transparently, a small JSON
 * scanner over in-memory slices). */
#ifndef TC_INGEST_ADAPTER_H
#define TC_INGEST_ADAPTER_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "ingest.h"

extern const struct tc_ingest_adapter tc_ingest_kineto_adapter;
extern const struct tc_ingest_adapter tc_ingest_onnx_adapter;
extern const struct tc_ingest_adapter tc_ingest_optable_adapter;
extern const struct tc_ingest_adapter tc_ingest_chakra_adapter;
extern const struct tc_ingest_adapter tc_ingest_pyet_adapter;

/* Parse and link a Kineto/Chrome JSON trace held in memory, writing nothing (fuzzing,
 * validation). 0 or a negative TC_E* with err filled. */
int tc_chrome_check_mem(const void *buf, size_t len, struct tc_err *err);

/* Read and check Chakra .et bytes held in memory (records, ids, dependencies, cycles,
 * attributes), writing nothing (fuzzing). 0 or a negative TC_E* with err filled. */
int tc_chakra_check_mem(const void *buf, size_t len, struct tc_err *err);

/* Open the writer of a stream whose input i is rank ranks[i] on a GPU the input does not
 * name (Chakra, PyTorch ET): the header names the format, the files and one meta entry. */
int tc_ingest_open_ranks(struct tc_ops_writer **w, const char *out_path, const char *format,
			 const char *const *files, const uint32_t *ranks, size_t n,
			 const struct tc_kv *meta, const struct tc_ingest_opts *opts,
			 struct tc_err *err);

/* tc_work_of_op_conv() in two halves, so an adapter can look the name up once per
 * distinct name: a key (0 = no known work for that op) and the work from shapes. */
int tc_work_key(const char *name);
int tc_work_of_key(int key, const struct tc_shape *shapes, size_t n_shapes, const uint8_t *dtypes,
		   const struct tc_conv_params *p, struct tc_work *work);

/* ---- input: plain, gzip (any number of members) or zstd, told apart by magic bytes ---- */

struct tc_input;

/* Open path ("-" is not supported). Errors name the file. */
int tc_input_open(struct tc_input **out, const char *path, struct tc_err *err);
/* tc_input_open reading path but naming the input name in errors (a spooled pipe). */
int tc_input_open_as(struct tc_input **out, const char *path, const char *name, struct tc_err *err);
/* Open over memory (tests, fuzzing). The buffer must outlive the input. */
int tc_input_open_mem(struct tc_input **out, const void *buf, size_t len, const char *name,
		      struct tc_err *err);
/* Read up to cap decompressed bytes; *got = 0 at the end. Errors (gzip/zstd corruption,
 * truncated compressed stream) name the file and the uncompressed byte offset. */
int tc_input_read(struct tc_input *in, void *buf, size_t cap, size_t *got, struct tc_err *err);
/* Uncompressed bytes delivered so far. */
uint64_t tc_input_offset(const struct tc_input *in);
/* Compressed size of the file (for progress), 0 when unknown. */
uint64_t tc_input_size(const struct tc_input *in);
/* Compressed bytes consumed so far. */
uint64_t tc_input_consumed(const struct tc_input *in);
const char *tc_input_name(const struct tc_input *in);
void tc_input_close(struct tc_input *in);

/* Read all of path, decompressed, into a new NUL-terminated buffer (*out, the caller's to
 * free), naming name in errors. */
int tc_input_read_all(const char *path, const char *name, char **out, size_t *len,
		      struct tc_err *err);
/* Read the first up to cap decompressed bytes of path (for detection). */
int tc_input_head(const char *path, uint8_t *buf, size_t cap, size_t *got, struct tc_err *err);

/* ---- JSON scanning over a complete in-memory value ----------------------------------- */

enum tc_jt {
	TC_J_NONE = 0,
	TC_J_STR,
	TC_J_NUM,
	TC_J_OBJ,
	TC_J_ARR,
	TC_J_TRUE,
	TC_J_FALSE,
	TC_J_NULL
};

/* A value as a slice of the source: for strings the raw contents between the quotes
 * (escapes not decoded, esc set when a backslash occurs), for the rest the whole token. */
struct tc_jv {
	const char *p;
	size_t n;
	uint8_t t;
	uint8_t esc;
};

/* Parse one value at *pp (leading whitespace allowed), advancing *pp past it. Containers
 * are validated and skipped. Returns 0, or -1 with *pp at the offending byte, or
 * TC_JSON_TOO_DEEP when containers nest deeper than TC_JSON_MAX_DEPTH (valid JSON, but not
 * a trace: said so, rather than "malformed"). */
#define TC_JSON_MAX_DEPTH 256
#define TC_JSON_TOO_DEEP (-2)
int tc_json_value(const char **pp, const char *end, struct tc_jv *v);
/* JSON's four blanks: one compare rejects every byte above ' ' (most of them), a bit test
 * picks the four among the rest. */
#define TC_JSON_WS_BITS ((1ull << ' ') | (1ull << '\n') | (1ull << '\r') | (1ull << '\t'))
#define TC_JSON_IS_WS(c)                                                                           \
	((unsigned char)(c) <= ' ' && ((TC_JSON_WS_BITS >> (unsigned char)(c)) & 1))
/* First non-blank byte at or after p (or end). Blanks are mostly none or one (after ':'
 * and ','); longer runs (indentation) go sixteen bytes at a time in json.c. */
const char *tc_json_skip_ws_long(const char *p, const char *end);
static inline const char *tc_json_skip_ws(const char *p, const char *end)
{
	if (p < end && !TC_JSON_IS_WS(*p))
		return p;
	if (p + 1 < end && !TC_JSON_IS_WS(p[1]))
		return p + 1;
	return tc_json_skip_ws_long(p, end);
}
/* tc_json_value when **pp is the opening '"' (keys: no dispatch on the first byte). */
int tc_json_string_at(const char **pp, const char *end, struct tc_jv *v);
/* Iterate an object's members: *it starts at v->p; returns 1 with key/val, 0 at the end,
 * -1 on malformed input (*it at the offending byte). */
int tc_json_next_member(const char **it, const char *end, struct tc_jv *key, struct tc_jv *val);
/* Iterate an array's elements (same protocol). */
int tc_json_next_elem(const char **it, const char *end, struct tc_jv *val);
/* Key equality against a literal (raw, so keys with escapes never match). */
static inline int tc_json_key_is(const struct tc_jv *k, const char *lit, size_t litlen)
{
	return k->n == litlen && memcmp(k->p, lit, litlen) == 0;
}
#define TC_JKEY(k, lit) tc_json_key_is((k), (lit), sizeof(lit) - 1)
/* Find the end of the container at *pp ('{' or '[') without validating it: string-aware
 * bracket counting, for splitting a stream into values quickly. Returns 0 with *pp past the
 * closing bracket, -1 when the end of the buffer comes first. */
int tc_json_span(const char **pp, const char *end);
/* Decode a string value into buf (NUL-terminated, truncated to cap-1). Returns length. */
size_t tc_json_str(const struct tc_jv *v, char *buf, size_t cap);
/* Numbers: integer value of a NUM token (or of a string holding one). Returns 0 or -1. */
int tc_json_i64(const struct tc_jv *v, int64_t *out);
int tc_json_u64(const struct tc_jv *v, uint64_t *out);
/* Microseconds with optional fraction (decimal, exponent tolerated) -> nanoseconds, exact
 * for up to 3 fractional digits (parsed from the text, never through a double). */
int tc_json_us_to_ns(const struct tc_jv *v, int64_t *ns);
double tc_json_double(const struct tc_jv *v);

/* ---- stage 1: structure of 64-byte blocks (json_simd.c, docs/ingest.md) ---------------- */

/* Paths of the block classifier, all giving the same bits; TRACECAST_SIMD=scalar|sse2|avx2|
 * neon forces one (when available here). */
enum { TC_SIMD_SCALAR, TC_SIMD_SSE2, TC_SIMD_AVX2, TC_SIMD_NEON, TC_SIMD_N };
/* One block's raw classes, one bit per byte (bit i = byte i). */
struct tc_jraw {
	uint64_t quote, bslash, ws, op; /* '"', '\\', blanks, {}[]:, */
};
typedef void (*tc_json_classify_fn)(const char *p, struct tc_jraw *r); /* p: 64 bytes */
/* A block's structure: unescaped quotes, bytes inside strings (opening quote included),
 * escaped bytes, and structurals (operators outside strings, opening quotes, first bytes
 * of scalars). */
struct tc_jblock {
	uint64_t quote, in_string, escaped, structural;
};
/* State carried from one block to the next. */
struct tc_jscan {
	tc_json_classify_fn classify;
	uint64_t prev_escaped, prev_in_string, prev_scalar;
	int clmul; /* prefix XOR by carry-less multiply (same bits as the shift cascade) */
};
const char *tc_json_simd_name(int path);
int tc_json_simd_parse(const char *name); /* -1 when not a path's name */
int tc_json_simd_available(int path);	  /* compiled in and supported by this CPU */
int tc_json_simd_default(void);		  /* $TRACECAST_SIMD when available, else the best */
tc_json_classify_fn tc_json_classifier(int path); /* scalar when path is not available */
void tc_jscan_init(struct tc_jscan *s, int path);
void tc_jscan_block(struct tc_jscan *s, const char *p, struct tc_jblock *out);
/* Structural index of buf[0, n): positions in order, the first cap stored; returns how
 * many there are. *in_string_at_end (may be NULL): a string is still open at the end. */
size_t tc_json_index(int path, const char *buf, size_t n, uint32_t *idx, size_t cap,
		     int *in_string_at_end);

#endif

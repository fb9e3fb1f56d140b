/* util.h - small shared pieces every tracecast stage needs.
 *
 * Errors: functions that can fail return 0 or a negative TC_E* code and fill a caller-supplied
 * struct tc_err with a one-line message. Each layer that forwards an error prepends its own
 * context with tc_err_wrap(), so the message reads as a cause chain from outside in:
 *   "reading run.tcs: chunk 3 at byte 18231: zstd: corrupted block"
 * There is no global error state and no global mutable state anywhere in the library.
 *
 * Memory: arenas for what lives as long as a trace or a chunk; tc_grow() for vectors with
 * overflow-checked sizes. Functions named *_free accept NULL.
 */
#ifndef TC_UTIL_H
#define TC_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* the version meson's project() declares (tc_config.h is generated from it) */
#include "tc_config.h"
#define TC_VERSION TC_VERSION_STRING

#if defined(__GNUC__)
#define TC_PRINTF(a, b) __attribute__((format(printf, a, b)))
#define TC_UNUSED __attribute__((unused))
#else
#define TC_PRINTF(a, b)
#define TC_UNUSED
#endif

#define TC_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define TC_MIN(a, b) ((a) < (b) ? (a) : (b))
#define TC_MAX(a, b) ((a) > (b) ? (a) : (b))

/* ---- errors ------------------------------------------------------------------------- */

/* One macro table for codes and their names (trace-cmd habit). */
#define TC_ERRORS(X)                                                                               \
	X(TC_EINVAL, -1, "invalid argument")                                                       \
	X(TC_EIO, -2, "i/o error")                                                                 \
	X(TC_ENOMEM, -3, "out of memory")                                                          \
	X(TC_EFORMAT, -4, "malformed input")                                                       \
	X(TC_EVERSION, -5, "unsupported version")                                                  \
	X(TC_ETRUNC, -6, "truncated input")                                                        \
	X(TC_ENOTFOUND, -7, "not found")                                                           \
	X(TC_EUNSUPPORTED, -8, "unsupported")                                                      \
	X(TC_EDB, -9, "database error")                                                            \
	X(TC_EINTR, -10, "interrupted")                                                            \
	X(TC_EINTERNAL, -11, "internal error")

enum tc_errcode {
#define TC_X_ENUM(name, val, text) name = val,
	TC_ERRORS(TC_X_ENUM)
#undef TC_X_ENUM
};

#define TC_ERR_MSG_MAX 1024

struct tc_err {
	int code;		  /* 0 or a negative TC_E* */
	char msg[TC_ERR_MSG_MAX]; /* one line, causes joined by ": " */
};

#define TC_ERR_INIT                                                                                \
	{                                                                                          \
		.code = 0                                                                          \
	}

/* Set the innermost cause. Returns code so callers can `return tc_err_set(...)`.
 * err may be NULL (the message is dropped). The message is made one line and terminal-safe
 * (tc_str_printable): names from inputs may carry newlines or ESC sequences. */
int tc_err_set(struct tc_err *err, int code, const char *fmt, ...) TC_PRINTF(3, 4);
/* Prepend context to an existing error ("ctx: old"). Returns err->code (or TC_EINTERNAL
 * when no error was set). */
int tc_err_wrap(struct tc_err *err, const char *fmt, ...) TC_PRINTF(2, 3);
/* Static name of a code: "malformed input". */
const char *tc_err_name(int code);
void tc_err_clear(struct tc_err *err);

/* Forward an error from a call, adding nothing. */
#define TC_TRY(expr)                                                                               \
	do {                                                                                       \
		int tc_try_rc_ = (expr);                                                           \
		if (tc_try_rc_ < 0)                                                                \
			return tc_try_rc_;                                                         \
	} while (0)

/* ---- memory ------------------------------------------------------------------------- */

/* Multiply with overflow check: returns 0 on success, -1 on overflow. */
int tc_mul_size(size_t a, size_t b, size_t *out);
/* Grow *ptr (elements of elem bytes, capacity *cap) to hold at least need elements.
 * Doubles; returns 0 or TC_ENOMEM (ptr untouched on failure). */
int tc_grow(void **ptr, size_t *cap, size_t need, size_t elem);
/* Stable sort of n records of size bytes with a context for the comparator (sort.c): the
 * order is the comparator's, ties keep input order. Returns 0 or TC_ENOMEM (base untouched
 * then). Sorted input costs one pass and no allocation. */
typedef int (*tc_cmp_ctx_fn)(const void *a, const void *b, const void *ctx);
int tc_msort(void *base, size_t n, size_t size, tc_cmp_ctx_fn cmp, const void *ctx);
/* xmalloc family: abort with a message on OOM. Used only where failure cannot be reported
 * (never on input-controlled sizes without a prior bound). */
void *tc_xmalloc(size_t n);
void *tc_xcalloc(size_t n, size_t m);
void *tc_xrealloc(void *p, size_t n);
char *tc_xstrdup(const char *s);

struct tc_arena_block;
struct tc_arena {
	struct tc_arena_block *head;
	size_t block_size; /* default block size, 0 = 64 KiB */
	size_t used_total; /* bytes handed out, for statistics */
};
#define TC_ARENA_INIT                                                                              \
	{                                                                                          \
		0                                                                                  \
	}
void tc_arena_init(struct tc_arena *a, size_t block_size);
/* 16-byte aligned allocation; NULL only on OOM. Zeroed memory. */
void *tc_arena_alloc(struct tc_arena *a, size_t n);
char *tc_arena_strdup(struct tc_arena *a, const char *s);
char *tc_arena_strndup(struct tc_arena *a, const char *s, size_t n);
/* Drop everything but keep the first block for reuse. */
void tc_arena_reset(struct tc_arena *a);
void tc_arena_free(struct tc_arena *a);

/* ---- varints and zigzag ------------------------------------------------------------- */

/* LEB128 varints, as protobuf writes them: the .tcs columns, ingest's packed dims, Chakra and
 * ONNX wire data. Write v at p (room for 10 bytes); returns the bytes written. */
static inline size_t tc_varint_put(uint8_t *p, uint64_t v)
{
	size_t n = 0;
	while (v >= 0x80) {
		p[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	p[n++] = (uint8_t)v;
	return n;
}
/* Read one varint at *pp, not past end; advances *pp. Returns 0, or -1 on a truncated or
 * overlong (over 10 bytes) varint, *pp unchanged then. */
static inline int tc_varint_next(const uint8_t **pp, const uint8_t *end, uint64_t *v)
{
	const uint8_t *p = *pp;
	if (p < end && !(*p & 0x80)) { /* the common one-byte case */
		*v = *p;
		*pp = p + 1;
		return 0;
	}
	uint64_t x = 0;
	for (int shift = 0; shift < 64; shift += 7) {
		if (p >= end)
			return -1;
		uint8_t b = *p++;
		x |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*v = x;
			*pp = p;
			return 0;
		}
	}
	return -1;
}
/* The same, at offset *off of p[0..len). */
static inline int tc_varint_at(const uint8_t *p, size_t len, size_t *off, uint64_t *v)
{
	const uint8_t *q = p + *off;
	if (*off > len || tc_varint_next(&q, p + len, v) < 0)
		return -1;
	*off = (size_t)(q - p);
	return 0;
}
/* Zigzag: small negative numbers as small varints (-1 -> 1, 1 -> 2). */
static inline uint64_t tc_zigzag(int64_t v)
{
	return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}
static inline int64_t tc_unzigzag(uint64_t v)
{
	return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

/* ---- hashing and maps ----------------------------------------------------------------- */

uint64_t tc_hash64(const void *data, size_t n, uint64_t seed);
static inline uint64_t tc_hash_u64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

/* Open-addressing map from uint64 keys to uint64 values. */
struct tc_map64 {
	uint64_t *keys;
	uint64_t *vals;
	uint8_t *used;
	size_t cap; /* power of two */
	size_t len;
};
#define TC_MAP64_INIT                                                                              \
	{                                                                                          \
		NULL, NULL, NULL, 0, 0                                                             \
	}
/* Insert or overwrite. 0 or TC_ENOMEM. */
int tc_map64_put(struct tc_map64 *m, uint64_t key, uint64_t val);
/* Returns 1 and fills *val when found, 0 otherwise. val may be NULL. */
int tc_map64_get(const struct tc_map64 *m, uint64_t key, uint64_t *val);
void tc_map64_clear(struct tc_map64 *m);
void tc_map64_free(struct tc_map64 *m);

/* String interning: each distinct string gets a dense id in order of first appearance,
 * id 0 is always "". Strings are owned by the table. */
struct tc_strtab {
	struct tc_arena arena;
	const char **strs; /* id -> string */
	uint32_t *lens;
	size_t n, cap;
	uint32_t *index; /* hash slots: id+1, 0 = empty */
	size_t index_cap;
};
int tc_strtab_init(struct tc_strtab *t);
/* Returns 0 and the id in *id; TC_ENOMEM on failure. */
int tc_strtab_intern(struct tc_strtab *t, const char *s, size_t len, uint32_t *id);
/* Returns 1 and *id when present, 0 otherwise. */
int tc_strtab_find(const struct tc_strtab *t, const char *s, size_t len, uint32_t *id);
static inline const char *tc_strtab_get(const struct tc_strtab *t, uint32_t id)
{
	return id < t->n ? t->strs[id] : "";
}
void tc_strtab_free(struct tc_strtab *t);

/* ---- logging and progress ------------------------------------------------------------- */

enum tc_log_level { TC_LOG_ERROR = 0, TC_LOG_WARN = 1, TC_LOG_INFO = 2, TC_LOG_DEBUG = 3 };

/* Carried in a context, never global. level: messages above it are dropped. */
struct tc_log {
	int level;  /* default TC_LOG_WARN; -q -> ERROR, -v -> INFO, -vv -> DEBUG */
	FILE *out;  /* NULL = stderr */
	int is_tty; /* progress drawn only on a terminal */
};
void tc_log_init(struct tc_log *log, int level);
void tc_logf(const struct tc_log *log, int level, const char *fmt, ...) TC_PRINTF(3, 4);
#define tc_warn(log, ...) tc_logf((log), TC_LOG_WARN, __VA_ARGS__)
#define tc_info(log, ...) tc_logf((log), TC_LOG_INFO, __VA_ARGS__)
#define tc_debug(log, ...) tc_logf((log), TC_LOG_DEBUG, __VA_ARGS__)

/* Progress line on a terminal ("ingest  42%  1.2 GB  310 MB/s  ETA 3s"); silent when
 * stderr is not a TTY or the log is quiet. Rate-limited to ~10 redraws/s. */
struct tc_progress {
	const struct tc_log *log;
	const char *label;
	uint64_t total; /* 0 = unknown */
	uint64_t done;
	double t_start, t_last;
	int active;
};
void tc_progress_start(struct tc_progress *p, const struct tc_log *log, const char *label,
		       uint64_t total);
void tc_progress_update(struct tc_progress *p, uint64_t done);
void tc_progress_end(struct tc_progress *p);

/* Monotonic seconds, for progress and benchmarks only (never in outputs). */
double tc_now(void);
/* Online cores, at least 1 and at most cap: the default number of worker threads. */
int tc_cores(int cap);

/* ---- formatting (locale-independent) ------------------------------------------------- */

/* Fixed-point decimal with prec digits, always '.' as separator, no locale. Returns buf. */
char *tc_fmt_fixed(char *buf, size_t n, double v, int prec);
/* Shortest round-trip form of a double (for JSON): "%.17g" trimmed, '.' separator. */
char *tc_fmt_double(char *buf, size_t n, double v);
/* Duration in ns as a human string with unit: "812 ns", "3.412 us", "75.18 ms", "2.310 s". */
char *tc_fmt_ns(char *buf, size_t n, double ns);
/* Bytes: "512 B", "1.50 KB", "34.8 MB" (SI, 10^3). */
char *tc_fmt_bytes(char *buf, size_t n, double bytes);
/* One CSV field (RFC 4180): quoted, quotes doubled, when it holds a comma, a quote or a line
 * break. */
void tc_fput_csv(FILE *fp, const char *s);
/* A JSON string literal: quotes, backslashes and control characters escaped (\n \t by
 * name, the rest \u00XX); bytes >= 0x80 are copied (UTF-8 passes through). NULL = "". */
void tc_fput_json_str(FILE *fp, const char *s);

/* ---- files -------------------------------------------------------------------------------- */

/* An output file written under a temporary name and renamed into place on commit, so a
 * failed run never leaves a partial file looking complete. "-" means stdout. Temp-and-rename
 * is for regular files only: a symbolic link is followed (its target is replaced, the link
 * kept), a character device or FIFO is written directly and never renamed over or unlinked,
 * and a directory, block device or socket is refused (util/file.c says why). */
struct tc_outfile {
	FILE *fp;
	char *path; /* as given ("stdout" for "-"); a followed link's target */
	char *tmp;  /* NULL for stdout and for devices and FIFOs written directly */
};
/* 0, TC_EINVAL (empty path, a directory ...) or TC_EIO. */
int tc_outfile_open(struct tc_outfile *o, const char *path, struct tc_err *err);
/* Flush, close and rename (stdout: flush only, errors included). On failure the temporary
 * is removed. */
int tc_outfile_commit(struct tc_outfile *o, struct tc_err *err);
/* Close and remove the temporary (a device or FIFO is only closed); safe to call after
 * commit or on a zeroed struct. */
void tc_outfile_abort(struct tc_outfile *o);

/* Temporary files removed if the process is ended by SIGINT, SIGTERM or SIGHUP: the handler
 * unlinks every remembered path, then lets the signal's default action end the process (so
 * the exit status still says which signal). Installed on first use, and only for signals
 * whose disposition is the default (a sweep's own handler, or nohup's ignored SIGHUP, stay).
 * tc_outfile remembers its temporary itself. path must stay valid until tc_tmp_forget(path),
 * which matches the pointer, not the text.
 * Returns 0, or TC_ENOMEM when every slot is taken (the file is then not cleaned up on a
 * signal, nothing else changes). Thread-safe and async-signal-safe. */
int tc_tmp_remember(const char *path);
/* Create a new temporary file $TMPDIR/STEM-XXXXXXSUFFIX (/tmp when TMPDIR is unset, empty
 * or too long for buf): the open descriptor, its path in buf; -1 with errno set (buf names
 * the folder it tried). The one way tracecast makes temporary files. */
int tc_tmpfile(char *buf, size_t n, const char *stem, const char *suffix);
void tc_tmp_forget(const char *path);

/* Refuse a run that would overwrite its own input, or write two outputs to one file:
 * TC_EINVAL naming the path, else 0. An output is the same file as an input when both exist
 * with the same device and inode (so links and other spellings count); two outputs clash
 * when their paths are equal or they are one existing file. NULL entries (options not given),
 * "-" and outputs that exist but are not regular files (/dev/null, a FIFO) are not checked:
 * writing to them destroys nothing. */
int tc_outputs_check(const char *const *outs, size_t n_out, const char *const *ins, size_t n_in,
		     struct tc_err *err);

/* Read a whole (small) file into a NUL-terminated buffer. Caller frees *out. */
int tc_read_file(const char *path, char **out, size_t *len, struct tc_err *err);

/* ---- text from inputs ----------------------------------------------------------------- */

/* 1 when s (n bytes) is valid UTF-8 (RFC 3629: no overlong forms, no surrogates, nothing
 * above U+10FFFF), else 0. */
int tc_utf8_valid(const char *s, size_t n);
/* Copy s (n bytes) to dst, which has room for 3 * n + 1 bytes, replacing each byte that
 * does not start a valid sequence with U+FFFD; NUL-terminates and returns the length. dst
 * may equal s only when s is valid. */
size_t tc_utf8_fix(char *dst, const char *s, size_t n);
/* Copy src to dst (dn bytes, truncated, always terminated) so that it is safe on a terminal
 * and one line: newline, CR and tab become spaces; other control characters (C0, DEL, C1:
 * ESC and CSI sequences) and bytes that are not UTF-8 are written as "\xNN". */
void tc_str_printable(char *dst, size_t dn, const char *src);

/* ---- small string helpers ---------------------------------------------------------- */
/* A kernel name short enough for a table (names.c): no leading "void ", no "(anonymous
 * namespace)::", template arguments folded to "<...>", the parameter list dropped. */
void tc_short_name(char *dst, size_t dn, const char *src);
int tc_str_endswith(const char *s, const char *suffix);
/* Case-insensitive substring search. */
const char *tc_strcasestr(const char *hay, const char *needle);

#endif

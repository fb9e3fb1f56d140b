/* optable.c - tables of measured operators (NeuSight layout, CSV) -> rows with work and a
 * measured latency (for the testbench) and -> opstreams (the "optable" adapter).
 *
 * Two layouts, told apart by the header (docs/ingest.md §optable):
 *  - micro: one independent op per row (OPName, Latency in ms, Device, dims B,M,N,K / B,H /
 *    conv columns);
 *  - model: torch.fx nodes of one model, one per row (op, target, input_shapes, output_shape,
 *    dtype, fw_latency, bw_latency, meta); the JSON beside the CSV gives num_layer and the
 *    measured end-to-end latency. Only the first transformer layer was traced, so its nodes
 *    repeat num_layer times; in training the backward nodes follow in reverse order.
 *
 * Work (FLOPs, bytes, GEMM dims) comes from the shared op knowledge of work.c, so a table op
 * costs exactly like the same op in a trace. Bad rows fail with "file:line: problem". */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "adapter.h"

#define MAX_COLS 64
#define MAX_SHAPES 8
#define MAX_RANK 8

/* ---- CSV (RFC 4180: quoted fields, doubled quotes, CRLF tolerated) ------------------------ */

struct csv {
	char *buf; /* whole decompressed file, fields are rewritten in place */
	size_t len, pos;
	unsigned line; /* physical line of the record being read (1-based) */
	unsigned next_line;
	char *f[MAX_COLS];
	size_t nf;
	const char *path;
};

/* Read the next record into c->f. Returns 1, 0 at the end, or a negative error. Fields are
 * NUL-terminated in place (unquoting shortens them, so it never overruns). */
static int csv_next(struct csv *c, struct tc_err *err)
{
	if (c->pos >= c->len)
		return 0;
	c->line = c->next_line;
	c->nf = 0;
	char *p = c->buf + c->pos, *end = c->buf + c->len;
	for (;;) {
		if (c->nf == MAX_COLS)
			return tc_err_set(err, TC_EFORMAT, "%s:%u: more than %d columns", c->path,
					  c->line, MAX_COLS);
		char *out = p, *start = p;
		c->f[c->nf++] = start;
		if (p < end && *p == '"') {
			p++;
			for (;;) {
				if (p >= end)
					return tc_err_set(err, TC_EFORMAT,
							  "%s:%u: unterminated quoted field",
							  c->path, c->line);
				if (*p == '"') {
					if (p + 1 < end && p[1] == '"') {
						*out++ = '"';
						p += 2;
						continue;
					}
					p++;
					break;
				}
				if (*p == '\n')
					c->next_line++;
				*out++ = *p++;
			}
			if (p < end && *p != ',' && *p != '\n' && *p != '\r')
				return tc_err_set(err, TC_EFORMAT,
						  "%s:%u: text after a closing quote", c->path,
						  c->line);
		} else {
			while (p < end && *p != ',' && *p != '\n' && *p != '\r')
				*out++ = *p++;
		}
		char sep = p < end ? *p : '\n';
		*out = '\0'; /* out <= p: safe even when p == end, the buffer has one spare byte */
		if (sep == ',') {
			p++;
			continue;
		}
		if (sep == '\r' && p + 1 < end && p[1] == '\n')
			p++;
		if (p < end)
			p++;
		c->next_line++;
		break;
	}
	c->pos = (size_t)(p - c->buf);
	return 1;
}

static int col_of(const struct csv *c, const char *name)
{
	for (size_t i = 0; i < c->nf; i++)
		if (strcmp(c->f[i], name) == 0)
			return (int)i;
	return -1;
}

/* ---- numbers ------------------------------------------------------------------------------ */

/* The text of column col of the row, or an error naming the file, line and column. */
static int field(const struct csv *c, int col, const char *what, const char **s, struct tc_err *err)
{
	if (col < 0 || (size_t)col >= c->nf)
		return tc_err_set(err, TC_EFORMAT, "%s:%u: %s: missing (row has %zu fields)",
				  c->path, c->line, what, c->nf);
	*s = c->f[col];
	return 0;
}

static int parse_ms(const struct csv *c, int col, const char *what, double *ns, struct tc_err *err)
{
	const char *s = NULL;
	TC_TRY(field(c, col, what, &s, err));
	char *e;
	errno = 0;
	double v = strtod(s, &e);
	/* strtod honours the locale's decimal point; the tables use '.', and the CLI never
	 * calls setlocale, so this stays "C" (the CI's German-locale run checks it) */
	if (e == s || *e || errno || !isfinite(v) || v < 0)
		return tc_err_set(err, TC_EFORMAT,
				  "%s:%u: %s: not a non-negative latency in ms ('%.40s')", c->path,
				  c->line, what, s);
	*ns = v * 1e6;
	return 0;
}

static int parse_dim(const struct csv *c, int col, const char *what, int64_t *v, struct tc_err *err)
{
	const char *s = NULL;
	TC_TRY(field(c, col, what, &s, err));
	char *e;
	errno = 0;
	long long x = strtoll(s, &e, 10);
	/* 2^31 per dim keeps every product of four dims inside uint64 FLOP counts */
	if (e == s || *e || errno || x <= 0 || x > (1ll << 31))
		return tc_err_set(err, TC_EFORMAT, "%s:%u: %s: not a positive dimension ('%.40s')",
				  c->path, c->line, what, s);
	*v = x;
	return 0;
}

/* ---- rows --------------------------------------------------------------------------------- */

struct tab {
	struct tc_optable t;
	struct tc_arena arena;
	size_t cap;
};

static struct tc_optable_row *add_row(struct tab *tb)
{
	if (tb->t.n_rows == tb->cap) {
		tb->cap = tb->cap ? tb->cap * 2 : 256;
		tb->t.rows = tc_xrealloc(tb->t.rows, tb->cap * sizeof(*tb->t.rows));
	}
	struct tc_optable_row *r = &tb->t.rows[tb->t.n_rows++];
	memset(r, 0, sizeof(*r));
	r->repeat = 1;
	return r;
}

static void set_work(struct tc_optable_row *r, unsigned cls, const struct tc_work *w)
{
	r->op_class = (uint8_t)cls;
	r->has_work = 1;
	r->work = *w;
	if (!r->work.dtype)
		r->work.dtype = TC_DT_F32;
}

/* ---- micro layout ------------------------------------------------------------------------- */

enum mdims { MD_BMNK, MD_BH, MD_CONV };

/* The operators of the micro tables: the work.c name they are, whether the second operand
 * is a tensor of the same shape (binary) or a scalar (the `u` forms, whose kernel is
 * CUDAFunctorOnSelf_*: one tensor in, one out), and their dims. */
static const struct {
	const char *op, *work;
	unsigned cls;
	enum mdims dims;
	int binary;
} micro_ops[] = {
    {"bmm", "bmm", TC_CLASS_GEMM, MD_BMNK, 0},
    {"linear", "linear", TC_CLASS_GEMM, MD_BMNK, 0},
    {"conv", "conv2d", TC_CLASS_CONV, MD_CONV, 0},
    {"add", "add", TC_CLASS_ELEMENTWISE, MD_BH, 1},
    {"addu", "add", TC_CLASS_ELEMENTWISE, MD_BH, 0},
    {"sub", "sub", TC_CLASS_ELEMENTWISE, MD_BH, 1},
    {"mul", "mul", TC_CLASS_ELEMENTWISE, MD_BH, 1},
    {"mulu", "mul", TC_CLASS_ELEMENTWISE, MD_BH, 0},
    {"div", "div", TC_CLASS_ELEMENTWISE, MD_BH, 1},
    {"divu", "div", TC_CLASS_ELEMENTWISE, MD_BH, 0},
    {"pow", "pow", TC_CLASS_ELEMENTWISE, MD_BH, 1},
    {"powu", "pow", TC_CLASS_ELEMENTWISE, MD_BH, 0},
    {"gelu", "gelu", TC_CLASS_ELEMENTWISE, MD_BH, 0},
    {"relu", "relu", TC_CLASS_ELEMENTWISE, MD_BH, 0},
    {"tanh", "tanh", TC_CLASS_ELEMENTWISE, MD_BH, 0},
    {"ln", "layer_norm", TC_CLASS_NORM, MD_BH, 0},
    {"softmax", "softmax", TC_CLASS_SOFTMAX, MD_BH, 0},
};

struct micro_cols {
	int op, lat, dev, b, m, n, k, h, cin, cout, ks, isz, stride, pad;
};

static int micro_row(struct tab *tb, struct csv *c, const struct micro_cols *mc, struct tc_err *err)
{
	const char *opname = (size_t)mc->op < c->nf ? c->f[mc->op] : "";
	size_t oi;
	for (oi = 0; oi < TC_ARRAY_LEN(micro_ops); oi++)
		if (strcmp(micro_ops[oi].op, opname) == 0)
			break;
	if (oi == TC_ARRAY_LEN(micro_ops))
		return tc_err_set(err, TC_EFORMAT, "%s:%u: OPName: unknown operator '%.40s'",
				  c->path, c->line, opname);
	struct tc_optable_row r;
	memset(&r, 0, sizeof(r));
	r.repeat = 1;
	TC_TRY(parse_ms(c, mc->lat, "Latency", &r.latency_ns, err));
	if ((size_t)mc->dev < c->nf && c->f[mc->dev][0]) {
		if (!tb->t.device)
			tb->t.device = tc_arena_strdup(&tb->arena, c->f[mc->dev]);
		else if (strcmp(tb->t.device, c->f[mc->dev]) != 0)
			return tc_err_set(err, TC_EFORMAT,
					  "%s:%u: Device: '%.60s' differs from '%.60s' of the rows "
					  "before (one device per table)",
					  c->path, c->line, c->f[mc->dev], tb->t.device);
	}
	int64_t d[7];
	int64_t dims[2][MAX_RANK];
	struct tc_shape sh[2];
	uint8_t dt[2] = {TC_DT_F32, TC_DT_F32};
	struct tc_work w;
	char key[160];
	int ok;
	memset(&w, 0, sizeof(w));
	switch (micro_ops[oi].dims) {
	case MD_BMNK:
		TC_TRY(parse_dim(c, mc->b, "B", &d[0], err));
		TC_TRY(parse_dim(c, mc->m, "M", &d[1], err));
		TC_TRY(parse_dim(c, mc->n, "N", &d[2], err));
		TC_TRY(parse_dim(c, mc->k, "K", &d[3], err));
		if (micro_ops[oi].work[0] == 'b') { /* bmm: [B,M,K] x [B,K,N] */
			int64_t a[3] = {d[0], d[1], d[3]}, b[3] = {d[0], d[3], d[2]};
			memcpy(dims[0], a, sizeof(a));
			memcpy(dims[1], b, sizeof(b));
			sh[0] = (struct tc_shape){3, dims[0]};
			sh[1] = (struct tc_shape){3, dims[1]};
		} else { /* linear: [B,M,K] x weight [N,K] (bias not counted: N floats) */
			int64_t a[3] = {d[0], d[1], d[3]}, b[2] = {d[2], d[3]};
			memcpy(dims[0], a, sizeof(a));
			memcpy(dims[1], b, sizeof(b));
			sh[0] = (struct tc_shape){3, dims[0]};
			sh[1] = (struct tc_shape){2, dims[1]};
		}
		ok = tc_work_of_op(micro_ops[oi].work, sh, 2, dt, &w);
		snprintf(key, sizeof(key), "B=%lld M=%lld N=%lld K=%lld", (long long)d[0],
			 (long long)d[1], (long long)d[2], (long long)d[3]);
		break;
	case MD_BH:
		TC_TRY(parse_dim(c, mc->b, "B", &d[0], err));
		TC_TRY(parse_dim(c, mc->h, "H", &d[1], err));
		dims[0][0] = dims[1][0] = d[0];
		dims[0][1] = dims[1][1] = d[1];
		sh[0] = (struct tc_shape){2, dims[0]};
		if (micro_ops[oi].binary) {
			sh[1] = (struct tc_shape){2, dims[1]};
		} else if (micro_ops[oi].cls == TC_CLASS_NORM) {
			/* weight and bias [H] */
			dims[1][0] = d[1];
			sh[1] = (struct tc_shape){1, dims[1]};
		} else {
			sh[1] = (struct tc_shape){0, dims[1]}; /* the scalar operand */
			dt[1] = TC_DT_UNKNOWN;
		}
		ok = tc_work_of_op(micro_ops[oi].work, sh, 2, dt, &w);
		if (ok && micro_ops[oi].cls == TC_CLASS_NORM)
			w.bytes_read += (uint64_t)d[1] * 4; /* the bias, as large as the weight */
		snprintf(key, sizeof(key), "B=%lld H=%lld", (long long)d[0], (long long)d[1]);
		break;
	case MD_CONV: {
		TC_TRY(parse_dim(c, mc->b, "B", &d[0], err));
		TC_TRY(parse_dim(c, mc->cin, "Input_Channel", &d[1], err));
		TC_TRY(parse_dim(c, mc->cout, "Output_Channel", &d[2], err));
		TC_TRY(parse_dim(c, mc->ks, "Kernel_Szie", &d[3], err));
		TC_TRY(parse_dim(c, mc->isz, "Input_Size", &d[4], err));
		TC_TRY(parse_dim(c, mc->stride, "Stride", &d[5], err));
		if (mc->pad < 0 || (size_t)mc->pad >= c->nf)
			return tc_err_set(err, TC_EFORMAT, "%s:%u: Padding: missing", c->path,
					  c->line);
		{
			char *e;
			long long p = strtoll(c->f[mc->pad], &e, 10);
			if (e == c->f[mc->pad] || *e || p < 0 || p > (1ll << 20))
				return tc_err_set(err, TC_EFORMAT,
						  "%s:%u: Padding: not a dimension ('%.40s')",
						  c->path, c->line, c->f[mc->pad]);
			d[6] = p;
		}
		int64_t x[4] = {d[0], d[1], d[4], d[4]}, wt[4] = {d[2], d[1], d[3], d[3]};
		memcpy(dims[0], x, sizeof(x));
		memcpy(dims[1], wt, sizeof(wt));
		sh[0] = (struct tc_shape){4, dims[0]};
		sh[1] = (struct tc_shape){4, dims[1]};
		struct tc_conv_params p;
		memset(&p, 0, sizeof(p));
		p.n_spatial = 2;
		p.stride[0] = p.stride[1] = d[5];
		p.pad[0] = p.pad[1] = d[6];
		p.dilation[0] = p.dilation[1] = 1;
		ok = tc_work_of_conv(&sh[0], &sh[1], TC_DT_F32, &p, &w);
		snprintf(key, sizeof(key), "B=%lld Cin=%lld Cout=%lld k=%lld S=%lld s=%lld p=%lld",
			 (long long)d[0], (long long)d[1], (long long)d[2], (long long)d[3],
			 (long long)d[4], (long long)d[5], (long long)d[6]);
		break;
	}
	default:
		ok = 0;
	}
	if (!ok)
		return tc_err_set(err, TC_EFORMAT, "%s:%u: %s: dims describe no valid operator",
				  c->path, c->line, opname);
	struct tc_optable_row *row = add_row(tb);
	*row = r;
	set_work(row, micro_ops[oi].cls, &w);
	row->name = micro_ops[oi].op;
	row->dims = tc_arena_strdup(&tb->arena, key);
	row->line = c->line;
	return 0;
}

static int read_micro(struct tab *tb, struct csv *c, struct tc_err *err)
{
	struct micro_cols mc = {
	    col_of(c, "OPName"),
	    col_of(c, "Latency"),
	    col_of(c, "Device"),
	    col_of(c, "B"),
	    col_of(c, "M"),
	    col_of(c, "N"),
	    col_of(c, "K"),
	    col_of(c, "H"),
	    col_of(c, "Input_Channel"),
	    col_of(c, "Output_Channel"),
	    col_of(c, "Kernel_Szie"),
	    col_of(c, "Input_Size"),
	    col_of(c, "Stride"),
	    col_of(c, "Padding"),
	};
	if (mc.lat < 0)
		return tc_err_set(err, TC_EFORMAT, "%s:1: no 'Latency' column", c->path);
	size_t want = c->nf;
	int rc;
	while ((rc = csv_next(c, err)) > 0) {
		if (c->nf == 1 && c->f[0][0] == '\0')
			continue; /* blank line */
		if (c->nf != want)
			return tc_err_set(err, TC_EFORMAT, "%s:%u: %zu fields, the header has %zu",
					  c->path, c->line, c->nf, want);
		TC_TRY(micro_row(tb, c, &mc, err));
	}
	return rc;
}

/* ---- model layout ------------------------------------------------------------------------- */

/* Parse every innermost bracketed list of integers: "[[8, 512], [1]]" -> two shapes,
 * "(8, 512, 1024)" -> one, "[]" -> none. Returns the count, or -1 when malformed. */
static int parse_shapes(const char *s, int64_t dims[MAX_SHAPES][MAX_RANK],
			uint32_t rank[MAX_SHAPES])
{
	int n = 0, depth = 0;
	const char *p = s;
	while (*p) {
		if (*p == '[' || *p == '(') {
			depth++;
			const char *q = p + 1;
			while (*q == ' ')
				q++;
			if (isdigit((unsigned char)*q) || *q == ')' || *q == ']' || *q == '-') {
				/* an innermost list: digits, commas, spaces */
				if ((*q == ')' || *q == ']') && depth == 1) {
					p = q + 1; /* "()" / "[]": no shapes at all */
					depth--;
					continue;
				}
				if (n == MAX_SHAPES)
					return -1;
				uint32_t r = 0;
				while (*q && *q != ')' && *q != ']') {
					char *e;
					long long v = strtoll(q, &e, 10);
					if (e == q || r == MAX_RANK || v < 0 || v > (1ll << 40))
						return -1;
					dims[n][r++] = v;
					q = e;
					while (*q == ' ' || *q == ',')
						q++;
				}
				if (!*q)
					return -1;
				rank[n++] = r;
				p = q + 1;
				depth--;
				continue;
			}
			p++;
			continue;
		}
		if (*p == ']' || *p == ')')
			depth--;
		p++;
	}
	return depth == 0 ? n : -1;
}

/* Elements of a shape; -1 when the product overflows (a malformed table, not a tensor). */
static int64_t numel(const int64_t *d, uint32_t r)
{
	int64_t n = 1;
	for (uint32_t i = 0; i < r; i++)
		if (__builtin_mul_overflow(n, d[i], &n))
			return -1;
	return n;
}

/* "<built-in method matmul of type object at 0x..>" -> "matmul"; "<built-in function add>"
 * -> "add"; "<function softmax at 0x..>" -> "softmax"; "<class 'torch.finfo'>" -> "finfo". */
static void fn_name(const char *target, char *buf, size_t cap)
{
	const char *p = target, *e;
	if (strncmp(p, "<built-in method ", 17) == 0)
		p += 17;
	else if (strncmp(p, "<built-in function ", 19) == 0)
		p += 19;
	else if (strncmp(p, "<function ", 10) == 0)
		p += 10;
	else if (strncmp(p, "<class '", 8) == 0) {
		p += 8;
		const char *dot = strrchr(p, '.');
		if (dot)
			p = dot + 1;
	}
	e = p;
	while (*e && (isalnum((unsigned char)*e) || *e == '_'))
		e++;
	size_t n = (size_t)(e - p) < cap - 1 ? (size_t)(e - p) : cap - 1;
	memcpy(buf, p, n);
	buf[n] = '\0';
	if (strcmp(buf, "truediv") == 0)
		snprintf(buf, cap, "div");
	else if (strcmp(buf, "floordiv") == 0)
		snprintf(buf, cap, "floor_divide");
}

/* Methods and functions that launch no kernel: they make views, read metadata or compute
 * on Python ints. Their measured time is framework overhead. */
static int is_view_or_meta(const char *f)
{
	static const char *const names[] = {
	    "size",	 "getitem", "getattr",	 "dim",	    "view",    "permute",
	    "transpose", "expand",  "unsqueeze", "squeeze", "reshape", "split",
	    "chunk",	 "finfo",   "flatten",	 "narrow",  "t",       "detach"};
	for (size_t i = 0; i < TC_ARRAY_LEN(names); i++)
		if (strcmp(f, names[i]) == 0)
			return 1;
	return 0;
}

/* A module path of a repeated block: "bert.encoder.layer.0.attention", "transformer.h.0",
 * "model.decoder.layers.0" -> 1 when it names block 0 (a dotted path component that is a
 * number). */
static int names_layer(const char *s)
{
	for (const char *p = s; *p; p++) {
		if (*p != '.' || p == s || !(isalnum((unsigned char)p[-1]) || p[-1] == '_'))
			continue;
		const char *q = p + 1;
		if (!isdigit((unsigned char)*q))
			continue;
		while (isdigit((unsigned char)*q))
			q++;
		if (*q == '.' || *q == '\'' || *q == '\0')
			return 1;
	}
	return 0;
}

struct model_cols {
	int op, target, shapes, oshape, dtype, fw, bw, lat, meta, name, contig;
};

static unsigned dtype_of_torch(const char *s)
{
	if (strncmp(s, "torch.", 6) == 0)
		s += 6;
	if (!*s)
		return TC_DT_UNKNOWN;
	if (strcmp(s, "float32") == 0 || strcmp(s, "float") == 0)
		return TC_DT_F32;
	if (strcmp(s, "int64") == 0 || strcmp(s, "long") == 0)
		return TC_DT_I64;
	if (strcmp(s, "int32") == 0)
		return TC_DT_I32;
	if (strcmp(s, "bool") == 0)
		return TC_DT_BOOL;
	return tc_dtype_of_name(s);
}

/* Class and work of one model node; 0 = no GPU work (view, metadata, Python arithmetic,
 * inference dropout). */
static int model_work(const struct csv *c, const struct model_cols *mc, int training, unsigned *cls,
		      struct tc_work *w, struct tc_err *err)
{
	const char *kind = c->f[mc->op], *target = c->f[mc->target];
	int64_t idims[MAX_SHAPES][MAX_RANK], odims[MAX_SHAPES][MAX_RANK];
	uint32_t irank[MAX_SHAPES], orank[MAX_SHAPES];
	int ni = parse_shapes(c->f[mc->shapes], idims, irank);
	int no = parse_shapes(c->f[mc->oshape], odims, orank);
	if (ni < 0)
		return tc_err_set(err, TC_EFORMAT, "%s:%u: input_shapes: malformed ('%.60s')",
				  c->path, c->line, c->f[mc->shapes]);
	if (no < 0)
		return tc_err_set(err, TC_EFORMAT, "%s:%u: output_shape: malformed ('%.60s')",
				  c->path, c->line, c->f[mc->oshape]);
	unsigned dt = dtype_of_torch(c->f[mc->dtype]);
	if (dt == TC_DT_UNKNOWN)
		dt = TC_DT_F32;
	int64_t out_n = no > 0 ? numel(odims[0], orank[0]) : 0;
	if (out_n < 0)
		return tc_err_set(err, TC_EFORMAT, "%s:%u: output_shape: too many elements",
				  c->path, c->line);
	for (int i = 0; i < ni; i++)
		if (numel(idims[i], irank[i]) < 0)
			return tc_err_set(err, TC_EFORMAT, "%s:%u: input_shapes: too many elements",
					  c->path, c->line);
	struct tc_shape sh[MAX_SHAPES + 1];
	int64_t wdims[2];
	uint8_t dts[MAX_SHAPES + 1];
	size_t n = 0;
	/* a [1] input is a Python number (fx records ints as [1]); the rest are tensors */
	for (int i = 0; i < ni; i++) {
		sh[n] = (struct tc_shape){irank[i], idims[i]};
		dts[n++] = irank[i] == 1 && idims[i][0] == 1 ? TC_DT_UNKNOWN : (uint8_t)dt;
	}
	char f[64];
	memset(w, 0, sizeof(*w));
	*cls = TC_CLASS_HOST;
	if (strcmp(kind, "call_module") == 0) {
		const char *last = strrchr(target, '.');
		last = last ? last + 1 : target;
		char low[64];
		size_t i;
		for (i = 0; last[i] && i + 1 < sizeof(low); i++)
			low[i] = (char)tolower((unsigned char)last[i]);
		low[i] = '\0';
		if (ni < 1 || no < 1 || irank[0] < 1 || orank[0] < 1)
			return 0; /* a module without a tensor in and out launches nothing we know
				   */
		if (strstr(low, "drop")) {
			if (!training)
				return 0; /* eval-mode dropout returns its input */
			snprintf(f, sizeof(f), "dropout");
		} else if (strstr(low, "norm") || strncmp(low, "ln", 2) == 0) {
			snprintf(f, sizeof(f), "layer_norm");
		} else if (strstr(low, "emb") || strcmp(low, "wte") == 0 ||
			   strcmp(low, "wpe") == 0) {
			/* embedding(weight [V, D], indices): V does not change the bytes */
			wdims[0] = 1;
			wdims[1] = odims[0][orank[0] - 1];
			sh[1] = sh[0];
			dts[1] = TC_DT_I64;
			sh[0] = (struct tc_shape){2, wdims};
			dts[0] = (uint8_t)dt;
			n = 2;
			snprintf(f, sizeof(f), "embedding");
		} else if (strstr(low, "act")) {
			snprintf(f, sizeof(f), "gelu");
		} else {
			/* a Linear (dense, query, fc1, lm_head, classifier ...): weight [N, K] */
			wdims[0] = odims[0][orank[0] - 1];
			wdims[1] = idims[0][irank[0] - 1];
			sh[1] = (struct tc_shape){2, wdims};
			dts[1] = (uint8_t)dt;
			n = 2;
			snprintf(f, sizeof(f), "linear");
		}
	} else if (strcmp(kind, "call_function") == 0 || strcmp(kind, "call_method") == 0) {
		fn_name(target, f, sizeof(f));
		if (is_view_or_meta(f))
			return 0;
		if (strcmp(f, "dropout") == 0 && !training)
			return 0;
		if (strcmp(f, "contiguous") == 0) {
			/* a copy only when the input was not contiguous already */
			if (mc->contig < 0 || !strstr(c->f[mc->contig], "False"))
				return 0;
			snprintf(f, sizeof(f), "clone");
		}
		int any_tensor = 0;
		for (size_t i = 0; i < n; i++)
			any_tensor |= dts[i] != TC_DT_UNKNOWN;
		if (!any_tensor && out_n <= 1)
			return 0; /* Python arithmetic on sizes */
	} else {
		return 0; /* placeholder, get_attr, output */
	}
	if (tc_work_of_op(f, sh, n, dts, w)) {
		*cls = tc_opclass_of_op(f);
	} else if (out_n > 0) {
		/* tensor factories and conversions (ones, full, arange, to, type_as, cumsum,
		 * masked_fill with odd shapes ...): read the tensor inputs, write the output */
		uint64_t rd = 0;
		unsigned es = tc_dtype_size(dt) ? tc_dtype_size(dt) : 4;
		for (size_t i = 0; i < n; i++)
			if (dts[i] != TC_DT_UNKNOWN)
				rd += (uint64_t)numel(sh[i].dims, sh[i].rank) * es;
		w->dtype = (uint8_t)dt;
		w->flops = (uint64_t)out_n;
		w->bytes_read = rd;
		w->bytes_written = (uint64_t)out_n * es;
		*cls = tc_opclass_of_op(f);
	} else {
		return 0;
	}
	if (*cls == TC_CLASS_OTHER || *cls == TC_CLASS_HOST)
		*cls = TC_CLASS_ELEMENTWISE;
	return 1;
}

/* Backward work of a forward node: a GEMM computes two gradients (input and weight), other
 * kernels read the incoming gradient beside their input and write one gradient; both are
 * twice the forward work, to first order. */
static void backward_of(const struct tc_optable_row *fw, struct tc_optable_row *bw)
{
	*bw = *fw;
	bw->work.flops = fw->work.flops * 2;
	bw->work.bytes_read = fw->work.bytes_read * 2;
	bw->work.bytes_written = fw->work.bytes_written * 2;
	bw->backward = 1;
}

static int read_model(struct tab *tb, struct csv *c, struct tc_err *err)
{
	struct model_cols mc = {
	    col_of(c, "op"),
	    col_of(c, "target"),
	    col_of(c, "input_shapes"),
	    col_of(c, "output_shape"),
	    col_of(c, "dtype"),
	    col_of(c, "fw_latency"),
	    col_of(c, "bw_latency"),
	    col_of(c, "latency"),
	    col_of(c, "meta"),
	    col_of(c, "Name"),
	    col_of(c, "input_contiguous"),
	};
	static const char *const need[] = {"op",	   "target", "input_shapes",
					   "output_shape", "dtype",  "Name"};
	const int *cols[] = {&mc.op, &mc.target, &mc.shapes, &mc.oshape, &mc.dtype, &mc.name};
	for (size_t i = 0; i < TC_ARRAY_LEN(need); i++)
		if (*cols[i] < 0)
			return tc_err_set(err, TC_EFORMAT, "%s:1: no '%s' column", c->path,
					  need[i]);
	if (mc.fw < 0 && mc.lat < 0)
		return tc_err_set(err, TC_EFORMAT, "%s:1: no 'fw_latency' or 'latency' column",
				  c->path);
	int training = tb->t.training;
	size_t want = c->nf, first = tb->t.n_rows;
	int rc;
	while ((rc = csv_next(c, err)) > 0) {
		if (c->nf == 1 && c->f[0][0] == '\0')
			continue;
		if (c->nf != want)
			return tc_err_set(err, TC_EFORMAT, "%s:%u: %zu fields, the header has %zu",
					  c->path, c->line, c->nf, want);
		struct tc_optable_row r;
		memset(&r, 0, sizeof(r));
		r.repeat = 1;
		TC_TRY(parse_ms(c, mc.fw >= 0 ? mc.fw : mc.lat,
				mc.fw >= 0 ? "fw_latency" : "latency", &r.latency_ns, err));
		double bw_ns = 0;
		if (training && mc.bw >= 0)
			TC_TRY(parse_ms(c, mc.bw, "bw_latency", &bw_ns, err));
		const char *kind = c->f[mc.op];
		if (strcmp(kind, "placeholder") == 0 || strcmp(kind, "get_attr") == 0 ||
		    strcmp(kind, "output") == 0)
			continue; /* graph inputs, parameters, the result: no time */
		if (strcmp(kind, "call_module") && strcmp(kind, "call_function") &&
		    strcmp(kind, "call_method"))
			return tc_err_set(err, TC_EFORMAT, "%s:%u: op: unknown node kind '%.40s'",
					  c->path, c->line, kind);
		unsigned cls = TC_CLASS_HOST;
		struct tc_work w;
		int has = model_work(c, &mc, training, &cls, &w, err);
		if (has < 0)
			return has;
		if (has) {
			set_work(&r, cls, &w);
		} else {
			r.op_class = TC_CLASS_HOST;
		}
		r.name = tc_arena_strdup(&tb->arena, c->f[mc.name]);
		/* dims: the input shapes, which tell the worst ops apart in reports */
		r.dims = tc_arena_strdup(&tb->arena, c->f[mc.shapes]);
		r.line = c->line;
		int in_layer =
		    names_layer(c->f[mc.target]) || (mc.meta >= 0 && names_layer(c->f[mc.meta]));
		r.repeat = in_layer && tb->t.num_layers > 0 ? tb->t.num_layers : 1;
		*add_row(tb) = r;
		if (training && bw_ns > 0) {
			/* parked with the forward row; moved behind all forward rows below */
			tb->t.rows[tb->t.n_rows - 1].bw_latency_ns = bw_ns;
		}
	}
	if (rc < 0)
		return rc;
	if (training) {
		/* backward: the nodes with a backward time, in reverse order */
		size_t nf = tb->t.n_rows;
		for (size_t i = nf; i-- > first;) {
			if (!(tb->t.rows[i].bw_latency_ns > 0))
				continue;
			struct tc_optable_row fw = tb->t.rows[i];
			struct tc_optable_row *b = add_row(tb);
			backward_of(&fw, b);
			b->latency_ns = fw.bw_latency_ns;
			b->bw_latency_ns = 0;
		}
		for (size_t i = first; i < nf; i++)
			tb->t.rows[i].bw_latency_ns = 0;
	}
	return 0;
}

/* The NeuSight model-table name "bert_large-train-512-8" -> model, mode, seq, batch; and
 * the JSON beside it ("num_layer", "e2e_latency" in ms). Missing JSON: no e2e figure. */
static int model_meta(struct tab *tb, const char *path, struct tc_err *err)
{
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	char stem[256];
	snprintf(stem, sizeof(stem), "%s", base);
	char *dot = strstr(stem, ".csv");
	if (dot)
		*dot = '\0';
	tb->t.model = tc_arena_strdup(&tb->arena, stem);
	tb->t.training = strstr(stem, "-train-") != NULL;
	tb->t.e2e_ns = NAN;
	/* the device: the folder the table lies in ("Tesla_T4" -> "Tesla T4") */
	if (base != path) {
		const char *d = base - 1, *s = d;
		while (s > path && s[-1] != '/')
			s--;
		char *dev = tc_arena_strndup(&tb->arena, s, (size_t)(d - s));
		for (char *q = dev; *q; q++)
			if (*q == '_')
				*q = ' ';
		tb->t.device = dev;
	}
	size_t plen = (size_t)(base - path) + strlen(stem);
	char *jpath = tc_xmalloc(plen + 6);
	memcpy(jpath, path, (size_t)(base - path));
	memcpy(jpath + (base - path), stem, strlen(stem));
	memcpy(jpath + plen, ".json", 6);
	char *buf = NULL;
	size_t len = 0;
	struct tc_err e2 = TC_ERR_INIT;
	if (tc_read_file(jpath, &buf, &len, &e2) < 0) {
		free(jpath);
		return 0; /* no JSON: the table still projects, without an e2e figure */
	}
	const char *p = buf, *end = buf + len;
	struct tc_jv v, k, val;
	int rc = 0;
	if (tc_json_value(&p, end, &v) < 0 || v.t != TC_J_OBJ) {
		rc = tc_err_set(err, TC_EFORMAT, "%s: not a JSON object", jpath);
	} else {
		const char *it = v.p;
		int r;
		while ((r = tc_json_next_member(&it, end, &k, &val)) > 0) {
			if (TC_JKEY(&k, "num_layer") && val.t == TC_J_NUM) {
				int64_t nl;
				if (tc_json_i64(&val, &nl) < 0 || nl < 1 || nl > 100000) {
					rc = tc_err_set(err, TC_EFORMAT,
							"%s: num_layer: not a layer count", jpath);
					break;
				}
				tb->t.num_layers = (uint32_t)nl;
			} else if (TC_JKEY(&k, "e2e_latency") && val.t == TC_J_NUM) {
				double ms = tc_json_double(&val);
				if (!(ms > 0) || !isfinite(ms)) {
					rc = tc_err_set(err, TC_EFORMAT,
							"%s: e2e_latency: not a latency", jpath);
					break;
				}
				tb->t.e2e_ns = ms * 1e6;
			}
		}
		if (r < 0 && rc == 0)
			rc = tc_err_set(err, TC_EFORMAT, "%s: malformed JSON", jpath);
	}
	free(buf);
	free(jpath);
	return rc;
}

int tc_optable_read(struct tc_optable **out, const char *path, struct tc_err *err)
{
	*out = NULL;
	struct tab *tb = tc_xcalloc(1, sizeof(*tb));
	tc_arena_init(&tb->arena, 1 << 16);
	tb->t.path = tc_arena_strdup(&tb->arena, path);
	tb->t.e2e_ns = NAN;
	struct csv c;
	memset(&c, 0, sizeof(c));
	c.path = path;
	c.next_line = 1;
	int rc = tc_input_read_all(path, path, &c.buf, &c.len, err);
	if (rc == 0) {
		rc = csv_next(&c, err);
		if (rc == 0)
			rc = tc_err_set(err, TC_EFORMAT, "%s: empty table", path);
	}
	if (rc > 0) {
		if (col_of(&c, "OPName") >= 0) {
			tb->t.layout = TC_OPTABLE_MICRO;
			rc = read_micro(tb, &c, err);
		} else if (col_of(&c, "target") >= 0 && col_of(&c, "op") >= 0) {
			tb->t.layout = TC_OPTABLE_MODEL;
			rc = model_meta(tb, path, err);
			if (rc == 0)
				rc = read_model(tb, &c, err);
		} else {
			rc = tc_err_set(err, TC_EFORMAT,
					"%s:1: neither a micro table (OPName, Latency) nor a model "
					"table (op, target, input_shapes, ...)",
					path);
		}
	}
	free(c.buf);
	if (rc == 0 && tb->t.n_rows == 0)
		rc = tc_err_set(err, TC_EFORMAT, "%s: no operator rows", path);
	if (rc == 0 && !tb->t.device)
		tb->t.device = "";
	if (rc < 0) {
		tc_optable_free(&tb->t);
		return rc;
	}
	*out = &tb->t;
	return 0;
}

void tc_optable_free(struct tc_optable *t)
{
	if (!t)
		return;
	struct tab *tb = (struct tab *)t; /* t is the first member */
	free(tb->t.rows);
	tc_arena_free(&tb->arena);
	free(tb);
}

double tc_optable_measured_total_ns(const struct tc_optable *t)
{
	double s = 0;
	for (size_t i = 0; i < t->n_rows; i++)
		s += t->rows[i].latency_ns * t->rows[i].repeat;
	return s;
}

/* ---- the adapter: a table -> an opstream ------------------------------------------------ */

static int optable_probe(const char *path, const uint8_t *head, size_t n)
{
	const char *h = (const char *)head;
	if (n >= 14 && memcmp(h, "OPName,Latency", 14) == 0)
		return 100;
	if (n >= 10 && memcmp(h, "op,target,", 10) == 0)
		return 100;
	if (tc_str_endswith(path, ".csv") || tc_str_endswith(path, ".csv.zst") ||
	    tc_str_endswith(path, ".csv.gz"))
		return 20;
	return 0;
}

static int write_table(struct tc_ops_writer *w, const struct tc_optable *t, uint32_t lane,
		       int64_t *ts, struct tc_ingest_stats *stats, struct tc_err *err)
{
	for (size_t i = 0; i < t->n_rows; i++) {
		const struct tc_optable_row *r = &t->rows[i];
		struct tc_op op;
		tc_op_init(&op);
		op.kind = TC_KIND_KERNEL;
		op.lane = lane;
		op.op_class = r->op_class;
		op.dtype = r->work.dtype;
		op.has_work = r->has_work;
		op.flops = r->work.flops;
		op.bytes_read = r->work.bytes_read;
		op.bytes_written = r->work.bytes_written;
		op.gemm_m = r->work.m > 0 ? (uint64_t)r->work.m : 0;
		op.gemm_n = r->work.n > 0 ? (uint64_t)r->work.n : 0;
		op.gemm_k = r->work.k > 0 ? (uint64_t)r->work.k : 0;
		op.gemm_batch = r->work.batch > 0 ? (uint64_t)r->work.batch : 0;
		if (r->backward)
			op.flags |= TC_FLAG_BACKWARD;
		char nm[512];
		snprintf(nm, sizeof(nm), "%s%s [%s]", r->name, r->backward ? " (backward)" : "",
			 r->dims);
		TC_TRY(tc_ops_writer_intern(w, nm, &op.name));
		op.dur_ns = (int64_t)llround(r->latency_ns);
		for (uint32_t k = 0; k < r->repeat; k++) {
			op.ts_ns = *ts;
			*ts += op.dur_ns;
			TC_TRY(tc_ops_writer_add(w, &op, NULL, err));
			if (stats) {
				stats->ops++;
				stats->kernels++;
			}
		}
	}
	return 0;
}

static int optable_run(const char *const *inputs, size_t n_inputs, const char *out_path,
		       const struct tc_ingest_opts *opts, struct tc_ingest_stats *stats,
		       struct tc_err *err)
{
	struct tc_optable **tabs = tc_xcalloc(n_inputs, sizeof(*tabs));
	int rc = 0;
	for (size_t i = 0; i < n_inputs && rc == 0; i++) {
		rc = tc_optable_read(&tabs[i], inputs[i], err);
		if (rc == 0 && i > 0 && strcmp(tabs[i]->device, tabs[0]->device) != 0)
			rc = tc_err_set(
			    err, TC_EINVAL,
			    "%s is from '%s' but %s is from '%s': one device per opstream",
			    inputs[i], tabs[i]->device, inputs[0], tabs[0]->device);
	}
	struct tc_ops_writer *w = NULL;
	if (rc == 0) {
		struct tc_device dev = {0, 0, TC_DEV_GPU, 0, tabs[0]->device, "", "", "", 0, 0};
		uint32_t rank0 = 0;
		struct tc_kv meta[2] = {
		    {"layout", tabs[0]->layout == TC_OPTABLE_MICRO ? "micro" : "model"},
		    {"tables", "NeuSight operator tables, ops back to back on one stream"},
		};
		struct tc_ops_header hdr;
		memset(&hdr, 0, sizeof(hdr));
		hdr.source_format = "optable";
		hdr.source_files = (const char **)inputs;
		hdr.n_source_files = n_inputs;
		hdr.devices = &dev;
		hdr.n_devices = 1;
		hdr.world_size = 1;
		hdr.ranks = &rank0;
		hdr.n_ranks = 1;
		hdr.meta = meta;
		hdr.n_meta = 2;
		struct tc_ops_writer_opts wo = TC_OPS_WRITER_OPTS_INIT;
		wo.chunk_ops = opts ? opts->chunk_ops : 0;
		rc = tc_ops_writer_open(&w, out_path, &hdr, &wo, err);
	}
	if (rc == 0) {
		struct tc_lane lane = {0, 0, 0, TC_LANE_GPU, 7, "stream 7"};
		uint32_t lid;
		int64_t ts = 0;
		rc = tc_ops_writer_lane(w, &lane, &lid);
		for (size_t i = 0; i < n_inputs && rc == 0; i++)
			rc = write_table(w, tabs[i], lid, &ts, stats, err);
		if (rc == 0) {
			rc = tc_ops_writer_close(w, err);
			w = NULL;
		}
	}
	if (w)
		tc_ops_writer_abort(w);
	if (rc == 0 && stats) {
		stats->ranks = 1;
		for (size_t i = 0; i < n_inputs; i++)
			stats->events += tabs[i]->n_rows;
	}
	for (size_t i = 0; i < n_inputs; i++)
		tc_optable_free(tabs[i]);
	free(tabs);
	return rc;
}

int tc_optable_check_mem(const void *buf, size_t len, struct tc_err *err)
{
	/* the fuzz entry: parse a micro or model table held in memory, writing nothing */
	struct tab *tb = tc_xcalloc(1, sizeof(*tb));
	tc_arena_init(&tb->arena, 1 << 12);
	tb->t.e2e_ns = NAN;
	struct csv c;
	memset(&c, 0, sizeof(c));
	c.path = "<memory>";
	c.next_line = 1;
	c.buf = tc_xmalloc(len + 1);
	memcpy(c.buf, buf, len);
	c.buf[len] = '\0';
	c.len = len;
	int rc = csv_next(&c, err);
	if (rc > 0) {
		if (col_of(&c, "OPName") >= 0)
			rc = read_micro(tb, &c, err);
		else if (col_of(&c, "target") >= 0 && col_of(&c, "op") >= 0) {
			/* both modes: the input's length picks one, so the fuzzer
			 * reaches the backward path too */
			tb->t.training = (int)(len & 1);
			tb->t.num_layers = 3;
			rc = read_model(tb, &c, err);
		} else
			rc = tc_err_set(err, TC_EFORMAT, "<memory>:1: not an operator table");
	}
	free(c.buf);
	if (rc >= 0 && tb->t.n_rows == 0)
		rc = tc_err_set(err, TC_EFORMAT, "<memory>: no operator rows");
	tc_optable_free(&tb->t);
	return rc < 0 ? rc : 0;
}

const struct tc_ingest_adapter tc_ingest_optable_adapter = {
    "optable",
    "NeuSight operator tables, micro or model layout (.csv, .csv.zst, .csv.gz)",
    optable_probe,
    optable_run,
};

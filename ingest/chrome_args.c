/* chrome_args.c - the fields of one Kineto event: its category's kind, the "args" object
 * read in one pass, Input Dims and Input type as shapes and dtypes, the convolution
 * parameters, the collective an op describes (args, or the dims of an nccl: annotation), and
 * flow events. chrome.c splits the stream into events and makes ops of what this reads. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "chrome.h"

enum ekind tc_chrome_kind_of_cat(const struct tc_jv *cat, struct rfile *f)
{
	const char *p = cat->p;
	size_t n = cat->n;
#define IS(lit) (n == sizeof(lit) - 1 && memcmp(p, lit, n) == 0)
	if (IS("cpu_op"))
		return E_CPU;
	if (IS("cuda_runtime") || IS("cuda_driver") || IS("hip_runtime") || IS("hip_driver"))
		return E_RUNTIME;
	if (IS("kernel"))
		return E_KERNEL;
	if (IS("python_function"))
		return E_PYTHON;
	if (IS("gpu_memcpy"))
		return E_MEMCPY;
	if (IS("gpu_memset"))
		return E_MEMSET;
	if (IS("user_annotation"))
		return E_ANNOT;
	if (IS("gpu_user_annotation"))
		return E_GPUANNOT;
	if (IS("cuda_sync"))
		return E_SYNC;
	if (IS("ac2g") || IS("async_cpu_to_gpu") || IS("fwdbwd") || IS("async"))
		return E_FLOW;
	/* 2021 schema: capitalised categories */
	if (IS("Operator")) {
		f->era2021 = 1;
		return E_CPU;
	}
	if (IS("Kernel")) {
		f->era2021 = 1;
		return E_KERNEL;
	}
	if (IS("Runtime")) {
		f->era2021 = 1;
		return E_RUNTIME;
	}
	if (IS("Memcpy")) {
		f->era2021 = 1;
		return E_MEMCPY;
	}
	if (IS("Memset")) {
		f->era2021 = 1;
		return E_MEMSET;
	}
	if (IS("User annotation") || IS("cpu_instant_event"))
		return E_ANNOT;
#undef IS
	return E_SKIP;
}

/* Parse "Input Dims" ([[a,b],[],[[..],[..]]]) and "Input type" into shapes + dtypes. */

static void parse_dims_slow(const struct tc_jv *v, struct inputs *in)
{
	const char *it = v->p, *end = v->p + v->n;
	struct tc_jv e, d;
	in->n = 0;
	while (in->n < MAX_IN && tc_json_next_elem(&it, end, &e) == 1) {
		struct tc_shape *s = &in->shapes[in->n];
		s->dims = in->dims[in->n];
		s->rank = 0;
		if (e.t == TC_J_ARR) {
			const char *it2 = e.p, *end2 = e.p + e.n;
			int ok = 1;
			while (tc_json_next_elem(&it2, end2, &d) == 1) {
				int64_t x;
				if (d.t != TC_J_NUM || tc_json_i64(&d, &x) < 0 ||
				    s->rank >= MAX_RANK) {
					ok = 0; /* TensorList: nested lists, no single shape */
					break;
				}
				in->dims[in->n][s->rank++] = x;
			}
			if (!ok)
				s->rank = 0;
		}
		in->n++;
	}
}

/* After a list element: 1 past a comma (p at the next element), 0 at the closing ']' (p on
 * it), -1 on anything else. */
static inline int list_next(const char **pp, const char *end)
{
	const char *p = tc_json_skip_ws(*pp, end);
	if (p < end && *p == ',') {
		*pp = tc_json_skip_ws(p + 1, end);
		return 1;
	}
	*pp = p;
	return p < end && *p == ']' ? 0 : -1;
}

/* The usual Input Dims, a list of lists of small integers, read in one walk over the
 * (already validated) text; anything else (a TensorList's nested lists, a number with a
 * fraction or an exponent, more than MAX_RANK dims) is read again by parse_dims_slow,
 * which then says the same as before for every input: tc_json_next_elem scanned each
 * inner list twice, 7% of an ingest. */
void tc_chrome_parse_dims(const struct tc_jv *v, struct inputs *in)
{
	const char *p = v->p, *end = v->p + v->n;
	in->n = 0;
	if (v->t != TC_J_ARR)
		goto slow;
	p = tc_json_skip_ws(p + 1, end);
	if (p < end && *p == ']')
		return;
	for (;;) {
		if (in->n >= MAX_IN)
			return;
		struct tc_shape *s = &in->shapes[in->n];
		s->dims = in->dims[in->n];
		s->rank = 0;
		if (p >= end || *p != '[')
			goto slow;
		p = tc_json_skip_ws(p + 1, end);
		if (p < end && *p == ']') {
			p++;
		} else {
			int more;
			do {
				int64_t x;
				if (s->rank >= MAX_RANK || tc_json_small_int(&p, end, &x) < 0)
					goto slow;
				in->dims[in->n][s->rank++] = x;
				if ((more = list_next(&p, end)) < 0)
					goto slow;
			} while (more);
			p++;
		}
		in->n++;
		int more = list_next(&p, end);
		if (more < 0)
			goto slow;
		if (!more)
			return;
	}
slow:
	parse_dims_slow(v, in);
}

static uint8_t dtype_memo(struct rctx *c, const struct tc_jv *e)
{
	char buf[64];
	if (e->t == TC_J_STR && !e->esc && e->n < sizeof(c->dtmemo[0].s)) {
		for (unsigned i = 0; i < c->ndtmemo; i++)
			if (c->dtmemo[i].len == e->n && memcmp(c->dtmemo[i].s, e->p, e->n) == 0)
				return c->dtmemo[i].dt;
	}
	tc_json_str(e, buf, sizeof(buf));
	uint8_t dt = (uint8_t)tc_dtype_of_name(buf);
	if (e->t == TC_J_STR && !e->esc && e->n < sizeof(c->dtmemo[0].s) &&
	    c->ndtmemo < TC_ARRAY_LEN(c->dtmemo)) {
		c->dtmemo[c->ndtmemo].len = (uint8_t)e->n;
		c->dtmemo[c->ndtmemo].dt = dt;
		memcpy(c->dtmemo[c->ndtmemo].s, e->p, e->n);
		c->ndtmemo++;
	}
	return dt;
}

void tc_chrome_parse_types(struct rctx *c, const struct tc_jv *v, struct inputs *in)
{
	const char *it = v->p, *end = v->p + v->n;
	struct tc_jv e;
	size_t i = 0;
	memset(in->dtypes, 0, sizeof(in->dtypes));
	while (i < MAX_IN && tc_json_next_elem_fast(&it, end, &e) == 1)
		in->dtypes[i++] = dtype_memo(c, &e);
}

/* "[2, 2]" -> {2, 2}; returns the count. */
static int int_list(const struct tc_jv *v, int64_t *out, int max)
{
	char buf[128];
	int n = 0;
	tc_json_str(v, buf, sizeof(buf));
	for (char *p = buf; *p && n < max;) {
		if (isdigit((unsigned char)*p) || *p == '-') {
			out[n++] = strtoll(p, &p, 10);
		} else {
			p++;
		}
	}
	return n;
}

/* Concrete Inputs of aten::convolution / _convolution:
 * (input, weight, bias, stride, padding, dilation, transposed, output_padding, groups). */
void tc_chrome_parse_conv_concrete(const struct tc_jv *v, const char *opname, struct inputs *in)
{
	const char *it = v->p, *end = v->p + v->n;
	struct tc_jv e;
	struct tc_jv vals[12];
	int n = 0;
	memset(&in->conv, 0, sizeof(in->conv));
	while (n < 12 && tc_json_next_elem(&it, end, &e) == 1)
		vals[n++] = e;
	int conv_full = strstr(opname, "convolution") != NULL && !strstr(opname, "backward");
	if (n < 6)
		return;
	int k = int_list(&vals[3], in->conv.stride, 3);
	if (k <= 0)
		return;
	in->conv.n_spatial = k;
	if (int_list(&vals[4], in->conv.pad, 3) != k)
		in->conv.pad[0] = -1, in->conv.n_spatial = 0;
	int_list(&vals[5], in->conv.dilation, 3);
	if (conv_full && n >= 8) {
		char b[16];
		tc_json_str(&vals[6], b, sizeof(b));
		in->conv.transposed = strcmp(b, "True") == 0 || strcmp(b, "true") == 0;
		int_list(&vals[7], in->conv.output_pad, 3);
	}
	in->has_conv = in->conv.n_spatial > 0;
}

/* Reads the args object at *pp (validating it) and leaves *pp past it. */
int tc_chrome_parse_args_at(const char **pp, const char *end, struct argf *a)
{
	struct tc_jv k, v;
	int r, first = 1;
	a->has = 0;
	while ((r = tc_chrome_next_key(pp, end, &first, &k)) == 1) {
		int rv = tc_json_value_fast(pp, end, &v);
		if (rv < 0)
			return rv;
		if (k.n < 4)
			continue;
		switch (k.p[0]) {
		case 'c':
			if (TC_JKEY(&k, "correlation"))
				a->corr = v, a->has |= A_CORR;
			else if (TC_JKEY(&k, "cuda_sync_kind"))
				a->sync_kind = v, a->has |= A_SYNCK;
			break;
		case 'C':
			if (TC_JKEY(&k, "Collective name"))
				a->coll = v, a->has |= A_COLL;
			else if (TC_JKEY(&k, "Concrete Inputs"))
				a->concrete = v, a->has |= A_CONCRETE;
			else if (TC_JKEY(&k, "Correlation"))
				a->corr = v, a->has |= A_CORR;
			break;
		case 'E':
			if (TC_JKEY(&k, "External id"))
				a->ext = v, a->has |= A_EXT;
			else if (TC_JKEY(&k, "Ev Idx"))
				a->evidx = v, a->has |= A_EVIDX;
			break;
		case 'e':
			if (TC_JKEY(&k, "external id"))
				a->ext = v, a->has |= A_EXT;
			break;
		case 's':
			if (TC_JKEY(&k, "stream"))
				a->stream = v, a->has |= A_STREAM;
			break;
		case 'd':
			if (TC_JKEY(&k, "device"))
				a->device = v, a->has |= A_DEVICE;
			else if (TC_JKEY(&k, "dtype"))
				a->dtype = v, a->has |= A_DTYPE;
			break;
		case 'I':
			if (TC_JKEY(&k, "Input Dims") || TC_JKEY(&k, "Input dims"))
				a->dims = v, a->has |= A_DIMS;
			else if (TC_JKEY(&k, "Input type"))
				a->types = v, a->has |= A_TYPES;
			else if (TC_JKEY(&k, "In msg nelems"))
				a->nelems = v, a->has |= A_NELEMS;
			break;
		case 'O':
			if (TC_JKEY(&k, "Out msg nelems"))
				a->out_nelems = v, a->has |= A_ONELEMS;
			break;
		case 'T': /* [memory] events (profile_memory=True) */
			if (TC_JKEY(&k, "Total Allocated"))
				a->total_alloc = v, a->has |= A_TOTALLOC;
			break;
		case 'D':
			if (TC_JKEY(&k, "Device Type"))
				a->dev_type = v, a->has |= A_DEVTYPE;
			break;
		case 'G':
			if (TC_JKEY(&k, "Group size"))
				a->gsize = v, a->has |= A_GSIZE;
			break;
		case 'P':
			if (TC_JKEY(&k, "Process Group Name"))
				a->pgname = v, a->has |= A_PGNAME;
			else if (TC_JKEY(&k, "Process Group Ranks"))
				a->pgranks = v, a->has |= A_PGRANKS;
			break;
		case 'w':
			if (TC_JKEY(&k, "wait_on_stream"))
				a->wait_stream = v, a->has |= A_WAITS;
			else if (TC_JKEY(&k, "wait_on_cuda_event_record_corr_id"))
				a->rec_corr = v, a->has |= A_RECCORR;
			break;
		case 'b':
			if (TC_JKEY(&k, "bytes"))
				a->bytes = v, a->has |= A_BYTES;
			break;
		case 'n':
			if (TC_JKEY(&k, "name"))
				a->mname = v, a->has |= A_NAME;
			break;
		default:
			break;
		}
	}
	return r;
}

int64_t tc_chrome_arg_i64(const struct tc_jv *v, int64_t dflt)
{
	int64_t x;
	if (v->t == TC_J_NUM && tc_json_i64(v, &x) == 0)
		return x;
	if (v->t == TC_J_STR && tc_json_i64(v, &x) == 0)
		return x;
	return dflt;
}

uint64_t tc_chrome_arg_u64(const struct tc_jv *v)
{
	uint64_t x;
	/* ids and correlations are mostly a few plain digits: read here, as tc_json_u64 does */
	int64_t small;
	if ((v->t == TC_J_NUM || v->t == TC_J_STR) && !v->esc && v->n && *v->p != '-' &&
	    tc_json_slice_int(v->p, v->n, &small) == 0)
		return (uint64_t)small;
	if ((v->t == TC_J_NUM || v->t == TC_J_STR) && tc_json_u64(v, &x) == 0)
		return x;
	int64_t y;
	if (v->t == TC_J_NUM && tc_json_i64(v, &y) == 0)
		return (uint64_t)y; /* -1 etc.: kept as bits */
	return 0;
}

/* Number of integers in a string or array value, the first max of them stored. */
int tc_chrome_count_ints(const struct tc_jv *v, int64_t *out, int max)
{
	int n = 0;
	const char *p = v->p, *e = v->p + v->n;
	while (p < e) {
		if ((*p >= '0' && *p <= '9') ||
		    (*p == '-' && p + 1 < e && p[1] >= '0' && p[1] <= '9')) {
			int neg = *p == '-';
			int64_t x = 0;
			p += neg;
			while (p < e && *p >= '0' && *p <= '9') {
				if (x < INT64_MAX / 10)
					x = x * 10 + (*p - '0');
				p++;
			}
			if (n < max)
				out[n] = neg ? -x : x;
			n++;
		} else {
			p++;
		}
	}
	return n;
}

void tc_chrome_coll_from_args(struct rctx *c, const struct argf *a, struct rext *x)
{
	char buf[256];
	if (a->has & A_COLL) {
		tc_json_str(&a->coll, buf, sizeof(buf));
		x->coll_kind = (uint8_t)tc_coll_of_name(buf);
	}
	if (a->has & A_NELEMS)
		x->coll_nelems = tc_chrome_arg_u64(&a->nelems);
	if (a->has & A_ONELEMS)
		x->coll_out_nelems = tc_chrome_arg_u64(&a->out_nelems);
	if (a->has & A_GSIZE) {
		x->coll_group_size = (uint32_t)tc_chrome_arg_i64(&a->gsize, 0);
	} else if (a->has & A_PGRANKS) {
		/* "[0, 1, 2, 3]": as many ranks as numbers ("[]" tells nothing) */
		int64_t r[1];
		x->coll_group_size = (uint32_t)tc_chrome_count_ints(&a->pgranks, r, 1);
	}
	if (a->has & A_DTYPE) {
		tc_json_str(&a->dtype, buf, sizeof(buf));
		x->coll_dtype = (uint8_t)tc_dtype_of_name(buf);
	}
	if (a->has & A_PGNAME)
		x->coll_group = tc_chrome_intern_jv(c, &a->pgname);
	else if (a->has & A_PGRANKS)
		x->coll_group = tc_chrome_intern_jv(c, &a->pgranks);
	if (x->coll_nelems && tc_dtype_size(x->coll_dtype))
		x->coll_bytes = x->coll_nelems * tc_dtype_size(x->coll_dtype);
	x->has_coll = (a->has & (A_COLL | A_NELEMS | A_ONELEMS | A_GSIZE)) != 0;
}

/* Collective ops of traces without collective args (PyTorch before 2.1: DLRM's
 * nccl:all_to_all / nccl:all_reduce annotations and record_param_comms) still record their
 * tensor in Input Dims: the first input with a shape and a sized type is the message
 * (the flattened bucket of an all-reduce, the input of an all-to-all). Returns 0, or -1
 * when out of memory. */
int tc_chrome_coll_from_dims(struct rctx *c, struct rfile *f, struct rop *op,
			     const struct rname *nf, const struct argf *a)
{
	if ((a->has & (A_DIMS | A_TYPES)) != (A_DIMS | A_TYPES) || (a->has & A_NELEMS))
		return 0;
	unsigned kind = nf->coll;
	if (!kind && !(nf->flags & RN_RPC))
		return 0;
	struct inputs in;
	memset(&in, 0, sizeof(in));
	tc_chrome_parse_dims(&a->dims, &in);
	tc_chrome_parse_types(c, &a->types, &in);
	uint64_t ne = 0;
	uint8_t dt = TC_DT_UNKNOWN;
	for (size_t i = 0; i < in.n && !ne; i++) {
		if (!in.shapes[i].rank || !tc_dtype_size(in.dtypes[i]))
			continue;
		uint64_t p = 1;
		for (uint32_t d = 0; d < in.shapes[i].rank && p; d++) {
			int64_t x = in.dims[i][d];
			if (x < 0 || __builtin_mul_overflow(p, (uint64_t)x, &p) || p > (1ull << 48))
				p = 0; /* unknown or absurd: no size rather than a wrong one */
		}
		ne = p;
		dt = in.dtypes[i];
	}
	if (!ne)
		return 0;
	struct rext *x = tc_chrome_new_ext(f, op);
	if (!x)
		return -1;
	x->coll_nelems = ne;
	x->coll_dtype = dt;
	x->coll_bytes = ne * tc_dtype_size(dt);
	if (!x->coll_kind)
		x->coll_kind = (uint8_t)kind;
	x->has_coll = 1;
	return 0;
}

/* Input Dims go to the opstream as the op's shapes (packed: n, then rank and dims of each
 * input; TensorLists and scalars have rank 0), as LEB128 varints with dims zigzag-coded, so
 * -1 (unknown) is one byte. */
int tc_chrome_keep_shapes(struct rfile *f, struct rop *op, const struct inputs *in)
{
	size_t need = f->nshp + 10 * (1 + in->n);
	for (size_t i = 0; i < in->n; i++)
		need += 10 * in->shapes[i].rank;
	uint8_t *ns = tc_chrome_grow_big(f->shp, &f->shpcap, need, 1, &f->big_shp);
	struct rwork *w = ns ? tc_chrome_new_work(f, op) : NULL;
	if (!w)
		return -1;
	f->shp = ns;
	w->shapes = f->nshp + 1;
	f->nshp += tc_varint_put(f->shp + f->nshp, in->n);
	for (size_t i = 0; i < in->n; i++) {
		f->nshp += tc_varint_put(f->shp + f->nshp, in->shapes[i].rank);
		for (uint32_t d = 0; d < in->shapes[i].rank; d++)
			f->nshp +=
			    tc_varint_put(f->shp + f->nshp, tc_zigzag(in->shapes[i].dims[d]));
	}
	return 0;
}

/* Second pass: an ac2g flow start (runtime side) or end (GPU side) at the place and time
 * of an op without a correlation gives it the flow's id. */
int tc_chrome_flow_event(struct rfile *f, const struct evf *e)
{
	uint64_t id, at;
	int64_t ts;
	if (!e->has_ph || e->ph.n != 1 || (e->ph.p[0] != 's' && e->ph.p[0] != 'f') || !e->has_cat ||
	    !(TC_JKEY(&e->cat, "ac2g") || TC_JKEY(&e->cat, "async_cpu_to_gpu")) || !e->has_id ||
	    !e->has_ts || tc_json_us_to_ns(&e->ts, &ts) < 0)
		return 0;
	id = tc_chrome_arg_u64(&e->id);
	if (!id ||
	    !tc_map64_get(&f->nocorr,
			  tc_chrome_place(e->has_pid ? tc_chrome_id_of(&e->pid) : 0,
					  e->has_tid ? tc_chrome_id_of(&e->tid) : 0, ts),
			  &at) ||
	    (at & ~(1ull << 63)) == 0)
		return 0;
	uint64_t seq = (at & ~(1ull << 63)) - 1;
	if (tc_map64_get(&f->flowcorr, seq, NULL))
		return 0;
	struct rcorr *rc = tc_chrome_corr(f, id);
	if (!rc || tc_map64_put(&f->flowcorr, seq, id) < 0)
		return -1;
	if (at >> 63)
		rc->rt += rc->rt < 255;
	else
		rc->gpu += rc->gpu < 255;
	f->flow_linked++;
	return 0;
}

/* chrome.c - streaming parse of a Kineto / Chrome trace-event JSON file into compact ops.
 *
 * A splitter walks the top level (object or bare array) through a sliding buffer, isolates
 * one value at a time (each event, each top-level member) and hands its slice to the JSON
 * scanner; memory is the buffer plus the compact ops, never the document. */
#include <ctype.h>
#include <pthread.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "chrome.h"

#define JS_BUF0 (1u << 20)
#define JS_MAX_VALUE (1ull << 30) /* one event or top-level member larger than this: error */

struct jstream {
	struct tc_input *in;
	char *buf;
	size_t cap, len, pos;
	uint64_t base_off; /* uncompressed offset of buf[0] */
	int eof;
};

static int js_fill(struct jstream *js, struct tc_err *err)
{
	size_t got;
	if (js->pos > 0) {
		memmove(js->buf, js->buf + js->pos, js->len - js->pos);
		js->len -= js->pos;
		js->base_off += js->pos;
		js->pos = 0;
	}
	if (js->len == js->cap) {
		if (js->cap >= JS_MAX_VALUE)
			return tc_err_set(err, TC_EFORMAT,
					  "%s: byte %llu: a single JSON value is larger than 1 GiB",
					  tc_input_name(js->in), (unsigned long long)js->base_off);
		char *nb = realloc(js->buf, js->cap * 2);
		if (!nb)
			return tc_err_set(err, TC_ENOMEM, "out of memory");
		js->buf = nb;
		js->cap *= 2;
	}
	TC_TRY(tc_input_read(js->in, js->buf + js->len, js->cap - js->len, &got, err));
	if (got == 0)
		js->eof = 1;
	js->len += got;
	return 0;
}

/* Next non-blank byte (not consumed), or -1 at the end. */
static int js_peek(struct jstream *js, struct tc_err *err, int *c)
{
	for (;;) {
		while (js->pos < js->len) {
			char ch = js->buf[js->pos];
			if (ch != ' ' && ch != '\n' && ch != '\r' && ch != '\t') {
				*c = (unsigned char)ch;
				return 0;
			}
			js->pos++;
		}
		if (js->eof) {
			*c = -1;
			return 0;
		}
		TC_TRY(js_fill(js, err));
	}
}

static uint64_t js_off(const struct jstream *js)
{
	return js->base_off + js->pos;
}

/* One complete value at pos, refilling as needed. Objects and arrays are only delimited
 * here (string-aware bracket matching); whoever reads them validates as it goes. */
static int js_value(struct jstream *js, struct tc_jv *v, const char *what, struct tc_err *err)
{
	for (;;) {
		const char *p = js->buf + js->pos, *end = js->buf + js->len;
		int rc;
		if (p < end && (*p == '{' || *p == '[')) {
			const char *s = p;
			rc = tc_json_span(&p, end);
			if (rc == 0) {
				v->p = s;
				v->n = (size_t)(p - s);
				v->t = *s == '{' ? TC_J_OBJ : TC_J_ARR;
				v->esc = 0;
				js->pos = (size_t)(p - js->buf);
				return 0;
			}
			p = end; /* incomplete */
		} else {
			rc = tc_json_value(&p, end, v);
		}
		if (rc == 0 && (p < end || js->eof)) {
			js->pos = (size_t)(p - js->buf);
			return 0;
		}
		if (rc == TC_JSON_TOO_DEEP)
			return tc_err_set(
			    err, TC_EFORMAT,
			    "%s: byte %llu: %s nests objects or arrays "
			    "deeper than %d levels",
			    tc_input_name(js->in),
			    (unsigned long long)(js->base_off + (size_t)(p - js->buf)), what,
			    TC_JSON_MAX_DEPTH);
		if (rc < 0 && p < end)
			return tc_err_set(
			    err, TC_EFORMAT, "%s: byte %llu: malformed JSON in %s",
			    tc_input_name(js->in),
			    (unsigned long long)(js->base_off + (size_t)(p - js->buf)), what);
		if (js->eof)
			return tc_err_set(err, TC_ETRUNC, "%s: byte %llu: truncated JSON in %s",
					  tc_input_name(js->in),
					  (unsigned long long)(js->base_off + js->len), what);
		TC_TRY(js_fill(js, err));
	}
}

static int js_expect(struct jstream *js, char want, const char *what, struct tc_err *err)
{
	int c;
	TC_TRY(js_peek(js, err, &c));
	if (c == want) {
		js->pos++;
		return 0;
	}
	if (c < 0)
		return tc_err_set(
		    err, TC_ETRUNC, "%s: byte %llu: truncated JSON (expected '%c' %s)",
		    tc_input_name(js->in), (unsigned long long)js_off(js), want, what);
	return tc_err_set(err, TC_EFORMAT, "%s: byte %llu: expected '%c' %s, found '%c'",
			  tc_input_name(js->in), (unsigned long long)js_off(js), want, what,
			  isprint(c) ? c : '?');
}

/* ---- small helpers ------------------------------------------------------------------- */

static void *grow(void *p, size_t *cap, size_t need, size_t elem)
{
	if (need <= *cap)
		return p;
	void *q = p;
	if (tc_grow(&q, cap, need, elem) < 0)
		return NULL;
	return q;
}

/* The four per-op arrays (ops, work, gemm dims, shapes) are written front to back and
 * reach hundreds of MB. Each is one reservation of address space made up front (no
 * realloc copies; pages are only backed when touched) with huge pages asked for: with
 * 4 KiB pages the first-touch faults were ~13% of the run on a VM. Where the reservation
 * is refused (overcommit off, address-space limit) they fall back to realloc. */
#define BIG_RESERVE ((size_t)1 << 36)

void *tc_chrome_grow_big(void *p, size_t *cap, size_t need, size_t elem, uint8_t *mapped)
{
	if (need <= *cap)
		return p;
	if (!p && elem && need <= BIG_RESERVE / elem) {
		void *m = mmap(NULL, BIG_RESERVE, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (m != MAP_FAILED) {
#ifdef MADV_HUGEPAGE
			madvise(m, BIG_RESERVE, MADV_HUGEPAGE);
#endif
			*mapped = 1;
			*cap = BIG_RESERVE / elem;
			return m;
		}
	}
	if (*mapped)
		return NULL; /* 64 GiB of one array: give up */
	return grow(p, cap, need, elem);
}

void tc_chrome_big_free(void *p, uint8_t mapped)
{
	if (mapped && p)
		munmap(p, BIG_RESERVE);
	else
		free(p);
}

static unsigned name_slot(const char *p, size_t n)
{
	uint64_t a = 0, b = 0, m = 0;
	if (n >= 8) {
		memcpy(&a, p, 8);
		memcpy(&m, p + n / 2 - 4, 8);
		memcpy(&b, p + n - 8, 8);
	} else {
		for (size_t i = 0; i < n; i++)
			a = a << 8 | (unsigned char)p[i];
	}
	uint64_t h = (a * 0x9e3779b97f4a7c15ull) ^ (m * 0xc2b2ae3d27d4eb4full) ^
		     (b * 0x165667b19e3779f9ull) ^ n;
	h ^= h >> 29;
	return (unsigned)((h * 0xbf58476d1ce4e5b9ull) >> 55); /* 9 bits */
}

uint32_t tc_chrome_intern_jv(struct rctx *c, const struct tc_jv *v)
{
	uint32_t id = 0;
	if (v->t != TC_J_STR)
		return 0;
	if (!v->esc) {
		unsigned slot = name_slot(v->p, v->n);
		uint32_t hit = c->name_cache[slot];
		if (hit && hit <= c->names.n && c->names.lens[hit - 1] == v->n &&
		    memcmp(c->names.strs[hit - 1], v->p, v->n) == 0)
			return hit - 1;
		if (tc_strtab_intern(&c->names, v->p, v->n, &id) < 0)
			return 0;
		c->name_cache[slot] = id + 1;
		return id;
	}
	char *buf = malloc(v->n + 1);
	if (!buf)
		return 0;
	size_t n = tc_json_str(v, buf, v->n + 1);
	tc_strtab_intern(&c->names, buf, n, &id);
	free(buf);
	return id;
}

/* Correlations are dense in practice (Kineto counts them up): a direct table, grown
 * while it stays under 8 slots per id seen; outliers (hand-made or 64-bit ids) go to a
 * hash map. */
struct rcorr *tc_chrome_corr(struct rfile *f, uint64_t corr)
{
	uint64_t v;
	if (!f->corrs) {
		f->corr_cap = 4096;
		f->corr_lo = corr > 64 ? corr - 64 : 0;
		f->corrs = calloc(f->corr_cap, sizeof(*f->corrs));
		if (!f->corrs)
			return NULL;
	}
	if (corr >= f->corr_lo && corr - f->corr_lo < f->corr_cap) {
		f->corr_n++;
		return &f->corrs[corr - f->corr_lo];
	}
	if (corr >= f->corr_lo && corr - f->corr_lo < 8 * (f->corr_n + 4096)) {
		size_t ncap = f->corr_cap;
		while (ncap <= corr - f->corr_lo)
			ncap *= 2;
		struct rcorr *nc = realloc(f->corrs, ncap * sizeof(*nc));
		if (!nc)
			return NULL;
		memset(nc + f->corr_cap, 0, (ncap - f->corr_cap) * sizeof(*nc));
		f->corrs = nc;
		f->corr_cap = ncap;
		f->corr_n++;
		return &f->corrs[corr - f->corr_lo];
	}
	if (tc_map64_get(&f->corr_far, corr, &v))
		return &f->far[v];
	struct rcorr *nf = grow(f->far, &f->farcap, f->nfar + 1, sizeof(*nf));
	if (!nf || tc_map64_put(&f->corr_far, corr, f->nfar) < 0)
		return NULL;
	f->far = nf;
	memset(&f->far[f->nfar], 0, sizeof(*f->far));
	return &f->far[f->nfar++];
}

/* ---- runtime call sub-kinds ----------------------------------------------------------- */

static unsigned rt_sub(const char *n)
{
	if (strstr(n, "GraphLaunch"))
		return TC_RT_GRAPH_LAUNCH;
	if (strstr(n, "LaunchKernel") || strstr(n, "LaunchCooperativeKernel") ||
	    strstr(n, "cuLaunchKernel") || strstr(n, "LaunchKernelEx"))
		return TC_RT_LAUNCH;
	if (strstr(n, "Memcpy"))
		return strstr(n, "Async") || strstr(n, "WithStream") ? TC_RT_MEMCPY_ASYNC
								     : TC_RT_MEMCPY;
	if (strstr(n, "Memset"))
		return TC_RT_MEMSET;
	if (strstr(n, "DeviceSynchronize") || strstr(n, "CtxSynchronize"))
		return TC_RT_DEVICE_SYNC;
	if (strstr(n, "StreamSynchronize"))
		return TC_RT_STREAM_SYNC;
	if (strstr(n, "EventSynchronize"))
		return TC_RT_EVENT_SYNC;
	if (strstr(n, "EventRecord"))
		return TC_RT_EVENT_RECORD;
	if (strstr(n, "StreamWaitEvent"))
		return TC_RT_STREAM_WAIT_EVENT;
	return TC_RT_OTHER;
}

static unsigned copy_dir(const char *n)
{
	if (strstr(n, "HtoD"))
		return TC_COPY_H2D;
	if (strstr(n, "DtoH"))
		return TC_COPY_D2H;
	if (strstr(n, "DtoD"))
		return TC_COPY_D2D;
	if (strstr(n, "PtoP") || strstr(n, "Peer"))
		return TC_COPY_P2P;
	return TC_COPY_UNKNOWN;
}

static const struct rname *name_facts(struct rctx *c, uint32_t id)
{
	static const struct rname none = {RN_KNOWN, TC_CLASS_OTHER, TC_CLASS_OTHER, TC_RT_OTHER, 0,
					  0};
	if (id >= c->facts_cap) {
		size_t ncap = c->facts_cap ? c->facts_cap : 1024;
		while (ncap <= id)
			ncap *= 2;
		struct rname *nf = realloc(c->facts, ncap * sizeof(*nf));
		if (!nf)
			return &none;
		memset(nf + c->facts_cap, 0, (ncap - c->facts_cap) * sizeof(*nf));
		c->facts = nf;
		c->facts_cap = ncap;
	}
	struct rname *r = &c->facts[id];
	if (!(r->flags & RN_KNOWN)) {
		const char *nm = tc_strtab_get(&c->names, id);
		r->flags = RN_KNOWN;
		r->cls = (uint8_t)tc_opclass_of_op(nm);
		r->kcls = (uint8_t)tc_opclass_of_kernel(nm);
		r->rt = (uint8_t)rt_sub(nm);
		r->copy = (uint8_t)copy_dir(nm);
		r->work = (uint16_t)tc_work_key(nm);
		if (strncmp(nm, "hip", 3) == 0)
			r->flags |= RN_HIP;
		if (strstr(nm, "Cijk_"))
			r->flags |= RN_CIJK;
		if (strncmp(nm, "ProfilerStep#", 13) == 0)
			r->flags |= RN_STEP;
		if (strstr(nm, "Backward") || strstr(nm, "backward"))
			r->flags |= RN_BACKWARD;
		if (strstr(nm, "backward"))
			r->flags |= RN_LBACKWARD;
		if (strcmp(nm, "record_param_comms") == 0)
			r->flags |= RN_RPC;
		r->coll = (uint8_t)tc_coll_of_name(nm);
	}
	return r;
}

/* tid / pid may be an integer or a string: "stream 7" -> 7, other strings hashed so the
 * thread is still told apart. */
int64_t tc_chrome_id_of(const struct tc_jv *v)
{
	int64_t x;
	/* the usual pid or tid: a few digits, read here as tc_json_i64 reads them */
	if (v->t == TC_J_NUM && tc_json_slice_int(v->p, v->n, &x) == 0)
		return x;
	if (v->t == TC_J_NUM && tc_json_i64(v, &x) == 0)
		return x;
	if (v->t == TC_J_STR) {
		size_t i = 0;
		while (i < v->n && !isdigit((unsigned char)v->p[i]) && v->p[i] != '-')
			i++;
		struct tc_jv d = {v->p + i, v->n - i, TC_J_NUM, 0};
		if (i < v->n && tc_json_i64(&d, &x) == 0)
			return x;
		return (int64_t)(tc_hash64(v->p, v->n, 7) >> 2);
	}
	return 0;
}

uint32_t tc_chrome_lane(struct rfile *f, int gpu, int64_t a, int64_t b)
{
	/* Through a hash of (gpu, a, b): a trace may have tens of thousands of streams, and a
	 * scan per event made ingest quadratic (issue 19: 200,000 streams took 18 s). A key
	 * shared by two lanes (a hash collision) falls back to the scan. */
	/* lanes are never duplicated, so a matching last one is the one */
	uint32_t last = f->lane_last[gpu != 0];
	if (last < f->nlanes && f->lanes[last].gpu == gpu && f->lanes[last].a == a &&
	    f->lanes[last].b == b)
		return last;
	uint64_t key = tc_hash_u64(tc_hash_u64((uint64_t)a) ^
				   ((uint64_t)b * 0x9e3779b97f4a7c15ULL) ^ (uint64_t)gpu);
	uint64_t ix;
	int known = tc_map64_get(&f->lane_ix, key, &ix);
	if (known && f->lanes[ix].gpu == gpu && f->lanes[ix].a == a && f->lanes[ix].b == b)
		return f->lane_last[gpu != 0] = (uint32_t)ix;
	if (known)
		for (size_t i = f->nlanes; i-- > 0;)
			if (f->lanes[i].gpu == gpu && f->lanes[i].a == a && f->lanes[i].b == b)
				return f->lane_last[gpu != 0] = (uint32_t)i;
	struct rlane *nl = grow(f->lanes, &f->lanecap, f->nlanes + 1, sizeof(*nl));
	if (!nl)
		return 0;
	if (!known && tc_map64_put(&f->lane_ix, key, f->nlanes) < 0)
		return 0; /* as for the allocation above: lane 0, the caller's out-of-memory path */
	f->lanes = nl;
	memset(&f->lanes[f->nlanes], 0, sizeof(struct rlane));
	f->lanes[f->nlanes].gpu = gpu;
	f->lanes[f->nlanes].a = a;
	f->lanes[f->nlanes].b = b;
	return (uint32_t)f->nlanes++;
}

struct rext *tc_chrome_new_ext(struct rfile *f, struct rop *op)
{
	if (op->xi)
		return &f->ext[op->xi - 1];
	struct rext *ne = grow(f->ext, &f->extcap, f->next + 1, sizeof(*ne));
	if (!ne)
		return NULL;
	f->ext = ne;
	memset(&f->ext[f->next], 0, sizeof(struct rext));
	op->xi = (uint32_t)++f->next;
	return &f->ext[f->next - 1];
}

struct rwork *tc_chrome_new_work(struct rfile *f, struct rop *op)
{
	if (op->wi)
		return &f->work[op->wi - 1];
	struct rwork *nw =
	    tc_chrome_grow_big(f->work, &f->workcap, f->nwork + 1, sizeof(*nw), &f->big_work);
	if (!nw)
		return NULL;
	f->work = nw;
	memset(&f->work[f->nwork], 0, sizeof(struct rwork));
	op->wi = (uint32_t)++f->nwork;
	return &f->work[f->nwork - 1];
}

/* ---- one event ------------------------------------------------------------------------- */

#define NEED_MORE 1 /* handle_event: the event runs past the buffer; refill and retry */

/* A scan that failed this close to the end of the buffer may just be cut by it (a literal
 * or a \u escape split across two reads): read more before calling the JSON malformed. */
#define CUT_SLACK 8

/* The members of one event object at *pp (args picked apart in the same pass) into e and a.
 * Returns 0 with *pp past the object, NEED_MORE when the object may be cut by the end of
 * the buffer, or a negative TC_E* with err filled. */
static int read_event(struct rfile *f, const char **pp, const char *end, int eof, uint64_t idx,
		      uint64_t off, struct evf *e, struct argf *a, struct tc_err *err)
{
	struct tc_jv k, v;
	const char *it = *pp, *ev0 = *pp;
	int r, first = 1;

	/* only the flags: every field is read under its flag (the values are 216 bytes) */
	e->has_ph = e->has_cat = e->has_name = e->has_pid = e->has_tid = 0;
	e->has_ts = e->has_dur = e->has_args = e->has_id = 0;
	a->has = 0;
	while ((r = tc_chrome_next_key(&it, end, &first, &k)) == 1) {
		if (k.n == 4 && memcmp(k.p, "args", 4) == 0 && it < end && *it == '{') {
			const char *s0 = it;
			int ra = tc_chrome_parse_args_at(&it, end, a);
			if (ra < 0) {
				r = ra;
				break;
			}
			e->args.p = s0;
			e->args.n = (size_t)(it - s0);
			e->args.t = TC_J_OBJ;
			e->args.esc = 0;
			e->has_args = 1;
			continue;
		}
		int rv = tc_json_value_fast(&it, end, &v);
		if (rv < 0) {
			r = rv;
			break;
		}
		if (k.n == 2 && k.p[0] == 'p' && k.p[1] == 'h')
			e->ph = v, e->has_ph = 1;
		else if (k.n == 2 && k.p[0] == 't' && k.p[1] == 's')
			e->ts = v, e->has_ts = 1;
		else if (TC_JKEY(&k, "cat"))
			e->cat = v, e->has_cat = 1;
		else if (TC_JKEY(&k, "name"))
			e->name = v, e->has_name = 1;
		else if (TC_JKEY(&k, "pid"))
			e->pid = v, e->has_pid = 1;
		else if (TC_JKEY(&k, "tid"))
			e->tid = v, e->has_tid = 1;
		else if (TC_JKEY(&k, "dur"))
			e->dur = v, e->has_dur = 1;
		else if (TC_JKEY(&k, "args"))
			e->args = v, e->has_args = 1;
		else if (k.n == 2 && k.p[0] == 'i' && k.p[1] == 'd')
			e->id = v, e->has_id = 1;
	}
	if (r < 0) {
		if (end - it <= CUT_SLACK) {
			if (!eof)
				return NEED_MORE;
			return tc_err_set(err, TC_ETRUNC,
					  "%s: byte %llu: truncated JSON in event %llu", f->path,
					  (unsigned long long)(off + (uint64_t)(end - ev0)),
					  (unsigned long long)idx);
		}
		if (r == TC_JSON_TOO_DEEP)
			return tc_err_set(err, TC_EFORMAT,
					  "%s: byte %llu: event %llu nests objects or "
					  "arrays deeper than %d levels",
					  f->path, (unsigned long long)(off + (uint64_t)(it - ev0)),
					  (unsigned long long)idx, TC_JSON_MAX_DEPTH);
		return tc_err_set(err, TC_EFORMAT, "%s: byte %llu: malformed JSON in event %llu",
				  f->path, (unsigned long long)(off + (uint64_t)(it - ev0)),
				  (unsigned long long)idx);
	}
	*pp = it;
	return 0;
}

/* Events that never become ops: flows, counters, instants (the [memory] peak), metadata
 * (thread names). Returns 1 when the event was one of them (counted), else 0. */
static int event_not_op(struct rctx *c, struct rfile *f, char ph, const struct evf *e,
			const struct argf *a)
{
	if (ph == 's' || ph == 'f' || ph == 't') {
		f->flows++;
		return 1;
	}
	if (ph == 'C') {
		f->counters++;
		return 1;
	}
	if (ph == 'i' || ph == 'I') {
		f->instants++;
		/* the caching allocator's total on the GPU after each allocation (device type 1:
		 * CUDA, HIP too): its peak is what the rank's memory held (memory fit) */
		int64_t dt = 1, total = 0;
		if (e->has_name && TC_JKEY(&e->name, "[memory]") && (a->has & A_TOTALLOC) &&
		    tc_json_i64(&a->total_alloc, &total) == 0 &&
		    (!(a->has & A_DEVTYPE) || tc_json_i64(&a->dev_type, &dt) == 0) && dt == 1 &&
		    total > f->mem_peak)
			f->mem_peak = total;
		return 1;
	}
	if (ph == 'M') {
		f->meta++;
		if (e->has_name && TC_JKEY(&e->name, "thread_name") && e->has_args && e->has_pid &&
		    e->has_tid && e->args.t == TC_J_OBJ) {
			if (a->has & A_NAME) {
				uint64_t key =
				    tc_hash_u64((uint64_t)tc_chrome_id_of(&e->pid) * 1000003u ^
						(uint64_t)tc_chrome_id_of(&e->tid));
				tc_map64_put(&f->tname, key, tc_chrome_intern_jv(c, &a->mname));
			}
		}
		return 1;
	}
	if (ph != 'X' && ph != 'B' && ph != 'E') {
		f->unknown_phase++;
		return 1;
	}
	return 0;
}

/* ts and dur of an X, B or E event, checked; an E closes the innermost open B of its
 * thread here. Returns 1 when the event is done with (an E), 0 to go on, or < 0. */
static int event_times(struct rfile *f, char ph, const struct evf *e, uint64_t idx, uint64_t off,
		       int64_t *ts_out, int64_t *dur_out, struct tc_err *err)
{
	int64_t ts, dur = 0;
	if (!e->has_ts)
		return tc_err_set(err, TC_EFORMAT, "%s: event %llu at byte %llu: no \"ts\"",
				  f->path, (unsigned long long)idx, (unsigned long long)off);
	if (tc_json_us_to_ns(&e->ts, &ts) < 0)
		return tc_err_set(err, TC_EFORMAT, "%s: event %llu at byte %llu: bad \"ts\" value",
				  f->path, (unsigned long long)idx, (unsigned long long)off);
	/* Bounds keep every later sum (ts + dur, ts + base, differences between ranks) inside
	 * int64: 2^61 ns is the year 2043 as an epoch time. */
	if (ts > ((int64_t)1 << 61) || ts < -((int64_t)1 << 61))
		return tc_err_set(err, TC_EFORMAT,
				  "%s: event %llu at byte %llu: \"ts\" out of range", f->path,
				  (unsigned long long)idx, (unsigned long long)off);
	if (memchr(e->ts.p, '.', e->ts.n))
		f->fractional = 1;
	if (ph == 'E') {
		/* close the innermost open B on this thread (O(1): open Bs are chained through
		 * their parent field until linking sets the real parents) */
		uint32_t lane = tc_chrome_lane(f, 0, e->has_pid ? tc_chrome_id_of(&e->pid) : 0,
					       e->has_tid ? tc_chrome_id_of(&e->tid) : 0);
		uint32_t i = f->lanes[lane].open_b;
		if (!i) {
			f->skipped++;
			return 1;
		}
		struct rop *b = &f->ops[i - 1];
		b->dur = ts >= b->ts ? ts - b->ts : 0;
		f->lanes[lane].open_b = b->parent;
		b->parent = 0;
		f->open_bs--;
		return 1;
	}
	if (ph == 'X') {
		if (!e->has_dur || tc_json_us_to_ns(&e->dur, &dur) < 0 || dur < 0 ||
		    dur > ((int64_t)1 << 61))
			return tc_err_set(
			    err, TC_EFORMAT, "%s: event %llu at byte %llu: bad or missing \"dur\"",
			    f->path, (unsigned long long)idx, (unsigned long long)off);
	}
	*ts_out = ts;
	*dur_out = dur;
	return 0;
}

/* A cuda_sync event: what a runtime call waited on, kept for linking. */
static int event_sync(struct rfile *f, const struct evf *e, const struct argf *a,
		      struct tc_err *err)
{
	struct rsync *ns = grow(f->syncs, &f->synccap, f->nsyncs + 1, sizeof(*ns));
	if (!ns)
		return tc_err_set(err, TC_ENOMEM, "out of memory");
	f->syncs = ns;
	struct rsync *s = &f->syncs[f->nsyncs++];
	memset(s, 0, sizeof(*s));
	s->corr = a->has & A_CORR ? tc_chrome_arg_u64(&a->corr) : 0;
	s->record_corr = a->has & A_RECCORR ? tc_chrome_arg_u64(&a->rec_corr) : 0;
	if (s->record_corr == UINT64_MAX)
		s->record_corr = 0;
	s->wait_stream = a->has & A_WAITS ? tc_chrome_arg_i64(&a->wait_stream, -1) : -1;
	s->stream = a->has & A_STREAM ? tc_chrome_arg_i64(&a->stream, -1) : -1;
	s->device = a->has & A_DEVICE ? tc_chrome_arg_i64(&a->device, 0)
				      : (e->has_pid ? tc_chrome_id_of(&e->pid) : 0);
	char kb[32] = "";
	if (a->has & A_SYNCK)
		tc_json_str(&a->sync_kind, kb, sizeof(kb));
	else if (e->has_name)
		tc_json_str(&e->name, kb, sizeof(kb));
	s->kind = strstr(kb, "Wait") ? 2 : strstr(kb, "Event") ? 1 : strstr(kb, "Stream") ? 3 : 4;
	return 0;
}

/* A kernel, memcpy or memset: its GPU lane, class, copied bytes and collective facts. */
static int op_gpu(struct rctx *c, struct rfile *f, struct rop *op, enum ekind ek,
		  const struct rname *nf, const struct argf *a, int64_t pid, int64_t tid)
{
	int64_t dev = a->has & A_DEVICE ? tc_chrome_arg_i64(&a->device, pid) : pid;
	int64_t stream = a->has & A_STREAM ? tc_chrome_arg_i64(&a->stream, tid) : tid;
	op->lane = tc_chrome_lane(f, 1, dev, stream);
	if (ek == E_KERNEL) {
		op->kind = TC_KIND_KERNEL;
		op->cls = nf->kcls;
	} else if (ek == E_MEMCPY) {
		op->kind = TC_KIND_MEMCPY;
		op->cls = TC_CLASS_COPY;
		op->sub = nf->copy;
	} else {
		op->kind = TC_KIND_MEMSET;
		op->cls = TC_CLASS_MEMSET;
	}
	if ((ek != E_KERNEL) && (a->has & A_BYTES)) {
		struct rwork *w = tc_chrome_new_work(f, op);
		if (!w)
			return -1;
		uint64_t b = tc_chrome_arg_u64(&a->bytes);
		w->has_work = 1;
		w->bytes_written = b;
		w->bytes_read = ek == E_MEMCPY ? b : 0;
	}
	if (a->has & (A_COLL | A_NELEMS | A_ONELEMS | A_GSIZE)) {
		struct rext *x = tc_chrome_new_ext(f, op);
		if (!x)
			return -1;
		tc_chrome_coll_from_args(c, a, x);
	}
	if (nf->flags & (RN_HIP | RN_CIJK))
		f->rocm = 1;
	return 0;
}

/* The shapes of a CPU op's Input Dims, and its work (FLOPs, bytes, GEMM dims) where the
 * op is understood. Returns 0, or -1 when out of memory. */
static int op_cpu_work(struct rctx *c, struct rfile *f, struct rop *op, const char *nm,
		       const struct rname *nf, const struct argf *a)
{
	struct inputs in;
	struct tc_work w;
	memset(&in, 0, sizeof(in));
	tc_chrome_parse_dims(&a->dims, &in);
	if (in.n && tc_chrome_keep_shapes(f, op, &in) < 0)
		return -1;
	if (op->cls == TC_CLASS_OTHER || op->cls == TC_CLASS_COLLECTIVE ||
	    op->cls == TC_CLASS_OPTIMIZER)
		return 0;
	if (a->has & A_TYPES)
		tc_chrome_parse_types(c, &a->types, &in);
	else
		for (size_t i = 0; i < in.n; i++)
			in.dtypes[i] = in.shapes[i].rank ? TC_DT_F32 : TC_DT_UNKNOWN;
	if (op->cls == TC_CLASS_CONV && (a->has & A_CONCRETE))
		tc_chrome_parse_conv_concrete(&a->concrete, nm, &in);
	if (!tc_work_of_key(nf->work, in.shapes, in.n, in.dtypes, in.has_conv ? &in.conv : NULL,
			    &w))
		return 0;
	struct rwork *x = tc_chrome_new_work(f, op);
	if (!x)
		return -1;
	x->flops = w.flops;
	x->bytes_read = w.bytes_read;
	x->bytes_written = w.bytes_written;
	x->dtype = w.dtype;
	x->has_work = 1;
	if (w.m > 0 && w.n > 0 && w.k > 0) {
		struct rgemm *g = tc_chrome_grow_big(f->gemm, &f->gemmcap, f->ngemm + 1, sizeof(*g),
						     &f->big_gemm);
		if (!g)
			return -1;
		f->gemm = g;
		f->gemm[f->ngemm] = (struct rgemm){w.m, w.n, w.k, w.batch > 0 ? w.batch : 1};
		x->gi = (uint32_t)++f->ngemm;
	}
	if (!in.has_conv && op->cls == TC_CLASS_CONV && !(nf->flags & RN_LBACKWARD))
		op->flags |= TC_FLAG_WORK_ESTIMATED;
	return 0;
}

/* A CPU operator or user annotation: its thread lane, kind, class, collective facts and
 * work. Returns 0, or -1 when out of memory. */
static int op_cpu(struct rctx *c, struct rfile *f, struct rop *op, enum ekind ek, const char *nm,
		  const struct rname *nf, const struct argf *a, int64_t pid, int64_t tid)
{
	op->lane = tc_chrome_lane(f, 0, pid, tid);
	if (nf->flags & RN_STEP) {
		op->kind = TC_KIND_STEP;
		op->cls = TC_CLASS_OTHER;
		return 0;
	}
	if (tc_chrome_coll_from_dims(c, f, op, nf, a) < 0)
		return -1;
	if (ek == E_ANNOT) {
		op->kind = TC_KIND_ANNOTATION;
		op->cls = TC_CLASS_OTHER;
		return 0;
	}
	op->kind = TC_KIND_CPU_OP;
	op->cls = nf->cls;
	if (nf->flags & RN_BACKWARD)
		op->flags |= TC_FLAG_BACKWARD;
	if (a->has & (A_COLL | A_NELEMS | A_ONELEMS | A_GSIZE)) {
		struct rext *x = tc_chrome_new_ext(f, op);
		if (!x)
			return -1;
		tc_chrome_coll_from_args(c, a, x);
	}
	if (a->has & A_DIMS)
		return op_cpu_work(c, f, op, nm, nf, a);
	return 0;
}

/* The op of an event that is one: appended to the current run (spilling a full run
 * first), filled by kind, and counted in its correlation's record. */
static int event_op(struct rctx *c, struct rfile *f, char ph, enum ekind ek, const struct evf *e,
		    const struct argf *a, int64_t ts, int64_t dur, struct tc_err *err)
{
	/* a full run goes to the spill file, sorted (never while a B is open: its E would
	 * have to find it there) */
	if (f->n >= c->run_ops && !f->open_bs)
		TC_TRY(tc_chrome_spill(f, err));
	struct rop *nops =
	    tc_chrome_grow_big(f->ops, &f->cap, f->n + 1, sizeof(*nops), &f->big_ops);
	if (!nops)
		return tc_err_set(err, TC_ENOMEM, "out of memory");
	f->ops = nops;
	struct rop *op = &f->ops[f->n];
	memset(op, 0, sizeof(*op));
	op->seq = (uint32_t)f->nseq;
	op->ts = ts;
	op->dur = ph == 'B' ? -1 : dur;
	op->name = e->has_name ? tc_chrome_intern_jv(c, &e->name) : 0;
	op->corr = a->has & A_CORR ? tc_chrome_arg_u64(&a->corr) : 0;
	op->ext = a->has & A_EXT ? tc_chrome_arg_u64(&a->ext) : 0;
	if (ts < f->ts_min)
		f->ts_min = ts;
	const char *nm = tc_strtab_get(&c->names, op->name);
	const struct rname *nf = name_facts(c, op->name);
	int64_t pid = e->has_pid ? tc_chrome_id_of(&e->pid) : 0,
		tid = e->has_tid ? tc_chrome_id_of(&e->tid) : 0;
	if (!op->corr && ek != E_CPU && ek != E_ANNOT &&
	    tc_map64_put(&f->nocorr, tc_chrome_place(pid, tid, ts),
			 (f->nseq + 1) | (uint64_t)(ek == E_RUNTIME) << 63) < 0)
		return tc_err_set(err, TC_ENOMEM, "out of memory");

	int rc = 0;
	switch (ek) {
	case E_KERNEL:
	case E_MEMCPY:
	case E_MEMSET:
		rc = op_gpu(c, f, op, ek, nf, a, pid, tid);
		break;
	case E_RUNTIME:
		op->lane = tc_chrome_lane(f, 0, pid, tid);
		op->kind = TC_KIND_RUNTIME;
		op->cls = TC_CLASS_HOST;
		op->sub = nf->rt;
		if (nf->flags & RN_HIP)
			f->rocm = 1;
		break;
	case E_CPU:
	case E_ANNOT:
		rc = op_cpu(c, f, op, ek, nm, nf, a, pid, tid);
		break;
	default:
		break;
	}
	if (rc < 0)
		return tc_err_set(err, TC_ENOMEM, "out of memory");
	if (ph == 'B' && !f->lanes[op->lane].gpu) {
		op->parent = f->lanes[op->lane].open_b;
		f->lanes[op->lane].open_b = (uint32_t)f->n + 1;
		f->open_bs++;
	}
	if (op->corr && (op->kind == TC_KIND_RUNTIME || op->kind == TC_KIND_KERNEL ||
			 op->kind == TC_KIND_MEMCPY || op->kind == TC_KIND_MEMSET)) {
		struct rcorr *rc2 = tc_chrome_corr(f, op->corr);
		if (!rc2)
			return tc_err_set(err, TC_ENOMEM, "out of memory");
		if (op->kind == TC_KIND_RUNTIME) {
			rc2->rt += rc2->rt < 255;
			rc2->sub = op->sub;
		} else
			rc2->gpu += rc2->gpu < 255;
	}
	f->n++;
	f->nseq++;
	return 0;
}

/* One event object parsed in place at *pp (no separate delimiting pass). Nothing is changed
 * in f until the whole object has been read, so NEED_MORE can retry the same event. */
static int handle_event(struct rctx *c, struct rfile *f, const char **pp, const char *end, int eof,
			uint64_t idx, uint64_t off, struct tc_err *err)
{
	struct evf e;
	struct argf a;
	int64_t ts = 0, dur = 0;
	int r = read_event(f, pp, end, eof, idx, off, &e, &a, err);
	if (r != 0)
		return r;
	if (f->flow_pass)
		return tc_chrome_flow_event(f, &e) < 0 ? tc_err_set(err, TC_ENOMEM, "out of memory")
						       : 0;
	f->events++;
	if (!e.has_ph || e.ph.t != TC_J_STR || e.ph.n != 1) {
		f->unknown_phase++;
		return 0;
	}
	char ph = e.ph.p[0];
	if (event_not_op(c, f, ph, &e, &a))
		return 0;
	r = event_times(f, ph, &e, idx, off, &ts, &dur, err);
	if (r != 0)
		return r < 0 ? r : 0;
	if (e.has_name && e.name.t != TC_J_STR)
		return tc_err_set(err, TC_EFORMAT,
				  "%s: event %llu at byte %llu: \"name\" is not a string", f->path,
				  (unsigned long long)idx, (unsigned long long)off);
	if (e.has_args && e.args.t != TC_J_OBJ)
		return tc_err_set(err, TC_EFORMAT,
				  "%s: event %llu at byte %llu: \"args\" is not an object", f->path,
				  (unsigned long long)idx, (unsigned long long)off);

	enum ekind ek = e.has_cat && e.cat.t == TC_J_STR ? tc_chrome_kind_of_cat(&e.cat, f) : E_CPU;
	if (ek == E_SKIP || ek == E_PYTHON || ek == E_GPUANNOT || ek == E_FLOW) {
		f->skipped++;
		return 0;
	}
	if (ek == E_SYNC)
		return event_sync(f, &e, &a, err);
	return event_op(c, f, ph, ek, &e, &a, ts, dur, err);
}

/* ---- top-level members ------------------------------------------------------------------ */

static void handle_devices(struct rfile *f, const struct tc_jv *v)
{
	const char *it = v->p, *end = v->p + v->n;
	struct tc_jv e, k, x;
	size_t n = 0;
	while (tc_json_next_elem(&it, end, &e) == 1)
		n++;
	free(f->devs);
	f->devs = tc_xcalloc(n ? n : 1, sizeof(*f->devs));
	f->ndevs = 0;
	it = v->p;
	while (tc_json_next_elem(&it, end, &e) == 1) {
		if (e.t != TC_J_OBJ)
			continue;
		struct rdevice *d = &f->devs[f->ndevs];
		d->id = (int64_t)f->ndevs;
		const char *it2 = e.p, *end2 = e.p + e.n;
		while (tc_json_next_member(&it2, end2, &k, &x) == 1) {
			if (TC_JKEY(&k, "id"))
				d->id = tc_chrome_arg_i64(&x, d->id);
			else if (TC_JKEY(&k, "name"))
				tc_json_str(&x, d->name, sizeof(d->name));
			else if (TC_JKEY(&k, "totalGlobalMem"))
				d->mem = tc_chrome_arg_u64(&x);
			else if (TC_JKEY(&k, "numSms") || TC_JKEY(&k, "multiProcessorCount"))
				d->sms = (uint32_t)tc_chrome_arg_i64(&x, 0);
			else if (TC_JKEY(&k, "computeMajor") || TC_JKEY(&k, "major"))
				d->major = (int)tc_chrome_arg_i64(&x, 0);
			else if (TC_JKEY(&k, "computeMinor") || TC_JKEY(&k, "minor"))
				d->minor = (int)tc_chrome_arg_i64(&x, 0);
			else if (TC_JKEY(&k, "gcnArchName"))
				tc_json_str(&x, d->gcn, sizeof(d->gcn));
		}
		f->ndevs++;
	}
}

/* The parallelism kind a process group's description names: a token (split at anything
 * but letters and digits, any case) "dp"/"data", "tp"/"tensor", "pp"/"pipeline",
 * "ep"/"expert", as Megatron's and torchtitan's group names say it. -1 = none. */
static int pg_kind_of(const struct tc_jv *desc)
{
	static const char *const words[4][2] = {
	    {"dp", "data"}, {"tp", "tensor"}, {"pp", "pipeline"}, {"ep", "expert"}};
	char buf[96], tok[32];
	tc_json_str(desc, buf, sizeof(buf));
	for (const char *p = buf; *p;) {
		size_t n = 0;
		while (*p && !isalnum((unsigned char)*p))
			p++;
		while (*p && isalnum((unsigned char)*p)) {
			if (n + 1 < sizeof(tok))
				tok[n++] = (char)tolower((unsigned char)*p);
			p++;
		}
		tok[n] = 0;
		for (int k = 0; k < 4 && n; k++)
			if (strcmp(tok, words[k][0]) == 0 || strcmp(tok, words[k][1]) == 0)
				return k;
	}
	return -1;
}

/* pg_config: [{"pg_name": "0", "pg_size": 2, "ranks": [0, 1], ...}, ...] gives the size
 * of each process group, for collectives whose kernel and launching op do not say it, and
 * the source layout where the groups' descriptions name their kind. */
static void handle_pg_config(struct rctx *c, struct rfile *f, const struct tc_jv *v)
{
	const char *it = v->p, *end = v->p + v->n;
	struct tc_jv e, k, x;
	f->npg = 0;
	while (f->npg < (int)TC_ARRAY_LEN(f->pg_name) && tc_json_next_elem(&it, end, &e) == 1) {
		if (e.t != TC_J_OBJ)
			continue;
		const char *it2 = e.p, *end2 = e.p + e.n;
		uint32_t name = 0, size = 0;
		int has_name = 0, kind = -1;
		int64_t r[1];
		while (tc_json_next_member(&it2, end2, &k, &x) == 1) {
			if (TC_JKEY(&k, "pg_desc") && x.t == TC_J_STR) {
				kind = pg_kind_of(&x);
			} else if (TC_JKEY(&k, "pg_name") && x.t == TC_J_STR) {
				name = tc_chrome_intern_jv(c, &x);
				has_name = 1;
			} else if (TC_JKEY(&k, "pg_size")) {
				size = (uint32_t)tc_chrome_arg_i64(&x, 0);
			} else if (TC_JKEY(&k, "ranks") && x.t == TC_J_ARR && !size) {
				size = (uint32_t)tc_chrome_count_ints(&x, r, 1);
			}
		}
		if (has_name && size) {
			f->pg_name[f->npg] = name;
			f->pg_size[f->npg] = size;
			f->npg++;
		}
		if (kind >= 0 && size > f->pg_kind_size[kind])
			f->pg_kind_size[kind] = size;
	}
}

static void handle_top(struct rctx *c, struct rfile *f, const struct tc_jv *k,
		       const struct tc_jv *v)
{
	if (TC_JKEY(k, "deviceProperties") && v->t == TC_J_ARR) {
		handle_devices(f, v);
	} else if (TC_JKEY(k, "computeProperties") && v->t == TC_J_ARR) {
		f->era2021 = 1;
		handle_devices(f, v);
	} else if (TC_JKEY(k, "distributedInfo") && v->t == TC_J_OBJ) {
		const char *it = v->p, *end = v->p + v->n;
		struct tc_jv kk, x;
		while (tc_json_next_member(&it, end, &kk, &x) == 1) {
			if (TC_JKEY(&kk, "rank"))
				f->rank = (int)tc_chrome_arg_i64(&x, -1);
			else if (TC_JKEY(&kk, "world_size"))
				f->world = (int)tc_chrome_arg_i64(&x, -1);
			else if (TC_JKEY(&kk, "pg_config") && x.t == TC_J_ARR)
				handle_pg_config(c, f, &x);
		}
	} else if (TC_JKEY(k, "baseTimeNanoseconds")) {
		int64_t b;
		if (tc_json_i64(v, &b) == 0 && b <= ((int64_t)1 << 60) &&
		    b >= -((int64_t)1 << 60)) {
			f->base_ns = b;
			f->has_base = 1;
		}
	} else if (TC_JKEY(k, "schemaVersion")) {
		tc_json_str(v, f->schema, sizeof(f->schema));
	} else if ((v->t == TC_J_NUM || v->t == TC_J_STR) && f->nmeta < 8 &&
		   (TC_JKEY(k, "cupti_version") || TC_JKEY(k, "cuda_runtime_version") ||
		    TC_JKEY(k, "cuda_driver_version") || TC_JKEY(k, "roctracer_version") ||
		    TC_JKEY(k, "hip_runtime_version") || TC_JKEY(k, "hip_driver_version") ||
		    TC_JKEY(k, "trace_id") || TC_JKEY(k, "pytorch_version"))) {
		snprintf(f->meta_k[f->nmeta], sizeof(f->meta_k[0]), "%.*s", (int)k->n, k->p);
		tc_json_str(v, f->meta_v[f->nmeta], sizeof(f->meta_v[0]));
		f->nmeta++;
	}
}

static int events_loop(struct rctx *c, struct rfile *f, struct jstream *js, struct tc_err *err)
{
	uint64_t idx = 0;
	int ch;
	TC_TRY(js_expect(js, '[', "to open traceEvents", err));
	TC_TRY(js_peek(js, err, &ch));
	if (ch == ']') {
		js->pos++;
		return 0;
	}
	for (;;) {
		uint64_t off = js_off(js);
		if (ch == '{') {
			for (;;) {
				const char *p = js->buf + js->pos;
				int rc = handle_event(c, f, &p, js->buf + js->len, js->eof, idx,
						      js_off(js), err);
				if (rc < 0)
					return rc;
				if (rc == 0) {
					js->pos = (size_t)(p - js->buf);
					break;
				}
				TC_TRY(js_fill(
				    js, err)); /* NEED_MORE: the event is cut by the buffer */
			}
		} else {
			struct tc_jv ev;
			char what[32];
			snprintf(what, sizeof(what), "event %llu", (unsigned long long)idx);
			TC_TRY(js_value(js, &ev, what, err));
			return tc_err_set(err, TC_EFORMAT,
					  "%s: event %llu at byte %llu: not an object", f->path,
					  (unsigned long long)idx, (unsigned long long)off);
		}
		idx++;
		TC_TRY(js_peek(js, err, &ch));
		if (ch == ',') {
			js->pos++;
			TC_TRY(js_peek(js, err, &ch));
			continue;
		}
		if (ch == ']') {
			js->pos++;
			return 0;
		}
		if (ch < 0)
			return tc_err_set(
			    err, TC_ETRUNC, "%s: byte %llu: truncated JSON after event %llu",
			    f->path, (unsigned long long)js_off(js), (unsigned long long)idx - 1);
		return tc_err_set(err, TC_EFORMAT,
				  "%s: byte %llu: expected ',' or ']' after event %llu", f->path,
				  (unsigned long long)js_off(js), (unsigned long long)idx - 1);
	}
}

int tc_chrome_parse(struct rctx *c, struct tc_input *in, struct rfile *f, struct tc_err *err)
{
	struct jstream js;
	int ch, rc = 0, saw_events = 0;

	memset(&js, 0, sizeof(js));
	js.in = in;
	/* Small inputs get a small buffer (it doubles if one event needs more): fuzzing runs
	 * thousands of tiny inputs a second and a 1 MiB allocation each dominated them. The
	 * size is the file's (compressed) size, a hint only. */
	js.cap = JS_BUF0;
	if (tc_input_size(in) && tc_input_size(in) < JS_BUF0 / 4)
		js.cap = TC_MAX((size_t)tc_input_size(in) * 4, (size_t)4096);
	js.buf = malloc(js.cap);
	if (!js.buf)
		return tc_err_set(err, TC_ENOMEM, "out of memory");
	if (!f->flow_pass)
		f->ts_min = INT64_MAX;

	if ((rc = js_peek(&js, err, &ch)) < 0)
		goto out;
	if (ch == '[') {
		saw_events = 1;
		if ((rc = events_loop(c, f, &js, err)) < 0)
			goto out;
	} else if (ch == '{') {
		js.pos++;
		if ((rc = js_peek(&js, err, &ch)) < 0)
			goto out;
		if (ch == '}') {
			js.pos++;
		} else {
			for (;;) {
				struct tc_jv k, v;
				if ((rc = js_value(&js, &k, "a top-level key", err)) < 0)
					goto out;
				if (k.t != TC_J_STR) {
					rc = tc_err_set(err, TC_EFORMAT,
							"%s: byte %llu: expected a key string",
							f->path, (unsigned long long)js_off(&js));
					goto out;
				}
				int is_events = TC_JKEY(&k, "traceEvents");
				/* k points into the buffer, which refills move: copy it now */
				char key[64];
				size_t kn = TC_MIN(k.n, sizeof(key) - 1);
				memcpy(key, k.p, kn);
				key[kn] = '\0';
				if ((rc = js_expect(&js, ':', "after a key", err)) < 0)
					goto out;
				if (is_events) {
					if ((rc = js_peek(&js, err, &ch)) < 0)
						goto out;
					if (ch != '[') {
						rc = tc_err_set(err, TC_EFORMAT,
								"%s: byte %llu: \"traceEvents\" is "
								"not an array",
								f->path,
								(unsigned long long)js_off(&js));
						goto out;
					}
					saw_events = 1;
					if ((rc = events_loop(c, f, &js, err)) < 0)
						goto out;
				} else {
					if ((rc = js_value(&js, &v, "a top-level value", err)) < 0)
						goto out;
					struct tc_jv kk = {key, kn, TC_J_STR, 0};
					if (!f->flow_pass)
						handle_top(c, f, &kk, &v);
				}
				if ((rc = js_peek(&js, err, &ch)) < 0)
					goto out;
				if (ch == ',') {
					js.pos++;
					continue;
				}
				if (ch == '}') {
					js.pos++;
					break;
				}
				rc = tc_err_set(err, ch < 0 ? TC_ETRUNC : TC_EFORMAT,
						"%s: byte %llu: %s", f->path,
						(unsigned long long)js_off(&js),
						ch < 0 ? "truncated JSON (object not closed)"
						       : "expected ',' or '}' at the top level");
				goto out;
			}
		}
	} else if (ch < 0) {
		rc = tc_err_set(err, TC_EFORMAT, "%s: empty file", f->path);
		goto out;
	} else {
		rc = tc_err_set(err, TC_EFORMAT,
				"%s: byte %llu: not a JSON trace (expected '{' or '[')", f->path,
				(unsigned long long)js_off(&js));
		goto out;
	}
	if ((rc = js_peek(&js, err, &ch)) < 0)
		goto out;
	if (ch >= 0) {
		rc =
		    tc_err_set(err, TC_EFORMAT, "%s: byte %llu: trailing data after the JSON value",
			       f->path, (unsigned long long)js_off(&js));
		goto out;
	}
	if (!saw_events) {
		rc = tc_err_set(err, TC_EFORMAT, "%s: not a trace: no \"traceEvents\" array",
				f->path);
		goto out;
	}
	if (f->nseq == 0) {
		rc = tc_err_set(err, TC_EFORMAT,
				"%s: empty trace: %llu events, none with a duration", f->path,
				(unsigned long long)f->events);
		goto out;
	}
	for (size_t i = 0; i < f->n; i++) {
		f->ops[i].parent = 0; /* B chains end here */
		if (f->ops[i].dur < 0)
			f->ops[i].dur = 0; /* B without E: kept, zero length */
	}
	f->bytes = tc_input_offset(in);
out:
	free(js.buf);
	return rc;
}

void tc_chrome_file_free(struct rfile *f)
{
	if (!f)
		return;
	tc_chrome_big_free(f->ops, f->big_ops);
	free(f->ext);
	free(f->lanes);
	free(f->devs);
	free(f->syncs);
	tc_chrome_big_free(f->shp, f->big_shp);
	tc_chrome_big_free(f->work, f->big_work);
	tc_chrome_big_free(f->gemm, f->big_gemm);
	tc_map64_free(&f->tname);
	tc_map64_free(&f->lane_ix);
	tc_map64_free(&f->nocorr);
	tc_map64_free(&f->flowcorr);
	tc_map64_free(&f->corr_far);
	free(f->corrs);
	free(f->far);
	free(f->runs);
	if (f->spill)
		fclose(f->spill);
	memset(f, 0, sizeof(*f));
}

/* ---- all inputs of a run, ranks in parallel ------------------------------------------- */

/* One input completely: its events, then (when some ops lack a correlation and it has
 * flows) a second read for its ac2g flows. */
static int parse_one(struct rctx *c, struct rfile *f, const char *src, struct tc_err *err)
{
	struct tc_input *in = NULL;
	int rc = tc_input_open_as(&in, src, f->path, err);
	if (rc == 0)
		rc = tc_chrome_parse(c, in, f, err);
	tc_input_close(in);
	if (rc == 0 && f->nocorr.len && f->flows) {
		/* ops without a correlation: read the file again for its ac2g flows */
		in = NULL;
		f->flow_pass = 1;
		rc = tc_input_open_as(&in, src, f->path, err);
		if (rc == 0)
			rc = tc_chrome_parse(c, in, f, err);
		tc_input_close(in);
		f->flow_pass = 0;
	}
	tc_map64_free(&f->nocorr);
	return rc;
}

struct pjob {
	struct rfile *files;
	const char *const *srcs;
	struct tc_err *errs;
	int *rcs;
	size_t n;
	_Atomic size_t next;
};

static void *parse_worker(void *arg)
{
	struct pjob *j = arg;
	for (;;) {
		size_t i = atomic_fetch_add(&j->next, 1);
		if (i >= j->n)
			return NULL;
		if (j->rcs[i] == 0)
			j->rcs[i] =
			    parse_one(j->files[i].ctx, &j->files[i], j->srcs[i], &j->errs[i]);
	}
}

/* Threads for n inputs: $TRACECAST_INGEST_THREADS, else opts->threads, else one per
 * online core; never more than the inputs. */
static size_t parse_threads(const struct tc_ingest_opts *opts, size_t n)
{
	const char *env = getenv("TRACECAST_INGEST_THREADS");
	long t = env && *env ? strtol(env, NULL, 10) : 0;
	if (t <= 0 && opts && opts->threads)
		t = (long)opts->threads;
	if (t <= 0)
		t = tc_cores(INT_MAX);
	return (size_t)t < n ? (size_t)t : n;
}

void tc_chrome_ctx_free(struct rctx *c)
{
	if (!c)
		return;
	free(c->facts);
	tc_strtab_free(&c->names);
}

/* Several inputs are parsed each with its own context (string table, name facts), so
 * that they can be parsed at once, one thread per input up to the core count; the writer
 * interns names by text, so the output does not depend on which context held them or on
 * the order the threads ran in. The error reported is the first input's that failed. */
int tc_chrome_parse_files(struct rctx *c, struct rfile *files, const char *const *srcs, size_t n,
			  size_t *n_ok, struct tc_err *err)
{
	int rc = 0;
	*n_ok = 0;
	if (n == 0)
		return 0;
	if (n == 1) {
		rc = parse_one(c, &files[0], srcs[0], err);
		*n_ok = rc == 0;
		return rc;
	}
	struct pjob j = {.files = files, .srcs = srcs, .n = n};
	j.errs = tc_xcalloc(n, sizeof(*j.errs));
	j.rcs = tc_xcalloc(n, sizeof(*j.rcs));
	atomic_init(&j.next, 0);
	for (size_t i = 0; i < n; i++) {
		struct rctx *fc = tc_xcalloc(1, sizeof(*fc));
		fc->opts = c->opts;
		fc->stats = c->stats;
		fc->run_ops = c->run_ops;
		files[i].ctx = fc;
		if (tc_strtab_init(&fc->names) < 0) {
			free(fc);
			files[i].ctx = NULL;
			j.rcs[i] = tc_err_set(&j.errs[i], TC_ENOMEM, "out of memory");
		}
	}
	size_t nt = parse_threads(c->opts, n), started = 0;
	pthread_t *th = tc_xcalloc(nt, sizeof(*th));
	for (size_t t = 1; t < nt; t++)
		if (pthread_create(&th[started], NULL, parse_worker, &j) == 0)
			started++;
	/* this thread works too; an input whose context could not be made is skipped */
	for (size_t i; (i = atomic_fetch_add(&j.next, 1)) < n;)
		if (j.rcs[i] == 0)
			j.rcs[i] = parse_one(files[i].ctx, &files[i], srcs[i], &j.errs[i]);
	for (size_t t = 0; t < started; t++)
		pthread_join(th[t], NULL);
	free(th);
	for (size_t i = 0; i < n && rc == 0; i++) {
		if (j.rcs[i] < 0) {
			rc = j.rcs[i];
			*err = j.errs[i];
		} else {
			(*n_ok)++;
		}
	}
	free(j.errs);
	free(j.rcs);
	return rc;
}

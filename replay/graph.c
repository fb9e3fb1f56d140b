/* graph.c - the dependency graph: ops kept as struct-of-arrays, program order per lane,
 * and the explicit edges (launch, synchronisation, events, blocking copies, collectives,
 * ONNX data edges). Nothing here allocates per op: arrays grow by doubling. */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "rp_internal.h"

/* Large per-op arrays are touched once each, page by page: on Linux, ask for transparent
 * huge pages so that a 100 M-op graph takes thousands, not millions, of page faults. Only
 * advice: the memory and its contents are unchanged when the kernel declines. */
void rp_hugepage(void *p, size_t bytes)
{
#if defined(MADV_HUGEPAGE)
	const uintptr_t huge = (uintptr_t)2 << 20;
	if (!p || bytes < 2 * huge)
		return;
	uintptr_t a = ((uintptr_t)p + huge - 1) & ~(huge - 1);
	uintptr_t b = ((uintptr_t)p + bytes) & ~(huge - 1);
	if (b > a)
		(void)madvise((void *)a, b - a, MADV_HUGEPAGE);
#else
	(void)p;
	(void)bytes;
#endif
}

static void *grow_arr(void *p, size_t cap, size_t elem, int *fail)
{
	size_t bytes;
	if (tc_mul_size(cap, elem, &bytes) < 0) {
		*fail = 1;
		return p;
	}
	void *q = realloc(p, bytes ? bytes : 1);
	if (!q) {
		*fail = 1;
		return p;
	}
	rp_hugepage(q, bytes);
	return q;
}

/* Grow every per-op array to cap ops. All or nothing is not needed: on failure the graph
 * keeps the arrays it managed to grow, each at least as large as before. */
static int grow_ops(struct tc_replay_graph *g, size_t need)
{
	if (need <= g->cap)
		return 0;
	size_t cap = g->cap ? g->cap : 1024;
	while (cap < need)
		cap *= 2;
	int fail = 0;
	g->ts = grow_arr(g->ts, cap, sizeof(*g->ts), &fail);
	g->dur = grow_arr(g->dur, cap, sizeof(*g->dur), &fail);
	g->lane = grow_arr(g->lane, cap, sizeof(*g->lane), &fail);
	g->ref = grow_arr(g->ref, cap, sizeof(*g->ref), &fail);
	g->link = grow_arr(g->link, cap, sizeof(*g->link), &fail);
	g->kind = grow_arr(g->kind, cap, 1, &fail);
	g->cls = grow_arr(g->cls, cap, 1, &fail);
	g->sub = grow_arr(g->sub, cap, 1, &fail);
	g->flags = grow_arr(g->flags, cap, 1, &fail);
	if (fail)
		return TC_ENOMEM;
	g->cap = cap;
	return 0;
}

int tc_replay_graph_new(struct tc_replay_graph **out, struct tc_err *err)
{
	struct tc_replay_graph *g = calloc(1, sizeof(*g));
	if (!g)
		return tc_err_set(err, TC_ENOMEM, "replay: out of memory");
	*out = g;
	return 0;
}

void tc_replay_graph_set_names(struct tc_replay_graph *g, tc_replay_name_fn fn, const void *ctx)
{
	g->name_fn = fn;
	g->name_ctx = ctx;
}

const char *rp_string(const struct tc_replay_graph *g, uint32_t id)
{
	const char *s = g->name_fn ? g->name_fn(g->name_ctx, id) : NULL;
	return s ? s : "";
}

const char *rp_lane_name(const struct tc_replay_graph *g, uint32_t l)
{
	const struct tc_lane *L = g->reader ? tc_ops_reader_lane(g->reader, l) : NULL;
	return L ? L->name : NULL;
}

const char *rp_op_name(const struct tc_replay_graph *g, uint32_t i, char *buf, size_t n)
{
	const char *s = g->name_fn ? g->name_fn(g->name_ctx, rp_name_id(g, i)) : NULL;
	if (s && s[0])
		return s;
	snprintf(buf, n, "op#%u", i);
	return buf;
}

/* Durations of 2^32 - 2 ns (4.3 s) or more live in a side table sorted by op. */
int64_t rp_big_dur(const struct tc_replay_graph *g, uint32_t i)
{
	size_t lo = 0, hi = g->n_big;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (g->big[mid].op < i)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < g->n_big && g->big[lo].op == i ? g->big[lo].dur : -1;
}

static int is_gpu_kind(unsigned k)
{
	return k == TC_KIND_KERNEL || k == TC_KIND_MEMCPY || k == TC_KIND_MEMSET ||
	       k == TC_KIND_NODE;
}

/* ---- interned work records ------------------------------------------------------------- */

static int work_eq(const struct rp_work *a, const struct rp_work *b)
{
	return a->flops == b->flops && a->bytes_read == b->bytes_read &&
	       a->bytes_written == b->bytes_written && a->coll_bytes == b->coll_bytes &&
	       a->m == b->m && a->n == b->n && a->k == b->k && a->batch == b->batch &&
	       a->name == b->name && a->group_size == b->group_size && a->cls == b->cls &&
	       a->dtype == b->dtype && a->kind == b->kind && a->sub == b->sub &&
	       a->has_work == b->has_work && a->coll_kind == b->coll_kind &&
	       a->analytic == b->analytic;
}

static uint64_t work_hash(const struct rp_work *w)
{
	uint64_t h = tc_hash_u64(w->flops ^ 0x9e3779b97f4a7c15ull);
	h = tc_hash_u64(h ^ w->bytes_read) + w->bytes_written;
	h = tc_hash_u64(h ^ w->coll_bytes) + (w->m * 31 + w->n) * 31 + w->k * 7 + w->batch;
	h = tc_hash_u64(h ^ ((uint64_t)w->name << 32 | w->group_size));
	h ^= (uint64_t)w->cls | (uint64_t)w->dtype << 8 | (uint64_t)w->kind << 16 |
	     (uint64_t)w->sub << 24 | (uint64_t)w->has_work << 32 | (uint64_t)w->coll_kind << 40 |
	     (uint64_t)w->analytic << 48;
	return tc_hash_u64(h);
}

static int wtab_rehash(struct tc_replay_graph *g, size_t cap)
{
	uint32_t *t = calloc(cap, sizeof(*t));
	if (!t)
		return TC_ENOMEM;
	for (size_t w = 0; w < g->n_works; w++) {
		size_t h = (size_t)work_hash(&g->works[w]) & (cap - 1);
		while (t[h])
			h = (h + 1) & (cap - 1);
		t[h] = (uint32_t)w + 1;
	}
	free(g->wtab);
	g->wtab = t;
	g->wtab_cap = cap;
	return 0;
}

#define RP_WHINT 4096u

/* Index of the record equal to *w, added when new. Records are unique, so the one found
 * first by the name's hint is the one the hash table would find, without hashing. */
static int intern_work(struct tc_replay_graph *g, const struct rp_work *w, uint32_t *out)
{
	if (!g->whint && !(g->whint = calloc(RP_WHINT, sizeof(*g->whint))))
		return TC_ENOMEM;
	uint32_t *hint = &g->whint[w->name & (RP_WHINT - 1)];
	if (*hint && work_eq(&g->works[*hint - 1], w)) {
		*out = *hint - 1;
		return 0;
	}
	if (2 * (g->n_works + 1) > g->wtab_cap &&
	    wtab_rehash(g, g->wtab_cap ? 2 * g->wtab_cap : 1024) < 0)
		return TC_ENOMEM;
	size_t h = (size_t)work_hash(w) & (g->wtab_cap - 1);
	for (; g->wtab[h]; h = (h + 1) & (g->wtab_cap - 1))
		if (work_eq(&g->works[g->wtab[h] - 1], w)) {
			*out = g->wtab[h] - 1;
			*hint = g->wtab[h];
			return 0;
		}
	if (g->n_works >= RP_MAX_OPS ||
	    (g->n_works == g->cap_works &&
	     tc_grow((void **)&g->works, &g->cap_works, g->n_works + 1, sizeof(*g->works)) < 0))
		return TC_ENOMEM;
	g->works[g->n_works] = *w;
	g->wtab[h] = (uint32_t)g->n_works + 1;
	*hint = g->wtab[h];
	*out = (uint32_t)g->n_works++;
	return 0;
}

static uint64_t clamp_dim(uint64_t v)
{
	return v > (uint64_t)INT64_MAX ? (uint64_t)INT64_MAX : v;
}

int tc_replay_graph_add(struct tc_replay_graph *g, const struct tc_op *ops, size_t n,
			struct tc_err *err)
{
	if (g->finished)
		return tc_err_set(err, TC_EINVAL, "replay: graph already finished");
	if (n > RP_MAX_OPS || g->n + n > RP_MAX_OPS)
		return tc_err_set(err, TC_EUNSUPPORTED, "replay: more than %u ops", RP_MAX_OPS);
	if (grow_ops(g, g->n + n) < 0)
		return tc_err_set(err, TC_ENOMEM, "replay: out of memory for %zu ops", g->n + n);
	for (size_t j = 0; j < n; j++) {
		const struct tc_op *op = &ops[j];
		uint32_t i = (uint32_t)g->n;
		if (op->id != i)
			return tc_err_set(err, TC_EFORMAT, "op %llu: out of order (expected id %u)",
					  (unsigned long long)op->id, i);
		if (op->link != TC_NONE && op->link >= i)
			return tc_err_set(err, TC_EFORMAT, "op %u: link %llu is not an earlier op",
					  i, (unsigned long long)op->link);
		g->ts[i] = op->ts_ns;
		if (op->dur_ns < 0) {
			g->dur[i] = RP_DUR_NONE;
		} else if (op->dur_ns < (int64_t)RP_DUR_BIG) {
			g->dur[i] = (uint32_t)op->dur_ns;
		} else {
			if (g->n_big == g->cap_big && tc_grow((void **)&g->big, &g->cap_big,
							      g->n_big + 1, sizeof(*g->big)) < 0)
				return tc_err_set(err, TC_ENOMEM, "replay: out of memory");
			g->big[g->n_big++] = (struct rp_big){i, op->dur_ns};
			g->dur[i] = RP_DUR_BIG;
		}
		g->lane[i] = op->lane;
		g->ref[i] = op->name;
		g->kind[i] = op->kind;
		g->cls[i] = op->op_class < TC_CLASS__COUNT ? op->op_class : TC_CLASS_OTHER;
		g->sub[i] = op->sub;
		g->flags[i] = 0;
		g->link[i] = op->link == TC_NONE ? RP_NONE : (uint32_t)op->link;
		if (is_gpu_kind(op->kind)) {
			struct rp_work w;
			memset(&w, 0, sizeof(w));
			w.flops = op->flops;
			w.bytes_read = op->bytes_read;
			w.bytes_written = op->bytes_written;
			w.m = clamp_dim(op->gemm_m);
			w.n = clamp_dim(op->gemm_n);
			w.k = clamp_dim(op->gemm_k);
			w.batch = clamp_dim(op->gemm_batch);
			w.has_work = op->has_work;
			w.coll_kind = op->coll_kind < TC_COLL__COUNT ? op->coll_kind : TC_COLL_NONE;
			w.coll_bytes = op->coll_bytes;
			w.group_size = op->coll_group_size;
			w.name = op->name;
			w.cls = g->cls[i];
			w.dtype = op->dtype < TC_DT__COUNT ? op->dtype : TC_DT_UNKNOWN;
			w.kind = op->kind;
			w.sub = op->sub;
			w.analytic = op->kind == TC_KIND_NODE || op->dur_ns < 0;
			if (intern_work(g, &w, &g->ref[i]) < 0)
				return tc_err_set(err, TC_ENOMEM, "replay: out of memory");
			g->flags[i] = RP_F_WORK;
			if (op->coll_kind != TC_COLL_NONE || op->op_class == TC_CLASS_COLLECTIVE) {
				if (tc_grow((void **)&g->ckeys, &g->cap_ckeys, g->n_ckeys + 1,
					    sizeof(*g->ckeys)) < 0)
					return tc_err_set(err, TC_ENOMEM, "replay: out of memory");
				g->ckeys[g->n_ckeys++] =
				    (struct rp_ckey){i, op->coll_group, op->coll_seq};
			}
		}
		if (op->kind == TC_KIND_RUNTIME &&
		    (op->sub == TC_RT_DEVICE_SYNC || op->sub == TC_RT_STREAM_SYNC ||
		     op->sub == TC_RT_EVENT_SYNC || op->sub == TC_RT_EVENT_RECORD ||
		     op->sub == TC_RT_STREAM_WAIT_EVENT)) {
			if (tc_grow((void **)&g->syncs, &g->cap_syncs, g->n_syncs + 1,
				    sizeof(*g->syncs)) < 0)
				return tc_err_set(err, TC_ENOMEM, "replay: out of memory");
			g->syncs[g->n_syncs++] = (struct rp_sync){i, op->sync_lane, op->sync_event};
		}
		for (uint32_t d = 0; d < op->n_deps; d++) {
			if (op->deps[d] >= i)
				return tc_err_set(err, TC_EFORMAT,
						  "op %u: dependency %llu is not an earlier op", i,
						  (unsigned long long)op->deps[d]);
			if (tc_grow((void **)&g->deps, &g->cap_deps, g->n_deps + 1,
				    sizeof(*g->deps)) < 0)
				return tc_err_set(err, TC_ENOMEM, "replay: out of memory");
			g->deps[g->n_deps++] = (struct rp_pair){i, (uint32_t)op->deps[d]};
		}
		g->n++;
	}
	return 0;
}

int tc_replay_graph_set_lanes(struct tc_replay_graph *g, const struct tc_lane *lanes, size_t n,
			      struct tc_err *err)
{
	free(g->lanes);
	g->lanes = calloc(n ? n : 1, sizeof(*g->lanes));
	if (!g->lanes)
		return tc_err_set(err, TC_ENOMEM, "replay: out of memory");
	for (size_t i = 0; i < n; i++) {
		g->lanes[i].rank = lanes[i].rank;
		g->lanes[i].device = lanes[i].device;
		g->lanes[i].type = lanes[i].type;
	}
	g->n_lanes = n;
	return 0;
}

/* ---- sorting with the graph as context (qsort has none in C11) ------------------------- */

/* How many ops ahead the scans over a lane's order prefetch their per-op loads. */
#define RP_AHEAD 16

typedef int (*rp_cmp_fn)(const struct tc_replay_graph *g, uint32_t a, uint32_t b);

/* tc_msort's comparator over op indices: the graph and the index order travel together. */
struct rp_idx_ctx {
	const struct tc_replay_graph *g;
	rp_cmp_fn cmp;
};

static int idx_cmp(const void *pa, const void *pb, const void *ctx)
{
	const struct rp_idx_ctx *c = ctx;
	return c->cmp(c->g, *(const uint32_t *)pa, *(const uint32_t *)pb);
}

static int sort_if_needed(const struct tc_replay_graph *g, uint32_t *a, size_t n, rp_cmp_fn cmp)
{
	size_t i = 1;
	/* The ops of a lane lie scattered over the per-op arrays: each check was a cache miss
	 * on a start time. Ask for the times a few ops ahead (a hint, no change of result). */
	while (i < n && cmp(g, a[i - 1], a[i]) <= 0) {
		if (i + RP_AHEAD < n)
			__builtin_prefetch(&g->ts[a[i + RP_AHEAD]]);
		i++;
	}
	if (i >= n)
		return 0;
	/* Lanes come nearly sorted (a few ops out of place, not far): insertion sort costs
	 * O(n + displacement). Past a budget of moves, a hostile order falls back to the merge
	 * sort; both give the same result, the orders being total. */
	size_t budget = 4 * n + 4096;
	for (; i < n && budget; i++) {
		uint32_t x = a[i];
		if (i + RP_AHEAD < n)
			__builtin_prefetch(&g->ts[a[i + RP_AHEAD]]);
		size_t j = i;
		while (j > 0 && budget && cmp(g, x, a[j - 1]) < 0) {
			a[j] = a[j - 1];
			j--;
			budget--;
		}
		a[j] = x;
	}
	if (budget)
		return 0;
	struct rp_idx_ctx c = {.g = g, .cmp = cmp};
	return tc_msort(a, n, sizeof(*a), idx_cmp, &c);
}

static int cmp_i64(int64_t a, int64_t b)
{
	return a < b ? -1 : a > b;
}

static int gpu_cmp(const struct tc_replay_graph *g, uint32_t a, uint32_t b)
{
	int c = cmp_i64(g->ts[a], g->ts[b]);
	return c ? c : cmp_i64(a, b);
}

/* Total order of CPU points (see rp_internal.h): time; at equal time the ends of ops with a
 * positive duration first (inner ones first: later start, then higher id), then starts
 * (longer first, then id), zero-length ops' start and end together among the starts. */
static inline int point_cmp(const struct tc_replay_graph *g, uint32_t pa, uint32_t pb)
{
	int c = cmp_i64(rp_point_time(g, pa), rp_point_time(g, pb));
	if (c)
		return c;
	uint32_t a = pa >> 1, b = pb >> 1;
	int64_t da = rp_dur0(g, a), db = rp_dur0(g, b);
	int ca = (pa & 1) && da > 0 ? 0 : 1, cb = (pb & 1) && db > 0 ? 0 : 1;
	if (ca != cb)
		return ca - cb;
	if (ca == 0) {
		c = cmp_i64(g->ts[b], g->ts[a]);
		return c ? c : cmp_i64(b, a);
	}
	c = cmp_i64(db, da);
	if (c)
		return c;
	c = cmp_i64(a, b);
	return c ? c : (int)(pa & 1) - (int)(pb & 1);
}

/* The comparator other files call; the sorts here use point_cmp, inlined (it was a fifth
 * of load + graph as a call). */
int rp_point_cmp(const struct tc_replay_graph *g, uint32_t pa, uint32_t pb)
{
	return point_cmp(g, pa, pb);
}

static int start_cmp(const struct tc_replay_graph *g, uint32_t a, uint32_t b)
{
	return point_cmp(g, a << 1, b << 1);
}

/* A pending end point with its time: most comparisons are decided by the time, without the
 * loads of the op's start and duration that point_cmp makes. */
struct rp_hpt {
	int64_t t;
	uint32_t p;
};

static inline int hpt_less(const struct tc_replay_graph *g, struct rp_hpt a, struct rp_hpt b)
{
	return a.t != b.t ? a.t < b.t : point_cmp(g, a.p, b.p) < 0;
}

/* Points of one CPU lane from its ops sorted by start: ends are merged in from a min-heap,
 * which stays as small as the nesting depth for well-formed traces. */
static int cpu_points(const struct tc_replay_graph *g, const uint32_t *ops, size_t n, uint32_t *out)
{
	struct rp_hpt *heap = NULL;
	size_t hn = 0, hcap = 0, k = 0;
	for (size_t s = 0; s <= n; s++) {
		uint32_t op = s < n ? ops[s] : 0;
		if (s + RP_AHEAD < n) { /* as in sort_if_needed: the loads of ops to come */
			__builtin_prefetch(&g->ts[ops[s + RP_AHEAD]]);
			__builtin_prefetch(&g->dur[ops[s + RP_AHEAD]]);
		}
		struct rp_hpt sp = {s < n ? g->ts[op] : 0, op << 1};
		while (hn && (s == n || hpt_less(g, heap[0], sp))) {
			out[k++] = heap[0].p;
			heap[0] = heap[--hn];
			for (size_t i = 0;;) {
				size_t l = 2 * i + 1, r = l + 1, m = i;
				if (l < hn && hpt_less(g, heap[l], heap[m]))
					m = l;
				if (r < hn && hpt_less(g, heap[r], heap[m]))
					m = r;
				if (m == i)
					break;
				struct rp_hpt t = heap[i];
				heap[i] = heap[m];
				heap[m] = t;
				i = m;
			}
		}
		if (s == n)
			break;
		out[k++] = sp.p;
		if (hn == hcap && tc_grow((void **)&heap, &hcap, hn + 1, sizeof(*heap)) < 0) {
			free(heap);
			return TC_ENOMEM;
		}
		size_t i = hn++;
		heap[i] = (struct rp_hpt){sp.t + rp_dur0(g, op), sp.p | 1};
		while (i && hpt_less(g, heap[i], heap[(i - 1) / 2])) {
			struct rp_hpt t = heap[i];
			heap[i] = heap[(i - 1) / 2];
			heap[(i - 1) / 2] = t;
			i = (i - 1) / 2;
		}
	}
	free(heap);
	return 0;
}

/* ---- finish ------------------------------------------------------------------------------- */

int rp_add_edge(struct rp_edges *E, uint32_t dst, uint32_t src_enc)
{
	if (E->n == E->cap && tc_grow((void **)&E->e, &E->cap, E->n + 1, sizeof(*E->e)) < 0)
		return TC_ENOMEM;
	E->e[E->n++] = (struct rp_pair){dst, src_enc};
	return 0;
}

/* When an op was enqueued on its GPU lane: its launch call's start, else its own start.
 * Inlined into the binary searches below, where the call was 6% of load + graph. */
static inline int64_t enqueue_ts(const struct tc_replay_graph *g, uint32_t i)
{
	return g->link[i] != RP_NONE ? g->ts[g->link[i]] : g->ts[i];
}

int64_t rp_enqueue_ts(const struct tc_replay_graph *g, uint32_t i)
{
	return enqueue_ts(g, i);
}

/* Index in lane L's order of the last op enqueued before t, or -1. */
static long last_enqueued_before(const struct tc_replay_graph *g, const struct rp_lane *L,
				 int64_t t)
{
	long lo = 0, hi = (long)L->len; /* first index with enqueue >= t */
	while (lo < hi) {
		long mid = lo + (hi - lo) / 2;
		if (enqueue_ts(g, g->order[L->off + mid]) < t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo - 1;
}

/* Synchronisations are resolved in time order per rank, so the searches on one stream come
 * with times that rarely go back: a cursor per lane walks forward from the last answer instead
 * of a binary search per query (each probe was three dependent loads: the order, the launch,
 * its start). Only for lanes whose enqueue times never decrease, where the answer (the count
 * of ops enqueued before t) is the same whichever way it is found; other lanes, and a time
 * that goes back, take the binary search. */
struct enq_cur {
	int64_t t;     /* the last query's time */
	uint32_t pos;  /* its answer + 1 (ops enqueued before t) */
	uint8_t state; /* 0: not checked yet, 1: sorted, 2: not sorted */
};

static long last_enqueued_cur(const struct tc_replay_graph *g, struct enq_cur *cur, uint32_t lane,
			      int64_t t)
{
	const struct rp_lane *L = &g->lanes[lane];
	struct enq_cur *c = &cur[lane];
	const uint32_t *ord = g->order + L->off;
	if (c->state == 0) {
		c->state = 1;
		for (uint32_t k = 1; k < L->len && c->state == 1; k++)
			if (enqueue_ts(g, ord[k]) < enqueue_ts(g, ord[k - 1]))
				c->state = 2;
		c->t = INT64_MIN;
		c->pos = 0;
	}
	if (c->state != 1 || t < c->t)
		return last_enqueued_before(g, L, t);
	uint32_t k = c->pos;
	while (k < L->len && enqueue_ts(g, ord[k]) < t)
		k++;
	c->t = t;
	c->pos = k;
	return (long)k - 1;
}

static int is_gpu_lane(const struct tc_replay_graph *g, uint32_t lane)
{
	return lane < g->n_lanes &&
	       (g->lanes[lane].type == TC_LANE_GPU || g->lanes[lane].type == TC_LANE_GRAPH);
}

static int build_lanes(struct tc_replay_graph *g, struct tc_err *err)
{
	size_t n_order = 0;
	for (size_t l = 0; l < g->n_lanes; l++)
		g->lanes[l].len = 0;
	for (size_t i = 0; i < g->n; i++) {
		struct rp_lane *L = &g->lanes[g->lane[i]];
		if (g->flags[i] & RP_F_PASSIVE)
			continue;
		L->len += (g->flags[i] & RP_F_GPU) ? 1 : 2;
	}
	for (size_t l = 0; l < g->n_lanes; l++) {
		g->lanes[l].off = (uint32_t)n_order;
		n_order += g->lanes[l].len;
		g->lanes[l].len = 0;
	}
	g->order = malloc((n_order ? n_order : 1) * sizeof(*g->order));
	rp_hugepage(g->order, n_order * sizeof(*g->order));
	if (!g->order)
		return tc_err_set(err, TC_ENOMEM, "replay: out of memory for lane order");
	g->n_order = n_order;
	/* First pass: ops per lane; CPU lanes are then expanded into their points. */
	for (uint32_t i = 0; i < g->n; i++) {
		if (g->flags[i] & RP_F_PASSIVE)
			continue;
		struct rp_lane *L = &g->lanes[g->lane[i]];
		g->order[L->off + L->len++] = i;
	}
	uint32_t *tmp = NULL;
	size_t tmp_cap = 0;
	for (size_t l = 0; l < g->n_lanes; l++) {
		struct rp_lane *L = &g->lanes[l];
		uint32_t *a = g->order + L->off;
		if (is_gpu_lane(g, (uint32_t)l)) {
			if (sort_if_needed(g, a, L->len, gpu_cmp) < 0)
				goto oom;
			continue;
		}
		size_t nops = L->len;
		if (tc_grow((void **)&tmp, &tmp_cap, nops + 1, sizeof(*tmp)) < 0)
			goto oom;
		memcpy(tmp, a, nops * sizeof(*tmp));
		if (sort_if_needed(g, tmp, nops, start_cmp) < 0 || cpu_points(g, tmp, nops, a) < 0)
			goto oom;
		L->len = (uint32_t)(2 * nops);
	}
	free(tmp);
	return 0;
oom:
	free(tmp);
	return tc_err_set(err, TC_ENOMEM, "replay: out of memory sorting lanes");
}

static int ckey_cmp_rank(const void *pa, const void *pb, const void *ctx)
{
	const struct tc_replay_graph *g = ctx;
	const struct rp_ckey *a = pa, *b = pb;
	uint32_t ra = g->lanes[g->lane[a->op]].rank, rb = g->lanes[g->lane[b->op]].rank;
	if (ra != rb)
		return ra < rb ? -1 : 1;
	if (a->group != b->group)
		return a->group < b->group ? -1 : 1;
	int c = cmp_i64(g->ts[a->op], g->ts[b->op]);
	return c ? c : cmp_i64(a->op, b->op);
}

static int ckey_cmp_match(const void *pa, const void *pb, const void *ctx)
{
	const struct tc_replay_graph *g = ctx;
	const struct rp_ckey *a = pa, *b = pb;
	if (a->group != b->group)
		return a->group < b->group ? -1 : 1;
	if (a->seq != b->seq)
		return a->seq < b->seq ? -1 : 1;
	uint32_t ra = g->lanes[g->lane[a->op]].rank, rb = g->lanes[g->lane[b->op]].rank;
	if (ra != rb)
		return ra < rb ? -1 : 1;
	return cmp_i64(a->op, b->op);
}

static int sort_ckeys(struct tc_replay_graph *g, tc_cmp_ctx_fn cmp)
{
	return tc_msort(g->ckeys, g->n_ckeys, sizeof(*g->ckeys), cmp, g);
}

static int sync_cmp(const void *pa, const void *pb, const void *ctx)
{
	const struct tc_replay_graph *g = ctx;
	const struct rp_sync *a = pa, *b = pb;
	uint32_t ra = g->lanes[g->lane[a->op]].rank, rb = g->lanes[g->lane[b->op]].rank;
	if (ra != rb)
		return ra < rb ? -1 : 1;
	int c = cmp_i64(g->ts[a->op], g->ts[b->op]);
	return c ? c : cmp_i64(a->op, b->op);
}

static int step_cmp(const void *pa, const void *pb, const void *ctx)
{
	const struct tc_replay_graph *g = ctx;
	const struct rp_step *a = pa, *b = pb;
	if (a->rank != b->rank)
		return a->rank < b->rank ? -1 : 1;
	int c = cmp_i64(g->ts[a->op], g->ts[b->op]);
	return c ? c : cmp_i64(a->op, b->op);
}

/* Collectives match across ranks by (process group, sequence number). Streams without
 * sequence numbers match by order: the k-th collective of a group on each rank. */
static int build_collectives(struct tc_replay_graph *g, struct tc_err *err)
{
	if (g->n_ckeys == 0)
		return 0;
	for (size_t i = 0; i < g->n_ckeys; i++)
		if (!is_gpu_lane(g, g->lane[g->ckeys[i].op]))
			g->ckeys[i].seq = UINT64_MAX; /* never matched */
	int use_seq = 0;
	for (size_t i = 0; i < g->n_ckeys; i++)
		if (g->ckeys[i].seq != 0 && g->ckeys[i].seq != UINT64_MAX)
			use_seq = 1;
	if (!use_seq) {
		if (sort_ckeys(g, ckey_cmp_rank) < 0)
			goto oom;
		uint64_t ord = 0;
		for (size_t i = 0; i < g->n_ckeys; i++) {
			struct rp_ckey *k = &g->ckeys[i];
			if (i == 0 || k->group != k[-1].group ||
			    g->lanes[g->lane[k->op]].rank != g->lanes[g->lane[k[-1].op]].rank)
				ord = 0;
			if (k->seq != UINT64_MAX)
				k->seq = ++ord;
		}
	}
	if (sort_ckeys(g, ckey_cmp_match) < 0)
		goto oom;
	g->coll_members = malloc(g->n_ckeys * sizeof(*g->coll_members));
	g->colls = malloc(g->n_ckeys * sizeof(*g->colls));
	if (!g->coll_members || !g->colls)
		goto oom;
	size_t nm = 0;
	for (size_t i = 0; i < g->n_ckeys;) {
		size_t j = i + 1;
		while (j < g->n_ckeys && g->ckeys[j].group == g->ckeys[i].group &&
		       g->ckeys[j].seq == g->ckeys[i].seq)
			j++;
		g->stats.collectives += j - i;
		/* one member per rank; the instance needs two ranks or more */
		size_t first = nm;
		uint32_t last_rank = UINT32_MAX;
		for (size_t k = i; k < j && g->ckeys[i].seq != UINT64_MAX; k++) {
			uint32_t op = g->ckeys[k].op, rank = g->lanes[g->lane[op]].rank;
			if (rank == last_rank)
				continue;
			last_rank = rank;
			g->coll_members[nm++] = op;
		}
		if (nm - first >= 2) {
			struct rp_coll *c = &g->colls[g->n_colls];
			c->first = (uint32_t)first;
			c->count = (uint32_t)(nm - first);
			c->src_max_start = INT64_MIN;
			c->src_xfer = INT64_MAX;
			for (size_t k = first; k < nm; k++) {
				uint32_t op = g->coll_members[k];
				c->src_max_start = TC_MAX(c->src_max_start, g->ts[op]);
				c->src_xfer = TC_MIN(c->src_xfer, rp_dur0(g, op));
				g->flags[op] |= RP_F_COLL;
				if (tc_map64_put(&g->coll_of, op, g->n_colls) < 0)
					goto oom;
			}
			g->n_colls++;
		} else {
			nm = first;
		}
		i = j;
	}
	g->stats.collective_instances = g->n_colls;
	return 0;
oom:
	return tc_err_set(err, TC_ENOMEM, "replay: out of memory matching collectives");
}

/* Each GPU lane's collective instances in the lane's order (g->coll_seq): a run meets a
 * lane's ops in that order and follows them with a cursor, where a hash lookup per op was a
 * cache miss each (2% of a projection; a sweep pays it once per point). Only lanes holding a
 * member are walked. The map is freed: nothing else asks it. */
static int coll_lane_index(struct tc_replay_graph *g)
{
	size_t n = 0, nm = 0;
	uint8_t *has = calloc(g->n_lanes ? g->n_lanes : 1, 1);
	if (!has)
		return TC_ENOMEM;
	for (size_t c = 0; c < g->n_colls; c++)
		nm += g->colls[c].count;
	for (size_t k = 0; k < nm; k++)
		has[g->lane[g->coll_members[k]]] = 1;
	g->coll_seq = malloc((nm ? nm : 1) * sizeof(*g->coll_seq));
	if (!g->coll_seq) {
		free(has);
		return TC_ENOMEM;
	}
	for (uint32_t l = 0; l < g->n_lanes; l++) {
		struct rp_lane *L = &g->lanes[l];
		L->coll_off = (uint32_t)n;
		if (!has[l] || !is_gpu_lane(g, l))
			continue;
		const uint32_t *ord = g->order + L->off;
		for (uint32_t k = 0; k < L->len; k++) {
			uint64_t c;
			if (k + RP_AHEAD < L->len)
				__builtin_prefetch(&g->flags[ord[k + RP_AHEAD]]);
			if ((g->flags[ord[k]] & RP_F_COLL) && n < nm &&
			    tc_map64_get(&g->coll_of, ord[k], &c))
				g->coll_seq[n++] = (uint32_t)c;
		}
	}
	free(has);
	tc_map64_free(&g->coll_of);
	return 0;
}

/* ---- stream waits that name no event ----------------------------------------------------
 *
 * Older Kineto traces (e.g. the 2023 DLRM corpus) record cudaStreamWaitEvent with a
 * correlation id only: no event, no stream, and no cudaEventRecord at all. What they do give
 * is which streams the same thread launched on just before and just after the wait. PyTorch
 * issues the pair as record-then-wait at the point of the call (ProcessGroupNCCL's stream
 * sync before a collective, Work::wait after it, CUDA stream context switches), so the wait
 * makes the stream of the next launch wait for what the stream of the previous launch had
 * queued. That edge is added when both streams are known and differ, and only when the
 * measured timeline agrees with it (the waiting op did not start before the awaited one
 * ended); otherwise the wait is counted and left without an edge. */

struct rp_launch {
	uint32_t cpu_lane, op; /* the launching call's lane, the GPU op */
	int64_t t;	       /* the launching call's start */
};

static int launch_cmp(const void *pa, const void *pb, const void *ctx)
{
	const struct rp_launch *a = pa, *b = pb;
	(void)ctx;
	if (a->cpu_lane != b->cpu_lane)
		return a->cpu_lane < b->cpu_lane ? -1 : 1;
	if (a->t != b->t)
		return a->t < b->t ? -1 : 1;
	return a->op < b->op ? -1 : a->op > b->op;
}

/* Launches of GPU ops by CPU lane and time; NULL with *n = 0 when there are none. */
static int collect_launches(const struct tc_replay_graph *g, struct rp_launch **out, size_t *n)
{
	size_t k = 0;
	*out = NULL;
	*n = 0;
	for (uint32_t i = 0; i < g->n; i++)
		if ((g->flags[i] & RP_F_GPU) && g->link[i] != RP_NONE &&
		    !is_gpu_lane(g, g->lane[g->link[i]]))
			k++;
	if (!k)
		return 0;
	struct rp_launch *L = malloc(k * sizeof(*L));
	if (!L)
		return TC_ENOMEM;
	k = 0;
	for (uint32_t i = 0; i < g->n; i++)
		if ((g->flags[i] & RP_F_GPU) && g->link[i] != RP_NONE &&
		    !is_gpu_lane(g, g->lane[g->link[i]]))
			L[k++] = (struct rp_launch){g->lane[g->link[i]], i, g->ts[g->link[i]]};
	if (tc_msort(L, k, sizeof(*L), launch_cmp, g) < 0) {
		free(L);
		return TC_ENOMEM;
	}
	*out = L;
	*n = k;
	return 0;
}

/* The edge of an anonymous wait (op w), or 0 when none can be inferred. */
static int infer_wait(struct tc_replay_graph *g, const struct rp_launch *L, size_t n, uint32_t w,
		      struct rp_edges *E, struct enq_cur *cur)
{
	uint32_t lane = g->lane[w];
	int64_t t = g->ts[w];
	size_t lo = 0, hi = n; /* first launch of this lane at or after t */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (L[mid].cpu_lane < lane || (L[mid].cpu_lane == lane && L[mid].t < t))
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0 || lo >= n || L[lo].cpu_lane != lane || L[lo - 1].cpu_lane != lane)
		return 0;
	uint32_t pl = g->lane[L[lo - 1].op], nl = g->lane[L[lo].op];
	if (pl == nl || g->lanes[pl].rank != g->lanes[nl].rank)
		return 0;
	long p = last_enqueued_cur(g, cur, pl, t);
	long q = last_enqueued_cur(g, cur, nl, t) + 1;
	if (p < 0 || q >= (long)g->lanes[nl].len)
		return 0;
	uint32_t src = g->order[g->lanes[pl].off + p], dst = g->order[g->lanes[nl].off + q];
	if (rp_src_end(g, src) > g->ts[dst])
		return 0; /* the measured run contradicts it */
	return rp_add_edge(E, dst, src << 1) < 0 ? TC_ENOMEM : 1;
}

/* A stream or device synchronisation (op, on rank at time t): an edge from the last op
 * enqueued before it on each stream it waits for. lane: the stream, when the trace says. */
static int sync_streams(struct tc_replay_graph *g, struct rp_edges *E, struct enq_cur *cur,
			uint32_t op, uint32_t rank, int64_t t, uint32_t lane, int lane_ok)
{
	for (uint32_t l = 0; l < g->n_lanes; l++) {
		if (!is_gpu_lane(g, l) || g->lanes[l].rank != rank)
			continue;
		if (g->sub[op] == TC_RT_STREAM_SYNC && lane_ok && l != lane)
			continue;
		long p = last_enqueued_cur(g, cur, l, t);
		if (p < 0)
			continue;
		/* a stream sync whose stream is not recorded syncs every stream, but not one
		 * whose op ended after the call returned: the measured run says it did not wait
		 * for that stream (and the edge could close a cycle through later launches) */
		if (rp_src_end(g, g->order[g->lanes[l].off + p]) > rp_src_end(g, op))
			continue;
		if (rp_add_edge(E, op, g->order[g->lanes[l].off + p] << 1) < 0)
			return TC_ENOMEM;
		g->flags[op] |= RP_F_BLOCKING;
		g->stats.sync_edges++;
	}
	return 0;
}

/* A stream wait or event sync (sync record s, op on a CPU lane): an edge from the op the
 * event captured (ev: event id -> captured op + 1, per rank), or an inferred one when the
 * trace did not name the event. */
static int wait_event(struct tc_replay_graph *g, struct rp_edges *E, struct enq_cur *cur,
		      const struct tc_map64 *ev, const struct rp_launch *launches,
		      size_t n_launches, const struct rp_sync *s, uint32_t lane, int lane_ok)
{
	uint32_t op = s->op;
	uint64_t cap = 0;
	if (s->event == 0) {
		/* the trace did not say which event: infer it from the launches around the
		 * wait, or count it */
		int got = g->sub[op] == TC_RT_STREAM_WAIT_EVENT
			      ? infer_wait(g, launches, n_launches, op, E, cur)
			      : 0;
		if (got < 0)
			return TC_ENOMEM;
		if (got) {
			g->stats.event_edges++;
			g->stats.inferred_waits++;
		} else {
			g->stats.anonymous_waits++;
		}
		return 0;
	}
	if (!tc_map64_get(ev, s->event, &cap)) {
		g->stats.unresolved_waits++;
		return 0;
	}
	if (cap == 0)
		return 0; /* recorded on an empty stream: nothing to wait for */
	uint32_t src = (uint32_t)(cap - 1);
	if (g->sub[op] == TC_RT_EVENT_SYNC) {
		if (rp_add_edge(E, op, src << 1) < 0)
			return TC_ENOMEM;
		g->flags[op] |= RP_F_BLOCKING;
		g->stats.sync_edges++;
		return 0;
	}
	if (!lane_ok)
		return 0;
	/* the waiting stream's next op enqueued after the wait call */
	const struct rp_lane *L = &g->lanes[lane];
	long p = last_enqueued_cur(g, cur, lane, g->ts[op]) + 1;
	if (p >= (long)L->len)
		return 0;
	uint32_t dst = g->order[L->off + p];
	if (dst != src) {
		if (rp_add_edge(E, dst, src << 1) < 0)
			return TC_ENOMEM;
		g->stats.event_edges++;
	}
	return 0;
}

/* One synchronisation record, in time order; ev holds each rank's events recorded so far. */
static int sync_one(struct tc_replay_graph *g, struct rp_edges *E, struct enq_cur *cur,
		    struct tc_map64 *ev, const struct rp_launch *launches, size_t n_launches,
		    const struct rp_sync *s)
{
	uint32_t op = s->op, rank = g->lanes[g->lane[op]].rank;
	if (is_gpu_lane(g, g->lane[op]))
		return 0;
	int64_t t = g->ts[op];
	uint32_t lane = s->lane1 ? s->lane1 - 1 : RP_NONE;
	int lane_ok = lane != RP_NONE && is_gpu_lane(g, lane);
	switch (g->sub[op]) {
	case TC_RT_STREAM_SYNC:
	case TC_RT_DEVICE_SYNC:
		return sync_streams(g, E, cur, op, rank, t, lane, lane_ok);
	case TC_RT_EVENT_RECORD: {
		if (!lane_ok)
			return 0;
		long p = last_enqueued_cur(g, cur, lane, t);
		uint64_t cap = p < 0 ? 0 : (uint64_t)g->order[g->lanes[lane].off + p] + 1;
		return tc_map64_put(&ev[rank], s->event, cap) < 0 ? TC_ENOMEM : 0;
	}
	case TC_RT_STREAM_WAIT_EVENT:
	case TC_RT_EVENT_SYNC:
		return wait_event(g, E, cur, &ev[rank], launches, n_launches, s, lane, lane_ok);
	default:
		return 0;
	}
}

/* Syncs by (rank, time, op): a stable counting sort by rank keeps them in op order, which is
 * time order on most traces, so each rank's run is then only checked (tc_msort's first
 * pass); the merge itself (a twentieth of load + graph, its comparator two dependent loads per
 * side) runs only on a run found out of order. The order being total, the result is the one
 * sync_cmp defines. */
static int sort_syncs(struct tc_replay_graph *g)
{
	size_t n = g->n_syncs, nr = (size_t)g->max_rank + 1;
	if (n < 2)
		return 0;
	size_t *off = calloc(nr + 1, sizeof(*off));
	struct rp_sync *out = malloc(n * sizeof(*out));
	if (!off || !out) {
		free(off);
		free(out);
		return TC_ENOMEM;
	}
	for (size_t k = 0; k < n; k++)
		off[g->lanes[g->lane[g->syncs[k].op]].rank + 1]++;
	for (size_t q = 0; q < nr; q++)
		off[q + 1] += off[q];
	for (size_t k = 0; k < n; k++)
		out[off[g->lanes[g->lane[g->syncs[k].op]].rank]++] = g->syncs[k];
	free(off);
	free(g->syncs);
	g->syncs = out;
	g->cap_syncs = n;
	/* each rank's run: tc_msort checks it in one pass and sorts only when it must */
	for (size_t a = 0; a < n;) {
		size_t z = a + 1;
		uint32_t rank = g->lanes[g->lane[out[a].op]].rank;
		while (z < n && g->lanes[g->lane[out[z].op]].rank == rank)
			z++;
		if (tc_msort(out + a, z - a, sizeof(*out), sync_cmp, g) < 0)
			return TC_ENOMEM;
		a = z;
	}
	return 0;
}

/* cur: the lanes' search cursors, with launch_edges' sortedness */
static int build_syncs(struct tc_replay_graph *g, struct rp_edges *E, struct enq_cur *cur,
		       struct tc_err *err)
{
	struct rp_launch *launches = NULL;
	size_t n_launches = 0;
	for (size_t k = 0; k < g->n_syncs; k++)
		if (g->syncs[k].event == 0 && g->sub[g->syncs[k].op] == TC_RT_STREAM_WAIT_EVENT) {
			if (collect_launches(g, &launches, &n_launches) < 0)
				return tc_err_set(err, TC_ENOMEM, "replay: out of memory");
			break;
		}
	/* Records and waits are resolved in time order: an event id is reused many times and a
	 * wait refers to the latest record before it. Events are per rank. */
	struct tc_map64 *ev = calloc(g->max_rank + 1, sizeof(*ev));
	int rc = ev ? 0 : TC_ENOMEM;
	if (!rc && sort_syncs(g) < 0)
		rc = TC_ENOMEM;
	for (size_t k = 0; !rc && k < g->n_syncs; k++)
		rc = sync_one(g, E, cur, ev, launches, n_launches, &g->syncs[k]);
	if (ev)
		for (uint32_t r = 0; r <= g->max_rank; r++)
			tc_map64_free(&ev[r]);
	free(ev);
	free(launches);
	if (rc < 0)
		return tc_err_set(err, TC_ENOMEM,
				  "replay: out of memory resolving synchronisations");
	return 0;
}

static int build_csr(struct tc_replay_graph *g, struct rp_edges *E, struct tc_err *err)
{
	g->in_off = malloc((g->n + 1) * sizeof(*g->in_off));
	rp_hugepage(g->in_off, (g->n + 1) * sizeof(*g->in_off));
	if (g->in_off)
		memset(g->in_off, 0, (g->n + 1) * sizeof(*g->in_off));
	g->in_src = malloc((E->n ? E->n : 1) * sizeof(*g->in_src));
	if (!g->in_off || !g->in_src)
		return tc_err_set(err, TC_ENOMEM, "replay: out of memory for edges");
	for (size_t k = 0; k < E->n; k++)
		g->in_off[E->e[k].a + 1]++;
	for (size_t i = 0; i < g->n; i++)
		g->in_off[i + 1] += g->in_off[i];
	/* stable fill: count down from the end so edges keep insertion order per target */
	uint32_t *fill = malloc((g->n + 1) * sizeof(*fill));
	if (!fill)
		return tc_err_set(err, TC_ENOMEM, "replay: out of memory for edges");
	memcpy(fill, g->in_off, (g->n + 1) * sizeof(*fill));
	for (size_t k = 0; k < E->n; k++)
		g->in_src[fill[E->e[k].a]++] = E->e[k].b;
	free(fill);
	g->n_edges = E->n;
	return 0;
}

/* Flags from lane types, and work records for CPU-kind ops on GPU lanes. */
static int classify_ops(struct tc_replay_graph *g, struct tc_err *err)
{
	g->max_rank = 0;
	for (size_t l = 0; l < g->n_lanes; l++)
		g->max_rank = TC_MAX(g->max_rank, g->lanes[l].rank);
	if (g->max_rank > 1u << 20)
		return tc_err_set(err, TC_EUNSUPPORTED, "replay: rank %u out of range",
				  g->max_rank);
	for (uint32_t i = 0; i < g->n; i++) {
		if (g->lane[i] >= g->n_lanes)
			return tc_err_set(err, TC_EFORMAT,
					  "op %u: lane %u not declared (%zu lanes)", i, g->lane[i],
					  g->n_lanes);
		unsigned k = g->kind[i];
		if (is_gpu_lane(g, g->lane[i])) {
			if (k == TC_KIND_STEP || k == TC_KIND_ANNOTATION) {
				g->flags[i] = RP_F_PASSIVE; /* not a GPU kind: ref is its name */
				g->stats.passive_ops++;
				continue;
			}
			g->flags[i] = (uint8_t)((g->flags[i] & RP_F_WORK) | RP_F_GPU);
			if (!(g->flags[i] & RP_F_WORK)) {
				/* a CPU-kind op on a GPU lane: an empty work record under its name
				 */
				struct rp_work w;
				memset(&w, 0, sizeof(w));
				w.name = g->ref[i];
				w.cls = g->cls[i];
				w.dtype = TC_DT_UNKNOWN;
				w.kind = g->kind[i];
				w.sub = g->sub[i];
				w.analytic = g->dur[i] == RP_DUR_NONE;
				if (intern_work(g, &w, &g->ref[i]) < 0)
					return tc_err_set(err, TC_ENOMEM, "replay: out of memory");
				g->flags[i] |= RP_F_WORK;
			}
			if (g->works[g->ref[i]].analytic)
				g->flags[i] |= RP_F_ANALYTIC;
			{
				struct rp_work *W = &g->works[g->ref[i]];
				int64_t d = rp_dur(g, i);
				if (!W->count || W->min_dur < 0 || (d >= 0 && d < W->min_dur))
					W->min_dur = d;
				W->dur_sum += d > 0 ? (double)d : 0;
			}
			g->works[g->ref[i]].count++;
			g->stats.gpu_ops++;
		} else {
			g->flags[i] = (uint8_t)((g->flags[i] & RP_F_WORK) |
						(k == TC_KIND_STEP	   ? RP_F_STEP
						 : k == TC_KIND_ANNOTATION ? 0
									   : RP_F_INNER));
			g->stats.cpu_ops++;
		}
	}
	/* the fallback basis depends on the op only: once per work record, not once per chip
	 * per run (sweeps cost the same records on thousands of chips) */
	for (uint32_t w = 0; w < g->n_works; w++) {
		struct tc_hw_op h;
		g->works[w].basis_hint = 0;
		rp_hw_op(g, &g->works[w], &h);
		g->works[w].basis_hint = (uint8_t)(tc_hw_fallback_basis(&h) + 1);
	}
	return 0;
}

/* Launch edges, blocking copies and per-lane minimum latencies; cur gets whether each GPU lane's
 * enqueue times never decrease (the loop loads them anyway: a pass of its own was a
 * dependent load per op). */
static int launch_edges(struct tc_replay_graph *g, struct rp_edges *E, struct enq_cur *cur)
{
	for (uint32_t l = 0; l < g->n_lanes; l++) {
		struct rp_lane *L = &g->lanes[l];
		L->min_launch_lat = INT64_MAX;
		L->min_gap = INT64_MAX;
		if (!is_gpu_lane(g, l)) {
			g->stats.cpu_lanes++;
			continue;
		}
		g->stats.gpu_lanes++;
		L->busy_ns = 0;
		int64_t enq_prev = INT64_MIN;
		uint8_t sorted = 1;
		for (uint32_t k = 0; k < L->len; k++) {
			uint32_t i = g->order[L->off + k];
			uint32_t ln = g->link[i];
			/* the loads to come, ahead (hints only): a stream's ops and their
			 * launches lie scattered over the per-op arrays, a cache miss each.
			 * Two steps: the launch's fields once its link has come in. (Written
			 * out here: as a static inline function, GCC 12 -O3 dropped them.) */
			if (k + 2 * RP_AHEAD < L->len) {
				uint32_t far = g->order[L->off + k + 2 * RP_AHEAD];
				uint32_t nl = g->link[g->order[L->off + k + RP_AHEAD]];
				__builtin_prefetch(&g->link[far]);
				__builtin_prefetch(&g->ts[far]);
				__builtin_prefetch(&g->dur[far]);
				__builtin_prefetch(&g->flags[far]);
				if (nl != RP_NONE) {
					__builtin_prefetch(&g->ts[nl]);
					__builtin_prefetch(&g->lane[nl]);
				}
			}
			int64_t enq = g->ts[ln != RP_NONE ? ln : i];
			if (enq < enq_prev)
				sorted = 0;
			enq_prev = enq;
			L->busy_ns += rp_dur0(g, i);
			if (k > 0) {
				int64_t gap = g->ts[i] - rp_src_end(g, g->order[L->off + k - 1]);
				if (gap >= 0 && !(g->flags[i] & RP_F_ANALYTIC))
					L->min_gap = TC_MIN(L->min_gap, gap);
			}
			if (ln == RP_NONE || is_gpu_lane(g, g->lane[ln]))
				continue;
			if (rp_add_edge(E, i, ln << 1 | RP_EDGE_FROM_START) < 0)
				return TC_ENOMEM;
			g->stats.launch_edges++;
			if (!(g->flags[i] & RP_F_ANALYTIC)) {
				int64_t lat = g->ts[i] - g->ts[ln];
				L->min_launch_lat = TC_MIN(L->min_launch_lat, lat > 0 ? lat : 0);
			}
			if (g->kind[ln] == TC_KIND_RUNTIME && g->sub[ln] == TC_RT_MEMCPY) {
				if (rp_add_edge(E, ln, i << 1) < 0)
					return TC_ENOMEM;
				g->flags[ln] |= RP_F_BLOCKING;
				g->stats.memcpy_edges++;
			}
		}
		if (L->min_gap == INT64_MAX)
			L->min_gap = 0;
		cur[l] = (struct enq_cur){INT64_MIN, 0, sorted ? 1 : 2};
	}
	return 0;
}

/* The launch floor is a property of the device and driver, not of one stream: a stream
 * whose kernels were all queued says nothing about it. Take the rank's minimum. Same for the
 * gap between consecutive ops of a stream: a stream that only ever waited (a communication
 * stream) has large gaps that say nothing about the device. */
static int rank_minimums(struct tc_replay_graph *g)
{
	int64_t *mr = malloc(2 * ((size_t)g->max_rank + 1) * sizeof(*mr));
	if (!mr)
		return TC_ENOMEM;
	int64_t *gr = mr + g->max_rank + 1;
	for (uint32_t q = 0; q <= g->max_rank; q++)
		mr[q] = gr[q] = INT64_MAX;
	for (uint32_t q = 0; q < g->n_lanes; q++) {
		const struct rp_lane *L = &g->lanes[q];
		if (!is_gpu_lane(g, q))
			continue;
		mr[L->rank] = TC_MIN(mr[L->rank], L->min_launch_lat);
		if (L->len > 1)
			gr[L->rank] = TC_MIN(gr[L->rank], L->min_gap);
	}
	for (uint32_t l = 0; l < g->n_lanes; l++) {
		uint32_t rk = g->lanes[l].rank;
		g->lanes[l].min_launch_lat = mr[rk] == INT64_MAX ? 0 : mr[rk];
		g->lanes[l].min_gap = gr[rk] == INT64_MAX ? 0 : gr[rk];
	}
	free(mr);
	return 0;
}

/* Steps: CPU step annotations by rank and start; and the ranks that have lanes. */
static int build_steps(struct tc_replay_graph *g)
{
	for (uint32_t i = 0; i < g->n; i++)
		if (g->flags[i] & RP_F_STEP)
			g->n_steps++;
	g->steps = malloc((g->n_steps ? g->n_steps : 1) * sizeof(*g->steps));
	if (!g->steps)
		return TC_ENOMEM;
	g->n_steps = 0;
	for (uint32_t i = 0; i < g->n; i++)
		if (g->flags[i] & RP_F_STEP)
			g->steps[g->n_steps++] = (struct rp_step){i, g->lanes[g->lane[i]].rank};
	if (tc_msort(g->steps, g->n_steps, sizeof(*g->steps), step_cmp, g) < 0)
		return TC_ENOMEM;
	uint8_t *seen = calloc(g->max_rank + 1, 1);
	if (!seen)
		return TC_ENOMEM;
	for (size_t l = 0; l < g->n_lanes; l++)
		seen[g->lanes[l].rank] = 1;
	for (uint32_t r = 0; r <= g->max_rank; r++)
		g->n_ranks += seen[r];
	free(seen);
	return 0;
}

/* What finish needed and the run does not. */
static void drop_build_state(struct tc_replay_graph *g)
{
	free(g->link);
	g->link = NULL;
	free(g->sub);
	g->sub = NULL;
	free(g->wtab);
	g->wtab = NULL;
	g->wtab_cap = 0;
	free(g->whint);
	g->whint = NULL;
	free(g->syncs);
	g->syncs = NULL;
	free(g->ckeys);
	g->ckeys = NULL;
	free(g->deps);
	g->deps = NULL;
	g->n_syncs = g->n_ckeys = g->n_deps = 0;
}

int tc_replay_graph_finish(struct tc_replay_graph *g, const struct tc_log *log, struct tc_err *err)
{
	struct rp_edges E = {NULL, 0, 0};
	struct enq_cur *cur = NULL;
	int rc;
	if (g->finished)
		return 0;
	if ((rc = classify_ops(g, err)) < 0)
		return rc;
	rc = build_lanes(g, err);
	if (rc < 0)
		goto out;
	/* zeroed: a lane launch_edges does not see is checked when first searched */
	cur = calloc(g->n_lanes ? g->n_lanes : 1, sizeof(*cur));
	if (!cur || launch_edges(g, &E, cur) < 0 || rank_minimums(g) < 0)
		goto oom;
	if ((rc = build_syncs(g, &E, cur, err)) < 0)
		goto out;
	for (size_t k = 0; k < g->n_deps; k++) {
		if (g->flags[g->deps[k].b] & RP_F_PASSIVE)
			continue; /* annotations are never simulated: nothing to wait for */
		if ((rc = rp_add_edge(&E, g->deps[k].a, g->deps[k].b << 1)) < 0)
			goto oom;
		g->stats.data_edges++;
	}
	if ((rc = rp_infer_waits(g, &E, err)) < 0)
		goto out;
	if ((rc = build_collectives(g, err)) < 0)
		goto out;
	if (coll_lane_index(g) < 0)
		goto oom;
	if ((rc = build_csr(g, &E, err)) < 0)
		goto out;
	if (build_steps(g) < 0)
		goto oom;
	g->stats.ops = g->n;
	g->stats.steps = g->n_steps;
	g->stats.lanes = (uint32_t)g->n_lanes;
	g->stats.ranks = g->n_ranks;
	tc_debug(log,
		 "replay graph: %zu ops, %zu lanes, %llu launch, %llu sync, %llu event, %llu data "
		 "edges, %zu collective instances, %zu steps",
		 g->n, g->n_lanes, (unsigned long long)g->stats.launch_edges,
		 (unsigned long long)g->stats.sync_edges, (unsigned long long)g->stats.event_edges,
		 (unsigned long long)g->stats.data_edges, g->n_colls, g->n_steps);
	drop_build_state(g);
	g->finished = 1;
	rc = 0;
	goto out;
oom:
	rc = tc_err_set(err, TC_ENOMEM, "replay: out of memory building the graph");
out:
	free(cur);
	free(E.e);
	return rc;
}

uint32_t rp_launch_of(const struct tc_replay_graph *g, uint32_t i)
{
	for (uint32_t k = g->in_off[i]; k < g->in_off[i + 1]; k++)
		if (g->in_src[k] & RP_EDGE_FROM_START)
			return g->in_src[k] >> 1;
	return RP_NONE;
}

void tc_replay_graph_stats(const struct tc_replay_graph *g, struct tc_replay_graph_stats *out)
{
	*out = g->stats;
}

uint64_t tc_replay_graph_op_count(const struct tc_replay_graph *g)
{
	return g->n;
}

size_t tc_replay_graph_bytes(const struct tc_replay_graph *g)
{
	size_t per_op = sizeof(int64_t) + 3 * sizeof(uint32_t) + 3;
	return g->n * per_op + g->n_big * sizeof(struct rp_big) +
	       g->n_works * sizeof(struct rp_work) + (g->n + 1) * sizeof(uint32_t) +
	       g->n_order * sizeof(uint32_t) + g->n_edges * sizeof(uint32_t) +
	       g->n_lanes * sizeof(struct rp_lane) + g->n_colls * sizeof(struct rp_coll);
}

const struct tc_ops_header *tc_replay_graph_header(const struct tc_replay_graph *g)
{
	return g->reader ? tc_ops_reader_header(g->reader) : NULL;
}

void tc_replay_graph_free(struct tc_replay_graph *g)
{
	if (!g)
		return;
	free(g->ts);
	free(g->dur);
	free(g->lane);
	free(g->ref);
	free(g->kind);
	free(g->cls);
	free(g->sub);
	free(g->flags);
	free(g->big);
	free(g->works);
	free(g->wtab);
	free(g->whint);
	free(g->in_off);
	free(g->in_src);
	free(g->lanes);
	free(g->order);
	free(g->colls);
	free(g->coll_members);
	tc_map64_free(&g->coll_of);
	free(g->coll_seq);
	free(g->steps);
	free(g->iwait);
	free(g->swait);
	free(g->link);
	free(g->syncs);
	free(g->ckeys);
	free(g->deps);
	tc_ops_reader_free(g->reader);
	free(g);
}

/* ---- loading a .tcs --------------------------------------------------------------------- */

static const char *reader_name(const void *ctx, uint32_t id)
{
	return tc_ops_reader_string(ctx, id);
}

int tc_replay_graph_load(struct tc_replay_graph **out, const char *path, const struct tc_log *log,
			 struct tc_err *err)
{
	struct tc_replay_graph *g = NULL;
	struct tc_ops_reader *r = NULL;
	int rc = tc_ops_reader_open(&r, path, err);
	if (rc < 0)
		return rc;
	if ((rc = tc_replay_graph_new(&g, err)) < 0 || !g) {
		tc_ops_reader_free(r);
		return rc < 0 ? rc : TC_ENOMEM;
	}
	g->reader = r;
	tc_replay_graph_set_names(g, reader_name, r);
	/* Size the per-op arrays once from the file: doubling from 1024 copied each array
	 * about once more and touched its pages twice (a tenth of load + graph). Compressed
	 * streams hold 2-20 bytes per op; pages reserved past the last op are never touched,
	 * so they cost address space, not memory. The arrays still grow past the guess. */
	struct stat st;
	if (stat(path, &st) == 0 && st.st_size > 0 && (uint64_t)st.st_size / 2 < RP_MAX_OPS)
		(void)grow_ops(g, (size_t)st.st_size / 2);
	const struct tc_op *ops;
	size_t n;
	while ((rc = tc_ops_reader_next(r, &ops, &n, err)) > 0)
		if ((rc = tc_replay_graph_add(g, ops, n, err)) < 0)
			break;
	if (rc == 0) {
		size_t nl = tc_ops_reader_lane_count(r);
		struct tc_lane *lanes = malloc((nl ? nl : 1) * sizeof(*lanes));
		if (!lanes) {
			rc = tc_err_set(err, TC_ENOMEM, "replay: out of memory");
		} else {
			for (size_t l = 0; l < nl; l++)
				lanes[l] = *tc_ops_reader_lane(r, (uint32_t)l);
			rc = tc_replay_graph_set_lanes(g, lanes, nl, err);
			free(lanes);
		}
	}
	if (rc == 0)
		rc = tc_replay_graph_finish(g, log, err);
	if (rc < 0) {
		tc_err_wrap(err, "%s", path);
		tc_replay_graph_free(g);
		return rc;
	}
	*out = g;
	return 0;
}

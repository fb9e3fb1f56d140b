/* chrome_link.c - turn one rank's parsed ops into a linked, time-ordered stream and write
 * every rank into the opstream.
 *
 * Order: (ts, longer first, input order), so an enclosing op always precedes what it
 * contains and a launch precedes its kernel; links that would point forward (clock skew
 * between CPU and GPU) are dropped and counted rather than written wrong. */
#include <stdlib.h>
#include <string.h>

#include "chrome.h"

static int cmp_rop(const void *a, const void *b)
{
	const struct rop *x = a, *y = b;
	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	if (x->dur != y->dur)
		return x->dur > y->dur ? -1 : 1;
	/* CPU-side kinds before GPU ones at the same instant, then input order */
	if (x->seq != y->seq)
		return x->seq < y->seq ? -1 : 1;
	return 0;
}

/* In-place introsort of the ops: qsort() here is glibc's merge sort, which allocates a
 * copy of the whole array (a second 64 B per op at the peak). (ts, dur, seq) is a total
 * order, so stability does not matter. */
static void swap_rop(struct rop *a, struct rop *b)
{
	struct rop t = *a;
	*a = *b;
	*b = t;
}

static void sift_rop(struct rop *v, size_t i, size_t n)
{
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= n)
			return;
		if (c + 1 < n && cmp_rop(&v[c], &v[c + 1]) < 0)
			c++;
		if (cmp_rop(&v[i], &v[c]) >= 0)
			return;
		swap_rop(&v[i], &v[c]);
		i = c;
	}
}

static void sort_rop(struct rop *v, size_t n, int depth)
{
	while (n > 16) {
		if (depth-- == 0) { /* heap sort: no quadratic worst case */
			for (size_t i = n / 2; i-- > 0;)
				sift_rop(v, i, n);
			for (size_t i = n - 1; i > 0; i--) {
				swap_rop(&v[0], &v[i]);
				sift_rop(v, 0, i);
			}
			return;
		}
		/* median of three to v[0], then Hoare partition */
		size_t m = n / 2;
		if (cmp_rop(&v[m], &v[0]) < 0)
			swap_rop(&v[m], &v[0]);
		if (cmp_rop(&v[n - 1], &v[0]) < 0)
			swap_rop(&v[n - 1], &v[0]);
		if (cmp_rop(&v[n - 1], &v[m]) < 0)
			swap_rop(&v[n - 1], &v[m]);
		swap_rop(&v[0], &v[m]);
		size_t i = 0, j = n;
		for (;;) {
			while (cmp_rop(&v[++i], &v[0]) < 0 && i < n - 1)
				;
			while (cmp_rop(&v[0], &v[--j]) < 0)
				;
			if (i >= j)
				break;
			swap_rop(&v[i], &v[j]);
		}
		swap_rop(&v[0], &v[j]);
		/* recurse into the smaller side, loop on the larger */
		if (j < n - j - 1) {
			sort_rop(v, j, depth);
			v += j + 1;
			n -= j + 1;
		} else {
			sort_rop(v + j + 1, n - j - 1, depth);
			n = j;
		}
	}
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && cmp_rop(&v[j], &v[j - 1]) < 0; j--)
			swap_rop(&v[j], &v[j - 1]);
}

static struct rext *ext_of(struct rfile *f, struct rop *op)
{
	return op->xi ? &f->ext[op->xi - 1] : NULL;
}

static struct rext *ext_new(struct rfile *f, struct rop *op)
{
	if (op->xi)
		return &f->ext[op->xi - 1];
	if (tc_grow((void **)&f->ext, &f->extcap, f->next + 1, sizeof(struct rext)) < 0)
		return NULL;
	memset(&f->ext[f->next], 0, sizeof(struct rext));
	op->xi = (uint32_t)++f->next;
	return &f->ext[f->next - 1];
}

/* CPU nesting by time containment, per thread. */
static int nest(struct rfile *f)
{
	size_t *top = calloc(f->nlanes ? f->nlanes : 1, sizeof(size_t));
	uint32_t *next = malloc((f->n + 1) * sizeof(uint32_t)); /* per-lane linked stacks */
	if (!top || !next) {
		free(top);
		free(next);
		return -1;
	}
	/* top[lane] = position + 1 of the innermost open op; next[pos] = the one below it */
	for (size_t i = 0; i < f->n; i++) {
		struct rop *op = &f->ops[i];
		if (f->lanes[op->lane].gpu)
			continue;
		size_t t = top[op->lane];
		while (t) {
			struct rop *p = &f->ops[t - 1];
			if (op->ts < p->ts + p->dur || (p->dur == 0 && op->ts == p->ts && 0))
				break;
			t = next[t - 1];
		}
		top[op->lane] = t;
		if (t)
			op->parent = (uint32_t)t;
		if (op->kind != TC_KIND_RUNTIME && op->dur > 0) {
			next[i] = (uint32_t)t;
			top[op->lane] = i + 1;
		}
	}
	free(top);
	free(next);
	return 0;
}

/* Runtime calls by correlation. Kineto numbers correlations densely, so a direct table
 * over [lo, hi] (4 B a slot, no hashing) serves when that range is at most 4x the count
 * (about 4 MB for a million launches where a hash map took ~36 MB); otherwise a hash map.
 * last_wins: a repeated correlation names its last call (else its first). */
struct corrix {
	uint64_t lo, span;
	uint32_t *tab; /* index + 1 */
	struct tc_map64 map;
};

static int corrix_build(struct corrix *x, const struct rfile *f, int last_wins)
{
	uint64_t lo = UINT64_MAX, hi = 0, n = 0;
	memset(x, 0, sizeof(*x));
	for (size_t i = 0; i < f->n; i++) {
		const struct rop *op = &f->ops[i];
		if (op->kind != TC_KIND_RUNTIME || !op->corr)
			continue;
		lo = TC_MIN(lo, op->corr);
		hi = TC_MAX(hi, op->corr);
		n++;
	}
	if (n && hi - lo < 4 * n + 1024) {
		x->lo = lo;
		x->span = hi - lo + 1;
		x->tab = calloc(x->span, sizeof(uint32_t));
		if (!x->tab)
			return -1;
	}
	for (size_t i = 0; i < f->n; i++) {
		const struct rop *op = &f->ops[i];
		if (op->kind != TC_KIND_RUNTIME || !op->corr)
			continue;
		if (x->tab) {
			uint32_t *slot = &x->tab[op->corr - lo];
			if (last_wins || !*slot)
				*slot = (uint32_t)i + 1;
		} else if (last_wins || !tc_map64_get(&x->map, op->corr, NULL)) {
			if (tc_map64_put(&x->map, op->corr, i) < 0)
				return -1;
		}
	}
	return 0;
}

static int corrix_get(const struct corrix *x, uint64_t corr, uint64_t *idx)
{
	if (!x->tab)
		return tc_map64_get(&x->map, corr, idx);
	if (corr < x->lo || corr - x->lo >= x->span || !x->tab[corr - x->lo])
		return 0;
	*idx = x->tab[corr - x->lo] - 1;
	return 1;
}

static void corrix_free(struct corrix *x)
{
	free(x->tab);
	tc_map64_free(&x->map);
}

static int link_kernels(struct rctx *c, struct rfile *f)
{
	struct corrix corr;
	struct tc_map64 ext = TC_MAP64_INIT;
	uint8_t *nk = calloc(f->n + 1, 1); /* kernels per launching call, saturating at 2 */
	int rc = 0, need_ext = 0;
	(void)c;
	if (!nk)
		return -1;
	rc |= corrix_build(&corr, f, 0);
	for (size_t i = 0; i < f->n; i++) {
		struct rop *op = &f->ops[i];
		need_ext |= op->kind == TC_KIND_RUNTIME && !op->parent && op->ext;
	}
	/* External id fallback only matters for runtime calls nothing encloses */
	for (size_t i = 0; i < f->n && need_ext; i++) {
		struct rop *op = &f->ops[i];
		if (op->kind == TC_KIND_CPU_OP && op->ext && !tc_map64_get(&ext, op->ext, NULL))
			rc |= tc_map64_put(&ext, op->ext, i);
	}
	for (size_t i = 0; i < f->n && rc == 0; i++) {
		struct rop *op = &f->ops[i];
		uint64_t p;
		/* runtime call without an enclosing op on its thread: External id says who */
		if (need_ext && op->kind == TC_KIND_RUNTIME && !op->parent && op->ext &&
		    tc_map64_get(&ext, op->ext, &p) && p < i)
			op->parent = (uint32_t)p + 1;
		if (op->kind != TC_KIND_KERNEL && op->kind != TC_KIND_MEMCPY &&
		    op->kind != TC_KIND_MEMSET)
			continue;
		if (!op->corr || !corrix_get(&corr, op->corr, &p))
			continue;
		if (p >= i) {
			f->unlinked++;
			continue;
		}
		op->link = (uint32_t)p + 1;
		if (f->ops[p].sub == TC_RT_GRAPH_LAUNCH)
			op->flags |= TC_FLAG_GRAPH_KERNEL;
		if (nk[p] < 2)
			nk[p]++;
	}
	/* A plain launch with several kernels is a graph in disguise (hipGraphLaunch names
	 * differ); mark them too. */
	for (size_t i = 0; i < f->n && rc == 0; i++) {
		struct rop *op = &f->ops[i];
		if (op->link && nk[op->link - 1] > 1)
			op->flags |= TC_FLAG_GRAPH_KERNEL;
	}
	free(nk);
	corrix_free(&corr);
	tc_map64_free(&ext);
	return rc ? -1 : 0;
}

/* Work and collective facts flow from the launching CPU op to the kernel. */
static void attribute(struct rctx *c, struct rfile *f)
{
	for (size_t i = 0; i < f->n; i++) {
		struct rop *k = &f->ops[i];
		if (k->kind != TC_KIND_KERNEL || !k->link)
			continue;
		uint32_t p = f->ops[k->link - 1].parent;
		/* kernels have no work of their own: they take their launching op's */
		int give_work = k->cls != TC_CLASS_COLLECTIVE && !k->wi;
		int want_coll = k->cls == TC_CLASS_COLLECTIVE;
		for (int depth = 0; p && depth < 12 && (give_work || want_coll);
		     depth++, p = f->ops[p - 1].parent) {
			struct rop *o = &f->ops[p - 1];
			struct rext *ox = ext_of(f, o);
			struct rwork *ow = o->wi ? &f->work[o->wi - 1] : NULL;
			if (give_work && ow && ow->has_work && !ow->given && o->cls == k->cls) {
				k->wi = o->wi; /* shared: the writer takes work and dims, not shapes */
				ow->given = 1;
				k->flags |= o->flags & TC_FLAG_WORK_ESTIMATED;
				give_work = 0;
			}
			if (want_coll && ((ox && ox->has_coll) ||
					  tc_coll_of_name(tc_strtab_get(&c->names, o->name)))) {
				struct rext *kx = ext_new(f, k);
				if (!kx)
					return;
				ox = ext_of(f, o);
				if (ox && ox->has_coll) {
					if (!kx->coll_kind)
						kx->coll_kind = ox->coll_kind;
					if (!kx->coll_nelems)
						kx->coll_nelems = ox->coll_nelems;
					if (!kx->coll_bytes)
						kx->coll_bytes = ox->coll_bytes;
					if (!kx->coll_dtype)
						kx->coll_dtype = ox->coll_dtype;
					if (!kx->coll_group_size)
						kx->coll_group_size = ox->coll_group_size;
					if (!kx->coll_group)
						kx->coll_group = ox->coll_group;
				}
				if (!kx->coll_kind)
					kx->coll_kind = (uint8_t)tc_coll_of_name(
						tc_strtab_get(&c->names, o->name));
				if (kx->coll_kind && kx->coll_bytes)
					want_coll = 0;
			}
		}
	}
	/* kind from the kernel name when nothing else told; sequence per group */
	struct tc_map64 seq = TC_MAP64_INIT;
	for (size_t i = 0; i < f->n; i++) {
		struct rop *k = &f->ops[i];
		if (k->kind != TC_KIND_KERNEL || k->cls != TC_CLASS_COLLECTIVE)
			continue;
		struct rext *kx = ext_new(f, k);
		if (!kx)
			break;
		if (!kx->coll_kind)
			kx->coll_kind = (uint8_t)tc_coll_of_name(tc_strtab_get(&c->names, k->name));
		if (!kx->coll_kind)
			kx->coll_kind = TC_COLL_ALLREDUCE == 0 ? 0 : 0; /* unknown stays none */
		/* group size the kernel and its launching op did not tell: pg_config by group
		 * name, or the only process group of the job when the kernel names none */
		for (int g = 0; !kx->coll_group_size && g < f->npg; g++)
			if (f->pg_name[g] == kx->coll_group || (f->npg == 1 && !kx->coll_group))
				kx->coll_group_size = f->pg_size[g];
		if (!kx->coll_bytes && kx->coll_nelems && tc_dtype_size(kx->coll_dtype))
			kx->coll_bytes = kx->coll_nelems * tc_dtype_size(kx->coll_dtype);
		uint64_t n = 0;
		tc_map64_get(&seq, kx->coll_group, &n);
		kx->coll_seq = n;
		tc_map64_put(&seq, kx->coll_group, n + 1);
		kx->has_coll = 1;
	}
	tc_map64_free(&seq);
}

/* cuda_sync records name the stream and the recording call of what a runtime call waited
 * for; the pair (record, wait) shares sync_event = correlation of the cudaEventRecord. */
static int sync_links(struct rfile *f)
{
	struct corrix corr;
	if (corrix_build(&corr, f, 1) < 0) {
		corrix_free(&corr);
		return -1;
	}
	for (size_t s = 0; s < f->nsyncs; s++) {
		struct rsync *y = &f->syncs[s];
		uint64_t p;
		if (y->record_corr && y->wait_stream >= 0 && corrix_get(&corr, y->record_corr, &p)) {
			struct rext *x = ext_new(f, &f->ops[p]);
			if (x) {
				x->sync_lane = tc_chrome_lane(f, 1, y->device, y->wait_stream) + 1;
				x->sync_event = y->record_corr;
			}
		}
		if (!y->corr || !corrix_get(&corr, y->corr, &p))
			continue;
		struct rop *op = &f->ops[p];
		struct rext *x = ext_new(f, op);
		if (!x)
			continue;
		switch (op->sub) {
		case TC_RT_STREAM_WAIT_EVENT:
			if (y->stream >= 0)
				x->sync_lane = tc_chrome_lane(f, 1, y->device, y->stream) + 1;
			x->sync_event = y->record_corr;
			break;
		case TC_RT_STREAM_SYNC:
			if (y->stream >= 0)
				x->sync_lane = tc_chrome_lane(f, 1, y->device, y->stream) + 1;
			break;
		default: /* event sync / query: the stream the event was recorded on */
			if (y->wait_stream >= 0)
				x->sync_lane = tc_chrome_lane(f, 1, y->device, y->wait_stream) + 1;
			x->sync_event = y->record_corr;
			break;
		}
	}
	/* records nobody waited on still carry their event id (= their correlation) */
	for (size_t i = 0; i < f->n; i++) {
		struct rop *op = &f->ops[i];
		if (op->kind == TC_KIND_RUNTIME && op->sub == TC_RT_EVENT_RECORD && op->corr) {
			struct rext *x = ext_new(f, op);
			if (x && !x->sync_event)
				x->sync_event = op->corr;
		}
	}
	corrix_free(&corr);
	return 0;
}

int tc_chrome_link(struct rctx *c, struct rfile *f, struct tc_err *err)
{
	sort_rop(f->ops, f->n, 64);
	if (nest(f) < 0 || link_kernels(c, f) < 0)
		return tc_err_set(err, TC_ENOMEM, "out of memory linking %s", f->path);
	attribute(c, f);
	if (sync_links(f) < 0)
		return tc_err_set(err, TC_ENOMEM, "out of memory linking %s", f->path);
	return 0;
}

/* ---- writing ---------------------------------------------------------------------------- */


struct lane_sort {
	uint32_t idx;
	const struct rlane *l;
};

static int cmp_lane(const void *a, const void *b)
{
	const struct rlane *x = ((const struct lane_sort *)a)->l, *y = ((const struct lane_sort *)b)->l;
	if (x->gpu != y->gpu)
		return x->gpu < y->gpu ? -1 : 1;
	if (x->a != y->a)
		return x->a < y->a ? -1 : 1;
	if (x->b != y->b)
		return x->b < y->b ? -1 : 1;
	return 0;
}

static int cmp_file_rank(const void *a, const void *b)
{
	const struct rfile *x = *(struct rfile *const *)a, *y = *(struct rfile *const *)b;
	return x->rank < y->rank ? -1 : x->rank > y->rank;
}

static const char *vendor_of(const char *name, int rocm)
{
	if (tc_strcasestr(name, "nvidia") || tc_strcasestr(name, "tesla") ||
	    tc_strcasestr(name, "geforce"))
		return "nvidia";
	if (tc_strcasestr(name, "amd") || tc_strcasestr(name, "radeon") ||
	    tc_strcasestr(name, "instinct") || rocm)
		return "amd";
	return "";
}

/* Architecture from the compute capability: "sm_80" on NVIDIA. On AMD computeMajor/Minor
 * (9.4) do not name the chip's gfx target (gfx940/941/942), so only gcnArchName is used. */
static void arch_of(const struct tc_device *d, const struct rfile *f, int64_t devidx, int hit,
		    int same, char *buf, size_t cap)
{
	buf[0] = '\0';
	for (size_t k = 0; k < f->ndevs; k++) {
		const struct rdevice *r = &f->devs[k];
		if (!(r->id == devidx || (!hit && same && k == 0)))
			continue;
		if (r->gcn[0])
			snprintf(buf, cap, "%.*s", (int)strcspn(r->gcn, ":"), r->gcn);
		else if (strcmp(d->vendor, "amd") != 0 && r->major > 0 && r->major < 100 &&
			 r->minor >= 0 && r->minor < 10)
			snprintf(buf, cap, "sm_%d%d", r->major, r->minor);
	}
}

int tc_chrome_write(struct rctx *c, struct rfile *files, size_t nf, const char *out_path,
		    struct tc_err *err)
{
	struct tc_ops_header hdr;
	struct tc_ops_writer *w = NULL;
	struct rfile **order = tc_xcalloc(nf, sizeof(*order));
	const char **srcs = tc_xcalloc(nf, sizeof(*srcs));
	uint32_t *ranks = tc_xcalloc(nf, sizeof(*ranks));
	struct tc_device *devs = NULL;
	char (*devnames)[160] = NULL;
	char (*devarch)[32] = NULL;
	size_t ndev = 0, devcap = 0;
	struct tc_kv meta[16];
	size_t nmeta = 0;
	uint32_t *name_map = NULL;
	int rc = 0;
	int64_t t0 = INT64_MAX;
	int world = 0;
	uint32_t **lane_dev = tc_xcalloc(nf, sizeof(*lane_dev));

	for (size_t i = 0; i < nf; i++) {
		TC_TRY(tc_chrome_link(c, &files[i], err));
		order[i] = &files[i];
	}
	qsort(order, nf, sizeof(*order), cmp_file_rank);
	/* One time base for all ranks: absolute ns where the trace tells (baseTimeNanoseconds
	 * plus ts), so ranks line up; the earliest op of the job is 0. */
	for (size_t i = 0; i < nf; i++) {
		struct rfile *f = order[i];
		int64_t abs0 = f->ts_min + (f->has_base ? f->base_ns : 0);
		if (abs0 < t0)
			t0 = abs0;
		if (f->world > world)
			world = f->world;
		if (f->rank + 1 > world)
			world = f->rank + 1;
		srcs[i] = strrchr(f->path, '/') ? strrchr(f->path, '/') + 1 : f->path;
		ranks[i] = (uint32_t)f->rank;
	}
	/* devices: one host per rank, then the GPUs its kernels ran on */
	for (size_t i = 0; i < nf; i++) {
		struct rfile *f = order[i];
		lane_dev[i] = tc_xcalloc(f->nlanes + 1, sizeof(uint32_t));
		for (int pass = 0; pass < 2; pass++) {
			for (size_t l = 0; l < f->nlanes + (pass == 0 ? 0 : 0); l++) {
				int64_t devidx = pass == 0 ? -1 : f->lanes[l].a;
				if (pass == 0 && l > 0)
					break;
				if (pass == 1 && !f->lanes[l].gpu)
					continue;
				/* already have it? */
				size_t d;
				for (d = 0; d < ndev; d++)
					if (devs[d].rank == (uint32_t)f->rank &&
					    devs[d].index == (int32_t)devidx)
						break;
				if (d == ndev) {
					if (tc_grow((void **)&devs, &devcap, ndev + 1, sizeof(*devs)) < 0)
						return tc_err_set(err, TC_ENOMEM, "out of memory");
					size_t cap2 = devcap;
					devnames = tc_xrealloc(devnames, cap2 * sizeof(*devnames));
					devarch = tc_xrealloc(devarch, cap2 * sizeof(*devarch));
					devarch[ndev][0] = '\0';
					memset(&devs[ndev], 0, sizeof(devs[ndev]));
					devs[ndev].id = (uint32_t)ndev;
					devs[ndev].rank = (uint32_t)f->rank;
					devs[ndev].type = pass == 0 ? TC_DEV_CPU : TC_DEV_GPU;
					devs[ndev].index = (int32_t)devidx;
					devnames[ndev][0] = '\0';
					devs[ndev].vendor = "";
					devs[ndev].chip = "";
					devs[ndev].arch = "";
					if (pass == 1) {
						/* ROCm numbers devices differently from deviceProperties
						 * (device 2 vs id 0): when every listed GPU has the same
						 * name, that name is still right. */
						int same = f->ndevs > 0, hit = 0;
						for (size_t k = 1; k < f->ndevs; k++)
							same &= strcmp(f->devs[k].name, f->devs[0].name) == 0;
						for (size_t k = 0; k < f->ndevs; k++)
							hit |= f->devs[k].id == devidx;
						for (size_t k = 0; k < f->ndevs; k++)
							if (f->devs[k].id == devidx || (!hit && same && k == 0)) {
								snprintf(devnames[ndev], sizeof(devnames[0]), "%s",
									 f->devs[k].name);
								devs[ndev].memory_bytes = f->devs[k].mem;
								devs[ndev].compute_units = f->devs[k].sms;
								devs[ndev].vendor = vendor_of(f->devs[k].name, f->rocm);
							}
						if (!*devs[ndev].vendor)
							devs[ndev].vendor = f->rocm ? "amd" : "";
						arch_of(&devs[ndev], f, devidx, hit, same, devarch[ndev],
							sizeof(devarch[0]));
					} else {
						snprintf(devnames[ndev], sizeof(devnames[0]), "host");
					}
					ndev++;
				}
				if (pass == 1)
					lane_dev[i][l] = (uint32_t)d;
				else
					lane_dev[i][f->nlanes] = (uint32_t)d;
			}
		}
		for (size_t l = 0; l < f->nlanes; l++)
			if (!f->lanes[l].gpu)
				lane_dev[i][l] = lane_dev[i][f->nlanes];
	}
	for (size_t d = 0; d < ndev; d++)
		devs[d].name = devnames[d], devs[d].arch = devarch[d];

	int era2021 = 0, era2024 = 0, rocm = 0;
	for (size_t i = 0; i < nf; i++) {
		era2021 |= order[i]->era2021;
		era2024 |= order[i]->has_base || order[i]->fractional;
		rocm |= order[i]->rocm;
	}
	meta[nmeta++] = (struct tc_kv){"schema_era", era2021 ? "2021" : era2024 ? "2024+" : "2022-23"};
	meta[nmeta++] = (struct tc_kv){"runtime", rocm ? "hip" : "cuda"};
	if (order[0]->schema[0])
		meta[nmeta++] = (struct tc_kv){"kineto_schema_version", order[0]->schema};
	for (int m = 0; m < order[0]->nmeta && nmeta < TC_ARRAY_LEN(meta); m++)
		meta[nmeta++] = (struct tc_kv){order[0]->meta_k[m], order[0]->meta_v[m]};

	memset(&hdr, 0, sizeof(hdr));
	hdr.source_format = "kineto";
	hdr.source_files = srcs;
	hdr.n_source_files = nf;
	hdr.devices = devs;
	hdr.n_devices = ndev;
	hdr.world_size = (uint32_t)world;
	hdr.ranks = ranks;
	hdr.n_ranks = nf;
	int any_abs = 0;
	for (size_t i = 0; i < nf; i++)
		any_abs |= order[i]->has_base || order[i]->ts_min > 1000000000000000000LL;
	hdr.base_time_ns = any_abs ? t0 : 0;
	hdr.meta = meta;
	hdr.n_meta = nmeta;

	struct tc_ops_writer_opts wo = TC_OPS_WRITER_OPTS_INIT;
	wo.chunk_ops = c->opts ? c->opts->chunk_ops : 0;
	rc = tc_ops_writer_open(&w, out_path, &hdr, &wo, err);
	if (rc < 0)
		goto out;

	name_map = tc_xcalloc(c->names.n + 1, sizeof(uint32_t));
	uint64_t base_id = 0;
	for (size_t i = 0; i < nf && rc == 0; i++) {
		struct rfile *f = order[i];
		int64_t base = f->has_base ? f->base_ns : 0;
		/* lanes in a stable order: CPU threads then GPU streams, by number */
		struct lane_sort *ls = tc_xcalloc(f->nlanes + 1, sizeof(*ls));
		for (size_t l = 0; l < f->nlanes; l++)
			ls[l] = (struct lane_sort){(uint32_t)l, &f->lanes[l]};
		qsort(ls, f->nlanes, sizeof(*ls), cmp_lane);
		for (size_t l = 0; l < f->nlanes && rc == 0; l++) {
			struct rlane *rl = &f->lanes[ls[l].idx];
			struct tc_lane lane;
			char nb[64];
			uint64_t nid = 0;
			memset(&lane, 0, sizeof(lane));
			lane.rank = (uint32_t)f->rank;
			lane.device = lane_dev[i][ls[l].idx];
			lane.type = rl->gpu ? TC_LANE_GPU : TC_LANE_CPU;
			lane.tid = rl->b;
			if (rl->gpu) {
				snprintf(nb, sizeof(nb), "stream %lld", (long long)rl->b);
				lane.name = nb;
			} else if (tc_map64_get(&f->tname,
						tc_hash_u64((uint64_t)rl->a * 1000003u ^ (uint64_t)rl->b),
						&nid)) {
				lane.name = tc_strtab_get(&c->names, (uint32_t)nid);
			} else {
				snprintf(nb, sizeof(nb), "thread %lld", (long long)rl->b);
				lane.name = nb;
			}
			rc = tc_ops_writer_lane(w, &lane, &rl->out_id);
		}
		free(ls);
		for (size_t k = 0; k < f->n && rc == 0; k++) {
			struct rop *r = &f->ops[k];
			struct tc_shape shp[16];
			int64_t dims[128];
			struct tc_op op;
			struct rext *x = ext_of(f, r);
			tc_op_init(&op);
			if (!name_map[r->name]) {
				uint32_t id;
				rc = tc_ops_writer_intern(w, tc_strtab_get(&c->names, r->name), &id);
				if (rc < 0)
					break;
				name_map[r->name] = id + 1;
			}
			op.name = name_map[r->name] - 1;
			op.ts_ns = (r->ts + base) - t0;
			op.dur_ns = r->dur;
			op.parent = r->parent ? base_id + r->parent - 1 : TC_NONE;
			op.link = r->link ? base_id + r->link - 1 : TC_NONE;
			op.correlation = r->corr;
			op.lane = f->lanes[r->lane].out_id;
			op.kind = r->kind;
			op.op_class = r->cls;
			op.sub = r->sub;
			op.flags = r->flags;
			if (r->wi) {
				const struct rwork *wk = &f->work[r->wi - 1];
				if (wk->has_work) {
					op.has_work = 1;
					op.flops = wk->flops;
					op.bytes_read = wk->bytes_read;
					op.bytes_written = wk->bytes_written;
					op.dtype = wk->dtype;
					if (wk->gi) {
						const struct rgemm *g = &f->gemm[wk->gi - 1];
						op.gemm_m = (uint64_t)g->m;
						op.gemm_n = (uint64_t)g->n;
						op.gemm_k = (uint64_t)g->k;
						op.gemm_batch = (uint64_t)g->batch;
					}
				}
				/* shapes are the op's own inputs: never on a kernel sharing them */
				if (wk->shapes && r->kind != TC_KIND_KERNEL) {
					const uint8_t *sp = f->shp + wk->shapes - 1;
					uint32_t ns = (uint32_t)tc_chrome_get_varint(&sp);
					size_t nd = 0;
					for (uint32_t s = 0; s < ns && s < 16; s++) {
						uint32_t rk = (uint32_t)tc_chrome_get_varint(&sp);
						shp[s].rank = rk;
						shp[s].dims = dims + nd;
						for (uint32_t d = 0; d < rk && nd < 128; d++)
							dims[nd++] = tc_chrome_unzigzag(
								tc_chrome_get_varint(&sp));
					}
					op.n_shapes = ns;
					op.shapes = shp;
				}
			}
			if (x) {
				if (x->has_coll && r->kind == TC_KIND_KERNEL && x->coll_kind) {
					op.coll_kind = x->coll_kind;
					op.coll_dtype = x->coll_dtype;
					op.coll_group_size = x->coll_group_size;
					op.coll_bytes = x->coll_bytes;
					op.coll_seq = x->coll_seq;
					if (x->coll_group) {
						if (!name_map[x->coll_group]) {
							uint32_t id;
							rc = tc_ops_writer_intern(
								w, tc_strtab_get(&c->names, x->coll_group), &id);
							if (rc < 0)
								break;
							name_map[x->coll_group] = id + 1;
						}
						op.coll_group = name_map[x->coll_group] - 1;
					}
					if (c->stats)
						c->stats->collectives++;
				}
				if (x->sync_lane)
					op.sync_lane = f->lanes[x->sync_lane - 1].out_id + 1;
				op.sync_event = x->sync_event;
			}
			rc = tc_ops_writer_add(w, &op, NULL, err);
			if (c->stats) {
				c->stats->ops++;
				if (r->kind == TC_KIND_STEP)
					c->stats->steps++;
				if (r->kind == TC_KIND_KERNEL)
					c->stats->kernels++;
				if (r->cls == TC_CLASS_OTHER && r->kind == TC_KIND_KERNEL)
					c->stats->unknown_ops++;
			}
		}
		base_id += f->n;
	}
	if (rc < 0) {
		if (!err->code)
			tc_err_set(err, rc, "writing %s failed", out_path);
		tc_ops_writer_abort(w);
		goto out;
	}
	rc = tc_ops_writer_close(w, err);
out:
	for (size_t i = 0; i < nf; i++)
		free(lane_dev[i]);
	free(lane_dev);
	free(name_map);
	free(devs);
	free(devnames);
	free(devarch);
	free(order);
	free(srcs);
	free(ranks);
	return rc;
}

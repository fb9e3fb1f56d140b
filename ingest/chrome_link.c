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
	/* insertion sort of what is left: each op moved once, not swapped along */
	for (size_t i = 1; i < n; i++) {
		if (cmp_rop(&v[i], &v[i - 1]) >= 0)
			continue;
		struct rop t = v[i];
		size_t j = i;
		do {
			v[j] = v[j - 1];
			j--;
		} while (j > 0 && cmp_rop(&t, &v[j - 1]) < 0);
		v[j] = t;
	}
}

void tc_chrome_sort(struct rop *v, size_t n)
{
	sort_rop(v, n, 64);
}

int tc_chrome_link(struct rctx *c, struct rfile *f, struct tc_err *err)
{
	void *acts = NULL;
	size_t nacts = 0;
	int rc;
	if (tc_chrome_sync_prepare(f, &acts, &nacts) < 0)
		return tc_err_set(err, TC_ENOMEM, "out of memory linking %s", f->path);
	rc = tc_chrome_stream(c, f, NULL, NULL, 0, 0, acts, nacts, err);
	free(acts);
	return rc;
}

/* ---- writing ---------------------------------------------------------------------------- */

struct lane_sort {
	uint32_t idx;
	const struct rlane *l;
};

static int cmp_lane(const void *a, const void *b)
{
	const struct rlane *x = ((const struct lane_sort *)a)->l,
			   *y = ((const struct lane_sort *)b)->l;
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

/* The devices of the job as the header lists them, built while files are visited in rank
 * order: one host per rank, then the GPUs its kernels ran on. */
struct devlist {
	struct tc_device *devs;
	char (*names)[160];
	char (*arch)[32];
	size_t n, cap;
};

/* Fill a new GPU device d of file f from its deviceProperties. */
static void gpu_device(struct devlist *dl, size_t d, const struct rfile *f, int64_t devidx)
{
	/* ROCm numbers devices differently from deviceProperties (device 2 vs id 0): when
	 * every listed GPU has the same name, that name is still right. */
	int same = f->ndevs > 0, hit = 0;
	for (size_t k = 1; k < f->ndevs; k++)
		same &= strcmp(f->devs[k].name, f->devs[0].name) == 0;
	for (size_t k = 0; k < f->ndevs; k++)
		hit |= f->devs[k].id == devidx;
	for (size_t k = 0; k < f->ndevs; k++)
		if (f->devs[k].id == devidx || (!hit && same && k == 0)) {
			snprintf(dl->names[d], sizeof(dl->names[0]), "%s", f->devs[k].name);
			dl->devs[d].memory_bytes = f->devs[k].mem;
			dl->devs[d].compute_units = f->devs[k].sms;
			dl->devs[d].vendor = vendor_of(f->devs[k].name, f->rocm);
		}
	if (!*dl->devs[d].vendor)
		dl->devs[d].vendor = f->rocm ? "amd" : "";
	arch_of(&dl->devs[d], f, devidx, hit, same, dl->arch[d], sizeof(dl->arch[0]));
}

/* Index of f's device devidx (its host: gpu = 0, devidx = -1) in the list, added if new;
 * -1 when out of memory. */
static int64_t device_of(struct devlist *dl, const struct rfile *f, int gpu, int64_t devidx)
{
	size_t d;
	for (d = 0; d < dl->n; d++)
		if (dl->devs[d].rank == (uint32_t)f->rank && dl->devs[d].index == (int32_t)devidx)
			return (int64_t)d;
	if (tc_grow((void **)&dl->devs, &dl->cap, dl->n + 1, sizeof(*dl->devs)) < 0)
		return -1;
	dl->names = tc_xrealloc(dl->names, dl->cap * sizeof(*dl->names));
	dl->arch = tc_xrealloc(dl->arch, dl->cap * sizeof(*dl->arch));
	dl->arch[d][0] = '\0';
	memset(&dl->devs[d], 0, sizeof(dl->devs[d]));
	dl->devs[d].id = (uint32_t)d;
	dl->devs[d].rank = (uint32_t)f->rank;
	dl->devs[d].type = gpu ? TC_DEV_GPU : TC_DEV_CPU;
	dl->devs[d].index = (int32_t)devidx;
	dl->names[d][0] = '\0';
	dl->devs[d].vendor = "";
	dl->devs[d].chip = "";
	dl->devs[d].arch = "";
	if (gpu)
		gpu_device(dl, d, f, devidx);
	else
		snprintf(dl->names[d], sizeof(dl->names[0]), "host");
	dl->n++;
	return (int64_t)d;
}

/* The device of every lane of f (lane_dev[nlanes] = its host; a file without lanes gets
 * none). 0, or -1 when out of memory. */
static int lane_devices(struct devlist *dl, const struct rfile *f, uint32_t *lane_dev)
{
	if (f->nlanes == 0)
		return 0;
	int64_t host = device_of(dl, f, 0, -1);
	if (host < 0)
		return -1;
	lane_dev[f->nlanes] = (uint32_t)host;
	for (size_t l = 0; l < f->nlanes; l++) {
		if (!f->lanes[l].gpu)
			continue;
		int64_t d = device_of(dl, f, 1, f->lanes[l].a);
		if (d < 0)
			return -1;
		lane_dev[l] = (uint32_t)d;
	}
	for (size_t l = 0; l < f->nlanes; l++)
		if (!f->lanes[l].gpu)
			lane_dev[l] = lane_dev[f->nlanes];
	return 0;
}

/* Header metadata from the ranks (order: by rank): schema era, runtime, the first rank's
 * provenance and process-group layout, the largest GPU memory peak. par_buf and mem_buf
 * hold the texts of the entries they back. */
static size_t header_meta(struct rfile *const *order, size_t nf, struct tc_kv *meta, size_t cap,
			  char *par_buf, size_t par_cap, char *mem_buf, size_t mem_cap)
{
	size_t nmeta = 0;
	int era2021 = 0, era2024 = 0, rocm = 0;
	for (size_t i = 0; i < nf; i++) {
		era2021 |= order[i]->era2021;
		era2024 |= order[i]->has_base || order[i]->fractional;
		rocm |= order[i]->rocm;
	}
	meta[nmeta++] = (struct tc_kv){"schema_era", era2021   ? "2021"
						     : era2024 ? "2024+"
							       : "2022-23"};
	meta[nmeta++] = (struct tc_kv){"runtime", rocm ? "hip" : "cuda"};
	if (order[0]->schema[0])
		meta[nmeta++] = (struct tc_kv){"kineto_schema_version", order[0]->schema};
	for (int m = 0; m < order[0]->nmeta && nmeta < cap; m++)
		meta[nmeta++] = (struct tc_kv){order[0]->meta_k[m], order[0]->meta_v[m]};
	/* memory fit: the largest per-rank GPU allocation peak (docs/projection.md §6) */
	int64_t mem_peak = 0;
	for (size_t i = 0; i < nf; i++)
		if (order[i]->mem_peak > mem_peak)
			mem_peak = order[i]->mem_peak;
	/* the source layout, where the process groups' descriptions name it (layout.c reads
	 * it when --source-parallel is not given) */
	static const char *const kinds[4] = {"dp", "tp", "pp", "ep"};
	par_buf[0] = '\0';
	for (int k = 0; k < 4; k++)
		if (order[0]->pg_kind_size[k]) {
			size_t used = strlen(par_buf);
			snprintf(par_buf + used, par_cap - used, "%s%s=%u", used ? "," : "",
				 kinds[k], order[0]->pg_kind_size[k]);
		}
	if (par_buf[0] && nmeta < cap)
		meta[nmeta++] = (struct tc_kv){"source_parallel", par_buf};
	if (mem_peak > 0 && nmeta < cap) {
		snprintf(mem_buf, mem_cap, "%lld", (long long)mem_peak);
		meta[nmeta++] = (struct tc_kv){"gpu_peak_allocated_bytes", mem_buf};
	}
	return nmeta;
}

/* f's lanes in a stable order (CPU threads then GPU streams, by number), each given its
 * writer id in rl->out_id. */
static int write_lanes(const struct rctx *c, struct rfile *f, struct tc_ops_writer *w,
		       const uint32_t *lane_dev)
{
	int rc = 0;
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
		lane.device = lane_dev[ls[l].idx];
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
	return rc;
}

/* Every rank's lanes then ops, in rank order, ids following on. A file parsed with its
 * own context (f->ctx) has its own string ids: name_map, a cache of writer ids per string
 * id, is started again for it (the writer interns by text, so the bytes do not change). */
static int write_ranks(struct rctx *c, struct rfile *files, struct rfile *const *order, size_t nf,
		       struct tc_ops_writer *w, uint32_t *const *lane_dev, void *const *acts,
		       const size_t *nacts, int64_t t0, struct tc_err *err)
{
	uint32_t *name_map = NULL;
	struct rctx *mapped = NULL;
	uint64_t base_id = 0;
	int rc = 0;
	for (size_t i = 0; i < nf && rc == 0; i++) {
		struct rfile *f = order[i];
		struct rctx *fc = f->ctx ? f->ctx : c;
		int64_t base = f->has_base ? f->base_ns : 0;
		if (fc != mapped) {
			free(name_map);
			name_map = tc_xcalloc(fc->names.n + 1, sizeof(uint32_t));
			mapped = fc;
		}
		rc = write_lanes(fc, f, w, lane_dev[i]);
		if (rc == 0) {
			size_t fi = (size_t)(f - files);
			rc = tc_chrome_stream(fc, f, w, &name_map, base_id, base - t0, acts[fi],
					      nacts[fi], err);
		}
		base_id += f->nseq;
	}
	free(name_map);
	return rc;
}

int tc_chrome_write(struct rctx *c, struct rfile *files, size_t nf, const char *out_path,
		    struct tc_err *err)
{
	struct tc_ops_header hdr;
	struct tc_ops_writer *w = NULL;
	struct rfile **order = tc_xcalloc(nf, sizeof(*order));
	const char **srcs = tc_xcalloc(nf, sizeof(*srcs));
	uint32_t *ranks = tc_xcalloc(nf, sizeof(*ranks));
	struct devlist dl = {0};
	struct tc_kv meta[16];
	int rc = 0;
	int64_t t0 = INT64_MAX;
	int world = 0;
	uint32_t **lane_dev = tc_xcalloc(nf, sizeof(*lane_dev));
	char par_buf[96], mem_buf[32];

	void **acts = tc_xcalloc(nf, sizeof(*acts));
	size_t *nacts = tc_xcalloc(nf, sizeof(*nacts));
	for (size_t i = 0; i < nf; i++) {
		/* sync actions first: they may name lanes, which are all written before ops */
		if (tc_chrome_sync_prepare(&files[i], &acts[i], &nacts[i]) < 0) {
			rc = tc_err_set(err, TC_ENOMEM, "out of memory linking %s", files[i].path);
			goto out;
		}
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
	for (size_t i = 0; i < nf; i++) {
		lane_dev[i] = tc_xcalloc(order[i]->nlanes + 1, sizeof(uint32_t));
		if (lane_devices(&dl, order[i], lane_dev[i]) < 0) {
			rc = tc_err_set(err, TC_ENOMEM, "out of memory");
			goto out;
		}
	}
	for (size_t d = 0; d < dl.n; d++)
		dl.devs[d].name = dl.names[d], dl.devs[d].arch = dl.arch[d];

	memset(&hdr, 0, sizeof(hdr));
	hdr.source_format = "kineto";
	hdr.source_files = srcs;
	hdr.n_source_files = nf;
	hdr.devices = dl.devs;
	hdr.n_devices = dl.n;
	hdr.world_size = (uint32_t)world;
	hdr.ranks = ranks;
	hdr.n_ranks = nf;
	int any_abs = 0;
	for (size_t i = 0; i < nf; i++)
		any_abs |= order[i]->has_base || order[i]->ts_min > 1000000000000000000LL;
	hdr.base_time_ns = any_abs ? t0 : 0;
	hdr.meta = meta;
	hdr.n_meta = header_meta(order, nf, meta, TC_ARRAY_LEN(meta), par_buf, sizeof(par_buf),
				 mem_buf, sizeof(mem_buf));

	struct tc_ops_writer_opts wo = TC_OPS_WRITER_OPTS_INIT;
	wo.chunk_ops = c->opts ? c->opts->chunk_ops : 0;
	rc = tc_ops_writer_open(&w, out_path, &hdr, &wo, err);
	if (rc < 0)
		goto out;
	rc = write_ranks(c, files, order, nf, w, lane_dev, acts, nacts, t0, err);
	if (rc < 0) {
		if (!err->code)
			tc_err_set(err, rc, "writing %s failed", out_path);
		tc_ops_writer_abort(w);
		goto out;
	}
	rc = tc_ops_writer_close(w, err);
out:
	for (size_t i = 0; i < nf; i++) {
		free(lane_dev[i]);
		free(acts[i]);
	}
	free(acts);
	free(nacts);
	free(lane_dev);
	free(dl.devs);
	free(dl.names);
	free(dl.arch);
	free(order);
	free(srcs);
	free(ranks);
	return rc;
}

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
	/* memory fit: the largest per-rank GPU allocation peak (docs/projection.md §6) */
	int64_t mem_peak = 0;
	for (size_t i = 0; i < nf; i++)
		if (order[i]->mem_peak > mem_peak)
			mem_peak = order[i]->mem_peak;
	/* the source layout, where the process groups' descriptions name it (layout.c reads
	 * it when --source-parallel is not given) */
	static const char *const kinds[4] = {"dp", "tp", "pp", "ep"};
	char par_buf[96] = "";
	for (int k = 0; k < 4; k++)
		if (order[0]->pg_kind_size[k]) {
			size_t used = strlen(par_buf);
			snprintf(par_buf + used, sizeof(par_buf) - used, "%s%s=%u", used ? "," : "",
				 kinds[k], order[0]->pg_kind_size[k]);
		}
	if (par_buf[0] && nmeta < TC_ARRAY_LEN(meta))
		meta[nmeta++] = (struct tc_kv){"source_parallel", par_buf};
	char mem_buf[32];
	if (mem_peak > 0 && nmeta < TC_ARRAY_LEN(meta)) {
		snprintf(mem_buf, sizeof(mem_buf), "%lld", (long long)mem_peak);
		meta[nmeta++] = (struct tc_kv){"gpu_peak_allocated_bytes", mem_buf};
	}

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
		if (rc == 0) {
			size_t fi = (size_t)(f - files);
			rc = tc_chrome_stream(c, f, w, &name_map, base_id, base - t0, acts[fi], nacts[fi],
					      err);
		}
		base_id += f->nseq;
	}
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
	free(name_map);
	free(devs);
	free(devnames);
	free(devarch);
	free(order);
	free(srcs);
	free(ranks);
	return rc;
}

/* chrome_stream.c - sorted runs and the streaming linker of the Kineto adapter.
 *
 * While parsing, every RUN_OPS ops are sorted by (ts, longer first, input order) and
 * appended to a temporary file as one run (the op with its work, dims, shapes and extras
 * inline). Linking and writing then read the runs back through a k-way merge, so ops go by
 * in their final order and memory holds only what is still open:
 * - per CPU thread, the stack of enclosing ops (frames: class, work, collective facts);
 * - per launch whose GPU ops have not all been seen yet, its id and enclosing frame
 *   (the parse counted the GPU ops of every correlation, so the state is dropped after
 *   the last one; a table of 8 bytes per correlation id remains);
 * - the cuda_sync records, turned into actions per correlation before the merge.
 * Memory is then bounded by the run size, the nesting depth and the launches in flight,
 * plus 8 bytes per correlation id, not by the number of ops. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chrome.h"
#include "pyet.h"

#define REC_MAX 4096	/* largest serialised op: 64 + 40 + 32 + 2 + 16*9*10 + 56 < 2 KiB */
#define RBUF (1u << 18) /* read buffer per spilled run */

/* One op with everything it carries, as the merge hands it over. */
struct rrec {
	struct rop r; /* wi / xi are presence flags here */
	struct rwork w;
	struct rgemm g;
	struct rext x;
	uint16_t nshp;
	uint8_t shp[16 * 9 * 10 + 16];
};

/* ---- spilling ----------------------------------------------------------------------- */

static size_t shapes_len(const uint8_t *p, const uint8_t *end)
{
	const uint8_t *s = p;
	uint64_t n = 0, rk = 0, d;
	if (tc_varint_next(&p, end, &n) < 0)
		return 0;
	for (uint64_t i = 0; i < n; i++) {
		if (tc_varint_next(&p, end, &rk) < 0)
			return 0;
		for (uint64_t j = 0; j < rk; j++)
			if (tc_varint_next(&p, end, &d) < 0)
				return 0;
	}
	return (size_t)(p - s);
}

/* The op at position k of the in-memory run as a record. */
static void rec_of(const struct rfile *f, size_t k, struct rrec *q)
{
	const struct rop *r = &f->ops[k];
	q->r = *r;
	q->nshp = 0;
	if (r->wi) {
		q->w = f->work[r->wi - 1];
		if (q->w.gi)
			q->g = f->gemm[q->w.gi - 1];
		if (q->w.shapes) {
			const uint8_t *sp = f->shp + q->w.shapes - 1;
			size_t n = shapes_len(sp, f->shp + f->nshp);
			if (n > sizeof(q->shp))
				n = 0; /* cannot happen: at most 16 inputs of rank 8 */
			memcpy(q->shp, sp, n);
			q->nshp = (uint16_t)n;
		}
		q->r.wi = 1;
		q->w.gi = q->w.gi ? 1 : 0;
		q->w.shapes = q->nshp ? 1 : 0;
	}
	if (r->xi) {
		q->x = f->ext[r->xi - 1];
		q->r.xi = 1;
	}
}

static size_t rec_pack(const struct rrec *q, uint8_t *out)
{
	size_t n = 0;
	memcpy(out + n, &q->r, sizeof(q->r));
	n += sizeof(q->r);
	if (q->r.wi) {
		memcpy(out + n, &q->w, sizeof(q->w));
		n += sizeof(q->w);
		if (q->w.gi) {
			memcpy(out + n, &q->g, sizeof(q->g));
			n += sizeof(q->g);
		}
		if (q->w.shapes) {
			out[n++] = (uint8_t)(q->nshp & 0xff);
			out[n++] = (uint8_t)(q->nshp >> 8);
			memcpy(out + n, q->shp, q->nshp);
			n += q->nshp;
		}
	}
	if (q->r.xi) {
		memcpy(out + n, &q->x, sizeof(q->x));
		n += sizeof(q->x);
	}
	return n;
}

static size_t rec_unpack(const uint8_t *in, struct rrec *q)
{
	size_t n = 0;
	memcpy(&q->r, in, sizeof(q->r));
	n += sizeof(q->r);
	q->nshp = 0;
	if (q->r.wi) {
		memcpy(&q->w, in + n, sizeof(q->w));
		n += sizeof(q->w);
		if (q->w.gi) {
			memcpy(&q->g, in + n, sizeof(q->g));
			n += sizeof(q->g);
		}
		if (q->w.shapes) {
			q->nshp = (uint16_t)(in[n] | in[n + 1] << 8);
			n += 2;
			memcpy(q->shp, in + n, q->nshp);
			n += q->nshp;
		}
	}
	if (q->r.xi) {
		memcpy(&q->x, in + n, sizeof(q->x));
		n += sizeof(q->x);
	}
	return n;
}

int tc_chrome_spill(struct rfile *f, struct tc_err *err)
{
	uint8_t buf[REC_MAX];
	struct rrec q;
	if (!f->spill) {
		/* in $TMPDIR (else /tmp), unlinked at once: nothing is left behind, whatever
		 * happens */
		char tmpl[4096];
		int fd = tc_tmpfile(tmpl, sizeof(tmpl), "tracecast-sort", "");
		if (fd >= 0) {
			unlink(tmpl);
			f->spill = fdopen(fd, "w+b");
			if (!f->spill)
				close(fd);
		}
		if (!f->spill)
			return tc_err_set(
			    err, TC_EIO, "%s: cannot create a temporary file for sorting in %s: %s",
			    f->path, tmpl, strerror(errno));
	}
	if (tc_grow((void **)&f->runs, &f->runcap, f->nruns + 1, sizeof(*f->runs)) < 0)
		return tc_err_set(err, TC_ENOMEM, "out of memory");
	struct rrun *run = &f->runs[f->nruns];
	if (fseek(f->spill, 0, SEEK_END) != 0)
		return tc_err_set(err, TC_EIO, "%s: temporary file: seek failed", f->path);
	run->off = (uint64_t)ftell(f->spill);
	run->n = f->n;
	run->bytes = 0;
	tc_chrome_sort(f->ops, f->n);
	for (size_t k = 0; k < f->n; k++) {
		rec_of(f, k, &q);
		size_t n = rec_pack(&q, buf);
		if (fwrite(buf, 1, n, f->spill) != n)
			return tc_err_set(err, TC_EIO,
					  "%s: temporary file: write failed (disk full?)", f->path);
		run->bytes += n;
	}
	f->nruns++;
	f->n = f->nwork = f->ngemm = f->nshp = f->next = 0;
	return 0;
}

/* ---- the merge ----------------------------------------------------------------------- */

struct rsrc {
	const struct rfile *f;
	int mem;     /* the in-memory (last) run */
	size_t k, n; /* mem: next position, count */
	int fd;
	uint64_t off, end;
	uint8_t *buf;
	size_t len, pos;
	struct rrec cur;
	int has;
};

static int src_next(struct rsrc *s, struct tc_err *err)
{
	if (s->mem) {
		s->has = s->k < s->n;
		if (s->has)
			rec_of(s->f, s->k++, &s->cur);
		return 0;
	}
	if (s->len - s->pos < REC_MAX && s->off < s->end) {
		memmove(s->buf, s->buf + s->pos, s->len - s->pos);
		s->len -= s->pos;
		s->pos = 0;
		size_t want = (size_t)TC_MIN((uint64_t)(RBUF - s->len), s->end - s->off);
		ssize_t got = pread(s->fd, s->buf + s->len, want, (off_t)s->off);
		if (got <= 0)
			return tc_err_set(err, TC_EIO, "%s: temporary file: read failed",
					  s->f->path);
		s->len += (size_t)got;
		s->off += (uint64_t)got;
	}
	s->has = s->pos < s->len;
	if (s->has)
		s->pos += rec_unpack(s->buf + s->pos, &s->cur);
	return 0;
}

static int rec_cmp(const struct rrec *a, const struct rrec *b)
{
	if (a->r.ts != b->r.ts)
		return a->r.ts < b->r.ts ? -1 : 1;
	if (a->r.dur != b->r.dur)
		return a->r.dur > b->r.dur ? -1 : 1;
	return a->r.seq < b->r.seq ? -1 : a->r.seq > b->r.seq;
}

/* ---- linking state ----------------------------------------------------------------- */

/* An enclosing CPU op, for as long as something below it may still ask for its work or
 * collective facts (the stack, ops nested in it, launches made under it). */
struct frame {
	struct frame *parent, *next_free;
	uint64_t out, ext;
	uint32_t refs, name;
	uint8_t kind, cls, flags, given, has_work, has_gemm, has_coll, coll_kind, coll_dtype;
	struct rwork w;
	struct rgemm g;
	uint32_t coll_group_size, coll_group;
	uint64_t coll_nelems, coll_bytes;
};

struct sent {
	int64_t end;
	struct frame *fr;
};

struct stack {
	struct sent *v;
	size_t n, cap;
};

struct launch {
	struct frame *parent;
	uint64_t out;
	uint32_t linked, next_free;
	uint8_t sub, live;
};

/* cuda_sync records as actions on the last runtime call of a correlation */
struct sact {
	uint64_t corr, record_corr;
	uint32_t s, kind;		 /* kind 1: the recording call; 2: the waiting call */
	uint32_t lane_wait, lane_stream; /* lane index + 1, 0 = none */
};

struct lk {
	struct rctx *c;
	struct rfile *f;
	struct stack *stacks;
	struct frame *free_frames;
	struct launch *launches;
	size_t nlaunch, launchcap;
	uint32_t free_launch; /* index + 1 */
	struct sact *acts;
	size_t nacts;
	struct tc_map64 seq; /* collective sequence per group */
	int oom;
};

static struct frame *frame_new(struct lk *k)
{
	struct frame *fr = k->free_frames;
	if (fr)
		k->free_frames = fr->next_free;
	else if (!(fr = malloc(sizeof(*fr))))
		return NULL;
	memset(fr, 0, sizeof(*fr));
	return fr;
}

static void frame_unref(struct lk *k, struct frame *fr)
{
	while (fr && --fr->refs == 0) {
		struct frame *p = fr->parent;
		fr->next_free = k->free_frames;
		k->free_frames = fr;
		fr = p;
	}
}

static void frames_free(struct frame *fr)
{
	while (fr) {
		struct frame *n = fr->next_free;
		free(fr);
		fr = n;
	}
}

static int cmp_sact(const void *a, const void *b)
{
	const struct sact *x = a, *y = b;
	if (x->corr != y->corr)
		return x->corr < y->corr ? -1 : 1;
	if (x->s != y->s)
		return x->s < y->s ? -1 : 1;
	return x->kind < y->kind ? -1 : x->kind > y->kind;
}

/* Sync actions (and the lanes they name, which must exist before lanes are written). */
int tc_chrome_sync_prepare(struct rfile *f, void **acts_out, size_t *n_out)
{
	struct sact *a = calloc(2 * f->nsyncs + 1, sizeof(*a));
	size_t n = 0;
	if (!a)
		return -1;
	for (size_t s = 0; s < f->nsyncs; s++) {
		const struct rsync *y = &f->syncs[s];
		struct rcorr *rc;
		/* only for calls that exist, and only the lane the call's kind uses */
		if (y->record_corr && y->wait_stream >= 0 &&
		    (rc = tc_chrome_corr(f, y->record_corr)) && rc->rt)
			a[n++] = (struct sact){y->record_corr,
					       y->record_corr,
					       (uint32_t)s,
					       1,
					       tc_chrome_lane(f, 1, y->device, y->wait_stream) + 1,
					       0};
		if (y->corr && (rc = tc_chrome_corr(f, y->corr)) && rc->rt) {
			int by_stream =
			    rc->sub == TC_RT_STREAM_WAIT_EVENT || rc->sub == TC_RT_STREAM_SYNC;
			a[n++] =
			    (struct sact){y->corr,
					  y->record_corr,
					  (uint32_t)s,
					  2,
					  !by_stream && y->wait_stream >= 0
					      ? tc_chrome_lane(f, 1, y->device, y->wait_stream) + 1
					      : 0,
					  by_stream && y->stream >= 0
					      ? tc_chrome_lane(f, 1, y->device, y->stream) + 1
					      : 0};
		}
	}
	qsort(a, n, sizeof(*a), cmp_sact);
	*acts_out = a;
	*n_out = n;
	return 0;
}

static void apply_syncs(struct lk *k, struct rrec *q)
{
	size_t lo = 0, hi = k->nacts;
	while (lo < hi) {
		size_t m = (lo + hi) / 2;
		if (k->acts[m].corr < q->r.corr)
			lo = m + 1;
		else
			hi = m;
	}
	for (; lo < k->nacts && k->acts[lo].corr == q->r.corr; lo++) {
		const struct sact *a = &k->acts[lo];
		if (!q->r.xi) {
			memset(&q->x, 0, sizeof(q->x));
			q->r.xi = 1;
		}
		if (a->kind == 1) {
			q->x.sync_lane = a->lane_wait;
			q->x.sync_event = a->record_corr;
			continue;
		}
		switch (q->r.sub) {
		case TC_RT_STREAM_WAIT_EVENT:
			if (a->lane_stream)
				q->x.sync_lane = a->lane_stream;
			q->x.sync_event = a->record_corr;
			break;
		case TC_RT_STREAM_SYNC:
			if (a->lane_stream)
				q->x.sync_lane = a->lane_stream;
			break;
		default: /* event sync / query: the stream the event was recorded on */
			if (a->lane_wait)
				q->x.sync_lane = a->lane_wait;
			q->x.sync_event = a->record_corr;
			break;
		}
	}
}

/* Work and collective facts flow from the enclosing ops of the launch to the kernel. */
static void attribute(struct lk *k, struct rrec *q, struct frame *fr)
{
	struct rctx *c = k->c;
	int give_work = q->r.cls != TC_CLASS_COLLECTIVE && !q->r.wi;
	int want_coll = q->r.cls == TC_CLASS_COLLECTIVE;
	for (int depth = 0; fr && depth < 12 && (give_work || want_coll);
	     depth++, fr = fr->parent) {
		if (give_work && fr->has_work && !fr->given && fr->cls == q->r.cls) {
			q->w = fr->w;
			q->w.shapes = 0; /* the op's inputs, not the kernel's */
			q->w.gi = fr->has_gemm;
			q->g = fr->g;
			q->r.wi = 1;
			fr->given = 1;
			q->r.flags |= fr->flags & TC_FLAG_WORK_ESTIMATED;
			give_work = 0;
		}
		if (want_coll &&
		    (fr->has_coll || tc_coll_of_name(tc_strtab_get(&c->names, fr->name)))) {
			struct rext *kx = &q->x;
			if (!q->r.xi) {
				memset(kx, 0, sizeof(*kx));
				q->r.xi = 1;
			}
			if (fr->has_coll) {
				if (!kx->coll_kind)
					kx->coll_kind = fr->coll_kind;
				if (!kx->coll_nelems)
					kx->coll_nelems = fr->coll_nelems;
				if (!kx->coll_bytes)
					kx->coll_bytes = fr->coll_bytes;
				if (!kx->coll_dtype)
					kx->coll_dtype = fr->coll_dtype;
				if (!kx->coll_group_size)
					kx->coll_group_size = fr->coll_group_size;
				if (!kx->coll_group)
					kx->coll_group = fr->coll_group;
			}
			if (!kx->coll_kind)
				kx->coll_kind =
				    (uint8_t)tc_coll_of_name(tc_strtab_get(&c->names, fr->name));
			if (kx->coll_kind && kx->coll_bytes)
				want_coll = 0;
		}
	}
}

static void collective(struct lk *k, struct rrec *q)
{
	struct rext *kx = &q->x;
	struct rfile *f = k->f;
	if (!q->r.xi) {
		memset(kx, 0, sizeof(*kx));
		q->r.xi = 1;
	}
	if (!kx->coll_kind)
		kx->coll_kind = (uint8_t)tc_coll_of_name(tc_strtab_get(&k->c->names, q->r.name));
	/* group size the kernel and its launching op did not tell: pg_config by group name,
	 * or the only process group of the job when the kernel names none */
	for (int g = 0; !kx->coll_group_size && g < f->npg; g++)
		if (f->pg_name[g] == kx->coll_group || (f->npg == 1 && !kx->coll_group))
			kx->coll_group_size = f->pg_size[g];
	/* no group named and no pg_config: the default process group, the whole job
	 * (distributedInfo.world_size) */
	if (!kx->coll_group_size && !kx->coll_group && f->npg == 0 && f->world > 1)
		kx->coll_group_size = (uint32_t)f->world;
	/* only "Out msg nelems": the input follows from the kind and the group */
	if (!kx->coll_nelems && kx->coll_out_nelems) {
		uint64_t n = kx->coll_group_size, o = kx->coll_out_nelems;
		if (kx->coll_kind == TC_COLL_ALLGATHER)
			kx->coll_nelems = n ? o / n : 0;
		else if (kx->coll_kind == TC_COLL_REDUCE_SCATTER)
			kx->coll_nelems = n && o <= UINT64_MAX / n ? o * n : 0;
		else
			kx->coll_nelems = o;
	}
	if (!kx->coll_bytes && kx->coll_nelems && tc_dtype_size(kx->coll_dtype))
		kx->coll_bytes = kx->coll_nelems * tc_dtype_size(kx->coll_dtype);
	uint64_t n = 0;
	tc_map64_get(&k->seq, kx->coll_group, &n);
	kx->coll_seq = n;
	if (tc_map64_put(&k->seq, kx->coll_group, n + 1) < 0)
		k->oom = 1;
	kx->has_coll = 1;
}

/* Link one op (i: its position in the file's order); parent/link come back as positions
 * or UINT64_MAX. */
static void link_op(struct lk *k, struct rrec *q, uint64_t i, uint64_t *parent, uint64_t *link)
{
	struct rfile *f = k->f;
	struct rop *r = &q->r;
	struct frame *pf = NULL;
	uint64_t v;
	*parent = *link = UINT64_MAX;
	if (!r->corr && f->flowcorr.len && tc_map64_get(&f->flowcorr, r->seq, &v))
		r->corr = v;
	if (!f->lanes[r->lane].gpu) {
		/* CPU nesting: the innermost op of this thread still running at our start */
		struct stack *st = &k->stacks[r->lane];
		while (st->n && !(r->ts < st->v[st->n - 1].end)) {
			frame_unref(k, st->v[st->n - 1].fr);
			st->n--;
		}
		if (st->n) {
			pf = st->v[st->n - 1].fr;
			*parent = pf->out;
		} else if (r->kind == TC_KIND_RUNTIME && r->ext) {
			/* no enclosing op on its thread: the earliest running CPU op with the same
			 * External id, on any thread */
			for (size_t l = 0; l < f->nlanes; l++)
				for (size_t d = 0; d < k->stacks[l].n; d++) {
					struct frame *o = k->stacks[l].v[d].fr;
					if (o->kind == TC_KIND_CPU_OP && o->ext == r->ext &&
					    (!pf || o->out < pf->out))
						pf = o;
				}
			if (pf)
				*parent = pf->out;
		}
		if (r->kind != TC_KIND_RUNTIME && r->dur > 0) {
			struct frame *fr = frame_new(k);
			if (!fr ||
			    tc_grow((void **)&st->v, &st->cap, st->n + 1, sizeof(*st->v)) < 0) {
				free(fr);
				k->oom = 1;
				return;
			}
			fr->parent = pf;
			if (pf)
				pf->refs++;
			fr->refs = 1;
			fr->out = i;
			fr->ext = r->ext;
			fr->name = r->name;
			fr->kind = r->kind;
			fr->cls = r->cls;
			fr->flags = r->flags;
			if (r->wi && q->w.has_work) {
				fr->has_work = 1;
				fr->w = q->w;
				fr->has_gemm = q->w.gi != 0;
				fr->g = q->g;
			}
			if (r->xi && q->x.has_coll) {
				fr->has_coll = 1;
				fr->coll_kind = q->x.coll_kind;
				fr->coll_dtype = q->x.coll_dtype;
				fr->coll_group_size = q->x.coll_group_size;
				fr->coll_group = q->x.coll_group;
				fr->coll_nelems = q->x.coll_nelems;
				fr->coll_bytes = q->x.coll_bytes;
			}
			st->v[st->n++] = (struct sent){r->ts + r->dur, fr};
		}
	}
	if (r->kind == TC_KIND_RUNTIME && r->corr) {
		struct rcorr *rc = tc_chrome_corr(f, r->corr);
		if (!rc) {
			k->oom = 1;
			return;
		}
		if (!rc->rt_seen) {
			rc->rt_seen = 1;
			if (rc->gpu) {
				if (!k->free_launch &&
				    tc_grow((void **)&k->launches, &k->launchcap, k->nlaunch + 1,
					    sizeof(*k->launches)) < 0) {
					k->oom = 1;
					return;
				}
				uint32_t li;
				if (k->free_launch) {
					li = k->free_launch - 1;
					k->free_launch = k->launches[li].next_free;
				} else {
					li = (uint32_t)k->nlaunch++;
				}
				k->launches[li] = (struct launch){pf, i, 0, 0, r->sub, 1};
				if (pf)
					pf->refs++;
				rc->entry = li + 1;
			}
		}
		/* cuda_sync facts go to the last call with the correlation */
		if (rc->rt)
			rc->rt--;
		if (!rc->rt && k->nacts)
			apply_syncs(k, q);
	}
	if (r->kind == TC_KIND_RUNTIME && r->sub == TC_RT_EVENT_RECORD && r->corr &&
	    !(r->xi && q->x.sync_event)) {
		/* records nobody waited on still carry their event id (= their correlation) */
		if (!r->xi) {
			memset(&q->x, 0, sizeof(q->x));
			r->xi = 1;
		}
		q->x.sync_event = r->corr;
	}
	if ((r->kind == TC_KIND_KERNEL || r->kind == TC_KIND_MEMCPY || r->kind == TC_KIND_MEMSET) &&
	    r->corr) {
		struct rcorr *rc = tc_chrome_corr(f, r->corr);
		if (!rc) {
			k->oom = 1;
			return;
		}
		if (rc->entry && rc->entry != RC_DONE) {
			struct launch *L = &k->launches[rc->entry - 1];
			*link = L->out;
			/* a graph launch, or a plain launch with several GPU ops (a graph in
			 * disguise: hipGraphLaunch names differ) */
			if (L->sub == TC_RT_GRAPH_LAUNCH || rc->gpu > 1)
				r->flags |= TC_FLAG_GRAPH_KERNEL;
			if (r->kind == TC_KIND_KERNEL)
				attribute(k, q, L->parent);
			/* a saturated count (255+ GPU ops, a big graph) keeps the launch to the end
			 */
			if (++L->linked >= rc->gpu && rc->gpu < 255) {
				frame_unref(k, L->parent);
				L->live = 0;
				L->next_free = k->free_launch;
				k->free_launch = rc->entry;
				rc->entry = RC_DONE;
			}
		} else if (!rc->rt_seen && rc->rt) {
			f->unlinked++; /* its launch comes later: clock skew */
		}
	}
	if (r->kind == TC_KIND_KERNEL && r->cls == TC_CLASS_COLLECTIVE)
		collective(k, q);
}

/* ---- one file, in order -------------------------------------------------------------- */

struct emit {
	struct tc_ops_writer *w;
	uint32_t **name_map; /* per string id: writer id + 1 */
	uint64_t base_id;
	int64_t shift; /* added to ts */
};

static int name_id(struct rctx *c, struct emit *e, uint32_t id, uint32_t *out)
{
	uint32_t *m = *e->name_map;
	if (!m[id]) {
		uint32_t wid;
		int rc = tc_ops_writer_intern(e->w, tc_strtab_get(&c->names, id), &wid);
		if (rc < 0)
			return rc;
		m[id] = wid + 1;
	}
	*out = m[id] - 1;
	return 0;
}

static int emit_op(struct lk *k, struct emit *e, struct rrec *q, uint64_t parent, uint64_t link,
		   struct tc_err *err)
{
	struct rctx *c = k->c;
	struct rfile *f = k->f;
	const struct rop *r = &q->r;
	struct tc_shape shp[16];
	int64_t dims[128];
	struct tc_op op;
	int rc;
	tc_op_init(&op);
	if ((rc = name_id(c, e, r->name, &op.name)) < 0)
		return tc_err_set(err, rc, "out of memory");
	op.ts_ns = r->ts + e->shift;
	op.dur_ns = r->dur;
	op.parent = parent == UINT64_MAX ? TC_NONE : e->base_id + parent;
	op.link = link == UINT64_MAX ? TC_NONE : e->base_id + link;
	op.correlation = r->corr;
	op.lane = f->lanes[r->lane].out_id;
	op.kind = r->kind;
	op.op_class = r->cls;
	op.sub = r->sub;
	op.flags = r->flags;
	if (r->wi) {
		if (q->w.has_work) {
			op.has_work = 1;
			op.flops = q->w.flops;
			op.bytes_read = q->w.bytes_read;
			op.bytes_written = q->w.bytes_written;
			op.dtype = q->w.dtype;
			if (q->w.gi) {
				op.gemm_m = (uint64_t)q->g.m;
				op.gemm_n = (uint64_t)q->g.n;
				op.gemm_k = (uint64_t)q->g.k;
				op.gemm_batch = (uint64_t)q->g.batch;
			}
		}
		if (q->nshp && r->kind != TC_KIND_KERNEL) {
			/* packed by ingest itself (chrome.c), so well formed; bounded all the same
			 */
			const uint8_t *sp = q->shp, *se = q->shp + q->nshp;
			uint64_t ns = 0, rk = 0, dz = 0;
			(void)tc_varint_next(&sp, se, &ns);
			size_t nd = 0;
			for (uint32_t s = 0; s < ns && s < 16; s++) {
				rk = 0;
				(void)tc_varint_next(&sp, se, &rk);
				shp[s].rank = (uint32_t)rk;
				shp[s].dims = dims + nd;
				for (uint32_t d = 0; d < rk && nd < 128; d++) {
					dz = 0;
					(void)tc_varint_next(&sp, se, &dz);
					dims[nd++] = tc_unzigzag(dz);
				}
			}
			op.n_shapes = ns < 16 ? ns : 16;
			op.shapes = shp;
		}
	}
	if (r->xi) {
		const struct rext *x = &q->x;
		if (x->has_coll && r->kind == TC_KIND_KERNEL && x->coll_kind) {
			op.coll_kind = x->coll_kind;
			op.coll_dtype = x->coll_dtype;
			op.coll_group_size = x->coll_group_size;
			op.coll_bytes = x->coll_bytes;
			op.coll_seq = x->coll_seq;
			if (x->coll_group &&
			    (rc = name_id(c, e, x->coll_group, &op.coll_group)) < 0)
				return tc_err_set(err, rc, "out of memory");
			if (c->stats)
				c->stats->collectives++;
		}
		if (x->sync_lane)
			op.sync_lane = f->lanes[x->sync_lane - 1].out_id + 1;
		op.sync_event = x->sync_event;
	}
	if (c->stats) {
		c->stats->ops++;
		if (r->kind == TC_KIND_STEP)
			c->stats->steps++;
		if (r->kind == TC_KIND_KERNEL)
			c->stats->kernels++;
		if (r->cls == TC_CLASS_OTHER && r->kind == TC_KIND_KERNEL)
			c->stats->unknown_ops++;
	}
	/* the execution trace of the run: tensor data dependencies, and shapes Kineto lacks */
	uint32_t et_node = TC_PYET_NONE;
	if (f->et && r->kind == TC_KIND_CPU_OP) {
		et_node = tc_pyet_match(f->et, r->ext, tc_strtab_get(&c->names, r->name));
		if (et_node != TC_PYET_NONE) {
			tc_pyet_deps(f->et, et_node, &op.deps, &op.n_deps);
			if (!op.n_shapes)
				tc_pyet_shapes(f->et, et_node, &op.shapes, &op.n_shapes);
		}
	}
	uint64_t id;
	TC_TRY(tc_ops_writer_add(e->w, &op, &id, err));
	if (et_node != TC_PYET_NONE)
		tc_pyet_set_op(f->et, et_node, id);
	return 0;
}

int tc_chrome_stream(struct rctx *c, struct rfile *f, struct tc_ops_writer *w, uint32_t **name_map,
		     uint64_t base_id, int64_t shift, void *acts, size_t nacts, struct tc_err *err)
{
	struct lk k;
	struct emit e = {w, name_map, base_id, shift};
	size_t nsrc = f->nruns + 1;
	struct rsrc *src = calloc(nsrc, sizeof(*src));
	int rc = 0;

	memset(&k, 0, sizeof(k));
	k.c = c;
	k.f = f;
	k.acts = acts;
	k.nacts = nacts;
	k.stacks = calloc(f->nlanes + 1, sizeof(*k.stacks));
	if (!src || !k.stacks) {
		rc = tc_err_set(err, TC_ENOMEM, "out of memory linking %s", f->path);
		goto out;
	}
	if (f->spill && fflush(f->spill) != 0) {
		rc = tc_err_set(err, TC_EIO, "%s: temporary file: write failed (disk full?)",
				f->path);
		goto out;
	}
	tc_chrome_sort(f->ops, f->n);
	for (size_t s = 0; s < nsrc; s++) {
		src[s].f = f;
		if (s == f->nruns) {
			src[s].mem = 1;
			src[s].n = f->n;
		} else {
			src[s].fd = fileno(f->spill);
			src[s].off = f->runs[s].off;
			src[s].end = f->runs[s].off + f->runs[s].bytes;
			src[s].buf = malloc(RBUF);
			if (!src[s].buf) {
				rc = tc_err_set(err, TC_ENOMEM, "out of memory");
				goto out;
			}
		}
		if ((rc = src_next(&src[s], err)) < 0)
			goto out;
	}
	for (uint64_t i = 0;; i++) {
		/* few runs (one per 256 Ki ops): a linear pick is cheaper than a heap */
		struct rsrc *best = NULL;
		for (size_t s = 0; s < nsrc; s++)
			if (src[s].has && (!best || rec_cmp(&src[s].cur, &best->cur) < 0))
				best = &src[s];
		if (!best)
			break;
		uint64_t parent, link;
		struct rrec *q = &best->cur;
		link_op(&k, q, i, &parent, &link);
		if (k.oom) {
			rc = tc_err_set(err, TC_ENOMEM, "out of memory linking %s", f->path);
			goto out;
		}
		if (w && (rc = emit_op(&k, &e, q, parent, link, err)) < 0)
			goto out;
		if ((rc = src_next(best, err)) < 0)
			goto out;
	}
out:
	if (k.stacks) {
		for (size_t l = 0; l < f->nlanes; l++) {
			for (size_t d = 0; d < k.stacks[l].n; d++)
				frame_unref(&k, k.stacks[l].v[d].fr);
			free(k.stacks[l].v);
		}
		free(k.stacks);
	}
	for (size_t l = 0; l < k.nlaunch; l++)
		if (k.launches[l].live) /* GPU ops that never all came (skew, trace window) */
			frame_unref(&k, k.launches[l].parent);
	free(k.launches);
	frames_free(k.free_frames);
	tc_map64_free(&k.seq);
	for (size_t s = 0; src && s < nsrc; s++)
		free(src[s].buf);
	free(src);
	return rc;
}

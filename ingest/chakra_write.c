/* chakra_write.c - any opstream -> Chakra execution traces, one .et per rank (ASTRA-sim's
 * input), with measured or projected durations.
 *
 * What becomes a node: every GPU op (kernel, copy, memset, graph node) and every CPU
 * operator that has no enclosing op (nested CPU ops, runtime calls, steps and annotations
 * are inside those and would count their time twice). Every dependency is written as a
 * data dependency, since ASTRA-sim schedules by data_deps alone: the stream's explicit
 * dependencies, the launch of a kernel (as the top-level CPU operator it happened in), and
 * the order of each lane (the previous node on the same stream or thread). A stream read
 * from Chakra keeps its own dependencies and ids only: its lanes were built from them.
 *
 * duration_micros is an integer, so it is rounded to the nearest microsecond, and the exact
 * nanoseconds go in a "duration_ns" attribute that our reader prefers (docs/chakra.md). */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "adapter.h"
#include "chakra.h"
#include "tc_config.h"

struct rank_out {
	uint32_t rank;
	uint8_t *buf;
	size_t len, cap;
	uint64_t nodes;
};

struct xw {
	const struct tc_chakra_out_opts *o;
	struct tc_ops_reader *r;
	int from_chakra;
	uint64_t *rep; /* op -> the exported op that stands for it (itself, its top CPU op) */
	uint64_t *nid; /* exported op -> its node id */
	size_t rep_cap, nid_cap;
	uint64_t *last; /* lane -> last exported op on it */
	size_t last_cap, n_last;
	struct rank_out *ranks;
	size_t n_ranks, ranks_cap;
	uint64_t *deps;
	size_t deps_cap;
	char *text; /* IOInfo.shapes being written */
	size_t text_cap;
	struct tc_chakra_out_stats st;
};

static int text_add(struct xw *x, size_t *len, const char *s)
{
	size_t n = strlen(s);
	if (tc_grow((void **)&x->text, &x->text_cap, *len + n + 1, 1) < 0)
		return TC_ENOMEM;
	memcpy(x->text + *len, s, n + 1);
	*len += n;
	return 0;
}

/* Shapes as Chakra's converters write them, a Python literal: "[[64, 3], []]". */
static int shapes_text(struct xw *x, const struct tc_op *op)
{
	size_t len = 0;
	char num[24];
	int rc = text_add(x, &len, "[");
	for (uint32_t i = 0; i < op->n_shapes && rc == 0; i++) {
		rc = text_add(x, &len, i ? ", [" : "[");
		for (uint32_t d = 0; d < op->shapes[i].rank && rc == 0; d++) {
			snprintf(num, sizeof(num), "%s%" PRId64, d ? ", " : "",
				 op->shapes[i].dims[d]);
			rc = text_add(x, &len, num);
		}
		if (rc == 0)
			rc = text_add(x, &len, "]");
	}
	return rc == 0 ? text_add(x, &len, "]") : rc;
}

static int put(struct rank_out *ro, const void *p, size_t n)
{
	if (tc_grow((void **)&ro->buf, &ro->cap, ro->len + n, 1) < 0)
		return TC_ENOMEM;
	memcpy(ro->buf + ro->len, p, n);
	ro->len += n;
	return 0;
}

/* One length-prefixed message (a node or the metadata). */
static int put_msg(struct rank_out *ro, const ProtobufCMessage *m)
{
	size_t n = protobuf_c_message_get_packed_size(m);
	uint8_t pre[10];
	size_t k = tc_varint_put(pre, n);
	TC_TRY(put(ro, pre, k));
	if (tc_grow((void **)&ro->buf, &ro->cap, ro->len + n, 1) < 0)
		return TC_ENOMEM;
	ro->len += protobuf_c_message_pack(m, ro->buf + ro->len);
	return 0;
}

static struct rank_out *rank_of(struct xw *x, uint32_t rank)
{
	for (size_t i = 0; i < x->n_ranks; i++)
		if (x->ranks[i].rank == rank)
			return &x->ranks[i];
	if (tc_grow((void **)&x->ranks, &x->ranks_cap, x->n_ranks + 1, sizeof(*x->ranks)) < 0)
		return NULL;
	struct rank_out *ro = &x->ranks[x->n_ranks++];
	memset(ro, 0, sizeof(*ro));
	ro->rank = rank;
	return ro;
}

static int exported_kind(const struct tc_op *op)
{
	switch (op->kind) {
	case TC_KIND_KERNEL:
	case TC_KIND_MEMCPY:
	case TC_KIND_MEMSET:
	case TC_KIND_NODE:
		return 1;
	case TC_KIND_CPU_OP:
		return op->parent == TC_NONE;
	default:
		return 0;
	}
}

static int node_type(const struct tc_op *op)
{
	if (op->coll_kind == TC_COLL_SEND)
		return TC_ET_COMM_SEND;
	if (op->coll_kind == TC_COLL_RECV)
		return TC_ET_COMM_RECV;
	if (op->coll_kind != TC_COLL_NONE && tc_et_coll_to(op->coll_kind) >= 0)
		return TC_ET_COMM_COLL;
	if (op->kind == TC_KIND_MEMCPY)
		return op->sub == TC_COPY_D2H ? TC_ET_MEM_STORE : TC_ET_MEM_LOAD;
	return TC_ET_COMP;
}

/* The node standing for op d, named by op id (TC_NONE for none; the reader checks that
 * references are earlier ops, and this does not rely on it). */
static uint64_t rep_of(const struct xw *x, uint64_t d, uint64_t id)
{
	return d < id ? x->rep[d] : TC_NONE;
}

static int add_dep(struct xw *x, size_t *n, uint64_t self, uint64_t d)
{
	if (d == TC_NONE || d == self)
		return 0;
	for (size_t i = 0; i < *n; i++)
		if (x->deps[i] == x->nid[d])
			return 0;
	if (tc_grow((void **)&x->deps, &x->deps_cap, *n + 1, sizeof(uint64_t)) < 0)
		return TC_ENOMEM;
	x->deps[(*n)++] = x->nid[d];
	return 0;
}

static int write_node(struct xw *x, const struct tc_op *op, const struct tc_lane *lane,
		      struct tc_err *err)
{
	uint64_t id = op->id;
	x->nid[id] = x->from_chakra && op->correlation ? op->correlation - 1 : id;
	size_t nd = 0;
	int rc = 0;
	for (uint32_t k = 0; k < op->n_deps && rc == 0; k++)
		rc = add_dep(x, &nd, id, rep_of(x, op->deps[k], id));
	if (!x->from_chakra && rc == 0) {
		if (op->link != TC_NONE)
			rc = add_dep(x, &nd, id, rep_of(x, op->link, id));
		if (rc == 0 && op->lane < x->n_last)
			rc = add_dep(x, &nd, id, x->last[op->lane]);
	}
	if (rc < 0)
		return tc_err_set(err, TC_ENOMEM, "out of memory");

	int64_t dur = op->dur_ns;
	if (x->o && x->o->dur_of) {
		int64_t p = x->o->dur_of(x->o->ctx, id);
		if (p >= 0)
			dur = p;
	}
	if (dur < 0) {
		dur = 0;
		x->st.no_duration++;
	}
	int cpu = op->kind == TC_KIND_CPU_OP;
	ATTR a[12];
	ATTR *ap[12];
	size_t na = 0;
	for (size_t i = 0; i < 12; i++) {
		chakra_proto_msg__attribute_proto__init(&a[i]);
		ap[i] = &a[i];
	}
#define A(key, vcase, field, val)                                                                  \
	do {                                                                                       \
		a[na].name = (char *)(key);                                                        \
		a[na].value_case = V(vcase);                                                       \
		a[na].field = (val);                                                               \
		na++;                                                                              \
	} while (0)
	A("is_cpu_op", BOOL_VAL, bool_val, cpu);
	A(TC_ET_DURATION_NS, INT64_VAL, int64_val, dur);
	ChakraProtoMsg__Int64List wl = CHAKRA_PROTO_MSG__INT64_LIST__INIT;
	int64_t wv[TC_ET_WORK_N];
	if (op->has_work) {
		/* ASTRA-sim's roofline model reads num_ops and tensor_size; tc_work keeps what
		 * tracecast's cost model needs, exactly (docs/chakra.md) */
		uint64_t u[TC_ET_WORK_N] = {
		    op->flops,	    op->bytes_read, op->bytes_written,
		    op->gemm_m,	    op->gemm_n,	    op->gemm_k,
		    op->gemm_batch, op->dtype,	    op->flags & TC_FLAG_WORK_ESTIMATED};
		for (size_t k = 0; k < TC_ET_WORK_N; k++)
			wv[k] = u[k] > INT64_MAX ? INT64_MAX : (int64_t)u[k];
		wl.values = wv;
		wl.n_values = TC_ET_WORK_N;
		A("num_ops", INT64_VAL, int64_val, wv[0]);
		A("tensor_size", INT64_VAL, int64_val,
		  wv[1] > INT64_MAX - wv[2] ? INT64_MAX : wv[1] + wv[2]);
		A(TC_ET_WORK, INT64_LIST, int64_list, &wl);
	}
	int type = node_type(op);
	if (type == TC_ET_COMM_COLL)
		A("comm_type", INT64_VAL, int64_val, tc_et_coll_to(op->coll_kind));
	if (type == TC_ET_COMM_COLL || type == TC_ET_COMM_SEND || type == TC_ET_COMM_RECV) {
		A("comm_size", INT64_VAL, int64_val,
		  (int64_t)(op->coll_bytes > INT64_MAX ? INT64_MAX : op->coll_bytes));
		if (op->coll_group)
			A("pg_name", STRING_VAL, string_val,
			  (char *)tc_ops_reader_string(x->r, op->coll_group));
	}
	/* ASTRA-sim reads peers and tags as int32 */
	if (type == TC_ET_COMM_SEND && op->coll_peer >= 0)
		A("comm_dst", INT32_VAL, int32_val, op->coll_peer);
	if (type == TC_ET_COMM_RECV && op->coll_peer >= 0)
		A("comm_src", INT32_VAL, int32_val, op->coll_peer);
	if ((type == TC_ET_COMM_SEND || type == TC_ET_COMM_RECV) && op->coll_seq <= INT32_MAX)
		A("comm_tag", INT32_VAL, int32_val, (int32_t)op->coll_seq);
#undef A
	ChakraProtoMsg__IOInfo io = CHAKRA_PROTO_MSG__IOINFO__INIT;
	if (op->n_shapes) {
		if (shapes_text(x, op) < 0)
			return tc_err_set(err, TC_ENOMEM, "out of memory");
		io.shapes = x->text;
	}
	NODE n = CHAKRA_PROTO_MSG__NODE__INIT;
	n.inputs = op->n_shapes ? &io : NULL;
	n.id = x->nid[id];
	n.name = (char *)tc_ops_reader_string(x->r, op->name);
	n.type = (ChakraProtoMsg__NodeType)type;
	n.data_deps = x->deps;
	n.n_data_deps = nd;
	n.duration_micros = (uint64_t)(dur / 1000 + (dur % 1000 >= 500));
	n.attr = ap;
	n.n_attr = na;
	struct rank_out *ro = rank_of(x, lane ? lane->rank : 0);
	if (!ro || put_msg(ro, &n.base) < 0)
		return tc_err_set(err, TC_ENOMEM, "out of memory");
	ro->nodes++;
	x->st.nodes++;
	x->st.deps += nd;
	return 0;
}

static int take_op(struct xw *x, const struct tc_op *op, struct tc_err *err)
{
	uint64_t id = op->id;
	if (tc_grow((void **)&x->rep, &x->rep_cap, id + 1, sizeof(uint64_t)) < 0 ||
	    tc_grow((void **)&x->nid, &x->nid_cap, id + 1, sizeof(uint64_t)) < 0)
		return tc_err_set(err, TC_ENOMEM, "out of memory");
	x->rep[id] = TC_NONE;
	if (exported_kind(op)) {
		const struct tc_lane *lane = tc_ops_reader_lane(x->r, op->lane);
		TC_TRY(write_node(x, op, lane, err));
		x->rep[id] = id;
		if (op->lane >= x->n_last) {
			if (tc_grow((void **)&x->last, &x->last_cap, (size_t)op->lane + 1,
				    sizeof(uint64_t)) < 0)
				return tc_err_set(err, TC_ENOMEM, "out of memory");
			for (; x->n_last <= op->lane; x->n_last++)
				x->last[x->n_last] = TC_NONE;
		}
		x->last[op->lane] = id;
	} else {
		x->st.skipped++;
		if (op->parent != TC_NONE)
			x->rep[id] = rep_of(x, op->parent, id);
	}
	return 0;
}

/* DIR/STEM.RANK.et for every rank, all written before any is renamed into place. */
static int write_files(struct xw *x, const char *dir, const char *stem, const char *durations,
		       struct tc_err *err)
{
	const struct tc_ops_header *h = tc_ops_reader_header(x->r);
	struct tc_outfile *outs = tc_xcalloc(x->n_ranks + 1, sizeof(*outs));
	int rc = 0, created = mkdir(dir, 0777) == 0;
	if (!created && errno != EEXIST)
		rc = tc_err_set(err, TC_EIO, "%s: cannot create the directory: %s", dir,
				strerror(errno));
	for (size_t i = 0; i < x->n_ranks && rc == 0; i++) {
		struct rank_out *ro = &x->ranks[i];
		char rank[16];
		snprintf(rank, sizeof(rank), "%" PRIu32, ro->rank);
		ATTR a[4], *ap[4];
		const char *keys[4] = {"producer", "source_format", "durations", "rank"};
		const char *vals[4] = {"tracecast " TC_VERSION_STRING,
				       h && h->source_format ? h->source_format : "", durations,
				       rank};
		for (size_t k = 0; k < 4; k++) {
			chakra_proto_msg__attribute_proto__init(&a[k]);
			a[k].name = (char *)keys[k];
			a[k].value_case = V(STRING_VAL);
			a[k].string_val = (char *)vals[k];
			ap[k] = &a[k];
		}
		ChakraProtoMsg__GlobalMetadata m = CHAKRA_PROTO_MSG__GLOBAL_METADATA__INIT;
		m.version = (char *)"0.0.4";
		m.attr = ap;
		m.n_attr = 4;
		struct rank_out head = {0, NULL, 0, 0, 0};
		if (put_msg(&head, &m.base) < 0) {
			free(head.buf);
			rc = tc_err_set(err, TC_ENOMEM, "out of memory");
			break;
		}
		char *path = NULL;
		size_t n = strlen(dir) + strlen(stem) + 32;
		path = tc_xmalloc(n);
		snprintf(path, n, "%s/%s.%" PRIu32 ".et", dir, stem, ro->rank);
		rc = tc_outfile_open(&outs[i], path, err);
		free(path);
		if (rc == 0 && (fwrite(head.buf, 1, head.len, outs[i].fp) != head.len ||
				(ro->len && fwrite(ro->buf, 1, ro->len, outs[i].fp) != ro->len)))
			rc = tc_err_set(err, TC_EIO, "%s: write error: %s", outs[i].path,
					strerror(errno));
		free(head.buf);
	}
	for (size_t i = 0; i < x->n_ranks && rc == 0; i++)
		rc = tc_outfile_commit(&outs[i], err);
	for (size_t i = 0; i < x->n_ranks; i++)
		tc_outfile_abort(&outs[i]);
	free(outs);
	if (rc < 0 && created) /* nothing left behind, not even the directory */
		(void)rmdir(dir);
	return rc;
}

/* The input's name without its directory and format extensions. */
static void stem_of(const char *path, char *buf, size_t n)
{
	const char *base = strrchr(path, '/');
	snprintf(buf, n, "%s", base ? base + 1 : path);
	const char *exts[] = {".gz", ".zst", ".tcs", ".json", ".et", ".onnx", ".pt.trace"};
	for (int again = 1; again;) {
		again = 0;
		for (size_t i = 0; i < sizeof(exts) / sizeof(exts[0]); i++)
			if (tc_str_endswith(buf, exts[i]) && strlen(buf) > strlen(exts[i])) {
				buf[strlen(buf) - strlen(exts[i])] = 0;
				again = 1;
			}
	}
	/* a Chakra input's own rank suffix would repeat: trace.0 -> trace.0.0.et */
	char *dot = strrchr(buf, '.');
	if (dot && dot[1] && strspn(dot + 1, "0123456789") == strlen(dot + 1) && dot != buf)
		*dot = 0;
}

int tc_chakra_export(const char *tcs, const char *dir, const struct tc_chakra_out_opts *o,
		     struct tc_chakra_out_stats *stats, struct tc_err *err)
{
	struct xw x;
	memset(&x, 0, sizeof(x));
	x.o = o;
	TC_TRY(tc_ops_reader_open(&x.r, tcs, err));
	const struct tc_ops_header *h = tc_ops_reader_header(x.r);
	x.from_chakra = h->source_format && strcmp(h->source_format, "chakra") == 0;
	const struct tc_op *ops;
	size_t n;
	int rc;
	while ((rc = tc_ops_reader_next(x.r, &ops, &n, err)) == 1) {
		for (size_t i = 0; i < n && rc == 1; i++)
			if ((rc = take_op(&x, &ops[i], err)) == 0)
				rc = 1;
		if (rc < 0)
			break;
	}
	if (rc == 0) {
		char stem[256];
		const char *src = o && o->stem ? o->stem : NULL;
		if (!src)
			stem_of(h->n_source_files ? h->source_files[0] : tcs, stem, sizeof(stem));
		else
			snprintf(stem, sizeof(stem), "%s", src);
		rc = write_files(&x, dir, stem, o && o->dur_of ? "projected" : "measured", err);
	}
	x.st.files = rc == 0 ? (uint32_t)x.n_ranks : 0;
	if (stats)
		*stats = x.st;
	for (size_t i = 0; i < x.n_ranks; i++)
		free(x.ranks[i].buf);
	free(x.ranks);
	free(x.rep);
	free(x.nid);
	free(x.last);
	free(x.deps);
	free(x.text);
	tc_ops_reader_free(x.r);
	return rc;
}

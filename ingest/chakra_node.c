/* chakra_node.c - one Chakra node as an op: its attributes (known ones mapped, the rest
 * counted by name), kind, lane, class, communication, duration and input shapes; and the
 * schedule that gives ops their times (docs/chakra.md).
 *
 * Chakra has durations but no usable start times (converters leave start_time_micros 0), so
 * times are rebuilt the way ASTRA-sim runs a trace: a node starts when its dependencies have
 * ended and its resource is free, one node at a time per resource (CPU, GPU compute, GPU
 * communication: three lanes per rank). A replay on the same chip then reproduces that
 * schedule exactly. */
#include <ctype.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "adapter.h"
#include "chakra.h"

enum { LANE_CPU, LANE_COMP, LANE_COMM, LANE__COUNT };
static const char *const lane_names[LANE__COUNT] = {"cpu", "compute", "comm"};

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* ---- attributes ------------------------------------------------------------------------ */

static int attr_int(const ATTR *a, int64_t *v)
{
	switch (a->value_case) {
	case V(INT32_VAL):
		*v = a->int32_val;
		return 0;
	case V(INT64_VAL):
		*v = a->int64_val;
		return 0;
	case V(UINT32_VAL):
		*v = a->uint32_val;
		return 0;
	case V(UINT64_VAL):
		*v = a->uint64_val > INT64_MAX ? INT64_MAX : (int64_t)a->uint64_val;
		return 0;
	case V(SINT32_VAL):
		*v = a->sint32_val;
		return 0;
	case V(SINT64_VAL):
		*v = a->sint64_val;
		return 0;
	case V(FIXED32_VAL):
		*v = a->fixed32_val;
		return 0;
	case V(FIXED64_VAL):
		*v = a->fixed64_val > INT64_MAX ? INT64_MAX : (int64_t)a->fixed64_val;
		return 0;
	case V(SFIXED32_VAL):
		*v = a->sfixed32_val;
		return 0;
	case V(SFIXED64_VAL):
		*v = a->sfixed64_val;
		return 0;
	case V(BOOL_VAL):
		*v = a->bool_val;
		return 0;
	default:
		return -1;
	}
}

static int note_unmapped(struct unmapped *u, const char *name)
{
	uint32_t id;
	if (tc_strtab_intern(&u->names, name, strlen(name), &id) < 0 ||
	    tc_grow((void **)&u->count, &u->cap, (size_t)id + 1, sizeof(uint64_t)) < 0)
		return TC_ENOMEM;
	for (; u->n <= id; u->n++) /* tc_grow does not zero */
		u->count[u->n] = 0;
	u->count[id]++;
	u->total++;
	return 0;
}

int tc_et_node_attrs(const NODE *nd, struct nattr *na, struct unmapped *u)
{
	memset(na, 0, sizeof(*na));
	for (size_t i = 0; i < nd->n_attr; i++) {
		const ATTR *a = nd->attr[i];
		const char *k = a->name ? a->name : "";
		int64_t v = 0;
		int num = attr_int(a, &v) == 0;
#define NUM_ATTR(key, f)                                                                           \
	if (num && strcmp(k, key) == 0) {                                                          \
		na->f = v;                                                                         \
		na->has_##f = 1;                                                                   \
		continue;                                                                          \
	}
		NUM_ATTR("is_cpu_op", cpu)
		NUM_ATTR("comm_type", comm_type)
		NUM_ATTR("comm_size", comm_size)
		NUM_ATTR("comm_src", src)
		NUM_ATTR("comm_dst", dst)
		NUM_ATTR("comm_tag", tag)
		NUM_ATTR(TC_ET_DURATION_NS, dur_ns)
#undef NUM_ATTR
		if (strcmp(k, "pg_name") == 0 && a->value_case == V(STRING_VAL)) {
			na->pg = a->string_val;
			continue;
		}
		if (strcmp(k, TC_ET_WORK) == 0 && a->value_case == V(INT64_LIST) &&
		    a->int64_list->n_values == TC_ET_WORK_N) {
			na->work = a->int64_list->values;
			continue;
		}
		if (strcmp(k, "num_ops") == 0 || strcmp(k, "tensor_size") == 0)
			continue; /* ASTRA-sim's roofline inputs: tc_work says more, else derived */
		TC_TRY(note_unmapped(u, k));
	}
	return 0;
}

/* ---- nodes as ops ----------------------------------------------------------------------- */

static const char *skip_ws(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\n')
		p++;
	return p;
}

/* IOInfo.shapes is a Python literal, "[[64, 3], [], [[4], [5]]]": one list per input. A
 * list of integers is a shape; anything else (a list of lists for a GenericList, a scalar)
 * has no one shape and reads as rank 0. Malformed text ends the list where it stops making
 * sense: shapes are context, never a reason to refuse a trace. */
static uint32_t parse_shapes(const char *s, struct tc_shape *shp, int64_t *dims)
{
	uint32_t n = 0;
	size_t nd = 0;
	const char *p = skip_ws(s ? s : "");
	if (*p != '[')
		return 0;
	p = skip_ws(p + 1);
	while (*p && *p != ']' && n < TC_ET_MAX_SHAPES) {
		shp[n].rank = 0;
		shp[n].dims = dims + nd;
		int depth = 0, ints = 1;
		size_t first = nd;
		const char *q = p;
		do { /* one element: up to the comma or bracket that closes it at depth 0 */
			if (*q == '[')
				depth++, ints &= depth == 1;
			else if (*q == ']')
				depth--;
			else if ((*q == '-' || (*q >= '0' && *q <= '9')) && depth == 1 && ints) {
				char *e;
				long long v = strtoll(q, &e, 10);
				if (e == q) { /* a lone '-' */
					ints = 0;
				} else {
					if (nd < TC_ET_MAX_DIMS)
						dims[nd++] = v;
					q = e - 1;
				}
			} else if (*q != ',' && *q != ' ' && depth >= 1)
				ints = 0;
			q++;
		} while (*q && depth > 0);
		if (*p != '[' || !ints)
			nd = first;
		shp[n].rank = (uint32_t)(nd - first);
		n++;
		while (*q && *q != ',' && *q != ']')
			q++;
		if (*q != ',')
			break;
		p = skip_ws(q + 1);
	}
	return n;
}

/* Chakra's PyTorch converter numbers the parts of an operator it splits ("aten::mul(0)",
 * "aten::mul(1)"), which the op tables do not know: the name without that suffix. */
static void op_name(const char *name, char *buf, size_t cap)
{
	snprintf(buf, cap, "%s", name ? name : "");
	size_t n = strlen(buf), k;
	if (n > 2 && buf[n - 1] == ')') {
		for (k = n - 1; k > 0 && isdigit((unsigned char)buf[k - 1]); k--)
			;
		if (k > 1 && k < n - 1 && buf[k - 1] == '(')
			buf[k - 1] = 0;
	}
}

static unsigned node_class(const NODE *nd, int cpu)
{
	char buf[256];
	op_name(nd->name, buf, sizeof(buf));
	unsigned c = cpu ? TC_CLASS_OTHER : tc_opclass_of_kernel(buf);
	return c != TC_CLASS_OTHER ? c : tc_opclass_of_op(buf);
}

/* IOInfo.types, "['Tensor(float)', 'Int', 'GenericList[...]']": the dtype of each input
 * that is one tensor, 0 (unknown) for the rest. */
static void parse_types(const char *s, uint8_t *dt, uint32_t n)
{
	memset(dt, 0, n);
	for (uint32_t k = 0; s && *s && k < n; k++) {
		const char *q = strpbrk(s, "'\"");
		if (!q)
			break;
		const char *e = strchr(q + 1, *q);
		if (!e)
			break;
		if (strncmp(q + 1, "Tensor(", 7) == 0 && e > q + 8 && e[-1] == ')') {
			char name[32];
			size_t len = (size_t)(e - 1 - (q + 8));
			snprintf(name, sizeof(name), "%.*s", (int)(len < 31 ? len : 31), q + 8);
			dt[k] = (uint8_t)tc_dtype_of_name(name);
		}
		s = e + 1;
	}
}

/* A GPU kernel's work: Chakra's PyTorch converter gives it the input shapes and types of the
 * CPU operator that launched it, and a data dependency on that operator. So the work is that
 * operator's, from the same tables the Kineto adapter uses. */
static void kernel_work(struct emit *e, const struct et_file *f, uint32_t i, struct tc_op *op)
{
	const NODE *nd = f->nodes[i];
	if (op->kind != TC_KIND_KERNEL || op->coll_kind != TC_COLL_NONE || !op->n_shapes ||
	    !nd->inputs || op->has_work || f->ours)
		return;
	/* the launching operator is the CPU dependency that comes last in the file (the
	 * others are producers of its inputs, from earlier) */
	uint32_t j = UINT32_MAX;
	for (uint32_t k = f->dstart[i]; k < f->dstart[i + 1]; k++)
		if (e->cpu[f->deps[k]])
			j = f->deps[k]; /* sorted: the last one found is the latest */
	if (j == UINT32_MAX)
		return;
	char name[256];
	uint8_t dt[TC_ET_MAX_SHAPES];
	struct tc_work w;
	op_name(f->nodes[j]->name, name, sizeof(name));
	/* as in the Kineto adapter (docs/ingest.md, Work): the first kernel of the operator's
	 * class takes the work, so a convolution's layout transposes do not take its FLOPs */
	if (e->cpu[j] != 1 || tc_opclass_of_op(name) != op->op_class)
		return;
	parse_types(nd->inputs->types, dt, op->n_shapes);
	memset(&w, 0, sizeof(w));
	if (tc_work_of_op(name, op->shapes, op->n_shapes, dt, &w) != 1)
		return;
	e->cpu[j] = 2;
	op->has_work = 1;
	if (op->op_class == TC_CLASS_CONV) /* geometry (stride, padding) is not in the trace */
		op->flags |= TC_FLAG_WORK_ESTIMATED;
	op->flops = w.flops;
	op->bytes_read = w.bytes_read;
	op->bytes_written = w.bytes_written;
	op->dtype = w.dtype;
	op->gemm_m = w.m > 0 ? (uint64_t)w.m : 0;
	op->gemm_n = w.n > 0 ? (uint64_t)w.n : 0;
	op->gemm_k = w.k > 0 ? (uint64_t)w.k : 0;
	op->gemm_batch = w.batch > 0 ? (uint64_t)w.batch : 0;
	e->with_work++;
}

uint32_t tc_et_check_io(const NODE *nd)
{
	struct tc_shape shp[TC_ET_MAX_SHAPES];
	int64_t dims[TC_ET_MAX_DIMS];
	uint8_t dt[TC_ET_MAX_SHAPES];
	if (!nd->inputs)
		return 0;
	uint32_t n = parse_shapes(nd->inputs->shapes, shp, dims);
	parse_types(nd->inputs->types, dt, n);
	return n;
}

/* The op of one node: kind, lane, class, communication and duration (times come later). */
static int node_op(struct emit *e, const struct et_file *f, const NODE *nd, struct tc_op *op,
		   int *lane, struct tc_err *err)
{
	struct nattr na;
	if (tc_et_node_attrs(nd, &na, &e->un) < 0)
		return tc_err_set(err, TC_ENOMEM, "out of memory");
	int cpu = na.has_cpu && na.cpu != 0;
	op->correlation = nd->id + 1; /* the node id, for traceability and for the writer */
	if (nd->id == UINT64_MAX)
		op->correlation = 0;
	op->kind = cpu ? TC_KIND_CPU_OP : TC_KIND_KERNEL;
	*lane = cpu ? LANE_CPU : LANE_COMP;
	op->op_class = (uint8_t)node_class(nd, cpu);
	int type = (int)nd->type;
	switch (type) {
	case TC_ET_COMP:
		break;
	case TC_ET_COMM_SEND:
	case TC_ET_COMM_RECV:
		op->coll_kind = type == TC_ET_COMM_SEND ? TC_COLL_SEND : TC_COLL_RECV;
		op->coll_peer = (int32_t)(type == TC_ET_COMM_SEND ? (na.has_dst ? na.dst : -1)
								  : (na.has_src ? na.src : -1));
		if (na.has_tag && na.tag >= 0)
			op->coll_seq = (uint64_t)na.tag;
		break;
	case TC_ET_COMM_COLL:
		op->coll_kind =
		    na.has_comm_type ? (uint8_t)tc_et_coll_from(na.comm_type) : TC_COLL_NONE;
		if (op->coll_kind == TC_COLL_NONE)
			op->coll_kind = (uint8_t)tc_coll_of_name(nd->name);
		if (op->coll_kind == TC_COLL_NONE) /* comm_type's proto3 default, 0 */
			op->coll_kind = TC_COLL_ALLREDUCE;
		break;
	case TC_ET_MEM_LOAD:
	case TC_ET_MEM_STORE:
		if (!cpu) {
			op->kind = TC_KIND_MEMCPY;
			op->sub = type == TC_ET_MEM_LOAD ? TC_COPY_H2D : TC_COPY_D2H;
			op->op_class = TC_CLASS_COPY;
		}
		break;
	default: /* metadata, storage, batch, checkpoint: kept in the graph as CPU work */
		op->kind = TC_KIND_CPU_OP;
		*lane = LANE_CPU;
		e->other_types++;
		break;
	}
	if (op->coll_kind != TC_COLL_NONE) {
		if (!cpu) {
			op->op_class = TC_CLASS_COLLECTIVE;
			*lane = LANE_COMM;
		}
		if (na.has_comm_size && na.comm_size > 0)
			op->coll_bytes = (uint64_t)na.comm_size;
		if (na.pg && tc_ops_writer_intern(e->w, na.pg, &op->coll_group) < 0)
			return tc_err_set(err, TC_ENOMEM, "out of memory");
	}
	if (na.has_dur_ns && na.dur_ns >= 0) {
		op->dur_ns = na.dur_ns;
	} else {
		if (nd->duration_micros > (uint64_t)TC_TIME_LIMIT_NS / 1000)
			return tc_err_set(err, TC_EFORMAT,
					  "%s: node %" PRIu64 " (%s): duration of %" PRIu64
					  " us is beyond the opstream's time range",
					  f->path, nd->id, nd->name, nd->duration_micros);
		op->dur_ns = (int64_t)nd->duration_micros * 1000;
	}
	if (tc_ops_writer_intern(e->w, nd->name ? nd->name : "", &op->name) < 0)
		return tc_err_set(err, TC_ENOMEM, "out of memory");
	if (nd->inputs && (op->n_shapes = parse_shapes(nd->inputs->shapes, e->shp, e->dims)))
		op->shapes = e->shp;
	if (na.work) {
		const int64_t *w = na.work;
		for (int k = 0; k < TC_ET_WORK_N; k++)
			if (w[k] < 0)
				return tc_err_set(err, TC_EFORMAT,
						  "%s: node %" PRIu64 " (%s): negative "
						  "value in %s",
						  f->path, nd->id, nd->name, TC_ET_WORK);
		op->has_work = 1;
		op->flops = (uint64_t)w[0];
		op->bytes_read = (uint64_t)w[1];
		op->bytes_written = (uint64_t)w[2];
		op->gemm_m = (uint64_t)w[3];
		op->gemm_n = (uint64_t)w[4];
		op->gemm_k = (uint64_t)w[5];
		op->gemm_batch = (uint64_t)w[6];
		op->dtype = w[7] < TC_DT__COUNT ? (uint8_t)w[7] : TC_DT_UNKNOWN;
		if (w[8])
			op->flags |= TC_FLAG_WORK_ESTIMATED;
	}
	return 0;
}

int tc_et_emit_file(struct emit *e, const struct et_file *f, uint64_t base, struct tc_err *err)
{
	uint32_t lanes[LANE__COUNT];
	int64_t lane_free[LANE__COUNT] = {0, 0, 0};
	for (int l = 0; l < LANE__COUNT; l++) {
		struct tc_lane ln = {0,
				     (uint32_t)f->rank,
				     (uint32_t)f->rank,
				     l == LANE_CPU ? TC_LANE_CPU : TC_LANE_GPU,
				     l,
				     lane_names[l]};
		if (tc_ops_writer_lane(e->w, &ln, &lanes[l]) < 0)
			return tc_err_set(err, TC_ENOMEM, "out of memory");
	}
	if (tc_grow((void **)&e->end, &e->end_cap, f->n + 1, sizeof(int64_t)) < 0 ||
	    tc_grow((void **)&e->cpu, &e->cpu_cap, f->n + 1, 1) < 0)
		return tc_err_set(err, TC_ENOMEM, "out of memory");
	/* op id of node i: base + its position in the order */
	uint32_t *pos = malloc((f->n + 1) * sizeof(uint32_t));
	if (!pos)
		return tc_err_set(err, TC_ENOMEM, "out of memory");
	for (size_t k = 0; k < f->n; k++)
		pos[f->order[k]] = (uint32_t)k;
	int rc = 0;
	for (size_t k = 0; k < f->n && rc == 0; k++) {
		uint32_t i = f->order[k];
		const NODE *nd = f->nodes[i];
		struct tc_op op;
		int lane = LANE_CPU;
		tc_op_init(&op);
		if ((rc = node_op(e, f, nd, &op, &lane, err)) < 0)
			break;
		e->cpu[i] = op.kind == TC_KIND_CPU_OP;
		kernel_work(e, f, i, &op);
		uint32_t nd_deps = f->dstart[i + 1] - f->dstart[i];
		if (tc_grow((void **)&e->deps, &e->deps_cap, (size_t)nd_deps + 1,
			    sizeof(uint64_t)) < 0) {
			rc = tc_err_set(err, TC_ENOMEM, "out of memory");
			break;
		}
		int64_t ready = lane_free[lane];
		for (uint32_t d = 0; d < nd_deps; d++) {
			uint32_t j = f->deps[f->dstart[i] + d];
			e->deps[d] = base + pos[j];
			if (e->end[j] > ready)
				ready = e->end[j];
		}
		if (nd_deps > 1) /* positions in the order do not follow node indices */
			qsort(e->deps, nd_deps, sizeof(uint64_t), cmp_u64);
		if (ready > TC_TIME_LIMIT_NS - op.dur_ns) {
			rc = tc_err_set(err, TC_EFORMAT,
					"%s: node %" PRIu64 " (%s): the schedule "
					"passes 2^53 ns (104 days) here",
					f->path, nd->id, nd->name);
			break;
		}
		op.ts_ns = ready;
		op.lane = lanes[lane];
		op.deps = e->deps;
		op.n_deps = nd_deps;
		e->end[i] = lane_free[lane] = ready + op.dur_ns;
		rc = tc_ops_writer_add(e->w, &op, NULL, err);
		e->ops++;
		e->kernels += op.kind == TC_KIND_KERNEL;
		e->colls += op.coll_kind != TC_COLL_NONE && op.kind == TC_KIND_KERNEL;
		e->unknown += op.kind == TC_KIND_KERNEL && op.op_class == TC_CLASS_OTHER;
	}
	free(pos);
	return rc;
}

void tc_et_warn_unmapped(const struct unmapped *u, const struct tc_log *log)
{
	if (!log || !u->total)
		return;
	char buf[512];
	size_t off = 0;
	for (uint32_t id = 1; id < u->names.n && off + 1 < sizeof(buf); id++) {
		int w =
		    snprintf(buf + off, sizeof(buf) - off, "%s%s x%" PRIu64, id > 1 ? ", " : "",
			     u->names.strs[id][0] ? u->names.strs[id] : "(no name)", u->count[id]);
		if (w < 0)
			break;
		off += (size_t)w;
	}
	if (off >= sizeof(buf))
		memcpy(buf + sizeof(buf) - 4, "...", 4);
	tc_warn(log, "chakra: %" PRIu64 " node attributes not mapped, kept only as counts: %s",
		u->total, buf);
}

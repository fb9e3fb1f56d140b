/* chakra.c - the Chakra execution trace adapter: .et files (one per rank) -> one opstream.
 *
 * An .et file is a GlobalMetadata record and then Node records, each prefixed by its length
 * as a varint. The records are split here (so a bad length names its byte offset) and each
 * is unpacked by protoc-c from proto/chakra.proto. Nodes come in any order, so the graph is
 * checked (duplicate ids, dependencies on missing nodes, cycles) and sorted topologically
 * before anything is written: the opstream wants every dependency to name an earlier op.
 *
 * Chakra has durations but no usable start times (converters leave start_time_micros 0), so
 * times are rebuilt the way ASTRA-sim runs a trace: a node starts when its dependencies have
 * ended and its resource is free, one node at a time per resource (CPU, GPU compute, GPU
 * communication: three lanes per rank). A replay on the same chip then reproduces that
 * schedule exactly. docs/chakra.md has the whole mapping. */
#include <ctype.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "adapter.h"
#include "chakra.h"

#define NODE ChakraProtoMsg__Node
#define ATTR ChakraProtoMsg__AttributeProto
#define V(x) CHAKRA_PROTO_MSG__ATTRIBUTE_PROTO__VALUE_##x

enum { LANE_CPU, LANE_COMP, LANE_COMM, LANE__COUNT };
static const char *const lane_names[LANE__COUNT] = {"cpu", "compute", "comm"};

struct et_file {
	const char *path; /* the name errors give */
	char *buf;
	size_t len;
	ChakraProtoMsg__GlobalMetadata *meta;
	NODE **nodes;
	size_t n, cap;
	uint32_t *dstart, *deps; /* CSR: dependencies of node i as node indices, sorted */
	uint32_t *order;         /* topological order (file order among the ready) */
	/* Control dependencies seen. They do not enter the graph: ASTRA-sim schedules by
	 * data_deps, and Chakra's own PyTorch converter writes ctrl_deps (a node's parent in
	 * the operator tree) that name nodes it filtered out and form cycles with the data
	 * dependencies (docs/chakra.md). */
	uint64_t ctrl;
	int rank;
};

/* Names of the attributes that were not mapped, with their counts. */
struct unmapped {
	struct tc_strtab names;
	uint64_t *count;
	size_t cap, n; /* n: counts in use (names.n moves first) */
	uint64_t total;
};

unsigned tc_et_coll_from(int64_t t)
{
	static const uint8_t map[] = {TC_COLL_ALLREDUCE, TC_COLL_REDUCE,        TC_COLL_ALLGATHER,
				      TC_COLL_GATHER,    TC_COLL_SCATTER,       TC_COLL_BROADCAST,
				      TC_COLL_ALLTOALL,  TC_COLL_REDUCE_SCATTER, TC_COLL_REDUCE_SCATTER,
				      TC_COLL_BARRIER};
	return t >= 0 && t < (int64_t)sizeof(map) ? map[t] : TC_COLL_NONE;
}

int tc_et_coll_to(unsigned c)
{
	switch (c) {
	case TC_COLL_ALLREDUCE: return 0;
	case TC_COLL_REDUCE: return 1;
	case TC_COLL_ALLGATHER: return 2;
	case TC_COLL_GATHER: return 3;
	case TC_COLL_SCATTER: return 4;
	case TC_COLL_BROADCAST: return 5;
	case TC_COLL_ALLTOALL: return 6;
	case TC_COLL_SENDRECV: return 6; /* NCCL's SendRecv kernels carry all-to-all */
	case TC_COLL_REDUCE_SCATTER: return 7;
	case TC_COLL_BARRIER: return 9;
	default: return -1;
	}
}

int tc_pb_varint(const uint8_t *p, size_t len, size_t *off, uint64_t *v)
{
	uint64_t x = 0;
	for (unsigned shift = 0; shift < 70; shift += 7) {
		if (*off >= len)
			return -1;
		uint8_t b = p[(*off)++];
		x |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*v = x;
			return 0;
		}
	}
	return -1;
}

/* ---- attributes ------------------------------------------------------------------------ */

static int attr_int(const ATTR *a, int64_t *v)
{
	switch (a->value_case) {
	case V(INT32_VAL): *v = a->int32_val; return 0;
	case V(INT64_VAL): *v = a->int64_val; return 0;
	case V(UINT32_VAL): *v = a->uint32_val; return 0;
	case V(UINT64_VAL): *v = a->uint64_val > INT64_MAX ? INT64_MAX : (int64_t)a->uint64_val; return 0;
	case V(SINT32_VAL): *v = a->sint32_val; return 0;
	case V(SINT64_VAL): *v = a->sint64_val; return 0;
	case V(FIXED32_VAL): *v = a->fixed32_val; return 0;
	case V(FIXED64_VAL): *v = a->fixed64_val > INT64_MAX ? INT64_MAX : (int64_t)a->fixed64_val; return 0;
	case V(SFIXED32_VAL): *v = a->sfixed32_val; return 0;
	case V(SFIXED64_VAL): *v = a->sfixed64_val; return 0;
	case V(BOOL_VAL): *v = a->bool_val; return 0;
	default: return -1;
	}
}

/* What a node's attributes say; has_* = 0 when absent or of a type that is not a number. */
struct nattr {
	int64_t cpu, comm_type, comm_size, src, dst, tag, dur_ns;
	uint8_t has_cpu, has_comm_type, has_comm_size, has_src, has_dst, has_tag, has_dur_ns;
	const char *pg;
};

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

static int node_attrs(const NODE *nd, struct nattr *na, struct unmapped *u)
{
	memset(na, 0, sizeof(*na));
	for (size_t i = 0; i < nd->n_attr; i++) {
		const ATTR *a = nd->attr[i];
		const char *k = a->name ? a->name : "";
		int64_t v = 0;
		int num = attr_int(a, &v) == 0;
#define NUM_ATTR(key, f)                                                                    \
	if (num && strcmp(k, key) == 0) {                                                   \
		na->f = v;                                                                  \
		na->has_##f = 1;                                                            \
		continue;                                                                   \
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
		TC_TRY(note_unmapped(u, k));
	}
	return 0;
}

/* ---- records and graph ------------------------------------------------------------------ */

static void et_free(struct et_file *f)
{
	for (size_t i = 0; i < f->n; i++)
		chakra_proto_msg__node__free_unpacked(f->nodes[i], NULL);
	if (f->meta)
		chakra_proto_msg__global_metadata__free_unpacked(f->meta, NULL);
	free(f->nodes);
	free(f->dstart);
	free(f->deps);
	free(f->order);
	free(f->buf);
	memset(f, 0, sizeof(*f));
}

/* Where record k is, for errors: the metadata, or a node by position and the id before it
 * (a record that cannot be read has no id of its own to give). */
static void rec_name(const struct et_file *f, size_t k, char *buf, size_t n)
{
	if (k == 0)
		snprintf(buf, n, "global metadata record");
	else if (f->n)
		snprintf(buf, n, "node record %zu (after node %" PRIu64 ")", k,
			 f->nodes[f->n - 1]->id);
	else
		snprintf(buf, n, "node record %zu (the first node)", k);
}

static int split_records(struct et_file *f, struct tc_err *err)
{
	const uint8_t *p = (const uint8_t *)f->buf;
	size_t off = 0;
	char where[96];
	if (f->len == 0)
		return tc_err_set(err, TC_EFORMAT, "%s: empty file (no Chakra global metadata)",
				  f->path);
	for (size_t k = 0; off < f->len; k++) {
		size_t at = off;
		uint64_t rl;
		rec_name(f, k, where, sizeof(where));
		if (tc_pb_varint(p, f->len, &off, &rl) < 0)
			return tc_err_set(err, TC_ETRUNC, "%s: byte %zu: %s: length varint %s", f->path,
					  at, where, off >= f->len ? "cut by the end of the file" :
					  "longer than 10 bytes");
		if (rl > f->len - off)
			return tc_err_set(err, TC_ETRUNC, "%s: byte %zu: %s: length %" PRIu64
					  " is larger than the %zu bytes left in the file", f->path,
					  at, where, rl, f->len - off);
		if (k == 0) {
			f->meta = chakra_proto_msg__global_metadata__unpack(NULL, (size_t)rl, p + off);
			if (!f->meta)
				return tc_err_set(err, TC_EFORMAT, "%s: byte %zu: %s: not a Chakra "
						  "GlobalMetadata message", f->path, at, where);
		} else {
			if (tc_grow((void **)&f->nodes, &f->cap, f->n + 1, sizeof(*f->nodes)) < 0)
				return tc_err_set(err, TC_ENOMEM, "out of memory");
			NODE *nd = chakra_proto_msg__node__unpack(NULL, (size_t)rl, p + off);
			if (!nd)
				return tc_err_set(err, TC_EFORMAT, "%s: byte %zu: %s: not a Chakra Node "
						  "message", f->path, at, where);
			f->nodes[f->n++] = nd;
		}
		off += (size_t)rl;
	}
	return 0;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* Data dependencies as node indices (each once), then Kahn's order. */
static int build_graph(struct et_file *f, struct tc_err *err)
{
	struct tc_map64 ids = TC_MAP64_INIT;
	uint32_t *indeg = NULL, *sstart = NULL, *succ = NULL;
	size_t ndeps = 0, cap = 0;
	int rc = 0;
	f->dstart = calloc(f->n + 1, sizeof(uint32_t));
	f->order = calloc(f->n + 1, sizeof(uint32_t));
	if (!f->dstart || !f->order)
		return tc_err_set(err, TC_ENOMEM, "out of memory");
	if (f->n > UINT32_MAX - 1)
		return tc_err_set(err, TC_EUNSUPPORTED, "%s: more than 2^32 nodes", f->path);
	for (size_t i = 0; i < f->n && rc == 0; i++) {
		uint64_t prev;
		if (tc_map64_get(&ids, f->nodes[i]->id, &prev))
			rc = tc_err_set(err, TC_EFORMAT, "%s: node %" PRIu64 " (%s): id given twice "
					"(node records %" PRIu64 " and %zu)", f->path, f->nodes[i]->id,
					f->nodes[i]->name, prev + 1, i + 1);
		else if (tc_map64_put(&ids, f->nodes[i]->id, i) < 0)
			rc = tc_err_set(err, TC_ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < f->n && rc == 0; i++) {
		const NODE *nd = f->nodes[i];
		size_t first = ndeps;
		f->ctrl += nd->n_ctrl_deps;
		for (size_t k = 0; k < nd->n_data_deps && rc == 0; k++) {
			uint64_t d = nd->data_deps[k], j;
			if (!tc_map64_get(&ids, d, &j))
				rc = tc_err_set(err, TC_EFORMAT, "%s: node %" PRIu64 " (%s): depends on "
						"node %" PRIu64 ", which is not in the file", f->path,
						nd->id, nd->name, d);
			else if (tc_grow((void **)&f->deps, &cap, ndeps + 1, sizeof(uint32_t)) < 0)
				rc = tc_err_set(err, TC_ENOMEM, "out of memory");
			else
				f->deps[ndeps++] = (uint32_t)j;
		}
		if (rc || ndeps == first)
			continue;
		qsort(f->deps + first, ndeps - first, sizeof(uint32_t), cmp_u32);
		size_t w = first + 1;
		for (size_t r = first + 1; r < ndeps; r++)
			if (f->deps[r] != f->deps[w - 1])
				f->deps[w++] = f->deps[r];
		ndeps = w;
		f->dstart[i + 1] = (uint32_t)ndeps;
	}
	for (size_t i = 0; i < f->n; i++) /* nodes without deps left their end at 0 */
		if (f->dstart[i + 1] < f->dstart[i])
			f->dstart[i + 1] = f->dstart[i];
	tc_map64_free(&ids);
	if (rc)
		return rc;
	/* successors (CSR) and in-degrees */
	indeg = calloc(f->n + 1, sizeof(uint32_t));
	sstart = calloc(f->n + 2, sizeof(uint32_t));
	succ = calloc(ndeps + 1, sizeof(uint32_t));
	if (!indeg || !sstart || !succ) {
		rc = tc_err_set(err, TC_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < f->n; i++)
		for (uint32_t k = f->dstart[i]; k < f->dstart[i + 1]; k++) {
			sstart[f->deps[k] + 2]++;
			indeg[i]++;
		}
	for (size_t i = 0; i < f->n; i++)
		sstart[i + 2] += sstart[i + 1];
	for (size_t i = 0; i < f->n; i++)
		for (uint32_t k = f->dstart[i]; k < f->dstart[i + 1]; k++)
			succ[sstart[f->deps[k] + 1]++] = (uint32_t)i;
	size_t head = 0, tail = 0;
	for (size_t i = 0; i < f->n; i++)
		if (indeg[i] == 0)
			f->order[tail++] = (uint32_t)i;
	while (head < tail) {
		uint32_t i = f->order[head++];
		for (uint32_t k = sstart[i]; k < sstart[i + 1]; k++)
			if (--indeg[succ[k]] == 0)
				f->order[tail++] = succ[k];
	}
	if (tail < f->n) {
		/* follow unfinished dependencies from any stuck node until one repeats: that one
		 * is on a cycle, and the error names it rather than a bystander behind it */
		uint32_t i = 0;
		while (indeg[i] == 0)
			i++;
		for (size_t steps = 0; steps < f->n; steps++) {
			uint32_t next = i;
			for (uint32_t k = f->dstart[i]; k < f->dstart[i + 1]; k++)
				if (indeg[f->deps[k]]) {
					next = f->deps[k];
					break;
				}
			i = next;
		}
		rc = tc_err_set(err, TC_EFORMAT, "%s: node %" PRIu64 " (%s): dependency cycle through "
				"it (%zu of %zu nodes never become ready)", f->path, f->nodes[i]->id,
				f->nodes[i]->name, f->n - tail, f->n);
	}
out:
	free(indeg);
	free(sstart);
	free(succ);
	return rc;
}

/* Read, split and check one file (path to read, name to give). */
static int et_load(struct et_file *f, const char *path, const char *name, const void *mem,
		   size_t mem_len, struct tc_err *err)
{
	f->path = name;
	if (mem) {
		f->buf = malloc(mem_len + 1);
		if (!f->buf)
			return tc_err_set(err, TC_ENOMEM, "out of memory");
		memcpy(f->buf, mem, mem_len);
		f->len = mem_len;
	} else {
		TC_TRY(tc_input_read_all(path, name, &f->buf, &f->len, err));
	}
	TC_TRY(split_records(f, err));
	return build_graph(f, err);
}

/* ---- writing ------------------------------------------------------------------------------ */

struct emit {
	struct tc_ops_writer *w;
	struct unmapped un;
	uint64_t *deps;
	size_t deps_cap;
	int64_t *end;
	size_t end_cap;
	uint64_t other_types, ops, kernels, colls, unknown;
	struct tc_shape shp[TC_ET_MAX_SHAPES];
	int64_t dims[TC_ET_MAX_DIMS];
};

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

/* Class from the name; Chakra's PyTorch converter numbers the parts of an operator it
 * splits ("aten::mul(0)", "aten::mul(1)"), which the tables do not know. */
static unsigned node_class(const NODE *nd, int cpu)
{
	char buf[256];
	snprintf(buf, sizeof(buf), "%s", nd->name ? nd->name : "");
	size_t n = strlen(buf), k = n;
	if (n > 2 && buf[n - 1] == ')') {
		for (k = n - 1; k > 0 && isdigit((unsigned char)buf[k - 1]); k--)
			;
		if (k > 1 && k < n - 1 && buf[k - 1] == '(')
			buf[k - 1] = 0;
	}
	unsigned c = cpu ? TC_CLASS_OTHER : tc_opclass_of_kernel(buf);
	return c != TC_CLASS_OTHER ? c : tc_opclass_of_op(buf);
}

/* The op of one node: kind, lane, class, communication and duration (times come later). */
static int node_op(struct emit *e, const struct et_file *f, const NODE *nd, struct tc_op *op,
		   int *lane, struct tc_err *err)
{
	struct nattr na;
	if (node_attrs(nd, &na, &e->un) < 0)
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
		op->coll_kind = na.has_comm_type ? (uint8_t)tc_et_coll_from(na.comm_type) : TC_COLL_NONE;
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
			return tc_err_set(err, TC_EFORMAT, "%s: node %" PRIu64 " (%s): duration of %"
					  PRIu64 " us is beyond the opstream's time range", f->path,
					  nd->id, nd->name, nd->duration_micros);
		op->dur_ns = (int64_t)nd->duration_micros * 1000;
	}
	if (tc_ops_writer_intern(e->w, nd->name ? nd->name : "", &op->name) < 0)
		return tc_err_set(err, TC_ENOMEM, "out of memory");
	if (nd->inputs && (op->n_shapes = parse_shapes(nd->inputs->shapes, e->shp, e->dims)))
		op->shapes = e->shp;
	return 0;
}

static int emit_file(struct emit *e, const struct et_file *f, uint64_t base,
		     struct tc_err *err)
{
	uint32_t lanes[LANE__COUNT];
	int64_t lane_free[LANE__COUNT] = {0, 0, 0};
	for (int l = 0; l < LANE__COUNT; l++) {
		struct tc_lane ln = {0, (uint32_t)f->rank, (uint32_t)f->rank,
				     l == LANE_CPU ? TC_LANE_CPU : TC_LANE_GPU, l, lane_names[l]};
		if (tc_ops_writer_lane(e->w, &ln, &lanes[l]) < 0)
			return tc_err_set(err, TC_ENOMEM, "out of memory");
	}
	if (tc_grow((void **)&e->end, &e->end_cap, f->n + 1, sizeof(int64_t)) < 0)
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
		uint32_t nd_deps = f->dstart[i + 1] - f->dstart[i];
		if (tc_grow((void **)&e->deps, &e->deps_cap, (size_t)nd_deps + 1, sizeof(uint64_t)) < 0) {
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
			rc = tc_err_set(err, TC_EFORMAT, "%s: node %" PRIu64 " (%s): the schedule "
					"passes 2^53 ns (104 days) here", f->path, nd->id, nd->name);
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

/* The rank in a name ending ".N.et" (ASTRA-sim's and Chakra's naming), else -1. */
static int rank_of_name(const char *path)
{
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	size_t n = strlen(base);
	const char *exts[] = {".et", ".et.gz", ".et.zst"};
	for (size_t x = 0; x < sizeof(exts) / sizeof(exts[0]); x++) {
		size_t el = strlen(exts[x]);
		if (n <= el || strcmp(base + n - el, exts[x]) != 0)
			continue;
		size_t e = n - el, s = e;
		while (s > 0 && isdigit((unsigned char)base[s - 1]))
			s--;
		if (s == e || s == 0 || base[s - 1] != '.' || e - s > 6)
			return -1;
		return atoi(base + s);
	}
	return -1;
}

static void assign_ranks(struct et_file *files, size_t n, const struct tc_log *log)
{
	int ok = 1;
	for (size_t i = 0; i < n && ok; i++) {
		files[i].rank = rank_of_name(files[i].path);
		ok = files[i].rank >= 0;
		for (size_t j = 0; j < i && ok; j++)
			ok = files[j].rank != files[i].rank;
	}
	if (ok)
		return;
	if (log && n > 1)
		tc_warn(log, "chakra: ranks taken from the order given (not every name ends in a "
			     "distinct .N.et)");
	for (size_t i = 0; i < n; i++)
		files[i].rank = (int)i;
}

static const char *meta_version(const struct et_file *f)
{
	if (f->meta->version && f->meta->version[0])
		return f->meta->version;
	for (size_t i = 0; i < f->meta->n_attr; i++)
		if (f->meta->attr[i]->name && strcmp(f->meta->attr[i]->name, "schema") == 0 &&
		    f->meta->attr[i]->value_case == V(STRING_VAL))
			return f->meta->attr[i]->string_val;
	return "";
}

static void warn_unmapped(const struct unmapped *u, const struct tc_log *log)
{
	if (!log || !u->total)
		return;
	char buf[512];
	size_t off = 0;
	for (uint32_t id = 1; id < u->names.n && off + 1 < sizeof(buf); id++) {
		int w = snprintf(buf + off, sizeof(buf) - off, "%s%s x%" PRIu64, id > 1 ? ", " : "",
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

static int et_write(struct et_file *files, size_t n, const char *out_path,
		    const struct tc_ingest_opts *opts, struct tc_ingest_stats *stats,
		    struct tc_err *err)
{
	const struct tc_log *log = opts ? opts->log : NULL;
	uint32_t *ranks = tc_xcalloc(n, sizeof(*ranks));
	const char **names = tc_xcalloc(n, sizeof(*names));
	for (size_t i = 0; i < n; i++) {
		ranks[i] = (uint32_t)files[i].rank;
		names[i] = files[i].path;
	}
	struct tc_kv meta[1] = {{"chakra_version", meta_version(&files[0])}};
	struct emit e;
	memset(&e, 0, sizeof(e));
	int rc = tc_ingest_open_ranks(&e.w, out_path, "chakra", names, ranks, n, meta, opts, err);
	if (rc == 0 && tc_strtab_init(&e.un.names) < 0)
		rc = tc_err_set(err, TC_ENOMEM, "out of memory");
	uint64_t base = 0;
	for (size_t i = 0; i < n && rc == 0 && e.w; i++) {
		rc = emit_file(&e, &files[i], base, err);
		base += files[i].n;
	}
	if (e.w && rc == 0)
		rc = tc_ops_writer_close(e.w, err);
	else
		tc_ops_writer_abort(e.w);
	if (rc == 0) {
		warn_unmapped(&e.un, log);
		uint64_t ctrl = 0;
		for (size_t i = 0; i < n; i++)
			ctrl += files[i].ctrl;
		if (ctrl && log)
			tc_warn(log, "chakra: %" PRIu64 " control dependencies (ctrl_deps) not used: the "
				     "graph is the data dependencies, as ASTRA-sim schedules it", ctrl);
		if (e.other_types && log)
			tc_warn(log, "chakra: %" PRIu64 " nodes of types other than COMP, COMM and MEM "
				     "kept as CPU work", e.other_types);
	}
	if (rc == 0 && stats) {
		for (size_t i = 0; i < n; i++) {
			stats->bytes_in += files[i].len;
			stats->events += files[i].n;
		}
		stats->ops = e.ops;
		stats->kernels = e.kernels;
		stats->collectives = e.colls;
		stats->unknown_ops = e.unknown;
		stats->ranks = (uint32_t)n;
	}
	tc_strtab_free(&e.un.names);
	free(e.un.count);
	free(e.deps);
	free(e.end);
	free(ranks);
	free(names);
	return rc;
}

static int chakra_run(const char *const *inputs, size_t n_inputs, const char *out_path,
		      const struct tc_ingest_opts *opts, struct tc_ingest_stats *stats,
		      struct tc_err *err)
{
	struct et_file *files = tc_xcalloc(n_inputs ? n_inputs : 1, sizeof(*files));
	int rc = 0;
	for (size_t i = 0; i < n_inputs && rc == 0; i++) {
		const char *src = opts && opts->sources ? opts->sources[i] : inputs[i];
		rc = et_load(&files[i], src, inputs[i], NULL, 0, err);
	}
	if (rc == 0) {
		assign_ranks(files, n_inputs, opts ? opts->log : NULL);
		rc = et_write(files, n_inputs, out_path, opts, stats, err);
	}
	for (size_t i = 0; i < n_inputs; i++)
		et_free(&files[i]);
	free(files);
	return rc;
}

int tc_chakra_check_mem(const void *buf, size_t len, struct tc_err *err)
{
	struct et_file f;
	memset(&f, 0, sizeof(f));
	int rc = et_load(&f, NULL, "<memory>", buf, len, err);
	struct unmapped u;
	memset(&u, 0, sizeof(u));
	if (rc == 0 && tc_strtab_init(&u.names) == 0) { /* the attributes, as ingest reads them */
		struct nattr na;
		for (size_t i = 0; i < f.n && rc == 0; i++)
			rc = node_attrs(f.nodes[i], &na, &u) < 0 ? tc_err_set(err, TC_ENOMEM, "out of memory") : 0;
		tc_strtab_free(&u.names);
		free(u.count);
	}
	et_free(&f);
	return rc;
}

/* A name ending in .et, or a first record that reads as a GlobalMetadata: a length varint,
 * then field 1 (version) or 2 (attr) as a length-delimited field. */
static int chakra_probe(const char *path, const uint8_t *head, size_t n)
{
	if (path && (tc_str_endswith(path, ".et") || tc_str_endswith(path, ".et.gz") ||
		     tc_str_endswith(path, ".et.zst")))
		return 100;
	size_t off = 0;
	uint64_t len;
	if (tc_pb_varint(head, n, &off, &len) < 0 || len < 2 || off >= n)
		return 0;
	return head[off] == 0x0a || head[off] == 0x12 ? 20 : 0;
}

const struct tc_ingest_adapter tc_ingest_chakra_adapter = {
	"chakra", "Chakra execution traces (.et, one file per rank; ASTRA-sim's input)",
	chakra_probe, chakra_run,
};

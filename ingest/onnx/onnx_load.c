/* onnx_load.c - parse an ONNX ModelProto (protobuf-c, generated from the official
 * onnx.proto), build the table of named values, bind symbolic dims, sort the nodes
 * topologically, run shape inference and fold constants.
 *
 * The whole model is unpacked in memory: models carry their weights inline, but only shapes
 * and a few small integer tensors (shape vectors, axes, pads) are ever looked at. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "adapter.h"
#include "onnx_int.h"

/* ---- small helpers shared with the other files --------------------------------------- */

struct ox_tensor *ox_tensor(struct tc_onnx_graph *g, uint32_t id)
{
	return id < g->nt ? &g->t[id] : NULL;
}

const char *ox_tensor_name(const struct tc_onnx_graph *g, uint32_t id)
{
	return tc_strtab_get(&g->names, id);
}

const char *ox_node_name(const struct ox_node *n)
{
	return n->np->name && n->np->name[0] ? n->np->name : n->op;
}

int64_t ox_numel(const struct ox_tensor *t)
{
	if (t->rank < 0)
		return -1;
	int64_t n = 1;
	for (int i = 0; i < t->rank; i++) {
		if (t->dims[i] < 0)
			return -1;
		if (t->dims[i] != 0 && n > (INT64_C(1) << 62) / t->dims[i])
			return -1;
		n *= t->dims[i];
	}
	return n;
}

unsigned ox_elem_bits(int32_t elem)
{
	static const unsigned bits[] = {
	    0,	32, 8,	8,  16,	 16, 32, 64, 0, 8, 16,
	    64, 32, 64, 64, 128, 16, 8,	 8,  8, 8, /* float8 e4m3fn, e4m3fnuz, e5m2, e5m2fnuz (IR 9)
						    */
	    4,	4,  4,				   /* uint4, int4 (IR 10), float4e2m1 */
	};
	return elem >= 0 && (size_t)elem < TC_ARRAY_LEN(bits) ? bits[elem] : 0;
}

unsigned ox_elem_to_tc(int32_t elem)
{
	switch (elem) {
	case OX_FLOAT:
		return TC_DT_F32;
	case OX_FLOAT16:
		return TC_DT_F16;
	case OX_BFLOAT16:
		return TC_DT_BF16;
	case OX_DOUBLE:
		return TC_DT_F64;
	case OX_INT8:
		return TC_DT_I8;
	case OX_UINT8:
		return TC_DT_U8;
	case OX_INT16:
	case OX_UINT16:
		return TC_DT_I16;
	case OX_INT32:
	case OX_UINT32:
		return TC_DT_I32;
	case OX_INT64:
	case OX_UINT64:
		return TC_DT_I64;
	case OX_BOOL:
		return TC_DT_BOOL;
	case 17:
	case 18:
		return TC_DT_FP8_E4M3;
	case 19:
	case 20:
		return TC_DT_FP8_E5M2;
	case 23:
		return TC_DT_FP4;
	default:
		return TC_DT_UNKNOWN;
	}
}

int32_t ox_elem_run(const struct tc_onnx_graph *g, int32_t elem)
{
	switch (g->run_elem ? elem : 0) {
	case OX_FLOAT:
	case OX_FLOAT16:
	case OX_BFLOAT16:
	case OX_DOUBLE:
	case 17:
	case 18:
	case 19:
	case 20:
		return g->run_elem;
	default:
		return elem; /* integers, booleans and strings keep their type */
	}
}

/* The ONNX element type of a --dtype (TC_DT_*), 0 when it is not a floating type. */
static int32_t tc_to_elem(unsigned dt)
{
	switch (dt) {
	case TC_DT_F32:
		return OX_FLOAT;
	case TC_DT_F16:
		return OX_FLOAT16;
	case TC_DT_BF16:
		return OX_BFLOAT16;
	case TC_DT_F64:
		return OX_DOUBLE;
	case TC_DT_FP8_E4M3:
		return 17;
	case TC_DT_FP8_E5M2:
		return 19;
	default:
		return 0;
	}
}

uint64_t ox_tensor_bytes(const struct tc_onnx_graph *g, const struct ox_tensor *t)
{
	int64_t n = ox_numel(t);
	unsigned b = ox_elem_bits(ox_elem_run(g, t->elem));
	if (n < 0 || b == 0)
		return 0;
	return ((uint64_t)n * b + 7) / 8;
}

const Onnx__AttributeProto *ox_attr(const struct ox_node *n, const char *name)
{
	for (size_t i = 0; i < n->np->n_attribute; i++) {
		const Onnx__AttributeProto *a = n->np->attribute[i];
		if (a->name && strcmp(a->name, name) == 0)
			return a;
	}
	return NULL;
}

int64_t ox_attr_i(const struct ox_node *n, const char *name, int64_t def)
{
	const Onnx__AttributeProto *a = ox_attr(n, name);
	return a && a->has_i ? a->i : def;
}

float ox_attr_f(const struct ox_node *n, const char *name, float def)
{
	const Onnx__AttributeProto *a = ox_attr(n, name);
	return a && a->has_f ? a->f : def;
}

const int64_t *ox_attr_ints(const struct ox_node *n, const char *name, size_t *cnt)
{
	const Onnx__AttributeProto *a = ox_attr(n, name);
	*cnt = a ? a->n_ints : 0;
	return a ? a->ints : NULL;
}

const char *ox_attr_s(struct tc_onnx_graph *g, const struct ox_node *n, const char *name,
		      const char *def)
{
	const Onnx__AttributeProto *a = ox_attr(n, name);
	if (!a || !a->has_s)
		return def;
	/* bytes are not NUL-terminated */
	return tc_arena_strndup(&g->arena, (const char *)a->s.data, a->s.len);
}

/* IEEE half to double (Resize scales may be stored as float16). */
static double half_to_double(uint16_t h)
{
	int e = (h >> 10) & 0x1f, m = h & 0x3ff;
	double v;
	if (e == 0)
		v = m * (1.0 / (1 << 24));
	else if (e == 31)
		v = m ? 0.0 : 1e300; /* NaN -> 0, inf -> huge: never a useful scale */
	else
		v = (1.0 + m / 1024.0) *
		    (e >= 15 ? (double)(1u << (e - 15)) : 1.0 / (1u << (15 - e)));
	return (h & 0x8000) ? -v : v;
}

/* Raw data is little-endian by the spec; tracecast targets little-endian hosts, so a raw
 * element is read with memcpy. */
void ox_tensor_values(struct tc_onnx_graph *g, struct ox_tensor *t, const Onnx__TensorProto *tp)
{
	int64_t n = ox_numel(t);
	if (n < 0 || n > OX_MAXVALS)
		return;
	if (tp->has_data_location &&
	    tp->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL)
		return;
	size_t cnt = (size_t)n;
	unsigned bits = ox_elem_bits(tp->data_type);
	int is_float =
	    tp->data_type == OX_FLOAT || tp->data_type == OX_DOUBLE || tp->data_type == OX_FLOAT16;
	if (bits < 8 || tp->data_type == OX_STRING || tp->data_type == OX_BFLOAT16 ||
	    tp->data_type > OX_BFLOAT16 || tp->data_type == 14 || tp->data_type == 15)
		return;
	size_t esz = bits / 8;
	int64_t *iv = NULL;
	double *fv = NULL;
	if (is_float)
		fv = tc_arena_alloc(&g->arena, (cnt ? cnt : 1) * sizeof(double));
	else
		iv = tc_arena_alloc(&g->arena, (cnt ? cnt : 1) * sizeof(int64_t));
	if (!fv && !iv)
		return;
	if (tp->has_raw_data) {
		if (tp->raw_data.len != cnt * esz)
			return;
		const uint8_t *p = tp->raw_data.data;
		for (size_t i = 0; i < cnt; i++, p += esz) {
			switch (tp->data_type) {
			case OX_FLOAT: {
				float f;
				memcpy(&f, p, 4);
				fv[i] = f;
				break;
			}
			case OX_DOUBLE:
				memcpy(&fv[i], p, 8);
				break;
			case OX_FLOAT16: {
				uint16_t h;
				memcpy(&h, p, 2);
				fv[i] = half_to_double(h);
				break;
			}
			case OX_INT64:
			case OX_UINT64:
				memcpy(&iv[i], p, 8);
				break;
			case OX_INT32: {
				int32_t v;
				memcpy(&v, p, 4);
				iv[i] = v;
				break;
			}
			case OX_UINT32: {
				uint32_t v;
				memcpy(&v, p, 4);
				iv[i] = v;
				break;
			}
			case OX_INT16: {
				int16_t v;
				memcpy(&v, p, 2);
				iv[i] = v;
				break;
			}
			case OX_UINT16: {
				uint16_t v;
				memcpy(&v, p, 2);
				iv[i] = v;
				break;
			}
			case OX_INT8:
				iv[i] = (int8_t)*p;
				break;
			default:
				iv[i] = *p;
				break; /* uint8, bool */
			}
		}
	} else {
		switch (tp->data_type) {
		case OX_FLOAT:
			if (tp->n_float_data != cnt)
				return;
			for (size_t i = 0; i < cnt; i++)
				fv[i] = tp->float_data[i];
			break;
		case OX_DOUBLE:
			if (tp->n_double_data != cnt)
				return;
			for (size_t i = 0; i < cnt; i++)
				fv[i] = tp->double_data[i];
			break;
		case OX_FLOAT16:
			if (tp->n_int32_data != cnt)
				return;
			for (size_t i = 0; i < cnt; i++)
				fv[i] = half_to_double((uint16_t)tp->int32_data[i]);
			break;
		case OX_INT64:
			if (tp->n_int64_data != cnt)
				return;
			if (cnt)
				memcpy(iv, tp->int64_data, cnt * sizeof(int64_t));
			break;
		case OX_UINT32:
		case OX_UINT64:
			if (tp->n_uint64_data != cnt)
				return;
			for (size_t i = 0; i < cnt; i++)
				iv[i] = (int64_t)tp->uint64_data[i];
			break;
		default:
			if (tp->n_int32_data != cnt)
				return;
			for (size_t i = 0; i < cnt; i++)
				iv[i] = tp->int32_data[i];
			break;
		}
	}
	t->nvals = (uint32_t)cnt;
	t->iv = iv;
	t->fv = fv;
}

/* ---- the value table ------------------------------------------------------------------ */

static int ox_intern(struct tc_onnx_graph *g, const char *name, uint32_t *id)
{
	if (tc_strtab_intern(&g->names, name, strlen(name), id) < 0)
		return TC_ENOMEM;
	if (*id < g->nt)
		return 0;
	if (tc_grow((void **)&g->t, &g->tcap, (size_t)*id + 1, sizeof(*g->t)) < 0)
		return TC_ENOMEM;
	for (size_t i = g->nt; i <= *id; i++) {
		memset(&g->t[i], 0, sizeof(g->t[i]));
		g->t[i].rank = -1;
		g->t[i].producer = OX_NONE;
	}
	g->nt = (size_t)*id + 1;
	return 0;
}

void ox_note_unknown(struct tc_onnx_graph *g, const char *op)
{
	for (size_t i = 0; i < g->n_unk; i++) {
		if (strcmp(g->unk_names[i], op) == 0) {
			g->unk_counts[i]++;
			return;
		}
	}
	size_t cap = g->unk_cap;
	if (tc_grow((void **)&g->unk_names, &cap, g->n_unk + 1, sizeof(*g->unk_names)) < 0)
		return;
	cap = g->unk_cap;
	if (tc_grow((void **)&g->unk_counts, &cap, g->n_unk + 1, sizeof(*g->unk_counts)) < 0)
		return;
	g->unk_cap = cap;
	g->unk_names[g->n_unk] = op;
	g->unk_counts[g->n_unk++] = 1;
}

static void set_shape_from_dims(struct ox_tensor *t, const int64_t *dims, size_t n)
{
	if (n > OX_MAXR) {
		t->rank = -1;
		return;
	}
	t->rank = (int32_t)n;
	for (size_t i = 0; i < n; i++)
		t->dims[i] = dims[i] >= 0 && dims[i] <= OX_DIM_MAX ? dims[i] : -1;
}

/* Parameters are constant tensors other than integer shape/axes vectors (rank <= 1). */
static int is_param_like(const struct ox_tensor *t)
{
	int integer = t->elem == OX_INT64 || t->elem == OX_INT32;
	return !(integer && t->rank <= 1);
}

/* ---- symbolic dims ----------------------------------------------------------------------- */

struct dim_binding {
	const char *name;
	size_t len;
	int64_t value;
	int used;
	int symbolic; /* names a symbolic dim of some graph input (else: a fixed-dim override) */
};

static int binding_is(const struct dim_binding *b, const char *s)
{
	return strlen(s) == b->len && memcmp(s, b->name, b->len) == 0;
}

/* A binding that names no symbolic dim may override a fixed one: "batch" is the leading dim
 * of every input, "INPUT[K]" dim K of one input. Models are often exported at batch 1 with
 * fixed shapes, and the batch is the first thing a user varies. */
static int overrides_fixed(const struct dim_binding *b, const char *input, size_t dim)
{
	if (b->symbolic)
		return 0;
	if (dim == 0 && binding_is(b, "batch"))
		return 1;
	char want[300];
	int w = snprintf(want, sizeof(want), "%s[%zu]", input, dim);
	return w > 0 && (size_t)w < sizeof(want) && binding_is(b, want);
}

/* Mark the bindings that name a symbolic dim of some graph input. */
static void mark_symbolic(const Onnx__GraphProto *gp, struct dim_binding *b, size_t nb)
{
	for (size_t i = 0; i < gp->n_input; i++) {
		const Onnx__TypeProto *tp = gp->input[i]->type;
		if (!tp || tp->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE ||
		    !tp->tensor_type || !tp->tensor_type->shape)
			continue;
		const Onnx__TensorShapeProto *sh = tp->tensor_type->shape;
		for (size_t d = 0; d < sh->n_dim; d++)
			if (sh->dim[d]->value_case ==
				ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM &&
			    sh->dim[d]->dim_param)
				for (size_t k = 0; k < nb; k++)
					b[k].symbolic |= binding_is(&b[k], sh->dim[d]->dim_param);
	}
}

static int parse_dims(const struct tc_ingest_opts *opts, struct dim_binding **out, size_t *n,
		      struct tc_err *err)
{
	*out = NULL;
	*n = 0;
	if (!opts || opts->n_dims == 0)
		return 0;
	struct dim_binding *b = calloc(opts->n_dims, sizeof(*b));
	if (!b)
		return tc_err_set(err, TC_ENOMEM, "out of memory");
	for (size_t i = 0; i < opts->n_dims; i++) {
		const char *s = opts->dims[i];
		const char *eq = strchr(s, '=');
		char *end = NULL;
		if (!eq || eq == s) {
			free(b);
			return tc_err_set(err, TC_EINVAL, "--dim '%s': expected NAME=VALUE", s);
		}
		long long v = strtoll(eq + 1, &end, 10);
		if (end == eq + 1 || *end != '\0' || v <= 0 || v > OX_DIM_MAX) {
			free(b);
			return tc_err_set(err, TC_EINVAL,
					  "--dim '%s': value must be a positive integer", s);
		}
		b[i].name = s;
		b[i].len = (size_t)(eq - s);
		b[i].value = v;
	}
	*out = b;
	*n = opts->n_dims;
	return 0;
}

static int note_bound(struct tc_onnx_graph *g, const char *s)
{
	for (size_t i = 0; i < g->n_bound; i++)
		if (strcmp(g->bound[i], s) == 0)
			return 0;
	size_t cap = g->bound_cap;
	if (tc_grow((void **)&g->bound, &cap, g->n_bound + 1, sizeof(*g->bound)) < 0)
		return TC_ENOMEM;
	g->bound_cap = cap;
	g->bound[g->n_bound] = tc_arena_strdup(&g->arena, s);
	if (!g->bound[g->n_bound])
		return TC_ENOMEM;
	g->n_bound++;
	return 0;
}

/* Shape of a graph input from its TypeProto, symbolic dims bound from --dim or set to 1. */
static int bind_input(struct tc_onnx_graph *g, struct ox_tensor *t, const Onnx__ValueInfoProto *vi,
		      struct dim_binding *b, size_t nb)
{
	const Onnx__TypeProto *tp = vi->type;
	if (!tp || tp->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE || !tp->tensor_type)
		return 0;
	const Onnx__TypeProto__Tensor *tt = tp->tensor_type;
	t->elem = tt->has_elem_type ? tt->elem_type : 0;
	if (!tt->shape)
		return 0; /* rank unknown */
	if (tt->shape->n_dim > OX_MAXR)
		return 0;
	t->rank = (int32_t)tt->shape->n_dim;
	for (size_t i = 0; i < tt->shape->n_dim; i++) {
		const Onnx__TensorShapeProto__Dimension *d = tt->shape->dim[i];
		char buf[300];
		if (d->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE &&
		    d->dim_value >= 0 && d->dim_value <= OX_DIM_MAX) {
			t->dims[i] = d->dim_value;
			for (size_t k = 0; k < nb; k++) {
				if (!overrides_fixed(&b[k], vi->name ? vi->name : "", i))
					continue;
				b[k].used = 1;
				if (b[k].value == d->dim_value)
					continue;
				tc_warn(g->log,
					"%s: --dim %.*s=%" PRId64
					" overrides the fixed dim %zu (%" PRId64
					") of input '%s'; a Reshape that fixes a leading 1 follows "
					"the batch, "
					"other shapes the graph fixes do not",
					g->file, (int)b[k].len, b[k].name, b[k].value, i,
					d->dim_value, vi->name ? vi->name : "");
				t->dims[i] = b[k].value;
				g->batch_override |= i == 0;
				snprintf(buf, sizeof(buf), "%.200s[%zu]=%" PRId64,
					 vi->name ? vi->name : "", i, b[k].value);
				TC_TRY(note_bound(g, buf));
			}
			continue;
		}
		const char *param =
		    d->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM
			? d->dim_param
			: NULL;
		int64_t v = 1;
		int found = 0;
		for (size_t k = 0; param && k < nb; k++) {
			if (strlen(param) == b[k].len && memcmp(param, b[k].name, b[k].len) == 0) {
				v = b[k].value;
				b[k].used = 1;
				found = 1;
			}
		}
		if (param && param[0]) {
			snprintf(buf, sizeof(buf), "%.200s=%" PRId64 "%s", param, v,
				 found ? "" : " (default)");
			if (!found) {
				int seen = 0;
				for (size_t k = 0; k < g->n_bound; k++)
					seen |= strcmp(g->bound[k], buf) == 0;
				if (!seen)
					tc_warn(g->log,
						"%s: symbolic dim '%s' unbound, set to 1 (use "
						"--dim %s=N)",
						g->file, param, param);
			}
		} else {
			snprintf(buf, sizeof(buf), "%.200s[%zu]=1 (default)",
				 vi->name ? vi->name : "", i);
			if (d->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE)
				/* a size given but out of range: say which, not "no size" (issue
				 * 19) */
				tc_warn(g->log,
					"%s: input '%s' dim %zu is %" PRId64 ", outside 0..%lld; "
					"set to 1",
					g->file, vi->name, i, d->dim_value, (long long)OX_DIM_MAX);
			else
				tc_warn(g->log, "%s: input '%s' dim %zu has no size, set to 1",
					g->file, vi->name, i);
		}
		TC_TRY(note_bound(g, buf));
		t->dims[i] = v;
	}
	return 0;
}

/* ---- protobuf error location ------------------------------------------------------------- */

/* Walk the fields of one message; on the first one that does not fit, describe it. Descends
 * into ModelProto.graph (7) and counts GraphProto.node (1) so the message can name the node. */
static int wire_find_bad(const uint8_t *p, size_t start, size_t end, int depth, char *what,
			 size_t wn)
{
	size_t off = start;
	uint64_t nodes = 0;
	while (off < end) {
		size_t at = off;
		uint64_t key, v;
		if (tc_varint_at(p, end, &off, &key) < 0) {
			snprintf(what, wn, "byte %zu: bad field tag", at);
			return -1;
		}
		unsigned wt = key & 7;
		uint64_t field = key >> 3;
		if (field == 0) {
			snprintf(what, wn, "byte %zu: field number 0", at);
			return -1;
		}
		switch (wt) {
		case 0:
			if (tc_varint_at(p, end, &off, &v) < 0) {
				snprintf(what, wn, "byte %zu: varint runs past the end", at);
				return -1;
			}
			break;
		case 1:
		case 5: {
			size_t w = wt == 1 ? 8 : 4;
			if (end - off < w) {
				snprintf(what, wn, "byte %zu: fixed field runs past the end", at);
				return -1;
			}
			off += w;
			break;
		}
		case 2:
			if (tc_varint_at(p, end, &off, &v) < 0 || v > end - off) {
				if (depth == 1 && field == 1)
					snprintf(what, wn,
						 "byte %zu: node #%" PRIu64 " runs past the end",
						 at, nodes);
				else
					snprintf(what, wn,
						 "byte %zu: field %" PRIu64 " runs past the end",
						 at, field);
				return -1;
			}
			if (depth == 0 && field == 7 &&
			    wire_find_bad(p, off, off + (size_t)v, 1, what, wn) < 0)
				return -1;
			if (depth == 1 && field == 1)
				nodes++;
			off += (size_t)v;
			break;
		default:
			snprintf(what, wn, "byte %zu: unknown wire type %u", at, wt);
			return -1;
		}
	}
	snprintf(what, wn, "invalid message content");
	return 0;
}

/* ---- nesting bound ------------------------------------------------------------------------- */

/* protobuf-c unpacks recursively, one C frame per nested message, so a model whose If bodies
 * nest a few thousand deep overflows the stack inside onnx__model_proto__unpack, before any
 * check of ours runs. So, before unpacking, walk the messages that can nest (graphs through
 * nodes and attributes; types through sequence, map and optional) with an explicit stack on
 * the heap, and refuse a model nested deeper than real models go. Everything else is skipped
 * by length; malformed wire data ends the walk quietly and is left to the unpacker's error. */
#define OX_GRAPH_DEPTH_MAX 64 /* subgraphs within subgraphs; real models use a handful */
#define OX_TYPE_DEPTH_MAX 64  /* sequence(map(optional(...))) type nesting */

enum ox_msg {
	OXM_SKIP,
	OXM_MODEL,
	OXM_TRAINING,
	OXM_FUNCTION,
	OXM_GRAPH,
	OXM_NODE,
	OXM_ATTR,
	OXM_VALUEINFO,
	OXM_TYPE,
	OXM_TYPE_ELEM,
	OXM_TYPE_MAP
};

/* Field numbers from onnx.proto of the nested message that can lead back to a graph or a
 * type; FunctionProto.value_info (12, newer onnx.proto) is included so that a build against
 * a newer schema stays bounded (counting it against an older schema only over-counts). */
static enum ox_msg ox_child(enum ox_msg parent, uint64_t field)
{
	switch (parent) {
	case OXM_MODEL:
		return field == 7    ? OXM_GRAPH
		       : field == 20 ? OXM_TRAINING
		       : field == 25 ? OXM_FUNCTION
				     : OXM_SKIP;
	case OXM_TRAINING:
		return field == 1 || field == 2 ? OXM_GRAPH : OXM_SKIP;
	case OXM_FUNCTION:
		return field == 7 ? OXM_NODE : field == 12 ? OXM_VALUEINFO : OXM_SKIP;
	case OXM_GRAPH:
		return field == 1		    ? OXM_NODE
		       : field >= 11 && field <= 13 ? OXM_VALUEINFO
						    : OXM_SKIP;
	case OXM_NODE:
		return field == 5 ? OXM_ATTR : OXM_SKIP;
	case OXM_ATTR:
		return field == 6 || field == 11    ? OXM_GRAPH
		       : field == 14 || field == 15 ? OXM_TYPE
						    : OXM_SKIP;
	case OXM_VALUEINFO:
		return field == 2 ? OXM_TYPE : OXM_SKIP;
	case OXM_TYPE: /* sequence_type, map_type, optional_type */
		return field == 4 || field == 9 ? OXM_TYPE_ELEM
		       : field == 5		? OXM_TYPE_MAP
						: OXM_SKIP;
	case OXM_TYPE_ELEM:
		return field == 1 ? OXM_TYPE : OXM_SKIP;
	case OXM_TYPE_MAP:
		return field == 2 ? OXM_TYPE : OXM_SKIP;
	default:
		return OXM_SKIP;
	}
}

struct ox_frame {
	size_t end;
	enum ox_msg type;
};

/* 0 when the nesting is within bounds (or the wire data is malformed, for the unpacker to
 * report); TC_EFORMAT naming the deepest place otherwise. Walks the whole buffer so that the
 * message names the real depth, not just the limit. */
static int check_nesting(const uint8_t *p, size_t len, const char *file, struct tc_err *err)
{
	struct ox_frame *st = NULL;
	size_t sp = 0, cap = 0, off = 0;
	int graphs = 0, types = 0, max_graphs = 0, max_types = 0, rc = 0;
	size_t graph_at = 0, type_at = 0;
	if (tc_grow((void **)&st, &cap, 16, sizeof(*st)) < 0)
		return tc_err_set(err, TC_ENOMEM, "%s: out of memory", file);
	st[sp++] = (struct ox_frame){len, OXM_MODEL};
	while (sp > 0) {
		struct ox_frame top = st[sp - 1];
		if (off >= top.end) {
			graphs -= top.type == OXM_GRAPH;
			types -= top.type == OXM_TYPE;
			sp--;
			continue;
		}
		uint64_t key, v;
		if (tc_varint_at(p, top.end, &off, &key) < 0)
			goto done;
		switch (key & 7) {
		case 0:
			if (tc_varint_at(p, top.end, &off, &v) < 0)
				goto done;
			break;
		case 1:
		case 5: {
			size_t w = (key & 7) == 1 ? 8 : 4;
			if (top.end - off < w)
				goto done;
			off += w;
			break;
		}
		case 2: {
			if (tc_varint_at(p, top.end, &off, &v) < 0 || v > top.end - off)
				goto done;
			enum ox_msg c = ox_child(top.type, key >> 3);
			if (c == OXM_SKIP) {
				off += (size_t)v;
				break;
			}
			if (tc_grow((void **)&st, &cap, sp + 1, sizeof(*st)) < 0) {
				rc = tc_err_set(err, TC_ENOMEM, "%s: out of memory", file);
				goto done;
			}
			st[sp++] = (struct ox_frame){off + (size_t)v, c};
			if (c == OXM_GRAPH && ++graphs > max_graphs) {
				max_graphs = graphs;
				graph_at = off;
			}
			if (c == OXM_TYPE && ++types > max_types) {
				max_types = types;
				type_at = off;
			}
			break;
		}
		default:
			goto done;
		}
	}
done:
	free(st);
	if (rc < 0)
		return rc;
	/* the main graph is depth 1, so its subgraphs nest max_graphs - 1 deep */
	if (max_graphs - 1 > OX_GRAPH_DEPTH_MAX)
		return tc_err_set(err, TC_EFORMAT,
				  "%s: byte %zu: subgraphs (If/Loop/Scan bodies) nested %d deep, "
				  "more than the %d supported",
				  file, graph_at, max_graphs - 1, OX_GRAPH_DEPTH_MAX);
	if (max_types > OX_TYPE_DEPTH_MAX)
		return tc_err_set(err, TC_EFORMAT,
				  "%s: byte %zu: types nested %d deep, more than the %d supported",
				  file, type_at, max_types, OX_TYPE_DEPTH_MAX);
	return 0;
}

/* ---- topological order --------------------------------------------------------------------- */

/* Kahn's algorithm with a min-heap on the node index: a graph already in order (as the ONNX
 * spec requires) keeps its order, and any other input sorts deterministically. */
static void heap_push(uint32_t *h, size_t *n, uint32_t v)
{
	size_t i = (*n)++;
	h[i] = v;
	while (i > 0 && h[(i - 1) / 2] > h[i]) {
		uint32_t tmp = h[i];
		h[i] = h[(i - 1) / 2];
		h[(i - 1) / 2] = tmp;
		i = (i - 1) / 2;
	}
}

static uint32_t heap_pop(uint32_t *h, size_t *n)
{
	uint32_t top = h[0];
	h[0] = h[--(*n)];
	size_t i = 0;
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		if (l < *n && h[l] < h[m])
			m = l;
		if (r < *n && h[r] < h[m])
			m = r;
		if (m == i)
			break;
		uint32_t tmp = h[i];
		h[i] = h[m];
		h[m] = tmp;
		i = m;
	}
	return top;
}

static int topo_sort(struct tc_onnx_graph *g, struct tc_err *err)
{
	size_t nn = g->nn;
	uint32_t *indeg = calloc(nn ? nn : 1, sizeof(uint32_t));
	uint32_t *heap = calloc(nn ? nn : 1, sizeof(uint32_t));
	/* consumers as CSR: cstart[tensor] .. cstart[tensor+1] */
	uint32_t *cstart = calloc(g->nt + 1, sizeof(uint32_t));
	size_t nedges = 0;
	for (size_t i = 0; i < nn; i++)
		nedges += g->nodes[i].nin;
	uint32_t *cons = calloc(nedges ? nedges : 1, sizeof(uint32_t));
	g->order = tc_arena_alloc(&g->arena, (nn ? nn : 1) * sizeof(uint32_t));
	if (!indeg || !heap || !cstart || !cons || !g->order) {
		free(indeg), free(heap), free(cstart), free(cons);
		return tc_err_set(err, TC_ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < nn; i++)
		for (uint32_t k = 0; k < g->nodes[i].nin; k++)
			if (g->nodes[i].in[k] != OX_NONE)
				cstart[g->nodes[i].in[k] + 1]++;
	for (size_t t = 0; t < g->nt; t++)
		cstart[t + 1] += cstart[t];
	uint32_t *fill = calloc(g->nt + 1, sizeof(uint32_t));
	if (!fill) {
		free(indeg), free(heap), free(cstart), free(cons);
		return tc_err_set(err, TC_ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < nn; i++) {
		for (uint32_t k = 0; k < g->nodes[i].nin; k++) {
			uint32_t t = g->nodes[i].in[k];
			if (t == OX_NONE)
				continue;
			cons[cstart[t] + fill[t]++] = (uint32_t)i;
			if (g->t[t].producer != OX_NONE)
				indeg[i]++;
		}
	}
	free(fill);
	size_t nh = 0, no = 0;
	for (size_t i = 0; i < nn; i++)
		if (indeg[i] == 0)
			heap_push(heap, &nh, (uint32_t)i);
	while (nh > 0) {
		uint32_t v = heap_pop(heap, &nh);
		g->order[no++] = v;
		const struct ox_node *n = &g->nodes[v];
		for (uint32_t k = 0; k < n->nout; k++) {
			uint32_t t = n->out[k];
			if (t == OX_NONE)
				continue;
			for (uint32_t c = cstart[t]; c < cstart[t + 1]; c++)
				if (--indeg[cons[c]] == 0)
					heap_push(heap, &nh, cons[c]);
		}
	}
	int rc = 0;
	if (no < nn) {
		size_t bad = 0;
		while (bad < nn && indeg[bad] == 0)
			bad++;
		const struct ox_node *n = &g->nodes[bad];
		rc = tc_err_set(err, TC_EFORMAT,
				"%s: graph has a cycle through node '%s' (%s, #%zu): %zu of %zu "
				"nodes cannot be ordered",
				g->file, ox_node_name(n), n->op, bad, nn - no, nn);
	}
	free(indeg), free(heap), free(cstart), free(cons);
	return rc;
}

/* ---- building the graph ---------------------------------------------------------------- */

static int64_t opset_of(const Onnx__ModelProto *m, const char *domain)
{
	int64_t v = -1;
	for (size_t i = 0; i < m->n_opset_import; i++) {
		const Onnx__OperatorSetIdProto *o = m->opset_import[i];
		const char *d = o->domain ? o->domain : "";
		int dflt = d[0] == '\0' || strcmp(d, "ai.onnx") == 0;
		if ((domain[0] == '\0' && dflt) || (domain[0] && strcmp(d, domain) == 0))
			v = o->has_version ? o->version : v;
	}
	return v;
}

static int oom(const struct tc_onnx_graph *g, struct tc_err *err)
{
	return tc_err_set(err, TC_ENOMEM, "%s: out of memory", g->file);
}

/* initializers first: graph inputs that repeat them (IR < 4 requires it) are weights */
static int add_initializers(struct tc_onnx_graph *g, struct tc_err *err)
{
	const Onnx__GraphProto *gp = g->gp;
	for (size_t i = 0; i < gp->n_initializer; i++) {
		const Onnx__TensorProto *tp = gp->initializer[i];
		uint32_t id;
		if (ox_intern(g, tp->name ? tp->name : "", &id) < 0)
			return oom(g, err);
		struct ox_tensor *t = &g->t[id];
		t->elem = tp->has_data_type ? tp->data_type : 0;
		set_shape_from_dims(t, tp->dims, tp->n_dims);
		t->defined = t->is_const = 1;
		t->is_param = (uint8_t)is_param_like(t);
		ox_tensor_values(g, t, tp);
	}
	for (size_t i = 0; i < gp->n_sparse_initializer; i++) {
		const Onnx__SparseTensorProto *sp = gp->sparse_initializer[i];
		if (!sp->values || !sp->values->name)
			continue;
		uint32_t id;
		if (ox_intern(g, sp->values->name, &id) < 0)
			return oom(g, err);
		struct ox_tensor *t = &g->t[id];
		t->elem = sp->values->data_type;
		set_shape_from_dims(t, sp->dims, sp->n_dims);
		t->defined = t->is_const = t->is_param = 1;
	}
	return 0;
}

/* The graph inputs that are not weights, with their dims bound (--dim); a binding that
 * matches nothing is warned about. */
static int add_inputs(struct tc_onnx_graph *g, struct dim_binding *b, size_t nb, struct tc_err *err)
{
	const Onnx__GraphProto *gp = g->gp;
	mark_symbolic(gp, b, nb);
	for (size_t i = 0; i < gp->n_input; i++) {
		const Onnx__ValueInfoProto *vi = gp->input[i];
		uint32_t id;
		if (ox_intern(g, vi->name ? vi->name : "", &id) < 0)
			return oom(g, err);
		struct ox_tensor *t = &g->t[id];
		if (t->defined)
			continue;
		t->defined = 1;
		if (bind_input(g, t, vi, b, nb) < 0)
			return oom(g, err);
	}
	for (size_t k = 0; k < nb; k++)
		if (!b[k].used)
			tc_warn(g->log,
				"%s: --dim %.*s matches no symbolic dim of the graph inputs "
				"(a fixed dim is overridden as batch=N or INPUT[K]=N)",
				g->file, (int)b[k].len, b[k].name);
	return 0;
}

/* attribute integers clamped like values (see OX_DIM_MAX); the model is ours to edit */
static void clamp_attributes(const Onnx__GraphProto *gp)
{
	for (size_t i = 0; i < gp->n_node; i++) {
		for (size_t k = 0; k < gp->node[i]->n_attribute; k++) {
			Onnx__AttributeProto *a = gp->node[i]->attribute[k];
			a->i = TC_MAX(TC_MIN(a->i, OX_DIM_MAX), -OX_DIM_MAX);
			for (size_t j = 0; j < a->n_ints; j++)
				a->ints[j] = TC_MAX(TC_MIN(a->ints[j], OX_DIM_MAX), -OX_DIM_MAX);
		}
	}
}

/* Node i: its operator, opset and tensors; an output defined twice is an error. */
static int add_node(struct tc_onnx_graph *g, size_t i, struct tc_err *err)
{
	const Onnx__NodeProto *np = g->gp->node[i];
	struct ox_node *n = &g->nodes[i];
	n->np = np;
	n->op = np->op_type ? np->op_type : "";
	n->domain = np->domain ? np->domain : "";
	if (strcmp(n->domain, "ai.onnx") == 0)
		n->domain = "";
	n->opset = n->domain[0] == '\0'			     ? g->opset
		   : strcmp(n->domain, "com.microsoft") == 0 ? g->ms_opset
							     : opset_of(g->model, n->domain);
	n->op_id = n->bwd_id = TC_NONE;
	n->nin = (uint32_t)np->n_input;
	n->nout = (uint32_t)np->n_output;
	n->in = tc_arena_alloc(&g->arena, (np->n_input + np->n_output + 1) * sizeof(uint32_t));
	if (!n->in)
		return oom(g, err);
	n->out = n->in + np->n_input;
	for (size_t k = 0; k < np->n_input; k++) {
		n->in[k] = OX_NONE;
		if (np->input[k] && np->input[k][0] && ox_intern(g, np->input[k], &n->in[k]) < 0)
			return oom(g, err);
	}
	for (size_t k = 0; k < np->n_output; k++) {
		n->out[k] = OX_NONE;
		if (!np->output[k] || !np->output[k][0])
			continue;
		uint32_t id;
		if (ox_intern(g, np->output[k], &id) < 0)
			return oom(g, err);
		struct ox_tensor *t = &g->t[id];
		if (t->defined)
			return tc_err_set(
			    err, TC_EFORMAT,
			    "%s: node '%s' (%s, #%zu): output '%s' is already defined%s%s", g->file,
			    ox_node_name(n), n->op, i, np->output[k],
			    t->producer != OX_NONE ? " by node "
						   : " as a graph input or initializer",
			    t->producer != OX_NONE ? ox_node_name(&g->nodes[t->producer]) : "");
		t->defined = 1;
		t->producer = (uint32_t)i;
		n->out[k] = id;
	}
	return 0;
}

/* Every node, then a check that each input is produced somewhere. */
static int add_nodes(struct tc_onnx_graph *g, struct tc_err *err)
{
	g->nn = g->gp->n_node;
	g->nodes = tc_arena_alloc(&g->arena, (g->nn ? g->nn : 1) * sizeof(*g->nodes));
	if (!g->nodes)
		return oom(g, err);
	for (size_t i = 0; i < g->nn; i++)
		TC_TRY(add_node(g, i, err));
	for (size_t i = 0; i < g->nn; i++) {
		const struct ox_node *n = &g->nodes[i];
		for (uint32_t k = 0; k < n->nin; k++)
			if (n->in[k] != OX_NONE && !g->t[n->in[k]].defined)
				return tc_err_set(
				    err, TC_EFORMAT,
				    "%s: node '%s' (%s, #%zu): input '%s' is not produced by any "
				    "node, initializer or graph input",
				    g->file, ox_node_name(n), n->op, i,
				    ox_tensor_name(g, n->in[k]));
	}
	return 0;
}

static int build(struct tc_onnx_graph *g, const struct tc_ingest_opts *opts, struct tc_err *err)
{
	struct dim_binding *b = NULL;
	size_t nb = 0;
	TC_TRY(parse_dims(opts, &b, &nb, err));
	int rc = add_initializers(g, err);
	if (rc == 0)
		rc = add_inputs(g, b, nb, err);
	free(b);
	if (rc < 0)
		return rc;
	clamp_attributes(g->gp);
	TC_TRY(add_nodes(g, err));
	TC_TRY(topo_sort(g, err));
	/* inference in order; value_info shapes are a fallback where inference cannot tell */
	for (size_t i = 0; i < g->nn; i++)
		if (ox_infer_node(g, &g->nodes[g->order[i]]) < 0)
			return oom(g, err);
	return 0;
}

/* Fill output shapes that inference left unknown from the graph's value_info / outputs
 * (exporters often record them), so shapes keep flowing past operators we do not know. */
void ox_declared_shape(struct tc_onnx_graph *g, uint32_t id)
{
	const char *name = ox_tensor_name(g, id);
	const Onnx__GraphProto *gp = g->gp;
	struct ox_tensor *t = &g->t[id];
	for (int pass = 0; pass < 2; pass++) {
		size_t n = pass ? gp->n_output : gp->n_value_info;
		Onnx__ValueInfoProto **v = pass ? gp->output : gp->value_info;
		for (size_t i = 0; i < n; i++) {
			if (!v[i]->name || strcmp(v[i]->name, name) != 0)
				continue;
			const Onnx__TypeProto *tp = v[i]->type;
			if (!tp || tp->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE ||
			    !tp->tensor_type)
				continue;
			const Onnx__TypeProto__Tensor *tt = tp->tensor_type;
			if (!t->elem && tt->has_elem_type)
				t->elem = tt->elem_type;
			if (t->rank >= 0 || !tt->shape || tt->shape->n_dim > OX_MAXR)
				continue;
			t->rank = (int32_t)tt->shape->n_dim;
			for (size_t k = 0; k < tt->shape->n_dim; k++) {
				const Onnx__TensorShapeProto__Dimension *d = tt->shape->dim[k];
				t->dims[k] =
				    d->value_case ==
						ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE &&
					    d->dim_value >= 0 && d->dim_value <= OX_DIM_MAX
					? d->dim_value
					: -1;
			}
			return;
		}
	}
}

int tc_onnx_load_mem(struct tc_onnx_graph **out, const void *buf, size_t len, const char *name,
		     const struct tc_ingest_opts *opts, struct tc_err *err)
{
	*out = NULL;
	const char *file = name ? name : "<memory>";
	if (len == 0)
		return tc_err_set(err, TC_EFORMAT, "%s: empty file, not an ONNX model", file);
	struct tc_onnx_graph *g = calloc(1, sizeof(*g));
	if (!g)
		return tc_err_set(err, TC_ENOMEM, "out of memory");
	tc_arena_init(&g->arena, 0);
	if (tc_strtab_init(&g->names) < 0) {
		free(g);
		return tc_err_set(err, TC_ENOMEM, "out of memory");
	}
	g->file = tc_arena_strdup(&g->arena, file);
	g->log = opts ? opts->log : NULL;
	g->training = opts ? opts->training : 0;
	g->chunk_ops = opts ? opts->chunk_ops : 0;
	int rc;
	if (opts && opts->dtype && !(g->run_elem = tc_to_elem(opts->dtype))) {
		rc = tc_err_set(err, TC_EINVAL, "%s: --dtype %s is not a floating-point type", file,
				tc_dtype_name(opts->dtype));
		goto fail;
	}
	if ((rc = check_nesting(buf, len, file, err)) < 0)
		goto fail;
	g->model = onnx__model_proto__unpack(NULL, len, buf);
	if (!g->model) {
		char what[160];
		int bad = wire_find_bad(buf, 0, len, 0, what, sizeof(what)) < 0;
		rc = tc_err_set(err, bad ? TC_ETRUNC : TC_EFORMAT,
				"%s: not a valid ONNX model (protobuf: %s)", file, what);
		goto fail;
	}
	const Onnx__ModelProto *m = g->model;
	if (!m->graph || !m->has_ir_version || m->ir_version <= 0) {
		rc = tc_err_set(err, TC_EFORMAT, "%s: not an ONNX model (%s)", file,
				!m->graph ? "no graph" : "no ir_version");
		goto fail;
	}
	g->gp = m->graph;
	g->ir_version = m->ir_version;
	g->opset = opset_of(m, "");
	g->ms_opset = opset_of(m, "com.microsoft");
	if (g->opset < 0) {
		/* IR < 3 had no opset_import: the operators of opset 1 */
		tc_warn(g->log, "%s: no opset_import for the default domain, assuming opset 1",
			file);
		g->opset = 1;
	}
	if (g->ir_version < 3 || g->ir_version > 10)
		tc_warn(g->log, "%s: IR version %" PRId64 " outside the supported 3..10", file,
			g->ir_version);
	if (g->opset < 7 || g->opset > 21)
		tc_warn(g->log, "%s: opset %" PRId64 " outside the supported 7..21", file,
			g->opset);
	if ((rc = build(g, opts, err)) < 0 || (rc = ox_finish(g, err)) < 0)
		goto fail;
	*out = g;
	return 0;
fail:
	tc_onnx_free(g);
	return rc;
}

int tc_onnx_load_file(struct tc_onnx_graph **out, const char *path,
		      const struct tc_ingest_opts *opts, struct tc_err *err)
{
	char *buf = NULL;
	size_t len = 0;
	*out = NULL;
	TC_TRY(tc_read_file(path, &buf, &len, err));
	int rc = tc_onnx_load_mem(out, buf, len, path, opts, err);
	free(buf); /* protobuf-c copies what it keeps */
	return rc;
}

void tc_onnx_free(struct tc_onnx_graph *g)
{
	if (!g)
		return;
	if (g->model)
		onnx__model_proto__free_unpacked(g->model, NULL);
	free(g->t);
	free(g->unk_names);
	free(g->unk_counts);
	free(g->bound);
	tc_strtab_free(&g->names);
	tc_arena_free(&g->arena);
	free(g);
}

/* Helpers of the ONNX adapter tests: build tiny models with the protobuf-c API generated from
 * the official onnx.proto, serialize them to a temp file, ingest, and read the opstream back
 * with the opstream reader. */
#ifndef INGEST_ONNX_COMMON_H
#define INGEST_ONNX_COMMON_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "onnx.pb-c.h"
#include "onnx/onnx.h"
#include "opstream.h"

/* ---- model builder ---------------------------------------------------------------------- */

struct mb {
	Onnx__ModelProto m;
	Onnx__GraphProto g;
	void *allocs[4096]; /* everything below, freed by mb_free */
	size_t nallocs;
};

static inline void *mb_alloc(struct mb *b, size_t n)
{
	void *p = calloc(1, n ? n : 1);
	if (!p || b->nallocs >= sizeof(b->allocs) / sizeof(b->allocs[0]))
		abort();
	b->allocs[b->nallocs++] = p;
	return p;
}

static inline char *mb_str(struct mb *b, const char *s)
{
	char *p = mb_alloc(b, strlen(s) + 1);
	memcpy(p, s, strlen(s) + 1);
	return p;
}

/* Append p to a protobuf-c repeated pointer field (count *n, array *arr). */
#define MB_PUSH(b, n, arr, p)                                                                      \
	do {                                                                                       \
		void **na_ = mb_alloc((b), sizeof(void *) * (*(n) + 1));                           \
		if (*(n))                                                                          \
			memcpy(na_, *(arr), sizeof(void *) * *(n));                                \
		*(void ***)(arr) = na_;                                                            \
		na_[(*(n))++] = (p);                                                               \
	} while (0)

static inline struct mb *mb_new(int64_t ir, int64_t opset)
{
	struct mb *b = calloc(1, sizeof(*b));
	if (!b)
		abort();
	Onnx__ModelProto m = ONNX__MODEL_PROTO__INIT;
	Onnx__GraphProto g = ONNX__GRAPH_PROTO__INIT;
	b->m = m;
	b->g = g;
	b->m.has_ir_version = 1;
	b->m.ir_version = ir;
	b->m.producer_name = mb_str(b, "tracecast-test");
	b->g.name = mb_str(b, "test_graph");
	b->m.graph = &b->g;
	Onnx__OperatorSetIdProto *o = mb_alloc(b, sizeof(*o));
	Onnx__OperatorSetIdProto oi = ONNX__OPERATOR_SET_ID_PROTO__INIT;
	*o = oi;
	o->domain = mb_str(b, "");
	o->has_version = 1;
	o->version = opset;
	MB_PUSH(b, &b->m.n_opset_import, &b->m.opset_import, o);
	return b;
}

static inline void mb_opset(struct mb *b, const char *domain, int64_t v)
{
	Onnx__OperatorSetIdProto *o = mb_alloc(b, sizeof(*o));
	Onnx__OperatorSetIdProto oi = ONNX__OPERATOR_SET_ID_PROTO__INIT;
	*o = oi;
	o->domain = mb_str(b, domain);
	o->has_version = 1;
	o->version = v;
	MB_PUSH(b, &b->m.n_opset_import, &b->m.opset_import, o);
}

static inline Onnx__ValueInfoProto *mb_value_info(struct mb *b, const char *name, int elem,
						  int rank, const int64_t *dims,
						  const char *const *syms)
{
	Onnx__ValueInfoProto *vi = mb_alloc(b, sizeof(*vi));
	Onnx__ValueInfoProto vi0 = ONNX__VALUE_INFO_PROTO__INIT;
	*vi = vi0;
	vi->name = mb_str(b, name);
	Onnx__TypeProto *tp = mb_alloc(b, sizeof(*tp));
	Onnx__TypeProto tp0 = ONNX__TYPE_PROTO__INIT;
	*tp = tp0;
	Onnx__TypeProto__Tensor *tt = mb_alloc(b, sizeof(*tt));
	Onnx__TypeProto__Tensor tt0 = ONNX__TYPE_PROTO__TENSOR__INIT;
	*tt = tt0;
	tt->has_elem_type = 1;
	tt->elem_type = elem;
	if (rank >= 0) {
		Onnx__TensorShapeProto *sp = mb_alloc(b, sizeof(*sp));
		Onnx__TensorShapeProto sp0 = ONNX__TENSOR_SHAPE_PROTO__INIT;
		*sp = sp0;
		for (int i = 0; i < rank; i++) {
			Onnx__TensorShapeProto__Dimension *d = mb_alloc(b, sizeof(*d));
			Onnx__TensorShapeProto__Dimension d0 =
			    ONNX__TENSOR_SHAPE_PROTO__DIMENSION__INIT;
			*d = d0;
			if (dims[i] >= 0) {
				d->value_case =
				    ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
				d->dim_value = dims[i];
			} else if (syms && syms[i]) {
				d->value_case =
				    ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM;
				d->dim_param = mb_str(b, syms[i]);
			}
			MB_PUSH(b, &sp->n_dim, &sp->dim, d);
		}
		tt->shape = sp;
	}
	tp->value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
	tp->tensor_type = tt;
	vi->type = tp;
	return vi;
}

/* Graph input; dims[i] < 0 with syms[i] set makes a symbolic dim. */
static inline void mb_input(struct mb *b, const char *name, int elem, int rank, const int64_t *dims,
			    const char *const *syms)
{
	Onnx__ValueInfoProto *vi = mb_value_info(b, name, elem, rank, dims, syms);
	MB_PUSH(b, &b->g.n_input, &b->g.input, vi);
}

static inline void mb_output(struct mb *b, const char *name)
{
	Onnx__ValueInfoProto *vi = mb_alloc(b, sizeof(*vi));
	Onnx__ValueInfoProto vi0 = ONNX__VALUE_INFO_PROTO__INIT;
	*vi = vi0;
	vi->name = mb_str(b, name);
	MB_PUSH(b, &b->g.n_output, &b->g.output, vi);
}

static inline Onnx__TensorProto *mb_tensor(struct mb *b, const char *name, int elem, int rank,
					   const int64_t *dims)
{
	Onnx__TensorProto *t = mb_alloc(b, sizeof(*t));
	Onnx__TensorProto t0 = ONNX__TENSOR_PROTO__INIT;
	*t = t0;
	t->name = mb_str(b, name);
	t->has_data_type = 1;
	t->data_type = elem;
	t->n_dims = (size_t)rank;
	t->dims = mb_alloc(b, sizeof(int64_t) * (size_t)(rank ? rank : 1));
	if (rank)
		memcpy(t->dims, dims, sizeof(int64_t) * (size_t)rank);
	return t;
}

/* Float weight initializer filled with zeros, in raw_data (raw = 1) or float_data. */
static inline void mb_weight(struct mb *b, const char *name, int rank, const int64_t *dims, int raw)
{
	Onnx__TensorProto *t = mb_tensor(b, name, 1, rank, dims);
	size_t n = 1;
	for (int i = 0; i < rank; i++)
		n *= (size_t)dims[i];
	if (raw) {
		t->has_raw_data = 1;
		t->raw_data.len = n * 4;
		t->raw_data.data = mb_alloc(b, n * 4);
	} else {
		t->n_float_data = n;
		t->float_data = mb_alloc(b, n * sizeof(float));
	}
	MB_PUSH(b, &b->g.n_initializer, &b->g.initializer, t);
}

/* int64 vector initializer (shapes, axes, pads), in int64_data or raw_data. */
static inline void mb_ints(struct mb *b, const char *name, int n, const int64_t *v, int raw)
{
	int64_t d = n;
	Onnx__TensorProto *t = mb_tensor(b, name, 7, 1, &d);
	if (raw) {
		t->has_raw_data = 1;
		t->raw_data.len = (size_t)n * 8;
		t->raw_data.data = mb_alloc(b, (size_t)n * 8);
		memcpy(t->raw_data.data, v, (size_t)n * 8);
	} else {
		t->n_int64_data = (size_t)n;
		t->int64_data = mb_alloc(b, sizeof(int64_t) * (size_t)(n ? n : 1));
		memcpy(t->int64_data, v, sizeof(int64_t) * (size_t)n);
	}
	MB_PUSH(b, &b->g.n_initializer, &b->g.initializer, t);
}

/* A node: ins and outs are comma-separated names ("" between commas = absent input). */
static inline Onnx__NodeProto *mb_node(struct mb *b, const char *op, const char *name,
				       const char *ins, const char *outs)
{
	Onnx__NodeProto *n = mb_alloc(b, sizeof(*n));
	Onnx__NodeProto n0 = ONNX__NODE_PROTO__INIT;
	*n = n0;
	n->op_type = mb_str(b, op);
	n->name = mb_str(b, name);
	for (int pass = 0; pass < 2; pass++) {
		const char *s = pass ? outs : ins;
		while (s && *s) {
			const char *c = strchr(s, ',');
			size_t l = c ? (size_t)(c - s) : strlen(s);
			char *v = mb_alloc(b, l + 1);
			memcpy(v, s, l);
			if (pass)
				MB_PUSH(b, &n->n_output, &n->output, v);
			else
				MB_PUSH(b, &n->n_input, &n->input, v);
			s = c ? c + 1 : NULL;
		}
	}
	MB_PUSH(b, &b->g.n_node, &b->g.node, n);
	return n;
}

static inline Onnx__AttributeProto *mb_attr(struct mb *b, Onnx__NodeProto *n, const char *name,
					    Onnx__AttributeProto__AttributeType type)
{
	Onnx__AttributeProto *a = mb_alloc(b, sizeof(*a));
	Onnx__AttributeProto a0 = ONNX__ATTRIBUTE_PROTO__INIT;
	*a = a0;
	a->name = mb_str(b, name);
	a->has_type = 1;
	a->type = type;
	MB_PUSH(b, &n->n_attribute, &n->attribute, a);
	return a;
}

static inline void mb_attr_i(struct mb *b, Onnx__NodeProto *n, const char *name, int64_t v)
{
	Onnx__AttributeProto *a = mb_attr(b, n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT);
	a->has_i = 1;
	a->i = v;
}

static inline void mb_attr_ints(struct mb *b, Onnx__NodeProto *n, const char *name, int cnt,
				const int64_t *v)
{
	Onnx__AttributeProto *a = mb_attr(b, n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS);
	a->n_ints = (size_t)cnt;
	a->ints = mb_alloc(b, sizeof(int64_t) * (size_t)(cnt ? cnt : 1));
	memcpy(a->ints, v, sizeof(int64_t) * (size_t)cnt);
}

static inline void mb_attr_s(struct mb *b, Onnx__NodeProto *n, const char *name, const char *v)
{
	Onnx__AttributeProto *a =
	    mb_attr(b, n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING);
	a->has_s = 1;
	a->s.len = strlen(v);
	a->s.data = (uint8_t *)mb_str(b, v);
}

static inline void mb_attr_t(struct mb *b, Onnx__NodeProto *n, const char *name,
			     Onnx__TensorProto *t)
{
	Onnx__AttributeProto *a =
	    mb_attr(b, n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR);
	a->t = t;
}

static inline void mb_free(struct mb *b)
{
	for (size_t i = 0; i < b->nallocs; i++)
		free(b->allocs[i]);
	free(b);
}

static inline const char *onnx_tmp(const char *name)
{
	static char buf[4][512];
	static int k;
	const char *dir = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	k = (k + 1) % 4;
	snprintf(buf[k], sizeof(buf[k]), "%s/tc_onnx_%ld_%s", dir, (long)getpid(), name);
	return buf[k];
}

/* Serialize to a temp file; returns its path (valid until 4 more onnx_tmp calls). */
static inline const char *mb_write(struct mb *b, const char *name)
{
	size_t len = onnx__model_proto__get_packed_size(&b->m);
	uint8_t *buf = malloc(len ? len : 1);
	onnx__model_proto__pack(&b->m, buf);
	const char *path = onnx_tmp(name);
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(buf, 1, len, f) != len)
		abort();
	fclose(f);
	free(buf);
	return path;
}

/* ---- reading the opstream back ------------------------------------------------------------- */

#define RO_MAXS 12
#define RO_MAXD 16

struct rop {
	struct tc_op op;
	char name[64];
	uint32_t n_shapes;
	uint32_t rank[RO_MAXS];
	int64_t dims[RO_MAXS][8];
	uint32_t n_deps;
	uint64_t deps[RO_MAXD];
};

struct rstream {
	size_t n;
	struct rop *ops;
	char meta[32][2][256];
	size_t n_meta;
	char source_format[32];
	uint32_t lane_type;
	size_t lanes;
};

static inline const char *rs_meta(const struct rstream *s, const char *key)
{
	for (size_t i = 0; i < s->n_meta; i++)
		if (!strcmp(s->meta[i][0], key))
			return s->meta[i][1];
	return NULL;
}

/* Read a whole stream into *s (caller frees s->ops). 0 or the reader's error. */
static inline int rs_read(const char *path, struct rstream *s, struct tc_err *err)
{
	struct tc_ops_reader *r;
	memset(s, 0, sizeof(*s));
	int rc = tc_ops_reader_open(&r, path, err);
	if (rc < 0)
		return rc;
	const struct tc_ops_header *h = tc_ops_reader_header(r);
	snprintf(s->source_format, sizeof(s->source_format), "%s", h->source_format);
	for (size_t i = 0; i < h->n_meta && i < 32; i++) {
		snprintf(s->meta[i][0], 256, "%s", h->meta[i].key);
		snprintf(s->meta[i][1], 256, "%s", h->meta[i].value);
		s->n_meta++;
	}
	const struct tc_op *ops;
	size_t n, cap = 0;
	while ((rc = tc_ops_reader_next(r, &ops, &n, err)) > 0) {
		for (size_t i = 0; i < n; i++) {
			if (s->n == cap) {
				cap = cap ? 2 * cap : 256;
				s->ops = realloc(s->ops, cap * sizeof(*s->ops));
				if (!s->ops)
					abort();
			}
			struct rop *o = &s->ops[s->n++];
			memset(o, 0, sizeof(*o));
			o->op = ops[i];
			snprintf(o->name, sizeof(o->name), "%s",
				 tc_ops_reader_string(r, ops[i].name));
			o->n_shapes = ops[i].n_shapes < RO_MAXS ? ops[i].n_shapes : RO_MAXS;
			for (uint32_t k = 0; k < o->n_shapes; k++) {
				o->rank[k] = ops[i].shapes[k].rank;
				for (uint32_t d = 0; d < o->rank[k] && d < 8; d++)
					o->dims[k][d] = ops[i].shapes[k].dims[d];
			}
			o->n_deps = ops[i].n_deps < RO_MAXD ? ops[i].n_deps : RO_MAXD;
			for (uint32_t k = 0; k < o->n_deps; k++)
				o->deps[k] = ops[i].deps[k];
			o->op.shapes = NULL;
			o->op.deps = NULL;
		}
	}
	if (rc == 0) {
		s->lanes = tc_ops_reader_lane_count(r);
		if (s->lanes)
			s->lane_type = tc_ops_reader_lane(r, 0)->type;
	}
	tc_ops_reader_free(r);
	return rc;
}

/* Ingest a model file through the adapter entry point and read the result back. */
static inline int onnx_ingest(const char *model, const struct tc_ingest_opts *opts,
			      struct rstream *s, struct tc_err *err)
{
	const char *out = onnx_tmp("out.tcs");
	const char *in[1] = {model};
	int rc = tc_onnx_run(in, 1, out, opts, NULL, err);
	if (rc < 0)
		return rc;
	rc = rs_read(out, s, err);
	unlink(out);
	return rc;
}

/* First op of the stream with this name; a missing op fails the test (abort). */
static inline const struct rop *rs_find(const struct rstream *s, const char *name)
{
	size_t i = 0;
	while (i < s->n && strcmp(s->ops[i].name, name) != 0)
		i++;
	if (i == s->n) {
		fprintf(stderr, "no op named %s in the stream\n", name);
		abort();
	}
	return s->ops + i;
}

#endif

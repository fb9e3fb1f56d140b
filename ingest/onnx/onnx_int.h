/* onnx_int.h - private to ingest/onnx: the analysed graph shared by onnx_load.c (parse,
 * constants, topological order), onnx_infer.c (shapes and work per operator) and
 * onnx_emit.c (training ops, opstream writing). */
#ifndef TC_INGEST_ONNX_INT_H
#define TC_INGEST_ONNX_INT_H

#include <stdint.h>

#include "onnx.h"
#include "onnx.pb-c.h"

#define OX_MAXR 8	/* highest tensor rank tracked; higher ranks become unknown */
#define OX_MAXVALS 4096 /* values kept for constant tensors up to this many elements */
#define OX_NONE UINT32_MAX
/* Largest dim, attribute or shape value believed: beyond it a size is unknown. It keeps the
 * arithmetic of hostile models from overflowing (products of two stay below 2^62). */
#define OX_DIM_MAX (INT64_C(1) << 30)

/* ONNX TensorProto.DataType values used by name. */
enum {
	OX_UNDEF = 0,
	OX_FLOAT = 1,
	OX_UINT8 = 2,
	OX_INT8 = 3,
	OX_UINT16 = 4,
	OX_INT16 = 5,
	OX_INT32 = 6,
	OX_INT64 = 7,
	OX_STRING = 8,
	OX_BOOL = 9,
	OX_FLOAT16 = 10,
	OX_DOUBLE = 11,
	OX_UINT32 = 12,
	OX_UINT64 = 13,
	OX_BFLOAT16 = 16,
};

/* One named value of the graph (a tensor id is its string id in g->names). */
struct ox_tensor {
	int32_t elem;	       /* ONNX data type, 0 = unknown */
	int32_t rank;	       /* -1 = unknown */
	int64_t dims[OX_MAXR]; /* -1 = unknown */
	uint8_t defined;       /* graph input, initializer or some node's output */
	uint8_t is_const;      /* initializer or folded: known before the graph runs */
	uint8_t is_param;      /* counts as a parameter (weights, not shape vectors) */
	uint8_t req_grad;      /* --training: a gradient flows to it */
	uint32_t producer;     /* node index or OX_NONE */
	uint32_t nvals;	       /* known values, 0 = none */
	int64_t *iv;	       /* integer-typed values (or NULL) */
	double *fv;	       /* float-typed values (or NULL) */
};

struct ox_node {
	const Onnx__NodeProto *np;
	const char *op;	    /* op_type */
	const char *domain; /* "" for ai.onnx */
	int64_t opset;	    /* version of its domain in opset_import */
	uint32_t nin, nout;
	uint32_t *in, *out; /* tensor ids, OX_NONE for an absent optional input */

	/* results of inference */
	uint8_t folded;	   /* became a constant: not emitted */
	uint8_t cls;	   /* enum tc_class */
	uint8_t dtype;	   /* enum tc_dtype of the work */
	uint8_t has_work;  /* flops and bytes known */
	uint8_t known;	   /* operator understood by onnx_infer.c */
	uint8_t view;	   /* moves no data (Reshape, Identity, ...) */
	uint8_t gemm_like; /* backward costs 2x (gradients of two operands) */
	uint64_t flops, bytes_read, bytes_written;
	uint64_t weight_bytes;	     /* part of bytes_read that is parameters */
	uint64_t gm, gn, gk, gbatch; /* GEMM-like problem (convs as implicit GEMM), 0 = n/a */
	uint64_t op_id, bwd_id;	     /* ids in the opstream, TC_NONE when not emitted */

	/* --training: the backward op of this node (onnx_emit.c, docs/onnx.md for ratios) */
	uint8_t has_bwd;
	uint64_t bflops, bread, bwrite;
};

struct tc_onnx_graph {
	struct tc_arena arena;
	const char *file;
	const struct tc_log *log;
	int training;
	int batch_override; /* --dim batch=N changed a fixed leading dim */
	int32_t run_elem;   /* --dtype: ONNX element type floating tensors run at, 0 = theirs */
	size_t chunk_ops;
	Onnx__ModelProto *model;
	const Onnx__GraphProto *gp;
	int64_t ir_version, opset, ms_opset;

	struct tc_strtab names; /* tensor name -> id */
	struct ox_tensor *t;
	size_t nt, tcap; /* nt == names.n after loading */

	struct ox_node *nodes;
	size_t nn;
	uint32_t *order; /* topological order of node indices */

	/* unknown operator types and their counts, in order of first appearance */
	const char **unk_names;
	uint64_t *unk_counts;
	size_t n_unk, unk_cap;

	/* symbolic dims bound, "name=value", for the header */
	const char **bound;
	size_t n_bound, bound_cap;

	/* --training: parameters updated by the optimizer, in the order their gradients
	 * complete, and for each the position in g->order of its first consumer */
	uint32_t *opt_params;
	size_t n_opt;

	struct tc_onnx_summary sum;
};

/* onnx_load.c helpers used by the others */
struct ox_tensor *ox_tensor(struct tc_onnx_graph *g, uint32_t id);
const char *ox_tensor_name(const struct tc_onnx_graph *g, uint32_t id);
const char *ox_node_name(const struct ox_node *n);
/* Number of elements, -1 when unknown or overflowing 2^62. */
int64_t ox_numel(const struct ox_tensor *t);
/* Bits per element of an ONNX data type, 0 when unknown. */
unsigned ox_elem_bits(int32_t elem);
unsigned ox_elem_to_tc(int32_t elem);
/* The element type a tensor of type elem runs at under --dtype (floating types only). */
int32_t ox_elem_run(const struct tc_onnx_graph *g, int32_t elem);
/* Bytes of a tensor (rounded up), 0 when unknown. */
uint64_t ox_tensor_bytes(const struct tc_onnx_graph *g, const struct ox_tensor *t);
/* Read the values of a TensorProto (raw_data or typed fields) into t when small. */
void ox_tensor_values(struct tc_onnx_graph *g, struct ox_tensor *t, const Onnx__TensorProto *tp);

/* attributes */
const Onnx__AttributeProto *ox_attr(const struct ox_node *n, const char *name);
int64_t ox_attr_i(const struct ox_node *n, const char *name, int64_t def);
float ox_attr_f(const struct ox_node *n, const char *name, float def);
/* ints attribute: count in *cnt (0 when absent), borrowed array */
const int64_t *ox_attr_ints(const struct ox_node *n, const char *name, size_t *cnt);
const char *ox_attr_s(struct tc_onnx_graph *g, const struct ox_node *n, const char *name,
		      const char *def);

/* onnx_infer.c: shapes, dtypes, values of the outputs and the node's class and work. Never
 * fails on odd input (outputs stay unknown); returns TC_ENOMEM only. */
int ox_infer_node(struct tc_onnx_graph *g, struct ox_node *n);

/* Fill an unknown shape from the graph's value_info / outputs when the exporter gave one. */
void ox_declared_shape(struct tc_onnx_graph *g, uint32_t id);
void ox_note_unknown(struct tc_onnx_graph *g, const char *op);
/* onnx_emit.c: after inference, plan the training ops and total the summary. */
int ox_finish(struct tc_onnx_graph *g, struct tc_err *err);

#endif

/* onnx.h - the ONNX adapter's entry points (private to ingest/, used by adapters.c, the tests
 * and the fuzz target). docs/onnx.md describes what the adapter produces.
 *
 * Two steps so that a memory buffer can be analysed without writing a file (fuzzing):
 *   tc_onnx_load_mem()  parse ModelProto, fold constants, sort, infer shapes and work;
 *   tc_onnx_write()     write the analysed graph (plus --training ops) as an opstream.
 */
#ifndef TC_INGEST_ONNX_H
#define TC_INGEST_ONNX_H

#include <stddef.h>
#include <stdint.h>

#include "ingest.h"

struct tc_onnx_graph;

/* Summary of an analysed graph (totals over the forward ops, for tests and -v). */
struct tc_onnx_summary {
	uint64_t nodes;	      /* NodeProtos in the main graph */
	uint64_t folded;      /* nodes folded into constants (not emitted) */
	uint64_t ops;	      /* forward ops emitted (nodes - folded) */
	uint64_t unknown_ops; /* emitted ops whose work is unknown */
	uint64_t flops;	      /* sum over forward ops with known work */
	uint64_t bytes_read, bytes_written;
	uint64_t params; /* parameter elements (see docs/onnx.md) */
	uint64_t param_bytes;
	uint64_t train_ops; /* backward + optimizer ops appended by --training */
	int64_t ir_version, opset;
};

/* Parse and analyse an ONNX model held in memory (buf must stay valid until free). name is
 * used in messages. opts may be NULL. Returns 0 or a negative TC_E* with a one-line error
 * naming the file and the node. *out is owned by the caller (tc_onnx_free). */
int tc_onnx_load_mem(struct tc_onnx_graph **out, const void *buf, size_t len, const char *name,
		     const struct tc_ingest_opts *opts, struct tc_err *err);
/* Read a file then tc_onnx_load_mem(). */
int tc_onnx_load_file(struct tc_onnx_graph **out, const char *path,
		      const struct tc_ingest_opts *opts, struct tc_err *err);
/* Write the graph to out_path (temporary name, renamed on success). */
int tc_onnx_write(struct tc_onnx_graph *g, const char *out_path, struct tc_ingest_stats *stats,
		  struct tc_err *err);
void tc_onnx_summary(const struct tc_onnx_graph *g, struct tc_onnx_summary *s);
void tc_onnx_free(struct tc_onnx_graph *g);

/* Adapter hooks (table entry tc_ingest_onnx_adapter in onnx_emit.c). */
extern const struct tc_ingest_adapter tc_ingest_onnx_adapter;
int tc_onnx_probe(const char *path, const uint8_t *head, size_t n);
int tc_onnx_run(const char *const *inputs, size_t n_inputs, const char *out_path,
		const struct tc_ingest_opts *opts, struct tc_ingest_stats *stats,
		struct tc_err *err);

#endif

/* pyet.h - private to ingest/: PyTorch execution traces (ET JSON, schema 1.0.x flat and
 * 1.0.2+/1.1.x nested), read whole: operators, their parents, input shapes and the data
 * dependencies found through tensor ids. Alone they make an opstream of their own (pyet.c);
 * with the Kineto trace of the same run, the Kineto adapter asks them for each CPU operator's
 * data dependencies and shapes (docs/chakra.md, "PyTorch ET"). */
#ifndef TC_INGEST_PYET_H
#define TC_INGEST_PYET_H

#include <stdint.h>

#include "opstream.h"
#include "util.h"

#define TC_PYET_NONE UINT32_MAX

struct tc_pyet;

/* Read an ET JSON file (.json, .gz, .zst). Errors name the file and the node. */
int tc_pyet_load(struct tc_pyet **out, const char *path, const char *name, struct tc_err *err);
int tc_pyet_load_mem(struct tc_pyet **out, const char *buf, size_t len, const char *name,
		     struct tc_err *err);
void tc_pyet_free(struct tc_pyet *et);

/* The ET node standing for a Kineto CPU operator: the node whose rf_id is the operator's
 * External id when the names agree, else the next unclaimed node of that name close to the
 * last match (the order of both traces is the order operators were entered). TC_PYET_NONE
 * when none; a node is claimed once. */
uint32_t tc_pyet_match(struct tc_pyet *et, uint64_t ext, const char *name);
/* Data dependencies of node i as op ids: the ops its producers were written as (only those
 * written already, so every id is an earlier op). Borrowed until the next call. */
void tc_pyet_deps(struct tc_pyet *et, uint32_t i, const uint64_t **deps, uint32_t *n);
/* Input shapes of node i (borrowed, as long as et lives). */
void tc_pyet_shapes(const struct tc_pyet *et, uint32_t i, const struct tc_shape **shapes,
		    uint32_t *n);
/* Node i was written as op id. */
void tc_pyet_set_op(struct tc_pyet *et, uint32_t i, uint64_t id);

struct tc_pyet_counts {
	uint64_t nodes, edges, matched, matched_by_name, edges_written;
};
void tc_pyet_counts(const struct tc_pyet *et, struct tc_pyet_counts *c);

#endif

/* columns.h - private to proto/: the chunk decoder that reads the packed columns of a Chunk
 * message straight from the protobuf wire format, in batches, without materialising the
 * message. protobuf-c stays the writer and the schema; reading columns directly avoids an
 * array per column per chunk and a second pass (the read path is the hot one: replay,
 * sweeps and info all stream whole files). */
#ifndef TC_PROTO_COLUMNS_H
#define TC_PROTO_COLUMNS_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

struct tc_col {
	const uint8_t *p, *end;
	size_t count; /* varints in the column */
};

/* Field numbers of Chunk (opstream.proto). */
enum {
	F_FIRST_OP = 1,
	F_STRINGS = 2,
	F_LANES = 3,
	F_KIND = 4,
	F_NAME,
	F_CLASS,
	F_LANE,
	F_TS,
	F_DUR,
	F_PARENT,
	F_LINK,
	F_SUB,
	F_CORR,
	F_FLAGS,
	F_WORK_AT = 20,
	F_WORK_FLOPS,
	F_WORK_READ,
	F_WORK_WRITE,
	F_WORK_DTYPE,
	F_GEMM_AT = 25,
	F_GEMM_M,
	F_GEMM_N,
	F_GEMM_K,
	F_GEMM_BATCH,
	F_SHAPE_AT = 30,
	F_SHAPE_N,
	F_SHAPE_RANK,
	F_SHAPE_DIMS,
	F_COLL_AT = 40,
	F_COLL_KIND,
	F_COLL_BYTES,
	F_COLL_GSIZE,
	F_COLL_GROUP,
	F_COLL_SEQ,
	F_COLL_PEER,
	F_COLL_DTYPE,
	F_SYNC_AT = 50,
	F_SYNC_LANE,
	F_SYNC_EVENT,
	F_DEP_AT = 60,
	F_DEP_N,
	F_DEP_DELTA,
	F__MAX = 64
};

/* One varint; returns 0 or -1 on overrun / overlong encoding. */
static inline int tc_col_next(struct tc_col *c, uint64_t *v)
{
	return tc_varint_next(&c->p, c->end, v);
}

#endif

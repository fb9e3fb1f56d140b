/* chakra.h - private to ingest/: what the Chakra execution trace reader (chakra.c) and writer
 * (chakra_write.c) share: the framing of .et files and the collective-kind mapping. The
 * mapping itself is documented in docs/chakra.md. */
#ifndef TC_INGEST_CHAKRA_H
#define TC_INGEST_CHAKRA_H

#include <stddef.h>
#include <stdint.h>

#include "chakra.pb-c.h"
#include "opstream.h"
#include "util.h"

/* Chakra node types and collective kinds as written in .et files (et_def.proto). */
enum {
	TC_ET_INVALID = 0,
	TC_ET_METADATA = 1,
	TC_ET_MEM_LOAD = 2,
	TC_ET_MEM_STORE = 3,
	TC_ET_COMP = 4,
	TC_ET_COMM_SEND = 5,
	TC_ET_COMM_RECV = 6,
	TC_ET_COMM_COLL = 7,
};

/* The attribute that keeps a duration's exact nanoseconds beside the schema's integer
 * microseconds (written by tracecast, preferred by the reader when present). */
#define TC_ET_DURATION_NS "duration_ns"
/* The work of an op as tracecast's cost model sees it, an int64 list: FLOPs, bytes read,
 * bytes written, GEMM m, n, k, batch, enum tc_dtype, 1 when estimated. Written by tracecast
 * and preferred by the reader over work derived from shapes. */
#define TC_ET_WORK "tc_work"
#define TC_ET_WORK_N 9

/* Input shapes kept per node (IOInfo.shapes), and their dimensions in all. */
#define TC_ET_MAX_SHAPES 16
#define TC_ET_MAX_DIMS 128

/* Chakra CollectiveCommType <-> enum tc_coll. Unknown Chakra values give TC_COLL_NONE;
 * tc_et_coll_to returns -1 for kinds Chakra has no collective for (send, recv). */
unsigned tc_et_coll_from(int64_t comm_type);
int tc_et_coll_to(unsigned coll);

/* ---- between chakra.c (records, graph, files) and chakra_node.c (nodes as ops) ---------- */

#define NODE ChakraProtoMsg__Node
#define ATTR ChakraProtoMsg__AttributeProto
#define V(x) CHAKRA_PROTO_MSG__ATTRIBUTE_PROTO__VALUE_##x

struct et_file {
	const char *path; /* the name errors give */
	char *buf;
	size_t len;
	ChakraProtoMsg__GlobalMetadata *meta;
	NODE **nodes;
	size_t n, cap;
	uint32_t *dstart, *deps; /* CSR: dependencies of node i as node indices, sorted */
	uint32_t *order;	 /* topological order (file order among the ready) */
	/* Control dependencies seen. They do not enter the graph: ASTRA-sim schedules by
	 * data_deps, and Chakra's own PyTorch converter writes ctrl_deps (a node's parent in
	 * the operator tree) that name nodes it filtered out and form cycles with the data
	 * dependencies (docs/chakra.md). */
	uint64_t ctrl;
	int rank;
	int ours; /* written by tracecast: its tc_work attributes are the whole truth */
};

/* Names of the attributes that were not mapped, with their counts. */
struct unmapped {
	struct tc_strtab names;
	uint64_t *count;
	size_t cap, n; /* n: counts in use (names.n moves first) */
	uint64_t total;
};

/* What a node's attributes say; has_* = 0 when absent or of a type that is not a number. */
struct nattr {
	int64_t cpu, comm_type, comm_size, src, dst, tag, dur_ns;
	uint8_t has_cpu, has_comm_type, has_comm_size, has_src, has_dst, has_tag, has_dur_ns;
	const char *pg;
	const int64_t *work; /* TC_ET_WORK's TC_ET_WORK_N values, NULL when absent */
};

struct emit {
	struct tc_ops_writer *w;
	struct unmapped un;
	uint64_t *deps;
	size_t deps_cap;
	int64_t *end;
	size_t end_cap;
	uint8_t *cpu; /* node i is a CPU op: 1, 2 once a kernel of it has its work */
	size_t cpu_cap;
	uint64_t other_types, ops, kernels, colls, unknown, with_work;
	struct tc_shape shp[TC_ET_MAX_SHAPES];
	int64_t dims[TC_ET_MAX_DIMS];
};

/* What a node's attributes say, unmapped names counted in u. 0 or TC_ENOMEM. */
int tc_et_node_attrs(const NODE *nd, struct nattr *na, struct unmapped *u);
/* Write the nodes of f (ops base.. in topological order) through e->w. */
int tc_et_emit_file(struct emit *e, const struct et_file *f, uint64_t base, struct tc_err *err);
/* Read a node's input shapes and types as the op would (fuzzing); the number of shapes. */
uint32_t tc_et_check_io(const NODE *nd);
/* One warning listing the attributes not mapped, with counts. */
void tc_et_warn_unmapped(const struct unmapped *u, const struct tc_log *log);

#endif

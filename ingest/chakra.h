/* chakra.h - private to ingest/: what the Chakra execution trace reader (chakra.c) and writer
 * (chakra_write.c) share: the framing of .et files and the collective-kind mapping. The
 * mapping itself is documented in docs/chakra.md. */
#ifndef TC_INGEST_CHAKRA_H
#define TC_INGEST_CHAKRA_H

#include <stddef.h>
#include <stdint.h>

#include "chakra.pb-c.h"

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

/* Input shapes kept per node (IOInfo.shapes), and their dimensions in all. */
#define TC_ET_MAX_SHAPES 16
#define TC_ET_MAX_DIMS 128

/* Chakra CollectiveCommType <-> enum tc_coll. Unknown Chakra values give TC_COLL_NONE;
 * tc_et_coll_to returns -1 for kinds Chakra has no collective for (send, recv). */
unsigned tc_et_coll_from(int64_t comm_type);
int tc_et_coll_to(unsigned coll);

#endif

/* names.c - stable lowercase names of the schema enums (used by dump, reports, specs). */
#include <string.h>

#include "opstream.h"

static const char *const kind_names[TC_KIND__COUNT] = {
    "unknown", "cpu_op", "runtime", "kernel", "memcpy", "memset", "step", "node", "annotation",
};
static const char *const class_names[TC_CLASS__COUNT] = {
    "other",   "gemm",	    "conv", "attention", "elementwise", "reduction", "norm",
    "softmax", "embedding", "copy", "memset",	 "collective",	"optimizer", "host",
};
static const char *const rt_names[TC_RT__COUNT] = {
    "none",	   "launch",	  "graph_launch", "memcpy",	  "memcpy_async",      "memset",
    "device_sync", "stream_sync", "event_sync",	  "event_record", "stream_wait_event", "other",
};
static const char *const copy_names[TC_COPY__COUNT] = {"unknown", "h2d", "d2h", "d2d", "p2p"};
static const char *const dtype_names[TC_DT__COUNT] = {
    "unknown", "fp32",	"fp16",	 "bf16",  "fp64",  "tf32", "fp8_e4m3", "fp8_e5m2",
    "int8",    "uint8", "int16", "int32", "int64", "bool", "fp4",
};
static const unsigned dtype_sizes[TC_DT__COUNT] = {0, 4, 2, 2, 8, 4, 1, 1, 1, 1, 2, 4, 8, 1, 1};
static const char *const coll_names[TC_COLL__COUNT] = {
    "none", "allreduce", "allgather", "reduce_scatter", "alltoall", "broadcast", "reduce",
    "send", "recv",	 "sendrecv",  "barrier",	"gather",   "scatter",
};

#define NAME_OF(tab, v) ((v) < TC_ARRAY_LEN(tab) && (tab)[v] ? (tab)[v] : "?")

const char *tc_kind_name(unsigned k)
{
	return NAME_OF(kind_names, k);
}
const char *tc_class_name(unsigned c)
{
	return NAME_OF(class_names, c);
}
const char *tc_rt_name(unsigned r)
{
	return NAME_OF(rt_names, r);
}
const char *tc_copy_name(unsigned c)
{
	return NAME_OF(copy_names, c);
}
const char *tc_dtype_name(unsigned d)
{
	return NAME_OF(dtype_names, d);
}
const char *tc_coll_name(unsigned c)
{
	return NAME_OF(coll_names, c);
}
unsigned tc_dtype_size(unsigned d)
{
	return d < TC_DT__COUNT ? dtype_sizes[d] : 0;
}

static int parse(const char *const *tab, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (tab[i] && strcmp(tab[i], s) == 0)
			return (int)i;
	return -1;
}

int tc_class_parse(const char *s)
{
	return parse(class_names, TC_ARRAY_LEN(class_names), s);
}
int tc_dtype_parse(const char *s)
{
	return parse(dtype_names, TC_ARRAY_LEN(dtype_names), s);
}
int tc_coll_parse(const char *s)
{
	return parse(coll_names, TC_ARRAY_LEN(coll_names), s);
}

void tc_op_init(struct tc_op *op)
{
	memset(op, 0, sizeof(*op));
	op->parent = TC_NONE;
	op->link = TC_NONE;
	op->dur_ns = -1;
	op->coll_peer = -1;
}

/* Shared helpers of the proto tests: a temp dir and a deterministic op generator. */
#ifndef PROTO_COMMON_H
#define PROTO_COMMON_H
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "opstream.h"

static inline char *tmp_path(const char *name)
{
	static char buf[512];
	const char *dir = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	snprintf(buf, sizeof(buf), "%s/tc_proto_%ld_%s", dir, (long)getpid(), name);
	return buf;
}

/* xorshift: deterministic pseudo-random ops */
static inline uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static inline struct tc_ops_header sample_header(void)
{
	static const char *files[] = {"rank0.json", "rank1.json"};
	static const struct tc_device devs[] = {
	    {0, 0, TC_DEV_GPU, 0, "NVIDIA A100-SXM4-80GB", "a100-sxm4-80gb", "nvidia", "sm_80",
	     85899345920ULL, 108},
	    {1, 1, TC_DEV_GPU, 1, "NVIDIA A100-SXM4-80GB", "", "nvidia", "", 0, 0},
	};
	static const uint32_t ranks[] = {0, 1};
	static const struct tc_kv meta[] = {{"schema", "2024"}, {"pytorch", "2.4.0"}};
	struct tc_ops_header h = {0};
	h.source_format = "synthetic";
	h.source_files = files;
	h.n_source_files = 2;
	h.devices = devs;
	h.n_devices = 2;
	h.world_size = 8;
	h.ranks = ranks;
	h.n_ranks = 2;
	h.base_time_ns = 1700000000123456789LL;
	h.meta = meta;
	h.n_meta = 2;
	return h;
}

#endif

/* store_common.h - helpers shared by the store tests: temp dirs and hand-made points. */
#ifndef TC_TEST_STORE_COMMON_H
#define TC_TEST_STORE_COMMON_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"

/* A fresh directory under $TMPDIR (or /tmp); the path is written to buf. */
static inline void tmpdir(char *buf, size_t n)
{
	const char *t = getenv("TMPDIR");
	snprintf(buf, n, "%s/tc-store-XXXXXX", t && *t ? t : "/tmp");
	if (!mkdtemp(buf))
		abort();
}

/* Point i of a test sweep: config "cfg<i>" with one override bw=<value>, made-up numbers
 * chosen so the expected answers can be worked out by hand in each test. */
struct tpoint {
	char hash[40], spec[64], value[32];
	struct tc_store_param param;
	struct tc_store_config cfg;
	struct tc_store_result res;
};

static inline void tpoint_init(struct tpoint *p, const char *trace_hash, int i, const char *value,
			       double step_ns, double ppw, double ppd)
{
	memset(p, 0, sizeof(*p));
	snprintf(p->hash, sizeof(p->hash), "cfg%02d", i);
	snprintf(p->spec, sizeof(p->spec), "{\"id\":\"test\",\"n\":%d}", i);
	snprintf(p->value, sizeof(p->value), "%s", value);
	p->param.key = "memory.hbm.bw_gbs";
	p->param.value = p->value;
	p->cfg.hash = p->hash;
	p->cfg.base = "h100-sxm5";
	p->cfg.spec = p->spec;
	p->cfg.params = &p->param;
	p->cfg.n_params = 1;
	p->res.trace_hash = trace_hash;
	p->res.config_hash = p->hash;
	p->res.tool_version = "test-1";
	p->res.sweep_key = "sweep-a";
	p->res.steps = 2;
	p->res.source_step_ns = 1000;
	p->res.step_ns = step_ns;
	p->res.speedup = 1000 / step_ns;
	p->res.bound_ns[TC_BOUND_COMPUTE] = step_ns;
	p->res.class_ns[TC_CLASS_GEMM] = step_ns / 2;
	p->res.energy_j = NAN; /* stored as NULL */
	p->res.dollars = 1 / ppd;
	p->res.perf_per_watt = ppw;
	p->res.perf_per_dollar = ppd;
}

static inline void put_trace(struct tc_store *s, const char *hash, const char *path)
{
	struct tc_err err = TC_ERR_INIT;
	struct tc_store_trace t = {hash, path, "a100-sxm4-80gb", 10, 4};
	if (tc_store_put_trace(s, &t, &err) < 0) {
		fprintf(stderr, "put_trace: %s\n", err.msg);
		abort();
	}
}

/* Store points p[0..n) one transaction; returns how many were new. */
static inline size_t put(struct tc_store *s, struct tpoint *p, size_t n, struct tc_err *err)
{
	struct tc_store_config cfg[64];
	struct tc_store_result res[64];
	size_t added = 0;
	for (size_t i = 0; i < n; i++) {
		cfg[i] = p[i].cfg;
		res[i] = p[i].res;
	}
	if (tc_store_put_points(s, cfg, res, n, &added, err) < 0)
		return (size_t)-1;
	return added;
}

/* The single cell of a one-row query, copied into buf ("" for NULL). */
static inline const char *one(struct tc_store *s, const char *sql, char *buf, size_t n)
{
	struct tc_err err = TC_ERR_INIT;
	struct tc_store_rows *r = NULL;
	buf[0] = 0;
	if (tc_store_sql(s, sql, &r, &err) < 0) {
		snprintf(buf, n, "ERR %.200s", err.msg);
		return buf;
	}
	if (r->nrows && tc_store_cell(r, 0, 0))
		snprintf(buf, n, "%s", tc_store_cell(r, 0, 0));
	tc_store_rows_free(r);
	return buf;
}

#endif

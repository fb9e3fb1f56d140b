/* store.h - the results database of design-space sweeps, and the sweep plan (grid axes,
 * random samples, shards) that fills it. docs/results-db.md is the normative schema.
 *
 * One function table, two backends: SQLite (a single file in WAL mode, the default) and
 * PostgreSQL (libpq, "postgresql://..." or "postgres://..."; compiled in only when libpq
 * was found). Both hold the same tables, written with the same SQL. A point is keyed by
 * (trace hash, config hash, tool version): writes of a point already stored are ignored, so
 * re-running a sweep, or two shards overlapping, never duplicates a row.
 *
 * Handles are opaque; *_free / _close accept NULL. Functions that can fail return 0 or a
 * negative TC_E* and fill err with one line naming the database (passwords masked). A store
 * handle is used by one thread at a time.
 */
#ifndef TC_STORE_H
#define TC_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"
#include "opstream.h"
#include "hwmodel.h"

/* Schema version written by this tracecast. Older databases are migrated forward on open
 * (not when read-only); newer ones are refused. */
#define TC_STORE_SCHEMA_VERSION 2

/* ---- opening ------------------------------------------------------------------------------ */

struct tc_store;

struct tc_store_opts {
	int read_only;	    /* 1: never create, migrate or write (queries) */
	int busy_ms;	    /* SQLite: how long to wait on a lock; 0 = 10000 */
	int schema_version; /* create / migrate only up to this version; 0 = current (tests) */
};
#define TC_STORE_OPTS_INIT                                                                         \
	{                                                                                          \
		0                                                                                  \
	}

/* uri: "postgresql://..." / "postgres://..." (libpq), "file:..." (an SQLite URI), or a path
 * to an SQLite file (created when missing unless read_only). An empty database gets the
 * schema; a database of another application, of a newer schema version, or read-only while
 * opened for writing is refused (TC_EVERSION / TC_EDB). A PostgreSQL URI without libpq
 * compiled in gives TC_EUNSUPPORTED. opts may be NULL. */
int tc_store_open(struct tc_store **out, const char *uri, const struct tc_store_opts *opts,
		  struct tc_err *err);
void tc_store_close(struct tc_store *s);
/* "sqlite" or "postgresql". */
const char *tc_store_backend(const struct tc_store *s);
/* The schema version of the open database (after any migration). */
int tc_store_schema_version(const struct tc_store *s);
/* 1 when the PostgreSQL backend was compiled in. */
int tc_store_has_postgresql(void);

/* ---- writing ------------------------------------------------------------------------------ */

/* A sweep: its key is a hash of everything that defines it (base, grid, sample, traces). */
struct tc_store_sweep {
	const char *key;
	const char *base;   /* base chip id */
	const char *grid;   /* JSON array of "key=values" strings, as given */
	const char *traces; /* JSON array of trace hashes */
	const char *mode;   /* "grid" or "random" */
	uint64_t seed, n_configs, n_points;
	const char *tool_version;
};

struct tc_store_trace {
	const char *hash;	 /* content hash of the .tcs */
	const char *path;	 /* as given on the command line when first stored */
	const char *source_chip; /* chip id the stream's device matched; NULL = unknown */
	uint64_t ops, gpu_ops;
};

/* One override of a configuration: key path and value as given ("5000"). */
struct tc_store_param {
	const char *key, *value;
};

struct tc_store_config {
	const char *hash; /* hash of spec */
	const char *base; /* base chip id */
	const char *spec; /* resolved spec, canonical JSON (tc_chip_config_json) */
	const struct tc_store_param *params; /* the overrides, in axis order */
	size_t n_params;
};

/* One projection: the trace on the configuration. Per-step figures are over the job's steps
 * (the k-th step of every rank together, as in the projection report). NaN = unknown (stored
 * as NULL). */
struct tc_store_result {
	const char *trace_hash, *config_hash, *tool_version, *sweep_key;
	uint64_t steps;
	double source_step_ns, step_ns, speedup;
	double bound_ns[TC_BOUND__COUNT]; /* projected step time by bound, per step */
	double class_ns[TC_CLASS__COUNT]; /* projected GPU time by op class, per step */
	double energy_j;		  /* per step, per device */
	double dollars;			  /* per step, per device */
	double perf_per_watt;		  /* steps per joule (= steps/s per W) */
	double perf_per_dollar;		  /* steps per dollar */
};

int tc_store_put_sweep(struct tc_store *s, const struct tc_store_sweep *sw, struct tc_err *err);
int tc_store_put_trace(struct tc_store *s, const struct tc_store_trace *t, struct tc_err *err);
/* Store n points in one transaction: configs[i] (may repeat; stored once) with results[i],
 * and the config's membership of the sweep. Points already stored are left alone; *added
 * (may be NULL) receives how many results were new. All or nothing. */
int tc_store_put_points(struct tc_store *s, const struct tc_store_config *configs,
			const struct tc_store_result *results, size_t n, size_t *added,
			struct tc_err *err);

/* Call fn for every stored point of tool_version: the resume set. fn returns 0 to go on. */
typedef int (*tc_store_key_fn)(void *ctx, const char *trace_hash, const char *config_hash);
int tc_store_each_point(struct tc_store *s, const char *tool_version, tc_store_key_fn fn, void *ctx,
			struct tc_err *err);

/* ---- reading ------------------------------------------------------------------------------ */

/* A result set: every cell as text (NULL for SQL NULL), numbers in the C locale. */
struct tc_store_rows {
	size_t ncols, nrows;
	char **names;	  /* ncols */
	char **cells;	  /* nrows * ncols, row-major */
	uint8_t *numeric; /* per column: 1 when every non-NULL cell parses as a number */
	size_t cap;	  /* cells allocated (private) */
};
/* Run one SQL statement (raw queries; read-only stores refuse writes). Caller frees. */
int tc_store_sql(struct tc_store *s, const char *sql, struct tc_store_rows **out,
		 struct tc_err *err);
void tc_store_rows_free(struct tc_store_rows *r);
/* The stored sweeps (sweep_key, base) in the order they were first stored, the latest last:
 * what `report --db` picks from when no sweep is named. */
int tc_store_sweeps(struct tc_store *s, struct tc_store_rows **out, struct tc_err *err);
static inline const char *tc_store_cell(const struct tc_store_rows *r, size_t row, size_t col)
{
	return r->cells[row * r->ncols + col];
}

/* Canned questions (docs/results-db.md). where: "col=value" terms joined by ',' or " and "
 * over trace (hash prefix or path), config (hash prefix), sweep, chip (base) and any
 * swept key path; NULL = all. Rows are sorted deterministically. */
/* Points not dominated on the two metrics (higher is better for perf_* and speedup, lower
 * for step_ns, energy_j and dollars). */
int tc_store_pareto(struct tc_store *s, const char *metric_a, const char *metric_b,
		    const char *where, struct tc_store_rows **out, struct tc_err *err);
/* The best point per trace on a metric. */
int tc_store_best(struct tc_store *s, const char *metric, const char *where,
		  struct tc_store_rows **out, struct tc_err *err);
/* For each value of a swept key: mean, min and max step time and speedup over the points
 * with that value, per trace. */
int tc_store_sensitivity(struct tc_store *s, const char *key, const char *where,
			 struct tc_store_rows **out, struct tc_err *err);

/* ---- the sweep plan ----------------------------------------------------------------------- */

/* One grid axis: a key path and its values as text. */
struct tc_grid_axis {
	char *key;
	char **values;
	size_t n;
};

struct tc_grid {
	struct tc_grid_axis *axes;
	size_t n_axes;
	struct tc_arena arena;
};
#define TC_GRID_INIT                                                                               \
	{                                                                                          \
		.axes = NULL                                                                       \
	}

/* Add "key=v1,v2,v3" or "key=lo:hi:n" (n values evenly spaced, both ends included). Errors:
 * no '=', an empty value, an empty range (n < 1, hi < lo), a key given twice. */
int tc_grid_add(struct tc_grid *g, const char *arg, struct tc_err *err);
/* Every key must exist in the base chip's resolved spec and hold a number there. */
int tc_grid_check(const struct tc_grid *g, const struct tc_chip *base, struct tc_err *err);
/* Configurations in the cross product (1 with no axes); TC_EINVAL past 2^40. */
int tc_grid_count(const struct tc_grid *g, uint64_t *out, struct tc_err *err);
/* Values of configuration idx (mixed radix, last axis fastest) into vals[n_axes]. */
void tc_grid_values(const struct tc_grid *g, uint64_t idx, const char **vals);
void tc_grid_free(struct tc_grid *g);

/* Choose k distinct configuration indices out of n, deterministic for a seed, sorted.
 * k > n gives all n. Caller frees *out. */
int tc_sample_indices(uint64_t n, uint64_t k, uint64_t seed, uint64_t **out, uint64_t *n_out,
		      struct tc_err *err);

/* Shard K of N (0 <= K < N). */
struct tc_shard {
	uint64_t k, n;
};
/* Parse "K/N". */
int tc_shard_parse(const char *s, struct tc_shard *out, struct tc_err *err);
/* From the environment of an array job when no --shard is given: SLURM_ARRAY_TASK_ID with
 * SLURM_ARRAY_TASK_COUNT (offset by SLURM_ARRAY_TASK_MIN), JOB_COMPLETION_INDEX (Kubernetes
 * Indexed Job) or AWS_BATCH_JOB_ARRAY_INDEX with count (the job's completions / array size,
 * from --shard-count or TC_SHARD_COUNT). getenv_fn lets tests pass an environment; NULL =
 * getenv. Returns 1 when a shard was found, 0 when none (whole sweep), or an error. */
typedef const char *(*tc_getenv_fn)(const char *name);
int tc_shard_from_env(tc_getenv_fn getenv_fn, uint64_t count, struct tc_shard *out,
		      struct tc_err *err);
/* 1 when point p belongs to the shard (p mod N == K). */
static inline int tc_shard_has(const struct tc_shard *sh, uint64_t p)
{
	return sh->n <= 1 || p % sh->n == sh->k;
}

/* Hex digest (32 chars + NUL) of bytes: two 64-bit tc_hash64 lanes. */
void tc_store_hash_hex(const void *data, size_t n, char out[33]);

#endif

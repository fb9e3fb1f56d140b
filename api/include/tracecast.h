/* tracecast.h - the tracecast library: one projection pipeline (inputs -> ingest if needed ->
 * dependency graph -> replay on a target chip -> results) behind a small, versioned C API for
 * programs and language bindings (the Python package in python/ uses it through ctypes).
 * docs/api.md.
 *
 * Requests and results are JSON text, so a binding needs no struct layouts and the API can
 * grow without breaking its ABI: a new option is a new request key, a new figure a new result
 * key. Every call takes a context (struct tc_api: the chip library, the last error); there is
 * no global state, and one context is used by one thread at a time (use one per thread).
 *
 * Errors: functions return 0 or a negative TC_E... code (util.h) and keep a one-line message
 * ("cause: cause: problem", naming the file and the place) until the next call on the
 * context: tc_api_error(). Strings returned through char ** belong to the caller: free them
 * with tc_api_free(). */
#ifndef TRACECAST_H
#define TRACECAST_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The API's version: bumped when a call or a request key changes meaning. Requests and
 * results only gain keys within a version. */
#define TC_API_VERSION 1

int tc_api_version(void);
/* The library's version string ("0.1.0"). Static. */
const char *tc_api_library_version(void);

struct tc_api;

/* A context. specs_dir: the chip library's folder, NULL = the installed/default one. */
int tc_api_new(struct tc_api **out, const char *specs_dir);
void tc_api_free_ctx(struct tc_api *api); /* NULL is fine */
/* The last error's one-line message ("" after a success). Borrowed until the next call. */
const char *tc_api_error(const struct tc_api *api);
void tc_api_free(void *p);

/* Project traces onto a target chip. request (JSON object):
 *   "inputs": [paths]            traces of one job (one file per rank), a .tcs, an ONNX model
 *                                 or an op table (required)
 *   "target": "chip or spec.json" (required)
 *   "source": "chip"              default: from the trace's devices
 *   "set": ["key=value", ...]     overrides on the target
 *   "host_scale", "gpu_scale": n  what-ifs (default 1)
 *   "steps": n                    report the first n steps per rank (default all)
 *   "band": n                     draws of the uncertainty band (default 40, 0 = none)
 *   "jobs": n                     threads (default 0: one per core, at most 4): n - 1
 *                                 draw the band while the run goes on; same figures
 *   "infer_waits": bool           default true
 *   "dims": ["name=value"], "training": bool, "dtype": "bf16|fp16|fp8|fp32"   ONNX inputs
 *   "ops": bool                   also return the per-op table (CSV) in *ops_csv
 * *json: the projection report (schema tracecast.projection, docs/projection.md §5).
 * *ops_csv: NULL unless "ops" is true. */
int tc_api_project(struct tc_api *api, const char *request, char **json, char **ops_csv);

/* Ingest traces or a model into an opstream. request: {"inputs": [...], "output": path,
 * "dims": [...], "training": bool, "dtype": "bf16"}. The output is written under a temporary name
 * and renamed only when complete. */
int tc_api_ingest(struct tc_api *api, const char *request);

/* The chip library: a JSON array of {"id", "name", "vendor", "peak_tflops": {dtype: n},
 * "hbm_gbs", "hbm_gb", "tdp_w", "scale_up": {"name", "bw_gbs_per_device"}}, in id order. */
int tc_api_chips(struct tc_api *api, char **json);

/* One SQL query on a results database (SQLite path or postgresql:// URI): a JSON object
 * {"columns": [...], "rows": [[...], ...]} with every value as text or null. */
int tc_api_query(struct tc_api *api, const char *db, const char *sql, char **json);

/* Progress of a long call: done of total units (sweep points), on the calling thread about
 * every 0.1 s and once at the end. Return non-zero to cancel cleanly: the call stops soon,
 * keeps (and stores) what it computed and reports "cancelled": true. */
typedef int (*tc_api_progress_fn)(void *user, uint64_t done, uint64_t total);

/* Project traces onto every configuration of a grid, in parallel: the engine of
 * `tracecast sweep`. request (JSON object):
 *   "traces": [paths]             opstreams (.tcs), each loaded once (required)
 *   "target": "chip or spec.json"  the chip the grid overrides (the command's --base; required)
 *   "grid": {"key": [v1, v2, ...] | "lo:hi:n" | v, ...}   or ["key=v1,v2", "key=lo:hi:n"]
 *                                 spec key paths, and scale.world_size / scale.dp|tp|pp|ep
 *   "db": "results.db"            also store into this database (SQLite path or
 *                                 postgresql://...) and skip points already there; default none
 *   "source": "chip"              default: from each trace's devices
 *   "random": n, "seed": s        a random sample of n configurations (seed default 1)
 *   "jobs": n                     worker threads (default: the number of cores)
 *   "shard": "K/N"                only the K-th of N disjoint parts
 *   "limit": n                    stop after n new points
 *   "memo": bool                  re-price configurations whose op costs were simulated
 *                                 before (default true; the same figures either way)
 * progress (may be NULL) is called with points done and the total. *json: {"sweep": key,
 * "configurations", "points", "computed", "stored", "skipped", "cancelled", "complete",
 * "rows": [...]}: one row per point computed by this call, sorted by configuration then
 * trace: "trace" (path), each grid key with its value, "steps", "source_step_ns", "step_ns",
 * "speedup", "<bound>_ns" per bound, "class_ns": {class: ns}, "energy_j", "dollars",
 * "perf_per_watt", "perf_per_dollar", "config_hash", "trace_hash" (the database's columns;
 * NaN as null). Points found already stored are counted in "skipped", not returned. */
int tc_api_sweep(struct tc_api *api, const char *request, tc_api_progress_fn progress, void *user,
		 char **json);

#ifdef __cplusplus
}
#endif

#endif

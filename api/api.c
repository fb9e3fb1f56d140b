/* api.c - the library API (tracecast.h): JSON requests in, JSON results out, over the
 * pipeline of pipeline.c. */
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline.h"
#include "store.h"
#include "sweep.h"
#include "tc_config.h"
#include "tracecast.h"

struct tc_api {
	char *specs;
	struct tc_err err;
};

int tc_api_version(void)
{
	return TC_API_VERSION;
}

const char *tc_api_library_version(void)
{
	return TC_VERSION_STRING;
}

int tc_api_new(struct tc_api **out, const char *specs_dir)
{
	*out = calloc(1, sizeof(**out));
	if (!*out)
		return TC_ENOMEM;
	(*out)->specs = specs_dir ? tc_xstrdup(specs_dir) : NULL;
	return 0;
}

void tc_api_free_ctx(struct tc_api *api)
{
	if (!api)
		return;
	free(api->specs);
	free(api);
}

const char *tc_api_error(const struct tc_api *api)
{
	return api ? api->err.msg : "no context";
}

void tc_api_free(void *p)
{
	free(p);
}

/* ---- requests ------------------------------------------------------------------------------ */

/* A JSON array of strings as a NULL-padded vector borrowed from the document. */
static int strings(json_t *req, const char *key, const char ***out, size_t *n, struct tc_err *err)
{
	json_t *a = json_object_get(req, key);
	*out = NULL;
	*n = 0;
	if (!a)
		return 0;
	if (json_is_string(a)) {
		*out = tc_xcalloc(2, sizeof(char *));
		(*out)[(*n)++] = json_string_value(a);
		return 0;
	}
	if (!json_is_array(a))
		return tc_err_set(err, TC_EINVAL, "request: \"%s\" must be a list of strings", key);
	*out = tc_xcalloc(json_array_size(a) + 1, sizeof(char *));
	for (size_t i = 0; i < json_array_size(a); i++) {
		json_t *s = json_array_get(a, i);
		if (!json_is_string(s)) {
			free(*out);
			*out = NULL;
			return tc_err_set(err, TC_EINVAL, "request: \"%s\"[%zu] is not a string",
					  key, i);
		}
		(*out)[(*n)++] = json_string_value(s);
	}
	return 0;
}

static int parse_request(const char *text, json_t **out, struct tc_err *err)
{
	json_error_t je;
	*out = text ? json_loads(text, JSON_REJECT_DUPLICATES, &je) : NULL;
	if (!*out)
		return tc_err_set(err, TC_EINVAL, "request: %s", text ? je.text : "none given");
	if (!json_is_object(*out)) {
		json_decref(*out);
		*out = NULL;
		return tc_err_set(err, TC_EINVAL, "request: not a JSON object");
	}
	return 0;
}

static const char *str(json_t *req, const char *key)
{
	json_t *v = json_object_get(req, key);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

static int number(json_t *req, const char *key, double dflt, double *out, struct tc_err *err)
{
	json_t *v = json_object_get(req, key);
	*out = dflt;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_number(v))
		return tc_err_set(err, TC_EINVAL, "request: \"%s\" must be a number", key);
	*out = json_number_value(v);
	return 0;
}

/* Every key of the request must be one the call knows: a typo is an error, not a default. */
static int known_keys(json_t *req, const char *const *keys, struct tc_err *err)
{
	const char *k;
	json_t *v;
	json_object_foreach(req, k, v)
	{
		int ok = 0;
		for (size_t i = 0; keys[i] && !ok; i++)
			ok = strcmp(keys[i], k) == 0;
		if (!ok)
			return tc_err_set(err, TC_EINVAL, "request: unknown key \"%s\"", k);
	}
	return 0;
}

/* A writer into a string the caller frees. */
static int to_string(int (*write)(const struct tc_replay *, FILE *, struct tc_err *),
		     const struct tc_replay *r, char **out, struct tc_err *err)
{
	size_t len = 0;
	FILE *fp = open_memstream(out, &len);
	if (!fp)
		return tc_err_set(err, TC_ENOMEM, "out of memory");
	int rc = write(r, fp, err);
	if (fclose(fp) != 0 && rc == 0)
		rc = tc_err_set(err, TC_EIO, "result: write failed");
	if (rc < 0) {
		free(*out);
		*out = NULL;
	}
	return rc;
}

/* ---- calls --------------------------------------------------------------------------------- */

static const char *const project_keys[] = {
    "inputs",	   "target", "source",	 "set", "host_scale", "gpu_scale", "steps", "band",
    "infer_waits", "dims",   "training", "ops", "dtype",      "jobs",	   NULL};

/* "dtype": the precision an ONNX model runs at; 0 when absent */
static int dtype_of(json_t *req, unsigned *out, struct tc_err *err)
{
	*out = 0;
	json_t *v = json_object_get(req, "dtype");
	if (!v || json_is_null(v))
		return 0;
	int d = json_is_string(v) ? tc_pipeline_run_dtype(json_string_value(v)) : -1;
	if (d < 0)
		return tc_err_set(err, TC_EINVAL,
				  "request: \"dtype\" must be bf16, fp16, fp8 or fp32");
	*out = (unsigned)d;
	return 0;
}

int tc_api_project(struct tc_api *api, const char *request, char **json, char **ops_csv)
{
	struct tc_err *err = &api->err;
	json_t *req = NULL;
	struct tc_pipeline_req p = TC_PIPELINE_REQ_INIT;
	struct tc_pipeline run;
	memset(&run, 0, sizeof(run));
	*json = NULL;
	if (ops_csv)
		*ops_csv = NULL;
	memset(err, 0, sizeof(*err));
	int rc = parse_request(request, &req, err);
	double host = 1, gpu = 1, steps = -1, band = TC_REPLAY_BAND_DRAWS, jobs = 0;
	if (rc == 0)
		rc = known_keys(req, project_keys, err);
	const char **inputs = NULL, **sets = NULL, **dims = NULL;
	if (rc == 0)
		rc = strings(req, "inputs", &inputs, &p.n_inputs, err);
	if (rc == 0)
		rc = strings(req, "set", &sets, &p.n_sets, err);
	if (rc == 0)
		rc = strings(req, "dims", &dims, &p.n_dims, err);
	p.inputs = inputs;
	p.sets = sets;
	p.dims = dims;
	if (rc == 0 && (rc = number(req, "host_scale", 1, &host, err)) == 0 &&
	    (rc = number(req, "gpu_scale", 1, &gpu, err)) == 0 &&
	    (rc = number(req, "steps", -1, &steps, err)) == 0)
		rc = number(req, "band", TC_REPLAY_BAND_DRAWS, &band, err);
	if (rc == 0)
		rc = number(req, "jobs", 0, &jobs, err);
	if (rc == 0 && !p.n_inputs)
		rc = tc_err_set(err, TC_EINVAL, "request: no \"inputs\"");
	if (rc == 0 && !(p.target = str(req, "target")))
		rc = tc_err_set(err, TC_EINVAL, "request: no \"target\" chip");
	if (rc == 0)
		rc = dtype_of(req, &p.dtype, err);
	if (rc == 0 && (band < 0 || band > 10000))
		rc = tc_err_set(err, TC_EINVAL, "request: \"band\" must be 0-10000 draws");
	if (rc == 0 && !(jobs >= 0 && jobs <= 256 && jobs == (int)jobs))
		rc = tc_err_set(err, TC_EINVAL,
				"request: \"jobs\" must be 0-256 threads (0 = one per core)");
	if (rc == 0) {
		p.source = str(req, "source");
		p.specs = api->specs;
		p.training = json_is_true(json_object_get(req, "training"));
		p.opts.host_scale = host;
		p.opts.gpu_scale = gpu;
		p.opts.max_steps = steps > 0 ? (int64_t)steps : -1;
		p.opts.band_draws = (int)band;
		p.opts.jobs = (int)jobs;
		p.opts.no_infer_waits = json_is_false(json_object_get(req, "infer_waits"));
		rc = tc_pipeline_run(&p, &run, err);
	}
	if (rc == 0)
		rc = to_string(tc_replay_write_json, run.replay, json, err);
	if (rc == 0 && ops_csv && json_is_true(json_object_get(req, "ops")))
		rc = to_string(tc_replay_write_ops_csv, run.replay, ops_csv, err);
	if (rc < 0) {
		free(*json);
		*json = NULL;
	}
	tc_pipeline_free(&run);
	free(inputs);
	free(sets);
	free(dims);
	json_decref(req);
	return rc;
}

static const char *const ingest_keys[] = {"inputs", "output", "dims", "training", "dtype", NULL};

int tc_api_ingest(struct tc_api *api, const char *request)
{
	struct tc_err *err = &api->err;
	json_t *req = NULL;
	const char **inputs = NULL, **dims = NULL;
	size_t n_in = 0, n_dims = 0;
	memset(err, 0, sizeof(*err));
	int rc = parse_request(request, &req, err);
	if (rc == 0)
		rc = known_keys(req, ingest_keys, err);
	if (rc == 0)
		rc = strings(req, "inputs", &inputs, &n_in, err);
	if (rc == 0)
		rc = strings(req, "dims", &dims, &n_dims, err);
	unsigned dtype = 0;
	if (rc == 0)
		rc = dtype_of(req, &dtype, err);
	const char *out = rc == 0 ? str(req, "output") : NULL;
	if (rc == 0 && (!n_in || !out))
		rc = tc_err_set(err, TC_EINVAL, "request: needs \"inputs\" and \"output\"");
	if (rc == 0) {
		struct tc_ingest_opts io = TC_INGEST_OPTS_INIT;
		io.dims = dims;
		io.n_dims = n_dims;
		io.training = json_is_true(json_object_get(req, "training"));
		io.dtype = dtype;
		rc = tc_ingest_files(inputs, n_in, out, &io, NULL, err);
	}
	free(inputs);
	free(dims);
	json_decref(req);
	return rc;
}

int tc_api_chips(struct tc_api *api, char **json)
{
	struct tc_err *err = &api->err;
	struct tc_hw *hw = NULL;
	memset(err, 0, sizeof(*err));
	*json = NULL;
	int rc = tc_hw_open(&hw, api->specs, err);
	if (rc < 0)
		return rc;
	const char *const *ids;
	size_t n = tc_hw_list(hw, &ids);
	json_t *a = json_array();
	for (size_t i = 0; i < n && rc == 0; i++) {
		struct tc_chip *c = NULL;
		if ((rc = tc_hw_load(hw, ids[i], NULL, 0, &c, err)) < 0)
			break;
		/* the matrix engine's peaks as the spec lists them (docs/hwmodel.md) */
		static const char *const dts[] = {"fp64", "fp32", "tf32", "bf16",
						  "fp16", "fp8",  "int8", "fp4"};
		json_t *peaks = json_object();
		for (size_t d = 0; d < sizeof(dts) / sizeof(dts[0]); d++) {
			char key[64];
			snprintf(key, sizeof(key), "compute.matrix.peak_tflops.%s", dts[d]);
			const char *v = tc_chip_get(c, key, NULL);
			if (v && strtod(v, NULL) > 0)
				json_object_set_new(peaks, dts[d], json_real(strtod(v, NULL)));
		}
		const char *cap = tc_chip_get(c, "memory.hbm.capacity_gb", NULL);
		const char *up = tc_chip_get(c, "network.scale_up.bw_gbs_per_device", NULL);
		json_t *upname = json_loads(tc_chip_get(c, "network.scale_up.name", NULL)
						? tc_chip_get(c, "network.scale_up.name", NULL)
						: "null",
					    JSON_DECODE_ANY, NULL);
		json_array_append_new(
		    a,
		    json_pack("{s:s, s:s, s:s, s:o, s:f, s:f, s:f, s:{s:o, s:f}}", "id",
			      tc_chip_id(c), "name", tc_chip_name(c), "vendor", tc_chip_vendor(c),
			      "peak_tflops", peaks, "hbm_gbs", tc_chip_mem_bw(c) / 1e9, "hbm_gb",
			      cap ? strtod(cap, NULL) : 0.0, "tdp_w", tc_chip_tdp_w(c), "scale_up",
			      "name", upname ? upname : json_null(), "bw_gbs_per_device",
			      up ? strtod(up, NULL) : 0.0));
		tc_chip_free(c);
	}
	tc_hw_free(hw);
	if (rc == 0) {
		*json = json_dumps(a, JSON_COMPACT | JSON_REAL_PRECISION(10));
		if (!*json)
			rc = tc_err_set(err, TC_ENOMEM, "out of memory");
	}
	json_decref(a);
	return rc;
}

int tc_api_query(struct tc_api *api, const char *db, const char *sql, char **json)
{
	struct tc_err *err = &api->err;
	struct tc_store *s = NULL;
	struct tc_store_rows *rows = NULL;
	struct tc_store_opts o = TC_STORE_OPTS_INIT;
	memset(err, 0, sizeof(*err));
	*json = NULL;
	if (!db || !sql)
		return tc_err_set(err, TC_EINVAL, "query: needs a database and an SQL statement");
	o.read_only = 1;
	int rc = tc_store_open(&s, db, &o, err);
	if (rc == 0)
		rc = tc_store_sql(s, sql, &rows, err);
	if (rc == 0) {
		json_t *cols = json_array(), *data = json_array();
		for (size_t c = 0; c < rows->ncols; c++)
			json_array_append_new(cols, json_string(rows->names[c]));
		for (size_t r = 0; r < rows->nrows; r++) {
			json_t *row = json_array();
			for (size_t c = 0; c < rows->ncols; c++) {
				const char *v = rows->cells[r * rows->ncols + c];
				json_array_append_new(row, v ? json_string(v) : json_null());
			}
			json_array_append_new(data, row);
		}
		json_t *o2 = json_pack("{s:o, s:o}", "columns", cols, "rows", data);
		*json = json_dumps(o2, JSON_COMPACT);
		json_decref(o2);
	}
	tc_store_rows_free(rows);
	tc_store_close(s);
	return rc;
}

/* ---- sweeps -------------------------------------------------------------------------------- */

static const char *const sweep_keys[] = {"traces", "target", "grid",  "db",    "source", "random",
					 "seed",   "jobs",   "shard", "limit", "memo",	 NULL};

/* One grid axis of the request as the command's argument: "key=v1,v2" or "key=lo:hi:n". */
static int grid_arg(const char *key, json_t *v, char **out, struct tc_err *err)
{
	int one = json_is_string(v) || json_is_number(v);
	size_t n = one ? 1 : json_is_array(v) ? json_array_size(v) : 0;
	if (!n)
		return tc_err_set(err, TC_EINVAL,
				  "request: grid \"%s\" must be a list of values, \"lo:hi:n\" or "
				  "a value",
				  key);
	size_t cap = strlen(key) + 2;
	for (size_t i = 0; i < n; i++) {
		json_t *e = one ? v : json_array_get(v, i);
		cap += 40 + (json_is_string(e) ? strlen(json_string_value(e)) : 0);
	}
	char *s = tc_xcalloc(cap, 1);
	size_t len = (size_t)snprintf(s, cap, "%s=", key);
	for (size_t i = 0; i < n; i++) {
		json_t *e = one ? v : json_array_get(v, i);
		char num[64];
		const char *t = json_is_string(e) ? json_string_value(e) : NULL;
		if (!t && json_is_number(e))
			t = tc_fmt_double(num, sizeof(num), json_number_value(e));
		if (!t) {
			free(s);
			return tc_err_set(err, TC_EINVAL,
					  "request: grid \"%s\"[%zu] is not a value", key, i);
		}
		len += (size_t)snprintf(s + len, cap - len, "%s%s", i ? "," : "", t);
	}
	*out = s;
	return 0;
}

/* "grid" as the command's arguments (owned strings in *args). */
static int grid_args(json_t *req, char ***args, size_t *n, struct tc_err *err)
{
	json_t *g = json_object_get(req, "grid");
	*args = NULL;
	*n = 0;
	if (!g || json_is_null(g))
		return 0;
	if (json_is_array(g)) {
		*args = tc_xcalloc(json_array_size(g) + 1, sizeof(char *));
		for (size_t i = 0; i < json_array_size(g); i++) {
			json_t *s = json_array_get(g, i);
			if (!json_is_string(s))
				return tc_err_set(err, TC_EINVAL,
						  "request: \"grid\"[%zu] is not a string", i);
			(*args)[(*n)++] = tc_xstrdup(json_string_value(s));
		}
		return 0;
	}
	if (!json_is_object(g))
		return tc_err_set(err, TC_EINVAL,
				  "request: \"grid\" must be an object {key: values} or a list of "
				  "\"key=values\"");
	*args = tc_xcalloc(json_object_size(g) + 1, sizeof(char *));
	const char *k;
	json_t *v;
	json_object_foreach(g, k, v)
	{
		TC_TRY(grid_arg(k, v, &(*args)[*n], err));
		(*n)++;
	}
	return 0;
}

/* A count: a whole number >= 0. */
static int count(json_t *req, const char *key, uint64_t *out, struct tc_err *err)
{
	double d;
	TC_TRY(number(req, key, (double)*out, &d, err));
	if (!(d >= 0) || d != (double)(uint64_t)d || d > 1e15)
		return tc_err_set(err, TC_EINVAL, "request: \"%s\" must be a whole number >= 0",
				  key);
	*out = (uint64_t)d;
	return 0;
}

struct sweep_rows {
	json_t **row;
	uint64_t *order; /* config << 8 | trace, per row */
	size_t n, cap;
	const char *const *traces;
};

static json_t *num_or_null(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

/* A grid value as a number when it is one (they are spec numbers and layout sizes). */
static json_t *grid_value(const char *text)
{
	char *end;
	double d = strtod(text, &end);
	if (end == text || *end)
		return json_string(text);
	if (d == (double)(long long)d && fabs(d) < 9e15)
		return json_integer((json_int_t)d);
	return json_real(d);
}

static int sweep_row(void *user, const struct tc_sweep_point *p, struct tc_err *err)
{
	struct sweep_rows *R = user;
	const struct tc_store_result *r = p->res;
	json_t *o = json_object(), *cls = json_object();
	(void)err;
	json_object_set_new(o, "trace", json_string(R->traces[p->trace]));
	for (size_t a = 0; a < p->cfg->n_params; a++)
		json_object_set_new(o, p->cfg->params[a].key, grid_value(p->cfg->params[a].value));
	json_object_set_new(o, "steps", json_integer((json_int_t)r->steps));
	json_object_set_new(o, "source_step_ns", num_or_null(r->source_step_ns));
	json_object_set_new(o, "step_ns", num_or_null(r->step_ns));
	json_object_set_new(o, "speedup", num_or_null(r->speedup));
	for (unsigned b = 0; b < TC_BOUND__COUNT; b++) {
		char k[48];
		snprintf(k, sizeof(k), "%s_ns", tc_bound_name(b));
		json_object_set_new(o, k, num_or_null(r->bound_ns[b]));
	}
	for (unsigned c = 0; c < TC_CLASS__COUNT; c++)
		json_object_set_new(cls, tc_class_name(c), num_or_null(r->class_ns[c]));
	json_object_set_new(o, "class_ns", cls);
	json_object_set_new(o, "energy_j", num_or_null(r->energy_j));
	json_object_set_new(o, "dollars", num_or_null(r->dollars));
	json_object_set_new(o, "perf_per_watt", num_or_null(r->perf_per_watt));
	json_object_set_new(o, "perf_per_dollar", num_or_null(r->perf_per_dollar));
	json_object_set_new(o, "config_hash", json_string(r->config_hash));
	json_object_set_new(o, "trace_hash", json_string(r->trace_hash));
	if (R->n == R->cap) {
		size_t cap = R->cap;
		if (tc_grow((void **)&R->row, &cap, R->n + 1, sizeof(*R->row)) < 0 ||
		    tc_grow((void **)&R->order, &R->cap, R->n + 1, sizeof(*R->order)) < 0) {
			json_decref(o);
			return tc_err_set(err, TC_ENOMEM, "out of memory");
		}
	}
	R->row[R->n] = o;
	R->order[R->n++] = p->config << 8 | p->trace;
	return 0;
}

/* Rows in grid order: configuration, then trace (insertion sort of an index: batches arrive
 * nearly in order). */
static json_t *sorted_rows(struct sweep_rows *R)
{
	size_t *ix = tc_xcalloc(R->n ? R->n : 1, sizeof(*ix));
	for (size_t i = 0; i < R->n; i++) {
		size_t j = i;
		while (j > 0 && R->order[ix[j - 1]] > R->order[i]) {
			ix[j] = ix[j - 1];
			j--;
		}
		ix[j] = i;
	}
	json_t *a = json_array();
	for (size_t i = 0; i < R->n; i++)
		json_array_append(a, R->row[ix[i]]);
	free(ix);
	return a;
}

struct api_progress {
	tc_api_progress_fn fn;
	void *user;
};

static int sweep_progress(void *user, uint64_t done, uint64_t total)
{
	struct api_progress *p = user;
	return p->fn(p->user, done, total);
}

static int sweep_request(json_t *req, struct tc_sweep_req *s, struct tc_err *err)
{
	json_t *memo = json_object_get(req, "memo");
	const char *shard = str(req, "shard");
	TC_TRY(known_keys(req, sweep_keys, err));
	if (!(s->base = str(req, "target")))
		return tc_err_set(err, TC_EINVAL, "request: no \"target\" chip");
	if (!s->n_traces)
		return tc_err_set(err, TC_EINVAL, "request: no \"traces\"");
	if (s->n_traces > 256)
		return tc_err_set(err, TC_EINVAL, "request: more than 256 \"traces\"");
	s->db = str(req, "db");
	s->source = str(req, "source");
	TC_TRY(count(req, "random", &s->random_n, err));
	TC_TRY(count(req, "seed", &s->seed, err));
	TC_TRY(count(req, "jobs", &s->jobs, err));
	TC_TRY(count(req, "limit", &s->limit, err));
	if (s->jobs > 256)
		return tc_err_set(err, TC_EINVAL, "request: \"jobs\" %llu: at most 256",
				  (unsigned long long)s->jobs);
	if (memo && !json_is_boolean(memo))
		return tc_err_set(err, TC_EINVAL, "request: \"memo\" must be true or false");
	s->no_memo = json_is_false(memo);
	if (shard && tc_shard_parse(shard, &s->shard, err) < 0)
		return tc_err_wrap(err, "request: \"shard\"");
	return 0;
}

int tc_api_sweep(struct tc_api *api, const char *request, tc_api_progress_fn progress, void *user,
		 char **json)
{
	struct tc_err *err = &api->err;
	json_t *req = NULL;
	struct tc_sweep_req s = TC_SWEEP_REQ_INIT;
	struct sweep_rows R;
	struct tc_sweep_stats st;
	struct api_progress ap = {progress, user};
	const char **traces = NULL;
	char **grid = NULL;
	size_t n_grid = 0;
	memset(&R, 0, sizeof(R));
	memset(err, 0, sizeof(*err));
	*json = NULL;
	int rc = parse_request(request, &req, err);
	if (rc == 0)
		rc = strings(req, "traces", &traces, &s.n_traces, err);
	if (rc == 0)
		rc = grid_args(req, &grid, &n_grid, err);
	if (rc == 0)
		rc = sweep_request(req, &s, err);
	if (rc == 0) {
		s.traces = traces;
		s.grid = (const char *const *)grid;
		s.n_grid = n_grid;
		s.specs = api->specs;
		R.traces = traces;
		rc = tc_sweep_run(&s, progress ? sweep_progress : NULL, &ap, sweep_row, &R, &st,
				  err);
	}
	if (rc == 0) {
		json_t *o = json_pack(
		    "{s:s, s:I, s:I, s:I, s:I, s:I, s:b, s:b, s:o}", "sweep", st.key,
		    "configurations", (json_int_t)st.configs, "points", (json_int_t)st.total,
		    "computed", (json_int_t)st.computed, "stored", (json_int_t)st.stored, "skipped",
		    (json_int_t)st.skipped, "cancelled", st.cancelled, "complete",
		    st.skipped + st.computed >= st.total, "rows", sorted_rows(&R));
		*json = o ? json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(17)) : NULL;
		json_decref(o);
		if (!*json)
			rc = tc_err_set(err, TC_ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < R.n; i++)
		json_decref(R.row[i]);
	free(R.row);
	free(R.order);
	for (size_t i = 0; i < n_grid; i++)
		free(grid[i]);
	free(grid);
	free(traces);
	json_decref(req);
	return rc;
}

/* api.c - the library API (tracecast.h): JSON requests in, JSON results out, over the
 * pipeline of pipeline.c. */
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline.h"
#include "store.h"
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
			return tc_err_set(err, TC_EINVAL, "request: \"%s\"[%zu] is not a string", key,
					  i);
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
    "inputs", "target", "source",	 "set",	 "host_scale", "gpu_scale", "steps",
    "band",   "infer_waits", "dims", "training", "ops", "dtype", NULL};

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
	double host = 1, gpu = 1, steps = -1, band = TC_REPLAY_BAND_DRAWS;
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
	if (rc == 0 && !p.n_inputs)
		rc = tc_err_set(err, TC_EINVAL, "request: no \"inputs\"");
	if (rc == 0 && !(p.target = str(req, "target")))
		rc = tc_err_set(err, TC_EINVAL, "request: no \"target\" chip");
	if (rc == 0)
		rc = dtype_of(req, &p.dtype, err);
	if (rc == 0 && (band < 0 || band > 10000))
		rc = tc_err_set(err, TC_EINVAL, "request: \"band\" must be 0-10000 draws");
	if (rc == 0) {
		p.source = str(req, "source");
		p.specs = api->specs;
		p.training = json_is_true(json_object_get(req, "training"));
		p.opts.host_scale = host;
		p.opts.gpu_scale = gpu;
		p.opts.max_steps = steps > 0 ? (int64_t)steps : -1;
		p.opts.band_draws = (int)band;
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
		    a, json_pack("{s:s, s:s, s:s, s:o, s:f, s:f, s:f, s:{s:o, s:f}}", "id",
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

/* store.c - opening a results database, its schema and migrations, and the writes of a
 * sweep. docs/results-db.md documents every table; a change to the schema is a new entry
 * in migrations[] and a bump of TC_STORE_SCHEMA_VERSION, never an edit of an old entry. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "st_internal.h"

/* ---- schema ------------------------------------------------------------------------------- */

/* Version 1: sweeps, traces, configurations and results. */
static const char *const schema_v1[] = {
    "CREATE TABLE tc_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE sweeps (sweep_key TEXT PRIMARY KEY, base TEXT NOT NULL, grid TEXT NOT NULL, "
    "traces TEXT NOT NULL, mode TEXT NOT NULL, seed BIGINT NOT NULL, n_configs BIGINT NOT NULL, "
    "n_points BIGINT NOT NULL, tool_version TEXT NOT NULL)",
    "CREATE TABLE traces (trace_hash TEXT PRIMARY KEY, path TEXT NOT NULL, source_chip TEXT, "
    "ops BIGINT NOT NULL, gpu_ops BIGINT NOT NULL)",
    "CREATE TABLE configs (config_hash TEXT PRIMARY KEY, base TEXT NOT NULL, "
    "overrides TEXT NOT NULL, spec TEXT NOT NULL)",
    "CREATE TABLE sweep_configs (sweep_key TEXT NOT NULL, config_hash TEXT NOT NULL, "
    "PRIMARY KEY (sweep_key, config_hash))",
    "CREATE TABLE results (trace_hash TEXT NOT NULL, config_hash TEXT NOT NULL, "
    "tool_version TEXT NOT NULL, sweep_key TEXT NOT NULL, steps BIGINT NOT NULL, "
    "source_step_ns DOUBLE PRECISION, step_ns DOUBLE PRECISION, speedup DOUBLE PRECISION, "
    "compute_ns DOUBLE PRECISION, memory_ns DOUBLE PRECISION, comm_ns DOUBLE PRECISION, "
    "launch_ns DOUBLE PRECISION, host_ns DOUBLE PRECISION, idle_ns DOUBLE PRECISION, "
    "class_ns TEXT NOT NULL, energy_j DOUBLE PRECISION, dollars DOUBLE PRECISION, "
    "perf_per_watt DOUBLE PRECISION, perf_per_dollar DOUBLE PRECISION, "
    "PRIMARY KEY (trace_hash, config_hash, tool_version))",
    "CREATE INDEX results_config ON results (config_hash)",
    "CREATE INDEX results_sweep ON results (sweep_key)",
    "CREATE INDEX results_trace_step ON results (trace_hash, step_ns)",
    "INSERT INTO tc_meta (key, value) VALUES ('application', 'tracecast')",
    "INSERT INTO tc_meta (key, value) VALUES ('schema_version', '1')",
    NULL,
};

/* Version 2: the overrides of each configuration as rows, so queries can group and filter
 * on a swept key without JSON functions (which differ between SQLite and PostgreSQL).
 * Backfilled from configs.overrides by backfill_params(). */
static const char *const schema_v2[] = {
    "CREATE TABLE config_params (config_hash TEXT NOT NULL, key TEXT NOT NULL, "
    "value TEXT NOT NULL, num DOUBLE PRECISION, PRIMARY KEY (config_hash, key))",
    "CREATE INDEX config_params_key ON config_params (key, num)",
    NULL,
};

static int backfill_params(struct tc_store *s, struct tc_err *err);

static const struct migration {
	const char *const *ddl;
	int (*fill)(struct tc_store *s, struct tc_err *err);
} migrations[] = {
    {schema_v1, NULL},		  /* 0 -> 1 */
    {schema_v2, backfill_params}, /* 1 -> 2 */
};
_Static_assert(TC_ARRAY_LEN(migrations) == TC_STORE_SCHEMA_VERSION, "one migration per version");

/* ---- plumbing ----------------------------------------------------------------------------- */

int store_exec(struct tc_store *s, const char *sql, const struct store_val *p, size_t np,
	       struct tc_store_rows **rows, int64_t *changes, struct tc_err *err)
{
	return s->be->exec(s, sql, p, np, rows, changes, err);
}

int store_tx_begin(struct tc_store *s, struct tc_err *err)
{
	return store_exec(s, s->be->begin_sql, NULL, 0, NULL, NULL, err);
}

int store_tx_commit(struct tc_store *s, struct tc_err *err)
{
	return store_exec(s, "COMMIT", NULL, 0, NULL, NULL, err);
}

void store_tx_rollback(struct tc_store *s)
{
	struct tc_err ignore = TC_ERR_INIT;
	store_exec(s, "ROLLBACK", NULL, 0, NULL, NULL, &ignore);
}

/* Text of a single-cell query, or NULL. */
static int query_one(struct tc_store *s, const char *sql, const struct store_val *p, size_t np,
		     char **out, struct tc_err *err)
{
	struct tc_store_rows *r;
	*out = NULL;
	TC_TRY(store_exec(s, sql, p, np, &r, NULL, err));
	if (r->nrows > 0 && r->ncols > 0 && tc_store_cell(r, 0, 0))
		*out = strdup(tc_store_cell(r, 0, 0));
	tc_store_rows_free(r);
	return 0;
}

static int has_table(struct tc_store *s, const char *name, int *yes, struct tc_err *err)
{
	struct store_val p = sv_text(name);
	struct tc_store_rows *r;
	TC_TRY(store_exec(s, s->be->table_sql, &p, 1, &r, NULL, err));
	*yes = r->nrows > 0;
	tc_store_rows_free(r);
	return 0;
}

/* Version of the schema found: 0 for an empty database, -1 for someone else's. */
static int read_version(struct tc_store *s, int *version, struct tc_err *err)
{
	int meta, any;
	char *v = NULL;
	TC_TRY(has_table(s, "tc_meta", &meta, err));
	if (!meta) {
		/* any table at all, not only one named like ours (issue 19: a database of
		 * another application got tracecast's tables added) */
		struct tc_store_rows *r;
		TC_TRY(store_exec(s, s->be->any_table_sql, NULL, 0, &r, NULL, err));
		any = r->nrows > 0;
		tc_store_rows_free(r);
		/* Another tracecast may have committed the schema between the two looks (its
		 * tables appear together): look once more before calling them foreign. */
		if (any)
			TC_TRY(has_table(s, "tc_meta", &meta, err));
		if (!meta) {
			/* tables of another application: refuse rather than mix */
			*version = any ? -1 : 0;
			return 0;
		}
	}
	TC_TRY(query_one(s, "SELECT value FROM tc_meta WHERE key = 'schema_version'", NULL, 0, &v,
			 err));
	char *end = NULL;
	long n = v ? strtol(v, &end, 10) : -1;
	*version = v && *end == 0 && n > 0 && n < 1000000 ? (int)n : -1;
	free(v);
	return 0;
}

static int migrate(struct tc_store *s, int target, struct tc_err *err)
{
	int v, rc;
	TC_TRY(store_tx_begin(s, err));
	if (s->be->lock_sql && (rc = store_exec(s, s->be->lock_sql, NULL, 0, NULL, NULL, err)) < 0)
		goto fail;
	/* read again under the lock: another process may have just created it */
	if ((rc = read_version(s, &v, err)) < 0)
		goto fail;
	if (v < 0) {
		rc = tc_err_set(err, TC_EVERSION, "%s: not a tracecast results database", s->name);
		goto fail;
	}
	for (; v < target; v++) {
		for (const char *const *q = migrations[v].ddl; *q; q++)
			if ((rc = store_exec(s, *q, NULL, 0, NULL, NULL, err)) < 0)
				goto fail;
		if (migrations[v].fill && (rc = migrations[v].fill(s, err)) < 0)
			goto fail;
		char buf[16];
		snprintf(buf, sizeof(buf), "%d", v + 1);
		struct store_val p = sv_text(buf);
		if ((rc =
			 store_exec(s, "UPDATE tc_meta SET value = $1 WHERE key = 'schema_version'",
				    &p, 1, NULL, NULL, err)) < 0)
			goto fail;
	}
	if ((rc = store_tx_commit(s, err)) < 0)
		goto fail;
	s->version = v;
	return 0;
fail:
	store_tx_rollback(s);
	return tc_err_wrap(err, "creating the schema (version %d)", target);
}

/* "postgresql://user:secret@host/db" -> "postgresql://user:***@host/db" for messages. */
static char *mask_uri(const char *uri)
{
	char *m = strdup(uri);
	char *scheme = m ? strstr(m, "://") : NULL;
	if (!scheme)
		return m;
	char *auth = scheme + 3;
	char *at = strchr(auth, '@');
	char *colon = strchr(auth, ':');
	if (at && colon && colon < at) {
		size_t tail = strlen(at) + 1;
		char *r = malloc((size_t)(colon - m) + 4 + tail);
		if (!r)
			return m;
		memcpy(r, m, (size_t)(colon - m) + 1);
		memcpy(r + (colon - m) + 1, "***", 3);
		memcpy(r + (colon - m) + 4, at, tail);
		free(m);
		return r;
	}
	return m;
}

static int is_pg_uri(const char *uri)
{
	return strncmp(uri, "postgresql://", 13) == 0 || strncmp(uri, "postgres://", 11) == 0;
}

int tc_store_has_postgresql(void)
{
#ifdef TC_HAVE_LIBPQ
	return 1;
#else
	return 0;
#endif
}

int tc_store_open(struct tc_store **out, const char *uri, const struct tc_store_opts *opts,
		  struct tc_err *err)
{
	struct tc_store *s;
	int rc, v;
	*out = NULL;
	if (!uri || !*uri)
		return tc_err_set(err, TC_EINVAL, "no database given");
	s = calloc(1, sizeof(*s));
	if (!s || !(s->name = mask_uri(uri))) {
		free(s);
		return tc_err_set(err, TC_ENOMEM, "out of memory");
	}
	if (opts)
		s->opts = *opts;
	if (s->opts.busy_ms <= 0)
		s->opts.busy_ms = 10000;
	int target = s->opts.schema_version > 0 ? s->opts.schema_version : TC_STORE_SCHEMA_VERSION;
	if (target > TC_STORE_SCHEMA_VERSION) {
		rc = tc_err_set(err, TC_EINVAL, "%s: schema version %d is not known", s->name,
				target);
		goto fail;
	}
	if (is_pg_uri(uri)) {
#ifdef TC_HAVE_LIBPQ
		s->be = &tc_store_pg_backend;
#else
		rc = tc_err_set(err, TC_EUNSUPPORTED,
				"%s: this tracecast was built without PostgreSQL (libpq)", s->name);
		goto fail;
#endif
	} else {
		s->be = &tc_store_sqlite_backend;
	}
	if ((rc = s->be->open(s, uri, err)) < 0 || (rc = read_version(s, &v, err)) < 0)
		goto fail;
	if (v < 0) {
		rc = tc_err_set(err, TC_EVERSION, "%s: not a tracecast results database", s->name);
		goto fail;
	}
	if (v > TC_STORE_SCHEMA_VERSION) {
		rc = tc_err_set(err, TC_EVERSION,
				"%s: schema version %d is newer than this tracecast supports (%d): "
				"use a newer tracecast",
				s->name, v, TC_STORE_SCHEMA_VERSION);
		goto fail;
	}
	s->version = v;
	if (v < target) {
		if (s->opts.read_only) {
			rc = v == 0
				 ? tc_err_set(err, TC_EDB,
					      "%s: empty database (no sweep stored yet)", s->name)
				 : tc_err_set(err, TC_EVERSION,
					      "%s: schema version %d is older than %d: open it for "
					      "writing once (tracecast sweep) to migrate it",
					      s->name, v, TC_STORE_SCHEMA_VERSION);
			goto fail;
		}
		if ((rc = migrate(s, target, err)) < 0)
			goto fail;
	}
	*out = s;
	return 0;
fail:
	tc_store_close(s);
	return rc;
}

void tc_store_close(struct tc_store *s)
{
	if (!s)
		return;
	if (s->be && s->conn)
		s->be->close(s);
	free(s->name);
	free(s);
}

const char *tc_store_backend(const struct tc_store *s)
{
	return s->be->name;
}

int tc_store_schema_version(const struct tc_store *s)
{
	return s->version;
}

/* ---- writes ------------------------------------------------------------------------------- */

static int read_only(struct tc_store *s, struct tc_err *err)
{
	return s->opts.read_only ? tc_err_set(err, TC_EINVAL, "%s: opened read-only", s->name) : 0;
}

int tc_store_put_sweep(struct tc_store *s, const struct tc_store_sweep *sw, struct tc_err *err)
{
	TC_TRY(read_only(s, err));
	struct store_val p[] = {sv_text(sw->key),
				sv_text(sw->base),
				sv_text(sw->grid),
				sv_text(sw->traces),
				sv_text(sw->mode),
				sv_int((int64_t)sw->seed),
				sv_int((int64_t)sw->n_configs),
				sv_int((int64_t)sw->n_points),
				sv_text(sw->tool_version)};
	int rc =
	    store_exec(s,
		       "INSERT INTO sweeps (sweep_key, base, grid, traces, mode, seed, "
		       "n_configs, n_points, tool_version) VALUES ($1, $2, $3, $4, $5, $6, $7, "
		       "$8, $9) ON CONFLICT DO NOTHING",
		       p, TC_ARRAY_LEN(p), NULL, NULL, err);
	return rc < 0 ? tc_err_wrap(err, "storing the sweep") : 0;
}

int tc_store_put_trace(struct tc_store *s, const struct tc_store_trace *t, struct tc_err *err)
{
	TC_TRY(read_only(s, err));
	struct store_val p[] = {sv_text(t->hash), sv_text(t->path), sv_text(t->source_chip),
				sv_int((int64_t)t->ops), sv_int((int64_t)t->gpu_ops)};
	int rc =
	    store_exec(s,
		       "INSERT INTO traces (trace_hash, path, source_chip, ops, gpu_ops) VALUES "
		       "($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
		       p, TC_ARRAY_LEN(p), NULL, NULL, err);
	return rc < 0 ? tc_err_wrap(err, "storing trace %s", t->path) : 0;
}

/* A value as it goes into JSON and config_params.num: a number when it reads as one. */
static int as_number(const char *v, double *d)
{
	char *end;
	if (!*v)
		return 0;
	*d = strtod(v, &end);
	return *end == 0 && isfinite(*d);
}

/* {"key": value, ...} in axis order; numbers in the shortest round-trip form. */
static char *overrides_json(const struct tc_store_config *c)
{
	size_t cap = 3, len = 0;
	for (size_t i = 0; i < c->n_params; i++)
		cap += 6 * strlen(c->params[i].key) + 6 * strlen(c->params[i].value) + 72;
	char *out = malloc(cap);
	if (!out)
		return NULL;
	out[len++] = '{';
	for (size_t i = 0; i < c->n_params; i++) {
		char num[64];
		double d;
		for (int part = 0; part < 2; part++) {
			const char *t = part ? c->params[i].value : c->params[i].key;
			if (part == 0 && i)
				out[len++] = ',';
			if (part == 1 && as_number(t, &d)) {
				len += (size_t)snprintf(out + len, cap - len, "%s",
							tc_fmt_double(num, sizeof(num), d));
			} else {
				out[len++] = '"';
				for (; *t; t++) {
					unsigned char ch = (unsigned char)*t;
					if (ch == '"' || ch == '\\')
						out[len++] = '\\';
					if (ch < 0x20)
						len += (size_t)snprintf(out + len, cap - len,
									"\\u%04x", ch);
					else
						out[len++] = (char)ch;
				}
				out[len++] = '"';
			}
			if (part == 0)
				out[len++] = ':';
		}
	}
	out[len++] = '}';
	out[len] = 0;
	return out;
}

/* {"gemm":1200,"norm":35.5}: classes with time, in enum order. */
static char *class_json(const double *ns)
{
	char *out = malloc(TC_CLASS__COUNT * 48 + 3), num[64];
	size_t len = 0;
	if (!out)
		return NULL;
	out[len++] = '{';
	for (unsigned c = 0; c < TC_CLASS__COUNT; c++)
		if (ns[c] > 0)
			len += (size_t)sprintf(out + len, "%s\"%s\":%s", len > 1 ? "," : "",
					       tc_class_name(c),
					       tc_fmt_double(num, sizeof(num), ns[c]));
	out[len++] = '}';
	out[len] = 0;
	return out;
}

/* Rows per multi-row INSERT: one round trip per chunk on PostgreSQL. */
#define CHUNK 32
#define PARAM_ROWS 128

static int put_chunk(struct tc_store *s, const struct tc_store_config *configs,
		     const struct tc_store_result *res, size_t n, size_t *added, struct tc_err *err)
{
	enum { NCFG = 4, NRES = 19, NPAR = 4 };
	struct store_val p[CHUNK * NRES];
	char *ojson[CHUNK] = {0}, *cjson[CHUNK] = {0};
	char sql[16384];
	size_t np, k, len;
	int64_t ch;
	int rc = 0;
	for (size_t i = 0; i < n; i++)
		if (!(ojson[i] = overrides_json(&configs[i]))) {
			rc = tc_err_set(err, TC_ENOMEM, "out of memory");
			goto out;
		}
	/* configs */
	len = (size_t)snprintf(sql, sizeof(sql),
			       "INSERT INTO configs (config_hash, base, overrides, spec) VALUES ");
	for (size_t i = 0; i < n; i++)
		len += (size_t)snprintf(sql + len, sizeof(sql) - len, "%s($%zu, $%zu, $%zu, $%zu)",
					i ? ", " : "", i * NCFG + 1, i * NCFG + 2, i * NCFG + 3,
					i * NCFG + 4);
	snprintf(sql + len, sizeof(sql) - len, " ON CONFLICT DO NOTHING");
	for (size_t i = 0; i < n; i++) {
		p[i * NCFG + 0] = sv_text(configs[i].hash);
		p[i * NCFG + 1] = sv_text(configs[i].base);
		p[i * NCFG + 2] = sv_text(ojson[i]);
		p[i * NCFG + 3] = sv_text(configs[i].spec);
	}
	if ((rc = store_exec(s, sql, p, n * NCFG, NULL, NULL, err)) < 0)
		goto out;
	/* sweep membership */
	len = (size_t)snprintf(sql, sizeof(sql),
			       "INSERT INTO sweep_configs (sweep_key, config_hash) VALUES ");
	for (size_t i = 0; i < n; i++)
		len += (size_t)snprintf(sql + len, sizeof(sql) - len, "%s($%zu, $%zu)",
					i ? ", " : "", 2 * i + 1, 2 * i + 2);
	snprintf(sql + len, sizeof(sql) - len, " ON CONFLICT DO NOTHING");
	for (size_t i = 0; i < n; i++) {
		p[2 * i] = sv_text(res[i].sweep_key);
		p[2 * i + 1] = sv_text(configs[i].hash);
	}
	if ((rc = store_exec(s, sql, p, 2 * n, NULL, NULL, err)) < 0)
		goto out;
	/* overrides as rows (schema 2), flushed every PARAM_ROWS rows */
	if (s->version >= 2) {
		np = 0;
		for (size_t i = 0; i < n; i++)
			for (size_t j = 0; j < configs[i].n_params; j++) {
				double d;
				p[np++] = sv_text(configs[i].hash);
				p[np++] = sv_text(configs[i].params[j].key);
				p[np++] = sv_text(configs[i].params[j].value);
				p[np++] = as_number(configs[i].params[j].value, &d) ? sv_real(d)
										    : sv_text(NULL);
				int last = i + 1 == n && j + 1 == configs[i].n_params;
				if (np < PARAM_ROWS * NPAR && !last)
					continue;
				len =
				    (size_t)snprintf(sql, sizeof(sql),
						     "INSERT INTO config_params (config_hash, key, "
						     "value, num) VALUES ");
				for (size_t t = 0; t < np; t += NPAR)
					len += (size_t)snprintf(sql + len, sizeof(sql) - len,
								"%s($%zu, $%zu, $%zu, $%zu)",
								t ? ", " : "", t + 1, t + 2, t + 3,
								t + 4);
				snprintf(sql + len, sizeof(sql) - len, " ON CONFLICT DO NOTHING");
				if ((rc = store_exec(s, sql, p, np, NULL, NULL, err)) < 0)
					goto out;
				np = 0;
			}
	}
	/* results */
	len = (size_t)snprintf(
	    sql, sizeof(sql),
	    "INSERT INTO results (trace_hash, config_hash, tool_version, sweep_key, "
	    "steps, source_step_ns, step_ns, speedup, compute_ns, memory_ns, "
	    "comm_ns, launch_ns, host_ns, idle_ns, class_ns, energy_j, dollars, "
	    "perf_per_watt, perf_per_dollar) VALUES ");
	for (size_t i = 0; i < n; i++) {
		len += (size_t)snprintf(sql + len, sizeof(sql) - len, "%s(", i ? ", " : "");
		for (k = 0; k < NRES; k++)
			len += (size_t)snprintf(sql + len, sizeof(sql) - len, "%s$%zu",
						k ? ", " : "", i * NRES + k + 1);
		len += (size_t)snprintf(sql + len, sizeof(sql) - len, ")");
	}
	snprintf(sql + len, sizeof(sql) - len, " ON CONFLICT DO NOTHING");
	_Static_assert(TC_BOUND__COUNT == 6, "results has one column per bound");
	for (size_t i = 0; i < n; i++) {
		const struct tc_store_result *r = &res[i];
		struct store_val *q = p + i * NRES;
		/* points of a sweep that share a timeline (an axis that changes no op's time)
		 * share their class times: format a repeated vector once */
		for (size_t j = i; j-- > 0 && i - j <= 4 && !cjson[i];)
			if (memcmp(res[j].class_ns, r->class_ns, sizeof(r->class_ns)) == 0)
				cjson[i] = strdup(cjson[j]);
		if (!cjson[i] && !(cjson[i] = class_json(r->class_ns))) {
			rc = tc_err_set(err, TC_ENOMEM, "out of memory");
			goto out;
		}
		q[0] = sv_text(r->trace_hash);
		q[1] = sv_text(r->config_hash);
		q[2] = sv_text(r->tool_version);
		q[3] = sv_text(r->sweep_key);
		q[4] = sv_int((int64_t)r->steps);
		q[5] = sv_real(r->source_step_ns);
		q[6] = sv_real(r->step_ns);
		q[7] = sv_real(r->speedup);
		for (unsigned b = 0; b < TC_BOUND__COUNT; b++)
			q[8 + b] = sv_real(r->bound_ns[b]);
		q[14] = sv_text(cjson[i]);
		q[15] = sv_real(r->energy_j);
		q[16] = sv_real(r->dollars);
		q[17] = sv_real(r->perf_per_watt);
		q[18] = sv_real(r->perf_per_dollar);
	}
	if ((rc = store_exec(s, sql, p, n * NRES, NULL, &ch, err)) < 0)
		goto out;
	*added += (size_t)ch;
out:
	for (size_t i = 0; i < n; i++) {
		free(ojson[i]);
		free(cjson[i]);
	}
	return rc;
}

int tc_store_put_points(struct tc_store *s, const struct tc_store_config *configs,
			const struct tc_store_result *results, size_t n, size_t *added,
			struct tc_err *err)
{
	size_t got = 0;
	int rc;
	TC_TRY(read_only(s, err));
	if (added)
		*added = 0;
	if (!n)
		return 0;
	if ((rc = store_tx_begin(s, err)) < 0)
		return tc_err_wrap(err, "storing %zu results", n);
	/* Shard processes writing one PostgreSQL database insert configs and results that
	 * overlap in key order; two such batches can deadlock (seen with 5 writers). The
	 * transaction-scoped advisory lock serialises batches: writes are short next to the
	 * projections, and no batch is ever refused. SQLite serialises writers by itself. */
	if (s->be->lock_sql &&
	    (rc = store_exec(s, s->be->lock_sql, NULL, 0, NULL, NULL, err)) < 0) {
		store_tx_rollback(s);
		return tc_err_wrap(err, "storing %zu results", n);
	}
	for (size_t i = 0; i < n; i += CHUNK)
		if ((rc = put_chunk(s, configs + i, results + i, TC_MIN(CHUNK, n - i), &got, err)) <
		    0) {
			store_tx_rollback(s);
			return tc_err_wrap(err, "storing %zu results", n);
		}
	if ((rc = store_tx_commit(s, err)) < 0) {
		store_tx_rollback(s);
		return tc_err_wrap(err, "storing %zu results", n);
	}
	if (added)
		*added = got;
	return 0;
}

int tc_store_each_point(struct tc_store *s, const char *tool_version, tc_store_key_fn fn, void *ctx,
			struct tc_err *err)
{
	struct tc_store_rows *r;
	struct store_val p = sv_text(tool_version);
	int rc =
	    store_exec(s, "SELECT trace_hash, config_hash FROM results WHERE tool_version = $1", &p,
		       1, &r, NULL, err);
	if (rc < 0)
		return tc_err_wrap(err, "reading stored points");
	for (size_t i = 0; i < r->nrows && rc == 0; i++)
		rc = fn(ctx, tc_store_cell(r, i, 0), tc_store_cell(r, i, 1));
	tc_store_rows_free(r);
	return rc < 0 ? rc : 0;
}

int tc_store_sql(struct tc_store *s, const char *sql, struct tc_store_rows **out,
		 struct tc_err *err)
{
	return store_exec(s, sql, NULL, 0, out, NULL, err);
}

/* ---- migration 1 -> 2 --------------------------------------------------------------------- */

static int backfill_params(struct tc_store *s, struct tc_err *err)
{
	struct tc_store_rows *r;
	int rc = 0;
	TC_TRY(store_exec(s, "SELECT config_hash, overrides FROM configs ORDER BY config_hash",
			  NULL, 0, &r, NULL, err));
	for (size_t i = 0; i < r->nrows && rc == 0; i++) {
		json_error_t je;
		json_t *o = json_loads(tc_store_cell(r, i, 1), 0, &je);
		const char *key;
		json_t *v;
		if (!json_is_object(o)) {
			json_decref(o);
			rc = tc_err_set(err, TC_EFORMAT,
					"%s: configs.overrides of %s is not a JSON object", s->name,
					tc_store_cell(r, i, 0));
			break;
		}
		json_object_foreach(o, key, v)
		{
			char buf[64];
			const char *text = json_is_string(v) ? json_string_value(v) : NULL;
			struct store_val p[4] = {sv_text(tc_store_cell(r, i, 0)), sv_text(key),
						 sv_text(NULL), sv_text(NULL)};
			if (json_is_number(v)) {
				text = json_is_integer(v)
					   ? (snprintf(buf, sizeof(buf), "%lld",
						       (long long)json_integer_value(v)),
					      buf)
					   : tc_fmt_double(buf, sizeof(buf), json_real_value(v));
				p[3] = sv_real(json_number_value(v));
			}
			p[2] = sv_text(text ? text : "");
			rc = store_exec(
			    s,
			    "INSERT INTO config_params (config_hash, key, value, num) VALUES "
			    "($1, $2, $3, $4) ON CONFLICT DO NOTHING",
			    p, 4, NULL, NULL, err);
			if (rc < 0)
				break;
		}
		json_decref(o);
	}
	tc_store_rows_free(r);
	return rc;
}

/* ---- hashing ------------------------------------------------------------------------------ */

void tc_store_hash_hex(const void *data, size_t n, char out[33])
{
	/* two independent lanes: 128 bits, so distinct specs never collide in practice */
	uint64_t a = tc_hash64(data, n, 0x7472616365636173ULL);
	uint64_t b = tc_hash64(data, n, 0x73776565702d6462ULL);
	snprintf(out, 33, "%016llx%016llx", (unsigned long long)a, (unsigned long long)b);
}

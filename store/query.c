/* query.c - the canned questions of `tracecast query`: Pareto fronts, the best point per
 * trace, and the sensitivity of step time to one swept key. The SQL selects and orders; the
 * front and the per-trace best are picked here in C, so both backends answer the same. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hwmodel.h"
#include "st_internal.h"

static const struct metric {
	const char *name, *column;
	int higher_better;
} metrics[] = {
    {"step_ns", "step_ns", 0},
    {"step_time", "step_ns", 0},
    {"speedup", "speedup", 1},
    {"energy_j", "energy_j", 0},
    {"dollars", "dollars", 0},
    {"perf_per_watt", "perf_per_watt", 1},
    {"perf_per_dollar", "perf_per_dollar", 1},
};

static const struct metric *find_metric(const char *name, struct tc_err *err)
{
	for (size_t i = 0; i < TC_ARRAY_LEN(metrics); i++)
		if (strcmp(metrics[i].name, name) == 0)
			return &metrics[i];
	tc_err_set(err, TC_EINVAL,
		   "unknown metric '%s' (step_time, speedup, energy_j, dollars, perf_per_watt, "
		   "perf_per_dollar)",
		   name);
	return NULL;
}

/* ---- where -------------------------------------------------------------------------------- */

#define MAX_TERMS 16

struct where {
	char sql[4096];
	size_t len;
	struct store_val p[3 * MAX_TERMS + 3]; /* + the keys a query binds first */
	size_t np;
	size_t first; /* number of the first parameter ($first) */
	struct tc_arena arena;
};

static int w_add(struct where *w, const char *fmt, ...) TC_PRINTF(2, 3);
static int w_add(struct where *w, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(w->sql + w->len, sizeof(w->sql) - w->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(w->sql) - w->len)
		return TC_EINVAL;
	w->len += (size_t)n;
	return 0;
}

static size_t w_param(struct where *w, struct store_val v)
{
	w->p[w->np] = v;
	return w->first + w->np++;
}

static const char *w_str(struct where *w, const char *a, const char *b)
{
	size_t n = strlen(a) + strlen(b) + 1;
	char *s = tc_arena_alloc(&w->arena, n);
	if (s)
		snprintf(s, n, "%s%s", a, b);
	return s;
}

/* s with LIKE's wildcards (% _) and the escape character itself escaped by '\', for
 * "LIKE $n ESCAPE '\'": a value is matched as text (issue 19: config=% matched everything). */
static const char *w_like(struct where *w, const char *s)
{
	size_t n = 2 * strlen(s) + 1, o = 0;
	char *e = tc_arena_alloc(&w->arena, n);
	if (!e)
		return NULL;
	for (; *s; s++) {
		if (*s == '%' || *s == '_' || *s == '\\')
			e[o++] = '\\';
		e[o++] = *s;
	}
	e[o] = 0;
	return e;
}

static int number(const char *s, double *d)
{
	char *end;
	if (!*s)
		return 0;
	*d = strtod(s, &end);
	return *end == 0;
}

static int w_term(struct where *w, const char *term, struct tc_err *err)
{
	static const char *const ops[] = {"<=", ">=", "!=", "=", "<", ">"};
	size_t kl = strcspn(term, "<>=!");
	char key[256];
	const char *op = NULL, *val;
	while (kl && term[kl - 1] == ' ')
		kl--;
	const char *rest = term + strcspn(term, "<>=!");
	for (size_t i = 0; i < TC_ARRAY_LEN(ops); i++)
		if (strncmp(rest, ops[i], strlen(ops[i])) == 0) {
			op = ops[i];
			break;
		}
	if (!kl || !op || kl >= sizeof(key))
		return tc_err_set(err, TC_EINVAL, "where '%s': expected key=value", term);
	snprintf(key, sizeof(key), "%.*s", (int)kl, term);
	val = rest + strlen(op);
	while (*val == ' ')
		val++;
	val = tc_arena_strdup(&w->arena, val);
	if (!val)
		return tc_err_set(err, TC_ENOMEM, "out of memory");
	size_t vl = strlen(val);
	while (vl && val[vl - 1] == ' ')
		((char *)val)[--vl] = 0;
	if (!*val)
		return tc_err_set(err, TC_EINVAL, "where '%s': no value", term);
	int eq = strcmp(op, "=") == 0;
	const char *sql_op = strcmp(op, "!=") == 0 ? "<>" : op;
	double d;
	int rc = 0;
	const char *lit = w_like(w, val); /* the value as text inside a LIKE pattern */
	if (!lit)
		return tc_err_set(err, TC_ENOMEM, "out of memory");
	if (strcmp(key, "trace") == 0 && eq) {
		size_t a = w_param(w, sv_text(val));
		size_t b = w_param(w, sv_text(w_str(w, lit, "%")));
		size_t c = w_param(w, sv_text(w_str(w, "%/", lit)));
		rc = w_add(w,
			   " AND (t.path = $%zu OR r.trace_hash LIKE $%zu ESCAPE '\\' OR t.path "
			   "LIKE $%zu ESCAPE '\\')",
			   a, b, c);
	} else if (strcmp(key, "config") == 0 && eq) {
		rc = w_add(w, " AND r.config_hash LIKE $%zu ESCAPE '\\'",
			   w_param(w, sv_text(w_str(w, lit, "%"))));
	} else if (strcmp(key, "sweep") == 0 && eq) {
		rc = w_add(w,
			   " AND EXISTS (SELECT 1 FROM sweep_configs sc WHERE sc.config_hash = "
			   "r.config_hash AND sc.sweep_key LIKE $%zu ESCAPE '\\')",
			   w_param(w, sv_text(w_str(w, lit, "%"))));
	} else if ((strcmp(key, "chip") == 0 || strcmp(key, "base") == 0) && eq) {
		rc = w_add(w, " AND c.base = $%zu", w_param(w, sv_text(val)));
	} else if ((strcmp(key, "version") == 0 || strcmp(key, "tool_version") == 0) && eq) {
		rc = w_add(w, " AND r.tool_version = $%zu", w_param(w, sv_text(val)));
	} else if (strchr(key, '.')) {
		/* a swept key path: numeric comparison when the value is a number */
		size_t k = w_param(w, sv_text(tc_arena_strdup(&w->arena, key)));
		if (number(val, &d))
			rc = w_add(
			    w,
			    " AND EXISTS (SELECT 1 FROM config_params p WHERE p.config_hash = "
			    "r.config_hash AND p.key = $%zu AND p.num %s $%zu)",
			    k, sql_op, w_param(w, sv_real(d)));
		else if (eq)
			rc = w_add(
			    w,
			    " AND EXISTS (SELECT 1 FROM config_params p WHERE p.config_hash = "
			    "r.config_hash AND p.key = $%zu AND p.value = $%zu)",
			    k, w_param(w, sv_text(val)));
		else
			return tc_err_set(err, TC_EINVAL, "where '%s': %s compares numbers only",
					  term, op);
	} else {
		struct tc_err ignore = TC_ERR_INIT;
		const struct metric *m = find_metric(key, &ignore);
		if (!m && strcmp(key, "steps") != 0) {
			if (!strcmp(key, "trace") || !strcmp(key, "config") ||
			    !strcmp(key, "sweep") || !strcmp(key, "chip") || !strcmp(key, "base") ||
			    !strcmp(key, "version"))
				return tc_err_set(err, TC_EINVAL, "where '%s': %s takes '=' only",
						  term, key);
			return tc_err_set(err, TC_EINVAL,
					  "where '%s': unknown key %s (trace, config, sweep, chip, "
					  "version, a metric, or a swept key path)",
					  term, key);
		}
		if (!number(val, &d))
			return tc_err_set(err, TC_EINVAL, "where '%s': %s is compared with numbers",
					  term, key);
		rc = w_add(w, " AND r.%s %s $%zu", m ? m->column : "steps", sql_op,
			   w_param(w, sv_real(d)));
	}
	if (rc < 0)
		return tc_err_set(err, TC_EINVAL, "where '%s': too long", term);
	return 0;
}

/* Terms joined by ',' or " and " (any case). */
static int w_parse(struct where *w, const char *where, size_t first, struct tc_err *err)
{
	memset(w, 0, sizeof(*w));
	w->first = first;
	tc_arena_init(&w->arena, 0);
	if (!where || !*where)
		return 0;
	char *buf = tc_arena_strdup(&w->arena, where);
	if (!buf)
		return tc_err_set(err, TC_ENOMEM, "out of memory");
	size_t terms = 0;
	for (char *p = buf; p && *p;) {
		char *end = NULL;
		for (char *q = p; *q; q++)
			if (*q == ',' || strncasecmp(q, " and ", 5) == 0) {
				end = q;
				break;
			}
		size_t skip = end ? (*end == ',' ? 1 : 5) : 0;
		if (end)
			*end = 0;
		while (*p == ' ')
			p++;
		if (*p) {
			if (++terms > MAX_TERMS)
				return tc_err_set(err, TC_EINVAL, "where: more than %d terms",
						  MAX_TERMS);
			TC_TRY(w_term(w, p, err));
		}
		p = end ? end + skip : NULL;
	}
	return 0;
}

/* ---- questions ---------------------------------------------------------------------------- */

#define BASE_COLS                                                                                  \
	"t.path AS trace, substr(r.config_hash, 1, 12) AS config, c.overrides AS overrides"
#define BASE_FROM                                                                                  \
	" FROM results r JOIN configs c ON c.config_hash = r.config_hash JOIN traces t ON "        \
	"t.trace_hash = r.trace_hash WHERE 1 = 1"

/* Columns after the base ones: the metrics asked for, then step_ns and speedup for context. */
static void metric_cols(char *buf, size_t n, const struct metric *const *ms, size_t nm)
{
	const char *extra[] = {"step_ns", "speedup", "perf_per_watt", "perf_per_dollar"};
	size_t len = 0;
	buf[0] = 0;
	for (size_t i = 0; i < nm; i++)
		len += (size_t)snprintf(buf + len, n - len, ", r.%s", ms[i]->column);
	for (size_t e = 0; e < TC_ARRAY_LEN(extra); e++) {
		int dup = 0;
		for (size_t i = 0; i < nm; i++)
			dup |= strcmp(ms[i]->column, extra[e]) == 0;
		if (!dup)
			len += (size_t)snprintf(buf + len, n - len, ", r.%s", extra[e]);
	}
}

/* Copy rows of src into a new set for which keep[i] is set. */
static int pick_rows(const struct tc_store_rows *src, const uint8_t *keep,
		     struct tc_store_rows **out)
{
	struct tc_store_rows *r;
	TC_TRY(store_rows_new(&r, src->ncols));
	for (size_t c = 0; c < src->ncols; c++)
		if (store_rows_set_name(r, c, src->names[c]) < 0)
			goto oom;
	for (size_t i = 0; i < src->nrows; i++)
		if (keep[i] &&
		    store_rows_add(r, (const char *const *)src->cells + i * src->ncols) < 0)
			goto oom;
	store_rows_finish(r);
	*out = r;
	return 0;
oom:
	tc_store_rows_free(r);
	return TC_ENOMEM;
}

static int run_where(struct tc_store *s, const char *sql, struct where *w,
		     struct tc_store_rows **rows, struct tc_err *err)
{
	int rc = store_exec(s, sql, w->p, w->np, rows, NULL, err);
	tc_arena_free(&w->arena);
	return rc;
}

int tc_store_pareto(struct tc_store *s, const char *metric_a, const char *metric_b,
		    const char *where, struct tc_store_rows **out, struct tc_err *err)
{
	const struct metric *m[2] = {find_metric(metric_a, err), NULL};
	struct where w;
	char cols[512], sql[6144];
	struct tc_store_rows *all;
	if (!m[0] || !(m[1] = find_metric(metric_b, err)))
		return TC_EINVAL;
	if (m[0]->column == m[1]->column)
		return tc_err_set(err, TC_EINVAL, "pareto: two different metrics are needed");
	if (w_parse(&w, where, 1, err) < 0) {
		tc_arena_free(&w.arena);
		return TC_EINVAL;
	}
	metric_cols(cols, sizeof(cols), m, 2);
	snprintf(sql, sizeof(sql),
		 "SELECT " BASE_COLS "%s" BASE_FROM " AND r.%s IS NOT NULL AND r.%s IS NOT NULL%s "
		 "ORDER BY t.path, r.%s %s, r.%s %s, r.config_hash",
		 cols, m[0]->column, m[1]->column, w.sql, m[0]->column,
		 m[0]->higher_better ? "DESC" : "ASC", m[1]->column,
		 m[1]->higher_better ? "DESC" : "ASC");
	TC_TRY(run_where(s, sql, &w, &all, err));
	/* Sorted best-first on a: a point is on the front when its b beats every b before it
	 * in the same trace. Equal points: the first (lowest config hash) stands for them. */
	uint8_t *keep = calloc(all->nrows ? all->nrows : 1, 1);
	if (!keep) {
		tc_store_rows_free(all);
		return tc_err_set(err, TC_ENOMEM, "out of memory");
	}
	double best = 0;
	for (size_t i = 0; i < all->nrows; i++) {
		int new_trace =
		    i == 0 || strcmp(tc_store_cell(all, i, 0), tc_store_cell(all, i - 1, 0));
		double b = strtod(tc_store_cell(all, i, 4), NULL);
		if (new_trace || (m[1]->higher_better ? b > best : b < best)) {
			keep[i] = 1;
			best = b;
		}
	}
	int rc = pick_rows(all, keep, out);
	free(keep);
	tc_store_rows_free(all);
	return rc < 0 ? tc_err_set(err, TC_ENOMEM, "out of memory") : 0;
}

int tc_store_best(struct tc_store *s, const char *metric, const char *where,
		  struct tc_store_rows **out, struct tc_err *err)
{
	const struct metric *m = find_metric(metric, err);
	struct where w;
	char cols[512], sql[6144];
	struct tc_store_rows *all;
	if (!m)
		return TC_EINVAL;
	if (w_parse(&w, where, 1, err) < 0) {
		tc_arena_free(&w.arena);
		return TC_EINVAL;
	}
	metric_cols(cols, sizeof(cols), &m, 1);
	snprintf(sql, sizeof(sql),
		 "SELECT " BASE_COLS "%s" BASE_FROM
		 " AND r.%s IS NOT NULL%s ORDER BY t.path, r.%s %s, "
		 "r.config_hash",
		 cols, m->column, w.sql, m->column, m->higher_better ? "DESC" : "ASC");
	TC_TRY(run_where(s, sql, &w, &all, err));
	uint8_t *keep = calloc(all->nrows ? all->nrows : 1, 1);
	if (!keep) {
		tc_store_rows_free(all);
		return tc_err_set(err, TC_ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < all->nrows; i++)
		keep[i] =
		    i == 0 || strcmp(tc_store_cell(all, i, 0), tc_store_cell(all, i - 1, 0)) != 0;
	int rc = pick_rows(all, keep, out);
	free(keep);
	tc_store_rows_free(all);
	return rc < 0 ? tc_err_set(err, TC_ENOMEM, "out of memory") : 0;
}

int tc_store_sweeps(struct tc_store *s, struct tc_store_rows **out, struct tc_err *err)
{
	/* SQLite numbers rows in insertion order (rowid); PostgreSQL has no rowid, but the id of
	 * the transaction that inserted a row (xmin) grows the same way (a sweep is stored once,
	 * ON CONFLICT DO NOTHING). Ties (one transaction): by key. */
	int pg = strcmp(tc_store_backend(s), "postgresql") == 0;
	return tc_store_sql(
	    s,
	    pg ? "SELECT sweep_key, base FROM sweeps ORDER BY xmin::text::bigint, sweep_key"
	       : "SELECT sweep_key, base FROM sweeps ORDER BY rowid",
	    out, err);
}

int tc_store_sensitivity(struct tc_store *s, const char *key, const char *where,
			 struct tc_store_rows **out, struct tc_err *err)
{
	struct where w;
	char sql[6144];
	if (w_parse(&w, where, 3, err) < 0) {
		tc_arena_free(&w.arena);
		return TC_EINVAL;
	}
	/* $1 and $2 are the key as given and in full: a sweep stores its axes as it was given
	 * them, in the short forms sweeps accept or in full; the where terms number from $3 */
	char full[256], brief[256];
	tc_hw_canonical_key(key, full, sizeof(full));
	static const char mat[] = "compute.matrix.peak_tflops.";
	if (strncmp(full, mat, sizeof(mat) - 1) == 0 && !strchr(full + sizeof(mat) - 1, '.'))
		snprintf(brief, sizeof(brief), "compute.%s.tflops", full + sizeof(mat) - 1);
	else
		snprintf(brief, sizeof(brief), "%s", full);
	memmove(w.p + 2, w.p, w.np * sizeof(w.p[0]));
	w.p[0] = sv_text(full);
	w.p[1] = sv_text(brief);
	w.np += 2;
	snprintf(
	    sql, sizeof(sql),
	    "SELECT t.path AS trace, p.value AS value, count(*) AS points, "
	    "avg(r.step_ns) AS mean_step_ns, min(r.step_ns) AS min_step_ns, "
	    "max(r.step_ns) AS max_step_ns, avg(r.speedup) AS mean_speedup, "
	    "avg(r.perf_per_watt) AS mean_perf_per_watt, avg(r.perf_per_dollar) AS "
	    "mean_perf_per_dollar"
	    " FROM results r JOIN configs c ON c.config_hash = r.config_hash JOIN traces t ON "
	    "t.trace_hash = r.trace_hash JOIN config_params p ON p.config_hash = r.config_hash "
	    "AND p.key IN ($1, $2) WHERE 1 = 1%s GROUP BY t.path, p.value, p.num "
	    "ORDER BY t.path, p.num, p.value",
	    w.sql);
	TC_TRY(run_where(s, sql, &w, out, err));
	if ((*out)->nrows == 0) {
		tc_store_rows_free(*out);
		*out = NULL;
		return tc_err_set(err, TC_ENOTFOUND, "sensitivity: no stored point sweeps %s%s",
				  key, where && *where ? " (with that --where)" : "");
	}
	return 0;
}

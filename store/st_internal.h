/* st_internal.h - private to store/: the backend function table and the handle.
 *
 * The common layer (store.c, query.c) writes one dialect of SQL that both SQLite and
 * PostgreSQL accept: parameters are $1..$n in order of appearance, types are TEXT, BIGINT and
 * DOUBLE PRECISION, upserts are INSERT ... ON CONFLICT DO NOTHING. A backend only connects,
 * runs a statement with parameters and returns rows as text.
 */
#ifndef TC_STORE_INTERNAL_H
#define TC_STORE_INTERNAL_H

#include <math.h>

#include "store.h"

enum store_type { SV_NULL = 0, SV_INT, SV_REAL, SV_TEXT };

struct store_val {
	int type;
	int64_t i;
	double d;
	const char *s;
};

static inline struct store_val sv_text(const char *s)
{
	struct store_val v = {s ? SV_TEXT : SV_NULL, 0, 0, s};
	return v;
}
static inline struct store_val sv_int(int64_t i)
{
	struct store_val v = {SV_INT, i, 0, NULL};
	return v;
}
/* NaN and infinities become NULL: "unknown" in the database. */
static inline struct store_val sv_real(double d)
{
	struct store_val v = {isfinite(d) ? SV_REAL : SV_NULL, 0, d, NULL};
	return v;
}

struct store_backend {
	const char *name;
	int (*open)(struct tc_store *s, const char *uri, struct tc_err *err);
	void (*close)(struct tc_store *s);
	/* Run one statement. rows (may be NULL) receives the result set; changes (may be NULL)
	 * the rows an INSERT/UPDATE touched. Errors carry the backend's message. */
	int (*exec)(struct tc_store *s, const char *sql, const struct store_val *p, size_t np,
		    struct tc_store_rows **rows, int64_t *changes, struct tc_err *err);
	const char *begin_sql;	   /* a write transaction that takes its locks at once */
	const char *lock_sql;	   /* serialises schema creation between processes, or NULL */
	const char *table_sql;	   /* one row when the table named by $1 exists */
	const char *any_table_sql; /* a row when the database (schema) holds any table */
	int max_params;		   /* per statement */
};

struct tc_store {
	const struct store_backend *be;
	void *conn;
	char *name; /* for messages: the path, or the URI with the password masked */
	int version;
	struct tc_store_opts opts;
};

extern const struct store_backend tc_store_sqlite_backend;
#ifdef TC_HAVE_LIBPQ
extern const struct store_backend tc_store_pg_backend;
#endif

/* rows.c: building result sets */
int store_rows_new(struct tc_store_rows **out, size_t ncols);
int store_rows_set_name(struct tc_store_rows *r, size_t col, const char *name);
/* Append a row; cells[ncols] are copied (NULL stays NULL). */
int store_rows_add(struct tc_store_rows *r, const char *const *cells);
/* Fill r->numeric from the cells. */
void store_rows_finish(struct tc_store_rows *r);

/* store.c */
int store_exec(struct tc_store *s, const char *sql, const struct store_val *p, size_t np,
	       struct tc_store_rows **rows, int64_t *changes, struct tc_err *err);
int store_tx_begin(struct tc_store *s, struct tc_err *err);
int store_tx_commit(struct tc_store *s, struct tc_err *err);
void store_tx_rollback(struct tc_store *s);

#endif

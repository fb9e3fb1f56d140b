/* sqlite.c - the SQLite backend: one file, WAL journal (readers never block the writer, a
 * crash loses at most the open transaction), a busy timeout so shards on one machine can
 * share the file, and a small cache of prepared statements (a sweep runs the same few
 * INSERTs thousands of times). */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include <sqlite3.h>

#include "st_internal.h"

#define CACHE_SLOTS 16

struct sq {
	sqlite3 *db;
	struct {
		char *sql;
		sqlite3_stmt *st;
	} cache[CACHE_SLOTS];
	unsigned next; /* slot replaced on a miss */
};

static int sq_fail(struct tc_store *s, struct sq *q, int rc, struct tc_err *err)
{
	const char *msg = q && q->db ? sqlite3_errmsg(q->db) : sqlite3_errstr(rc);
	int prim = rc & 0xff;
	if (prim == SQLITE_BUSY || prim == SQLITE_LOCKED)
		return tc_err_set(err, TC_EDB,
				  "%s: database is locked by another writer (waited %d ms)",
				  s->name, s->opts.busy_ms);
	if (prim == SQLITE_READONLY)
		return tc_err_set(err, TC_EDB, "%s: database is read-only", s->name);
	if (prim == SQLITE_AUTH) /* sq_authorize */
		return tc_err_set(err, TC_EDB,
				  "%s: opened read-only: %s (ATTACH, DETACH, "
				  "load_extension and setting pragmas are refused)",
				  s->name, msg);
	return tc_err_set(err, TC_EDB, "%s: %s", s->name, msg);
}

/* A read-only connection must not write anywhere, not only not to its own file: beside
 * SQLITE_OPEN_READONLY (which refuses DROP, INSERT ...), VACUUM INTO and ATTACH can create
 * other files. The authorizer refuses attaching, extension loading and pragmas that set
 * something; sq_prepare refuses any statement sqlite3_stmt_readonly() does not vouch for. */
static int sq_authorize(void *ctx, int action, const char *a, const char *b, const char *db,
			const char *trigger)
{
	(void)ctx;
	(void)db;
	(void)trigger;
	/* pragmas that take a table or index name and only describe it */
	static const char *const describe[] = {"table_info", "table_xinfo", "index_list",
					       "index_info", "index_xinfo", "foreign_key_list",
					       NULL};
	switch (action) {
	case SQLITE_ATTACH:
	case SQLITE_DETACH:
		return SQLITE_DENY;
	case SQLITE_FUNCTION:
		return b && strcmp(b, "load_extension") == 0 ? SQLITE_DENY : SQLITE_OK;
	case SQLITE_PRAGMA:
		if (!b)
			return SQLITE_OK; /* reading a value */
		for (const char *const *d = describe; *d; d++)
			if (a && strcmp(a, *d) == 0)
				return SQLITE_OK;
		return SQLITE_DENY;
	default:
		return SQLITE_OK;
	}
}

/* 1 when path (a plain path, not a URI) lies on a filesystem mounted read-only. */
static int ro_filesystem(const char *path)
{
	struct statvfs vs;
	return strncmp(path, "file:", 5) != 0 && statvfs(path, &vs) == 0 && (vs.f_flag & ST_RDONLY);
}

/* "file:PATH?immutable=1" with PATH percent-encoded where a URI needs it; caller frees. */
static char *immutable_uri(const char *path)
{
	size_t n = strlen(path);
	char *u = malloc(3 * n + 32), *o = u;
	if (!u)
		return NULL;
	o += sprintf(o, "file:");
	for (const unsigned char *p = (const unsigned char *)path; *p; p++)
		o += *p == '?' || *p == '#' || *p == '%' || *p < 0x21 ? sprintf(o, "%%%02X", *p)
								      : (*o = (char)*p, 1);
	strcpy(o, "?immutable=1");
	return u;
}

static int sq_open(struct tc_store *s, const char *uri, struct tc_err *err)
{
	struct sq *q = calloc(1, sizeof(*q));
	int flags = SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX;
	int rc;
	if (!q)
		return tc_err_set(err, TC_ENOMEM, "%s: out of memory", s->name);
	s->conn = q;
	/* SQLite says "disk I/O error" or "cannot open" for a directory: say what it is */
	struct stat st;
	if (strncmp(uri, "file:", 5) != 0 && stat(uri, &st) == 0 && S_ISDIR(st.st_mode))
		return tc_err_set(err, TC_EDB, "%s: is a directory, not a database file", s->name);
	flags |=
	    s->opts.read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
	rc = sqlite3_open_v2(uri, &q->db, flags, NULL);
	if (rc != SQLITE_OK) {
		if (rc == SQLITE_CANTOPEN)
			return tc_err_set(err, TC_EDB, "%s: cannot open database%s", s->name,
					  s->opts.read_only ? " (does it exist?)" : "");
		return sq_fail(s, q, rc, err);
	}
	sqlite3_extended_result_codes(q->db, 1);
	sqlite3_busy_timeout(q->db, s->opts.busy_ms);
	if (s->opts.read_only)
		sqlite3_set_authorizer(q->db, sq_authorize, NULL);
	if (!s->opts.read_only && sqlite3_db_readonly(q->db, "main") == 1)
		return tc_err_set(err, TC_EDB, "%s: database is read-only (cannot write results)",
				  s->name);
	/* Reading the schema also tells a non-database file apart early. */
	char *emsg = NULL;
	rc = sqlite3_exec(q->db, "SELECT count(*) FROM sqlite_master", NULL, NULL, &emsg);
	if (rc != SQLITE_OK && s->opts.read_only && ro_filesystem(uri)) {
		/* A WAL database on a read-only filesystem: SQLite cannot create its -shm file
		 * and fails to open it (issue 19). Nothing can write there, so the file is
		 * immutable, which SQLite reads without -shm. */
		sqlite3_free(emsg);
		emsg = NULL;
		char *imm = immutable_uri(uri);
		sqlite3_close(q->db);
		q->db = NULL;
		rc = imm ? sqlite3_open_v2(imm, &q->db, flags, NULL) : SQLITE_NOMEM;
		free(imm);
		if (rc != SQLITE_OK)
			return sq_fail(s, q, rc, err);
		sqlite3_extended_result_codes(q->db, 1);
		sqlite3_set_authorizer(q->db, sq_authorize, NULL);
		rc = sqlite3_exec(q->db, "SELECT count(*) FROM sqlite_master", NULL, NULL, &emsg);
	}
	if (rc != SQLITE_OK) {
		sqlite3_free(emsg);
		return sq_fail(s, q, rc, err);
	}
	if (!s->opts.read_only) {
		rc = sqlite3_exec(q->db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL", NULL,
				  NULL, &emsg);
		sqlite3_free(emsg);
		if (rc != SQLITE_OK)
			return sq_fail(s, q, rc, err);
	}
	return 0;
}

static void sq_close(struct tc_store *s)
{
	struct sq *q = s->conn;
	if (!q)
		return;
	for (unsigned i = 0; i < CACHE_SLOTS; i++) {
		sqlite3_finalize(q->cache[i].st);
		free(q->cache[i].sql);
	}
	sqlite3_close(q->db);
	free(q);
	s->conn = NULL;
}

static int sq_prepare(struct tc_store *s, struct sq *q, const char *sql, sqlite3_stmt **out,
		      struct tc_err *err)
{
	for (unsigned i = 0; i < CACHE_SLOTS; i++)
		if (q->cache[i].sql && strcmp(q->cache[i].sql, sql) == 0) {
			*out = q->cache[i].st;
			return 0;
		}
	sqlite3_stmt *st = NULL;
	const char *tail = NULL;
	int rc = sqlite3_prepare_v2(q->db, sql, -1, &st, &tail);
	if (rc != SQLITE_OK)
		return sq_fail(s, q, rc, err);
	if (!st)
		return tc_err_set(err, TC_EINVAL, "%s: empty SQL statement", s->name);
	if (s->opts.read_only && !sqlite3_stmt_readonly(st)) {
		sqlite3_finalize(st);
		return tc_err_set(err, TC_EINVAL,
				  "%s: opened read-only: only statements that read "
				  "(SELECT ...) are allowed",
				  s->name);
	}
	while (tail && (*tail == ' ' || *tail == '\n' || *tail == '\t' || *tail == ';'))
		tail++;
	if (tail && *tail) {
		sqlite3_finalize(st);
		return tc_err_set(err, TC_EINVAL,
				  "%s: one SQL statement at a time (extra text at '%.20s')",
				  s->name, tail);
	}
	unsigned slot = q->next++ % CACHE_SLOTS;
	sqlite3_finalize(q->cache[slot].st);
	free(q->cache[slot].sql);
	q->cache[slot].sql = strdup(sql);
	q->cache[slot].st = q->cache[slot].sql ? st : NULL;
	if (!q->cache[slot].sql) {
		sqlite3_finalize(st);
		return tc_err_set(err, TC_ENOMEM, "%s: out of memory", s->name);
	}
	*out = st;
	return 0;
}

static int sq_exec(struct tc_store *s, const char *sql, const struct store_val *p, size_t np,
		   struct tc_store_rows **rows, int64_t *changes, struct tc_err *err)
{
	struct sq *q = s->conn;
	sqlite3_stmt *st = NULL;
	struct tc_store_rows *r = NULL;
	char **cells = NULL;
	int rc;
	TC_TRY(sq_prepare(s, q, sql, &st, err));
	if ((size_t)sqlite3_bind_parameter_count(st) != np) {
		sqlite3_reset(st);
		return tc_err_set(err, TC_EINTERNAL, "%s: statement wants %d parameters, got %zu",
				  s->name, sqlite3_bind_parameter_count(st), np);
	}
	/* $1..$n appear in order, so SQLite numbers them 1..n */
	for (size_t i = 0; i < np; i++) {
		int k = (int)i + 1;
		switch (p[i].type) {
		case SV_INT:
			rc = sqlite3_bind_int64(st, k, p[i].i);
			break;
		case SV_REAL:
			rc = sqlite3_bind_double(st, k, p[i].d);
			break;
		case SV_TEXT:
			rc = sqlite3_bind_text(st, k, p[i].s, -1, SQLITE_STATIC);
			break;
		default:
			rc = sqlite3_bind_null(st, k);
			break;
		}
		if (rc != SQLITE_OK)
			goto fail;
	}
	int ncols = sqlite3_column_count(st);
	if (rows) {
		if (store_rows_new(&r, (size_t)ncols) < 0 ||
		    !(cells = calloc((size_t)ncols + 1, sizeof(*cells))))
			goto oom;
		for (int c = 0; c < ncols; c++)
			if (store_rows_set_name(r, (size_t)c, sqlite3_column_name(st, c)) < 0)
				goto oom;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (!r)
			continue;
		char nb[64];
		for (int c = 0; c < ncols; c++) {
			free(cells[c]);
			cells[c] = NULL;
			switch (sqlite3_column_type(st, c)) {
			case SQLITE_NULL:
				break;
			case SQLITE_FLOAT:
				/* one formatter for both backends: shortest round trip */
				cells[c] = strdup(
				    tc_fmt_double(nb, sizeof(nb), sqlite3_column_double(st, c)));
				break;
			default:
				cells[c] = strdup((const char *)sqlite3_column_text(st, c));
				break;
			}
			if (sqlite3_column_type(st, c) != SQLITE_NULL && !cells[c])
				goto oom;
		}
		if (store_rows_add(r, (const char *const *)cells) < 0)
			goto oom;
	}
	if (rc != SQLITE_DONE)
		goto fail;
	if (changes)
		*changes = sqlite3_changes64(q->db);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (cells)
		for (int c = 0; c < ncols; c++)
			free(cells[c]);
	free(cells);
	if (rows) {
		store_rows_finish(r);
		*rows = r;
	}
	return 0;
oom:
	rc = tc_err_set(err, TC_ENOMEM, "%s: out of memory", s->name);
	goto out;
fail:
	rc = sq_fail(s, q, rc, err);
out:
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (cells)
		for (int c = 0; c < (r ? (int)r->ncols : 0); c++)
			free(cells[c]);
	free(cells);
	tc_store_rows_free(r);
	return rc;
}

const struct store_backend tc_store_sqlite_backend = {
    .name = "sqlite",
    .open = sq_open,
    .close = sq_close,
    .exec = sq_exec,
    .begin_sql = "BEGIN IMMEDIATE",
    .lock_sql = NULL,
    .table_sql = "SELECT name FROM sqlite_master WHERE type = 'table' AND name = $1",
    /* SQLite's own tables (sqlite_sequence, sqlite_stat1) do not make a database foreign */
    .any_table_sql = "SELECT name FROM sqlite_master WHERE type = 'table' AND "
		     "name NOT LIKE 'sqlite\\_%' ESCAPE '\\' LIMIT 1",
    .max_params = 32000,
};

/* pg.c - the PostgreSQL backend (libpq): many machines write one database. Parameters go as
 * text; float columns come back reformatted by tc_fmt_double so both backends print the same
 * digits. Schema creation is serialised with an advisory lock taken inside the transaction,
 * so shards starting together do not race on CREATE TABLE.
 *
 * libpq is opened (dlopen) when a postgresql:// database is, not linked: its dependency tree
 * (OpenSSL, Kerberos, LDAP, GnuTLS: about 30 libraries) cost every tracecast process about
 * 6 ms of loading and relocations (14.9 M of `tracecast --version`'s 15 M instructions),
 * more than parsing a small trace. Each open store holds its own handle and entry points;
 * the loader counts the references. */
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "st_internal.h"

#define OID_FLOAT4 700
#define OID_FLOAT8 701
#define OID_NUMERIC 1700

/* every libpq function the backend calls, typed from libpq-fe.h */
#define PQ_FNS(X)                                                                                  \
	X(PQconnectdb)                                                                             \
	X(PQstatus)                                                                                \
	X(PQerrorMessage)                                                                          \
	X(PQsetNoticeProcessor)                                                                    \
	X(PQexec)                                                                                  \
	X(PQexecParams)                                                                            \
	X(PQresultStatus)                                                                          \
	X(PQresultErrorField)                                                                      \
	X(PQresultErrorMessage)                                                                    \
	X(PQclear)                                                                                 \
	X(PQcmdTuples)                                                                             \
	X(PQnfields)                                                                               \
	X(PQntuples)                                                                               \
	X(PQfname)                                                                                 \
	X(PQftype)                                                                                 \
	X(PQgetisnull)                                                                             \
	X(PQgetvalue)                                                                              \
	X(PQfinish)

struct pq {
	void *lib;
	PGconn *c;
#define PQ_FIELD(f) __typeof__(f) *f;
	PQ_FNS(PQ_FIELD)
#undef PQ_FIELD
};

/* The client library and its entry points into P (P->lib set even on a missing symbol, so
 * that pg_close releases it). */
static int pq_load(struct pq *P, const char *name, struct tc_err *err)
{
	static const char *const sonames[] = {"libpq.so.5", "libpq.so"};
	for (size_t k = 0; k < sizeof(sonames) / sizeof(*sonames) && !P->lib; k++)
		P->lib = dlopen(sonames[k], RTLD_NOW | RTLD_LOCAL);
	if (!P->lib)
		return tc_err_set(
		    err, TC_EDB,
		    "%s: the PostgreSQL client library (libpq.so.5) cannot be loaded: "
		    "%s (Debian: apt-get install libpq5)",
		    name, dlerror());
	void *sym;
#define PQ_SYM(f)                                                                                  \
	if (!(sym = dlsym(P->lib, #f)))                                                            \
		return tc_err_set(err, TC_EDB, "%s: libpq.so.5 has no %s: too old a libpq", name,  \
				  #f);                                                             \
	memcpy(&P->f, &sym, sizeof(sym));
	PQ_FNS(PQ_SYM)
#undef PQ_SYM
	return 0;
}

static void quiet_notice(void *arg, const char *msg)
{
	(void)arg;
	(void)msg; /* "relation already exists, skipping" and the like: not for the user */
}

/* First line of a libpq message, without the "ERROR:  " prefix. */
static const char *first_line(const char *m, char *buf, size_t n)
{
	if (!m)
		return "unknown error";
	if (strncmp(m, "ERROR:  ", 8) == 0)
		m += 8;
	size_t k = strcspn(m, "\n");
	snprintf(buf, n, "%.*s", (int)TC_MIN(k, n - 1), m);
	return buf;
}

static int pg_open(struct tc_store *s, const char *uri, struct tc_err *err)
{
	char buf[512];
	struct pq *P = calloc(1, sizeof(*P));
	s->conn = P;
	if (!P)
		return tc_err_set(err, TC_ENOMEM, "%s: out of memory", s->name);
	TC_TRY(pq_load(P, s->name, err));
	PGconn *c = P->c = P->PQconnectdb(uri);
	if (!c)
		return tc_err_set(err, TC_ENOMEM, "%s: out of memory", s->name);
	if (P->PQstatus(c) != CONNECTION_OK)
		return tc_err_set(err, TC_EDB, "%s: cannot connect: %s", s->name,
				  first_line(P->PQerrorMessage(c), buf, sizeof(buf)));
	P->PQsetNoticeProcessor(c, quiet_notice, NULL);
	PGresult *r = P->PQexec(
	    c, s->opts.read_only
		   ? "SET default_transaction_read_only = on; SET client_min_messages = warning"
		   : "SET client_min_messages = warning");
	int ok = P->PQresultStatus(r) == PGRES_COMMAND_OK;
	P->PQclear(r);
	if (!ok)
		return tc_err_set(err, TC_EDB, "%s: %s", s->name,
				  first_line(P->PQerrorMessage(c), buf, sizeof(buf)));
	return 0;
}

static void pg_close(struct tc_store *s)
{
	struct pq *P = s->conn;
	if (P) {
		if (P->c)
			P->PQfinish(P->c);
		if (P->lib)
			dlclose(P->lib);
		free(P);
	}
	s->conn = NULL;
}

static int pg_exec(struct tc_store *s, const char *sql, const struct store_val *p, size_t np,
		   struct tc_store_rows **rows, int64_t *changes, struct tc_err *err)
{
	const struct pq *P = s->conn;
	PGconn *c = P->c;
	const char **vals = NULL;
	char *nums = NULL;
	char buf[512];
	int rc = 0;
	if (np) {
		vals = calloc(np, sizeof(*vals));
		nums = malloc(np * 32);
		if (!vals || !nums) {
			free(vals);
			free(nums);
			return tc_err_set(err, TC_ENOMEM, "%s: out of memory", s->name);
		}
	}
	for (size_t i = 0; i < np; i++) {
		char *nb = nums + i * 32;
		switch (p[i].type) {
		case SV_INT:
			snprintf(nb, 32, "%lld", (long long)p[i].i);
			vals[i] = nb;
			break;
		case SV_REAL:
			vals[i] = tc_fmt_double(nb, 32, p[i].d);
			break;
		case SV_TEXT:
			vals[i] = p[i].s;
			break;
		default:
			vals[i] = NULL;
			break;
		}
	}
	PGresult *r = P->PQexecParams(c, sql, (int)np, NULL, vals, NULL, NULL, 0);
	free(vals);
	free(nums);
	ExecStatusType st = P->PQresultStatus(r);
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		const char *state = P->PQresultErrorField(r, PG_DIAG_SQLSTATE);
		if (P->PQstatus(c) != CONNECTION_OK)
			rc = tc_err_set(err, TC_EDB, "%s: connection lost: %s", s->name,
					first_line(P->PQerrorMessage(c), buf, sizeof(buf)));
		else if (state && strcmp(state, "25006") == 0)
			rc = tc_err_set(err, TC_EDB, "%s: read-only: %s", s->name,
					first_line(P->PQresultErrorMessage(r), buf, sizeof(buf)));
		else
			rc = tc_err_set(err, TC_EDB, "%s: %s", s->name,
					first_line(P->PQresultErrorMessage(r), buf, sizeof(buf)));
		P->PQclear(r);
		return rc;
	}
	if (changes) {
		const char *t = P->PQcmdTuples(r);
		*changes = t && *t ? strtoll(t, NULL, 10) : 0;
	}
	if (rows) {
		struct tc_store_rows *out = NULL;
		int nc = P->PQnfields(r), nr = P->PQntuples(r);
		const char **cells = calloc((size_t)nc + 1, sizeof(*cells));
		char *fmt = malloc((size_t)nc * 64 + 1);
		if (!cells || !fmt || store_rows_new(&out, (size_t)nc) < 0)
			goto oom;
		for (int k = 0; k < nc; k++)
			if (store_rows_set_name(out, (size_t)k, P->PQfname(r, k)) < 0)
				goto oom;
		for (int i = 0; i < nr; i++) {
			for (int k = 0; k < nc; k++) {
				Oid t = P->PQftype(r, k);
				cells[k] = P->PQgetisnull(r, i, k) ? NULL : P->PQgetvalue(r, i, k);
				if (cells[k] &&
				    (t == OID_FLOAT8 || t == OID_FLOAT4 || t == OID_NUMERIC))
					cells[k] =
					    tc_fmt_double(fmt + k * 64, 64, strtod(cells[k], NULL));
			}
			if (store_rows_add(out, cells) < 0)
				goto oom;
		}
		free(cells);
		free(fmt);
		store_rows_finish(out);
		*rows = out;
		P->PQclear(r);
		return 0;
	oom:
		free(cells);
		free(fmt);
		tc_store_rows_free(out);
		P->PQclear(r);
		return tc_err_set(err, TC_ENOMEM, "%s: out of memory", s->name);
	}
	P->PQclear(r);
	return 0;
}

const struct store_backend tc_store_pg_backend = {
    .name = "postgresql",
    .open = pg_open,
    .close = pg_close,
    .exec = pg_exec,
    .begin_sql = "BEGIN",
    /* any constant shared by every tracecast: "tcst" */
    .lock_sql = "SELECT pg_advisory_xact_lock(1952670580)",
    .table_sql = "SELECT 1 FROM information_schema.tables WHERE table_schema = current_schema() "
		 "AND table_name = $1",
    .any_table_sql = "SELECT 1 FROM information_schema.tables WHERE table_schema = "
		     "current_schema() LIMIT 1",
    .max_params = 65535,
};

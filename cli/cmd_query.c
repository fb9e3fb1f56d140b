/* cmd_query.c - tracecast query: canned questions over a results database (Pareto front,
 * best point, sensitivity to a swept key) or raw SQL, printed as an aligned table, CSV or
 * JSON. The database is opened read-only. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "store.h"

static void usage(FILE *fp)
{
	fprintf(
	    fp,
	    "usage: tracecast query DB (--pareto M1,M2 | --best METRIC | --sensitivity KEY |\n"
	    "                           --sql \"SELECT ...\") [--where EXPR] [--csv | --json]\n\n"
	    "Answer questions from a sweep's results database (SQLite file or "
	    "postgresql://...).\n\n"
	    "  --pareto M1,M2      per trace, the points no other point beats on both metrics\n"
	    "  --best METRIC       per trace, the best point on one metric\n"
	    "  --sensitivity KEY   per trace and value of a swept key (full or short form, as\n"
	    "                      sweeps take it): step time mean/min/max, mean speedup,\n"
	    "                      Perf/W and Perf/$\n"
	    "  --sql QUERY         any one SQL statement (docs/results-db.md has the schema)\n"
	    "  --where EXPR        terms joined by ',' or 'and': trace=NAME|HASH, config=HASH,\n"
	    "                      sweep=KEY, chip=ID, version=V, METRIC<op>NUM, KEY.PATH<op>NUM\n"
	    "                      (op: = != < <= > >=)\n"
	    "  --csv, --json       output format (default: an aligned table)\n\n"
	    "metrics: step_time (= step_ns), speedup, energy_j, dollars, perf_per_watt,\n"
	    "         perf_per_dollar\n");
}

static void print_table(const struct tc_store_rows *r, FILE *fp)
{
	size_t *w = calloc(r->ncols ? r->ncols : 1, sizeof(*w));
	if (!w)
		return;
	for (size_t c = 0; c < r->ncols; c++) {
		w[c] = strlen(r->names[c]);
		for (size_t i = 0; i < r->nrows; i++) {
			const char *v = tc_store_cell(r, i, c);
			size_t l = strlen(v ? v : "NULL");
			w[c] = TC_MAX(w[c], l);
		}
	}
	for (size_t c = 0; c < r->ncols; c++) {
		int wide = c + 1 < r->ncols || r->numeric[c] ? (int)w[c] : 0;
		fprintf(fp, "%s%*s", c ? "  " : "", r->numeric[c] ? wide : -wide, r->names[c]);
	}
	fputc('\n', fp);
	for (size_t i = 0; i < r->nrows; i++) {
		for (size_t c = 0; c < r->ncols; c++) {
			const char *v = tc_store_cell(r, i, c);
			/* the last column is not padded: no trailing blanks */
			int wide = c + 1 < r->ncols || r->numeric[c] ? (int)w[c] : 0;
			fprintf(fp, "%s%*s", c ? "  " : "", r->numeric[c] ? wide : -wide,
				v ? v : "NULL");
		}
		fputc('\n', fp);
	}
	free(w);
}

static void csv_cell(const char *v, FILE *fp)
{
	if (v)
		tc_fput_csv(fp, v);
}

static void print_csv(const struct tc_store_rows *r, FILE *fp)
{
	for (size_t c = 0; c < r->ncols; c++) {
		if (c)
			fputc(',', fp);
		csv_cell(r->names[c], fp);
	}
	fputc('\n', fp);
	for (size_t i = 0; i < r->nrows; i++) {
		for (size_t c = 0; c < r->ncols; c++) {
			if (c)
				fputc(',', fp);
			csv_cell(tc_store_cell(r, i, c), fp);
		}
		fputc('\n', fp);
	}
}

/* Cells that hold JSON themselves (overrides, class_ns) are emitted as JSON, not strings. */
static int is_json_text(const char *v)
{
	size_t n = strlen(v);
	return n >= 2 && v[0] == '{' && v[n - 1] == '}';
}

static void print_json(const struct tc_store_rows *r, FILE *fp)
{
	fputs("[", fp);
	for (size_t i = 0; i < r->nrows; i++) {
		fputs(i ? ",\n {" : "\n {", fp);
		for (size_t c = 0; c < r->ncols; c++) {
			const char *v = tc_store_cell(r, i, c);
			if (c)
				fputs(", ", fp);
			tc_fput_json_str(fp, r->names[c]);
			fputs(": ", fp);
			if (!v)
				fputs("null", fp);
			else if (r->numeric[c] || is_json_text(v))
				fputs(v, fp);
			else
				tc_fput_json_str(fp, v);
		}
		fputc('}', fp);
	}
	fputs(r->nrows ? "\n]\n" : "]\n", fp);
}

int tc_cmd_query(struct tc_cli *cli, int argc, char **argv)
{
	const char *db = NULL, *pareto = NULL, *best = NULL, *sens = NULL, *sql = NULL;
	const char *where = NULL;
	int fmt = 0, questions = 0; /* 0 table, 1 csv, 2 json */
	struct tc_err err = TC_ERR_INIT;
	if (tc_cli_wants_help(argc, argv)) {
		usage(stdout);
		return 0;
	}
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		int has = i + 1 < argc;
		if (strcmp(a, "--pareto") == 0 && has)
			pareto = argv[++i], questions++;
		else if (strcmp(a, "--best") == 0 && has)
			best = argv[++i], questions++;
		else if (strcmp(a, "--sensitivity") == 0 && has)
			sens = argv[++i], questions++;
		else if (strcmp(a, "--sql") == 0 && has)
			sql = argv[++i], questions++;
		else if (strcmp(a, "--where") == 0 && has)
			where = argv[++i];
		else if (strcmp(a, "--csv") == 0)
			fmt = 1;
		else if (strcmp(a, "--json") == 0)
			fmt = 2;
		else if (a[0] != '-' && !db)
			db = a;
		else
			return tc_cli_usage(cli, "query", "unknown or incomplete option '%s'", a);
	}
	if (!db)
		return tc_cli_usage(cli, "query", "no database given");
	if (questions != 1)
		return tc_cli_usage(cli, "query",
				    "give exactly one of --pareto, --best, --sensitivity, --sql");
	if (sql && where)
		return tc_cli_usage(cli, "query",
				    "--where goes with the canned questions, not --sql");
	char m1[64] = "", m2[64] = "";
	if (pareto) {
		const char *comma = strchr(pareto, ',');
		if (!comma || strchr(comma + 1, ',') || comma == pareto || !comma[1] ||
		    (size_t)(comma - pareto) >= sizeof(m1) || strlen(comma + 1) >= sizeof(m2))
			return tc_cli_usage(cli, "query",
					    "--pareto '%s': expected two metrics M1,M2", pareto);
		snprintf(m1, sizeof(m1), "%.*s", (int)(comma - pareto), pareto);
		snprintf(m2, sizeof(m2), "%s", comma + 1);
	}

	struct tc_store *s = NULL;
	struct tc_store_opts o = TC_STORE_OPTS_INIT;
	struct tc_store_rows *rows = NULL;
	int rc;
	o.read_only = 1;
	if ((rc = tc_store_open(&s, db, &o, &err)) < 0)
		return tc_cli_fail(cli, &err);
	if (pareto)
		rc = tc_store_pareto(s, m1, m2, where, &rows, &err);
	else if (best)
		rc = tc_store_best(s, best, where, &rows, &err);
	else if (sens)
		rc = tc_store_sensitivity(s, sens, where, &rows, &err);
	else
		rc = tc_store_sql(s, sql, &rows, &err);
	tc_store_close(s);
	if (rc < 0)
		return tc_cli_fail(cli, &err);
	if (fmt == 1)
		print_csv(rows, stdout);
	else if (fmt == 2)
		print_json(rows, stdout);
	else
		print_table(rows, stdout);
	tc_store_rows_free(rows);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		tc_err_set(&err, TC_EIO, "writing the answer to stdout failed");
		return tc_cli_fail(cli, &err);
	}
	return 0;
}

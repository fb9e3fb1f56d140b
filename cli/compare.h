/* compare.h - private to cli/: compare two JSON documents (projections, trace summaries)
 * metric by metric, within tolerances. Shared by `check` and `diff`. */
#ifndef TC_CLI_COMPARE_H
#define TC_CLI_COMPARE_H

#include <jansson.h>
#include <stdio.h>

/* A tolerance: pass when |got - want| <= abs or <= rel * |want|. */
struct tc_tol {
	double rel, abs;
};

/* Tolerances by glob pattern over metric paths ("steps[*].projected_ns", "by_class.*"),
 * the last matching rule wins; def applies when none matches. */
struct tc_tol_rules {
	struct tc_tol def;
	const char **patterns;
	struct tc_tol *tols;
	size_t n;
};

enum tc_cmp_status { TC_CMP_PASS = 0, TC_CMP_FAIL, TC_CMP_MISSING, TC_CMP_EXTRA };

struct tc_cmp_row {
	char *metric;
	int is_number;
	double want, got;
	char *want_s, *got_s; /* for strings */
	enum tc_cmp_status status;
};

struct tc_cmp {
	struct tc_cmp_row *rows;
	size_t n, cap;
	size_t failed;
};

/* Compare every leaf of want against got (numbers within tolerance, strings and booleans
 * exactly); leaves only in got are EXTRA (a failure: the schema moved). Rows sorted by
 * metric path. ignore: NULL-terminated glob patterns of metrics to skip. */
void tc_compare_json(const json_t *want, const json_t *got, const struct tc_tol_rules *rules,
		     const char *const *ignore, struct tc_cmp *out);
void tc_cmp_free(struct tc_cmp *c);
/* Parse a tolerance object: {"default": {"rel":..,"abs":..}, "metrics": {"glob": {...}}}.
 * Returns 0 or -1 with a message in msg. rules points into tol (keep it alive). */
int tc_tol_parse(const json_t *tol, struct tc_tol_rules *rules, char *msg, size_t n);
void tc_tol_free(struct tc_tol_rules *rules);

#endif

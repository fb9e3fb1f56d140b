/* check_init.c - `tracecast check --init DIR TRACE... --target CHIP`: scaffold a golden suite.
 * Writes DIR/cases.json, one case per TRACE (the ranks of one job joined with commas), with
 * input paths relative to DIR ($CORPUS/... for the shared corpus), so the suite moves with
 * its repository; check then creates the goldens as --update does. */
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"

/* The path of `to` relative to the directory `from` (both absolute, canonical). */
static void rel_path(const char *from, const char *to, char *out, size_t n)
{
	size_t common = 0, i = 0;
	/* the longest common prefix ending at a path separator */
	while (from[i] && to[i] && from[i] == to[i]) {
		i++;
		if (from[i] == '/' || (!from[i] && to[i] == '/'))
			common = i;
	}
	if (!from[i] && to[i] == '/')
		common = i;
	out[0] = 0;
	for (const char *p = from + common; *p; p++)
		if (*p == '/') {
			size_t used = strlen(out);
			snprintf(out + used, n - used, "../");
		}
	size_t used = strlen(out);
	snprintf(out + used, n - used, "%s", to + common + (to[common] == '/'));
}

static int input_path(const char *dir_abs, const char *corpus_abs, const char *trace, char *out,
		      size_t n, struct tc_err *err)
{
	char abs[PATH_MAX];
	if (!realpath(trace, abs))
		return tc_err_set(err, TC_EIO, "%s: %s", trace, strerror(errno));
	size_t cl = corpus_abs ? strlen(corpus_abs) : 0;
	if (cl && strncmp(abs, corpus_abs, cl) == 0 && abs[cl] == '/')
		snprintf(out, n, "$CORPUS%s", abs + cl);
	else
		rel_path(dir_abs, abs, out, n);
	return 0;
}

/* The case name: the first trace's file name without its extensions, and the target. */
static void case_name(const char *trace, const char *target, char *out, size_t n)
{
	char first[PATH_MAX];
	snprintf(first, sizeof(first), "%.*s", (int)strcspn(trace, ","), trace);
	const char *base = strrchr(first, '/');
	base = base ? base + 1 : first;
	size_t k = strcspn(base, ".,");
	const char *tb = strrchr(target, '/');
	tb = tb ? tb + 1 : target;
	snprintf(out, n, "%.*s-%.*s", (int)(k > 100 ? 100 : k), base, (int)strcspn(tb, "."), tb);
	for (char *p = out; *p; p++)
		if (!(*p >= 'a' && *p <= 'z') && !(*p >= 'A' && *p <= 'Z') &&
		    !(*p >= '0' && *p <= '9') && *p != '-' && *p != '_')
			*p = '_';
}

int tc_check_init(const char *dir, const char *const *traces, size_t n_traces, const char *target,
		  const char *source, const char *const *sets, size_t n_sets, const char *corpus,
		  struct tc_err *err)
{
	char dir_abs[PATH_MAX], corpus_abs[PATH_MAX], path[PATH_MAX + 16];
	struct stat st;
	if (mkdir(dir, 0777) != 0 && errno != EEXIST)
		return tc_err_set(err, TC_EIO, "%s: %s", dir, strerror(errno));
	snprintf(path, sizeof(path), "%s/cases.json", dir);
	if (stat(path, &st) == 0)
		return tc_err_set(err, TC_EINVAL,
				  "%s already exists: --init scaffolds a new suite (use --update)",
				  path);
	if (!realpath(dir, dir_abs))
		return tc_err_set(err, TC_EIO, "%s: %s", dir, strerror(errno));
	int have_corpus = corpus && realpath(corpus, corpus_abs) != NULL;
	json_t *cases = json_array();
	int rc = 0;
	for (size_t i = 0; i < n_traces && rc == 0; i++) {
		json_t *in = json_array();
		char *list = tc_xstrdup(traces[i]), *save = NULL;
		for (char *t = strtok_r(list, ",", &save); t && rc == 0;
		     t = strtok_r(NULL, ",", &save)) {
			char rel[PATH_MAX + 16];
			rc = input_path(dir_abs, have_corpus ? corpus_abs : NULL, t, rel,
					sizeof(rel), err);
			if (rc == 0)
				json_array_append_new(in, json_string(rel));
		}
		free(list);
		char name[256];
		case_name(traces[i], target, name, sizeof(name));
		/* a spec file as the target: relative to the suite too */
		char tgt[PATH_MAX + 16];
		snprintf(tgt, sizeof(tgt), "%s", target);
		if (stat(target, &st) == 0 && S_ISREG(st.st_mode) &&
		    (rc = input_path(dir_abs, NULL, target, tgt, sizeof(tgt), err)) < 0) {
			json_decref(in);
			break;
		}
		json_t *c = json_pack("{s:s, s:o, s:s}", "name", name, "input", in, "target", tgt);
		if (source)
			json_object_set_new(c, "source", json_string(source));
		if (n_sets) {
			json_t *s = json_array();
			for (size_t k = 0; k < n_sets; k++)
				json_array_append_new(s, json_string(sets[k]));
			json_object_set_new(c, "set", s);
		}
		json_array_append_new(cases, c);
	}
	if (rc < 0) {
		json_decref(cases);
		return rc;
	}
	/* projections are deterministic; the tolerance only absorbs libm differences across
	 * machines. The tool's version is not a regression. */
	json_t *m = json_pack("{s:[s,s], s:{s:{s:f, s:f}}, s:o}", "ignore", "tool.version",
			      "provenance.tool_version", "tolerance", "default", "rel", 1e-6, "abs",
			      1e-3, "cases", cases);
	struct tc_outfile o;
	rc = tc_outfile_open(&o, path, err);
	if (rc == 0) {
		json_dumpf(m, o.fp, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6));
		fputc('\n', o.fp);
		rc = tc_outfile_commit(&o, err);
	}
	json_decref(m);
	return rc;
}

/* cmd_check.c - `tracecast check`: golden-projection regression testing. Each case names an
 * input, a target chip (+ overrides) and an expected projection JSON; the cases are re-run
 * as child `tracecast project` processes (in parallel), compared metric by metric within
 * tolerances, and reported as a table (and JUnit XML). --update rewrites expectations. */
#include <errno.h>
#include <fnmatch.h>
#include <jansson.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "compare.h"

/* snprintf that truncates on purpose (messages and table cells). */
#define FMT(buf, ...) ((void)(snprintf((buf), sizeof(buf), __VA_ARGS__) < 0))

struct check_case {
	char name[256];
	char **argv; /* child command line, NULL-terminated */
	size_t argc;
	char expect[PATH_MAX];
	char out[PATH_MAX + 64], log[PATH_MAX + 64];
	struct tc_tol_rules tol;
	const char **ignore; /* NULL-terminated */
	char skip[256];	     /* non-empty: skipped, with the reason */
	pid_t pid;
	int exit_code;
	/* results */
	struct tc_cmp cmp;
	char error[TC_ERR_MSG_MAX + 64];
	int updated;
};

struct check {
	struct check_case *cases;
	size_t n;
	json_t *manifest;
	char dir[PATH_MAX];
	char self[PATH_MAX];
	char tmpdir[PATH_MAX];
};

static void usage(void)
{
	printf(
	    "usage: tracecast check DIR|MANIFEST.json [--update] [--junit FILE] [--jobs N] "
	    "[--all]\n"
	    "                       [--filter GLOB]\n"
	    "       tracecast check --init DIR TRACE... --target CHIP [--source CHIP] [--set "
	    "K=V]...\n\n"
	    "Re-run golden projection cases and compare every figure with the expected JSON.\n"
	    "DIR holds cases.json; each case: {\"name\", \"input\" (path or list, relative to the\n"
	    "manifest; $CORPUS expands to $TRACECAST_CORPUS or ../shared/corpus), \"target\",\n"
	    "\"source\", \"set\": [\"key=value\"], \"args\": [...], \"expect\" (default\n"
	    "<name>.expect.json), \"tolerance\": {\"default\": {\"rel\", \"abs\"}, \"metrics\":\n"
	    "{\"glob\": {\"rel\", \"abs\"}}}, \"ignore\": [\"glob\"]}. Top-level \"tolerance\" "
	    "and\n"
	    "\"ignore\" apply to every case. Nothing is written outside the suite folder: a\n"
	    "name is a plain file name, \"expect\" a relative path without '..', and \"args\"\n"
	    "takes only project options that write nothing (--source --set --steps --host-scale\n"
	    "--gpu-scale --top --specs --validate -q -v).\n\n"
	    "  --init DIR    scaffold a suite: DIR/cases.json with one case per TRACE (join the\n"
	    "                ranks of one job with commas), then its goldens from this run\n"
	    "  --update      rewrite the expectations from this run and list what changed\n"
	    "  --junit FILE  also write JUnit XML\n"
	    "  --jobs N      parallel cases (default: number of cores)\n"
	    "  --all         print every metric, not only failures (by default a failing case\n"
	    "                prints its cause first: changed inputs, the op classes whose time\n"
	    "                moved, the sections that followed; then up to 8 rows per section)\n"
	    "  --filter GLOB run only cases whose name matches\n\n"
	    "Exit status: 0 all pass, 1 a case failed or errored, 2 usage or manifest error.\n");
}

static const char *corpus_dir(void)
{
	const char *c = getenv("TRACECAST_CORPUS");
	if (c && *c)
		return c;
	c = getenv("TC_CORPUS_DEFAULT");
	return c && *c ? c : "../shared/corpus";
}

/* Resolve an input path: $CORPUS/... against the corpus, relative paths against the
 * manifest dir. Returns 0, or -1 when a $CORPUS input is absent (the case is skipped). */
static int resolve_input(const struct check *ck, const char *in, char *out, size_t n)
{
	if (strncmp(in, "$CORPUS/", 8) == 0) {
		if (snprintf(out, n, "%s/%s", corpus_dir(), in + 8) >= (int)n)
			return -1;
		return access(out, R_OK) == 0 ? 0 : -1;
	}
	if (in[0] == '/') {
		if (snprintf(out, n, "%s", in) >= (int)n)
			return -1;
	} else {
		if (snprintf(out, n, "%s/%s", ck->dir, in) >= (int)n)
			return -1;
	}
	return 0;
}

static void push_arg(struct check_case *c, const char *a)
{
	c->argv = tc_xrealloc(c->argv, (c->argc + 2) * sizeof(*c->argv));
	c->argv[c->argc++] = tc_xstrdup(a);
	c->argv[c->argc] = NULL;
}

static int bad_manifest(const char *path, const char *where, const char *what)
{
	fprintf(stderr, "tracecast check: %s: %s: %s\n", path, where, what);
	return 2;
}

/* A case name becomes NAME.expect.json in the suite folder, written by --update: a plain
 * file name, so that no manifest can make check write anywhere else. */
static int plain_name(const char *s)
{
	if (!*s || *s == '.')
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '-' || *s == '_' || *s == '.' || *s == '+'))
			return 0;
	return 1;
}

/* A relative path with no ".." component: it stays inside the suite folder. */
static int inside_suite(const char *p)
{
	if (!*p || *p == '/')
		return 0;
	for (const char *c = p; *c;) {
		size_t n = strcspn(c, "/");
		if (n == 2 && c[0] == '.' && c[1] == '.')
			return 0;
		c += n;
		while (*c == '/')
			c++;
	}
	return 1;
}

/* project options a case may pass in "args": none of them writes a file (check itself
 * passes --json, to a file of its own). Each takes a value except the flags. */
static int allowed_arg(const char *a, int *takes_value)
{
	static const char *const with_value[] = {"--source",	"--set", "--steps", "--host-scale",
						 "--gpu-scale", "--top", "--specs", "--dtype",
						 "--dim",	NULL};
	static const char *const flags[] = {"--validate", "-q", "-v", NULL};
	for (const char *const *w = with_value; *w; w++)
		if (strcmp(a, *w) == 0)
			return *takes_value = 1;
	for (const char *const *f = flags; *f; f++)
		if (strcmp(a, *f) == 0)
			return !(*takes_value = 0);
	return 0;
}

/* Every key of a case must be known: a misspelt one would silently change nothing. */
static int known_keys(const char *mpath, const char *where, json_t *jc)
{
	char msg[512];
	const char *key;
	json_t *v;
	static const char *const known[] = {"name", "input",  "target",	   "source", "set",
					    "args", "expect", "tolerance", "ignore", NULL};
	json_object_foreach(jc, key, v)
	{
		int ok = 0;
		for (const char *const *k = known; *k; k++)
			ok |= strcmp(*k, key) == 0;
		if (!ok) {
			snprintf(msg, sizeof(msg), "unknown key '%s'", key);
			return bad_manifest(mpath, where, msg);
		}
	}
	return 0;
}

/* The case's inputs, --target and --source on the child command line. */
static int push_inputs(struct check *ck, const char *mpath, const char *where, json_t *jc,
		       struct check_case *c)
{
	char buf[PATH_MAX];
	json_t *target = json_object_get(jc, "target");
	json_t *input = json_object_get(jc, "input");
	size_t n_in = json_is_array(input) ? json_array_size(input) : json_is_string(input) ? 1 : 0;
	if (!n_in)
		return bad_manifest(mpath, where, "'input' must be a path or a list of paths");
	for (size_t i = 0; i < n_in; i++) {
		json_t *p = json_is_array(input) ? json_array_get(input, i) : input;
		if (!json_is_string(p))
			return bad_manifest(mpath, where, "'input' entries must be strings");
		if (json_string_value(p)[0] == '-') /* it would be read as an option */
			return bad_manifest(mpath, where,
					    "'input' entries must not start with '-'");
		if (resolve_input(ck, json_string_value(p), buf, sizeof(buf)) < 0)
			FMT(c->skip, "input %.200s absent (corpus not found)", buf);
		push_arg(c, buf);
	}
	push_arg(c, "--target");
	if (resolve_input(ck, json_string_value(target), buf, sizeof(buf)) == 0 &&
	    strchr(json_string_value(target), '/') && access(buf, R_OK) == 0)
		push_arg(c, buf); /* a spec file next to the manifest */
	else
		push_arg(c, json_string_value(target));
	json_t *src = json_object_get(jc, "source");
	if (src) {
		if (!json_is_string(src))
			return bad_manifest(mpath, where, "'source' must be a string");
		push_arg(c, "--source");
		push_arg(c, json_string_value(src));
	}
	return 0;
}

/* "set" (each as --set) and "args" (options project allows) on the child command line. */
static int push_lists(const char *mpath, const char *where, json_t *jc, struct check_case *c)
{
	char msg[512];
	const char *lists[] = {"set", "args"};
	for (int l = 0; l < 2; l++) {
		json_t *arr = json_object_get(jc, lists[l]);
		if (!arr)
			continue;
		if (!json_is_array(arr))
			return bad_manifest(mpath, where,
					    l ? "'args' must be a list of strings"
					      : "'set' must be a list of \"key=value\"");
		for (size_t i = 0; i < json_array_size(arr); i++) {
			json_t *s = json_array_get(arr, i);
			if (!json_is_string(s))
				return bad_manifest(mpath, where, "list entries must be strings");
			const char *a = json_string_value(s);
			int value = 0;
			if (l == 1 && a[0] == '-' && !allowed_arg(a, &value)) {
				snprintf(msg, sizeof(msg),
					 "'args' may not contain '%.40s' (allowed: --source "
					 "--set --steps --host-scale --gpu-scale --top --specs "
					 "--dtype --dim --validate "
					 "-q -v; check writes the outputs itself)",
					 a);
				return bad_manifest(mpath, where, msg);
			}
			if (value) { /* the option's value is taken as is, whatever it looks like */
				push_arg(c, a);
				if (++i == json_array_size(arr) ||
				    !json_is_string(json_array_get(arr, i)))
					return bad_manifest(mpath, where,
							    "'args': an option lacks its value");
				a = json_string_value(json_array_get(arr, i));
			}
			if (l == 0)
				push_arg(c, "--set");
			push_arg(c, a);
		}
	}
	return 0;
}

/* tolerance: the case's own rules, else the manifest's; ignore: the manifest's and the
 * case's paths */
static int tolerances(const char *mpath, const char *where, json_t *jc, const json_t *gtol,
		      const json_t *gignore, struct check_case *c)
{
	char msg[512];
	json_t *tol = json_object_get(jc, "tolerance");
	if (tc_tol_parse(tol ? tol : gtol, &c->tol, msg, sizeof(msg)) < 0)
		return bad_manifest(mpath, where, msg);
	json_t *ign = json_object_get(jc, "ignore");
	size_t ni = (json_is_array(ign) ? json_array_size(ign) : 0) +
		    (json_is_array(gignore) ? json_array_size(gignore) : 0);
	c->ignore = tc_xcalloc(ni + 1, sizeof(*c->ignore));
	size_t k = 0;
	const json_t *lists2[] = {gignore, ign};
	for (int l = 0; l < 2; l++)
		for (size_t i = 0; json_is_array(lists2[l]) && i < json_array_size(lists2[l]);
		     i++) {
			json_t *s = json_array_get(lists2[l], i);
			if (!json_is_string(s))
				return bad_manifest(mpath, where,
						    "'ignore' entries must be strings");
			c->ignore[k++] = json_string_value(s);
		}
	return 0;
}

static int load_case(struct check *ck, const char *mpath, json_t *jc, size_t idx,
		     const json_t *gtol, const json_t *gignore, struct check_case *c)
{
	char where[64], buf[PATH_MAX];
	snprintf(where, sizeof(where), "cases[%zu]", idx);
	if (!json_is_object(jc))
		return bad_manifest(mpath, where, "expected an object");
	int rc = known_keys(mpath, where, jc);
	if (rc)
		return rc;
	json_t *name = json_object_get(jc, "name"), *target = json_object_get(jc, "target");
	if (!json_is_string(name) || !json_string_length(name))
		return bad_manifest(mpath, where, "'name' must be a non-empty string");
	if (!plain_name(json_string_value(name)))
		return bad_manifest(
		    mpath, where,
		    "'name' must be a plain file name (letters, digits, "
		    "'-', '_', '+', '.'; not starting with '.'): it names NAME.expect.json "
		    "in the suite folder");
	snprintf(where, sizeof(where), "case '%.40s'", json_string_value(name));
	if (!json_is_string(target))
		return bad_manifest(mpath, where,
				    "'target' must be a string (chip id or spec path)");
	snprintf(c->name, sizeof(c->name), "%s", json_string_value(name));
	push_arg(c, ck->self);
	push_arg(c, "-q");
	push_arg(c, "project");
	if ((rc = push_inputs(ck, mpath, where, jc, c)) != 0 ||
	    (rc = push_lists(mpath, where, jc, c)) != 0)
		return rc;
	json_t *exp = json_object_get(jc, "expect");
	if (exp && !json_is_string(exp))
		return bad_manifest(mpath, where, "'expect' must be a path");
	if (exp && !inside_suite(json_string_value(exp)))
		return bad_manifest(mpath, where,
				    "'expect' must be a relative path inside the suite "
				    "folder (no '/' at the start, no '..')");
	snprintf(buf, sizeof(buf), "%s.expect.json", c->name);
	resolve_input(ck, exp ? json_string_value(exp) : buf, c->expect, sizeof(c->expect));
	FMT(c->out, "%s/case%zu.json", ck->tmpdir, idx);
	FMT(c->log, "%s/case%zu.log", ck->tmpdir, idx);
	push_arg(c, "--json");
	push_arg(c, c->out);
	return tolerances(mpath, where, jc, gtol, gignore, c);
}

static int load_manifest(struct check *ck, const char *arg, const char *filter)
{
	char mpath[PATH_MAX];
	struct stat st;
	json_error_t jerr;
	if (stat(arg, &st) != 0) {
		fprintf(stderr, "tracecast check: %s: %s\n", arg, strerror(errno));
		return 2;
	}
	if (S_ISDIR(st.st_mode)) {
		snprintf(mpath, sizeof(mpath), "%s/cases.json", arg);
		snprintf(ck->dir, sizeof(ck->dir), "%s", arg);
	} else {
		snprintf(mpath, sizeof(mpath), "%s", arg);
		const char *slash = strrchr(arg, '/');
		snprintf(ck->dir, sizeof(ck->dir), "%.*s", slash ? (int)(slash - arg) : 1,
			 slash ? arg : ".");
	}
	ck->manifest = json_load_file(mpath, JSON_REJECT_DUPLICATES, &jerr);
	if (!ck->manifest) {
		fprintf(stderr, "tracecast check: %s: line %d column %d: %s\n", mpath, jerr.line,
			jerr.column, jerr.text);
		return 2;
	}
	json_t *cases = json_object_get(ck->manifest, "cases");
	if (!json_is_array(cases))
		return bad_manifest(mpath, "top level", "expected {\"cases\": [...]}");
	const char *key;
	json_t *v;
	json_object_foreach(ck->manifest, key, v)
	{
		if (strcmp(key, "cases") && strcmp(key, "tolerance") && strcmp(key, "ignore")) {
			char msg[300];
			snprintf(msg, sizeof(msg), "unknown key '%s' (cases, tolerance, ignore)",
				 key);
			return bad_manifest(mpath, "top level", msg);
		}
	}
	ck->cases = tc_xcalloc(json_array_size(cases) + 1, sizeof(*ck->cases));
	for (size_t i = 0; i < json_array_size(cases); i++) {
		struct check_case *c = &ck->cases[ck->n];
		int rc = load_case(ck, mpath, json_array_get(cases, i), i,
				   json_object_get(ck->manifest, "tolerance"),
				   json_object_get(ck->manifest, "ignore"), c);
		if (rc)
			return rc;
		for (size_t j = 0; j < ck->n; j++)
			if (strcmp(ck->cases[j].name, c->name) == 0)
				return bad_manifest(mpath, c->name, "duplicate case name");
		if (filter && fnmatch(filter, c->name, 0) != 0) {
			for (size_t a = 0; a < c->argc; a++)
				free(c->argv[a]);
			free(c->argv);
			free(c->ignore);
			tc_tol_free(&c->tol);
			memset(c, 0, sizeof(*c));
			continue;
		}
		ck->n++;
	}
	return 0;
}

static pid_t spawn(struct check_case *c)
{
	pid_t pid = fork();
	if (pid == 0) {
		FILE *log = freopen(c->log, "w", stdout);
		if (!log)
			_exit(127);
		dup2(fileno(stdout), STDERR_FILENO);
		execv(c->argv[0], c->argv);
		_exit(127);
	}
	return pid;
}

static void run_all(struct check *ck, int jobs)
{
	size_t next = 0, running = 0;
	while (next < ck->n || running) {
		while (running < (size_t)jobs && next < ck->n) {
			struct check_case *c = &ck->cases[next++];
			if (c->skip[0])
				continue;
			c->pid = spawn(c);
			if (c->pid < 0) {
				snprintf(c->error, sizeof(c->error), "cannot fork: %s",
					 strerror(errno));
				continue;
			}
			running++;
		}
		if (!running)
			break;
		int status;
		pid_t pid = wait(&status);
		if (pid < 0)
			break;
		for (size_t i = 0; i < ck->n; i++)
			if (ck->cases[i].pid == pid) {
				ck->cases[i].exit_code = WIFEXITED(status) ? WEXITSTATUS(status)
									   : 128 + WTERMSIG(status);
				ck->cases[i].pid = 0;
			}
		running--;
	}
}

static void first_line(const char *path, char *out, size_t n)
{
	FILE *f = fopen(path, "r");
	out[0] = 0;
	if (!f)
		return;
	char line[300];
	while (fgets(line, sizeof(line), f)) {
		if (strstr(line, "error")) {
			(void)(snprintf(out, n, "%s", line) < 0);
			break;
		}
		if (!out[0])
			(void)(snprintf(out, n, "%s", line) < 0);
	}
	fclose(f);
	out[strcspn(out, "\n")] = 0;
}

static int write_json(const char *path, json_t *j, struct tc_err *err)
{
	struct tc_outfile o;
	TC_TRY(tc_outfile_open(&o, path, err));
	if (json_dumpf(j, o.fp, JSON_INDENT(2) | JSON_SORT_KEYS | JSON_REAL_PRECISION(17)) != 0) {
		tc_outfile_abort(&o);
		return tc_err_set(err, TC_EIO, "%s: write failed", path);
	}
	fputc('\n', o.fp);
	return tc_outfile_commit(&o, err);
}

static void evaluate(struct check *ck, int update)
{
	for (size_t i = 0; i < ck->n; i++) {
		struct check_case *c = &ck->cases[i];
		json_error_t jerr;
		if (c->skip[0] || c->error[0])
			continue;
		if (c->exit_code != 0) {
			char line[400];
			first_line(c->log, line, sizeof(line));
			FMT(c->error, "project exited %d: %s", c->exit_code, line);
			continue;
		}
		json_t *got = json_load_file(c->out, 0, &jerr);
		if (!got) {
			snprintf(c->error, sizeof(c->error), "unreadable projection: %s",
				 jerr.text);
			continue;
		}
		json_t *want = json_load_file(c->expect, 0, &jerr);
		if (want)
			tc_compare_json(want, got, &c->tol, c->ignore, &c->cmp);
		if (update) {
			struct tc_err err = TC_ERR_INIT;
			if (!want || c->cmp.failed) {
				if (write_json(c->expect, got, &err) < 0)
					FMT(c->error, "%s", err.msg);
				else
					c->updated = want ? 2 : 1;
			}
		} else if (!want) {
			FMT(c->error, "no expectation %.300s (run with --update to create it)",
			    c->expect);
		}
		json_decref(want);
		json_decref(got);
	}
}

static const char *status_name(enum tc_cmp_status s)
{
	static const char *const n[] = {"PASS", "FAIL", "MISSING", "EXTRA"};
	return n[s];
}

/* The section of a metric: its first path component ("summary", "steps", "by_class"). */
static void section_of(const char *metric, char *out, size_t n)
{
	size_t k = strcspn(metric, ".[");
	if (k >= n)
		k = n - 1;
	memcpy(out, metric, k);
	out[k] = 0;
}

static int is_input_section(const char *sec)
{
	return strcmp(sec, "target_chip") == 0 || strcmp(sec, "source_chip") == 0 ||
	       strcmp(sec, "options") == 0 || strcmp(sec, "input") == 0;
}

#define MAX_SECTIONS 32

/* One cause, one report: what changed in the inputs, which op classes' projected time moved
 * (what every other figure follows from), and how many metrics of each other section
 * followed. */
static void print_causes(const struct check_case *c)
{
	char a[64];
	printf("%s: %zu of %zu metrics differ\n", c->name, c->cmp.failed, c->cmp.n);
	int any = 0;
	for (size_t r = 0; r < c->cmp.n; r++) {
		const struct tc_cmp_row *row = &c->cmp.rows[r];
		char sec[64];
		section_of(row->metric, sec, sizeof(sec));
		if (row->status == TC_CMP_PASS || !is_input_section(sec))
			continue;
		printf("%s %s", any ? "," : "  inputs changed:", row->metric);
		any = 1;
	}
	if (any)
		putchar('\n');
	any = 0;
	for (size_t r = 0; r < c->cmp.n; r++) {
		const struct tc_cmp_row *row = &c->cmp.rows[r];
		size_t len = strlen(row->metric);
		const char *tail = ".projected_ns";
		if (row->status == TC_CMP_PASS || strncmp(row->metric, "by_class.", 9) != 0 ||
		    len < strlen(tail) + 9 || strcmp(row->metric + len - strlen(tail), tail) != 0)
			continue;
		int cls_len = (int)(len - strlen(tail) - 9);
		if (row->is_number && row->want != 0)
			printf("%s %.*s %s%s%%",
			       any ? "," : "  cause: op-class GPU time moved:", cls_len,
			       row->metric + 9, row->got > row->want ? "+" : "",
			       tc_fmt_fixed(a, sizeof(a), (row->got - row->want) / row->want * 100,
					    1));
		else
			printf("%s %.*s (%s)",
			       any ? "," : "  cause: op-class GPU time moved:", cls_len,
			       row->metric + 9, status_name(row->status));
		any = 1;
	}
	if (any)
		putchar('\n');
	char secs[MAX_SECTIONS][64];
	size_t cnt[MAX_SECTIONS], ns = 0;
	for (size_t r = 0; r < c->cmp.n; r++) {
		const struct tc_cmp_row *row = &c->cmp.rows[r];
		char sec[64];
		section_of(row->metric, sec, sizeof(sec));
		if (row->status == TC_CMP_PASS || is_input_section(sec) ||
		    strcmp(sec, "by_class") == 0)
			continue;
		size_t i = 0;
		while (i < ns && strcmp(secs[i], sec) != 0)
			i++;
		if (i == ns) {
			if (ns == MAX_SECTIONS)
				continue;
			memcpy(secs[ns], sec, sizeof(sec));
			cnt[ns++] = 0;
		}
		cnt[i]++;
	}
	for (size_t i = 0; i < ns; i++)
		printf("%s %s %zu", i ? "," : "  follows:", secs[i], cnt[i]);
	if (ns)
		putchar('\n');
}

/* Failing rows shown per section without --all: the summary above says what moved. */
#define ROWS_PER_SECTION 8

static void print_table(const struct check *ck, int all, int update)
{
	char a[64], b[64], d[64];
	for (size_t i = 0; i < ck->n && !update; i++)
		if (!ck->cases[i].skip[0] && !ck->cases[i].error[0] && ck->cases[i].cmp.failed)
			print_causes(&ck->cases[i]);
	printf("%-28s %-44s %16s %16s %12s  %s\n", "case", "metric", "expected", "got", "delta",
	       "result");
	for (size_t i = 0; i < ck->n; i++) {
		const struct check_case *c = &ck->cases[i];
		if (c->skip[0]) {
			printf("%-28s %-44s %16s %16s %12s  SKIP (%s)\n", c->name, "-", "-", "-",
			       "-", c->skip);
			continue;
		}
		if (c->error[0] && !c->updated) {
			printf("%-28s %-44s %16s %16s %12s  ERROR: %s\n", c->name, "-", "-", "-",
			       "-", c->error);
			continue;
		}
		char cur[64] = "";
		size_t shown = 0, hidden = 0;
		for (size_t r = 0; r < c->cmp.n; r++) {
			const struct tc_cmp_row *row = &c->cmp.rows[r];
			if (row->status == TC_CMP_PASS && !all)
				continue;
			char sec[64];
			section_of(row->metric, sec, sizeof(sec));
			if (strcmp(sec, cur) != 0) {
				if (hidden)
					printf("%-28s %-44s %zu more in %s (--all lists them)\n",
					       c->name, "...", hidden, cur);
				memcpy(cur, sec, sizeof(sec));
				shown = hidden = 0;
			}
			if (!all && !update && shown == ROWS_PER_SECTION) {
				hidden++;
				continue;
			}
			shown++;
			if (row->is_number) {
				double delta = row->want != 0
						   ? (row->got - row->want) / row->want * 100.0
						   : row->got - row->want;
				printf("%-28s %-44s %16s %16s %11s%s  %s%s\n", c->name, row->metric,
				       tc_fmt_double(a, sizeof(a), row->want),
				       tc_fmt_double(b, sizeof(b), row->got),
				       tc_fmt_fixed(d, sizeof(d), delta, 3),
				       row->want != 0 ? "%" : " ", status_name(row->status),
				       update ? " (updated)" : "");
			} else {
				printf("%-28s %-44s %16.16s %16.16s %12s  %s%s\n", c->name,
				       row->metric, row->want_s, row->got_s, "-",
				       status_name(row->status), update ? " (updated)" : "");
			}
		}
		if (hidden)
			printf("%-28s %-44s %zu more in %s (--all lists them)\n", c->name, "...",
			       hidden, cur);
		if (c->updated == 1)
			printf("%-28s %-44s %16s %16s %12s  CREATED %s\n", c->name, "-", "-", "-",
			       "-", c->expect);
		else
			printf("%-28s %-44s %16s %16s %12s  %s (%zu metrics, %zu differ)\n",
			       c->name, "(all)", "", "", "",
			       c->cmp.failed && !update ? "FAIL"
			       : c->updated		? "UPDATED"
							: "PASS",
			       c->cmp.n, c->cmp.failed);
	}
}

static int write_junit(const struct check *ck, const char *path, struct tc_err *err)
{
	struct tc_outfile o;
	size_t failures = 0, errors = 0, skipped = 0;
	char a[64], b[64];
	for (size_t i = 0; i < ck->n; i++) {
		failures += !ck->cases[i].error[0] && ck->cases[i].cmp.failed;
		errors += ck->cases[i].error[0] != 0;
		skipped += ck->cases[i].skip[0] != 0;
	}
	TC_TRY(tc_outfile_open(&o, path, err));
	fprintf(o.fp, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	fprintf(o.fp,
		"<testsuites>\n<testsuite name=\"tracecast check\" tests=\"%zu\" failures=\"%zu\" "
		"errors=\"%zu\" skipped=\"%zu\">\n",
		ck->n, failures, errors, skipped);
	for (size_t i = 0; i < ck->n; i++) {
		const struct check_case *c = &ck->cases[i];
		fprintf(o.fp, "  <testcase classname=\"tracecast.check\" name=\"");
		tc_cli_xml_escape(o.fp, c->name);
		fprintf(o.fp, "\">\n");
		if (c->skip[0]) {
			fprintf(o.fp, "    <skipped message=\"");
			tc_cli_xml_escape(o.fp, c->skip);
			fprintf(o.fp, "\"/>\n");
		} else if (c->error[0]) {
			fprintf(o.fp, "    <error message=\"");
			tc_cli_xml_escape(o.fp, c->error);
			fprintf(o.fp, "\"/>\n");
		} else if (c->cmp.failed) {
			fprintf(o.fp,
				"    <failure message=\"%zu of %zu metrics outside tolerance\">",
				c->cmp.failed, c->cmp.n);
			for (size_t r = 0; r < c->cmp.n; r++) {
				const struct tc_cmp_row *row = &c->cmp.rows[r];
				if (row->status == TC_CMP_PASS)
					continue;
				tc_cli_xml_escape(o.fp, row->metric);
				fprintf(o.fp, ": expected ");
				tc_cli_xml_escape(o.fp, row->is_number
							    ? tc_fmt_double(a, sizeof(a), row->want)
							    : row->want_s);
				fprintf(o.fp, ", got ");
				tc_cli_xml_escape(o.fp, row->is_number
							    ? tc_fmt_double(b, sizeof(b), row->got)
							    : row->got_s);
				fprintf(o.fp, " (%s)\n", status_name(row->status));
			}
			fprintf(o.fp, "</failure>\n");
		}
		fprintf(o.fp, "  </testcase>\n");
	}
	fprintf(o.fp, "</testsuite>\n</testsuites>\n");
	return tc_outfile_commit(&o, err);
}

static void free_check(struct check *ck)
{
	/* up to and including cases[n]: a case that failed to load, or whose name was a
	 * duplicate, is still there, half built (the array has one spare, zeroed entry) */
	for (size_t i = 0; ck->cases && i <= ck->n; i++) {
		struct check_case *c = &ck->cases[i];
		for (size_t a = 0; a < c->argc; a++)
			free(c->argv[a]);
		free(c->argv);
		free(c->ignore);
		tc_tol_free(&c->tol);
		tc_cmp_free(&c->cmp);
		if (c->out[0])
			unlink(c->out);
		if (c->log[0])
			unlink(c->log);
	}
	free(ck->cases);
	json_decref(ck->manifest);
	if (ck->tmpdir[0])
		rmdir(ck->tmpdir);
}

/* The command line. */
struct check_args {
	const char *target, *junit, *filter, *init;
	const char *chip, *source;   /* --init: --target, --source */
	const char **traces, **sets; /* --init: argc + 1 entries each, freed by the caller */
	size_t n_traces, n_sets;
	int update, all, jobs;
};

/* 0, or the exit status after a usage message */
static int parse_args(struct tc_cli *cli, int argc, char **argv, struct check_args *a)
{
	memset(a, 0, sizeof(*a));
	a->traces = tc_xcalloc((size_t)argc + 1, sizeof(char *));
	a->sets = tc_xcalloc((size_t)argc + 1, sizeof(char *));
	a->jobs = tc_cores(INT_MAX);
	int urc = 0;
	for (int i = 1; i < argc && !urc; i++) {
		if (strcmp(argv[i], "--init") == 0 && i + 1 < argc)
			a->init = argv[++i];
		else if (strcmp(argv[i], "--target") == 0 && i + 1 < argc)
			a->chip = argv[++i];
		else if (strcmp(argv[i], "--source") == 0 && i + 1 < argc)
			a->source = argv[++i];
		else if (strcmp(argv[i], "--set") == 0 && i + 1 < argc)
			a->sets[a->n_sets++] = argv[++i];
		else if (a->init && argv[i][0] != '-')
			a->traces[a->n_traces++] = argv[i];
		else if (strcmp(argv[i], "--update") == 0)
			a->update = 1;
		else if (strcmp(argv[i], "--all") == 0)
			a->all = 1;
		else if (strcmp(argv[i], "--junit") == 0 && i + 1 < argc)
			a->junit = argv[++i];
		else if (strcmp(argv[i], "--filter") == 0 && i + 1 < argc)
			a->filter = argv[++i];
		else if (strcmp(argv[i], "--jobs") == 0 && i + 1 < argc) {
			a->jobs = atoi(argv[++i]);
			if (a->jobs < 1)
				urc = tc_cli_usage(cli, "check", "--jobs needs a positive number");
		} else if (argv[i][0] == '-')
			urc = tc_cli_usage(cli, "check", "unknown option '%s'", argv[i]);
		else if (a->target)
			urc = tc_cli_usage(cli, "check", "one DIR or MANIFEST expected");
		else
			a->target = argv[i];
	}
	if (!urc && a->init && (!a->n_traces || !a->chip))
		urc = tc_cli_usage(cli, "check", "--init DIR needs TRACE... and --target CHIP");
	if (!urc && !a->init && (a->chip || a->source || a->n_sets))
		urc = tc_cli_usage(cli, "check", "--target, --source and --set go with --init");
	return urc;
}

/* --init: write the suite, then check it with --update (the goldens, from this run). */
static int init_suite(struct tc_cli *cli, struct check_args *a)
{
	struct tc_err err = TC_ERR_INIT;
	int urc = 0;
	if (tc_check_init(a->init, a->traces, a->n_traces, a->chip, a->source, a->sets, a->n_sets,
			  corpus_dir(), &err) < 0)
		urc = tc_cli_fail(cli, &err);
	a->target = a->init;
	a->update = 1;
	return urc;
}

/* This executable (the cases run it) and a temporary folder for the cases' outputs: 0, or
 * the exit status after a message. */
static int check_setup(struct check *ck)
{
	ssize_t n = readlink("/proc/self/exe", ck->self, sizeof(ck->self) - 1);
	if (n <= 0) {
		fprintf(stderr, "tracecast check: cannot find the tracecast executable\n");
		return 1;
	}
	ck->self[n] = 0;
	const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	snprintf(ck->tmpdir, sizeof(ck->tmpdir), "%s/tracecast-check-XXXXXX", tmp);
	if (!mkdtemp(ck->tmpdir)) {
		fprintf(stderr, "tracecast check: cannot create a temporary directory in %s\n",
			tmp);
		return 1;
	}
	return 0;
}

/* The manifest, each case's inputs (every argument that names a file) and expectation:
 * --junit must be none of them. */
static int junit_outputs_check(const struct check *ck, const char *target, const char *junit,
			       struct tc_err *err)
{
	char mfile[PATH_MAX + 16];
	snprintf(mfile, sizeof(mfile), "%s/cases.json", target);
	size_t n_ins = 2;
	for (size_t i = 0; i < ck->n; i++)
		n_ins += (size_t)ck->cases[i].argc + 1;
	const char **ins = tc_xcalloc(n_ins, sizeof(*ins));
	size_t k = 0;
	ins[k++] = target;
	ins[k++] = mfile;
	for (size_t i = 0; i < ck->n; i++) {
		ins[k++] = ck->cases[i].expect;
		for (size_t a = 0; a < ck->cases[i].argc; a++)
			ins[k++] = ck->cases[i].argv[a];
	}
	int rc = tc_outputs_check(&junit, 1, ins, k, err);
	free(ins);
	return rc;
}

/* Run the cases, print the table and the counts (and write --junit): the exit status. */
static int run_cases(struct tc_cli *cli, struct check *ck, const struct check_args *a)
{
	struct tc_err err = TC_ERR_INIT;
	if (a->junit && junit_outputs_check(ck, a->target, a->junit, &err) < 0)
		return tc_cli_fail(cli, &err);
	tc_info(&cli->log, "check: %zu cases, %d jobs", ck->n, a->jobs);
	run_all(ck, a->jobs);
	evaluate(ck, a->update);
	print_table(ck, a->all, a->update);
	size_t failed = 0, skipped = 0;
	for (size_t i = 0; i < ck->n; i++) {
		const struct check_case *c = &ck->cases[i];
		skipped += c->skip[0] != 0;
		failed += (c->error[0] != 0) || (!a->update && c->cmp.failed);
	}
	if (a->junit && write_junit(ck, a->junit, &err) < 0)
		return tc_cli_fail(cli, &err);
	printf("%zu passed, %zu failed, %zu skipped\n", ck->n - failed - skipped, failed, skipped);
	return failed ? 1 : 0;
}

int tc_cmd_check(struct tc_cli *cli, int argc, char **argv)
{
	struct check_args a;
	struct check ck;
	memset(&ck, 0, sizeof(ck));
	if (tc_cli_wants_help(argc, argv)) {
		usage();
		return 0;
	}
	int urc = parse_args(cli, argc, argv, &a);
	if (!urc && a.init)
		urc = init_suite(cli, &a);
	free(a.traces);
	free(a.sets);
	if (urc)
		return urc;
	if (!a.target)
		return tc_cli_usage(cli, "check", "missing DIR or MANIFEST.json");
	if (a.jobs < 1)
		a.jobs = 1;
	int rc = check_setup(&ck);
	if (rc)
		return rc;
	rc = load_manifest(&ck, a.target, a.filter);
	if (rc == 0)
		rc = run_cases(cli, &ck, &a);
	free_check(&ck);
	return rc;
}

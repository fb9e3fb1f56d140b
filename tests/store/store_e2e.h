/* store_e2e.h - running the tracecast binary from the store's end-to-end tests. */
#ifndef TC_TEST_STORE_E2E_H
#define TC_TEST_STORE_E2E_H

#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "store_common.h"

static char e2e_dir[256];
static char e2e_out[8192], e2e_errout[8192];

static inline const char *tracecast(void)
{
	const char *t = getenv("TRACECAST");
	cr_assert(t && *t, "TRACECAST is not set (run through meson test)");
	return t;
}

static inline void slurp(const char *path, char *buf, size_t n)
{
	FILE *fp = fopen(path, "r");
	size_t k = fp ? fread(buf, 1, n - 1, fp) : 0;
	buf[k] = 0;
	if (fp)
		fclose(fp);
}

/* Run "tracecast <args>" (args formatted) with stdout and stderr captured into e2e_out and
 * e2e_errout; returns the exit status, or 128 + signal. */
static inline int tc_run(const char *fmt, ...) TC_PRINTF(1, 2);
static inline int tc_run(const char *fmt, ...)
{
	char args[4096], cmd[8192], o[300], e[300];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(args, sizeof(args), fmt, ap);
	va_end(ap);
	snprintf(o, sizeof(o), "%s/stdout.txt", e2e_dir);
	snprintf(e, sizeof(e), "%s/stderr.txt", e2e_dir);
	snprintf(cmd, sizeof(cmd), "cd '%s' && '%s' %s >'%s' 2>'%s'", e2e_dir, tracecast(), args, o,
		 e);
	int st = system(cmd);
	slurp(o, e2e_out, sizeof(e2e_out));
	slurp(e, e2e_errout, sizeof(e2e_errout));
	if (st == -1)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static inline int count_lines(const char *s)
{
	int n = 0;
	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* A fresh directory holding sample.tcs, ingested from the project's committed sample. */
static inline void e2e_setup(void)
{
	const char *src = getenv("TC_SRCDIR");
	cr_assert(src, "TC_SRCDIR is not set");
	tmpdir(e2e_dir, sizeof(e2e_dir));
	int rc = tc_run("ingest '%s/traces/sample/train_a100_rank0.json.gz' -o sample.tcs -q", src);
	cr_assert_eq(rc, 0, "ingest: %s", e2e_errout);
}

static inline void e2e_teardown(void)
{
	char cmd[400];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", e2e_dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", e2e_dir);
}

#endif

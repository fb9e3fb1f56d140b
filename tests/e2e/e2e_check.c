/* e2e_check.c - `tracecast check` as a user runs it on their own suite:
 *   --init scaffolds cases.json and goldens from the bundled sample, and a re-run passes;
 *   a spec change then fails with one report: its cause first (the changed input, the op
 *   classes whose time moved), metrics named by key (by_class.gemm.projected_ns, steps by
 *   rank and name), and at most 8 rows per section;
 *   --init refuses an existing suite and needs --target. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char tmpdir[] = "/tmp/tc-check-XXXXXX";
static char out[1 << 17];

static void setup(void)
{
	cr_assert_not_null(mkdtemp(tmpdir));
}

static void teardown(void)
{
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	cr_expect_eq(system(cmd), 0);
}

/* tracecast ARGS (stdout and stderr into out); the exit status */
static int tc(const char *args)
{
	const char *exe = getenv("TRACECAST");
	cr_assert(exe, "TRACECAST comes from meson");
	char cmd[4096], log[512];
	snprintf(log, sizeof(log), "%s/out.txt", tmpdir);
	snprintf(cmd, sizeof(cmd), "'%s' %s > '%s' 2>&1", exe, args, log);
	int st = system(cmd);
	FILE *f = fopen(log, "r");
	cr_assert_not_null(f);
	size_t n = fread(out, 1, sizeof(out) - 1, f);
	out[n] = 0;
	fclose(f);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void init_suite(void)
{
	const char *src = getenv("TC_SRCDIR");
	cr_assert(src);
	char args[2048];
	snprintf(args, sizeof(args),
		 "check --init '%s/suite' '%s/traces/sample/train_a100_rank0.json.gz,%s/traces/"
		 "sample/train_a100_rank1.json.gz' --target h100 --jobs 1",
		 tmpdir, src, src);
	cr_assert_eq(tc(args), 0, "%s", out);
	cr_assert(strstr(out, "CREATED"), "%s", out);
}

TestSuite(e2e_check, .init = setup, .fini = teardown);

Test(e2e_check, init_then_pass, .timeout = 120)
{
	init_suite();
	char args[1024], path[600];
	snprintf(path, sizeof(path), "%s/suite/cases.json", tmpdir);
	cr_assert_eq(access(path, F_OK), 0);
	snprintf(args, sizeof(args), "check '%s/suite' --jobs 1", tmpdir);
	cr_assert_eq(tc(args), 0, "%s", out);
	cr_assert(strstr(out, "1 passed, 0 failed"), "%s", out);
	/* a second --init would overwrite the goldens: refused, nothing changed */
	snprintf(args, sizeof(args), "check --init '%s/suite' x.json --target h100", tmpdir);
	cr_assert_eq(tc(args), 1, "%s", out);
	cr_assert(strstr(out, "already exists"), "%s", out);
	snprintf(args, sizeof(args), "check --init '%s/other' x.json", tmpdir);
	cr_assert_eq(tc(args), 2, "%s", out);
	cr_assert(strstr(out, "--target"), "%s", out);
}

Test(e2e_check, one_cause_one_report, .timeout = 120)
{
	init_suite();
	/* the same case with the target's bf16 peak lowered: GEMMs slow down */
	char cmd[1024];
	snprintf(cmd, sizeof(cmd),
		 "sed -i 's/\"target\": \"h100\"/\"target\": \"h100\", \"set\": "
		 "[\"compute.matrix.peak_tflops.bf16=600\"]/' '%s/suite/cases.json'",
		 tmpdir);
	cr_assert_eq(system(cmd), 0);
	char args[1024];
	snprintf(args, sizeof(args), "check '%s/suite' --jobs 1", tmpdir);
	cr_assert_eq(tc(args), 1, "%s", out);
	/* the summary comes before the table */
	char *cause = strstr(out, "cause: op-class GPU time moved:");
	char *table = strstr(out, "case ");
	cr_assert(cause && table && cause < table, "%s", out);
	cr_assert(strstr(cause, " gemm +"), "%s", out);
	cr_assert(strstr(out, "inputs changed: target_chip.overrides"), "%s", out);
	cr_assert(strstr(out, "follows:"), "%s", out);
	/* metrics by key, not position */
	cr_assert(strstr(out, "by_class.gemm.projected_ns"), "%s", out);
	cr_assert(strstr(out, "steps.rank0:ProfilerStep#"), "%s", out);
	cr_assert_null(strstr(out, "by_class["), "%s", out);
	/* at most 8 rows per section; --all lists every one */
	cr_assert(strstr(out, "more in steps (--all lists them)"), "%s", out);
	snprintf(args, sizeof(args), "check '%s/suite' --jobs 1 --all", tmpdir);
	cr_assert_eq(tc(args), 1, "%s", out);
	cr_assert_null(strstr(out, "(--all lists them)"), "%s", out);
}

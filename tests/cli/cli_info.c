/* cli_info.c - `tracecast info` shows the work a stream records and the parameters of an ONNX
 * model (issue 18): ResNet-50 at batch 1 is 4.1 GMACs (8.2 GFLOP) and 25.6 M parameters. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

Test(cli_info, resnet50_work_and_parameters, .timeout = 120)
{
	const char *exe = getenv("TRACECAST"), *c = getenv("TRACECAST_CORPUS");
	if (!c || !*c)
		c = getenv("TC_CORPUS_DEFAULT");
	cr_assert(exe, "TRACECAST must be set");
	char model[1024], dir[] = "/tmp/tc_info_XXXXXX", cmd[4096], out[16384];
	snprintf(model, sizeof(model), "%s/onnx/light_resnet50.onnx", c ? c : "");
	struct stat st;
	if (!c || stat(model, &st) != 0)
		cr_skip_test("corpus model %s absent (set TRACECAST_CORPUS)", model);
	cr_assert_not_null(mkdtemp(dir));
	snprintf(cmd, sizeof(cmd), "'%s' -q ingest '%s' -o '%s/m.tcs' && '%s' info '%s/m.tcs'", exe,
		 model, dir, exe, dir);
	FILE *p = popen(cmd, "r");
	cr_assert_not_null(p);
	size_t n = fread(out, 1, sizeof(out) - 1, p);
	out[n] = 0;
	cr_assert_eq(pclose(p), 0, "%s", cmd);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_expect_eq(system(cmd), 0);
	cr_expect(strstr(out, "parameters   25610152 ("), "%s", out);
	const char *tot = strstr(out, "\ntotal ");
	cr_assert_not_null(tot, "%s", out);
	double gflop = 0;
	cr_assert_eq(sscanf(tot, "\ntotal %*u %lf", &gflop), 1, "%s", tot);
	cr_expect(gflop > 8.0 && gflop < 8.4, "ResNet-50 bs1: %.3f GFLOP", gflop);
}

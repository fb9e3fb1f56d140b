/* cli_json.c - commands that print a table print JSON with --json (issue 15): hw list,
 * hw compare; and project --ops-csv writes one row per op. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char out[1 << 20];

static void run(const char *args)
{
	const char *exe = getenv("TRACECAST");
	cr_assert(exe, "TRACECAST must be set");
	char cmd[2048];
	snprintf(cmd, sizeof(cmd), "'%s' %s", exe, args);
	FILE *p = popen(cmd, "r");
	cr_assert_not_null(p);
	size_t n = fread(out, 1, sizeof(out) - 1, p);
	out[n] = 0;
	cr_assert_eq(pclose(p), 0, "%s", cmd);
}

Test(cli_json, hw_list)
{
	run("hw list --json");
	json_error_t e;
	json_t *a = json_loads(out, 0, &e);
	cr_assert(json_is_array(a), "%s: %s", e.text, out);
	cr_assert_gt(json_array_size(a), 20);
	int h100 = 0;
	for (size_t i = 0; i < json_array_size(a); i++) {
		json_t *c = json_array_get(a, i);
		if (strcmp(json_string_value(json_object_get(c, "id")), "h100-sxm5") != 0)
			continue;
		h100 = 1;
		cr_assert_eq(json_number_value(json_object_get(c, "hbm_gbs")), 3350);
		cr_assert_gt(
		    json_number_value(json_object_get(json_object_get(c, "peak_tflops"), "bf16")),
		    900);
	}
	cr_assert(h100);
	json_decref(a);
}

Test(cli_json, hw_compare)
{
	run("hw compare h100 mi300x --json");
	json_t *o = json_loads(out, 0, NULL);
	cr_assert_not_null(o, "%s", out);
	cr_assert_str_eq(json_string_value(json_object_get(o, "b")), "mi300x");
	json_t *f = json_object_get(o, "fields");
	int found = 0;
	for (size_t i = 0; i < json_array_size(f); i++) {
		json_t *x = json_array_get(f, i);
		if (strcmp(json_string_value(json_object_get(x, "field")), "memory.hbm.bw_gbs"))
			continue;
		found = 1;
		cr_assert_float_eq(json_number_value(json_object_get(x, "ratio")), 5300.0 / 3350,
				   1e-6);
	}
	cr_assert(found, "%s", out);
	json_decref(o);
}

Test(cli_json, project_ops_csv)
{
	const char *src = getenv("TC_SRCDIR");
	char args[2048];
	snprintf(args, sizeof(args),
		 "-q project '%s/traces/sample/train_a100_rank0.json.gz' --target h100 --no-band "
		 "--ops-csv - --json /dev/null",
		 src);
	run(args);
	cr_assert(strncmp(out, "op,rank,lane,kind,class,name,bound,", 35) == 0, "%.200s", out);
	size_t rows = 0, kernels = 0;
	for (char *l = strchr(out, '\n'); l && l[1]; l = strchr(l + 1, '\n')) {
		rows++;
		kernels += strstr(l, ",kernel,") && strstr(l, ",kernel,") < strchr(l + 1, '\n');
	}
	cr_assert_gt(rows, 1000, "%zu rows", rows);
	cr_assert_gt(kernels, 100);
}

Test(cli_json, info)
{
	const char *src = getenv("TC_SRCDIR");
	char args[1024];
	snprintf(args, sizeof(args), "info '%s/traces/sample/train_a100_rank0.json.gz' --json",
		 src);
	run(args);
	json_t *o = json_loads(out, 0, NULL);
	cr_assert_not_null(o, "%s", out);
	cr_assert_eq(json_integer_value(json_object_get(o, "ops")), 1251);
	cr_assert_str_eq(json_string_value(json_object_get(o, "source_format")), "kineto");
	json_t *gemm = json_object_get(json_object_get(o, "by_class"), "gemm");
	cr_assert_gt(json_integer_value(json_object_get(gemm, "flops")), 0);
	cr_assert_gt(json_integer_value(json_object_get(o, "flops")),
		     json_integer_value(json_object_get(gemm, "flops")) - 1);
	cr_assert(json_is_array(json_object_get(o, "devices")));
	json_decref(o);
}

/* report_diffvendor.c - `tracecast diff` across vendors on the corpus's H100 / MI300X pairs
 * of the same model (issue 18): no kernel name is shared, so kernels are matched through
 * their launching aten operator; every BERT kernel finds its partner, FlashAttention's
 * forward pairs with attn_fwd, and a diff of a trace with itself keeps the join by name.
 * Skipped (visibly) without the corpus. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static json_t *diff_json(const char *a, const char *b)
{
	const char *exe = getenv("TRACECAST");
	cr_assert(exe, "TRACECAST must be set");
	char cmd[4096];
	snprintf(cmd, sizeof(cmd), "'%s' -q diff '%s' '%s' --json --top 1000", exe, a, b);
	FILE *p = popen(cmd, "r");
	cr_assert_not_null(p);
	json_error_t je;
	json_t *j = json_loadf(p, 0, &je);
	cr_assert_eq(pclose(p), 0, "%s", cmd);
	cr_assert_not_null(j, "%s: %s", cmd, je.text);
	return j;
}

static void pair(const char *model, char *a, char *b, size_t n)
{
	const char *c = getenv("TRACECAST_CORPUS");
	if (!c || !*c)
		c = getenv("TC_CORPUS_DEFAULT");
	snprintf(a, n, "%s/TraceLens/h100/%s.json.gz", c ? c : "", model);
	snprintf(b, n, "%s/TraceLens/mi300/%s.json.gz", c ? c : "", model);
	struct stat st;
	if (!c || stat(a, &st) != 0 || stat(b, &st) != 0)
		cr_skip_test("corpus pair %s absent (set TRACECAST_CORPUS)", model);
}

Test(report_diffvendor, bert_h100_mi300x_every_kernel_matched, .timeout = 300)
{
	char a[1024], b[1024];
	pair("gaunernst_bert-small-uncased__1016001", a, b, sizeof(a));
	json_t *j = diff_json(a, b);
	cr_assert_str_eq(json_string_value(json_object_get(j, "kernel_match")), "operator");
	json_t *ks = json_object_get(j, "kernels");
	size_t i;
	json_t *k;
	int flash = 0;
	double ta = 0, tb = 0;
	json_array_foreach(ks, i, k)
	{
		double ac = json_number_value(json_object_get(k, "a_count"));
		double bc = json_number_value(json_object_get(k, "b_count"));
		const char *nm = json_string_value(json_object_get(k, "name"));
		const char *bn = json_string_value(json_object_get(k, "b_name"));
		cr_expect(ac > 0 && bc > 0, "unmatched: %s (%g / %g)", nm, ac, bc);
		if (nm && strstr(nm, "flash_fwd_kernel")) {
			flash = 1;
			cr_expect(bn && strcmp(bn, "attn_fwd") == 0, "flash pairs with %s",
				  bn ? bn : "-");
			cr_expect_eq(ac, 4);
		}
		ta += json_number_value(json_object_get(k, "a_ns"));
		tb += json_number_value(json_object_get(k, "b_ns"));
	}
	cr_expect(flash, "no FlashAttention row");
	/* the kernel rows cover the GPU time of both sides (the class table's totals) */
	double ca = 0, cb = 0;
	json_array_foreach(json_object_get(j, "classes"), i, k)
	{
		ca += json_number_value(json_object_get(k, "a_ns"));
		cb += json_number_value(json_object_get(k, "b_ns"));
	}
	cr_expect(fabs(ta - ca) < 1e-6 * ca && fabs(tb - cb) < 1e-6 * cb, "%g/%g %g/%g", ta, ca, tb,
		  cb);
	json_decref(j);
}

Test(report_diffvendor, vit_h100_mi300x_conv_pairs_across_classes, .timeout = 300)
{
	char a[1024], b[1024];
	pair("Falconsai_nsfw_image_detection__1016002", a, b, sizeof(a));
	json_t *j = diff_json(a, b);
	cr_assert_str_eq(json_string_value(json_object_get(j, "kernel_match")), "operator");
	size_t i;
	json_t *k;
	int conv = 0;
	json_array_foreach(json_object_get(j, "kernels"), i, k)
	{
		const char *bn = json_string_value(json_object_get(k, "b_name"));
		/* the patch embedding: cuDNN's GEMM-class kernel on H100, MIOpen's igemm conv */
		if (bn && strncmp(bn, "igemm_fwd", 9) == 0) {
			conv = 1;
			cr_expect(strstr(json_string_value(json_object_get(k, "name")), "cudnn"));
		}
	}
	cr_expect(conv, "the convolution did not pair");
	json_decref(j);
}

Test(report_diffvendor, same_vendor_keeps_the_join_by_name, .timeout = 300)
{
	char a[1024], b[1024];
	pair("gaunernst_bert-small-uncased__1016001", a, b, sizeof(a));
	json_t *j = diff_json(a, a);
	cr_expect_null(json_object_get(j, "kernel_match"));
	json_decref(j);
}

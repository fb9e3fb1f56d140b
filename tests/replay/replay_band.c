/* replay_band.c - the projection's uncertainty band (replay/band.c, docs/projection.md §band)
 * on the bundled sample trace, through the CLI's JSON:
 *   - a cross-chip projection has a band that brackets the projected step (p10 < point <
 *     p90) and its speedup, with a sigma per op class;
 *   - the same inputs give the same band, byte for byte, and the same report and timeline
 *     whatever the number of threads the draws run on (--jobs);
 *   - identity (source = target) and --no-band have none;
 *   - the band follows the chips' model error: a target whose spec says its GEMM and
 *     elementwise model is within 5 % gives a narrower band than one that says within 2x. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char tmpdir[] = "/tmp/tc-band-XXXXXX";

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

/* tracecast project SAMPLE ARGS --json FILE; the summary's band (NULL = null), and the
 * projected step in *point. The returned document owns the band: free with json_decref. */
static json_t *project(const char *args, json_t **band, double *point)
{
	const char *exe = getenv("TRACECAST"), *src = getenv("TC_SRCDIR");
	cr_assert(exe && src, "TRACECAST and TC_SRCDIR come from meson");
	char cmd[2048], out[512];
	snprintf(out, sizeof(out), "%s/p.json", tmpdir);
	snprintf(cmd, sizeof(cmd),
		 "'%s' -q project '%s/traces/sample/train_a100_rank0.json.gz' "
		 "'%s/traces/sample/train_a100_rank1.json.gz' %s "
		 "--json '%s' > /dev/null",
		 exe, src, src, args, out);
	cr_assert_eq(system(cmd), 0, "%s", cmd);
	json_error_t je;
	json_t *doc = json_load_file(out, 0, &je);
	cr_assert_not_null(doc, "%s: %s", out, je.text);
	json_t *s = json_object_get(doc, "summary");
	*band = json_object_get(s, "band");
	if (point)
		*point = json_number_value(json_object_get(s, "projected_step_ns"));
	return doc;
}

static double num(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);
	cr_assert(json_is_number(v), "%s is not a number", k);
	return json_number_value(v);
}

TestSuite(replay_band, .init = setup, .fini = teardown);

Test(replay_band, brackets_the_projection)
{
	json_t *b;
	double point;
	json_t *doc = project("--target h100", &b, &point);
	cr_assert(json_is_object(b), "a cross-chip projection has a band");
	cr_assert_eq(num(b, "draws"), 40);
	cr_assert_str_eq(json_string_value(json_object_get(b, "model")), "scaling");
	double p10 = num(b, "step_p10_ns"), p50 = num(b, "step_p50_ns"),
	       p90 = num(b, "step_p90_ns");
	cr_assert(p10 < p50 && p50 < p90, "%g %g %g", p10, p50, p90);
	cr_assert(p10 < point && point < p90, "band %g-%g around %g", p10, p90, point);
	double s = num(json_object_get(doc, "summary"), "speedup");
	cr_assert(num(b, "speedup_p10") < s && s < num(b, "speedup_p90"));
	cr_assert(num(json_object_get(b, "sigma_by_class"), "gemm") > 0);
	json_decref(doc);
}

Test(replay_band, deterministic)
{
	json_t *b1, *b2;
	json_t *d1 = project("--target mi300x", &b1, NULL);
	json_t *d2 = project("--target mi300x", &b2, NULL);
	char *s1 = json_dumps(b1, JSON_SORT_KEYS), *s2 = json_dumps(b2, JSON_SORT_KEYS);
	cr_assert_str_eq(s1, s2);
	free(s1);
	free(s2);
	json_decref(d1);
	json_decref(d2);
}

Test(replay_band, none_for_identity_or_when_off)
{
	json_t *b;
	json_t *doc = project("--target a100-sxm4-80gb", &b, NULL);
	cr_assert(json_is_null(b), "identity: the scaling ratio is exactly 1");
	json_decref(doc);
	doc = project("--target h100 --no-band", &b, NULL);
	cr_assert(json_is_null(b));
	json_decref(doc);
}

static void overlay(const char *name, double p10, double p90)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s.json", tmpdir, name);
	FILE *f = fopen(path, "w");
	cr_assert_not_null(f);
	fprintf(f,
		"{\"inherits\": \"h100\", \"name\": \"%s\", \"classes\": {"
		"\"gemm\": {\"p10\": %g, \"p90\": %g}, \"elementwise\": {\"p10\": %g, \"p90\": %g},"
		"\"norm\": {\"p10\": %g, \"p90\": %g}, \"softmax\": {\"p10\": %g, \"p90\": %g}},"
		" \"sources\": {\"classes\": \"replay_band test\"}}\n",
		name, p10, p90, p10, p90, p10, p90, p10, p90);
	fclose(f);
}

Test(replay_band, follows_the_model_error)
{
	overlay("narrow", 0.95, 1.05);
	overlay("wide", 0.5, 2.0);
	char args[600];
	json_t *bn, *bw;
	snprintf(args, sizeof(args), "--target '%s/narrow.json'", tmpdir);
	json_t *dn = project(args, &bn, NULL);
	snprintf(args, sizeof(args), "--target '%s/wide.json'", tmpdir);
	json_t *dw = project(args, &bw, NULL);
	double wn = num(bn, "step_p90_ns") / num(bn, "step_p10_ns");
	double ww = num(bw, "step_p90_ns") / num(bw, "step_p10_ns");
	cr_assert(wn < ww, "narrow spec: p90/p10 %g, wide: %g", wn, ww);
	cr_assert(num(json_object_get(bn, "sigma_by_class"), "gemm") <
		  num(json_object_get(bw, "sigma_by_class"), "gemm"));
	json_decref(dn);
	json_decref(dw);
}

/* The file's bytes (NUL-terminated); the caller frees. */
static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	cr_assert_not_null(f, "%s", path);
	cr_assert_eq(fseek(f, 0, SEEK_END), 0);
	long n = ftell(f);
	cr_assert(n > 0, "%s is empty", path);
	rewind(f);
	char *s = malloc((size_t)n + 1);
	cr_assert_not_null(s);
	cr_assert_eq(fread(s, 1, (size_t)n, f), (size_t)n);
	s[n] = 0;
	fclose(f);
	return s;
}

/* --jobs N runs the draws on N threads, each its share of the draws in draw order: the
 * report, the band and the timeline (which may be a thread's last draw's arrays, reused) are
 * the same bytes whatever N. Drawing a draw's factors on its thread, or keeping a timeline
 * a draw still wrote, would break it. */
Test(replay_band, same_bytes_for_any_number_of_threads)
{
	const char *exe = getenv("TRACECAST"), *src = getenv("TC_SRCDIR");
	cr_assert(exe && src, "TRACECAST and TC_SRCDIR come from meson");
	char *text[2], *json[2], *tl[2];
	const int jobs[2] = {1, 3};
	for (int k = 0; k < 2; k++) {
		char cmd[2048], p[3][600];
		snprintf(p[0], sizeof(p[0]), "%s/out%d.txt", tmpdir, k);
		snprintf(p[1], sizeof(p[1]), "%s/out%d.json", tmpdir, k);
		snprintf(p[2], sizeof(p[2]), "%s/tl%d.json", tmpdir, k);
		snprintf(cmd, sizeof(cmd),
			 "'%s' project '%s/traces/sample/train_a100_rank0.json.gz' "
			 "'%s/traces/sample/train_a100_rank1.json.gz' --target mi300x --jobs %d "
			 "--json '%s' --timeline '%s' > '%s'",
			 exe, src, src, jobs[k], p[1], p[2], p[0]);
		cr_assert_eq(system(cmd), 0, "%s", cmd);
		text[k] = slurp(p[0]);
		json[k] = slurp(p[1]);
		tl[k] = slurp(p[2]);
	}
	cr_assert(strstr(text[0], "band p10-p90"), "the projection has a band");
	cr_assert_str_eq(text[0], text[1]);
	cr_assert_str_eq(json[0], json[1]);
	cr_assert(strcmp(tl[0], tl[1]) == 0, "the timelines differ");
	for (int k = 0; k < 2; k++) {
		free(text[k]);
		free(json[k]);
		free(tl[k]);
	}
}

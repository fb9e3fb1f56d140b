/* The JSON stage-1 scanner (ingest/json_simd.c) on every path this machine has (scalar,
 * SSE2, AVX2; NEON on aarch64): each path's structural index must equal a byte-at-a-time
 * reference of the same definition, on the corpus traces, the reliability inputs
 * (../shared/reliability) and hostile generated inputs (backslash runs across blocks,
 * quotes at block edges, random bytes from JSON's alphabet). Also: ranks parsed in
 * parallel give the same .tcs bytes as one at a time. Corpus parts skip when absent. */
#include <criterion/criterion.h>
#include <zlib.h>

#include "adapter.h"
#include "ingest_test.h"

/* The reference: the definitions of json_simd.c, one byte at a time. */
static size_t ref_index(const char *buf, size_t n, uint32_t *idx, int *open_at_end)
{
	int escape_next = 0, in_str = 0, prev_scalar = 0;
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)buf[i];
		int escaped = escape_next;
		escape_next = c == '\\' && !escaped;
		int quote = c == '"' && !escaped;
		if (quote)
			in_str =
			    !in_str; /* inside from the opening quote to before the closing one */
		int ws = c == ' ' || c == '\n' || c == '\r' || c == '\t';
		int op = c == '{' || c == '}' || c == '[' || c == ']' || c == ':' || c == ',';
		int scalar = !(ws || op || c == '"');
		int start = scalar && !prev_scalar;
		prev_scalar = scalar;
		if (((op || start) && !in_str) || (quote && in_str))
			idx[k++] = (uint32_t)i;
	}
	*open_at_end = in_str;
	return k;
}

/* Every available path against the reference; returns the number of paths checked. */
static int check_all_paths(const char *what, const char *buf, size_t n)
{
	uint32_t *want = malloc((n + 1) * sizeof(*want)), *got = malloc((n + 1) * sizeof(*got));
	int open_want, checked = 0;
	size_t k = ref_index(buf, n, want, &open_want);
	for (int p = 0; p < TC_SIMD_N; p++) {
		if (!tc_json_simd_available(p))
			continue;
		int open_got = -1;
		size_t kg = tc_json_index(p, buf, n, got, n + 1, &open_got);
		cr_assert_eq(kg, k, "%s: %s: %zu structurals, reference %zu", what,
			     tc_json_simd_name(p), kg, k);
		for (size_t i = 0; i < k; i++)
			cr_assert_eq(got[i], want[i],
				     "%s: %s: structural %zu at byte %u, reference %u", what,
				     tc_json_simd_name(p), i, got[i], want[i]);
		cr_assert_eq(open_got, open_want, "%s: %s: open string at the end", what,
			     tc_json_simd_name(p));
		checked++;
	}
	free(want);
	free(got);
	return checked;
}

static char *slurp_gz(const char *path, size_t *len)
{
	gzFile g = gzopen(path, "rb");
	size_t cap = 1 << 20, n = 0;
	char *buf;
	int r;
	if (!g)
		return NULL;
	buf = malloc(cap);
	while ((r = gzread(g, buf + n, (unsigned)(cap - n))) > 0) {
		n += (size_t)r;
		if (n == cap)
			buf = realloc(buf, cap *= 2);
	}
	gzclose(g);
	*len = n;
	return buf;
}

Test(simd, paths_named)
{
	cr_assert(tc_json_simd_available(TC_SIMD_SCALAR));
	for (int p = 0; p < TC_SIMD_N; p++)
		cr_assert_eq(tc_json_simd_parse(tc_json_simd_name(p)), p);
	cr_assert_eq(tc_json_simd_parse("avx512"), -1);
	setenv("TRACECAST_SIMD", "scalar", 1);
	cr_assert_eq(tc_json_simd_default(), TC_SIMD_SCALAR);
	unsetenv("TRACECAST_SIMD");
#if defined(__x86_64__)
	cr_assert(tc_json_simd_available(TC_SIMD_SSE2), "every x86-64 has SSE2");
#endif
}

Test(simd, hand_made)
{
	static const struct {
		const char *s;
		const char *marks; /* '^' under each structural */
	} cases[] = {
	    {"{\"a\": 1}", "^^  ^ ^^"},
	    {"[\"x\\\"y\", true]", "^^     ^ ^   ^"},
	    {"{\"k\\\\\": [12,-3.5e2]}", "^^    ^ ^^ ^^     ^^"},
	    {"\"{[,:]}\"", "^       "},
	};
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		const char *s = cases[c].s;
		size_t n = strlen(s);
		uint32_t want[64], k = 0;
		for (size_t i = 0; cases[c].marks[i]; i++)
			if (cases[c].marks[i] == '^')
				want[k++] = (uint32_t)i;
		uint32_t ref[64];
		int open;
		cr_assert_eq(ref_index(s, n, ref, &open), k, "%s", s);
		for (uint32_t i = 0; i < k; i++)
			cr_assert_eq(ref[i], want[i], "%s: structural %u", s, i);
		cr_assert_eq(open, 0);
		cr_assert_geq(check_all_paths(s, s, n), 1);
	}
}

/* Backslash runs of every length ending at every offset around block edges, and random
 * bytes from JSON's alphabet (seeded: the same inputs every run). */
Test(simd, hostile)
{
	char buf[600];
	for (int run = 1; run <= 70; run++)
		for (int at = 0; at < 140; at += 3) {
			memset(buf, 'a', sizeof(buf));
			buf[0] = '"';
			for (int i = 0; i < run; i++)
				buf[1 + at + i] = '\\';
			buf[1 + at + run] = '"';
			buf[2 + at + run] = ',';
			buf[3 + at + run] = '"';
			check_all_paths("backslash run", buf, (size_t)(4 + at + run + (at % 5)));
		}
	static const char alpha[] = "\"\\{}[]:, \n\t\ra1-.e";
	uint64_t x = 0x9e3779b97f4a7c15ull;
	for (int t = 0; t < 3000; t++) {
		size_t n = (size_t)(t % 300) + 1;
		for (size_t i = 0; i < n; i++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			/* backslashes and quotes often, to make long runs and many strings */
			buf[i] = (x >> 60) < 6 ? "\\\\\\\"\"a"[(x >> 60)]
					       : alpha[(x >> 8) % (sizeof(alpha) - 1)];
			if ((x & 0xff) == 7)
				buf[i] =
				    (char)(x >> 16); /* any byte now and then, 0x80+ included */
		}
		check_all_paths("random", buf, n);
	}
}

Test(simd, corpus_and_reliability, .timeout = 240)
{
	static const char *const files[] = {
	    "HolisticTraceAnalysis/trace_diff_control_A100_rank3.json.gz",
	    "HolisticTraceAnalysis/nccl_data.json.gz",
	    "HolisticTraceAnalysis/large_integer_rank-70.pt.trace.json.gz",
	    "TraceLens/b200/eager_trace.json.gz",
	    "TraceLens/mi300/resnet_act_checkpoint.json.gz",
	    "kineto/gpu_metrics_input.json",
	    "chakra/1.0.2-chakra.0.0.4.json",
	    "../reliability/U_deep_args_100k.json",
	    "../reliability/D9_bad_utf8_name.json",
	    "../reliability/D12_check_name_traversal_cases.json",
	};
	int seen = 0;
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char path[1024];
		size_t n;
		if (!corpus_path(files[i], path, sizeof(path)))
			continue;
		char *buf = slurp_gz(path, &n);
		cr_assert(buf, "%s", path);
		cr_assert_geq(check_all_paths(files[i], buf, n), 1);
		free(buf);
		seen++;
	}
	if (!seen)
		cr_skip_test("no corpus configured");
}

/* Ingest with opts.threads = 1 and = n: the same bytes. */
static void same_bytes_parallel(const char *const *paths, size_t n)
{
	char dir[64], out[2][160];
	tmpdir_make(dir, sizeof(dir));
	for (int t = 0; t < 2; t++) {
		struct tc_ingest_opts o = TC_INGEST_OPTS_INIT;
		struct tc_err err = TC_ERR_INIT;
		o.threads = t == 0 ? 1 : (unsigned)n;
		snprintf(out[t], sizeof(out[t]), "%s/out%d.tcs", dir, t);
		cr_assert_eq(tc_ingest_files(paths, n, out[t], &o, NULL, &err), 0, "%s", err.msg);
	}
	size_t la, lb;
	char *a = slurp_gz(out[0], &la), *b = slurp_gz(out[1], &lb);
	cr_assert(a && b);
	cr_assert_gt(la, 100u);
	cr_assert_eq(la, lb, "serial %zu bytes, parallel %zu", la, lb);
	cr_assert(memcmp(a, b, la) == 0, "serial and parallel outputs differ");
	free(a);
	free(b);
	unlink(out[0]);
	unlink(out[1]);
	rmdir(dir);
}

Test(simd, ranks_in_parallel_same_bytes, .timeout = 240)
{
	const char *src = getenv("TC_SRCDIR");
	char s0[1024], s1[1024];
	cr_assert(src, "TC_SRCDIR is set by meson");
	snprintf(s0, sizeof(s0), "%s/traces/sample/train_a100_rank0.json.gz", src);
	snprintf(s1, sizeof(s1), "%s/traces/sample/train_a100_rank1.json.gz", src);
	const char *sample[2] = {s0, s1};
	same_bytes_parallel(sample, 2);

	char dl[8][1024];
	const char *dlrm[8];
	static const char *const w[8] = {
	    "worker0_step_12.1694128201545", "worker1_step_12.1694128201556",
	    "worker2_step_12.1694128201554", "worker3_step_12.1694128201557",
	    "worker4_step_12.1694128201547", "worker5_step_12.1694128201549",
	    "worker6_step_12.1694128201553", "worker7_step_12.1694128201553",
	};
	for (int i = 0; i < 8; i++) {
		char rel[256];
		snprintf(rel, sizeof(rel), "param/dlrm_kineto/%s.pt.trace.json.gz", w[i]);
		if (!corpus_path(rel, dl[i], sizeof(dl[i])))
			cr_skip_test("dlrm_kineto traces absent");
		dlrm[i] = dl[i];
	}
	same_bytes_parallel(dlrm, 8);
}

/* The first failing input (in the order given) is the error reported, whichever thread
 * finished first. */
Test(simd, parallel_error_is_first_input)
{
	char dir[64], a[128], b[128], c[128], out[128];
	tmpdir_make(dir, sizeof(dir));
	snprintf(a, sizeof(a), "%s/a.json", dir);
	snprintf(b, sizeof(b), "%s/b.json", dir);
	snprintf(c, sizeof(c), "%s/c.json", dir);
	snprintf(out, sizeof(out), "%s/out.tcs", dir);
	static const char ja[] = "[{\"ph\": \"X\", \"ts\": 1, \"dur\": 2, \"name\": \"x\"}]",
			  jb[] = "[{\"ph\": \"X\", \"ts\": 1, \"dur\": ",
			  jc[] = "[{\"ph\": \"X\" \"ts\": 1}]";
	write_file(a, ja, strlen(ja));
	write_file(b, jb, strlen(jb));
	write_file(c, jc, strlen(jc));
	const char *paths[3] = {a, b, c};
	struct tc_ingest_opts o = TC_INGEST_OPTS_INIT;
	struct tc_err err = TC_ERR_INIT;
	o.threads = 3;
	cr_assert_lt(tc_ingest_files(paths, 3, out, &o, NULL, &err), 0);
	cr_assert(strstr(err.msg, "b.json"), "%s", err.msg);
	cr_assert_eq(access(out, F_OK), -1, "no output on error");
	unlink(a);
	unlink(b);
	unlink(c);
	rmdir(dir);
}

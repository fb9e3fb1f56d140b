/* PyTorch execution traces: alone they give the operator tree with shapes and tensor data
 * dependencies (counted against jansson's own reading of the file); beside the Kineto trace
 * of the same run they add those dependencies to the Kineto CPU operators, and the identity
 * replay of the linked stream stays exact. Skips when the corpus is absent. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <zlib.h>

#include "ingest_test.h"

static json_t *load_gz(const char *path)
{
	gzFile g = gzopen(path, "rb");
	cr_assert_not_null(g, "%s", path);
	size_t cap = 1 << 20, n = 0;
	char *buf = malloc(cap);
	int r;
	while ((r = gzread(g, buf + n, (unsigned)(cap - n))) > 0) {
		n += (size_t)r;
		if (n == cap)
			buf = realloc(buf, cap *= 2);
	}
	gzclose(g);
	json_error_t je;
	json_t *j = json_loadb(buf, n, 0, &je);
	free(buf);
	cr_assert_not_null(j, "%s: %s", path, je.text);
	return j;
}

/* Nodes that are operators (not the profiler's root and thread nodes). */
static size_t operators(json_t *et)
{
	size_t i, n = 0;
	json_t *nd;
	json_array_foreach(json_object_get(et, "nodes"), i, nd) n +=
	    strncmp(json_string_value(json_object_get(nd, "name")), "[pytorch|profiler|execution_",
		    28) != 0;
	return n;
}

struct counts {
	uint64_t ops, deps, cpu_deps, shaped;
	int deps_earlier;
};

static void count_stream(const char *tcs, struct counts *c)
{
	struct tc_ops_reader *r;
	struct tc_err err = TC_ERR_INIT;
	const struct tc_op *ops;
	size_t n;
	memset(c, 0, sizeof(*c));
	c->deps_earlier = 1;
	cr_assert_eq(tc_ops_reader_open(&r, tcs, &err), 0, "%s", err.msg);
	while (tc_ops_reader_next(r, &ops, &n, &err) == 1)
		for (size_t i = 0; i < n; i++) {
			c->ops++;
			c->deps += ops[i].n_deps;
			if (ops[i].kind == TC_KIND_CPU_OP) {
				c->cpu_deps += ops[i].n_deps;
				c->shaped += ops[i].n_shapes > 0;
			}
			for (uint32_t d = 0; d < ops[i].n_deps; d++)
				c->deps_earlier &= ops[i].deps[d] < ops[i].id;
		}
	tc_ops_reader_free(r);
}

static void et_alone(const char *rel, uint64_t min_deps)
{
	char path[1024];
	if (!corpus_path(rel, path, sizeof(path)))
		cr_skip_test("corpus file %s absent", rel);
	json_t *et = load_gz(path);
	struct rb b = {0};
	struct tc_err err = TC_ERR_INIT;
	const char *p = path;
	cr_assert_eq(ingest_paths(&b, &p, 1, &err), 0, "%s", err.msg);
	struct counts c;
	count_stream(b.out, &c);
	cr_assert_eq(c.ops, operators(et), "%s: %llu ops for %zu operators", rel,
		     (unsigned long long)c.ops, operators(et));
	cr_assert_geq(c.deps, min_deps, "%s: %llu data dependencies", rel,
		      (unsigned long long)c.deps);
	cr_assert(c.deps_earlier);
	cr_assert_gt(c.shaped, 0);
	json_decref(et);
}

Test(pyet, hta_simple_add_1_0_1)
{
	et_alone("HolisticTraceAnalysis/benchmark_simple_add_et.json.gz", 14);
}
Test(pyet, chakra_1_0_2_nested)
{
	et_alone("chakra/1.0.2-chakra.0.0.4.json", 200);
}
Test(pyet, pt2_1_1_1)
{
	et_alone("param/pt2_et.json", 1);
}
Test(pyet, dlrm_1_0_1)
{
	et_alone("param/dlrm_pytorch_et/dlrm_eg_0.json.gz", 1000);
}

/* aten::add of the simple-add benchmark reads the two tensors aten::uniform_ filled. */
Test(pyet, add_depends_on_both_uniforms)
{
	char path[1024];
	if (!corpus_path("HolisticTraceAnalysis/benchmark_simple_add_et.json.gz", path,
			 sizeof(path)))
		cr_skip_test("corpus file absent");
	struct rb b = {0};
	struct tc_err err = TC_ERR_INIT;
	const char *p = path;
	cr_assert_eq(ingest_paths(&b, &p, 1, &err), 0, "%s", err.msg);
	struct tc_ops_reader *r;
	cr_assert_eq(tc_ops_reader_open(&r, b.out, &err), 0, "%s", err.msg);
	const struct tc_op *ops;
	size_t n;
	int found = 0;
	while (tc_ops_reader_next(r, &ops, &n, &err) == 1)
		for (size_t i = 0; i < n; i++) {
			if (strcmp(tc_ops_reader_string(r, ops[i].name), "aten::add") != 0 || found)
				continue;
			found = 1;
			cr_assert_eq(ops[i].n_deps, 2);
			/* the dependencies are earlier ops of this chunk (the file is small) */
			for (uint32_t d = 0; d < 2; d++)
				cr_assert_str_eq(tc_ops_reader_string(r, ops[ops[i].deps[d]].name),
						 "aten::uniform_");
		}
	cr_assert(found);
	tc_ops_reader_free(r);
}

/* Run tracecast project --validate on tcs and return its max step error line. */
static void identity_exact(const char *tcs)
{
	char cmd[2048], line[512], last[512] = "";
	snprintf(cmd, sizeof(cmd), "'%s' project '%s' --validate 2>/dev/null", getenv("TRACECAST"),
		 tcs);
	FILE *fp = popen(cmd, "r");
	cr_assert_not_null(fp);
	while (fgets(line, sizeof(line), fp))
		if (strncmp(line, "max step error:", 15) == 0)
			snprintf(last, sizeof(last), "%s", line);
	cr_assert_eq(pclose(fp), 0, "%s failed", cmd);
	cr_assert_not_null(strstr(last, "max step error: 0.0000%"), "identity: [%s]", last);
}

static void linked(const char *const *kineto, const char *const *ets, size_t n, uint64_t min_new)
{
	char kp[8][1024], ep[8][1024];
	const char *in[16];
	for (size_t i = 0; i < n; i++) {
		if (!corpus_path(kineto[i], kp[i], sizeof(kp[i])) ||
		    !corpus_path(ets[i], ep[i], sizeof(ep[i])))
			cr_skip_test("corpus pair absent");
		in[i] = kp[i];
		in[n + i] = ep[i];
	}
	struct rb alone = {0}, both = {0};
	struct tc_err err = TC_ERR_INIT;
	cr_assert_eq(ingest_paths(&alone, in, n, &err), 0, "%s", err.msg);
	cr_assert_eq(ingest_paths(&both, in, 2 * n, &err), 0, "%s", err.msg);
	struct counts a, c;
	count_stream(alone.out, &a);
	count_stream(both.out, &c);
	cr_assert_eq(c.ops, a.ops, "linking adds edges, not ops");
	cr_assert_geq(c.cpu_deps, a.cpu_deps + min_new, "%llu CPU dependencies linked, %llu alone",
		      (unsigned long long)c.cpu_deps, (unsigned long long)a.cpu_deps);
	cr_assert(c.deps_earlier);
	identity_exact(both.out);
}

Test(pyet_link, hta_simple_add, .timeout = 120)
{
	const char *k[] = {"HolisticTraceAnalysis/benchmark_simple_add_trace.json.gz"};
	const char *e[] = {"HolisticTraceAnalysis/benchmark_simple_add_et.json.gz"};
	linked(k, e, 1, 14);
}

Test(pyet_link, dlrm_rank0, .timeout = 120)
{
	const char *k[] = {"param/dlrm_kineto/worker0_step_12.1694128201545.pt.trace.json.gz"};
	const char *e[] = {"param/dlrm_pytorch_et/dlrm_eg_0.json.gz"};
	linked(k, e, 1, 1000);
}

Test(pyet_link, one_et_per_trace)
{
	char k0[1024], k1[1024], e0[1024];
	if (!corpus_path("param/dlrm_kineto/worker0_step_12.1694128201545.pt.trace.json.gz", k0,
			 sizeof(k0)) ||
	    !corpus_path("param/dlrm_kineto/worker1_step_12.1694128201556.pt.trace.json.gz", k1,
			 sizeof(k1)) ||
	    !corpus_path("param/dlrm_pytorch_et/dlrm_eg_0.json.gz", e0, sizeof(e0)))
		cr_skip_test("corpus files absent");
	const char *in[] = {k0, k1, e0};
	struct rb b = {0};
	struct tc_err err = TC_ERR_INIT;
	cr_assert_lt(ingest_paths(&b, in, 3, &err), 0);
	cr_assert_not_null(strstr(err.msg, "2 Kineto traces but 1 PyTorch execution traces"), "%s",
			   err.msg);
	cr_assert_neq(access(b.out, F_OK), 0, "no output left behind");
}

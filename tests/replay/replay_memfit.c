/* replay_memfit.c - memory fit (replay/memfit.c, issue 14): the TraceLens BERT trace records
 * its allocations ([memory] events); its peak per GPU against the target's HBM moves with
 * the target's capacity and with tensor parallelism. Skipped without the corpus. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[] = "/tmp/tc-memfit-XXXXXX";

static void setup(void)
{
	cr_assert_not_null(mkdtemp(dir));
}

static void teardown(void)
{
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_expect_eq(system(cmd), 0);
}

/* summary.memory of a projection of the BERT trace with extra args */
static json_t *memory_of(const char *extra, json_t **doc)
{
	const char *exe = getenv("TRACECAST"), *c = getenv("TRACECAST_CORPUS");
	if (!c || !*c)
		c = getenv("TC_CORPUS_DEFAULT");
	char trace[1024], cmd[4096], out[300];
	snprintf(trace, sizeof(trace),
		 "%s/TraceLens/h100/gaunernst_bert-small-uncased__1016001.json.gz", c ? c : "");
	if (!c || access(trace, R_OK) != 0)
		cr_skip_test("corpus trace %s absent (set TRACECAST_CORPUS)", trace);
	snprintf(out, sizeof(out), "%s/p.json", dir);
	snprintf(cmd, sizeof(cmd),
		 "'%s' -q project '%s' --target mi300x --no-band %s --json '%s' "
		 "> /dev/null 2>&1",
		 exe, trace, extra, out);
	cr_assert_eq(system(cmd), 0, "%s", cmd);
	*doc = json_load_file(out, 0, NULL);
	cr_assert_not_null(*doc);
	return json_object_get(json_object_get(*doc, "summary"), "memory");
}

TestSuite(replay_memfit, .init = setup, .fini = teardown, .timeout = 300);

Test(replay_memfit, peak_against_capacity_and_layout)
{
	json_t *doc, *m = memory_of("", &doc);
	cr_assert(json_is_object(m), "the trace records allocations");
	/* the largest "Total Allocated" of the trace's GPU [memory] events */
	cr_assert_eq(json_number_value(json_object_get(m, "peak_allocated_bytes")), 101305344.0);
	cr_assert_eq(json_number_value(json_object_get(m, "capacity_bytes")), 192e9);
	cr_assert(json_is_true(json_object_get(m, "fits")));
	json_decref(doc);
	m = memory_of("--set memory.hbm.capacity_gb=0.05", &doc);
	cr_assert(json_is_false(json_object_get(m, "fits")), "50 MB of HBM holds no 101 MB");
	json_decref(doc);
	/* tensor parallelism 2 halves what a rank holds: now it fits */
	m = memory_of("--set memory.hbm.capacity_gb=0.06 --world-size 2 --parallel tp=2", &doc);
	cr_assert_eq(json_number_value(json_object_get(m, "projected_bytes")), 101305344.0 / 2);
	cr_assert(json_is_true(json_object_get(m, "fits")));
	json_decref(doc);
}

/* The source layout from the trace's process groups (issue 14): the bundled sample with a
 * pg_config whose description names a tensor-parallel group of 2 is read as tp=2 when
 * --source-parallel is not given; an explicit --source-parallel still wins. */
static void layout_src(const char *trace, const char *extra, long *dp, long *tp)
{
	const char *exe = getenv("TRACECAST");
	char cmd[4096], out[300];
	snprintf(out, sizeof(out), "%s/l.json", dir);
	snprintf(cmd, sizeof(cmd),
		 "'%s' -q project '%s' --target h100 --no-band --world-size 8 %s "
		 "--json '%s' > /dev/null 2>&1",
		 exe, trace, extra, out);
	cr_assert_eq(system(cmd), 0, "%s", cmd);
	json_t *doc = json_load_file(out, 0, NULL);
	cr_assert_not_null(doc);
	json_t *s = json_object_get(json_object_get(doc, "layout"), "source");
	cr_assert(json_is_object(s), "no layout.source in the report");
	*dp = (long)json_integer_value(json_object_get(s, "dp"));
	*tp = (long)json_integer_value(json_object_get(s, "tp"));
	json_decref(doc);
}

Test(replay_memfit, source_layout_from_process_groups)
{
	const char *src = getenv("TC_SRCDIR");
	char cmd[2048], trace[300];
	snprintf(cmd, sizeof(cmd), "zcat '%s/traces/sample/train_a100_rank0.json.gz'", src);
	FILE *p = popen(cmd, "r");
	cr_assert_not_null(p);
	json_t *doc = json_loadf(p, 0, NULL);
	pclose(p);
	cr_assert_not_null(doc);
	json_object_set_new(json_object_get(doc, "distributedInfo"), "pg_config",
			    json_pack("[{s:s, s:s, s:i}, {s:s, s:s, s:i}]", "pg_name", "0",
				      "pg_desc", "default_pg", "pg_size", 2, "pg_name", "1",
				      "pg_desc", "TENSOR_MODEL_PARALLEL_GROUP", "pg_size", 2));
	snprintf(trace, sizeof(trace), "%s/tp2.json", dir);
	cr_assert_eq(json_dump_file(doc, trace, 0), 0);
	json_decref(doc);
	long dp, tp;
	layout_src(trace, "", &dp, &tp);
	cr_assert_eq(tp, 2, "the group named tensor parallel sets the source tp");
	cr_assert_eq(dp, 1);
	layout_src(trace, "--source-parallel dp=2", &dp, &tp);
	cr_assert_eq(tp, 1, "an explicit --source-parallel wins");
	cr_assert_eq(dp, 2);
}

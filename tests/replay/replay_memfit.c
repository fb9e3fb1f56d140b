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
	snprintf(trace, sizeof(trace), "%s/TraceLens/h100/gaunernst_bert-small-uncased__1016001.json.gz",
		 c ? c : "");
	if (!c || access(trace, R_OK) != 0)
		cr_skip_test("corpus trace %s absent (set TRACECAST_CORPUS)", trace);
	snprintf(out, sizeof(out), "%s/p.json", dir);
	snprintf(cmd, sizeof(cmd), "'%s' -q project '%s' --target mi300x --no-band %s --json '%s' "
		 "> /dev/null 2>&1", exe, trace, extra, out);
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

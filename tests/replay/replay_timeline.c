/* replay_timeline.c - the Perfetto timeline of the bundled 2-rank sample (issue 18): threads
 * and streams named as the trace names them, one process per rank and side with the
 * projected ranks sorted first, a launch -> kernel flow per kernel on both sides, and every
 * op's args with its class, bound and both times. Needs no corpus. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

Test(replay_timeline, names_flows_and_args, .timeout = 120)
{
	const char *exe = getenv("TRACECAST"), *src = getenv("TC_SRCDIR");
	cr_assert(exe && src, "TRACECAST and TC_SRCDIR must be set");
	char dir[] = "/tmp/tc_tl_XXXXXX", cmd[4096], path[300];
	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/tl.json", dir);
	snprintf(cmd, sizeof(cmd),
		 "'%s' -q project '%s/traces/sample/train_a100_rank0.json.gz' "
		 "'%s/traces/sample/train_a100_rank1.json.gz' --target h100 --timeline '%s' "
		 "--json '%s/p.json' -q",
		 exe, src, src, path, dir);
	cr_assert_eq(system(cmd), 0, "%s", cmd);
	json_error_t je;
	json_t *doc = json_load_file(path, 0, &je);
	cr_assert_not_null(doc, "the timeline is not JSON: %s", je.text);
	json_t *ev = json_object_get(doc, "traceEvents"), *e;
	size_t i, starts = 0, finishes = 0, kernels = 0, named_threads = 0, streams = 0;
	long sort_proj0 = -1, sort_src0 = -1;
	json_array_foreach(ev, i, e)
	{
		const char *ph = json_string_value(json_object_get(e, "ph"));
		const char *name = json_string_value(json_object_get(e, "name"));
		json_t *args = json_object_get(e, "args");
		cr_assert(ph && name, "event %zu without ph or name", i);
		if (!strcmp(ph, "M") && !strcmp(name, "thread_name")) {
			const char *t = json_string_value(json_object_get(args, "name"));
			named_threads += t && strncmp(t, "thread ", 7) == 0;
			streams += t && strncmp(t, "stream ", 7) == 0;
		} else if (!strcmp(ph, "M") && !strcmp(name, "process_sort_index")) {
			long pid = (long)json_integer_value(json_object_get(e, "pid"));
			long si = (long)json_integer_value(json_object_get(args, "sort_index"));
			if (pid == 1)
				sort_proj0 = si; /* projected rank 0 */
			else if (pid == 0)
				sort_src0 = si;
		} else if (!strcmp(ph, "s")) {
			starts++;
		} else if (!strcmp(ph, "f")) {
			finishes++;
		} else if (!strcmp(ph, "X")) {
			cr_assert(json_is_string(json_object_get(args, "class")) &&
				      json_is_string(json_object_get(args, "bound")) &&
				      json_is_integer(json_object_get(args, "source_ns")) &&
				      json_is_integer(json_object_get(args, "projected_ns")),
				  "event %zu (%s) lacks class, bound or times", i, name);
			kernels += json_object_get(args, "flops") != NULL;
		}
	}
	json_decref(doc);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_expect_eq(system(cmd), 0);
	/* 2 ranks x 2 sides: every CPU thread and every stream named as the trace names them */
	cr_expect_geq(named_threads, 4, "%zu threads named 'thread ...'", named_threads);
	cr_expect_geq(streams, 4, "%zu streams named 'stream ...'", streams);
	cr_expect(sort_proj0 >= 0 && sort_src0 > sort_proj0,
		  "projected ranks sort before source ranks (%ld, %ld)", sort_proj0, sort_src0);
	cr_expect(starts > 0 && starts == finishes, "%zu flow starts, %zu finishes", starts,
		  finishes);
	cr_expect_gt(kernels, 0, "no op carries its work in args");
}

/* An ONNX model projected chip to chip (--source): the source process shows the model costed
 * on the source chip, with its own times (no -1) */
Test(replay_timeline, onnx_chip_to_chip_has_both_sides, .timeout = 120)
{
	const char *exe = getenv("TRACECAST"), *c = getenv("TRACECAST_CORPUS");
	if (!c || !*c)
		c = getenv("TC_CORPUS_DEFAULT");
	char model[1024], dir[] = "/tmp/tc_tlo_XXXXXX", cmd[4096], path[300];
	snprintf(model, sizeof(model), "%s/onnx/light_resnet50.onnx", c ? c : "");
	if (!c || access(model, R_OK) != 0)
		cr_skip_test("corpus model %s absent (set TRACECAST_CORPUS)", model);
	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/tl.json", dir);
	snprintf(cmd, sizeof(cmd),
		 "'%s' -q project '%s' --source a100 --target h100 --no-band --timeline '%s' "
		 "--json /dev/null",
		 exe, model, path);
	cr_assert_eq(system(cmd), 0, "%s", cmd);
	json_t *doc = json_load_file(path, 0, NULL);
	cr_assert_not_null(doc);
	json_t *ev = json_object_get(doc, "traceEvents"), *e;
	size_t i, src = 0, proj = 0;
	json_array_foreach(ev, i, e)
	{
		if (strcmp(json_string_value(json_object_get(e, "ph")), "X") != 0)
			continue;
		long long s =
		    json_integer_value(json_object_get(json_object_get(e, "args"), "source_ns"));
		cr_assert_gt(s, 0, "event %zu: source_ns %lld", i, s);
		if (json_integer_value(json_object_get(e, "pid")) % 2 == 0)
			src++;
		else
			proj++;
	}
	cr_assert_gt(src, 50);
	cr_assert_eq(src, proj);
	json_decref(doc);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_expect_eq(system(cmd), 0);
}

/* cmd_project.c - `tracecast project`: re-time a trace (.tcs, profiler JSON, ONNX) on a target
 * chip and print the answer; `--validate` replays it unchanged and reports the identity
 * error per step. The method and the JSON schema are in docs/projection.md. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "hwmodel.h"
#include "ingest.h"
#include "replay.h"

#define MAX_IN 256
#define MAX_SETS 64

static void help(void)
{
	printf("usage: tracecast project IN... --target CHIP [options]\n"
	       "       tracecast project IN... --validate [options]\n\n"
	       "Project a profiled step (or an ONNX model) onto another chip: step time, speedup,\n"
	       "where the time goes, critical path, energy, Perf/W and Perf/$.\n\n"
	       "IN is a .tcs opstream, one or more profiler traces (.json/.json.gz/.json.zst, one\n"
	       "per rank) or an ONNX model; non-.tcs inputs are ingested on the fly.\n\n"
	       "options:\n"
	       "  --target CHIP      chip id, alias or spec file to project onto\n"
	       "  --source CHIP      chip the trace ran on (default: from the trace's devices)\n"
	       "  --set KEY=VALUE    override a target spec field (repeatable)\n"
	       "  --dtype T          ONNX: run the model at T (bf16, fp16, fp8, fp32)\n"
	       "  --dim NAME=VALUE   ONNX: bind a symbolic dim, or override a fixed one such as\n"
	       "                     batch (with a warning); repeatable\n"
	       "  --steps all|N      report the first N steps of each rank (default all)\n"
	       "  --host-scale F     multiply host (CPU) time by F (default 1)\n"
	       "  --gpu-scale F      what-if: multiply every projected GPU op time by F\n"
	       "  --top N            rows in the top-op tables (default 10)\n"
	       "  --band N           draws of the p10-p90 uncertainty band (default 40; 0 = none)\n"
	       "  --no-band          no uncertainty band (the same as --band 0)\n"
	       "  --json FILE        write the JSON report (schema tracecast.projection v%d)\n"
	       "  --timeline FILE    write the projected and source runs as Chrome trace JSON\n"
	       "  --validate         identity replay: measured vs replayed step time per step\n"
	       "  --no-infer-waits   keep CPU calls at their measured length unless the trace\n"
	       "                     records what they wait for (docs/projection.md, waits)\n"
	       "  --specs DIR        chip spec library (default: the shipped specs)\n"
	       "  -q                 no text report on stdout when --json is given\n",
	       TC_REPLAY_SCHEMA_VERSION);
}

static int parse_double(const char *s, double *out)
{
	char *end;
	double v = strtod(s, &end);
	if (end == s || *end || !(v > 0))
		return -1;
	*out = v;
	return 0;
}

static int write_out(const char *path, const struct tc_replay *r, int timeline, struct tc_err *err)
{
	struct tc_outfile o;
	memset(&o, 0, sizeof(o));
	int rc = tc_outfile_open(&o, path, err);
	if (rc < 0)
		return rc;
	rc = timeline ? tc_replay_write_timeline(r, o.fp, err) : tc_replay_write_json(r, o.fp, err);
	if (rc < 0) {
		tc_outfile_abort(&o);
		return tc_err_wrap(err, "%s", path);
	}
	return tc_outfile_commit(&o, err);
}

int tc_cmd_project(struct tc_cli *cli, int argc, char **argv)
{
	const char *inputs[MAX_IN], *sets[MAX_SETS], *dims[MAX_SETS];
	size_t n_in = 0, n_sets = 0, n_dims = 0;
	int dtype = 0;
	const char *target = NULL, *source = NULL, *json = NULL, *timeline = NULL, *specs = NULL;
	int validate = 0, quiet = 0, no_waits = 0;
	struct tc_replay_opts o = TC_REPLAY_OPTS_INIT;
	struct tc_err err = TC_ERR_INIT;

	if (tc_cli_wants_help(argc, argv)) {
		help();
		return 0;
	}
	o.band_draws = TC_REPLAY_BAND_DRAWS;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		int has = i + 1 < argc;
		if (strcmp(a, "--target") == 0 && has)
			target = argv[++i];
		else if (strcmp(a, "--source") == 0 && has)
			source = argv[++i];
		else if (strcmp(a, "--set") == 0 && has) {
			if (n_sets == MAX_SETS)
				return tc_cli_usage(cli, "project", "at most %d --set", MAX_SETS);
			sets[n_sets++] = argv[++i];
		} else if (strcmp(a, "--dim") == 0 && has) {
			if (n_dims == MAX_SETS)
				return tc_cli_usage(cli, "project", "at most %d --dim", MAX_SETS);
			dims[n_dims++] = argv[++i];
		} else if (strcmp(a, "--dtype") == 0 && has) {
			if ((dtype = tc_cli_run_dtype(cli, "project", argv[++i])) < 0)
				return 2;
		} else if (strcmp(a, "--steps") == 0 && has) {
			const char *v = argv[++i];
			char *end;
			if (strcmp(v, "all") == 0) {
				o.max_steps = -1;
			} else {
				long long n = strtoll(v, &end, 10);
				if (end == v || *end || n < 1)
					return tc_cli_usage(cli, "project",
							    "--steps needs 'all' or a positive number, "
							    "not '%s'",
							    v);
				o.max_steps = n;
			}
		} else if (strcmp(a, "--host-scale") == 0 && has) {
			if (parse_double(argv[++i], &o.host_scale) < 0)
				return tc_cli_usage(cli, "project", "--host-scale needs a number > 0");
		} else if (strcmp(a, "--gpu-scale") == 0 && has) {
			if (parse_double(argv[++i], &o.gpu_scale) < 0)
				return tc_cli_usage(cli, "project", "--gpu-scale needs a number > 0");
		} else if (strcmp(a, "--top") == 0 && has) {
			o.top_n = atoi(argv[++i]);
			if (o.top_n < 1)
				return tc_cli_usage(cli, "project", "--top needs a positive number");
		} else if (strcmp(a, "--band") == 0 && has) {
			char *end;
			long v = strtol(argv[++i], &end, 10);
			if (end == argv[i] || *end || v < 0 || v > 10000)
				return tc_cli_usage(cli, "project",
						    "--band needs a number of draws (0-10000), not '%s'",
						    argv[i]);
			o.band_draws = (int)v;
		} else if (strcmp(a, "--no-band") == 0)
			o.band_draws = 0;
		else if (strcmp(a, "--json") == 0 && has)
			json = argv[++i];
		else if (strcmp(a, "--timeline") == 0 && has)
			timeline = argv[++i];
		else if (strcmp(a, "--specs") == 0 && has)
			specs = argv[++i];
		else if (strcmp(a, "--validate") == 0)
			validate = 1;
		else if (strcmp(a, "--no-infer-waits") == 0)
			no_waits = 1;
		else if (strcmp(a, "-q") == 0)
			quiet = 1;
		else if (strcmp(a, "-v") == 0)
			cli->log.level = TC_LOG_INFO;
		else if (a[0] == '-' && a[1])
			return tc_cli_usage(cli, "project", "unknown option or missing value: '%s'", a);
		else if (n_in == MAX_IN)
			return tc_cli_usage(cli, "project", "at most %d inputs", MAX_IN);
		else
			inputs[n_in++] = a;
	}
	if (!n_in)
		return tc_cli_usage(cli, "project", "no input given");
	if (!target && !validate)
		return tc_cli_usage(cli, "project", "--target CHIP is required (or --validate)");
	if (quiet)
		cli->log.level = TC_LOG_ERROR;
	{
		/* chip spec files named by --target/--source are inputs too */
		const char *outs[] = {json, timeline}, *ins[MAX_IN + 2];
		size_t n = 0;
		for (size_t i = 0; i < n_in; i++)
			ins[n++] = inputs[i];
		ins[n++] = target;
		ins[n++] = source;
		if (tc_outputs_check(outs, 2, ins, n, &err) < 0)
			return tc_cli_fail(cli, &err);
	}

	struct tc_hw *hw = NULL;
	struct tc_chip *src = NULL, *dst = NULL;
	struct tc_replay_graph *g = NULL;
	struct tc_replay *r = NULL;
	char tmp[64] = {0};
	int rc = 0, code = 1;

	/* inputs that are not an opstream are ingested into a temporary one */
	const char *tcs = inputs[0];
	if ((dtype || n_dims) && n_in == 1 && tc_str_endswith(inputs[0], ".tcs")) {
		tc_err_set(&err, TC_EINVAL, "%s: --dtype and --dim apply to an ONNX model; an opstream "
			   "keeps what it was ingested with", inputs[0]);
		goto fail;
	}
	if (!(n_in == 1 && tc_str_endswith(inputs[0], ".tcs"))) {
		const char *dir = getenv("TMPDIR");
		snprintf(tmp, sizeof(tmp), "%s/tracecast-XXXXXX", dir && strlen(dir) < 40 ? dir : "/tmp");
		int fd = mkstemp(tmp);
		if (fd < 0) {
			tc_err_set(&err, TC_EIO, "cannot create a temporary file in %s", tmp);
			goto fail;
		}
		close(fd);
		(void)tc_tmp_remember(tmp); /* removed on SIGINT/SIGTERM/SIGHUP too */
		struct tc_ingest_opts io = TC_INGEST_OPTS_INIT;
		io.log = &cli->log;
		io.dims = dims;
		io.n_dims = n_dims;
		io.dtype = (unsigned)dtype;
		if ((rc = tc_ingest_files(inputs, n_in, tmp, &io, NULL, &err)) < 0)
			goto fail;
		tcs = tmp;
	}
	if ((rc = tc_replay_graph_load(&g, tcs, &cli->log, &err)) < 0)
		goto fail;
	{
		struct tc_replay_graph_stats gs;
		tc_replay_graph_stats(g, &gs);
		tc_info(&cli->log,
			"project: %llu ops on %u lanes; edges: %llu launch, %llu sync, %llu event "
			"(%llu inferred from anonymous stream waits, %llu anonymous waits left without "
			"an edge), %llu data; %llu collective instances",
			(unsigned long long)gs.ops, gs.lanes, (unsigned long long)gs.launch_edges,
			(unsigned long long)gs.sync_edges, (unsigned long long)gs.event_edges,
			(unsigned long long)gs.inferred_waits, (unsigned long long)gs.anonymous_waits,
			(unsigned long long)gs.data_edges, (unsigned long long)gs.collective_instances);
	}
	if ((rc = tc_hw_open(&hw, specs, &err)) < 0)
		goto fail;
	if (!source) {
		if (!(source = tc_hw_source_chip(hw, tc_replay_graph_header(g)))) {
			tc_info(&cli->log, "project: no device in the trace names a known chip");
			if (!validate && (rc = tc_cli_unknown_source(hw, g, &err)) < 0) {
				tc_err_wrap(&err, "%s", inputs[0]);
				goto fail;
			}
		} else {
			tc_info(&cli->log, "project: source chip %s (from the trace's devices)", source);
		}
	}
	if (source && (rc = tc_hw_load(hw, source, NULL, 0, &src, &err)) < 0) {
		tc_err_wrap(&err, "--source");
		goto fail;
	}
	if (target && !validate && (rc = tc_hw_load(hw, target, sets, n_sets, &dst, &err)) < 0) {
		tc_err_wrap(&err, "--target");
		goto fail;
	}
	o.source = src;
	o.target = validate ? NULL : dst;
	o.no_infer_waits = no_waits;
	o.sets = sets;
	o.n_sets = n_sets;
	o.log = &cli->log;
	if ((rc = tc_replay_run(&r, g, &o, &err)) < 0) {
		tc_err_wrap(&err, "%s", inputs[0]); /* which trace (not repeated if named) */
		goto fail;
	}
	if (json && (rc = write_out(json, r, 0, &err)) < 0)
		goto fail;
	if (timeline && (rc = write_out(timeline, r, 1, &err)) < 0)
		goto fail;
	if (validate) {
		double worst;
		struct tc_replay *dep = NULL;
		struct tc_replay_opts so = o;
		so.strict = 1;
		so.log = NULL;
		so.band_draws = 0;
		if ((rc = tc_replay_run(&dep, g, &so, &err)) < 0)
			goto fail;
		rc = tc_replay_write_validation(r, dep, stdout, &worst, &err);
		tc_replay_free(dep);
		if (rc < 0)
			goto fail;
	} else if (!(quiet && json)) {
		if ((rc = tc_replay_write_text(r, stdout, &err)) < 0)
			goto fail;
	}
	code = 0;
	goto out;
fail:
	code = tc_cli_fail(cli, &err);
out:
	tc_replay_free(r);
	tc_replay_graph_free(g);
	tc_chip_free(src);
	tc_chip_free(dst);
	tc_hw_free(hw);
	if (tmp[0]) {
		unlink(tmp);
		tc_tmp_forget(tmp);
	}
	return code;
}

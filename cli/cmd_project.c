/* cmd_project.c - `tracecast project`: re-time a trace (.tcs, profiler JSON, ONNX) on a target
 * chip and print the answer; `--validate` replays it unchanged and reports the identity
 * error per step. The method and the JSON schema are in docs/projection.md. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "pipeline.h"
#include "hwmodel.h"
#include "ingest.h"
#include "replay.h"

#define MAX_IN 256
#define MAX_SETS 64
#define MAX_STRAGGLERS 64

/* "R=F": a straggler rank and its factor */
static int parse_straggler(const char *s, struct tc_replay_straggler *out)
{
	char *end;
	unsigned long r = strtoul(s, &end, 10);
	if (end == s || *end != '=' || s[0] == '-' || r > UINT32_MAX)
		return -1;
	const char *f = end + 1;
	double v = strtod(f, &end);
	if (end == f || *end || !(v > 0))
		return -1;
	out->rank = (uint32_t)r;
	out->factor = v;
	return 0;
}

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
	       "  --ops-csv FILE     write every op (rank, lane, class, bound, source and projected\n"
	       "                     start and duration, FLOPs, bytes) as CSV\n"
	       "  --chakra-out DIR   write the projected run as Chakra traces, DIR/NAME.RANK.et\n"
	       "                     (docs/chakra.md)\n"
	       "  --validate         identity replay: measured vs replayed step time per step\n"
	       "  --no-infer-waits   keep CPU calls at their measured length unless the trace\n"
	       "                     records what they wait for (docs/projection.md, waits)\n"
	       "  --world-size N     scale-out what-if: the job on N ranks (synthesised from\n"
	       "                     the traced ones; docs/projection.md §6)\n"
	       "  --parallel L       target layout, e.g. dp=64,tp=8,pp=2,ep=8 (world = dp*tp*pp)\n"
	       "  --source-parallel L  layout of the traced job (default: all ranks DP)\n"
	       "  --straggler R=F    rank R's GPU work takes F times as long (repeatable)\n"
	       "  --rank-chip R=CHIP rank R of the target world runs on CHIP (mixed fleets;\n"
	       "                     repeatable)\n"
	       "  --jitter F         each GPU op's time x (1 + F*u), u uniform in [-1, 1]\n"
	       "  --seed N           seed of the jitter (default 1)\n"
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

/* Projected duration of an op for the Chakra writer; -1 (keep the measured one) for ops
 * that were not simulated. */
static int64_t proj_dur(const void *ctx, uint64_t id)
{
	const struct tc_replay *r = ctx;
	int64_t s = tc_replay_op_start(r, id), e = tc_replay_op_end(r, id);
	return s != INT64_MIN && e != INT64_MIN && e >= s ? e - s : -1;
}


enum out_kind { OUT_JSON, OUT_TIMELINE, OUT_OPS_CSV };

static int write_out(const char *path, const struct tc_replay *r, enum out_kind kind,
		     struct tc_err *err)
{
	struct tc_outfile o;
	memset(&o, 0, sizeof(o));
	int rc = tc_outfile_open(&o, path, err);
	if (rc < 0)
		return rc;
	rc = kind == OUT_TIMELINE  ? tc_replay_write_timeline(r, o.fp, err)
	     : kind == OUT_OPS_CSV ? tc_replay_write_ops_csv(r, o.fp, err)
				   : tc_replay_write_json(r, o.fp, err);
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
	const char *ops_csv = NULL;
	const char *chakra_out = NULL;
	int validate = 0, quiet = 0, no_waits = 0;
	struct tc_replay_opts o = TC_REPLAY_OPTS_INIT;
	struct tc_replay_scale sc = TC_REPLAY_SCALE_INIT;
	struct tc_replay_straggler strag[MAX_STRAGGLERS];
	struct tc_replay_rank_chip rchip[MAX_STRAGGLERS];
	const char *rchip_name[MAX_STRAGGLERS];
	int scaled = 0;
	struct tc_err err = TC_ERR_INIT;

	sc.seed = 1;
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
		} else if (strcmp(a, "--world-size") == 0 && has) {
			const char *v = argv[++i];
			char *end;
			unsigned long n = strtoul(v, &end, 10);
			if (end == v || *end || v[0] == '-' || n < 1 || n > (1ul << 24))
				return tc_cli_usage(cli, "project",
						    "--world-size needs a number 1..16777216, not '%s'", v);
			sc.world = (uint32_t)n;
			scaled = 1;
		} else if ((strcmp(a, "--parallel") == 0 || strcmp(a, "--source-parallel") == 0) &&
			   has) {
			int is_src = a[2] == 's';
			if (tc_replay_parallel_parse(is_src ? &sc.src : &sc.dst, argv[++i], a, &err) < 0)
				return tc_cli_fail(cli, &err);
			scaled = 1;
		} else if (strcmp(a, "--straggler") == 0 && has) {
			if (sc.n_stragglers == MAX_STRAGGLERS)
				return tc_cli_usage(cli, "project", "at most %d --straggler", MAX_STRAGGLERS);
			if (parse_straggler(argv[++i], &strag[sc.n_stragglers]) < 0)
				return tc_cli_usage(cli, "project",
						    "--straggler needs RANK=FACTOR (factor > 0), not '%s'",
						    argv[i]);
			sc.n_stragglers++;
			scaled = 1;
		} else if (strcmp(a, "--rank-chip") == 0 && has) {
			const char *v = argv[++i], *eq = strchr(v, '=');
			char *end;
			unsigned long rk = strtoul(v, &end, 10);
			if (sc.n_rank_chips == MAX_STRAGGLERS)
				return tc_cli_usage(cli, "project", "at most %d --rank-chip", MAX_STRAGGLERS);
			if (end == v || end != eq || v[0] == '-' || rk > UINT32_MAX || !eq[1])
				return tc_cli_usage(cli, "project", "--rank-chip needs RANK=CHIP, not '%s'", v);
			rchip[sc.n_rank_chips].rank = (uint32_t)rk;
			rchip[sc.n_rank_chips].chip = NULL;
			rchip_name[sc.n_rank_chips++] = eq + 1;
			scaled = 1;
		} else if (strcmp(a, "--jitter") == 0 && has) {
			char *end;
			const char *v = argv[++i];
			sc.jitter = strtod(v, &end);
			if (end == v || *end || !(sc.jitter >= 0 && sc.jitter < 1))
				return tc_cli_usage(cli, "project", "--jitter needs a number in [0, 1)");
			scaled = 1;
		} else if (strcmp(a, "--seed") == 0 && has) {
			char *end;
			const char *v = argv[++i];
			sc.seed = strtoull(v, &end, 10);
			if (end == v || *end || v[0] == '-')
				return tc_cli_usage(cli, "project", "--seed needs a non-negative integer");
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
		else if (strcmp(a, "--ops-csv") == 0 && has)
			ops_csv = argv[++i];
		else if (strcmp(a, "--chakra-out") == 0 && has)
			chakra_out = argv[++i];
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
	if (validate && scaled)
		return tc_cli_usage(cli, "project",
				    "--validate replays the trace as measured: no scale-out what-if");
	if (quiet)
		cli->log.level = TC_LOG_ERROR;
	{
		/* chip spec files named by --target/--source are inputs too */
		const char *outs[] = {json, timeline, ops_csv}, *ins[MAX_IN + 2];
		size_t n = 0;
		for (size_t i = 0; i < n_in; i++)
			ins[n++] = inputs[i];
		ins[n++] = target;
		ins[n++] = source;
		if (tc_outputs_check(outs, 3, ins, n, &err) < 0)
			return tc_cli_fail(cli, &err);
	}

	struct tc_pipeline_req req = TC_PIPELINE_REQ_INIT;
	struct tc_pipeline p = {0};
	struct tc_replay *r = NULL;
	int rc = 0, code = 1;
	req.inputs = inputs;
	req.n_inputs = n_in;
	req.target = validate ? NULL : target;
	req.source = source;
	req.specs = specs;
	req.sets = sets;
	req.n_sets = n_sets;
	req.log = &cli->log;
	req.source_what = "--source";
	req.target_what = "--target";
	req.dims = dims;
	req.n_dims = n_dims;
	req.dtype = (unsigned)dtype;
	if ((dtype || n_dims) && n_in == 1 && tc_str_endswith(inputs[0], ".tcs")) {
		tc_err_set(&err, TC_EINVAL, "%s: --dtype and --dim apply to an ONNX model; an opstream "
			   "keeps what it was ingested with", inputs[0]);
		goto fail;
	}
	if ((rc = tc_pipeline_open(&req, &p, &err)) < 0)
		goto fail;
	for (size_t k = 0; k < sc.n_rank_chips; k++) {
		struct tc_chip *c = NULL;
		if ((rc = tc_hw_load(p.hw, rchip_name[k], NULL, 0, &c, &err)) < 0) {
			tc_err_wrap(&err, "--rank-chip %u", rchip[k].rank);
			goto fail;
		}
		rchip[k].chip = c;
	}
	o.no_infer_waits = no_waits;
	sc.stragglers = strag;
	sc.rank_chips = rchip;
	o.scale = scaled ? &sc : NULL;
	req.opts = o;
	if ((rc = tc_pipeline_replay(&req, &p, &err)) < 0)
		goto fail;
	r = p.replay;
	const struct tc_replay_graph *g = p.g;
	const char *tcs = p.tcs;
	if (json && (rc = write_out(json, r, OUT_JSON, &err)) < 0)
		goto fail;
	if (timeline && (rc = write_out(timeline, r, OUT_TIMELINE, &err)) < 0)
		goto fail;
	if (ops_csv && (rc = write_out(ops_csv, r, OUT_OPS_CSV, &err)) < 0)
		goto fail;
	if (chakra_out) {
		struct tc_chakra_out_opts co = {proj_dur, r, NULL};
		struct tc_chakra_out_stats cs;
		if ((rc = tc_chakra_export(tcs, chakra_out, &co, &cs, &err)) < 0)
			goto fail;
		tc_info(&cli->log, "project: %u Chakra traces in %s (%llu nodes, projected)",
			cs.files, chakra_out, (unsigned long long)cs.nodes);
	}
	if (validate) {
		double worst;
		struct tc_replay *dep = NULL;
		struct tc_replay_opts so = o;
		so.source = p.src;
		so.target = NULL;
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
	for (size_t k = 0; k < sc.n_rank_chips; k++)
		tc_chip_free((struct tc_chip *)rchip[k].chip);
	tc_pipeline_free(&p);
	return code;
}

/* cmd_project.c - `tracecast project`: re-time a trace (.tcs, profiler JSON, ONNX) on a target
 * chip and print the answer; `--validate` replays it unchanged and reports the identity
 * error per step. The method and the JSON schema are in docs/projection.md. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cli_pipe.h"
#include "pipeline.h"
#include "hwmodel.h"
#include "ingest.h"
#include "replay.h"

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
	printf(
	    "usage: tracecast project IN... --target CHIP [options]\n"
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
	    "  --jobs N           threads (default: the number of cores, at most 4): N - 1\n"
	    "                     draw the band while the run goes on; each holds 16 B per\n"
	    "                     op; the same figures for any N\n"
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

/* A whole decimal number in [lo, hi]. */
static int parse_int(const char *s, long lo, long hi, int *out)
{
	char *end;
	long v = strtol(s, &end, 10);
	if (end == s || *end || v < lo || v > hi)
		return -1;
	*out = (int)v;
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

/* The command line of one projection. */
struct project {
	struct tc_cli_pipe in; /* inputs, chips, ONNX options; in.req.opts: the replay options */
	const char *json, *timeline, *ops_csv, *chakra_out;
	int validate, quiet, scaled;
	struct tc_replay_scale sc;
	struct tc_replay_straggler strag[MAX_STRAGGLERS];
	struct tc_replay_rank_chip rchip[MAX_STRAGGLERS];
	const char *rchip_name[MAX_STRAGGLERS];
};

/* The option parsers below return 1 when they took argv[*i] (and its value), 0 when it is
 * not theirs, or minus the exit status after a message. */
#define USAGE(...) (-tc_cli_usage(cli, "project", __VA_ARGS__))

/* --steps all|N */
static int parse_steps(struct tc_cli *cli, const char *v, struct tc_replay_opts *o)
{
	char *end;
	if (strcmp(v, "all") == 0) {
		o->max_steps = -1;
		return 1;
	}
	long long n = strtoll(v, &end, 10);
	if (end == v || *end || n < 1)
		return USAGE("--steps needs 'all' or a positive number, not '%s'", v);
	o->max_steps = n;
	return 1;
}

/* How the replay runs: steps, scales, the top tables, the band. */
static int replay_option(struct tc_cli *cli, int argc, char **argv, int *i,
			 struct tc_replay_opts *o)
{
	const char *a = argv[*i], *v = *i + 1 < argc ? argv[*i + 1] : NULL;
	if (strcmp(a, "--no-band") == 0) {
		o->band_draws = 0;
		return 1;
	}
	if (!v)
		return 0;
	if (strcmp(a, "--steps") == 0) {
		++*i;
		return parse_steps(cli, v, o);
	}
	if (strcmp(a, "--host-scale") == 0) {
		++*i;
		return parse_double(v, &o->host_scale) < 0
			   ? USAGE("--host-scale needs a number > 0")
			   : 1;
	}
	if (strcmp(a, "--gpu-scale") == 0) {
		++*i;
		return parse_double(v, &o->gpu_scale) < 0 ? USAGE("--gpu-scale needs a number > 0")
							  : 1;
	}
	if (strcmp(a, "--top") == 0) {
		++*i;
		o->top_n = atoi(v);
		return o->top_n < 1 ? USAGE("--top needs a positive number") : 1;
	}
	if (strcmp(a, "--band") == 0) {
		++*i;
		return parse_int(v, 0, 10000, &o->band_draws) < 0
			   ? USAGE("--band needs a number of draws (0-10000), not '%s'", v)
			   : 1;
	}
	if (strcmp(a, "--jobs") == 0) {
		++*i;
		return parse_int(v, 1, 256, &o->jobs) < 0
			   ? USAGE("--jobs needs a number of threads (1-256), not '%s'", v)
			   : 1;
	}
	return 0;
}

/* --rank-chip R=CHIP: the chip is loaded once the library is open */
static int parse_rank_chip(struct tc_cli *cli, const char *v, struct project *pj)
{
	struct tc_replay_scale *sc = &pj->sc;
	const char *eq = strchr(v, '=');
	char *end;
	unsigned long rk = strtoul(v, &end, 10);
	if (sc->n_rank_chips == MAX_STRAGGLERS)
		return USAGE("at most %d --rank-chip", MAX_STRAGGLERS);
	if (end == v || end != eq || v[0] == '-' || rk > UINT32_MAX || !eq[1])
		return USAGE("--rank-chip needs RANK=CHIP, not '%s'", v);
	pj->rchip[sc->n_rank_chips].rank = (uint32_t)rk;
	pj->rchip[sc->n_rank_chips].chip = NULL;
	pj->rchip_name[sc->n_rank_chips++] = eq + 1;
	return 1;
}

/* The scale-out what-if (docs/projection.md §6); every option but --seed makes it one. */
static int scale_option(struct tc_cli *cli, const char *a, const char *v, struct project *pj)
{
	struct tc_replay_scale *sc = &pj->sc;
	char *end;
	if (strcmp(a, "--world-size") == 0) {
		unsigned long n = strtoul(v, &end, 10);
		if (end == v || *end || v[0] == '-' || n < 1 || n > (1ul << 24))
			return USAGE("--world-size needs a number 1..16777216, not '%s'", v);
		sc->world = (uint32_t)n;
	} else if (strcmp(a, "--parallel") == 0 || strcmp(a, "--source-parallel") == 0) {
		struct tc_err err = TC_ERR_INIT;
		if (tc_replay_parallel_parse(a[2] == 's' ? &sc->src : &sc->dst, v, a, &err) < 0)
			return -tc_cli_fail(cli, &err);
	} else if (strcmp(a, "--straggler") == 0) {
		if (sc->n_stragglers == MAX_STRAGGLERS)
			return USAGE("at most %d --straggler", MAX_STRAGGLERS);
		if (parse_straggler(v, &pj->strag[sc->n_stragglers]) < 0)
			return USAGE("--straggler needs RANK=FACTOR (factor > 0), not '%s'", v);
		sc->n_stragglers++;
	} else if (strcmp(a, "--rank-chip") == 0) {
		int rc = parse_rank_chip(cli, v, pj);
		if (rc < 0)
			return rc;
	} else if (strcmp(a, "--jitter") == 0) {
		sc->jitter = strtod(v, &end);
		if (end == v || *end || !(sc->jitter >= 0 && sc->jitter < 1))
			return USAGE("--jitter needs a number in [0, 1)");
	} else if (strcmp(a, "--seed") == 0) {
		sc->seed = strtoull(v, &end, 10);
		if (end == v || *end || v[0] == '-')
			return USAGE("--seed needs a non-negative integer");
		return 1;
	} else
		return 0;
	pj->scaled = 1;
	return 1;
}

/* What is written, and the switches. */
static int output_option(struct tc_cli *cli, int argc, char **argv, int *i, struct project *pj)
{
	const char *a = argv[*i], **slot = NULL;
	if (strcmp(a, "--validate") == 0)
		pj->validate = 1;
	else if (strcmp(a, "--no-infer-waits") == 0)
		pj->in.req.opts.no_infer_waits = 1;
	else if (strcmp(a, "-q") == 0)
		pj->quiet = 1;
	else if (strcmp(a, "-v") == 0)
		cli->log.level = TC_LOG_INFO;
	else if (*i + 1 >= argc)
		return 0;
	else if (strcmp(a, "--json") == 0)
		slot = &pj->json;
	else if (strcmp(a, "--timeline") == 0)
		slot = &pj->timeline;
	else if (strcmp(a, "--ops-csv") == 0)
		slot = &pj->ops_csv;
	else if (strcmp(a, "--chakra-out") == 0)
		slot = &pj->chakra_out;
	else
		return 0;
	if (slot)
		*slot = argv[++*i];
	return 1;
}

/* 0, or the exit status after a message. */
static int parse_args(struct tc_cli *cli, int argc, char **argv, struct project *pj)
{
	memset(pj, 0, sizeof(*pj));
	tc_cli_pipe_init(&pj->in, cli);
	pj->sc.seed = 1;
	for (int i = 1; i < argc; i++) {
		int rc = tc_cli_pipe_option(cli, "project", TC_CLI_PIPE_TARGET | TC_CLI_PIPE_ONNX,
					    argc, argv, &i, &pj->in);
		if (!rc)
			rc = replay_option(cli, argc, argv, &i, &pj->in.req.opts);
		if (!rc && i + 1 < argc && (rc = scale_option(cli, argv[i], argv[i + 1], pj)) > 0)
			i++;
		if (!rc)
			rc = output_option(cli, argc, argv, &i, pj);
		if (rc < 0)
			return -rc;
		if (!rc && (rc = tc_cli_pipe_input(cli, "project", argv[i], &pj->in)) != 0)
			return rc;
	}
	struct tc_pipeline_req *req = &pj->in.req;
	if (!req->n_inputs)
		return tc_cli_usage(cli, "project", "no input given");
	if (!req->target && !pj->validate)
		return tc_cli_usage(cli, "project", "--target CHIP is required (or --validate)");
	if (pj->validate && pj->scaled)
		return tc_cli_usage(
		    cli, "project",
		    "--validate replays the trace as measured: no scale-out what-if");
	if (pj->quiet)
		cli->log.level = TC_LOG_ERROR;
	/* chip spec files named by --target/--source are inputs too */
	const char *outs[] = {pj->json, pj->timeline, pj->ops_csv};
	const char *chips[] = {req->target, req->source};
	struct tc_err err = TC_ERR_INIT;
	if (tc_cli_pipe_outputs_check(&pj->in, outs, 3, chips, 2, &err) < 0)
		return tc_cli_fail(cli, &err);
	if (pj->validate)
		req->target = NULL; /* identity: the source chip only */
	req->source_what = "--source";
	req->target_what = "--target";
	return 0;
}

/* Open the inputs and the chips (--rank-chip's too), then replay. */
static int run(struct project *pj, struct tc_pipeline *p, struct tc_err *err)
{
	struct tc_pipeline_req *req = &pj->in.req;
	if ((req->dtype || req->n_dims) && req->n_inputs == 1 &&
	    tc_str_endswith(req->inputs[0], ".tcs"))
		return tc_err_set(err, TC_EINVAL,
				  "%s: --dtype and --dim apply to an ONNX model; an "
				  "opstream keeps what it was ingested with",
				  req->inputs[0]);
	TC_TRY(tc_pipeline_open(req, p, err));
	for (size_t k = 0; k < pj->sc.n_rank_chips; k++) {
		struct tc_chip *c = NULL;
		if (tc_hw_load(p->hw, pj->rchip_name[k], NULL, 0, &c, err) < 0)
			return tc_err_wrap(err, "--rank-chip %u", pj->rchip[k].rank);
		pj->rchip[k].chip = c;
	}
	pj->sc.stragglers = pj->strag;
	pj->sc.rank_chips = pj->rchip;
	req->opts.scale = pj->scaled ? &pj->sc : NULL;
	return tc_pipeline_replay(req, p, err);
}

/* --validate: the identity replay against the measured run, per step. */
static int validate(const struct project *pj, const struct tc_pipeline *p, struct tc_err *err)
{
	double worst;
	struct tc_replay *dep = NULL;
	struct tc_replay_opts so = pj->in.req.opts;
	so.source = p->src;
	so.target = NULL;
	so.strict = 1;
	so.log = NULL;
	so.band_draws = 0;
	TC_TRY(tc_replay_run(&dep, p->g, &so, err));
	int rc = tc_replay_write_validation(p->replay, dep, stdout, &worst, err);
	tc_replay_free(dep);
	return rc;
}

/* The files asked for, then the text report (or the validation) on stdout. */
static int write_all(struct tc_cli *cli, const struct project *pj, const struct tc_pipeline *p,
		     struct tc_err *err)
{
	const struct tc_replay *r = p->replay;
	if (pj->json)
		TC_TRY(write_out(pj->json, r, OUT_JSON, err));
	if (pj->timeline)
		TC_TRY(write_out(pj->timeline, r, OUT_TIMELINE, err));
	if (pj->ops_csv)
		TC_TRY(write_out(pj->ops_csv, r, OUT_OPS_CSV, err));
	if (pj->chakra_out) {
		struct tc_chakra_out_opts co = {proj_dur, r, NULL};
		struct tc_chakra_out_stats cs;
		TC_TRY(tc_chakra_export(p->tcs, pj->chakra_out, &co, &cs, err));
		tc_info(&cli->log, "project: %u Chakra traces in %s (%llu nodes, projected)",
			cs.files, pj->chakra_out, (unsigned long long)cs.nodes);
	}
	if (pj->validate)
		return validate(pj, p, err);
	if (!(pj->quiet && pj->json))
		return tc_replay_write_text(r, stdout, err);
	return 0;
}

int tc_cmd_project(struct tc_cli *cli, int argc, char **argv)
{
	struct project pj;
	struct tc_pipeline p = {0};
	struct tc_err err = TC_ERR_INIT;

	if (tc_cli_wants_help(argc, argv)) {
		help();
		return 0;
	}
	int code = parse_args(cli, argc, argv, &pj);
	if (code)
		return code;
	if (run(&pj, &p, &err) < 0 || write_all(cli, &pj, &p, &err) < 0)
		code = tc_cli_fail(cli, &err);
	for (size_t k = 0; k < pj.sc.n_rank_chips; k++)
		tc_chip_free((struct tc_chip *)pj.rchip[k].chip);
	tc_pipeline_free(&p);
	return code;
}

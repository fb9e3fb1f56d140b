/* pipeline.h - the one projection pipeline: open the inputs (ingest into a temporary
 * opstream when they are not one), build the dependency graph, load the source chip (given,
 * or matched from the trace's devices) and the target (with overrides), replay. The library
 * API (api.c) calls it; so do the commands that project. */
#ifndef TC_API_PIPELINE_H
#define TC_API_PIPELINE_H

#include "hwmodel.h"
#include "ingest.h"
#include "replay.h"
#include "util.h"

struct tc_pipeline_req {
	const char *const *inputs; /* borrowed */
	size_t n_inputs;
	const char *target;	 /* NULL: identity (validation) */
	const char *source;	 /* NULL: from the trace's devices */
	const char *specs;	 /* chip library folder, NULL = default */
	const char *const *sets; /* "key=value" overrides on the target */
	size_t n_sets;
	const char *const *dims; /* ONNX symbolic dims */
	size_t n_dims;
	int training;	/* ONNX: with backward and optimizer */
	unsigned dtype; /* ONNX: the precision the model runs at, 0 = its own */
	const struct tc_log *log;
	struct tc_replay_opts opts; /* source, target, sets and log are set by the pipeline */
	/* how errors name the chips ("--target" in the command); NULL = "source chip" and
	 * "target chip" */
	const char *source_what, *target_what;
};
#define TC_PIPELINE_REQ_INIT                                                                       \
	{                                                                                          \
		.opts = TC_REPLAY_OPTS_INIT                                                        \
	}

struct tc_pipeline {
	struct tc_hw *hw;
	struct tc_chip *src, *dst;
	struct tc_replay_graph *g;
	struct tc_replay *replay;
	const char *tcs; /* the opstream replayed: the input, or tmp */
	char tmp[256];	 /* the temporary opstream, "" when the input was one */
};

/* The inputs as an opstream: a single .tcs input is used as it is (*path = it, tmp = "");
 * anything else is ingested into a temporary file named in tmp (*path = tmp), which the
 * caller removes with unlink() and tc_tmp_forget(tmp) (it is removed on SIGINT/SIGTERM/
 * SIGHUP too). io may be NULL. */
int tc_pipeline_opstream(const char *const *inputs, size_t n, const struct tc_ingest_opts *io,
			 char *tmp, size_t cap, const char **path, struct tc_err *err);

/* Run it; on success out holds everything (free with tc_pipeline_free, also after an
 * error). Errors name the input ("trace.json: ...") or the chip option ("target chip: ...").
 * tc_pipeline_run = tc_pipeline_open (opstream, graph, chip library, source and target) then
 * tc_pipeline_replay; a caller that needs more from the library between the two (per-rank
 * chips) calls them itself. */
int tc_pipeline_run(const struct tc_pipeline_req *req, struct tc_pipeline *out, struct tc_err *err);
int tc_pipeline_open(const struct tc_pipeline_req *req, struct tc_pipeline *out,
		     struct tc_err *err);
int tc_pipeline_replay(const struct tc_pipeline_req *req, struct tc_pipeline *p,
		       struct tc_err *err);
void tc_pipeline_free(struct tc_pipeline *p);

/* The precision an ONNX model may be run at, from its name (bf16, fp16, fp8 = e4m3, fp32,
 * fp64, fp8_e5m2): the dtype, or -1. */
int tc_pipeline_run_dtype(const char *name);

/* The error for a trace whose device names no spec: the device string it carries and the
 * closest specs. 0 when the stream has nothing measured to carry over (no GPU ops, ONNX). */
int tc_pipeline_unknown_source(const struct tc_hw *hw, const struct tc_replay_graph *g,
			       struct tc_err *err);

#endif

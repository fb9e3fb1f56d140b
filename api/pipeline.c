/* pipeline.c - inputs -> opstream -> graph -> chips -> replay (pipeline.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pipeline.h"

int tc_pipeline_run_dtype(const char *name)
{
	/* fp8 alone is the e4m3 format inference runs at (e5m2 holds gradients) */
	int d = strcmp(name, "fp8") == 0 ? TC_DT_FP8_E4M3 : tc_dtype_parse(name);
	switch (d) {
	case TC_DT_F32:
	case TC_DT_F16:
	case TC_DT_BF16:
	case TC_DT_F64:
	case TC_DT_FP8_E4M3:
	case TC_DT_FP8_E5M2:
		return d;
	default:
		return -1;
	}
}

int tc_pipeline_unknown_source(const struct tc_hw *hw, const struct tc_replay_graph *g,
			       struct tc_err *err)
{
	const struct tc_ops_header *h = tc_replay_graph_header(g);
	struct tc_replay_graph_stats gs;
	tc_replay_graph_stats(g, &gs);
	/* nothing measured to carry over (an ONNX graph is costed on the target alone) */
	if (!gs.gpu_ops || (h && h->source_format && strcmp(h->source_format, "onnx") == 0))
		return 0;
	const char *dev = NULL;
	for (size_t i = 0; h && i < h->n_devices && !dev; i++)
		if (h->devices[i].type == TC_DEV_GPU && h->devices[i].name && h->devices[i].name[0])
			dev = h->devices[i].name;
	const char *near[3];
	size_t n = dev ? tc_hw_closest(hw, dev, near, 3) : 0;
	char list[160] = "";
	for (size_t k = 0; k < n; k++) {
		size_t used = strlen(list);
		snprintf(list + used, sizeof(list) - used, "%s%s", k ? ", " : "", near[k]);
	}
	if (!dev)
		return tc_err_set(
		    err, TC_EINVAL,
		    "the trace names no GPU model, so the source chip is unknown: give it "
		    "with --source CHIP ('tracecast hw list')");
	return tc_err_set(err, TC_EINVAL,
			  "no chip spec matches the trace's device \"%s\"%s%s%s: give it with "
			  "--source CHIP ('tracecast hw list')",
			  dev, n ? " (closest: " : "", list, n ? ")" : "");
}

int tc_pipeline_opstream(const char *const *inputs, size_t n, const struct tc_ingest_opts *io,
			 char *tmp, size_t cap, const char **path, struct tc_err *err)
{
	tmp[0] = 0;
	if (n == 1 && tc_str_endswith(inputs[0], ".tcs")) {
		*path = inputs[0];
		return 0;
	}
	int fd = tc_tmpfile(tmp, cap, "tracecast", "");
	if (fd < 0) {
		int rc = tc_err_set(err, TC_EIO, "cannot create a temporary file in %s: %s", tmp,
				    strerror(errno));
		tmp[0] = 0;
		return rc;
	}
	close(fd);
	(void)tc_tmp_remember(tmp);
	struct tc_ingest_opts none = TC_INGEST_OPTS_INIT;
	int rc = tc_ingest_files(inputs, n, tmp, io ? io : &none, NULL, err);
	if (rc < 0) {
		unlink(tmp);
		tc_tmp_forget(tmp);
		tmp[0] = 0;
		return rc;
	}
	*path = tmp;
	return 0;
}

static int open_graph(const struct tc_pipeline_req *req, struct tc_pipeline *p, struct tc_err *err)
{
	struct tc_ingest_opts io = TC_INGEST_OPTS_INIT;
	io.log = req->log;
	io.dims = req->dims;
	io.n_dims = req->n_dims;
	io.training = req->training;
	io.dtype = req->dtype;
	TC_TRY(tc_pipeline_opstream(req->inputs, req->n_inputs, &io, p->tmp, sizeof(p->tmp),
				    &p->tcs, err));
	return tc_replay_graph_load(&p->g, p->tcs, req->log, err);
}

int tc_pipeline_open(const struct tc_pipeline_req *req, struct tc_pipeline *p, struct tc_err *err)
{
	memset(p, 0, sizeof(*p));
	if (!req->n_inputs)
		return tc_err_set(err, TC_EINVAL, "no input given");
	TC_TRY(open_graph(req, p, err));
	struct tc_replay_graph_stats gs;
	tc_replay_graph_stats(p->g, &gs);
	tc_info(req->log,
		"project: %llu ops on %u lanes; edges: %llu launch, %llu sync, %llu event (%llu "
		"inferred from anonymous stream waits, %llu anonymous waits left without an edge), "
		"%llu data; %llu collective instances",
		(unsigned long long)gs.ops, gs.lanes, (unsigned long long)gs.launch_edges,
		(unsigned long long)gs.sync_edges, (unsigned long long)gs.event_edges,
		(unsigned long long)gs.inferred_waits, (unsigned long long)gs.anonymous_waits,
		(unsigned long long)gs.data_edges, (unsigned long long)gs.collective_instances);
	TC_TRY(tc_hw_open(&p->hw, req->specs, err));
	const char *source = req->source;
	if (!source) {
		source = tc_hw_source_chip(p->hw, tc_replay_graph_header(p->g));
		if (source)
			tc_info(req->log, "project: source chip %s (from the trace's devices)",
				source);
		else if (req->target && tc_pipeline_unknown_source(p->hw, p->g, err) < 0)
			return tc_err_wrap(err, "%s", req->inputs[0]);
		else
			tc_info(req->log, "project: no device in the trace names a known chip");
	}
	if (source && tc_hw_load(p->hw, source, NULL, 0, &p->src, err) < 0)
		return tc_err_wrap(err, "%s", req->source_what ? req->source_what : "source chip");
	if (req->target && tc_hw_load(p->hw, req->target, req->sets, req->n_sets, &p->dst, err) < 0)
		return tc_err_wrap(err, "%s", req->target_what ? req->target_what : "target chip");
	return 0;
}

int tc_pipeline_replay(const struct tc_pipeline_req *req, struct tc_pipeline *p, struct tc_err *err)
{
	struct tc_replay_opts o = req->opts;
	o.source = p->src;
	o.target = p->dst;
	o.sets = req->sets;
	o.n_sets = req->n_sets;
	o.log = req->log;
	if (tc_replay_run(&p->replay, p->g, &o, err) < 0)
		return tc_err_wrap(err, "%s", req->inputs[0]); /* which trace */
	return 0;
}

int tc_pipeline_run(const struct tc_pipeline_req *req, struct tc_pipeline *p, struct tc_err *err)
{
	TC_TRY(tc_pipeline_open(req, p, err));
	return tc_pipeline_replay(req, p, err);
}

void tc_pipeline_free(struct tc_pipeline *p)
{
	tc_replay_free(p->replay);
	tc_replay_graph_free(p->g);
	tc_chip_free(p->src);
	tc_chip_free(p->dst);
	tc_hw_free(p->hw);
	if (p->tmp[0]) {
		unlink(p->tmp);
		tc_tmp_forget(p->tmp);
	}
	memset(p, 0, sizeof(*p));
}

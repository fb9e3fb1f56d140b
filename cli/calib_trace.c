/* calib_trace.c - a profiler trace (Kineto JSON, or an opstream) as a table of measured
 * kernels, so that calibrate fits a chip from traces captured on it as well as from operator
 * tables. Every GPU kernel whose work the trace's shapes give (FLOPs and bytes, and the GEMM
 * dims for matrix classes) and whose duration was measured becomes one row, of the class
 * ingest gave it. The rows are kernel times from the GPU's own clock, so the floor a trace
 * shows is the shortest kernel's, not a measuring loop's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "calib.h"
#include "pipeline.h"

struct trace_table {
	struct tc_optable t; /* first: the table is freed through its address */
	char *path, *device, *dims;
};

static int fittable_kernel(const struct tc_op *op)
{
	if (op->kind != TC_KIND_KERNEL || !op->has_work || !(op->dur_ns > 0))
		return 0;
	switch (op->op_class) {
	case TC_CLASS_HOST:
	case TC_CLASS_COPY:
	case TC_CLASS_MEMSET:
	case TC_CLASS_COLLECTIVE:
		return 0;
	default:
		return op->flops > 0 || op->bytes_read + op->bytes_written > 0;
	}
}

#define DIMS_LEN 96 /* "m=.. n=.. k=.. b=.. B=.." */

static int read_stream(struct trace_table *tt, const char *tcs, const char *shown,
		       struct tc_err *err)
{
	struct tc_ops_reader *rd = NULL;
	TC_TRY(tc_ops_reader_open(&rd, tcs, err));
	const struct tc_ops_header *h = tc_ops_reader_header(rd);
	for (size_t i = 0; h && i < h->n_devices && !tt->device; i++)
		if (h->devices[i].type == TC_DEV_GPU && h->devices[i].name && h->devices[i].name[0])
			tt->device = tc_xstrdup(h->devices[i].name);
	size_t cap = 0;
	const struct tc_op *ops;
	size_t n;
	int rc;
	while ((rc = tc_ops_reader_next(rd, &ops, &n, err)) > 0)
		for (size_t i = 0; i < n; i++) {
			const struct tc_op *op = &ops[i];
			if (!fittable_kernel(op))
				continue;
			if (tt->t.n_rows == cap) {
				cap = cap ? cap * 2 : 1024;
				tt->t.rows = tc_xrealloc(tt->t.rows, cap * sizeof(*tt->t.rows));
				tt->dims = tc_xrealloc(tt->dims, cap * DIMS_LEN);
			}
			struct tc_optable_row *r = &tt->t.rows[tt->t.n_rows];
			char *d = tt->dims + tt->t.n_rows * DIMS_LEN;
			memset(r, 0, sizeof(*r));
			r->op_class = op->op_class;
			r->has_work = 1;
			r->work.flops = op->flops;
			r->work.bytes_read = op->bytes_read;
			r->work.bytes_written = op->bytes_written;
			r->work.dtype = op->dtype;
			r->work.m = (int64_t)op->gemm_m;
			r->work.n = (int64_t)op->gemm_n;
			r->work.k = (int64_t)op->gemm_k;
			r->work.batch = (int64_t)op->gemm_batch;
			r->latency_ns = (double)op->dur_ns;
			r->repeat = 1;
			r->line = (uint32_t)(op->id > UINT32_MAX ? UINT32_MAX : op->id);
			/* the shape, for k-fold over shapes (every repeat in one fold) */
			snprintf(d, DIMS_LEN, "m=%llu n=%llu k=%llu b=%llu B=%llu",
				 (unsigned long long)op->gemm_m, (unsigned long long)op->gemm_n,
				 (unsigned long long)op->gemm_k, (unsigned long long)op->gemm_batch,
				 (unsigned long long)(op->bytes_read + op->bytes_written));
			tt->t.n_rows++;
		}
	tc_ops_reader_free(rd);
	if (rc < 0)
		return tc_err_wrap(err, "%s", shown);
	/* pointers into dims only now: the buffer moved while it grew */
	for (size_t i = 0; i < tt->t.n_rows; i++) {
		tt->t.rows[i].dims = tt->dims + i * DIMS_LEN;
		tt->t.rows[i].name = tc_class_name(tt->t.rows[i].op_class);
	}
	return 0;
}

int tc_calib_trace_read(struct tc_optable **out, const char *path, struct tc_err *err)
{
	*out = NULL;
	struct trace_table *tt = tc_xcalloc(1, sizeof(*tt));
	tt->path = tc_xstrdup(path);
	tt->t.path = tt->path;
	tt->t.layout = TC_OPTABLE_MODEL; /* grouped by op class in the reports */
	tt->t.e2e_ns = 0;
	/* a .tcs as it is, anything else ingested into a temporary opstream */
	char tmp[256];
	const char *tcs = NULL, *in[1] = {path};
	struct tc_ingest_opts io = TC_INGEST_OPTS_INIT;
	int rc = tc_pipeline_opstream(in, 1, &io, tmp, sizeof(tmp), &tcs, err);
	if (rc == 0)
		rc = read_stream(tt, tcs, path, err);
	if (tmp[0]) {
		unlink(tmp);
		tc_tmp_forget(tmp);
	}
	if (rc == 0 && !tt->device)
		rc = tc_err_set(err, TC_EINVAL, "%s: the trace names no GPU device", path);
	if (rc == 0 && !tt->t.n_rows)
		rc = tc_err_set(err, TC_EINVAL,
				"%s: no GPU kernel with known work and a measured duration", path);
	if (rc < 0) {
		tc_calib_trace_free(&tt->t);
		return rc;
	}
	tt->t.device = tt->device;
	*out = &tt->t;
	return 0;
}

void tc_calib_trace_free(struct tc_optable *t)
{
	if (!t)
		return;
	struct trace_table *tt = (struct trace_table *)t;
	free(tt->t.rows);
	free(tt->dims);
	free(tt->path);
	free(tt->device);
	free(tt);
}

int tc_calib_is_table(const char *path)
{
	return tc_str_endswith(path, ".csv") || tc_str_endswith(path, ".csv.zst") ||
	       tc_str_endswith(path, ".csv.gz");
}

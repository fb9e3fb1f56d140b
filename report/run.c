/* run.c - a projection run kept in memory for the report and the diff: the same steps as
 * `tracecast project` (ingest on the fly, chips from the spec library, replay), with the
 * JSON report parsed back into a document, so the pages never look at replay internals. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hwmodel.h"
#include "ingest.h"
#include "replay.h"
#include "report.h"

int tc_report_opstream(const char *const *inputs, size_t n_inputs, const struct tc_ingest_opts *io,
		       char *tmp, size_t n, const char **path, struct tc_err *err)
{
	tmp[0] = 0;
	if (n_inputs == 1 && tc_str_endswith(inputs[0], ".tcs")) {
		*path = inputs[0];
		return 0;
	}
	const char *dir = getenv("TMPDIR");
	snprintf(tmp, n, "%s/tracecast-report-XXXXXX", dir && strlen(dir) + 28 < n ? dir : "/tmp");
	int fd = mkstemp(tmp);
	if (fd < 0) {
		tmp[0] = 0;
		return tc_err_set(err, TC_EIO, "cannot create a temporary file in %s", dir ? dir : "/tmp");
	}
	close(fd);
	/* removed on SIGINT/SIGTERM/SIGHUP too; the caller forgets it when it unlinks it */
	(void)tc_tmp_remember(tmp);
	int rc = tc_ingest_files(inputs, n_inputs, tmp, io, NULL, err);
	if (rc < 0) {
		unlink(tmp);
		tc_tmp_forget(tmp);
		tmp[0] = 0;
		return rc;
	}
	*path = tmp;
	return 0;
}

int tc_report_project(json_t **doc, struct tc_report_timeline **timeline,
		      const struct tc_report_project_opts *o, struct tc_err *err)
{
	*doc = NULL;
	if (timeline)
		*timeline = NULL;
	struct tc_hw *hw = NULL;
	struct tc_chip *src = NULL, *dst = NULL;
	struct tc_replay_graph *g = NULL;
	struct tc_replay *r = NULL;
	char tmp[256], *buf = NULL;
	size_t len = 0;
	const char *tcs = NULL;
	int rc;

	struct tc_ingest_opts io = TC_INGEST_OPTS_INIT;
	io.log = o->log;
	io.dims = o->dims;
	io.n_dims = o->n_dims;
	io.dtype = o->dtype;
	if ((rc = tc_report_opstream(o->inputs, o->n_inputs, &io, tmp, sizeof(tmp), &tcs, err)) < 0)
		return rc;
	if ((rc = tc_replay_graph_load(&g, tcs, o->log, err)) < 0)
		goto out;
	if ((rc = tc_hw_open(&hw, o->specs, err)) < 0)
		goto out;
	const char *source = o->source ? o->source : tc_hw_source_chip(hw, tc_replay_graph_header(g));
	if (source && (rc = tc_hw_load(hw, source, NULL, 0, &src, err)) < 0) {
		tc_err_wrap(err, "source chip");
		goto out;
	}
	if (o->target && (rc = tc_hw_load(hw, o->target, o->sets, o->n_sets, &dst, err)) < 0) {
		tc_err_wrap(err, "target chip");
		goto out;
	}
	struct tc_replay_opts ro = TC_REPLAY_OPTS_INIT;
	ro.source = src;
	ro.target = dst;
	ro.sets = o->sets;
	ro.n_sets = o->n_sets;
	ro.top_n = o->top_n;
	ro.band_draws = TC_REPLAY_BAND_DRAWS;
	ro.log = o->log;
	if ((rc = tc_replay_run(&r, g, &ro, err)) < 0)
		goto out;
	FILE *ms = open_memstream(&buf, &len);
	if (!ms) {
		rc = tc_err_set(err, TC_ENOMEM, "report: out of memory");
		goto out;
	}
	rc = tc_replay_write_json(r, ms, err);
	if (fclose(ms) != 0 && rc == 0)
		rc = tc_err_set(err, TC_ENOMEM, "report: out of memory");
	if (rc < 0)
		goto out;
	json_error_t je;
	*doc = json_loadb(buf, len, 0, &je);
	if (!*doc) {
		rc = tc_err_set(err, TC_EINTERNAL, "report: the projection JSON does not parse: line %d: %s",
				je.line, je.text);
		goto out;
	}
	if (timeline) {
		const struct tc_replay_step *steps;
		size_t ns = tc_replay_steps(r, &steps);
		if (ns && (rc = tc_report_timeline_collect(timeline, tcs, r, TC_MIN(o->step, ns - 1), 0, err)) < 0) {
			json_decref(*doc);
			*doc = NULL;
			goto out;
		}
	}
	rc = 0;
out:
	free(buf);
	tc_replay_free(r);
	tc_replay_graph_free(g);
	tc_chip_free(src);
	tc_chip_free(dst);
	tc_hw_free(hw);
	if (tmp[0]) {
		unlink(tmp);
		tc_tmp_forget(tmp);
	}
	return rc;
}

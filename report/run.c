/* run.c - a projection run kept in memory for the report and the diff: the pipeline of
 * api/pipeline.c (ingest on the fly, chips from the spec library, replay), with the JSON
 * report parsed back into a document, so the pages never look at replay internals. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pipeline.h"
#include "report.h"

int tc_report_project(json_t **doc, struct tc_report_timeline **timeline,
		      const struct tc_pipeline_req *req, size_t step, struct tc_err *err)
{
	*doc = NULL;
	if (timeline)
		*timeline = NULL;
	struct tc_pipeline p = {0};
	char *buf = NULL;
	size_t len = 0;
	int rc = tc_pipeline_run(req, &p, err);
	if (rc < 0)
		goto out;
	FILE *ms = open_memstream(&buf, &len);
	if (!ms) {
		rc = tc_err_set(err, TC_ENOMEM, "report: out of memory");
		goto out;
	}
	rc = tc_replay_write_json(p.replay, ms, err);
	if (fclose(ms) != 0 && rc == 0)
		rc = tc_err_set(err, TC_ENOMEM, "report: out of memory");
	if (rc < 0)
		goto out;
	json_error_t je;
	*doc = json_loadb(buf, len, 0, &je);
	if (!*doc) {
		rc = tc_err_set(err, TC_EINTERNAL,
				"report: the projection JSON does not parse: line %d: %s", je.line,
				je.text);
		goto out;
	}
	if (timeline) {
		const struct tc_replay_step *steps;
		size_t ns = tc_replay_steps(p.replay, &steps);
		if (ns && (rc = tc_report_timeline_collect(timeline, p.tcs, p.replay,
							   TC_MIN(step, ns - 1), 0, err)) < 0) {
			json_decref(*doc);
			*doc = NULL;
			goto out;
		}
	}
	rc = 0;
out:
	free(buf);
	tc_pipeline_free(&p);
	return rc;
}

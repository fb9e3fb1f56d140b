/* report.h - reports people look at: one self-contained HTML file (inline CSS and SVG, no
 * network) from projection JSON documents, the sweep dashboard from a results database, and
 * the "what changed" diff of two traces, two projections or two chips. docs/report.md
 * describes the pages and the diff output.
 *
 * The pages are rendered from the stable projection JSON (docs/projection.md), never from
 * replay internals. The one thing that JSON does not carry, per-op intervals for the timeline
 * strip, is collected from a finished run through replay.h's public accessors
 * (tc_report_timeline_collect) and passed in beside the JSON.
 *
 * Every figure a page shows is also written as data-metric="<path into the JSON>"
 * data-value="<round-trip number>" on its element, so tests (and scripts) can check that the
 * page says what the JSON says. Output bytes depend only on the inputs.
 *
 * Handles: *_free accepts NULL. Functions that can fail return 0 or a negative TC_E* and
 * fill err.
 */
#ifndef TC_REPORT_H
#define TC_REPORT_H

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

#include "util.h"

struct tc_replay; /* replay.h */

/* ---- timeline strip: one step on both chips ---------------------------------------------- */

struct tc_report_span {
	int64_t start_ns, end_ns; /* relative to the strip's t0 */
	uint32_t lane;		  /* index into the strip's lanes */
	uint32_t name;		  /* index into the timeline's names */
	uint8_t cls;		  /* enum tc_class */
	uint8_t bound;		  /* enum tc_bound; TC_BOUND__COUNT when unknown (source side) */
};

struct tc_report_strip {
	int64_t span_ns; /* length of the step window */
	size_t n_spans;
	struct tc_report_span *spans; /* sorted by (lane, start) */
};

struct tc_report_timeline {
	char *step_name; /* "ProfilerStep#4" */
	uint32_t rank;
	size_t n_lanes;
	char **lanes; /* GPU stream names, shared by both strips */
	size_t n_names;
	char **names;			/* op names */
	struct tc_report_strip side[2]; /* 0 = source (measured), 1 = projected */
	struct tc_arena arena;
};

/* The first reported step of the lowest rank (or step_index into tc_replay_steps) as GPU op
 * intervals on both chips. tcs_path is the opstream the run's graph was loaded from: it is
 * read once more, streaming, for op names, lanes and classes (replay.h exposes only times
 * and bounds). At most max_spans ops per side are kept (0 = 20000), the longest first.
 * Errors name the file. */
int tc_report_timeline_collect(struct tc_report_timeline **out, const char *tcs_path,
			       const struct tc_replay *r, size_t step_index, size_t max_spans,
			       struct tc_err *err);
void tc_report_timeline_free(struct tc_report_timeline *t);

/* ---- projection report -------------------------------------------------------------------- */

struct tc_report_opts {
	const char *title; /* NULL = "tracecast: <source> → <target>" */
	int top_n;	   /* rows of the "changed most" chart, 0 = 10 */
};
#define TC_REPORT_OPTS_INIT                                                                        \
	{                                                                                          \
		.title = NULL                                                                      \
	}

/* One HTML page for n projection documents (schema tracecast.projection), one section each;
 * timelines[i] may be NULL (or timelines NULL) when no strip is available. A document of
 * another schema is TC_EFORMAT naming its index. */
int tc_report_write_html(FILE *fp, const json_t *const *docs,
			 const struct tc_report_timeline *const *timelines, size_t n,
			 const struct tc_report_opts *opts, struct tc_err *err);

/* Check that a JSON document is a projection report this version can render. */
int tc_report_check_projection(const json_t *doc, struct tc_err *err);
/* True when path is a projection JSON document (its schema name is in the first bytes:
 * replay writes "schema" first), so traces are told apart without reading them whole. */
int tc_report_is_projection_file(const char *path);
/* Load and check a projection document; errors name the file and the line. *out is the
 * caller's (json_decref). */
int tc_report_load_projection(const char *path, json_t **out, struct tc_err *err);

/* ---- running a projection for a report ------------------------------------------------------ */

/* What `tracecast project` does, kept in memory: req (api/pipeline.h: the inputs, chips,
 * overrides and replay options, band_draws included) is run through the one pipeline, the
 * run's JSON report is parsed into *doc, and (timeline != NULL) the strip of one step (an
 * index into the run's steps, the last when past them) is collected. */
struct tc_pipeline_req;
int tc_report_project(json_t **doc, struct tc_report_timeline **timeline,
		      const struct tc_pipeline_req *req, size_t step, struct tc_err *err);

/* ---- diff --------------------------------------------------------------------------------- */

/* Time and count of one op class or one kernel, on one side. */
struct tc_report_item {
	char *key; /* class name, or kernel name */
	char *cls; /* class of a kernel ("" for class rows) */
	double ns, count;
};

/* What one side of a diff looked like: a trace's measured GPU ops, or one side of a
 * projection. Totals are over the whole input; per_step divides them by steps (when both
 * sides of a diff have steps). */
/* One kernel of a trace, for the match through launching operators (diffmatch.c). */
struct tc_report_kinst {
	const char *name, *cls;
	const char *op; /* "aten::op|[shapes]#occurrence" of its launching operator, or NULL */
	double ns;
	uint64_t seq; /* launch order */
};

struct tc_report_profile {
	char *label;	     /* file name or chip id */
	char *origin;	     /* "trace" or "projection" */
	double step_ns;	     /* mean step time; NaN when unknown */
	double steps;	     /* rank-steps the totals cover; 0 when the input has no steps */
	int kernels_partial; /* 1 when kernels are only a top-N list (projections) */
	size_t n_classes, n_kernels;
	struct tc_report_item *classes, *kernels;
	struct tc_report_kinst *inst; /* traces: every kernel (NULL for projections) */
	size_t n_inst;
	struct tc_arena arena;
};

/* A trace's GPU ops (kernels, copies, memsets) summed by class and by kernel name. */
int tc_report_profile_from_tcs(struct tc_report_profile *p, const char *path, struct tc_err *err);
/* One side of a projection: projected = 1 for the target chip, 0 for the source. */
int tc_report_profile_from_projection(struct tc_report_profile *p, const json_t *doc, int projected,
				      const char *label, struct tc_err *err);
void tc_report_profile_free(struct tc_report_profile *p);

struct tc_report_diff_row {
	const char *key, *cls;
	const char *b_key; /* B's kernel when matched by operator under another name, else NULL */
	double a_ns, b_ns, a_count, b_count; /* per step when the diff is per step */
};

struct tc_report_diff {
	const struct tc_report_profile *a, *b; /* borrowed */
	int per_step;
	/* kernels matched through their launching operators (the names shared too little of
	 * the time: another vendor), else by name */
	int by_operator;
	double a_step_ns, b_step_ns;
	size_t n_classes, n_kernels;
	struct tc_report_diff_row *classes, *kernels; /* sorted by |b - a| desc, then key */
};

/* Join two profiles by key; top_kernels limits the kernel rows (0 = 15). The diff borrows
 * the profiles. */
int tc_report_diff_build(struct tc_report_diff *d, const struct tc_report_profile *a,
			 const struct tc_report_profile *b, size_t top_kernels, struct tc_err *err);
void tc_report_diff_free(struct tc_report_diff *d);
/* Aligned table; colour = 1 adds ANSI colour to the deltas (only on a TTY). */
int tc_report_diff_write_text(const struct tc_report_diff *d, FILE *fp, int colour);
/* {"schema": "tracecast.diff", "schema_version": 1, "a": {...}, "b": {...}, "per_step",
 *  "classes": [...], "kernels": [...]}; deterministic bytes. */
int tc_report_diff_write_json(const struct tc_report_diff *d, FILE *fp);
/* A whole HTML page holding the diff section. */
int tc_report_diff_write_html(const struct tc_report_diff *d, FILE *fp);

/* ---- sweep dashboard ---------------------------------------------------------------------- */

/* One run of a sweep, as the dashboard needs it. params are "key=value" strings. */
struct tc_report_run {
	const char *label; /* e.g. the target chip id */
	const char *const *params;
	size_t n_params;
	double step_ns, speedup, steps_per_j, steps_per_usd; /* NaN when unknown */
};

struct tc_report_sweep {
	const char *title;
	const struct tc_report_run *runs;
	size_t n_runs;
};

/* Dashboard: a table of runs, a heat map of speedup over the first two swept parameters,
 * one sensitivity line per parameter, and Perf/W against Perf/$ with the Pareto front. */
int tc_report_write_dashboard(FILE *fp, const struct tc_report_sweep *s, struct tc_err *err);

#endif

/* page.c - the projection report: headline, time by bound and by op class on both chips, the
 * critical path, the ops that changed most, a timeline strip of one step, the steps and the
 * warnings. Everything is read from the projection JSON (docs/projection.md) except the
 * strip, which comes in as a tc_report_timeline. */
#include <math.h>
#include <string.h>
#include <stdlib.h>

#include "hwmodel.h"
#include "replay.h"
#include "rpt_internal.h"

#define MAX_SERIES 32

static double num(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);
	return json_is_number(v) ? json_number_value(v) : NAN;
}

static const char *str(const json_t *o, const char *key, const char *def)
{
	const json_t *v = json_object_get(o, key);
	return json_is_string(v) ? json_string_value(v) : def;
}

static const char *chip(const json_t *doc, const char *which)
{
	const json_t *c = json_object_get(doc, which);
	return json_is_object(c) ? str(c, "id", "?") : NULL;
}

int tc_report_is_projection_file(const char *path)
{
	if (!tc_str_endswith(path, ".json"))
		return 0;
	FILE *fp = fopen(path, "rb");
	if (!fp)
		return 0;
	char head[512];
	size_t n = fread(head, 1, sizeof(head) - 1, fp);
	fclose(fp);
	head[n] = 0;
	return strstr(head, "\"tracecast.projection\"") != NULL;
}

int tc_report_load_projection(const char *path, json_t **out, struct tc_err *err)
{
	json_error_t je;
	*out = json_load_file(path, 0, &je);
	if (!*out)
		return tc_err_set(err, TC_EFORMAT, "%s: line %d column %d: %s", path, je.line,
				  je.column, je.text);
	int rc = tc_report_check_projection(*out, err);
	if (rc < 0) {
		json_decref(*out);
		*out = NULL;
		return tc_err_wrap(err, "%s", path);
	}
	return 0;
}

int tc_report_check_projection(const json_t *doc, struct tc_err *err)
{
	if (!json_is_object(doc))
		return tc_err_set(err, TC_EFORMAT, "not a JSON object");
	const char *s = str(doc, "schema", NULL);
	if (!s || strcmp(s, "tracecast.projection") != 0)
		return tc_err_set(err, TC_EFORMAT, "schema is '%s', not tracecast.projection",
				  s ? s : "(none)");
	double v = num(doc, "schema_version");
	if (!(v >= 1 && v < 2))
		return tc_err_set(err, TC_EVERSION, "schema_version %g is not supported (1)", v);
	if (!json_is_object(json_object_get(doc, "summary")))
		return tc_err_set(err, TC_EFORMAT, "summary: missing");
	return 0;
}

/* ---- headline ------------------------------------------------------------------------------ */

/* One KPI card; "higher" says which direction is better, for the colour of the change. */
static void kpi(FILE *fp, const char *label, const char *value, const char *vmetric, double v,
		const char *detail, const char *dmetric, double d, int higher)
{
	char b[48];
	fprintf(fp, "<div class=\"kpi\"><div class=\"k\">%s</div><div class=\"v\"", label);
	rpt_metric(fp, vmetric, v);
	fprintf(fp, ">%s</div><div class=\"d\"", value);
	rpt_metric(fp, dmetric, d);
	fputs(">", fp);
	fputs(detail, fp);
	if (isfinite(v) && isfinite(d) && d > 0 && dmetric) {
		double ch = (v / d - 1) * 100;
		int good = higher ? ch > 0.05 : ch < -0.05, bad = higher ? ch < -0.05 : ch > 0.05;
		fprintf(fp, " <span class=\"%s\">(%s%s%%)</span>",
			good  ? "better"
			: bad ? "worse"
			      : "",
			ch > 0 ? "+" : "", rpt_sig(b, sizeof(b), ch, 3));
	}
	fputs("</div></div>\n", fp);
}

static void headline(FILE *fp, const json_t *doc)
{
	const json_t *s = json_object_get(doc, "summary");
	const char *src = chip(doc, "source_chip"), *dst = chip(doc, "target_chip");
	char v[96], d[320], b1[48], b2[48];
	double sp = num(s, "source_step_ns"), pp = num(s, "projected_step_ns");
	/* the uncertainty band (docs/projection.md §band), when the run has one */
	const json_t *band = json_object_get(s, "band");
	char bs[128] = "", bx[128] = "";
	if (json_is_object(band)) {
		char b3[48], b4[48];
		snprintf(bs, sizeof(bs), "<br>p10&ndash;p90 %s &ndash; %s",
			 rpt_ns(b3, num(band, "step_p10_ns")),
			 rpt_ns(b4, num(band, "step_p90_ns")));
		snprintf(bx, sizeof(bx), "<br>p10&ndash;p90 %s&times; &ndash; %s&times;",
			 rpt_sig(b3, sizeof(b3), num(band, "speedup_p10"), 3),
			 rpt_sig(b4, sizeof(b4), num(band, "speedup_p90"), 3));
	}
	fputs("<div class=\"kpis\">\n", fp);
	snprintf(d, sizeof(d), "source %s%s", rpt_ns(b1, sp), bs);
	kpi(fp, "Step time", rpt_ns(v, pp), "summary.projected_step_ns", pp, d,
	    "summary.source_step_ns", sp, 0);
	double x = num(s, "speedup");
	snprintf(v, sizeof(v), "%s&times;", rpt_sig(b1, sizeof(b1), x, 3));
	snprintf(d, sizeof(d), "%s &rarr; %s%s", src ? src : "measured", dst ? dst : "same chip",
		 bx);
	kpi(fp, "Speedup", v, "summary.speedup", x, d, NULL, NAN, 1);
	double pw = num(s, "projected_steps_per_j"), sw = num(s, "source_steps_per_j");
	snprintf(v, sizeof(v), "%s <small>steps/J</small>", rpt_sig(b1, sizeof(b1), pw, 3));
	snprintf(d, sizeof(d), "source %s", rpt_sig(b2, sizeof(b2), sw, 3));
	kpi(fp, "Perf/W", v, "summary.projected_steps_per_j", pw, d, "summary.source_steps_per_j",
	    sw, 1);
	double pu = num(s, "projected_steps_per_usd"), su = num(s, "source_steps_per_usd");
	snprintf(v, sizeof(v), "%s <small>steps/$</small>", rpt_sig(b1, sizeof(b1), pu, 3));
	snprintf(d, sizeof(d), "source %s", rpt_sig(b2, sizeof(b2), su, 3));
	kpi(fp, "Perf/$", v, "summary.projected_steps_per_usd", pu, d,
	    "summary.source_steps_per_usd", su, 1);
	fputs("</div>\n", fp);
}

/* ---- breakdowns ---------------------------------------------------------------------------- */

static void row_labels(const json_t *doc, char rows[2][96])
{
	const char *src = chip(doc, "source_chip"), *dst = chip(doc, "target_chip");
	snprintf(rows[0], 96, "source %s", src ? src : "");
	snprintf(rows[1], 96, "projected %s", dst ? dst : src ? src : "");
}

static void by_bound(FILE *fp, const json_t *doc, const char *pfx)
{
	const json_t *bb = json_object_get(doc, "by_bound");
	if (!json_is_object(bb))
		return;
	/* the bound names in the report's order: hwmodel's enum, not a copy of its strings */
	const char *bound_names[TC_BOUND__COUNT];
	for (unsigned b = 0; b < TC_BOUND__COUNT; b++)
		bound_names[b] = tc_bound_name(b);
	char rows[2][96], id[32], metrics[2][TC_BOUND__COUNT][48];
	const char *rowp[2], *cols[TC_BOUND__COUNT], *mp[2 * TC_BOUND__COUNT];
	double vals[2 * TC_BOUND__COUNT];
	const size_t nb = TC_BOUND__COUNT;
	row_labels(doc, rows);
	for (size_t s = 0; s < nb; s++) {
		cols[s] = rpt_bound_colour(bound_names[s]);
		for (int r = 0; r < 2; r++) {
			const char *side = r ? "projected" : "source";
			vals[r * nb + s] = num(json_object_get(bb, side), bound_names[s]);
			snprintf(metrics[r][s], 48, "by_bound.%s.%s", side, bound_names[s]);
			mp[r * nb + s] = metrics[r][s];
		}
	}
	rowp[0] = rows[0];
	rowp[1] = rows[1];
	snprintf(id, sizeof(id), "%s-bound", pfx);
	fputs("<section class=\"card\"><h2>Where the step time goes, by what bounds it</h2>\n", fp);
	struct rpt_stack st = {id, 2, nb, rowp, bound_names, cols, vals, mp, 1, NULL};
	rpt_stacked(fp, &st);
	rpt_legend(fp, bound_names, cols, nb);
	fputs(
	    "<p class=\"note\">Summed over the reported steps. compute / memory: a GPU op bound by "
	    "FLOPs or bytes was running; comm: only communication was (exposed); launch: "
	    "kernels at the launch floor; host: the GPU waited for the CPU; idle: neither.</p>"
	    "</section>\n",
	    fp);
}

static void by_class(FILE *fp, const json_t *doc, const char *pfx)
{
	const json_t *bc = json_object_get(doc, "by_class");
	size_t n = json_is_array(bc) ? TC_MIN(json_array_size(bc), (size_t)MAX_SERIES) : 0;
	if (!n)
		return;
	char rows[2][96], id[32], metrics[2][MAX_SERIES][64], b1[32], b2[32], b3[32];
	const char *rowp[2] = {rows[0], rows[1]}, *names[MAX_SERIES], *cols[MAX_SERIES],
		   *mp[2 * MAX_SERIES];
	double vals[2 * MAX_SERIES];
	row_labels(doc, rows);
	for (size_t i = 0; i < n; i++) {
		const json_t *c = json_array_get(bc, i);
		names[i] = str(c, "class", "?");
		cols[i] = rpt_class_colour(names[i]);
		for (int r = 0; r < 2; r++) {
			const char *f = r ? "projected_ns" : "source_ns";
			vals[r * n + i] = num(c, f);
			snprintf(metrics[r][i], 64, "by_class[%s].%s", names[i], f);
			mp[r * n + i] = metrics[r][i];
		}
	}
	snprintf(id, sizeof(id), "%s-class", pfx);
	fputs("<section class=\"card\"><h2>GPU time by op class</h2>\n", fp);
	struct rpt_stack st = {id, 2, n, rowp, names, cols, vals, mp, 1, NULL};
	rpt_stacked(fp, &st);
	rpt_legend(fp, names, cols, n);
	fputs("<table><thead><tr><th class=\"l\">class</th><th>count</th><th>source</th>"
	      "<th>projected</th><th>speedup</th></tr></thead><tbody>\n",
	      fp);
	for (size_t i = 0; i < n; i++) {
		const json_t *c = json_array_get(bc, i);
		char m[64];
		fprintf(
		    fp,
		    "<tr><td class=\"l\"><i style=\"display:inline-block;width:10px;height:10px;"
		    "background:%s;margin-right:6px\"></i>",
		    cols[i]);
		rpt_esc(fp, names[i]);
		snprintf(m, sizeof(m), "by_class[%s].count", names[i]);
		fputs("</td><td", fp);
		rpt_metric(fp, m, num(c, "count"));
		fprintf(fp, ">%s</td><td>%s</td><td>%s</td><td",
			rpt_sig(b1, sizeof(b1), num(c, "count"), 1),
			rpt_ns(b2, num(c, "source_ns")), rpt_ns(b3, num(c, "projected_ns")));
		snprintf(m, sizeof(m), "by_class[%s].speedup", names[i]);
		rpt_metric(fp, m, num(c, "speedup"));
		fprintf(fp, ">%s&times;</td></tr>\n",
			rpt_sig(b1, sizeof(b1), num(c, "speedup"), 3));
	}
	fputs("</tbody></table>\n<p class=\"note\">Device time of the GPU ops of each class "
	      "(overlapping ops both count), over the reported steps.</p></section>\n",
	      fp);
}

static void critical_path(FILE *fp, const json_t *doc, const char *pfx)
{
	const json_t *cp = json_object_get(doc, "critical_path");
	if (!json_is_object(cp))
		return;
	const json_t *bc = json_object_get(cp, "by_class");
	size_t n = json_is_array(bc) ? TC_MIN(json_array_size(bc), (size_t)MAX_SERIES) : 0;
	char id[32], b1[32], metrics[MAX_SERIES][64];
	const char *names[MAX_SERIES], *cols[MAX_SERIES], *mp[MAX_SERIES], *row = "critical path";
	double vals[MAX_SERIES];
	for (size_t i = 0; i < n; i++) {
		const json_t *c = json_array_get(bc, i);
		names[i] = str(c, "class", "?");
		cols[i] = rpt_class_colour(names[i]);
		vals[i] = num(c, "ns");
		snprintf(metrics[i], 64, "critical_path.by_class[%s].ns", names[i]);
		mp[i] = metrics[i];
	}
	fputs("<section class=\"card\"><h2>Critical path on the target</h2>\n<p>Length <b", fp);
	rpt_metric(fp, "critical_path.length_ns", num(cp, "length_ns"));
	fprintf(fp, ">%s</b>, through <b", rpt_ns(b1, num(cp, "length_ns")));
	rpt_metric(fp, "critical_path.gpu_ops", num(cp, "gpu_ops"));
	fprintf(fp, ">%s</b> GPU ops.</p>\n", rpt_sig(b1, sizeof(b1), num(cp, "gpu_ops"), 1));
	if (n) {
		snprintf(id, sizeof(id), "%s-cp", pfx);
		struct rpt_stack st = {id, 1, n, &row, names, cols, vals, mp, 1, NULL};
		rpt_stacked(fp, &st);
		rpt_legend(fp, names, cols, n);
	}
	fputs(
	    "<p class=\"note\">The longest chain of dependent work in the projected run, split by "
	    "the class of the ops on it; host+latency is CPU time and launch latency between "
	    "them. Shortening anything off this path does not shorten the step.</p></section>\n",
	    fp);
}

/* ---- ops that changed most ------------------------------------------------------------------- */

static void top_changed(FILE *fp, const json_t *doc, const char *pfx, int top_n)
{
	const json_t *top = json_object_get(json_object_get(doc, "top_ops"), "by_change");
	size_t n = json_is_array(top) ? TC_MIN(json_array_size(top), (size_t)top_n) : 0;
	if (!n)
		return;
	const double W = 960, PLOT = 520, NAME = 340, ROW = 40, BAR = 11;
	double max = 0;
	for (size_t i = 0; i < n; i++) {
		const json_t *o = json_array_get(top, i);
		double a = num(o, "source_ns"), b = num(o, "projected_ns");
		max = TC_MAX(max, TC_MAX(isfinite(a) ? a : 0, isfinite(b) ? b : 0));
	}
	if (!(max > 0))
		max = 1;
	const char *src = chip(doc, "source_chip"), *dst = chip(doc, "target_chip");
	const char *scol = "#9AA0A6", *pcol = "#0072B2";
	fputs("<section class=\"card\"><h2>Ops that changed most</h2>\n", fp);
	fprintf(fp, "<svg class=\"chart\" id=\"%s-top\" viewBox=\"0 0 %.0f %.0f\" role=\"img\">\n",
		pfx, W, n * ROW + 4);
	for (size_t i = 0; i < n; i++) {
		const json_t *o = json_array_get(top, i);
		const char *name = str(o, "name", "?"), *cls = str(o, "class", "?");
		double y = 2 + i * ROW, a = num(o, "source_ns"), b = num(o, "projected_ns");
		double ch = num(o, "change_ns");
		char m[64], b1[32], b2[32], b3[32], b4[32];
		/* names are long C++ templates: shortened (templates folded, no parameter list) and
		 * cut; the tooltip has it all */
		char sh[160], shown[48];
		tc_short_name(sh, sizeof(sh), name);
		size_t len = strlen(sh);
		snprintf(shown, sizeof(shown), "%.*s%s", (int)TC_MIN(len, (size_t)44), sh,
			 len > 44 ? "…" : "");
		fputs("<g><title>", fp);
		rpt_esc(fp, name);
		fprintf(fp,
			"\nclass %s, bound %s on the target, %s calls\nsource %s → projected %s "
			"(%s)</title>",
			cls, str(o, "bound", "?"), rpt_sig(b1, sizeof(b1), num(o, "count"), 1),
			rpt_ns(b2, a), rpt_ns(b3, b), rpt_ns(b4, ch));
		fprintf(fp, "<rect x=\"0\" y=\"%.1f\" width=\"8\" height=\"%.0f\" fill=\"%s\"/>",
			y + 4, 2 * BAR + 2, rpt_class_colour(cls));
		fprintf(fp, "<text x=\"14\" y=\"%.1f\">", y + 14);
		rpt_esc(fp, shown);
		fprintf(fp, "</text><text class=\"ax\" x=\"14\" y=\"%.1f\">%s · %s calls</text>",
			y + 29, cls, rpt_sig(b1, sizeof(b1), num(o, "count"), 1));
		for (int s = 0; s < 2; s++) {
			double v = s ? b : a;
			double w = isfinite(v) && v > 0 ? PLOT * v / max : 0;
			snprintf(m, sizeof(m), "top_ops.by_change[%zu].%s", i,
				 s ? "projected_ns" : "source_ns");
			fprintf(fp,
				"<rect class=\"seg\" x=\"%.0f\" y=\"%.1f\" width=\"%.2f\" "
				"height=\"%.0f\" fill=\"%s\"",
				NAME, y + 4 + s * (BAR + 2), TC_MAX(w, 0.5), BAR, s ? pcol : scol);
			rpt_metric(fp, m, v);
			fprintf(fp, "/><text class=\"ax\" x=\"%.2f\" y=\"%.1f\">%s</text>",
				NAME + TC_MAX(w, 0.5) + 5, y + 4 + s * (BAR + 2) + 9.5,
				rpt_ns(b1, v));
		}
		fputs("</g>\n", fp);
	}
	fputs("</svg>\n", fp);
	char l1[96], l2[96];
	snprintf(l1, sizeof(l1), "source %s", src ? src : "");
	snprintf(l2, sizeof(l2), "projected %s", dst ? dst : "");
	const char *labels[] = {l1, l2}, *cols[] = {scol, pcol};
	rpt_legend(fp, labels, cols, 2);
	fputs("<p class=\"note\">Ops grouped by name, sorted by the size of the change in total "
	      "time; "
	      "hover for the full name. The left mark is the op's class colour.</p></section>\n",
	      fp);
}

/* ---- timeline strip ----------------------------------------------------------------------------
 */

struct pending {
	int live;
	uint32_t lane, name;
	uint8_t cls, bound;
	double x0, x1;
	int64_t t0, t1;
	size_t count;
};

static void flush(FILE *fp, const struct tc_report_timeline *t, struct pending *p, double y0,
		  double LANE)
{
	if (!p->live)
		return;
	char b1[32], b2[32];
	const char *cls = tc_class_name(p->cls);
	fprintf(fp,
		"<rect x=\"%.2f\" y=\"%.1f\" width=\"%.2f\" height=\"%.0f\" fill=\"%s\"><title>",
		p->x0, y0 + p->lane * LANE + 1, TC_MAX(p->x1 - p->x0, 0.6), LANE - 2,
		rpt_class_colour(cls));
	if (p->count > 1)
		fprintf(fp, "%zu %s ops, from ", p->count, cls);
	rpt_esc(fp, p->name < t->n_names ? t->names[p->name] : "?");
	fprintf(fp, "\n%s, %s at +%s", cls, rpt_ns(b1, (double)(p->t1 - p->t0)),
		rpt_ns(b2, (double)p->t0));
	if (p->bound < TC_BOUND__COUNT && p->count == 1)
		fprintf(fp, ", %s-bound", tc_bound_name(p->bound));
	fputs("</title></rect>\n", fp);
	p->live = 0;
}

static void timeline(FILE *fp, const json_t *doc, const struct tc_report_timeline *t,
		     const char *pfx)
{
	if (!t)
		return;
	const double W = 960, LABEL = 150, PLOT = W - LABEL - 10, LANE = 16, HEAD = 22, AXIS = 24;
	int64_t span = TC_MAX(t->side[0].span_ns, t->side[1].span_ns);
	if (span <= 0 || !t->n_lanes)
		return;
	double scale = PLOT / (double)span, H = 2 * (HEAD + t->n_lanes * LANE) + AXIS;
	const char *src = chip(doc, "source_chip"), *dst = chip(doc, "target_chip");
	char b1[48];
	fputs("<section class=\"card\"><h2>One step on both chips</h2>\n<p class=\"note\">", fp);
	rpt_esc(fp, t->step_name);
	fprintf(fp, " of rank %u, GPU streams, on one time scale: source <b", t->rank);
	rpt_metric(fp, "timeline.source_ns", (double)t->side[0].span_ns);
	fprintf(fp, ">%s</b>, projected <b", rpt_ns(b1, (double)t->side[0].span_ns));
	rpt_metric(fp, "timeline.projected_ns", (double)t->side[1].span_ns);
	fprintf(fp, ">%s</b>. Colour is the op class; hover an op for its name.</p>\n",
		rpt_ns(b1, (double)t->side[1].span_ns));
	fprintf(fp,
		"<svg class=\"chart\" id=\"%s-timeline\" viewBox=\"0 0 %.0f %.0f\" role=\"img\">\n",
		pfx, W, H);
	for (int s = 0; s < 2; s++) {
		double y = s * (HEAD + t->n_lanes * LANE);
		const struct tc_report_strip *st = &t->side[s];
		fprintf(fp, "<text x=\"0\" y=\"%.1f\" font-weight=\"600\">%s %s</text>", y + 15,
			s ? "projected" : "source", s ? (dst ? dst : "") : (src ? src : ""));
		fprintf(fp,
			"<rect x=\"%.0f\" y=\"%.1f\" width=\"%.2f\" height=\"%.0f\" "
			"fill=\"#f1f3f4\"/>\n",
			LABEL, y + HEAD, (double)st->span_ns * scale, t->n_lanes * LANE);
		for (size_t l = 0; l < t->n_lanes; l++) {
			fprintf(fp, "<text class=\"ax\" x=\"%.0f\" y=\"%.1f\" text-anchor=\"end\">",
				LABEL - 6, y + HEAD + l * LANE + LANE - 4);
			rpt_esc(fp, t->lanes[l]);
			fputs("</text>\n", fp);
		}
		fprintf(fp, "<g transform=\"translate(%.0f,0)\">\n", LABEL);
		/* neighbours of one class closer than a pixel are drawn as one bar: thousands of
		 * sub-pixel rectangles would show nothing more and make the file heavy */
		struct pending p = {0};
		for (size_t i = 0; i < st->n_spans; i++) {
			const struct tc_report_span *sp = &st->spans[i];
			double x0 = (double)sp->start_ns * scale, x1 = (double)sp->end_ns * scale;
			if (p.live && p.lane == sp->lane && p.cls == sp->cls && x0 - p.x1 < 1.0 &&
			    (x1 - x0 < 1.0 || p.x1 - p.x0 < 1.0)) {
				p.x1 = TC_MAX(p.x1, x1);
				p.t1 = TC_MAX(p.t1, sp->end_ns);
				p.count++;
				continue;
			}
			flush(fp, t, &p, y + HEAD, LANE);
			p = (struct pending){1,	 sp->lane, sp->name,	 sp->cls,    sp->bound,
					     x0, x1,	   sp->start_ns, sp->end_ns, 1};
		}
		flush(fp, t, &p, y + HEAD, LANE);
		fputs("</g>\n", fp);
	}
	/* shared time axis */
	double step = rpt_nice_step((double)span, 6);
	for (double v = 0; v <= (double)span * (1 + 1e-9); v += step) {
		double x = LABEL + v * scale;
		fprintf(
		    fp,
		    "<line x1=\"%.1f\" y1=\"%.0f\" x2=\"%.1f\" y2=\"%.0f\" stroke=\"#9aa0a6\"/>"
		    "<text class=\"ax\" x=\"%.1f\" y=\"%.0f\" text-anchor=\"middle\">%s</text>\n",
		    x, H - AXIS, x, H - AXIS + 4, x, H - 6, rpt_ns_axis(b1, v, (double)span));
	}
	fputs("</svg>\n</section>\n", fp);
}

/* ---- steps, warnings, provenance ----------------------------------------------------------- */

static void steps_table(FILE *fp, const json_t *doc)
{
	const json_t *steps = json_object_get(doc, "steps");
	size_t n = json_is_array(steps) ? json_array_size(steps) : 0;
	if (!n)
		return;
	char b[10][32], m[64];
	fputs("<section class=\"card\"><h2>Steps</h2><table><thead><tr><th>rank</th>"
	      "<th class=\"l\">step</th><th>source</th><th>projected</th><th>speedup</th>"
	      "<th>CPU marker, source</th><th>CPU marker, projected</th>"
	      "<th>GPU-side, source</th><th>GPU-side, projected</th>"
	      "<th>GPU busy, source</th><th>GPU busy, projected</th></tr></thead><tbody>\n",
	      fp);
	for (size_t i = 0; i < n; i++) {
		const json_t *s = json_array_get(steps, i);
		const json_t *so = json_object_get(s, "source"),
			     *po = json_object_get(s, "projected");
		fprintf(fp, "<tr><td>%s</td><td class=\"l\">",
			rpt_sig(b[0], 32, num(s, "rank"), 1));
		rpt_esc(fp, str(s, "name", "?"));
		snprintf(m, sizeof(m), "steps[%zu].source.step_ns", i);
		fputs("</td><td", fp);
		rpt_metric(fp, m, num(so, "step_ns"));
		snprintf(m, sizeof(m), "steps[%zu].projected.step_ns", i);
		fprintf(fp, ">%s</td><td", rpt_ns(b[1], num(so, "step_ns")));
		rpt_metric(fp, m, num(po, "step_ns"));
		fprintf(fp,
			">%s</td><td>%s&times;</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td>"
			"<td>%s</td><td>%s</td></tr>\n",
			rpt_ns(b[2], num(po, "step_ns")), rpt_sig(b[3], 32, num(s, "speedup"), 3),
			rpt_ns(b[6], num(so, "cpu_step_ns")), rpt_ns(b[7], num(po, "cpu_step_ns")),
			rpt_ns(b[8], num(so, "gpu_span_ns")), rpt_ns(b[9], num(po, "gpu_span_ns")),
			rpt_ns(b[4], num(so, "gpu_busy_ns")), rpt_ns(b[5], num(po, "gpu_busy_ns")));
	}
	fputs("</tbody></table></section>\n", fp);
}

/* The scale-out what-if (docs/projection.md §6): both layouts and the communication by
 * group kind. Absent from projections without one. */
static void layout(FILE *fp, const json_t *doc)
{
	const json_t *L = json_object_get(doc, "layout");
	if (!json_is_object(L))
		return;
	char b[6][32], m[96];
	fputs("<section class=\"card\"><h2>Layout</h2><table><thead><tr><th class=\"l\"></th>"
	      "<th>world</th><th>dp</th><th>tp</th><th>pp</th><th>ep</th></tr></thead><tbody>\n",
	      fp);
	static const char *const sides[] = {"source", "target"};
	for (int i = 0; i < 2; i++) {
		const json_t *o = json_object_get(L, sides[i]);
		fprintf(fp, "<tr><td class=\"l\">%s</td><td", sides[i]);
		snprintf(m, sizeof(m), "layout.%s.world", sides[i]);
		rpt_metric(fp, m, num(o, "world"));
		fprintf(fp, ">%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>\n",
			rpt_sig(b[0], 32, num(o, "world"), 1), rpt_sig(b[1], 32, num(o, "dp"), 1),
			rpt_sig(b[2], 32, num(o, "tp"), 1), rpt_sig(b[3], 32, num(o, "pp"), 1),
			rpt_sig(b[4], 32, num(o, "ep"), 1));
	}
	fprintf(fp,
		"</tbody></table><p>%s traced ranks stand for %s synthesised ones; GPU work per "
		"rank &times;%s.</p>\n",
		rpt_sig(b[0], 32, num(L, "traced_ranks"), 1),
		rpt_sig(b[1], 32, num(L, "synthesised_ranks"), 1),
		rpt_sig(b[2], 32, num(L, "compute_factor"), 3));
	const json_t *cg = json_object_get(L, "comm_by_group");
	fputs("<table><thead><tr><th class=\"l\">group</th><th>ops</th><th>projected</th>"
	      "<th>share of rank time</th><th>exposed</th></tr></thead><tbody>\n",
	      fp);
	/* the group kinds in replay's order, by replay's names */
	const char *kinds[TC_GROUP__COUNT];
	for (unsigned k = 0; k < TC_GROUP__COUNT; k++)
		kinds[k] = tc_group_kind_name(k);
	for (size_t k = 0; k < TC_GROUP__COUNT; k++) {
		const json_t *o = json_object_get(cg, kinds[k]);
		if (!(num(o, "ops") > 0))
			continue;
		fprintf(fp, "<tr><td class=\"l\">%s</td><td>%s</td><td", kinds[k],
			rpt_sig(b[0], 32, num(o, "ops"), 1));
		snprintf(m, sizeof(m), "layout.comm_by_group.%s.projected_ns", kinds[k]);
		rpt_metric(fp, m, num(o, "projected_ns"));
		fprintf(fp, ">%s</td><td>%s%%</td><td", rpt_ns(b[1], num(o, "projected_ns")),
			rpt_sig(b[2], 32, 100 * num(o, "share"), 3));
		snprintf(m, sizeof(m), "layout.comm_by_group.%s.exposed_ns", kinds[k]);
		rpt_metric(fp, m, num(o, "exposed_ns"));
		fprintf(fp, ">%s</td></tr>\n", rpt_ns(b[3], num(o, "exposed_ns")));
	}
	fputs("</tbody></table></section>\n", fp);
}

/* What sets the step: the speedup ceiling (host-only run), each path's share, the waits the
 * replay inferred by kind, and the warnings of docs/projection.md section 4. */
static void limits(FILE *fp, const json_t *doc)
{
	const json_t *s = json_object_get(doc, "summary");
	double ceil = num(s, "speedup_ceiling"), host = num(s, "host_only_step_ns");
	if (!isfinite(host))
		return;
	char b[4][48];
	fputs("<section class=\"card\"><h2>What limits the step</h2><ul>\n", fp);
	fputs("<li>host-only step (every GPU op at 0 ns) <span", fp);
	rpt_metric(fp, "summary.host_only_step_ns", host);
	fprintf(fp, ">%s</span>: speedup ceiling <span", rpt_ns(b[0], host));
	rpt_metric(fp, "summary.speedup_ceiling", ceil);
	fprintf(fp,
		">%s&times;</span> on any chip; host path %s%% and GPU-side step %s%% of the "
		"projected step</li>\n",
		rpt_sig(b[1], 48, ceil, 3), rpt_sig(b[2], 48, 100 * num(s, "host_share"), 3),
		rpt_sig(b[3], 48, 100 * num(s, "gpu_share"), 3));
	fprintf(fp, "<li>GPU-side step: source %s, projected %s</li>\n",
		rpt_ns(b[0], num(s, "source_gpu_step_ns")),
		rpt_ns(b[1], num(s, "projected_gpu_step_ns")));
	const json_t *w = json_object_get(s, "waits_inferred");
	if (json_is_object(w) && json_object_size(w) > 1) {
		fputs("<li>waits inferred from the trace's timing", fp);
		if (json_is_false(json_object_get(w, "used")))
			fputs(" (ignored: <code>--no-infer-waits</code>)", fp);
		fputs(":", fp);
		/* the JSON writes kinds in a fixed order: keep it */
		const char *k;
		const json_t *v;
		json_object_foreach((json_t *)w, k, v)
		{
			if (!json_is_number(v))
				continue;
			fputs(" <code>", fp);
			rpt_esc(fp, k);
			fprintf(fp, "</code> %s", rpt_sig(b[0], 48, json_number_value(v), 1));
		}
		fputs("</li>\n", fp);
	}
	double carry = num(s, "carry_over_gpu_ops");
	if (carry > 0)
		fprintf(fp,
			"<li>%s GPU ops outside every step (queued before the capture): replayed, "
			"not counted in steps</li>\n",
			rpt_sig(b[0], 48, carry, 1));
	if (json_is_true(json_object_get(s, "host_bound")))
		fprintf(fp, "<li class=\"worse\">host-bound: at most %s&times; on any chip</li>\n",
			rpt_sig(b[0], 48, ceil, 3));
	const char *stuck = str(s, "stuck", NULL);
	if (stuck) {
		fputs("<li class=\"worse\">GPU time moves but the step does not: ", fp);
		rpt_esc(fp, stuck);
		fputs("</li>\n", fp);
	}
	fputs("</ul></section>\n", fp);
}

static void warnings(FILE *fp, const json_t *doc)
{
	const json_t *w = json_object_get(doc, "warnings");
	if (!json_is_object(w))
		return;
	/* fixed order, so the page does not depend on the JSON's key order */
	static const char *const keys[] = {"no_cost_model",	 "dtype_missing",
					   "unknown_work",	 "unmatched_collectives",
					   "forced_collectives", "no_gpu_work",
					   "no_steps",		 "unresolved_waits",
					   "broken_cycles",	 "inferred_collective_bytes"};
	int any = 0;
	for (size_t i = 0; i < TC_ARRAY_LEN(keys); i++) {
		const json_t *v = json_object_get(w, keys[i]);
		int on = (json_is_number(v) && json_number_value(v) > 0) || json_is_true(v) ||
			 (json_is_object(v) && json_object_size(v) > 0);
		if (!on)
			continue;
		if (!any)
			fputs("<section class=\"card\"><h2>Warnings</h2><ul>\n", fp);
		any = 1;
		fprintf(fp, "<li><code>%s</code>", keys[i]);
		if (json_is_number(v)) {
			char b[32], m[64];
			snprintf(m, sizeof(m), "warnings.%s", keys[i]);
			fputs(": <span", fp);
			rpt_metric(fp, m, json_number_value(v));
			fprintf(fp, ">%s</span>", rpt_sig(b, sizeof(b), json_number_value(v), 1));
		} else if (json_is_object(v)) {
			char *s = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS);
			fputs(": <code>", fp);
			rpt_esc(fp, s);
			fputs("</code>", fp);
			free(s);
		}
		fputs("</li>\n", fp);
	}
	if (any)
		fputs("</ul></section>\n", fp);
}

static void provenance(FILE *fp, const json_t *doc)
{
	const json_t *p = json_object_get(doc, "provenance");
	if (!json_is_object(p))
		return;
	static const char *const keys[] = {"gpu_op_time", "host_time", "bound", "energy",
					   "dollars"};
	fputs("<section class=\"card\"><h2>Where the numbers come from</h2><table><tbody>\n", fp);
	for (size_t i = 0; i < TC_ARRAY_LEN(keys); i++) {
		const char *s = str(p, keys[i], NULL);
		if (!s)
			continue;
		fprintf(fp, "<tr><td class=\"l\" style=\"width:140px\">%s</td><td class=\"l\">",
			keys[i]);
		rpt_esc(fp, s);
		fputs("</td></tr>\n", fp);
	}
	fputs("</tbody></table></section>\n", fp);
}

/* ---- page ------------------------------------------------------------------------------------ */

static void doc_title(const json_t *doc, char *buf, size_t n)
{
	const char *src = chip(doc, "source_chip"), *dst = chip(doc, "target_chip");
	const json_t *files = json_object_get(json_object_get(doc, "input"), "source_files");
	const char *f = json_is_array(files) && json_array_size(files)
			    ? json_string_value(json_array_get(files, 0))
			    : NULL;
	snprintf(buf, n, "%s → %s%s%s%s", src ? src : "measured", dst ? dst : "identity",
		 f ? " (" : "", f ? f : "", f ? ")" : "");
}

static void section(FILE *fp, const json_t *doc, const struct tc_report_timeline *t, size_t idx,
		    int top_n, int many)
{
	char pfx[24], title[512], b[32];
	snprintf(pfx, sizeof(pfx), "d%zu", idx);
	doc_title(doc, title, sizeof(title));
	const json_t *in = json_object_get(doc, "input");
	fprintf(fp, "<div class=\"projection\" data-doc=\"%zu\">\n", idx);
	if (many) {
		fputs("<h1>", fp);
		rpt_esc(fp, title);
		fputs("</h1>\n", fp);
	}
	fputs("<p class=\"sub\">", fp);
	rpt_esc(fp, str(doc, "mode", "projection"));
	fputs(" of ", fp);
	const json_t *files = json_object_get(in, "source_files");
	for (size_t i = 0; json_is_array(files) && i < json_array_size(files); i++) {
		fputs(i ? ", " : "", fp);
		fputs("<code>", fp);
		rpt_esc(fp, json_string_value(json_array_get(files, i)));
		fputs("</code>", fp);
		if (i == 3 && json_array_size(files) > 5) {
			fprintf(fp, " and %zu more", json_array_size(files) - 4);
			break;
		}
	}
	fprintf(fp, " · <span");
	rpt_metric(fp, "input.ops", num(in, "ops"));
	fprintf(fp, ">%s</span> ops, ", rpt_sig(b, sizeof(b), num(in, "ops"), 1));
	fprintf(fp, "%s GPU ops, ", rpt_sig(b, sizeof(b), num(in, "gpu_ops"), 1));
	fprintf(fp, "%s rank(s), ", rpt_sig(b, sizeof(b), num(in, "ranks"), 1));
	fputs("<span", fp);
	rpt_metric(fp, "summary.steps", num(json_object_get(doc, "summary"), "steps"));
	fprintf(fp, ">%s</span> step(s)",
		rpt_sig(b, sizeof(b), num(json_object_get(doc, "summary"), "steps"), 1));
	const json_t *tc = json_object_get(doc, "target_chip");
	const json_t *ov = json_object_get(tc, "overrides");
	for (size_t i = 0; json_is_array(ov) && i < json_array_size(ov); i++) {
		fputs(i ? ", " : " · overrides: <code>", fp);
		rpt_esc(fp, json_string_value(json_array_get(ov, i)));
		if (i + 1 == json_array_size(ov))
			fputs("</code>", fp);
	}
	fputs("</p>\n", fp);
	headline(fp, doc);
	limits(fp, doc);
	by_bound(fp, doc, pfx);
	by_class(fp, doc, pfx);
	timeline(fp, doc, t, pfx);
	critical_path(fp, doc, pfx);
	top_changed(fp, doc, pfx, top_n);
	steps_table(fp, doc);
	layout(fp, doc);
	warnings(fp, doc);
	provenance(fp, doc);
	fputs("</div>\n", fp);
}

int tc_report_write_html(FILE *fp, const json_t *const *docs,
			 const struct tc_report_timeline *const *timelines, size_t n,
			 const struct tc_report_opts *opts, struct tc_err *err)
{
	if (!n)
		return tc_err_set(err, TC_EINVAL, "report: no projection to render");
	for (size_t i = 0; i < n; i++)
		if (tc_report_check_projection(docs[i], err) < 0)
			return tc_err_wrap(err, "report: document %zu", i);
	int top_n = opts && opts->top_n > 0 ? opts->top_n : 10;
	char title[600], t0[512];
	doc_title(docs[0], t0, sizeof(t0));
	if (opts && opts->title)
		snprintf(title, sizeof(title), "%s", opts->title);
	else if (n == 1)
		snprintf(title, sizeof(title), "tracecast: %s", t0);
	else
		snprintf(title, sizeof(title), "tracecast: %zu projections", n);
	rpt_page_begin(fp, title);
	fputs("<h1>", fp);
	rpt_esc(fp, title);
	fputs("</h1>\n", fp);
	for (size_t i = 0; i < n; i++)
		section(fp, docs[i], timelines ? timelines[i] : NULL, i, top_n, n > 1);
	rpt_page_end(fp);
	if (ferror(fp))
		return tc_err_set(err, TC_EIO, "report: write failed");
	return 0;
}

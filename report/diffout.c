/* diffout.c - the diff as an aligned table (the default, colour only on a TTY), as JSON
 * (schema tracecast.diff) and as an HTML page with diverging bars. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rpt_internal.h"

static const char *fmt_count(char *b, double v)
{
	if (!isfinite(v))
		return "-";
	if (fabs(v - round(v)) < 1e-9)
		return tc_fmt_fixed(b, 32, v, 0);
	return tc_fmt_fixed(b, 32, v, 1);
}

static const char *fmt_delta_ns(char *b, double d)
{
	char t[32];
	snprintf(b, 40, "%s%s", d > 0 ? "+" : d < 0 ? "-" : "", rpt_ns(t, fabs(d)));
	return b;
}

static const char *fmt_pct(char *b, double a, double v)
{
	char t[32];
	if (a == 0 && v == 0)
		return "0%";
	if (a == 0)
		return "new";
	if (v == 0)
		return "gone";
	double p = (v / a - 1) * 100;
	snprintf(b, 40, "%s%s%%", p > 0 ? "+" : "", tc_fmt_fixed(t, sizeof(t), p, 1));
	return b;
}

static void side_line(FILE *fp, const char *tag, const struct tc_report_profile *p)
{
	char b[32];
	fprintf(fp, "%s: %s (%s, %s step%s)\n", tag, p->label, p->origin,
		p->steps > 0 ? fmt_count(b, p->steps) : "no", p->steps == 1 ? "" : "s");
}

int tc_report_diff_write_text(const struct tc_report_diff *d, FILE *fp, int colour)
{
	char b[6][48];
	const char *red = colour ? "\033[31m" : "", *green = colour ? "\033[32m" : "",
		   *off = colour ? "\033[0m" : "";
	side_line(fp, "A", d->a);
	side_line(fp, "B", d->b);
	fprintf(fp, "%s\n\n",
		d->per_step
		    ? "figures per step (totals divided by each side's steps); delta = B - A"
		    : "figures are totals (a side has no steps); delta = B - A");
	if (isfinite(d->a_step_ns) && isfinite(d->b_step_ns)) {
		double dd = d->b_step_ns - d->a_step_ns;
		fprintf(fp, "step time  A %s  B %s  %s%s %s%s\n\n", rpt_ns(b[0], d->a_step_ns),
			rpt_ns(b[1], d->b_step_ns),
			dd > 0	 ? red
			: dd < 0 ? green
				 : "",
			fmt_delta_ns(b[2], dd), fmt_pct(b[3], d->a_step_ns, d->b_step_ns), off);
	}
	fprintf(fp, "%-14s %9s %9s %12s %12s %13s %8s\n", "op class", "count A", "count B",
		"time A", "time B", "delta", "delta%");
	for (size_t i = 0; i < d->n_classes; i++) {
		const struct tc_report_diff_row *r = &d->classes[i];
		double dd = r->b_ns - r->a_ns;
		fprintf(fp, "%-14s %9s %9s %12s %12s %s%13s %8s%s\n", r->key,
			fmt_count(b[0], r->a_count), fmt_count(b[1], r->b_count),
			rpt_ns(b[2], r->a_ns), rpt_ns(b[3], r->b_ns),
			dd > 0	 ? red
			: dd < 0 ? green
				 : "",
			fmt_delta_ns(b[4], dd), fmt_pct(b[5], r->a_ns, r->b_ns), off);
	}
	fprintf(fp, "\ntop kernels by impact%s%s\n",
		d->a->kernels_partial || d->b->kernels_partial
		    ? " (a projection lists only its top ops: kernels outside them read as 0)"
		    : "",
		d->by_operator ? " (the kernel names differ: matched through their launching aten "
				 "operator, its input shapes and call order, within it by class "
				 "first; name: A's kernel -> B's)"
			       : "");
	fprintf(fp, "%13s %8s %12s %12s %9s %9s  %-12s %s\n", "delta", "delta%", "time A", "time B",
		"count A", "count B", "class", "name");
	for (size_t i = 0; i < d->n_kernels; i++) {
		const struct tc_report_diff_row *r = &d->kernels[i];
		double dd = r->b_ns - r->a_ns;
		char sh[160];
		tc_short_name(sh, sizeof(sh), r->key); /* the JSON keeps the full name */
		char sb[160] = "";
		if (r->b_key)
			tc_short_name(sb, sizeof(sb), r->b_key);
		if (r->b_key && strcmp(sb, sh) != 0) {
			/* B's name only where the short forms differ (template arguments do not) */
			size_t w = TC_MIN(strlen(sh), (size_t)60);
			snprintf(sh + w, sizeof(sh) - w, " -> %s", sb);
		}
		fprintf(fp, "%s%13s %8s%s %12s %12s %9s %9s  %-12s %.90s\n",
			dd > 0	 ? red
			: dd < 0 ? green
				 : "",
			fmt_delta_ns(b[0], dd), fmt_pct(b[1], r->a_ns, r->b_ns), off,
			rpt_ns(b[2], r->a_ns), rpt_ns(b[3], r->b_ns), fmt_count(b[4], r->a_count),
			fmt_count(b[5], r->b_count), r->cls, sh);
	}
	return ferror(fp) ? TC_EIO : 0;
}

/* ---- JSON -------------------------------------------------------------------------------------
 */

static json_t *jreal(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

static json_t *side_json(const struct tc_report_profile *p, double step_ns)
{
	json_t *o = json_object();
	json_object_set_new(o, "label", json_string(p->label));
	json_object_set_new(o, "origin", json_string(p->origin));
	json_object_set_new(o, "steps", json_real(p->steps));
	json_object_set_new(o, "step_ns", jreal(step_ns));
	json_object_set_new(o, "kernels_partial", json_boolean(p->kernels_partial));
	return o;
}

static json_t *rows_json(const struct tc_report_diff_row *rows, size_t n, int kernels)
{
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++) {
		const struct tc_report_diff_row *r = &rows[i];
		json_t *o = json_object();
		json_object_set_new(o, kernels ? "name" : "class", json_string(r->key));
		if (r->b_key) /* matched by operator: B ran it under this name */
			json_object_set_new(o, "b_name", json_string(r->b_key));
		if (kernels)
			json_object_set_new(o, "class", json_string(r->cls));
		json_object_set_new(o, "a_ns", jreal(r->a_ns));
		json_object_set_new(o, "b_ns", jreal(r->b_ns));
		json_object_set_new(o, "delta_ns", jreal(r->b_ns - r->a_ns));
		json_object_set_new(o, "a_count", jreal(r->a_count));
		json_object_set_new(o, "b_count", jreal(r->b_count));
		json_object_set_new(o, "delta_count", jreal(r->b_count - r->a_count));
		json_array_append_new(a, o);
	}
	return a;
}

int tc_report_diff_write_json(const struct tc_report_diff *d, FILE *fp)
{
	json_t *o = json_object();
	json_object_set_new(o, "schema", json_string("tracecast.diff"));
	json_object_set_new(o, "schema_version", json_integer(1));
	json_object_set_new(o, "a", side_json(d->a, d->a_step_ns));
	json_object_set_new(o, "b", side_json(d->b, d->b_step_ns));
	json_object_set_new(o, "per_step", json_boolean(d->per_step));
	if (d->by_operator) /* absent: kernels joined by name */
		json_object_set_new(o, "kernel_match", json_string("operator"));
	json_object_set_new(o, "classes", rows_json(d->classes, d->n_classes, 0));
	json_object_set_new(o, "kernels", rows_json(d->kernels, d->n_kernels, 1));
	int rc = json_dumpf(o, fp, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	fputc('\n', fp);
	json_decref(o);
	return rc < 0 || ferror(fp) ? TC_EIO : 0;
}

/* ---- HTML -------------------------------------------------------------------------------------
 */

/* Diverging bars around zero: faster (B < A) to the left in blue, slower to the right in
 * vermillion (Okabe-Ito: the pair reads under every common colour-vision deficiency). */
static void diverging(FILE *fp, const char *id, const char *what,
		      const struct tc_report_diff_row *rows, size_t n)
{
	const double W = 960, ZERO = 645, HALF = 220, ROW = 24;
	double max = 0;
	for (size_t i = 0; i < n; i++)
		max = TC_MAX(max, fabs(rows[i].b_ns - rows[i].a_ns));
	if (!(max > 0))
		max = 1;
	char b1[48], b2[48], b3[48], b4[48], m[64];
	fprintf(fp, "<svg class=\"chart\" id=\"%s\" viewBox=\"0 0 %.0f %.0f\" role=\"img\">\n", id,
		W, n * ROW + 8);
	fprintf(fp, "<line x1=\"%.0f\" y1=\"0\" x2=\"%.0f\" y2=\"%.0f\" stroke=\"#5f6368\"/>\n",
		ZERO, ZERO, n * ROW + 8);
	for (size_t i = 0; i < n; i++) {
		const struct tc_report_diff_row *r = &rows[i];
		double dd = r->b_ns - r->a_ns, w = HALF * fabs(dd) / max, y = 4 + i * ROW;
		double x = dd < 0 ? ZERO - w : ZERO;
		size_t len = strlen(r->key);
		char shown[64];
		snprintf(shown, sizeof(shown), "%.*s%s", (int)TC_MIN(len, (size_t)40), r->key,
			 len > 40 ? "…" : "");
		fputs("<g><title>", fp);
		rpt_esc(fp, r->key);
		if (r->b_key) {
			fputs(" → ", fp);
			rpt_esc(fp, r->b_key);
		}
		fprintf(fp, "\nA %s (%s calls) → B %s (%s calls): %s, %s</title>",
			rpt_ns(b1, r->a_ns), fmt_count(b3, r->a_count), rpt_ns(b2, r->b_ns),
			fmt_count(b4, r->b_count), fmt_delta_ns(b1, dd),
			fmt_pct(b2, r->a_ns, r->b_ns));
		fprintf(fp, "<text x=\"0\" y=\"%.1f\">", y + 13);
		rpt_esc(fp, shown);
		fputs("</text>", fp);
		snprintf(m, sizeof(m), "%s[%zu].delta_ns", what, i);
		fprintf(fp,
			"<rect class=\"seg\" x=\"%.2f\" y=\"%.1f\" width=\"%.2f\" height=\"16\" "
			"fill=\"%s\"",
			x, y, TC_MAX(w, 0.8), dd > 0 ? "#D55E00" : "#0072B2");
		rpt_metric(fp, m, dd);
		fprintf(
		    fp,
		    "/><text class=\"ax\" x=\"%.2f\" y=\"%.1f\" text-anchor=\"%s\">%s</text></g>\n",
		    dd < 0 ? x - 5 : x + TC_MAX(w, 0.8) + 5, y + 12.5, dd < 0 ? "end" : "start",
		    fmt_delta_ns(b3, dd));
	}
	fputs("</svg>\n", fp);
}

static void table(FILE *fp, const char *what, const struct tc_report_diff_row *rows, size_t n,
		  int kernels)
{
	char b[6][48], m[96];
	fprintf(fp,
		"<table><thead><tr><th class=\"l\">%s</th>%s<th>count A</th><th>count "
		"B</th><th>time A</th>"
		"<th>time B</th><th>delta</th><th>delta%%</th></tr></thead><tbody>\n",
		kernels ? "kernel" : "class", kernels ? "<th class=\"t\">class</th>" : "");
	for (size_t i = 0; i < n; i++) {
		const struct tc_report_diff_row *r = &rows[i];
		double dd = r->b_ns - r->a_ns;
		fputs("<tr><td class=\"l\">", fp);
		rpt_esc(fp, r->key);
		if (r->b_key) {
			fputs(" → ", fp);
			rpt_esc(fp, r->b_key);
		}
		fputs("</td>", fp);
		if (kernels) {
			fputs("<td class=\"t\">", fp);
			rpt_esc(fp, r->cls);
			fputs("</td>", fp);
		}
		/* classes are addressed by name, kernels by position (names repeat across lists) */
		const double v[4] = {r->a_count, r->b_count, r->a_ns, r->b_ns};
		static const char *const f[4] = {"a_count", "b_count", "a_ns", "b_ns"};
		for (int k = 0; k < 4; k++) {
			if (kernels)
				snprintf(m, sizeof(m), "%s[%zu].%s", what, i, f[k]);
			else
				snprintf(m, sizeof(m), "%s[%s].%s", what, r->key, f[k]);
			fputs("<td", fp);
			rpt_metric(fp, m, v[k]);
			fprintf(fp, ">%s</td>", k < 2 ? fmt_count(b[k], v[k]) : rpt_ns(b[k], v[k]));
		}
		fprintf(fp, "<td class=\"%s\">%s</td><td>%s</td></tr>\n",
			dd > 0	 ? "worse"
			: dd < 0 ? "better"
				 : "",
			fmt_delta_ns(b[4], dd), fmt_pct(b[5], r->a_ns, r->b_ns));
	}
	fputs("</tbody></table>\n", fp);
}

int tc_report_diff_write_html(const struct tc_report_diff *d, FILE *fp)
{
	char title[600], b1[48], b2[48];
	snprintf(title, sizeof(title), "tracecast diff: %s vs %s", d->a->label, d->b->label);
	rpt_page_begin(fp, title);
	fputs("<h1>", fp);
	rpt_esc(fp, title);
	fputs("</h1>\n<p class=\"sub\">A: ", fp);
	rpt_esc(fp, d->a->label);
	fprintf(fp, " (%s) · B: ", d->a->origin);
	rpt_esc(fp, d->b->label);
	fprintf(fp,
		" (%s) · %s; delta = B &minus; A, blue = B faster, vermillion = B slower.</p>\n",
		d->b->origin, d->per_step ? "figures per step" : "figures are totals");
	fputs("<div class=\"kpis\">", fp);
	const double v[2] = {d->a_step_ns, d->b_step_ns};
	for (int s = 0; s < 2; s++) {
		fprintf(fp,
			"<div class=\"kpi\"><div class=\"k\">Step time %s</div><div class=\"v\"",
			s ? "B" : "A");
		rpt_metric(fp, s ? "b.step_ns" : "a.step_ns", v[s]);
		fprintf(fp, ">%s</div><div class=\"d\">", rpt_ns(b1, v[s]));
		rpt_esc(fp, s ? d->b->label : d->a->label);
		fputs("</div></div>", fp);
	}
	double dd = v[1] - v[0];
	fprintf(fp,
		"<div class=\"kpi\"><div class=\"k\">Change</div><div class=\"v %s\">%s</div><div "
		"class=\"d\">%s</div></div>",
		dd > 0	 ? "worse"
		: dd < 0 ? "better"
			 : "",
		isfinite(dd) ? fmt_pct(b1, v[0], v[1]) : "-",
		isfinite(dd) ? fmt_delta_ns(b2, dd) : "step time unknown");
	fputs("<div class=\"kpi\"><div class=\"k\">Biggest mover</div><div class=\"v\" "
	      "style=\"font-size:18px\">",
	      fp);
	rpt_esc(fp, d->n_classes ? d->classes[0].key : "-");
	fprintf(fp, "</div><div class=\"d\">%s</div></div></div>\n",
		d->n_classes ? fmt_delta_ns(b1, d->classes[0].b_ns - d->classes[0].a_ns) : "");
	fputs("<section class=\"card\" id=\"diff\"><h2>By op class, sorted by impact</h2>\n", fp);
	if (d->n_classes)
		diverging(fp, "diff-classes", "classes", d->classes, d->n_classes);
	table(fp, "classes", d->classes, d->n_classes, 0);
	fputs("</section>\n<section class=\"card\"><h2>Top kernels by impact</h2>\n", fp);
	if (d->n_kernels)
		diverging(fp, "diff-kernels", "kernels", d->kernels, d->n_kernels);
	table(fp, "kernels", d->kernels, d->n_kernels, 1);
	if (d->a->kernels_partial || d->b->kernels_partial)
		fputs("<p class=\"note\">A projection lists only its top ops: a kernel outside "
		      "those lists "
		      "reads as 0 on that side.</p>",
		      fp);
	fputs("</section>\n", fp);
	rpt_page_end(fp);
	return ferror(fp) ? TC_EIO : 0;
}

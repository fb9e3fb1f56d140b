/* tb_print.c - `tracecast testbench`'s report (cli_testbench.h): the error tables on stdout per op
 * class and chip, pooled, per chip pair, the worst ops, the end-to-end errors of model tables
 * and the gates; every figure again as JSON (--json) and the gates as JUnit XML (--junit). */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_testbench.h"

static void fmt_pct(char *buf, size_t n, double v)
{
	if (isnan(v))
		snprintf(buf, n, "-");
	else
		tc_fmt_fixed(buf, n, v, 1);
}

/* ---- output ------------------------------------------------------------------------------- */

static void print_worst(const struct tb *b, FILE *fp, const struct tb_acc *a, const char *method)
{
	char x[32], y[32], z[32];
	for (size_t i = 0; i < a->nw; i++) {
		const struct tb_worst *w = &a->w[i];
		fprintf(fp, "    %-9s %5s%%  %-10s %-32s measured %10s  predicted %10s%s%s\n",
			method, (fmt_pct(x, sizeof(x), w->ape), x), w->row->name, w->row->dims,
			tc_fmt_ns(y, sizeof(y), w->meas), tc_fmt_ns(z, sizeof(z), w->pred),
			w->src >= 0 ? "  from " : "", w->src >= 0 ? b->chips[w->src].id : "");
	}
}

static json_t *jstats(struct tb_stats s)
{
	json_t *o = json_object();
	json_object_set_new(o, "n", json_integer((json_int_t)s.n));
	json_object_set_new(o, "mape", s.n ? json_real(s.mape) : json_null());
	json_object_set_new(o, "median", s.n ? json_real(s.median) : json_null());
	json_object_set_new(o, "p90", s.n ? json_real(s.p90) : json_null());
	return o;
}

static int write_junit(const char *path, const struct tb_gate *g, size_t n, struct tc_err *err)
{
	struct tc_outfile o;
	size_t failures = 0;
	char v[32], l[32];
	for (size_t i = 0; i < n; i++)
		failures += !g[i].pass;
	TC_TRY(tc_outfile_open(&o, path, err));
	fprintf(o.fp,
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n"
		"<testsuite name=\"tracecast testbench\" tests=\"%zu\" failures=\"%zu\">\n",
		n, failures);
	for (size_t i = 0; i < n; i++) {
		fprintf(o.fp, "  <testcase classname=\"tracecast.testbench.");
		tc_cli_xml_escape(o.fp, g[i].what);
		fprintf(o.fp, "\" name=\"");
		tc_cli_xml_escape(o.fp, g[i].chip);
		fprintf(o.fp, "\">");
		if (!g[i].pass) {
			fmt_pct(v, sizeof(v), g[i].value);
			fmt_pct(l, sizeof(l), g[i].limit);
			fprintf(o.fp, "<failure message=\"");
			tc_cli_xml_escape(o.fp, g[i].what);
			fprintf(o.fp, " on ");
			tc_cli_xml_escape(o.fp, g[i].chip);
			fprintf(o.fp, ": %s%% &gt; %s%%\"/>", v, l);
		}
		fprintf(o.fp, "</testcase>\n");
	}
	fprintf(o.fp, "</testsuite>\n</testsuites>\n");
	return tc_outfile_commit(&o, err);
}

/* ---- the report --------------------------------------------------------------------------- */

struct tb_gates {
	struct tb_gate *v;
	size_t n;
};

static void add_gate(struct tb_gates *gs, struct tb_gate g)
{
	gs->v = tc_xrealloc(gs->v, (gs->n + 1) * sizeof(*gs->v));
	gs->v[gs->n++] = g;
}

static json_t *jworst(const struct tb *b, const struct tb_acc *a)
{
	json_t *jw = json_array();
	for (size_t w = 0; w < a->nw; w++) {
		json_t *wo = json_object();
		json_object_set_new(wo, "op", json_string(a->w[w].row->name));
		json_object_set_new(wo, "dims", json_string(a->w[w].row->dims));
		json_object_set_new(wo, "measured_ns", json_real(a->w[w].meas));
		json_object_set_new(wo, "predicted_ns", json_real(a->w[w].pred));
		json_object_set_new(wo, "ape", json_real(a->w[w].ape));
		if (a->w[w].src >= 0)
			json_object_set_new(wo, "source", json_string(b->chips[a->w[w].src].id));
		json_array_append_new(jw, wo);
	}
	return jw;
}

/* One row of the class table: the class on one chip, every method; its JSON (with the
 * worst ops) is appended to jcls and its gate to gs. */
static void print_class_row(struct tb *b, const struct tb_limits *lim, FILE *fp, int g, size_t c,
			    json_t *jcls, struct tb_gates *gs)
{
	char x[3][32], y[112];
	struct tb_stats s[M__COUNT];
	for (int m = 0; m < M__COUNT; m++)
		s[m] = tb_acc_stats(CELL(b, g, c, m));
	if (!s[M_ANALYTIC].n)
		return;
	fprintf(fp, "%-12s %-15s %7zu ", tb_group_names[g], b->chips[c].id, s[M_ANALYTIC].n);
	json_t *o = json_object();
	json_object_set_new(o, "class", json_string(tb_group_names[g]));
	json_object_set_new(o, "chip", json_string(b->chips[c].id));
	for (int m = 0; m < b->n_methods; m++) {
		fmt_pct(x[0], sizeof(x[0]), s[m].mape);
		fmt_pct(x[1], sizeof(x[1]), s[m].median);
		fmt_pct(x[2], sizeof(x[2]), s[m].p90);
		snprintf(y, sizeof(y), "%s / %s / %s", x[0], x[1], x[2]);
		fprintf(fp, " %-20s", s[m].n ? y : "-");
		json_t *js = jstats(s[m]);
		json_object_set_new(js, "worst", jworst(b, CELL(b, g, c, m)));
		json_object_set_new(o, tb_method_names[m], js);
	}
	fputc('\n', fp);
	json_array_append_new(jcls, o);
	if (lim->mape[g] > 0 && s[lim->method].n)
		add_gate(gs,
			 (struct tb_gate){tb_group_names[g], b->chips[c].id, s[lim->method].mape,
					  lim->mape[g], s[lim->method].mape <= lim->mape[g]});
}

/* The headline and the error per class and chip: the JSON "classes". */
static json_t *print_classes(struct tb *b, const struct tb_limits *lim, FILE *fp,
			     struct tb_gates *gs)
{
	size_t rows = 0, models = 0;
	for (size_t i = 0; i < b->n_tabs; i++) {
		rows += b->tabs[i].t->n_rows;
		models += b->tabs[i].t->layout == TC_OPTABLE_MODEL;
	}
	json_t *jcls = json_array();
	fprintf(fp, "testbench: %zu tables (%zu model), %zu chips, %zu rows\n\n", b->n_tabs, models,
		b->n_chips, rows);
	fprintf(fp, "operator error, %% of the measured latency: MAPE / median / p90 "
		    "(scaling pools every other chip as the source)\n");
	fprintf(fp, "%-12s %-15s %7s ", "class", "chip", "n");
	for (int m = 0; m < b->n_methods; m++)
		fprintf(fp, " %-20s", tb_method_names[m]);
	fputc('\n', fp);
	for (int g = 0; g < G__COUNT; g++)
		for (size_t c = 0; c < b->n_chips; c++)
			print_class_row(b, lim, fp, g, c, jcls, gs);
	return jcls;
}

/* every chip pooled: the figure the NeuSight paper's table gives per class */
static json_t *print_pooled(struct tb *b, FILE *fp)
{
	char x[32];
	fprintf(fp, "\nper class, every chip pooled: MAPE %%\n%-12s %7s ", "class", "n");
	for (int m = 0; m < b->n_methods; m++)
		fprintf(fp, " %12s", tb_method_names[m]);
	fputc('\n', fp);
	json_t *jpool = json_array();
	for (int g = 0; g < G__COUNT; g++) {
		struct tb_stats s[M__COUNT];
		for (int m = 0; m < M__COUNT; m++) {
			struct tb_acc all;
			memset(&all, 0, sizeof(all));
			for (size_t c = 0; c < b->n_chips; c++) {
				const struct tb_acc *a = CELL(b, g, c, m);
				for (size_t i = 0; i < a->n; i++)
					tb_acc_add(&all, 1.0, 1.0 + a->ape[i] / 100.0, NULL, -1, 0);
			}
			s[m] = tb_acc_stats(&all);
			tb_acc_free(&all);
		}
		if (!s[M_ANALYTIC].n)
			continue;
		fprintf(fp, "%-12s %7zu ", tb_group_names[g], s[M_ANALYTIC].n);
		for (int m = 0; m < b->n_methods; m++) {
			fmt_pct(x, sizeof(x), s[m].mape);
			fprintf(fp, " %12s", x);
		}
		fputc('\n', fp);
		json_t *o = json_object();
		json_object_set_new(o, "class", json_string(tb_group_names[g]));
		for (int m = 0; m < b->n_methods; m++)
			json_object_set_new(o, tb_method_names[m], jstats(s[m]));
		json_array_append_new(jpool, o);
	}
	return jpool;
}

/* One class of the scaling-by-pair matrix: a row per source chip that has measurements. */
static void print_pair_class(struct tb *b, FILE *fp, int g, json_t *jpairs)
{
	char x[32];
	fprintf(fp, "%-12s", tb_group_names[g]);
	for (size_t d = 0; d < b->n_chips; d++)
		fprintf(fp, " %15s", b->chips[d].id);
	fputc('\n', fp);
	for (size_t s = 0; s < b->n_chips; s++) {
		int row_has = 0;
		for (size_t d = 0; d < b->n_chips; d++)
			row_has |= PAIR(b, g, s, d)->n > 0;
		if (!row_has)
			continue;
		fprintf(fp, "  %-10s", b->chips[s].id);
		for (size_t d = 0; d < b->n_chips; d++) {
			struct tb_stats st = tb_acc_stats(PAIR(b, g, s, d));
			fmt_pct(x, sizeof(x), st.mape);
			fprintf(fp, " %15s", x);
			if (!st.n)
				continue;
			json_t *o = jstats(st);
			json_object_set_new(o, "class", json_string(tb_group_names[g]));
			json_object_set_new(o, "source", json_string(b->chips[s].id));
			json_object_set_new(o, "chip", json_string(b->chips[d].id));
			json_array_append_new(jpairs, o);
		}
		fputc('\n', fp);
	}
}

/* scaling by pair: the JSON "pairs" */
static json_t *print_pairs(struct tb *b, FILE *fp)
{
	json_t *jpairs = json_array();
	int any_pair = 0;
	for (int g = 0; g < G__COUNT; g++) {
		int has = 0;
		for (size_t s = 0; s < b->n_chips && !has; s++)
			for (size_t d = 0; d < b->n_chips && !has; d++)
				has = PAIR(b, g, s, d)->n > 0;
		if (!has)
			continue;
		if (!any_pair)
			fprintf(fp, "\nscaling by chip pair: MAPE %% (row: measured on, column: "
				    "predicted for)\n");
		any_pair = 1;
		print_pair_class(b, fp, g, jpairs);
	}
	return jpairs;
}

static void print_worst_ops(const struct tb *b, FILE *fp)
{
	if (!b->keep)
		return;
	fprintf(fp, "\nworst ops (absolute error %%)\n");
	for (int g = 0; g < G__COUNT; g++)
		for (size_t c = 0; c < b->n_chips; c++) {
			if (!CELL(b, g, c, M_ANALYTIC)->n)
				continue;
			fprintf(fp, "  %s on %s\n", tb_group_names[g], b->chips[c].id);
			print_worst(b, fp, CELL(b, g, c, M_ANALYTIC), "analytic");
			print_worst(b, fp, CELL(b, g, c, M_SCALING), "scaling");
			if (b->calibrated)
				print_worst(b, fp, CELL(b, g, c, M_CAL_SCALING), "cal-scal");
		}
}

/* A line per model table, method and source chip. */
static void print_model_rows(const struct tb *b, FILE *fp)
{
	char x[32], ms1[32], ms2[32];
	fprintf(fp,
		"\nend-to-end latency of model tables (error %% of the measured e2e_latency)\n");
	fprintf(fp, "%-28s %-15s %-12s %-15s %12s %12s %8s  %s\n", "model", "chip", "method",
		"from", "measured", "predicted", "error", "p10-p90 band");
	size_t i;
	json_t *o;
	json_array_foreach(b->models, i, o)
	{
		const char *src = json_string_value(json_object_get(o, "source"));
		fmt_pct(x, sizeof(x), json_real_value(json_object_get(o, "error_pct")));
		char band_s[80] = "";
		json_t *blo = json_object_get(o, "band_p10_ms");
		if (blo) {
			char l1[32], l2[32];
			double hi = json_real_value(json_object_get(o, "band_p90_ms"));
			snprintf(band_s, sizeof(band_s), "%s - %s%s",
				 tc_fmt_ns(l1, sizeof(l1), json_real_value(blo) * 1e6),
				 tc_fmt_ns(l2, sizeof(l2), hi * 1e6),
				 json_is_true(json_object_get(o, "in_band")) ? "" : "  (outside)");
		}
		fprintf(fp, "%-28s %-15s %-12s %-15s %12s %12s %7s%%  %s\n",
			json_string_value(json_object_get(o, "model")),
			json_string_value(json_object_get(o, "chip")),
			json_string_value(json_object_get(o, "method")), src ? src : "-",
			tc_fmt_ns(ms1, sizeof(ms1),
				  json_real_value(json_object_get(o, "measured_ms")) * 1e6),
			tc_fmt_ns(ms2, sizeof(ms2),
				  json_real_value(json_object_get(o, "predicted_ms")) * 1e6),
			x, band_s);
	}
}

/* How often the measured end-to-end time fell inside each band: the JSON "band_coverage". */
static json_t *print_band_coverage(const struct tb *b, FILE *fp)
{
	static const char *const band_names[3] = {"scaling", "cal-scaling", "project"};
	char x[32];
	json_t *jband = json_object();
	for (int k = 0; k < 3; k++) {
		if (!b->band_n[k])
			continue;
		double cov = 100.0 * (double)b->band_in[k] / (double)b->band_n[k];
		fmt_pct(x, sizeof(x), cov);
		fprintf(fp,
			"\n%s: measured e2e inside the p10-p90 band in %zu of %zu pairs "
			"(%s%%; an 80%% band should hold about 80%%)%s\n",
			band_names[k], b->band_in[k], b->band_n[k], x,
			k == 2
			    ? "\n  (the band project reports: lognormal per class with the chips' "
			      "sigma, scaling)"
			    : "");
		json_t *jb = json_object();
		json_object_set_new(jb, "pairs", json_integer((json_int_t)b->band_n[k]));
		json_object_set_new(jb, "inside", json_integer((json_int_t)b->band_in[k]));
		json_object_set_new(jb, "coverage_pct", json_real(cov));
		json_object_set_new(jband, band_names[k], jb);
	}
	return jband;
}

/* The end-to-end error per method over every model table and pair, into jsum; the e2e gate. */
static void print_e2e_summary(struct tb *b, const struct tb_limits *lim, FILE *fp, json_t *jsum,
			      struct tb_gates *gs)
{
	static const char *const what[M__COUNT + 1] = {"analytic",     "roofline",    "scaling",
						       "cal-analytic", "cal-scaling", "identity"};
	char x[3][32];
	fprintf(fp, "\nend-to-end |error| over model tables and pairs: median / MAPE / p90 %%\n");
	for (int m = 0; m <= M__COUNT; m++) {
		struct tb_stats s = tb_acc_stats(&b->e2e[m]);
		if (!s.n)
			continue;
		fmt_pct(x[0], sizeof(x[0]), s.median);
		fmt_pct(x[1], sizeof(x[1]), s.mape);
		fmt_pct(x[2], sizeof(x[2]), s.p90);
		fprintf(fp, "  %-12s %4zu  %s / %s / %s%s\n", what[m], s.n, x[0], x[1], x[2],
			m == M__COUNT ? "   (each table's own node sum: the floor)" : "");
		json_object_set_new(jsum, what[m], jstats(s));
		if (m == lim->method && lim->e2e_median > 0)
			add_gate(gs, (struct tb_gate){"e2e", "all pairs", s.median, lim->e2e_median,
						      s.median <= lim->e2e_median});
	}
}

/* The gates and whether each passed: the JSON "gates"; *failed counts the failures. */
static json_t *print_gates(const struct tb_gates *gs, const struct tb_limits *lim, FILE *fp,
			   size_t *failed)
{
	char x[2][32];
	json_t *jg = json_array();
	*failed = 0;
	if (!gs->n)
		return jg;
	fprintf(fp, "\ngates (%s; MAPE, e2e: median |error|)\n", tb_method_names[lim->method]);
	for (size_t i = 0; i < gs->n; i++) {
		const struct tb_gate *g = &gs->v[i];
		fmt_pct(x[0], sizeof(x[0]), g->value);
		fmt_pct(x[1], sizeof(x[1]), g->limit);
		fprintf(fp, "  %-4s %-12s %-15s %6s%% <= %s%%\n", g->pass ? "ok" : "FAIL", g->what,
			g->chip, x[0], x[1]);
		*failed += !g->pass;
		json_t *o = json_object();
		json_object_set_new(o, "class", json_string(g->what));
		json_object_set_new(o, "chip", json_string(g->chip));
		json_object_set_new(o, "value", json_real(g->value));
		json_object_set_new(o, "limit", json_real(g->limit));
		json_object_set_new(o, "pass", json_boolean(g->pass));
		json_array_append_new(jg, o);
	}
	fprintf(fp, "%zu of %zu gates failed\n", *failed, gs->n);
	return jg;
}

static int write_json(const char *path, const json_t *root, struct tc_err *err)
{
	struct tc_outfile o;
	TC_TRY(tc_outfile_open(&o, path, err));
	/* fixed-precision reals keep the file stable across libc versions */
	json_dumpf(root, o.fp, JSON_INDENT(1) | JSON_REAL_PRECISION(10));
	fputc('\n', o.fp);
	return tc_outfile_commit(&o, err);
}

int tb_report(struct tb *b, const struct tb_limits *lim, const struct tb_report_opts *opt,
	      struct tc_err *err)
{
	FILE *fp = stdout;
	struct tb_gates gs = {NULL, 0};
	json_t *root = json_object();
	json_t *jchips = json_array();
	for (size_t c = 0; c < b->n_chips; c++)
		json_array_append_new(jchips, json_string(b->chips[c].id));
	json_t *jcls = print_classes(b, lim, fp, &gs);
	json_object_set_new(root, "pooled", print_pooled(b, fp));
	json_t *jpairs = print_pairs(b, fp);
	print_worst_ops(b, fp);
	json_t *jsum = json_object();
	if (json_array_size(b->models)) {
		print_model_rows(b, fp);
		json_object_set_new(root, "band_coverage", print_band_coverage(b, fp));
		print_e2e_summary(b, lim, fp, jsum, &gs);
	}
	size_t failed;
	json_t *jg = print_gates(&gs, lim, fp, &failed);
	tc_info(b->log, "testbench: %.2f s", tc_now() - opt->t0);
	json_object_set_new(root, "chips", jchips);
	json_object_set_new(root, "gate_method", json_string(tb_method_names[lim->method]));
	json_object_set_new(root, "classes", jcls);
	json_object_set_new(root, "pairs", jpairs);
	json_object_set_new(root, "models", json_incref(b->models));
	json_object_set_new(root, "e2e_summary", jsum);
	json_object_set_new(root, "gates", jg);
	int rc = opt->json_path ? write_json(opt->json_path, root, err) : 0;
	json_decref(root);
	if (rc == 0 && opt->junit)
		rc = write_junit(opt->junit, gs.v, gs.n, err);
	if (rc == 0 && opt->check && failed)
		rc = 1;
	free(gs.v);
	return rc;
}

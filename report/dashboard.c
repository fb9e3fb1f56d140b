/* dashboard.c - the sweep dashboard: headline, a heat map of speedup over the first two swept
 * parameters, one sensitivity line per parameter, Perf/W against Perf/$ with the Pareto
 * front, and the runs. Input is a plain list of runs (the CLI reads them from the results
 * database), so this file knows nothing of SQL. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rpt_internal.h"

#define MAX_KEYS 8
#define MAX_VALUES 64

/* The value of key in a run's params, NULL when the run does not set it. */
static const char *param(const struct tc_report_run *r, const char *key, size_t klen)
{
	for (size_t i = 0; i < r->n_params; i++)
		if (strncmp(r->params[i], key, klen) == 0 && r->params[i][klen] == '=')
			return r->params[i] + klen + 1;
	return NULL;
}

struct axis {
	char key[128];
	size_t klen;
	const char *values[MAX_VALUES];
	size_t n;
};

static int value_cmp(const void *x, const void *y)
{
	const char *a = *(const char *const *)x, *b = *(const char *const *)y;
	char *ea, *eb;
	double va = strtod(a, &ea), vb = strtod(b, &eb);
	if (!*ea && !*eb && ea != a && eb != b && va != vb)
		return va < vb ? -1 : 1; /* numbers in numeric order: 2 < 10 */
	return strcmp(a, b);
}

/* Swept keys in first-seen order, each with its distinct values sorted. */
static size_t axes_of(const struct tc_report_sweep *s, struct axis *ax)
{
	size_t n = 0;
	for (size_t i = 0; i < s->n_runs; i++)
		for (size_t p = 0; p < s->runs[i].n_params; p++) {
			const char *kv = s->runs[i].params[p], *eq = strchr(kv, '=');
			if (!eq || (size_t)(eq - kv) >= sizeof(ax[0].key))
				continue;
			size_t klen = (size_t)(eq - kv), k = 0;
			while (k < n && !(ax[k].klen == klen && strncmp(ax[k].key, kv, klen) == 0))
				k++;
			if (k == n) {
				if (n == MAX_KEYS)
					continue;
				memcpy(ax[n].key, kv, klen);
				ax[n].key[klen] = 0;
				ax[n].klen = klen;
				ax[n].n = 0;
				n++;
			}
			size_t v = 0;
			while (v < ax[k].n && strcmp(ax[k].values[v], eq + 1) != 0)
				v++;
			if (v == ax[k].n && ax[k].n < MAX_VALUES)
				ax[k].values[ax[k].n++] = eq + 1;
		}
	for (size_t k = 0; k < n; k++)
		qsort(ax[k].values, ax[k].n, sizeof(ax[k].values[0]), value_cmp);
	return n;
}

/* Viridis: perceptually uniform and readable with any colour-vision deficiency. */
static void viridis(double t, char out[8])
{
	static const unsigned stops[] = {0x440154, 0x3B528B, 0x21918C, 0x5EC962, 0xFDE725};
	if (!isfinite(t))
		t = 0;
	t = t < 0 ? 0 : t > 1 ? 1 : t;
	double f = t * 4;
	int i = (int)f;
	if (i >= 4)
		i = 3;
	f -= i;
	unsigned a = stops[i], b = stops[i + 1], c = 0;
	for (int sh = 16; sh >= 0; sh -= 8) {
		double x = ((a >> sh) & 255) * (1 - f) + ((b >> sh) & 255) * f;
		c |= (unsigned)lround(x) << sh;
	}
	snprintf(out, 8, "#%06X", c);
}

static void run_title(FILE *fp, const struct tc_report_run *r)
{
	char b[4][48];
	fputs("<title>", fp);
	rpt_esc(fp, r->label);
	for (size_t p = 0; p < r->n_params; p++) {
		fputs("\n", fp);
		rpt_esc(fp, r->params[p]);
	}
	fprintf(fp, "\nstep %s · speedup %s× · %s steps/J · %s steps/$</title>",
		rpt_ns(b[0], r->step_ns), rpt_sig(b[1], 48, r->speedup, 3),
		rpt_sig(b[2], 48, r->steps_per_j, 3), rpt_sig(b[3], 48, r->steps_per_usd, 3));
}

static void heatmap(FILE *fp, const struct tc_report_sweep *s, const struct axis *x,
		    const struct axis *y)
{
	const double CELL_W = TC_MIN(110.0, 760.0 / (double)x->n), CELL_H = 34, LEFT = 170,
		     TOP = 10;
	double sum[MAX_VALUES][MAX_VALUES] = {{0}}, cnt[MAX_VALUES][MAX_VALUES] = {{0}},
	       lo = INFINITY, hi = -INFINITY;
	for (size_t i = 0; i < s->n_runs; i++) {
		const char *vx = param(&s->runs[i], x->key, x->klen),
			   *vy = param(&s->runs[i], y->key, y->klen);
		if (!vx || !vy || !isfinite(s->runs[i].speedup))
			continue;
		size_t a = 0, b = 0;
		while (a < x->n && strcmp(x->values[a], vx) != 0)
			a++;
		while (b < y->n && strcmp(y->values[b], vy) != 0)
			b++;
		if (a == x->n || b == y->n)
			continue;
		sum[a][b] += s->runs[i].speedup;
		cnt[a][b]++;
	}
	for (size_t a = 0; a < x->n; a++)
		for (size_t b = 0; b < y->n; b++)
			if (cnt[a][b] > 0) {
				lo = TC_MIN(lo, sum[a][b] / cnt[a][b]);
				hi = TC_MAX(hi, sum[a][b] / cnt[a][b]);
			}
	double H = TOP + y->n * CELL_H + 46, W = LEFT + x->n * CELL_W + 20;
	fputs("<section class=\"card\"><h2>Speedup over ", fp);
	rpt_esc(fp, x->key);
	fputs(" &times; ", fp);
	rpt_esc(fp, y->key);
	fputs("</h2>\n", fp);
	fprintf(fp,
		"<svg class=\"chart\" id=\"heatmap\" viewBox=\"0 0 %.0f %.0f\" role=\"img\" "
		"style=\"max-width:%.0fpx\">\n",
		W, H, W);
	char b1[48], col[8], m[160];
	for (size_t b = 0; b < y->n; b++) {
		/* the largest value at the top, as on a plot's y axis */
		size_t row = y->n - 1 - b;
		fprintf(fp, "<text x=\"%.0f\" y=\"%.1f\" text-anchor=\"end\">", LEFT - 8,
			TOP + row * CELL_H + CELL_H / 2 + 4);
		rpt_esc(fp, y->values[b]);
		fputs("</text>\n", fp);
		for (size_t a = 0; a < x->n; a++) {
			double v = cnt[a][b] > 0 ? sum[a][b] / cnt[a][b] : NAN;
			viridis(hi > lo ? (v - lo) / (hi - lo) : 0.5, col);
			double cx = LEFT + a * CELL_W, cy = TOP + row * CELL_H;
			fprintf(fp,
				"<rect class=\"seg\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
				"height=\"%.0f\" fill=\"%s\"",
				cx, cy, CELL_W - 2, CELL_H - 2, isfinite(v) ? col : "#eeeeee");
			snprintf(m, sizeof(m), "heat[%s][%s]", x->values[a], y->values[b]);
			if (isfinite(v))
				rpt_metric(fp, m, v);
			fputs("><title>", fp);
			rpt_esc(fp, x->key);
			fputc('=', fp);
			rpt_esc(fp, x->values[a]);
			fputs(", ", fp);
			rpt_esc(fp, y->key);
			fputc('=', fp);
			rpt_esc(fp, y->values[b]);
			fprintf(fp, ": mean speedup %s× over %.0f run(s)</title></rect>",
				rpt_sig(b1, sizeof(b1), v, 3), cnt[a][b]);
			if (isfinite(v))
				fprintf(fp,
					"<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" "
					"style=\"fill:%s\" "
					"pointer-events=\"none\">%s</text>",
					cx + CELL_W / 2 - 1, cy + CELL_H / 2 + 4, rpt_ink(col),
					rpt_sig(b1, sizeof(b1), v, 3));
			fputc('\n', fp);
		}
	}
	for (size_t a = 0; a < x->n; a++) {
		fprintf(fp, "<text class=\"ax\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">",
			LEFT + a * CELL_W + CELL_W / 2 - 1, TOP + y->n * CELL_H + 14);
		rpt_esc(fp, x->values[a]);
		fputs("</text>", fp);
	}
	fprintf(fp, "<text class=\"ax\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">",
		LEFT + x->n * CELL_W / 2, TOP + y->n * CELL_H + 36);
	rpt_esc(fp, x->key);
	fprintf(fp, "</text><text class=\"ax\" x=\"0\" y=\"%.1f\">", TOP + 2);
	rpt_esc(fp, y->key);
	fputs(" &uarr;</text>\n</svg>\n<p class=\"note\">Mean speedup of the runs in each cell "
	      "(over the "
	      "other parameters and traces); colour scale viridis, dark = lowest, yellow = "
	      "highest.</p></section>\n",
	      fp);
}

static void sensitivity(FILE *fp, const struct tc_report_sweep *s, const struct axis *ax,
			size_t idx)
{
	const double W = 460, H = 220, L = 54, R = 14, T = 12, B = 40;
	double mean[MAX_VALUES], lo = INFINITY, hi = -INFINITY;
	for (size_t v = 0; v < ax->n; v++) {
		double sum = 0, n = 0;
		for (size_t i = 0; i < s->n_runs; i++) {
			const char *pv = param(&s->runs[i], ax->key, ax->klen);
			if (pv && strcmp(pv, ax->values[v]) == 0 && isfinite(s->runs[i].speedup)) {
				sum += s->runs[i].speedup;
				n++;
			}
		}
		mean[v] = n > 0 ? sum / n : NAN;
		if (n > 0) {
			lo = TC_MIN(lo, mean[v]);
			hi = TC_MAX(hi, mean[v]);
		}
	}
	if (!isfinite(lo))
		return;
	double pad = hi > lo ? (hi - lo) * 0.1 : TC_MAX(fabs(hi) * 0.05, 0.01);
	lo -= pad;
	hi += pad;
	char b1[48], m[160];
	fputs("<div><h2 style=\"font-size:14px\">", fp);
	rpt_esc(fp, ax->key);
	fprintf(
	    fp,
	    "</h2><svg class=\"chart\" id=\"sens-%zu\" viewBox=\"0 0 %.0f %.0f\" role=\"img\">\n",
	    idx, W, H);
	for (int t = 0; t <= 4; t++) {
		double v = lo + (hi - lo) * t / 4, y = T + (H - T - B) * (1 - (double)t / 4);
		fprintf(fp,
			"<line x1=\"%.0f\" y1=\"%.1f\" x2=\"%.0f\" y2=\"%.1f\" stroke=\"#e6e6e6\"/>"
			"<text class=\"ax\" x=\"%.0f\" y=\"%.1f\" text-anchor=\"end\">%s×</text>\n",
			L, y, W - R, y, L - 6, y + 4, rpt_sig(b1, sizeof(b1), v, 3));
	}
	double step = ax->n > 1 ? (W - L - R - 20) / (double)(ax->n - 1) : 0;
	fputs("<polyline fill=\"none\" stroke=\"#0072B2\" stroke-width=\"2\" points=\"", fp);
	for (size_t v = 0; v < ax->n; v++)
		if (isfinite(mean[v]))
			fprintf(fp, "%.1f,%.1f ", L + 10 + v * step,
				T + (H - T - B) * (1 - (mean[v] - lo) / (hi - lo)));
	fputs("\"/>\n", fp);
	for (size_t v = 0; v < ax->n; v++) {
		double x = L + 10 + v * step;
		fprintf(fp, "<text class=\"ax\" x=\"%.1f\" y=\"%.0f\" text-anchor=\"middle\">", x,
			H - B + 16);
		rpt_esc(fp, ax->values[v]);
		fputs("</text>", fp);
		if (!isfinite(mean[v]))
			continue;
		fprintf(fp, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4.5\" fill=\"#0072B2\"", x,
			T + (H - T - B) * (1 - (mean[v] - lo) / (hi - lo)));
		snprintf(m, sizeof(m), "sens[%s][%s]", ax->key, ax->values[v]);
		rpt_metric(fp, m, mean[v]);
		fputs("><title>", fp);
		rpt_esc(fp, ax->key);
		fputc('=', fp);
		rpt_esc(fp, ax->values[v]);
		fprintf(fp, ": mean speedup %s×</title></circle>\n",
			rpt_sig(b1, sizeof(b1), mean[v], 3));
	}
	fputs("</svg></div>\n", fp);
}

/* 1 when no other run is at least as good on both and better on one (higher is better). */
static int on_front(const struct tc_report_sweep *s, size_t i)
{
	const struct tc_report_run *r = &s->runs[i];
	if (!isfinite(r->steps_per_j) || !isfinite(r->steps_per_usd))
		return 0;
	for (size_t j = 0; j < s->n_runs; j++) {
		const struct tc_report_run *o = &s->runs[j];
		if (j == i || !isfinite(o->steps_per_j) || !isfinite(o->steps_per_usd))
			continue;
		if (o->steps_per_j >= r->steps_per_j && o->steps_per_usd >= r->steps_per_usd &&
		    (o->steps_per_j > r->steps_per_j || o->steps_per_usd > r->steps_per_usd))
			return 0;
	}
	return 1;
}

static int front_cmp(const void *x, const void *y)
{
	const struct tc_report_run *a = *(const struct tc_report_run *const *)x,
				   *b = *(const struct tc_report_run *const *)y;
	return a->steps_per_j < b->steps_per_j ? -1 : a->steps_per_j > b->steps_per_j;
}

static void pareto(FILE *fp, const struct tc_report_sweep *s)
{
	const double W = 960, H = 380, L = 70, R = 20, T = 14, B = 46;
	double x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY;
	size_t n_ok = 0;
	for (size_t i = 0; i < s->n_runs; i++) {
		const struct tc_report_run *r = &s->runs[i];
		if (!isfinite(r->steps_per_j) || !isfinite(r->steps_per_usd))
			continue;
		n_ok++;
		x0 = TC_MIN(x0, r->steps_per_j);
		x1 = TC_MAX(x1, r->steps_per_j);
		y0 = TC_MIN(y0, r->steps_per_usd);
		y1 = TC_MAX(y1, r->steps_per_usd);
	}
	fputs("<section class=\"card\"><h2>Perf/W against Perf/$: the Pareto front</h2>\n", fp);
	if (!n_ok) {
		fputs("<p class=\"note\">No run has both Perf/W and Perf/$ (the specs lack power "
		      "or price).</p></section>\n",
		      fp);
		return;
	}
	double px = x1 > x0 ? (x1 - x0) * 0.08 : TC_MAX(x1 * 0.1, 1e-12),
	       py = y1 > y0 ? (y1 - y0) * 0.08 : TC_MAX(y1 * 0.1, 1e-12);
	x0 -= px, x1 += px, y0 -= py, y1 += py;
#define SX(v) (L + (W - L - R) * ((v)-x0) / (x1 - x0))
#define SY(v) (T + (H - T - B) * (1 - ((v)-y0) / (y1 - y0)))
	char b1[48], m[64];
	fprintf(fp, "<svg class=\"chart\" id=\"pareto\" viewBox=\"0 0 %.0f %.0f\" role=\"img\">\n",
		W, H);
	for (int t = 0; t <= 5; t++) {
		double vx = x0 + (x1 - x0) * t / 5, vy = y0 + (y1 - y0) * t / 5;
		fprintf(
		    fp,
		    "<line x1=\"%.1f\" y1=\"%.0f\" x2=\"%.1f\" y2=\"%.0f\" stroke=\"#eeeeee\"/>",
		    SX(vx), T, SX(vx), H - B);
		fprintf(
		    fp,
		    "<text class=\"ax\" x=\"%.1f\" y=\"%.0f\" text-anchor=\"middle\">%s</text>\n",
		    SX(vx), H - B + 16, rpt_sig(b1, sizeof(b1), vx, 3));
		fprintf(
		    fp,
		    "<line x1=\"%.0f\" y1=\"%.1f\" x2=\"%.0f\" y2=\"%.1f\" stroke=\"#eeeeee\"/>", L,
		    SY(vy), W - R, SY(vy));
		fprintf(fp,
			"<text class=\"ax\" x=\"%.0f\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n",
			L - 6, SY(vy) + 4, rpt_sig(b1, sizeof(b1), vy, 3));
	}
	fprintf(fp,
		"<text class=\"ax\" x=\"%.0f\" y=\"%.0f\" text-anchor=\"middle\">Perf/W (steps per "
		"joule) &rarr;</text>"
		"<text class=\"ax\" x=\"14\" y=\"%.0f\" transform=\"rotate(-90 14 %.0f)\" "
		"text-anchor=\"middle\">"
		"Perf/$ (steps per dollar) &rarr;</text>\n",
		(L + W - R) / 2, H - 8, (T + H - B) / 2, (T + H - B) / 2);
	/* the front as a line through its points in Perf/W order */
	const struct tc_report_run **front = malloc((s->n_runs + 1) * sizeof(*front));
	size_t nf = 0;
	for (size_t i = 0; front && i < s->n_runs; i++)
		if (on_front(s, i))
			front[nf++] = &s->runs[i];
	if (front && nf > 1) {
		qsort(front, nf, sizeof(*front), front_cmp);
		fputs("<polyline fill=\"none\" stroke=\"#D55E00\" stroke-width=\"1.5\" "
		      "stroke-dasharray=\"4 3\" points=\"",
		      fp);
		for (size_t k = 0; k < nf; k++)
			fprintf(fp, "%.1f,%.1f ", SX(front[k]->steps_per_j),
				SY(front[k]->steps_per_usd));
		fputs("\"/>\n", fp);
	}
	free(front);
	for (int pass = 0; pass < 2; pass++) /* dominated points first, the front on top */
		for (size_t i = 0; i < s->n_runs; i++) {
			const struct tc_report_run *r = &s->runs[i];
			int f = on_front(s, i);
			if (!isfinite(r->steps_per_j) || !isfinite(r->steps_per_usd) || f != pass)
				continue;
			fprintf(fp,
				"<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%s\" fill=\"%s\" "
				"fill-opacity=\"%s\" stroke=\"#fff\"",
				SX(r->steps_per_j), SY(r->steps_per_usd), f ? "6" : "4.5",
				f ? "#D55E00" : "#56B4E9", f ? "1" : "0.75");
			snprintf(m, sizeof(m), "runs[%zu].pareto", i);
			rpt_metric(fp, m, f);
			fputc('>', fp);
			run_title(fp, r);
			fputs("</circle>\n", fp);
		}
#undef SX
#undef SY
	fputs("</svg>\n", fp);
	const char *labels[] = {"on the Pareto front", "dominated"},
		   *cols[] = {"#D55E00", "#56B4E9"};
	rpt_legend(fp, labels, cols, 2);
	fputs("<p class=\"note\">Up and right is better. A run is on the front when no other run "
	      "is at "
	      "least as good on both and better on one; hover a point for its "
	      "parameters.</p></section>\n",
	      fp);
}

static int by_speedup(const void *x, const void *y)
{
	const struct tc_report_run *a = *(const struct tc_report_run *const *)x,
				   *b = *(const struct tc_report_run *const *)y;
	double va = isfinite(a->speedup) ? a->speedup : -INFINITY,
	       vb = isfinite(b->speedup) ? b->speedup : -INFINITY;
	if (va != vb)
		return va > vb ? -1 : 1;
	return strcmp(a->label, b->label);
}

int tc_report_write_dashboard(FILE *fp, const struct tc_report_sweep *s, struct tc_err *err)
{
	if (!s->n_runs)
		return tc_err_set(err, TC_ENOTFOUND, "dashboard: the sweep has no results");
	static struct axis ax[MAX_KEYS];
	size_t nk = axes_of(s, ax);
	char title[300], b[4][48];
	snprintf(title, sizeof(title), "tracecast sweep: %s", s->title ? s->title : "");
	rpt_page_begin(fp, title);
	fputs("<h1>", fp);
	rpt_esc(fp, title);
	fprintf(fp, "</h1>\n<p class=\"sub\"><span");
	rpt_metric(fp, "runs", (double)s->n_runs);
	fprintf(fp, ">%zu</span> runs over %zu swept parameter(s)", s->n_runs, nk);
	for (size_t k = 0; k < nk; k++) {
		fputs(k ? ", " : ": ", fp);
		fputs("<code>", fp);
		rpt_esc(fp, ax[k].key);
		fprintf(fp, "</code> (%zu values)", ax[k].n);
	}
	fputs("</p>\n", fp);
	/* the best run on each figure */
	double best[4] = {NAN, NAN, NAN, NAN};
	for (size_t i = 0; i < s->n_runs; i++) {
		const struct tc_report_run *r = &s->runs[i];
		double v[4] = {r->speedup, -r->step_ns, r->steps_per_j, r->steps_per_usd};
		for (int k = 0; k < 4; k++)
			if (isfinite(v[k]) && !(v[k] <= best[k]))
				best[k] = v[k];
	}
	fputs("<div class=\"kpis\">", fp);
	static const char *const names[] = {"Best speedup", "Fastest step", "Best Perf/W",
					    "Best Perf/$"};
	static const char *const metrics[] = {"best.speedup", "best.step_ns", "best.steps_per_j",
					      "best.steps_per_usd"};
	for (int k = 0; k < 4; k++) {
		double v = k == 1 ? -best[k] : best[k];
		fprintf(fp, "<div class=\"kpi\"><div class=\"k\">%s</div><div class=\"v\"",
			names[k]);
		rpt_metric(fp, metrics[k], v);
		fprintf(fp, ">%s%s</div><div class=\"d\">%s</div></div>",
			k == 1 ? rpt_ns(b[k], v) : rpt_sig(b[k], 48, v, 3), k == 0 ? "&times;" : "",
			k == 2	 ? "steps/J"
			: k == 3 ? "steps/$"
				 : "");
	}
	fputs("</div>\n", fp);
	if (nk >= 2)
		heatmap(fp, s, &ax[0], &ax[1]);
	if (nk >= 1) {
		fputs("<section class=\"card\"><h2>Sensitivity: mean speedup for each "
		      "value</h2><div class=\"two\">\n",
		      fp);
		for (size_t k = 0; k < nk && k < 6; k++)
			sensitivity(fp, s, &ax[k], k);
		fputs("</div></section>\n", fp);
	}
	pareto(fp, s);
	/* the runs, best first */
	const struct tc_report_run **order = malloc(s->n_runs * sizeof(*order));
	if (!order)
		return tc_err_set(err, TC_ENOMEM, "dashboard: out of memory");
	for (size_t i = 0; i < s->n_runs; i++)
		order[i] = &s->runs[i];
	qsort(order, s->n_runs, sizeof(*order), by_speedup);
	size_t shown = TC_MIN(s->n_runs, (size_t)100);
	fprintf(
	    fp,
	    "<section class=\"card\"><h2>Runs%s</h2><table><thead><tr><th class=\"l\">run</th>"
	    "<th "
	    "class=\"l\">parameters</th><th>step</th><th>speedup</th><th>Perf/W</th><th>Perf/$</th>"
	    "</tr></thead><tbody>\n",
	    shown < s->n_runs ? " (the 100 fastest)" : "");
	for (size_t i = 0; i < shown; i++) {
		const struct tc_report_run *r = order[i];
		fputs("<tr><td class=\"l\">", fp);
		rpt_esc(fp, r->label);
		fputs("</td><td class=\"l\"><code>", fp);
		for (size_t p = 0; p < r->n_params; p++) {
			fputs(p ? " " : "", fp);
			rpt_esc(fp, r->params[p]);
		}
		fprintf(
		    fp, "</code></td><td>%s</td><td>%s&times;</td><td>%s</td><td>%s</td></tr>\n",
		    rpt_ns(b[0], r->step_ns), rpt_sig(b[1], 48, r->speedup, 3),
		    rpt_sig(b[2], 48, r->steps_per_j, 3), rpt_sig(b[3], 48, r->steps_per_usd, 3));
	}
	fputs("</tbody></table></section>\n", fp);
	free(order);
	rpt_page_end(fp);
	return ferror(fp) ? tc_err_set(err, TC_EIO, "dashboard: write failed") : 0;
}

/* html.c - HTML and SVG building blocks: escaping, number forms, the colour-blind-safe
 * palettes, the page frame with its inline CSS and self-check script, stacked bars, legends.
 * Nothing here reads the clock or pointers: the same call gives the same bytes. */
#include <math.h>
#include <string.h>

#include "hwmodel.h"
#include "replay.h"
#include "rpt_internal.h"

void rpt_esc(FILE *fp, const char *s)
{
	for (const char *p = s ? s : ""; *p; p++) {
		switch (*p) {
		case '&':
			fputs("&amp;", fp);
			break;
		case '<':
			fputs("&lt;", fp);
			break;
		case '>':
			fputs("&gt;", fp);
			break;
		case '"':
			fputs("&quot;", fp);
			break;
		case '\'':
			fputs("&#39;", fp);
			break;
		default:
			fputc(*p, fp);
		}
	}
}

void rpt_val(FILE *fp, double v)
{
	char b[64];
	fputs(isfinite(v) ? tc_fmt_double(b, sizeof(b), v) : "nan", fp);
}

void rpt_metric(FILE *fp, const char *metric, double v)
{
	if (!metric)
		return;
	fputs(" data-metric=\"", fp);
	rpt_esc(fp, metric);
	fputs("\" data-value=\"", fp);
	rpt_val(fp, v);
	fputc('"', fp);
}

const char *rpt_ns(char *buf, double ns)
{
	if (!isfinite(ns))
		return "-";
	return tc_fmt_ns(buf, 32, ns);
}

const char *rpt_sig(char *buf, size_t n, double v, int sig)
{
	if (!isfinite(v))
		return "-";
	double a = fabs(v);
	int prec = 0;
	if (a > 0) {
		int mag = (int)floor(log10(a)) + 1; /* digits before the point */
		prec = sig - mag;
		if (prec < 0)
			prec = 0;
		if (prec > 9)
			prec = 9;
	}
	return tc_fmt_fixed(buf, n, v, prec);
}

/* ---- palettes ------------------------------------------------------------------------------ */

/* Okabe & Ito (2008): distinguishable under the common colour-vision deficiencies. */
#define OI_BLACK "#000000"
#define OI_ORANGE "#E69F00"
#define OI_SKY "#56B4E9"
#define OI_GREEN "#009E73"
#define OI_YELLOW "#F0E442"
#define OI_BLUE "#0072B2"
#define OI_VERMILION "#D55E00"
#define OI_PURPLE "#CC79A7"
#define GREY "#BBBBBB"

/* Colours keyed by the enums; a page looks a name up through hwmodel's and proto's own names
 * (tc_bound_name, tc_class_name), so no enum name is copied here as a string. */
static const char *const bound_colour[TC_BOUND__COUNT] = {
    [TC_BOUND_COMPUTE] = OI_BLUE,     [TC_BOUND_MEMORY] = OI_ORANGE, [TC_BOUND_COMM] = OI_PURPLE,
    [TC_BOUND_LAUNCH] = OI_VERMILION, [TC_BOUND_HOST] = OI_SKY,	     [TC_BOUND_IDLE] = GREY,
};

/* the eight Okabe-Ito hues first (the classes that usually dominate), then Tol's muted
 * scheme, which is also colour-blind safe, for the rest */
static const char *const class_colour[TC_CLASS__COUNT] = {
    [TC_CLASS_GEMM] = OI_BLUE,		 [TC_CLASS_CONV] = OI_SKY,
    [TC_CLASS_ATTENTION] = OI_VERMILION, [TC_CLASS_ELEMENTWISE] = OI_ORANGE,
    [TC_CLASS_REDUCTION] = OI_YELLOW,	 [TC_CLASS_NORM] = OI_GREEN,
    [TC_CLASS_SOFTMAX] = OI_PURPLE,	 [TC_CLASS_COLLECTIVE] = "#882255",
    [TC_CLASS_COPY] = "#999933",	 [TC_CLASS_EMBEDDING] = "#332288",
    [TC_CLASS_MEMSET] = "#DDCC77",	 [TC_CLASS_OPTIMIZER] = "#44AA99",
    [TC_CLASS_HOST] = "#88CCEE",	 [TC_CLASS_OTHER] = "#999999",
};
#define NO_COLOUR "#777777"

const char *rpt_bound_colour(const char *b)
{
	for (unsigned i = 0; b && i < TC_BOUND__COUNT; i++)
		if (strcmp(b, tc_bound_name(i)) == 0)
			return bound_colour[i];
	return NO_COLOUR;
}

const char *rpt_class_colour(const char *c)
{
	for (unsigned i = 0; c && i < TC_CLASS__COUNT; i++)
		if (strcmp(c, tc_class_name(i)) == 0)
			return class_colour[i];
	/* the critical path's share that is no class (replay.h) */
	if (c && strcmp(c, TC_REPLAY_CP_HOST_LATENCY) == 0)
		return "#DDDDDD";
	return NO_COLOUR;
}

const char *rpt_ink(const char *fill)
{
	/* relative luminance of #RRGGBB, sRGB approximated by squares: good enough to pick
	 * black or white text */
	unsigned rgb = 0;
	if (!fill || fill[0] != '#' || sscanf(fill + 1, "%6x", &rgb) != 1)
		return "#000";
	double r = ((rgb >> 16) & 255) / 255.0, g = ((rgb >> 8) & 255) / 255.0,
	       b = (rgb & 255) / 255.0;
	double l = 0.2126 * r * r + 0.7152 * g * g + 0.0722 * b * b;
	return l > 0.22 ? "#000" : "#fff";
}

/* ---- page frame ------------------------------------------------------------------------------ */

static const char css[] =
    ":root{--ink:#1d1d1f;--muted:#5f6368;--line:#dadce0;--bg:#f6f7f9;--card:#fff}\n"
    "*{box-sizing:border-box}\n"
    "body{margin:0;background:var(--bg);color:var(--ink);"
    "font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,'DejaVu Sans',sans-serif}\n"
    "main{max-width:1080px;margin:0 auto;padding:20px 24px 40px}\n"
    "h1{font-size:22px;margin:6px 0 2px}h2{font-size:16px;margin:0 0 8px}\n"
    ".sub{color:var(--muted);margin:0 0 14px}\n"
    "section.card{background:var(--card);border:1px solid var(--line);border-radius:10px;"
    "padding:14px 18px;margin:14px 0}\n"
    ".note{color:var(--muted);font-size:12.5px;margin:4px 0 0}\n"
    ".kpis{display:grid;grid-template-columns:repeat(4,1fr);gap:12px;margin:12px 0}\n"
    ".kpi{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:12px "
    "14px}\n"
    ".kpi .k{color:var(--muted);font-size:12px;text-transform:uppercase;letter-spacing:.04em}\n"
    ".kpi .v{font-size:26px;font-weight:650;margin:2px 0}\n"
    ".kpi .d{font-size:12.5px;color:var(--muted)}\n"
    ".better{color:#0a7d4f}.worse{color:#b3261e}\n"
    "svg.chart{display:block;width:100%;height:auto;overflow:visible}\n"
    "svg text{font:12px system-ui,-apple-system,'Segoe UI',Roboto,'DejaVu "
    "Sans',sans-serif;fill:#1d1d1f}\n"
    "svg .ax{fill:var(--muted);font-size:11px}svg .in{font-size:11px}\n"
    "svg rect.seg:hover,svg circle:hover{stroke:#000;stroke-width:1.5}\n"
    ".legend{display:flex;flex-wrap:wrap;gap:4px 14px;margin:6px 0 0;font-size:12.5px}\n"
    ".legend span{display:inline-flex;align-items:center;gap:5px}\n"
    ".legend i{display:inline-block;width:12px;height:12px;border-radius:2px;"
    "border:1px solid rgba(0,0,0,.25)}\n"
    "table{border-collapse:collapse;width:100%;font-size:12.5px}\n"
    "th,td{padding:4px 8px;border-bottom:1px solid "
    "var(--line);text-align:right;white-space:nowrap}\n"
    "th{color:var(--muted);font-weight:600}\n"
    "td.l,th.l{text-align:left;white-space:normal;word-break:break-all}\n"
    "td.t,th.t{text-align:left}\n"
    ".two{display:grid;grid-template-columns:1fr 1fr;gap:14px}\n"
    "footer{color:var(--muted);font-size:12px;margin-top:18px}\n"
    "code{font-size:12px}\n"
    "@media (max-width:760px){.kpis{grid-template-columns:1fr "
    "1fr}.two{grid-template-columns:1fr}}\n"
    "@media print{body{background:#fff}section.card{break-inside:avoid}}\n";

/* Errors are caught from the first script on; the check at the end of the body counts the
 * charts that laid out with a non-empty box and at least one visible shape. */
static const char head_script[] =
    "<script>window.tcErrors=[];window.addEventListener('error',function(e){"
    "window.tcErrors.push(String(e.message||e));});(function(){var ce=console.error;"
    "console.error=function(){window.tcErrors.push(Array.prototype.join.call(arguments,' '));"
    "return ce.apply(console,arguments);};})();</script>\n";

static const char check_script[] =
    "<script>(function(){function check(){var s=document.querySelectorAll('svg.chart'),ok=0;"
    "for(var i=0;i<s.length;i++){var b=s[i].getBoundingClientRect(),"
    "sh=s[i].querySelectorAll('rect,circle,path,line,polyline'),drawn=0;"
    "for(var j=0;j<sh.length&&!drawn;j++){var r=sh[j].getBoundingClientRect();"
    "if(r.width>0||r.height>0)drawn=1;}if(b.width>0&&b.height>0&&drawn)ok++;}"
    "var el=document.getElementById('tc-selfcheck');el.setAttribute('data-charts',s.length);"
    "el.setAttribute('data-rendered',ok);el.setAttribute('data-errors',window.tcErrors.length);"
    "el.textContent=window.tcErrors.join(' | "
    "');}check();window.addEventListener('load',check);})();"
    "</script>\n";

void rpt_page_begin(FILE *fp, const char *title)
{
	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	      "<meta name=\"generator\" content=\"tracecast " TC_VERSION "\">\n<title>",
	      fp);
	rpt_esc(fp, title);
	fprintf(fp, "</title>\n<style>\n%s</style>\n%s</head>\n<body>\n<main>\n", css, head_script);
}

void rpt_page_end(FILE *fp)
{
	fputs("<footer>Made by tracecast " TC_VERSION ". Self-contained: no scripts or fonts are "
	      "loaded from the network; hover a bar or point for its figures.</footer>\n"
	      "</main>\n<div id=\"tc-selfcheck\" hidden></div>\n",
	      fp);
	fputs(check_script, fp);
	fputs("</body>\n</html>\n", fp);
}

/* ---- charts ---------------------------------------------------------------------------------- */

/* A round axis step for max over about n ticks: 1, 2 or 5 times a power of ten. */
double rpt_nice_step(double max, int n)
{
	if (!(max > 0))
		return 1;
	double raw = max / n, p = pow(10, floor(log10(raw))), f = raw / p;
	return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * p;
}

const char *rpt_ns_axis(char *b, double v, double max)
{
	static const struct {
		double div;
		const char *unit;
	} u[] = {{1e9, "s"}, {1e6, "ms"}, {1e3, "us"}, {1, "ns"}};
	size_t i = 0;
	while (i + 1 < TC_ARRAY_LEN(u) && max < u[i].div)
		i++;
	char t[32];
	tc_fmt_fixed(t, sizeof(t), v / u[i].div, 2);
	/* 50.00 -> 50, 2.50 -> 2.5: tick labels stay short */
	char *dot = strchr(t, '.');
	if (dot) {
		char *e = t + strlen(t) - 1;
		while (e > dot && *e == '0')
			*e-- = 0;
		if (e == dot)
			*e = 0;
	}
	snprintf(b, 48, "%s %s", t, u[i].unit);
	return b;
}

static const char *fmt_value(char *b, double v, int ns, const char *unit)
{
	if (ns)
		return rpt_ns(b, v);
	char t[32];
	snprintf(b, 48, "%s%s%s", rpt_sig(t, sizeof(t), v, 3), unit ? " " : "", unit ? unit : "");
	return b;
}

void rpt_stacked(FILE *fp, const struct rpt_stack *st)
{
	const double W = 960, LABEL = 150, TAIL = 90, ROW = 30, GAP = 12, TOP = 6, AXIS = 22;
	double plot = W - LABEL - TAIL, max = 0;
	for (size_t r = 0; r < st->n_rows; r++) {
		double tot = 0;
		for (size_t s = 0; s < st->n_series; s++) {
			double v = st->values[r * st->n_series + s];
			tot += isfinite(v) && v > 0 ? v : 0;
		}
		max = TC_MAX(max, tot);
	}
	double step = rpt_nice_step(max, 5), axis_max = max > 0 ? ceil(max / step) * step : 1;
	double H = TOP + st->n_rows * (ROW + GAP) + AXIS;
	char b1[64], b2[64];
	fprintf(fp, "<svg class=\"chart\" id=\"%s\" viewBox=\"0 0 %.0f %.0f\" role=\"img\">\n",
		st->id, W, H);
	/* grid and axis */
	for (double t = 0; t <= axis_max + step / 2; t += step) {
		double x = LABEL + plot * t / axis_max;
		fprintf(
		    fp,
		    "<line x1=\"%.1f\" y1=\"%.0f\" x2=\"%.1f\" y2=\"%.0f\" stroke=\"#e6e6e6\"/>"
		    "<text class=\"ax\" x=\"%.1f\" y=\"%.0f\" text-anchor=\"middle\">%s</text>\n",
		    x, TOP - 2, x, H - AXIS + 2, x, H - 6,
		    st->ns ? rpt_ns_axis(b1, t, axis_max) : fmt_value(b1, t, 0, st->unit));
	}
	for (size_t r = 0; r < st->n_rows; r++) {
		double y = TOP + r * (ROW + GAP), x = LABEL, tot = 0;
		fprintf(fp, "<text x=\"%.0f\" y=\"%.1f\" text-anchor=\"end\">", LABEL - 8,
			y + ROW / 2 + 4);
		rpt_esc(fp, st->rows[r]);
		fputs("</text>\n", fp);
		for (size_t s = 0; s < st->n_series; s++)
			tot += isfinite(st->values[r * st->n_series + s]) &&
				       st->values[r * st->n_series + s] > 0
				   ? st->values[r * st->n_series + s]
				   : 0;
		for (size_t s = 0; s < st->n_series; s++) {
			double v = st->values[r * st->n_series + s];
			if (!isfinite(v) || v <= 0)
				continue;
			double w = plot * v / axis_max;
			fprintf(fp,
				"<rect class=\"seg\" x=\"%.2f\" y=\"%.1f\" width=\"%.2f\" "
				"height=\"%.0f\" fill=\"%s\"",
				x, y, w, ROW, st->colours[s]);
			rpt_metric(fp, st->metrics ? st->metrics[r * st->n_series + s] : NULL, v);
			fputs("><title>", fp);
			rpt_esc(fp, st->rows[r]);
			fputs(" · ", fp);
			rpt_esc(fp, st->series[s]);
			fprintf(fp, ": %s (%s%%)</title></rect>\n",
				fmt_value(b1, v, st->ns, st->unit),
				rpt_sig(b2, sizeof(b2), tot > 0 ? 100 * v / tot : 0, 3));
			/* a label inside when it fits: colour is never the only cue */
			size_t len = strlen(st->series[s]);
			if (w > 7.0 * (double)len + 10) {
				const char *ink = rpt_ink(st->colours[s]);
				fprintf(
				    fp,
				    "<text class=\"in\" x=\"%.2f\" y=\"%.1f\" style=\"fill:%s\" "
				    "pointer-events=\"none\">",
				    x + 5, y + ROW / 2 + 4, ink);
				rpt_esc(fp, st->series[s]);
				fputs("</text>\n", fp);
			}
			x += w;
		}
		fprintf(fp, "<text x=\"%.2f\" y=\"%.1f\">%s</text>\n", x + 6, y + ROW / 2 + 4,
			fmt_value(b1, tot, st->ns, st->unit));
	}
	fputs("</svg>\n", fp);
}

void rpt_legend(FILE *fp, const char *const *labels, const char *const *colours, size_t n)
{
	fputs("<div class=\"legend\">", fp);
	for (size_t i = 0; i < n; i++) {
		fprintf(fp, "<span><i style=\"background:%s\"></i>", colours[i]);
		rpt_esc(fp, labels[i]);
		fputs("</span>", fp);
	}
	fputs("</div>\n", fp);
}

/* The projection page says what the JSON says: every data-metric/data-value pair in the HTML
 * is resolved against the hand-written fixture and must equal it exactly; the expected
 * element counts are worked out from the fixture by hand. */
#include <criterion/criterion.h>
#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "pagecheck.h"
#include "report.h"

static json_t *fixture(void)
{
	json_error_t e;
	json_t *j = json_loads(fixture_projection, 0, &e);
	cr_assert_not_null(j, "fixture: %s", e.text);
	return j;
}

static char *render(const json_t *doc, const struct tc_report_timeline *t)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);
	struct tc_err err = TC_ERR_INIT;
	const json_t *docs[1] = {doc};
	const struct tc_report_timeline *tls[1] = {t};
	cr_assert_eq(tc_report_write_html(fp, docs, tls, 1, NULL, &err), 0, "%s", err.msg);
	fclose(fp);
	return buf;
}

Test(report_html, every_figure_equals_the_json)
{
	json_t *doc = fixture();
	char *html = render(doc, NULL);
	static struct metric m[512];
	size_t n = metrics(html, m, 512);
	cr_assert_gt(n, 0);
	for (size_t i = 0; i < n; i++) {
		const json_t *v = resolve(doc, m[i].name);
		cr_assert(json_is_number(v), "metric %s is not a number in the JSON", m[i].name);
		cr_expect_eq(m[i].value, json_number_value(v), "%s: page %.17g, JSON %.17g",
			     m[i].name, m[i].value, json_number_value(v));
	}
	/* the headline: step time both sides, speedup, Perf/W and Perf/$ both sides */
	static const char *const head[] = {"summary.projected_step_ns",
					   "summary.source_step_ns",
					   "summary.speedup",
					   "summary.projected_steps_per_j",
					   "summary.source_steps_per_j",
					   "summary.projected_steps_per_usd",
					   "summary.source_steps_per_usd"};
	for (size_t i = 0; i < TC_ARRAY_LEN(head); i++)
		cr_expect_eq(count_prefix(m, n, head[i]), 1, "%s shown once", head[i]);
	/* bound bars: compute, memory, host, idle are non-zero on each side (comm, launch are 0
	 * and draw nothing): 4 + 4 */
	cr_expect_eq(count_prefix(m, n, "by_bound."), 8);
	/* class bars 3 x 2 sides, plus count and speedup cells of the table 3 x 2 */
	cr_expect_eq(count_prefix(m, n, "by_class["), 12);
	/* critical path: length, gpu ops, two class segments */
	cr_expect_eq(count_prefix(m, n, "critical_path."), 4);
	/* three changed ops, two bars each */
	cr_expect_eq(count_prefix(m, n, "top_ops.by_change["), 6);
	/* two steps, step time on both sides */
	cr_expect_eq(count_prefix(m, n, "steps["), 4);
	/* one non-zero numeric warning */
	cr_expect_eq(count_prefix(m, n, "warnings."), 1);
	/* four charts without a timeline: bound, class, critical path, changed ops */
	cr_expect_eq(count_str(html, "<svg class=\"chart\""), 4);
	free(html);
	json_decref(doc);
}

Test(report_html, names_are_escaped_and_the_page_is_self_contained)
{
	json_t *doc = fixture();
	char *html = render(doc, NULL);
	/* the kernel name void add<float, 4>&"x" never reaches the page raw */
	cr_expect_null(strstr(html, "add<float"));
	cr_expect_not_null(strstr(html, "void add&lt;float, 4&gt;&amp;&quot;x&quot;"));
	cr_expect_not_null(strstr(html, "run&lt;1&gt;.json"));
	/* nothing is fetched: no URLs, no external resources */
	cr_expect_null(strstr(html, "http:"));
	cr_expect_null(strstr(html, "https:"));
	cr_expect_null(strstr(html, " src="));
	cr_expect_null(strstr(html, " href="));
	cr_expect_not_null(strstr(html, "<style>"));
	cr_expect_not_null(strstr(html, "id=\"tc-selfcheck\""));
	/* the override is shown */
	cr_expect_not_null(strstr(html, "memory.hbm.bw_gbs=4000"));
	free(html);
	json_decref(doc);
}

Test(report_html, same_input_same_bytes)
{
	json_t *doc = fixture();
	char *a = render(doc, NULL), *b = render(doc, NULL);
	cr_expect_str_eq(a, b);
	free(a);
	free(b);
	json_decref(doc);
}

Test(report_html, other_documents_are_refused)
{
	json_error_t e;
	json_t *doc = json_loads("{\"schema\": \"tracecast.diff\", \"schema_version\": 1}", 0, &e);
	const json_t *docs[1] = {doc};
	struct tc_err err = TC_ERR_INIT;
	FILE *fp = fopen("/dev/null", "w");
	cr_assert_eq(tc_report_write_html(fp, docs, NULL, 1, NULL, &err), TC_EFORMAT);
	cr_expect_not_null(strstr(err.msg, "document 0"), "%s", err.msg);
	cr_expect_not_null(strstr(err.msg, "tracecast.diff"), "%s", err.msg);
	json_decref(doc);
	doc = json_loads(
	    "{\"schema\": \"tracecast.projection\", \"schema_version\": 2, \"summary\": {}}", 0,
	    &e);
	docs[0] = doc;
	cr_assert_eq(tc_report_write_html(fp, docs, NULL, 1, NULL, &err), TC_EVERSION);
	fclose(fp);
	json_decref(doc);
}

/* A strip built by hand: 2 lanes; on the source side a gemm 0-4 ms on lane 0 and two
 * elementwise ops 1000 ns apart on lane 1 (far below a pixel at 10 ms over ~800 px:
 * drawn as one bar of "2 elementwise ops"); on the projected side one gemm 0-2 ms. */
Test(report_html, timeline_strip)
{
	json_t *doc = fixture();
	struct tc_report_timeline t;
	memset(&t, 0, sizeof(t));
	char *lanes[] = {(char *)"stream 7", (char *)"stream <13>"};
	char *names[] = {(char *)"sgemm", (char *)"add"};
	struct tc_report_span src[] = {
	    {0, 4000000, 0, 0, 1, 6},
	    {5000000, 5000500, 1, 1, 4, 6},
	    {5001500, 5002000, 1, 1, 4, 6},
	};
	struct tc_report_span prj[] = {{0, 2000000, 0, 0, 1, 0}};
	t.step_name = (char *)"ProfilerStep#1";
	t.n_lanes = 2;
	t.lanes = lanes;
	t.n_names = 2;
	t.names = names;
	t.side[0] = (struct tc_report_strip){10000000, 3, src};
	t.side[1] = (struct tc_report_strip){5000000, 1, prj};
	char *html = render(doc, &t);
	const char *tl = strstr(html, "-timeline\"");
	cr_assert_not_null(tl);
	const char *end = strstr(tl, "</svg>");
	char *svg = strndup(tl, (size_t)(end - tl));
	/* 2 lane backgrounds + gemm + merged elementwise (source) + gemm (projected) */
	cr_expect_eq(count_str(svg, "<rect"), 5, "%s", svg);
	cr_expect_not_null(strstr(svg, "2 elementwise ops"));
	cr_expect_not_null(strstr(svg, "stream &lt;13&gt;"));
	/* projected gemm has its bound; source spans do not */
	cr_expect_eq(count_str(svg, "compute-bound"), 1);
	static struct metric m[512];
	size_t n = metrics(html, m, 512);
	int seen = 0;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(m[i].name, "timeline.source_ns") == 0) {
			seen |= 1;
			cr_expect_eq(m[i].value, 10000000);
		}
		if (strcmp(m[i].name, "timeline.projected_ns") == 0) {
			seen |= 2;
			cr_expect_eq(m[i].value, 5000000);
		}
	}
	cr_expect_eq(seen, 3);
	cr_expect_eq(count_str(html, "<svg class=\"chart\""), 5);
	free(svg);
	free(html);
	json_decref(doc);
}

Test(report_html, scale_out_layout_card)
{
	/* a scale-out what-if: both layouts' world sizes, and per group kind with ops its
	 * projected and exposed communication (dp only here): 4 metrics, each equal to the JSON */
	json_t *doc = fixture();
	json_error_t e;
	json_t *L = json_loads(
	    "{\"source\": {\"world\": 8, \"dp\": 8, \"tp\": 1, \"pp\": 1, \"ep\": 1},"
	    " \"target\": {\"world\": 1024, \"dp\": 1024, \"tp\": 1, \"pp\": 1, \"ep\": 1},"
	    " \"compute_factor\": 1, \"traced_ranks\": 8, \"synthesised_ranks\": 1016,"
	    " \"stragglers\": [], \"jitter\": 0, \"seed\": 1, \"rank_chips\": [],"
	    " \"comm_by_group\": {\"dp\": {\"ops\": 64, \"projected_ns\": 50719329,"
	    " \"exposed_ns\": 49092868, \"share\": 0.39}, \"tp\": {\"ops\": 0, \"projected_ns\": 0,"
	    " \"exposed_ns\": 0, \"share\": 0}}}",
	    0, &e);
	cr_assert_not_null(L, "%s", e.text);
	json_object_set_new(doc, "layout", L);
	char *html = render(doc, NULL);
	static struct metric m[512];
	size_t n = metrics(html, m, 512);
	cr_expect_eq(count_prefix(m, n, "layout."), 4);
	for (size_t i = 0; i < n; i++) {
		const json_t *v = resolve(doc, m[i].name);
		cr_assert(json_is_number(v), "metric %s is not a number in the JSON", m[i].name);
		cr_expect_eq(m[i].value, json_number_value(v), "%s", m[i].name);
	}
	cr_expect_eq(count_str(html, "<h2>Layout</h2>"), 1);
	cr_expect(strstr(html, "1016") != NULL, "synthesised ranks shown");
	free(html);
	json_decref(doc);
}

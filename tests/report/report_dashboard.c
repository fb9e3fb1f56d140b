/* The sweep dashboard from a hand-made list of runs: heat-map cells, sensitivity points and
 * the Pareto front are worked out by hand below and read back from the page. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pagecheck.h"
#include "report.h"

/* run  a  b  speedup  steps/J  steps/$
 *  0   1  x     1        1        4     front (best $)
 *  1   2  x     2        2        3     front
 *  2   1  y     3        3        1     front (best W)
 *  3   2  y     5        1        1     dominated by 0, 1 and 2
 * sensitivity: a=1 -> (1+3)/2 = 2, a=2 -> (2+5)/2 = 3.5; b=x -> 1.5, b=y -> 4 */
static const char *const p0[] = {"a=1", "b=x"}, *const p1[] = {"a=2", "b=x"},
			 *const p2[] = {"a=1", "b=y"}, *const p3[] = {"a=2", "b=y"};
static const struct tc_report_run runs[] = {
    {"r0", p0, 2, 1000, 1, 1, 4},
    {"r1", p1, 2, 500, 2, 2, 3},
    {"r2", p2, 2, 333, 3, 3, 1},
    {"r3", p3, 2, 200, 5, 1, 1},
};

static char *render(void)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);
	struct tc_report_sweep s = {"test", runs, 4};
	struct tc_err err = TC_ERR_INIT;
	cr_assert_eq(tc_report_write_dashboard(fp, &s, &err), 0, "%s", err.msg);
	fclose(fp);
	return buf;
}

static double get(const struct metric *m, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(m[i].name, name) == 0)
			return m[i].value;
	cr_assert_fail("no metric %s", name);
	return NAN;
}

Test(report_dashboard, heat_map_sensitivity_and_pareto)
{
	char *html = render();
	static struct metric m[256];
	size_t n = metrics(html, m, 256);
	cr_expect_eq(get(m, n, "heat[1][x]"), 1);
	cr_expect_eq(get(m, n, "heat[2][x]"), 2);
	cr_expect_eq(get(m, n, "heat[1][y]"), 3);
	cr_expect_eq(get(m, n, "heat[2][y]"), 5);
	cr_expect_eq(get(m, n, "sens[a][1]"), 2);
	cr_expect_eq(get(m, n, "sens[a][2]"), 3.5);
	cr_expect_eq(get(m, n, "sens[b][x]"), 1.5);
	cr_expect_eq(get(m, n, "sens[b][y]"), 4);
	cr_expect_eq(get(m, n, "runs[0].pareto"), 1);
	cr_expect_eq(get(m, n, "runs[1].pareto"), 1);
	cr_expect_eq(get(m, n, "runs[2].pareto"), 1);
	cr_expect_eq(get(m, n, "runs[3].pareto"), 0);
	cr_expect_eq(get(m, n, "best.speedup"), 5);
	cr_expect_eq(get(m, n, "best.step_ns"), 200);
	cr_expect_eq(get(m, n, "best.steps_per_j"), 3);
	cr_expect_eq(get(m, n, "best.steps_per_usd"), 4);
	/* heat map, two sensitivity charts, the Pareto chart */
	cr_expect_eq(count_str(html, "<svg class=\"chart\""), 4);
	/* every point has a hover tooltip naming its parameters */
	cr_expect_not_null(strstr(html, "<title>r3\na=2\nb=y\n"));
	free(html);
}

Test(report_dashboard, empty_sweep_is_an_error)
{
	struct tc_report_sweep s = {"empty", runs, 0};
	struct tc_err err = TC_ERR_INIT;
	FILE *fp = fopen("/dev/null", "w");
	cr_expect_eq(tc_report_write_dashboard(fp, &s, &err), TC_ENOTFOUND);
	fclose(fp);
}

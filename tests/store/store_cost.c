/* store_cost.c - Perf/$ and Perf/W of a sweep follow the chip (issue 18): a sweep over memory
 * capacity and rent gives one Perf/$ per point, in the ratio docs/hwmodel.md §5 gives
 * (capacity moves the price by its share, rent divides it); --sensitivity shows Perf/W and
 * Perf/$ moving with the swept key, under the key's short form or in full. */
#include <math.h>

#include "store_e2e.h"

TestSuite(store_cost, .init = e2e_setup, .fini = e2e_teardown, .timeout = 600);

/* The one number in column col of the CSV line that starts with prefix. */
static double csv_col(const char *csv, const char *prefix, int col)
{
	char want[128];
	snprintf(want, sizeof(want), "\n%s", prefix);
	const char *p = strstr(csv, want);
	cr_assert_not_null(p, "no line %s in\n%s", prefix, csv);
	p++;
	for (int i = 0; i < col; i++) {
		p = strchr(p, ',');
		cr_assert_not_null(p);
		p++;
	}
	return strtod(p, NULL);
}

Test(store_cost, perf_per_dollar_follows_memory_and_rent)
{
	int rc =
	    tc_run("sweep --traces sample.tcs --base h100 --grid memory.hbm.capacity_gb=80,160 "
		   "--grid cost.rent_usd_per_hour=2,4 --db r.db --jobs 1");
	cr_assert_eq(rc, 0, "%s", e2e_errout);
	rc =
	    tc_run("query r.db --sql \"SELECT json_extract(c.overrides, "
		   "'$.\\\"memory.hbm.capacity_gb\\\"') "
		   "|| '/' || json_extract(c.overrides, '$.\\\"cost.rent_usd_per_hour\\\"') AS k, "
		   "r.perf_per_dollar, r.step_ns FROM results r JOIN configs c USING (config_hash) "
		   "ORDER BY k\" --csv");
	cr_assert_eq(rc, 0, "%s", e2e_errout);
	double p80_2 = csv_col(e2e_out, "80/2,", 1), p80_4 = csv_col(e2e_out, "80/4,", 1);
	double p160_2 = csv_col(e2e_out, "160/2,", 1), p160_4 = csv_col(e2e_out, "160/4,", 1);
	/* capacity does not change the step, only the price: 1 + 0.25 x (160/80 - 1) */
	cr_assert_eq(csv_col(e2e_out, "80/2,", 2), csv_col(e2e_out, "160/2,", 2));
	cr_assert_float_eq(p80_2 / p160_2, 1.25, 1e-9, "%s", e2e_out);
	cr_assert_float_eq(p80_4 / p160_4, 1.25, 1e-9, "%s", e2e_out);
	cr_assert_float_eq(p80_2 / p80_4, 2.0, 1e-9, "%s", e2e_out);
	/* hw show says what such a chip costs */
	rc = tc_run("hw show h100 --set memory.hbm.capacity_gb=160");
	cr_assert_eq(rc, 0, "%s", e2e_errout);
	cr_assert(strstr(e2e_out, "\nderived cost (x1.2500:"), "%s", e2e_out);
	cr_assert(strstr(e2e_out, "\npurchase_usd                             34375\n"), "%s",
		  e2e_out);
	cr_assert(strstr(e2e_out, "\nrent_usd_per_hour                        6.145\n"), "%s",
		  e2e_out);
	/* four points, four Perf/$ values */
	rc = tc_run(
	    "query r.db --sql \"SELECT count(DISTINCT perf_per_dollar) AS n FROM results\" --csv");
	cr_assert_eq(rc, 0, "%s", e2e_errout);
	cr_assert_str_eq(e2e_out, "n\n4\n");
	/* the sensitivity to capacity: Perf/$ moves, Perf/W does not */
	rc = tc_run("query r.db --sensitivity memory.hbm.capacity_gb --csv");
	cr_assert_eq(rc, 0, "%s", e2e_errout);
	cr_assert(strstr(e2e_out, "mean_perf_per_watt,mean_perf_per_dollar\n"), "%s", e2e_out);
	cr_assert_eq(csv_col(e2e_out, "sample.tcs,80,", 7), csv_col(e2e_out, "sample.tcs,160,", 7));
	cr_assert_float_eq(csv_col(e2e_out, "sample.tcs,80,", 8) /
			       csv_col(e2e_out, "sample.tcs,160,", 8),
			   1.25, 1e-9, "%s", e2e_out);
}

Test(store_cost, sensitivity_moves_with_compute_in_short_and_full_form)
{
	/* swept under the short key: the query takes either form */
	int rc = tc_run("sweep --traces sample.tcs --base h100 --grid compute.bf16.tflops=400,800 "
			"--db r.db --jobs 1");
	cr_assert_eq(rc, 0, "%s", e2e_errout);
	const char *keys[] = {"compute.bf16.tflops", "compute.matrix.peak_tflops.bf16"};
	for (int i = 0; i < 2; i++) {
		rc = tc_run("query r.db --sensitivity %s --csv", keys[i]);
		cr_assert_eq(rc, 0, "%s: %s", keys[i], e2e_errout);
		double w4 = csv_col(e2e_out, "sample.tcs,400,", 7),
		       w8 = csv_col(e2e_out, "sample.tcs,800,", 7);
		double d4 = csv_col(e2e_out, "sample.tcs,400,", 8),
		       d8 = csv_col(e2e_out, "sample.tcs,800,", 8);
		cr_assert(w8 > w4, "Perf/W %g at 800 vs %g at 400", w8, w4);
		cr_assert(d4 != d8 && isfinite(d4) && isfinite(d8), "Perf/$ %g vs %g", d4, d8);
	}
}

Test(store_cost, energy_per_byte_moves_perf_per_watt_and_memo_reprices_it)
{
	/* only the power point differs: the memo re-prices the second point; it must equal a
	 * simulated one (--no-memo), and Perf/W must move with the energy per byte. A grid key
	 * must be in the base spec: an H100 that states its energies. */
	char spec[400];
	snprintf(spec, sizeof(spec), "%s/h100pj.json", e2e_dir);
	FILE *f = fopen(spec, "w");
	cr_assert_not_null(f);
	fputs("{\"inherits\": \"h100\", \"id\": \"h100pj\", \"power\": {\"pj_per_flop\": 0.5, "
	      "\"pj_per_byte\": 20}, \"sources\": {\"power\": \"test values\"}}",
	      f);
	fclose(f);
	int rc =
	    tc_run("sweep --traces sample.tcs --base ./h100pj.json --grid power.pj_per_byte=10,40 "
		   "--db r.db --jobs 1");
	cr_assert_eq(rc, 0, "%s", e2e_errout);
	rc = tc_run("sweep --traces sample.tcs --base ./h100pj.json --grid power.pj_per_byte=10,40 "
		    "--db n.db --jobs 1 --no-memo");
	cr_assert_eq(rc, 0, "%s", e2e_errout);
	char a[8192];
	rc = tc_run("query r.db --sensitivity power.pj_per_byte --csv");
	cr_assert_eq(rc, 0, "%s", e2e_errout);
	snprintf(a, sizeof(a), "%s", e2e_out);
	cr_assert(csv_col(a, "sample.tcs,10,", 7) > csv_col(a, "sample.tcs,40,", 7), "%s", a);
	rc = tc_run("query n.db --sensitivity power.pj_per_byte --csv");
	cr_assert_eq(rc, 0, "%s", e2e_errout);
	cr_assert_str_eq(a, e2e_out);
}

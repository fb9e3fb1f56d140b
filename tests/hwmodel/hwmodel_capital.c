/* hwmodel_capital.c - what a chip costs follows its spec (capital.c, docs/hwmodel.md §5): the
 * price and rent of a chip changed by --set or an inheriting what-if spec move with its
 * memory capacity, bandwidth and compute; a chip as published keeps its market figure bit for
 * bit; a spec without a price may ask for an estimate; utilisation spreads capital over the
 * hours that earn. Worked by hand on the round-number test chip (hw_test.h: $8766 over one
 * year = $1/h, 10 GB, 1000 GB/s, 100 bf16 TFLOP/s). */
#include <math.h>

#include "hw_test.h"

#define NEAR(got, want)                                                                            \
	cr_assert_float_eq((got), (want), fabs(want) * 1e-9 + 1e-9, "%.9g vs %.9g", (double)(got), \
			   (double)(want))

HWT_TCHIP_FIXTURE

TestSuite(capital, .init = setup, .fini = teardown);

Test(capital, as_published_the_price_is_unchanged)
{
	struct tc_chip *c = hwt_load(NULL, g_path, NULL, 0);
	cr_assert_eq(tc_chip_price_factor(c), 1.0);
	cr_assert_eq(tc_chip_purchase_usd(c), 8766.0);
	cr_assert(isnan(tc_chip_rent_usd_h(c)));
	/* $1/h of capital + 1 kWh x $0.1 x PUE 1.5 */
	NEAR(tc_chip_dollars(c, 3600e9, 3.6e6), 1.15);
	/* a --set that leaves the priced figures as they are is the same chip */
	const char *same[] = {"memory.hbm.capacity_gb=10", "power.tdp_w=400"};
	struct tc_chip *s = hwt_load(NULL, g_path, same, 2);
	cr_assert_eq(tc_chip_price_factor(s), 1.0);
	tc_chip_free(c);
	tc_chip_free(s);
}

Test(capital, price_and_rent_follow_memory_bandwidth_and_compute)
{
	/* twice the memory: 1 + 0.25 x (20/10 - 1) = 1.25 */
	const char *mem[] = {"memory.hbm.capacity_gb=20"};
	struct tc_chip *m = hwt_load(NULL, g_path, mem, 1);
	NEAR(tc_chip_price_factor(m), 1.25);
	NEAR(tc_chip_purchase_usd(m), 8766.0 * 1.25);
	NEAR(tc_chip_dollars(m, 3600e9, 0), 1.25);
	/* and twice the bandwidth and half the compute: 1 + 0.25 + 0.15 - 0.4 x 0.5 = 1.2 */
	const char *all[] = {"memory.hbm.capacity_gb=20", "memory.hbm.bw_gbs=2000",
			     "compute.bf16.tflops=50"};
	struct tc_chip *a = hwt_load(NULL, g_path, all, 3);
	NEAR(tc_chip_price_factor(a), 1.2);
	/* rent moves by the same factor: 2 $/h x 1.25 for an hour */
	const char *rent[] = {"cost.rent_usd_per_hour=2", "memory.hbm.capacity_gb=20"};
	struct tc_chip *r = hwt_load(NULL, g_path, rent, 2);
	NEAR(tc_chip_rent_usd_h(r), 2.5);
	NEAR(tc_chip_dollars(r, 3600e9, 3.6e6), 2.5);
	tc_chip_free(m);
	tc_chip_free(a);
	tc_chip_free(r);
}

Test(capital, an_inheriting_what_if_spec_is_priced_against_its_parent)
{
	char *child =
	    hwt_write(g_dir, "big.json",
		      "{\"inherits\": \"tchip.json\", \"memory\": {\"hbm\": {\"capacity_gb\": 30}},"
		      " \"sources\": {\"memory.hbm\": \"what-if\"}}");
	struct tc_chip *c = hwt_load(NULL, child, NULL, 0);
	NEAR(tc_chip_price_factor(c), 1.5); /* 1 + 0.25 x (30/10 - 1) */
	/* a child that states its own price is priced as published */
	char *own =
	    hwt_write(g_dir, "own.json",
		      "{\"inherits\": \"tchip.json\", \"memory\": {\"hbm\": {\"capacity_gb\": 30}},"
		      " \"cost\": {\"purchase_usd\": 9000},"
		      " \"sources\": {\"memory.hbm\": \"what-if\"}}");
	struct tc_chip *o = hwt_load(NULL, own, NULL, 0);
	cr_assert_eq(tc_chip_price_factor(o), 1.0);
	cr_assert_eq(tc_chip_purchase_usd(o), 9000.0);
	tc_chip_free(c);
	tc_chip_free(o);
	free(child);
	free(own);
}

Test(capital, estimate_and_utilisation)
{
	/* no price: NaN, unless an estimate is asked for: $27,500 (H100 SXM) x
	 * (1 + 0.25 (10/80 - 1) + 0.15 (1000/3350 - 1) + 0.4 (100/989.4 - 1)) */
	char *np = hwt_write_mod(g_dir, "noprice.json", "cost.purchase_usd", NULL);
	struct tc_chip *n = hwt_load(NULL, np, NULL, 0);
	cr_assert(isnan(tc_chip_purchase_usd(n)));
	cr_assert_not(tc_chip_has_cost(n));
	cr_assert(isnan(tc_chip_dollars(n, 1e9, 0)));
	const char *est[] = {"cost.estimate_purchase=true"};
	struct tc_chip *e = hwt_load(NULL, np, est, 1);
	double f =
	    1 + 0.25 * (10.0 / 80 - 1) + 0.15 * (1000.0 / 3350 - 1) + 0.4 * (100 / 989.4 - 1);
	NEAR(tc_chip_purchase_usd(e), 27500 * f);
	cr_assert(tc_chip_has_cost(e));
	/* half the hours earn: the capital part of an hour doubles, energy does not */
	const char *half[] = {"cost.utilisation=0.5"};
	struct tc_chip *h = hwt_load(NULL, g_path, half, 1);
	NEAR(tc_chip_dollars(h, 3600e9, 3.6e6), 2.15);
	tc_chip_free(n);
	tc_chip_free(e);
	tc_chip_free(h);
	free(np);
}

Test(capital, energy_per_flop_and_byte_where_the_spec_gives_them)
{
	double busy[TC_BOUND__COUNT] = {0}, util[TC_BOUND__COUNT] = {0};
	util[TC_BOUND_COMPUTE] = 0.5e9;
	struct tc_chip *c = hwt_load(NULL, g_path, NULL, 0);
	/* not given: the utilisation model, 100 W x 1 s + 400 W x 0.5 s */
	NEAR(tc_chip_energy_ops_j(c, 1e9, busy, util, 1e12, 1e9), 300.0);
	/* 1 TFLOP at 10 pJ + 1 GB at 100 pJ: 10 J + 0.1 J over the 100 J idle */
	const char *pj[] = {"power.pj_per_flop=10", "power.pj_per_byte=100"};
	struct tc_chip *p = hwt_load(NULL, g_path, pj, 2);
	NEAR(tc_chip_energy_ops_j(p, 1e9, busy, util, 1e12, 1e9), 110.1);
	/* never above the board: 1000 TFLOP would be 10 kJ, capped at 400 W x 1 s */
	NEAR(tc_chip_energy_ops_j(p, 1e9, busy, util, 1e15, 0), 500.0);
	tc_chip_free(c);
	tc_chip_free(p);
}

/* power.c - energy from utilisation, dollars from rent or amortised purchase + energy, and
 * the Perf/W and Perf/$ figures built on them. docs/hwmodel.md "Power and cost". */
#include <math.h>
#include <string.h>

#include "hw_internal.h"

#define TC_HOURS_PER_YEAR 8766.0 /* 365.25 days */
#define TC_J_PER_KWH 3.6e6

const char *tc_bound_name(unsigned b)
{
	static const char *const names[] = {"compute", "memory", "comm", "launch", "host", "idle"};
	return b < TC_ARRAY_LEN(names) ? names[b] : "?";
}

double tc_chip_tdp_w(const struct tc_chip *chip)
{
	return chip->tdp_w;
}

double tc_chip_idle_w(const struct tc_chip *chip)
{
	return chip->idle_w;
}

double tc_chip_energy_j(const struct tc_chip *chip, double span_ns,
			const double busy_ns[TC_BOUND__COUNT],
			const double util_ns[TC_BOUND__COUNT])
{
	(void)busy_ns; /* the model is linear in utilisation; busy time alone adds nothing */
	double dyn = 0;
	for (int b = 0; b < TC_BOUND__COUNT; b++)
		dyn += util_ns ? util_ns[b] : 0;
	return chip->idle_w * span_ns * 1e-9 + (chip->tdp_w - chip->idle_w) * dyn * 1e-9;
}

double tc_chip_energy_ops_j(const struct tc_chip *chip, double span_ns,
			    const double busy_ns[TC_BOUND__COUNT],
			    const double util_ns[TC_BOUND__COUNT], double flops, double bytes)
{
	if (!(chip->pj_per_flop > 0) && !(chip->pj_per_byte > 0))
		return tc_chip_energy_j(chip, span_ns, busy_ns, util_ns);
	/* the work's own energy, never above what the board can draw over the span */
	double dyn = (flops * chip->pj_per_flop + bytes * chip->pj_per_byte) * 1e-12;
	double cap = (chip->tdp_w - chip->idle_w) * span_ns * 1e-9;
	return chip->idle_w * span_ns * 1e-9 + (dyn < cap ? dyn : cap);
}

int tc_chip_has_cost(const struct tc_chip *chip)
{
	return chip->rent_usd_h >= 0 || (chip->purchase_usd >= 0 && chip->usd_per_kwh >= 0);
}

/* Rent and price follow the chip (capital.c's factor, 1 for a chip as published); capital
 * is recovered over the hours the chip does paid work (lifetime x utilisation). */
double tc_chip_dollars(const struct tc_chip *chip, double span_ns, double energy_j)
{
	double hours = span_ns * 1e-9 / 3600.0;
	if (chip->rent_usd_h >= 0)
		return tc_chip_rent_usd_h(chip) * hours;
	if (chip->purchase_usd >= 0 && chip->usd_per_kwh >= 0)
		return tc_chip_purchase_usd(chip) /
			   (chip->lifetime_years * TC_HOURS_PER_YEAR * chip->utilisation) * hours +
		       energy_j / TC_J_PER_KWH * chip->usd_per_kwh * chip->pue;
	return NAN;
}

void tc_chip_perf(const struct tc_chip *chip, double step_ns, double energy_j, double tokens,
		  unsigned n_devices, struct tc_hw_perf *out)
{
	memset(out, 0, sizeof(*out));
	double n = n_devices ? (double)n_devices : 1.0;
	out->step_s = step_ns * 1e-9;
	out->steps_per_s = step_ns > 0 ? 1e9 / step_ns : 0;
	out->energy_j = energy_j * n;
	out->avg_power_w = out->step_s > 0 ? out->energy_j / out->step_s : 0;
	out->dollars = tc_chip_dollars(chip, step_ns, energy_j) * n;
	/* steps/s per W = steps per joule */
	out->steps_per_j = out->energy_j > 0 ? 1.0 / out->energy_j : 0;
	out->steps_per_usd = out->dollars > 0 ? 1.0 / out->dollars : NAN;
	/* tokens unknown (0) gives 0; a chip without cost data gives NaN per dollar */
	out->tokens_per_j = tokens > 0 && out->energy_j > 0 ? tokens / out->energy_j : 0;
	out->tokens_per_usd = !(tokens > 0) ? 0 : out->dollars > 0 ? tokens / out->dollars : NAN;
}

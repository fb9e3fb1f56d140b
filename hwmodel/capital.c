/* capital.c - what a chip costs to own or rent, following its spec (docs/hwmodel.md §5).
 *
 * A spec's price (cost.purchase_usd) or rent (cost.rent_usd_per_hour) is a market figure for
 * the chip as published. A chip changed by --set, a sweep axis or an inheriting what-if spec
 * is not that chip, so its price moves with what was changed: the published price is split
 * into parts (memory capacity, memory bandwidth, matrix compute, and the rest) and each part
 * scales with its figure relative to the spec that declared the price:
 *
 *   factor = 1 + s_mem (cap / cap_ref - 1) + s_bw (bw / bw_ref - 1) + s_comp (tf / tf_ref - 1)
 *
 * Rent and purchase are both multiplied by it (a rent market prices the capital it
 * recovers). A chip as published has factor 1 exactly. A spec with neither price nor rent
 * may ask for an estimate (cost.estimate_purchase): the same parts scaled from the H100 SXM's
 * price. The declaring spec's figures are recorded while the inheritance chain is merged
 * (tc_hw_price_ref_snapshot) under a private key that tc_hw_load removes again. */
#include <math.h>
#include <string.h>

#include "hw_internal.h"

/* Parts of an accelerator's price: assumptions, documented with their reasoning in
 * docs/hwmodel.md §5 (no public bill of materials splits a GPU's price). */
#define SHARE_MEMORY 0.25
#define SHARE_BANDWIDTH 0.15
#define SHARE_COMPUTE 0.40

/* The estimate's anchor: H100 SXM5 80GB, purchase ~$25-30k (hardware-facts.md §4: midpoint),
 * 80 GB, 3350 GB/s, 989.4 dense BF16 TFLOP/s (§1, §2). */
#define ANCHOR_USD 27500.0
#define ANCHOR_CAP_GB 80.0
#define ANCHOR_BW_GBS 3350.0
#define ANCHOR_TFLOPS 989.4

#define PRICE_REF_KEY "_price_ref"

/* Dense matrix TFLOP/s the price is read against: bf16, else fp16, else the vector fp32. */
static double price_tflops(json_t *doc)
{
	double tf = tc_hw_doc_num(doc, "compute.matrix.peak_tflops.bf16", 0);
	if (!(tf > 0))
		tf = tc_hw_doc_num(doc, "compute.matrix.peak_tflops.fp16", 0);
	if (!(tf > 0))
		tf = tc_hw_doc_num(doc, "compute.vector.peak_tflops.fp32", 0);
	return tf;
}

static int declares_price(json_t *own)
{
	json_t *c = json_object_get(own, "cost");
	return c && (json_object_get(c, "purchase_usd") || json_object_get(c, "rent_usd_per_hour"));
}

void tc_hw_price_ref_snapshot(json_t *merged, json_t *own)
{
	if (!declares_price(own))
		return; /* an inherited reference, if any, stays */
	json_t *r = json_object();
	json_object_set_new(r, "capacity_gb",
			    json_real(tc_hw_doc_num(merged, "memory.hbm.capacity_gb", 0)));
	json_object_set_new(r, "bw_gbs", json_real(tc_hw_doc_num(merged, "memory.hbm.bw_gbs", 0)));
	json_object_set_new(r, "tflops", json_real(price_tflops(merged)));
	json_object_set_new(merged, PRICE_REF_KEY, r);
}

json_t *tc_hw_price_ref_take(json_t *doc)
{
	json_t *r = json_incref(json_object_get(doc, PRICE_REF_KEY));
	json_object_del(doc, PRICE_REF_KEY);
	return r;
}

static double part(double share, double v, double ref)
{
	return ref > 0 && v > 0 ? share * (v / ref - 1.0) : 0.0;
}

static double factor(json_t *doc, double cap, double bw, double tf)
{
	double vc = tc_hw_doc_num(doc, "memory.hbm.capacity_gb", 0);
	double vb = tc_hw_doc_num(doc, "memory.hbm.bw_gbs", 0), vt = price_tflops(doc);
	if (vc == cap && vb == bw && vt == tf)
		return 1.0; /* as published: the market figure unchanged, bit for bit */
	double f = 1.0 + part(SHARE_MEMORY, vc, cap) + part(SHARE_BANDWIDTH, vb, bw) +
		   part(SHARE_COMPUTE, vt, tf);
	return f > 0.05 ? f : 0.05; /* the rest of the board is never free */
}

void tc_hw_price_fill(struct tc_chip *c, json_t *ref)
{
	json_t *d = c->doc;
	c->price_factor = 1.0;
	c->price_estimated = 0;
	if (ref) {
		c->price_factor =
		    factor(d, tc_hw_doc_num(ref, "capacity_gb", 0), tc_hw_doc_num(ref, "bw_gbs", 0),
			   tc_hw_doc_num(ref, "tflops", 0));
	} else if (c->purchase_usd < 0 && c->rent_usd_h < 0 &&
		   json_is_true(json_object_get(json_object_get(d, "cost"), "estimate_purchase"))) {
		c->price_factor = factor(d, ANCHOR_CAP_GB, ANCHOR_BW_GBS, ANCHOR_TFLOPS);
		c->purchase_usd = ANCHOR_USD;
		c->price_estimated = 1;
	}
}

double tc_chip_purchase_usd(const struct tc_chip *chip)
{
	return chip->purchase_usd >= 0 ? chip->purchase_usd * chip->price_factor : NAN;
}

double tc_chip_rent_usd_h(const struct tc_chip *chip)
{
	return chip->rent_usd_h >= 0 ? chip->rent_usd_h * chip->price_factor : NAN;
}

double tc_chip_price_factor(const struct tc_chip *chip)
{
	return chip->price_factor;
}

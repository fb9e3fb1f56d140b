/* hw_internal.h - private to hwmodel/: the resolved chip record shared by spec.c (which fills
 * it from JSON), cost.c (the per-op model) and power.c. Units inside are base SI: FLOP/s,
 * bytes/s, seconds converted to ns, watts, dollars. */
#ifndef TC_HW_INTERNAL_H
#define TC_HW_INTERNAL_H

#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>

#include "hwmodel.h"

#define TC_HW_CURVE_MAX 16

/* Spec dtype keys ("bf16", "fp8", ...): the columns of peak_tflops. */
enum tc_hw_dt {
	TC_HW_FP64 = 0,
	TC_HW_FP32,
	TC_HW_TF32,
	TC_HW_BF16,
	TC_HW_FP16,
	TC_HW_FP8,
	TC_HW_INT8,
	TC_HW_FP4,
	TC_HW_DT__COUNT
};
extern const char *const tc_hw_dt_keys[TC_HW_DT__COUNT];

/* Achievable fraction of peak as a function of size, linear in log(size) between points,
 * constant outside them. x ascending (GFLOP for compute curves, MB for memory curves). */
struct tc_hw_curve {
	unsigned n;
	double x[TC_HW_CURVE_MAX];
	double e[TC_HW_CURVE_MAX];
};
double tc_hw_curve_eval(const struct tc_hw_curve *c, double x);

/* Collective kernels keep a few SMs/CUs busy moving data (NCCL runs 16-32 channels, i.e.
 * a fraction of the device); for power they count as this much utilisation. */
#define TC_HW_COMM_UTIL 0.25

enum tc_hw_topo {
	TC_TOPO_SWITCH = 0,
	TC_TOPO_MESH,
	TC_TOPO_RING,
	TC_TOPO_TORUS2D,
	TC_TOPO_TORUS3D,
	TC_TOPO_PCIE
};
/* AUTO: the cheaper of ring and tree per collective, as NCCL's tuner picks (collective.c) */
enum tc_hw_algo { TC_ALGO_RING = 0, TC_ALGO_TREE, TC_ALGO_DIRECT, TC_ALGO_AUTO };

struct tc_hw_tier {
	const char *name;
	int topology;
	int algorithm;	/* for all-reduce / broadcast on this tier */
	uint32_t size;	/* devices in one domain of this tier */
	double bw_dev;	/* bytes/s one-way, all links of a device together */
	double bw_peer; /* bytes/s one-way to one peer */
	double lat_ns;	/* per algorithm step */
	double eff;
	int in_network_reduction;
	double nics;	/* NICs (or links) per device: bw_dev is per NIC (scale-out) */
	double oversub; /* bandwidth divisor between domains unless rail-aligned (>= 1) */
	uint32_t rails; /* rails of a rail-optimised fabric, 0 = none */
};

struct tc_chip_kv {
	const char *path;   /* "memory.hbm.bw_gbs" */
	const char *value;  /* compact JSON of the value */
	const char *source; /* citation or "" */
};

/* A fitted op class (spec section "classes", written by tracecast calibrate): time =
 * max(floor, fixed + work at efficiency 1 / (efficiency x curve)), where the work is the
 * class's bound term and the curve the spec's (1 unless use_curve; docs/hwmodel.md §2.3). Absent
 * fields keep the spec's curves and floor. */
struct tc_hw_class_fit {
	double floor_ns, fixed_ns, eff;
	uint8_t has_floor, has_fit, use_curve; /* use_curve: eff scales the curve */
	double p10, p90; /* residual spread of predicted / measured; 0 = not given */
};

/* The fields from clock_mhz to the tiers are what op costs read; tc_chip_timing_key (cost.c)
 * serialises each of them, so a field added here that costs read must be added there. */
struct tc_chip {
	char *id, *name, *vendor, *file;
	json_t *doc;	 /* resolved spec (sources removed), owned */
	json_t *sources; /* path -> citation, owned */

	double clock_mhz;
	uint32_t units;
	double mat_peak[TC_HW_DT__COUNT]; /* FLOP/s, 0 = absent */
	double vec_peak[TC_HW_DT__COUNT];
	struct tc_hw_curve mat_eff, vec_eff, mem_eff; /* GFLOP, GFLOP, MB */
	uint32_t tile_m, tile_n;
	double attn_eff; /* attention kernels relative to the GEMM curve */

	double hbm_bw, hbm_cap_bytes;
	double host_bw, host_lat_ns, host_eff;
	double launch_ns, min_kernel_ns, coll_launch_ns;
	struct tc_hw_class_fit cls[TC_CLASS__COUNT];
	struct tc_hw_tier up, out;

	double idle_w, tdp_w;
	double pj_per_flop, pj_per_byte; /* power.*: energy per operation, 0 = not given */
	double purchase_usd, lifetime_years, usd_per_kwh, pue, rent_usd_h; /* < 0 = absent */
	double utilisation;  /* cost.utilisation: share of the lifetime the chip does paid work */
	double price_factor; /* capital.c: price of this chip / price of the spec that set it */
	int price_estimated; /* purchase_usd is capital.c's estimate (cost.estimate_purchase) */

	/* the flattened doc, sorted by path: built on first use (hw show, tc_chip_get), since a
	 * sweep loads a chip per configuration and never reads it; kv_mu guards the build */
	struct tc_chip_kv *kv;
	size_t n_kv;
	atomic_int kv_done;
	pthread_mutex_t kv_mu;
	struct tc_arena arena; /* strings of kv */
};

/* A number at a dotted path of a spec document, dflt when absent (spec.c). */
double tc_hw_doc_num(json_t *doc, const char *path, double dflt);
/* capital.c: while merging an inheritance level (own = that level's file, merged = the
 * result), record the figures its price is read against when the level declares one; take
 * the record out of the document (a new reference, or NULL); fill the chip's price factor. */
void tc_hw_price_ref_snapshot(json_t *merged, json_t *own);
json_t *tc_hw_price_ref_take(json_t *doc);
void tc_hw_price_fill(struct tc_chip *c, json_t *ref);

/* Peak FLOP/s the op's dtype gets on an engine, after the fallback rules of docs/hwmodel.md.
 * *fallback = 1 when the dtype was replaced by another; *used = the spec column used. */
double tc_hw_peak_for(const struct tc_chip *chip, unsigned dtype, int matrix, int *fallback,
		      int *used);

/* cost.c: raw_ns/raw_bound kept, then floored at the chip's shortest kernel */
void tc_hw_kernel_floor(const struct tc_chip *c, struct tc_hw_cost *out, unsigned cls);
/* collective.c */
int tc_hw_coll_cost(const struct tc_chip *c, const struct tc_hw_op *op, struct tc_hw_cost *out);

#endif

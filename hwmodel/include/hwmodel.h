/* hwmodel.h - chip specs and the per-operation cost model. docs/hwmodel.md has every formula.
 *
 * A chip is loaded from the shipped spec library (hwmodel/specs/<id>.json) by id or alias
 * ("h100" -> "h100-sxm5") or from a path to a JSON file, resolved through "inherits" and
 * then patched by "--set key.path=value" overrides. All times are nanoseconds, all spec
 * units SI with the unit in the key name (_gbs, _tflops, _w, _usd). Bandwidths are one-way.
 *
 * hwmodel never includes replay or ingest; it only knows enum values from opstream.h.
 */
#ifndef TC_HWMODEL_H
#define TC_HWMODEL_H

#include <stdint.h>
#include <stdio.h>

#include "util.h"
#include "opstream.h"

/* What bounded an op's modelled time. On disk in reports by name: append only. */
enum tc_bound {
	TC_BOUND_COMPUTE = 0,
	TC_BOUND_MEMORY,
	TC_BOUND_COMM,	 /* collectives / p2p on the network */
	TC_BOUND_LAUNCH, /* floored by the minimum kernel time / launch latency */
	TC_BOUND_HOST,	 /* CPU time on the host (runtime calls, framework) */
	TC_BOUND_IDLE,
	TC_BOUND__COUNT
};
const char *tc_bound_name(unsigned b);

/* A library of specs: the directories searched for <id>.json. */
struct tc_hw;
/* specs_dir: directory of shipped specs; NULL = $TRACECAST_SPECS, else $TC_SPECS (set by the
 * test environment), else the installed data dir, else the source tree's hwmodel/specs (set
 * at build time). Every *.json there is read for its id (= file name), aliases and
 * device_names; a broken file or a name used twice fails the open, naming the file. */
int tc_hw_open(struct tc_hw **out, const char *specs_dir, struct tc_err *err);
void tc_hw_free(struct tc_hw *hw);
/* Ids of the shipped chips, sorted; borrowed. */
size_t tc_hw_list(const struct tc_hw *hw, const char *const **ids);
/* The directory the library was read from; borrowed. */
const char *tc_hw_dir(const struct tc_hw *hw);
/* The id an id or alias names (case-insensitive), NULL when unknown; borrowed. */
const char *tc_hw_canonical_id(const struct tc_hw *hw, const char *name);
/* Ids close to an unknown name ("h10" -> "h100-pcie, h100-sxm5"), comma-separated into
 * buf (always NUL-terminated when n > 0); returns how many. */
size_t tc_hw_suggest(const struct tc_hw *hw, const char *name, char *buf, size_t n);

/* A resolved chip: immutable after load. */
struct tc_chip;
/* name_or_path: chip id, alias, or a path to a .json spec. sets: "key.path=value" strings.
 * Errors name the file and the key path ("specs/x.json: memory.hbm.bw_gbs: must be > 0"). */
int tc_hw_load(struct tc_hw *hw, const char *name_or_path, const char *const *sets, size_t n_sets,
	       struct tc_chip **out, struct tc_err *err);
void tc_chip_free(struct tc_chip *chip);
/* A spec read and resolved once (files read, inheritance merged, no sets applied), for
 * callers that load many variants of one chip (sweeps): tc_chip_base_load gives what
 * tc_hw_load(hw, name_or_path, sets, ...) gives, with the same errors, without reading or
 * parsing the files again. A base is read-only once open: threads may load from it at once. */
struct tc_chip_base;
int tc_hw_base_open(struct tc_hw *hw, const char *name_or_path, struct tc_chip_base **out,
		    struct tc_err *err);
int tc_chip_base_load(const struct tc_chip_base *b, const char *const *sets, size_t n_sets,
		      struct tc_chip **out, struct tc_err *err);
void tc_chip_base_free(struct tc_chip_base *b);
const char *tc_chip_id(const struct tc_chip *chip);	/* "h100-sxm5" */
const char *tc_chip_name(const struct tc_chip *chip);	/* "NVIDIA H100 SXM5 80GB" */
const char *tc_chip_vendor(const struct tc_chip *chip); /* "nvidia" */
/* The resolved spec flattened to leaves, sorted by key path: path ("memory.hbm.bw_gbs"),
 * value as compact JSON ("3350"), source citation ("" when none). Borrowed from the chip. */
size_t tc_chip_nfields(const struct tc_chip *chip);
int tc_chip_field(const struct tc_chip *chip, size_t i, const char **path, const char **value,
		  const char **source);
/* Value (compact JSON) of one key path, NULL when the resolved spec lacks it. */
const char *tc_chip_get(const struct tc_chip *chip, const char *path, const char **source);
/* The resolved spec as canonical compact JSON without sources (sorted keys): what a results
 * database stores and hashes for a chip configuration. Caller frees. */
char *tc_chip_config_json(const struct tc_chip *chip);
/* Map a device name from a trace ("NVIDIA H100 80GB HBM3", "AMD Instinct MI300X VF",
 * "Tesla V100-SXM2-32GB") to a chip id; returns NULL when no rule matches. */
const char *tc_hw_match_device(const struct tc_hw *hw, const char *device_name);
/* The chip a trace ran on: the first GPU device of the header whose chip id or device name
 * names a known chip (canonical id, borrowed from the library); NULL when none does. */
const char *tc_hw_source_chip(const struct tc_hw *hw, const struct tc_ops_header *h);
/* Up to max spec ids whose names look most like device (shared word prefixes), best first,
 * for an error that names the trace's device and what the user may have meant. */
size_t tc_hw_closest(const struct tc_hw *hw, const char *device, const char **out, size_t max);
/* The full spec path of a key in the short forms --set and sweep grids accept
 * ("compute.bf16.tflops" -> "compute.matrix.peak_tflops.bf16"); other keys are copied. */
void tc_hw_canonical_key(const char *key, char *buf, size_t n);

/* Peak dense FLOP/s for a dtype on the matrix engine (1) or vector engine (0); 0 when the
 * chip lacks the dtype. */
double tc_chip_peak_flops(const struct tc_chip *chip, unsigned dtype, int matrix);
double tc_chip_mem_bw(const struct tc_chip *chip); /* HBM bytes/s, one-way, peak */
/* Print the resolved spec as canonical JSON (sorted keys) with its sources. */
int tc_chip_print_json(const struct tc_chip *chip, FILE *fp);

/* ---- cost model --------------------------------------------------------------------------- */

/* What the cost model needs to know about one GPU operation. */
struct tc_hw_op {
	uint8_t op_class; /* enum tc_class */
	uint8_t dtype;	  /* enum tc_dtype, TC_DT_UNKNOWN = assume the chip's bf16/fp16 */
	uint8_t kind;	  /* enum tc_kind (kernel, memcpy, memset, node) */
	uint8_t sub;	  /* copy direction for memcpy */
	uint8_t has_work;
	uint64_t flops, bytes_read, bytes_written;
	int64_t m, n, k, batch; /* GEMM-like dims when known (0 = unknown), for tile quantisation */
	/* collectives */
	uint8_t coll_kind;
	uint32_t group_size;
	uint32_t
	    ranks_per_node; /* placement hint: ranks of the group in one scale-up domain, 0 = all */
	uint64_t coll_bytes;
	/* No name: ingest decided op_class from the names (ingest/opclass.c), hwmodel reads only
	 * the enums. */
	/* 0, or tc_hw_fallback_basis(op) + 1 computed once by a caller that costs the same op
	 * on many chips (a sweep) */
	uint8_t basis_hint;
};

/* How a time was obtained: the analytical model, or (scaling mode, work unknown) the ratio of
 * one resource between the chips. On disk in reports by name: append only. */
enum tc_hw_basis {
	TC_HW_BASIS_MODEL = 0,
	TC_HW_BASIS_COMPUTE,   /* achievable matrix FLOP/s at the op's dtype */
	TC_HW_BASIS_MEMORY,    /* achievable HBM bandwidth */
	TC_HW_BASIS_HOST,      /* host link bandwidth (H2D / D2H copies) */
	TC_HW_BASIS_NETWORK,   /* scale-up bandwidth per device */
	TC_HW_BASIS_MIXED,     /* geometric mean of compute and memory */
	TC_HW_BASIS_UNCHANGED, /* host work: time kept */
	TC_HW_BASIS__COUNT
};
const char *tc_hw_basis_name(unsigned b);

struct tc_hw_cost {
	double ns;	   /* modelled duration */
	uint8_t bound;	   /* enum tc_bound */
	double compute_ns; /* terms of the roofline, for reports */
	double memory_ns;
	double comm_ns;
	double util; /* modelled utilisation of the bounding resource, 0..1 (for power) */
	uint8_t dtype_fallback; /* 1: the chip lacks the op's dtype; a neighbour type was used */
	uint8_t dtype_used; /* spec column used: 0 fp64 1 fp32 2 tf32 3 bf16 4 fp16 5 fp8 6 int8 7
			       fp4 */
	uint8_t basis;	    /* enum tc_hw_basis */
	/* the modelled time and bound before the chip's kernel floor (min_kernel_us) */
	double raw_ns;
	uint8_t raw_bound;
	/* the class's bound term at efficiency 1 and no fixed time (matrix FLOPs after tile and
	 * wave padding over the peak for GEMM, conv and attention; bytes over the memory
	 * bandwidth otherwise), and the other roofline term: what calibration fits */
	double work_ns, other_ns;
	double curve_eff; /* the spec's efficiency curve at this op's size (for work_ns) */
};

/* Analytical time of an op on a chip. Returns 0, or TC_EUNSUPPORTED when the model has
 * nothing to say (the caller falls back and counts it). */
int tc_hw_op_cost(const struct tc_chip *chip, const struct tc_hw_op *op, struct tc_hw_cost *out);

/* The message size (bytes per rank, as coll_bytes) that makes op's modelled time on chip
 * equal t_ns: for collectives whose size the trace does not record, inferred from the
 * measured transfer on the source network (docs/projection.md). op's coll_bytes is ignored.
 * 1 when latency alone exceeds t_ns. Returns 0, or TC_EUNSUPPORTED (no kind or group size,
 * a barrier, t_ns not > 0). */
int tc_hw_coll_bytes_for(const struct tc_chip *chip, const struct tc_hw_op *op, double t_ns,
			 uint64_t *bytes);

/* Scaling mode: t_dst = t_src * model(dst, op) / model(src, op). out (optional) receives
 * the destination cost with ns replaced by the scaled time. Ops whose work is unknown are
 * scaled by the documented fallback ratio for their class. Returns the scaled ns. */
double tc_hw_scale(const struct tc_chip *src, const struct tc_chip *dst, const struct tc_hw_op *op,
		   double t_src_ns, struct tc_hw_cost *out);
/* The same with the op as it runs on the destination (another group size, placement or
 * message size: scale-out what-ifs): t_dst = t_src * model(dst, op_dst) / model(src, op).
 * The fallback ratio (work unknown) is taken on op. */
double tc_hw_scale_to(const struct tc_chip *src, const struct tc_chip *dst,
		      const struct tc_hw_op *op, const struct tc_hw_op *op_dst, double t_src_ns,
		      struct tc_hw_cost *out);

/* The resource an op with unknown work is scaled by (enum tc_hw_basis), and the ratio
 * t_dst / t_src that fallback gives. */
unsigned tc_hw_fallback_basis(const struct tc_hw_op *op);
double tc_hw_fallback_ratio(const struct tc_chip *src, const struct tc_chip *dst,
			    const struct tc_hw_op *op, unsigned *basis);

/* Every field of a chip the op costs read (compute, curves, memory, host link, overheads,
 * fitted classes, network tiers), serialised into buf (at most cap bytes): two chips with
 * the same bytes give every op the same cost, whatever their power, price or names. Returns
 * the length, or 0 when cap is too small (TC_CHIP_TIMING_MAX is always enough). A sweep's
 * memo keys configurations by it so that one differing only in power or cost is not
 * re-timed (docs/results-db.md). */
#define TC_CHIP_TIMING_MAX 4096
size_t tc_chip_timing_key(const struct tc_chip *chip, void *buf, size_t cap);

/* Launch overhead per kernel on the host (ns) and minimum kernel time (ns). */
double tc_chip_launch_ns(const struct tc_chip *chip);
double tc_chip_min_kernel_ns(const struct tc_chip *chip);
/* The kernel floor of an op class: the spec's classes.<class>.floor_us where given, else
 * min_kernel_us. */
double tc_chip_floor_ns(const struct tc_chip *chip, unsigned op_class);

/* How far the model's time for an op class on this chip may be off: the standard deviation
 * of ln(predicted / measured), from the spec's classes.<class>.p10 / p90 (a calibrated
 * overlay records them) or else the defaults measured by the testbench on the NeuSight
 * operator data (docs/hwmodel.md §2.4). analytic: an op costed from the spec alone;
 * otherwise a measured op scaled to another chip (this chip's half of the pair's error).
 * Copies, memsets and collectives return 0: their model is not in the operator data.
 * *from_spec (may be NULL) = 1 when the spec gave it. */
double tc_chip_class_sigma(const struct tc_chip *chip, unsigned op_class, int analytic,
			   int *from_spec);

/* ---- power and cost ------------------------------------------------------------------------ */

/* tc_chip_energy_j, or, when the spec gives power.pj_per_flop / pj_per_byte, idle power
 * over the span plus flops x pJ/FLOP + bytes x pJ/B (a term the spec lacks counts 0), the
 * dynamic part capped at (tdp - idle) over the span. docs/hwmodel.md §4. */
double tc_chip_energy_ops_j(const struct tc_chip *chip, double span_ns,
			    const double busy_ns[TC_BOUND__COUNT],
			    const double util_ns[TC_BOUND__COUNT], double flops, double bytes);
/* Energy of a span of wall time: idle power for the whole span plus dynamic power for busy
 * time weighted by utilisation. busy_ns[b] = device-busy ns per bound, util_ns[b] = sum over
 * ops of ns*util. Returns joules. */
double tc_chip_energy_j(const struct tc_chip *chip, double span_ns,
			const double busy_ns[TC_BOUND__COUNT],
			const double util_ns[TC_BOUND__COUNT]);
/* Dollars for span_ns of one device: rent per hour when given, else amortised purchase over
 * lifetime plus energy_j at $/kWh times PUE. */
double tc_chip_dollars(const struct tc_chip *chip, double span_ns, double energy_j);
double tc_chip_tdp_w(const struct tc_chip *chip);
/* What the chip costs (capital.c, docs/hwmodel.md §5): the spec's price or rent times the
 * factor by which --set / sweep axes / a what-if spec moved memory capacity, bandwidth and
 * compute from the spec that declared it (1 for a chip as published); NaN when absent. */
double tc_chip_purchase_usd(const struct tc_chip *chip);
double tc_chip_rent_usd_h(const struct tc_chip *chip);
double tc_chip_price_factor(const struct tc_chip *chip);
double tc_chip_idle_w(const struct tc_chip *chip);
/* 1 when the spec has rent, or purchase price and electricity price; tc_chip_dollars
 * returns NaN otherwise. */
int tc_chip_has_cost(const struct tc_chip *chip);

/* Perf/W and Perf/$ of one step on n_devices chips (energy_j is per device). tokens = tokens
 * per step, 0 when unknown (the token figures are then 0). steps_per_j is steps/s per W. */
struct tc_hw_perf {
	double step_s, steps_per_s;
	double energy_j, avg_power_w, dollars; /* all devices, one step; dollars NaN if unknown */
	double steps_per_j, steps_per_usd;     /* steps_per_usd NaN when cost unknown */
	double tokens_per_j, tokens_per_usd;
};
void tc_chip_perf(const struct tc_chip *chip, double step_ns, double energy_j, double tokens,
		  unsigned n_devices, struct tc_hw_perf *out);

#endif

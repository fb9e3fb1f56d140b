/* hwmodel.h - chip specs and the per-operation cost model. docs/hwmodel.md has every formula.
 *
 * A chip is loaded from the shipped spec library (hwmodel/specs/*.json) by id or alias
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
	TC_BOUND_COMM,    /* collectives / p2p on the network */
	TC_BOUND_LAUNCH,  /* floored by the minimum kernel time / launch latency */
	TC_BOUND_HOST,    /* CPU time on the host (runtime calls, framework) */
	TC_BOUND_IDLE,
	TC_BOUND__COUNT
};
const char *tc_bound_name(unsigned b);

/* A library of specs: the directories searched for <id>.json. */
struct tc_hw;
/* specs_dir: directory of shipped specs; NULL = $TRACECAST_SPECS, else the installed
 * data dir, else the source tree's hwmodel/specs (set at build time). */
int tc_hw_open(struct tc_hw **out, const char *specs_dir, struct tc_err *err);
void tc_hw_free(struct tc_hw *hw);
/* Ids of the shipped chips, sorted; borrowed. */
size_t tc_hw_list(const struct tc_hw *hw, const char *const **ids);

/* A resolved chip: immutable after load. */
struct tc_chip;
/* name_or_path: chip id, alias, or a path to a .json spec. sets: "key.path=value" strings.
 * Errors name the file and the key path ("specs/x.json: memory.hbm.bw_gbs: must be > 0"). */
int tc_hw_load(struct tc_hw *hw, const char *name_or_path, const char *const *sets,
	       size_t n_sets, struct tc_chip **out, struct tc_err *err);
void tc_chip_free(struct tc_chip *chip);
const char *tc_chip_id(const struct tc_chip *chip);   /* "h100-sxm5" */
const char *tc_chip_name(const struct tc_chip *chip); /* "NVIDIA H100 SXM5 80GB" */
/* Map a device name from a trace ("NVIDIA H100 80GB HBM3", "AMD Instinct MI300X VF",
 * "Tesla V100-SXM2-32GB") to a chip id; returns NULL when no rule matches. */
const char *tc_hw_match_device(const struct tc_hw *hw, const char *device_name);

/* Peak dense FLOP/s for a dtype on the matrix engine (1) or vector engine (0); 0 when the
 * chip lacks the dtype. */
double tc_chip_peak_flops(const struct tc_chip *chip, unsigned dtype, int matrix);
double tc_chip_mem_bw(const struct tc_chip *chip); /* HBM bytes/s, one-way, peak */
/* Print the resolved spec as canonical JSON (sorted keys) with its sources. */
int tc_chip_print_json(const struct tc_chip *chip, FILE *fp);

/* ---- cost model --------------------------------------------------------------------------- */

/* What the cost model needs to know about one GPU operation. */
struct tc_hw_op {
	uint8_t op_class;   /* enum tc_class */
	uint8_t dtype;      /* enum tc_dtype, TC_DT_UNKNOWN = assume the chip's bf16/fp16 */
	uint8_t kind;       /* enum tc_kind (kernel, memcpy, memset, node) */
	uint8_t sub;        /* copy direction for memcpy */
	uint8_t has_work;
	uint64_t flops, bytes_read, bytes_written;
	int64_t m, n, k, batch; /* GEMM-like dims when known (0 = unknown), for tile quantisation */
	/* collectives */
	uint8_t coll_kind;
	uint32_t group_size;
	uint32_t ranks_per_node; /* placement hint: ranks of the group in one scale-up domain, 0 = all */
	uint64_t coll_bytes;
	const char *name; /* kernel name, for the fallback when work is unknown; may be NULL */
};

struct tc_hw_cost {
	double ns;          /* modelled duration */
	uint8_t bound;      /* enum tc_bound */
	double compute_ns;  /* terms of the roofline, for reports */
	double memory_ns;
	double comm_ns;
	double util;        /* modelled utilisation of the bounding resource, 0..1 (for power) */
};

/* Analytical time of an op on a chip. Returns 0, or TC_EUNSUPPORTED when the model has
 * nothing to say (the caller falls back and counts it). */
int tc_hw_op_cost(const struct tc_chip *chip, const struct tc_hw_op *op, struct tc_hw_cost *out);

/* Scaling mode: t_dst = t_src * model(dst, op) / model(src, op). out (optional) receives
 * the destination cost with ns replaced by the scaled time. Ops whose work is unknown are
 * scaled by the documented fallback ratio for their class. Returns the scaled ns. */
double tc_hw_scale(const struct tc_chip *src, const struct tc_chip *dst, const struct tc_hw_op *op,
		   double t_src_ns, struct tc_hw_cost *out);

/* Launch overhead per kernel on the host (ns) and minimum kernel time (ns). */
double tc_chip_launch_ns(const struct tc_chip *chip);
double tc_chip_min_kernel_ns(const struct tc_chip *chip);

/* ---- power and cost ------------------------------------------------------------------------ */

/* Energy of a span of wall time: idle power for the whole span plus dynamic power for busy
 * time weighted by utilisation. busy_ns[b] = device-busy ns per bound, util_ns[b] = sum over
 * ops of ns*util. Returns joules. */
double tc_chip_energy_j(const struct tc_chip *chip, double span_ns, const double busy_ns[TC_BOUND__COUNT],
			const double util_ns[TC_BOUND__COUNT]);
/* Dollars for span_ns of one device: rent per hour when given, else amortised purchase over
 * lifetime plus energy_j at $/kWh times PUE. */
double tc_chip_dollars(const struct tc_chip *chip, double span_ns, double energy_j);
double tc_chip_tdp_w(const struct tc_chip *chip);

#endif

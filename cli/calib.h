/* calib.h - private to cli/: fitting a chip's curves from measured operators (calibrate,
 * testbench --calibrated). docs/testbench.md §Calibration has the method.
 *
 * A fit is a correction of the spec, per size decade: the median over measured ops of
 * (modelled time before the floor) / (measured time), for the matrix curve by GEMM GFLOP and
 * for the memory curve by the bytes of memory-bound ops, plus a kernel floor. Applied to a
 * spec, the corrected curve is e'(x) = min(1, e(x) * r(x)), made monotone in time. */
#ifndef TC_CLI_CALIB_H
#define TC_CLI_CALIB_H

#include <jansson.h>

#include "hwmodel.h"
#include "ingest.h"

#define TC_CALIB_BINS 7 /* decades 10^-3 .. 10^3 (GFLOP for the matrix curve, MB for memory) */

/* Samples of one chip (or of several, pooled): free with tc_calib_acc_free. */
struct tc_calib_acc {
	double *mat[TC_CALIB_BINS], *mem[TC_CALIB_BINS], *lat;
	size_t n_mat[TC_CALIB_BINS], n_mem[TC_CALIB_BINS], n_lat;
	size_t cap_mat[TC_CALIB_BINS], cap_mem[TC_CALIB_BINS], cap_lat;
	/* per op class, TC_CALIB_Q values per op: work at efficiency 1, the other roofline
	 * term, the measured time, the spec's time before its floor, the spec's curve
	 * efficiency at the op (calib_class.c) */
	double *cls[TC_CLASS__COUNT];
	size_t n_cls[TC_CLASS__COUNT], cap_cls[TC_CLASS__COUNT];
};
#define TC_CALIB_Q 5

/* One op class fitted (docs/hwmodel.md §2.3): time = max(floor, fixed + work / (eff x c),
 * other), c = the spec's curve at the op when curve is set, else 1. */
struct tc_calib_class {
	double floor_ns, fixed_ns, eff; /* NaN = not fitted */
	int curve;
	double form[2][3]; /* fixed, eff and MAPE of each form (flat, curve) */
	double mape;	   /* of the fit on its own ops, % */
	double p10, p90;   /* predicted / measured over every op of the class after the fit */
	size_t n;	   /* ops measured */
};

struct tc_calib_fit {
	double r_mat[TC_CALIB_BINS], r_mem[TC_CALIB_BINS]; /* NaN = no samples */
	size_t n_mat, n_mem, n_ops;
	double floor_ns; /* NaN = no samples */
	struct tc_calib_class cls[TC_CLASS__COUNT];
};

/* Add one measured row of `chip` (ignored when it has no work or no kernel). */
void tc_calib_add(struct tc_calib_acc *a, const struct tc_chip *chip,
		  const struct tc_optable_row *r);
void tc_calib_acc_free(struct tc_calib_acc *a);
/* Medians per bin (sorts the samples). */
void tc_calib_finish(struct tc_calib_acc *a, struct tc_calib_fit *out);
/* Several chips' fits pooled: the median per bin of the chips' medians (so the chip with
 * most data does not decide alone). */
void tc_calib_pool(const struct tc_calib_fit *fits, size_t n, struct tc_calib_fit *out);
/* The overlay spec: {"inherits": base id, "name", "notes", corrected curves, floor,
 * "sources"}. *out belongs to the caller (json_decref). */
int tc_calib_overlay(const struct tc_chip *base, const struct tc_calib_fit *fit,
		     const char *provenance, json_t **out, struct tc_err *err);
/* Load an overlay through a temporary file (the library resolves "inherits"). */
int tc_calib_load(struct tc_hw *hw, json_t *overlay, struct tc_chip **out, struct tc_err *err);
/* calib_class.c: the per-class samples of one op (called by tc_calib_add), the fit of every
 * class with samples (called by tc_calib_finish), the pooled classes (median per parameter
 * over the chips that fitted the class), and the overlay's "classes" section (NULL when no
 * class was fitted). */
void tc_calib_class_add(struct tc_calib_acc *a, unsigned cls, const struct tc_hw_cost *c,
			double measured_ns);
void tc_calib_class_finish(struct tc_calib_acc *a, struct tc_calib_fit *out);
void tc_calib_class_pool(const struct tc_calib_fit *fits, size_t n, struct tc_calib_fit *out);
json_t *tc_calib_class_json(const struct tc_calib_fit *fit);

/* The cost-model input of a table row. */
struct tc_hw_op tc_calib_hw_op(const struct tc_optable_row *r);

/* Every table under path (a file, or a directory walked in sorted order): *.csv,
 * *.csv.zst, *.csv.gz. Appends owned copies to *files. */
int tc_calib_collect(const char *path, char ***files, size_t *n, size_t *cap, struct tc_err *err);
/* calib_trace.c: a profiler trace (anything tracecast ingests, or a .tcs) as a table of its
 * measured GPU kernels with known work (layout MODEL: grouped by op class, no e2e). Free
 * with tc_calib_trace_free, not tc_optable_free. */
int tc_calib_trace_read(struct tc_optable **out, const char *path, struct tc_err *err);
void tc_calib_trace_free(struct tc_optable *t);
/* A table file by its name (.csv, .csv.zst, .csv.gz); anything else is read as a trace. */
int tc_calib_is_table(const char *name);

/* The report class of a row: micro tables by op (bmm, linear, conv, ln, softmax, the rest
 * elementwise, as the NeuSight paper pools them); model tables by op class. Static string. */
const char *tc_calib_group(const struct tc_optable *t, const struct tc_optable_row *r);

#endif

/* cost.c - the per-operation cost model: roofline with efficiency curves, GEMM tile/wave
 * quantisation, memory-bound classes and copies (collectives: collective.c).
 * docs/hwmodel.md gives every formula used here. */
#include <math.h>
#include <string.h>

#include "hw_internal.h"

double tc_hw_curve_eval(const struct tc_hw_curve *c, double x)
{
	if (c->n == 0)
		return 1.0;
	if (!(x > c->x[0]))
		return c->e[0];
	for (unsigned i = 0; i + 1 < c->n; i++) {
		if (x <= c->x[i + 1]) {
			double f = log(x / c->x[i]) / log(c->x[i + 1] / c->x[i]);
			return c->e[i] + (c->e[i + 1] - c->e[i]) * f;
		}
	}
	return c->e[c->n - 1];
}

/* ---- dtypes ----------------------------------------------------------------------------- */

/* The spec column of an opstream dtype; *assumed = 1 when the trace did not say. */
static int dt_column(unsigned dtype, int *assumed)
{
	*assumed = 0;
	switch (dtype) {
	case TC_DT_F32:
		return TC_HW_FP32;
	case TC_DT_F16:
		return TC_HW_FP16;
	case TC_DT_BF16:
		return TC_HW_BF16;
	case TC_DT_F64:
		return TC_HW_FP64;
	case TC_DT_TF32:
		return TC_HW_TF32;
	case TC_DT_FP8_E4M3:
	case TC_DT_FP8_E5M2:
		return TC_HW_FP8;
	case TC_DT_I8:
	case TC_DT_U8:
		return TC_HW_INT8;
	case TC_DT_FP4:
		return TC_HW_FP4;
	case TC_DT_UNKNOWN:
		*assumed = 1;
		return TC_HW_BF16;
	default: /* integer and bool tensors: computed at the fp32 rate */
		return TC_HW_FP32;
	}
}

/* Nearest supported types, best first: the next wider format a framework would fall back to
 * (fp8 -> bf16 on a chip without fp8; bf16 <-> fp16 on V100/TPU; fp32 -> bf16 on TPUs, where
 * XLA runs fp32 matmuls as bf16 passes). */
static const int chains[TC_HW_DT__COUNT][5] = {
    [TC_HW_FP64] = {TC_HW_FP32, -1},
    [TC_HW_FP32] = {TC_HW_TF32, TC_HW_BF16, -1},
    [TC_HW_TF32] = {TC_HW_FP32, TC_HW_BF16, -1},
    [TC_HW_BF16] = {TC_HW_FP16, TC_HW_FP32, -1},
    [TC_HW_FP16] = {TC_HW_BF16, TC_HW_FP32, -1},
    [TC_HW_FP8] = {TC_HW_BF16, TC_HW_FP16, TC_HW_FP32, -1},
    [TC_HW_INT8] = {TC_HW_FP8, TC_HW_BF16, TC_HW_FP16, TC_HW_FP32, -1},
    [TC_HW_FP4] = {TC_HW_FP8, TC_HW_BF16, TC_HW_FP16, TC_HW_FP32, -1},
};

static double engine_peak(const struct tc_chip *c, int col, int matrix)
{
	/* A GEMM in a dtype the matrix engine lacks runs on the vector engine (fp32 GEMM on an
	 * A100 runs on CUDA cores): a different engine, not a different dtype. */
	if (matrix)
		return c->mat_peak[col] > 0 ? c->mat_peak[col] : c->vec_peak[col];
	return c->vec_peak[col];
}

double tc_hw_peak_for(const struct tc_chip *chip, unsigned dtype, int matrix, int *fallback,
		      int *used)
{
	int assumed;
	int col = dt_column(dtype, &assumed);
	*fallback = 0;
	*used = col;
	double p = engine_peak(chip, col, matrix);
	if (p > 0)
		return p;
	/* Elementwise math on half types runs in fp32 registers (PyTorch's opmath type), so the
	 * vector engine's fp32 rate is the honest one, not a fallback. */
	if (!matrix && chip->vec_peak[TC_HW_FP32] > 0) {
		*used = TC_HW_FP32;
		return chip->vec_peak[TC_HW_FP32];
	}
	for (int i = 0; chains[col][i] >= 0 && i < 5; i++) {
		int alt = chains[col][i];
		p = engine_peak(chip, alt, matrix);
		if (!(p > 0) && !matrix)
			p = chip->mat_peak[alt];
		if (p > 0) {
			*fallback = !assumed;
			*used = alt;
			return p;
		}
	}
	/* Nothing in the chain: any peak at all beats a division by zero (validation
	 * guarantees one exists). */
	for (int d = 0; d < TC_HW_DT__COUNT; d++) {
		p = matrix ? engine_peak(chip, d, 1)
			   : (chip->vec_peak[d] > 0 ? chip->vec_peak[d] : chip->mat_peak[d]);
		if (p > 0) {
			*fallback = 1;
			*used = d;
			return p;
		}
	}
	return 1.0;
}

double tc_chip_peak_flops(const struct tc_chip *chip, unsigned dtype, int matrix)
{
	int assumed;
	int col = dt_column(dtype, &assumed);
	return matrix ? chip->mat_peak[col] : chip->vec_peak[col];
}

double tc_chip_mem_bw(const struct tc_chip *chip)
{
	return chip->hbm_bw;
}

/* ---- timing key ------------------------------------------------------------------------ */

struct tkey {
	unsigned char *p;
	size_t n, cap;
	int over;
};

static void tk_put(struct tkey *k, const void *v, size_t n)
{
	if (k->over || n > k->cap - k->n) {
		k->over = 1;
		return;
	}
	memcpy(k->p + k->n, v, n);
	k->n += n;
}

static void tk_num(struct tkey *k, double v)
{
	tk_put(k, &v, sizeof(v));
}

static void tk_curve(struct tkey *k, const struct tc_hw_curve *c)
{
	tk_num(k, c->n);
	tk_put(k, c->x, c->n * sizeof(*c->x));
	tk_put(k, c->e, c->n * sizeof(*c->e));
}

static void tk_tier(struct tkey *k, const struct tc_hw_tier *t)
{
	const char *nm = t->name ? t->name : "";
	tk_put(k, nm, strlen(nm) + 1);
	const double v[] = {t->topology, t->algorithm, t->size, t->bw_dev,
			    t->bw_peer,	 t->lat_ns,    t->eff,	t->in_network_reduction,
			    t->nics,	 t->oversub,   t->rails};
	tk_put(k, v, sizeof(v));
}

/* Field by field (no padding bytes), every one struct tc_chip holds from clock_mhz to the
 * network tiers: the fields cost.c, scale.c and collective.c read. A field added there must
 * be added here, or sweeps would take two configurations differing in it for one. */
size_t tc_chip_timing_key(const struct tc_chip *c, void *buf, size_t cap)
{
	struct tkey k = {buf, 0, cap, 0};
	const double v[] = {c->clock_mhz,     c->units,	   c->tile_m,	     c->tile_n,
			    c->attn_eff,      c->hbm_bw,   c->hbm_cap_bytes, c->host_bw,
			    c->host_lat_ns,   c->host_eff, c->launch_ns,     c->min_kernel_ns,
			    c->coll_launch_ns};
	tk_put(&k, v, sizeof(v));
	tk_put(&k, c->mat_peak, sizeof(c->mat_peak));
	tk_put(&k, c->vec_peak, sizeof(c->vec_peak));
	tk_curve(&k, &c->mat_eff);
	tk_curve(&k, &c->vec_eff);
	tk_curve(&k, &c->mem_eff);
	for (unsigned i = 0; i < TC_CLASS__COUNT; i++) {
		const struct tc_hw_class_fit *f = &c->cls[i];
		const double fv[] = {f->floor_ns, f->fixed_ns,	f->eff, f->has_floor,
				     f->has_fit,  f->use_curve, f->p10, f->p90};
		tk_put(&k, fv, sizeof(fv));
	}
	tk_tier(&k, &c->up);
	tk_tier(&k, &c->out);
	return k.over ? 0 : k.n;
}

double tc_chip_launch_ns(const struct tc_chip *chip)
{
	return chip->launch_ns;
}

double tc_chip_min_kernel_ns(const struct tc_chip *chip)
{
	return chip->min_kernel_ns;
}

double tc_chip_floor_ns(const struct tc_chip *chip, unsigned op_class)
{
	if (op_class < TC_CLASS__COUNT && chip->cls[op_class].has_floor)
		return chip->cls[op_class].floor_ns;
	return chip->min_kernel_ns;
}

/* The class's bound term: fitted (fixed + unit / (efficiency x the curve, or 1)) where the
 * spec has a fit for the class, else unit / curve efficiency. */
static double class_term(const struct tc_chip *c, unsigned cls, double unit_ns, double curve_e,
			 struct tc_hw_cost *out)
{
	out->work_ns = unit_ns;
	out->curve_eff = curve_e;
	if (!(unit_ns > 0))
		return 0;
	if (cls < TC_CLASS__COUNT && c->cls[cls].has_fit) {
		const struct tc_hw_class_fit *f = &c->cls[cls];
		return f->fixed_ns + unit_ns / (f->eff * (f->use_curve ? curve_e : 1.0));
	}
	return unit_ns / curve_e;
}

/* ---- op classes ------------------------------------------------------------------------- */

static double mem_ns(const struct tc_chip *c, double bytes)
{
	if (!(bytes > 0))
		return 0;
	double e = tc_hw_curve_eval(&c->mem_eff, bytes / 1e6);
	return bytes / (c->hbm_bw * e) * 1e9;
}

static double ceil_div(double a, double b)
{
	return ceil(a / b);
}

/* Tile edge used for a problem edge: BLAS libraries pick narrower tiles for skinny problems
 * (a GEMV does not pad its single row to 128), down to the 16-wide MMA granularity. Never
 * shrinks as the edge grows, so padded work stays monotonic. */
static double tile_for(double edge, double tile)
{
	double t = ceil(edge / 16.0) * 16.0;
	return t < tile ? t : tile;
}

/* Padding factor of a GEMM over tiles and waves: the work of full waves of full tiles
 * divided by the real work. Depends only on m, n, batch; >= 1. */
static double quantisation(const struct tc_chip *c, const struct tc_hw_op *op)
{
	if (op->m <= 0 || op->n <= 0 || c->units == 0)
		return 1.0;
	double b = op->batch > 0 ? (double)op->batch : 1.0;
	double tm = tile_for((double)op->m, c->tile_m), tn = tile_for((double)op->n, c->tile_n);
	double tiles = b * ceil_div((double)op->m, tm) * ceil_div((double)op->n, tn);
	/* Split-K: fewer tiles than units leaves units idle, so libraries split the reduction
	 * over up to 16 units per tile (cuBLAS/cuDNN/hipBLASLt split-K and stream-K). The split
	 * depends on the tile count only, never on k, so padded work stays monotonic in k. The
	 * partial-sum reduction traffic is not counted. */
	double s = 1;
	if (tiles < c->units) {
		s = floor(c->units / tiles);
		if (s > 16)
			s = 16;
	}
	double waves = ceil_div(tiles * s, c->units);
	double q = waves * c->units * tm * tn / (s * b * (double)op->m * (double)op->n);
	return q < 1 ? 1 : q;
}

/* The chip's shortest kernel: what the modelled work would take stays in raw_ns / raw_bound,
 * because scaling a measured time must use the work's ratio, not the floor's (a 9 us kernel
 * is not launch-bound because a 2 us floor clips a model that underestimates it). */
void tc_hw_kernel_floor(const struct tc_chip *c, struct tc_hw_cost *out, unsigned cls)
{
	out->raw_ns = out->ns;
	out->raw_bound = out->bound;
	double fl = tc_chip_floor_ns(c, cls);
	if (out->ns < fl) {
		out->ns = fl;
		out->bound = TC_BOUND_LAUNCH;
	}
}

static void finish(const struct tc_chip *c, struct tc_hw_cost *out, double flops, double peak,
		   double bytes, unsigned cls)
{
	int compute = out->compute_ns >= out->memory_ns;
	out->ns = compute ? out->compute_ns : out->memory_ns;
	out->bound = compute ? TC_BOUND_COMPUTE : TC_BOUND_MEMORY;
	tc_hw_kernel_floor(c, out, cls);
	double u = 0;
	if (out->ns > 0) {
		if (compute)
			u = flops / (out->ns * 1e-9 * peak);
		else
			u = bytes / (out->ns * 1e-9 * c->hbm_bw);
	}
	out->util = u > 1 ? 1 : (u < 0 ? 0 : u);
}

static int cost_matrix(const struct tc_chip *c, const struct tc_hw_op *op, struct tc_hw_cost *out)
{
	double flops = (double)op->flops;
	if (!(flops > 0) && op->m > 0 && op->n > 0 && op->k > 0)
		flops = 2.0 * (double)op->m * (double)op->n * (double)op->k *
			(op->batch > 0 ? (double)op->batch : 1.0);
	if (!op->has_work && !(flops > 0))
		return TC_EUNSUPPORTED;
	int fb, used;
	double peak = tc_hw_peak_for(c, op->dtype, 1, &fb, &used);
	out->dtype_fallback = (uint8_t)fb;
	out->dtype_used = (uint8_t)used;
	double q = op->op_class == TC_CLASS_ATTENTION ? 1.0 : quantisation(c, op);
	double work = flops * q;
	double e = tc_hw_curve_eval(&c->mat_eff, work / 1e9);
	if (op->op_class == TC_CLASS_ATTENTION)
		e *= c->attn_eff;
	out->compute_ns = class_term(c, op->op_class, work > 0 ? work / peak * 1e9 : 0, e, out);
	double bytes = (double)op->bytes_read + (double)op->bytes_written;
	out->memory_ns = mem_ns(c, bytes);
	out->other_ns = out->memory_ns;
	finish(c, out, flops, peak, bytes, op->op_class);
	return 0;
}

static int cost_vector(const struct tc_chip *c, const struct tc_hw_op *op, struct tc_hw_cost *out)
{
	if (!op->has_work)
		return TC_EUNSUPPORTED;
	int fb, used;
	double peak = tc_hw_peak_for(c, op->dtype, 0, &fb, &used);
	out->dtype_fallback = (uint8_t)fb;
	out->dtype_used = (uint8_t)used;
	double flops = (double)op->flops;
	double e = tc_hw_curve_eval(&c->vec_eff, flops / 1e9);
	out->compute_ns = flops > 0 ? flops / (peak * e) * 1e9 : 0;
	double bytes = (double)op->bytes_read + (double)op->bytes_written;
	out->memory_ns =
	    class_term(c, op->op_class, bytes > 0 ? bytes / c->hbm_bw * 1e9 : 0,
		       bytes > 0 ? tc_hw_curve_eval(&c->mem_eff, bytes / 1e6) : 1, out);
	out->other_ns = out->compute_ns;
	finish(c, out, flops, peak, bytes, op->op_class);
	return 0;
}

static int cost_copy(const struct tc_chip *c, const struct tc_hw_op *op, struct tc_hw_cost *out)
{
	double rd = (double)op->bytes_read, wr = (double)op->bytes_written;
	double n = rd > wr ? rd : wr;
	if (!(n > 0))
		return TC_EUNSUPPORTED;
	switch (op->sub) {
	case TC_COPY_H2D:
	case TC_COPY_D2H:
		out->memory_ns = c->host_lat_ns + n / (c->host_bw * c->host_eff) * 1e9;
		out->ns = out->memory_ns;
		out->bound = TC_BOUND_MEMORY;
		out->util = n / (out->ns * 1e-9 * c->host_bw);
		break;
	case TC_COPY_P2P:
		out->comm_ns = c->up.lat_ns + n / (c->up.bw_peer * c->up.eff) * 1e9;
		out->ns = out->comm_ns;
		out->bound = TC_BOUND_COMM;
		out->util = TC_HW_COMM_UTIL;
		break;
	default: /* a device copy reads and writes device memory */
		out->memory_ns = mem_ns(c, rd > 0 && wr > 0 ? rd + wr : 2 * n);
		out->ns = out->memory_ns;
		out->bound = TC_BOUND_MEMORY;
		out->util = (rd > 0 && wr > 0 ? rd + wr : 2 * n) / (out->ns * 1e-9 * c->hbm_bw);
		break;
	}
	tc_hw_kernel_floor(c, out, op->op_class);
	if (out->util > 1)
		out->util = 1;
	return 0;
}

static int cost_memset(const struct tc_chip *c, const struct tc_hw_op *op, struct tc_hw_cost *out)
{
	double n = op->bytes_written ? (double)op->bytes_written : (double)op->bytes_read;
	if (!(n > 0))
		return TC_EUNSUPPORTED;
	out->memory_ns = mem_ns(c, n);
	finish(c, out, 0, 1, n, TC_CLASS_MEMSET);
	return 0;
}

int tc_hw_op_cost(const struct tc_chip *chip, const struct tc_hw_op *op, struct tc_hw_cost *out)
{
	memset(out, 0, sizeof(*out));
	out->dtype_used = TC_HW_BF16;
	if (op->coll_kind != TC_COLL_NONE || op->op_class == TC_CLASS_COLLECTIVE)
		return tc_hw_coll_cost(chip, op, out);
	if (op->kind == TC_KIND_MEMCPY)
		return cost_copy(chip, op, out);
	if (op->kind == TC_KIND_MEMSET || op->op_class == TC_CLASS_MEMSET)
		return cost_memset(chip, op, out);
	switch (op->op_class) {
	case TC_CLASS_GEMM:
	case TC_CLASS_CONV:
	case TC_CLASS_ATTENTION:
		return cost_matrix(chip, op, out);
	case TC_CLASS_ELEMENTWISE:
	case TC_CLASS_REDUCTION:
	case TC_CLASS_NORM:
	case TC_CLASS_SOFTMAX:
	case TC_CLASS_EMBEDDING:
	case TC_CLASS_COPY:
	case TC_CLASS_OPTIMIZER:
	case TC_CLASS_OTHER:
		return cost_vector(chip, op, out);
	default: /* host work has no device model */
		return TC_EUNSUPPORTED;
	}
}

/* ---- model error -------------------------------------------------------------------------- */

/* sigma = (ln p90 - ln p10) / (2 x 1.2816): a lognormal with the same p10 and p90 */
#define P10_P90_Z 2.5631

/* Defaults: the testbench over the NeuSight micro tables with the shipped specs
 * (`tracecast testbench neusight/micro --ops-csv`; docs/hwmodel.md §2.4), p10-p90 of
 * predicted / measured per class. Scaling: every ordered chip pair (one pair's error is two
 * chips' model errors, so each chip gets 1/sqrt 2 of it); analytic: every chip. GEMM pools
 * bmm and linear; the classes the data lacks take the nearest measured one (reductions,
 * embeddings, optimizers and other vector kernels: elementwise; attention: GEMM). */
static const struct {
	unsigned cls;
	double scale_p10, scale_p90, an_p10, an_p90;
} sigma_defaults[] = {
    {TC_CLASS_GEMM, 0.550, 1.920, 0.356, 1.451},
    {TC_CLASS_ATTENTION, 0.550, 1.920, 0.356, 1.451},
    {TC_CLASS_CONV, 0.662, 1.517, 0.528, 2.090},
    {TC_CLASS_ELEMENTWISE, 0.777, 3.626, 0.065, 0.861},
    {TC_CLASS_REDUCTION, 0.777, 3.626, 0.065, 0.861},
    {TC_CLASS_EMBEDDING, 0.777, 3.626, 0.065, 0.861},
    {TC_CLASS_OPTIMIZER, 0.777, 3.626, 0.065, 0.861},
    {TC_CLASS_OTHER, 0.777, 3.626, 0.065, 0.861},
    {TC_CLASS_NORM, 0.704, 2.096, 0.069, 0.582},
    {TC_CLASS_SOFTMAX, 0.611, 3.710, 0.049, 0.694},
};

double tc_chip_class_sigma(const struct tc_chip *chip, unsigned op_class, int analytic,
			   int *from_spec)
{
	if (from_spec)
		*from_spec = 0;
	if (op_class >= TC_CLASS__COUNT)
		return 0;
	const struct tc_hw_class_fit *f = &chip->cls[op_class];
	if (f->p10 > 0 && f->p90 >= f->p10) {
		if (from_spec)
			*from_spec = 1;
		return (log(f->p90) - log(f->p10)) / P10_P90_Z;
	}
	for (size_t i = 0; i < TC_ARRAY_LEN(sigma_defaults); i++)
		if (sigma_defaults[i].cls == op_class) {
			if (analytic)
				return (log(sigma_defaults[i].an_p90) -
					log(sigma_defaults[i].an_p10)) /
				       P10_P90_Z;
			return (log(sigma_defaults[i].scale_p90) -
				log(sigma_defaults[i].scale_p10)) /
			       P10_P90_Z / sqrt(2.0);
		}
	return 0;
}

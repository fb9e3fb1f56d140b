/* scale.c - scaling mode: a measured time carried to another chip by the ratio of modelled
 * times, and the fallback ratios used when an op's work is unknown. */
#include <math.h>
#include <string.h>

#include "hw_internal.h"

const char *tc_hw_basis_name(unsigned b)
{
	static const char *const names[] = {"model",	       "compute-ratio", "memory-ratio",
					    "host-link-ratio", "network-ratio", "mixed-ratio",
					    "unchanged"};
	return b < TC_ARRAY_LEN(names) ? names[b] : "?";
}

/* Which resource an op with unknown work is assumed to stress, from its enums only: ingest
 * has already read the kernel names into the class (ingest/opclass.c); an op it could not
 * classify takes the geometric mean of compute and memory. */
unsigned tc_hw_fallback_basis(const struct tc_hw_op *op)
{
	if (op->coll_kind != TC_COLL_NONE || op->op_class == TC_CLASS_COLLECTIVE)
		return TC_HW_BASIS_NETWORK;
	if (op->kind == TC_KIND_MEMCPY) {
		if (op->sub == TC_COPY_H2D || op->sub == TC_COPY_D2H)
			return TC_HW_BASIS_HOST;
		return op->sub == TC_COPY_P2P ? TC_HW_BASIS_NETWORK : TC_HW_BASIS_MEMORY;
	}
	if (op->kind == TC_KIND_MEMSET)
		return TC_HW_BASIS_MEMORY;
	switch (op->op_class) {
	case TC_CLASS_GEMM:
	case TC_CLASS_CONV:
	case TC_CLASS_ATTENTION:
		return TC_HW_BASIS_COMPUTE;
	case TC_CLASS_ELEMENTWISE:
	case TC_CLASS_REDUCTION:
	case TC_CLASS_NORM:
	case TC_CLASS_SOFTMAX:
	case TC_CLASS_EMBEDDING:
	case TC_CLASS_COPY:
	case TC_CLASS_MEMSET:
	case TC_CLASS_OPTIMIZER:
		return TC_HW_BASIS_MEMORY;
	case TC_CLASS_HOST:
		return TC_HW_BASIS_UNCHANGED;
	default:
		return TC_HW_BASIS_MIXED;
	}
}

static double last_eff(const struct tc_hw_curve *c)
{
	return c->n ? c->e[c->n - 1] : 1.0;
}

/* Achievable rate of the resource a basis names; only ratios of it are used. */
static double basis_rate(const struct tc_chip *c, unsigned basis, const struct tc_hw_op *op,
			 int *fb)
{
	int used, f = 0;
	double r = 1.0;
	switch (basis) {
	case TC_HW_BASIS_COMPUTE:
		r = tc_hw_peak_for(c, op->dtype, 1, &f, &used) * last_eff(&c->mat_eff);
		if (op->op_class == TC_CLASS_ATTENTION)
			r *= c->attn_eff;
		break;
	case TC_HW_BASIS_MEMORY:
		r = c->hbm_bw * last_eff(&c->mem_eff);
		break;
	case TC_HW_BASIS_HOST:
		r = c->host_bw * c->host_eff;
		break;
	case TC_HW_BASIS_NETWORK:
		r = c->up.bw_dev * c->up.eff;
		break;
	case TC_HW_BASIS_MIXED:
		r = sqrt(tc_hw_peak_for(c, op->dtype, 1, &f, &used) * last_eff(&c->mat_eff) *
			 c->hbm_bw * last_eff(&c->mem_eff));
		break;
	default:
		break;
	}
	if (fb)
		*fb |= f;
	return r;
}

double tc_hw_fallback_ratio(const struct tc_chip *src, const struct tc_chip *dst,
			    const struct tc_hw_op *op, unsigned *basis)
{
	unsigned b = op->basis_hint ? op->basis_hint - 1u : tc_hw_fallback_basis(op);
	if (basis)
		*basis = b;
	return basis_rate(src, b, op, NULL) / basis_rate(dst, b, op, NULL);
}

double tc_hw_scale(const struct tc_chip *src, const struct tc_chip *dst, const struct tc_hw_op *op,
		   double t_src_ns, struct tc_hw_cost *out)
{
	return tc_hw_scale_to(src, dst, op, op, t_src_ns, out);
}

double tc_hw_scale_to(const struct tc_chip *src, const struct tc_chip *dst,
		      const struct tc_hw_op *op, const struct tc_hw_op *op_dst, double t_src_ns,
		      struct tc_hw_cost *out)
{
	struct tc_hw_cost cs, cd;
	/* The ratio of the modelled work, before either chip's kernel floor: a measured time
	 * already holds the source's floor, and the caller floors the result on the target
	 * (docs/projection.md, "kernel floor"). */
	if (tc_hw_op_cost(src, op, &cs) == 0 && tc_hw_op_cost(dst, op_dst, &cd) == 0 &&
	    cs.raw_ns > 0 && cd.raw_ns > 0) {
		double t = t_src_ns * cd.raw_ns / cs.raw_ns;
		if (out) {
			*out = cd;
			out->bound = cd.raw_bound;
			/* Same work over a longer (or shorter) measured time: utilisation follows.
			 */
			out->util = t > 0 ? cd.util * cd.ns / t : cd.util;
			if (out->util > 1)
				out->util = 1;
			out->ns = t;
			out->dtype_fallback = cd.dtype_fallback | cs.dtype_fallback;
			out->basis = TC_HW_BASIS_MODEL;
		}
		return t;
	}
	unsigned b = op->basis_hint ? op->basis_hint - 1u : tc_hw_fallback_basis(op);
	int fb = 0;
	double rs = basis_rate(src, b, op, &fb), rd = basis_rate(dst, b, op, &fb);
	double t = t_src_ns * rs / rd;
	if (out) {
		memset(out, 0, sizeof(*out));
		out->ns = t;
		out->basis = (uint8_t)b;
		out->dtype_fallback = (uint8_t)fb;
		switch (b) {
		case TC_HW_BASIS_COMPUTE:
		case TC_HW_BASIS_MIXED:
			out->bound = TC_BOUND_COMPUTE;
			out->compute_ns = t;
			out->util = last_eff(&dst->mat_eff);
			break;
		case TC_HW_BASIS_NETWORK:
			out->bound = TC_BOUND_COMM;
			out->comm_ns = t;
			out->util = 0.25;
			break;
		case TC_HW_BASIS_UNCHANGED:
			out->bound = TC_BOUND_HOST;
			break;
		default:
			out->bound = TC_BOUND_MEMORY;
			out->memory_ns = t;
			out->util = last_eff(&dst->mem_eff);
			break;
		}
		if (b == TC_HW_BASIS_MIXED)
			out->util = 0.5 * (last_eff(&dst->mat_eff) + last_eff(&dst->mem_eff));
	}
	return t;
}

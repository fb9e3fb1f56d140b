/* collective.c - collectives over the two network tiers: per-tier algorithms (ring, tree,
 * direct, and the NCCL-like automatic choice between ring and tree), hierarchical
 * collectives across scale-up domains, and the inverse (the message size a measured
 * transfer time implies). docs/hwmodel.md §2.6 gives every formula. */
#include <math.h>
#include <string.h>

#include "hw_internal.h"

/* Achievable one-way bandwidth of a device talking to p-1 peers on a tier: all its links
 * through a switch, but only p-1 links' worth on a mesh (xGMI: 64 GB/s per peer). Between
 * domains (scale-out) a device has nics NICs, and traffic that leaves its rail crosses the
 * oversubscribed spine. */
static double tier_bw(const struct tc_hw_tier *t, uint32_t p, int cross_rail)
{
	double dev = t->bw_dev * t->nics;
	double peer = t->bw_peer * t->nics * (double)(p > 1 ? p - 1 : 1);
	double b = peer < dev ? peer : dev;
	if (cross_rail || t->rails == 0)
		b /= t->oversub;
	return b * t->eff;
}

static double clog2(uint32_t p)
{
	return p > 1 ? ceil(log2((double)p)) : 0;
}

/* One collective on one tier among p devices with one algorithm. S: all-reduce = buffer,
 * all-gather = total output, reduce-scatter = total input, others = message bytes. */
static double coll_algo(const struct tc_hw_tier *t, int algo, unsigned kind, uint32_t p, double S)
{
	double B = tier_bw(t, p, kind == TC_COLL_ALLTOALL) / 1e9; /* bytes per ns */
	double a = t->lat_ns, f = (double)(p - 1) / p, lat;
	switch (kind) {
	case TC_COLL_ALLREDUCE:
		if (t->in_network_reduction) /* NVLS / SHARP: the switch reduces, one pass */
			return (algo == TC_ALGO_TREE	 ? 2 * clog2(p)
				: algo == TC_ALGO_DIRECT ? 2
							 : 2.0 * (p - 1)) *
				   a +
			       f * S / B;
		if (algo == TC_ALGO_TREE) /* pipelined reduce up + broadcast down: S each way */
			return 2 * clog2(p) * a + 2.0 * S / B;
		lat = algo == TC_ALGO_DIRECT ? 2 * a : 2.0 * (p - 1) * a;
		return lat + 2.0 * f * S / B;
	case TC_COLL_ALLGATHER:
	case TC_COLL_REDUCE_SCATTER:
		lat = algo == TC_ALGO_TREE     ? clog2(p) * a
		      : algo == TC_ALGO_DIRECT ? a
					       : (double)(p - 1) * a;
		return lat + f * S / B;
	case TC_COLL_BROADCAST:
	case TC_COLL_REDUCE:
		lat = algo == TC_ALGO_RING   ? (double)(p - 1) * a
		      : algo == TC_ALGO_TREE ? clog2(p) * a
					     : a;
		return lat + S / B;
	case TC_COLL_ALLTOALL:
	case TC_COLL_GATHER:
	case TC_COLL_SCATTER:
		return a + f * S / B;
	case TC_COLL_SEND:
	case TC_COLL_RECV:
	case TC_COLL_SENDRECV:
		return a + S / (t->bw_peer * t->nics * t->eff / 1e9);
	case TC_COLL_BARRIER:
		return 2 * clog2(p) * a;
	}
	return a + S / B;
}

/* The algorithm a tier runs a collective with. AUTO takes the cheaper of ring and tree, as
 * NCCL's tuner picks the algorithm with the lowest predicted time: tree wins on small
 * messages and many domains (log latency), ring on large ones (bandwidth 2(p-1)/p vs 2).
 * All-gather and reduce-scatter have no tree in NCCL: ring. */
static int tier_algo(const struct tc_hw_tier *t, unsigned kind, uint32_t p, double S)
{
	if (t->algorithm != TC_ALGO_AUTO)
		return t->algorithm;
	if (kind != TC_COLL_ALLREDUCE && kind != TC_COLL_BROADCAST && kind != TC_COLL_REDUCE)
		return TC_ALGO_RING;
	return coll_algo(t, TC_ALGO_TREE, kind, p, S) < coll_algo(t, TC_ALGO_RING, kind, p, S)
		   ? TC_ALGO_TREE
		   : TC_ALGO_RING;
}

static double coll_tier(const struct tc_hw_tier *t, unsigned kind, uint32_t p, double S)
{
	return p <= 1 ? 0 : coll_algo(t, tier_algo(t, kind, p, S), kind, p, S);
}

/* One phase of a hierarchical collective: its latency (the algorithm's time for an empty
 * message) adds up; its transfer adds to its tier's (phases on one fabric share its links),
 * and the tiers run at once (pipelined chunks): the busier tier sets the pace. */
static void coll_split(const struct tc_hw_tier *t, unsigned kind, uint32_t p, double S, double *lat,
		       double *bw)
{
	if (p <= 1)
		return;
	int a = tier_algo(t, kind, p, S);
	double l = coll_algo(t, a, kind, p, 0);
	*lat += l;
	*bw += coll_algo(t, a, kind, p, S) - l;
}

/* Modelled time (ns, launch overhead included, before the kernel floor) of S bytes. */
static double coll_time(const struct tc_chip *c, const struct tc_hw_op *op, double S)
{
	unsigned kind = op->coll_kind;
	uint32_t n = op->group_size;
	int p2p = kind == TC_COLL_SEND || kind == TC_COLL_RECV || kind == TC_COLL_SENDRECV;
	uint32_t r = op->ranks_per_node ? op->ranks_per_node : n;
	if (r > n)
		r = n;
	if (r > c->up.size)
		r = c->up.size;
	if (r == 0)
		r = 1;
	uint32_t m = (n + r - 1) / r; /* scale-up domains the group spans */
	double t;
	if (p2p) {
		t = coll_tier(m > 1 || r < 2 ? &c->out : &c->up, kind, 2, S);
	} else if (n <= 1) {
		t = 0;
	} else if (m == 1) {
		t = coll_tier(&c->up, kind, n, kind == TC_COLL_ALLGATHER ? S * n : S);
	} else if (r == 1) {
		t = coll_tier(&c->out, kind, n, kind == TC_COLL_ALLGATHER ? S * n : S);
	} else {
		/* Hierarchical: inside each domain over scale-up, across domains over scale-out
		 * with every device of a domain driving its own NIC on its shard. */
		/* NCCL pipelines the phases chunk by chunk: their latencies add up, their
		 * transfers overlap and the slowest tier sets the pace */
		double lat = 0, up = 0, out = 0;
		switch (kind) {
		case TC_COLL_ALLREDUCE:
			coll_split(&c->up, TC_COLL_REDUCE_SCATTER, r, S, &lat, &up);
			coll_split(&c->out, TC_COLL_ALLREDUCE, m, S / r, &lat, &out);
			coll_split(&c->up, TC_COLL_ALLGATHER, r, S, &lat, &up);
			t = lat + (up > out ? up : out);
			break;
		case TC_COLL_ALLGATHER:
			coll_split(&c->out, TC_COLL_ALLGATHER, m, S * m, &lat, &out);
			coll_split(&c->up, TC_COLL_ALLGATHER, r, S * n, &lat, &up);
			t = lat + (up > out ? up : out);
			break;
		case TC_COLL_REDUCE_SCATTER:
			coll_split(&c->up, TC_COLL_REDUCE_SCATTER, r, S, &lat, &up);
			coll_split(&c->out, TC_COLL_REDUCE_SCATTER, m, S / r, &lat, &out);
			t = lat + (up > out ? up : out);
			break;
		case TC_COLL_ALLTOALL: {
			/* Both fabrics work at once; the slower share bounds. */
			double out_t = c->out.lat_ns +
				       (double)(n - r) / n * S / (tier_bw(&c->out, m, 1) / 1e9);
			double up_t =
			    c->up.lat_ns + (double)(r - 1) / n * S / (tier_bw(&c->up, r, 1) / 1e9);
			t = out_t > up_t ? out_t : up_t;
			break;
		}
		case TC_COLL_GATHER:
		case TC_COLL_SCATTER:
			t = coll_tier(&c->out, kind, m, S) + coll_tier(&c->up, kind, r, S / m);
			break;
		default:
			t = coll_tier(&c->out, kind, m, S) + coll_tier(&c->up, kind, r, S);
			break;
		}
	}
	return t + c->coll_launch_ns;
}

int tc_hw_coll_cost(const struct tc_chip *c, const struct tc_hw_op *op, struct tc_hw_cost *out)
{
	unsigned kind = op->coll_kind;
	double S = op->coll_bytes ? (double)op->coll_bytes : (double)op->bytes_read;
	if (kind == TC_COLL_NONE || op->group_size == 0 || (!(S > 0) && kind != TC_COLL_BARRIER))
		return TC_EUNSUPPORTED;
	out->comm_ns = coll_time(c, op, S);
	out->ns = out->comm_ns;
	out->bound = TC_BOUND_COMM;
	out->util = TC_HW_COMM_UTIL;
	tc_hw_kernel_floor(c, out, op->op_class);
	return 0;
}

/* The model is nondecreasing in S (every term is latency + S / bandwidth, and AUTO is a
 * minimum of such), so bisection in log space finds the size. */
int tc_hw_coll_bytes_for(const struct tc_chip *c, const struct tc_hw_op *op, double t_ns,
			 uint64_t *bytes)
{
	unsigned kind = op->coll_kind;
	*bytes = 0;
	if (kind == TC_COLL_NONE || kind == TC_COLL_BARRIER || op->group_size == 0 || !(t_ns > 0) ||
	    !isfinite(t_ns))
		return TC_EUNSUPPORTED;
	double lo = 0, hi = 50; /* log2 bytes: 1 B .. 1 PiB */
	if (coll_time(c, op, 1.0) >= t_ns) {
		*bytes = 1; /* latency alone explains it: the smallest message */
		return 0;
	}
	if (coll_time(c, op, exp2(hi)) <= t_ns) {
		*bytes = (uint64_t)1 << 50;
		return 0;
	}
	for (int i = 0; i < 64; i++) {
		double mid = 0.5 * (lo + hi);
		if (coll_time(c, op, exp2(mid)) < t_ns)
			lo = mid;
		else
			hi = mid;
	}
	*bytes = (uint64_t)llround(exp2(hi));
	return 0;
}

/* onnx_infer_data.c - shape inference for data movement (Reshape, Transpose, Concat,
 * Slice, Gather, ...) and shape-producing operators (Shape, Constant, Range, ...). */
#include "onnx_infer.h"

/* ---- data movement ------------------------------------------------------------------------ */

int ox_do_reshape(struct tc_onnx_graph *g, struct ox_node *n)
{
	struct ox_tensor *x = IN(0), *s = IN(1), *o = OUT(0);
	if (!x || !o)
		return 0;
	o->elem = x->elem;
	n->view = 1;
	int64_t shp[OX_MAXR];
	size_t ns = 0;
	if (s) {
		if (!ints_of(s, shp, OX_MAXR, &ns))
			return 1;
	} else {
		const int64_t *a = ox_attr_ints(n, "shape", &ns);
		if (ns > OX_MAXR || !a)
			return 1;
		memcpy(shp, a, ns * sizeof(int64_t));
	}
	int allowzero = ox_attr_i(n, "allowzero", 0) != 0;
	int infer = -1;
	int64_t prod = 1;
	for (size_t i = 0; i < ns; i++) {
		int64_t d = shp[i];
		if (d == 0 && !allowzero)
			d = (int)i < x->rank ? x->dims[i] : -1;
		if (d == -1 && infer < 0 && shp[i] == -1) {
			infer = (int)i;
			continue;
		}
		o->dims[i] = d < 0 ? -1 : d;
		prod = dmul(prod, d);
	}
	o->rank = (int32_t)ns;
	int64_t total = numel(x);
	if (infer >= 0)
		o->dims[infer] = total >= 0 && prod > 0 && total % prod == 0 ? total / prod : -1;
	else if (g->batch_override && ns > 0 && o->dims[0] == 1 && x->rank > 0 && prod > 0 &&
		 total > prod && total % prod == 0 && total / prod == x->dims[0])
		/* --dim batch=N on a model exported at batch 1 whose Reshape targets hard-code
		 * the 1: the leading dim follows the batch */
		o->dims[0] = x->dims[0];
	else if (total >= 0 && prod >= 0 && total != prod)
		/* the model is inconsistent (e.g. designed for another input size): keep the
		 * declared shape, which the following weights agree with, and say so */
		tc_warn(g->log,
			"%s: node '%s' (Reshape): %lld elements reshaped to %lld; keeping the "
			"target shape",
			g->file, ox_node_name(n), (long long)total, (long long)prod);
	if (has_vals(x) && numel(o) == (int64_t)x->nvals)
		TC_TRY(x->iv ? set_ivals(g, o, x->iv, x->nvals) : set_fvals(g, o, x->fv, x->nvals));
	return 1;
}

int ox_do_flatten(struct tc_onnx_graph *g, struct ox_node *n)
{
	struct ox_tensor *x = IN(0), *o = OUT(0);
	if (!x || !o)
		return 0;
	o->elem = x->elem;
	n->view = 1;
	if (x->rank < 0)
		return 1;
	int64_t axis = norm_axis(ox_attr_i(n, "axis", 1), x->rank), a = 1, b = 1;
	for (int i = 0; i < x->rank; i++) {
		int64_t d = x->dims[i];
		if (i < axis)
			a = dmul(a, d);
		else
			b = dmul(b, d);
	}
	o->rank = 2;
	o->dims[0] = a;
	o->dims[1] = b;
	return 1;
}

int ox_do_squeeze(struct tc_onnx_graph *g, struct ox_node *n, int unsq)
{
	struct ox_tensor *x = IN(0), *o = OUT(0);
	if (!x || !o)
		return 0;
	o->elem = x->elem;
	n->view = 1;
	int64_t axes[OX_MAXR];
	size_t na = 0;
	if (n->opset >= 13) {
		if (IN(1) && !ints_of(IN(1), axes, OX_MAXR, &na))
			return 1;
	} else {
		const int64_t *a = ox_attr_ints(n, "axes", &na);
		if (na > OX_MAXR)
			return 1;
		if (na)
			memcpy(axes, a, na * sizeof(int64_t));
	}
	if (x->rank < 0)
		return 1;
	if (unsq) {
		int r = x->rank + (int)na;
		if (r > OX_MAXR)
			return 1;
		int ins[OX_MAXR] = {0};
		for (size_t i = 0; i < na; i++) {
			int64_t a = norm_axis(axes[i], r);
			if (a < 0 || a >= r)
				return 1;
			ins[a] = 1;
		}
		for (int i = 0, k = 0; i < r; i++)
			o->dims[i] = ins[i] ? 1 : x->dims[k++];
		o->rank = r;
	} else {
		int rm[OX_MAXR] = {0};
		for (size_t i = 0; i < na; i++) {
			int64_t a = norm_axis(axes[i], x->rank);
			if (a < 0 || a >= x->rank)
				return 1;
			rm[a] = 1;
		}
		int r = 0;
		for (int i = 0; i < x->rank; i++) {
			if (na == 0 && x->dims[i] < 0)
				return 1; /* cannot tell which dims are 1 */
			if (na ? !rm[i] : x->dims[i] != 1)
				o->dims[r++] = x->dims[i];
		}
		o->rank = r;
	}
	if (has_vals(x) && numel(o) == (int64_t)x->nvals)
		TC_TRY(x->iv ? set_ivals(g, o, x->iv, x->nvals) : set_fvals(g, o, x->fv, x->nvals));
	return 1;
}

int ox_do_transpose(struct tc_onnx_graph *g, struct ox_node *n)
{
	struct ox_tensor *x = IN(0), *o = OUT(0);
	if (!x || !o)
		return 0;
	o->elem = x->elem;
	if (x->rank < 0)
		return 0;
	size_t np;
	const int64_t *perm = ox_attr_ints(n, "perm", &np);
	for (int i = 0; i < x->rank; i++) {
		int64_t p = np == (size_t)x->rank ? perm[i] : x->rank - 1 - i;
		if (p < 0 || p >= x->rank)
			return 0;
		o->dims[i] = x->dims[p];
	}
	o->rank = x->rank;
	return numel(o) >= 0;
}

int ox_do_concat(struct tc_onnx_graph *g, struct ox_node *n)
{
	struct ox_tensor *x = IN(0), *o = OUT(0);
	if (!x || !o)
		return 0;
	o->elem = x->elem;
	if (x->rank < 1)
		return 0;
	int64_t axis = norm_axis(ox_attr_i(n, "axis", 0), x->rank);
	if (axis < 0 || axis >= x->rank)
		return 0;
	copy_shape(o, x);
	int64_t sum = 0, iv[OX_MAXVALS];
	double fv[OX_MAXVALS];
	size_t nv = 0;
	int vals = x->rank == 1, isint = 1;
	for (uint32_t k = 0; k < n->nin; k++) {
		const struct ox_tensor *t = IN(k);
		if (!t)
			continue;
		if (t->rank != x->rank) {
			o->dims[axis] = -1;
			return 0;
		}
		for (int i = 0; i < x->rank; i++)
			if (i != axis && o->dims[i] < 0)
				o->dims[i] = t->dims[i];
		sum = sum < 0 || t->dims[axis] < 0 ? -1 : sum + t->dims[axis];
		if (vals && has_vals(t) && numel(t) == (int64_t)t->nvals &&
		    nv + t->nvals <= OX_MAXVALS) {
			isint &= t->iv != NULL;
			for (uint32_t i = 0; i < t->nvals; i++, nv++) {
				iv[nv] = ival(t, i);
				fv[nv] = fval(t, i);
			}
		} else {
			vals = 0;
		}
	}
	o->dims[axis] = sum;
	if (vals && (int64_t)nv == sum)
		TC_TRY(isint ? set_ivals(g, o, iv, nv) : set_fvals(g, o, fv, nv));
	return numel(o) >= 0;
}

int ox_do_split(struct tc_onnx_graph *g, struct ox_node *n)
{
	struct ox_tensor *x = IN(0);
	if (!x || x->rank < 1)
		return 0;
	int64_t axis = norm_axis(ox_attr_i(n, "axis", 0), x->rank);
	if (axis < 0 || axis >= x->rank)
		return 0;
	int64_t parts[64];
	size_t np = 0;
	if (n->opset >= 13 && IN(1)) {
		if (!ints_of(IN(1), parts, 64, &np))
			np = 0;
	} else {
		const int64_t *a = ox_attr_ints(n, "split", &np);
		if (np > 64)
			np = 0;
		if (np)
			memcpy(parts, a, np * sizeof(int64_t));
	}
	if (np != n->nout) {
		/* equal parts (num_outputs at opset 18: the last one may be smaller) */
		int64_t d = x->dims[axis], k = n->nout ? n->nout : 1,
			each = d < 0 ? -1 : (d + k - 1) / k;
		np = n->nout > 64 ? 64 : n->nout;
		for (size_t i = 0; i < np; i++) {
			int64_t left = d - each * (int64_t)i;
			parts[i] = d < 0 ? -1 : TC_MAX(TC_MIN(each, left), 0);
		}
	}
	for (uint32_t k = 0; k < n->nout && k < np; k++) {
		struct ox_tensor *o = OUT(k);
		if (!o)
			continue;
		copy_shape(o, x);
		o->elem = x->elem;
		o->dims[axis] = parts[k];
	}
	return numel(x) >= 0;
}

/* Slice: opset < 10 attributes starts/ends/axes; from 10 inputs starts, ends, axes, steps. */
int ox_do_slice(struct tc_onnx_graph *g, struct ox_node *n)
{
	struct ox_tensor *x = IN(0), *o = OUT(0);
	if (!x || !o)
		return 0;
	o->elem = x->elem;
	if (x->rank < 0)
		return 0;
	int64_t st[OX_MAXR], en[OX_MAXR], ax[OX_MAXR], sp[OX_MAXR];
	size_t ns = 0, ne = 0, na = 0, nsp = 0;
	if (n->opset < 10) {
		const int64_t *a = ox_attr_ints(n, "starts", &ns),
			      *b = ox_attr_ints(n, "ends", &ne), *c = ox_attr_ints(n, "axes", &na);
		if (ns > OX_MAXR || ne != ns || na > OX_MAXR)
			return 0;
		if (ns) {
			memcpy(st, a, ns * 8);
			memcpy(en, b, ne * 8);
		}
		if (na)
			memcpy(ax, c, na * 8);
	} else {
		if (!ints_of(IN(1), st, OX_MAXR, &ns) || !ints_of(IN(2), en, OX_MAXR, &ne) ||
		    ns != ne)
			return 0;
		if (IN(3) && !ints_of(IN(3), ax, OX_MAXR, &na))
			return 0;
		if (IN(4) && !ints_of(IN(4), sp, OX_MAXR, &nsp))
			return 0;
	}
	copy_shape(o, x);
	int64_t lo[OX_MAXR] = {0}, step[OX_MAXR];
	for (int i = 0; i < OX_MAXR; i++)
		step[i] = 1;
	for (size_t i = 0; i < ns; i++) {
		int64_t a = na ? norm_axis(ax[i], x->rank) : (int64_t)i;
		int64_t s = nsp ? sp[i] : 1, d = x->dims[a < 0 || a >= x->rank ? 0 : a];
		if (a < 0 || a >= x->rank || s == 0)
			return 0;
		if (d < 0) {
			o->dims[a] = -1;
			continue;
		}
		int64_t b = st[i], e = en[i];
		if (b < 0)
			b += d;
		if (e < 0 && e > INT64_MIN / 2)
			e += d;
		if (s > 0) {
			b = TC_MAX(TC_MIN(b, d), 0);
			e = TC_MAX(TC_MIN(e, d), 0);
			o->dims[a] = e > b ? (e - b + s - 1) / s : 0;
		} else {
			b = TC_MAX(TC_MIN(b, d - 1), -1);
			e = TC_MAX(TC_MIN(e, d - 1), -1);
			o->dims[a] = b > e ? (b - e + (-s) - 1) / (-s) : 0;
		}
		lo[a] = b;
		step[a] = s;
	}
	/* values of a 1-D slice (shape[2:] and the like) */
	if (x->rank == 1 && has_vals(x) && numel(o) >= 0 && numel(x) == (int64_t)x->nvals) {
		int64_t cnt = numel(o), iv[OX_MAXVALS];
		double fv[OX_MAXVALS];
		for (int64_t i = 0; i < cnt && i < OX_MAXVALS; i++) {
			int64_t src = lo[0] + i * step[0];
			if (src < 0 || src >= (int64_t)x->nvals)
				return 1;
			iv[i] = ival(x, (uint32_t)src);
			fv[i] = fval(x, (uint32_t)src);
		}
		TC_TRY(x->iv ? set_ivals(g, o, iv, (size_t)cnt) : set_fvals(g, o, fv, (size_t)cnt));
	}
	return numel(o) >= 0;
}

int ox_do_gather(struct tc_onnx_graph *g, struct ox_node *n)
{
	struct ox_tensor *x = IN(0), *idx = IN(1), *o = OUT(0);
	if (!x || !idx || !o)
		return 0;
	o->elem = x->elem;
	if (!strcmp(n->op, "GatherElements")) {
		copy_shape(o, idx);
		o->elem = x->elem;
		return numel(o) >= 0;
	}
	if (x->rank < 1 || idx->rank < 0 || x->rank + idx->rank - 1 > OX_MAXR)
		return 0;
	int64_t axis = norm_axis(ox_attr_i(n, "axis", 0), x->rank);
	if (axis < 0 || axis >= x->rank)
		return 0;
	int r = 0;
	for (int i = 0; i < axis; i++)
		o->dims[r++] = x->dims[i];
	for (int i = 0; i < idx->rank; i++)
		o->dims[r++] = idx->dims[i];
	for (int i = (int)axis + 1; i < x->rank; i++)
		o->dims[r++] = x->dims[i];
	o->rank = r;
	/* shape[i]: gather from a known 1-D vector */
	if (x->rank == 1 && has_vals(x) && has_vals(idx) && numel(o) == (int64_t)idx->nvals) {
		int64_t iv[OX_MAXVALS];
		double fv[OX_MAXVALS];
		for (uint32_t i = 0; i < idx->nvals; i++) {
			int64_t k = ival(idx, i);
			if (k < 0)
				k += x->nvals;
			if (k < 0 || k >= x->nvals)
				return 1;
			iv[i] = ival(x, (uint32_t)k);
			fv[i] = fval(x, (uint32_t)k);
		}
		TC_TRY(x->iv ? set_ivals(g, o, iv, idx->nvals) : set_fvals(g, o, fv, idx->nvals));
	}
	/* a lookup into a weight table is an embedding */
	if (x->is_const && x->rank == 2 && axis == 0)
		n->cls = TC_CLASS_EMBEDDING;
	return numel(o) >= 0;
}

int ox_do_expand(struct tc_onnx_graph *g, struct ox_node *n)
{
	struct ox_tensor *x = IN(0), *s = IN(1), *o = OUT(0);
	if (!x || !o)
		return 0;
	o->elem = x->elem;
	int64_t v[OX_MAXR];
	size_t ns;
	if (!s || !ints_of(s, v, OX_MAXR, &ns))
		return 0;
	struct ox_tensor shp;
	memset(&shp, 0, sizeof(shp));
	shp.rank = (int32_t)ns;
	memcpy(shp.dims, v, ns * sizeof(int64_t));
	if (!bcast2(o, x, &shp))
		return 0;
	return numel(o) >= 0;
}

int ox_do_tile(struct tc_onnx_graph *g, struct ox_node *n)
{
	struct ox_tensor *x = IN(0), *o = OUT(0);
	int64_t rep[OX_MAXR];
	size_t nr;
	if (!x || !o)
		return 0;
	o->elem = x->elem;
	if (!ints_of(IN(1), rep, OX_MAXR, &nr) || (int)nr != x->rank)
		return 0;
	copy_shape(o, x);
	for (int i = 0; i < x->rank; i++)
		o->dims[i] = dmul(x->dims[i], rep[i]);
	return numel(o) >= 0;
}

int ox_do_pad(struct tc_onnx_graph *g, struct ox_node *n)
{
	struct ox_tensor *x = IN(0), *o = OUT(0);
	if (!x || !o)
		return 0;
	o->elem = x->elem;
	if (x->rank < 0)
		return 0;
	int64_t pads[2 * OX_MAXR], axes[OX_MAXR];
	size_t np = 0, na = 0;
	if (n->opset < 11) {
		const int64_t *a = ox_attr_ints(n, "pads", &np);
		if (np > 2 * OX_MAXR)
			return 0;
		if (np)
			memcpy(pads, a, np * 8);
	} else if (!ints_of(IN(1), pads, 2 * OX_MAXR, &np)) {
		return 0;
	}
	if (IN(3) && !ints_of(IN(3), axes, OX_MAXR, &na))
		return 0;
	if (!na) {
		na = (size_t)x->rank;
		for (size_t i = 0; i < na; i++)
			axes[i] = (int64_t)i;
	}
	if (np != 2 * na)
		return 0;
	copy_shape(o, x);
	for (size_t i = 0; i < na; i++) {
		int64_t a = norm_axis(axes[i], x->rank);
		if (a < 0 || a >= x->rank)
			return 0;
		if (o->dims[a] >= 0)
			o->dims[a] += pads[i] + pads[i + na];
	}
	return numel(o) >= 0;
}

/* Resize (opset 10: X, scales; 11+: X, roi, scales, sizes) and Upsample (7: scales attribute,
 * 9: scales input). FLOPs per output element: nearest 0, linear 4, cubic 16. */
int ox_do_resize(struct tc_onnx_graph *g, struct ox_node *n)
{
	struct ox_tensor *x = IN(0), *o = OUT(0);
	if (!x || !o)
		return 0;
	o->elem = x->elem;
	if (x->rank < 0)
		return 0;
	const struct ox_tensor *scales = NULL, *sizes = NULL;
	int upsample = !strcmp(n->op, "Upsample");
	if (upsample || n->opset < 11)
		scales = IN(1);
	else {
		scales = IN(2);
		sizes = IN(3);
	}
	copy_shape(o, x);
	int64_t sz[OX_MAXR];
	size_t ns;
	if (sizes && ints_of(sizes, sz, OX_MAXR, &ns) && (int)ns == x->rank) {
		for (int i = 0; i < x->rank; i++)
			o->dims[i] = sz[i];
	} else if (scales && has_vals(scales) && (int)scales->nvals == x->rank) {
		for (int i = 0; i < x->rank; i++)
			o->dims[i] = x->dims[i] < 0
					 ? -1
					 : dim_of_double(floor((double)x->dims[i] *
							       fval(scales, (uint32_t)i)));
	} else if (upsample && !scales) {
		const Onnx__AttributeProto *a = ox_attr(n, "scales");
		if (!a || (int)a->n_floats != x->rank)
			return 0;
		for (int i = 0; i < x->rank; i++)
			o->dims[i] = x->dims[i] < 0
					 ? -1
					 : dim_of_double(floor((double)x->dims[i] * a->floats[i]));
	} else {
		set_rank(o, x->rank);
		return 0;
	}
	const char *mode = ox_attr_s(g, n, "mode", "nearest");
	uint64_t fpe = tc_strcasestr(mode, "linear") ? 4 : tc_strcasestr(mode, "cubic") ? 16 : 0;
	int64_t e = numel(o);
	if (e < 0)
		return 0;
	n->flops = (uint64_t)e * fpe;
	return 1;
}

/* ---- shape-producing operators ------------------------------------------------------------ */

int ox_do_shape(struct tc_onnx_graph *g, struct ox_node *n)
{
	struct ox_tensor *x = IN(0), *o = OUT(0);
	if (!x || !o)
		return 0;
	o->elem = OX_INT64;
	if (!strcmp(n->op, "Size")) {
		o->rank = 0;
		int64_t e = numel(x);
		if (e >= 0)
			TC_TRY(set_ivals(g, o, &e, 1));
		return 1;
	}
	if (x->rank < 0) {
		set_rank(o, 1);
		return 1;
	}
	int64_t start = norm_axis(ox_attr_i(n, "start", 0), x->rank);
	int64_t end =
	    ox_attr(n, "end") ? norm_axis(ox_attr_i(n, "end", x->rank), x->rank) : x->rank;
	start = TC_MAX(TC_MIN(start, x->rank), 0);
	end = TC_MAX(TC_MIN(end, x->rank), start);
	o->rank = 1;
	o->dims[0] = end - start;
	int all = 1;
	for (int64_t i = start; i < end; i++)
		all &= x->dims[i] >= 0;
	if (all)
		TC_TRY(set_ivals(g, o, x->dims + start, (size_t)(end - start)));
	return 1;
}

static int tensor_attr_shape(struct tc_onnx_graph *g, struct ox_tensor *o,
			     const Onnx__TensorProto *tp)
{
	o->elem = tp->has_data_type ? tp->data_type : OX_FLOAT;
	if (tp->n_dims > OX_MAXR) {
		o->rank = -1;
		return 0;
	}
	o->rank = (int32_t)tp->n_dims;
	for (size_t i = 0; i < tp->n_dims; i++)
		o->dims[i] = tp->dims[i] >= 0 ? tp->dims[i] : -1;
	ox_tensor_values(g, o, tp);
	return 0;
}

int ox_do_constant(struct tc_onnx_graph *g, struct ox_node *n)
{
	struct ox_tensor *o = OUT(0);
	const Onnx__AttributeProto *a;
	if (!o)
		return 0;
	if ((a = ox_attr(n, "value")) && a->t) {
		TC_TRY(tensor_attr_shape(g, o, a->t));
	} else if ((a = ox_attr(n, "value_int")) && a->has_i) {
		o->elem = OX_INT64;
		o->rank = 0;
		TC_TRY(set_ivals(g, o, &a->i, 1));
	} else if ((a = ox_attr(n, "value_ints"))) {
		o->elem = OX_INT64;
		o->rank = 1;
		o->dims[0] = (int64_t)a->n_ints;
		TC_TRY(set_ivals(g, o, a->ints, a->n_ints));
	} else if ((a = ox_attr(n, "value_float")) && a->has_f) {
		double v = a->f;
		o->elem = OX_FLOAT;
		o->rank = 0;
		TC_TRY(set_fvals(g, o, &v, 1));
	} else if ((a = ox_attr(n, "value_floats"))) {
		o->elem = OX_FLOAT;
		o->rank = 1;
		o->dims[0] = (int64_t)a->n_floats;
		if (a->n_floats <= OX_MAXVALS) {
			double v[OX_MAXVALS];
			for (size_t i = 0; i < a->n_floats; i++)
				v[i] = a->floats[i];
			TC_TRY(set_fvals(g, o, v, a->n_floats));
		}
	} else if ((a = ox_attr(n, "sparse_value")) && a->sparse_tensor) {
		const Onnx__SparseTensorProto *sp = a->sparse_tensor;
		o->elem = sp->values ? sp->values->data_type : OX_FLOAT;
		o->rank = sp->n_dims <= OX_MAXR ? (int32_t)sp->n_dims : -1;
		for (size_t i = 0; o->rank >= 0 && i < sp->n_dims; i++)
			o->dims[i] = sp->dims[i];
	} else {
		return 0;
	}
	return 1;
}

int ox_do_constant_of_shape(struct tc_onnx_graph *g, struct ox_node *n)
{
	struct ox_tensor *s = IN(0), *o = OUT(0);
	if (!s || !o)
		return 0;
	const Onnx__AttributeProto *a = ox_attr(n, "value");
	o->elem = a && a->t && a->t->has_data_type ? a->t->data_type : OX_FLOAT;
	int64_t d[OX_MAXR];
	size_t nd;
	if (!ints_of(s, d, OX_MAXR, &nd)) {
		set_rank(o, s->rank == 1 && s->dims[0] >= 0 ? (int)s->dims[0] : -1);
		return 0;
	}
	o->rank = (int32_t)nd;
	for (size_t i = 0; i < nd; i++)
		o->dims[i] = d[i] >= 0 ? d[i] : -1;
	int64_t e = numel(o);
	if (e >= 0 && e <= OX_MAXVALS && a && a->t) {
		struct ox_tensor one;
		memset(&one, 0, sizeof(one));
		one.rank = 1;
		one.dims[0] = 1;
		ox_tensor_values(g, &one, a->t);
		if (has_vals(&one)) {
			int64_t iv[OX_MAXVALS];
			double fv[OX_MAXVALS];
			for (int64_t i = 0; i < e; i++) {
				iv[i] = ival(&one, 0);
				fv[i] = fval(&one, 0);
			}
			TC_TRY(one.iv ? set_ivals(g, o, iv, (size_t)e)
				      : set_fvals(g, o, fv, (size_t)e));
		}
	} else if (e >= 0 && e <= OX_MAXVALS) {
		double fv[OX_MAXVALS] = {0};
		TC_TRY(set_fvals(g, o, fv, (size_t)e));
	}
	return 1;
}

int ox_do_range(struct tc_onnx_graph *g, struct ox_node *n)
{
	struct ox_tensor *s = IN(0), *l = IN(1), *d = IN(2), *o = OUT(0);
	if (!s || !l || !d || !o)
		return 0;
	o->elem = s->elem;
	set_rank(o, 1);
	if (!has_vals(s) || !has_vals(l) || !has_vals(d) || fval(d, 0) == 0)
		return 0;
	double cnt = ceil((fval(l, 0) - fval(s, 0)) / fval(d, 0));
	o->dims[0] = cnt > 0 ? (int64_t)TC_MIN(cnt, 1e15) : 0;
	if (s->iv && o->dims[0] <= OX_MAXVALS) {
		int64_t iv[OX_MAXVALS];
		for (int64_t i = 0; i < o->dims[0]; i++)
			iv[i] = ival(s, 0) + i * ival(d, 0);
		TC_TRY(set_ivals(g, o, iv, (size_t)o->dims[0]));
	}
	return 1;
}

int ox_do_topk(struct tc_onnx_graph *g, struct ox_node *n)
{
	struct ox_tensor *x = IN(0), *o = OUT(0);
	if (!x || !o || x->rank < 1)
		return 0;
	copy_shape(o, x);
	int64_t axis = norm_axis(ox_attr_i(n, "axis", -1), x->rank), k[1] = {-1};
	size_t nk;
	if (axis < 0 || axis >= x->rank)
		return 0;
	if (n->opset >= 10 ? ints_of(IN(1), k, 1, &nk) : (k[0] = ox_attr_i(n, "k", -1)) >= 0)
		o->dims[axis] = k[0];
	else
		o->dims[axis] = -1;
	struct ox_tensor *idx = OUT(1);
	if (idx) {
		copy_shape(idx, o);
		idx->elem = OX_INT64;
	}
	int64_t e = numel(x);
	if (e < 0 || numel(o) < 0)
		return 0;
	n->flops = (uint64_t)e * 2; /* partial selection, about two compares per element */
	return 1;
}

/* onnx_emit.c - plan the --training ops, total the summary, and write the analysed graph as
 * an opstream: one TC_KIND_NODE op per emitted node in topological order (so every data
 * dependency names an earlier op), on one lane of type TC_LANE_GRAPH, with no time.
 *
 * Training (docs/onnx.md): for every forward op that a gradient reaches, a backward op in
 * reverse order; GEMM-like ops cost 1x the forward FLOPs per operand that needs a gradient
 * (dX and dW: 2x), every other op 1x; a backward op reads the saved inputs and the output
 * gradients and writes the input gradients. Then one Adam step per parameter tensor. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "onnx_int.h"

const struct tc_ingest_adapter tc_ingest_onnx_adapter = {
    "onnx",
    "ONNX model (.onnx): graph nodes with inferred shapes, FLOPs and bytes",
    tc_onnx_probe,
    tc_onnx_run,
};

#define ADAM_FLOPS_PER_PARAM 12 /* m, v updates (7), bias-corrected step (5) */

static int is_float_elem(int32_t e)
{
	return e == OX_FLOAT || e == OX_FLOAT16 || e == OX_BFLOAT16 || e == OX_DOUBLE ||
	       (e >= 17 && e <= 20) || e == 23;
}

static int tensor_used(const uint8_t *used, uint32_t id)
{
	return used[id] != 0;
}

/* The summary's op counts and work, and which tensors an emitted op reads (used). */
static void sum_ops(struct tc_onnx_graph *g, uint8_t *used)
{
	struct tc_onnx_summary *s = &g->sum;
	for (size_t i = 0; i < g->nn; i++) {
		struct ox_node *n = &g->nodes[g->order[i]];
		if (n->folded) {
			s->folded++;
			continue;
		}
		s->ops++;
		if (!n->known)
			ox_note_unknown(g, n->op);
		if (!n->has_work) {
			s->unknown_ops++;
		} else {
			s->flops += n->flops;
			s->bytes_read += n->bytes_read;
			s->bytes_written += n->bytes_written;
		}
		for (uint32_t k = 0; k < n->nin; k++)
			if (n->in[k] != OX_NONE)
				used[n->in[k]] = 1;
	}
	/* parameters: constants that an emitted op reads, except integer shape vectors */
	for (uint32_t t = 0; t < g->nt; t++) {
		const struct ox_tensor *x = &g->t[t];
		if (!x->is_const || !x->is_param || !tensor_used(used, t))
			continue;
		int64_t e = ox_numel(x);
		if (e > 0) {
			s->params += (uint64_t)e;
			s->param_bytes += ox_tensor_bytes(g, x);
		}
	}
}

/* One warning naming the unknown operators, and how many ops have unknown work. */
static void report_unknown(const struct tc_onnx_graph *g)
{
	const struct tc_onnx_summary *s = &g->sum;
	if (g->n_unk) {
		char buf[512];
		size_t off = 0;
		for (size_t i = 0; i < g->n_unk && off < sizeof(buf) - 1; i++) {
			int w = snprintf(buf + off, sizeof(buf) - off, "%s%s x%" PRIu64,
					 i ? ", " : "", g->unk_names[i], g->unk_counts[i]);
			if (w < 0)
				break;
			off += (size_t)w;
		}
		tc_warn(g->log, "%s: unknown operators kept with unknown work: %s", g->file, buf);
	}
	if (s->unknown_ops > 0)
		tc_info(g->log, "%s: %" PRIu64 " of %" PRIu64 " ops have unknown work", g->file,
			s->unknown_ops, s->ops);
}

/* which values a gradient reaches: floating parameters, then forward. BatchNorm's running
 * mean and variance (inputs 3, 4) are statistics, not trained. */
static void mark_params(struct tc_onnx_graph *g, const uint8_t *used)
{
	for (uint32_t t = 0; t < g->nt; t++) {
		struct ox_tensor *x = &g->t[t];
		x->req_grad =
		    x->is_const && x->is_param && tensor_used(used, t) && is_float_elem(x->elem);
	}
	for (size_t i = 0; i < g->nn; i++) {
		const struct ox_node *n = &g->nodes[i];
		if (n->folded || strcmp(n->op, "BatchNormalization") != 0)
			continue;
		for (uint32_t k = 3; k < n->nin && k < 5; k++)
			if (n->in[k] != OX_NONE)
				g->t[n->in[k]].req_grad = 0;
	}
}

/* The backward op of n: its FLOPs and the bytes it reads and writes. */
static void plan_backward(const struct tc_onnx_graph *g, struct ox_node *n)
{
	uint64_t wgrad = 0, factor = 1;
	for (uint32_t k = 0; k < n->nin; k++) {
		const struct ox_tensor *x = n->in[k] != OX_NONE ? &g->t[n->in[k]] : NULL;
		int dup = 0;
		for (uint32_t j = 0; j < k; j++)
			dup |= n->in[j] == n->in[k];
		if (x && x->req_grad && !dup)
			wgrad += ox_tensor_bytes(g, x);
	}
	if (n->gemm_like) {
		int a = n->nin > 0 && n->in[0] != OX_NONE && g->t[n->in[0]].req_grad;
		int b = n->nin > 1 && n->in[1] != OX_NONE && g->t[n->in[1]].req_grad;
		factor = (uint64_t)TC_MAX(a + b, 1);
	}
	n->bflops = n->flops * factor;
	n->bread = n->view ? 0 : n->bytes_read + n->bytes_written;
	n->bwrite = n->view ? 0 : wgrad;
}

/* Forward, in order: an op that reads a value a gradient reaches gets a backward op, and its
 * floating outputs carry the gradient on. */
static void plan_backwards(struct tc_onnx_graph *g)
{
	for (size_t i = 0; i < g->nn; i++) {
		struct ox_node *n = &g->nodes[g->order[i]];
		if (n->folded)
			continue;
		int any = 0;
		for (uint32_t k = 0; k < n->nin; k++)
			any |= n->in[k] != OX_NONE && g->t[n->in[k]].req_grad;
		if (!any)
			continue;
		n->has_bwd = 1;
		g->sum.train_ops++;
		for (uint32_t k = 0; k < n->nout; k++)
			if (n->out[k] != OX_NONE && is_float_elem(g->t[n->out[k]].elem))
				g->t[n->out[k]].req_grad = 1;
		if (n->has_work)
			plan_backward(g, n);
	}
}

/* optimizer: parameters in the order their gradients complete, i.e. by the position of
 * their first consumer, last first (backward runs in reverse) */
static int plan_optimizer(struct tc_onnx_graph *g, struct tc_err *err)
{
	g->opt_params = tc_arena_alloc(&g->arena, (g->nt ? g->nt : 1) * sizeof(uint32_t));
	uint32_t *first = calloc(g->nt ? g->nt : 1, sizeof(uint32_t));
	if (!g->opt_params || !first) {
		free(first);
		return tc_err_set(err, TC_ENOMEM, "out of memory");
	}
	for (uint32_t t = 0; t < g->nt; t++)
		first[t] = UINT32_MAX;
	for (size_t i = 0; i < g->nn; i++) {
		const struct ox_node *n = &g->nodes[g->order[i]];
		if (n->folded || !n->has_bwd)
			continue;
		for (uint32_t k = 0; k < n->nin; k++)
			if (n->in[k] != OX_NONE && first[n->in[k]] == UINT32_MAX)
				first[n->in[k]] = (uint32_t)i;
	}
	g->n_opt = 0;
	for (size_t i = g->nn; i-- > 0;) {
		const struct ox_node *n = &g->nodes[g->order[i]];
		if (n->folded || !n->has_bwd)
			continue;
		for (uint32_t k = 0; k < n->nin; k++) {
			uint32_t t = n->in[k];
			if (t == OX_NONE || first[t] != i || !g->t[t].is_const || !g->t[t].req_grad)
				continue;
			int dup = 0;
			for (uint32_t j = 0; j < k; j++)
				dup |= n->in[j] == t;
			if (!dup)
				g->opt_params[g->n_opt++] = t;
		}
	}
	g->sum.train_ops += g->n_opt;
	free(first);
	return 0;
}

int ox_finish(struct tc_onnx_graph *g, struct tc_err *err)
{
	struct tc_onnx_summary *s = &g->sum;
	memset(s, 0, sizeof(*s));
	s->nodes = g->nn;
	s->ir_version = g->ir_version;
	s->opset = g->opset;
	uint8_t *used = calloc(g->nt ? g->nt : 1, 1);
	if (!used)
		return tc_err_set(err, TC_ENOMEM, "out of memory");
	sum_ops(g, used);
	report_unknown(g);
	int rc = 0;
	if (g->training) {
		mark_params(g, used);
		plan_backwards(g);
		rc = plan_optimizer(g, err);
	}
	free(used);
	return rc;
}

void tc_onnx_summary(const struct tc_onnx_graph *g, struct tc_onnx_summary *s)
{
	*s = g->sum;
}

/* ---- writing ------------------------------------------------------------------------------ */

struct emit {
	struct tc_onnx_graph *g;
	struct tc_ops_writer *w;
	uint32_t lane;
	struct tc_shape *shapes;
	int64_t *dims;
	uint64_t *deps;
	size_t shape_cap, dims_cap, deps_cap;
	uint64_t last_fwd;
};

static int add_dep(struct emit *e, size_t *nd, uint64_t id)
{
	if (id == TC_NONE)
		return 0;
	for (size_t i = 0; i < *nd; i++)
		if (e->deps[i] == id)
			return 0;
	if (tc_grow((void **)&e->deps, &e->deps_cap, *nd + 1, sizeof(uint64_t)) < 0)
		return TC_ENOMEM;
	e->deps[(*nd)++] = id;
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* Shapes: present inputs in order, then outputs; a tensor of unknown rank is written as
 * rank 1 with dim -1. */
static int fill_shapes(struct emit *e, const struct ox_node *n, uint32_t *count)
{
	uint32_t ns = 0;
	size_t nd = 0;
	size_t need = (size_t)n->nin + n->nout;
	if (tc_grow((void **)&e->shapes, &e->shape_cap, need + 1, sizeof(*e->shapes)) < 0 ||
	    tc_grow((void **)&e->dims, &e->dims_cap, (need + 1) * OX_MAXR, sizeof(int64_t)) < 0)
		return TC_ENOMEM;
	for (uint32_t k = 0; k < n->nin + n->nout; k++) {
		uint32_t id = k < n->nin ? n->in[k] : n->out[k - n->nin];
		if (id == OX_NONE)
			continue;
		const struct ox_tensor *t = &e->g->t[id];
		int64_t *d = e->dims + nd;
		if (t->rank < 0) {
			d[0] = -1;
			e->shapes[ns].rank = 1;
		} else {
			memcpy(d, t->dims, sizeof(int64_t) * (size_t)t->rank);
			e->shapes[ns].rank = (uint32_t)t->rank;
		}
		nd += e->shapes[ns].rank;
		ns++;
	}
	/* dims pointers only once the array stops moving */
	nd = 0;
	for (uint32_t i = 0; i < ns; i++) {
		e->shapes[i].dims = e->dims + nd;
		nd += e->shapes[i].rank;
	}
	*count = ns;
	return 0;
}

static int op_name(struct emit *e, const struct ox_node *n, const char *suffix, uint32_t *id)
{
	char buf[256];
	if (n->domain[0])
		snprintf(buf, sizeof(buf), "%s::%s%s", n->domain, n->op, suffix);
	else
		snprintf(buf, sizeof(buf), "%s%s", n->op, suffix);
	return tc_ops_writer_intern(e->w, buf, id);
}

static int emit_forward(struct emit *e, struct ox_node *n, size_t index, struct tc_err *err)
{
	struct tc_onnx_graph *g = e->g;
	struct tc_op op;
	tc_op_init(&op);
	op.kind = TC_KIND_NODE;
	op.lane = e->lane;
	op.op_class = n->cls;
	op.dtype = n->dtype;
	op.correlation = index + 1; /* the node's position in the file, for traceability */
	op.has_work = n->has_work;
	if (n->has_work) {
		op.flops = n->flops;
		op.bytes_read = n->bytes_read;
		op.bytes_written = n->bytes_written;
		op.gemm_m = n->gm;
		op.gemm_n = n->gn;
		op.gemm_k = n->gk;
		op.gemm_batch = n->gbatch;
	}
	if (op_name(e, n, "", &op.name) < 0)
		return tc_err_set(err, TC_ENOMEM, "out of memory");
	size_t nd = 0;
	for (uint32_t k = 0; k < n->nin; k++) {
		if (n->in[k] == OX_NONE || g->t[n->in[k]].producer == OX_NONE)
			continue;
		if (add_dep(e, &nd, g->nodes[g->t[n->in[k]].producer].op_id) < 0)
			return tc_err_set(err, TC_ENOMEM, "out of memory");
	}
	if (nd) /* qsort on a NULL array is undefined even for zero elements */
		qsort(e->deps, nd, sizeof(uint64_t), cmp_u64);
	op.deps = e->deps;
	op.n_deps = (uint32_t)nd;
	if (fill_shapes(e, n, &op.n_shapes) < 0)
		return tc_err_set(err, TC_ENOMEM, "out of memory");
	op.shapes = e->shapes;
	TC_TRY(tc_ops_writer_add(e->w, &op, &n->op_id, err));
	e->last_fwd = n->op_id;
	return 0;
}

/* Backward op of n: after the backward ops of the consumers of its outputs (the gradients
 * it needs) and after its forward op (the saved activations). The first backward op also
 * waits for the end of the forward pass, where the loss is. */
static int emit_backward(struct emit *e, struct ox_node *n, const uint32_t *cstart,
			 const uint32_t *cons, struct tc_err *err)
{
	struct tc_onnx_graph *g = e->g;
	struct tc_op op;
	tc_op_init(&op);
	op.kind = TC_KIND_NODE;
	op.lane = e->lane;
	op.op_class = n->cls;
	op.dtype = n->dtype;
	op.flags = TC_FLAG_BACKWARD | TC_FLAG_SYNTHETIC;
	op.has_work = n->has_work;
	if (n->has_work) {
		op.flops = n->bflops;
		op.bytes_read = n->bread;
		op.bytes_written = n->bwrite;
	}
	if (op_name(e, n, "Grad", &op.name) < 0)
		return tc_err_set(err, TC_ENOMEM, "out of memory");
	size_t nd = 0;
	int rc = add_dep(e, &nd, n->op_id);
	for (uint32_t k = 0; k < n->nout && rc == 0; k++) {
		uint32_t t = n->out[k];
		if (t == OX_NONE)
			continue;
		for (uint32_t c = cstart[t]; c < cstart[t + 1] && rc == 0; c++)
			rc = add_dep(e, &nd, g->nodes[cons[c]].bwd_id);
	}
	if (rc == 0 && nd == 1)
		rc = add_dep(e, &nd, e->last_fwd);
	if (rc < 0)
		return tc_err_set(err, TC_ENOMEM, "out of memory");
	if (nd)
		qsort(e->deps, nd, sizeof(uint64_t), cmp_u64);
	op.deps = e->deps;
	op.n_deps = (uint32_t)nd;
	return tc_ops_writer_add(e->w, &op, &n->bwd_id, err);
}

/* Adam step of one parameter: reads param, grad, m, v and writes param, m, v, all in the
 * parameter's dtype (fp32: 16 B read + 12 B written per parameter). */
static int emit_optimizer(struct emit *e, uint32_t t, const uint32_t *cstart, const uint32_t *cons,
			  struct tc_err *err)
{
	struct tc_onnx_graph *g = e->g;
	const struct ox_tensor *x = &g->t[t];
	struct tc_op op;
	tc_op_init(&op);
	op.kind = TC_KIND_NODE;
	op.lane = e->lane;
	op.op_class = TC_CLASS_OPTIMIZER;
	op.dtype = (uint8_t)ox_elem_to_tc(ox_elem_run(g, x->elem));
	op.flags = TC_FLAG_SYNTHETIC;
	int64_t cnt = ox_numel(x);
	uint64_t b = ox_tensor_bytes(g, x);
	op.has_work = cnt >= 0;
	if (cnt >= 0) {
		op.flops = (uint64_t)cnt * ADAM_FLOPS_PER_PARAM;
		op.bytes_read = 4 * b;
		op.bytes_written = 3 * b;
	}
	if (tc_ops_writer_intern(e->w, "Adam", &op.name) < 0)
		return tc_err_set(err, TC_ENOMEM, "out of memory");
	size_t nd = 0;
	for (uint32_t c = cstart[t]; c < cstart[t + 1]; c++)
		if (add_dep(e, &nd, g->nodes[cons[c]].bwd_id) < 0)
			return tc_err_set(err, TC_ENOMEM, "out of memory");
	if (nd)
		qsort(e->deps, nd, sizeof(uint64_t), cmp_u64);
	op.deps = e->deps;
	op.n_deps = (uint32_t)nd;
	struct tc_shape shp = {(uint32_t)(x->rank < 0 ? 0 : x->rank), x->dims};
	op.shapes = &shp;
	op.n_shapes = 1;
	return tc_ops_writer_add(e->w, &op, NULL, err);
}

/* ---- header -------------------------------------------------------------------------------- */

struct kvbuf {
	struct tc_kv kv[16];
	size_t n;
};

static void kv_add(struct tc_onnx_graph *g, struct kvbuf *m, const char *k, const char *v)
{
	if (m->n >= TC_ARRAY_LEN(m->kv) || !v)
		return;
	m->kv[m->n].key = k;
	m->kv[m->n].value = tc_arena_strdup(&g->arena, v);
	if (m->kv[m->n].value)
		m->n++;
}

static void kv_addu(struct tc_onnx_graph *g, struct kvbuf *m, const char *k, uint64_t v)
{
	char b[32];
	snprintf(b, sizeof(b), "%" PRIu64, v);
	kv_add(g, m, k, b);
}

/* Append to a growing string in the arena (small header values only). */
static void sb_cat(char *buf, size_t n, size_t *off, const char *s)
{
	size_t l = strlen(s);
	if (*off + l + 1 > n)
		l = n - *off - 1;
	memcpy(buf + *off, s, l);
	*off += l;
	buf[*off] = 0;
}

static void build_meta(struct tc_onnx_graph *g, struct kvbuf *m)
{
	const Onnx__ModelProto *mp = g->model;
	char buf[2048];
	size_t off;
	kv_addu(g, m, "ir_version", (uint64_t)g->ir_version);
	kv_addu(g, m, "opset", (uint64_t)g->opset);
	off = 0;
	buf[0] = 0;
	for (size_t i = 0; i < mp->n_opset_import; i++) {
		char one[160];
		const Onnx__OperatorSetIdProto *o = mp->opset_import[i];
		snprintf(one, sizeof(one), "%s%.100s=%" PRId64, i ? "," : "",
			 o->domain && o->domain[0] ? o->domain : "ai.onnx", o->version);
		sb_cat(buf, sizeof(buf), &off, one);
	}
	kv_add(g, m, "opsets", buf);
	snprintf(buf, sizeof(buf), "%.500s%s%.500s", mp->producer_name ? mp->producer_name : "",
		 mp->producer_version && mp->producer_version[0] ? " " : "",
		 mp->producer_version ? mp->producer_version : "");
	kv_add(g, m, "producer", buf);
	kv_add(g, m, "model", g->gp->name ? g->gp->name : "");
	/* graph inputs (not initializers) with their bound shapes */
	off = 0;
	buf[0] = 0;
	for (size_t i = 0; i < g->gp->n_input; i++) {
		uint32_t id;
		const char *nm = g->gp->input[i]->name ? g->gp->input[i]->name : "";
		if (!tc_strtab_find(&g->names, nm, strlen(nm), &id) || g->t[id].is_const)
			continue;
		const struct ox_tensor *t = &g->t[id];
		char one[300];
		int w = snprintf(one, sizeof(one), "%s%.200s=[", off ? ";" : "", nm);
		for (int k = 0; k < t->rank && w > 0 && (size_t)w < sizeof(one); k++)
			w += snprintf(one + w, sizeof(one) - (size_t)w, "%s%" PRId64, k ? "," : "",
				      t->dims[k]);
		if (w > 0 && (size_t)w < sizeof(one))
			snprintf(one + w, sizeof(one) - (size_t)w, "]");
		sb_cat(buf, sizeof(buf), &off, one);
	}
	kv_add(g, m, "inputs", buf);
	off = 0;
	buf[0] = 0;
	for (size_t i = 0; i < g->n_bound; i++) {
		sb_cat(buf, sizeof(buf), &off, i ? "," : "");
		sb_cat(buf, sizeof(buf), &off, g->bound[i]);
	}
	kv_add(g, m, "dims", buf);
	if (g->run_elem) /* --dtype: absent otherwise, so older streams read the same */
		kv_add(g, m, "dtype", tc_dtype_name(ox_elem_to_tc(g->run_elem)));
	kv_addu(g, m, "nodes", g->sum.nodes);
	kv_addu(g, m, "folded", g->sum.folded);
	kv_addu(g, m, "params", g->sum.params);
	kv_addu(g, m, "param_bytes", g->sum.param_bytes);
	off = 0;
	buf[0] = 0;
	for (size_t i = 0; i < g->n_unk; i++) {
		char one[160];
		snprintf(one, sizeof(one), "%s%.100s=%" PRIu64, i ? "," : "", g->unk_names[i],
			 g->unk_counts[i]);
		sb_cat(buf, sizeof(buf), &off, one);
	}
	kv_add(g, m, "unknown_ops", buf);
	kv_add(g, m, "training", g->training ? "adam" : "no");
}

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');
	return s ? s + 1 : p;
}

/* The writer with the model's header (one rank, one device, its meta) and the graph lane. */
static int open_writer(struct emit *e, const char *out_path, struct tc_err *err)
{
	struct tc_onnx_graph *g = e->g;
	struct kvbuf meta = {.n = 0};
	build_meta(g, &meta);
	const char *files[1] = {base_name(g->file)};
	struct tc_device dev = {0, 0, TC_DEV_GPU, -1, "", "", "", "", 0, 0};
	uint32_t rank0 = 0;
	struct tc_ops_header hdr;
	memset(&hdr, 0, sizeof(hdr));
	hdr.source_format = "onnx";
	hdr.source_files = files;
	hdr.n_source_files = 1;
	hdr.devices = &dev;
	hdr.n_devices = 1;
	hdr.world_size = 1;
	hdr.ranks = &rank0;
	hdr.n_ranks = 1;
	hdr.meta = meta.kv;
	hdr.n_meta = meta.n;
	struct tc_ops_writer_opts wo = TC_OPS_WRITER_OPTS_INIT;
	wo.chunk_ops = g->chunk_ops;
	TC_TRY(tc_ops_writer_open(&e->w, out_path, &hdr, &wo, err));
	struct tc_lane lane = {
	    0, 0, 0, TC_LANE_GRAPH, 0, g->gp->name && g->gp->name[0] ? g->gp->name : "graph"};
	int rc = tc_ops_writer_lane(e->w, &lane, &e->lane);
	return rc < 0 ? tc_err_set(err, rc, "%s: cannot declare the graph lane", out_path) : 0;
}

/* consumers of each tensor (CSR), for gradient dependencies: tensor t's are
 * cons[cstart[t] .. cstart[t + 1]), in topological order, so dependencies come out sorted */
static int consumers(const struct tc_onnx_graph *g, uint32_t **cstart_out, uint32_t **cons_out,
		     struct tc_err *err)
{
	uint32_t *cstart = calloc(g->nt + 1, sizeof(uint32_t));
	size_t ne = 0;
	for (size_t i = 0; i < g->nn; i++)
		ne += g->nodes[i].nin;
	uint32_t *cons = calloc(ne ? ne : 1, sizeof(uint32_t));
	uint32_t *fill = calloc(g->nt + 1, sizeof(uint32_t));
	*cstart_out = cstart;
	*cons_out = cons;
	if (!cstart || !cons || !fill) {
		free(fill);
		return tc_err_set(err, TC_ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < g->nn; i++)
		for (uint32_t k = 0; k < g->nodes[i].nin; k++)
			if (g->nodes[i].in[k] != OX_NONE)
				cstart[g->nodes[i].in[k] + 1]++;
	for (size_t t = 0; t < g->nt; t++)
		cstart[t + 1] += cstart[t];
	for (size_t i = 0; i < g->nn; i++) {
		uint32_t idx = g->order[i];
		const struct ox_node *n = &g->nodes[idx];
		for (uint32_t k = 0; k < n->nin; k++)
			if (n->in[k] != OX_NONE)
				cons[cstart[n->in[k]] + fill[n->in[k]]++] = idx;
	}
	free(fill);
	return 0;
}

/* --training: the backward ops in reverse order, then the optimizer steps; *written counts
 * them. */
static int emit_training(struct emit *e, uint64_t *written, struct tc_err *err)
{
	struct tc_onnx_graph *g = e->g;
	uint32_t *cstart = NULL, *cons = NULL;
	int rc = consumers(g, &cstart, &cons, err);
	for (size_t i = g->nn; rc >= 0 && i-- > 0;) {
		struct ox_node *n = &g->nodes[g->order[i]];
		if (n->folded || !n->has_bwd)
			continue;
		if ((rc = emit_backward(e, n, cstart, cons, err)) >= 0)
			++*written;
	}
	for (size_t i = 0; rc >= 0 && i < g->n_opt; i++)
		if ((rc = emit_optimizer(e, g->opt_params[i], cstart, cons, err)) >= 0)
			++*written;
	free(cstart);
	free(cons);
	return rc;
}

/* Every forward op in topological order (and with --training the rest), then close. */
static int emit_all(struct emit *e, const char *out_path, uint64_t *written, struct tc_err *err)
{
	struct tc_onnx_graph *g = e->g;
	TC_TRY(open_writer(e, out_path, err));
	for (size_t i = 0; i < g->nn; i++) {
		struct ox_node *n = &g->nodes[g->order[i]];
		n->op_id = n->bwd_id = TC_NONE;
	}
	for (size_t i = 0; i < g->nn; i++) {
		uint32_t idx = g->order[i];
		struct ox_node *n = &g->nodes[idx];
		if (!n->folded)
			TC_TRY(emit_forward(e, n, idx, err));
	}
	*written = g->sum.ops;
	if (g->training)
		TC_TRY(emit_training(e, written, err));
	int rc = tc_ops_writer_close(e->w, err);
	e->w = NULL;
	return rc;
}

int tc_onnx_write(struct tc_onnx_graph *g, const char *out_path, struct tc_ingest_stats *stats,
		  struct tc_err *err)
{
	struct emit e;
	memset(&e, 0, sizeof(e));
	e.g = g;
	e.last_fwd = TC_NONE;
	uint64_t written = 0;
	int rc = emit_all(&e, out_path, &written, err);
	if (rc < 0)
		tc_ops_writer_abort(e.w);
	free(e.shapes), free(e.dims), free(e.deps);
	if (rc < 0)
		return rc;
	if (stats) {
		stats->events += g->sum.nodes;
		stats->ops += written;
		stats->skipped += g->sum.folded;
		stats->unknown_ops += g->sum.unknown_ops;
		stats->ranks = 1;
	}
	return 0;
}

/* ---- adapter hooks --------------------------------------------------------------------------- */

/* A ModelProto starts with field 1 (ir_version, varint): byte 0x08 then a small version. */
int tc_onnx_probe(const char *path, const uint8_t *head, size_t n)
{
	int ext = path && tc_str_endswith(path, ".onnx");
	int looks = n >= 2 && head[0] == 0x08 && head[1] >= 1 && head[1] <= 20;
	return ext ? (looks ? 100 : 60) : (looks ? 30 : 0);
}

int tc_onnx_run(const char *const *inputs, size_t n_inputs, const char *out_path,
		const struct tc_ingest_opts *opts, struct tc_ingest_stats *stats,
		struct tc_err *err)
{
	if (n_inputs != 1)
		return tc_err_set(err, TC_EINVAL, "onnx: one model per stream (got %zu inputs)",
				  n_inputs);
	struct tc_onnx_graph *g = NULL;
	if (opts && opts->sources) { /* a spooled pipe: read the copy, name the input */
		char *buf = NULL;
		size_t len = 0;
		TC_TRY(tc_read_file(opts->sources[0], &buf, &len, err));
		int rc = tc_onnx_load_mem(&g, buf, len, inputs[0], opts, err);
		free(buf);
		TC_TRY(rc);
	} else {
		TC_TRY(tc_onnx_load_file(&g, inputs[0], opts, err));
	}
	int rc = tc_onnx_write(g, out_path, stats, err);
	tc_onnx_free(g);
	return rc;
}

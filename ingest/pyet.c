/* pyet.c - PyTorch execution traces (ET JSON): the operator graph with shapes and tensor
 * data dependencies, alone as the "pytorch-et" adapter, or lent to the Kineto adapter when
 * both traces of a run are given (docs/chakra.md, "PyTorch ET").
 *
 * Two layouts: schema 1.0.0/1.0.1 are flat (parent, rf_id, tid, inputs, input_shapes,
 * input_types, outputs, ...); 1.0.2-chakra and 1.1.x nest them (ctrl_deps for the parent,
 * inputs {values, shapes, types}, attrs [{name, type, value}]). A tensor value is the list
 * [tensor id, storage id, offset, elements, element size, device]; GenericList[Tensor...]
 * holds several. Node ids are handed out as operators are entered, so id order is execution
 * order: a consumer depends on the last node before it that output one of its input tensors,
 * unless that node is one of its own ancestors (a parent lists its children's tensors too).
 *
 * The file is read whole with jansson: ETs are megabytes, not the gigabytes of Kineto. */
#include <inttypes.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "adapter.h"
#include "pyet.h"

#define MATCH_BACK 256	/* how far before the last match a name match may be */
#define MATCH_AHEAD 512 /* and how far after it */

struct pnode {
	uint64_t id, rf_id, parent;
	uint32_t name, tid;
	uint32_t pidx;	     /* index of the parent, TC_PYET_NONE when not in the file */
	uint32_t shp, n_shp; /* into shapes */
	uint32_t dep, n_dep; /* into deps (node indices) */
	uint64_t op;	     /* op written for it, TC_NONE before */
	uint8_t claimed, root;
};

struct tc_pyet {
	const char *path;
	char schema[48];
	struct pnode *n; /* in id order */
	size_t nn;
	struct tc_shape *shapes;
	size_t nshapes, cap_shapes;
	int64_t *dims;
	size_t ndims, cap_dims;
	uint32_t *deps;
	size_t ndeps, cap_deps;
	struct tc_strtab names;
	struct tc_map64 by_rf; /* rf_id -> index */
	uint64_t *out;	       /* tc_pyet_deps' answer */
	size_t cap_out;
	size_t cursor; /* position after the last match */
	uint64_t matched, by_name, written;
};

/* ---- reading -------------------------------------------------------------------------- */

static json_t *node_attr(json_t *node, const char *key)
{
	json_t *v = json_object_get(node, key);
	if (v)
		return v;
	json_t *attrs = json_object_get(node, "attrs");
	size_t i;
	json_t *a;
	json_array_foreach(attrs, i, a)
	{
		json_t *nm = json_object_get(a, "name");
		if (json_is_string(nm) && strcmp(json_string_value(nm), key) == 0)
			return json_object_get(a, "value");
	}
	return NULL;
}

/* values, shapes and types of a node's inputs or outputs, flat or nested */
static void io_of(json_t *node, int out, json_t **vals, json_t **shapes, json_t **types)
{
	json_t *io = json_object_get(node, out ? "outputs" : "inputs");
	if (json_is_object(io)) {
		*vals = json_object_get(io, "values");
		*shapes = json_object_get(io, "shapes");
		*types = json_object_get(io, "types");
	} else {
		*vals = io;
		*shapes = json_object_get(node, out ? "output_shapes" : "input_shapes");
		*types = json_object_get(node, out ? "output_types" : "input_types");
	}
}

static int is_tensor(json_t *v)
{
	return json_is_array(v) && json_array_size(v) >= 2 &&
	       json_is_integer(json_array_get(v, 0)) && json_is_integer(json_array_get(v, 1));
}

static uint64_t tensor_key(json_t *v)
{
	uint64_t t = (uint64_t)json_integer_value(json_array_get(v, 0));
	uint64_t s = (uint64_t)json_integer_value(json_array_get(v, 1));
	return tc_hash_u64(t * UINT64_C(0x9E3779B97F4A7C15) + s) | 1;
}

/* Tensor keys of one side of a node (Tensor and GenericList[Tensor...] values). */
static size_t tensors_of(json_t *vals, json_t *types, uint64_t *keys, size_t cap)
{
	size_t n = 0, i;
	json_t *v;
	json_array_foreach(vals, i, v)
	{
		const char *t = json_string_value(json_array_get(types, i));
		if (!t)
			continue;
		if (strncmp(t, "Tensor", 6) == 0 && is_tensor(v)) {
			if (n < cap)
				keys[n++] = tensor_key(v);
		} else if (strncmp(t, "GenericList[Tensor", 18) == 0 && json_is_array(v)) {
			size_t j;
			json_t *e;
			json_array_foreach(v, j, e) if (is_tensor(e) && n < cap) keys[n++] =
			    tensor_key(e);
		}
	}
	return n;
}

static int add_shapes(struct tc_pyet *et, struct pnode *p, json_t *shapes)
{
	size_t i;
	json_t *s;
	p->shp = (uint32_t)et->nshapes;
	json_array_foreach(shapes, i, s)
	{
		if (tc_grow((void **)&et->shapes, &et->cap_shapes, et->nshapes + 1,
			    sizeof(*et->shapes)) < 0)
			return TC_ENOMEM;
		struct tc_shape *sh = &et->shapes[et->nshapes++];
		sh->rank = 0;
		sh->dims = NULL;
		size_t j, r = json_is_array(s) ? json_array_size(s) : 0;
		for (j = 0; j < r; j++) /* a list of lists (GenericList) has no one shape */
			if (!json_is_integer(json_array_get(s, j)))
				r = 0;
		if (tc_grow((void **)&et->dims, &et->cap_dims, et->ndims + r + 1, sizeof(int64_t)) <
		    0)
			return TC_ENOMEM;
		for (j = 0; j < r; j++)
			et->dims[et->ndims + j] = json_integer_value(json_array_get(s, j));
		sh->rank = (uint32_t)r;
		sh->dims =
		    (const int64_t *)(uintptr_t)et->ndims; /* an offset until dims stop moving */
		et->ndims += r;
	}
	p->n_shp = (uint32_t)(et->nshapes - p->shp);
	return 0;
}

static int cmp_node(const void *a, const void *b)
{
	uint64_t x = ((const struct pnode *)a)->id, y = ((const struct pnode *)b)->id;
	return x < y ? -1 : x > y;
}

static int is_ancestor(const struct tc_pyet *et, const struct tc_map64 *by_id, uint32_t a,
		       uint32_t i)
{
	uint64_t cur = et->n[i].parent, k;
	for (int depth = 0; depth < 512 && tc_map64_get(by_id, cur, &k); depth++) {
		if (k == a)
			return 1;
		if (et->n[k].parent == cur)
			break;
		cur = et->n[k].parent;
	}
	return 0;
}

static int build(struct tc_pyet *et, json_t *root, struct tc_err *err)
{
	json_t *nodes = json_object_get(root, "nodes");
	json_t *schema = json_object_get(root, "schema");
	if (!json_is_array(nodes) || !json_is_string(schema))
		return tc_err_set(err, TC_EFORMAT,
				  "%s: not a PyTorch execution trace (no \"schema\" "
				  "and \"nodes\")",
				  et->path);
	snprintf(et->schema, sizeof(et->schema), "%s", json_string_value(schema));
	if (strncmp(et->schema, "1.0", 3) != 0 && strncmp(et->schema, "1.1", 3) != 0)
		return tc_err_set(err, TC_EVERSION,
				  "%s: execution trace schema %s: only 1.0.x and "
				  "1.1.x are read",
				  et->path, et->schema);
	et->nn = json_array_size(nodes);
	et->n = calloc(et->nn + 1, sizeof(*et->n));
	if (!et->n)
		return tc_err_set(err, TC_ENOMEM, "out of memory");
	size_t i;
	json_t *nd;
	json_array_foreach(nodes, i, nd)
	{
		struct pnode *p = &et->n[i];
		json_t *id = json_object_get(nd, "id"), *nm = json_object_get(nd, "name");
		json_t *par = node_attr(nd, "parent");
		if (!par)
			par = json_object_get(nd, "ctrl_deps");
		if (!json_is_integer(id) || !json_is_string(nm))
			return tc_err_set(err, TC_EFORMAT,
					  "%s: node %zu: no integer \"id\" and string "
					  "\"name\"",
					  et->path, i);
		p->id = (uint64_t)json_integer_value(id);
		p->parent = json_is_integer(par) ? (uint64_t)json_integer_value(par) : TC_NONE;
		json_t *rf = node_attr(nd, "rf_id"), *tid = node_attr(nd, "tid");
		p->rf_id = json_is_integer(rf) ? (uint64_t)json_integer_value(rf) : TC_NONE;
		p->tid = json_is_integer(tid) ? (uint32_t)json_integer_value(tid) : 0;
		p->op = TC_NONE;
		const char *s = json_string_value(nm);
		p->root = strncmp(s, "[pytorch|profiler|execution_", 28) == 0;
		if (tc_strtab_intern(&et->names, s, strlen(s), &p->name) < 0)
			return tc_err_set(err, TC_ENOMEM, "out of memory");
		/* keep the JSON node with it while sorting: index in the low bits of dep */
		p->dep = (uint32_t)i;
	}
	qsort(et->n, et->nn, sizeof(*et->n), cmp_node);
	struct tc_map64 by_id = TC_MAP64_INIT, prod = TC_MAP64_INIT;
	int rc = 0;
	for (i = 0; i < et->nn && rc == 0; i++) {
		uint64_t prev;
		if (tc_map64_get(&by_id, et->n[i].id, &prev))
			rc = tc_err_set(err, TC_EFORMAT,
					"%s: node %" PRIu64 " (%s): id given twice", et->path,
					et->n[i].id, tc_strtab_get(&et->names, et->n[i].name));
		else if (tc_map64_put(&by_id, et->n[i].id, i) < 0 ||
			 (et->n[i].rf_id != TC_NONE && !et->n[i].root &&
			  !tc_map64_get(&et->by_rf, et->n[i].rf_id, NULL) &&
			  tc_map64_put(&et->by_rf, et->n[i].rf_id, i) < 0))
			rc = tc_err_set(err, TC_ENOMEM, "out of memory");
	}
	uint64_t keys[256];
	for (i = 0; i < et->nn && rc == 0; i++) {
		struct pnode *p = &et->n[i];
		uint64_t pk;
		p->pidx = tc_map64_get(&by_id, p->parent, &pk) ? (uint32_t)pk : TC_PYET_NONE;
		json_t *js = json_array_get(nodes, p->dep), *vals, *shapes, *types;
		io_of(js, 0, &vals, &shapes, &types);
		if ((rc = add_shapes(et, p, shapes)) < 0)
			break;
		size_t nk = tensors_of(vals, types, keys, 256);
		p->dep = (uint32_t)et->ndeps;
		for (size_t k = 0; k < nk; k++) {
			uint64_t j;
			if (!tc_map64_get(&prod, keys[k], &j) || j == i ||
			    is_ancestor(et, &by_id, (uint32_t)j, (uint32_t)i))
				continue;
			int dup = 0;
			for (size_t d = p->dep; d < et->ndeps && !dup; d++)
				dup = et->deps[d] == j;
			if (dup)
				continue;
			if (tc_grow((void **)&et->deps, &et->cap_deps, et->ndeps + 1,
				    sizeof(uint32_t)) < 0) {
				rc = TC_ENOMEM;
				break;
			}
			et->deps[et->ndeps++] = (uint32_t)j;
		}
		p->n_dep = (uint32_t)(et->ndeps - p->dep);
		io_of(js, 1, &vals, &shapes, &types);
		nk = tensors_of(vals, types, keys, 256);
		for (size_t k = 0; k < nk && rc == 0; k++)
			if (tc_map64_put(&prod, keys[k], i) < 0)
				rc = TC_ENOMEM;
	}
	if (rc == TC_ENOMEM)
		rc = tc_err_set(err, TC_ENOMEM, "out of memory");
	for (i = 0; i < et->nshapes; i++) /* offsets to pointers, now that dims stay put */
		et->shapes[i].dims = et->dims ? et->dims + (uintptr_t)et->shapes[i].dims : NULL;
	tc_map64_free(&by_id);
	tc_map64_free(&prod);
	return rc;
}

static int load_text(struct tc_pyet **out, const char *buf, size_t len, const char *name,
		     struct tc_err *err)
{
	struct tc_pyet *et = calloc(1, sizeof(*et));
	json_error_t je;
	if (!et || tc_strtab_init(&et->names) < 0) {
		free(et);
		return tc_err_set(err, TC_ENOMEM, "out of memory");
	}
	et->path = name;
	json_t *root = json_loadb(buf, len, 0, &je);
	int rc;
	if (!root)
		rc = tc_err_set(err, TC_EFORMAT, "%s: line %d column %d: %s", name, je.line,
				je.column, je.text);
	else
		rc = build(et, root, err);
	json_decref(root);
	if (rc < 0) {
		tc_pyet_free(et);
		return rc;
	}
	*out = et;
	return 0;
}

int tc_pyet_load_mem(struct tc_pyet **out, const char *buf, size_t len, const char *name,
		     struct tc_err *err)
{
	return load_text(out, buf, len, name, err);
}

int tc_pyet_load(struct tc_pyet **out, const char *path, const char *name, struct tc_err *err)
{
	char *buf;
	size_t len;
	TC_TRY(tc_input_read_all(path, name, &buf, &len, err));
	int rc = load_text(out, buf, len, name, err);
	free(buf);
	return rc;
}

void tc_pyet_free(struct tc_pyet *et)
{
	if (!et)
		return;
	free(et->n);
	free(et->shapes);
	free(et->dims);
	free(et->deps);
	free(et->out);
	tc_strtab_free(&et->names);
	tc_map64_free(&et->by_rf);
	free(et);
}

/* ---- linking ----------------------------------------------------------------------------- */

uint32_t tc_pyet_match(struct tc_pyet *et, uint64_t ext, const char *name)
{
	uint32_t id; /* names compared as interned ids: the window is scanned per operator */
	if (!tc_strtab_find(&et->names, name, strlen(name), &id))
		return TC_PYET_NONE;
	size_t lo = et->cursor > MATCH_BACK ? et->cursor - MATCH_BACK : 0;
	size_t hi = et->cursor + MATCH_AHEAD < et->nn ? et->cursor + MATCH_AHEAD : et->nn;
	uint64_t k;
	size_t hit = SIZE_MAX;
	if (ext && tc_map64_get(&et->by_rf, ext, &k) && !et->n[k].claimed && et->n[k].name == id &&
	    k >= lo && k < hi)
		hit = k;
	else
		for (size_t i = lo; i < hi && hit == SIZE_MAX; i++)
			if (!et->n[i].claimed && !et->n[i].root && et->n[i].name == id)
				hit = i;
	if (hit == SIZE_MAX)
		return TC_PYET_NONE;
	et->n[hit].claimed = 1;
	et->cursor = hit + 1;
	et->matched++;
	et->by_name += !(ext && et->n[hit].rf_id == ext);
	return (uint32_t)hit;
}

void tc_pyet_deps(struct tc_pyet *et, uint32_t i, const uint64_t **deps, uint32_t *n)
{
	const struct pnode *p = &et->n[i];
	uint32_t m = 0;
	if (tc_grow((void **)&et->out, &et->cap_out, (size_t)p->n_dep + 1, sizeof(uint64_t)) < 0)
		p = NULL; /* no memory: no dependencies, not a failure of the whole ingest */
	for (uint32_t d = 0; p && d < p->n_dep; d++) {
		uint64_t op = et->n[et->deps[p->dep + d]].op;
		int dup = op == TC_NONE;
		for (uint32_t j = 0; j < m && !dup; j++)
			dup = et->out[j] == op;
		if (!dup)
			et->out[m++] = op;
	}
	/* ascending, as every writer of deps does */
	for (uint32_t a = 1; a < m; a++)
		for (uint32_t b = a; b > 0 && et->out[b - 1] > et->out[b]; b--) {
			uint64_t t = et->out[b];
			et->out[b] = et->out[b - 1];
			et->out[b - 1] = t;
		}
	et->written += m;
	*deps = et->out;
	*n = m;
}

void tc_pyet_shapes(const struct tc_pyet *et, uint32_t i, const struct tc_shape **shapes,
		    uint32_t *n)
{
	*shapes = et->n[i].n_shp ? et->shapes + et->n[i].shp : NULL;
	*n = et->n[i].n_shp;
}

void tc_pyet_set_op(struct tc_pyet *et, uint32_t i, uint64_t id)
{
	et->n[i].op = id;
}

void tc_pyet_counts(const struct tc_pyet *et, struct tc_pyet_counts *c)
{
	c->nodes = et->nn;
	c->edges = et->ndeps;
	c->matched = et->matched;
	c->matched_by_name = et->by_name;
	c->edges_written = et->written;
}

/* ---- the ET alone: an operator graph without times ---------------------------------------- */

static int emit_et(struct tc_ops_writer *w, struct tc_pyet *et, uint32_t rank,
		   struct tc_ingest_stats *stats, struct tc_err *err)
{
	uint32_t tids[64], lanes[64];
	size_t nl = 0;
	for (size_t i = 0; i < et->nn; i++) {
		struct pnode *p = &et->n[i];
		if (p->root)
			continue;
		size_t l = 0;
		while (l < nl && tids[l] != p->tid)
			l++;
		if (l == nl && nl < 64) {
			char name[32];
			snprintf(name, sizeof(name), "et thread %" PRIu32, p->tid);
			struct tc_lane ln = {0, rank, rank, TC_LANE_CPU, p->tid, name};
			if (tc_ops_writer_lane(w, &ln, &lanes[nl]) < 0)
				return tc_err_set(err, TC_ENOMEM, "out of memory");
			tids[nl++] = p->tid;
		}
		if (l == 64)
			l = 63; /* more threads than any ET has: the rest share the last lane */
		struct tc_op op;
		tc_op_init(&op);
		const char *name = tc_strtab_get(&et->names, p->name);
		if (tc_ops_writer_intern(w, name, &op.name) < 0)
			return tc_err_set(err, TC_ENOMEM, "out of memory");
		op.kind = TC_KIND_CPU_OP;
		op.op_class = (uint8_t)tc_opclass_of_op(name);
		op.lane = lanes[l];
		op.correlation = p->id;
		if (p->pidx != TC_PYET_NONE) /* a parent comes first: ids are given on entry */
			op.parent = et->n[p->pidx].op;
		tc_pyet_deps(et, (uint32_t)i, &op.deps, &op.n_deps);
		tc_pyet_shapes(et, (uint32_t)i, &op.shapes, &op.n_shapes);
		TC_TRY(tc_ops_writer_add(w, &op, &p->op, err));
		if (stats)
			stats->ops++;
	}
	return 0;
}

static int pyet_run(const char *const *inputs, size_t n_inputs, const char *out_path,
		    const struct tc_ingest_opts *opts, struct tc_ingest_stats *stats,
		    struct tc_err *err)
{
	struct tc_pyet **ets = tc_xcalloc(n_inputs + 1, sizeof(*ets));
	uint32_t *ranks = tc_xcalloc(n_inputs + 1, sizeof(*ranks));
	struct tc_ops_writer *w = NULL;
	int rc = 0;
	for (size_t i = 0; i < n_inputs && rc == 0; i++) {
		rc = tc_pyet_load(&ets[i], opts && opts->sources ? opts->sources[i] : inputs[i],
				  inputs[i], err);
		ranks[i] = (uint32_t)i;
	}
	if (rc == 0) {
		struct tc_kv meta[1] = {{"et_schema", ets[0]->schema}};
		rc = tc_ingest_open_ranks(&w, out_path, "pytorch-et", inputs, ranks, n_inputs, meta,
					  opts, err);
	}
	for (size_t i = 0; i < n_inputs && rc == 0; i++) {
		rc = emit_et(w, ets[i], (uint32_t)i, stats, err);
		if (rc == 0 && stats)
			stats->events += ets[i]->nn;
		if (rc == 0 && opts && opts->log)
			tc_info(opts->log,
				"%s: execution trace %s, %zu nodes, %zu data dependencies "
				"(no times: give the Kineto trace of the run beside it for them)",
				inputs[i], ets[i]->schema, ets[i]->nn, ets[i]->ndeps);
	}
	if (w && rc == 0)
		rc = tc_ops_writer_close(w, err);
	else
		tc_ops_writer_abort(w);
	if (rc == 0 && stats)
		stats->ranks = (uint32_t)n_inputs;
	for (size_t i = 0; i < n_inputs; i++)
		tc_pyet_free(ets[i]);
	free(ets);
	free(ranks);
	return rc;
}

/* JSON with "schema" and "nodes" near the top (Kineto traces say "schemaVersion"). */
static int pyet_probe(const char *path, const uint8_t *head, size_t n)
{
	(void)path;
	const char *h = (const char *)head;
	int schema = 0, nodes = 0;
	for (size_t j = 0; j + 9 <= n; j++) {
		schema |= memcmp(h + j, "\"schema\"", 8) == 0;
		nodes |= memcmp(h + j, "\"nodes\"", 7) == 0 || memcmp(h + j, "execution_", 10) == 0;
	}
	return schema && nodes ? 110 : 0;
}

const struct tc_ingest_adapter tc_ingest_pyet_adapter = {
    "pytorch-et",
    "PyTorch execution trace JSON (schema 1.0.x, 1.1.x): operators, shapes, "
    "data dependencies; with the Kineto trace of the run, its times",
    pyet_probe,
    pyet_run,
};

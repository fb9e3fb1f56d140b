/* chakra.c - the Chakra execution trace adapter: .et files (one per rank) -> one opstream.
 *
 * An .et file is a GlobalMetadata record and then Node records, each prefixed by its length
 * as a varint. The records are split here (so a bad length names its byte offset) and each
 * is unpacked by protoc-c from proto/chakra.proto. Nodes come in any order, so the graph is
 * checked (duplicate ids, dependencies on missing nodes, cycles) and sorted topologically
 * before anything is written: the opstream wants every dependency to name an earlier op.
 *
 * Each node then becomes an op (chakra_node.c); docs/chakra.md has the whole mapping. */
#include <ctype.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "adapter.h"
#include "chakra.h"

unsigned tc_et_coll_from(int64_t t)
{
	static const uint8_t map[] = {
	    TC_COLL_ALLREDUCE,	    TC_COLL_REDUCE,    TC_COLL_ALLGATHER, TC_COLL_GATHER,
	    TC_COLL_SCATTER,	    TC_COLL_BROADCAST, TC_COLL_ALLTOALL,  TC_COLL_REDUCE_SCATTER,
	    TC_COLL_REDUCE_SCATTER, TC_COLL_BARRIER};
	return t >= 0 && t < (int64_t)sizeof(map) ? map[t] : TC_COLL_NONE;
}

int tc_et_coll_to(unsigned c)
{
	switch (c) {
	case TC_COLL_ALLREDUCE:
		return 0;
	case TC_COLL_REDUCE:
		return 1;
	case TC_COLL_ALLGATHER:
		return 2;
	case TC_COLL_GATHER:
		return 3;
	case TC_COLL_SCATTER:
		return 4;
	case TC_COLL_BROADCAST:
		return 5;
	case TC_COLL_ALLTOALL:
		return 6;
	case TC_COLL_SENDRECV:
		return 6; /* NCCL's SendRecv kernels carry all-to-all */
	case TC_COLL_REDUCE_SCATTER:
		return 7;
	case TC_COLL_BARRIER:
		return 9;
	default:
		return -1;
	}
}

/* ---- records and graph ------------------------------------------------------------------ */

static void et_free(struct et_file *f)
{
	for (size_t i = 0; i < f->n; i++)
		chakra_proto_msg__node__free_unpacked(f->nodes[i], NULL);
	if (f->meta)
		chakra_proto_msg__global_metadata__free_unpacked(f->meta, NULL);
	free(f->nodes);
	free(f->dstart);
	free(f->deps);
	free(f->order);
	free(f->buf);
	memset(f, 0, sizeof(*f));
}

/* Where record k is, for errors: the metadata, or a node by position and the id before it
 * (a record that cannot be read has no id of its own to give). */
static void rec_name(const struct et_file *f, size_t k, char *buf, size_t n)
{
	if (k == 0)
		snprintf(buf, n, "global metadata record");
	else if (f->n)
		snprintf(buf, n, "node record %zu (after node %" PRIu64 ")", k,
			 f->nodes[f->n - 1]->id);
	else
		snprintf(buf, n, "node record %zu (the first node)", k);
}

static int split_records(struct et_file *f, struct tc_err *err)
{
	const uint8_t *p = (const uint8_t *)f->buf;
	size_t off = 0;
	char where[96];
	if (f->len == 0)
		return tc_err_set(err, TC_EFORMAT, "%s: empty file (no Chakra global metadata)",
				  f->path);
	for (size_t k = 0; off < f->len; k++) {
		size_t at = off;
		uint64_t rl;
		rec_name(f, k, where, sizeof(where));
		/* with under 10 bytes left a bad varint is cut short; with 10 or more, overlong */
		if (tc_varint_at(p, f->len, &off, &rl) < 0)
			return tc_err_set(err, TC_ETRUNC, "%s: byte %zu: %s: length varint %s",
					  f->path, at, where,
					  f->len - off < 10 ? "cut by the end of the file"
							    : "longer than 10 bytes");
		if (rl > f->len - off)
			return tc_err_set(err, TC_ETRUNC,
					  "%s: byte %zu: %s: length %" PRIu64
					  " is larger than the %zu bytes left in the file",
					  f->path, at, where, rl, f->len - off);
		if (k == 0) {
			f->meta =
			    chakra_proto_msg__global_metadata__unpack(NULL, (size_t)rl, p + off);
			if (!f->meta)
				return tc_err_set(err, TC_EFORMAT,
						  "%s: byte %zu: %s: not a Chakra "
						  "GlobalMetadata message",
						  f->path, at, where);
		} else {
			if (tc_grow((void **)&f->nodes, &f->cap, f->n + 1, sizeof(*f->nodes)) < 0)
				return tc_err_set(err, TC_ENOMEM, "out of memory");
			NODE *nd = chakra_proto_msg__node__unpack(NULL, (size_t)rl, p + off);
			if (!nd)
				return tc_err_set(err, TC_EFORMAT,
						  "%s: byte %zu: %s: not a Chakra Node "
						  "message",
						  f->path, at, where);
			f->nodes[f->n++] = nd;
		}
		off += (size_t)rl;
	}
	return 0;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

/* Data dependencies as node indices (each once), then Kahn's order. */
static int build_graph(struct et_file *f, struct tc_err *err)
{
	struct tc_map64 ids = TC_MAP64_INIT;
	uint32_t *indeg = NULL, *sstart = NULL, *succ = NULL;
	size_t ndeps = 0, cap = 0;
	int rc = 0;
	f->dstart = calloc(f->n + 1, sizeof(uint32_t));
	f->order = calloc(f->n + 1, sizeof(uint32_t));
	if (!f->dstart || !f->order)
		return tc_err_set(err, TC_ENOMEM, "out of memory");
	if (f->n > UINT32_MAX - 1)
		return tc_err_set(err, TC_EUNSUPPORTED, "%s: more than 2^32 nodes", f->path);
	for (size_t i = 0; i < f->n && rc == 0; i++) {
		uint64_t prev;
		if (tc_map64_get(&ids, f->nodes[i]->id, &prev))
			rc = tc_err_set(err, TC_EFORMAT,
					"%s: node %" PRIu64 " (%s): id given twice "
					"(node records %" PRIu64 " and %zu)",
					f->path, f->nodes[i]->id, f->nodes[i]->name, prev + 1,
					i + 1);
		else if (tc_map64_put(&ids, f->nodes[i]->id, i) < 0)
			rc = tc_err_set(err, TC_ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < f->n && rc == 0; i++) {
		const NODE *nd = f->nodes[i];
		size_t first = ndeps;
		f->ctrl += nd->n_ctrl_deps;
		for (size_t k = 0; k < nd->n_data_deps && rc == 0; k++) {
			uint64_t d = nd->data_deps[k], j;
			if (!tc_map64_get(&ids, d, &j))
				rc = tc_err_set(err, TC_EFORMAT,
						"%s: node %" PRIu64 " (%s): depends on "
						"node %" PRIu64 ", which is not in the file",
						f->path, nd->id, nd->name, d);
			else if (tc_grow((void **)&f->deps, &cap, ndeps + 1, sizeof(uint32_t)) < 0)
				rc = tc_err_set(err, TC_ENOMEM, "out of memory");
			else
				f->deps[ndeps++] = (uint32_t)j;
		}
		if (rc || ndeps == first)
			continue;
		qsort(f->deps + first, ndeps - first, sizeof(uint32_t), cmp_u32);
		size_t w = first + 1;
		for (size_t r = first + 1; r < ndeps; r++)
			if (f->deps[r] != f->deps[w - 1])
				f->deps[w++] = f->deps[r];
		ndeps = w;
		f->dstart[i + 1] = (uint32_t)ndeps;
	}
	for (size_t i = 0; i < f->n; i++) /* nodes without deps left their end at 0 */
		if (f->dstart[i + 1] < f->dstart[i])
			f->dstart[i + 1] = f->dstart[i];
	tc_map64_free(&ids);
	if (rc)
		return rc;
	/* successors (CSR) and in-degrees */
	indeg = calloc(f->n + 1, sizeof(uint32_t));
	sstart = calloc(f->n + 2, sizeof(uint32_t));
	succ = calloc(ndeps + 1, sizeof(uint32_t));
	if (!indeg || !sstart || !succ) {
		rc = tc_err_set(err, TC_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < f->n; i++)
		for (uint32_t k = f->dstart[i]; k < f->dstart[i + 1]; k++) {
			sstart[f->deps[k] + 2]++;
			indeg[i]++;
		}
	for (size_t i = 0; i < f->n; i++)
		sstart[i + 2] += sstart[i + 1];
	for (size_t i = 0; i < f->n; i++)
		for (uint32_t k = f->dstart[i]; k < f->dstart[i + 1]; k++)
			succ[sstart[f->deps[k] + 1]++] = (uint32_t)i;
	size_t head = 0, tail = 0;
	for (size_t i = 0; i < f->n; i++)
		if (indeg[i] == 0)
			f->order[tail++] = (uint32_t)i;
	while (head < tail) {
		uint32_t i = f->order[head++];
		for (uint32_t k = sstart[i]; k < sstart[i + 1]; k++)
			if (--indeg[succ[k]] == 0)
				f->order[tail++] = succ[k];
	}
	if (tail < f->n) {
		/* follow unfinished dependencies from any stuck node until one repeats: that one
		 * is on a cycle, and the error names it rather than a bystander behind it */
		uint32_t i = 0;
		while (indeg[i] == 0)
			i++;
		for (size_t steps = 0; steps < f->n; steps++) {
			uint32_t next = i;
			for (uint32_t k = f->dstart[i]; k < f->dstart[i + 1]; k++)
				if (indeg[f->deps[k]]) {
					next = f->deps[k];
					break;
				}
			i = next;
		}
		rc = tc_err_set(err, TC_EFORMAT,
				"%s: node %" PRIu64 " (%s): dependency cycle through "
				"it (%zu of %zu nodes never become ready)",
				f->path, f->nodes[i]->id, f->nodes[i]->name, f->n - tail, f->n);
	}
out:
	free(indeg);
	free(sstart);
	free(succ);
	return rc;
}

/* Read, split and check one file (path to read, name to give). */
static int et_load(struct et_file *f, const char *path, const char *name, const void *mem,
		   size_t mem_len, struct tc_err *err)
{
	f->path = name;
	if (mem) {
		f->buf = malloc(mem_len + 1);
		if (!f->buf)
			return tc_err_set(err, TC_ENOMEM, "out of memory");
		memcpy(f->buf, mem, mem_len);
		f->len = mem_len;
	} else {
		TC_TRY(tc_input_read_all(path, name, &f->buf, &f->len, err));
	}
	TC_TRY(split_records(f, err));
	for (size_t i = 0; i < f->meta->n_attr; i++) {
		const ChakraProtoMsg__AttributeProto *a = f->meta->attr[i];
		f->ours |= a->name && strcmp(a->name, "producer") == 0 &&
			   a->value_case == V(STRING_VAL) &&
			   strncmp(a->string_val, "tracecast", 9) == 0;
	}
	return build_graph(f, err);
}

/* The rank in a name ending ".N.et" (ASTRA-sim's and Chakra's naming), else -1. */
static int rank_of_name(const char *path)
{
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	size_t n = strlen(base);
	const char *exts[] = {".et", ".et.gz", ".et.zst"};
	for (size_t x = 0; x < sizeof(exts) / sizeof(exts[0]); x++) {
		size_t el = strlen(exts[x]);
		if (n <= el || strcmp(base + n - el, exts[x]) != 0)
			continue;
		size_t e = n - el, s = e;
		while (s > 0 && isdigit((unsigned char)base[s - 1]))
			s--;
		if (s == e || s == 0 || base[s - 1] != '.' || e - s > 6)
			return -1;
		return atoi(base + s);
	}
	return -1;
}

static void assign_ranks(struct et_file *files, size_t n, const struct tc_log *log)
{
	int ok = 1;
	for (size_t i = 0; i < n && ok; i++) {
		files[i].rank = rank_of_name(files[i].path);
		ok = files[i].rank >= 0;
		for (size_t j = 0; j < i && ok; j++)
			ok = files[j].rank != files[i].rank;
	}
	if (ok)
		return;
	if (log && n > 1)
		tc_warn(log, "chakra: ranks taken from the order given (not every name ends in a "
			     "distinct .N.et)");
	for (size_t i = 0; i < n; i++)
		files[i].rank = (int)i;
}

static const char *meta_version(const struct et_file *f)
{
	if (f->meta->version && f->meta->version[0])
		return f->meta->version;
	for (size_t i = 0; i < f->meta->n_attr; i++)
		if (f->meta->attr[i]->name && strcmp(f->meta->attr[i]->name, "schema") == 0 &&
		    f->meta->attr[i]->value_case == V(STRING_VAL))
			return f->meta->attr[i]->string_val;
	return "";
}

static int et_write(struct et_file *files, size_t n, const char *out_path,
		    const struct tc_ingest_opts *opts, struct tc_ingest_stats *stats,
		    struct tc_err *err)
{
	const struct tc_log *log = opts ? opts->log : NULL;
	uint32_t *ranks = tc_xcalloc(n, sizeof(*ranks));
	const char **names = tc_xcalloc(n, sizeof(*names));
	for (size_t i = 0; i < n; i++) {
		ranks[i] = (uint32_t)files[i].rank;
		names[i] = files[i].path;
	}
	struct tc_kv meta[1] = {{"chakra_version", meta_version(&files[0])}};
	struct emit e;
	memset(&e, 0, sizeof(e));
	int rc = tc_ingest_open_ranks(&e.w, out_path, "chakra", names, ranks, n, meta, opts, err);
	if (rc == 0 && tc_strtab_init(&e.un.names) < 0)
		rc = tc_err_set(err, TC_ENOMEM, "out of memory");
	uint64_t base = 0;
	for (size_t i = 0; i < n && rc == 0 && e.w; i++) {
		rc = tc_et_emit_file(&e, &files[i], base, err);
		base += files[i].n;
	}
	if (e.w && rc == 0)
		rc = tc_ops_writer_close(e.w, err);
	else
		tc_ops_writer_abort(e.w);
	if (rc == 0) {
		tc_et_warn_unmapped(&e.un, log);
		uint64_t ctrl = 0;
		for (size_t i = 0; i < n; i++)
			ctrl += files[i].ctrl;
		if (ctrl && log)
			tc_warn(log,
				"chakra: %" PRIu64
				" control dependencies (ctrl_deps) not used: the "
				"graph is the data dependencies, as ASTRA-sim schedules it",
				ctrl);
		if (log)
			tc_info(
			    log,
			    "chakra: %" PRIu64 " of %" PRIu64 " GPU kernels have their work "
			    "(FLOPs, bytes) from the shapes of the CPU operator that launched them",
			    e.with_work, e.kernels - e.colls);
		if (e.other_types && log)
			tc_warn(log,
				"chakra: %" PRIu64 " nodes of types other than COMP, COMM and MEM "
				"kept as CPU work",
				e.other_types);
	}
	if (rc == 0 && stats) {
		for (size_t i = 0; i < n; i++) {
			stats->bytes_in += files[i].len;
			stats->events += files[i].n;
		}
		stats->ops = e.ops;
		stats->kernels = e.kernels;
		stats->collectives = e.colls;
		stats->unknown_ops = e.unknown;
		stats->ranks = (uint32_t)n;
	}
	tc_strtab_free(&e.un.names);
	free(e.un.count);
	free(e.deps);
	free(e.end);
	free(e.cpu);
	free(ranks);
	free(names);
	return rc;
}

static int chakra_run(const char *const *inputs, size_t n_inputs, const char *out_path,
		      const struct tc_ingest_opts *opts, struct tc_ingest_stats *stats,
		      struct tc_err *err)
{
	struct et_file *files = tc_xcalloc(n_inputs ? n_inputs : 1, sizeof(*files));
	int rc = 0;
	for (size_t i = 0; i < n_inputs && rc == 0; i++) {
		const char *src = opts && opts->sources ? opts->sources[i] : inputs[i];
		rc = et_load(&files[i], src, inputs[i], NULL, 0, err);
	}
	if (rc == 0) {
		assign_ranks(files, n_inputs, opts ? opts->log : NULL);
		rc = et_write(files, n_inputs, out_path, opts, stats, err);
	}
	for (size_t i = 0; i < n_inputs; i++)
		et_free(&files[i]);
	free(files);
	return rc;
}

int tc_chakra_check_mem(const void *buf, size_t len, struct tc_err *err)
{
	struct et_file f;
	memset(&f, 0, sizeof(f));
	int rc = et_load(&f, NULL, "<memory>", buf, len, err);
	struct unmapped u;
	memset(&u, 0, sizeof(u));
	if (rc == 0 && tc_strtab_init(&u.names) == 0) { /* the attributes, as ingest reads them */
		struct nattr na;
		for (size_t i = 0; i < f.n && rc == 0; i++) {
			(void)tc_et_check_io(f.nodes[i]);
			if (tc_et_node_attrs(f.nodes[i], &na, &u) < 0)
				rc = tc_err_set(err, TC_ENOMEM, "out of memory");
		}
		tc_strtab_free(&u.names);
		free(u.count);
	}
	et_free(&f);
	return rc;
}

/* A name ending in .et, or a first record that reads as a GlobalMetadata: a length varint,
 * then field 1 (version) or 2 (attr) as a length-delimited field. */
static int chakra_probe(const char *path, const uint8_t *head, size_t n)
{
	if (path && (tc_str_endswith(path, ".et") || tc_str_endswith(path, ".et.gz") ||
		     tc_str_endswith(path, ".et.zst")))
		return 100;
	size_t off = 0;
	uint64_t len;
	if (tc_varint_at(head, n, &off, &len) < 0 || len < 2 || off >= n)
		return 0;
	return head[off] == 0x0a || head[off] == 0x12 ? 20 : 0;
}

const struct tc_ingest_adapter tc_ingest_chakra_adapter = {
    "chakra",
    "Chakra execution traces (.et, one file per rank; ASTRA-sim's input)",
    chakra_probe,
    chakra_run,
};

/* Chakra execution traces in and out. Every corpus .et ingests with the node and data
 * dependency counts of an independent reading (a plain protobuf wire walk written here, not
 * the generated parser the adapter uses); .et -> .tcs -> .et keeps node ids, types, data
 * dependencies and durations; sub-microsecond durations survive in duration_ns; projected
 * durations are what the writer writes. Corpus cases skip when the corpus is absent. */
#include <criterion/criterion.h>
#include <dirent.h>

#include "ingest_test.h"

/* ---- an independent reading of .et bytes ------------------------------------------------ */

struct wnode {
	uint64_t id, type, dur_us, dur_ns;
	int has_dur_ns;
	uint64_t *deps; /* data deps */
	size_t n_deps, cap_deps, n_ctrl;
};

struct wfile {
	struct wnode *n;
	size_t count;
	uint64_t data_deps, ctrl_deps;
};

static uint64_t rd_var(const uint8_t *p, size_t len, size_t *o)
{
	uint64_t v = 0;
	for (int s = 0; *o < len && s < 64; s += 7) {
		uint8_t b = p[(*o)++];
		v |= (uint64_t)(b & 0x7f) << s;
		if (!(b & 0x80))
			return v;
	}
	cr_assert_fail("bad varint at %zu", *o);
	return 0;
}

/* Skip or collect one field; returns the field number, *wire, and for length-delimited
 * fields the payload slice. */
static uint64_t rd_field(const uint8_t *p, size_t end, size_t *o, int *wire, uint64_t *v,
			 size_t *pl_off, size_t *pl_len)
{
	uint64_t key = rd_var(p, end, o);
	*wire = (int)(key & 7);
	switch (*wire) {
	case 0:
		*v = rd_var(p, end, o);
		break;
	case 1:
		*o += 8;
		break;
	case 5:
		*o += 4;
		break;
	case 2:
		*pl_len = (size_t)rd_var(p, end, o);
		*pl_off = *o;
		*o += *pl_len;
		break;
	default:
		cr_assert_fail("wire type %d", *wire);
	}
	cr_assert_leq(*o, end);
	return key >> 3;
}

/* An attribute (Node field 10): name "duration_ns" with an int64 value. */
static void rd_attr(const uint8_t *p, size_t off, size_t len, struct wnode *n)
{
	size_t o = off, end = off + len, po = 0, pl = 0;
	int wire, is_ns = 0;
	uint64_t v = 0, val = 0;
	while (o < end) {
		uint64_t f = rd_field(p, end, &o, &wire, &v, &po, &pl);
		if (f == 1 && wire == 2)
			is_ns = pl == 11 && memcmp(p + po, "duration_ns", 11) == 0;
		if (f == 9 && wire == 0)
			val = v;
	}
	if (is_ns) {
		n->dur_ns = val;
		n->has_dur_ns = 1;
	}
}

static void walk(const uint8_t *p, size_t len, struct wfile *w)
{
	size_t o = 0, cap = 0;
	memset(w, 0, sizeof(*w));
	for (int rec = 0; o < len; rec++) {
		size_t rl = (size_t)rd_var(p, len, &o), end = o + rl;
		cr_assert_leq(end, len);
		if (rec == 0) { /* GlobalMetadata */
			o = end;
			continue;
		}
		if (w->count == cap)
			w->n = realloc(w->n, (cap = cap * 2 + 64) * sizeof(*w->n));
		struct wnode *n = &w->n[w->count++];
		memset(n, 0, sizeof(*n));
		while (o < end) {
			int wire;
			uint64_t v = 0;
			size_t po = 0, pl = 0;
			uint64_t f = rd_field(p, end, &o, &wire, &v, &po, &pl);
			if (f == 1 && wire == 0)
				n->id = v;
			else if (f == 3 && wire == 0)
				n->type = v;
			else if (f == 7 && wire == 0)
				n->dur_us = v;
			else if ((f == 4 || f == 5) && (wire == 0 || wire == 2)) {
				size_t q = po;
				for (int k = 0; wire == 2 ? q < po + pl : k < 1; k++) {
					uint64_t d = wire == 2 ? rd_var(p, po + pl, &q) : v;
					if (f == 4) {
						n->n_ctrl++;
						w->ctrl_deps++;
						continue;
					}
					if (n->n_deps == n->cap_deps)
						n->deps = realloc(
						    n->deps, (n->cap_deps = n->cap_deps * 2 + 8) *
								 sizeof(uint64_t));
					n->deps[n->n_deps++] = d;
					w->data_deps++;
				}
			} else if (f == 10 && wire == 2)
				rd_attr(p, po, pl, n);
		}
	}
}

static void wfree(struct wfile *w)
{
	for (size_t i = 0; i < w->count; i++)
		free(w->n[i].deps);
	free(w->n);
}

static uint8_t *slurp_bin(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	cr_assert_not_null(f, "%s", path);
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	rewind(f);
	uint8_t *b = malloc((size_t)n + 1);
	cr_assert_eq(fread(b, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return b;
}

static void walk_file(const char *path, struct wfile *w)
{
	size_t len;
	uint8_t *b = slurp_bin(path, &len);
	walk(b, len, w);
	free(b);
}

static const struct wnode *find(const struct wfile *w, uint64_t id)
{
	for (size_t i = 0; i < w->count; i++)
		if (w->n[i].id == id)
			return &w->n[i];
	return NULL;
}

static int has_dep(const struct wnode *n, uint64_t d)
{
	for (size_t i = 0; i < n->n_deps; i++)
		if (n->deps[i] == d)
			return 1;
	return 0;
}

/* ---- corpus: counts ---------------------------------------------------------------------- */

static void check_counts(const char *rel)
{
	char path[1024];
	if (!corpus_path(rel, path, sizeof(path)))
		cr_skip_test("corpus file %s absent", rel);
	struct wfile w;
	walk_file(path, &w);
	struct rb b = {0};
	struct tc_err err = TC_ERR_INIT;
	const char *p = path;
	cr_assert_eq(ingest_paths(&b, &p, 1, &err), 0, "%s", err.msg);
	cr_assert_eq(read_back(&b, &err), 0, "%s", err.msg);
	cr_assert_eq(b.n, w.count, "%s: %zu ops for %zu nodes", rel, b.n, w.count);
	/* dependencies: re-read with deps (read_back drops the arrays) */
	struct tc_ops_reader *r;
	cr_assert_eq(tc_ops_reader_open(&r, b.out, &err), 0, "%s", err.msg);
	const struct tc_op *ops;
	size_t n;
	uint64_t deps = 0;
	while (tc_ops_reader_next(r, &ops, &n, &err) == 1)
		for (size_t i = 0; i < n; i++)
			deps += ops[i].n_deps;
	tc_ops_reader_free(r);
	cr_assert_eq(deps, w.data_deps, "%s: %llu deps in the stream, %llu data_deps in the file",
		     rel, (unsigned long long)deps, (unsigned long long)w.data_deps);
	tc_ops_reader_free(b.r);
	free(b.ops);
	wfree(&w);
}

Test(chakra_corpus, chakra_0_et)
{
	check_counts("chakra/chakra.0.et");
}
Test(chakra_corpus, astra_all_reduce)
{
	check_counts("astra-sim/all_reduce_8npus_1MB.0.et");
}
Test(chakra_corpus, astra_all_to_all)
{
	check_counts("astra-sim/all_to_all_4npus_1MB.1.et");
}
Test(chakra_corpus, astra_custom_allreduce)
{
	check_counts("astra-sim/custom_allreduce_8npus_1MB.0.et");
}

/* The independent walk agrees with the corpus manifest, so it is a count worth checking. */
Test(chakra_corpus, manifest_counts)
{
	char path[1024];
	if (!corpus_path("chakra/chakra.0.et", path, sizeof(path)))
		cr_skip_test("corpus file chakra/chakra.0.et absent");
	struct wfile w;
	walk_file(path, &w);
	size_t comp = 0, coll = 0;
	for (size_t i = 0; i < w.count; i++) {
		comp += w.n[i].type == 4;
		coll += w.n[i].type == 7;
	}
	cr_assert_eq(w.count, 3664);
	cr_assert_eq(comp, 3643);
	cr_assert_eq(coll, 21);
	wfree(&w);
}

/* ---- round trips --------------------------------------------------------------------------- */

/* The "op" lines of a stream's dump, as one string. */
static char *ops_dump(const char *tcs)
{
	char *text = NULL, *line = NULL, *out = NULL;
	size_t len = 0, cap = 0, outlen = 0;
	struct tc_err err = TC_ERR_INIT;
	FILE *fp = open_memstream(&text, &len);
	cr_assert_eq(tc_ops_dump(tcs, fp, &err), 0, "%s", err.msg);
	fclose(fp);
	FILE *in = fmemopen(text, len, "r");
	FILE *o = open_memstream(&out, &outlen);
	while (getline(&line, &cap, in) > 0)
		if (strncmp(line, "op ", 3) == 0)
			fputs(line, o);
	fclose(in);
	fclose(o);
	free(line);
	free(text);
	return out;
}

/* Ingest the .et at path, export it to a new directory, and compare node by node. */
static void round_trip(const char *path, const char *stem)
{
	struct rb b = {0};
	struct tc_err err = TC_ERR_INIT;
	const char *p = path;
	cr_assert_eq(ingest_paths(&b, &p, 1, &err), 0, "%s", err.msg);
	char dir[160], out[256];
	snprintf(dir, sizeof(dir), "%s/et", b.dir);
	struct tc_chakra_out_opts o = {NULL, NULL, stem};
	struct tc_chakra_out_stats st;
	cr_assert_eq(tc_chakra_export(b.out, dir, &o, &st, &err), 0, "%s", err.msg);
	cr_assert_eq(st.files, 1);
	snprintf(out, sizeof(out), "%s/%s.0.et", dir, stem);
	struct wfile a, c;
	walk_file(path, &a);
	walk_file(out, &c);
	cr_assert_eq(c.count, a.count, "%zu nodes written for %zu read", c.count, a.count);
	cr_assert_eq(c.data_deps, a.data_deps);
	for (size_t i = 0; i < a.count; i++) {
		const struct wnode *x = &a.n[i], *y = find(&c, x->id);
		cr_assert_not_null(y, "node %llu lost", (unsigned long long)x->id);
		cr_assert_eq(y->type, x->type, "node %llu: type %llu became %llu",
			     (unsigned long long)x->id, (unsigned long long)x->type,
			     (unsigned long long)y->type);
		cr_assert_eq(y->dur_us, x->dur_us, "node %llu: duration",
			     (unsigned long long)x->id);
		cr_assert_eq(y->n_deps, x->n_deps);
		for (size_t k = 0; k < x->n_deps; k++)
			cr_assert(has_dep(y, x->deps[k]), "node %llu lost its dependency on %llu",
				  (unsigned long long)x->id, (unsigned long long)x->deps[k]);
		cr_assert(y->has_dur_ns);
		cr_assert_eq(y->dur_ns, x->has_dur_ns ? x->dur_ns : x->dur_us * 1000);
	}
	/* read back, the ops are the same, shapes included (the header names other files) */
	struct rb rb2 = {0};
	const char *p2 = out;
	cr_assert_eq(ingest_paths(&rb2, &p2, 1, &err), 0, "%s", err.msg);
	char *d1 = ops_dump(b.out), *d2 = ops_dump(rb2.out);
	cr_assert(strcmp(d1, d2) == 0, ".et -> .tcs -> .et -> .tcs changed the ops");
	free(d1);
	free(d2);
	/* and written twice, the bytes are the same */
	char dir2[160], out2[256];
	snprintf(dir2, sizeof(dir2), "%s/et2", b.dir);
	cr_assert_eq(tc_chakra_export(b.out, dir2, &o, &st, &err), 0, "%s", err.msg);
	snprintf(out2, sizeof(out2), "%s/%s.0.et", dir2, stem);
	size_t l1, l2;
	uint8_t *b1 = slurp_bin(out, &l1), *b2 = slurp_bin(out2, &l2);
	cr_assert(l1 == l2 && memcmp(b1, b2, l1) == 0, "export is not deterministic");
	free(b1);
	free(b2);
	wfree(&a);
	wfree(&c);
	tc_ops_reader_free(b.r);
	free(b.ops);
}

Test(chakra_roundtrip, corpus_chakra_0_et, .timeout = 120)
{
	char path[1024];
	if (!corpus_path("chakra/chakra.0.et", path, sizeof(path)))
		cr_skip_test("corpus file chakra/chakra.0.et absent");
	round_trip(path, "rt");
}

Test(chakra_roundtrip, corpus_custom_allreduce)
{
	char path[1024];
	if (!corpus_path("astra-sim/custom_allreduce_8npus_1MB.0.et", path, sizeof(path)))
		cr_skip_test("corpus file absent");
	round_trip(path, "rt");
}

/* The hand-made seed: id 0 elided, send/recv/collective/MEM/CPU nodes, a 7.25 us duration
 * kept exactly in duration_ns. Needs no corpus. */
Test(chakra_roundtrip, small_graph_sub_microsecond)
{
	char path[1024];
	snprintf(path, sizeof(path), "%s/tests/fuzz/seeds/fuzz_chakra/small_graph.et",
		 getenv("TC_SRCDIR"));
	round_trip(path, "small");
	struct wfile w;
	walk_file(path, &w);
	cr_assert_eq(w.count, 6);
	cr_assert_eq(w.n[0].id, 0);
	cr_assert_eq(w.n[0].dur_ns, 7250);
	wfree(&w);
}

/* ---- projected durations and ranks ---------------------------------------------------------- */

static int64_t doubled(const void *ctx, uint64_t op)
{
	const struct rb *b = ctx;
	return b->ops[op].dur_ns >= 0 ? 2 * b->ops[op].dur_ns + 1 : -1;
}

Test(chakra_out, projected_durations_and_rounding)
{
	char path[1024];
	snprintf(path, sizeof(path), "%s/tests/fuzz/seeds/fuzz_chakra/small_graph.et",
		 getenv("TC_SRCDIR"));
	struct rb b = {0};
	struct tc_err err = TC_ERR_INIT;
	const char *p = path;
	cr_assert_eq(ingest_paths(&b, &p, 1, &err), 0, "%s", err.msg);
	cr_assert_eq(read_back(&b, &err), 0, "%s", err.msg);
	char dir[160], out[256];
	snprintf(dir, sizeof(dir), "%s/proj", b.dir);
	struct tc_chakra_out_opts o = {doubled, &b, "p"};
	cr_assert_eq(tc_chakra_export(b.out, dir, &o, NULL, &err), 0, "%s", err.msg);
	snprintf(out, sizeof(out), "%s/p.0.et", dir);
	struct wfile w;
	walk_file(out, &w);
	const struct wnode *n0 = find(&w, 0);
	cr_assert_not_null(n0);
	cr_assert_eq(n0->dur_ns, 14501);
	cr_assert_eq(n0->dur_us, 15, "14.501 us rounds to 15 us");
	wfree(&w);
	tc_ops_reader_free(b.r);
	free(b.ops);
}

/* Files named NAME.RANK.et are ranks RANK, in whatever order they are given; the stream
 * exported again gives one file per rank. */
Test(chakra_out, ranks_from_names)
{
	char src[1024], dir[64], a[160], c[160];
	snprintf(src, sizeof(src), "%s/tests/fuzz/seeds/fuzz_chakra/small_graph.et",
		 getenv("TC_SRCDIR"));
	tmpdir_make(dir, sizeof(dir));
	size_t len;
	uint8_t *bytes = slurp_bin(src, &len);
	snprintf(a, sizeof(a), "%s/job.3.et", dir);
	snprintf(c, sizeof(c), "%s/job.1.et", dir);
	write_file(a, bytes, len);
	write_file(c, bytes, len);
	free(bytes);
	struct rb b = {0};
	struct tc_err err = TC_ERR_INIT;
	const char *in[2] = {a, c};
	cr_assert_eq(ingest_paths(&b, in, 2, &err), 0, "%s", err.msg);
	cr_assert_eq(read_back(&b, &err), 0, "%s", err.msg);
	const struct tc_ops_header *h = tc_ops_reader_header(b.r);
	cr_assert_eq(h->n_ranks, 2);
	cr_assert_eq(h->ranks[0], 3);
	cr_assert_eq(h->ranks[1], 1);
	cr_assert_eq(h->world_size, 4);
	char out[160];
	snprintf(out, sizeof(out), "%s/x", dir);
	struct tc_chakra_out_opts o = {NULL, NULL, "job"};
	struct tc_chakra_out_stats st;
	cr_assert_eq(tc_chakra_export(b.out, out, &o, &st, &err), 0, "%s", err.msg);
	cr_assert_eq(st.files, 2);
	cr_assert_eq(st.nodes, 12);
	char f1[200], f3[200];
	snprintf(f1, sizeof(f1), "%s/job.1.et", out);
	snprintf(f3, sizeof(f3), "%s/job.3.et", out);
	cr_assert_eq(access(f1, R_OK), 0);
	cr_assert_eq(access(f3, R_OK), 0);
	tc_ops_reader_free(b.r);
	free(b.ops);
}

static int has_bytes(const uint8_t *b, size_t len, const char *s)
{
	size_t n = strlen(s);
	for (size_t i = 0; i + n <= len; i++)
		if (memcmp(b + i, s, n) == 0)
			return 1;
	return 0;
}

/* The program: project --chakra-out writes the projected durations (the file says so), and
 * export --chakra with --name writes the measured ones under that name. */
Test(chakra_cli, project_chakra_out_and_export, .timeout = 120)
{
	const char *exe = getenv("TRACECAST"), *src = getenv("TC_SRCDIR");
	char dir[64], cmd[2048], in[1024], out[256];
	cr_assert(exe && src);
	tmpdir_make(dir, sizeof(dir));
	snprintf(in, sizeof(in), "%s/tests/fuzz/seeds/fuzz_chakra/io_shapes.et", src);
	snprintf(cmd, sizeof(cmd),
		 "'%s' project '%s' --source a100-sxm4-80gb --target h100-sxm5 "
		 "--chakra-out '%s/proj' >/dev/null 2>&1",
		 exe, in, dir);
	cr_assert_eq(system(cmd), 0, "%s", cmd);
	snprintf(cmd, sizeof(cmd), "'%s' export --chakra '%s/meas' '%s' --name m 2>/dev/null", exe,
		 dir, in);
	cr_assert_eq(system(cmd), 0, "%s", cmd);
	struct wfile p, m;
	snprintf(out, sizeof(out), "%s/proj/io_shapes.0.et", dir);
	walk_file(out, &p);
	snprintf(out, sizeof(out), "%s/meas/m.0.et", dir);
	walk_file(out, &m);
	cr_assert_eq(p.count, 3);
	cr_assert_eq(m.count, 3);
	const struct wnode *pk = find(&p, 2), *mk = find(&m, 2);
	cr_assert(pk && mk);
	cr_assert_eq(mk->dur_ns, 9000, "measured kernel time");
	cr_assert_lt(pk->dur_ns, 9000, "the GEMM is faster on an H100 (%llu ns)",
		     (unsigned long long)pk->dur_ns);
	cr_assert_gt(pk->dur_ns, 0);
	/* the metadata says which durations these are */
	size_t len;
	uint8_t *b = slurp_bin(out, &len);
	cr_assert(has_bytes(b, len, "measured"));
	free(b);
	snprintf(out, sizeof(out), "%s/proj/io_shapes.0.et", dir);
	b = slurp_bin(out, &len);
	cr_assert(has_bytes(b, len, "projected"));
	free(b);
	wfree(&p);
	wfree(&m);
}

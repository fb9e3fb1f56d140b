/* End-to-end: ingest every Kineto trace of the corpus and check what the opstream says
 * against facts read independently from the JSON. The independent reading loads the whole
 * file with jansson (a DOM: fine here, never in tracecast) and counts kernels, steps,
 * collective kernels, per-stream busy time, the rank and the GPU names; for the largest
 * trace only a plain text count of "cat": "kernel" is used, to keep the test light.
 * Skips cleanly when the corpus is absent ($TRACECAST_CORPUS or TC_CORPUS_DEFAULT). */
#include <criterion/criterion.h>
#include <jansson.h>
#include <math.h>
#include <zlib.h>

#include "ingest_test.h"

static const char *corpus_dir(void)
{
	const char *d = getenv("TRACECAST_CORPUS");
	if (!d || !*d)
		d = getenv("TC_CORPUS_DEFAULT");
	return d;
}

/* Whole file, decompressed (gzip or plain). */
static char *slurp(const char *path, size_t *len)
{
	gzFile g = gzopen(path, "rb");
	size_t cap = 1 << 20, n = 0;
	char *buf = malloc(cap);
	int r;
	if (!g)
		return NULL;
	while ((r = gzread(g, buf + n, (unsigned)(cap - n - 1))) > 0) {
		n += (size_t)r;
		if (cap - n < 2) {
			cap *= 2;
			buf = realloc(buf, cap);
		}
	}
	gzclose(g);
	buf[n] = '\0';
	*len = n;
	return buf;
}

static size_t count_str(const char *hay, const char *needle)
{
	size_t c = 0, n = strlen(needle);
	for (const char *p = strstr(hay, needle); p; p = strstr(p + n, needle))
		c++;
	return c;
}

struct facts {
	size_t kernels, steps, coll_kernels, coll_named;
	int rank;
	double busy_ns[64]; /* per GPU stream, keyed by (device*1000+stream) in keys[] */
	long keys[64];
	size_t nkeys;
	char gpu_name[128];
	char arch[16]; /* sm_XY from the first listed NVIDIA GPU's compute capability */
};

static double *busy_slot(struct facts *f, long key)
{
	for (size_t i = 0; i < f->nkeys; i++)
		if (f->keys[i] == key)
			return &f->busy_ns[i];
	if (f->nkeys == 64)
		return NULL;
	f->keys[f->nkeys] = key;
	f->busy_ns[f->nkeys] = 0;
	return &f->busy_ns[f->nkeys++];
}

static long int_of(json_t *v, long dflt)
{
	if (json_is_integer(v))
		return (long)json_integer_value(v);
	if (json_is_string(v)) {
		const char *s = json_string_value(v);
		while (*s && (*s < '0' || *s > '9') && *s != '-')
			s++;
		return *s ? strtol(s, NULL, 10) : dflt;
	}
	return dflt;
}

static void read_facts(const char *text, size_t len, struct facts *f)
{
	json_error_t je;
	json_t *root = json_loadb(text, len, 0, &je);
	memset(f, 0, sizeof(*f));
	f->rank = -1;
	cr_assert_not_null(root, "jansson: %s", je.text);
	json_t *evs = json_is_array(root) ? root : json_object_get(root, "traceEvents");
	json_t *di = json_object_get(root, "distributedInfo");
	if (di && json_is_integer(json_object_get(di, "rank")))
		f->rank = (int)json_integer_value(json_object_get(di, "rank"));
	size_t i;
	json_t *e;
	json_array_foreach(evs, i, e)
	{
		const char *ph = json_string_value(json_object_get(e, "ph"));
		const char *cat = json_string_value(json_object_get(e, "cat"));
		const char *name = json_string_value(json_object_get(e, "name"));
		json_t *args = json_object_get(e, "args");
		if (!ph || strcmp(ph, "X") != 0 || !cat)
			continue;
		int kernel = !strcmp(cat, "kernel") || !strcmp(cat, "Kernel");
		int gpu = kernel || !strcmp(cat, "gpu_memcpy") || !strcmp(cat, "gpu_memset") ||
			  !strcmp(cat, "Memcpy") || !strcmp(cat, "Memset");
		if (kernel) {
			f->kernels++;
			if (name && (tc_strcasestr(name, "nccl") || tc_strcasestr(name, "rccl") ||
				     strstr(name, "multimem_all_reduce"))) {
				f->coll_kernels++;
				if (json_object_get(args, "Collective name"))
					f->coll_named++;
			}
		}
		if (gpu) {
			long dev = int_of(json_object_get(args, "device"),
					  int_of(json_object_get(e, "pid"), 0));
			long st = int_of(json_object_get(args, "stream"),
					 int_of(json_object_get(e, "tid"), 0));
			double *b = busy_slot(f, dev * 1000 + st);
			if (b)
				*b += (double)llround(json_number_value(json_object_get(e, "dur")) *
						      1000.0);
		}
		if (name && strncmp(name, "ProfilerStep#", 13) == 0 &&
		    (!strcmp(cat, "cpu_op") || !strcmp(cat, "user_annotation") ||
		     !strcmp(cat, "Operator")))
			f->steps++;
	}
	json_t *dp = json_object_get(root, "deviceProperties");
	if (!dp)
		dp = json_object_get(root, "computeProperties");
	if (json_array_size(dp) > 0) {
		json_t *d0 = json_array_get(dp, 0);
		const char *n = json_string_value(json_object_get(d0, "name"));
		snprintf(f->gpu_name, sizeof(f->gpu_name), "%s", n ? n : "");
		json_t *ma = json_object_get(d0, "computeMajor"),
		       *mi = json_object_get(d0, "computeMinor");
		if (!ma) {
			ma = json_object_get(d0, "major");
			mi = json_object_get(d0, "minor");
		}
		if (n && (strstr(n, "NVIDIA") || strstr(n, "Tesla")) && json_is_integer(ma) &&
		    json_is_integer(mi))
			snprintf(f->arch, sizeof(f->arch), "sm_%d%d", (int)json_integer_value(ma),
				 (int)json_integer_value(mi));
	}
	json_decref(root);
}

struct seen {
	size_t kernels, steps, coll_class, coll_kind;
	double busy[64];
	long keys[64];
	size_t nkeys;
};

static void read_seen(struct rb *b, uint32_t rank, struct seen *s)
{
	memset(s, 0, sizeof(*s));
	for (size_t i = 0; i < b->n; i++) {
		const struct tc_op *op = &b->ops[i];
		const struct tc_lane *l = tc_ops_reader_lane(b->r, op->lane);
		if (l->rank != rank)
			continue;
		if (op->kind == TC_KIND_KERNEL) {
			s->kernels++;
			s->coll_class += op->op_class == TC_CLASS_COLLECTIVE;
			s->coll_kind += op->coll_kind != TC_COLL_NONE;
		}
		s->steps += op->kind == TC_KIND_STEP;
		if (l->type == TC_LANE_GPU) {
			const struct tc_ops_header *h = tc_ops_reader_header(b->r);
			long key = (long)h->devices[l->device].index * 1000 + (long)l->tid;
			size_t k;
			for (k = 0; k < s->nkeys && s->keys[k] != key; k++)
				;
			if (k == s->nkeys && s->nkeys < 64) {
				s->keys[k] = key;
				s->busy[k] = 0;
				s->nkeys++;
			}
			if (k < 64)
				s->busy[k] += (double)op->dur_ns;
		}
	}
}

static void check_file(const char *rel, int light)
{
	const char *dir = corpus_dir();
	char path[1024];
	struct rb b = {0};
	struct tc_err err = TC_ERR_INIT;
	size_t len = 0;

	if (!dir)
		cr_skip_test("no corpus configured");
	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	if (!file_exists(path))
		cr_skip_test("corpus file %s absent", path);
	const char *p = path;
	cr_assert_eq(ingest_paths(&b, &p, 1, &err), 0, "%s", err.msg);
	cr_assert_eq(read_back(&b, &err), 0, "%s", err.msg);
	char *text = slurp(path, &len);
	cr_assert_not_null(text);
	const struct tc_ops_header *h = tc_ops_reader_header(b.r);
	uint32_t rank = h->ranks[0];
	struct seen s;
	read_seen(&b, rank, &s);
	if (light) {
		size_t k =
		    count_str(text, "\"cat\": \"kernel\"") + count_str(text, "\"cat\":\"kernel\"");
		cr_expect_eq(s.kernels, k, "%s: kernels %zu, text count %zu", rel, s.kernels, k);
		free(text);
		rb_free(&b);
		return;
	}
	struct facts f;
	read_facts(text, len, &f);
	free(text);
	cr_expect_eq(s.kernels, f.kernels, "%s: kernels %zu vs %zu", rel, s.kernels, f.kernels);
	cr_expect_eq(s.steps, f.steps, "%s: steps %zu vs %zu", rel, s.steps, f.steps);
	cr_expect_eq(s.coll_class, f.coll_kernels, "%s: collective kernels %zu vs %zu", rel,
		     s.coll_class, f.coll_kernels);
	/* every kernel that names its collective gets a kind */
	cr_expect_geq(s.coll_kind, f.coll_named, "%s: collectives with a kind %zu < %zu", rel,
		      s.coll_kind, f.coll_named);
	if (f.rank >= 0)
		cr_expect_eq(rank, (uint32_t)f.rank, "%s: rank", rel);
	cr_expect_eq(s.nkeys, f.nkeys, "%s: GPU streams %zu vs %zu", rel, s.nkeys, f.nkeys);
	for (size_t i = 0; i < f.nkeys; i++) {
		size_t k;
		for (k = 0; k < s.nkeys && s.keys[k] != f.keys[i]; k++)
			;
		cr_expect_lt(k, s.nkeys, "%s: stream %ld missing", rel, f.keys[i]);
		if (k < s.nkeys)
			cr_expect_eq(s.busy[k], f.busy_ns[i], "%s: stream %ld busy %.0f vs %.0f ns",
				     rel, f.keys[i], s.busy[k], f.busy_ns[i]);
	}
	if (f.gpu_name[0]) {
		int named = 0;
		for (size_t i = 0; i < h->n_devices; i++)
			named |= h->devices[i].type == TC_DEV_GPU &&
				 strcmp(h->devices[i].name, f.gpu_name) == 0;
		cr_expect(named, "%s: no GPU named '%s'", rel, f.gpu_name);
	}
	for (size_t i = 0; f.arch[0] && i < h->n_devices; i++)
		if (h->devices[i].type == TC_DEV_GPU && strcmp(h->devices[i].name, f.gpu_name) == 0)
			cr_expect_str_eq(h->devices[i].arch, f.arch, "%s: arch", rel);
	rb_free(&b);
}

#define CORPUS_TEST(tname, rel, light)                                                             \
	Test(corpus, tname, .timeout = 240)                                                        \
	{                                                                                          \
		check_file(rel, light);                                                            \
	}

CORPUS_TEST(hta_control_a100, "HolisticTraceAnalysis/trace_diff_control_A100_rank3.json.gz", 1)
CORPUS_TEST(hta_nccl, "HolisticTraceAnalysis/nccl_data.json.gz", 0)
CORPUS_TEST(hta_alexnet,
	    "HolisticTraceAnalysis/alexnet_benchmark_result_2869224_1695835535_trace.json.gz", 0)
CORPUS_TEST(hta_mi250, "HolisticTraceAnalysis/mi250_minitoy_train_ROCm6_2_kineto.json.gz", 0)
CORPUS_TEST(hta_event_sync, "HolisticTraceAnalysis/event_sync_multi_stream_trace.json.gz", 0)
CORPUS_TEST(hta_simple_add, "HolisticTraceAnalysis/benchmark_simple_add_trace.json.gz", 0)
CORPUS_TEST(hta_sampled0, "HolisticTraceAnalysis/sampled_rank-0.json.gz", 0)
CORPUS_TEST(hta_sampled1, "HolisticTraceAnalysis/sampled_rank-1.json.gz", 0)
/* jansson refuses integers above INT64_MAX, which is the point of this file: text count */
CORPUS_TEST(hta_large_int, "HolisticTraceAnalysis/large_integer_rank-70.pt.trace.json.gz", 1)
CORPUS_TEST(tl_h100_bert, "TraceLens/h100/gaunernst_bert-small-uncased__1016001.json.gz", 0)
CORPUS_TEST(tl_mi300_bert, "TraceLens/mi300/gaunernst_bert-small-uncased__1016001.json.gz", 0)
CORPUS_TEST(tl_h100_vit, "TraceLens/h100/Falconsai_nsfw_image_detection__1016002.json.gz", 0)
CORPUS_TEST(tl_mi300_vit, "TraceLens/mi300/Falconsai_nsfw_image_detection__1016002.json.gz", 0)
CORPUS_TEST(tl_b200, "TraceLens/b200/eager_trace.json.gz", 0)
CORPUS_TEST(tl_resnet, "TraceLens/mi300/resnet_act_checkpoint.json.gz", 0)
CORPUS_TEST(tl_mi210, "TraceLens/mi210/gpu_only_trace.json.gz", 0)
CORPUS_TEST(tl_sglang, "TraceLens/inference/sglang_Qwen3-8B_decode.json.gz", 0)
CORPUS_TEST(tl_vllm, "TraceLens/inference/vllm_decode_full_graph_execution.json.gz", 0)
CORPUS_TEST(kineto_2021, "kineto/gpu_metrics_input.json", 0)

/* All 8 DLRM ranks at once: ranks from distributedInfo, 8 SendRecv/AllReduce kernels each
 * (MANIFEST: "8 NCCL kernels/rank"), every rank's kernels present. */
Test(corpus, dlrm_8_ranks, .timeout = 240)
{
	const char *dir = corpus_dir();
	char cmd[1200], line[1024];
	char *paths[8];
	size_t n = 0;
	struct rb b = {0};
	struct tc_err err = TC_ERR_INIT;
	if (!dir)
		cr_skip_test("no corpus configured");
	snprintf(cmd, sizeof(cmd), "ls %s/param/dlrm_kineto/worker*.pt.trace.json.gz 2>/dev/null",
		 dir);
	FILE *ls = popen(cmd, "r");
	while (ls && n < 8 && fgets(line, sizeof(line), ls)) {
		line[strcspn(line, "\n")] = '\0';
		paths[n++] = strdup(line);
	}
	if (ls)
		pclose(ls);
	if (n < 8)
		cr_skip_test("dlrm_kineto traces absent");
	cr_assert_eq(ingest_paths(&b, (const char *const *)paths, n, &err), 0, "%s", err.msg);
	cr_assert_eq(read_back(&b, &err), 0, "%s", err.msg);
	const struct tc_ops_header *h = tc_ops_reader_header(b.r);
	cr_expect_eq(h->n_ranks, 8u);
	cr_expect_eq(h->world_size, 8u);
	for (uint32_t r = 0; r < 8; r++) {
		struct seen s;
		size_t len;
		cr_expect_eq(h->ranks[r], r);
		read_seen(&b, r, &s);
		/* the file of rank r: its name is in the header in rank order */
		char p[1200];
		snprintf(p, sizeof(p), "%s/param/dlrm_kineto/%s", dir, h->source_files[r]);
		char *text = slurp(p, &len);
		struct facts f;
		read_facts(text, len, &f);
		free(text);
		cr_expect_eq(f.rank, (int)r);
		cr_expect_eq(s.kernels, f.kernels, "rank %u kernels %zu vs %zu", r, s.kernels,
			     f.kernels);
		cr_expect_eq(s.coll_class, 8u, "rank %u", r);
		/* kernel names alone tell SendRecv / AllReduce here */
		cr_expect_eq(s.coll_kind, 8u, "rank %u", r);
	}
	for (size_t i = 0; i < n; i++)
		free(paths[i]);
	rb_free(&b);
}

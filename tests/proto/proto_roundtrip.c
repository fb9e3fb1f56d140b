#include <criterion/criterion.h>
#include <sys/resource.h>

#include "proto_common.h"

/* Every field of every record survives a write and a read. */
Test(proto_roundtrip, every_field)
{
	struct tc_err err = TC_ERR_INIT;
	struct tc_ops_writer *w;
	struct tc_ops_header h = sample_header();
	const char *path = tmp_path("fields.tcs");
	struct tc_ops_writer_opts o = {3, 0}; /* tiny chunks: links cross chunk boundaries */
	cr_assert_eq(tc_ops_writer_open(&w, path, &h, &o, &err), 0, "%s", err.msg);
	uint32_t lane_cpu, lane_gpu, n_mm, n_k, n_pg;
	struct tc_lane l1 = {0, 0, 0, TC_LANE_CPU, 4242, "python thread"};
	struct tc_lane l2 = {0, 1, 1, TC_LANE_GPU, 7, "stream 7"};
	cr_assert_eq(tc_ops_writer_lane(w, &l1, &lane_cpu), 0);
	cr_assert_eq(tc_ops_writer_lane(w, &l2, &lane_gpu), 0);
	cr_assert_eq(lane_cpu, 0);
	cr_assert_eq(lane_gpu, 1);
	tc_ops_writer_intern(w, "aten::mm", &n_mm);
	tc_ops_writer_intern(w, "ampere_bf16_s16816gemm", &n_k);
	tc_ops_writer_intern(w, "pg:[0, 1]", &n_pg);

	int64_t d0[] = {128, 256}, d1[] = {256, -1};
	struct tc_shape shapes[] = {{2, d0}, {2, d1}, {0, NULL}};
	struct tc_op ops[6];
	for (int i = 0; i < 6; i++) {
		tc_op_init(&ops[i]);
		ops[i].name = i % 2 ? n_k : n_mm;
		ops[i].lane = i % 2 ? lane_gpu : lane_cpu;
		ops[i].kind = i % 2 ? TC_KIND_KERNEL : TC_KIND_CPU_OP;
		ops[i].op_class = TC_CLASS_GEMM;
		ops[i].ts_ns = -5 + i * 1000000007LL; /* negative first ts and big deltas */
		ops[i].dur_ns = i == 4 ? -1 : 1234 + i;
	}
	ops[1].link = 0;
	ops[1].correlation = 18446744073709551000ULL; /* beyond INT64_MAX */
	ops[3].correlation = 12;
	ops[3].parent = 2;
	ops[2].has_work = 1;
	ops[2].flops = 2ULL * 128 * 256 * 256;
	ops[2].bytes_read = 11;
	ops[2].bytes_written = 12;
	ops[2].dtype = TC_DT_BF16;
	ops[2].gemm_m = 128;
	ops[2].gemm_n = 256;
	ops[2].gemm_k = 256;
	ops[2].gemm_batch = 1ULL << 40;
	ops[2].n_shapes = 3;
	ops[2].shapes = shapes;
	ops[3].coll_kind = TC_COLL_ALLREDUCE;
	ops[3].coll_bytes = 1 << 20;
	ops[3].coll_group_size = 2;
	ops[3].coll_group = n_pg;
	ops[3].coll_seq = 17;
	ops[3].coll_peer = 1;
	ops[3].coll_dtype = TC_DT_F32;
	ops[4].kind = TC_KIND_RUNTIME;
	ops[4].sub = TC_RT_STREAM_WAIT_EVENT;
	ops[4].sync_lane = lane_gpu + 1;
	ops[4].sync_event = 99;
	ops[4].flags = TC_FLAG_BACKWARD | TC_FLAG_SYNTHETIC;
	uint64_t deps[] = {0, 3};
	ops[5].deps = deps;
	ops[5].n_deps = 2;
	for (int i = 0; i < 6; i++) {
		uint64_t id;
		cr_assert_eq(tc_ops_writer_add(w, &ops[i], &id, &err), 0, "%s", err.msg);
		cr_assert_eq(id, (uint64_t)i);
	}
	uint32_t late;
	tc_ops_writer_intern(w, "interned after the last op", &late);
	cr_assert_eq(tc_ops_writer_close(w, &err), 0, "%s", err.msg);

	struct tc_ops_reader *r;
	cr_assert_eq(tc_ops_reader_open(&r, path, &err), 0, "%s", err.msg);
	const struct tc_ops_header *rh = tc_ops_reader_header(r);
	cr_assert_eq(rh->format_major, TC_OPS_MAJOR);
	cr_assert_str_eq(rh->source_format, "synthetic");
	cr_assert_eq(rh->n_source_files, 2);
	cr_assert_str_eq(rh->source_files[1], "rank1.json");
	cr_assert_eq(rh->n_devices, 2);
	cr_assert_str_eq(rh->devices[0].name, "NVIDIA A100-SXM4-80GB");
	cr_assert_str_eq(rh->devices[0].chip, "a100-sxm4-80gb");
	cr_assert_str_eq(rh->devices[0].arch, "sm_80");
	cr_assert_eq(rh->devices[0].memory_bytes, 85899345920ULL);
	cr_assert_eq(rh->devices[0].compute_units, 108);
	cr_assert_eq(rh->devices[1].rank, 1);
	cr_assert_eq(rh->world_size, 8);
	cr_assert_eq(rh->n_ranks, 2);
	cr_assert_eq(rh->base_time_ns, 1700000000123456789LL);
	cr_assert_str_eq(rh->meta[1].value, "2.4.0");
	cr_assert_str_eq(rh->tool_version, TC_VERSION);

	const struct tc_op *got;
	size_t n, total = 0;
	int rc;
	while ((rc = tc_ops_reader_next(r, &got, &n, &err)) > 0) {
		cr_assert_leq(n, 3);
		for (size_t i = 0; i < n; i++) {
			const struct tc_op *a = &got[i], *e = &ops[total];
			cr_assert_eq(a->id, total);
			cr_assert_eq(a->ts_ns, e->ts_ns);
			cr_assert_eq(a->dur_ns, e->dur_ns);
			cr_assert_eq(a->kind, e->kind);
			cr_assert_eq(a->op_class, e->op_class);
			cr_assert_eq(a->lane, e->lane);
			cr_assert_eq(a->name, e->name);
			cr_assert_eq(a->parent, e->parent);
			cr_assert_eq(a->link, e->link);
			cr_assert_eq(a->correlation, e->correlation);
			cr_assert_eq(a->sub, e->sub);
			cr_assert_eq(a->flags, e->flags);
			cr_assert_eq(a->has_work, e->has_work);
			cr_assert_eq(a->flops, e->flops);
			cr_assert_eq(a->bytes_read, e->bytes_read);
			cr_assert_eq(a->bytes_written, e->bytes_written);
			cr_assert_eq(a->dtype, e->dtype);
			cr_assert_eq(a->gemm_m, e->gemm_m);
			cr_assert_eq(a->gemm_n, e->gemm_n);
			cr_assert_eq(a->gemm_k, e->gemm_k);
			cr_assert_eq(a->gemm_batch, e->gemm_batch);
			cr_assert_eq(a->coll_kind, e->coll_kind);
			cr_assert_eq(a->coll_bytes, e->coll_bytes);
			cr_assert_eq(a->coll_group_size, e->coll_group_size);
			cr_assert_eq(a->coll_group, e->coll_group);
			cr_assert_eq(a->coll_seq, e->coll_seq);
			cr_assert_eq(a->coll_peer, e->coll_peer);
			cr_assert_eq(a->coll_dtype, e->coll_dtype);
			cr_assert_eq(a->sync_lane, e->sync_lane);
			cr_assert_eq(a->sync_event, e->sync_event);
			cr_assert_eq(a->n_shapes, e->n_shapes);
			for (uint32_t s = 0; s < a->n_shapes; s++) {
				cr_assert_eq(a->shapes[s].rank, e->shapes[s].rank);
				for (uint32_t d = 0; d < a->shapes[s].rank; d++)
					cr_assert_eq(a->shapes[s].dims[d], e->shapes[s].dims[d]);
			}
			cr_assert_eq(a->n_deps, e->n_deps);
			for (uint32_t d = 0; d < a->n_deps; d++)
				cr_assert_eq(a->deps[d], e->deps[d]);
			total++;
		}
	}
	cr_assert_eq(rc, 0, "%s", err.msg);
	cr_assert_eq(total, 6);
	cr_assert_eq(tc_ops_reader_op_count(r), 6);
	cr_assert_str_eq(tc_ops_reader_string(r, n_pg), "pg:[0, 1]");
	cr_assert_str_eq(tc_ops_reader_string(r, late), "interned after the last op");
	cr_assert_eq(tc_ops_reader_lane_count(r), 2);
	cr_assert_eq(tc_ops_reader_lane(r, 1)->tid, 7);
	cr_assert_str_eq(tc_ops_reader_lane(r, 0)->name, "python thread");
	cr_assert_eq(tc_ops_reader_lane(r, 0)->rank, 0);
	cr_assert_eq(tc_ops_reader_lane(r, 1)->device, 1);
	tc_ops_reader_free(r);
	unlink(path);
}

Test(proto_roundtrip, writer_rejects_forward_links_and_unknown_ids)
{
	struct tc_err err = TC_ERR_INIT;
	struct tc_ops_writer *w;
	struct tc_ops_header h = sample_header();
	const char *path = tmp_path("bad.tcs");
	cr_assert_eq(tc_ops_writer_open(&w, path, &h, NULL, &err), 0);
	struct tc_op op;
	tc_op_init(&op);
	cr_assert_eq(tc_ops_writer_add(w, &op, NULL, &err), TC_EINVAL, "no lane declared yet");
	uint32_t lane;
	struct tc_lane l = {0, 0, 0, TC_LANE_CPU, 1, "t"};
	tc_ops_writer_lane(w, &l, &lane);
	op.link = 0;
	cr_assert_eq(tc_ops_writer_add(w, &op, NULL, &err), TC_EINVAL, "link to itself");
	op.link = TC_NONE;
	op.name = 77;
	cr_assert_eq(tc_ops_writer_add(w, &op, NULL, &err), TC_EINVAL);
	cr_assert_not_null(strstr(err.msg, "string id 77"));
	tc_ops_writer_abort(w);
	char tmpl[600];
	snprintf(tmpl, sizeof(tmpl), "%s", path);
	cr_assert_eq(access(tmpl, F_OK), -1, "aborted writer leaves no file");
}

static long max_rss_kb(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

/* 10 M ops round-trip with memory bounded by the chunk size: after writing and reading the
 * whole stream, the process's peak RSS grows by far less than the ops would take in memory
 * (10 M x sizeof(struct tc_op) ~ 1.8 GB). */
Test(proto_roundtrip, ten_million_ops_bounded_memory, .timeout = 600)
{
	struct tc_err err = TC_ERR_INIT;
	struct tc_ops_writer *w;
	struct tc_ops_header h = sample_header();
	const char *path = tmp_path("big.tcs");
	const uint64_t N = getenv("TC_PROTO_BIG_OPS")
			       ? strtoull(getenv("TC_PROTO_BIG_OPS"), NULL, 10)
			       : 10000000ULL;
	long rss0 = max_rss_kb();
	cr_assert_eq(tc_ops_writer_open(&w, path, &h, NULL, &err), 0);
	uint32_t lanes[4], names[16];
	for (int i = 0; i < 4; i++) {
		struct tc_lane l = {0, 0, 0, i < 2 ? TC_LANE_CPU : TC_LANE_GPU, i, "lane"};
		tc_ops_writer_lane(w, &l, &lanes[i]);
	}
	char nb[32];
	for (int i = 0; i < 16; i++) {
		snprintf(nb, sizeof(nb), "op%d", i);
		tc_ops_writer_intern(w, nb, &names[i]);
	}
	uint64_t s = 88172645463325252ULL, sum_dur = 0;
	int64_t ts = 0;
	struct tc_op op;
	for (uint64_t i = 0; i < N; i++) {
		tc_op_init(&op);
		ts += (int64_t)(rnd(&s) % 5000);
		op.ts_ns = ts;
		op.dur_ns = (int64_t)(rnd(&s) % 100000);
		sum_dur += (uint64_t)op.dur_ns;
		op.lane = lanes[i % 4];
		op.name = names[i % 16];
		op.kind = i % 4 < 2 ? TC_KIND_CPU_OP : TC_KIND_KERNEL;
		if (i % 4 >= 2)
			op.link = i - 2;
		cr_assert_eq(tc_ops_writer_add(w, &op, NULL, &err), 0);
	}
	cr_assert_eq(tc_ops_writer_close(w, &err), 0, "%s", err.msg);
	struct tc_ops_reader *r;
	cr_assert_eq(tc_ops_reader_open(&r, path, &err), 0);
	const struct tc_op *got;
	size_t n;
	uint64_t count = 0, sum2 = 0;
	int rc;
	while ((rc = tc_ops_reader_next(r, &got, &n, &err)) > 0)
		for (size_t i = 0; i < n; i++, count++) {
			sum2 += (uint64_t)got[i].dur_ns;
			if (got[i].kind == TC_KIND_KERNEL && got[i].link != count - 2)
				cr_assert_fail("op %llu: link %llu", (unsigned long long)count,
					       (unsigned long long)got[i].link);
		}
	cr_assert_eq(rc, 0, "%s", err.msg);
	cr_assert_eq(count, N);
	cr_assert_eq(sum2, sum_dur);
	tc_ops_reader_free(r);
	long grown_mb = (max_rss_kb() - rss0) / 1024;
	cr_log_info("peak RSS grew by %ld MB for %llu ops", grown_mb, (unsigned long long)N);
#if defined(__SANITIZE_ADDRESS__)
	const long limit = 256 + 512; /* ASan's quarantine keeps up to 256 MB of freed chunks */
#else
	const long limit = 256;
#endif
	cr_assert_lt(grown_mb, limit, "memory must be bounded by the chunk, grew %ld MB", grown_mb);
	unlink(path);
}

/* Sparse data (work, shapes, collectives, sync, deps) on ops spread over one large chunk
 * that the reader hands out in several batches. */
Test(proto_roundtrip, sparse_groups_across_read_batches)
{
	struct tc_err err = TC_ERR_INIT;
	struct tc_ops_writer *w;
	struct tc_ops_header h = sample_header();
	const char *path = tmp_path("sparse.tcs");
	const uint64_t N = 20000; /* one chunk (default 65536 ops), several read batches */
	cr_assert_eq(tc_ops_writer_open(&w, path, &h, NULL, &err), 0);
	uint32_t lane, name;
	struct tc_lane l = {0, 0, 0, TC_LANE_GRAPH, 0, "g"};
	tc_ops_writer_lane(w, &l, &lane);
	tc_ops_writer_intern(w, "n", &name);
	int64_t dims[3];
	struct tc_shape sh[2];
	for (uint64_t i = 0; i < N; i++) {
		struct tc_op op;
		tc_op_init(&op);
		op.lane = lane;
		op.name = name;
		op.ts_ns = (int64_t)i;
		if (i % 7 == 0) {
			op.has_work = 1;
			op.flops = i * 3;
		}
		if (i % 11 == 0) {
			dims[0] = (int64_t)i;
			dims[1] = -1;
			dims[2] = 5;
			sh[0] = (struct tc_shape){3, dims};
			sh[1] = (struct tc_shape){1, dims + 2};
			op.shapes = sh;
			op.n_shapes = 2;
		}
		if (i % 13 == 0) {
			op.coll_kind = TC_COLL_ALLGATHER;
			op.coll_seq = i;
			op.coll_peer = -1;
		}
		if (i % 17 == 0)
			op.sync_event = i + 1;
		uint64_t deps[2] = {i - 1, i / 2};
		if (i % 5 == 1) {
			op.deps = deps;
			op.n_deps = 2;
		}
		cr_assert_eq(tc_ops_writer_add(w, &op, NULL, &err), 0, "%s", err.msg);
	}
	cr_assert_eq(tc_ops_writer_close(w, &err), 0);
	struct tc_ops_reader *r;
	cr_assert_eq(tc_ops_reader_open(&r, path, &err), 0);
	const struct tc_op *got;
	size_t n, batches = 0;
	uint64_t i = 0;
	int rc;
	while ((rc = tc_ops_reader_next(r, &got, &n, &err)) > 0) {
		batches++;
		for (size_t k = 0; k < n; k++, i++) {
			const struct tc_op *op = &got[k];
			cr_assert_eq(op->id, i);
			cr_assert_eq(op->has_work, i % 7 == 0);
			if (op->has_work)
				cr_assert_eq(op->flops, i * 3);
			cr_assert_eq(op->n_shapes, i % 11 == 0 ? 2u : 0u);
			if (op->n_shapes) {
				cr_assert_eq(op->shapes[0].rank, 3);
				cr_assert_eq(op->shapes[0].dims[0], (int64_t)i);
				cr_assert_eq(op->shapes[0].dims[1], -1);
				cr_assert_eq(op->shapes[1].dims[0], 5);
			}
			cr_assert_eq(op->coll_kind, i % 13 == 0 ? TC_COLL_ALLGATHER : TC_COLL_NONE);
			if (op->coll_kind) {
				cr_assert_eq(op->coll_seq, i);
				cr_assert_eq(op->coll_peer, -1);
			}
			cr_assert_eq(op->sync_event, i % 17 == 0 ? i + 1 : 0);
			cr_assert_eq(op->n_deps, i % 5 == 1 ? 2u : 0u);
			if (op->n_deps) {
				cr_assert_eq(op->deps[0], i - 1);
				cr_assert_eq(op->deps[1], i / 2);
			}
		}
	}
	cr_assert_eq(rc, 0, "%s", err.msg);
	cr_assert_eq(i, N);
	cr_assert_gt(batches, 1, "the chunk should come in several batches");
	tc_ops_reader_free(r);
	unlink(path);
}

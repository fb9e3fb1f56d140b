/* dump.c - the canonical text dump of an opstream (golden-test oracle) and the summary
 * behind `tracecast info`. Output depends only on the file's content: no pointers, no
 * locale (integers only; names escaped). */
#include <inttypes.h>
#include <string.h>

#include "opstream.h"

static void put_str(FILE *fp, const char *s)
{
	fputc('"', fp);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(fp, "\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(fp, "\\x%02x", *p);
		else
			fputc(*p, fp);
	}
	fputc('"', fp);
}

static void put_id(FILE *fp, const char *key, uint64_t v)
{
	if (v == TC_NONE)
		fprintf(fp, " %s=-", key);
	else
		fprintf(fp, " %s=%" PRIu64, key, v);
}

static void dump_header(FILE *fp, const struct tc_ops_header *h)
{
	fprintf(fp, "tcs %u.%u source_format=", h->format_major, h->format_minor);
	put_str(fp, h->source_format);
	fprintf(fp, " world_size=%u base_time_ns=%" PRId64 "\n", h->world_size, h->base_time_ns);
	for (size_t i = 0; i < h->n_source_files; i++) {
		fprintf(fp, "source_file %zu ", i);
		put_str(fp, h->source_files[i]);
		fputc('\n', fp);
	}
	for (size_t i = 0; i < h->n_ranks; i++)
		fprintf(fp, "rank %u\n", h->ranks[i]);
	for (size_t i = 0; i < h->n_devices; i++) {
		const struct tc_device *d = &h->devices[i];
		fprintf(fp, "device %u rank=%u type=%s index=%d name=", d->id, d->rank,
			d->type == TC_DEV_GPU	? "gpu"
			: d->type == TC_DEV_CPU ? "cpu"
						: "?",
			d->index);
		put_str(fp, d->name);
		fprintf(fp, " chip=");
		put_str(fp, d->chip);
		fprintf(fp, " vendor=");
		put_str(fp, d->vendor);
		fprintf(fp, " arch=");
		put_str(fp, d->arch);
		fprintf(fp, " memory_bytes=%" PRIu64 " compute_units=%u\n", d->memory_bytes,
			d->compute_units);
	}
	for (size_t i = 0; i < h->n_meta; i++) {
		fprintf(fp, "meta ");
		put_str(fp, h->meta[i].key);
		fputc(' ', fp);
		put_str(fp, h->meta[i].value);
		fputc('\n', fp);
	}
}

static void dump_op(FILE *fp, const struct tc_ops_reader *r, const struct tc_op *op)
{
	fprintf(fp, "op %" PRIu64 " ts=%" PRId64 " dur=%" PRId64 " kind=%s class=%s lane=%u",
		op->id, op->ts_ns, op->dur_ns, tc_kind_name(op->kind), tc_class_name(op->op_class),
		op->lane);
	if (op->kind == TC_KIND_RUNTIME)
		fprintf(fp, " rt=%s", tc_rt_name(op->sub));
	else if (op->kind == TC_KIND_MEMCPY)
		fprintf(fp, " copy=%s", tc_copy_name(op->sub));
	else if (op->sub)
		fprintf(fp, " sub=%u", op->sub);
	fprintf(fp, " name=");
	put_str(fp, tc_ops_reader_string(r, op->name));
	put_id(fp, "parent", op->parent);
	put_id(fp, "link", op->link);
	if (op->correlation)
		fprintf(fp, " corr=%" PRIu64, op->correlation);
	if (op->flags)
		fprintf(fp, " flags=0x%x", op->flags);
	if (op->has_work)
		fprintf(fp, " dtype=%s flops=%" PRIu64 " read=%" PRIu64 " write=%" PRIu64,
			tc_dtype_name(op->dtype), op->flops, op->bytes_read, op->bytes_written);
	if (op->gemm_m || op->gemm_n || op->gemm_k || op->gemm_batch)
		fprintf(fp, " gemm=%" PRIu64 "x%" PRIu64 "x%" PRIu64 "*%" PRIu64, op->gemm_m,
			op->gemm_n, op->gemm_k, op->gemm_batch);
	if (op->coll_kind) {
		fprintf(fp,
			" coll=%s bytes=%" PRIu64 " gsize=%u group=", tc_coll_name(op->coll_kind),
			op->coll_bytes, op->coll_group_size);
		put_str(fp, tc_ops_reader_string(r, op->coll_group));
		fprintf(fp, " seq=%" PRIu64 " peer=%d cdtype=%s", op->coll_seq, op->coll_peer,
			tc_dtype_name(op->coll_dtype));
	}
	if (op->sync_lane)
		fprintf(fp, " sync_lane=%u", op->sync_lane - 1);
	if (op->sync_event)
		fprintf(fp, " event=%" PRIu64, op->sync_event);
	if (op->n_shapes) {
		fprintf(fp, " shapes=[");
		for (uint32_t s = 0; s < op->n_shapes; s++) {
			fprintf(fp, "%s[", s ? "," : "");
			for (uint32_t d = 0; d < op->shapes[s].rank; d++)
				fprintf(fp, "%s%" PRId64, d ? "," : "", op->shapes[s].dims[d]);
			fputc(']', fp);
		}
		fputc(']', fp);
	}
	if (op->n_deps) {
		fprintf(fp, " deps=[");
		for (uint32_t d = 0; d < op->n_deps; d++)
			fprintf(fp, "%s%" PRIu64, d ? "," : "", op->deps[d]);
		fputc(']', fp);
	}
	fputc('\n', fp);
}

static void dump_new_lanes(FILE *fp, const struct tc_ops_reader *r, size_t *shown)
{
	size_t n = tc_ops_reader_lane_count(r);
	for (; *shown < n; (*shown)++) {
		const struct tc_lane *l = tc_ops_reader_lane(r, (uint32_t)*shown);
		fprintf(fp, "lane %u rank=%u device=%u type=%s tid=%" PRId64 " name=", l->id,
			l->rank, l->device,
			l->type == TC_LANE_CPU	 ? "cpu"
			: l->type == TC_LANE_GPU ? "gpu"
						 : "graph",
			l->tid);
		put_str(fp, l->name);
		fputc('\n', fp);
	}
}

int tc_ops_dump(const char *path, FILE *fp, struct tc_err *err)
{
	struct tc_ops_reader *r;
	const struct tc_op *ops;
	size_t n, lanes_shown = 0;
	int rc;

	TC_TRY(tc_ops_reader_open(&r, path, err));
	dump_header(fp, tc_ops_reader_header(r));
	while ((rc = tc_ops_reader_next(r, &ops, &n, err)) > 0) {
		dump_new_lanes(fp, r, &lanes_shown);
		for (size_t i = 0; i < n; i++)
			dump_op(fp, r, &ops[i]);
		if (ferror(fp)) {
			/* the output is dead (disk full, reader gone): stop reading; the caller
			 * names its stream in the error (opstream.h) */
			tc_ops_reader_free(r);
			return 0;
		}
	}
	if (rc == 0) {
		dump_new_lanes(fp, r, &lanes_shown);
		fprintf(fp, "end ops=%" PRIu64 " strings=%zu lanes=%zu\n",
			tc_ops_reader_op_count(r), tc_ops_reader_string_count(r),
			tc_ops_reader_lane_count(r));
	}
	tc_ops_reader_free(r);
	return rc;
}

int tc_ops_info(const char *path, struct tc_ops_info *info, FILE *fp, struct tc_err *err)
{
	struct tc_ops_reader *r;
	const struct tc_op *ops;
	size_t n;
	int rc;

	memset(info, 0, sizeof(*info));
	info->ts_min = INT64_MAX;
	info->ts_max = INT64_MIN;
	TC_TRY(tc_ops_reader_open(&r, path, err));
	while ((rc = tc_ops_reader_next(r, &ops, &n, err)) > 0) {
		info->chunks++;
		for (size_t i = 0; i < n; i++) {
			const struct tc_op *op = &ops[i];
			int64_t d = op->dur_ns > 0 ? op->dur_ns : 0;
			info->ops++;
			info->by_kind[op->kind]++;
			info->by_kind_ns[op->kind] += d;
			if (op->kind == TC_KIND_KERNEL || op->kind == TC_KIND_MEMCPY ||
			    op->kind == TC_KIND_MEMSET || op->kind == TC_KIND_NODE) {
				struct tc_ops_info_class *c = &info->by_class[op->op_class];
				c->count++;
				c->total_ns += d;
				c->flops += op->flops;
				c->bytes_read += op->bytes_read;
				c->bytes_written += op->bytes_written;
			}
			if (op->kind == TC_KIND_STEP)
				info->steps++;
			if (op->coll_kind && op->kind != TC_KIND_CPU_OP)
				info->collectives++;
			if (op->ts_ns < info->ts_min)
				info->ts_min = op->ts_ns;
			if (op->ts_ns + d > info->ts_max)
				info->ts_max = op->ts_ns + d;
		}
	}
	if (rc == 0) {
		const struct tc_ops_header *h = tc_ops_reader_header(r);
		info->strings = tc_ops_reader_string_count(r);
		info->lanes = (uint32_t)tc_ops_reader_lane_count(r);
		info->ranks = (uint32_t)h->n_ranks;
		info->devices = (uint32_t)h->n_devices;
		if (!info->ops)
			info->ts_min = info->ts_max = 0;
		FILE *f = fopen(path, "rb");
		if (f) {
			fseek(f, 0, SEEK_END);
			long sz = ftell(f);
			info->file_bytes = sz > 0 ? (uint64_t)sz : 0;
			fclose(f);
		}
		(void)fp;
	}
	tc_ops_reader_free(r);
	return rc;
}

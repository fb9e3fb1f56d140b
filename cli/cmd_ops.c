/* cmd_ops.c - `tracecast info` and `tracecast dump`: look inside an opstream. */
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "ingest.h"
#include "opstream.h"
#include "pipeline.h"

static int one_file_arg(struct tc_cli *cli, int argc, char **argv, const char *usage,
			const char **path)
{
	*path = NULL;
	for (int i = 1; i < argc; i++) {
		if (argv[i][0] == '-' && argv[i][1])
			return tc_cli_usage(cli, argv[0], "unknown option '%s'", argv[i]);
		if (*path)
			return tc_cli_usage(cli, argv[0], "one FILE.tcs expected (%s)", usage);
		*path = argv[i];
	}
	if (!*path)
		return tc_cli_usage(cli, argv[0], "missing FILE.tcs (%s)", usage);
	return 0;
}

int tc_cmd_dump(struct tc_cli *cli, int argc, char **argv)
{
	struct tc_err err = TC_ERR_INIT;
	const char *path;
	if (tc_cli_wants_help(argc, argv)) {
		printf("usage: tracecast dump FILE.tcs\n\n"
		       "Print every header field, lane and op of an opstream as canonical text: "
		       "one line\n"
		       "per record, integers only, strings quoted. The output depends only on the "
		       "file's\n"
		       "content, so it is the oracle of golden tests.\n");
		return 0;
	}
	int rc = one_file_arg(cli, argc, argv, "tracecast dump FILE.tcs", &path);
	if (rc)
		return rc;
	if (tc_ops_dump(path, stdout, &err) < 0) {
		fflush(stdout);
		return tc_cli_fail(cli, &err);
	}
	return 0;
}

static int info_of(struct tc_cli *cli, const char *path, const char *shown, int json);

int tc_cmd_info(struct tc_cli *cli, int argc, char **argv)
{
	struct tc_err err = TC_ERR_INIT;
	const char *in = NULL, *dims[64];
	size_t n_dims = 0;
	struct tc_ingest_opts io = TC_INGEST_OPTS_INIT;
	if (tc_cli_wants_help(argc, argv)) {
		printf(
		    "usage: tracecast info IN [--dtype T] [--dim NAME=V ...] [--json]\n\n"
		    "Summarise an opstream: source, ranks, devices, lanes, time span, op kinds and "
		    "the\n"
		    "op classes of GPU work with their counts, time, FLOPs and bytes; an ONNX "
		    "model's\n"
		    "parameters. IN is a .tcs, or a model or trace ingested on the fly (--dtype "
		    "and\n"
		    "--dim as for ingest). --json prints the same figures as one JSON object.\n");
		return 0;
	}
	int json = 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--json") == 0) {
			json = 1;
		} else if (strcmp(a, "--dim") == 0 && i + 1 < argc && n_dims < 64) {
			dims[n_dims++] = argv[++i];
		} else if (strcmp(a, "--dtype") == 0 && i + 1 < argc) {
			int d = tc_cli_run_dtype(cli, "info", argv[++i]);
			if (d < 0)
				return 2;
			io.dtype = (unsigned)d;
		} else if (a[0] == '-' && a[1]) {
			return tc_cli_usage(cli, "info", "unknown option or missing value: '%s'",
					    a);
		} else if (in) {
			return tc_cli_usage(cli, "info", "one input expected");
		} else {
			in = a;
		}
	}
	if (!in)
		return tc_cli_usage(cli, "info", "missing IN (a .tcs, an ONNX model or a trace)");
	if ((io.dtype || n_dims) && tc_str_endswith(in, ".tcs"))
		return tc_cli_usage(cli, "info",
				    "--dtype and --dim apply to an ONNX model, not a .tcs");
	io.log = &cli->log;
	io.dims = dims;
	io.n_dims = n_dims;
	char tmp[256];
	const char *path;
	if (tc_pipeline_opstream(&in, 1, &io, tmp, sizeof(tmp), &path, &err) < 0)
		return tc_cli_fail(cli, &err);
	int rc = info_of(cli, path, in, json); /* the temporary name means nothing to the user */
	if (tmp[0]) {
		unlink(tmp);
		tc_tmp_forget(tmp);
	}
	return rc;
}

static const char *meta_of(const struct tc_ops_header *h, const char *key)
{
	for (size_t i = 0; i < h->n_meta; i++)
		if (strcmp(h->meta[i].key, key) == 0)
			return h->meta[i].value;
	return NULL;
}

/* A string from the file as JSON: jansson refuses invalid UTF-8, which a hostile file may
 * hold, so those go through the terminal-safe form. */
static json_t *safe_str(const char *s)
{
	json_t *j = json_string(s ? s : "");
	if (!j) {
		char buf[512];
		tc_str_printable(buf, sizeof(buf), s);
		j = json_string(buf);
	}
	return j ? j : json_string("?");
}

/* info --json: the same figures, raw numbers (ns, bytes, FLOPs) */
static void info_json(const char *shown, const struct tc_ops_info *info,
		      const struct tc_ops_header *h)
{
	json_t *o = json_object(), *files = json_array(), *devs = json_array();
	json_t *kinds = json_object(), *classes = json_object();
	json_object_set_new(o, "file", safe_str(shown));
	json_object_set_new(o, "file_bytes", json_integer((json_int_t)info->file_bytes));
	char fmt[32];
	snprintf(fmt, sizeof(fmt), "%u.%u", h->format_major, h->format_minor);
	json_object_set_new(o, "format", json_string(fmt));
	json_object_set_new(o, "tool_version", safe_str(h->tool_version));
	json_object_set_new(o, "source_format", safe_str(h->source_format));
	for (size_t i = 0; i < h->n_source_files; i++)
		json_array_append_new(files, safe_str(h->source_files[i]));
	json_object_set_new(o, "source_files", files);
	json_object_set_new(o, "ranks", json_integer(info->ranks));
	json_object_set_new(o, "world_size", json_integer(h->world_size));
	for (size_t i = 0; i < h->n_devices; i++) {
		const struct tc_device *d = &h->devices[i];
		json_array_append_new(devs,
				      json_pack("{s:i, s:i, s:o, s:o, s:s}", "id", (int)d->id,
						"rank", (int)d->rank, "name", safe_str(d->name),
						"chip", safe_str(d->chip), "type",
						d->type == TC_DEV_CPU ? "cpu" : "gpu"));
	}
	json_object_set_new(o, "devices", devs);
	json_object_set_new(o, "lanes", json_integer(info->lanes));
	json_object_set_new(o, "ops", json_integer((json_int_t)info->ops));
	json_object_set_new(o, "chunks", json_integer((json_int_t)info->chunks));
	json_object_set_new(o, "span_ns", json_integer(info->ts_max - info->ts_min));
	json_object_set_new(o, "steps", json_integer((json_int_t)info->steps));
	json_object_set_new(o, "collectives", json_integer((json_int_t)info->collectives));
	for (unsigned k = 0; k < TC_KIND__COUNT; k++)
		if (info->by_kind[k])
			json_object_set_new(kinds, tc_kind_name(k),
					    json_pack("{s:I, s:I}", "count",
						      (json_int_t)info->by_kind[k], "total_ns",
						      (json_int_t)info->by_kind_ns[k]));
	json_object_set_new(o, "by_kind", kinds);
	uint64_t flops = 0, rd = 0, wr = 0;
	for (unsigned c = 0; c < TC_CLASS__COUNT; c++) {
		const struct tc_ops_info_class *k = &info->by_class[c];
		if (!k->count)
			continue;
		json_object_set_new(
		    classes, tc_class_name(c),
		    json_pack("{s:I, s:I, s:I, s:I, s:I}", "count", (json_int_t)k->count,
			      "total_ns", (json_int_t)k->total_ns, "flops", (json_int_t)k->flops,
			      "bytes_read", (json_int_t)k->bytes_read, "bytes_written",
			      (json_int_t)k->bytes_written));
		flops += k->flops;
		rd += k->bytes_read;
		wr += k->bytes_written;
	}
	json_object_set_new(o, "by_class", classes);
	json_object_set_new(o, "flops", json_integer((json_int_t)flops));
	json_object_set_new(o, "bytes_read", json_integer((json_int_t)rd));
	json_object_set_new(o, "bytes_written", json_integer((json_int_t)wr));
	const char *params = meta_of(h, "params"), *pbytes = meta_of(h, "param_bytes");
	json_object_set_new(o, "params",
			    params ? json_integer((json_int_t)strtoull(params, NULL, 10))
				   : json_null());
	json_object_set_new(o, "param_bytes",
			    pbytes ? json_integer((json_int_t)strtoull(pbytes, NULL, 10))
				   : json_null());
	json_dumpf(o, stdout, JSON_INDENT(1));
	putchar('\n');
	json_decref(o);
}

static int info_of(struct tc_cli *cli, const char *path, const char *shown, int json)
{
	struct tc_err err = TC_ERR_INIT;
	struct tc_ops_info info;
	char b1[64], b2[64];
	if (tc_ops_info(path, &info, stdout, &err) < 0)
		return tc_cli_fail(cli, &err);

	struct tc_ops_reader *r;
	if (tc_ops_reader_open(&r, path, &err) < 0)
		return tc_cli_fail(cli, &err);
	const struct tc_ops_header *h = tc_ops_reader_header(r);
	if (json) {
		info_json(shown, &info, h);
		tc_ops_reader_free(r);
		return 0;
	}
	printf("file         %s (%s%s, %s/op)\n", shown, shown != path ? "ingested: opstream " : "",
	       tc_fmt_bytes(b1, sizeof(b1), (double)info.file_bytes),
	       info.ops
		   ? tc_fmt_fixed(b2, sizeof(b2), (double)info.file_bytes / (double)info.ops, 2)
		   : "-");
	/* the header's strings are the file's: printed terminal-safe (tc_str_printable) */
	char s1[256], s2[256];
	tc_str_printable(s1, sizeof(s1), h->tool_version);
	printf("format       %u.%u, written by tracecast %s\n", h->format_major, h->format_minor,
	       s1);
	tc_str_printable(s1, sizeof(s1), h->source_format);
	printf("source       %s", s1);
	for (size_t i = 0; i < h->n_source_files; i++) {
		tc_str_printable(s1, sizeof(s1), h->source_files[i]);
		printf("%s%s", i ? ", " : " (", s1);
	}
	printf("%s\n", h->n_source_files ? ")" : "");
	printf("ranks        %u present, world size %u\n", info.ranks, h->world_size);
	for (size_t i = 0; i < h->n_devices; i++) {
		const struct tc_device *d = &h->devices[i];
		tc_str_printable(s1, sizeof(s1), d->name[0] ? d->name : "(unnamed)");
		tc_str_printable(s2, sizeof(s2), d->chip);
		printf("device %-5u rank %u %s%s%s%s\n", d->id, d->rank, s1,
		       d->chip[0] ? " -> " : "", s2, d->type == TC_DEV_CPU ? " (cpu)" : "");
	}
	printf("lanes        %u\n", info.lanes);
	printf("ops          %" PRIu64 " in %" PRIu64 " chunks, %" PRIu64 " strings\n", info.ops,
	       info.chunks, info.strings);
	printf("time span    %s (%" PRId64 " .. %" PRId64 " ns)\n",
	       tc_fmt_ns(b1, sizeof(b1), (double)(info.ts_max - info.ts_min)), info.ts_min,
	       info.ts_max);
	printf("steps        %" PRIu64 "\n", info.steps);
	printf("collectives  %" PRIu64 "\n", info.collectives);
	printf("\n%-12s %10s %14s\n", "kind", "count", "total time");
	for (unsigned k = 0; k < TC_KIND__COUNT; k++)
		if (info.by_kind[k])
			printf("%-12s %10" PRIu64 " %14s\n", tc_kind_name(k), info.by_kind[k],
			       tc_fmt_ns(b1, sizeof(b1), (double)info.by_kind_ns[k]));
	printf("\n%-12s %10s %14s %12s %12s %12s   (GPU kernels, copies, graph nodes)\n", "class",
	       "count", "total time", "GFLOP", "read", "written");
	struct tc_ops_info_class tot = {0, 0, 0, 0, 0};
	for (unsigned c = 0; c < TC_CLASS__COUNT; c++) {
		const struct tc_ops_info_class *k = &info.by_class[c];
		if (!k->count)
			continue;
		char b3[32], b4[32], b5[32];
		printf("%-12s %10" PRIu64 " %14s %12s %12s %12s\n", tc_class_name(c), k->count,
		       tc_fmt_ns(b1, sizeof(b1), (double)k->total_ns),
		       tc_fmt_fixed(b3, sizeof(b3), (double)k->flops / 1e9, 3),
		       tc_fmt_bytes(b4, sizeof(b4), (double)k->bytes_read),
		       tc_fmt_bytes(b5, sizeof(b5), (double)k->bytes_written));
		tot.count += k->count;
		tot.flops += k->flops;
		tot.bytes_read += k->bytes_read;
		tot.bytes_written += k->bytes_written;
	}
	{
		char b3[32], b4[32], b5[32];
		printf("%-12s %10" PRIu64 " %14s %12s %12s %12s\n", "total", tot.count, "",
		       tc_fmt_fixed(b3, sizeof(b3), (double)tot.flops / 1e9, 3),
		       tc_fmt_bytes(b4, sizeof(b4), (double)tot.bytes_read),
		       tc_fmt_bytes(b5, sizeof(b5), (double)tot.bytes_written));
	}
	/* parameters: what the ONNX ingest counted (header meta), when the stream has them */
	const char *params = NULL, *pbytes = NULL;
	for (size_t i = 0; i < h->n_meta; i++) {
		if (strcmp(h->meta[i].key, "params") == 0)
			params = h->meta[i].value;
		else if (strcmp(h->meta[i].key, "param_bytes") == 0)
			pbytes = h->meta[i].value;
	}
	if (params) {
		tc_str_printable(s1, sizeof(s1), params);
		printf("parameters   %s", s1);
		if (pbytes)
			printf(" (%s)",
			       tc_fmt_bytes(b1, sizeof(b1), (double)strtoull(pbytes, NULL, 10)));
		printf("\n");
	}
	tc_ops_reader_free(r);
	return 0;
}

/* adapters.c - the adapter table, format detection, and the Kineto adapter's entry point.
 * A new format is one file and one line in `adapters` below. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "chrome.h"
#include "pyet.h"

static int kineto_probe(const char *path, const uint8_t *head, size_t n)
{
	size_t i = 0;
	while (i < n && isspace(head[i]))
		i++;
	if (i < n && (head[i] == '{' || head[i] == '[')) {
		/* JSON: a trace if it says so early, else a weak claim */
		const char *h = (const char *)head;
		for (size_t j = i; j + 11 < n; j++)
			if (memcmp(h + j, "traceEvents", 11) == 0 ||
			    memcmp(h + j, "\"ph\"", 4) == 0)
				return 100;
		return 50;
	}
	if (tc_str_endswith(path, ".json") || tc_str_endswith(path, ".json.gz") ||
	    tc_str_endswith(path, ".json.zst"))
		return 10;
	return 0;
}

static int kineto_run(const char *const *inputs, size_t n_inputs, const char *out_path,
		      const struct tc_ingest_opts *opts, struct tc_ingest_stats *stats,
		      struct tc_err *err)
{
	struct rctx c;
	struct rfile *files = tc_xcalloc(n_inputs ? n_inputs : 1, sizeof(*files));
	const struct tc_log *log = opts ? opts->log : NULL;
	int rc = 0;

	memset(&c, 0, sizeof(c));
	c.opts = opts;
	c.stats = stats;
	c.run_ops = opts && opts->run_ops ? opts->run_ops : TC_CHROME_RUN_OPS;
	if (tc_strtab_init(&c.names) < 0) {
		free(files);
		return tc_err_set(err, TC_ENOMEM, "out of memory");
	}
	const char **srcs = tc_xcalloc(n_inputs ? n_inputs : 1, sizeof(*srcs));
	size_t n_ok = 0;
	for (size_t i = 0; i < n_inputs; i++) {
		srcs[i] = opts && opts->sources ? opts->sources[i] : inputs[i];
		files[i].path = inputs[i];
		files[i].rank = files[i].world = -1;
	}
	rc = tc_chrome_parse_files(&c, files, srcs, n_inputs, &n_ok, err);
	free(srcs);
	for (size_t i = 0; i < n_ok; i++) {
		if (stats) {
			stats->bytes_in += files[i].bytes;
			stats->events += files[i].events;
			stats->skipped += files[i].events - files[i].nseq;
		}
		if (log) {
			struct rfile *f = &files[i];
			tc_info(
			    log,
			    "%s: %llu events -> %zu ops; skipped: %llu flow, %llu counter, %llu "
			    "metadata, %llu instant, %llu unknown phase, %llu other (python, gpu "
			    "annotations, unknown categories)",
			    f->path, (unsigned long long)f->events, (size_t)f->nseq,
			    (unsigned long long)f->flows, (unsigned long long)f->counters,
			    (unsigned long long)f->meta, (unsigned long long)f->instants,
			    (unsigned long long)f->unknown_phase, (unsigned long long)f->skipped);
			if (f->flow_linked)
				tc_info(log,
					"%s: %llu ops without a correlation took it from their "
					"ac2g flow",
					f->path, (unsigned long long)f->flow_linked);
		}
	}
	/* ranks: from distributedInfo, else the order given */
	if (rc == 0) {
		int missing = 0;
		for (size_t i = 0; i < n_inputs; i++)
			missing |= files[i].rank < 0;
		if (missing) {
			if (log && n_inputs > 1)
				tc_warn(log,
					"no distributedInfo.rank in some inputs: ranks taken from "
					"the order given");
			for (size_t i = 0; i < n_inputs; i++)
				files[i].rank = (int)i;
		}
		for (size_t i = 0; i < n_inputs && rc == 0; i++)
			for (size_t j = i + 1; j < n_inputs; j++)
				if (files[i].rank == files[j].rank) {
					rc = tc_err_set(
					    err, TC_EINVAL, "%s and %s both claim rank %d",
					    files[i].path, files[j].path, files[i].rank);
					break;
				}
	}
	struct tc_pyet **ets = NULL;
	if (rc == 0 && opts && opts->n_et) {
		ets = tc_xcalloc(n_inputs, sizeof(*ets));
		if (opts->n_et != n_inputs)
			rc = tc_err_set(err, TC_EINVAL, "%zu traces but %zu execution traces",
					n_inputs, opts->n_et);
		for (size_t i = 0; i < n_inputs && rc == 0; i++)
			if ((rc = tc_pyet_load(&ets[i], opts->et[i], opts->et[i], err)) == 0)
				files[i].et = ets[i];
	}
	if (rc == 0)
		rc = tc_chrome_write(&c, files, n_inputs, out_path, err);
	for (size_t i = 0; ets && i < n_inputs; i++) {
		struct tc_pyet_counts pc;
		if (ets[i] && rc == 0 && log) {
			tc_pyet_counts(ets[i], &pc);
			tc_info(
			    log,
			    "%s: execution trace %s: %llu of its %llu nodes linked to CPU "
			    "operators (%llu by name and order, the rest by rf_id = External id); "
			    "%llu of its %llu data dependencies added",
			    files[i].path, opts->et[i], (unsigned long long)pc.matched,
			    (unsigned long long)pc.nodes, (unsigned long long)pc.matched_by_name,
			    (unsigned long long)pc.edges_written, (unsigned long long)pc.edges);
		}
		tc_pyet_free(ets[i]);
	}
	free(ets);
	if (rc == 0 && stats) {
		stats->ranks = (uint32_t)n_inputs;
		for (size_t i = 0; i < n_inputs; i++)
			if (files[i].unlinked && log)
				tc_warn(log,
					"%s: %llu kernels start before their launch call: left "
					"unlinked",
					files[i].path, (unsigned long long)files[i].unlinked);
	}
	for (size_t i = 0; i < n_inputs; i++) {
		tc_chrome_ctx_free(files[i].ctx);
		free(files[i].ctx);
		tc_chrome_file_free(&files[i]);
	}
	free(files);
	free(c.facts);
	tc_strtab_free(&c.names);
	return rc;
}

int tc_chrome_check_mem(const void *buf, size_t len, struct tc_err *err)
{
	struct rctx c;
	struct rfile f;
	struct tc_input *in = NULL;
	int rc;
	memset(&c, 0, sizeof(c));
	memset(&f, 0, sizeof(f));
	c.run_ops = 64; /* small runs: fuzzing reaches the spill and merge paths too */
	f.path = "<memory>";
	f.rank = f.world = -1;
	if (tc_strtab_init(&c.names) < 0)
		return tc_err_set(err, TC_ENOMEM, "out of memory");
	rc = tc_input_open_mem(&in, buf, len, "<memory>", err);
	if (rc == 0)
		rc = tc_chrome_parse(&c, in, &f, err);
	tc_input_close(in);
	in = NULL;
	if (rc == 0 && f.nocorr.len && f.flows) {
		f.flow_pass = 1;
		rc = tc_input_open_mem(&in, buf, len, "<memory>", err);
		if (rc == 0)
			rc = tc_chrome_parse(&c, in, &f, err);
		f.flow_pass = 0;
	}
	if (rc == 0)
		rc = tc_chrome_link(&c, &f, err);
	tc_input_close(in);
	tc_chrome_file_free(&f);
	free(c.facts);
	tc_strtab_free(&c.names);
	return rc;
}

int tc_ingest_open_ranks(struct tc_ops_writer **w, const char *out_path, const char *format,
			 const char *const *files, const uint32_t *ranks, size_t n,
			 const struct tc_kv *meta, const struct tc_ingest_opts *opts,
			 struct tc_err *err)
{
	struct tc_device *devs = tc_xcalloc(n + 1, sizeof(*devs));
	uint32_t world = 0;
	for (size_t i = 0; i < n; i++) {
		devs[i] =
		    (struct tc_device){ranks[i], ranks[i], TC_DEV_GPU, -1, "", "", "", "", 0, 0};
		if (ranks[i] + 1 > world)
			world = ranks[i] + 1;
	}
	struct tc_ops_header hdr;
	memset(&hdr, 0, sizeof(hdr));
	hdr.source_format = format;
	hdr.source_files = (const char **)files;
	hdr.n_source_files = n;
	hdr.devices = devs;
	hdr.n_devices = n;
	hdr.world_size = world;
	hdr.ranks = ranks;
	hdr.n_ranks = n;
	hdr.meta = meta;
	hdr.n_meta = 1;
	struct tc_ops_writer_opts wo = TC_OPS_WRITER_OPTS_INIT;
	wo.chunk_ops = opts ? opts->chunk_ops : 0;
	int rc = tc_ops_writer_open(w, out_path, &hdr, &wo, err);
	free(devs);
	return rc;
}

const struct tc_ingest_adapter tc_ingest_kineto_adapter = {
    "kineto",
    "PyTorch profiler (Kineto) / Chrome trace-event JSON (.json, .json.gz, .json.zst)",
    kineto_probe,
    kineto_run,
};

static const struct tc_ingest_adapter *const adapters[] = {
    &tc_ingest_kineto_adapter, &tc_ingest_onnx_adapter, &tc_ingest_optable_adapter,
    &tc_ingest_chakra_adapter, &tc_ingest_pyet_adapter, NULL,
};

const struct tc_ingest_adapter *const *tc_ingest_adapters(void)
{
	return adapters;
}

/* Detection reading src but naming the input name (a spooled pipe keeps its name). */
static int detect_as(const char *src, const char *name, const struct tc_ingest_adapter **out,
		     struct tc_err *err)
{
	uint8_t head[4096];
	size_t n = 0;
	int best = 0;
	struct tc_input *in;
	*out = NULL;
	TC_TRY(tc_input_open_as(&in, src, name, err));
	/* a truncated stream still has a readable head; detection ignores the error */
	struct tc_err e2 = TC_ERR_INIT;
	while (n < sizeof(head)) {
		size_t g = 0;
		if (tc_input_read(in, head + n, sizeof(head) - n, &g, &e2) < 0 || g == 0)
			break;
		n += g;
	}
	tc_input_close(in);
	for (size_t i = 0; adapters[i]; i++) {
		int s = adapters[i]->probe(name, head, n);
		if (s > best) {
			best = s;
			*out = adapters[i];
		}
	}
	if (!*out && n >= 8 && memcmp(head, "TCOPS\r\n\x1a", 8) == 0)
		return tc_err_set(err, TC_EUNSUPPORTED,
				  "%s: an opstream (.tcs) is ingested already: "
				  "give it on its own, not with traces or models",
				  name);
	if (!*out)
		return tc_err_set(err, TC_EUNSUPPORTED,
				  "%s: unrecognised input format (not Kineto "
				  "JSON, .gz or .zst of it, ONNX nor Chakra .et)",
				  name);
	return 0;
}

/* One format per run, except that PyTorch execution traces may come with the Kineto traces
 * of the same run: they are then taken out of the inputs (which keep their order) into
 * o->et, one per trace, for the Kineto adapter to link. */
static int detect_all(const char **srcs, const char **names, size_t *n, struct tc_ingest_opts *o,
		      const struct tc_ingest_adapter **a, struct tc_err *err)
{
	const struct tc_ingest_adapter **fmt = tc_xcalloc(*n, sizeof(*fmt));
	size_t n_et = 0, n_kineto = 0;
	int rc = 0;
	for (size_t i = 0; i < *n && rc == 0; i++) {
		rc = detect_as(srcs[i], names[i], &fmt[i], err);
		n_et += rc == 0 && fmt[i] == &tc_ingest_pyet_adapter;
		n_kineto += rc == 0 && fmt[i] == &tc_ingest_kineto_adapter;
	}
	if (rc == 0 && n_et && n_kineto && n_et + n_kineto == *n) {
		if (n_et != n_kineto)
			rc = tc_err_set(
			    err, TC_EINVAL,
			    "%zu Kineto traces but %zu PyTorch execution "
			    "traces: give one execution trace per trace, in the same order",
			    n_kineto, n_et);
		const char **et = tc_xcalloc(n_et, sizeof(*et));
		size_t k = 0, e = 0;
		for (size_t i = 0; i < *n; i++) {
			if (fmt[i] == &tc_ingest_pyet_adapter) {
				et[e++] = srcs[i];
				continue;
			}
			srcs[k] = srcs[i];
			names[k++] = names[i];
		}
		*n = k;
		o->et = et;
		o->n_et = e;
		fmt[0] = &tc_ingest_kineto_adapter;
	}
	for (size_t i = 1; i < *n && rc == 0 && !o->n_et; i++)
		if (fmt[i] != fmt[0])
			rc = tc_err_set(err, TC_EINVAL, "%s is %s but %s is %s: one format per run",
					names[0], fmt[0]->name, names[i], fmt[i]->name);
	*a = fmt[0];
	free(fmt);
	return rc;
}

int tc_ingest_detect(const char *path, const struct tc_ingest_adapter **out, struct tc_err *err)
{
	return detect_as(path, path, out, err);
}

/* 1 when input name must be read once into a regular file first: stdin, a pipe, a FIFO, a
 * device. Detection opens an input, and Kineto may read it twice: a pipe would lose what
 * the first reader took, and a FIFO would wait for a second writer that never comes. */
static int needs_spool(const char *name)
{
	struct stat st;
	return strcmp(name, "-") == 0 ||
	       (stat(name, &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode));
}

/* Copy input name ("-" = stdin) into a new temporary file, whose path goes to tmp (n bytes,
 * remembered for removal on a signal; the caller unlinks and forgets it). At most max bytes:
 * /dev/zero is refused, not spooled until the disk is full. */
static int spool(const char *name, const char *shown, uint64_t max, char *tmp, size_t n,
		 struct tc_err *err)
{
	int fd = tc_tmpfile(tmp, n, "tracecast-in", "");
	if (fd < 0) {
		int rc = tc_err_set(err, TC_EIO, "%s: cannot create a temporary copy in %s: %s",
				    shown, tmp, strerror(errno));
		tmp[0] = 0;
		return rc;
	}
	(void)tc_tmp_remember(tmp);
	FILE *out = fdopen(fd, "wb");
	FILE *in = strcmp(name, "-") == 0 ? stdin : fopen(name, "rb");
	char *buf = malloc(1u << 20);
	int rc = 0;
	uint64_t total = 0;
	if (!out || !in || !buf) {
		rc = tc_err_set(err, !buf ? TC_ENOMEM : TC_EIO, "%s: %s", shown,
				!buf ? "out of memory" : strerror(errno));
	}
	while (rc == 0) {
		size_t got = fread(buf, 1, 1u << 20, in);
		if (got == 0) {
			if (ferror(in))
				rc = tc_err_set(err, TC_EIO, "%s: read error: %s", shown,
						strerror(errno));
			break;
		}
		total += got;
		if (total > max) {
			rc = tc_err_set(err, TC_EINVAL,
					"%s: more than %llu bytes from a pipe or device "
					"(the limit for inputs that are not regular files)",
					shown, (unsigned long long)max);
			break;
		}
		if (fwrite(buf, 1, got, out) != got)
			rc = tc_err_set(err, TC_EIO, "%s: writing its temporary copy %s: %s", shown,
					tmp, strerror(errno));
	}
	free(buf);
	if (in && in != stdin)
		fclose(in);
	if (out ? fclose(out) != 0 && rc == 0 : (close(fd), 0))
		rc = tc_err_set(err, TC_EIO, "%s: writing its temporary copy %s: %s", shown, tmp,
				strerror(errno));
	return rc;
}

int tc_ingest_files(const char *const *inputs, size_t n_inputs, const char *out_path,
		    const struct tc_ingest_opts *opts, struct tc_ingest_stats *stats,
		    struct tc_err *err)
{
	const struct tc_ingest_adapter *a = NULL;
	if (n_inputs == 0)
		return tc_err_set(err, TC_EINVAL, "no input files");
	if (stats)
		memset(stats, 0, sizeof(*stats));
	/* before anything is opened: the output's temporary would be renamed over the input */
	TC_TRY(tc_outputs_check(&out_path, 1, inputs, n_inputs, err));
	struct tc_ingest_opts o = TC_INGEST_OPTS_INIT;
	if (opts)
		o = *opts;
	uint64_t max = o.spool_max ? o.spool_max : TC_INGEST_SPOOL_MAX;
	const char **names = tc_xcalloc(n_inputs, sizeof(*names));
	const char **srcs = tc_xcalloc(n_inputs, sizeof(*srcs));
	char(*tmps)[256] = tc_xcalloc(n_inputs, sizeof(*tmps));
	int rc = 0, spooled = 0, stdin_used = 0;
	for (size_t i = 0; i < n_inputs; i++) {
		names[i] = srcs[i] = inputs[i];
		if (rc || !needs_spool(inputs[i]))
			continue;
		if (strcmp(inputs[i], "-") == 0) {
			names[i] = "stdin";
			if (stdin_used++) {
				rc = tc_err_set(err, TC_EINVAL, "'-' (stdin) given twice");
				continue;
			}
		}
		rc = spool(inputs[i], names[i], max, tmps[i], sizeof(tmps[i]), err);
		srcs[i] = tmps[i];
		spooled = 1;
	}
	o.sources = spooled ? srcs : NULL;
	if (rc == 0 && o.format) {
		for (size_t i = 0; adapters[i]; i++)
			if (strcmp(adapters[i]->name, o.format) == 0)
				a = adapters[i];
		if (!a)
			rc = tc_err_set(err, TC_EINVAL, "unknown input format '%s'", o.format);
	} else if (rc == 0) {
		rc = detect_all(srcs, names, &n_inputs, &o, &a, err);
	}
	/* a trace records its own dtypes and shapes: the model options do not apply to it */
	if (rc == 0 && (o.dtype || o.n_dims) && strcmp(a->name, "onnx") != 0)
		tc_warn(o.log, "%s: --dtype and --dim apply to ONNX models; ignored for %s input",
			names[0], a->name);
	if (rc == 0)
		rc = a->run(names, n_inputs, out_path, &o, stats, err);
	for (size_t i = 0; i < n_inputs; i++)
		if (tmps[i][0]) {
			unlink(tmps[i]);
			tc_tmp_forget(tmps[i]);
		}
	free(tmps);
	free(srcs);
	free(names);
	free((void *)o.et);
	return rc;
}

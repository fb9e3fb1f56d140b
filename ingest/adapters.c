/* adapters.c - the adapter table, format detection, and the Kineto adapter's entry point.
 * A new format is one file and one line in `adapters` below. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "chrome.h"

static int kineto_probe(const char *path, const uint8_t *head, size_t n)
{
	size_t i = 0;
	while (i < n && isspace(head[i]))
		i++;
	if (i < n && (head[i] == '{' || head[i] == '[')) {
		/* JSON: a trace if it says so early, else a weak claim */
		const char *h = (const char *)head;
		for (size_t j = i; j + 11 < n; j++)
			if (memcmp(h + j, "traceEvents", 11) == 0 || memcmp(h + j, "\"ph\"", 4) == 0)
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
	for (size_t i = 0; i < n_inputs && rc == 0; i++) {
		struct tc_input *in = NULL;
		files[i].path = inputs[i];
		files[i].rank = files[i].world = -1;
		rc = tc_input_open(&in, inputs[i], err);
		if (rc == 0)
			rc = tc_chrome_parse(&c, in, &files[i], err);
		tc_input_close(in);
		if (rc == 0 && files[i].nocorr.len && files[i].flows) {
			/* ops without a correlation: read the file again for its ac2g flows */
			in = NULL;
			files[i].flow_pass = 1;
			rc = tc_input_open(&in, inputs[i], err);
			if (rc == 0)
				rc = tc_chrome_parse(&c, in, &files[i], err);
			tc_input_close(in);
			files[i].flow_pass = 0;
		}
		tc_map64_free(&files[i].nocorr);
		if (rc == 0 && stats) {
			stats->bytes_in += files[i].bytes;
			stats->events += files[i].events;
			stats->skipped += files[i].events - files[i].nseq;
		}
		if (rc == 0 && log) {
			struct rfile *f = &files[i];
			tc_info(log,
				"%s: %llu events -> %zu ops; skipped: %llu flow, %llu counter, %llu "
				"metadata, %llu instant, %llu unknown phase, %llu other (python, gpu "
				"annotations, unknown categories)",
				f->path, (unsigned long long)f->events, (size_t)f->nseq,
				(unsigned long long)f->flows, (unsigned long long)f->counters,
				(unsigned long long)f->meta, (unsigned long long)f->instants,
				(unsigned long long)f->unknown_phase, (unsigned long long)f->skipped);
			if (f->flow_linked)
				tc_info(log, "%s: %llu ops without a correlation took it from their ac2g flow",
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
				tc_warn(log, "no distributedInfo.rank in some inputs: ranks taken from "
					     "the order given");
			for (size_t i = 0; i < n_inputs; i++)
				files[i].rank = (int)i;
		}
		for (size_t i = 0; i < n_inputs && rc == 0; i++)
			for (size_t j = i + 1; j < n_inputs; j++)
				if (files[i].rank == files[j].rank) {
					rc = tc_err_set(err, TC_EINVAL, "%s and %s both claim rank %d",
							files[i].path, files[j].path, files[i].rank);
					break;
				}
	}
	if (rc == 0)
		rc = tc_chrome_write(&c, files, n_inputs, out_path, err);
	if (rc == 0 && stats) {
		stats->ranks = (uint32_t)n_inputs;
		for (size_t i = 0; i < n_inputs; i++)
			if (files[i].unlinked && log)
				tc_warn(log, "%s: %llu kernels start before their launch call: left unlinked",
					files[i].path, (unsigned long long)files[i].unlinked);
	}
	for (size_t i = 0; i < n_inputs; i++)
		tc_chrome_file_free(&files[i]);
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

const struct tc_ingest_adapter tc_ingest_kineto_adapter = {
	"kineto", "PyTorch profiler (Kineto) / Chrome trace-event JSON (.json, .json.gz, .json.zst)",
	kineto_probe, kineto_run,
};

static const struct tc_ingest_adapter *const adapters[] = {
	&tc_ingest_kineto_adapter,
	&tc_ingest_onnx_adapter,
	NULL,
};

const struct tc_ingest_adapter *const *tc_ingest_adapters(void)
{
	return adapters;
}

int tc_ingest_detect(const char *path, const struct tc_ingest_adapter **out, struct tc_err *err)
{
	uint8_t head[4096];
	size_t n = 0;
	int best = 0;
	*out = NULL;
	TC_TRY(tc_input_head(path, head, sizeof(head), &n, err));
	for (size_t i = 0; adapters[i]; i++) {
		int s = adapters[i]->probe(path, head, n);
		if (s > best) {
			best = s;
			*out = adapters[i];
		}
	}
	if (!*out)
		return tc_err_set(err, TC_EUNSUPPORTED, "%s: unrecognised input format", path);
	return 0;
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
	if (opts && opts->format) {
		for (size_t i = 0; adapters[i]; i++)
			if (strcmp(adapters[i]->name, opts->format) == 0)
				a = adapters[i];
		if (!a)
			return tc_err_set(err, TC_EINVAL, "unknown input format '%s'", opts->format);
	} else {
		TC_TRY(tc_ingest_detect(inputs[0], &a, err));
		for (size_t i = 1; i < n_inputs; i++) {
			const struct tc_ingest_adapter *b;
			TC_TRY(tc_ingest_detect(inputs[i], &b, err));
			if (b != a)
				return tc_err_set(err, TC_EINVAL, "%s is %s but %s is %s: one format per run",
						  inputs[0], a->name, inputs[i], b->name);
		}
	}
	return a->run(inputs, n_inputs, out_path, opts, stats, err);
}

/* cmd_ingest.c - `tracecast ingest IN... -o OUT.tcs`: profiler traces (one per rank) or an
 * ONNX model into an opstream. */
/* --chunk at most 2^24 ops: at ~30 bytes per op a chunk stays far below the 1 GiB record
 * limit and the reader's expansion bound (docs/format.md §1) */
#define TC_INGEST_CHUNK_MAX (1 << 24)
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "pipeline.h"
#include "ingest.h"

static void ingest_help(FILE *fp)
{
	fprintf(
	    fp,
	    "usage: tracecast ingest IN... -o OUT.tcs [--format F] [--chunk N] [-v|-q]\n\n"
	    "Convert profiler traces (Kineto/Chrome JSON: .json, .json.gz, .json.zst; several\n"
	    "files = several ranks of one job), an ONNX model, Chakra execution traces (.et, one\n"
	    "per rank) or PyTorch execution traces (ET JSON) into an opstream. PyTorch ETs given\n"
	    "beside Kineto traces, one per trace in the same order, add their data dependencies\n"
	    "and shapes to the Kineto CPU operators (docs/chakra.md). IN may be '-' (stdin), a\n"
	    "pipe or a FIFO: the format is told from the content.\n\n"
	    "  -o, --output OUT   the .tcs to write (written under a temporary name, renamed on\n"
	    "                     success: a failed run leaves nothing behind)\n"
	    "  --format F         force the input format:");
	for (const struct tc_ingest_adapter *const *a = tc_ingest_adapters(); *a; a++)
		fprintf(fp, " %s", (*a)->name);
	fprintf(fp,
		"\n"
		"  --dim NAME=VALUE   ONNX: bind a symbolic dimension (repeatable)\n"
		"  --training         ONNX: append backward and optimizer ops\n"
		"  --dtype T          ONNX: run the model at T (bf16, fp16, fp8, fp32): every\n"
		"                     floating-point tensor is costed at it\n"
		"  --chunk N          ops per opstream chunk (default %d)\n"
		"  -v                 summary of what was read and what was skipped\n",
		TC_OPS_CHUNK_DEFAULT);
}

int tc_cli_run_dtype(struct tc_cli *cli, const char *cmd, const char *s)
{
	int d = tc_pipeline_run_dtype(s);
	if (d < 0)
		tc_cli_usage(cli, cmd, "--dtype needs bf16, fp16, fp8 or fp32, not '%s'", s);
	return d;
}

int tc_cmd_ingest(struct tc_cli *cli, int argc, char **argv)
{
	struct tc_ingest_opts opts = TC_INGEST_OPTS_INIT;
	struct tc_ingest_stats st;
	struct tc_err err = TC_ERR_INIT;
	struct tc_log log = cli->log;
	const char *out = NULL;
	const char **ins = calloc((size_t)argc + 1, sizeof(*ins));
	const char **dims = calloc((size_t)argc + 1, sizeof(*dims));
	size_t nin = 0, ndims = 0;
	int rc;

	if (!ins || !dims) {
		free(ins);
		free(dims);
		return tc_cli_usage(cli, "ingest", "out of memory");
	}
	if (tc_cli_wants_help(argc, argv)) {
		ingest_help(stdout);
		free(ins);
		free(dims);
		return 0;
	}
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if ((strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0) && i + 1 < argc) {
			out = argv[++i];
		} else if (strcmp(a, "--format") == 0 && i + 1 < argc) {
			opts.format = argv[++i];
		} else if (strcmp(a, "--dim") == 0 && i + 1 < argc) {
			dims[ndims++] = argv[++i];
		} else if (strcmp(a, "--dtype") == 0 && i + 1 < argc) {
			int d = tc_cli_run_dtype(cli, "ingest", argv[++i]);
			if (d < 0) {
				free(ins);
				free(dims);
				return 2;
			}
			opts.dtype = (unsigned)d;
		} else if (strcmp(a, "--training") == 0) {
			opts.training = 1;
		} else if (strcmp(a, "--chunk") == 0 && i + 1 < argc) {
			/* digits only: strtoull took "1e12" as 1 and "abc" as 0 (the default) */
			const char *v = argv[++i];
			char *end = NULL;
			errno = 0;
			unsigned long long n =
			    v[0] >= '0' && v[0] <= '9' ? strtoull(v, &end, 10) : 0;
			if (!end || *end || errno || n < 1 || n > TC_INGEST_CHUNK_MAX) {
				free(ins);
				free(dims);
				return tc_cli_usage(cli, "ingest",
						    "--chunk needs a whole number of ops in "
						    "1..%d, not '%s'",
						    TC_INGEST_CHUNK_MAX, v);
			}
			opts.chunk_ops = (size_t)n;
		} else if (strcmp(a, "-v") == 0) {
			log.level = log.level < TC_LOG_INFO ? TC_LOG_INFO : TC_LOG_DEBUG;
		} else if (strcmp(a, "-q") == 0) {
			log.level = TC_LOG_ERROR;
		} else if (a[0] == '-' && a[1] != '\0') {
			free(ins);
			free(dims);
			return tc_cli_usage(cli, "ingest", "unknown or incomplete option '%s'", a);
		} else {
			ins[nin++] = a;
		}
	}
	if (nin == 0 || !out) {
		free(ins);
		free(dims);
		return tc_cli_usage(cli, "ingest",
				    nin == 0 ? "no input files" : "missing -o OUT.tcs");
	}
	opts.log = &log;
	opts.dims = dims;
	opts.n_dims = ndims;
	double t0 = tc_now();
	rc = tc_ingest_files(ins, nin, out, &opts, &st, &err);
	double dt = tc_now() - t0;
	free(ins);
	free(dims);
	if (rc < 0)
		return tc_cli_fail(cli, &err);
	char b1[32], b2[32];
	tc_info(&log,
		"%s: %llu events (%s) -> %llu ops, %u rank(s), %llu kernels, %llu steps, %llu "
		"collectives, %llu kernels of class other; %.2f s, %s/s",
		out, (unsigned long long)st.events,
		tc_fmt_bytes(b1, sizeof(b1), (double)st.bytes_in), (unsigned long long)st.ops,
		st.ranks, (unsigned long long)st.kernels, (unsigned long long)st.steps,
		(unsigned long long)st.collectives, (unsigned long long)st.unknown_ops, dt,
		tc_fmt_bytes(b2, sizeof(b2), dt > 0 ? (double)st.bytes_in / dt : 0));
	return 0;
}

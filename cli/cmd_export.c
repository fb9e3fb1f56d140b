/* cmd_export.c - `tracecast export --chakra DIR IN...`: an opstream (or anything ingest
 * reads) as Chakra execution traces, one .et per rank (docs/chakra.md). */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "pipeline.h"
#include "ingest.h"

#define MAX_IN 256

static void help(void)
{
	printf("usage: tracecast export --chakra DIR IN... [--name STEM] [-v]\n\n"
	       "Write the ops of IN as Chakra execution traces (ASTRA-sim's input): "
	       "DIR/STEM.RANK.et,\n"
	       "one file per rank, with the measured durations ('project --chakra-out' writes the\n"
	       "projected ones). IN is a .tcs opstream or inputs that 'ingest' reads (profiler\n"
	       "traces, one per rank; an ONNX model; Chakra traces), ingested on the fly.\n\n"
	       "options:\n"
	       "  --chakra DIR   output directory (created if missing)\n"
	       "  --name STEM    file name stem (default: the first input's name)\n"
	       "  -v             say what was written\n");
}

int tc_cmd_export(struct tc_cli *cli, int argc, char **argv)
{
	const char *inputs[MAX_IN], *dir = NULL;
	size_t n_in = 0;
	struct tc_chakra_out_opts o = {NULL, NULL, NULL};
	struct tc_err err = TC_ERR_INIT;
	if (tc_cli_wants_help(argc, argv)) {
		help();
		return 0;
	}
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		int has = i + 1 < argc;
		if (strcmp(a, "--chakra") == 0 && has)
			dir = argv[++i];
		else if (strcmp(a, "--name") == 0 && has)
			o.stem = argv[++i];
		else if (strcmp(a, "-v") == 0)
			cli->log.level = TC_LOG_INFO;
		else if (a[0] == '-' && a[1])
			return tc_cli_usage(cli, "export", "unknown option or missing value: '%s'",
					    a);
		else if (n_in == MAX_IN)
			return tc_cli_usage(cli, "export", "at most %d inputs", MAX_IN);
		else
			inputs[n_in++] = a;
	}
	if (!dir)
		return tc_cli_usage(cli, "export",
				    "--chakra DIR is required (the one format "
				    "export writes)");
	if (!n_in)
		return tc_cli_usage(cli, "export", "no input given");
	if (o.stem && (!o.stem[0] || strchr(o.stem, '/')))
		return tc_cli_usage(cli, "export", "--name needs a file name, not a path");
	char tmp[256];
	const char *tcs;
	struct tc_chakra_out_stats st;
	int rc = tc_pipeline_opstream(inputs, n_in, &(struct tc_ingest_opts){.log = &cli->log}, tmp,
				      sizeof(tmp), &tcs, &err);
	if (rc == 0)
		rc = tc_chakra_export(tcs, dir, &o, &st, &err);
	if (tmp[0]) {
		unlink(tmp);
		tc_tmp_forget(tmp);
	}
	if (rc < 0)
		return tc_cli_fail(cli, &err);
	tc_info(&cli->log,
		"export: %u Chakra traces in %s: %llu nodes, %llu dependencies; %llu ops "
		"inside nodes not written%s",
		st.files, dir, (unsigned long long)st.nodes, (unsigned long long)st.deps,
		(unsigned long long)st.skipped,
		st.no_duration ? " (some nodes had no duration: written as 0)" : "");
	if (st.no_duration)
		tc_warn(&cli->log,
			"export: %llu nodes have no measured time (a model, not a trace): "
			"written with duration 0; 'project --chakra-out' writes projected times",
			(unsigned long long)st.no_duration);
	return 0;
}

/* cli_pipe.h - private to cli/: the options the projecting commands (project, report, diff)
 * share — the inputs, the chips, the spec library, ONNX dims and dtype — parsed once into the
 * pipeline request of api/pipeline.h, with the same usage messages in every command. */
#ifndef TC_CLI_PIPE_H
#define TC_CLI_PIPE_H

#include "cli.h"
#include "pipeline.h"

#define TC_CLI_MAX_IN 256
#define TC_CLI_MAX_SETS 64

/* Which of the shared options a command takes (--source and --specs: every one). */
enum tc_cli_pipe_opt {
	TC_CLI_PIPE_TARGET = 1, /* --target CHIP, --set KEY=VALUE */
	TC_CLI_PIPE_ONNX = 2,	/* --dim NAME=VALUE, --dtype T */
};

struct tc_cli_pipe {
	const char *inputs[TC_CLI_MAX_IN];
	const char *sets[TC_CLI_MAX_SETS], *dims[TC_CLI_MAX_SETS];
	/* inputs, sets and dims point into the arrays above; log is the command's; band_draws
	 * is the default (TC_REPLAY_BAND_DRAWS) */
	struct tc_pipeline_req req;
};

void tc_cli_pipe_init(struct tc_cli_pipe *p, struct tc_cli *cli);

/* argv[*i] when it is one of the shared options that which (enum tc_cli_pipe_opt) lets in:
 * 1 taken (with its value; *i moved past it), 0 not one of them, or -2 after a usage
 * message naming cmd (the exit status is then 2). */
int tc_cli_pipe_option(struct tc_cli *cli, const char *cmd, unsigned which, int argc, char **argv,
		       int *i, struct tc_cli_pipe *p);

/* What the command's own options did not take: an unknown option (or one missing its value)
 * is a usage error, anything else an input. 0, or the exit status of the usage message. */
int tc_cli_pipe_input(struct tc_cli *cli, const char *cmd, const char *a, struct tc_cli_pipe *p);

/* tc_outputs_check with the inputs and the extra files (chip spec files, a database; NULL
 * entries are skipped) as what no output may be. */
int tc_cli_pipe_outputs_check(const struct tc_cli_pipe *p, const char *const *outs, size_t n_outs,
			      const char *const *extra, size_t n_extra, struct tc_err *err);

#endif

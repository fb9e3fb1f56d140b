/* cli_pipe.c - the options project, report and diff share (cli_pipe.h). */
#include <string.h>

#include "cli_pipe.h"

void tc_cli_pipe_init(struct tc_cli_pipe *p, struct tc_cli *cli)
{
	memset(p, 0, sizeof(*p));
	p->req = (struct tc_pipeline_req)TC_PIPELINE_REQ_INIT;
	p->req.inputs = p->inputs;
	p->req.sets = p->sets;
	p->req.dims = p->dims;
	p->req.log = &cli->log;
	p->req.opts.band_draws = TC_REPLAY_BAND_DRAWS;
}

/* --set and --dim: one more of at most TC_CLI_MAX_SETS */
static int push(struct tc_cli *cli, const char *cmd, const char *what, const char **v, size_t *n,
		const char *s)
{
	if (*n == TC_CLI_MAX_SETS) {
		tc_cli_usage(cli, cmd, "at most %d %s", TC_CLI_MAX_SETS, what);
		return -2;
	}
	v[(*n)++] = s;
	return 1;
}

int tc_cli_pipe_option(struct tc_cli *cli, const char *cmd, unsigned which, int argc, char **argv,
		       int *i, struct tc_cli_pipe *p)
{
	const char *a = argv[*i];
	struct tc_pipeline_req *r = &p->req;
	if (*i + 1 >= argc)
		return 0; /* every shared option takes a value */
	const char *v = argv[*i + 1];
	int rc = 1;
	if (strcmp(a, "--source") == 0)
		r->source = v;
	else if (strcmp(a, "--specs") == 0)
		r->specs = v;
	else if ((which & TC_CLI_PIPE_TARGET) && strcmp(a, "--target") == 0)
		r->target = v;
	else if ((which & TC_CLI_PIPE_TARGET) && strcmp(a, "--set") == 0)
		rc = push(cli, cmd, "--set", p->sets, &r->n_sets, v);
	else if ((which & TC_CLI_PIPE_ONNX) && strcmp(a, "--dim") == 0)
		rc = push(cli, cmd, "--dim", p->dims, &r->n_dims, v);
	else if ((which & TC_CLI_PIPE_ONNX) && strcmp(a, "--dtype") == 0) {
		int d = tc_cli_run_dtype(cli, cmd, v);
		if (d < 0)
			return -2;
		r->dtype = (unsigned)d;
	} else
		return 0;
	if (rc > 0)
		++*i;
	return rc;
}

int tc_cli_pipe_input(struct tc_cli *cli, const char *cmd, const char *a, struct tc_cli_pipe *p)
{
	if (a[0] == '-' && a[1])
		return tc_cli_usage(cli, cmd, "unknown option or missing value: '%s'", a);
	if (p->req.n_inputs == TC_CLI_MAX_IN)
		return tc_cli_usage(cli, cmd, "at most %d inputs", TC_CLI_MAX_IN);
	p->inputs[p->req.n_inputs++] = a;
	return 0;
}

int tc_cli_pipe_outputs_check(const struct tc_cli_pipe *p, const char *const *outs, size_t n_outs,
			      const char *const *extra, size_t n_extra, struct tc_err *err)
{
	const char *ins[TC_CLI_MAX_IN + 8];
	size_t n = 0;
	for (size_t i = 0; i < p->req.n_inputs; i++)
		ins[n++] = p->inputs[i];
	for (size_t i = 0; i < n_extra && i < 8; i++)
		ins[n++] = extra[i];
	return tc_outputs_check(outs, n_outs, ins, n, err);
}

/* cli.h - private to cli/: the command table and what every subcommand receives.
 * cli/ is the only place that prints to the user or exits. */
#ifndef TC_CLI_H
#define TC_CLI_H

#include "util.h"

struct tc_cli {
	struct tc_log log; /* -v / -q applied */
	const char *prog;  /* "tracecast" */
};

/* A subcommand: argv[0] is the command name. Returns the process exit code (0 ok, 1 failure
 * of the work, 2 usage error). Each prints its own --help. */
struct tc_cli_cmd {
	const char *name;
	const char *summary;
	int (*run)(struct tc_cli *cli, int argc, char **argv);
};

/* Print "tracecast: <msg>" for an error (one line) and return 1. */
int tc_cli_fail(struct tc_cli *cli, const struct tc_err *err);
/* Print a usage error "tracecast <cmd>: <msg>" plus a hint to --help, return 2. */
int tc_cli_usage(struct tc_cli *cli, const char *cmd, const char *fmt, ...) TC_PRINTF(3, 4);
/* True when argv contains -h or --help. */
int tc_cli_wants_help(int argc, char **argv);
/* s as XML attribute or text (the JUnit files of check and testbench): markup characters
 * escaped, control characters other than newline and tab dropped. */
void tc_cli_xml_escape(FILE *f, const char *s);

/* Subcommands (one file each: cmd_<name>.c). */
/* --dtype VALUE (bf16, fp16, fp8, fp32, or any floating opstream dtype name): the TC_DT_*
 * an ONNX model runs at, or -1 after a usage message naming cmd. */
int tc_cli_run_dtype(struct tc_cli *cli, const char *cmd, const char *s);

int tc_cmd_info(struct tc_cli *cli, int argc, char **argv);
int tc_cmd_dump(struct tc_cli *cli, int argc, char **argv);
int tc_cmd_ingest(struct tc_cli *cli, int argc, char **argv);
int tc_cmd_check(struct tc_cli *cli, int argc, char **argv);
int tc_cmd_sweep(struct tc_cli *cli, int argc, char **argv);
int tc_cmd_query(struct tc_cli *cli, int argc, char **argv);
int tc_cmd_report(struct tc_cli *cli, int argc, char **argv);
int tc_cmd_diff(struct tc_cli *cli, int argc, char **argv);
int tc_cmd_project(struct tc_cli *cli, int argc, char **argv);
int tc_cmd_hw(struct tc_cli *cli, int argc, char **argv);
int tc_cmd_testbench(struct tc_cli *cli, int argc, char **argv);
int tc_cmd_calibrate(struct tc_cli *cli, int argc, char **argv);
int tc_cmd_export(struct tc_cli *cli, int argc, char **argv);

/* check_init.c: write DIR/cases.json for `check --init` (one case per trace; commas join the
 * ranks of one job). Refuses a DIR that already has a cases.json. */
int tc_check_init(const char *dir, const char *const *traces, size_t n_traces, const char *target,
		  const char *source, const char *const *sets, size_t n_sets, const char *corpus,
		  struct tc_err *err);

#endif

/* main.c - the tracecast program: global options, then dispatch through the command table. */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "opstream.h"

static int cmd_version(struct tc_cli *cli, int argc, char **argv);
static int cmd_help(struct tc_cli *cli, int argc, char **argv);

/* The command table: a new subcommand is one file and one line here. */
static const struct tc_cli_cmd commands[] = {
    {"ingest", "profiler traces (Kineto JSON) or an ONNX model -> opstream (.tcs)", tc_cmd_ingest},
    {"export", "opstream or trace -> Chakra execution traces (.et per rank, for ASTRA-sim)",
     tc_cmd_export},
    {"info", "summarise an opstream (.tcs): ops, ranks, lanes, span, classes", tc_cmd_info},
    {"dump", "canonical text dump of an opstream (deterministic)", tc_cmd_dump},
    {"hw", "chip spec library: list, show CHIP, compare A B (with --set overrides)", tc_cmd_hw},
    {"project", "project a trace onto another chip: step time, bottlenecks, Perf/W, Perf/$",
     tc_cmd_project},
    {"report", "self-contained HTML report of a projection, or a sweep dashboard", tc_cmd_report},
    {"diff", "what changed: two traces, two projections or two chips, per class and kernel",
     tc_cmd_diff},
    {"check", "re-run golden projection cases and compare within tolerances", tc_cmd_check},
    {"sweep", "design-space sweep: traces x chip configurations into a results database",
     tc_cmd_sweep},
    {"query", "Pareto fronts, best points, sensitivities or SQL over a results database",
     tc_cmd_query},
    {"testbench", "cost model vs measured operator tables: error per class, chip and pair",
     tc_cmd_testbench},
    {"calibrate", "fit a chip's curves and kernel floor from its measured ops -> overlay spec",
     tc_cmd_calibrate},
    {"version", "print the version", cmd_version},
    {"help", "list commands, or help on one", cmd_help},
};

static void usage(FILE *fp)
{
	fprintf(fp, "usage: tracecast [-v|-q] <command> [args]\n\n"
		    "Project a profiled ML step onto another accelerator.\n\ncommands:\n");
	for (size_t i = 0; i < TC_ARRAY_LEN(commands); i++)
		fprintf(fp, "  %-9s %s\n", commands[i].name, commands[i].summary);
	fprintf(fp, "\n'tracecast <command> --help' for a command's options.\n");
}

static const struct tc_cli_cmd *find_cmd(const char *name)
{
	for (size_t i = 0; i < TC_ARRAY_LEN(commands); i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

static int cmd_version(struct tc_cli *cli, int argc, char **argv)
{
	(void)cli;
	(void)argc;
	(void)argv;
	printf("tracecast %s (opstream format %d.%d)\n", TC_VERSION, TC_OPS_MAJOR, TC_OPS_MINOR);
	return 0;
}

static int cmd_help(struct tc_cli *cli, int argc, char **argv)
{
	if (argc > 1) {
		const struct tc_cli_cmd *c = find_cmd(argv[1]);
		if (!c)
			return tc_cli_usage(cli, "help", "unknown command '%s'", argv[1]);
		char *hargv[] = {argv[1], (char *)"--help", NULL};
		return c->run(cli, 2, hargv);
	}
	usage(stdout);
	return 0;
}

int tc_cli_fail(struct tc_cli *cli, const struct tc_err *err)
{
	fprintf(stderr, "%s: error: %s\n", cli->prog,
		err->msg[0] ? err->msg : tc_err_name(err->code));
	return 1;
}

int tc_cli_usage(struct tc_cli *cli, const char *cmd, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "%s %s: ", cli->prog, cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see '%s %s --help')\n", cli->prog, cmd);
	return 2;
}

int tc_cli_wants_help(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
			return 1;
	return 0;
}

/* Buffered output is only known to be written once flushed: `dump x.tcs > /dev/full` must
 * fail with a message, not exit 0. A reader that went away (`dump | head`) is not an error:
 * with SIGPIPE at its default the write already ended the process (status 141, quietly, as
 * for cat); if the parent ignored SIGPIPE, we end the same way here. */
void tc_cli_xml_escape(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '&':
			fputs("&amp;", f);
			break;
		case '"':
			fputs("&quot;", f);
			break;
		default:
			if ((unsigned char)*s >= 0x20 || *s == '\n' || *s == '\t')
				fputc(*s, f);
		}
	}
}

static int finish_stdout(const struct tc_cli *cli, int rc)
{
	errno = 0;
	int bad = fflush(stdout) != 0 || ferror(stdout);
	int e = errno;
	if (fclose(stdout) != 0 && !bad) {
		bad = 1;
		e = errno;
	}
	if (!bad)
		return rc;
	if (e == EPIPE) {
		signal(SIGPIPE, SIG_DFL);
		raise(SIGPIPE);
		return 128 + SIGPIPE;
	}
	if (rc == 0) {
		fprintf(stderr, "%s: error: stdout: write failed: %s\n", cli->prog,
			e ? strerror(e) : "i/o error");
		return 1;
	}
	return rc; /* the command's own error was printed; one line is enough */
}

int main(int argc, char **argv)
{
	struct tc_cli cli;
	int level = TC_LOG_WARN;
	int i = 1;

	cli.prog = "tracecast";
	/* Global flags before the command; commands also accept -v/-q themselves. */
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "-v") == 0)
			level = level < TC_LOG_INFO ? TC_LOG_INFO : TC_LOG_DEBUG;
		else if (strcmp(argv[i], "-vv") == 0)
			level = TC_LOG_DEBUG;
		else if (strcmp(argv[i], "-q") == 0)
			level = TC_LOG_ERROR;
		else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			usage(stdout);
			return finish_stdout(&cli, 0);
		} else if (strcmp(argv[i], "--version") == 0) {
			return finish_stdout(&cli, cmd_version(&cli, 0, NULL));
		} else {
			fprintf(stderr, "tracecast: unknown option '%s' (see 'tracecast help')\n",
				argv[i]);
			return 2;
		}
	}
	tc_log_init(&cli.log, level);
	if (i >= argc) {
		usage(stderr);
		return 2;
	}
	const struct tc_cli_cmd *c = find_cmd(argv[i]);
	if (!c) {
		fprintf(stderr, "tracecast: unknown command '%s' (see 'tracecast help')\n",
			argv[i]);
		return 2;
	}
	return finish_stdout(&cli, c->run(&cli, argc - i, argv + i));
}

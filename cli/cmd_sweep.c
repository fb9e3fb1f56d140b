/* cmd_sweep.c - tracecast sweep: project every trace onto every configuration of a grid (or a
 * random sample of it) and store the results in a database, in parallel, resumably. The
 * engine is the library's (api/sweep.h); this file parses the arguments, draws the progress
 * line and turns SIGINT / SIGTERM into a clean stop.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "store.h"
#include "sweep.h"

#define MAX_TRACES 256
#define MAX_AXES 32

/* The one piece of global state: a signal handler can reach nothing else. */
static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
}

static void usage(FILE *fp)
{
	fprintf(
	    fp,
	    "usage: tracecast sweep --traces A.tcs [B.tcs ...] --base CHIP --grid KEY=V1,V2,...\n"
	    "                       [--grid KEY=LO:HI:N ...] --db results.db|postgresql://...\n"
	    "                       [--random N --seed S] [--jobs N] [--shard K/N]\n\n"
	    "Project each trace onto each chip configuration of the grid and store the results.\n"
	    "Points already stored (same trace, configuration and tracecast version) are skipped,\n"
	    "so an interrupted sweep resumes where it stopped.\n\n"
	    "  --traces FILE...   traces to project: opstreams (.tcs), or profiler traces\n"
	    "                     (ingested first); each is loaded once\n"
	    "  --base CHIP        chip id, alias or spec file the grid overrides\n"
	    "  --grid KEY=V,...   values of one spec key path (e.g. memory.hbm.bw_gbs=3350,5000)\n"
	    "  --grid KEY=LO:HI:N N values from LO to HI, both included; axes multiply\n"
	    "                     (network.* keys sweep the network; scale.world_size,\n"
	    "                     scale.dp/tp/pp/ep sweep the job's size and layout)\n"
	    "  --random N         a random sample of N configurations instead of all\n"
	    "  --seed S           seed of the sample (default 1)\n"
	    "  --db URI           SQLite file (created when missing) or postgresql://...\n"
	    "  --jobs N           worker threads (default: the number of cores)\n"
	    "  --shard K/N        only the K-th of N disjoint parts (0-based); without it, taken\n"
	    "                     from SLURM_ARRAY_TASK_ID, JOB_COMPLETION_INDEX or\n"
	    "                     AWS_BATCH_JOB_ARRAY_INDEX when set\n"
	    "  --shard-count N    the number of parts for Kubernetes / AWS Batch indices\n"
	    "  --source CHIP      chip the traces ran on (default: from each trace's devices)\n"
	    "  --limit N          stop after N new points (a budget; re-run to continue)\n"
	    "  --specs DIR        spec library directory\n"
	    "  --no-memo          simulate every point (by default a configuration whose op\n"
	    "                     costs were simulated before is only re-priced: same figures)\n"
	    "  -q, -v             quieter / more verbose\n\n"
	    "Exit status: 0 done, 1 error, 2 usage, 130/143 stopped by SIGINT/SIGTERM (what was\n"
	    "computed is stored).\n");
}

static int parse_count(const char *s, uint64_t *out)
{
	char *end;
	if (!s || !*s || *s == '-' || *s == '+')
		return -1;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (*end || errno)
		return -1;
	*out = v;
	return 0;
}

/* The progress line, and the signal turned into a cancel. */
struct progress {
	struct tc_progress p;
};

static int on_progress(void *user, uint64_t done, uint64_t total)
{
	struct progress *pr = user;
	struct tc_progress *p = &pr->p;
	if (p->active) {
		double now = tc_now();
		if (now - p->t_last >= 0.1 || done == total) {
			p->t_last = now;
			double el = now - p->t_start;
			double rate = el > 0 ? (double)done / el : 0;
			double eta = rate > 0 ? (double)(total - done) / rate : 0;
			fprintf(stderr,
				"\rsweep %5.1f%%  %llu/%llu points  %.0f points/s  ETA %.0fs   ",
				total ? 100.0 * (double)done / (double)total : 100.0,
				(unsigned long long)done, (unsigned long long)total, rate, eta);
		}
	}
	return stop_signal != 0;
}

int tc_cmd_sweep(struct tc_cli *cli, int argc, char **argv)
{
	struct tc_sweep_req req = TC_SWEEP_REQ_INIT;
	const char *traces[MAX_TRACES];
	const char *grid_args[MAX_AXES];
	const char *shard_arg = NULL;
	size_t n_traces = 0, n_grid = 0;
	uint64_t random_n = 0, shard_count = 0;
	int have_random = 0, no_memo = 0;
	struct tc_err err = TC_ERR_INIT;
	struct tc_shard sh = {0, 1};

	if (tc_cli_wants_help(argc, argv)) {
		usage(stdout);
		return 0;
	}
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		int has = i + 1 < argc;
		if (strcmp(a, "--traces") == 0) {
			while (i + 1 < argc && argv[i + 1][0] != '-') {
				if (n_traces == MAX_TRACES)
					return tc_cli_usage(cli, "sweep", "more than %d traces",
							    MAX_TRACES);
				traces[n_traces++] = argv[++i];
			}
		} else if (strcmp(a, "--grid") == 0 && has) {
			if (n_grid == MAX_AXES)
				return tc_cli_usage(cli, "sweep", "more than %d grid axes",
						    MAX_AXES);
			grid_args[n_grid++] = argv[++i];
		} else if (strcmp(a, "--base") == 0 && has) {
			req.base = argv[++i];
		} else if (strcmp(a, "--db") == 0 && has) {
			req.db = argv[++i];
		} else if (strcmp(a, "--source") == 0 && has) {
			req.source = argv[++i];
		} else if (strcmp(a, "--specs") == 0 && has) {
			req.specs = argv[++i];
		} else if (strcmp(a, "--shard") == 0 && has) {
			shard_arg = argv[++i];
		} else if ((strcmp(a, "--random") == 0 || strcmp(a, "--seed") == 0 ||
			    strcmp(a, "--jobs") == 0 || strcmp(a, "--shard-count") == 0 ||
			    strcmp(a, "--limit") == 0) &&
			   has) {
			uint64_t v;
			if (parse_count(argv[i + 1], &v) < 0)
				return tc_cli_usage(cli, "sweep",
						    "%s '%s': expected a whole number", a,
						    argv[i + 1]);
			i++;
			if (a[2] == 'r')
				random_n = v, have_random = 1;
			else if (a[3] == 'e')
				req.seed = v;
			else if (a[2] == 'j')
				req.jobs = v;
			else if (a[2] == 's')
				shard_count = v;
			else
				req.limit = v;
		} else if (strcmp(a, "--no-memo") == 0) {
			no_memo = 1;
		} else if (strcmp(a, "-q") == 0) {
			cli->log.level = TC_LOG_ERROR;
		} else if (strcmp(a, "-v") == 0) {
			cli->log.level = TC_LOG_INFO;
		} else {
			return tc_cli_usage(cli, "sweep", "unknown or incomplete option '%s'", a);
		}
	}
	if (!n_traces)
		return tc_cli_usage(cli, "sweep", "no --traces given");
	if (!req.base)
		return tc_cli_usage(cli, "sweep", "no --base chip given");
	if (!req.db)
		return tc_cli_usage(cli, "sweep", "no --db given");
	if (have_random && random_n == 0)
		return tc_cli_usage(cli, "sweep", "--random needs N >= 1");
	if (req.jobs > 256)
		return tc_cli_usage(cli, "sweep", "--jobs %llu: at most 256",
				    (unsigned long long)req.jobs);
	if (shard_arg && tc_shard_parse(shard_arg, &sh, &err) < 0)
		return tc_cli_usage(cli, "sweep", "%s", err.msg);
	if (tc_sweep_check_grid(grid_args, n_grid, &err) < 0)
		return tc_cli_usage(cli, "sweep", "%s", err.msg);
	if (!shard_arg && tc_shard_from_env(NULL, shard_count, &sh, &err) < 0)
		return tc_cli_usage(cli, "sweep", "%s", err.msg);
	req.traces = traces;
	req.n_traces = n_traces;
	req.grid = grid_args;
	req.n_grid = n_grid;
	req.random_n = random_n;
	req.shard = sh;
	req.no_memo = no_memo;
	req.log = &cli->log;

	struct sigaction sa, old_int, old_term;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	stop_signal = 0;
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	struct progress pr;
	memset(&pr, 0, sizeof(pr));
	struct tc_sweep_stats st;
	tc_progress_start(&pr.p, &cli->log, "sweep", 0);
	int rc = tc_sweep_run(&req, on_progress, &pr, NULL, NULL, &st, &err);
	tc_progress_end(&pr.p);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	int sig = stop_signal;
	if (rc < 0)
		return tc_cli_fail(cli, &err);
	if (!no_memo)
		tc_info(&cli->log, "sweep memo: %llu timelines simulated, %llu points re-priced",
			(unsigned long long)st.memo_sims, (unsigned long long)st.memo_hits);
	uint64_t left = st.total - TC_MIN(st.total, st.skipped + st.computed);
	printf("sweep %.12s: %llu points stored, %llu already there%s", st.key,
	       (unsigned long long)st.stored, (unsigned long long)st.skipped,
	       left ? "" : ", complete\n");
	if (left)
		printf(", %llu left (%s; run again to resume)\n", (unsigned long long)left,
		       st.cancelled ? "interrupted" : "limit reached");
	return st.cancelled ? 128 + sig : 0;
}

/* Every bad input in traces/bad/cases.tsv gives its one-line error naming the file, the
 * expected exit code, and leaves no output (not even a temporary) behind. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <jansson.h>
#include <signal.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static char *subst(const char *tmpl, const char *in, const char *out, const char *src)
{
	static char buf[4096];
	size_t n = 0;
	for (const char *p = tmpl; *p && n < sizeof(buf) - 512; p++) {
		if (strncmp(p, "{in}", 4) == 0) {
			n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s", in);
			p += 3;
		} else if (strncmp(p, "{src}", 5) == 0) {
			n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s", src);
			p += 4;
		} else if (strncmp(p, "{out}", 5) == 0) {
			n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s", out);
			p += 4;
		} else {
			buf[n++] = *p;
		}
	}
	buf[n] = 0;
	return buf;
}

/* Run tracecast with argv split on spaces; stderr to errpath. Returns the exit code. */
static int run(const char *exe, char *cmd, const char *errpath)
{
	char *argv[32];
	int argc = 0;
	argv[argc++] = (char *)exe;
	for (char *t = strtok(cmd, " "); t && argc < 31; t = strtok(NULL, " "))
		argv[argc++] = t;
	argv[argc] = NULL;
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 2, errpath, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	pid_t pid;
	cr_assert_eq(posix_spawn(&pid, exe, &fa, NULL, argv, environ), 0);
	posix_spawn_file_actions_destroy(&fa);
	int st;
	waitpid(pid, &st, 0);
	cr_assert(WIFEXITED(st), "%s crashed (signal %d)", cmd, WIFSIGNALED(st) ? WTERMSIG(st) : 0);
	return WEXITSTATUS(st);
}

Test(e2e_bad, every_bad_input_gives_its_error, .timeout = 120)
{
	const char *src = getenv("TC_SRCDIR"), *exe = getenv("TRACECAST");
	cr_assert(src && exe, "TC_SRCDIR and TRACECAST come from meson");
	char path[1024], dir[] = "/tmp/tc_bad_XXXXXX";
	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/traces/bad/cases.tsv", src);
	FILE *f = fopen(path, "r");
	cr_assert_not_null(f, "%s", path);
	char line[2048];
	int cases = 0;
	while (fgets(line, sizeof(line), f)) {
		if (line[0] == '#' || line[0] == '\n')
			continue;
		line[strcspn(line, "\n")] = 0;
		char *file = strtok(line, "\t"), *cmd = strtok(NULL, "\t"),
		     *code = strtok(NULL, "\t"), *want = strtok(NULL, "\t");
		cr_assert(file && cmd && code && want, "malformed line in cases.tsv");
		char in[1100], out[1100], errp[1100];
		snprintf(in, sizeof(in), "%s/traces/bad/%s", src, file);
		snprintf(out, sizeof(out), "%s/out_%d", dir, cases);
		snprintf(errp, sizeof(errp), "%s/err_%d", dir, cases);
		char *c = subst(cmd, in, out, src);
		char shown[4096];
		snprintf(shown, sizeof(shown), "%s", c);
		int rc = run(exe, c, errp);
		cr_assert_eq(rc, atoi(code), "%s: exit %d, expected %s", shown, rc, code);
		FILE *e = fopen(errp, "r");
		char msg[4096] = {0};
		size_t got = fread(msg, 1, sizeof(msg) - 1, e);
		fclose(e);
		msg[got] = 0;
		char *nl = strchr(msg, '\n');
		cr_assert(nl && nl[1] == 0, "%s: error is not exactly one line: [%s]", shown, msg);
		cr_assert_not_null(strstr(msg, want), "%s: [%s] lacks [%s]", shown, msg, want);
		cr_assert_not_null(strstr(msg, file), "%s: [%s] does not name the file", shown,
				   msg);
		cr_assert_neq(access(out, F_OK), 0, "%s: left %s behind", shown, out);
		unlink(errp);
		cases++;
	}
	fclose(f);
	/* nothing at all left in the directory: no temporaries either */
	DIR *d = opendir(dir);
	struct dirent *de;
	while ((de = readdir(d)))
		cr_assert(de->d_name[0] == '.', "left behind: %s", de->d_name);
	closedir(d);
	rmdir(dir);
	cr_assert_geq(cases, 10);
}

static char *slurp_file(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	cr_assert_not_null(f, "%s", path);
	char *b = NULL;
	size_t cap = 0;
	*n = 0;
	for (;;) {
		if (*n + 65536 > cap)
			cr_assert_not_null(b = realloc(b, cap = cap * 2 + 65536));
		size_t got = fread(b + *n, 1, cap - *n, f);
		*n += got;
		if (!got)
			break;
	}
	fclose(f);
	return b;
}

static void copy_file(const char *from, const char *to)
{
	size_t n;
	char *b = slurp_file(from, &n);
	FILE *f = fopen(to, "wb");
	cr_assert_not_null(f, "%s", to);
	cr_assert_eq(fwrite(b, 1, n, f), n);
	cr_assert_eq(fclose(f), 0);
	free(b);
}

/* issue 19: `ingest in.json -o in.json` replaced the trace with an opstream, and project,
 * report, diff and check did the same to theirs. Every command refuses an output that is one
 * of its inputs (by any name) or two outputs in one file, and leaves the input as it was. */
Test(e2e_bad, outputs_never_overwrite_inputs, .timeout = 120)
{
	const char *src = getenv("TC_SRCDIR"), *exe = getenv("TRACECAST");
	cr_assert(src && exe, "TC_SRCDIR and TRACECAST come from meson");
	char dir[] = "/tmp/tc_same_XXXXXX", gz[1100], tcs[1100], hard[1100], cmd[4096], errp[1100];
	cr_assert_not_null(mkdtemp(dir));
	snprintf(gz, sizeof(gz), "%s/traces/sample/train_a100_rank0.json.gz", src);
	snprintf(tcs, sizeof(tcs), "%s/in.json.gz", dir);
	copy_file(gz, tcs);
	snprintf(errp, sizeof(errp), "%s/err", dir);
	snprintf(cmd, sizeof(cmd), "ingest %s -o %s/run.tcs", tcs, dir);
	cr_assert_eq(run(exe, cmd, errp), 0, "setup ingest failed");
	snprintf(tcs, sizeof(tcs), "%s/run.tcs", dir);
	snprintf(hard, sizeof(hard), "%s/hard.tcs", dir);
	cr_assert_eq(link(tcs, hard), 0);
	size_t n_gz, n_tcs;
	char *orig_gz = slurp_file(gz, &n_gz), *orig_tcs = slurp_file(tcs, &n_tcs);
	struct {
		const char *cmd, *want;
	} cases[] = {
	    {"ingest D/in.json.gz -o D/in.json.gz", "in.json.gz: output is the input"},
	    {"project D/run.tcs --target h100 --json D/run.tcs", "run.tcs: output is the input"},
	    {"project D/run.tcs --target h100 --timeline D/hard.tcs",
	     "hard.tcs: output is the input"},
	    {"project D/run.tcs --target h100 --json D/a.json --timeline D/a.json",
	     "a.json: named for two outputs"},
	    {"report D/run.tcs --target h100 -o D/run.tcs", "run.tcs: output is the input"},
	    {"diff D/run.tcs --chips h100 b200 -o D/hard.tcs", "hard.tcs: output is the input"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		/* D stands for the directory */
		size_t k = 0;
		for (const char *p = cases[i].cmd; *p && k < sizeof(cmd) - 64; p++)
			k += (size_t)(*p == 'D' && p[1] == '/'
					  ? snprintf(cmd + k, sizeof(cmd) - k, "%s", dir)
					  : (cmd[k] = *p, 1));
		cmd[k] = 0;
		char shown[4096];
		snprintf(shown, sizeof(shown), "%s", cmd);
		cr_assert_eq(run(exe, cmd, errp), 1, "%s: not refused", shown);
		size_t n;
		char *msg = slurp_file(errp, &n);
		msg = realloc(msg, n + 1);
		msg[n] = 0;
		cr_assert_not_null(strstr(msg, cases[i].want), "%s: [%s] lacks [%s]", shown, msg,
				   cases[i].want);
		free(msg);
	}
	size_t n;
	char *now = slurp_file(tcs, &n);
	cr_assert(n == n_tcs && memcmp(now, orig_tcs, n) == 0, "run.tcs was changed");
	free(now);
	snprintf(cmd, sizeof(cmd), "%s/in.json.gz", dir);
	now = slurp_file(cmd, &n);
	cr_assert(n == n_gz && memcmp(now, orig_gz, n) == 0, "in.json.gz was changed");
	free(now);
	free(orig_gz);
	free(orig_tcs);
	/* nothing else was written: no a.json, no temporaries */
	DIR *d = opendir(dir);
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		cr_assert(strcmp(de->d_name, "in.json.gz") == 0 ||
			      strcmp(de->d_name, "run.tcs") == 0 ||
			      strcmp(de->d_name, "hard.tcs") == 0 || strcmp(de->d_name, "err") == 0,
			  "left behind: %s", de->d_name);
		snprintf(cmd, sizeof(cmd), "%s/%s", dir, de->d_name);
		unlink(cmd);
	}
	closedir(d);
	rmdir(dir);
}

/* Spawn tracecast with stdout on fd out_fd (kept open in the child only) and stderr to errpath;
 * returns the wait status. */
static int spawn_status(const char *exe, char *const argv[], int out_fd, const char *errpath)
{
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, out_fd, 1);
	posix_spawn_file_actions_addopen(&fa, 2, errpath, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	pid_t pid;
	cr_assert_eq(posix_spawn(&pid, exe, &fa, NULL, argv, environ), 0);
	posix_spawn_file_actions_destroy(&fa);
	int st;
	waitpid(pid, &st, 0);
	return st;
}

/* issue 19: `dump x.tcs > /dev/full` exited 0 with no message. A full disk is an error with
 * one line; a reader that goes away (`dump | head`) ends the program by SIGPIPE, quietly,
 * whether SIGPIPE was left at its default or ignored by the parent (docs/ says 141). */
Test(e2e_bad, stdout_write_errors, .timeout = 120)
{
	const char *src = getenv("TC_SRCDIR"), *exe = getenv("TRACECAST");
	cr_assert(src && exe, "TC_SRCDIR and TRACECAST come from meson");
	char dir[] = "/tmp/tc_stdout_XXXXXX", gz[1100], tcs[1100], errp[1100], cmd[4096];
	cr_assert_not_null(mkdtemp(dir));
	snprintf(gz, sizeof(gz), "%s/traces/sample/train_a100_rank0.json.gz", src);
	snprintf(tcs, sizeof(tcs), "%s/run.tcs", dir);
	snprintf(errp, sizeof(errp), "%s/err", dir);
	snprintf(cmd, sizeof(cmd), "ingest %s -o %s", gz, tcs);
	cr_assert_eq(run(exe, cmd, errp), 0, "setup ingest failed");
	const char *cmds[] = {"dump", "info"};
	int full = open("/dev/full", O_WRONLY);
	for (size_t i = 0; full >= 0 && i < 2; i++) {
		char *argv[] = {(char *)exe, (char *)cmds[i], tcs, NULL};
		int st = spawn_status(exe, argv, full, errp);
		cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 1, "%s > /dev/full: status %#x",
			  cmds[i], st);
		size_t n;
		char *msg = slurp_file(errp, &n);
		msg = realloc(msg, n + 1);
		msg[n] = 0;
		cr_assert_str_eq(
		    msg, "tracecast: error: stdout: write failed: No space left on device\n");
		free(msg);
	}
	if (full < 0)
		cr_log_warn("no /dev/full here: the disk-full half of this test is skipped");
	else
		close(full);
	/* a pipe whose reader is gone, SIGPIPE at its default and then ignored */
	for (int ignore = 0; ignore < 2; ignore++) {
		int p[2];
		cr_assert_eq(pipe(p), 0);
		close(p[0]);
		void (*old)(int) = signal(SIGPIPE, ignore ? SIG_IGN : SIG_DFL);
		char *argv[] = {(char *)exe, (char *)"dump", tcs, NULL};
		int st = spawn_status(exe, argv, p[1], errp);
		signal(SIGPIPE, old);
		close(p[1]);
		cr_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGPIPE,
			  "dump into a closed pipe (SIGPIPE %s): status %#x",
			  ignore ? "ignored" : "default", st);
		size_t n;
		free(slurp_file(errp, &n));
		cr_assert_eq(n, 0, "dump into a closed pipe printed an error");
	}
	unlink(errp);
	unlink(tcs);
	rmdir(dir);
}

/* issue 19: invalid UTF-8 and lone surrogates in event names were copied into --timeline,
 * which was then not valid JSON text. Ingest makes them U+FFFD; both JSON outputs parse with
 * jansson, which refuses invalid UTF-8. */
Test(e2e_bad, names_that_are_not_utf8_give_valid_json, .timeout = 120)
{
	const char *exe = getenv("TRACECAST");
	cr_assert(exe, "TRACECAST comes from meson");
	char dir[] = "/tmp/tc_utf8_XXXXXX", in[200], tcs[200], tl[200], pj[200], errp[200],
	     cmd[1024];
	cr_assert_not_null(mkdtemp(dir));
	snprintf(in, sizeof(in), "%s/bad_utf8.json", dir);
	FILE *f = fopen(in, "wb");
	cr_assert_not_null(f);
	fputs("{\"traceEvents\": ["
	      "{\"ph\":\"X\",\"cat\":\"cpu_op\",\"name\":\"aten::\xff\xfe\",\"pid\":1,\"tid\":1,"
	      "\"ts\":0,\"dur\":50},"
	      "{\"ph\":\"X\",\"cat\":\"cuda_runtime\",\"name\":\"cudaLaunchKernel\",\"pid\":1,"
	      "\"tid\":1,\"ts\":5,"
	      "\"dur\":4,\"args\":{\"correlation\":7}},"
	      "{\"ph\":\"X\",\"cat\":\"kernel\",\"name\":\"k\\ud800\xc0\xaf\\u001b[2J\",\"pid\":0,"
	      "\"tid\":7,\"ts\":20,"
	      "\"dur\":10,\"args\":{\"device\":0,\"stream\":7,\"correlation\":7}}]}",
	      f);
	cr_assert_eq(fclose(f), 0);
	snprintf(tcs, sizeof(tcs), "%s/u.tcs", dir);
	snprintf(tl, sizeof(tl), "%s/tl.json", dir);
	snprintf(pj, sizeof(pj), "%s/pj.json", dir);
	snprintf(errp, sizeof(errp), "%s/err", dir);
	snprintf(cmd, sizeof(cmd), "ingest %s -o %s", in, tcs);
	cr_assert_eq(run(exe, cmd, errp), 0, "ingest failed");
	snprintf(cmd, sizeof(cmd),
		 "project %s --source a100 --target h100 -q --json %s --timeline %s", tcs, pj, tl);
	cr_assert_eq(run(exe, cmd, errp), 0, "project failed");
	const char *outs[] = {tl, pj};
	for (size_t i = 0; i < 2; i++) {
		json_error_t je;
		json_t *j = json_load_file(outs[i], 0, &je);
		cr_assert_not_null(j, "%s is not valid JSON text: %s", outs[i], je.text);
		json_decref(j);
	}
	size_t n;
	char *t = slurp_file(tl, &n);
	t = realloc(t, n + 1);
	t[n] = 0;
	cr_assert_not_null(strstr(t, "aten::\xef\xbf\xbd\xef\xbf\xbd"),
			   "the bad bytes became U+FFFD");
	cr_assert_not_null(strstr(t, "k\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"),
			   "surrogate and overlong");
	free(t);
	/* the text report on a terminal: the ESC sequence in the name is shown, not acted on */
	char txt[200];
	snprintf(txt, sizeof(txt), "%s/report.txt", dir);
	int fd = open(txt, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	cr_assert_geq(fd, 0);
	char *argv[] = {
	    (char *)exe,	(char *)"project", tcs, (char *)"--source", (char *)"a100",
	    (char *)"--target", (char *)"h100",	   NULL};
	int st = spawn_status(exe, argv, fd, errp);
	close(fd);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "project: status %#x", st);
	t = slurp_file(txt, &n);
	t = realloc(t, n + 1);
	t[n] = 0;
	cr_assert_null(memchr(t, 0x1b, n), "an ESC byte reached the terminal output");
	cr_assert_not_null(strstr(t, "\\x1b[2J"), "the ESC is shown escaped: %s", t);
	free(t);
	unlink(txt);
	const char *files[] = {in, tcs, tl, pj, errp};
	for (size_t i = 0; i < 5; i++)
		unlink(files[i]);
	rmdir(dir);
}

/* Spawn tracecast with fd `in_fd` as both stdin and fd 3, stdout to /dev/null; no wait. */
static pid_t spawn_reading(const char *exe, char *const argv[], int in_fd, const char *errpath)
{
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	if (in_fd >= 0) {
		posix_spawn_file_actions_adddup2(&fa, in_fd, 0);
		posix_spawn_file_actions_adddup2(&fa, in_fd, 3);
	}
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, errpath, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	pid_t pid;
	cr_assert_eq(posix_spawn(&pid, exe, &fa, NULL, argv, environ), 0);
	posix_spawn_file_actions_destroy(&fa);
	return pid;
}

/* `tracecast dump tcs` into out (a file), 0 on success. */
static int dump_to(const char *exe, const char *tcs, const char *out, const char *errp)
{
	int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	cr_assert_geq(fd, 0);
	char *argv[] = {(char *)exe, (char *)"dump", (char *)tcs, NULL};
	int st = spawn_status(exe, argv, fd, errp);
	close(fd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* issue 19: `ingest <(cat t.json.gz)` failed with "empty file", stdin was not accepted and a
 * FIFO named .json.gz blocked. Each is read once, and gives the same ops as the file. */
Test(e2e_bad, pipes_fifos_and_stdin_are_inputs, .timeout = 120)
{
	const char *src = getenv("TC_SRCDIR"), *exe = getenv("TRACECAST");
	cr_assert(src && exe, "TC_SRCDIR and TRACECAST come from meson");
	char dir[] = "/tmp/tc_pipe_XXXXXX", gz[1100], ref[200], got[200], refd[200], gotd[200],
	     fifo[200], errp[200], cmd[2048];
	cr_assert_not_null(mkdtemp(dir));
	snprintf(gz, sizeof(gz), "%s/traces/sample/train_a100_rank0.json.gz", src);
	snprintf(ref, sizeof(ref), "%s/ref.tcs", dir);
	snprintf(got, sizeof(got), "%s/got.tcs", dir);
	snprintf(refd, sizeof(refd), "%s/ref.txt", dir);
	snprintf(gotd, sizeof(gotd), "%s/got.txt", dir);
	snprintf(fifo, sizeof(fifo), "%s/fifo.json.gz", dir);
	snprintf(errp, sizeof(errp), "%s/err", dir);
	snprintf(cmd, sizeof(cmd), "ingest %s -o %s", gz, ref);
	cr_assert_eq(run(exe, cmd, errp), 0, "reference ingest failed");
	cr_assert_eq(dump_to(exe, ref, refd, errp), 0);
	size_t nref, ngz;
	char *want = slurp_file(refd, &nref), *bytes = slurp_file(gz, &ngz);
	cr_assert_eq(mkfifo(fifo, 0600), 0);
	void (*old)(int) = signal(SIGPIPE, SIG_IGN); /* a reader that quits must not kill us */
	const char *modes[] = {"-", "/dev/fd/3", fifo};
	for (size_t m = 0; m < 3; m++) {
		int p[2] = {-1, -1};
		if (m <
		    2) /* close-on-exec: the child must hold no write end, or it never sees EOF */
			cr_assert(pipe(p) == 0 && fcntl(p[0], F_SETFD, FD_CLOEXEC) == 0 &&
				  fcntl(p[1], F_SETFD, FD_CLOEXEC) == 0);
		char *argv[] = {(char *)exe, (char *)"ingest", (char *)modes[m], (char *)"-o", got,
				NULL};
		pid_t pid = spawn_reading(exe, argv, p[0], errp);
		int wfd = p[1];
		if (m < 2)
			close(p[0]);
		else
			wfd = open(fifo, O_WRONLY); /* waits for tracecast to open it */
		cr_assert_geq(wfd, 0);
		for (size_t off = 0; off < ngz;) {
			ssize_t w = write(wfd, bytes + off, ngz - off);
			if (w <= 0)
				break;
			off += (size_t)w;
		}
		close(wfd);
		int st;
		waitpid(pid, &st, 0);
		size_t ne;
		char *emsg = slurp_file(errp, &ne);
		emsg = realloc(emsg, ne + 1);
		emsg[ne] = 0;
		cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "ingest %s: status %#x: %s",
			  modes[m], st, emsg);
		free(emsg);
		cr_assert_eq(dump_to(exe, got, gotd, errp), 0);
		/* the same dump but for the source file's name */
		size_t ng;
		char *have = slurp_file(gotd, &ng);
		const char *a = strstr(want, "\nrank "), *b = strstr(have, "\nrank ");
		cr_assert(a && b, "dumps have ranks");
		cr_assert(nref - (size_t)(a - want) == ng - (size_t)(b - have) &&
			      memcmp(a, b, nref - (size_t)(a - want)) == 0,
			  "ingest %s gave other ops than the file", modes[m]);
		free(have);
		unlink(got);
	}
	signal(SIGPIPE, old);
	free(want);
	free(bytes);
	const char *files[] = {ref, refd, gotd, fifo, errp};
	for (size_t i = 0; i < 5; i++)
		unlink(files[i]);
	rmdir(dir);
}

/* issue 19: `--chunk 1e12` became 1 and `--chunk abc` was accepted. */
Test(e2e_bad, chunk_option_takes_only_whole_numbers_in_range, .timeout = 60)
{
	const char *src = getenv("TC_SRCDIR"), *exe = getenv("TRACECAST");
	cr_assert(src && exe, "TC_SRCDIR and TRACECAST come from meson");
	char errp[] = "/tmp/tc_chunk_err_XXXXXX", out[200], cmd[2048];
	int fd = mkstemp(errp);
	cr_assert_geq(fd, 0);
	close(fd);
	snprintf(out, sizeof(out), "%s.tcs", errp);
	const char *bad[] = {"1e12", "abc", "0", "-5", "16777217", "12x"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(cmd, sizeof(cmd),
			 "ingest %s/traces/sample/train_a100_rank0.json.gz -o %s --chunk %s", src,
			 out, bad[i]);
		cr_assert_eq(run(exe, cmd, errp), 2, "--chunk %s accepted", bad[i]);
		size_t n;
		char *msg = slurp_file(errp, &n);
		msg = realloc(msg, n + 1);
		msg[n] = 0;
		cr_assert_not_null(
		    strstr(msg, "--chunk needs a whole number of ops in 1..16777216"), "%s", msg);
		free(msg);
		cr_assert_neq(access(out, F_OK), 0);
	}
	snprintf(cmd, sizeof(cmd),
		 "ingest %s/traces/sample/train_a100_rank0.json.gz -o %s --chunk 100", src, out);
	cr_assert_eq(run(exe, cmd, errp), 0);
	unlink(out);
	unlink(errp);
}

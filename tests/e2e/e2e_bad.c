/* Every bad input in traces/bad/cases.tsv gives its one-line error naming the file, the
 * expected exit code, and leaves no output (not even a temporary) behind. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
		char *file = strtok(line, "\t"), *cmd = strtok(NULL, "\t"), *code = strtok(NULL, "\t"),
		     *want = strtok(NULL, "\t");
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
		cr_assert_not_null(strstr(msg, file), "%s: [%s] does not name the file", shown, msg);
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

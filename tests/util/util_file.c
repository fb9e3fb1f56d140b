/* Output files: temp-and-rename for regular files only. A device or FIFO named as an output
 * is written directly and never renamed over or unlinked; a symbolic link is followed and
 * stays a link; directories and empty paths are refused; nothing is left behind. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "util.h"

static char dir[64];

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/tc_outfile_XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
}

static const char *at(const char *name)
{
	static char buf[4][512];
	static int k;
	k = (k + 1) % 4;
	snprintf(buf[k], sizeof(buf[k]), "%s/%s", dir, name);
	return buf[k];
}

/* Every entry of the test directory, sorted names joined by spaces: shows leftovers. */
static const char *listing(void)
{
	static char out[1024];
	struct dirent **de;
	int n = scandir(dir, &de, NULL, alphasort);
	cr_assert_geq(n, 0);
	out[0] = 0;
	for (int i = 0; i < n; i++) {
		if (de[i]->d_name[0] != '.') {
			strcat(out, out[0] ? " " : "");
			strcat(out, de[i]->d_name);
		}
		free(de[i]);
	}
	free(de);
	return out;
}

static void teardown(void)
{
	struct dirent **de;
	int n = scandir(dir, &de, NULL, NULL);
	for (int i = 0; i < n; i++) {
		if (de[i]->d_name[0] != '.')
			unlink(at(de[i]->d_name));
		free(de[i]);
	}
	if (n >= 0)
		free(de);
	rmdir(dir);
}

static int write_text(const char *path, const char *text, struct tc_err *err)
{
	struct tc_outfile o;
	int rc = tc_outfile_open(&o, path, err);
	if (rc < 0)
		return rc;
	fputs(text, o.fp);
	return tc_outfile_commit(&o, err);
}

static const char *slurp(const char *path)
{
	static char buf[256];
	FILE *f = fopen(path, "r");
	cr_assert_not_null(f, "%s", path);
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	return buf;
}

TestSuite(util_file, .init = setup, .fini = teardown);

Test(util_file, regular_file_replaced_whole_and_keeps_its_mode)
{
	struct tc_err err = TC_ERR_INIT;
	cr_assert_eq(write_text(at("a"), "first", &err), 0, "%s", err.msg);
	cr_assert_eq(chmod(at("a"), 0640), 0);
	cr_assert_eq(write_text(at("a"), "second", &err), 0, "%s", err.msg);
	cr_assert_str_eq(slurp(at("a")), "second");
	struct stat st;
	cr_assert_eq(stat(at("a"), &st), 0);
	cr_assert_eq(st.st_mode & 07777, 0640);
	/* an aborted write leaves the old file and no temporary */
	struct tc_outfile o;
	cr_assert_eq(tc_outfile_open(&o, at("a"), &err), 0);
	fputs("partial", o.fp);
	tc_outfile_abort(&o);
	cr_assert_str_eq(slurp(at("a")), "second");
	cr_assert_str_eq(listing(), "a");
}

Test(util_file, fifo_is_written_directly_and_kept)
{
	struct tc_err err = TC_ERR_INIT;
	cr_assert_eq(mkfifo(at("fifo"), 0600), 0);
	/* a reader first, so that opening the FIFO for writing does not block */
	int rd = open(at("fifo"), O_RDONLY | O_NONBLOCK);
	cr_assert_geq(rd, 0);
	cr_assert_eq(write_text(at("fifo"), "through the pipe", &err), 0, "%s", err.msg);
	char buf[64] = {0};
	cr_assert_eq(read(rd, buf, sizeof(buf) - 1), 16);
	cr_assert_str_eq(buf, "through the pipe");
	/* aborting closes it and leaves it in place */
	struct tc_outfile o;
	cr_assert_eq(tc_outfile_open(&o, at("fifo"), &err), 0, "%s", err.msg);
	tc_outfile_abort(&o);
	close(rd);
	struct stat st;
	cr_assert_eq(lstat(at("fifo"), &st), 0);
	cr_assert(S_ISFIFO(st.st_mode), "the FIFO was replaced");
	cr_assert_str_eq(listing(), "fifo");
}

Test(util_file, device_node_is_written_directly_and_kept)
{
	/* a private node for the full device (1, 7), so a regression cannot harm /dev/full */
	if (mknod(at("devfull"), S_IFCHR | 0600, makedev(1, 7)) != 0)
		cr_skip_test("cannot make a device node here (%s): needs root", strerror(errno));
	struct tc_err err = TC_ERR_INIT;
	cr_assert_eq(write_text(at("devfull"), "x", &err), TC_EIO);
	cr_assert_not_null(strstr(err.msg, "devfull: write failed: No space left on device"), "%s",
			   err.msg);
	cr_assert_eq(mknod(at("devnull"), S_IFCHR | 0600, makedev(1, 3)), 0);
	cr_assert_eq(write_text(at("devnull"), "x", &err), 0, "%s", err.msg);
	struct stat st;
	cr_assert_eq(lstat(at("devfull"), &st), 0);
	cr_assert(S_ISCHR(st.st_mode), "the device node was replaced");
	cr_assert_eq(lstat(at("devnull"), &st), 0);
	cr_assert(S_ISCHR(st.st_mode), "the device node was replaced");
	cr_assert_str_eq(listing(), "devfull devnull");
}

Test(util_file, symlink_is_followed_and_stays_a_link)
{
	struct tc_err err = TC_ERR_INIT;
	/* relative link to a file not there yet: created beside the link's directory */
	cr_assert_eq(symlink("target", at("link")), 0);
	cr_assert_eq(write_text(at("link"), "one", &err), 0, "%s", err.msg);
	cr_assert_str_eq(slurp(at("target")), "one");
	cr_assert_eq(write_text(at("link"), "two", &err), 0, "%s", err.msg);
	cr_assert_str_eq(slurp(at("target")), "two");
	struct stat st;
	cr_assert_eq(lstat(at("link"), &st), 0);
	cr_assert(S_ISLNK(st.st_mode), "the link was replaced by a file");
	cr_assert_str_eq(listing(), "link target");
	/* a loop is refused */
	cr_assert_eq(symlink("loop2", at("loop1")), 0);
	cr_assert_eq(symlink("loop1", at("loop2")), 0);
	cr_assert_eq(write_text(at("loop1"), "x", &err), TC_EINVAL);
	cr_assert_not_null(strstr(err.msg, "too many levels of symbolic links"), "%s", err.msg);
}

Test(util_file, directory_and_empty_path_are_refused)
{
	struct tc_err err = TC_ERR_INIT;
	cr_assert_eq(mkdir(at("d"), 0700), 0);
	cr_assert_eq(write_text(at("d"), "x", &err), TC_EINVAL);
	cr_assert_not_null(strstr(err.msg, "/d: is a directory, not a file to write"), "%s",
			   err.msg);
	cr_assert_eq(write_text("", "x", &err), TC_EINVAL);
	cr_assert_str_eq(err.msg, "output path is empty");
	rmdir(at("d"));
	cr_assert_str_eq(listing(), "");
}

Test(util_file, outputs_that_are_inputs_or_each_other_are_refused)
{
	struct tc_err err = TC_ERR_INIT;
	cr_assert_eq(write_text(at("in"), "input", &err), 0);
	cr_assert_eq(link(at("in"), at("hard")), 0);
	cr_assert_eq(symlink("in", at("soft")), 0);
	const char *ins[] = {at("other"), NULL, at("in")};
	/* the input itself, a hard link to it, a symbolic link to it */
	const char *names[] = {"in", "hard", "soft"};
	for (size_t i = 0; i < 3; i++) {
		const char *outs[] = {NULL, at(names[i])};
		cr_assert_eq(tc_outputs_check(outs, 2, ins, 3, &err), TC_EINVAL, "%s", names[i]);
		cr_assert_not_null(strstr(err.msg, "output is the input"), "%s", err.msg);
		cr_assert_not_null(strstr(err.msg, names[i]), "%s", err.msg);
	}
	/* two outputs: the same path (not yet there), or one file under two names */
	const char *same[] = {at("new.json"), at("new.json")};
	cr_assert_eq(tc_outputs_check(same, 2, ins, 3, &err), TC_EINVAL);
	cr_assert_not_null(strstr(err.msg, "new.json: named for two outputs"), "%s", err.msg);
	cr_assert_eq(write_text(at("o1"), "x", &err), 0);
	cr_assert_eq(link(at("o1"), at("o2")), 0);
	const char *linked[] = {at("o1"), at("o2")};
	cr_assert_eq(tc_outputs_check(linked, 2, NULL, 0, &err), TC_EINVAL);
	cr_assert_not_null(strstr(err.msg, "the same file as the output"), "%s", err.msg);
	/* distinct files, stdout twice and a device twice are fine */
	const char *fine[] = {at("a"), at("b"), "-", "-", "/dev/null", "/dev/null"};
	cr_assert_eq(tc_outputs_check(fine, 6, ins, 3, &err), 0, "%s", err.msg);
	cr_assert_str_eq(slurp(at("in")), "input");
}

#include <signal.h>
#include <sys/wait.h>

/* In a child: open an output, write to it, then receive sig; returns the wait status. With
 * ignore_first, sig is ignored before the output is opened (as under nohup). */
static int child_signalled(int sig, int ignore_first)
{
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		struct tc_err err = TC_ERR_INIT;
		struct tc_outfile o;
		if (ignore_first)
			signal(sig, SIG_IGN);
		if (tc_outfile_open(&o, at("out"), &err) < 0)
			_exit(3);
		fputs("partial", o.fp);
		fflush(o.fp);
		raise(sig);
		_exit(tc_outfile_commit(&o, &err) < 0 ? 4 : 0);
	}
	int st;
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	return st;
}

Test(util_file, temporaries_removed_on_fatal_signals)
{
	/* issue 19: Ctrl-C left OUT.tmp.PID behind; SIGTERM and SIGHUP did the same */
	const int sigs[] = {SIGINT, SIGTERM, SIGHUP};
	for (size_t i = 0; i < 3; i++) {
		int st = child_signalled(sigs[i], 0);
		cr_assert(WIFSIGNALED(st) && WTERMSIG(st) == sigs[i],
			  "signal %d: the process should still end by it (status %#x)", sigs[i],
			  st);
		cr_assert_str_eq(listing(), "", "signal %d left files behind", sigs[i]);
	}
	/* an ignored signal stays ignored: the run completes */
	int st = child_signalled(SIGHUP, 1);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "status %#x", st);
	cr_assert_str_eq(listing(), "out");
	cr_assert_str_eq(slurp(at("out")), "partial");
}

Test(util_file, remembered_paths_are_removed_and_forgotten_ones_kept)
{
	struct tc_err err = TC_ERR_INIT;
	char kept[512], gone[512];
	snprintf(kept, sizeof(kept), "%s", at("kept"));
	snprintf(gone, sizeof(gone), "%s", at("gone"));
	cr_assert_eq(write_text(kept, "k", &err), 0);
	cr_assert_eq(write_text(gone, "g", &err), 0);
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		tc_tmp_remember(kept);
		tc_tmp_remember(gone);
		tc_tmp_forget(kept);
		raise(SIGTERM);
		_exit(0);
	}
	int st;
	waitpid(pid, &st, 0);
	cr_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM, "status %#x", st);
	cr_assert_str_eq(listing(), "kept");
}

Test(util_file, tmpfile_in_tmpdir_with_suffix)
{
	char buf[512];
	const char *old = getenv("TMPDIR");
	char saved[512] = "";
	if (old)
		snprintf(saved, sizeof(saved), "%s", old);
	setenv("TMPDIR", at(""), 1);
	int fd = tc_tmpfile(buf, sizeof(buf), "tc-test", ".json");
	cr_assert_geq(fd, 0, "%s", strerror(errno));
	close(fd);
	cr_assert(strncmp(buf, at(""), strlen(at(""))) == 0, "%s not in TMPDIR", buf);
	cr_assert(strstr(buf, "/tc-test-") && strcmp(buf + strlen(buf) - 5, ".json") == 0, "%s",
		  buf);
	unlink(buf);
	/* a folder that is not there: -1, and buf names the folder */
	setenv("TMPDIR", "/nonexistent-tc", 1);
	cr_assert_lt(tc_tmpfile(buf, sizeof(buf), "x", ""), 0);
	cr_assert_str_eq(buf, "/nonexistent-tc");
	if (saved[0])
		setenv("TMPDIR", saved, 1);
	else
		unsetenv("TMPDIR");
}

/* file.c - output files renamed into place on success; small whole-file reads. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <ctype.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

/* ---- temporaries removed on a fatal signal ------------------------------------------------ */

/* The one piece of global mutable state in util, as in the sweep: a signal handler can reach
 * nothing else. Lock-free atomic pointers, so the handler may read them (C11 7.14.1.1). */
#define TMP_SLOTS 32
static _Atomic(const char *) tmp_slots[TMP_SLOTS];
static atomic_int tmp_handlers_set;

static void on_fatal_signal(int sig)
{
	int saved = errno;
	for (size_t i = 0; i < TMP_SLOTS; i++) {
		const char *p = atomic_exchange(&tmp_slots[i], NULL);
		if (p)
			unlink(p); /* async-signal-safe */
	}
	/* the default action, raised again on return (the signal is blocked in here) */
	signal(sig, SIG_DFL);
	raise(sig);
	errno = saved;
}

static void install_handlers(void)
{
	if (atomic_exchange(&tmp_handlers_set, 1))
		return;
	static const int sigs[] = {SIGINT, SIGTERM, SIGHUP};
	for (size_t i = 0; i < TC_ARRAY_LEN(sigs); i++) {
		struct sigaction old, sa;
		if (sigaction(sigs[i], NULL, &old) != 0 || old.sa_handler != SIG_DFL ||
		    (old.sa_flags & SA_SIGINFO))
			continue;
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_fatal_signal;
		sigfillset(&sa.sa_mask); /* no second signal while removing */
		sigaction(sigs[i], &sa, NULL);
	}
}

int tc_tmp_remember(const char *path)
{
	install_handlers();
	for (size_t i = 0; i < TMP_SLOTS; i++) {
		const char *expect = NULL;
		if (atomic_compare_exchange_strong(&tmp_slots[i], &expect, path))
			return 0;
	}
	return TC_ENOMEM;
}

void tc_tmp_forget(const char *path)
{
	for (size_t i = 0; i < TMP_SLOTS; i++) {
		const char *expect = path;
		if (atomic_compare_exchange_strong(&tmp_slots[i], &expect, NULL))
			return;
	}
}

/* The path a chain of symbolic links ends at, which may not exist yet (a link made before
 * the first run): *out, owned by the caller. Relative links resolve against the directory of
 * the link, as the kernel does. */
static int follow_links(const char *path, char **out, struct tc_err *err)
{
	char *cur = tc_xstrdup(path);
	for (int hops = 0; hops < 40; hops++) {
		struct stat st;
		if (lstat(cur, &st) != 0 || !S_ISLNK(st.st_mode)) {
			*out = cur;
			return 0;
		}
		char buf[PATH_MAX];
		ssize_t n = readlink(cur, buf, sizeof(buf) - 1);
		if (n < 0) {
			int e = errno;
			free(cur);
			return tc_err_set(err, TC_EIO, "%s: cannot read symbolic link: %s", path,
					  strerror(e));
		}
		buf[n] = 0;
		char *next;
		const char *slash = strrchr(cur, '/');
		if (buf[0] == '/' || !slash) {
			next = tc_xstrdup(buf);
		} else {
			size_t dl = (size_t)(slash - cur) + 1, len = dl + (size_t)n + 1;
			next = tc_xmalloc(len);
			memcpy(next, cur, dl);
			memcpy(next + dl, buf, (size_t)n + 1);
		}
		free(cur);
		cur = next;
	}
	free(cur);
	return tc_err_set(err, TC_EINVAL, "%s: too many levels of symbolic links", path);
}

/* Where an output goes, decided once from what the path names now:
 *  - nothing yet, or a regular file: written to "PATH.tmp.PID" beside it and renamed over
 *    it on commit, so a failed run never leaves a partial file that looks complete (the
 *    replaced file's permission bits are kept);
 *  - a symbolic link: followed. The file it names is replaced (or created) as above, and the
 *    link itself stays a link, as shell redirection and `cp` treat it;
 *  - a character device or a FIFO (/dev/null, /dev/full, a pipe to another program):
 *    written directly. Rename would replace the node with a regular file (as root, the real
 *    /dev/full) and unlink would delete it, so neither is ever done to them; a failed run may
 *    have written part of its output there, which is in the nature of a stream;
 *  - anything else (directory, block device, socket): refused. */
int tc_outfile_open(struct tc_outfile *o, const char *path, struct tc_err *err)
{
	memset(o, 0, sizeof(*o));
	if (strcmp(path, "-") == 0) {
		o->fp = stdout;
		o->path = tc_xstrdup("stdout");
		return 0;
	}
	if (!path[0])
		return tc_err_set(err, TC_EINVAL, "output path is empty");
	char *target = NULL;
	struct stat st;
	int exists = lstat(path, &st) == 0;
	if (exists && S_ISLNK(st.st_mode)) {
		int rc = follow_links(path, &target, err);
		if (rc < 0)
			return rc;
		exists = lstat(target, &st) == 0;
	}
	const char *real = target ? target : path;
	if (exists && (S_ISCHR(st.st_mode) || S_ISFIFO(st.st_mode))) {
		/* O_NOCTTY: a terminal given as output must not become our controlling one */
		int fd = open(real, O_WRONLY | O_NOCTTY | O_CLOEXEC);
		o->fp = fd >= 0 ? fdopen(fd, "wb") : NULL;
		if (!o->fp) {
			int e = errno;
			if (fd >= 0)
				close(fd);
			free(target);
			return tc_err_set(err, TC_EIO, "%s: cannot open for writing: %s", path,
					  strerror(e));
		}
		o->path = tc_xstrdup(path);
		free(target);
		return 0;
	}
	if (exists && !S_ISREG(st.st_mode)) {
		free(target);
		return tc_err_set(err, TC_EINVAL, "%s: is a %s, not a file to write", path,
				  S_ISDIR(st.st_mode)	 ? "directory"
				  : S_ISBLK(st.st_mode)	 ? "block device"
				  : S_ISSOCK(st.st_mode) ? "socket"
							 : "special file");
	}
	size_t n = strlen(real) + 32;
	o->path = target ? target : tc_xstrdup(path);
	o->tmp = tc_xmalloc(n);
	snprintf(o->tmp, n, "%s.tmp.%ld", real, (long)getpid());
	/* O_EXCL: never write through whatever else might sit at the temporary name */
	int fd = open(o->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
		      exists ? (st.st_mode & 07777) : 0666);
	o->fp = fd >= 0 ? fdopen(fd, "wb") : NULL;
	if (!o->fp) {
		int e = errno;
		if (fd >= 0) {
			close(fd);
			unlink(o->tmp);
		}
		free(o->path);
		free(o->tmp);
		memset(o, 0, sizeof(*o));
		return tc_err_set(err, TC_EIO, "%s: cannot create: %s", path, strerror(e));
	}
	if (exists)
		(void)fchmod(fd, st.st_mode & 07777); /* open's mode went through the umask */
	(void)tc_tmp_remember(o->tmp); /* best effort: all slots taken only loses the cleanup */
	return 0;
}

int tc_outfile_commit(struct tc_outfile *o, struct tc_err *err)
{
	if (!o->tmp) {
		/* stdout or a device/FIFO written directly: the data is there once flushed */
		int rc = 0, e = 0;
		if (o->fp == stdout) {
			if (fflush(o->fp) != 0 || ferror(o->fp)) {
				e = errno;
				rc = TC_EIO;
			}
		} else if (o->fp) {
			int bad = ferror(o->fp);
			if (fclose(o->fp) != 0 || bad) {
				e = errno;
				rc = TC_EIO;
			}
		}
		if (rc < 0)
			tc_err_set(err, rc, "%s: write failed: %s", o->path ? o->path : "stdout",
				   e ? strerror(e) : "i/o error");
		o->fp = NULL;
		free(o->path);
		o->path = NULL;
		return rc;
	}
	int bad = ferror(o->fp);
	int e = errno;
	if (fclose(o->fp) != 0) {
		bad = 1;
		e = errno;
	}
	o->fp = NULL;
	if (!bad && rename(o->tmp, o->path) != 0) {
		bad = 1;
		e = errno;
	}
	if (bad)
		unlink(o->tmp);
	/* only now: a signal before the rename or unlink must still find the temporary */
	tc_tmp_forget(o->tmp);
	if (bad) {
		tc_err_set(err, TC_EIO, "%s: write failed: %s", o->path,
			   e ? strerror(e) : "i/o error");
		free(o->tmp);
		free(o->path);
		o->tmp = o->path = NULL;
		return TC_EIO;
	}
	free(o->tmp);
	free(o->path);
	o->tmp = o->path = NULL;
	return 0;
}

void tc_outfile_abort(struct tc_outfile *o)
{
	if (!o)
		return;
	if (o->tmp) {
		if (o->fp)
			fclose(o->fp);
		unlink(o->tmp);
		tc_tmp_forget(o->tmp);
	} else if (o->fp && o->fp != stdout) {
		fclose(o->fp); /* a device or FIFO: closed, never unlinked */
	}
	free(o->tmp);
	free(o->path);
	memset(o, 0, sizeof(*o));
}

/* 1 and *st when path exists as a regular file (links followed), else 0. */
static int regular(const char *path, struct stat *st)
{
	return path && strcmp(path, "-") != 0 && stat(path, st) == 0 && S_ISREG(st->st_mode);
}

int tc_outputs_check(const char *const *outs, size_t n_out, const char *const *ins, size_t n_in,
		     struct tc_err *err)
{
	for (size_t i = 0; i < n_out; i++) {
		const char *o = outs[i];
		struct stat so, sx;
		if (!o || strcmp(o, "-") == 0)
			continue;
		int reg = regular(o, &so);
		if (!reg && stat(o, &so) == 0)
			continue; /* a device or FIFO: written directly, nothing to destroy */
		for (size_t j = 0; reg && j < n_in; j++)
			if (regular(ins[j], &sx) && sx.st_dev == so.st_dev &&
			    sx.st_ino == so.st_ino)
				return tc_err_set(err, TC_EINVAL,
						  "%s: output is the input %s; refusing "
						  "to overwrite it",
						  o, ins[j]);
		for (size_t j = 0; j < i; j++) {
			if (!outs[j])
				continue;
			if (strcmp(outs[j], o) == 0)
				return tc_err_set(err, TC_EINVAL,
						  "%s: named for two outputs; give each "
						  "its own file",
						  o);
			if (reg && regular(outs[j], &sx) && sx.st_dev == so.st_dev &&
			    sx.st_ino == so.st_ino)
				return tc_err_set(err, TC_EINVAL,
						  "%s: the same file as the output %s; give "
						  "each output its own file",
						  o, outs[j]);
		}
	}
	return 0;
}

int tc_read_file(const char *path, char **out, size_t *len, struct tc_err *err)
{
	FILE *fp = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, n = 0;
	if (!fp)
		return tc_err_set(err, TC_EIO, "%s: cannot open: %s", path, strerror(errno));
	for (;;) {
		if (tc_grow((void **)&buf, &cap, n + 65537, 1)) {
			fclose(fp);
			free(buf);
			return tc_err_set(err, TC_ENOMEM, "%s: out of memory", path);
		}
		size_t got = fread(buf + n, 1, cap - n - 1, fp);
		n += got;
		if (got == 0)
			break;
	}
	if (ferror(fp)) {
		fclose(fp);
		free(buf);
		return tc_err_set(err, TC_EIO, "%s: read error", path);
	}
	fclose(fp);
	buf[n] = 0;
	*out = buf;
	if (len)
		*len = n;
	return 0;
}

int tc_str_endswith(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);
	return a >= b && memcmp(s + a - b, suffix, b) == 0;
}

const char *tc_strcasestr(const char *hay, const char *needle)
{
	size_t n = strlen(needle);
	if (!n)
		return hay;
	for (; *hay; hay++)
		if (strncasecmp(hay, needle, n) == 0)
			return hay;
	return NULL;
}

int tc_tmpfile(char *buf, size_t n, const char *stem, const char *suffix)
{
	const char *dir = getenv("TMPDIR");
	size_t need = strlen(stem) + strlen(suffix) + 9;
	if (!dir || !*dir || strlen(dir) + need >= n)
		dir = "/tmp";
	int len = snprintf(buf, n, "%s/%s-XXXXXX%s", dir, stem, suffix);
	if (len < 0 || (size_t)len >= n) {
		errno = ENAMETOOLONG;
		return -1;
	}
	int fd = mkstemps(buf, (int)strlen(suffix));
	if (fd < 0)
		snprintf(buf, n, "%s", dir);
	return fd;
}

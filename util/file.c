/* file.c - output files renamed into place on success; small whole-file reads. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <ctype.h>
#include <unistd.h>

#include "util.h"

int tc_outfile_open(struct tc_outfile *o, const char *path, struct tc_err *err)
{
	memset(o, 0, sizeof(*o));
	if (strcmp(path, "-") == 0) {
		o->fp = stdout;
		return 0;
	}
	size_t n = strlen(path) + 32;
	o->path = tc_xstrdup(path);
	o->tmp = tc_xmalloc(n);
	snprintf(o->tmp, n, "%s.tmp.%ld", path, (long)getpid());
	o->fp = fopen(o->tmp, "wb");
	if (!o->fp) {
		int e = errno;
		free(o->path);
		free(o->tmp);
		memset(o, 0, sizeof(*o));
		return tc_err_set(err, TC_EIO, "%s: cannot create: %s", path, strerror(e));
	}
	return 0;
}

int tc_outfile_commit(struct tc_outfile *o, struct tc_err *err)
{
	if (!o->tmp) {
		if (o->fp && fflush(o->fp) != 0)
			return tc_err_set(err, TC_EIO, "stdout: write failed: %s", strerror(errno));
		o->fp = NULL;
		return 0;
	}
	int bad = ferror(o->fp);
	if (fclose(o->fp) != 0)
		bad = 1;
	o->fp = NULL;
	if (bad || rename(o->tmp, o->path) != 0) {
		int e = errno;
		unlink(o->tmp);
		tc_err_set(err, TC_EIO, "%s: write failed: %s", o->path, strerror(e));
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
	}
	free(o->tmp);
	free(o->path);
	memset(o, 0, sizeof(*o));
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

/* Helpers of the Kineto adapter tests: write a JSON snippet to a temp file, ingest it, and
 * read the opstream back with the opstream reader (the same path `tracecast info` uses). */
#ifndef INGEST_TEST_H
#define INGEST_TEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ingest.h"
#include "opstream.h"

struct rb {
	struct tc_ops_reader *r;
	struct tc_op *ops;
	size_t n;
	char dir[64];
	char out[128];
};

/* The corpus file rel in path: 1 when it is readable, 0 when the corpus or the file is
 * absent (the test then skips). The corpus is $TRACECAST_CORPUS, else the build's default. */
static inline int corpus_path(const char *rel, char *path, size_t n)
{
	const char *d = getenv("TRACECAST_CORPUS");
	if (!d || !*d)
		d = getenv("TC_CORPUS_DEFAULT");
	if (!d)
		return 0;
	snprintf(path, n, "%s/%s", d, rel);
	return access(path, R_OK) == 0;
}

static inline void tmpdir_make(char *dir, size_t n)
{
	snprintf(dir, n, "/tmp/tc_ingest_XXXXXX");
	if (!mkdtemp(dir))
		abort();
}

static inline void write_file(const char *path, const void *data, size_t len)
{
	FILE *fp = fopen(path, "wb");
	if (!fp || fwrite(data, 1, len, fp) != len)
		abort();
	fclose(fp);
}

/* Ingest the given files; returns the ingest rc, err filled. */
static inline int ingest_paths(struct rb *b, const char *const *paths, size_t n, struct tc_err *err)
{
	struct tc_ingest_opts o = TC_INGEST_OPTS_INIT;
	struct tc_ingest_stats st;
	if (!b->dir[0])
		tmpdir_make(b->dir, sizeof(b->dir));
	snprintf(b->out, sizeof(b->out), "%s/out.tcs", b->dir);
	return tc_ingest_files(paths, n, b->out, &o, &st, err);
}

/* Read every op back (copies; strings stay valid while b->r is open). */
static inline int read_back(struct rb *b, struct tc_err *err)
{
	const struct tc_op *ops;
	size_t n, cap = 0;
	int rc = tc_ops_reader_open(&b->r, b->out, err);
	if (rc < 0)
		return rc;
	while ((rc = tc_ops_reader_next(b->r, &ops, &n, err)) == 1) {
		if (b->n + n > cap) {
			cap = (b->n + n) * 2;
			b->ops = realloc(b->ops, cap * sizeof(*b->ops));
		}
		memcpy(b->ops + b->n, ops, n * sizeof(*ops));
		for (size_t i = 0; i < n; i++) {
			b->ops[b->n + i].shapes = NULL;
			b->ops[b->n + i].deps = NULL;
		}
		b->n += n;
	}
	return rc;
}

/* Ingest one JSON text and read it back. */
static inline int ingest_text(struct rb *b, const char *json, struct tc_err *err)
{
	char path[128];
	tmpdir_make(b->dir, sizeof(b->dir));
	snprintf(path, sizeof(path), "%s/in.json", b->dir);
	write_file(path, json, strlen(json));
	const char *p = path;
	int rc = ingest_paths(b, &p, 1, err);
	if (rc < 0)
		return rc;
	return read_back(b, err);
}

static inline const char *op_name(const struct rb *b, const struct tc_op *op)
{
	return tc_ops_reader_string(b->r, op->name);
}

/* First op with this name, or NULL. */
static inline const struct tc_op *find_op(const struct rb *b, const char *name)
{
	for (size_t i = 0; i < b->n; i++)
		if (strcmp(op_name(b, &b->ops[i]), name) == 0)
			return &b->ops[i];
	return NULL;
}

static inline size_t count_kind(const struct rb *b, unsigned kind)
{
	size_t c = 0;
	for (size_t i = 0; i < b->n; i++)
		c += b->ops[i].kind == kind;
	return c;
}

static inline void rb_free(struct rb *b)
{
	char cmd[160];
	tc_ops_reader_free(b->r);
	free(b->ops);
	if (b->dir[0]) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", b->dir);
		if (system(cmd) != 0) {
			/* best effort */
		}
	}
	memset(b, 0, sizeof(*b));
}

static inline int file_exists(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0;
}

#endif

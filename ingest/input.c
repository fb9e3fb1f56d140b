/* input.c - a streaming input reader: plain bytes, gzip (several members allowed, as
 * `cat a.gz b.gz` makes) or zstd, told apart by their magic bytes so a misnamed file still
 * reads. Memory is a fixed compressed-side buffer, never the file.
 *
 * gzip is inflated by ISA-L's igzip where the build found it (Debian libisal-dev), else by
 * zlib. Measured on the corpus traces (bench/bench_inflate.sh): igzip 1.3-3.2 GB/s,
 * libdeflate 1.1-2.8 GB/s (whole-buffer only: no streaming API), zlib 0.3-1.2 GB/s; igzip
 * is the fastest and streams, so memory stays a fixed buffer. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <zlib.h>
#include <zstd.h>
#ifdef TC_HAVE_ISAL
#include <isa-l/igzip_lib.h>
#endif

#include "adapter.h"

#define IN_BUF (256u * 1024u)

enum in_kind { IN_PLAIN, IN_GZIP, IN_ZSTD };

struct tc_input {
	char *name;
	FILE *fp;
	const uint8_t *mem; /* memory source */
	size_t mem_len, mem_pos;
	enum in_kind kind;
	uint8_t *cbuf; /* compressed bytes */
	size_t clen, cpos, ccap;
	int eof_src;
	uint64_t offset, consumed, size;
	z_stream zs;
	int zs_init, zs_done;
#ifdef TC_HAVE_ISAL
	struct inflate_state *isal; /* igzip's state (large: on the heap) */
#endif
	ZSTD_DCtx *zd;
	int zd_mid;	  /* inside a frame */
	uint64_t doffset; /* uncompressed bytes produced (= offset without the thread) */
	/* Decompression on a second thread, so a .gz costs the slower of inflate and parse,
	 * not their sum: the producer fills two slots in turn, the reader empties them in
	 * turn. Only for compressed files read in large pieces (not memory inputs). */
	int th_on, th_tried, stop, prod_done, prod_rc;
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct {
		uint8_t *p;
		size_t len;
		int full;
	} slot[2];
	unsigned rslot;
	size_t rpos;
	struct tc_err prod_err;
};

#define SLOT_SIZE (1u << 20)

static size_t src_read(struct tc_input *in, uint8_t *buf, size_t cap, struct tc_err *err, int *rc)
{
	*rc = 0;
	if (in->mem) {
		size_t n = TC_MIN(cap, in->mem_len - in->mem_pos);
		memcpy(buf, in->mem + in->mem_pos, n);
		in->mem_pos += n;
		return n;
	}
	size_t n = fread(buf, 1, cap, in->fp);
	if (n < cap && ferror(in->fp))
		*rc = tc_err_set(err, TC_EIO, "%s: read error: %s", in->name, strerror(errno));
	return n;
}

/* Make compressed bytes available; returns 0 (maybe none left: eof_src) or an error. */
static int fill(struct tc_input *in, struct tc_err *err)
{
	int rc;
	if (in->cpos < in->clen || in->eof_src)
		return 0;
	in->clen = src_read(in, in->cbuf, in->ccap, err, &rc);
	in->cpos = 0;
	if (rc)
		return rc;
	if (in->clen == 0)
		in->eof_src = 1;
	in->consumed += in->clen;
	return 0;
}

static int detect(struct tc_input *in, struct tc_err *err)
{
	TC_TRY(fill(in, err));
	const uint8_t *b = in->cbuf;
	if (in->clen >= 2 && b[0] == 0x1f && b[1] == 0x8b) {
		in->kind = IN_GZIP;
#ifdef TC_HAVE_ISAL
		in->isal = malloc(sizeof(*in->isal));
		if (!in->isal)
			return tc_err_set(err, TC_ENOMEM, "%s: gzip init failed", in->name);
		isal_inflate_init(in->isal);
		in->isal->crc_flag = ISAL_GZIP;
#else
		memset(&in->zs, 0, sizeof(in->zs));
		if (inflateInit2(&in->zs, 16 + MAX_WBITS) != Z_OK)
			return tc_err_set(err, TC_ENOMEM, "%s: gzip init failed", in->name);
		in->zs_init = 1;
#endif
	} else if (in->clen >= 4 &&
		   (((b[0] == 0x28 && b[1] == 0xb5 && b[2] == 0x2f && b[3] == 0xfd)) ||
		    ((b[0] & 0xf0) == 0x50 && b[1] == 0x2a && b[2] == 0x4d && b[3] == 0x18))) {
		/* a zstd frame, or a skippable frame (0x184D2A5?), which `zstd -d` accepts and
		 * the decompressor steps over (issue 19: it was "not a JSON trace") */
		in->kind = IN_ZSTD;
		in->zd = ZSTD_createDCtx();
		if (!in->zd)
			return tc_err_set(err, TC_ENOMEM, "%s: zstd init failed", in->name);
	} else {
		in->kind = IN_PLAIN;
	}
	return 0;
}

static int open_common(struct tc_input *in, const char *name, struct tc_err *err)
{
	in->name = tc_xstrdup(name);
	/* small memory inputs (fuzzing) get a small buffer: a 256 KiB malloc per input is
	 * most of the cost of a tiny input under ASan */
	in->ccap = in->mem && in->mem_len < IN_BUF ? TC_MAX(in->mem_len, (size_t)64) : IN_BUF;
	in->cbuf = malloc(in->ccap);
	if (!in->cbuf)
		return tc_err_set(err, TC_ENOMEM, "%s: out of memory", name);
	return detect(in, err);
}

int tc_input_open(struct tc_input **out, const char *path, struct tc_err *err)
{
	return tc_input_open_as(out, path, path, err);
}

int tc_input_open_as(struct tc_input **out, const char *path, const char *name, struct tc_err *err)
{
	struct tc_input *in = tc_xcalloc(1, sizeof(*in));
	struct stat st;
	*out = NULL;
	in->fp = fopen(path, "rb");
	if (!in->fp) {
		int e = errno;
		free(in);
		return tc_err_set(err, e == ENOENT ? TC_ENOTFOUND : TC_EIO, "%s: %s", name,
				  strerror(e));
	}
	if (fstat(fileno(in->fp), &st) == 0) {
		if (S_ISDIR(st.st_mode)) {
			fclose(in->fp);
			free(in);
			return tc_err_set(err, TC_EINVAL, "%s: is a directory", name);
		}
		in->size = (uint64_t)st.st_size;
	}
	int rc = open_common(in, name, err);
	if (rc) {
		tc_input_close(in);
		return rc;
	}
	*out = in;
	return 0;
}

int tc_input_open_mem(struct tc_input **out, const void *buf, size_t len, const char *name,
		      struct tc_err *err)
{
	struct tc_input *in = tc_xcalloc(1, sizeof(*in));
	static const uint8_t empty[1] = {0};
	in->mem = buf ? buf : empty;
	in->mem_len = buf ? len : 0;
	in->size = len;
	int rc = open_common(in, name ? name : "<memory>", err);
	if (rc) {
		tc_input_close(in);
		*out = NULL;
		return rc;
	}
	*out = in;
	return 0;
}

#ifdef TC_HAVE_ISAL
static const char *isal_error(int r)
{
	switch (r) {
	case ISAL_INVALID_BLOCK:
		return "invalid deflate block";
	case ISAL_INVALID_SYMBOL:
		return "invalid code";
	case ISAL_INVALID_LOOKBACK:
		return "invalid distance too far back";
	case ISAL_INVALID_WRAPPER:
		return "incorrect header check";
	case ISAL_UNSUPPORTED_METHOD:
		return "unknown compression method";
	case ISAL_INCORRECT_CHECKSUM:
		return "incorrect data check";
	default:
		return "corrupt data";
	}
}

static int read_gzip(struct tc_input *in, uint8_t *buf, size_t cap, size_t *got, struct tc_err *err)
{
	struct inflate_state *st = in->isal;
	st->next_out = buf;
	st->avail_out = (uint32_t)TC_MIN(cap, (size_t)UINT32_MAX);
	uint32_t want = st->avail_out;
	while (st->avail_out > 0) {
		TC_TRY(fill(in, err));
		if (in->cpos == in->clen) {
			if (!in->zs_done)
				return tc_err_set(
				    err, TC_ETRUNC,
				    "%s: gzip stream truncated at uncompressed byte %llu", in->name,
				    (unsigned long long)(in->doffset + want - st->avail_out));
			break;
		}
		if (in->zs_done) {
			/* another gzip member follows */
			isal_inflate_reset(st);
			st->crc_flag = ISAL_GZIP;
			in->zs_done = 0;
		}
		st->next_in = in->cbuf + in->cpos;
		st->avail_in = (uint32_t)(in->clen - in->cpos);
		int r = isal_inflate(st);
		in->cpos = in->clen - st->avail_in;
		if (r < 0)
			return tc_err_set(err, TC_EFORMAT,
					  "%s: gzip error at uncompressed byte %llu: %s", in->name,
					  (unsigned long long)(in->doffset + want - st->avail_out),
					  isal_error(r));
		if (st->block_state == ISAL_BLOCK_FINISH)
			in->zs_done = 1;
	}
	*got = want - st->avail_out;
	return 0;
}
#else
static int read_gzip(struct tc_input *in, uint8_t *buf, size_t cap, size_t *got, struct tc_err *err)
{
	in->zs.next_out = buf;
	in->zs.avail_out = (uInt)cap;
	while (in->zs.avail_out > 0) {
		TC_TRY(fill(in, err));
		if (in->cpos == in->clen) {
			if (!in->zs_done)
				return tc_err_set(
				    err, TC_ETRUNC,
				    "%s: gzip stream truncated at uncompressed byte %llu", in->name,
				    (unsigned long long)(in->doffset + cap - in->zs.avail_out));
			break;
		}
		if (in->zs_done) {
			/* another gzip member follows */
			inflateReset(&in->zs);
			in->zs_done = 0;
		}
		in->zs.next_in = in->cbuf + in->cpos;
		in->zs.avail_in = (uInt)(in->clen - in->cpos);
		int zr = inflate(&in->zs, Z_NO_FLUSH);
		in->cpos = in->clen - in->zs.avail_in;
		if (zr == Z_STREAM_END) {
			in->zs_done = 1;
			continue;
		}
		if (zr != Z_OK && zr != Z_BUF_ERROR)
			return tc_err_set(
			    err, TC_EFORMAT, "%s: gzip error at uncompressed byte %llu: %s",
			    in->name, (unsigned long long)(in->doffset + cap - in->zs.avail_out),
			    in->zs.msg ? in->zs.msg : "corrupt data");
	}
	*got = cap - in->zs.avail_out;
	return 0;
}
#endif

static int read_zstd(struct tc_input *in, uint8_t *buf, size_t cap, size_t *got, struct tc_err *err)
{
	ZSTD_outBuffer ob = {buf, cap, 0};
	while (ob.pos < ob.size) {
		TC_TRY(fill(in, err));
		if (in->cpos == in->clen) {
			if (in->zd_mid)
				return tc_err_set(
				    err, TC_ETRUNC,
				    "%s: zstd stream truncated at uncompressed byte %llu", in->name,
				    (unsigned long long)(in->doffset + ob.pos));
			break;
		}
		ZSTD_inBuffer ib = {in->cbuf, in->clen, in->cpos};
		size_t r = ZSTD_decompressStream(in->zd, &ob, &ib);
		in->cpos = ib.pos;
		if (ZSTD_isError(r))
			return tc_err_set(err, TC_EFORMAT,
					  "%s: zstd error at uncompressed byte %llu: %s", in->name,
					  (unsigned long long)(in->doffset + ob.pos),
					  ZSTD_getErrorName(r));
		in->zd_mid = r != 0;
	}
	*got = ob.pos;
	return 0;
}

static int decompress(struct tc_input *in, uint8_t *buf, size_t cap, size_t *got,
		      struct tc_err *err)
{
	int rc = in->kind == IN_GZIP ? read_gzip(in, buf, cap, got, err)
				     : read_zstd(in, buf, cap, got, err);
	in->doffset += *got;
	return rc;
}

static void *producer(void *arg)
{
	struct tc_input *in = arg;
	unsigned w = 0;
	for (;;) {
		pthread_mutex_lock(&in->mu);
		while (in->slot[w].full && !in->stop)
			pthread_cond_wait(&in->cv, &in->mu);
		int stop = in->stop;
		pthread_mutex_unlock(&in->mu);
		if (stop)
			break;
		size_t got = 0;
		struct tc_err e = TC_ERR_INIT;
		int rc = decompress(in, in->slot[w].p, SLOT_SIZE, &got, &e);
		pthread_mutex_lock(&in->mu);
		if (rc < 0) {
			in->prod_rc = rc;
			in->prod_err = e;
			in->prod_done = 1;
		} else if (got == 0) {
			in->prod_done = 1;
		} else {
			in->slot[w].len = got;
			in->slot[w].full = 1;
		}
		int done = in->prod_done;
		pthread_cond_broadcast(&in->cv);
		pthread_mutex_unlock(&in->mu);
		if (done)
			break;
		w ^= 1;
	}
	return NULL;
}

static void thread_start(struct tc_input *in)
{
	in->th_tried = 1;
	in->slot[0].p = malloc(SLOT_SIZE);
	in->slot[1].p = malloc(SLOT_SIZE);
	if (!in->slot[0].p || !in->slot[1].p || pthread_mutex_init(&in->mu, NULL) != 0)
		goto fail;
	if (pthread_cond_init(&in->cv, NULL) != 0) {
		pthread_mutex_destroy(&in->mu);
		goto fail;
	}
	if (pthread_create(&in->th, NULL, producer, in) != 0) {
		pthread_cond_destroy(&in->cv);
		pthread_mutex_destroy(&in->mu);
		goto fail;
	}
	in->th_on = 1;
	return;
fail: /* no thread: decompress inline as before */
	free(in->slot[0].p);
	free(in->slot[1].p);
	in->slot[0].p = in->slot[1].p = NULL;
}

static int thread_read(struct tc_input *in, uint8_t *buf, size_t cap, size_t *got,
		       struct tc_err *err)
{
	while (*got < cap) {
		unsigned r = in->rslot;
		pthread_mutex_lock(&in->mu);
		while (!in->slot[r].full && !in->prod_done)
			pthread_cond_wait(&in->cv, &in->mu);
		int full = in->slot[r].full;
		pthread_mutex_unlock(&in->mu);
		if (!full) {
			/* the producer is finished: hand over what we have, then its error */
			if (*got || !in->prod_rc)
				return 0;
			*err = in->prod_err;
			return in->prod_rc;
		}
		size_t n = TC_MIN(cap - *got, in->slot[r].len - in->rpos);
		memcpy(buf + *got, in->slot[r].p + in->rpos, n);
		in->rpos += n;
		*got += n;
		if (in->rpos == in->slot[r].len) {
			pthread_mutex_lock(&in->mu);
			in->slot[r].full = 0;
			pthread_cond_broadcast(&in->cv);
			pthread_mutex_unlock(&in->mu);
			in->rpos = 0;
			in->rslot ^= 1;
		}
	}
	return 0;
}

int tc_input_read(struct tc_input *in, void *buf, size_t cap, size_t *got, struct tc_err *err)
{
	int rc = 0;
	*got = 0;
	if (in->kind != IN_PLAIN && !in->mem && !in->th_tried && cap >= 65536)
		thread_start(in);
	if (in->th_on) {
		rc = thread_read(in, buf, cap, got, err);
		in->offset += *got;
		return rc;
	}
	switch (in->kind) {
	case IN_PLAIN:
		/* what detection buffered first, then straight into the caller's buffer (no
		 * second copy of every byte) */
		if (in->cpos < in->clen) {
			size_t n = TC_MIN(cap, in->clen - in->cpos);
			memcpy(buf, in->cbuf + in->cpos, n);
			in->cpos += n;
			*got = n;
		}
		while (*got < cap && !in->eof_src) {
			size_t n = src_read(in, (uint8_t *)buf + *got, cap - *got, err, &rc);
			if (rc)
				return rc;
			if (n == 0)
				in->eof_src = 1;
			in->consumed += n;
			*got += n;
		}
		break;
	case IN_GZIP:
	case IN_ZSTD:
		rc = decompress(in, buf, cap, got, err);
		break;
	}
	if (in->kind == IN_PLAIN)
		in->doffset += *got;
	in->offset += *got;
	return rc;
}

uint64_t tc_input_offset(const struct tc_input *in)
{
	return in->offset;
}

uint64_t tc_input_size(const struct tc_input *in)
{
	return in->size;
}

uint64_t tc_input_consumed(const struct tc_input *in)
{
	return in->consumed;
}

const char *tc_input_name(const struct tc_input *in)
{
	return in->name;
}

void tc_input_close(struct tc_input *in)
{
	if (!in)
		return;
	if (in->th_on) {
		pthread_mutex_lock(&in->mu);
		in->stop = 1;
		pthread_cond_broadcast(&in->cv);
		pthread_mutex_unlock(&in->mu);
		pthread_join(in->th, NULL);
		pthread_cond_destroy(&in->cv);
		pthread_mutex_destroy(&in->mu);
	}
	free(in->slot[0].p);
	free(in->slot[1].p);
	if (in->fp)
		fclose(in->fp);
	if (in->zs_init)
		inflateEnd(&in->zs);
#ifdef TC_HAVE_ISAL
	free(in->isal);
#endif
	ZSTD_freeDCtx(in->zd);
	free(in->cbuf);
	free(in->name);
	free(in);
}

int tc_input_head(const char *path, uint8_t *buf, size_t cap, size_t *got, struct tc_err *err)
{
	struct tc_input *in;
	size_t n = 0;
	TC_TRY(tc_input_open(&in, path, err));
	/* A truncated stream still has a readable head; detection ignores the error. */
	struct tc_err e2 = TC_ERR_INIT;
	while (n < cap) {
		size_t g = 0;
		if (tc_input_read(in, buf + n, cap - n, &g, &e2) < 0 || g == 0)
			break;
		n += g;
	}
	*got = n;
	tc_input_close(in);
	return 0;
}

int tc_input_read_all(const char *path, const char *name, char **out, size_t *len,
		      struct tc_err *err)
{
	struct tc_input *in = NULL;
	size_t cap = 1 << 16, n = 0, got;
	char *buf = tc_xmalloc(cap + 1);
	int rc = tc_input_open_as(&in, path, name, err);
	while (rc == 0) {
		if (cap - n < 4096) {
			cap *= 2;
			buf = tc_xrealloc(buf, cap + 1);
		}
		rc = tc_input_read(in, buf + n, cap - n, &got, err);
		if (rc == 0 && got == 0)
			break;
		n += got;
	}
	tc_input_close(in);
	if (rc < 0) {
		free(buf);
		return rc;
	}
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return 0;
}

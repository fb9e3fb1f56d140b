/* fuzz_opstream_cols - structure-aware: the fuzz input is the decompressed body of one chunk
 * (its protobuf columns), framed here into a valid container (magic, a real header record,
 * a well-formed compressed and checksummed chunk record, a footer), so the fuzzer spends its
 * time on the reader's checks of column values (ids, deltas, times, sparse groups, strings)
 * instead of on checksums. Must return an error or read cleanly, never crash, hang or leak. */
#include <stdint.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zstd.h>

#include "opstream.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The 12-byte file header plus the header record, and the footer record, of an empty
 * stream made by the writer once (process-wide, read-only after the first call). */
static uint8_t *prefix, *footer;
static size_t prefix_len, footer_len;

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void make_frame(void)
{
	char path[64];
	snprintf(path, sizeof(path), "/tmp/fuzz_cols_%ld.tcs", (long)getpid());
	struct tc_err err = TC_ERR_INIT;
	struct tc_ops_writer *w;
	struct tc_ops_header h = {0};
	h.source_format = "synthetic";
	if (tc_ops_writer_open(&w, path, &h, NULL, &err) || tc_ops_writer_close(w, &err))
		abort();
	FILE *f = fopen(path, "rb");
	uint8_t buf[4096];
	size_t n = f ? fread(buf, 1, sizeof(buf), f) : 0;
	if (f)
		fclose(f);
	unlink(path);
	size_t hdr_end = 12 + 16 + le32(buf + 12 + 4);
	if (n < hdr_end + 16)
		abort();
	prefix_len = hdr_end;
	footer_len = n - hdr_end;
	prefix = malloc(prefix_len);
	footer = malloc(footer_len);
	memcpy(prefix, buf, prefix_len);
	memcpy(footer, buf + hdr_end, footer_len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!prefix)
		make_frame();
	if (size > (1u << 20))
		return 0;
	size_t bound = ZSTD_compressBound(size);
	uint8_t *file = malloc(prefix_len + 16 + bound + footer_len);
	if (!file)
		return 0;
	memcpy(file, prefix, prefix_len);
	uint8_t *rec = file + prefix_len;
	ZSTD_CCtx *cc = ZSTD_createCCtx();
	ZSTD_CCtx_setParameter(cc, ZSTD_c_checksumFlag, 1);
	ZSTD_CCtx_setParameter(cc, ZSTD_c_compressionLevel, 1);
	size_t z = ZSTD_compress2(cc, rec + 16, bound, data, size);
	ZSTD_freeCCtx(cc);
	if (ZSTD_isError(z)) {
		free(file);
		return 0;
	}
	uint32_t check = (uint32_t)tc_hash64(rec + 16, z, 0);
	const uint32_t fields[3] = {(uint32_t)z, (uint32_t)size, check};
	memset(rec, 0, 16);
	rec[0] = 2; /* a chunk */
	for (int k = 0; k < 3; k++)
		for (int b = 0; b < 4; b++)
			rec[4 + 4 * k + b] = (uint8_t)(fields[k] >> (8 * b));
	memcpy(rec + 16 + z, footer, footer_len);
	size_t len = prefix_len + 16 + z + footer_len;

	struct tc_err err = TC_ERR_INIT;
	struct tc_ops_reader *r;
	const struct tc_op *ops;
	size_t n;
	if (tc_ops_reader_open_mem(&r, file, len, "fuzz.tcs", &err) == 0) {
		uint64_t sum = 0;
		while (tc_ops_reader_next(r, &ops, &n, &err) > 0)
			for (size_t i = 0; i < n; i++) {
				sum += (uint64_t)ops[i].ts_ns + (uint64_t)ops[i].dur_ns +
				       ops[i].n_shapes;
				for (uint32_t s = 0; s < ops[i].n_shapes; s++)
					for (uint32_t d = 0; d < ops[i].shapes[s].rank; d++)
						sum += (uint64_t)ops[i].shapes[s].dims[d];
				for (uint32_t d = 0; d < ops[i].n_deps; d++)
					sum += ops[i].deps[d];
				sum += (uint64_t)tc_ops_reader_string(r, ops[i].name)[0];
				sum += (uint64_t)tc_ops_reader_lane(r, ops[i].lane)->name[0];
			}
		(void)sum;
		tc_ops_reader_free(r);
	}
	free(file);
	return 0;
}

/* bench_inflate.c - inflate a .gz three ways, best of 5: zlib (streaming into 1 MiB), libdeflate
 * (whole buffer: it has no streaming API) and ISA-L igzip (streaming), the candidates of
 * ingest/input.c. Prints MB/s of uncompressed output. Usage: bench_inflate FILE.gz */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>
#include <libdeflate.h>
#include <isa-l/igzip_lib.h>
static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec * 1e-9;
}
int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: bench_inflate FILE.gz\n");
		return 2;
	}
	FILE *f = fopen(argv[1], "rb");
	if (!f) {
		perror(argv[1]);
		return 1;
	}
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	unsigned char *in = malloc(n);
	if (fread(in, 1, n, f) != (size_t)n) {
		perror(argv[1]);
		return 1;
	}
	fclose(f);
	size_t cap = (size_t)n * 40 + (1 << 20);
	unsigned char *out = malloc(cap);
	static unsigned char buf[1 << 20];
	int reps = 5;
	double best[3] = {1e9, 1e9, 1e9};
	size_t outn = 0;
	for (int r = 0; r < reps; r++) {
		/* zlib streaming into a 1 MiB buffer */
		double t0 = now();
		z_stream zs;
		memset(&zs, 0, sizeof zs);
		inflateInit2(&zs, 16 + MAX_WBITS);
		zs.next_in = in;
		zs.avail_in = n;
		size_t tot = 0;
		int zr;
		do {
			zs.next_out = buf;
			zs.avail_out = sizeof buf;
			zr = inflate(&zs, Z_NO_FLUSH);
			tot += sizeof buf - zs.avail_out;
			if (zr == Z_STREAM_END && zs.avail_in) {
				inflateReset(&zs);
				zr = Z_OK;
			}
		} while (zr == Z_OK);
		inflateEnd(&zs);
		double t = now() - t0;
		if (t < best[0])
			best[0] = t;
		outn = tot;
		/* libdeflate whole buffer */
		t0 = now();
		struct libdeflate_decompressor *d = libdeflate_alloc_decompressor();
		size_t got = 0;
		libdeflate_gzip_decompress(d, in, n, out, cap, &got);
		libdeflate_free_decompressor(d);
		t = now() - t0;
		if (t < best[1])
			best[1] = t;
		/* igzip streaming */
		t0 = now();
		struct inflate_state st;
		isal_inflate_init(&st);
		st.crc_flag = ISAL_GZIP;
		st.next_in = in;
		st.avail_in = n;
		tot = 0;
		int ir;
		do {
			st.next_out = buf;
			st.avail_out = sizeof buf;
			ir = isal_inflate(&st);
			tot += sizeof buf - st.avail_out;
		} while (ir == ISAL_DECOMP_OK && st.block_state != ISAL_BLOCK_FINISH);
		t = now() - t0;
		if (t < best[2])
			best[2] = t;
	}
	printf("%-60s %7.1f MB gz -> %7.1f MB: zlib %6.1f ms (%5.0f MB/s) libdeflate %6.1f ms "
	       "(%5.0f MB/s) igzip %6.1f ms (%5.0f MB/s)\n",
	       strrchr(argv[1], '/') ? strrchr(argv[1], '/') + 1 : argv[1], n / 1e6, outn / 1e6,
	       best[0] * 1e3, outn / best[0] / 1e6, best[1] * 1e3, outn / best[1] / 1e6,
	       best[2] * 1e3, outn / best[2] / 1e6);
}

/* driver.c - standalone replay driver for the fuzz targets, so every build (gcc, sanitizers,
 * valgrind) runs each target over its seed corpus and past crashes as the fuzz-smoke suite.
 * With clang and -Dfuzz=true the same targets link against libFuzzer instead.
 * usage: fuzz_X FILE_OR_DIR... */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "cannot open %s\n", path);
		return 1;
	}
	uint8_t *buf = NULL;
	size_t len = 0, cap = 0;
	for (;;) {
		if (len == cap) {
			cap = cap ? cap * 2 : 65536;
			buf = realloc(buf, cap);
			if (!buf)
				abort();
		}
		size_t got = fread(buf + len, 1, cap - len, f);
		if (!got)
			break;
		len += got;
	}
	fclose(f);
	LLVMFuzzerTestOneInput(buf, len);
	/* every prefix of a seed too: truncation is the commonest real-world damage */
	for (size_t cut = 0; cut < len; cut += len / 64 + 1)
		LLVMFuzzerTestOneInput(buf, cut);
	free(buf);
	return 0;
}

static int compare(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int main(int argc, char **argv)
{
	int rc = 0, n = 0;
	for (int i = 1; i < argc; i++) {
		struct stat st;
		if (stat(argv[i], &st) != 0) {
			fprintf(stderr, "missing %s\n", argv[i]);
			return 1;
		}
		if (!S_ISDIR(st.st_mode)) {
			rc |= run_file(argv[i]);
			n++;
			continue;
		}
		DIR *d = opendir(argv[i]);
		struct dirent *e;
		char **names = NULL;
		size_t nn = 0;
		while (d && (e = readdir(d))) {
			if (e->d_name[0] == '.')
				continue;
			names = realloc(names, (nn + 1) * sizeof(*names));
			size_t l = strlen(argv[i]) + strlen(e->d_name) + 2;
			names[nn] = malloc(l);
			snprintf(names[nn++], l, "%s/%s", argv[i], e->d_name);
		}
		if (d)
			closedir(d);
		qsort(names, nn, sizeof(*names), compare);
		for (size_t k = 0; k < nn; k++) {
			rc |= run_file(names[k]);
			n++;
			free(names[k]);
		}
		free(names);
	}
	printf("%d inputs replayed without a crash\n", n);
	if (n == 0) {
		fprintf(stderr, "no inputs: the seed corpus is missing\n");
		return 1;
	}
	return rc;
}

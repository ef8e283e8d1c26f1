/*
 * driver.c -- a plain main() for the fuzz targets, so `make check` can
 * replay each seed corpus under ASan/UBSan without libFuzzer: every file
 * named on the command line is read whole and passed once to
 * LLVMFuzzerTestOneInput(). A crash is the sanitizer's report; success
 * prints one line "fuzz: PROGRAM: N inputs OK". libFuzzer builds
 * (run-libfuzzer.sh) link the same targets without this file.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Read path into a buffer of exactly its size (so ASan sees over-reads). */
static uint8_t *read_file(const char *path, size_t *size)
{
	FILE *f = fopen(path, "rb");
	uint8_t *data = NULL;
	long n;

	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0)
		goto out;
	data = malloc(n > 0 ? (size_t)n : 1);
	if (data == NULL)
		goto out;
	if (n > 0 && fread(data, 1, (size_t)n, f) != (size_t)n) {
		free(data);
		data = NULL;
		goto out;
	}
	*size = (size_t)n;
out:
	fclose(f);
	return data;
}

int main(int argc, char **argv)
{
	const char *prog = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
	int i;

	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE...\n", prog);
		return 2;
	}
	for (i = 1; i < argc; i++) {
		size_t size = 0;
		uint8_t *data;

		errno = 0;
		data = read_file(argv[i], &size);
		if (data == NULL) {
			fprintf(stderr, "%s: %s: %s\n", prog, argv[i],
			        strerror(errno ? errno : EIO));
			return 1;
		}
		LLVMFuzzerTestOneInput(data, size);
		free(data);
	}
	printf("fuzz: %s: %d inputs OK\n", prog, argc - 1);
	return 0;
}

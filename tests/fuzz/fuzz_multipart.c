/*
 * fuzz_multipart.c -- fuzz target for the streaming multipart/form-data
 * parser (lib/multipart.c), with the fixed boundary "AaB03x" the seed
 * corpus uses. Each input is parsed three times: in one feed, in a few
 * chunks whose sizes come from a hash of the input, and one byte at a
 * time. Beyond the sanitizers, the target aborts when the three parses
 * differ in result, error or transcript (parts and bytes), when more data
 * bytes come out than went in, when a part's data holds the delimiter,
 * when callbacks come out of order (data or an end outside a part), when a
 * part's name is empty or a field is over MP_FIELD_MAX, when more than
 * boundary length + 3 bytes are held back between feeds, or when a
 * successful parse left a part open. An error must carry a reason.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "multipart.h"

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond))                                                                       \
			abort();                                                                   \
	} while (0)

#define BOUNDARY "AaB03x"
#define DELIM "\r\n--" BOUNDARY

/* What one parse produced; parts' data is kept whole to check it. */
struct run {
	uint64_t hash; /* FNV-1a over events and data */
	size_t data_bytes, input;
	unsigned parts, ends;
	int in_part;
	char *part; /* the current part's data (input-sized buffer) */
	size_t part_len;
};

static void mix(struct run *r, const void *s, size_t n)
{
	const unsigned char *c = s;
	size_t i;

	for (i = 0; i < n; i++)
		r->hash = (r->hash ^ c[i]) * 0x100000001b3ULL;
}

static void mix_str(struct run *r, const char *s)
{
	mix(r, s != NULL ? s : "\1", s != NULL ? strlen(s) + 1 : 1);
}

static int on_part(void *ud, const struct mp_part *p)
{
	struct run *r = ud;

	CHECK(!r->in_part);
	CHECK(p->name != NULL && p->name[0] != '\0' && strlen(p->name) <= MP_FIELD_MAX);
	CHECK(p->filename == NULL || strlen(p->filename) <= MP_FIELD_MAX);
	CHECK(p->content_type == NULL ||
	      (p->content_type[0] != '\0' && strlen(p->content_type) <= MP_FIELD_MAX));
	r->in_part = 1;
	r->parts++;
	r->part_len = 0;
	mix(r, "P", 1);
	mix_str(r, p->name);
	mix_str(r, p->filename);
	mix_str(r, p->content_type);
	return 0;
}

static int on_data(void *ud, const char *data, size_t n)
{
	struct run *r = ud;

	CHECK(r->in_part && n > 0);
	r->data_bytes += n;
	CHECK(r->data_bytes <= r->input);
	CHECK(r->part_len + n <= r->input);
	memcpy(r->part + r->part_len, data, n);
	r->part_len += n;
	mix(r, data, n); /* no marker: chunking must not change the hash */
	return 0;
}

static int on_part_end(void *ud)
{
	struct run *r = ud;

	CHECK(r->in_part);
	CHECK(memmem(r->part, r->part_len, DELIM, strlen(DELIM)) == NULL);
	r->in_part = 0;
	r->ends++;
	mix(r, "E", 1);
	return 0;
}

static const struct mp_callbacks cbs = {on_part, on_data, on_part_end};

/* Parse data[0..size) in pieces of the sizes step() gives; the result. */
static int parse(struct mp_parser *p, struct run *r, const char *data, size_t size,
                 size_t (*step)(size_t off, uint64_t seed), uint64_t seed)
{
	size_t off = 0;
	int rc = MP_OK, fin;

	r->hash = 0xcbf29ce484222325ULL;
	mp_init(p, BOUNDARY, &cbs, r);
	while (off < size && rc == MP_OK) {
		size_t n = step(off, seed);

		if (n > size - off)
			n = size - off;
		rc = mp_feed(p, data + off, n);
		off += n;
		CHECK(p->match < strlen(DELIM));
	}
	fin = mp_finish(p);
	if (rc != MP_OK) {
		CHECK(fin == rc);
	} else if (fin == MP_OK) {
		CHECK(!r->in_part && r->parts == r->ends);
	}
	if (fin != MP_OK)
		CHECK(mp_error(p)[0] != '\0');
	CHECK(mp_feed(p, "x", 1) == fin);
	mix(r, &fin, sizeof(fin));
	mix_str(r, mp_error(p));
	return fin;
}

static size_t whole(size_t off, uint64_t seed)
{
	return SIZE_MAX;
}

static size_t bytewise(size_t off, uint64_t seed)
{
	return 1;
}

/* Chunks of 1..64 bytes, a different size at each offset. */
static size_t chunks(size_t off, uint64_t seed)
{
	return 1 + (size_t)(((seed ^ off) * 0x9e3779b97f4a7c15ULL) >> 58);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct mp_parser p; /* 12 KiB: not on the fuzzer's stack */
	struct run r[3];
	uint64_t seed = 0xcbf29ce484222325ULL;
	size_t i;

	for (i = 0; i < size; i++)
		seed = (seed ^ data[i]) * 0x100000001b3ULL;
	memset(r, 0, sizeof(r));
	for (i = 0; i < 3; i++) {
		r[i].input = size;
		r[i].part = malloc(size > 0 ? size : 1);
		CHECK(r[i].part != NULL);
	}
	parse(&p, &r[0], (const char *)data, size, whole, seed);
	parse(&p, &r[1], (const char *)data, size, chunks, seed);
	parse(&p, &r[2], (const char *)data, size, bytewise, seed);
	for (i = 1; i < 3; i++) {
		CHECK(r[i].hash == r[0].hash);
		CHECK(r[i].data_bytes == r[0].data_bytes);
		CHECK(r[i].parts == r[0].parts && r[i].ends == r[0].ends);
	}
	for (i = 0; i < 3; i++)
		free(r[i].part);
	return 0;
}

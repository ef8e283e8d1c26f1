/*
 * upload.h -- one file streamed out of a multipart/form-data request body
 * into a temporary file of the storage (DESIGN §8 "Documents"), for the
 * routes that take files (lib/documents.c, lib/period_terms.c).
 *
 * The body is parsed as it is read (multipart.h); the file part goes to
 * storage_tmp_open's file with its size bounded as it grows (413), its
 * SHA-256 computed and its first bytes kept for docfile_type(); a "kind"
 * text part is kept when the route takes one. Nothing is ever whole in
 * memory. The caller then checks what arrived, scans it (upload_scan),
 * stores it (storage_put of u->tmp) or discards it (upload_discard).
 */
#ifndef SCH_UPLOAD_H
#define SCH_UPLOAD_H

#include <sodium.h>
#include <stddef.h>

#include "document_file.h"
#include "multipart.h"

struct ctx;

struct upload {
	struct ctx *c;
	int fd;         /* the temporary file, or -1 */
	char tmp[4096]; /* its path */
	int takes_kind; /* a "kind" text part is expected */
	int files;      /* file parts seen (more than one is refused) */
	char kind[65];  /* the kind part, NUL-terminated */
	size_t kind_len;
	const char *filename; /* display name (docfile_display_name) */
	unsigned char head[DOCFILE_HEAD];
	size_t head_len;
	unsigned long long size, max;
	crypto_hash_sha256_state sha;
	char boundary[MP_BOUNDARY_MAX + 1];
	int part;            /* which part the parser is in */
	const char *refusal; /* why a callback stopped the parse */
	int status;          /* and the answer it calls for */
};

/*
 * Before reading: the boundary of the Content-Type and the declared
 * length against max bytes of file. 0, or -1 with 400/413 answered.
 */
int upload_begin(struct ctx *c, struct upload *u, unsigned long long max, int takes_kind);

/* Read and parse the whole body: 0, or -1 with the answer given (400,
 * 413, 422, 500, 503) and the temporary file removed. */
int upload_read(struct upload *u);

/*
 * When CLAMAV_SOCKET is set, stream the file to clamd: 0 clean (or no
 * scanner), -1 answered and the file removed: a finding is 422 naming the
 * signature with an audit row (action document.infected on entity_type /
 * entity_id), a scanner that cannot answer 503.
 */
int upload_scan(struct upload *u, const char *entity_type, const char *entity_id);

/* The SHA-256 of the file as hex (out[65]); closes the file, which stays
 * at u->tmp for storage_put. */
void upload_finish(struct upload *u, char out[65]);

/* Remove the temporary file, if any. */
void upload_discard(struct upload *u);

/* A random (version 4) UUID as text, in out[37]: the key of an object. */
void upload_new_uuid(char out[37]);

#endif

/*
 * s3sign.h -- AWS Signature Version 4 query-string presigning for S3
 * (DESIGN §8 "Documents": a 60-second URL for a download).
 *
 * Pure: no I/O, no allocation, no clock. The caller gives every input,
 * including the time, so a URL can be checked against a published vector
 * or another implementation byte for byte. The request is signed with the
 * host header only and the payload UNSIGNED-PAYLOAD, as S3 expects of a
 * presigned URL; path-style addressing (/bucket/key).
 */
#ifndef SCH_S3SIGN_H
#define SCH_S3SIGN_H

#include <stddef.h>
#include <time.h>

struct s3sign_input {
	const char *method; /* "GET" */
	const char *scheme; /* "http" or "https" */
	const char *host;   /* host[:port], exactly as the client will send it */
	const char *path;   /* "/bucket/key", not encoded: encoded here, '/' kept */
	const char *region; /* "us-east-1" */
	const char *access_key;
	const char *secret_key;
	time_t when;              /* the signing time (UTC) */
	long expires;             /* seconds the URL is valid, 1..604800 */
	const char *disposition;  /* response-content-disposition, or NULL */
	const char *content_type; /* response-content-type, or NULL */
};

/*
 * Write the presigned URL for in into out (n bytes). 0, or -1 when an
 * input is missing or out of range or the URL does not fit. Nothing of
 * the secret reaches out; intermediate keys are wiped.
 */
int s3sign_presign(const struct s3sign_input *in, char *out, size_t n);

/* Hex SHA-256 of p (len bytes) into hex (65 bytes, NUL-terminated). */
void s3sign_sha256_hex(const void *p, size_t len, char hex[65]);

/*
 * Percent-encode s as SigV4 wants (RFC 3986 unreserved kept, %XX upper
 * case), '/' kept too when keep_slash; into out (n bytes). 0, or -1 when
 * it does not fit.
 */
int s3sign_uri_encode(const char *s, int keep_slash, char *out, size_t n);

#endif

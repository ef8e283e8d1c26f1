/*
 * storage_s3.h -- the s3 backend of storage.h: objects in a bucket of an
 * S3-compatible service (MinIO, AWS) through libcurl with SigV4
 * (CURLOPT_AWS_SIGV4), path-style URLs http(s)://MINIO_ENDPOINT/bucket/key.
 *
 * storage.c checks keys and dispatches here; these functions trust their
 * key. Every failure is logged once here, with the status and S3 error
 * code, never with a credential.
 */
#ifndef SCH_STORAGE_S3_H
#define SCH_STORAGE_S3_H

struct arena;
struct config;

/* HEAD the bucket; PUT it when missing. 0, or -1 (logged). */
int s3_check(const struct config *cfg);

/* PUT the file tmp (size bytes, SHA-256 sha256_hex) as key; tmp is removed
 * in every case. 0 when S3 accepted it, or -1 (logged). */
int s3_put(const struct config *cfg, const char *tmp, const char *key, long long size,
           const char *sha256_hex, const char *content_type);

/* DELETE key: 0 also when it was not there, or -1 (logged). */
int s3_remove(const struct config *cfg, const char *key);

/* A GET URL for key valid 60 s on MINIO_PUBLIC_ENDPOINT (else
 * MINIO_ENDPOINT), with the response headers given. Arena memory, or NULL
 * (logged). */
char *s3_presign(const struct config *cfg, struct arena *a, const char *key,
                 const char *disposition, const char *content_type);

/* Called by s3_list for each object: its key and LastModified (seconds
 * since the epoch); 0 to go on, anything else to stop. */
typedef int (*s3_list_fn)(const char *key, long long last_modified, void *ctx);

/* List the bucket's objects under "applications/" (ListObjectsV2, every
 * page) and call fn for each whose key is applications/<uuid>/<uuid>;
 * other keys are skipped. 0 when all were listed, 1 when fn stopped it,
 * or -1 (logged). */
int s3_list(const struct config *cfg, s3_list_fn fn, void *ctx);

#endif

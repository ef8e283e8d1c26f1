/*
 * storage_s3.c -- the s3 backend (see storage_s3.h).
 *
 * One CURL easy handle per operation: storage calls are a few per upload
 * or delete, and a handle per call keeps the workers free of state that
 * could outlive a fork. libcurl 7.88 signs with SigV4 when
 * CURLOPT_AWS_SIGV4 is set but does not add x-amz-content-sha256, which
 * S3 and MinIO require: it is sent here (the upload's SHA-256, computed
 * while it streamed in, so S3 also checks the bytes it got) and curl
 * includes it in the signature. Credentials go through CURLOPT_USERNAME
 * and CURLOPT_PASSWORD, never into a URL or a log line.
 *
 * MINIO_ENDPOINT is "host[:port]" (the MinIO convention; the scheme comes
 * from MINIO_USE_TLS) or a URL "http(s)://host[:port]". Downloads are
 * presigned by s3sign.c for MINIO_PUBLIC_ENDPOINT when browsers reach the
 * storage under another name, and for MINIO_ENDPOINT otherwise.
 */
#include "storage_s3.h"

#include "arena.h"
#include "config.h"
#include "log.h"
#include "s3sign.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define S3_CONNECT_TIMEOUT 5L /* seconds */
#define S3_TIMEOUT 300L       /* seconds for a whole operation */
#define S3_LOW_SPEED 1024L    /* bytes/s below which ... */
#define S3_LOW_SPEED_TIME 15L /* ... for this long, curl gives up */
#define S3_PRESIGN_EXPIRES 60L

/* The SHA-256 of an empty body. */
static const char empty_sha256[] =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/* Split an endpoint into scheme and host[:port]. 0, or -1. */
static int endpoint(const char *ep, int tls, const char **scheme, char *host, size_t n)
{
	size_t len;

	*scheme = tls ? "https" : "http";
	if (strncmp(ep, "http://", 7) == 0)
		*scheme = "http", ep += 7;
	else if (strncmp(ep, "https://", 8) == 0)
		*scheme = "https", ep += 8;
	len = strcspn(ep, "/");
	if (len == 0 || len >= n)
		return -1;
	memcpy(host, ep, len);
	host[len] = '\0';
	return 0;
}

/* The object's (or, key NULL, the bucket's) URL on MINIO_ENDPOINT. */
static int object_url(const struct config *cfg, const char *key, char *url, size_t n)
{
	char host[256], path[1024];
	const char *scheme;
	int len;

	if (endpoint(cfg->minio_endpoint, cfg->minio_use_tls, &scheme, host, sizeof(host)) < 0 ||
	    s3sign_uri_encode(cfg->minio_bucket, 0, path, sizeof(path)) < 0)
		goto bad;
	len = snprintf(url, n, "%s://%s/%s", scheme, host, path);
	if (len < 0 || (size_t)len >= n)
		goto bad;
	if (key == NULL)
		return 0;
	if (n - (size_t)len < 2)
		goto bad;
	url[len++] = '/';
	if (s3sign_uri_encode(key, 1, url + len, n - (size_t)len) < 0)
		goto bad;
	return 0;
bad:
	log_error("storage: s3: MINIO_ENDPOINT or MINIO_BUCKET_NAME cannot make a URL");
	return -1;
}

/* The start of an error response, kept for the log line. */
struct reply {
	char text[512];
	size_t len;
};

static size_t keep_reply(char *p, size_t size, size_t nmemb, void *ctx)
{
	struct reply *r = ctx;
	size_t n = size * nmemb, room = sizeof(r->text) - 1 - r->len;

	memcpy(r->text + r->len, p, n < room ? n : room);
	r->len += n < room ? n : room;
	r->text[r->len] = '\0';
	return n;
}

/* The <Code> of an S3 error document, or "-". */
static const char *s3_code(const struct reply *r, char *code, size_t n)
{
	const char *p = strstr(r->text, "<Code>"), *e;

	if (p == NULL || (e = strstr(p += 6, "</Code>")) == NULL || (size_t)(e - p) >= n)
		return "-";
	memcpy(code, p, (size_t)(e - p));
	code[e - p] = '\0';
	return code;
}

/* Append line to *h; 0, or -1 (*h is kept for curl_slist_free_all). */
static int add_header(struct curl_slist **h, const char *line)
{
	struct curl_slist *n = curl_slist_append(*h, line);

	if (n == NULL)
		return -1;
	*h = n;
	return 0;
}

/*
 * Run one signed request: method on url, with body (NULL: none) of size
 * bytes whose SHA-256 is sha, and the extra header hdr (or NULL). The HTTP
 * status, or -1 when there was no answer (logged). A status of 300 or more
 * is logged unless it is quiet, an answer the caller expects.
 */
static long s3_request(const struct config *cfg, const char *method, const char *url, FILE *body,
                       long long size, const char *sha, const char *hdr, long quiet,
                       const char *what)
{
	char sigv4[128], shahdr[128], code[64];
	struct curl_slist *h = NULL;
	struct reply r = {.len = 0};
	long status = -1;
	CURL *c = curl_easy_init();
	CURLcode rc;

	r.text[0] = '\0';
	snprintf(sigv4, sizeof(sigv4), "aws:amz:%s:s3", cfg->minio_region);
	snprintf(shahdr, sizeof(shahdr), "x-amz-content-sha256: %s", sha);
	/* No "Expect:" to switch off 100-continue: curl 7.88 would sign the
	 * empty header it never sends, and S3 would refuse the signature. */
	if (c == NULL || add_header(&h, shahdr) < 0 || (hdr != NULL && add_header(&h, hdr) < 0)) {
		log_error("storage: s3: %s: out of memory", what);
		goto out;
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_AWS_SIGV4, sigv4);
	curl_easy_setopt(c, CURLOPT_USERNAME, cfg->minio_access_key);
	curl_easy_setopt(c, CURLOPT_PASSWORD, cfg->minio_secret_key);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, S3_CONNECT_TIMEOUT);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, S3_TIMEOUT);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, S3_LOW_SPEED);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, S3_LOW_SPEED_TIME);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, keep_reply);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &r);
	if (strcmp(method, "HEAD") == 0) {
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	} else if (body != NULL) {
		curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(c, CURLOPT_READDATA, body);
		curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)size);
	} else {
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	}
	if ((rc = curl_easy_perform(c)) != CURLE_OK) {
		log_error("storage: s3: %s: %s", what, curl_easy_strerror(rc));
		goto out;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	if (status >= 300 && status != quiet)
		log_error("storage: s3: %s: HTTP %ld %s", what, status,
		          s3_code(&r, code, sizeof(code)));
out:
	curl_slist_free_all(h);
	if (c != NULL)
		curl_easy_cleanup(c);
	return status;
}

int s3_check(const struct config *cfg)
{
	char url[2048], body[256], sha[65], what[300];
	FILE *f = NULL;
	long st;
	int n, rc = -1;

	if (object_url(cfg, NULL, url, sizeof(url)) < 0)
		return -1;
	snprintf(what, sizeof(what), "bucket %.200s", cfg->minio_bucket);
	st = s3_request(cfg, "HEAD", url, NULL, 0, empty_sha256, NULL, 404, what);
	if (st >= 200 && st < 300)
		return 0;
	if (st != 404)
		return -1;
	/* us-east-1 is S3's default location and takes no body. */
	n = strcmp(cfg->minio_region, "us-east-1") == 0
	        ? 0
	        : snprintf(body, sizeof(body),
	                   "<CreateBucketConfiguration><LocationConstraint>%s</LocationConstraint>"
	                   "</CreateBucketConfiguration>",
	                   cfg->minio_region);
	if (n < 0 || (size_t)n >= sizeof(body))
		return -1;
	s3sign_sha256_hex(body, (size_t)n, sha);
	if ((f = fmemopen(n > 0 ? body : (char *)"", n > 0 ? (size_t)n : 1, "r")) == NULL) {
		log_error("storage: s3: fmemopen: %s", strerror(errno));
		return -1;
	}
	st = s3_request(cfg, "PUT", url, f, n, sha, NULL, 409, what);
	if (st >= 200 && st < 300) {
		log_info("storage: s3: created bucket %.200s", cfg->minio_bucket);
		rc = 0;
	} else if (st == 409) {
		/* Another worker created it first, or it is someone else's. */
		st = s3_request(cfg, "HEAD", url, NULL, 0, empty_sha256, NULL, 0, what);
		rc = st >= 200 && st < 300 ? 0 : -1;
	}
	fclose(f);
	return rc;
}

int s3_put(const struct config *cfg, const char *tmp, const char *key, long long size,
           const char *sha256_hex, const char *content_type)
{
	char url[2048], type[300], what[300];
	struct stat sb;
	FILE *f = NULL;
	long st;
	int rc = -1;

	snprintf(what, sizeof(what), "PUT %.200s", key);
	if (object_url(cfg, key, url, sizeof(url)) < 0 || strchr(content_type, '\n') != NULL ||
	    strchr(content_type, '\r') != NULL)
		goto out;
	snprintf(type, sizeof(type), "Content-Type: %.250s", content_type);
	if ((f = fopen(tmp, "rbe")) == NULL || fstat(fileno(f), &sb) < 0) {
		log_error("storage: s3: open %s: %s", tmp, strerror(errno));
		goto out;
	}
	if (sb.st_size != size) {
		log_error("storage: s3: %s has %lld bytes, not %lld", tmp, (long long)sb.st_size,
		          size);
		goto out;
	}
	st = s3_request(cfg, "PUT", url, f, size, sha256_hex, type, 404, what);
	/* No bucket: the storage was down when the worker started. */
	if (st == 404 && s3_check(cfg) == 0) {
		rewind(f);
		st = s3_request(cfg, "PUT", url, f, size, sha256_hex, type, 0, what);
	} else if (st == 404) {
		log_error("storage: s3: %s: HTTP 404", what);
	}
	rc = st >= 200 && st < 300 ? 0 : -1;
out:
	if (f != NULL)
		fclose(f);
	unlink(tmp);
	return rc;
}

int s3_remove(const struct config *cfg, const char *key)
{
	char url[2048], what[300];
	long st;

	snprintf(what, sizeof(what), "DELETE %.200s", key);
	if (object_url(cfg, key, url, sizeof(url)) < 0)
		return -1;
	st = s3_request(cfg, "DELETE", url, NULL, 0, empty_sha256, NULL, 404, what);
	return (st >= 200 && st < 300) || st == 404 ? 0 : -1;
}

char *s3_presign(const struct config *cfg, struct arena *a, const char *key,
                 const char *disposition, const char *content_type)
{
	const char *ep = cfg->minio_public_endpoint != NULL && *cfg->minio_public_endpoint
	                     ? cfg->minio_public_endpoint
	                     : cfg->minio_endpoint;
	char host[256], path[1024], url[16384];
	struct s3sign_input in = {
	    .method = "GET",
	    .region = cfg->minio_region,
	    .access_key = cfg->minio_access_key,
	    .secret_key = cfg->minio_secret_key,
	    .when = time(NULL),
	    .expires = S3_PRESIGN_EXPIRES,
	    .disposition = disposition,
	    .content_type = content_type,
	};
	int n;

	n = snprintf(path, sizeof(path), "/%s/%s", cfg->minio_bucket, key);
	if (n < 0 || (size_t)n >= sizeof(path) ||
	    endpoint(ep, cfg->minio_use_tls, &in.scheme, host, sizeof(host)) < 0 ||
	    (in.host = host, in.path = path, s3sign_presign(&in, url, sizeof(url)) < 0)) {
		log_error("storage: s3: cannot presign %.200s", key);
		return NULL;
	}
	return arena_strdup(a, url);
}

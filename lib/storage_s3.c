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
#include <stdlib.h>
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

#define S3_LIST_MAX (16L << 20) /* bytes of one ListObjectsV2 answer */

/* The start of an error response, kept for the log line; with all set,
 * the whole body too (malloc'd in body, NUL-terminated, up to
 * S3_LIST_MAX bytes). */
struct reply {
	char text[512];
	size_t len;
	int all;
	char *body;
	size_t body_len, body_cap;
};

static size_t keep_reply(char *p, size_t size, size_t nmemb, void *ctx)
{
	struct reply *r = ctx;
	size_t n = size * nmemb, room = sizeof(r->text) - 1 - r->len;

	if (r->all) {
		if (r->body_len + n + 1 > r->body_cap) {
			size_t cap = r->body_cap ? r->body_cap : 65536;
			char *b;

			while (cap < r->body_len + n + 1)
				cap *= 2;
			if (cap > (size_t)S3_LIST_MAX || (b = realloc(r->body, cap)) == NULL)
				return 0; /* curl fails the transfer */
			r->body = b;
			r->body_cap = cap;
		}
		memcpy(r->body + r->body_len, p, n);
		r->body_len += n;
		r->body[r->body_len] = '\0';
	}
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
static long s3_request_r(const struct config *cfg, const char *method, const char *url, FILE *body,
                         long long size, const char *sha, const char *hdr, long quiet,
                         const char *what, struct reply *rp)
{
	char sigv4[128], shahdr[128], code[64];
	struct curl_slist *h = NULL;
	struct reply *r = rp;
	long status = -1;
	CURL *c = curl_easy_init();
	CURLcode rc;

	r->len = 0;
	r->text[0] = '\0';
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
	curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
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
		          s3_code(r, code, sizeof(code)));
out:
	curl_slist_free_all(h);
	if (c != NULL)
		curl_easy_cleanup(c);
	return status;
}

static long s3_request(const struct config *cfg, const char *method, const char *url, FILE *body,
                       long long size, const char *sha, const char *hdr, long quiet,
                       const char *what)
{
	struct reply r = {.len = 0};

	return s3_request_r(cfg, method, url, body, size, sha, hdr, quiet, what, &r);
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

/* The text between <tag> and </tag> at or after p, before end: its start
 * and length in *v, *vn, and the position after the closing tag; NULL when
 * there is none. */
static const char *xml_elem(const char *p, const char *end, const char *tag, const char **v,
                            size_t *vn)
{
	char open[64], close[64];
	const char *s, *e;

	snprintf(open, sizeof(open), "<%s>", tag);
	snprintf(close, sizeof(close), "</%s>", tag);
	if ((s = strstr(p, open)) == NULL || s >= end)
		return NULL;
	s += strlen(open);
	if ((e = strstr(s, close)) == NULL || e > end)
		return NULL;
	*v = s;
	*vn = (size_t)(e - s);
	return e + strlen(close);
}

/* Decode the XML text s (n bytes: the five predefined entities, no
 * markup) into out (size cap). 0, or -1. */
static int xml_text(const char *s, size_t n, char *out, size_t cap)
{
	static const struct {
		const char *ent;
		char c;
	} ents[] = {
	    {"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&apos;", '\''}};
	size_t i = 0, o = 0, k;

	while (i < n) {
		char c = s[i];

		if (c == '<')
			return -1;
		if (c == '&') {
			for (k = 0; k < sizeof(ents) / sizeof(ents[0]); k++) {
				size_t l = strlen(ents[k].ent);

				if (n - i >= l && memcmp(s + i, ents[k].ent, l) == 0) {
					c = ents[k].c;
					i += l - 1;
					break;
				}
			}
			if (k == sizeof(ents) / sizeof(ents[0]))
				return -1;
		}
		if (o + 1 >= cap)
			return -1;
		out[o++] = c;
		i++;
	}
	out[o] = '\0';
	return 0;
}

/* Is s (n bytes) a lower- or upper-case hex UUID 8-4-4-4-12? */
static int is_uuid(const char *s, size_t n)
{
	size_t i;

	if (n != 36)
		return 0;
	for (i = 0; i < 36; i++) {
		int dash = i == 8 || i == 13 || i == 18 || i == 23;
		char c = s[i];

		if (dash ? c != '-'
		         : !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
		             (c >= 'A' && c <= 'F')))
			return 0;
	}
	return 1;
}

/* Is key applications/<uuid>/<uuid>? */
static int our_key(const char *key)
{
	static const char pre[] = "applications/";
	size_t n = strlen(key), p = sizeof(pre) - 1;

	return n == p + 36 + 1 + 36 && strncmp(key, pre, p) == 0 && is_uuid(key + p, 36) &&
	       key[p + 36] == '/' && is_uuid(key + p + 37, 36);
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian). */
static long long days_from_civil(long long y, unsigned m, unsigned d)
{
	long long era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (long long)doe - 719468;
}

/* An ISO 8601 UTC time "YYYY-MM-DDTHH:MM:SS[.fff]Z" as seconds since the
 * epoch; 0, or -1 when s is not one. */
static int parse_iso(const char *s, time_t *t)
{
	int y, mo, d, h, mi, sec, n = 0;

	if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &n) != 6 ||
	    n != 19 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60 ||
	    h < 0 || mi < 0 || sec < 0)
		return -1;
	s += 19;
	if (*s == '.') {
		s++;
		if (*s < '0' || *s > '9')
			return -1;
		while (*s >= '0' && *s <= '9')
			s++;
	}
	if (strcmp(s, "Z") != 0)
		return -1;
	*t = (time_t)(days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400LL + h * 3600LL +
	              mi * 60LL + sec);
	return 0;
}

int s3_list(const struct config *cfg, s3_list_fn fn, void *ctx)
{
	char url[2048], token[1100], etoken[3400], key[512], when[64];
	struct reply r;
	int rc = -1, stop = 0, truncated, pages = 0;
	size_t base;

	token[0] = '\0';
	if (object_url(cfg, NULL, url, sizeof(url)) < 0)
		return -1;
	base = strlen(url);
	do {
		const char *p, *end, *v, *c;
		size_t vn;
		long st;
		int len;

		/* The query in SigV4's canonical order (sorted, encoded): curl
		 * 7.88 signs it as it is. */
		etoken[0] = '\0';
		if (token[0] != '\0' && s3sign_uri_encode(token, 0, etoken, sizeof(etoken)) < 0)
			goto bad;
		len = snprintf(url + base, sizeof(url) - base,
		               "?%s%s%slist-type=2&prefix=applications%%2F",
		               token[0] ? "continuation-token=" : "", etoken, token[0] ? "&" : "");
		if (len < 0 || (size_t)len >= sizeof(url) - base)
			goto bad;
		memset(&r, 0, sizeof(r));
		r.all = 1;
		st = s3_request_r(cfg, "GET", url, NULL, 0, empty_sha256, NULL, 0,
		                  "list applications/", &r);
		if (st < 200 || st >= 300 || r.body == NULL) {
			if (st >= 200 && st < 300)
				log_error("storage: s3: list applications/: an empty answer");
			goto out;
		}
		p = r.body;
		end = r.body + r.body_len;
		while (!stop && (c = strstr(p, "<Contents>")) != NULL) {
			const char *ce = strstr(c, "</Contents>");
			const char *kv, *wv;
			size_t kn, wn;
			time_t t;

			if (ce == NULL) {
				log_error("storage: s3: list applications/: a <Contents> without "
				          "its end");
				goto out;
			}
			p = ce + 11;
			if (xml_elem(c, ce, "Key", &kv, &kn) == NULL ||
			    xml_elem(c, ce, "LastModified", &wv, &wn) == NULL ||
			    xml_text(kv, kn, key, sizeof(key)) < 0 || !our_key(key) ||
			    xml_text(wv, wn, when, sizeof(when)) < 0 || parse_iso(when, &t) < 0)
				continue; /* not one of ours */
			if (fn(key, (long long)t, ctx) != 0)
				stop = 1;
		}
		truncated = xml_elem(r.body, end, "IsTruncated", &v, &vn) != NULL && vn == 4 &&
		            memcmp(v, "true", 4) == 0;
		if (!stop && truncated) {
			if (xml_elem(r.body, end, "NextContinuationToken", &v, &vn) == NULL ||
			    xml_text(v, vn, token, sizeof(token)) < 0 || token[0] == '\0') {
				log_error(
				    "storage: s3: list applications/: truncated without a usable "
				    "NextContinuationToken");
				goto out;
			}
		}
		free(r.body);
		r.body = NULL;
		if (++pages > 100000) {
			log_error("storage: s3: list applications/: too many pages");
			return -1;
		}
	} while (!stop && truncated);
	return stop ? 1 : 0;
bad:
	log_error("storage: s3: list applications/: the URL does not fit");
	return -1;
out:
	free(r.body);
	return rc;
}

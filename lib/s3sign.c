/*
 * s3sign.c -- SigV4 query-string presigning (see s3sign.h).
 *
 * The steps are AWS's "Authenticating Requests: Using Query Parameters":
 * a canonical request (method, encoded path, sorted encoded query, the
 * host header, UNSIGNED-PAYLOAD), its SHA-256 in a string to sign with
 * the date and scope, and an HMAC-SHA256 chain from "AWS4" + secret down
 * to the signing key. The query parameters are few and fixed, so they are
 * written in their sorted order ("X-Amz-*" sorts before "response-*")
 * instead of being sorted at run time.
 */
#include "s3sign.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* A bounded string on the caller's storage; overflow sticks. */
struct sbuf {
	char *p;
	size_t len, cap;
	int overflow;
};

static void sb_init(struct sbuf *b, char *p, size_t cap)
{
	b->p = p, b->len = 0, b->cap = cap, b->overflow = cap == 0;
	if (cap)
		p[0] = '\0';
}

static void sb_puts(struct sbuf *b, const char *s)
{
	size_t n = strlen(s);

	if (b->overflow || n >= b->cap - b->len) {
		b->overflow = 1;
		return;
	}
	memcpy(b->p + b->len, s, n + 1);
	b->len += n;
}

/* Append s percent-encoded. */
static void sb_enc(struct sbuf *b, const char *s, int keep_slash)
{
	if (b->overflow)
		return;
	if (s3sign_uri_encode(s, keep_slash, b->p + b->len, b->cap - b->len) < 0) {
		b->overflow = 1;
		return;
	}
	b->len += strlen(b->p + b->len);
}

int s3sign_uri_encode(const char *s, int keep_slash, char *out, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		int plain = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		            (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
		            c == '~' || (keep_slash && c == '/');

		if (o + (plain ? 1 : 3) >= n)
			return -1;
		if (plain) {
			out[o++] = (char)c;
		} else {
			out[o++] = '%';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	if (o >= n)
		return -1;
	out[o] = '\0';
	return 0;
}

static void to_hex(const unsigned char *md, size_t len, char *hex)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < len; i++) {
		hex[2 * i] = digits[md[i] >> 4];
		hex[2 * i + 1] = digits[md[i] & 15];
	}
	hex[2 * len] = '\0';
}

void s3sign_sha256_hex(const void *p, size_t len, char hex[65])
{
	unsigned char md[SHA256_DIGEST_LENGTH];

	SHA256(p, len, md);
	to_hex(md, sizeof(md), hex);
}

/* out = HMAC-SHA256(key, msg); 0 or -1. */
static int hmac(const unsigned char *key, size_t klen, const char *msg, unsigned char *out)
{
	unsigned int olen = 0;

	return HMAC(EVP_sha256(), key, (int)klen, (const unsigned char *)msg, strlen(msg), out,
	            &olen) == NULL ||
	               olen != SHA256_DIGEST_LENGTH
	           ? -1
	           : 0;
}

/* The hex signature of sts under the key derived from secret. */
static int signature(const char *secret, const char *date, const char *region, const char *sts,
                     char hex[65])
{
	unsigned char k[SHA256_DIGEST_LENGTH], k2[SHA256_DIGEST_LENGTH];
	char start[256];
	int rc = -1;

	if (snprintf(start, sizeof(start), "AWS4%s", secret) >= (int)sizeof(start))
		goto out;
	if (hmac((unsigned char *)start, strlen(start), date, k) < 0 ||
	    hmac(k, sizeof(k), region, k2) < 0 || hmac(k2, sizeof(k2), "s3", k) < 0 ||
	    hmac(k, sizeof(k), "aws4_request", k2) < 0 || hmac(k2, sizeof(k2), sts, k) < 0)
		goto out;
	to_hex(k, sizeof(k), hex);
	rc = 0;
out:
	OPENSSL_cleanse(start, sizeof(start));
	OPENSSL_cleanse(k, sizeof(k));
	OPENSSL_cleanse(k2, sizeof(k2));
	return rc;
}

/* Is s a non-empty token without characters that would need escaping? */
static int plain_token(const char *s)
{
	if (s == NULL || *s == '\0')
		return 0;
	for (; *s; s++)
		if (*s <= ' ' || *s >= 127 || *s == '/' || *s == '?' || *s == '#' || *s == '@')
			return 0;
	return 1;
}

int s3sign_presign(const struct s3sign_input *in, char *out, size_t n)
{
	char stamp[17], date[9], scope[128], cr_hash[65], sig[65], query[8192], creq[12288],
	    sts[512];
	struct sbuf q, c, u;
	struct tm tm;

	if (n > 0)
		out[0] = '\0';
	if (in == NULL || !plain_token(in->method) || !plain_token(in->host) ||
	    !plain_token(in->region) || !plain_token(in->access_key) || in->secret_key == NULL ||
	    in->path == NULL || in->path[0] != '/' || in->expires < 1 || in->expires > 604800 ||
	    in->scheme == NULL ||
	    (strcmp(in->scheme, "http") != 0 && strcmp(in->scheme, "https") != 0))
		return -1;
	if (gmtime_r(&in->when, &tm) == NULL ||
	    strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm) != 16)
		return -1;
	memcpy(date, stamp, 8);
	date[8] = '\0';
	if (snprintf(scope, sizeof(scope), "%s/%s/s3/aws4_request", date, in->region) >=
	    (int)sizeof(scope))
		return -1;

	/* The canonical query string, in sorted order, is also the URL's. */
	sb_init(&q, query, sizeof(query));
	sb_puts(&q, "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=");
	sb_enc(&q, in->access_key, 0);
	sb_puts(&q, "%2F");
	sb_enc(&q, scope, 0);
	sb_puts(&q, "&X-Amz-Date=");
	sb_puts(&q, stamp);
	{
		char num[24];

		snprintf(num, sizeof(num), "%ld", in->expires);
		sb_puts(&q, "&X-Amz-Expires=");
		sb_puts(&q, num);
	}
	sb_puts(&q, "&X-Amz-SignedHeaders=host");
	if (in->disposition != NULL) {
		sb_puts(&q, "&response-content-disposition=");
		sb_enc(&q, in->disposition, 0);
	}
	if (in->content_type != NULL) {
		sb_puts(&q, "&response-content-type=");
		sb_enc(&q, in->content_type, 0);
	}

	sb_init(&c, creq, sizeof(creq));
	sb_puts(&c, in->method);
	sb_puts(&c, "\n");
	sb_enc(&c, in->path, 1);
	sb_puts(&c, "\n");
	sb_puts(&c, query);
	sb_puts(&c, "\nhost:");
	sb_puts(&c, in->host);
	sb_puts(&c, "\n\nhost\nUNSIGNED-PAYLOAD");
	if (q.overflow || c.overflow)
		return -1;
	s3sign_sha256_hex(creq, c.len, cr_hash);
	if (snprintf(sts, sizeof(sts), "AWS4-HMAC-SHA256\n%s\n%s\n%s", stamp, scope, cr_hash) >=
	        (int)sizeof(sts) ||
	    signature(in->secret_key, date, in->region, sts, sig) < 0)
		return -1;

	sb_init(&u, out, n);
	sb_puts(&u, in->scheme);
	sb_puts(&u, "://");
	sb_puts(&u, in->host);
	sb_enc(&u, in->path, 1);
	sb_puts(&u, "?");
	sb_puts(&u, query);
	sb_puts(&u, "&X-Amz-Signature=");
	sb_puts(&u, sig);
	if (u.overflow) {
		if (n > 0)
			out[0] = '\0';
		return -1;
	}
	return 0;
}

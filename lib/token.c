/*
 * token.c -- JWT minting and strict verification over libjwt 1.10 and
 * OpenSSL's HMAC, and opaque tokens from libsodium's randombytes.
 */
#include "token.h"

#include "arena.h"
#include "config.h"
#include "json.h"

#include <errno.h>
#include <jwt.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CLOCK_SKEW_MS 60000 /* tolerated future iat */

long long token_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const EVP_MD *alg_md(const char *alg)
{
	if (strcmp(alg, "HS256") == 0)
		return EVP_sha256();
	if (strcmp(alg, "HS384") == 0)
		return EVP_sha384();
	if (strcmp(alg, "HS512") == 0)
		return EVP_sha512();
	return NULL;
}

char *token_random(struct arena *a)
{
	unsigned char raw[32];
	char *out =
	    arena_alloc(a, sodium_base64_ENCODED_LEN(32, sodium_base64_VARIANT_URLSAFE_NO_PADDING));

	if (out == NULL)
		return NULL;
	randombytes_buf(raw, sizeof(raw));
	sodium_bin2base64(out,
	                  sodium_base64_ENCODED_LEN(32, sodium_base64_VARIANT_URLSAFE_NO_PADDING),
	                  raw, sizeof(raw), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(raw, sizeof(raw));
	return out;
}

void token_hash_hex(const char *token, char out[TOKEN_HASH_HEX])
{
	unsigned char md[32];
	unsigned int len = 0;

	EVP_Digest(token, strlen(token), md, &len, EVP_sha256(), NULL);
	sodium_bin2hex(out, TOKEN_HASH_HEX, md, sizeof(md));
}

char *token_mint_access(struct arena *a, const struct config *cfg, const char *sub,
                        const char *role, long long now_ms, struct token_claims *out)
{
	jwt_t *jwt = NULL;
	char *enc = NULL, *copy = NULL, jti[33];
	unsigned char raw[16];

	randombytes_buf(raw, sizeof(raw));
	sodium_bin2hex(jti, sizeof(jti), raw, sizeof(raw));
	memset(out, 0, sizeof(*out));
	snprintf(out->sub, sizeof(out->sub), "%s", sub);
	snprintf(out->role, sizeof(out->role), "%s", role);
	snprintf(out->jti, sizeof(out->jti), "%s", jti);
	out->iat_ms = now_ms;
	out->exp = now_ms / 1000 + cfg->access_token_minutes * 60;
	if (jwt_new(&jwt) != 0)
		return NULL;
	if (jwt_add_grant(jwt, "sub", sub) || jwt_add_grant(jwt, "role", role) ||
	    jwt_add_grant(jwt, "jti", jti) || jwt_add_grant(jwt, "typ", "access") ||
	    jwt_add_grant_int(jwt, "iat", (long)(now_ms / 1000)) ||
	    jwt_add_grant_int(jwt, "iat_ms", (long)now_ms) ||
	    jwt_add_grant_int(jwt, "exp", (long)out->exp) ||
	    jwt_set_alg(jwt, jwt_str_alg(cfg->algorithm), (const unsigned char *)cfg->secret_key,
	                (int)strlen(cfg->secret_key)))
		goto out;
	enc = jwt_encode_str(jwt);
	if (enc != NULL)
		copy = arena_strdup(a, enc);
out:
	free(enc);
	jwt_free(jwt);
	return copy;
}

/* Does the header (base64url JSON) name exactly the configured alg? */
static int header_ok(const char *cfgalg, const char *h, size_t hlen)
{
	unsigned char dec[512];
	size_t n = 0;
	struct arena a;
	const char *why, *alg;
	cJSON *j;
	int ok;

	if (hlen > 600 || sodium_base642bin(dec, sizeof(dec) - 1, h, hlen, NULL, &n, NULL,
	                                    sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0)
		return 0;
	arena_init(&a, 2048);
	j = json_parse(&a, (const char *)dec, n, &why);
	alg = j ? json_str(j, "alg") : NULL;
	ok = alg != NULL && strcmp(alg, cfgalg) == 0;
	arena_free(&a);
	return ok;
}

/* Recompute the MAC of "header.payload" and compare in constant time. */
static int mac_ok(const struct config *cfg, const char *jwt, size_t signed_len, const char *sig)
{
	unsigned char mac[EVP_MAX_MD_SIZE], given[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;
	size_t glen = 0;

	if (HMAC(alg_md(cfg->algorithm), cfg->secret_key, (int)strlen(cfg->secret_key),
	         (const unsigned char *)jwt, signed_len, mac, &maclen) == NULL)
		return 0;
	if (sodium_base642bin(given, sizeof(given), sig, strlen(sig), NULL, &glen, NULL,
	                      sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
	    glen != maclen)
		return 0;
	return CRYPTO_memcmp(mac, given, maclen) == 0;
}

static long long grant_int(jwt_t *jwt, const char *name, int *missing)
{
	long v;

	errno = 0;
	v = jwt_get_grant_int(jwt, name);
	if (errno != 0)
		*missing = 1;
	return v;
}

static int claims_ok(jwt_t *jwt, long long now_ms, struct token_claims *out, const char **why)
{
	const char *sub = jwt_get_grant(jwt, "sub"), *role = jwt_get_grant(jwt, "role");
	const char *jti = jwt_get_grant(jwt, "jti"), *typ = jwt_get_grant(jwt, "typ");
	int missing = 0;
	long long iat = grant_int(jwt, "iat", &missing),
	          iat_ms = grant_int(jwt, "iat_ms", &missing);
	long long exp = grant_int(jwt, "exp", &missing);

	if (missing || !sub || !role || !jti || !typ)
		return *why = "missing claim", -1;
	if (strcmp(typ, "access") != 0)
		return *why = "not an access token", -1;
	if (exp * 1000 <= now_ms)
		return *why = "expired", -1;
	if (iat_ms > now_ms + CLOCK_SKEW_MS || iat_ms / 1000 != iat)
		return *why = "issued in the future", -1;
	if (strlen(sub) >= sizeof(out->sub) || strlen(role) >= sizeof(out->role) ||
	    strlen(jti) >= sizeof(out->jti))
		return *why = "oversized claim", -1;
	strcpy(out->sub, sub);
	strcpy(out->role, role);
	strcpy(out->jti, jti);
	out->iat_ms = iat_ms;
	out->exp = exp;
	return 0;
}

int token_verify_access(const struct config *cfg, const char *tok, long long now_ms,
                        struct token_claims *out, const char **why)
{
	const char *dot1 = strchr(tok, '.'), *dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;
	jwt_t *jwt = NULL;
	int rc = -1;

	*why = "malformed";
	if (dot1 == NULL || dot2 == NULL || strchr(dot2 + 1, '.') != NULL || strlen(tok) > 4096)
		return -1;
	if (!header_ok(cfg->algorithm, tok, (size_t)(dot1 - tok)))
		return *why = "wrong algorithm", -1;
	if (!mac_ok(cfg, tok, (size_t)(dot2 - tok), dot2 + 1))
		return *why = "bad signature", -1;
	if (jwt_decode(&jwt, tok, (const unsigned char *)cfg->secret_key,
	               (int)strlen(cfg->secret_key)) != 0 ||
	    jwt_get_alg(jwt) != jwt_str_alg(cfg->algorithm)) {
		*why = "undecodable";
		goto out;
	}
	rc = claims_ok(jwt, now_ms, out, why);
out:
	jwt_free(jwt);
	return rc;
}

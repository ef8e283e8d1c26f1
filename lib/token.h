/*
 * token.h -- access tokens (JWT, HMAC-SHA2 with SECRET_KEY) and opaque
 * random tokens (refresh, email links).
 *
 * libjwt 1.10 trusts the token's own "alg", checks no claim and compares
 * MACs with memcmp. So token_verify_access() first checks the header's alg
 * against the configured one and recomputes the MAC itself, comparing in
 * constant time; only then does it let libjwt decode the claims, and it
 * checks typ, exp and iat itself. Opaque tokens are 256 random bits,
 * base64url; only their SHA-256 is ever stored.
 */
#ifndef SCH_TOKEN_H
#define SCH_TOKEN_H

#include <stddef.h>

struct arena;
struct config;

struct token_claims {
	char sub[40]; /* user id */
	char role[16];
	char jti[40];
	long long iat_ms; /* issue time in milliseconds (also "iat" in seconds) */
	long long exp;    /* seconds since the epoch */
};

#define TOKEN_HASH_HEX 65 /* 64 hex digits and NUL */

/* Mint an access token for sub/role at now_ms; NULL when out of memory. */
char *token_mint_access(struct arena *a, const struct config *cfg, const char *sub,
                        const char *role, long long now_ms, struct token_claims *out);

/*
 * Verify an access token at now_ms. 0 when valid (claims in *out), else -1
 * with a short reason for the log in *why (never shown to the client).
 */
int token_verify_access(const struct config *cfg, const char *jwt, long long now_ms,
                        struct token_claims *out, const char **why);

/* A fresh opaque token (43 base64url characters) in the arena. */
char *token_random(struct arena *a);
/* Hex SHA-256 of a token, for storage. */
void token_hash_hex(const char *token, char out[TOKEN_HASH_HEX]);
/* Wall clock in milliseconds. */
long long token_now_ms(void);

#endif

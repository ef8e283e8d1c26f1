/*
 * password.c -- argon2id through libsodium's crypto_pwhash_str family.
 * The encoded hash string carries its own parameters and salt.
 */
#include "password.h"

#include <sodium.h>
#include <string.h>

#include "validate.h"

int password_init(void)
{
	return sodium_init() < 0 ? -1 : 0;
}

const char *password_check_policy(const char *pw)
{
	size_t n = validate_utf8_len(pw);

	if (n < PASSWORD_MIN_LEN)
		return "must be at least 10 characters long";
	if (n > PASSWORD_MAX_LEN)
		return "must be at most 128 characters long";
	return NULL;
}

int password_hash(const struct password_cost *cost, const char *pw, char *out)
{
	return crypto_pwhash_str_alg(out, pw, strlen(pw), cost->ops, cost->mem_bytes,
	                             crypto_pwhash_ALG_ARGON2ID13);
}

int password_verify(const struct password_cost *cost, const char *hash, const char *pw, int *rehash)
{
	if (crypto_pwhash_str_verify(hash, pw, strlen(pw)) != 0)
		return 0;
	*rehash = crypto_pwhash_str_needs_rehash(hash, cost->ops, cost->mem_bytes) != 0;
	return 1;
}

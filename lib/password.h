/*
 * password.h -- password hashing with argon2id (libsodium).
 *
 * The cost (opslimit, memlimit) comes from the configuration so tests run
 * at the minimum. password_verify() reports when a stored hash was made
 * with other parameters, so the caller can rehash on login.
 */
#ifndef SCH_PASSWORD_H
#define SCH_PASSWORD_H

#include <stddef.h>

#define PASSWORD_MIN_LEN 10
#define PASSWORD_MAX_LEN 128
#define PASSWORD_HASH_LEN 128 /* crypto_pwhash_STRBYTES */

struct password_cost {
	unsigned long long ops;
	size_t mem_bytes;
};

/* 0 when the library is ready (call once per process), -1 otherwise. */
int password_init(void);
/* Is the length (in characters) acceptable? Returns NULL or a message. */
const char *password_check_policy(const char *pw);
/* Hash pw into out (PASSWORD_HASH_LEN bytes). 0 or -1 (out of memory). */
int password_hash(const struct password_cost *cost, const char *pw, char *out);
/* 1 match, 0 mismatch; *rehash set when the hash's cost differs. */
int password_verify(const struct password_cost *cost, const char *hash, const char *pw,
                    int *rehash);

#endif

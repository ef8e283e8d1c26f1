/*
 * pii.h -- encryption at rest and masking of personal data (DESIGN §9:
 * national ids, birth dates and bank accounts; AES-256-GCM, versioned
 * keys).
 *
 * Keys come from PII_ENCRYPTION_KEYS, "VERSION:BASE64KEY[,VERSION:BASE64KEY...]"
 * (VERSION 1..65535, each key 32 bytes of standard base64). The highest
 * version encrypts; every listed version decrypts, so a rotation is: add a
 * new version, restart, run `scholarshipctl reencrypt-pii`, then drop the
 * old version.
 *
 * A ciphertext is text, "v<VERSION>:<base64(nonce[12] || ciphertext || tag[16])>",
 * so a column says which key sealed it. The caller's aad (additional
 * authenticated data: the field name and the record's key) binds a value
 * to its place, so a ciphertext copied to another row or column fails to
 * decrypt.
 *
 * This module has no globals and no I/O; results live in the caller's
 * arena. A keyring holds key material: pii_keyring_wipe() clears it.
 */
#ifndef SCH_PII_H
#define SCH_PII_H

#include <stddef.h>

struct arena;
struct config;

#define PII_KEY_LEN 32
#define PII_MAX_KEYS 16
#define PII_NONCE_LEN 12
#define PII_TAG_LEN 16
#define PII_MAX_PLAIN 1024 /* longest value sealed (ids and accounts are short) */

struct pii_keyring {
	size_t n;
	unsigned current; /* the highest version: the one that encrypts */
	struct pii_key {
		unsigned version;
		unsigned char key[PII_KEY_LEN];
	} keys[PII_MAX_KEYS];
};

/*
 * Parse spec into kr. 0, or -1 with a reason naming PII_ENCRYPTION_KEYS in
 * err (never any key material). Duplicate versions, keys that are not 32
 * bytes and empty specs are errors.
 */
int pii_keyring_parse(struct pii_keyring *kr, const char *spec, char *err, size_t errlen);
void pii_keyring_wipe(struct pii_keyring *kr);

/*
 * Start-up check for the programs: a malformed PII_ENCRYPTION_KEYS is
 * always an error; a missing one is an error in production only (in
 * development the PII routes answer 503 instead). 0 or -1 with err set.
 */
int pii_config_check(const struct config *cfg, char *err, size_t errlen);

/* Seal plain[0..n) with the current key: "v3:..." in the arena, or NULL. */
char *pii_encrypt(const struct pii_keyring *kr, struct arena *a, const char *aad, const char *plain,
                  size_t n);

/*
 * Open a sealed value: the NUL-terminated plaintext in the arena, or NULL
 * when the text is malformed, its version unknown, or the tag does not
 * verify (wrong key, wrong aad, tampering).
 */
char *pii_decrypt(const struct pii_keyring *kr, struct arena *a, const char *aad,
                  const char *sealed);

/* The key version of a sealed value, or 0 when it has none. */
unsigned pii_version_of(const char *sealed);

/*
 * Masks shown in every answer (the clear value only through the audited
 * PII read): national ids keep their first and last three characters
 * ("A12****789"; shorter ids keep one and one), bank accounts their last
 * four digits ("****6789"), birth dates nothing ("****-**-**"). Arena
 * strings, or NULL when out of memory.
 */
char *pii_mask_national_id(struct arena *a, const char *s);
char *pii_mask_bank_account(struct arena *a, const char *s);
#define PII_MASK_BIRTH_DATE "****-**-**"

#endif

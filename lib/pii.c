/*
 * pii.c -- AES-256-GCM sealing of personal data with versioned keys, and
 * the masks the API shows instead of clear values. See pii.h for the key
 * and ciphertext formats.
 *
 * Why a random 96-bit nonce per value: values are sealed independently
 * (imports, self-service edits, re-encryption), there is no counter to
 * keep across processes, and at the scale of a university (millions of
 * seals per key at most) the birthday bound of 2^32 messages per key is
 * far away. Rotation keeps it so.
 *
 * Base64 is libsodium's strict decoder (no whitespace, padding required);
 * the cipher is OpenSSL's EVP interface. Key bytes never reach a log or an
 * error message.
 */
#include "pii.h"

#include "arena.h"
#include "config.h"

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define B64 sodium_base64_VARIANT_ORIGINAL

static int fail(char *err, size_t errlen, const char *msg)
{
	snprintf(err, errlen, "PII_ENCRYPTION_KEYS: %s", msg);
	return -1;
}

/* One "VERSION:BASE64KEY" item of n bytes into k. 0 or -1 with err. */
static int parse_item(struct pii_key *k, const char *s, size_t n, char *err, size_t errlen)
{
	const char *colon = memchr(s, ':', n);
	unsigned long v = 0;
	size_t keylen = 0, i;

	if (colon == NULL || colon == s || colon - s > 5)
		return fail(err, errlen, "each item must be VERSION:BASE64KEY");
	for (i = 0; s + i < colon; i++) {
		if (s[i] < '0' || s[i] > '9')
			return fail(err, errlen, "a key version must be a number");
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v < 1 || v > 65535)
		return fail(err, errlen, "key versions must be 1 to 65535");
	if (sodium_base642bin(k->key, PII_KEY_LEN, colon + 1, (size_t)(s + n - colon - 1), NULL,
	                      &keylen, NULL, B64) != 0 ||
	    keylen != PII_KEY_LEN)
		return fail(err, errlen, "each key must be 32 bytes in standard base64");
	k->version = (unsigned)v;
	return 0;
}

static const struct pii_key *key_of(const struct pii_keyring *kr, unsigned version)
{
	size_t i;

	for (i = 0; i < kr->n; i++)
		if (kr->keys[i].version == version)
			return &kr->keys[i];
	return NULL;
}

int pii_keyring_parse(struct pii_keyring *kr, const char *spec, char *err, size_t errlen)
{
	const char *p = spec;

	memset(kr, 0, sizeof(*kr));
	if (spec == NULL || *spec == '\0')
		return fail(err, errlen, "is not set");
	for (;;) {
		size_t n = strcspn(p, ",");
		struct pii_key k;

		if (kr->n == PII_MAX_KEYS) {
			pii_keyring_wipe(kr);
			return fail(err, errlen, "too many keys (at most 16)");
		}
		if (parse_item(&k, p, n, err, errlen) < 0) {
			sodium_memzero(&k, sizeof(k));
			pii_keyring_wipe(kr);
			return -1;
		}
		if (key_of(kr, k.version) != NULL) {
			sodium_memzero(&k, sizeof(k));
			pii_keyring_wipe(kr);
			return fail(err, errlen, "a key version is listed twice");
		}
		kr->keys[kr->n++] = k;
		if (k.version > kr->current)
			kr->current = k.version;
		sodium_memzero(&k, sizeof(k));
		if (p[n] == '\0')
			return 0;
		p += n + 1;
	}
}

void pii_keyring_wipe(struct pii_keyring *kr)
{
	sodium_memzero(kr, sizeof(*kr));
}

int pii_config_check(const struct config *cfg, char *err, size_t errlen)
{
	struct pii_keyring kr;
	const char *spec = cfg->pii_encryption_keys;

	if (spec == NULL || *spec == '\0') {
		if (!cfg->production)
			return 0;
		return fail(err, errlen, "is required in production");
	}
	if (pii_keyring_parse(&kr, spec, err, errlen) < 0)
		return -1;
	pii_keyring_wipe(&kr);
	return 0;
}

/* AES-256-GCM over in[0..n) into out (same length); tag in/out. 0 or -1. */
static int gcm(int enc, const unsigned char *key, const unsigned char *nonce, const char *aad,
               const unsigned char *in, size_t n, unsigned char *out, unsigned char *tag)
{
	EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
	int len = 0, ok;

	ok = x != NULL && EVP_CipherInit_ex(x, EVP_aes_256_gcm(), NULL, NULL, NULL, enc) == 1 &&
	     EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_GCM_SET_IVLEN, PII_NONCE_LEN, NULL) == 1 &&
	     EVP_CipherInit_ex(x, NULL, NULL, key, nonce, enc) == 1 &&
	     EVP_CipherUpdate(x, NULL, &len, (const unsigned char *)aad, (int)strlen(aad)) == 1 &&
	     (n == 0 || EVP_CipherUpdate(x, out, &len, in, (int)n) == 1) &&
	     (enc || EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_GCM_SET_TAG, PII_TAG_LEN, tag) == 1) &&
	     EVP_CipherFinal_ex(x, out + n, &len) == 1 &&
	     (!enc || EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_GCM_GET_TAG, PII_TAG_LEN, tag) == 1);
	EVP_CIPHER_CTX_free(x);
	return ok ? 0 : -1;
}

char *pii_encrypt(const struct pii_keyring *kr, struct arena *a, const char *aad, const char *plain,
                  size_t n)
{
	const struct pii_key *k = key_of(kr, kr->current);
	unsigned char raw[PII_NONCE_LEN + PII_MAX_PLAIN + PII_TAG_LEN];
	size_t rawlen = PII_NONCE_LEN + n + PII_TAG_LEN, b64len;
	char *out, prefix[16];
	int plen;

	if (k == NULL || n > PII_MAX_PLAIN)
		return NULL;
	if (RAND_bytes(raw, PII_NONCE_LEN) != 1 ||
	    gcm(1, k->key, raw, aad, (const unsigned char *)plain, n, raw + PII_NONCE_LEN,
	        raw + PII_NONCE_LEN + n) < 0)
		return NULL;
	plen = snprintf(prefix, sizeof(prefix), "v%u:", k->version);
	b64len = sodium_base64_encoded_len(rawlen, B64);
	out = arena_alloc(a, (size_t)plen + b64len);
	if (out == NULL)
		return NULL;
	memcpy(out, prefix, (size_t)plen);
	sodium_bin2base64(out + plen, b64len, raw, rawlen, B64);
	return out;
}

unsigned pii_version_of(const char *sealed)
{
	unsigned long v = 0;
	size_t i;

	if (sealed == NULL || sealed[0] != 'v')
		return 0;
	for (i = 1; sealed[i] >= '0' && sealed[i] <= '9' && i <= 5; i++)
		v = v * 10 + (unsigned long)(sealed[i] - '0');
	if (i == 1 || sealed[i] != ':' || v < 1 || v > 65535)
		return 0;
	return (unsigned)v;
}

char *pii_decrypt(const struct pii_keyring *kr, struct arena *a, const char *aad,
                  const char *sealed)
{
	unsigned char raw[PII_NONCE_LEN + PII_MAX_PLAIN + PII_TAG_LEN];
	unsigned version = pii_version_of(sealed);
	const struct pii_key *k = key_of(kr, version);
	size_t rawlen = 0, n;
	const char *b64;
	char *out;

	if (k == NULL)
		return NULL;
	b64 = strchr(sealed, ':') + 1;
	if (sodium_base642bin(raw, sizeof(raw), b64, strlen(b64), NULL, &rawlen, NULL, B64) != 0 ||
	    rawlen < PII_NONCE_LEN + PII_TAG_LEN)
		return NULL;
	n = rawlen - PII_NONCE_LEN - PII_TAG_LEN;
	out = arena_alloc(a, n + 1);
	if (out == NULL ||
	    gcm(0, k->key, raw, aad, raw + PII_NONCE_LEN, n, (unsigned char *)out,
	        raw + PII_NONCE_LEN + n) < 0 ||
	    memchr(out, '\0', n) != NULL)
		return NULL;
	out[n] = '\0';
	return out;
}

char *pii_mask_national_id(struct arena *a, const char *s)
{
	size_t n = strlen(s), keep = n >= 8 ? 3 : 1, i;
	char *out;

	if (n <= 2 * keep)
		keep = 0;
	out = arena_alloc(a, n + 1);
	if (out == NULL)
		return NULL;
	for (i = 0; i < n; i++)
		out[i] = i < keep || i >= n - keep ? s[i] : '*';
	out[n] = '\0';
	return out;
}

char *pii_mask_bank_account(struct arena *a, const char *s)
{
	char last[5] = "";
	size_t n = 0, i = strlen(s);

	while (i > 0 && n < 4) {
		i--;
		if (s[i] >= '0' && s[i] <= '9')
			last[3 - n++] = s[i];
	}
	if (n < 4)
		return arena_strdup(a, "****");
	return arena_printf(a, "****%s", last);
}

/*
 * test_pii.c -- unit tests of lib/pii.c: PII_ENCRYPTION_KEYS parsing (good
 * and bad specs, highest version current), the seal/open round trip, a
 * wrong key, a wrong aad and tampered text all failing, key rotation
 * (a value sealed under v1 opens with a v1+v2 ring and re-seals to v2),
 * the start-up check, and the masks.
 */
#include <string.h>

#include "arena.h"
#include "config.h"
#include "pii.h"
#include "suites.h"

/* base64 of 32 bytes 0x01.., 0x02.., 0x03.. */
#define K1 "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE="
#define K2 "AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI="
#define K3 "AwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwM="

static struct arena A;
static char err[256];

static void setup(void)
{
	arena_init(&A, 4096);
	err[0] = '\0';
}

static void teardown(void)
{
	arena_free(&A);
}

static void ring(struct pii_keyring *kr, const char *spec)
{
	ck_assert_msg(pii_keyring_parse(kr, spec, err, sizeof(err)) == 0, "%s: %s", spec, err);
}

START_TEST(parse_good)
{
	struct pii_keyring kr;

	ring(&kr, "1:" K1);
	ck_assert_uint_eq(kr.n, 1);
	ck_assert_uint_eq(kr.current, 1);
	ring(&kr, "2:" K2 ",1:" K1 ",17:" K3);
	ck_assert_uint_eq(kr.n, 3);
	ck_assert_uint_eq(kr.current, 17);
	pii_keyring_wipe(&kr);
	ck_assert_uint_eq(kr.n, 0);
}
END_TEST

static const char *const bad_specs[] = {
    "",
    "1",
    ":" K1,
    "0:" K1,
    "65536:" K1,
    "x:" K1,
    "1:" K1 ",1:" K2,                                /* duplicate version */
    "1:AQEBAQ==",                                    /* 4 bytes */
    "1:" K1 ",",                                     /* empty item */
    "1:not base64!",                                 /* garbage */
    "1: " K1,                                        /* whitespace */
    "1:" K1 "AQEB",                                  /* 35 bytes */
    "1:AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE", /* no padding */
};

START_TEST(parse_bad)
{
	struct pii_keyring kr;

	ck_assert_int_eq(pii_keyring_parse(&kr, bad_specs[_i], err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "PII_ENCRYPTION_KEYS") != NULL, "error names the variable: %s",
	              err);
	ck_assert_msg(strstr(err, "AQEB") == NULL, "no key material in the error");
	ck_assert_uint_eq(kr.n, 0);
}
END_TEST

START_TEST(parse_null)
{
	struct pii_keyring kr;

	ck_assert_int_eq(pii_keyring_parse(&kr, NULL, err, sizeof(err)), -1);
}
END_TEST

START_TEST(round_trip)
{
	struct pii_keyring kr;
	const char *plain = "A123456789";
	char *sealed, *again, *opened;

	ring(&kr, "1:" K1 ",2:" K2);
	sealed = pii_encrypt(&kr, &A, "students.national_id:B1", plain, strlen(plain));
	ck_assert_ptr_nonnull(sealed);
	ck_assert_msg(strncmp(sealed, "v2:", 3) == 0, "sealed with the newest key: %s", sealed);
	ck_assert_ptr_null(strstr(sealed, plain));
	ck_assert_uint_eq(pii_version_of(sealed), 2);
	opened = pii_decrypt(&kr, &A, "students.national_id:B1", sealed);
	ck_assert_ptr_nonnull(opened);
	ck_assert_str_eq(opened, plain);
	again = pii_encrypt(&kr, &A, "students.national_id:B1", plain, strlen(plain));
	ck_assert_msg(strcmp(again, sealed) != 0, "a fresh nonce each time");
}
END_TEST

START_TEST(empty_and_utf8)
{
	struct pii_keyring kr;
	const char *zh = "臺北市大安區";
	char *s;

	ring(&kr, "1:" K1);
	s = pii_encrypt(&kr, &A, "a", "", 0);
	ck_assert_str_eq(pii_decrypt(&kr, &A, "a", s), "");
	s = pii_encrypt(&kr, &A, "a", zh, strlen(zh));
	ck_assert_str_eq(pii_decrypt(&kr, &A, "a", s), zh);
}
END_TEST

START_TEST(wrong_key_fails)
{
	struct pii_keyring a, b;
	char *s;

	ring(&a, "1:" K1);
	ring(&b, "1:" K2); /* same version number, other key */
	s = pii_encrypt(&a, &A, "x", "secret", 6);
	ck_assert_ptr_null(pii_decrypt(&b, &A, "x", s));
	ring(&b, "2:" K2); /* version unknown to the ring */
	ck_assert_ptr_null(pii_decrypt(&b, &A, "x", s));
}
END_TEST

START_TEST(wrong_aad_fails)
{
	struct pii_keyring kr;
	char *s;

	ring(&kr, "1:" K1);
	s = pii_encrypt(&kr, &A, "students.national_id:B1", "A123456789", 10);
	ck_assert_ptr_null(pii_decrypt(&kr, &A, "students.national_id:B2", s));
	ck_assert_ptr_null(pii_decrypt(&kr, &A, "students.bank_account:B1", s));
}
END_TEST

START_TEST(tampered_fails)
{
	struct pii_keyring kr;
	char *s, *t;
	size_t i, n;

	ring(&kr, "1:" K1);
	s = pii_encrypt(&kr, &A, "x", "A123456789", 10);
	n = strlen(s);
	for (i = 3; i < n; i++) {
		if (s[i] == '=')
			continue;
		t = arena_strdup(&A, s);
		t[i] = t[i] == 'A' ? 'B' : 'A';
		ck_assert_msg(pii_decrypt(&kr, &A, "x", t) == NULL, "flip at %zu opened", i);
	}
	t = arena_strndup(&A, s, n - 4); /* truncated */
	ck_assert_ptr_null(pii_decrypt(&kr, &A, "x", t));
	ck_assert_ptr_null(pii_decrypt(&kr, &A, "x", "v1:"));
	ck_assert_ptr_null(pii_decrypt(&kr, &A, "x", "v1:AAAA"));
	ck_assert_ptr_null(pii_decrypt(&kr, &A, "x", "A123456789"));
	ck_assert_ptr_null(pii_decrypt(&kr, &A, "x", ""));
}
END_TEST

START_TEST(rotation)
{
	struct pii_keyring old, both, new_only;
	char *s1, *clear, *s2;

	ring(&old, "1:" K1);
	ring(&both, "1:" K1 ",2:" K2);
	ring(&new_only, "2:" K2);
	s1 = pii_encrypt(&old, &A, "f:N1", "700-1234-5678", 13);
	ck_assert_uint_eq(pii_version_of(s1), 1);
	clear = pii_decrypt(&both, &A, "f:N1", s1); /* old values still open */
	ck_assert_str_eq(clear, "700-1234-5678");
	s2 = pii_encrypt(&both, &A, "f:N1", clear, strlen(clear)); /* re-seal */
	ck_assert_uint_eq(pii_version_of(s2), 2);
	ck_assert_str_eq(pii_decrypt(&new_only, &A, "f:N1", s2), "700-1234-5678");
	ck_assert_ptr_null(pii_decrypt(&new_only, &A, "f:N1", s1)); /* old key dropped */
}
END_TEST

START_TEST(version_of)
{
	ck_assert_uint_eq(pii_version_of("v1:abc"), 1);
	ck_assert_uint_eq(pii_version_of("v65535:abc"), 65535);
	ck_assert_uint_eq(pii_version_of("v65536:abc"), 0);
	ck_assert_uint_eq(pii_version_of("v:abc"), 0);
	ck_assert_uint_eq(pii_version_of("v1abc"), 0);
	ck_assert_uint_eq(pii_version_of("1:abc"), 0);
	ck_assert_uint_eq(pii_version_of(NULL), 0);
}
END_TEST

START_TEST(config_check)
{
	struct config cfg;

	memset(&cfg, 0, sizeof(cfg));
	ck_assert_int_eq(pii_config_check(&cfg, err, sizeof(err)), 0); /* development: 503s later */
	cfg.production = 1;
	ck_assert_int_eq(pii_config_check(&cfg, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "production"));
	cfg.pii_encryption_keys = "1:short";
	ck_assert_int_eq(pii_config_check(&cfg, err, sizeof(err)), -1);
	cfg.production = 0;
	ck_assert_int_eq(pii_config_check(&cfg, err, sizeof(err)), -1); /* malformed: always */
	cfg.pii_encryption_keys = "1:" K1;
	ck_assert_int_eq(pii_config_check(&cfg, err, sizeof(err)), 0);
}
END_TEST

static const struct {
	const char *in, *out;
} nid_masks[] = {
    {"A123456789", "A12****789"},
    {"AB12345678", "AB1****678"},
    {"P1234567", "P12**567"},
    {"X12345", "X****5"},
    {"AB", "**"},
    {"", ""},
};

START_TEST(mask_national_id)
{
	ck_assert_str_eq(pii_mask_national_id(&A, nid_masks[_i].in), nid_masks[_i].out);
}
END_TEST

START_TEST(mask_bank_account)
{
	ck_assert_str_eq(pii_mask_bank_account(&A, "700-1234-5678"), "****5678");
	ck_assert_str_eq(pii_mask_bank_account(&A, "0123456789"), "****6789");
	ck_assert_str_eq(pii_mask_bank_account(&A, "12-3"), "****");
	ck_assert_str_eq(pii_mask_bank_account(&A, ""), "****");
}
END_TEST

Suite *pii_suite(void)
{
	Suite *s = suite_create("pii");
	TCase *t = tcase_create("core");

	tcase_add_checked_fixture(t, setup, teardown);
	tcase_add_test(t, parse_good);
	tcase_add_loop_test(t, parse_bad, 0, (int)NELEM(bad_specs));
	tcase_add_test(t, parse_null);
	tcase_add_test(t, round_trip);
	tcase_add_test(t, empty_and_utf8);
	tcase_add_test(t, wrong_key_fails);
	tcase_add_test(t, wrong_aad_fails);
	tcase_add_test(t, tampered_fails);
	tcase_add_test(t, rotation);
	tcase_add_test(t, version_of);
	tcase_add_test(t, config_check);
	tcase_add_loop_test(t, mask_national_id, 0, (int)NELEM(nid_masks));
	tcase_add_test(t, mask_bank_account);
	suite_add_tcase(s, t);
	return s;
}

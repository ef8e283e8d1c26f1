/*
 * test_password.c -- unit tests of password policy and argon2id hashing
 * (lib/password.c): the length policy counts UTF-8 characters, not bytes
 * (9/10/128/129); a hash verifies its password and no other; a change of
 * cost asks for a rehash. Hashing runs at libsodium's minimum cost.
 */
#include <string.h>

#include <sodium.h>

#include "password.h"
#include "suites.h"

static const struct password_cost cheap = {1, crypto_pwhash_MEMLIMIT_MIN};

static void setup(void)
{
	ck_assert_int_eq(password_init(), 0);
}

/* n copies of the UTF-8 character ch, in a static buffer. */
static const char *repeat(const char *ch, int n)
{
	static char s[1024];
	size_t k = strlen(ch);
	int i;

	for (i = 0; i < n; i++)
		memcpy(s + (size_t)i * k, ch, k);
	s[(size_t)n * k] = '\0';
	return s;
}

START_TEST(policy_counts_characters)
{
	ck_assert_str_eq(password_check_policy(repeat("a", 9)),
	                 "must be at least 10 characters long");
	ck_assert_ptr_null(password_check_policy(repeat("a", 10)));
	ck_assert_ptr_null(password_check_policy(repeat("a", 128)));
	ck_assert_str_eq(password_check_policy(repeat("a", 129)),
	                 "must be at most 128 characters long");
	ck_assert_str_eq(password_check_policy(repeat("\xc3\xa9", 9)),
	                 "must be at least 10 characters long");
	ck_assert_ptr_null(password_check_policy(repeat("\xc3\xa9", 10)));
	ck_assert_ptr_null(password_check_policy(repeat("\xe2\x82\xac", 128)));
	ck_assert_ptr_nonnull(password_check_policy(repeat("\xe2\x82\xac", 129)));
	ck_assert_ptr_nonnull(password_check_policy(repeat("\xf0\x9f\x98\x80", 5)));
	ck_assert_ptr_nonnull(password_check_policy(""));
}
END_TEST

START_TEST(hash_then_verify)
{
	char h[PASSWORD_HASH_LEN];
	int rehash = -1;

	ck_assert_int_eq(password_hash(&cheap, "correct horse battery", h), 0);
	ck_assert(strncmp(h, "$argon2id$", 10) == 0);
	ck_assert_uint_lt(strlen(h), PASSWORD_HASH_LEN);
	ck_assert_int_eq(password_verify(&cheap, h, "correct horse battery", &rehash), 1);
	ck_assert_int_eq(rehash, 0);
	ck_assert_int_eq(password_verify(&cheap, h, "correct horse batterY", &rehash), 0);
	ck_assert_int_eq(password_verify(&cheap, h, "", &rehash), 0);
}
END_TEST

START_TEST(salted)
{
	char a[PASSWORD_HASH_LEN], b[PASSWORD_HASH_LEN];

	ck_assert_int_eq(password_hash(&cheap, "same password", a), 0);
	ck_assert_int_eq(password_hash(&cheap, "same password", b), 0);
	ck_assert_str_ne(a, b);
}
END_TEST

START_TEST(cost_change_needs_rehash)
{
	const struct password_cost more_ops = {2, crypto_pwhash_MEMLIMIT_MIN};
	const struct password_cost more_mem = {1, 2 * crypto_pwhash_MEMLIMIT_MIN};
	char h[PASSWORD_HASH_LEN];
	int rehash = -1;

	ck_assert_int_eq(password_hash(&cheap, "pässwörd-123", h), 0);
	ck_assert_int_eq(password_verify(&more_ops, h, "pässwörd-123", &rehash), 1);
	ck_assert_int_eq(rehash, 1);
	rehash = -1;
	ck_assert_int_eq(password_verify(&more_mem, h, "pässwörd-123", &rehash), 1);
	ck_assert_int_eq(rehash, 1);
	rehash = -1;
	ck_assert_int_eq(password_verify(&cheap, h, "pässwörd-123", &rehash), 1);
	ck_assert_int_eq(rehash, 0);
}
END_TEST

START_TEST(garbage_hash_never_verifies)
{
	int rehash = 0;

	ck_assert_int_eq(password_verify(&cheap, "", "x", &rehash), 0);
	ck_assert_int_eq(password_verify(&cheap, "not-a-hash", "not-a-hash", &rehash), 0);
	ck_assert_int_eq(
	    password_verify(&cheap, "$argon2id$v=19$m=8,t=1,p=1$AAAA$AAAA", "x", &rehash), 0);
}
END_TEST

START_TEST(cost_below_minimum_refused)
{
	const struct password_cost tiny = {1, 1024};
	char h[PASSWORD_HASH_LEN];

	ck_assert_int_eq(password_hash(&tiny, "whatever-password", h), -1);
	ck_assert_uint_eq(PASSWORD_HASH_LEN, crypto_pwhash_STRBYTES);
}
END_TEST

Suite *password_suite(void)
{
	Suite *s = suite_create("password");
	TCase *tc = tcase_create("argon2id");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, policy_counts_characters);
	tcase_add_test(tc, hash_then_verify);
	tcase_add_test(tc, salted);
	tcase_add_test(tc, cost_change_needs_rehash);
	tcase_add_test(tc, garbage_hash_never_verifies);
	tcase_add_test(tc, cost_below_minimum_refused);
	suite_add_tcase(s, tc);
	return s;
}

/*
 * test_config.c -- unit tests of configuration loading (lib/config.c)
 * through config_load() with a table standing in for the environment:
 * defaults, every malformed value reported by variable name, several bad
 * variables reported together, the production rules (SECRET_KEY, DEBUG),
 * DATABASE_URL driver suffixes, and the s3 storage requirements.
 */
#include <string.h>

#include "config.h"
#include "log.h"
#include "suites.h"

struct kv {
	const char *name;
	const char *value;
};

/* config_getenv_fn over a {NULL}-terminated table. */
static const char *table_get(const char *name, void *ctx)
{
	const struct kv *kv;

	for (kv = ctx; kv->name != NULL; kv++)
		if (strcmp(kv->name, name) == 0)
			return kv->value;
	return NULL;
}

static struct config C;
static char err[1024];

static int load(const struct kv *env)
{
	return config_load(&C, table_get, (void *)env, err, sizeof(err));
}

static void teardown(void)
{
	config_release(&C);
}

#define KEY32 "0123456789abcdef0123456789ABCDEF"

START_TEST(defaults)
{
	static const struct kv env[] = {{NULL, NULL}};

	ck_assert_int_eq(load(env), 0);
	ck_assert_str_eq(err, "");
	ck_assert_int_eq(C.production, 0);
	ck_assert_int_eq(C.debug, 0);
	ck_assert_ptr_null(C.secret_key);
	ck_assert_str_eq(C.algorithm, "HS256");
	ck_assert_int_eq(C.access_token_minutes, 30);
	ck_assert_int_eq(C.refresh_token_days, 7);
	ck_assert_str_eq(C.database_url, "postgresql:///scholarship");
	ck_assert_str_eq(C.redis_url, "redis://127.0.0.1:6379/0");
	ck_assert_int_eq(C.storage_backend, CFG_STORAGE_FS);
	ck_assert_int_eq(C.max_upload_mb, 10);
	ck_assert_int_eq(C.smtp_port, 587);
	ck_assert_int_eq(C.smtp_use_tls, 1);
	ck_assert_int_eq(C.minio_use_tls, 0);
	ck_assert_int_eq(C.prometheus_enabled, 1);
	ck_assert_int_eq(C.log_level, LOG_INFO);
	ck_assert_int_eq(C.request_timeout, 30);
	ck_assert_int_eq(C.password_hash_ops, 2);
	ck_assert_int_eq(C.password_hash_mem_kib, 65536);
	ck_assert_int_gt(C.workers, 0);
	ck_assert_ptr_null(C.smtp_host);
}
END_TEST

START_TEST(values_are_read)
{
	static const struct kv env[] = {
	    {"ALGORITHM", "HS512"},
	    {"ACCESS_TOKEN_EXPIRE_MINUTES", "1440"},
	    {"SMTP_PORT", "25"},
	    {"SMTP_USE_TLS", "off"},
	    {"MINIO_USE_TLS", "YES"},
	    {"PROMETHEUS_ENABLED", "0"},
	    {"LOG_LEVEL", "warning"},
	    {"SCHOLARSHIP_WORKERS", "3"},
	    {"SMTP_HOST", "mail.local"},
	    {"REDIS_URL", "unix:///run/redis.sock"},
	    {NULL, NULL},
	};

	ck_assert_int_eq(load(env), 0);
	ck_assert_str_eq(C.algorithm, "HS512");
	ck_assert_int_eq(C.access_token_minutes, 1440);
	ck_assert_int_eq(C.smtp_port, 25);
	ck_assert_int_eq(C.smtp_use_tls, 0);
	ck_assert_int_eq(C.minio_use_tls, 1);
	ck_assert_int_eq(C.prometheus_enabled, 0);
	ck_assert_int_eq(C.log_level, LOG_WARN);
	ck_assert_int_eq(C.workers, 3);
	ck_assert_str_eq(C.smtp_host, "mail.local");
	ck_assert_str_eq(C.redis_url, "unix:///run/redis.sock");
}
END_TEST

/* The strings are copies: changing the environment later changes nothing. */
START_TEST(strings_are_copied)
{
	char host[] = "smtp.example.org";
	struct kv env[] = {{"SMTP_HOST", host}, {NULL, NULL}};

	ck_assert_int_eq(load(env), 0);
	memset(host, 'X', sizeof(host) - 1);
	ck_assert_str_eq(C.smtp_host, "smtp.example.org");
}
END_TEST

START_TEST(pool_size_caps_workers)
{
	static const struct kv env[] = {
	    {"DB_POOL_SIZE", "2"}, {"SCHOLARSHIP_WORKERS", "8"}, {NULL, NULL}};

	ck_assert_int_eq(load(env), 0);
	ck_assert_int_eq(C.workers, 2);
}
END_TEST

static const struct kv bad_values[] = {
    {"ACCESS_TOKEN_EXPIRE_MINUTES", "abc"},
    {"ACCESS_TOKEN_EXPIRE_MINUTES", "0"},
    {"ACCESS_TOKEN_EXPIRE_MINUTES", "1441"},
    {"ACCESS_TOKEN_EXPIRE_MINUTES", " 5"},
    {"ACCESS_TOKEN_EXPIRE_MINUTES", "5 "},
    {"ACCESS_TOKEN_EXPIRE_MINUTES", "5x"},
    {"ACCESS_TOKEN_EXPIRE_MINUTES", ""},
    {"REFRESH_TOKEN_EXPIRE_DAYS", "366"},
    {"SMTP_PORT", "70000"},
    {"SMTP_PORT", "-1"},
    {"MAX_UPLOAD_MB", "99999999999999999999999"},
    {"SCHOLARSHIP_WORKERS", "257"},
    {"SCHOLARSHIP_REQUEST_TIMEOUT", "0x10"},
    {"PASSWORD_HASH_MEMLIMIT_KIB", "7"},
    {"PASSWORD_HASH_OPSLIMIT", "11"},
    {"DEBUG", "maybe"},
    {"MINIO_USE_TLS", "2"},
    {"PROMETHEUS_ENABLED", ""},
    {"ALGORITHM", "RS256"},
    {"ALGORITHM", "none"},
    {"STORAGE_BACKEND", "gcs"},
    {"STORAGE_BACKEND", "S3"},
    {"LOG_LEVEL", "verbose"},
    {"DATABASE_URL", "mysql://db/x"},
    {"REDIS_URL", "http://cache:6379"},
};

START_TEST(bad_value_names_variable)
{
	struct kv env[] = {bad_values[_i], {NULL, NULL}};

	ck_assert_int_eq(load(env), -1);
	ck_assert_msg(strstr(err, bad_values[_i].name) != NULL, "%s=\"%s\": error \"%s\"",
	              bad_values[_i].name, bad_values[_i].value, err);
	ck_assert_ptr_null(C.owned_);
}
END_TEST

START_TEST(all_bad_variables_reported_together)
{
	static const struct kv env[] = {
	    {"ACCESS_TOKEN_EXPIRE_MINUTES", "x"},
	    {"SMTP_PORT", "0"},
	    {"DEBUG", "perhaps"},
	    {"LOG_LEVEL", "loud"},
	    {NULL, NULL},
	};

	ck_assert_int_eq(load(env), -1);
	ck_assert_ptr_nonnull(strstr(err, "ACCESS_TOKEN_EXPIRE_MINUTES"));
	ck_assert_ptr_nonnull(strstr(err, "SMTP_PORT"));
	ck_assert_ptr_nonnull(strstr(err, "DEBUG"));
	ck_assert_ptr_nonnull(strstr(err, "LOG_LEVEL"));
}
END_TEST

/* A tiny error buffer truncates, never overflows (ASan watches err8). */
START_TEST(small_error_buffer_truncates)
{
	static const struct kv env[] = {
	    {"SMTP_PORT", "0"}, {"DEBUG", "x"}, {"ALGORITHM", "x"}, {NULL, NULL}};
	char err8[8];

	ck_assert_int_eq(config_load(&C, table_get, (void *)env, err8, sizeof(err8)), -1);
	ck_assert_uint_lt(strlen(err8), sizeof(err8));
	ck_assert_uint_gt(strlen(err8), 0);
}
END_TEST

START_TEST(production_names)
{
	static const struct kv envs[][3] = {
	    {{"ENVIRONMENT", "production"}, {"SECRET_KEY", KEY32}, {NULL, NULL}},
	    {{"PYTHON_ENV", "production"}, {"SECRET_KEY", KEY32}, {NULL, NULL}},
	    {{"NODE_ENV", "Production"}, {"SECRET_KEY", KEY32}, {NULL, NULL}},
	};

	ck_assert_int_eq(load(envs[_i]), 0);
	ck_assert_int_eq(C.production, 1);
}
END_TEST

START_TEST(staging_is_not_production)
{
	static const struct kv env[] = {
	    {"ENVIRONMENT", "staging"}, {"SECRET_KEY", "short"}, {"DEBUG", "true"}, {NULL, NULL}};

	ck_assert_int_eq(load(env), 0);
	ck_assert_int_eq(C.production, 0);
	ck_assert_int_eq(C.debug, 1);
	ck_assert_str_eq(C.secret_key, "short");
}
END_TEST

static const struct kv bad_production[][4] = {
    {{"ENVIRONMENT", "production"}, {NULL, NULL}},
    {{"ENVIRONMENT", "production"}, {"SECRET_KEY", KEY32 + 1}, {NULL, NULL}},
    {{"ENVIRONMENT", "production"},
     {"SECRET_KEY", "changeme-changeme-changeme-changeme"},
     {NULL, NULL}},
    {{"NODE_ENV", "production"},
     {"SECRET_KEY", "CHANGE_ME_IN_PRODUCTION_0123456789abcdef"},
     {NULL, NULL}},
    {{"PYTHON_ENV", "production"},
     {"SECRET_KEY", "your-secret-key-here-please-change-it"},
     {NULL, NULL}},
};

START_TEST(production_refuses_weak_secret)
{
	ck_assert_int_eq(load(bad_production[_i]), -1);
	ck_assert_msg(strstr(err, "SECRET_KEY") != NULL, "error \"%s\"", err);
}
END_TEST

START_TEST(production_refuses_debug)
{
	static const struct kv env[] = {
	    {"ENVIRONMENT", "production"}, {"SECRET_KEY", KEY32}, {"DEBUG", "true"}, {NULL, NULL}};

	ck_assert_int_eq(load(env), -1);
	ck_assert_ptr_nonnull(strstr(err, "DEBUG"));
	ck_assert_ptr_null(strstr(err, "SECRET_KEY"));
}
END_TEST

START_TEST(driver_suffix_removed)
{
	static const struct kv env[] = {
	    {"DATABASE_URL", "postgresql+asyncpg://app:pw@db:5432/scholarship"},
	    {"DATABASE_URL_SYNC", "postgresql+psycopg2://app:pw@db/scholarship"},
	    {"DATABASE_REPLICA_URL", "postgresql+asyncpg://ro@replica/scholarship"},
	    {NULL, NULL},
	};

	ck_assert_int_eq(load(env), 0);
	ck_assert_str_eq(C.database_url, "postgresql://app:pw@db:5432/scholarship");
	ck_assert_str_eq(C.database_url_sync, "postgresql://app:pw@db/scholarship");
	ck_assert_str_eq(C.database_replica_url, "postgresql://ro@replica/scholarship");
}
END_TEST

START_TEST(plus_after_scheme_is_kept)
{
	static const struct kv env[] = {{"DATABASE_URL", "postgresql://app:p+w@db/scholarship"},
	                                {NULL, NULL}};

	ck_assert_int_eq(load(env), 0);
	ck_assert_str_eq(C.database_url, "postgresql://app:p+w@db/scholarship");
}
END_TEST

START_TEST(pg_url_direct)
{
	char out[64], tiny[8];

	ck_assert_int_eq(config_pg_url("postgres+x://h/d", out, sizeof(out)), 0);
	ck_assert_str_eq(out, "postgres://h/d");
	ck_assert_int_eq(config_pg_url("a+b", out, sizeof(out)), 0);
	ck_assert_str_eq(out, "a+b");
	ck_assert_int_eq(config_pg_url("postgresql://host/db", tiny, sizeof(tiny)), -1);
	ck_assert_int_eq(config_pg_url("postgresql+asyncpg://h", tiny, sizeof(tiny)), -1);
}
END_TEST

START_TEST(s3_needs_minio)
{
	static const struct kv env[] = {
	    {"STORAGE_BACKEND", "s3"}, {"MINIO_ACCESS_KEY", "ak"}, {NULL, NULL}};

	ck_assert_int_eq(load(env), -1);
	ck_assert_ptr_nonnull(strstr(err, "MINIO_ENDPOINT"));
	ck_assert_ptr_nonnull(strstr(err, "STORAGE_BACKEND"));
}
END_TEST

START_TEST(s3_with_minio)
{
	static const struct kv env[] = {
	    {"STORAGE_BACKEND", "s3"},
	    {"MINIO_ENDPOINT", "minio:9000"},
	    {"MINIO_ACCESS_KEY", "ak"},
	    {"MINIO_SECRET_KEY", "sk"},
	    {NULL, NULL},
	};

	ck_assert_int_eq(load(env), 0);
	ck_assert_int_eq(C.storage_backend, CFG_STORAGE_S3);
	ck_assert_str_eq(C.minio_endpoint, "minio:9000");
	ck_assert_str_eq(C.minio_bucket, "scholarship-documents");
}
END_TEST

START_TEST(release_twice_is_safe)
{
	static const struct kv env[] = {{"SMTP_PORT", "x"}, {NULL, NULL}};

	ck_assert_int_eq(load(env), -1);
	config_release(&C);
	config_release(&C);
	ck_assert_ptr_null(C.owned_);
}
END_TEST

struct long_case {
	const char *s;
	long min, max;
	int rc;
	long v;
};

static const struct long_case long_cases[] = {
    {"10", 0, 100, 0, 10},
    {"-5", -10, 10, 0, -5},
    {"100", 0, 100, 0, 100},
    {"101", 0, 100, -1, 0},
    {"-1", 0, 100, -1, 0},
    {"", 0, 100, -1, 0},
    {NULL, 0, 100, -1, 0},
    {" 1", 0, 100, -1, 0},
    {"1 ", 0, 100, -1, 0},
    {"1.5", 0, 100, -1, 0},
    {"9223372036854775808", 0, 9223372036854775807L, -1, 0},
    {"-9223372036854775809", -9223372036854775807L - 1, 0, -1, 0},
};

START_TEST(parse_long_bounds)
{
	const struct long_case *c = &long_cases[_i];
	long v = 12345;

	ck_assert_int_eq(config_parse_long(c->s, c->min, c->max, &v), c->rc);
	ck_assert_int_eq(v, c->rc == 0 ? c->v : 12345);
}
END_TEST

Suite *config_suite(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("load");
	TCase *prod = tcase_create("production");
	TCase *pure = tcase_create("helpers");

	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, defaults);
	tcase_add_test(tc, values_are_read);
	tcase_add_test(tc, strings_are_copied);
	tcase_add_test(tc, pool_size_caps_workers);
	tcase_add_loop_test(tc, bad_value_names_variable, 0, (int)NELEM(bad_values));
	tcase_add_test(tc, all_bad_variables_reported_together);
	tcase_add_test(tc, small_error_buffer_truncates);
	tcase_add_test(tc, driver_suffix_removed);
	tcase_add_test(tc, plus_after_scheme_is_kept);
	tcase_add_test(tc, s3_needs_minio);
	tcase_add_test(tc, s3_with_minio);
	tcase_add_test(tc, release_twice_is_safe);
	suite_add_tcase(s, tc);
	tcase_add_checked_fixture(prod, NULL, teardown);
	tcase_add_loop_test(prod, production_names, 0, 3);
	tcase_add_test(prod, staging_is_not_production);
	tcase_add_loop_test(prod, production_refuses_weak_secret, 0, (int)NELEM(bad_production));
	tcase_add_test(prod, production_refuses_debug);
	suite_add_tcase(s, prod);
	tcase_add_test(pure, pg_url_direct);
	tcase_add_loop_test(pure, parse_long_bounds, 0, (int)NELEM(long_cases));
	suite_add_tcase(s, pure);
	return s;
}

/*
 * test_db.c -- unit tests of the pure parts of lib/db.c: the SQLSTATE to
 * error-class mapping (one place decides 409, 422, 503 and retries) and
 * the class to HTTP status mapping; plus the reconnect backoff, driven
 * against a socket directory that does not exist so no server is needed.
 */
#include <string.h>

#include "db.h"
#include "log.h"
#include "suites.h"

struct state_case {
	const char *sqlstate;
	enum db_err err;
};

static const struct state_case states[] = {
    {"23505", DB_CONFLICT}, /* unique_violation */
    {"23P01", DB_CONFLICT}, /* exclusion_violation */
    {"23503", DB_INVALID},  /* foreign_key_violation */
    {"23514", DB_INVALID},  /* check_violation */
    {"23502", DB_INVALID},  /* not_null_violation */
    {"22001", DB_INVALID},  /* string_data_right_truncation */
    {"22P02", DB_INVALID},  /* invalid_text_representation */
    {"22003", DB_INVALID},  /* numeric_value_out_of_range */
    {"22007", DB_INVALID},  /* invalid_datetime_format */
    {"22008", DB_INVALID},  /* datetime_field_overflow */
    {"40001", DB_RETRY},    /* serialization_failure */
    {"40P01", DB_RETRY},    /* deadlock_detected */
    {"08006", DB_DOWN},     /* connection_failure */
    {"08001", DB_DOWN},     /* sqlclient_unable_to_establish_sqlconnection */
    {"57P01", DB_DOWN},     /* admin_shutdown */
    {"57P02", DB_DOWN},     /* crash_shutdown */
    {"57P03", DB_DOWN},     /* cannot_connect_now */
    {"53300", DB_DOWN},     /* too_many_connections */
    {"XX000", DB_FAILED},   /* internal_error */
    {"42P01", DB_FAILED},   /* undefined_table */
    {"42501", DB_FAILED},   /* insufficient_privilege */
    {"22012", DB_FAILED},   /* division_by_zero */
    {"", DB_FAILED},        {NULL, DB_FAILED},
};

START_TEST(sqlstate_classes)
{
	const struct state_case *c = &states[_i];

	ck_assert_msg(db_classify(c->sqlstate) == c->err, "%s: got %d, want %d",
	              c->sqlstate ? c->sqlstate : "(null)", db_classify(c->sqlstate), c->err);
}
END_TEST

START_TEST(class_statuses)
{
	ck_assert_int_eq(db_err_status(DB_OK), 200);
	ck_assert_int_eq(db_err_status(DB_DOWN), 503);
	ck_assert_int_eq(db_err_status(DB_CONFLICT), 409);
	ck_assert_int_eq(db_err_status(DB_INVALID), 422);
	ck_assert_int_eq(db_err_status(DB_RETRY), 503);
	ck_assert_int_eq(db_err_status(DB_FAILED), 500);
	ck_assert_int_eq(db_err_status(db_classify("23505")), 409);
	ck_assert_int_eq(db_err_status(db_classify("23503")), 422);
}
END_TEST

#define NOWHERE "host=/nonexistent/scholarship-test dbname=none"

START_TEST(init_copies_url)
{
	char url[] = NOWHERE;
	struct db db;

	db_init(&db, url, 0);
	url[0] = 'X';
	ck_assert_str_eq(db.url, NOWHERE);
	ck_assert_int_eq(db.connect_timeout, 2);
	ck_assert_ptr_null(db.conn);
	db_release(&db);
	ck_assert_ptr_null(db.url);
}
END_TEST

/* A failed connect schedules the next attempt; calls before it fail fast
 * without trying; the backoff doubles up to its maximum. */
START_TEST(failed_connect_backs_off)
{
	struct db db;
	int i;

	log_set_level(LOG_ERROR); /* the expected connect warnings */
	db_init(&db, NOWHERE, 1);
	ck_assert_int_eq(db_ensure(&db), -1);
	ck_assert_ptr_null(db.conn);
	ck_assert_uint_eq(db.errors, 1);
	ck_assert_double_eq(db.backoff, db.backoff_min);
	ck_assert(db.next_attempt > db_now());
	ck_assert_int_eq(db_ensure(&db), -1);
	ck_assert_uint_eq(db.errors, 1);
	db.next_attempt = 0;
	ck_assert_int_eq(db_ensure(&db), -1);
	ck_assert_uint_eq(db.errors, 2);
	ck_assert_double_eq(db.backoff, 2 * db.backoff_min);
	for (i = 0; i < 10; i++) {
		db.next_attempt = 0;
		db_ensure(&db);
	}
	ck_assert_double_eq(db.backoff, db.backoff_max);
	db_rollback(&db);
	db_release(&db);
	log_set_level(LOG_INFO);
}
END_TEST

Suite *db_suite(void)
{
	Suite *s = suite_create("db");
	TCase *tc = tcase_create("classify");
	TCase *conn = tcase_create("backoff");

	tcase_add_loop_test(tc, sqlstate_classes, 0, (int)NELEM(states));
	tcase_add_test(tc, class_statuses);
	suite_add_tcase(s, tc);
	tcase_add_test(conn, init_copies_url);
	tcase_add_test(conn, failed_connect_backs_off);
	suite_add_tcase(s, conn);
	return s;
}

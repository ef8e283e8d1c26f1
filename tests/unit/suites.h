/*
 * suites.h -- the unit-test suites of libscholarship, one per module
 * (tests/unit/test_MODULE.c), and the helpers they share. main.c runs
 * them all in one check(3) runner.
 */
#ifndef SCH_TEST_SUITES_H
#define SCH_TEST_SUITES_H

#include <check.h>

Suite *arena_suite(void);
Suite *buf_suite(void);
Suite *config_suite(void);
Suite *router_suite(void);
Suite *http_suite(void);
Suite *json_suite(void);
Suite *validate_suite(void);
Suite *log_suite(void);
Suite *metrics_suite(void);
Suite *db_suite(void);
Suite *password_suite(void);
Suite *outbox_suite(void);
Suite *reference_suite(void);
Suite *eligibility_suite(void);
Suite *pii_suite(void);
Suite *csv_suite(void);
Suite *application_suite(void);
Suite *multipart_suite(void);
Suite *document_file_suite(void);
Suite *s3sign_suite(void);
Suite *mail_template_suite(void);

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

#endif

/*
 * main.c -- runs every unit-test suite of libscholarship in one check(3)
 * runner. Verbosity comes from CK_VERBOSITY (CK_ENV); the exit status is
 * non-zero when any test failed, so `make check` and CI see it.
 */
#include <stdlib.h>

#include "suites.h"

static Suite *(*const suites[])(void) = {
    arena_suite,         buf_suite,         config_suite,    router_suite,        http_suite,
    json_suite,          validate_suite,    log_suite,       metrics_suite,       db_suite,
    password_suite,      outbox_suite,      reference_suite, pii_suite,           csv_suite,
    eligibility_suite,   application_suite, multipart_suite, document_file_suite, s3sign_suite,
    mail_template_suite,
};

int main(void)
{
	SRunner *sr = srunner_create(NULL);
	size_t i;
	int failed;

	for (i = 0; i < NELEM(suites); i++)
		srunner_add_suite(sr, suites[i]());
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

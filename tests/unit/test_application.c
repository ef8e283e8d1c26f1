/*
 * test_application.c -- unit tests of the pure parts of the application
 * lifecycle: answers against form fields (lib/application_form.c: every
 * field type, bounds, patterns anchored to the whole value, options,
 * required answers only at submit, unknown keys) and the transition table
 * (lib/application_status.c: every staff move, forbidden ones, withdraw).
 */
#include <string.h>

#include <cjson/cJSON.h>

#include "application_form.h"
#include "application_status.h"
#include "arena.h"
#include "json.h"
#include "suites.h"
#include "validate.h"

static struct arena A;

static void setup(void)
{
	arena_init(&A, 4096);
}

static void teardown(void)
{
	arena_free(&A);
}

static cJSON *J(const char *s)
{
	const char *why;
	cJSON *j = json_parse(&A, s, strlen(s), &why);

	ck_assert_msg(j != NULL, "bad test JSON: %s (%s)", s, why ? why : "");
	return j;
}

static const char form[] =
    "[{\"key\":\"motto\",\"type\":\"text\",\"required\":true,\"max_length\":5},"
    "{\"key\":\"essay\",\"type\":\"textarea\"},"
    "{\"key\":\"phone\",\"type\":\"text\",\"pattern\":\"09[0-9]{8}\"},"
    "{\"key\":\"income\",\"type\":\"number\",\"min\":0,\"max\":100},"
    "{\"key\":\"since\",\"type\":\"date\"},"
    "{\"key\":\"mail\",\"type\":\"email\"},"
    "{\"key\":\"kind\",\"type\":\"select\",\"options\":[\"a\",\"b\"],\"required\":true},"
    "{\"key\":\"agree\",\"type\":\"checkbox\",\"required\":true},"
    "{\"key\":\"langs\",\"type\":\"checkbox\",\"options\":[\"en\",\"zh\"]}]";

struct answer_case {
	const char *key, *value;
	int valid;
};

static const struct answer_case answer_cases[] = {
    {"motto", "\"abcde\"", 1},
    {"motto", "\"abcdef\"", 0},
    {"motto", "\"\xe4\xb8\xad\xe6\x96\x87\xe5\xad\x97\xe5\x9e\x8b\xe5\xa5\xbd\"", 1}, /* 5 chars */
    {"motto", "\"a\\nb\"", 0},
    {"motto", "42", 0},
    {"essay", "\"line one\\nline two\"", 1},
    {"phone", "\"0912345678\"", 1},
    {"phone", "\"x0912345678\"", 0}, /* anchored: no match inside */
    {"phone", "\"09123456789\"", 0},
    {"income", "0", 1},
    {"income", "100", 1},
    {"income", "100.5", 0},
    {"income", "-1", 0},
    {"income", "\"5\"", 0},
    {"since", "\"2024-02-29\"", 1},
    {"since", "\"2023-02-29\"", 0},
    {"since", "\"yesterday\"", 0},
    {"mail", "\"a@b.example\"", 1},
    {"mail", "\"not an email\"", 0},
    {"kind", "\"a\"", 1},
    {"kind", "\"c\"", 0},
    {"agree", "true", 1},
    {"agree", "\"yes\"", 0},
    {"langs", "[\"en\",\"zh\"]", 1},
    {"langs", "[\"en\",\"en\"]", 0},
    {"langs", "[\"fr\"]", 0},
    {"langs", "true", 0},
};

START_TEST(answer_types)
{
	const struct answer_case *t = &answer_cases[_i];
	const cJSON *f = appform_field(J(form), t->key);
	const char *why;

	ck_assert_ptr_nonnull(f);
	why = appform_check(&A, f, J(t->value), 1);
	ck_assert_msg((why == NULL) == t->valid, "%s = %s: expected %s, got %s", t->key, t->value,
	              t->valid ? "valid" : "invalid", why ? why : "valid");
}
END_TEST

static int has_error(const struct verrors *e, const char *path)
{
	size_t i;

	for (i = 0; i < e->n; i++)
		if (strcmp(e->items[i].field, path) == 0)
			return 1;
	return 0;
}

START_TEST(draft_checks_given_answers_only)
{
	struct verrors e;

	verrors_init(&e, &A);
	appform_validate(&A, J(form), J("{\"income\":7,\"essay\":null,\"nope\":1,\"kind\":\"z\"}"),
	                 0, 1, &e);
	ck_assert_uint_eq(e.n, 2);
	ck_assert(has_error(&e, "answers.nope"));
	ck_assert(has_error(&e, "answers.kind"));
}
END_TEST

START_TEST(submit_requires_every_required_answer)
{
	struct verrors e;

	verrors_init(&e, &A);
	appform_validate(&A, J(form), J("{\"motto\":\"\",\"agree\":false,\"income\":500}"), 1, 0,
	                 &e);
	ck_assert(has_error(&e, "answers.motto"));
	ck_assert(has_error(&e, "answers.kind"));
	ck_assert(has_error(&e, "answers.agree"));
	ck_assert(has_error(&e, "answers.income"));
	ck_assert_uint_eq(e.n, 4);
	verrors_init(&e, &A);
	appform_validate(&A, J(form), J("{\"motto\":\"ok\",\"agree\":true,\"kind\":\"b\"}"), 1, 0,
	                 &e);
	ck_assert_uint_eq(e.n, 0);
}
END_TEST

START_TEST(staff_moves_follow_the_table)
{
	static const char *const allowed[][2] = {
	    {"submitted", "under_review"},
	    {"submitted", "pending_documents"},
	    {"submitted", "returned"},
	    {"submitted", "rejected"},
	    {"submitted", "cancelled"},
	    {"under_review", "pending_documents"},
	    {"under_review", "returned"},
	    {"under_review", "approved"},
	    {"under_review", "partially_approved"},
	    {"under_review", "rejected"},
	    {"under_review", "cancelled"},
	    {"pending_documents", "under_review"},
	    {"pending_documents", "returned"},
	    {"pending_documents", "rejected"},
	    {"pending_documents", "cancelled"},
	    {"returned", "cancelled"},
	    {"approved", "cancelled"},
	    {"partially_approved", "cancelled"},
	};
	const char *const *f, *const *t;
	size_t i, n = 0;

	for (f = appstatus_names; *f != NULL; f++)
		for (t = appstatus_names; *t != NULL; t++) {
			int want = 0;

			for (i = 0; i < NELEM(allowed); i++)
				if (strcmp(allowed[i][0], *f) == 0 &&
				    strcmp(allowed[i][1], *t) == 0)
					want = 1;
			ck_assert_msg(appstatus_staff_may(*f, *t) == want, "%s -> %s", *f, *t);
			n += (size_t)want;
		}
	ck_assert_uint_eq(n, NELEM(allowed));
}
END_TEST

START_TEST(withdraw_before_a_decision_only)
{
	ck_assert(appstatus_withdrawable("draft"));
	ck_assert(appstatus_withdrawable("returned"));
	ck_assert(!appstatus_withdrawable("approved"));
	ck_assert(!appstatus_withdrawable("withdrawn"));
	ck_assert(appstatus_known("partially_approved"));
	ck_assert(!appstatus_known("Approved"));
	ck_assert(appstage_known("college"));
	ck_assert(!appstage_known(""));
	ck_assert_str_eq(appstatus_stage_after("returned"), "student");
	ck_assert_ptr_null(appstatus_stage_after("approved"));
}
END_TEST

Suite *application_suite(void)
{
	Suite *s = suite_create("application");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, answer_types, 0, (int)NELEM(answer_cases));
	tcase_add_test(tc, draft_checks_given_answers_only);
	tcase_add_test(tc, submit_requires_every_required_answer);
	tcase_add_test(tc, staff_moves_follow_the_table);
	tcase_add_test(tc, withdraw_before_a_decision_only);
	suite_add_tcase(s, tc);
	return s;
}

/*
 * test_eligibility.c -- unit tests of the eligibility engine
 * (lib/eligibility.c): every operator on numbers and strings, hard rules
 * against warnings, sub-type-scoped rules and the open sub-types, missing
 * data failing with "data unavailable", messages by locale, and the JSON
 * shape of GET /eligibility.
 */
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "arena.h"
#include "eligibility.h"
#include "json.h"
#include "suites.h"

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

static const char record[] = "{\"gpa\":3.6,\"year_of_study\":2,\"degree\":\"bachelor\","
                             "\"college_code\":\"EE\",\"enrollment_status\":\"enrolled\","
                             "\"birth_date\":\"2004-05-17\",\"class_rank_percent\":null}";

struct op_case {
	const char *rule;
	int passed;
};

/* One rule each; hard so that eligible == passed. */
static const struct op_case op_cases[] = {
    {"{\"field\":\"gpa\",\"operator\":\">=\",\"value\":3.5,\"hard\":true}", 1},
    {"{\"field\":\"gpa\",\"operator\":\">=\",\"value\":3.6,\"hard\":true}", 1},
    {"{\"field\":\"gpa\",\"operator\":\">\",\"value\":3.6,\"hard\":true}", 0},
    {"{\"field\":\"gpa\",\"operator\":\"<\",\"value\":4,\"hard\":true}", 1},
    {"{\"field\":\"gpa\",\"operator\":\"<=\",\"value\":3.59,\"hard\":true}", 0},
    {"{\"field\":\"year_of_study\",\"operator\":\"==\",\"value\":2,\"hard\":true}", 1},
    {"{\"field\":\"year_of_study\",\"operator\":\"!=\",\"value\":2,\"hard\":true}", 0},
    {"{\"field\":\"degree\",\"operator\":\"==\",\"value\":\"bachelor\",\"hard\":true}", 1},
    {"{\"field\":\"degree\",\"operator\":\"!=\",\"value\":\"master\",\"hard\":true}", 1},
    {"{\"field\":\"college_code\",\"operator\":\"in\",\"value\":[\"EE\",\"SCI\"],\"hard\":true}",
     1},
    {"{\"field\":\"college_code\",\"operator\":\"in\",\"value\":[\"LAW\"],\"hard\":true}", 0},
    {"{\"field\":\"college_code\",\"operator\":\"not_in\",\"value\":[\"LAW\"],\"hard\":true}", 1},
    {"{\"field\":\"college_code\",\"operator\":\"not_in\",\"value\":[\"EE\"],\"hard\":true}", 0},
    {"{\"field\":\"birth_date\",\"operator\":\"<\",\"value\":\"2005-01-01\",\"hard\":true}", 1},
    {"{\"field\":\"birth_date\",\"operator\":\">\",\"value\":\"2005-01-01\",\"hard\":true}", 0},
    /* a number never equals a string, whatever the digits */
    {"{\"field\":\"year_of_study\",\"operator\":\"==\",\"value\":\"2\",\"hard\":true}", 0},
    {"{\"field\":\"year_of_study\",\"operator\":\"!=\",\"value\":\"2\",\"hard\":true}", 0},
    /* missing and null data fail, even for != and not_in */
    {"{\"field\":\"class_rank_percent\",\"operator\":\"<=\",\"value\":10,\"hard\":true}", 0},
    {"{\"field\":\"no_such_field\",\"operator\":\"!=\",\"value\":1,\"hard\":true}", 0},
    {"{\"field\":\"no_such_field\",\"operator\":\"not_in\",\"value\":[1],\"hard\":true}", 0},
    /* in with a non-array value is refused, not a crash */
    {"{\"field\":\"degree\",\"operator\":\"in\",\"value\":\"bachelor\",\"hard\":true}", 0},
};

START_TEST(each_operator)
{
	struct elig_result r;
	char rules[512];

	snprintf(rules, sizeof(rules), "[%s]", op_cases[_i].rule);
	ck_assert_int_eq(eligibility_evaluate(&A, J(rules), J(record), NULL, "en", &r), 0);
	ck_assert_uint_eq(r.nrules, 1);
	ck_assert_msg(r.rules[0].passed == op_cases[_i].passed, "%s", op_cases[_i].rule);
	ck_assert_int_eq(r.eligible, op_cases[_i].passed);
}
END_TEST

START_TEST(missing_data_is_named)
{
	struct elig_result r;
	const char *rules = "[{\"field\":\"class_rank_percent\",\"operator\":\"<=\",\"value\":10,"
	                    "\"hard\":true,\"message\":\"排名前10%\",\"message_en\":\"Top 10%\"}]";

	ck_assert_int_eq(eligibility_evaluate(&A, J(rules), J(record), NULL, "en", &r), 0);
	ck_assert(r.rules[0].unavailable);
	ck_assert_str_eq(r.rules[0].message, "data unavailable");
	ck_assert_int_eq(eligibility_evaluate(&A, J(rules), J(record), NULL, "zh-TW", &r), 0);
	ck_assert_str_eq(r.rules[0].message, "資料不足，無法判斷");
}
END_TEST

START_TEST(warnings_never_exclude)
{
	struct elig_result r;
	const char *rules =
	    "[{\"field\":\"gpa\",\"operator\":\">=\",\"value\":3.9,\"hard\":false,"
	    "\"message\":\"成績未達 3.9\",\"message_en\":\"GPA below 3.9\"},"
	    "{\"field\":\"degree\",\"operator\":\"==\",\"value\":\"bachelor\",\"hard\":true}]";

	ck_assert_int_eq(eligibility_evaluate(&A, J(rules), J(record), NULL, "en", &r), 0);
	ck_assert(!r.rules[0].passed);
	ck_assert(!r.rules[0].hard);
	ck_assert(r.eligible);
	ck_assert_str_eq(r.rules[0].message, "GPA below 3.9");
	ck_assert_int_eq(eligibility_evaluate(&A, J(rules), J(record), NULL, "zh-TW", &r), 0);
	ck_assert_str_eq(r.rules[0].message, "成績未達 3.9");
}
END_TEST

static const char subs[] = "[{\"code\":\"A\"},{\"code\":\"B\"}]";

START_TEST(sub_type_rules_close_only_their_sub_type)
{
	struct elig_result r;
	const char *rules =
	    "[{\"field\":\"gpa\",\"operator\":\">=\",\"value\":3.8,\"hard\":true,"
	    "\"sub_type\":\"A\"},"
	    "{\"field\":\"year_of_study\",\"operator\":\">=\",\"value\":2,\"hard\":true,"
	    "\"sub_type\":\"B\"}]";

	ck_assert_int_eq(eligibility_evaluate(&A, J(rules), J(record), J(subs), "en", &r), 0);
	ck_assert(r.eligible);
	ck_assert_uint_eq(r.nopen, 1);
	ck_assert_str_eq(r.open_sub_types[0], "B");
	ck_assert_str_eq(r.rules[0].sub_type, "A");
}
END_TEST

START_TEST(no_open_sub_type_means_ineligible)
{
	struct elig_result r;
	const char *rules =
	    "[{\"field\":\"gpa\",\"operator\":\">=\",\"value\":3.8,\"hard\":true,"
	    "\"sub_type\":\"A\"},{\"field\":\"gpa\",\"operator\":\">=\",\"value\":3.8,"
	    "\"hard\":true,\"sub_type\":\"B\"}]";

	ck_assert_int_eq(eligibility_evaluate(&A, J(rules), J(record), J(subs), "en", &r), 0);
	ck_assert(!r.eligible);
	ck_assert_uint_eq(r.nopen, 0);
}
END_TEST

START_TEST(a_global_hard_rule_closes_everything)
{
	struct elig_result r;
	const char *rules =
	    "[{\"field\":\"enrollment_status\",\"operator\":\"==\",\"value\":\"graduated\","
	    "\"hard\":true}]";

	ck_assert_int_eq(eligibility_evaluate(&A, J(rules), J(record), J(subs), "en", &r), 0);
	ck_assert(!r.eligible);
	ck_assert_uint_eq(r.nopen, 0);
}
END_TEST

START_TEST(no_rules_is_eligible_for_every_sub_type)
{
	struct elig_result r;

	ck_assert_int_eq(eligibility_evaluate(&A, J("[]"), J(record), J(subs), "en", &r), 0);
	ck_assert(r.eligible);
	ck_assert_uint_eq(r.nopen, 2);
}
END_TEST

START_TEST(json_shape)
{
	struct elig_result r;
	const char *rules = "[{\"field\":\"gpa\",\"operator\":\">=\",\"value\":3.5,\"hard\":true,"
	                    "\"sub_type\":\"A\",\"message_en\":\"GPA 3.5\"}]";
	cJSON *j, *rule;

	ck_assert_int_eq(eligibility_evaluate(&A, J(rules), J(record), J(subs), "en", &r), 0);
	j = eligibility_to_json(&A, &r);
	ck_assert_ptr_nonnull(j);
	ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(j, "eligible")));
	ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(j, "sub_types")), 2);
	rule = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "rules"), 0);
	ck_assert_str_eq(json_str(rule, "field"), "gpa");
	ck_assert_str_eq(json_str(rule, "operator"), ">=");
	ck_assert_str_eq(json_str(rule, "sub_type"), "A");
	ck_assert_str_eq(json_str(rule, "message"), "GPA 3.5");
	ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(rule, "passed")));
	ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(rule, "hard")));
}
END_TEST

START_TEST(out_of_memory_is_reported)
{
	struct elig_result r;
	cJSON *rules = J("[{\"field\":\"gpa\",\"operator\":\">=\",\"value\":3,\"hard\":true}]");
	cJSON *rec = J(record);

	arena_fail_after(&A, 0);
	ck_assert_int_eq(eligibility_evaluate(&A, rules, rec, NULL, "en", &r), -1);
}
END_TEST

START_TEST(operator_names)
{
	static const char *const ok[] = {"==", "!=", ">", ">=", "<", "<=", "in", "not_in"};
	size_t i;

	for (i = 0; i < NELEM(ok); i++)
		ck_assert(eligibility_op_valid(ok[i]));
	ck_assert(!eligibility_op_valid("=>"));
	ck_assert(!eligibility_op_valid("IN"));
	ck_assert(!eligibility_op_valid(""));
	ck_assert(!eligibility_op_valid(NULL));
}
END_TEST

Suite *eligibility_suite(void)
{
	Suite *s = suite_create("eligibility");
	TCase *tc = tcase_create("evaluate");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, each_operator, 0, (int)NELEM(op_cases));
	tcase_add_test(tc, missing_data_is_named);
	tcase_add_test(tc, warnings_never_exclude);
	tcase_add_test(tc, sub_type_rules_close_only_their_sub_type);
	tcase_add_test(tc, no_open_sub_type_means_ineligible);
	tcase_add_test(tc, a_global_hard_rule_closes_everything);
	tcase_add_test(tc, no_rules_is_eligible_for_every_sub_type);
	tcase_add_test(tc, json_shape);
	tcase_add_test(tc, out_of_memory_is_reported);
	tcase_add_test(tc, operator_names);
	suite_add_tcase(s, tc);
	return s;
}

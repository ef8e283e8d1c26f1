/*
 * test_reference.c -- unit tests of the pure parts of the reference data
 * routes (lib/reference.c): the college/department code shape, the
 * {"items":[...]} JSON with escaping and the college filter (checked by
 * parsing it back with cJSON), the ETag, and If-None-Match matching
 * (lists, weak tags, "*", malformed values).
 */
#include <string.h>

#include <cjson/cJSON.h>

#include "arena.h"
#include "buf.h"
#include "reference.h"
#include "suites.h"

static struct arena A;
static struct buf B;

static void setup(void)
{
	arena_init(&A, 4096);
	buf_init(&B, &A);
}

static void teardown(void)
{
	arena_free(&A);
}

static const struct {
	const char *s;
	int ok;
} code_cases[] = {
    {"EE", 1},          {"A", 1},
    {"CSIE", 1},        {"ABCDEFGH12", 1}, /* 10 characters: the limit */
    {"ABCDEFGH123", 0}, {"", 0},
    {"ee", 0},          {"E E", 0},
    {"EE'", 0},         {"EE'; DROP TABLE colleges;--", 0},
    {"E-E", 0},         {"\xe9\x9b\xbb", 0}, /* 電 */
};

START_TEST(code_shape)
{
	ck_assert_msg(reference_code_valid(code_cases[_i].s) == code_cases[_i].ok, "case %d: %s",
	              _i, code_cases[_i].s);
}
END_TEST

START_TEST(code_null_is_invalid)
{
	ck_assert_int_eq(reference_code_valid(NULL), 0);
}
END_TEST

static const struct reference_item depts[] = {
    {"CSIE", "EE", "資訊工程學系", "Department of Computer Science"},
    {"Q", "LAW", "quote \" and \\ backslash", "tab\tnewline\n"},
    {"EE", "EE", "電機工程學系", "Department of Electrical Engineering"},
};

START_TEST(json_lists_every_item_in_order)
{
	cJSON *j, *items;

	reference_json(&B, depts, NELEM(depts), 1, NULL);
	ck_assert_int_eq(B.oom, 0);
	j = cJSON_Parse(buf_cstr(&B));
	ck_assert_ptr_nonnull(j);
	items = cJSON_GetObjectItemCaseSensitive(j, "items");
	ck_assert_int_eq(cJSON_GetArraySize(items), 3);
	ck_assert_str_eq(cJSON_GetArrayItem(items, 0)->child->valuestring, "CSIE");
	ck_assert_str_eq(
	    cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(items, 1), "name")->valuestring,
	    "quote \" and \\ backslash");
	ck_assert_str_eq(
	    cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(items, 1), "name_en")->valuestring,
	    "tab\tnewline\n");
	ck_assert_str_eq(
	    cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(items, 2), "college_code")
	        ->valuestring,
	    "EE");
	cJSON_Delete(j);
}
END_TEST

START_TEST(json_exact_shape)
{
	reference_json(&B, depts, 1, 1, NULL);
	ck_assert_str_eq(buf_cstr(&B), "{\"items\":[{\"code\":\"CSIE\",\"college_code\":\"EE\","
	                               "\"name\":\"資訊工程學系\",\"name_en\":"
	                               "\"Department of Computer Science\"}]}");
	B.len = 0;
	reference_json(&B, depts, 1, 0, NULL);
	ck_assert_str_eq(buf_cstr(&B), "{\"items\":[{\"code\":\"CSIE\",\"name\":\"資訊工程學系\","
	                               "\"name_en\":\"Department of Computer Science\"}]}");
}
END_TEST

START_TEST(json_filter_keeps_one_college)
{
	reference_json(&B, depts, NELEM(depts), 1, "EE");
	ck_assert_ptr_nonnull(strstr(buf_cstr(&B), "\"CSIE\""));
	ck_assert_ptr_nonnull(strstr(buf_cstr(&B), "{\"code\":\"EE\""));
	ck_assert_ptr_null(strstr(buf_cstr(&B), "LAW"));
	B.len = 0;
	reference_json(&B, depts, NELEM(depts), 1, "NOPE");
	ck_assert_str_eq(buf_cstr(&B), "{\"items\":[]}");
	B.len = 0;
	reference_json(&B, NULL, 0, 0, NULL);
	ck_assert_str_eq(buf_cstr(&B), "{\"items\":[]}");
}
END_TEST

START_TEST(json_oom_is_reported)
{
	arena_fail_after(&A, 0);
	reference_json(&B, depts, NELEM(depts), 1, NULL);
	ck_assert_int_eq(B.oom, 1);
}
END_TEST

START_TEST(etag_is_quoted_hash_of_body)
{
	char a[REFERENCE_ETAG_LEN], b[REFERENCE_ETAG_LEN], c[REFERENCE_ETAG_LEN];

	reference_etag("{\"items\":[]}", 12, a);
	reference_etag("{\"items\":[]}", 12, b);
	reference_etag("{\"items\":[1]}", 13, c);
	ck_assert_uint_eq(strlen(a), REFERENCE_ETAG_LEN - 1);
	ck_assert_int_eq(a[0], '"');
	ck_assert_int_eq(a[REFERENCE_ETAG_LEN - 2], '"');
	ck_assert_str_eq(a, b);
	ck_assert_str_ne(a, c);
	reference_etag("", 0, a); /* FNV-1a 64 of nothing is its offset basis */
	ck_assert_str_eq(a, "\"cbf29ce484222325\"");
}
END_TEST

static const struct {
	const char *inm;
	int match;
} inm_cases[] = {
    {"\"0123456789abcdef\"", 1},
    {"W/\"0123456789abcdef\"", 1},
    {"\"x\", \"0123456789abcdef\"", 1},
    {"\"x\",W/\"0123456789abcdef\"", 1},
    {"  \"0123456789abcdef\"  ", 1},
    {"*", 1},
    {"\"x\", *", 1},
    {"\"0123456789abcdeF\"", 0},
    {"0123456789abcdef", 0},
    {"\"0123456789abcde\"", 0},
    {"\"0123456789abcdef", 0},
    {"\"x\" junk, \"0123456789abcdef\"", 0},
    {"", 0},
    {",,,", 0},
    {"w/\"0123456789abcdef\"", 0},
};

START_TEST(if_none_match)
{
	ck_assert_msg(reference_etag_match(inm_cases[_i].inm, "\"0123456789abcdef\"") ==
	                  inm_cases[_i].match,
	              "case %d: %s", _i, inm_cases[_i].inm);
}
END_TEST

START_TEST(if_none_match_absent)
{
	ck_assert_int_eq(reference_etag_match(NULL, "\"0123456789abcdef\""), 0);
}
END_TEST

Suite *reference_suite(void)
{
	Suite *s = suite_create("reference");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, code_shape, 0, (int)NELEM(code_cases));
	tcase_add_test(tc, code_null_is_invalid);
	tcase_add_test(tc, json_lists_every_item_in_order);
	tcase_add_test(tc, json_exact_shape);
	tcase_add_test(tc, json_filter_keeps_one_college);
	tcase_add_test(tc, json_oom_is_reported);
	tcase_add_test(tc, etag_is_quoted_hash_of_body);
	tcase_add_loop_test(tc, if_none_match, 0, (int)NELEM(inm_cases));
	tcase_add_test(tc, if_none_match_absent);
	suite_add_tcase(s, tc);
	return s;
}

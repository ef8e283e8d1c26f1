/*
 * test_json.c -- unit tests of JSON parsing and printing over cJSON with
 * arena ownership (lib/json.c): valid documents, invalid ones, trailing
 * garbage, invalid UTF-8, embedded NUL bytes, nesting beyond 32, empty
 * input, buffers that are not NUL-terminated, and trees freed with the
 * arena (LeakSanitizer fails a test that leaks one).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "json.h"
#include "suites.h"

static struct arena A;

static void setup(void)
{
	arena_init(&A, 0);
}

static void teardown(void)
{
	arena_free(&A);
}

/* Parse from an exact-size heap copy, so ASan sees any over-read. */
static cJSON *parse_n(const char *s, size_t n, const char **why)
{
	char *copy = malloc(n ? n : 1);
	cJSON *j;

	memcpy(copy, s, n);
	j = json_parse(&A, copy, n, why);
	free(copy);
	return j;
}

#define PARSE(lit, why) parse_n(lit, sizeof(lit) - 1, why)

static const char *const valid_docs[] = {
    "{}",
    "[]",
    "{\"a\":1,\"b\":[true,false,null],\"c\":{\"d\":\"e\"}}",
    "  \n\t{\"a\":\"x\"}\r\n  ",
    "42",
    "\"just a string\"",
    "{\"u\":\"\\u00e9\\ud83d\\ude00\"}",
    "{\"s\":\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"}",
    "[\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\"]",
    "[\"\\\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\"]",
    "{\"a\":-1.5e3}",
};

START_TEST(valid_documents_parse)
{
	const char *why = "unset";
	const char *s = valid_docs[_i];
	cJSON *j = parse_n(s, strlen(s), &why);

	ck_assert_msg(j != NULL, "\"%s\": %s", s, why);
	ck_assert_ptr_null(why);
}
END_TEST

START_TEST(values_are_readable)
{
	const char *why;
	cJSON *j = PARSE("{\"name\":\"Ann\",\"n\":3,\"u\":\"\\u00e9\"}", &why);

	ck_assert_ptr_nonnull(j);
	ck_assert_str_eq(json_str(j, "name"), "Ann");
	ck_assert_str_eq(json_str(j, "u"), "\xc3\xa9");
	ck_assert_ptr_null(json_str(j, "n"));
	ck_assert_ptr_null(json_str(j, "missing"));
	ck_assert_ptr_null(json_str(j, "Name"));
}
END_TEST

struct bad_doc {
	const char *s;
	size_t n;
	const char *why;
};

#define BAD(lit, why)                                                                              \
	{                                                                                          \
		lit, sizeof(lit) - 1, why                                                          \
	}
#define NOT_JSON "the request body is not valid JSON"
#define TRAILING "the request body has data after the JSON document"
#define NOT_UTF8 "the request body is not valid UTF-8"

static const struct bad_doc bad_docs[] = {
    BAD("", "the request body is empty"),
    BAD("   ", NOT_JSON),
    BAD("{", NOT_JSON),
    BAD("{\"a\":}", NOT_JSON),
    BAD("{'a':1}", NOT_JSON),
    BAD("nul", NOT_JSON),
    BAD("[1,]", NOT_JSON),
    BAD("\"unterminated", NOT_JSON),
    BAD("\"\\", NOT_JSON),
    BAD("{\"a\":\"\\ud800\"}", NOT_JSON),
    BAD("{} x", TRAILING),
    BAD("{}{}", TRAILING),
    BAD("[1]]", TRAILING),
    BAD("1 2", TRAILING),
    BAD("{\"a\":\"\xff\"}", NOT_UTF8),
    BAD("{\"a\":\"\xc0\xaf\"}", NOT_UTF8),
    BAD("{\"a\":\"\xed\xa0\x80\"}", NOT_UTF8),
    BAD("{\"a\":\"\xc3\"}", NOT_UTF8),
    BAD("{\"a\":1}\xc3", NOT_UTF8),
    BAD("{}\0", NOT_UTF8),
    BAD("{\"a\":\"x\0y\"}", NOT_UTF8),
    BAD("\0{}", NOT_UTF8),
};

START_TEST(bad_documents_refused)
{
	const struct bad_doc *d = &bad_docs[_i];
	const char *why = NULL;

	ck_assert_ptr_null(parse_n(d->s, d->n, &why));
	ck_assert_ptr_nonnull(why);
	ck_assert_str_eq(why, d->why);
}
END_TEST

/* depth opening brackets, then as many closing ones. */
static char *nested(int depth, char open, char close)
{
	char *s = arena_alloc(&A, (size_t)depth * 2 + 1);

	memset(s, open, (size_t)depth);
	memset(s + depth, close, (size_t)depth);
	s[depth * 2] = '\0';
	return s;
}

START_TEST(depth_limit)
{
	const char *why;

	ck_assert_ptr_nonnull(parse_n(nested(JSON_MAX_DEPTH, '[', ']'), 2 * JSON_MAX_DEPTH, &why));
	ck_assert_ptr_null(
	    parse_n(nested(JSON_MAX_DEPTH + 1, '[', ']'), 2 * JSON_MAX_DEPTH + 2, &why));
	ck_assert_str_eq(why, "the JSON document is nested too deeply");
	ck_assert_ptr_null(parse_n(nested(10000, '[', ']'), 20000, &why));
	ck_assert_str_eq(why, "the JSON document is nested too deeply");
}
END_TEST

START_TEST(depth_counts_objects_too)
{
	char *s = arena_alloc(&A, 33 * 6 + 2);
	size_t n = 0;
	int i;
	const char *why;

	for (i = 0; i < 33; i++)
		n += (size_t)sprintf(s + n, "{\"a\":");
	s[n++] = '1';
	for (i = 0; i < 33; i++)
		s[n++] = '}';
	ck_assert_ptr_null(parse_n(s, n, &why));
	ck_assert_str_eq(why, "the JSON document is nested too deeply");
}
END_TEST

START_TEST(not_nul_terminated)
{
	const char *why;
	const char text[] = "{\"a\":[1,2]}garbage";

	ck_assert_ptr_nonnull(parse_n(text, 11, &why));
	ck_assert_ptr_nonnull(parse_n("123456", 3, &why));
	ck_assert_ptr_null(parse_n("\"abc\"", 4, &why));
	ck_assert_ptr_null(parse_n("[1,2", 4, &why));
	ck_assert_ptr_null(parse_n("tru", 3, &why));
}
END_TEST

START_TEST(number_parsed_from_exact_length)
{
	const char *why;
	cJSON *j = parse_n("123456", 3, &why);

	ck_assert_ptr_nonnull(j);
	ck_assert_int_eq(j->valueint, 123);
}
END_TEST

START_TEST(tree_freed_with_arena)
{
	const char *why;
	int i;

	for (i = 0; i < 100; i++)
		ck_assert_ptr_nonnull(PARSE("{\"a\":[1,2,3],\"b\":{\"c\":\"d\"}}", &why));
	arena_reset(&A);
	ck_assert_ptr_null(A.cleanups);
}
END_TEST

START_TEST(out_of_memory_frees_tree)
{
	const char *why;

	arena_fail_after(&A, 0);
	ck_assert_ptr_null(PARSE("{\"a\":[1,2,3]}", &why));
	ck_assert_str_eq(why, "out of memory");
}
END_TEST

START_TEST(print_roundtrip)
{
	static const char doc[] = "{\"a\":[1,2.5,{\"b\":\"c\\\"\\n\"}],\"e\":null,\"f\":true}";
	const char *why;
	cJSON *j = PARSE(doc, &why);

	ck_assert_ptr_nonnull(j);
	ck_assert_str_eq(json_print(&A, j), doc);
}
END_TEST

START_TEST(print_out_of_memory)
{
	const char *why;
	cJSON *j = PARSE("[1]", &why);

	arena_fail_after(&A, 0);
	ck_assert_ptr_null(json_print(&A, j));
}
END_TEST

START_TEST(owned_containers)
{
	cJSON *o = json_new_object(&A);
	cJSON *a = json_new_array(&A);

	ck_assert_ptr_nonnull(o);
	ck_assert_ptr_nonnull(a);
	cJSON_AddStringToObject(o, "k", "v");
	cJSON_AddItemToArray(a, cJSON_CreateNumber(7));
	ck_assert_str_eq(json_print(&A, o), "{\"k\":\"v\"}");
	ck_assert_str_eq(json_print(&A, a), "[7]");
	arena_fail_after(&A, 0);
	ck_assert_ptr_null(json_new_object(&A));
}
END_TEST

struct utf8_case {
	const char *s;
	size_t n;
	int ok;
};

#define U8(lit, ok)                                                                                \
	{                                                                                          \
		lit, sizeof(lit) - 1, ok                                                           \
	}

static const struct utf8_case utf8_cases[] = {
    U8("", 1),
    U8("ascii", 1),
    U8("\xc2\x80", 1),
    U8("\xdf\xbf", 1),
    U8("\xe0\xa0\x80", 1),
    U8("\xef\xbf\xbf", 1),
    U8("\xf0\x90\x80\x80", 1),
    U8("\xf4\x8f\xbf\xbf", 1),
    U8("\x80", 0),
    U8("\xc1\xbf", 0),
    U8("\xe0\x9f\xbf", 0),
    U8("\xed\xbf\xbf", 0),
    U8("\xf0\x8f\xbf\xbf", 0),
    U8("\xf4\x90\x80\x80", 0),
    U8("\xf8\x88\x80\x80\x80", 0),
    U8("\xe2\x82", 0),
    U8("\xe2\x28\xa1", 0),
    U8("a\0b", 0),
};

START_TEST(utf8_validity)
{
	const struct utf8_case *c = &utf8_cases[_i];

	ck_assert_int_eq(json_utf8_valid(c->s, c->n), c->ok);
}
END_TEST

Suite *json_suite(void)
{
	Suite *s = suite_create("json");
	TCase *tc = tcase_create("parse");
	TCase *pr = tcase_create("print");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, valid_documents_parse, 0, (int)NELEM(valid_docs));
	tcase_add_test(tc, values_are_readable);
	tcase_add_loop_test(tc, bad_documents_refused, 0, (int)NELEM(bad_docs));
	tcase_add_test(tc, depth_limit);
	tcase_add_test(tc, depth_counts_objects_too);
	tcase_add_test(tc, not_nul_terminated);
	tcase_add_test(tc, number_parsed_from_exact_length);
	tcase_add_test(tc, tree_freed_with_arena);
	tcase_add_test(tc, out_of_memory_frees_tree);
	tcase_add_loop_test(tc, utf8_validity, 0, (int)NELEM(utf8_cases));
	suite_add_tcase(s, tc);
	tcase_add_checked_fixture(pr, setup, teardown);
	tcase_add_test(pr, print_roundtrip);
	tcase_add_test(pr, print_out_of_memory);
	tcase_add_test(pr, owned_containers);
	suite_add_tcase(s, pr);
	return s;
}

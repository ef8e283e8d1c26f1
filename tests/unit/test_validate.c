/*
 * test_validate.c -- unit tests of the field-table validator
 * (lib/validate.c) over a table like a route's: required strings with
 * length bounds (in characters), email, UUID, dates (leap years),
 * RFC 3339 date-times, bounded integers, enums, a nested object and an
 * array of enums. Every error is reported at once with its dotted path
 * ("answers.phone", "sub_types.1"); unknown fields are errors; null is
 * accepted only with VF_NULLABLE.
 */
#include <stdio.h>
#include <string.h>

#include "arena.h"
#include "json.h"
#include "validate.h"
#include "suites.h"

static const char *const kinds[] = {"merit", "need", "athletic", NULL};

static const struct vfield answer_fields[] = {
    {.name = "phone", .type = VT_STRING, .flags = VF_REQUIRED, .min = 7, .max = 20},
    {.name = "essay", .type = VT_STRING, .min = 1, .max = 2000},
};

static const struct vfield kind_item = {.name = "item", .type = VT_ENUM, .options = kinds};

static const struct vfield ref_fields[] = {
    {.name = "id", .type = VT_UUID, .flags = VF_REQUIRED},
};

static const struct vfield ref_item = {
    .name = "ref", .type = VT_OBJECT, .children = ref_fields, .nchildren = 1};

static const struct vfield fields[] = {
    {.name = "name", .type = VT_STRING, .flags = VF_REQUIRED, .min = 2, .max = 50},
    {.name = "email", .type = VT_EMAIL, .flags = VF_REQUIRED},
    {.name = "college_id", .type = VT_UUID},
    {.name = "birth_date", .type = VT_DATE},
    {.name = "submitted_at", .type = VT_DATETIME, .flags = VF_NULLABLE},
    {.name = "gpa_percent", .type = VT_INT, .min = 0, .max = 100},
    {.name = "amount", .type = VT_NUMBER, .min = 1, .max = 1000000},
    {.name = "active", .type = VT_BOOL},
    {.name = "kind", .type = VT_ENUM, .options = kinds},
    {.name = "answers", .type = VT_OBJECT, .children = answer_fields, .nchildren = 2},
    {.name = "sub_types", .type = VT_ARRAY, .min = 1, .max = 3, .item = &kind_item},
    {.name = "refs", .type = VT_ARRAY, .item = &ref_item},
    {.name = "note", .type = VT_STRING, .flags = VF_NULLABLE},
};

static struct arena A;
static struct verrors E;

static void setup(void)
{
	arena_init(&A, 0);
	verrors_init(&E, &A);
}

static void teardown(void)
{
	arena_free(&A);
}

/* Validate the JSON text doc against fields; the number of errors. */
static size_t check(const char *doc)
{
	const char *why;
	cJSON *j = json_parse(&A, doc, strlen(doc), &why);

	ck_assert_msg(j != NULL, "test document does not parse: %s", why);
	return validate_object(j, fields, NELEM(fields), "", &E);
}

/* The message recorded for path, or NULL. */
static const char *error_at(const char *path)
{
	size_t i;

	for (i = 0; i < E.n; i++)
		if (strcmp(E.items[i].field, path) == 0)
			return E.items[i].message;
	return NULL;
}

static void dump_errors(void)
{
	size_t i;

	for (i = 0; i < E.n; i++)
		fprintf(stderr, "  %s: %s\n", E.items[i].field, E.items[i].message);
}

#define MINIMAL "\"name\":\"Ann\",\"email\":\"ann@example.org\""

START_TEST(full_valid_document)
{
	size_t n =
	    check("{" MINIMAL ",\"college_id\":\"0b7e5c1a-2f4d-4e8a-9c3b-1d2e3f405162\","
	          "\"birth_date\":\"2004-02-29\",\"submitted_at\":\"2024-05-01T10:20:30Z\","
	          "\"gpa_percent\":100,\"amount\":1500.75,\"active\":false,\"kind\":\"need\","
	          "\"answers\":{\"phone\":\"+1 555 0100\",\"essay\":\"Because.\"},"
	          "\"sub_types\":[\"merit\",\"athletic\"],"
	          "\"refs\":[{\"id\":\"A1B2C3D4-E5F6-4789-ABCD-EF0123456789\"}],"
	          "\"note\":\"n\"}");

	if (n)
		dump_errors();
	ck_assert_uint_eq(n, 0);
	ck_assert_uint_eq(E.n, 0);
}
END_TEST

START_TEST(minimal_valid_document)
{
	ck_assert_uint_eq(check("{" MINIMAL "}"), 0);
}
END_TEST

START_TEST(missing_required)
{
	ck_assert_uint_eq(check("{}"), 2);
	ck_assert_str_eq(error_at("name"), "is required");
	ck_assert_str_eq(error_at("email"), "is required");
}
END_TEST

START_TEST(all_errors_at_once)
{
	size_t n = check("{\"name\":\"A\",\"email\":\"not-an-email\",\"college_id\":\"123\","
	                 "\"birth_date\":\"2023-02-29\",\"submitted_at\":\"yesterday\","
	                 "\"gpa_percent\":101,\"amount\":0.5,\"active\":\"yes\",\"kind\":\"other\","
	                 "\"answers\":{\"essay\":\"\"},\"sub_types\":[\"merit\",\"bogus\"],"
	                 "\"refs\":[{\"id\":\"x\"},{}],\"extra\":1}");

	ck_assert_str_eq(error_at("name"), "must be 2 to 50 characters long");
	ck_assert_str_eq(error_at("email"), "must be an email address");
	ck_assert_str_eq(error_at("college_id"), "must be a UUID");
	ck_assert_str_eq(error_at("birth_date"), "must be a date (YYYY-MM-DD)");
	ck_assert_str_eq(error_at("submitted_at"), "must be an RFC 3339 date-time");
	ck_assert_str_eq(error_at("gpa_percent"), "must be from 0 to 100");
	ck_assert_str_eq(error_at("amount"), "must be from 1 to 1000000");
	ck_assert_str_eq(error_at("active"), "must be true or false");
	ck_assert_str_eq(error_at("kind"), "is not one of the allowed values");
	ck_assert_str_eq(error_at("answers.phone"), "is required");
	ck_assert_str_eq(error_at("answers.essay"), "must be 1 to 2000 characters long");
	ck_assert_str_eq(error_at("sub_types.1"), "is not one of the allowed values");
	ck_assert_ptr_null(error_at("sub_types.0"));
	ck_assert_str_eq(error_at("refs.0.id"), "must be a UUID");
	ck_assert_str_eq(error_at("refs.1.id"), "is required");
	ck_assert_str_eq(error_at("extra"), "is not a known field");
	ck_assert_uint_eq(n, 15);
	ck_assert_uint_eq(E.n, 15);
}
END_TEST

START_TEST(length_counts_characters)
{
	/* Two 2-byte characters are 2 characters; 51 are too many. */
	ck_assert_uint_eq(check("{\"name\":\"\xc3\xa9\xc3\xa9\",\"email\":\"a@b.co\"}"), 0);
	ck_assert_uint_eq(check("{\"name\":\"\xe2\x82\xac\",\"email\":\"a@b.co\"}"), 1);
	ck_assert_ptr_nonnull(error_at("name"));
}
END_TEST

/* A name of n copies of the UTF-8 character ch. */
static size_t check_name(const char *ch, int n)
{
	char doc[1024];
	int i, k;

	k = snprintf(doc, sizeof(doc), "{\"email\":\"a@b.co\",\"name\":\"");
	for (i = 0; i < n; i++)
		k += snprintf(doc + k, sizeof(doc) - (size_t)k, "%s", ch);
	snprintf(doc + k, sizeof(doc) - (size_t)k, "\"}");
	return check(doc);
}

START_TEST(length_bounds_inclusive)
{
	ck_assert_uint_eq(check_name("a", 2), 0);
	ck_assert_uint_eq(check_name("a", 50), 0);
	ck_assert_uint_eq(check_name("\xe2\x82\xac", 50), 0);
	ck_assert_uint_eq(check_name("a", 1), 1);
	ck_assert_uint_eq(check_name("\xe2\x82\xac", 51), 1);
}
END_TEST

START_TEST(wrong_types)
{
	ck_assert_uint_eq(check("{\"name\":5,\"email\":[],\"gpa_percent\":\"5\",\"kind\":5,"
	                        "\"answers\":[],\"sub_types\":\"merit\"}"),
	                  6);
	ck_assert_str_eq(error_at("name"), "must be a string");
	ck_assert_str_eq(error_at("email"), "must be an email address");
	ck_assert_str_eq(error_at("gpa_percent"), "must be an integer");
	ck_assert_str_eq(error_at("kind"), "must be one of the allowed values");
	ck_assert_str_eq(error_at("answers"), "must be an object");
	ck_assert_str_eq(error_at("sub_types"), "must be an array");
}
END_TEST

START_TEST(integers_must_be_whole)
{
	ck_assert_uint_eq(check("{" MINIMAL ",\"gpa_percent\":3.5}"), 1);
	ck_assert_str_eq(error_at("gpa_percent"), "must be an integer");
	E.n = 0;
	ck_assert_uint_eq(check("{" MINIMAL ",\"gpa_percent\":1e300}"), 1);
	ck_assert_str_eq(error_at("gpa_percent"), "must be an integer");
	E.n = 0;
	ck_assert_uint_eq(check("{" MINIMAL ",\"gpa_percent\":0}"), 0);
	ck_assert_uint_eq(check("{" MINIMAL ",\"gpa_percent\":-1}"), 1);
}
END_TEST

START_TEST(array_size_bounds)
{
	ck_assert_uint_eq(check("{" MINIMAL ",\"sub_types\":[]}"), 1);
	ck_assert_str_eq(error_at("sub_types"), "must have 1 to 3 items");
	E.n = 0;
	ck_assert_uint_eq(
	    check("{" MINIMAL ",\"sub_types\":[\"merit\",\"need\",\"need\",\"merit\"]}"), 1);
	ck_assert_str_eq(error_at("sub_types"), "must have 1 to 3 items");
	E.n = 0;
	ck_assert_uint_eq(check("{" MINIMAL ",\"sub_types\":[\"need\",null,7]}"), 2);
	ck_assert_str_eq(error_at("sub_types.1"), "must not be null");
	ck_assert_str_eq(error_at("sub_types.2"), "must be one of the allowed values");
}
END_TEST

START_TEST(nested_unknown_field)
{
	ck_assert_uint_eq(check("{" MINIMAL ",\"answers\":{\"phone\":\"5550100\",\"fax\":1}}"), 1);
	ck_assert_str_eq(error_at("answers.fax"), "is not a known field");
}
END_TEST

START_TEST(null_handling)
{
	ck_assert_uint_eq(check("{" MINIMAL ",\"note\":null,\"submitted_at\":null}"), 0);
	ck_assert_uint_eq(check("{\"name\":null,\"email\":\"a@b.co\",\"kind\":null}"), 2);
	ck_assert_str_eq(error_at("name"), "must not be null");
	ck_assert_str_eq(error_at("kind"), "must not be null");
}
END_TEST

START_TEST(top_level_must_be_object)
{
	const char *why;
	cJSON *arr = json_parse(&A, "[1]", 3, &why);

	ck_assert_uint_eq(validate_object(arr, fields, NELEM(fields), "", &E), 1);
	ck_assert_str_eq(error_at("body"), "must be a JSON object");
	ck_assert_uint_eq(validate_object(arr, fields, NELEM(fields), "data", &E), 1);
	ck_assert_str_eq(error_at("data"), "must be a JSON object");
}
END_TEST

START_TEST(prefix_and_accumulation)
{
	const char *why;
	cJSON *j = json_parse(&A, "{\"zz\":1}", 8, &why);

	ck_assert_uint_eq(validate_object(j, fields, NELEM(fields), "data", &E), 3);
	ck_assert_str_eq(error_at("data.name"), "is required");
	ck_assert_str_eq(error_at("data.zz"), "is not a known field");
	ck_assert_uint_eq(validate_object(j, fields, NELEM(fields), "", &E), 3);
	ck_assert_uint_eq(E.n, 6);
}
END_TEST

START_TEST(long_unknown_key_truncated)
{
	char doc[600];
	char key[401];

	memset(key, 'k', 400);
	key[400] = '\0';
	snprintf(doc, sizeof(doc), "{" MINIMAL ",\"%s\":1}", key);
	ck_assert_uint_eq(check(doc), 1);
	ck_assert_uint_eq(strlen(E.items[0].field), 64);
}
END_TEST

START_TEST(out_of_memory_flagged)
{
	const char *why;
	cJSON *j = json_parse(&A, "{}", 2, &why);

	arena_fail_after(&A, 0);
	validate_object(j, fields, NELEM(fields), "", &E);
	ck_assert_int_eq(E.oom, 1);
}
END_TEST

START_TEST(many_errors_grow_list)
{
	char doc[4096];
	int i, k;

	k = snprintf(doc, sizeof(doc), "{" MINIMAL);
	for (i = 0; i < 100; i++)
		k += snprintf(doc + k, sizeof(doc) - (size_t)k, ",\"u%d\":%d", i, i);
	snprintf(doc + k, sizeof(doc) - (size_t)k, "}");
	ck_assert_uint_eq(check(doc), 100);
	ck_assert_str_eq(E.items[99].field, "u99");
	ck_assert_uint_ge(E.cap, 100);
}
END_TEST

/* Only the first of two equal keys is validated; PostgreSQL's jsonb and
 * any handler that walks the object see the second, unchecked one. */
START_TEST(duplicate_keys_refused)
{
	ck_assert_uint_ge(check("{" MINIMAL ",\"name\":5}"), 1);
}
END_TEST

struct str_case {
	const char *s;
	int ok;
};

static const struct str_case emails[] = {
    {"a@b.co", 1},
    {"first.last+tag@example.org", 1},
    {"x@sub.domain.example", 1},
    {"", 0},
    {"plain", 0},
    {"@b.co", 0},
    {"a@b", 0},
    {"a@.b.co", 0},
    {"a@b.co.", 0},
    {"a@b.", 0},
    {"a b@c.de", 0},
    {"a@b@c.de", 0},
    {"<a>@b.co", 0},
    {"a\"b@c.de", 0},
    {"a@b.co\n", 0},
    {"a\x7f@b.co", 0},
};

START_TEST(email_shapes)
{
	ck_assert_msg(validate_email(emails[_i].s) == emails[_i].ok, "\"%s\"", emails[_i].s);
}
END_TEST

/* At most 64 bytes before the '@' and 254 in all. */
START_TEST(email_lengths)
{
	char s[300];

	memset(s, 'l', 64);
	memcpy(s + 64, "@b.co", 6);
	ck_assert_int_eq(validate_email(s), 1);
	memset(s, 'l', 65);
	memcpy(s + 65, "@b.co", 6);
	ck_assert_int_eq(validate_email(s), 0);
	memset(s, 'd', sizeof(s));
	memcpy(s, "a@", 2);
	memcpy(s + 250, ".com", 5);
	ck_assert_uint_eq(strlen(s), 254);
	ck_assert_int_eq(validate_email(s), 1);
	memcpy(s + 250, "d.com", 6);
	ck_assert_int_eq(validate_email(s), 0);
}
END_TEST

static const struct str_case dates[] = {
    {"2024-02-29", 1},  {"2000-02-29", 1}, {"2023-02-28", 1}, {"1900-01-01", 1}, {"2999-12-31", 1},
    {"2023-02-29", 0},  {"1900-02-29", 0}, {"2100-02-29", 0}, {"2023-04-31", 0}, {"2023-13-01", 0},
    {"2023-00-10", 0},  {"2023-01-00", 0}, {"2023-1-01", 0},  {"1899-12-31", 0}, {"3000-01-01", 0},
    {"2023-01-01x", 0}, {"2023/01/01", 0}, {"", 0},           {"2023-01-3a", 0}, {"+023-01-01", 0},
};

START_TEST(date_shapes)
{
	ck_assert_msg(validate_date(dates[_i].s) == dates[_i].ok, "\"%s\"", dates[_i].s);
}
END_TEST

static const struct str_case datetimes[] = {
    {"2024-02-29T12:30:00Z", 1},
    {"2024-02-29t12:30:00.123456+05:30", 1},
    {"2024-01-01 00:00:00-08:00", 1},
    {"2024-06-30T23:59:60z", 1},
    {"2023-02-29T00:00:00Z", 0},
    {"2024-01-01T24:00:00Z", 0},
    {"2024-01-01T12:60:00Z", 0},
    {"2024-01-01T12:00:61Z", 0},
    {"2024-01-01T12:00:00", 0},
    {"2024-01-01T12:00:00.Z", 0},
    {"2024-01-01T12:00:00+0530", 0},
    {"2024-01-01T12:00:00+05:3", 0},
    {"2024-01-01T12:00:00Zx", 0},
    {"2024-01-01X12:00:00Z", 0},
    {"2024-01-01T1:00:00Z", 0},
    {"2024-01-01", 0},
    {"", 0},
};

START_TEST(datetime_shapes)
{
	ck_assert_msg(validate_datetime(datetimes[_i].s) == datetimes[_i].ok, "\"%s\"",
	              datetimes[_i].s);
}
END_TEST

START_TEST(utf8_length)
{
	ck_assert_uint_eq(validate_utf8_len(""), 0);
	ck_assert_uint_eq(validate_utf8_len("abc"), 3);
	ck_assert_uint_eq(validate_utf8_len("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"), 3);
}
END_TEST

Suite *validate_suite(void)
{
	Suite *s = suite_create("validate");
	TCase *tc = tcase_create("object");
	TCase *one = tcase_create("values");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, full_valid_document);
	tcase_add_test(tc, minimal_valid_document);
	tcase_add_test(tc, missing_required);
	tcase_add_test(tc, all_errors_at_once);
	tcase_add_test(tc, length_counts_characters);
	tcase_add_test(tc, length_bounds_inclusive);
	tcase_add_test(tc, wrong_types);
	tcase_add_test(tc, integers_must_be_whole);
	tcase_add_test(tc, array_size_bounds);
	tcase_add_test(tc, nested_unknown_field);
	tcase_add_test(tc, null_handling);
	tcase_add_test(tc, top_level_must_be_object);
	tcase_add_test(tc, prefix_and_accumulation);
	tcase_add_test(tc, long_unknown_key_truncated);
	tcase_add_test(tc, out_of_memory_flagged);
	tcase_add_test(tc, many_errors_grow_list);

	tcase_add_test(tc, duplicate_keys_refused);
	suite_add_tcase(s, tc);
	tcase_add_loop_test(one, email_shapes, 0, (int)NELEM(emails));
	tcase_add_test(one, email_lengths);
	tcase_add_loop_test(one, date_shapes, 0, (int)NELEM(dates));
	tcase_add_loop_test(one, datetime_shapes, 0, (int)NELEM(datetimes));
	tcase_add_test(one, utf8_length);
	suite_add_tcase(s, one);
	return s;
}

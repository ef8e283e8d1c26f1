/*
 * test_router.c -- unit tests of route matching and body admission
 * (lib/router.c) over a small static table: 404, 405 with its Allow list,
 * {id} segments that must be UUIDs and land in r->path_ids, and
 * route_check_body()'s 413/415 decisions for every body kind.
 */
#include <string.h>

#include "arena.h"
#include "buf.h"
#include "http.h"
#include "router.h"
#include "suites.h"

#define UUID1 "0b7e5c1a-2f4d-4e8a-9c3b-1d2e3f405162"
#define UUID2 "A1B2C3D4-E5F6-4789-ABCD-EF0123456789"

enum {
	R_USERS_LIST,
	R_USERS_CREATE,
	R_USER_GET,
	R_USER_PATCH,
	R_APP_SUBMIT,
	R_NESTED,
	R_UPLOAD,
	R_IMPORT,
	R_ROOT,
	R_TOKENS,
};

static const struct route routes[] = {
    [R_USERS_LIST] = {"GET", "/api/v1/users", NULL, ROLES_STAFF, BODY_NONE, 0, 0},
    [R_USERS_CREATE] = {"POST", "/api/v1/users", NULL, ROLES_STAFF, BODY_JSON, 0, 0},
    [R_USER_GET] = {"GET", "/api/v1/users/{id}", NULL, ROLES_ANY, BODY_NONE, 0, 0},
    [R_USER_PATCH] = {"PATCH", "/api/v1/users/{id}", NULL, ROLES_ANY, BODY_JSON, 0, 0},
    [R_APP_SUBMIT] = {"POST", "/api/v1/applications/{id}/submit", NULL, ROLE_STUDENT, BODY_ACTION,
                      0, 0},
    [R_NESTED] = {"GET", "/api/v1/scholarships/{id}/applications/{app_id}", NULL, ROLES_STAFF,
                  BODY_NONE, 0, 0},
    [R_UPLOAD] = {"POST", "/api/v1/uploads", NULL, ROLES_ANY, BODY_MULTIPART, 10u << 20, 0},
    [R_IMPORT] = {"POST", "/api/v1/import", NULL, ROLE_ADMIN, BODY_CSV, 1000, 0},
    [R_ROOT] = {"GET", "/", NULL, ROLES_PUBLIC, BODY_NONE, 0, 0},
    [R_TOKENS] = {"PUT", "/api/v1/mail-templates/{key}/{locale}", NULL, ROLES_STAFF, BODY_JSON, 0,
                  0},
};

static struct arena A;
static struct req R;
static struct buf allow;

static void setup(void)
{
	arena_init(&A, 0);
	memset(&R, 0, sizeof(R));
	R.arena = &A;
	R.content_length = -1;
	buf_init(&allow, &A);
}

static void teardown(void)
{
	arena_free(&A);
}

static int match(const char *method, const char *path)
{
	R.method = method;
	R.path = path;
	return route_match(routes, NELEM(routes), &R, &allow);
}

START_TEST(literal_routes_match)
{
	ck_assert_int_eq(match("GET", "/api/v1/users"), R_USERS_LIST);
	ck_assert_int_eq(match("POST", "/api/v1/users"), R_USERS_CREATE);
	ck_assert_int_eq(match("POST", "/api/v1/uploads"), R_UPLOAD);
	ck_assert_int_eq(match("GET", "/"), R_ROOT);
	ck_assert_uint_eq(R.npath_ids, 0);
}
END_TEST

static const char *const not_found[] = {
    "/api/v1/user",
    "/api/v1/users/",
    "/api/v1/usersx",
    "/api/v1",
    "/api/v1/users/" UUID1 "/extra",
    "//api/v1/users",
    "/api//v1/users",
    "/API/V1/USERS",
    "/api/v1/users/123",
    "/api/v1/users/0b7e5c1a-2f4d-4e8a-9c3b-1d2e3f40516",
    "/api/v1/users/0b7e5c1a-2f4d-4e8a-9c3b-1d2e3f4051622",
    "/api/v1/users/0b7e5c1a-2f4d-4e8a-9c3b-1d2e3f40516g",
    "/api/v1/users/0b7e5c1a2f4d-4e8a-9c3b-1d2e3f4051623",
    "/api/v1/users/{id}",
    "/api/v1/applications/" UUID1,
    "",
};

START_TEST(unknown_paths_are_404)
{
	ck_assert_int_eq(match("GET", not_found[_i]), ROUTE_NOT_FOUND);
	ck_assert_uint_eq(allow.len, 0);
	ck_assert_uint_eq(R.npath_ids, 0);
}
END_TEST

START_TEST(wrong_method_is_405_with_allow)
{
	ck_assert_int_eq(match("DELETE", "/api/v1/users"), ROUTE_BAD_METHOD);
	ck_assert_str_eq(buf_cstr(&allow), "GET, POST");
}
END_TEST

START_TEST(allow_lists_templated_route_methods)
{
	ck_assert_int_eq(match("POST", "/api/v1/users/" UUID1), ROUTE_BAD_METHOD);
	ck_assert_str_eq(buf_cstr(&allow), "GET, PATCH");
	ck_assert_uint_eq(R.npath_ids, 0);
}
END_TEST

START_TEST(method_is_case_sensitive)
{
	ck_assert_int_eq(match("get", "/api/v1/users"), ROUTE_BAD_METHOD);
	ck_assert_int_eq(match("HEAD", "/"), ROUTE_BAD_METHOD);
}
END_TEST

START_TEST(allow_may_be_null)
{
	R.method = "PUT";
	R.path = "/api/v1/users";
	ck_assert_int_eq(route_match(routes, NELEM(routes), &R, NULL), ROUTE_BAD_METHOD);
}
END_TEST

START_TEST(id_segment_filled)
{
	ck_assert_int_eq(match("PATCH", "/api/v1/users/" UUID1), R_USER_PATCH);
	ck_assert_uint_eq(R.npath_ids, 1);
	ck_assert_str_eq(R.path_ids[0], UUID1);
	ck_assert_int_eq(match("POST", "/api/v1/applications/" UUID2 "/submit"), R_APP_SUBMIT);
	ck_assert_uint_eq(R.npath_ids, 1);
	ck_assert_str_eq(R.path_ids[0], UUID2);
}
END_TEST

START_TEST(two_ids_in_order)
{
	ck_assert_int_eq(match("GET", "/api/v1/scholarships/" UUID2 "/applications/" UUID1),
	                 R_NESTED);
	ck_assert_uint_eq(R.npath_ids, 2);
	ck_assert_str_eq(R.path_ids[0], UUID2);
	ck_assert_str_eq(R.path_ids[1], UUID1);
}
END_TEST

/* A {name} other than {id} or {..._id} takes one token segment. */
START_TEST(token_segments)
{
	ck_assert_int_eq(match("PUT", "/api/v1/mail-templates/status_decided/zh-TW"), R_TOKENS);
	ck_assert_uint_eq(R.npath_ids, 2);
	ck_assert_str_eq(R.path_ids[0], "status_decided");
	ck_assert_str_eq(R.path_ids[1], "zh-TW");
	ck_assert_int_eq(match("PUT", "/api/v1/mail-templates/a.b/en"), ROUTE_NOT_FOUND);
	ck_assert_int_eq(match("PUT", "/api/v1/mail-templates/%2e%2e/en"), ROUTE_NOT_FOUND);
	ck_assert_int_eq(match("PUT", "/api/v1/mail-templates//en"), ROUTE_NOT_FOUND);
	ck_assert_int_eq(match("PUT",
	                       "/api/v1/mail-templates/"
	                       "k1234567890123456789012345678901234567890123456789012345678901234"
	                       "/en"),
	                 ROUTE_NOT_FOUND);
	/* {id} still wants a UUID. */
	ck_assert_int_eq(match("GET", "/api/v1/users/status_decided"), ROUTE_NOT_FOUND);
}
END_TEST

START_TEST(empty_table_is_404)
{
	R.method = "GET";
	R.path = "/";
	ck_assert_int_eq(route_match(routes, 0, &R, &allow), ROUTE_NOT_FOUND);
}
END_TEST

/* Fail each allocation in turn: a match never leaves {id} values unset. */
START_TEST(out_of_memory_on_405_path)
{
	long n;

	for (n = 0; n < 4; n++) {
		buf_init(&allow, &A);
		arena_fail_after(&A, n);
		ck_assert_int_eq(match("DELETE", "/api/v1/users"), ROUTE_BAD_METHOD);
		arena_fail_after(&A, -1);
	}
}
END_TEST

/* route_match() ignores the result of its second path_matches(): when
 * copying an {id} value fails it still returns the route's index, with
 * npath_ids 0 and path_ids[0] NULL, and the handler then reads a NULL id. */
START_TEST(out_of_memory_never_half_matches)
{
	int idx;

	arena_fail_after(&A, 0);
	idx = match("GET", "/api/v1/users/" UUID1);
	ck_assert_msg(idx < 0 || (R.npath_ids == 1 && R.path_ids[0] != NULL),
	              "index %d with %zu ids", idx, R.npath_ids);
}
END_TEST

struct uuid_case {
	const char *s;
	int ok;
};

static const struct uuid_case uuid_cases[] = {
    {UUID1, 1},
    {UUID2, 1},
    {"00000000-0000-0000-0000-000000000000", 1},
    {"0b7e5c1a-2f4d-4e8a-9c3b-1d2e3f40516", 0},
    {"0b7e5c1a-2f4d-4e8a-9c3b-1d2e3f4051622", 0},
    {"0b7e5c1a_2f4d-4e8a-9c3b-1d2e3f405162", 0},
    {"0b7e5c1a-2f4d-4e8a-9c3b1-d2e3f405162", 0},
    {"zb7e5c1a-2f4d-4e8a-9c3b-1d2e3f405162", 0},
    {"0b7e5c1a-2f4d-4e8a-9c3b-1d2e3f40516 ", 0},
    {"{0b7e5c1-2f4d-4e8a-9c3b-1d2e3f40516}", 0},
    {"", 0},
};

START_TEST(uuid_shapes)
{
	const struct uuid_case *c = &uuid_cases[_i];

	ck_assert_int_eq(route_is_uuid(c->s, strlen(c->s)), c->ok);
}
END_TEST

START_TEST(uuid_respects_length)
{
	ck_assert_int_eq(route_is_uuid(UUID1 "trailing", 36), 1);
	ck_assert_int_eq(route_is_uuid(UUID1, 35), 0);
}
END_TEST

struct body_case {
	int route;
	long long length;
	const char *type;
	int want;
};

static const struct body_case body_cases[] = {
    {R_USERS_CREATE, 10, "application/json", 0},
    {R_USERS_CREATE, 10, "application/merge-patch+json", 0},
    {R_USERS_CREATE, 10, "text/plain", 415},
    {R_USERS_CREATE, 10, "application/jsonx", 415},
    {R_USERS_CREATE, 0, NULL, 415},
    {R_USERS_CREATE, -1, NULL, 415},
    {R_USERS_CREATE, 10, "", 415},
    {R_USERS_CREATE, ROUTE_JSON_MAX, "application/json", 0},
    {R_USERS_CREATE, ROUTE_JSON_MAX + 1ll, "application/json", 413},
    {R_USERS_CREATE, ROUTE_JSON_MAX + 1ll, "text/plain", 413},
    {R_APP_SUBMIT, 0, NULL, 0},
    {R_APP_SUBMIT, -1, NULL, 0},
    {R_APP_SUBMIT, 2, "application/json", 0},
    {R_APP_SUBMIT, 5, NULL, 415},
    {R_APP_SUBMIT, 0, "text/plain", 415},
    {R_USERS_LIST, 0, NULL, 0},
    {R_USERS_LIST, -1, NULL, 0},
    {R_USERS_LIST, 5, "application/json", 415},
    {R_UPLOAD, 5u << 20, "multipart/form-data", 0},
    {R_UPLOAD, 11u << 20, "multipart/form-data", 413},
    {R_UPLOAD, 100, "application/json", 415},
    {R_UPLOAD, 100, NULL, 415},
    {R_IMPORT, 1000, "text/csv", 0},
    {R_IMPORT, 1001, "text/csv", 413},
    {R_IMPORT, 10, "application/json", 415},
};

START_TEST(body_admission)
{
	const struct body_case *c = &body_cases[_i];

	R.content_length = c->length;
	R.content_type = c->type;
	ck_assert_msg(route_check_body(&routes[c->route], &R) == c->want,
	              "case %d: route %d length %lld type %s: want %d", _i, c->route, c->length,
	              c->type ? c->type : "(none)", c->want);
}
END_TEST

START_TEST(body_max_default)
{
	ck_assert_uint_eq(route_body_max(&routes[R_USERS_CREATE]), ROUTE_JSON_MAX);
	ck_assert_uint_eq(route_body_max(&routes[R_IMPORT]), 1000);
}
END_TEST

/* The whole path: FastCGI params, parse, match, admit. */
START_TEST(parsed_request_is_admitted)
{
	char *envp[] = {
	    "REQUEST_METHOD=PATCH",
	    "DOCUMENT_URI=/api/v1/users/" UUID1,
	    "CONTENT_TYPE=Application/JSON; charset=UTF-8",
	    "CONTENT_LENGTH=17",
	    NULL,
	};
	int idx;

	ck_assert_int_eq(http_req_parse(&R, &A, envp), 0);
	idx = route_match(routes, NELEM(routes), &R, &allow);
	ck_assert_int_eq(idx, R_USER_PATCH);
	ck_assert_int_eq(route_check_body(&routes[idx], &R), 0);
	ck_assert_str_eq(R.path_ids[0], UUID1);
}
END_TEST

Suite *router_suite(void)
{
	Suite *s = suite_create("router");
	TCase *tc = tcase_create("match");
	TCase *body = tcase_create("body");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, literal_routes_match);
	tcase_add_loop_test(tc, unknown_paths_are_404, 0, (int)NELEM(not_found));
	tcase_add_test(tc, wrong_method_is_405_with_allow);
	tcase_add_test(tc, allow_lists_templated_route_methods);
	tcase_add_test(tc, method_is_case_sensitive);
	tcase_add_test(tc, allow_may_be_null);
	tcase_add_test(tc, id_segment_filled);
	tcase_add_test(tc, two_ids_in_order);
	tcase_add_test(tc, token_segments);
	tcase_add_test(tc, empty_table_is_404);
	tcase_add_test(tc, out_of_memory_on_405_path);

	tcase_add_test(tc, out_of_memory_never_half_matches);
	tcase_add_loop_test(tc, uuid_shapes, 0, (int)NELEM(uuid_cases));
	tcase_add_test(tc, uuid_respects_length);
	suite_add_tcase(s, tc);
	tcase_add_checked_fixture(body, setup, teardown);
	tcase_add_loop_test(body, body_admission, 0, (int)NELEM(body_cases));
	tcase_add_test(body, body_max_default);
	tcase_add_test(body, parsed_request_is_admitted);
	suite_add_tcase(s, body);
	return s;
}

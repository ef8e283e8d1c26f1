/*
 * test_log.c -- unit tests of the JSON-lines logger (lib/log.c): level
 * names, level filtering, and that every line written to stderr is one
 * valid JSON object even when the message carries quotes, control bytes
 * or invalid UTF-8. stderr is redirected to a temporary file per test.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "log.h"
#include "suites.h"

static FILE *cap;
static int saved_fd = -1;
static char out[8192];

static void setup(void)
{
	fflush(stderr);
	cap = tmpfile();
	ck_assert_ptr_nonnull(cap);
	saved_fd = dup(STDERR_FILENO);
	dup2(fileno(cap), STDERR_FILENO);
}

static void teardown(void)
{
	log_set_level(LOG_INFO);
	dup2(saved_fd, STDERR_FILENO);
	close(saved_fd);
	fclose(cap);
}

/* Everything written to stderr so far. */
static const char *captured(void)
{
	ssize_t n = pread(fileno(cap), out, sizeof(out) - 1, 0);

	out[n > 0 ? n : 0] = '\0';
	return out;
}

/* The single captured line, parsed; fails unless there is exactly one. */
static cJSON *one_line(void)
{
	const char *s = captured();
	const char *nl = strchr(s, '\n');
	cJSON *j;

	ck_assert_msg(nl != NULL && nl[1] == '\0', "not one line: \"%s\"", s);
	j = cJSON_Parse(s);
	ck_assert_msg(j != NULL, "not JSON: \"%s\"", s);
	return j;
}

static const char *str(const cJSON *j, const char *key)
{
	const cJSON *v = cJSON_GetObjectItem(j, key);

	ck_assert_msg(cJSON_IsString(v), "no string \"%s\"", key);
	return v->valuestring;
}

START_TEST(level_names)
{
	ck_assert_int_eq(log_level_parse("debug"), LOG_DEBUG);
	ck_assert_int_eq(log_level_parse("INFO"), LOG_INFO);
	ck_assert_int_eq(log_level_parse("warn"), LOG_WARN);
	ck_assert_int_eq(log_level_parse("Warning"), LOG_WARN);
	ck_assert_int_eq(log_level_parse("error"), LOG_ERROR);
	ck_assert_int_eq(log_level_parse("verbose"), -1);
	ck_assert_int_eq(log_level_parse(""), -1);
	ck_assert_int_eq(log_level_parse(NULL), -1);
}
END_TEST

START_TEST(message_line_is_json)
{
	cJSON *j;

	log_msg(LOG_WARN, "hello %d \"q\" \x01 \xff", 5);
	j = one_line();
	ck_assert_str_eq(str(j, "level"), "warn");
	ck_assert_str_eq(str(j, "msg"), "hello 5 \"q\" \x01 \xef\xbf\xbd");
	ck_assert_int_eq(cJSON_GetObjectItem(j, "pid")->valueint, getpid());
	ck_assert_uint_eq(strlen(str(j, "time")), 24);
	ck_assert_int_eq(str(j, "time")[23], 'Z');
	cJSON_Delete(j);
}
END_TEST

START_TEST(newline_in_message_stays_one_line)
{
	cJSON *j;

	log_error("line one\nline two");
	j = one_line();
	ck_assert_str_eq(str(j, "msg"), "line one\nline two");
	ck_assert_str_eq(str(j, "level"), "error");
	cJSON_Delete(j);
}
END_TEST

START_TEST(below_level_dropped)
{
	log_set_level(LOG_ERROR);
	log_warn("dropped");
	log_info("dropped too");
	ck_assert_str_eq(captured(), "");
	log_error("kept");
	ck_assert_ptr_nonnull(strstr(captured(), "kept"));
}
END_TEST

START_TEST(debug_hidden_by_default)
{
	log_msg(LOG_DEBUG, "noise");
	ck_assert_str_eq(captured(), "");
	log_set_level(LOG_DEBUG);
	log_msg(LOG_DEBUG, "noise");
	ck_assert_ptr_nonnull(strstr(captured(), "\"level\":\"debug\""));
}
END_TEST

START_TEST(fields_line)
{
	cJSON *j;

	log_fields(LOG_INFO, "event", "user_id", "u-1", "quote\"key", "v\"al", "empty", NULL, NULL);
	j = one_line();
	ck_assert_str_eq(str(j, "msg"), "event");
	ck_assert_str_eq(str(j, "user_id"), "u-1");
	ck_assert_str_eq(str(j, "quote\"key"), "v\"al");
	ck_assert_str_eq(str(j, "empty"), "");
	cJSON_Delete(j);
}
END_TEST

START_TEST(request_line)
{
	cJSON *j;

	log_request(&(struct log_request){.request_id = "r-1",
	                                  .method = "GET",
	                                  .route = "/api/v1/users/{id}",
	                                  .path = "/api/v1/users/\xff",
	                                  .status = 503,
	                                  .duration_ms = 12.5,
	                                  .user_id = NULL});
	j = one_line();
	ck_assert_str_eq(str(j, "level"), "error");
	ck_assert_str_eq(str(j, "msg"), "request");
	ck_assert_str_eq(str(j, "request_id"), "r-1");
	ck_assert_str_eq(str(j, "route"), "/api/v1/users/{id}");
	ck_assert_str_eq(str(j, "path"), "/api/v1/users/\xef\xbf\xbd");
	ck_assert_int_eq(cJSON_GetObjectItem(j, "status")->valueint, 503);
	ck_assert(cJSON_GetObjectItem(j, "duration_ms")->valuedouble == 12.5);
	ck_assert(cJSON_IsNull(cJSON_GetObjectItem(j, "user_id")));
	cJSON_Delete(j);
}
END_TEST

START_TEST(request_line_success_is_info)
{
	cJSON *j;

	log_request(&(struct log_request){.status = 200, .user_id = "u-9"});
	j = one_line();
	ck_assert_str_eq(str(j, "level"), "info");
	ck_assert_str_eq(str(j, "method"), "");
	ck_assert_str_eq(str(j, "user_id"), "u-9");
	cJSON_Delete(j);
}
END_TEST

/* log_request() writes 5xx lines at level error but returns early when the
 * minimum level is above info, so LOG_LEVEL=error hides failed requests. */
START_TEST(failed_request_shown_at_error_level)
{
	log_set_level(LOG_ERROR);
	log_request(&(struct log_request){.status = 500});
	ck_assert_ptr_nonnull(strstr(captured(), "\"status\":500"));
}
END_TEST

Suite *log_suite(void)
{
	Suite *s = suite_create("log");
	TCase *tc = tcase_create("lines");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, level_names);
	tcase_add_test(tc, message_line_is_json);
	tcase_add_test(tc, newline_in_message_stays_one_line);
	tcase_add_test(tc, below_level_dropped);
	tcase_add_test(tc, debug_hidden_by_default);
	tcase_add_test(tc, fields_line);
	tcase_add_test(tc, request_line);
	tcase_add_test(tc, request_line_success_is_info);

	tcase_add_test(tc, failed_request_shown_at_error_level);
	suite_add_tcase(s, tc);
	return s;
}

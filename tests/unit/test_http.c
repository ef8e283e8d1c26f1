/*
 * test_http.c -- unit tests of the FastCGI request/response module
 * (lib/http.c): http_req_parse() over envp arrays (valid and hostile:
 * missing or lowercase methods, too many params, huge headers, control
 * bytes, long paths, bad lengths), request ids, header/query/cookie
 * look-ups, body reading through a memory reader, and the response side:
 * problem+json (parsed back with cJSON), serialisation and header
 * injection refusal.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "arena.h"
#include "http.h"
#include "suites.h"

static struct arena A;
static struct req R;

static void setup(void)
{
	arena_init(&A, 0);
	memset(&R, 0, sizeof(R));
}

static void teardown(void)
{
	arena_free(&A);
}

/* Parse a NULL-terminated list of "NAME=value" strings. */
static int parse(char *const *envp)
{
	return http_req_parse(&R, &A, envp);
}

/* envp of the usual params plus extra[0..n). */
static char **envp_with(char **extra, size_t n)
{
	static char *base[] = {"REQUEST_METHOD=GET", "DOCUMENT_URI=/api/v1/ping",
	                       "QUERY_STRING=a=1", "REMOTE_ADDR=192.0.2.7"};
	char **e = arena_calloc(&A, NELEM(base) + n + 1, sizeof(*e));
	size_t i;

	for (i = 0; i < NELEM(base); i++)
		e[i] = base[i];
	for (i = 0; i < n; i++)
		e[NELEM(base) + i] = extra[i];
	return e;
}

/* "NAME=" followed by n copies of c, in the arena. */
static char *long_param(const char *name, size_t n, char c)
{
	size_t k = strlen(name);
	char *s = arena_alloc(&A, k + 1 + n + 1);

	memcpy(s, name, k);
	s[k] = '=';
	memset(s + k + 1, c, n);
	s[k + 1 + n] = '\0';
	return s;
}

static int is_hex32(const char *s)
{
	size_t i;

	for (i = 0; i < 32; i++)
		if (!isxdigit((unsigned char)s[i]) || isupper((unsigned char)s[i]))
			return 0;
	return s[32] == '\0';
}

START_TEST(valid_request)
{
	ck_assert_int_eq(parse(envp_with(NULL, 0)), 0);
	ck_assert_str_eq(R.method, "GET");
	ck_assert_str_eq(R.path, "/api/v1/ping");
	ck_assert_str_eq(R.query, "a=1");
	ck_assert_str_eq(R.remote_addr, "192.0.2.7");
	ck_assert_int_eq(R.content_length, -1);
	ck_assert_ptr_null(R.content_type);
	ck_assert_ptr_null(R.body);
	ck_assert_uint_eq(R.nparams, 4);
	ck_assert_ptr_eq(R.arena, &A);
	ck_assert(is_hex32(R.request_id));
}
END_TEST

START_TEST(path_from_request_uri)
{
	char *envp[] = {"REQUEST_METHOD=POST", "REQUEST_URI=/x/y?z=1", NULL};

	ck_assert_int_eq(parse(envp), 0);
	ck_assert_str_eq(R.path, "/x/y");
	ck_assert_str_eq(R.query, "");
}
END_TEST

START_TEST(null_envp_is_400)
{
	ck_assert_int_eq(http_req_parse(&R, &A, NULL), 400);
	ck_assert(is_hex32(R.request_id));
}
END_TEST

static char *const bad_400[][4] = {
    {"DOCUMENT_URI=/", NULL},
    {"REQUEST_METHOD=", "DOCUMENT_URI=/", NULL},
    {"REQUEST_METHOD=get", "DOCUMENT_URI=/", NULL},
    {"REQUEST_METHOD=Get", "DOCUMENT_URI=/", NULL},
    {"REQUEST_METHOD=GE T", "DOCUMENT_URI=/", NULL},
    {"REQUEST_METHOD=ABCDEFGHIJKLMNOPQ", "DOCUMENT_URI=/", NULL},
    {"REQUEST_METHOD=GET", NULL},
    {"REQUEST_METHOD=GET", "DOCUMENT_URI=api/v1", NULL},
    {"REQUEST_METHOD=GET", "DOCUMENT_URI=", NULL},
    {"REQUEST_METHOD=GET",
     "DOCUMENT_URI=/a\x01"
     "b",
     NULL},
    {"REQUEST_METHOD=GET", "DOCUMENT_URI=/a\nb", NULL},
    {"REQUEST_METHOD=GET", "DOCUMENT_URI=/a\x7f", NULL},
    {"REQUEST_METHOD=GET", "DOCUMENT_URI=/", "NOEQUALS", NULL},
    {"REQUEST_METHOD=GET", "DOCUMENT_URI=/", "=value", NULL},
    {"REQUEST_METHOD=GET", "DOCUMENT_URI=/", "CONTENT_LENGTH=abc", NULL},
    {"REQUEST_METHOD=GET", "DOCUMENT_URI=/", "CONTENT_LENGTH=-1", NULL},
    {"REQUEST_METHOD=GET", "DOCUMENT_URI=/", "CONTENT_LENGTH=12a", NULL},
    {"REQUEST_METHOD=GET", "DOCUMENT_URI=/", "CONTENT_LENGTH= 12", NULL},
    {"REQUEST_METHOD=GET", "DOCUMENT_URI=/", "CONTENT_LENGTH=+5", NULL},
};

START_TEST(malformed_is_400)
{
	ck_assert_int_eq(parse(bad_400[_i]), 400);
	ck_assert_ptr_nonnull(R.request_id);
}
END_TEST

START_TEST(method_of_sixteen_letters)
{
	char *extra[] = {"REQUEST_METHOD=ABCDEFGHIJKLMNOP", "DOCUMENT_URI=/", NULL};

	ck_assert_int_eq(parse(extra), 0);
	ck_assert_str_eq(R.method, "ABCDEFGHIJKLMNOP");
}
END_TEST

/* n params: the usual four plus fillers. */
static char **many_params(size_t n)
{
	char **extra = arena_calloc(&A, n, sizeof(*extra));
	size_t i;

	for (i = 0; i < n - 4; i++)
		extra[i] = arena_printf(&A, "HTTP_X_FILL_%zu=v", i);
	return envp_with(extra, n - 4);
}

START_TEST(too_many_params_is_431)
{
	ck_assert_int_eq(parse(many_params(HTTP_MAX_PARAMS)), 0);
	ck_assert_uint_eq(R.nparams, HTTP_MAX_PARAMS);
	ck_assert_int_eq(parse(many_params(HTTP_MAX_PARAMS + 1)), 431);
	ck_assert(is_hex32(R.request_id));
	ck_assert_int_eq(parse(many_params(5000)), 431);
}
END_TEST

START_TEST(huge_header_is_431)
{
	char *ok[] = {long_param("HTTP_AUTHORIZATION", HTTP_MAX_HEADER, 'a')};
	char *bad[] = {long_param("HTTP_AUTHORIZATION", HTTP_MAX_HEADER + 1, 'a')};

	ck_assert_int_eq(parse(envp_with(ok, 1)), 0);
	ck_assert_uint_eq(strlen(http_header(&R, "Authorization")), HTTP_MAX_HEADER);
	ck_assert_int_eq(parse(envp_with(bad, 1)), 431);
}
END_TEST

START_TEST(long_path_is_414)
{
	char *ok[] = {"REQUEST_METHOD=GET", long_param("DOCUMENT_URI", HTTP_MAX_PATH, '/'), NULL};
	char *bad[] = {"REQUEST_METHOD=GET", long_param("DOCUMENT_URI", HTTP_MAX_PATH + 1, '/'),
	               NULL};

	ck_assert_int_eq(parse(ok), 0);
	ck_assert_int_eq(parse(bad), 414);
}
END_TEST

START_TEST(long_query_is_414)
{
	char *ok[] = {"REQUEST_METHOD=GET", "DOCUMENT_URI=/",
	              long_param("QUERY_STRING", HTTP_MAX_QUERY, 'q'), NULL};
	char *bad[] = {"REQUEST_METHOD=GET", "DOCUMENT_URI=/",
	               long_param("QUERY_STRING", HTTP_MAX_QUERY + 1, 'q'), NULL};

	ck_assert_int_eq(parse(ok), 0);
	ck_assert_int_eq(parse(bad), 414);
}
END_TEST

START_TEST(content_length_values)
{
	char *zero[] = {"CONTENT_LENGTH=0"};
	char *n42[] = {"CONTENT_LENGTH=42"};
	char *empty[] = {"CONTENT_LENGTH="};
	char *big[] = {"CONTENT_LENGTH=999999999999999"};
	char *huge[] = {"CONTENT_LENGTH=9999999999999999"};
	char *overflow[] = {"CONTENT_LENGTH=99999999999999999999999"};

	ck_assert_int_eq(parse(envp_with(zero, 1)), 0);
	ck_assert_int_eq(R.content_length, 0);
	ck_assert_int_eq(parse(envp_with(n42, 1)), 0);
	ck_assert_int_eq(R.content_length, 42);
	ck_assert_int_eq(parse(envp_with(empty, 1)), 0);
	ck_assert_int_eq(R.content_length, -1);
	ck_assert_int_eq(parse(envp_with(big, 1)), 0);
	ck_assert_int_eq(R.content_length, 999999999999999ll);
	ck_assert_int_eq(parse(envp_with(huge, 1)), 413);
	ck_assert_int_eq(parse(envp_with(overflow, 1)), 413);
}
END_TEST

struct ct_case {
	const char *param;
	const char *type;
};

static const struct ct_case ct_cases[] = {
    {"CONTENT_TYPE=application/json", "application/json"},
    {"CONTENT_TYPE=Application/JSON; charset=UTF-8", "application/json"},
    {"CONTENT_TYPE=  text/csv  ; header=present", "text/csv"},
    {"CONTENT_TYPE=multipart/form-data; boundary=XyZ", "multipart/form-data"},
    {"CONTENT_TYPE=;charset=utf-8", ""},
    {"CONTENT_TYPE=", NULL},
};

START_TEST(content_type_normalised)
{
	char *extra[] = {(char *)ct_cases[_i].param};

	ck_assert_int_eq(parse(envp_with(extra, 1)), 0);
	if (ct_cases[_i].type == NULL)
		ck_assert_ptr_null(R.content_type);
	else
		ck_assert_str_eq(R.content_type, ct_cases[_i].type);
}
END_TEST

START_TEST(content_type_raw_kept)
{
	char *extra[] = {"CONTENT_TYPE=Application/JSON; charset=UTF-8"};

	ck_assert_int_eq(parse(envp_with(extra, 1)), 0);
	ck_assert_str_eq(R.content_type_raw, "Application/JSON; charset=UTF-8");
	ck_assert_str_eq(http_header(&R, "content-type"), "Application/JSON; charset=UTF-8");
}
END_TEST

START_TEST(request_id_from_nginx)
{
	char *ok[] = {"REQUEST_ID=4f2a-B_9"};
	char *x[] = {"HTTP_X_REQUEST_ID=from-client"};
	char *both[] = {"HTTP_X_REQUEST_ID=from-client", "REQUEST_ID=from-nginx"};

	ck_assert_int_eq(parse(envp_with(ok, 1)), 0);
	ck_assert_str_eq(R.request_id, "4f2a-B_9");
	ck_assert_int_eq(parse(envp_with(x, 1)), 0);
	ck_assert_str_eq(R.request_id, "from-client");
	ck_assert_int_eq(parse(envp_with(both, 2)), 0);
	ck_assert_str_eq(R.request_id, "from-nginx");
}
END_TEST

START_TEST(bad_request_id_replaced)
{
	char *spaces[] = {"REQUEST_ID=a b"};
	char *inject[] = {"REQUEST_ID=abc\r\nSet-Cookie: x=1"};
	char *quote[] = {"HTTP_X_REQUEST_ID=a\"b"};
	char *empty[] = {"REQUEST_ID="};
	char *len64[] = {long_param("REQUEST_ID", 64, 'a')};
	char *len65[] = {long_param("REQUEST_ID", 65, 'a')};

	ck_assert_int_eq(parse(envp_with(spaces, 1)), 0);
	ck_assert(is_hex32(R.request_id));
	ck_assert_int_eq(parse(envp_with(inject, 1)), 0);
	ck_assert(is_hex32(R.request_id));
	ck_assert_int_eq(parse(envp_with(quote, 1)), 0);
	ck_assert(is_hex32(R.request_id));
	ck_assert_int_eq(parse(envp_with(empty, 1)), 0);
	ck_assert(is_hex32(R.request_id));
	ck_assert_int_eq(parse(envp_with(len64, 1)), 0);
	ck_assert_uint_eq(strlen(R.request_id), 64);
	ck_assert_int_eq(parse(envp_with(len65, 1)), 0);
	ck_assert(is_hex32(R.request_id));
}
END_TEST

START_TEST(generated_ids_differ)
{
	const char *first;

	ck_assert_int_eq(parse(envp_with(NULL, 0)), 0);
	first = R.request_id;
	ck_assert_int_eq(parse(envp_with(NULL, 0)), 0);
	ck_assert_str_ne(first, R.request_id);
}
END_TEST

/* Fail each allocation in turn: the parse answers 500 or succeeds whole. */
START_TEST(out_of_memory_is_500)
{
	char *extra[] = {"CONTENT_TYPE=Application/JSON", "HTTP_X_A=1"};
	char **envp = envp_with(extra, 2);
	long n;
	int st, failures = 0;

	for (n = 0; n < 20; n++) {
		arena_fail_after(&A, n);
		st = parse(envp);
		ck_assert_msg(st == 0 || st == 500, "fail_after %ld: status %d", n, st);
		failures += st == 500;
		if (st == 0) {
			ck_assert_str_eq(R.content_type, "application/json");
			ck_assert_ptr_nonnull(R.request_id);
		}
		arena_fail_after(&A, -1);
	}
	ck_assert_int_ge(failures, 3);
}
END_TEST

START_TEST(headers_by_http_name)
{
	char *extra[] = {"HTTP_AUTHORIZATION=Bearer abc", "HTTP_IF_MATCH=\"v1\"",
	                 "HTTP_X_FORWARDED_FOR=198.51.100.1"};
	char longname[200];

	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	ck_assert_int_eq(parse(envp_with(extra, 3)), 0);
	ck_assert_str_eq(http_header(&R, "Authorization"), "Bearer abc");
	ck_assert_str_eq(http_header(&R, "if-match"), "\"v1\"");
	ck_assert_str_eq(http_header(&R, "X-Forwarded-For"), "198.51.100.1");
	ck_assert_ptr_null(http_header(&R, "Cookie"));
	ck_assert_ptr_null(http_header(&R, "Content-Type"));
	ck_assert_ptr_null(http_header(&R, longname));
	ck_assert_str_eq(http_param(&R, "REMOTE_ADDR"), "192.0.2.7");
	ck_assert_ptr_null(http_param(&R, "remote_addr"));
}
END_TEST

/* Parse with QUERY_STRING=q, then look name up. */
static const char *query(const char *q, const char *name, int *bad)
{
	char *envp[] = {"REQUEST_METHOD=GET", "DOCUMENT_URI=/",
	                arena_printf(&A, "QUERY_STRING=%s", q), NULL};

	ck_assert_int_eq(parse(envp), 0);
	*bad = 0;
	return http_query(&R, name, bad);
}

struct query_case {
	const char *q, *name, *value;
	int bad;
};

static const struct query_case query_cases[] = {
    {"a=1&b=2", "a", "1", 0},
    {"a=1&b=2", "b", "2", 0},
    {"a=1&b=2", "c", NULL, 0},
    {"q=hello+world", "q", "hello world", 0},
    {"q=%41%62%2B%20", "q", "Ab+ ", 0},
    {"q=%e2%82%ac", "q", "\xe2\x82\xac", 0},
    {"a=1&a=2", "a", "1", 0},
    {"d=&e", "d", "", 0},
    {"d=&e", "e", "", 0},
    {"%61=5", "a", "5", 0},
    {"first+name=Ann", "first name", "Ann", 0},
    {"&&a=1&", "a", "1", 0},
    {"a=x=y", "a", "x=y", 0},
    {"", "a", NULL, 0},
    {"x=%zz", "x", NULL, 1},
    {"x=%4", "x", NULL, 1},
    {"x=%", "x", NULL, 1},
    {"x=%00", "x", NULL, 1},
    {"x=a%0", "x", NULL, 1},
    {"%g=1&a=2", "a", NULL, 1},
};

START_TEST(query_decoding)
{
	const struct query_case *c = &query_cases[_i];
	int bad;
	const char *v = query(c->q, c->name, &bad);

	if (c->value == NULL)
		ck_assert_ptr_null(v);
	else
		ck_assert_str_eq(v, c->value);
	ck_assert_msg(bad == c->bad, "query \"%s\" name \"%s\": bad=%d", c->q, c->name, bad);
}
END_TEST

START_TEST(query_bad_may_be_null)
{
	char *envp[] = {"REQUEST_METHOD=GET", "DOCUMENT_URI=/", "QUERY_STRING=x=%zz", NULL};

	ck_assert_int_eq(parse(envp), 0);
	ck_assert_ptr_null(http_query(&R, "x", NULL));
}
END_TEST

START_TEST(pct_decode_direct)
{
	ck_assert_str_eq(http_pct_decode(&A, "a+b%2b", 6, 0), "a+b+");
	ck_assert_str_eq(http_pct_decode(&A, "a+b%2b", 6, 1), "a b+");
	ck_assert_str_eq(http_pct_decode(&A, "%41BC", 3, 0), "A");
	ck_assert_str_eq(http_pct_decode(&A, "", 0, 0), "");
	ck_assert_ptr_null(http_pct_decode(&A, "%4", 2, 0));
	ck_assert_ptr_null(http_pct_decode(&A, "%41", 2, 0));
	ck_assert_ptr_null(http_pct_decode(&A, "a\0b", 3, 0));
	ck_assert_ptr_null(http_pct_decode(&A, "%00", 3, 0));
}
END_TEST

START_TEST(cookies)
{
	char *extra[] = {"HTTP_COOKIE=sess=1;  session=abc.def; empty=; last=z"};

	ck_assert_int_eq(parse(envp_with(extra, 1)), 0);
	ck_assert_str_eq(http_cookie(&R, "session"), "abc.def");
	ck_assert_str_eq(http_cookie(&R, "sess"), "1");
	ck_assert_str_eq(http_cookie(&R, "empty"), "");
	ck_assert_str_eq(http_cookie(&R, "last"), "z");
	ck_assert_ptr_null(http_cookie(&R, "ses"));
	ck_assert_ptr_null(http_cookie(&R, "z"));
}
END_TEST

START_TEST(no_cookie_header)
{
	ck_assert_int_eq(parse(envp_with(NULL, 0)), 0);
	ck_assert_ptr_null(http_cookie(&R, "session"));
}
END_TEST

struct mem_reader {
	const char *data;
	size_t len, pos, step; /* step: most bytes per call (0: any) */
	int calls, fail;
};

static ssize_t mem_read(void *ctx, char *p, size_t n)
{
	struct mem_reader *m = ctx;
	size_t k = m->len - m->pos;

	m->calls++;
	if (m->fail)
		return -1;
	if (k > n)
		k = n;
	if (m->step && k > m->step)
		k = m->step;
	memcpy(p, m->data + m->pos, k);
	m->pos += k;
	return (ssize_t)k;
}

/* Parse a request with CONTENT_LENGTH=cl (NULL: none). */
static void body_request(const char *cl)
{
	char *extra[] = {cl ? arena_printf(&A, "CONTENT_LENGTH=%s", cl) : "HTTP_X=y"};

	ck_assert_int_eq(parse(envp_with(extra, 1)), 0);
}

START_TEST(body_exact)
{
	struct mem_reader m = {"hello", 5, 0, 0, 0, 0};

	body_request("5");
	ck_assert_int_eq(http_read_body(&R, mem_read, &m, 100), 0);
	ck_assert_uint_eq(R.body_len, 5);
	ck_assert_str_eq(R.body, "hello");
}
END_TEST

START_TEST(body_in_small_reads)
{
	struct mem_reader m = {"0123456789", 10, 0, 3, 0, 0};

	body_request("10");
	ck_assert_int_eq(http_read_body(&R, mem_read, &m, 10), 0);
	ck_assert_str_eq(R.body, "0123456789");
	ck_assert_int_ge(m.calls, 4);
}
END_TEST

START_TEST(body_keeps_nul_bytes)
{
	struct mem_reader m = {"a\0b", 3, 0, 0, 0, 0};

	body_request("3");
	ck_assert_int_eq(http_read_body(&R, mem_read, &m, 10), 0);
	ck_assert_uint_eq(R.body_len, 3);
	ck_assert_mem_eq(R.body, "a\0b", 4);
}
END_TEST

START_TEST(body_stops_at_content_length)
{
	struct mem_reader m = {"hello world", 11, 0, 0, 0, 0};

	body_request("5");
	ck_assert_int_eq(http_read_body(&R, mem_read, &m, 100), 0);
	ck_assert_str_eq(R.body, "hello");
	ck_assert_uint_eq(m.pos, 5);
}
END_TEST

START_TEST(short_body_is_400)
{
	struct mem_reader m = {"hello", 5, 0, 0, 0, 0};

	body_request("10");
	ck_assert_int_eq(http_read_body(&R, mem_read, &m, 100), 400);
	ck_assert_ptr_null(R.body);
}
END_TEST

START_TEST(reader_error_is_400)
{
	struct mem_reader m = {"hello", 5, 0, 0, 0, 1};

	body_request("5");
	ck_assert_int_eq(http_read_body(&R, mem_read, &m, 100), 400);
}
END_TEST

START_TEST(declared_too_large_is_413_unread)
{
	struct mem_reader m = {"x", 1, 0, 0, 0, 0};

	body_request("101");
	ck_assert_int_eq(http_read_body(&R, mem_read, &m, 100), 413);
	ck_assert_int_eq(m.calls, 0);
}
END_TEST

START_TEST(no_length_reads_to_end)
{
	struct mem_reader m = {"abcdefghij", 10, 0, 4, 0, 0};

	body_request(NULL);
	ck_assert_int_eq(http_read_body(&R, mem_read, &m, 100), 0);
	ck_assert_uint_eq(R.body_len, 10);
	ck_assert_str_eq(R.body, "abcdefghij");
}
END_TEST

START_TEST(no_length_exactly_max)
{
	struct mem_reader m = {"abcdefghij", 10, 0, 0, 0, 0};

	body_request(NULL);
	ck_assert_int_eq(http_read_body(&R, mem_read, &m, 10), 0);
	ck_assert_uint_eq(R.body_len, 10);
}
END_TEST

START_TEST(no_length_over_max_is_413)
{
	struct mem_reader m = {"abcdefghijk", 11, 0, 0, 0, 0};

	body_request(NULL);
	ck_assert_int_eq(http_read_body(&R, mem_read, &m, 10), 413);
	ck_assert_ptr_null(R.body);
}
END_TEST

START_TEST(empty_body)
{
	struct mem_reader m = {"", 0, 0, 0, 0, 0};

	body_request("0");
	ck_assert_int_eq(http_read_body(&R, mem_read, &m, 10), 0);
	ck_assert_uint_eq(R.body_len, 0);
	ck_assert_str_eq(R.body, "");
}
END_TEST

START_TEST(body_out_of_memory_is_500)
{
	struct mem_reader m = {"hello", 5, 0, 0, 0, 0};

	body_request("5");
	arena_fail_after(&A, 0);
	ck_assert_int_eq(http_read_body(&R, mem_read, &m, 100), 500);
}
END_TEST

static struct resp W;

static void resp_setup(void)
{
	char *envp[] = {"REQUEST_METHOD=GET", "DOCUMENT_URI=/", "REQUEST_ID=req-1", NULL};

	setup();
	ck_assert_int_eq(parse(envp), 0);
	resp_init(&W, &A);
}

/* Parse the problem body; check the members every problem has. */
static cJSON *problem_json(int status, const char *title, const char *detail)
{
	cJSON *j = cJSON_ParseWithLength(W.body.data, W.body.len);

	ck_assert_ptr_nonnull(j);
	ck_assert_str_eq(cJSON_GetObjectItem(j, "type")->valuestring, "about:blank");
	ck_assert_str_eq(cJSON_GetObjectItem(j, "title")->valuestring, title);
	ck_assert_int_eq(cJSON_GetObjectItem(j, "status")->valueint, status);
	ck_assert_str_eq(cJSON_GetObjectItem(j, "detail")->valuestring, detail);
	return j;
}

START_TEST(problem_with_field_errors)
{
	struct problem_field errs[] = {{"email", "must be an email address"},
	                               {"answers.phone", "is required"}};
	cJSON *j, *arr;

	resp_problem(&W, &R, 422, "the request has invalid fields", errs, 2);
	ck_assert_int_eq(W.status, 422);
	ck_assert_str_eq(W.content_type, "application/problem+json; charset=utf-8");
	j = problem_json(422, "Unprocessable Content", "the request has invalid fields");
	ck_assert_str_eq(cJSON_GetObjectItem(j, "request_id")->valuestring, "req-1");
	arr = cJSON_GetObjectItem(j, "errors");
	ck_assert_int_eq(cJSON_GetArraySize(arr), 2);
	ck_assert_str_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(arr, 1), "field")->valuestring,
	                 "answers.phone");
	ck_assert_str_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(arr, 0), "message")->valuestring,
	                 "must be an email address");
	cJSON_Delete(j);
}
END_TEST

START_TEST(problem_without_errors)
{
	cJSON *j;

	resp_problem(&W, &R, 404, NULL, NULL, 0);
	j = problem_json(404, "Not Found", "Not Found");
	ck_assert_ptr_null(cJSON_GetObjectItem(j, "errors"));
	cJSON_Delete(j);
}
END_TEST

START_TEST(problem_replaces_previous_body)
{
	cJSON *j;

	resp_json(&W, 200, "{\"ok\":true}", 11);
	resp_problem(&W, NULL, 500, "hostile \"detail\"\n\xff", NULL, 0);
	j = problem_json(500, "Internal Server Error", "hostile \"detail\"\n\xef\xbf\xbd");
	ck_assert(cJSON_IsNull(cJSON_GetObjectItem(j, "request_id")));
	ck_assert_ptr_null(cJSON_GetObjectItem(j, "ok"));
	cJSON_Delete(j);
}
END_TEST

static const char *serialize(void)
{
	struct buf out;

	buf_init(&out, &A);
	http_resp_serialize(&W, &R, &out);
	ck_assert_ptr_nonnull(buf_cstr(&out));
	return buf_cstr(&out);
}

START_TEST(serialize_json_response)
{
	static const char body[] = "{\"a\":\"\xe2\x82\xac\"}";
	const char *s;

	ck_assert_int_eq(resp_header(&W, "ETag", "\"v2\""), 0);
	resp_json(&W, 200, body, sizeof(body) - 1);
	s = serialize();
	ck_assert_msg(strncmp(s, "Status: 200 OK\r\n", 16) == 0, "%s", s);
	ck_assert_ptr_nonnull(strstr(s, "\r\nContent-Type: application/json; charset=utf-8\r\n"));
	ck_assert_ptr_nonnull(strstr(s, "\r\nETag: \"v2\"\r\n"));
	ck_assert_ptr_nonnull(strstr(s, "\r\nCache-Control: no-store\r\n"));
	ck_assert_ptr_nonnull(strstr(s, "\r\nX-Request-ID: req-1\r\n"));
	ck_assert_ptr_nonnull(strstr(s, "\r\nContent-Length: 11\r\n"));
	ck_assert_str_eq(strstr(s, "\r\n\r\n") + 4, body);
}
END_TEST

START_TEST(serialize_keeps_own_cache_control)
{
	const char *s;

	resp_header(&W, "Cache-Control", "public, max-age=60");
	resp_json(&W, 200, "{}", 2);
	s = serialize();
	ck_assert_ptr_nonnull(strstr(s, "\r\nCache-Control: public, max-age=60\r\n"));
	ck_assert_ptr_null(strstr(s, "no-store"));
}
END_TEST

START_TEST(serialize_no_content)
{
	const char *s;

	resp_json(&W, 200, "{}", 2);
	resp_empty(&W, 204);
	s = serialize();
	ck_assert(strncmp(s, "Status: 204 No Content\r\n", 24) == 0);
	ck_assert_ptr_null(strstr(s, "Content-Length"));
	ck_assert_ptr_null(strstr(s, "Content-Type"));
	ck_assert_str_eq(strstr(s, "\r\n\r\n"), "\r\n\r\n");
}
END_TEST

START_TEST(serialize_unanswered_is_500)
{
	const char *s = serialize();

	ck_assert(strncmp(s, "Status: 500 Internal Server Error\r\n", 35) == 0);
	ck_assert_ptr_nonnull(strstr(s, "\r\nContent-Length: 0\r\n"));
}
END_TEST

START_TEST(header_injection_refused)
{
	const char *s;

	ck_assert_int_eq(resp_header(&W, "Location", "/a\r\nSet-Cookie: x=1"), -1);
	ck_assert_int_eq(resp_header(&W, "Location", "/a\nSet-Cookie: x=1"), -1);
	ck_assert_int_eq(resp_header(&W, "Location", "/a\rb"), -1);
	ck_assert_int_eq(resp_header(&W, "X-Bad\r\nSet-Cookie", "x"), -1);
	ck_assert_int_eq(resp_header(&W, "X-Bad: y", "x"), -1);
	ck_assert_int_eq(resp_header(&W, "Location", "/ok"), 0);
	resp_empty(&W, 204);
	s = serialize();
	ck_assert_ptr_null(strstr(s, "Set-Cookie"));
	ck_assert_ptr_null(strstr(s, "X-Bad"));
	ck_assert_ptr_nonnull(strstr(s, "\r\nLocation: /ok\r\n"));
}
END_TEST

START_TEST(reason_phrases)
{
	ck_assert_str_eq(http_reason(200), "OK");
	ck_assert_str_eq(http_reason(404), "Not Found");
	ck_assert_str_eq(http_reason(413), "Content Too Large");
	ck_assert_str_eq(http_reason(431), "Request Header Fields Too Large");
	ck_assert_str_eq(http_reason(418), "Client Error");
	ck_assert_str_eq(http_reason(599), "Server Error");
}
END_TEST

Suite *http_suite(void)
{
	Suite *s = suite_create("http");
	TCase *tc = tcase_create("parse");
	TCase *look = tcase_create("lookup");
	TCase *body = tcase_create("body");
	TCase *resp = tcase_create("response");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, valid_request);
	tcase_add_test(tc, path_from_request_uri);
	tcase_add_test(tc, null_envp_is_400);
	tcase_add_loop_test(tc, malformed_is_400, 0, (int)NELEM(bad_400));
	tcase_add_test(tc, method_of_sixteen_letters);
	tcase_add_test(tc, too_many_params_is_431);
	tcase_add_test(tc, huge_header_is_431);
	tcase_add_test(tc, long_path_is_414);
	tcase_add_test(tc, long_query_is_414);
	tcase_add_test(tc, content_length_values);
	tcase_add_loop_test(tc, content_type_normalised, 0, (int)NELEM(ct_cases));
	tcase_add_test(tc, content_type_raw_kept);
	tcase_add_test(tc, request_id_from_nginx);
	tcase_add_test(tc, bad_request_id_replaced);
	tcase_add_test(tc, generated_ids_differ);
	tcase_add_test(tc, out_of_memory_is_500);
	suite_add_tcase(s, tc);

	tcase_add_checked_fixture(look, setup, teardown);
	tcase_add_test(look, headers_by_http_name);
	tcase_add_loop_test(look, query_decoding, 0, (int)NELEM(query_cases));
	tcase_add_test(look, query_bad_may_be_null);
	tcase_add_test(look, pct_decode_direct);
	tcase_add_test(look, cookies);
	tcase_add_test(look, no_cookie_header);
	suite_add_tcase(s, look);

	tcase_add_checked_fixture(body, setup, teardown);
	tcase_add_test(body, body_exact);
	tcase_add_test(body, body_in_small_reads);
	tcase_add_test(body, body_keeps_nul_bytes);
	tcase_add_test(body, body_stops_at_content_length);
	tcase_add_test(body, short_body_is_400);
	tcase_add_test(body, reader_error_is_400);
	tcase_add_test(body, declared_too_large_is_413_unread);
	tcase_add_test(body, no_length_reads_to_end);
	tcase_add_test(body, no_length_exactly_max);
	tcase_add_test(body, no_length_over_max_is_413);
	tcase_add_test(body, empty_body);
	tcase_add_test(body, body_out_of_memory_is_500);
	suite_add_tcase(s, body);

	tcase_add_checked_fixture(resp, resp_setup, teardown);
	tcase_add_test(resp, problem_with_field_errors);
	tcase_add_test(resp, problem_without_errors);
	tcase_add_test(resp, problem_replaces_previous_body);
	tcase_add_test(resp, serialize_json_response);
	tcase_add_test(resp, serialize_keeps_own_cache_control);
	tcase_add_test(resp, serialize_no_content);
	tcase_add_test(resp, serialize_unanswered_is_500);
	tcase_add_test(resp, header_injection_refused);
	tcase_add_test(resp, reason_phrases);
	suite_add_tcase(s, resp);
	return s;
}

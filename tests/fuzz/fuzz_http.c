/*
 * fuzz_http.c -- fuzz target for the request side of lib/http.c and
 * lib/router.c, everything a hostile client reaches before a handler:
 * the input is FastCGI params "NAME=value" separated by NUL or newline;
 * the bytes after a line "--body--" are the body. Each input runs
 * http_req_parse, the header/query/cookie look-ups, route_match over a
 * small static table, route_check_body, http_read_body through a memory
 * reader, resp_problem and http_resp_serialize, all in one arena freed
 * per input. Beyond the sanitizers, the target aborts when an invariant
 * the rest of the program relies on is broken (a status outside the
 * contract, an {id} that is not a UUID, a problem body that is not JSON,
 * a response head with a bare CR or LF).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "arena.h"
#include "buf.h"
#include "http.h"
#include "router.h"

#define MAX_LINES 400 /* above HTTP_MAX_PARAMS, so 431 is reachable */
#define BODY_MAX 4096

static const struct route routes[] = {
    {"GET", "/api/v1/users", NULL, ROLES_STAFF, BODY_NONE, 0, 0},
    {"POST", "/api/v1/users", NULL, ROLES_STAFF, BODY_JSON, BODY_MAX, 0},
    {"GET", "/api/v1/users/{id}", NULL, ROLES_ANY, BODY_NONE, 0, 0},
    {"PATCH", "/api/v1/users/{id}", NULL, ROLES_ANY, BODY_JSON, BODY_MAX, 0},
    {"POST", "/api/v1/applications/{id}/submit", NULL, ROLE_STUDENT, BODY_ACTION, 0, 0},
    {"GET", "/api/v1/scholarships/{id}/applications/{app_id}", NULL, ROLES_STAFF, BODY_NONE, 0, 0},
    {"POST", "/api/v1/uploads", NULL, ROLES_ANY, BODY_MULTIPART, BODY_MAX, 0},
    {"POST", "/api/v1/import", NULL, ROLE_ADMIN, BODY_CSV, 100, 0},
    {"GET", "/", NULL, ROLES_PUBLIC, BODY_NONE, 0, 0},
};

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond))                                                                       \
			abort();                                                                   \
	} while (0)

struct input {
	char *envp[MAX_LINES + 1];
	const uint8_t *body;
	size_t body_len;
};

/* Split data into NUL-terminated params (in the arena) and a body. */
static void split_input(struct arena *a, const uint8_t *data, size_t size, struct input *in)
{
	size_t pos = 0, n = 0;

	in->body = NULL;
	in->body_len = 0;
	while (pos < size) {
		size_t end = pos;
		while (end < size && data[end] != '\n' && data[end] != '\0')
			end++;
		if (end - pos == 8 && memcmp(data + pos, "--body--", 8) == 0) {
			in->body = data + (end < size ? end + 1 : end);
			in->body_len = size - (size_t)(in->body - data);
			break;
		}
		if (end > pos && n < MAX_LINES)
			in->envp[n++] = arena_strndup(a, (const char *)data + pos, end - pos);
		pos = end + 1;
	}
	in->envp[n] = NULL;
}

struct mem_reader {
	const uint8_t *p;
	size_t n, pos, step;
};

static ssize_t mem_read(void *ctx, char *buf, size_t n)
{
	struct mem_reader *m = ctx;
	size_t k = m->n - m->pos;

	if (k > n)
		k = n;
	if (k > m->step)
		k = m->step;
	if (k == 0)
		return 0;
	memcpy(buf, m->p + m->pos, k);
	m->pos += k;
	return (ssize_t)k;
}

static int valid_id(const char *s)
{
	size_t n = strlen(s), i;

	for (i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= 'A' && s[i] <= 'Z') || s[i] == '-' || s[i] == '_'))
			return 0;
	return n > 0 && n <= 64;
}

static void check_parsed(const struct req *r)
{
	const char *p;

	for (p = r->method; *p; p++)
		CHECK(*p >= 'A' && *p <= 'Z');
	CHECK(r->path[0] == '/' && strlen(r->path) <= HTTP_MAX_PATH);
	CHECK(strlen(r->query) <= HTTP_MAX_QUERY);
	CHECK(r->content_length >= -1);
	for (p = r->content_type; p != NULL && *p; p++)
		CHECK(*p != ';' && !(*p >= 'A' && *p <= 'Z'));
}

static void lookups(const struct req *r)
{
	static const char *const names[] = {"page", "q", "sort", "a", "", "first name"};
	size_t i;
	int bad = 0;

	http_header(r, "Authorization");
	http_header(r, "Content-Type");
	http_header(r, "If-Match");
	http_param(r, "REMOTE_ADDR");
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		http_query(r, names[i], &bad);
	http_cookie(r, "session");
	http_cookie(r, "refresh_token");
	http_pct_decode(r->arena, r->query, strlen(r->query), 1);
	http_pct_decode(r->arena, r->path, strlen(r->path), 0);
}

static size_t count_ids(const char *pattern)
{
	size_t n = 0;

	for (; *pattern; pattern++)
		n += *pattern == '{';
	return n;
}

/* Route the request; the index or a negative ROUTE_* code. */
static int route(struct req *r)
{
	struct buf allow;
	size_t i;
	int idx;

	buf_init(&allow, r->arena);
	idx = route_match(routes, sizeof(routes) / sizeof(routes[0]), r, &allow);
	CHECK(idx >= ROUTE_BAD_METHOD);
	if (idx == ROUTE_BAD_METHOD)
		CHECK(allow.len > 0);
	if (idx < 0)
		return idx;
	CHECK(r->npath_ids == count_ids(routes[idx].pattern));
	for (i = 0; i < r->npath_ids; i++)
		CHECK(route_is_uuid(r->path_ids[i], strlen(r->path_ids[i])));
	return idx;
}

static int read_body(struct req *r, const struct input *in, size_t max)
{
	struct mem_reader m = {in->body, in->body_len, 0, 1 + in->body_len % 7};
	int st = http_read_body(r, mem_read, &m, max);

	CHECK(st == 0 || st == 400 || st == 413);
	if (st != 0)
		return st;
	CHECK(r->body_len <= max && r->body[r->body_len] == '\0');
	if (r->content_length >= 0)
		CHECK(r->body_len == (size_t)r->content_length);
	return 0;
}

/* The problem body must be JSON carrying the status. */
static void problem(struct resp *w, const struct req *r, int status)
{
	struct problem_field errs[2] = {{r->path ? r->path : "", "is not valid"},
	                                {r->query ? r->query : "", r->content_type_raw}};
	cJSON *j;

	resp_problem(w, r, status, r->path, errs, r->content_type_raw ? 2 : 1);
	j = cJSON_ParseWithLength(w->body.data, w->body.len);
	CHECK(j != NULL);
	CHECK(cJSON_GetObjectItem(j, "status")->valueint == status);
	cJSON_Delete(j);
}

/* The head of a serialised response: lines end in CRLF, nothing else. */
static void serialize(struct resp *w, const struct req *r)
{
	struct buf out;
	const char *head, *end;
	int bad = 0;
	const char *echo = http_query(r, "q", &bad);

	if (echo != NULL && resp_header(w, "X-Echo", echo) == 0)
		CHECK(strpbrk(echo, "\r\n") == NULL);
	buf_init(&out, r->arena);
	http_resp_serialize(w, r, &out);
	head = buf_cstr(&out);
	CHECK(head != NULL && strncmp(head, "Status: ", 8) == 0);
	end = strstr(head, "\r\n\r\n");
	CHECK(end != NULL);
	for (; head < end; head++) {
		if (*head == '\r')
			CHECK(head[1] == '\n');
		if (*head == '\n')
			CHECK(head[-1] == '\r');
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena a;
	struct input in;
	struct req r;
	struct resp w;
	int st, idx;

	arena_init(&a, 4096);
	split_input(&a, data, size, &in);
	st = http_req_parse(&r, &a, in.envp);
	CHECK(st == 0 || st == 400 || st == 414 || st == 413 || st == 431);
	CHECK(r.request_id != NULL && (valid_id(r.request_id)));
	resp_init(&w, &a);
	if (st == 0) {
		check_parsed(&r);
		lookups(&r);
		idx = route(&r);
		if (idx >= 0 && (st = route_check_body(&routes[idx], &r)) == 0)
			st = read_body(&r, &in, route_body_max(&routes[idx]));
		else if (idx < 0)
			st = read_body(&r, &in, BODY_MAX);
		CHECK(st == 0 || st == 400 || st == 413 || st == 415);
	}
	problem(&w, &r, st ? st : 404);
	serialize(&w, &r);
	arena_free(&a);
	return 0;
}

/*
 * http.h -- the request and response of one FastCGI exchange, with no
 * libfcgi in sight: http_req_parse() turns the FastCGI parameters into a
 * struct req, http_read_body() pulls the body through a reader callback,
 * and struct resp collects status, headers and body until the caller
 * serialises it with http_resp_serialize().
 *
 * Everything lives in the request arena. This module has no globals and
 * no I/O of its own, so it is unit-tested and fuzzed directly.
 */
#ifndef SCH_HTTP_H
#define SCH_HTTP_H

#include <stddef.h>
#include <sys/types.h>

#include "buf.h"

struct arena;

#define HTTP_MAX_PARAMS 256 /* more FastCGI params than this is hostile */
#define HTTP_MAX_PATH 2048
#define HTTP_MAX_QUERY 8192
#define HTTP_MAX_HEADER 16384 /* any single header value */

struct http_param {
	const char *name;
	const char *value;
};

struct req {
	struct arena *arena;
	const char *method;
	const char *path;         /* decoded, normalised by NGINX ($document_uri) */
	const char *query;        /* raw query string, "" when none */
	const char *content_type; /* media type only, lower-cased, no parameters */
	const char *content_type_raw;
	long long content_length; /* -1 when absent */
	const char *request_id;
	const char *remote_addr;
	struct http_param *params;
	size_t nparams;
	const char *body; /* NUL-terminated copy, NULL before reading */
	size_t body_len;
	const char *path_ids[4]; /* values of {id} segments, in order */
	size_t npath_ids;
};

/* Reads at most n bytes into p; returns bytes read, 0 at end, -1 on error. */
typedef ssize_t (*http_reader)(void *ctx, char *p, size_t n);

/*
 * Fill r from envp ("NAME=value" strings, NULL-terminated, as FastCGI and
 * CGI give them). Returns 0, or an HTTP status (400, 431) for hostile or
 * malformed parameters, or 500 when out of memory.
 */
int http_req_parse(struct req *r, struct arena *a, char *const *envp);

/* Header value by its HTTP name ("Authorization", "If-Match"), or NULL. */
const char *http_header(const struct req *r, const char *name);
/* FastCGI parameter by exact name, or NULL. */
const char *http_param(const struct req *r, const char *name);
/* Decoded query parameter (first occurrence), or NULL; *bad set when the
 * query string is malformed (bad percent-escape, NUL). */
const char *http_query(const struct req *r, const char *name, int *bad);
/* Cookie value by name, or NULL. */
const char *http_cookie(const struct req *r, const char *name);

/*
 * Read the body (content_length bytes, or to end when absent) into the
 * arena, refusing more than max bytes. Returns 0, 413 (too large), 400
 * (short body) or 500.
 */
int http_read_body(struct req *r, http_reader rd, void *ctx, size_t max);

/* Percent-decode src (n bytes) into the arena; '+' becomes ' ' when form is
 * set. NULL on a bad escape or an encoded NUL. */
char *http_pct_decode(struct arena *a, const char *src, size_t n, int form);

struct resp_header {
	struct resp_header *next;
	const char *name;
	const char *value;
};

struct resp {
	struct arena *arena;
	int status; /* 0 until a handler answers */
	const char *content_type;
	struct resp_header *headers;
	struct buf body;
	const char *problem_detail; /* set by resp_problem, for the log */
};

void resp_init(struct resp *w, struct arena *a);
/* Add a header; name and value are copied only if not static (caller's
 * choice: pass arena or static strings). Values with CR/LF are refused. */
int resp_header(struct resp *w, const char *name, const char *value);
/* Answer with a JSON text (already serialised). */
void resp_json(struct resp *w, int status, const char *json, size_t len);
/* Answer with no body (204, 304). */
void resp_empty(struct resp *w, int status);

struct problem_field {
	const char *field; /* dotted path */
	const char *message;
};

/*
 * Answer with RFC 9457 application/problem+json {type, title, status,
 * detail, request_id, errors?}. detail is for the client and must never
 * carry internals.
 */
void resp_problem(struct resp *w, const struct req *r, int status, const char *detail,
                  const struct problem_field *errors, size_t nerrors);

/* Reason phrase for a status ("Not Found"). */
const char *http_reason(int status);

/* "Status: ...\r\nHeaders\r\n\r\n" then the body, into out. */
void http_resp_serialize(const struct resp *w, const struct req *r, struct buf *out);

#endif

/*
 * http.c -- FastCGI parameters to struct req, and struct resp to the
 * CGI response text. Pure functions over the request arena; hostile input
 * (thousands of params, huge headers, control bytes, bad lengths) ends in
 * a status code, never in undefined behaviour. Fuzzed by
 * tests/fuzz/fuzz_http.c.
 */
#include "http.h"

#include "arena.h"

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *find_param(const struct req *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->nparams; i++)
		if (strcmp(r->params[i].name, name) == 0)
			return r->params[i].value;
	return NULL;
}

const char *http_param(const struct req *r, const char *name)
{
	return find_param(r, name);
}

const char *http_header(const struct req *r, const char *name)
{
	char key[128];
	size_t i, n = strlen(name);

	if (n + 6 >= sizeof(key))
		return NULL;
	if (strcasecmp(name, "Content-Type") == 0)
		return r->content_type_raw;
	memcpy(key, "HTTP_", 5);
	for (i = 0; i < n; i++)
		key[5 + i] = name[i] == '-' ? '_' : (char)toupper((unsigned char)name[i]);
	key[5 + n] = '\0';
	return find_param(r, key);
}

static int has_ctl(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	return 0;
}

static int valid_request_id(const char *s)
{
	size_t n = 0;

	for (; s[n]; n++)
		if (!isalnum((unsigned char)s[n]) && s[n] != '-' && s[n] != '_')
			return 0;
	return n > 0 && n <= 64;
}

static const char *new_request_id(struct arena *a)
{
	unsigned char raw[16];
	char *out = arena_alloc(a, 33);
	size_t i;

	if (out == NULL)
		return NULL;
	arc4random_buf(raw, sizeof(raw));
	for (i = 0; i < sizeof(raw); i++) {
		out[2 * i] = "0123456789abcdef"[raw[i] >> 4];
		out[2 * i + 1] = "0123456789abcdef"[raw[i] & 15];
	}
	out[32] = '\0';
	return out;
}

/* Split envp into params; 0 or a status. */
static int split_params(struct req *r, char *const *envp)
{
	size_t n = 0, i;

	while (envp != NULL && envp[n] != NULL)
		if (++n > HTTP_MAX_PARAMS)
			return 431;
	r->params = arena_calloc(r->arena, n ? n : 1, sizeof(*r->params));
	if (r->params == NULL)
		return 500;
	for (i = 0; i < n; i++) {
		const char *eq = strchr(envp[i], '=');
		if (eq == NULL || eq == envp[i])
			return 400;
		if (strlen(eq + 1) > HTTP_MAX_HEADER)
			return 431;
		r->params[i].name = arena_strndup(r->arena, envp[i], (size_t)(eq - envp[i]));
		if (r->params[i].name == NULL)
			return 500;
		r->params[i].value = eq + 1;
	}
	r->nparams = n;
	return 0;
}

static int parse_method(struct req *r)
{
	const char *m = find_param(r, "REQUEST_METHOD");
	size_t i;

	if (m == NULL || *m == '\0' || strlen(m) > 16)
		return 400;
	for (i = 0; m[i]; i++)
		if (m[i] < 'A' || m[i] > 'Z')
			return 400;
	r->method = m;
	return 0;
}

static int parse_path(struct req *r)
{
	const char *p = find_param(r, "DOCUMENT_URI");
	const char *q = find_param(r, "QUERY_STRING");

	if (p == NULL) {
		const char *uri = find_param(r, "REQUEST_URI");
		if (uri == NULL)
			return 400;
		p = arena_strndup(r->arena, uri, strcspn(uri, "?"));
		if (p == NULL)
			return 500;
	}
	if (p[0] != '/' || has_ctl(p))
		return 400;
	if (strlen(p) > HTTP_MAX_PATH)
		return 414;
	r->path = p;
	r->query = q != NULL ? q : "";
	if (strlen(r->query) > HTTP_MAX_QUERY)
		return 414;
	return 0;
}

static int parse_content(struct req *r)
{
	const char *len = find_param(r, "CONTENT_LENGTH");
	const char *ct = find_param(r, "CONTENT_TYPE");
	char *end, *mt;
	size_t i, n;

	r->content_length = -1;
	if (len != NULL && *len != '\0') {
		long long v;
		for (i = 0; len[i]; i++)
			if (!isdigit((unsigned char)len[i]))
				return 400;
		errno = 0;
		v = strtoll(len, &end, 10);
		if (errno != 0 || i > 15)
			return 413;
		r->content_length = v;
	}
	if (ct == NULL || *ct == '\0')
		return 0;
	r->content_type_raw = ct;
	n = strcspn(ct, ";");
	while (n > 0 && isspace((unsigned char)ct[n - 1]))
		n--;
	while (n > 0 && isspace((unsigned char)*ct))
		ct++, n--;
	mt = arena_strndup(r->arena, ct, n);
	if (mt == NULL)
		return 500;
	for (i = 0; mt[i]; i++)
		mt[i] = (char)tolower((unsigned char)mt[i]);
	r->content_type = mt;
	return 0;
}

int http_req_parse(struct req *r, struct arena *a, char *const *envp)
{
	const char *rid;
	int st;

	memset(r, 0, sizeof(*r));
	r->arena = a;
	r->content_length = -1;
	r->query = "";
	st = split_params(r, envp);
	rid = st == 0 ? find_param(r, "REQUEST_ID") : NULL;
	if (rid == NULL && st == 0)
		rid = find_param(r, "HTTP_X_REQUEST_ID");
	r->request_id = rid != NULL && valid_request_id(rid) ? rid : new_request_id(a);
	if (r->request_id == NULL)
		return 500;
	if (st != 0)
		return st;
	r->remote_addr = find_param(r, "REMOTE_ADDR");
	if ((st = parse_method(r)) != 0)
		return st;
	if ((st = parse_path(r)) != 0)
		return st;
	return parse_content(r);
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

char *http_pct_decode(struct arena *a, const char *src, size_t n, int form)
{
	char *out = arena_alloc(a, n + 1);
	size_t i, o = 0;

	if (out == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		if (src[i] == '%') {
			int hi, lo;
			if (i + 2 >= n)
				return NULL;
			hi = hexval((unsigned char)src[i + 1]);
			lo = hexval((unsigned char)src[i + 2]);
			if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
				return NULL;
			out[o++] = (char)(hi * 16 + lo);
			i += 2;
		} else if (src[i] == '+' && form) {
			out[o++] = ' ';
		} else if (src[i] == '\0') {
			return NULL;
		} else {
			out[o++] = src[i];
		}
	}
	out[o] = '\0';
	return out;
}

const char *http_query(const struct req *r, const char *name, int *bad)
{
	const char *p = r->query;

	while (*p) {
		size_t len = strcspn(p, "&");
		size_t klen = strcspn(p, "=");
		char *key, *val;
		if (klen > len)
			klen = len;
		key = http_pct_decode(r->arena, p, klen, 1);
		if (key == NULL) {
			if (bad)
				*bad = 1;
			return NULL;
		}
		if (strcmp(key, name) == 0) {
			val = klen < len
			          ? http_pct_decode(r->arena, p + klen + 1, len - klen - 1, 1)
			          : arena_strdup(r->arena, "");
			if (val == NULL && bad)
				*bad = 1;
			return val;
		}
		p += len;
		if (*p == '&')
			p++;
	}
	return NULL;
}

const char *http_cookie(const struct req *r, const char *name)
{
	const char *c = find_param(r, "HTTP_COOKIE");
	size_t nlen = strlen(name);

	while (c != NULL && *c) {
		while (*c == ' ' || *c == ';')
			c++;
		if (strncmp(c, name, nlen) == 0 && c[nlen] == '=') {
			const char *v = c + nlen + 1;
			return arena_strndup(r->arena, v, strcspn(v, ";"));
		}
		c += strcspn(c, ";");
	}
	return NULL;
}

int http_read_body(struct req *r, http_reader rd, void *ctx, size_t max)
{
	size_t want, got = 0;
	char *p;

	if (r->content_length > (long long)max)
		return 413;
	want = r->content_length >= 0 ? (size_t)r->content_length : max + 1;
	p = arena_alloc(r->arena, want + 1);
	if (p == NULL)
		return 500;
	while (got < want) {
		ssize_t n = rd(ctx, p + got, want - got);
		if (n < 0)
			return 400;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	if (r->content_length >= 0 && got < want)
		return 400;
	if (got > max)
		return 413;
	p[got] = '\0';
	r->body = p;
	r->body_len = got;
	return 0;
}

void resp_init(struct resp *w, struct arena *a)
{
	memset(w, 0, sizeof(*w));
	w->arena = a;
	buf_init(&w->body, a);
}

int resp_header(struct resp *w, const char *name, const char *value)
{
	struct resp_header *h;

	if (strpbrk(name, "\r\n:") != NULL || strpbrk(value, "\r\n") != NULL)
		return -1;
	h = arena_alloc(w->arena, sizeof(*h));
	if (h == NULL)
		return -1;
	h->name = name;
	h->value = value;
	h->next = w->headers;
	w->headers = h;
	return 0;
}

void resp_json(struct resp *w, int status, const char *json, size_t len)
{
	w->status = status;
	w->content_type = "application/json; charset=utf-8";
	w->body.len = 0;
	buf_append(&w->body, json, len);
}

void resp_empty(struct resp *w, int status)
{
	w->status = status;
	w->content_type = NULL;
	w->body.len = 0;
}

struct reason {
	int status;
	const char *text;
};

static const struct reason reasons[] = {
    {200, "OK"},
    {201, "Created"},
    {202, "Accepted"},
    {204, "No Content"},
    {304, "Not Modified"},
    {400, "Bad Request"},
    {401, "Unauthorized"},
    {403, "Forbidden"},
    {404, "Not Found"},
    {405, "Method Not Allowed"},
    {409, "Conflict"},
    {412, "Precondition Failed"},
    {413, "Content Too Large"},
    {414, "URI Too Long"},
    {415, "Unsupported Media Type"},
    {422, "Unprocessable Content"},
    {428, "Precondition Required"},
    {429, "Too Many Requests"},
    {431, "Request Header Fields Too Large"},
    {500, "Internal Server Error"},
    {502, "Bad Gateway"},
    {503, "Service Unavailable"},
    {504, "Gateway Timeout"},
};

const char *http_reason(int status)
{
	size_t i;

	for (i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
		if (reasons[i].status == status)
			return reasons[i].text;
	return status >= 500 ? "Server Error" : status >= 400 ? "Client Error" : "OK";
}

void resp_problem(struct resp *w, const struct req *r, int status, const char *detail,
                  const struct problem_field *errors, size_t nerrors)
{
	struct buf *b = &w->body;
	size_t i;

	w->status = status;
	w->content_type = "application/problem+json; charset=utf-8";
	w->problem_detail = detail;
	b->len = 0;
	buf_puts(b, "{\"type\":\"about:blank\",\"title\":");
	buf_json_str(b, http_reason(status));
	buf_printf(b, ",\"status\":%d,\"detail\":", status);
	buf_json_str(b, detail ? detail : http_reason(status));
	buf_puts(b, ",\"request_id\":");
	buf_json_str(b, r != NULL ? r->request_id : NULL);
	if (nerrors > 0) {
		buf_puts(b, ",\"errors\":[");
		for (i = 0; i < nerrors; i++) {
			buf_puts(b, i ? ",{\"field\":" : "{\"field\":");
			buf_json_str(b, errors[i].field);
			buf_puts(b, ",\"message\":");
			buf_json_str(b, errors[i].message);
			buf_putc(b, '}');
		}
		buf_putc(b, ']');
	}
	buf_putc(b, '}');
}

static int has_header(const struct resp *w, const char *name)
{
	const struct resp_header *h;

	for (h = w->headers; h != NULL; h = h->next)
		if (strcasecmp(h->name, name) == 0)
			return 1;
	return 0;
}

void http_resp_serialize(const struct resp *w, const struct req *r, struct buf *out)
{
	const struct resp_header *h;
	int status = w->status ? w->status : 500;

	buf_printf(out, "Status: %d %s\r\n", status, http_reason(status));
	if (w->content_type != NULL)
		buf_printf(out, "Content-Type: %s\r\n", w->content_type);
	for (h = w->headers; h != NULL; h = h->next)
		buf_printf(out, "%s: %s\r\n", h->name, h->value);
	if (!has_header(w, "Cache-Control"))
		buf_puts(out, "Cache-Control: no-store\r\n");
	if (r != NULL && r->request_id != NULL)
		buf_printf(out, "X-Request-ID: %s\r\n", r->request_id);
	if (status != 204 && status != 304)
		buf_printf(out, "Content-Length: %zu\r\n", w->body.len);
	buf_puts(out, "\r\n");
	if (status != 204 && status != 304 && w->body.len)
		buf_append(out, w->body.data, w->body.len);
}

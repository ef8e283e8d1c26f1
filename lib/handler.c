/*
 * handler.c -- helpers shared by route handlers.
 */
#include "handler.h"

#include "arena.h"
#include "buf.h"
#include "config.h"
#include "http.h"
#include "log.h"
#include "metrics.h"
#include "ratelimit.h"
#include "validate.h"
#include "worker.h"

int handler_body(struct ctx *c, const struct vfield *fields, size_t n, int required)
{
	struct verrors e;

	if (c->body == NULL) {
		if (!required)
			return 0;
		resp_problem(c->resp, c->req, 400, "a JSON body is required", NULL, 0);
		return -1;
	}
	verrors_init(&e, c->arena);
	if (validate_object(c->body, fields, n, "", &e) == 0 && !e.oom)
		return 0;
	if (e.oom)
		resp_problem(c->resp, c->req, 500, NULL, NULL, 0);
	else
		resp_problem(c->resp, c->req, 422, "some fields are invalid", e.items, e.n);
	return -1;
}

void handler_too_many(struct ctx *c, long retry_after)
{
	char *s = arena_printf(c->arena, "%ld", retry_after);

	resp_problem(c->resp, c->req, 429, "too many attempts; try again later", NULL, 0);
	resp_header(c->resp, "Retry-After", s ? s : "60");
}

void handler_unavailable(struct ctx *c, const char *detail)
{
	resp_problem(c->resp, c->req, 503, detail, NULL, 0);
	resp_header(c->resp, "Retry-After", "5");
}

void handler_invalid(struct ctx *c, const char *field, const char *message)
{
	struct problem_field f = {field, message};

	resp_problem(c->resp, c->req, 422, "some fields are invalid", &f, 1);
}

int handler_limit(struct ctx *c, const char *key, const struct cfg_limit *l)
{
	long retry = 1;
	enum rl_result r;

	if (key == NULL)
		return 0;
	r = rl_hit(&c->w->cache, c->arena, key, l->count, l->window, &retry);
	if (r == RL_DOWN) {
		c->w->slot->redis_fail_open++;
		log_warn("ratelimit: Redis down; not limited (fail open)");
		return 0;
	}
	if (r == RL_LIMITED) {
		handler_too_many(c, retry);
		return -1;
	}
	return 0;
}

long handler_parse_limit(const char *s)
{
	long v = 0;
	size_t i;

	for (i = 0; s[i] != '\0'; i++) {
		if (i >= 3 || s[i] < '0' || s[i] > '9')
			return 0;
		v = v * 10 + (s[i] - '0');
	}
	return v >= 1 && v <= 100 ? v : 0;
}

const char *handler_like_pattern(struct arena *a, const char *q)
{
	struct buf b;

	buf_init(&b, a);
	buf_putc(&b, '%');
	for (; *q; q++) {
		if (*q == '%' || *q == '_' || *q == '\\')
			buf_putc(&b, '\\');
		buf_putc(&b, *q);
	}
	buf_putc(&b, '%');
	return buf_cstr(&b);
}

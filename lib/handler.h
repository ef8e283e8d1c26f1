/*
 * handler.h -- small helpers every route handler uses: body validation
 * against a field table, the common error answers (429, 503) and rate
 * limit checks that fail open when Redis is down.
 */
#ifndef SCH_HANDLER_H
#define SCH_HANDLER_H

#include <stddef.h>

struct arena;
struct ctx;
struct cfg_limit;
struct vfield;

/*
 * Validate the JSON body against fields[0..n). 0 when valid; -1 with
 * 400 (no body but required) or 422 (every bad field listed) answered.
 */
int handler_body(struct ctx *c, const struct vfield *fields, size_t n, int required);
/* 429 with Retry-After. */
void handler_too_many(struct ctx *c, long retry_after);
/* 503 with Retry-After: 5. */
void handler_unavailable(struct ctx *c, const char *detail);
/* 422 naming one field. */
void handler_invalid(struct ctx *c, const char *field, const char *message);
/* Count a hit on a rate limit: 0 to go on (also when Redis is down: fail
 * open, logged and counted), -1 when 429 was answered. */
int handler_limit(struct ctx *c, const char *key, const struct cfg_limit *l);

/* A list's ?limit=: 1..100 from at most three digits, else 0 (invalid). */
long handler_parse_limit(const char *s);
/* An ILIKE pattern "%q%" with LIKE's metacharacters in q escaped (arena
 * memory; NULL when out of memory). */
const char *handler_like_pattern(struct arena *a, const char *q);

#endif

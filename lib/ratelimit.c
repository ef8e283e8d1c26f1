/*
 * ratelimit.c -- Redis counters for rate limits.
 */
#include "ratelimit.h"

#include "arena.h"
#include "cache.h"

#include <stdio.h>
#include <string.h>

/* INCR, set the window on the first hit, answer {count, ttl}. */
static const char incr_script[] =
    "local c = redis.call('INCR', KEYS[1]) "
    "if c == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end "
    "local t = redis.call('TTL', KEYS[1]) "
    "if t < 0 then redis.call('EXPIRE', KEYS[1], ARGV[1]) t = tonumber(ARGV[1]) end "
    "return {c, t}";

enum rl_result rl_hit(struct cache *c, struct arena *a, const char *key, long limit, long window,
                      long *retry_after)
{
	char k[300], w[24];
	const char *argv[5] = {"EVAL", incr_script, "1", k, w};
	redisReply *r;

	snprintf(k, sizeof(k), "rl:%s", key);
	snprintf(w, sizeof(w), "%ld", window);
	r = cache_cmd(c, a, 5, argv);
	if (r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements != 2)
		return RL_DOWN;
	*retry_after = (long)r->element[1]->integer;
	if (*retry_after < 1)
		*retry_after = 1;
	return r->element[0]->integer > limit ? RL_LIMITED : RL_OK;
}

enum rl_result rl_peek(struct cache *c, struct arena *a, const char *key, long limit,
                       long *retry_after)
{
	char k[300];
	const char *get[2] = {"GET", k}, *ttl[2] = {"TTL", k};
	redisReply *r, *t;
	long long n;

	snprintf(k, sizeof(k), "rl:%s", key);
	r = cache_cmd(c, a, 2, get);
	if (r == NULL)
		return RL_DOWN;
	if (r->type != REDIS_REPLY_STRING)
		return RL_OK;
	n = strtoll(r->str, NULL, 10);
	if (n < limit)
		return RL_OK;
	t = cache_cmd(c, a, 2, ttl);
	*retry_after =
	    t != NULL && t->type == REDIS_REPLY_INTEGER && t->integer > 0 ? (long)t->integer : 1;
	return RL_LIMITED;
}

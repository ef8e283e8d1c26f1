/*
 * cache.h -- one Redis connection per worker (hiredis 0.14), opened after
 * fork, with connect and command timeouts.
 *
 * hiredis returns NULL from redisCommand when the context is dead; then
 * the context is freed and re-opened (with AUTH and SELECT, which
 * redisReconnect would not resend) on the next call, after a backoff.
 * Replies are registered with the request arena (freeReplyObject).
 */
#ifndef SCH_CACHE_H
#define SCH_CACHE_H

#include <hiredis/hiredis.h>
#include <stddef.h>

struct arena;

struct cache {
	redisContext *ctx;
	char *host; /* NULL for a Unix socket */
	char *path; /* Unix socket path */
	int port;
	int db;
	char *password;
	int timeout_ms;
	double next_attempt, backoff;
	unsigned long errors;
};

/* Parse redis://[:pass@]host[:port][/db] or unix:///path[?db=N]. 0 or -1. */
int cache_init(struct cache *c, const char *url, const char *password, int timeout_ms);
void cache_release(struct cache *c);

/* 0 when connected (connecting if needed), -1 when Redis is unreachable. */
int cache_ensure(struct cache *c);

/*
 * Run a command (redisCommandArgv). NULL when Redis is down or answered
 * an error (REDIS_REPLY_ERROR is returned as NULL too, logged).
 */
redisReply *cache_cmd(struct cache *c, struct arena *a, int argc, const char *const *argv);

#endif

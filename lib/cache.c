/*
 * cache.c -- hiredis with the traps of 0.14 handled: a context is returned
 * even when the connect failed; a write to a dead server raises SIGPIPE
 * (every program here ignores it); after an error the context stays dead,
 * and redisReconnect would not send AUTH again, so we free it and start
 * over.
 */
#include "cache.h"

#include "arena.h"
#include "db.h"
#include "log.h"

#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

static char *dup_range(const char *s, size_t n)
{
	char *p = malloc(n + 1);

	if (p != NULL) {
		memcpy(p, s, n);
		p[n] = '\0';
	}
	return p;
}

static int parse_tcp(struct cache *c, const char *u)
{
	const char *at = strchr(u, '@'), *slash, *colon;
	long port = 6379;

	if (at != NULL) {
		const char *pw = memchr(u, ':', (size_t)(at - u));
		if (pw != NULL && c->password == NULL)
			c->password = dup_range(pw + 1, (size_t)(at - pw - 1));
		u = at + 1;
	}
	slash = strchr(u, '/');
	colon = strchr(u, ':');
	if (colon != NULL && (slash == NULL || colon < slash)) {
		char *end;
		port = strtol(colon + 1, &end, 10);
		if (port < 1 || port > 65535 || (*end != '\0' && *end != '/'))
			return -1;
	} else {
		colon = slash ? slash : u + strlen(u);
	}
	c->host = dup_range(u, (size_t)(colon - u));
	c->port = (int)port;
	if (slash != NULL && slash[1] != '\0')
		c->db = atoi(slash + 1);
	return c->host != NULL && c->host[0] != '\0' ? 0 : -1;
}

int cache_init(struct cache *c, const char *url, const char *password, int timeout_ms)
{
	memset(c, 0, sizeof(*c));
	c->timeout_ms = timeout_ms > 0 ? timeout_ms : 500;
	if (password != NULL)
		c->password = strdup(password);
	if (strncmp(url, "unix://", 7) == 0) {
		const char *q = strchr(url + 7, '?');
		c->path = dup_range(url + 7, q ? (size_t)(q - url - 7) : strlen(url + 7));
		if (q != NULL && strncmp(q, "?db=", 4) == 0)
			c->db = atoi(q + 4);
		return c->path != NULL ? 0 : -1;
	}
	if (strncmp(url, "redis://", 8) == 0)
		return parse_tcp(c, url + 8);
	return -1;
}

static void drop(struct cache *c)
{
	if (c->ctx != NULL)
		redisFree(c->ctx);
	c->ctx = NULL;
}

void cache_release(struct cache *c)
{
	drop(c);
	free(c->host);
	free(c->path);
	free(c->password);
	memset(c, 0, sizeof(*c));
}

static void schedule_retry(struct cache *c)
{
	c->errors++;
	c->backoff = c->backoff == 0 ? 0.05 : c->backoff * 2;
	if (c->backoff > 2.0)
		c->backoff = 2.0;
	c->next_attempt = db_now() + c->backoff;
}

/* AUTH and SELECT on a fresh context; 0 or -1. */
static int handshake(struct cache *c)
{
	redisReply *r;

	if (c->password != NULL) {
		r = redisCommand(c->ctx, "AUTH %s", c->password);
		if (r == NULL || r->type == REDIS_REPLY_ERROR) {
			log_error("cache: AUTH failed");
			if (r)
				freeReplyObject(r);
			return -1;
		}
		freeReplyObject(r);
	}
	if (c->db != 0) {
		r = redisCommand(c->ctx, "SELECT %d", c->db);
		if (r == NULL || r->type == REDIS_REPLY_ERROR) {
			if (r)
				freeReplyObject(r);
			return -1;
		}
		freeReplyObject(r);
	}
	return 0;
}

int cache_ensure(struct cache *c)
{
	struct timeval tv = {c->timeout_ms / 1000, (c->timeout_ms % 1000) * 1000};

	if (c->ctx != NULL && c->ctx->err == 0)
		return 0;
	drop(c);
	if (db_now() < c->next_attempt)
		return -1;
	c->ctx = c->path ? redisConnectUnixWithTimeout(c->path, tv)
	                 : redisConnectWithTimeout(c->host, c->port, tv);
	if (c->ctx == NULL || c->ctx->err || redisSetTimeout(c->ctx, tv) != REDIS_OK ||
	    handshake(c) < 0) {
		log_warn("cache: connect failed: %s", c->ctx ? c->ctx->errstr : "out of memory");
		drop(c);
		schedule_retry(c);
		return -1;
	}
	c->backoff = 0;
	return 0;
}

static void reply_free(void *p)
{
	freeReplyObject(p);
}

redisReply *cache_cmd(struct cache *c, struct arena *a, int argc, const char *const *argv)
{
	redisReply *r;

	if (cache_ensure(c) < 0)
		return NULL;
	r = redisCommandArgv(c->ctx, argc, (const char **)argv, NULL);
	if (r == NULL) {
		log_warn("cache: %s failed: %s", argv[0], c->ctx->errstr);
		drop(c);
		schedule_retry(c);
		return NULL;
	}
	if (arena_cleanup(a, reply_free, r) < 0)
		return NULL;
	if (r->type == REDIS_REPLY_ERROR) {
		c->errors++;
		log_warn("cache: %s answered an error", argv[0]);
		return NULL;
	}
	return r;
}

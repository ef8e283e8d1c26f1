/*
 * worker.h -- the state of one pool worker and of one request.
 *
 * struct worker is long-lived: created in the child after fork (never
 * inherited across it), it holds the PostgreSQL and Redis connections,
 * the configuration and the worker's metrics slot. struct ctx is what a
 * route handler gets: the request, the response being built, the arena
 * both live in, and the worker.
 */
#ifndef SCH_WORKER_H
#define SCH_WORKER_H

#include <cjson/cJSON.h>
#include <sys/types.h>

#include "cache.h"
#include "db.h"
#include "token.h"

struct arena;
struct config;
struct metrics_shm;
struct metrics_slot;
struct req;
struct resp;
struct route;

struct worker {
	const struct config *cfg;
	struct db db;
	struct cache cache;
	struct metrics_shm *shm;
	struct metrics_slot *slot;
	const struct route *routes;
	size_t nroutes;
	const char *openapi; /* the OpenAPI document, loaded at start */
	size_t openapi_len;
};

struct ctx {
	struct worker *w;
	struct arena *arena;
	struct req *req;
	struct resp *resp;
	const struct route *route;
	cJSON *body;                /* parsed JSON body, when the route takes one */
	const char *user_id;        /* authenticated user, NULL for public routes */
	unsigned role;              /* ROLE_* bit of the user */
	const char *college_code;   /* the user's college (college staff), or NULL */
	struct token_claims claims; /* of the access token, when authenticated */
	const char *user_json;      /* the user object as read by auth (DESIGN §8) */
	/* The request body as a stream, for routes that read it themselves
	 * (BODY_MULTIPART). */
	ssize_t (*body_read)(void *src, char *p, size_t n);
	void *body_src;
};

#endif

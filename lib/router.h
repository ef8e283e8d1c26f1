/*
 * router.h -- the static route table and its matcher.
 *
 * A route declares everything decided before its handler runs: method,
 * pattern ("/api/v1/users/{id}"), roles, body kind and limit, rate bucket.
 * route_match() answers 404 or 405 (with the Allow list), route_check_body()
 * answers 413 or 415, all before any body is read or query sent. The table
 * itself belongs to the program (app/api_routes.c); this module only reads it.
 */
#ifndef SCH_ROUTER_H
#define SCH_ROUTER_H

#include <stddef.h>

struct ctx;
struct req;
struct buf;

/* Roles as bits; a route's roles mask lists who may call it. */
#define ROLE_STUDENT 0x01u
#define ROLE_REVIEWER 0x02u
#define ROLE_COLLEGE 0x04u
#define ROLE_ADMIN 0x08u
#define ROLE_SUPER_ADMIN 0x10u
#define ROLES_STAFF (ROLE_REVIEWER | ROLE_COLLEGE | ROLE_ADMIN | ROLE_SUPER_ADMIN)
#define ROLES_ANY (ROLE_STUDENT | ROLES_STAFF)
#define ROLES_PUBLIC 0u /* no authentication */

enum route_body {
	BODY_NONE,      /* no body accepted */
	BODY_JSON,      /* application/json required */
	BODY_ACTION,    /* empty with no Content-Type, or JSON */
	BODY_MULTIPART, /* multipart/form-data, streamed by the handler */
	BODY_CSV,       /* text/csv */
};

#define ROUTE_JSON_MAX (1024u * 1024u)

typedef void (*route_fn)(struct ctx *c);

struct route {
	const char *method;
	const char *pattern;
	route_fn handler;
	unsigned roles;
	enum route_body body;
	size_t body_max; /* 0: ROUTE_JSON_MAX */
	int rate_bucket; /* 0: none */
};

#define ROUTE_NOT_FOUND (-1)
#define ROUTE_BAD_METHOD (-2)
#define ROUTE_ERROR (-3) /* out of memory while copying {id} values */

/*
 * Match method and path against table[0..n). Returns the index, or
 * ROUTE_NOT_FOUND, or ROUTE_BAD_METHOD with the allowed methods written
 * to allow ("GET, POST"). {id} and {..._id} segments must be UUIDs, any
 * other {name} a token of 1-64 [A-Za-z0-9_-]; their values go to
 * r->path_ids in order.
 */
int route_match(const struct route *table, size_t n, struct req *r, struct buf *allow);

/* 0 when the request's body fits the route, else 413 or 415. */
int route_check_body(const struct route *rt, const struct req *r);

/* The route's body limit in bytes. */
size_t route_body_max(const struct route *rt);

/* Does a segment look like a UUID (8-4-4-4-12 hex)? */
int route_is_uuid(const char *s, size_t n);

#endif

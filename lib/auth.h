/*
 * auth.h -- who is calling: the one place where a request's bearer token
 * is checked and its user's current role and state are read (DESIGN §7).
 *
 * auth_authenticate() verifies the access token (lib/token), refuses a
 * denylisted jti (Redis down: fail open, counted), re-reads the user's
 * role, active flag and sessions_valid_after from PostgreSQL on every
 * request, and fills ctx. auth_allowed() is the route's role check.
 */
#ifndef SCH_AUTH_H
#define SCH_AUTH_H

struct ctx;

/* Role name ("student"...) to its ROLE_* bit; 0 when unknown. */
unsigned auth_role_bit(const char *role);

/*
 * Authenticate the request. 0 when ctx->user_id/role are set; otherwise
 * the answer (401, or 503 when PostgreSQL is down) is already in ctx->resp
 * and -1 is returned.
 */
int auth_authenticate(struct ctx *c);

/* Answer 401 with WWW-Authenticate: Bearer. */
void auth_unauthorized(struct ctx *c, const char *detail);

#endif

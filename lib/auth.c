/*
 * auth.c -- bearer-token authentication for every protected route.
 */
#include "auth.h"

#include "accounts.h"

#include "config.h"
#include "http.h"
#include "log.h"
#include "metrics.h"
#include "router.h"
#include "session.h"
#include "token.h"
#include "worker.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const struct db_stmt user_state = {
    "auth_user_state",
    "SELECT role, active, (extract(epoch FROM sessions_valid_after) * 1000)::bigint, "
    "college_code, " ACCOUNTS_USER_JSON " FROM users WHERE id = $1::uuid",
    1};

static const struct {
	const char *name;
	unsigned bit;
} roles[] = {
    {"student", ROLE_STUDENT}, {"reviewer", ROLE_REVIEWER},       {"college", ROLE_COLLEGE},
    {"admin", ROLE_ADMIN},     {"super_admin", ROLE_SUPER_ADMIN},
};

unsigned auth_role_bit(const char *role)
{
	size_t i;

	for (i = 0; role != NULL && i < sizeof(roles) / sizeof(roles[0]); i++)
		if (strcmp(roles[i].name, role) == 0)
			return roles[i].bit;
	return 0;
}

void auth_unauthorized(struct ctx *c, const char *detail)
{
	resp_problem(c->resp, c->req, 401, detail, NULL, 0);
	resp_header(c->resp, "WWW-Authenticate", "Bearer");
}

/* The token after "Bearer ", or NULL. */
static const char *bearer(const struct req *r)
{
	const char *h = http_header(r, "Authorization");

	if (h == NULL || strncasecmp(h, "Bearer ", 7) != 0)
		return NULL;
	h += 7;
	while (*h == ' ')
		h++;
	return *h ? h : NULL;
}

/* Re-read the user; 0 ok, -1 answered. */
static int load_user(struct ctx *c)
{
	const char *params[1] = {c->claims.sub};
	enum db_err err;
	PGresult *res;
	long long valid_after;

	res = db_exec(&c->w->db, c->arena, &user_state, params, &err, NULL);
	if (res == NULL && err == DB_DOWN) {
		resp_problem(c->resp, c->req, 503, "the database is unavailable", NULL, 0);
		resp_header(c->resp, "Retry-After", "5");
		return -1;
	}
	if (res == NULL || PQntuples(res) != 1 || strcmp(PQgetvalue(res, 0, 1), "t") != 0) {
		auth_unauthorized(c, "the access token is invalid or expired");
		return -1;
	}
	valid_after = strtoll(PQgetvalue(res, 0, 2), NULL, 10);
	if (c->claims.iat_ms < valid_after) {
		auth_unauthorized(c, "the session was ended; sign in again");
		return -1;
	}
	c->role = auth_role_bit(PQgetvalue(res, 0, 0));
	c->college_code = PQgetisnull(res, 0, 3) ? NULL : PQgetvalue(res, 0, 3);
	c->user_id = c->claims.sub;
	c->user_json = PQgetvalue(res, 0, 4);
	return 0;
}

int auth_authenticate(struct ctx *c)
{
	const char *tok = bearer(c->req), *why;
	int denied;

	if (tok == NULL) {
		auth_unauthorized(c, "authentication required");
		return -1;
	}
	if (token_verify_access(c->w->cfg, tok, token_now_ms(), &c->claims, &why) < 0) {
		log_fields(LOG_INFO, "auth: token refused", "reason", why, "request_id",
		           c->req->request_id, NULL);
		auth_unauthorized(c, "the access token is invalid or expired");
		return -1;
	}
	denied = session_is_denied(&c->w->cache, c->arena, c->claims.jti);
	if (denied < 0) {
		c->w->slot->redis_fail_open++;
		log_warn("auth: Redis down; denylist check skipped (fail open)");
	} else if (denied) {
		auth_unauthorized(c, "the access token was revoked");
		return -1;
	}
	return load_user(c);
}

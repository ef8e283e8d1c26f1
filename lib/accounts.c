/*
 * accounts.c -- the sign-in handlers. Passwords are checked with argon2id
 * (lib/password); an unknown email is checked against a dummy hash so it
 * costs the same. Access tokens come from lib/token, refresh tokens and
 * the denylist from lib/session, limits from lib/ratelimit. Every
 * sign-in, failed sign-in and sign-out is audited.
 */
#include "accounts.h"

#include "arena.h"
#include "audit.h"
#include "auth.h"
#include "buf.h"
#include "config.h"
#include "handler.h"
#include "http.h"
#include "json.h"
#include "log.h"
#include "metrics.h"
#include "password.h"
#include "ratelimit.h"
#include "session.h"
#include "token.h"
#include "validate.h"
#include "worker.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char dummy_hash[PASSWORD_HASH_LEN];

static const struct db_stmt q_login = {
    "acct_login",
    "SELECT id, password_hash, active, email_verified, role, " ACCOUNTS_USER_JSON
    " FROM users WHERE lower(email) = lower($1)",
    1};
static const struct db_stmt q_user_json = {
    "acct_user_json", "SELECT " ACCOUNTS_USER_JSON ", active, role FROM users WHERE id = $1::uuid",
    1};
static const struct db_stmt q_rehash = {
    "acct_rehash", "UPDATE users SET password_hash = $2 WHERE id = $1::uuid", 2};
static const struct db_stmt q_end_sessions = {
    "acct_end_sessions",
    "UPDATE users SET sessions_valid_after = now(), version = version + 1 WHERE id = $1::uuid", 1};

static const struct vfield login_fields[] = {
    {.name = "email", .type = VT_STRING, .flags = VF_REQUIRED, .min = 1, .max = 254},
    {.name = "password", .type = VT_STRING, .flags = VF_REQUIRED, .min = 1, .max = 1024},
};
static const struct vfield refresh_fields[] = {
    {.name = "refresh_token", .type = VT_STRING, .min = 1, .max = 128},
};

struct password_cost accounts_cost(const struct config *cfg)
{
	return (struct password_cost){(unsigned long long)cfg->password_hash_ops,
	                              (size_t)cfg->password_hash_mem_kib * 1024};
}

int accounts_init(const struct config *cfg)
{
	struct password_cost cost = accounts_cost(cfg);
	unsigned char raw[16];
	char pw[33];

	if (password_init() < 0)
		return -1;
	randombytes_buf(raw, sizeof(raw));
	sodium_bin2hex(pw, sizeof(pw), raw, sizeof(raw));
	return password_hash(&cost, pw, dummy_hash);
}

static char *email_key(struct arena *a, const char *email)
{
	char *lower = arena_strdup(a, email), hash[TOKEN_HASH_HEX];
	size_t i;

	if (lower == NULL)
		return NULL;
	for (i = 0; lower[i]; i++)
		if (lower[i] >= 'A' && lower[i] <= 'Z')
			lower[i] = (char)(lower[i] - 'A' + 'a');
	token_hash_hex(lower, hash);
	return arena_printf(a, "login-fail:%s", hash);
}

void accounts_set_refresh_cookie(struct ctx *c, const char *token, long max_age)
{
	resp_header(c->resp, "Set-Cookie",
	            arena_printf(c->arena,
	                         "refresh_token=%s; Path=/api/v1/auth; HttpOnly; SameSite=Strict; "
	                         "Max-Age=%ld%s",
	                         token, max_age, c->w->cfg->production ? "; Secure" : ""));
}

/* 200 {access_token, token_type, expires_in, refresh_token, user}. */
static void answer_tokens(struct ctx *c, const char *user_id, const char *role,
                          const char *user_json, const char *refresh)
{
	const struct config *cfg = c->w->cfg;
	struct token_claims claims;
	char *access = token_mint_access(c->arena, cfg, user_id, role, token_now_ms(), &claims);
	struct buf b;

	if (access == NULL) {
		resp_problem(c->resp, c->req, 500, NULL, NULL, 0);
		return;
	}
	buf_init(&b, c->arena);
	buf_puts(&b, "{\"access_token\":");
	buf_json_str(&b, access);
	buf_printf(&b, ",\"token_type\":\"bearer\",\"expires_in\":%ld,\"refresh_token\":",
	           cfg->access_token_minutes * 60);
	buf_json_str(&b, refresh);
	buf_printf(&b, ",\"user\":%s}", user_json);
	resp_json(c->resp, 200, b.data, b.len);
	accounts_set_refresh_cookie(c, refresh, cfg->refresh_token_days * 86400);
}

/* Check the password (or the dummy one); 1 when it matches. */
static int password_matches(struct ctx *c, PGresult *res, const char *pw)
{
	struct password_cost cost = accounts_cost(c->w->cfg);
	const char *hash =
	    res && PQntuples(res) == 1 && !PQgetisnull(res, 0, 1) ? PQgetvalue(res, 0, 1) : NULL;
	int rehash = 0, ok;

	ok = password_verify(&cost, hash ? hash : dummy_hash, pw, &rehash);
	if (ok && hash == NULL)
		ok = 0;
	if (ok && rehash) {
		char fresh[PASSWORD_HASH_LEN];
		const char *params[2] = {PQgetvalue(res, 0, 0), fresh};
		enum db_err err;
		if (password_hash(&cost, pw, fresh) == 0)
			db_exec(&c->w->db, c->arena, &q_rehash, params, &err, NULL);
	}
	return ok;
}

static void login_failed(struct ctx *c, const char *fail_key, const char *user_id)
{
	long retry = 1;
	const struct cfg_limit *l = &c->w->cfg->rl_login_fail_email;

	if (rl_hit(&c->w->cache, c->arena, fail_key, l->count, l->window, &retry) == RL_DOWN)
		c->w->slot->redis_fail_open++;
	audit_record(c, user_id, "auth.login_failed", "user", user_id, NULL, NULL);
	auth_unauthorized(c, "the email or password is wrong");
}

void accounts_login(struct ctx *c)
{
	const struct config *cfg = c->w->cfg;
	const char *email, *pw, *params[1], *uid;
	char *fail_key, *refresh;
	PGresult *res;
	enum db_err err;
	long retry = 1;

	if (handler_body(c, login_fields, 2, 1) < 0)
		return;
	email = json_str(c->body, "email");
	pw = json_str(c->body, "password");
	fail_key = email_key(c->arena, email);
	if (handler_limit(c, arena_printf(c->arena, "login-ip:%s", c->req->remote_addr),
	                  &cfg->rl_login_ip) < 0)
		return;
	if (rl_peek(&c->w->cache, c->arena, fail_key, cfg->rl_login_fail_email.count, &retry) ==
	    RL_LIMITED) {
		handler_too_many(c, retry);
		return;
	}
	params[0] = email;
	res = db_exec(&c->w->db, c->arena, &q_login, params, &err, NULL);
	if (res == NULL) {
		handler_unavailable(c, "the database is unavailable");
		return;
	}
	uid = PQntuples(res) == 1 ? PQgetvalue(res, 0, 0) : NULL;
	if (!password_matches(c, res, pw)) {
		login_failed(c, fail_key, uid);
		return;
	}
	if (strcmp(PQgetvalue(res, 0, 2), "t") != 0) {
		resp_problem(c->resp, c->req, 403, "this account is deactivated", NULL, 0);
		return;
	}
	if (strcmp(PQgetvalue(res, 0, 3), "t") != 0) {
		resp_problem(c->resp, c->req, 403,
		             "verify your email address first: follow the link we sent you", NULL,
		             0);
		return;
	}
	if (session_issue(&c->w->cache, c->arena, uid, NULL, cfg->refresh_token_days * 86400,
	                  &refresh) != SESSION_OK) {
		handler_unavailable(c, "sign-in is unavailable for a moment");
		return;
	}
	audit_record(c, uid, "auth.login", "user", uid, NULL, NULL);
	answer_tokens(c, uid, PQgetvalue(res, 0, 4), PQgetvalue(res, 0, 5), refresh);
}

static const char *refresh_token_of(struct ctx *c)
{
	const char *t = c->body ? json_str(c->body, "refresh_token") : NULL;

	return t != NULL ? t : http_cookie(c->req, "refresh_token");
}

void accounts_refresh(struct ctx *c)
{
	const struct config *cfg = c->w->cfg;
	char *user_id = NULL, *fresh = NULL;
	const char *tok, *params[1];
	enum session_result r;
	enum db_err err;
	PGresult *res;

	if (handler_body(c, refresh_fields, 1, 0) < 0 ||
	    handler_limit(c, arena_printf(c->arena, "refresh-ip:%s", c->req->remote_addr),
	                  &cfg->rl_refresh_ip) < 0)
		return;
	tok = refresh_token_of(c);
	if (tok == NULL) {
		auth_unauthorized(c, "a refresh token is required");
		return;
	}
	r = session_rotate(&c->w->cache, c->arena, tok, cfg->refresh_token_days * 86400,
	                   cfg->refresh_reuse_grace, &user_id, &fresh);
	if (r == SESSION_DOWN) {
		handler_unavailable(c, "token refresh is unavailable for a moment");
		return;
	}
	if (r == SESSION_REUSED)
		audit_record(c, user_id, "auth.refresh_reused", "user", user_id, NULL, NULL);
	if (r != SESSION_OK) {
		auth_unauthorized(c, "the refresh token is invalid or was already used");
		return;
	}
	params[0] = user_id;
	res = db_exec(&c->w->db, c->arena, &q_user_json, params, &err, NULL);
	if (res == NULL) {
		handler_unavailable(c, "the database is unavailable");
		return;
	}
	if (PQntuples(res) != 1 || strcmp(PQgetvalue(res, 0, 1), "t") != 0) {
		session_revoke_token(&c->w->cache, c->arena, fresh);
		auth_unauthorized(c, "the account is not active");
		return;
	}
	answer_tokens(c, user_id, PQgetvalue(res, 0, 2), PQgetvalue(res, 0, 0), fresh);
}

void accounts_logout(struct ctx *c)
{
	long long ttl = c->claims.exp - token_now_ms() / 1000;
	const char *tok;

	if (handler_body(c, refresh_fields, 1, 0) < 0)
		return;
	tok = refresh_token_of(c);
	if ((tok != NULL && session_revoke_token(&c->w->cache, c->arena, tok) != SESSION_OK) ||
	    session_deny(&c->w->cache, c->arena, c->claims.jti, (long)ttl) != SESSION_OK) {
		handler_unavailable(c, "sign-out is unavailable for a moment");
		return;
	}
	audit_record(c, NULL, "auth.logout", "user", c->user_id, NULL, NULL);
	resp_empty(c->resp, 204);
	accounts_set_refresh_cookie(c, "", 0);
}

void accounts_me(struct ctx *c)
{
	/* The authentication step read the user row this request already. */
	resp_json(c->resp, 200, c->user_json, strlen(c->user_json));
}

void accounts_revoke_sessions(struct ctx *c)
{
	const char *params[1] = {c->user_id};
	enum db_err err;

	if (db_exec(&c->w->db, c->arena, &q_end_sessions, params, &err, NULL) == NULL) {
		handler_unavailable(c, "the database is unavailable");
		return;
	}
	if (session_revoke_user(&c->w->cache, c->arena, c->user_id) != SESSION_OK)
		log_warn("accounts: Redis down; refresh tokens of %s expire on their own",
		         c->user_id);
	audit_record(c, NULL, "auth.sessions_revoked", "user", c->user_id, NULL, NULL);
	resp_empty(c->resp, 204);
	accounts_set_refresh_cookie(c, "", 0);
}

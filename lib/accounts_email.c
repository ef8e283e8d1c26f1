/*
 * accounts_email.c -- registration, verification, password reset and
 * invitations, each through a single-use token mailed as a link whose
 * token sits in the URL fragment (PUBLIC_URL/verify.html#token=...), so it
 * never reaches a server log. The token's hash and its mail are written in
 * one transaction: both or neither. Answers never reveal whether an email
 * has an account (202 for register, resend and forgot alike).
 */
#include "accounts_email.h"

#include "accounts.h"
#include "arena.h"
#include "audit.h"
#include "config.h"
#include "handler.h"
#include "http.h"
#include "json.h"
#include "log.h"
#include "notify.h"
#include "password.h"
#include "session.h"
#include "token.h"
#include "validate.h"
#include "worker.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

static const struct db_stmt q_insert_token = {
    "mail_token_insert",
    "INSERT INTO email_tokens (user_id, kind, token_hash, expires_at) "
    "VALUES ($1::uuid, $2, $3, now() + $4::interval)",
    4};
static const struct db_stmt q_spend_token = {
    "mail_token_spend",
    "UPDATE email_tokens SET used_at = now() WHERE token_hash = $1 AND kind = $2 "
    "AND used_at IS NULL AND expires_at > now() RETURNING user_id",
    2};
static const struct db_stmt q_register = {
    "acct_register",
    "INSERT INTO users (email, full_name, role, locale, password_hash) "
    "VALUES ($1, $2, 'student', $3, $4) ON CONFLICT DO NOTHING RETURNING id",
    4};
static const struct db_stmt q_by_email = {
    "acct_by_email",
    "SELECT id, locale, email_verified, active, email FROM users WHERE lower(email) = lower($1)",
    1};
static const struct db_stmt q_verified = {
    "acct_verified",
    "UPDATE users SET email_verified = true, version = version + 1, updated_at = now() "
    "WHERE id = $1::uuid",
    1};
static const struct db_stmt q_set_password = {
    "acct_set_password",
    "UPDATE users SET password_hash = $2, email_verified = true, sessions_valid_after = now(), "
    "full_name = COALESCE($3, full_name), version = version + 1, updated_at = now() "
    "WHERE id = $1::uuid AND active",
    3};
static const struct db_stmt q_hash_of = {"acct_hash_of",
                                         "SELECT password_hash FROM users WHERE id = $1::uuid", 1};
static const struct db_stmt q_update_me = {
    "acct_update_me",
    "UPDATE users SET full_name = COALESCE($2, full_name), locale = COALESCE($3, locale), "
    "phone = CASE WHEN $4 THEN $5 ELSE phone END, version = version + 1, updated_at = now() "
    "WHERE id = $1::uuid RETURNING " ACCOUNTS_USER_JSON,
    5};

static const char *const locales[] = {"en", "zh-TW", NULL};

static const struct vfield register_fields[] = {
    {.name = "email", .type = VT_EMAIL, .flags = VF_REQUIRED, .min = 3, .max = 254},
    {.name = "password", .type = VT_STRING, .flags = VF_REQUIRED, .min = 10, .max = 128},
    {.name = "full_name", .type = VT_STRING, .flags = VF_REQUIRED, .min = 1, .max = 200},
    {.name = "locale", .type = VT_ENUM, .options = locales},
};
static const struct vfield email_fields[] = {
    {.name = "email", .type = VT_STRING, .flags = VF_REQUIRED, .min = 1, .max = 254},
};
static const struct vfield token_fields[] = {
    {.name = "token", .type = VT_STRING, .flags = VF_REQUIRED, .min = 1, .max = 128},
};
static const struct vfield reset_fields[] = {
    {.name = "token", .type = VT_STRING, .flags = VF_REQUIRED, .min = 1, .max = 128},
    {.name = "password", .type = VT_STRING, .flags = VF_REQUIRED, .min = 10, .max = 128},
};
static const struct vfield accept_fields[] = {
    {.name = "token", .type = VT_STRING, .flags = VF_REQUIRED, .min = 1, .max = 128},
    {.name = "password", .type = VT_STRING, .flags = VF_REQUIRED, .min = 10, .max = 128},
    {.name = "full_name", .type = VT_STRING, .min = 1, .max = 200},
};
static const struct vfield me_fields[] = {
    {.name = "full_name", .type = VT_STRING, .min = 1, .max = 200},
    {.name = "locale", .type = VT_ENUM, .options = locales},
    {.name = "phone", .type = VT_STRING, .flags = VF_NULLABLE, .min = 3, .max = 40},
};
static const struct vfield password_fields[] = {
    {.name = "current_password", .type = VT_STRING, .flags = VF_REQUIRED, .min = 1, .max = 1024},
    {.name = "password", .type = VT_STRING, .flags = VF_REQUIRED, .min = 10, .max = 128},
};

/* Each kind of link: its template (mail_template.h) and its page. */
static const struct link_kind {
	const char *kind, *key, *page;
} link_kinds[] = {
    {"verify", "verify_email", "verify.html"},
    {"reset", "password_reset", "reset.html"},
    {"invite", "invitation", "accept.html"},
};

static const struct link_kind *kind_of(const char *kind)
{
	size_t i;

	for (i = 0; i < sizeof(link_kinds) / sizeof(link_kinds[0]); i++)
		if (strcmp(link_kinds[i].kind, kind) == 0)
			return &link_kinds[i];
	return NULL;
}

/* Mail only (a link with a token never goes to the in-app list). */
static int mail_user(struct ctx *c, const char *user_id, const char *key,
                     const struct mail_var *vars, size_t nvars)
{
	const struct notify_msg m = {
	    .key = key, .user_id = user_id, .vars = vars, .nvars = nvars, .what = NOTIFY_MAIL};
	enum db_err err;

	return notify_user(&c->w->db, c->arena, c->w->cfg, &m, &err);
}

int accounts_send_link(struct ctx *c, const char *user_id, const char *kind, const char *interval,
                       const char *role)
{
	const struct link_kind *k = kind_of(kind);
	char *tok = token_random(c->arena), hash[TOKEN_HASH_HEX];
	const char *params[4] = {user_id, kind, hash, interval};
	struct mail_var vars[2] = {{.name = "link"}, {.name = "role", .value = role}};
	enum db_err err;

	if (k == NULL || tok == NULL)
		return -1;
	token_hash_hex(tok, hash);
	if (db_exec(&c->w->db, c->arena, &q_insert_token, params, &err, NULL) == NULL)
		return -1;
	vars[0].value =
	    arena_printf(c->arena, "%s/%s#token=%s", c->w->cfg->public_url, k->page, tok);
	return mail_user(c, user_id, k->key, vars, 2);
}

static void accepted(struct ctx *c)
{
	static const char body[] =
	    "{\"status\":\"accepted\",\"detail\":\"If the address can receive "
	    "mail from us, a message is on its way.\"}";

	resp_json(c->resp, 202, body, sizeof(body) - 1);
}

/* Run fn inside a transaction; on failure roll back and answer 503/500. */
static int in_tx_begin(struct ctx *c)
{
	if (db_begin(&c->w->db) == 0)
		return 0;
	handler_unavailable(c, "the database is unavailable");
	return -1;
}

static void tx_fail(struct ctx *c)
{
	db_rollback(&c->w->db);
	handler_unavailable(c, "the request could not be completed; try again");
}

static int domain_allowed(const struct config *cfg, const char *email)
{
	const char *at = strrchr(email, '@'), *list = cfg->allowed_email_domains;
	size_t n;

	if (list == NULL || *list == '\0')
		return 1;
	while (at != NULL && *list) {
		while (*list == ',' || *list == ' ')
			list++;
		n = strcspn(list, ", ");
		if (n > 0 && strlen(at + 1) == n && strncasecmp(at + 1, list, n) == 0)
			return 1;
		list += n;
	}
	return 0;
}

/* The existing account's owner is told, instead of the caller. */
static int tell_owner(struct ctx *c, const char *email)
{
	const char *params[1] = {email};
	const char *url = c->w->cfg->public_url;
	const struct mail_var vars[2] = {
	    {.name = "login_link", .value = arena_printf(c->arena, "%s/login.html", url)},
	    {.name = "reset_link", .value = arena_printf(c->arena, "%s/forgot.html", url)},
	};
	enum db_err err;
	PGresult *res = db_exec(&c->w->db, c->arena, &q_by_email, params, &err, NULL);

	if (res == NULL)
		return -1;
	return PQntuples(res) == 1 ? mail_user(c, PQgetvalue(res, 0, 0), "account_exists", vars, 2)
	                           : 0;
}

void accounts_register(struct ctx *c)
{
	const struct config *cfg = c->w->cfg;
	struct password_cost cost = accounts_cost(cfg);
	const char *email, *locale, *params[4];
	char hash[PASSWORD_HASH_LEN];
	enum db_err err;
	PGresult *res;

	if (handler_body(c, register_fields, 4, 1) < 0)
		return;
	email = json_str(c->body, "email");
	locale = json_str(c->body, "locale");
	if (!domain_allowed(cfg, email)) {
		handler_invalid(c, "email", "must be an address of the university");
		return;
	}
	if (handler_limit(c, arena_printf(c->arena, "register-ip:%s", c->req->remote_addr),
	                  &cfg->rl_register_ip) < 0)
		return;
	/* Hash first, whatever happens next: the answer takes as long. */
	if (password_hash(&cost, json_str(c->body, "password"), hash) < 0) {
		resp_problem(c->resp, c->req, 500, NULL, NULL, 0);
		return;
	}
	params[0] = email, params[1] = json_str(c->body, "full_name");
	params[2] = locale ? locale : "zh-TW", params[3] = hash;
	if (in_tx_begin(c) < 0)
		return;
	res = db_exec(&c->w->db, c->arena, &q_register, params, &err, NULL);
	if (res == NULL ||
	    (PQntuples(res) == 1
	         ? accounts_send_link(c, PQgetvalue(res, 0, 0), "verify", "24 hours", NULL) < 0 ||
	               audit_record(c, PQgetvalue(res, 0, 0), "user.registered", "user",
	                            PQgetvalue(res, 0, 0), NULL, NULL) < 0
	         : tell_owner(c, email) < 0) ||
	    db_commit(&c->w->db) < 0) {
		tx_fail(c);
		return;
	}
	accepted(c);
}

/* Spend a token of kind; its user id, or NULL (422 answered). */
static const char *spend(struct ctx *c, const char *kind)
{
	char hash[TOKEN_HASH_HEX];
	const char *params[2] = {hash, kind};
	enum db_err err;
	PGresult *res;

	token_hash_hex(json_str(c->body, "token"), hash);
	res = db_exec(&c->w->db, c->arena, &q_spend_token, params, &err, NULL);
	if (res == NULL) {
		handler_unavailable(c, "the database is unavailable");
		return NULL;
	}
	if (PQntuples(res) != 1) {
		handler_invalid(c, "token", "the link is invalid, was already used or has expired");
		return NULL;
	}
	return PQgetvalue(res, 0, 0);
}

void accounts_verify_email(struct ctx *c)
{
	const char *uid, *params[1];
	enum db_err err;

	if (handler_body(c, token_fields, 1, 1) < 0 || in_tx_begin(c) < 0)
		return;
	if ((uid = spend(c, "verify")) == NULL) {
		db_rollback(&c->w->db);
		return;
	}
	params[0] = uid;
	if (db_exec(&c->w->db, c->arena, &q_verified, params, &err, NULL) == NULL ||
	    audit_record(c, uid, "user.email_verified", "user", uid, NULL, NULL) < 0 ||
	    db_commit(&c->w->db) < 0) {
		tx_fail(c);
		return;
	}
	resp_empty(c->resp, 204);
}

/* Look a user up by email for resend/forgot; NULL when none. */
static PGresult *by_email(struct ctx *c, const char *email)
{
	const char *params[1] = {email};
	enum db_err err;
	PGresult *res = db_exec(&c->w->db, c->arena, &q_by_email, params, &err, NULL);

	return res != NULL && PQntuples(res) == 1 ? res : NULL;
}

/* resend (kind verify, for unverified accounts: want_verified 0) and
 * forgot (kind reset, for any active account: want_verified -1; a reset
 * also verifies the address, since it proves the mailbox). */
static void send_again(struct ctx *c, const char *kind, const char *interval, int want_verified)
{
	PGresult *u;

	if (handler_body(c, email_fields, 1, 1) < 0 ||
	    handler_limit(c, arena_printf(c->arena, "mail-ip:%s", c->req->remote_addr),
	                  &c->w->cfg->rl_email_ip) < 0)
		return;
	u = by_email(c, json_str(c->body, "email"));
	if (u != NULL && strcmp(PQgetvalue(u, 0, 3), "t") == 0 &&
	    (want_verified < 0 || (strcmp(PQgetvalue(u, 0, 2), "t") == 0) == want_verified)) {
		if (in_tx_begin(c) < 0)
			return;
		if (accounts_send_link(c, PQgetvalue(u, 0, 0), kind, interval, NULL) < 0 ||
		    db_commit(&c->w->db) < 0) {
			tx_fail(c);
			return;
		}
	}
	accepted(c);
}

void accounts_resend_verification(struct ctx *c)
{
	send_again(c, "verify", "24 hours", 0);
}

void accounts_forgot_password(struct ctx *c)
{
	send_again(c, "reset", "1 hour", -1);
}

/* Spend the token and set the password: reset and invitation. */
static void set_password_by_token(struct ctx *c, const char *kind, const char *action)
{
	struct password_cost cost = accounts_cost(c->w->cfg);
	char hash[PASSWORD_HASH_LEN];
	const char *uid, *params[3];
	enum db_err err;
	PGresult *res;

	if (password_hash(&cost, json_str(c->body, "password"), hash) < 0) {
		resp_problem(c->resp, c->req, 500, NULL, NULL, 0);
		return;
	}
	if (in_tx_begin(c) < 0)
		return;
	if ((uid = spend(c, kind)) == NULL) {
		db_rollback(&c->w->db);
		return;
	}
	params[0] = uid, params[1] = hash, params[2] = json_str(c->body, "full_name");
	res = db_exec(&c->w->db, c->arena, &q_set_password, params, &err, NULL);
	if (res == NULL || audit_record(c, uid, action, "user", uid, NULL, NULL) < 0 ||
	    db_commit(&c->w->db) < 0) {
		tx_fail(c);
		return;
	}
	if (session_revoke_user(&c->w->cache, c->arena, uid) != SESSION_OK)
		log_warn("accounts: Redis down; old refresh tokens expire on their own");
	resp_empty(c->resp, 204);
}

void accounts_reset_password(struct ctx *c)
{
	if (handler_body(c, reset_fields, 2, 1) == 0)
		set_password_by_token(c, "reset", "user.password_reset");
}

void accounts_accept_invitation(struct ctx *c)
{
	if (handler_body(c, accept_fields, 3, 1) == 0)
		set_password_by_token(c, "invite", "user.invitation_accepted");
}

/* A phone number as people write it: digits and + - ( ) . and spaces,
 * with at least three digits. */
static int phone_ok(const char *s)
{
	int digits = 0;

	for (; *s; s++) {
		if (*s >= '0' && *s <= '9')
			digits++;
		else if (strchr("+-(). ", *s) == NULL)
			return 0;
	}
	return digits >= 3;
}

void accounts_update_me(struct ctx *c)
{
	const cJSON *phone = c->body ? cJSON_GetObjectItemCaseSensitive(c->body, "phone") : NULL;
	const char *params[5];
	enum db_err err;
	PGresult *res;
	const char *after;

	if (handler_body(c, me_fields, 3, 1) < 0)
		return;
	if (cJSON_IsString(phone) && !phone_ok(phone->valuestring)) {
		handler_invalid(c, "phone", "may hold digits, spaces, + - ( ) and . only");
		return;
	}
	params[0] = c->user_id, params[1] = json_str(c->body, "full_name");
	params[2] = json_str(c->body, "locale"), params[3] = phone ? "true" : "false";
	params[4] = cJSON_IsString(phone) ? phone->valuestring : NULL;
	res = db_exec(&c->w->db, c->arena, &q_update_me, params, &err, NULL);
	if (res == NULL || PQntuples(res) != 1) {
		handler_unavailable(c, "the database is unavailable");
		return;
	}
	after = PQgetvalue(res, 0, 0);
	audit_record(c, NULL, "user.profile_updated", "user", c->user_id, NULL, after);
	resp_json(c->resp, 200, after, strlen(after));
}

void accounts_change_password(struct ctx *c)
{
	struct password_cost cost = accounts_cost(c->w->cfg);
	const char *params[3] = {c->user_id, NULL, NULL};
	char hash[PASSWORD_HASH_LEN], *refresh;
	enum db_err err;
	PGresult *res;
	int rehash;

	if (handler_body(c, password_fields, 2, 1) < 0)
		return;
	res = db_exec(&c->w->db, c->arena, &q_hash_of, params, &err, NULL);
	if (res == NULL || PQntuples(res) != 1) {
		handler_unavailable(c, "the database is unavailable");
		return;
	}
	if (PQgetisnull(res, 0, 0) ||
	    !password_verify(&cost, PQgetvalue(res, 0, 0), json_str(c->body, "current_password"),
	                     &rehash)) {
		handler_invalid(c, "current_password", "is not your current password");
		return;
	}
	if (password_hash(&cost, json_str(c->body, "password"), hash) < 0) {
		resp_problem(c->resp, c->req, 500, NULL, NULL, 0);
		return;
	}
	params[1] = hash;
	if (db_exec(&c->w->db, c->arena, &q_set_password, params, &err, NULL) == NULL) {
		handler_unavailable(c, "the database is unavailable");
		return;
	}
	audit_record(c, NULL, "user.password_changed", "user", c->user_id, NULL, NULL);
	/* Every session ends, this one included; it continues through the new
	 * refresh cookie (POST /auth/refresh gives it a new access token). */
	session_revoke_user(&c->w->cache, c->arena, c->user_id);
	if (session_issue(&c->w->cache, c->arena, c->user_id, NULL,
	                  c->w->cfg->refresh_token_days * 86400, &refresh) == SESSION_OK)
		accounts_set_refresh_cookie(c, refresh, c->w->cfg->refresh_token_days * 86400);
	resp_empty(c->resp, 204);
}

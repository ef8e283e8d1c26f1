/*
 * accounts.h -- sign-in and sessions (DESIGN §8 "Auth and accounts"):
 * login, refresh, logout, the caller's user object, sign out everywhere.
 */
#ifndef SCH_ACCOUNTS_H
#define SCH_ACCOUNTS_H

#include "password.h"

struct ctx;
struct config;

/* The user object of DESIGN §8 as one JSON text column, for SELECTs from
 * users. */
#define ACCOUNTS_USER_JSON                                                                         \
	"json_build_object('id', id, 'email', email, 'full_name', full_name, 'role', role, "       \
	"'locale', locale, 'phone', phone, 'college_code', college_code, 'active', active, "       \
	"'email_verified', email_verified, 'created_at', "                                         \
	"to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'))::text"

/* The configured argon2id cost. */
struct password_cost accounts_cost(const struct config *cfg);
/* Set (or, with max_age 0, clear) the HttpOnly refresh-token cookie. */
void accounts_set_refresh_cookie(struct ctx *c, const char *token, long max_age);

/* Per-process set-up after fork (the dummy hash that makes a login with an
 * unknown email cost what a wrong password costs). 0 or -1. */
int accounts_init(const struct config *cfg);

void accounts_login(struct ctx *c);
void accounts_refresh(struct ctx *c);
void accounts_logout(struct ctx *c);
void accounts_me(struct ctx *c);
void accounts_revoke_sessions(struct ctx *c);

#endif

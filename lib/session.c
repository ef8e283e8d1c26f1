/*
 * session.c -- refresh-token families and the denylist over lib/cache.
 */
#include "session.h"

#include "arena.h"
#include "cache.h"
#include "token.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static redisReply *cmd(struct cache *c, struct arena *a, int argc, const char **argv)
{
	return cache_cmd(c, a, argc, argv);
}

enum session_result session_issue(struct cache *c, struct arena *a, const char *user_id,
                                  const char *family, long ttl, char **token)
{
	char hash[TOKEN_HASH_HEX], fam[33], key[80], fkey[80], ukey[80], val[120], ttls[24];
	unsigned char raw[16];
	const char *set[6] = {"SET", key, val, "EX", ttls, NULL};
	const char *sadd_f[3] = {"SADD", fkey, hash}, *sadd_u[3] = {"SADD", ukey, fam};
	const char *exp_f[3] = {"EXPIRE", fkey, ttls}, *exp_u[3] = {"EXPIRE", ukey, ttls};

	*token = token_random(a);
	if (*token == NULL)
		return SESSION_DOWN;
	if (family == NULL) {
		randombytes_buf(raw, sizeof(raw));
		sodium_bin2hex(fam, sizeof(fam), raw, sizeof(raw));
	} else {
		snprintf(fam, sizeof(fam), "%s", family);
	}
	token_hash_hex(*token, hash);
	snprintf(key, sizeof(key), "rt:%s", hash);
	snprintf(fkey, sizeof(fkey), "rf:%s", fam);
	snprintf(ukey, sizeof(ukey), "ru:%s", user_id);
	snprintf(val, sizeof(val), "%s %s", fam, user_id);
	snprintf(ttls, sizeof(ttls), "%ld", ttl);
	if (!cmd(c, a, 5, set) || !cmd(c, a, 3, sadd_f) || !cmd(c, a, 3, exp_f) ||
	    !cmd(c, a, 3, sadd_u) || !cmd(c, a, 3, exp_u))
		return SESSION_DOWN;
	return SESSION_OK;
}

static enum session_result revoke_family(struct cache *c, struct arena *a, const char *fam)
{
	char fkey[80], key[80];
	const char *members[2] = {"SMEMBERS", fkey}, *del[2] = {"DEL", key},
	           *delf[2] = {"DEL", fkey};
	redisReply *r;
	size_t i;

	snprintf(fkey, sizeof(fkey), "rf:%s", fam);
	r = cmd(c, a, 2, members);
	if (r == NULL)
		return SESSION_DOWN;
	for (i = 0; r->type == REDIS_REPLY_ARRAY && i < r->elements; i++) {
		snprintf(key, sizeof(key), "rt:%s", r->element[i]->str);
		if (!cmd(c, a, 2, del))
			return SESSION_DOWN;
	}
	return cmd(c, a, 2, delf) ? SESSION_OK : SESSION_DOWN;
}

/* Look up a token: its family and user ("FAMILY USER_ID"). */
static enum session_result lookup(struct cache *c, struct arena *a, const char *token,
                                  char hash[TOKEN_HASH_HEX], char **fam, char **user)
{
	char key[80];
	const char *get[2] = {"GET", key};
	redisReply *r;
	char *sp;

	if (token == NULL || strlen(token) > 128)
		return SESSION_INVALID;
	token_hash_hex(token, hash);
	snprintf(key, sizeof(key), "rt:%s", hash);
	r = cmd(c, a, 2, get);
	if (r == NULL)
		return SESSION_DOWN;
	if (r->type != REDIS_REPLY_STRING || (sp = strchr(r->str, ' ')) == NULL)
		return SESSION_INVALID;
	*fam = arena_strndup(a, r->str, (size_t)(sp - r->str));
	*user = arena_strdup(a, sp + 1);
	return *fam && *user ? SESSION_OK : SESSION_DOWN;
}

/* Was the used token first used within grace seconds? (A browser that
 * leaves a page while its refresh is in flight presents it again.) */
static int within_grace(struct cache *c, struct arena *a, const char *ukey, long grace)
{
	const char *get[2] = {"GET", ukey};
	redisReply *r;

	if (grace <= 0)
		return 0;
	r = cmd(c, a, 2, get);
	return r != NULL && r->type == REDIS_REPLY_STRING &&
	       token_now_ms() - strtoll(r->str, NULL, 10) <= grace * 1000;
}

enum session_result session_rotate(struct cache *c, struct arena *a, const char *token, long ttl,
                                   long grace, char **user_id, char **new_token)
{
	char hash[TOKEN_HASH_HEX], ukey[80], ttls[24], now[24];
	const char *mark[6] = {"SET", ukey, now, "NX", "EX", ttls};
	char *fam = NULL;
	enum session_result res;
	redisReply *r;

	res = lookup(c, a, token, hash, &fam, user_id);
	if (res != SESSION_OK)
		return res;
	snprintf(ukey, sizeof(ukey), "rtu:%s", hash);
	snprintf(ttls, sizeof(ttls), "%ld", ttl);
	snprintf(now, sizeof(now), "%lld", token_now_ms());
	r = cmd(c, a, 6, mark);
	if (r == NULL)
		return SESSION_DOWN;
	if (r->type == REDIS_REPLY_NIL && !within_grace(c, a, ukey, grace)) {
		/* Used before, outside the grace window: theft; revoke the family. */
		return revoke_family(c, a, fam) == SESSION_OK ? SESSION_REUSED : SESSION_DOWN;
	}
	return session_issue(c, a, *user_id, fam, ttl, new_token);
}

enum session_result session_revoke_token(struct cache *c, struct arena *a, const char *token)
{
	char hash[TOKEN_HASH_HEX];
	char *fam = NULL, *user = NULL;
	enum session_result res = lookup(c, a, token, hash, &fam, &user);

	if (res == SESSION_INVALID)
		return SESSION_OK;
	return res == SESSION_OK ? revoke_family(c, a, fam) : res;
}

enum session_result session_revoke_user(struct cache *c, struct arena *a, const char *user_id)
{
	char ukey[80];
	const char *members[2] = {"SMEMBERS", ukey}, *del[2] = {"DEL", ukey};
	redisReply *r;
	size_t i;

	snprintf(ukey, sizeof(ukey), "ru:%s", user_id);
	r = cmd(c, a, 2, members);
	if (r == NULL)
		return SESSION_DOWN;
	for (i = 0; r->type == REDIS_REPLY_ARRAY && i < r->elements; i++)
		if (revoke_family(c, a, r->element[i]->str) != SESSION_OK)
			return SESSION_DOWN;
	return cmd(c, a, 2, del) ? SESSION_OK : SESSION_DOWN;
}

enum session_result session_deny(struct cache *c, struct arena *a, const char *jti, long ttl)
{
	char key[80], ttls[24];
	const char *set[5] = {"SET", key, "1", "EX", ttls};

	snprintf(key, sizeof(key), "deny:%s", jti);
	snprintf(ttls, sizeof(ttls), "%ld", ttl > 0 ? ttl : 1);
	return cmd(c, a, 5, set) ? SESSION_OK : SESSION_DOWN;
}

int session_is_denied(struct cache *c, struct arena *a, const char *jti)
{
	char key[80];
	const char *ex[2] = {"EXISTS", key};
	redisReply *r;

	snprintf(key, sizeof(key), "deny:%s", jti);
	r = cmd(c, a, 2, ex);
	if (r == NULL)
		return -1;
	return r->type == REDIS_REPLY_INTEGER && r->integer > 0;
}

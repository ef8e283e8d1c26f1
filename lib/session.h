/*
 * session.h -- refresh tokens and the access-token denylist, in Redis
 * (DESIGN §7).
 *
 * A refresh token is opaque; Redis keeps only its SHA-256:
 *   rt:HASH      "FAMILY USER_ID"        (TTL: REFRESH_TOKEN_EXPIRE_DAYS)
 *   rtu:HASH     set once the token was used (rotation)
 *   rf:FAMILY    set of the family's token hashes
 *   ru:USER_ID   set of the user's families
 *   deny:JTI     a logged-out access token, until its exp
 * Presenting a used token revokes its whole family (token theft).
 */
#ifndef SCH_SESSION_H
#define SCH_SESSION_H

struct arena;
struct cache;

enum session_result { SESSION_OK, SESSION_INVALID, SESSION_REUSED, SESSION_DOWN };

/* A new refresh token for user in family (NULL: a new family). */
enum session_result session_issue(struct cache *c, struct arena *a, const char *user_id,
                                  const char *family, long ttl_seconds, char **token);
/*
 * Rotate: token must be live and unused; on success *user_id is its owner
 * and *new_token its successor in the same family. A token used before
 * revokes the family and answers SESSION_REUSED, unless its first use was
 * at most grace seconds ago (a page left while its refresh was in flight):
 * then it gets another successor.
 */
enum session_result session_rotate(struct cache *c, struct arena *a, const char *token,
                                   long ttl_seconds, long grace, char **user_id, char **new_token);
/* Revoke the family of token (logout). Unknown tokens are ignored. */
enum session_result session_revoke_token(struct cache *c, struct arena *a, const char *token);
/* Revoke every family of a user (password reset, sign out everywhere). */
enum session_result session_revoke_user(struct cache *c, struct arena *a, const char *user_id);

/* Denylist an access token's jti for ttl seconds. */
enum session_result session_deny(struct cache *c, struct arena *a, const char *jti, long ttl);
/* 1 denied, 0 not, -1 Redis down. */
int session_is_denied(struct cache *c, struct arena *a, const char *jti);

#endif

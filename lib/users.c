/*
 * users.c -- user administration (DESIGN §8 "Users"): the list with
 * filters and keyset pages, one user, creation by invitation, changes of
 * role, activity, college and email, re-sent invitations and the
 * scholarships granted to an admin (scholarship_admins, migration 0006).
 *
 * Every change runs in one transaction with its audit row (before and
 * after images of the user object: never a password hash or a token) and
 * any mail it sends (lib/accounts_email queues the link in the same
 * transaction). Changes lock the user row first (SELECT ... FOR UPDATE);
 * a change of role or activity first locks every active super admin, in
 * id order, so "the last active super admin stays" is decided under
 * locks: two super admins demoting each other at once cannot both win.
 *
 * The roles of each route are in app/routes_users.inc; role changes and
 * deactivations take effect on the next request because lib/auth re-reads
 * the user every time. All memory is the request arena's.
 */
#include "users.h"

#include "accounts.h"
#include "accounts_email.h"
#include "arena.h"
#include "audit.h"
#include "buf.h"
#include "handler.h"
#include "http.h"
#include "json.h"
#include "log.h"
#include "reference.h"
#include "router.h"
#include "session.h"
#include "validate.h"
#include "worker.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* The columns every statement that answers one user returns (enum ucol).
 * scholarship_ids is NULL unless the user is an admin. */
#define USERS_DETAIL                                                                               \
	ACCOUNTS_USER_JSON ", version, CASE WHEN role = 'admin' THEN (SELECT "                     \
	                   "COALESCE(json_agg(g.scholarship_id ORDER BY g.scholarship_id), '[]')"  \
	                   "::text FROM scholarship_admins g WHERE g.user_id = users.id) END, "    \
	                   "role, active, password_hash IS NOT NULL, email, locale, id, "          \
	                   "college_code"

enum ucol {
	UC_JSON,
	UC_VERSION,
	UC_SIDS,
	UC_ROLE,
	UC_ACTIVE,
	UC_HAS_PASSWORD,
	UC_EMAIL,
	UC_LOCALE,
	UC_ID,
	UC_COLLEGE,
};

/* Cursor: base64url of "YYYY-MM-DDTHH:MM:SS.uuuuuuZ|uuid" (created_at, id
 * of the last row of the page). */
#define CURSOR_TS_LEN 27
#define CURSOR_RAW_LEN (CURSOR_TS_LEN + 1 + 36)
#define CURSOR_B64 sodium_base64_VARIANT_URLSAFE_NO_PADDING

static const struct db_stmt q_list = {
    "users_list",
    "SELECT " ACCOUNTS_USER_JSON ", to_char(created_at AT TIME ZONE 'UTC', "
    "'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), id FROM users "
    "WHERE ($1::text IS NULL OR role = $1) AND ($2::text IS NULL OR college_code = $2) "
    "AND ($3::boolean IS NULL OR active = $3) "
    "AND ($4::text IS NULL OR email ILIKE $4 OR full_name ILIKE $4) "
    "AND ($5::timestamptz IS NULL OR (created_at, id) < ($5::timestamptz, $6::uuid)) "
    "ORDER BY created_at DESC, id DESC LIMIT $7::int",
    7};
static const struct db_stmt q_get = {"users_get",
                                     "SELECT " USERS_DETAIL " FROM users WHERE id = $1::uuid", 1};
static const struct db_stmt q_lock = {
    "users_lock", "SELECT " USERS_DETAIL " FROM users WHERE id = $1::uuid FOR UPDATE", 1};
static const struct db_stmt q_lock_supers = {
    "users_lock_supers",
    "SELECT id FROM users WHERE role = 'super_admin' AND active ORDER BY id FOR UPDATE", 0};
static const struct db_stmt q_college = {"users_college", "SELECT 1 FROM colleges WHERE code = $1",
                                         1};
static const struct db_stmt q_insert = {
    "users_insert",
    "INSERT INTO users (email, full_name, role, college_code, locale) "
    "VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING RETURNING " USERS_DETAIL,
    5};
static const struct db_stmt q_update = {
    "users_update",
    "UPDATE users SET role = COALESCE($2, role), active = COALESCE($3::boolean, active), "
    "college_code = CASE WHEN $4::boolean THEN $5 ELSE college_code END, "
    "email = COALESCE($6, email), "
    "email_verified = CASE WHEN $7::boolean THEN false ELSE email_verified END, "
    "sessions_valid_after = CASE WHEN active AND NOT COALESCE($3::boolean, true) THEN now() "
    "ELSE sessions_valid_after END, version = version + 1, updated_at = now() "
    "WHERE id = $1::uuid RETURNING " USERS_DETAIL,
    7};
static const struct db_stmt q_expire_tokens = {
    "users_expire_tokens",
    "UPDATE email_tokens SET used_at = now() WHERE user_id = $1::uuid AND used_at IS NULL "
    "AND ($2::text IS NULL OR kind = $2)",
    2};
static const struct db_stmt q_drop_grants = {
    "users_drop_grants",
    "DELETE FROM scholarship_admins WHERE user_id = $1::uuid "
    "AND NOT (scholarship_id = ANY ($2::uuid[]))",
    2};
static const struct db_stmt q_add_grants = {
    "users_add_grants",
    "INSERT INTO scholarship_admins (user_id, scholarship_id, granted_by) "
    "SELECT DISTINCT $1::uuid, s, $3::uuid FROM unnest($2::uuid[]) s ON CONFLICT DO NOTHING",
    3};
static const struct db_stmt q_touch = {
    "users_touch",
    "UPDATE users SET version = version + 1, updated_at = now() WHERE id = $1::uuid "
    "RETURNING " USERS_DETAIL,
    1};

static const char *const user_roles[] = {"student", "reviewer",    "college",
                                         "admin",   "super_admin", NULL};
static const char *const locales[] = {"en", "zh-TW", NULL};
static const char *const list_keys[] = {"role",   "college_code", "active", "q",
                                        "cursor", "limit",        NULL};

static const struct vfield create_fields[] = {
    {.name = "email", .type = VT_EMAIL, .flags = VF_REQUIRED, .min = 3, .max = 254},
    {.name = "full_name", .type = VT_STRING, .flags = VF_REQUIRED, .min = 1, .max = 200},
    {.name = "role", .type = VT_ENUM, .flags = VF_REQUIRED, .options = user_roles},
    {.name = "college_code", .type = VT_STRING, .flags = VF_NULLABLE, .min = 1, .max = 10},
    {.name = "locale", .type = VT_ENUM, .options = locales},
};
static const struct vfield patch_fields[] = {
    {.name = "role", .type = VT_ENUM, .options = user_roles},
    {.name = "active", .type = VT_BOOL},
    {.name = "college_code", .type = VT_STRING, .flags = VF_NULLABLE, .min = 1, .max = 10},
    {.name = "email", .type = VT_EMAIL, .min = 3, .max = 254},
};
static const struct vfield scholarship_id = {.name = "", .type = VT_UUID};
static const struct vfield grant_fields[] = {
    {.name = "scholarship_ids",
     .type = VT_ARRAY,
     .flags = VF_REQUIRED,
     .min = 0,
     .max = 1000,
     .item = &scholarship_id},
};

#define NFIELDS(t) (sizeof(t) / sizeof((t)[0]))

/* ---- small helpers ------------------------------------------------------ */

static const char *col(const PGresult *r, int k)
{
	return PQgetisnull(r, 0, k) ? NULL : PQgetvalue(r, 0, k);
}

static int is_true(const PGresult *r, int k)
{
	return strcmp(PQgetvalue(r, 0, k), "t") == 0;
}

static int same(const char *a, const char *b)
{
	return a == b || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static int in_list(const char *const *list, const char *s)
{
	for (; *list != NULL; list++)
		if (strcmp(*list, s) == 0)
			return 1;
	return 0;
}

static int tx_begin(struct ctx *c)
{
	if (db_begin(&c->w->db) == 0)
		return 0;
	handler_unavailable(c, "the database is unavailable");
	return -1;
}

/* Roll back (when in a transaction) and answer 409/422/503/500 for err. */
static void fail(struct ctx *c, enum db_err err, const char *field)
{
	int status = db_err_status(err);

	db_rollback(&c->w->db);
	if (status == 409)
		resp_problem(c->resp, c->req, 409, "an account with this email already exists",
		             NULL, 0);
	else if (status == 422)
		handler_invalid(c, field ? field : "body", "is not allowed here");
	else if (status == 503)
		handler_unavailable(c, "the database is unavailable; try again");
	else
		resp_problem(c->resp, c->req, 500, NULL, NULL, 0);
}

/* A later step of a transaction failed (logged where it failed). */
static void tx_fail(struct ctx *c)
{
	db_rollback(&c->w->db);
	handler_unavailable(c, "the request could not be completed; try again");
}

static void refuse(struct ctx *c, int status, const char *detail)
{
	db_rollback(&c->w->db);
	resp_problem(c->resp, c->req, status, detail, NULL, 0);
}

static PGresult *run(struct ctx *c, const struct db_stmt *st, const char *const *p,
                     enum db_err *err)
{
	return db_exec(&c->w->db, c->arena, st, p, err, NULL);
}

/* Is If-Match absent, "*", or a list naming "<version>"? Strong
 * comparison (RFC 9110 §13.1.1): a weak W/"n" never matches. */
static int if_match_ok(const struct req *r, const char *version)
{
	const char *p = http_header(r, "If-Match");
	size_t vlen = strlen(version);

	if (p == NULL)
		return 1;
	while (*p) {
		p += strspn(p, " \t,");
		if (*p == '*')
			return 1;
		if (*p == '"' && strncmp(p + 1, version, vlen) == 0 && p[1 + vlen] == '"')
			return 1;
		p += strcspn(p, ",");
	}
	return 0;
}

/* The user object (+ scholarship_ids of an admin) of row 0 of r, as the
 * JSON text json_build_object made, spliced without re-parsing. */
static const char *detail_json(struct ctx *c, const PGresult *r)
{
	const char *u = PQgetvalue(r, 0, UC_JSON), *sids = col(r, UC_SIDS);
	size_t n = strlen(u);

	if (sids == NULL || n < 2 || u[n - 1] != '}')
		return u;
	return arena_printf(c->arena, "%.*s, \"scholarship_ids\" : %s}", (int)(n - 1), u, sids);
}

/* Answer status with row 0 of r and its ETag. */
static void answer_user(struct ctx *c, int status, const PGresult *r)
{
	const char *body = detail_json(c, r);
	const char *etag = arena_printf(c->arena, "\"%s\"", PQgetvalue(r, 0, UC_VERSION));

	if (body == NULL || etag == NULL) {
		resp_problem(c->resp, c->req, 500, NULL, NULL, 0);
		return;
	}
	resp_json(c->resp, status, body, strlen(body));
	resp_header(c->resp, "ETag", etag);
}

static void not_found(struct ctx *c)
{
	refuse(c, 404, "there is no such user");
}

/* Lock the user of the path inside the caller's transaction; NULL when
 * answered (404 or a database failure, rolled back). */
static PGresult *lock_user(struct ctx *c)
{
	const char *p[1] = {c->req->path_ids[0]};
	enum db_err err;
	PGresult *r = run(c, &q_lock, p, &err);

	if (r == NULL)
		fail(c, err, NULL);
	else if (PQntuples(r) != 1)
		not_found(c);
	else
		return r;
	return NULL;
}

/*
 * A college user needs a college; a given college must exist. 0, or -1
 * with 422 (or a database failure) answered; the caller rolls back.
 */
static int check_college(struct ctx *c, const char *role, const char *code)
{
	const char *p[1] = {code};
	enum db_err err;
	PGresult *r;

	if (code == NULL) {
		if (strcmp(role, "college") != 0)
			return 0;
		handler_invalid(c, "college_code", "is required for the college role");
		return -1;
	}
	if (!reference_code_valid(code)) {
		handler_invalid(c, "college_code", "must be 1 to 10 upper-case letters or digits");
		return -1;
	}
	if ((r = run(c, &q_college, p, &err)) == NULL) {
		fail(c, err, "college_code");
		return -1;
	}
	if (PQntuples(r) == 0) {
		handler_invalid(c, "college_code", "is not a known college");
		return -1;
	}
	return 0;
}

/* ---- GET /users ----------------------------------------------------- */

struct list_query {
	const char *role, *college, *active, *pattern, *ts, *id;
	long limit;
	struct problem_field errs[8];
	size_t nerr;
};

static void bad(struct list_query *q, const char *field, const char *message)
{
	if (q->nerr < sizeof(q->errs) / sizeof(q->errs[0]))
		q->errs[q->nerr++] = (struct problem_field){field, message};
}

/* A query parameter; an empty value counts as absent. */
static const char *param(struct ctx *c, const char *name, int *malformed)
{
	const char *v = http_query(c->req, name, malformed);

	return v != NULL && *v != '\0' ? v : NULL;
}

/* Report parameters the list does not know (usually typos). -1 when the
 * query string is malformed. */
static int unknown_keys(struct ctx *c, struct list_query *q)
{
	const char *p = c->req->query;

	while (*p) {
		size_t len = strcspn(p, "&"), klen = strcspn(p, "=");
		char *key;

		if (klen > len)
			klen = len;
		if (len > 0) {
			if ((key = http_pct_decode(c->arena, p, klen, 1)) == NULL)
				return -1;
			if (!in_list(list_keys, key))
				bad(q, arena_printf(c->arena, "%.64s", key),
				    "is not a known parameter");
		}
		p += len;
		if (*p == '&')
			p++;
	}
	return 0;
}

static char *cursor_encode(struct arena *a, const char *ts, const char *id)
{
	char raw[128], *out;
	size_t n = sodium_base64_ENCODED_LEN(CURSOR_RAW_LEN, CURSOR_B64);

	if (snprintf(raw, sizeof(raw), "%s|%s", ts, id) != CURSOR_RAW_LEN ||
	    (out = arena_alloc(a, n)) == NULL)
		return NULL;
	return sodium_bin2base64(out, n, (const unsigned char *)raw, CURSOR_RAW_LEN, CURSOR_B64);
}

/* Split a cursor into its timestamp and id; 0, or -1 when malformed. */
static int cursor_decode(struct arena *a, const char *s, const char **ts, const char **id)
{
	unsigned char raw[CURSOR_RAW_LEN + 8];
	const char *end;
	size_t n;

	if (strlen(s) > 2 * CURSOR_RAW_LEN ||
	    sodium_base642bin(raw, sizeof(raw), s, strlen(s), NULL, &n, &end, CURSOR_B64) != 0 ||
	    *end != '\0' || n != CURSOR_RAW_LEN || raw[CURSOR_TS_LEN] != '|')
		return -1;
	*ts = arena_strndup(a, (const char *)raw, CURSOR_TS_LEN);
	*id = arena_strndup(a, (const char *)raw + CURSOR_TS_LEN + 1, 36);
	if (*ts == NULL || *id == NULL)
		return -1;
	return validate_datetime(*ts) && route_is_uuid(*id, strlen(*id)) ? 0 : -1;
}

static void parse_filters(struct ctx *c, struct list_query *q, int *malformed)
{
	const char *qs = param(c, "q", malformed);

	q->role = param(c, "role", malformed);
	if (q->role != NULL && !in_list(user_roles, q->role))
		bad(q, "role", "is not a role");
	q->college = param(c, "college_code", malformed);
	if (q->college != NULL && !reference_code_valid(q->college))
		bad(q, "college_code", "must be 1 to 10 upper-case letters or digits");
	q->active = param(c, "active", malformed);
	if (q->active != NULL && strcmp(q->active, "true") != 0 && strcmp(q->active, "false") != 0)
		bad(q, "active", "must be true or false");
	if (qs != NULL && (!json_utf8_valid(qs, strlen(qs)) || validate_utf8_len(qs) > 100))
		bad(q, "q", "must be 1 to 100 characters");
	else if (qs != NULL)
		q->pattern = handler_like_pattern(c->arena, qs);
}

/* Parse and check the list's query; 0, or -1 with 400 answered. */
static int parse_list_query(struct ctx *c, struct list_query *q)
{
	const char *limit, *cursor;
	int malformed = 0;

	memset(q, 0, sizeof(*q));
	q->limit = 20;
	if (unknown_keys(c, q) < 0)
		malformed = 1;
	parse_filters(c, q, &malformed);
	limit = param(c, "limit", &malformed);
	if (limit != NULL && (q->limit = handler_parse_limit(limit)) == 0)
		bad(q, "limit", "must be an integer from 1 to 100");
	cursor = param(c, "cursor", &malformed);
	if (cursor != NULL && cursor_decode(c->arena, cursor, &q->ts, &q->id) < 0)
		bad(q, "cursor", "is not a cursor this list gave out");
	if (malformed) {
		resp_problem(c->resp, c->req, 400, "the query string is malformed", NULL, 0);
		return -1;
	}
	if (q->nerr > 0) {
		resp_problem(c->resp, c->req, 400, "some query parameters are invalid", q->errs,
		             q->nerr);
		return -1;
	}
	return 0;
}

/* {items, next_cursor} from up to limit + 1 rows. */
static void answer_page(struct ctx *c, const PGresult *r, long limit)
{
	int n = PQntuples(r), i, more = n > limit;
	struct buf b;

	buf_init(&b, c->arena);
	buf_puts(&b, "{\"items\":[");
	for (i = 0; i < n && i < limit; i++) {
		if (i > 0)
			buf_putc(&b, ',');
		buf_puts(&b, PQgetvalue(r, i, 0));
	}
	buf_puts(&b, "],\"next_cursor\":");
	if (more) {
		const char *next =
		    cursor_encode(c->arena, PQgetvalue(r, i - 1, 1), PQgetvalue(r, i - 1, 2));
		if (next == NULL)
			b.oom = 1;
		buf_json_str(&b, next);
	} else {
		buf_puts(&b, "null");
	}
	buf_putc(&b, '}');
	if (b.oom) {
		resp_problem(c->resp, c->req, 500, NULL, NULL, 0);
		return;
	}
	resp_json(c->resp, 200, b.data, b.len);
}

void users_list(struct ctx *c)
{
	struct list_query q;
	const char *p[7];
	enum db_err err;
	PGresult *r;

	if (parse_list_query(c, &q) < 0)
		return;
	p[0] = q.role, p[1] = q.college, p[2] = q.active, p[3] = q.pattern;
	p[4] = q.ts, p[5] = q.id, p[6] = arena_printf(c->arena, "%ld", q.limit + 1);
	if ((r = run(c, &q_list, p, &err)) == NULL) {
		fail(c, err, NULL);
		return;
	}
	answer_page(c, r, q.limit);
}

/* ---- GET /users/{id} ------------------------------------------------ */

void users_get(struct ctx *c)
{
	const char *p[1] = {c->req->path_ids[0]};
	enum db_err err;
	PGresult *r = run(c, &q_get, p, &err);

	if (r == NULL)
		fail(c, err, NULL);
	else if (PQntuples(r) != 1)
		not_found(c);
	else
		answer_user(c, 200, r);
}

/* ---- POST /users ---------------------------------------------------- */

void users_create(struct ctx *c)
{
	const char *p[5], *id;
	enum db_err err;
	PGresult *r;

	if (handler_body(c, create_fields, NFIELDS(create_fields), 1) < 0)
		return;
	p[0] = json_str(c->body, "email"), p[1] = json_str(c->body, "full_name");
	p[2] = json_str(c->body, "role"), p[3] = json_str(c->body, "college_code");
	p[4] = json_str(c->body, "locale") ? json_str(c->body, "locale") : "zh-TW";
	if (check_college(c, p[2], p[3]) < 0 || tx_begin(c) < 0)
		return;
	if ((r = run(c, &q_insert, p, &err)) == NULL) {
		fail(c, err, "college_code");
		return;
	}
	if (PQntuples(r) != 1) {
		refuse(c, 409, "an account with this email already exists");
		return;
	}
	id = PQgetvalue(r, 0, UC_ID);
	if (accounts_send_link(c, id, "invite", "7 days", col(r, UC_ROLE)) < 0 ||
	    audit_record(c, NULL, "user.created", "user", id, NULL, detail_json(c, r)) < 0 ||
	    db_commit(&c->w->db) < 0) {
		tx_fail(c);
		return;
	}
	resp_header(c->resp, "Location", arena_printf(c->arena, "/api/v1/users/%s", id));
	answer_user(c, 201, r);
}

/* ---- POST /users/{id}/invitation ------------------------------------ */

void users_invite(struct ctx *c)
{
	static const char body[] =
	    "{\"status\":\"accepted\",\"detail\":\"the invitation is queued\"}";
	const char *p[2] = {c->req->path_ids[0], "invite"};
	enum db_err err;
	PGresult *u;

	/* An empty body, or an empty object: nothing else is accepted. */
	if (handler_body(c, NULL, 0, 0) < 0 || tx_begin(c) < 0 || (u = lock_user(c)) == NULL)
		return;
	if (is_true(u, UC_HAS_PASSWORD)) {
		refuse(c, 409, "this user has already accepted an invitation");
		return;
	}
	if (!is_true(u, UC_ACTIVE)) {
		refuse(c, 409, "this account is deactivated");
		return;
	}
	/* Only the newest invitation link works. */
	if (run(c, &q_expire_tokens, p, &err) == NULL ||
	    accounts_send_link(c, p[0], "invite", "7 days", col(u, UC_ROLE)) < 0 ||
	    audit_record(c, NULL, "user.invitation_sent", "user", p[0], NULL, NULL) < 0 ||
	    db_commit(&c->w->db) < 0) {
		tx_fail(c);
		return;
	}
	resp_json(c->resp, 202, body, sizeof(body) - 1);
}

/* ---- PATCH /users/{id} ---------------------------------------------- */

struct user_change {
	const char *role;    /* NULL: unchanged */
	int active;          /* -1: unchanged */
	int college_given;   /* college_code present (null removes it) */
	const char *college; /* new college_code, or NULL */
	const char *email;   /* NULL: unchanged */
};

static void change_of(const cJSON *body, struct user_change *ch)
{
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(body, "active");
	const cJSON *cc = cJSON_GetObjectItemCaseSensitive(body, "college_code");

	ch->role = json_str(body, "role");
	ch->active = a != NULL ? cJSON_IsTrue(a) : -1;
	ch->college_given = cc != NULL;
	ch->college = cJSON_IsString(cc) ? cc->valuestring : NULL;
	ch->email = json_str(body, "email");
}

static int change_is_noop(const PGresult *u, const struct user_change *ch)
{
	return (ch->role == NULL || strcmp(ch->role, col(u, UC_ROLE)) == 0) &&
	       (ch->active < 0 || ch->active == is_true(u, UC_ACTIVE)) &&
	       (!ch->college_given || same(ch->college, col(u, UC_COLLEGE))) &&
	       (ch->email == NULL || strcmp(ch->email, col(u, UC_EMAIL)) == 0);
}

/* Would the change leave no active super admin? supers: the locked
 * active super admins (NULL when neither role nor active changes). */
static int orphans_supers(const PGresult *u, const PGresult *supers, const struct user_change *ch)
{
	const char *role = ch->role ? ch->role : col(u, UC_ROLE);
	int active = ch->active >= 0 ? ch->active : is_true(u, UC_ACTIVE), i, others = 0;

	if (supers == NULL || strcmp(col(u, UC_ROLE), "super_admin") != 0 ||
	    !is_true(u, UC_ACTIVE) || (strcmp(role, "super_admin") == 0 && active))
		return 0;
	for (i = 0; i < PQntuples(supers); i++)
		others += strcmp(PQgetvalue(supers, i, 0), col(u, UC_ID)) != 0;
	return others == 0;
}

/* Checks under the locks; 0, or -1 answered and rolled back. */
static int check_change(struct ctx *c, const PGresult *u, const PGresult *supers,
                        const struct user_change *ch)
{
	const char *role = ch->role ? ch->role : col(u, UC_ROLE);
	const char *college = ch->college_given ? ch->college : col(u, UC_COLLEGE);

	if (!if_match_ok(c->req, col(u, UC_VERSION))) {
		refuse(c, 412, "the user changed since you read it (If-Match does not match)");
		return -1;
	}
	if ((ch->role != NULL || ch->college_given) && check_college(c, role, college) < 0) {
		db_rollback(&c->w->db);
		return -1;
	}
	if (orphans_supers(u, supers, ch)) {
		refuse(c, 409, "the last active super admin cannot be demoted or deactivated");
		return -1;
	}
	return 0;
}

/* Mail a link to a changed address: a verification, or a new invitation
 * while no password was set. Older links (sent to the old address) die. */
static int mail_new_address(struct ctx *c, const PGresult *after, int has_password)
{
	const char *p[2] = {col(after, UC_ID), NULL};
	enum db_err err;

	if (run(c, &q_expire_tokens, p, &err) == NULL)
		return -1;
	return accounts_send_link(c, p[0], has_password ? "verify" : "invite",
	                          has_password ? "24 hours" : "7 days", col(after, UC_ROLE));
}

/* Apply a checked change; the updated row, or NULL answered. */
static PGresult *apply_change(struct ctx *c, const PGresult *u, const struct user_change *ch)
{
	int email_changed = ch->email != NULL && strcasecmp(ch->email, col(u, UC_EMAIL)) != 0;
	const char *p[7] = {col(u, UC_ID),
	                    ch->role,
	                    NULL,
	                    ch->college_given ? "true" : "false",
	                    ch->college,
	                    ch->email,
	                    email_changed ? "true" : "false"};
	const char *none[2] = {p[0], "{}"};
	enum db_err err;
	PGresult *r;

	if (ch->active >= 0)
		p[2] = ch->active ? "true" : "false";
	if (ch->role != NULL && strcmp(ch->role, "admin") != 0 &&
	    run(c, &q_drop_grants, none, &err) == NULL) {
		fail(c, err, NULL);
		return NULL;
	}
	if ((r = run(c, &q_update, p, &err)) == NULL) {
		fail(c, err, "college_code");
		return NULL;
	}
	if (email_changed && mail_new_address(c, r, is_true(u, UC_HAS_PASSWORD)) < 0) {
		tx_fail(c);
		return NULL;
	}
	return r;
}

/* Lock the active super admins (when role or active changes), then the
 * user; NULL when answered. */
static PGresult *lock_for_change(struct ctx *c, const struct user_change *ch, PGresult **supers)
{
	enum db_err err;

	*supers = NULL;
	if ((ch->role != NULL || ch->active >= 0) &&
	    (*supers = run(c, &q_lock_supers, NULL, &err)) == NULL) {
		fail(c, err, NULL);
		return NULL;
	}
	return lock_user(c);
}

void users_update(struct ctx *c)
{
	struct user_change ch;
	PGresult *u, *supers, *after;

	if (handler_body(c, patch_fields, NFIELDS(patch_fields), 1) < 0)
		return;
	change_of(c->body, &ch);
	if (tx_begin(c) < 0 || (u = lock_for_change(c, &ch, &supers)) == NULL ||
	    check_change(c, u, supers, &ch) < 0)
		return;
	if (change_is_noop(u, &ch)) {
		db_rollback(&c->w->db);
		answer_user(c, 200, u);
		return;
	}
	if ((after = apply_change(c, u, &ch)) == NULL)
		return;
	if (audit_record(c, NULL, "user.updated", "user", col(u, UC_ID), detail_json(c, u),
	                 detail_json(c, after)) < 0 ||
	    db_commit(&c->w->db) < 0) {
		tx_fail(c);
		return;
	}
	if (is_true(u, UC_ACTIVE) && !is_true(after, UC_ACTIVE) &&
	    session_revoke_user(&c->w->cache, c->arena, col(u, UC_ID)) != SESSION_OK)
		log_warn("users: Redis down; refresh tokens of %s stay until they expire "
		         "(the account is refused anyway)",
		         col(u, UC_ID));
	answer_user(c, 200, after);
}

/* ---- PUT /users/{id}/scholarships ----------------------------------- */

/* "{id,id,...}" (a PostgreSQL array literal) of validated UUIDs. */
static const char *uuid_array(struct arena *a, const cJSON *ids)
{
	const cJSON *it;
	struct buf b;

	buf_init(&b, a);
	buf_putc(&b, '{');
	cJSON_ArrayForEach(it, ids)
	{
		if (it != ids->child)
			buf_putc(&b, ',');
		buf_puts(&b, it->valuestring);
	}
	buf_putc(&b, '}');
	return buf_cstr(&b);
}

void users_set_scholarships(struct ctx *c)
{
	const char *p[3] = {c->req->path_ids[0], NULL, c->user_id};
	enum db_err err;
	PGresult *u, *after;

	if (handler_body(c, grant_fields, NFIELDS(grant_fields), 1) < 0)
		return;
	p[1] = uuid_array(c->arena, cJSON_GetObjectItemCaseSensitive(c->body, "scholarship_ids"));
	if (p[1] == NULL) {
		resp_problem(c->resp, c->req, 500, NULL, NULL, 0);
		return;
	}
	if (tx_begin(c) < 0 || (u = lock_user(c)) == NULL)
		return;
	if (!if_match_ok(c->req, col(u, UC_VERSION))) {
		refuse(c, 412, "the user changed since you read it (If-Match does not match)");
		return;
	}
	if (strcmp(col(u, UC_ROLE), "admin") != 0) {
		refuse(c, 409, "scholarships are granted to admins only");
		return;
	}
	if (run(c, &q_drop_grants, p, &err) == NULL || run(c, &q_add_grants, p, &err) == NULL ||
	    (after = run(c, &q_touch, p, &err)) == NULL) {
		fail(c, err, "scholarship_ids");
		return;
	}
	if (audit_record(c, NULL, "user.scholarships_set", "user", p[0], detail_json(c, u),
	                 detail_json(c, after)) < 0 ||
	    db_commit(&c->w->db) < 0) {
		tx_fail(c);
		return;
	}
	answer_user(c, 200, after);
}

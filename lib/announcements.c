/*
 * announcements.c -- the routes of announcements.h: admins broadcast a
 * bilingual announcement; every active user of its audience gets it as
 * an in-app notification in their own locale.
 *
 * Posting is one transaction: the expiry is checked against the
 * transaction's now() (the CHECK expires_at > created_at uses the same
 * clock), then one statement inserts the announcement and, by INSERT ...
 * SELECT over users, its notifications (zh-TW users get title/body, en
 * users title_en/body_en), then the audit row. Either all of it is
 * written or none.
 *
 * Visibility: admins and super admins see every announcement; any other
 * role only the unexpired ones whose audience includes it. Deleting is
 * for a super admin or the admin who posted it; for any other admin the
 * announcement does not exist (404). Its notifications go with it (ON
 * DELETE CASCADE).
 */
#include "announcements.h"
#include "applications_int.h"

#include "arena.h"
#include "audit.h"
#include "handler.h"
#include "http.h"
#include "json.h"
#include "router.h"
#include "validate.h"
#include "worker.h"

#include <string.h>

#define NFIELDS(t) (sizeof(t) / sizeof((t)[0]))

/* clang-format off */
/* The announcement's fields for json_build_object (alias a). */
#define ANN_FIELDS \
	"'id', a.id, 'title', a.title, 'title_en', a.title_en, 'body', a.body, " \
	"'body_en', a.body_en, 'audience', a.audience, " \
	"'expires_at', " SCH_UTC("a.expires_at") ", 'active', a.expires_at > now(), " \
	"'created_by', a.created_by, 'created_at', " SCH_UTC("a.created_at")
#define ANN_JSON "json_build_object(" ANN_FIELDS ")::text"
/* Who sees an announcement: $v NULL for staff (everything), else the
 * audience of the caller's group ('students' or 'staff'), unexpired. */
#define ANN_SEES(v) \
	"($" #v "::text IS NULL OR (a.expires_at > now() AND a.audience IN ('all', $" #v "::text)))"
/* clang-format on */

/* $1 expires_at: in the future, at most a year ahead. */
static const struct db_stmt q_expiry = {
    "announce_expiry",
    "SELECT $1::timestamptz > now(), $1::timestamptz <= now() + interval '1 year'", 1};
/*
 * $1 title, $2 title_en, $3 body, $4 body_en, $5 audience (NULL: all),
 * $6 expires_at, $7 the author. Staff are every role but student.
 */
static const struct db_stmt q_insert = {
    "announce_insert",
    "WITH a AS (INSERT INTO announcements (title, title_en, body, body_en, audience, "
    "expires_at, created_by) VALUES ($1, $2, $3, $4, COALESCE($5, 'all'), $6::timestamptz, "
    "$7::uuid) RETURNING *), "
    "n AS (INSERT INTO notifications (user_id, kind, title, body, link, announcement_id, "
    "expires_at) SELECT u.id, 'announcement', "
    "CASE WHEN u.locale = 'en' THEN a.title_en ELSE a.title END, "
    "CASE WHEN u.locale = 'en' THEN a.body_en ELSE a.body END, "
    "'/notifications.html', a.id, a.expires_at FROM a JOIN users u ON u.active "
    "AND (a.audience = 'all' OR (a.audience = 'students') = (u.role = 'student')) "
    "RETURNING 1) "
    "SELECT json_build_object(" ANN_FIELDS ", 'recipients', (SELECT count(*) FROM n))::text, "
    "a.id FROM a",
    7};
/* $1 active filter (NULL: both); $2 as ANN_SEES; $3/$4 the cursor; $5 limit. */
static const struct db_stmt q_list = {
    "announce_list",
    "SELECT " ANN_JSON ", ((extract(epoch FROM a.created_at) * 1000000)::bigint)::text "
    "|| ',' || a.id FROM announcements a "
    "WHERE ($1::boolean IS NULL OR (a.expires_at > now()) = $1::boolean) AND " ANN_SEES(
        2) " AND (a.created_at, a.id) < (COALESCE('epoch'::timestamptz + $3::bigint * "
           "interval '1 microsecond', 'infinity'), "
           "COALESCE($4::uuid, 'ffffffff-ffff-ffff-ffff-ffffffffffff'))"
           " ORDER BY a.created_at DESC, a.id DESC LIMIT $5::integer",
    5};
static const struct db_stmt q_get = {
    "announce_get",
    "SELECT " ANN_JSON " FROM announcements a WHERE a.id = $1::uuid AND " ANN_SEES(2), 2};
/* $2 the caller is a super admin; $3 the admin (only their own). */
static const struct db_stmt q_delete = {
    "announce_delete",
    "DELETE FROM announcements a WHERE a.id = $1::uuid AND "
    "($2::boolean OR a.created_by = $3::uuid) RETURNING " ANN_JSON,
    3};

static const char *const audiences[] = {"all", "students", "staff", NULL};
static const struct vfield create_fields[] = {
    {.name = "title", .type = VT_STRING, .flags = VF_REQUIRED, .min = 1, .max = 200},
    {.name = "title_en", .type = VT_STRING, .flags = VF_REQUIRED, .min = 1, .max = 200},
    {.name = "body", .type = VT_STRING, .flags = VF_REQUIRED, .min = 1, .max = 5000},
    {.name = "body_en", .type = VT_STRING, .flags = VF_REQUIRED, .min = 1, .max = 5000},
    {.name = "audience", .type = VT_ENUM, .options = audiences},
    {.name = "expires_at", .type = VT_DATETIME, .flags = VF_REQUIRED},
};

/* What a field table cannot say about the texts: not blank, and no
 * control characters (line breaks and tabs allowed in bodies). */
static const struct text_rule {
	const char *name;
	long long max;
	int multiline;
} text_rules[] = {
    {"title", 200, 0},
    {"title_en", 200, 0},
    {"body", 5000, 1},
    {"body_en", 5000, 1},
};

static const char not_found[] = "there is no such announcement";
static const char not_saved[] = "the announcement could not be saved; try again";
static const char *const list_keys[] = {"active", "cursor", "limit", NULL};

/* ---- input -------------------------------------------------------------- */

/* Does s hold a C0 or C1 control character (or DEL)? \t \n \r pass when
 * multiline is set. s is valid UTF-8 (json_parse saw to it). */
static int has_control(const char *s, int multiline)
{
	const unsigned char *p;

	for (p = (const unsigned char *)s; *p; p++) {
		if (multiline && (*p == '\t' || *p == '\n' || *p == '\r'))
			continue;
		if (*p < 0x20 || *p == 0x7f || (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f))
			return 1;
	}
	return 0;
}

static int is_blank(const char *s)
{
	return s[strspn(s, " \t\r\n")] == '\0';
}

/* Add the text errors of the fields that passed the table's checks. */
static void check_texts(const cJSON *body, struct verrors *e)
{
	size_t i, len;

	for (i = 0; i < NFIELDS(text_rules); i++) {
		const struct text_rule *t = &text_rules[i];
		const char *s = json_str(body, t->name);

		if (s == NULL || (len = validate_utf8_len(s)) < 1 || (long long)len > t->max)
			continue;
		if (is_blank(s))
			verrors_add(e, t->name, "must not be blank");
		else if (has_control(s, t->multiline))
			verrors_add(e, t->name, "must not contain control characters");
	}
}

/*
 * Inside the open transaction: is expires_at (when well-formed) in the
 * future and at most a year ahead? Adds to e. 0, or -1 answered (503,
 * 500).
 */
static int check_expiry(struct ctx *c, struct verrors *e)
{
	const char *p[1] = {json_str(c->body, "expires_at")};
	enum db_err err;
	PGresult *r;

	if (p[0] == NULL || !validate_datetime(p[0]))
		return 0;
	r = db_exec(&c->w->db, c->arena, &q_expiry, p, &err, NULL);
	if (r == NULL && err == DB_INVALID) {
		verrors_add(e, "expires_at", "is not a time that can be stored");
		return 0;
	}
	if (r == NULL) {
		scholarships_db_fail(c, err, not_saved);
		return -1;
	}
	if (strcmp(PQgetvalue(r, 0, 0), "t") != 0)
		verrors_add(e, "expires_at", "must be in the future");
	else if (strcmp(PQgetvalue(r, 0, 1), "t") != 0)
		verrors_add(e, "expires_at", "must be at most one year ahead");
	return 0;
}

/* The audience group whose announcements the caller sees, NULL for staff
 * who see every one. */
static const char *group_of(const struct ctx *c)
{
	if (c->role == ROLE_ADMIN || c->role == ROLE_SUPER_ADMIN)
		return NULL;
	return c->role == ROLE_STUDENT ? "students" : "staff";
}

/* ---- routes ------------------------------------------------------------- */

void announce_create(struct ctx *c)
{
	const char *p[7], *loc;
	struct verrors e;
	enum db_err err;
	PGresult *r;

	if (c->body == NULL) {
		resp_problem(c->resp, c->req, 400, "a JSON body is required", NULL, 0);
		return;
	}
	verrors_init(&e, c->arena);
	validate_object(c->body, create_fields, NFIELDS(create_fields), "", &e);
	if (cJSON_IsObject(c->body)) {
		check_texts(c->body, &e);
		if (app_begin(c) < 0 || check_expiry(c, &e) < 0)
			return;
	}
	if (e.n > 0 || e.oom) {
		db_rollback(&c->w->db);
		scholarships_invalid(c, &e);
		return;
	}
	p[0] = json_str(c->body, "title"), p[1] = json_str(c->body, "title_en");
	p[2] = json_str(c->body, "body"), p[3] = json_str(c->body, "body_en");
	p[4] = json_str(c->body, "audience"), p[5] = json_str(c->body, "expires_at");
	p[6] = c->user_id;
	if ((r = db_exec(&c->w->db, c->arena, &q_insert, p, &err, NULL)) == NULL ||
	    PQntuples(r) != 1) {
		scholarships_db_fail(c, r == NULL ? err : DB_FAILED, not_saved);
		return;
	}
	if (audit_record(c, NULL, "announcement.created", "announcement", PQgetvalue(r, 0, 1), NULL,
	                 PQgetvalue(r, 0, 0)) < 0 ||
	    db_commit(&c->w->db) < 0) {
		db_rollback(&c->w->db);
		handler_unavailable(c, "the announcement could not be saved; try again");
		return;
	}
	loc = arena_printf(c->arena, "/api/v1/announcements/%s", PQgetvalue(r, 0, 1));
	if (loc != NULL)
		resp_header(c->resp, "Location", loc);
	resp_json(c->resp, 201, PQgetvalue(r, 0, 0), (size_t)PQgetlength(r, 0, 0));
}

static int bool_ok(const char *s)
{
	return strcmp(s, "true") == 0 || strcmp(s, "false") == 0;
}

void announce_list(struct ctx *c)
{
	const char *p[5] = {NULL}, *cursor;
	long limit;
	int bad = 0;

	if (scholarships_page_query(c, list_keys, &limit, &cursor) < 0)
		return;
	p[0] = app_query_filter(c, "active", bool_ok, &bad);
	if (bad || (cursor != NULL && app_split_cursor(c, cursor, &p[2], &p[3]) < 0))
		return;
	p[1] = group_of(c);
	app_answer_list(c, &q_list, p, 4, limit);
}

void announce_get(struct ctx *c)
{
	const char *p[2] = {c->req->path_ids[0], group_of(c)};
	enum db_err err;
	PGresult *r;

	if ((r = db_exec(&c->w->db, c->arena, &q_get, p, &err, NULL)) == NULL) {
		app_db_fail(c, err);
		return;
	}
	if (PQntuples(r) != 1) {
		resp_problem(c->resp, c->req, 404, not_found, NULL, 0);
		return;
	}
	resp_json(c->resp, 200, PQgetvalue(r, 0, 0), (size_t)PQgetlength(r, 0, 0));
}

void announce_delete(struct ctx *c)
{
	const char *p[3] = {c->req->path_ids[0]};
	enum db_err err;
	PGresult *r;

	scholarships_scope(c, &p[1], &p[2]);
	if (app_begin(c) < 0)
		return;
	if ((r = db_exec(&c->w->db, c->arena, &q_delete, p, &err, NULL)) == NULL) {
		scholarships_db_fail(c, err, not_saved);
		return;
	}
	if (PQntuples(r) != 1) {
		scholarships_refuse(c, 404, not_found);
		return;
	}
	if (audit_record(c, NULL, "announcement.deleted", "announcement", p[0], PQgetvalue(r, 0, 0),
	                 NULL) < 0 ||
	    db_commit(&c->w->db) < 0) {
		db_rollback(&c->w->db);
		handler_unavailable(c, "the announcement could not be deleted; try again");
		return;
	}
	resp_empty(c->resp, 204);
}

/*
 * notifications.c -- the routes of notifications.h: a signed-in user
 * reads their own in-app notifications, counts the unread ones and
 * marks them read. Nothing here writes a notification (lib/notify.c and
 * lib/announcements.c do).
 *
 * Every statement is keyed on the caller's id, so another user's row is
 * simply not found (404), never refused. A notification past its
 * expires_at is treated as gone by every route.
 *
 * Cost: the list walks notifications_user_idx (user_id, created_at DESC,
 * id DESC) from the cursor, the count probes notifications_unread_idx
 * (user_id WHERE read_at IS NULL); both prepared, one round trip each.
 */
#include "notifications.h"
#include "applications_int.h"

#include "arena.h"
#include "handler.h"
#include "http.h"
#include "worker.h"

#include <string.h>

/* clang-format off */
/* A notification as JSON text (alias n). */
#define NOTIF_JSON \
	"json_build_object('id', n.id, 'kind', n.kind, 'title', n.title, 'body', n.body, " \
	"'link', n.link, 'announcement_id', n.announcement_id, " \
	"'read_at', " SCH_UTC("n.read_at") ", 'created_at', " SCH_UTC("n.created_at") ")::text"
#define NOTIF_LIVE "(n.expires_at IS NULL OR n.expires_at > now())"
/* clang-format on */

/* $1 the caller; $2 unread filter (NULL: both); $3/$4 the cursor; $5 limit. */
static const struct db_stmt q_list = {
    "notif_list",
    "SELECT " NOTIF_JSON ", ((extract(epoch FROM n.created_at) * 1000000)::bigint)::text "
    "|| ',' || n.id FROM notifications n WHERE n.user_id = $1::uuid AND " NOTIF_LIVE
    " AND ($2::boolean IS NULL OR (n.read_at IS NULL) = $2::boolean)"
    " AND (n.created_at, n.id) < (COALESCE('epoch'::timestamptz + $3::bigint * "
    "interval '1 microsecond', 'infinity'), "
    "COALESCE($4::uuid, 'ffffffff-ffff-ffff-ffff-ffffffffffff'))"
    " ORDER BY n.created_at DESC, n.id DESC LIMIT $5::integer",
    5};
static const struct db_stmt q_count = {
    "notif_unread_count",
    "SELECT count(*) FROM notifications n WHERE n.user_id = $1::uuid AND n.read_at IS NULL "
    "AND " NOTIF_LIVE,
    1};
/* read_at keeps its first value, so a repeated call answers the same. */
static const struct db_stmt q_read = {
    "notif_read",
    "UPDATE notifications n SET read_at = COALESCE(n.read_at, now()) "
    "WHERE n.id = $1::uuid AND n.user_id = $2::uuid AND " NOTIF_LIVE " RETURNING " NOTIF_JSON,
    2};
static const struct db_stmt q_read_all = {
    "notif_read_all",
    "UPDATE notifications n SET read_at = now() "
    "WHERE n.user_id = $1::uuid AND n.read_at IS NULL AND " NOTIF_LIVE,
    1};

static const char *const list_keys[] = {"unread", "cursor", "limit", NULL};

static int bool_ok(const char *s)
{
	return strcmp(s, "true") == 0 || strcmp(s, "false") == 0;
}

/* Answer {"count": n} from the text of a number. */
static void answer_count(struct ctx *c, const char *n)
{
	const char *json = arena_printf(c->arena, "{\"count\":%s}", n);

	if (json == NULL) {
		resp_problem(c->resp, c->req, 500, NULL, NULL, 0);
		return;
	}
	resp_json(c->resp, 200, json, strlen(json));
}

/* An action route takes no fields: an empty body or {}. 0, or -1
 * answered (422). */
static int no_fields(struct ctx *c)
{
	return handler_body(c, NULL, 0, 0);
}

void notif_list(struct ctx *c)
{
	const char *p[5] = {c->user_id}, *cursor;
	long limit;
	int bad = 0;

	if (scholarships_page_query(c, list_keys, &limit, &cursor) < 0)
		return;
	p[1] = app_query_filter(c, "unread", bool_ok, &bad);
	if (bad || (cursor != NULL && app_split_cursor(c, cursor, &p[2], &p[3]) < 0))
		return;
	app_answer_list(c, &q_list, p, 4, limit);
}

void notif_unread_count(struct ctx *c)
{
	const char *p[1] = {c->user_id};
	enum db_err err;
	PGresult *r;

	if ((r = db_exec(&c->w->db, c->arena, &q_count, p, &err, NULL)) == NULL) {
		app_db_fail(c, err);
		return;
	}
	answer_count(c, PQgetvalue(r, 0, 0));
}

void notif_read(struct ctx *c)
{
	const char *p[2] = {c->req->path_ids[0], c->user_id};
	enum db_err err;
	PGresult *r;

	if (no_fields(c) < 0)
		return;
	if ((r = db_exec(&c->w->db, c->arena, &q_read, p, &err, NULL)) == NULL) {
		app_db_fail(c, err);
		return;
	}
	if (PQntuples(r) != 1) {
		resp_problem(c->resp, c->req, 404, "there is no such notification", NULL, 0);
		return;
	}
	resp_json(c->resp, 200, PQgetvalue(r, 0, 0), (size_t)PQgetlength(r, 0, 0));
}

void notif_read_all(struct ctx *c)
{
	const char *p[1] = {c->user_id};
	enum db_err err;
	PGresult *r;

	if (no_fields(c) < 0)
		return;
	if ((r = db_exec(&c->w->db, c->arena, &q_read_all, p, &err, NULL)) == NULL) {
		app_db_fail(c, err);
		return;
	}
	answer_count(c, PQcmdTuples(r));
}

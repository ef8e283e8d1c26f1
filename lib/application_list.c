/*
 * application_list.c -- GET /applications (DESIGN §8): the applications
 * the caller may see, newest first, with filters (period_id,
 * scholarship_id, status, stage, college_code) and q over the number, the
 * student's number, names and email.
 *
 * Keyset pages on (created_at, id): the cursor is the last row's key, and
 * the condition "(created_at, id) < key" is written without OR, so it is
 * an index condition; a page reads about limit / selectivity rows at any
 * depth (the indexes of 0010_application_workflow.sql).
 *
 * The best plan depends on the values: how many rows a scope and a filter
 * leave decides between walking that index and sorting the matches, and a
 * prepared statement's generic plan guesses them badly (it sorted every
 * submitted application of an admin's scholarships to show 20). So:
 *   - the common lists (no filter, or status and stage only) choose the
 *     page from applications alone, with the scope as a condition on the
 *     row, and join only the page's rows to their period, scholarship and
 *     student; their prepared plans walk the index (LIST_ROWS);
 *   - any other filter filters the whole join, planned for its values on
 *     each run (a statement without a name, db.h);
 *   - a student's list always uses (user_id, created_at, id).
 */
#include "applications.h"
#include "applications_int.h"

#include "application_status.h"
#include "arena.h"
#include "handler.h"
#include "http.h"
#include "router.h"
#include "validate.h"
#include "worker.h"

#include <string.h>

/* clang-format off */
#define LIST_ITEM \
	"json_build_object('id', a.id, 'app_no', a.app_no, 'period_id', a.period_id, " \
	"'scholarship_id', p.scholarship_id, 'scholarship_code', s.code, " \
	"'scholarship_name', s.name, 'scholarship_name_en', s.name_en, 'period_label', p.label, " \
	"'student_id', a.student_id, 'student_number', st.student_number, " \
	"'student_name', st.name, 'college_code', st.college_code, " \
	"'sub_types', to_json(a.sub_types), 'status', a.status, 'stage', a.stage, " \
	"'version', a.version, 'created_at', " SCH_UTC("a.created_at") ", " \
	"'updated_at', " SCH_UTC("a.updated_at") ", 'submitted_at', " SCH_UTC("a.submitted_at") \
	")::text, ((extract(epoch FROM a.created_at) * 1000000)::bigint)::text || ',' || a.id"
/* $1 the scope's value; $2..$7 the filters; $8/$9 the cursor; $10 limit. */
#define LIST_AFTER \
	" AND (a.created_at, a.id) < (COALESCE('epoch'::timestamptz + $8::bigint * interval '1 microsecond', 'infinity')," \
	" COALESCE($9::uuid, 'ffffffff-ffff-ffff-ffff-ffffffffffff'))"
#define LIST_ORDER " ORDER BY a.created_at DESC, a.id DESC"
#define LIST_STATUS \
	" AND ($4::text IS NULL OR a.status = $4)" \
	" AND ($5::text IS NULL OR a.stage = $5)"
#define LIST_WHERE LIST_STATUS \
	" AND ($2::uuid IS NULL OR a.period_id = $2::uuid)" \
	" AND ($3::uuid IS NULL OR p.scholarship_id = $3::uuid)" \
	" AND ($6::text IS NULL OR st.college_code = $6)" \
	" AND ($7::text IS NULL OR a.app_no ILIKE $7 OR st.student_number ILIKE $7" \
	" OR st.name ILIKE $7 OR st.name_en ILIKE $7 OR st.email ILIKE $7)" \
	LIST_AFTER LIST_ORDER " LIMIT $10::integer"
#define LIST_FROM " FROM applications a JOIN periods p ON p.id = a.period_id " \
	"JOIN scholarships s ON s.id = p.scholarship_id JOIN students st ON st.id = a.student_id "
#define LIST_JOINED(scope) "SELECT " LIST_ITEM LIST_FROM "WHERE " scope LIST_WHERE
/*
 * The row shape, for status and stage filters only ($2, $3, $6 and $7 are
 * NULL, named for their types). The inner LIMIT is the constant largest
 * page (limit + 1): with it a generic plan walks (created_at, id)
 * backwards rather than sorting every match; the outer LIMIT $10 stops
 * the walk after the page.
 */
#define LIST_ROWS(scope) \
	"SELECT " LIST_ITEM " FROM (SELECT * FROM applications a WHERE " scope LIST_STATUS \
	" AND $2::uuid IS NULL AND $3::uuid IS NULL AND $6::text IS NULL AND $7::text IS NULL" \
	LIST_AFTER LIST_ORDER " LIMIT 101) a " \
	"JOIN periods p ON p.id = a.period_id JOIN scholarships s ON s.id = p.scholarship_id " \
	"JOIN students st ON st.id = a.student_id" LIST_ORDER " LIMIT $10::integer"
/* The scopes as conditions on the application row alone. The admin's is
 * an array computed once (an InitPlan), which a generic plan takes for a
 * filter to check while walking, not for a set to sort. */
#define ROW_SCOPE_REVIEWER \
	"a.id IN (SELECT ar.application_id FROM application_reviewers ar " \
	"WHERE ar.reviewer_id = $1::uuid)"
#define ROW_SCOPE_COLLEGE \
	"a.student_id IN (SELECT st.id FROM students st WHERE st.college_code = $1::text)"
#define ROW_SCOPE_ADMIN \
	"a.period_id = ANY (ARRAY(SELECT p.id FROM periods p JOIN scholarship_admins g " \
	"ON g.scholarship_id = p.scholarship_id WHERE g.user_id = $1::uuid))"
/* clang-format on */

/* Any filter: planned for its values on each run (no name), but the
 * student's, whose index (user_id, created_at, id) is always the plan. */
static const struct db_stmt q_joined[SC__MAX] = {
    [SC_STUDENT] = {"applications_list_student", LIST_JOINED(APP_SCOPE_STUDENT), 10},
    [SC_REVIEWER] = {NULL, LIST_JOINED(APP_SCOPE_REVIEWER), 10},
    [SC_COLLEGE] = {NULL, LIST_JOINED(APP_SCOPE_COLLEGE), 10},
    [SC_ADMIN] = {NULL, LIST_JOINED(APP_SCOPE_ADMIN), 10},
    [SC_ALL] = {NULL, LIST_JOINED(APP_SCOPE_ALL), 10},
};
/* Status and stage filters only: prepared walks, but a reviewer's and a
 * college's sets, whose size decides between walking and sorting. */
static const struct db_stmt q_rows[SC__MAX] = {
    [SC_STUDENT] = {"applications_rows_student", LIST_ROWS(APP_SCOPE_STUDENT), 10},
    [SC_REVIEWER] = {NULL, LIST_ROWS(ROW_SCOPE_REVIEWER), 10},
    [SC_COLLEGE] = {NULL, LIST_ROWS(ROW_SCOPE_COLLEGE), 10},
    [SC_ADMIN] = {"applications_rows_admin", LIST_ROWS(ROW_SCOPE_ADMIN), 10},
    [SC_ALL] = {"applications_rows_all", LIST_ROWS(APP_SCOPE_ALL), 10},
};

static const char *const list_keys[] = {
    "period_id", "scholarship_id", "status", "stage", "college_code", "q", "cursor", "limit", NULL};

int app_uuid_ok(const char *s)
{
	return route_is_uuid(s, strlen(s));
}

int app_split_cursor(struct ctx *c, const char *raw, const char **ts, const char **id)
{
	size_t n = strspn(raw, "-0123456789");

	if (n > 0 && n <= 20 && raw[n] == ',' && app_uuid_ok(raw + n + 1) &&
	    (*ts = arena_strndup(c->arena, raw, n)) != NULL) {
		*id = raw + n + 1;
		return 0;
	}
	resp_problem(c->resp, c->req, 400, "some query parameters are invalid",
	             &(struct problem_field){"cursor", "is not a cursor this list gave out"}, 1);
	return -1;
}

const char *app_query_filter(struct ctx *c, const char *key, int (*ok)(const char *), int *bad)
{
	int malformed = 0;
	const char *v = http_query(c->req, key, &malformed);

	if (*bad || (!malformed && (v == NULL || *v == '\0')))
		return NULL; /* an empty parameter counts as absent */
	if (malformed || (ok != NULL && !ok(v)) || strlen(v) > 200) {
		resp_problem(c->resp, c->req, 400, "some query parameters are invalid",
		             &(struct problem_field){key, "is not a valid value"}, 1);
		*bad = 1;
	}
	return v;
}

int app_one_of(const char *s, const char *const *list)
{
	for (; *list != NULL; list++)
		if (strcmp(s, *list) == 0)
			return 1;
	return 0;
}

void app_answer_list(struct ctx *c, const struct db_stmt *st, const char **p, int limit_at,
                     long limit)
{
	enum db_err err;
	PGresult *r;

	if ((p[limit_at] = arena_printf(c->arena, "%ld", limit + 1)) == NULL) {
		resp_problem(c->resp, c->req, 500, NULL, NULL, 0);
		return;
	}
	if ((r = db_exec(&c->w->db, c->arena, st, p, &err, NULL)) == NULL) {
		app_db_fail(c, err);
		return;
	}
	scholarships_answer_page(c, r, limit, 1);
}

static int college_ok(const char *s)
{
	return scholarships_token_ok(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-", 16);
}

void applications_list(struct ctx *c)
{
	const char *p[10] = {0}, *cursor, *q;
	const struct db_stmt *st;
	enum app_scope sc;
	long limit;
	int bad = 0;

	if (scholarships_page_query(c, list_keys, &limit, &cursor) < 0)
		return;
	p[1] = app_query_filter(c, "period_id", app_uuid_ok, &bad);
	p[2] = app_query_filter(c, "scholarship_id", app_uuid_ok, &bad);
	p[3] = app_query_filter(c, "status", appstatus_known, &bad);
	p[4] = app_query_filter(c, "stage", appstage_known, &bad);
	p[5] = app_query_filter(c, "college_code", college_ok, &bad);
	q = app_query_filter(c, "q", NULL, &bad);
	if (bad)
		return;
	if (cursor != NULL && app_split_cursor(c, cursor, &p[7], &p[8]) < 0)
		return;
	if (q != NULL && *q != '\0' && (p[6] = handler_like_pattern(c->arena, q)) == NULL) {
		resp_problem(c->resp, c->req, 500, NULL, NULL, 0);
		return;
	}
	sc = app_scope_of(c, &p[0]);
	st = p[1] == NULL && p[2] == NULL && p[5] == NULL && p[6] == NULL ? &q_rows[sc]
	                                                                  : &q_joined[sc];
	app_answer_list(c, st, p, 9, limit);
}

/*
 * application_list.c -- GET /applications (DESIGN §8): the applications
 * the caller may see, newest first, with filters (period_id,
 * scholarship_id, status, stage, college_code) and q over the number, the
 * student's number, names and email.
 *
 * Keyset pages on (created_at, id): the cursor is the last row's key, and
 * the condition "(created_at, id) < key" is written without OR so that a
 * prepared (generic) plan still seeks the index; each scope has its own
 * statement whose index starts with its filter and ends with the key
 * (0010_application_workflow.sql): the student's own by user_id, the
 * reviewer's through application_reviewers, the others by created_at with
 * the scope as a row filter. Filters are row filters: a page reads about
 * limit / selectivity rows at any depth.
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
#define LIST_WHERE \
	" AND ($2::uuid IS NULL OR a.period_id = $2::uuid)" \
	" AND ($3::uuid IS NULL OR p.scholarship_id = $3::uuid)" \
	" AND ($4::text IS NULL OR a.status = $4)" \
	" AND ($5::text IS NULL OR a.stage = $5)" \
	" AND ($6::text IS NULL OR st.college_code = $6)" \
	" AND ($7::text IS NULL OR a.app_no ILIKE $7 OR st.student_number ILIKE $7" \
	" OR st.name ILIKE $7 OR st.name_en ILIKE $7 OR st.email ILIKE $7)" \
	" AND (a.created_at, a.id) < (COALESCE('epoch'::timestamptz + $8::bigint * interval '1 microsecond', 'infinity')," \
	" COALESCE($9::uuid, 'ffffffff-ffff-ffff-ffff-ffffffffffff'))" \
	" ORDER BY a.created_at DESC, a.id DESC LIMIT $10::integer"
#define LIST_FROM " FROM applications a JOIN periods p ON p.id = a.period_id " \
	"JOIN scholarships s ON s.id = p.scholarship_id JOIN students st ON st.id = a.student_id "
/* clang-format on */

enum scope { SC_STUDENT, SC_REVIEWER, SC_COLLEGE, SC_ADMIN, SC_ALL, SC__MAX };

static const struct db_stmt q_list[SC__MAX] = {
    [SC_STUDENT] = {"applications_list_student",
                    "SELECT " LIST_ITEM LIST_FROM "WHERE a.user_id = $1::uuid" LIST_WHERE, 10},
    [SC_REVIEWER] = {"applications_list_reviewer",
                     "SELECT " LIST_ITEM LIST_FROM
                     "JOIN application_reviewers ar ON ar.application_id = a.id "
                     "WHERE ar.reviewer_id = $1::uuid" LIST_WHERE,
                     10},
    [SC_COLLEGE] = {"applications_list_college",
                    "SELECT " LIST_ITEM LIST_FROM "WHERE st.college_code = $1::text" LIST_WHERE,
                    10},
    [SC_ADMIN] = {"applications_list_admin",
                  "SELECT " LIST_ITEM LIST_FROM
                  "WHERE EXISTS (SELECT 1 FROM scholarship_admins g WHERE g.scholarship_id = "
                  "p.scholarship_id AND g.user_id = $1::uuid)" LIST_WHERE,
                  10},
    [SC_ALL] = {"applications_list_all",
                "SELECT " LIST_ITEM LIST_FROM "WHERE $1::text IS NULL" LIST_WHERE, 10},
};

static const char *const list_keys[] = {
    "period_id", "scholarship_id", "status", "stage", "college_code", "q", "cursor", "limit", NULL};

static int uuid_ok(const char *s);

/* The cursor's two halves: "<microseconds>,<uuid>"; 0, or -1 when it is
 * not one this list gave out. */
static int split_cursor(struct ctx *c, const char *raw, const char **ts, const char **id)
{
	size_t n = strspn(raw, "-0123456789");

	if (n == 0 || n > 20 || raw[n] != ',' || !uuid_ok(raw + n + 1))
		return -1;
	*ts = arena_strndup(c->arena, raw, n);
	*id = raw + n + 1;
	return *ts == NULL ? -1 : 0;
}

/* A filter's value, checked; *bad set (and 400 answered) when invalid. */
static const char *filter(struct ctx *c, const char *key, int (*ok)(const char *), int *bad)
{
	int malformed = 0;
	const char *v = http_query(c->req, key, &malformed);

	if (*bad || v == NULL || (*v == '\0' && !malformed))
		return NULL; /* an empty parameter counts as absent */
	if (malformed || (ok != NULL && !ok(v)) || strlen(v) > 200) {
		resp_problem(c->resp, c->req, 400, "some query parameters are invalid",
		             &(struct problem_field){key, "is not a valid value"}, 1);
		*bad = 1;
	}
	return v;
}

static int uuid_ok(const char *s)
{
	return route_is_uuid(s, strlen(s));
}

static int college_ok(const char *s)
{
	return scholarships_token_ok(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-", 16);
}

static enum scope scope_of(const struct ctx *c, const char **value)
{
	*value = c->user_id;
	switch (c->role) {
	case ROLE_STUDENT:
		return SC_STUDENT;
	case ROLE_REVIEWER:
		return SC_REVIEWER;
	case ROLE_COLLEGE:
		*value = c->college_code != NULL ? c->college_code : "";
		return SC_COLLEGE;
	case ROLE_ADMIN:
		return SC_ADMIN;
	default:
		*value = NULL;
		return SC_ALL;
	}
}

void applications_list(struct ctx *c)
{
	const char *p[10] = {0}, *cursor, *q;
	enum scope sc;
	enum db_err err;
	PGresult *r;
	long limit;
	int bad = 0;

	if (scholarships_page_query(c, list_keys, &limit, &cursor) < 0)
		return;
	p[1] = filter(c, "period_id", uuid_ok, &bad);
	p[2] = filter(c, "scholarship_id", uuid_ok, &bad);
	p[3] = filter(c, "status", appstatus_known, &bad);
	p[4] = filter(c, "stage", appstage_known, &bad);
	p[5] = filter(c, "college_code", college_ok, &bad);
	q = filter(c, "q", NULL, &bad);
	if (bad)
		return;
	if (cursor != NULL && split_cursor(c, cursor, &p[7], &p[8]) < 0) {
		resp_problem(
		    c->resp, c->req, 400, "some query parameters are invalid",
		    &(struct problem_field){"cursor", "is not a cursor this list gave out"}, 1);
		return;
	}
	if (q != NULL && *q != '\0' && (p[6] = handler_like_pattern(c->arena, q)) == NULL) {
		resp_problem(c->resp, c->req, 500, NULL, NULL, 0);
		return;
	}
	sc = scope_of(c, &p[0]);
	p[9] = arena_printf(c->arena, "%ld", limit + 1);
	if ((r = db_exec(&c->w->db, c->arena, &q_list[sc], p, &err, NULL)) == NULL) {
		app_db_fail(c, err);
		return;
	}
	scholarships_answer_page(c, r, limit, 1);
}

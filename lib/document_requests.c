/*
 * document_requests.c -- the routes of document_requests.h: staff ask the
 * student of a submitted application for more files (補件), the student
 * uploads them (documents.c accepts uploads while the application is
 * pending_documents, also after closes_at) and says so, staff may cancel.
 *
 * The application's status follows its requests: a new request moves it
 * to pending_documents; when the last open request of it is fulfilled or
 * cancelled it goes back to under_review. Every change locks the request
 * and its application FOR UPDATE (request first, then application, in
 * one statement, so concurrent fulfils and cancels of two requests of
 * one application serialise on the application row and the second sees
 * the first's result when it counts the open requests).
 *
 * Scope: creating and cancelling lock under the managing scope (an admin
 * granted the scholarship, a super admin); fulfilling under the owner's;
 * the list uses the read scopes of applications (APP_SCOPE_*). Anything
 * out of scope is 404.
 */
#include "document_requests.h"
#include "applications_int.h"

#include "application_notify.h"
#include "arena.h"
#include "audit.h"
#include "config.h"
#include "handler.h"
#include "http.h"
#include "json.h"
#include "router.h"
#include "validate.h"
#include "worker.h"

#include <stdlib.h>
#include <string.h>

#define NFIELDS(t) (sizeof(t) / sizeof((t)[0]))

/* clang-format off */
/* The request as JSON text. Aliases: r the request, a its application, p
 * the period, s the scholarship, st the student; tz the parameter holding
 * INSTITUTION_TIMEZONE (overdue: open and due before today there). */
#define REQ_JSON(tz) \
	"json_build_object('id', r.id, 'application_id', r.application_id, 'app_no', a.app_no, " \
	"'period_id', a.period_id, 'scholarship_id', p.scholarship_id, " \
	"'scholarship_code', s.code, 'period_label', p.label, 'student_id', a.student_id, " \
	"'student_number', st.student_number, 'student_name', st.name, " \
	"'college_code', st.college_code, 'application_status', a.status, " \
	"'kinds', to_json(r.kinds), 'reason', r.reason, 'due_on', r.due_on, 'status', r.status, " \
	"'overdue', (r.status = 'open' AND r.due_on < (now() AT TIME ZONE " tz "::text)::date), " \
	"'requested_by', r.requested_by, 'created_at', " SCH_UTC("r.created_at") ", " \
	"'fulfilled_at', " SCH_UTC("r.fulfilled_at") ", " \
	"'cancelled_at', " SCH_UTC("r.cancelled_at") ", 'cancelled_by', r.cancelled_by)::text"
#define REQ_FROM " FROM document_requests r JOIN applications a ON a.id = r.application_id " \
	"JOIN periods p ON p.id = a.period_id JOIN scholarships s ON s.id = p.scholarship_id " \
	"JOIN students st ON st.id = a.student_id "
/* What a change locks: the request's JSON, its status, its id, its
 * application's id, status and JSON (the audit's before image). */
#define REQ_LOCK(tz) \
	"SELECT " REQ_JSON(tz) ", r.status, r.id, a.id, a.status, " APP_JSON APP_FROM \
	"JOIN document_requests r ON r.application_id = a.id "
/* $1 the scope's value; $2 status, $3 application_id, $4 overdue, $5 the
 * time zone; $6/$7 the cursor; $8 limit. */
#define REQ_LIST(scope) \
	"SELECT " REQ_JSON("$5") ", ((extract(epoch FROM r.created_at) * 1000000)::bigint)::text " \
	"|| ',' || r.id" REQ_FROM "WHERE " scope \
	" AND ($2::text IS NULL OR r.status = $2)" \
	" AND ($3::uuid IS NULL OR r.application_id = $3::uuid)" \
	" AND (NOT $4::boolean OR (r.status = 'open'" \
	" AND r.due_on < (now() AT TIME ZONE $5::text)::date))" \
	" AND (r.created_at, r.id) < (COALESCE('epoch'::timestamptz + $6::bigint * " \
	"interval '1 microsecond', 'infinity'), " \
	"COALESCE($7::uuid, 'ffffffff-ffff-ffff-ffff-ffffffffffff'))" \
	" ORDER BY r.created_at DESC, r.id DESC LIMIT $8::integer"
/* clang-format on */

enum lock_col { LC_JSON, LC_STATUS, LC_ID, LC_APP_ID, LC_APP_STATUS, LC_APP_JSON };

static const struct db_stmt q_kinds = {
    "docreq_kinds",
    "SELECT x.i FROM applications a JOIN periods p ON p.id = a.period_id, "
    "jsonb_array_elements_text($2::jsonb) WITH ORDINALITY AS x(kind, i) "
    "WHERE a.id = $1::uuid AND NOT EXISTS (SELECT 1 FROM "
    "jsonb_array_elements(p.required_documents) d WHERE d->>'kind' = x.kind) ORDER BY x.i",
    2};
static const struct db_stmt q_kind_labels = {
    "docreq_kind_labels",
    "SELECT string_agg(coalesce(d.doc->>'label', x.kind), ', ' ORDER BY x.i),"
    " string_agg(coalesce(d.doc->>'label_en', d.doc->>'label', x.kind), ', ' ORDER BY x.i)"
    " FROM applications a JOIN periods p ON p.id = a.period_id,"
    " jsonb_array_elements_text($2::jsonb) WITH ORDINALITY AS x(kind, i)"
    " LEFT JOIN LATERAL (SELECT e AS doc FROM jsonb_array_elements(p.required_documents) e"
    "  WHERE e->>'kind' = x.kind LIMIT 1) d ON true WHERE a.id = $1::uuid",
    2};
static const struct db_stmt q_due_ok = {
    "docreq_due_ok", "SELECT $1::date >= (now() AT TIME ZONE $2::text)::date", 2};
static const struct db_stmt q_insert = {
    "docreq_insert",
    "INSERT INTO document_requests (application_id, kinds, reason, due_on, requested_by) "
    "SELECT $1::uuid, ARRAY(SELECT jsonb_array_elements_text($2::jsonb)), $3, $4::date, "
    "$5::uuid RETURNING id",
    5};
static const struct db_stmt q_app_status = {
    "docreq_app_status",
    "UPDATE applications SET status = $2, version = version + 1, updated_at = now() "
    "WHERE id = $1::uuid",
    2};
static const struct db_stmt q_app_json = {"docreq_app_json",
                                          "SELECT " APP_JSON APP_FROM "WHERE a.id = $1::uuid", 1};
static const struct db_stmt q_req_json = {
    "docreq_req_json", "SELECT " REQ_JSON("$2") REQ_FROM "WHERE r.id = $1::uuid", 2};
static const struct db_stmt q_lock_own = {
    "docreq_lock_own",
    REQ_LOCK("$3") "WHERE r.id = $1::uuid AND a.user_id = $2::uuid FOR UPDATE OF r, a", 3};
static const struct db_stmt q_lock_staff = {
    "docreq_lock_staff",
    REQ_LOCK("$4") "WHERE r.id = $1::uuid AND " SCH_EDITS(2, 3, "s") " FOR UPDATE OF r, a", 4};
/* The requested kinds with no file uploaded since the request was made. */
static const struct db_stmt q_missing = {
    "docreq_missing",
    "SELECT k FROM document_requests r, unnest(r.kinds) WITH ORDINALITY AS x(k, i) "
    "WHERE r.id = $1::uuid AND NOT EXISTS (SELECT 1 FROM documents d "
    "WHERE d.application_id = r.application_id AND d.kind = x.k "
    "AND d.created_at > r.created_at) ORDER BY x.i",
    1};
static const struct db_stmt q_fulfil = {
    "docreq_fulfil",
    "UPDATE document_requests SET status = 'fulfilled', fulfilled_at = now() "
    "WHERE id = $1::uuid",
    1};
static const struct db_stmt q_cancel = {
    "docreq_cancel",
    "UPDATE document_requests SET status = 'cancelled', cancelled_at = now(), "
    "cancelled_by = $2::uuid WHERE id = $1::uuid",
    2};
static const struct db_stmt q_others_open = {
    "docreq_others_open",
    "SELECT EXISTS (SELECT 1 FROM document_requests WHERE application_id = $1::uuid "
    "AND status = 'open' AND id <> $2::uuid)",
    2};
static const struct db_stmt q_list[SC__MAX] = {
    [SC_STUDENT] = {"docreq_list_student", REQ_LIST(APP_SCOPE_STUDENT), 8},
    [SC_REVIEWER] = {"docreq_list_reviewer", REQ_LIST(APP_SCOPE_REVIEWER), 8},
    [SC_COLLEGE] = {"docreq_list_college", REQ_LIST(APP_SCOPE_COLLEGE), 8},
    [SC_ADMIN] = {"docreq_list_admin", REQ_LIST(APP_SCOPE_ADMIN), 8},
    [SC_ALL] = {"docreq_list_all", REQ_LIST(APP_SCOPE_ALL), 8},
};

static const struct vfield kind_item = {.type = VT_STRING, .min = 1, .max = 64};
static const struct vfield create_fields[] = {
    {.name = "kinds",
     .type = VT_ARRAY,
     .flags = VF_REQUIRED,
     .min = 1,
     .max = 10,
     .item = &kind_item},
    {.name = "reason", .type = VT_STRING, .flags = VF_REQUIRED, .min = 1, .max = 2000},
    {.name = "due_on", .type = VT_DATE, .flags = VF_REQUIRED},
};
static const struct vfield cancel_fields[] = {
    {.name = "reason", .type = VT_STRING, .flags = VF_NULLABLE, .min = 1, .max = 2000},
};

static const char not_found[] = "there is no such document request";
static const char conflict[] = "the document request could not be saved";

/* ---- shared ------------------------------------------------------------- */

/*
 * Inside the transaction: move application id from -> to with its
 * history row and its audit row (before: its JSON before). 0, or -1
 * answered.
 */
static int move_app(struct ctx *c, const char *id, const char *from, const char *to,
                    const char *reason, const char *before)
{
	const char *p[2] = {id, to};
	enum db_err err;
	PGresult *r;

	if (db_exec(&c->w->db, c->arena, &q_app_status, p, &err, NULL) == NULL) {
		scholarships_db_fail(c, err, conflict);
		return -1;
	}
	if (app_history(c, id, from, to, reason) < 0)
		return -1;
	if ((r = db_exec(&c->w->db, c->arena, &q_app_json, p, &err, NULL)) == NULL ||
	    PQntuples(r) != 1) {
		scholarships_db_fail(c, r == NULL ? err : DB_FAILED, conflict);
		return -1;
	}
	if (audit_record(c, NULL, "application.status_changed", "application", id, before,
	                 PQgetvalue(r, 0, 0)) < 0) {
		db_rollback(&c->w->db);
		handler_unavailable(c, "the request could not be completed; try again");
		return -1;
	}
	return 0;
}

/*
 * Audit action on request id (before: its JSON before, or NULL), commit
 * and answer status with the request as it now is.
 */
static void finish(struct ctx *c, int status, const char *action, const char *id,
                   const char *before)
{
	const char *p[2] = {id, c->w->cfg->institution_timezone};
	enum db_err err;
	PGresult *r;

	if ((r = db_exec(&c->w->db, c->arena, &q_req_json, p, &err, NULL)) == NULL ||
	    PQntuples(r) != 1) {
		scholarships_db_fail(c, r == NULL ? err : DB_FAILED, conflict);
		return;
	}
	if (audit_record(c, NULL, action, "document_request", id, before, PQgetvalue(r, 0, 0)) <
	        0 ||
	    db_commit(&c->w->db) < 0) {
		db_rollback(&c->w->db);
		handler_unavailable(c, "the request could not be completed; try again");
		return;
	}
	if (status == 201)
		resp_header(c->resp, "Location",
		            arena_printf(c->arena, "/api/v1/document-requests/%s", id));
	resp_json(c->resp, status, PQgetvalue(r, 0, 0), (size_t)PQgetlength(r, 0, 0));
}

/*
 * Lock the request of the path with its application: the owner's when
 * own is set, else one the caller manages. Columns: enum lock_col. NULL
 * when answered (404, 409 when the request is no longer open, 503).
 */
static PGresult *lock_request(struct ctx *c, int own)
{
	const char *p[4] = {c->req->path_ids[0], c->user_id, NULL, NULL};
	enum db_err err;
	PGresult *r;

	if (own) {
		p[2] = c->w->cfg->institution_timezone;
	} else {
		scholarships_scope(c, &p[1], &p[2]);
		p[3] = c->w->cfg->institution_timezone;
	}
	if (app_begin(c) < 0)
		return NULL;
	r = db_exec(&c->w->db, c->arena, own ? &q_lock_own : &q_lock_staff, p, &err, NULL);
	if (r == NULL)
		scholarships_db_fail(c, err, conflict);
	else if (PQntuples(r) != 1)
		scholarships_refuse(c, 404, not_found);
	else if (strcmp(PQgetvalue(r, 0, LC_STATUS), "open") != 0)
		scholarships_refuse(c, 409,
		                    arena_printf(c->arena, "the document request is already %s",
		                                 PQgetvalue(r, 0, LC_STATUS)));
	else
		return r;
	return NULL;
}

/*
 * The request of cur is closed (fulfilled or cancelled): when no other
 * request of its application is open and the application waits for
 * documents, it goes back to under_review. 0, or -1 answered.
 */
static int release_app(struct ctx *c, const PGresult *cur, const char *reason)
{
	const char *p[2] = {PQgetvalue(cur, 0, LC_APP_ID), PQgetvalue(cur, 0, LC_ID)};
	enum db_err err;
	PGresult *r;

	if (strcmp(PQgetvalue(cur, 0, LC_APP_STATUS), "pending_documents") != 0)
		return 0;
	if ((r = db_exec(&c->w->db, c->arena, &q_others_open, p, &err, NULL)) == NULL) {
		scholarships_db_fail(c, err, conflict);
		return -1;
	}
	if (strcmp(PQgetvalue(r, 0, 0), "t") == 0)
		return 0;
	return move_app(c, p[0], "pending_documents", "under_review", reason,
	                PQgetvalue(cur, 0, LC_APP_JSON));
}

/* ---- routes ------------------------------------------------------------- */

/* The bad kinds as "kinds.<i>" errors: repeats, and kinds the period's
 * required_documents do not list. 0, or -1 when answered. */
static int check_kinds(struct ctx *c, const char *app, const cJSON *list, const char *kinds,
                       struct verrors *e)
{
	const char *p[2] = {app, kinds};
	const cJSON *it, *jt;
	enum db_err err;
	PGresult *r;
	int i = 0, row;

	cJSON_ArrayForEach(it, list)
	{
		for (jt = list->child; jt != it; jt = jt->next)
			if (strcmp(jt->valuestring, it->valuestring) == 0) {
				verrors_add(e, arena_printf(c->arena, "kinds.%d", i),
				            "is listed twice");
				break;
			}
		i++;
	}
	if ((r = db_exec(&c->w->db, c->arena, &q_kinds, p, &err, NULL)) == NULL) {
		scholarships_db_fail(c, err, conflict);
		return -1;
	}
	for (row = 0; row < PQntuples(r); row++)
		verrors_add(e,
		            arena_printf(c->arena, "kinds.%ld",
		                         strtol(PQgetvalue(r, row, 0), NULL, 10) - 1),
		            "is not a document this period asks for");
	return 0;
}

/*
 * The kinds asked for as the mail and the notification name them: the
 * period's labels, "成績單, 自傳" and "Transcript, Autobiography" (the
 * Chinese label, or the code, where a kind has no English one). 0, or -1
 * answered.
 */
static int kinds_text(struct ctx *c, const char *app, const char *kinds, struct app_event_detail *d)
{
	const char *p[2] = {app, kinds};
	enum db_err err;
	PGresult *r = db_exec(&c->w->db, c->arena, &q_kind_labels, p, &err, NULL);

	if (r == NULL || PQntuples(r) != 1) {
		scholarships_db_fail(c, r == NULL ? err : DB_FAILED, conflict);
		return -1;
	}
	d->kinds = PQgetvalue(r, 0, 0);
	d->kinds_en = PQgetvalue(r, 0, 1);
	return 0;
}

void docreq_create(struct ctx *c)
{
	const char *p[5], *kinds, *reason, *due, *from, *app;
	struct app_event_detail detail = {0};
	const cJSON *list;
	struct verrors e;
	enum db_err err;
	PGresult *cur, *r;

	if (handler_body(c, create_fields, NFIELDS(create_fields), 1) < 0)
		return;
	list = cJSON_GetObjectItemCaseSensitive(c->body, "kinds");
	reason = json_str(c->body, "reason");
	due = json_str(c->body, "due_on");
	if ((kinds = json_print(c->arena, list)) == NULL) {
		resp_problem(c->resp, c->req, 500, NULL, NULL, 0);
		return;
	}
	if ((cur = app_lock(c, 0)) == NULL)
		return;
	from = PQgetvalue(cur, 0, AC_STATUS);
	if (strcmp(from, "submitted") != 0 && strcmp(from, "under_review") != 0 &&
	    strcmp(from, "pending_documents") != 0) {
		scholarships_refuse(
		    c, 409,
		    arena_printf(c->arena,
		                 "documents cannot be requested when the application is %s", from));
		return;
	}
	app = PQgetvalue(cur, 0, AC_ID);
	verrors_init(&e, c->arena);
	if (check_kinds(c, app, list, kinds, &e) < 0)
		return;
	p[0] = due, p[1] = c->w->cfg->institution_timezone;
	if ((r = db_exec(&c->w->db, c->arena, &q_due_ok, p, &err, NULL)) == NULL) {
		scholarships_db_fail(c, err, conflict);
		return;
	}
	if (strcmp(PQgetvalue(r, 0, 0), "t") != 0)
		verrors_add(&e, "due_on", "must be today or later");
	if (e.n > 0 || e.oom) {
		db_rollback(&c->w->db);
		scholarships_invalid(c, &e);
		return;
	}
	p[0] = app, p[1] = kinds, p[2] = reason, p[3] = due, p[4] = c->user_id;
	if ((r = db_exec(&c->w->db, c->arena, &q_insert, p, &err, NULL)) == NULL) {
		scholarships_db_fail(c, err, conflict);
		return;
	}
	detail.reason = reason, detail.due_on = due;
	if (kinds_text(c, app, kinds, &detail) < 0)
		return;
	if (strcmp(from, "pending_documents") != 0 &&
	    move_app(c, app, from, "pending_documents", reason, PQgetvalue(cur, 0, AC_JSON)) < 0)
		return;
	if (app_notify(c, app, APP_EV_DOCS_REQUESTED, &detail) < 0)
		return;
	finish(c, 201, "document_request.created", PQgetvalue(r, 0, 0), NULL);
}

static const char *const list_keys[] = {"status", "application_id", "overdue",
                                        "cursor", "limit",          NULL};
static const char *const req_statuses[] = {"open", "fulfilled", "cancelled", NULL};

static int status_ok(const char *s)
{
	return app_one_of(s, req_statuses);
}

static int bool_ok(const char *s)
{
	return strcmp(s, "true") == 0 || strcmp(s, "false") == 0;
}

void docreq_list(struct ctx *c)
{
	const char *p[8] = {0}, *cursor, *overdue;
	enum app_scope sc;
	long limit;
	int bad = 0;

	if (scholarships_page_query(c, list_keys, &limit, &cursor) < 0)
		return;
	p[1] = app_query_filter(c, "status", status_ok, &bad);
	p[2] = app_query_filter(c, "application_id", app_uuid_ok, &bad);
	overdue = app_query_filter(c, "overdue", bool_ok, &bad);
	if (bad)
		return;
	if (cursor != NULL && app_split_cursor(c, cursor, &p[5], &p[6]) < 0)
		return;
	sc = app_scope_of(c, &p[0]);
	p[3] = overdue != NULL && strcmp(overdue, "true") == 0 ? "true" : "false";
	p[4] = c->w->cfg->institution_timezone;
	app_answer_list(c, &q_list[sc], p, 7, limit);
}

void docreq_fulfil(struct ctx *c)
{
	const char *p[1];
	struct verrors e;
	enum db_err err;
	PGresult *cur, *r;
	int i;

	if ((cur = lock_request(c, 1)) == NULL)
		return;
	p[0] = PQgetvalue(cur, 0, LC_ID);
	if ((r = db_exec(&c->w->db, c->arena, &q_missing, p, &err, NULL)) == NULL) {
		scholarships_db_fail(c, err, conflict);
		return;
	}
	if (PQntuples(r) > 0) {
		verrors_init(&e, c->arena);
		for (i = 0; i < PQntuples(r); i++)
			verrors_add(&e, arena_printf(c->arena, "kinds.%s", PQgetvalue(r, i, 0)),
			            "upload a file of this kind first");
		db_rollback(&c->w->db);
		scholarships_invalid(c, &e);
		return;
	}
	if (db_exec(&c->w->db, c->arena, &q_fulfil, p, &err, NULL) == NULL) {
		scholarships_db_fail(c, err, conflict);
		return;
	}
	if (release_app(c, cur, NULL) < 0)
		return;
	finish(c, 200, "document_request.fulfilled", p[0], PQgetvalue(cur, 0, LC_JSON));
}

void docreq_cancel(struct ctx *c)
{
	const char *p[2];
	enum db_err err;
	PGresult *cur;

	if (handler_body(c, cancel_fields, NFIELDS(cancel_fields), 0) < 0 ||
	    (cur = lock_request(c, 0)) == NULL)
		return;
	p[0] = PQgetvalue(cur, 0, LC_ID), p[1] = c->user_id;
	if (db_exec(&c->w->db, c->arena, &q_cancel, p, &err, NULL) == NULL) {
		scholarships_db_fail(c, err, conflict);
		return;
	}
	if (release_app(c, cur, c->body != NULL ? json_str(c->body, "reason") : NULL) < 0)
		return;
	finish(c, 200, "document_request.cancelled", p[0], PQgetvalue(cur, 0, LC_JSON));
}

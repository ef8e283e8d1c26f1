/*
 * applications.c -- the application routes of applications.h.
 *
 * Create reads the caller's student record (linked by email, exactly as
 * GET /students/me and GET /eligibility find it), then in one transaction
 * locks the period (FOR SHARE, so its status and rules hold until
 * commit), checks that it is open now, evaluates its rules with the pure
 * engine of eligibility.h, checks the requested sub-types, takes the next
 * app_no of the period's academic year and term (a row lock on
 * app_no_sequences: concurrent creates wait, numbers stay consecutive and
 * a rolled-back create gives its number back), inserts the draft with the
 * result of the rules as its eligibility_snapshot and writes its first
 * history row and its audit row. A second live application for the same
 * period fails on the partial unique index (23505, DB_CONFLICT): 409.
 *
 * Scope is one condition (APP_SEES): the owner, an admin granted the
 * scholarship, a super admin. Withdraw and delete lock the owner's row
 * FOR UPDATE; anybody else's application is 404 to them.
 */
#include "applications.h"

#include "arena.h"
#include "audit.h"
#include "db.h"
#include "eligibility.h"
#include "handler.h"
#include "http.h"
#include "json.h"
#include "log.h"
#include "router.h"
#include "scholarships.h"
#include "validate.h"
#include "worker.h"

#include <stdio.h>
#include <string.h>

#define NFIELDS(t) (sizeof(t) / sizeof((t)[0]))

/* clang-format off */
/* The application with its status history, as JSON text. */
#define APP_JSON \
	"json_build_object('id', a.id, 'app_no', a.app_no, 'period_id', a.period_id, " \
	"'scholarship_id', p.scholarship_id, 'student_id', a.student_id, 'user_id', a.user_id, " \
	"'sub_types', to_json(a.sub_types), 'answers', a.answers, 'status', a.status, " \
	"'stage', a.stage, 'eligibility_snapshot', a.eligibility_snapshot, 'version', a.version, " \
	"'created_at', " SCH_UTC("a.created_at") ", 'updated_at', " SCH_UTC("a.updated_at") ", " \
	"'submitted_at', " SCH_UTC("a.submitted_at") ", " \
	"'status_history', COALESCE((SELECT json_agg(json_build_object('from_status', h.from_status, " \
	"'to_status', h.to_status, 'actor_id', h.actor_id, 'reason', h.reason, " \
	"'at', " SCH_UTC("h.at") ") ORDER BY h.at, h.id) " \
	"FROM application_status_history h WHERE h.application_id = a.id), '[]'))::text"
#define APP_FROM " FROM applications a JOIN periods p ON p.id = a.period_id " \
	"JOIN scholarships s ON s.id = p.scholarship_id "
/* $2 the owner (a student caller, else NULL), $3/$4 the admin scope. */
#define APP_SEES "(a.user_id = $2::uuid OR " SCH_EDITS(3, 4, "s") ")"
/* clang-format on */

enum rcol { RC_RECORD, RC_NUMBER, RC_LOCALE, RC_STUDENT_ID };
static const struct db_stmt q_record = {
    "applications_record",
    "SELECT json_build_object('gpa', s.gpa, 'year_of_study', s.year_of_study, "
    "'degree', s.degree, 'college_code', s.college_code, "
    "'department_code', s.department_code, 'enrollment_status', s.enrollment_status, "
    "'nationality', s.nationality, 'gender', s.gender, "
    "'identity_category', s.identity_category, 'class_rank_percent', s.class_rank_percent, "
    "'terms_enrolled', s.terms_enrolled, 'student_number', s.student_number)::text, "
    "s.student_number, u.locale, s.id FROM students s "
    "JOIN users u ON lower(u.email) = lower(s.email) "
    "WHERE u.id = $1::uuid AND u.email_verified AND u.active",
    1};

enum pcol { PC_OPEN, PC_RULES, PC_SUB_TYPES, PC_SELECTION, PC_YEAR, PC_TERM, PC_EXCLUDED };
static const struct db_stmt q_period = {
    "applications_period",
    "SELECT (p.status = 'open' AND s.status = 'active' AND p.opens_at <= now() "
    "AND now() < p.closes_at), p.eligibility_rules::text, s.sub_types::text, "
    "s.sub_type_selection, p.academic_year, p.term, "
    "(p.whitelist IS NOT NULL AND NOT p.whitelist @> jsonb_build_array($2::text)) "
    "FROM periods p JOIN scholarships s ON s.id = p.scholarship_id "
    "WHERE p.id = $1::uuid FOR SHARE OF p",
    2};
static const struct db_stmt q_app_no = {
    "applications_app_no",
    "INSERT INTO app_no_sequences AS q (academic_year, term, last) VALUES ($1::int, $2::smallint, "
    "1) "
    "ON CONFLICT (academic_year, term) DO UPDATE SET last = q.last + 1 "
    "RETURNING 'APP-' || q.academic_year || '-' || q.term || '-' || lpad(q.last::text, 5, '0')",
    2};
static const struct db_stmt q_insert = {
    "applications_insert",
    "INSERT INTO applications (app_no, period_id, student_id, user_id, sub_types, "
    "eligibility_snapshot) SELECT $1, $2::uuid, $3::uuid, $4::uuid, "
    "ARRAY(SELECT jsonb_array_elements_text($5::jsonb)), $6::jsonb RETURNING id",
    6};
static const struct db_stmt q_history = {
    "applications_history",
    "INSERT INTO application_status_history (application_id, from_status, to_status, actor_id, "
    "reason) VALUES ($1::uuid, $2, $3, $4::uuid, $5)",
    5};
enum acol { AC_JSON, AC_VERSION, AC_STATUS, AC_ID };
static const struct db_stmt q_get = {"applications_get",
                                     "SELECT " APP_JSON ", a.version, a.status, a.id" APP_FROM
                                     "WHERE a.id = $1::uuid AND " APP_SEES,
                                     4};
static const struct db_stmt q_lock_own = {
    "applications_lock_own",
    "SELECT " APP_JSON ", a.version, a.status, a.id" APP_FROM
    "WHERE a.id = $1::uuid AND a.user_id = $2::uuid FOR UPDATE OF a",
    2};
static const struct db_stmt q_withdraw = {
    "applications_withdraw",
    "UPDATE applications SET status = 'withdrawn', version = version + 1, updated_at = now() "
    "WHERE id = $1::uuid",
    1};
static const struct db_stmt q_delete = {
    "applications_delete", "DELETE FROM applications WHERE id = $1::uuid AND status = 'draft'", 1};

/* Statuses a student may withdraw from: before any decision. */
static const char *const withdrawable[] = {
    "draft", "submitted", "under_review", "pending_documents", "returned", NULL};

static const struct vfield sub_type_item = {.type = VT_STRING, .min = 1, .max = 32};
static const struct vfield create_fields[] = {
    {.name = "period_id", .type = VT_UUID, .flags = VF_REQUIRED},
    {.name = "sub_types", .type = VT_ARRAY, .min = 0, .max = 32, .item = &sub_type_item},
};
static const struct vfield withdraw_fields[] = {
    {.name = "reason", .type = VT_STRING, .flags = VF_NULLABLE, .min = 1, .max = 2000},
};

static const char no_record[] = "no student record is linked to your account (the record's "
                                "email must equal your verified email)";
static const char duplicate[] = "you already have an application for this period";
static const char not_found[] = "there is no such application";

static int begin(struct ctx *c)
{
	if (db_begin(&c->w->db) == 0)
		return 0;
	handler_unavailable(c, "the database is unavailable");
	return -1;
}

static void plain_db_fail(struct ctx *c, enum db_err err)
{
	if (db_err_status(err) == 503)
		handler_unavailable(c, "the database is unavailable, retry shortly");
	else
		resp_problem(c->resp, c->req, 500, NULL, NULL, 0);
}

/* Column col of row 0 parsed (arena-owned), or NULL (logged). */
static cJSON *parsed(struct ctx *c, const PGresult *r, int col)
{
	const char *why = NULL;
	cJSON *j =
	    json_parse(c->arena, PQgetvalue(r, 0, col), (size_t)PQgetlength(r, 0, col), &why);

	if (j == NULL)
		log_error("applications: column %d does not parse: %s", col, why ? why : "?");
	return j;
}

/* Does the scholarship's sub_types list code? */
static int sub_type_exists(const cJSON *subs, const char *code)
{
	const cJSON *it;

	cJSON_ArrayForEach(it, subs)
	{
		const char *k = json_str(it, "code");

		if (k != NULL && strcmp(k, code) == 0)
			return 1;
	}
	return 0;
}

static int sub_type_open(const struct elig_result *r, const char *code)
{
	size_t i;

	for (i = 0; i < r->nopen; i++)
		if (strcmp(r->open_sub_types[i], code) == 0)
			return 1;
	return 0;
}

/*
 * The rules' verdict as 422 errors: the whitelist, every failed hard rule
 * of the whole scholarship; when none of those failed but no sub-type is
 * open, the failed hard rules of the sub-types. Then each requested
 * sub-type that does not exist, repeats, or is not open, and a second
 * choice under single selection.
 */
static void check_eligibility(struct ctx *c, const struct elig_result *r, int excluded,
                              const cJSON *subs, const cJSON *want, int single, int en,
                              struct verrors *e)
{
	const cJSON *it, *jt;
	size_t i, before = e->n;
	int nwant = cJSON_GetArraySize(want), nsubs = cJSON_GetArraySize(subs);

	if (excluded)
		verrors_add(e, "eligibility.student_number",
		            en ? "not on the whitelist" : "不在名單內");
	for (i = 0; i < r->nrules; i++)
		if (r->rules[i].hard && !r->rules[i].passed && r->rules[i].sub_type == NULL)
			verrors_add(e, arena_printf(c->arena, "eligibility.%s", r->rules[i].field),
			            r->rules[i].message);
	if (e->n == before && !r->eligible)
		for (i = 0; i < r->nrules; i++)
			if (r->rules[i].hard && !r->rules[i].passed)
				verrors_add(
				    e, arena_printf(c->arena, "eligibility.%s", r->rules[i].field),
				    r->rules[i].message);
	if (e->n > before)
		return;
	if (nsubs > 0 && nwant == 0)
		verrors_add(e, "sub_types", "choose at least one sub-type");
	else if (nsubs == 0 && nwant > 0)
		verrors_add(e, "sub_types", "this scholarship has no sub-types");
	else if (single && nwant > 1)
		verrors_add(e, "sub_types", "this scholarship takes one sub-type only");
	if (nsubs == 0)
		return;
	cJSON_ArrayForEach(it, want)
	{
		const char *code = it->valuestring;

		for (jt = want->child; jt != it; jt = jt->next)
			if (strcmp(jt->valuestring, code) == 0)
				break;
		if (jt != it)
			verrors_add(e, "sub_types",
			            arena_printf(c->arena, "%s is listed twice", code));
		else if (!sub_type_exists(subs, code))
			verrors_add(e, "sub_types",
			            arena_printf(c->arena,
			                         "%s is not a sub-type of this scholarship", code));
		else if (!sub_type_open(r, code))
			verrors_add(e, "sub_types",
			            arena_printf(c->arena, "%s is not open to you", code));
	}
}

/* Audit, commit and answer status with the application as it now is
 * (read back inside the transaction). */
static void finish(struct ctx *c, int status, const char *action, const char *id,
                   const char *before)
{
	const char *p[4];
	enum db_err err;
	PGresult *r;

	p[0] = id, p[1] = c->user_id, p[2] = "false", p[3] = NULL;
	if ((r = db_exec(&c->w->db, c->arena, &q_get, p, &err, NULL)) == NULL ||
	    PQntuples(r) != 1) {
		scholarships_db_fail(c, r == NULL ? err : DB_FAILED, duplicate);
		return;
	}
	if (audit_record(c, NULL, action, "application", id, before, PQgetvalue(r, 0, AC_JSON)) <
	        0 ||
	    db_commit(&c->w->db) < 0) {
		db_rollback(&c->w->db);
		handler_unavailable(c, "the request could not be completed; try again");
		return;
	}
	if (status == 201)
		resp_header(c->resp, "Location",
		            arena_printf(c->arena, "/api/v1/applications/%s", id));
	scholarships_answer(c, status, PQgetvalue(r, 0, AC_JSON), PQgetvalue(r, 0, AC_VERSION));
}

void applications_create(struct ctx *c)
{
	const char *p[6], *locale, *period_id, *student_id, *app_no, *id, *snap, *want_text;
	enum db_err err;
	PGresult *rec, *per, *r;
	cJSON *record, *rules, *subs, *want;
	struct elig_result res;
	struct verrors e;
	char year[16], term[8];

	if (handler_body(c, create_fields, NFIELDS(create_fields), 1) < 0)
		return;
	period_id = json_str(c->body, "period_id");
	want = cJSON_GetObjectItemCaseSensitive(c->body, "sub_types");
	if (want == NULL && (want = json_new_array(c->arena)) == NULL) {
		resp_problem(c->resp, c->req, 500, NULL, NULL, 0);
		return;
	}
	p[0] = c->user_id;
	if ((rec = db_exec(&c->w->db, c->arena, &q_record, p, &err, NULL)) == NULL) {
		plain_db_fail(c, err);
		return;
	}
	if (PQntuples(rec) != 1) {
		handler_invalid(c, "student", no_record);
		return;
	}
	if ((record = parsed(c, rec, RC_RECORD)) == NULL) {
		resp_problem(c->resp, c->req, 500, NULL, NULL, 0);
		return;
	}
	locale = PQgetisnull(rec, 0, RC_LOCALE) ? "zh-TW" : PQgetvalue(rec, 0, RC_LOCALE);
	student_id = PQgetvalue(rec, 0, RC_STUDENT_ID);

	if (begin(c) < 0)
		return;
	p[0] = period_id, p[1] = PQgetvalue(rec, 0, RC_NUMBER);
	if ((per = db_exec(&c->w->db, c->arena, &q_period, p, &err, NULL)) == NULL) {
		scholarships_db_fail(c, err, duplicate);
		return;
	}
	if (PQntuples(per) != 1) {
		db_rollback(&c->w->db);
		handler_invalid(c, "period_id", "there is no such period");
		return;
	}
	if (strcmp(PQgetvalue(per, 0, PC_OPEN), "t") != 0) {
		scholarships_refuse(c, 409, "the period is not open for applications now");
		return;
	}
	if ((rules = parsed(c, per, PC_RULES)) == NULL ||
	    (subs = parsed(c, per, PC_SUB_TYPES)) == NULL ||
	    eligibility_evaluate(c->arena, rules, record, subs, locale, &res) < 0) {
		scholarships_db_fail(c, DB_FAILED, duplicate);
		return;
	}
	verrors_init(&e, c->arena);
	check_eligibility(c, &res, strcmp(PQgetvalue(per, 0, PC_EXCLUDED), "t") == 0, subs, want,
	                  strcmp(PQgetvalue(per, 0, PC_SELECTION), "single") == 0,
	                  strcmp(locale, "en") == 0, &e);
	if (e.n > 0 || e.oom) {
		db_rollback(&c->w->db);
		scholarships_invalid(c, &e);
		return;
	}
	if ((snap = json_print(c->arena, eligibility_to_json(c->arena, &res))) == NULL ||
	    (want_text = json_print(c->arena, want)) == NULL) {
		scholarships_db_fail(c, DB_FAILED, duplicate);
		return;
	}
	snprintf(year, sizeof(year), "%s", PQgetvalue(per, 0, PC_YEAR));
	snprintf(term, sizeof(term), "%s", PQgetvalue(per, 0, PC_TERM));
	p[0] = year, p[1] = term;
	if ((r = db_exec(&c->w->db, c->arena, &q_app_no, p, &err, NULL)) == NULL) {
		scholarships_db_fail(c, err, duplicate);
		return;
	}
	app_no = PQgetvalue(r, 0, 0);
	p[0] = app_no, p[1] = period_id, p[2] = student_id, p[3] = c->user_id, p[4] = want_text;
	p[5] = snap;
	if ((r = db_exec(&c->w->db, c->arena, &q_insert, p, &err, NULL)) == NULL) {
		scholarships_db_fail(c, err, duplicate);
		return;
	}
	id = PQgetvalue(r, 0, 0);
	p[0] = id, p[1] = NULL, p[2] = "draft", p[3] = c->user_id, p[4] = NULL;
	if (db_exec(&c->w->db, c->arena, &q_history, p, &err, NULL) == NULL) {
		scholarships_db_fail(c, err, duplicate);
		return;
	}
	finish(c, 201, "application.created", id, NULL);
}

void applications_get(struct ctx *c)
{
	const char *p[4];
	enum db_err err;
	PGresult *r;

	p[0] = c->req->path_ids[0];
	p[1] = c->role == ROLE_STUDENT ? c->user_id : NULL;
	scholarships_scope(c, &p[2], &p[3]);
	if ((r = db_exec(&c->w->db, c->arena, &q_get, p, &err, NULL)) == NULL) {
		plain_db_fail(c, err);
		return;
	}
	if (PQntuples(r) != 1) {
		resp_problem(c->resp, c->req, 404, not_found, NULL, 0);
		return;
	}
	scholarships_answer(c, 200, PQgetvalue(r, 0, AC_JSON), PQgetvalue(r, 0, AC_VERSION));
}

/* Lock the caller's own application of the path; NULL when answered. */
static PGresult *lock_own(struct ctx *c)
{
	const char *p[2] = {c->req->path_ids[0], c->user_id};
	enum db_err err;
	PGresult *r;

	if (begin(c) < 0)
		return NULL;
	if ((r = db_exec(&c->w->db, c->arena, &q_lock_own, p, &err, NULL)) == NULL)
		scholarships_db_fail(c, err, duplicate);
	else if (PQntuples(r) != 1)
		scholarships_refuse(c, 404, not_found);
	else
		return r;
	return NULL;
}

void applications_withdraw(struct ctx *c)
{
	const char *p[5], *from;
	enum db_err err;
	PGresult *cur;
	size_t i;

	if (handler_body(c, withdraw_fields, NFIELDS(withdraw_fields), 0) < 0 ||
	    (cur = lock_own(c)) == NULL)
		return;
	from = PQgetvalue(cur, 0, AC_STATUS);
	for (i = 0; withdrawable[i] != NULL && strcmp(withdrawable[i], from) != 0; i++)
		;
	if (withdrawable[i] == NULL) {
		scholarships_refuse(
		    c, 409,
		    arena_printf(c->arena, "an application cannot be withdrawn when %s", from));
		return;
	}
	p[0] = PQgetvalue(cur, 0, AC_ID);
	if (db_exec(&c->w->db, c->arena, &q_withdraw, p, &err, NULL) == NULL) {
		scholarships_db_fail(c, err, duplicate);
		return;
	}
	p[1] = from, p[2] = "withdrawn", p[3] = c->user_id;
	p[4] = c->body != NULL ? json_str(c->body, "reason") : NULL;
	if (db_exec(&c->w->db, c->arena, &q_history, p, &err, NULL) == NULL) {
		scholarships_db_fail(c, err, duplicate);
		return;
	}
	finish(c, 200, "application.withdrawn", p[0], PQgetvalue(cur, 0, AC_JSON));
}

void applications_delete(struct ctx *c)
{
	const char *p[1];
	enum db_err err;
	PGresult *cur;

	if ((cur = lock_own(c)) == NULL)
		return;
	if (strcmp(PQgetvalue(cur, 0, AC_STATUS), "draft") != 0) {
		scholarships_refuse(c, 409, "only a draft can be deleted; withdraw it instead");
		return;
	}
	p[0] = PQgetvalue(cur, 0, AC_ID);
	if (db_exec(&c->w->db, c->arena, &q_delete, p, &err, NULL) == NULL) {
		scholarships_db_fail(c, err, duplicate);
		return;
	}
	if (audit_record(c, NULL, "application.deleted", "application", p[0],
	                 PQgetvalue(cur, 0, AC_JSON), NULL) < 0 ||
	    db_commit(&c->w->db) < 0) {
		db_rollback(&c->w->db);
		handler_unavailable(c, "the request could not be completed; try again");
		return;
	}
	resp_empty(c->resp, 204);
}

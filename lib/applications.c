/*
 * applications.c -- create, read, withdraw and delete applications, and
 * the pieces every application route shares (applications_int.h).
 *
 * Create, inside one transaction, reads the caller's student record
 * (linked by email, exactly as GET /students/me and GET /eligibility find
 * it), locks the period (FOR SHARE, so its status and rules hold until
 * commit), checks that it is open now, evaluates its rules with the pure
 * engine of eligibility.h, checks the requested sub-types, takes the next
 * app_no of the period's academic year and term (a row lock on
 * app_no_sequences: concurrent creates wait, numbers stay consecutive and
 * a rolled-back create gives its number back), inserts the draft with the
 * result of the rules as its eligibility_snapshot and writes its first
 * history row and its audit row. A second live application for the same
 * period fails on the partial unique index (23505, DB_CONFLICT): 409.
 *
 * Scope is one condition per role (APP_SCOPE_*) for reads; changes lock the row
 * FOR UPDATE under the owner's or the managing admin's condition, so
 * anybody else's application is 404 to them.
 */
#include "applications.h"
#include "applications_int.h"

#include "application_status.h"
#include "arena.h"
#include "audit.h"
#include "handler.h"
#include "http.h"
#include "json.h"
#include "log.h"
#include "router.h"
#include "storage.h"
#include "validate.h"
#include "worker.h"

#include <stdio.h>
#include <string.h>

#define NFIELDS(t) (sizeof(t) / sizeof((t)[0]))

/* clang-format off */
/* What app_lock adds to the record (enum app_col from AC_ANSWERS). */
#define APP_LOCK_COLS \
	"SELECT " APP_JSON ", a.version, a.status, a.id, a.answers::text, a.period_id, " \
	"p.form_fields::text, p.terms_document, " \
	"(now() < COALESCE(a.resubmit_until, p.closes_at) AND p.status IN ('open', 'closed')), " \
	"CASE WHEN p.requires_reviewer_review THEN 'reviewer' " \
	"WHEN p.requires_college_review THEN 'college' ELSE 'admin' END" APP_FROM
/* clang-format on */

const char app_not_found[] = "there is no such application";
const char app_duplicate[] = "you already have an application for this period";

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
#define APP_GET(scope)                                                                             \
	"SELECT " APP_JSON ", a.version, a.status, a.id" APP_FROM "WHERE a.id = $2::uuid "         \
	"AND " scope
static const struct db_stmt q_get[SC__MAX] = {
    [SC_STUDENT] = {"applications_get_student", APP_GET(APP_SCOPE_STUDENT), 2},
    [SC_REVIEWER] = {"applications_get_reviewer", APP_GET(APP_SCOPE_REVIEWER), 2},
    [SC_COLLEGE] = {"applications_get_college", APP_GET(APP_SCOPE_COLLEGE), 2},
    [SC_ADMIN] = {"applications_get_admin", APP_GET(APP_SCOPE_ADMIN), 2},
    [SC_ALL] = {"applications_get_all", APP_GET(APP_SCOPE_ALL), 2},
};
static const struct db_stmt q_lock_own = {
    "applications_lock_own",
    APP_LOCK_COLS "WHERE a.id = $1::uuid AND a.user_id = $2::uuid FOR UPDATE OF a", 2};
static const struct db_stmt q_lock_staff = {
    "applications_lock_staff",
    APP_LOCK_COLS "WHERE a.id = $1::uuid AND " SCH_EDITS(2, 3, "s") " FOR UPDATE OF a", 3};
static const struct db_stmt q_withdraw = {
    "applications_withdraw",
    "UPDATE applications SET status = 'withdrawn', version = version + 1, updated_at = now() "
    "WHERE id = $1::uuid",
    1};
/* A draft's documents go with it: their keys come back so that the
 * objects are removed once the rows are gone. */
static const struct db_stmt q_delete = {
    "applications_delete",
    "WITH gone AS (DELETE FROM applications WHERE id = $1::uuid AND status = 'draft' "
    "RETURNING id) SELECT d.storage_key FROM documents d JOIN gone ON gone.id = d.application_id",
    1};

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

/* ---- shared ------------------------------------------------------------- */

enum app_scope app_scope_of(const struct ctx *c, const char **value)
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
	case ROLE_SUPER_ADMIN:
		*value = NULL;
		return SC_ALL;
	default:
		*value = "";
		return SC_COLLEGE; /* no role: a college no row belongs to */
	}
}

int app_begin(struct ctx *c)
{
	if (db_begin(&c->w->db) == 0)
		return 0;
	handler_unavailable(c, "the database is unavailable");
	return -1;
}

void app_db_fail(struct ctx *c, enum db_err err)
{
	if (db_err_status(err) == 503)
		handler_unavailable(c, "the database is unavailable, retry shortly");
	else
		resp_problem(c->resp, c->req, 500, NULL, NULL, 0);
}

cJSON *app_parsed(struct ctx *c, const PGresult *r, int col)
{
	const char *why = NULL;
	cJSON *j =
	    json_parse(c->arena, PQgetvalue(r, 0, col), (size_t)PQgetlength(r, 0, col), &why);

	if (j == NULL)
		log_error("applications: column %d does not parse: %s", col, why ? why : "?");
	return j;
}

PGresult *app_lock(struct ctx *c, int own)
{
	const char *p[3] = {c->req->path_ids[0], c->user_id, NULL};
	enum db_err err;
	PGresult *r;

	if (!own)
		scholarships_scope(c, &p[1], &p[2]);
	if (app_begin(c) < 0)
		return NULL;
	if ((r = db_exec(&c->w->db, c->arena, own ? &q_lock_own : &q_lock_staff, p, &err, NULL)) ==
	    NULL)
		scholarships_db_fail(c, err, app_duplicate);
	else if (PQntuples(r) != 1)
		scholarships_refuse(c, 404, app_not_found);
	else
		return r;
	return NULL;
}

int app_evaluate(struct ctx *c, const char *period_id, struct app_eval *ev)
{
	const char *p[2];
	enum db_err err;
	PGresult *rec, *per;
	cJSON *record, *rules;

	memset(ev, 0, sizeof(*ev));
	p[0] = c->user_id;
	if ((rec = db_exec(&c->w->db, c->arena, &q_record, p, &err, NULL)) == NULL) {
		scholarships_db_fail(c, err, app_duplicate);
		return -1;
	}
	if (PQntuples(rec) != 1) {
		db_rollback(&c->w->db);
		handler_invalid(c, "student", no_record);
		return -1;
	}
	ev->locale = PQgetisnull(rec, 0, RC_LOCALE) ? "zh-TW" : PQgetvalue(rec, 0, RC_LOCALE);
	ev->en = strcmp(ev->locale, "en") == 0;
	ev->student_id = PQgetvalue(rec, 0, RC_STUDENT_ID);
	p[0] = period_id, p[1] = PQgetvalue(rec, 0, RC_NUMBER);
	if ((per = db_exec(&c->w->db, c->arena, &q_period, p, &err, NULL)) == NULL) {
		scholarships_db_fail(c, err, app_duplicate);
		return -1;
	}
	if (PQntuples(per) != 1) {
		db_rollback(&c->w->db);
		handler_invalid(c, "period_id", "there is no such period");
		return -1;
	}
	ev->open = strcmp(PQgetvalue(per, 0, PC_OPEN), "t") == 0;
	ev->excluded = strcmp(PQgetvalue(per, 0, PC_EXCLUDED), "t") == 0;
	ev->single = strcmp(PQgetvalue(per, 0, PC_SELECTION), "single") == 0;
	if ((record = app_parsed(c, rec, RC_RECORD)) == NULL ||
	    (rules = app_parsed(c, per, PC_RULES)) == NULL ||
	    (ev->subs = app_parsed(c, per, PC_SUB_TYPES)) == NULL ||
	    eligibility_evaluate(c->arena, rules, record, ev->subs, ev->locale, &ev->res) < 0) {
		scholarships_db_fail(c, DB_FAILED, app_duplicate);
		return -1;
	}
	return 0;
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
 * The whitelist, every failed hard rule of the whole scholarship; when
 * none of those failed but no sub-type is open, the failed hard rules of
 * the sub-types.
 */
void app_check_eligibility(struct ctx *c, const struct app_eval *ev, struct verrors *e)
{
	const struct elig_result *r = &ev->res;
	size_t i, before = e->n;

	if (ev->excluded)
		verrors_add(e, "eligibility.student_number",
		            ev->en ? "not on the whitelist" : "不在名單內");
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
}

/* Each requested sub-type that does not exist, repeats, or is not open,
 * and a second choice under single selection. */
void app_check_sub_types(struct ctx *c, const struct app_eval *ev, const cJSON *want,
                         struct verrors *e)
{
	const cJSON *it, *jt;
	int nwant = cJSON_GetArraySize(want), nsubs = cJSON_GetArraySize(ev->subs);

	if (nsubs > 0 && nwant == 0)
		verrors_add(e, "sub_types", "choose at least one sub-type");
	else if (nsubs == 0 && nwant > 0)
		verrors_add(e, "sub_types", "this scholarship has no sub-types");
	else if (ev->single && nwant > 1)
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
		else if (!sub_type_exists(ev->subs, code))
			verrors_add(e, "sub_types",
			            arena_printf(c->arena,
			                         "%s is not a sub-type of this scholarship", code));
		else if (!sub_type_open(&ev->res, code))
			verrors_add(e, "sub_types",
			            arena_printf(c->arena, "%s is not open to you", code));
	}
}

int app_history(struct ctx *c, const char *id, const char *from, const char *to, const char *reason)
{
	const char *p[5] = {id, from, to, c->user_id, reason};
	enum db_err err;

	if (db_exec(&c->w->db, c->arena, &q_history, p, &err, NULL) != NULL)
		return 0;
	scholarships_db_fail(c, err, app_duplicate);
	return -1;
}

void app_finish(struct ctx *c, int status, const char *action, const char *id, const char *before)
{
	const char *p[2];
	enum db_err err;
	PGresult *r;

	p[0] = NULL, p[1] = id;
	if ((r = db_exec(&c->w->db, c->arena, &q_get[SC_ALL], p, &err, NULL)) == NULL ||
	    PQntuples(r) != 1) {
		scholarships_db_fail(c, r == NULL ? err : DB_FAILED, app_duplicate);
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

/* ---- routes ------------------------------------------------------------- */

/* The next app_no of the period's year and term, or NULL when answered. */
static const char *next_app_no(struct ctx *c, const char *period_id)
{
	static const struct db_stmt q_year = {
	    "applications_year", "SELECT academic_year, term FROM periods WHERE id = $1::uuid", 1};
	const char *p[2] = {period_id, NULL};
	enum db_err err;
	PGresult *r;

	if ((r = db_exec(&c->w->db, c->arena, &q_year, p, &err, NULL)) == NULL ||
	    PQntuples(r) != 1) {
		scholarships_db_fail(c, r == NULL ? err : DB_FAILED, app_duplicate);
		return NULL;
	}
	p[0] = PQgetvalue(r, 0, 0), p[1] = PQgetvalue(r, 0, 1);
	if ((r = db_exec(&c->w->db, c->arena, &q_app_no, p, &err, NULL)) == NULL) {
		scholarships_db_fail(c, err, app_duplicate);
		return NULL;
	}
	return PQgetvalue(r, 0, 0);
}

void applications_create(struct ctx *c)
{
	const char *p[6], *period_id, *app_no, *id, *snap, *want_text;
	enum db_err err;
	PGresult *r;
	cJSON *want;
	struct app_eval ev;
	struct verrors e;

	if (handler_body(c, create_fields, NFIELDS(create_fields), 1) < 0)
		return;
	period_id = json_str(c->body, "period_id");
	want = cJSON_GetObjectItemCaseSensitive(c->body, "sub_types");
	if (want == NULL && (want = json_new_array(c->arena)) == NULL) {
		resp_problem(c->resp, c->req, 500, NULL, NULL, 0);
		return;
	}
	if (app_begin(c) < 0 || app_evaluate(c, period_id, &ev) < 0)
		return;
	if (!ev.open) {
		scholarships_refuse(c, 409, "the period is not open for applications now");
		return;
	}
	verrors_init(&e, c->arena);
	app_check_eligibility(c, &ev, &e);
	if (e.n == 0)
		app_check_sub_types(c, &ev, want, &e);
	if (e.n > 0 || e.oom) {
		db_rollback(&c->w->db);
		scholarships_invalid(c, &e);
		return;
	}
	if ((snap = json_print(c->arena, eligibility_to_json(c->arena, &ev.res))) == NULL ||
	    (want_text = json_print(c->arena, want)) == NULL) {
		scholarships_db_fail(c, DB_FAILED, app_duplicate);
		return;
	}
	if ((app_no = next_app_no(c, period_id)) == NULL)
		return;
	p[0] = app_no, p[1] = period_id, p[2] = ev.student_id, p[3] = c->user_id;
	p[4] = want_text, p[5] = snap;
	if ((r = db_exec(&c->w->db, c->arena, &q_insert, p, &err, NULL)) == NULL) {
		scholarships_db_fail(c, err, app_duplicate);
		return;
	}
	id = PQgetvalue(r, 0, 0);
	if (app_history(c, id, NULL, "draft", NULL) < 0)
		return;
	app_finish(c, 201, "application.created", id, NULL);
}

void applications_get(struct ctx *c)
{
	const char *p[2] = {NULL, c->req->path_ids[0]};
	enum app_scope sc = app_scope_of(c, &p[0]);
	enum db_err err;
	PGresult *r;

	if ((r = db_exec(&c->w->db, c->arena, &q_get[sc], p, &err, NULL)) == NULL) {
		app_db_fail(c, err);
		return;
	}
	if (PQntuples(r) != 1) {
		resp_problem(c->resp, c->req, 404, app_not_found, NULL, 0);
		return;
	}
	scholarships_answer(c, 200, PQgetvalue(r, 0, AC_JSON), PQgetvalue(r, 0, AC_VERSION));
}

void applications_withdraw(struct ctx *c)
{
	const char *p[1], *from;
	enum db_err err;
	PGresult *cur;

	if (handler_body(c, withdraw_fields, NFIELDS(withdraw_fields), 0) < 0 ||
	    (cur = app_lock(c, 1)) == NULL)
		return;
	from = PQgetvalue(cur, 0, AC_STATUS);
	if (!appstatus_withdrawable(from)) {
		scholarships_refuse(
		    c, 409,
		    arena_printf(c->arena, "an application cannot be withdrawn when %s", from));
		return;
	}
	p[0] = PQgetvalue(cur, 0, AC_ID);
	if (db_exec(&c->w->db, c->arena, &q_withdraw, p, &err, NULL) == NULL) {
		scholarships_db_fail(c, err, app_duplicate);
		return;
	}
	if (app_history(c, p[0], from, "withdrawn",
	                c->body != NULL ? json_str(c->body, "reason") : NULL) < 0)
		return;
	app_finish(c, 200, "application.withdrawn", p[0], PQgetvalue(cur, 0, AC_JSON));
}

void applications_delete(struct ctx *c)
{
	const char *p[1];
	enum db_err err;
	PGresult *cur, *keys;
	int i;

	if ((cur = app_lock(c, 1)) == NULL)
		return;
	if (strcmp(PQgetvalue(cur, 0, AC_STATUS), "draft") != 0) {
		scholarships_refuse(c, 409, "only a draft can be deleted; withdraw it instead");
		return;
	}
	p[0] = PQgetvalue(cur, 0, AC_ID);
	if ((keys = db_exec(&c->w->db, c->arena, &q_delete, p, &err, NULL)) == NULL) {
		scholarships_db_fail(c, err, app_duplicate);
		return;
	}
	if (audit_record(c, NULL, "application.deleted", "application", p[0],
	                 PQgetvalue(cur, 0, AC_JSON), NULL) < 0 ||
	    db_commit(&c->w->db) < 0) {
		db_rollback(&c->w->db);
		handler_unavailable(c, "the request could not be completed; try again");
		return;
	}
	/* An object a failed unlink leaves behind has no row: swept later. */
	for (i = 0; i < PQntuples(keys); i++)
		storage_remove(c->w->cfg, PQgetvalue(keys, i, 0));
	resp_empty(c->resp, 204);
}

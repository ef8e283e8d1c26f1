/*
 * eligibility_api.c -- GET /api/v1/eligibility of eligibility_api.h.
 *
 * Two statements: the caller's record (with their locale), then every
 * period that is open now -- status 'open', of an active scholarship, its
 * window containing now() (opens_at <= now() < closes_at) -- ordered by
 * closes_at. PostgreSQL builds the scholarship and period summaries and
 * decides the whitelist; each period's rules are evaluated here by the
 * pure engine (eligibility_evaluate) and the answer is one item per row.
 *
 * The whitelist: a period whose whitelist is not null and does not list
 * the student's number gets one more rule result after its own, {field
 * "student_number", operator "in", passed false, hard true, sub_type null,
 * message "not on the whitelist" / "不在名單內"}, which makes the student
 * ineligible and closes every sub-type (as any failing hard rule for the
 * whole scholarship does). A student on the list sees no such line.
 *
 * applied and application_id come from the student's live application
 * for the period (not withdrawn or cancelled), found by the same query.
 */
#include "eligibility_api.h"

#include "arena.h"
#include "buf.h"
#include "eligibility.h"
#include "handler.h"
#include "http.h"
#include "json.h"
#include "log.h"
#include "scholarships.h"
#include "worker.h"

#include <string.h>

/* The plain registrar fields a rule may test (never the sealed columns),
 * and student_number for the whitelist. numeric and smallint columns
 * come out as JSON numbers. */
static const struct db_stmt q_record = {
    "eligibility_record",
    "SELECT json_build_object('gpa', s.gpa, 'year_of_study', s.year_of_study, "
    "'degree', s.degree, 'college_code', s.college_code, "
    "'department_code', s.department_code, 'enrollment_status', s.enrollment_status, "
    "'nationality', s.nationality, 'gender', s.gender, "
    "'identity_category', s.identity_category, 'class_rank_percent', s.class_rank_percent, "
    "'terms_enrolled', s.terms_enrolled, 'student_number', s.student_number)::text, "
    "s.student_number, u.locale FROM students s "
    "JOIN users u ON lower(u.email) = lower(s.email) "
    "WHERE u.id = $1::uuid AND u.email_verified AND u.active",
    1};

enum pcol {
	PC_PERIOD_ID,
	PC_SCH_ID,
	PC_SCH,
	PC_PERIOD,
	PC_RULES,
	PC_SUB_TYPES,
	PC_EXCLUDED,
	PC_APPLICATION
};

/* clang-format off */
static const struct db_stmt q_open = {
    "eligibility_open_periods",
    "SELECT p.id, s.id, "
    "json_build_object('id', s.id, 'code', s.code, 'name', s.name, 'name_en', s.name_en, "
    "'sub_types', s.sub_types, 'sub_type_selection', s.sub_type_selection, "
    "'currency', s.currency)::text, "
    "json_build_object('id', p.id, 'academic_year', p.academic_year, 'term', p.term, "
    "'label', p.label, 'opens_at', " SCH_UTC("p.opens_at") ", "
    "'closes_at', " SCH_UTC("p.closes_at") ", 'status', p.status)::text, "
    "p.eligibility_rules::text, s.sub_types::text, "
    "(p.whitelist IS NOT NULL AND NOT p.whitelist @> jsonb_build_array($1::text)), "
    "(SELECT a.id FROM applications a JOIN students st ON st.id = a.student_id "
    "WHERE a.period_id = p.id AND st.student_number = $1 "
    "AND a.status NOT IN ('withdrawn', 'cancelled') LIMIT 1) "
    "FROM periods p JOIN scholarships s ON s.id = p.scholarship_id "
    "WHERE p.status = 'open' AND s.status = 'active' "
    "AND p.opens_at <= now() AND now() < p.closes_at "
    "ORDER BY p.closes_at, p.id",
    1};
/* clang-format on */

static const char no_record[] = "no student record is linked to your account (the record's "
                                "email must equal your verified email)";

static void db_failed(struct ctx *c, enum db_err err)
{
	if (db_err_status(err) == 503)
		handler_unavailable(c, "the database is unavailable, retry shortly");
	else
		resp_problem(c->resp, c->req, 500, NULL, NULL, 0);
}

/* Column col of row i parsed (arena-owned), or NULL. */
static cJSON *parsed(struct ctx *c, const PGresult *res, int i, int col)
{
	const char *why = NULL;
	cJSON *j =
	    json_parse(c->arena, PQgetvalue(res, i, col), (size_t)PQgetlength(res, i, col), &why);

	if (j == NULL)
		log_error("eligibility: column %d of an open period does not parse: %s", col,
		          why ? why : "?");
	return j;
}

/* r with the failing whitelist rule appended: ineligible, nothing open. */
static int exclude(struct arena *a, struct elig_result *r, int en)
{
	struct elig_rule_result *rules = arena_calloc(a, r->nrules + 1, sizeof(*rules));

	if (rules == NULL)
		return -1;
	if (r->nrules > 0)
		memcpy(rules, r->rules, r->nrules * sizeof(*rules));
	rules[r->nrules] = (struct elig_rule_result){
	    .field = "student_number",
	    .op = "in",
	    .sub_type = NULL,
	    .message = en ? "not on the whitelist" : "不在名單內",
	    .passed = 0,
	    .hard = 1,
	};
	r->rules = rules;
	r->nrules++;
	r->eligible = 0;
	r->nopen = 0;
	return 0;
}

/* applied and application_id: the student's live application (not
 * withdrawn or cancelled) for the period, if any. */
static int add_application(cJSON *o, const PGresult *res, int i)
{
	int applied = !PQgetisnull(res, i, PC_APPLICATION);

	if (cJSON_AddBoolToObject(o, "applied", applied) == NULL)
		return -1;
	if (applied)
		return cJSON_AddStringToObject(o, "application_id",
		                               PQgetvalue(res, i, PC_APPLICATION))
		           ? 0
		           : -1;
	return cJSON_AddNullToObject(o, "application_id") ? 0 : -1;
}

/* Append row i's item to b; 0, or -1 (500 to answer). */
static int item(struct ctx *c, const PGresult *res, int i, const cJSON *record, const char *locale,
                struct buf *b)
{
	cJSON *rules = parsed(c, res, i, PC_RULES), *subs = parsed(c, res, i, PC_SUB_TYPES), *o;
	struct elig_result r;
	char *text;

	if (rules == NULL || subs == NULL ||
	    eligibility_evaluate(c->arena, rules, record, subs, locale, &r) < 0)
		return -1;
	if (strcmp(PQgetvalue(res, i, PC_EXCLUDED), "t") == 0 &&
	    exclude(c->arena, &r, strcmp(locale, "en") == 0) < 0)
		return -1;
	if ((o = eligibility_to_json(c->arena, &r)) == NULL ||
	    cJSON_AddStringToObject(o, "period_id", PQgetvalue(res, i, PC_PERIOD_ID)) == NULL ||
	    cJSON_AddStringToObject(o, "scholarship_id", PQgetvalue(res, i, PC_SCH_ID)) == NULL ||
	    cJSON_AddRawToObject(o, "scholarship", PQgetvalue(res, i, PC_SCH)) == NULL ||
	    cJSON_AddRawToObject(o, "period", PQgetvalue(res, i, PC_PERIOD)) == NULL ||
	    add_application(o, res, i) < 0 || (text = json_print(c->arena, o)) == NULL)
		return -1;
	if (i > 0)
		buf_putc(b, ',');
	buf_puts(b, text);
	return 0;
}

void eligibility_list(struct ctx *c)
{
	const char *params[1] = {c->user_id}, *locale, *why = NULL;
	enum db_err err;
	PGresult *rec = db_exec(&c->w->db, c->arena, &q_record, params, &err, NULL), *res;
	cJSON *record;
	struct buf b;
	int i;

	if (rec == NULL) {
		db_failed(c, err);
		return;
	}
	if (PQntuples(rec) != 1) {
		resp_problem(c->resp, c->req, 404, no_record, NULL, 0);
		return;
	}
	record = json_parse(c->arena, PQgetvalue(rec, 0, 0), (size_t)PQgetlength(rec, 0, 0), &why);
	locale = PQgetisnull(rec, 0, 2) ? "zh-TW" : PQgetvalue(rec, 0, 2);
	params[0] = PQgetvalue(rec, 0, 1);
	if (record == NULL) {
		resp_problem(c->resp, c->req, 500, NULL, NULL, 0);
		return;
	}
	if ((res = db_exec(&c->w->db, c->arena, &q_open, params, &err, NULL)) == NULL) {
		db_failed(c, err);
		return;
	}
	buf_init(&b, c->arena);
	buf_puts(&b, "{\"items\":[");
	for (i = 0; i < PQntuples(res); i++)
		if (item(c, res, i, record, locale, &b) < 0) {
			resp_problem(c->resp, c->req, 500, NULL, NULL, 0);
			return;
		}
	buf_puts(&b, "]}");
	if (b.oom)
		resp_problem(c->resp, c->req, 500, NULL, NULL, 0);
	else
		resp_json(c->resp, 200, b.data, b.len);
}

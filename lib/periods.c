/*
 * periods.c -- the period routes of periods.h.
 *
 * A period document is validated in two passes that report together: the
 * field tables below (types, lengths, enums, unknown keys, every nested
 * item with its dotted path, "form_fields.2.type"), then
 * the rules a table cannot say (check_*): unique keys, ordered windows,
 * quotas that match quota_mode and name the scholarship's sub-types,
 * operators with values of the right shape, weights that add up. A PATCH
 * merges the body into the stored document under a row lock and validates
 * the result whole, like a create.
 *
 * Writes go through jsonb_to_record() of the validated document (one
 * column list per statement); the CHECKs of migration 0008 back the
 * validation. Status moves are one table (moves[]); a finalized or
 * archived period no longer changes. Every change is one transaction with
 * its audit row. Scope is the scholarship's (SCH_EDITS, SCH_SEES).
 */
#include "periods.h"

#include "arena.h"
#include "audit.h"
#include "config.h"
#include "handler.h"
#include "http.h"
#include "json.h"
#include "reference.h"
#include "router.h"
#include "scholarships.h"
#include "validate.h"
#include "worker.h"

#include <math.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The column lists read best one group per line. */
/* clang-format off */
#define PER_WINDOWS \
	"'opens_at', " SCH_UTC("p.opens_at") ", " \
	"'closes_at', " SCH_UTC("p.closes_at") ", " \
	"'reviewer_review_ends_at', " SCH_UTC("p.reviewer_review_ends_at") ", " \
	"'college_review_ends_at', " SCH_UTC("p.college_review_ends_at") ", "
#define PER_SETTINGS \
	"'academic_year', p.academic_year, 'term', p.term, 'label', p.label, " PER_WINDOWS \
	"'requires_reviewer_review', p.requires_reviewer_review, " \
	"'requires_college_review', p.requires_college_review, 'quota_mode', p.quota_mode, " \
	"'quotas', p.quotas, 'budget_cents', p.budget_cents, " \
	"'disbursement_cycle', p.disbursement_cycle, 'whitelist', p.whitelist, " \
	"'eligibility_rules', p.eligibility_rules, 'form_fields', p.form_fields, " \
	"'required_documents', p.required_documents, 'rubric', p.rubric, " \
	"'terms_document', p.terms_document, 'reminder_days_before', p.reminder_days_before"
#define PER_JSON \
	"json_build_object('id', p.id, 'scholarship_id', p.scholarship_id, " PER_SETTINGS ", " \
	"'status', p.status, 'version', p.version, " \
	"'created_at', " SCH_UTC("p.created_at") ", " \
	"'updated_at', " SCH_UTC("p.updated_at") ")::text"
/* What a PATCH may change, as the document it merges into. */
#define PER_WRITABLE "json_build_object(" PER_SETTINGS ")::text"
/* clang-format on */
#define PER_RECORD                                                                                 \
	"jsonb_to_record($1::jsonb) AS x(academic_year integer, term smallint, label text, "       \
	"opens_at timestamptz, closes_at timestamptz, reviewer_review_ends_at timestamptz, "       \
	"college_review_ends_at timestamptz, requires_reviewer_review boolean, "                   \
	"requires_college_review boolean, quota_mode text, quotas jsonb, budget_cents bigint, "    \
	"disbursement_cycle text, whitelist jsonb, eligibility_rules jsonb, form_fields jsonb, "   \
	"required_documents jsonb, rubric jsonb, terms_document text, reminder_days_before "       \
	"integer)"
/* Staff in scope see every period; everybody else the periods past draft
 * of active scholarships. */
#define PER_SEES "(" SCH_EDITS(1, 2, "s") " OR (s.status = 'active' AND p.status <> 'draft'))"
#define PER_FROM " FROM periods p JOIN scholarships s ON s.id = p.scholarship_id "

enum pcol { PC_JSON, PC_VERSION, PC_WRITABLE, PC_STATUS, PC_SUB_TYPES, PC_ID };

static const struct db_stmt q_sch_sees = {
    "periods_sch_sees",
    "SELECT 1 FROM scholarships s WHERE s.id = $3::uuid AND " SCH_SEES(1, 2, "s"), 3};
static const struct db_stmt q_sch_edit = {
    "periods_sch_edit",
    "SELECT s.sub_types::text FROM scholarships s "
    "WHERE s.id = $3::uuid AND " SCH_EDITS(1, 2, "s") " FOR SHARE OF s",
    3};
static const struct db_stmt q_list = {
    "periods_list",
    "SELECT " PER_JSON ", p.academic_year || '|' || p.term" PER_FROM
    "WHERE p.scholarship_id = $3::uuid AND " PER_SEES
    " AND ($4::int IS NULL OR (p.academic_year, p.term) < ($4::int, $5::smallint)) "
    "ORDER BY p.academic_year DESC, p.term DESC LIMIT $6::int",
    6};
static const struct db_stmt q_get = {
    "periods_get", "SELECT " PER_JSON ", p.version" PER_FROM "WHERE p.id = $3::uuid AND " PER_SEES,
    3};
static const struct db_stmt q_lock = {
    "periods_lock",
    "SELECT " PER_JSON ", p.version, " PER_WRITABLE ", p.status, s.sub_types::text, p.id" PER_FROM
    "WHERE p.id = $3::uuid AND " SCH_EDITS(1, 2, "s") " FOR UPDATE OF p",
    3};
static const struct db_stmt q_insert = {
    "periods_insert",
    "INSERT INTO periods AS p (scholarship_id, academic_year, term, label, opens_at, closes_at, "
    "reviewer_review_ends_at, college_review_ends_at, requires_reviewer_review, "
    "requires_college_review, quota_mode, quotas, budget_cents, disbursement_cycle, whitelist, "
    "eligibility_rules, form_fields, required_documents, rubric, terms_document, "
    "reminder_days_before) "
    "SELECT $2::uuid, x.academic_year, x.term, x.label, x.opens_at, x.closes_at, "
    "x.reviewer_review_ends_at, x.college_review_ends_at, "
    "COALESCE(x.requires_reviewer_review, true), COALESCE(x.requires_college_review, false), "
    "COALESCE(x.quota_mode, 'none'), x.quotas, x.budget_cents, "
    "COALESCE(x.disbursement_cycle, 'semester'), x.whitelist, "
    "COALESCE(x.eligibility_rules, '[]'), COALESCE(x.form_fields, '[]'), "
    "COALESCE(x.required_documents, '[]'), COALESCE(x.rubric, '[]'), x.terms_document, "
    "CASE WHEN $1::jsonb ? 'reminder_days_before' THEN x.reminder_days_before ELSE 3 END "
    "FROM " PER_RECORD " ON CONFLICT (scholarship_id, academic_year, term) DO NOTHING "
    "RETURNING " PER_JSON ", p.version, NULL, p.status, NULL, p.id",
    2};
static const struct db_stmt q_update = {
    "periods_update",
    "UPDATE periods p SET academic_year = x.academic_year, term = x.term, label = x.label, "
    "opens_at = x.opens_at, closes_at = x.closes_at, "
    "reviewer_review_ends_at = x.reviewer_review_ends_at, "
    "college_review_ends_at = x.college_review_ends_at, "
    "requires_reviewer_review = x.requires_reviewer_review, "
    "requires_college_review = x.requires_college_review, quota_mode = x.quota_mode, "
    "quotas = x.quotas, budget_cents = x.budget_cents, "
    "disbursement_cycle = x.disbursement_cycle, whitelist = x.whitelist, "
    "eligibility_rules = x.eligibility_rules, form_fields = x.form_fields, "
    "required_documents = x.required_documents, rubric = x.rubric, "
    "terms_document = x.terms_document, reminder_days_before = x.reminder_days_before, "
    "version = p.version + 1, updated_at = now() "
    "FROM " PER_RECORD " WHERE p.id = $2::uuid RETURNING " PER_JSON ", p.version",
    2};
static const struct db_stmt q_status = {
    "periods_status",
    "UPDATE periods p SET status = $2, version = p.version + 1, updated_at = now() "
    "WHERE p.id = $1::uuid RETURNING " PER_JSON ", p.version",
    2};
/* The copy keeps every setting; its windows move by the difference in
 * academic years (the admin adjusts them before opening). */
#define YEARS " + make_interval(years => $2::int - o.academic_year)"
#define SHIFTED_WINDOWS                                                                            \
	"o.opens_at" YEARS ", o.closes_at" YEARS ", o.reviewer_review_ends_at" YEARS               \
	", o.college_review_ends_at" YEARS
static const struct db_stmt q_duplicate = {
    "periods_duplicate",
    "INSERT INTO periods AS p (scholarship_id, academic_year, term, label, opens_at, closes_at, "
    "reviewer_review_ends_at, college_review_ends_at, requires_reviewer_review, "
    "requires_college_review, quota_mode, quotas, budget_cents, disbursement_cycle, whitelist, "
    "eligibility_rules, form_fields, required_documents, rubric, terms_document, "
    "reminder_days_before) "
    "SELECT o.scholarship_id, $2::int, $3::smallint, COALESCE($4, o.label), " SHIFTED_WINDOWS
    ", o.requires_reviewer_review, o.requires_college_review, o.quota_mode, o.quotas, "
    "o.budget_cents, o.disbursement_cycle, o.whitelist, o.eligibility_rules, o.form_fields, "
    "o.required_documents, o.rubric, o.terms_document, o.reminder_days_before "
    "FROM periods o WHERE o.id = $1::uuid "
    "ON CONFLICT (scholarship_id, academic_year, term) DO NOTHING "
    "RETURNING " PER_JSON ", p.version, NULL, p.status, NULL, p.id",
    4};

/* ---- the field tables --------------------------------------------------- */

static const char *const quota_modes[] = {"none", "total", "per_college", NULL};
static const char *const cycles[] = {"monthly", "semester", "yearly", NULL};
static const char *const operators[] = {"==", "!=", ">", ">=", "<", "<=", "in", "not_in", NULL};
static const char *const field_types[] = {"text",  "textarea", "number",   "date",
                                          "email", "select",   "checkbox", NULL};
static const char *const mime_types[] = {"application/pdf", "image/png", "image/jpeg", NULL};
static const char *const period_statuses[] = {"draft",     "open",     "closed",
                                              "finalized", "archived", NULL};
/* The student record fields a rule may test (DESIGN §8 "Students"). */
/* clang-format off */
static const char *const rule_fields_known[] = {
    "gpa", "class_rank_percent", "year_of_study", "terms_enrolled", "degree", "college_code",
    "department_code", "enrollment_status", "identity_category", "nationality", "gender", NULL};
/* clang-format on */
static const char *const list_keys[] = {"cursor", "limit", NULL};

static const struct vfield rule_fields[] = {
    {.name = "field", .type = VT_STRING, .flags = VF_REQUIRED, .min = 1, .max = 64},
    {.name = "operator", .type = VT_ENUM, .flags = VF_REQUIRED, .options = operators},
    {.name = "hard", .type = VT_BOOL, .flags = VF_REQUIRED},
    {.name = "sub_type", .type = VT_STRING, .flags = VF_NULLABLE, .min = 1, .max = 32},
    {.name = "message", .type = VT_STRING, .flags = VF_REQUIRED, .min = 1, .max = 500},
    {.name = "message_en", .type = VT_STRING, .flags = VF_NULLABLE, .min = 1, .max = 500},
    /* "value" is any JSON: checked by check_rules() against the operator. */
};
static const struct vfield option_item = {.type = VT_STRING, .min = 1, .max = 200};
static const struct vfield form_fields[] = {
    {.name = "key", .type = VT_STRING, .flags = VF_REQUIRED, .min = 1, .max = 64},
    {.name = "label", .type = VT_STRING, .flags = VF_REQUIRED, .min = 1, .max = 200},
    {.name = "label_en", .type = VT_STRING, .flags = VF_NULLABLE, .min = 1, .max = 200},
    {.name = "type", .type = VT_ENUM, .flags = VF_REQUIRED, .options = field_types},
    {.name = "required", .type = VT_BOOL},
    {.name = "max_length", .type = VT_INT, .flags = VF_NULLABLE, .min = 1, .max = 100000},
    {.name = "min", .type = VT_NUMBER, .flags = VF_NULLABLE},
    {.name = "max", .type = VT_NUMBER, .flags = VF_NULLABLE},
    {.name = "pattern", .type = VT_STRING, .flags = VF_NULLABLE, .min = 1, .max = 500},
    {.name = "options",
     .type = VT_ARRAY,
     .flags = VF_NULLABLE,
     .min = 1,
     .max = 200,
     .item = &option_item},
};
static const struct vfield mime_item = {.type = VT_ENUM, .options = mime_types};
static const struct vfield document_fields[] = {
    {.name = "kind", .type = VT_STRING, .flags = VF_REQUIRED, .min = 1, .max = 64},
    {.name = "label", .type = VT_STRING, .flags = VF_REQUIRED, .min = 1, .max = 200},
    {.name = "label_en", .type = VT_STRING, .flags = VF_NULLABLE, .min = 1, .max = 200},
    {.name = "required", .type = VT_BOOL},
    {.name = "accepted_types",
     .type = VT_ARRAY,
     .flags = VF_REQUIRED,
     .min = 1,
     .max = 3,
     .item = &mime_item},
    {.name = "max_mb", .type = VT_INT, .flags = VF_REQUIRED, .min = 1, .max = 100},
    {.name = "max_count", .type = VT_INT, .flags = VF_REQUIRED, .min = 1, .max = 20},
};
static const struct vfield rubric_fields[] = {
    {.name = "key", .type = VT_STRING, .flags = VF_REQUIRED, .min = 1, .max = 64},
    {.name = "label", .type = VT_STRING, .flags = VF_REQUIRED, .min = 1, .max = 200},
    {.name = "label_en", .type = VT_STRING, .flags = VF_NULLABLE, .min = 1, .max = 200},
    {.name = "weight", .type = VT_NUMBER, .flags = VF_REQUIRED, .min = 0, .max = 100},
    {.name = "max_score", .type = VT_INT, .flags = VF_REQUIRED, .min = 1, .max = 1000},
};
#define NFIELDS(t) (sizeof(t) / sizeof((t)[0]))
/* Rules are objects here; their fields are checked by check_rules(). */
static const struct vfield rule_item = {.type = VT_OBJECT};
static const struct vfield form_item = {
    .type = VT_OBJECT, .children = form_fields, .nchildren = NFIELDS(form_fields)};
static const struct vfield document_item = {
    .type = VT_OBJECT, .children = document_fields, .nchildren = NFIELDS(document_fields)};
static const struct vfield rubric_item = {
    .type = VT_OBJECT, .children = rubric_fields, .nchildren = NFIELDS(rubric_fields)};
static const struct vfield student_number_item = {.type = VT_STRING, .min = 4, .max = 20};

static const struct vfield fields[] = {
    {.name = "academic_year", .type = VT_INT, .flags = VF_REQUIRED, .min = 2000, .max = 2999},
    {.name = "term", .type = VT_INT, .flags = VF_REQUIRED, .min = 0, .max = 2},
    {.name = "label", .type = VT_STRING, .flags = VF_REQUIRED, .min = 1, .max = 200},
    {.name = "opens_at", .type = VT_DATETIME, .flags = VF_REQUIRED},
    {.name = "closes_at", .type = VT_DATETIME, .flags = VF_REQUIRED},
    {.name = "reviewer_review_ends_at", .type = VT_DATETIME, .flags = VF_NULLABLE},
    {.name = "college_review_ends_at", .type = VT_DATETIME, .flags = VF_NULLABLE},
    {.name = "requires_reviewer_review", .type = VT_BOOL},
    {.name = "requires_college_review", .type = VT_BOOL},
    {.name = "quota_mode", .type = VT_ENUM, .options = quota_modes},
    {.name = "quotas", .type = VT_OBJECT, .flags = VF_NULLABLE},
    {.name = "budget_cents",
     .type = VT_INT,
     .flags = VF_NULLABLE,
     .min = 0,
     .max = 1000000000000000LL},
    {.name = "disbursement_cycle", .type = VT_ENUM, .options = cycles},
    {.name = "whitelist",
     .type = VT_ARRAY,
     .flags = VF_NULLABLE,
     .min = 0,
     .max = 100000,
     .item = &student_number_item},
    {.name = "eligibility_rules", .type = VT_ARRAY, .min = 0, .max = 100, .item = &rule_item},
    {.name = "form_fields", .type = VT_ARRAY, .min = 0, .max = 200, .item = &form_item},
    {.name = "required_documents", .type = VT_ARRAY, .min = 0, .max = 50, .item = &document_item},
    {.name = "rubric", .type = VT_ARRAY, .min = 0, .max = 50, .item = &rubric_item},
    {.name = "terms_document", .type = VT_STRING, .flags = VF_NULLABLE, .min = 1, .max = 500},
    {.name = "reminder_days_before", .type = VT_INT, .flags = VF_NULLABLE, .min = 1, .max = 60},
};
static const struct vfield status_fields[] = {
    {.name = "status", .type = VT_ENUM, .flags = VF_REQUIRED, .options = period_statuses},
};
static const struct vfield duplicate_fields[] = {
    {.name = "academic_year", .type = VT_INT, .flags = VF_REQUIRED, .min = 2000, .max = 2999},
    {.name = "term", .type = VT_INT, .flags = VF_REQUIRED, .min = 0, .max = 2},
    {.name = "label", .type = VT_STRING, .min = 1, .max = 200},
};

/* The status table: one step forward at a time. */
static const struct {
	const char *from, *to;
} moves[] = {
    {"draft", "open"},
    {"open", "closed"},
    {"closed", "finalized"},
    {"finalized", "archived"},
};

int periods_move_allowed(const char *from, const char *to)
{
	size_t i;

	for (i = 0; i < sizeof(moves) / sizeof(moves[0]); i++)
		if (strcmp(moves[i].from, from) == 0 && strcmp(moves[i].to, to) == 0)
			return 1;
	return 0;
}

/* ---- the rules a table cannot say --------------------------------------- */

#define KEY_CHARS "abcdefghijklmnopqrstuvwxyz0123456789_"
#define STUDENT_NUMBER_CHARS "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

static int in_list(const char *const *list, const char *s)
{
	for (; *list != NULL; list++)
		if (strcmp(*list, s) == 0)
			return 1;
	return 0;
}

static void add(struct verrors *e, const char *message, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void add(struct verrors *e, const char *message, const char *fmt, ...)
{
	char path[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(path, sizeof(path), fmt, ap);
	va_end(ap);
	verrors_add(e, path, message);
}

/* Seconds since the epoch of an RFC 3339 text validate_datetime() passed. */
static double epoch(const char *s)
{
	struct tm tm;
	const char *t = s + 19;
	double frac = 0, off = 0;

	memset(&tm, 0, sizeof(tm));
	tm.tm_year = atoi(s) - 1900, tm.tm_mon = atoi(s + 5) - 1, tm.tm_mday = atoi(s + 8);
	tm.tm_hour = atoi(s + 11), tm.tm_min = atoi(s + 14), tm.tm_sec = atoi(s + 17);
	if (*t == '.')
		frac = strtod(t, (char **)&t);
	if (*t == '+' || *t == '-')
		off = (atoi(t + 1) * 3600.0 + atoi(t + 4) * 60.0) * (*t == '+' ? 1 : -1);
	return (double)timegm(&tm) + frac - off;
}

/* The time of a valid datetime field, or NAN when absent or invalid. */
static double when(const cJSON *doc, const char *key)
{
	const char *s = json_str(doc, key);

	return s != NULL && validate_datetime(s) ? epoch(s) : NAN;
}

/* Is key given a value (not absent, not null)? */
static int absent_ok(const cJSON *doc, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(doc, key);

	return v != NULL && !cJSON_IsNull(v);
}

static void check_windows(const cJSON *doc, struct verrors *e)
{
	double opens = when(doc, "opens_at"), closes = when(doc, "closes_at");
	double rev = when(doc, "reviewer_review_ends_at"),
	       col = when(doc, "college_review_ends_at");
	const cJSON *rr = cJSON_GetObjectItemCaseSensitive(doc, "requires_reviewer_review");
	const cJSON *rc = cJSON_GetObjectItemCaseSensitive(doc, "requires_college_review");

	if (opens >= closes)
		verrors_add(e, "closes_at", "must be after opens_at");
	if (rev < closes)
		verrors_add(e, "reviewer_review_ends_at", "must not be before closes_at");
	if (col < closes)
		verrors_add(e, "college_review_ends_at", "must not be before closes_at");
	else if (col < rev)
		verrors_add(e, "college_review_ends_at",
		            "must not be before reviewer_review_ends_at");
	if ((rr == NULL || cJSON_IsTrue(rr)) && !absent_ok(doc, "reviewer_review_ends_at"))
		verrors_add(e, "reviewer_review_ends_at", "is required when reviewer review is");
	if (cJSON_IsTrue(rc) && !absent_ok(doc, "college_review_ends_at"))
		verrors_add(e, "college_review_ends_at", "is required when college review is");
}

static int is_sub_type(const cJSON *subs, const char *code)
{
	const cJSON *it;

	cJSON_ArrayForEach(it, subs)
	{
		const char *c = json_str(it, "code");
		if (c != NULL && strcmp(c, code) == 0)
			return 1;
	}
	return 0;
}

static const struct vfield total_fields[] = {
    {.name = "total", .type = VT_INT, .flags = VF_REQUIRED, .min = 0, .max = 1000000},
};
static const struct vfield colleges_fields[] = {
    {.name = "colleges", .type = VT_OBJECT, .flags = VF_REQUIRED},
};

static void check_quotas(const cJSON *doc, const cJSON *subs, struct verrors *e)
{
	const char *mode = json_str(doc, "quota_mode");
	const cJSON *q = cJSON_GetObjectItemCaseSensitive(doc, "quotas"), *it, *st;
	int total;
	char path[256];

	if (mode == NULL || !in_list(quota_modes, mode))
		mode = "none";
	if (q != NULL && !cJSON_IsObject(q) && !cJSON_IsNull(q))
		return; /* the table reported it */
	if (strcmp(mode, "none") == 0) {
		if (cJSON_IsObject(q) && q->child != NULL)
			verrors_add(e, "quotas", "must be null when quota_mode is none");
		return;
	}
	if (!cJSON_IsObject(q)) {
		verrors_add(e, "quotas", "is required when quota_mode is total or per_college");
		return;
	}
	total = strcmp(mode, "total") == 0;
	if (cJSON_GetArraySize(subs) == 0)
		verrors_add(e, "quota_mode", "needs sub-types on the scholarship");
	cJSON_ArrayForEach(st, subs)
	{
		const char *code = json_str(st, "code");
		if (code != NULL && cJSON_GetObjectItemCaseSensitive(q, code) == NULL)
			add(e, "is required: every sub-type needs a quota", "quotas.%.32s", code);
	}
	cJSON_ArrayForEach(it, q)
	{
		const cJSON *cols, *cq;

		snprintf(path, sizeof(path), "quotas.%.64s", it->string ? it->string : "");
		if (it->string == NULL || !is_sub_type(subs, it->string)) {
			verrors_add(e, path, "is not a sub-type of this scholarship");
			continue;
		}
		if (total) {
			validate_object(it, total_fields, NFIELDS(total_fields), path, e);
			continue;
		}
		if (validate_object(it, colleges_fields, NFIELDS(colleges_fields), path, e) > 0)
			continue;
		cols = cJSON_GetObjectItemCaseSensitive(it, "colleges");
		if (cols->child == NULL)
			add(e, "must name at least one college", "%s.colleges", path);
		cJSON_ArrayForEach(cq, cols)
		{
			char sub[384];
			snprintf(sub, sizeof(sub), "%s.colleges.%.16s", path,
			         cq->string ? cq->string : "");
			if (cq->string == NULL || !reference_code_valid(cq->string))
				verrors_add(e, sub, "is not a college code");
			else if (!cJSON_IsNumber(cq) || cq->valuedouble != floor(cq->valuedouble) ||
			         cq->valuedouble < 0 || cq->valuedouble > 1000000)
				verrors_add(e, sub, "must be an integer from 0 to 1000000");
		}
	}
}

static int scalar(const cJSON *v)
{
	return cJSON_IsString(v) || (cJSON_IsNumber(v) && isfinite(v->valuedouble));
}

static void check_rule_value(const cJSON *rule, const char *op, int i, struct verrors *e)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(rule, "value"), *it;

	if (v == NULL) {
		add(e, "is required", "eligibility_rules.%d.value", i);
		return;
	}
	if (strcmp(op, "in") == 0 || strcmp(op, "not_in") == 0) {
		int n = cJSON_GetArraySize(v), ok = cJSON_IsArray(v) && n >= 1 && n <= 1000;
		cJSON_ArrayForEach(it, v) ok =
		    ok && scalar(it) && (!cJSON_IsString(it) || strlen(it->valuestring) <= 200);
		if (!ok)
			add(e, "must be an array of 1 to 1000 strings or numbers",
			    "eligibility_rules.%d.value", i);
	} else if (op[0] == '<' || op[0] == '>') {
		if (!(cJSON_IsNumber(v) && isfinite(v->valuedouble)) &&
		    !(cJSON_IsString(v) && validate_date(v->valuestring)))
			add(e, "must be a number or a date (YYYY-MM-DD)",
			    "eligibility_rules.%d.value", i);
	} else if (!(scalar(v) || cJSON_IsBool(v)) ||
	           (cJSON_IsString(v) && strlen(v->valuestring) > 200)) {
		add(e, "must be a string (at most 200 characters), a number or true or false",
		    "eligibility_rules.%d.value", i);
	}
}

/* validate_object() for a rule, which also carries a "value" of any type. */
static void check_rules(const cJSON *doc, const cJSON *subs, struct verrors *e)
{
	const cJSON *rules = cJSON_GetObjectItemCaseSensitive(doc, "eligibility_rules"), *r;
	char path[64];
	int i = 0;

	if (!cJSON_IsArray(rules) || cJSON_GetArraySize(rules) > 100)
		return;
	cJSON_ArrayForEach(r, rules)
	{
		const char *op = json_str(r, "operator"), *field = json_str(r, "field");
		const char *st = json_str(r, "sub_type");
		size_t before = e->n, k, kept;

		if (!cJSON_IsObject(r)) {
			i++;
			continue;
		}
		snprintf(path, sizeof(path), "eligibility_rules.%d", i);
		validate_object(r, rule_fields, NFIELDS(rule_fields), path, e);
		/* "value" is known: drop the validator's "not a known field" for it. */
		for (k = kept = before; k < e->n; k++) {
			const char *f = e->items[k].field;
			if (strncmp(f, path, strlen(path)) == 0 &&
			    strcmp(f + strlen(path), ".value") == 0 &&
			    strcmp(e->items[k].message, "is not a known field") == 0)
				continue;
			e->items[kept++] = e->items[k];
		}
		e->n = kept;
		if (field != NULL && validate_utf8_len(field) <= 64 &&
		    !in_list(rule_fields_known, field))
			add(e, "is not a student record field this rule can test",
			    "eligibility_rules.%d.field", i);
		if (st != NULL && validate_utf8_len(st) <= 32 && !is_sub_type(subs, st))
			add(e, "is not a sub-type of this scholarship",
			    "eligibility_rules.%d.sub_type", i);
		if (op != NULL && in_list(operators, op))
			check_rule_value(r, op, i, e);
		i++;
	}
}

/* Keys of the items of array (key name key) unique and of KEY_CHARS. */
static void check_keys(const cJSON *doc, const char *array, const char *key, struct verrors *e)
{
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(doc, array), *it, *prev;
	int i = 0;

	if (!cJSON_IsArray(a))
		return;
	cJSON_ArrayForEach(it, a)
	{
		const char *k = json_str(it, key);

		if (k != NULL && validate_utf8_len(k) <= 64) {
			if (!scholarships_token_ok(k, KEY_CHARS, 64))
				add(e, "must be lower-case letters, digits or _", "%s.%d.%s", array,
				    i, key);
			for (prev = a->child; prev != it; prev = prev->next)
				if (json_str(prev, key) != NULL &&
				    strcmp(json_str(prev, key), k) == 0) {
					add(e, "is used by another item", "%s.%d.%s", array, i,
					    key);
					break;
				}
		}
		i++;
	}
}

/*
 * glibc's regcomp() builds an automaton as large as the product of the
 * counted repetitions ("((a{1,255}){1,255}){1,255}" takes seconds and
 * hundreds of MB), so a pattern is refused before compiling when the
 * upper bounds of all its {m,n} multiply past 1000 (as if nested: an
 * over-estimate for sequences, harmless at the sizes forms need).
 */
static int pattern_too_complex(const char *s)
{
	double product = 1;

	for (; *s; s++) {
		long a, b;
		char *end;

		if (*s == '\\' && s[1] != '\0') {
			s++;
			continue;
		}
		if (*s != '{' || s[1] < '0' || s[1] > '9')
			continue;
		a = strtol(s + 1, &end, 10);
		b = a;
		if (*end == ',')
			b = end[1] >= '0' && end[1] <= '9' ? strtol(end + 1, &end, 10)
			                                   : (end++, a + 1);
		if (a > 1000 || b > 1000)
			return 1;
		product *= b > 1 ? (double)b : 1;
		if (product > 1000)
			return 1;
	}
	return 0;
}

static void check_form(const cJSON *doc, struct verrors *e)
{
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(doc, "form_fields"), *f;
	int i = 0;

	if (!cJSON_IsArray(a))
		return;
	cJSON_ArrayForEach(f, a)
	{
		const char *type = json_str(f, "type"), *pat = json_str(f, "pattern");
		const cJSON *opts = cJSON_GetObjectItemCaseSensitive(f, "options");
		const cJSON *min = cJSON_GetObjectItemCaseSensitive(f, "min");
		const cJSON *max = cJSON_GetObjectItemCaseSensitive(f, "max");
		const cJSON *ml = cJSON_GetObjectItemCaseSensitive(f, "max_length");
		int has_opts = cJSON_IsArray(opts);
		regex_t re;

		if (type != NULL && strcmp(type, "select") == 0 && !has_opts)
			add(e, "is required for a select", "form_fields.%d.options", i);
		if (type != NULL && has_opts && strcmp(type, "select") != 0 &&
		    strcmp(type, "checkbox") != 0)
			add(e, "is only for select and checkbox fields", "form_fields.%d.options",
			    i);
		if (cJSON_IsNumber(min) && cJSON_IsNumber(max) &&
		    min->valuedouble > max->valuedouble)
			add(e, "must not be below min", "form_fields.%d.max", i);
		if (type != NULL && (cJSON_IsNumber(min) || cJSON_IsNumber(max)) &&
		    strcmp(type, "number") != 0)
			add(e, "is only for number fields", "form_fields.%d.%s", i,
			    cJSON_IsNumber(min) ? "min" : "max");
		if (type != NULL && cJSON_IsNumber(ml) && strcmp(type, "text") != 0 &&
		    strcmp(type, "textarea") != 0 && strcmp(type, "email") != 0)
			add(e, "is only for text, textarea and email fields",
			    "form_fields.%d.max_length", i);
		if (pat != NULL && validate_utf8_len(pat) <= 500) {
			if (pattern_too_complex(pat))
				add(e, "is too complex (counted repetitions multiply past 1000)",
				    "form_fields.%d.pattern", i);
			else if (regcomp(&re, pat, REG_EXTENDED | REG_NOSUB) != 0)
				add(e, "is not a valid regular expression (POSIX extended)",
				    "form_fields.%d.pattern", i);
			else
				regfree(&re);
		}
		i++;
	}
}

static void check_rubric(const cJSON *doc, struct verrors *e)
{
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(doc, "rubric"), *it;
	double sum = 0;
	int i = 0, numbers = 1;

	if (!cJSON_IsArray(a) || a->child == NULL)
		return;
	cJSON_ArrayForEach(it, a)
	{
		const cJSON *w = cJSON_GetObjectItemCaseSensitive(it, "weight");
		if (!cJSON_IsNumber(w) || !isfinite(w->valuedouble)) {
			numbers = 0;
		} else {
			if (w->valuedouble <= 0)
				add(e, "must be above 0", "rubric.%d.weight", i);
			sum += w->valuedouble;
		}
		i++;
	}
	if (numbers && fabs(sum - 100) > 1e-6)
		verrors_add(e, "rubric", "the weights must add up to 100");
}

static void check_whitelist(const cJSON *doc, struct verrors *e)
{
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(doc, "whitelist"), *it;
	int i = 0;

	if (!cJSON_IsArray(a) || cJSON_GetArraySize(a) > 100000)
		return;
	cJSON_ArrayForEach(it, a)
	{
		if (cJSON_IsString(it) && strlen(it->valuestring) >= 4 &&
		    strlen(it->valuestring) <= 20 &&
		    !scholarships_token_ok(it->valuestring, STUDENT_NUMBER_CHARS, 20))
			add(e, "must be a student number (upper-case letters and digits)",
			    "whitelist.%d", i);
		i++;
	}
}

static const char *const conflict = "this scholarship already has a period for that academic "
                                    "year and term";

/*
 * Date-only window values ("2027-03-01") are days in INSTITUTION_TIMEZONE:
 * opens_at becomes the start of that day there, the ends the end of it
 * (the next midnight), stored as instants like any other. 0, or -1 with
 * the failure answered.
 */
static int dates_to_times(struct ctx *c, cJSON *doc)
{
	static const struct db_stmt q_day = {
	    "periods_day",
	    "SELECT " SCH_UTC("(($1::date + $2::int)::timestamp AT TIME ZONE $3::text)"), 3};
	static const char *const keys[] = {"opens_at", "closes_at", "reviewer_review_ends_at",
	                                   "college_review_ends_at"};
	const char *p[3];
	enum db_err err;
	PGresult *r;
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		const char *v = json_str(doc, keys[i]);

		if (v == NULL || !validate_date(v))
			continue;
		p[0] = v, p[1] = i == 0 ? "0" : "1", p[2] = c->w->cfg->institution_timezone;
		if ((r = db_exec(&c->w->db, c->arena, &q_day, p, &err, NULL)) == NULL) {
			scholarships_db_fail(c, err, conflict);
			return -1;
		}
		if (!cJSON_ReplaceItemInObjectCaseSensitive(
		        doc, keys[i], cJSON_CreateString(PQgetvalue(r, 0, 0)))) {
			scholarships_db_fail(c, DB_FAILED, conflict);
			return -1;
		}
	}
	return 0;
}

/* Validate a whole period document against the scholarship's sub-types
 * (JSON text); 0 valid, -1 with 422 answered. e may hold errors already. */
static int validate_doc(struct ctx *c, const cJSON *doc, const char *sub_types, struct verrors *e)
{
	const char *why;
	const cJSON *subs = json_parse(c->arena, sub_types, strlen(sub_types), &why);

	validate_object(doc, fields, NFIELDS(fields), "", e);
	if (cJSON_IsObject(doc)) {
		check_windows(doc, e);
		check_quotas(doc, subs, e);
		check_rules(doc, subs, e);
		check_keys(doc, "form_fields", "key", e);
		check_keys(doc, "required_documents", "kind", e);
		check_keys(doc, "rubric", "key", e);
		check_form(doc, e);
		check_rubric(doc, e);
		check_whitelist(doc, e);
	}
	if (e->n == 0 && !e->oom && subs != NULL)
		return 0;
	if (subs == NULL)
		e->oom = 1;
	scholarships_invalid(c, e);
	return -1;
}

/* ---- routes ------------------------------------------------------------- */

static int begin(struct ctx *c)
{
	if (db_begin(&c->w->db) == 0)
		return 0;
	handler_unavailable(c, "the database is unavailable");
	return -1;
}

static void not_found(struct ctx *c, const char *what)
{
	db_rollback(&c->w->db);
	resp_problem(c->resp, c->req, 404, what, NULL, 0);
}

/* Commit with an audit row, then answer status with the record. */
static void finish(struct ctx *c, int status, const char *action, const char *id,
                   const char *before, const PGresult *r)
{
	if (audit_record(c, NULL, action, "period", id, before, PQgetvalue(r, 0, PC_JSON)) < 0 ||
	    db_commit(&c->w->db) < 0) {
		db_rollback(&c->w->db);
		handler_unavailable(c, "the request could not be completed; try again");
		return;
	}
	if (status == 201)
		resp_header(c->resp, "Location", arena_printf(c->arena, "/api/v1/periods/%s", id));
	scholarships_answer(c, status, PQgetvalue(r, 0, PC_JSON), PQgetvalue(r, 0, PC_VERSION));
}

/* Lock the period of the path in the caller's scope; NULL when answered. */
static PGresult *lock_period(struct ctx *c)
{
	const char *p[3];
	enum db_err err;
	PGresult *r;

	scholarships_scope(c, &p[0], &p[1]);
	p[2] = c->req->path_ids[0];
	if (begin(c) < 0)
		return NULL;
	if ((r = db_exec(&c->w->db, c->arena, &q_lock, p, &err, NULL)) == NULL)
		scholarships_db_fail(c, err, conflict);
	else if (PQntuples(r) != 1)
		not_found(c, "there is no such period");
	else
		return r;
	return NULL;
}

void periods_list(struct ctx *c)
{
	const char *p[6], *cursor;
	long limit;
	enum db_err err;
	PGresult *r;

	if (scholarships_caller(c) < 0 ||
	    scholarships_page_query(c, list_keys, &limit, &cursor) < 0)
		return;
	scholarships_scope(c, &p[0], &p[1]);
	p[2] = c->req->path_ids[0], p[3] = NULL, p[4] = NULL;
	if (cursor != NULL) {
		int year, term, used = 0;
		if (sscanf(cursor, "%4d|%1d%n", &year, &term, &used) != 2 || cursor[used] != '\0') {
			struct problem_field f = {"cursor", "is not a cursor this list gave out"};
			resp_problem(c->resp, c->req, 400, "some query parameters are invalid", &f,
			             1);
			return;
		}
		p[3] = arena_printf(c->arena, "%d", year),
		p[4] = arena_printf(c->arena, "%d", term);
	}
	p[5] = arena_printf(c->arena, "%ld", limit + 1);
	if ((r = db_exec(&c->w->db, c->arena, &q_sch_sees, p, &err, NULL)) == NULL) {
		scholarships_db_fail(c, err, conflict);
		return;
	}
	if (PQntuples(r) != 1) {
		resp_problem(c->resp, c->req, 404, "there is no such scholarship", NULL, 0);
		return;
	}
	if ((r = db_exec(&c->w->db, c->arena, &q_list, p, &err, NULL)) == NULL) {
		scholarships_db_fail(c, err, conflict);
		return;
	}
	scholarships_answer_page(c, r, limit, 1);
}

void periods_get(struct ctx *c)
{
	const char *p[3];
	enum db_err err;
	PGresult *r;

	if (scholarships_caller(c) < 0)
		return;
	scholarships_scope(c, &p[0], &p[1]);
	p[2] = c->req->path_ids[0];
	if ((r = db_exec(&c->w->db, c->arena, &q_get, p, &err, NULL)) == NULL)
		scholarships_db_fail(c, err, conflict);
	else if (PQntuples(r) != 1)
		resp_problem(c->resp, c->req, 404, "there is no such period", NULL, 0);
	else
		scholarships_answer(c, 200, PQgetvalue(r, 0, PC_JSON),
		                    PQgetvalue(r, 0, PC_VERSION));
}

void periods_create(struct ctx *c)
{
	struct verrors e;
	const char *p[3], *doc;
	enum db_err err;
	PGresult *s, *r;

	if (c->body == NULL) {
		resp_problem(c->resp, c->req, 400, "a JSON body is required", NULL, 0);
		return;
	}
	scholarships_scope(c, &p[0], &p[1]);
	p[2] = c->req->path_ids[0];
	if (begin(c) < 0)
		return;
	if ((s = db_exec(&c->w->db, c->arena, &q_sch_edit, p, &err, NULL)) == NULL) {
		scholarships_db_fail(c, err, conflict);
		return;
	}
	if (PQntuples(s) != 1) {
		not_found(c, "there is no such scholarship");
		return;
	}
	verrors_init(&e, c->arena);
	if (cJSON_IsObject(c->body) && dates_to_times(c, c->body) < 0)
		return;
	if (validate_doc(c, c->body, PQgetvalue(s, 0, 0), &e) < 0) {
		db_rollback(&c->w->db);
		return;
	}
	p[0] = json_print(c->arena, c->body), p[1] = c->req->path_ids[0];
	if (p[0] == NULL) {
		db_rollback(&c->w->db);
		resp_problem(c->resp, c->req, 500, NULL, NULL, 0);
		return;
	}
	if ((r = db_exec(&c->w->db, c->arena, &q_insert, p, &err, NULL)) == NULL) {
		scholarships_db_fail(c, err, conflict);
		return;
	}
	if (PQntuples(r) != 1) {
		scholarships_refuse(c, 409, conflict);
		return;
	}
	doc = PQgetvalue(r, 0, PC_ID);
	finish(c, 201, "period.created", doc, NULL, r);
}

static int frozen(struct ctx *c, const PGresult *cur)
{
	const char *st = PQgetvalue(cur, 0, PC_STATUS);

	if (strcmp(st, "finalized") != 0 && strcmp(st, "archived") != 0)
		return 0;
	scholarships_refuse(c, 409, "a finalized or archived period cannot be changed");
	return -1;
}

void periods_update(struct ctx *c)
{
	struct verrors e;
	const char *p[2], *doc, *why;
	enum db_err err;
	PGresult *cur, *r;
	cJSON *merged;

	if (c->body == NULL) {
		resp_problem(c->resp, c->req, 400, "a JSON body is required", NULL, 0);
		return;
	}
	if ((cur = lock_period(c)) == NULL ||
	    scholarships_if_match(c, PQgetvalue(cur, 0, PC_VERSION)) < 0 || frozen(c, cur) < 0)
		return;
	verrors_init(&e, c->arena);
	doc = PQgetvalue(cur, 0, PC_WRITABLE);
	if ((merged = json_parse(c->arena, doc, strlen(doc), &why)) == NULL ||
	    scholarships_merge(merged, c->body, &e) < 0) {
		db_rollback(&c->w->db);
		resp_problem(c->resp, c->req, 500, NULL, NULL, 0);
		return;
	}
	if (dates_to_times(c, merged) < 0)
		return;
	if (validate_doc(c, merged, PQgetvalue(cur, 0, PC_SUB_TYPES), &e) < 0) {
		db_rollback(&c->w->db);
		return;
	}
	p[0] = json_print(c->arena, merged), p[1] = PQgetvalue(cur, 0, PC_ID);
	if (p[0] == NULL) {
		db_rollback(&c->w->db);
		resp_problem(c->resp, c->req, 500, NULL, NULL, 0);
		return;
	}
	if ((r = db_exec(&c->w->db, c->arena, &q_update, p, &err, NULL)) == NULL) {
		scholarships_db_fail(c, err, conflict);
		return;
	}
	finish(c, 200, "period.updated", p[1], PQgetvalue(cur, 0, PC_JSON), r);
}

void periods_set_status(struct ctx *c)
{
	const char *p[2], *to, *from;
	enum db_err err;
	PGresult *cur, *r;

	if (handler_body(c, status_fields, NFIELDS(status_fields), 1) < 0 ||
	    (cur = lock_period(c)) == NULL)
		return;
	to = json_str(c->body, "status");
	from = PQgetvalue(cur, 0, PC_STATUS);
	if (!periods_move_allowed(from, to)) {
		scholarships_refuse(
		    c, 409, arena_printf(c->arena, "a period cannot move from %s to %s", from, to));
		return;
	}
	p[0] = PQgetvalue(cur, 0, PC_ID), p[1] = to;
	if ((r = db_exec(&c->w->db, c->arena, &q_status, p, &err, NULL)) == NULL) {
		scholarships_db_fail(c, err, conflict);
		return;
	}
	finish(c, 200, "period.status_changed", p[0], PQgetvalue(cur, 0, PC_JSON), r);
}

void periods_duplicate(struct ctx *c)
{
	const char *p[4];
	char year[16], term[8];
	enum db_err err;
	PGresult *cur, *r;

	if (handler_body(c, duplicate_fields, NFIELDS(duplicate_fields), 1) < 0 ||
	    (cur = lock_period(c)) == NULL)
		return;
	snprintf(year, sizeof(year), "%d",
	         cJSON_GetObjectItemCaseSensitive(c->body, "academic_year")->valueint);
	snprintf(term, sizeof(term), "%d",
	         cJSON_GetObjectItemCaseSensitive(c->body, "term")->valueint);
	p[0] = PQgetvalue(cur, 0, PC_ID), p[1] = year, p[2] = term;
	p[3] = json_str(c->body, "label");
	if ((r = db_exec(&c->w->db, c->arena, &q_duplicate, p, &err, NULL)) == NULL) {
		scholarships_db_fail(c, err, conflict);
		return;
	}
	if (PQntuples(r) != 1) {
		scholarships_refuse(c, 409, conflict);
		return;
	}
	finish(c, 201, "period.duplicated", PQgetvalue(r, 0, PC_ID), NULL, r);
}

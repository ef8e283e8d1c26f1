/*
 * applications_int.h -- what the application route files share
 * (applications.c, application_edit.c, application_staff.c,
 * application_list.c) and nothing else uses: the record's JSON, the one
 * scope condition, locking, evaluation of the period's rules, history,
 * and the common end of every change (audit, commit, answer).
 */
#ifndef SCH_APPLICATIONS_INT_H
#define SCH_APPLICATIONS_INT_H

#include <cjson/cJSON.h>
#include <libpq-fe.h>

#include "db.h"
#include "eligibility.h"
#include "scholarships.h"

struct ctx;
struct verrors;

/* clang-format off */
/* The application as DESIGN §8 shows it, as JSON text. Aliases: a the
 * application, p its period, s its scholarship, st its student. */
#define APP_JSON \
	"json_build_object('id', a.id, 'app_no', a.app_no, 'period_id', a.period_id, " \
	"'scholarship_id', p.scholarship_id, 'student_id', a.student_id, 'user_id', a.user_id, " \
	"'sub_types', to_json(a.sub_types), 'answers', a.answers, 'status', a.status, " \
	"'stage', a.stage, 'eligibility_snapshot', a.eligibility_snapshot, 'version', a.version, " \
	"'created_at', " SCH_UTC("a.created_at") ", 'updated_at', " SCH_UTC("a.updated_at") ", " \
	"'submitted_at', " SCH_UTC("a.submitted_at") ", " \
	"'terms_accepted_at', " SCH_UTC("a.terms_accepted_at") ", " \
	"'resubmit_until', " SCH_UTC("a.resubmit_until") ", " \
	"'student', json_build_object('student_number', st.student_number, 'name', st.name, " \
	"'name_en', st.name_en, 'college_code', st.college_code, " \
	"'department_code', st.department_code, 'degree', st.degree), " \
	"'scholarship', json_build_object('code', s.code, 'name', s.name, 'name_en', s.name_en), " \
	"'period', json_build_object('label', p.label, 'academic_year', p.academic_year, " \
	"'term', p.term, 'opens_at', " SCH_UTC("p.opens_at") ", " \
	"'closes_at', " SCH_UTC("p.closes_at") ", 'terms_document', p.terms_document), " \
	"'reviewers', COALESCE((SELECT json_agg(json_build_object('id', ru.id, " \
	"'full_name', ru.full_name, 'email', ru.email) ORDER BY ru.full_name, ru.id) " \
	"FROM application_reviewers ar JOIN users ru ON ru.id = ar.reviewer_id " \
	"WHERE ar.application_id = a.id), '[]'), " \
	"'status_history', COALESCE((SELECT json_agg(json_build_object('from_status', h.from_status, " \
	"'to_status', h.to_status, 'actor_id', h.actor_id, 'reason', h.reason, " \
	"'at', " SCH_UTC("h.at") ") ORDER BY h.at, h.id) " \
	"FROM application_status_history h WHERE h.application_id = a.id), '[]'))::text"
#define APP_FROM " FROM applications a JOIN periods p ON p.id = a.period_id " \
	"JOIN scholarships s ON s.id = p.scholarship_id JOIN students st ON st.id = a.student_id "
/*
 * The scope of DESIGN §7 on an application row, one condition per role
 * (app_scope_of() picks it; $1 is the scope's value): students their own;
 * reviewers what is assigned to them; college staff their college's
 * students'; admins their scholarships'; super admins all. One statement
 * per scope keeps each plan to the one condition it needs.
 */
#define APP_SCOPE_STUDENT "a.user_id = $1::uuid"
#define APP_SCOPE_REVIEWER \
	"EXISTS (SELECT 1 FROM application_reviewers ar " \
	"WHERE ar.application_id = a.id AND ar.reviewer_id = $1::uuid)"
#define APP_SCOPE_COLLEGE "st.college_code = $1::text"
#define APP_SCOPE_ADMIN \
	"EXISTS (SELECT 1 FROM scholarship_admins g " \
	"WHERE g.scholarship_id = p.scholarship_id AND g.user_id = $1::uuid)"
#define APP_SCOPE_ALL "$1::text IS NULL"
/* clang-format on */

/* Columns of every "SELECT APP_JSON, a.version, a.status, a.id ..." and,
 * from app_lock, what editing and submitting need. */
enum app_col {
	AC_JSON,
	AC_VERSION,
	AC_STATUS,
	AC_ID,
	AC_ANSWERS, /* a.answers as JSON text */
	AC_PERIOD_ID,
	AC_FORM,        /* p.form_fields as JSON text */
	AC_TERMS,       /* p.terms_document, NULL when none */
	AC_RESUBMIT_OK, /* "t" while a returned application may be resubmitted */
	AC_NEXT_STAGE,  /* the stage a submitted application enters */
};

enum app_scope { SC_STUDENT, SC_REVIEWER, SC_COLLEGE, SC_ADMIN, SC_ALL, SC__MAX };

/* The caller's scope and the value of its condition's $1. */
enum app_scope app_scope_of(const struct ctx *c, const char **value);

extern const char app_not_found[];
extern const char app_duplicate[];

/* Lists (application_list.c, document_requests.c): a query filter's
 * value, or NULL when absent or empty; an invalid one sets *bad and
 * answers 400 (ok NULL: any value up to 200 bytes). */
const char *app_query_filter(struct ctx *c, const char *key, int (*ok)(const char *), int *bad);
/* Is s a UUID? */
int app_uuid_ok(const char *s);
/* Is s one of the NULL-terminated list? (for app_query_filter's ok) */
int app_one_of(const char *s, const char *const *list);
/* A keyset cursor "<microseconds>,<uuid>" split into its halves; 0, or -1
 * with 400 answered when it is not one a list gave out. */
int app_split_cursor(struct ctx *c, const char *raw, const char **ts, const char **id);
/* Run the list statement st with p, its parameter p[limit_at] set to
 * limit + 1, and answer the page (column 0 the item's JSON, column 1 the
 * raw cursor), or the failure (503/500). */
void app_answer_list(struct ctx *c, const struct db_stmt *st, const char **p, int limit_at,
                     long limit);

/* BEGIN; 0, or -1 with 503 answered. */
int app_begin(struct ctx *c);
/* Answer the class of a failed statement outside a transaction. */
void app_db_fail(struct ctx *c, enum db_err err);
/* Column col of row 0 parsed as JSON (arena-owned), or NULL (logged). */
cJSON *app_parsed(struct ctx *c, const PGresult *r, int col);

/*
 * Lock (FOR UPDATE, inside a transaction app_lock opens) the application
 * of the path: the owner's when own is set, else one the caller may
 * manage (admin in scope, super admin). Columns: enum app_col, then
 * extra. NULL when answered (404, 503...).
 */
PGresult *app_lock(struct ctx *c, int own);

/* The student's record and the period's rules, evaluated. */
struct app_eval {
	struct elig_result res;
	cJSON *subs;  /* the scholarship's sub_types */
	int single;   /* sub_type_selection is single */
	int excluded; /* a whitelist leaves the student out */
	int open;     /* the period takes new applications now */
	const char *student_id;
	const char *locale;
	int en; /* messages in English */
};
/*
 * Inside the open transaction: read the caller's student record (none:
 * 422 "student") and the period (locked FOR SHARE; none: 422
 * "period_id"), and evaluate the period's rules against the record as it
 * is now. 0, or -1 when answered (rolled back).
 */
int app_evaluate(struct ctx *c, const char *period_id, struct app_eval *ev);

/* The eligibility verdict as "eligibility.<field>" errors. */
void app_check_eligibility(struct ctx *c, const struct app_eval *ev, struct verrors *e);
/* The requested sub-types (array of strings) as "sub_types" errors. */
void app_check_sub_types(struct ctx *c, const struct app_eval *ev, const cJSON *want,
                         struct verrors *e);

/* A status history row; 0, or -1 with the failure answered. */
int app_history(struct ctx *c, const char *id, const char *from, const char *to,
                const char *reason);

/*
 * Audit action (before: the record's JSON text before, or NULL), commit
 * and answer status with the application as it now is, read back inside
 * the transaction.
 */
void app_finish(struct ctx *c, int status, const char *action, const char *id, const char *before);

#endif

/*
 * students.c -- the student record routes of students.h, and the
 * re-encryption run `scholarshipctl reencrypt-pii` drives.
 *
 * Answers are built by PostgreSQL (STUDENT_JSON) from the masked columns
 * only, so no clear personal data is ever selected for a record, a list
 * or a PATCH answer; the sealed columns are read solely by students_pii()
 * and students_update_me() (to seal), and by the re-encryption.
 *
 * Lists page by student_number (unique; keyset, constant cost at any
 * depth) with an opaque cursor: the base64url of the last number.
 */
#include "students.h"

#include "arena.h"
#include "audit.h"
#include "buf.h"
#include "config.h"
#include "handler.h"
#include "http.h"
#include "json.h"
#include "log.h"
#include "pii.h"
#include "reference.h"
#include "router.h"
#include "student_import.h"
#include "validate.h"
#include "worker.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define UTC(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
#define STUDENT_JSON                                                                               \
	"json_build_object('id', s.id, 'student_number', s.student_number, 'name', s.name, "       \
	"'name_en', s.name_en, 'email', s.email, 'national_id', s.national_id_masked, "            \
	"'birth_date', CASE WHEN s.birth_date_enc IS NULL THEN NULL ELSE '" PII_MASK_BIRTH_DATE    \
	"' END, 'bank_account', s.bank_account_masked, 'gender', s.gender, "                       \
	"'nationality', s.nationality, 'college_code', s.college_code, "                           \
	"'department_code', s.department_code, 'degree', s.degree, "                               \
	"'year_of_study', s.year_of_study, 'terms_enrolled', s.terms_enrolled, "                   \
	"'enrollment_status', s.enrollment_status, 'identity_category', s.identity_category, "     \
	"'gpa', s.gpa, 'class_rank_percent', s.class_rank_percent, "                               \
	"'advisor_email', s.advisor_email, 'source', s.source, "                                   \
	"'verified_at', " UTC("s.verified_at") ", 'self_updated_at', " UTC(                        \
	    "s.self_updated_at") ", 'version', "                                                   \
	                         "s.version, "                                                     \
	                         "'created_at',"                                                   \
	                         " " UTC("s.created_"                                              \
	                                 "at") ", "                                                \
	                                       "'upd"                                              \
	                                       "ated"                                              \
	                                       "_at'"                                              \
	                                       ","                                                 \
	                                       " " UTC("s.updated_at") ")::text"

/*
 * The scope condition every staff query carries, on its parameter $n:
 * NULL (admins) lets every record through, a college code only that
 * college's. scope_of() below is the one place that decides the value.
 */
#define SCOPE(n) "($" #n "::text IS NULL OR s.college_code = $" #n ")"

static const struct db_stmt q_me = {"students_me",
                                    "SELECT " STUDENT_JSON
                                    ", s.id, s.student_number FROM students s "
                                    "JOIN users u ON lower(u.email) = lower(s.email) "
                                    "WHERE u.id = $1::uuid AND u.email_verified AND u.active",
                                    1};
static const struct db_stmt q_me_lock = {
    "students_me_lock",
    "SELECT s.id, s.student_number FROM students s "
    "JOIN users u ON lower(u.email) = lower(s.email) "
    "WHERE u.id = $1::uuid AND u.email_verified AND u.active FOR UPDATE OF s",
    1};
static const struct db_stmt q_update_me = {
    "students_update_me",
    "UPDATE students s SET advisor_email = CASE WHEN $2::boolean THEN $3 ELSE advisor_email END, "
    "bank_account_enc = CASE WHEN $4::boolean THEN $5 ELSE bank_account_enc END, "
    "bank_account_masked = CASE WHEN $4::boolean THEN $6 ELSE bank_account_masked END, "
    "self_updated_at = now(), version = version + 1, updated_at = now() "
    "WHERE s.id = $1::uuid RETURNING " STUDENT_JSON,
    6};
static const struct db_stmt q_get = {
    "students_get", "SELECT " STUDENT_JSON " FROM students s WHERE s.id = $1::uuid AND " SCOPE(2),
    2};
static const struct db_stmt q_list = {
    "students_list",
    "SELECT " STUDENT_JSON ", s.student_number FROM students s WHERE " SCOPE(
        1) " AND ($2::text IS NULL OR s.college_code = $2) AND ($3::text IS NULL OR s.degree = $3)"
           " AND ($4::text IS NULL OR s.student_number ILIKE $4 OR s.name ILIKE $4"
           " OR s.name_en ILIKE $4 OR s.email ILIKE $4)"
           " AND ($5::text IS NULL OR s.student_number > $5)"
           " ORDER BY s.student_number LIMIT $6::integer",
    6};
static const struct db_stmt q_pii = {
    "students_pii",
    "SELECT s.student_number, CASE $3 WHEN 'national_id' THEN s.national_id_enc "
    "WHEN 'birth_date' THEN s.birth_date_enc ELSE s.bank_account_enc END "
    "FROM students s WHERE s.id = $1::uuid AND " SCOPE(2),
    3};

static const char *const pii_names[] = {"national_id", "birth_date", "bank_account", NULL};
static const char *const degree_names[] = {"bachelor", "master", "phd", NULL};
static const char *const list_keys[] = {"q", "college_code", "degree", "cursor", "limit", NULL};

static const struct vfield me_fields[] = {
    {.name = "advisor_email", .type = VT_EMAIL, .flags = VF_NULLABLE, .min = 3, .max = 254},
    {.name = "bank_account", .type = VT_STRING, .flags = VF_NULLABLE, .min = 6, .max = 30},
};

/* ---- shared helpers ---------------------------------------------------- */

/* NULL: every record (admins); else the one college the caller may see. */
static const char *scope_of(const struct ctx *c)
{
	if (c->role & (ROLE_ADMIN | ROLE_SUPER_ADMIN))
		return NULL;
	if (c->role == ROLE_COLLEGE && c->college_code != NULL)
		return c->college_code;
	return ""; /* no college matches: nothing is in scope */
}

const struct pii_keyring *students_keyring(const struct config *cfg)
{
	static struct pii_keyring kr;
	static int state; /* 0 not tried, 1 loaded, -1 unusable */
	char err[256];

	if (state == 0) {
		state = pii_keyring_parse(&kr, cfg->pii_encryption_keys, err, sizeof(err)) == 0
		            ? 1
		            : -1;
		if (state < 0)
			log_error("students: %s; personal data routes answer 503", err);
	}
	return state > 0 ? &kr : NULL;
}

static const struct pii_keyring *need_keyring(struct ctx *c)
{
	const struct pii_keyring *kr = students_keyring(c->w->cfg);

	if (kr == NULL)
		handler_unavailable(c, "personal data cannot be sealed or opened: "
		                       "PII_ENCRYPTION_KEYS is not configured");
	return kr;
}

static void db_failed(struct ctx *c, enum db_err err)
{
	if (db_err_status(err) == 503)
		handler_unavailable(c, "the database is unavailable, retry shortly");
	else
		resp_problem(c->resp, c->req, 500, NULL, NULL, 0);
}

static void not_found(struct ctx *c, const char *detail)
{
	resp_problem(c->resp, c->req, 404, detail, NULL, 0);
}

/* Answer the one JSON text in column 0 of res, or 404. */
static void answer_record(struct ctx *c, const PGresult *res, const char *missing)
{
	if (PQntuples(res) != 1) {
		not_found(c, missing);
		return;
	}
	resp_json(c->resp, 200, PQgetvalue(res, 0, 0), (size_t)PQgetlength(res, 0, 0));
}

/* ---- GET/PATCH /students/me -------------------------------------------- */

static const char no_record[] = "no student record is linked to your account (the record's "
                                "email must equal your verified email)";

void students_me(struct ctx *c)
{
	const char *params[1] = {c->user_id};
	enum db_err err;
	PGresult *res = db_exec(&c->w->db, c->arena, &q_me, params, &err, NULL);

	if (res == NULL) {
		db_failed(c, err);
		return;
	}
	answer_record(c, res, no_record);
}

/* The new bank account, sealed, and its mask; 0, or -1 with an answer. */
static int seal_bank(struct ctx *c, const char *number, const char *clear, const char **enc,
                     const char **mask)
{
	const struct pii_keyring *kr = need_keyring(c);
	const char *aad;

	if (kr == NULL)
		return -1;
	aad = student_pii_aad(c->arena, "bank_account", number);
	*enc = aad ? pii_encrypt(kr, c->arena, aad, clear, strlen(clear)) : NULL;
	*mask = pii_mask_bank_account(c->arena, clear);
	if (*enc == NULL || *mask == NULL) {
		resp_problem(c->resp, c->req, 500, NULL, NULL, 0);
		return -1;
	}
	return 0;
}

/* The value of a self-reported key: given (1) or not (0), and its
 * normalised value (NULL to clear); -1 with 422 answered. */
static int self_field(struct ctx *c, const char *key, const char **value)
{
	const cJSON *j = cJSON_GetObjectItemCaseSensitive(c->body, key);
	const char *why;

	*value = NULL;
	if (j == NULL)
		return 0;
	if (cJSON_IsNull(j))
		return 1;
	why = student_field_check(key, j->valuestring, c->arena, value);
	if (why != NULL) {
		handler_invalid(c, key, why);
		return -1;
	}
	return 1;
}

/* Inside the transaction: lock the record, update it, audit. */
static PGresult *update_me(struct ctx *c, int has_adv, const char *adv, int has_bank,
                           const char *bank, enum db_err *err)
{
	const char *params[6] = {c->user_id}, *enc = NULL, *mask = NULL;
	PGresult *rec = db_exec(&c->w->db, c->arena, &q_me_lock, params, err, NULL), *res;

	if (rec == NULL)
		return NULL;
	if (PQntuples(rec) != 1) {
		not_found(c, no_record);
		return NULL;
	}
	if (has_bank && bank != NULL && seal_bank(c, PQgetvalue(rec, 0, 1), bank, &enc, &mask) < 0)
		return NULL;
	params[0] = PQgetvalue(rec, 0, 0);
	params[1] = has_adv ? "true" : "false", params[2] = adv;
	params[3] = has_bank ? "true" : "false", params[4] = enc, params[5] = mask;
	res = db_exec(&c->w->db, c->arena, &q_update_me, params, err, NULL);
	if (res == NULL ||
	    audit_record(c, NULL, "student.self_update", "student", params[0], NULL,
	                 arena_printf(c->arena, "{\"advisor_email\":%s,\"bank_account\":%s}",
	                              has_adv ? "\"changed\"" : "null",
	                              has_bank ? "\"changed\"" : "null")) < 0) {
		*err = *err == DB_OK ? DB_FAILED : *err;
		return NULL;
	}
	return res;
}

void students_update_me(struct ctx *c)
{
	const char *adv, *bank;
	int has_adv, has_bank;
	enum db_err err = DB_OK;
	PGresult *res;

	if (handler_body(c, me_fields, 2, 1) < 0 ||
	    (has_adv = self_field(c, "advisor_email", &adv)) < 0 ||
	    (has_bank = self_field(c, "bank_account", &bank)) < 0)
		return;
	if (db_begin(&c->w->db) < 0) {
		handler_unavailable(c, "the database is unavailable, retry shortly");
		return;
	}
	res = update_me(c, has_adv, adv, has_bank, bank, &err);
	if (res == NULL || db_commit(&c->w->db) < 0) {
		db_rollback(&c->w->db);
		if (c->resp->status == 0)
			db_failed(c, err == DB_OK ? DB_DOWN : err);
		return;
	}
	answer_record(c, res, no_record);
}

/* ---- GET /students/{id} and its PII ------------------------------------ */

void students_get(struct ctx *c)
{
	const char *params[2] = {c->req->path_ids[0], scope_of(c)};
	enum db_err err;
	PGresult *res = db_exec(&c->w->db, c->arena, &q_get, params, &err, NULL);

	if (res == NULL) {
		db_failed(c, err);
		return;
	}
	answer_record(c, res, "no such student");
}

static int in_list(const char *const *list, const char *s)
{
	for (; *list != NULL; list++)
		if (strcmp(*list, s) == 0)
			return 1;
	return 0;
}

/* Open the value; audit before it leaves; answer. */
static void answer_pii(struct ctx *c, const struct pii_keyring *kr, const char *field,
                       const PGresult *res)
{
	const char *id = c->req->path_ids[0], *clear = NULL;
	struct buf b;

	if (!PQgetisnull(res, 0, 1)) {
		clear = pii_decrypt(kr, c->arena,
		                    student_pii_aad(c->arena, field, PQgetvalue(res, 0, 0)),
		                    PQgetvalue(res, 0, 1));
		if (clear == NULL) {
			log_error("students: %s of %s does not open with the configured keys",
			          field, id);
			resp_problem(c->resp, c->req, 500,
			             "the value cannot be opened with the configured keys", NULL,
			             0);
			return;
		}
	}
	if (audit_record(c, NULL, "student.pii_read", "student", id, NULL,
	                 arena_printf(c->arena, "{\"field\":\"%s\"}", field)) < 0) {
		handler_unavailable(c, "the read could not be audited, so it is refused");
		return;
	}
	buf_init(&b, c->arena);
	buf_puts(&b, "{\"id\":");
	buf_json_str(&b, id);
	buf_printf(&b, ",\"field\":\"%s\",\"value\":", field);
	if (clear != NULL)
		buf_json_str(&b, clear);
	else
		buf_puts(&b, "null");
	buf_putc(&b, '}');
	if (b.oom)
		resp_problem(c->resp, c->req, 500, NULL, NULL, 0);
	else
		resp_json(c->resp, 200, b.data, b.len);
}

void students_pii(struct ctx *c)
{
	int bad = 0;
	const char *field = http_query(c->req, "field", &bad), *params[3];
	const struct pii_keyring *kr;
	enum db_err err;
	PGresult *res;

	if (bad || field == NULL || !in_list(pii_names, field)) {
		static const struct problem_field f = {
		    "field", "must be national_id, birth_date or bank_account"};

		resp_problem(c->resp, c->req, 400, "say which field to read", &f, 1);
		return;
	}
	if ((kr = need_keyring(c)) == NULL)
		return;
	params[0] = c->req->path_ids[0], params[1] = scope_of(c), params[2] = field;
	if ((res = db_exec(&c->w->db, c->arena, &q_pii, params, &err, NULL)) == NULL) {
		db_failed(c, err);
		return;
	}
	if (PQntuples(res) != 1) {
		not_found(c, "no such student");
		return;
	}
	answer_pii(c, kr, field, res);
}

/* ---- GET /students ----------------------------------------------------- */

#define CURSOR_B64 sodium_base64_VARIANT_URLSAFE_NO_PADDING

struct list_query {
	const char *college, *degree, *pattern, *after;
	long limit;
	struct problem_field errs[6];
	size_t nerr;
};

static void bad(struct list_query *q, const char *field, const char *message)
{
	if (q->nerr < sizeof(q->errs) / sizeof(q->errs[0]))
		q->errs[q->nerr++] = (struct problem_field){field, message};
}

static char *cursor_encode(struct arena *a, const char *number)
{
	size_t n = strlen(number), len = sodium_base64_ENCODED_LEN(n, CURSOR_B64);
	char *out = arena_alloc(a, len);

	return out ? sodium_bin2base64(out, len, (const unsigned char *)number, n, CURSOR_B64)
	           : NULL;
}

/* The student number a cursor carries, or NULL when it is not one of ours. */
static const char *cursor_decode(struct arena *a, const char *s)
{
	unsigned char raw[32];
	const char *end, *norm = NULL;
	size_t n;

	if (strlen(s) > 40 ||
	    sodium_base642bin(raw, sizeof(raw) - 1, s, strlen(s), NULL, &n, &end, CURSOR_B64) !=
	        0 ||
	    *end != '\0')
		return NULL;
	raw[n] = '\0';
	if (student_field_check("student_number", (const char *)raw, a, &norm) != NULL ||
	    norm == NULL || strcmp(norm, (const char *)raw) != 0)
		return NULL;
	return norm;
}

/* Unknown query keys are refused (usually typos). */
static int unknown_keys(const struct ctx *c)
{
	const char *p = c->req->query;

	while (*p) {
		size_t len = strcspn(p, "&"), klen = strcspn(p, "="), i;
		int known = 0;

		if (klen > len)
			klen = len;
		for (i = 0; list_keys[i] != NULL; i++)
			if (strlen(list_keys[i]) == klen && strncmp(p, list_keys[i], klen) == 0)
				known = 1;
		if (!known && len > 0)
			return -1;
		p += len + (p[len] == '&');
	}
	return 0;
}

static void parse_filters(struct ctx *c, struct list_query *q, int *malformed)
{
	const char *qs = http_query(c->req, "q", malformed);

	q->college = http_query(c->req, "college_code", malformed);
	if (q->college != NULL && !reference_code_valid(q->college))
		bad(q, "college_code", "must be 1 to 10 upper-case letters or digits");
	q->degree = http_query(c->req, "degree", malformed);
	if (q->degree != NULL && !in_list(degree_names, q->degree))
		bad(q, "degree", "must be bachelor, master or phd");
	if (qs != NULL && (!json_utf8_valid(qs, strlen(qs)) || validate_utf8_len(qs) > 100))
		bad(q, "q", "must be at most 100 characters of UTF-8");
	else if (qs != NULL && *qs != '\0')
		q->pattern = handler_like_pattern(c->arena, qs);
}

/* Parse and check the list's query; 0, or -1 with 400 answered. */
static int parse_list_query(struct ctx *c, struct list_query *q)
{
	const char *limit, *cursor;
	int malformed = unknown_keys(c) < 0;

	memset(q, 0, sizeof(*q));
	q->limit = 20;
	parse_filters(c, q, &malformed);
	limit = http_query(c->req, "limit", &malformed);
	if (limit != NULL && config_parse_long(limit, 1, 100, &q->limit) < 0)
		bad(q, "limit", "must be an integer from 1 to 100");
	cursor = http_query(c->req, "cursor", &malformed);
	if (cursor != NULL && (q->after = cursor_decode(c->arena, cursor)) == NULL)
		bad(q, "cursor", "is not a cursor this list gave out");
	if (malformed) {
		resp_problem(c->resp, c->req, 400,
		             "the query string is malformed or names an unknown parameter", NULL,
		             0);
		return -1;
	}
	if (q->nerr > 0) {
		resp_problem(c->resp, c->req, 400, "some query parameters are invalid", q->errs,
		             q->nerr);
		return -1;
	}
	return 0;
}

/* {items, next_cursor} from up to limit + 1 rows. */
static void answer_page(struct ctx *c, const PGresult *r, long limit)
{
	int n = PQntuples(r), i;
	struct buf b;

	buf_init(&b, c->arena);
	buf_puts(&b, "{\"items\":[");
	for (i = 0; i < n && i < limit; i++) {
		if (i > 0)
			buf_putc(&b, ',');
		buf_puts(&b, PQgetvalue(r, i, 0));
	}
	buf_puts(&b, "],\"next_cursor\":");
	if (n > limit) {
		const char *next = cursor_encode(c->arena, PQgetvalue(r, i - 1, 1));

		if (next == NULL)
			b.oom = 1;
		buf_json_str(&b, next);
	} else {
		buf_puts(&b, "null");
	}
	buf_putc(&b, '}');
	if (b.oom)
		resp_problem(c->resp, c->req, 500, NULL, NULL, 0);
	else
		resp_json(c->resp, 200, b.data, b.len);
}

void students_list(struct ctx *c)
{
	struct list_query q;
	const char *p[6];
	enum db_err err;
	PGresult *r;

	if (parse_list_query(c, &q) < 0)
		return;
	p[0] = scope_of(c), p[1] = q.college, p[2] = q.degree, p[3] = q.pattern;
	p[4] = q.after, p[5] = arena_printf(c->arena, "%ld", q.limit + 1);
	if ((r = db_exec(&c->w->db, c->arena, &q_list, p, &err, NULL)) == NULL) {
		db_failed(c, err);
		return;
	}
	answer_page(c, r, q.limit);
}

/* ---- POST /students/import --------------------------------------------- */

/* ?dry_run=true|false|1|0; 0 or 1, or -1 with 400 answered. */
static int dry_run_of(struct ctx *c)
{
	int bad_query = 0;
	const char *v = http_query(c->req, "dry_run", &bad_query);

	if (!bad_query && (v == NULL || strcmp(v, "false") == 0 || strcmp(v, "0") == 0))
		return 0;
	if (!bad_query && (strcmp(v, "true") == 0 || strcmp(v, "1") == 0))
		return 1;
	resp_problem(c->resp, c->req, 400, "dry_run must be true or false", NULL, 0);
	return -1;
}

/* 422 listing every error as rows.N.field (rows.N for a whole row). */
static void answer_invalid(struct ctx *c, const struct student_import_report *rep)
{
	struct problem_field *f = arena_calloc(c->arena, rep->nkept ? rep->nkept : 1, sizeof(*f));
	size_t i;

	if (f == NULL) {
		resp_problem(c->resp, c->req, 500, NULL, NULL, 0);
		return;
	}
	for (i = 0; i < rep->nkept; i++) {
		const struct student_import_error *e = &rep->errors[i];

		f[i].message = e->message;
		f[i].field = e->row == 0 ? "rows"
		             : e->field == NULL
		                 ? arena_printf(c->arena, "rows.%zu", e->row)
		                 : arena_printf(c->arena, "rows.%zu.%s", e->row, e->field);
		if (f[i].field == NULL)
			f[i].field = "rows";
	}
	resp_problem(c->resp, c->req, 422,
	             arena_printf(c->arena, "the file has %zu error(s)%s; nothing was imported",
	                          rep->nerrors,
	                          rep->nerrors > rep->nkept ? " (the first ones are listed)" : ""),
	             f, rep->nkept);
}

static void answer_report(struct ctx *c, const struct student_import_report *rep, int dry_run)
{
	struct buf b;

	buf_init(&b, c->arena);
	student_import_report_json(&b, rep, dry_run);
	if (b.oom)
		resp_problem(c->resp, c->req, 500, NULL, NULL, 0);
	else
		resp_json(c->resp, 200, b.data, b.len);
}

void students_import(struct ctx *c)
{
	struct student_import_opts o = {.actor_id = c->user_id,
	                                .actor_ip = c->req->remote_addr,
	                                .request_id = c->req->request_id};
	struct student_import_report rep;
	const struct pii_keyring *kr;
	enum student_import_status st;
	static const struct problem_field too_many = {"rows", "at most 100000 rows per file"};

	if ((o.dry_run = dry_run_of(c)) < 0 || (kr = need_keyring(c)) == NULL)
		return;
	if (db_ensure(&c->w->db) < 0) {
		handler_unavailable(c, "the database is unavailable, retry shortly");
		return;
	}
	st = student_import_run(c->w->db.conn, c->arena, kr, c->req->body ? c->req->body : "",
	                        c->req->body ? c->req->body_len : 0, &o, &rep);
	if (st == SI_OK || (st == SI_INVALID && o.dry_run))
		answer_report(c, &rep, o.dry_run);
	else if (st == SI_INVALID)
		answer_invalid(c, &rep);
	else if (st == SI_TOO_MANY)
		resp_problem(c->resp, c->req, 422, "the file has too many rows", &too_many, 1);
	else if (st == SI_DB_DOWN)
		handler_unavailable(c, "the database is unavailable, retry shortly");
	else
		resp_problem(c->resp, c->req, 500, NULL, NULL, 0);
}

/* ---- re-encryption ----------------------------------------------------- */

static const char sql_reenc_batch[] =
    "SELECT id, student_number, national_id_enc, birth_date_enc, bank_account_enc "
    "FROM students WHERE id > $1::uuid AND (national_id_enc NOT LIKE $2 "
    "OR birth_date_enc NOT LIKE $2 OR bank_account_enc NOT LIKE $2) "
    "ORDER BY id LIMIT 500 FOR UPDATE";
static const char sql_reenc_update[] = "UPDATE students SET national_id_enc = $2, "
                                       "birth_date_enc = $3, bank_account_enc = $4 "
                                       "WHERE id = $1::uuid";
static const char sql_reenc_audit[] = "INSERT INTO audit_log (action, entity_type, after) "
                                      "VALUES ('student.pii_reencrypted', 'student', $1::jsonb)";

static PGresult *reenc_exec(PGconn *conn, const char *sql, int n, const char *const *p,
                            ExecStatusType want)
{
	PGresult *res = PQexecParams(conn, sql, n, NULL, p, NULL, NULL, 0);

	if (res != NULL && PQresultStatus(res) == want)
		return res;
	fprintf(stderr, "reencrypt-pii: %s", PQerrorMessage(conn));
	PQclear(res);
	return NULL;
}

/* Re-seal one value; the new text, the old one (unchanged), or NULL. */
static const char *reseal(const struct pii_keyring *kr, struct arena *a, const char *field,
                          const char *number, const char *enc, long *failed)
{
	const char *aad = student_pii_aad(a, field, number), *clear;

	if (enc == NULL || *enc == '\0' || pii_version_of(enc) == kr->current)
		return enc;
	if ((clear = pii_decrypt(kr, a, aad, enc)) == NULL) {
		(*failed)++;
		return enc;
	}
	return pii_encrypt(kr, a, aad, clear, strlen(clear));
}

/* One row: re-seal what needs it and write it back. 0 or -1. */
static int reenc_row(PGconn *conn, const struct pii_keyring *kr, struct arena *a,
                     const PGresult *res, int t, struct students_reencrypt_result *out)
{
	const char *p[4] = {PQgetvalue(res, t, 0)}, *number = PQgetvalue(res, t, 1);
	long failed = out->failed;
	PGresult *u;
	int k;

	for (k = 0; k < 3; k++) {
		const char *enc = PQgetisnull(res, t, 2 + k) ? NULL : PQgetvalue(res, t, 2 + k);

		p[1 + k] = reseal(kr, a, pii_names[k], number, enc, &out->failed);
		if (enc != NULL && p[1 + k] == NULL)
			return -1;
	}
	if ((u = reenc_exec(conn, sql_reenc_update, 4, p, PGRES_COMMAND_OK)) == NULL)
		return -1;
	PQclear(u);
	out->rows += out->failed == failed;
	return 0;
}

/* One batch after *last (a uuid); the number of rows seen, or -1. */
static int reenc_batch(PGconn *conn, const struct pii_keyring *kr, struct arena *a, char *last,
                       size_t lastlen, struct students_reencrypt_result *out)
{
	char like[16];
	const char *p[2] = {last, like};
	PGresult *res, *r2;
	int t, n = -1;

	snprintf(like, sizeof(like), "v%u:%%", kr->current);
	if ((r2 = reenc_exec(conn, "BEGIN", 0, NULL, PGRES_COMMAND_OK)) == NULL)
		return -1;
	PQclear(r2);
	if ((res = reenc_exec(conn, sql_reenc_batch, 2, p, PGRES_TUPLES_OK)) != NULL) {
		for (t = 0; t < PQntuples(res); t++)
			if (reenc_row(conn, kr, a, res, t, out) < 0)
				break;
		if (t == PQntuples(res)) {
			n = t;
			if (t > 0)
				snprintf(last, lastlen, "%s", PQgetvalue(res, t - 1, 0));
		}
		PQclear(res);
	}
	r2 = reenc_exec(conn, n >= 0 ? "COMMIT" : "ROLLBACK", 0, NULL, PGRES_COMMAND_OK);
	if (r2 == NULL)
		n = -1;
	PQclear(r2);
	arena_reset(a);
	return n;
}

int students_reencrypt(PGconn *conn, const struct pii_keyring *kr, struct arena *a,
                       struct students_reencrypt_result *out)
{
	char last[40] = "00000000-0000-0000-0000-000000000000", after[128];
	const char *p[1] = {after};
	PGresult *res;
	int n;

	memset(out, 0, sizeof(*out));
	while ((n = reenc_batch(conn, kr, a, last, sizeof(last), out)) > 0)
		;
	if (n < 0)
		return -1;
	snprintf(after, sizeof(after), "{\"rows\":%ld,\"failed\":%ld,\"key_version\":%u}",
	         out->rows, out->failed, kr->current);
	if ((res = reenc_exec(conn, sql_reenc_audit, 1, p, PGRES_COMMAND_OK)) == NULL)
		return -1;
	PQclear(res);
	return 0;
}

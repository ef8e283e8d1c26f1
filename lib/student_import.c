/*
 * student_import.c -- the student record field table and the CSV import
 * of student_import.h: parse and check every row, seal personal data,
 * COPY into a temporary table, check against the database, upsert, all
 * in one transaction that a dry run or any error rolls back.
 *
 * Clear personal data never reaches PostgreSQL, not even the temporary
 * table: values are sealed in this process (lib/pii.c) before COPY. The
 * clear copies live in the caller's arena until it is reset.
 */
#include "student_import.h"

#include "arena.h"
#include "buf.h"
#include "config.h"
#include "csv.h"
#include "json.h"
#include "log.h"
#include "pii.h"
#include "reference.h"
#include "validate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- the field table --------------------------------------------------- */

enum sf_type {
	SF_NUMBER, /* student number: [A-Z0-9]{4,20}, upper-cased */
	SF_TEXT,   /* min..max characters, no control characters */
	SF_EMAIL,
	SF_DATE,        /* YYYY-MM-DD, not in the future */
	SF_INT,         /* min..max */
	SF_DECIMAL,     /* up to two decimals; min..max in hundredths */
	SF_ENUM,        /* one of options */
	SF_CODE,        /* a reference code's shape (existence checked in SQL) */
	SF_NATIONAL_ID, /* [A-Z0-9]{6,20}; Taiwanese ids checksum-checked */
	SF_BANK,        /* digits and dashes */
	SF_ALPHA2,      /* ISO 3166-1 alpha-2 */
};

#define SF_REQUIRED 0x1u /* the column must be in the header and the cell non-empty */
#define SF_PII 0x2u      /* sealed at rest */

enum sfid {
	F_NUMBER,
	F_NAME,
	F_NAME_EN,
	F_EMAIL,
	F_NATIONAL_ID,
	F_BIRTH_DATE,
	F_BANK,
	F_GENDER,
	F_NATIONALITY,
	F_COLLEGE,
	F_DEPARTMENT,
	F_DEGREE,
	F_YEAR,
	F_TERMS,
	F_STATUS,
	F_IDENTITY,
	F_GPA,
	F_RANK,
	F_ADVISOR,
	F__MAX
};

static const char *const genders[] = {"M", "F", "X", NULL};
static const char *const degrees[] = {"bachelor", "master", "phd", NULL};
static const char *const statuses[] = {"enrolled", "leave", "graduated", "withdrawn", NULL};
static const char *const identities[] = {
    "general",           "indigenous",       "low_income",
    "middle_low_income", "disability",       "overseas_chinese",
    "international",     "mainland_chinese", NULL};

/* Column order here is the temporary table's (and COPY's) order. */
static const struct sfield {
	const char *name, *column;
	enum sf_type type;
	unsigned flags;
	long min, max;
	const char *const *options;
} fields[F__MAX] = {
    [F_NUMBER] = {"student_number", "student_number", SF_NUMBER, SF_REQUIRED, 0, 0, NULL},
    [F_NAME] = {"name", "name", SF_TEXT, SF_REQUIRED, 1, 100, NULL},
    [F_NAME_EN] = {"name_en", "name_en", SF_TEXT, 0, 1, 200, NULL},
    [F_EMAIL] = {"email", "email", SF_EMAIL, SF_REQUIRED, 0, 0, NULL},
    [F_NATIONAL_ID] = {"national_id", "national_id_enc", SF_NATIONAL_ID, SF_PII, 0, 0, NULL},
    [F_BIRTH_DATE] = {"birth_date", "birth_date_enc", SF_DATE, SF_PII, 0, 0, NULL},
    [F_BANK] = {"bank_account", "bank_account_enc", SF_BANK, SF_PII, 0, 0, NULL},
    [F_GENDER] = {"gender", "gender", SF_ENUM, 0, 0, 0, genders},
    [F_NATIONALITY] = {"nationality", "nationality", SF_ALPHA2, 0, 0, 0, NULL},
    [F_COLLEGE] = {"college_code", "college_code", SF_CODE, SF_REQUIRED, 0, 0, NULL},
    [F_DEPARTMENT] = {"department_code", "department_code", SF_CODE, 0, 0, 0, NULL},
    [F_DEGREE] = {"degree", "degree", SF_ENUM, SF_REQUIRED, 0, 0, degrees},
    [F_YEAR] = {"year_of_study", "year_of_study", SF_INT, 0, 1, 10, NULL},
    [F_TERMS] = {"terms_enrolled", "terms_enrolled", SF_INT, 0, 0, 30, NULL},
    [F_STATUS] = {"enrollment_status", "enrollment_status", SF_ENUM, SF_REQUIRED, 0, 0, statuses},
    [F_IDENTITY] = {"identity_category", "identity_category", SF_ENUM, 0, 0, 0, identities},
    [F_GPA] = {"gpa", "gpa", SF_DECIMAL, 0, 0, 430, NULL},
    [F_RANK] = {"class_rank_percent", "class_rank_percent", SF_DECIMAL, 0, 0, 10000, NULL},
    [F_ADVISOR] = {"advisor_email", "advisor_email", SF_EMAIL, 0, 0, 0, NULL},
};

/* The three sealed fields, in the order of struct irow's enc[]. */
static const enum sfid pii_fields[3] = {F_NATIONAL_ID, F_BIRTH_DATE, F_BANK};

static int field_id(const char *name)
{
	int i;

	for (i = 0; i < F__MAX; i++)
		if (strcmp(fields[i].name, name) == 0)
			return i;
	return -1;
}

/* ---- value checks ------------------------------------------------------ */

static int all_of(const char *s, const char *set)
{
	return s[strspn(s, set)] == '\0';
}

#define UPPER_DIGITS "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

static char *upper(struct arena *a, const char *s)
{
	char *u = arena_strdup(a, s), *p;

	for (p = u; p != NULL && *p; p++)
		if (*p >= 'a' && *p <= 'z')
			*p = (char)(*p - 'a' + 'A');
	return u;
}

/* Taiwanese national id / resident certificate checksum (A123456789). */
static int tw_id_ok(const char *s)
{
	static const int code[26] = {10, 11, 12, 13, 14, 15, 16, 17, 34, 18, 19, 20, 21,
	                             22, 35, 23, 24, 25, 26, 27, 28, 29, 32, 30, 31, 33};
	int sum = code[s[0] - 'A'] / 10 + (code[s[0] - 'A'] % 10) * 9, i;

	for (i = 1; i <= 8; i++)
		sum += (s[i] - '0') * (9 - i);
	return (sum + (s[9] - '0')) % 10 == 0;
}

static const char *check_national_id(const char *u)
{
	size_t n = strlen(u);

	if (n < 6 || n > 20 || !all_of(u, UPPER_DIGITS))
		return "must be 6 to 20 letters and digits";
	if (n == 10 && u[0] >= 'A' && u[0] <= 'Z' && strchr("1289", u[1]) != NULL &&
	    all_of(u + 1, "0123456789") && !tw_id_ok(u))
		return "is not a valid national id (checksum)";
	return NULL;
}

static const char *check_text(const struct sfield *f, const char *s)
{
	size_t n = validate_utf8_len(s), i;

	if ((long)n < f->min || (long)n > f->max)
		return f->max == 100 ? "must be 1 to 100 characters"
		                     : "must be 1 to 200 characters";
	for (i = 0; s[i]; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return "must not contain control characters";
	return NULL;
}

/* "3.85" -> 385 hundredths; -1 when not a plain decimal. */
static long hundredths(const char *s)
{
	long whole = 0, frac = 0;
	size_t i = 0, nd = 0, nf = 0;

	for (; s[i] >= '0' && s[i] <= '9' && nd < 4; i++, nd++)
		whole = whole * 10 + (s[i] - '0');
	if (nd == 0)
		return -1;
	if (s[i] == '.')
		for (i++; s[i] >= '0' && s[i] <= '9' && nf < 2; i++, nf++)
			frac = frac * 10 + (s[i] - '0');
	if (s[i] != '\0' || (s[i - 1] == '.'))
		return -1;
	return whole * 100 + (nf == 1 ? frac * 10 : frac);
}

static const char *check_date(const char *s)
{
	char today[11];
	time_t now = time(NULL);
	struct tm tm;

	if (!validate_date(s))
		return "must be a date YYYY-MM-DD";
	gmtime_r(&now, &tm);
	strftime(today, sizeof(today), "%Y-%m-%d", &tm);
	return strcmp(s, today) > 0 ? "must not be in the future" : NULL;
}

static const char *check_enum(const struct sfield *f, const char *s)
{
	size_t i;

	for (i = 0; f->options[i] != NULL; i++)
		if (strcmp(f->options[i], s) == 0)
			return NULL;
	return "is not one of the allowed values";
}

static const char *check_number(const char *u)
{
	size_t n = strlen(u);

	return n >= 4 && n <= 20 && all_of(u, UPPER_DIGITS) ? NULL
	                                                    : "must be 4 to 20 letters and digits";
}

static const char *check_simple(const struct sfield *f, const char *s)
{
	long v;
	size_t n = strlen(s);

	switch (f->type) {
	case SF_TEXT:
		return check_text(f, s);
	case SF_EMAIL:
		return validate_email(s) ? NULL : "must be an email address";
	case SF_DATE:
		return check_date(s);
	case SF_INT:
		return config_parse_long(s, f->min, f->max, &v) == 0 && all_of(s, "0123456789")
		           ? NULL
		           : (f->min == 1 ? "must be a whole number from 1 to 10"
		                          : "must be a whole number from 0 to 30");
	case SF_DECIMAL:
		v = hundredths(s);
		return v >= f->min && v <= f->max
		           ? NULL
		           : (f->max == 430
		                  ? "must be a number from 0 to 4.30 (two decimals at most)"
		                  : "must be a percentage from 0 to 100 (two decimals at most)");
	case SF_ENUM:
		return check_enum(f, s);
	case SF_CODE:
		return reference_code_valid(s) ? NULL
		                               : "must be a code of 1 to 10 letters or digits";
	case SF_BANK:
		return n >= 6 && n <= 30 && all_of(s, "0123456789-") && s[0] != '-' &&
		               s[n - 1] != '-'
		           ? NULL
		           : "must be 6 to 30 digits (dashes allowed between them)";
	case SF_ALPHA2:
		return n == 2 && all_of(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ")
		           ? NULL
		           : "must be a two-letter country code (ISO 3166-1)";
	default:
		return "cannot be checked";
	}
}

/* Check a non-empty value; NULL with *norm set, or the reason. */
static const char *check_value(const struct sfield *f, const char *s, struct arena *a,
                               const char **norm)
{
	const char *why;
	char *u;

	if (!json_utf8_valid(s, strlen(s)))
		return "is not valid UTF-8";
	if (f->type == SF_NUMBER || f->type == SF_NATIONAL_ID) {
		if ((u = upper(a, s)) == NULL)
			return "could not be checked (out of memory)";
		why = f->type == SF_NUMBER ? check_number(u) : check_national_id(u);
		*norm = u;
		return why;
	}
	*norm = s;
	return check_simple(f, s);
}

const char *student_field_check(const char *field, const char *value, struct arena *a,
                                const char **norm)
{
	int id = field_id(field);

	if (id < 0)
		return "is not a student record field";
	if (value == NULL || *value == '\0')
		return (fields[id].flags & SF_REQUIRED) ? "is required" : (*norm = NULL, NULL);
	return check_value(&fields[id], value, a, norm);
}

char *student_pii_aad(struct arena *a, const char *field, const char *student_number)
{
	return arena_printf(a, "students.%s:%s", field, student_number);
}

/* ---- the run ----------------------------------------------------------- */

struct irow {
	size_t row;
	const char *v[F__MAX]; /* normalised clear values; NULL: empty cell or absent column */
	const char *enc[3];    /* sealed values of pii_fields[] */
	const char *mask_nid, *mask_bank;
};

struct run {
	PGconn *conn;
	struct arena *a;
	const struct pii_keyring *kr;
	const struct student_import_opts *o;
	struct student_import_report *rep;
	int col[CSV_MAX_FIELDS]; /* header position -> field id */
	size_t ncols;
	int present[F__MAX];
	struct irow *rows; /* the rows whose every cell is valid */
	size_t n, cap;
	int oom;
	enum student_import_status fail; /* why the last query failed */
};

static void add_error(struct run *s, size_t row, const char *field, const char *msg)
{
	struct student_import_report *r = s->rep;

	r->nerrors++;
	if (r->nkept == STUDENT_IMPORT_MAX_ERRORS)
		return;
	if (r->errors == NULL && (r->errors = arena_calloc(s->a, STUDENT_IMPORT_MAX_ERRORS,
	                                                   sizeof(*r->errors))) == NULL) {
		s->oom = 1;
		return;
	}
	r->errors[r->nkept++] = (struct student_import_error){row, field, msg};
}

/* A header cell as an error path: itself when a plain name, else column_N. */
static const char *header_label(struct run *s, const struct csv_field *f, size_t i)
{
	if (f->len >= 1 && f->len <= 40 && all_of(f->s, "abcdefghijklmnopqrstuvwxyz0123456789_"))
		return f->s;
	return arena_printf(s->a, "column_%zu", i + 1);
}

static void header_cell(struct run *s, const struct csv_field *f, size_t i)
{
	int id = field_id(f->s);

	s->col[i] = id;
	if (id < 0)
		add_error(s, 1, header_label(s, f, i),
		          strcmp(f->s, "source") == 0 || strcmp(f->s, "verified_at") == 0
		              ? "is set by the system and cannot be imported"
		              : "is not a student record field");
	else if (s->present[id])
		add_error(s, 1, fields[id].name, "is named twice in the header");
	else
		s->present[id] = 1;
}

/* Read and check the header row. 0, or -1 with the errors recorded. */
static int read_header(struct run *s, struct csv_reader *rd)
{
	size_t before = s->rep->nerrors, i;
	struct csv_row h;
	enum csv_status st = csv_next(rd, &h);
	int id;

	if (st == CSV_END) {
		add_error(s, 1, NULL,
		          "the file is empty: a header row naming record fields is required");
		return -1;
	}
	if (st != CSV_ROW) {
		add_error(s, 1, NULL, h.error ? h.error : "the header row is malformed");
		return -1;
	}
	s->ncols = h.n;
	for (i = 0; i < h.n; i++)
		header_cell(s, &h.fields[i], i);
	for (id = 0; id < F__MAX; id++)
		if ((fields[id].flags & SF_REQUIRED) && !s->present[id])
			add_error(s, 1, fields[id].name, "column is required in the header");
	return s->rep->nerrors > before ? -1 : 0;
}

static struct irow *new_row(struct run *s)
{
	struct irow *r;

	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;

		if ((r = arena_calloc(s->a, cap, sizeof(*r))) == NULL) {
			s->oom = 1;
			return NULL;
		}
		if (s->n > 0)
			memcpy(r, s->rows, s->n * sizeof(*r));
		s->rows = r;
		s->cap = cap;
	}
	r = &s->rows[s->n];
	memset(r, 0, sizeof(*r));
	return r;
}

/* The cell without surrounding spaces (spreadsheets pad them). */
static const char *trimmed(struct run *s, const struct csv_field *f)
{
	size_t b = 0, e = f->len;

	while (b < e && f->s[b] == ' ')
		b++;
	while (e > b && f->s[e - 1] == ' ')
		e--;
	if (b == 0 && e == f->len)
		return f->s;
	return arena_strndup(s->a, f->s + b, e - b);
}

/* Check one record; keep it when every cell is valid. */
static void check_record(struct run *s, const struct csv_row *row)
{
	struct irow *r;
	size_t i;
	int ok = 1;

	if (row->n != s->ncols) {
		add_error(
		    s, row->record, NULL,
		    arena_printf(s->a, "has %zu fields; the header has %zu", row->n, s->ncols));
		return;
	}
	if ((r = new_row(s)) == NULL)
		return;
	r->row = row->record;
	for (i = 0; i < row->n; i++) {
		const struct sfield *f = &fields[s->col[i]];
		const char *cell = trimmed(s, &row->fields[i]), *why = NULL, *norm = NULL;

		if (cell == NULL) {
			s->oom = 1;
			return;
		}
		if (*cell == '\0')
			why = (f->flags & SF_REQUIRED) ? "is required" : NULL;
		else
			why = check_value(f, cell, s->a, &norm);
		if (why != NULL) {
			add_error(s, row->record, f->name, why);
			ok = 0;
		}
		r->v[s->col[i]] = norm;
	}
	if (ok)
		s->n++;
}

static enum student_import_status read_rows(struct run *s, struct csv_reader *rd)
{
	size_t max = s->o->max_rows ? s->o->max_rows : STUDENT_IMPORT_MAX_ROWS;
	struct csv_row row;
	enum csv_status st;

	while ((st = csv_next(rd, &row)) != CSV_END) {
		if (++s->rep->rows > max)
			return SI_TOO_MANY;
		if (st == CSV_FATAL) {
			if (strcmp(row.error, "out of memory") == 0)
				return SI_FAILED;
			add_error(s, row.record, NULL, row.error);
			break;
		}
		if (st == CSV_BAD)
			add_error(s, row.record, NULL, row.error);
		else
			check_record(s, &row);
		if (s->oom)
			return SI_FAILED;
	}
	return s->oom ? SI_FAILED : SI_OK;
}

/* ---- the database steps ------------------------------------------------ */

#define IMPORT_COLUMNS                                                                             \
	"student_number, name, name_en, email, national_id_enc, birth_date_enc, "                  \
	"bank_account_enc, gender, nationality, college_code, department_code, degree, "           \
	"year_of_study, terms_enrolled, enrollment_status, identity_category, gpa, "               \
	"class_rank_percent, advisor_email, national_id_masked, bank_account_masked"

static const char sql_temp[] =
    "CREATE TEMP TABLE student_import (row_no integer NOT NULL, student_number text, "
    "name text, name_en text, email text, national_id_enc text, birth_date_enc text, "
    "bank_account_enc text, gender text, nationality text, college_code text, "
    "department_code text, degree text, year_of_study smallint, terms_enrolled smallint, "
    "enrollment_status text, identity_category text, gpa numeric(3, 2), "
    "class_rank_percent numeric(5, 2), advisor_email text, national_id_masked text, "
    "bank_account_masked text) ON COMMIT DROP";
static const char sql_copy[] = "COPY student_import (row_no, " IMPORT_COLUMNS ") FROM STDIN";
static const char sql_analyze[] = "ANALYZE student_import";
static const char sql_existing[] =
    "SELECT student_number, national_id_enc, birth_date_enc, bank_account_enc "
    "FROM students WHERE student_number = ANY($1::text[])";
/* Every rule the database knows better than the file: (row, field, message). */
static const char sql_checks[] =
    "SELECT row_no, field, message FROM ("
    " SELECT row_no, 'student_number' AS field, 'is repeated in the file' AS message"
    "  FROM (SELECT row_no, row_number() OVER (PARTITION BY student_number ORDER BY row_no) k"
    "        FROM student_import) x WHERE k > 1"
    " UNION ALL SELECT row_no, 'email', 'is repeated in the file'"
    "  FROM (SELECT row_no, row_number() OVER (PARTITION BY lower(email) ORDER BY row_no) k"
    "        FROM student_import) y WHERE k > 1"
    " UNION ALL SELECT t.row_no, 'email', 'belongs to another student record'"
    "  FROM student_import t JOIN students s"
    "  ON lower(s.email) = lower(t.email) AND s.student_number <> t.student_number"
    " UNION ALL SELECT t.row_no, 'college_code', 'is not a known college'"
    "  FROM student_import t WHERE NOT EXISTS (SELECT 1 FROM colleges c"
    "  WHERE c.code = t.college_code)"
    " UNION ALL SELECT t.row_no, 'department_code', 'is not a department of the college'"
    "  FROM student_import t WHERE t.department_code IS NOT NULL AND NOT EXISTS"
    "  (SELECT 1 FROM departments d WHERE d.code = t.department_code"
    "   AND d.college_code = t.college_code)"
    " UNION ALL SELECT t.row_no, 'degree', 'is not a known degree'"
    "  FROM student_import t WHERE NOT EXISTS (SELECT 1 FROM degrees g WHERE g.code = t.degree)"
    ") e ORDER BY row_no, field LIMIT 10000";
static const char sql_audit[] =
    "INSERT INTO audit_log (actor_id, actor_ip, request_id, action, entity_type, after) "
    "VALUES ($1::uuid, $2::inet, $3, 'student.import', 'student', $4::jsonb)";

static void pq_clear(void *p)
{
	PQclear(p);
}

/* Remember why a query failed: connection gone, a data rule, or other. */
static void query_failed(struct run *s, PGresult *res, const char *what)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *msg = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;

	if (PQstatus(s->conn) != CONNECTION_OK) {
		s->fail = SI_DB_DOWN;
	} else if (state != NULL && strncmp(state, "23", 2) == 0) {
		s->fail = SI_INVALID;
		add_error(s, 0, NULL,
		          "the records break a rule of the database (a unique email or a "
		          "reference); nothing was written");
	} else {
		s->fail = SI_FAILED;
	}
	/* The primary message only: DETAIL may quote a failing row. */
	log_error("student import: %s failed: %s (%s)", what, msg ? msg : PQerrorMessage(s->conn),
	          state ? state : "no SQLSTATE");
}

/* Run sql; the result (arena-owned) when its status is want, else NULL. */
static PGresult *q(struct run *s, const char *what, const char *sql, int n,
                   const char *const *params, ExecStatusType want)
{
	PGresult *res = PQexecParams(s->conn, sql, n, NULL, params, NULL, NULL, 0);

	if (res == NULL || PQresultStatus(res) != want) {
		query_failed(s, res, what);
		PQclear(res);
		return NULL;
	}
	if (arena_cleanup(s->a, pq_clear, res) < 0) {
		s->fail = SI_FAILED;
		return NULL;
	}
	return res;
}

static int cmp_rows(const void *x, const void *y)
{
	const struct irow *const *a = x, *const *b = y;

	return strcmp((*a)->v[F_NUMBER], (*b)->v[F_NUMBER]);
}

/* Reuse a stored sealed value when it opens to the new clear value. */
static void reuse_one(struct run *s, struct irow *r, int k, const PGresult *res, int t)
{
	enum sfid id = pii_fields[k];
	const char *clear = r->v[id], *old, *enc;

	if (clear == NULL || PQgetisnull(res, t, 1 + k))
		return;
	enc = PQgetvalue(res, t, 1 + k);
	if (pii_version_of(enc) != s->kr->current)
		return; /* sealed with an older key: take the chance to re-seal */
	old = pii_decrypt(s->kr, s->a, student_pii_aad(s->a, fields[id].name, r->v[F_NUMBER]), enc);
	if (old != NULL && strcmp(old, clear) == 0)
		r->enc[k] = enc;
}

/* The file's student numbers as a text[] literal (they are [A-Z0-9] only). */
static const char *numbers_literal(struct run *s, struct irow **idx)
{
	struct buf b;
	size_t i;

	buf_init(&b, s->a);
	buf_putc(&b, '{');
	for (i = 0; i < s->n; i++) {
		if (i > 0)
			buf_putc(&b, ',');
		buf_puts(&b, idx[i]->v[F_NUMBER]);
	}
	buf_putc(&b, '}');
	return buf_cstr(&b);
}

/* For rows already on file, keep the sealed values that did not change
 * (so a second import of the same file changes nothing). */
static int reuse_sealed(struct run *s)
{
	struct irow **idx, key, *kp = &key, **hit;
	const char *params[1];
	PGresult *res;
	size_t i;
	int t, k;

	if (s->n == 0 ||
	    !(s->present[F_NATIONAL_ID] || s->present[F_BIRTH_DATE] || s->present[F_BANK]))
		return 0;
	if ((idx = arena_calloc(s->a, s->n, sizeof(*idx))) == NULL)
		return s->fail = SI_FAILED, -1;
	for (i = 0; i < s->n; i++)
		idx[i] = &s->rows[i];
	qsort(idx, s->n, sizeof(*idx), cmp_rows);
	if ((params[0] = numbers_literal(s, idx)) == NULL)
		return s->fail = SI_FAILED, -1;
	if ((res = q(s, "existing", sql_existing, 1, params, PGRES_TUPLES_OK)) == NULL)
		return -1;
	for (t = 0; t < PQntuples(res); t++) {
		key.v[F_NUMBER] = PQgetvalue(res, t, 0);
		hit = bsearch(&kp, idx, s->n, sizeof(*idx), cmp_rows);
		while (hit != NULL && hit > idx && cmp_rows(hit - 1, &kp) == 0)
			hit--;
		for (; hit != NULL && hit < idx + s->n && cmp_rows(hit, &kp) == 0; hit++)
			for (k = 0; k < 3; k++)
				reuse_one(s, *hit, k, res, t);
	}
	return 0;
}

/* Seal what was not reused and compute the masks. 0 or -1. */
static int seal_rows(struct run *s)
{
	size_t i;
	int k;

	for (i = 0; i < s->n; i++) {
		struct irow *r = &s->rows[i];

		for (k = 0; k < 3; k++) {
			const char *clear = r->v[pii_fields[k]], *aad;

			if (clear == NULL || r->enc[k] != NULL)
				continue;
			aad = student_pii_aad(s->a, fields[pii_fields[k]].name, r->v[F_NUMBER]);
			if (aad == NULL || (r->enc[k] = pii_encrypt(s->kr, s->a, aad, clear,
			                                            strlen(clear))) == NULL)
				return -1;
		}
		if (r->v[F_NATIONAL_ID] != NULL &&
		    (r->mask_nid = pii_mask_national_id(s->a, r->v[F_NATIONAL_ID])) == NULL)
			return -1;
		if (r->v[F_BANK] != NULL &&
		    (r->mask_bank = pii_mask_bank_account(s->a, r->v[F_BANK])) == NULL)
			return -1;
	}
	return 0;
}

/* COPY text format, buffered. */
struct copyout {
	PGconn *conn;
	size_t len;
	int failed;
	char data[64 * 1024];
};

static void co_flush(struct copyout *c)
{
	if (c->len > 0 && !c->failed && PQputCopyData(c->conn, c->data, (int)c->len) != 1)
		c->failed = 1;
	c->len = 0;
}

static void co_byte(struct copyout *c, char ch)
{
	if (c->len == sizeof(c->data))
		co_flush(c);
	c->data[c->len++] = ch;
}

static void co_value(struct copyout *c, const char *v, int first)
{
	static const char from[] = "\\\n\r\t", to[] = "\\nrt";

	if (!first)
		co_byte(c, '\t');
	if (v == NULL) {
		co_byte(c, '\\');
		co_byte(c, 'N');
		return;
	}
	for (; *v; v++) {
		const char *e = strchr(from, *v);

		if (e != NULL) {
			co_byte(c, '\\');
			co_byte(c, to[e - from]);
		} else {
			co_byte(c, *v);
		}
	}
}

static void co_row(struct copyout *c, const struct irow *r, char *num, size_t numlen)
{
	int id, k;

	snprintf(num, numlen, "%zu", r->row);
	co_value(c, num, 1);
	for (id = 0; id < F__MAX; id++) {
		const char *v = r->v[id];

		for (k = 0; k < 3; k++)
			if (pii_fields[k] == (enum sfid)id)
				v = r->enc[k];
		co_value(c, v, 0);
	}
	co_value(c, r->mask_nid, 0);
	co_value(c, r->mask_bank, 0);
	co_byte(c, '\n');
}

static int copy_rows(struct run *s)
{
	struct copyout *c = arena_alloc(s->a, sizeof(*c));
	char num[32];
	PGresult *res;
	size_t i;

	if (c == NULL || q(s, "copy", sql_copy, 0, NULL, PGRES_COPY_IN) == NULL)
		return s->fail = c == NULL ? SI_FAILED : s->fail, -1;
	c->conn = s->conn, c->len = 0, c->failed = 0;
	for (i = 0; i < s->n && !c->failed; i++)
		co_row(c, &s->rows[i], num, sizeof(num));
	co_flush(c);
	if (PQputCopyEnd(s->conn, c->failed ? "client failure" : NULL) != 1)
		c->failed = 1;
	res = PQgetResult(s->conn);
	if (res == NULL || PQresultStatus(res) != PGRES_COMMAND_OK || c->failed) {
		query_failed(s, res, "copy data");
		PQclear(res);
		while ((res = PQgetResult(s->conn)) != NULL)
			PQclear(res);
		return -1;
	}
	PQclear(res);
	while ((res = PQgetResult(s->conn)) != NULL)
		PQclear(res);
	return 0;
}

/* Field names from SQL map back to the table's static strings. */
static int db_checks(struct run *s)
{
	PGresult *res = q(s, "checks", sql_checks, 0, NULL, PGRES_TUPLES_OK);
	int t;

	if (res == NULL)
		return -1;
	for (t = 0; t < PQntuples(res); t++) {
		int id = field_id(PQgetvalue(res, t, 1));

		add_error(s, strtoul(PQgetvalue(res, t, 0), NULL, 10),
		          id >= 0 ? fields[id].name : NULL, PQgetvalue(res, t, 2));
	}
	return s->oom ? -1 : 0;
}

/* Append one column to the upsert's four lists. */
static void upsert_column(struct buf l[4], const char *col)
{
	buf_printf(&l[0], ", %s", col);
	buf_printf(&l[1], "%s = EXCLUDED.%s, ", col, col);
	buf_printf(&l[2], "%sstudents.%s", l[2].len ? ", " : "", col);
	buf_printf(&l[3], "%sEXCLUDED.%s", l[3].len ? ", " : "", col);
}

/*
 * The upsert for the columns the header names, built from the field table
 * (never from the file's text): absent columns are neither inserted nor
 * overwritten, and a row whose values are all equal is not touched.
 */
static const char *upsert_sql(struct run *s)
{
	struct buf l[4], out;
	int id, i;

	for (i = 0; i < 4; i++)
		buf_init(&l[i], s->a);
	for (id = F_NUMBER + 1; id < F__MAX; id++) {
		if (!s->present[id])
			continue;
		upsert_column(l, fields[id].column);
		if (id == F_NATIONAL_ID)
			upsert_column(l, "national_id_masked");
		if (id == F_BANK)
			upsert_column(l, "bank_account_masked");
	}
	buf_init(&out, s->a);
	buf_printf(&out,
	           "WITH up AS (INSERT INTO students (student_number%s, source, verified_at) "
	           "SELECT student_number%s, 'import', now() FROM student_import ORDER BY row_no "
	           "ON CONFLICT (student_number) DO UPDATE SET %ssource = 'import', "
	           "verified_at = now(), version = students.version + 1, updated_at = now() "
	           "WHERE ROW(%s) IS DISTINCT FROM ROW(%s) RETURNING (xmax = 0) AS inserted) "
	           "SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) "
	           "FROM up",
	           buf_cstr(&l[0]), buf_cstr(&l[0]), buf_cstr(&l[1]), buf_cstr(&l[2]),
	           buf_cstr(&l[3]));
	for (i = 0; i < 4; i++)
		if (l[i].oom)
			return NULL;
	return buf_cstr(&out);
}

static int upsert(struct run *s)
{
	const char *sql = upsert_sql(s);
	PGresult *res;

	if (sql == NULL)
		return s->fail = SI_FAILED, -1;
	if ((res = q(s, "upsert", sql, 0, NULL, PGRES_TUPLES_OK)) == NULL)
		return -1;
	s->rep->inserted = strtoul(PQgetvalue(res, 0, 0), NULL, 10);
	s->rep->updated = strtoul(PQgetvalue(res, 0, 1), NULL, 10);
	s->rep->unchanged = s->rep->rows - s->rep->inserted - s->rep->updated;
	return 0;
}

static int audit(struct run *s)
{
	const struct student_import_report *r = s->rep;
	const char *params[4] = {s->o->actor_id, s->o->actor_ip, s->o->request_id, NULL};

	params[3] = arena_printf(s->a,
	                         "{\"rows\":%zu,\"inserted\":%zu,\"updated\":%zu,"
	                         "\"unchanged\":%zu}",
	                         r->rows, r->inserted, r->updated, r->unchanged);
	if (params[3] == NULL)
		return s->fail = SI_FAILED, -1;
	return q(s, "audit", sql_audit, 4, params, PGRES_COMMAND_OK) ? 0 : -1;
}

/* Everything between BEGIN and COMMIT/ROLLBACK. */
static enum student_import_status db_steps(struct run *s)
{
	if (q(s, "temporary table", sql_temp, 0, NULL, PGRES_COMMAND_OK) == NULL)
		return s->fail;
	/* Sealing is only worth it when the file may be written. */
	if (s->rep->nerrors == 0 && reuse_sealed(s) < 0)
		return s->fail;
	if (s->rep->nerrors == 0 && seal_rows(s) < 0) {
		log_error("student import: cannot seal personal data");
		return SI_FAILED;
	}
	if (copy_rows(s) < 0 || q(s, "analyze", sql_analyze, 0, NULL, PGRES_COMMAND_OK) == NULL ||
	    db_checks(s) < 0)
		return s->oom ? SI_FAILED : s->fail;
	if (s->rep->nerrors > 0)
		return SI_INVALID;
	if (upsert(s) < 0)
		return s->fail;
	if (!s->o->dry_run && audit(s) < 0)
		return s->fail;
	return SI_OK;
}

static int simple(PGconn *conn, const char *sql)
{
	PGresult *res = PQexec(conn, sql);
	int ok = res != NULL && PQresultStatus(res) == PGRES_COMMAND_OK;

	PQclear(res);
	return ok ? 0 : -1;
}

static enum student_import_status run_db(struct run *s)
{
	enum student_import_status st;

	if (PQstatus(s->conn) != CONNECTION_OK)
		return SI_DB_DOWN;
	if (simple(s->conn, "BEGIN") < 0)
		return PQstatus(s->conn) != CONNECTION_OK ? SI_DB_DOWN : SI_FAILED;
	st = db_steps(s);
	if (st == SI_OK && !s->o->dry_run) {
		if (simple(s->conn, "COMMIT") < 0)
			st = PQstatus(s->conn) != CONNECTION_OK ? SI_DB_DOWN : SI_FAILED;
		return st;
	}
	(void)simple(s->conn, "ROLLBACK");
	return st;
}

enum student_import_status student_import_run(PGconn *conn, struct arena *a,
                                              const struct pii_keyring *kr, const char *data,
                                              size_t len, const struct student_import_opts *o,
                                              struct student_import_report *rep)
{
	struct run s = {.conn = conn, .a = a, .kr = kr, .o = o, .rep = rep, .fail = SI_FAILED};
	struct csv_reader *rd = arena_alloc(a, sizeof(*rd));
	enum student_import_status st;

	memset(rep, 0, sizeof(*rep));
	if (rd == NULL)
		return SI_FAILED;
	csv_init(rd, a, data, len);
	if (read_header(&s, rd) < 0)
		return s.oom ? SI_FAILED : SI_INVALID;
	if ((st = read_rows(&s, rd)) != SI_OK)
		return st;
	st = run_db(&s);
	if (st != SI_OK)
		rep->inserted = rep->updated = rep->unchanged = 0;
	return s.oom ? SI_FAILED : st;
}

static void error_json(struct buf *b, const struct student_import_error *e)
{
	if (e->row > 0)
		buf_printf(b, "{\"row\":%zu,\"field\":", e->row);
	else
		buf_puts(b, "{\"row\":null,\"field\":");
	if (e->field != NULL)
		buf_json_str(b, e->field);
	else
		buf_puts(b, "null");
	buf_puts(b, ",\"message\":");
	buf_json_str(b, e->message);
	buf_putc(b, '}');
}

void student_import_report_json(struct buf *b, const struct student_import_report *rep, int dry_run)
{
	size_t i;

	buf_printf(b,
	           "{\"dry_run\":%s,\"valid\":%s,\"rows\":%zu,\"inserted\":%zu,\"updated\":%zu,"
	           "\"unchanged\":%zu,\"error_count\":%zu,\"errors\":[",
	           dry_run ? "true" : "false", rep->nerrors == 0 ? "true" : "false", rep->rows,
	           rep->inserted, rep->updated, rep->unchanged, rep->nerrors);
	for (i = 0; i < rep->nkept; i++) {
		if (i > 0)
			buf_putc(b, ',');
		error_json(b, &rep->errors[i]);
	}
	buf_puts(b, "]}");
}

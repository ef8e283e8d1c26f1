/*
 * seed_load.c -- the bulk loader of seed_load.h: synthetic students,
 * accounts and applications for benchmarks, streamed to PostgreSQL with
 * COPY (text format, one buffered writer) inside one transaction.
 *
 * Rows are generated here, not in SQL, so every id (random v4 UUIDs) is
 * known before its row is sent and the three COPY streams (users and
 * students, applications, status history) need no round trip between
 * them. The small setup (advisory lock, reference data, the batch's
 * scholarship and periods, app_no blocks, the admin grant, the audit row)
 * is parameterised statements. Times come from the database's clock so
 * that created_at < submitted_at < ... < now() holds on its side.
 *
 * Memory: the ids of the batch's students, users and periods (about 80
 * bytes per student), freed before returning; generated text goes
 * straight to the COPY buffer.
 */
#include "seed_load.h"

#include "arena.h"
#include "config.h"
#include "token.h"

#include <math.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define UUID_LEN 37

/* ---- statements ---------------------------------------------------------- */

static const char sql_lock[] = "SELECT pg_advisory_xact_lock(hashtext('scholarshipctl seed-load'))";
static const char sql_clock[] = "SELECT extract(epoch FROM now())::float8";
static const char sql_departments[] =
    "SELECT d.code, d.college_code, "
    "array_to_string(COALESCE(d.degree_levels, ARRAY['bachelor']::text[]), ',') "
    "FROM departments d JOIN colleges c ON c.code = d.college_code "
    "WHERE d.active AND c.active ORDER BY c.sort_order, d.sort_order, d.code";
static const char sql_batch[] =
    "SELECT COALESCE(max(CASE WHEN code = 'LOAD' THEN 1 ELSE substr(code, 6)::int END), 0) "
    "FROM scholarships WHERE code ~ '^LOAD(-[0-9]{1,6})?$'";
static const char sql_offset[] =
    "SELECT COALESCE(max(substring(email FROM '^load-([0-9]{1,12})@load\\.example\\.edu$')"
    "::bigint), 0) FROM users WHERE email LIKE 'load-%@load.example.edu'";
static const char sql_admin[] = "SELECT id, role FROM users WHERE lower(email) = lower($1)";
static const char sql_scholarship[] =
    "INSERT INTO scholarships (code, name, name_en, description, description_en, sub_types, "
    "sub_type_selection, status, created_by) VALUES ($1, $2, $3, $4, $5, $6::jsonb, 'single', "
    "'active', $7::uuid) ON CONFLICT DO NOTHING RETURNING id";
/* Period g: academic year (current - g / 3), term g % 3, open now. */
static const char sql_periods[] =
    "INSERT INTO periods (scholarship_id, academic_year, term, label, opens_at, closes_at, "
    "reviewer_review_ends_at, requires_reviewer_review, requires_college_review, quota_mode, "
    "disbursement_cycle, form_fields, status) "
    "SELECT $1::uuid, $2::int - g / 3, (g % 3)::smallint, $4 || ' ' || (g + 1), "
    "now() - interval '30 days', now() + interval '60 days', now() + interval '80 days', "
    "true, false, 'none', 'semester', $5::jsonb, 'open' "
    "FROM generate_series(0, $3::int - 1) AS g RETURNING id, academic_year, term";
/* A block of count numbers: the new last is returned (the row stays locked). */
static const char sql_reserve[] =
    "INSERT INTO app_no_sequences AS q (academic_year, term, last) "
    "VALUES ($1::int, $2::smallint, $3::int) ON CONFLICT (academic_year, term) "
    "DO UPDATE SET last = q.last + EXCLUDED.last RETURNING q.last";
static const char sql_grant[] =
    "INSERT INTO scholarship_admins (user_id, scholarship_id, granted_by) "
    "VALUES ($1::uuid, $2::uuid, $1::uuid) ON CONFLICT DO NOTHING";
static const char sql_copy_users[] =
    "COPY users (id, email, full_name, role, locale, college_code, email_verified, "
    "password_hash, sessions_valid_after, created_at, updated_at) FROM STDIN";
static const char sql_copy_students[] =
    "COPY students (id, student_number, name, name_en, email, gender, nationality, "
    "college_code, department_code, degree, year_of_study, terms_enrolled, enrollment_status, "
    "identity_category, gpa, class_rank_percent, source, verified_at, created_at, updated_at) "
    "FROM STDIN";
static const char sql_copy_applications[] =
    "COPY applications (id, app_no, period_id, student_id, user_id, sub_types, answers, status, "
    "stage, eligibility_snapshot, version, created_at, updated_at, submitted_at) FROM STDIN";
static const char sql_copy_history[] = "COPY application_status_history (application_id, "
                                       "from_status, to_status, actor_id, at) FROM STDIN";
static const char sql_audit[] =
    "INSERT INTO audit_log (action, entity_type, entity_id, after) "
    "VALUES ('seed.load', 'scholarship', $1, json_build_object('code', $2::text, "
    "'students', $3::int, 'applications', $4::int, 'periods', $5::int, "
    "'first_email', $6::text, 'last_email', $7::text, 'granted_to', $8::text)::jsonb)";
static const char sql_analyze[] =
    "ANALYZE users, students, applications, application_status_history, periods";

/* ---- generated values ------------------------------------------------ */

static const char sub_types_json[] =
    "[{\"code\": \"general\", \"name\": \"一般生\", \"name_en\": \"General\", "
    "\"amount_cents\": 1000000}]";
static const char form_json[] =
    "[{\"key\": \"motivation\", \"label\": \"申請動機\", \"label_en\": \"Statement of "
    "purpose\", \"type\": \"textarea\", \"required\": false, \"max_length\": 2000}]";
static const char snapshot_json[] = "{\"eligible\": true, \"rules\": [], \"sub_types\": "
                                    "[\"general\"]}";

/* Who moves an application between two statuses. */
enum actor { BY_STUDENT, BY_ADMIN };

/*
 * The statuses, out of 100 (mostly submitted and under review, some of
 * every status), each with its stage and the moves that led there after
 * submission (legal in the transition table of DESIGN §8).
 */
static const struct status_mix {
	const char *status, *stage;
	int weight, submitted;
	const char *path[3]; /* statuses after submitted, in order */
	enum actor by;       /* of the moves in path */
} mix[] = {
    {"draft", "student", 5, 0, {NULL}, BY_STUDENT},
    {"submitted", "reviewer", 40, 1, {NULL}, BY_STUDENT},
    {"under_review", "reviewer", 30, 1, {"under_review", NULL}, BY_ADMIN},
    {"pending_documents", "reviewer", 5, 1, {"pending_documents", NULL}, BY_ADMIN},
    {"returned", "student", 4, 1, {"returned", NULL}, BY_ADMIN},
    {"approved", "distribution", 5, 1, {"under_review", "approved", NULL}, BY_ADMIN},
    {"partially_approved",
     "distribution",
     2,
     1,
     {"under_review", "partially_approved", NULL},
     BY_ADMIN},
    {"rejected", "admin", 4, 1, {"rejected", NULL}, BY_ADMIN},
    {"withdrawn", "reviewer", 3, 1, {"withdrawn", NULL}, BY_STUDENT},
    {"cancelled", "admin", 2, 1, {"cancelled", NULL}, BY_ADMIN},
};
#define NMIX (sizeof(mix) / sizeof(mix[0]))

/* clang-format off */
static const char *const surnames[] = {"陳", "林", "黃", "張", "李", "王", "吳", "劉", "蔡", "楊",
                                       "許", "鄭", "謝", "洪", "郭", "邱", "曾", "廖", "賴", "周"};
static const char *const surnames_en[] = {"Chen", "Lin", "Huang", "Chang", "Li", "Wang", "Wu",
                                          "Liu", "Tsai", "Yang", "Hsu", "Cheng", "Hsieh", "Hung",
                                          "Kuo", "Chiu", "Tseng", "Liao", "Lai", "Chou"};
static const char *const given[] = {"怡君", "家豪", "雅婷", "冠宇", "詩涵", "承恩", "宜蓁", "柏翰",
                                    "欣妤", "宇軒", "佳穎", "彥廷", "品妍", "俊傑", "思妤", "建宏"};
static const char *const given_en[] = {"Yi-Chun", "Chia-Hao", "Ya-Ting", "Kuan-Yu", "Shih-Han",
                                       "Cheng-En", "Yi-Chen", "Po-Han", "Hsin-Yu", "Yu-Hsuan",
                                       "Chia-Ying", "Yen-Ting", "Pin-Yen", "Chun-Chieh", "Szu-Yu",
                                       "Chien-Hung"};
/* clang-format on */
#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

struct dept {
	char code[24], college[24];
	char levels[3][12];
	int nlevels;
};

struct lperiod {
	char id[UUID_LEN];
	int year, term;
	long first_no; /* the first app_no number of its block */
	long count;    /* applications in it */
};

struct run {
	PGconn *conn;
	const struct seed_load_opts *o;
	struct seed_load_report *rep;
	char *err;
	size_t errlen;
	double now; /* the database's clock, seconds since the epoch */
	int year;   /* the current academic year */
	char admin_id[UUID_LEN];
	int has_admin;
	struct dept *depts;
	int ndepts;
	char (*user_ids)[UUID_LEN];
	char (*student_ids)[UUID_LEN];
	struct lperiod *periods;
};

static int fail(struct run *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct run *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->err, s->errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* The failure of a statement as one line for the operator. */
static int db_fail(struct run *s, const char *what, const PGresult *res)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *msg = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;

	if (msg == NULL)
		msg = PQerrorMessage(s->conn);
	if (state != NULL && strcmp(state, "23505") == 0)
		return fail(s,
		            "%s: a generated row collides with an existing one (%s); nothing was "
		            "written",
		            what, msg);
	return fail(s, "%s failed: %.*s; nothing was written", what, (int)strcspn(msg, "\n"), msg);
}

/* Run sql; the result (caller clears) or NULL with the error set. */
static PGresult *q(struct run *s, const char *what, const char *sql, int n,
                   const char *const *params, ExecStatusType want)
{
	PGresult *res = PQexecParams(s->conn, sql, n, NULL, params, NULL, NULL, 0);

	if (res != NULL && PQresultStatus(res) == want)
		return res;
	db_fail(s, what, res);
	PQclear(res);
	return NULL;
}

static int exec_ok(struct run *s, const char *what, const char *sql)
{
	PGresult *res = q(s, what, sql, 0, NULL, PGRES_COMMAND_OK);

	PQclear(res);
	return res != NULL ? 0 : -1;
}

static double mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void progress(struct run *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void progress(struct run *s, const char *fmt, ...)
{
	va_list ap;

	if (s->o->progress == NULL)
		return;
	va_start(ap, fmt);
	vfprintf(s->o->progress, fmt, ap);
	va_end(ap);
	fputc('\n', s->o->progress);
	fflush(s->o->progress);
}

static void new_uuid(char out[UUID_LEN])
{
	unsigned char b[16];

	randombytes_buf(b, sizeof(b));
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	snprintf(out, UUID_LEN,
	         "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
	         b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
	         b[15]);
}

/* A timestamptz literal in UTC with microseconds. */
static void fmt_time(double t, char out[64])
{
	time_t sec = (time_t)floor(t);
	long usec = (long)((t - (double)sec) * 1e6);
	struct tm tm;

	if (usec > 999999)
		usec = 999999;
	gmtime_r(&sec, &tm);
	snprintf(out, 64, "%04d-%02d-%02d %02d:%02d:%02d.%06ld+00", tm.tm_year + 1900,
	         tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, usec);
}

/* ---- COPY, text format, buffered ---------------------------------------- */

struct copy {
	PGconn *conn;
	size_t len;
	int failed;
	int ncols; /* values in the current row */
	char data[256 * 1024];
};

static void cp_flush(struct copy *c)
{
	if (c->len > 0 && !c->failed && PQputCopyData(c->conn, c->data, (int)c->len) != 1)
		c->failed = 1;
	c->len = 0;
}

static void cp_byte(struct copy *c, char ch)
{
	if (c->len == sizeof(c->data))
		cp_flush(c);
	c->data[c->len++] = ch;
}

/* One value of the row (NULL: \N), escaped for the text format. */
static void cp_val(struct copy *c, const char *v)
{
	static const char from[] = "\\\n\r\t", to[] = "\\nrt";

	if (c->ncols++ > 0)
		cp_byte(c, '\t');
	if (v == NULL) {
		cp_byte(c, '\\');
		cp_byte(c, 'N');
		return;
	}
	for (; *v; v++) {
		const char *e = strchr(from, *v);

		if (e != NULL) {
			cp_byte(c, '\\');
			cp_byte(c, to[e - from]);
		} else {
			cp_byte(c, *v);
		}
	}
}

static void cp_long(struct copy *c, long v)
{
	char num[24];

	snprintf(num, sizeof(num), "%ld", v);
	cp_val(c, num);
}

static void cp_time(struct copy *c, double t)
{
	char ts[64];

	fmt_time(t, ts);
	cp_val(c, ts);
}

static void cp_end_row(struct copy *c)
{
	cp_byte(c, '\n');
	c->ncols = 0;
}

static int cp_begin(struct run *s, struct copy *c, const char *what, const char *sql)
{
	PGresult *res = q(s, what, sql, 0, NULL, PGRES_COPY_IN);

	if (res == NULL)
		return -1;
	PQclear(res);
	c->conn = s->conn, c->len = 0, c->failed = 0, c->ncols = 0;
	return 0;
}

static int cp_finish(struct run *s, struct copy *c, const char *what)
{
	PGresult *res;
	int rc = 0;

	cp_flush(c);
	if (PQputCopyEnd(s->conn, c->failed ? "client failure" : NULL) != 1)
		c->failed = 1;
	res = PQgetResult(s->conn);
	if (res == NULL || PQresultStatus(res) != PGRES_COMMAND_OK || c->failed)
		rc = db_fail(s, what, res);
	PQclear(res);
	while ((res = PQgetResult(s->conn)) != NULL)
		PQclear(res);
	return rc;
}

/* ---- the steps ---------------------------------------------------------- */

static int read_departments(struct run *s)
{
	PGresult *res = q(s, "reading departments", sql_departments, 0, NULL, PGRES_TUPLES_OK);
	int i, n;

	if (res == NULL)
		return -1;
	n = PQntuples(res);
	if (n == 0) {
		PQclear(res);
		return fail(s, "there is no active department: load the reference data "
		               "(schema/seed/reference.sql) first");
	}
	if ((s->depts = calloc((size_t)n, sizeof(*s->depts))) == NULL) {
		PQclear(res);
		return fail(s, "out of memory");
	}
	for (i = 0; i < n; i++) {
		struct dept *d = &s->depts[i];
		char levels[64], *tok, *save = NULL;

		snprintf(d->code, sizeof(d->code), "%s", PQgetvalue(res, i, 0));
		snprintf(d->college, sizeof(d->college), "%s", PQgetvalue(res, i, 1));
		snprintf(levels, sizeof(levels), "%s", PQgetvalue(res, i, 2));
		for (tok = strtok_r(levels, ",", &save); tok != NULL && d->nlevels < 3;
		     tok = strtok_r(NULL, ",", &save))
			snprintf(d->levels[d->nlevels++], sizeof(d->levels[0]), "%s", tok);
		if (d->nlevels == 0)
			snprintf(d->levels[d->nlevels++], sizeof(d->levels[0]), "bachelor");
	}
	s->ndepts = n;
	PQclear(res);
	return 0;
}

/* The number in the one row and column of sql (0 without a row). */
static int scalar(struct run *s, const char *what, const char *sql, double *out)
{
	PGresult *res = q(s, what, sql, 0, NULL, PGRES_TUPLES_OK);

	if (res == NULL)
		return -1;
	*out = PQntuples(res) == 1 ? strtod(PQgetvalue(res, 0, 0), NULL) : 0;
	PQclear(res);
	return 0;
}

static int find_admin(struct run *s)
{
	const char *p[1] = {s->o->admin_email};
	PGresult *res;

	if (s->o->admin_email == NULL)
		return 0;
	if ((res = q(s, "looking up the admin", sql_admin, 1, p, PGRES_TUPLES_OK)) == NULL)
		return -1;
	if (PQntuples(res) == 1 && strcmp(PQgetvalue(res, 0, 1), "admin") == 0) {
		snprintf(s->admin_id, sizeof(s->admin_id), "%s", PQgetvalue(res, 0, 0));
		s->has_admin = 1;
	} else {
		progress(s, "no admin %s: the scholarship is granted to nobody", s->o->admin_email);
	}
	PQclear(res);
	return 0;
}

static int create_scholarship(struct run *s, long batch)
{
	struct seed_load_report *rep = s->rep;
	const char *p[7];
	PGresult *res;

	if (batch == 1)
		snprintf(rep->code, sizeof(rep->code), "LOAD");
	else
		snprintf(rep->code, sizeof(rep->code), "LOAD-%ld", batch);
	p[0] = rep->code, p[1] = "負載測試獎學金", p[2] = "Load-test scholarship";
	p[3] = "scholarshipctl seed-load 產生的測試資料。";
	p[4] = "Synthetic data made by scholarshipctl seed-load for benchmarks.";
	p[5] = sub_types_json, p[6] = s->has_admin ? s->admin_id : NULL;
	res = q(s, "creating the scholarship", sql_scholarship, 7, p, PGRES_TUPLES_OK);
	if (res == NULL)
		return -1;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return fail(s, "a scholarship with code %s exists already; nothing was written",
		            rep->code);
	}
	snprintf(rep->scholarship_id, sizeof(rep->scholarship_id), "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	if (s->has_admin) {
		const char *g[2] = {s->admin_id, rep->scholarship_id};
		res = q(s, "granting the scholarship", sql_grant, 2, g, PGRES_COMMAND_OK);
		if (res == NULL)
			return -1;
		PQclear(res);
		rep->admin_granted = 1;
	}
	return 0;
}

/* The batch's periods and a block of app_no numbers for each. */
static int create_periods(struct run *s)
{
	long n = s->rep->periods, i, left = s->o->applications;
	char year[16], count[24], term[8];
	const char *p[5];
	PGresult *res;

	snprintf(year, sizeof(year), "%d", s->year);
	snprintf(count, sizeof(count), "%ld", n);
	p[0] = s->rep->scholarship_id, p[1] = year, p[2] = count, p[3] = "LOAD round";
	p[4] = form_json;
	if ((res = q(s, "creating periods", sql_periods, 5, p, PGRES_TUPLES_OK)) == NULL)
		return -1;
	if (PQntuples(res) != n) {
		PQclear(res);
		return fail(s, "creating periods: %d of %ld made", PQntuples(res), n);
	}
	for (i = 0; i < n; i++) {
		int y = atoi(PQgetvalue(res, (int)i, 1)), t = atoi(PQgetvalue(res, (int)i, 2));
		long g = (long)(s->year - y) * 3 + t;
		struct lperiod *lp;

		if (g < 0 || g >= n) {
			PQclear(res);
			return fail(s, "creating periods: unexpected year %d term %d", y, t);
		}
		lp = &s->periods[g];
		snprintf(lp->id, sizeof(lp->id), "%s", PQgetvalue(res, (int)i, 0));
		lp->year = y, lp->term = t;
	}
	PQclear(res);
	for (i = 0; i < n; i++) {
		struct lperiod *lp = &s->periods[i];
		const char *r[3];

		lp->count = left < s->o->students ? left : s->o->students;
		left -= lp->count;
		snprintf(year, sizeof(year), "%d", lp->year);
		snprintf(term, sizeof(term), "%d", lp->term);
		snprintf(count, sizeof(count), "%ld", lp->count);
		r[0] = year, r[1] = term, r[2] = count;
		res = PQexecParams(s->conn, sql_reserve, 3, NULL, r, NULL, NULL, 0);
		if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK) {
			const char *st = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;

			if (st != NULL && strcmp(st, "23514") == 0) {
				PQclear(res);
				return fail(
				    s,
				    "academic year %d term %d has fewer than %ld application "
				    "numbers left (APP-%d-%d-NNNNN stops at 99999); nothing "
				    "was written",
				    lp->year, lp->term, lp->count, lp->year, lp->term);
			}
			db_fail(s, "reserving application numbers", res);
			PQclear(res);
			return -1;
		}
		lp->first_no = atol(PQgetvalue(res, 0, 0)) - lp->count + 1;
		PQclear(res);
	}
	return 0;
}

/* Users and their student records. */
static int load_students(struct run *s, const char *hash)
{
	struct copy *c = malloc(sizeof(*c));
	long i, n = s->o->students;
	double made = s->now - 120 * 86400.0;
	char email[64], number[24], name[64], name_en[96];
	int rc = -1;

	if (c == NULL)
		return fail(s, "out of memory");
	for (i = 0; i < n; i++) {
		new_uuid(s->user_ids[i]);
		new_uuid(s->student_ids[i]);
	}
	if (cp_begin(s, c, "loading users", sql_copy_users) < 0)
		goto out;
	for (i = 0; i < n; i++) {
		long k = s->rep->first_n + i;
		const struct dept *d = &s->depts[i % s->ndepts];

		snprintf(email, sizeof(email), "load-%ld@load.example.edu", k);
		snprintf(name, sizeof(name), "%s%s", surnames[k % NELEM(surnames)],
		         given[(k / NELEM(surnames)) % NELEM(given)]);
		cp_val(c, s->user_ids[i]);
		cp_val(c, email);
		cp_val(c, name);
		cp_val(c, "student");
		cp_val(c, k % 5 == 0 ? "en" : "zh-TW");
		cp_val(c, d->college);
		cp_val(c, "t");
		cp_val(c, hash);
		cp_time(c, made);
		cp_time(c, made);
		cp_time(c, made);
		cp_end_row(c);
	}
	if (cp_finish(s, c, "loading users") < 0 ||
	    cp_begin(s, c, "loading student records", sql_copy_students) < 0)
		goto out;
	for (i = 0; i < n; i++) {
		long k = s->rep->first_n + i;
		const struct dept *d = &s->depts[i % s->ndepts];
		const char *degree = d->levels[(i / s->ndepts) % d->nlevels];
		int bachelor = strcmp(degree, "bachelor") == 0;
		int year = bachelor ? 1 + (int)(k % 4) : 1 + (int)(k % 2);
		char gpa[16], rank[16];

		snprintf(email, sizeof(email), "load-%ld@load.example.edu", k);
		snprintf(number, sizeof(number), "L%09ld", k);
		snprintf(name, sizeof(name), "%s%s", surnames[k % NELEM(surnames)],
		         given[(k / NELEM(surnames)) % NELEM(given)]);
		snprintf(name_en, sizeof(name_en), "%s %s", surnames_en[k % NELEM(surnames_en)],
		         given_en[(k / NELEM(surnames)) % NELEM(given_en)]);
		snprintf(gpa, sizeof(gpa), "%.2f", 2.0 + (double)((k * 37) % 231) / 100.0);
		snprintf(rank, sizeof(rank), "%.2f", (double)((k * 53) % 10000) / 100.0);
		cp_val(c, s->student_ids[i]);
		cp_val(c, number);
		cp_val(c, name);
		cp_val(c, name_en);
		cp_val(c, email);
		cp_val(c, k % 2 ? "M" : "F");
		cp_val(c, k % 41 == 0 ? "MY" : "TW");
		cp_val(c, d->college);
		cp_val(c, d->code);
		cp_val(c, degree);
		cp_long(c, year);
		cp_long(c, 2L * year - 1);
		cp_val(c, "enrolled");
		cp_val(c, k % 41 == 0 ? "international" : k % 11 == 0 ? "low_income" : "general");
		cp_val(c, gpa);
		cp_val(c, rank);
		cp_val(c, "demo");
		cp_time(c, made);
		cp_time(c, made);
		cp_time(c, made);
		cp_end_row(c);
	}
	rc = cp_finish(s, c, "loading student records");
out:
	free(c);
	return rc;
}

static const struct status_mix *status_of(long k)
{
	int bucket = (int)((k * 7919 + 13) % 100), acc = 0;
	size_t i;

	for (i = 0; i < NMIX; i++) {
		acc += mix[i].weight;
		if (bucket < acc)
			return &mix[i];
	}
	return &mix[1];
}

static int npath(const struct status_mix *m)
{
	int n = 0;

	while (n < 3 && m->path[n] != NULL)
		n++;
	return n;
}

/*
 * Applications and their history. Application k goes to period k / N,
 * student k % N; created_at runs evenly from 91 days ago to a day ago in
 * k order, each later step an hour after the previous one.
 */
static int load_applications(struct run *s)
{
	struct copy *c = malloc(sizeof(*c));
	long k, m = s->o->applications, n = s->o->students;
	double start = s->now - 91 * 86400.0, step = m > 0 ? 90 * 86400.0 / (double)m : 0;
	double t0 = mono();
	char(*ids)[UUID_LEN] = m > 0 ? malloc((size_t)m * UUID_LEN) : NULL;
	char app_no[32], answers[96];
	int rc = -1;

	if (c == NULL || (m > 0 && ids == NULL)) {
		free(c);
		free(ids);
		return fail(s, "out of memory");
	}
	if (cp_begin(s, c, "loading applications", sql_copy_applications) < 0)
		goto out;
	for (k = 0; k < m; k++) {
		const struct lperiod *lp = &s->periods[k / n];
		const struct status_mix *st = status_of(k);
		long i = k % n;
		double created = start + (double)k * step, last;
		int moves = npath(st);

		new_uuid(ids[k]);
		snprintf(app_no, sizeof(app_no), "APP-%04d-%d-%05ld", lp->year, lp->term,
		         lp->first_no + i);
		snprintf(answers, sizeof(answers), "{\"motivation\": \"負載測試申請 %s\"}", app_no);
		last = created + (st->submitted ? 3600.0 * (1 + moves) : 0);
		cp_val(c, ids[k]);
		cp_val(c, app_no);
		cp_val(c, lp->id);
		cp_val(c, s->student_ids[i]);
		cp_val(c, s->user_ids[i]);
		cp_val(c, "{general}");
		cp_val(c, answers);
		cp_val(c, st->status);
		cp_val(c, st->stage);
		cp_val(c, snapshot_json);
		cp_long(c, 1L + st->submitted + moves);
		cp_time(c, created);
		cp_time(c, last);
		if (st->submitted)
			cp_time(c, created + 3600.0);
		else
			cp_val(c, NULL);
		cp_end_row(c);
	}
	if (cp_finish(s, c, "loading applications") < 0)
		goto out;
	progress(s, "%ld applications copied in %.2f s", m, mono() - t0);
	if (cp_begin(s, c, "loading status history", sql_copy_history) < 0)
		goto out;
	for (k = 0; k < m; k++) {
		const struct status_mix *st = status_of(k);
		const char *user = s->user_ids[k % n], *from = "submitted";
		const char *actor = st->by == BY_STUDENT ? user : s->has_admin ? s->admin_id : NULL;
		double created = start + (double)k * step;
		int j;

		cp_val(c, ids[k]);
		cp_val(c, NULL);
		cp_val(c, "draft");
		cp_val(c, user);
		cp_time(c, created);
		cp_end_row(c);
		if (!st->submitted)
			continue;
		cp_val(c, ids[k]);
		cp_val(c, "draft");
		cp_val(c, "submitted");
		cp_val(c, user);
		cp_time(c, created + 3600.0);
		cp_end_row(c);
		for (j = 0; j < npath(st); j++) {
			cp_val(c, ids[k]);
			cp_val(c, from);
			cp_val(c, st->path[j]);
			cp_val(c, actor);
			cp_time(c, created + 3600.0 * (2 + j));
			cp_end_row(c);
			from = st->path[j];
		}
	}
	rc = cp_finish(s, c, "loading status history");
out:
	free(ids);
	free(c);
	return rc;
}

static int audit(struct run *s)
{
	struct seed_load_report *rep = s->rep;
	char students[24], apps[24], periods[24], first[64], last[64];
	const char *p[8];
	PGresult *res;

	snprintf(students, sizeof(students), "%ld", s->o->students);
	snprintf(apps, sizeof(apps), "%ld", s->o->applications);
	snprintf(periods, sizeof(periods), "%ld", rep->periods);
	snprintf(first, sizeof(first), "load-%ld@load.example.edu", rep->first_n);
	snprintf(last, sizeof(last), "load-%ld@load.example.edu", rep->last_n);
	p[0] = rep->scholarship_id, p[1] = rep->code, p[2] = students, p[3] = apps;
	p[4] = periods, p[5] = first, p[6] = last;
	p[7] = rep->admin_granted ? s->o->admin_email : NULL;
	if ((res = q(s, "writing the audit row", sql_audit, 8, p, PGRES_COMMAND_OK)) == NULL)
		return -1;
	PQclear(res);
	return 0;
}

/* One line per loaded student: the user id, a space, an access token. */
static int write_tokens(struct run *s)
{
	FILE *f = fopen(s->o->tokens_path, "w");
	struct token_claims claims;
	struct arena a;
	long i;
	int rc = 0;

	if (f == NULL)
		return fail(s, "the data is loaded, but %s cannot be written", s->o->tokens_path);
	arena_init(&a, 64 * 1024);
	for (i = 0; i < s->o->students && rc == 0; i++) {
		const char *tok = token_mint_access(&a, s->o->cfg, s->user_ids[i], "student",
		                                    token_now_ms(), &claims);

		if (tok == NULL || fprintf(f, "%s %s\n", s->user_ids[i], tok) < 0)
			rc = -1;
		if (i % 1000 == 999)
			arena_reset(&a);
	}
	arena_free(&a);
	if (fclose(f) != 0)
		rc = -1;
	if (rc < 0)
		return fail(s, "the data is loaded, but writing tokens to %s failed",
		            s->o->tokens_path);
	return 0;
}

static int check_opts(struct run *s)
{
	const struct seed_load_opts *o = s->o;

	if (o->students < 1 || o->students > SEED_LOAD_MAX_STUDENTS)
		return fail(s, "--students must be from 1 to %ld", SEED_LOAD_MAX_STUDENTS);
	if (o->applications < 0 || o->applications > o->students * SEED_LOAD_MAX_PERIODS)
		return fail(s,
		            "--applications must be from 0 to %ld times --students (one "
		            "application per student and period, at most %ld periods)",
		            SEED_LOAD_MAX_PERIODS, SEED_LOAD_MAX_PERIODS);
	if (o->password == NULL || password_check_policy(o->password) != NULL)
		return fail(s, "the password does not meet the password policy");
	if (o->tokens_path != NULL && (o->cfg == NULL || o->cfg->secret_key == NULL))
		return fail(s, "--tokens needs SECRET_KEY");
	return 0;
}

static int load(struct run *s, const char *hash)
{
	struct seed_load_report *rep = s->rep;
	const struct seed_load_opts *o = s->o;
	double t, v;
	time_t now;
	struct tm tm;

	if (exec_ok(s, "starting the transaction", "BEGIN") < 0 ||
	    scalar(s, "taking the seed-load lock", sql_lock, &v) < 0 ||
	    scalar(s, "reading the clock", sql_clock, &s->now) < 0 || read_departments(s) < 0 ||
	    scalar(s, "numbering the batch", sql_batch, &v) < 0)
		return -1;
	now = (time_t)s->now;
	gmtime_r(&now, &tm);
	/* The academic year starts in August. */
	s->year = tm.tm_year + 1900 - (tm.tm_mon < 7 ? 1 : 0);
	if (s->year - (rep->periods - 1) / 3 < 2000)
		return fail(s, "too many periods for academic years since 2000");
	if (find_admin(s) < 0 || create_scholarship(s, (long)v + 1) < 0 ||
	    scalar(s, "numbering the students", sql_offset, &v) < 0)
		return -1;
	rep->first_n = (long)v + 1;
	rep->last_n = rep->first_n + o->students - 1;
	if (create_periods(s) < 0)
		return -1;
	progress(s, "scholarship %s, %ld open period(s), students load-%ld..load-%ld", rep->code,
	         rep->periods, rep->first_n, rep->last_n);
	t = mono();
	if (load_students(s, hash) < 0)
		return -1;
	rep->seconds_users = mono() - t;
	progress(s, "%ld users and student records copied in %.2f s", o->students,
	         rep->seconds_users);
	t = mono();
	if (load_applications(s) < 0)
		return -1;
	rep->seconds_applications = mono() - t;
	progress(s, "%ld applications and their status history copied in %.2f s", o->applications,
	         rep->seconds_applications);
	if (audit(s) < 0 || exec_ok(s, "committing", "COMMIT") < 0)
		return -1;
	return 0;
}

int seed_load_run(PGconn *conn, const struct seed_load_opts *o, struct seed_load_report *rep,
                  char *err, size_t errlen)
{
	struct run s = {.conn = conn, .o = o, .rep = rep, .err = err, .errlen = errlen};
	char hash[PASSWORD_HASH_LEN];
	double t0 = mono(), t;
	PGresult *res;
	int rc = -1;

	memset(rep, 0, sizeof(*rep));
	err[0] = '\0';
	if (check_opts(&s) < 0)
		return -1;
	rep->periods = (o->applications + o->students - 1) / o->students;
	s.user_ids = calloc((size_t)o->students, UUID_LEN);
	s.student_ids = calloc((size_t)o->students, UUID_LEN);
	s.periods = calloc((size_t)(rep->periods > 0 ? rep->periods : 1), sizeof(*s.periods));
	if (s.user_ids == NULL || s.student_ids == NULL || s.periods == NULL) {
		fail(&s, "out of memory");
		goto out;
	}
	if (password_init() < 0 || password_hash(&o->cost, o->password, hash) < 0) {
		fail(&s, "cannot hash the password");
		goto out;
	}
	if (load(&s, hash) < 0) {
		/* After a failed COPY or statement the transaction is aborted. */
		res = PQexec(conn, "ROLLBACK");
		PQclear(res);
		goto out;
	}
	t = mono();
	res = PQexec(conn, sql_analyze);
	rep->analyzed = res != NULL && PQresultStatus(res) == PGRES_COMMAND_OK;
	PQclear(res);
	rep->seconds_analyze = mono() - t;
	if (!rep->analyzed)
		progress(&s,
		         "warning: ANALYZE failed (%.*s); the planner sees the new rows once "
		         "autovacuum analyzes them",
		         (int)strcspn(PQerrorMessage(conn), "\n"), PQerrorMessage(conn));
	rep->seconds_total = mono() - t0;
	rc = o->tokens_path != NULL ? write_tokens(&s) : 0;
out:
	sodium_memzero(hash, sizeof(hash));
	free(s.depts);
	free(s.user_ids);
	free(s.student_ids);
	free(s.periods);
	return rc;
}

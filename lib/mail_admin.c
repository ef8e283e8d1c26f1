/*
 * mail_admin.c -- the email test mode and the email history of
 * mail_admin.h (the template routes are lib/mail_templates_api.c).
 *
 * The test mode is one row (mail_test_mode): while it is active the
 * worker sends every mail to its addresses instead of the recipients.
 * Only a super admin reads or changes it; it always expires (at most 30
 * days ahead), so a forgotten switch cannot hide mail from students for
 * long. Every change is audited with the state before and after.
 *
 * The history lists mail_outbox newest first with keyset pages on
 * (created_at, id), the same cursor as every list (scholarships_page_query,
 * app_split_cursor). A super admin sees every mail; an admin only mail
 * about the scholarships granted to them (mail_outbox.scholarship_id, so
 * account mail, which names none, is the super admin's alone). A row never
 * shows its body: verification and reset mails carry sign-in tokens.
 * A super admin may put a failed mail back in the queue.
 *
 * Memory: the request arena's.
 */
#include "mail_admin.h"

#include "applications_int.h"
#include "arena.h"
#include "audit.h"
#include "handler.h"
#include "http.h"
#include "json.h"
#include "router.h"
#include "scholarships.h"
#include "validate.h"
#include "worker.h"

#include <strings.h>
#include <string.h>

#define NFIELDS(t) (sizeof(t) / sizeof((t)[0]))

/* clang-format off */
/* The test mode as the API shows it (alias m). */
#define TM_JSON \
	"json_build_object('active', (cardinality(m.addresses) > 0 AND m.expires_at > now()), " \
	"'addresses', to_json(m.addresses), 'expires_at', " SCH_UTC("m.expires_at") ", " \
	"'updated_by', m.updated_by, 'updated_at', " SCH_UTC("m.updated_at") ")::text"
/* A mail of the history (alias o): everything but its body. */
#define OB_JSON \
	"json_build_object('id', o.id, 'to', o.to_address, 'subject', o.subject, " \
	"'template_key', o.template_key, 'locale', o.locale, 'status', o.status, " \
	"'attempts', o.attempts, 'last_error', o.last_error, " \
	"'created_at', " SCH_UTC("o.created_at") ", 'sent_at', " SCH_UTC("o.sent_at") ", " \
	"'next_attempt_at', " SCH_UTC("o.next_attempt_at") ", " \
	"'redirected_to', to_json(o.redirected_to), 'scholarship_id', o.scholarship_id)::text"
/*
 * $1 the scope's value (the admin; NULL for a super admin); $2 status,
 * $3 template_key, $4 the recipient's ILIKE pattern, $5 since, $6 until;
 * $7/$8 the cursor; $9 limit. Planned for its values on each run (no
 * name): which filters are set decides between walking the history index
 * and sorting the matches.
 */
#define OB_LIST(scope) \
	"SELECT " OB_JSON ", ((extract(epoch FROM o.created_at) * 1000000)::bigint)::text " \
	"|| ',' || o.id FROM mail_outbox o WHERE " scope \
	" AND ($2::text IS NULL OR o.status = $2)" \
	" AND ($3::text IS NULL OR o.template_key = $3)" \
	" AND ($4::text IS NULL OR o.to_address ILIKE $4)" \
	" AND ($5::timestamptz IS NULL OR o.created_at >= $5::timestamptz)" \
	" AND ($6::timestamptz IS NULL OR o.created_at < $6::timestamptz)" \
	" AND (o.created_at, o.id) < (COALESCE('epoch'::timestamptz + $7::bigint * " \
	"interval '1 microsecond', 'infinity'), " \
	"COALESCE($8::uuid, 'ffffffff-ffff-ffff-ffff-ffffffffffff'))" \
	" ORDER BY o.created_at DESC, o.id DESC LIMIT $9::integer"
#define OB_SCOPE_ADMIN \
	"o.scholarship_id IN (SELECT g.scholarship_id FROM scholarship_admins g " \
	"WHERE g.user_id = $1::uuid)"
#define OB_SCOPE_ALL "$1::uuid IS NULL"
/* clang-format on */

static const struct db_stmt q_tm_get = {"mailadm_tm_get",
                                        "SELECT " TM_JSON " FROM mail_test_mode m", 0};
static const struct db_stmt q_tm_lock = {"mailadm_tm_lock",
                                         "SELECT " TM_JSON " FROM mail_test_mode m FOR UPDATE", 0};
static const struct db_stmt q_tm_when = {
    "mailadm_tm_when",
    "SELECT $1::timestamptz > now(), $1::timestamptz <= now() + interval '30 days'", 1};
static const struct db_stmt q_tm_set = {
    "mailadm_tm_set",
    "UPDATE mail_test_mode m SET addresses = ARRAY(SELECT x.a FROM "
    "jsonb_array_elements_text($1::jsonb) WITH ORDINALITY AS x(a, i) ORDER BY x.i), "
    "expires_at = $2::timestamptz, updated_by = $3::uuid, updated_at = now() RETURNING " TM_JSON,
    3};
static const struct db_stmt q_tm_clear = {
    "mailadm_tm_clear",
    "UPDATE mail_test_mode m SET addresses = '{}', expires_at = NULL, updated_by = $1::uuid, "
    "updated_at = now() RETURNING " TM_JSON,
    1};

static const struct db_stmt q_ob_list_admin = {NULL, OB_LIST(OB_SCOPE_ADMIN), 9};
static const struct db_stmt q_ob_list_all = {NULL, OB_LIST(OB_SCOPE_ALL), 9};
static const struct db_stmt q_ob_lock = {
    "mailadm_ob_lock",
    "SELECT " OB_JSON ", o.status FROM mail_outbox o WHERE o.id = $1::uuid FOR UPDATE", 1};
static const struct db_stmt q_ob_retry = {
    "mailadm_ob_retry",
    "UPDATE mail_outbox o SET status = 'pending', attempts = 0, next_attempt_at = now(), "
    "claimed_at = NULL WHERE o.id = $1::uuid RETURNING " OB_JSON,
    1};
/* The outbox's trigger wakes the worker on INSERT only; a retried row
 * is due now, so say so too (delivered at commit). */
static const struct db_stmt q_ob_wake = {"mailadm_ob_wake", "SELECT pg_notify('mail_outbox', '')",
                                         0};

static const struct vfield address_item = {.type = VT_EMAIL, .min = 3, .max = 254};
static const struct vfield test_mode_fields[] = {
    {.name = "addresses",
     .type = VT_ARRAY,
     .flags = VF_REQUIRED,
     .min = 1,
     .max = 20,
     .item = &address_item},
    {.name = "expires_at", .type = VT_DATETIME, .flags = VF_REQUIRED},
};

static const char busy[] = "the mail settings changed at the same time; try again";

/* ---- shared ------------------------------------------------------------- */

/* Audit action on entity (id may be NULL) with before and after, commit
 * and answer 200 with after. */
static void finish(struct ctx *c, const char *action, const char *entity, const char *id,
                   const char *before, const char *after)
{
	if (audit_record(c, NULL, action, entity, id, before, after) < 0 ||
	    db_commit(&c->w->db) < 0) {
		db_rollback(&c->w->db);
		handler_unavailable(c, "the request could not be completed; try again");
		return;
	}
	resp_json(c->resp, 200, after, strlen(after));
}

/* Run st (inside the transaction) and return its one row, or NULL with
 * the failure answered (rolled back). */
static PGresult *one_row(struct ctx *c, const struct db_stmt *st, const char *const *p)
{
	enum db_err err;
	PGresult *r;

	if ((r = db_exec(&c->w->db, c->arena, st, p, &err, NULL)) == NULL || PQntuples(r) != 1) {
		scholarships_db_fail(c, r == NULL ? err : DB_FAILED, busy);
		return NULL;
	}
	return r;
}

/* ---- test mode ---------------------------------------------------------- */

void mailadm_test_mode_get(struct ctx *c)
{
	enum db_err err;
	PGresult *r;

	if ((r = db_exec(&c->w->db, c->arena, &q_tm_get, NULL, &err, NULL)) == NULL ||
	    PQntuples(r) != 1) {
		app_db_fail(c, r == NULL ? err : DB_FAILED);
		return;
	}
	resp_json(c->resp, 200, PQgetvalue(r, 0, 0), (size_t)PQgetlength(r, 0, 0));
}

/* Addresses listed twice (letter case aside) as "addresses.<i>" errors. */
static void check_repeats(struct ctx *c, const cJSON *list, struct verrors *e)
{
	const cJSON *it, *jt;
	int i = 0;

	cJSON_ArrayForEach(it, list)
	{
		for (jt = list->child; jt != it; jt = jt->next)
			if (cJSON_IsString(it) && cJSON_IsString(jt) &&
			    strcasecmp(jt->valuestring, it->valuestring) == 0) {
				verrors_add(e, arena_printf(c->arena, "addresses.%d", i),
				            "is listed twice");
				break;
			}
		i++;
	}
}

/* expires_at must be in the future and at most 30 days ahead; adds to e.
 * 0, or -1 answered (503...). */
static int check_expiry(struct ctx *c, const char *when, struct verrors *e)
{
	const char *p[1] = {when};
	enum db_err err;
	PGresult *r;

	if ((r = db_exec(&c->w->db, c->arena, &q_tm_when, p, &err, NULL)) == NULL) {
		if (err == DB_INVALID || err == DB_FAILED) {
			verrors_add(e, "expires_at", "must be an RFC 3339 date-time");
			return 0;
		}
		app_db_fail(c, err);
		return -1;
	}
	if (strcmp(PQgetvalue(r, 0, 0), "t") != 0)
		verrors_add(e, "expires_at", "must be in the future");
	else if (strcmp(PQgetvalue(r, 0, 1), "t") != 0)
		verrors_add(e, "expires_at", "must be at most 30 days ahead");
	return 0;
}

void mailadm_test_mode_put(struct ctx *c)
{
	const cJSON *list;
	const char *p[3];
	struct verrors e;
	PGresult *before, *after;

	if (handler_body(c, test_mode_fields, NFIELDS(test_mode_fields), 1) < 0)
		return;
	list = cJSON_GetObjectItemCaseSensitive(c->body, "addresses");
	verrors_init(&e, c->arena);
	check_repeats(c, list, &e);
	if (check_expiry(c, json_str(c->body, "expires_at"), &e) < 0)
		return;
	if (e.n > 0 || e.oom) {
		scholarships_invalid(c, &e);
		return;
	}
	p[0] = json_print(c->arena, list), p[1] = json_str(c->body, "expires_at"),
	p[2] = c->user_id;
	if (p[0] == NULL) {
		resp_problem(c->resp, c->req, 500, NULL, NULL, 0);
		return;
	}
	if (app_begin(c) < 0 || (before = one_row(c, &q_tm_lock, NULL)) == NULL ||
	    (after = one_row(c, &q_tm_set, p)) == NULL)
		return;
	finish(c, "mail_test_mode.enabled", "mail_test_mode", NULL, PQgetvalue(before, 0, 0),
	       PQgetvalue(after, 0, 0));
}

void mailadm_test_mode_delete(struct ctx *c)
{
	const char *p[1] = {c->user_id};
	PGresult *before, *after;

	if (app_begin(c) < 0 || (before = one_row(c, &q_tm_lock, NULL)) == NULL ||
	    (after = one_row(c, &q_tm_clear, p)) == NULL)
		return;
	finish(c, "mail_test_mode.disabled", "mail_test_mode", NULL, PQgetvalue(before, 0, 0),
	       PQgetvalue(after, 0, 0));
}

/* ---- history ------------------------------------------------------------ */

static const char *const list_keys[] = {"status", "template_key", "recipient", "since",
                                        "until",  "cursor",       "limit",     NULL};
static const char *const statuses[] = {"pending", "sending", "sent", "failed", NULL};

static int status_ok(const char *s)
{
	return app_one_of(s, statuses);
}

static int key_ok(const char *s)
{
	return scholarships_token_ok(s, "abcdefghijklmnopqrstuvwxyz0123456789_", 64);
}

static int recipient_ok(const char *s)
{
	return validate_utf8_len(s) <= 254;
}

void mailadm_outbox_list(struct ctx *c)
{
	const char *p[9] = {0}, *cursor, *who;
	long limit;
	int bad = 0;

	if (scholarships_page_query(c, list_keys, &limit, &cursor) < 0)
		return;
	p[1] = app_query_filter(c, "status", status_ok, &bad);
	p[2] = app_query_filter(c, "template_key", key_ok, &bad);
	who = app_query_filter(c, "recipient", recipient_ok, &bad);
	p[4] = app_query_filter(c, "since", validate_datetime, &bad);
	p[5] = app_query_filter(c, "until", validate_datetime, &bad);
	if (bad || (cursor != NULL && app_split_cursor(c, cursor, &p[6], &p[7]) < 0))
		return;
	if (who != NULL && (p[3] = handler_like_pattern(c->arena, who)) == NULL) {
		resp_problem(c->resp, c->req, 500, NULL, NULL, 0);
		return;
	}
	p[0] = c->role == ROLE_SUPER_ADMIN ? NULL : c->user_id;
	app_answer_list(c, p[0] == NULL ? &q_ob_list_all : &q_ob_list_admin, p, 8, limit);
}

void mailadm_outbox_retry(struct ctx *c)
{
	const char *p[1] = {c->req->path_ids[0]};
	PGresult *cur, *r;
	enum db_err err;

	if (app_begin(c) < 0)
		return;
	if ((cur = db_exec(&c->w->db, c->arena, &q_ob_lock, p, &err, NULL)) == NULL) {
		scholarships_db_fail(c, err, busy);
		return;
	}
	if (PQntuples(cur) != 1) {
		scholarships_refuse(c, 404, "there is no such mail");
		return;
	}
	if (strcmp(PQgetvalue(cur, 0, 1), "failed") != 0) {
		scholarships_refuse(
		    c, 409,
		    arena_printf(c->arena, "only a failed mail can be retried; this one is %s",
		                 PQgetvalue(cur, 0, 1)));
		return;
	}
	if ((r = one_row(c, &q_ob_retry, p)) == NULL)
		return;
	if (db_exec(&c->w->db, c->arena, &q_ob_wake, NULL, &err, NULL) == NULL) {
		scholarships_db_fail(c, err, busy);
		return;
	}
	finish(c, "mail_outbox.retried", "mail_outbox", p[0], PQgetvalue(cur, 0, 0),
	       PQgetvalue(r, 0, 0));
}

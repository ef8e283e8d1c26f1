/*
 * application_staff.c -- what the scholarship office does to an
 * application (DESIGN §8 "Applications"): POST /applications/{id}/status
 * moves it along the transition table of application_status.h (a super
 * admin may force any other move, with a reason), and PUT
 * /applications/{id}/reviewers sets who reviews it (If-Match required).
 *
 * Both lock the row FOR UPDATE under the managing scope (an admin granted
 * the scholarship, a super admin): anything else is 404.
 */
#include "applications.h"
#include "applications_int.h"

#include "application_status.h"
#include "application_notify.h"
#include "arena.h"
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
#define MAX_REVIEWERS 20

/* $4: the due date, read as the end of that day in $5 (the institution's
 * time zone). */
static const struct db_stmt q_status = {
    "applications_status",
    "UPDATE applications SET status = $2, stage = COALESCE($3, stage), "
    "resubmit_until = CASE WHEN $2 = 'returned' THEN "
    "(($4::date + 1)::timestamp AT TIME ZONE $5::text) ELSE resubmit_until END, "
    "version = version + 1, updated_at = now() WHERE id = $1::uuid",
    5};
static const struct db_stmt q_reviewers_ok = {
    "applications_reviewers_ok",
    "SELECT x.i FROM jsonb_array_elements_text($1::jsonb) WITH ORDINALITY AS x(id, i) "
    "WHERE NOT EXISTS (SELECT 1 FROM users u WHERE u.id = x.id::uuid AND u.role = 'reviewer' "
    "AND u.active) ORDER BY x.i",
    1};
static const struct db_stmt q_reviewers_drop = {
    "applications_reviewers_drop",
    "DELETE FROM application_reviewers WHERE application_id = $1::uuid "
    "AND reviewer_id NOT IN (SELECT x::uuid FROM jsonb_array_elements_text($2::jsonb) AS x)",
    2};
static const struct db_stmt q_reviewers_add = {
    "applications_reviewers_add",
    "INSERT INTO application_reviewers (application_id, reviewer_id, assigned_by) "
    "SELECT $1::uuid, x::uuid, $3::uuid FROM jsonb_array_elements_text($2::jsonb) AS x "
    "ON CONFLICT DO NOTHING",
    3};
static const struct db_stmt q_bump = {
    "applications_bump",
    "UPDATE applications SET version = version + 1, updated_at = now() WHERE id = $1::uuid", 1};

static const struct vfield status_fields[] = {
    {.name = "status", .type = VT_ENUM, .flags = VF_REQUIRED, .options = appstatus_names},
    {.name = "reason", .type = VT_STRING, .flags = VF_NULLABLE, .min = 1, .max = 2000},
    {.name = "due_on", .type = VT_DATE, .flags = VF_NULLABLE},
};
static const struct vfield reviewer_item = {.type = VT_UUID};
static const struct vfield reviewers_fields[] = {
    {.name = "reviewer_ids",
     .type = VT_ARRAY,
     .flags = VF_REQUIRED,
     .min = 0,
     .max = MAX_REVIEWERS,
     .item = &reviewer_item},
};

/*
 * May the caller move from -> to? 0 yes (*override set when only as a
 * super admin's override); -1 with the refusal answered.
 */
static int may_move(struct ctx *c, const char *from, const char *to, const char *reason,
                    int *override)
{
	*override = 0;
	if (appstatus_staff_may(from, to))
		return 0;
	if (strcmp(from, to) == 0) {
		scholarships_refuse(c, 409,
		                    arena_printf(c->arena, "the application is already %s", to));
		return -1;
	}
	if (c->role != ROLE_SUPER_ADMIN) {
		scholarships_refuse(
		    c, 409,
		    arena_printf(c->arena, "an application cannot move from %s to %s", from, to));
		return -1;
	}
	if (reason == NULL) {
		db_rollback(&c->w->db);
		handler_invalid(c, "reason", "a move outside the transition table needs a reason");
		return -1;
	}
	*override = 1;
	return 0;
}

void applications_status(struct ctx *c)
{
	const char *p[5], *from, *to, *reason, *due, *id;
	struct app_event_detail detail = {0};
	PGresult *cur;
	enum db_err err;
	int override;

	if (handler_body(c, status_fields, NFIELDS(status_fields), 1) < 0)
		return;
	to = json_str(c->body, "status");
	reason = json_str(c->body, "reason");
	due = json_str(c->body, "due_on");
	if (due != NULL && strcmp(to, "returned") != 0) {
		handler_invalid(c, "due_on", "is only for returning an application");
		return;
	}
	if ((cur = app_lock(c, 0)) == NULL)
		return;
	from = PQgetvalue(cur, 0, AC_STATUS);
	if (may_move(c, from, to, reason, &override) < 0)
		return;
	id = PQgetvalue(cur, 0, AC_ID);
	p[0] = id, p[1] = to, p[3] = due;
	/* A forced resubmission enters the period's first review stage. */
	p[2] = strcmp(to, "submitted") == 0 ? PQgetvalue(cur, 0, AC_NEXT_STAGE)
	                                    : appstatus_stage_after(to);
	p[4] = c->w->cfg->institution_timezone;
	if (db_exec(&c->w->db, c->arena, &q_status, p, &err, NULL) == NULL) {
		scholarships_db_fail(c, err, app_duplicate);
		return;
	}
	detail.status = to, detail.reason = reason;
	if (app_history(c, id, from, to, reason) < 0 ||
	    app_notify(c, id, APP_EV_STATUS, &detail) < 0)
		return;
	app_finish(c, 200,
	           override ? "application.status_overridden" : "application.status_changed", id,
	           PQgetvalue(cur, 0, AC_JSON));
}

/* The bad reviewer ids of ids (JSON text) as "reviewer_ids.<i>" errors:
 * repeats, and ids that are no active reviewer. 0, or -1 when answered. */
static int check_reviewers(struct ctx *c, const cJSON *list, const char *ids, struct verrors *e)
{
	const char *p[1] = {ids};
	const cJSON *it, *jt;
	enum db_err err;
	PGresult *r;
	int i = 0, row;

	cJSON_ArrayForEach(it, list)
	{
		for (jt = list->child; jt != it; jt = jt->next)
			if (strcmp(jt->valuestring, it->valuestring) == 0)
				verrors_add(e, arena_printf(c->arena, "reviewer_ids.%d", i),
				            "is listed twice");
		i++;
	}
	if ((r = db_exec(&c->w->db, c->arena, &q_reviewers_ok, p, &err, NULL)) == NULL) {
		scholarships_db_fail(c, err, app_duplicate);
		return -1;
	}
	for (row = 0; row < PQntuples(r); row++)
		verrors_add(e,
		            arena_printf(c->arena, "reviewer_ids.%ld",
		                         strtol(PQgetvalue(r, row, 0), NULL, 10) - 1),
		            "is not an active reviewer");
	return 0;
}

void applications_reviewers(struct ctx *c)
{
	const cJSON *list;
	const char *p[3], *ids, *id;
	PGresult *cur;
	struct verrors e;
	enum db_err err;

	if (handler_body(c, reviewers_fields, NFIELDS(reviewers_fields), 1) < 0)
		return;
	list = cJSON_GetObjectItemCaseSensitive(c->body, "reviewer_ids");
	if ((ids = json_print(c->arena, list)) == NULL) {
		resp_problem(c->resp, c->req, 500, NULL, NULL, 0);
		return;
	}
	if ((cur = app_lock(c, 0)) == NULL ||
	    scholarships_if_match(c, PQgetvalue(cur, 0, AC_VERSION)) < 0)
		return;
	verrors_init(&e, c->arena);
	if (check_reviewers(c, list, ids, &e) < 0)
		return;
	if (e.n > 0 || e.oom) {
		db_rollback(&c->w->db);
		scholarships_invalid(c, &e);
		return;
	}
	id = PQgetvalue(cur, 0, AC_ID);
	p[0] = id, p[1] = ids, p[2] = c->user_id;
	if (db_exec(&c->w->db, c->arena, &q_reviewers_drop, p, &err, NULL) == NULL ||
	    db_exec(&c->w->db, c->arena, &q_reviewers_add, p, &err, NULL) == NULL ||
	    db_exec(&c->w->db, c->arena, &q_bump, p, &err, NULL) == NULL) {
		scholarships_db_fail(c, err, app_duplicate);
		return;
	}
	app_finish(c, 200, "application.reviewers_assigned", id, PQgetvalue(cur, 0, AC_JSON));
}

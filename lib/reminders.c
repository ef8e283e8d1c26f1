/*
 * reminders.c -- the daily draft-deadline reminder (reminders.h).
 *
 * One transaction: claim today's run in worker_jobs (the UPDATE matches
 * only once a day, only from REMINDER_HOUR on in INSTITUTION_TIMEZONE, and
 * a second worker waits on the row lock and then matches nothing), then
 * for every due draft record the reminder in application_reminders (the
 * primary key makes it once per application, even if a run is repeated by
 * hand) and queue its message through lib/notify.c. A failure rolls all of
 * it back, so tomorrow's tick, or the next one today, tries again.
 */
#include "reminders.h"

#include "arena.h"
#include "config.h"
#include "db.h"
#include "log.h"
#include "notify.h"

#include <stdio.h>

static const struct db_stmt q_claim = {
    "reminders_claim",
    "UPDATE worker_jobs SET last_run_on = (now() AT TIME ZONE $1)::date, last_run_at = now()"
    " WHERE name = 'draft_reminders'"
    " AND (last_run_on IS NULL OR last_run_on < (now() AT TIME ZONE $1)::date)"
    " AND extract(hour FROM now() AT TIME ZONE $1) >= $2::int RETURNING 1",
    2};

enum due_col {
	DC_ID,
	DC_USER,
	DC_NAME,
	DC_APP_NO,
	DC_SCH_ID,
	DC_SCH,
	DC_SCH_EN,
	DC_PERIOD,
	DC_CLOSES,
	DC_DAYS
};

/* Drafts of open periods closing within their reminder_days_before, not
 * reminded yet, each claimed by its application_reminders row. */
static const struct db_stmt q_due = {
    "reminders_due",
    "WITH due AS (SELECT a.id FROM applications a JOIN periods p ON p.id = a.period_id"
    "  WHERE a.status = 'draft' AND p.status = 'open' AND p.reminder_days_before IS NOT NULL"
    "  AND p.closes_at > now()"
    "  AND p.closes_at <= now() + make_interval(days => p.reminder_days_before)),"
    " marked AS (INSERT INTO application_reminders (application_id, kind)"
    "  SELECT id, 'draft_deadline' FROM due ON CONFLICT DO NOTHING RETURNING application_id)"
    " SELECT a.id, a.user_id, u.full_name, a.app_no, s.id, s.name, coalesce(s.name_en, s.name),"
    " p.label, to_char(p.closes_at AT TIME ZONE $1, 'YYYY-MM-DD HH24:MI') || ' (' || $1 || ')',"
    " ceil(extract(epoch FROM p.closes_at - now()) / 86400)::int"
    " FROM marked m JOIN applications a ON a.id = m.application_id"
    " JOIN users u ON u.id = a.user_id JOIN periods p ON p.id = a.period_id"
    " JOIN scholarships s ON s.id = p.scholarship_id ORDER BY a.id",
    1};

static int remind(struct db *db, struct arena *a, const struct config *cfg, PGresult *r, int i)
{
	const struct mail_var vars[] = {
	    {.name = "applicant_name", .value = PQgetvalue(r, i, DC_NAME)},
	    {.name = "app_no", .value = PQgetvalue(r, i, DC_APP_NO)},
	    {.name = "scholarship_name",
	     .value = PQgetvalue(r, i, DC_SCH),
	     .value_en = PQgetvalue(r, i, DC_SCH_EN)},
	    {.name = "period_label", .value = PQgetvalue(r, i, DC_PERIOD)},
	    {.name = "closes_at", .value = PQgetvalue(r, i, DC_CLOSES)},
	    {.name = "days_left", .value = PQgetvalue(r, i, DC_DAYS)},
	};
	const struct notify_msg m = {
	    .key = "draft_reminder",
	    .user_id = PQgetvalue(r, i, DC_USER),
	    .scholarship_id = PQgetvalue(r, i, DC_SCH_ID),
	    .link = arena_printf(a, "/application.html?id=%s", PQgetvalue(r, i, DC_ID)),
	    .vars = vars,
	    .nvars = sizeof(vars) / sizeof(vars[0]),
	    .what = NOTIFY_MAIL | NOTIFY_IN_APP,
	};
	enum db_err err;

	return m.link != NULL ? notify_user(db, a, cfg, &m, &err) : -1;
}

long reminders_run(const struct config *cfg, struct db *db, struct arena *a)
{
	char hour[16];
	const char *p[2] = {cfg->institution_timezone, hour};
	enum db_err err;
	PGresult *r;
	int i;

	snprintf(hour, sizeof(hour), "%ld", cfg->reminder_hour);
	if (db_begin(db) < 0)
		return -1;
	if ((r = db_exec(db, a, &q_claim, p, &err, NULL)) == NULL)
		goto fail;
	if (PQntuples(r) == 0) {
		db_rollback(db);
		return 0;
	}
	if ((r = db_exec(db, a, &q_due, p, &err, NULL)) == NULL)
		goto fail;
	for (i = 0; i < PQntuples(r); i++)
		if (remind(db, a, cfg, r, i) < 0)
			goto fail;
	if (db_commit(db) < 0)
		goto fail;
	if (PQntuples(r) > 0)
		log_info("reminders: %d draft-deadline reminder(s) queued", PQntuples(r));
	return PQntuples(r);
fail:
	db_rollback(db);
	log_warn("reminders: the run failed; it will be tried again");
	return -1;
}

/*
 * reminders.h -- the daily draft-deadline reminder (DESIGN §8
 * "Notifications"): once a day, at REMINDER_HOUR in INSTITUTION_TIMEZONE,
 * every draft whose period closes within its reminder_days_before gets one
 * mail and one in-app notification, never twice (application_reminders).
 * Several workers may call it: the day is claimed with one UPDATE of
 * worker_jobs, so one of them does the work.
 */
#ifndef SCH_REMINDERS_H
#define SCH_REMINDERS_H

struct arena;
struct config;
struct db;

/*
 * Run the job if today's run is due and not yet done. Cheap when it is
 * not due (one UPDATE that matches nothing). Returns how many reminders
 * were queued, or -1 when the database failed.
 */
long reminders_run(const struct config *cfg, struct db *db, struct arena *a);

#endif

/*
 * application_notify.h -- what an application's events tell people
 * (DESIGN §8 "Notifications"): submitted (the student, and each assigned
 * reviewer), documents requested and a status decided by staff (the
 * student). Each writes a mail to the outbox and an in-app notification
 * on the handler's connection, inside the transaction of the change.
 */
#ifndef SCH_APPLICATION_NOTIFY_H
#define SCH_APPLICATION_NOTIFY_H

struct ctx;

enum app_event {
	APP_EV_SUBMITTED,      /* no detail */
	APP_EV_DOCS_REQUESTED, /* detail: kinds, kinds_en, reason, due_on */
	APP_EV_STATUS,         /* detail: status, reason (may be NULL) */
};

struct app_event_detail {
	const char *kinds, *kinds_en; /* the kinds' labels (kinds_en: for English mail) */
	const char *reason, *due_on, *status;
};

/*
 * Tell whoever ev concerns about application id. 0, or -1 when answered
 * (the transaction rolled back, 503 or 500).
 */
int app_notify(struct ctx *c, const char *id, enum app_event ev,
               const struct app_event_detail *detail);

#endif

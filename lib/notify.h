/*
 * notify.h -- tell a user something: a mail rendered from the template
 * of a key (in the user's locale, a scholarship's override first) queued
 * in the outbox, and/or an in-app notification. Called by the handlers
 * inside the transaction of the change the message is about, so both are
 * written if and only if the change commits (DESIGN §8 "Notifications").
 *
 * Memory: from the caller's arena. No globals.
 */
#ifndef SCH_NOTIFY_H
#define SCH_NOTIFY_H

#include <stddef.h>

#include "db.h"
#include "mail_template.h"

struct arena;
struct config;

enum {
	NOTIFY_MAIL = 1,   /* queue a mail */
	NOTIFY_IN_APP = 2, /* write an in-app notification */
};

struct notify_msg {
	const char *key;            /* template key (mail_template.h) */
	const char *user_id;        /* recipient */
	const char *scholarship_id; /* optional: its override, and the history's scope */
	const char *link;           /* optional: a path in the web UI ("/application.html?id=…");
	                             * {{link}} is PUBLIC_URL + link unless vars give one */
	const struct mail_var *vars;
	size_t nvars;
	int what; /* NOTIFY_MAIL | NOTIFY_IN_APP */
};

/*
 * Send m. 0, or -1 with *err (DB_INVALID when a CHECK refused the mail,
 * DB_DOWN, DB_FAILED). A recipient who does not exist or is inactive gets
 * nothing (0); so does anyone when the key has no template (logged: the
 * defaults are seeded and cannot be deleted).
 */
int notify_user(struct db *db, struct arena *a, const struct config *cfg,
                const struct notify_msg *m, enum db_err *err);

#endif

/*
 * application_status.h -- the one place that says which status an
 * application may move to (DESIGN §8 "Applications"). Pure.
 *
 * Staff moves (admins in scope and super admins, POST .../status):
 *   submitted         -> under_review | pending_documents | returned | rejected | cancelled
 *   under_review      -> pending_documents | returned | approved | partially_approved
 *                        | rejected | cancelled
 *   pending_documents -> under_review | returned | rejected | cancelled
 *   returned          -> cancelled
 *   approved, partially_approved -> cancelled
 * The student's own moves: draft -> submitted and returned -> submitted
 * (submit), and withdraw before a decision. Any other move is a super
 * admin's override, which requires a reason.
 */
#ifndef SCH_APPLICATION_STATUS_H
#define SCH_APPLICATION_STATUS_H

/* Every status, NULL-terminated. */
extern const char *const appstatus_names[];
/* Every stage, NULL-terminated. */
extern const char *const appstage_names[];

/* Is s one of appstatus_names? */
int appstatus_known(const char *s);
/* Is s one of appstage_names? */
int appstage_known(const char *s);
/* May staff move an application from from to to without an override? */
int appstatus_staff_may(const char *from, const char *to);
/* May the owner withdraw an application in status s (before a decision)? */
int appstatus_withdrawable(const char *s);
/* The stage after a move to status to, or NULL to keep the current one. */
const char *appstatus_stage_after(const char *to);

#endif

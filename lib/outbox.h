/*
 * outbox.h -- the email outbox (table mail_outbox, migration 0003).
 *
 * Two sides:
 *  - callers (API handlers, scholarshipctl) enqueue a mail with one
 *    prepared INSERT, inside their own transaction when the mail belongs
 *    to a change (a verification token is stored and its mail queued, or
 *    neither); the table's trigger wakes the worker at commit;
 *  - scholarship-worker drains it: claim due rows (FOR UPDATE SKIP LOCKED,
 *    so several workers never take the same row), hand each to a deliver
 *    function, then mark it sent, retry it later with exponential backoff,
 *    or give up (status 'failed' with last_error).
 *
 * Delivery is at least once: a worker that dies between delivering and
 * marking leaves the row in 'sending'; outbox_requeue_stale() puts it back
 * after a while and it is delivered again (the .eml writer then replaces
 * the same file; SMTP may send a duplicate).
 *
 * The email test mode (table mail_test_mode) is read by the claim itself:
 * while it is on, each claimed row's redirected_to is set to its addresses
 * (and reset to NULL when it is off), in the same statement, so a mail
 * goes where the row says it went.
 *
 * Memory: every string returned comes from the arena passed in and dies
 * with it. No globals.
 */
#ifndef SCH_OUTBOX_H
#define SCH_OUTBOX_H

#include <signal.h>
#include <stddef.h>

#include "db.h"

struct arena;

/* A mail to queue; NULL optional fields are stored as NULL. */
struct outbox_new {
	const char *to;
	const char *subject;
	const char *body_text;
	const char *body_html;    /* optional */
	const char *template_key; /* optional: which template produced it */
	const char *locale;       /* optional: "en" | "zh-TW" */
};

/*
 * Queue one mail. Returns its id (from the arena), or NULL with *err set:
 * DB_INVALID when a CHECK refuses it (bad address, CR/LF in the subject,
 * subject over 300 characters...), DB_DOWN, DB_FAILED. Works inside the
 * caller's transaction (db_begin ... db_commit).
 */
const char *outbox_enqueue(struct db *db, struct arena *a, const char *to, const char *subject,
                           const char *body_text, const char *body_html, enum db_err *err);
const char *outbox_enqueue_mail(struct db *db, struct arena *a, const struct outbox_new *m,
                                enum db_err *err);

/* A claimed row (status 'sending'). */
struct outbox_mail {
	const char *id;
	const char *to;
	const char *subject;
	const char *body_text;
	const char *body_html;    /* NULL when none */
	const char *template_key; /* NULL when none */
	long attempts;            /* including the current one */
	long long created;        /* created_at, seconds since the epoch */
	long created_usec;
	const char *const *redirect; /* test mode: the addresses to use instead of to */
	size_t nredirect;            /* 0: the test mode is off */
};

/* Retry policy of the worker. */
struct outbox_policy {
	long retry_base;   /* seconds before the 2nd attempt; doubles each time */
	long retry_max;    /* cap on one delay, seconds */
	long max_attempts; /* after this many failures: status 'failed' */
	long stale_after;  /* seconds in 'sending' before a row is re-queued;
	                    * must exceed the longest delivery (SMTP timeouts) */
	int batch;         /* rows claimed at once */
};

#define OUTBOX_POLICY_DEFAULT                                                                      \
	{                                                                                          \
		.retry_base = 60, .retry_max = 6 * 3600, .max_attempts = 8, .stale_after = 60,     \
		.batch = 16                                                                        \
	}

/* Seconds to wait after the attempts-th failed attempt: base * 2^(n-1), capped. */
long outbox_backoff(const struct outbox_policy *p, long attempts);

/*
 * The backoff plus jitter, so that mail failed together (a server outage)
 * is not retried together: outbox_backoff() * (1 + u / 4) for u in [0, 1),
 * i.e. in [backoff, 1.25 * backoff). u outside [0, 1) is clamped.
 */
double outbox_retry_delay(const struct outbox_policy *p, long attempts, double u);

/* What a deliver function reports. */
enum outbox_result {
	OUTBOX_SENT,   /* delivered: mark sent */
	OUTBOX_RETRY,  /* failure: try again after the backoff (until max_attempts) */
	OUTBOX_DOWN,   /* as OUTBOX_RETRY, and the transport itself is away (no
	                * connection, timeout): the rest of the batch is given
	                * back untried, to wait for the next wake-up */
	OUTBOX_REJECT, /* permanent failure (the message itself is bad): give up */
};

/*
 * Deliver one mail. Writes a short reason (no body, no secret) into err
 * on failure. Allocations go to a, which is reset after every message.
 */
typedef enum outbox_result (*outbox_deliver_fn)(void *ctx, const struct outbox_mail *m,
                                                struct arena *a, char *err, size_t errlen);

/* LISTEN mail_outbox on the current connection. 0, or -1 with *err. */
int outbox_listen(struct db *db, struct arena *a, enum db_err *err);

/*
 * Claim up to max due pending rows: status 'sending', attempts + 1.
 * Returns the count (and *out, an arena array), or -1 with *err.
 */
int outbox_claim(struct db *db, struct arena *a, int max, struct outbox_mail **out,
                 enum db_err *err);

/* Mark a claimed row sent. 0, or -1 with *err. */
int outbox_mark_sent(struct db *db, struct arena *a, const char *id, enum db_err *err);

/*
 * Record a failed attempt of a claimed row: back to 'pending' after the
 * backoff, or 'failed' when permanent is set or the attempts are used up
 * (*gave_up then 1). 0, or -1 with *err.
 */
int outbox_mark_failed(struct db *db, struct arena *a, const struct outbox_policy *p,
                       const struct outbox_mail *m, const char *error, int permanent, int *gave_up,
                       enum db_err *err);

/* Give a claimed, undelivered row back (a stopping worker). 0 or -1. */
int outbox_release(struct db *db, struct arena *a, const char *id, enum db_err *err);

/*
 * Rows in 'sending' for longer than p->stale_after seconds belong to a
 * worker that died: back to 'pending' (or 'failed' when out of attempts).
 * Returns how many, or -1 with *err.
 */
long outbox_requeue_stale(struct db *db, struct arena *a, const struct outbox_policy *p,
                          enum db_err *err);

/*
 * Claim one batch and deliver it, logging one JSON line per message and
 * counting each attempt in mm (when not NULL). msg_arena is reset after
 * each message. Stops early when *stop becomes non-zero (the current
 * message is finished; the rest are released), when the transport is
 * down (OUTBOX_DOWN: likewise) or the database goes away. Returns the
 * number of rows claimed (a full batch means: call again), 0 when the
 * transport went down (wait for the next wake-up), or -1 when the
 * database failed (*err).
 */
struct mail_metrics;
int outbox_run_batch(struct db *db, struct arena *batch_arena, struct arena *msg_arena,
                     const struct outbox_policy *p, outbox_deliver_fn deliver, void *ctx,
                     struct mail_metrics *mm, volatile sig_atomic_t *stop, enum db_err *err);

#endif

/*
 * outbox.c -- the mail_outbox queue: enqueue on the API side, claim /
 * deliver / mark on the worker side. All SQL of the outbox is in the table
 * below; every statement is prepared (db_exec), so enqueueing inside a
 * caller's transaction costs one round trip.
 *
 * Owns: the queue's state machine
 *     pending --claim--> sending --sent--> sent
 *                          |  \--failure, attempts left--> pending (later)
 *                          \--permanent failure or no attempts left--> failed
 * and the re-queueing of rows a dead worker left in 'sending'. Does not
 * own the message format or the transport (the deliver function: an .eml
 * file, lib/mailfile.c, or SMTP, lib/smtp.c) nor the wake-up loop
 * (app/scholarship-worker.c). Counts every attempt in lib/mail_metrics.c.
 *
 * Why claim with an UPDATE over a MATERIALIZED CTE: the CTE takes its row
 * locks once (FOR UPDATE SKIP LOCKED skips rows another worker holds) and
 * is evaluated exactly once, so LIMIT really bounds the batch; the UPDATE
 * commits at once, so a claimed row is visibly 'sending' and no
 * transaction stays open while a message is delivered. The same statement
 * reads the email test mode (mail_test_mode: on while expires_at is ahead
 * and addresses is not empty) and records where each mail will go in
 * redirected_to, so the worker needs no second round trip for it.
 *
 * Retry delays get up to 25 % of random jitter (libsodium's generator),
 * so that a batch that failed together (the server was down) spreads out
 * instead of hitting the server again all at once.
 */
#include "outbox.h"

#include "arena.h"
#include "config.h"
#include "json.h"
#include "log.h"
#include "mail_metrics.h"

#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum outbox_stmt {
	ST_ENQUEUE,
	ST_LISTEN,
	ST_CLAIM,
	ST_SENT,
	ST_FAILED,
	ST_RELEASE,
	ST_REQUEUE,
	ST__MAX
};

static const struct db_stmt stmts[ST__MAX] = {
    [ST_ENQUEUE] = {"outbox_enqueue",
                    "INSERT INTO mail_outbox (to_address, subject, body_text, body_html,"
                    " template_key, locale) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                    6},
    [ST_LISTEN] = {"outbox_listen", "LISTEN mail_outbox", 0},
    [ST_CLAIM] = {"outbox_claim",
                  "WITH due AS MATERIALIZED (SELECT id FROM mail_outbox"
                  " WHERE status = 'pending' AND next_attempt_at <= now()"
                  " ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED),"
                  " test AS (SELECT addresses FROM mail_test_mode"
                  " WHERE expires_at > now() AND cardinality(addresses) > 0 LIMIT 1)"
                  " UPDATE mail_outbox o SET status = 'sending', attempts = o.attempts + 1,"
                  " claimed_at = now(), redirected_to = (SELECT addresses FROM test)"
                  " FROM due WHERE o.id = due.id"
                  " RETURNING o.id, o.to_address, o.subject, o.body_text, o.body_html,"
                  " o.template_key, o.attempts, floor(extract(epoch FROM o.created_at))::bigint,"
                  " extract(microseconds FROM o.created_at)::bigint % 1000000,"
                  " array_to_json(o.redirected_to)",
                  1},
    [ST_SENT] = {"outbox_sent",
                 "UPDATE mail_outbox SET status = 'sent', sent_at = now(), claimed_at = NULL,"
                 " last_error = NULL WHERE id = $1 AND status = 'sending'",
                 1},
    [ST_FAILED] = {"outbox_failed",
                   "UPDATE mail_outbox SET status = CASE WHEN $3::boolean"
                   " OR attempts >= $4::integer THEN 'failed' ELSE 'pending' END,"
                   " next_attempt_at = now() + make_interval(secs => $2::double precision),"
                   " claimed_at = NULL, last_error = left($5::text, 1000)"
                   " WHERE id = $1 AND status = 'sending' RETURNING status",
                   5},
    [ST_RELEASE] = {"outbox_release",
                    "UPDATE mail_outbox SET status = 'pending', claimed_at = NULL,"
                    " attempts = greatest(attempts - 1, 0) WHERE id = $1 AND status = 'sending'",
                    1},
    [ST_REQUEUE] = {"outbox_requeue",
                    "UPDATE mail_outbox SET status = CASE WHEN attempts >= $2::integer"
                    " THEN 'failed' ELSE 'pending' END, claimed_at = NULL,"
                    " next_attempt_at = now(), last_error = 'interrupted while sending'"
                    " WHERE status = 'sending'"
                    " AND claimed_at < now() - make_interval(secs => $1::double precision)",
                    2},
};

const char *outbox_enqueue_mail(struct db *db, struct arena *a, const struct outbox_new *m,
                                enum db_err *err)
{
	const char *params[6] = {m->to,        m->subject,      m->body_text,
	                         m->body_html, m->template_key, m->locale};
	PGresult *res = db_exec(db, a, &stmts[ST_ENQUEUE], params, err, NULL);

	if (res == NULL)
		return NULL;
	if (PQntuples(res) != 1) {
		*err = DB_FAILED;
		return NULL;
	}
	return PQgetvalue(res, 0, 0);
}

const char *outbox_enqueue(struct db *db, struct arena *a, const char *to, const char *subject,
                           const char *body_text, const char *body_html, enum db_err *err)
{
	const struct outbox_new m = {
	    .to = to, .subject = subject, .body_text = body_text, .body_html = body_html};

	return outbox_enqueue_mail(db, a, &m, err);
}

long outbox_backoff(const struct outbox_policy *p, long attempts)
{
	long d = p->retry_base > 0 ? p->retry_base : 1;
	long cap = p->retry_max > 0 ? p->retry_max : LONG_MAX;
	long i;

	for (i = 1; i < attempts && d < cap && d <= LONG_MAX / 2; i++)
		d *= 2;
	return d < cap ? d : cap;
}

double outbox_retry_delay(const struct outbox_policy *p, long attempts, double u)
{
	double d = (double)outbox_backoff(p, attempts);

	if (!(u >= 0.0)) /* also NaN */
		u = 0.0;
	if (u >= 1.0)
		u = 0.999999;
	return d + d * u / 4.0;
}

/* A uniform number in [0, 1) for the jitter. */
static double jitter_u(void)
{
	return (double)randombytes_uniform(1000000) / 1000000.0;
}

int outbox_listen(struct db *db, struct arena *a, enum db_err *err)
{
	return db_exec(db, a, &stmts[ST_LISTEN], NULL, err, NULL) ? 0 : -1;
}

/*
 * The test-mode addresses of a claimed row: a JSON array of strings (or
 * SQL NULL: the test mode is off) into arena memory. Their form is checked
 * where the message is made (mailfile_render). 0, or -1.
 */
static int redirect_list(struct arena *a, const char *json, struct outbox_mail *m)
{
	const cJSON *arr, *e;
	const char **v;
	const char *why;
	size_t n = 0;

	m->redirect = NULL;
	m->nredirect = 0;
	if (json == NULL)
		return 0;
	arr = json_parse(a, json, strlen(json), &why);
	if (!cJSON_IsArray(arr))
		return -1;
	v = arena_calloc(a, (size_t)cJSON_GetArraySize(arr) + 1, sizeof(*v));
	if (v == NULL)
		return -1;
	cJSON_ArrayForEach(e, arr)
	{
		if (!cJSON_IsString(e))
			return -1;
		v[n++] = e->valuestring;
	}
	m->redirect = v;
	m->nredirect = n;
	return 0;
}

static int row_to_mail(struct arena *a, PGresult *res, int i, struct outbox_mail *m)
{
	long created;

	m->id = PQgetvalue(res, i, 0);
	m->to = PQgetvalue(res, i, 1);
	m->subject = PQgetvalue(res, i, 2);
	m->body_text = PQgetvalue(res, i, 3);
	m->body_html = PQgetisnull(res, i, 4) ? NULL : PQgetvalue(res, i, 4);
	m->template_key = PQgetisnull(res, i, 5) ? NULL : PQgetvalue(res, i, 5);
	if (config_parse_long(PQgetvalue(res, i, 6), 0, INT_MAX, &m->attempts) < 0 ||
	    config_parse_long(PQgetvalue(res, i, 7), 0, LONG_MAX, &created) < 0 ||
	    config_parse_long(PQgetvalue(res, i, 8), 0, 999999, &m->created_usec) < 0)
		return -1;
	m->created = created;
	return redirect_list(a, PQgetisnull(res, i, 9) ? NULL : PQgetvalue(res, i, 9), m);
}

int outbox_claim(struct db *db, struct arena *a, int max, struct outbox_mail **out,
                 enum db_err *err)
{
	char limit[16];
	const char *params[1] = {limit};
	PGresult *res;
	int i, n;

	snprintf(limit, sizeof(limit), "%d", max > 0 ? max : 1);
	res = db_exec(db, a, &stmts[ST_CLAIM], params, err, NULL);
	if (res == NULL)
		return -1;
	n = PQntuples(res);
	*out = arena_calloc(a, (size_t)(n > 0 ? n : 1), sizeof(**out));
	if (*out == NULL) {
		*err = DB_FAILED;
		log_error("outbox: out of memory; %d claimed rows wait for the stale re-queue", n);
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (row_to_mail(a, res, i, &(*out)[i]) < 0) {
			*err = DB_FAILED;
			log_error("outbox: malformed row %s", PQgetvalue(res, i, 0));
			return -1;
		}
	}
	return n;
}

static int exec_one(struct db *db, struct arena *a, enum outbox_stmt st, const char *id,
                    enum db_err *err)
{
	const char *params[1] = {id};

	return db_exec(db, a, &stmts[st], params, err, NULL) ? 0 : -1;
}

int outbox_mark_sent(struct db *db, struct arena *a, const char *id, enum db_err *err)
{
	return exec_one(db, a, ST_SENT, id, err);
}

int outbox_release(struct db *db, struct arena *a, const char *id, enum db_err *err)
{
	return exec_one(db, a, ST_RELEASE, id, err);
}

int outbox_mark_failed(struct db *db, struct arena *a, const struct outbox_policy *p,
                       const struct outbox_mail *m, const char *error, int permanent, int *gave_up,
                       enum db_err *err)
{
	char delay[32], max[24];
	const char *params[5] = {m->id, delay, permanent ? "true" : "false", max, error};
	PGresult *res;

	snprintf(delay, sizeof(delay), "%.3f", outbox_retry_delay(p, m->attempts, jitter_u()));
	snprintf(max, sizeof(max), "%ld", p->max_attempts);
	res = db_exec(db, a, &stmts[ST_FAILED], params, err, NULL);
	if (res == NULL)
		return -1;
	*gave_up = PQntuples(res) == 1 && strcmp(PQgetvalue(res, 0, 0), "failed") == 0;
	return 0;
}

long outbox_requeue_stale(struct db *db, struct arena *a, const struct outbox_policy *p,
                          enum db_err *err)
{
	char after[24], max[24];
	const char *params[2] = {after, max};
	PGresult *res;
	long n = 0;

	snprintf(after, sizeof(after), "%ld", p->stale_after);
	snprintf(max, sizeof(max), "%ld", p->max_attempts);
	res = db_exec(db, a, &stmts[ST_REQUEUE], params, err, NULL);
	if (res == NULL)
		return -1;
	(void)config_parse_long(PQcmdTuples(res), 0, LONG_MAX, &n);
	return n;
}

/* The one log line of a message: never the body, subject or address. */
static void log_mail(const struct outbox_mail *m, enum outbox_result r, int gave_up,
                     const char *why, int marked, double seconds)
{
	char attempt[24], ms[32];
	const char *status = r == OUTBOX_SENT ? "sent" : gave_up ? "failed" : "retry";

	snprintf(attempt, sizeof(attempt), "%ld", m->attempts);
	snprintf(ms, sizeof(ms), "%.3f", seconds * 1000.0);
	log_fields(!marked            ? LOG_ERROR
	           : r == OUTBOX_SENT ? LOG_INFO
	                              : LOG_WARN,
	           "mail", "id", m->id, "status", marked ? status : "unrecorded", "attempt",
	           attempt, "template", m->template_key ? m->template_key : "", "duration_ms", ms,
	           "test_mode", m->nredirect > 0 ? "on" : "off", "error",
	           r == OUTBOX_SENT ? "" : why, (const char *)NULL);
}

/*
 * Deliver one claimed mail and record the outcome (and its count in mm).
 * *res is what the deliver function said. 0, or -1 with *err.
 */
static int process(struct db *db, struct arena *a, const struct outbox_policy *p,
                   outbox_deliver_fn deliver, void *ctx, struct mail_metrics *mm,
                   const struct outbox_mail *m, enum outbox_result *res, enum db_err *err)
{
	char why[512] = "";
	double started = db_now(), took;
	enum outbox_result r = deliver(ctx, m, a, why, sizeof(why));
	int gave_up = 0, rc;

	took = db_now() - started;
	if (r == OUTBOX_SENT)
		rc = outbox_mark_sent(db, a, m->id, err);
	else
		rc = outbox_mark_failed(db, a, p, m, why[0] ? why : "delivery failed",
		                        r == OUTBOX_REJECT, &gave_up, err);
	if (rc == 0 && mm != NULL)
		mail_metrics_observe(mm,
		                     r == OUTBOX_SENT ? MAIL_METRIC_SENT
		                     : gave_up        ? MAIL_METRIC_FAILED
		                                      : MAIL_METRIC_RETRY,
		                     took);
	log_mail(m, r, gave_up, why, rc == 0, took);
	arena_reset(a);
	*res = r;
	return rc;
}

static void release_rest(struct db *db, struct arena *a, const struct outbox_mail *m, int n)
{
	enum db_err err;
	int i;

	for (i = 0; i < n; i++)
		if (outbox_release(db, a, m[i].id, &err) < 0)
			break; /* the stale re-queue will find the rest */
	arena_reset(a);
}

int outbox_run_batch(struct db *db, struct arena *batch_arena, struct arena *msg_arena,
                     const struct outbox_policy *p, outbox_deliver_fn deliver, void *ctx,
                     struct mail_metrics *mm, volatile sig_atomic_t *stop, enum db_err *err)
{
	struct outbox_mail *mails;
	enum outbox_result r;
	int n, i;

	*err = DB_OK;
	n = outbox_claim(db, batch_arena, p->batch, &mails, err);
	for (i = 0; i < n; i++) {
		if (*stop) {
			release_rest(db, msg_arena, mails + i, n - i);
			break;
		}
		if (process(db, msg_arena, p, deliver, ctx, mm, &mails[i], &r, err) < 0) {
			n = -1;
			break;
		}
		if (r == OUTBOX_DOWN) {
			release_rest(db, msg_arena, mails + i + 1, n - i - 1);
			n = 0; /* not a full batch: wait for the next wake-up */
			break;
		}
	}
	arena_reset(batch_arena);
	return n;
}

/*
 * scholarship-worker -- background jobs (DESIGN §2): the email outbox, the
 * daily draft-deadline reminders (lib/reminders.c), the storage sweep and
 * the mail counters of /metrics. Owns the wake-up loop and its glue only;
 * the queue is lib/outbox.c, the messages lib/mailfile.c, the SMTP
 * transport lib/smtp.c and the counters lib/mail_metrics.c.
 *
 * One PostgreSQL connection (lib/db.c, reconnected with its backoff while
 * the server is away; the worker never exits because of the database)
 * that LISTENs on mail_outbox. The loop sleeps in poll() on that socket
 * with a 1-second timer: an INSERT into mail_outbox wakes it at commit,
 * the timer picks up retries whose backoff ran out. On each wake-up it
 * drains every due row, then runs the reminders (cheap when not due).
 * Once a minute (and after every reconnect) rows left in 'sending' by a
 * worker that died are put back in the queue. Several workers may run:
 * the claim (FOR UPDATE SKIP LOCKED) gives each row to one of them.
 *
 * Transport: with SMTP_HOST, SMTP through libcurl on one connection kept
 * across messages; without it each mail becomes an .eml file in MAIL_DIR.
 * Either way the email test mode (mail_test_mode, read by the claim)
 * sends a mail to the test addresses instead, and a failure of any kind
 * (no connection, 4xx, 5xx) is retried with exponential backoff and
 * jitter until MAIL_MAX_ATTEMPTS, then the row is 'failed' with the
 * relay's reply in last_error. A mail that can never be rendered is failed
 * at once. While the relay is unreachable a batch stops at its first
 * failure, so the rest of the queue keeps its attempts.
 *
 * Signals: SIGTERM and SIGINT finish the current message, give the rest
 * of the batch back, flush the counters and exit 0; SIGPIPE is ignored.
 * Handlers only set a flag; poll() returns EINTR because SA_RESTART is not
 * used. Logs are JSON lines on stderr (lib/log.c), one per message.
 *
 * `scholarship-worker --test-mail ADDRESS` queues one test message (as the
 * API would, through outbox_enqueue) and prints its id, for operators.
 *
 * Environment, besides DESIGN §5: MAIL_RETRY_BASE_SECONDS (60; the delay
 * after the first failure, doubling), MAIL_RETRY_MAX_SECONDS (21600, the
 * cap), MAIL_MAX_ATTEMPTS (8), REMINDER_HOUR (9), STORAGE_SWEEP_*.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "arena.h"
#include "buf.h"
#include "config.h"
#include "db.h"
#include "log.h"
#include "mail_metrics.h"
#include "mailfile.h"
#include "outbox.h"
#include "reminders.h"
#include "smtp.h"
#include "storage_sweep.h"

#define TICK_MS 1000
#define REQUEUE_EVERY 60.0 /* seconds between looks for stale 'sending' rows */
#define FLUSH_EVERY 5.0    /* seconds between additions to table mail_metrics */
#define SMTP_BATCH 8       /* rows claimed at once when sending by SMTP */

static volatile sig_atomic_t stop;

struct worker {
	struct config cfg;
	struct db db;
	struct arena batch; /* one claimed batch, or one job; reset after it */
	struct arena msg;   /* one message; reset after it */
	struct outbox_policy policy;
	outbox_deliver_fn deliver;
	struct smtp smtp;       /* with SMTP_HOST: the relay's handle */
	struct mail_metrics mm; /* counts since the last flush */
	int listening;          /* LISTEN issued on db.conn */
	PGconn *listen_conn;
	double next_requeue;
	double next_sweep; /* of the document storage (storage_sweep.h) */
	double next_flush; /* of mm */
};

static void on_stop(int sig)
{
	(void)sig;
	stop = 1;
}

static void signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_stop;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
}

/* The message a claimed row makes, the test mode included. */
static struct mailfile_msg message_of(const struct outbox_mail *m, int seven_bit)
{
	const struct mailfile_msg f = {
	    .id = m->id,
	    .to = m->to,
	    .subject = m->subject,
	    .body_text = m->body_text,
	    .body_html = m->body_html,
	    .created = m->created,
	    .created_usec = m->created_usec,
	    .redirect = m->redirect,
	    .nredirect = m->nredirect,
	    .seven_bit = seven_bit,
	};
	return f;
}

/*
 * A test mode that cannot be used (an address that is not a bare ASCII
 * address, too many) is a setting to fix, not a fault of the mail: it
 * counts as the transport being down, so the queue waits for the fix.
 */
static int test_mode_bad(const struct outbox_mail *m, char *err, size_t errlen)
{
	size_t i;

	if (m->nredirect > MAILFILE_REDIRECT_MAX) {
		snprintf(err, errlen, "email test mode: more than %d addresses",
		         MAILFILE_REDIRECT_MAX);
		return 1;
	}
	for (i = 0; i < m->nredirect; i++) {
		if (mailfile_check_addr(m->redirect[i]) < 0) {
			snprintf(err, errlen, "email test mode: address %zu is not a bare address",
			         i + 1);
			return 1;
		}
	}
	return 0;
}

static enum outbox_result deliver_file(void *ctx, const struct outbox_mail *m, struct arena *a,
                                       char *err, size_t errlen)
{
	const struct worker *w = ctx;
	const struct mailfile_msg f = message_of(m, 0);

	if (test_mode_bad(m, err, errlen))
		return OUTBOX_DOWN;
	switch (mailfile_write(w->cfg.mail_dir, w->cfg.mail_from, &f, a, NULL, err, errlen)) {
	case MAILFILE_OK:
		return OUTBOX_SENT;
	case MAILFILE_INVALID:
		return OUTBOX_REJECT;
	default:
		return OUTBOX_RETRY;
	}
}

static enum outbox_result deliver_smtp(void *ctx, const struct outbox_mail *m, struct arena *a,
                                       char *err, size_t errlen)
{
	struct worker *w = ctx;
	const struct mailfile_msg f = message_of(m, 1);
	const char *const *rcpt = m->nredirect > 0 ? m->redirect : &m->to;
	struct buf b;

	if (test_mode_bad(m, err, errlen))
		return OUTBOX_DOWN;
	buf_init(&b, a);
	switch (mailfile_render(&b, w->cfg.mail_from, &f, err, errlen)) {
	case MAILFILE_OK:
		break;
	case MAILFILE_INVALID:
		return OUTBOX_REJECT;
	default:
		return OUTBOX_RETRY;
	}
	switch (smtp_send(&w->smtp, rcpt, m->nredirect > 0 ? m->nredirect : 1, b.data, b.len, err,
	                  errlen)) {
	case SMTP_SENT:
		return OUTBOX_SENT;
	case SMTP_REFUSED:
		return OUTBOX_RETRY;
	default:
		return OUTBOX_DOWN;
	}
}

/*
 * The retry settings. With SMTP a message may take SMTP_TIMEOUT seconds,
 * so a row stays 'sending' up to a batch of those: the stale re-queue
 * must wait longer than that, or a slow relay would get a mail twice.
 */
static void load_policy(struct outbox_policy *p, const struct config *cfg, int smtp)
{
	p->retry_base = cfg->mail_retry_base;
	p->retry_max = cfg->mail_retry_max;
	p->max_attempts = cfg->mail_max_attempts;
	if (smtp) {
		p->batch = SMTP_BATCH;
		p->stale_after = (long)SMTP_BATCH * (SMTP_TIMEOUT + 1) + 60;
	}
}

/* Pick the transport; -1 with a message when its settings cannot work. */
static int choose_transport(struct worker *w, char *err, size_t errlen)
{
	const struct config *cfg = &w->cfg;

	if (mailfile_check_from(cfg->mail_from, err, errlen) < 0)
		return -1;
	if (cfg->smtp_host != NULL && *cfg->smtp_host != '\0') {
		if (smtp_init(&w->smtp, cfg, err, errlen) < 0)
			return -1;
		w->deliver = deliver_smtp;
		return 0;
	}
	if (mkdir(cfg->mail_dir, 0700) < 0 && errno != EEXIST)
		log_warn("worker: cannot create MAIL_DIR %s: %s (delivery will be retried)",
		         cfg->mail_dir, strerror(errno));
	w->deliver = deliver_file;
	return 0;
}

static int setup(struct worker *w)
{
	char err[2048];

	memset(w, 0, sizeof(*w));
	if (config_load_env(&w->cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "scholarship-worker: configuration: %s\n", err);
		return -1;
	}
	log_set_level(w->cfg.log_level);
	w->policy = (struct outbox_policy)OUTBOX_POLICY_DEFAULT;
	if (choose_transport(w, err, sizeof(err)) < 0) {
		fprintf(stderr, "scholarship-worker: configuration: %s\n", err);
		config_release(&w->cfg);
		return -1;
	}
	load_policy(&w->policy, &w->cfg, w->deliver == deliver_smtp);
	db_init(&w->db, w->cfg.database_url, 2);
	arena_init(&w->batch, 0);
	arena_init(&w->msg, 0);
	return 0;
}

static void teardown(struct worker *w)
{
	smtp_release(&w->smtp);
	db_release(&w->db);
	arena_free(&w->batch);
	arena_free(&w->msg);
	config_release(&w->cfg);
}

/* Connected and listening? (Re)connect and LISTEN when not. 0 or -1. */
static int ready(struct worker *w)
{
	enum db_err err;
	int rc;

	if (w->listening && w->db.conn != NULL && w->db.conn == w->listen_conn &&
	    PQstatus(w->db.conn) == CONNECTION_OK)
		return 0;
	w->listening = 0;
	if (db_ensure(&w->db) < 0)
		return -1;
	rc = outbox_listen(&w->db, &w->batch, &err);
	arena_reset(&w->batch);
	if (rc < 0)
		return -1;
	w->listening = 1;
	w->listen_conn = w->db.conn;
	w->next_requeue = 0; /* first connection, or back after an outage */
	log_info("worker: connected; listening on mail_outbox");
	return 0;
}

static void requeue_stale(struct worker *w)
{
	enum db_err err;
	long n;

	if (db_now() < w->next_requeue)
		return;
	n = outbox_requeue_stale(&w->db, &w->batch, &w->policy, &err);
	arena_reset(&w->batch);
	if (n < 0) {
		w->listening = 0;
		return;
	}
	w->next_requeue = db_now() + REQUEUE_EVERY;
	if (n > 0)
		log_warn("outbox: re-queued %ld mail(s) a stopped worker left in 'sending'", n);
}

/* Every STORAGE_SWEEP_EVERY_SECONDS: objects without a row, old temporary
 * files (storage_sweep.h). */
static void sweep(struct worker *w)
{
	long n;

	if (db_now() < w->next_sweep)
		return;
	n = storage_sweep(&w->cfg, &w->db, &w->batch);
	arena_reset(&w->batch);
	if (n < 0) {
		w->listening = 0;
		return;
	}
	w->next_sweep = db_now() + (double)w->cfg.storage_sweep_every;
	if (n > 0)
		log_info("storage: swept %ld file(s) that no document row names", n);
}

/* Add the counts to mail_metrics every FLUSH_EVERY seconds (now: at exit). */
static void flush_metrics(struct worker *w, int now)
{
	enum db_err err;
	int rc;

	if (!mail_metrics_dirty(&w->mm) || (!now && db_now() < w->next_flush))
		return;
	if (now && db_ensure(&w->db) < 0) {
		log_warn("worker: mail counters not saved: the database is away");
		return;
	}
	rc = mail_metrics_flush(&w->mm, &w->db, &w->batch, &err);
	arena_reset(&w->batch);
	w->next_flush = db_now() + FLUSH_EVERY;
	if (rc < 0)
		w->listening = 0;
}

/* Deliver every due row, batch after batch; the counters keep being saved
 * during a long backlog. */
static void drain(struct worker *w)
{
	enum db_err err;
	int n;

	do {
		n = outbox_run_batch(&w->db, &w->batch, &w->msg, &w->policy, w->deliver, w, &w->mm,
		                     &stop, &err);
		if (n > 0)
			flush_metrics(w, 0);
	} while (n == w->policy.batch && !stop);
	if (n < 0)
		w->listening = 0; /* LISTEN again on whatever connection comes next */
}

/* The daily reminders: one UPDATE that matches nothing unless due. */
static void reminders(struct worker *w)
{
	long n = reminders_run(&w->cfg, &w->db, &w->batch);

	arena_reset(&w->batch);
	if (n < 0) {
		w->listening = 0;
		return;
	}
	if (n > 0)
		log_info("reminders: queued %ld draft-deadline reminder(s)", n);
}

static int consume_notifies(PGconn *conn)
{
	PGnotify *n;
	int k = 0;

	while ((n = PQnotifies(conn)) != NULL) {
		PQfreemem(n);
		k++;
	}
	return k;
}

/* Sleep until a notification, the tick, a signal, or the next connect try. */
static void wait_for_work(struct worker *w)
{
	struct pollfd pfd = {.events = POLLIN};
	double d;

	if (!w->listening) {
		d = w->db.next_attempt - db_now();
		d = d < 0.05 ? 0.05 : d > TICK_MS / 1000.0 ? TICK_MS / 1000.0 : d;
		poll(NULL, 0, (int)(d * 1000));
		return;
	}
	/* A notification read along with a query result is already buffered. */
	if (consume_notifies(w->db.conn) > 0)
		return;
	pfd.fd = PQsocket(w->db.conn);
	if (poll(&pfd, 1, TICK_MS) <= 0)
		return;
	if (!PQconsumeInput(w->db.conn) || PQstatus(w->db.conn) != CONNECTION_OK) {
		log_warn("worker: lost the database connection; reconnecting");
		w->listening = 0;
		return;
	}
	consume_notifies(w->db.conn);
}

static void run(struct worker *w)
{
	log_info("worker: started (%s, %ld attempts, retry after %ld s doubling to %ld s)",
	         w->deliver == deliver_smtp ? "mail by SMTP" : "mail to files",
	         w->policy.max_attempts, w->policy.retry_base, w->policy.retry_max);
	w->next_flush = db_now() + FLUSH_EVERY;
	while (!stop) {
		if (ready(w) == 0) {
			requeue_stale(w);
			drain(w);
			if (!stop && w->listening)
				reminders(w);
			if (!stop && w->listening)
				sweep(w);
			flush_metrics(w, 0);
		}
		if (!stop)
			wait_for_work(w);
	}
	flush_metrics(w, 1);
	if (w->deliver == deliver_smtp)
		log_info("worker: %lu mail(s) sent by SMTP over %lu connection(s)",
		         w->smtp.messages, w->smtp.connections);
	log_info("worker: stopped");
}

/* --test-mail ADDRESS: queue one message through the outbox (what the API
 * does) and print its id, so an operator can check delivery end to end. */
static int test_mail(struct worker *w, const char *to)
{
	static const char subject[] = "Scholarship system test mail / 獎學金系統測試郵件";
	static const char body[] = "This is a test message from scholarship-worker --test-mail.\n"
	                           "If you can read it, mail delivery works.\n\n"
	                           "這是獎學金系統的測試郵件；能讀到它，代表郵件寄送正常。\n";
	enum db_err err;
	const char *id = outbox_enqueue(&w->db, &w->batch, to, subject, body, NULL, &err);

	if (id == NULL) {
		fprintf(stderr, "scholarship-worker: test mail not queued: %s\n",
		        err == DB_INVALID ? "not a valid address"
		        : err == DB_DOWN  ? "database unavailable"
		                          : "database error");
		return 1;
	}
	printf("%s\n", id);
	return 0;
}

int main(int argc, char **argv)
{
	struct worker w;
	int rc = 0;

	if (argc != 1 && !(argc == 3 && strcmp(argv[1], "--test-mail") == 0)) {
		fprintf(stderr, "usage: scholarship-worker [--test-mail ADDRESS]\n");
		return 2;
	}
	signals();
	if (sodium_init() < 0 || curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		fprintf(stderr, "scholarship-worker: cannot initialise libsodium or libcurl\n");
		return 1;
	}
	if (setup(&w) < 0)
		return 1;
	if (argc == 3)
		rc = test_mail(&w, argv[2]);
	else
		run(&w);
	teardown(&w);
	curl_global_cleanup();
	return rc;
}

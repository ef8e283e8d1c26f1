/*
 * scholarship-worker -- background jobs (DESIGN §2). Today: the email
 * outbox. Owns the wake-up loop and its glue only; the queue is
 * lib/outbox.c and the message files lib/mailfile.c.
 *
 * One PostgreSQL connection (lib/db.c, reconnected with its backoff while
 * the server is away; the worker never exits because of the database)
 * that LISTENs on mail_outbox. The loop sleeps in poll() on that socket
 * with a 1-second timer: an INSERT into mail_outbox wakes it at commit,
 * the timer picks up retries whose backoff ran out. On each wake-up it
 * drains every due row. Once a minute (and after every reconnect) rows
 * left in 'sending' by a worker that died are put back in the queue.
 *
 * Transport: without SMTP_HOST each mail becomes an .eml file in MAIL_DIR. SMTP is
 * not implemented yet: with SMTP_HOST set the worker says so and leaves
 * the mail queued (never marks it sent) until a worker that can send it
 * runs.
 *
 * Signals: SIGTERM and SIGINT finish the current message, give the rest
 * of the batch back and exit 0; SIGPIPE is ignored. Handlers only set a
 * flag; poll() returns EINTR because SA_RESTART is not used.
 *
 * `scholarship-worker --test-mail ADDRESS` queues one test message (as the
 * API would, through outbox_enqueue) and prints its id, for operators.
 *
 * Environment, besides DESIGN §5: MAIL_RETRY_BASE_SECONDS (60; the delay
 * after the first failure, doubling up to 6 h) and MAIL_MAX_ATTEMPTS (8).
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "arena.h"
#include "config.h"
#include "db.h"
#include "log.h"
#include "mailfile.h"
#include "outbox.h"
#include "storage_sweep.h"

#define TICK_MS 1000
#define REQUEUE_EVERY 60.0 /* seconds between looks for stale 'sending' rows */

static volatile sig_atomic_t stop;

struct worker {
	struct config cfg;
	struct db db;
	struct arena batch; /* one claimed batch; reset after it */
	struct arena msg;   /* one message; reset after it */
	struct outbox_policy policy;
	outbox_deliver_fn deliver; /* NULL: no usable transport, mail stays queued */
	int listening;             /* LISTEN issued on db.conn */
	PGconn *listen_conn;
	double next_requeue;
	double next_sweep; /* of the document storage (storage_sweep.h) */
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

static enum outbox_result deliver_file(void *ctx, const struct outbox_mail *m, struct arena *a,
                                       char *err, size_t errlen)
{
	const struct config *cfg = ctx;
	const struct mailfile_msg f = {
	    .id = m->id,
	    .to = m->to,
	    .subject = m->subject,
	    .body_text = m->body_text,
	    .body_html = m->body_html,
	    .created = m->created,
	    .created_usec = m->created_usec,
	};

	switch (mailfile_write(cfg->mail_dir, cfg->mail_from, &f, a, NULL, err, errlen)) {
	case MAILFILE_OK:
		return OUTBOX_SENT;
	case MAILFILE_INVALID:
		return OUTBOX_REJECT;
	default:
		return OUTBOX_RETRY;
	}
}

/* The retry settings (TODO: move into lib/config.c with the other variables). */
static int load_policy(struct outbox_policy *p, const struct config *cfg)
{
	p->retry_base = cfg->mail_retry_base;
	p->max_attempts = cfg->mail_max_attempts;
	return 0;
}

/* Pick the transport; -1 with a message when its settings cannot work. */
static int choose_transport(struct worker *w, char *err, size_t errlen)
{
	const struct config *cfg = &w->cfg;

	if (cfg->smtp_host != NULL && *cfg->smtp_host != '\0') {
		/* TODO(smtp): deliver through libcurl (smtp_host, smtp_port,
		 * smtp_use_tls, credentials); until then nothing is claimed. */
		log_warn("worker: SMTP delivery is not supported yet (SMTP_HOST is set); "
		         "mail stays queued in mail_outbox");
		w->deliver = NULL;
		return 0;
	}
	if (mailfile_check_from(cfg->mail_from, err, errlen) < 0)
		return -1;
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
	if (load_policy(&w->policy, &w->cfg) < 0 || choose_transport(w, err, sizeof(err)) < 0) {
		fprintf(stderr, "scholarship-worker: configuration: %s\n", err);
		config_release(&w->cfg);
		return -1;
	}
	db_init(&w->db, w->cfg.database_url, 2);
	arena_init(&w->batch, 0);
	arena_init(&w->msg, 0);
	return 0;
}

static void teardown(struct worker *w)
{
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

static void drain(struct worker *w)
{
	enum db_err err;
	int n;

	if (w->deliver == NULL)
		return;
	do
		n = outbox_run_batch(&w->db, &w->batch, &w->msg, &w->policy, w->deliver, &w->cfg,
		                     &stop, &err);
	while (n == w->policy.batch && !stop);
	if (n < 0)
		w->listening = 0; /* LISTEN again on whatever connection comes next */
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
	log_info("worker: started (%s)", w->deliver ? "mail to files" : "mail delivery paused");
	while (!stop) {
		if (ready(w) == 0) {
			requeue_stale(w);
			drain(w);
			sweep(w);
		}
		if (!stop)
			wait_for_work(w);
	}
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
	if (setup(&w) < 0)
		return 1;
	if (argc == 3)
		rc = test_mail(&w, argv[2]);
	else
		run(&w);
	teardown(&w);
	return rc;
}

/*
 * mail_metrics.c -- counts of scholarship-worker's deliveries, summed in
 * table mail_metrics, and their Prometheus text (see mail_metrics.h).
 *
 * Why one UPDATE that adds deltas: it is atomic and commutative, so any
 * number of workers can flush in any order without a lock or a lost
 * update, and a flush that fails changes nothing (the deltas are kept).
 * The depth gauge counts the two statuses that have partial indexes
 * (mail_outbox_pending_idx, mail_outbox_sending_idx), so it stays an
 * index-only count however large the history grows.
 */
#include "mail_metrics.h"

#include "arena.h"
#include "buf.h"
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum mm_stmt { ST_FLUSH, ST_READ, ST__MAX };

static const struct db_stmt stmts[ST__MAX] = {
    [ST_FLUSH] = {"mail_metrics_flush",
                  "UPDATE mail_metrics SET sent = sent + $1::bigint,"
                  " failed = failed + $2::bigint, retries = retries + $3::bigint,"
                  " latency_sum = latency_sum + $4::double precision,"
                  " latency_buckets = ARRAY(SELECT t.b + coalesce(t.d, 0)"
                  " FROM unnest(latency_buckets, $5::bigint[]) WITH ORDINALITY AS t(b, d, i)"
                  " ORDER BY t.i) WHERE id",
                  5},
    [ST_READ] = {"mail_metrics_read",
                 "SELECT m.sent, m.failed, m.retries, m.latency_sum,"
                 " array_to_string(m.latency_buckets, ','),"
                 " (SELECT count(*) FROM mail_outbox WHERE status = 'pending')"
                 " + (SELECT count(*) FROM mail_outbox WHERE status = 'sending')"
                 " FROM mail_metrics m WHERE m.id",
                 0},
};

static const double bounds[MAIL_METRICS_NBOUNDS] = MAIL_METRICS_BOUNDS;

void mail_metrics_observe(struct mail_metrics *m, enum mail_metric what, double seconds)
{
	int b;

	if (!(seconds >= 0.0))
		seconds = 0.0;
	switch (what) {
	case MAIL_METRIC_SENT:
		m->sent++;
		break;
	case MAIL_METRIC_RETRY:
		m->retries++;
		break;
	case MAIL_METRIC_FAILED:
		m->failed++;
		break;
	}
	for (b = 0; b < MAIL_METRICS_NBOUNDS && seconds > bounds[b]; b++)
		;
	m->buckets[b]++;
	m->latency_sum += seconds;
}

int mail_metrics_dirty(const struct mail_metrics *m)
{
	int b;

	if (m->sent || m->failed || m->retries)
		return 1;
	for (b = 0; b <= MAIL_METRICS_NBOUNDS; b++)
		if (m->buckets[b])
			return 1;
	return 0;
}

int mail_metrics_flush(struct mail_metrics *m, struct db *db, struct arena *a, enum db_err *err)
{
	char sent[24], failed[24], retries[24], sum[48], arr[16 * (MAIL_METRICS_NBOUNDS + 1) + 4];
	const char *params[5] = {sent, failed, retries, sum, arr};
	size_t used;
	int b;

	snprintf(sent, sizeof(sent), "%lld", m->sent);
	snprintf(failed, sizeof(failed), "%lld", m->failed);
	snprintf(retries, sizeof(retries), "%lld", m->retries);
	snprintf(sum, sizeof(sum), "%.6f", m->latency_sum);
	used = (size_t)snprintf(arr, sizeof(arr), "{");
	for (b = 0; b <= MAIL_METRICS_NBOUNDS; b++)
		used += (size_t)snprintf(arr + used, sizeof(arr) - used, "%s%lld", b ? "," : "",
		                         m->buckets[b]);
	snprintf(arr + used, sizeof(arr) - used, "}");
	if (db_exec(db, a, &stmts[ST_FLUSH], params, err, NULL) == NULL)
		return -1;
	memset(m, 0, sizeof(*m));
	return 0;
}

/* "1,2,3,..." (MAIL_METRICS_NBOUNDS + 1 counts) into b. 0 or -1. */
static int parse_buckets(const char *s, long long *b)
{
	char *end;
	int i;

	for (i = 0; i <= MAIL_METRICS_NBOUNDS; i++) {
		b[i] = strtoll(s, &end, 10);
		if (end == s || b[i] < 0 || (*end != (i < MAIL_METRICS_NBOUNDS ? ',' : '\0')))
			return -1;
		s = end + (i < MAIL_METRICS_NBOUNDS);
	}
	return 0;
}

int mail_metrics_read(struct mail_metrics *out, struct db *db, struct arena *a, enum db_err *err)
{
	PGresult *res = db_exec(db, a, &stmts[ST_READ], NULL, err, NULL);
	long v[3], depth;
	int i;

	memset(out, 0, sizeof(*out));
	if (res == NULL)
		return -1;
	if (PQntuples(res) != 1) {
		*err = DB_FAILED;
		return -1;
	}
	for (i = 0; i < 3; i++)
		if (config_parse_long(PQgetvalue(res, 0, i), 0, LONG_MAX, &v[i]) < 0)
			goto bad;
	if (config_parse_long(PQgetvalue(res, 0, 5), 0, LONG_MAX, &depth) < 0 ||
	    parse_buckets(PQgetvalue(res, 0, 4), out->buckets) < 0)
		goto bad;
	out->sent = v[0];
	out->failed = v[1];
	out->retries = v[2];
	out->latency_sum = strtod(PQgetvalue(res, 0, 3), NULL);
	out->depth = depth;
	return 0;
bad:
	*err = DB_FAILED;
	return -1;
}

static void counter(struct buf *out, const char *name, const char *help, long long v)
{
	buf_printf(out, "# HELP %s %s\n# TYPE %s counter\n%s %lld\n", name, help, name, name, v);
}

void mail_metrics_format(const struct mail_metrics *t, struct buf *out)
{
	static const char h[] = "scholarship_mail_send_duration_seconds";
	long long cum = 0;
	int b;

	buf_printf(out,
	           "# HELP scholarship_mail_outbox_depth Mails waiting in the outbox (pending or "
	           "being sent).\n"
	           "# TYPE scholarship_mail_outbox_depth gauge\n"
	           "scholarship_mail_outbox_depth %lld\n",
	           t->depth);
	counter(out, "scholarship_mail_sent_total", "Mails delivered by scholarship-worker.",
	        t->sent);
	counter(out, "scholarship_mail_failed_total",
	        "Mails given up after their last attempt (status failed).", t->failed);
	counter(out, "scholarship_mail_retries_total",
	        "Failed delivery attempts that will be tried again.", t->retries);
	buf_printf(out,
	           "# HELP %s Time one delivery attempt took (SMTP or MAIL_DIR).\n"
	           "# TYPE %s histogram\n",
	           h, h);
	for (b = 0; b <= MAIL_METRICS_NBOUNDS; b++) {
		cum += t->buckets[b];
		if (b < MAIL_METRICS_NBOUNDS)
			buf_printf(out, "%s_bucket{le=\"%g\"} %lld\n", h, bounds[b], cum);
		else
			buf_printf(out, "%s_bucket{le=\"+Inf\"} %lld\n", h, cum);
	}
	buf_printf(out, "%s_sum %.6f\n%s_count %lld\n", h, t->latency_sum, h, cum);
}

void mail_metrics_render(struct db *db, struct arena *a, struct buf *out)
{
	struct mail_metrics t;
	enum db_err err;

	if (mail_metrics_read(&t, db, a, &err) == 0)
		mail_metrics_format(&t, out);
}

/*
 * mail_metrics.h -- the mail counters of scholarship-worker and their
 * Prometheus text for /metrics.
 *
 * The worker is not part of the pool, so it cannot write the pool's
 * shared-memory scoreboard (lib/metrics.c): each worker counts its own
 * deliveries in a struct mail_metrics (deltas since the last flush) and
 * adds them to the one row of table mail_metrics every few seconds and at
 * exit, with one UPDATE. /metrics (lib/ops.c) reads that row and the
 * outbox depth with one query. Several workers add up; a worker killed
 * with SIGKILL loses at most its last few seconds of counts.
 *
 * Memory: results from the caller's arena. No globals.
 */
#ifndef SCH_MAIL_METRICS_H
#define SCH_MAIL_METRICS_H

#include "db.h"

struct arena;
struct buf;

/* Finite bucket bounds of the delivery-time histogram, in seconds; the
 * table's latency_buckets has one more (+Inf). */
#define MAIL_METRICS_BOUNDS                                                                        \
	{                                                                                          \
		0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0                                          \
	}
#define MAIL_METRICS_NBOUNDS 8

/* What one delivery attempt came to. */
enum mail_metric {
	MAIL_METRIC_SENT,   /* delivered */
	MAIL_METRIC_RETRY,  /* failed; it will be tried again */
	MAIL_METRIC_FAILED, /* failed for good (status 'failed') */
};

/* Counts: deltas in a worker, totals when read back for /metrics. */
struct mail_metrics {
	long long sent, failed, retries;
	double latency_sum;                          /* seconds, every attempt */
	long long buckets[MAIL_METRICS_NBOUNDS + 1]; /* per bucket, not cumulative */
	long long depth;                             /* totals only: pending + sending */
};

/* Count one attempt that took seconds. */
void mail_metrics_observe(struct mail_metrics *m, enum mail_metric what, double seconds);

/* Is anything counted since the last flush? */
int mail_metrics_dirty(const struct mail_metrics *m);

/*
 * Add the deltas to table mail_metrics (one UPDATE) and zero them. 0, or
 * -1 with *err: the deltas are kept for the next try.
 */
int mail_metrics_flush(struct mail_metrics *m, struct db *db, struct arena *a, enum db_err *err);

/* Read the totals and the outbox depth (one query). 0, or -1 with *err. */
int mail_metrics_read(struct mail_metrics *out, struct db *db, struct arena *a, enum db_err *err);

/* The Prometheus text of totals t (HELP and TYPE lines included). */
void mail_metrics_format(const struct mail_metrics *t, struct buf *out);

/*
 * mail_metrics_read + mail_metrics_format, for /metrics: appends nothing
 * when the database cannot be read (the rest of /metrics still answers).
 */
void mail_metrics_render(struct db *db, struct arena *a, struct buf *out);

#endif

/*
 * metrics.c -- shared-memory counters and their Prometheus rendering.
 * Writers never lock: each slot has exactly one writing process, and the
 * reader tolerates a counter being one request behind.
 */
#include "metrics.h"

#include "buf.h"
#include "router.h"

#include <string.h>
#include <sys/mman.h>
#include <time.h>

static const int status_codes[METRICS_NSTATUS] = METRICS_STATUS_CODES;
static const double buckets[METRICS_NBUCKETS] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                 0.05,   0.1,   0.25,   0.5,   1.0};
static const char *const reason_names[RESTART__MAX] = {
    [RESTART_CRASH] = "crash",
    [RESTART_TIMEOUT] = "timeout",
    [RESTART_MAX_REQUESTS] = "max_requests",
    [RESTART_RELOAD] = "reload",
};

int64_t metrics_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

struct metrics_shm *metrics_map(int nslots)
{
	size_t size = sizeof(struct metrics_shm) + (size_t)nslots * sizeof(struct metrics_slot);
	struct metrics_shm *m;
	struct timespec ts;

	m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return NULL;
	m->nslots = nslots;
	clock_gettime(CLOCK_REALTIME, &ts);
	m->started = (double)ts.tv_sec;
	return m;
}

void metrics_unmap(struct metrics_shm *m)
{
	munmap(m, sizeof(*m) + (size_t)m->nslots * sizeof(struct metrics_slot));
}

static int status_index(int status)
{
	int i;

	for (i = 0; i < METRICS_NSTATUS - 1; i++)
		if (status_codes[i] == status)
			return i;
	return METRICS_NSTATUS - 1;
}

void metrics_observe(struct metrics_slot *s, int route_idx, int status, double seconds)
{
	int b;

	if (route_idx < 0 || route_idx >= METRICS_MAX_ROUTES)
		route_idx = METRICS_MAX_ROUTES - 1;
	s->requests++;
	s->count[route_idx][status_index(status)]++;
	for (b = 0; b < METRICS_NBUCKETS && seconds > buckets[b]; b++)
		;
	s->hist[route_idx][b]++;
	s->hist_sum[route_idx] += seconds;
}

static const char *route_label(const struct route *routes, size_t nroutes, size_t i)
{
	return i < nroutes ? routes[i].pattern : "unmatched";
}

static const char *route_method(const struct route *routes, size_t nroutes, size_t i)
{
	return i < nroutes ? routes[i].method : "";
}

static void render_requests(const struct metrics_shm *m, const struct route *routes, size_t nroutes,
                            struct buf *out)
{
	size_t r;
	int st, k;

	buf_puts(
	    out,
	    "# HELP scholarship_http_requests_total HTTP requests answered, by route and status.\n"
	    "# TYPE scholarship_http_requests_total counter\n");
	for (r = 0; r <= nroutes && r < METRICS_MAX_ROUTES; r++) {
		size_t idx = r == nroutes ? METRICS_MAX_ROUTES - 1 : r;
		for (st = 0; st < METRICS_NSTATUS; st++) {
			uint64_t n = 0;
			for (k = 0; k < m->nslots; k++)
				n += m->slots[k].count[idx][st];
			if (n == 0)
				continue;
			buf_printf(
			    out,
			    "scholarship_http_requests_total{route=\"%s\",method=\"%s\",status=\"",
			    route_label(routes, nroutes, r), route_method(routes, nroutes, r));
			if (status_codes[st])
				buf_printf(out, "%d\"} %llu\n", status_codes[st],
				           (unsigned long long)n);
			else
				buf_printf(out, "other\"} %llu\n", (unsigned long long)n);
		}
	}
}

static void render_histogram(const struct metrics_shm *m, const struct route *routes,
                             size_t nroutes, struct buf *out)
{
	size_t r;
	int b, k;

	buf_puts(out, "# HELP scholarship_http_request_duration_seconds Time from accepting a "
	              "request to its last byte, by route.\n"
	              "# TYPE scholarship_http_request_duration_seconds histogram\n");
	for (r = 0; r <= nroutes && r < METRICS_MAX_ROUTES; r++) {
		size_t idx = r == nroutes ? METRICS_MAX_ROUTES - 1 : r;
		uint64_t cum = 0, per[METRICS_NBUCKETS + 1] = {0};
		double sum = 0;
		for (k = 0; k < m->nslots; k++) {
			for (b = 0; b <= METRICS_NBUCKETS; b++)
				per[b] += m->slots[k].hist[idx][b];
			sum += m->slots[k].hist_sum[idx];
		}
		for (b = 0; b <= METRICS_NBUCKETS; b++)
			cum += per[b];
		if (cum == 0)
			continue;
		cum = 0;
		for (b = 0; b <= METRICS_NBUCKETS; b++) {
			cum += per[b];
			buf_printf(out,
			           "scholarship_http_request_duration_seconds_bucket{route=\"%s\","
			           "method=\"%s\",le=\"",
			           route_label(routes, nroutes, r),
			           route_method(routes, nroutes, r));
			if (b < METRICS_NBUCKETS)
				buf_printf(out, "%g\"} %llu\n", buckets[b],
				           (unsigned long long)cum);
			else
				buf_printf(out, "+Inf\"} %llu\n", (unsigned long long)cum);
		}
		buf_printf(out,
		           "scholarship_http_request_duration_seconds_sum{route=\"%s\",method=\"%"
		           "s\"} %.6f\n"
		           "scholarship_http_request_duration_seconds_count{route=\"%s\",method=\"%"
		           "s\"} %llu\n",
		           route_label(routes, nroutes, r), route_method(routes, nroutes, r), sum,
		           route_label(routes, nroutes, r), route_method(routes, nroutes, r),
		           (unsigned long long)cum);
	}
}

static void render_pool(const struct metrics_shm *m, struct buf *out)
{
	uint64_t db = 0, redis = 0, failopen = 0;
	int k, busy = 0, idle = 0;

	for (k = 0; k < m->nslots; k++) {
		const struct metrics_slot *s = &m->slots[k];
		db += s->db_errors;
		redis += s->redis_errors;
		failopen += s->redis_fail_open;
		if (s->pid > 0 && s->state == SLOT_BUSY)
			busy++;
		else if (s->pid > 0 && s->state == SLOT_IDLE)
			idle++;
	}
	buf_printf(out,
	           "# HELP scholarship_workers Pool workers by state.\n"
	           "# TYPE scholarship_workers gauge\n"
	           "scholarship_workers{state=\"busy\"} %d\n"
	           "scholarship_workers{state=\"idle\"} %d\n",
	           busy, idle);
	buf_puts(out, "# HELP scholarship_worker_restarts_total Workers replaced by the pool "
	              "master, by reason.\n"
	              "# TYPE scholarship_worker_restarts_total counter\n");
	for (k = 0; k < RESTART__MAX; k++)
		buf_printf(out, "scholarship_worker_restarts_total{reason=\"%s\"} %llu\n",
		           reason_names[k], (unsigned long long)m->restarts[k]);
	buf_printf(out,
	           "# HELP scholarship_db_errors_total PostgreSQL connection and query failures.\n"
	           "# TYPE scholarship_db_errors_total counter\n"
	           "scholarship_db_errors_total %llu\n"
	           "# HELP scholarship_redis_errors_total Redis connection and command failures.\n"
	           "# TYPE scholarship_redis_errors_total counter\n"
	           "scholarship_redis_errors_total %llu\n"
	           "# HELP scholarship_redis_fail_open_total Rate-limit or denylist checks skipped "
	           "because Redis was down.\n"
	           "# TYPE scholarship_redis_fail_open_total counter\n"
	           "scholarship_redis_fail_open_total %llu\n"
	           "# HELP scholarship_start_time_seconds Start time of the pool master since the "
	           "Unix epoch.\n"
	           "# TYPE scholarship_start_time_seconds gauge\n"
	           "scholarship_start_time_seconds %.0f\n",
	           (unsigned long long)db, (unsigned long long)redis, (unsigned long long)failopen,
	           m->started);
}

void metrics_render(const struct metrics_shm *m, const struct route *routes, size_t nroutes,
                    struct buf *out)
{
	render_requests(m, routes, nroutes, out);
	render_histogram(m, routes, nroutes, out);
	render_pool(m, out);
}

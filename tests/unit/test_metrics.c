/*
 * test_metrics.c -- unit tests of the shared-memory counters and their
 * Prometheus rendering (lib/metrics.c): observations in several slots are
 * summed; counters by route and status ("other" for uncounted codes);
 * histogram buckets are cumulative with le semantics and +Inf equals
 * _count; requests that matched no route appear as route="unmatched";
 * the pool gauges and error counters.
 */
#include <stdio.h>
#include <string.h>

#include "arena.h"
#include "buf.h"
#include "metrics.h"
#include "router.h"
#include "suites.h"

static const struct route routes[] = {
    {"GET", "/api/v1/users", NULL, ROLES_STAFF, BODY_NONE, 0, 0},
    {"POST", "/api/v1/users", NULL, ROLES_STAFF, BODY_JSON, 0, 0},
    {"GET", "/api/v1/idle", NULL, ROLES_STAFF, BODY_NONE, 0, 0},
};

static struct arena A;
static struct metrics_shm *M;

static void setup(void)
{
	arena_init(&A, 0);
	M = metrics_map(2);
	ck_assert_ptr_nonnull(M);
}

static void teardown(void)
{
	metrics_unmap(M);
	arena_free(&A);
}

static const char *render(void)
{
	struct buf b;

	buf_init(&b, &A);
	metrics_render(M, routes, NELEM(routes), &b);
	ck_assert_ptr_nonnull(buf_cstr(&b));
	return buf_cstr(&b);
}

/* The value of the sample line that starts with series (name{labels}). */
static double sample(const char *text, const char *series)
{
	size_t n = strlen(series);
	const char *p = text;
	double v;

	while ((p = strstr(p, series)) != NULL) {
		if ((p == text || p[-1] == '\n') && p[n] == ' ' && sscanf(p + n, " %lf", &v) == 1)
			return v;
		p += n;
	}
	ck_abort_msg("no sample %s in:\n%s", series, text);
	return -1;
}

#define REQ(route, method, status)                                                                 \
	"scholarship_http_requests_total{route=\"" route "\",method=\"" method                     \
	"\",status=\"" status "\"}"
#define BUCKET(route, method, le)                                                                  \
	"scholarship_http_request_duration_seconds_bucket{route=\"" route "\",method=\"" method    \
	"\",le=\"" le "\"}"
#define HCOUNT(route, method)                                                                      \
	"scholarship_http_request_duration_seconds_count{route=\"" route "\",method=\"" method "\"}"
#define HSUM(route, method)                                                                        \
	"scholarship_http_request_duration_seconds_sum{route=\"" route "\",method=\"" method "\"}"

START_TEST(counters_sum_slots)
{
	const char *t;

	metrics_observe(&M->slots[0], 0, 200, 0.01);
	metrics_observe(&M->slots[1], 0, 200, 0.02);
	metrics_observe(&M->slots[1], 0, 404, 0.02);
	metrics_observe(&M->slots[0], 1, 201, 0.02);
	metrics_observe(&M->slots[0], 1, 418, 0.02);
	t = render();
	ck_assert(sample(t, REQ("/api/v1/users", "GET", "200")) == 2);
	ck_assert(sample(t, REQ("/api/v1/users", "GET", "404")) == 1);
	ck_assert(sample(t, REQ("/api/v1/users", "POST", "201")) == 1);
	ck_assert(sample(t, REQ("/api/v1/users", "POST", "other")) == 1);
	ck_assert_ptr_null(strstr(t, REQ("/api/v1/users", "POST", "200")));
	ck_assert_ptr_null(strstr(t, "/api/v1/idle"));
	ck_assert_ptr_nonnull(strstr(t, "# TYPE scholarship_http_requests_total counter\n"));
	ck_assert_uint_eq(M->slots[0].requests, 3);
	ck_assert_uint_eq(M->slots[1].requests, 2);
}
END_TEST

START_TEST(histogram_is_cumulative)
{
	const char *t;

	metrics_observe(&M->slots[0], 0, 200, 0.0007);
	metrics_observe(&M->slots[1], 0, 200, 0.3);
	metrics_observe(&M->slots[0], 0, 500, 0.001);
	metrics_observe(&M->slots[1], 0, 200, 7.0);
	t = render();
	ck_assert(sample(t, BUCKET("/api/v1/users", "GET", "0.0005")) == 0);
	ck_assert(sample(t, BUCKET("/api/v1/users", "GET", "0.001")) == 2);
	ck_assert(sample(t, BUCKET("/api/v1/users", "GET", "0.25")) == 2);
	ck_assert(sample(t, BUCKET("/api/v1/users", "GET", "0.5")) == 3);
	ck_assert(sample(t, BUCKET("/api/v1/users", "GET", "1")) == 3);
	ck_assert(sample(t, BUCKET("/api/v1/users", "GET", "+Inf")) == 4);
	ck_assert(sample(t, HCOUNT("/api/v1/users", "GET")) == 4);
	ck_assert_double_eq_tol(sample(t, HSUM("/api/v1/users", "GET")), 7.3017, 1e-6);
	ck_assert_ptr_nonnull(
	    strstr(t, "# TYPE scholarship_http_request_duration_seconds histogram\n"));
}
END_TEST

/* Every bucket series is non-decreasing and its +Inf equals _count. */
START_TEST(buckets_monotonic_and_inf_matches_count)
{
	static const char *const le[] = {"0.0005", "0.001", "0.0025", "0.005", "0.01", "0.025",
	                                 "0.05",   "0.1",   "0.25",   "0.5",   "1"};
	char series[256];
	const char *t;
	double prev = 0, v;
	size_t i;

	for (i = 0; i < 200; i++)
		metrics_observe(&M->slots[i % 2], 1, 201, (double)i / 150.0);
	t = render();
	for (i = 0; i < NELEM(le); i++) {
		snprintf(series, sizeof(series), BUCKET("/api/v1/users", "POST", "%s"), le[i]);
		v = sample(t, series);
		ck_assert_msg(v >= prev, "le=%s: %g < %g", le[i], v, prev);
		prev = v;
	}
	ck_assert(sample(t, BUCKET("/api/v1/users", "POST", "+Inf")) >= prev);
	ck_assert(sample(t, BUCKET("/api/v1/users", "POST", "+Inf")) == 200);
	ck_assert(sample(t, HCOUNT("/api/v1/users", "POST")) == 200);
	ck_assert(sample(t, BUCKET("/api/v1/users", "POST", "1")) == 151);
}
END_TEST

START_TEST(unmatched_route_label)
{
	const char *t;

	metrics_observe(&M->slots[0], -1, 404, 0.001);
	metrics_observe(&M->slots[1], METRICS_MAX_ROUTES + 5, 405, 0.001);
	t = render();
	ck_assert(sample(t, REQ("unmatched", "", "404")) == 1);
	ck_assert(sample(t, REQ("unmatched", "", "405")) == 1);
	ck_assert(sample(t, HCOUNT("unmatched", "")) == 2);
}
END_TEST

START_TEST(pool_gauges_and_errors)
{
	const char *t;

	M->slots[0].pid = 100;
	M->slots[0].state = SLOT_BUSY;
	M->slots[1].pid = 101;
	M->slots[1].state = SLOT_IDLE;
	M->slots[0].db_errors = 3;
	M->slots[1].db_errors = 4;
	M->slots[1].redis_errors = 2;
	M->slots[0].redis_fail_open = 1;
	M->restarts[RESTART_CRASH] = 5;
	M->restarts[RESTART_MAX_REQUESTS] = 2;
	t = render();
	ck_assert(sample(t, "scholarship_workers{state=\"busy\"}") == 1);
	ck_assert(sample(t, "scholarship_workers{state=\"idle\"}") == 1);
	ck_assert(sample(t, "scholarship_db_errors_total") == 7);
	ck_assert(sample(t, "scholarship_redis_errors_total") == 2);
	ck_assert(sample(t, "scholarship_redis_fail_open_total") == 1);
	ck_assert(sample(t, "scholarship_worker_restarts_total{reason=\"crash\"}") == 5);
	ck_assert(sample(t, "scholarship_worker_restarts_total{reason=\"max_requests\"}") == 2);
	ck_assert(sample(t, "scholarship_worker_restarts_total{reason=\"timeout\"}") == 0);
	ck_assert(sample(t, "scholarship_start_time_seconds") > 1.6e9);
}
END_TEST

START_TEST(free_slots_are_not_workers)
{
	const char *t;

	M->slots[0].state = SLOT_BUSY; /* pid 0: nobody there */
	t = render();
	ck_assert(sample(t, "scholarship_workers{state=\"busy\"}") == 0);
	ck_assert(sample(t, "scholarship_workers{state=\"idle\"}") == 0);
}
END_TEST

START_TEST(region_is_shared_and_zeroed)
{
	ck_assert_int_eq(M->nslots, 2);
	ck_assert_uint_eq(M->slots[1].requests, 0);
	ck_assert_uint_eq(M->slots[1].count[METRICS_MAX_ROUTES - 1][METRICS_NSTATUS - 1], 0);
	M->slots[1].requests = 9;
	ck_assert_uint_eq(M->slots[1].requests, 9);
}
END_TEST

START_TEST(clock_is_monotonic)
{
	int64_t a = metrics_now_ns();
	int64_t b = metrics_now_ns();

	ck_assert_int_gt(a, 0);
	ck_assert_int_ge(b, a);
}
END_TEST

Suite *metrics_suite(void)
{
	Suite *s = suite_create("metrics");
	TCase *tc = tcase_create("render");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, counters_sum_slots);
	tcase_add_test(tc, histogram_is_cumulative);
	tcase_add_test(tc, buckets_monotonic_and_inf_matches_count);
	tcase_add_test(tc, unmatched_route_label);
	tcase_add_test(tc, pool_gauges_and_errors);
	tcase_add_test(tc, free_slots_are_not_workers);
	tcase_add_test(tc, region_is_shared_and_zeroed);
	tcase_add_test(tc, clock_is_monotonic);
	suite_add_tcase(s, tc);
	return s;
}

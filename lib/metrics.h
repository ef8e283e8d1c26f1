/*
 * metrics.h -- the pool's shared-memory scoreboard and Prometheus counters
 * (after PHP-FPM's fpm_scoreboard).
 *
 * The master maps one anonymous shared region before forking; each worker
 * owns one slot and is its only writer. /metrics sums every slot, so the
 * counters of a worker that died or was recycled survive in its slot and
 * stay monotonic. The master writes only the header (restarts).
 */
#ifndef SCH_METRICS_H
#define SCH_METRICS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct buf;
struct route;

#define METRICS_MAX_ROUTES 200 /* route indexes; the last one is "unmatched" */
#define METRICS_NBUCKETS 11

enum slot_state { SLOT_FREE, SLOT_IDLE, SLOT_BUSY };

enum restart_reason {
	RESTART_CRASH,
	RESTART_TIMEOUT,
	RESTART_MAX_REQUESTS,
	RESTART_RELOAD,
	RESTART__MAX
};

/* Status codes we count individually; anything else lands in "other". */
#define METRICS_STATUS_CODES                                                                       \
	{                                                                                          \
		200, 201, 202, 204, 304, 400, 401, 403, 404, 405, 409, 412, 413, 414, 415, 422,    \
		    428, 429, 431, 500, 503, 0                                                     \
	}
#define METRICS_NSTATUS 22

struct metrics_slot {
	volatile pid_t pid;
	volatile int state;            /* enum slot_state */
	volatile int64_t req_start_ns; /* CLOCK_MONOTONIC, while busy */
	char route[96];                /* route pattern of the request in flight */
	char request_id[68];
	char method[16];
	uint64_t requests; /* served by this slot, all occupants */
	uint64_t db_errors;
	uint64_t redis_errors;
	uint64_t redis_fail_open;
	uint64_t count[METRICS_MAX_ROUTES][METRICS_NSTATUS];
	uint64_t hist[METRICS_MAX_ROUTES][METRICS_NBUCKETS + 1];
	double hist_sum[METRICS_MAX_ROUTES];
};

struct metrics_shm {
	uint64_t restarts[RESTART__MAX];
	int nslots;
	double started; /* wall-clock seconds */
	struct metrics_slot slots[];
};

/* Map a zeroed shared region with nslots slots; NULL on failure. */
struct metrics_shm *metrics_map(int nslots);
void metrics_unmap(struct metrics_shm *m);

/* Record one answered request in a worker's slot. */
void metrics_observe(struct metrics_slot *s, int route_idx, int status, double seconds);

/*
 * Prometheus text exposition of everything, summed over the slots.
 * routes[0..nroutes) names the route indexes (nroutes < METRICS_MAX_ROUTES).
 * Requests recorded with an index < 0 or >= METRICS_MAX_ROUTES are
 * "unmatched".
 */
void metrics_render(const struct metrics_shm *m, const struct route *routes, size_t nroutes,
                    struct buf *out);

/* Monotonic clock in nanoseconds. */
int64_t metrics_now_ns(void);

#endif

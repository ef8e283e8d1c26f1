/*
 * pool.h -- the prefork pool master (after PHP-FPM's process manager).
 *
 * The master owns the workers' lifecycle and nothing else: it forks
 * `workers` children that all accept on the inherited listening socket,
 * respawns one that dies (with a crash-loop guard), replaces one that
 * exits after max_requests, SIGKILLs one busy longer than request_timeout
 * (logging its route and request id), and reacts to signals:
 *   SIGTERM, SIGQUIT  graceful stop: workers finish in-flight requests;
 *                     after stop_timeout they are killed
 *   SIGINT            fast stop: workers are killed at once
 *   SIGHUP            reload: a new set of workers starts, the old ones
 *                     finish their requests and leave; nothing is dropped
 * Workers learn that they must leave through SIGQUIT, which they block
 * outside their wait for the next connection.
 */
#ifndef SCH_POOL_H
#define SCH_POOL_H

#include "metrics.h"

struct pool_config {
	int workers;
	long max_requests;    /* 0 = never recycle */
	long request_timeout; /* seconds */
	double stop_timeout;  /* seconds before graceful stop escalates */
};

/*
 * A worker body: runs in the child with its slot, returns the exit code.
 * Exit code POOL_EXIT_RECYCLE means "max_requests reached".
 */
typedef int (*pool_worker_fn)(struct metrics_slot *slot, void *arg);

#define POOL_EXIT_RECYCLE 0
#define POOL_EXIT_FATAL 3 /* the worker cannot run (bad config): no respawn storm */

/* Run the master until stopped. Returns the process exit code. */
int pool_run(const struct pool_config *pc, struct metrics_shm *shm, pool_worker_fn fn, void *arg);

#endif

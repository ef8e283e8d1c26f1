/*
 * ratelimit.h -- fixed-window counters in Redis (DESIGN §7): one INCR and
 * EXPIRE in a single round trip (a Lua script). When Redis is down the
 * limit fails open: the caller is told RL_DOWN, logs and counts it, and
 * lets the request through.
 */
#ifndef SCH_RATELIMIT_H
#define SCH_RATELIMIT_H

struct arena;
struct cache;

enum rl_result { RL_OK, RL_LIMITED, RL_DOWN };

/*
 * Count one hit on key (prefixed "rl:") in a window of window seconds.
 * RL_LIMITED when the count exceeds limit; *retry_after gets the seconds
 * until the window ends.
 */
enum rl_result rl_hit(struct cache *c, struct arena *a, const char *key, long limit, long window,
                      long *retry_after);
/* Is key already over limit, without counting a hit? */
enum rl_result rl_peek(struct cache *c, struct arena *a, const char *key, long limit,
                       long *retry_after);

#endif

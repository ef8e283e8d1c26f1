/*
 * ops.h -- operational routes: liveness, readiness, Prometheus metrics,
 * the OpenAPI document (DESIGN §8, "Operational").
 */
#ifndef SCH_OPS_H
#define SCH_OPS_H

struct ctx;

void ops_health(struct ctx *c);
void ops_ready(struct ctx *c);
void ops_metrics(struct ctx *c);
void ops_openapi(struct ctx *c);
#ifdef SCH_TEST_BUILD
/* Test builds only: sleep ?ms= milliseconds (pool timeout tests), crash. */
void ops_test_sleep(struct ctx *c);
void ops_test_crash(struct ctx *c);
void ops_test_echo(struct ctx *c);
#endif

#endif

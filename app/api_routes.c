/*
 * api_routes.c -- every route of scholarship-api in one static table.
 * Each row says who may call it and what body it takes; the dispatcher
 * enforces both before the handler runs. Routes under /api/v1/_test exist
 * only in test builds. app/openapi.json describes exactly these routes
 * (a test compares the two).
 */
#include "api_routes.h"

#include "ops.h"

const struct route api_routes[] = {
    {.method = "GET", .pattern = "/health", .handler = ops_health, .roles = ROLES_PUBLIC},
    {.method = "GET", .pattern = "/health/ready", .handler = ops_ready, .roles = ROLES_PUBLIC},
    {.method = "GET", .pattern = "/metrics", .handler = ops_metrics, .roles = ROLES_PUBLIC},
    {.method = "GET",
     .pattern = "/api/v1/openapi.json",
     .handler = ops_openapi,
     .roles = ROLES_PUBLIC},
#ifdef SCH_TEST_BUILD
    {.method = "GET",
     .pattern = "/api/v1/_test/sleep",
     .handler = ops_test_sleep,
     .roles = ROLES_PUBLIC},
    {.method = "POST",
     .pattern = "/api/v1/_test/crash",
     .handler = ops_test_crash,
     .roles = ROLES_PUBLIC,
     .body = BODY_ACTION},
    {.method = "POST",
     .pattern = "/api/v1/_test/echo",
     .handler = ops_test_echo,
     .roles = ROLES_PUBLIC,
     .body = BODY_JSON},
#endif
};

const size_t api_nroutes = sizeof(api_routes) / sizeof(api_routes[0]);

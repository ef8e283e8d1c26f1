/*
 * api_routes.c -- every route of scholarship-api in one static table.
 * Each row says who may call it and what body it takes; the dispatcher
 * enforces both before the handler runs. Each domain keeps its rows in its
 * own routes_DOMAIN.inc next to this file, so the table stays one array
 * while domains grow apart. Routes under /api/v1/_test exist only in test
 * builds. app/openapi.json describes exactly these routes (a test
 * compares the two).
 */
#include "api_routes.h"

#include "handlers.h"

const struct route api_routes[] = {
#include "routes_ops.inc"
#include "routes_reference.inc"
#include "routes_auth.inc"
#include "routes_users.inc"
#include "routes_students.inc"
#include "routes_scholarships.inc"
#include "routes_eligibility.inc"
#include "routes_applications.inc"
#include "routes_documents.inc"
#include "routes_document_requests.inc"
#include "routes_notifications.inc"
#include "routes_mail.inc"
#ifdef SCH_TEST_BUILD
#include "routes_test.inc"
#endif
};

const size_t api_nroutes = sizeof(api_routes) / sizeof(api_routes[0]);

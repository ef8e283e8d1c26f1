/*
 * api_routes.h -- the route table of scholarship-api (DESIGN §8).
 */
#ifndef SCH_API_ROUTES_H
#define SCH_API_ROUTES_H

#include <stddef.h>

#include "router.h"

extern const struct route api_routes[];
extern const size_t api_nroutes;

#endif

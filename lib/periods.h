/*
 * periods.h -- periods, the rounds of a scholarship (DESIGN §8
 * "Scholarships and periods"): windows, review deadlines, quotas, budget,
 * whitelist, eligibility rules, form fields, required documents, rubric,
 * and the status along draft → open → closed → finalized → archived.
 *
 *   GET   /api/v1/scholarships/{id}/periods   list (keyset: year, term descending)
 *   POST  /api/v1/scholarships/{id}/periods   create (admin in scope, super admin)
 *   GET   /api/v1/periods/{id}                one (non-draft periods of active
 *                                              scholarships public; all in scope)
 *   PATCH /api/v1/periods/{id}                merge (If-Match required)
 *   POST  /api/v1/periods/{id}/status         {status}: one step along the table
 *   POST  /api/v1/periods/{id}/duplicate      {academic_year, term, label?}
 *
 * Scope is the scholarship's (lib/scholarships.h); out of scope is 404.
 */
#ifndef SCH_PERIODS_H
#define SCH_PERIODS_H

struct ctx;

void periods_list(struct ctx *c);
void periods_create(struct ctx *c);
void periods_get(struct ctx *c);
void periods_update(struct ctx *c);
void periods_set_status(struct ctx *c);
void periods_duplicate(struct ctx *c);

/* May a period move from one status to another (the transition table)? */
int periods_move_allowed(const char *from, const char *to);

#endif

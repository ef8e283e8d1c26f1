/*
 * applications.h -- the application routes (DESIGN §8 "Applications").
 *
 *   POST   /api/v1/applications                {period_id, sub_types[]}
 *          (student) 201 draft with app_no and Location; 409 when the
 *          period is not open now or a live application exists; 422 for
 *          a missing student record ("student"), each failed hard rule
 *          ("eligibility.<field>") and sub-types not open ("sub_types")
 *   GET    /api/v1/applications                 the caller's scope, newest
 *          first, keyset pages; filters period_id, scholarship_id, status,
 *          stage, college_code, q (application_list.c)
 *   GET    /api/v1/applications/{id}           anyone whose scope holds it
 *          (DESIGN §7); anyone else 404
 *   PATCH  /api/v1/applications/{id}           {answers, sub_types} (owner;
 *          draft or returned; If-Match) answers merged and checked against
 *          the period's form (application_edit.c)
 *   POST   /api/v1/applications/{id}/submit    {accept_terms?} (owner) 200
 *          submitted; 409 outside the window; 422 listing every problem
 *   POST   /api/v1/applications/{id}/withdraw  {reason?} (owner; before a
 *          decision) 200 withdrawn; 409 from any other status
 *   DELETE /api/v1/applications/{id}           (owner; draft only, else 409) 204
 *   POST   /api/v1/applications/{id}/status    {status, reason?, due_on?}
 *          (admin in scope, super admin) along the transition table of
 *          application_status.h; a super admin may override with a reason
 *   PUT    /api/v1/applications/{id}/reviewers {reviewer_ids[]} (admin in
 *          scope, super admin; If-Match) (application_staff.c)
 *
 * Every change is one transaction with its status history row (when the
 * status moves) and its audit row. All memory is the request arena's.
 */
#ifndef SCH_APPLICATIONS_H
#define SCH_APPLICATIONS_H

struct ctx;

void applications_create(struct ctx *c);
void applications_list(struct ctx *c);
void applications_get(struct ctx *c);
void applications_update(struct ctx *c);
void applications_submit(struct ctx *c);
void applications_withdraw(struct ctx *c);
void applications_delete(struct ctx *c);
void applications_status(struct ctx *c);
void applications_reviewers(struct ctx *c);

#endif

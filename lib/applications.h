/*
 * applications.h -- the first slice of applications (DESIGN §8
 * "Applications"): a student opens a draft for an open period, reads it
 * with its status history, withdraws it or deletes the draft.
 *
 *   POST   /api/v1/applications                {period_id, sub_types[]}
 *          (student) 201 draft with app_no and Location; 409 when the
 *          period is not open now or a live application exists; 422 for
 *          a missing student record ("student"), each failed hard rule
 *          ("eligibility.<field>") and sub-types not open ("sub_types")
 *   GET    /api/v1/applications/{id}           the owner student, admins
 *          of its scholarship, super admins; anyone else 404
 *   POST   /api/v1/applications/{id}/withdraw  {reason?} (owner; before a
 *          decision) 200 withdrawn; 409 from any other status
 *   DELETE /api/v1/applications/{id}           (owner; draft only, else 409) 204
 *
 * Every change is one transaction with its status history row and its
 * audit row. All memory is the request arena's.
 */
#ifndef SCH_APPLICATIONS_H
#define SCH_APPLICATIONS_H

struct ctx;

void applications_create(struct ctx *c);
void applications_get(struct ctx *c);
void applications_withdraw(struct ctx *c);
void applications_delete(struct ctx *c);

#endif

/*
 * eligibility_api.h -- GET /api/v1/eligibility (DESIGN §8 "Scholarships
 * and periods"): for the signed-in student, every open period whose
 * application window contains now, with the period's eligibility rules
 * evaluated over the student's record by the pure engine of
 * eligibility.h.
 *
 *   GET /api/v1/eligibility   (student)
 *     {items: [{period_id, scholarship_id, scholarship, period, eligible,
 *               rules: [{field, operator, passed, hard, sub_type, message}],
 *               sub_types: [codes open to the student], applied,
 *               application_id}]}
 *
 * The record is the one linked to the user by email (case-insensitive,
 * exactly as GET /students/me finds it); none is 404. Only the record's
 * plain registrar fields are evaluated, never the sealed columns.
 * Messages are in the user's locale (users.locale: "en", else zh-TW).
 */
#ifndef SCH_ELIGIBILITY_API_H
#define SCH_ELIGIBILITY_API_H

struct ctx;

void eligibility_list(struct ctx *c); /* GET /eligibility */

#endif

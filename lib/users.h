/*
 * users.h -- user administration (DESIGN §8 "Users"): super admins list,
 * invite, change and scope accounts; admins may read them. The roles are
 * enforced by the route table (app/routes_users.inc); these handlers
 * assume the caller is allowed.
 *
 *   GET   /api/v1/users                     list (filters, keyset pages)
 *   POST  /api/v1/users                     create and invite
 *   GET   /api/v1/users/{id}                one user (+ scholarship_ids of admins)
 *   PATCH /api/v1/users/{id}                role, active, college_code, email
 *   POST  /api/v1/users/{id}/invitation     re-send the invitation
 *   PUT   /api/v1/users/{id}/scholarships   {scholarship_ids} of an admin
 */
#ifndef SCH_USERS_H
#define SCH_USERS_H

struct ctx;

void users_list(struct ctx *c);
void users_create(struct ctx *c);
void users_get(struct ctx *c);
void users_update(struct ctx *c);
void users_invite(struct ctx *c);
void users_set_scholarships(struct ctx *c);

#endif

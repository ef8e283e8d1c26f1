/*
 * audit.h -- appending to the audit log (DESIGN §8 "Audit"): who (actor,
 * IP, request id) did what to which entity, with before and after
 * images (JSON text, personal data already scrubbed by the caller).
 */
#ifndef SCH_AUDIT_H
#define SCH_AUDIT_H

struct ctx;

/* Append one row; 0 or -1 (logged). actor is ctx->user_id unless given. */
int audit_record(struct ctx *c, const char *actor_id, const char *action, const char *entity_type,
                 const char *entity_id, const char *before_json, const char *after_json);

#endif

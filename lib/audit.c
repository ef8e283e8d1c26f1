/*
 * audit.c -- one prepared INSERT into the append-only audit_log.
 */
#include "audit.h"

#include "http.h"
#include "log.h"
#include "worker.h"

static const struct db_stmt insert_audit = {
    "audit_insert",
    "INSERT INTO audit_log (actor_id, actor_ip, request_id, action, entity_type, entity_id, "
    "before, after) VALUES ($1::uuid, $2::inet, $3, $4, $5, $6, $7::jsonb, $8::jsonb)",
    8};

int audit_record(struct ctx *c, const char *actor_id, const char *action, const char *entity_type,
                 const char *entity_id, const char *before_json, const char *after_json)
{
	const char *params[8] = {actor_id ? actor_id : c->user_id,
	                         c->req->remote_addr,
	                         c->req->request_id,
	                         action,
	                         entity_type,
	                         entity_id,
	                         before_json,
	                         after_json};
	enum db_err err;

	if (db_exec(&c->w->db, c->arena, &insert_audit, params, &err, NULL) == NULL) {
		log_error("audit: cannot record %s", action);
		return -1;
	}
	return 0;
}

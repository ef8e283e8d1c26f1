/*
 * application_edit.c -- the student's side of a draft (DESIGN §8
 * "Applications"): PATCH /applications/{id} merges answers and sub-types
 * into a draft or a returned application (If-Match required), and POST
 * /applications/{id}/submit hands it in.
 *
 * Both lock the owner's row FOR UPDATE first, so two submits of one draft
 * are serialised: the second finds it submitted and is refused (409).
 * Submit collects every problem before answering: each missing or invalid
 * answer, the sub-types, each failed hard rule of the period re-evaluated
 * on the student's record as it is now, the whitelist, and the terms;
 * then the result of the rules is frozen into the application as its
 * eligibility_snapshot.
 */
#include "applications.h"
#include "applications_int.h"

#include "application_form.h"
#include "application_notify.h"
#include "arena.h"
#include "handler.h"
#include "http.h"
#include "json.h"
#include "validate.h"
#include "worker.h"

#include <string.h>

#define NFIELDS(t) (sizeof(t) / sizeof((t)[0]))

static const struct db_stmt q_update = {
    "applications_update",
    "UPDATE applications SET answers = $2::jsonb, "
    "sub_types = CASE WHEN $3::jsonb IS NULL THEN sub_types "
    "ELSE ARRAY(SELECT jsonb_array_elements_text($3::jsonb)) END, "
    "version = version + 1, updated_at = now() WHERE id = $1::uuid",
    3};
static const struct db_stmt q_submit = {
    "applications_submit",
    "UPDATE applications SET status = 'submitted', stage = $2, submitted_at = now(), "
    "terms_accepted_at = CASE WHEN $3::boolean THEN now() ELSE terms_accepted_at END, "
    "eligibility_snapshot = $4::jsonb, version = version + 1, updated_at = now() "
    "WHERE id = $1::uuid",
    4};

static const struct vfield sub_type_item = {.type = VT_STRING, .min = 1, .max = 32};
static const struct vfield patch_fields[] = {
    {.name = "answers", .type = VT_OBJECT},
    {.name = "sub_types", .type = VT_ARRAY, .min = 0, .max = 32, .item = &sub_type_item},
};
static const struct vfield submit_fields[] = {
    {.name = "accept_terms", .type = VT_BOOL, .flags = VF_NULLABLE},
};

/* The answers of cur with patch merged in (null removes a key); NULL
 * when out of memory. */
static cJSON *merged_answers(struct ctx *c, const PGresult *cur, const cJSON *patch)
{
	cJSON *base = app_parsed(c, cur, AC_ANSWERS);
	const cJSON *v;

	if (base == NULL || !cJSON_IsObject(base))
		return NULL;
	cJSON_ArrayForEach(v, patch)
	{
		cJSON *copy;

		cJSON_DeleteItemFromObjectCaseSensitive(base, v->string);
		if (cJSON_IsNull(v))
			continue;
		if ((copy = cJSON_Duplicate(v, 1)) == NULL ||
		    !cJSON_AddItemToObject(base, v->string, copy)) {
			cJSON_Delete(copy);
			return NULL;
		}
	}
	return base;
}

static int editable(const char *status)
{
	return strcmp(status, "draft") == 0 || strcmp(status, "returned") == 0;
}

void applications_update(struct ctx *c)
{
	const cJSON *patch, *want;
	const char *p[3], *id;
	cJSON *answers;
	PGresult *cur;
	struct app_eval ev;
	struct verrors e;
	enum db_err err;

	if (handler_body(c, patch_fields, NFIELDS(patch_fields), 1) < 0 ||
	    (cur = app_lock(c, 1)) == NULL ||
	    scholarships_if_match(c, PQgetvalue(cur, 0, AC_VERSION)) < 0)
		return;
	if (!editable(PQgetvalue(cur, 0, AC_STATUS))) {
		scholarships_refuse(c, 409, "only a draft or a returned application can be edited");
		return;
	}
	if (app_evaluate(c, PQgetvalue(cur, 0, AC_PERIOD_ID), &ev) < 0)
		return;
	patch = cJSON_GetObjectItemCaseSensitive(c->body, "answers");
	want = cJSON_GetObjectItemCaseSensitive(c->body, "sub_types");
	verrors_init(&e, c->arena);
	if (patch != NULL)
		appform_validate(c->arena, app_parsed(c, cur, AC_FORM), patch, 0, ev.en, &e);
	if (want != NULL)
		app_check_sub_types(c, &ev, want, &e);
	if (e.n > 0 || e.oom) {
		db_rollback(&c->w->db);
		scholarships_invalid(c, &e);
		return;
	}
	id = PQgetvalue(cur, 0, AC_ID);
	p[0] = id;
	p[2] = NULL;
	if ((answers = merged_answers(c, cur, patch)) == NULL ||
	    (p[1] = json_print(c->arena, answers)) == NULL ||
	    (want != NULL && (p[2] = json_print(c->arena, want)) == NULL)) {
		scholarships_db_fail(c, DB_FAILED, app_duplicate);
		return;
	}
	if (db_exec(&c->w->db, c->arena, &q_update, p, &err, NULL) == NULL) {
		scholarships_db_fail(c, err, app_duplicate);
		return;
	}
	app_finish(c, 200, "application.updated", id, PQgetvalue(cur, 0, AC_JSON));
}

/* Every problem that keeps cur from being submitted, in e. */
static void submit_problems(struct ctx *c, const PGresult *cur, const struct app_eval *ev,
                            struct verrors *e)
{
	cJSON *rec = app_parsed(c, cur, AC_JSON);
	const cJSON *accept = cJSON_GetObjectItemCaseSensitive(c->body, "accept_terms");
	size_t before;

	if (rec == NULL) {
		e->oom = 1;
		return;
	}
	appform_validate(c->arena, app_parsed(c, cur, AC_FORM),
	                 cJSON_GetObjectItemCaseSensitive(rec, "answers"), 1, ev->en, e);
	before = e->n;
	app_check_eligibility(c, ev, e);
	/* Failed rules close every sub-type: naming them again says nothing. */
	if (e->n == before)
		app_check_sub_types(c, ev, cJSON_GetObjectItemCaseSensitive(rec, "sub_types"), e);
	if (!PQgetisnull(cur, 0, AC_TERMS) && !cJSON_IsTrue(accept))
		verrors_add(e, "accept_terms",
		            ev->en ? "accept the terms of this scholarship to submit"
		                   : "須同意本獎學金之規定才能送出");
}

void applications_submit(struct ctx *c)
{
	const char *p[4], *from, *id;
	const cJSON *accept;
	PGresult *cur;
	struct app_eval ev;
	struct verrors e;
	enum db_err err;

	if (handler_body(c, submit_fields, NFIELDS(submit_fields), 0) < 0 ||
	    (cur = app_lock(c, 1)) == NULL)
		return;
	from = PQgetvalue(cur, 0, AC_STATUS);
	if (!editable(from)) {
		scholarships_refuse(
		    c, 409,
		    arena_printf(c->arena, "an application cannot be submitted when %s", from));
		return;
	}
	if (app_evaluate(c, PQgetvalue(cur, 0, AC_PERIOD_ID), &ev) < 0)
		return;
	if (strcmp(from, "draft") == 0 ? !ev.open
	                               : strcmp(PQgetvalue(cur, 0, AC_RESUBMIT_OK), "t") != 0) {
		scholarships_refuse(c, 409, "the application window is closed");
		return;
	}
	verrors_init(&e, c->arena);
	submit_problems(c, cur, &ev, &e);
	if (e.n > 0 || e.oom) {
		db_rollback(&c->w->db);
		scholarships_invalid(c, &e);
		return;
	}
	accept = c->body != NULL ? cJSON_GetObjectItemCaseSensitive(c->body, "accept_terms") : NULL;
	id = PQgetvalue(cur, 0, AC_ID);
	p[0] = id, p[1] = PQgetvalue(cur, 0, AC_NEXT_STAGE);
	p[2] = !PQgetisnull(cur, 0, AC_TERMS) && cJSON_IsTrue(accept) ? "true" : "false";
	if ((p[3] = json_print(c->arena, eligibility_to_json(c->arena, &ev.res))) == NULL) {
		scholarships_db_fail(c, DB_FAILED, app_duplicate);
		return;
	}
	if (db_exec(&c->w->db, c->arena, &q_submit, p, &err, NULL) == NULL) {
		scholarships_db_fail(c, err, app_duplicate);
		return;
	}
	if (app_history(c, id, from, "submitted", NULL) < 0 ||
	    app_notify(c, id, APP_EV_SUBMITTED, NULL) < 0)
		return;
	app_finish(c, 200, "application.submitted", id, PQgetvalue(cur, 0, AC_JSON));
}

/*
 * application_notify.c -- an application's events turned into messages
 * (application_notify.h). One query reads what every template of an
 * application needs; lib/notify.c picks each recipient's template and
 * locale. The link of every message is the application's page.
 */
#include "application_notify.h"

#include "arena.h"
#include "handler.h"
#include "http.h"
#include "notify.h"
#include "worker.h"

#include <string.h>

enum fact_col {
	FC_USER,
	FC_APPLICANT,
	FC_APP_NO,
	FC_SCH_ID,
	FC_SCH,
	FC_SCH_EN,
	FC_PERIOD,
	FC_REVIEWERS, /* "id,id", or NULL when none is assigned */
};

static const struct db_stmt q_facts = {
    "appnotify_facts",
    "SELECT a.user_id, u.full_name, a.app_no, s.id, s.name, coalesce(s.name_en, s.name), p.label,"
    " (SELECT string_agg(r.reviewer_id::text, ',' ORDER BY r.reviewer_id)"
    "  FROM application_reviewers r WHERE r.application_id = a.id)"
    " FROM applications a JOIN users u ON u.id = a.user_id"
    " JOIN periods p ON p.id = a.period_id JOIN scholarships s ON s.id = p.scholarship_id"
    " WHERE a.id = $1::uuid",
    1};

static const struct status_label {
	const char *code, *en, *zh;
} status_labels[] = {
    {"draft", "draft", "草稿"},
    {"submitted", "submitted", "已送出"},
    {"under_review", "under review", "審查中"},
    {"pending_documents", "waiting for documents", "待補件"},
    {"returned", "returned for changes", "退回修改"},
    {"approved", "approved", "核准"},
    {"partially_approved", "partially approved", "部分核准"},
    {"rejected", "not approved", "未獲核准"},
    {"withdrawn", "withdrawn", "已撤回"},
    {"cancelled", "cancelled", "已取消"},
};

/* The label of an application status in English or Chinese (the code
 * itself when unknown). */
static const char *app_status_label(const char *status, int en)
{
	size_t i;

	for (i = 0; i < sizeof(status_labels) / sizeof(status_labels[0]); i++)
		if (strcmp(status_labels[i].code, status) == 0)
			return en ? status_labels[i].en : status_labels[i].zh;
	return status;
}

#define NVARS 8

/* The application's values, then the event's; *n is the count. */
static void fill_vars(struct mail_var *v, size_t *n, const PGresult *f,
                      const struct app_event_detail *d)
{
	size_t k = 0;

	v[k++] = (struct mail_var){"applicant_name", PQgetvalue(f, 0, FC_APPLICANT), NULL};
	v[k++] = (struct mail_var){"app_no", PQgetvalue(f, 0, FC_APP_NO), NULL};
	v[k++] = (struct mail_var){"scholarship_name", PQgetvalue(f, 0, FC_SCH),
	                           PQgetvalue(f, 0, FC_SCH_EN)};
	v[k++] = (struct mail_var){"period_label", PQgetvalue(f, 0, FC_PERIOD), NULL};
	if (d != NULL) {
		v[k++] = (struct mail_var){"kinds", d->kinds, d->kinds_en};
		v[k++] = (struct mail_var){"reason", d->reason, NULL};
		v[k++] = (struct mail_var){"due_on", d->due_on, NULL};
		if (d->status != NULL)
			v[k++] = (struct mail_var){"status", app_status_label(d->status, 0),
			                           app_status_label(d->status, 1)};
	}
	*n = k;
}

static int tell(struct ctx *c, const char *key, const char *user_id, const PGresult *f,
                const char *link, const struct mail_var *v, size_t n)
{
	const struct notify_msg m = {
	    .key = key,
	    .user_id = user_id,
	    .scholarship_id = PQgetvalue(f, 0, FC_SCH_ID),
	    .link = link,
	    .vars = v,
	    .nvars = n,
	    .what = NOTIFY_MAIL | NOTIFY_IN_APP,
	};
	enum db_err err;

	if (notify_user(&c->w->db, c->arena, c->w->cfg, &m, &err) == 0)
		return 0;
	db_rollback(&c->w->db);
	handler_unavailable(c, "the request could not be completed; try again");
	return -1;
}

/* Each assigned reviewer of the application (f's comma-separated ids). */
static int tell_reviewers(struct ctx *c, const PGresult *f, const char *link,
                          const struct mail_var *v, size_t n)
{
	char *ids, *id, *save = NULL;

	if (PQgetisnull(f, 0, FC_REVIEWERS))
		return 0;
	if ((ids = arena_strdup(c->arena, PQgetvalue(f, 0, FC_REVIEWERS))) == NULL) {
		db_rollback(&c->w->db);
		resp_problem(c->resp, c->req, 500, NULL, NULL, 0);
		return -1;
	}
	for (id = strtok_r(ids, ",", &save); id != NULL; id = strtok_r(NULL, ",", &save))
		if (tell(c, "application_submitted_reviewer", id, f, link, v, n) < 0)
			return -1;
	return 0;
}

int app_notify(struct ctx *c, const char *id, enum app_event ev,
               const struct app_event_detail *detail)
{
	static const char *const keys[] = {
	    [APP_EV_SUBMITTED] = "application_submitted",
	    [APP_EV_DOCS_REQUESTED] = "document_requested",
	    [APP_EV_STATUS] = "status_decided",
	};
	const char *p[1] = {id}, *link = arena_printf(c->arena, "/application.html?id=%s", id);
	struct mail_var v[NVARS];
	enum db_err err;
	PGresult *f = db_exec(&c->w->db, c->arena, &q_facts, p, &err, NULL);
	size_t n;

	if (f == NULL || PQntuples(f) != 1 || link == NULL) {
		db_rollback(&c->w->db);
		handler_unavailable(c, "the request could not be completed; try again");
		return -1;
	}
	fill_vars(v, &n, f, detail);
	if (tell(c, keys[ev], PQgetvalue(f, 0, FC_USER), f, link, v, n) < 0)
		return -1;
	return ev == APP_EV_SUBMITTED ? tell_reviewers(c, f, link, v, n) : 0;
}

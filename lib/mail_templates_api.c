/*
 * mail_templates_api.c -- the template routes of mail_admin.h: the keys
 * mail is sent under and the placeholders each knows, the list of stored
 * templates, saving a default (super admin) or a scholarship's override
 * (its admins), deleting an override, and a preview rendered with example
 * values.
 *
 * What a template may say is decided by lib/mail_template.c, the one
 * place that knows the syntax: every text is run through
 * mail_template_check() before it is stored or previewed, so a template
 * in the table only names placeholders its key is given. The CHECKs of
 * 0014_notifications.sql are the last line (a subject never holds a
 * control character: no header break can be put into a mail).
 *
 * The key and locale come from the path ("{key}/{locale}"), read here
 * from the request path itself; an unknown key or locale is 404, like any
 * other record that does not exist. Scope: a default is everybody's to
 * read and the super admin's to change; an override belongs to its
 * scholarship's admins (scholarships_scope(), SCH_EDITS); out of scope is
 * 404. Memory: the request arena's.
 */
#include "mail_admin.h"

#include "applications_int.h"
#include "arena.h"
#include "audit.h"
#include "buf.h"
#include "config.h"
#include "handler.h"
#include "http.h"
#include "json.h"
#include "mail_template.h"
#include "router.h"
#include "scholarships.h"
#include "validate.h"
#include "worker.h"

#include <string.h>

#define NFIELDS(t) (sizeof(t) / sizeof((t)[0]))
#define PATH_PREFIX "/api/v1/mail-templates/"
#define MAX_VARS 32

/* clang-format off */
/* A template as the API shows it (alias t). */
#define TPL_OBJ \
	"json_build_object('id', t.id, 'key', t.key, 'locale', t.locale, " \
	"'scholarship_id', t.scholarship_id, 'subject', t.subject, 'body_text', t.body_text, " \
	"'body_html', t.body_html, 'version', t.version, 'updated_by', t.updated_by, " \
	"'updated_at', " SCH_UTC("t.updated_at") ")"
/* Columns of a locked or written template: its JSON text, version, id. */
#define TPL_COLS TPL_OBJ "::text, t.version, t.id"
/* A default, or an override of a scholarship the caller administers
 * ($4 all, $5 the admin: scholarships_scope()). */
#define TPL_SEES \
	"(t.scholarship_id IS NULL OR $4::boolean OR EXISTS (SELECT 1 FROM scholarship_admins g " \
	"WHERE g.scholarship_id = t.scholarship_id AND g.user_id = $5::uuid))"
/* clang-format on */

enum tpl_col { TC_JSON, TC_VERSION, TC_ID };

/* The whole list in one row: templates number keys x locales x (1 +
 * scholarships with overrides), a few hundred at most. */
static const struct db_stmt q_list = {
    "mailadm_tpl_list",
    "SELECT json_build_object('items', COALESCE(json_agg(" TPL_OBJ
    " ORDER BY t.key, t.locale, t.scholarship_id NULLS FIRST), '[]'), "
    "'next_cursor', NULL)::text FROM mail_templates t "
    "WHERE ($1::text IS NULL OR t.key = $1) AND ($2::text IS NULL OR t.locale = $2) "
    "AND ($3::uuid IS NULL OR t.scholarship_id = $3::uuid) AND " TPL_SEES,
    5};
static const struct db_stmt q_scholarship = {
    "mailadm_tpl_scholarship",
    "SELECT 1 FROM scholarships s WHERE s.id = $1::uuid AND " SCH_EDITS(2, 3, "s"), 3};
static const struct db_stmt q_lock_default = {
    "mailadm_tpl_lock_default",
    "SELECT " TPL_COLS " FROM mail_templates t WHERE t.key = $1 AND t.locale = $2 "
    "AND t.scholarship_id IS NULL FOR UPDATE",
    2};
static const struct db_stmt q_lock_override = {
    "mailadm_tpl_lock_override",
    "SELECT " TPL_COLS " FROM mail_templates t WHERE t.key = $1 AND t.locale = $2 "
    "AND t.scholarship_id = $3::uuid FOR UPDATE",
    3};
static const struct db_stmt q_update = {
    "mailadm_tpl_update",
    "UPDATE mail_templates t SET subject = $2, body_text = $3, body_html = $4, "
    "version = t.version + 1, updated_by = $5::uuid, updated_at = now() "
    "WHERE t.id = $1::uuid RETURNING " TPL_COLS,
    5};
static const struct db_stmt q_insert = {
    "mailadm_tpl_insert",
    "INSERT INTO mail_templates AS t (key, locale, scholarship_id, subject, body_text, "
    "body_html, updated_by) VALUES ($1, $2, $3::uuid, $4, $5, $6, $7::uuid) "
    "RETURNING " TPL_COLS,
    7};
static const struct db_stmt q_delete = {"mailadm_tpl_delete",
                                        "DELETE FROM mail_templates WHERE id = $1::uuid", 1};

static const char *const locales[] = {"en", "zh-TW", NULL};

/* The texts of a template, then what each route adds. */
static const struct vfield put_fields[] = {
    {.name = "subject", .type = VT_STRING, .flags = VF_REQUIRED, .min = 1, .max = 300},
    {.name = "body_text", .type = VT_STRING, .flags = VF_REQUIRED, .min = 1, .max = 100000},
    {.name = "body_html", .type = VT_STRING, .flags = VF_NULLABLE, .min = 1, .max = 200000},
    {.name = "scholarship_id", .type = VT_UUID, .flags = VF_NULLABLE},
};
static const struct vfield preview_fields[] = {
    {.name = "subject", .type = VT_STRING, .flags = VF_REQUIRED, .min = 1, .max = 300},
    {.name = "body_text", .type = VT_STRING, .flags = VF_REQUIRED, .min = 1, .max = 100000},
    {.name = "body_html", .type = VT_STRING, .flags = VF_NULLABLE, .min = 1, .max = 200000},
    {.name = "values", .type = VT_OBJECT},
};

static const char not_found[] = "there is no such mail template";
static const char conflict[] = "the template was changed at the same time; try again";

/* ---- shared ------------------------------------------------------------- */

/* The template a path names: its key's spec and its locale. */
struct tpl_path {
	const struct mail_template_spec *spec;
	const char *locale;
};

static int is_locale(const char *s)
{
	int i;

	for (i = 0; locales[i] != NULL; i++)
		if (strcmp(s, locales[i]) == 0)
			return 1;
	return 0;
}

/* Key and locale from ".../mail-templates/{key}/{locale}[/preview]".
 * 0, or -1 with 404 answered when either is unknown. */
static int tpl_path(struct ctx *c, struct tpl_path *tp)
{
	const char *p = c->req->path, *key = NULL, *loc = NULL;
	size_t n;

	if (strncmp(p, PATH_PREFIX, strlen(PATH_PREFIX)) == 0) {
		p += strlen(PATH_PREFIX);
		n = strcspn(p, "/");
		key = arena_strndup(c->arena, p, n);
		p += n;
		if (*p == '/') {
			p++;
			loc = arena_strndup(c->arena, p, strcspn(p, "/"));
		}
	}
	if (key == NULL || loc == NULL || (tp->spec = mail_template_spec(key)) == NULL ||
	    !is_locale(loc)) {
		resp_problem(c->resp, c->req, 404, not_found, NULL, 0);
		return -1;
	}
	tp->locale = loc;
	return 0;
}

/* Does e already hold an error at field? */
static int has_error(const struct verrors *e, const char *field)
{
	size_t i;

	for (i = 0; i < e->n; i++)
		if (strcmp(e->items[i].field, field) == 0)
			return 1;
	return 0;
}

/* Does s hold a control character: C0, DEL or C1 (U+0080..U+009F)? */
static int has_control(const char *s)
{
	const unsigned char *u = (const unsigned char *)s;

	for (; *u; u++)
		if (*u < 0x20 || *u == 0x7f || (u[0] == 0xc2 && u[1] >= 0x80 && u[1] <= 0x9f))
			return 1;
	return 0;
}

/* Check the placeholders of body's text field name (when it is a string
 * that passed the table) against spec; adds to e. */
static void check_text(const struct mail_template_spec *spec, const cJSON *body, const char *name,
                       struct verrors *e)
{
	const char *s = json_str(body, name);
	char msg[160];

	if (s == NULL || has_error(e, name))
		return;
	if (strcmp(name, "subject") == 0 && has_control(s))
		verrors_add(e, name, "must be one line without control characters");
	else if (mail_template_check(spec, s, msg, sizeof(msg)) < 0)
		verrors_add(e, name, msg);
}

/* Validate body against fields, then every text's placeholders. Returns
 * the number of errors (e->oom counts as one). */
static size_t check_body(struct ctx *c, const struct tpl_path *tp, const struct vfield *fields,
                         size_t n, struct verrors *e)
{
	verrors_init(e, c->arena);
	validate_object(c->body, fields, n, "", e);
	if (cJSON_IsObject(c->body)) {
		check_text(tp->spec, c->body, "subject", e);
		check_text(tp->spec, c->body, "body_text", e);
		check_text(tp->spec, c->body, "body_html", e);
	}
	return e->n + (size_t)e->oom;
}

/* Is scholarship sid one the caller administers? 1 yes; 0 with 404
 * answered (also when it does not exist); -1 answered (503...). Rolls
 * back an open transaction when it answers. */
static int in_scope(struct ctx *c, const char *sid)
{
	const char *p[3] = {sid, NULL, NULL};
	enum db_err err;
	PGresult *r;

	scholarships_scope(c, &p[1], &p[2]);
	if ((r = db_exec(&c->w->db, c->arena, &q_scholarship, p, &err, NULL)) == NULL) {
		scholarships_db_fail(c, err, conflict);
		return -1;
	}
	if (PQntuples(r) == 0) {
		scholarships_refuse(c, 404, "there is no such scholarship");
		return 0;
	}
	return 1;
}

/* Inside the transaction: lock the default (sid NULL) or sid's override
 * of tp. Sets *row to the locked row (NULL: none). 0, or -1 answered. */
static int lock_tpl(struct ctx *c, const struct tpl_path *tp, const char *sid, PGresult **row)
{
	const char *p[3] = {tp->spec->key, tp->locale, sid};
	enum db_err err;
	PGresult *r;

	r = db_exec(&c->w->db, c->arena, sid == NULL ? &q_lock_default : &q_lock_override, p, &err,
	            NULL);
	if (r == NULL) {
		scholarships_db_fail(c, err, conflict);
		return -1;
	}
	*row = PQntuples(r) == 1 ? r : NULL;
	return 0;
}

/* An If-Match, when sent, must name cur's version; there is nothing to
 * match when cur is NULL. 0, or -1 with 412 answered (rolled back). */
static int if_match(struct ctx *c, const PGresult *cur)
{
	if (http_header(c->req, "If-Match") == NULL)
		return 0;
	if (cur == NULL) {
		scholarships_refuse(c, 412, "there is no such template to match (If-Match)");
		return -1;
	}
	return scholarships_if_match(c, PQgetvalue(cur, 0, TC_VERSION));
}

/* Audit action (before: cur's JSON, or NULL) and after, then commit.
 * 0, or -1 with 503 answered. */
static int audit_commit(struct ctx *c, const char *action, const char *id, const PGresult *cur,
                        const char *after)
{
	if (audit_record(c, NULL, action, "mail_template", id,
	                 cur != NULL ? PQgetvalue(cur, 0, TC_JSON) : NULL, after) < 0 ||
	    db_commit(&c->w->db) < 0) {
		db_rollback(&c->w->db);
		handler_unavailable(c, "the request could not be completed; try again");
		return -1;
	}
	return 0;
}

/* ---- keys and list ------------------------------------------------------ */

/*
 * The names spec's templates may use, at most max: its own, then
 * site_url, which the checker knows for every key (lib/mail_template.c).
 * Returns the count.
 */
static size_t spec_names(const struct mail_template_spec *spec, const char **names, size_t max)
{
	const char *const *v;
	size_t n = 0, i;
	char err[8];

	for (v = spec->vars; *v != NULL && n < max; v++)
		names[n++] = *v;
	for (i = 0; i < n && strcmp(names[i], "site_url") != 0; i++)
		;
	if (i == n && n < max && mail_template_check(spec, "{{site_url}}", err, sizeof(err)) == 0)
		names[n++] = "site_url";
	return n;
}

/* Append spec's placeholder names as a JSON array. */
static void put_placeholders(struct buf *b, const struct mail_template_spec *spec)
{
	const char *names[MAX_VARS];
	size_t n = spec_names(spec, names, MAX_VARS), i;

	buf_putc(b, '[');
	for (i = 0; i < n; i++) {
		if (i > 0)
			buf_putc(b, ',');
		buf_json_str(b, names[i]);
	}
	buf_putc(b, ']');
}

void mailadm_template_keys(struct ctx *c)
{
	const struct mail_template_spec *specs;
	size_t n, i;
	struct buf b;

	specs = mail_template_specs(&n);
	buf_init(&b, c->arena);
	buf_puts(&b, "{\"items\":[");
	for (i = 0; i < n; i++) {
		buf_puts(&b, i > 0 ? ",{\"key\":" : "{\"key\":");
		buf_json_str(&b, specs[i].key);
		buf_puts(&b, ",\"purpose\":");
		buf_json_str(&b, specs[i].purpose);
		buf_puts(&b, ",\"placeholders\":");
		put_placeholders(&b, &specs[i]);
		buf_putc(&b, '}');
	}
	buf_puts(&b, "]}");
	if (b.oom) {
		resp_problem(c->resp, c->req, 500, NULL, NULL, 0);
		return;
	}
	resp_json(c->resp, 200, b.data, b.len);
}

static int key_ok(const char *s)
{
	return mail_template_spec(s) != NULL;
}

static const char *const list_keys[] = {"key", "locale", "scholarship_id", NULL};

void mailadm_templates_list(struct ctx *c)
{
	const char *p[5] = {0}, *cursor;
	enum db_err err;
	PGresult *r;
	long limit;
	int bad = 0;

	if (scholarships_page_query(c, list_keys, &limit, &cursor) < 0)
		return;
	p[0] = app_query_filter(c, "key", key_ok, &bad);
	p[1] = app_query_filter(c, "locale", is_locale, &bad);
	p[2] = app_query_filter(c, "scholarship_id", app_uuid_ok, &bad);
	if (bad || (p[2] != NULL && in_scope(c, p[2]) <= 0))
		return;
	scholarships_scope(c, &p[3], &p[4]);
	if ((r = db_exec(&c->w->db, c->arena, &q_list, p, &err, NULL)) == NULL) {
		app_db_fail(c, err);
		return;
	}
	resp_json(c->resp, 200, PQgetvalue(r, 0, 0), (size_t)PQgetlength(r, 0, 0));
}

/* ---- save and delete ---------------------------------------------------- */

/* Inside the transaction: write the body over cur, or insert it when cur
 * is NULL. The written row, or NULL answered. */
static PGresult *write_tpl(struct ctx *c, const struct tpl_path *tp, const char *sid,
                           const PGresult *cur)
{
	const char *subject = json_str(c->body, "subject"), *text = json_str(c->body, "body_text");
	const char *html = json_str(c->body, "body_html");
	enum db_err err;
	PGresult *r;

	if (cur != NULL) {
		const char *p[5] = {PQgetvalue(cur, 0, TC_ID), subject, text, html, c->user_id};
		r = db_exec(&c->w->db, c->arena, &q_update, p, &err, NULL);
	} else {
		const char *p[7] = {tp->spec->key, tp->locale, sid,       subject,
		                    text,          html,       c->user_id};
		r = db_exec(&c->w->db, c->arena, &q_insert, p, &err, NULL);
	}
	if (r == NULL || PQntuples(r) != 1) {
		scholarships_db_fail(c, r == NULL ? err : DB_FAILED, conflict);
		return NULL;
	}
	return r;
}

/* Does a PUT body name the default: no scholarship_id, or null? */
static int is_default(const cJSON *body)
{
	const cJSON *sid = cJSON_GetObjectItemCaseSensitive(body, "scholarship_id");

	return sid == NULL || cJSON_IsNull(sid);
}

/* Where a created template can be read back: the list, filtered to it. */
static const char *location(struct ctx *c, const struct tpl_path *tp, const char *sid)
{
	return arena_printf(c->arena, "/api/v1/mail-templates?key=%s&locale=%s%s%s", tp->spec->key,
	                    tp->locale, sid != NULL ? "&scholarship_id=" : "",
	                    sid != NULL ? sid : "");
}

void mailadm_template_put(struct ctx *c)
{
	struct tpl_path tp;
	struct verrors e;
	PGresult *cur, *r;
	const char *sid, *loc;

	if (tpl_path(c, &tp) < 0)
		return;
	if (cJSON_IsObject(c->body) && is_default(c->body) && c->role != ROLE_SUPER_ADMIN) {
		resp_problem(c->resp, c->req, 403,
		             "only a super admin may change a default template; "
		             "name a scholarship_id to change its override",
		             NULL, 0);
		return;
	}
	if (check_body(c, &tp, put_fields, NFIELDS(put_fields), &e) > 0) {
		scholarships_invalid(c, &e);
		return;
	}
	sid = json_str(c->body, "scholarship_id");
	if (app_begin(c) < 0 || (sid != NULL && in_scope(c, sid) <= 0) ||
	    lock_tpl(c, &tp, sid, &cur) < 0 || if_match(c, cur) < 0 ||
	    (r = write_tpl(c, &tp, sid, cur)) == NULL)
		return;
	if (audit_commit(c, "mail_template.updated", PQgetvalue(r, 0, TC_ID), cur,
	                 PQgetvalue(r, 0, TC_JSON)) < 0)
		return;
	if (cur == NULL && (loc = location(c, &tp, sid)) != NULL)
		resp_header(c->resp, "Location", loc);
	scholarships_answer(c, cur == NULL ? 201 : 200, PQgetvalue(r, 0, TC_JSON),
	                    PQgetvalue(r, 0, TC_VERSION));
}

static const char *const delete_keys[] = {"scholarship_id", NULL};

void mailadm_template_delete(struct ctx *c)
{
	const char *p[1], *sid, *cursor;
	struct tpl_path tp;
	enum db_err err;
	PGresult *cur;
	long limit;
	int bad = 0;

	if (tpl_path(c, &tp) < 0 || scholarships_page_query(c, delete_keys, &limit, &cursor) < 0)
		return;
	sid = app_query_filter(c, "scholarship_id", app_uuid_ok, &bad);
	if (bad)
		return;
	if (sid == NULL) {
		resp_problem(c->resp, c->req, 409,
		             "a default template cannot be deleted; change it instead", NULL, 0);
		return;
	}
	if (app_begin(c) < 0 || in_scope(c, sid) <= 0 || lock_tpl(c, &tp, sid, &cur) < 0)
		return;
	if (cur == NULL) {
		scholarships_refuse(c, 404, not_found);
		return;
	}
	if (if_match(c, cur) < 0)
		return;
	p[0] = PQgetvalue(cur, 0, TC_ID);
	if (db_exec(&c->w->db, c->arena, &q_delete, p, &err, NULL) == NULL) {
		scholarships_db_fail(c, err, conflict);
		return;
	}
	if (audit_commit(c, "mail_template.deleted", p[0], cur, NULL) < 0)
		return;
	resp_empty(c->resp, 204);
}

/* ---- preview ------------------------------------------------------------ */

/* Example values a preview shows for the placeholders it is not given,
 * in Chinese and in English (for an "en" template). */
static const struct mail_var examples[] = {
    {.name = "name", .value = "王小明", .value_en = "Wang Xiao-Ming"},
    {.name = "applicant_name", .value = "王小明", .value_en = "Wang Xiao-Ming"},
    {.name = "app_no", .value = "APP-2026-1-00042"},
    {.name = "scholarship_name",
     .value = "學業優秀獎學金",
     .value_en = "Academic Excellence Scholarship"},
    {.name = "period_label", .value = "115 學年度第 1 學期", .value_en = "2026 Fall"},
    {.name = "role", .value = "admin"},
    {.name = "kinds", .value = "成績單、照片", .value_en = "transcript, photo"},
    {.name = "reason",
     .value = "請補上最新的成績單。",
     .value_en = "Please add your latest transcript."},
    {.name = "due_on", .value = "2026-12-31"},
    {.name = "status", .value = "核定", .value_en = "approved"},
    {.name = "closes_at", .value = "2026-12-31 17:00"},
    {.name = "days_left", .value = "3"},
    {.name = "college", .value = "電機學院", .value_en = "College of EECS"},
    {.name = "amount", .value = "TWD 20,000"},
    {.name = "respond_by", .value = "2026-12-31"},
};

/* An example value of placeholder name for locale: from the table, a
 * link under PUBLIC_URL for names that are links, else the name in
 * brackets. */
static const char *example(struct ctx *c, const char *name, const char *locale)
{
	size_t i, n = strlen(name);

	for (i = 0; i < NFIELDS(examples); i++)
		if (strcmp(examples[i].name, name) == 0)
			return strcmp(locale, "en") == 0 && examples[i].value_en != NULL
			           ? examples[i].value_en
			           : examples[i].value;
	if (strcmp(name, "site_url") == 0)
		return c->w->cfg->public_url;
	if ((n >= 4 && strcmp(name + n - 4, "link") == 0) ||
	    (n >= 4 && strcmp(name + n - 4, "_url") == 0))
		return arena_printf(c->arena, "%s/example.html#%s", c->w->cfg->public_url, name);
	return arena_printf(c->arena, "[%s]", name);
}

/* Every placeholder spec knows, with the body's "values" where given.
 * Unknown names and non-strings in values are errors in e. */
static size_t preview_vars(struct ctx *c, const struct tpl_path *tp, struct mail_var *vars,
                           struct verrors *e)
{
	const cJSON *given = cJSON_GetObjectItemCaseSensitive(c->body, "values"), *it;
	const char *names[MAX_VARS];
	size_t n = spec_names(tp->spec, names, MAX_VARS), i;

	for (i = 0; i < n; i++)
		vars[i] = (struct mail_var){.name = names[i]};
	if (!cJSON_IsObject(given))
		given = NULL; /* the table said what is wrong with it */
	cJSON_ArrayForEach(it, given)
	{
		const char *path = arena_printf(c->arena, "values.%.64s", it->string);

		if (path == NULL)
			path = "values";
		for (i = 0; i < n && strcmp(vars[i].name, it->string) != 0; i++)
			;
		if (i == n)
			verrors_add(e, path, "is not a placeholder of this key");
		else if (!cJSON_IsString(it) || validate_utf8_len(it->valuestring) > 1000)
			verrors_add(e, path, "must be a string of at most 1000 characters");
		else
			vars[i].value = it->valuestring;
	}
	for (i = 0; i < n; i++)
		if (vars[i].value == NULL)
			vars[i].value = example(c, vars[i].name, tp->locale);
	return n;
}

void mailadm_template_preview(struct ctx *c)
{
	struct mail_var vars[MAX_VARS];
	const char *html;
	char *subject, *text, *out_html;
	struct tpl_path tp;
	struct verrors e;
	struct buf b;
	size_t n;

	if (tpl_path(c, &tp) < 0)
		return;
	check_body(c, &tp, preview_fields, NFIELDS(preview_fields), &e);
	n = cJSON_IsObject(c->body) ? preview_vars(c, &tp, vars, &e) : 0;
	if (e.n > 0 || e.oom) {
		scholarships_invalid(c, &e);
		return;
	}
	html = json_str(c->body, "body_html");
	subject =
	    mail_template_render(c->arena, json_str(c->body, "subject"), vars, n, MAIL_ESC_SUBJECT);
	text =
	    mail_template_render(c->arena, json_str(c->body, "body_text"), vars, n, MAIL_ESC_TEXT);
	out_html = html != NULL   ? mail_template_render(c->arena, html, vars, n, MAIL_ESC_HTML)
	           : text != NULL ? mail_template_text_to_html(c->arena, text)
	                          : NULL;
	if (subject == NULL || text == NULL || out_html == NULL) {
		resp_problem(c->resp, c->req, 500, NULL, NULL, 0);
		return;
	}
	buf_init(&b, c->arena);
	buf_puts(&b, "{\"subject\":");
	buf_json_str(&b, subject);
	buf_puts(&b, ",\"body_text\":");
	buf_json_str(&b, text);
	buf_puts(&b, ",\"body_html\":");
	buf_json_str(&b, out_html);
	buf_putc(&b, '}');
	if (b.oom) {
		resp_problem(c->resp, c->req, 500, NULL, NULL, 0);
		return;
	}
	resp_json(c->resp, 200, b.data, b.len);
}

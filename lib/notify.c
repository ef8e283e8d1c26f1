/*
 * notify.c -- one message to one user (notify.h): look up the recipient
 * and the best template in one query, render it, queue the mail and/or
 * write the in-app notification, all on the caller's connection (inside
 * its transaction).
 *
 * Which template: the recipient's locale before any other, and within a
 * locale the scholarship's override before the default; English when the
 * recipient's locale has none. The values every key gets besides the
 * caller's: {{name}} (the recipient's name), {{site_url}} (PUBLIC_URL) and
 * {{link}} (PUBLIC_URL + m->link), unless the caller gives them.
 */
#include "notify.h"

#include "arena.h"
#include "config.h"
#include "log.h"
#include "mailfile.h"

#include <string.h>

/* Longest subject the outbox takes, and the in-app body kept, in characters. */
#define SUBJECT_MAX_CHARS 300
#define IN_APP_BODY_MAX_CHARS 1000
#define EXTRA_VARS 3

static const struct db_stmt q_target = {
    "notify_target",
    "SELECT u.email, u.full_name, t.locale, t.subject, t.body_text, t.body_html"
    " FROM users u LEFT JOIN LATERAL (SELECT locale, subject, body_text, body_html"
    "  FROM mail_templates WHERE key = $2"
    "  AND (scholarship_id IS NULL OR scholarship_id = $3::uuid)"
    "  ORDER BY locale = u.locale DESC, locale = 'en' DESC, scholarship_id IS NULL LIMIT 1) t"
    " ON true WHERE u.id = $1::uuid AND u.active",
    3};
/* The mail ($9) and the in-app notification ($12), either or both, in one
 * round trip. */
static const struct db_stmt q_write = {
    "notify_write",
    "WITH m AS (INSERT INTO mail_outbox (to_address, subject, body_text, body_html,"
    " template_key, locale, user_id, scholarship_id)"
    " SELECT $1, $2, $3, $4, $5, $6, $7::uuid, $8::uuid WHERE $9::boolean RETURNING 1)"
    " INSERT INTO notifications (user_id, kind, title, body, link)"
    " SELECT $7::uuid, $5, $2, $10, $11 WHERE $12::boolean",
    12};

/* s cut to at most max characters, at a UTF-8 character boundary. */
static const char *utf8_prefix(struct arena *a, const char *s, size_t max)
{
	size_t i = 0, chars = 0;

	while (s[i] != '\0') {
		if (((unsigned char)s[i] & 0xc0) != 0x80 && chars++ == max)
			return arena_strndup(a, s, i);
		i++;
	}
	return s;
}

/* The caller's values (their English forms for an English template) plus
 * name, site_url and link; the caller's win, because the first match is
 * used. NULL when memory runs out. */
static struct mail_var *all_vars(struct arena *a, const struct config *cfg,
                                 const struct notify_msg *m, const char *name, int en, size_t *n)
{
	struct mail_var *v = arena_calloc(a, m->nvars + EXTRA_VARS, sizeof(*v));
	size_t i;

	if (v == NULL)
		return NULL;
	for (i = 0; i < m->nvars; i++) {
		v[i] = m->vars[i];
		if (en && v[i].value_en != NULL)
			v[i].value = v[i].value_en;
	}
	v[m->nvars] = (struct mail_var){.name = "name", .value = name};
	v[m->nvars + 1] = (struct mail_var){.name = "site_url", .value = cfg->public_url};
	v[m->nvars + 2] = (struct mail_var){
	    .name = "link",
	    .value = m->link ? arena_printf(a, "%s%s", cfg->public_url, m->link) : cfg->public_url};
	*n = m->nvars + EXTRA_VARS;
	return v;
}

struct rendered {
	const char *subject, *text, *html;
};

static int render(struct arena *a, const char *key, PGresult *t, const struct mail_var *v, size_t n,
                  struct rendered *r)
{
	const char *subject = mail_template_render(a, PQgetvalue(t, 0, 3), v, n, MAIL_ESC_SUBJECT);

	r->text = mail_template_render(a, PQgetvalue(t, 0, 4), v, n, MAIL_ESC_TEXT);
	if (subject == NULL || r->text == NULL)
		return -1;
	/* Placeholders that are all empty must not leave a mail without a subject. */
	r->subject = subject[strspn(subject, " ")] != '\0'
	                 ? utf8_prefix(a, subject, SUBJECT_MAX_CHARS)
	                 : key;
	r->html = PQgetisnull(t, 0, 5)
	              ? mail_template_text_to_html(a, r->text)
	              : mail_template_render(a, PQgetvalue(t, 0, 5), v, n, MAIL_ESC_HTML);
	return r->subject != NULL && r->html != NULL ? 0 : -1;
}

static int queue(struct db *db, struct arena *a, const struct notify_msg *m, PGresult *t,
                 const struct rendered *r, enum db_err *err)
{
	/* An address no mail can be sent to (the outbox refuses it) must not
	 * undo the change: the user still gets the in-app notification. */
	int mail = (m->what & NOTIFY_MAIL) && mailfile_check_addr(PQgetvalue(t, 0, 0)) == 0;
	const char *p[12] = {
	    PQgetvalue(t, 0, 0),
	    r->subject,
	    r->text,
	    r->html,
	    m->key,
	    PQgetvalue(t, 0, 2),
	    m->user_id,
	    m->scholarship_id,
	    mail ? "true" : "false",
	    utf8_prefix(a, r->text, IN_APP_BODY_MAX_CHARS),
	    m->link,
	    (m->what & NOTIFY_IN_APP) ? "true" : "false",
	};

	if ((m->what & NOTIFY_MAIL) && !mail)
		log_warn("notify: %s not mailed: the user's address cannot receive mail", m->key);
	return db_exec(db, a, &q_write, p, err, NULL) != NULL ? 0 : -1;
}

int notify_user(struct db *db, struct arena *a, const struct config *cfg,
                const struct notify_msg *m, enum db_err *err)
{
	const char *p[3] = {m->user_id, m->key, m->scholarship_id};
	struct rendered r;
	struct mail_var *v;
	PGresult *t;
	size_t n;

	*err = DB_OK;
	t = db_exec(db, a, &q_target, p, err, NULL);
	if (t == NULL)
		return -1;
	if (PQntuples(t) == 0)
		return 0; /* no such user, or not active: nobody to tell */
	if (PQgetisnull(t, 0, 3)) {
		log_error("notify: no template for key %s; nothing sent", m->key);
		return 0; /* a missing template must not undo the change itself */
	}
	v = all_vars(a, cfg, m, PQgetvalue(t, 0, 1), strcmp(PQgetvalue(t, 0, 2), "en") == 0, &n);
	if (v == NULL || render(a, m->key, t, v, n, &r) < 0) {
		*err = DB_FAILED;
		return -1;
	}
	return queue(db, a, m, t, &r, err);
}

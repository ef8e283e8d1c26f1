/*
 * mail_template.c -- the mail templates' keys and placeholders, the
 * placeholder checker and the renderer (mail_template.h).
 *
 * The syntax is only {{name}}: the scanner finds "{{", skips blanks, reads
 * an identifier [a-z_][a-z0-9_]*, skips blanks and wants "}}". Anything
 * else after "{{" is an error at check time and is copied through as text
 * at render time (a template in the database was checked when saved; a
 * stray "{{" in an old one must not lose the rest of the mail).
 */
#include "mail_template.h"

#include "arena.h"
#include "buf.h"

#include <stdio.h>
#include <string.h>

#define V(...) ((const char *const[]){__VA_ARGS__, NULL})
#define APP_VARS "name", "applicant_name", "app_no", "scholarship_name", "period_label", "link"

static const struct mail_template_spec specs[] = {
    {"verify_email", "Link to verify a new account's email address", V("name", "link")},
    {"invitation", "Invitation of a staff account, with the link to set a password",
     V("name", "link", "role")},
    {"password_reset", "Link to reset a forgotten password", V("name", "link")},
    {"account_exists", "Someone tried to register with an address that has an account",
     V("name", "login_link", "reset_link")},
    {"application_submitted", "To the student: the application was submitted", V(APP_VARS)},
    {"application_submitted_reviewer",
     "To each assigned reviewer: an application they review was submitted", V(APP_VARS)},
    {"document_requested", "To the student: staff ask for more documents",
     V(APP_VARS, "kinds", "reason", "due_on")},
    {"status_decided", "To the student: the application's result or status changed",
     V(APP_VARS, "status", "reason")},
    {"draft_reminder", "To the student: a draft's period closes soon",
     V(APP_VARS, "closes_at", "days_left")},
    {"ranking_finalised", "To admins: a college finalised its ranking",
     V("name", "scholarship_name", "period_label", "college", "link")},
    {"award_offered", "To the student: an award is offered", V(APP_VARS, "amount", "respond_by")},
    {"offer_expiring", "To the student: an award offer expires soon",
     V(APP_VARS, "amount", "respond_by")},
};

const struct mail_template_spec *mail_template_specs(size_t *n)
{
	*n = sizeof(specs) / sizeof(specs[0]);
	return specs;
}

const struct mail_template_spec *mail_template_spec(const char *key)
{
	size_t i;

	for (i = 0; key != NULL && i < sizeof(specs) / sizeof(specs[0]); i++)
		if (strcmp(specs[i].key, key) == 0)
			return &specs[i];
	return NULL;
}

static int ident_start(char c)
{
	return (c >= 'a' && c <= 'z') || c == '_';
}

static int ident_char(char c)
{
	return ident_start(c) || (c >= '0' && c <= '9');
}

/*
 * At p (just after "{{"): parse " name }}". On success sets *name, *len
 * and returns the position after "}}"; NULL when it is not a placeholder.
 */
static const char *scan_placeholder(const char *p, const char **name, size_t *len)
{
	while (*p == ' ' || *p == '\t')
		p++;
	if (!ident_start(*p))
		return NULL;
	*name = p;
	while (ident_char(*p))
		p++;
	*len = (size_t)(p - *name);
	while (*p == ' ' || *p == '\t')
		p++;
	return p[0] == '}' && p[1] == '}' ? p + 2 : NULL;
}

static int spec_knows(const struct mail_template_spec *spec, const char *name, size_t len)
{
	const char *const *v;

	if (len == 8 && memcmp(name, "site_url", 8) == 0)
		return 1;
	for (v = spec->vars; *v != NULL; v++)
		if (strlen(*v) == len && memcmp(*v, name, len) == 0)
			return 1;
	return 0;
}

int mail_template_check(const struct mail_template_spec *spec, const char *text, char *err,
                        size_t errlen)
{
	const char *p = text, *open, *name = NULL, *next;
	size_t len = 0;

	while ((open = strstr(p, "{{")) != NULL) {
		next = scan_placeholder(open + 2, &name, &len);
		if (next == NULL) {
			snprintf(err, errlen, "\"{{\" must start a placeholder such as {{name}}");
			return -1;
		}
		if (!spec_knows(spec, name, len)) {
			snprintf(err, errlen, "unknown placeholder {{%.*s}}",
			         (int)(len > 64 ? 64 : len), name);
			return -1;
		}
		p = next;
	}
	return 0;
}

static const char *value_of(const struct mail_var *vars, size_t n, const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strlen(vars[i].name) == len && memcmp(vars[i].name, name, len) == 0)
			return vars[i].value;
	return NULL;
}

static void put_html_escaped(struct buf *b, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		switch (s[i]) {
		case '&':
			buf_puts(b, "&amp;");
			break;
		case '<':
			buf_puts(b, "&lt;");
			break;
		case '>':
			buf_puts(b, "&gt;");
			break;
		case '"':
			buf_puts(b, "&quot;");
			break;
		case '\'':
			buf_puts(b, "&#39;");
			break;
		default:
			buf_putc(b, s[i]);
		}
	}
}

static void put_value(struct buf *b, const char *v, enum mail_escape esc)
{
	if (v == NULL)
		return;
	if (esc == MAIL_ESC_HTML)
		put_html_escaped(b, v, strlen(v));
	else
		buf_puts(b, v);
}

/* Control characters (CR, LF, tab, DEL...) become spaces, in place. */
static void flatten_controls(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = ' ';
}

char *mail_template_render(struct arena *a, const char *text, const struct mail_var *vars,
                           size_t nvars, enum mail_escape esc)
{
	struct buf b;
	const char *p = text, *open, *name = NULL, *next;
	size_t len = 0;
	char *out;

	buf_init(&b, a);
	while ((open = strstr(p, "{{")) != NULL) {
		buf_append(&b, p, (size_t)(open - p));
		next = scan_placeholder(open + 2, &name, &len);
		if (next == NULL) {
			buf_append(&b, "{{", 2);
			p = open + 2;
			continue;
		}
		put_value(&b, value_of(vars, nvars, name, len), esc);
		p = next;
	}
	buf_puts(&b, p);
	out = (char *)buf_cstr(&b);
	if (out != NULL && esc == MAIL_ESC_SUBJECT)
		flatten_controls(out);
	return out;
}

/* Length of an http(s) URL at p, or 0. It ends at white space or a quote,
 * and a trailing full stop or comma is left to the sentence. */
static size_t url_len(const char *p)
{
	size_t n;

	if (strncmp(p, "https://", 8) != 0 && strncmp(p, "http://", 7) != 0)
		return 0;
	n = strcspn(p, " \t\r\n\"'<>");
	while (n > 0 && (p[n - 1] == '.' || p[n - 1] == ','))
		n--;
	return n;
}

/* One paragraph (no blank line inside) as escaped HTML with <br> and links. */
static void put_paragraph(struct buf *b, const char *p, size_t n)
{
	size_t i = 0, u;

	buf_puts(b, "<p>");
	while (i < n) {
		if ((u = url_len(p + i)) > 0 && i + u <= n) {
			buf_puts(b, "<a href=\"");
			put_html_escaped(b, p + i, u);
			buf_puts(b, "\">");
			put_html_escaped(b, p + i, u);
			buf_puts(b, "</a>");
			i += u;
		} else if (p[i] == '\n') {
			buf_puts(b, "<br>\n");
			i++;
		} else if (p[i] == '\r') {
			i++;
		} else {
			put_html_escaped(b, p + i, 1);
			i++;
		}
	}
	buf_puts(b, "</p>\n");
}

char *mail_template_text_to_html(struct arena *a, const char *text)
{
	struct buf b;
	const char *p = text, *end;

	buf_init(&b, a);
	buf_puts(&b, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"></head>"
	             "<body style=\"font-family:sans-serif;line-height:1.5\">\n");
	while (*p) {
		while (*p == '\n' || *p == '\r')
			p++;
		if (*p == '\0')
			break;
		end = strstr(p, "\n\n");
		if (end == NULL)
			end = p + strlen(p);
		put_paragraph(&b, p, (size_t)(end - p));
		p = end;
	}
	buf_puts(&b, "</body></html>\n");
	return (char *)buf_cstr(&b);
}

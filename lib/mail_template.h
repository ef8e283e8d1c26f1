/*
 * mail_template.h -- the mail templates' keys, their placeholders, and
 * the renderer (DESIGN §8 "Notifications", issue 6).
 *
 * A template is plain text with placeholders written {{name}} (white space
 * inside the braces is allowed: {{ name }}). There is no other syntax: no
 * logic, no loops, no partials, so a template can never run code or read
 * anything but the values its key is given. Each key names the
 * placeholders it knows; saving a template that uses any other, or that
 * leaves a "{{" unclosed, is refused (mail_template_check).
 *
 * Rendering substitutes values as they are into text parts, with every
 * CR, LF and other control character replaced by a space in a subject, and
 * HTML-escaped into HTML parts. A template without an HTML part gets one
 * made from its text (mail_template_text_to_html): escaped, blank-line
 * paragraphs, line breaks, and http(s) URLs as links.
 *
 * Pure: no I/O, no globals but the constant key table. Memory comes from
 * the caller's arena.
 */
#ifndef SCH_MAIL_TEMPLATE_H
#define SCH_MAIL_TEMPLATE_H

#include <stddef.h>

struct arena;

/* One key: what it is for and the placeholders it knows (NULL-ended). */
struct mail_template_spec {
	const char *key;
	const char *purpose; /* one English line, for the admin UI */
	const char *const *vars;
};

/* Every key, in a fixed order; *n is set to the count. */
const struct mail_template_spec *mail_template_specs(size_t *n);
/* The spec of key, or NULL for an unknown key. */
const struct mail_template_spec *mail_template_spec(const char *key);

/* A value for a placeholder. */
struct mail_var {
	const char *name;
	const char *value;    /* NULL renders as empty */
	const char *value_en; /* optional: lib/notify.c uses it for an English template */
};

/*
 * 0 when text uses only placeholders of spec; else -1 with a message in
 * err (English, names the first bad placeholder or the unclosed "{{").
 */
int mail_template_check(const struct mail_template_spec *spec, const char *text, char *err,
                        size_t errlen);

enum mail_escape {
	MAIL_ESC_TEXT,    /* values as they are */
	MAIL_ESC_SUBJECT, /* values with control characters turned into spaces */
	MAIL_ESC_HTML,    /* values HTML-escaped */
};

/*
 * Render text with vars. A placeholder with no value renders as empty.
 * Returns the result from the arena (NULL when memory runs out).
 * With MAIL_ESC_SUBJECT the whole result has control characters turned
 * into spaces, so a subject is always one header line.
 */
char *mail_template_render(struct arena *a, const char *text, const struct mail_var *vars,
                           size_t nvars, enum mail_escape esc);

/* An HTML body made from a rendered text body (see the top). */
char *mail_template_text_to_html(struct arena *a, const char *text);

#endif

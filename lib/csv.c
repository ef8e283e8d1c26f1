/*
 * csv.c -- the RFC 4180 reader and the neutralising cell writer of
 * csv.h. The reader keeps a fixed scratch array of field slots in struct
 * csv_reader and copies exactly the fields of each record into the arena,
 * so 100,000 short records cost what they hold, not 256 slots each.
 */
#include "csv.h"

#include "arena.h"
#include "buf.h"
#include "json.h"

#include <string.h>

/* Per-record state while reading fields (slots are the reader's scratch). */
struct rec {
	struct csv_field *slot;
	size_t n;
	const char *error; /* first content error (the record still reads to its end) */
};

static int at_eol(const struct csv_reader *r)
{
	return r->p == r->end || *r->p == '\n' || *r->p == '\r';
}

/* Consume one line ending, if there is one. */
static void eat_eol(struct csv_reader *r)
{
	if (r->p < r->end && *r->p == '\r') {
		r->p++;
		if (r->p < r->end && *r->p == '\n')
			r->p++;
		r->line++;
	} else if (r->p < r->end && *r->p == '\n') {
		r->p++;
		r->line++;
	}
}

/* Resynchronise after a syntax error: skip past the current line. */
static void skip_line(struct csv_reader *r)
{
	while (!at_eol(r))
		r->p++;
	eat_eol(r);
}

/* Check a field's content; the reason, or NULL when it is acceptable. */
static const char *content_error(const char *s, size_t n)
{
	if (n > CSV_MAX_FIELD)
		return "a field is longer than 65536 bytes";
	if (memchr(s, '\0', n) != NULL)
		return "a field contains a NUL byte";
	if (!json_utf8_valid(s, n))
		return "a field is not valid UTF-8";
	return NULL;
}

/* Find the closing quote of a field opening at r->p; NULL when none. */
static const char *closing_quote(const struct csv_reader *r)
{
	const char *q = r->p + 1;

	while (q < r->end) {
		if (*q == '"') {
			if (q + 1 < r->end && q[1] == '"') {
				q += 2;
				continue;
			}
			return q;
		}
		q++;
	}
	return NULL;
}

/* Copy a quoted field's body (between the quotes) without doubled quotes. */
static char *unquote(struct csv_reader *r, const char *close, size_t *len)
{
	const char *s = r->p + 1;
	char *out = arena_alloc(r->arena, (size_t)(close - s) + 1);
	size_t n = 0;

	if (out == NULL)
		return NULL;
	while (s < close) {
		if (*s == '\n' || (*s == '\r' && (s + 1 == close || s[1] != '\n')))
			r->line++;
		out[n++] = *s;
		s += *s == '"' ? 2 : 1;
	}
	out[n] = '\0';
	*len = n;
	return out;
}

/*
 * Read one field at r->p into f. Returns 0, 1 for a syntax error (reason
 * in *why; the line is to be skipped), or -1 when fatal.
 */
static int read_field(struct csv_reader *r, struct csv_field *f, const char **why)
{
	const char *start = r->p, *close;
	char *copy;

	if (r->p < r->end && *r->p == '"') {
		if ((close = closing_quote(r)) == NULL) {
			*why = "a quoted field is not closed";
			return -1;
		}
		if ((copy = unquote(r, close, &f->len)) == NULL) {
			*why = "out of memory";
			return -1;
		}
		f->s = copy;
		r->p = close + 1;
		if (!at_eol(r) && *r->p != ',') {
			*why = "text follows a closing quote";
			return 1;
		}
		return 0;
	}
	while (!at_eol(r) && *r->p != ',') {
		if (*r->p == '"') {
			*why = "a quote inside an unquoted field (quote the whole field)";
			return 1;
		}
		r->p++;
	}
	f->len = (size_t)(r->p - start);
	if ((copy = arena_strndup(r->arena, start, f->len)) == NULL) {
		*why = "out of memory";
		return -1;
	}
	f->s = copy;
	return 0;
}

/* Read the fields of one record into rec. 0, 1 (syntax error) or -1. */
static int read_record(struct csv_reader *r, struct rec *rec, const char **why)
{
	int rc;

	for (;;) {
		struct csv_field *f;

		if (rec->n == CSV_MAX_FIELDS) {
			*why = "a record has more than 256 fields";
			return 1;
		}
		f = &rec->slot[rec->n++];
		if ((rc = read_field(r, f, why)) != 0)
			return rc;
		if (rec->error == NULL)
			rec->error = content_error(f->s, f->len);
		if (at_eol(r)) {
			eat_eol(r);
			return 0;
		}
		r->p++; /* the comma */
	}
}

void csv_init(struct csv_reader *r, struct arena *a, const char *data, size_t len)
{
	memset(r, 0, sizeof(*r));
	r->arena = a;
	r->p = data;
	r->end = data + len;
	r->line = 1;
	if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0)
		r->p += 3;
}

/* Skip empty lines; 1 when a record starts at r->p, 0 at the end. */
static int next_record_start(struct csv_reader *r)
{
	while (r->p < r->end && (*r->p == '\n' || *r->p == '\r'))
		eat_eol(r);
	return r->p < r->end;
}

static enum csv_status finish(struct csv_reader *r, struct csv_row *row, struct rec *rec)
{
	row->fields = arena_calloc(r->arena, rec->n, sizeof(*row->fields));
	if (row->fields == NULL) {
		row->error = "out of memory";
		return CSV_FATAL;
	}
	memcpy(row->fields, rec->slot, rec->n * sizeof(*row->fields));
	row->n = rec->n;
	row->error = rec->error;
	return rec->error != NULL ? CSV_BAD : CSV_ROW;
}

enum csv_status csv_next(struct csv_reader *r, struct csv_row *row)
{
	struct rec rec = {.slot = r->slot_};
	const char *why = NULL;
	int rc;

	memset(row, 0, sizeof(*row));
	if (!next_record_start(r))
		return CSV_END;
	row->record = ++r->record;
	row->line = r->line;
	rc = read_record(r, &rec, &why);
	if (rc < 0) {
		row->error = why;
		return CSV_FATAL;
	}
	if (rc > 0) {
		skip_line(r);
		row->error = why;
		return CSV_BAD;
	}
	return finish(r, row, &rec);
}

/* A plain number ("-12", "-0.5") is data, not a formula. */
static int is_number(const char *s, size_t n)
{
	size_t i = s[0] == '-' ? 1 : 0, digits = 0, dots = 0;

	for (; i < n; i++) {
		if (s[i] >= '0' && s[i] <= '9')
			digits++;
		else if (s[i] == '.' && dots++ == 0 && digits > 0)
			continue;
		else
			return 0;
	}
	return digits > 0 && s[n - 1] != '.';
}

int csv_is_formula(const char *s, size_t n)
{
	if (n == 0 || s[0] == '\0' || strchr("=+-@\t\r", s[0]) == NULL)
		return 0;
	return !is_number(s, n);
}

/* Must the cell be quoted: separators, quotes, line breaks, edge spaces,
 * or a leading BOM (which a reader would drop at the start of a file)? */
static int needs_quotes(const char *s, size_t n)
{
	size_t i;

	if (n > 0 && (s[0] == ' ' || s[n - 1] == ' '))
		return 1;
	if (n >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0)
		return 1;
	for (i = 0; i < n; i++)
		if (s[i] == ',' || s[i] == '"' || s[i] == '\r' || s[i] == '\n')
			return 1;
	return 0;
}

void csv_put_cell(struct buf *b, const char *s, size_t n)
{
	int formula = csv_is_formula(s, n);
	size_t i;

	if (!formula && !needs_quotes(s, n)) {
		buf_append(b, s, n);
		return;
	}
	buf_putc(b, '"');
	if (formula)
		buf_putc(b, '\'');
	for (i = 0; i < n; i++) {
		if (s[i] == '"')
			buf_putc(b, '"');
		buf_putc(b, s[i]);
	}
	buf_putc(b, '"');
}

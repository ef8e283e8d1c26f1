/*
 * csv.h -- an RFC 4180 reader over a byte buffer of explicit length, and
 * the cell writer every CSV export uses.
 *
 * Reading: a UTF-8 byte-order mark at the very start is skipped; records
 * end at CRLF, LF or a lone CR; fields are separated by commas; a quoted
 * field may hold commas, line breaks and doubled quotes. Empty lines
 * (outside quotes) are skipped. The reader never stops at a bad record
 * when it can resynchronise: a quote inside an unquoted field, text after
 * a closing quote, a NUL byte, invalid UTF-8 or an over-long field make
 * that record CSV_BAD (with a reason) and reading goes on at the next line;
 * only a quote left open at the end of the input is fatal (CSV_FATAL),
 * because everything after it would be read as one field.
 *
 * Writing: csv_put_cell() quotes when needed and neutralises formula
 * injection (OWASP): a cell that begins with = + - @ TAB or CR gets a
 * leading apostrophe, so spreadsheets show it as text.
 *
 * No globals, no I/O, no database: fields are NUL-terminated copies in the
 * caller's arena, so the module is unit-tested and fuzzed on its own.
 */
#ifndef SCH_CSV_H
#define SCH_CSV_H

#include <stddef.h>

struct arena;
struct buf;

#define CSV_MAX_FIELDS 256
#define CSV_MAX_FIELD (64 * 1024) /* bytes in one field */

enum csv_status {
	CSV_END = 0,    /* no more records */
	CSV_ROW = 1,    /* a record in *row */
	CSV_BAD = 2,    /* a malformed record, skipped; reason in row->error */
	CSV_FATAL = -1, /* cannot go on (unterminated quote, out of memory) */
};

struct csv_field {
	const char *s; /* NUL-terminated copy (the field may hold no NUL) */
	size_t len;
};

struct csv_row {
	struct csv_field *fields; /* arena array of n */
	size_t n;
	size_t record; /* 1-based: the header, when there is one, is record 1 */
	size_t line;   /* physical line where the record starts, 1-based */
	const char *error;
};

struct csv_reader {
	struct arena *arena;
	const char *p, *end;
	size_t line;
	size_t record;
	struct csv_field slot_[CSV_MAX_FIELDS]; /* scratch for the record being read */
};

void csv_init(struct csv_reader *r, struct arena *a, const char *data, size_t len);
/* Read the next record into *row (valid until the arena is reset). */
enum csv_status csv_next(struct csv_reader *r, struct csv_row *row);

/* Does a cell need a leading apostrophe on export? */
int csv_is_formula(const char *s, size_t n);
/* Append s[0..n) as one CSV cell (neutralised, quoted when needed). */
void csv_put_cell(struct buf *b, const char *s, size_t n);

#endif

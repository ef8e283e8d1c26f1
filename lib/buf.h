/*
 * buf.h -- growable byte strings with lengths (after git's strbuf and
 * redis's sds) whose memory comes from a request arena.
 *
 * A buf never owns heap memory: its bytes live in the arena given at
 * buf_init() and die with it. A failed append sets buf->oom and later
 * appends do nothing, so callers check once at the end.
 */
#ifndef SCH_BUF_H
#define SCH_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct arena;

struct buf {
	struct arena *arena;
	char *data; /* always NUL-terminated when len > 0 or cap > 0 */
	size_t len;
	size_t cap;
	int oom;
};

void buf_init(struct buf *b, struct arena *a);
void buf_append(struct buf *b, const void *p, size_t n);
void buf_puts(struct buf *b, const char *s);
void buf_putc(struct buf *b, char c);
void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_vprintf(struct buf *b, const char *fmt, va_list ap);
/* Append s as a JSON string literal, quotes included; invalid UTF-8 bytes
 * become U+FFFD so the output is always valid JSON. */
void buf_json_str(struct buf *b, const char *s);
void buf_json_strn(struct buf *b, const char *s, size_t n);
/* The contents as a C string ("" when empty); NULL after an allocation failure. */
const char *buf_cstr(struct buf *b);

#endif

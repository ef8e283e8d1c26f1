/*
 * buf.c -- arena-backed growable strings and JSON string escaping.
 */
#include "buf.h"

#include "arena.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

void buf_init(struct buf *b, struct arena *a)
{
	memset(b, 0, sizeof(*b));
	b->arena = a;
}

static int buf_grow(struct buf *b, size_t extra)
{
	size_t want, cap;
	char *p;

	if (b->oom)
		return -1;
	if (extra > SIZE_MAX / 2 - b->len) {
		b->oom = 1;
		return -1;
	}
	want = b->len + extra + 1;
	if (want <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 256;
	while (cap < want)
		cap *= 2;
	p = arena_alloc(b->arena, cap);
	if (p == NULL) {
		b->oom = 1;
		return -1;
	}
	if (b->len)
		memcpy(p, b->data, b->len);
	b->data = p;
	b->cap = cap;
	return 0;
}

void buf_append(struct buf *b, const void *p, size_t n)
{
	if (buf_grow(b, n) < 0)
		return;
	memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void buf_puts(struct buf *b, const char *s)
{
	buf_append(b, s, strlen(s));
}

void buf_putc(struct buf *b, char c)
{
	buf_append(b, &c, 1);
}

void buf_vprintf(struct buf *b, const char *fmt, va_list ap)
{
	size_t room = b->cap > b->len ? b->cap - b->len : 0;
	va_list cp;
	int n;

	if (b->oom)
		return;
	va_copy(cp, ap);
	n = vsnprintf(room ? b->data + b->len : NULL, room, fmt, cp);
	va_end(cp);
	if (n < 0) {
		b->oom = 1;
		return;
	}
	if ((size_t)n < room) { /* it fitted: one pass */
		b->len += (size_t)n;
		return;
	}
	if (buf_grow(b, (size_t)n) < 0)
		return;
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
}

void buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	buf_vprintf(b, fmt, ap);
	va_end(ap);
}

/* Length of the valid UTF-8 sequence at s (at most n bytes), or 0. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
	size_t len, i;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0) {
		len = 2;
		cp = s[0] & 0x1f;
	} else if ((s[0] & 0xf0) == 0xe0) {
		len = 3;
		cp = s[0] & 0x0f;
	} else if ((s[0] & 0xf8) == 0xf0) {
		len = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

/* Bytes at s that need no escaping: printable ASCII other than " and \. */
static size_t plain_run(const unsigned char *s, size_t n)
{
	size_t i = 0;

	while (i < n && s[i] >= 0x20 && s[i] < 0x7f && s[i] != '"' && s[i] != '\\')
		i++;
	return i;
}

void buf_json_strn(struct buf *b, const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, run;

	buf_putc(b, '"');
	while (i < n) {
		unsigned char c = s[i];
		if ((run = plain_run(s + i, n - i)) > 0) { /* the common case, in one copy */
			buf_append(b, s + i, run);
			i += run;
		} else if (c == '"' || c == '\\') {
			buf_putc(b, '\\');
			buf_putc(b, (char)c);
			i++;
		} else if (c < 0x20 || c == 0x7f) {
			buf_printf(b, "\\u%04x", c);
			i++;
		} else if ((run = utf8_seq(s + i, n - i)) == 0) {
			buf_puts(b, "\\ufffd");
			i++;
		} else {
			buf_append(b, s + i, run);
			i += run;
		}
	}
	buf_putc(b, '"');
}

void buf_json_str(struct buf *b, const char *s)
{
	if (s == NULL) {
		buf_puts(b, "null");
		return;
	}
	buf_json_strn(b, s, strlen(s));
}

const char *buf_cstr(struct buf *b)
{
	if (b->oom)
		return NULL;
	return b->len ? b->data : "";
}

/*
 * document_file.c -- file type, display name and download disposition of
 * uploaded documents (document_file.h).
 */
#include "document_file.h"

#include "arena.h"
#include "buf.h"

#include <string.h>

const char *docfile_type(const unsigned char *h, size_t n)
{
	static const unsigned char png[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

	if (n >= 5 && memcmp(h, "%PDF-", 5) == 0)
		return "application/pdf";
	if (n >= 8 && memcmp(h, png, 8) == 0)
		return "image/png";
	if (n >= 3 && h[0] == 0xff && h[1] == 0xd8 && h[2] == 0xff)
		return "image/jpeg";
	return NULL;
}

/* Length of the valid UTF-8 sequence at s (1-4), or 0. */
static size_t utf8_seq(const unsigned char *s)
{
	size_t n, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return 0;
	for (i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	if ((n == 3 && s[0] == 0xe0 && s[1] < 0xa0) || (n == 3 && s[0] == 0xed && s[1] >= 0xa0) ||
	    (n == 4 && s[0] == 0xf0 && s[1] < 0x90) || (n == 4 && s[0] == 0xf4 && s[1] >= 0x90))
		return 0;
	return n;
}

/* C1 controls are U+0080..U+009F: 0xC2 0x80..0x9F in UTF-8. */
static int is_control(const unsigned char *s, size_t n)
{
	return (n == 1 && (s[0] < 0x20 || s[0] == 0x7f)) || (n == 2 && s[0] == 0xc2 && s[1] < 0xa0);
}

char *docfile_display_name(struct arena *a, const char *raw)
{
	const char *base = raw, *p;
	const unsigned char *s;
	size_t len = 0, n;
	char *out;

	for (p = raw; *p; p++)
		if (*p == '/' || *p == '\\')
			base = p + 1;
	if ((out = arena_alloc(a, strlen(base) + 9)) == NULL)
		return NULL;
	for (s = (const unsigned char *)base; *s; s += n) {
		if ((n = utf8_seq(s)) == 0) {
			n = 1; /* an invalid byte is dropped */
			continue;
		}
		if (is_control(s, n) || (len == 0 && n == 1 && s[0] == ' '))
			continue;
		if (len + n > 255)
			break;
		memcpy(out + len, s, n);
		len += n;
	}
	while (len > 0 && (out[len - 1] == ' ' || out[len - 1] == '.'))
		len--;
	if (len == 0)
		return strcpy(out, "document");
	out[len] = '\0';
	return out;
}

char *docfile_disposition(struct arena *a, const char *name)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *s;
	struct buf b;

	buf_init(&b, a);
	buf_puts(&b, "attachment; filename=\"");
	for (s = (const unsigned char *)name; *s; s++)
		buf_putc(&b, *s >= 0x80 || *s == '"' || *s == '\\' || *s < 0x20 ? '_' : (char)*s);
	buf_puts(&b, "\"; filename*=UTF-8''");
	for (s = (const unsigned char *)name; *s; s++) {
		if ((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
		    (*s >= '0' && *s <= '9') || strchr("!#$&+-.^_`|~", *s) != NULL) {
			buf_putc(&b, (char)*s);
		} else {
			buf_putc(&b, '%');
			buf_putc(&b, hex[*s >> 4]);
			buf_putc(&b, hex[*s & 15]);
		}
	}
	return b.oom ? NULL : b.data;
}

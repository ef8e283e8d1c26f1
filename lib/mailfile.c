/*
 * mailfile.c -- RFC 5322 messages and their atomic .eml files.
 *
 * Owns the message format and the file write; nothing here touches the
 * database or global state, so it is unit-tested without a server.
 *
 * Why the choices below:
 *  - Headers are built only from checked pieces: an address must be a bare
 *    printable-ASCII local@domain (no CR/LF, space, comment, quote or list
 *    separator), so a To: can never carry a second header or recipient; a
 *    subject with CR or LF is refused, and one that is not plain ASCII (or
 *    that contains "=?", which a reader would try to decode) is written as
 *    RFC 2047 B encoded words cut at UTF-8 character boundaries, so no
 *    header line exceeds 76 columns.
 *  - Bodies go out as 8bit when they are valid UTF-8 with lines of at most
 *    998 bytes (readable in the .eml files of var/mail), else as quoted-printable;
 *    every line ends with CRLF.
 *  - Date and Message-ID come from the outbox row, so a message written
 *    twice (retried after a crash) is the same message under the same name.
 *  - Over SMTP (seven_bit) bodies that are not ASCII go out as
 *    quoted-printable: libcurl sends no BODY=8BITMIME, and a server that
 *    has not been told may mangle 8bit data.
 *  - The test mode only changes headers built from checked pieces (the
 *    redirect addresses pass the same check as a recipient; the prefix is
 *    constant), so it cannot open a way around the rules above.
 *  - The file is written to a hidden temporary file in the same directory,
 *    fsync'd, renamed over the final name and the directory fsync'd: a
 *    reader sees the whole message or nothing, even after a power cut.
 */
#include "mailfile.h"

#include "arena.h"
#include "buf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_8BIT_LINE 998 /* RFC 5322 §2.1.1, without CRLF */
#define QP_MAX_COL 75     /* plus the soft-break "=" makes 76 */
#define WORD_BYTES 39     /* 39 bytes -> 52 base64 chars -> 64-column encoded word */
#define ID_MAX 64

static enum mailfile_err fail(char *err, size_t errlen, enum mailfile_err e, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static enum mailfile_err fail(char *err, size_t errlen, enum mailfile_err e, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return e;
}

/* 1 when s[0..n) is well-formed UTF-8 (no overlongs, surrogates, > U+10FFFF). */
static int utf8_valid(const unsigned char *s, size_t n)
{
	size_t i = 0, len, k;
	unsigned long cp, min;

	while (i < n) {
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		if (s[i] >= 0xC2 && s[i] <= 0xDF)
			len = 2, min = 0x80;
		else if (s[i] >= 0xE0 && s[i] <= 0xEF)
			len = 3, min = 0x800;
		else if (s[i] >= 0xF0 && s[i] <= 0xF4)
			len = 4, min = 0x10000;
		else
			return 0;
		if (n - i < len)
			return 0;
		cp = s[i] & (0x7Fu >> len);
		for (k = 1; k < len; k++) {
			if ((s[i + k] & 0xC0) != 0x80)
				return 0;
			cp = cp << 6 | (s[i + k] & 0x3F);
		}
		if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
			return 0;
		i += len;
	}
	return 1;
}

static int is_ctl(unsigned char c)
{
	return c < 0x20 || c == 0x7f;
}

static int addr_byte_ok(unsigned char c)
{
	return c > 0x20 && c < 0x7f && strchr("<>()[],;:\"\\@", c) == NULL;
}

int mailfile_check_addr(const char *a)
{
	const char *at;
	size_t n, i;

	if (a == NULL)
		return -1;
	n = strlen(a);
	at = strchr(a, '@');
	if (n < 3 || n > MAILFILE_ADDR_MAX || at == NULL || at == a || at[1] == '\0')
		return -1;
	for (i = 0; i < n; i++)
		if (a + i != at && !addr_byte_ok((unsigned char)a[i]))
			return -1;
	return 0;
}

/* MAIL_FROM split into its display name (possibly empty) and address. */
struct from {
	const char *name;
	size_t name_len;
	char addr[MAILFILE_ADDR_MAX + 1];
};

static void trim(const char **s, size_t *n)
{
	while (*n > 0 && (**s == ' ' || **s == '\t'))
		(*s)++, (*n)--;
	while (*n > 0 && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t'))
		(*n)--;
}

static int bad_from(char *err, size_t errlen, const char *why)
{
	if (err != NULL && errlen > 0)
		snprintf(err, errlen, "MAIL_FROM %s", why);
	return -1;
}

static int parse_from(const char *s, struct from *f, char *err, size_t errlen)
{
	const char *lt, *gt, *addr = s;
	size_t i, n = strlen(s);

	for (i = 0; i < n; i++)
		if (is_ctl((unsigned char)s[i]) && s[i] != '\t')
			return bad_from(err, errlen, "holds a control character");
	f->name = s;
	f->name_len = 0;
	lt = strchr(s, '<');
	if (lt != NULL) {
		gt = strchr(lt, '>');
		if (gt == NULL || gt[1] != '\0' || memchr(s, '>', (size_t)(lt - s)) != NULL)
			return bad_from(err, errlen, "is not \"Name <address>\"");
		f->name_len = (size_t)(lt - s);
		trim(&f->name, &f->name_len);
		addr = lt + 1;
		n = (size_t)(gt - addr);
	}
	trim(&addr, &n);
	if (n > MAILFILE_ADDR_MAX)
		return bad_from(err, errlen, "address is too long");
	memcpy(f->addr, addr, n);
	f->addr[n] = '\0';
	if (mailfile_check_addr(f->addr) < 0)
		return bad_from(err, errlen, "address is not a bare local@domain");
	if (!utf8_valid((const unsigned char *)f->name, f->name_len))
		return bad_from(err, errlen, "display name is not UTF-8");
	return 0;
}

int mailfile_check_from(const char *from, char *err, size_t errlen)
{
	struct from f;

	if (from == NULL || *from == '\0')
		return bad_from(err, errlen, "is empty");
	return parse_from(from, &f, err, errlen);
}

int mailfile_from_addr(const char *from, char *out, size_t outlen)
{
	struct from f;

	if (from == NULL || *from == '\0' || parse_from(from, &f, NULL, 0) < 0)
		return -1;
	if (strlen(f.addr) >= outlen)
		return -1;
	memcpy(out, f.addr, strlen(f.addr) + 1);
	return 0;
}

static void put_base64(struct buf *b, const unsigned char *s, size_t n)
{
	static const char tab[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	unsigned long v;
	size_t i;

	for (i = 0; i + 2 < n; i += 3) {
		v = (unsigned long)s[i] << 16 | (unsigned long)s[i + 1] << 8 | s[i + 2];
		buf_putc(b, tab[v >> 18 & 63]);
		buf_putc(b, tab[v >> 12 & 63]);
		buf_putc(b, tab[v >> 6 & 63]);
		buf_putc(b, tab[v & 63]);
	}
	if (n - i == 0)
		return;
	v = (unsigned long)s[i] << 16 | (n - i == 2 ? (unsigned long)s[i + 1] << 8 : 0);
	buf_putc(b, tab[v >> 18 & 63]);
	buf_putc(b, tab[v >> 12 & 63]);
	buf_putc(b, n - i == 2 ? tab[v >> 6 & 63] : '=');
	buf_putc(b, '=');
}

/*
 * s[0..n) (valid UTF-8) as RFC 2047 encoded words of at most WORD_BYTES
 * bytes each, never splitting a character, folded with CRLF SP.
 */
static void put_words(struct buf *b, const char *s, size_t n)
{
	size_t i = 0, k;

	while (i < n) {
		k = n - i < WORD_BYTES ? n - i : WORD_BYTES;
		while (k > 1 && i + k < n && ((unsigned char)s[i + k] & 0xC0) == 0x80)
			k--;
		if (i > 0)
			buf_puts(b, "\r\n ");
		buf_puts(b, "=?UTF-8?B?");
		put_base64(b, (const unsigned char *)s + i, k);
		buf_puts(b, "?=");
		i += k;
	}
}

/* Does a header text need encoded words (non-ASCII, control, "=?", long)? */
static int needs_words(const char *s, size_t n)
{
	size_t i;

	if (n > 900)
		return 1;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] >= 0x80 || is_ctl((unsigned char)s[i]) ||
		    (s[i] == '=' && i + 1 < n && s[i + 1] == '?'))
			return 1;
	return 0;
}

static void put_display_name(struct buf *b, const char *s, size_t n)
{
	size_t i;

	if (needs_words(s, n)) {
		if (n >= 2 && s[0] == '"' && s[n - 1] == '"')
			s++, n -= 2;
		put_words(b, s, n);
		return;
	}
	if ((n >= 2 && s[0] == '"' && s[n - 1] == '"') || strcspn(s, "()<>[]:;@\\,.\"") >= n) {
		buf_append(b, s, n);
		return;
	}
	buf_putc(b, '"');
	for (i = 0; i < n; i++) {
		if (s[i] == '"' || s[i] == '\\')
			buf_putc(b, '\\');
		buf_putc(b, s[i]);
	}
	buf_putc(b, '"');
}

static void put_from(struct buf *b, const struct from *f)
{
	buf_puts(b, "From: ");
	if (f->name_len == 0) {
		buf_printf(b, "%s\r\n", f->addr);
		return;
	}
	put_display_name(b, f->name, f->name_len);
	/* Encoded words fill their line: the address goes on the next one. */
	buf_printf(b, "%s<%s>\r\n", needs_words(f->name, f->name_len) ? "\r\n " : " ", f->addr);
}

static void put_date(struct buf *b, long long t)
{
	static const char *const days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
	static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	                                     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL) {
		tt = 0;
		gmtime_r(&tt, &tm);
	}
	buf_printf(b, "Date: %s, %02d %s %04d %02d:%02d:%02d +0000\r\n", days[tm.tm_wday],
	           tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
	           tm.tm_sec);
}

/* Length of the line at s (without its break); *brk = the break's length. */
static size_t line_len(const char *s, size_t *brk)
{
	size_t n = strcspn(s, "\r\n");

	*brk = s[n] == '\0' ? 0 : (s[n] == '\r' && s[n + 1] == '\n') ? 2 : 1;
	return n;
}

static int is_ascii(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s >= 0x80)
			return 0;
	return 1;
}

/* Can s go out as it is: UTF-8 (ASCII when seven_bit), short lines, no
 * boundary delimiter inside? */
static int fits_8bit(const char *s, const char *boundary, int seven_bit)
{
	size_t n, brk;
	const char *p;

	if (seven_bit ? !is_ascii(s) : !utf8_valid((const unsigned char *)s, strlen(s)))
		return 0;
	if (boundary != NULL && strstr(s, boundary) != NULL)
		return 0;
	for (p = s; *p != '\0'; p += n + brk)
		if ((n = line_len(p, &brk)) > MAX_8BIT_LINE)
			return 0;
	return 1;
}

static void put_8bit(struct buf *b, const char *s)
{
	size_t n, brk;

	for (; *s != '\0'; s += n + brk) {
		n = line_len(s, &brk);
		buf_append(b, s, n);
		buf_puts(b, "\r\n");
	}
}

static void put_qp_line(struct buf *b, const unsigned char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i, col = 0, w;
	int lit;

	for (i = 0; i < n; i++) {
		lit = (s[i] >= 33 && s[i] <= 126 && s[i] != '=') ||
		      ((s[i] == ' ' || s[i] == '\t') && i + 1 < n);
		w = lit ? 1 : 3;
		if (col + w > QP_MAX_COL) {
			buf_puts(b, "=\r\n");
			col = 0;
		}
		if (lit) {
			buf_putc(b, (char)s[i]);
		} else {
			buf_putc(b, '=');
			buf_putc(b, hex[s[i] >> 4]);
			buf_putc(b, hex[s[i] & 15]);
		}
		col += w;
	}
	buf_puts(b, "\r\n");
}

static void put_qp(struct buf *b, const char *s)
{
	size_t n, brk;

	for (; *s != '\0'; s += n + brk) {
		n = line_len(s, &brk);
		put_qp_line(b, (const unsigned char *)s, n);
	}
}

/* Content-Type and -Transfer-Encoding, blank line, body. */
static void put_part(struct buf *b, const char *type, const char *body, const char *boundary,
                     int seven_bit)
{
	int eight = fits_8bit(body, boundary, seven_bit);

	buf_printf(b, "Content-Type: %s; charset=utf-8\r\nContent-Transfer-Encoding: %s\r\n\r\n",
	           type,
	           !eight      ? "quoted-printable"
	           : seven_bit ? "7bit"
	                       : "8bit");
	if (eight)
		put_8bit(b, body);
	else
		put_qp(b, body);
}

static int id_ok(const char *id)
{
	size_t n = id ? strspn(id, "0123456789abcdefABCDEF-") : 0;

	return n > 0 && n <= ID_MAX && id[n] == '\0';
}

static enum mailfile_err check_msg(const struct mailfile_msg *m, char *err, size_t errlen)
{
	size_t n;

	if (!id_ok(m->id))
		return fail(err, errlen, MAILFILE_INVALID, "bad message id");
	if (mailfile_check_addr(m->to) < 0)
		return fail(err, errlen, MAILFILE_INVALID, "recipient is not a bare ASCII address");
	if (m->subject == NULL || m->body_text == NULL)
		return fail(err, errlen, MAILFILE_INVALID, "no subject or body");
	n = strlen(m->subject);
	if (strpbrk(m->subject, "\r\n") != NULL)
		return fail(err, errlen, MAILFILE_INVALID, "subject holds CR or LF");
	if (n > MAILFILE_SUBJECT_MAX || !utf8_valid((const unsigned char *)m->subject, n))
		return fail(err, errlen, MAILFILE_INVALID, "subject too long or not UTF-8");
	if (m->nredirect > MAILFILE_REDIRECT_MAX || (m->nredirect > 0 && m->redirect == NULL))
		return fail(err, errlen, MAILFILE_INVALID, "too many test-mode addresses");
	for (n = 0; n < m->nredirect; n++)
		if (mailfile_check_addr(m->redirect[n]) < 0)
			return fail(err, errlen, MAILFILE_INVALID,
			            "test-mode address %zu is not a bare ASCII address", n + 1);
	return MAILFILE_OK;
}

/* To: the recipient, or in test mode the test addresses (one per folded
 * line), the real recipient in X-Original-To: and the X-Test-Mode mark. */
static void put_to(struct buf *b, const struct mailfile_msg *m)
{
	size_t i;

	if (m->nredirect == 0) {
		buf_printf(b, "To: %s\r\n", m->to);
		return;
	}
	buf_puts(b, "To: ");
	for (i = 0; i < m->nredirect; i++)
		buf_printf(b, "%s%s", i > 0 ? ",\r\n " : "", m->redirect[i]);
	buf_printf(b, "\r\nX-Original-To: %s\r\nX-Test-Mode: on\r\n", m->to);
}

/* The subject, plain or as encoded words; in test mode after a plain
 * "[TEST]" (folded before encoded words, which decode to "[TEST] ..."). */
static void put_subject(struct buf *b, const struct mailfile_msg *m)
{
	size_t n = strlen(m->subject);
	int words = needs_words(m->subject, n);

	buf_puts(b, "Subject: ");
	if (m->nredirect > 0)
		buf_puts(b, words ? "[TEST]\r\n " : MAILFILE_TEST_PREFIX);
	if (words)
		put_words(b, m->subject, n);
	else
		buf_append(b, m->subject, n);
	buf_puts(b, "\r\n");
}

static void put_headers(struct buf *b, const struct from *f, const struct mailfile_msg *m)
{
	put_from(b, f);
	put_to(b, m);
	put_subject(b, m);
	put_date(b, m->created);
	buf_printf(b, "Message-ID: <%s@%s>\r\n", m->id, strchr(f->addr, '@') + 1);
	buf_puts(b, "MIME-Version: 1.0\r\nAuto-Submitted: auto-generated\r\n");
}

enum mailfile_err mailfile_render(struct buf *out, const char *from, const struct mailfile_msg *m,
                                  char *err, size_t errlen)
{
	char boundary[ID_MAX + 8];
	struct from f;
	enum mailfile_err e;

	if (from == NULL || parse_from(from, &f, err, errlen) < 0)
		return MAILFILE_INVALID;
	if ((e = check_msg(m, err, errlen)) != MAILFILE_OK)
		return e;
	put_headers(out, &f, m);
	if (m->body_html == NULL) {
		put_part(out, "text/plain", m->body_text, NULL, m->seven_bit);
	} else {
		/* "=_" never occurs in quoted-printable; 8bit parts are checked. */
		snprintf(boundary, sizeof(boundary), "--=_%s", m->id);
		buf_printf(out, "Content-Type: multipart/alternative; boundary=\"%s\"\r\n\r\n",
		           boundary + 2);
		buf_printf(out, "%s\r\n", boundary);
		put_part(out, "text/plain", m->body_text, boundary, m->seven_bit);
		buf_printf(out, "%s\r\n", boundary);
		put_part(out, "text/html", m->body_html, boundary, m->seven_bit);
		buf_printf(out, "%s--\r\n", boundary);
	}
	if (buf_cstr(out) == NULL)
		return fail(err, errlen, MAILFILE_NOMEM, "out of memory");
	return MAILFILE_OK;
}

char *mailfile_name(struct arena *a, const struct mailfile_msg *m)
{
	time_t t = (time_t)m->created;
	long usec = m->created_usec >= 0 && m->created_usec < 1000000 ? m->created_usec : 0;
	struct tm tm;

	if (!id_ok(m->id) || gmtime_r(&t, &tm) == NULL)
		return NULL;
	return arena_printf(a, "%04d%02d%02dT%02d%02d%02d.%06ldZ-%s.eml", tm.tm_year + 1900,
	                    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, usec,
	                    m->id);
}

static int write_all(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Make a rename in dir durable. */
static int sync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc;

	if (fd < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

/* Write data to tmp (already created as fd), then rename it to path. */
static enum mailfile_err publish(int fd, const char *tmp, const char *path, const char *dir,
                                 const struct buf *b, char *err, size_t errlen)
{
	if (write_all(fd, b->data, b->len) < 0 || fsync(fd) < 0)
		return fail(err, errlen, MAILFILE_IO, "write %s: %s", tmp, strerror(errno));
	if (rename(tmp, path) < 0)
		return fail(err, errlen, MAILFILE_IO, "rename to %s: %s", path, strerror(errno));
	if (sync_dir(dir) < 0)
		return fail(err, errlen, MAILFILE_IO, "fsync %s: %s", dir, strerror(errno));
	return MAILFILE_OK;
}

enum mailfile_err mailfile_write(const char *dir, const char *from, const struct mailfile_msg *m,
                                 struct arena *a, const char **name, char *err, size_t errlen)
{
	struct buf b;
	char *fname, *path, *tmp;
	enum mailfile_err e;
	int fd;

	buf_init(&b, a);
	if ((e = mailfile_render(&b, from, m, err, errlen)) != MAILFILE_OK)
		return e;
	fname = mailfile_name(a, m);
	path = fname ? arena_printf(a, "%s/%s", dir, fname) : NULL;
	tmp = fname ? arena_printf(a, "%s/.%s.XXXXXX", dir, fname) : NULL;
	if (path == NULL || tmp == NULL)
		return fail(err, errlen, MAILFILE_NOMEM, "out of memory");
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return fail(err, errlen, MAILFILE_IO, "create a file in %s: %s", dir,
		            strerror(errno));
	e = publish(fd, tmp, path, dir, &b, err, errlen);
	close(fd);
	if (e != MAILFILE_OK)
		unlink(tmp); /* fails harmlessly when the rename happened */
	else if (name != NULL)
		*name = fname;
	return e;
}

/*
 * test_outbox.c -- unit tests of the pure parts of the email outbox: the
 * RFC 5322 writer (lib/mailfile.c: headers, RFC 2047 subjects, 8bit and
 * quoted-printable bodies, multipart/alternative, refusal of CR/LF and
 * other header injection, the email test mode's headers and subject, the
 * 7-bit bodies sent by SMTP, the atomic .eml write into a temporary
 * directory leaving no temporary file), the retry backoff and its jitter
 * (lib/outbox.c), the SMTP URL (lib/smtp.c) and the mail counters'
 * Prometheus text (lib/mail_metrics.c). The queue's SQL is tested against
 * the real stack in tests/integration/outbox.test.mjs, SMTP delivery in
 * tests/mail/smtp.test.mjs.
 */
#include <dirent.h>
#include <math.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "arena.h"
#include "buf.h"
#include "mail_metrics.h"
#include "mailfile.h"
#include "outbox.h"
#include "smtp.h"
#include "suites.h"

#define FROM "Scholarships <no-reply@uni.example.edu>"
#define ID "0b8f3a52-6c1e-4c53-9d1e-2f4a8e7b9c10"
#define ZH_SUBJECT "獎學金申請已收到：請確認您的電子郵件地址"

static struct arena arena;
static char err[256];

static void setup(void)
{
	arena_init(&arena, 0);
	err[0] = '\0';
}

static void teardown(void)
{
	arena_free(&arena);
}

static struct mailfile_msg msg(const char *to, const char *subject, const char *body)
{
	struct mailfile_msg m = {
	    .id = ID,
	    .to = to,
	    .subject = subject,
	    .body_text = body,
	    .created = 1700000000, /* Tue, 14 Nov 2023 22:13:20 UTC */
	    .created_usec = 123,
	};
	return m;
}

/* Render m; fail the test unless it renders. */
static const char *render(const struct mailfile_msg *m)
{
	struct buf b;
	enum mailfile_err e;

	buf_init(&b, &arena);
	e = mailfile_render(&b, FROM, m, err, sizeof(err));
	ck_assert_msg(e == MAILFILE_OK, "render: %d %s", e, err);
	return buf_cstr(&b);
}

static enum mailfile_err render_err(const struct mailfile_msg *m)
{
	struct buf b;

	buf_init(&b, &arena);
	return mailfile_render(&b, FROM, m, err, sizeof(err));
}

/* The header block (up to the blank line) and the body after it. */
static const char *body_of(const char *s)
{
	const char *p = strstr(s, "\r\n\r\n");

	ck_assert_ptr_nonnull(p);
	return p + 4;
}

/* Every line ends in CRLF and is at most max bytes long. */
static void assert_lines(const char *s, size_t max)
{
	const char *p;
	size_t n;

	for (; *s != '\0'; s = p + 2) {
		p = strstr(s, "\r\n");
		ck_assert_msg(p != NULL, "unterminated last line: \"%s\"", s);
		n = (size_t)(p - s);
		ck_assert_msg(memchr(s, '\n', n) == NULL && memchr(s, '\r', n) == NULL,
		              "bare CR or LF in \"%.*s\"", (int)n, s);
		ck_assert_msg(n <= max, "line of %zu bytes: \"%.*s\"", n, (int)n, s);
	}
}

static int b64val(char c)
{
	const char *t = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const char *p = strchr(t, c);

	return c != '\0' && p != NULL ? (int)(p - t) : -1;
}

/* Decode the encoded words of a header value (all must be =?UTF-8?B?...?=). */
static char *decode_words(const char *v)
{
	char *out = arena_alloc(&arena, strlen(v) + 1), *o = out;
	const char *p = v, *end;
	unsigned long acc = 0;
	int bits = 0, x;

	while ((p = strstr(p, "=?UTF-8?B?")) != NULL) {
		p += 10;
		end = strstr(p, "?=");
		ck_assert_ptr_nonnull(end);
		ck_assert_msg(end - p + 12 <= 75, "encoded word too long");
		for (; p < end; p++) {
			if (*p == '=')
				continue;
			x = b64val(*p);
			ck_assert_int_ge(x, 0);
			acc = acc << 6 | (unsigned long)x;
			bits += 6;
			if (bits >= 8) {
				bits -= 8;
				*o++ = (char)(acc >> bits & 0xff);
			}
		}
		bits = 0;
		p = end + 2;
	}
	*o = '\0';
	return out;
}

/* The value of header name (unfolded), from the arena; NULL when absent. */
static char *header(const char *msgtext, const char *name)
{
	struct buf b;
	const char *p = msgtext, *eol, *hdr_end = strstr(msgtext, "\r\n\r\n");
	size_t n = strlen(name);

	buf_init(&b, &arena);
	for (; p < hdr_end; p = eol + 2) {
		eol = strstr(p, "\r\n");
		if (strncasecmp(p, name, n) == 0 && p[n] == ':') {
			p += n + 1;
			while (*p == ' ')
				p++;
			for (;;) {
				buf_append(&b, p, (size_t)(eol - p));
				if (eol[2] != ' ' && eol[2] != '\t')
					break;
				p = eol + 2;
				eol = strstr(p, "\r\n");
			}
			return (char *)buf_cstr(&b);
		}
	}
	return NULL;
}

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* Decode quoted-printable with CRLF hard breaks back to LF. */
static char *decode_qp(const char *s)
{
	char *out = arena_alloc(&arena, strlen(s) + 1), *o = out;

	while (*s != '\0') {
		if (s[0] == '=' && s[1] == '\r' && s[2] == '\n') {
			s += 3;
		} else if (s[0] == '=') {
			ck_assert_msg(hexval(s[1]) >= 0 && hexval(s[2]) >= 0, "bad escape %.3s", s);
			*o++ = (char)(hexval(s[1]) << 4 | hexval(s[2]));
			s += 3;
		} else if (s[0] == '\r' && s[1] == '\n') {
			*o++ = '\n';
			s += 2;
		} else {
			*o++ = *s++;
		}
	}
	*o = '\0';
	return out;
}

START_TEST(plain_message_headers)
{
	struct mailfile_msg m =
	    msg("student@uni.example.edu", "Verify your email", "Hello,\nopen the link.\n");
	const char *s = render(&m);

	ck_assert_str_eq(header(s, "From"), FROM);
	ck_assert_str_eq(header(s, "To"), "student@uni.example.edu");
	ck_assert_str_eq(header(s, "Subject"), "Verify your email");
	ck_assert_str_eq(header(s, "Date"), "Tue, 14 Nov 2023 22:13:20 +0000");
	ck_assert_str_eq(header(s, "Message-ID"), "<" ID "@uni.example.edu>");
	ck_assert_str_eq(header(s, "MIME-Version"), "1.0");
	ck_assert_str_eq(header(s, "Content-Type"), "text/plain; charset=utf-8");
	ck_assert_str_eq(header(s, "Content-Transfer-Encoding"), "8bit");
	ck_assert_str_eq(header(s, "Auto-Submitted"), "auto-generated");
	ck_assert_ptr_null(header(s, "Bcc"));
	ck_assert_str_eq(body_of(s), "Hello,\r\nopen the link.\r\n");
	assert_lines(s, 78);
}
END_TEST

START_TEST(utf8_body_stays_8bit)
{
	struct mailfile_msg m = msg("a@b.example", "Hi", "您好，\r\n您的申請已收到。");
	const char *s = render(&m);

	ck_assert_str_eq(header(s, "Content-Transfer-Encoding"), "8bit");
	ck_assert_str_eq(body_of(s), "您好，\r\n您的申請已收到。\r\n");
}
END_TEST

START_TEST(chinese_subject_is_encoded)
{
	struct mailfile_msg m = msg("a@b.example", ZH_SUBJECT, "x");
	const char *s = render(&m);
	char *subj = header(s, "Subject");

	ck_assert_msg(strncmp(subj, "=?UTF-8?B?", 10) == 0, "not encoded: %s", subj);
	ck_assert_str_eq(decode_words(subj), ZH_SUBJECT);
	assert_lines(s, 76);
	ck_assert_ptr_null(memchr(s, 0xe7, strlen(s) - strlen(body_of(s)))); /* no raw UTF-8 */
}
END_TEST

START_TEST(long_subject_folds_at_characters)
{
	char subject[1000] = "";
	struct mailfile_msg m;
	const char *s;
	int i;

	for (i = 0; i < 30; i++)
		strcat(subject, "學a"); /* 4 bytes, so a 39-byte cut would split 學 */
	m = msg("a@b.example", subject, "x");
	s = render(&m);
	assert_lines(s, 76);
	ck_assert_str_eq(decode_words(header(s, "Subject")), subject);
}
END_TEST

START_TEST(ascii_subject_with_control_or_marker_is_encoded)
{
	struct mailfile_msg m = msg("a@b.example", "=?UTF-8?B?Zm9v?= tab\there", "x");
	const char *s = render(&m);

	ck_assert_str_eq(decode_words(header(s, "Subject")), "=?UTF-8?B?Zm9v?= tab\there");
}
END_TEST

START_TEST(crlf_in_subject_refused)
{
	static const char *const bad[] = {"Hi\r\nBcc: evil@x.example", "Hi\nBcc: x@y", "Hi\rX"};
	struct mailfile_msg m;
	size_t i;

	for (i = 0; i < NELEM(bad); i++) {
		m = msg("a@b.example", bad[i], "x");
		ck_assert_int_eq(render_err(&m), MAILFILE_INVALID);
		ck_assert_ptr_nonnull(strstr(err, "CR or LF"));
	}
}
END_TEST

START_TEST(bad_recipients_refused)
{
	static const char *const bad[] = {
	    "a@b.example\r\nBcc: evil@x.example",
	    "a@b.example\nBcc: evil@x.example",
	    "a@b.example, evil@x.example",
	    "Evil <evil@x.example>",
	    "a b@c.example",
	    "a@b@c.example",
	    "@b.example",
	    "a@",
	    "學生@uni.example.edu",
	    "a\"b@c.example",
	    "a@b.example;c@d.example",
	    "ab",
	    "",
	};
	struct mailfile_msg m;
	size_t i;

	for (i = 0; i < NELEM(bad); i++) {
		m = msg(bad[i], "Hi", "x");
		ck_assert_msg(render_err(&m) == MAILFILE_INVALID, "accepted \"%s\"", bad[i]);
		ck_assert_int_eq(mailfile_check_addr(bad[i]), -1);
	}
	ck_assert_int_eq(mailfile_check_addr("first.last+tag@uni.example.edu"), 0);
	m = msg(NULL, "Hi", "x");
	ck_assert_int_eq(render_err(&m), MAILFILE_INVALID);
}
END_TEST

START_TEST(from_checked_and_encoded)
{
	struct mailfile_msg m = msg("a@b.example", "Hi", "x");
	struct buf b;
	const char *s;

	ck_assert_int_eq(mailfile_check_from("no-reply@x.example", err, sizeof(err)), 0);
	ck_assert_int_eq(mailfile_check_from(FROM, err, sizeof(err)), 0);
	ck_assert_int_eq(mailfile_check_from("X <a@b>\r\nBcc: c@d", err, sizeof(err)), -1);
	ck_assert_int_eq(mailfile_check_from("X <a@b> trailing", err, sizeof(err)), -1);
	ck_assert_int_eq(mailfile_check_from("X <not an address>", err, sizeof(err)), -1);
	ck_assert_int_eq(mailfile_check_from("", err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "MAIL_FROM"));
	buf_init(&b, &arena);
	ck_assert_int_eq(
	    mailfile_render(&b, "獎學金辦公室 <office@uni.example.edu>", &m, err, sizeof(err)),
	    MAILFILE_OK);
	s = buf_cstr(&b);
	ck_assert_str_eq(decode_words(header(s, "From")), "獎學金辦公室");
	ck_assert_ptr_nonnull(strstr(header(s, "From"), "<office@uni.example.edu>"));
	ck_assert_str_eq(header(s, "Message-ID"), "<" ID "@uni.example.edu>");
	buf_init(&b, &arena);
	ck_assert_int_eq(
	    mailfile_render(&b, "Office, Scholarships <o@u.example>", &m, err, sizeof(err)),
	    MAILFILE_OK);
	ck_assert_str_eq(header(buf_cstr(&b), "From"), "\"Office, Scholarships\" <o@u.example>");
	buf_init(&b, &arena);
	ck_assert_int_eq(mailfile_render(&b, "X <a@b>\nBcc: c@d", &m, err, sizeof(err)),
	                 MAILFILE_INVALID);
}
END_TEST

START_TEST(long_line_body_is_quoted_printable)
{
	char body[3000];
	struct mailfile_msg m;
	const char *s;

	memset(body, 'a', 1500);
	strcpy(body + 1500, " =é end \nnext line \n");
	m = msg("a@b.example", "Hi", body);
	s = render(&m);
	ck_assert_str_eq(header(s, "Content-Transfer-Encoding"), "quoted-printable");
	assert_lines(s, 76);
	/* Trailing white space is encoded, so it survives transport. */
	ck_assert_ptr_nonnull(strstr(body_of(s), "next line=20\r\n"));
	ck_assert_str_eq(decode_qp(body_of(s)), body);
}
END_TEST

START_TEST(invalid_utf8_body_is_quoted_printable)
{
	struct mailfile_msg m = msg("a@b.example", "Hi", "bad \xff\xfe byte");
	const char *s = render(&m);

	ck_assert_str_eq(header(s, "Content-Transfer-Encoding"), "quoted-printable");
	ck_assert_str_eq(body_of(s), "bad =FF=FE byte\r\n");
}
END_TEST

static int count(const char *s, const char *needle)
{
	int n = 0;

	for (; (s = strstr(s, needle)) != NULL; s++)
		n++;
	return n;
}

START_TEST(html_makes_multipart_alternative)
{
	struct mailfile_msg m = msg("a@b.example", "Hi", "text part");
	const char *s, *body;

	m.body_html = "<p>html part</p>";
	s = render(&m);
	ck_assert_str_eq(header(s, "Content-Type"), "multipart/alternative; boundary=\"=_" ID "\"");
	body = body_of(s);
	ck_assert_str_eq(body, "--=_" ID "\r\n"
	                       "Content-Type: text/plain; charset=utf-8\r\n"
	                       "Content-Transfer-Encoding: 8bit\r\n\r\n"
	                       "text part\r\n"
	                       "--=_" ID "\r\n"
	                       "Content-Type: text/html; charset=utf-8\r\n"
	                       "Content-Transfer-Encoding: 8bit\r\n\r\n"
	                       "<p>html part</p>\r\n"
	                       "--=_" ID "--\r\n");
	/* A part that contains the boundary is quoted-printable, where "=_" cannot occur. */
	m.body_text = "sneaky\r\n--=_" ID "--\r\n";
	s = render(&m);
	ck_assert_ptr_nonnull(strstr(s, "Content-Transfer-Encoding: quoted-printable"));
	ck_assert_ptr_nonnull(strstr(s, "sneaky\r\n--=3D_" ID "--\r\n"));
	ck_assert_int_eq(count(s, "--=_" ID), 3); /* two openers and the closer */
}
END_TEST

START_TEST(render_out_of_memory)
{
	struct mailfile_msg m = msg("a@b.example", ZH_SUBJECT, "body");
	char big[5000];
	struct buf b;
	enum mailfile_err e;
	long n;

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	m.body_html = big; /* several buffer growths */
	for (n = 0;; n++) {
		arena_reset(&arena);
		buf_init(&b, &arena);
		arena_fail_after(&arena, n);
		e = mailfile_render(&b, FROM, &m, err, sizeof(err));
		if (e == MAILFILE_OK)
			break;
		ck_assert_int_eq(e, MAILFILE_NOMEM);
	}
	ck_assert_int_ge(n, 3);
}
END_TEST

START_TEST(file_name)
{
	struct mailfile_msg m = msg("a@b.example", "Hi", "x");

	ck_assert_str_eq(mailfile_name(&arena, &m), "20231114T221320.000123Z-" ID ".eml");
	m.id = "../../etc/passwd";
	ck_assert_ptr_null(mailfile_name(&arena, &m));
	m.id = "";
	ck_assert_ptr_null(mailfile_name(&arena, &m));
}
END_TEST

/* ---- the atomic write, in a temporary directory ---- */

static char dir[64];

static void dir_setup(void)
{
	setup();
	strcpy(dir, "/tmp/test-mailfile.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void dir_teardown(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char p[512];

	while (d != NULL && (e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.' && (e->d_name[1] == '\0' || strcmp(e->d_name, "..") == 0))
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
		unlink(p);
	}
	if (d != NULL)
		closedir(d);
	rmdir(dir);
	teardown();
}

/* Entries of dir (without . and ..), names joined by '|' into out. */
static int list_dir(char *out, size_t outlen)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	ck_assert_ptr_nonnull(d);
	out[0] = '\0';
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (n++ > 0)
			strncat(out, "|", outlen - strlen(out) - 1);
		strncat(out, e->d_name, outlen - strlen(out) - 1);
	}
	closedir(d);
	return n;
}

static char *slurp(const char *path)
{
	struct stat st;
	char *p;
	int fd = open(path, O_RDONLY);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fstat(fd, &st), 0);
	p = arena_alloc(&arena, (size_t)st.st_size + 1);
	ck_assert_int_eq(read(fd, p, (size_t)st.st_size), st.st_size);
	p[st.st_size] = '\0';
	close(fd);
	return p;
}

START_TEST(write_is_atomic_and_leaves_no_temp_file)
{
	struct mailfile_msg m = msg("a@b.example", ZH_SUBJECT, "body\n");
	const char *name = NULL;
	char names[512], path[512];
	struct stat st;

	ck_assert_int_eq(mailfile_write(dir, FROM, &m, &arena, &name, err, sizeof(err)),
	                 MAILFILE_OK);
	ck_assert_str_eq(name, "20231114T221320.000123Z-" ID ".eml");
	ck_assert_int_eq(list_dir(names, sizeof(names)), 1);
	ck_assert_str_eq(names, name);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	ck_assert_str_eq(slurp(path), render(&m));
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0600); /* mail carries one-time links */
	/* Written again (a retry after a crash): still one file. */
	ck_assert_int_eq(mailfile_write(dir, FROM, &m, &arena, NULL, err, sizeof(err)),
	                 MAILFILE_OK);
	ck_assert_int_eq(list_dir(names, sizeof(names)), 1);
}
END_TEST

START_TEST(refused_message_writes_nothing)
{
	struct mailfile_msg m = msg("a@b.example\r\nBcc: evil@x.example", "Hi", "x");
	char names[512];

	ck_assert_int_eq(mailfile_write(dir, FROM, &m, &arena, NULL, err, sizeof(err)),
	                 MAILFILE_INVALID);
	m = msg("a@b.example", "Hi\r\nBcc: evil@x.example", "x");
	ck_assert_int_eq(mailfile_write(dir, FROM, &m, &arena, NULL, err, sizeof(err)),
	                 MAILFILE_INVALID);
	ck_assert_int_eq(list_dir(names, sizeof(names)), 0);
}
END_TEST

START_TEST(missing_directory_is_transient)
{
	struct mailfile_msg m = msg("a@b.example", "Hi", "x");
	char missing[128], names[512];

	snprintf(missing, sizeof(missing), "%s/no/such/dir", dir);
	ck_assert_int_eq(mailfile_write(missing, FROM, &m, &arena, NULL, err, sizeof(err)),
	                 MAILFILE_IO);
	ck_assert_ptr_nonnull(strstr(err, "No such file"));
	ck_assert_int_eq(list_dir(names, sizeof(names)), 0);
}
END_TEST

START_TEST(write_out_of_memory_leaves_nothing)
{
	struct mailfile_msg m = msg("a@b.example", "Hi", "x");
	char names[512];
	long n;
	enum mailfile_err e;

	for (n = 0;; n++) {
		arena_reset(&arena);
		arena_fail_after(&arena, n);
		e = mailfile_write(dir, FROM, &m, &arena, NULL, err, sizeof(err));
		if (e == MAILFILE_OK)
			break;
		ck_assert_msg(e == MAILFILE_NOMEM, "n=%ld: %d", n, e);
		ck_assert_int_eq(list_dir(names, sizeof(names)), 0);
	}
	ck_assert_int_ge(n, 2);
	ck_assert_int_eq(list_dir(names, sizeof(names)), 1);
}
END_TEST

/* ---- the email test mode and SMTP's 7-bit bodies ---- */

static const char *const qa[] = {"qa1@test.example.edu", "qa2@test.example.edu"};

START_TEST(test_mode_redirects_and_marks)
{
	struct mailfile_msg m = msg("student@uni.example.edu", "Award offered", "x");
	const char *s;

	m.redirect = qa;
	m.nredirect = 2;
	s = render(&m);
	ck_assert_str_eq(header(s, "To"), "qa1@test.example.edu, qa2@test.example.edu");
	ck_assert_ptr_nonnull(strstr(s, "To: qa1@test.example.edu,\r\n qa2@test.example.edu\r\n"));
	ck_assert_str_eq(header(s, "X-Original-To"), "student@uni.example.edu");
	ck_assert_str_eq(header(s, "X-Test-Mode"), "on");
	ck_assert_str_eq(header(s, "Subject"), "[TEST] Award offered");
	ck_assert_int_eq(count(s, "student@uni.example.edu"), 1); /* only X-Original-To */
	assert_lines(s, 78);
	/* One address: no folding. */
	m.nredirect = 1;
	s = render(&m);
	ck_assert_str_eq(header(s, "To"), "qa1@test.example.edu");
	/* Off: none of it. */
	m.nredirect = 0;
	s = render(&m);
	ck_assert_str_eq(header(s, "To"), "student@uni.example.edu");
	ck_assert_ptr_null(header(s, "X-Original-To"));
	ck_assert_ptr_null(header(s, "X-Test-Mode"));
	ck_assert_str_eq(header(s, "Subject"), "Award offered");
}
END_TEST

START_TEST(test_mode_prefix_before_encoded_words)
{
	struct mailfile_msg m = msg("student@uni.example.edu", ZH_SUBJECT, "x");
	const char *s;
	char *subj;

	m.redirect = qa;
	m.nredirect = 2;
	s = render(&m);
	subj = header(s, "Subject");
	/* "[TEST]", folding white space, then the words: decodes to "[TEST] ..." */
	ck_assert_ptr_nonnull(strstr(s, "Subject: [TEST]\r\n =?UTF-8?B?"));
	ck_assert_msg(strncmp(subj, "[TEST] =?UTF-8?B?", 17) == 0, "%s", subj);
	ck_assert_str_eq(decode_words(subj), ZH_SUBJECT);
	assert_lines(s, 76);
}
END_TEST

START_TEST(test_mode_addresses_are_checked)
{
	static const char *const bad[] = {
	    "qa@test.example.edu\r\nBcc: evil@x.example",
	    "qa@test.example.edu, evil@x.example",
	    "QA <qa@test.example.edu>",
	    "",
	    "測試@test.example.edu",
	};
	const char *one[1];
	const char *many[MAILFILE_REDIRECT_MAX + 1];
	struct mailfile_msg m = msg("student@uni.example.edu", "Hi", "x");
	size_t i;

	m.redirect = one;
	m.nredirect = 1;
	for (i = 0; i < NELEM(bad); i++) {
		one[0] = bad[i];
		ck_assert_int_eq(render_err(&m), MAILFILE_INVALID);
		ck_assert_ptr_nonnull(strstr(err, "test-mode address"));
	}
	for (i = 0; i < NELEM(many); i++)
		many[i] = "qa@test.example.edu";
	m.redirect = many;
	m.nredirect = NELEM(many);
	ck_assert_int_eq(render_err(&m), MAILFILE_INVALID);
	m.nredirect = MAILFILE_REDIRECT_MAX;
	ck_assert_int_eq(render_err(&m), MAILFILE_OK);
}
END_TEST

START_TEST(seven_bit_bodies_for_smtp)
{
	struct mailfile_msg m = msg("a@b.example", "Hi", "您好，\r\n您的申請已收到。");
	const char *s, *qp, *end;
	size_t i;

	m.seven_bit = 1;
	m.body_html = "<p>plain ASCII</p>";
	s = render(&m);
	for (i = 0; s[i] != '\0'; i++)
		ck_assert_msg((unsigned char)s[i] < 0x80, "byte %zu is 0x%02x", i,
		              (unsigned char)s[i]);
	ck_assert_ptr_nonnull(strstr(s, "Content-Type: text/plain; charset=utf-8\r\n"
	                                "Content-Transfer-Encoding: quoted-printable\r\n"));
	ck_assert_ptr_nonnull(
	    strstr(s, "Content-Type: text/html; charset=utf-8\r\n"
	              "Content-Transfer-Encoding: 7bit\r\n\r\n<p>plain ASCII</p>\r\n"));
	qp = strstr(s, "quoted-printable\r\n\r\n") + 20;
	end = strstr(qp, "--=_" ID);
	ck_assert_ptr_nonnull(end);
	ck_assert_str_eq(decode_qp(arena_strndup(&arena, qp, (size_t)(end - qp))),
	                 "您好，\n您的申請已收到。\n");
}
END_TEST

START_TEST(from_address_for_the_envelope)
{
	char a[MAILFILE_ADDR_MAX + 1];

	ck_assert_int_eq(mailfile_from_addr(FROM, a, sizeof(a)), 0);
	ck_assert_str_eq(a, "no-reply@uni.example.edu");
	ck_assert_int_eq(mailfile_from_addr("office@uni.example.edu", a, sizeof(a)), 0);
	ck_assert_str_eq(a, "office@uni.example.edu");
	ck_assert_int_eq(mailfile_from_addr("獎學金 <x@uni.example.edu>", a, sizeof(a)), 0);
	ck_assert_str_eq(a, "x@uni.example.edu");
	ck_assert_int_eq(mailfile_from_addr("Office <not an address>", a, sizeof(a)), -1);
	ck_assert_int_eq(mailfile_from_addr("", a, sizeof(a)), -1);
	ck_assert_int_eq(mailfile_from_addr(FROM, a, 5), -1);
}
END_TEST

/* ---- retry backoff ---- */

START_TEST(backoff_doubles_and_caps)
{
	struct outbox_policy p = OUTBOX_POLICY_DEFAULT;

	p.retry_base = 60;
	p.retry_max = 3600;
	ck_assert_int_eq(outbox_backoff(&p, 0), 60);
	ck_assert_int_eq(outbox_backoff(&p, 1), 60);
	ck_assert_int_eq(outbox_backoff(&p, 2), 120);
	ck_assert_int_eq(outbox_backoff(&p, 3), 240);
	ck_assert_int_eq(outbox_backoff(&p, 6), 1920);
	ck_assert_int_eq(outbox_backoff(&p, 7), 3600);
	ck_assert_int_eq(outbox_backoff(&p, 1000000), 3600);
	p.retry_max = 0; /* no cap: still no overflow */
	ck_assert_int_gt(outbox_backoff(&p, 1000000), 0);
	p.retry_base = 0;
	p.retry_max = 10;
	ck_assert_int_eq(outbox_backoff(&p, 1), 1);
}
END_TEST

START_TEST(jitter_stays_within_a_quarter)
{
	struct outbox_policy p = OUTBOX_POLICY_DEFAULT;
	double d, lo = 1e9, hi = 0, u;
	long n;
	int i;

	p.retry_base = 60;
	p.retry_max = 3600;
	for (n = 1; n <= 10; n++) {
		long b = outbox_backoff(&p, n);
		ck_assert(outbox_retry_delay(&p, n, 0.0) == (double)b);
		ck_assert(outbox_retry_delay(&p, n, 0.5) == b * 1.125);
		d = outbox_retry_delay(&p, n, 0.9999999);
		ck_assert_msg(d >= b && d < b * 1.25, "attempt %ld: %f", n, d);
		/* Out-of-range u is clamped, never outside the bounds. */
		ck_assert(outbox_retry_delay(&p, n, -3.0) == (double)b);
		d = outbox_retry_delay(&p, n, 7.0);
		ck_assert(d >= b && d < b * 1.25);
		d = outbox_retry_delay(&p, n, NAN);
		ck_assert(d == (double)b);
	}
	/* Spread: many draws fill [b, 1.25 b) from end to end. */
	for (i = 0; i < 2000; i++) {
		u = (double)(rand() % 1000000) / 1000000.0;
		d = outbox_retry_delay(&p, 3, u);
		ck_assert(d >= 240.0 && d < 300.0);
		lo = d < lo ? d : lo;
		hi = d > hi ? d : hi;
	}
	ck_assert_msg(lo < 245.0 && hi > 295.0, "spread %f..%f", lo, hi);
}
END_TEST

/* ---- SMTP URL ---- */

START_TEST(smtp_url_forms)
{
	char u[300];

	ck_assert_int_eq(
	    smtp_url(u, sizeof(u), "smtp.example.edu", 587, "worker1", err, sizeof(err)), 0);
	ck_assert_str_eq(u, "smtp://smtp.example.edu:587/worker1");
	ck_assert_int_eq(smtp_url(u, sizeof(u), "smtp.example.edu", 465, "w", err, sizeof(err)), 0);
	ck_assert_str_eq(u, "smtps://smtp.example.edu:465/w");
	ck_assert_int_eq(smtp_url(u, sizeof(u), "127.0.0.1", 2525, NULL, err, sizeof(err)), 0);
	ck_assert_str_eq(u, "smtp://127.0.0.1:2525/localhost");
	ck_assert_int_eq(smtp_url(u, sizeof(u), "::1", 25, "h", err, sizeof(err)), 0);
	ck_assert_str_eq(u, "smtp://[::1]:25/h");
	ck_assert_int_eq(smtp_url(u, sizeof(u), "[2001:db8::1]", 25, "h", err, sizeof(err)), 0);
	ck_assert_str_eq(u, "smtp://[2001:db8::1]:25/h");
}
END_TEST

START_TEST(smtp_url_refuses_what_is_not_a_host)
{
	static const char *const bad[] = {
	    "",
	    "user:pw@smtp.example.edu",
	    "smtp.example.edu/evil",
	    "smtp.example.edu?x",
	    "smtp example",
	    "smtp.example.edu\r\n",
	    "smtp.example.edu#",
	    "[::1",
	};
	char u[300];
	size_t i;

	for (i = 0; i < NELEM(bad); i++) {
		err[0] = '\0';
		ck_assert_msg(smtp_url(u, sizeof(u), bad[i], 25, "h", err, sizeof(err)) == -1, "%s",
		              bad[i]);
		ck_assert_ptr_nonnull(strstr(err, "SMTP_HOST"));
	}
	ck_assert_int_eq(smtp_url(u, sizeof(u), "smtp.example.edu", 0, "h", err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "SMTP_PORT"));
	ck_assert_int_eq(smtp_url(u, 10, "smtp.example.edu", 25, "h", err, sizeof(err)), -1);
}
END_TEST

/* ---- mail counters ---- */

START_TEST(mail_metrics_histogram)
{
	struct mail_metrics m;
	struct buf b;
	const char *s;

	memset(&m, 0, sizeof(m));
	ck_assert_int_eq(mail_metrics_dirty(&m), 0);
	mail_metrics_observe(&m, MAIL_METRIC_SENT, 0.01);
	mail_metrics_observe(&m, MAIL_METRIC_SENT, 0.05); /* le is inclusive */
	mail_metrics_observe(&m, MAIL_METRIC_RETRY, 0.3);
	mail_metrics_observe(&m, MAIL_METRIC_FAILED, 42.0);
	mail_metrics_observe(&m, MAIL_METRIC_SENT, -1.0); /* a clock step: counted as 0 */
	ck_assert_int_eq(mail_metrics_dirty(&m), 1);
	ck_assert_int_eq(m.sent, 3);
	ck_assert_int_eq(m.retries, 1);
	ck_assert_int_eq(m.failed, 1);
	ck_assert_int_eq(m.buckets[0], 3);
	ck_assert_int_eq(m.buckets[3], 1);
	ck_assert_int_eq(m.buckets[MAIL_METRICS_NBOUNDS], 1);
	m.depth = 17;
	buf_init(&b, &arena);
	mail_metrics_format(&m, &b);
	s = buf_cstr(&b);
	ck_assert_ptr_nonnull(strstr(s, "# TYPE scholarship_mail_outbox_depth gauge\n"
	                                "scholarship_mail_outbox_depth 17\n"));
	ck_assert_ptr_nonnull(strstr(s, "# TYPE scholarship_mail_sent_total counter\n"
	                                "scholarship_mail_sent_total 3\n"));
	ck_assert_ptr_nonnull(strstr(s, "scholarship_mail_failed_total 1\n"));
	ck_assert_ptr_nonnull(strstr(s, "scholarship_mail_retries_total 1\n"));
	ck_assert_ptr_nonnull(
	    strstr(s, "# TYPE scholarship_mail_send_duration_seconds histogram\n"
	              "scholarship_mail_send_duration_seconds_bucket{le=\"0.05\"} 3\n"
	              "scholarship_mail_send_duration_seconds_bucket{le=\"0.1\"} 3\n"
	              "scholarship_mail_send_duration_seconds_bucket{le=\"0.25\"} 3\n"
	              "scholarship_mail_send_duration_seconds_bucket{le=\"0.5\"} 4\n"
	              "scholarship_mail_send_duration_seconds_bucket{le=\"1\"} 4\n"
	              "scholarship_mail_send_duration_seconds_bucket{le=\"2.5\"} 4\n"
	              "scholarship_mail_send_duration_seconds_bucket{le=\"5\"} 4\n"
	              "scholarship_mail_send_duration_seconds_bucket{le=\"10\"} 4\n"
	              "scholarship_mail_send_duration_seconds_bucket{le=\"+Inf\"} 5\n"
	              "scholarship_mail_send_duration_seconds_sum 42.360000\n"
	              "scholarship_mail_send_duration_seconds_count 5\n"));
}
END_TEST

Suite *outbox_suite(void)
{
	Suite *s = suite_create("outbox");
	TCase *render_tc = tcase_create("render");
	TCase *write_tc = tcase_create("write");
	TCase *retry_tc = tcase_create("backoff");
	TCase *smtp_tc = tcase_create("smtp");

	tcase_add_checked_fixture(render_tc, setup, teardown);
	tcase_add_test(render_tc, plain_message_headers);
	tcase_add_test(render_tc, utf8_body_stays_8bit);
	tcase_add_test(render_tc, chinese_subject_is_encoded);
	tcase_add_test(render_tc, long_subject_folds_at_characters);
	tcase_add_test(render_tc, ascii_subject_with_control_or_marker_is_encoded);
	tcase_add_test(render_tc, crlf_in_subject_refused);
	tcase_add_test(render_tc, bad_recipients_refused);
	tcase_add_test(render_tc, from_checked_and_encoded);
	tcase_add_test(render_tc, long_line_body_is_quoted_printable);
	tcase_add_test(render_tc, invalid_utf8_body_is_quoted_printable);
	tcase_add_test(render_tc, html_makes_multipart_alternative);
	tcase_add_test(render_tc, render_out_of_memory);
	tcase_add_test(render_tc, file_name);
	tcase_add_test(render_tc, test_mode_redirects_and_marks);
	tcase_add_test(render_tc, test_mode_prefix_before_encoded_words);
	tcase_add_test(render_tc, test_mode_addresses_are_checked);
	tcase_add_test(render_tc, seven_bit_bodies_for_smtp);
	tcase_add_test(render_tc, from_address_for_the_envelope);
	suite_add_tcase(s, render_tc);
	tcase_add_checked_fixture(write_tc, dir_setup, dir_teardown);
	tcase_add_test(write_tc, write_is_atomic_and_leaves_no_temp_file);
	tcase_add_test(write_tc, refused_message_writes_nothing);
	tcase_add_test(write_tc, missing_directory_is_transient);
	tcase_add_test(write_tc, write_out_of_memory_leaves_nothing);
	suite_add_tcase(s, write_tc);
	tcase_add_test(retry_tc, backoff_doubles_and_caps);
	tcase_add_test(retry_tc, jitter_stays_within_a_quarter);
	suite_add_tcase(s, retry_tc);
	tcase_add_checked_fixture(smtp_tc, setup, teardown);
	tcase_add_test(smtp_tc, smtp_url_forms);
	tcase_add_test(smtp_tc, smtp_url_refuses_what_is_not_a_host);
	tcase_add_test(smtp_tc, mail_metrics_histogram);
	suite_add_tcase(s, smtp_tc);
	return s;
}

/*
 * test_multipart.c -- unit tests of lib/multipart.c: a plain form, data
 * that looks like the start of a delimiter, every way of splitting a
 * message across feeds, empty parts, filename quoting, escapes and
 * filename*, transport padding, preamble and epilogue, header folding, the
 * errors (missing name, truncation, garbage after a boundary, bad header
 * lines, every limit), callback aborts, and mp_boundary().
 *
 * Each parse is recorded as one transcript string: "<name|filename|type>"
 * when a part begins ("-" for NULL), its data bytes as they arrive, "</>"
 * when it ends; consecutive data calls merge, so transcripts of the same
 * message fed in different pieces compare equal exactly when the parts
 * and bytes are the same.
 */
#include <stdio.h>
#include <string.h>

#include "multipart.h"
#include "suites.h"

#define B "AaB03x"

struct rec {
	char log[64 * 1024];
	size_t len;
	size_t data_bytes;
	int parts, ends;
	int abort_on_part, abort_on_data, abort_on_end; /* abort on the Nth call (1-based) */
	int data_calls;
};

static struct rec rec;
static struct mp_parser P;

static void add(const char *s, size_t n)
{
	ck_assert_uint_lt(rec.len + n, sizeof(rec.log));
	memcpy(rec.log + rec.len, s, n);
	rec.len += n;
	rec.log[rec.len] = '\0';
}

static void adds(const char *s)
{
	add(s != NULL ? s : "-", strlen(s != NULL ? s : "-"));
}

static int on_part(void *ud, const struct mp_part *p)
{
	struct rec *r = ud;

	r->parts++;
	adds("<");
	adds(p->name);
	adds("|");
	adds(p->filename);
	adds("|");
	adds(p->content_type);
	adds(">");
	return r->parts == r->abort_on_part;
}

static int on_data(void *ud, const char *data, size_t n)
{
	struct rec *r = ud;

	ck_assert_uint_gt(n, 0);
	r->data_calls++;
	r->data_bytes += n;
	add(data, n);
	return r->data_calls == r->abort_on_data;
}

static int on_part_end(void *ud)
{
	struct rec *r = ud;

	r->ends++;
	adds("</>");
	return r->ends == r->abort_on_end;
}

static const struct mp_callbacks cbs = {on_part, on_data, on_part_end};

static void setup(void)
{
	memset(&rec, 0, sizeof(rec));
	mp_init(&P, B, &cbs, &rec);
}

/* Parse msg[0..n) in one feed; the result of mp_finish (or of the feed,
 * when it fails). */
static int parse_n(const char *msg, size_t n)
{
	int rc = mp_feed(&P, msg, n);

	return rc != MP_OK ? rc : mp_finish(&P);
}

static int parse(const char *msg)
{
	return parse_n(msg, strlen(msg));
}

static void reset(void)
{
	memset(&rec, 0, sizeof(rec));
	mp_init(&P, B, &cbs, &rec);
}

#define CD "Content-Disposition: form-data; "

static const char two_fields[] = "--" B "\r\n" CD "name=\"a\"\r\n\r\n"
                                 "1\r\n--" B "\r\n" CD "name=\"b\"\r\n\r\n"
                                 "hello world\r\n--" B "--\r\n";

START_TEST(simple_two_fields)
{
	ck_assert_int_eq(parse(two_fields), MP_OK);
	ck_assert_str_eq(rec.log, "<a|-|->1</><b|-|->hello world</>");
	ck_assert_int_eq(rec.parts, 2);
	ck_assert_int_eq(rec.ends, 2);
	ck_assert_str_eq(mp_error(&P), "");
}
END_TEST

/* A file body with CRLF "--" and growing prefixes of the boundary, a
 * doubled CR before one, and a prefix right before the real delimiter. */
static const char near_miss[] = "preamble\r\n--" B "\r\n" CD "name=\"f\"; filename=\"a.bin\"\r\n"
                                "Content-Type: application/octet-stream\r\n\r\n"
                                "x\r\n--\r\n--A\r\n--AaB0\r\r\n--AaB03\r\n--AaB03y\r\n-\r\n--AaB03"
                                "\r\n--" B "--";

START_TEST(partial_boundary_is_data)
{
	ck_assert_int_eq(parse(near_miss), MP_OK);
	ck_assert_str_eq(rec.log,
	                 "<f|a.bin|application/octet-stream>"
	                 "x\r\n--\r\n--A\r\n--AaB0\r\r\n--AaB03\r\n--AaB03y\r\n-\r\n--AaB03"
	                 "</>");
}
END_TEST

/* Held-back bytes are delivered as soon as they turn out not to be a
 * delimiter, and no more than boundary length + 4 are ever held back. */
START_TEST(lookbehind_released_on_mismatch)
{
	static const char head[] = "--" B "\r\n" CD "name=\"f\"\r\n\r\n";

	ck_assert_int_eq(mp_feed(&P, head, strlen(head)), MP_OK);
	ck_assert_int_eq(mp_feed(&P, "abc", 3), MP_OK);
	ck_assert_uint_eq(rec.data_bytes, 3);
	ck_assert_int_eq(mp_feed(&P, "\r\n--AaB03", 9), MP_OK);
	ck_assert_uint_eq(rec.data_bytes, 3);
	ck_assert_uint_le(P.match, strlen(B) + 4);
	ck_assert_int_eq(mp_feed(&P, "Z", 1), MP_OK);
	ck_assert_uint_eq(rec.data_bytes, 13);
	ck_assert_str_eq(rec.log, "<f|-|->abc\r\n--AaB03Z");
}
END_TEST

/* A message exercising every state: preamble, padding, CRLF-rich data,
 * near misses, an empty part, a folded header, epilogue. */
static const char full[] = "ignored\r\n--AaB03\r\n--" B " \t\r\n" CD "name=\"t\"\r\n\r\n"
                           "line 1\r\nline 2\r\n\r\n--AaB\r\n"
                           "\r\n--" B "\r\n"
                           "Content-Disposition: form-data;\r\n\tname=\"f\";\r\n"
                           " filename=\"r.txt\"\r\nContent-Type:  text/plain \r\n\r\n"
                           "\r\r\n\r\n--\r\n--" B "\r\n" CD "name=\"e\"\r\n\r\n"
                           "\r\n--" B "--\r\nepilogue\r\n--" B "\r\n";
static const char full_log[] = "<t|-|->line 1\r\nline 2\r\n\r\n--AaB\r\n</>"
                               "<f|r.txt|text/plain>\r\r\n\r\n--</><e|-|-></>";

START_TEST(one_feed_reference)
{
	ck_assert_int_eq(parse(full), MP_OK);
	ck_assert_str_eq(rec.log, full_log);
}
END_TEST

START_TEST(every_two_way_split)
{
	size_t n = strlen(full), i;

	for (i = 0; i <= n; i++) {
		reset();
		ck_assert_int_eq(mp_feed(&P, full, i), MP_OK);
		ck_assert_uint_le(P.match, strlen(B) + 4);
		ck_assert_int_eq(mp_feed(&P, full + i, n - i), MP_OK);
		ck_assert_int_eq(mp_finish(&P), MP_OK);
		ck_assert_msg(strcmp(rec.log, full_log) == 0, "split at %zu", i);
	}
}
END_TEST

START_TEST(one_byte_at_a_time)
{
	size_t n = strlen(full), i;

	for (i = 0; i < n; i++) {
		ck_assert_int_eq(mp_feed(&P, full + i, 1), MP_OK);
		ck_assert_uint_le(P.match, strlen(B) + 4);
	}
	ck_assert_int_eq(mp_finish(&P), MP_OK);
	ck_assert_str_eq(rec.log, full_log);
}
END_TEST

START_TEST(empty_file_part)
{
	ck_assert_int_eq(parse("--" B "\r\n" CD "name=\"doc\"; filename=\"empty.pdf\"\r\n"
	                       "Content-Type: application/pdf\r\n\r\n"
	                       "\r\n--" B "--\r\n"),
	                 MP_OK);
	ck_assert_str_eq(rec.log, "<doc|empty.pdf|application/pdf></>");
	ck_assert_int_eq(rec.data_calls, 0);
}
END_TEST

START_TEST(empty_form)
{
	ck_assert_int_eq(parse("--" B "--\r\n"), MP_OK);
	ck_assert_int_eq(rec.parts, 0);
}
END_TEST

START_TEST(quoted_filename_escapes_kept_raw)
{
	ck_assert_int_eq(parse("--" B "\r\n" CD
	                       "name=\"doc\"; filename=\"C:\\\\x\\\\a \\\"q\\\".pdf\""
	                       "\r\n\r\n%PDF\r\n--" B "--"),
	                 MP_OK);
	ck_assert_str_eq(rec.log, "<doc|C:\\x\\a \"q\".pdf|->%PDF</>");
}
END_TEST

/* Old browsers send Windows paths unescaped: a backslash before anything
 * but a quote or a backslash is kept. */
START_TEST(unescaped_windows_path_kept)
{
	ck_assert_int_eq(
	    parse("--" B "\r\n" CD "name=doc; filename=\"C:\\x\\a.pdf\"\r\n\r\n\r\n--" B "--"),
	    MP_OK);
	ck_assert_str_eq(rec.log, "<doc|C:\\x\\a.pdf|-></>");
}
END_TEST

START_TEST(filename_ext_preferred)
{
	ck_assert_int_eq(parse("--" B "\r\n" CD "filename*=utf-8'en'%E2%82%ac%20rates.pdf; "
	                       "name=\"doc\"; filename=\"fallback.pdf\"\r\n\r\n\r\n--" B "--"),
	                 MP_OK);
	ck_assert_str_eq(rec.log, "<doc|\xE2\x82\xAC rates.pdf|-></>");
}
END_TEST

START_TEST(filename_ext_bad_escape)
{
	ck_assert_int_eq(
	    parse("--" B "\r\n" CD "name=doc; filename*=UTF-8''a%2\r\n\r\n\r\n--" B "--"),
	    MP_ERROR);
	ck_assert_int_eq(rec.parts, 0);
}
END_TEST

START_TEST(filename_ext_control_or_bad_utf8)
{
	ck_assert_int_eq(parse("--" B "\r\n" CD "name=doc; filename*=UTF-8''a%00b\r\n\r\n\r\n--" B),
	                 MP_ERROR);
	reset();
	ck_assert_int_eq(
	    parse("--" B "\r\n" CD "name=doc; filename*=UTF-8''a%0D%0A\r\n\r\n\r\n--" B), MP_ERROR);
	reset();
	ck_assert_int_eq(parse("--" B "\r\n" CD "name=doc; filename*=UTF-8''%C3\r\n\r\n\r\n--" B),
	                 MP_ERROR);
	reset();
	ck_assert_int_eq(parse("--" B "\r\n" CD "name=doc; filename*=latin1''%E9\r\n\r\n\r\n--" B),
	                 MP_ERROR);
}
END_TEST

START_TEST(missing_name)
{
	ck_assert_int_eq(parse("--" B "\r\n" CD "filename=\"a.txt\"\r\n\r\nx\r\n--" B "--"),
	                 MP_ERROR);
	ck_assert_str_eq(mp_error(&P), "a part has no name");
	ck_assert_int_eq(rec.parts, 0);
}
END_TEST

START_TEST(empty_name)
{
	ck_assert_int_eq(parse("--" B "\r\n" CD "name=\"\"\r\n\r\nx\r\n--" B "--"), MP_ERROR);
	ck_assert_int_eq(rec.parts, 0);
}
END_TEST

START_TEST(missing_or_wrong_disposition)
{
	ck_assert_int_eq(parse("--" B "\r\nContent-Type: text/plain\r\n\r\nx\r\n--" B "--"),
	                 MP_ERROR);
	ck_assert_str_eq(mp_error(&P), "a part has no Content-Disposition header");
	reset();
	ck_assert_int_eq(parse("--" B "\r\n\r\nx\r\n--" B "--"), MP_ERROR);
	reset();
	ck_assert_int_eq(
	    parse("--" B "\r\nContent-Disposition: attachment; name=a\r\n\r\nx\r\n--" B "--"),
	    MP_ERROR);
}
END_TEST

START_TEST(repeated_parameter_or_header)
{
	ck_assert_int_eq(parse("--" B "\r\n" CD "name=a; name=b\r\n\r\nx\r\n--" B "--"), MP_ERROR);
	reset();
	ck_assert_int_eq(parse("--" B "\r\n" CD "name=a\r\n" CD "name=b\r\n\r\nx\r\n--" B "--"),
	                 MP_ERROR);
	reset();
	ck_assert_int_eq(parse("--" B "\r\n" CD
	                       "name=a\r\nContent-Type: a/b\r\ncontent-type: c/d\r\n"
	                       "\r\nx\r\n--" B "--"),
	                 MP_ERROR);
}
END_TEST

START_TEST(header_names_case_insensitive)
{
	ck_assert_int_eq(parse("--" B "\r\nCONTENT-disposition: Form-Data; NAME=a\r\n"
	                       "X-Other: ignored\r\ncontent-TYPE:\t\r\n\r\nx\r\n--" B "--"),
	                 MP_OK);
	ck_assert_str_eq(rec.log, "<a|-|->x</>"); /* an empty Content-Type is NULL */
}
END_TEST

START_TEST(missing_closing_boundary)
{
	static const char msg[] = "--" B "\r\n" CD "name=\"a\"\r\n\r\nvalue\r\n--" B "\r\n";

	ck_assert_int_eq(mp_feed(&P, msg, strlen(msg)), MP_OK);
	ck_assert_int_eq(mp_finish(&P), MP_ERROR);
	ck_assert_ptr_nonnull(strstr(mp_error(&P), "truncated"));
	ck_assert_int_eq(rec.ends, 1);
}
END_TEST

START_TEST(truncated_in_data)
{
	static const char msg[] = "--" B "\r\n" CD "name=\"a\"\r\n\r\nvalue\r\n--" B "-";

	ck_assert_int_eq(mp_feed(&P, msg, strlen(msg)), MP_OK);
	ck_assert_int_eq(mp_finish(&P), MP_ERROR);
	ck_assert_int_eq(rec.ends, 0);
}
END_TEST

START_TEST(no_boundary_at_all)
{
	ck_assert_int_eq(mp_feed(&P, "name=a&b=c", 10), MP_OK);
	ck_assert_int_eq(mp_finish(&P), MP_ERROR);
	ck_assert_int_eq(rec.parts, 0);
}
END_TEST

START_TEST(garbage_after_boundary)
{
	ck_assert_int_eq(mp_feed(&P, "--" B "junk\r\n", strlen(B) + 8), MP_ERROR);
	ck_assert_str_eq(mp_error(&P), "a boundary followed by other text");
	reset();
	ck_assert_int_eq(parse("--" B "\r\n" CD "name=a\r\n\r\nx\r\n--" B "-x"), MP_ERROR);
	reset();
	ck_assert_int_eq(parse("--" B " \r \n" CD "name=a\r\n\r\nx\r\n--" B "--"), MP_ERROR);
}
END_TEST

START_TEST(bare_lf_or_cr_in_headers)
{
	ck_assert_int_eq(parse("--" B "\r\n" CD "name=a\n\r\nx\r\n--" B "--"), MP_ERROR);
	reset();
	ck_assert_int_eq(parse("--" B "\r\n" CD "name=a\rX\r\n\r\nx\r\n--" B "--"), MP_ERROR);
}
END_TEST

START_TEST(nul_in_headers)
{
	static const char msg[] = "--" B "\r\n" CD "name=\"a\0b\"\r\n\r\nx\r\n--" B "--";

	ck_assert_int_eq(parse_n(msg, sizeof(msg) - 1), MP_ERROR);
	ck_assert_int_eq(rec.parts, 0);
}
END_TEST

START_TEST(nul_in_data_is_data)
{
	static const char msg[] = "--" B "\r\n" CD "name=a\r\n\r\nx\0y\r\n--" B "--";

	ck_assert_int_eq(parse_n(msg, sizeof(msg) - 1), MP_OK);
	ck_assert_uint_eq(rec.data_bytes, 3);
}
END_TEST

/* A header block of exactly `total` bytes (its final empty line included). */
static int parse_header_block(size_t total)
{
	static char msg[MP_HEADER_MAX + 256];
	size_t pre = strlen("--" B "\r\n" CD "name=a\r\nX-Pad: "), n;

	n = (size_t)snprintf(msg, sizeof(msg), "--" B "\r\n" CD "name=a\r\nX-Pad: ");
	/* the header block is everything after the first CRLF */
	memset(msg + n, 'p', total - (pre - strlen("--" B "\r\n")) - 4);
	n += total - (pre - strlen("--" B "\r\n")) - 4;
	memcpy(msg + n, "\r\n\r\nx\r\n--" B "--", strlen("\r\n\r\nx\r\n--" B "--"));
	n += strlen("\r\n\r\nx\r\n--" B "--");
	return parse_n(msg, n);
}

START_TEST(header_block_at_limit)
{
	ck_assert_int_eq(parse_header_block(MP_HEADER_MAX), MP_OK);
	ck_assert_str_eq(rec.log, "<a|-|->x</>");
}
END_TEST

START_TEST(header_block_too_long)
{
	ck_assert_int_eq(parse_header_block(MP_HEADER_MAX + 1), MP_ERROR);
	ck_assert_str_eq(mp_error(&P), "part headers longer than 8192 bytes");
	ck_assert_int_eq(rec.parts, 0);
}
END_TEST

/* A part whose name is n bytes long. */
static int parse_name_len(size_t n)
{
	static char msg[MP_FIELD_MAX + 256];
	size_t len;

	len = (size_t)snprintf(msg, sizeof(msg), "--" B "\r\n" CD "name=\"");
	memset(msg + len, 'n', n);
	len += n;
	len += (size_t)snprintf(msg + len, sizeof(msg) - len, "\"\r\n\r\nx\r\n--" B "--");
	return parse_n(msg, len);
}

START_TEST(field_at_limit)
{
	ck_assert_int_eq(parse_name_len(MP_FIELD_MAX), MP_OK);
	ck_assert_int_eq(rec.parts, 1);
}
END_TEST

START_TEST(field_too_long)
{
	ck_assert_int_eq(parse_name_len(MP_FIELD_MAX + 1), MP_ERROR);
	ck_assert_int_eq(rec.parts, 0);
}
END_TEST

/* n parts named "p". */
static int parse_parts(int n)
{
	static char msg[4096];
	size_t len = 0;
	int i;

	for (i = 0; i < n; i++)
		len += (size_t)snprintf(msg + len, sizeof(msg) - len,
		                        "--" B "\r\n" CD "name=p\r\n\r\nv\r\n");
	len += (size_t)snprintf(msg + len, sizeof(msg) - len, "--" B "--");
	return parse_n(msg, len);
}

START_TEST(parts_at_limit)
{
	ck_assert_int_eq(parse_parts(MP_PARTS_MAX), MP_OK);
	ck_assert_int_eq(rec.parts, MP_PARTS_MAX);
}
END_TEST

START_TEST(too_many_parts)
{
	ck_assert_int_eq(parse_parts(MP_PARTS_MAX + 1), MP_ERROR);
	ck_assert_str_eq(mp_error(&P), "more than 32 parts");
	ck_assert_int_eq(rec.parts, MP_PARTS_MAX);
}
END_TEST

START_TEST(abort_in_on_part)
{
	rec.abort_on_part = 2;
	ck_assert_int_eq(mp_feed(&P, two_fields, strlen(two_fields)), MP_ABORTED);
	ck_assert_str_eq(rec.log, "<a|-|->1</><b|-|->");
	ck_assert_int_eq(mp_feed(&P, "x", 1), MP_ABORTED);
	ck_assert_int_eq(mp_finish(&P), MP_ABORTED);
}
END_TEST

START_TEST(abort_in_on_data)
{
	rec.abort_on_data = 1;
	ck_assert_int_eq(mp_feed(&P, two_fields, strlen(two_fields)), MP_ABORTED);
	ck_assert_str_eq(rec.log, "<a|-|->1");
}
END_TEST

START_TEST(abort_in_on_part_end)
{
	rec.abort_on_end = 1;
	ck_assert_int_eq(mp_feed(&P, two_fields, strlen(two_fields)), MP_ABORTED);
	ck_assert_str_eq(rec.log, "<a|-|->1</>");
}
END_TEST

START_TEST(error_is_sticky)
{
	ck_assert_int_eq(mp_feed(&P, "--" B "x", strlen(B) + 3), MP_ERROR);
	ck_assert_int_eq(mp_feed(&P, two_fields, strlen(two_fields)), MP_ERROR);
	ck_assert_int_eq(mp_finish(&P), MP_ERROR);
	ck_assert_int_eq(rec.parts, 0);
}
END_TEST

START_TEST(invalid_boundary_at_init)
{
	mp_init(&P, "bad\rboundary", &cbs, &rec);
	ck_assert_int_eq(mp_feed(&P, two_fields, strlen(two_fields)), MP_ERROR);
	mp_init(&P, "", &cbs, &rec);
	ck_assert_int_eq(mp_finish(&P), MP_ERROR);
}
END_TEST

START_TEST(null_callbacks)
{
	mp_init(&P, B, &(struct mp_callbacks){0}, NULL);
	ck_assert_int_eq(parse(full), MP_OK);
}
END_TEST

struct bcase {
	const char *ct;
	const char *want; /* NULL: -1 */
};

static const struct bcase bcases[] = {
    {"multipart/form-data; boundary=AaB03x", "AaB03x"},
    {"multipart/form-data; boundary=\"AaB03x\"", "AaB03x"},
    {"Multipart/Form-Data;BOUNDARY=\"a b:c\"; charset=utf-8", "a b:c"},
    {"multipart/form-data; charset=\"x;y\"; Boundary=----WebKitFormBoundary7MA4YWxkTrZu0gW",
     "----WebKitFormBoundary7MA4YWxkTrZu0gW"},
    {"multipart/form-data; boundary=\"0123456789012345678901234567890123456789012345678901234567"
     "890123456789\"",
     "0123456789012345678901234567890123456789012345678901234567890123456789"},
    {"multipart/form-data", NULL},
    {"multipart/form-data; charset=utf-8", NULL},
    {"multipart/form-data; boundary=", NULL},
    {"multipart/form-data; boundary=\"\"", NULL},
    {"multipart/form-data; boundary=\"0123456789012345678901234567890123456789012345678901234567"
     "8901234567890\"",
     NULL},
    {"multipart/form-data; boundary=\"ab\r\n\"", NULL},
    {"multipart/form-data; boundary=\"ab<c>\"", NULL},
    {"multipart/form-data; boundary=\"ab \"", NULL},
    {"multipart/form-data; boundary=\"ab", NULL},
    {"multipart/form-data; boundary=a; boundary=b", NULL},
    {"text/plain; boundary=AaB03x", NULL},
    {"multipart/mixed; boundary=AaB03x", NULL},
    {"", NULL},
};

START_TEST(boundary_param)
{
	const struct bcase *c = &bcases[_i];
	char out[MP_BOUNDARY_MAX + 1];

	if (c->want == NULL) {
		ck_assert_msg(mp_boundary(c->ct, out, sizeof(out)) == -1, "%s", c->ct);
		ck_assert_str_eq(out, "");
	} else {
		ck_assert_msg(mp_boundary(c->ct, out, sizeof(out)) == 0, "%s", c->ct);
		ck_assert_str_eq(out, c->want);
	}
}
END_TEST

START_TEST(boundary_out_too_small)
{
	char out[6];

	ck_assert_int_eq(mp_boundary("multipart/form-data; boundary=AaB03x", out, sizeof(out)), -1);
	ck_assert_int_eq(mp_boundary("multipart/form-data; boundary=AaB03", out, sizeof(out)), 0);
	ck_assert_str_eq(out, "AaB03");
	ck_assert_int_eq(mp_boundary(NULL, out, sizeof(out)), -1);
}
END_TEST

Suite *multipart_suite(void)
{
	Suite *s = suite_create("multipart");
	TCase *t = tcase_create("core");

	tcase_add_checked_fixture(t, setup, NULL);
	tcase_add_test(t, simple_two_fields);
	tcase_add_test(t, partial_boundary_is_data);
	tcase_add_test(t, lookbehind_released_on_mismatch);
	tcase_add_test(t, one_feed_reference);
	tcase_add_test(t, every_two_way_split);
	tcase_add_test(t, one_byte_at_a_time);
	tcase_add_test(t, empty_file_part);
	tcase_add_test(t, empty_form);
	tcase_add_test(t, quoted_filename_escapes_kept_raw);
	tcase_add_test(t, unescaped_windows_path_kept);
	tcase_add_test(t, filename_ext_preferred);
	tcase_add_test(t, filename_ext_bad_escape);
	tcase_add_test(t, filename_ext_control_or_bad_utf8);
	tcase_add_test(t, missing_name);
	tcase_add_test(t, empty_name);
	tcase_add_test(t, missing_or_wrong_disposition);
	tcase_add_test(t, repeated_parameter_or_header);
	tcase_add_test(t, header_names_case_insensitive);
	tcase_add_test(t, missing_closing_boundary);
	tcase_add_test(t, truncated_in_data);
	tcase_add_test(t, no_boundary_at_all);
	tcase_add_test(t, garbage_after_boundary);
	tcase_add_test(t, bare_lf_or_cr_in_headers);
	tcase_add_test(t, nul_in_headers);
	tcase_add_test(t, nul_in_data_is_data);
	tcase_add_test(t, header_block_at_limit);
	tcase_add_test(t, header_block_too_long);
	tcase_add_test(t, field_at_limit);
	tcase_add_test(t, field_too_long);
	tcase_add_test(t, parts_at_limit);
	tcase_add_test(t, too_many_parts);
	tcase_add_test(t, abort_in_on_part);
	tcase_add_test(t, abort_in_on_data);
	tcase_add_test(t, abort_in_on_part_end);
	tcase_add_test(t, error_is_sticky);
	tcase_add_test(t, invalid_boundary_at_init);
	tcase_add_test(t, null_callbacks);
	tcase_add_loop_test(t, boundary_param, 0, (int)NELEM(bcases));
	tcase_add_test(t, boundary_out_too_small);
	suite_add_tcase(s, t);
	return s;
}

/*
 * test_csv.c -- unit tests of lib/csv.c: plain records, quotes and
 * doubled quotes, CRLF / LF / lone CR, a BOM, empty lines, ragged
 * records, line breaks inside quotes (record and line numbers), the
 * recoverable errors (stray quote, text after a closing quote, NUL,
 * invalid UTF-8, too many fields) and the fatal one (unclosed quote), and
 * the formula-neutralising cell writer.
 */
#include <string.h>

#include "arena.h"
#include "buf.h"
#include "csv.h"
#include "suites.h"

static struct arena A;
static struct csv_reader R;
static struct csv_row row;

static void setup(void)
{
	arena_init(&A, 4096);
}

static void teardown(void)
{
	arena_free(&A);
}

static void open_n(const char *s, size_t n)
{
	csv_init(&R, &A, s, n);
}

static void open_s(const char *s)
{
	open_n(s, strlen(s));
}

static enum csv_status next(void)
{
	return csv_next(&R, &row);
}

/* The next record is a good one with exactly the given fields. */
static void expect_row(size_t n, const char *const *want)
{
	size_t i;

	ck_assert_int_eq(next(), CSV_ROW);
	ck_assert_uint_eq(row.n, n);
	for (i = 0; i < n; i++) {
		ck_assert_str_eq(row.fields[i].s, want[i]);
		ck_assert_uint_eq(row.fields[i].len, strlen(want[i]));
	}
}

#define ROW(...)                                                                                   \
	expect_row(NELEM(((const char *const[]){__VA_ARGS__})), (const char *const[]){__VA_ARGS__})

START_TEST(plain)
{
	open_s("a,b,c\n1,2,3\n");
	ROW("a", "b", "c");
	ck_assert_uint_eq(row.record, 1);
	ROW("1", "2", "3");
	ck_assert_uint_eq(row.record, 2);
	ck_assert_int_eq(next(), CSV_END);
	ck_assert_int_eq(next(), CSV_END);
}
END_TEST

START_TEST(no_final_newline_and_empty_fields)
{
	open_s("a,,c\n,,\nx");
	ROW("a", "", "c");
	ROW("", "", "");
	ROW("x");
	ck_assert_int_eq(next(), CSV_END);
}
END_TEST

START_TEST(quotes)
{
	open_s("\"a,b\",\"say \"\"hi\"\"\",\"\"\n\"\"\"\",plain\n");
	ROW("a,b", "say \"hi\"", "");
	ROW("\"", "plain");
}
END_TEST

START_TEST(crlf_and_cr)
{
	open_s("a,b\r\n1,2\r\n3,4\r5,6\n");
	ROW("a", "b");
	ROW("1", "2");
	ck_assert_uint_eq(row.line, 2);
	ROW("3", "4");
	ROW("5", "6");
	ck_assert_uint_eq(row.line, 4);
	ck_assert_int_eq(next(), CSV_END);
}
END_TEST

START_TEST(bom)
{
	open_s("\xEF\xBB\xBFstudent_number,name\nB1,王\n");
	ROW("student_number", "name");
	ROW("B1", "王");
	/* a BOM anywhere else is data */
	open_s("a\n\xEF\xBB\xBF"
	       "b\n");
	ROW("a");
	ROW("\xEF\xBB\xBF"
	    "b");
}
END_TEST

START_TEST(only_bom_is_empty)
{
	open_s("\xEF\xBB\xBF");
	ck_assert_int_eq(next(), CSV_END);
	open_s("");
	ck_assert_int_eq(next(), CSV_END);
	open_s("\n\r\n\n");
	ck_assert_int_eq(next(), CSV_END);
}
END_TEST

START_TEST(empty_lines_skipped)
{
	open_s("a\n\n\r\nb\n\n");
	ROW("a");
	ROW("b");
	ck_assert_uint_eq(row.record, 2);
	ck_assert_uint_eq(row.line, 4);
	ck_assert_int_eq(next(), CSV_END);
}
END_TEST

START_TEST(ragged)
{
	open_s("a,b,c\n1,2\n1,2,3,4\n");
	ROW("a", "b", "c");
	ROW("1", "2");
	ROW("1", "2", "3", "4");
}
END_TEST

START_TEST(embedded_newlines)
{
	open_s("h1,h2\n\"line 1\nline 2\",x\n\"a\r\nb\",y\nlast,z\n");
	ROW("h1", "h2");
	ROW("line 1\nline 2", "x");
	ck_assert_uint_eq(row.record, 2);
	ck_assert_uint_eq(row.line, 2);
	ROW("a\r\nb", "y");
	ck_assert_uint_eq(row.record, 3);
	ck_assert_uint_eq(row.line, 4);
	ROW("last", "z");
	ck_assert_uint_eq(row.record, 4);
	ck_assert_uint_eq(row.line, 6);
}
END_TEST

START_TEST(stray_quote_recovers)
{
	open_s("a,b\"c,d\nok,1\n");
	ck_assert_int_eq(next(), CSV_BAD);
	ck_assert_ptr_nonnull(strstr(row.error, "quote"));
	ck_assert_uint_eq(row.record, 1);
	ROW("ok", "1");
	ck_assert_uint_eq(row.record, 2);
}
END_TEST

START_TEST(text_after_quote_recovers)
{
	open_s("\"ab\"c,d\nok\n");
	ck_assert_int_eq(next(), CSV_BAD);
	ck_assert_ptr_nonnull(strstr(row.error, "closing quote"));
	ROW("ok");
}
END_TEST

START_TEST(unclosed_quote_is_fatal)
{
	open_s("a,b\n\"never closed,x\nmore\n");
	ROW("a", "b");
	ck_assert_int_eq(next(), CSV_FATAL);
	ck_assert_ptr_nonnull(strstr(row.error, "not closed"));
	ck_assert_uint_eq(row.record, 2);
}
END_TEST

START_TEST(nul_byte)
{
	static const char s[] = "a,b\nx\0y,z\nok,1\n";

	open_n(s, sizeof(s) - 1);
	ROW("a", "b");
	ck_assert_int_eq(next(), CSV_BAD);
	ck_assert_ptr_nonnull(strstr(row.error, "NUL"));
	ROW("ok", "1");
}
END_TEST

START_TEST(nul_in_quotes)
{
	static const char s[] = "\"x\0y\",z\nok\n";

	open_n(s, sizeof(s) - 1);
	ck_assert_int_eq(next(), CSV_BAD);
	ROW("ok");
}
END_TEST

START_TEST(invalid_utf8)
{
	open_s("a,\xff\xfe\nb,\xc3\x28\nc,\xe7\x8e\x8b\nd,\xed\xa0\x80\n");
	ck_assert_int_eq(next(), CSV_BAD);
	ck_assert_ptr_nonnull(strstr(row.error, "UTF-8"));
	ck_assert_int_eq(next(), CSV_BAD);
	ROW("c", "王");
	ck_assert_int_eq(next(), CSV_BAD); /* a surrogate */
	ck_assert_int_eq(next(), CSV_END);
}
END_TEST

START_TEST(too_many_fields)
{
	char s[CSV_MAX_FIELDS * 2 + 16];
	size_t i, n = 0;

	for (i = 0; i <= CSV_MAX_FIELDS; i++) {
		s[n++] = 'x';
		s[n++] = ',';
	}
	s[n - 1] = '\n';
	memcpy(s + n, "ok\n", 3);
	open_n(s, n + 3);
	ck_assert_int_eq(next(), CSV_BAD);
	ck_assert_ptr_nonnull(strstr(row.error, "256"));
	ROW("ok");
}
END_TEST

START_TEST(explicit_length)
{
	/* bytes past len are never read, even without a NUL */
	open_n("a,b\nc,d", 5);
	ROW("a", "b");
	ROW("c");
	ck_assert_int_eq(next(), CSV_END);
}
END_TEST

static const struct {
	const char *in, *out;
} cells[] = {
    {"plain", "plain"},
    {"", ""},
    {"a,b", "\"a,b\""},
    {"say \"hi\"", "\"say \"\"hi\"\"\""},
    {"two\nlines", "\"two\nlines\""},
    {"=1+2", "\"'=1+2\""},
    {"+886912345678", "\"'+886912345678\""},
    {"-2+3+cmd|' /C calc'!A0", "\"'-2+3+cmd|' /C calc'!A0\""},
    {"@SUM(A1:A9)", "\"'@SUM(A1:A9)\""},
    {"\tx", "\"'\tx\""},
    {"\rx", "\"'\rx\""},
    {"=HYPERLINK(\"http://x\")", "\"'=HYPERLINK(\"\"http://x\"\")\""},
    {"-12", "-12"},
    {"-0.5", "-0.5"},
    {"-", "\"'-\""},
    {"-1.", "\"'-1.\""},
    {" padded ", "\" padded \""},
    {"王小明", "王小明"},
    {"\xEF\xBB\xBFx", "\"\xEF\xBB\xBFx\""}, /* a BOM kept as data (fuzz regression) */
};

START_TEST(put_cell)
{
	struct buf b;

	buf_init(&b, &A);
	csv_put_cell(&b, cells[_i].in, strlen(cells[_i].in));
	ck_assert_str_eq(buf_cstr(&b), cells[_i].out);
}
END_TEST

START_TEST(put_cell_round_trips)
{
	struct buf b;
	size_t i;

	buf_init(&b, &A);
	for (i = 0; i < NELEM(cells); i++) {
		if (i > 0)
			buf_putc(&b, ',');
		csv_put_cell(&b, cells[i].in, strlen(cells[i].in));
	}
	buf_puts(&b, "\r\n");
	open_n(b.data, b.len);
	ck_assert_int_eq(next(), CSV_ROW);
	ck_assert_uint_eq(row.n, NELEM(cells));
	for (i = 0; i < NELEM(cells); i++) {
		const char *got = row.fields[i].s;

		if (csv_is_formula(cells[i].in, strlen(cells[i].in)))
			ck_assert_int_eq(*got++, '\'');
		ck_assert_str_eq(got, cells[i].in);
	}
}
END_TEST

Suite *csv_suite(void)
{
	Suite *s = suite_create("csv");
	TCase *t = tcase_create("core");

	tcase_add_checked_fixture(t, setup, teardown);
	tcase_add_test(t, plain);
	tcase_add_test(t, no_final_newline_and_empty_fields);
	tcase_add_test(t, quotes);
	tcase_add_test(t, crlf_and_cr);
	tcase_add_test(t, bom);
	tcase_add_test(t, only_bom_is_empty);
	tcase_add_test(t, empty_lines_skipped);
	tcase_add_test(t, ragged);
	tcase_add_test(t, embedded_newlines);
	tcase_add_test(t, stray_quote_recovers);
	tcase_add_test(t, text_after_quote_recovers);
	tcase_add_test(t, unclosed_quote_is_fatal);
	tcase_add_test(t, nul_byte);
	tcase_add_test(t, nul_in_quotes);
	tcase_add_test(t, invalid_utf8);
	tcase_add_test(t, too_many_fields);
	tcase_add_test(t, explicit_length);
	tcase_add_loop_test(t, put_cell, 0, (int)NELEM(cells));
	tcase_add_test(t, put_cell_round_trips);
	suite_add_tcase(s, t);
	return s;
}

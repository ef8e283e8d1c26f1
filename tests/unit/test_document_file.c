/*
 * test_document_file.c -- unit tests of lib/document_file.c: file types by
 * magic bytes only, display names (basename, control characters, invalid
 * UTF-8, length) and the RFC 6266 Content-Disposition of downloads.
 */
#include <string.h>

#include "arena.h"
#include "document_file.h"
#include "suites.h"

static struct arena A;

static void setup(void)
{
	arena_init(&A, 4096);
}

static void teardown(void)
{
	arena_free(&A);
}

START_TEST(types_by_magic_bytes)
{
	static const unsigned char pdf[] = "%PDF-1.7\n",
	                           png[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
	static const unsigned char jpg[] = {0xff, 0xd8, 0xff, 0xe1}, exe[] = "MZ\x90";

	ck_assert_str_eq(docfile_type(pdf, 8), "application/pdf");
	ck_assert_str_eq(docfile_type(png, 8), "image/png");
	ck_assert_str_eq(docfile_type(jpg, 4), "image/jpeg");
	ck_assert_ptr_null(docfile_type(exe, 3));
	ck_assert_ptr_null(docfile_type(png, 7)); /* a truncated signature */
	ck_assert_ptr_null(docfile_type(pdf, 0));
	ck_assert_ptr_null(docfile_type((const unsigned char *)" %PDF-", 6));
}
END_TEST

START_TEST(display_names)
{
	char long_name[400];

	ck_assert_str_eq(docfile_display_name(&A, "C:\\Users\\me\\a.pdf"), "a.pdf");
	ck_assert_str_eq(docfile_display_name(&A, "../../etc/passwd"), "passwd");
	ck_assert_str_eq(docfile_display_name(&A, "a\r\nb\x01\x7f.pdf"), "ab.pdf");
	ck_assert_str_eq(docfile_display_name(&A, "\xc2\x85x\xff\xfey.pdf"), "xy.pdf");
	ck_assert_str_eq(docfile_display_name(&A, "成績單.pdf"), "成績單.pdf");
	ck_assert_str_eq(docfile_display_name(&A, "  spaced .. "), "spaced");
	ck_assert_str_eq(docfile_display_name(&A, "dir/"), "document");
	ck_assert_str_eq(docfile_display_name(&A, ""), "document");
	memset(long_name, 'x', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	ck_assert_uint_eq(strlen(docfile_display_name(&A, long_name)), 255);
}
END_TEST

START_TEST(dispositions)
{
	ck_assert_str_eq(docfile_disposition(&A, "a b.pdf"),
	                 "attachment; filename=\"a b.pdf\"; filename*=UTF-8''a%20b.pdf");
	ck_assert_str_eq(docfile_disposition(&A, "\"q\\.pdf"),
	                 "attachment; filename=\"_q_.pdf\"; filename*=UTF-8''%22q%5C.pdf");
	ck_assert_str_eq(docfile_disposition(&A, "成.pdf"),
	                 "attachment; filename=\"___.pdf\"; filename*=UTF-8''%E6%88%90.pdf");
}
END_TEST

Suite *document_file_suite(void)
{
	Suite *s = suite_create("document_file");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, types_by_magic_bytes);
	tcase_add_test(tc, display_names);
	tcase_add_test(tc, dispositions);
	suite_add_tcase(s, tc);
	return s;
}

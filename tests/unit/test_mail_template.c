/*
 * test_mail_template.c -- unit tests of lib/mail_template.c: the key
 * table, the placeholder checker (unknown names, unclosed braces, white
 * space inside the braces), rendering into text, subject and HTML (a
 * hostile value is escaped in HTML and cannot break a subject line), and
 * the HTML made from a text body.
 */
#include <string.h>

#include "arena.h"
#include "mail_template.h"
#include "suites.h"

static struct arena A;

static void setup(void)
{
	arena_init(&A, 0);
}

static void teardown(void)
{
	arena_free(&A);
}

static const struct mail_template_spec *spec(const char *key)
{
	const struct mail_template_spec *s = mail_template_spec(key);

	ck_assert_ptr_nonnull(s);
	return s;
}

START_TEST(every_trigger_has_a_key)
{
	static const char *const keys[] = {
	    "verify_email",          "invitation",
	    "password_reset",        "account_exists",
	    "application_submitted", "application_submitted_reviewer",
	    "document_requested",    "status_decided",
	    "draft_reminder",        "ranking_finalised",
	    "award_offered",         "offer_expiring"};
	size_t i, n;

	for (i = 0; i < NELEM(keys); i++)
		ck_assert_str_eq(spec(keys[i])->key, keys[i]);
	mail_template_specs(&n);
	ck_assert_uint_eq(n, NELEM(keys));
	ck_assert_ptr_null(mail_template_spec("no_such_key"));
	ck_assert_ptr_null(mail_template_spec(NULL));
}
END_TEST

START_TEST(check_accepts_known_placeholders)
{
	char err[128] = "";

	ck_assert_int_eq(
	    mail_template_check(spec("application_submitted"),
	                        "Dear {{applicant_name}}, {{ app_no }} of "
	                        "{{scholarship_name}}: {{link}} ({{site_url}}) {single}",
	                        err, sizeof(err)),
	    0);
	ck_assert_int_eq(
	    mail_template_check(spec("verify_email"), "no placeholder at all", err, sizeof(err)),
	    0);
}
END_TEST

START_TEST(check_refuses_unknown_and_unclosed)
{
	char err[128];

	ck_assert_int_eq(
	    mail_template_check(spec("verify_email"), "Hi {{app_no}}", err, sizeof(err)), -1);
	ck_assert_str_eq(err, "unknown placeholder {{app_no}}");
	ck_assert_int_eq(mail_template_check(spec("verify_email"), "Hi {{name", err, sizeof(err)),
	                 -1);
	ck_assert_ptr_nonnull(strstr(err, "placeholder"));
	ck_assert_int_eq(mail_template_check(spec("verify_email"), "{{ 1abc }}", err, sizeof(err)),
	                 -1);
	ck_assert_int_eq(mail_template_check(spec("verify_email"), "{{na me}}", err, sizeof(err)),
	                 -1);
	ck_assert_int_eq(mail_template_check(spec("verify_email"), "{{}}", err, sizeof(err)), -1);
}
END_TEST

static const struct mail_var hostile[] = {
    {.name = "applicant_name", .value = "<script>alert(\"x\")</script> & 'co'"},
    {.name = "app_no", .value = "APP-1\r\nBcc: victim@example.org"},
    {.name = "link"},
};

START_TEST(render_text_keeps_values)
{
	char *s = mail_template_render(&A, "{{applicant_name}}|{{ app_no }}|{{link}}|{{missing}}",
	                               hostile, NELEM(hostile), MAIL_ESC_TEXT);

	ck_assert_str_eq(s,
	                 "<script>alert(\"x\")</script> & 'co'|APP-1\r\nBcc: victim@example.org||");
}
END_TEST

START_TEST(render_subject_is_one_line)
{
	char *s = mail_template_render(&A, "Application {{app_no}} received", hostile,
	                               NELEM(hostile), MAIL_ESC_SUBJECT);

	ck_assert_str_eq(s, "Application APP-1  Bcc: victim@example.org received");
	ck_assert_ptr_null(strpbrk(s, "\r\n"));
}
END_TEST

START_TEST(render_html_escapes_values_not_template)
{
	char *s = mail_template_render(&A, "<p>Dear {{applicant_name}}</p>", hostile,
	                               NELEM(hostile), MAIL_ESC_HTML);

	ck_assert_str_eq(s, "<p>Dear &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; "
	                    "&#39;co&#39;</p>");
}
END_TEST

START_TEST(render_keeps_stray_braces)
{
	char *s = mail_template_render(&A, "a {{ b {{app_no}} }} {{", hostile, 1, MAIL_ESC_TEXT);

	ck_assert_str_eq(s, "a {{ b  }} {{");
}
END_TEST

START_TEST(text_to_html_paragraphs_and_links)
{
	char *h = mail_template_text_to_html(
	    &A, "Dear <Ann>,\nyour link:\nhttps://x.test/a?b=1&c=2.\n\n\nBye & thanks");

	ck_assert_ptr_nonnull(strstr(h, "<p>Dear &lt;Ann&gt;,<br>\nyour link:<br>\n<a "
	                                "href=\"https://x.test/a?b=1&amp;c=2\">https://x.test/"
	                                "a?b=1&amp;c=2</a>.</p>\n<p>Bye &amp; thanks</p>"));
	ck_assert_ptr_nonnull(strstr(h, "<meta charset=\"utf-8\">"));
	ck_assert_ptr_null(strstr(h, "<Ann>"));
}
END_TEST

START_TEST(text_to_html_no_javascript_links)
{
	char *h =
	    mail_template_text_to_html(&A, "javascript:alert(1) http://ok.test/\"onmouseover=x");

	ck_assert_ptr_null(strstr(h, "href=\"javascript"));
	ck_assert_ptr_nonnull(strstr(h, "<a href=\"http://ok.test/\">"));
	ck_assert_ptr_nonnull(strstr(h, "&quot;onmouseover=x"));
}
END_TEST

Suite *mail_template_suite(void)
{
	Suite *s = suite_create("mail_template");
	TCase *t = tcase_create("core");

	tcase_add_checked_fixture(t, setup, teardown);
	tcase_add_test(t, every_trigger_has_a_key);
	tcase_add_test(t, check_accepts_known_placeholders);
	tcase_add_test(t, check_refuses_unknown_and_unclosed);
	tcase_add_test(t, render_text_keeps_values);
	tcase_add_test(t, render_subject_is_one_line);
	tcase_add_test(t, render_html_escapes_values_not_template);
	tcase_add_test(t, render_keeps_stray_braces);
	tcase_add_test(t, text_to_html_paragraphs_and_links);
	tcase_add_test(t, text_to_html_no_javascript_links);
	suite_add_tcase(s, t);
	return s;
}

/*
 * test_buf.c -- unit tests of the arena-backed strings (lib/buf.c):
 * appends and growth, the sticky out-of-memory flag, and JSON string
 * escaping: quotes, backslashes, control characters, and invalid UTF-8
 * turned into \ufffd so the output is always valid JSON (checked by
 * parsing it back with cJSON, including on pseudo-random bytes).
 */
#include <string.h>

#include <cjson/cJSON.h>

#include "arena.h"
#include "buf.h"
#include "json.h"
#include "suites.h"

static struct arena A;
static struct buf B;

static void setup(void)
{
	arena_init(&A, 4096);
	buf_init(&B, &A);
}

static void teardown(void)
{
	arena_free(&A);
}

START_TEST(empty_buf_is_empty_string)
{
	ck_assert_str_eq(buf_cstr(&B), "");
	ck_assert_uint_eq(B.len, 0);
	ck_assert_int_eq(B.oom, 0);
}
END_TEST

START_TEST(appends_concatenate)
{
	buf_puts(&B, "ab");
	buf_putc(&B, 'c');
	buf_append(&B, "d\0e", 3);
	buf_printf(&B, "%d/%s", 12, "x");
	ck_assert_uint_eq(B.len, 10);
	ck_assert_mem_eq(B.data, "abcd\0e12/x", 11);
}
END_TEST

START_TEST(growth_keeps_contents)
{
	size_t i;

	for (i = 0; i < 10000; i++)
		buf_putc(&B, (char)('a' + i % 26));
	ck_assert_uint_eq(B.len, 10000);
	ck_assert_uint_ge(B.cap, 10001);
	for (i = 0; i < 10000; i++)
		ck_assert_int_eq(B.data[i], 'a' + (int)(i % 26));
	ck_assert_int_eq(B.data[10000], '\0');
}
END_TEST

START_TEST(printf_longer_than_capacity)
{
	char big[1000];

	memset(big, 'q', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	buf_puts(&B, "x");
	buf_printf(&B, "[%s]", big);
	ck_assert_uint_eq(B.len, 1 + 2 + 999);
	ck_assert_int_eq(B.data[B.len - 1], ']');
	ck_assert_uint_eq(strlen(buf_cstr(&B)), B.len);
}
END_TEST

START_TEST(oom_is_sticky)
{
	arena_fail_after(&A, 0);
	buf_puts(&B, "lost");
	ck_assert_int_eq(B.oom, 1);
	ck_assert_ptr_null(buf_cstr(&B));
	buf_puts(&B, "also lost");
	buf_printf(&B, "%d", 1);
	ck_assert_int_eq(B.oom, 1);
	ck_assert_ptr_null(buf_cstr(&B));
	ck_assert_uint_eq(B.len, 0);
}
END_TEST

START_TEST(oom_while_growing_keeps_flag)
{
	char chunk[200];

	memset(chunk, 'a', sizeof(chunk));
	buf_append(&B, chunk, sizeof(chunk));
	arena_fail_after(&A, 0);
	buf_append(&B, chunk, sizeof(chunk));
	ck_assert_int_eq(B.oom, 1);
	ck_assert_ptr_null(buf_cstr(&B));
}
END_TEST

struct esc_case {
	const char *in;
	size_t len;
	const char *out;
};

#define ESC(lit, out)                                                                              \
	{                                                                                          \
		lit, sizeof(lit) - 1, out                                                          \
	}

static const struct esc_case esc_cases[] = {
    ESC("", "\"\""),
    ESC("plain", "\"plain\""),
    ESC("a\"b", "\"a\\\"b\""),
    ESC("a\\b", "\"a\\\\b\""),
    ESC("\n\r\t", "\"\\u000a\\u000d\\u0009\""),
    ESC("\x01\x1f", "\"\\u0001\\u001f\""),
    ESC("del\x7f", "\"del\\u007f\""),
    ESC("nul\0byte", "\"nul\\u0000byte\""),
    ESC("caf\xc3\xa9", "\"caf\xc3\xa9\""),
    ESC("\xe2\x82\xac", "\"\xe2\x82\xac\""),
    ESC("\xf0\x9f\x98\x80", "\"\xf0\x9f\x98\x80\""),
    ESC("\x80", "\"\\ufffd\""),
    ESC("\xff", "\"\\ufffd\""),
    ESC("a\xc3", "\"a\\ufffd\""),
    ESC("\xc3(", "\"\\ufffd(\""),
    ESC("\xc0\xaf", "\"\\ufffd\\ufffd\""),
    ESC("\xe0\x80\xaf", "\"\\ufffd\\ufffd\\ufffd\""),
    ESC("\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\""),
    ESC("\xf4\x90\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\""),
    ESC("\xf8\x88\x80\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\""),
    ESC("</script>", "\"</script>\""),
};

START_TEST(json_escaping)
{
	const struct esc_case *c = &esc_cases[_i];

	buf_json_strn(&B, c->in, c->len);
	ck_assert_str_eq(buf_cstr(&B), c->out);
}
END_TEST

START_TEST(json_str_null_is_null)
{
	buf_json_str(&B, NULL);
	ck_assert_str_eq(buf_cstr(&B), "null");
}
END_TEST

START_TEST(json_str_stops_at_nul)
{
	buf_json_str(&B, "ab\0cd");
	ck_assert_str_eq(buf_cstr(&B), "\"ab\"");
}
END_TEST

/* Parse s back: it must be one JSON string whose value is expect. */
static void assert_roundtrip(const char *s, const char *expect)
{
	cJSON *j = cJSON_Parse(s);

	ck_assert_ptr_nonnull(j);
	ck_assert(cJSON_IsString(j));
	if (expect != NULL)
		ck_assert_str_eq(j->valuestring, expect);
	cJSON_Delete(j);
}

START_TEST(escaped_text_parses_back)
{
	const char *s = "quote\" back\\ tab\t bell\x07 euro\xe2\x82\xac";

	buf_json_str(&B, s);
	assert_roundtrip(buf_cstr(&B), s);
}
END_TEST

static unsigned long long rng = 0x9e3779b97f4a7c15ull;

static unsigned char next_byte(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned char)(rng >> 24);
}

/* Whatever the bytes, the output is valid UTF-8 JSON. */
START_TEST(random_bytes_give_valid_json)
{
	unsigned char in[64];
	int round;
	size_t i, n;

	for (round = 0; round < 2000; round++) {
		struct buf b;
		n = next_byte() % sizeof(in);
		for (i = 0; i < n; i++)
			in[i] = next_byte() | (round & 1 ? 0x80 : 0);
		buf_init(&b, &A);
		buf_json_strn(&b, (const char *)in, n);
		ck_assert(json_utf8_valid(b.data, b.len));
		assert_roundtrip(buf_cstr(&b), NULL);
		if (round % 100 == 0)
			arena_reset(&A);
	}
}
END_TEST

Suite *buf_suite(void)
{
	Suite *s = suite_create("buf");
	TCase *tc = tcase_create("core");
	TCase *js = tcase_create("json");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, empty_buf_is_empty_string);
	tcase_add_test(tc, appends_concatenate);
	tcase_add_test(tc, growth_keeps_contents);
	tcase_add_test(tc, printf_longer_than_capacity);
	tcase_add_test(tc, oom_is_sticky);
	tcase_add_test(tc, oom_while_growing_keeps_flag);
	suite_add_tcase(s, tc);
	tcase_add_checked_fixture(js, setup, teardown);
	tcase_add_loop_test(js, json_escaping, 0, (int)NELEM(esc_cases));
	tcase_add_test(js, json_str_null_is_null);
	tcase_add_test(js, json_str_stops_at_nul);
	tcase_add_test(js, escaped_text_parses_back);
	tcase_add_test(js, random_bytes_give_valid_json);
	suite_add_tcase(s, js);
	return s;
}

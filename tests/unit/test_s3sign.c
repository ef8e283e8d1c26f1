/*
 * test_s3sign.c -- unit tests of lib/s3sign.c: the request of AWS's
 * "Authenticating Requests: Using Query Parameters" example and our
 * 60-second form with response-content-disposition and
 * response-content-type, both signed with made-up test credentials (the
 * expected signatures are what @smithy/signature-v4's presign gives for
 * the same request, credentials and time, computed once with it), the
 * encoding of paths and query values, and refusals (bad inputs, a buffer
 * too small).
 */
#include <string.h>

#include "s3sign.h"
#include "suites.h"

/* Made-up credentials: never a real key's shape. */
#define TEST_ACCESS "TESTACCESSKEY0000000"
#define TEST_SECRET "test/secret+key=for-signing-only"
#define KEY_PATH                                                                                   \
	"/scholarship-documents/applications/0b7c2f4e-1111-4222-8333-944455556666/"                \
	"7d1e2f3a-aaaa-4bbb-8ccc-dddd0000eeee"

static struct s3sign_input aws_request(void)
{
	return (struct s3sign_input){
	    .method = "GET",
	    .scheme = "https",
	    .host = "examplebucket.s3.amazonaws.com",
	    .path = "/test.txt",
	    .region = "us-east-1",
	    .access_key = TEST_ACCESS,
	    .secret_key = TEST_SECRET,
	    .when = 1369353600, /* 20130524T000000Z */
	    .expires = 86400,
	};
}

static struct s3sign_input ours(void)
{
	return (struct s3sign_input){
	    .method = "GET",
	    .scheme = "http",
	    .host = "127.0.0.1:9000",
	    .path = KEY_PATH,
	    .region = "us-east-1",
	    .access_key = TEST_ACCESS,
	    .secret_key = TEST_SECRET,
	    .when = 1767323045, /* 20260102T030405Z */
	    .expires = 60,
	    .disposition = "attachment; filename=\"a b.pdf\"; filename*=UTF-8''a%20b%E2%9C%93.pdf",
	    .content_type = "application/pdf",
	};
}

START_TEST(aws_example_request)
{
	struct s3sign_input in = aws_request();
	char url[2048];

	ck_assert_int_eq(s3sign_presign(&in, url, sizeof(url)), 0);
	ck_assert_str_eq(url, "https://examplebucket.s3.amazonaws.com/test.txt"
	                      "?X-Amz-Algorithm=AWS4-HMAC-SHA256"
	                      "&X-Amz-Credential=" TEST_ACCESS "%2F20130524%2Fus-east-1%2Fs3%"
	                      "2Faws4_request"
	                      "&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400"
	                      "&X-Amz-SignedHeaders=host"
	                      "&X-Amz-Signature="
	                      "011450c4b4d74bf40344bb29f20d91ba701de8add0a97da10fcfb5c532da357e");
}
END_TEST

START_TEST(sixty_seconds_with_response_headers)
{
	struct s3sign_input in = ours();
	char url[4096];

	ck_assert_int_eq(s3sign_presign(&in, url, sizeof(url)), 0);
	ck_assert_str_eq(
	    url,
	    "http://127.0.0.1:9000" KEY_PATH "?X-Amz-Algorithm=AWS4-HMAC-SHA256"
	    "&X-Amz-Credential=" TEST_ACCESS "%2F20260102%2Fus-east-1%2Fs3%2Faws4_request"
	    "&X-Amz-Date=20260102T030405Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host"
	    "&response-content-disposition=attachment%3B%20filename%3D%22a%20b.pdf%22%3B%"
	    "20filename%2A%3DUTF-8%27%27a%2520b%25E2%259C%2593.pdf"
	    "&response-content-type=application%2Fpdf"
	    "&X-Amz-Signature=999e44d2fe3182eeac46779da5573e9748e16ee8be3baeca1c470a13784b6960");
	ck_assert_ptr_null(strstr(url, TEST_SECRET));
}
END_TEST

START_TEST(signature_depends_on_every_input)
{
	struct s3sign_input in = ours();
	char base[4096], url[4096];

	ck_assert_int_eq(s3sign_presign(&in, base, sizeof(base)), 0);
	for (int i = 0; i < 5; i++) {
		in = ours();
		switch (i) {
		case 0:
			in.secret_key = "another-secret";
			break;
		case 1:
			in.when += 1;
			break;
		case 2:
			in.host = "127.0.0.1:9001";
			break;
		case 3:
			in.content_type = "image/png";
			break;
		default:
			in.region = "eu-west-1";
			break;
		}
		ck_assert_int_eq(s3sign_presign(&in, url, sizeof(url)), 0);
		ck_assert_str_ne(strstr(url, "X-Amz-Signature="), strstr(base, "X-Amz-Signature="));
	}
}
END_TEST

START_TEST(path_encoding)
{
	char out[64];

	ck_assert_int_eq(s3sign_uri_encode("/b/a b+c~_-.", 1, out, sizeof(out)), 0);
	ck_assert_str_eq(out, "/b/a%20b%2Bc~_-.");
	ck_assert_int_eq(s3sign_uri_encode("a/b", 0, out, sizeof(out)), 0);
	ck_assert_str_eq(out, "a%2Fb");
	ck_assert_int_eq(s3sign_uri_encode("\xe2\x9c\x93", 0, out, sizeof(out)), 0);
	ck_assert_str_eq(out, "%E2%9C%93");
	ck_assert_int_eq(s3sign_uri_encode("abc", 0, out, 3), -1);
	ck_assert_int_eq(s3sign_uri_encode(" ", 0, out, 3), -1);
	ck_assert_int_eq(s3sign_uri_encode(" ", 0, out, 4), 0);
}
END_TEST

START_TEST(sha256_hex)
{
	char hex[65];

	s3sign_sha256_hex("", 0, hex);
	ck_assert_str_eq(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	s3sign_sha256_hex("abc", 3, hex);
	ck_assert_str_eq(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}
END_TEST

START_TEST(refusals)
{
	struct s3sign_input in;
	char url[4096];

	for (int i = 0; i < 9; i++) {
		in = ours();
		switch (i) {
		case 0:
			in.expires = 0;
			break;
		case 1:
			in.expires = 604801;
			break;
		case 2:
			in.path = "no-slash";
			break;
		case 3:
			in.host = "evil.example/x";
			break;
		case 4:
			in.host = "";
			break;
		case 5:
			in.scheme = "ftp";
			break;
		case 6:
			in.secret_key = NULL;
			break;
		case 7:
			in.access_key = "AK ID";
			break;
		default:
			in.region = NULL;
			break;
		}
		strcpy(url, "x");
		ck_assert_int_eq(s3sign_presign(&in, url, sizeof(url)), -1);
		ck_assert_str_eq(url, "");
	}
	ck_assert_int_eq(s3sign_presign(NULL, url, sizeof(url)), -1);
}
END_TEST

START_TEST(too_small_buffer)
{
	struct s3sign_input in = ours();
	char url[4096];
	size_t need;

	ck_assert_int_eq(s3sign_presign(&in, url, sizeof(url)), 0);
	need = strlen(url) + 1;
	ck_assert_int_eq(s3sign_presign(&in, url, need), 0);
	ck_assert_int_eq(s3sign_presign(&in, url, need - 1), -1);
	ck_assert_str_eq(url, "");
	ck_assert_int_eq(s3sign_presign(&in, url, 0), -1);
}
END_TEST

Suite *s3sign_suite(void)
{
	Suite *s = suite_create("s3sign");
	TCase *t = tcase_create("presign");

	tcase_add_test(t, aws_example_request);
	tcase_add_test(t, sixty_seconds_with_response_headers);
	tcase_add_test(t, signature_depends_on_every_input);
	tcase_add_test(t, path_encoding);
	tcase_add_test(t, sha256_hex);
	tcase_add_test(t, refusals);
	tcase_add_test(t, too_small_buffer);
	suite_add_tcase(s, t);
	return s;
}

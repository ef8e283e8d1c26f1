/*
 * json.c -- parsing and printing through cJSON with arena ownership.
 * cJSON trusts its input to be text; we check UTF-8, NUL bytes and nesting
 * depth first, so handlers only ever see well-formed trees.
 */
#include "json.h"

#include "arena.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void json_delete(void *p)
{
	cJSON_Delete(p);
}

int json_utf8_valid(const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;

	while (i < n) {
		unsigned char c = s[i];
		size_t len, k;
		uint32_t cp;
		if (c == 0)
			return 0;
		if (c < 0x80) {
			i++;
			continue;
		}
		if ((c & 0xe0) == 0xc0)
			len = 2, cp = c & 0x1f;
		else if ((c & 0xf0) == 0xe0)
			len = 3, cp = c & 0x0f;
		else if ((c & 0xf8) == 0xf0)
			len = 4, cp = c & 0x07;
		else
			return 0;
		if (n - i < len)
			return 0;
		for (k = 1; k < len; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) ||
		    (len == 4 && cp < 0x10000) || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += len;
	}
	return 1;
}

/* Nesting depth of brackets outside strings, or > max. */
static int depth_ok(const char *s, size_t n, int max)
{
	int depth = 0, in_str = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		char c = s[i];
		if (in_str) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_str = 0;
		} else if (c == '"') {
			in_str = 1;
		} else if (c == '[' || c == '{') {
			if (++depth > max)
				return 0;
		} else if (c == ']' || c == '}') {
			depth--;
		}
	}
	return 1;
}

/* Does the text hold a \u0000 escape? cJSON would cut the string there,
 * so a handler would see less than the client sent. */
static int has_nul_escape(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i + 6 <= n; i++)
		if (s[i] == '\\' && s[i + 1] == 'u' && memcmp(s + i + 2, "0000", 4) == 0) {
			size_t k = i; /* count the backslashes before: an escaped one is text */
			while (k > 0 && s[k - 1] == '\\')
				k--;
			if ((i - k) % 2 == 0)
				return 1;
		}
	return 0;
}

cJSON *json_parse(struct arena *a, const char *s, size_t n, const char **why)
{
	const char *end = NULL;
	cJSON *j;

	*why = NULL;
	if (n == 0) {
		*why = "the request body is empty";
		return NULL;
	}
	if (!json_utf8_valid(s, n)) {
		*why = "the request body is not valid UTF-8";
		return NULL;
	}
	if (has_nul_escape(s, n)) {
		*why = "the request body contains a NUL character";
		return NULL;
	}
	if (!depth_ok(s, n, JSON_MAX_DEPTH)) {
		*why = "the JSON document is nested too deeply";
		return NULL;
	}
	j = cJSON_ParseWithLengthOpts(s, n, &end, 0);
	if (j == NULL) {
		*why = "the request body is not valid JSON";
		return NULL;
	}
	while (end != NULL && end < s + n &&
	       (*end == ' ' || *end == '\n' || *end == '\r' || *end == '\t'))
		end++;
	if (end != NULL && end < s + n && *end != '\0') {
		cJSON_Delete(j);
		*why = "the request body has data after the JSON document";
		return NULL;
	}
	if (arena_cleanup(a, json_delete, j) < 0) {
		*why = "out of memory";
		return NULL;
	}
	return j;
}

static cJSON *owned(struct arena *a, cJSON *j)
{
	if (j == NULL || arena_cleanup(a, json_delete, j) < 0)
		return NULL;
	return j;
}

cJSON *json_new_object(struct arena *a)
{
	return owned(a, cJSON_CreateObject());
}

cJSON *json_new_array(struct arena *a)
{
	return owned(a, cJSON_CreateArray());
}

char *json_print(struct arena *a, const cJSON *j)
{
	char *s = cJSON_PrintUnformatted(j);
	char *copy;

	if (s == NULL)
		return NULL;
	copy = arena_strdup(a, s);
	cJSON_free(s);
	return copy;
}

const char *json_str(const cJSON *obj, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/*
 * json.h -- JSON over cJSON, tied to the request arena.
 *
 * json_parse() takes an explicit length (bodies are not trusted to be
 * NUL-free), refuses invalid UTF-8 and trailing garbage, and registers the
 * tree with the arena so it is freed with the request. json_print()
 * returns arena memory too.
 */
#ifndef SCH_JSON_H
#define SCH_JSON_H

#include <stddef.h>
#include <cjson/cJSON.h>

struct arena;

#define JSON_MAX_DEPTH 32

/* Parse n bytes of s. NULL on error with a client-safe reason in *why. */
cJSON *json_parse(struct arena *a, const char *s, size_t n, const char **why);
/* A new empty object or array owned by the arena. (Not json_object():
 * jansson, which libjwt loads, exports that name.) */
cJSON *json_new_object(struct arena *a);
cJSON *json_new_array(struct arena *a);
/* Serialise (unformatted) into arena memory; NULL when out of memory. */
char *json_print(struct arena *a, const cJSON *j);

/* Is s[0..n) valid UTF-8 with no NUL bytes? */
int json_utf8_valid(const char *s, size_t n);

/* Typed getters: NULL/default when missing or of another type. */
const char *json_str(const cJSON *obj, const char *key);

#endif

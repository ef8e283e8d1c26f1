/*
 * fuzz_json.c -- fuzz target for request bodies: json_parse (lib/json.c)
 * on the raw bytes, then validate_object (lib/validate.c) against a
 * nested field table like a route's, then the errors as problem+json and
 * the tree back through json_print. Beyond the sanitizers, the target
 * aborts when a refusal has no reason, when an accepted body is not valid
 * UTF-8, when the problem body is not JSON, or when printing a parsed
 * tree yields text that json_parse refuses.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "http.h"
#include "json.h"
#include "validate.h"

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond))                                                                       \
			abort();                                                                   \
	} while (0)

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const char *const kinds[] = {"merit", "need", "athletic", NULL};

static const struct vfield address_fields[] = {
    {.name = "city", .type = VT_STRING, .flags = VF_REQUIRED, .min = 1, .max = 80},
    {.name = "zip", .type = VT_STRING, .flags = VF_NULLABLE, .min = 3, .max = 10},
};

static const struct vfield profile_fields[] = {
    {.name = "phone", .type = VT_STRING, .min = 7, .max = 20},
    {.name = "born", .type = VT_DATE},
    {.name = "address",
     .type = VT_OBJECT,
     .children = address_fields,
     .nchildren = N(address_fields)},
};

static const struct vfield item_fields[] = {
    {.name = "id", .type = VT_UUID, .flags = VF_REQUIRED},
    {.name = "qty", .type = VT_INT, .min = 1, .max = 99},
};

static const struct vfield kind_item = {.name = "kind", .type = VT_ENUM, .options = kinds};
static const struct vfield item = {
    .name = "item", .type = VT_OBJECT, .children = item_fields, .nchildren = N(item_fields)};
static const struct vfield matrix_row = {.name = "row", .type = VT_ARRAY, .item = &kind_item};

static const struct vfield fields[] = {
    {.name = "name", .type = VT_STRING, .flags = VF_REQUIRED, .min = 1, .max = 100},
    {.name = "email", .type = VT_EMAIL, .flags = VF_REQUIRED},
    {.name = "id", .type = VT_UUID},
    {.name = "at", .type = VT_DATETIME, .flags = VF_NULLABLE},
    {.name = "count", .type = VT_INT, .min = 0, .max = 1000},
    {.name = "score", .type = VT_NUMBER},
    {.name = "flag", .type = VT_BOOL},
    {.name = "kind", .type = VT_ENUM, .options = kinds},
    {.name = "profile",
     .type = VT_OBJECT,
     .children = profile_fields,
     .nchildren = N(profile_fields)},
    {.name = "tags", .type = VT_ARRAY, .max = 5, .item = &kind_item},
    {.name = "items", .type = VT_ARRAY, .item = &item},
    {.name = "matrix", .type = VT_ARRAY, .item = &matrix_row},
    {.name = "any", .type = VT_OBJECT},
};

/* The validation errors as problem+json; it must parse. */
static void problem(struct arena *a, const struct verrors *e)
{
	struct req r;
	struct resp w;
	const char *why;

	memset(&r, 0, sizeof(r));
	r.request_id = "fuzz";
	resp_init(&w, a);
	resp_problem(&w, &r, 422, "the request has invalid fields", e->items, e->n);
	CHECK(json_parse(a, w.body.data, w.body.len, &why) != NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena a;
	struct verrors e;
	const char *why = NULL, *text;
	cJSON *j, *again;
	size_t n;

	arena_init(&a, 4096);
	j = json_parse(&a, (const char *)data, size, &why);
	if (j == NULL) {
		CHECK(why != NULL);
		goto out;
	}
	CHECK(why == NULL && json_utf8_valid((const char *)data, size));
	verrors_init(&e, &a);
	n = validate_object(j, fields, N(fields), "", &e);
	n += validate_object(j, profile_fields, N(profile_fields), "data", &e);
	CHECK(n == e.n && !e.oom);
	json_str(j, "name");
	problem(&a, &e);
	text = json_print(&a, j);
	CHECK(text != NULL);
	again = json_parse(&a, text, strlen(text), &why);
	CHECK(again != NULL);
out:
	arena_free(&a);
	return 0;
}

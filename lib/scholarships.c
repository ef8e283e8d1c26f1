/*
 * scholarships.c -- the scholarship routes of scholarships.h, and the
 * helpers periods.c shares: caller and scope, If-Match, keyset pages,
 * PATCH merging.
 *
 * Answers are built by PostgreSQL (SCH_JSON). Writes go through
 * jsonb_to_record() of the validated document, so the column list lives
 * in one statement per direction; the CHECKs of migration 0008 are the
 * last line behind the validation here. A PATCH reads the writable part
 * of the row (SCH_WRITABLE) under a row lock, merges the body into it and
 * validates the result as a whole, so cross-field rules hold after any
 * partial change. Every change is one transaction with its audit row
 * (before and after images of the scholarship object).
 *
 * Scope (DESIGN §7): super admins see and change everything; an admin the
 * scholarships granted in scholarship_admins (and one they create is
 * granted to them in the same transaction); everybody, anonymous callers
 * included, sees active scholarships. Out of scope answers 404.
 */
#include "scholarships.h"

#include "arena.h"
#include "audit.h"
#include "auth.h"
#include "buf.h"
#include "handler.h"
#include "http.h"
#include "json.h"
#include "log.h"
#include "router.h"
#include "validate.h"
#include "worker.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

/* The column lists read best one group per line. */
/* clang-format off */
#define SCH_FIELDS \
	"'code', s.code, 'name', s.name, 'name_en', s.name_en, " \
	"'description', s.description, 'description_en', s.description_en, " \
	"'sub_types', s.sub_types, 'sub_type_selection', s.sub_type_selection, " \
	"'currency', s.currency, 'status', s.status"
#define SCH_JSON \
	"json_build_object('id', s.id, " SCH_FIELDS ", 'version', s.version, " \
	"'created_at', " SCH_UTC("s.created_at") ", " \
	"'updated_at', " SCH_UTC("s.updated_at") ")::text"
/* What a PATCH may change, as the document it merges into. */
#define SCH_WRITABLE "json_build_object(" SCH_FIELDS ")::text"
/* clang-format on */
#define SCH_RECORD                                                                                 \
	"jsonb_to_record($1::jsonb) AS x(code text, name text, name_en text, description text, "   \
	"description_en text, sub_types jsonb, sub_type_selection text, currency text, status "    \
	"text)"

enum scol { SC_JSON, SC_VERSION, SC_WRITABLE, SC_ID };

static const struct db_stmt q_list = {
    "scholarships_list",
    "SELECT " SCH_JSON ", s.code FROM scholarships s WHERE " SCH_SEES(
        1, 2, "s") " AND ($3::text IS NULL OR s.status = $3) AND ($4::text IS NULL OR s.code > $4) "
                   "ORDER BY s.code LIMIT $5::int",
    5};
static const struct db_stmt q_get = {"scholarships_get",
                                     "SELECT " SCH_JSON ", s.version FROM scholarships s "
                                     "WHERE s.id = $3::uuid AND " SCH_SEES(1, 2, "s"),
                                     3};
static const struct db_stmt q_lock = {
    "scholarships_lock",
    "SELECT " SCH_JSON ", s.version, " SCH_WRITABLE ", s.id FROM scholarships s "
    "WHERE s.id = $3::uuid AND " SCH_EDITS(1, 2, "s") " FOR UPDATE OF s",
    3};
static const struct db_stmt q_insert = {
    "scholarships_insert",
    "INSERT INTO scholarships AS s (code, name, name_en, description, description_en, "
    "sub_types, sub_type_selection, currency, status, created_by) "
    "SELECT x.code, x.name, x.name_en, x.description, x.description_en, "
    "COALESCE(x.sub_types, '[]'), COALESCE(x.sub_type_selection, 'single'), "
    "COALESCE(x.currency, 'TWD'), COALESCE(x.status, 'draft'), $2::uuid FROM " SCH_RECORD
    " ON CONFLICT (code) DO NOTHING RETURNING " SCH_JSON ", s.version, NULL, s.id",
    2};
static const struct db_stmt q_grant = {
    "scholarships_grant",
    "INSERT INTO scholarship_admins (user_id, scholarship_id, granted_by) "
    "VALUES ($1::uuid, $2::uuid, $1::uuid) ON CONFLICT DO NOTHING",
    2};
static const struct db_stmt q_update = {
    "scholarships_update",
    "UPDATE scholarships s SET code = x.code, name = x.name, name_en = x.name_en, "
    "description = x.description, description_en = x.description_en, sub_types = x.sub_types, "
    "sub_type_selection = x.sub_type_selection, currency = x.currency, status = x.status, "
    "version = s.version + 1, updated_at = now() FROM " SCH_RECORD
    " WHERE s.id = $2::uuid RETURNING " SCH_JSON ", s.version",
    2};

static const char *const statuses[] = {"draft", "active", "archived", NULL};
static const char *const selections[] = {"single", "multiple", NULL};
static const char *const list_keys[] = {"status", "cursor", "limit", NULL};

static const struct vfield sub_type_fields[] = {
    {.name = "code", .type = VT_STRING, .flags = VF_REQUIRED, .min = 1, .max = 32},
    {.name = "name", .type = VT_STRING, .flags = VF_REQUIRED, .min = 1, .max = 200},
    {.name = "name_en", .type = VT_STRING, .flags = VF_NULLABLE, .min = 1, .max = 200},
    {.name = "amount_cents",
     .type = VT_INT,
     .flags = VF_REQUIRED,
     .min = 0,
     .max = 1000000000000LL},
};
static const struct vfield sub_type_item = {
    .type = VT_OBJECT, .children = sub_type_fields, .nchildren = 4};
static const struct vfield fields[] = {
    {.name = "code", .type = VT_STRING, .flags = VF_REQUIRED, .min = 2, .max = 32},
    {.name = "name", .type = VT_STRING, .flags = VF_REQUIRED, .min = 1, .max = 200},
    {.name = "name_en", .type = VT_STRING, .flags = VF_NULLABLE, .min = 1, .max = 200},
    {.name = "description", .type = VT_STRING, .flags = VF_NULLABLE, .min = 0, .max = 20000},
    {.name = "description_en", .type = VT_STRING, .flags = VF_NULLABLE, .min = 0, .max = 20000},
    {.name = "sub_types", .type = VT_ARRAY, .min = 0, .max = 50, .item = &sub_type_item},
    {.name = "sub_type_selection", .type = VT_ENUM, .options = selections},
    {.name = "currency", .type = VT_STRING, .min = 3, .max = 3},
    {.name = "status", .type = VT_ENUM, .options = statuses},
};

#define NFIELDS(t) (sizeof(t) / sizeof((t)[0]))
#define UPPER_DIGITS "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
#define CODE_CHARS UPPER_DIGITS "_-"
#define SUB_TYPE_CHARS "abcdefghijklmnopqrstuvwxyz0123456789_"

/* ---- shared helpers --------------------------------------------------- */

int scholarships_token_ok(const char *s, const char *set, size_t max)
{
	size_t n = strlen(s);

	return n >= 1 && n <= max && strspn(s, set) == n;
}

int scholarships_caller(struct ctx *c)
{
	if (c->user_id != NULL || http_header(c->req, "Authorization") == NULL)
		return 0;
	return auth_authenticate(c);
}

void scholarships_scope(const struct ctx *c, const char **all, const char **uid)
{
	*all = c->user_id != NULL && c->role == ROLE_SUPER_ADMIN ? "true" : "false";
	*uid = c->user_id != NULL && c->role == ROLE_ADMIN ? c->user_id : NULL;
}

void scholarships_refuse(struct ctx *c, int status, const char *detail)
{
	db_rollback(&c->w->db);
	resp_problem(c->resp, c->req, status, detail, NULL, 0);
}

void scholarships_db_fail(struct ctx *c, enum db_err err, const char *conflict)
{
	int status = db_err_status(err);

	db_rollback(&c->w->db);
	if (status == 409)
		resp_problem(c->resp, c->req, 409, conflict, NULL, 0);
	else if (status == 422)
		handler_invalid(c, "body", "is not allowed here");
	else if (status == 503)
		handler_unavailable(c, "the database is unavailable; try again");
	else
		resp_problem(c->resp, c->req, 500, NULL, NULL, 0);
}

int scholarships_if_match(struct ctx *c, const char *version)
{
	const char *p = http_header(c->req, "If-Match");
	size_t vlen = strlen(version);

	if (p == NULL) {
		scholarships_refuse(c, 428, "If-Match is required: send the ETag of your GET");
		return -1;
	}
	while (*p) {
		p += strspn(p, " \t,");
		if (*p == '*')
			return 0;
		if (*p == '"' && strncmp(p + 1, version, vlen) == 0 && p[1 + vlen] == '"')
			return 0;
		p += strcspn(p, ",");
	}
	scholarships_refuse(c, 412,
	                    "the record changed since you read it (If-Match does not match)");
	return -1;
}

void scholarships_answer(struct ctx *c, int status, const char *json, const char *version)
{
	const char *etag = arena_printf(c->arena, "\"%s\"", version);

	if (etag == NULL) {
		resp_problem(c->resp, c->req, 500, NULL, NULL, 0);
		return;
	}
	resp_json(c->resp, status, json, strlen(json));
	resp_header(c->resp, "ETag", etag);
}

void scholarships_invalid(struct ctx *c, const struct verrors *e)
{
	if (e->oom)
		resp_problem(c->resp, c->req, 500, NULL, NULL, 0);
	else
		resp_problem(c->resp, c->req, 422, "some fields are invalid", e->items, e->n);
}

int scholarships_merge(cJSON *base, const cJSON *patch, struct verrors *e)
{
	const cJSON *it;
	char path[128];

	if (!cJSON_IsObject(patch)) {
		verrors_add(e, "body", "must be a JSON object");
		return 0;
	}
	cJSON_ArrayForEach(it, patch)
	{
		cJSON *copy;

		if (it->string == NULL)
			continue;
		if (cJSON_GetObjectItemCaseSensitive(patch, it->string) != it) {
			snprintf(path, sizeof(path), "%.64s", it->string);
			verrors_add(e, path, "is repeated");
			continue;
		}
		if ((copy = cJSON_Duplicate(it, 1)) == NULL)
			return -1;
		if (cJSON_GetObjectItemCaseSensitive(base, it->string) != NULL) {
			if (!cJSON_ReplaceItemInObjectCaseSensitive(base, it->string, copy)) {
				cJSON_Delete(copy);
				return -1;
			}
		} else if (!cJSON_AddItemToObject(base, it->string, copy)) {
			cJSON_Delete(copy);
			return -1;
		}
	}
	return 0;
}

/* ---- lists ------------------------------------------------------------ */

#define CURSOR_B64 sodium_base64_VARIANT_URLSAFE_NO_PADDING
#define CURSOR_MAX 64

static int in_list(const char *const *list, const char *s)
{
	for (; *list != NULL; list++)
		if (strcmp(*list, s) == 0)
			return 1;
	return 0;
}

static const char *param(struct ctx *c, const char *name, int *malformed)
{
	const char *v = http_query(c->req, name, malformed);

	return v != NULL && *v != '\0' ? v : NULL;
}

static const char *cursor_decode(struct arena *a, const char *s)
{
	unsigned char raw[CURSOR_MAX + 1];
	const char *end;
	size_t n, i;

	if (strlen(s) > 2 * CURSOR_MAX ||
	    sodium_base642bin(raw, CURSOR_MAX, s, strlen(s), NULL, &n, &end, CURSOR_B64) != 0 ||
	    *end != '\0' || n == 0)
		return NULL;
	for (i = 0; i < n; i++)
		if (raw[i] < 0x20 || raw[i] > 0x7e)
			return NULL;
	return arena_strndup(a, (const char *)raw, n);
}

static char *cursor_encode(struct arena *a, const char *raw)
{
	size_t n = strlen(raw), len = sodium_base64_ENCODED_LEN(n, CURSOR_B64);
	char *out;

	if (n == 0 || n > CURSOR_MAX || (out = arena_alloc(a, len)) == NULL)
		return NULL;
	return sodium_bin2base64(out, len, (const unsigned char *)raw, n, CURSOR_B64);
}

int scholarships_page_query(struct ctx *c, const char *const *keys, long *limit,
                            const char **cursor)
{
	struct problem_field errs[8];
	size_t nerr = 0;
	const char *p = c->req->query, *v;
	int malformed = 0;

	*limit = 20;
	*cursor = NULL;
	while (*p) {
		size_t len = strcspn(p, "&"), klen = strcspn(p, "=");
		char *key;

		if (klen > len)
			klen = len;
		if (len > 0) {
			if ((key = http_pct_decode(c->arena, p, klen, 1)) == NULL)
				malformed = 1;
			else if (!in_list(keys, key) && nerr < 6)
				errs[nerr++] =
				    (struct problem_field){arena_printf(c->arena, "%.64s", key),
				                           "is not a known parameter"};
		}
		p += len;
		if (*p == '&')
			p++;
	}
	if ((v = param(c, "limit", &malformed)) != NULL && (*limit = handler_parse_limit(v)) == 0)
		errs[nerr++] = (struct problem_field){"limit", "must be an integer from 1 to 100"};
	if ((v = param(c, "cursor", &malformed)) != NULL &&
	    (*cursor = cursor_decode(c->arena, v)) == NULL)
		errs[nerr++] =
		    (struct problem_field){"cursor", "is not a cursor this list gave out"};
	if (malformed) {
		resp_problem(c->resp, c->req, 400, "the query string is malformed", NULL, 0);
		return -1;
	}
	if (nerr > 0) {
		resp_problem(c->resp, c->req, 400, "some query parameters are invalid", errs, nerr);
		return -1;
	}
	return 0;
}

void scholarships_answer_page(struct ctx *c, const PGresult *r, long limit, int key_col)
{
	int n = PQntuples(r), i;
	struct buf b;

	buf_init(&b, c->arena);
	buf_puts(&b, "{\"items\":[");
	for (i = 0; i < n && i < limit; i++) {
		if (i > 0)
			buf_putc(&b, ',');
		buf_puts(&b, PQgetvalue(r, i, 0));
	}
	buf_puts(&b, "],\"next_cursor\":");
	if (n > limit) {
		const char *next = cursor_encode(c->arena, PQgetvalue(r, i - 1, key_col));
		if (next == NULL)
			b.oom = 1;
		buf_json_str(&b, next);
	} else {
		buf_puts(&b, "null");
	}
	buf_putc(&b, '}');
	if (b.oom) {
		resp_problem(c->resp, c->req, 500, NULL, NULL, 0);
		return;
	}
	resp_json(c->resp, 200, b.data, b.len);
}

/* ---- validation --------------------------------------------------------- */

/* The checks a field table cannot express: code shapes, unique sub-type
 * codes. Adds to e. */
static void check_rules(const cJSON *doc, struct verrors *e)
{
	const cJSON *subs = cJSON_GetObjectItemCaseSensitive(doc, "sub_types"), *it;
	const char *code = json_str(doc, "code"), *cur = json_str(doc, "currency");
	char path[64];
	int i = 0;

	if (code != NULL && validate_utf8_len(code) >= 2 && validate_utf8_len(code) <= 32 &&
	    (!scholarships_token_ok(code, CODE_CHARS, 32) || strchr("_-", code[0]) != NULL))
		verrors_add(e, "code", "must be upper-case letters, digits, _ or -");
	if (cur != NULL && strlen(cur) == 3 && !scholarships_token_ok(cur, UPPER_DIGITS, 3))
		verrors_add(e, "currency", "must be an ISO 4217 code (three upper-case letters)");
	if (!cJSON_IsArray(subs))
		return;
	cJSON_ArrayForEach(it, subs)
	{
		const char *sc = json_str(it, "code");
		const cJSON *prev;
		int j = 0;

		snprintf(path, sizeof(path), "sub_types.%d.code", i);
		if (sc != NULL && validate_utf8_len(sc) <= 32 &&
		    !scholarships_token_ok(sc, SUB_TYPE_CHARS, 32))
			verrors_add(e, path, "must be lower-case letters, digits or _");
		for (prev = subs->child; prev != it && sc != NULL; prev = prev->next, j++)
			if (json_str(prev, "code") != NULL &&
			    strcmp(json_str(prev, "code"), sc) == 0) {
				verrors_add(e, path, "is the code of another sub-type");
				break;
			}
		i++;
	}
}

/* Validate a whole scholarship document; 0 valid, -1 with 422 answered. */
static int validate_doc(struct ctx *c, const cJSON *doc, struct verrors *e)
{
	validate_object(doc, fields, NFIELDS(fields), "", e);
	if (cJSON_IsObject(doc))
		check_rules(doc, e);
	if (e->n == 0 && !e->oom)
		return 0;
	scholarships_invalid(c, e);
	return -1;
}

static const char *const conflict = "a scholarship with this code already exists";

/* ---- routes ------------------------------------------------------------- */

void scholarships_list(struct ctx *c)
{
	const char *p[5], *status;
	int malformed = 0;
	long limit;
	enum db_err err;
	PGresult *r;

	if (scholarships_caller(c) < 0 || scholarships_page_query(c, list_keys, &limit, &p[3]) < 0)
		return;
	status = param(c, "status", &malformed);
	if ((status != NULL && !in_list(statuses, status)) ||
	    (p[3] != NULL && !scholarships_token_ok(p[3], CODE_CHARS, 32))) {
		struct problem_field f = {status != NULL && !in_list(statuses, status) ? "status"
		                                                                       : "cursor",
		                          "is not valid"};
		resp_problem(c->resp, c->req, 400, "some query parameters are invalid", &f, 1);
		return;
	}
	scholarships_scope(c, &p[0], &p[1]);
	p[2] = status;
	p[4] = arena_printf(c->arena, "%ld", limit + 1);
	if ((r = db_exec(&c->w->db, c->arena, &q_list, p, &err, NULL)) == NULL) {
		scholarships_db_fail(c, err, conflict);
		return;
	}
	scholarships_answer_page(c, r, limit, 1);
}

void scholarships_get(struct ctx *c)
{
	const char *p[3];
	enum db_err err;
	PGresult *r;

	if (scholarships_caller(c) < 0)
		return;
	scholarships_scope(c, &p[0], &p[1]);
	p[2] = c->req->path_ids[0];
	if ((r = db_exec(&c->w->db, c->arena, &q_get, p, &err, NULL)) == NULL)
		scholarships_db_fail(c, err, conflict);
	else if (PQntuples(r) != 1)
		resp_problem(c->resp, c->req, 404, "there is no such scholarship", NULL, 0);
	else
		scholarships_answer(c, 200, PQgetvalue(r, 0, SC_JSON),
		                    PQgetvalue(r, 0, SC_VERSION));
}

void scholarships_create(struct ctx *c)
{
	struct verrors e;
	const char *p[2], *doc, *id;
	enum db_err err;
	PGresult *r;

	if (c->body == NULL) {
		resp_problem(c->resp, c->req, 400, "a JSON body is required", NULL, 0);
		return;
	}
	verrors_init(&e, c->arena);
	if (validate_doc(c, c->body, &e) < 0)
		return;
	if ((doc = json_print(c->arena, c->body)) == NULL) {
		resp_problem(c->resp, c->req, 500, NULL, NULL, 0);
		return;
	}
	p[0] = doc, p[1] = c->user_id;
	if (db_begin(&c->w->db) < 0) {
		handler_unavailable(c, "the database is unavailable");
		return;
	}
	if ((r = db_exec(&c->w->db, c->arena, &q_insert, p, &err, NULL)) == NULL) {
		scholarships_db_fail(c, err, conflict);
		return;
	}
	if (PQntuples(r) != 1) {
		scholarships_refuse(c, 409, conflict);
		return;
	}
	id = PQgetvalue(r, 0, SC_ID);
	p[0] = c->user_id, p[1] = id;
	if ((c->role == ROLE_ADMIN &&
	     db_exec(&c->w->db, c->arena, &q_grant, p, &err, NULL) == NULL) ||
	    audit_record(c, NULL, "scholarship.created", "scholarship", id, NULL,
	                 PQgetvalue(r, 0, SC_JSON)) < 0 ||
	    db_commit(&c->w->db) < 0) {
		db_rollback(&c->w->db);
		handler_unavailable(c, "the request could not be completed; try again");
		return;
	}
	resp_header(c->resp, "Location", arena_printf(c->arena, "/api/v1/scholarships/%s", id));
	scholarships_answer(c, 201, PQgetvalue(r, 0, SC_JSON), PQgetvalue(r, 0, SC_VERSION));
}

void scholarships_update(struct ctx *c)
{
	struct verrors e;
	const char *p[3], *doc, *why;
	enum db_err err;
	PGresult *cur, *r;
	cJSON *merged;

	if (c->body == NULL) {
		resp_problem(c->resp, c->req, 400, "a JSON body is required", NULL, 0);
		return;
	}
	scholarships_scope(c, &p[0], &p[1]);
	p[2] = c->req->path_ids[0];
	if (db_begin(&c->w->db) < 0) {
		handler_unavailable(c, "the database is unavailable");
		return;
	}
	if ((cur = db_exec(&c->w->db, c->arena, &q_lock, p, &err, NULL)) == NULL) {
		scholarships_db_fail(c, err, conflict);
		return;
	}
	if (PQntuples(cur) != 1) {
		scholarships_refuse(c, 404, "there is no such scholarship");
		return;
	}
	if (scholarships_if_match(c, PQgetvalue(cur, 0, SC_VERSION)) < 0)
		return;
	verrors_init(&e, c->arena);
	doc = PQgetvalue(cur, 0, SC_WRITABLE);
	if ((merged = json_parse(c->arena, doc, strlen(doc), &why)) == NULL ||
	    scholarships_merge(merged, c->body, &e) < 0) {
		db_rollback(&c->w->db);
		resp_problem(c->resp, c->req, 500, NULL, NULL, 0);
		return;
	}
	if (validate_doc(c, merged, &e) < 0) {
		db_rollback(&c->w->db);
		return;
	}
	p[0] = json_print(c->arena, merged), p[1] = c->req->path_ids[0];
	if (p[0] == NULL) {
		db_rollback(&c->w->db);
		resp_problem(c->resp, c->req, 500, NULL, NULL, 0);
		return;
	}
	if ((r = db_exec(&c->w->db, c->arena, &q_update, p, &err, NULL)) == NULL) {
		scholarships_db_fail(c, err, conflict);
		return;
	}
	if (audit_record(c, NULL, "scholarship.updated", "scholarship", p[1],
	                 PQgetvalue(cur, 0, SC_JSON), PQgetvalue(r, 0, SC_JSON)) < 0 ||
	    db_commit(&c->w->db) < 0) {
		db_rollback(&c->w->db);
		handler_unavailable(c, "the request could not be completed; try again");
		return;
	}
	scholarships_answer(c, 200, PQgetvalue(r, 0, SC_JSON), PQgetvalue(r, 0, SC_VERSION));
}

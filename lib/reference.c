/*
 * reference.c -- the public reference data routes: colleges, departments
 * (optionally of one college) and degree levels, from the tables of
 * schema/migrations/0004_reference.sql.
 *
 * Reference data changes a few times a year, and every form of the UI asks
 * for it, so each worker keeps the rows of each table in process memory
 * and asks PostgreSQL again only after REFERENCE_CACHE_SECONDS. Browsers
 * and proxies may keep an answer for five minutes (Cache-Control: public,
 * max-age=300) and revalidate it with If-None-Match against the ETag, a
 * hash of the body. A change to the tables is therefore visible after at
 * most a minute from the API and six from a browser.
 *
 * Memory: the cache (ref_cache[] below) is heap memory of this process,
 * never arena memory. Each table's rows are one malloc'd block (item array
 * followed by the strings it points into), created lazily by the first
 * request of a worker (so always after fork, never inherited from the
 * master), replaced and freed by the next refresh, and otherwise freed
 * only by reference_cache_release() or at process exit. A failed refresh
 * keeps nothing half-built: the old block stays until a new one is
 * complete. Everything built per request (JSON body, ETag string) lives
 * in the request arena.
 */
#include "reference.h"

#include "arena.h"
#include "buf.h"
#include "db.h"
#include "http.h"
#include "log.h"
#include "worker.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum ref_table {
	REF_COLLEGES,
	REF_DEPARTMENTS,
	REF_DEGREES,
	REF__MAX,
};

/* Every query answers (code, parent, name, name_en) in display order. */
static const struct db_stmt ref_stmts[REF__MAX] = {
    [REF_COLLEGES] = {"reference_colleges",
                      "SELECT code, NULL::text, name, name_en FROM colleges"
                      " WHERE active ORDER BY sort_order, code",
                      0},
    [REF_DEPARTMENTS] = {"reference_departments",
                         "SELECT d.code, d.college_code, d.name, d.name_en"
                         " FROM departments d JOIN colleges c ON c.code = d.college_code"
                         " WHERE d.active AND c.active"
                         " ORDER BY c.sort_order, c.code, d.sort_order, d.code",
                         0},
    [REF_DEGREES] = {"reference_degrees",
                     "SELECT code, NULL::text, name, name_en FROM degrees"
                     " ORDER BY sort_order, code",
                     0},
};

struct ref_cache {
	struct reference_item *items; /* one heap block with its strings; NULL: never loaded */
	size_t n;
	double loaded_at; /* db_now() at load */
};

static struct ref_cache ref_cache[REF__MAX];

int reference_code_valid(const char *s)
{
	size_t i;

	if (s == NULL)
		return 0;
	for (i = 0; s[i] != '\0'; i++) {
		if (i >= REFERENCE_CODE_MAX)
			return 0;
		if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9')))
			return 0;
	}
	return i > 0;
}

void reference_json(struct buf *b, const struct reference_item *items, size_t n, int with_parent,
                    const char *parent_filter)
{
	size_t i;
	int first = 1;

	buf_puts(b, "{\"items\":[");
	for (i = 0; i < n; i++) {
		const struct reference_item *it = &items[i];

		if (parent_filter != NULL &&
		    (it->parent == NULL || strcmp(it->parent, parent_filter) != 0))
			continue;
		buf_puts(b, first ? "{\"code\":" : ",{\"code\":");
		first = 0;
		buf_json_str(b, it->code);
		if (with_parent) {
			buf_puts(b, ",\"college_code\":");
			buf_json_str(b, it->parent);
		}
		buf_puts(b, ",\"name\":");
		buf_json_str(b, it->name);
		buf_puts(b, ",\"name_en\":");
		buf_json_str(b, it->name_en);
		buf_putc(b, '}');
	}
	buf_puts(b, "]}");
}

void reference_etag(const char *body, size_t len, char out[REFERENCE_ETAG_LEN])
{
	uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a 64 offset basis */
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)body[i];
		h *= 0x100000001b3ULL;
	}
	snprintf(out, REFERENCE_ETAG_LEN, "\"%016llx\"", (unsigned long long)h);
}

int reference_etag_match(const char *inm, const char *etag)
{
	size_t elen = strlen(etag);
	const char *p = inm, *end;

	if (inm == NULL)
		return 0;
	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (*p == '\0')
			return 0;
		if (*p == '*')
			return 1;
		if (p[0] == 'W' && p[1] == '/')
			p += 2;
		if (*p != '"')
			return 0;
		end = strchr(p + 1, '"');
		if (end == NULL)
			return 0;
		if ((size_t)(end + 1 - p) == elen && memcmp(p, etag, elen) == 0)
			return 1;
		p = end + 1;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p != ',' && *p != '\0')
			return 0;
	}
}

void reference_cache_release(void)
{
	size_t i;

	for (i = 0; i < REF__MAX; i++) {
		free(ref_cache[i].items);
		memset(&ref_cache[i], 0, sizeof(ref_cache[i]));
	}
}

/* Copy res into one heap block; NULL when out of memory. */
static struct reference_item *ref_copy(const PGresult *res, size_t *np)
{
	size_t n = (size_t)PQntuples(res), size, i, off;
	struct reference_item *items;
	char *s;
	int col;

	if (n > SIZE_MAX / sizeof(*items) / 2)
		return NULL;
	size = n * sizeof(*items);
	for (i = 0; i < n; i++)
		for (col = 0; col < 4; col++)
			if (!PQgetisnull(res, (int)i, col))
				size += (size_t)PQgetlength(res, (int)i, col) + 1;
	items = malloc(size ? size : 1);
	if (items == NULL)
		return NULL;
	s = (char *)(items + n);
	off = 0;
	for (i = 0; i < n; i++) {
		const char **field[4] = {&items[i].code, &items[i].parent, &items[i].name,
		                         &items[i].name_en};

		for (col = 0; col < 4; col++) {
			size_t len;

			if (PQgetisnull(res, (int)i, col)) {
				*field[col] = NULL;
				continue;
			}
			len = (size_t)PQgetlength(res, (int)i, col);
			memcpy(s + off, PQgetvalue(res, (int)i, col), len + 1);
			*field[col] = s + off;
			off += len + 1;
		}
	}
	*np = n;
	return items;
}

/*
 * The rows of table t, from the cache while it is fresh, else from the
 * database. NULL with *err set when the database fails (a stale copy is
 * not served: the caller answers 503 and the client retries), or with
 * DB_FAILED when out of memory.
 */
static const struct ref_cache *ref_rows(struct ctx *c, enum ref_table t, enum db_err *err)
{
	struct ref_cache *rc = &ref_cache[t];
	double now = db_now();
	struct reference_item *items;
	PGresult *res;
	size_t n = 0;

	if (rc->items != NULL && now - rc->loaded_at < REFERENCE_CACHE_SECONDS &&
	    now >= rc->loaded_at)
		return rc;
	res = db_exec(&c->w->db, c->arena, &ref_stmts[t], NULL, err, NULL);
	if (res == NULL)
		return NULL;
	if (PQnfields(res) != 4 || (items = ref_copy(res, &n)) == NULL) {
		log_error("reference: cannot cache %s", ref_stmts[t].name);
		*err = DB_FAILED;
		return NULL;
	}
	free(rc->items);
	rc->items = items;
	rc->n = n;
	rc->loaded_at = now;
	return rc;
}

/* Answer the list of table t (departments of filter only, when given). */
static void ref_answer(struct ctx *c, enum ref_table t, const char *filter)
{
	const struct ref_cache *rc;
	enum db_err err = DB_OK;
	char etag[REFERENCE_ETAG_LEN];
	const char *tag, *inm;
	struct buf b;

	rc = ref_rows(c, t, &err);
	if (rc == NULL) {
		int status = db_err_status(err);

		resp_problem(c->resp, c->req, status,
		             status == 503 ? "the database is unavailable, retry shortly" : NULL,
		             NULL, 0);
		if (status == 503)
			resp_header(c->resp, "Retry-After", "5");
		return;
	}
	buf_init(&b, c->arena);
	reference_json(&b, rc->items, rc->n, t == REF_DEPARTMENTS, filter);
	reference_etag(b.data, b.len, etag);
	tag = arena_strdup(c->arena, etag);
	if (b.oom || tag == NULL) {
		resp_problem(c->resp, c->req, 500, NULL, NULL, 0);
		return;
	}
	inm = http_header(c->req, "If-None-Match");
	if (reference_etag_match(inm, tag))
		resp_empty(c->resp, 304);
	else
		resp_json(c->resp, 200, b.data, b.len);
	if (resp_header(c->resp, "Cache-Control", "public, max-age=300") < 0 ||
	    resp_header(c->resp, "ETag", tag) < 0) {
		c->resp->headers = NULL; /* a 500 must not be cacheable */
		resp_problem(c->resp, c->req, 500, NULL, NULL, 0);
	}
}

void reference_colleges(struct ctx *c)
{
	ref_answer(c, REF_COLLEGES, NULL);
}

void reference_degrees(struct ctx *c)
{
	ref_answer(c, REF_DEGREES, NULL);
}

void reference_departments(struct ctx *c)
{
	static const struct problem_field bad_code = {
	    "college_code", "must be 1 to 10 upper-case letters or digits"};
	int bad = 0;
	const char *college = http_query(c->req, "college_code", &bad);

	if (bad) {
		resp_problem(c->resp, c->req, 400, "the query string is malformed", NULL, 0);
		return;
	}
	if (college != NULL && !reference_code_valid(college)) {
		resp_problem(c->resp, c->req, 400, "college_code is not a college code", &bad_code,
		             1);
		return;
	}
	ref_answer(c, REF_DEPARTMENTS, college);
}

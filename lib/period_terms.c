/*
 * period_terms.c -- the terms document routes of period_terms.h.
 *
 * Upload: the period is checked first (in the caller's scope, not
 * finalized or archived); the file is streamed and scanned (upload.h),
 * must be a PDF by its first bytes, is stored under a new key, and then,
 * in one transaction that locks the period, its row replaces the old one
 * and the period's terms_document takes its name; the old object goes
 * after the commit. Any failure removes the new object.
 */
#include "period_terms.h"

#include "applications_int.h"
#include "arena.h"
#include "audit.h"
#include "config.h"
#include "documents.h"
#include "document_file.h"
#include "handler.h"
#include "http.h"
#include "router.h"
#include "scholarships.h"
#include "storage.h"
#include "upload.h"
#include "worker.h"

#include <string.h>

/* clang-format off */
#define TERMS_JSON \
	"json_build_object('period_id', t.period_id, 'filename', t.filename, 'size', t.size, " \
	"'sha256', t.sha256, 'uploaded_at', " SCH_UTC("t.uploaded_at") ")::text"
/* clang-format on */

static const struct db_stmt q_period = {
    "terms_period",
    "SELECT p.id, p.status IN ('finalized', 'archived') FROM periods p "
    "JOIN scholarships s ON s.id = p.scholarship_id WHERE p.id = $1::uuid AND " SCH_EDITS(2, 3,
                                                                                          "s"),
    3};
static const struct db_stmt q_lock = {
    "terms_lock",
    "SELECT (SELECT t.storage_key FROM period_terms t WHERE t.period_id = p.id) FROM periods p "
    "WHERE p.id = $1::uuid AND p.status NOT IN ('finalized', 'archived') FOR UPDATE",
    1};
static const struct db_stmt q_upsert = {
    "terms_upsert",
    "WITH t AS (INSERT INTO period_terms AS t (period_id, filename, size, sha256, storage_key, "
    "uploaded_by) VALUES ($1::uuid, $2, $3::bigint, $4, $5, $6::uuid) ON CONFLICT (period_id) "
    "DO UPDATE SET filename = EXCLUDED.filename, size = EXCLUDED.size, sha256 = EXCLUDED.sha256, "
    "storage_key = EXCLUDED.storage_key, uploaded_by = EXCLUDED.uploaded_by, uploaded_at = now() "
    "RETURNING t.*), p AS (UPDATE periods SET terms_document = $2, version = version + 1, "
    "updated_at = now() WHERE id = $1::uuid) SELECT " TERMS_JSON " FROM t",
    6};
static const struct db_stmt q_get = {
    "terms_get",
    "SELECT t.storage_key, t.filename FROM period_terms t JOIN periods p ON p.id = t.period_id "
    "JOIN scholarships s ON s.id = p.scholarship_id WHERE p.id = $3::uuid AND (" SCH_EDITS(
        1, 2, "s") " OR (s.status = 'active' AND p.status <> 'draft'))",
    3};

static const char frozen[] = "a finalized or archived period cannot be changed";

/* The period of the path in the caller's scope: its id, or NULL answered. */
static const char *editable_period(struct ctx *c)
{
	const char *p[3] = {c->req->path_ids[0]};
	enum db_err err;
	PGresult *r;

	scholarships_scope(c, &p[1], &p[2]);
	if ((r = db_exec(&c->w->db, c->arena, &q_period, p, &err, NULL)) == NULL)
		app_db_fail(c, err);
	else if (PQntuples(r) != 1)
		resp_problem(c->resp, c->req, 404, "there is no such period", NULL, 0);
	else if (strcmp(PQgetvalue(r, 0, 1), "t") == 0)
		resp_problem(c->resp, c->req, 409, frozen, NULL, 0);
	else
		return PQgetvalue(r, 0, 0);
	return NULL;
}

/* Write the row of a stored object and answer 201, or remove it. */
static void record(struct ctx *c, const struct upload *u, const char *period, const char *key,
                   const char *sha)
{
	const char *p[6] = {period};
	char size[32];
	enum db_err err;
	PGresult *old, *r;

	if (app_begin(c) < 0)
		goto removed;
	if ((old = db_exec(&c->w->db, c->arena, &q_lock, p, &err, NULL)) == NULL) {
		scholarships_db_fail(c, err, frozen);
		goto removed;
	}
	if (PQntuples(old) != 1) {
		scholarships_refuse(c, 409, frozen);
		goto removed;
	}
	snprintf(size, sizeof(size), "%llu", u->size);
	p[1] = u->filename, p[2] = size, p[3] = sha, p[4] = key, p[5] = c->user_id;
	if ((r = db_exec(&c->w->db, c->arena, &q_upsert, p, &err, NULL)) == NULL) {
		scholarships_db_fail(c, err, frozen);
		goto removed;
	}
	if (audit_record(c, NULL, "period.terms_uploaded", "period", period, NULL,
	                 PQgetvalue(r, 0, 0)) < 0 ||
	    db_commit(&c->w->db) < 0) {
		db_rollback(&c->w->db);
		handler_unavailable(c, "the request could not be completed; try again");
		goto removed;
	}
	if (!PQgetisnull(old, 0, 0))
		storage_remove(c->w->cfg, PQgetvalue(old, 0, 0));
	resp_json(c->resp, 201, PQgetvalue(r, 0, 0), (size_t)PQgetlength(r, 0, 0));
	return;
removed:
	storage_remove(c->w->cfg, key);
}

void period_terms_upload(struct ctx *c)
{
	const char *period, *type;
	char id[37], sha[65], *key;
	struct upload u;

	if (upload_begin(c, &u, (unsigned long long)c->w->cfg->max_upload_mb * 1048576ULL, 0) < 0 ||
	    (period = editable_period(c)) == NULL || upload_read(&u) < 0 ||
	    upload_scan(&u, "period", period) < 0)
		return;
	type = docfile_type(u.head, u.head_len);
	if (u.files == 0) {
		handler_invalid(c, "file", "choose the regulations PDF to upload");
		goto out;
	}
	if (type == NULL || strcmp(type, "application/pdf") != 0) {
		resp_problem(c->resp, c->req, 415, "the terms document must be a PDF", NULL, 0);
		goto out;
	}
	upload_finish(&u, sha);
	upload_new_uuid(id);
	key = arena_printf(c->arena, "periods/%s/%s", period, id);
	if (key == NULL || storage_put(c->w->cfg, u.tmp, key, (long long)u.size, sha, type) < 0) {
		handler_unavailable(c, "the document storage is unavailable; try again");
		return;
	}
	record(c, &u, period, key, sha);
	return;
out:
	upload_discard(&u);
}

void period_terms_download(struct ctx *c)
{
	const char *p[3];
	enum db_err err;
	PGresult *r;

	if (scholarships_caller(c) < 0)
		return;
	scholarships_scope(c, &p[0], &p[1]);
	p[2] = c->req->path_ids[0];
	if ((r = db_exec(&c->w->db, c->arena, &q_get, p, &err, NULL)) == NULL) {
		app_db_fail(c, err);
		return;
	}
	if (PQntuples(r) != 1) {
		resp_problem(c->resp, c->req, 404, "this period has no terms document", NULL, 0);
		return;
	}
	documents_send(c, PQgetvalue(r, 0, 0), PQgetvalue(r, 0, 1), "application/pdf");
}

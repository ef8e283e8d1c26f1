/*
 * documents.c -- the document routes of documents.h.
 *
 * Upload, in order: the application is checked first (the owner's, still
 * editable: else 404/409 before a byte is read); the body is streamed
 * into a temporary file of the storage (upload.h: size bounded as it
 * grows, SHA-256 and first bytes kept) and scanned when clamd is set up;
 * then the kind, the file type (magic bytes only) and the size are
 * checked against the period's required_documents; the file is stored
 * under applications/{application}/{document}; last, in one transaction
 * that locks the application, the kind's max_count is checked again and
 * the row and its audit row are written. Every failure after the object
 * was stored removes it.
 */
#include "documents.h"
#include "applications_int.h"

#include "arena.h"
#include "audit.h"
#include "buf.h"
#include "config.h"
#include "document_file.h"
#include "handler.h"
#include "http.h"
#include "json.h"
#include "log.h"
#include "router.h"
#include "storage.h"
#include "upload.h"
#include "validate.h"
#include "worker.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* clang-format off */
#define DOC_JSON \
	"json_build_object('id', d.id, 'application_id', d.application_id, 'kind', d.kind, " \
	"'filename', d.filename, 'content_type', d.content_type, 'size', d.size, " \
	"'sha256', d.sha256, 'created_at', " SCH_UTC("d.created_at") ")"
#define DOC_EDITABLE "a.status IN ('draft', 'returned', 'pending_documents')"
/* clang-format on */

static const struct db_stmt q_target = {
    "documents_target",
    "SELECT " DOC_EDITABLE ", p.required_documents::text, a.id FROM applications a "
    "JOIN periods p ON p.id = a.period_id WHERE a.id = $1::uuid AND a.user_id = $2::uuid",
    2};
static const struct db_stmt q_lock = {
    "documents_lock",
    "SELECT " DOC_EDITABLE ", (SELECT count(*) FROM documents d WHERE d.application_id = a.id "
    "AND d.kind = $3) FROM applications a WHERE a.id = $1::uuid AND a.user_id = $2::uuid "
    "FOR UPDATE",
    3};
static const struct db_stmt q_insert = {
    "documents_insert",
    "INSERT INTO documents AS d (id, application_id, kind, filename, content_type, size, sha256, "
    "storage_key, uploaded_by) VALUES ($1::uuid, $2::uuid, $3, $4, $5, $6::bigint, $7, $8, "
    "$9::uuid) RETURNING " DOC_JSON "::text",
    9};

static const char not_found[] = "there is no such application";

/* ---- checks against the period's required_documents ---------------------- */

static const cJSON *find_kind(const cJSON *docs, const char *kind)
{
	const cJSON *d;

	cJSON_ArrayForEach(d, docs)
	{
		const char *k = json_str(d, "kind");

		if (k != NULL && strcmp(k, kind) == 0)
			return d;
	}
	return NULL;
}

static int accepts(const cJSON *spec, const char *type)
{
	const cJSON *t;

	cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(spec, "accepted_types"))
	{
		if (cJSON_IsString(t) && strcmp(t->valuestring, type) == 0)
			return 1;
	}
	return 0;
}

/* The file against its kind; its type in *type. 0, or -1 answered. */
static int check_file(struct ctx *c, struct upload *u, const cJSON *spec, const char **type)
{
	const cJSON *mb = cJSON_GetObjectItemCaseSensitive(spec, "max_mb");

	if (u->files == 0) {
		handler_invalid(c, "file", "choose a file to upload");
		return -1;
	}
	if ((*type = docfile_type(u->head, u->head_len)) == NULL) {
		resp_problem(c->resp, c->req, 415,
		             u->size == 0
		                 ? "the file is empty"
		                 : "the file is not a PDF, PNG or JPEG (checked by its content)",
		             NULL, 0);
		return -1;
	}
	if (!accepts(spec, *type)) {
		resp_problem(
		    c->resp, c->req, 415,
		    arena_printf(c->arena, "this kind of document does not accept %s", *type), NULL,
		    0);
		return -1;
	}
	if (cJSON_IsNumber(mb) && u->size > (unsigned long long)mb->valuedouble * 1048576ULL) {
		resp_problem(c->resp, c->req, 413,
		             arena_printf(c->arena, "this kind of document is limited to %d MB",
		                          (int)mb->valuedouble),
		             NULL, 0);
		return -1;
	}
	return 0;
}

/* Write the row of a stored object; answers 201, or removes the object
 * and answers the failure. */
static void record(struct ctx *c, struct upload *u, const cJSON *spec, const char *type,
                   const char *app, const char *id, const char *key, const char *sha)
{
	const cJSON *mc = cJSON_GetObjectItemCaseSensitive(spec, "max_count");
	const char *p[9] = {app, c->user_id, u->kind};
	char size[32];
	enum db_err err;
	PGresult *r;

	if (app_begin(c) < 0)
		goto removed;
	if ((r = db_exec(&c->w->db, c->arena, &q_lock, p, &err, NULL)) == NULL) {
		scholarships_db_fail(c, err, "the document could not be stored");
		goto removed;
	}
	if (PQntuples(r) != 1 || strcmp(PQgetvalue(r, 0, 0), "t") != 0) {
		scholarships_refuse(c, 409, "the application can no longer be changed");
		goto removed;
	}
	if (cJSON_IsNumber(mc) && strtol(PQgetvalue(r, 0, 1), NULL, 10) >= (long)mc->valuedouble) {
		scholarships_refuse(
		    c, 409,
		    arena_printf(c->arena, "at most %d files of this kind", (int)mc->valuedouble));
		goto removed;
	}
	snprintf(size, sizeof(size), "%llu", u->size);
	p[0] = id, p[1] = app, p[2] = u->kind, p[3] = u->filename, p[4] = type;
	p[5] = size, p[6] = sha, p[7] = key, p[8] = c->user_id;
	if ((r = db_exec(&c->w->db, c->arena, &q_insert, p, &err, NULL)) == NULL) {
		scholarships_db_fail(c, err, "the document could not be stored");
		goto removed;
	}
	if (audit_record(c, NULL, "document.uploaded", "document", id, NULL, PQgetvalue(r, 0, 0)) <
	        0 ||
	    db_commit(&c->w->db) < 0) {
		db_rollback(&c->w->db);
		handler_unavailable(c, "the request could not be completed; try again");
		goto removed;
	}
	resp_header(c->resp, "Location", arena_printf(c->arena, "/api/v1/documents/%s", id));
	resp_json(c->resp, 201, PQgetvalue(r, 0, 0), (size_t)PQgetlength(r, 0, 0));
	return;
removed:
	storage_remove(c->w->cfg, key);
}

/* The application the upload is for: the owner's, still editable. Its
 * row (editable, required_documents, id), or NULL when answered. */
static PGresult *target(struct ctx *c)
{
	const char *p[2] = {c->req->path_ids[0], c->user_id};
	enum db_err err;
	PGresult *r;

	if ((r = db_exec(&c->w->db, c->arena, &q_target, p, &err, NULL)) == NULL)
		app_db_fail(c, err);
	else if (PQntuples(r) != 1)
		resp_problem(c->resp, c->req, 404, not_found, NULL, 0);
	else if (strcmp(PQgetvalue(r, 0, 0), "t") != 0)
		resp_problem(c->resp, c->req, 409, "the application can no longer be changed", NULL,
		             0);
	else
		return r;
	return NULL;
}

void documents_upload(struct ctx *c)
{
	const char *type, *app;
	char id[37], sha[65], *key;
	const cJSON *docs, *spec;
	struct upload u;
	PGresult *r;

	if (upload_begin(c, &u, (unsigned long long)c->w->cfg->max_upload_mb * 1048576ULL, 1) < 0 ||
	    (r = target(c)) == NULL)
		return;
	if ((docs = app_parsed(c, r, 1)) == NULL) {
		resp_problem(c->resp, c->req, 500, NULL, NULL, 0);
		return;
	}
	/* The application's id as the database writes it (lower case). */
	app = PQgetvalue(r, 0, 2);
	/* The scan comes before the type checks: a finding is named even in
	 * a file that is not a PDF, PNG or JPEG (EICAR is plain text). */
	if (upload_read(&u) < 0 || upload_scan(&u, "application", app) < 0)
		return;
	if ((spec = find_kind(docs, u.kind)) == NULL) {
		handler_invalid(c, "kind", "is not a document this period asks for");
		goto out;
	}
	if (check_file(c, &u, spec, &type) < 0)
		goto out;
	upload_finish(&u, sha);
	upload_new_uuid(id);
	key = arena_printf(c->arena, "applications/%s/%s", app, id);
	if (key == NULL || storage_put(c->w->cfg, u.tmp, key, (long long)u.size, sha, type) < 0) {
		handler_unavailable(c, "the document storage is unavailable; try again");
		return;
	}
	record(c, &u, spec, type, app, id, key, sha);
	return;
out:
	upload_discard(&u);
}

/* ---- reading and deleting ------------------------------------------------ */

/* clang-format off */
#define DOC_FROM " FROM documents d JOIN applications a ON a.id = d.application_id " \
	"JOIN periods p ON p.id = a.period_id JOIN students st ON st.id = a.student_id "
#define DOCS_OF(scope) \
	"SELECT COALESCE((SELECT json_agg(" DOC_JSON " ORDER BY d.kind, d.created_at, d.id) " \
	"FROM documents d WHERE d.application_id = a.id), '[]')::text FROM applications a " \
	"JOIN periods p ON p.id = a.period_id JOIN students st ON st.id = a.student_id " \
	"WHERE a.id = $2::uuid AND " scope
#define DOC_ONE(scope) \
	"SELECT d.storage_key, d.content_type, d.filename, d.id" DOC_FROM \
	"WHERE d.id = $2::uuid AND " scope
/* clang-format on */

static const struct db_stmt q_docs[SC__MAX] = {
    [SC_STUDENT] = {"documents_list_student", DOCS_OF(APP_SCOPE_STUDENT), 2},
    [SC_REVIEWER] = {"documents_list_reviewer", DOCS_OF(APP_SCOPE_REVIEWER), 2},
    [SC_COLLEGE] = {"documents_list_college", DOCS_OF(APP_SCOPE_COLLEGE), 2},
    [SC_ADMIN] = {"documents_list_admin", DOCS_OF(APP_SCOPE_ADMIN), 2},
    [SC_ALL] = {"documents_list_all", DOCS_OF(APP_SCOPE_ALL), 2},
};
static const struct db_stmt q_doc[SC__MAX] = {
    [SC_STUDENT] = {"documents_one_student", DOC_ONE(APP_SCOPE_STUDENT), 2},
    [SC_REVIEWER] = {"documents_one_reviewer", DOC_ONE(APP_SCOPE_REVIEWER), 2},
    [SC_COLLEGE] = {"documents_one_college", DOC_ONE(APP_SCOPE_COLLEGE), 2},
    [SC_ADMIN] = {"documents_one_admin", DOC_ONE(APP_SCOPE_ADMIN), 2},
    [SC_ALL] = {"documents_one_all", DOC_ONE(APP_SCOPE_ALL), 2},
};
static const struct db_stmt q_own = {
    "documents_own",
    "SELECT d.storage_key, " DOC_JSON "::text FROM documents d "
    "JOIN applications a ON a.id = d.application_id "
    "WHERE d.id = $1::uuid AND a.user_id = $2::uuid AND " DOC_EDITABLE " FOR UPDATE OF a",
    2};
static const struct db_stmt q_delete = {"documents_delete",
                                        "DELETE FROM documents WHERE id = $1::uuid", 1};

void documents_list(struct ctx *c)
{
	const char *p[2] = {NULL, c->req->path_ids[0]};
	enum app_scope sc = app_scope_of(c, &p[0]);
	enum db_err err;
	PGresult *r;
	struct buf b;

	if ((r = db_exec(&c->w->db, c->arena, &q_docs[sc], p, &err, NULL)) == NULL) {
		app_db_fail(c, err);
		return;
	}
	if (PQntuples(r) != 1) {
		resp_problem(c->resp, c->req, 404, not_found, NULL, 0);
		return;
	}
	buf_init(&b, c->arena);
	buf_printf(&b, "{\"items\":%s}", PQgetvalue(r, 0, 0));
	if (b.oom) {
		resp_problem(c->resp, c->req, 500, NULL, NULL, 0);
		return;
	}
	resp_json(c->resp, 200, b.data, b.len);
}

void documents_send(struct ctx *c, const char *key, const char *filename, const char *type)
{
	const char *disp = docfile_disposition(c->arena, filename), *url;

	if (disp == NULL) {
		resp_problem(c->resp, c->req, 500, NULL, NULL, 0);
		return;
	}
	if (c->w->cfg->storage_backend == CFG_STORAGE_S3) {
		if ((url = storage_presign(c->w->cfg, c->arena, key, disp, type)) == NULL) {
			handler_unavailable(c, "the document storage is unavailable; try again");
			return;
		}
		resp_empty(c->resp, 302);
		resp_header(c->resp, "Location", url);
		return;
	}
	resp_empty(c->resp, 200);
	c->resp->content_type = type;
	resp_header(c->resp, "Content-Disposition", disp);
	resp_header(c->resp, "X-Content-Type-Options", "nosniff");
	resp_header(c->resp, "X-Accel-Redirect", storage_accel_uri(c->arena, key));
}

void documents_content(struct ctx *c)
{
	const char *p[2] = {NULL, c->req->path_ids[0]};
	enum app_scope sc = app_scope_of(c, &p[0]);
	enum db_err err;
	PGresult *r;

	if ((r = db_exec(&c->w->db, c->arena, &q_doc[sc], p, &err, NULL)) == NULL) {
		app_db_fail(c, err);
		return;
	}
	if (PQntuples(r) != 1) {
		resp_problem(c->resp, c->req, 404, "there is no such document", NULL, 0);
		return;
	}
	if (audit_record(c, NULL, "document.downloaded", "document", PQgetvalue(r, 0, 3), NULL,
	                 NULL) < 0) {
		handler_unavailable(c, "the request could not be completed; try again");
		return;
	}
	documents_send(c, PQgetvalue(r, 0, 0), PQgetvalue(r, 0, 2), PQgetvalue(r, 0, 1));
}

void documents_delete(struct ctx *c)
{
	const char *p[2] = {c->req->path_ids[0], c->user_id}, *key;
	enum db_err err;
	PGresult *r;

	if (app_begin(c) < 0)
		return;
	if ((r = db_exec(&c->w->db, c->arena, &q_own, p, &err, NULL)) == NULL) {
		scholarships_db_fail(c, err, "the document could not be deleted");
		return;
	}
	if (PQntuples(r) != 1) {
		scholarships_refuse(c, 404, "there is no such document you may delete");
		return;
	}
	key = PQgetvalue(r, 0, 0);
	if (db_exec(&c->w->db, c->arena, &q_delete, p, &err, NULL) == NULL) {
		scholarships_db_fail(c, err, "the document could not be deleted");
		return;
	}
	if (audit_record(c, NULL, "document.deleted", "document", p[0], PQgetvalue(r, 0, 1), NULL) <
	        0 ||
	    db_commit(&c->w->db) < 0) {
		db_rollback(&c->w->db);
		handler_unavailable(c, "the request could not be completed; try again");
		return;
	}
	/* The row is gone; an object left by a failed unlink is swept later. */
	storage_remove(c->w->cfg, key);
	resp_empty(c->resp, 204);
}

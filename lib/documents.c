/*
 * documents.c -- the document routes of documents.h.
 *
 * Upload, in order: the application is checked first (the owner's, still
 * editable: else 404/409 before a byte is read); the body is parsed as it
 * is read (multipart.h) into a temporary file of the storage, with its
 * size bounded as it grows (413), its SHA-256 and its first bytes kept;
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
#include "clamav.h"
#include "config.h"
#include "document_file.h"
#include "handler.h"
#include "http.h"
#include "json.h"
#include "log.h"
#include "multipart.h"
#include "router.h"
#include "storage.h"
#include "validate.h"
#include "worker.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

/* ---- the upload's state, fed by the multipart parser ---------------------- */

struct upload {
	struct ctx *c;
	int fd;         /* the temporary file, or -1 */
	char tmp[4096]; /* its path */
	enum { PART_NONE, PART_KIND, PART_FILE } part;
	int files;
	char kind[65];
	size_t kind_len;
	const char *filename;
	unsigned char head[DOCFILE_HEAD];
	size_t head_len;
	unsigned long long size, max;
	crypto_hash_sha256_state sha;
	const char *refusal; /* why a callback stopped the parse */
	int status;          /* and the answer it calls for */
};

static int stop(struct upload *u, int status, const char *why)
{
	u->status = status, u->refusal = why;
	return -1;
}

static int on_part(void *ud, const struct mp_part *p)
{
	struct upload *u = ud;

	if (strcmp(p->name, "kind") == 0) {
		u->part = PART_KIND, u->kind_len = 0;
		return 0;
	}
	if (strcmp(p->name, "file") != 0)
		return stop(u, 422, "only the fields kind and file are accepted");
	if (u->files++ > 0)
		return stop(u, 422, "send one file per request");
	u->part = PART_FILE;
	u->filename = docfile_display_name(u->c->arena, p->filename ? p->filename : "");
	if (u->filename == NULL)
		return stop(u, 500, NULL);
	if ((u->fd = storage_tmp_open(u->c->w->cfg, u->tmp, sizeof(u->tmp))) < 0)
		return stop(u, 503, "the document storage is unavailable; try again");
	crypto_hash_sha256_init(&u->sha);
	return 0;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w, n -= (size_t)w;
	}
	return 0;
}

static int on_data(void *ud, const char *data, size_t n)
{
	struct upload *u = ud;

	if (u->part == PART_KIND) {
		if (u->kind_len + n >= sizeof(u->kind))
			return stop(u, 422, "kind is too long");
		memcpy(u->kind + u->kind_len, data, n);
		u->kind[u->kind_len += n] = '\0';
		return 0;
	}
	if (u->part != PART_FILE)
		return 0;
	if ((u->size += n) > u->max)
		return stop(u, 413, "the file is larger than this deployment accepts");
	if (u->head_len < DOCFILE_HEAD) {
		size_t k = n < DOCFILE_HEAD - u->head_len ? n : DOCFILE_HEAD - u->head_len;

		memcpy(u->head + u->head_len, data, k);
		u->head_len += k;
	}
	crypto_hash_sha256_update(&u->sha, (const unsigned char *)data, n);
	if (write_all(u->fd, data, n) < 0) {
		log_error("documents: writing %s: %s", u->tmp, strerror(errno));
		return stop(u, 503, "the document storage is unavailable; try again");
	}
	return 0;
}

static int on_part_end(void *ud)
{
	struct upload *u = ud;

	u->part = PART_NONE;
	return 0;
}

static void upload_discard(struct upload *u)
{
	if (u->fd >= 0) {
		close(u->fd);
		unlink(u->tmp);
		u->fd = -1;
	}
}

/* Parse the whole body into u; 0, or -1 with the answer given. */
static int read_upload(struct ctx *c, struct upload *u, const char *boundary)
{
	static const struct mp_callbacks cb = {on_part, on_data, on_part_end};
	struct mp_parser mp;
	char buf[65536];
	ssize_t n;
	int rc = MP_OK;

	mp_init(&mp, boundary, &cb, u);
	while (rc == MP_OK && (n = c->body_read(c->body_src, buf, sizeof(buf))) > 0)
		rc = mp_feed(&mp, buf, (size_t)n);
	if (rc == MP_OK)
		rc = mp_finish(&mp);
	if (rc == MP_OK)
		return 0;
	if (rc == MP_ABORTED && u->status == 500)
		resp_problem(c->resp, c->req, 500, NULL, NULL, 0);
	else if (rc == MP_ABORTED && u->status == 503)
		handler_unavailable(c, u->refusal);
	else if (rc == MP_ABORTED)
		resp_problem(c->resp, c->req, u->status, u->refusal, NULL, 0);
	else
		resp_problem(
		    c->resp, c->req, 400,
		    arena_printf(c->arena, "the multipart body is malformed: %s", mp_error(&mp)),
		    NULL, 0);
	return -1;
}

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

	cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(
	                          spec, "accepted_types")) if (cJSON_IsString(t) &&
	                                                       strcmp(t->valuestring, type) ==
	                                                           0) return 1;
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

/* A random (version 4) UUID as text, in out[37]. */
static void new_uuid(char out[37])
{
	unsigned char b[16];

	randombytes_buf(b, sizeof(b));
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
	         b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
	         b[13], b[14], b[15]);
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

void documents_upload(struct ctx *c)
{
	const char *p[2] = {c->req->path_ids[0], c->user_id}, *type, *ct;
	unsigned char md[crypto_hash_sha256_BYTES];
	char boundary[MP_BOUNDARY_MAX + 1], id[37], sha[2 * crypto_hash_sha256_BYTES + 1];
	const cJSON *docs, *spec;
	struct upload u = {.c = c, .fd = -1};
	enum db_err err;
	PGresult *r;
	const char *app;
	char *key;

	u.max = (unsigned long long)c->w->cfg->max_upload_mb * 1048576ULL;
	ct = http_param(c->req, "CONTENT_TYPE");
	if (ct == NULL || mp_boundary(ct, boundary, sizeof(boundary)) < 0) {
		resp_problem(c->resp, c->req, 400, "multipart/form-data needs a valid boundary",
		             NULL, 0);
		return;
	}
	if (c->req->content_length > 0 &&
	    (unsigned long long)c->req->content_length > u.max + 65536) {
		resp_problem(c->resp, c->req, 413,
		             "the file is larger than this deployment accepts", NULL, 0);
		return;
	}
	if ((r = db_exec(&c->w->db, c->arena, &q_target, p, &err, NULL)) == NULL) {
		app_db_fail(c, err);
		return;
	}
	if (PQntuples(r) != 1) {
		resp_problem(c->resp, c->req, 404, not_found, NULL, 0);
		return;
	}
	if (strcmp(PQgetvalue(r, 0, 0), "t") != 0) {
		resp_problem(c->resp, c->req, 409, "the application can no longer be changed", NULL,
		             0);
		return;
	}
	if ((docs = app_parsed(c, r, 1)) == NULL) {
		resp_problem(c->resp, c->req, 500, NULL, NULL, 0);
		return;
	}
	if (read_upload(c, &u, boundary) < 0)
		goto out;
	/* The scan comes before the type checks: a finding is named even in
	 * a file that is not a PDF, PNG or JPEG (EICAR is plain text). */
	if (c->w->cfg->clamav_socket != NULL && u.fd >= 0) {
		char sig[128];
		struct buf j;
		int found = clamav_scan_file(c->w->cfg->clamav_socket, u.tmp, sig, sizeof(sig),
		                             CLAMAV_TIMEOUT_MS);

		if (found < 0) {
			handler_unavailable(c, "the virus scanner is unavailable; try again");
			goto out;
		}
		if (found == 1) {
			buf_init(&j, c->arena);
			buf_puts(&j, "{\"signature\":");
			buf_json_str(&j, sig);
			buf_puts(&j, ",\"filename\":");
			buf_json_str(&j, u.filename);
			buf_putc(&j, '}');
			if (buf_cstr(&j) == NULL ||
			    audit_record(c, NULL, "document.infected", "application",
			                 PQgetvalue(r, 0, 2), NULL, j.data) < 0)
				handler_unavailable(c, "the audit log is unavailable; try again");
			else
				handler_invalid(c, "file",
				                arena_printf(c->arena,
				                             "%s found: the file was not stored",
				                             sig));
			goto out;
		}
	}
	if ((spec = find_kind(docs, u.kind)) == NULL) {
		handler_invalid(c, "kind", "is not a document this period asks for");
		goto out;
	}
	if (check_file(c, &u, spec, &type) < 0)
		goto out;
	crypto_hash_sha256_final(&u.sha, md);
	sodium_bin2hex(sha, sizeof(sha), md, sizeof(md));
	new_uuid(id);
	close(u.fd), u.fd = -1;
	/* The application's id as the database writes it (lower case). */
	app = PQgetvalue(r, 0, 2);
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

void documents_content(struct ctx *c)
{
	const char *p[2] = {NULL, c->req->path_ids[0]}, *disp;
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
	if ((disp = docfile_disposition(c->arena, PQgetvalue(r, 0, 2))) == NULL ||
	    audit_record(c, NULL, "document.downloaded", "document", PQgetvalue(r, 0, 3), NULL,
	                 NULL) < 0) {
		handler_unavailable(c, "the request could not be completed; try again");
		return;
	}
	if (c->w->cfg->storage_backend == CFG_STORAGE_S3) {
		const char *url = storage_presign(c->w->cfg, c->arena, PQgetvalue(r, 0, 0), disp,
		                                  PQgetvalue(r, 0, 1));

		if (url == NULL) {
			handler_unavailable(c, "the document storage is unavailable; try again");
			return;
		}
		resp_empty(c->resp, 302);
		resp_header(c->resp, "Location", url);
		return;
	}
	resp_empty(c->resp, 200);
	c->resp->content_type = PQgetvalue(r, 0, 1);
	resp_header(c->resp, "Content-Disposition", disp);
	resp_header(c->resp, "X-Content-Type-Options", "nosniff");
	resp_header(c->resp, "X-Accel-Redirect", storage_accel_uri(c->arena, PQgetvalue(r, 0, 0)));
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
